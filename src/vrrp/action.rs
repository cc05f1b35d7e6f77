//! What the VRRP core asks the runtime to do: plain values pushed into a caller-owned list
//! of fixed capacity. The core never performs IO; the runtime executes these in order.

use super::lvs_syncd::SyncdRole;
use super::msg::Msg;

/// A VRRP instance: its index in `config::model::vrrp::Vrrp::instances`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub u16);
/// A sync group: its index in `Vrrp::sync_groups`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u16);
/// A `vrrp_script`: its index in `Vrrp::scripts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScriptId(pub u16);
/// A `track_file`: its index in `Vrrp::track_files`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u16);
/// A `vrrp_track_process`: its index in `Vrrp::track_processes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(pub u16);
/// An interface the core knows by name (instances' interfaces and tracked ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfaceId(pub u16);
/// A receive socket of the pool (interface, family, protocol, group or unicast source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SockId(pub u16);

/// The state named in a notification (scripts, FIFO, SMTP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyState {
    Master,
    Backup,
    Fault,
    Stop,
    /// Removed by a reload (an instance of the old configuration, before
    /// [`Action::Reloaded`]). With its `notify_deleted`: `notify_deleted` runs, then
    /// `notify` and the FIFO say DELETED. Without (keepalived's older behaviour, still its
    /// default): no `notify_<state>` script runs, and `notify` and the FIFO say FAULT.
    Deleted,
}

impl NotifyState {
    /// The word keepalived passes to `notify` scripts and writes to the FIFO.
    pub fn word(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::Deleted => "DELETED",
        }
    }
}

/// Who a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Instance(InstanceId),
    Group(GroupId),
}

/// Signals the core asks the runtime to send to a running `vrrp_script` (its process group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// Which addresses a gratuitous ARP / unsolicited NA round covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GarpScope {
    /// One message for every VIP, then every eVIP, each on its own interface
    /// (keepalived's `vrrp_send_link_update`).
    Addresses,
    /// `garp_extra_if`: one message on each of the instance's extra interfaces, for the
    /// first address it has there, listed by `Instance::garp_extra_targets`
    /// (`vrrp_send_vmac_update`). They keep switches learning MACs that send no adverts.
    ExtraInterfaces,
}

/// One advertisement to send. The IP ID and AH sequence number are taken when the core
/// decides to send (as keepalived updates them when it builds the packet), so
/// `Router::emit_advert` turns this into the same bytes for every destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendAdvert {
    pub instance: InstanceId,
    pub priority: u8,
    /// IPv4 identification field (never 0).
    pub ip_id: u16,
    /// AH sequence number (auth_type AH only; 0 otherwise).
    pub ah_seq: u32,
    /// The source address when it was decided (it may be gone when the runtime sends).
    pub src: Option<std::net::IpAddr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send an advertisement to the multicast group, or to every unicast peer.
    SendAdvert(SendAdvert),
    /// Add the instance's VIPs, eVIPs, virtual routes and rules (and the no_accept firewall
    /// rules when it has them), in that order.
    AddAddresses(InstanceId),
    /// Remove its virtual rules, routes, VIPs and eVIPs (and firewall rules), and drop any
    /// gratuitous ARPs still queued for it.
    RemoveAddresses(InstanceId),
    /// `rounds` rounds of gratuitous ARP / unsolicited NA over `scope`.
    Garp {
        instance: InstanceId,
        rounds: u32,
        scope: GarpScope,
    },
    /// One gratuitous ARP / NA for the instance's own source address (a unicast instance
    /// leaving FAULT refreshes its peers' neighbour caches).
    GarpSource(InstanceId),
    /// Run the `vrrp_script` now; report its end with `Router::script_result`.
    RunScript(ScriptId),
    /// Signal the running script (timeout).
    KillScript { script: ScriptId, signal: Signal },
    /// The instance or group entered `state`: run `notify_<state>`, then `notify` with
    /// `INSTANCE|GROUP name STATE priority`, then write the FIFO line (keepalived's order).
    Notify {
        target: Target,
        state: NotifyState,
        priority: u8,
    },
    /// A MASTER received a lower-priority advert: `notify_master_rx_lower_pri` and the FIFO
    /// event `MASTER_RX_LOWER_PRI`.
    MasterRxLowerPri { instance: InstanceId, priority: u8 },
    /// The effective priority changed (FIFO `MASTER_PRIORITY`/`BACKUP_PRIORITY` when
    /// `notify_priority_changes` is set).
    PriorityChanged {
        instance: InstanceId,
        priority: u8,
        master: bool,
    },
    /// Start the IPVS sync daemon in `role` (IPVS_CMD_NEW_DAEMON with the parameters of
    /// `Router::sync_daemon`).
    StartSyncd(SyncdRole),
    /// Stop the IPVS sync daemon of `role` (IPVS_CMD_DEL_DAEMON); one that is not running
    /// is no error.
    StopSyncd(SyncdRole),
    /// Reload only, before [`Action::Reloaded`]: remove the virtual rules and routes of
    /// `instance` (of the configuration before the reload) that its successor `successor`
    /// (of the new configuration) does not have, and, when `vips` (its addresses were set),
    /// its VIPs and eVIPs (and no_accept firewall entries) that the successor does not have
    /// (keepalived's `clear_diff_vrrp_vrules`, `_vroutes`, `_vip`).
    RemoveStale {
        instance: InstanceId,
        successor: InstanceId,
        vips: bool,
    },
    /// Reload only: the actions before this one name the router and the configuration
    /// from before the reload (the `Router` that `Router::reload` returned); this one and
    /// those after it name the new ones.
    Reloaded,
    /// A log line, in keepalived's words.
    Log(Msg),
}

/// The actions of one call into the core, in a list of fixed capacity.
pub type Actions = crate::bounded::Bounded<Action>;

impl Actions {
    pub fn log(&mut self, m: Msg) {
        self.push(Action::Log(m));
    }
}
