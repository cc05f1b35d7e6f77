//! A script ready to run: its words (after the security check the first is the resolved
//! path), how keepalived starts it, and who it runs as. Built once at start-up; a run only
//! adds a [`Tail`] (the state word and priority of a `notify` call).

use std::fmt;

use crate::config::model::script::{Run, Script};
use crate::vrrp::action::NotifyState;

/// How keepalived starts a checked script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `execve()` of the path with the words as argv.
    Exec,
    /// `/bin/sh -c` with every word single-quoted (keepalived's `system(cmd_str())`).
    Shell,
}

/// The words a run appends after the command's own: keepalived's generic `notify` script
/// gets `STATE PRIORITY` after `INSTANCE|GROUP NAME` (fixed at start-up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tail {
    #[default]
    None,
    Notify {
        state: NotifyState,
        priority: u8,
    },
}

/// The most bytes a [`Tail`] adds to a command line, quoted and NUL-terminated.
pub const TAIL_MAX_BYTES: usize = 2 * 3 + "DELETED".len() + "255".len() + 2;

impl Tail {
    /// The appended words: at most two, the priority written into `digits`.
    pub fn words<'a>(&self, digits: &'a mut [u8; 3]) -> ([&'a str; 2], usize) {
        match *self {
            Tail::None => (["", ""], 0),
            Tail::Notify { state, priority } => ([state.word(), decimal(priority, digits)], 2),
        }
    }
}

/// `n` in decimal without allocating.
pub fn decimal(n: u8, buf: &mut [u8; 3]) -> &str {
    let mut start = buf.len();
    let mut v = n;
    loop {
        start -= 1;
        buf[start] = b'0' + v % 10;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or("0")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    words: Box<[Box<str>]>,
    pub mode: Mode,
    pub uid: u32,
    pub gid: u32,
}

impl Command {
    /// The command keepalived would run for `script`, with `fixed` words appended (the
    /// FIFO path of a FIFO reader, `INSTANCE NAME` of a generic notify script). None when
    /// it must not run: disabled by the security check, never checked, or holding a NUL
    /// byte, which no argv can carry.
    pub fn new(script: &Script, fixed: &[&str]) -> Option<Command> {
        let mode = match script.run {
            Run::Exec => Mode::Exec,
            Run::Shell => Mode::Shell,
            Run::Disabled | Run::Unchecked => return None,
        };
        let words: Box<[Box<str>]> = script
            .args
            .iter()
            .map(String::as_str)
            .chain(fixed.iter().copied())
            .map(Box::from)
            .collect();
        if words.is_empty() || words.iter().any(|w| w.contains('\0')) {
            return None;
        }
        Some(Command {
            words,
            mode,
            uid: script.user.uid,
            gid: script.user.gid,
        })
    }

    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|w| &**w)
    }

    /// The program: the resolved path keepalived passes to `execve()` (also argv[0]).
    pub fn program(&self) -> &str {
        self.words.first().map_or("", |w| w)
    }

    /// keepalived's `cmd_str()` with `tail`: the shell command line, and how scripts are
    /// named in messages.
    pub fn line(&self, tail: Tail) -> Line<'_> {
        Line { cmd: self, tail }
    }

    /// Bytes and pointers the argv of a run needs at most (any tail), NUL terminators and
    /// the final null pointer included.
    pub fn argv_size(&self) -> (usize, usize) {
        let words: usize = self.words.iter().map(|w| w.len() + 1).sum();
        match self.mode {
            Mode::Exec => (words + TAIL_MAX_BYTES, self.words.len() + 3),
            // "sh", "-c" and the line, where each word gains two quotes.
            Mode::Shell => {
                let sh: usize = SHELL_ARGS.iter().map(|a| a.len() + 1).sum();
                (sh + words + 2 * self.words.len() + TAIL_MAX_BYTES, 4)
            }
        }
    }
}

/// `/bin/sh`, as `system()` runs it.
pub const SHELL: &[u8] = b"/bin/sh\0";
/// The shell's argv before the command line.
pub const SHELL_ARGS: [&[u8]; 2] = [b"sh", b"-c"];

/// A command line as keepalived's `cmd_str()` writes it (see [`Command::line`]).
pub struct Line<'a> {
    cmd: &'a Command,
    tail: Tail,
}

impl Line<'_> {
    /// Each word in single quotes, except a first word that is a redirection (`<` or `>`),
    /// which must stay bare for the shell to test a file. Quotes inside words are not
    /// escaped, as keepalived does not escape them.
    pub fn write_to(&self, w: &mut impl fmt::Write) -> fmt::Result {
        let mut digits = [0u8; 3];
        let (tail, n) = self.tail.words(&mut digits);
        let words = self.cmd.words().chain(tail[..n].iter().copied());
        for (i, word) in words.enumerate() {
            if i > 0 {
                w.write_char(' ')?;
            }
            if i == 0 && (word.starts_with('<') || word.starts_with('>')) {
                w.write_str(word)?;
            } else {
                w.write_char('\'')?;
                w.write_str(word)?;
                w.write_char('\'')?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diag::Loc;
    use crate::config::host::User;
    use crate::config::model::script::Kind;

    fn script(args: &[&str], run: Run) -> Script {
        let mut s = Script::new(
            args.iter().map(|a| a.to_string()).collect(),
            User { uid: 1, gid: 2 },
            Loc::default(),
            Kind::Notify,
        );
        s.run = run;
        s
    }

    #[test]
    fn only_checked_runnable_scripts_make_commands() {
        assert!(Command::new(&script(&["/x"], Run::Disabled), &[]).is_none());
        assert!(Command::new(&script(&["/x"], Run::Unchecked), &[]).is_none());
        assert!(Command::new(&script(&["/x\0y"], Run::Exec), &[]).is_none());
        let c = Command::new(&script(&["/x", "a"], Run::Shell), &["/fifo"]).unwrap();
        assert_eq!(c.words().collect::<Vec<_>>(), ["/x", "a", "/fifo"]);
        assert_eq!((c.uid, c.gid, c.mode), (1, 2, Mode::Shell));
    }

    #[test]
    fn command_line_quotes_every_word_but_a_leading_redirection() {
        let c = Command::new(&script(&["/n.sh", "a b"], Run::Exec), &["INSTANCE", "VI_1"]).unwrap();
        let tail = Tail::Notify {
            state: NotifyState::Master,
            priority: 100,
        };
        assert_eq!(
            c.line(tail).to_string(),
            "'/n.sh' 'a b' 'INSTANCE' 'VI_1' 'MASTER' '100'"
        );
        let c = Command::new(&script(&["</dev/tcp/127.0.0.1/80"], Run::Shell), &[]).unwrap();
        assert_eq!(c.line(Tail::None).to_string(), "</dev/tcp/127.0.0.1/80");
        let c = Command::new(&script(&["/it's"], Run::Shell), &[]).unwrap();
        assert_eq!(c.line(Tail::None).to_string(), "'/it's'");
    }

    #[test]
    fn priorities_in_decimal() {
        let mut b = [0u8; 3];
        assert_eq!(decimal(0, &mut b), "0");
        assert_eq!(decimal(7, &mut b), "7");
        assert_eq!(decimal(100, &mut b), "100");
        assert_eq!(decimal(255, &mut b), "255");
    }

    #[test]
    fn argv_size_covers_the_longest_tail() {
        let c = Command::new(&script(&["/n.sh", "x"], Run::Shell), &["GROUP", "G"]).unwrap();
        let tail = Tail::Notify {
            state: NotifyState::Deleted,
            priority: 255,
        };
        let line = c.line(tail).to_string();
        let (bytes, words) = c.argv_size();
        assert!(bytes > "sh -c ".len() + line.len());
        assert_eq!(words, 4);
        let c = Command::new(&script(&["/n.sh", "x"], Run::Exec), &["GROUP", "G"]).unwrap();
        let (bytes, words) = c.argv_size();
        assert!(bytes >= "/n.sh x GROUP G DELETED 255 ".len());
        assert_eq!(words, 7);
    }
}
