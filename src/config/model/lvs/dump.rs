//! The `-d` text of the LVS model: every effective value, in keepalived's block syntax.

use super::{
    CheckDefaults, CheckKind, Checker, Connection, FileCheck, Forwarding, Granularity, GroupEntry,
    HexPattern, HttpCheck, Lvs, RealServer, Scheduler, Service, SorryServer, Ssl, TunnelChecksum,
    TunnelKind, VirtualServer, VsGroup,
};
use crate::config::dump::{word, Dump};
use crate::config::model::script::{dump_line, dump_user};

pub fn lvs(l: &Lvs, d: &mut Dump) {
    if let Some(s) = &l.ssl {
        ssl(s, d);
    }
    for g in &l.groups {
        group(g, d);
    }
    for vs in &l.virtual_servers {
        virtual_server(vs, d);
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn ssl(s: &Ssl, d: &mut Dump) {
    d.block("SSL", |d| {
        d.opt("password", s.password.as_deref().map(word));
        d.opt("ca", s.ca.as_deref().map(word));
        d.opt("certificate", s.certificate.as_deref().map(word));
        d.opt("key", s.key.as_deref().map(word));
    });
}

/// `IP [PORT]`, without a zero port.
fn ip_port(ip: impl std::fmt::Display, port: u16) -> String {
    if port == 0 {
        ip.to_string()
    } else {
        format!("{ip} {port}")
    }
}

fn group(g: &VsGroup, d: &mut Dump) {
    d.block(&format!("virtual_server_group {}", word(&g.name)), |d| {
        for e in &g.entries {
            match e {
                GroupEntry::Range {
                    first, last, port, ..
                } if first == last => d.raw(&ip_port(first, *port)),
                GroupEntry::Range {
                    first, last, port, ..
                } => d.raw(&ip_port(format!("{first}-{last}"), *port)),
                GroupEntry::Fwmark { mark, family, .. } => match family {
                    Some(f) => d.raw(&format!("fwmark {mark} {}", f.word())),
                    None => d.raw(&format!("fwmark {mark}")),
                },
            }
        }
    });
}

fn forwarding(f: &Forwarding) -> String {
    let t = match f {
        Forwarding::Nat => return "NAT".into(),
        Forwarding::Dr => return "DR".into(),
        Forwarding::Tun(t) => t,
    };
    let kind = match t.kind {
        TunnelKind::Ipip => return "TUN type ipip".into(),
        TunnelKind::Gue { port } => format!("gue port {port}"),
        TunnelKind::Gre => "gre".into(),
    };
    let csum = match t.checksum {
        TunnelChecksum::NoCsum => "nocsum",
        TunnelChecksum::Csum => "csum",
        TunnelChecksum::RemCsum => "remcsum",
    };
    format!("TUN type {kind} {csum}")
}

fn virtual_server(vs: &VirtualServer, d: &mut Dump) {
    let header = match &vs.service {
        Service::Addr { ip, port } => format!("virtual_server {}", ip_port(ip, *port)),
        Service::Fwmark(m) => format!("virtual_server fwmark {m}"),
        Service::Group { name, .. } => format!("virtual_server group {}", word(name)),
    };
    d.block(&header, |d| {
        d.opt("ip_family", vs.family.map(|f| f.word()));
        d.opt("protocol", vs.protocol.map(|p| p.word()));
        d.kv("lvs_sched", vs.scheduler.name());
        sched_flags(vs, d);
        if vs.ops {
            d.raw("ops");
        }
        d.kv("lvs_method", forwarding(&vs.forwarding));
        d.opt("persistence_timeout", vs.persistence_timeout);
        match vs.persistence_granularity {
            Some(Granularity::V4(m)) => d.kv("persistence_granularity", m),
            Some(Granularity::V6(p)) => d.kv("persistence_granularity", p),
            None => {}
        }
        d.opt(
            "persistence_engine",
            vs.persistence_engine.as_deref().map(word),
        );
        for (set, kw) in [
            (vs.ha_suspend, "ha_suspend"),
            (vs.alpha, "alpha"),
            (vs.omega, "omega"),
            (vs.inhibit_on_failure, "inhibit_on_failure"),
        ] {
            if set {
                d.raw(kw);
            }
        }
        // Zero only when the real servers weigh nothing (keepalived lowers it), and then
        // keepalived always sets the hysteresis below it (wrapping around).
        d.nonzero("quorum", vs.quorum);
        if vs.quorum == 0 {
            d.raw(&format!("# hysteresis {}", vs.hysteresis));
        } else {
            d.kv("hysteresis", vs.hysteresis);
        }
        if let Some(s) = &vs.quorum_up {
            dump_line(d, "quorum_up", s);
        }
        if let Some(s) = &vs.quorum_down {
            dump_line(d, "quorum_down", s);
        }
        let portless = portless_servers(vs);
        if let Some(s) = &vs.sorry_server {
            sorry_server(vs, s, &portless, d);
        }
        d.opt("virtualhost", vs.virtualhost.as_deref().map(word));
        d.kv("smtp_alert", yes_no(vs.smtp_alert));
        d.kv("weight", vs.weight);
        defaults(&vs.defaults, d);
        for (rs, portless) in vs.real_servers.iter().zip(portless) {
            real_server(rs, portless, d);
        }
    });
}

fn sched_flags(vs: &VirtualServer, d: &mut Dump) {
    let f = vs.sched_flags;
    let (one, two) = match vs.scheduler {
        Scheduler::Sh => ("sh-fallback", "sh-port"),
        Scheduler::Mh => ("mh-fallback", "mh-port"),
        _ => ("flag-1", "flag-2"),
    };
    for (set, kw) in [(f.flag1, one), (f.flag2, two), (f.flag3, "flag-3")] {
        if set {
            d.raw(kw);
        }
    }
}

/// keepalived gives a sorry server the `inhibit_on_failure` of a real server with the same
/// address and port as configured, before it fills in the virtual server's port for DR and
/// TUN. Such a sorry server is written without its port when with it, it would match a
/// server with another setting.
fn sorry_server(vs: &VirtualServer, s: &SorryServer, portless: &[bool], d: &mut Dump) {
    // The real servers with their ports as written.
    let written = vs
        .real_servers
        .iter()
        .zip(portless)
        .map(|(r, pl)| (r, if *pl { 0 } else { r.port }));
    let clashes = |port: u16| {
        let other = |r: &RealServer| r.ip == s.ip && r.inhibit_on_failure != s.inhibit;
        written.clone().any(|(r, p)| p == port && other(r))
    };
    let fills_in = s.forwarding != Forwarding::Nat && matches!(vs.service, Service::Addr { .. });
    if fills_in && clashes(s.port) && !clashes(0) {
        d.raw(&format!("sorry_server {} # port {}", s.ip, s.port));
    } else {
        d.kv("sorry_server", ip_port(s.ip, s.port));
    }
    d.kv("sorry_server_lvs_method", forwarding(&s.forwarding));
    if s.inhibit {
        d.raw("sorry_server_inhibit");
    }
}

fn defaults(c: &CheckDefaults, d: &mut Dump) {
    d.kv("delay_loop", c.delay_loop);
    d.kv("connect_timeout", c.connect_timeout);
    d.opt("retry", c.retry);
    d.opt("delay_before_retry", c.delay_before_retry);
    d.opt("warmup", c.warmup);
}

/// Which real servers were given without a port, the virtual server's being filled in
/// later; their headers leave it out again. A checker connecting to port 0 shows one (it
/// took the port as configured). Two servers with the same address and port can only be
/// one with the port and one without (keepalived removes duplicates before filling in).
fn portless_servers(vs: &VirtualServer) -> Vec<bool> {
    let rss = &vs.real_servers;
    let mut out: Vec<bool> = rss
        .iter()
        .map(|rs| {
            let conn_port = |c: &Checker| c.conn.as_ref().map(|k| k.port);
            rs.port != 0 && rs.checkers.iter().any(|c| conn_port(c) == Some(0))
        })
        .collect();
    for j in 0..rss.len() {
        let same = |i: &usize| rss[*i].ip == rss[j].ip && rss[*i].port == rss[j].port;
        if let Some(i) = (0..j).find(same) {
            if !out[i] && !out[j] {
                out[j] = true;
            }
        }
    }
    out
}

fn real_server(rs: &RealServer, portless: bool, d: &mut Dump) {
    let (header, note) = if portless {
        (rs.ip.to_string(), Some(format!("port {}", rs.port)))
    } else {
        (ip_port(rs.ip, rs.port), None)
    };
    d.noted_block(&format!("real_server {header}"), note.as_deref(), |d| {
        d.kv("weight", rs.weight);
        d.kv("lvs_method", forwarding(&rs.forwarding));
        d.kv("uthreshold", rs.u_threshold);
        d.kv("lthreshold", rs.l_threshold);
        d.kv("inhibit_on_failure", yes_no(rs.inhibit_on_failure));
        d.kv("alpha", yes_no(rs.defaults.alpha));
        if let Some(s) = &rs.notify_up {
            dump_line(d, "notify_up", s);
        }
        if let Some(s) = &rs.notify_down {
            dump_line(d, "notify_down", s);
        }
        d.kv("smtp_alert", yes_no(rs.smtp_alert));
        d.opt("virtualhost", rs.virtualhost.as_deref().map(word));
        defaults(&rs.defaults, d);
        for c in &rs.checkers {
            checker(c, d);
        }
        for f in &rs.file_checks {
            file_check(f, d);
        }
    });
}

fn checker(c: &Checker, d: &mut Dump) {
    d.block(c.kind.keyword(), |d| {
        if let Some(k) = &c.conn {
            connection(k, &c.kind, d);
        }
        d.kv("retry", c.retry);
        d.kv("delay_before_retry", c.delay_before_retry);
        d.kv("warmup", c.warmup);
        d.kv("delay_loop", c.delay_loop);
        d.kv("alpha", yes_no(c.alpha));
        d.kv("log_all_failures", yes_no(c.log_all_failures));
        kind(&c.kind, d);
    });
}

/// The connection keywords. keepalived leaves the timeout of an SMTP_CHECK `host` block
/// at 0 when the block sets none, which no `connect_timeout` can say: such a connection
/// is written as a `host` block again.
fn connection(k: &Connection, kind: &CheckKind, d: &mut Dump) {
    let keywords = |d: &mut Dump| {
        // keepalived takes a `bindto` of another family than the destination only while
        // no destination is set: in an SMTP_CHECK, which defaults it to the real server at
        // the end of the block. Such a connection is written without `connect_ip`.
        if k.bind_ip.is_some_and(|b| b.is_ipv4() != k.ip.is_ipv4()) {
            d.raw(&format!("# connect_ip {}", k.ip));
        } else {
            d.kv("connect_ip", k.ip);
        }
        if k.port != 0 {
            d.kv("connect_port", k.port);
        }
        d.opt("bindto", k.bind_ip);
        d.opt("bind_port", k.bind_port);
        d.opt("bind_if", k.bind_if.as_deref().map(word));
        if k.fwmark != 0 {
            d.kv("fwmark", k.fwmark);
        }
    };
    if k.timeout.as_micros() == 0 && matches!(kind, CheckKind::Smtp { .. }) {
        d.block("host", keywords);
        d.raw("# connect_timeout 0");
    } else {
        keywords(d);
        d.kv("connect_timeout", k.timeout);
    }
}

fn kind(k: &CheckKind, d: &mut Dump) {
    match k {
        CheckKind::Tcp | CheckKind::Ping => {}
        CheckKind::Http(h) | CheckKind::Ssl(h) => http(h, d),
        CheckKind::Smtp { helo_name } => d.kv("helo_name", word(helo_name)),
        CheckKind::Dns(x) => {
            d.kv("type", x.qtype.word());
            if !x.name.is_empty() {
                d.kv("name", word(&x.name));
            }
        }
        CheckKind::Misc(m) => {
            d.kv("misc_path", m.script.config_word());
            dump_user(d, &m.script);
            d.kv("misc_timeout", m.timeout);
            if m.dynamic {
                d.raw("misc_dynamic");
            }
        }
        CheckKind::Udp(u) => {
            if let Some(p) = &u.payload {
                d.kv(
                    "payload",
                    hex(&HexPattern {
                        data: p.clone(),
                        mask: None,
                    }),
                );
            }
            match (&u.reply, u.require_reply) {
                (Some(r), _) => d.kv("require_reply", hex(r)),
                (None, true) => d.raw("require_reply"),
                (None, false) => {}
            }
            d.kv("min_reply_length", u.min_reply_len);
            d.kv("max_reply_length", u.max_reply_len);
        }
    }
}

fn http(h: &HttpCheck, d: &mut Dump) {
    d.opt("virtualhost", h.virtualhost.as_deref().map(word));
    d.kv("http_protocol", h.http_protocol.word());
    d.kv("enable_sni", yes_no(h.enable_sni));
    d.kv("fast_recovery", yes_no(h.fast_recovery));
    for u in &h.urls {
        d.block("url", |d| {
            d.kv("path", word(&u.path));
            if let Some(dg) = &u.digest {
                let text: String = dg.iter().map(|b| format!("{b:02x}")).collect();
                d.kv("digest", text);
            }
            let codes: Vec<String> = u
                .status_codes
                .ranges()
                .into_iter()
                .map(|(lo, hi)| {
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}-{hi}")
                    }
                })
                .collect();
            d.kv("status_code", codes.join(" "));
            d.opt("virtualhost", u.virtualhost.as_deref().map(word));
            if let Some(r) = &u.regex {
                d.kv("regex", format!("\"{}\"", r.pattern));
                if !r.options.is_empty() {
                    d.kv("regex_options", r.options.join(" "));
                }
                if r.no_match {
                    d.raw("regex_no_match");
                }
                if r.min_offset != 0 {
                    d.kv("regex_min_offset", r.min_offset.to_string());
                }
                if let Some(m) = r.max_offset {
                    d.kv("regex_max_offset", m.to_string());
                }
            }
        });
    }
}

/// Hex bytes, `X` for wildcard nibbles.
fn hex(p: &HexPattern) -> String {
    let mut out = String::new();
    for (i, b) in p.data.iter().enumerate() {
        let m = p.mask.as_ref().and_then(|m| m.get(i)).copied().unwrap_or(0);
        for (shift, nib_mask) in [(4, 0xf0), (0, 0x0f)] {
            if m & nib_mask != 0 {
                out.push('X');
            } else {
                out.push_str(&format!("{:x}", (b >> shift) & 0xf));
            }
        }
    }
    out
}

fn file_check(f: &FileCheck, d: &mut Dump) {
    d.block("FILE_CHECK", |d| {
        d.kv("track_file", word(&f.track_file));
        if f.reverse {
            d.raw(&format!("weight {} reverse", f.weight));
        } else {
            d.kv("weight", f.weight);
        }
    });
}
