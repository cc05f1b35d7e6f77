//! The receive ladder: keepalived's `vrrp_get_header` and `vrrp_check_packet`, one check per
//! step in keepalived's order, each with its counter and log line. The checks read the
//! packet through the wire views; a packet that passes becomes an [`Advert`] for the state
//! machine.

use std::net::{IpAddr, Ipv4Addr};

use super::action::Actions;
use super::auth;
use super::instance::{Advert, Instance, State};
use super::msg::{Msg, Short};
use super::wire::{
    addr_len, checksum_v2, checksum_v3, AhHeader, Ipv4Header, VrrpPacket, WireError, AUTH_TYPE_AH,
    AUTH_TYPE_NONE, AUTH_TYPE_PASS, PROTO_AH, PROTO_VRRP, TTL, TYPE_ADVERT,
};
use crate::config::model::vrrp::{AuthType, ChecksumCompat, Family, Version};
use crate::time::Duration;

/// A packet as a raw socket delivered it, with what `recvmsg` said about it.
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    /// IPv4: from the IP header on. IPv6: the VRRP part (the kernel keeps the header).
    pub bytes: &'a [u8],
    /// The sender (`recvmsg`'s address); IPv4 reads the header instead.
    pub src: IpAddr,
    /// IPv6: the hop limit (`IPV6_HOPLIMIT`), None when not given; IPv4 reads the header.
    pub hop_limit: Option<u8>,
    /// IPv6: whether the destination was multicast (`IPV6_PKTINFO`); IPv4 reads the header.
    pub multicast: bool,
}

/// A received packet split by the wire views.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    bytes: &'a [u8],
    ip: Option<Ipv4Header<'a>>,
    ah: Option<AhHeader<'a>>,
    pub vrrp: VrrpPacket<'a>,
    pub src: IpAddr,
    ttl: Option<u8>,
    pub multicast: bool,
}

impl<'a> Packet<'a> {
    /// keepalived's `vrrp_get_header`: the packet must hold the IP header, the AH header
    /// when the protocol is AH, and the fixed VRRP header. Err(Some) is the line to log.
    pub fn split(family: Family, rx: &Received<'a>) -> Result<Packet<'a>, Option<Msg>> {
        let len = rx.bytes.len();
        let short = |kind| Some(Msg::ShortPacket { kind, len });
        if family == Family::V6 {
            let vrrp = VrrpPacket::new_checked(rx.bytes).map_err(|_| short(Short::V6))?;
            return Ok(Packet {
                bytes: rx.bytes,
                ip: None,
                ah: None,
                vrrp,
                src: rx.src,
                ttl: rx.hop_limit,
                multicast: rx.multicast,
            });
        }
        let ip = match Ipv4Header::new_checked(rx.bytes) {
            Ok(ip) => ip,
            Err(WireError::Truncated) => return Err(short(Short::V4)),
            Err(_) => return Err(None),
        };
        let (ah, vrrp) = match ip.protocol() {
            PROTO_AH => {
                let ah = AhHeader::new_checked(ip.payload()).map_err(|_| short(Short::V4Ah))?;
                let vrrp = VrrpPacket::new_checked(ah.payload()).map_err(|_| short(Short::V4Ah))?;
                (Some(ah), vrrp)
            }
            _ => (
                None,
                VrrpPacket::new_checked(ip.payload()).map_err(|_| short(Short::V4))?,
            ),
        };
        Ok(Packet {
            bytes: rx.bytes,
            ip: Some(ip),
            ah,
            vrrp,
            src: IpAddr::V4(ip.src()),
            ttl: Some(ip.ttl()),
            multicast: ip.dst().is_multicast(),
        })
    }
}

fn auth_code(kind: Option<AuthType>) -> u8 {
    match kind {
        None => AUTH_TYPE_NONE,
        Some(AuthType::Pass) => AUTH_TYPE_PASS,
        Some(AuthType::Ah) => AUTH_TYPE_AH,
    }
}

/// keepalived's `vrrp_check_packet`. `check_addr`: the advertised addresses must be ours
/// (always in MASTER; in BACKUP unless `skip_check_adv_addr` and the master is known).
/// `group4` is the multicast group old keepalived versions put in VRRPv3 checksums.
pub fn check(
    inst: &mut Instance,
    p: &Packet,
    check_addr: bool,
    group4: Ipv4Addr,
    out: &mut Actions,
) -> Option<Advert> {
    let id = inst.id;
    let family = inst.family;
    let len = p.bytes.len();
    let want_ah = matches!(inst.auth, Some((AuthType::Ah, _)));
    let mut expected = 0;
    if let Some(ip) = p.ip {
        expected = ip.header_len();
        if p.ah.is_some() != want_ah {
            out.log(if p.ah.is_some() {
                Msg::AhUnexpected(id)
            } else {
                Msg::AhMissing(id)
            });
            inst.stats.authtype_mismatch += 1;
            return None;
        }
        if want_ah {
            expected += AhHeader::LEN;
        }
    }
    expected += p.vrrp.expected_len(family);
    if len != expected {
        out.log(Msg::PacketLength {
            inst: id,
            len,
            expected,
        });
        inst.stats.packet_len_err += 1;
        return None;
    }
    if let Some(ttl) = p.ttl.filter(|&t| !inst.unicast && t != TTL) {
        out.log(Msg::Ttl { inst: id, ttl });
        inst.stats.ip_ttl_err += 1;
        return None;
    }
    let version = p.vrrp.version();
    if version != inst.version.number() {
        out.log(Msg::Version {
            inst: id,
            got: version,
            want: inst.version.number(),
        });
        inst.stats.vers_err += 1;
        return None;
    }
    if inst.version == Version::V2 && !v2_auth(inst, p, out) {
        return None;
    }
    if p.vrrp.kind() != TYPE_ADVERT {
        out.log(Msg::PacketType {
            inst: id,
            got: p.vrrp.kind(),
        });
        inst.stats.invalid_type_rcvd += 1;
        return None;
    }
    let count = p.vrrp.count();
    if check_addr && usize::from(count) != inst.vips.len() {
        out.log(Msg::AddrCount {
            inst: id,
            got: count,
            want: inst.vips.len().min(255) as u8,
        });
        inst.stats.addr_list_err += 1;
        return None;
    }
    if let Some(ip) = p.ip {
        if usize::from(ip.total_len()) != len {
            out.log(Msg::TotalLength {
                inst: id,
                total: ip.total_len(),
                len,
            });
            inst.stats.packet_len_err += 1;
            return None;
        }
        if !checksum_ok(inst, p, ip, group4, out) {
            inst.stats.chk_err += 1;
            return None;
        }
    }
    if p.multicast == inst.unicast {
        out.log(Msg::CastMismatch {
            inst: id,
            unicast: inst.unicast,
        });
        inst.stats.addr_list_err += 1;
        return None;
    }
    inst.stats.advert_rcvd += 1;
    if check_addr && !addresses_ok(inst, p, out) {
        return None;
    }
    let priority = p.vrrp.priority();
    if priority == 0 {
        inst.stats.pri_zero_rcvd += 1;
    }
    let interval = u64::from(p.vrrp.adver_int());
    Some(Advert {
        src: p.src,
        priority,
        adver_int: match inst.version {
            Version::V2 => Duration::from_secs(interval),
            Version::V3 => Duration::from_micros(interval * 10_000),
        },
        ah_seq: p.ah.map(|ah| ah.seq()),
    })
}

/// The VRRPv2 steps: auth type known and ours, the password or the AH ICV, SPI and
/// sequence number, then the interval (a mismatch is dropped without a counter).
fn v2_auth(inst: &mut Instance, p: &Packet, out: &mut Actions) -> bool {
    let id = inst.id;
    let got = p.vrrp.auth_type();
    if !matches!(got, AUTH_TYPE_NONE | AUTH_TYPE_PASS | AUTH_TYPE_AH) {
        out.log(Msg::InvalidAuthType {
            inst: id,
            auth: got,
        });
        inst.stats.invalid_authtype += 1;
        return false;
    }
    let want = auth_code(inst.auth.map(|(k, _)| k));
    if got != want {
        out.log(Msg::AuthTypeMismatch {
            inst: id,
            got,
            want,
        });
        inst.stats.authtype_mismatch += 1;
        return false;
    }
    match inst.auth {
        Some((AuthType::Pass, key)) => {
            // keepalived reads the password where the IP total length says it ends.
            let end = p.ip.map_or(p.bytes.len(), |ip| usize::from(ip.total_len()));
            let pw = end
                .checked_sub(8)
                .and_then(|at| p.bytes.get(at..end))
                .and_then(|b| <&[u8; 8]>::try_from(b).ok());
            if !pw.is_some_and(|pw| auth::pass_matches(&key, pw)) {
                out.log(Msg::BadPassword(id));
                inst.stats.auth_failure += 1;
                return false;
            }
        }
        Some((AuthType::Ah, key)) => {
            let Some(ah) = p.ah else {
                return false;
            };
            if ah.next_header() != PROTO_VRRP {
                // AH for some other protocol: not for us.
                return false;
            }
            if !ah_ok(inst, p, ah, &key, out) {
                inst.stats.auth_failure += 1;
                return false;
            }
        }
        None => {}
    }
    let got = p.vrrp.adver_int();
    if inst.adver_int != Duration::from_secs(u64::from(got)) {
        out.log(Msg::IntervalMismatch {
            inst: id,
            mine: inst.adver_int.as_secs(),
            got: got.min(255) as u8,
        });
        return false;
    }
    true
}

/// keepalived's `vrrp_in_chk_ipsecah`: the ICV, then SPI = source, then anti-replay on the
/// one sequence counter the instance also sends with.
fn ah_ok(inst: &mut Instance, p: &Packet, ah: AhHeader, key: &[u8; 8], out: &mut Actions) -> bool {
    let id = inst.id;
    if !auth::ah_verify(key, p.bytes, inst.unicast) {
        out.log(Msg::AhBadIcv(id));
        return false;
    }
    let saddr = match p.src {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => [0; 4],
    };
    if ah.spi().to_be_bytes() != saddr {
        out.log(Msg::AhBadSpi {
            saddr: u32::from_le_bytes(saddr),
            spi: u32::from_le_bytes(ah.spi().to_be_bytes()),
        });
        return false;
    }
    let seq = ah.seq();
    if seq <= inst.ah_seq {
        out.log(Msg::AhReplay {
            inst: id,
            seq,
            local: inst.ah_seq,
        });
        return false;
    }
    inst.ah_seq = seq;
    if inst.state == State::Backup {
        inst.ah_cycle = false;
    }
    true
}

/// The VRRP checksum over IPv4 (the kernel checks IPv6). A unicast VRRPv3 instance that
/// finds its peer using keepalived's pre-1.3.6 pseudo-header (the multicast group as
/// destination) switches to it, unless told never to.
fn checksum_ok(
    inst: &mut Instance,
    p: &Packet,
    ip: Ipv4Header,
    group4: Ipv4Addr,
    out: &mut Actions,
) -> bool {
    let id = inst.id;
    let Some(part) = p.vrrp.as_bytes().get(..p.vrrp.expected_len(inst.family)) else {
        return false;
    };
    if inst.version == Version::V2 {
        if checksum_v2(part) != 0 {
            out.log(Msg::BadChecksum {
                inst: id,
                v3: false,
            });
            return false;
        }
        return true;
    }
    let old = inst.checksum == ChecksumCompat::Old || inst.old_checksum;
    let dst = if old { group4 } else { ip.dst() };
    let src = IpAddr::V4(ip.src());
    if checksum_v3(src, IpAddr::V4(dst), part) == 0 {
        return true;
    }
    let may_switch = inst.unicast && inst.checksum == ChecksumCompat::Auto && !old;
    if may_switch && dst != group4 && checksum_v3(src, IpAddr::V4(group4), part) == 0 {
        inst.old_checksum = true;
        out.log(Msg::OldChecksum(id));
        return true;
    }
    out.log(Msg::BadChecksum { inst: id, v3: true });
    false
}

/// Every VIP must be advertised; a unicast instance checking sources hears only its peers,
/// within their TTL range.
fn addresses_ok(inst: &mut Instance, p: &Packet, out: &mut Actions) -> bool {
    let id = inst.id;
    let advertised = p.vrrp.addr_bytes(inst.family).unwrap_or_default();
    for &vip in inst.vips.iter() {
        let present = advertised
            .chunks_exact(addr_len(inst.family))
            .any(|a| match vip {
                IpAddr::V4(v) => a == v.octets(),
                IpAddr::V6(v) => a == v.octets(),
            });
        if !present {
            out.log(Msg::VipMissing {
                inst: id,
                vrid: inst.vrid,
                addr: vip,
            });
            inst.stats.addr_list_err += 1;
            return false;
        }
    }
    if !(inst.unicast && inst.check_unicast_src) {
        return true;
    }
    let Some(peer) = inst.peers.iter().find(|peer| peer.addr == p.src).copied() else {
        out.log(Msg::NotPeer {
            inst: id,
            addr: p.src,
        });
        return false;
    };
    if let Some(ttl) = p.ttl.filter(|&t| t < peer.min_ttl || t > peer.max_ttl) {
        inst.stats.ip_ttl_err += 1;
        out.log(Msg::TtlRange {
            inst: id,
            ttl,
            min: peer.min_ttl,
            max: peer.max_ttl,
        });
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::action::{Actions, SockId};
    use super::super::router::Router;
    use super::super::testutil::*;
    use super::super::wire::{emit_ipv4_advert, Addrs, AdvertRepr, AuthField, Ipv4Fields};
    use super::*;
    use crate::config::model::vrrp::Version;
    use std::net::Ipv4Addr;

    fn backup(extra: &str) -> Router {
        let mut r = router(&format!(
            "vrrp_instance VI_1 {{
                interface eth0
                virtual_router_id 51
                priority 100
                {extra}
                virtual_ipaddress {{
                    10.0.0.100/24
                }}
            }}"
        ));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        r
    }

    /// Recomputes the VRRPv2 checksum of an IPv4 packet without options or AH.
    fn fix(mut p: Vec<u8>) -> Vec<u8> {
        p[26] = 0;
        p[27] = 0;
        let sum = checksum_v2(&p[20..]);
        p[26..28].copy_from_slice(&sum.to_be_bytes());
        p
    }

    fn good() -> Vec<u8> {
        v2("10.0.0.2", 51, 150, &["10.0.0.100"])
    }

    fn signed(auth: AuthField, key: Option<&[u8; 8]>, seq: u32) -> Vec<u8> {
        let vips = [ip("10.0.0.100")];
        let repr = AdvertRepr {
            version: Version::V2,
            vrid: 51,
            priority: 150,
            adver_int: Duration::from_secs(1),
            addrs: Addrs::List(&vips),
            auth,
        };
        let fields = Ipv4Fields {
            src: Ipv4Addr::new(10, 0, 0, 2),
            dst: Ipv4Addr::new(224, 0, 0, 18),
            ttl: 255,
            id: 9,
        };
        let mut buf = [0u8; 256];
        let n = emit_ipv4_advert(&repr, &fields, key.map(|k| (k, seq)), false, &mut buf)
            .expect("emits");
        buf[..n].to_vec()
    }

    /// Delivers `p` to a fresh backup configured with `extra`; returns the counters that
    /// moved and the log lines.
    fn outcome(extra: &str, p: &[u8]) -> (Vec<(&'static str, u64)>, Vec<String>) {
        let mut r = backup(extra);
        let before = r.instances()[0].stats().fields();
        let mut out = Actions::with_capacity(64);
        deliver(&mut r, secs(1), p, &mut out);
        let after = r.instances()[0].stats().fields();
        let moved = after
            .iter()
            .zip(before)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, b)| (a.0, a.1 - b.1))
            .collect();
        (moved, logs(&r, &out))
    }

    /// Instance configuration, packet, the counters it moves, the first line logged.
    type Case<'a> = (&'a str, Vec<u8>, &'a [(&'a str, u64)], &'a str);

    #[test]
    fn each_step_of_the_ladder_counts_its_own_failure() {
        let pass = "authentication {\n auth_type PASS\n auth_pass secret\n}";
        let ah = "authentication {\n auth_type AH\n auth_pass secret\n}";
        let key = *b"secret\0\0";
        let mut long = good();
        long.push(0);
        let mut ttl = good();
        ttl[8] = 64;
        let v3 = advert(
            "10.0.0.2",
            Version::V3,
            51,
            150,
            Duration::from_secs(1),
            &["10.0.0.100"],
        );
        let mut auth7 = good();
        auth7[24] = 7;
        let mut interval = good();
        interval[25] = 2;
        let mut kind = good();
        kind[20] = 0x22;
        let mut tot = good();
        tot[3] += 4;
        let mut sum = good();
        sum[27] ^= 1;
        let mut unicast = good();
        unicast[16..20].copy_from_slice(&[10, 0, 0, 1]);
        let mut bad_icv = signed(AuthField::Ah, Some(&key), 1);
        let last = bad_icv.len() - 1;
        bad_icv[last] ^= 1;
        let cases: Vec<Case> = vec![
            ("", signed(AuthField::Ah, Some(&key), 1), &[("authtype_mismatch", 1)], "(VI_1) Received AH header but auth type not AH"),
            (ah, good(), &[("authtype_mismatch", 1)], "(VI_1) No AH header but auth type is AH"),
            ("", long, &[("packet_len_err", 1)], "(VI_1) vrrp packet too long, length 41 and expect 40"),
            ("", ttl, &[("ip_ttl_err", 1)], "(VI_1) invalid TTL/HL. Received 64 and expect 255"),
            ("", v3, &[("vers_err", 1)], "(VI_1) wrong version. Received 3 and expect 2"),
            ("", fix(auth7), &[("invalid_authtype", 1)], "(VI_1) Invalid auth type: 7"),
            ("", signed(AuthField::Pass(*b"secret\0\0"), None, 0), &[("authtype_mismatch", 1)], "(VI_1) received a 1 auth, expecting 0!"),
            (pass, signed(AuthField::Pass(*b"other\0\0\0"), None, 0), &[("auth_failure", 1)], "(VI_1) received an invalid passwd!"),
            (ah, bad_icv, &[("auth_failure", 1)], "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"),
            ("", fix(interval), &[], "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec"),
            ("", fix(kind), &[("invalid_type_rcvd", 1)], "(VI_1) Invalid packet type. 2 and expect 1"),
            ("", tot, &[("packet_len_err", 1)], "(VI_1) ip_tot_len mismatch against received length. 44 and received 40"),
            ("", sum, &[("chk_err", 1)], "(VI_1) Invalid VRRPv2 checksum"),
            ("", unicast, &[("addr_list_err", 1)], "(VI_1) Expected multicast packet but received unicast packet"),
            ("", v2("10.0.0.2", 51, 150, &["10.0.0.99"]), &[("advert_rcvd", 1), ("addr_list_err", 1)], "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.0.0.100"),
            ("", v2("10.0.0.2", 51, 150, &["10.0.0.100", "10.0.0.99"]), &[("addr_list_err", 1)], "(VI_1) received an unexpected ip number count 2, expected 1!"),
            ("", v2("10.0.0.2", 51, 0, &["10.0.0.100"]), &[("advert_rcvd", 1), ("pri_zero_rcvd", 1)], "(VI_1) Backup received priority 0 advertisement"),
            (pass, signed(AuthField::Pass(*b"secret\0\0"), None, 0), &[("advert_rcvd", 1)], ""),
            (ah, signed(AuthField::Ah, Some(&key), 1), &[("advert_rcvd", 1)], ""),
        ];
        for (extra, p, counters, line) in cases {
            let (moved, logs) = outcome(extra, &p);
            assert_eq!(moved, counters, "{line}");
            let first = logs.first().map_or("", String::as_str);
            assert_eq!(first, line);
        }
    }

    #[test]
    fn ah_sequence_numbers_must_grow() {
        let mut r = backup("authentication {\n auth_type AH\n auth_pass secret\n}");
        let key = *b"secret\0\0";
        let mut out = Actions::with_capacity(64);
        deliver(
            &mut r,
            secs(1),
            &signed(AuthField::Ah, Some(&key), 5),
            &mut out,
        );
        assert_eq!(r.instances()[0].stats().advert_rcvd, 1);
        out.clear();
        deliver(
            &mut r,
            secs(2),
            &signed(AuthField::Ah, Some(&key), 5),
            &mut out,
        );
        assert_eq!(
            logs(&r, &out),
            ["(VI_1) IPSEC-AH : sequence number 5 already processed. Packet dropped. Local(5)"]
        );
        assert_eq!(r.instances()[0].stats().auth_failure, 1);
    }

    #[test]
    fn short_packets_and_unknown_vrids_are_dropped_before_any_instance() {
        let mut r = backup("");
        let mut out = Actions::with_capacity(16);
        deliver(&mut r, secs(1), &good()[..24], &mut out);
        assert_eq!(logs(&r, &out), ["IPv4 VRRP packet too short - 24 bytes"]);
        out.clear();
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 52, 150, &["10.0.0.100"]),
            &mut out,
        );
        assert!(out.is_empty());
        assert_eq!(r.instances()[0].stats().advert_rcvd, 0);
        deliver_on(&mut r, SockId(9), secs(1), &good(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn unknown_vrids_are_logged_when_asked() {
        let mut r = router(
            "global_defs {\n log_unknown_vrids\n}
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                virtual_ipaddress {
                    10.0.0.100/24
                }
            }",
        );
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        out.clear();
        deliver(
            &mut r,
            secs(1),
            &v2("10.0.0.2", 52, 150, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(
            logs(&r, &out),
            ["Unknown VRID(52) received on interface(eth0). ignoring..."]
        );
    }

    #[test]
    fn skip_check_adv_addr_skips_the_vips_of_the_known_master() {
        let mut r = backup("skip_check_adv_addr");
        let mut out = Actions::with_capacity(64);
        let other = v2("10.0.0.2", 51, 150, &["10.0.0.99"]);
        deliver(&mut r, secs(1), &other, &mut out);
        assert_eq!(
            r.instances()[0].stats().addr_list_err,
            1,
            "master not known yet"
        );
        deliver(&mut r, secs(2), &good(), &mut out);
        deliver(&mut r, secs(3), &other, &mut out);
        assert_eq!(r.instances()[0].stats().addr_list_err, 1);
        assert_eq!(r.instances()[0].stats().advert_rcvd, 3);
    }
}
