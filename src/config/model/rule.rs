//! Rule lines of `virtual_rules` and `static_rules` (`ip rule` syntax), read word by word
//! as keepalived 2.2.7 does, with its messages.

use std::fmt;

use super::ipaddr::{cnum, parse_target, Family, IpPrefix, LineEnv, Target};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::dump::word;
use crate::config::reader::Line;
use crate::config::value;

/// keepalived's protocol number for what it installs (RTPROT_KEEPALIVED).
const PROTO_KEEPALIVED: u8 = 18;

/// The preference keepalived gives the first rule without one.
const FIRST_AUTO_PREFERENCE: u32 = 16384;

/// Preferences for rules given without one: keepalived counts down from 16384, separately
/// for IPv4 and IPv6, over every rule of the configuration (static and virtual) in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbering {
    next_v4: u32,
    next_v6: u32,
}

impl Default for Numbering {
    fn default() -> Numbering {
        Numbering {
            next_v4: FIRST_AUTO_PREFERENCE,
            next_v6: FIRST_AUTO_PREFERENCE,
        }
    }
}

impl Numbering {
    fn take(&mut self, family: Family) -> u32 {
        let next = match family {
            Family::Inet => &mut self.next_v4,
            Family::Inet6 => &mut self.next_v6,
        };
        let n = *next;
        *next = n.wrapping_sub(1);
        n
    }
}

/// What a matching packet does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// `table|lookup ID`.
    Table(u32),
    /// `l3mdev`: look up the table of the L3 master device.
    L3mdev,
    /// `goto PREF`.
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
}

/// `fwmark MARK[/MASK]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FwMark {
    pub mark: u32,
    pub mask: Option<u32>,
}

/// `realms [FROM/]TO`, as the kernel packs it (FROM in the high 16 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Realms(pub u32);

impl fmt::Display for Realms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >> 16 != 0 {
            write!(f, "{}/{}", self.0 >> 16, self.0 & 0xffff)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// keepalived's `realms` word: `TO` or `FROM/TO`, each a number up to 255 or a name from
/// `rt_realms`. None if either part is invalid.
pub(crate) fn parse_realms(env: &mut LineEnv, word: &str) -> Option<Realms> {
    match word.split_once('/') {
        None => env.names.realm(word).map(|r| Realms(u32::from(r))),
        Some((from, to)) => {
            let from = env.names.realm(from)?;
            let to = env.names.realm(to)?;
            Some(Realms(u32::from(from) << 16 | u32::from(to)))
        }
    }
}

/// An inclusive port or id range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range<T> {
    pub start: T,
    pub end: T,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub family: Family,
    /// `not`: the selector is inverted.
    pub invert: bool,
    pub from: Option<IpPrefix>,
    pub to: Option<IpPrefix>,
    /// Given, or numbered by keepalived (see [`Numbering`]).
    pub preference: u32,
    pub tos: u8,
    pub fwmark: Option<FwMark>,
    pub realms: Option<Realms>,
    pub suppress_prefixlen: Option<u32>,
    pub suppress_ifgroup: Option<u32>,
    /// `dev|iif IF`.
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub tunnel_id: Option<u64>,
    pub uid_range: Option<Range<u32>>,
    /// keepalived sets its own protocol (18) on rules it tracks.
    pub protocol: Option<u8>,
    pub ip_proto: Option<u8>,
    pub sport: Option<Range<u16>>,
    pub dport: Option<Range<u16>>,
    pub action: RuleAction,
    /// `no_track`: deleting the rule is not noticed.
    pub no_track: bool,
    /// `track_group NAME` (static rules).
    pub track_group: Option<String>,
    pub loc: Loc,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.invert {
            f.write_str("not ")?;
        }
        if let Some(p) = &self.from {
            write!(f, "from {p} ")?;
        }
        if let Some(p) = &self.to {
            write!(f, "to {p} ")?;
        }
        write!(f, "preference {}", self.preference)?;
        if self.tos != 0 {
            write!(f, " tos {:#x}", self.tos)?;
        }
        if let Some(m) = self.fwmark {
            write!(f, " fwmark {:#x}", m.mark)?;
            if let Some(mask) = m.mask {
                write!(f, "/{mask:#x}")?;
            }
        }
        if let Some(r) = self.realms {
            write!(f, " realms {r}")?;
        }
        if let Some(v) = self.suppress_prefixlen {
            write!(f, " suppress_prefixlength {v}")?;
        }
        if let Some(v) = self.suppress_ifgroup {
            write!(f, " suppress_ifgroup {v}")?;
        }
        if let Some(v) = &self.iif {
            write!(f, " iif {}", word(v))?;
        }
        if let Some(v) = &self.oif {
            write!(f, " oif {}", word(v))?;
        }
        if let Some(v) = self.tunnel_id {
            write!(f, " tunnel-id {v}")?;
        }
        if let Some(r) = self.uid_range {
            write!(f, " uidrange {}-{}", r.start, r.end)?;
        }
        if let Some(v) = self.protocol {
            write!(f, " protocol {v}")?;
        }
        if let Some(v) = self.ip_proto {
            write!(f, " ipproto {v}")?;
        }
        if let Some(r) = self.sport {
            write!(f, " sport {}-{}", r.start, r.end)?;
        }
        if let Some(r) = self.dport {
            write!(f, " dport {}-{}", r.start, r.end)?;
        }
        match self.action {
            RuleAction::Table(t) => write!(f, " table {t}")?,
            RuleAction::L3mdev => f.write_str(" l3mdev")?,
            RuleAction::Goto(t) => write!(f, " goto {t}")?,
            RuleAction::Nop => f.write_str(" nop")?,
            RuleAction::Blackhole => f.write_str(" blackhole")?,
            RuleAction::Unreachable => f.write_str(" unreachable")?,
            RuleAction::Prohibit => f.write_str(" prohibit")?,
        }
        if self.no_track {
            f.write_str(" no_track")?;
        }
        if let Some(g) = &self.track_group {
            write!(f, " track_group {}", word(g))?;
        }
        // keepalived skips the word after a family word, so the family goes last; it is
        // only needed when no address gives it.
        if self.family == Family::Inet6 && self.from.is_none() && self.to.is_none() {
            f.write_str(" inet6")?;
        }
        Ok(())
    }
}

/// A rule being read.
#[derive(Default)]
struct Draft {
    family: Option<Family>,
    invert: bool,
    from: Option<Target>,
    to: Option<Target>,
    preference: Option<u32>,
    tos: u8,
    fwmark: Option<FwMark>,
    realms: Option<Realms>,
    suppress_prefixlen: Option<u32>,
    suppress_ifgroup: Option<u32>,
    iif: Option<String>,
    oif: Option<String>,
    tunnel_id: Option<u64>,
    uid_range: Option<Range<u32>>,
    protocol: Option<u8>,
    ip_proto: Option<u8>,
    sport: Option<Range<u16>>,
    dport: Option<Range<u16>>,
    action: Option<RuleAction>,
    /// realms or a suppressor was given: only meaningful with a table lookup.
    table_option: bool,
    no_track: bool,
    track_group: Option<String>,
}

/// What one word did to the rule.
enum Step {
    /// Go on at this word index.
    At(usize),
    /// Stop reading words; the rule is kept.
    Stop,
    /// The rule is dropped (already reported).
    Drop,
}

/// Parses one rule line; `is_static` for `static_rules`. None when rejected (reported).
/// Rules without a preference get one from `env.rule_numbers`.
pub fn parse(
    ctx: &mut Ctx,
    line: &Line,
    is_static: bool,
    env: &mut LineEnv,
) -> Result<Option<Rule>, Fatal> {
    let mut d = Draft::default();
    let mut i = 0;
    while i < line.len() {
        match d.word(ctx, env, line, i, is_static)? {
            Step::At(next) => i = next,
            Step::Stop => break,
            Step::Drop => return Ok(None),
        }
    }
    Ok(d.finish(ctx, env, line.loc))
}

/// Words followed by a value; `track_group` only on static rules.
const VALUE_WORDS: &[&str] = &[
    "from",
    "to",
    "table",
    "lookup",
    "preference",
    "order",
    "priority",
    "tos",
    "dsfield",
    "fwmark",
    "realms",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "dev",
    "iif",
    "oif",
    "tunnel-id",
    "uidrange",
    "protocol",
    "ipproto",
    "sport",
    "dport",
];

/// What a word with a value did.
enum Value {
    Taken,
    /// keepalived stops reading the line (the rule is kept).
    Stop,
    /// The rule is dropped (already reported).
    Bad,
}

impl From<bool> for Value {
    fn from(ok: bool) -> Value {
        if ok {
            Value::Taken
        } else {
            Value::Bad
        }
    }
}

impl Draft {
    fn word(
        &mut self,
        ctx: &mut Ctx,
        env: &mut LineEnv,
        line: &Line,
        i: usize,
        is_static: bool,
    ) -> Result<Step, Fatal> {
        let loc = line.loc;
        let word = line.word(i).unwrap_or_default();
        match word {
            "inet" | "inet6" => return Ok(self.family_word(ctx, loc, word, i)),
            "not" => {
                self.invert = true;
                return Ok(Step::At(i + 1));
            }
            "no_track" => {
                self.no_track = true;
                return Ok(Step::At(i + 1));
            }
            "l3mdev" => {
                if self.action.is_some() {
                    ctx.error(loc, "Cannot specify l3mdev with other action");
                    return Ok(Step::Drop);
                }
                self.action = Some(RuleAction::L3mdev);
                return Ok(Step::At(i + 1));
            }
            _ => {}
        }
        let takes_value = VALUE_WORDS.contains(&word) || (is_static && word == "track_group");
        if !takes_value {
            return self.action_word(ctx, line, i);
        }
        let v = ctx::word(line, i + 1)?;
        Ok(match self.option(ctx, env, loc, word, v) {
            Value::Taken => Step::At(i + 2),
            Value::Stop => Step::Stop,
            Value::Bad => Step::Drop,
        })
    }

    fn family_word(&mut self, ctx: &mut Ctx, loc: Loc, word: &str, i: usize) -> Step {
        let (fam, other) = if word == "inet" {
            (Family::Inet, "IPv6")
        } else {
            (Family::Inet6, "IPv4")
        };
        if self.family.is_some_and(|f| f != fam) {
            ctx.error(loc, format!("{word} specified for {other} rule"));
            return Step::Drop;
        }
        self.family = Some(fam);
        // keepalived also skips the word after the family.
        Step::At(i + 2)
    }

    /// A word of [`VALUE_WORDS`] (or `track_group`) with its value `v`.
    fn option(&mut self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc, word: &str, v: &str) -> Value {
        match word {
            "from" | "to" => self.selector(ctx, loc, word, v).into(),
            "table" | "lookup" => self.table(ctx, env, loc, v).into(),
            "preference" | "order" | "priority" => {
                self.preference = cnum::unsigned(ctx, loc, v, 0, 0, u32::MAX);
                let ok = self.preference.is_some();
                if !ok {
                    ctx.error(loc, format!("Invalid rule preference {word} specified"));
                }
                ok.into()
            }
            "tos" | "dsfield" => {
                let ok = env.names.dsfield(v).map(|t| self.tos = t).is_some();
                if !ok {
                    ctx.error(loc, format!("TOS value {v} is invalid"));
                }
                ok.into()
            }
            "fwmark" => self.fwmark(ctx, loc, v).into(),
            "realms" => self.realms(ctx, env, loc, v).into(),
            "suppress_prefixlength" | "sup_pl" | "suppress_ifgroup" | "sup_group" => {
                self.suppressor(ctx, env, loc, word, v).into()
            }
            "dev" | "iif" | "oif" => {
                if !ctx.interface(loc, v) {
                    ctx.error(
                        loc,
                        format!("WARNING - interface {v} for rule doesn't exist"),
                    );
                    return Value::Bad;
                }
                let slot = if word == "oif" {
                    &mut self.oif
                } else {
                    &mut self.iif
                };
                *slot = Some(v.to_string());
                Value::Taken
            }
            "tunnel-id" => {
                let n = value::unsigned64(ctx, loc, v, 0, u64::MAX, "unsigned 64 bit");
                if n.is_none() {
                    // keepalived names the keyword, not the value, here and below.
                    ctx.error(loc, format!("Invalid {word} {word} specified"));
                }
                // The kernel treats tunnel id 0 as "any".
                self.tunnel_id = n.filter(|&n| n != 0);
                n.is_some().into()
            }
            "uidrange" => {
                let (count, start, end) = cnum::scan_range(v, 32);
                if count != 2 {
                    ctx.error(loc, format!("Invalid uidrange {word} specified"));
                    return Value::Bad;
                }
                self.uid_range = Some(Range {
                    start: start as u32,
                    end: end as u32,
                });
                Value::Taken
            }
            "protocol" | "ipproto" | "sport" | "dport" => {
                self.match_option(ctx, env, loc, word, v);
                Value::Taken
            }
            _ => self.track_group(ctx, env, loc, v),
        }
    }

    /// `suppress_prefixlength|sup_pl N`, `suppress_ifgroup|sup_group GROUP`.
    fn suppressor(
        &mut self,
        ctx: &mut Ctx,
        env: &mut LineEnv,
        loc: Loc,
        word: &str,
        v: &str,
    ) -> bool {
        let ok = if word.contains("group") {
            self.suppress_ifgroup = env.names.group(v);
            if self.suppress_ifgroup.is_none() {
                ctx.error(loc, format!("suppress_group {v} is invalid"));
            }
            self.suppress_ifgroup.is_some()
        } else {
            self.suppress_prefixlen = value::unsigned(ctx, loc, v, 0, i32::MAX as u32);
            if self.suppress_prefixlen.is_none() {
                ctx.error(
                    loc,
                    format!("Invalid suppress_prefixlength {word} specified"),
                );
            }
            self.suppress_prefixlen.is_some()
        };
        self.table_option = true;
        ok
    }

    /// `protocol`, `ipproto`, `sport`, `dport`: a bad value is reported and ignored.
    fn match_option(&mut self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc, word: &str, v: &str) {
        match word {
            "protocol" => match value::unsigned(ctx, loc, v, 0, 255) {
                Some(p) => self.protocol = Some(p as u8),
                None => ctx.error(loc, format!("Invalid protocol {v}")),
            },
            "ipproto" => match env.names.ip_proto(v) {
                Some(p) => self.ip_proto = Some(p),
                None => ctx.error(loc, format!("Invalid ipproto {v}")),
            },
            _ => match cnum::scan_range(v, 16) {
                (2, start, end) => {
                    let r = Some(Range {
                        start: start as u16,
                        end: end as u16,
                    });
                    if word == "sport" {
                        self.sport = r;
                    } else {
                        self.dport = r;
                    }
                }
                // keepalived rejects a single port too (it only accepts `A-B`).
                _ => ctx.error(loc, format!("invalid {word} range {v}")),
            },
        }
    }

    fn track_group(&mut self, ctx: &mut Ctx, env: &LineEnv, loc: Loc, v: &str) -> Value {
        if self.track_group.is_some() {
            ctx.error(loc, format!("track_group {v} is a duplicate"));
            return Value::Stop;
        }
        if env.has_track_group(v) {
            self.track_group = Some(v.to_string());
        } else {
            ctx.error(loc, format!("track_group {v} not found"));
        }
        Value::Taken
    }

    /// `from`/`to`: false if the rule is dropped.
    fn selector(&mut self, ctx: &mut Ctx, loc: Loc, which: &str, v: &str) -> bool {
        let Some(t) = parse_target(ctx, loc, v) else {
            ctx.error(loc, format!("Invalid rule {which} address {v}"));
            return false;
        };
        match (self.family, t.family()) {
            (None, f) => self.family = f,
            (Some(a), Some(b)) if a != b => {
                ctx.error(loc, "rule specification has mixed IPv4 and IPv6");
                return false;
            }
            // keepalived compares "unspecified" with the rule's family too.
            (Some(_), None) => {
                ctx.error(loc, "rule specification has mixed IPv4 and IPv6");
                return false;
            }
            _ => {}
        }
        if which == "from" {
            self.from = Some(t);
        } else {
            self.to = Some(t);
        }
        true
    }

    fn table(&mut self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc, v: &str) -> bool {
        let Some(t) = env.names.table(v) else {
            ctx.error(loc, format!("Routing table {v} not found for rule"));
            return false;
        };
        if t == 0 {
            ctx.error(loc, "Table 0 is not valid");
            return false;
        }
        if self.action.is_some() {
            ctx.error(loc, "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule");
            return false;
        }
        self.action = Some(RuleAction::Table(t));
        true
    }

    /// keepalived's `fwmark MARK[/MASK]`: C numbers in any base, no sign.
    fn fwmark(&mut self, ctx: &mut Ctx, loc: Loc, v: &str) -> bool {
        let s = v.trim_start_matches(crate::config::text::is_ws);
        let parsed = (|| {
            if s.starts_with('-') {
                return None;
            }
            let mark = cnum::strtoul(s, 0);
            if mark.value > u64::from(u32::MAX) {
                return None;
            }
            let rest = &s[mark.end..];
            let (mask, rest) = match rest.strip_prefix('/') {
                Some(m) => {
                    if m.starts_with(|c: char| crate::config::text::is_ws(c) || c == '-') {
                        return None;
                    }
                    let n = cnum::strtoul(m, 0);
                    if n.value > u64::from(u32::MAX) {
                        return None;
                    }
                    (Some(n.value as u32), &m[n.end..])
                }
                None => (None, rest),
            };
            rest.is_empty().then_some(FwMark {
                mark: mark.value as u32,
                mask,
            })
        })();
        match parsed {
            Some(m) => {
                self.fwmark = Some(m);
                true
            }
            None => {
                ctx.error(loc, format!("Invalid rule fwmark {s} specified"));
                false
            }
        }
    }

    fn realms(&mut self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc, v: &str) -> bool {
        let Some(r) = parse_realms(env, v) else {
            ctx.error(loc, format!("invalid realms {v} for rule"));
            return false;
        };
        self.realms = (r.0 != 0).then_some(r);
        self.table_option = true;
        match self.family {
            None => self.family = Some(Family::Inet),
            Some(Family::Inet6) => {
                ctx.error(loc, "realms is only valid for IPv4");
                return false;
            }
            Some(Family::Inet) => {}
        }
        true
    }

    /// `[type] goto N|nop|blackhole|prohibit|unreachable`, or an unknown word.
    fn action_word(&mut self, ctx: &mut Ctx, line: &Line, i: usize) -> Result<Step, Fatal> {
        let loc = line.loc;
        let mut i = i;
        let mut word = line.word(i).unwrap_or_default();
        if word == "type" {
            i += 1;
            word = ctx::word(line, i)?;
        }
        let action = if word == "goto" {
            i += 1;
            match value::unsigned(ctx, loc, ctx::word(line, i)?, 0, u32::MAX) {
                Some(t) => RuleAction::Goto(t),
                None => {
                    ctx.error(loc, format!("Invalid target {word} specified"));
                    return Ok(Step::Drop);
                }
            }
        } else if word == "nop" {
            RuleAction::Nop
        } else if let Some(t) = super::ipaddr::names::route_type(word) {
            match t {
                6 => RuleAction::Blackhole,
                7 => RuleAction::Unreachable,
                8 => RuleAction::Prohibit,
                _ => {
                    ctx.error(loc, format!("Invalid rule action {word}"));
                    return Ok(Step::Drop);
                }
            }
        } else {
            ctx.error(loc, format!("Unknown rule option {word}"));
            return Ok(Step::Drop);
        };
        if self.action.is_some() {
            ctx.error(loc, "Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule");
            return Ok(Step::Drop);
        }
        self.action = Some(action);
        Ok(Step::At(i + 1))
    }

    /// keepalived's checks once all words are read.
    fn finish(self, ctx: &mut Ctx, env: &mut LineEnv, loc: Loc) -> Option<Rule> {
        if let Some(RuleAction::Goto(target)) = self.action {
            match self.preference {
                Some(p) if p >= target => {
                    ctx.error(
                        loc,
                        format!("Invalid rule - preference {p} >= goto target {target}"),
                    );
                    return None;
                }
                Some(_) => {}
                None => {
                    ctx.error(
                        loc,
                        format!("Invalid rule - goto target {target} specified without preference"),
                    );
                    return None;
                }
            }
        }
        let Some(action) = self.action else {
            ctx.error(loc, "No action specified for rule - ignoring");
            return None;
        };
        if self.table_option && !matches!(action, RuleAction::Table(_) | RuleAction::L3mdev) {
            ctx.error(
                loc,
                "suppressor/realm specified for non table action - skipping",
            );
            return None;
        }
        let mut protocol = self.protocol;
        if !self.no_track {
            if protocol.is_some_and(|p| p != PROTO_KEEPALIVED) {
                ctx.error(loc, format!("Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED({PROTO_KEEPALIVED}), resetting protocol"));
            }
            protocol = Some(PROTO_KEEPALIVED);
        }
        let mut track_group = self.track_group;
        if track_group.is_some() && self.iif.is_none() {
            ctx.error(
                loc,
                "Static rule cannot have track_group if dev/iif not specified",
            );
            track_group = None;
        }
        let family = self.family.unwrap_or(Family::Inet);
        let preference = match self.preference {
            Some(p) => p,
            None => {
                let p = env.rule_numbers.take(family);
                ctx.error(loc, format!("Rule has no preference specified - setting to {p}. This is probably not what you want."));
                p
            }
        };
        Some(Rule {
            family,
            invert: self.invert,
            from: self.from.map(|t| t.resolve(family)),
            to: self.to.map(|t| t.resolve(family)),
            preference,
            tos: self.tos,
            fwmark: self.fwmark,
            realms: self.realms,
            suppress_prefixlen: self.suppress_prefixlen,
            suppress_ifgroup: self.suppress_ifgroup,
            iif: self.iif,
            oif: self.oif,
            tunnel_id: self.tunnel_id,
            uid_range: self.uid_range,
            protocol,
            ip_proto: self.ip_proto,
            sport: self.sport,
            dport: self.dport,
            action,
            no_track: self.no_track,
            track_group,
            loc,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::model::ipaddr::harness::{assert_round_trip, run};

    #[test]
    fn rule_words_like_keepalived() {
        let text = r#"static_rules {
  from 10.0.0.0/8 table 100 preference 100
  from 10.0.0.0/8 table 100
  to 10.1.0.0/16 lookup main
  from 2001:db8::/64 table 100
  from 2001:db8:1::/64 table 100
  from 10.2.0.0/16 table 0
  from 10.3.0.0/16 table unspec
  from 10.4.0.0/16 table nosuch
  from 10.5.0.0/16 table 100 table 101
  from 10.6.0.0/16 preference 0x10 table 100
  from 10.7.0.0/16 priority abc table 100
  from 10.8.0.0/16 order 5 blackhole
  from 10.9.0.0/16 preference 6 prohibit
  from 10.10.0.0/16 preference 7 unreachable
  from 10.11.0.0/16 preference 8 type nop
  from 10.12.0.0/16 preference 9 goto 100
  from 10.13.0.0/16 preference 200 goto 100
  from 10.14.0.0/16 goto 100
  from 10.15.0.0/16 preference 10
  from 10.16.0.0/16 preference 11 local
  from 10.17.0.0/16 preference 12 foo
  from 10.18.0.0/16 preference 13 table 100 blackhole
  not from 10.19.0.0/16 preference 14 table 100
  from 10.20.0.0/16 preference 15 fwmark 0x10/0xff table 100
  from 10.21.0.0/16 preference 16 fwmark 0x10/-1 table 100
  from 10.22.0.0/16 preference 17 fwmark abc table 100
  from 10.23.0.0/16 preference 18 tos 0x10 table 100
  from 10.24.0.0/16 preference 19 dsfield bogus table 100
  from 10.25.0.0/16 preference 20 realms 1/2 table 100
  from 10.26.0.0/16 preference 21 realms 1/2 blackhole
  from 2001:db8:2::/64 preference 22 realms 1 table 100
  from 10.27.0.0/16 preference 23 suppress_prefixlength 8 table 100
  from 10.28.0.0/16 preference 24 sup_pl -1 table 100
  from 10.29.0.0/16 preference 25 suppress_ifgroup default table 100
  from 10.30.0.0/16 preference 26 sup_group nogroup table 100
  from 10.31.0.0/16 preference 27 dev eth0 oif lo table 100
  from 10.32.0.0/16 preference 28 iif eth9 table 100
  from 10.33.0.0/16 preference 29 tunnel-id 5 table 100
  from 10.34.0.0/16 preference 30 tunnel-id x table 100
  from 10.35.0.0/16 preference 31 uidrange 1000-2000 table 100
  from 10.36.0.0/16 preference 32 uidrange 1000 table 100
  from 10.37.0.0/16 preference 33 l3mdev
  from 10.38.0.0/16 preference 34 l3mdev table 100
  from 10.39.0.0/16 preference 35 table 100 l3mdev
  from 10.40.0.0/16 preference 36 protocol 5 table 100
  from 10.41.0.0/16 preference 37 protocol 5 table 100 no_track
  from 10.42.0.0/16 preference 38 protocol 300 table 100
  from 10.43.0.0/16 preference 39 ipproto tcp table 100
  from 10.44.0.0/16 preference 40 ipproto 200 table 100
  from 10.45.0.0/16 preference 41 ipproto foo table 100
  from 10.46.0.0/16 preference 42 sport 80 dport 1000-2000 table 100
  from 10.47.0.0/16 preference 43 sport 80-90 table 100
  from 10.48.0.0/16 preference 44 track_group TG table 100
  from 2001:db8::/64 to 10.0.0.0/8 preference 45 table 100
  from all to 10.0.0.0/8 preference 46 table 100
  from 10.0.0.0/8 to all preference 47 table 100
  from 10.49.0.0/33 preference 48 table 100
  from 10.50.0.x preference 49 table 100
  to 10.51.0.x preference 50 table 100
  inet6 x preference 51 table 100
  inet x inet6 x preference 52 table 100
  preference 53
  table 100
  inet6 x table 100
  from default6 table 100
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "3: Rule has no preference specified - setting to 16384. This is probably not what you want.",
                "4: Rule has no preference specified - setting to 16383. This is probably not what you want.",
                "5: Rule has no preference specified - setting to 16384. This is probably not what you want.",
                "6: Rule has no preference specified - setting to 16383. This is probably not what you want.",
                "7: Table 0 is not valid",
                "8: Table 0 is not valid",
                "9: Routing table nosuch not found for rule",
                "10: Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule",
                "12: invalid number 'abc'",
                "12: Invalid rule preference priority specified",
                "18: Invalid rule - preference 200 >= goto target 100",
                "19: Invalid rule - goto target 100 specified without preference",
                "20: No action specified for rule - ignoring",
                "21: Invalid rule action local",
                "22: Unknown rule option foo",
                "23: Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule",
                "26: Invalid rule fwmark 0x10/-1 specified",
                "27: Invalid rule fwmark abc specified",
                "29: TOS value bogus is invalid",
                "31: suppressor/realm specified for non table action - skipping",
                "32: realms is only valid for IPv4",
                "34: negative number '-1'",
                "34: Invalid suppress_prefixlength sup_pl specified",
                "36: suppress_group nogroup is invalid",
                "38: WARNING - interface eth9 for rule doesn't exist",
                "40: invalid number 'x'",
                "40: Invalid tunnel-id tunnel-id specified",
                "42: Invalid uidrange uidrange specified",
                "44: Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule",
                "45: Cannot specify l3mdev with other action",
                "46: Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
                "48: number '300' outside range [0, 255]",
                "48: Invalid protocol 300",
                "50: Invalid ipproto 200",
                "51: Invalid ipproto foo",
                "52: invalid sport range 80",
                "54: track_group TG not found",
                "55: rule specification has mixed IPv4 and IPv6",
                "57: rule specification has mixed IPv4 and IPv6",
                "58: number '33' outside range [0, 32]",
                "58: Invalid address prefix len 33 for address 10.49.0.0/33 - using 32",
                "59: VRRP parsed invalid IP 10.50.0.x. skipping IP...",
                "59: Invalid rule from address 10.50.0.x",
                "60: VRRP parsed invalid IP 10.51.0.x. skipping IP...",
                "60: Invalid rule to address 10.51.0.x",
                "62: inet6 specified for IPv4 rule",
                "63: No action specified for rule - ignoring",
                "64: Rule has no preference specified - setting to 16382. This is probably not what you want.",
                "65: Rule has no preference specified - setting to 16382. This is probably not what you want.",
                "66: Rule has no preference specified - setting to 16381. This is probably not what you want.",
                "Non-existent interface specified in configuration",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn goto_without_target_is_fatal() {
        let text = r#"static_rules {
from 10.0.0.0/8 goto
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 2);
        assert_eq!(
            out.lines(),
            [
                "2: *** Configuration line starting `from` is missing a parameter after keyword `goto` at word position 4",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn more_rule_words_like_keepalived() {
        let text = r#"static_rules {
  from 10.0.0.0/8 fwmark 5 table 100 priority 1
  from 10.0.0.0/8 fwmark 0x10/ table 100 priority 2
  from 10.0.0.0/8 fwmark /5 table 100 priority 3
  from 10.0.0.0/8 fwmark 4294967296 table 100 priority 4
  from 10.0.0.0/8 uidrange 1-2-3 table 100 priority 5
  from 10.0.0.0/8 uidrange -1-5 table 100 priority 6
  from 10.0.0.0/8 dport 1-70000 table 100 priority 7
  from 10.0.0.0/8 ipproto ipv6-icmp table 100 priority 8
  from 10.0.0.0/8 ipproto 127 table 100 priority 9
  from 10.0.0.0/8 ipproto 0x6 table 100 priority 10
  from 10.0.0.0/8 preference 010 table 100
  from 10.0.0.0/8 table 256 priority 11
  from 10.0.0.0/8 table 0x100 priority 12
  to default table 100 priority 13
  not to 10.0.0.0/8 table 100 oif eth9 priority 14
  from 10.0.0.0/8 sup_group 5 table 100 priority 15
  from 10.0.0.0/8 protocol keepalived table 100 priority 16
  from 10.0.0.0/8 type blackhole priority 17
  from 10.0.0.0/8 5 priority 18
  from 10.0.0.0/8 6 priority 19
  from 10.0.0.0/8 priority 20 nop goto 30
  from 10.0.0.0/8 priority 21 l3mdev realms 3
  from 10.0.0.0/8 priority 22 table 100 dev lo track_group X
  from 10.0.0.0/8 priority 23 table 100 tos 256
  from 10.0.0.0/8 priority 24 table 100 fwmark 0x1/0xffffffff
  from 10.0.0.0/8 priority 25 table 100 fwmark -1
  from 10.0.0.0/8 priority 4294967296 table 100
  from 10.0.0.0/8 priority 0x7fffffff table 100 tunnel-id 18446744073709551615
  from 10.0.0.0/8 table 100 priority 26 sup_pl 2147483648
  from 10.0.0.0/8 table 100 priority 27 goto 5
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "5: Invalid rule fwmark 4294967296 specified",
                "11: Invalid ipproto 0x6",
                "16: WARNING - interface eth9 for rule doesn't exist",
                "18: invalid number 'keepalived'",
                "18: Invalid protocol keepalived",
                "20: Invalid rule action 5",
                "22: Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule",
                "24: track_group X not found",
                "25: TOS value 256 is invalid",
                "27: Invalid rule fwmark -1 specified",
                "28: number '4294967296' outside unsigned integer range",
                "28: Invalid rule preference priority specified",
                "30: number '2147483648' outside range [0, 2147483647]",
                "30: Invalid suppress_prefixlength sup_pl specified",
                "31: Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule",
                "Non-existent interface specified in configuration",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn preferences_count_down_per_family() {
        let mut n = super::Numbering::default();
        assert_eq!(n.take(super::Family::Inet), 16384);
        assert_eq!(n.take(super::Family::Inet), 16383);
        assert_eq!(n.take(super::Family::Inet6), 16384);
    }

    #[test]
    fn normalised_lines_show_every_effective_option() {
        let text = "static_rules {\nnot from 10.0.0.0/8 to 10.1.0.0/16 tos AF11 fwmark 5/0xff realms 2 sup_pl 0 dev eth0 oif lo uidrange 5-10 ipproto udp sport 1-2 dport 3-4 lookup 7 no_track\ninet6 x goto 100 preference 5\n}\n";
        let out = run(text);
        let kept: Vec<&str> = out.kept.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            kept,
            [
                "not from 10.0.0.0/8 to 10.1.0.0/16 preference 16384 tos 0x28 fwmark 0x5/0xff realms 2 suppress_prefixlength 0 iif eth0 oif lo uidrange 5-10 ipproto 17 sport 1-2 dport 3-4 table 7 no_track",
                "preference 5 protocol 18 goto 100 inet6",
            ]
        );
        assert_round_trip(text);
    }
}
