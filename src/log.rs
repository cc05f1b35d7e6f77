//! keepalived's logging: syslog (facility from `-S`, off with `-G`) and, with `-l` in the
//! foreground, the console, in keepalived's formats; `-D` lets the detail lines through.
//!
//! Every module logs with the `log` crate's macros; this is the one `log::Log`. Lines are
//! formatted into fixed buffers (no allocation per line) and sent as one datagram each to
//! `/dev/log` without blocking: a line syslog cannot take at once is counted and dropped,
//! never waited for (the loop must not stall behind a slow journal).
//!
//! Idents: keepalived's parent logs as `Keepalived` and its VRRP child as `Keepalived_vrrp`.
//! keepalived-rs is one process, but log readers key on those idents: lines logged with
//! target [`PARENT`] (the lifecycle lines: "Starting ...", "Stopped ...") carry `Keepalived`,
//! every other line carries `Keepalived_vrrp`, as the same line would under keepalived. Both
//! carry our pid.
//!
//! The syslog datagram is what glibc's and musl's `syslog()` send on a local socket (which
//! keepalived calls): `<PRI>Mmm dd hh:mm:ss IDENT[PID]: text`, local time, no host name.
//! The console line is keepalived's `strftime("%c")` stamp (C locale), `": "` and the text.

use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::cli;
use crate::limits::MAX_LOG_LINE;
use crate::vrrp::msg::{Msg, Names};

/// The `log` target of lines keepalived's parent process logs (ident `Keepalived`).
pub const PARENT: &str = "Keepalived";
/// The ident of every other line: keepalived's VRRP process.
pub const VRRP_IDENT: &str = "Keepalived_vrrp";

/// Where lines go, from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-l` and `-n`: keepalived prints to the console only when it does not fork.
    pub console: bool,
    /// `-D`.
    pub detail: bool,
    /// Not `-G`.
    pub syslog: bool,
    /// `-S`, a `LOG_*` facility value.
    pub facility: i32,
    /// The syslog socket (`/dev/log`; tests point it elsewhere).
    pub socket: PathBuf,
}

impl Options {
    pub fn from_cli(o: &cli::Options) -> Options {
        Options {
            console: o.log_console && o.dont_fork,
            detail: o.log_detail,
            syslog: !o.no_syslog,
            facility: o.log_facility,
            socket: PathBuf::from("/dev/log"),
        }
    }
}

/// Room for the syslog header before the text.
const HEADER: usize = 96;

struct Sink {
    opts: Options,
    sock: Option<UnixDatagram>,
    /// When the last attempt to reach syslog failed (retried at most once a second).
    failed_at: Option<i64>,
    text: [u8; MAX_LOG_LINE],
    out: [u8; HEADER + MAX_LOG_LINE + 1],
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);
static DETAIL: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicU64 = AtomicU64::new(0);

struct Logger;
static LOGGER: Logger = Logger;

/// Installs the logger, or changes where it writes. Until then nothing is printed.
pub fn init(opts: Options) {
    // Only the first call installs; later ones just replace the options below.
    let _ = ::log::set_logger(&LOGGER);
    ::log::set_max_level(::log::LevelFilter::Debug);
    DETAIL.store(opts.detail, Ordering::Relaxed);
    let mut sink = SINK.lock().unwrap_or_else(|p| p.into_inner());
    *sink = Some(Sink {
        sock: None,
        failed_at: None,
        opts,
        text: [0; MAX_LOG_LINE],
        out: [0; HEADER + MAX_LOG_LINE + 1],
    });
}

/// `-D`: keepalived's `LOG_DETAIL` lines are wanted.
pub fn detail() -> bool {
    DETAIL.load(Ordering::Relaxed)
}

/// Lines syslog could not take (full socket buffer, no syslog daemon).
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// A line of the VRRP core, unless keepalived prints it only with `-D` and `-D` is off.
pub fn msg<N: Names + ?Sized>(m: &Msg, names: &N) {
    if !m.detail() || detail() {
        ::log::info!("{}", m.show(names));
    }
}

impl ::log::Log for Logger {
    fn enabled(&self, meta: &::log::Metadata<'_>) -> bool {
        meta.level() <= ::log::Level::Debug
    }

    fn log(&self, record: &::log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut guard = SINK.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sink) = guard.as_mut() {
            let ident = if record.target() == PARENT {
                PARENT
            } else {
                VRRP_IDENT
            };
            sink.line(severity(record.level()), ident, record.args());
        }
    }

    fn flush(&self) {}
}

fn severity(l: ::log::Level) -> i32 {
    match l {
        ::log::Level::Error => libc::LOG_ERR,
        ::log::Level::Warn => libc::LOG_WARNING,
        ::log::Level::Info => libc::LOG_INFO,
        ::log::Level::Debug | ::log::Level::Trace => libc::LOG_DEBUG,
    }
}

impl Sink {
    fn line(&mut self, severity: i32, ident: &str, args: &fmt::Arguments<'_>) {
        let n = {
            let mut w = Cursor::new(&mut self.text);
            let _ = w.write_fmt(*args);
            w.len
        };
        let (secs, _) = crate::event::wall();
        let tm = local_time(secs);
        if self.opts.console {
            let mut w = Cursor::new(&mut self.out);
            let _ = write!(w, "{}: ", Ctime { secs, micros: None });
            w.put(&self.text[..n]);
            w.put(b"\n");
            let len = w.len;
            let _ = io::stderr().write_all(&self.out[..len]);
        }
        if self.opts.syslog {
            // SAFETY: getpid has no preconditions (read per line: correct after a fork).
            let pid = unsafe { libc::getpid() };
            let pri = self.opts.facility | severity;
            let mut w = Cursor::new(&mut self.out);
            let _ = write!(w, "<{pri}>{} {ident}[{pid}]: ", SyslogStamp(&tm));
            w.put(&self.text[..n]);
            let len = w.len;
            self.send(len, secs);
        }
    }

    /// Sends `out[..len]` as one datagram; reconnects once if syslog went away.
    fn send(&mut self, len: usize, now: i64) {
        for _ in 0..2 {
            if self.sock.is_none() {
                if self.failed_at.is_some_and(|t| now - t < 1) {
                    break;
                }
                match connect(&self.opts.socket) {
                    Ok(s) => self.sock = Some(s),
                    Err(_) => {
                        self.failed_at = Some(now);
                        break;
                    }
                }
            }
            let Some(sock) = &self.sock else { break };
            match sock.send(&self.out[..len]) {
                Ok(_) => return,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // The daemon restarted (or a new one took the path): reconnect.
                Err(_) => self.sock = None,
            }
        }
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

fn connect(path: &Path) -> io::Result<UnixDatagram> {
    let s = UnixDatagram::unbound()?;
    s.set_nonblocking(true)?;
    s.connect(path)?;
    Ok(s)
}

/// Writes into a fixed buffer; what does not fit is cut at a character boundary.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a mut [u8]) -> Cursor<'a> {
        Cursor { buf, len: 0 }
    }

    fn put(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.put(&s.as_bytes()[..n]);
        if n < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

fn local_time(secs: i64) -> libc::tm {
    // SAFETY: a zeroed tm is valid storage; localtime_r writes it and reads `t`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // time_t, whose name musl's libc deprecates.
    let t = secs as _;
    // SAFETY: both pointers are valid for the call.
    unsafe { libc::localtime_r(&t, &mut tm) };
    tm
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn name(list: &[&'static str], k: i32) -> &'static str {
    usize::try_from(k)
        .ok()
        .and_then(|k| list.get(k))
        .copied()
        .unwrap_or("???")
}

/// syslog's `%b %e %T`: `Nov  3 07:13:10`.
struct SyslogStamp<'a>(&'a libc::tm);

impl fmt::Display for SyslogStamp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{} {:2} {:02}:{:02}:{:02}",
            name(&MONTHS, t.tm_mon),
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
            t.tm_sec
        )
    }
}

/// `%c` in the C locale (`Mon Nov  3 07:13:10 2026`), or with `.micros` after the seconds
/// as keepalived's `ctime_us_r` prints timers in its data dump.
pub(crate) struct Ctime {
    pub secs: i64,
    pub micros: Option<u32>,
}

impl fmt::Display for Ctime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        CtimeTm(&local_time(self.secs), self.micros).fmt(f)
    }
}

struct CtimeTm<'a>(&'a libc::tm, Option<u32>);

impl fmt::Display for CtimeTm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(f, "{} {}", name(&DAYS, t.tm_wday), SyslogStamp(t))?;
        if let Some(us) = self.1 {
            write!(f, ".{us:06}")?;
        }
        write!(f, " {:04}", i64::from(t.tm_year) + 1900)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm() -> libc::tm {
        // SAFETY: a zeroed tm is a valid value.
        let mut t: libc::tm = unsafe { std::mem::zeroed() };
        t.tm_year = 126;
        t.tm_mon = 10;
        t.tm_mday = 3;
        t.tm_wday = 2;
        t.tm_hour = 7;
        t.tm_min = 13;
        t.tm_sec = 9;
        t
    }

    #[test]
    fn stamps_are_syslog_s_and_strftime_c_s() {
        assert_eq!(SyslogStamp(&tm()).to_string(), "Nov  3 07:13:09");
        assert_eq!(CtimeTm(&tm(), None).to_string(), "Tue Nov  3 07:13:09 2026");
        assert_eq!(
            CtimeTm(&tm(), Some(42)).to_string(),
            "Tue Nov  3 07:13:09.000042 2026"
        );
    }

    #[test]
    fn long_lines_are_cut_at_a_character_boundary() {
        let mut buf = [0u8; 5];
        let mut w = Cursor::new(&mut buf);
        assert!(write!(w, "abcé€").is_err());
        let n = w.len;
        assert_eq!(&buf[..n], "abcé".as_bytes());
    }

    #[test]
    fn options_follow_keepalived_s_command_line() {
        let mut o = cli::Options {
            log_console: true,
            ..Default::default()
        };
        assert!(
            !Options::from_cli(&o).console,
            "-l without -n prints nothing"
        );
        o.dont_fork = true;
        o.no_syslog = true;
        let l = Options::from_cli(&o);
        assert!(l.console && !l.syslog && !l.detail);
        assert_eq!(l.facility, libc::LOG_DAEMON);
    }
}
