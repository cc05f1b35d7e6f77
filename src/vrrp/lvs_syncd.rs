//! The IPVS connection-sync daemon, which keepalived's VRRP process runs as master while
//! one instance is MASTER and as backup otherwise (`lvs_sync_daemon IF VI ...` in
//! `global_defs`, or an instance's deprecated `lvs_sync_daemon_interface`). The core says
//! when ([`Action::StartSyncd`], [`Action::StopSyncd`]); the runtime sends
//! IPVS_CMD_NEW_DAEMON / IPVS_CMD_DEL_DAEMON with the parameters of [`SyncDaemon`].

use std::net::IpAddr;

use super::action::{Action, Actions, InstanceId};
use crate::config::model::global::Global;
use crate::config::model::vrrp::Vrrp;

/// The daemon's role (IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncdRole {
    Master,
    Backup,
}

impl SyncdRole {
    pub fn of(master: bool) -> SyncdRole {
        if master {
            SyncdRole::Master
        } else {
            SyncdRole::Backup
        }
    }

    pub fn other(self) -> SyncdRole {
        match self {
            SyncdRole::Master => SyncdRole::Backup,
            SyncdRole::Backup => SyncdRole::Master,
        }
    }
}

/// The sync daemon the VRRP process drives, resolved as keepalived's `vrrp_complete_init`
/// resolves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncDaemon {
    /// The instance whose state selects the role.
    pub instance: InstanceId,
    pub interface: Box<str>,
    /// Configured, else the instance's VRID.
    pub sync_id: u8,
    pub max_len: Option<u16>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
    pub group: Option<IpAddr>,
}

impl SyncDaemon {
    /// The daemon of a configuration, if the VRRP process drives one: `lvs_sync_daemon`
    /// naming an instance, else an instance's `lvs_sync_daemon_interface`. Without an
    /// instance it is the checker's, and an unknown instance clears it (keepalived says
    /// "Unable to find vrrp instance").
    pub fn from_config(vrrp: &Vrrp, global: &Global) -> Option<SyncDaemon> {
        let find = |name: &str| {
            let k = vrrp.instances.iter().position(|c| c.name == name)?;
            Some((InstanceId(u16::try_from(k).ok()?), vrrp.instances[k].vrid))
        };
        if let Some(d) = &global.lvs_sync_daemon {
            let (instance, vrid) = find(d.instance.as_deref()?)?;
            return Some(SyncDaemon {
                instance,
                interface: d.interface.as_str().into(),
                sync_id: d.sync_id.unwrap_or(vrid),
                max_len: d.max_len,
                port: d.port,
                ttl: d.ttl,
                group: d.group,
            });
        }
        let l = vrrp.lvs_sync_interface.as_ref()?;
        let (instance, vrid) = find(&l.instance)?;
        Some(SyncDaemon {
            instance,
            interface: l.interface.as_str().into(),
            sync_id: vrid,
            max_len: None,
            port: None,
            ttl: None,
            group: None,
        })
    }

    /// keepalived's `ipvs_syncd_changed`: the kernel daemon's parameters differ.
    pub fn settings_differ(&self, other: &SyncDaemon) -> bool {
        (
            self.sync_id,
            &self.interface,
            self.max_len,
            self.port,
            self.ttl,
            self.group,
        ) != (
            other.sync_id,
            &other.interface,
            other.max_len,
            other.port,
            other.ttl,
            other.group,
        )
    }
}

/// keepalived's `ipvs_syncd_master` / `ipvs_syncd_backup`: the other role's daemon stops,
/// this one's starts.
pub(super) fn switch(role: SyncdRole, out: &mut Actions) {
    out.push(Action::StopSyncd(role.other()));
    out.push(Action::StartSyncd(role));
}

#[cfg(test)]
mod tests {
    use super::super::instance::State;
    use super::super::testutil::*;
    use super::*;

    fn conf(global: &str, extra: &str) -> String {
        format!(
            "global_defs {{
                {global}
            }}
            vrrp_instance VI_1 {{
                interface eth0
                virtual_router_id 51
                priority 150
                {extra}
                virtual_ipaddress {{
                    10.0.0.100/24
                }}
            }}"
        )
    }

    fn syncd(r: &super::super::router::Router, out: &Actions) -> Vec<String> {
        lines(r, out)
            .into_iter()
            .filter(|l| l.starts_with("syncd"))
            .collect()
    }

    #[test]
    fn parameters_come_from_lvs_sync_daemon_with_the_vrid_as_default_id() {
        let c = config(&conf("lvs_sync_daemon eth1 VI_1 maxlen 1400 port 8848", ""));
        let d = SyncDaemon::from_config(&c.vrrp, &c.global).expect("a daemon");
        assert_eq!(d.instance, InstanceId(0));
        assert_eq!(&*d.interface, "eth1");
        assert_eq!((d.sync_id, d.max_len, d.port), (51, Some(1400), Some(8848)));
        let c = config(&conf("lvs_sync_daemon eth1 VI_1 id 7", ""));
        let d = SyncDaemon::from_config(&c.vrrp, &c.global).expect("a daemon");
        assert_eq!(d.sync_id, 7);
    }

    #[test]
    fn the_checker_runs_a_daemon_without_instance_and_an_unknown_one_is_dropped() {
        let c = config(&conf("lvs_sync_daemon eth1", ""));
        assert_eq!(SyncDaemon::from_config(&c.vrrp, &c.global), None);
        let c = config(&conf("lvs_sync_daemon eth1 VI_9", ""));
        assert_eq!(SyncDaemon::from_config(&c.vrrp, &c.global), None);
    }

    #[test]
    fn the_deprecated_instance_keyword_names_its_instance() {
        let c = config(&conf("", "lvs_sync_daemon_interface eth1"));
        let d = SyncDaemon::from_config(&c.vrrp, &c.global).expect("a daemon");
        assert_eq!(
            (d.instance, &*d.interface, d.sync_id),
            (InstanceId(0), "eth1", 51)
        );
    }

    #[test]
    fn settings_compare_as_keepalived_compares_them() {
        let c = config(&conf("lvs_sync_daemon eth1 VI_1", ""));
        let d = SyncDaemon::from_config(&c.vrrp, &c.global).expect("a daemon");
        let other_instance = SyncDaemon {
            instance: InstanceId(3),
            ..d.clone()
        };
        assert!(!d.settings_differ(&other_instance));
        let other_port = SyncDaemon {
            port: Some(1),
            ..d.clone()
        };
        assert!(d.settings_differ(&other_port));
    }

    #[test]
    fn the_daemon_follows_its_instance_from_start_to_stop() {
        let mut r = router(&conf("lvs_sync_daemon eth1 VI_1", ""));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        assert_eq!(syncd(&r, &out), ["syncd start backup"]);
        out.clear();
        run_until(&mut r, at(3_414_062), &mut out);
        assert_eq!(r.instances()[0].state(), State::Master);
        assert_eq!(syncd(&r, &out), ["syncd stop backup", "syncd start master"]);
        out.clear();
        deliver(
            &mut r,
            secs(4),
            &v2("10.0.0.2", 51, 200, &["10.0.0.100"]),
            &mut out,
        );
        assert_eq!(syncd(&r, &out), ["syncd stop master", "syncd start backup"]);
        out.clear();
        r.stop(secs(5), &mut out);
        assert_eq!(syncd(&r, &out), ["syncd stop backup"]);
    }

    #[test]
    fn stopping_a_master_stops_the_master_daemon_before_resigning() {
        let mut r = router(&conf("lvs_sync_daemon eth1 VI_1", ""));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, at(3_414_062), &mut out);
        out.clear();
        r.stop(secs(4), &mut out);
        assert_eq!(
            lines(&r, &out)[..2],
            ["syncd stop master", "advert VI_1 prio 0"]
        );
    }

    #[test]
    fn a_master_failing_switches_the_daemon_to_backup() {
        let text = conf("lvs_sync_daemon eth1 VI_1", "track_interface {\n eth1\n}");
        let mut r = router(&text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, at(3_414_062), &mut out);
        out.clear();
        r.link_changed(secs(4), "eth1", false, &mut out);
        assert_eq!(r.instances()[0].state(), State::Fault);
        assert_eq!(syncd(&r, &out), ["syncd stop master", "syncd start backup"]);
        out.clear();
        // Back to BACKUP from FAULT: the daemon is already backup.
        r.link_changed(secs(5), "eth1", true, &mut out);
        assert_eq!(r.instances()[0].state(), State::Backup);
        assert!(syncd(&r, &out).is_empty());
    }

    #[test]
    fn an_owner_starts_its_daemon_as_backup_then_switches() {
        let text = conf("lvs_sync_daemon eth1 VI_1", "state MASTER\npriority 255");
        let mut r = router(&text);
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        r.handle_timeout(at(1), &mut out);
        assert_eq!(
            syncd(&r, &out),
            [
                "syncd start backup",
                "syncd stop backup",
                "syncd start master"
            ]
        );
    }

    #[test]
    fn instances_other_than_the_daemons_do_not_touch_it() {
        let mut r = router(&conf("", ""));
        let mut out = actions(&r);
        r.start(at(0), &mut out);
        run_until(&mut r, at(3_414_062), &mut out);
        r.stop(secs(4), &mut out);
        assert!(syncd(&r, &out).is_empty());
        assert!(r.sync_daemon().is_none());
    }
}
