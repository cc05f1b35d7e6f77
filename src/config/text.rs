//! Line-level text rules of keepalived's configuration language: comments, quoting, tokens.

use super::words::Words;

/// keepalived's white space: space, tab, form feed, newline, carriage return, vertical tab.
pub fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c' | '\n' | '\r' | '\x0b')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `s` without leading and trailing spaces and tabs (bytes: both are ASCII).
fn trim_blanks(s: &str) -> &str {
    let b = s.as_bytes();
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Strips comments (`#` or `!` outside double quotes), turns `\#`/`\!` outside quotes into
/// literal characters, trims leading and trailing blanks, and keeps a trailing `\` (the
/// continuation mark of multi-line definitions) right after the last word.
/// Writes the new text to `out`; returns whether a double quote was left open.
pub fn decomment(line: &str, out: &mut String) -> bool {
    out.clear();
    let s = trim_blanks(line);
    if !s.bytes().any(|b| matches!(b, b'!' | b'#' | b'"' | b'\\')) {
        out.push_str(s);
        return false;
    }
    let s = line.trim_start_matches(is_blank);
    let mut quote = false;
    let mut cont = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quote = !quote;
                out.push(c);
            }
            '\\' => match chars.peek().copied() {
                None => {
                    cont = true;
                    break;
                }
                Some(n @ ('#' | '!')) if !quote => {
                    out.push(n);
                    chars.next();
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                    chars.next();
                }
            },
            '#' | '!' if !quote => {
                // keepalived keeps scanning the comment for a final lone `\`, which still
                // marks the line as continued.
                while let Some(r) = chars.next() {
                    if r == '\\' && chars.next().is_none() {
                        cont = true;
                    }
                }
                break;
            }
            _ => out.push(c),
        }
    }
    let trimmed_len = out.trim_end_matches(is_blank).len();
    out.truncate(trimmed_len);
    if cont {
        out.push('\\');
    }
    quote
}

/// Splits a line into words as the keyword parser sees them: blank-separated, a word starting
/// with `"` runs to the next `"` (quotes removed, no escapes), a `"` also ends an unquoted word.
/// Returns the words (as positions in `line`) and whether a quote was left unmatched (the
/// rest of the line is dropped).
pub fn tokenize(line: &str) -> (Words, bool) {
    // Every delimiter is ASCII, so byte positions are character boundaries.
    let b = line.as_bytes();
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' | b'\x0b');
    let mut words = Words::default();
    let mut i = 0;
    loop {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return (words, false);
        }
        if b[i] == b'"' {
            let start = i + 1;
            match b[start..].iter().position(|&c| c == b'"') {
                Some(n) => {
                    words.push(start, start + n);
                    i = start + n + 1;
                }
                None => return (words, true),
            }
        } else {
            let start = i;
            while i < b.len() && !is_ws(b[i]) && b[i] != b'"' {
                i += 1;
            }
            words.push(start, i);
        }
    }
}

/// What a byte is to [`split_plain`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    White,
    Brace,
    /// Makes a line more than words and braces: a comment, quote, escape or definition.
    Special,
}

const CLASS: [Class; 256] = {
    let mut t = [Class::Word; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' | b'\x0b' => Class::White,
            b'{' | b'}' => Class::Brace,
            b'!' | b'#' | b'"' | b'\\' | b'$' => Class::Special,
            _ => Class::Word,
        };
        i += 1;
    }
    t
};

fn class(b: u8) -> Class {
    CLASS[usize::from(b)]
}

/// Whether `line` is plain: no comment, quote, escape or definition, nothing for the
/// reader to process (a line starting with `@` or `~` is not plain either).
pub fn is_plain(line: &str) -> bool {
    !matches!(line.as_bytes().first(), Some(b'@' | b'~')) && no_special(line)
}

fn no_special(s: &str) -> bool {
    !s.bytes().any(|b| class(b) == Class::Special)
}

/// A plain line split as [`split_brace`] and then [`tokenize`] split it, in one pass (with
/// no quotes, words are the runs of non-white bytes and the first brace splits the line):
/// the words of the head, the head length and the residue. None if a byte is special.
pub fn split_plain(line: &str) -> Option<(Words, usize, Option<&str>)> {
    let b = line.as_bytes();
    let mut words = Words::default();
    if matches!(b.first(), Some(b'{' | b'}')) {
        words.push(0, 1);
        let rest = trim_blanks(&line[1..]);
        return no_special(rest).then(|| (words, 1, (!rest.is_empty()).then_some(rest)));
    }
    let mut i = 0;
    loop {
        while i < b.len() && class(b[i]) == Class::White {
            i += 1;
        }
        let start = i;
        while i < b.len() && class(b[i]) == Class::Word {
            i += 1;
        }
        if i > start {
            words.push(start, i);
        }
        let Some(&c) = b.get(i) else {
            return Some((words, trim_end_blanks(line).len(), None));
        };
        match class(c) {
            Class::Brace => {
                let head_len = trim_end_blanks(&line[..i]).len();
                let rest = trim_end_blanks(&line[i..]);
                return no_special(rest).then_some((words, head_len, Some(rest)));
            }
            Class::Special => return None,
            Class::Word | Class::White => {}
        }
    }
}

/// `s` without trailing spaces and tabs.
fn trim_end_blanks(s: &str) -> &str {
    let b = s.as_bytes();
    let end = b
        .iter()
        .rposition(|c| *c != b' ' && *c != b'\t')
        .map_or(0, |e| e + 1);
    &s[..end]
}

/// Splits a line into words the way keepalived re-reads script command lines: `"..."` and
/// `'...'` quote (and may join with adjacent text), `\` escapes (`\n`, `\t`, `\xHH`, octal,
/// `\cX` ...). Returns None on an unterminated quote or a trailing lone `\`.
pub fn tokenize_quoted_escaped(line: &str) -> Option<Vec<String>> {
    let b: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Some(words);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while i < b.len() {
            let c = b[i];
            if c == '\\' {
                i += 1;
                let e = *b.get(i)?;
                i += 1;
                word.push(match e {
                    'x' if b.get(i).is_some_and(|c| c.is_ascii_hexdigit()) => {
                        let mut v: u32 = 0;
                        while let Some(d) = b.get(i).and_then(|c| c.to_digit(16)) {
                            v = (v << 4 | d) & 0xff;
                            i += 1;
                        }
                        char::from(v as u8)
                    }
                    'c' if i < b.len() => {
                        let v = (b[i] as u32) & 0x1f;
                        i += 1;
                        char::from_u32(v).unwrap_or('\0')
                    }
                    '0'..='7' => {
                        let mut v = e as u32 - '0' as u32;
                        for _ in 0..2 {
                            match b.get(i).and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    v = (v << 3) + d;
                                    i += 1;
                                }
                                None => break,
                            }
                        }
                        char::from((v & 0xff) as u8)
                    }
                    'a' => '\x07',
                    'b' => '\x08',
                    'E' => '\x1b',
                    'f' => '\x0c',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\x0b',
                    other => other,
                });
                continue;
            }
            match quote {
                Some(q) if c == q => {
                    quote = None;
                    i += 1;
                }
                Some(_) => {
                    word.push(c);
                    i += 1;
                }
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    i += 1;
                }
                None if is_ws(c) => break,
                None => {
                    word.push(c);
                    i += 1;
                }
            }
        }
        if quote.is_some() {
            return None;
        }
        words.push(word);
    }
}

/// Where a line must be split so that `{` and `}` (outside double quotes) stand alone.
/// Returns (head length, residue): the head is `line[..len]` — the text before the brace, or
/// the brace itself when the line starts with one — and the residue is what follows, to be
/// read as the next line. Blanks around both are trimmed.
pub fn split_brace(line: &str) -> (usize, Option<&str>) {
    let b = line.as_bytes();
    let pos = if b.first().is_some_and(|&c| c == b'{' || c == b'}') {
        Some(0)
    } else {
        let mut i = 0;
        let mut found = None;
        while i < b.len() {
            match b[i] {
                b'{' | b'}' => {
                    found = Some(i);
                    break;
                }
                b'"' => match line[i + 1..].find('"') {
                    Some(off) => i += off + 2,
                    None => break,
                },
                _ => i += 1,
            }
        }
        found
    };
    let trimmed_len = |s: &str| s.trim_end_matches(is_blank).len();
    let Some(p) = pos else {
        return (trimmed_len(line), None);
    };
    let (head_len, rest) = if p == 0 {
        (1, line[1..].trim_start_matches(is_blank))
    } else {
        (trimmed_len(&line[..p]), &line[p..])
    };
    let rest = rest.trim_end_matches(is_blank);
    (head_len, (!rest.is_empty()).then_some(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_escapes() {
        let decomment = |line: &str| {
            let mut out = String::new();
            let open = decomment(line, &mut out);
            (out, open)
        };
        assert_eq!(decomment("  foo bar # comment").0, "foo bar");
        assert_eq!(decomment("foo ! comment").0, "foo");
        assert_eq!(decomment(r#"a "b # c" d # e"#).0, r#"a "b # c" d"#);
        assert_eq!(decomment(r"a \# b").0, "a # b");
        assert_eq!(decomment(r#"a "\#" b"#).0, r#"a "\#" b"#);
        assert_eq!(decomment("x = 1   \\").0, "x = 1\\");
        assert!(decomment("a \"open").1);
        assert_eq!(decomment("include a/*.conf # c").0, "include a/*.conf");
        assert_eq!(decomment("a # comment \\").0, "a\\");
    }

    fn words(line: &str) -> (Vec<String>, bool) {
        let (w, bad) = tokenize(line);
        (w.iter(line).map(str::to_string).collect(), bad)
    }

    #[test]
    fn tokens() {
        let (w, bad) = words(r#"notify "/bin/x a b" user"#);
        assert_eq!(w, vec!["notify", "/bin/x a b", "user"]);
        assert!(!bad);
        assert_eq!(words(r#"a"b"c"#).0, vec!["a", "b", "c"]);
        let (w, bad) = words(r#"router_id "abc"#);
        assert_eq!(w, vec!["router_id"]);
        assert!(bad);
        assert_eq!(words("  a\t\tb  ").0, vec!["a", "b"]);
        assert_eq!(words(r#"x "" y"#).0, vec!["x", "", "y"]);
    }

    #[test]
    fn quoted_escaped_tokens() {
        let w = tokenize_quoted_escaped(r#"notify "/x.sh a b" 'c d'e f\ g"#).unwrap();
        assert_eq!(w, vec!["notify", "/x.sh a b", "c de", "f g"]);
        assert_eq!(
            tokenize_quoted_escaped(r"a\tb\x41\101").unwrap(),
            vec!["a\tbAA"]
        );
        assert!(tokenize_quoted_escaped("'open").is_none());
        assert!(tokenize_quoted_escaped("end\\").is_none());
    }

    #[test]
    fn plain_split_is_split_brace_then_tokenize() {
        for l in [
            "vrrp_instance VI_1 {",
            "{ 10.0.0.1 }",
            "10.0.0.1 }",
            "}",
            "}}",
            "a  ",
            "a{b",
            "\x0c{",
            "a \x0c{ b\t",
            "{\t \x0b",
            "  a\x0b b\r",
            "",
            "é ü{x",
        ] {
            let (n, r) = split_brace(l);
            let (w, _) = tokenize(&l[..n]);
            let (pw, pn, pr) = split_plain(l).unwrap();
            assert_eq!((pn, pr), (n, r), "{l:?}");
            assert_eq!(
                pw.iter(l).collect::<Vec<_>>(),
                w.iter(l).collect::<Vec<_>>()
            );
        }
        assert!(split_plain("a $b {").is_none());
        assert!(split_plain("a { # b").is_none());
        assert!(split_plain("{ a ! b").is_none());
        assert!(split_plain("a \"b\"").is_none());
        assert!(is_plain("a { b") && !is_plain("a { # b") && !is_plain("@x a"));
    }

    #[test]
    fn brace_splitting() {
        let split = |l: &'static str| {
            let (n, r) = split_brace(l);
            (&l[..n], r)
        };
        assert_eq!(
            split("vrrp_instance VI_1 {"),
            ("vrrp_instance VI_1", Some("{"))
        );
        assert_eq!(split("{ 10.0.0.1 }"), ("{", Some("10.0.0.1 }")));
        assert_eq!(split("10.0.0.1 }"), ("10.0.0.1", Some("}")));
        assert_eq!(split("}"), ("}", None));
        assert_eq!(split(r#"script "a{b}" x"#), (r#"script "a{b}" x"#, None));
        assert_eq!(split("}}"), ("}", Some("}")));
        assert_eq!(split("a  "), ("a", None));
    }
}
