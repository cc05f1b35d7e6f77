//! Route metrics: `mtu`, `advmss`, `rtt`, `rttvar`, `reordering`, `window`, `cwnd`,
//! `ssthresh`, `rto_min`, `initcwnd`, `initrwnd`, `hoplimit`, `quickack`, `congctl`,
//! `features ecn`, `fastopen_no_cookie`; most may be preceded by `lock`.

use std::fmt;

use crate::config::ctx::{self, Ctx};
use crate::config::diag::Loc;
use crate::config::reader::Line;
use crate::config::text;
use crate::config::value;

/// The kernel's limits on TCP retransmission timers, in milliseconds.
const RTT_MIN_MS: u64 = 200;
const RTT_MAX_MS: u64 = 120_000;

/// A metric value, and whether `lock` keeps the kernel from changing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric<T> {
    pub value: T,
    pub lock: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub mtu: Option<Metric<u32>>,
    pub advmss: Option<Metric<u32>>,
    /// In the kernel's unit, 1/8 ms.
    pub rtt: Option<Metric<u32>>,
    /// In the kernel's unit, 1/4 ms.
    pub rttvar: Option<Metric<u32>>,
    pub reordering: Option<Metric<u32>>,
    pub window: Option<u32>,
    pub cwnd: Option<Metric<u32>>,
    pub ssthresh: Option<Metric<u32>>,
    /// Milliseconds.
    pub rto_min: Option<Metric<u32>>,
    pub initcwnd: Option<u32>,
    pub initrwnd: Option<u32>,
    pub hoplimit: Option<u8>,
    pub quickack: Option<bool>,
    pub congctl: Option<Metric<String>>,
    /// `features ecn`.
    pub ecn: bool,
    pub fastopen_no_cookie: Option<bool>,
}

/// What a word did, if it is a metric word.
pub enum MetricStep {
    NotMetric,
    At(usize),
    Drop,
}

/// How a lockable metric's value is read.
#[derive(Clone, Copy)]
enum Reading {
    Count,
    /// A time (`N`, `Ns`, `Nms`, keepalived's `get_time_rtt`) in units of 1/`per_ms` ms.
    Time {
        per_ms: u64,
    },
}

impl Metrics {
    /// Reads the metric word at `i`.
    pub fn parse(
        &mut self,
        ctx: &mut Ctx,
        line: &Line,
        i: usize,
    ) -> Result<MetricStep, crate::config::diag::Fatal> {
        let loc = line.loc;
        let word = line.word(i).unwrap_or_default();
        let lockable = match word {
            "mtu" => Some((Reading::Count, "Invalid MTU %s specified for route")),
            "advmss" => Some((Reading::Count, "Invalid advmss %s specified for route")),
            "rtt" => Some((Reading::Time { per_ms: 8 }, "Invalid rtt %s for route")),
            "rttvar" => Some((Reading::Time { per_ms: 4 }, "Invalid rttvar %s for route")),
            "reordering" => Some((
                Reading::Count,
                "Invalid reordering value %s specified for route",
            )),
            "cwnd" => Some((Reading::Count, "Invalid cwnd value %s specified for route")),
            "ssthresh" => Some((
                Reading::Count,
                "Invalid ssthresh value %s specified for route",
            )),
            "rto_min" => Some((
                Reading::Time { per_ms: 1 },
                "Invalid rto_min value %s specified for route",
            )),
            _ => None,
        };
        if let Some((reading, what)) = lockable {
            let mut at = i + 1;
            let lock = ctx::word(line, at)? == "lock";
            if lock {
                at += 1;
            }
            let v = ctx::word(line, at)?;
            let value = match reading {
                Reading::Count => value::unsigned(ctx, loc, v, 0, u32::MAX),
                Reading::Time { per_ms } => rtt_time(ctx, loc, v, per_ms),
            };
            let Some(value) = value else {
                ctx.error(loc, what.replace("%s", v));
                return Ok(MetricStep::Drop);
            };
            let slot = self.lockable(word);
            // A lock given earlier for the same metric stays.
            let lock = lock || slot.as_ref().is_some_and(|m| m.lock);
            *slot = Some(Metric { value, lock });
            return Ok(MetricStep::At(at + 1));
        }
        let counted = match word {
            "window" => Some(("Invalid window value %s specified for route", u32::MAX)),
            "initcwnd" => Some(("Invalid initcwnd value %s specified for route", u32::MAX)),
            "initrwnd" => Some(("Invalid initrwnd value %s specified for route", u32::MAX)),
            "hoplimit" => Some(("Invalid hoplimit %s specified for route", 255)),
            "quickack" => Some(("Invalid quickack value %s specified for route", 1)),
            "fastopen_no_cookie" => {
                Some(("Invalid fastopen_no_cookie value %s specified for route", 1))
            }
            _ => None,
        };
        if let Some((what, max)) = counted {
            let v = ctx::word(line, i + 1)?;
            let Some(n) = value::unsigned(ctx, loc, v, 0, max) else {
                ctx.error(loc, what.replace("%s", v));
                return Ok(MetricStep::Drop);
            };
            match word {
                "window" => self.window = Some(n),
                "initcwnd" => self.initcwnd = Some(n),
                "initrwnd" => self.initrwnd = Some(n),
                "hoplimit" => self.hoplimit = Some(n as u8),
                "quickack" => self.quickack = Some(n == 1),
                _ => self.fastopen_no_cookie = Some(n == 1),
            }
            return Ok(MetricStep::At(i + 2));
        }
        match word {
            "features" => {
                let v = ctx::word(line, i + 1)?;
                if v == "ecn" {
                    self.ecn = true;
                } else {
                    ctx.error(loc, format!("feature {v} not supported"));
                }
                Ok(MetricStep::At(i + 2))
            }
            "congctl" => {
                let mut at = i + 1;
                let lock = ctx::word(line, at)? == "lock";
                if lock {
                    at += 1;
                }
                let v = ctx::word(line, at)?;
                let lock = lock || self.congctl.as_ref().is_some_and(|m| m.lock);
                self.congctl = Some(Metric {
                    value: v.to_string(),
                    lock,
                });
                Ok(MetricStep::At(at + 1))
            }
            _ => Ok(MetricStep::NotMetric),
        }
    }

    fn lockable(&mut self, word: &str) -> &mut Option<Metric<u32>> {
        match word {
            "mtu" => &mut self.mtu,
            "advmss" => &mut self.advmss,
            "rtt" => &mut self.rtt,
            "rttvar" => &mut self.rttvar,
            "reordering" => &mut self.reordering,
            "cwnd" => &mut self.cwnd,
            "ssthresh" => &mut self.ssthresh,
            _ => &mut self.rto_min,
        }
    }
}

/// keepalived's `get_time_rtt()`: a number with an optional `s`/`sec`/`secs`/`ms` unit.
/// Without a unit the number is already in the metric's unit (1/`per_ms` ms). Values
/// outside the kernel's 200 ms .. 120 s are brought inside it, with a note.
fn rtt_time(ctx: &mut Ctx, loc: Loc, word: &str, per_ms: u64) -> Option<u32> {
    let s = word.trim_start_matches(text::is_ws);
    let (number, places, raw) = match s.find(['s', 'S']) {
        Some(p) => {
            let unit = &s[p..];
            if !["s", "sec", "secs"]
                .iter()
                .any(|u| unit.eq_ignore_ascii_case(u))
            {
                return None;
            }
            let ms = p > 0 && s.as_bytes()[p - 1].eq_ignore_ascii_case(&b'm');
            let end = if ms { p - 1 } else { p };
            if end == 0 {
                return None;
            }
            (&s[..end], if ms { 0 } else { 3 }, false)
        }
        None => (s, 0, true),
    };
    if number.contains(['e', 'E']) {
        ctx.info(
            loc,
            format!("rtt value exponential form {s} no longer supported"),
        );
        return None;
    }
    let max = RTT_MAX_MS * per_ms;
    let mut v = value::decimal(ctx, loc, number, 0, max, places)?;
    if !raw {
        v *= per_ms;
    }
    if v > max {
        ctx.info(
            loc,
            format!(
                "rtt value {s} exceeds maximum {}s, resetting",
                RTT_MAX_MS / 1000
            ),
        );
        v = max;
    } else if v < RTT_MIN_MS * per_ms {
        ctx.info(
            loc,
            format!("rtt value {s} below minimum {RTT_MIN_MS}ms, resetting"),
        );
        v = RTT_MIN_MS * per_ms;
    }
    Some(v as u32)
}

/// Writes the set metrics as route words, each with a leading space.
impl fmt::Display for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let locked = [
            ("mtu", &self.mtu),
            ("advmss", &self.advmss),
            ("rtt", &self.rtt),
            ("rttvar", &self.rttvar),
            ("reordering", &self.reordering),
            ("cwnd", &self.cwnd),
            ("ssthresh", &self.ssthresh),
            ("rto_min", &self.rto_min),
        ];
        for (name, m) in locked {
            if let Some(m) = m {
                let lock = if m.lock { " lock" } else { "" };
                write!(f, " {name}{lock} {}", m.value)?;
            }
        }
        let plain = [
            ("window", self.window),
            ("initcwnd", self.initcwnd),
            ("initrwnd", self.initrwnd),
            ("hoplimit", self.hoplimit.map(u32::from)),
            ("quickack", self.quickack.map(u32::from)),
            ("fastopen_no_cookie", self.fastopen_no_cookie.map(u32::from)),
        ];
        for (name, v) in plain {
            if let Some(v) = v {
                write!(f, " {name} {v}")?;
            }
        }
        if let Some(c) = &self.congctl {
            let lock = if c.lock { " lock" } else { "" };
            write!(f, " congctl{lock} {}", c.value)?;
        }
        if self.ecn {
            f.write_str(" features ecn")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ctx::tests::ctx_with;

    #[test]
    fn rtt_units_and_limits() {
        ctx_with(|c| {
            let l = Loc::default();
            assert_eq!(rtt_time(c, l, "1s", 8), Some(8000));
            assert_eq!(rtt_time(c, l, "500ms", 8), Some(4000));
            assert_eq!(rtt_time(c, l, "0.5sec", 4), Some(2000));
            assert_eq!(rtt_time(c, l, "1600", 8), Some(1600));
            assert_eq!(rtt_time(c, l, "100", 8), Some(1600));
            assert_eq!(rtt_time(c, l, "200s", 8), Some(960_000));
            assert_eq!(rtt_time(c, l, "1e3", 1), None);
            assert_eq!(rtt_time(c, l, "s", 1), None);
            assert_eq!(rtt_time(c, l, "5sx", 1), None);
            let msgs: Vec<_> = c.diags().list.iter().map(|d| d.msg.clone()).collect();
            assert_eq!(
                msgs,
                [
                    "rtt value 100 below minimum 200ms, resetting",
                    "rtt value 200s exceeds maximum 120s, resetting",
                    "rtt value exponential form 1e3 no longer supported",
                ]
            );
        });
    }
}
