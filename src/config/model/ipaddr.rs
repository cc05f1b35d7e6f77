//! Address lines of `virtual_ipaddress`, `virtual_ipaddress_excluded` and `static_ipaddress`:
//! `ADDR[/PREFIX] [dev IF] [brd IP|+|-] [scope S] [label L] [peer IP] [flags...] ...`,
//! read word by word as keepalived 2.2.7 does, with its messages.
//!
//! Also the pieces route and rule lines share: address families, prefixes, keepalived's
//! address-text parsing, and [`LineEnv`], the state those lines are read against.

pub(crate) mod cnum;
#[cfg(test)]
pub(crate) mod harness;
pub mod names;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::rule::Numbering;
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Level, Loc};
use crate::config::dump::word;
use crate::config::reader::Line;
use crate::config::value;
pub use names::RtNames;

/// Where an address line appears; the allowed words differ a little.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrUse {
    Vip,
    Evip,
    Static,
}

/// What address, route and rule lines are read against besides the context. The VRRP
/// builder keeps one for the whole configuration and passes it to every line, in file order.
#[derive(Debug)]
pub struct LineEnv {
    /// Interface of static addresses given without `dev`: `default_interface`, else "eth0".
    pub default_interface: String,
    /// Names of the `track_group` blocks defined so far (keepalived resolves in file order).
    pub track_groups: Vec<String>,
    /// iproute2's names for tables, scopes, protocols ...
    pub names: RtNames,
    /// Preferences handed to rules given without one.
    pub rule_numbers: Numbering,
}

impl LineEnv {
    /// The state at the start of a configuration, reading the system's name files.
    pub fn new(default_interface: Option<&str>) -> LineEnv {
        LineEnv::with_names(default_interface, RtNames::system())
    }

    pub fn with_names(default_interface: Option<&str>, names: RtNames) -> LineEnv {
        LineEnv {
            default_interface: default_interface.unwrap_or("eth0").to_string(),
            track_groups: Vec::new(),
            names,
            rule_numbers: Numbering::default(),
        }
    }

    pub(crate) fn has_track_group(&self, name: &str) -> bool {
        self.track_groups.iter().any(|g| g == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }

    /// The prefix length of a single address.
    pub fn host_len(self) -> u8 {
        match self {
            Family::Inet => 32,
            Family::Inet6 => 128,
        }
    }

    pub fn unspecified(self) -> IpAddr {
        match self {
            Family::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }
}

/// `ADDR/LEN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpPrefix {
    pub fn family(&self) -> Family {
        Family::of(self.addr)
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// A route destination, route source or rule selector word: a prefix, or one of the words
/// for "everything" (`default`, `any`, `all`: the family comes from the rest of the line;
/// `default6`: IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Any(Option<Family>),
    Prefix(IpPrefix),
}

impl Target {
    pub(crate) fn family(&self) -> Option<Family> {
        match self {
            Target::Any(f) => *f,
            Target::Prefix(p) => Some(p.family()),
        }
    }

    /// The prefix, once the line's family is known.
    pub(crate) fn resolve(self, family: Family) -> IpPrefix {
        match self {
            Target::Prefix(p) => p,
            Target::Any(f) => {
                let f = f.unwrap_or(family);
                IpPrefix {
                    addr: f.unspecified(),
                    len: 0,
                }
            }
        }
    }
}

/// keepalived's address text parsing: the family is IPv6 if the text has a `:` anywhere;
/// with `allow_prefix`, a `/LEN` after the address (an invalid length is reported and the
/// host length used). An invalid address is reported and gives None.
pub(crate) fn parse_ip(
    ctx: &mut Ctx,
    loc: Loc,
    text: &str,
    allow_prefix: bool,
) -> Option<IpPrefix> {
    let family = if text.contains(':') {
        Family::Inet6
    } else {
        Family::Inet
    };
    let mut len = family.host_len();
    let mut addr_text = text;
    if let Some((a, p)) = text.split_once('/').filter(|_| allow_prefix) {
        match value::unsigned(ctx, loc, p, 0, u32::from(len)) {
            Some(v) => len = v as u8,
            None => ctx.error(
                loc,
                format!("Invalid address prefix len {p} for address {text} - using {len}"),
            ),
        }
        addr_text = a;
    }
    let addr = match family {
        Family::Inet => value::ipv4(addr_text).map(IpAddr::V4),
        Family::Inet6 => addr_text.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
    };
    match addr {
        Some(addr) => Some(IpPrefix { addr, len }),
        None => {
            ctx.error(
                loc,
                format!("VRRP parsed invalid IP {text}. skipping IP..."),
            );
            None
        }
    }
}

/// keepalived's route/rule target parsing (see [`Target`]).
pub(crate) fn parse_target(ctx: &mut Ctx, loc: Loc, text: &str) -> Option<Target> {
    match text {
        "default" | "any" | "all" => Some(Target::Any(None)),
        "default6" => {
            ctx.info(
                loc,
                "'default6' is deprecated - please replace with 'inet6 default'",
            );
            Some(Target::Any(Some(Family::Inet6)))
        }
        _ => parse_ip(ctx, loc, text, true).map(Target::Prefix),
    }
}

/// An address or route scope (`global`, `link`, `host` ... or a number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scope(pub u8);

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&names::scope_name(self.0))
    }
}

/// An IPv6 address lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Secs(u32),
    Forever,
}

impl Lifetime {
    fn from_secs(secs: u32) -> Lifetime {
        if secs == u32::MAX {
            Lifetime::Forever
        } else {
            Lifetime::Secs(secs)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAddress {
    pub addr: IpAddr,
    pub prefix: u8,
    /// `dev IF` as configured; VIPs without it use the instance interface, static addresses
    /// get the default interface.
    pub dev: Option<String>,
    pub loc: Loc,
    /// IPv4 broadcast address (`brd`), `+`/`-` already applied.
    pub broadcast: Option<Ipv4Addr>,
    pub scope: Scope,
    /// IPv4 only.
    pub label: Option<String>,
    /// Point-to-point peer; the prefix is then the peer's.
    pub peer: Option<IpAddr>,
    /// `home`: IFA_F_HOMEADDRESS.
    pub home: bool,
    /// `-nodad`: let the kernel run duplicate address detection, which keepalived otherwise
    /// turns off for IPv6 addresses.
    pub dad: bool,
    /// `mngtmpaddr`: IFA_F_MANAGETEMPADDR.
    pub mngtmpaddr: bool,
    /// `noprefixroute`: IFA_F_NOPREFIXROUTE.
    pub noprefixroute: bool,
    /// `autojoin`: IFA_F_MCAUTOJOIN.
    pub autojoin: bool,
    /// Used for IPv6 only; defaults to 0 (deprecated) for a /128, forever otherwise.
    pub preferred_lft: Lifetime,
    /// `no_track`: deleting the address does not take the instance out of MASTER.
    pub no_track: bool,
    /// `track_group NAME` (static addresses).
    pub track_group: Option<String>,
    /// `use_vmac` (VIPs): put the address on a VMAC made on its `dev`.
    pub use_vmac: bool,
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)?;
        if let Some(b) = self.broadcast {
            write!(f, " brd {b}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        write!(f, " scope {}", self.scope)?;
        if let Some(l) = &self.label {
            write!(f, " label {}", word(l))?;
        }
        if let Some(p) = self.peer {
            write!(f, " peer {p}")?;
        }
        let flags = [
            (self.home, "home"),
            (self.dad, "-nodad"),
            (self.mngtmpaddr, "mngtmpaddr"),
            (self.noprefixroute, "noprefixroute"),
            (self.autojoin, "autojoin"),
            (self.no_track, "no_track"),
            (self.use_vmac, "use_vmac"),
        ];
        for (_, word) in flags.iter().filter(|(on, _)| *on) {
            write!(f, " {word}")?;
        }
        if let Some(g) = &self.track_group {
            write!(f, " track_group {}", word(g))?;
        }
        if self.addr.is_ipv6() {
            match self.preferred_lft {
                Lifetime::Forever => f.write_str(" preferred_lft forever")?,
                Lifetime::Secs(s) => write!(f, " preferred_lft {s}")?,
            }
        }
        Ok(())
    }
}

/// `brd +` (host bits set) or `brd -` (host bits cleared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BrdFill {
    Ones,
    Zeros,
}

/// What one option word did to the line.
enum Step {
    /// Go on at this word index.
    At(usize),
    /// Stop reading words; the address is kept.
    Stop,
    /// The word needs a parameter and has none.
    Missing,
    /// The address is dropped (already reported).
    Drop,
}

/// An address being read, with what the words said before the final checks.
struct Draft<'l> {
    a: IpAddress,
    line: &'l Line,
    /// The last explicit `brd` address.
    brd_given: Option<Ipv4Addr>,
    /// The last `brd +|-`; it wins over an explicit address when the prefix allows it.
    brd_fill: Option<BrdFill>,
    have_brd: bool,
    lft_set: bool,
}

/// Parses one address line. None when the line is rejected (reported).
pub fn parse(
    ctx: &mut Ctx,
    line: &Line,
    use_: AddrUse,
    env: &mut LineEnv,
) -> Result<Option<IpAddress>, Fatal> {
    let text = ctx::word(line, 0)?;
    let Some(p) = parse_ip(ctx, line.loc, text, true) else {
        return Ok(None);
    };
    let mut d = Draft {
        a: IpAddress {
            addr: p.addr,
            prefix: p.len,
            dev: None,
            loc: line.loc,
            broadcast: None,
            scope: Scope::default(),
            label: None,
            peer: None,
            home: false,
            dad: false,
            mngtmpaddr: false,
            noprefixroute: false,
            autojoin: false,
            preferred_lft: Lifetime::Forever,
            no_track: false,
            track_group: None,
            use_vmac: false,
        },
        line,
        brd_given: None,
        brd_fill: None,
        have_brd: false,
        lft_set: false,
    };
    let mut i = 1;
    while i < line.len() {
        match d.option(ctx, env, use_, i) {
            Step::At(next) => i = next,
            Step::Stop => break,
            Step::Drop => return Ok(None),
            Step::Missing => {
                let msg = format!(
                    "No {} parameter specified for {text}",
                    line.word(i).unwrap_or_default()
                );
                ctx.error(line.loc, msg);
                return Ok(None);
            }
        }
    }
    Ok(d.finish(ctx, env, use_))
}

impl<'l> Draft<'l> {
    fn text(&self) -> &'l str {
        self.word(0)
    }

    /// Word `i` of the line (callers stay within it).
    fn word(&self, i: usize) -> &'l str {
        self.line.word(i).unwrap_or_default()
    }

    /// Reads the option word at `i`.
    fn option(&mut self, ctx: &mut Ctx, env: &mut LineEnv, use_: AddrUse, i: usize) -> Step {
        let loc = self.a.loc;
        let word = self.word(i);
        let takes_value = matches!(
            word,
            "dev" | "scope" | "broadcast" | "brd" | "label" | "peer" | "preferred_lft"
        ) || (word == "track_group" && use_ == AddrUse::Static);
        let Some(value) = self.line.word(i + 1) else {
            if takes_value {
                return Step::Missing;
            }
            return self.flag(ctx, use_, i);
        };
        if !takes_value {
            return self.flag(ctx, use_, i);
        }
        match word {
            "dev" => {
                if self.a.dev.is_some() {
                    let msg = format!(
                        "Cannot specify ipaddress device more than once for {}",
                        self.text()
                    );
                    ctx.error(loc, msg);
                    return Step::Drop;
                }
                if !ctx.interface(loc, value) {
                    let msg = format!(
                        "WARNING - interface {value} for ip address {} doesn't exist",
                        self.text()
                    );
                    ctx.error(loc, msg);
                    return Step::Drop;
                }
                self.a.dev = Some(value.to_string());
            }
            "scope" => match env.names.scope(value) {
                Some(s) => self.a.scope = Scope(s),
                None => {
                    let msg = format!(
                        "Invalid scope '{value}' specified for {} - ignoring",
                        self.text()
                    );
                    ctx.error(loc, msg);
                }
            },
            "broadcast" | "brd" => return self.broadcast(ctx, i),
            "label" => {
                if value.len() >= 16 {
                    let msg = format!(
                        "Address label {value} is longer than maximum length 15 - removing address"
                    );
                    ctx.error(loc, msg);
                    return Step::Drop;
                }
                self.a.label = Some(value.to_string());
            }
            "peer" => return self.peer(ctx, i),
            "preferred_lft" => self.preferred_lft(ctx, value),
            _ => {
                // track_group (static addresses)
                if self.a.track_group.is_some() {
                    ctx.error(loc, format!("track_group {value} is a duplicate"));
                    return Step::Stop;
                }
                if env.has_track_group(value) {
                    self.a.track_group = Some(value.to_string());
                } else {
                    ctx.error(loc, format!("track_group {value} not found"));
                }
            }
        }
        Step::At(i + 2)
    }

    /// A word without a parameter, or an unknown one.
    fn flag(&mut self, ctx: &mut Ctx, use_: AddrUse, i: usize) -> Step {
        let word = self.word(i);
        match word {
            "home" => self.a.home = true,
            "-nodad" => self.a.dad = true,
            "mngtmpaddr" => self.a.mngtmpaddr = true,
            "noprefixroute" => self.a.noprefixroute = true,
            "autojoin" => self.a.autojoin = true,
            "no_track" => self.a.no_track = true,
            "use_vmac" if use_ != AddrUse::Static => self.a.use_vmac = true,
            _ => ctx.error(
                self.a.loc,
                format!("Unknown configuration entry '{word}' for ip address - ignoring"),
            ),
        }
        Step::At(i + 1)
    }

    fn broadcast(&mut self, ctx: &mut Ctx, i: usize) -> Step {
        let (kw, value) = (self.word(i), self.word(i + 1));
        if self.a.addr.is_ipv6() {
            let msg = format!(
                "VRRP is trying to assign a broadcast {kw} to the IPv6 address {} !!?? WTF... skipping VIP...",
                self.text()
            );
            ctx.error(self.a.loc, msg);
            return Step::Drop;
        }
        self.have_brd = true;
        match value {
            "-" => self.brd_fill = Some(BrdFill::Zeros),
            "+" => self.brd_fill = Some(BrdFill::Ones),
            v => match v.parse::<Ipv4Addr>() {
                Ok(ip) => self.brd_given = Some(ip),
                Err(_) => {
                    let msg =
                        format!("VRRP is trying to assign invalid broadcast {v}. skipping VIP...");
                    ctx.error(self.a.loc, msg);
                    return Step::Drop;
                }
            },
        }
        Step::At(i + 2)
    }

    fn peer(&mut self, ctx: &mut Ctx, i: usize) -> Step {
        let loc = self.a.loc;
        let value = self.word(i + 1);
        if self.a.peer.is_some() {
            ctx.error(
                loc,
                format!("Peer {value} - another peer has already been specified"),
            );
            // keepalived goes on at the peer's address, reading it as an option word.
            return Step::At(i + 1);
        }
        let Some(p) = parse_ip(ctx, loc, value, false) else {
            ctx.error(loc, format!("Invalid peer address {value}"));
            return Step::At(i + 2);
        };
        if p.family() != Family::of(self.a.addr) {
            ctx.error(
                loc,
                format!("Peer address {value} does not match address family"),
            );
            return Step::At(i + 2);
        }
        if self.a.prefix != Family::of(self.a.addr).host_len() {
            ctx.error(
                loc,
                "Cannot specify address prefix when specifying peer address - ignoring",
            );
        }
        self.a.prefix = p.len;
        self.a.peer = Some(p.addr);
        Step::At(i + 2)
    }

    fn preferred_lft(&mut self, ctx: &mut Ctx, value: &str) {
        if value == "forever" {
            self.a.preferred_lft = Lifetime::Forever;
            self.lft_set = true;
        } else if let Some(v) = value::unsigned(ctx, self.a.loc, value, 0, u32::MAX) {
            self.a.preferred_lft = Lifetime::from_secs(v);
            self.lft_set = true;
        } else {
            ctx.error(self.a.loc, format!("preferred_lft {value} is invalid"));
        }
    }

    /// keepalived's checks once all words are read.
    fn finish(mut self, ctx: &mut Ctx, env: &LineEnv, use_: AddrUse) -> Option<IpAddress> {
        let loc = self.a.loc;
        self.resolve_broadcast(ctx);
        if use_ == AddrUse::Static && self.a.dev.is_none() {
            let dev = env.default_interface.clone();
            if !ctx.interface(loc, &dev) {
                let msg = format!(
                    "Static address {} requires either an interface or default interface must exist",
                    self.text()
                );
                ctx.report(loc, Level::Fatal, msg);
                return None;
            }
            self.a.dev = Some(dev);
        }
        if self.a.addr.is_ipv6() {
            if self.a.scope.0 != 0 {
                let msg = format!(
                    "Cannot specify scope for IPv6 addresses ({}) - ignoring scope",
                    self.text()
                );
                ctx.error(loc, msg);
                self.a.scope = Scope(0);
            }
            if self.a.label.take().is_some() {
                let msg = format!(
                    "Cannot specify label for IPv6 addresses ({}) - ignoring label",
                    self.text()
                );
                ctx.error(loc, msg);
            }
            if !self.lft_set {
                self.a.preferred_lft = if self.a.prefix == 128 {
                    Lifetime::Secs(0)
                } else {
                    Lifetime::Forever
                };
            }
        }
        Some(self.a)
    }

    fn resolve_broadcast(&mut self, ctx: &mut Ctx) {
        let loc = self.a.loc;
        if self.have_brd && self.a.peer.is_some() {
            ctx.error(
                loc,
                "Cannot specify broadcast and peer addresses - ignoring broadcast address",
            );
            return;
        }
        let IpAddr::V4(addr) = self.a.addr else {
            return;
        };
        let host_bits = u32::MAX.checked_shr(u32::from(self.a.prefix)).unwrap_or(0);
        let brd = match (self.brd_fill, self.brd_given) {
            (None, None) => return,
            (None, Some(ip)) => ip,
            (Some(_), given) if self.a.prefix > 30 => {
                let msg = format!(
                    "Address prefix length {} too long for broadcast",
                    self.a.prefix
                );
                ctx.error(loc, msg);
                let Some(ip) = given else { return };
                ip
            }
            (Some(BrdFill::Ones), _) => Ipv4Addr::from(u32::from(addr) | host_bits),
            (Some(BrdFill::Zeros), _) => Ipv4Addr::from(u32::from(addr) & !host_bits),
        };
        // keepalived sends no broadcast address when it is 0.0.0.0.
        self.a.broadcast = (!brd.is_unspecified()).then_some(brd);
    }
}

#[cfg(test)]
mod tests {
    use super::harness::{assert_round_trip, run};
    use crate::config::diag::Level;

    #[test]
    fn static_addresses_like_keepalived() {
        let text = r#"static_ipaddress {
  10.0.0.1/24 dev eth0
  10.0.0.2
  10.0.0.3/33 dev eth0
  10.0.0.4/abc dev eth0
  10.0.0.256 dev eth0
  10.0.0.5/24 dev eth9
  10.0.0.6/24 dev eth0 dev lo
  10.0.0.7/24 dev eth0 scope link
  10.0.0.8/24 dev eth0 scope 300
  10.0.0.9/24 dev eth0 scope foo
  10.0.0.10/24 dev eth0 brd +
  10.0.0.11/24 dev eth0 brd -
  10.0.0.12/24 dev eth0 broadcast 10.0.0.255
  10.0.0.13/24 dev eth0 brd 10.0.0.999
  10.0.0.14/31 dev eth0 brd +
  10.0.0.15/24 dev eth0 label eth0:1
  10.0.0.16/24 dev eth0 label eth0:abcdefghijklmnop
  10.0.0.17 dev eth0 peer 10.0.0.18
  10.0.0.19/24 dev eth0 peer 10.0.0.20
  10.0.0.21 dev eth0 peer 10.0.0.22/24
  10.0.0.23 dev eth0 peer fe80::1
  10.0.0.24 dev eth0 peer 10.0.0.25 peer 10.0.0.26
  10.0.0.27 dev eth0 home -nodad mngtmpaddr noprefixroute autojoin no_track
  10.0.0.28 dev eth0 use_vmac
  10.0.0.29 dev eth0 bogus
  10.0.0.30 dev eth0 preferred_lft forever
  10.0.0.31 dev eth0 preferred_lft -5
  10.0.0.32 dev eth0 track_group TG
  10.0.0.33 dev eth0 label
  10.0.0.34 dev eth0 brd + peer 10.0.0.35
  10.0.0.36/24 dev eth0 brd 10.0.0.255 brd +
  10.0.0.37/32 dev eth0 brd 10.0.0.255 brd +
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "4: number '33' outside range [0, 32]",
                "4: Invalid address prefix len 33 for address 10.0.0.3/33 - using 32",
                "5: invalid number 'abc'",
                "5: Invalid address prefix len abc for address 10.0.0.4/abc - using 32",
                "6: VRRP parsed invalid IP 10.0.0.256. skipping IP...",
                "7: WARNING - interface eth9 for ip address 10.0.0.5/24 doesn't exist",
                "8: Cannot specify ipaddress device more than once for 10.0.0.6/24",
                "10: Invalid scope '300' specified for 10.0.0.8/24 - ignoring",
                "11: Invalid scope 'foo' specified for 10.0.0.9/24 - ignoring",
                "15: VRRP is trying to assign invalid broadcast 10.0.0.999. skipping VIP...",
                "16: Address prefix length 31 too long for broadcast",
                "18: Address label eth0:abcdefghijklmnop is longer than maximum length 15 - removing address",
                "20: Cannot specify address prefix when specifying peer address - ignoring",
                "21: VRRP parsed invalid IP 10.0.0.22/24. skipping IP...",
                "21: Invalid peer address 10.0.0.22/24",
                "22: Peer address fe80::1 does not match address family",
                "23: Peer 10.0.0.26 - another peer has already been specified",
                "23: Unknown configuration entry '10.0.0.26' for ip address - ignoring",
                "25: Unknown configuration entry 'use_vmac' for ip address - ignoring",
                "26: Unknown configuration entry 'bogus' for ip address - ignoring",
                "28: negative number '-5'",
                "28: preferred_lft -5 is invalid",
                "29: track_group TG not found",
                "30: No label parameter specified for 10.0.0.33",
                "31: Cannot specify broadcast and peer addresses - ignoring broadcast address",
                "33: Address prefix length 32 too long for broadcast",
                "Non-existent interface specified in configuration",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn ipv6_addresses_like_keepalived() {
        let text = r#"static_ipaddress {
  fe80::1/64 dev eth0
  fe80::2 dev eth0 scope link
  fe80::3 dev eth0 label foo
  fe80::4 dev eth0 brd +
  fe80::5/64 dev eth0 preferred_lft 100
  2001:db8::1/129 dev eth0
  2001:db8::zz dev eth0
  fe80::6 dev eth0 scope global
  fe80::7 dev eth0 peer fe80::8
  fe80::9 dev eth0 peer 10.0.0.1
  10.0.0.1/: dev eth0
  fe80::10 dev eth0 dev
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "3: Cannot specify scope for IPv6 addresses (fe80::2) - ignoring scope",
                "4: Cannot specify label for IPv6 addresses (fe80::3) - ignoring label",
                "5: VRRP is trying to assign a broadcast brd to the IPv6 address fe80::4 !!?? WTF... skipping VIP...",
                "7: number '129' outside range [0, 128]",
                "7: Invalid address prefix len 129 for address 2001:db8::1/129 - using 128",
                "8: VRRP parsed invalid IP 2001:db8::zz. skipping IP...",
                "11: Peer address 10.0.0.1 does not match address family",
                "12: invalid number ':'",
                "12: Invalid address prefix len : for address 10.0.0.1/: - using 128",
                "12: VRRP parsed invalid IP 10.0.0.1/:. skipping IP...",
                "13: No dev parameter specified for fe80::10",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn track_groups_of_static_addresses() {
        let text = r#"track_group TG {
  group {
    VI_1
  }
}
static_ipaddress {
  10.0.0.32 dev eth0 track_group TG
  10.0.0.33 dev eth0 track_group TG track_group TG
  10.0.0.34 dev eth0 track_group NOPE
  10.0.0.35 track_group TG
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "8: track_group TG is a duplicate",
                "9: track_group NOPE not found",
            ]
        );
    }

    #[test]
    fn missing_default_interface_is_fatal_class() {
        let text = r#"global_defs {
  default_interface eth5
}
static_ipaddress {
  10.0.0.1/24
  10.0.0.2/24 dev eth0
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 4);
        assert_eq!(
            out.lines(),
            [
                "5: Static address 10.0.0.1/24 requires either an interface or default interface must exist",
                "Non-existent interface specified in configuration",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn dynamic_interfaces_accept_missing_ones() {
        let text = r#"global_defs {
  dynamic_interfaces
}
static_ipaddress {
  10.0.0.1/24 dev eth5
}
static_routes {
  10.0.0.0/8 dev eth6
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 0);
        assert!(out.lines().is_empty());
    }

    #[test]
    fn instance_blocks_like_keepalived() {
        let text = r#"vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.168.10.1/24
    192.168.10.2/24 dev eth0 use_vmac
    192.168.10.3/24 track_group TG
    192.168.10.4/24 dev eth7
    192.168.10.5/24 label eth0:vip
  }
  virtual_ipaddress_excluded {
    192.168.11.1/24 dev eth0 no_track
    2001:db8::1/64 dev eth0
    2001:db8::2 dev eth0 use_vmac preferred_lft 30
    192.168.11.2 bogus
  }
  virtual_routes {
    10.10.0.0/16 via 192.168.10.254 dev eth0
    10.11.0.0/16 via 192.168.10.254 track_group TG
    src 192.168.10.1 to 10.12.0.0/16 via 192.168.10.254 dev eth0 table 100
  }
  virtual_rules {
    from 192.168.10.1 table 100
    from 192.168.10.2 table 100 track_group TG
    to 10.0.0.0/8 table 100 priority 10 no_track
  }
}
static_rules {
  from 192.168.12.1 table 100
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "10: Unknown configuration entry 'track_group' for ip address - ignoring",
                "10: Unknown configuration entry 'TG' for ip address - ignoring",
                "11: WARNING - interface eth7 for ip address 192.168.10.4/24 doesn't exist",
                "18: Unknown configuration entry 'bogus' for ip address - ignoring",
                "22: VRRP parsed invalid IP track_group. skipping IP...",
                "22: unknown route keyword track_group",
                "26: Rule has no preference specified - setting to 16384. This is probably not what you want.",
                "27: Unknown rule option track_group",
                "32: Rule has no preference specified - setting to 16383. This is probably not what you want.",
                "Non-existent interface specified in configuration",
            ]
        );
        assert_round_trip(text);
    }

    #[test]
    fn more_address_words_like_keepalived() {
        let text = r#"static_ipaddress {
  10.0.0.1/24 dev eth0 scope 0x10
  10.0.0.2/24 dev eth0 scope link scope host
  10.0.0.3/24 dev eth0 label abcdefghijklmno
  10.0.0.4/30 dev eth0 brd +
  10.0.0.5/24 dev eth0 brd
  10.0.0.6 dev eth0 preferred_lft 4294967295
  10.0.0.7 dev eth0 preferred_lft 4294967296
  10.0.0.8/ dev eth0
  /24 dev eth0
  10.0.0.9/+24 dev eth0
  ::ffff:1.2.3.4/96 dev eth0 brd +
  fe80::1 dev eth0 scope host
  10.0.0.10 dev eth0 peer 10.0.0.11 brd +
  10.0.0.12 dev lo dev lo
  10.0.0.13 dev eth0 scope nowhere label x home
  fe80::2/64 dev eth0 preferred_lft 0 -nodad
  fe80::3 dev eth0 preferred_lft forever
  010.0.0.14 dev eth0
  10.0.0.15 dev eth0 broadcast 0.0.0.0
  10.0.0.16/8 dev eth0 brd - brd 10.255.255.255
}
"#;
        let out = run(text);
        assert_eq!(out.exit, 5);
        assert_eq!(
            out.lines(),
            [
                "6: No brd parameter specified for 10.0.0.5/24",
                "8: number '4294967296' outside unsigned integer range",
                "8: preferred_lft 4294967296 is invalid",
                "10: VRRP parsed invalid IP /24. skipping IP...",
                "12: VRRP is trying to assign a broadcast brd to the IPv6 address ::ffff:1.2.3.4/96 !!?? WTF... skipping VIP...",
                "13: Cannot specify scope for IPv6 addresses (fe80::1) - ignoring scope",
                "14: Cannot specify broadcast and peer addresses - ignoring broadcast address",
                "15: Cannot specify ipaddress device more than once for 10.0.0.12",
                "19: VRRP parsed invalid IP 010.0.0.14. skipping IP...",
            ]
        );
        assert_round_trip(text);
    }

    fn kept(text: &str) -> Vec<String> {
        run(text).kept.into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn normalised_lines_show_every_effective_option() {
        let text = "static_ipaddress {\n10.0.0.1/24 brd + label eth0:1 scope link home\nfe80::1 dev lo -nodad\n}\nvrrp_instance VI {\nvirtual_ipaddress {\n10.0.0.2/16 use_vmac no_track\n}\n}\n";
        assert_eq!(
            kept(text),
            [
                "10.0.0.1/24 brd 10.0.0.255 dev eth0 scope link label eth0:1 home",
                "fe80::1/128 dev lo scope global -nodad preferred_lft 0",
                "10.0.0.2/16 scope global no_track use_vmac",
            ]
        );
    }

    #[test]
    fn message_classes_are_keepalived_s() {
        let text = "global_defs {\ndefault_interface eth5\n}\nstatic_ipaddress {\n10.0.0.1/40\n}\n";
        let out = run(text);
        let levels: Vec<Level> = out.msgs.iter().map(|m| m.1).collect();
        assert_eq!(
            levels,
            [
                Level::InvalidNumber,
                Level::GeneralError,
                Level::Fatal,
                Level::BadIf
            ]
        );
        assert_eq!(out.exit, 5);
    }
}
