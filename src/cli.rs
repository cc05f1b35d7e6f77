//! keepalived's command line: the same short and long options, the same defaults, `-t`
//! exit statuses and output streams.

use std::io::Write;

use getopts::{HasArg, Occur};

use crate::config::{self, LoadOptions};
use crate::sys::RealHost;

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which subsystems to run (`-P`, `-C`; neither means both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subsystems {
    pub vrrp: bool,
    pub check: bool,
}

/// Everything the command line can say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub config_file: String,
    pub subsystems: Subsystems,
    pub log_console: bool,
    pub log_detail: bool,
    /// syslog facility number (LOG_DAEMON unless `-S`).
    pub log_facility: i32,
    pub no_syslog: bool,
    pub dont_fork: bool,
    pub dump_conf: bool,
    pub pid_file: String,
    pub vrrp_pid_file: String,
    pub checkers_pid_file: String,
    /// `-t[=LOG_FILE]`: check only; diagnostics to LOG_FILE or stderr.
    pub config_test: Option<Option<String>>,
    pub config_id: Option<String>,
    pub release_vips: bool,
    pub dont_release_vrrp: bool,
    pub dont_release_ipvs: bool,
    pub umask: Option<u32>,
    pub all_config: bool,
    pub address_monitoring: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            config_file: DEFAULT_CONFIG.into(),
            subsystems: Subsystems {
                vrrp: true,
                check: true,
            },
            log_console: false,
            log_detail: false,
            log_facility: libc::LOG_DAEMON,
            no_syslog: false,
            dont_fork: false,
            dump_conf: false,
            pid_file: "/run/keepalived.pid".into(),
            vrrp_pid_file: "/run/keepalived_vrrp.pid".into(),
            checkers_pid_file: "/run/keepalived_checkers.pid".into(),
            config_test: None,
            config_id: None,
            release_vips: false,
            dont_release_vrrp: false,
            dont_release_ipvs: false,
            umask: None,
            all_config: false,
            address_monitoring: false,
        }
    }
}

/// What parsing the command line decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Box<Options>),
    /// Stop at once with this status (help, version, bad option, `--signum` ...).
    Exit(i32),
}

/// Options keepalived has that keepalived-rs will not implement: one clear line each.
const UNSUPPORTED: &[(&str, &str, &str)] = &[
    ("x", "snmp", "SNMP is not supported by keepalived-rs"),
    ("A", "snmp-agent-socket", "SNMP is not supported by keepalived-rs"),
    ("B", "no_bfd", "BFD is not supported by keepalived-rs (there is no BFD process to disable)"),
    ("b", "bfd_pid", "BFD is not supported by keepalived-rs"),
    ("s", "namespace", "running in a network namespace is not supported by keepalived-rs; start it with `ip netns exec NAME`"),
    ("m", "core-dump", "core dump options are not supported by keepalived-rs"),
    ("M", "core-dump-pattern", "core dump options are not supported by keepalived-rs"),
    ("g", "log-file", "-g requires configure option --enable-log-file (not supported by keepalived-rs)"),
    ("", "flush-log-file", "--flush-log-file is not supported by keepalived-rs"),
    ("", "perf", "--perf is not supported by keepalived-rs"),
    ("", "debug", "--debug is not supported by keepalived-rs"),
    ("", "config-fd", "--config-fd is internal to keepalived and not supported by keepalived-rs"),
];

fn opts() -> getopts::Options {
    let mut o = getopts::Options::new();
    o.long_only(false);
    o.optopt(
        "f",
        "use-file",
        "Use the specified configuration file",
        "FILE",
    );
    o.optflag("P", "vrrp", "Only run with VRRP subsystem");
    o.optflag("C", "check", "Only run with Health-checker subsystem");
    o.optflag(
        "",
        "all",
        "Force all subsystems to run, even if they have no configuration",
    );
    o.optflag("l", "log-console", "Log messages to local console");
    o.optflag("D", "log-detail", "Detailed log messages");
    o.optopt("S", "log-facility", "Set syslog facility", "FACILITY");
    o.optflag("G", "no-syslog", "Don't log via syslog");
    o.optopt(
        "u",
        "umask",
        "umask for file creation (in numeric form)",
        "MASK",
    );
    o.optflag("X", "release-vips", "Drop VIP on transition from signal.");
    o.optflag(
        "V",
        "dont-release-vrrp",
        "Don't remove VRRP VIPs and VROUTEs on daemon stop",
    );
    o.optflag(
        "I",
        "dont-release-ipvs",
        "Don't remove IPVS topology on daemon stop",
    );
    o.optflag("R", "dont-respawn", "Don't respawn child processes");
    o.optflag("n", "dont-fork", "Don't fork the daemon process");
    o.optflag("d", "dump-conf", "Dump the configuration data");
    o.optopt(
        "p",
        "pid",
        "Use specified pidfile for parent process",
        "FILE",
    );
    o.optopt(
        "r",
        "vrrp_pid",
        "Use specified pidfile for VRRP child process",
        "FILE",
    );
    o.optopt(
        "c",
        "checkers_pid",
        "Use specified pidfile for checkers child process",
        "FILE",
    );
    o.optflag("T", "genhash", "Enter into genhash utility mode");
    o.optflag(
        "a",
        "address-monitoring",
        "Report all address additions/deletions notified via netlink",
    );
    o.optflag("e", "all-config", "Error if any configuration file missing");
    o.optopt(
        "i",
        "config-id",
        "Skip configuration lines beginning '@' that don't match id",
        "ID",
    );
    o.optopt("", "signum", "Return signal number", "SIGFUNC");
    o.optflagopt(
        "t",
        "config-test",
        "Check the configuration for obvious errors",
        "LOG_FILE",
    );
    o.optflag("v", "version", "Display the version number");
    o.optflag("h", "help", "Display this help message");
    for (short, long, _) in UNSUPPORTED {
        o.opt(short, long, "", "", HasArg::Maybe, Occur::Multi);
    }
    o
}

pub fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '{DEFAULT_CONFIG}'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
      --all                    Force all subsystems to run, even if have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Accepted for compatibility: keepalived-rs is one process
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -T, --genhash                Enter into genhash utility mode (this should be the first option used).
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -e, --all-config             Error if any configuration file missing (same as includet)
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
  -v, --version                Display the version number
  -h, --help                   Display this help message
"
    )
}

pub fn version_text() -> String {
    format!(
        "Keepalived-rs v{VERSION} (configuration and command line of Keepalived v2.2.7)\n\n\
         A reimplementation of keepalived in Rust; keepalived is Copyright(C) 2001-2022 Alexandre Cassen\n"
    )
}

/// keepalived's `--signum` names.
pub fn signum(name: &str) -> Option<i32> {
    match name {
        "STOP" => Some(libc::SIGTERM),
        "RELOAD" => Some(libc::SIGHUP),
        "DATA" => Some(libc::SIGUSR1),
        "STATS" => Some(libc::SIGUSR2),
        "STATS_CLEAR" => Some(libc::SIGRTMAX() - 1),
        "JSON" => Some(libc::SIGRTMIN() + 2),
        _ => None,
    }
}

/// `-S`: 0-7 and local0-7 are LOG_LOCAL0-7; `user`, `daemon` by name.
fn facility(s: &str) -> Option<i32> {
    const LOCAL: [i32; 8] = [
        libc::LOG_LOCAL0,
        libc::LOG_LOCAL1,
        libc::LOG_LOCAL2,
        libc::LOG_LOCAL3,
        libc::LOG_LOCAL4,
        libc::LOG_LOCAL5,
        libc::LOG_LOCAL6,
        libc::LOG_LOCAL7,
    ];
    let n = s.strip_prefix("local").unwrap_or(s);
    if let Ok(i) = n.parse::<usize>() {
        return LOCAL.get(i).copied();
    }
    match s {
        "user" => Some(libc::LOG_USER),
        "daemon" => Some(libc::LOG_DAEMON),
        _ => None,
    }
}

/// A umask in C's base-0 notation (`022`, `0x12`, `18`).
fn parse_umask(s: &str) -> Option<u32> {
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()?
    } else {
        s.parse().ok()?
    };
    (v <= 0o777).then_some(v)
}

/// Parses the arguments (without the program name). Messages go to `out`/`err`.
pub fn parse_args(prog: &str, args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Parsed {
    let m = match opts().parse(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "{prog}: {e}");
            return Parsed::Exit(1);
        }
    };
    for (short, long, why) in UNSUPPORTED {
        let name = if short.is_empty() { long } else { short };
        if m.opt_present(name) {
            let _ = writeln!(err, "{prog}: {why}");
            return Parsed::Exit(1);
        }
    }
    if m.opt_present("T") {
        let _ = writeln!(err, "{prog}: -T/--genhash must be the first option");
        return Parsed::Exit(1);
    }
    if m.opt_present("v") {
        let _ = write!(err, "{}", version_text());
        return Parsed::Exit(0);
    }
    if m.opt_present("h") {
        let _ = write!(err, "{}", usage(prog));
        return Parsed::Exit(0);
    }
    if let Some(name) = m.opt_str("signum") {
        return match signum(&name) {
            Some(n) => {
                let _ = writeln!(out, "{n}");
                Parsed::Exit(0)
            }
            None => {
                let _ = writeln!(err, "Unknown sigfunc {name}");
                Parsed::Exit(1)
            }
        };
    }
    // An empty required argument (`--use-file=`) is keepalived's "missing argument".
    for name in ["f", "S", "u", "p", "r", "c", "i"] {
        if m.opt_str(name).is_some_and(|v| v.is_empty()) {
            let _ = writeln!(err, "{prog}: option -{name} requires an argument");
            return Parsed::Exit(1);
        }
    }
    let mut o = Options::default();
    if let Some(f) = m.opt_str("f") {
        o.config_file = f;
    }
    let (vrrp, check) = (m.opt_present("P"), m.opt_present("C"));
    if vrrp || check {
        o.subsystems = Subsystems { vrrp, check };
    }
    o.log_console = m.opt_present("l");
    o.log_detail = m.opt_present("D");
    if let Some(f) = m.opt_str("S") {
        match facility(&f) {
            Some(v) => o.log_facility = v,
            None => {
                let _ = writeln!(err, "Invalid log facility '{f}'");
            }
        }
    }
    o.no_syslog = m.opt_present("G");
    if let Some(u) = m.opt_str("u") {
        match parse_umask(&u) {
            Some(v) => o.umask = Some(v),
            None => {
                let _ = writeln!(err, "{prog}: invalid umask '{u}'");
                return Parsed::Exit(1);
            }
        }
    }
    o.release_vips = m.opt_present("X");
    o.dont_release_vrrp = m.opt_present("V");
    o.dont_release_ipvs = m.opt_present("I");
    o.dont_fork = m.opt_present("n");
    o.dump_conf = m.opt_present("d");
    if let Some(p) = m.opt_str("p") {
        o.pid_file = p;
    }
    if let Some(p) = m.opt_str("r") {
        o.vrrp_pid_file = p;
    }
    if let Some(p) = m.opt_str("c") {
        o.checkers_pid_file = p;
    }
    o.address_monitoring = m.opt_present("a");
    o.all_config = m.opt_present("e");
    o.config_id = m.opt_str("i");
    if m.opt_present("t") {
        o.config_test = Some(m.opt_str("t").filter(|s| !s.is_empty()));
        o.dont_fork = true;
        o.no_syslog = true;
    }
    if !m.free.is_empty() {
        let _ = writeln!(out, "Unexpected argument(s): {} ", m.free.join(" "));
    }
    Parsed::Run(Box::new(o))
}

/// Runs the program; returns the exit status.
pub fn main(argv: Vec<String>) -> i32 {
    let prog = argv
        .first()
        .and_then(|a| a.rsplit('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("keepalived-rs")
        .to_string();
    let args = argv.get(1..).unwrap_or(&[]);
    // genhash: `-T`/`--genhash` first, or the program called `genhash`.
    if prog == "genhash" || matches!(args.first().map(String::as_str), Some("-T" | "--genhash")) {
        #[cfg(feature = "lvs")]
        return crate::genhash::main(args);
        #[cfg(not(feature = "lvs"))]
        {
            eprintln!("{prog}: genhash needs the lvs feature, which this build lacks");
            return 1;
        }
    }
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let o = match parse_args(&prog, args, &mut out, &mut err) {
        Parsed::Run(o) => o,
        Parsed::Exit(code) => return code,
    };
    if o.config_test.is_none() && !o.dump_conf {
        return crate::runtime::run(&o, &argv);
    }
    // One configuration read, then the process ends.
    crate::runtime::heap::one_shot_arena();
    let host = RealHost::default();
    let load = LoadOptions {
        path: o.config_file.clone(),
        config_id: o.config_id.clone(),
        all_config: o.all_config,
    };
    let loaded = config::load(&load, &host);
    let mut text = String::new();
    for m in loaded.messages() {
        text.push_str(&m);
        text.push('\n');
    }
    match o.config_test.as_ref().and_then(|f| f.as_ref()) {
        Some(file) => {
            if let Err(e) = std::fs::write(file, &text) {
                let _ = writeln!(err, "{prog}: cannot write {file}: {e}");
            }
        }
        None => {
            let _ = err.write_all(text.as_bytes());
        }
    }
    if o.dump_conf {
        if let Some(c) = &loaded.config {
            let _ = out.write_all(c.dump().as_bytes());
        }
    }
    let code = loaded.exit_code();
    // The process ends here: freeing a large model object by object only costs time.
    std::mem::forget(loaded);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> (Parsed, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let p = parse_args("keepalived-rs", &args, &mut out, &mut err);
        (
            p,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn run_opts(args: &[&str]) -> Options {
        match parse(args).0 {
            Parsed::Run(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_and_long_forms() {
        let o = run_opts(&[
            "-f", "/x.conf", "-P", "-l", "-D", "-S", "6", "-G", "-n", "-d", "-V", "-I", "-R", "-e",
            "-i", "node2",
        ]);
        assert_eq!(o.config_file, "/x.conf");
        assert_eq!(
            o.subsystems,
            Subsystems {
                vrrp: true,
                check: false
            }
        );
        assert!(o.log_console && o.log_detail && o.no_syslog && o.dont_fork && o.dump_conf);
        assert!(o.dont_release_vrrp && o.dont_release_ipvs && o.all_config);
        assert_eq!(o.log_facility, libc::LOG_LOCAL6);
        assert_eq!(o.config_id.as_deref(), Some("node2"));
        let l = run_opts(&[
            "--use-file=/x.conf",
            "--vrrp",
            "--log-console",
            "--log-detail",
            "--log-facility=local6",
            "--no-syslog",
            "--dont-fork",
            "--dump-conf",
            "--dont-release-vrrp",
            "--dont-release-ipvs",
            "--dont-respawn",
            "--all-config",
            "--config-id=node2",
        ]);
        assert_eq!(o, l);
        let o = run_opts(&[
            "--pid=/a",
            "--vrrp_pid=/b",
            "--checkers_pid=/c",
            "-u",
            "022",
            "-C",
        ]);
        assert_eq!(
            (
                o.pid_file.as_str(),
                o.vrrp_pid_file.as_str(),
                o.checkers_pid_file.as_str()
            ),
            ("/a", "/b", "/c")
        );
        assert_eq!(o.umask, Some(0o22));
        assert_eq!(
            o.subsystems,
            Subsystems {
                vrrp: false,
                check: true
            }
        );
    }

    #[test]
    fn config_test_with_optional_file() {
        assert_eq!(run_opts(&["-t"]).config_test, Some(None));
        assert_eq!(
            run_opts(&["--config-test=/tmp/log"]).config_test,
            Some(Some("/tmp/log".into()))
        );
        assert_eq!(
            run_opts(&["-t/tmp/log"]).config_test,
            Some(Some("/tmp/log".into()))
        );
        assert_eq!(run_opts(&[]).config_file, DEFAULT_CONFIG);
    }

    #[test]
    fn unsupported_options_fail_with_one_line() {
        for args in [
            &["-x"][..],
            &["--snmp"],
            &["-B"],
            &["-b", "/p"],
            &["-s", "ns1"],
            &["--namespace=ns1"],
            &["-m"],
            &["-M"],
        ] {
            let (p, _, err) = parse(args);
            assert_eq!(p, Parsed::Exit(1), "{args:?}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains("not supported"), "{err}");
        }
        // genhash runs when -T comes first (cli::main); anywhere else it is an error.
        let (p, _, err) = parse(&["-n", "-T"]);
        assert_eq!(p, Parsed::Exit(1));
        assert!(err.contains("must be the first option"));
        assert_eq!(parse(&["--bogus"]).0, Parsed::Exit(1));
    }

    #[test]
    fn version_help_signum() {
        let (p, _, err) = parse(&["-v"]);
        assert_eq!(p, Parsed::Exit(0));
        assert!(err.starts_with("Keepalived-rs v"));
        let (p, _, err) = parse(&["--help"]);
        assert_eq!(p, Parsed::Exit(0));
        assert!(err.contains("--config-test"));
        let (p, out, _) = parse(&["--signum=RELOAD"]);
        assert_eq!((p, out.as_str()), (Parsed::Exit(0), "1\n"));
        let (_, out, _) = parse(&["--signum=JSON"]);
        assert_eq!(out, format!("{}\n", libc::SIGRTMIN() + 2));
        assert_eq!(parse(&["--signum=NOPE"]).0, Parsed::Exit(1));
    }

    #[test]
    fn facilities_and_umask() {
        assert_eq!(facility("0"), Some(libc::LOG_LOCAL0));
        assert_eq!(facility("local7"), Some(libc::LOG_LOCAL7));
        assert_eq!(facility("user"), Some(libc::LOG_USER));
        assert_eq!(facility("8"), None);
        assert_eq!(parse_umask("0x1f"), Some(0x1f));
        assert_eq!(parse_umask("18"), Some(18));
        assert_eq!(parse_umask("99999"), None);
    }
}
