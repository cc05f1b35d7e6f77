//! A simulated LAN in virtual time for the VRRP core: N routers, each built from real
//! keepalived.conf text, on one segment that carries the adverts they emit as bytes (emit →
//! bytes → `handle_advert`, so the receive ladder runs on every packet), with a delivery
//! delay, seeded random loss and partitions. Each step jumps to the earliest deadline of any
//! router or in-flight packet; the step count is bounded.
//!
//! The LAN checks the VRRP invariant after every step: once the network is healed, a VRID
//! never has two masters for longer than one Master_Down_Interval.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::model::vrrp::Family;
use keepalived_rs::config::{self, LoadOptions};
use keepalived_rs::time::{Duration, Instant};
use keepalived_rs::vrrp::action::{Action, Actions, InstanceId, ScriptId, SockId, Target};
use keepalived_rs::vrrp::instance::State;
use keepalived_rs::vrrp::msg::Names;
use keepalived_rs::vrrp::router::Router;
use keepalived_rs::vrrp::rx::Received;
use keepalived_rs::vrrp::timer;
use keepalived_rs::vrrp::track::ScriptExit;
use keepalived_rs::vrrp::tx::MAX_ADVERT_LEN;
use keepalived_rs::vrrp::wire::split_ipv4;

pub const MAX_STEPS: usize = 2_000_000;

/// Builds a router from configuration text, as the daemon would load it.
pub fn load(text: &str) -> Router {
    let config = load_config(text);
    Router::new(&config.vrrp, &config.global)
}

/// Loads configuration text as the daemon would.
pub fn load_config(text: &str) -> config::Config {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ka-sim-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, text).expect("write configuration");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let mut host = FakeHost::new();
    for s in ["/bin/chk", "/bin/chk2"] {
        host.add_script(s);
    }
    let loaded = config::load(&opts, &host);
    let _ = std::fs::remove_dir_all(&dir);
    let msgs = loaded.messages();
    let config = loaded
        .config
        .unwrap_or_else(|| panic!("configuration does not load: {msgs:?}"));
    config
}

pub fn secs(s: f64) -> Instant {
    Instant::from_micros((s * 1e6).round() as u64)
}

pub fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// One router on the LAN.
pub struct Node {
    pub name: String,
    text: String,
    pub addr: Ipv4Addr,
    pub router: Router,
    out: Actions,
    /// Crashed (or unplugged): it neither hears nor does anything.
    pub down: bool,
    /// What each script exits with when run.
    pub script_exit: HashMap<u16, i32>,
}

enum Event {
    Deliver { bytes: Vec<u8> },
    ScriptDone { script: ScriptId, code: i32 },
}

struct Pending {
    at: Instant,
    seq: u64,
    node: usize,
    event: Event,
}

/// A state change, for assertions and for the timeline printed on failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub at: Instant,
    pub node: usize,
    pub instance: String,
    pub state: State,
}

pub struct Lan {
    pub now: Instant,
    pub nodes: Vec<Node>,
    pending: Vec<Pending>,
    seq: u64,
    pub delay: Duration,
    /// Chance in a million that a packet is lost.
    pub loss_ppm: u32,
    rng: u64,
    /// Nodes in different partitions do not hear each other.
    partition: Vec<u8>,
    /// When the network last became whole and lossless.
    healed_at: Instant,
    /// Every line logged and every state change, in order.
    pub timeline: Vec<String>,
    pub changes: Vec<Change>,
    /// Per VRID: since when it has had more than one master.
    dual_since: HashMap<u8, Instant>,
    pub longest_dual_after_heal: Duration,
    pub steps: usize,
    pub packets: u64,
    pub lost: u64,
    /// Every advert sent: when, by which node, for which VRID, at which priority.
    pub adverts: Vec<Sent>,
    /// Every address action: when, by which node, and what (`add NAME`, `remove NAME`,
    /// `remove-stale OLD>NEW`), instances named by the router the action refers to.
    pub addr_actions: Vec<(Instant, usize, String)>,
}

/// One advert on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub at: Instant,
    pub node: usize,
    pub vrid: u8,
    pub priority: u8,
}

impl Lan {
    /// Routers from `(name, address, configuration)`, addressed on eth0, not started.
    pub fn new(nodes: &[(&str, &str, &str)]) -> Lan {
        let nodes = nodes
            .iter()
            .map(|(name, addr, text)| {
                let mut router = load(text);
                let addr: Ipv4Addr = addr.parse().expect("address");
                let mut out = Actions::with_capacity(router.action_capacity());
                router.interface_address(
                    Instant::from_micros(0),
                    "eth0",
                    Family::V4,
                    Some(IpAddr::V4(addr)),
                    &mut out,
                );
                Node {
                    name: name.to_string(),
                    text: text.to_string(),
                    addr,
                    router,
                    out,
                    down: false,
                    script_exit: HashMap::new(),
                }
            })
            .collect::<Vec<_>>();
        let n = nodes.len();
        Lan {
            now: Instant::from_micros(0),
            nodes,
            pending: Vec::new(),
            seq: 0,
            delay: us(100),
            loss_ppm: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
            partition: vec![0; n],
            healed_at: Instant::from_micros(0),
            timeline: Vec::new(),
            changes: Vec::new(),
            dual_since: HashMap::new(),
            longest_dual_after_heal: Duration::ZERO,
            steps: 0,
            packets: 0,
            lost: 0,
            adverts: Vec::new(),
            addr_actions: Vec::new(),
        }
    }

    pub fn seed(&mut self, seed: u64) {
        self.rng = seed.max(1);
    }

    fn random(&mut self) -> u64 {
        // xorshift64: deterministic for a seed.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    pub fn start(&mut self, node: usize) {
        let now = self.now;
        let n = &mut self.nodes[node];
        n.router.start(now, &mut n.out);
        self.drain(node);
    }

    pub fn start_all(&mut self) {
        for k in 0..self.nodes.len() {
            self.start(k);
        }
    }

    /// Graceful shutdown (priority-0 adverts from masters).
    pub fn stop(&mut self, node: usize) {
        let now = self.now;
        let n = &mut self.nodes[node];
        n.router.stop(now, &mut n.out);
        self.drain(node);
        self.nodes[node].down = true;
    }

    /// A crash: the node goes silent at once.
    pub fn crash(&mut self, node: usize) {
        self.nodes[node].down = true;
        self.note(node, "*** crashed".into());
    }

    /// A crashed node boots again: a fresh router from its configuration, started now.
    pub fn revive(&mut self, node: usize) {
        let now = self.now;
        let n = &mut self.nodes[node];
        n.router = load(&n.text);
        n.out = Actions::with_capacity(n.router.action_capacity());
        n.router.interface_address(
            now,
            "eth0",
            Family::V4,
            Some(IpAddr::V4(n.addr)),
            &mut n.out,
        );
        n.down = false;
        self.note(node, "*** booted".into());
        self.start(node);
    }

    /// SIGHUP with a new configuration: the node's router reloads it, the actions before
    /// the `Reloaded` marker run against the old router, the rest against the new one.
    /// Script runs of the old router are forgotten (the runtime killed them).
    pub fn reload(&mut self, node: usize, text: &str) {
        let now = self.now;
        let config = load_config(text);
        let n = &mut self.nodes[node];
        n.text = text.to_string();
        let mut next = Router::new(&config.vrrp, &config.global);
        next.adopt_host_state(&n.router);
        next.interface_address(
            now,
            "eth0",
            Family::V4,
            Some(IpAddr::V4(n.addr)),
            &mut n.out,
        );
        let old = n.router.reload(now, next, &mut n.out).expect("running");
        n.script_exit.clear();
        self.pending
            .retain(|p| p.node != node || !matches!(p.event, Event::ScriptDone { .. }));
        self.note(node, "*** reloaded".into());
        self.drain_reload(node, Some(old));
    }

    pub fn link(&mut self, node: usize, iface: &str, up: bool) {
        let now = self.now;
        let n = &mut self.nodes[node];
        n.router.link_changed(now, iface, up, &mut n.out);
        self.drain(node);
    }

    /// Splits the LAN: `groups[k]` is node k's side.
    pub fn partition(&mut self, groups: &[u8]) {
        self.partition = groups.to_vec();
        self.note(0, format!("*** partition {groups:?}"));
    }

    pub fn heal(&mut self) {
        self.partition = vec![0; self.nodes.len()];
        self.loss_ppm = 0;
        self.healed_at = self.now;
        self.note(0, "*** healed".into());
    }

    pub fn set_script_exit(&mut self, node: usize, script: &str, code: i32) {
        let s = self.nodes[node]
            .router
            .find_script(script)
            .expect("script exists");
        self.nodes[node].script_exit.insert(s.0, code);
    }

    fn note(&mut self, node: usize, text: String) {
        let t = self.now.as_micros();
        let name = self.nodes.get(node).map_or("", |n| n.name.as_str());
        self.timeline.push(format!(
            "{:>6}.{:06} {name}: {text}",
            t / 1_000_000,
            t % 1_000_000
        ));
    }

    /// Runs until `until` (inclusive) or the step bound.
    pub fn run_until(&mut self, until: Instant) {
        loop {
            let timers = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| !n.down)
                .filter_map(|(k, n)| n.router.poll_at().map(|t| (t, k)));
            let next_timer = timers.min();
            let next_event = self
                .pending
                .iter()
                .enumerate()
                .min_by_key(|(_, p)| (p.at, p.seq))
                .map(|(k, p)| (p.at, k));
            let (at, is_event, k) = match (next_timer, next_event) {
                (Some((a, n)), Some((b, e))) => {
                    if b <= a {
                        (b, true, e)
                    } else {
                        (a, false, n)
                    }
                }
                (Some((a, n)), None) => (a, false, n),
                (None, Some((b, e))) => (b, true, e),
                (None, None) => break,
            };
            if at > until {
                break;
            }
            self.steps += 1;
            assert!(
                self.steps < MAX_STEPS,
                "step bound reached\n{}",
                self.dump()
            );
            self.now = self.now.max(at);
            if is_event {
                let p = self.pending.swap_remove(k);
                self.fire(p);
            } else {
                let now = self.now;
                let n = &mut self.nodes[k];
                n.router.handle_timeout(now, &mut n.out);
                self.drain(k);
            }
            self.check_invariant();
        }
        self.now = self.now.max(until);
        self.check_invariant();
    }

    fn fire(&mut self, p: Pending) {
        let node = p.node;
        if self.nodes[node].down {
            return;
        }
        let now = self.now;
        match p.event {
            Event::Deliver { bytes } => {
                let Some(sock) = self.socket_for(node, &bytes) else {
                    return;
                };
                let rx = Received {
                    bytes: &bytes,
                    src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    hop_limit: None,
                    multicast: false,
                };
                let n = &mut self.nodes[node];
                n.router.handle_advert(now, sock, &rx, &mut n.out);
            }
            Event::ScriptDone { script, code } => {
                let n = &mut self.nodes[node];
                n.router
                    .script_result(now, script, ScriptExit::Exited(code), &mut n.out);
            }
        }
        self.drain(node);
    }

    /// The receive socket of `node` a packet reaches (its protocol and multicast group, or
    /// a unicast socket when sent to the node itself).
    fn socket_for(&self, node: usize, bytes: &[u8]) -> Option<SockId> {
        let (ip, _, _) = split_ipv4(bytes).ok()?;
        let dst = ip.dst();
        let n = &self.nodes[node];
        if !dst.is_multicast() && dst != n.addr {
            return None;
        }
        n.router
            .sockets()
            .iter()
            .position(|s| {
                s.proto == ip.protocol()
                    && s.unicast != dst.is_multicast()
                    && (s.unicast || s.addr == Some(IpAddr::V4(dst)))
            })
            .map(|k| SockId(k as u16))
    }

    /// Executes what node `k` asked for, as a runtime would.
    fn drain(&mut self, k: usize) {
        self.drain_reload(k, None);
    }

    /// As `drain`; after a reload, `old` is the router before it, which the actions up to
    /// the `Reloaded` marker name.
    fn drain_reload(&mut self, k: usize, mut old: Option<Router>) {
        let out = std::mem::replace(&mut self.nodes[k].out, Actions::with_capacity(0));
        assert_eq!(out.dropped(), 0, "actions overflowed");
        let mut sent = Vec::new();
        for a in out.iter() {
            let r = old.as_ref().unwrap_or(&self.nodes[k].router);
            let name = |i: &InstanceId| Names::instance(r, *i).to_string();
            match a {
                Action::Reloaded => old = None,
                Action::SendAdvert(adv) => {
                    if let Some(i) = r.instance(adv.instance) {
                        self.adverts.push(Sent {
                            at: self.now,
                            node: k,
                            vrid: i.vrid(),
                            priority: adv.priority,
                        });
                    }
                    for dest in 0..r.advert_destinations(adv.instance) {
                        let mut buf = [0u8; MAX_ADVERT_LEN];
                        if let Ok(e) = r.emit_advert(adv, dest, &mut buf) {
                            sent.push(buf[..e.len].to_vec());
                        }
                    }
                }
                Action::AddAddresses(i) => {
                    let line = format!("add {}", name(i));
                    self.addr_actions.push((self.now, k, line));
                }
                Action::RemoveAddresses(i) => {
                    let line = format!("remove {}", name(i));
                    self.addr_actions.push((self.now, k, line));
                }
                Action::RemoveStale {
                    instance,
                    successor,
                    ..
                } => {
                    let to = Names::instance(&self.nodes[k].router, *successor).to_string();
                    let line = format!("remove-stale {}>{to}", name(instance));
                    self.addr_actions.push((self.now, k, line));
                }
                Action::RunScript(s) => {
                    let code = self.nodes[k].script_exit.get(&s.0).copied().unwrap_or(0);
                    let at = self.now + us(10_000);
                    self.push(at, k, Event::ScriptDone { script: *s, code });
                }
                Action::Log(m) => {
                    let line = m.show(r).to_string();
                    self.note(k, line);
                }
                Action::Notify {
                    target: Target::Instance(i),
                    state,
                    priority,
                } => {
                    let line = format!("notify {} {} {priority}", name(i), state.word());
                    self.note(k, line);
                }
                _ => {}
            }
        }
        let mut out = out;
        out.clear();
        self.nodes[k].out = out;
        for bytes in sent {
            self.send(k, bytes);
        }
        self.record_states(k);
    }

    fn push(&mut self, at: Instant, node: usize, event: Event) {
        self.seq += 1;
        let seq = self.seq;
        self.pending.push(Pending {
            at,
            seq,
            node,
            event,
        });
    }

    /// Puts a packet from node `from` on the wire: every other node on its side of any
    /// partition hears it after the delay, unless it is lost.
    fn send(&mut self, from: usize, bytes: Vec<u8>) {
        for to in 0..self.nodes.len() {
            if to == from || self.partition[to] != self.partition[from] {
                continue;
            }
            self.packets += 1;
            if self.loss_ppm > 0 && (self.random() % 1_000_000) < u64::from(self.loss_ppm) {
                self.lost += 1;
                continue;
            }
            let at = self.now + self.delay;
            self.push(
                at,
                to,
                Event::Deliver {
                    bytes: bytes.clone(),
                },
            );
        }
    }

    fn record_states(&mut self, k: usize) {
        let insts: Vec<(String, State)> = self.nodes[k]
            .router
            .instances()
            .iter()
            .map(|i| (i.name().to_string(), i.state()))
            .collect();
        for (name, state) in insts {
            let last = self
                .changes
                .iter()
                .rev()
                .find(|c| c.node == k && c.instance == name)
                .map(|c| c.state);
            if last != Some(state) {
                self.changes.push(Change {
                    at: self.now,
                    node: k,
                    instance: name.clone(),
                    state,
                });
                self.note(k, format!("[{name} is {state:?}]"));
            }
        }
    }

    /// The largest Master_Down_Interval any instance can have (lowest priority).
    fn mdi_bound(&self) -> Duration {
        self.nodes
            .iter()
            .flat_map(|n| n.router.instances())
            .map(|i| timer::master_down_interval(i.version(), 1, i.adver_int(), 3))
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// The invariant: after the network healed, no VRID has two masters for longer than
    /// one Master_Down_Interval (plus the delivery delay).
    fn check_invariant(&mut self) {
        let mut masters: HashMap<u8, usize> = HashMap::new();
        for n in self.nodes.iter().filter(|n| !n.down) {
            for i in n.router.instances() {
                if i.state() == State::Master {
                    *masters.entry(i.vrid()).or_default() += 1;
                }
            }
        }
        let now = self.now;
        let healed = self.partition.iter().all(|&p| p == 0) && self.loss_ppm == 0;
        let bound = self.mdi_bound() + self.delay;
        let mut worst = Duration::ZERO;
        let vrids: Vec<u8> = self.dual_since.keys().copied().collect();
        for v in vrids {
            if masters.get(&v).copied().unwrap_or(0) < 2 {
                self.dual_since.remove(&v);
            }
        }
        for (v, count) in masters {
            if count < 2 {
                continue;
            }
            let since = *self.dual_since.entry(v).or_insert(now);
            if healed {
                let from = since.max(self.healed_at);
                worst = worst.max(now.saturating_since(from));
            }
        }
        self.longest_dual_after_heal = self.longest_dual_after_heal.max(worst);
        assert!(
            worst <= bound,
            "two masters for {worst} s after the network healed (bound {bound} s)\n{}",
            self.dump()
        );
    }

    /// The state of `instance` on node `node`.
    pub fn state(&self, node: usize, instance: &str) -> State {
        let r = &self.nodes[node].router;
        let id = r.find_instance(instance).expect("instance");
        r.instance(id).expect("instance").state()
    }

    pub fn priority(&self, node: usize, instance: &str) -> u8 {
        let r = &self.nodes[node].router;
        let id = r.find_instance(instance).expect("instance");
        r.instance(id).expect("instance").effective_priority()
    }

    /// The nodes MASTER for `instance` now.
    pub fn masters(&self, instance: &str) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&k| !self.nodes[k].down && self.state(k, instance) == State::Master)
            .collect()
    }

    /// When node `node`'s `instance` last entered `state`.
    pub fn entered(&self, node: usize, instance: &str, state: State) -> Option<Instant> {
        self.changes
            .iter()
            .rev()
            .find(|c| c.node == node && c.instance == instance && c.state == state)
            .map(|c| c.at)
    }

    /// How many times node `node`'s `instance` entered `state`.
    pub fn times_entered(&self, node: usize, instance: &str, state: State) -> usize {
        self.changes
            .iter()
            .filter(|c| c.node == node && c.instance == instance && c.state == state)
            .count()
    }

    pub fn instance(&self, node: usize, name: &str) -> InstanceId {
        self.nodes[node]
            .router
            .find_instance(name)
            .expect("instance")
    }

    pub fn dump(&self) -> String {
        let mut s = String::new();
        let from = self.timeline.len().saturating_sub(200);
        for l in &self.timeline[from..] {
            let _ = writeln!(s, "{l}");
        }
        s
    }

    /// Log lines of node `node` containing `text`.
    pub fn logged(&self, node: usize, text: &str) -> Vec<String> {
        let name = format!(" {}: ", self.nodes[node].name);
        self.timeline
            .iter()
            .filter(|l| l.contains(&name) && l.contains(text))
            .cloned()
            .collect()
    }
}

/// A keepalived.conf with one instance VI_1 (VRID 51) on eth0.
pub fn conf(priority: u8, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{
            state BACKUP
            interface eth0
            virtual_router_id 51
            priority {priority}
            advert_int 1
            {extra}
            virtual_ipaddress {{
                10.0.0.100/24
            }}
        }}\n"
    )
}
