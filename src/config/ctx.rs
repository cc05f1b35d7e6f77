//! The context every keyword builder works in: where to report, and the machine to check
//! interfaces, users and scripts against.

use super::diag::{Diagnostics, Fatal, Level, Loc};
use super::host::Host;
use super::parser::Keyword;
use super::reader::Line;

pub struct Ctx<'a> {
    diags: &'a mut Diagnostics,
    pub host: &'a dyn Host,
    /// `dynamic_interfaces`: interfaces that do not exist yet are accepted.
    pub dynamic_interfaces: bool,
    /// An interface that does not exist was named (keepalived's
    /// `non_existent_interface_specified`): the VRRP configuration cannot run.
    pub missing_interface: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(diags: &'a mut Diagnostics, host: &'a dyn Host) -> Ctx<'a> {
        Ctx {
            diags,
            host,
            dynamic_interfaces: false,
            missing_interface: false,
        }
    }

    /// keepalived's interface lookup for configured names: true if `name` exists, or may
    /// appear later under `dynamic_interfaces`; otherwise remembers that a missing interface
    /// was named. The caller reports its own warning when this is false.
    pub fn interface(&mut self, loc: Loc, name: &str) -> bool {
        if self.host.interface_exists(name) {
            return true;
        }
        if self.dynamic_interfaces {
            let msg = format!("Configuration specifies interface {name} which doesn't currently exist - will use if created");
            self.info(loc, msg);
            return true;
        }
        self.missing_interface = true;
        false
    }

    pub fn report(&mut self, loc: Loc, level: Level, msg: impl Into<String>) {
        self.diags.report(loc, level, msg);
    }

    /// keepalived's `CONFIG_GENERAL_ERROR`: wrong, but the configuration still runs.
    pub fn error(&mut self, loc: Loc, msg: impl Into<String>) {
        self.report(loc, Level::GeneralError, msg);
    }

    /// keepalived's `CONFIG_WARNING`.
    pub fn warning(&mut self, loc: Loc, msg: impl Into<String>) {
        self.report(loc, Level::Warning, msg);
    }

    /// A message that does not make the configuration wrong (keepalived's plain log lines).
    pub fn info(&mut self, loc: Loc, msg: impl Into<String>) {
        self.report(loc, Level::Info, msg);
    }

    pub fn diags(&self) -> &Diagnostics {
        self.diags
    }
}

/// keepalived's message when a keyword lacks a word it needs; keepalived exits at once (2).
/// `words` includes the keyword; `index` is the missing word's index in it.
fn missing(words: &[&str], index: usize, loc: Loc) -> Fatal {
    let first = words.first().copied().unwrap_or("***MISSING ***");
    let msg = if index > 0 && index - 1 < words.len() {
        format!(
            "*** Configuration line starting `{first}` is missing a parameter after keyword `{}` at word position {}",
            words[index - 1],
            index + 1
        )
    } else {
        format!(
            "*** Configuration line starting `{first}` is missing a parameter at word position {}",
            index + 1
        )
    };
    Fatal { loc, msg }
}

/// Argument `i` (0 = first word after the keyword) that keepalived reads unconditionally:
/// its absence is fatal.
pub fn arg(node: &Keyword, i: usize) -> Result<&str, Fatal> {
    node.arg(i).ok_or_else(|| {
        let words: Vec<&str> = std::iter::once(node.kw).chain(node.args()).collect();
        missing(&words, i + 1, node.loc)
    })
}

/// Word `i` of a value-list line (0 = its first word), fatal if absent.
pub fn word(line: &Line, i: usize) -> Result<&str, Fatal> {
    line.word(i).ok_or_else(|| {
        let words: Vec<&str> = line.words().collect();
        missing(&words, i, line.loc)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::host::FakeHost;
    use crate::config::parser::Tree;

    /// Runs `f` with a context over a fresh diagnostics list and a fake host.
    pub fn ctx_with(f: impl FnOnce(&mut Ctx)) {
        let mut d = Diagnostics::default();
        let host = FakeHost::new();
        let mut c = Ctx::new(&mut d, &host);
        f(&mut c);
    }

    #[test]
    fn missing_parameter_message_is_keepalived_s() {
        let tree = Tree::from_line("preempt_delay", "preempt_delay", Loc { file: 0, line: 7 });
        let f = arg(&tree.root().unwrap(), 0).unwrap_err();
        assert_eq!(
            f.msg,
            "*** Configuration line starting `preempt_delay` is missing a parameter after keyword `preempt_delay` at word position 2"
        );
        assert_eq!(f.loc.line, 7);
    }
}
