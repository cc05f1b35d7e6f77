//! The dumps of routers built from configuration text and driven to a known state. The
//! expected texts are keepalived 2.2.7's for the same configuration (its `va` interface
//! renamed eth0, its timers and fds replaced by the test's), captured with SIGUSR1, SIGUSR2
//! and signal 36 from a keepalived running in a network namespace.

use super::*;
use crate::config::host::FakeHost;
use crate::config::model::vrrp::Family;
use crate::config::model::Config;
use crate::config::testutil::load_text;
use crate::log::Ctime;
use crate::vrrp::action::Actions;
use crate::vrrp::track::ScriptExit;

/// The configuration the captures in `testdata/` were taken with (interface `va`).
const CAPTURED_CONF: &str = include_str!("testdata/keepalived.conf");

fn conf() -> String {
    CAPTURED_CONF
        .replace("/bin/true", "/bin/chk")
        .replace("interface va", "interface eth0")
        .replace("va:1", "eth0:1")
}

/// 1795419359.224201: the wall-clock time the tests' monotonic 0 stands for.
const WALL0: (i64, u32) = (1_795_419_359, 224_201);

pub(super) struct Fixture {
    pub config: Config,
    pub router: Router,
    pub transitions: Transitions,
    pub now: Instant,
    /// eth0 is index 3 and lo 1, as `va` and `lo` were in keepalived's namespace.
    pub ifindex: Vec<u32>,
    /// The receive sockets' fds keepalived had.
    pub fds: Vec<(i32, i32)>,
    /// What the runtime knows of the scripts: chk_true has succeeded once.
    pub scripts: Vec<ScriptState>,
}

impl Fixture {
    /// The router for `conf`, eth0 addressed 10.9.0.1, started at 0 and run until `until`
    /// µs with nobody else on the LAN.
    pub fn run(conf: &str, until: u64) -> Fixture {
        let mut host = FakeHost::new();
        host.add_script("/bin/chk");
        let loaded = load_text(conf, &host);
        let Some(config) = loaded.config else {
            panic!("configuration loads: {:?}", loaded.messages());
        };
        let mut router = Router::new(&config.vrrp, &config.global);
        let mut out = Actions::with_capacity(router.action_capacity());
        let mut transitions = Transitions::new(router.instances().len(), WALL0);
        let ip = "10.9.0.1".parse().ok();
        let t0 = Instant::from_micros(0);
        router.interface_address(t0, "eth0", Family::V4, ip, &mut out);
        let ll = "fe80::7008:6aff:fe88:992a".parse().ok();
        router.interface_address(t0, "eth0", Family::V6, ll, &mut out);
        router.start(t0, &mut out);
        transitions.observe(&out, WALL0);
        // The script succeeds at once, as /bin/true did.
        if let Some(chk) = router.find_script("chk_true") {
            out.clear();
            router.script_result(t0, chk, ScriptExit::Exited(0), &mut out);
            transitions.observe(&out, WALL0);
        }
        while let Some(at) = router.poll_at().filter(|at| at.as_micros() <= until) {
            out.clear();
            router.handle_timeout(at, &mut out);
            transitions.observe(&out, wall_at(at));
        }
        let mut ifindex = vec![0; 8];
        for (name, index) in [("eth0", 3), ("lo", 1)] {
            if let Some(slot) = router
                .interface(name)
                .and_then(|i| ifindex.get_mut(usize::from(i.0)))
            {
                *slot = index;
            }
        }
        Fixture {
            scripts: vec![ScriptState {
                result: 1,
                has_run: true,
                running: false,
            }],
            fds: vec![(13, 14), (15, 16)],
            ifindex,
            config,
            router,
            transitions,
            now: Instant::from_micros(until),
        }
    }

    pub fn view(&self) -> View<'_> {
        View {
            router: &self.router,
            vrrp: &self.config.vrrp,
            global: &self.config.global,
            transitions: &self.transitions,
            socket_fds: &self.fds,
            ifindex: &self.ifindex,
            scripts: &self.scripts,
            umask: 0o177,
            now: self.now,
            wall: wall_at(self.now),
        }
    }
}

fn wall_at(t: Instant) -> (i64, u32) {
    let us = i64::from(WALL0.1) + i64::try_from(t.as_micros()).unwrap_or(0);
    (
        WALL0.0 + us / 1_000_000,
        u32::try_from(us % 1_000_000).unwrap_or(0),
    )
}

/// keepalived's text with its interface renamed and what depends on when it ran (timers,
/// advert counts) replaced, both sides alike; the data dump without the sections keepalived-rs
/// does not write (Interfaces: kernel data) and the libnftnl version line.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line == "------< Interfaces >------" {
            break;
        }
        if line.starts_with(" libnftnl version") {
            continue;
        }
        let line = line
            .replace("dev va ", "dev eth0 ")
            .replace("= va", "= eth0")
            .replace("\"va\"", "\"eth0\"")
            .replace("va:1", "eth0:1")
            .replace("/usr/bin/true", "/bin/chk")
            .replace("\\/usr\\/bin\\/true", "\\/bin\\/chk")
            .replace("\"vb\"", "\"lo\"")
            .replace("     vb weight", "     lo weight");
        let timer = ["   Last transition = ", "   Read timeout = "]
            .into_iter()
            .find(|p| line.starts_with(p) && !line.ends_with("DISABLED"));
        if let Some(p) = timer {
            out.push_str(p);
            out.push_str("<time>\n");
        } else if line.starts_with("    Sent: ") {
            out.push_str("    Sent: <n>\n");
        } else {
            let line = blank_json(&line, "\"last_transition\":");
            let line = blank_json(&line, "\"advert_sent\":");
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// `text` with the values of every `key` replaced by `<v>`.
fn blank_json(text: &str, key: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(k) = rest.find(key) {
        out.push_str(&rest[..k + key.len()]);
        out.push_str("<v>");
        rest = &rest[k + key.len()..];
        let end = if rest.starts_with('[') {
            rest.find(']').map_or(rest.len(), |e| e + 1)
        } else {
            rest.find([',', '}']).unwrap_or(rest.len())
        };
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// At 5 s both instances are MASTER (VI_2 from 1.804687 s, VI_1 from 3.414062 s).
fn master() -> Fixture {
    Fixture::run(&conf(), 5_000_000)
}

/// At 1 s both are BACKUP and have heard nobody.
fn backup() -> Fixture {
    Fixture::run(&conf(), 1_000_000)
}

/// Masters whose interface went down at 5 s.
fn fault() -> Fixture {
    let mut f = master();
    let mut out = Actions::with_capacity(f.router.action_capacity());
    f.router.link_changed(f.now, "eth0", false, &mut out);
    f.transitions.observe(&out, wall_at(f.now));
    f
}

fn assert_same(ours: &str, theirs: &str, what: &str) {
    let (ours, theirs) = (normalize(ours), normalize(theirs));
    for (k, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(a, b, "{what}: line {} differs\n{ours}", k + 1);
    }
    assert_eq!(
        ours.lines().count(),
        theirs.lines().count(),
        "{what}\n{ours}"
    );
}

fn same_as_keepalived(f: &Fixture, state: &str, captures: [&str; 3]) {
    let mut s = Status::new(2);
    let view = f.view();
    let kinds = [Dump::Data, Dump::Stats { clear: false }, Dump::Json];
    for (kind, theirs) in kinds.into_iter().zip(captures) {
        let what = format!("{state} {}", kind.file_name());
        assert_same(s.render(kind, &view), theirs, &what);
    }
}

/// The second capture: an IPv6 instance (nopreempt, notify scripts, a tracked interface and
/// script) and an IPv4 one with a virtual route, both MASTER.
fn v6_conf() -> String {
    include_str!("testdata/keepalived-v6.conf")
        .replace("/bin/true", "/bin/chk")
        .replace("interface va", "interface eth0")
        .replace("vb weight", "lo weight")
}

#[test]
fn ipv6_scripts_and_routes_dump_as_keepalived_s() {
    let mut f = Fixture::run(&v6_conf(), 5_000_000);
    f.fds = vec![(14, 15), (16, 17)];
    same_as_keepalived(
        &f,
        "v6",
        [
            include_str!("testdata/v6.data"),
            include_str!("testdata/v6.stats"),
            include_str!("testdata/v6.json"),
        ],
    );
}

/// The third capture: static addresses, routes and rules, and an instance's virtual rules
/// and routes (one of them a blackhole), BACKUP at 2 s.
#[test]
fn static_and_virtual_routes_and_rules_dump_as_keepalived_s() {
    let conf = include_str!("testdata/keepalived-static.conf")
        .replace("interface va", "interface eth0")
        .replace("dev va", "dev eth0");
    let mut f = Fixture::run(&conf, 2_000_000);
    f.fds = vec![(13, 14)];
    let mut s = Status::new(1);
    let theirs = include_str!("testdata/static.data");
    assert_same(
        s.render(Dump::Data, &f.view()),
        theirs,
        "static keepalived.data",
    );
    let theirs = include_str!("testdata/static.json");
    assert_same(
        s.render(Dump::Json, &f.view()),
        theirs,
        "static keepalived.json",
    );
}

#[test]
fn masters_dump_as_keepalived_s() {
    same_as_keepalived(
        &master(),
        "master",
        [
            include_str!("testdata/master.data"),
            include_str!("testdata/master.stats"),
            include_str!("testdata/master.json"),
        ],
    );
}

#[test]
fn backups_dump_as_keepalived_s_with_its_stale_master_router() {
    same_as_keepalived(
        &backup(),
        "backup",
        [
            include_str!("testdata/backup.data"),
            include_str!("testdata/backup.stats"),
            include_str!("testdata/backup.json"),
        ],
    );
}

#[test]
fn faults_dump_as_keepalived_s() {
    same_as_keepalived(
        &fault(),
        "fault",
        [
            include_str!("testdata/fault.data"),
            include_str!("testdata/fault.stats"),
            include_str!("testdata/fault.json"),
        ],
    );
}

fn ctime(t: (i64, u32)) -> String {
    let c = Ctime {
        secs: t.0,
        micros: Some(t.1),
    };
    format!("{}.{:06} ({c})", t.0, t.1)
}

#[test]
fn timers_are_the_wall_clock_times_of_the_core_s_deadlines() {
    let f = master();
    let text = Status::new(2).render(Dump::Data, &f.view()).to_string();
    // VI_1 became MASTER at 3.414062 s and adverts every second; VI_2 at 1.804687 s, every
    // half second.
    let vi1_up = wall_at(Instant::from_micros(3_414_062));
    let vi1_next = wall_at(Instant::from_micros(5_414_062));
    let vi2_up = wall_at(Instant::from_micros(1_804_687));
    let vi2_next = wall_at(Instant::from_micros(5_304_687));
    let want = [
        format!("   Last transition = {}", ctime(vi1_up)),
        format!("   Read timeout = {}", ctime(vi1_next)),
        format!("   Last transition = {}", ctime(vi2_up)),
        format!("   Read timeout = {}", ctime(vi2_next)),
    ];
    let got: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("   Last transition") || l.starts_with("   Read timeout"))
        .collect();
    assert_eq!(got, want);
    let json = Status::new(2).render(Dump::Json, &f.view()).to_string();
    let lt = format!("\"last_transition\":{}.{:06},", vi1_up.0, vi1_up.1);
    assert!(json.contains(&lt), "{json}");
}

#[test]
fn counters_are_the_core_s() {
    let f = fault();
    let mut s = Status::new(2);
    let stats = s
        .render(Dump::Stats { clear: false }, &f.view())
        .to_string();
    let blocks: Vec<&str> = stats.split("VRRP Instance: ").skip(1).collect();
    assert_eq!(blocks.len(), 2);
    for (b, inst) in blocks.iter().zip(f.router.instances()) {
        let st = inst.stats();
        assert!(b.starts_with(inst.name()));
        let sent = format!("    Received: 0\n    Sent: {}\n", st.advert_sent);
        assert!(b.contains(&sent), "{b}");
        assert!(
            b.contains("  Became master: 1\n  Released master: 1\n"),
            "{b}"
        );
        assert!(
            b.ends_with("  Priority Zero:\n    Received: 0\n    Sent: 1\n"),
            "{b}"
        );
    }
    let json = s.render(Dump::Json, &f.view()).to_string();
    let sent = f.router.instances()[1].stats().advert_sent;
    assert!(json.contains(&format!("\"advert_sent\":{sent},")), "{json}");
}

#[test]
fn signals_name_their_dumps() {
    use crate::event::Signal;
    assert_eq!(Dump::of_signal(Signal::Data), Some(Dump::Data));
    assert_eq!(
        Dump::of_signal(Signal::Stats),
        Some(Dump::Stats { clear: false })
    );
    assert_eq!(
        Dump::of_signal(Signal::StatsClear),
        Some(Dump::Stats { clear: true })
    );
    assert_eq!(Dump::of_signal(Signal::Json), Some(Dump::Json));
    assert_eq!(Dump::of_signal(Signal::Term), None);
    assert_eq!(Dump::Stats { clear: true }.file_name(), "keepalived.stats");
}

#[test]
fn the_buffer_is_reused() {
    let f = master();
    let mut s = Status::new(0);
    let view = f.view();
    let first = s.render(Dump::Data, &view).len();
    let cap = s.buf.capacity();
    for kind in [Dump::Json, Dump::Stats { clear: true }, Dump::Data] {
        s.render(kind, &view);
    }
    assert_eq!(s.buf.len(), first);
    assert_eq!(s.buf.capacity(), cap);
}

#[test]
fn files_are_private_replaced_whole_and_never_followed() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = std::env::temp_dir().join(format!("ka-status-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let victim = dir.join("victim");
    fs::write(&victim, "keep").unwrap_or_else(|e| panic!("{e}"));
    // Someone's link where the dump goes is replaced, not written through.
    symlink(&victim, dir.join("keepalived.json")).unwrap_or_else(|e| panic!("{e}"));
    let f = master();
    let mut s = Status::new(2);
    for kind in [Dump::Data, Dump::Stats { clear: false }, Dump::Json] {
        let path = s
            .write_in(&dir, kind, &f.view())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(path, dir.join(kind.file_name()));
        let meta = fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text, s.render(kind, &f.view()));
    }
    assert_eq!(fs::read_to_string(&victim).ok().as_deref(), Some("keep"));
    // Written again: replaced, and no temporary file is left beside it.
    s.write_in(&dir, Dump::Data, &f.view())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "keepalived.data",
            "keepalived.json",
            "keepalived.stats",
            "victim"
        ]
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn transitions_follow_entering_messages() {
    let f = backup();
    assert_eq!(f.transitions.get(InstanceId(0)), WALL0);
    let f = master();
    let up = wall_at(Instant::from_micros(3_414_062));
    assert_eq!(f.transitions.get(InstanceId(0)), up);
    assert_eq!(f.transitions.get(InstanceId(9)), (0, 0));
}

#[test]
fn scripts_show_the_runtime_s_view_of_them() {
    let mut f = Fixture::run(&v6_conf(), 0);
    // Not run yet (the runtime passes no state for it): INIT, BAD, counted as init.
    f.scripts.clear();
    let text = Status::new(2).render(Dump::Data, &f.view()).to_string();
    let lines = |text: &str, prefix: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        lines(&text, "   Number of track scripts init"),
        ["   Number of track scripts init = 1"; 2]
    );
    let block = text
        .split(" VRRP Script = chk_true\n")
        .nth(1)
        .unwrap_or_default();
    for want in [
        "   Result = 0\n",
        "   Init state = INIT\n",
        "   Status = BAD\n",
        "   Tracking instances :\n     VI_3, weight -10\n     VI_4, weight 3\n   State = idle\n",
    ] {
        assert!(block.contains(want), "{want}\n{block}");
    }
    f.scripts = vec![ScriptState {
        result: 0,
        has_run: true,
        running: true,
    }];
    let text = Status::new(2).render(Dump::Data, &f.view()).to_string();
    assert_eq!(
        lines(&text, "   Number of track scripts init"),
        ["   Number of track scripts init = 0"; 2]
    );
    assert!(
        text.contains("   Init state = unknown\n   Status = BAD\n"),
        "{text}"
    );
    assert!(text.ends_with("   State = running\n"), "{text}");
}

#[test]
fn transitions_survive_a_reload_by_name() {
    let f = master();
    let vi1 = wall_at(Instant::from_micros(3_414_062));
    // The next configuration drops VI_2 and has a new VI_9 instead.
    let next_conf = conf().replace("vrrp_instance VI_2", "vrrp_instance VI_9");
    let next = Fixture::run(&next_conf, 0);
    let later = (WALL0.0 + 100, 0);
    let t = f.transitions.after_reload(&f.router, &next.router, later);
    let names: Vec<&str> = next.router.instances().iter().map(|i| i.name()).collect();
    assert_eq!(names, ["VI_1", "VI_9"]);
    assert_eq!(t.get(InstanceId(0)), vi1);
    assert_eq!(t.get(InstanceId(1)), later);
}
