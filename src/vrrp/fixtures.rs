//! Adverts captured from Debian's keepalived 2.2.7 (`tests/fixtures/vrrp/*.hex`, made by
//! `tests/fixtures/vrrp/capture.sh`; each file's header says how), with what each was
//! configured to say.

use std::net::{IpAddr, Ipv4Addr};

use crate::config::model::vrrp::{Family, Version};
use crate::time::Duration;
use crate::vrrp::wire::AuthField;

pub struct Fixture {
    pub name: &'static str,
    /// The packet from its IP header on (IPv6: the kernel's IPv6 header, then VRRP).
    pub bytes: Vec<u8>,
    pub family: Family,
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    pub adver_int: Duration,
    pub addrs: Vec<IpAddr>,
    pub auth: AuthField,
    /// The AH key (auth_pass zero padded).
    pub ah_key: Option<[u8; 8]>,
    pub unicast: bool,
    /// `old_unicast_checksum`: the v3 pseudo-header destination is 224.0.0.18.
    pub old_checksum: bool,
    /// IP ID of the captured advert (the MASTER's n-th).
    pub ip_id: u16,
}

macro_rules! hex_file {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/vrrp/",
            $name,
            ".hex"
        ))
    };
}

/// The bytes of a fixture file: hex digits, ignoring `#` comment lines and white space.
fn decode(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).expect("ascii");
            u8::from_str_radix(s, 16).expect("hex digits")
        })
        .collect()
}

fn addrs(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|a| a.parse().expect("address")).collect()
}

fn base(name: &'static str, text: &str, version: Version, vrid: u8) -> Fixture {
    Fixture {
        name,
        bytes: decode(text),
        family: Family::V4,
        version,
        vrid,
        priority: 100,
        adver_int: Duration::from_secs(1),
        addrs: addrs(&["10.9.9.100"]),
        auth: AuthField::None,
        ah_key: None,
        unicast: false,
        old_checksum: false,
        ip_id: 1,
    }
}

pub const SRC_V4: Ipv4Addr = Ipv4Addr::new(10, 9, 9, 1);
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(10, 9, 9, 2);

pub fn all() -> Vec<Fixture> {
    let v6_vips = addrs(&["fe80::100", "2001:db8::100"]);
    let fifty: Vec<IpAddr> = (1..=50)
        .map(|i| IpAddr::V4(Ipv4Addr::new(10, 9, 10, i)))
        .collect();
    vec![
        base("v2_noauth", hex_file!("v2_noauth"), Version::V2, 51),
        Fixture {
            addrs: addrs(&["10.9.9.100", "10.9.9.101"]),
            auth: AuthField::Pass(*b"secret7\0"),
            ..base("v2_pass", hex_file!("v2_pass"), Version::V2, 52)
        },
        Fixture {
            adver_int: Duration::from_secs(2),
            auth: AuthField::Ah,
            ah_key: Some(*b"ahkey1\0\0"),
            ..base("v2_ah", hex_file!("v2_ah"), Version::V2, 53)
        },
        Fixture {
            auth: AuthField::Ah,
            ah_key: Some(*b"ahkey2\0\0"),
            unicast: true,
            ..base("v2_ah_unicast", hex_file!("v2_ah_unicast"), Version::V2, 54)
        },
        Fixture {
            adver_int: Duration::from_micros(500_000),
            addrs: addrs(&["10.9.9.100", "10.9.9.101"]),
            ..base("v3_ipv4", hex_file!("v3_ipv4"), Version::V3, 55)
        },
        Fixture {
            family: Family::V6,
            addrs: v6_vips.clone(),
            ..base("v3_ipv6", hex_file!("v3_ipv6"), Version::V3, 56)
        },
        Fixture {
            family: Family::V6,
            addrs: v6_vips,
            ..base("v2_ipv6", hex_file!("v2_ipv6"), Version::V2, 57)
        },
        Fixture {
            addrs: fifty,
            ..base("v2_50vips", hex_file!("v2_50vips"), Version::V2, 58)
        },
        Fixture {
            priority: 0,
            ip_id: 2,
            ..base("v3_prio0", hex_file!("v3_prio0"), Version::V3, 59)
        },
        Fixture {
            unicast: true,
            ..base("v3_unicast", hex_file!("v3_unicast"), Version::V3, 60)
        },
        Fixture {
            unicast: true,
            old_checksum: true,
            ..base(
                "v3_unicast_old",
                hex_file!("v3_unicast_old"),
                Version::V3,
                61,
            )
        },
    ]
}
