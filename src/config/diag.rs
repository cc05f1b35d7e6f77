//! Configuration diagnostics: where (`file:line`), how bad (keepalived's error classes) and what.
//!
//! keepalived keeps the "worst" error class seen while reading a configuration and maps it to
//! the exit status of `-t`. Its classes are an ordered enum and the status only ever moves to a
//! *higher* enum value, so a later warning can mask an earlier "cannot run" class. We keep the
//! same classes and the same rule, so `keepalived-rs -t` exits exactly as keepalived 2.2.7 does.

use std::fmt;

/// keepalived's `config_err_t`, in its order. [`Level::Info`] never changes the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A message that does not make the configuration wrong (keepalived's `CONFIG_OK`/log lines,
    /// and our own "not supported" notices).
    Info,
    FileNotFound,
    BadIf,
    Fatal,
    MultipleFiles,
    UnknownKeyword,
    UnexpectedBob,
    MissingBob,
    UnexpectedEob,
    MissingEob,
    UnmatchedQuote,
    MissingParameter,
    InvalidNumber,
    GeneralError,
    Warning,
    Deprecated,
    SecurityError,
}

/// A position in the configuration: an index into [`Diagnostics::files`] and a 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Loc {
    pub file: u32,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub loc: Loc,
    pub level: Level,
    pub msg: String,
}

/// `-t` exit codes of keepalived 2.2.7 (`enum chk_exit_code` and `KEEPALIVED_EXIT_*`).
pub mod exit {
    pub const OK: i32 = 0;
    pub const FATAL: i32 = 1;
    /// A missing mandatory parameter stops keepalived at once with KEEPALIVED_EXIT_CONFIG.
    pub const CONFIG: i32 = 2;
    /// The configuration cannot be run (file not found, bad interface, fatal).
    pub const CHECK_CANNOT_RUN: i32 = 4;
    /// Errors were found but the configuration would run.
    pub const CHECK_ERRORS: i32 = 5;
    /// Scripts would run without `enable_script_security`; also keepalived's NO_CONFIG, which
    /// `-t` returns when an include required by `include_check`/`-e` is missing.
    pub const CHECK_SECURITY: i32 = 6;
}

/// Collects every diagnostic of one configuration load, with the table of file names.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub files: Vec<String>,
    pub list: Vec<Diagnostic>,
    worst: Option<Level>,
    /// An include required by `include_check`/`-e` was missing or unreadable.
    pub file_error: bool,
}

impl Diagnostics {
    pub fn report(&mut self, loc: Loc, level: Level, msg: impl Into<String>) {
        if level != Level::Info {
            self.worst = Some(self.worst.map_or(level, |w| w.max(level)));
        }
        self.list.push(Diagnostic {
            loc,
            level,
            msg: msg.into(),
        });
    }

    /// The highest class reported, keepalived's rule for the `-t` status.
    pub fn worst(&self) -> Option<Level> {
        self.worst
    }

    pub fn file_name(&self, loc: Loc) -> &str {
        self.files
            .get(loc.file as usize)
            .map_or("?", String::as_str)
    }

    /// The `-t` exit status for what was reported so far.
    pub fn exit_code(&self) -> i32 {
        if self.file_error {
            return exit::CHECK_SECURITY;
        }
        match self.worst {
            None => exit::OK,
            Some(Level::FileNotFound | Level::BadIf | Level::Fatal) => exit::CHECK_CANNOT_RUN,
            Some(Level::SecurityError) => exit::CHECK_SECURITY,
            Some(_) => exit::CHECK_ERRORS,
        }
    }

    /// One diagnostic as `file:line: message`.
    pub fn render(&self, d: &Diagnostic) -> String {
        format!("{}:{}: {}", self.file_name(d.loc), d.loc.line, d.msg)
    }

    pub fn rendered(&self) -> impl Iterator<Item = String> + '_ {
        self.list.iter().map(|d| self.render(d))
    }
}

/// A fatal configuration error: keepalived stops reading at once (exit status 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fatal {
    pub loc: Loc,
    pub msg: String,
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_level_follows_keepalived_enum_order() {
        let mut d = Diagnostics::default();
        assert_eq!(d.exit_code(), 0);
        d.report(Loc::default(), Level::Info, "note");
        assert_eq!(d.exit_code(), 0);
        d.report(Loc::default(), Level::BadIf, "bad interface");
        assert_eq!(d.exit_code(), 4);
        // keepalived keeps the larger enum value, so a later warning turns 4 into 5.
        d.report(Loc::default(), Level::Warning, "warning");
        assert_eq!(d.exit_code(), 5);
        d.report(Loc::default(), Level::Fatal, "fatal");
        assert_eq!(d.exit_code(), 5);
        d.report(Loc::default(), Level::SecurityError, "security");
        assert_eq!(d.exit_code(), 6);
    }

    #[test]
    fn renders_file_and_line() {
        let mut d = Diagnostics {
            files: vec!["/etc/k.conf".into()],
            ..Default::default()
        };
        d.report(
            Loc { file: 0, line: 12 },
            Level::UnknownKeyword,
            "Unknown keyword 'x'",
        );
        assert_eq!(
            d.rendered().next().unwrap(),
            "/etc/k.conf:12: Unknown keyword 'x'"
        );
    }
}
