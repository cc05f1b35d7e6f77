//! The rtnetlink command socket: one request at a time, each acknowledged before the next
//! (keepalived's `netlink_talk`), and dumps read to their end. Both buffers are allocated
//! when the socket opens and reused.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::attr::Writer;
use super::error::Error;
use super::msg::{
    Message, Messages, NLMSG_DONE, NLMSG_ERROR, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_DUMP_INTR, NLM_F_REQUEST, RTM_DELADDR, RTM_NEWADDR, RTM_NEWROUTE,
};
use super::socket::Socket;
use crate::limits;

/// How long to wait for the kernel's answer. rtnetlink answers while the request is being
/// sent, so this bounds only a kernel in trouble.
const ANSWER_TIMEOUT_MS: i32 = 1000;

pub struct Command {
    sock: Socket,
    tx: Box<[u8]>,
    rx: Box<[u8]>,
}

/// What keepalived does not count as a failure: adding an address or route that exists,
/// and deleting an address the kernel already removed (a primary address's secondaries go
/// with it unless promote_secondaries is set).
fn harmless(request: u16, errno: i32) -> bool {
    matches!(
        (request, errno),
        (RTM_NEWADDR | RTM_NEWROUTE, libc::EEXIST) | (RTM_DELADDR, libc::EADDRNOTAVAIL)
    )
}

impl Command {
    pub fn open() -> Result<Command, Error> {
        Ok(Command {
            sock: Socket::open(libc::NETLINK_ROUTE)?,
            tx: vec![0; limits::NL_SEND_BUFFER].into_boxed_slice(),
            rx: vec![0; limits::NL_RECV_BUFFER].into_boxed_slice(),
        })
    }

    /// The socket's port id: the `pid` of the notifications its requests cause.
    pub fn port(&self) -> u32 {
        self.sock.port()
    }

    /// Sends the message `build` writes (flags REQUEST and ACK are added) and waits for its
    /// acknowledgement. Replies before it go to `on_reply`; its first error is returned
    /// once the acknowledgement is in, so the socket stays in step.
    pub(super) fn request(
        &mut self,
        kind: u16,
        flags: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
        mut on_reply: impl FnMut(&Message<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let seq = self.send(kind, flags | NLM_F_ACK, build)?;
        let mut failed = None;
        self.read_answer(seq, |m| {
            if m.header.kind == NLMSG_ERROR {
                let (errno, req) = m.ack()?;
                let result = match errno {
                    0 => Ok(()),
                    e if harmless(req.kind, e) => Ok(()),
                    e => Err(Error::Kernel {
                        errno: e,
                        msg_type: req.kind,
                        seq: req.seq,
                        pid: req.pid,
                    }),
                };
                return Ok(Some(failed.take().map_or(result, Err)));
            }
            if let Err(e) = on_reply(m) {
                failed.get_or_insert(e);
            }
            Ok(None)
        })
    }

    /// Sends a dump request and hands every message of the answer to `on_msg`. A failed
    /// message ends nothing: the dump is read to its end and the first error returned.
    pub(super) fn dump(
        &mut self,
        kind: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
        mut on_msg: impl FnMut(&Message<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let seq = self.send(kind, NLM_F_DUMP, build)?;
        let mut failed = None;
        let mut interrupted = false;
        self.read_answer(seq, |m| {
            interrupted |= m.header.flags & NLM_F_DUMP_INTR != 0;
            match m.header.kind {
                NLMSG_DONE => {
                    let end = match failed.take() {
                        Some(e) => Err(e),
                        None if interrupted => Err(Error::DumpInterrupted),
                        None => Ok(()),
                    };
                    Ok(Some(end))
                }
                NLMSG_ERROR => {
                    let (errno, req) = m.ack()?;
                    Ok(Some(Err(Error::Kernel {
                        errno,
                        msg_type: req.kind,
                        seq: req.seq,
                        pid: req.pid,
                    })))
                }
                NLMSG_OVERRUN => Ok(Some(Err(Error::Overrun))),
                _ => {
                    if let Err(e) = on_msg(m) {
                        failed.get_or_insert(e);
                    }
                    Ok(None)
                }
            }
        })
    }

    fn send(
        &mut self,
        kind: u16,
        flags: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<u32, Error> {
        let seq = self.sock.next_seq();
        let mut w = Writer::new(&mut self.tx);
        let m = w.begin_msg(kind, NLM_F_REQUEST | flags, seq)?;
        build(&mut w)?;
        w.end_msg(m);
        let len = w.len();
        self.sock.send(&self.tx[..len])?;
        Ok(seq)
    }

    /// Reads messages answering `seq` until `each` returns the result; answers to other
    /// (earlier, timed-out) requests are skipped.
    fn read_answer(
        &mut self,
        seq: u32,
        mut each: impl FnMut(&Message<'_>) -> Result<Option<Result<(), Error>>, Error>,
    ) -> Result<(), Error> {
        loop {
            let Some(n) = self.sock.recv(&mut self.rx)? else {
                if !self.sock.wait(ANSWER_TIMEOUT_MS)? {
                    return Err(Error::Timeout);
                }
                continue;
            };
            for m in Messages::new(&self.rx[..n]) {
                let m = m?;
                if m.header.seq != seq {
                    continue;
                }
                if let Some(result) = each(&m)? {
                    return result;
                }
            }
        }
    }
}

impl AsRawFd for Command {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsFd for Command {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
