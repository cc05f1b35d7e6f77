//! The `-d` dump: the effective typed configuration, defaults applied, in keepalived's own
//! block syntax so that it reads like a configuration and a test can compare it.

use std::borrow::Cow;
use std::fmt::Display;

use super::host::User;
use super::text::is_ws;

/// A value as one configuration word: in double quotes when it would otherwise split,
/// start a comment or vanish. (A word read from a configuration never holds a `"`.)
pub fn word(s: &str) -> Cow<'_, str> {
    let plain = !s.is_empty() && !s.chars().any(|c| is_ws(c) || matches!(c, '#' | '!'));
    if plain {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("\"{s}\""))
    }
}

#[derive(Default)]
pub struct Dump {
    out: String,
    indent: usize,
    /// The default script user the dump reads back with (set by the globals' dump); None
    /// when there is none. A script that took another default (a later `script_user`
    /// changed it) is written with its user's names.
    pub script_user: Option<User>,
}

impl Dump {
    pub fn new() -> Dump {
        Dump::default()
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// `key value`
    pub fn kv(&mut self, key: &str, value: impl Display) {
        self.raw(&format!("{key} {value}"));
    }

    /// `key value` when there is a value.
    pub fn opt<T: Display>(&mut self, key: &str, value: Option<T>) {
        if let Some(v) = value {
            self.kv(key, v);
        }
    }

    /// `key value`, or `# key value` for a zero, which the keyword does not take.
    pub fn nonzero<T: Display + Default + PartialEq>(&mut self, key: &str, value: T) {
        if value == T::default() {
            self.raw(&format!("# {key} {value}"));
        } else {
            self.kv(key, value);
        }
    }

    /// A whole line as given.
    pub fn raw(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// `header {`, the body, `}`.
    pub fn block(&mut self, header: &str, body: impl FnOnce(&mut Dump)) {
        self.noted_block(header, None, body);
    }

    /// `header { # note`, the body, `}`: the note after the brace, where it cannot hide it.
    pub fn noted_block(&mut self, header: &str, note: Option<&str>, body: impl FnOnce(&mut Dump)) {
        match note {
            Some(n) => self.raw(&format!("{header} {{ # {n}")),
            None => self.raw(&format!("{header} {{")),
        }
        self.indent += 1;
        body(self);
        self.indent -= 1;
        self.raw("}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_when_needed() {
        assert_eq!(word("eth0"), "eth0");
        assert_eq!(word("a b"), "\"a b\"");
        assert_eq!(word("x#y"), "\"x#y\"");
        assert_eq!(word(""), "\"\"");
    }

    #[test]
    fn zeros_a_keyword_refuses_are_comments() {
        let mut d = Dump::new();
        d.nonzero("quorum", 0u16);
        d.nonzero("quorum", 2u16);
        d.noted_block("real_server 10.0.0.1", Some("port 80"), |_| {});
        assert_eq!(
            d.finish(),
            "# quorum 0\nquorum 2\nreal_server 10.0.0.1 { # port 80\n}\n"
        );
    }

    #[test]
    fn nested_blocks_indent() {
        let mut d = Dump::new();
        d.block("vrrp_instance VI_1", |d| {
            d.kv("priority", 100);
            d.opt("interface", None::<&str>);
            d.block("virtual_ipaddress", |d| d.raw("10.0.0.1/32"));
        });
        assert_eq!(d.finish(), "vrrp_instance VI_1 {\n  priority 100\n  virtual_ipaddress {\n    10.0.0.1/32\n  }\n}\n");
    }
}
