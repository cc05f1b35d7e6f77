use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::vrrp::auth::{ah_verify, pass_matches};
use crate::vrrp::fixtures::{self, Fixture, PEER_V4, SRC_V4};

/// The parts of a captured IPv6 packet the tests need (the kernel built that header).
struct Ipv6<'a> {
    traffic_class: u8,
    next_header: u8,
    hop_limit: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    payload: &'a [u8],
}

fn ipv6(p: &[u8]) -> Ipv6<'_> {
    let addr = |at: usize| Ipv6Addr::from(<[u8; 16]>::try_from(&p[at..at + 16]).unwrap());
    assert_eq!(p[0] >> 4, 6);
    assert_eq!(usize::from(be16(&p[4..6])), p.len() - 40);
    Ipv6 {
        traffic_class: (p[0] << 4) | (p[1] >> 4),
        next_header: p[6],
        hop_limit: p[7],
        src: addr(8),
        dst: addr(24),
        payload: &p[40..],
    }
}

/// The VRRP part of a fixture.
fn vrrp_part(f: &Fixture) -> &[u8] {
    match f.family {
        Family::V4 => split_ipv4(&f.bytes).unwrap().2.as_bytes(),
        Family::V6 => ipv6(&f.bytes).payload,
    }
}

fn check_repr(f: &Fixture, repr: &AdvertRepr) {
    let expected = AdvertRepr {
        version: f.version,
        vrid: f.vrid,
        priority: f.priority,
        adver_int: f.adver_int,
        addrs: Addrs::List(&f.addrs),
        auth: f.auth,
    };
    assert_eq!(repr, &expected, "{}", f.name);
    assert_eq!(repr.addrs.iter().collect::<Vec<_>>(), f.addrs, "{}", f.name);
}

#[test]
fn fixtures_parse_to_what_keepalived_was_configured_with() {
    for f in fixtures::all() {
        let name = f.name;
        let vrrp = match f.family {
            Family::V4 => {
                let (ip, ah, vrrp) = split_ipv4(&f.bytes).unwrap();
                assert_eq!(ip.header_len(), 20, "{name}");
                assert_eq!(usize::from(ip.total_len()), f.bytes.len(), "{name}");
                assert_eq!(ip.tos(), TOS, "{name}");
                assert_eq!(ip.frag(), 0, "{name}");
                assert_eq!(ip.ttl(), TTL, "{name}");
                assert_eq!(ip.id(), f.ip_id, "{name}");
                assert_eq!(ip.src(), SRC_V4, "{name}");
                let dst = if f.unicast { PEER_V4 } else { GROUP_V4 };
                assert_eq!(ip.dst(), dst, "{name}");
                assert_eq!(ah.is_some(), f.ah_key.is_some(), "{name}");
                if let Some(ah) = ah {
                    assert_eq!(ip.protocol(), PROTO_AH, "{name}");
                    assert_eq!(ah.next_header(), PROTO_VRRP, "{name}");
                    assert_eq!(ah.payload_len(), AhHeader::PAYLOAD_LEN, "{name}");
                    assert_eq!(ah.spi(), u32::from(ip.src()), "{name}");
                    assert_eq!(ah.seq(), 1, "{name}");
                } else {
                    assert_eq!(ip.protocol(), PROTO_VRRP, "{name}");
                }
                vrrp
            }
            Family::V6 => {
                let ip = ipv6(&f.bytes);
                assert_eq!(ip.traffic_class, TOS, "{name}");
                assert_eq!(ip.next_header, PROTO_VRRP, "{name}");
                assert_eq!(ip.hop_limit, TTL, "{name}");
                assert_eq!(ip.src, "fe80::ff:fe09:901".parse::<Ipv6Addr>().unwrap());
                assert_eq!(ip.dst, GROUP_V6, "{name}");
                VrrpPacket::new_checked(ip.payload).unwrap()
            }
        };
        assert_eq!(vrrp.version(), f.version.number(), "{name}");
        assert_eq!(vrrp.kind(), TYPE_ADVERT, "{name}");
        assert_eq!(usize::from(vrrp.count()), f.addrs.len(), "{name}");
        assert_eq!(vrrp.expected_len(f.family), vrrp.len(), "{name}");
        assert_eq!(vrrp.addrs(f.family).unwrap().collect::<Vec<_>>(), f.addrs);
        let auth_data = vrrp.auth_data(f.family);
        match (f.version, f.family, f.auth) {
            (Version::V2, Family::V4, AuthField::Pass(pw)) => assert_eq!(auth_data, Some(&pw)),
            (Version::V2, Family::V4, _) => assert_eq!(auth_data, Some(&[0; 8])),
            _ => assert_eq!(auth_data, None, "{name}"),
        }
        check_repr(&f, &AdvertRepr::parse(&vrrp, f.family).unwrap());
    }
}

#[test]
fn fixture_checksums_verify() {
    for f in fixtures::all() {
        let name = f.name;
        match f.family {
            Family::V4 => {
                let (ip, _, vrrp) = split_ipv4(&f.bytes).unwrap();
                assert_eq!(checksum(&[ip.header()]), 0, "{name}: IP header");
                let (src, dst) = (IpAddr::V4(ip.src()), IpAddr::V4(ip.dst()));
                let group = IpAddr::V4(GROUP_V4);
                match f.version {
                    Version::V2 => assert_eq!(checksum_v2(vrrp.as_bytes()), 0, "{name}"),
                    Version::V3 if f.old_checksum => {
                        assert_eq!(checksum_v3(src, group, vrrp.as_bytes()), 0, "{name}");
                        assert_ne!(checksum_v3(src, dst, vrrp.as_bytes()), 0, "{name}");
                    }
                    Version::V3 => {
                        assert_eq!(checksum_v3(src, dst, vrrp.as_bytes()), 0, "{name}");
                        if f.unicast {
                            assert_ne!(checksum_v3(src, group, vrrp.as_bytes()), 0, "{name}");
                        }
                    }
                }
            }
            Family::V6 => {
                // The kernel's checksum (IPV6_CHECKSUM), pseudo-header included, for v2 too.
                let ip = ipv6(&f.bytes);
                let (src, dst) = (IpAddr::V6(ip.src), IpAddr::V6(ip.dst));
                assert_eq!(checksum_v3(src, dst, ip.payload), 0, "{name}");
            }
        }
    }
}

#[test]
fn fixture_authentication_verifies() {
    for f in fixtures::all() {
        let name = f.name;
        if let AuthField::Pass(pw) = f.auth {
            let (_, _, vrrp) = split_ipv4(&f.bytes).unwrap();
            let received = vrrp.auth_data(Family::V4).unwrap();
            assert!(pass_matches(&pw, received), "{name}");
            assert!(!pass_matches(b"secret8\0", received), "{name}");
        }
        if let Some(key) = f.ah_key {
            assert!(ah_verify(&key, &f.bytes, f.unicast), "{name}");
            assert!(!ah_verify(b"ahkey3\0\0", &f.bytes, f.unicast), "{name}");
            // The other instance kind zeroes the TTL differently: no match.
            assert!(!ah_verify(&key, &f.bytes, !f.unicast), "{name}");
            for i in 20..f.bytes.len() {
                let mut altered = f.bytes.clone();
                altered[i] ^= 0x80;
                assert!(!ah_verify(&key, &altered, f.unicast), "{name}: byte {i}");
            }
        }
    }
}

#[test]
fn fixtures_reemit_byte_for_byte() {
    for f in fixtures::all() {
        let name = f.name;
        let mut buf = [0u8; 1500];
        match f.family {
            Family::V4 => {
                let (ip, ah, vrrp) = split_ipv4(&f.bytes).unwrap();
                let repr = AdvertRepr::parse(&vrrp, Family::V4).unwrap();
                let ah = ah.map(|ah| (f.ah_key.as_ref().unwrap(), ah.seq()));
                let n =
                    emit_ipv4_advert(&repr, &ip.fields(), ah, f.old_checksum, &mut buf).unwrap();
                assert_eq!(hex(&buf[..n]), hex(&f.bytes), "{name}");
            }
            Family::V6 => {
                let ip = ipv6(&f.bytes);
                let vrrp = VrrpPacket::new_checked(ip.payload).unwrap();
                let repr = AdvertRepr::parse(&vrrp, Family::V6).unwrap();
                let pseudo = (IpAddr::V6(ip.src), IpAddr::V6(ip.dst));
                let n = repr.emit(Family::V6, Some(pseudo), &mut buf).unwrap();
                assert_eq!(hex(&buf[..n]), hex(ip.payload), "{name}");
                // Without addresses the checksum is left for the kernel.
                let n = repr.emit(Family::V6, None, &mut buf).unwrap();
                assert_eq!(&buf[6..8], &[0, 0], "{name}");
                assert_eq!(&buf[..6], &ip.payload[..6], "{name}");
                assert_eq!(&buf[8..n], &ip.payload[8..], "{name}");
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses as far as the bytes allow, as the receive ladder would.
fn parse_ipv4(p: &[u8]) -> Result<AdvertRepr<'_>, WireError> {
    let (_, _, vrrp) = split_ipv4(p)?;
    AdvertRepr::parse(&vrrp, Family::V4)
}

#[test]
fn every_truncation_is_an_error() {
    for f in fixtures::all() {
        let vrrp = vrrp_part(&f);
        for len in 0..vrrp.len() {
            let short =
                VrrpPacket::new_checked(&vrrp[..len]).and_then(|v| AdvertRepr::parse(&v, f.family));
            assert!(short.is_err(), "{} VRRP part cut to {len}", f.name);
        }
        if f.family == Family::V4 {
            for len in 0..f.bytes.len() {
                assert!(
                    parse_ipv4(&f.bytes[..len]).is_err(),
                    "{} cut to {len}",
                    f.name
                );
            }
        }
    }
    assert_eq!(
        Ipv4Header::new_checked(&[0x45; 19]).err(),
        Some(WireError::Truncated)
    );
    assert_eq!(
        AhHeader::new_checked(&[0; 23]).err(),
        Some(WireError::Truncated)
    );
    assert_eq!(
        VrrpPacket::new_checked(&[0x21; 7]).err(),
        Some(WireError::Truncated)
    );
}

/// A fixture's bytes with one byte changed.
fn with(name: &str, at: usize, value: u8) -> Vec<u8> {
    let f = fixtures::all()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap();
    let mut b = f.bytes;
    b[at] = value;
    b
}

#[test]
fn count_larger_than_the_payload() {
    // v3_ipv4 carries 2 addresses; claim 3.
    let p = with("v3_ipv4", 20 + 3, 3);
    let (_, _, vrrp) = split_ipv4(&p).unwrap();
    assert!(vrrp.addrs(Family::V4).is_none());
    assert_eq!(vrrp.expected_len(Family::V4), 8 + 12);
    assert_eq!(
        AdvertRepr::parse(&vrrp, Family::V4),
        Err(WireError::Truncated)
    );
    // v2 with room for the addresses but not the authentication data after them.
    let p = with("v2_pass", 20 + 3, 4);
    let (_, _, vrrp) = split_ipv4(&p).unwrap();
    assert_eq!(vrrp.addrs(Family::V4).unwrap().len(), 4);
    assert_eq!(vrrp.auth_data(Family::V4), None);
    assert_eq!(
        AdvertRepr::parse(&vrrp, Family::V4),
        Err(WireError::Truncated)
    );
}

#[test]
fn header_errors() {
    let ipv4 = |p: &[u8]| split_ipv4(p).err();
    assert_eq!(ipv4(&with("v2_noauth", 0, 0x65)), Some(WireError::IpHeader));
    assert_eq!(ipv4(&with("v2_noauth", 0, 0x44)), Some(WireError::IpHeader));
    assert_eq!(
        ipv4(&with("v2_noauth", 0, 0x4f)),
        Some(WireError::Truncated)
    );
    assert_eq!(ipv4(&with("v2_noauth", 9, 6)), Some(WireError::Protocol));
    // AH without room for the AH header and a VRRP header.
    assert_eq!(
        ipv4(&with("v2_noauth", 9, PROTO_AH)),
        Some(WireError::Truncated)
    );
    assert_eq!(
        parse_ipv4(&with("v2_noauth", 20, 0x11)),
        Err(WireError::Version)
    );
    assert_eq!(
        parse_ipv4(&with("v2_noauth", 20, 0x22)),
        Err(WireError::Type)
    );
    assert_eq!(
        parse_ipv4(&with("v2_noauth", 24, 3)),
        Err(WireError::AuthType)
    );
    // IP options: the VRRP part starts after them.
    let f = &fixtures::all()[0];
    let mut opt = f.bytes[..20].to_vec();
    opt[0] = 0x46;
    opt.extend_from_slice(&[1, 1, 1, 0]);
    opt.extend_from_slice(&f.bytes[20..]);
    let (ip, _, vrrp) = split_ipv4(&opt).unwrap();
    assert_eq!(ip.header_len(), 24);
    assert_eq!(vrrp.as_bytes(), &f.bytes[20..]);
}

#[test]
fn v3_interval_is_twelve_bits() {
    // Reserved bits set on the wire are not part of the interval.
    let mut p = with("v3_ipv4", 20 + 4, 0xf0);
    p[20 + 5] = 0x32;
    let (_, _, vrrp) = split_ipv4(&p).unwrap();
    assert_eq!(vrrp.adver_int(), 0x032);
    let repr = AdvertRepr::parse(&vrrp, Family::V4).unwrap();
    assert_eq!(repr.adver_int, Duration::from_micros(500_000));

    let vips = [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))];
    let emit = |version, adver_int| {
        let repr = AdvertRepr {
            version,
            vrid: 1,
            priority: 100,
            adver_int,
            addrs: Addrs::List(&vips),
            auth: AuthField::None,
        };
        let mut buf = [0u8; 64];
        let pseudo = Some((vips[0], IpAddr::V4(GROUP_V4)));
        repr.emit(Family::V4, pseudo, &mut buf)
            .map(|_| [buf[4], buf[5]])
    };
    assert_eq!(
        emit(Version::V3, Duration::from_micros(40_950_000)),
        Ok([0x0f, 0xff])
    );
    assert_eq!(
        emit(Version::V3, Duration::from_micros(40_959_999)),
        Ok([0x0f, 0xff])
    );
    assert_eq!(
        emit(Version::V3, Duration::from_micros(40_960_000)),
        Err(WireError::Interval)
    );
    assert_eq!(
        emit(Version::V3, Duration::from_micros(1_234_567)),
        Ok([0x00, 123])
    );
    assert_eq!(emit(Version::V2, Duration::from_secs(255)), Ok([0, 255]));
    assert_eq!(
        emit(Version::V2, Duration::from_micros(1_999_999)),
        Ok([0, 1])
    );
    assert_eq!(
        emit(Version::V2, Duration::from_secs(256)),
        Err(WireError::Interval)
    );
}

/// A repr with `addrs`, emitted (IPv4 through `emit_ipv4_advert`) and parsed back.
fn round_trip(version: Version, family: Family, addrs: &[IpAddr]) -> usize {
    let repr = AdvertRepr {
        version,
        vrid: 9,
        priority: 200,
        adver_int: Duration::from_secs(3),
        addrs: Addrs::List(addrs),
        auth: AuthField::None,
    };
    let mut buf = [0u8; 8192];
    let len = match family {
        Family::V4 => {
            let ip = Ipv4Fields {
                src: SRC_V4,
                dst: GROUP_V4,
                ttl: TTL,
                id: 7,
            };
            let n = emit_ipv4_advert(&repr, &ip, None, false, &mut buf).unwrap();
            assert_eq!(parse_ipv4(&buf[..n]).unwrap(), repr);
            n - 20
        }
        Family::V6 => {
            let pseudo = Some((IpAddr::V6(Ipv6Addr::LOCALHOST), IpAddr::V6(GROUP_V6)));
            let n = repr.emit(family, pseudo, &mut buf).unwrap();
            let vrrp = VrrpPacket::new_checked(&buf[..n]).unwrap();
            assert_eq!(AdvertRepr::parse(&vrrp, family).unwrap(), repr);
            n
        }
    };
    assert_eq!(len, repr.buffer_len(family));
    len
}

fn many(family: Family, n: usize) -> Vec<IpAddr> {
    (0..n)
        .map(|i| match family {
            Family::V4 => IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(0x2001_0db8 << 96 | i as u128)),
        })
        .collect()
}

#[test]
fn zero_and_255_addresses() {
    assert_eq!(round_trip(Version::V2, Family::V4, &[]), 16);
    assert_eq!(round_trip(Version::V3, Family::V4, &[]), 8);
    assert_eq!(round_trip(Version::V3, Family::V6, &[]), 8);
    assert_eq!(round_trip(Version::V2, Family::V6, &[]), 8);
    assert_eq!(
        round_trip(Version::V2, Family::V4, &many(Family::V4, 255)),
        8 + 1020 + 8
    );
    assert_eq!(
        round_trip(Version::V3, Family::V4, &many(Family::V4, 255)),
        8 + 1020
    );
    assert_eq!(
        round_trip(Version::V3, Family::V6, &many(Family::V6, 255)),
        8 + 4080
    );
}

#[test]
fn emit_errors() {
    let v4 = many(Family::V4, 256);
    let mixed = [v4[0], many(Family::V6, 1)[0]];
    let repr = |version, addrs, auth| AdvertRepr {
        version,
        vrid: 1,
        priority: 100,
        adver_int: Duration::from_secs(1),
        addrs: Addrs::List(addrs),
        auth,
    };
    let pseudo = Some((v4[0], IpAddr::V4(GROUP_V4)));
    let mut buf = [0u8; 2048];
    let none = AuthField::None;
    let emit = |r: AdvertRepr, family, buf: &mut [u8]| r.emit(family, pseudo, buf);
    assert_eq!(
        emit(repr(Version::V2, &v4, none), Family::V4, &mut buf),
        Err(WireError::Addrs)
    );
    assert_eq!(
        emit(repr(Version::V2, &mixed, none), Family::V4, &mut buf),
        Err(WireError::Addrs)
    );
    assert_eq!(
        emit(repr(Version::V3, &mixed, none), Family::V6, &mut buf),
        Err(WireError::Addrs)
    );
    let pass = AuthField::Pass(*b"12345678");
    assert_eq!(
        emit(repr(Version::V3, &v4[..1], pass), Family::V4, &mut buf),
        Err(WireError::Auth)
    );
    assert_eq!(
        repr(Version::V3, &v4[..1], none).emit(Family::V4, None, &mut buf),
        Err(WireError::NoPseudoHeader)
    );
    let r = repr(Version::V2, &v4[..3], pass);
    let len = r.buffer_len(Family::V4);
    assert_eq!(len, 8 + 12 + 8);
    for short in 0..len {
        assert_eq!(
            emit(r, Family::V4, &mut buf[..short]),
            Err(WireError::BufferTooSmall)
        );
    }
    assert_eq!(emit(r, Family::V4, &mut buf[..len]), Ok(len));

    let ip = Ipv4Fields {
        src: SRC_V4,
        dst: GROUP_V4,
        ttl: TTL,
        id: 1,
    };
    let key = [0u8; 8];
    let ah_repr = repr(Version::V2, &v4[..1], AuthField::Ah);
    let full = emit_ipv4_advert(&ah_repr, &ip, Some((&key, 1)), false, &mut buf).unwrap();
    assert_eq!(full, 20 + 24 + 8 + 4 + 8);
    for short in 0..full {
        let e = emit_ipv4_advert(&ah_repr, &ip, Some((&key, 1)), false, &mut buf[..short]);
        assert_eq!(e, Err(WireError::BufferTooSmall));
    }
    let e = emit_ipv4_advert(&ah_repr, &ip, None, false, &mut buf);
    assert_eq!(e, Err(WireError::Auth));
    let e = emit_ipv4_advert(&r, &ip, Some((&key, 1)), false, &mut buf);
    assert_eq!(e, Err(WireError::Auth));
}

#[test]
fn checksum_is_rfc1071_across_parts() {
    // RFC 1071's example: the words sum to 0xddf2.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(checksum(&[&data]), !0xddf2);
    for a in 0..=data.len() {
        for b in a..=data.len() {
            let parts = [&data[..a], &data[a..b], &data[b..]];
            assert_eq!(checksum(&parts), !0xddf2, "split at {a}, {b}");
        }
    }
    // An odd total length is padded with a zero byte.
    assert_eq!(checksum(&[&[0x12], &[], &[0x34, 0x56]]), !0x6834);
    assert_eq!(checksum(&[]), 0xffff);
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Reads every field the views offer and parses; on success, re-emitting must work.
fn touch(p: &[u8]) {
    if let Ok((ip, ah, vrrp)) = split_ipv4(p) {
        let _ = (
            ip.total_len(),
            ip.ttl(),
            ip.src(),
            ip.dst(),
            ip.header(),
            ip.fields(),
        );
        if let Some(ah) = ah {
            let _ = (
                ah.next_header(),
                ah.payload_len(),
                ah.spi(),
                ah.seq(),
                ah.icv(),
            );
            for unicast in [false, true] {
                let _ = ah_verify(&[0; 8], p, unicast);
                let _ = crate::vrrp::auth::ah_icv(&[0; 8], p, unicast);
            }
        }
        touch_vrrp(vrrp.as_bytes());
    }
    touch_vrrp(p);
}

fn touch_vrrp(p: &[u8]) {
    let Ok(vrrp) = VrrpPacket::new_checked(p) else {
        return;
    };
    let _ = (vrrp.adver_int(), vrrp.checksum(), vrrp.auth_type());
    let _ = checksum_v2(p);
    let _ = checksum_v3(IpAddr::V4(SRC_V4), IpAddr::V6(GROUP_V6), p);
    for family in [Family::V4, Family::V6] {
        let _ = (vrrp.expected_len(family), vrrp.auth_data(family));
        if let Some(addrs) = vrrp.addrs(family) {
            assert_eq!(addrs.len(), usize::from(vrrp.count()));
            assert_eq!(addrs.count(), usize::from(vrrp.count()));
        }
        if let Ok(repr) = AdvertRepr::parse(&vrrp, family) {
            let mut buf = [0u8; 8192];
            let pseudo = Some((IpAddr::V4(SRC_V4), IpAddr::V4(GROUP_V4)));
            let n = repr.emit(family, pseudo, &mut buf).unwrap();
            let again = VrrpPacket::new_checked(&buf[..n]).unwrap();
            assert_eq!(AdvertRepr::parse(&again, family).unwrap(), repr);
        }
    }
}

fn addr(family: Family) -> BoxedStrategy<IpAddr> {
    match family {
        Family::V4 => any::<[u8; 4]>().prop_map(IpAddr::from).boxed(),
        Family::V6 => any::<[u8; 16]>().prop_map(IpAddr::from).boxed(),
    }
}

#[derive(Clone, Debug)]
struct Advert {
    version: Version,
    family: Family,
    vrid: u8,
    priority: u8,
    adver_int: Duration,
    addrs: Vec<IpAddr>,
    auth: AuthField,
}

fn advert() -> impl Strategy<Value = Advert> {
    (any::<bool>(), any::<bool>()).prop_flat_map(|(v3, v6)| {
        let family = if v6 { Family::V6 } else { Family::V4 };
        let (version, interval) = if v3 {
            let cs = (0u64..=4095).prop_map(|cs| Duration::from_micros(cs * 10_000));
            (Version::V3, cs.boxed())
        } else {
            (
                Version::V2,
                (0u64..=255).prop_map(Duration::from_secs).boxed(),
            )
        };
        let auth = match (v3, v6) {
            (true, _) => Just(AuthField::None).boxed(),
            // Over IPv6 the password is not sent.
            (false, true) => prop_oneof![
                Just(AuthField::None),
                Just(AuthField::Pass([0; 8])),
                Just(AuthField::Ah)
            ]
            .boxed(),
            (false, false) => prop_oneof![
                Just(AuthField::None),
                any::<[u8; 8]>().prop_map(AuthField::Pass),
                Just(AuthField::Ah)
            ]
            .boxed(),
        };
        (
            any::<u8>(),
            any::<u8>(),
            interval,
            vec(addr(family), 0..=255),
            auth,
        )
            .prop_map(move |(vrid, priority, adver_int, addrs, auth)| Advert {
                version,
                family,
                vrid,
                priority,
                adver_int,
                addrs,
                auth,
            })
    })
}

fn ipv4_fields() -> impl Strategy<Value = Ipv4Fields> {
    (
        any::<u32>(),
        any::<bool>(),
        any::<u32>(),
        any::<u8>(),
        any::<u16>(),
    )
        .prop_map(|(src, multicast, dst, ttl, id)| Ipv4Fields {
            src: Ipv4Addr::from(src),
            dst: if multicast {
                GROUP_V4
            } else {
                Ipv4Addr::from(dst & 0x7fff_ffff)
            },
            ttl,
            id,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        touch(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..11,
        edits in vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let all = fixtures::all();
        let mut p = all[which % all.len()].bytes.clone();
        for (at, value) in edits {
            let at = at % p.len();
            p[at] = value;
        }
        p.truncate(cut % (p.len() + 1));
        touch(&p);
        if p.len() > 40 {
            touch_vrrp(&p[40..]);
        }
    }

    #[test]
    fn adverts_round_trip(
        a in advert(),
        ip in ipv4_fields(),
        key in any::<[u8; 8]>(),
        seq in any::<u32>(),
        old_checksum in any::<bool>(),
        src6 in any::<[u8; 16]>(),
    ) {
        let repr = AdvertRepr {
            version: a.version,
            vrid: a.vrid,
            priority: a.priority,
            adver_int: a.adver_int,
            addrs: Addrs::List(&a.addrs),
            auth: a.auth,
        };
        let mut buf = [0u8; 8192];
        match a.family {
            Family::V4 => {
                let ah = (a.auth == AuthField::Ah).then_some((&key, seq));
                let n = emit_ipv4_advert(&repr, &ip, ah, old_checksum, &mut buf).unwrap();
                let p = &buf[..n];
                let (h, ah_header, vrrp) = split_ipv4(p).unwrap();
                prop_assert_eq!(h.fields(), ip);
                prop_assert_eq!(usize::from(h.total_len()), n);
                prop_assert_eq!(checksum(&[h.header()]), 0);
                prop_assert_eq!(ah_header.is_some(), a.auth == AuthField::Ah);
                if let Some(ah) = ah_header {
                    prop_assert_eq!(ah.seq(), seq);
                    prop_assert_eq!(ah.spi(), u32::from(ip.src));
                    prop_assert!(ah_verify(&key, p, !ip.dst.is_multicast()));
                }
                prop_assert_eq!(vrrp.expected_len(Family::V4), vrrp.len());
                let parsed = AdvertRepr::parse(&vrrp, Family::V4).unwrap();
                prop_assert_eq!(parsed, repr);
                let csum_dst = if old_checksum { GROUP_V4 } else { ip.dst };
                let sum = match a.version {
                    Version::V2 => checksum_v2(vrrp.as_bytes()),
                    Version::V3 => {
                        checksum_v3(ip.src.into(), csum_dst.into(), vrrp.as_bytes())
                    }
                };
                prop_assert_eq!(sum, 0);
                let mut again = [0u8; 8192];
                let m = emit_ipv4_advert(&parsed, &ip, ah, old_checksum, &mut again).unwrap();
                prop_assert_eq!(&again[..m], p);
            }
            Family::V6 => {
                let pseudo = (IpAddr::from(src6), IpAddr::V6(GROUP_V6));
                let n = repr.emit(Family::V6, Some(pseudo), &mut buf).unwrap();
                let vrrp = VrrpPacket::new_checked(&buf[..n]).unwrap();
                prop_assert_eq!(vrrp.expected_len(Family::V6), n);
                prop_assert_eq!(AdvertRepr::parse(&vrrp, Family::V6).unwrap(), repr);
                prop_assert_eq!(checksum_v3(pseudo.0, pseudo.1, &buf[..n]), 0);
            }
        }
    }
}
