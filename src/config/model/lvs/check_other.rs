//! `DNS_CHECK`, `UDP_CHECK` and `FILE_CHECK`.

use super::checker::{common, link_local_ok};
use super::draft::{CheckerDraft, Env, RsDraft};
use super::read;
use super::{CheckKind, DnsCheck, DnsType, FileCheck, UdpCheck};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::parser::Node;
use crate::config::value;

/// `DNS_CHECK { type T; name N }`: retry 3 and delay_before_retry = delay_loop by default.
pub fn dns(ctx: &mut Ctx, n: &Node, rs: &RsDraft) -> Result<Option<CheckerDraft>, Fatal> {
    let mut c = CheckerDraft::new(CheckKind::Tcp, rs, true, n.loc);
    c.default_retry = 3;
    c.default_delay_before_retry = None;
    let mut qtype = DnsType::Soa;
    let mut name: Option<String> = None;
    for k in n.children() {
        match k.kw {
            "type" => {
                let w = ctx::arg(&k, 0)?;
                match DnsType::ALL
                    .into_iter()
                    .find(|t| t.word().eq_ignore_ascii_case(w))
                {
                    Some(t) => qtype = t,
                    None => ctx.error(k.loc, format!("Unknown DNS check type {w} - ignoring")),
                }
            }
            "name" => {
                if name.is_some() {
                    ctx.error(k.loc, "DNS_CHECK name already specified - ignoring");
                    continue;
                }
                let w = ctx::arg(&k, 0)?;
                if has_empty_label(w) {
                    let msg = format!("DNS_CHECK name '{w}' has empty label - ignoring");
                    ctx.error(k.loc, msg);
                } else {
                    name = Some(w.to_string());
                }
            }
            _ => {
                common(ctx, &k, &mut c)?;
            }
        }
    }
    if !link_local_ok(ctx, n.end, c.conn.as_ref(), rs) {
        return Ok(None);
    }
    c.kind = CheckKind::Dns(Box::new(DnsCheck {
        qtype,
        name: name.unwrap_or_default(),
    }));
    Ok(Some(c))
}

/// keepalived's empty-label test, including its quirk: the character after the first
/// one is tested like the one after each dot, so `a.example.com` is refused too.
fn has_empty_label(name: &str) -> bool {
    let b = name.as_bytes();
    if b.first() == Some(&b'.') && b.len() > 1 {
        return true;
    }
    b.get(1) == Some(&b'.')
        || b.iter()
            .enumerate()
            .skip(1)
            .any(|(i, c)| *c == b'.' && b.get(i + 1) == Some(&b'.'))
}

/// `UDP_CHECK { payload HEX; require_reply [HEX]; min_reply_length N; max_reply_length N }`.
pub fn udp(ctx: &mut Ctx, n: &Node, rs: &RsDraft) -> Result<Option<CheckerDraft>, Fatal> {
    let mut c = CheckerDraft::new(CheckKind::Tcp, rs, true, n.loc);
    let mut u = UdpCheck {
        payload: None,
        require_reply: false,
        reply: None,
        min_reply_len: 0,
        max_reply_len: 255,
    };
    for k in n.children() {
        match k.kw {
            "payload" => {
                if k.nargs() == 0 {
                    ctx.error(k.loc, "UDP_CHECK payload requires a payload");
                    continue;
                }
                match read::hex(&k.args().join(" "), false) {
                    Some(p) => u.payload = Some(p.data),
                    None => {
                        ctx.error(k.loc, "Invalid hex string for UDP_CHECK payload");
                        // keepalived keeps an earlier buffer with a zero length.
                        u.payload = u.payload.take().map(|_| Vec::new());
                    }
                }
            }
            "require_reply" => {
                u.require_reply = true;
                if k.nargs() == 0 {
                    continue;
                }
                u.reply = read::hex(&k.args().join(" "), true);
                if u.reply.is_none() {
                    ctx.error(k.loc, "Invalid hex string for UDP_CHECK reply");
                }
            }
            "min_reply_length" | "max_reply_length" => {
                let w = ctx::arg(&k, 0)?;
                match value::unsigned(ctx, k.loc, w, 0, u32::from(u16::MAX)) {
                    Some(v) if k.kw == "min_reply_length" => u.min_reply_len = v as u16,
                    Some(v) => u.max_reply_len = v as u16,
                    None => {
                        let which = &k.kw[..3];
                        let msg = format!(
                            "UDP_CHECK {which} length {w} not valid - must be between 0 & {}",
                            u16::MAX
                        );
                        ctx.error(k.loc, msg);
                    }
                }
            }
            _ => {
                common(ctx, &k, &mut c)?;
            }
        }
    }
    if !link_local_ok(ctx, n.end, c.conn.as_ref(), rs) {
        return Ok(None);
    }
    if u.min_reply_len > u.max_reply_len {
        let msg = format!(
            "UDP_CHECK min_reply length {} > max_reply_length {} - will always fail",
            u.min_reply_len, u.max_reply_len
        );
        ctx.error(n.end, msg);
    }
    c.kind = CheckKind::Udp(Box::new(u));
    Ok(Some(c))
}

/// `FILE_CHECK { track_file NAME; weight W [reverse|noreverse] }`; `index` is the root
/// node of the virtual server: only `track_file`s defined before it exist for keepalived.
pub fn file(ctx: &mut Ctx, env: &Env, n: &Node) -> Result<Option<FileCheck>, Fatal> {
    let mut track = None;
    let mut weight: Option<(i32, bool)> = None;
    for k in n.children() {
        match k.kw {
            "track_file" => {
                let w = ctx::arg(&k, 0)?;
                match env.track_file(w) {
                    Some(t) => track = Some(t),
                    None => ctx.error(k.loc, format!("track_file {w} not found")),
                }
            }
            "weight" => {
                if let Some(w) = file_weight(ctx, &k) {
                    weight = Some(w);
                }
            }
            _ => {}
        }
    }
    let Some(t) = track else {
        ctx.error(n.end, "FILE_CHECK has no track_file specified - ignoring");
        return Ok(None);
    };
    let (weight, reverse) = weight.unwrap_or((t.weight, t.reverse));
    Ok(Some(FileCheck {
        track_file: t.name.clone(),
        weight,
        reverse,
        loc: n.loc,
    }))
}

fn file_weight(ctx: &mut Ctx, k: &Node) -> Option<(i32, bool)> {
    let Some(w) = k.arg(0) else {
        ctx.error(k.loc, "track file weight missing");
        return None;
    };
    let Some(weight) = value::int(ctx, k.loc, w, -i32::MAX, i32::MAX) else {
        let msg = format!(
            "weight for track file must be in [{}..{}] inclusive. Ignoring...",
            -i32::MAX,
            i32::MAX
        );
        ctx.error(k.loc, msg);
        return None;
    };
    let reverse = match k.arg(1) {
        None | Some("noreverse") => false,
        Some("reverse") => true,
        Some(other) => {
            let msg = format!("unknown track file weight option {other} - ignoring");
            ctx.error(k.loc, msg);
            return None;
        }
    };
    Some((weight, reverse))
}
