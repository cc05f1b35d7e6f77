//! VRRP on a simulated LAN in virtual time: routers built from keepalived.conf text exchange
//! adverts as bytes. Each scenario is a timeline named after the RFC section or keepalived
//! behaviour it guards; every one also checks (in `sim::Lan`) that once the network is healed
//! a VRID never has two masters for longer than one Master_Down_Interval.
//!
//! Times: adverts take 100 µs on the wire; with advert_int 1 (VRRPv2) Master_Down_Interval is
//! 3 s + (256 − priority)/256 s: 3,414,062 µs at priority 150, 3,609,375 µs at 100.

mod sim;

use keepalived_rs::vrrp::instance::State;
use sim::{conf, secs, Lan};

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;

fn pair(a: &str, b: &str) -> Lan {
    Lan::new(&[("A", "10.0.0.1", a), ("B", "10.0.0.2", b)])
}

/// A (150) is MASTER from 3.414062 s, B (100) its backup.
fn steady_pair() -> Lan {
    let mut lan = pair(&conf(150, ""), &conf(100, ""));
    lan.start_all();
    lan.run_until(secs(10.0));
    assert_eq!(lan.masters("VI_1"), [A], "{}", lan.dump());
    lan
}

#[test]
fn rfc3768_6_4_initial_election_highest_priority_wins() {
    let mut lan = Lan::new(&[
        ("A", "10.0.0.1", &conf(150, "")),
        ("B", "10.0.0.2", &conf(100, "")),
        ("C", "10.0.0.3", &conf(50, "")),
    ]);
    lan.start_all();
    lan.run_until(secs(30.0));
    assert_eq!(lan.masters("VI_1"), [A], "{}", lan.dump());
    // Nobody heard anyone before A's Master_Down_Timer ran out.
    assert_eq!(lan.entered(A, "VI_1", State::Master), Some(secs(3.414062)));
    assert_eq!(lan.times_entered(B, "VI_1", State::Master), 0);
    assert_eq!(lan.times_entered(C, "VI_1", State::Master), 0);
    assert_eq!(lan.logged(A, "Entering MASTER STATE").len(), 1);
}

#[test]
fn rfc3768_6_4_2_priority_zero_handover_after_exactly_skew_time() {
    let mut lan = steady_pair();
    lan.stop(A);
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [B]);
    // The priority-0 advert arrives at 10.0001 s; Skew_Time at 100 is 156/256 s = 609,375 µs.
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(10.609475)));
    assert_eq!(
        lan.logged(B, "Backup received priority 0 advertisement")
            .len(),
        1
    );
}

#[test]
fn rfc3768_6_4_2_silent_master_taken_over_after_exactly_master_down_interval() {
    let mut lan = steady_pair();
    lan.run_until(secs(10.5));
    lan.crash(A);
    lan.run_until(secs(30.0));
    assert_eq!(lan.masters("VI_1"), [B]);
    // A's last advert left at 10.414062 s and arrived 100 µs later; B waited 3,609,375 µs.
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(14.023537)));
}

#[test]
fn keepalived_preemption_a_higher_priority_backup_takes_over() {
    let mut lan = pair(&conf(150, ""), &conf(100, ""));
    lan.start(B);
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [B]);
    lan.start(A);
    lan.run_until(secs(40.0));
    assert_eq!(lan.masters("VI_1"), [A], "{}", lan.dump());
    // A discards B's lower adverts and times out as if it heard nothing.
    assert_eq!(lan.entered(A, "VI_1", State::Master), Some(secs(23.414062)));
    assert_eq!(lan.entered(B, "VI_1", State::Backup), Some(secs(23.414162)));
    assert!(!lan
        .logged(
            A,
            "received lower priority (100) advert from 10.0.0.2 - discarding"
        )
        .is_empty());
    assert_eq!(
        lan.logged(
            B,
            "Master received advert from 10.0.0.1 with higher priority 150, ours 100"
        )
        .len(),
        1
    );
    // It yields without a priority-0 advert: nobody heard one.
    assert!(lan.logged(A, "priority 0").is_empty());
}

#[test]
fn keepalived_nopreempt_leaves_a_lower_priority_master_alone() {
    let mut lan = pair(&conf(150, "nopreempt"), &conf(100, ""));
    lan.start(B);
    lan.run_until(secs(20.0));
    lan.start(A);
    lan.run_until(secs(80.0));
    assert_eq!(lan.masters("VI_1"), [B]);
    assert_eq!(lan.times_entered(A, "VI_1", State::Master), 0);
}

#[test]
fn keepalived_preempt_delay_2_takes_over_5_4_s_after_the_first_lower_advert() {
    let mut lan = pair(&conf(150, "preempt_delay 2"), &conf(100, ""));
    lan.start(B);
    lan.run_until(secs(20.0));
    lan.start(A);
    lan.run_until(secs(40.0));
    assert_eq!(lan.masters("VI_1"), [A]);
    // B advertises at 3.609375 + k s; A hears the first after its start at 20.609475 s.
    let first = secs(20.609475);
    let took = lan.entered(A, "VI_1", State::Master).expect("A took over");
    assert_eq!(
        took.saturating_since(first).as_micros(),
        2_000_000 + 3_414_062
    );
    assert_eq!(lan.logged(A, "start preempt delay (2.000000)").len(), 1);
}

#[test]
fn rfc3768_6_4_3_equal_priority_the_higher_primary_address_wins() {
    let mut lan = pair(&conf(100, ""), &conf(100, ""));
    lan.start_all();
    lan.run_until(secs(30.0));
    // Both time out together and become MASTER; each hears the other 100 µs later and A,
    // with the lower address, yields.
    assert_eq!(lan.entered(A, "VI_1", State::Master), Some(secs(3.609375)));
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(3.609375)));
    assert_eq!(lan.masters("VI_1"), [B]);
    assert_eq!(lan.entered(A, "VI_1", State::Backup), Some(secs(3.609475)));
    assert_eq!(
        lan.logged(A, "same priority 100 but higher IP address than ours")
            .len(),
        1
    );
    assert!(!lan
        .logged(B, "lower priority 100, ours 100, forcing new election")
        .is_empty());
}

#[test]
fn keepalived_tracked_script_failure_lowers_priority_below_the_peer() {
    let script = "vrrp_script chk {\n script \"/bin/chk\"\n interval 1\n weight -60\n}\n";
    let a = format!("{script}{}", conf(150, "track_script {\n chk\n}"));
    let mut lan = pair(&a, &conf(100, ""));
    lan.start_all();
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [A]);
    lan.set_script_exit(A, "chk", 1);
    lan.run_until(secs(40.0));
    assert_eq!(lan.priority(A, "VI_1"), 90);
    assert_eq!(lan.masters("VI_1"), [B], "{}", lan.dump());
    // The run at 21 s fails (10 ms later); B last accepted A's advert of 20.414062 s.
    assert_eq!(
        lan.logged(A, "Changing effective priority from 150 to 90")
            .len(),
        1
    );
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(24.023537)));
    assert_eq!(lan.entered(A, "VI_1", State::Backup), Some(secs(24.023637)));
}

#[test]
fn keepalived_tracked_interface_down_is_fault_and_recovery_preempts_again() {
    let mut lan = steady_pair();
    lan.run_until(secs(10.2));
    lan.link(A, "eth0", false);
    assert_eq!(lan.state(A, "VI_1"), State::Fault);
    lan.run_until(secs(30.0));
    // A resigned with priority 0: B took over after Skew_Time.
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(10.809475)));
    assert_eq!(lan.logged(A, "notify VI_1 FAULT 150").len(), 1);
    lan.link(A, "eth0", true);
    assert_eq!(lan.state(A, "VI_1"), State::Backup);
    lan.run_until(secs(50.0));
    assert_eq!(lan.masters("VI_1"), [A]);
    assert_eq!(lan.entered(A, "VI_1", State::Master), Some(secs(33.414062)));
}

fn group_conf(priority: u8, track: &str) -> String {
    format!(
        "vrrp_sync_group G1 {{
            group {{
                VI_1
                VI_2
            }}
            {track}
        }}
        {}{}",
        conf(priority, ""),
        conf(priority, "")
            .replace("VI_1", "VI_2")
            .replace("virtual_router_id 51", "virtual_router_id 52")
            .replace("10.0.0.100", "10.0.0.200")
    )
}

#[test]
fn keepalived_sync_group_members_fail_over_together() {
    let a = group_conf(150, "track_interface {\n lo\n}");
    let mut lan = pair(&a, &group_conf(100, ""));
    lan.start_all();
    lan.run_until(secs(10.2));
    assert_eq!(lan.masters("VI_1"), [A]);
    assert_eq!(lan.masters("VI_2"), [A]);
    lan.link(A, "lo", false);
    assert_eq!(lan.state(A, "VI_1"), State::Fault);
    assert_eq!(lan.state(A, "VI_2"), State::Fault);
    lan.run_until(secs(30.0));
    assert_eq!(lan.masters("VI_1"), [B], "{}", lan.dump());
    assert_eq!(lan.masters("VI_2"), [B]);
    // Both heard a priority-0 advert at 10.2001 s and went together after Skew_Time.
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(10.809475)));
    assert_eq!(lan.entered(B, "VI_2", State::Master), Some(secs(10.809475)));
    assert_eq!(
        lan.logged(B, "VRRP_Group(G1) Syncing instances to MASTER state")
            .len(),
        1
    );
}

#[test]
fn rfc5798_partition_heals_to_one_master_within_master_down_interval() {
    let mut lan = steady_pair();
    lan.partition(&[0, 1]);
    lan.run_until(secs(20.0));
    // Each side has its master while apart.
    assert_eq!(lan.masters("VI_1"), [A, B]);
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(13.023537)));
    lan.heal();
    lan.run_until(secs(30.0));
    assert_eq!(lan.masters("VI_1"), [A]);
    // B's first advert after the heal left at 20.023537 s: A answered it at once.
    assert_eq!(lan.entered(B, "VI_1", State::Backup), Some(secs(20.023737)));
    assert!(lan.longest_dual_after_heal.as_micros() <= 23_737);
}

#[test]
fn rfc3768_three_routers_fail_over_down_the_priorities_and_back() {
    let mut lan = Lan::new(&[
        ("A", "10.0.0.1", &conf(150, "")),
        ("B", "10.0.0.2", &conf(120, "")),
        ("C", "10.0.0.3", &conf(100, "")),
    ]);
    lan.start_all();
    lan.run_until(secs(10.5));
    lan.crash(A);
    lan.run_until(secs(20.5));
    // B's Master_Down_Interval (3 s + 136/256 s) is shorter than C's.
    assert_eq!(lan.masters("VI_1"), [B]);
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(13.945412)));
    lan.crash(B);
    lan.run_until(secs(30.0));
    assert_eq!(lan.masters("VI_1"), [C]);
    assert_eq!(lan.entered(C, "VI_1", State::Master), Some(secs(23.554887)));
    lan.revive(A);
    lan.run_until(secs(50.0));
    assert_eq!(lan.masters("VI_1"), [A]);
    assert_eq!(lan.entered(A, "VI_1", State::Master), Some(secs(33.414062)));
    assert_eq!(lan.times_entered(C, "VI_1", State::Backup), 2);
}

#[test]
fn keepalived_down_timer_adverts_10_rides_out_10_percent_loss_for_10000_s() {
    let text = |p| conf(p, "down_timer_adverts 10");
    let mut lan = pair(&text(150), &text(100));
    lan.seed(20_240_601);
    lan.loss_ppm = 100_000;
    lan.start_all();
    lan.run_until(secs(10_000.0));
    assert_eq!(
        lan.times_entered(B, "VI_1", State::Master),
        0,
        "{}",
        lan.dump()
    );
    assert_eq!(lan.times_entered(A, "VI_1", State::Master), 1);
    let share = lan.lost as f64 / lan.packets as f64;
    assert!((0.09..0.11).contains(&share), "loss {share}");
    assert!(lan.packets > 9_900);

    // The same loss with the default of 3 adverts: three in a row go missing now and then.
    let mut lan = pair(&conf(150, ""), &conf(100, ""));
    lan.seed(20_240_601);
    lan.loss_ppm = 100_000;
    lan.start_all();
    lan.run_until(secs(10_000.0));
    assert!(lan.times_entered(B, "VI_1", State::Master) > 0);
}

#[test]
fn keepalived_authentication_pass_and_ah_elect_and_hand_over() {
    for auth in ["PASS", "AH"] {
        let extra = format!("authentication {{\n auth_type {auth}\n auth_pass s3cret\n}}");
        let mut lan = pair(&conf(150, &extra), &conf(100, &extra));
        lan.start_all();
        lan.run_until(secs(10.0));
        assert_eq!(lan.masters("VI_1"), [A], "{auth}\n{}", lan.dump());
        let b = lan.instance(B, "VI_1");
        let stats = *lan.nodes[B].router.instance(b).expect("B").stats();
        assert!(stats.advert_rcvd >= 6, "{auth}: {stats:?}");
        assert_eq!(stats.auth_failure + stats.authtype_mismatch, 0, "{auth}");
        lan.stop(A);
        lan.run_until(secs(20.0));
        assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(10.609475)));
    }
}

#[test]
fn rfc5798_unicast_v3_peers_elect_over_unicast() {
    let text = |p, me: &str, peer: &str| {
        conf(
            p,
            &format!("version 3\nunicast_src_ip {me}\nunicast_peer {{\n {peer}\n}}"),
        )
    };
    let mut lan = pair(
        &text(150, "10.0.0.1", "10.0.0.2"),
        &text(100, "10.0.0.2", "10.0.0.1"),
    );
    lan.start_all();
    lan.run_until(secs(10.0));
    assert_eq!(lan.masters("VI_1"), [A]);
    lan.crash(A);
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [B]);
}

/// The longest time between two adverts of `vrid` from `node` within `from..=to`.
fn longest_advert_gap(lan: &Lan, node: usize, vrid: u8, from: f64, to: f64) -> u64 {
    let times: Vec<u64> = lan
        .adverts
        .iter()
        .filter(|s| s.node == node && s.vrid == vrid)
        .map(|s| s.at.as_micros())
        .filter(|&t| t >= secs(from).as_micros() && t <= secs(to).as_micros())
        .collect();
    times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(u64::MAX)
}

fn two_instances(priority: u8) -> String {
    conf(priority, "")
        + "vrrp_instance VI_2 {
            state BACKUP
            interface eth0
            virtual_router_id 52
            priority 150
            advert_int 1
            virtual_ipaddress {
                10.0.0.200/24
            }
        }\n"
}

#[test]
fn keepalived_reload_keeps_an_unchanged_master_without_a_flap() {
    let mut lan = pair(&two_instances(150), &conf(100, ""));
    lan.start_all();
    lan.run_until(secs(10.3));
    assert_eq!(lan.masters("VI_1"), [A], "{}", lan.dump());
    assert_eq!(lan.state(A, "VI_2"), State::Master, "{}", lan.dump());
    let before = lan.addr_actions.len();
    lan.reload(A, &two_instances(150));
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [A], "{}", lan.dump());
    assert_eq!(lan.state(A, "VI_2"), State::Master, "{}", lan.dump());
    assert_eq!(lan.times_entered(A, "VI_2", State::Master), 1);
    assert_eq!(lan.times_entered(A, "VI_1", State::Master), 1);
    assert_eq!(lan.times_entered(B, "VI_1", State::Master), 0);
    // No resignation: no priority-0 advert, no address removed.
    assert!(
        !lan.adverts.iter().any(|s| s.priority == 0),
        "{}",
        lan.dump()
    );
    let after = &lan.addr_actions[before..];
    assert!(
        !after.iter().any(|(_, _, a)| a.starts_with("remove ")),
        "{after:?}"
    );
    // The adverts go on: one just before the reload, one just after, never a gap
    // longer than the interval.
    assert!(longest_advert_gap(&lan, A, 51, 5.0, 20.0) <= 1_000_000);
    assert!(longest_advert_gap(&lan, A, 52, 5.0, 20.0) <= 1_000_000);
}

#[test]
fn keepalived_reload_a_new_priority_takes_effect() {
    let mut lan = steady_pair();
    // B (100 → 200) preempts as keepalived does: it discards A's lower-priority adverts
    // and times out one Master_Down_Interval (3 + 56/256 s) after the reload.
    lan.reload(B, &conf(200, ""));
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [B], "{}", lan.dump());
    assert_eq!(lan.priority(B, "VI_1"), 200);
    assert_eq!(lan.entered(B, "VI_1", State::Master), Some(secs(13.21875)));
    // A (150 → 50) would have yielded anyway: its adverts now say 50.
    let mut lan = steady_pair();
    lan.reload(A, &conf(50, ""));
    lan.run_until(secs(20.0));
    assert_eq!(lan.masters("VI_1"), [B], "{}", lan.dump());
    assert!(lan
        .adverts
        .iter()
        .any(|s| s.node == A && s.priority == 50 && s.at >= secs(10.0)));
}

#[test]
fn keepalived_reload_a_removed_instance_gives_up_its_addresses() {
    let mut lan = pair(&two_instances(150), &conf(100, ""));
    lan.start_all();
    lan.run_until(secs(10.3));
    assert_eq!(lan.state(A, "VI_2"), State::Master, "{}", lan.dump());
    let before = lan.addr_actions.len();
    lan.reload(A, &conf(150, ""));
    lan.run_until(secs(20.0));
    let after: Vec<&str> = lan.addr_actions[before..]
        .iter()
        .map(|(_, _, a)| a.as_str())
        .collect();
    assert!(after.contains(&"remove VI_2"), "{after:?}");
    assert!(!after.contains(&"remove VI_1"), "{after:?}");
    assert!(lan
        .adverts
        .iter()
        .any(|s| s.node == A && s.vrid == 52 && s.priority == 0));
    // Without notify_deleted the runtime reports it as FAULT.
    assert_eq!(lan.logged(A, "notify VI_2 DELETED 150").len(), 1);
    assert_eq!(lan.masters("VI_1"), [A], "{}", lan.dump());
    assert_eq!(lan.times_entered(A, "VI_1", State::Master), 1);
    assert!(lan.nodes[A].router.find_instance("VI_2").is_none());
}
