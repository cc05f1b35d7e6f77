//! The checker timing keywords of virtual and real servers (`retry`, `delay_before_retry`,
//! `warmup`, `connect_timeout`, `delay_loop`): defaults handed down to their checkers.

use super::draft::TimingSet;
use super::read::{self, UINT_TIMER_MAX};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::parser::Node;
use crate::config::value;

/// Whose keywords: keepalived words their messages differently.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Virtual,
    Real,
}

impl Server {
    /// The message for an invalid value `w` of keyword `kw`.
    fn invalid(self, kw: &str, w: &str) -> String {
        match (self, kw) {
            (Server::Virtual, "delay_before_retry") => {
                format!("virtual server delay before retry '{w}' invalid - ignoring")
            }
            (Server::Virtual, "delay_loop") => {
                format!("virtual server delay loop '{w}' invalid - ignoring")
            }
            (Server::Virtual, "connect_timeout") => {
                format!("virtual server connect_timeout {w} invalid - ignoring")
            }
            (Server::Virtual, _) => format!("virtual server {kw} '{w}' invalid - ignoring"),
            (Server::Real, "connect_timeout") => {
                format!("real server connect_timeout {w} invalid - ignoring")
            }
            (Server::Real, _) => format!("real server {kw} '{w}' invalid - ignoring"),
        }
    }
}

/// Applies a timing keyword; false when `n` is none.
pub fn keyword(ctx: &mut Ctx, n: &Node, t: &mut TimingSet, who: Server) -> Result<bool, Fatal> {
    let loc = n.loc;
    let (min, max) = match n.kw {
        "retry" => {
            let w = ctx::arg(n, 0)?;
            match value::unsigned(ctx, loc, w, 1, u32::MAX) {
                Some(v) => t.set().retry = Some(v),
                None => ctx.error(loc, format!("retry value invalid - {w}")),
            }
            return Ok(true);
        }
        "delay_before_retry" | "warmup" => (0, 0),
        "connect_timeout" => (1, UINT_TIMER_MAX),
        "delay_loop" => (1, 0),
        _ => return Ok(false),
    };
    let w = ctx::arg(n, 0)?;
    let Some(v) = read::timer(ctx, loc, w, min, max) else {
        ctx.error(loc, who.invalid(n.kw, w));
        return Ok(true);
    };
    match n.kw {
        "delay_before_retry" => t.set().delay_before_retry = Some(v),
        "warmup" => t.set().warmup = Some(v),
        "delay_loop" => t.set().delay_loop = Some(v),
        // For a real server keepalived's "unset" marker is this very value.
        _ if who == Server::Real && v.as_micros() == UINT_TIMER_MAX => {
            t.set().connect_timeout = None
        }
        _ => t.set().connect_timeout = Some(v),
    }
    Ok(true)
}
