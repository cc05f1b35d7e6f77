//! The few libc calls the script module shares, wrapped once: errno and its text, opening
//! and reading small files without allocating.

use std::ffi::CStr;
use std::fmt;
use std::os::fd::{FromRawFd, OwnedFd};

/// The calling thread's errno.
pub fn errno() -> i32 {
    // SAFETY: __errno_location returns the thread's errno slot, valid for the thread's life.
    unsafe { *libc::__errno_location() }
}

/// An errno value; `Display` gives the C library's text, as keepalived's `%m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub fn last() -> Errno {
        Errno(errno())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 128];
        // SAFETY: the buffer is valid for its length; the XSI strerror_r NUL-terminates
        // within it on success.
        let rc = unsafe { libc::strerror_r(self.0, buf.as_mut_ptr().cast(), buf.len()) };
        let text = CStr::from_bytes_until_nul(&buf)
            .ok()
            .filter(|_| rc == 0)
            .and_then(|c| c.to_str().ok());
        match text {
            Some(t) => f.write_str(t),
            None => write!(f, "Unknown error {}", self.0),
        }
    }
}

/// `open(path, flags)`, close-on-exec.
pub fn open(path: &CStr, flags: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One `read()` into `buf` (EINTR retried): the byte count.
pub fn read(fd: &OwnedFd, buf: &mut [u8]) -> Result<usize, Errno> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: the buffer is valid for writes of its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = errno();
        if e != libc::EINTR {
            return Err(Errno(e));
        }
    }
}

/// Moves `fd` to a descriptor above stderr (close-on-exec): a daemon started with 0-2
/// closed would otherwise get them for its own files, and a child's `dup2` of /dev/null
/// onto 0-2 would overwrite them.
pub fn above_stderr(fd: OwnedFd) -> Result<OwnedFd, Errno> {
    use std::os::fd::AsRawFd;
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor; the result is a new descriptor.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `new` was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_text_is_the_c_library_s() {
        assert_eq!(Errno(libc::ENOENT).to_string(), "No such file or directory");
        assert!(Errno(100_000).to_string().contains("100000"));
    }
}
