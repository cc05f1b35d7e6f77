//! What the VRRP side sets up at start-up and reload: VMACs, the nf_tables firewall, the
//! file and process trackers.

use super::*;

pub(super) fn all_vips(c: &Config) -> Vec<IpAddr> {
    c.vrrp
        .instances
        .iter()
        .flat_map(|i| i.vips.iter().chain(&i.evips).map(|a| a.addr))
        .collect()
}

pub(super) fn is_configured_vip(v: &crate::config::model::vrrp::Vrrp, a: IpAddr) -> bool {
    v.instances
        .iter()
        .any(|i| i.vips.iter().chain(&i.evips).any(|x| x.addr == a))
}

/// The nf_tables firewall, when an instance has `no_accept` (vrrp_strict's default).
pub(super) fn open_firewall(c: &Config) -> Option<Firewall> {
    if c.vrrp.instances.iter().all(|i| i.accept) {
        return None;
    }
    let table = c.global.nftables.as_deref().unwrap_or("keepalived");
    match Firewall::open(table, c.global.nftables_priority) {
        Ok(f) => Some(f),
        Err(e) => {
            log::error!("nftables: {e}; no_accept VIPs will not be filtered");
            None
        }
    }
}

/// Makes the VMACs (`use_vmac`) of the instances, except those named in `done`.
pub(super) fn make_vmacs(
    nl: &mut nl::Command,
    sysctls: &mut VmacSysctls,
    c: &Config,
    done: &[nl::IfName],
) -> Vec<(u32, nl::IfName, bool)> {
    let mut names: Vec<nl::IfName> = Vec::new();
    if let Err(e) = nl.dump_links(|l| names.push(l.name)) {
        log::error!("netlink: listing links: {e}");
    }
    let mut made = Vec::new();
    for i in &c.vrrp.instances {
        let (Some(v), Some(parent_name)) = (&i.vmac, i.interface.as_deref()) else {
            continue;
        };
        if done.iter().any(|d| d.as_str() == v.name) {
            continue;
        }
        let parent = match nl.link_by_name(parent_name) {
            Ok(Some(p)) => p,
            Ok(None) => {
                log::error!(
                    "({}) cannot create VMAC {}: no interface {parent_name}",
                    i.name,
                    v.name
                );
                continue;
            }
            Err(e) => {
                log::error!("({}) cannot create VMAC {}: {e}", i.name, v.name);
                continue;
            }
        };
        let ipv4 = i.family == Family::V4;
        let link_local = match (i.family, i.src_addr) {
            (Family::V6, Some(IpAddr::V6(a))) => Some(a),
            (Family::V6, _) => {
                let b = parent.hw_addr.as_bytes();
                let mut mac = [0u8; 6];
                if b.len() == 6 {
                    mac.copy_from_slice(b);
                }
                Some(nl::vmac::link_local_from_mac(mac))
            }
            _ => None,
        };
        let spec = VmacSpec {
            name: &v.name,
            mac: v.mac,
            parent: parent.ifindex,
            parent_name,
            ipv4,
            ipv6: !ipv4 || i.evips.iter().any(|a| a.addr.is_ipv6()),
            link_local,
        };
        match nl::create_vmac(nl, sysctls, &spec, names.iter().map(|n| n.as_str())) {
            Ok((index, origin)) => {
                match origin {
                    VmacOrigin::Updated => log::info!(
                        "({}) Update old VMAC interface {} due to wrong MAC/mode",
                        i.name,
                        v.name
                    ),
                    VmacOrigin::Replaced => log::info!(
                        "({}) Removing old VMAC interface {} due to conflicting interface",
                        i.name,
                        v.name
                    ),
                    VmacOrigin::Created | VmacOrigin::Reused => {}
                }
                if let Some(p) = nl::IfName::new(parent_name) {
                    made.push((index, p, ipv4));
                }
            }
            Err(e) => log::error!("({}) cannot create VMAC {}: {e}", i.name, v.name),
        }
    }
    made
}

/// The track_file and vrrp_track_process watchers (`init_file` written unless `reload`).
pub(super) fn trackers(c: &Config, reload: bool) -> (TrackFiles, TrackProcesses) {
    let (files, msgs) = TrackFiles::new(&c.vrrp, reload);
    for m in msgs {
        log::error!("{m}");
    }
    let (procs, msg) = TrackProcesses::new(&c.vrrp);
    if let Some(m) = msg {
        log::error!("{m}");
    }
    (files, procs)
}

pub(super) fn files_capacity(c: &Config) -> usize {
    2 * c.vrrp.track_files.len() + 1
}
