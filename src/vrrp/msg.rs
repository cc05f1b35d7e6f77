//! Every log line the VRRP core produces, in one place, with keepalived 2.2.7's exact texts.
//! A line is a small value naming objects by id; [`Msg::show`] renders it with their names.
//! Lines keepalived prints only with `-D` (`LOG_DETAIL`) say so through [`Msg::detail`].

use std::fmt;
use std::net::IpAddr;

use super::action::{FileId, GroupId, IfaceId, InstanceId, ProcessId, ScriptId};
use super::instance::State;
use crate::time::Duration;

/// Names of the objects lines refer to.
pub trait Names {
    fn instance(&self, id: InstanceId) -> &str;
    fn group(&self, id: GroupId) -> &str;
    fn script(&self, id: ScriptId) -> &str;
    fn file(&self, id: FileId) -> &str;
    fn process(&self, id: ProcessId) -> &str;
    fn interface(&self, id: IfaceId) -> &str;
}

/// What an address action covered, for the `-D` lines keepalived prints per list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrList {
    Vips,
    Evips,
    Routes,
    Rules,
    Firewall,
}

/// How a tracking script ended, as its log line words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptEnd {
    Succeeded,
    TimedOut,
    ExitStatus(i32),
    Signal(i32),
}

/// Which too-short packet was seen before any instance could be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Short {
    V4,
    V4Ah,
    V6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    DelayingStartup(Duration),
    /// SIGHUP: the configuration is being reloaded.
    Reloading,
    Entering {
        inst: InstanceId,
        state: State,
        init: bool,
    },
    /// An instance found failed while the configuration was completed.
    FaultAtStart(InstanceId),
    FaultScript {
        inst: InstanceId,
        script: ScriptId,
    },
    FaultInterface {
        inst: InstanceId,
        iface: IfaceId,
    },
    FaultFile {
        inst: InstanceId,
        file: FileId,
        status: i64,
    },
    FaultProcess {
        inst: InstanceId,
        process: ProcessId,
    },
    FaultNoAddress {
        inst: InstanceId,
        v6: bool,
    },
    GroupMemberFault {
        group: GroupId,
        inst: InstanceId,
    },
    GroupSyncing {
        group: GroupId,
        state: State,
    },
    ReceiveTimeout(InstanceId),
    BackupPriorityZero(InstanceId),
    StopPreemptDelay(InstanceId),
    StartPreemptDelay {
        inst: InstanceId,
        delay: Duration,
    },
    DiscardLowerPriority {
        inst: InstanceId,
        priority: u8,
        from: IpAddr,
    },
    MasterPriorityZero(InstanceId),
    EqualPriorityOwnAddress(InstanceId),
    BothOwners(InstanceId),
    MasterLowerPriority {
        inst: InstanceId,
        from: IpAddr,
        priority: u8,
        ours: u8,
        election: bool,
    },
    AhSyncSeq(InstanceId),
    MasterHigherPriority {
        inst: InstanceId,
        from: IpAddr,
        priority: u8,
        ours: u8,
    },
    MasterSamePriorityHigherIp {
        inst: InstanceId,
        from: IpAddr,
        priority: u8,
    },
    SentPriorityZero(InstanceId),
    Addresses {
        inst: InstanceId,
        add: bool,
        list: AddrList,
    },
    IntervalLocal {
        inst: InstanceId,
        from: Duration,
        to: Duration,
    },
    IntervalByMaster {
        inst: InstanceId,
        from: Duration,
        to: Duration,
    },
    PriorityChange {
        inst: InstanceId,
        from: u8,
        to: u8,
    },
    GarpOwnSource {
        inst: InstanceId,
        addr: IpAddr,
    },
    ScriptResult {
        script: ScriptId,
        end: ScriptEnd,
    },
    ScriptNowReturning {
        script: ScriptId,
        status: i32,
    },
    ScriptOnReload {
        script: ScriptId,
        ok: bool,
    },
    ScriptNotIdle {
        script: ScriptId,
        terminating: bool,
    },
    Quorum {
        process: ProcessId,
        gained: bool,
    },
    FileNowFault {
        inst: InstanceId,
        file: FileId,
    },
    FileLeavingFault {
        inst: InstanceId,
        file: FileId,
    },
    SettingPriority {
        inst: InstanceId,
        priority: u8,
    },
    LinkChange {
        iface: IfaceId,
        up: bool,
    },
    InterfaceDeleted(IfaceId),
    /// `track_src_ip`: the configured source address is not on its interface at start-up.
    FaultSourceMissing(InstanceId),
    // The receive ladder.
    ShortPacket {
        kind: Short,
        len: usize,
    },
    UnknownVrid {
        vrid: u8,
        iface: IfaceId,
    },
    UnknownVridFrom {
        vrid: u8,
        iface: IfaceId,
        from: IpAddr,
    },
    DiscardCast {
        inst: InstanceId,
        multicast: bool,
    },
    AhUnexpected(InstanceId),
    AhMissing(InstanceId),
    PacketLength {
        inst: InstanceId,
        len: usize,
        expected: usize,
    },
    Ttl {
        inst: InstanceId,
        ttl: u8,
    },
    Version {
        inst: InstanceId,
        got: u8,
        want: u8,
    },
    InvalidAuthType {
        inst: InstanceId,
        auth: u8,
    },
    AuthTypeMismatch {
        inst: InstanceId,
        got: u8,
        want: u8,
    },
    BadPassword(InstanceId),
    AhBadIcv(InstanceId),
    /// keepalived prints both as the raw network-order words read on a little-endian host.
    AhBadSpi {
        saddr: u32,
        spi: u32,
    },
    AhReplay {
        inst: InstanceId,
        seq: u32,
        local: u32,
    },
    IntervalMismatch {
        inst: InstanceId,
        mine: u64,
        got: u8,
    },
    PacketType {
        inst: InstanceId,
        got: u8,
    },
    AddrCount {
        inst: InstanceId,
        got: u8,
        want: u8,
    },
    TotalLength {
        inst: InstanceId,
        total: u16,
        len: usize,
    },
    OldChecksum(InstanceId),
    BadChecksum {
        inst: InstanceId,
        v3: bool,
    },
    CastMismatch {
        inst: InstanceId,
        unicast: bool,
    },
    VipMissing {
        inst: InstanceId,
        vrid: u8,
        addr: IpAddr,
    },
    NotPeer {
        inst: InstanceId,
        addr: IpAddr,
    },
    TtlRange {
        inst: InstanceId,
        ttl: u8,
        min: u8,
        max: u8,
    },
}

impl Msg {
    /// keepalived prints this line only with `-D`.
    pub fn detail(&self) -> bool {
        matches!(
            self,
            Msg::ReceiveTimeout(_)
                | Msg::BackupPriorityZero(_)
                | Msg::StopPreemptDelay(_)
                | Msg::StartPreemptDelay { .. }
                | Msg::MasterPriorityZero(_)
                | Msg::SentPriorityZero(_)
                | Msg::Addresses { .. }
                | Msg::IntervalLocal { .. }
                | Msg::IntervalByMaster { .. }
                | Msg::GarpOwnSource { .. }
                | Msg::FileNowFault { .. }
                | Msg::FileLeavingFault { .. }
                | Msg::SettingPriority { .. }
                | Msg::DiscardCast { .. }
        )
    }

    /// The line, with names looked up in `names`.
    pub fn show<'a, N: Names + ?Sized>(&'a self, names: &'a N) -> Show<'a, N> {
        Show { msg: self, names }
    }
}

/// A [`Msg`] ready to print.
pub struct Show<'a, N: ?Sized> {
    msg: &'a Msg,
    names: &'a N,
}

fn state_word(s: State) -> &'static str {
    match s {
        State::Init => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

fn ms(d: Duration) -> u64 {
    d.as_micros() / 1_000
}

impl<N: Names + ?Sized> fmt::Display for Show<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.names;
        let i = |id: InstanceId| n.instance(id);
        match *self.msg {
            Msg::DelayingStartup(d) => write!(f, "Delaying startup for {d} seconds"),
            Msg::Reloading => f.write_str("Reloading"),
            Msg::Entering { inst, state, init } => {
                let suffix = if init { " (init)" } else { "" };
                write!(f, "({}) Entering {} STATE{suffix}", i(inst), state_word(state))
            }
            Msg::FaultAtStart(inst) => write!(f, "({}) entering FAULT state", i(inst)),
            Msg::FaultScript { inst, script } => write!(
                f,
                "({}): entering FAULT state due to script {}",
                i(inst),
                n.script(script)
            ),
            Msg::FaultInterface { inst, iface } => write!(
                f,
                "({}): entering FAULT state (interface {} down)",
                i(inst),
                n.interface(iface)
            ),
            Msg::FaultFile { inst, file, status } => write!(
                f,
                "({}): entering FAULT state (tracked file {} has status {status})",
                i(inst),
                n.file(file)
            ),
            Msg::FaultProcess { inst, process } => write!(
                f,
                "({}) entering FAULT state (tracked process {} quorum not achieved)",
                i(inst),
                n.process(process)
            ),
            Msg::FaultNoAddress { inst, v6 } => write!(
                f,
                "({}) entering FAULT state (no IPv{} address for interface)",
                i(inst),
                if v6 { 6 } else { 4 }
            ),
            Msg::GroupMemberFault { group, inst } => write!(
                f,
                "VRRP_Group({}): Syncing {} to FAULT state",
                n.group(group),
                i(inst)
            ),
            Msg::GroupSyncing { group, state } => write!(
                f,
                "VRRP_Group({}) Syncing instances to {} state",
                n.group(group),
                state_word(state)
            ),
            Msg::ReceiveTimeout(inst) => {
                write!(f, "({}) Receive advertisement timeout", i(inst))
            }
            Msg::BackupPriorityZero(inst) => {
                write!(f, "({}) Backup received priority 0 advertisement", i(inst))
            }
            Msg::StopPreemptDelay(inst) => write!(f, "({}) stop preempt delay", i(inst)),
            Msg::StartPreemptDelay { inst, delay } => {
                let us = delay.as_micros();
                write!(
                    f,
                    "({}) start preempt delay ({}.{:06})",
                    i(inst),
                    us / 1_000_000,
                    us % 1_000_000
                )
            }
            Msg::DiscardLowerPriority {
                inst,
                priority,
                from,
            } => write!(
                f,
                "({}) received lower priority ({priority}) advert from {from} - discarding",
                i(inst)
            ),
            Msg::MasterPriorityZero(inst) => {
                write!(f, "({}) Master received priority 0 message", i(inst))
            }
            Msg::EqualPriorityOwnAddress(inst) => write!(
                f,
                "({}) WARNING - equal priority advert received from remote host with our IP address.",
                i(inst)
            ),
            Msg::BothOwners(inst) => write!(
                f,
                "({}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority",
                i(inst)
            ),
            Msg::MasterLowerPriority {
                inst,
                from,
                priority,
                ours,
                election,
            } => write!(
                f,
                "({}) Received advert from {from} with lower priority {priority}, ours {ours}{}",
                i(inst),
                if election { ", forcing new election" } else { "" }
            ),
            Msg::AhSyncSeq(inst) => write!(
                f,
                "({}) IPSEC-AH : Syncing seq_num - Increment seq",
                i(inst)
            ),
            Msg::MasterHigherPriority {
                inst,
                from,
                priority,
                ours,
            } => write!(
                f,
                "({}) Master received advert from {from} with higher priority {priority}, ours {ours}",
                i(inst)
            ),
            Msg::MasterSamePriorityHigherIp {
                inst,
                from,
                priority,
            } => write!(
                f,
                "({}) Master received advert from {from} with same priority {priority} but higher IP address than ours",
                i(inst)
            ),
            Msg::SentPriorityZero(inst) => write!(f, "({}) sent 0 priority", i(inst)),
            Msg::Addresses { inst, add, list } => {
                let verb = if add { "sett" } else { "remov" };
                let what = match list {
                    AddrList::Vips => "ing VIPs.",
                    AddrList::Evips => "ing E-VIPs.",
                    AddrList::Routes => "ing Virtual Routes",
                    AddrList::Rules => "ing Virtual Rules",
                    AddrList::Firewall => "ing firewall drop rule",
                };
                write!(f, "({}) {verb}{what}", i(inst))
            }
            Msg::IntervalLocal { inst, from, to } => write!(
                f,
                "({}) changing advert interval from {}ms to locally configured {}ms",
                i(inst),
                ms(from),
                ms(to)
            ),
            Msg::IntervalByMaster { inst, from, to } => write!(
                f,
                "({}) advertisement interval updated from {}ms to {}ms by master",
                i(inst),
                ms(from),
                ms(to)
            ),
            Msg::PriorityChange { inst, from, to } => write!(
                f,
                "({}) Changing effective priority from {from} to {to}",
                i(inst)
            ),
            Msg::GarpOwnSource { inst, addr } => {
                let what = if addr.is_ipv4() { "ARP" } else { "NA" };
                write!(f, "{}: sending gratuitous {what} for {addr}", i(inst))
            }
            Msg::ScriptResult { script, end } => {
                let s = n.script(script);
                match end {
                    ScriptEnd::Succeeded => write!(f, "VRRP_Script({s}) succeeded"),
                    ScriptEnd::TimedOut => write!(f, "VRRP_Script({s}) timed_out"),
                    ScriptEnd::ExitStatus(c) => {
                        write!(f, "VRRP_Script({s}) failed (exited with status {c})")
                    }
                    ScriptEnd::Signal(c) => {
                        write!(f, "VRRP_Script({s}) failed (due to signal {c})")
                    }
                }
            }
            Msg::ScriptNowReturning { script, status } => {
                write!(f, "Script `{}` now returning {status}", n.script(script))
            }
            Msg::ScriptOnReload { script, ok } => write!(
                f,
                "VRRP_Script({}) considered {}successful on reload",
                n.script(script),
                if ok { "" } else { "un" }
            ),
            Msg::ScriptNotIdle {
                script,
                terminating,
            } => write!(
                f,
                "Track script {} is {}, expect idle - skipping run",
                n.script(script),
                if terminating {
                    "being timed out"
                } else {
                    "already running"
                }
            ),
            Msg::Quorum { process, gained } => write!(
                f,
                "Quorum {} for tracked process {}",
                if gained { "gained" } else { "lost" },
                n.process(process)
            ),
            Msg::FileNowFault { inst, file } => write!(
                f,
                "({}): tracked file {} now FAULT state",
                i(inst),
                n.file(file)
            ),
            Msg::FileLeavingFault { inst, file } => write!(
                f,
                "({}): tracked file {} leaving FAULT state",
                i(inst),
                n.file(file)
            ),
            Msg::SettingPriority { inst, priority } => {
                write!(f, "({}) Setting effective priority to {priority}", i(inst))
            }
            Msg::LinkChange { iface, up } => write!(
                f,
                "Netlink reports {} {}",
                n.interface(iface),
                if up { "up" } else { "down" }
            ),
            Msg::InterfaceDeleted(iface) => {
                write!(f, "Interface {} deleted", n.interface(iface))
            }
            Msg::FaultSourceMissing(inst) => write!(
                f,
                "({}): entering FAULT state (src address not configured)",
                i(inst)
            ),
            Msg::ShortPacket { kind, len } => {
                let what = match kind {
                    Short::V4 => "IPv4 VRRP packet",
                    Short::V4Ah => "IPv4 VRRP packet with AH",
                    Short::V6 => "IPv6 VRRP packet",
                };
                write!(f, "{what} too short - {len} bytes")
            }
            Msg::UnknownVrid { vrid, iface } => write!(
                f,
                "Unknown VRID({vrid}) received on interface({}). ignoring...",
                n.interface(iface)
            ),
            Msg::UnknownVridFrom { vrid, iface, from } => write!(
                f,
                "Unknown VRID({vrid}) received on interface({}) from {from}. ignoring...",
                n.interface(iface)
            ),
            Msg::DiscardCast { inst, multicast } => {
                let (pkt, ins) = if multicast { ("mult", "un") } else { ("un", "mult") };
                write!(
                    f,
                    "({}) discarding {pkt}icast packet on {ins}icast instance",
                    i(inst)
                )
            }
            Msg::AhUnexpected(inst) => {
                write!(f, "({}) Received AH header but auth type not AH", i(inst))
            }
            Msg::AhMissing(inst) => write!(f, "({}) No AH header but auth type is AH", i(inst)),
            Msg::PacketLength {
                inst,
                len,
                expected,
            } => write!(
                f,
                "({}) vrrp packet too {}, length {len} and expect {expected}",
                i(inst),
                if len > expected { "long" } else { "short" }
            ),
            Msg::Ttl { inst, ttl } => write!(
                f,
                "({}) invalid TTL/HL. Received {ttl} and expect 255",
                i(inst)
            ),
            Msg::Version { inst, got, want } => write!(
                f,
                "({}) wrong version. Received {got} and expect {want}",
                i(inst)
            ),
            Msg::InvalidAuthType { inst, auth } => {
                write!(f, "({}) Invalid auth type: {auth}", i(inst))
            }
            Msg::AuthTypeMismatch { inst, got, want } => write!(
                f,
                "({}) received a {got} auth, expecting {want}!",
                i(inst)
            ),
            Msg::BadPassword(inst) => write!(f, "({}) received an invalid passwd!", i(inst)),
            Msg::AhBadIcv(inst) => write!(
                f,
                "({}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !",
                i(inst)
            ),
            Msg::AhBadSpi { saddr, spi } => write!(
                f,
                "IPSEC AH : invalid IPSEC SPI value. {saddr} and expect {spi}"
            ),
            Msg::AhReplay { inst, seq, local } => write!(
                f,
                "({}) IPSEC-AH : sequence number {seq} already processed. Packet dropped. Local({local})",
                i(inst)
            ),
            Msg::IntervalMismatch { inst, mine, got } => write!(
                f,
                "({}) advertisement interval mismatch mine={mine} sec rcv'd={got} sec",
                i(inst)
            ),
            Msg::PacketType { inst, got } => write!(
                f,
                "({}) Invalid packet type. {got} and expect 1",
                i(inst)
            ),
            Msg::AddrCount { inst, got, want } => write!(
                f,
                "({}) received an unexpected ip number count {got}, expected {want}!",
                i(inst)
            ),
            Msg::TotalLength { inst, total, len } => write!(
                f,
                "({}) ip_tot_len mismatch against received length. {total} and received {len}",
                i(inst)
            ),
            Msg::OldChecksum(inst) => write!(
                f,
                "({}) Setting unicast VRRPv3 checksum to old version",
                i(inst)
            ),
            Msg::BadChecksum { inst, v3 } => write!(
                f,
                "({}) Invalid VRRPv{} checksum",
                i(inst),
                if v3 { 3 } else { 2 }
            ),
            Msg::CastMismatch { inst, unicast } => {
                let (want, got) = if unicast { ("un", "mult") } else { ("mult", "un") };
                write!(
                    f,
                    "({}) Expected {want}icast packet but received {got}icast packet",
                    i(inst)
                )
            }
            Msg::VipMissing { inst, vrid, addr } => write!(
                f,
                "({}) ip address associated with VRID {vrid} not present in MASTER advert: {addr}",
                i(inst)
            ),
            Msg::NotPeer { inst, addr } => write!(
                f,
                "({}) unicast source address {addr} not a unicast peer",
                i(inst)
            ),
            Msg::TtlRange { inst, ttl, min, max } => write!(
                f,
                "({}) TTL/HL {ttl} not in range {min} - {max}",
                i(inst)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N;
    impl Names for N {
        fn instance(&self, _: InstanceId) -> &str {
            "VI_1"
        }
        fn group(&self, _: GroupId) -> &str {
            "G1"
        }
        fn script(&self, _: ScriptId) -> &str {
            "chk_ok"
        }
        fn file(&self, _: FileId) -> &str {
            "tf"
        }
        fn process(&self, _: ProcessId) -> &str {
            "nginx"
        }
        fn interface(&self, _: IfaceId) -> &str {
            "eth0"
        }
    }

    fn text(m: Msg) -> String {
        m.show(&N).to_string()
    }

    const I: InstanceId = InstanceId(0);

    #[test]
    fn lines_seen_from_keepalived_read_the_same() {
        let a = IpAddr::from([10, 9, 9, 2]);
        let cases = [
            (
                Msg::Entering {
                    inst: I,
                    state: State::Backup,
                    init: true,
                },
                "(VI_1) Entering BACKUP STATE (init)",
            ),
            (
                Msg::ReceiveTimeout(I),
                "(VI_1) Receive advertisement timeout",
            ),
            (
                Msg::Entering {
                    inst: I,
                    state: State::Master,
                    init: false,
                },
                "(VI_1) Entering MASTER STATE",
            ),
            (
                Msg::Addresses {
                    inst: I,
                    add: true,
                    list: AddrList::Vips,
                },
                "(VI_1) setting VIPs.",
            ),
            (
                Msg::Addresses {
                    inst: I,
                    add: false,
                    list: AddrList::Vips,
                },
                "(VI_1) removing VIPs.",
            ),
            (
                Msg::MasterHigherPriority {
                    inst: I,
                    from: a,
                    priority: 150,
                    ours: 100,
                },
                "(VI_1) Master received advert from 10.9.9.2 with higher priority 150, ours 100",
            ),
            (
                Msg::DiscardLowerPriority {
                    inst: I,
                    priority: 100,
                    from: IpAddr::from([10, 9, 9, 1]),
                },
                "(VI_1) received lower priority (100) advert from 10.9.9.1 - discarding",
            ),
            (
                Msg::StartPreemptDelay {
                    inst: I,
                    delay: Duration::from_secs(2),
                },
                "(VI_1) start preempt delay (2.000000)",
            ),
            (
                Msg::BackupPriorityZero(I),
                "(VI_1) Backup received priority 0 advertisement",
            ),
            (
                Msg::ScriptResult {
                    script: ScriptId(0),
                    end: ScriptEnd::Succeeded,
                },
                "VRRP_Script(chk_ok) succeeded",
            ),
            (
                Msg::PriorityChange {
                    inst: I,
                    from: 100,
                    to: 110,
                },
                "(VI_1) Changing effective priority from 100 to 110",
            ),
            (Msg::SentPriorityZero(I), "(VI_1) sent 0 priority"),
        ];
        for (m, want) in cases {
            assert_eq!(text(m), want);
        }
    }

    #[test]
    fn detail_lines_are_flagged() {
        assert!(Msg::SentPriorityZero(I).detail());
        assert!(Msg::BackupPriorityZero(I).detail());
        assert!(!Msg::PriorityChange {
            inst: I,
            from: 1,
            to: 2
        }
        .detail());
        assert!(!Msg::Entering {
            inst: I,
            state: State::Master,
            init: false
        }
        .detail());
    }

    #[test]
    fn script_failures_give_their_reason() {
        let m = |end| Msg::ScriptResult {
            script: ScriptId(0),
            end,
        };
        assert_eq!(
            text(m(ScriptEnd::ExitStatus(1))),
            "VRRP_Script(chk_ok) failed (exited with status 1)"
        );
        assert_eq!(
            text(m(ScriptEnd::Signal(9))),
            "VRRP_Script(chk_ok) failed (due to signal 9)"
        );
        assert_eq!(
            text(m(ScriptEnd::TimedOut)),
            "VRRP_Script(chk_ok) timed_out"
        );
    }
}
