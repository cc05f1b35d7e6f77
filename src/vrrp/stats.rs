//! Per-instance counters, named as keepalived names them in its statistics dump
//! (`SIGUSR2`, `keepalived.stats`) and JSON output.

/// keepalived's `vrrp_stats`, with the two SNMP RFC counters Debian's build keeps
/// (`chk_err`, `vers_err`). `advert_interval_err` exists but keepalived 2.2.7 never counts
/// anything in it: an interval mismatch is dropped silently (apart from its log line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    pub chk_err: u64,
    pub vers_err: u64,
}

impl Stats {
    /// Every counter with keepalived's name, in its order.
    pub fn fields(&self) -> [(&'static str, u64); 16] {
        [
            ("advert_rcvd", self.advert_rcvd),
            ("advert_sent", self.advert_sent),
            ("become_master", self.become_master),
            ("release_master", self.release_master),
            ("packet_len_err", self.packet_len_err),
            ("advert_interval_err", self.advert_interval_err),
            ("ip_ttl_err", self.ip_ttl_err),
            ("invalid_type_rcvd", self.invalid_type_rcvd),
            ("addr_list_err", self.addr_list_err),
            ("invalid_authtype", self.invalid_authtype),
            ("authtype_mismatch", self.authtype_mismatch),
            ("auth_failure", self.auth_failure),
            ("pri_zero_rcvd", self.pri_zero_rcvd),
            ("pri_zero_sent", self.pri_zero_sent),
            ("chk_err", self.chk_err),
            ("vers_err", self.vers_err),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_carry_keepalived_names_and_values() {
        let s = Stats {
            ip_ttl_err: 3,
            pri_zero_sent: 1,
            ..Stats::default()
        };
        let f = s.fields();
        assert!(f.contains(&("ip_ttl_err", 3)));
        assert!(f.contains(&("pri_zero_sent", 1)));
        assert_eq!(f.iter().map(|(_, v)| v).sum::<u64>(), 4);
    }
}
