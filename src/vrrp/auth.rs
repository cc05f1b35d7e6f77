//! VRRPv2 authentication as keepalived does it (IPv4 only).
//!
//! - PASS (auth type 1): the password, zero padded to 8 bytes, in the authentication data
//!   after the addresses; compared in constant time.
//! - AH (auth type 2): an IPsec AH header (RFC 2402 layout) between the IPv4 header and the
//!   VRRP part, whose ICV is HMAC-MD5 truncated to 96 bits (RFC 2403) keyed with the
//!   zero-padded 8-byte password. keepalived's mutable fields are not RFC 2402's: TOS,
//!   flags/fragment offset and the header checksum are zeroed, the TTL only for unicast (a
//!   multicast advert's TTL is covered), and the IP ID is covered. The ICV runs over the IP
//!   header (options included) with those fields zeroed, the AH header with its ICV zeroed,
//!   and every byte after it.
//!
//! The SPI check (SPI = source address) and the sequence numbers belong to the receive ladder,
//! which keeps the counter.

use hmac::{Hmac, Mac};
use md5::Md5;

use super::wire::{ah, ipv4, AhHeader, Ipv4Header, WireError, PROTO_AH};

type HmacMd5 = Hmac<Md5>;

/// An IPv4 header at its largest (IHL 15) and an AH header: the stack copy the ICV is
/// computed over.
const MAX_HEADERS: usize = 60 + AhHeader::LEN;

/// Whether a received PASS password equals the configured one, in constant time.
pub fn pass_matches(configured: &[u8; 8], received: &[u8; 8]) -> bool {
    let diff = configured
        .iter()
        .zip(received)
        .fold(0u8, |d, (a, b)| d | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// The ICV of an IPv4 AH packet (IP header, AH header, VRRP part), whatever its ICV field
/// holds. `unicast`: the instance sends or receives unicast, so the TTL is not covered.
pub fn ah_icv(
    key: &[u8; 8],
    ip_packet: &[u8],
    unicast: bool,
) -> Result<[u8; AhHeader::ICV_LEN], WireError> {
    let (mac, _) = ah_mac(key, ip_packet, unicast)?;
    let digest = mac.finalize().into_bytes();
    let mut icv = [0; AhHeader::ICV_LEN];
    icv.copy_from_slice(&digest[..AhHeader::ICV_LEN]);
    Ok(icv)
}

/// Fills the ICV of an IPv4 AH packet whose other fields are final.
pub fn ah_sign(key: &[u8; 8], ip_packet: &mut [u8], unicast: bool) -> Result<(), WireError> {
    let (mac, at) = ah_mac(key, ip_packet, unicast)?;
    let digest = mac.finalize().into_bytes();
    ip_packet
        .get_mut(at..at + AhHeader::ICV_LEN)
        .ok_or(WireError::Truncated)?
        .copy_from_slice(&digest[..AhHeader::ICV_LEN]);
    Ok(())
}

/// Whether the ICV of a received IPv4 AH packet is right for `key` (constant-time compare).
/// False for a packet that is not IPv4 with a whole AH header.
pub fn ah_verify(key: &[u8; 8], ip_packet: &[u8], unicast: bool) -> bool {
    let Ok((mac, at)) = ah_mac(key, ip_packet, unicast) else {
        return false;
    };
    ip_packet
        .get(at..at + AhHeader::ICV_LEN)
        .is_some_and(|icv| mac.verify_truncated_left(icv).is_ok())
}

/// The HMAC over keepalived's zeroed copy of the headers and the rest of the packet, and
/// where the ICV sits in the packet.
fn ah_mac(key: &[u8; 8], ip_packet: &[u8], unicast: bool) -> Result<(HmacMd5, usize), WireError> {
    let ip = Ipv4Header::new_checked(ip_packet)?;
    if ip.protocol() != PROTO_AH {
        return Err(WireError::Protocol);
    }
    let headers_len = ip.header_len() + AhHeader::LEN;
    let headers = ip_packet.get(..headers_len).ok_or(WireError::Truncated)?;
    let rest = ip_packet.get(headers_len..).unwrap_or_default();

    let mut copy = [0u8; MAX_HEADERS];
    let copy = copy.get_mut(..headers_len).ok_or(WireError::IpHeader)?;
    copy.copy_from_slice(headers);
    copy[ipv4::TOS] = 0;
    copy[ipv4::FRAG].fill(0);
    copy[ipv4::CHECKSUM].fill(0);
    if unicast {
        copy[ipv4::TTL] = 0;
    }
    let icv = ip.header_len() + ah::ICV.start;
    copy[icv..icv + AhHeader::ICV_LEN].fill(0);

    let mut mac = HmacMd5::new_from_slice(key).map_err(|_| WireError::Auth)?;
    mac.update(copy);
    mac.update(rest);
    Ok((mac, icv))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::config::model::vrrp::Version;
    use crate::time::Duration;
    use crate::vrrp::wire::{emit_ipv4_advert, Addrs, AdvertRepr, AuthField, Ipv4Fields};

    const KEY: [u8; 8] = *b"ahkey\0\0\0";

    /// An AH advert from 10.0.0.1 to `dst`, signed with KEY.
    fn advert(dst: Ipv4Addr) -> Vec<u8> {
        let vips = ["10.0.0.100".parse().unwrap()];
        let repr = AdvertRepr {
            version: Version::V2,
            vrid: 7,
            priority: 100,
            adver_int: Duration::from_secs(1),
            addrs: Addrs::List(&vips),
            auth: AuthField::Ah,
        };
        let ip = Ipv4Fields {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst,
            ttl: 255,
            id: 1,
        };
        let mut buf = [0u8; 128];
        let n = emit_ipv4_advert(&repr, &ip, Some((&KEY, 1)), false, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    #[test]
    fn pass_compares_all_eight_bytes() {
        let pw = *b"secret7\0";
        assert!(pass_matches(&pw, &pw));
        for i in 0..8 {
            let mut other = pw;
            other[i] ^= 0x20;
            assert!(!pass_matches(&pw, &other), "byte {i}");
        }
    }

    #[test]
    fn ah_covers_all_but_keepalived_mutable_fields() {
        for (dst, unicast) in [
            (Ipv4Addr::new(224, 0, 0, 18), false),
            (Ipv4Addr::new(10, 0, 0, 2), true),
        ] {
            let pkt = advert(dst);
            assert!(ah_verify(&KEY, &pkt, unicast));
            assert!(!ah_verify(b"ahkey1\0\0", &pkt, unicast));
            for i in 0..pkt.len() {
                let mut bad = pkt.clone();
                bad[i] ^= 0x01;
                let mutable = matches!(i, 1 | 6 | 7 | 10 | 11) || (unicast && i == 8);
                assert_eq!(
                    ah_verify(&KEY, &bad, unicast),
                    mutable,
                    "byte {i}, unicast {unicast}"
                );
            }
        }
    }

    #[test]
    fn ah_ttl_is_covered_only_for_multicast() {
        let pkt = advert(Ipv4Addr::new(224, 0, 0, 18));
        let icv = ah_icv(&KEY, &pkt, false).unwrap();
        assert_eq!(&pkt[32..44], &icv);
        assert_ne!(ah_icv(&KEY, &pkt, true).unwrap(), icv);
    }

    #[test]
    fn ah_sign_fills_what_verify_checks() {
        let mut pkt = advert(Ipv4Addr::new(10, 0, 0, 2));
        pkt[32..44].fill(0);
        assert!(!ah_verify(&KEY, &pkt, true));
        ah_sign(&KEY, &mut pkt, true).unwrap();
        assert!(ah_verify(&KEY, &pkt, true));
    }

    #[test]
    fn ah_on_malformed_input_is_an_error() {
        let pkt = advert(Ipv4Addr::new(224, 0, 0, 18));
        for len in 0..44 {
            assert!(ah_icv(&KEY, &pkt[..len], false).is_err(), "length {len}");
            assert!(!ah_verify(&KEY, &pkt[..len], false));
        }
        let mut not_ah = pkt.clone();
        not_ah[9] = 112;
        assert_eq!(ah_icv(&KEY, &not_ah, false), Err(WireError::Protocol));
        let mut sign = not_ah.clone();
        assert_eq!(ah_sign(&KEY, &mut sign, false), Err(WireError::Protocol));
        assert_eq!(sign, not_ah);
    }

    #[test]
    fn ah_covers_ip_options() {
        // IHL 6: one word of options before the AH header.
        let pkt = advert(Ipv4Addr::new(224, 0, 0, 18));
        let mut opt = Vec::new();
        opt.extend_from_slice(&pkt[..20]);
        opt[0] = 0x46;
        opt.extend_from_slice(&[1, 1, 1, 0]);
        opt.extend_from_slice(&pkt[20..]);
        ah_sign(&KEY, &mut opt, false).unwrap();
        assert!(ah_verify(&KEY, &opt, false));
        opt[21] ^= 1;
        assert!(!ah_verify(&KEY, &opt, false));
    }
}
