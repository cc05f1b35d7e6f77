//! `keepalived.stats` (SIGUSR2, STATS_CLEAR): keepalived's `vrrp_print_stats`, byte for
//! byte, one block per instance in configuration order.

use std::fmt::Write as _;

use crate::vrrp::router::Router;
use crate::vrrp::stats::Stats;

/// The whole file, appended to `out`.
pub fn render(out: &mut String, router: &Router) {
    for i in router.instances() {
        block(out, i.name(), i.stats());
    }
}

fn block(out: &mut String, name: &str, s: &Stats) {
    let _ = write!(
        out,
        "VRRP Instance: {name}
  Advertisements:
    Received: {}
    Sent: {}
  Became master: {}
  Released master: {}
  Packet Errors:
    Length: {}
    TTL: {}
    Invalid Type: {}
    Advertisement Interval: {}
    Address List: {}
  Authentication Errors:
    Invalid Type: {}
    Type Mismatch: {}
    Failure: {}
  Priority Zero:
    Received: {}
    Sent: {}
",
        s.advert_rcvd,
        s.advert_sent,
        s.become_master,
        s.release_master,
        s.packet_len_err,
        s.ip_ttl_err,
        s.invalid_type_rcvd,
        s.advert_interval_err,
        s.addr_list_err,
        s.invalid_authtype,
        s.authtype_mismatch,
        s.auth_failure,
        s.pri_zero_rcvd,
        s.pri_zero_sent,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_keepalived_s() {
        let s = Stats {
            advert_sent: 8,
            become_master: 1,
            ip_ttl_err: 2,
            ..Stats::default()
        };
        let mut out = String::new();
        block(&mut out, "VI_3", &s);
        let want = "VRRP Instance: VI_3\n  Advertisements:\n    Received: 0\n    Sent: 8\n  \
                    Became master: 1\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    \
                    TTL: 2\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  \
                    Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 0\n  \
                    Priority Zero:\n    Received: 0\n    Sent: 0\n";
        assert_eq!(out, want);
    }
}
