//! UDP_CHECK (`check_udp.c`): send the payload on a connected UDP socket; an ICMP
//! unreachable (ECONNREFUSED and friends on the socket) within connect_timeout fails the
//! check. Without `require_reply` the silence of connect_timeout is success; with it a
//! reply must arrive, its length lie in [min_reply_length, max_reply_length] and its bytes
//! match the `require_reply` pattern over the shorter of the two lengths (`X` nibbles
//! match anything).

use crate::config::model::lvs::UdpCheck;

/// Whether a received datagram passes.
pub fn reply_ok(u: &UdpCheck, rx: &[u8]) -> bool {
    if !u.require_reply {
        return true;
    }
    if rx.len() < usize::from(u.min_reply_len) || rx.len() > usize::from(u.max_reply_len) {
        return false;
    }
    let Some(p) = &u.reply else { return true };
    rx.iter().zip(&p.data).enumerate().all(|(i, (r, d))| {
        let care = !p.mask.as_ref().and_then(|m| m.get(i).copied()).unwrap_or(0);
        (r ^ d) & care == 0
    })
}

/// Bytes of the receive buffer a UDP_CHECK needs (one more than the longest reply it
/// accepts, so a longer one is seen as longer).
pub fn recv_len(u: &UdpCheck) -> usize {
    usize::from(u.max_reply_len) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::lvs::HexPattern;

    fn check(reply: Option<HexPattern>, min: u16, max: u16) -> UdpCheck {
        UdpCheck {
            payload: Some(b"ping".to_vec()),
            require_reply: true,
            reply,
            min_reply_len: min,
            max_reply_len: max,
        }
    }

    #[test]
    fn lengths_and_patterns() {
        let any = check(None, 2, 4);
        assert!(!reply_ok(&any, b"a"));
        assert!(reply_ok(&any, b"ab"));
        assert!(reply_ok(&any, b"abcd"));
        assert!(!reply_ok(&any, b"abcde"));
        // "4X 6f": first byte's high nibble 4, second byte 0x6f.
        let pat = check(
            Some(HexPattern {
                data: vec![0x40, 0x6f],
                mask: Some(vec![0x0f, 0x00]),
            }),
            0,
            255,
        );
        assert!(reply_ok(&pat, b"Ho"));
        assert!(reply_ok(&pat, b"Oo!"));
        assert!(!reply_ok(&pat, b"Hx"));
        assert!(!reply_ok(&pat, b"ho"));
        // Only the shorter length is compared, as keepalived does.
        assert!(reply_ok(&pat, b"H"));
        let no_reply = UdpCheck {
            require_reply: false,
            ..any
        };
        assert!(reply_ok(&no_reply, b""));
    }
}
