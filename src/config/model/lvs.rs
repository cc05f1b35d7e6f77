//! LVS configuration: `SSL`, `virtual_server_group`, `virtual_server`, `real_server` and the
//! health checkers, and their validation.
//!
//! The model holds what the checker process needs to program IPVS and to run every checker:
//! effective values only. Inheritance (virtual server → real server → checker), keepalived's
//! defaults and its start-up fix-ups (ports, protocol, scheduler, forwarding method, quorum)
//! are applied by [`build`], which reports with keepalived's texts.

mod check_http;
mod check_misc;
mod check_other;
mod check_smtp;
mod checker;
mod draft;
mod dump;
mod forward;
mod group;
mod names;
mod read;
mod real_server;
mod ssl_files;
mod timing;
mod validate;
mod virtual_server;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr};

use super::global::Global;
use super::script::Script;
use super::vrrp::TrackFile;
use crate::config::ctx::Ctx;
use crate::config::diag::{Fatal, Loc};
use crate::config::dump::Dump;
use crate::config::parser::Node;
use crate::time::Duration;

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }

    /// The configuration word (`ip_family`, group `fwmark` lines).
    pub fn word(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

/// The layer 4 protocol of an address service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// The IP protocol number IPVS wants.
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// IPVS schedulers keepalived accepts (`lb_algo`/`lvs_sched`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    Rr,
    Wrr,
    Lc,
    Wlc,
    Lblc,
    Sh,
    Mh,
    Dh,
    Fo,
    Ovf,
    Lblcr,
    Sed,
    Nq,
    Twos,
}

impl Scheduler {
    pub const ALL: [Scheduler; 14] = [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Lc,
        Scheduler::Wlc,
        Scheduler::Lblc,
        Scheduler::Sh,
        Scheduler::Mh,
        Scheduler::Dh,
        Scheduler::Fo,
        Scheduler::Ovf,
        Scheduler::Lblcr,
        Scheduler::Sed,
        Scheduler::Nq,
        Scheduler::Twos,
    ];

    /// The kernel's scheduler name (IPVS_SVC_ATTR_SCHED_NAME).
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Rr => "rr",
            Scheduler::Wrr => "wrr",
            Scheduler::Lc => "lc",
            Scheduler::Wlc => "wlc",
            Scheduler::Lblc => "lblc",
            Scheduler::Sh => "sh",
            Scheduler::Mh => "mh",
            Scheduler::Dh => "dh",
            Scheduler::Fo => "fo",
            Scheduler::Ovf => "ovf",
            Scheduler::Lblcr => "lblcr",
            Scheduler::Sed => "sed",
            Scheduler::Nq => "nq",
            Scheduler::Twos => "twos",
        }
    }

    pub fn from_name(s: &str) -> Option<Scheduler> {
        Scheduler::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// Encapsulation of a tunnelled real server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TunnelKind {
    #[default]
    Ipip,
    Gue {
        port: u16,
    },
    Gre,
}

/// Tunnel checksum option (IPVS tunnel flags); only GUE and GRE carry one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TunnelChecksum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Tunnel {
    pub kind: TunnelKind,
    pub checksum: TunnelChecksum,
}

/// How IPVS forwards to a real server (IPVS_DEST_ATTR_FWD_METHOD and tunnel attributes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarding {
    Nat,
    Dr,
    Tun(Tunnel),
}

/// Scheduler flags IP_VS_SVC_F_SCHED1..3 (`flag-N`, or `sh-`/`mh-fallback` = 1 and
/// `sh-`/`mh-port` = 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SchedFlags {
    pub flag1: bool,
    pub flag2: bool,
    pub flag3: bool,
}

/// `persistence_granularity`: an IPv4 netmask or an IPv6 prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    V4(Ipv4Addr),
    V6(u8),
}

/// The checker timing defaults a virtual or real server passes down to its checkers
/// (already inherited from the virtual server for a real server). Unset values fall back
/// to each checker type's own default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckDefaults {
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub delay_loop: Duration,
    pub connect_timeout: Duration,
    pub alpha: bool,
}

/// `SSL { ... }`: the TLS context of SSL_GET checkers.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ssl {
    pub password: Option<String>,
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
    pub loc: Loc,
    /// The files' contents, read once at load time when an SSL_GET needs them (as
    /// keepalived builds its SSL context at start-up); empty otherwise.
    pub pem: SslPem,
}

/// What the `SSL` block's files held (PEM text).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SslPem {
    pub ca: Vec<u8>,
    pub certificate: Vec<u8>,
    pub key: Vec<u8>,
}

/// Sizes only: a key never reaches a log or a dump.
impl std::fmt::Debug for SslPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SslPem {{ ca: {} bytes, certificate: {} bytes, key: {} bytes }}",
            self.ca.len(),
            self.certificate.len(),
            self.key.len()
        )
    }
}

/// One line of a `virtual_server_group`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupEntry {
    /// An address or an inclusive address range, each address one IPVS service on `port`
    /// (0: any port, persistent services only).
    Range {
        first: IpAddr,
        last: IpAddr,
        port: u16,
        loc: Loc,
    },
    Fwmark {
        mark: u32,
        /// None: the family of the virtual server using the group.
        family: Option<Family>,
        loc: Loc,
    },
}

impl GroupEntry {
    /// The addresses of a range, as keepalived walks them: IPv4 over the whole address,
    /// IPv6 over the last 16 bits only (the upper bits of `first` are kept).
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> {
        let (v4, v6) = match *self {
            GroupEntry::Range {
                first: IpAddr::V4(a),
                last: IpAddr::V4(b),
                ..
            } => (Some(u32::from(a)..=u32::from(b)), None),
            GroupEntry::Range {
                first: IpAddr::V6(a),
                last: IpAddr::V6(b),
                ..
            } => (
                None,
                Some((a.segments(), a.segments()[7]..=b.segments()[7])),
            ),
            _ => (None, None),
        };
        let four = v4.into_iter().flatten().map(|x| IpAddr::V4(x.into()));
        let six = v6.into_iter().flat_map(|(seg, r)| {
            r.map(move |x| {
                let mut s = seg;
                s[7] = x;
                IpAddr::V6(s.into())
            })
        });
        four.chain(six)
    }

    /// How many addresses `addresses()` yields.
    pub fn address_count(&self) -> u64 {
        match *self {
            GroupEntry::Range {
                first: IpAddr::V4(a),
                last: IpAddr::V4(b),
                ..
            } => u64::from(u32::from(b).saturating_sub(u32::from(a))) + 1,
            GroupEntry::Range {
                first: IpAddr::V6(a),
                last: IpAddr::V6(b),
                ..
            } => u64::from(b.segments()[7].saturating_sub(a.segments()[7])) + 1,
            _ => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsGroup {
    pub name: String,
    pub entries: Vec<GroupEntry>,
    pub loc: Loc,
}

impl VsGroup {
    pub fn has_family(&self, f: Family) -> bool {
        self.entries.iter().any(|e| match e {
            GroupEntry::Range { first, .. } => Family::of(first) == f,
            GroupEntry::Fwmark { family, .. } => *family == Some(f),
        })
    }
}

/// What a virtual server is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Service {
    /// `virtual_server IP [PORT]`; port 0 only for persistent services.
    Addr {
        ip: IpAddr,
        port: u16,
    },
    Fwmark(u32),
    /// `virtual_server group NAME`; `seq` numbers the virtual servers of one group (it is
    /// the "port" keepalived shows in messages, `[NAME]:seq`).
    Group {
        name: String,
        seq: u16,
    },
}

/// `sorry_server IP [PORT]`, used while the quorum is lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SorryServer {
    pub ip: IpAddr,
    pub port: u16,
    pub forwarding: Forwarding,
    pub inhibit: bool,
    /// It is also one of the real servers.
    pub duplicates_rs: bool,
    pub loc: Loc,
}

/// A checker's connection (`connect_ip`, `connect_port`, `bindto` ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub ip: IpAddr,
    /// As keepalived: the real server's configured port (0 if it had none) unless
    /// `connect_port` is given; DR/TUN port fix-ups do not apply here.
    pub port: u16,
    pub bind_ip: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub timeout: Duration,
    /// SO_MARK of the checker sockets; 0 = none.
    pub fwmark: u32,
}

/// `http_protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpProtocol {
    #[default]
    V10,
    /// HTTP/1.0 with `Connection: close`.
    V10Close,
    V11,
}

impl HttpProtocol {
    pub fn word(self) -> &'static str {
        match self {
            HttpProtocol::V10 => "1.0",
            HttpProtocol::V10Close => "1.0C",
            HttpProtocol::V11 => "1.1",
        }
    }
}

/// Accepted HTTP status codes, 100..=599.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StatusCodes([u64; 8]);

impl StatusCodes {
    pub const MIN: u16 = 100;
    pub const MAX: u16 = 599;

    pub fn contains(&self, code: u16) -> bool {
        if !(Self::MIN..=Self::MAX).contains(&code) {
            return false;
        }
        let i = usize::from(code - Self::MIN);
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Adds `lo..=hi` (both within MIN..=MAX).
    pub fn insert_range(&mut self, lo: u16, hi: u16) {
        for code in lo.max(Self::MIN)..=hi.min(Self::MAX) {
            let i = usize::from(code - Self::MIN);
            if let Some(w) = self.0.get_mut(i / 64) {
                *w |= 1 << (i % 64);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The codes as inclusive ranges, lowest first.
    pub fn ranges(&self) -> Vec<(u16, u16)> {
        let mut out: Vec<(u16, u16)> = Vec::new();
        for code in Self::MIN..=Self::MAX {
            if !self.contains(code) {
                continue;
            }
            match out.last_mut() {
                Some((_, hi)) if *hi + 1 == code => *hi = code,
                _ => out.push((code, code)),
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub path: String,
    /// MD5 of the body.
    pub digest: Option<[u8; 16]>,
    pub status_codes: StatusCodes,
    /// The url's own `virtualhost`.
    pub virtualhost: Option<String>,
    /// The Host header: url → checker → real server → virtual server `virtualhost`;
    /// None = `address:port`.
    pub host_header: Option<String>,
    /// The SNI name with `enable_sni`: url → checker → virtual server `virtualhost`.
    pub sni_name: Option<String>,
    /// `regex` and its companions (a pattern that compiles).
    pub regex: Option<RegexConf>,
    pub loc: Loc,
}

/// A url's `regex`, `regex_options`, `regex_no_match`, `regex_min_offset` and
/// `regex_max_offset` (`regex_stack` sizes PCRE2's JIT stack: no meaning here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexConf {
    pub pattern: String,
    /// keepalived's option words, known ones only.
    pub options: Vec<String>,
    pub no_match: bool,
    /// The first offset in the response a match may start at.
    pub min_offset: u64,
    /// The last one.
    pub max_offset: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpCheck {
    pub urls: Vec<Url>,
    pub virtualhost: Option<String>,
    pub http_protocol: HttpProtocol,
    pub enable_sni: bool,
    pub fast_recovery: bool,
}

/// DNS_CHECK query types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsType {
    A,
    Ns,
    Cname,
    Soa,
    Mx,
    Txt,
    Aaaa,
    Rrsig,
    Dnskey,
}

impl DnsType {
    pub const ALL: [DnsType; 9] = [
        DnsType::A,
        DnsType::Ns,
        DnsType::Cname,
        DnsType::Soa,
        DnsType::Mx,
        DnsType::Txt,
        DnsType::Aaaa,
        DnsType::Rrsig,
        DnsType::Dnskey,
    ];

    pub fn word(self) -> &'static str {
        match self {
            DnsType::A => "A",
            DnsType::Ns => "NS",
            DnsType::Cname => "CNAME",
            DnsType::Soa => "SOA",
            DnsType::Mx => "MX",
            DnsType::Txt => "TXT",
            DnsType::Aaaa => "AAAA",
            DnsType::Rrsig => "RRSIG",
            DnsType::Dnskey => "DNSKEY",
        }
    }

    /// The RR type code.
    pub fn code(self) -> u16 {
        match self {
            DnsType::A => 1,
            DnsType::Ns => 2,
            DnsType::Cname => 5,
            DnsType::Soa => 6,
            DnsType::Mx => 15,
            DnsType::Txt => 16,
            DnsType::Aaaa => 28,
            DnsType::Rrsig => 46,
            DnsType::Dnskey => 48,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsCheck {
    pub qtype: DnsType,
    /// The query name; empty = the root.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MiscCheck {
    /// Boxed so that every checker kind stays small.
    pub script: Box<Script>,
    /// `misc_timeout`, or the virtual server's delay_loop when unset or 0.
    pub timeout: Duration,
    pub dynamic: bool,
}

/// A hex byte string where `X` nibbles match anything (`mask` bits set = don't care).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexPattern {
    pub data: Vec<u8>,
    pub mask: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpCheck {
    /// None: a random payload.
    pub payload: Option<Vec<u8>>,
    pub require_reply: bool,
    pub reply: Option<HexPattern>,
    pub min_reply_len: u16,
    pub max_reply_len: u16,
}

/// What a checker does. The larger kinds are boxed: a checker is kept for every real
/// server, and most are TCP_CHECKs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckKind {
    Tcp,
    Http(Box<HttpCheck>),
    Ssl(Box<HttpCheck>),
    Smtp { helo_name: String },
    Dns(Box<DnsCheck>),
    Misc(MiscCheck),
    Udp(Box<UdpCheck>),
    Ping,
}

impl CheckKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckKind::Tcp => "TCP_CHECK",
            CheckKind::Http(_) => "HTTP_GET",
            CheckKind::Ssl(_) => "SSL_GET",
            CheckKind::Smtp { .. } => "SMTP_CHECK",
            CheckKind::Dns(_) => "DNS_CHECK",
            CheckKind::Misc(_) => "MISC_CHECK",
            CheckKind::Udp(_) => "UDP_CHECK",
            CheckKind::Ping => "PING_CHECK",
        }
    }
}

/// A health checker with its effective timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checker {
    pub kind: CheckKind,
    /// None for MISC_CHECK.
    pub conn: Option<Connection>,
    /// Start as failed.
    pub alpha: bool,
    /// Extra attempts after a failure before the checker is down.
    pub retry: u32,
    pub delay_before_retry: Duration,
    /// Random start delay bound (0 = none).
    pub warmup: Duration,
    pub delay_loop: Duration,
    /// The checker's `log_all_failures`, or the global `checker_log_all_failures`.
    pub log_all_failures: bool,
    pub loc: Loc,
}

/// `FILE_CHECK`: a `track_file`'s value × weight is added to the real server weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    /// Name of the `track_file` (in `Vrrp::track_files`).
    pub track_file: String,
    pub weight: i32,
    pub reverse: bool,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealServer {
    pub ip: IpAddr,
    /// Effective port: the virtual server's when unset (NAT) or forced (DR/TUN), 0 for
    /// fwmark services with DR/TUN.
    pub port: u16,
    pub weight: u32,
    pub forwarding: Forwarding,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub inhibit_on_failure: bool,
    /// Boxed: most real servers have none, and a script is large.
    pub notify_up: Option<Box<Script>>,
    pub notify_down: Option<Box<Script>>,
    pub smtp_alert: bool,
    pub virtualhost: Option<String>,
    pub defaults: CheckDefaults,
    pub checkers: Vec<Checker>,
    pub file_checks: Vec<FileCheck>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualServer {
    pub service: Service,
    /// None only for a group with both IPv4 and IPv6 entries.
    pub family: Option<Family>,
    /// None for fwmark services (IPVS ignores it).
    pub protocol: Option<Protocol>,
    pub scheduler: Scheduler,
    pub sched_flags: SchedFlags,
    /// One-packet scheduling (UDP or fwmark only).
    pub ops: bool,
    /// The default forwarding of the real servers.
    pub forwarding: Forwarding,
    /// Seconds; None = not persistent.
    pub persistence_timeout: Option<u32>,
    pub persistence_granularity: Option<Granularity>,
    pub persistence_engine: Option<String>,
    pub ha_suspend: bool,
    pub alpha: bool,
    pub omega: bool,
    pub inhibit_on_failure: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Box<Script>>,
    pub quorum_down: Option<Box<Script>>,
    pub sorry_server: Option<SorryServer>,
    pub virtualhost: Option<String>,
    pub smtp_alert: bool,
    /// Default weight of real servers that set none.
    pub weight: u32,
    pub defaults: CheckDefaults,
    pub real_servers: Vec<RealServer>,
    pub loc: Loc,
}

impl VirtualServer {
    /// The name keepalived gives the service in its log lines: `[ip]:tcp:port`, `FWM n`
    /// or `[group]:n`.
    pub fn name(&self) -> String {
        match &self.service {
            Service::Addr { ip, port } => names::trio(ip, self.protocol, *port).to_string(),
            Service::Fwmark(mark) => format!("FWM {mark}"),
            Service::Group { name, seq } => format!("[{name}]:{seq}"),
        }
    }
}

impl SorryServer {
    /// The name keepalived gives the sorry server in its log lines: `[ip]:tcp:port`.
    pub fn name(&self, vs: &VirtualServer) -> String {
        names::trio(&self.ip, vs.protocol, self.port).to_string()
    }
}

impl RealServer {
    /// The name keepalived gives the server in its log lines: `[ip]:tcp:port`.
    pub fn name(&self, vs: &VirtualServer) -> String {
        names::trio(&self.ip, vs.protocol, self.port).to_string()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lvs {
    pub ssl: Option<Ssl>,
    pub groups: Vec<VsGroup>,
    pub virtual_servers: Vec<VirtualServer>,
}

impl Lvs {
    /// Every script of the LVS side, for the security check.
    pub fn scripts_mut(&mut self) -> Vec<&mut Script> {
        let mut out = Vec::new();
        for vs in &mut self.virtual_servers {
            out.extend(vs.quorum_up.as_deref_mut());
            out.extend(vs.quorum_down.as_deref_mut());
            for rs in &mut vs.real_servers {
                out.extend(rs.notify_up.as_deref_mut());
                out.extend(rs.notify_down.as_deref_mut());
                for c in &mut rs.checkers {
                    if let CheckKind::Misc(m) = &mut c.kind {
                        out.push(&mut m.script);
                    }
                }
            }
        }
        out
    }

    pub fn group(&self, name: &str) -> Option<&VsGroup> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// Builds the LVS configuration from the root nodes (`vrrp` gives the `track_file`s that
/// FILE_CHECK refers to), then validates it as keepalived's checker process does.
/// Reads the LVS root nodes as they come, then validates them as keepalived's checker
/// process does.
#[derive(Default)]
pub struct Builder {
    d: draft::Drafts,
}

impl Builder {
    /// One root node, read against the globals and `track_file`s read so far; non-LVS roots
    /// are ignored.
    pub fn root(
        &mut self,
        ctx: &mut Ctx,
        global: &Global,
        track_files: &[TrackFile],
        node: &Node,
    ) -> Result<(), Fatal> {
        let env = draft::Env {
            global,
            track_files,
        };
        let d = &mut self.d;
        match node.kw {
            "SSL" => d.ssl = Some(read::ssl(ctx, node, d.ssl.is_some())?),
            "virtual_server_group" => group::parse(ctx, node, &mut d.groups)?,
            "virtual_server" => virtual_server::parse(ctx, &env, node, d)?,
            _ => {}
        }
        Ok(())
    }

    /// Validates everything read.
    pub fn finish(self, ctx: &mut Ctx, global: &Global) -> Result<Lvs, Fatal> {
        validate::run(ctx, global, self.d)
    }
}

pub fn dump(l: &Lvs, d: &mut Dump) {
    dump::lvs(l, d);
}
