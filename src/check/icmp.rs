//! PING_CHECK: an ICMP or ICMPv6 echo request and the check of its reply.
//!
//! The probe socket is a datagram ICMP socket (`net.ipv4.ping_group_range`) when the kernel
//! allows it, raw otherwise; either way the core sees ICMP messages without the IP header.
//! The identifier is not checked (a datagram ICMP socket's kernel rewrites it); the type,
//! code, sequence number and payload are.

/// Bytes of an echo request: the 8-byte header and keepalived's 56-byte payload.
pub const ECHO_LEN: usize = 64;

fn payload_byte(i: usize) -> u8 {
    (i as u8).wrapping_add(0x20)
}

/// The echo request; IPv6's checksum is the kernel's (it covers a pseudo-header).
pub fn echo_request(v6: bool, id: u16, seq: u16) -> [u8; ECHO_LEN] {
    let mut b = [0u8; ECHO_LEN];
    b[0] = if v6 { 128 } else { 8 };
    b[4..6].copy_from_slice(&id.to_be_bytes());
    b[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, x) in b[8..].iter_mut().enumerate() {
        *x = payload_byte(i);
    }
    if !v6 {
        let c = checksum(&b);
        b[2..4].copy_from_slice(&c.to_be_bytes());
    }
    b
}

/// The Internet checksum.
pub fn checksum(b: &[u8]) -> u16 {
    let mut sum = 0u32;
    for ch in b.chunks(2) {
        let w = u16::from_be_bytes([ch[0], *ch.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// What a received ICMP message means for the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoReply {
    /// Our reply.
    Ok,
    /// Something else (another type, sequence, or a short message): keep waiting.
    Ignore,
}

pub fn echo_reply(v6: bool, seq: u16, rx: &[u8]) -> EchoReply {
    let want = if v6 { 129 } else { 0 };
    if rx.len() < ECHO_LEN || rx[0] != want || rx[1] != 0 {
        return EchoReply::Ignore;
    }
    if u16::from_be_bytes([rx[6], rx[7]]) != seq {
        return EchoReply::Ignore;
    }
    if !rx[8..ECHO_LEN]
        .iter()
        .enumerate()
        .all(|(i, x)| *x == payload_byte(i))
    {
        return EchoReply::Ignore;
    }
    if !v6 && checksum(&rx[..rx.len().min(ECHO_LEN)]) != 0 && rx.len() == ECHO_LEN {
        return EchoReply::Ignore;
    }
    EchoReply::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies() {
        let q = echo_request(false, 7, 9);
        assert_eq!(&q[..2], &[8, 0]);
        assert_eq!(checksum(&q), 0);
        // The reply: type 0, checksum fixed up.
        let mut r = q;
        r[0] = 0;
        r[2] = 0;
        r[3] = 0;
        let c = checksum(&r);
        r[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(echo_reply(false, 9, &r), EchoReply::Ok);
        assert_eq!(echo_reply(false, 10, &r), EchoReply::Ignore);
        assert_eq!(echo_reply(false, 9, &q), EchoReply::Ignore);
        assert_eq!(echo_reply(false, 9, &r[..20]), EchoReply::Ignore);
        let mut bad = r;
        bad[30] ^= 1;
        assert_eq!(echo_reply(false, 9, &bad), EchoReply::Ignore);
        let q6 = echo_request(true, 1, 2);
        assert_eq!(q6[0], 128);
        let mut r6 = q6;
        r6[0] = 129;
        assert_eq!(echo_reply(true, 2, &r6), EchoReply::Ok);
        assert_eq!(echo_reply(false, 2, &r6), EchoReply::Ignore);
    }
}
