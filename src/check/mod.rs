//! The health-checker core: every checker of the LVS configuration as a sans-IO state
//! machine with keepalived's scheduling (`check_api.c`, `check_*.c`, `ipwrapper.c`).
//!
//! No IO and no clock: every entry point takes `now` and an input and pushes [`Action`]s
//! into a caller-owned [`Actions`] list of fixed capacity; [`Checkers::poll_at`] is the
//! earliest deadline. Nothing allocates after [`Checkers::new`]: requests, queries and
//! response readers are made there, once per checker (`tests/check_alloc.rs` proves it).
//! The one exception is SSL_GET with the `tls` feature: rustls allocates a connection per
//! attempt. Without the feature SSL_GET fails every attempt, logging once that it needs it.
//!
//! How a runtime drives it:
//!
//! 1. `let mut c = Checkers::new(&config.lvs, seed); let mut a =
//!    Actions::with_capacity(c.action_capacity()); c.start(now, &mut a);`
//! 2. Execute the actions in order:
//!    - `Probe { checker, kind }`: for every kind but `Misc`, open a socket to
//!      `c.target(checker)` (`net::probe::Probe::open`), then report its progress with
//!      `c.probe_event(now, checker, ProbeEvent::..)`: `Connected` once the connection is
//!      made (UDP/ICMP: once the socket is ready), `Data(bytes)` for every read, `Closed`
//!      at end of stream, `Failed(errno)` on a socket error (refused, unreachable, ICMP
//!      error on a connected datagram socket). After each call, write what
//!      `c.pending_tx(checker)` returns and report it with `c.sent(checker, n)`. If the
//!      socket cannot be made, report `Failed(errno)` at once. `Misc`: run the script
//!      `c.misc(checker)` names, with its timeout, through the script runner, and report
//!      its end with `c.misc_result(now, checker, MiscExit::..)`.
//!    - `CancelProbe(checker)`: close the probe's socket; the attempt is over.
//!    - `RealServerUp/Down(rs)`: add or remove the real server (or set its weight to 0 /
//!      back with inhibit_on_failure); `Weight { rs, weight }`: its new dynamic weight;
//!      `NotifyUp/Down(rs)`: its `notify_up`/`notify_down` script, FIFO line and SMTP alert.
//!    - `Log(msg)`: log `c.text(msg)`.
//! 3. Wait until `c.poll_at()` or a socket event; on the deadline call
//!    `c.handle_timeout(now, &mut a)`. A probe's deadline (connect_timeout, re-armed by
//!    every step of a dialogue, never past `limits::CHECK_ATTEMPT_TIMEOUTS` of them) is
//!    the core's: it cancels the probe itself. A MISC_CHECK has no core deadline: the
//!    script runner kills it at its timeout and reports `MiscExit::TimedOut`.
//! 4. FILE_CHECK: report each value of its `track_file` with `c.file_value(now, id, v, ..)`.
//!
//! Events for an attempt that is over (a late `Connected`, data after `CancelProbe`) are
//! ignored, so the runtime need not be exact about the order of its reads.
//!
//! Scheduling is keepalived's: each checker starts after 1 s + a random part of its
//! `warmup`; a failed attempt is retried `retry` times `delay_before_retry` apart before the
//! checker is down; then it runs every `delay_loop`. A real server is alive while none of
//! its checkers is down (`num_failed_checkers`); `alpha` checkers start down. Each kind
//! follows its own keepalived epilogue: TCP_CHECK retries even when down (silently);
//! UDP_CHECK and PING_CHECK give up at once when down; HTTP_GET checks one url per
//! delay_loop and, once a url failed, re-checks it every max(delay_before_retry,
//! delay_loop) and then every url before it is up again (`fast_recovery` skips the waits
//! until it has a verdict); SMTP_CHECK, DNS_CHECK and MISC_CHECK as `check_smtp.c`,
//! `check_dns.c` and `check_misc.c` (misc_dynamic: exit 2..255 sets the weight to
//! status − 2).

pub mod dns;
pub mod http;
pub mod icmp;
mod msg;
pub mod regex;
pub mod smtp;
#[cfg(feature = "tls")]
pub mod tls;
pub mod udp;

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use msg::{DnsFail, MiscEnd, MiscRetry, Msg, Text};

use crate::config::model::lvs::{CheckKind, Lvs, StatusCodes, UdpCheck};
use crate::config::model::script::Script;
use crate::limits;
use crate::time::{Duration, Instant};

use http::{HttpError, Response};
use smtp::{Smtp, SmtpError, SmtpStep};

/// A checker: its index in the core's table (real servers' checkers in configuration
/// order; FILE_CHECKs are not checkers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckerId(pub u32);

/// A real server: `Lvs::virtual_servers[vs].real_servers[rs]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RsId {
    pub vs: u16,
    pub rs: u16,
}

/// A FILE_CHECK: its index over all real servers' `file_checks`, in configuration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileCheckId(pub u32);

/// What a probe is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Tcp,
    Http,
    Ssl,
    Smtp,
    Dns,
    Udp,
    Ping,
    Misc,
}

/// The socket a probe needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A TCP connection.
    Stream,
    /// A connected UDP socket.
    Datagram,
    /// An ICMP / ICMPv6 echo socket.
    Echo,
}

/// Where and how a probe connects (from the checker's connection options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub transport: Transport,
    pub dst: SocketAddr,
    /// `bindto` with `bind_port` (port 0 when unset); None when neither is set.
    pub bind: Option<SocketAddr>,
    pub bind_if: Option<String>,
    /// SO_MARK; 0 = none.
    pub fwmark: u32,
}

/// What happened on a probe's socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeEvent<'a> {
    Connected,
    Data(&'a [u8]),
    Closed,
    /// errno of the failure (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT ...).
    Failed(i32),
}

/// How a MISC_CHECK script ended (the script runner tells).
pub use crate::script::MiscExit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start an attempt of the checker (see the module documentation).
    Probe {
        checker: CheckerId,
        kind: ProbeKind,
    },
    /// The attempt is over: close its socket.
    CancelProbe(CheckerId),
    /// The real server came alive: add it to IPVS (or enable it with inhibit_on_failure).
    RealServerUp(RsId),
    /// The real server failed: remove it (or set weight 0 with inhibit_on_failure).
    RealServerDown(RsId),
    /// Run the real server's notify_up (FIFO `RS ... UP`, SMTP alert).
    NotifyUp(RsId),
    /// Run its notify_down (FIFO `RS ... DOWN`, SMTP alert).
    NotifyDown(RsId),
    /// The real server's effective weight changed (misc_dynamic, FILE_CHECK).
    Weight {
        rs: RsId,
        weight: i64,
    },
    Log(Msg),
}

/// The actions of one call into the core, in a list of fixed capacity.
pub type Actions = crate::bounded::Bounded<Action>;

impl Actions {
    fn log(&mut self, m: Msg) {
        self.push(Action::Log(m));
    }
}

/// Which family of log texts and epilogue a checker uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Tcp,
    Http,
    Smtp,
    Dns,
    Udp,
    Ping,
    Misc,
    File,
}

/// keepalived's BOOTSTRAP_DELAY: every checker starts at least this late.
pub const BOOTSTRAP_DELAY: Duration = Duration::from_secs(1);

struct Url {
    request: Vec<u8>,
    path: String,
    /// The SNI name (enable_sni).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    sni: Option<String>,
    codes: StatusCodes,
    digest: Option<[u8; 16]>,
    regex: Option<std::sync::Arc<regex::UrlRegex>>,
}

struct HttpState {
    urls: Vec<Url>,
    /// keepalived's url_it (None = past the last).
    url_it: Option<usize>,
    failed_url: Option<usize>,
    resp: Response,
    fast_recovery: bool,
    ssl: bool,
    tls_logged: bool,
    #[cfg(feature = "tls")]
    tls: Option<tls::Tls>,
}

enum Kind {
    Tcp,
    Http(Box<HttpState>),
    Smtp(Box<Smtp>),
    Dns {
        qtype: u16,
        name: String,
        id: u16,
    },
    Udp(Box<UdpCheck>),
    Ping {
        seq: u16,
    },
    Misc {
        script: Box<Script>,
        timeout: Duration,
        dynamic: bool,
        last_exit: Option<u8>,
        last_ran: Instant,
    },
    File {
        weight: i32,
        reverse: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the next attempt (at `deadline`).
    Idle,
    /// An attempt is under way (`deadline` = its step timeout; none for MISC).
    Probing,
}

struct Slot {
    rs: usize,
    kind: Kind,
    /// ha_suspend: false while the virtual server's address is not on this host; its
    /// attempts are skipped (rescheduled a delay_loop later), the verdict kept.
    enabled: bool,
    target: Option<Target>,
    retry: u32,
    delay_before_retry: Duration,
    delay_loop: Duration,
    warmup: Duration,
    timeout: Duration,
    log_all: bool,
    is_up: bool,
    has_run: bool,
    retry_it: u32,
    cur_weight: i64,
    phase: Phase,
    deadline: Option<Instant>,
    /// The latest end of the attempt under way (CHECK_ATTEMPT_TIMEOUTS × connect_timeout
    /// after its start): a server that trickles bytes cannot hold an attempt open.
    attempt_end: Instant,
    seq: u32,
    tx: Vec<u8>,
    tx_off: usize,
}

struct Rs {
    id: RsId,
    name: String,
    vs_name: String,
    inhibit: bool,
    alive: bool,
    num_failed: u32,
    iweight: i64,
    weight: i64,
}

/// Every checker of a configuration and the real servers they decide.
pub struct Checkers {
    slots: Vec<Slot>,
    /// FILE_CHECK slots: `slots[files[i]]`.
    files: Vec<u32>,
    rs: Vec<Rs>,
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    rng: u64,
}

fn target_of(c: &crate::config::model::lvs::Connection, transport: Transport) -> Target {
    let bind = match (c.bind_ip, c.bind_port) {
        (None, None) => None,
        (ip, port) => {
            let ip = ip.unwrap_or(match c.ip {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            });
            Some(SocketAddr::new(ip, port.unwrap_or(0)))
        }
    };
    Target {
        transport,
        dst: SocketAddr::new(c.ip, c.port),
        bind,
        bind_if: c.bind_if.clone(),
        fwmark: c.fwmark,
    }
}

impl Checkers {
    /// Every checker of `lvs`; `seed` seeds the warm-up jitter, DNS IDs and ICMP sequence.
    pub fn new(lvs: &Lvs, seed: u64) -> Checkers {
        let mut slots = Vec::new();
        let mut files = Vec::new();
        let mut rss = Vec::new();
        #[cfg(feature = "tls")]
        let tls_config = tls::client_config(lvs.ssl.as_ref()).ok();
        for (vi, vs) in lvs.virtual_servers.iter().enumerate() {
            let vs_name = vs.name();
            for (ri, r) in vs.real_servers.iter().enumerate() {
                let rsi = rss.len();
                let mut num_failed = 0;
                for c in &r.checkers {
                    let (kind, transport) = match &c.kind {
                        CheckKind::Tcp => (Kind::Tcp, Transport::Stream),
                        CheckKind::Http(h) | CheckKind::Ssl(h) => {
                            let ssl = matches!(c.kind, CheckKind::Ssl(_));
                            let dst = c.conn.as_ref().map_or(SocketAddr::new(r.ip, r.port), |k| {
                                SocketAddr::new(k.ip, k.port)
                            });
                            let urls = h
                                .urls
                                .iter()
                                .map(|u| {
                                    let mut request = Vec::new();
                                    http::request(
                                        &mut request,
                                        &u.path,
                                        u.host_header.as_deref(),
                                        dst,
                                        h.http_protocol,
                                    );
                                    request.shrink_to_fit();
                                    Url {
                                        request,
                                        path: u.path.clone(),
                                        sni: u.sni_name.clone().filter(|_| h.enable_sni),
                                        codes: u.status_codes,
                                        digest: u.digest,
                                        regex: u.regex.as_ref().and_then(regex::UrlRegex::new),
                                    }
                                })
                                .collect::<Vec<_>>();
                            let resp = if urls.iter().any(|u| u.regex.is_some()) {
                                Response::with_regex_window()
                            } else {
                                Response::new()
                            };
                            let st = HttpState {
                                urls,
                                url_it: Some(0),
                                failed_url: None,
                                resp,
                                fast_recovery: h.fast_recovery,
                                ssl,
                                tls_logged: false,
                                #[cfg(feature = "tls")]
                                tls: ssl.then(|| tls::Tls::new(tls_config.clone())),
                            };
                            (Kind::Http(Box::new(st)), Transport::Stream)
                        }
                        CheckKind::Smtp { helo_name } => (
                            Kind::Smtp(Box::new(Smtp::new(helo_name))),
                            Transport::Stream,
                        ),
                        CheckKind::Dns(d) => (
                            Kind::Dns {
                                qtype: d.qtype.code(),
                                name: d.name.clone(),
                                id: 0,
                            },
                            Transport::Datagram,
                        ),
                        CheckKind::Udp(u) => (Kind::Udp(u.clone()), Transport::Datagram),
                        CheckKind::Ping => (Kind::Ping { seq: 0 }, Transport::Echo),
                        CheckKind::Misc(m) => (
                            Kind::Misc {
                                script: m.script.clone(),
                                timeout: m.timeout,
                                dynamic: m.dynamic,
                                last_exit: None,
                                last_ran: Instant::from_micros(0),
                            },
                            Transport::Stream,
                        ),
                    };
                    let tx_cap = match &kind {
                        Kind::Http(h) => h.urls.iter().map(|u| u.request.len()).max().unwrap_or(0),
                        Kind::Smtp(_) => 0,
                        Kind::Dns { .. } => dns::QUERY_MAX,
                        Kind::Udp(u) => u
                            .payload
                            .as_ref()
                            .map_or(limits::UDP_RANDOM_PAYLOAD, Vec::len),
                        Kind::Ping { .. } => icmp::ECHO_LEN,
                        _ => 0,
                    };
                    let target = c.conn.as_ref().map(|k| target_of(k, transport));
                    let timeout = c.conn.as_ref().map_or(Duration::ZERO, |k| k.timeout);
                    if c.alpha {
                        num_failed += 1;
                    }
                    slots.push(Slot {
                        rs: rsi,
                        enabled: true,
                        kind,
                        target,
                        retry: c.retry,
                        delay_before_retry: c.delay_before_retry,
                        delay_loop: c.delay_loop,
                        warmup: c.warmup,
                        timeout,
                        log_all: c.log_all_failures,
                        is_up: !c.alpha,
                        has_run: false,
                        retry_it: 0,
                        cur_weight: 0,
                        phase: Phase::Idle,
                        deadline: None,
                        attempt_end: Instant::from_micros(0),
                        seq: 0,
                        tx: Vec::with_capacity(tx_cap.max(smtp_tx_cap(&c.kind))),
                        tx_off: 0,
                    });
                }
                for f in &r.file_checks {
                    files.push(slots.len() as u32);
                    slots.push(Slot {
                        rs: rsi,
                        enabled: true,
                        kind: Kind::File {
                            weight: f.weight,
                            reverse: f.reverse,
                        },
                        target: None,
                        retry: 0,
                        delay_before_retry: Duration::ZERO,
                        delay_loop: Duration::ZERO,
                        warmup: Duration::ZERO,
                        timeout: Duration::ZERO,
                        log_all: false,
                        is_up: true,
                        has_run: false,
                        retry_it: 0,
                        cur_weight: 0,
                        phase: Phase::Idle,
                        deadline: None,
                        attempt_end: Instant::from_micros(0),
                        seq: 0,
                        tx: Vec::new(),
                        tx_off: 0,
                    });
                }
                rss.push(Rs {
                    id: RsId {
                        vs: vi as u16,
                        rs: ri as u16,
                    },
                    name: r.name(vs),
                    vs_name: vs_name.clone(),
                    inhibit: r.inhibit_on_failure,
                    alive: num_failed == 0,
                    num_failed,
                    iweight: i64::from(r.weight),
                    weight: i64::from(r.weight),
                });
            }
        }
        let heap = BinaryHeap::with_capacity(2 * slots.len() + 16);
        Checkers {
            slots,
            files,
            rs: rss,
            heap,
            rng: match seed ^ 0x9e37_79b9_7f4a_7c15 {
                0 => 1,
                x => x,
            },
        }
    }

    /// The capacity an `Actions` list needs for any one call.
    pub fn action_capacity(&self) -> usize {
        limits::CHECK_ACTIONS_BASE + limits::CHECK_ACTIONS_PER_CHECKER * self.slots.len()
    }

    pub fn checker_count(&self) -> usize {
        self.slots.len() - self.files.len()
    }

    /// Whether the real server is alive (all its checkers up); at start-up, before any
    /// result, this is the initial state IPVS gets (alpha checkers count as down).
    pub fn rs_alive(&self, rs: RsId) -> bool {
        self.rs.iter().any(|r| r.id == rs && r.alive)
    }

    /// The real server's effective weight (its weight plus dynamic weights).
    pub fn rs_weight(&self, rs: RsId) -> Option<i64> {
        self.rs.iter().find(|r| r.id == rs).map(|r| r.weight)
    }

    /// Whether the checker is up.
    pub fn is_up(&self, id: CheckerId) -> bool {
        self.slot(id).is_some_and(|s| s.is_up)
    }

    /// The real server the checker belongs to.
    pub fn rs_of(&self, id: CheckerId) -> Option<RsId> {
        self.slot(id).and_then(|s| self.rs.get(s.rs)).map(|r| r.id)
    }

    /// Where the checker's probe connects (None for MISC_CHECK).
    pub fn target(&self, id: CheckerId) -> Option<&Target> {
        self.slot(id).and_then(|s| s.target.as_ref())
    }

    /// The MISC_CHECK script and its timeout (`misc_timeout`, else the delay_loop).
    pub fn misc(&self, id: CheckerId) -> Option<(&Script, Duration)> {
        match &self.slot(id)?.kind {
            Kind::Misc {
                script, timeout, ..
            } => {
                let s = self.slot(id)?;
                let t = if timeout.as_micros() == 0 {
                    s.delay_loop
                } else {
                    *timeout
                };
                Some((script, t))
            }
            _ => None,
        }
    }

    /// Bytes still to send on the probe's socket.
    pub fn pending_tx(&self, id: CheckerId) -> &[u8] {
        match self.slot(id) {
            Some(s) if s.phase == Phase::Probing => s.tx.get(s.tx_off..).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// `n` bytes of `pending_tx` were sent.
    pub fn sent(&mut self, id: CheckerId, n: usize) {
        if let Some(s) = self.slot_mut(id) {
            s.tx_off = (s.tx_off + n).min(s.tx.len());
        }
    }

    /// Bytes a receive buffer needs to hold one datagram of this checker's replies.
    pub fn recv_len(&self, id: CheckerId) -> usize {
        match self.slot(id).map(|s| &s.kind) {
            Some(Kind::Udp(u)) => udp::recv_len(u),
            _ => limits::PROBE_RECV_BUFFER,
        }
    }

    /// The message rendered with keepalived's words.
    pub fn text(&self, m: Msg) -> Text<'_> {
        Text { c: self, m }
    }

    /// The earliest deadline.
    pub fn poll_at(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Schedules every checker's first attempt (1 s + random(0..warmup)) and logs
    /// "Activating healthchecker ...".
    pub fn start(&mut self, now: Instant, acts: &mut Actions) {
        for i in 0..self.slots.len() {
            if matches!(self.slots[i].kind, Kind::File { .. }) {
                continue;
            }
            let id = CheckerId(i as u32);
            if self.slots[i].enabled {
                acts.log(Msg::Activating(id));
            } else {
                acts.log(Msg::Deactivating(id));
            }
            let warmup = self.slots[i].warmup.as_micros();
            let jitter = if warmup == 0 {
                0
            } else {
                let r = u64::from(self.random() as u32);
                ((u128::from(warmup) * u128::from(r)) / u128::from(u32::MAX)) as u64
            };
            let at = now + BOOTSTRAP_DELAY + Duration::from_micros(jitter);
            self.arm(i, at);
        }
        self.prune();
    }

    /// ha_suspend, before [`Self::start`]: the checkers of virtual server `vs` start
    /// suspended (logged "Deactivating ..." by `start`).
    pub fn start_suspended(&mut self, vs: u16) {
        for k in 0..self.slots.len() {
            if self.rs[self.slots[k].rs].id.vs == vs {
                self.slots[k].enabled = false;
            }
        }
    }

    /// ha_suspend: the virtual server's address came (`enabled`) or went; its checkers
    /// resume or pause, each change logged as keepalived does. A probe under way finishes.
    pub fn set_enabled(&mut self, vs: u16, enabled: bool, acts: &mut Actions) {
        for k in 0..self.slots.len() {
            let s = &self.slots[k];
            if self.rs[s.rs].id.vs != vs || s.enabled == enabled {
                continue;
            }
            if matches!(s.kind, Kind::File { .. }) {
                continue;
            }
            self.slots[k].enabled = enabled;
            let id = CheckerId(k as u32);
            acts.log(if enabled {
                Msg::Activating(id)
            } else {
                Msg::Suspending(id)
            });
        }
    }

    /// Runs what is due at `now`: attempts to start, probes timed out.
    pub fn handle_timeout(&mut self, now: Instant, acts: &mut Actions) {
        while let Some(&Reverse((at, i, seq))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            let i = i as usize;
            let Some(s) = self.slots.get_mut(i) else {
                continue;
            };
            if s.seq != seq || s.deadline != Some(at) {
                continue;
            }
            s.deadline = None;
            match s.phase {
                Phase::Idle => self.launch(now, i, acts),
                Phase::Probing => self.timed_out(now, i, acts),
            }
        }
        self.prune();
    }

    /// Progress of a probe's socket.
    pub fn probe_event(&mut self, now: Instant, id: CheckerId, ev: ProbeEvent, acts: &mut Actions) {
        let i = id.0 as usize;
        match self.slots.get(i) {
            Some(s) if s.phase == Phase::Probing => {}
            _ => return,
        }
        self.on_event(now, i, ev, acts);
        self.prune();
    }

    /// A MISC_CHECK script ended.
    pub fn misc_result(&mut self, now: Instant, id: CheckerId, exit: MiscExit, acts: &mut Actions) {
        let i = id.0 as usize;
        match self.slots.get(i) {
            Some(s) if s.phase == Phase::Probing && matches!(s.kind, Kind::Misc { .. }) => {}
            _ => return,
        }
        self.misc_epilog(now, i, exit, acts);
        self.prune();
    }

    /// A FILE_CHECK's `track_file` has value `v`: value × weight (negated with `reverse`)
    /// joins the real server's weight; with weight 0 a non-zero value (a zero one with
    /// `reverse`) puts the checker down, as does a result at or below INT32_MIN.
    pub fn file_value(&mut self, _now: Instant, id: FileCheckId, v: i64, acts: &mut Actions) {
        let Some(&i) = self.files.get(id.0 as usize) else {
            return;
        };
        let i = i as usize;
        let Kind::File { weight, reverse } = self.slots[i].kind else {
            return;
        };
        let mult: i64 = if reverse { -1 } else { 1 };
        let (down, cur) = if weight == 0 {
            ((v != 0) != reverse, 0)
        } else {
            let cur = v.saturating_mul(i64::from(weight)).saturating_mul(mult);
            (cur <= i64::from(i32::MIN), cur)
        };
        let s = &mut self.slots[i];
        let new_cur = if down { 0 } else { cur };
        if new_cur != s.cur_weight {
            let delta = new_cur - s.cur_weight;
            s.cur_weight = new_cur;
            let rs = self.slots[i].rs;
            self.add_weight(rs, delta, acts);
        }
        self.update_state(i, !down, acts);
    }

    // ----- internals -----

    fn slot(&self, id: CheckerId) -> Option<&Slot> {
        self.slots.get(id.0 as usize)
    }

    fn slot_mut(&mut self, id: CheckerId) -> Option<&mut Slot> {
        self.slots.get_mut(id.0 as usize)
    }

    pub(crate) fn shape(&self, id: CheckerId) -> Shape {
        match self.slot(id).map(|s| &s.kind) {
            Some(Kind::Http(_)) => Shape::Http,
            Some(Kind::Smtp(_)) => Shape::Smtp,
            Some(Kind::Dns { .. }) => Shape::Dns,
            Some(Kind::Udp(_)) => Shape::Udp,
            Some(Kind::Ping { .. }) => Shape::Ping,
            Some(Kind::Misc { .. }) => Shape::Misc,
            Some(Kind::File { .. }) => Shape::File,
            Some(Kind::Tcp) | None => Shape::Tcp,
        }
    }

    pub(crate) fn keyword(&self, id: CheckerId) -> &'static str {
        match self.slot(id).map(|s| &s.kind) {
            Some(Kind::Http(h)) if h.ssl => "SSL_GET",
            Some(Kind::Http(_)) => "HTTP_GET",
            Some(Kind::Smtp(_)) => "SMTP_CHECK",
            Some(Kind::Dns { .. }) => "DNS_CHECK",
            Some(Kind::Udp(_)) => "UDP_CHECK",
            Some(Kind::Ping { .. }) => "PING_CHECK",
            Some(Kind::Misc { .. }) => "MISC_CHECK",
            Some(Kind::File { .. }) => "FILE_CHECK",
            Some(Kind::Tcp) | None => "TCP_CHECK",
        }
    }

    pub(crate) fn rs_name_of(&self, id: CheckerId) -> &str {
        self.slot(id)
            .and_then(|s| self.rs.get(s.rs))
            .map_or("?", |r| r.name.as_str())
    }

    pub(crate) fn vs_name_of(&self, id: CheckerId) -> &str {
        self.slot(id)
            .and_then(|s| self.rs.get(s.rs))
            .map_or("?", |r| r.vs_name.as_str())
    }

    pub(crate) fn rs_names(&self, id: RsId) -> (&str, &str, bool) {
        self.rs
            .iter()
            .find(|r| r.id == id)
            .map_or(("?", "?", false), |r| {
                (r.name.as_str(), r.vs_name.as_str(), r.inhibit)
            })
    }

    pub(crate) fn url_path(&self, id: CheckerId, url: u16) -> &str {
        match self.slot(id).map(|s| &s.kind) {
            Some(Kind::Http(h)) => h.urls.get(usize::from(url)).map_or("?", |u| &u.path),
            _ => "?",
        }
    }

    pub(crate) fn misc_name(&self, id: CheckerId) -> &str {
        match self.slot(id).map(|s| &s.kind) {
            Some(Kind::Misc { script, .. }) => script.args.first().map_or("?", String::as_str),
            _ => "?",
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn arm(&mut self, i: usize, at: Instant) {
        let s = &mut self.slots[i];
        s.seq = s.seq.wrapping_add(1);
        s.deadline = Some(at);
        let entry = Reverse((at, i as u32, s.seq));
        if self.heap.len() >= self.heap.capacity() {
            // The rebuilt heap holds every live deadline, this one included.
            self.rebuild_heap();
            return;
        }
        self.heap.push(entry);
    }

    fn disarm(&mut self, i: usize) {
        let s = &mut self.slots[i];
        s.seq = s.seq.wrapping_add(1);
        s.deadline = None;
    }

    /// Drops stale entries (re-armed or disarmed slots), keeping the heap's capacity.
    fn rebuild_heap(&mut self) {
        self.heap.clear();
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(at) = s.deadline {
                self.heap.push(Reverse((at, i as u32, s.seq)));
            }
        }
    }

    /// Pops stale entries off the top, so `poll_at` is a live deadline.
    fn prune(&mut self) {
        while let Some(&Reverse((at, i, seq))) = self.heap.peek() {
            match self.slots.get(i as usize) {
                Some(s) if s.seq == seq && s.deadline == Some(at) => break,
                _ => {
                    self.heap.pop();
                }
            }
        }
    }

    /// keepalived's `*_connect_thread`: one attempt.
    fn launch(&mut self, now: Instant, i: usize, acts: &mut Actions) {
        if !self.slots[i].enabled {
            let next = now + self.slots[i].delay_loop;
            self.arm(i, next);
            return;
        }
        let id = CheckerId(i as u32);
        let rnd = self.random();
        let s = &mut self.slots[i];
        s.tx.clear();
        s.tx_off = 0;
        let kind = match &mut s.kind {
            Kind::Tcp => ProbeKind::Tcp,
            Kind::Http(h) => {
                if h.ssl && cfg!(not(feature = "tls")) {
                    if !h.tls_logged {
                        h.tls_logged = true;
                        acts.log(Msg::NoTls(id));
                    }
                    // No socket was opened: fail the attempt as a failed connection.
                    self.http_fail(now, i, None, acts);
                    return;
                }
                let u = h.url_it.unwrap_or(0);
                h.resp
                    .reset_for(h.urls.get(u).and_then(|url| url.regex.clone()));
                if let Some(url) = h.urls.get(u) {
                    // SSL_GET sends its request through TLS once connected.
                    if !h.ssl && url.request.len() <= s.tx.capacity() {
                        s.tx.extend_from_slice(&url.request);
                    }
                }
                if h.ssl {
                    ProbeKind::Ssl
                } else {
                    ProbeKind::Http
                }
            }
            Kind::Smtp(sm) => {
                sm.reset();
                ProbeKind::Smtp
            }
            Kind::Dns {
                qtype,
                name,
                id: qid,
            } => {
                *qid = rnd as u16;
                if !dns::query(&mut s.tx, *qid, *qtype, name) {
                    s.tx.clear();
                }
                ProbeKind::Dns
            }
            Kind::Udp(u) => {
                match &u.payload {
                    Some(p) => s.tx.extend_from_slice(p),
                    None => {
                        let mut r = rnd;
                        for _ in 0..limits::UDP_RANDOM_PAYLOAD {
                            s.tx.push(r as u8);
                            r = r.rotate_right(8) ^ 0x9e37_79b9;
                        }
                    }
                }
                ProbeKind::Udp
            }
            Kind::Ping { seq } => {
                *seq = seq.wrapping_add(1);
                let v6 = s.target.as_ref().is_some_and(|t| t.dst.is_ipv6());
                s.tx.extend_from_slice(&icmp::echo_request(v6, rnd as u16, *seq));
                ProbeKind::Ping
            }
            Kind::Misc { last_ran, .. } => {
                *last_ran = now;
                ProbeKind::Misc
            }
            Kind::File { .. } => return,
        };
        s.phase = Phase::Probing;
        let timeout = s.timeout;
        s.attempt_end = now + timeout * limits::CHECK_ATTEMPT_TIMEOUTS as u64;
        acts.push(Action::Probe { checker: id, kind });
        if kind != ProbeKind::Misc {
            self.arm(i, now + timeout);
        }
    }

    /// Ends the attempt's socket.
    fn end_probe(&mut self, i: usize, acts: &mut Actions) {
        let s = &mut self.slots[i];
        if s.phase == Phase::Probing && !matches!(s.kind, Kind::Misc { .. }) {
            acts.push(Action::CancelProbe(CheckerId(i as u32)));
        }
        s.phase = Phase::Idle;
        s.tx.clear();
        s.tx_off = 0;
        #[cfg(feature = "tls")]
        if let Kind::Http(h) = &mut s.kind {
            if let Some(t) = h.tls.as_mut() {
                t.stop();
            }
        }
        self.disarm(i);
    }

    fn next_in(&mut self, now: Instant, i: usize, delay: Duration) {
        self.arm(i, now + delay);
    }

    /// Re-arms the step timeout after progress, within the attempt's bound.
    fn restep(&mut self, now: Instant, i: usize) {
        let s = &self.slots[i];
        let at = (now + s.timeout).min(s.attempt_end);
        self.arm(i, at);
    }

    fn on_event(&mut self, now: Instant, i: usize, ev: ProbeEvent, acts: &mut Actions) {
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        match &mut s.kind {
            Kind::Tcp => match ev {
                ProbeEvent::Connected => self.simple_epilog(now, i, true, acts),
                ProbeEvent::Failed(_) | ProbeEvent::Closed => {
                    if s.is_up && s.log_all {
                        acts.log(Msg::ConnFailed(id));
                    }
                    self.simple_epilog(now, i, false, acts);
                }
                ProbeEvent::Data(_) => {}
            },
            #[cfg(feature = "tls")]
            Kind::Http(h) if h.ssl => self.on_tls_event(now, i, ev, acts),
            Kind::Http(h) => match ev {
                ProbeEvent::Connected => self.restep(now, i),
                ProbeEvent::Data(d) => match h.resp.feed(d) {
                    Err(e) => self.http_fail(now, i, Some(e), acts),
                    Ok(()) if h.resp.complete() => self.http_done(now, i, acts),
                    Ok(()) => self.restep(now, i),
                },
                ProbeEvent::Closed => self.http_done(now, i, acts),
                ProbeEvent::Failed(_) => {
                    if s.log_all && (s.is_up || !s.has_run) {
                        acts.log(Msg::ConnFailed(id));
                    }
                    self.http_fail(now, i, None, acts)
                }
            },
            Kind::Smtp(sm) => match ev {
                ProbeEvent::Connected => self.restep(now, i),
                ProbeEvent::Data(d) => match sm.feed(d) {
                    Ok(SmtpStep::More) => self.restep(now, i),
                    Ok(SmtpStep::Send) => {
                        let cmd = sm.tx();
                        s.tx.clear();
                        s.tx_off = 0;
                        if cmd.len() <= s.tx.capacity() {
                            s.tx.extend_from_slice(cmd);
                        }
                        self.restep(now, i);
                    }
                    Ok(SmtpStep::Done) => self.smtp_epilog(now, i, None, acts),
                    Err(e) => self.smtp_epilog(now, i, Some(SmtpFail::Error(e)), acts),
                },
                ProbeEvent::Closed => {
                    self.smtp_epilog(now, i, Some(SmtpFail::Error(SmtpError::Closed)), acts)
                }
                ProbeEvent::Failed(_) => {
                    self.smtp_epilog(now, i, Some(SmtpFail::Error(SmtpError::Closed)), acts)
                }
            },
            Kind::Dns { id: qid, .. } => match ev {
                ProbeEvent::Connected | ProbeEvent::Closed => {}
                ProbeEvent::Data(d) => match dns::reply(*qid, d) {
                    dns::DnsReply::Ignore => {}
                    dns::DnsReply::Ok => self.dns_epilog(now, i, None, acts),
                    dns::DnsReply::Rcode(rc) => {
                        self.dns_epilog(now, i, Some(DnsFail::Rcode(rc)), acts)
                    }
                },
                ProbeEvent::Failed(e) => self.dns_epilog(now, i, Some(DnsFail::Socket(e)), acts),
            },
            Kind::Udp(u) => match ev {
                ProbeEvent::Connected | ProbeEvent::Closed => {}
                ProbeEvent::Data(d) => {
                    if udp::reply_ok(u, d) {
                        self.simple_epilog(now, i, true, acts);
                    } else {
                        if s.is_up && s.log_all {
                            acts.log(Msg::UdpMismatch(id));
                        }
                        self.simple_epilog(now, i, false, acts);
                    }
                }
                ProbeEvent::Failed(_) => {
                    if s.is_up && s.log_all {
                        acts.log(Msg::ConnFailed(id));
                    }
                    self.simple_epilog(now, i, false, acts);
                }
            },
            Kind::Ping { seq } => {
                let v6 = s.target.as_ref().is_some_and(|t| t.dst.is_ipv6());
                match ev {
                    ProbeEvent::Connected | ProbeEvent::Closed => {}
                    ProbeEvent::Data(d) => {
                        if icmp::echo_reply(v6, *seq, d) == icmp::EchoReply::Ok {
                            self.simple_epilog(now, i, true, acts);
                        }
                    }
                    ProbeEvent::Failed(_) => {
                        if s.is_up && s.log_all {
                            acts.log(Msg::ConnFailed(id));
                        }
                        self.simple_epilog(now, i, false, acts);
                    }
                }
            }
            Kind::Misc { .. } | Kind::File { .. } => {}
        }
    }

    /// SSL_GET: socket bytes through TLS to the HTTP reader.
    #[cfg(feature = "tls")]
    fn on_tls_event(&mut self, now: Instant, i: usize, ev: ProbeEvent, acts: &mut Actions) {
        let s = &mut self.slots[i];
        let ip = s
            .target
            .as_ref()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |t| t.dst.ip());
        let Kind::Http(h) = &mut s.kind else { return };
        let HttpState {
            urls,
            url_it,
            resp,
            tls,
            ..
        } = &mut **h;
        let Some(t) = tls.as_mut() else {
            return self.http_fail(now, i, None, acts);
        };
        let mut done = false;
        let ok = match ev {
            ProbeEvent::Connected => urls
                .get(url_it.unwrap_or(0))
                .is_some_and(|u| t.start(&u.request, u.sni.as_deref(), ip).is_ok()),
            ProbeEvent::Data(d) => match t.feed(d, &mut |p| resp.feed(p).is_ok()) {
                Ok(closed) => {
                    done = closed || resp.complete();
                    true
                }
                Err(_) => false,
            },
            ProbeEvent::Closed => {
                done = true;
                true
            }
            ProbeEvent::Failed(_) => false,
        };
        if !ok {
            let e = resp.feed(&[]).err();
            return self.http_fail(now, i, e, acts);
        }
        if done {
            return self.http_done(now, i, acts);
        }
        if s.tx_off >= s.tx.len() {
            s.tx.clear();
            s.tx_off = 0;
        }
        if t.take_tx(&mut s.tx).is_err() {
            return self.http_fail(now, i, None, acts);
        }
        self.restep(now, i);
    }

    fn timed_out(&mut self, now: Instant, i: usize, acts: &mut Actions) {
        let id = CheckerId(i as u32);
        let s = &self.slots[i];
        match &s.kind {
            Kind::Tcp | Kind::Ping { .. } => {
                if s.is_up && s.log_all {
                    acts.log(Msg::Timeout(id));
                }
                self.simple_epilog(now, i, false, acts);
            }
            Kind::Udp(u) => {
                // Silence is success unless a reply is required.
                let ok = !u.require_reply;
                if !ok && s.is_up && s.log_all {
                    acts.log(Msg::Timeout(id));
                }
                self.simple_epilog(now, i, ok, acts);
            }
            Kind::Http(_) => {
                if s.log_all && (s.is_up || !s.has_run) {
                    acts.log(Msg::Timeout(id));
                }
                self.http_fail(now, i, None, acts);
            }
            Kind::Smtp(_) => self.smtp_epilog(now, i, Some(SmtpFail::Timeout), acts),
            Kind::Dns { .. } => self.dns_epilog(now, i, Some(DnsFail::Timeout), acts),
            Kind::Misc { .. } | Kind::File { .. } => {}
        }
    }

    /// `tcp_epilog` (TCP) and `udp_epilog` / `icmp_epilog` (UDP, PING: no retries once down).
    fn simple_epilog(&mut self, now: Instant, i: usize, ok: bool, acts: &mut Actions) {
        self.end_probe(i, acts);
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        let strict = matches!(s.kind, Kind::Tcp);
        let give_up = if strict {
            s.retry_it >= s.retry
        } else {
            (s.is_up || !s.has_run) && s.retry_it >= s.retry
        };
        let delay;
        if ok || give_up {
            delay = s.delay_loop;
            s.retry_it = 0;
            if ok && (!s.is_up || !s.has_run) {
                acts.log(Msg::Success(id));
                self.update_state(i, true, acts);
            } else if !ok && (s.is_up || !s.has_run) {
                let retries = if s.retry > 0 && s.has_run { s.retry } else { 0 };
                acts.log(Msg::Failed {
                    checker: id,
                    retries,
                });
                self.update_state(i, false, acts);
            }
        } else {
            delay = s.delay_before_retry;
            s.retry_it += 1;
        }
        self.slots[i].has_run = true;
        self.next_in(now, i, delay);
    }

    fn http_done(&mut self, now: Instant, i: usize, acts: &mut Actions) {
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        let Kind::Http(h) = &mut s.kind else { return };
        let u = h.url_it.unwrap_or(0);
        let Some(url) = h.urls.get(u) else {
            return self.http_fail(now, i, None, acts);
        };
        match h.resp.finish(&url.codes, url.digest.as_ref()) {
            Ok(ok) => {
                let log = !s.is_up;
                self.end_probe(i, acts);
                if log {
                    acts.log(Msg::UrlSuccess {
                        checker: id,
                        url: u as u16,
                        digest: ok.digest,
                        regex: ok.regex,
                    });
                }
                self.http_epilog(now, i, Method::New, acts);
            }
            Err(e) => {
                if let HttpError::Length { expected, received } = e {
                    acts.log(Msg::LengthMismatch {
                        checker: id,
                        url: u as u16,
                        expected,
                        received,
                    });
                }
                self.http_fail(now, i, Some(e), acts)
            }
        }
    }

    /// keepalived's `timeout_epilog`.
    fn http_fail(&mut self, now: Instant, i: usize, e: Option<HttpError>, acts: &mut Actions) {
        self.end_probe(i, acts);
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        if s.is_up || !s.has_run {
            if let Some(error) = e {
                if s.log_all {
                    acts.log(Msg::Http { checker: id, error });
                }
            }
            s.has_run = true;
            self.http_epilog(now, i, Method::Retry, acts);
        } else {
            self.http_epilog(now, i, Method::Failed, acts);
        }
    }

    /// keepalived's HTTP `epilog`.
    fn http_epilog(&mut self, now: Instant, i: usize, method: Method, acts: &mut Actions) {
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        let Kind::Http(h) = &mut s.kind else { return };
        let n = h.urls.len();
        match method {
            Method::New => {
                h.url_it = match h.url_it {
                    Some(u) if u + 1 < n => Some(u + 1),
                    _ => None,
                };
                s.retry_it = 0;
            }
            Method::Retry => s.retry_it += 1,
            Method::Failed => {}
        }
        let mut up_change = None;
        if method == Method::New && h.url_it.is_none() && h.failed_url.is_none() {
            if !s.is_up || !s.has_run {
                acts.log(Msg::Success(id));
                up_change = Some(true);
                s.has_run = true;
            }
            h.url_it = Some(0);
            s.retry_it = 0;
        } else if method == Method::Retry && s.retry_it > s.retry {
            if s.is_up || !s.has_run {
                let retries = if s.has_run && s.retry > 0 {
                    s.retry_it - 1
                } else {
                    0
                };
                acts.log(Msg::Failed {
                    checker: id,
                    retries,
                });
                up_change = Some(false);
            }
            h.failed_url = Some(h.url_it.unwrap_or(0));
        } else if method == Method::New && h.failed_url.is_some() {
            h.failed_url = None;
            h.url_it = Some(0);
            s.retry_it = 0;
        }
        let delay = if method == Method::New {
            if !s.has_run {
                s.retry_it = s.retry;
            }
            s.delay_loop
        } else if h.failed_url.is_some() {
            s.delay_before_retry.max(s.delay_loop)
        } else {
            s.delay_before_retry
        };
        let fast = h.fast_recovery && (!s.has_run || (!s.is_up && h.failed_url.is_none()));
        if let Some(up) = up_change {
            self.update_state(i, up, acts);
        }
        self.next_in(now, i, if fast { Duration::ZERO } else { delay });
    }

    fn smtp_epilog(&mut self, now: Instant, i: usize, fail: Option<SmtpFail>, acts: &mut Actions) {
        self.end_probe(i, acts);
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        let Some(fail) = fail else {
            s.retry_it = 0;
            if !s.is_up || !s.has_run {
                acts.log(Msg::Success(id));
                self.update_state(i, true, acts);
            }
            self.slots[i].has_run = true;
            let d = self.slots[i].delay_loop;
            return self.next_in(now, i, d);
        };
        if (s.is_up || !s.has_run) && (s.log_all || s.retry_it >= s.retry) {
            let retries = if s.retry_it >= s.retry && s.has_run {
                s.retry
            } else {
                0
            };
            acts.log(match fail {
                SmtpFail::Timeout => Msg::SmtpTimeout {
                    checker: id,
                    retries,
                },
                SmtpFail::Error(error) => Msg::Smtp {
                    checker: id,
                    error,
                    retries,
                },
            });
        }
        s.retry_it += 1;
        if s.retry_it <= s.retry {
            let d = s.delay_before_retry;
            return self.next_in(now, i, d);
        }
        s.retry_it = 0;
        if s.is_up || !s.has_run {
            self.update_state(i, false, acts);
        }
        self.slots[i].has_run = true;
        let d = self.slots[i].delay_loop;
        self.next_in(now, i, d);
    }

    fn dns_epilog(&mut self, now: Instant, i: usize, fail: Option<DnsFail>, acts: &mut Actions) {
        self.end_probe(i, acts);
        let id = CheckerId(i as u32);
        let s = &mut self.slots[i];
        match fail {
            Some(fail) => {
                if s.is_up || !s.has_run {
                    if s.log_all || s.retry_it >= s.retry {
                        let retries = if s.has_run && s.retry_it >= s.retry {
                            s.retry
                        } else {
                            0
                        };
                        acts.log(Msg::Dns {
                            checker: id,
                            fail,
                            retries,
                        });
                    }
                    if s.retry_it < s.retry {
                        s.retry_it += 1;
                        s.has_run = true;
                        let d = s.delay_before_retry;
                        return self.next_in(now, i, d);
                    }
                    self.update_state(i, false, acts);
                }
            }
            None => {
                if !s.is_up || !s.has_run {
                    self.update_state(i, true, acts);
                }
            }
        }
        let s = &mut self.slots[i];
        s.retry_it = 0;
        let d = s.delay_loop;
        self.next_in(now, i, d);
    }

    fn misc_epilog(&mut self, now: Instant, i: usize, exit: MiscExit, acts: &mut Actions) {
        self.end_probe(i, acts);
        let id = CheckerId(i as u32);
        let rs = self.slots[i].rs;
        let iweight = self.rs[rs].iweight;
        let s = &mut self.slots[i];
        let Kind::Misc {
            dynamic,
            last_exit,
            last_ran,
            ..
        } = &mut s.kind
        else {
            return;
        };
        let dynamic = *dynamic;
        let last_ran = *last_ran;
        let mut end: Option<MiscEnd> = None;
        let mut message_only = false;
        let mut weight_delta = 0i64;
        let mut success = false;
        match exit {
            MiscExit::Exited(st) if st == 0 || (dynamic && st >= 2) => {
                if Some(st) != *last_exit {
                    let new = if st == 0 {
                        0
                    } else {
                        i64::from(st) - 2 - iweight
                    };
                    weight_delta = new - s.cur_weight;
                    s.cur_weight = new;
                    *last_exit = Some(st);
                }
                if !s.is_up || !s.has_run {
                    end = Some(MiscEnd::Succeeded);
                    success = true;
                }
                s.retry_it = 0;
            }
            _ if s.is_up || !s.has_run => {
                let e = match exit {
                    MiscExit::Exited(st) => MiscEnd::Status(st),
                    MiscExit::Signaled(sig) => MiscEnd::Signal(sig),
                    MiscExit::TimedOut => MiscEnd::TimedOut,
                };
                end = Some(e);
                if s.retry_it < s.retry {
                    s.retry_it += 1;
                    if s.log_all {
                        message_only = true;
                    } else {
                        end = None;
                    }
                } else {
                    // Down: the dynamic part of the weight goes (keepalived drops it only
                    // for an exit status, and forgets it without a weight update after a
                    // signal; we always drop it).
                    s.retry_it = 0;
                    weight_delta -= s.cur_weight;
                    s.cur_weight = 0;
                    *last_exit = match exit {
                        MiscExit::Exited(st) => Some(st),
                        _ => None,
                    };
                }
            }
            _ => {}
        }
        if weight_delta != 0 {
            self.add_weight(rs, weight_delta, acts);
        }
        let s = &mut self.slots[i];
        if let Some(end) = end {
            let retry = if success {
                MiscRetry::None
            } else if s.retry == 0 {
                MiscRetry::Disabled
            } else if s.retry_it == 1 {
                MiscRetry::WillDo(s.retry)
            } else if s.retry_it > 1 {
                MiscRetry::OnRetry(s.retry_it - 1, s.retry)
            } else {
                MiscRetry::After(s.retry)
            };
            acts.log(Msg::Misc {
                checker: id,
                end,
                retry,
            });
            if !message_only {
                self.update_state(i, success, acts);
            }
        }
        let s = &self.slots[i];
        let d = if s.retry_it > 0 {
            s.delay_before_retry
        } else {
            s.delay_loop
        };
        let at = (last_ran + d).max(now + Duration::from_micros(1));
        self.arm(i, at);
    }

    fn add_weight(&mut self, rs: usize, delta: i64, acts: &mut Actions) {
        let Some(r) = self.rs.get_mut(rs) else { return };
        r.weight = r.weight.saturating_add(delta);
        acts.push(Action::Weight {
            rs: r.id,
            weight: r.weight,
        });
    }

    /// keepalived's `update_svr_checker_state` with `perform_svr_state` and
    /// `set_checker_state`.
    fn update_state(&mut self, i: usize, alive: bool, acts: &mut Actions) {
        let s = &mut self.slots[i];
        let rs = s.rs;
        if s.is_up == alive {
            if !s.has_run {
                // The first result confirms the initial state: keepalived notifies when
                // it is down (an alpha checker failing), `alpha || !alive`.
                s.has_run = true;
                if !alive {
                    self.rs_notify(rs, acts);
                }
            }
            return;
        }
        s.has_run = true;
        let r = &mut self.rs[rs];
        let perform = if alive {
            r.num_failed <= 1
        } else {
            r.num_failed == 0
        };
        if perform && r.alive != alive {
            acts.log(Msg::Service {
                rs: r.id,
                up: alive,
            });
            acts.push(if alive {
                Action::RealServerUp(r.id)
            } else {
                Action::RealServerDown(r.id)
            });
            r.alive = alive;
            self.rs_notify(rs, acts);
        }
        let r = &mut self.rs[rs];
        if alive {
            r.num_failed = r.num_failed.saturating_sub(1);
        } else {
            r.num_failed += 1;
        }
        self.slots[i].is_up = alive;
    }

    fn rs_notify(&self, rs: usize, acts: &mut Actions) {
        let r = &self.rs[rs];
        acts.push(if r.alive {
            Action::NotifyUp(r.id)
        } else {
            Action::NotifyDown(r.id)
        });
    }
}

fn smtp_tx_cap(k: &CheckKind) -> usize {
    match k {
        CheckKind::Smtp { helo_name } => helo_name.len() + 8,
        _ => 0,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    New,
    Retry,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SmtpFail {
    Timeout,
    Error(SmtpError),
}
