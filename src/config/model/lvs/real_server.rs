//! `real_server IP [PORT] { ... }` and its checkers, read in order.

use super::draft::{Drafts, Env, Method, RsDraft, TimingSet, VsDraft};
use super::read;
use super::timing::{self, Server};
use super::virtual_server::{notify_script, WEIGHT_MAX};
use super::{checker, Family};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::model::script::Script;
use crate::config::parser::Node;
use crate::config::value;
use crate::limits;

pub fn parse(
    ctx: &mut Ctx,
    env: &Env,
    node: &Node,
    vs: &mut VsDraft,
    d: &mut Drafts,
) -> Result<(), Fatal> {
    let ip_word = ctx::arg(node, 0)?;
    let port_word = node.arg(1);
    let Some((ip, port)) = read::sockaddr(ctx, node.loc, ip_word, read::port_word(port_word))
    else {
        let msg = format!(
            "Invalid real server ip address/port {ip_word}/{} - skipping",
            port_word.unwrap_or("(null)")
        );
        ctx.error(node.loc, msg);
        return Ok(());
    };
    if let Some(msg) = over_limit(vs.rs.len(), d.real_servers) {
        ctx.error(node.loc, msg);
        return Ok(());
    }
    let mut rs = RsDraft {
        ip,
        port,
        fwd: vs.fwd,
        weight: None,
        u_threshold: 0,
        l_threshold: 0,
        inhibit: None,
        alpha: None,
        notify_up: None,
        notify_down: None,
        timing: TimingSet::default(),
        smtp_alert: None,
        virtualhost: None,
        checkers: Vec::new(),
        file_checks: Vec::new(),
        loc: node.loc,
    };
    for n in node.children() {
        if !keyword(ctx, env, &n, vs, &mut rs)? {
            checker::parse(ctx, env, &n, vs, &mut rs, &mut d.checkers)?;
        }
    }
    // keepalived's end of the block: a non-tunnelled server fixes or must match the
    // family of its virtual server.
    if rs.fwd.method != Some(Method::Tun) {
        let af = Family::of(&rs.ip);
        match vs.af {
            None => vs.af = Some(af),
            Some(cur) if cur != af => {
                let msg = format!(
                    "Address family of virtual server and real server {} don't match - skipping real server.",
                    rs.ip
                );
                ctx.error(node.end, msg);
                return Ok(());
            }
            Some(_) => {}
        }
    }
    d.real_servers += 1;
    vs.rs.push(rs);
    Ok(())
}

fn over_limit(in_vs: usize, total: usize) -> Option<String> {
    if in_vs >= limits::MAX_REAL_SERVERS_PER_VS {
        return Some(format!(
            "real server: this virtual server has more than MAX_REAL_SERVERS_PER_VS ({}) real servers - skipping",
            limits::MAX_REAL_SERVERS_PER_VS
        ));
    }
    (total >= limits::MAX_REAL_SERVERS).then(|| {
        format!(
            "real server: the configuration has more than MAX_REAL_SERVERS ({}) real servers - skipping",
            limits::MAX_REAL_SERVERS
        )
    })
}

/// The real server's own keywords; false for a checker.
fn keyword(
    ctx: &mut Ctx,
    env: &Env,
    n: &Node,
    vs: &VsDraft,
    rs: &mut RsDraft,
) -> Result<bool, Fatal> {
    if timing::keyword(ctx, n, &mut rs.timing, Server::Real)? {
        return Ok(true);
    }
    let loc = n.loc;
    match n.kw {
        "weight" => {
            let w = ctx::arg(n, 0)?;
            match value::unsigned(ctx, loc, w, 0, WEIGHT_MAX) {
                Some(v) => rs.weight = Some(v),
                None => ctx.error(
                    loc,
                    format!("Real server weight {w} is outside range 0-{WEIGHT_MAX}"),
                ),
            }
        }
        "lvs_method" => super::forward::forwarding(ctx, n, &mut rs.fwd, "real")?,
        "uthreshold" | "lthreshold" => {
            let w = ctx::arg(n, 0)?;
            match value::unsigned(ctx, loc, w, 0, u32::MAX) {
                Some(v) if n.kw == "uthreshold" => rs.u_threshold = v,
                Some(v) => rs.l_threshold = v,
                None => ctx.error(
                    loc,
                    format!("Invalid real_server {} '{w}' - ignoring", n.kw),
                ),
            }
        }
        "inhibit_on_failure" => {
            if let Some(v) = read::flag(ctx, n, "Invalid inhibit_on_failure parameter") {
                rs.inhibit = Some(v);
            }
        }
        "notify_up" => notify(ctx, env, n, vs, &mut rs.notify_up)?,
        "notify_down" => notify(ctx, env, n, vs, &mut rs.notify_down)?,
        "alpha" => {
            if let Some(v) = read::flag(ctx, n, "Invalid alpha parameter") {
                rs.alpha = Some(v);
            }
        }
        "smtp_alert" => {
            if let Some(v) = read::flag(ctx, n, "Invalid real_server smtp_alert parameter") {
                rs.smtp_alert = Some(v);
            }
        }
        "virtualhost" => match n.arg(0) {
            Some(h) => rs.virtualhost = Some(h.to_string()),
            None => ctx.error(loc, "real server virtualhost missing"),
        },
        "snmp_name" => {}
        _ => return Ok(false),
    }
    Ok(true)
}

fn notify(
    ctx: &mut Ctx,
    env: &Env,
    n: &Node,
    vs: &VsDraft,
    slot: &mut Option<Box<Script>>,
) -> Result<(), Fatal> {
    let w = ctx::arg(n, 0)?;
    if slot.is_some() {
        let msg = format!(
            "({}) {} script already specified - ignoring {w}",
            vs.group_name(),
            n.kw
        );
        ctx.error(n.loc, msg);
        return Ok(());
    }
    *slot = notify_script(ctx, env, n, "notify")?.map(Box::new);
    Ok(())
}
