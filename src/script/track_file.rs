//! Tracked files (`track_file`) as keepalived watches them (`track_file.c`): one inotify
//! descriptor, a watch on each file's directory (`IN_CLOSE_WRITE | IN_DELETE | IN_MOVE`), so
//! a file that does not exist yet, or is replaced by a rename, is still seen.
//!
//! A file's value is what `strtol(text, NULL, 0)` makes of its first 127 bytes: leading
//! space, a sign, `0x` hex or `0` octal, garbage after the number ignored, no number at all
//! 0. A missing or unreadable file is 0, and so is a file deleted or moved away. A number
//! beyond the 32-bit range (keepalived accepts up to `INT32_MAX + 1`) is logged and ignored.
//!
//! `init_file` is carried out first, at start-up, as keepalived does when it reads the
//! block: the file is written (`VALUE\n`) when it is missing, or always with `overwrite`
//! (never over something that is not a regular file, never on a reload).
//!
//! The runtime polls [`TrackFiles::fd`] for input and calls [`TrackFiles::on_readable`];
//! each [`FileEvent::Value`] goes to `Router::file_value`. Nothing is allocated after
//! [`TrackFiles::new`].

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use super::os::{self, Errno};
use crate::config::model::vrrp::Vrrp;
use crate::vrrp::action::FileId;

/// Bytes of a tracked file read, as keepalived (`char buf[128]`, one kept for the NUL).
const READ_MAX: usize = 127;
/// The inotify read buffer: many events at a time, each at most a header and NAME_MAX + 1.
const EVENT_BUF: usize = 16 * (std::mem::size_of::<libc::inotify_event>() + 256);
const WATCH_MASK: u32 = libc::IN_CLOSE_WRITE | libc::IN_DELETE | libc::IN_MOVE;

/// What a tracked file did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileEvent {
    /// Its value changed: `Router::file_value`.
    Value(FileId, i64),
    /// It holds a number keepalived refuses ("Invalid number ... - ignoring"): the value
    /// stays as it was.
    Invalid(FileId, i64),
}

struct Watched {
    id: FileId,
    /// The resolved path (the directory resolved when the file does not exist).
    path: CString,
    /// Where the file's name begins in `path`.
    name_at: usize,
    wd: i32,
    value: i64,
}

impl Watched {
    fn name(&self) -> &[u8] {
        self.path.as_bytes().get(self.name_at..).unwrap_or_default()
    }
}

pub struct TrackFiles {
    inotify: Option<OwnedFd>,
    files: Vec<Watched>,
    buf: Box<[u8]>,
}

/// Start-up problems, as keepalived logs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartMsg {
    /// `init_file` could not write the file.
    CannotInitialise(String),
    /// Neither the file nor its directory resolves.
    NoDirectory(String),
    /// inotify could not be set up.
    CannotMonitor,
    /// A watch could not be added on the file's directory.
    CannotWatch(String, Errno),
}

impl fmt::Display for StartMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartMsg::CannotInitialise(n) => write!(f, "Unable to initialise track file {n}"),
            StartMsg::NoDirectory(n) => {
                write!(f, "Track file directory for {n} does not exist - removing")
            }
            StartMsg::CannotMonitor => f.write_str("Unable to monitor track files"),
            StartMsg::CannotWatch(n, e) => write!(f, "Unable to watch track file {n}: {e}"),
        }
    }
}

/// A log line of [`TrackFiles::show`].
pub struct Show<'a>(Option<(i64, &'a str)>);

impl fmt::Display for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((v, path)) => write!(f, "Invalid number {v} read from {path} - ignoring"),
            None => Ok(()),
        }
    }
}

impl TrackFiles {
    /// Writes `init_file`s (not on a `reload`), resolves every tracked file, adds the
    /// watches and reads the files that exist. The values read are in [`Self::values`]
    /// (give them to the core before `Router::start`). A file whose directory does not
    /// resolve is not watched and stays 0.
    pub fn new(vrrp: &Vrrp, reload: bool) -> (TrackFiles, Vec<StartMsg>) {
        let mut log = Vec::new();
        let mut t = TrackFiles {
            inotify: None,
            files: Vec::with_capacity(vrrp.track_files.len()),
            buf: vec![0u8; EVENT_BUF].into_boxed_slice(),
        };
        for (i, tf) in vrrp.track_files.iter().enumerate() {
            let Ok(id) = u16::try_from(i) else {
                break;
            };
            if let Some(init) = tf.init {
                if !init_file(&tf.path, init.value, init.overwrite, reload) {
                    log.push(StartMsg::CannotInitialise(tf.name.clone()));
                }
            }
            let Some((path, name_at)) = resolve(&tf.path) else {
                log.push(StartMsg::NoDirectory(tf.name.clone()));
                continue;
            };
            if t.inotify.is_none() {
                // SAFETY: inotify_init1 has no memory preconditions.
                let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
                if fd < 0 {
                    log.push(StartMsg::CannotMonitor);
                    break;
                }
                // SAFETY: just created, owned by nobody else.
                t.inotify = os::above_stderr(unsafe { OwnedFd::from_raw_fd(fd) }).ok();
                if t.inotify.is_none() {
                    log.push(StartMsg::CannotMonitor);
                    break;
                }
            }
            let wd = match (&t.inotify, dir_of(&path, name_at)) {
                (Some(fd), Some(dir)) => {
                    // SAFETY: `dir` is NUL-terminated; the mask is a plain value.
                    let wd = unsafe {
                        libc::inotify_add_watch(fd.as_raw_fd(), dir.as_ptr(), WATCH_MASK)
                    };
                    if wd < 0 {
                        log.push(StartMsg::CannotWatch(tf.name.clone(), Errno::last()));
                    }
                    wd
                }
                _ => -1,
            };
            let mut w = Watched {
                id: FileId(id),
                path,
                name_at,
                wd,
                value: 0,
            };
            if let Ok(v) = read_value(&w.path) {
                w.value = v;
            }
            t.files.push(w);
        }
        (t, log)
    }

    /// The descriptor to poll for input; None when no file is watched.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(|f| f.as_fd())
    }

    /// Every watched file's current value (its start-up value until events come).
    pub fn values(&self) -> impl Iterator<Item = (FileId, i64)> + '_ {
        self.files.iter().map(|w| (w.id, w.value))
    }

    /// The path watched for `id`, for log lines.
    pub fn path(&self, id: FileId) -> Option<&str> {
        let w = self.files.iter().find(|w| w.id == id)?;
        w.path.to_str().ok()
    }

    /// keepalived's log line for an [`FileEvent::Invalid`] (nothing for a value).
    pub fn show(&self, e: FileEvent) -> Show<'_> {
        match e {
            FileEvent::Invalid(id, value) => Show(Some((value, self.path(id).unwrap_or("")))),
            FileEvent::Value(..) => Show(None),
        }
    }

    /// Drains the inotify descriptor (to EAGAIN) and reports every value that changed.
    pub fn on_readable(&mut self, mut f: impl FnMut(FileEvent)) {
        let Some(fd) = self.inotify.as_ref() else {
            return;
        };
        loop {
            let n = match os::read(fd, &mut self.buf) {
                Ok(n) if n > 0 => n,
                _ => return,
            };
            let mut at = 0;
            let head = std::mem::size_of::<libc::inotify_event>();
            while at + head <= n {
                // SAFETY: the kernel wrote a whole event header at `at`; read_unaligned
                // copies it out whatever the buffer's alignment.
                let ev: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(self.buf[at..].as_ptr().cast()) };
                let name_end = (at + head + ev.len as usize).min(n);
                let raw = &self.buf[at + head..name_end];
                let name = CStr::from_bytes_until_nul(raw).map_or(raw, CStr::to_bytes);
                at = name_end;
                if ev.mask & libc::IN_Q_OVERFLOW != 0 {
                    // Events were lost: read every file again.
                    for w in &mut self.files {
                        let v = read_value(&w.path);
                        update(w, v, &mut f);
                    }
                    continue;
                }
                if ev.mask & libc::IN_ISDIR != 0 || ev.mask & WATCH_MASK == 0 {
                    continue;
                }
                for w in &mut self.files {
                    if w.wd != ev.wd || w.name() != name {
                        continue;
                    }
                    let v = if ev.mask & (libc::IN_MOVED_FROM | libc::IN_DELETE) != 0 {
                        Ok(0)
                    } else {
                        read_value(&w.path)
                    };
                    update(w, v, &mut f);
                }
            }
        }
    }
}

fn update(w: &mut Watched, v: Result<i64, i64>, f: &mut impl FnMut(FileEvent)) {
    match v {
        Ok(v) if v != w.value => {
            w.value = v;
            f(FileEvent::Value(w.id, v));
        }
        Ok(_) => {}
        Err(bad) => f(FileEvent::Invalid(w.id, bad)),
    }
}

/// The resolved path and where its last component begins: the file's own real path, or
/// its directory's with the name appended when it does not exist (keepalived's
/// `init_track_files`).
fn resolve(path: &str) -> Option<(CString, usize)> {
    let full = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (dir, name) = match path.rfind('/') {
                Some(0) => ("/", &path[1..]),
                Some(i) => (&path[..i], &path[i + 1..]),
                None => (".", path),
            };
            let d = std::fs::canonicalize(dir).ok()?;
            if !std::fs::metadata(&d).ok()?.is_dir() {
                return None;
            }
            d.join(name)
        }
        Err(_) => return None,
    };
    let bytes = full.as_os_str().as_bytes();
    let name_at = bytes.iter().rposition(|&b| b == b'/')? + 1;
    Some((CString::new(bytes).ok()?, name_at))
}

/// The directory part of a resolved path (`/` for a file at the root).
fn dir_of(path: &CStr, name_at: usize) -> Option<CString> {
    let b = path.to_bytes();
    let end = if name_at <= 1 { 1 } else { name_at - 1 };
    CString::new(b.get(..end)?).ok()
}

/// keepalived's `init_file`: true unless a write was due and failed.
fn init_file(path: &str, value: i32, overwrite: bool, reload: bool) -> bool {
    if let Ok(m) = std::fs::metadata(path) {
        if !overwrite || !m.is_file() || reload {
            return true;
        }
    }
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    match file {
        Ok(mut f) => writeln!(f, "{value}").is_ok(),
        Err(_) => false,
    }
}

/// A file's value: Ok(0) when it cannot be read, Err(n) for a number keepalived refuses.
fn read_value(path: &CStr) -> Result<i64, i64> {
    let Ok(fd) = os::open(path, libc::O_RDONLY | libc::O_NONBLOCK) else {
        return Ok(0);
    };
    let mut buf = [0u8; READ_MAX];
    match os::read(&fd, &mut buf) {
        Ok(n) if n > 0 => parse(&buf[..n]),
        _ => Ok(0),
    }
}

/// `strtol(text, NULL, 0)` with keepalived's range check: Err for an overflow or a value
/// outside `INT32_MIN ..= INT32_MAX + 1`, carrying what strtol returned.
pub fn parse(text: &[u8]) -> Result<i64, i64> {
    let mut i = 0;
    while text
        .get(i)
        .is_some_and(|&c| c == b' ' || (b'\t'..=b'\r').contains(&c))
    {
        i += 1;
    }
    let neg = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let is_hex_digit = |c: Option<&u8>| c.is_some_and(u8::is_ascii_hexdigit);
    let radix: u32 = if text.get(i) == Some(&b'0')
        && matches!(text.get(i + 1), Some(b'x' | b'X'))
        && is_hex_digit(text.get(i + 2))
    {
        i += 2;
        16
    } else if text.get(i) == Some(&b'0') {
        8
    } else {
        10
    };
    // Accumulate the magnitude as u64 (LONG_MIN's magnitude fits), noting overflow.
    let mut mag: u64 = 0;
    let mut overflow = false;
    while let Some(d) = text.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        match mag
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) => mag = m,
            None => overflow = true,
        }
        i += 1;
    }
    let limit = if neg {
        i64::MIN.unsigned_abs()
    } else {
        i64::MAX as u64
    };
    if overflow || mag > limit {
        return Err(if neg { i64::MIN } else { i64::MAX });
    }
    let v = if neg {
        0i64.wrapping_sub_unsigned(mag)
    } else {
        mag as i64
    };
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) + 1 {
        return Err(v);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_strtol_reads_them() {
        assert_eq!(parse(b"42\n"), Ok(42));
        assert_eq!(parse(b"  \t-7 apples"), Ok(-7));
        assert_eq!(parse(b"+5"), Ok(5));
        assert_eq!(parse(b"0x1F"), Ok(31));
        assert_eq!(parse(b"0X1f"), Ok(31));
        assert_eq!(parse(b"010"), Ok(8));
        assert_eq!(parse(b"08"), Ok(0));
        assert_eq!(parse(b"0x"), Ok(0));
        assert_eq!(parse(b"0xg"), Ok(0));
        assert_eq!(parse(b"abc"), Ok(0));
        assert_eq!(parse(b""), Ok(0));
        assert_eq!(parse(b"-"), Ok(0));
        assert_eq!(parse(b"2147483648"), Ok(2_147_483_648));
        assert_eq!(parse(b"-2147483648"), Ok(-2_147_483_648));
        assert_eq!(parse(b"2147483649"), Err(2_147_483_649));
        assert_eq!(parse(b"-2147483649"), Err(-2_147_483_649));
        assert_eq!(parse(b"99999999999999999999"), Err(i64::MAX));
        assert_eq!(parse(b"-99999999999999999999"), Err(i64::MIN));
    }

    #[test]
    fn the_directory_of_a_resolved_path() {
        let p = CString::new("/a/b/c").unwrap();
        assert_eq!(dir_of(&p, 5).unwrap().as_bytes(), b"/a/b");
        let p = CString::new("/c").unwrap();
        assert_eq!(dir_of(&p, 1).unwrap().as_bytes(), b"/");
    }
}
