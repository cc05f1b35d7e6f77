//! `global_defs` against keepalived 2.2.7's `-t`: each case was run through both daemons.

use super::*;
use crate::config::diag::Level::{self, *};
use crate::config::dump::Dump;
use crate::config::host::FakeHost;
use crate::config::model::script::Run;
use crate::config::testutil::{load_text, messages};
use crate::config::Loaded;

/// Loads `global_defs { body }` (lines numbered from 2) and whatever follows it.
fn load(body: &str, rest: &str, host: &FakeHost) -> Loaded {
    load_text(&format!("global_defs {{\n{body}}}\n{rest}"), host)
}

fn global(l: &Loaded) -> &Global {
    &l.config.as_ref().expect("configuration").global
}

/// The messages that keepalived's `-t` shows (its log lines are not shown).
fn shown(l: &Loaded) -> Vec<(u32, Level, String)> {
    messages(l)
        .into_iter()
        .filter(|(_, lv, _)| *lv != Info)
        .collect()
}

fn m(line: u32, level: Level, msg: &str) -> (u32, Level, String) {
    (line, level, msg.to_string())
}

const VRRP_INSTANCE: &str =
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n";

#[test]
fn tutorial_globals_with_the_garp_interval_quirk() {
    let l = load(
        " router_id LVS_DEVEL\n vrrp_skip_check_adv_addr\n vrrp_strict\n vrrp_garp_interval 0\n vrrp_gna_interval 0\n notification_email {\n  acassen@firewall.loc\n }\n smtp_server 127.0.0.1\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(
                5,
                InvalidNumber,
                "number '0' outside range [0.000001, 4294.967295]"
            ),
            m(5, GeneralError, "vrrp_garp_interval '0' is invalid"),
            m(
                6,
                InvalidNumber,
                "number '0' outside range [0.000001, 4294.967295]"
            ),
            m(6, GeneralError, "vrrp_gna_interval '0' is invalid"),
        ]
    );
    assert_eq!(l.exit_code(), 5);
    let g = global(&l);
    assert_eq!(g.router_id, "LVS_DEVEL");
    assert!(g.vrrp_strict && g.vrrp_skip_check_adv_addr);
    assert_eq!(g.vrrp_garp_interval, Duration::ZERO);
    assert_eq!(g.notification_email, ["acassen@firewall.loc"]);
    let smtp = g.smtp_server.as_ref().unwrap();
    assert_eq!((smtp.port, smtp.addr), (25, IpAddr::from([127, 0, 0, 1])));
    // Mail defaults that need an SMTP server.
    assert_eq!(g.notification_email_from.as_deref(), Some("root@node1"));
    assert_eq!(g.smtp_helo_name.as_deref(), Some("node1"));
}

#[test]
fn valid_globals_take_their_values() {
    let l = load(
        " vrrp_version 3\n vrrp_mcast_group4 224.0.0.19\n vrrp_mcast_group6 ff02::13\n vrrp_garp_lower_prio_repeat 2\n vrrp_startup_delay 5.5\n vrrp_garp_extra_if all 30\n dynamic_interfaces allow_if_changes\n lvs_flush_on_stop VS\n lvs_timeouts tcp 900 udp 300\n smtp_alert_vrrp off\n checker_log_all_failures\n vmac_prefix vm\n umask IWGRP|IWOTH\n random_seed 42\n reload_check_config\n",
        "use_pid_dir\n",
        &FakeHost::new(),
    );
    assert!(shown(&l).is_empty(), "{:?}", messages(&l));
    let g = global(&l);
    assert!(g.use_pid_dir);
    assert_eq!(g.router_id, "node1");
    assert_eq!(g.vrrp_version, 3);
    assert_eq!(g.vrrp_mcast_group4, Ipv4Addr::new(224, 0, 0, 19));
    assert_eq!(g.vrrp_mcast_group6, "ff02::13".parse::<Ipv6Addr>().unwrap());
    assert_eq!(g.vrrp_garp_lower_prio_repeat, Some(2));
    assert_eq!(g.vrrp_garp_lower_prio_delay, None);
    assert_eq!(g.vrrp_startup_delay, Duration::from_micros(5_500_000));
    let extra = GarpExtraIf {
        all: true,
        interval: Duration::from_secs(30),
    };
    assert_eq!(g.vrrp_garp_extra_if, Some(extra));
    assert!(g.dynamic_interfaces && g.dynamic_interfaces_allow_if_changes);
    assert_eq!(g.lvs_flush_on_stop, LvsFlushOnStop::Vs);
    assert_eq!(
        (g.lvs_timeouts.tcp, g.lvs_timeouts.tcp_fin),
        (Some(900), None)
    );
    assert_eq!(g.smtp_alert_vrrp, Some(false));
    assert_eq!(g.smtp_alert, None);
    assert!(g.checker_log_all_failures);
    // vmac_addr_prefix follows vmac_prefix unless given.
    assert_eq!(
        (g.vmac_prefix.as_str(), g.vmac_addr_prefix.as_str()),
        ("vm", "vm")
    );
    assert_eq!(g.umask, Some(0o022));
    assert_eq!(g.random_seed, Some(42));
    assert_eq!(g.reload_check_config_file, "/dev/null");
    assert_eq!(g.smtp_server, None);
    assert_eq!(g.notification_email_from, None);
}

#[test]
fn keywords_read_unconditionally_are_fatal_when_missing() {
    for kw in [
        "vrrp_mcast_group4",
        "umask",
        "nftables_priority",
        "vmac_prefix",
        "smtp_server",
    ] {
        let l = load(&format!(" {kw}\n"), "", &FakeHost::new());
        let f = l.fatal.as_ref().expect(kw);
        assert_eq!(
            f.msg,
            format!("*** Configuration line starting `{kw}` is missing a parameter after keyword `{kw}` at word position 2")
        );
        assert_eq!((f.loc.line, l.exit_code()), (2, 2));
    }
}

#[test]
fn missing_optional_values_are_errors() {
    let l = load(
        " router_id\n notification_email_from\n smtp_helo_name\n script_user\n startup_script\n notify_fifo\n lvs_timeouts tcp\n lvs_sync_daemon\n notification_email {\n }\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(2, GeneralError, "routerid name missing - ignoring"),
            m(3, GeneralError, "emailfrom missing - ignoring"),
            m(5, GeneralError, "No script username specified"),
            m(6, GeneralError, "startup script missing"),
            m(7, GeneralError, "No notify_fifo name specified"),
            m(8, GeneralError, "lvs_timeouts requires at least one option"),
            m(9, GeneralError, "lvs_sync_daemon requires interface"),
            m(11, GeneralError, "Warning - empty notification_email block"),
        ]
    );
    assert_eq!(l.exit_code(), 5);
}

#[test]
fn numbers_out_of_range_keep_or_fix_the_value() {
    let l = load(
        " smtp_connect_timeout 0\n vrrp_garp_master_repeat 0\n vrrp_garp_master_refresh 7\n vrrp_garp_master_refresh 1.5\n vrrp_down_timer_adverts 101\n vrrp_version 1\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(
                2,
                GeneralError,
                "smtp_conect_timeout must be greater than 0, setting to 1"
            ),
            m(
                3,
                GeneralError,
                "vrrp_garp_master_repeat must be greater than 0, setting to 1"
            ),
            m(5, InvalidNumber, "invalid number '1.5'"),
            m(
                5,
                GeneralError,
                "Invalid vrrp_garp_master_refresh '1.5' - ignoring"
            ),
            m(6, InvalidNumber, "number '101' outside range [1, 100]"),
            m(
                6,
                GeneralError,
                "Invalid vrrp_down_timer_adverts [1:100] '101'"
            ),
            m(7, InvalidNumber, "number '1' outside range [2, 3]"),
            m(7, GeneralError, "VRRP Error: Version must be either 2 or 3"),
        ]
    );
    let g = global(&l);
    assert_eq!(g.smtp_connect_timeout, Duration::from_secs(1));
    assert_eq!(g.vrrp_garp_master_repeat, 1);
    // An invalid refresh turns the refresh off.
    assert_eq!(g.vrrp_garp_master_refresh, Duration::ZERO);
    assert_eq!((g.vrrp_down_timer_adverts, g.vrrp_version), (3, 2));
}

#[test]
fn keyword_order_matters() {
    // vrrp_min_garp only changes values still at their default; nftables resets the priority.
    let l = load(
        " vrrp_garp_master_repeat 3\n vrrp_min_garp\n vrrp_garp_master_delay 10\n nftables_priority 5\n nftables\n",
        "",
        &FakeHost::new(),
    );
    assert!(shown(&l).is_empty());
    let g = global(&l);
    assert!(g.vrrp_min_garp);
    assert_eq!(g.vrrp_garp_master_repeat, 3);
    assert_eq!(g.vrrp_garp_master_refresh_repeat, 0);
    assert_eq!(g.vrrp_garp_master_delay, Duration::from_secs(10));
    assert_eq!(g.nftables.as_deref(), Some("keepalived"));
    assert_eq!(g.nftables_priority, -1);
}

#[test]
fn booleans_are_lowercase_words() {
    let l = load(
        " smtp_alert Yes\n checker_log_all_failures 1\n vrrp_min_garp no\n vrrp_lower_prio_no_advert\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(
                2,
                GeneralError,
                "Invalid value 'Yes' for global smtp_alert specified"
            ),
            m(
                3,
                GeneralError,
                "Invalid value for checker_log_all_failures specified"
            ),
        ]
    );
    let g = global(&l);
    assert_eq!(g.smtp_alert, None);
    assert!(!g.vrrp_min_garp && g.vrrp_lower_prio_no_advert);
}

#[test]
fn multicast_groups() {
    let l = load(
        " vrrp_mcast_group4 10.0.0.1\n vrrp_mcast_group4 ff02::12\n vrrp_mcast_group6 ff05::12\n vrrp_mcast_group6 fe80::1\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(
                2,
                GeneralError,
                "vrrp_mcast_group4 [10.0.0.1] is not multicast. Skipping"
            ),
            m(
                3,
                GeneralError,
                "vrrp_mcast_group4 [ff02::12] is not IPv4. Skipping"
            ),
            m(
                4,
                Warning,
                "vrrp_mcast_group6 [ff05::12] should be link-local multicast."
            ),
            m(
                5,
                GeneralError,
                "vrrp_mcast_group6 [fe80::1] is not multicast. Skipping"
            ),
        ]
    );
    let g = global(&l);
    assert_eq!(g.vrrp_mcast_group4, Ipv4Addr::new(224, 0, 0, 18));
    assert_eq!(g.vrrp_mcast_group6, "ff05::12".parse::<Ipv6Addr>().unwrap());
}

#[test]
fn lvs_sync_daemon_old_and_new_syntax() {
    let l = load(
        " lvs_sync_daemon eth0 VI_1 7 foo id\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(
                2,
                GeneralError,
                "Please use keyword \"id\" before lvs_sync_daemon SYNCID"
            ),
            m(
                2,
                GeneralError,
                "Unknown option foo specified for lvs_sync_daemon"
            ),
            m(
                2,
                GeneralError,
                "No value specified for lvs_sync_daemon id, defaulting to vrid"
            ),
        ]
    );
    let d = global(&l).lvs_sync_daemon.clone().unwrap();
    assert_eq!((d.instance.as_deref(), d.sync_id), (Some("VI_1"), Some(7)));
    let l = load(
        " lvs_sync_daemon eth1 inst VI_2 port 8848 group 224.0.0.81\n lvs_sync_daemon eth2\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [m(
            3,
            GeneralError,
            "lvs_sync_daemon has already been specified as eth1 VI_2 - ignoring"
        )]
    );
    let d = global(&l).lvs_sync_daemon.clone().unwrap();
    assert_eq!((d.interface.as_str(), d.port), ("eth1", Some(8848)));
    assert_eq!(d.group, Some(IpAddr::from([224, 0, 0, 81])));
    // `inst` reads its value unconditionally.
    let l = load(" lvs_sync_daemon eth0 inst\n", "", &FakeHost::new());
    assert_eq!(l.exit_code(), 2);
}

#[test]
fn umask_forms() {
    let l = load(
        " umask 0x1ff\n umask 08\n umask 18 19\n umask IWGRP IWOTH\n umask IWGRP |\n umask IFOO\n umask IWGRP | IROTH\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(3, GeneralError, "invalid umask value 08"),
            m(4, GeneralError, "Extra parameter(s) to umask option"),
            m(5, GeneralError, "Invalid umask syntax IWOTH"),
            m(6, GeneralError, "umask missing bit value"),
            m(7, GeneralError, "Unknown umask bit IFOO"),
        ]
    );
    assert_eq!(global(&l).umask, Some(0o024));
}

#[test]
fn smtp_server_addresses_and_names() {
    let l = load(" smtp_server localhost 2525\n", "", &FakeHost::new());
    let s = global(&l).smtp_server.clone().unwrap();
    assert_eq!((s.host.as_str(), s.port), ("localhost", 2525));
    let l = load(
        " smtp_server 10.0.0.1\n smtp_server no.such.host\n smtp_server fe80::1 0\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(3, GeneralError, "Invalid smtp server no.such.host 25"),
            m(4, InvalidNumber, "number '0' outside range [1, 65535]"),
            m(4, GeneralError, "Invalid smtp server fe80::1 0"),
        ]
    );
    // A rejected server clears the previous one.
    assert_eq!(global(&l).smtp_server, None);
}

#[test]
fn start_and_shutdown_scripts_make_a_security_violation() {
    let mut h = FakeHost::new();
    h.add_script("/etc/keepalived/up.sh");
    let l = load(
        " startup_script /etc/keepalived/up.sh\n startup_script /etc/keepalived/up.sh\n shutdown_script \"/etc/keepalived/up.sh stop\" nosuchuser\n shutdown_script_timeout 0\n",
        "",
        &h,
    );
    assert_eq!(
        shown(&l),
        [
            m(3, GeneralError, "startup script already specified"),
            m(4, GeneralError, "Invalid shutdown script"),
            m(5, InvalidNumber, "number '0' outside range [1, 1000]"),
            m(5, GeneralError, "shutdown_script_timeout '0' must be in [1, 1000] - ignoring"),
            m(2, SecurityError, "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled."),
        ]
    );
    assert_eq!(l.exit_code(), 6);
    let g = global(&l);
    assert_eq!(g.startup_script.as_ref().unwrap().run, Run::Exec);
    assert_eq!(g.shutdown_script, None);
}

#[test]
fn insecure_start_script_is_disabled_under_script_security() {
    let mut h = FakeHost::new();
    h.add_script("/opt/w/up.sh");
    h.files.get_mut("/opt/w").unwrap().mode = 0o040777;
    let body = " script_user root\n startup_script /opt/w/up.sh\n";
    let l = load(body, "", &h);
    assert_eq!(
        shown(&l),
        [m(3, SecurityError, "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled. There are insecure scripts.")]
    );
    assert_eq!(global(&l).startup_script.as_ref().unwrap().run, Run::Exec);
    let l = load(&format!(" enable_script_security\n{body}"), "", &h);
    assert!(shown(&l).is_empty());
    assert_eq!(l.exit_code(), 0);
    assert_eq!(
        global(&l).startup_script.as_ref().unwrap().run,
        Run::Disabled
    );
}

#[test]
fn default_script_user_under_script_security() {
    // Without a keepalived_script user nothing may use the default user: reported once,
    // where it is first needed, and only if something needs it.
    let l = load(" enable_script_security\n", "", &FakeHost::new());
    assert_eq!((l.exit_code(), shown(&l)), (0, vec![]));
    let l = load(
        " enable_script_security\n notify_fifo /run/f1\n vrrp_notify_fifo /run/f2\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [m(
            3,
            GeneralError,
            "Unable to set default user keepalived_script for script"
        )]
    );
    assert_eq!(global(&l).notify_fifo, None);
    // Set before enable_script_security, the default (root) sticks.
    let l = load(
        " notify_fifo /run/f1\n enable_script_security\n vrrp_notify_fifo /run/f2\n",
        "",
        &FakeHost::new(),
    );
    assert!(shown(&l).is_empty());
    assert_eq!(
        global(&l).vrrp_notify_fifo.as_ref().unwrap().user,
        Some(ROOT)
    );
    // With the user, it is the default.
    let mut h = FakeHost::new();
    let ka = User { uid: 990, gid: 990 };
    h.users.insert("keepalived_script".into(), ka);
    let l = load(" enable_script_security\n notify_fifo /run/f1\n", "", &h);
    assert!(shown(&l).is_empty());
    assert_eq!(global(&l).script_user, ka);
}

#[test]
fn fifo_readers_are_checked_by_the_processes_that_use_them() {
    let mut h = FakeHost::new();
    h.add_script("/etc/keepalived/fifo.sh");
    let body = " notify_fifo /run/f1\n notify_fifo_script /etc/keepalived/fifo.sh\n";
    // No vrrp_instance or virtual_server: no process reads the FIFO.
    let l = load(body, "", &h);
    assert_eq!((l.exit_code(), shown(&l)), (0, vec![]));
    assert_eq!(
        global(&l)
            .notify_fifo
            .as_ref()
            .unwrap()
            .script
            .as_ref()
            .unwrap()
            .run,
        Run::Unchecked
    );
    let l = load(body, VRRP_INSTANCE, &h);
    assert_eq!(
        shown(&l),
        [m(
            3,
            SecurityError,
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
        )]
    );
    // A reader without its FIFO never runs but is still checked.
    let l = load(
        " vrrp_notify_fifo_script /etc/keepalived/fifo.sh\n",
        VRRP_INSTANCE,
        &h,
    );
    assert_eq!(l.exit_code(), 6);
    assert!(global(&l).orphan_fifo_scripts.vrrp.is_some());
}

#[test]
fn duplicates_and_unknown_options() {
    let l = load(
        " notify_fifo /run/f1\n notify_fifo /run/f2\n vmac_prefix a\n vmac_prefix b\n nftables\n nftables t2\n lvs_flush_on_stop vs\n dynamic_interfaces foo\n vrrp_garp_extra_if all\n vrrp_vmac_garp_intvl 0\n",
        "",
        &FakeHost::new(),
    );
    assert_eq!(
        shown(&l),
        [
            m(3, GeneralError, "notify_fifo already specified - ignoring /run/f2"),
            m(5, GeneralError, "vmac prefix has already been specified - ignoring b"),
            m(7, GeneralError, "nftables already specified - ignoring"),
            m(8, GeneralError, "Unknown lvs_flush_on_stop type vs"),
            m(9, GeneralError, "Unknown dynamic_interfaces option 'foo'"),
            m(10, GeneralError, "vrrp_garp_extra_if specified without time - ignoring"),
            m(11, Deprecated, "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\""),
            m(11, InvalidNumber, "number '0' outside range [1, 86400]"),
            m(11, GeneralError, "vrrp_vmac_garp_intvl '0' invalid - ignoring"),
        ]
    );
    let g = global(&l);
    assert_eq!(g.notify_fifo.as_ref().unwrap().path, "/run/f1");
    assert_eq!(g.vmac_prefix, "a");
    assert!(g.dynamic_interfaces);
    assert_eq!(g.vrrp_garp_extra_if, None);
}

#[test]
fn recipients_are_capped() {
    let many: String = (0..=limits::MAX_EMAIL_RECIPIENTS)
        .map(|i| format!(" u{i}@x\n"))
        .collect();
    let l = load(
        &format!(" notification_email {{\n{many} }}\n"),
        "",
        &FakeHost::new(),
    );
    let last = limits::MAX_EMAIL_RECIPIENTS;
    assert_eq!(
        shown(&l),
        [m(
            last as u32 + 3,
            GeneralError,
            &format!("notification_email has more than MAX_EMAIL_RECIPIENTS ({last}) addresses - ignoring u{last}@x")
        )]
    );
    assert_eq!(global(&l).notification_email.len(), last);
}

#[test]
fn dump_writes_effective_values() {
    let mut h = FakeHost::new();
    h.add_script("/etc/keepalived/up.sh");
    let l = load(
        " router_id R1\n vrrp_min_garp\n lvs_sync_daemon eth0 inst VI_1 id 3\n startup_script \"/etc/keepalived/up.sh 'a b'\"\n umask 077\n",
        "",
        &h,
    );
    let mut d = Dump::new();
    dump(global(&l), &mut d);
    let text = d.finish();
    for line in [
        "global_defs {",
        "  router_id R1",
        "  vrrp_garp_master_delay 0",
        "  vrrp_garp_master_repeat 1",
        "  # vrrp_garp_master_refresh_repeat 0",
        "  vrrp_min_garp",
        "  # vrrp_garp_interval 0",
        "  vrrp_mcast_group4 224.0.0.18",
        "  default_interface eth0",
        "  lvs_sync_daemon eth0 inst VI_1 id 3",
        "  startup_script \"/etc/keepalived/up.sh 'a b'\" # uid:gid 0:0",
        "  startup_script_timeout 10",
        "  umask 0077",
        "}",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
}
