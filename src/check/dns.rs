//! DNS_CHECK: keepalived's query (`dns_make_query`: a random ID, RD set, one question of
//! the configured type and name, class IN) and its reply check (`dns_recv_thread`): a
//! datagram shorter than a header, with another ID or without QR is ignored (the check
//! keeps waiting); QR with RCODE 0 succeeds, any other RCODE fails.

/// Largest query: the header, a name of at most 255 bytes, type and class.
pub const QUERY_MAX: usize = 12 + 256 + 4;
const HEADER_LEN: usize = 12;

/// Writes the query into `out` (cleared first); false if the name does not fit.
pub fn query(out: &mut Vec<u8>, id: u16, qtype: u16, name: &str) -> bool {
    out.clear();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    let b = name.as_bytes();
    if b.len() > 253 {
        return false;
    }
    // keepalived's label walk: "." alone is the root, a trailing dot ends the name.
    let mut s = 0;
    while s < b.len() {
        let e = b[s..]
            .iter()
            .position(|c| *c == b'.')
            .map_or(b.len(), |i| s + i);
        let n = e - s;
        if n > 63 {
            return false;
        }
        out.push(n as u8);
        out.extend_from_slice(&b[s..e]);
        s = if e < b.len() { e + 1 } else { e };
    }
    if b != b"." {
        out.push(0);
    }
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    true
}

/// What a received datagram means for the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsReply {
    /// Not the answer (too short, another ID, not a response): keep waiting.
    Ignore,
    Ok,
    /// An answer with this RCODE.
    Rcode(u8),
}

pub fn reply(id: u16, rx: &[u8]) -> DnsReply {
    if rx.len() < HEADER_LEN {
        return DnsReply::Ignore;
    }
    if u16::from_be_bytes([rx[0], rx[1]]) != id {
        return DnsReply::Ignore;
    }
    let flags = u16::from_be_bytes([rx[2], rx[3]]);
    if flags & 0x8000 == 0 {
        return DnsReply::Ignore;
    }
    match (flags & 0x000f) as u8 {
        0 => DnsReply::Ok,
        rc => DnsReply::Rcode(rc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_byte_for_byte() {
        let mut q = Vec::new();
        assert!(query(&mut q, 0x1234, 6, ""));
        assert_eq!(q, [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]);
        assert!(query(&mut q, 1, 1, "example.com."));
        assert_eq!(&q[12..], b"\x07example\x03com\x00\x00\x01\x00\x01");
        assert!(query(&mut q, 1, 28, "a.b"));
        assert_eq!(&q[12..], b"\x01a\x01b\x00\x00\x1c\x00\x01");
        assert!(query(&mut q, 1, 2, "."));
        assert_eq!(&q[12..], b"\x00\x00\x02\x00\x01");
        assert!(!query(&mut q, 1, 2, &"x".repeat(64)));
        assert!(q.capacity() >= q.len() && q.len() <= QUERY_MAX);
    }

    #[test]
    fn replies() {
        let mut r = [0u8; 12];
        r[0] = 0x12;
        r[1] = 0x34;
        assert_eq!(reply(0x1234, &r), DnsReply::Ignore); // a query, not a response
        r[2] = 0x81;
        r[3] = 0x80;
        assert_eq!(reply(0x1234, &r), DnsReply::Ok);
        assert_eq!(reply(0x1235, &r), DnsReply::Ignore);
        assert_eq!(reply(0x1234, &r[..11]), DnsReply::Ignore);
        r[3] = 0x83;
        assert_eq!(reply(0x1234, &r), DnsReply::Rcode(3));
    }
}
