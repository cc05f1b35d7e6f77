//! The lines keepalived logs as it starts and stops, which log scrapers and tutorials key on.
//!
//! keepalived's version string is `Keepalived v2.2.7 (01/16,2022)`; a build from git appends
//! `, git commit ...`. keepalived-rs prints that string followed by `, keepalived-rs vX.Y.Z`,
//! the same shape: a pattern written for keepalived's lines ("Starting Keepalived v2.2.7",
//! "Stopped Keepalived v") matches ours, and the log still says what actually ran.
//!
//! Idents: "Starting", "Running on", "Command line", "Stopping", "CPU usage" and "Stopped
//! Keepalived" are the parent's (`Keepalived`); "Stopped" alone is the VRRP process's.

use ::log::info;

use crate::log::{detail, PARENT};

/// keepalived's `version_string` for the release whose behaviour keepalived-rs reproduces.
pub const KEEPALIVED_VERSION: &str = "Keepalived v2.2.7 (01/16,2022)";
/// What keepalived-rs prints where keepalived prints its version string.
pub const VERSION_STRING: &str = concat!(
    "Keepalived v2.2.7 (01/16,2022), keepalived-rs v",
    env!("CARGO_PKG_VERSION")
);

/// "Starting ...", "Running on <uname>" and the command line (`argv` with the program name).
pub fn starting(argv: &[String]) {
    info!(target: PARENT, "Starting {VERSION_STRING}");
    if let Some(u) = uname() {
        info!(target: PARENT, "Running on {u}");
    }
    for line in command_line("Command line", argv) {
        info!(target: PARENT, "{line}");
    }
}

/// SIGTERM/SIGINT received.
pub fn stopping() {
    info!(target: PARENT, "Stopping");
}

/// After the cores stopped: the VRRP process's "Stopped" (with -D, its CPU time), then the
/// parent's last lines.
pub fn stopped() {
    let (me, kids) = (usage(libc::RUSAGE_SELF), usage(libc::RUSAGE_CHILDREN));
    if detail() {
        if kids.0 != (0, 0) {
            info!(
                "Stopped - used (self/children) {}/{} user time, {}/{} system time",
                Tv(me.0),
                Tv(kids.0),
                Tv(me.1),
                Tv(kids.1)
            );
        } else {
            info!(
                "Stopped - used {} user time, {} system time",
                Tv(me.0),
                Tv(me.1)
            );
        }
        info!(
            target: PARENT,
            "CPU usage (self/children) user: {}/{} system: {}/{}",
            Tv(me.0),
            Tv(kids.0),
            Tv(me.1),
            Tv(kids.1)
        );
    } else {
        info!("Stopped");
    }
    info!(target: PARENT, "Stopped {VERSION_STRING}");
}

/// keepalived's `log_options`: the arguments quoted, in lines of at most 100 characters
/// with the label, continuation lines indented under the first one's text.
pub fn command_line(label: &str, argv: &[String]) -> Vec<String> {
    let all = argv
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let max = 100usize.saturating_sub(label.len()).max(1);
    let mut lines = Vec::new();
    let mut rest = all.as_str();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return lines;
        }
        let end = line_end(rest, max);
        let text = &rest[..end];
        lines.push(if lines.is_empty() {
            format!("{label}: {text}")
        } else {
            format!("{:w$}{text}", "", w = label.len() + 2)
        });
        rest = &rest[end..];
    }
}

/// keepalived's `get_end`: all of `s` if it fits, else up to the last space before `max`,
/// else `max` characters.
fn line_end(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    if s.as_bytes()[cut] == b' ' {
        return cut;
    }
    match s[..cut].rfind(' ') {
        Some(k) if k > 0 => k,
        _ => cut,
    }
}

fn uname() -> Option<String> {
    // SAFETY: a zeroed utsname is valid storage for uname to fill.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is valid and writable.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.version)
    ))
}

/// A timeval's (seconds, microseconds).
type Secs = (i64, i64);
/// (user, system) CPU time.
type Times = (Secs, Secs);

fn usage(who: libc::c_int) -> Times {
    // SAFETY: a zeroed rusage is valid storage for getrusage to fill.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is valid and writable; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
    if unsafe { libc::getrusage(who, &mut r) } != 0 {
        return ((0, 0), (0, 0));
    }
    // time_t and suseconds_t are narrower on some 32-bit targets.
    #[allow(clippy::useless_conversion)]
    let tv = |t: libc::timeval| (i64::from(t.tv_sec), i64::from(t.tv_usec));
    (tv(r.ru_utime), tv(r.ru_stime))
}

/// `%ld.%6.6ld`.
struct Tv(Secs);

impl std::fmt::Display for Tv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:06}", self.0 .0, self.0 .1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_string_starts_with_keepalived_s() {
        assert!(VERSION_STRING.starts_with(KEEPALIVED_VERSION));
        assert!(VERSION_STRING.ends_with(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn command_lines_wrap_as_keepalived_s() {
        // Captured from Debian's keepalived 2.2.7.
        let argv: Vec<String> = [
            "keepalived",
            "-P",
            "-n",
            "-l",
            "-D",
            "-G",
            "-f",
            "/tmp/ka-evref/ka.conf",
            "-p",
            "/tmp/ka-evref/out1/k.pid",
            "-r",
            "/tmp/ka-evref/out1/kv.pid",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            command_line("Command line", &argv),
            [
                "Command line: 'keepalived' '-P' '-n' '-l' '-D' '-G' '-f' '/tmp/ka-evref/ka.conf' '-p'",
                "              '/tmp/ka-evref/out1/k.pid' '-r' '/tmp/ka-evref/out1/kv.pid'",
            ]
        );
        assert_eq!(command_line("Command line", &[]), Vec::<String>::new());
    }

    #[test]
    fn cpu_times_print_with_six_digit_microseconds() {
        assert_eq!(Tv((0, 1399)).to_string(), "0.001399");
    }
}
