//! Instances that cannot run side by side: the same VRID on the same link (keepalived's
//! `check_vrid_conflicts()`), and addresses put on another instance's VMAC
//! (`check_vmac_conflicts()`).

use std::net::IpAddr;

use super::instance::{Family, Instance, Transport};
use crate::config::ctx::Ctx;
use crate::config::model::ipaddr::IpAddress;

/// Reports every VRID conflict; true when there was one (keepalived then stops).
///
/// Two multicast instances conflict on the same interface, family and group. Two unicast
/// instances conflict when their source addresses match and they share a peer; an
/// unconfigured source address is the interface's, which is not known here, so such
/// pairs are not compared.
pub fn vrid_conflicts(ctx: &mut Ctx, all: &[&Instance]) -> bool {
    // Only instances of one family and VRID can conflict: each is compared with the later
    // ones of its kind, found through `next`, in the order of a scan of all pairs.
    let kind = |i: &Instance| usize::from(i.family == Family::V6) * 256 + usize::from(i.vrid);
    let mut next = vec![None; all.len()];
    let mut following = [None; 512];
    for (k, a) in all.iter().enumerate().rev() {
        if let (Some(n), Some(f)) = (next.get_mut(k), following.get_mut(kind(a))) {
            *n = f.replace(k);
        }
    }
    let mut had_error = false;
    for (k, a) in all.iter().enumerate() {
        let after = |i: Option<usize>| i.and_then(|i| next.get(i).copied().flatten());
        let mut j = after(Some(k));
        while let Some(b) = j.and_then(|i| all.get(i)) {
            j = after(j);
            match (&a.transport, &b.transport) {
                (Transport::Unicast { peers: pa, .. }, Transport::Unicast { peers: pb, .. }) => {
                    let other_if = a.interface.is_some()
                        && b.interface.is_some()
                        && a.interface != b.interface;
                    if other_if || a.src_addr.is_none() || a.src_addr != b.src_addr {
                        continue;
                    }
                    if pa.iter().any(|p| pb.iter().any(|q| p.addr == q.addr)) {
                        let msg = format!(
                            "({}) duplicate VRID conflict with {} VRID {}",
                            a.name, b.name, a.vrid
                        );
                        ctx.error(b.loc, msg);
                        had_error = true;
                    }
                }
                (Transport::Multicast { group: ga }, Transport::Multicast { group: gb }) => {
                    if a.interface != b.interface || ga != gb {
                        continue;
                    }
                    let Some(ifname) = &a.interface else {
                        continue;
                    };
                    // An interface that does not exist yet (dynamic_interfaces) is not checked.
                    if !ctx.host.interface_exists(ifname) {
                        continue;
                    }
                    let v = if a.family == Family::V4 { 4 } else { 6 };
                    let msg = format!(
                        "{} and {} both use VRID {} with IPv{v} on interface {ifname}",
                        a.name, b.name, a.vrid
                    );
                    ctx.error(b.loc, msg);
                    had_error = true;
                }
                _ => {}
            }
        }
    }
    had_error
}

/// keepalived's `ipaddresstos()`: the address, with the prefix unless a host prefix.
pub fn addr_text(a: &IpAddress) -> String {
    let host = match a.addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    if a.prefix == host {
        a.addr.to_string()
    } else {
        format!("{}/{}", a.addr, a.prefix)
    }
}

/// Instances (by index) whose VMAC carries another instance's addresses; keepalived holds
/// them in FAULT. Instances of one sync group may share a VMAC.
pub fn vmac_conflicts(ctx: &mut Ctx, all: &[&Instance]) -> Vec<usize> {
    let mut faulty = Vec::new();
    for (k, a) in all.iter().enumerate() {
        let Some(vmac) = &a.vmac else {
            continue;
        };
        for b in &all[..k] {
            if a.vrid != b.vrid || (a.sync_group.is_some() && a.sync_group == b.sync_group) {
                continue;
            }
            let b_other_family =
                b.vmac.is_some() && b.evips.iter().any(|e| Family::of(&e.addr) != b.family);
            if a.family != b.family && !b_other_family {
                continue;
            }
            let addrs: Vec<&IpAddress> = if a.family == b.family {
                b.vips.iter().chain(&b.evips).collect()
            } else {
                b.evips.iter().collect()
            };
            for ip in addrs {
                if ip.dev.as_deref() == Some(vmac.name.as_str()) {
                    let msg = format!(
                        "({}) VIP/eVIP {} uses same VMAC as VRRP instance {}, disabling {}",
                        b.name,
                        addr_text(ip),
                        a.name,
                        a.name
                    );
                    ctx.error(ip.loc, msg);
                    faulty.push(k);
                }
            }
        }
    }
    faulty
}
