//! Writing a status dump allocates nothing once the `Status` buffer has grown to the file:
//! with a counting global allocator (this file is its own test binary), the second and later
//! renderings of each dump, for routers in every state, leave the count at zero.

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::model::vrrp::Family;
use keepalived_rs::config::model::Config;
use keepalived_rs::config::{self, LoadOptions};
use keepalived_rs::runtime::heap::{self, Counting};
use keepalived_rs::status::{Dump, Status, Transitions, View};
use keepalived_rs::time::Instant;
use keepalived_rs::vrrp::action::Actions;
use keepalived_rs::vrrp::router::Router;

#[global_allocator]
static HEAP: Counting = Counting;

/// The configuration keepalived's captures were taken with, plus a v6 instance, scripts
/// and tracking so that every kind of line is written.
fn conf() -> String {
    let captured = include_str!("../src/status/testdata/keepalived.conf");
    captured
        .replace("/bin/true", "/bin/chk")
        .replace("interface va", "interface eth0")
        .replace("va:1", "eth0:1")
        + "static_ipaddress {
    10.9.5.1/24 dev eth0
}
static_routes {
    10.30.0.0/16 via 10.9.0.254 dev eth0
}
static_rules {
    from 10.9.7.0/24 table 100
}
vrrp_instance VI_3 {
    state BACKUP
    interface eth0
    virtual_router_id 53
    priority 90
    native_ipv6
    advert_int 1
    notify_master \"/bin/chk master\"
    track_script {
        chk_true weight 5
    }
    virtual_ipaddress {
        fe80::53/64
        2001:db8::53/64 preferred_lft 0
    }
    virtual_rules {
        to 2001:db8:2::/48 table 200
        from 2001:db8:3::/48 fwmark 0x10/0xff priority 100 blackhole
    }
    virtual_routes {
        2001:db8:1::/48 via fe80::1 dev eth0 metric 10 mtu 1400
        10.20.0.0/16 nexthop via 10.9.0.254 weight 2 nexthop via 10.9.0.253
    }
}
"
}

fn load(text: &str) -> Config {
    let dir = std::env::temp_dir().join(format!("ka-status-alloc-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("keepalived.conf");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write configuration: {e}"));
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: None,
        all_config: false,
    };
    let mut host = FakeHost::new();
    host.add_script("/bin/chk");
    let loaded = config::load(&opts, &host);
    let _ = std::fs::remove_dir_all(&dir);
    let msgs = loaded.messages();
    loaded
        .config
        .unwrap_or_else(|| panic!("configuration does not load: {msgs:?}"))
}

#[test]
fn rendering_again_allocates_nothing() {
    let config = load(&conf());
    let mut router = Router::new(&config.vrrp, &config.global);
    let n = router.instances().len();
    assert_eq!(n, 3);
    let mut out = Actions::with_capacity(router.action_capacity());
    let wall = (1_795_419_359, 224_201);
    let mut transitions = Transitions::new(n, wall);
    let t0 = Instant::from_micros(0);
    let ip = "10.9.0.1".parse().ok();
    router.interface_address(t0, "eth0", Family::V4, ip, &mut out);
    let ll = "fe80::1".parse().ok();
    router.interface_address(t0, "eth0", Family::V6, ll, &mut out);
    router.start(t0, &mut out);
    let mut status = Status::new(n);
    let kinds = [Dump::Data, Dump::Stats { clear: false }, Dump::Json];
    let mut rendered = 0;
    // BACKUP at 1 s, MASTER at 5 s, FAULT after the link went down.
    for (until, down) in [(1_000_000, false), (5_000_000, false), (5_000_000, true)] {
        while let Some(at) = router.poll_at().filter(|at| at.as_micros() <= until) {
            out.clear();
            router.handle_timeout(at, &mut out);
            transitions.observe(&out, wall);
        }
        let now = Instant::from_micros(until);
        if down {
            out.clear();
            router.link_changed(now, "eth0", false, &mut out);
            transitions.observe(&out, wall);
        }
        let view = View {
            router: &router,
            vrrp: &config.vrrp,
            global: &config.global,
            transitions: &transitions,
            socket_fds: &[(13, 14), (15, 16), (17, 18)],
            ifindex: &[1, 3],
            scripts: &[],
            umask: 0o177,
            now,
            wall,
        };
        for kind in kinds {
            status.render(kind, &view);
        }
        for kind in kinds {
            heap::start_counting();
            rendered += status.render(kind, &view).len();
            let n = heap::stop_counting();
            assert_eq!(n, 0, "{} at {until} µs", kind.file_name());
        }
        // Every kind of line was written.
        let text = status.render(Dump::Data, &view);
        for part in [
            "------< Static Rules >------",
            "   Virtual Rules :",
            "   Virtual Routes :",
            "   Using Native IPv6",
            " VRRP Script = chk_true",
        ] {
            assert!(text.contains(part), "{part}\n{text}");
        }
    }
    assert!(rendered > 10_000);
}
