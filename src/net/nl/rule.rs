//! Policy routing rules (`virtual_rules`, `static_rules`) added and deleted as keepalived's
//! `netlink_rule` does. Interfaces go by name, so nothing needs resolving.

use super::attr::{Be, Str, Writer};
use super::command::Command;
use super::error::Error;
use super::msg::{NLM_F_CREATE, NLM_F_EXCL, RTM_DELRULE, RTM_NEWRULE};
use crate::config::model::ipaddr::Family;
use crate::config::model::rule::{Range, Rule, RuleAction};

const FIB_RULE_HDR_LEN: usize = 12;
const FIB_RULE_INVERT: u32 = 0x2;

const FRA_DST: u16 = 1;
const FRA_SRC: u16 = 2;
const FRA_IIFNAME: u16 = 3;
const FRA_GOTO: u16 = 4;
const FRA_PRIORITY: u16 = 6;
const FRA_FWMARK: u16 = 10;
const FRA_FLOW: u16 = 11;
const FRA_TUN_ID: u16 = 12;
const FRA_SUPPRESS_IFGROUP: u16 = 13;
const FRA_SUPPRESS_PREFIXLEN: u16 = 14;
const FRA_TABLE: u16 = 15;
const FRA_FWMASK: u16 = 16;
const FRA_OIFNAME: u16 = 17;
const FRA_L3MDEV: u16 = 19;
const FRA_UID_RANGE: u16 = 20;
const FRA_PROTOCOL: u16 = 21;
const FRA_IP_PROTO: u16 = 22;
const FRA_SPORT_RANGE: u16 = 23;
const FRA_DPORT_RANGE: u16 = 24;

const FR_ACT_TO_TBL: u8 = 1;
const FR_ACT_GOTO: u8 = 2;
const FR_ACT_NOP: u8 = 3;
const FR_ACT_BLACKHOLE: u8 = 6;
const FR_ACT_UNREACHABLE: u8 = 7;
const FR_ACT_PROHIBIT: u8 = 8;
const RT_TABLE_MAIN: u32 = 254;

fn range32(r: Range<u32>) -> [u8; 8] {
    let mut v = [0u8; 8];
    v[..4].copy_from_slice(&r.start.to_ne_bytes());
    v[4..].copy_from_slice(&r.end.to_ne_bytes());
    v
}

fn range16(r: Range<u16>) -> [u8; 4] {
    let mut v = [0u8; 4];
    v[..2].copy_from_slice(&r.start.to_ne_bytes());
    v[2..].copy_from_slice(&r.end.to_ne_bytes());
    v
}

fn write_rule(w: &mut Writer<'_>, r: &Rule) -> Result<(), Error> {
    let action = match r.action {
        RuleAction::Table(_) | RuleAction::L3mdev => FR_ACT_TO_TBL,
        RuleAction::Goto(_) => FR_ACT_GOTO,
        RuleAction::Nop => FR_ACT_NOP,
        RuleAction::Blackhole => FR_ACT_BLACKHOLE,
        RuleAction::Unreachable => FR_ACT_UNREACHABLE,
        RuleAction::Prohibit => FR_ACT_PROHIBIT,
    };
    let mut h = [0u8; FIB_RULE_HDR_LEN];
    h[0] = match r.family {
        Family::Inet => libc::AF_INET as u8,
        Family::Inet6 => libc::AF_INET6 as u8,
    };
    h[1] = r.to.map_or(0, |p| p.len);
    h[2] = r.from.map_or(0, |p| p.len);
    h[3] = r.tos;
    h[7] = action;
    let flags = if r.invert { FIB_RULE_INVERT } else { 0 };
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    let mut big_table = None;
    if let RuleAction::Table(t) = r.action {
        // Table 0 means main, as in keepalived.
        let t = if t == 0 { RT_TABLE_MAIN } else { t };
        match u8::try_from(t) {
            Ok(small) => h[4] = small,
            Err(_) => big_table = Some(t),
        }
    }
    w.fixed(&h)?;
    if let Some(t) = big_table {
        w.attr(FRA_TABLE, &t)?;
    }
    if let Some(p) = &r.from {
        w.attr(FRA_SRC, &p.addr)?;
    }
    if let Some(p) = &r.to {
        w.attr(FRA_DST, &p.addr)?;
    }
    w.attr(FRA_PRIORITY, &r.preference)?;
    if let Some(m) = r.fwmark {
        w.attr(FRA_FWMARK, &m.mark)?;
        if let Some(mask) = m.mask {
            w.attr(FRA_FWMASK, &mask)?;
        }
    }
    if let Some(v) = r.realms {
        w.attr(FRA_FLOW, &v.0)?;
    }
    if let Some(v) = r.suppress_prefixlen {
        w.attr(FRA_SUPPRESS_PREFIXLEN, &v)?;
    }
    if let Some(v) = r.suppress_ifgroup {
        w.attr(FRA_SUPPRESS_IFGROUP, &v)?;
    }
    if let Some(v) = &r.iif {
        w.attr(FRA_IIFNAME, &Str(v))?;
    }
    if let Some(v) = &r.oif {
        w.attr(FRA_OIFNAME, &Str(v))?;
    }
    if let Some(v) = r.tunnel_id {
        w.attr(FRA_TUN_ID, &Be(v))?;
    }
    if let Some(v) = r.uid_range {
        w.attr(FRA_UID_RANGE, &range32(v))?;
    }
    if r.action == RuleAction::L3mdev {
        w.attr(FRA_L3MDEV, &1u8)?;
    }
    if let Some(v) = r.protocol {
        w.attr(FRA_PROTOCOL, &v)?;
    }
    if let Some(v) = r.ip_proto {
        w.attr(FRA_IP_PROTO, &v)?;
    }
    if let Some(v) = r.sport {
        w.attr(FRA_SPORT_RANGE, &range16(v))?;
    }
    if let Some(v) = r.dport {
        w.attr(FRA_DPORT_RANGE, &range16(v))?;
    }
    if let RuleAction::Goto(target) = r.action {
        w.attr(FRA_GOTO, &target)?;
    }
    Ok(())
}

impl Command {
    /// Adds a rule. Unlike addresses and routes, an identical rule is an error (EEXIST):
    /// keepalived asks for an exclusive create.
    pub fn add_rule(&mut self, r: &Rule) -> Result<(), Error> {
        self.request(
            RTM_NEWRULE,
            NLM_F_CREATE | NLM_F_EXCL,
            |w| write_rule(w, r),
            |_| Ok(()),
        )
    }

    pub fn del_rule(&mut self, r: &Rule) -> Result<(), Error> {
        self.request(RTM_DELRULE, 0, |w| write_rule(w, r), |_| Ok(()))
    }
}
