//! The effective VRRP instance: every value of a `vrrp_instance` resolved as keepalived's
//! VRRP process runs it (defaults, global settings, strict mode and version rules applied).

use std::net::IpAddr;

use super::track::Tracking;
use super::vmac::Vmac;
use crate::config::diag::Loc;
use crate::config::model::global::GarpExtraIf;
use crate::config::model::ipaddr::IpAddress;
use crate::config::model::route::Route;
use crate::config::model::rule::Rule;
use crate::config::model::script::Script;
use crate::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(a: &IpAddr) -> Family {
        match a {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// The state an instance starts in (it becomes MASTER at once only as address owner).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialState {
    Master,
    Backup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    /// Simple password (auth type 1).
    Pass,
    /// IPsec AH with HMAC-MD5-96 (auth type 2).
    Ah,
}

/// VRRPv2 authentication; the key is the password, zero-padded to 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Auth {
    pub kind: AuthType,
    pub key: [u8; 8],
}

/// `old_unicast_checksum`: which pseudo-header destination VRRPv3 IPv4 unicast checksums use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChecksumCompat {
    /// Switch to the old form when a peer is seen using it.
    #[default]
    Auto,
    /// Always the old form (the multicast group as destination).
    Old,
    /// Never switch.
    Never,
}

/// `unicast_peer` entry: `IP [min_ttl N] [max_ttl N]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: u8,
    pub max_ttl: u8,
    pub loc: Loc,
}

/// Where adverts are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Multicast {
        group: IpAddr,
    },
    Unicast {
        peers: Vec<UnicastPeer>,
        /// TTL / hop limit of adverts; None: the kernel's default (IPv6).
        ttl: Option<u8>,
        /// Drop adverts whose source is not a peer (or outside a peer's TTL range).
        check_src: bool,
    },
}

/// Gratuitous ARP / unsolicited NA timing, after global defaults and strict mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Garp {
    pub master_delay: Duration,
    pub master_repeat: u32,
    pub master_refresh: Duration,
    pub master_refresh_repeat: u32,
    pub lower_prio_delay: Duration,
    pub lower_prio_repeat: u32,
    /// Periodic GARPs on the other interfaces the addresses use; None: off.
    pub extra_if: Option<GarpExtraIf>,
}

/// Notify scripts shared by instances and sync groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyScripts {
    pub master: Option<Box<Script>>,
    pub backup: Option<Box<Script>>,
    pub fault: Option<Box<Script>>,
    pub stop: Option<Box<Script>>,
    /// `notify`: called for every state with the type, name, state and priority appended.
    pub generic: Option<Box<Script>>,
}

impl NotifyScripts {
    pub fn slot(&mut self, kw: &str) -> Option<&mut Option<Box<Script>>> {
        match kw {
            "notify_master" => Some(&mut self.master),
            "notify_backup" => Some(&mut self.backup),
            "notify_fault" => Some(&mut self.fault),
            "notify_stop" => Some(&mut self.stop),
            "notify" => Some(&mut self.generic),
            _ => None,
        }
    }

    pub fn all_mut(&mut self) -> impl Iterator<Item = &mut Script> {
        [
            &mut self.master,
            &mut self.backup,
            &mut self.fault,
            &mut self.stop,
            &mut self.generic,
        ]
        .into_iter()
        .filter_map(|s| s.as_deref_mut())
    }
}

/// Why the configuration holds an instance in FAULT state from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigFault {
    /// Unicast was configured with `unicast_fault_no_peer` but no peers.
    NoUnicastPeers,
    /// Its VMAC is the interface of another instance's addresses.
    VmacConflict,
}

/// One VRRP instance with every value resolved as keepalived runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub name: String,
    pub loc: Loc,
    pub vrid: u8,
    pub family: Family,
    pub version: Version,
    /// The configured interface; the instance runs on its VMAC when there is one.
    pub interface: Option<String>,
    pub vmac: Option<Vmac>,
    pub initial_state: InitialState,
    /// Base priority; 255 = address owner.
    pub priority: u8,
    /// Whole seconds for VRRPv2, centiseconds for VRRPv3.
    pub advert_int: Duration,
    pub auth: Option<Auth>,
    /// Advertised addresses; `dev` is filled in with the interface they go on.
    pub vips: Vec<IpAddress>,
    pub evips: Vec<IpAddress>,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    pub transport: Transport,
    /// Configured source address of adverts (`mcast_src_ip`/`unicast_src_ip`); None: the
    /// interface's primary address.
    pub src_addr: Option<IpAddr>,
    /// Go to FAULT while the configured source address is missing.
    pub track_src_ip: bool,
    pub old_unicast_checksum: ChecksumCompat,
    /// Accept packets addressed to the VIPs when MASTER (otherwise a firewall drops them).
    pub accept: bool,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    pub strict: bool,
    pub skip_check_adv_addr: bool,
    pub garp: Garp,
    /// Master down interval = this × advert interval + skew.
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub promote_secondaries: bool,
    pub dont_track_primary: bool,
    /// What changes the priority or causes FAULT, including the instance's own interface,
    /// its addresses' interfaces and its sync group's tracking (weight 0 = FAULT).
    pub tracking: Tracking,
    pub notify: NotifyScripts,
    /// `notify_deleted`: report DELETED rather than FAULT when removed by a reload.
    pub notify_deleted: bool,
    pub notify_deleted_script: Option<Box<Script>>,
    pub notify_master_rx_lower_pri: Option<Box<Script>>,
    pub smtp_alert: bool,
    pub notify_priority_changes: bool,
    pub sync_group: Option<String>,
    pub config_faults: Vec<ConfigFault>,
    /// `debug N` (accepted, no effect).
    pub debug: u8,
}

/// The deprecated per-instance `lvs_sync_daemon_interface`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LvsSyncInterface {
    pub interface: String,
    pub instance: String,
    pub loc: Loc,
}
