//! Small wrappers for the loop's libc calls: errors from errno, EINTR retried.

use std::io;

/// A libc return value as a Result: -1 is the errno.
pub(super) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// read(2) into `buf`, retried on EINTR; EAGAIN is `ErrorKind::WouldBlock`.
pub(super) fn read_retry(fd: libc::c_int, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
