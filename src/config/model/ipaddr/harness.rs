//! Test support shared by the address, route and rule tests: reads a configuration and runs
//! every line of its address, route and rule blocks through the parsers, as the VRRP
//! builder does, against fixed iproute2 name files.

use super::*;
use crate::config::diag::Diagnostics;
use crate::config::host::FakeHost;
use crate::config::model::{route, rule};
use crate::config::parser::{self, Node};
use crate::config::reader::Reader;

const FILES: &[(&str, &str)] = &[
    (
        "rt_tables",
        "255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#1\tinr.ruhep\n",
    ),
    ("rt_dsfield", "0x0\tdefault\n0x28\tAF11\n0xB8\tEF\n"),
    (
        "rt_protos",
        "0\tunspec\n2\tkernel\n3\tboot\n4\tstatic\n18\tkeepalived\n186\tbgp\n",
    ),
    ("rt_realms", "0\tcosmos\n"),
    (
        "rt_scopes",
        "0\tglobal\n255\tnowhere\n254\thost\n253\tlink\n200\tsite\n",
    ),
    ("group", "0\tdefault\n"),
    (
        "protocols",
        "ip\t0\tIP\ntcp\t6\tTCP\nudp\t17\tUDP\nipv6-icmp 58 IPv6-ICMP\n",
    ),
];

/// Name files like this machine's /etc/iproute2, written once per test process.
pub fn names() -> RtNames {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ka-addr-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in FILES {
            std::fs::write(dir.join(name), text).expect("temp file");
        }
        dir
    });
    RtNames::new(dir, dir.join("protocols"))
}

/// What one configuration gave: exit status, messages (line, level, text), and the
/// normalised lines of what was kept, with the keyword of their block.
pub struct Outcome {
    pub exit: i32,
    pub msgs: Vec<(u32, Level, String)>,
    pub kept: Vec<(&'static str, String)>,
}

impl Outcome {
    /// Messages as `LINE: text`, without repeats, as the comparison script prints them
    /// from keepalived's `-t` (which sends its plain log lines to syslog only).
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (l, _, m) in self.msgs.iter().filter(|m| m.1 != Level::Info) {
            let s = if *l == 0 {
                m.clone()
            } else {
                format!("{l}: {m}")
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

pub fn run(text: &str) -> Outcome {
    run_with(text, &FakeHost::new())
}

pub fn run_with(text: &str, host: &FakeHost) -> Outcome {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("ka-addr-{}-{n}.conf", std::process::id()));
    std::fs::write(&path, text).expect("temp file");
    let out = run_file(&path.to_string_lossy(), host);
    let _ = std::fs::remove_file(&path);
    out
}

/// Feeds what `text` kept back in, as normalised lines: they must read back to the same
/// lines without a message.
pub fn assert_round_trip(text: &str) {
    let first = run(text);
    let mut again = String::new();
    let mut vips = String::new();
    for (kw, line) in &first.kept {
        let block = format!("{kw} {{\n{line}\n}}\n");
        if kw.starts_with("virtual_") {
            vips.push_str(&block);
        } else {
            again.push_str(&block);
        }
    }
    again.push_str(&format!("vrrp_instance VI {{\n{vips}}}\n"));
    let second = run(&again);
    assert_eq!(second.lines(), Vec::<String>::new(), "{again}");
    let (mut a, mut b) = (first.kept, second.kept);
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

pub fn run_file(path: &str, host: &FakeHost) -> Outcome {
    let mut diags = Diagnostics::default();
    let nodes = {
        let mut r = Reader::open(&mut diags, path, "node1", 0, 1);
        parser::parse(&mut r)
    };
    let mut kept = Vec::new();
    let mut fatal = false;
    {
        let mut ctx = Ctx::new(&mut diags, host);
        let mut env = LineEnv::with_names(None, names());
        let roots = nodes.iter().filter_map(parser::Tree::root);
        if let Err(f) = walk(&mut ctx, &mut env, roots, &mut kept) {
            ctx.report(f.loc, Level::Fatal, f.msg);
            fatal = true;
        } else if ctx.missing_interface {
            // What keepalived's VRRP start-up then says (the VRRP builder's part).
            let msg = "Non-existent interface specified in configuration";
            ctx.report(Loc::default(), Level::BadIf, msg);
        }
    }
    let msgs = diags
        .list
        .iter()
        .map(|d| (d.loc.line, d.level, d.msg.clone()))
        .collect();
    let exit = if fatal { 2 } else { diags.exit_code() };
    Outcome { exit, msgs, kept }
}

fn walk<'t>(
    ctx: &mut Ctx,
    env: &mut LineEnv,
    nodes: impl Iterator<Item = Node<'t>>,
    kept: &mut Vec<(&'static str, String)>,
) -> Result<(), Fatal> {
    for n in nodes {
        let uses = match n.kw {
            "global_defs" => {
                let dflt = n.children().find(|c| c.kw == "default_interface");
                if let Some(name) = dflt.and_then(|c| c.arg(0)) {
                    env.default_interface = name.to_string();
                }
                if n.children().any(|c| c.kw == "dynamic_interfaces") {
                    ctx.dynamic_interfaces = true;
                }
                continue;
            }
            "track_group" => {
                env.track_groups.extend(n.arg(0).map(str::to_string));
                continue;
            }
            "vrrp_instance" => {
                walk(ctx, env, n.children(), kept)?;
                continue;
            }
            "static_ipaddress" => Some(AddrUse::Static),
            "virtual_ipaddress" => Some(AddrUse::Vip),
            "virtual_ipaddress_excluded" => Some(AddrUse::Evip),
            _ => None,
        };
        for line in n.values() {
            let shown = match (uses, n.kw) {
                (Some(u), _) => parse(ctx, line, u, env)?.map(|a| a.to_string()),
                (None, "static_routes" | "virtual_routes") => {
                    route::parse(ctx, line, n.kw == "static_routes", env)?.map(|r| r.to_string())
                }
                (None, "static_rules" | "virtual_rules") => {
                    rule::parse(ctx, line, n.kw == "static_rules", env)?.map(|r| r.to_string())
                }
                _ => None,
            };
            kept.extend(shown.map(|l| (n.kw, l)));
        }
    }
    Ok(())
}

/// Random lines made of the words of all three line kinds never panic a parser, and what
/// a parser keeps reads back from its normalised line.
#[test]
fn random_lines_never_panic_and_read_back() {
    const HEADS: &[&str] = &[
        "10.0.0.1/24",
        "fe80::1/64",
        "10.0.0.0/8",
        "2001:db8::/64",
        "default",
        "all",
        "blackhole 10.0.0.0/8",
        "from 10.0.0.0/8",
        "to 2001:db8::/64",
        "inet6 x",
        "not",
        "throw default6",
        "from 10.0.0.0/8 lookup 100",
        "not to all nop",
        "x",
        "",
    ];
    const PARTS: &[&str] = &[
        "dev eth0",
        "dev eth9",
        "brd +",
        "brd -",
        "broadcast 10.0.0.255",
        "scope link",
        "scope 7",
        "label l1",
        "peer 10.0.0.2",
        "peer fe80::2",
        "home",
        "-nodad",
        "mngtmpaddr",
        "noprefixroute",
        "autojoin",
        "preferred_lft forever",
        "preferred_lft 30",
        "track_group 0",
        "use_vmac",
        "no_track",
        "src 10.0.0.9",
        "from 2001:db8::/48",
        "via 10.0.0.1",
        "via inet6 fe80::9",
        "gw 10.0.0.1",
        "onlink",
        "table 100",
        "table main",
        "protocol boot",
        "metric 5",
        "tos 0x10",
        "realms 1/2",
        "expires 10",
        "mtu lock 1400",
        "advmss 1000",
        "rtt 2s",
        "rttvar 100ms",
        "rto_min lock 300ms",
        "window 5",
        "cwnd 3",
        "ssthresh 4",
        "initcwnd 2",
        "initrwnd 2",
        "hoplimit 3",
        "quickack 1",
        "congctl lock reno",
        "features ecn",
        "pref high",
        "ttl-propagate enabled",
        "fastopen_no_cookie 0",
        "append",
        "add",
        "prepend",
        "encap ip id 5 dst 10.1.1.1 ttl 3",
        "encap ip6 dst fe80::5 tc 1 hoplimit 2",
        "encap mpls 10/20",
        "encap ila 1:2:3:4",
        "nexthop via 10.0.0.2 dev eth0 weight 2",
        "nexthop via inet6 fe80::7 onlink",
        "nexthop dev eth0 realms 3 encap mpls 5",
        "preference 100",
        "priority 20",
        "goto 200",
        "nop",
        "prohibit",
        "lookup 7",
        "fwmark 0x10/0xff",
        "fwmark 5",
        "uidrange 1-2",
        "sport 1-2",
        "dport 3-4",
        "ipproto tcp",
        "protocol 9",
        "sup_pl 3",
        "sup_group 0",
        "iif eth0",
        "oif lo",
        "tunnel-id 9",
        "l3mdev",
        "type unreachable",
        "to 10.2.0.0/16",
        "x",
        "1",
        "",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut pick = |list: &[&str]| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        list[(seed % list.len() as u64) as usize].to_string()
    };
    let host = FakeHost::new();
    let mut diags = Diagnostics::default();
    let mut ctx = Ctx::new(&mut diags, &host);
    let mut env = LineEnv::with_names(None, names());
    env.track_groups.push("0".into());
    for n in 0..4000 {
        let mut text = pick(HEADS);
        for _ in 0..n % 6 {
            text = format!("{text} {}", pick(PARTS));
        }
        let line = Line::from_text(&text, Loc::default());
        let is_static = n % 2 == 0;
        let shown = [
            parse(&mut ctx, &line, AddrUse::Static, &mut env).map(|a| a.map(|a| a.to_string())),
            parse(&mut ctx, &line, AddrUse::Vip, &mut env).map(|a| a.map(|a| a.to_string())),
            route::parse(&mut ctx, &line, is_static, &mut env).map(|r| r.map(|r| r.to_string())),
            rule::parse(&mut ctx, &line, is_static, &mut env).map(|r| r.map(|r| r.to_string())),
        ];
        for (kind, text) in shown.into_iter().enumerate() {
            if let Ok(Some(text)) = text {
                reads_back(kind, &text, is_static);
            }
        }
    }
}

/// A normalised line of kind `kind` (static address, VIP, route, rule) parses without a
/// message to the same line.
fn reads_back(kind: usize, text: &str, is_static: bool) {
    let host = FakeHost::new();
    let mut diags = Diagnostics::default();
    let mut ctx = Ctx::new(&mut diags, &host);
    let mut env = LineEnv::with_names(None, names());
    env.track_groups.push("0".into());
    let line = Line::from_text(text, Loc::default());
    let again = match kind {
        0 => parse(&mut ctx, &line, AddrUse::Static, &mut env).map(|a| a.map(|a| a.to_string())),
        1 => parse(&mut ctx, &line, AddrUse::Vip, &mut env).map(|a| a.map(|a| a.to_string())),
        2 => route::parse(&mut ctx, &line, is_static, &mut env).map(|r| r.map(|r| r.to_string())),
        _ => rule::parse(&mut ctx, &line, is_static, &mut env).map(|r| r.map(|r| r.to_string())),
    };
    let msgs: Vec<&str> = ctx.diags().list.iter().map(|d| d.msg.as_str()).collect();
    assert_eq!(again, Ok(Some(text.to_string())), "{text}: {msgs:?}");
    assert!(msgs.is_empty(), "{text}: {msgs:?}");
}
