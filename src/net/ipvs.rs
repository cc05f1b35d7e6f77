//! The IPVS generic netlink socket: one request at a time, each answered before the next
//! (as keepalived's libipvs talks to the kernel), the family resolved when it opens.
//!
//! A kernel without IPVS answers the family lookup with ENOENT; [`Ipvs::open`] then fails
//! with [`Error::NoIpvs`], whose text is the one line the daemon logs before it goes on
//! without LVS. The messages come from `ipvs::genl`; both buffers are allocated when the
//! socket opens and reused, so requests and dumps allocate nothing.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::nl::msg::{Message, Messages, NLMSG_DONE, NLMSG_ERROR, NLMSG_OVERRUN, NLM_F_DUMP_INTR};
use super::nl::socket::Socket;
use super::nl::{self, Strerror};
use crate::ipvs::genl;
use crate::ipvs::model::{Service, ServiceKey, Table};
use crate::ipvs::reconcile::Op;
use crate::limits;
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

/// How long the kernel may take to answer one request.
const ANSWER_TIMEOUT_MS: i32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The kernel has no IPVS (no "IPVS" generic netlink family).
    NoIpvs,
    /// The kernel refused command `cmd` with `errno`.
    Command {
        cmd: u8,
        errno: i32,
    },
    Netlink(nl::Error),
    /// A dump holds more than the table can take.
    Full(&'static str),
}

impl From<nl::Error> for Error {
    fn from(e: nl::Error) -> Error {
        Error::Netlink(e)
    }
}

impl From<nl::ParseError> for Error {
    fn from(e: nl::ParseError) -> Error {
        Error::Netlink(nl::Error::Parse(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NoIpvs => f.write_str(
                "IPVS: Can't initialize ipvs: the kernel has no IPVS (generic netlink family IPVS not found)",
            ),
            Error::Command { cmd, errno } => write!(
                f,
                "IPVS cmd {}({cmd}) error: {}({errno})",
                genl::cmd_name(cmd),
                Strerror(errno)
            ),
            Error::Netlink(e) => write!(f, "IPVS: {e}"),
            Error::Full(what) => write!(f, "IPVS: {what} table full"),
        }
    }
}

impl std::error::Error for Error {}

/// The IPVS socket.
pub struct Ipvs {
    sock: Socket,
    family: u16,
    tx: Box<[u8]>,
    rx: Box<[u8]>,
}

impl Ipvs {
    /// Opens a generic netlink socket and resolves the IPVS family.
    pub fn open() -> Result<Ipvs, Error> {
        let sock = Socket::open(libc::NETLINK_GENERIC)?;
        let mut s = Ipvs {
            sock,
            family: 0,
            tx: vec![0; limits::NL_SEND_BUFFER].into_boxed_slice(),
            rx: vec![0; limits::NL_RECV_BUFFER].into_boxed_slice(),
        };
        s.family = s.resolve()?;
        Ok(s)
    }

    /// The IPVS family id.
    pub fn family(&self) -> u16 {
        self.family
    }

    fn resolve(&mut self) -> Result<u16, Error> {
        let seq = self.next_seq();
        let n = genl::encode_get_family(&mut self.tx, seq)?;
        self.send(n)?;
        let mut family = None;
        let r = self.answer(seq, |m| {
            family = Some(genl::parse_family(m)?);
            Ok(())
        });
        match r {
            Err(Error::Command { errno, .. }) if errno == libc::ENOENT => Err(Error::NoIpvs),
            Err(e) => Err(e),
            Ok(()) => family.ok_or(Error::NoIpvs),
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.sock.next_seq()
    }

    /// Executes one op, forgiving what keepalived forgives: adding what exists, deleting
    /// what is gone; a SET_DEST of a missing destination becomes NEW_DEST.
    pub fn execute(&mut self, op: &Op) -> Result<(), Error> {
        match self.request_op(op) {
            Err(Error::Command { errno, .. }) if errno == libc::EEXIST && is_add(op) => Ok(()),
            Err(Error::Command { errno, .. })
                if (errno == libc::ENOENT || errno == libc::ESRCH) && is_del(op) =>
            {
                Ok(())
            }
            Err(Error::Command { errno, .. }) if errno == libc::ENOENT => match op {
                Op::SetDest(k, d) => self.request_op(&Op::NewDest(*k, *d)),
                _ => Err(Error::Command {
                    cmd: genl::op_cmd(op),
                    errno,
                }),
            },
            r => r,
        }
    }

    fn request_op(&mut self, op: &Op) -> Result<(), Error> {
        let seq = self.next_seq();
        let n = genl::encode_op(&mut self.tx, self.family, seq, op)?;
        self.send(n)?;
        self.answer(seq, |_| Ok(()))
            .map_err(|e| with_cmd(e, genl::op_cmd(op)))
    }

    /// Starts the connection-sync daemon in `role`.
    pub fn start_daemon(&mut self, d: &SyncDaemon, role: SyncdRole) -> Result<(), Error> {
        let seq = self.next_seq();
        let n = genl::encode_new_daemon(&mut self.tx, self.family, seq, d, role)?;
        self.send(n)?;
        self.answer(seq, |_| Ok(()))
            .map_err(|e| with_cmd(e, genl::IPVS_CMD_NEW_DAEMON))
    }

    /// Stops the connection-sync daemon of `role`.
    pub fn stop_daemon(&mut self, role: SyncdRole, sync_id: u8) -> Result<(), Error> {
        let seq = self.next_seq();
        let n = genl::encode_del_daemon(&mut self.tx, self.family, seq, role, sync_id)?;
        self.send(n)?;
        self.answer(seq, |_| Ok(()))
            .map_err(|e| with_cmd(e, genl::IPVS_CMD_DEL_DAEMON))
    }

    /// IPVS_CMD_FLUSH (`lvs_flush`, `lvs_flush_on_stop`).
    pub fn flush(&mut self) -> Result<(), Error> {
        let seq = self.next_seq();
        let n = genl::encode_flush(&mut self.tx, self.family, seq)?;
        self.send(n)?;
        self.answer(seq, |_| Ok(()))
            .map_err(|e| with_cmd(e, genl::IPVS_CMD_FLUSH))
    }

    /// The kernel's whole table into `out` (cleared first), sorted: the services, then
    /// each one's destinations.
    pub fn dump(&mut self, out: &mut Table) -> Result<(), Error> {
        out.clear();
        let seq = self.next_seq();
        let n = genl::encode_get_services(&mut self.tx, self.family, seq)?;
        self.send(n)?;
        let mut full = None;
        self.answer(seq, |m| {
            let s = genl::parse_service(m)?;
            if let Err(e) = out.push_service(s) {
                full.get_or_insert(e.0);
            }
            Ok(())
        })?;
        if let Some(what) = full {
            return Err(Error::Full(what));
        }
        out.sort();
        let count = out.services().len();
        for i in 0..count {
            let Some(Service { key, .. }) = out.services().get(i).copied() else {
                break;
            };
            self.dump_dests(&key, out)?;
        }
        out.sort();
        Ok(())
    }

    fn dump_dests(&mut self, key: &ServiceKey, out: &mut Table) -> Result<(), Error> {
        let seq = self.next_seq();
        let n = genl::encode_get_dests(&mut self.tx, self.family, seq, key)?;
        self.send(n)?;
        let af = key.af();
        let mut full = None;
        self.answer(seq, |m| {
            let d = genl::parse_dest(m, af)?;
            if let Err(e) = out.push_dest(*key, d) {
                full.get_or_insert(e.0);
            }
            Ok(())
        })?;
        match full {
            Some(what) => Err(Error::Full(what)),
            None => Ok(()),
        }
    }

    fn send(&self, len: usize) -> Result<(), Error> {
        Ok(self.sock.send(&self.tx[..len])?)
    }

    /// Receives one datagram; None when nothing is queued.
    fn recv(&mut self) -> Result<Option<usize>, Error> {
        Ok(self.sock.recv(&mut self.rx)?)
    }

    fn wait(&self) -> Result<bool, Error> {
        Ok(self.sock.wait(ANSWER_TIMEOUT_MS)?)
    }

    /// Reads the answer to `seq` to its end (an acknowledgement, an error or a dump's
    /// DONE), handing every data message to `each`; the first failure is returned once
    /// the answer is complete, so the socket stays in step.
    fn answer(
        &mut self,
        seq: u32,
        mut each: impl FnMut(&Message<'_>) -> Result<(), nl::ParseError>,
    ) -> Result<(), Error> {
        let mut failed: Option<Error> = None;
        let mut interrupted = false;
        loop {
            let Some(n) = self.recv()? else {
                if !self.wait()? {
                    return Err(nl::Error::Timeout.into());
                }
                continue;
            };
            for m in Messages::new(&self.rx[..n]) {
                let m = m?;
                if m.header.seq != seq {
                    continue;
                }
                interrupted |= m.header.flags & NLM_F_DUMP_INTR != 0;
                let end = match m.header.kind {
                    NLMSG_ERROR => {
                        let (errno, _) = m.ack()?;
                        Some(if errno == 0 {
                            Ok(())
                        } else {
                            Err(Error::Command { cmd: 0, errno })
                        })
                    }
                    NLMSG_DONE if interrupted => Some(Err(nl::Error::DumpInterrupted.into())),
                    NLMSG_DONE => Some(Ok(())),
                    NLMSG_OVERRUN => Some(Err(nl::Error::Overrun.into())),
                    _ => {
                        if let Err(e) = each(&m) {
                            failed.get_or_insert(e.into());
                        }
                        None
                    }
                };
                if let Some(r) = end {
                    return match (r, failed) {
                        (Err(e), _) => Err(e),
                        (Ok(()), Some(e)) => Err(e),
                        (Ok(()), None) => Ok(()),
                    };
                }
            }
        }
    }
}

fn with_cmd(e: Error, cmd: u8) -> Error {
    match e {
        Error::Command { errno, .. } => Error::Command { cmd, errno },
        e => e,
    }
}

fn is_add(op: &Op) -> bool {
    matches!(op, Op::NewService(_) | Op::NewDest(..))
}

fn is_del(op: &Op) -> bool {
    matches!(op, Op::DelService(_) | Op::DelDest(..))
}

impl AsRawFd for Ipvs {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsFd for Ipvs {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
