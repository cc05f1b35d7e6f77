//! Path globbing for `include`, as glibc's `glob(GLOB_MARK | GLOB_BRACE)` does it for keepalived.
//!
//! Written here because musl's glob has no brace expansion and a static binary cannot rely on
//! the C library's. Besides the matches, keepalived needs to know whether any literal path or
//! directory on the way was missing and whether a wildcard was expanded: its include error
//! messages depend on both.

use std::fs;
use std::path::Path;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct GlobResult {
    /// Matches, directories marked with a trailing `/`, sorted within each brace alternative.
    pub paths: Vec<String>,
    /// A literal file or a directory to be listed did not exist.
    pub missing: bool,
    /// A wildcard component was expanded (a directory was listed).
    pub wildcards: bool,
}

/// Expands `pattern`; a relative pattern is resolved against `base` (the including file's
/// directory) and the returned paths include that prefix.
pub fn glob(pattern: &str, base: &str) -> GlobResult {
    let mut res = GlobResult::default();
    let full = if pattern.starts_with('/') || base.is_empty() {
        pattern.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), pattern)
    };
    for alt in expand_braces(&full) {
        let mut found = expand_one(&alt, &mut res);
        for p in &mut found {
            if Path::new(p.as_str()).is_dir() && !p.ends_with('/') {
                p.push('/');
            }
        }
        res.paths.extend(found);
    }
    res
}

/// True if the pattern contains an unescaped `{`.
pub fn has_brace(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

fn has_wildcard(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'*' | b'?' | b'[' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn expand_one(pattern: &str, res: &mut GlobResult) -> Vec<String> {
    if !has_wildcard(pattern) {
        let p = unescape(pattern);
        if fs::symlink_metadata(&p).is_ok() {
            return vec![p];
        }
        res.missing = true;
        return Vec::new();
    }
    let absolute = pattern.starts_with('/');
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let mut cands = vec![if absolute {
        "/".to_string()
    } else {
        String::new()
    }];
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let mut next = Vec::new();
        for dir in &cands {
            if has_wildcard(comp) {
                res.wildcards = true;
                let list_dir = if dir.is_empty() { "." } else { dir.as_str() };
                let Ok(rd) = fs::read_dir(list_dir) else {
                    res.missing = true;
                    continue;
                };
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| fnmatch(comp.as_bytes(), n.as_bytes()))
                    .collect();
                names.sort();
                for n in names {
                    let p = join(dir, &n);
                    if last || Path::new(&p).is_dir() {
                        next.push(p);
                    }
                }
            } else {
                let p = join(dir, &unescape(comp));
                if last && fs::symlink_metadata(&p).is_err() {
                    res.missing = true;
                    continue;
                }
                next.push(p);
            }
        }
        cands = next;
    }
    cands
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// csh-style `{a,b}` expansion, outermost first, left to right. Unbalanced braces stay literal.
pub fn expand_braces(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => {
                if let Some((close, commas)) = brace_span(b, i) {
                    let (pre, post) = (&s[..i], &s[close + 1..]);
                    let mut out = Vec::new();
                    let mut start = i + 1;
                    for c in commas.into_iter().chain(std::iter::once(close)) {
                        for tail in expand_braces(&format!("{pre}{}{post}", &s[start..c])) {
                            out.push(tail);
                        }
                        start = c + 1;
                    }
                    return out;
                }
            }
            _ => {}
        }
        i += 1;
    }
    vec![s.to_string()]
}

/// Position of the brace matching the `{` at `open`, and its top-level commas.
fn brace_span(b: &[u8], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((i, commas));
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// fnmatch(3) for one path component: `*`, `?`, `[...]` (with `!`/`^` and ranges), `\`.
/// A leading `.` in the name must be matched literally.
pub fn fnmatch(pat: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pat.first() != Some(&b'.') {
        return false;
    }
    match_from(pat, name)
}

fn match_from(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, len)) = class(&pat[p..], name[n]) {
                        if ok {
                            p += len;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() && pat[p + 1] == name[n] => {
                    p += 2;
                    n += 1;
                    continue;
                }
                b'\\' if p + 1 < pat.len() => {}
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the bracket expression at the start of `pat`; returns (matched, length),
/// or None if the bracket is not closed (then `[` is literal).
fn class(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        if pat[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = pat[i];
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            if lo <= c && c <= pat[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch(b"*.conf", b"a.conf"));
        assert!(!fnmatch(b"*.conf", b"a.conf.bak"));
        assert!(!fnmatch(b"*.conf", b".hidden.conf"));
        assert!(fnmatch(b".*.conf", b".hidden.conf"));
        assert!(fnmatch(b"a?c", b"abc"));
        assert!(fnmatch(b"[a-c]x", b"bx"));
        assert!(!fnmatch(b"[!a-c]x", b"bx"));
        assert!(fnmatch(b"a\\*", b"a*"));
        assert!(!fnmatch(b"a\\*", b"ab"));
        assert!(fnmatch(b"*a*b*", b"xxaxxbxx"));
        assert!(fnmatch(b"[x", b"[x"));
    }

    #[test]
    fn braces_expand_in_order() {
        assert_eq!(expand_braces("a{b,c}d"), vec!["abd", "acd"]);
        assert_eq!(expand_braces("{x,y{1,2}}"), vec!["x", "y1", "y2"]);
        assert_eq!(expand_braces("no{brace"), vec!["no{brace"]);
        assert!(has_brace("a{b}"));
        assert!(!has_brace("a\\{b"));
    }

    #[test]
    fn globs_a_directory() {
        let dir = std::env::temp_dir().join(format!("ka-glob-{}", std::process::id()));
        let d = dir.to_str().unwrap();
        fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["b.conf", "a.conf", "c.txt"] {
            fs::write(dir.join(f), "").unwrap();
        }
        let r = glob("*.conf", d);
        assert_eq!(r.paths, vec![format!("{d}/a.conf"), format!("{d}/b.conf")]);
        assert!(r.wildcards && !r.missing);
        let r = glob("{c.txt,nothere}", d);
        assert_eq!(r.paths, vec![format!("{d}/c.txt")]);
        assert!(r.missing);
        let r = glob("sub", d);
        assert_eq!(r.paths, vec![format!("{d}/sub/")]);
        let r = glob("nodir/*.conf", d);
        assert!(r.paths.is_empty() && r.missing);
        let r = glob("*.none", d);
        assert!(r.paths.is_empty() && !r.missing && r.wildcards);
        fs::remove_dir_all(&dir).unwrap();
    }
}
