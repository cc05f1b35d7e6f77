//! What can go wrong talking to the kernel, with keepalived's log texts.

use std::fmt;

use super::link::IfName;
use super::msg;

/// A message from the kernel does not hold what it declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Netlink: malformed message: {}", self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A system call failed with `errno`.
    Sys {
        call: &'static str,
        errno: i32,
    },
    /// The kernel refused request `msg_type` (its NLMSG_ERROR, errno positive).
    Kernel {
        errno: i32,
        msg_type: u16,
        seq: u32,
        pid: u32,
    },
    Parse(ParseError),
    /// A request does not fit its fixed buffer.
    NoSpace,
    /// The kernel did not answer in time.
    Timeout,
    /// The monitor socket's receive queue overflowed and events were lost: dump the links
    /// and addresses again.
    Overrun,
    /// A dump changed while it was read (NLM_F_DUMP_INTR): read it again.
    DumpInterrupted,
    /// A fixed table is full.
    Full(&'static str),
    /// A route or nexthop names an interface that does not exist (or a `vrf` that is not one).
    NoInterface(IfName),
    /// nf_tables cannot be used here (no nfnetlink or no nf_tables in this kernel).
    NfTablesUnavailable(i32),
    /// An interface of the VMAC's name exists and is not a macvlan.
    VmacConflict(IfName),
}

impl Error {
    /// The errno behind the error, if there is one.
    pub fn errno(&self) -> Option<i32> {
        match *self {
            Error::Sys { errno, .. }
            | Error::Kernel { errno, .. }
            | Error::NfTablesUnavailable(errno) => Some(errno),
            _ => None,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Sys { call, errno } => {
                write!(f, "Netlink: {call} error: {}", Strerror(errno))
            }
            Error::Kernel {
                errno,
                msg_type,
                seq,
                pid,
            } => write!(
                f,
                "Netlink: error: {}({errno}), type={}({msg_type}), seq={seq}, pid={pid}",
                Strerror(errno),
                msg::type_name(msg_type)
            ),
            Error::Parse(e) => e.fmt(f),
            Error::NoSpace => f.write_str("Netlink: request too large for its buffer"),
            Error::Timeout => f.write_str("Netlink: no answer from the kernel"),
            Error::Overrun => f.write_str(
                "Netlink: Receive buffer overrun on monitor socket - (No buffer space available)",
            ),
            Error::DumpInterrupted => f.write_str("Netlink: dump interrupted, retrying"),
            Error::Full(what) => write!(f, "Netlink: {what} table full"),
            Error::NoInterface(name) => write!(f, "interface {name} doesn't exist"),
            Error::NfTablesUnavailable(errno) => {
                write!(f, "nftables unavailable: {}", Strerror(errno))
            }
            Error::VmacConflict(name) => {
                write!(f, "VMAC {name} conflicts with existing interface")
            }
        }
    }
}

impl std::error::Error for Error {}

/// `strerror()`'s text for an errno, as keepalived prints it (no " (os error N)").
pub struct Strerror(pub i32);

impl fmt::Display for Strerror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 128];
        // SAFETY: strerror_r writes at most buf.len() bytes, NUL-terminated, into buf.
        let rc = unsafe { libc::strerror_r(self.0, buf.as_mut_ptr().cast(), buf.len()) };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        match std::str::from_utf8(&buf[..end]) {
            Ok(s) if rc == 0 && !s.is_empty() => f.write_str(s),
            _ => write!(f, "Unknown error {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_errors_read_like_keepalived() {
        let e = Error::Kernel {
            errno: libc::EEXIST,
            msg_type: msg::RTM_NEWRULE,
            seq: 7,
            pid: 42,
        };
        assert_eq!(
            e.to_string(),
            "Netlink: error: File exists(17), type=RTM_NEWRULE(32), seq=7, pid=42"
        );
        assert_eq!(e.errno(), Some(libc::EEXIST));
    }
}
