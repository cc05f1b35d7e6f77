//! `keepalived.json` (SIGRTMIN+2): keepalived's `vrrp_json_dump`, an array with one
//! `{"data":{...},"stats":{...}}` per instance, keys in its order and with its value types
//! (unsigned numbers for its `uint` fields and flags, `true`/`false` for its `bool` ones,
//! `%g` for intervals, `%f` for the last transition), on one line ending in a newline.

use std::fmt::{self, Write as _};

use super::format::{
    is_implicit, secs_f64, state_number, want, Addr, Cmd, IpRoute, IpRule, Json, G,
};
use super::View;
use crate::config::model::script::Script;
use crate::config::model::vrrp::{AuthType, Instance as Config, Vrrp};
use crate::vrrp::action::InstanceId;
use crate::vrrp::instance::{Instance, State};

/// The whole file, appended to `out`.
pub fn render(out: &mut String, v: &View<'_>) {
    out.push('[');
    for (k, (inst, c)) in v
        .router
        .instances()
        .iter()
        .zip(&v.vrrp.instances)
        .enumerate()
    {
        if k > 0 {
            out.push(',');
        }
        out.push('{');
        let mut o = Obj::new(out);
        o.name("data");
        o.out.push('{');
        let id = InstanceId(u16::try_from(k).unwrap_or(u16::MAX));
        data(&mut Obj::new(o.out), v, id, inst, c);
        o.out.push('}');
        o.name("stats");
        o.out.push('{');
        let mut s = Obj::new(o.out);
        // The two SNMP counters of `Stats` are not in keepalived's JSON.
        for (name, value) in inst.stats().fields().into_iter().take(14) {
            s.uint(name, value);
        }
        o.out.push('}');
        o.out.push('}');
    }
    out.push_str("]\n");
}

/// The interface adverts use (a VMAC's name when there is one), if any.
fn ifname(c: &Config) -> Option<&str> {
    c.vmac
        .as_ref()
        .map(|m| m.name.as_str())
        .or(c.interface.as_deref())
}

fn data(o: &mut Obj<'_>, v: &View<'_>, id: InstanceId, inst: &Instance, c: &Config) {
    o.str("iname", inst.name());
    o.uint("dont_track_primary", u64::from(c.dont_track_primary));
    o.uint("skip_check_adv_addr", u64::from(c.skip_check_adv_addr));
    o.uint("strict_mode", u64::from(c.strict));
    o.str(
        "vmac_ifname",
        c.vmac.as_ref().map_or("", |m| m.name.as_str()),
    );
    if let Some(i) = ifname(c) {
        o.str("ifp_ifname", i);
    }
    o.uint("master_priority", u64::from(inst.master_priority()));
    let (s, us) = v.transitions.get(id);
    o.raw("last_transition", format_args!("{s}.{us:06}"));
    o.raw(
        "garp_delay",
        format_args!("{}", G(secs_f64(c.garp.master_delay))),
    );
    o.uint("garp_refresh", c.garp.master_refresh.as_secs());
    o.uint("garp_rep", u64::from(c.garp.master_repeat));
    o.uint("garp_refresh_rep", u64::from(c.garp.master_refresh_repeat));
    o.uint("garp_lower_prio_delay", c.garp.lower_prio_delay.as_secs());
    o.uint("garp_lower_prio_rep", u64::from(c.garp.lower_prio_repeat));
    o.uint("lower_prio_no_advert", u64::from(c.lower_prio_no_advert));
    o.uint(
        "higher_prio_send_advert",
        u64::from(c.higher_prio_send_advert),
    );
    o.uint("vrid", u64::from(inst.vrid()));
    o.uint("base_priority", u64::from(inst.base_priority()));
    o.uint("effective_priority", u64::from(inst.effective_priority()));
    o.bool("vipset", vipset(inst));
    o.bool("promote_secondaries", c.promote_secondaries);
    o.raw(
        "adver_int",
        format_args!("{}", G(secs_f64(inst.adver_int()))),
    );
    let mai = G(secs_f64(inst.master_adver_int()));
    o.raw("master_adver_int", format_args!("{mai}"));
    o.uint("accept", u64::from(c.accept));
    o.bool("nopreempt", c.nopreempt);
    o.uint("preempt_delay", c.preempt_delay.as_secs());
    o.uint("state", u64::from(state_number(inst.state())));
    o.uint("wantstate", u64::from(state_number(want(inst, c))));
    o.uint("version", u64::from(c.version.number()));
    o.bool("smtp_alert", c.smtp_alert);
    o.bool("notify_deleted", c.notify_deleted);
    let n = &c.notify;
    let scripts: [(&str, Option<&Script>); 7] = [
        ("script_backup", n.backup.as_deref()),
        ("script_master", n.master.as_deref()),
        ("script_fault", n.fault.as_deref()),
        ("script_stop", n.stop.as_deref()),
        ("script_deleted", c.notify_deleted_script.as_deref()),
        ("script", n.generic.as_deref()),
        (
            "script_master_rx_lower_pri",
            c.notify_master_rx_lower_pri.as_deref(),
        ),
    ];
    for (key, s) in scripts {
        if let Some(s) = s {
            o.str(key, Cmd(s));
        }
    }
    let set = vipset(inst);
    let iface = c.interface.as_deref();
    o.array("vips", c.vips.iter().map(|a| Addr { a, iface, set }));
    o.array("evips", c.evips.iter().map(|a| Addr { a, iface, set }));
    o.array("vroutes", c.routes.iter().map(IpRoute));
    o.array("vrules", c.rules.iter().map(IpRule));
    let track_ifp = c.tracking.interfaces.iter();
    let track_ifp = track_ifp.filter(|t| !is_implicit(t));
    o.array("track_ifp", track_ifp.map(|t| &t.name));
    o.array(
        "track_script",
        track_scripts(v.vrrp, c).map(|s| Cmd(&s.script)),
    );
    let (auth_type, key) = match c.auth {
        None => (0, None),
        Some(a) => (
            match a.kind {
                AuthType::Pass => 1,
                AuthType::Ah => 2,
            },
            Some(a.key),
        ),
    };
    o.uint("auth_type", auth_type);
    if let Some(key) = key {
        // keepalived prints the 8 key bytes as a C string.
        let end = key.iter().position(|&b| b == 0).unwrap_or(key.len());
        o.str("auth_data", String::from_utf8_lossy(&key[..end]));
    }
}

/// keepalived's `vipset`: the core does not expose it; the addresses are set exactly while
/// an instance is MASTER.
pub(super) fn vipset(inst: &Instance) -> bool {
    inst.state() == State::Master
}

fn track_scripts<'a>(
    vrrp: &'a Vrrp,
    c: &'a Config,
) -> impl Iterator<Item = &'a crate::config::model::vrrp::VrrpScript> + 'a {
    c.tracking
        .scripts
        .iter()
        .filter_map(|t| vrrp.scripts.iter().find(|s| s.name == t.name))
}

/// A JSON object being written: keys separated by commas.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Obj<'a> {
        Obj { out, first: true }
    }

    fn name(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        let _ = write!(self.out, "{}:", Json(key));
    }

    fn raw(&mut self, key: &str, value: fmt::Arguments<'_>) {
        self.name(key);
        let _ = self.out.write_fmt(value);
    }

    fn uint(&mut self, key: &str, v: u64) {
        self.raw(key, format_args!("{v}"));
    }

    fn bool(&mut self, key: &str, v: bool) {
        self.raw(key, format_args!("{v}"));
    }

    fn str(&mut self, key: &str, v: impl fmt::Display) {
        self.raw(key, format_args!("{}", Json(v)));
    }

    /// Omitted when empty, as keepalived does.
    fn array<D: fmt::Display>(&mut self, key: &str, items: impl Iterator<Item = D>) {
        let mut items = items.peekable();
        if items.peek().is_none() {
            return;
        }
        self.name(key);
        self.out.push('[');
        for (k, s) in items.enumerate() {
            if k > 0 {
                self.out.push(',');
            }
            let _ = write!(self.out, "{}", Json(s));
        }
        self.out.push(']');
    }
}
