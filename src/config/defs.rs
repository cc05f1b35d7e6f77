//! `$NAME=value` definitions, `$NAME`/`${NAME}` substitution and `~SEQ`/`~LST` line repetition.

use crate::limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Builtin {
    No,
    Pwd,
    Instance,
    Random,
}

#[derive(Debug)]
pub struct Def {
    pub name: String,
    pub value: String,
    /// Defined over several lines (`$X= \` ...); only substituted where it ends a line.
    pub multiline: bool,
    builtin: Builtin,
}

/// Values the built-in definitions expand to.
pub struct Env<'a> {
    pub pwd: &'a str,
    pub instance: &'a str,
}

/// State of a multi-line definition being expanded: its remaining lines, and the expansions
/// it interrupted.
#[derive(Debug, Default)]
pub struct Multi {
    pub next: Option<String>,
    pub stack: Vec<(String, usize)>,
    /// Number of `~SEQ`s active when the expansion started; only newer ones run inside it.
    pub seq_depth: usize,
}

pub struct Defs {
    list: Vec<Def>,
    rng: u64,
}

/// What a substitution pass did.
#[derive(Debug, PartialEq, Eq)]
pub enum Subst {
    Unchanged,
    Changed,
    /// Too many substitutions on one line: a definition refers to itself.
    Runaway,
}

impl Defs {
    pub fn new(seed: u64) -> Defs {
        let builtin = |name: &str, value: &str, builtin| Def {
            name: name.into(),
            value: value.into(),
            multiline: false,
            builtin,
        };
        Defs {
            list: vec![
                builtin("_PWD", "", Builtin::Pwd),
                builtin("_INSTANCE", "", Builtin::Instance),
                builtin("_RANDOM", "", Builtin::Random),
                builtin("_HASH", "#", Builtin::No),
                builtin("_BANG", "!", Builtin::No),
            ],
            rng: seed | 1,
        }
    }

    pub fn reseed(&mut self, seed: u64) {
        self.rng = seed | 1;
    }

    pub fn get_mut(&mut self, idx: usize) -> &mut Def {
        &mut self.list[idx]
    }

    /// Sets NAME to a plain value (used by `~SEQ`/`~LST`), replacing any earlier definition.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.list.iter_mut().find(|d| d.name == name) {
            Some(d) => {
                d.value = value.into();
                d.multiline = false;
                d.builtin = Builtin::No;
            }
            None => self.list.push(Def {
                name: name.into(),
                value: value.into(),
                multiline: false,
                builtin: Builtin::No,
            }),
        }
    }

    /// Parses a `$NAME=VALUE` line. Returns the index of the definition it created or
    /// replaced; the definition is multi-line if VALUE ends with `\`.
    pub fn define(&mut self, line: &str) -> Option<usize> {
        let body = line.strip_prefix('$')?;
        let first = body.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let eq = body.find('=')?;
        let name = &body[..eq];
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let raw = body[eq + 1..].trim_start_matches([' ', '\t']);
        let (value, multiline) = match raw.strip_suffix('\\') {
            Some(v) => {
                let v = v.trim_end_matches([' ', '\t']);
                if v.is_empty() {
                    (String::new(), true)
                } else {
                    (format!("{v}\n"), true)
                }
            }
            None => (raw.to_string(), false),
        };
        let def = Def {
            name: name.into(),
            value,
            multiline,
            builtin: Builtin::No,
        };
        match self.list.iter().position(|d| d.name == name) {
            Some(i) => {
                self.list[i] = def;
                Some(i)
            }
            None => {
                self.list.push(def);
                Some(self.list.len() - 1)
            }
        }
    }

    /// Finds the definition referenced at `s` (the text after a `$`): returns its index, the
    /// length of the reference after the `$`, and the parameter text of `${NAME params}`.
    fn lookup<'s>(&self, s: &'s str) -> Option<(usize, usize, Option<&'s str>)> {
        let (braces, name_start) = if s.starts_with('{') {
            (true, 1)
        } else {
            (false, 0)
        };
        let b = s.as_bytes();
        let first = *b.get(name_start)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let mut end = name_start + 1;
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
            end += 1;
        }
        let name = &s[name_start..end];
        let mut params = None;
        let ref_len;
        if braces {
            let mut p = end;
            while p < b.len() && (b[p] == b' ' || b[p].is_ascii_digit()) {
                p += 1;
            }
            let ptext = s[end..p].trim_start_matches(' ');
            if !ptext.is_empty() {
                if ptext.ends_with(' ') {
                    return None;
                }
                params = Some(ptext);
            }
            if b.get(p) != Some(&b'}') {
                return None;
            }
            ref_len = p + 1;
        } else {
            if !matches!(b.get(end), None | Some(b' ' | b'\t' | b',' | b')')) {
                return None;
            }
            ref_len = end;
        }
        let at_end = ref_len == s.len();
        let idx = self
            .list
            .iter()
            .position(|d| d.name == name && (at_end || !d.multiline))?;
        if params.is_some() && self.list[idx].builtin != Builtin::Random {
            return None;
        }
        Some((idx, ref_len, params))
    }

    fn random(&mut self, params: Option<&str>) -> String {
        let mut nums = params
            .unwrap_or("")
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(0));
        let min = nums.next().unwrap_or(0);
        let max = nums.next().unwrap_or(32767).max(min);
        // xorshift64*: ${_RANDOM} needs no cryptographic quality, just keepalived's range.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (r % (max - min + 1) + min).to_string()
    }

    /// Replaces definition references in `buf`, re-scanning replaced text (definitions may use
    /// definitions). A multi-line definition puts its first line in place and leaves the rest
    /// in `multi` for the reader; `seq_count` is the number of active `~SEQ`s.
    pub fn substitute(
        &mut self,
        buf: &mut String,
        env: &Env,
        multi: &mut Multi,
        seq_count: usize,
    ) -> Subst {
        let mut pos = 0;
        let mut found = false;
        let mut count = 0;
        let mut in_multi = multi.next.is_some();
        while let Some(off) = buf[pos..].find('$') {
            let at = pos + off;
            if at + 1 >= buf.len() {
                break;
            }
            let Some((idx, ref_len, params)) = self.lookup(&buf[at + 1..]) else {
                pos = at + 1;
                continue;
            };
            count += 1;
            if count > limits::MAX_SUBSTITUTIONS_PER_LINE {
                return Subst::Runaway;
            }
            found = true;
            let params = params.map(str::to_string);
            let def = &self.list[idx];
            let replacement = match def.builtin {
                Builtin::Pwd => env.pwd.to_string(),
                Builtin::Instance => env.instance.to_string(),
                Builtin::Random => self.random(params.as_deref()),
                Builtin::No if def.multiline => {
                    if in_multi {
                        if let Some(n) = multi.next.take() {
                            multi.stack.push((n, multi.seq_depth));
                        }
                    }
                    multi.seq_depth = seq_count;
                    in_multi = true;
                    let (first, rest) = def
                        .value
                        .split_once('\n')
                        .unwrap_or((def.value.as_str(), ""));
                    multi.next = Some(rest.to_string());
                    first.to_string()
                }
                Builtin::No => def.value.clone(),
            };
            let starts_seq = replacement.trim_start_matches([' ', '\t']).starts_with('~');
            buf.replace_range(at..at + 1 + ref_len, &replacement);
            if starts_seq {
                break;
            }
            pos = at;
        }
        if found {
            Subst::Changed
        } else {
            Subst::Unchanged
        }
    }
}

/// One active `~SEQ` or `~LST`: the line template and the values still to produce.
#[derive(Debug)]
pub struct Seq {
    pub vars: Vec<String>,
    /// Remaining value tuples, in order (each has one value per variable).
    pub values: std::collections::VecDeque<Vec<String>>,
    pub text: String,
}

/// C `strtol(s, &end, 0)`: optional blanks and sign, then hex `0x..`, octal `0..` or decimal.
fn strtol0(s: &str) -> (i64, &str) {
    let t = s.trim_start_matches([' ', '\t']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if (t.starts_with("0x") || t.starts_with("0X"))
        && t[2..].starts_with(|c: char| c.is_ascii_hexdigit())
    {
        (16, &t[2..])
    } else if t.starts_with('0') {
        (8, t)
    } else {
        (10, t)
    };
    let n = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if n == 0 {
        return (0, s);
    }
    let v = i64::from_str_radix(&digits[..n], radix).unwrap_or(i64::MAX);
    (if neg { -v } else { v }, &digits[n..])
}

/// Parses `~SEQ(var, [start,] [step,] end) text` (or `~SEQx`, hex values). `subst` expands
/// definitions inside the parentheses. Err carries keepalived's message.
pub fn parse_seq(line: &str, subst: &mut dyn FnMut(&mut String) -> bool) -> Result<Seq, String> {
    let invalid = || format!("Invalid ~SEQ definition '{line}'");
    let mut p = &line[4..];
    let hex = p.starts_with('x');
    if hex {
        p = &p[1..];
    }
    p = p
        .trim_start_matches([' ', '\t'])
        .strip_prefix('(')
        .ok_or_else(invalid)?;
    p = p.trim_start_matches([' ', '\t']);
    let var_len = p.find([' ', '\t', ',', ')']).unwrap_or(p.len());
    let var = &p[..var_len];
    p = p[var_len..].trim_start_matches([' ', '\t']);
    if var.is_empty() || !p.starts_with(',') {
        return Err(invalid());
    }
    p = p[1..].trim_start_matches([' ', '\t']);
    let close = p.find(')').ok_or_else(invalid)?;
    if close + 2 > 3 * 20 + 3 + 1 {
        return Err(format!("~SEQ parameter strings too long '{line}'"));
    }
    let mut args = p[..=close].to_string();
    if !subst(&mut args) {
        return Err(format!("~SEQ parameter is multiline definition '{line}'"));
    }
    let text = p[close + 1..].trim_start_matches([' ', '\t']).to_string();

    let mut nums = Vec::new();
    let mut rest = args.as_str();
    loop {
        let (n, r) = strtol0(rest);
        nums.push(n);
        let r = r.trim_start_matches([' ', '\t']);
        if let Some(r) = r.strip_prefix(',') {
            if nums.len() == 3 {
                return Err(invalid());
            }
            rest = r;
        } else if r.starts_with(')') {
            break;
        } else {
            return Err(invalid());
        }
    }
    let (start, step, end) = match nums[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => {
            if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                return Err(format!("Invalid ~SEQ values '{line}'"));
            }
            (start, step, end)
        }
        _ => return Err(invalid()),
    };
    if hex && (start < 0 || end < 0) {
        return Err(format!("~SEQx is only valid for positive numbers '{line}'"));
    }
    let count = (end as i128 - start as i128) / step as i128 + 1;
    if count < 0 || count as usize > limits::MAX_EXPANDED_LINES {
        return Err(format!(
            "~SEQ would repeat a line more than {} times (MAX_EXPANDED_LINES) '{line}'",
            limits::MAX_EXPANDED_LINES
        ));
    }
    let mut values = std::collections::VecDeque::new();
    let mut v = start;
    // A sequence produces at least its start value, as keepalived's does.
    loop {
        values.push_back(vec![if hex { format!("{v:x}") } else { v.to_string() }]);
        v += step;
        if (step > 0 && v > end) || (step < 0 && v < end) {
            break;
        }
    }
    Ok(Seq {
        vars: vec![var.to_string()],
        values,
        text,
    })
}

/// Parses `~LST(var, v1, v2 ...) text` or `~LST({a,b}, {1,2}, {3,4}) text`.
pub fn parse_lst(line: &str) -> Option<Seq> {
    let skip = |s: &str| s.trim_start_matches([' ', '\t']).to_string();
    let mut p = skip(&line[4..]);
    p = skip(p.strip_prefix('(')?);
    let mut vars = Vec::new();
    let grouped = p.starts_with('{');
    let end_char = if grouped {
        p = skip(&p[1..]);
        '}'
    } else {
        ','
    };
    loop {
        let n = p.find([' ', '\t', ',', '}']).unwrap_or(p.len());
        vars.push(p[..n].to_string());
        p = skip(&p[n..]);
        if p.starts_with(end_char) {
            break;
        }
        p = skip(p.strip_prefix(',')?);
    }
    if grouped {
        p = skip(&p[1..]);
    }
    p = skip(p.strip_prefix(',')?);
    let mut values = std::collections::VecDeque::new();
    loop {
        let grouped = p.starts_with('{');
        let end_char = if grouped {
            p = skip(&p[1..]);
            '}'
        } else {
            ','
        };
        let mut set = Vec::new();
        loop {
            let n = p.find([' ', '\t', ',', '}', ')']).unwrap_or(p.len());
            set.push(p[..n].to_string());
            p = skip(&p[n..]);
            if p.starts_with(end_char) || (p.starts_with(')') && end_char == ',') {
                break;
            }
            p = skip(p.strip_prefix(',')?);
            if set.len() >= vars.len() {
                return None;
            }
        }
        while set.len() < vars.len() {
            set.push(String::new());
        }
        values.push_back(set);
        if grouped && p.starts_with('}') {
            p = skip(&p[1..]);
        }
        if p.starts_with(')') {
            break;
        }
        p = skip(p.strip_prefix(',')?);
    }
    if vars.is_empty() || values.is_empty() || values.len() > limits::MAX_EXPANDED_LINES {
        return None;
    }
    Some(Seq {
        vars,
        values,
        text: skip(&p[1..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env<'static> {
        Env {
            pwd: "/etc/keepalived",
            instance: "node1",
        }
    }

    fn subst(d: &mut Defs, s: &str) -> String {
        let mut b = s.to_string();
        d.substitute(&mut b, &env(), &mut Multi::default(), 0);
        b
    }

    #[test]
    fn simple_and_recursive_substitution() {
        let mut d = Defs::new(1);
        d.define("$VRID=51").unwrap();
        d.define("$ID=${VRID}0").unwrap();
        assert_eq!(
            subst(&mut d, "virtual_router_id $VRID"),
            "virtual_router_id 51"
        );
        assert_eq!(subst(&mut d, "x ${ID}x"), "x 510x");
        assert_eq!(subst(&mut d, "x $VRIDx $UNDEF"), "x $VRIDx $UNDEF");
        assert_eq!(
            subst(&mut d, "${_INSTANCE} ${_PWD} ${_HASH}"),
            "node1 /etc/keepalived #"
        );
        assert!(d.define("$A B=1").is_none());
        assert!(d.define("$1A=1").is_none());
    }

    #[test]
    fn self_reference_is_stopped() {
        let mut d = Defs::new(1);
        d.define("$A=$A").unwrap();
        let mut b = "x $A".to_string();
        assert_eq!(
            d.substitute(&mut b, &env(), &mut Multi::default(), 0),
            Subst::Runaway
        );
    }

    #[test]
    fn random_within_bounds() {
        let mut d = Defs::new(42);
        for _ in 0..100 {
            let v: u32 = subst(&mut d, "${_RANDOM 5 7}").parse().unwrap();
            assert!((5..=7).contains(&v));
        }
    }

    #[test]
    fn multiline_definition_expands_at_line_end_only() {
        let mut d = Defs::new(1);
        let i = d.define("$M=first \\").unwrap();
        d.get_mut(i).value.push_str("second");
        let mut m = Multi::default();
        let mut b = "$M".to_string();
        assert_eq!(d.substitute(&mut b, &env(), &mut m, 0), Subst::Changed);
        assert_eq!(b, "first");
        assert_eq!(m.next.as_deref(), Some("second"));
        let mut b = "$M x".to_string();
        assert_eq!(
            d.substitute(&mut b, &env(), &mut Multi::default(), 0),
            Subst::Unchanged
        );
    }

    #[test]
    fn seq_forms() {
        let mut no = |_: &mut String| true;
        let s = parse_seq("~SEQ(N,1,3) 10.1.1.${N}/32", &mut no).unwrap();
        assert_eq!(
            s.values.iter().map(|v| v[0].as_str()).collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        assert_eq!(s.text, "10.1.1.${N}/32");
        let s = parse_seq("~SEQ(N, 3) x", &mut no).unwrap();
        assert_eq!(s.values.len(), 3);
        let s = parse_seq("~SEQ(N, 10, -5, 0) x", &mut no).unwrap();
        assert_eq!(
            s.values.iter().map(|v| v[0].as_str()).collect::<Vec<_>>(),
            ["10", "5", "0"]
        );
        let s = parse_seq("~SEQx(N, 9, 11) x", &mut no).unwrap();
        assert_eq!(
            s.values.iter().map(|v| v[0].as_str()).collect::<Vec<_>>(),
            ["9", "a", "b"]
        );
        assert!(parse_seq("~SEQ(N, 1, -1, 5) x", &mut no).is_err());
        assert!(parse_seq("~SEQ(N) x", &mut no).is_err());
        assert!(parse_seq("~SEQ(N, 1, 1, 999999999999) x", &mut no).is_err());
    }

    #[test]
    fn lst_forms() {
        let s = parse_lst("~LST(V, a, b, c) x $V").unwrap();
        assert_eq!(s.vars, ["V"]);
        assert_eq!(s.values.len(), 3);
        assert_eq!(s.text, "x $V");
        let s = parse_lst("~LST({A,B}, {1,2}, {3}) $A-$B").unwrap();
        assert_eq!(s.vars, ["A", "B"]);
        assert_eq!(s.values[0], ["1", "2"]);
        assert_eq!(s.values[1], ["3", ""]);
        assert!(parse_lst("~LST(V)").is_none());
    }
}
