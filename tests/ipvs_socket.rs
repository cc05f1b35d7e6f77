//! The IPVS socket against this machine's kernel: without IPVS (no "IPVS" generic netlink
//! family), opening it fails with the one clear error line; with IPVS the family resolves
//! and the table dumps.

#![cfg(feature = "lvs")]

use keepalived_rs::ipvs::model::Table;
use keepalived_rs::net::ipvs::{Error, Ipvs};

fn ipvs_in_kernel() -> bool {
    std::fs::read_to_string("/proc/net/ip_vs").is_ok()
}

#[test]
fn a_kernel_without_ipvs_gives_one_clear_error() {
    match Ipvs::open() {
        Err(Error::NoIpvs) => {
            let line = Error::NoIpvs.to_string();
            assert!(!line.contains('\n'));
            assert!(line.starts_with("IPVS: Can't initialize ipvs:"), "{line}");
            assert!(line.contains("no IPVS"), "{line}");
        }
        Ok(mut s) => {
            // This kernel has IPVS (loaded now or before): the family resolved.
            assert_ne!(s.family(), 0);
            let mut t = Table::with_capacity(4096, 65_536);
            match s.dump(&mut t) {
                Ok(()) => {}
                // Dumping needs CAP_NET_ADMIN.
                Err(Error::Command { errno, .. }) if errno == libc::EPERM => {}
                Err(e) => panic!("dump: {e}"),
            }
            eprintln!(
                "skipped: this kernel has IPVS (/proc/net/ip_vs: {})",
                ipvs_in_kernel()
            );
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}
