//! Small formatting pieces the dumps share, as keepalived's C prints them.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use crate::config::model::ipaddr::names::SCOPE_NAMES;
use crate::config::model::ipaddr::Family;
use crate::config::model::ipaddr::{IpAddress, Lifetime};
use crate::config::model::route::{AddMode, Route, RouteType};
use crate::config::model::rule::{Realms, Rule, RuleAction};
use crate::config::model::script::Script;
use crate::config::model::vrrp::TrackRef;
use crate::config::model::vrrp::{InitialState, Instance as Config};
use crate::time::Duration;
use crate::vrrp::instance::{Instance, State};

/// keepalived's `get_state_str`.
pub fn state_str(s: State) -> &'static str {
    match s {
        State::Init => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

/// keepalived's `VRRP_STATE_*` numbers (JSON `state`, `wantstate`).
pub fn state_number(s: State) -> u8 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

/// keepalived's `wantstate`, which the core keeps private: the state, or before start-up
/// what the instance was configured to start as (keepalived shows FAULT as wanted FAULT).
pub fn want(inst: &Instance, c: &Config) -> State {
    match inst.state() {
        State::Init => match c.initial_state {
            InitialState::Master => State::Master,
            InitialState::Backup => State::Backup,
        },
        s => s,
    }
}

/// Seconds as a double.
pub fn secs_f64(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e6
}

/// printf's `%g`: six significant digits, trailing zeros dropped, exponent form outside
/// 1e-4 ..< 1e6.
pub struct G(pub f64);

impl fmt::Display for G {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v == 0.0 || !v.is_finite() {
            return write!(f, "{}", if v.is_finite() { 0.0 } else { v });
        }
        let mut sci = Stack::default();
        write!(sci, "{v:.5e}")?;
        let sci = sci.as_str();
        let (mant, exp) = sci.split_once('e').unwrap_or((sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        if !(-4..6).contains(&exp) {
            let mant = trim_zeros(mant);
            let sign = if exp < 0 { '-' } else { '+' };
            return write!(f, "{mant}e{sign}{:02}", exp.abs());
        }
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        let mut fixed = Stack::default();
        write!(fixed, "{v:.decimals$}")?;
        f.write_str(trim_zeros(fixed.as_str()))
    }
}

/// A small text buffer on the stack (for `%g`, whose numbers fit in 32 bytes).
#[derive(Default)]
struct Stack {
    buf: [u8; 32],
    len: usize,
}

impl Stack {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Stack {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A value written as a JSON string, escaped as it is formatted (nothing is allocated).
/// keepalived's writer turns `\` into `\n` and passes control characters through; these
/// are escaped correctly here. `/` is `\/`, as keepalived writes it.
pub struct Json<D>(pub D);

impl<D: fmt::Display> fmt::Display for Json<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        write!(Escape(f), "{}", self.0)?;
        f.write_char('"')
    }
}

struct Escape<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escape<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let f = &mut self.0;
        for c in s.chars() {
            match c {
                '\t' => f.write_str("\\t")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\u{c}' => f.write_str("\\f")?,
                '\u{8}' => f.write_str("\\b")?,
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '/' => f.write_str("\\/")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// keepalived's `cmd_str()` of a script (as `Script::cmd_str`, without allocating): every
/// word in single quotes, except a first word that is a redirection.
pub struct Cmd<'a>(pub &'a Script);

impl fmt::Display for Cmd<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, w) in self.0.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if i == 0 && (w.starts_with('<') || w.starts_with('>')) {
                f.write_str(w)?;
            } else {
                write!(f, "'{w}'")?;
            }
        }
        Ok(())
    }
}

/// Whether a tracking entry is implicit (the instance's own interface or an address's):
/// keepalived does not list those. `config::model::vrrp` does not re-export the `Origin`
/// type, so its variant is told by its `Debug` name, compared as it is written.
pub fn is_implicit(t: &TrackRef) -> bool {
    struct Eq<'a>(&'a str, bool);
    impl fmt::Write for Eq<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.0.strip_prefix(s) {
                Some(rest) => self.0 = rest,
                None => self.1 = false,
            }
            Ok(())
        }
    }
    let mut m = Eq("Implicit", true);
    let _ = write!(m, "{:?}", t.origin);
    m.1 && m.0.is_empty()
}

/// An address with its prefix length, bare for a host (/32, /128), as `ipaddresstos`.
struct Prefix(IpAddr, u8);

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.0.is_ipv6() { 128 } else { 32 };
        if u32::from(self.1) == host {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{}/{}", self.0, self.1)
        }
    }
}

fn inet(a: &IpAddr) -> &'static str {
    if a.is_ipv6() {
        "inet6"
    } else {
        "inet"
    }
}

/// keepalived 2.2.7's `format_iproute` words for a virtual or static route: the add mode
/// first (`prepend`, `add` or `append`), `via inet[6]`, the table only when not main, its protocol (keepalived's own, 18,
/// unless configured), numeric scopes, then `no_track`. Metrics, encapsulation and
/// preference are written in the configuration's words (close to, not checked against,
/// keepalived's).
pub struct IpRoute<'a>(pub &'a Route);

impl fmt::Display for IpRoute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        // keepalived adds routes of the other types (blackhole, unreachable ...) without
        // the prepend it gives unicast ones (seen in its dump: "add blackhole ...").
        match r.mode {
            AddMode::Prepend if r.kind == RouteType::UNICAST => f.write_str("prepend ")?,
            AddMode::Prepend | AddMode::Add => f.write_str("add ")?,
            AddMode::Append => f.write_str("append ")?,
        }
        if r.kind != RouteType::UNICAST {
            write!(f, "{} ", r.kind)?;
        }
        write!(f, "{}", Prefix(r.dst.addr, r.dst.len))?;
        if let Some(p) = &r.src {
            write!(f, " from {}", Prefix(p.addr, p.len))?;
        }
        if let Some(a) = &r.pref_src {
            write!(f, " src {a}")?;
        }
        if let Some(t) = r.tos {
            write!(f, " tos {t}")?;
        }
        if let Some(e) = &r.encap {
            write!(f, " {e}")?;
        }
        if let Some(v) = &r.via {
            write!(f, " via {} {v}", inet(v))?;
        }
        if let Some(d) = &r.dev {
            write!(f, " dev {d}")?;
        }
        if r.table != 254 {
            write!(f, " table {}", r.table)?;
        }
        write!(f, " proto {}", r.protocol.unwrap_or(18))?;
        if let Some(sc) = r.scope {
            write!(f, " scope {}", sc.0)?;
        }
        if let Some(m) = r.metric {
            write!(f, " metric {m}")?;
        }
        if r.onlink && r.dst.addr.is_ipv4() {
            f.write_str(" onlink")?;
        }
        if let Some(Realms(v)) = r.realms {
            write_realms(f, v)?;
        }
        if let Some(e) = r.expires {
            write!(f, " expires {e}sec")?;
        }
        write!(f, "{}", r.metrics)?;
        if let Some(p) = r.pref {
            write!(f, " pref {p}")?;
        }
        if let Some(t) = r.ttl_propagate {
            let word = if t { "en" } else { "dis" };
            write!(f, " ttl-propagate {word}abled")?;
        }
        for nh in &r.nexthops {
            f.write_str(" nexthop")?;
            if let Some(v) = &nh.via {
                write!(f, " via {} {v}", inet(v))?;
            }
            if let Some(d) = &nh.dev {
                write!(f, " dev {d}")?;
            }
            if let Some(w) = nh.weight {
                write!(f, " weight {w}")?;
            }
            if nh.onlink {
                f.write_str(" onlink")?;
            }
            if let Some(Realms(v)) = nh.realms {
                write_realms(f, v)?;
            }
            if let Some(e) = &nh.encap {
                write!(f, " {e}")?;
            }
        }
        if r.no_track {
            f.write_str(" no_track")?;
        }
        if let Some(g) = &r.track_group {
            write!(f, " track_group {g}")?;
        }
        Ok(())
    }
}

/// keepalived 2.2.7's `format_iprule` words for a virtual or static rule: `from all` when
/// no source, the (resolved) priority, the TOS always in hex, its protocol (18 on tracked
/// rules unless configured), `lookup TABLE` or `type ACTION`.
pub struct IpRule<'a>(pub &'a Rule);

impl fmt::Display for IpRule<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        if r.from.is_none() && r.to.is_none() && r.family == Family::Inet6 {
            f.write_str("inet6 ")?;
        }
        if r.invert {
            f.write_str("not ")?;
        }
        match &r.from {
            Some(p) => write!(f, "from {}", Prefix(p.addr, p.len))?,
            None => f.write_str("from all")?,
        }
        if let Some(p) = &r.to {
            write!(f, " to {}", Prefix(p.addr, p.len))?;
        }
        write!(f, " priority {}", r.preference)?;
        write!(f, " tos 0x{:x}", r.tos)?;
        if let Some(m) = r.fwmark {
            write!(f, " fwmark 0x{:x}", m.mark)?;
            if let Some(mask) = m.mask.filter(|m| *m != u32::MAX) {
                write!(f, "/0x{mask:x}")?;
            }
        }
        if let Some(i) = &r.iif {
            write!(f, " iif {i}")?;
        }
        if let Some(o) = &r.oif {
            write!(f, " oif {o}")?;
        }
        if let Some(v) = r.suppress_prefixlen {
            write!(f, " suppress_prefixlen {v}")?;
        }
        if let Some(v) = r.suppress_ifgroup {
            write!(f, " suppress_ifgroup {v}")?;
        }
        if let Some(v) = r.tunnel_id {
            write!(f, " tunnel-id {v}")?;
        }
        if let Some(u) = &r.uid_range {
            write!(f, " uidrange {}-{}", u.start, u.end)?;
        }
        if r.action == RuleAction::L3mdev {
            f.write_str(" l3mdev")?;
        }
        let protocol = r.protocol.or((!r.no_track).then_some(18));
        if let Some(p) = protocol {
            write!(f, " protocol {p}")?;
        }
        if let Some(p) = r.ip_proto {
            write!(f, " ipproto {p}")?;
        }
        if let Some(p) = &r.sport {
            write!(f, " sport {}-{}", p.start, p.end)?;
        }
        if let Some(p) = &r.dport {
            write!(f, " dport {}-{}", p.start, p.end)?;
        }
        if let Some(Realms(v)) = r.realms {
            write!(f, " realms {}/{}", v >> 16, v & 0xffff)?;
        }
        match r.action {
            RuleAction::Table(t) => write!(f, " lookup {t}")?,
            RuleAction::L3mdev => f.write_str(" lookup 0")?,
            RuleAction::Goto(t) => write!(f, " goto {t}")?,
            RuleAction::Nop => f.write_str(" nop")?,
            RuleAction::Blackhole => f.write_str(" type blackhole")?,
            RuleAction::Unreachable => f.write_str(" type unreachable")?,
            RuleAction::Prohibit => f.write_str(" type prohibit")?,
        }
        if r.no_track {
            f.write_str(" no_track")?;
        }
        if let Some(g) = &r.track_group {
            write!(f, " track_group {g}")?;
        }
        Ok(())
    }
}

fn write_realms(f: &mut fmt::Formatter<'_>, v: u32) -> fmt::Result {
    if v >> 16 != 0 {
        write!(f, " realms {}/{}", v >> 16, v & 0xffff)
    } else {
        write!(f, " realm {v}")
    }
}

/// An address, or `none` when there is none.
pub struct OrNone<T>(pub Option<T>, pub &'static str);

impl<T: fmt::Display> fmt::Display for OrNone<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str(self.1),
        }
    }
}

/// keepalived's `format_ipaddress` for a VIP or eVIP: `dev` is the instance's interface
/// when the line names none, and `set` ends it while the address is installed.
pub struct Addr<'a> {
    pub a: &'a IpAddress,
    pub iface: Option<&'a str>,
    pub set: bool,
}

impl fmt::Display for Addr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.a;
        match a.peer {
            Some(_) => write!(f, "{}", a.addr)?,
            // A host address (/32, /128) is written bare, as keepalived writes it.
            None if u32::from(a.prefix) == if a.addr.is_ipv6() { 128 } else { 32 } => {
                write!(f, "{}", a.addr)?;
            }
            None => write!(f, "{}/{}", a.addr, a.prefix)?,
        }
        if let Some(b) = a.broadcast {
            write!(f, " brd {b}")?;
        }
        let dev = a.dev.as_deref().or(self.iface).unwrap_or("(null)");
        write!(f, " dev {dev}")?;
        if a.use_vmac {
            f.write_str(" use_vmac")?;
        }
        f.write_str(" scope ")?;
        // As `Scope`'s Display, which allocates its name.
        let scope = u32::from(a.scope.0);
        match SCOPE_NAMES.iter().find(|(id, _)| *id == scope) {
            Some((_, name)) => f.write_str(name)?,
            None => write!(f, "{scope}")?,
        }
        if let Some(l) = &a.label {
            write!(f, " label {l}")?;
        }
        if let Some(p) = a.peer {
            write!(f, " peer {p}/{}", a.prefix)?;
        }
        let flags = [
            (a.home, " home"),
            (a.dad, " -nodad"),
            (a.mngtmpaddr, " mngtmpaddr"),
            (a.noprefixroute, " noprefixroute"),
            (a.autojoin, " autojoin"),
            (a.no_track, " no_track"),
        ];
        for (_, w) in flags.iter().filter(|(on, _)| *on) {
            f.write_str(w)?;
        }
        if let Some(g) = &a.track_group {
            write!(f, " track_group {g}")?;
        }
        if a.addr.is_ipv6() {
            match a.preferred_lft {
                Lifetime::Secs(0) => f.write_str(" deprecated")?,
                Lifetime::Forever => f.write_str(" preferred_lft forever")?,
                Lifetime::Secs(s) => write!(f, " preferred_lft {s}")?,
            }
        }
        if self.set {
            f.write_str(" set")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g_matches_printf() {
        for (v, s) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (5.0, "5"),
            (0.01, "0.01"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (0.00001, "1e-05"),
            (2.000001, "2"),
            (0.0, "0"),
            (999999.5, "1e+06"),
            (0.0001, "0.0001"),
            (-0.5, "-0.5"),
            (1e300, "1e+300"),
        ] {
            assert_eq!(G(v).to_string(), s, "{v}");
        }
    }

    #[test]
    fn json_strings_escape_as_keepalived_s_and_correctly() {
        assert_eq!(
            Json("10.0.0.1/24 \"a\"\t\\\u{1}").to_string(),
            r#""10.0.0.1\/24 \"a\"\t\\\u0001""#
        );
    }
}
