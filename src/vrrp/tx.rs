//! Advert emission: the bytes of a [`SendAdvert`] for each of its destinations, as keepalived
//! builds them (its own IPv4 header, the AH header with the ICV, the VRRP part; for IPv6
//! only the VRRP part, the kernel adding the header and the checksum).

use std::net::{IpAddr, Ipv4Addr};

use super::action::SendAdvert;
use super::instance::Instance;
use super::wire::{
    emit_ipv4_advert_csum, Addrs, AdvertRepr, AhHeader, AuthField, Ipv4Fields, WireError,
    AUTH_DATA_LEN,
};
use crate::config::model::vrrp::{AuthType, ChecksumCompat, Family, Version};
use crate::limits;

/// The largest advert: IPv4 and AH headers, the VRRP header, every address as IPv6, the
/// authentication data.
pub const MAX_ADVERT_LEN: usize =
    60 + AhHeader::LEN + 8 + limits::MAX_VIPS_PER_INSTANCE * 16 + AUTH_DATA_LEN;

/// One advert ready to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Emitted {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Bytes written at the start of the buffer: from the IP header on for IPv4, the VRRP
    /// part for IPv6.
    pub len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The instance had no source address when it decided to send.
    NoSource,
    /// No such destination (multicast has one; unicast one per peer).
    NoDestination,
    Wire(WireError),
}

/// How many packets one advert of `inst` is: one to the group, or one per unicast peer.
pub fn destinations(inst: &Instance) -> usize {
    if inst.unicast {
        inst.peers.len()
    } else {
        1
    }
}

/// The packet of advert `a` for destination `dest` (0..destinations). `group4` is the
/// multicast group keepalived's old VRRPv3 checksum puts in the pseudo-header.
pub fn emit(
    inst: &Instance,
    a: &SendAdvert,
    dest: usize,
    group4: Ipv4Addr,
    buf: &mut [u8],
) -> Result<Emitted, EmitError> {
    let src = a.src.ok_or(EmitError::NoSource)?;
    let dst = if inst.unicast {
        inst.peers.get(dest).map(|p| p.addr)
    } else {
        inst.mcast_group.filter(|_| dest == 0)
    }
    .ok_or(EmitError::NoDestination)?;
    let auth = match inst.auth {
        None => AuthField::None,
        Some((AuthType::Pass, key)) => AuthField::Pass(key),
        Some((AuthType::Ah, _)) => AuthField::Ah,
    };
    let repr = AdvertRepr {
        version: inst.version,
        vrid: inst.vrid,
        priority: a.priority,
        adver_int: inst.adver_int,
        addrs: Addrs::List(&inst.vips),
        auth,
    };
    let len = match (inst.family, src, dst) {
        (Family::V4, IpAddr::V4(s), IpAddr::V4(d)) => {
            let ip = Ipv4Fields {
                src: s,
                dst: d,
                ttl: inst.ttl,
                id: a.ip_id,
            };
            let old = inst.version == Version::V3
                && (inst.checksum == ChecksumCompat::Old || inst.old_checksum);
            let ah = match &inst.auth {
                Some((AuthType::Ah, key)) => Some((key, a.ah_seq)),
                _ => None,
            };
            emit_ipv4_advert_csum(&repr, &ip, ah, if old { group4 } else { d }, buf)
        }
        (Family::V6, _, _) => repr.emit(Family::V6, None, buf),
        _ => return Err(EmitError::NoSource),
    }
    .map_err(EmitError::Wire)?;
    Ok(Emitted { src, dst, len })
}

#[cfg(test)]
mod tests {
    use super::super::action::{Actions, InstanceId};
    use super::super::fixtures;
    use super::super::router::Router;
    use super::super::wire::{split_ipv4, GROUP_V4};
    use super::*;
    use crate::config::host::FakeHost;
    use crate::config::testutil::load_text;
    use crate::time::Instant;

    /// The configuration a fixture was captured with (in its header), on eth0.
    fn fixture_conf(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/vrrp/{name}.hex",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).expect("fixture file");
        let marker = format!("# {name}.conf:");
        text.lines()
            .skip_while(|l| *l != marker)
            .skip(1)
            .take_while(|l| l.starts_with("#   "))
            .map(|l| l.trim_start_matches("#   ").replace("veth0", "eth0"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn router_for(f: &fixtures::Fixture, src: IpAddr) -> Router {
        let loaded = load_text(&fixture_conf(f.name), &FakeHost::new());
        let c = loaded.config.expect("fixture configuration loads");
        let mut r = Router::new(&c.vrrp, &c.global);
        let mut out = Actions::with_capacity(16);
        r.interface_address(
            Instant::from_micros(0),
            "eth0",
            f.family,
            Some(src),
            &mut out,
        );
        r
    }

    #[test]
    fn adverts_are_byte_for_byte_those_keepalived_sent() {
        for f in fixtures::all() {
            let src: IpAddr = match f.family {
                Family::V4 => IpAddr::V4(fixtures::SRC_V4),
                Family::V6 => {
                    let b: [u8; 16] = f.bytes[8..24].try_into().expect("IPv6 source");
                    IpAddr::from(b)
                }
            };
            let r = router_for(&f, src);
            let a = SendAdvert {
                instance: InstanceId(0),
                priority: f.priority,
                ip_id: f.ip_id,
                ah_seq: 1,
                src: Some(src),
            };
            assert_eq!(r.advert_destinations(InstanceId(0)), 1, "{}", f.name);
            let mut buf = [0u8; MAX_ADVERT_LEN];
            let e = r.emit_advert(&a, 0, &mut buf).expect(f.name);
            match f.family {
                Family::V4 => assert_eq!(&buf[..e.len], &f.bytes[..], "{}", f.name),
                Family::V6 => {
                    // The kernel wrote the IPv6 header and the checksum (bytes 6..8).
                    let mut want = f.bytes[40..].to_vec();
                    want[6] = 0;
                    want[7] = 0;
                    assert_eq!(&buf[..e.len], &want[..], "{}", f.name);
                }
            }
            let dst = if f.unicast {
                IpAddr::V4(fixtures::PEER_V4)
            } else if f.family == Family::V4 {
                IpAddr::V4(GROUP_V4)
            } else {
                "ff02::12".parse().expect("group")
            };
            assert_eq!(e.dst, dst, "{}", f.name);
        }
    }

    #[test]
    fn unicast_adverts_go_to_each_peer_with_the_same_id() {
        let text = "vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 9
            unicast_src_ip 10.0.0.1
            unicast_peer {
                10.0.0.2
                10.0.0.3
            }
            virtual_ipaddress {
                10.0.0.100/24
            }
        }";
        let c = load_text(text, &FakeHost::new()).config.expect("loads");
        let r = Router::new(&c.vrrp, &c.global);
        assert_eq!(r.advert_destinations(InstanceId(0)), 2);
        let a = SendAdvert {
            instance: InstanceId(0),
            priority: 100,
            ip_id: 7,
            ah_seq: 0,
            src: r.instances()[0].source(),
        };
        let mut buf = [0u8; MAX_ADVERT_LEN];
        for (k, peer) in ["10.0.0.2", "10.0.0.3"].iter().enumerate() {
            let e = r.emit_advert(&a, k, &mut buf).expect("emits");
            let (ip, _, vrrp) = split_ipv4(&buf[..e.len]).expect("parses");
            assert_eq!(ip.dst().to_string(), *peer);
            assert_eq!(ip.id(), 7);
            assert_eq!(vrrp.priority(), 100);
        }
        assert_eq!(
            r.emit_advert(&a, 2, &mut buf),
            Err(EmitError::NoDestination)
        );
        let none = SendAdvert { src: None, ..a };
        assert_eq!(r.emit_advert(&none, 0, &mut buf), Err(EmitError::NoSource));
    }
}
