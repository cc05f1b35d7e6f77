//! `use_vmac [IFNAME] [MAC]`: the macvlan interface an instance may run on, its name and its
//! virtual MAC address.

use crate::config::ctx::Ctx;
use crate::config::diag::Loc;

/// The RFC 5798 virtual router MAC prefix; the fifth octet is 1 for IPv4, 2 for IPv6.
pub const VRRP_MAC_PREFIX: [u8; 4] = [0x00, 0x00, 0x5e, 0x00];

/// Interface names are shorter than this (`IFNAMSIZ`).
pub const IFNAMSIZ: usize = 16;

/// The effective VMAC of an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vmac {
    /// The macvlan's name: configured, or `<vmac_prefix>[N].<VRID>`.
    pub name: String,
    pub mac: [u8; 6],
    /// The MAC was configured (otherwise it is the RFC 5798 address).
    pub mac_configured: bool,
    /// Adverts go out on the parent interface (`vmac_xmit_base`).
    pub xmit_base: bool,
}

/// What the `use_vmac` and `vmac_xmit_base` lines said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmacDraft {
    pub enabled: bool,
    pub name: Option<String>,
    pub mac: Option<[u8; 6]>,
    /// Only five octets were given: the VRID is the sixth.
    pub mac_use_vrid: bool,
    pub xmit_base: bool,
}

/// keepalived's check of a network device name (the kernel's `dev_name_valid()`).
fn dev_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() < IFNAMSIZ
        && name != "."
        && name != ".."
        && !name.contains(|c: char| c == '/' || c == ':' || c.is_ascii_whitespace())
}

/// Reads `use_vmac` words: up to two, a MAC (it has a `:`) or an interface name.
/// `taken` says whether another instance already uses a VMAC name; `known` whether an
/// interface of that name exists.
pub fn parse_use_vmac(
    ctx: &mut Ctx,
    loc: Loc,
    iname: &str,
    words: &[&str],
    v: &mut VmacDraft,
    taken: impl Fn(&str) -> Option<String>,
    known: impl Fn(&str) -> bool,
) {
    v.enabled = true;
    for w in words.iter().take(2) {
        if w.contains(':') {
            mac_word(ctx, loc, w, v);
            continue;
        }
        if v.name.is_some() {
            ctx.error(loc, "VMAC interface name already specified");
            continue;
        }
        if !dev_name_valid(w) {
            let msg =
                format!("VMAC interface name '{w}' too long or invalid characters - ignoring");
            ctx.error(loc, msg);
            continue;
        }
        if let Some(other) = taken(w) {
            let msg =
                format!("({iname}) VRRP instance {other} is already using {w} - ignoring name");
            ctx.error(loc, msg);
            continue;
        }
        // An existing interface of that name is not one of our private macvlans.
        if known(w) {
            let msg = format!("({iname}) interface {w} already exists and is not a private macvlan; ignoring vmac if_name");
            ctx.error(loc, msg);
            continue;
        }
        v.name = Some(w.to_string());
    }
}

fn mac_word(ctx: &mut Ctx, loc: Loc, w: &str, v: &mut VmacDraft) {
    if v.mac.is_some() {
        ctx.error(loc, "VMAC interface address already specified");
        return;
    }
    if !w.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
        ctx.error(loc, format!("VMAC invalid MAC address {w}"));
        return;
    }
    let Some((mac, use_vrid)) = parse_mac(w) else {
        ctx.error(loc, format!("VMAC invalid MAC address {w} - ignored"));
        return;
    };
    if use_vrid {
        v.mac_use_vrid = true;
    }
    if mac[0] & 1 != 0 {
        ctx.error(loc, format!("VMAC MAC address is multicast {w} - ignoring"));
    } else if mac[..4] == VRRP_MAC_PREFIX && (mac[4] == 1 || mac[4] == 2) {
        let msg = format!("VMAC MAC address not allowed to be RFC5798 address ({w}) - ignoring");
        ctx.error(loc, msg);
    } else {
        v.mac = Some(mac);
    }
}

/// Octets of one or two hex digits separated by `:`. Five octets (optionally followed by a
/// lone `:`) leave the last octet to the VRID; anything after a sixth octet is not read,
/// as in keepalived.
fn parse_mac(w: &str) -> Option<([u8; 6], bool)> {
    let mut mac = [0u8; 6];
    let mut rest = w;
    for (j, octet) in mac.iter_mut().enumerate() {
        let n = rest.chars().take_while(char::is_ascii_hexdigit).count();
        if n == 0 || n > 2 {
            return None;
        }
        let next = rest[n..].chars().next();
        if next != Some(':') && (next.is_some() || j < 4) {
            return None;
        }
        *octet = u8::from_str_radix(&rest[..n], 16).ok()?;
        let after = rest.get(n + 1..).unwrap_or("");
        if j == 4 && after.is_empty() {
            return Some((mac, true));
        }
        rest = after;
        if rest.is_empty() && j < 5 {
            return None;
        }
    }
    Some((mac, false))
}

/// keepalived's `create_vmac_name()`: `<prefix>.<vrid>`, then `<prefix>N.<vrid>` for
/// N = 1, 2, ... (IPv6 tries 6 first), skipping names in use or of existing interfaces.
/// Names are cut to fit `IFNAMSIZ` by shortening the prefix.
pub fn generate_name(prefix: &str, vrid: u8, ipv6: bool, in_use: impl Fn(&str) -> bool) -> String {
    let mut num: u32 = 0;
    loop {
        let suffix = if num == 0 {
            format!(".{vrid}")
        } else {
            format!("{num}.{vrid}")
        };
        let room = (IFNAMSIZ - 1).saturating_sub(suffix.len());
        let head: String = prefix.chars().take(room).collect();
        let name = format!("{head}{suffix}");
        if !in_use(&name) || num > 1000 {
            return name;
        }
        num = match (ipv6, num) {
            (true, 0) => 6,
            (true, 6) => 1,
            (true, 5) => 7,
            (_, n) => n + 1,
        };
    }
}

/// The MAC a VMAC gets: the configured one (with the VRID when only five octets were
/// given), else 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6).
pub fn mac_for(v: &VmacDraft, vrid: u8, ipv6: bool) -> ([u8; 6], bool) {
    match v.mac {
        Some(mut m) => {
            if v.mac_use_vrid {
                m[5] = vrid;
            }
            (m, true)
        }
        None => {
            let p = VRRP_MAC_PREFIX;
            (
                [p[0], p[1], p[2], p[3], if ipv6 { 2 } else { 1 }, vrid],
                false,
            )
        }
    }
}

pub fn mac_text(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_like_keepalived() {
        assert_eq!(
            parse_mac("02:11:22:33:44:55"),
            Some(([2, 0x11, 0x22, 0x33, 0x44, 0x55], false))
        );
        assert_eq!(
            parse_mac("02:11:22:33:44"),
            Some(([2, 0x11, 0x22, 0x33, 0x44, 0], true))
        );
        assert_eq!(
            parse_mac("02:11:22:33:44:"),
            Some(([2, 0x11, 0x22, 0x33, 0x44, 0], true))
        );
        assert_eq!(
            parse_mac("2:11:22:33:44:55:66"),
            Some(([2, 0x11, 0x22, 0x33, 0x44, 0x55], false))
        );
        assert_eq!(parse_mac("02:11:22:33"), None);
        assert_eq!(parse_mac("021:11:22:33:44:55"), None);
        assert_eq!(parse_mac("02::22:33:44:55"), None);
    }

    #[test]
    fn generated_names() {
        assert_eq!(generate_name("vrrp", 51, false, |_| false), "vrrp.51");
        assert_eq!(
            generate_name("vrrp", 51, false, |n| n == "vrrp.51"),
            "vrrp1.51"
        );
        let six = generate_name("vrrp", 51, true, |n| n == "vrrp.51");
        assert_eq!(six, "vrrp6.51");
        assert_eq!(
            generate_name("averyverylongprefix", 200, false, |_| false),
            "averyverylo.200"
        );
    }
}
