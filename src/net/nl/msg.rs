//! Netlink message framing: `nlmsghdr`, the messages of one datagram, acknowledgements.

use super::attr::{align, Attrs};
use super::error::ParseError;

pub const HDR_LEN: usize = 16;

pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_DELROUTE: u16 = 25;
pub const RTM_NEWRULE: u16 = 32;
pub const RTM_DELRULE: u16 = 33;

/// keepalived's names for the request types it reports errors about.
pub fn type_name(kind: u16) -> &'static str {
    match kind {
        RTM_NEWLINK => "RTM_NEWLINK",
        RTM_DELLINK => "RTM_DELLINK",
        RTM_NEWADDR => "RTM_NEWADDR",
        RTM_DELADDR => "RTM_DELADDR",
        RTM_NEWROUTE => "RTM_NEWROUTE",
        RTM_DELROUTE => "RTM_DELROUTE",
        RTM_NEWRULE => "RTM_NEWRULE",
        RTM_DELRULE => "RTM_DELRULE",
        RTM_GETLINK => "RTM_GETLINK",
        RTM_GETADDR => "RTM_GETADDR",
        _ => "",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub len: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl Header {
    fn parse(b: &[u8]) -> Result<Header, ParseError> {
        let b: &[u8; HDR_LEN] = b
            .get(..HDR_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(ParseError("message header truncated"))?;
        let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Ok(Header {
            len: u32_at(0),
            kind: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32_at(8),
            pid: u32_at(12),
        })
    }
}

/// One message: its header and what follows it.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    pub header: Header,
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// The fixed family header of `len` bytes (`ifinfomsg`, `rtmsg` ...) and the
    /// attributes after it.
    pub fn split(&self, len: usize) -> Result<(&'a [u8], Attrs<'a>), ParseError> {
        let fixed = self
            .payload
            .get(..len)
            .ok_or(ParseError("family header truncated"))?;
        let rest = self.payload.get(align(len)..).unwrap_or(&[]);
        Ok((fixed, Attrs::new(rest)))
    }

    /// For NLMSG_ERROR: the errno (positive; 0 is an acknowledgement) and the header of
    /// the request it answers.
    pub fn ack(&self) -> Result<(i32, Header), ParseError> {
        let code = self
            .payload
            .get(..4)
            .ok_or(ParseError("error message truncated"))?;
        let code = i32::from_ne_bytes([code[0], code[1], code[2], code[3]]);
        let request = Header::parse(&self.payload[4..])?;
        Ok((code.checked_neg().unwrap_or(i32::MAX), request))
    }
}

/// The messages of one datagram. After a malformed one the iteration ends with that error.
#[derive(Clone, Debug)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    pub fn new(bytes: &'a [u8]) -> Messages<'a> {
        Messages { rest: bytes }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let header = match Header::parse(self.rest) {
            Ok(h) => h,
            Err(e) => {
                self.rest = &[];
                return Some(Err(e));
            }
        };
        let len = header.len as usize;
        let Some(payload) = self.rest.get(HDR_LEN..len).filter(|_| len >= HDR_LEN) else {
            self.rest = &[];
            return Some(Err(ParseError("message length")));
        };
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some(Ok(Message { header, payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::nl::attr::Writer;

    #[test]
    fn messages_round_trip() {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        let m = w
            .begin_msg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 9)
            .unwrap();
        w.fixed(&[2u8, 24, 0, 0, 1, 0, 0, 0]).unwrap();
        w.attr(1, &[10u8, 0, 0, 1]).unwrap();
        w.end_msg(m);
        let m = w.begin_msg(NLMSG_DONE, 0, 10).unwrap();
        w.end_msg(m);
        let len = w.len();
        let msgs: Vec<_> = Messages::new(&buf[..len])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].header.kind, RTM_NEWADDR);
        assert_eq!(msgs[0].header.seq, 9);
        assert_eq!(msgs[0].header.len, 32);
        let (fixed, mut attrs) = msgs[0].split(8).unwrap();
        assert_eq!(fixed[1], 24);
        assert_eq!(
            attrs.next().unwrap().unwrap().ip().unwrap().to_string(),
            "10.0.0.1"
        );
        assert_eq!(msgs[1].header.kind, NLMSG_DONE);
        assert!(msgs[1].split(4).is_err());
    }

    #[test]
    fn acks_carry_errno_and_the_request() {
        let mut b = Vec::new();
        b.extend_from_slice(&36u32.to_ne_bytes());
        b.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        b.extend_from_slice(&0u16.to_ne_bytes());
        b.extend_from_slice(&5u32.to_ne_bytes());
        b.extend_from_slice(&77u32.to_ne_bytes());
        b.extend_from_slice(&(-17i32).to_ne_bytes());
        b.extend_from_slice(&16u32.to_ne_bytes());
        b.extend_from_slice(&RTM_NEWRULE.to_ne_bytes());
        b.extend_from_slice(&0u16.to_ne_bytes());
        b.extend_from_slice(&5u32.to_ne_bytes());
        b.extend_from_slice(&77u32.to_ne_bytes());
        let m = Messages::new(&b).next().unwrap().unwrap();
        let (errno, req) = m.ack().unwrap();
        assert_eq!(errno, 17);
        assert_eq!(req.kind, RTM_NEWRULE);
        assert_eq!(req.seq, 5);
        // Truncated error payloads are errors.
        let short = Message {
            header: m.header,
            payload: &m.payload[..10],
        };
        assert!(short.ack().is_err());
    }

    #[test]
    fn bad_lengths_end_the_walk() {
        let mut b = [0u8; 20];
        b[..4].copy_from_slice(&40u32.to_ne_bytes());
        let mut it = Messages::new(&b);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        b[..4].copy_from_slice(&3u32.to_ne_bytes());
        assert!(Messages::new(&b).next().unwrap().is_err());
        assert!(Messages::new(&b[..7]).next().unwrap().is_err());
    }
}
