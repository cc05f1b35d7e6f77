//! The objects VRRP instances and sync groups track, defined at the top level before their
//! users: `vrrp_script`, `vrrp_track_process` and `track_file` (alias `vrrp_track_file`).

use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Level, Loc};
use crate::config::model::global::Global;
use crate::config::model::script::{lookup_user, Kind as ScriptKind, Script, ROOT};
use crate::config::parser::Node;
use crate::config::text::tokenize_quoted_escaped;
use crate::config::value;
use crate::limits;
use crate::time::Duration;

/// `vrrp_script NAME { ... }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: String,
    pub loc: Loc,
    pub script: Script,
    pub interval: Duration,
    /// How long a run may take; keepalived uses the interval when none is configured.
    pub timeout: Duration,
    /// Default weight of `track_script` entries naming this script; 0 = FAULT on failure.
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    /// Start in the failed state (`init_fail`) instead of an unknown one.
    pub init_fail: bool,
}

/// How a tracked process's parameters are compared with `/proc/PID/cmdline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamMatch {
    /// No parameters given: only the process name is matched.
    None,
    Exact,
    /// The configured parameters are the first ones of the command line.
    Initial,
    /// The configured parameters appear anywhere in the command line.
    Partial,
}

/// `vrrp_track_process NAME { ... }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    pub loc: Loc,
    pub process: String,
    pub params: Vec<String>,
    pub param_match: ParamMatch,
    /// Match the whole command line rather than the process name (`comm`).
    pub full_command: bool,
    pub weight: i32,
    pub reverse: bool,
    /// Fewest matching processes for the process to count as up (0 with `quorum_max 0`).
    pub quorum: u16,
    /// Most matching processes for it to count as up; None: no upper bound.
    pub quorum_max: Option<u16>,
    /// Wait after the quorum is gained before declaring the process up.
    pub fork_delay: Duration,
    /// Wait after the quorum is lost before declaring the process down.
    pub terminate_delay: Duration,
}

/// `init_file [VALUE] [overwrite]`: create the tracked file at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackFileInit {
    pub value: i32,
    /// Write the file even when it exists (otherwise only when it is missing).
    pub overwrite: bool,
}

/// `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }`,
/// shared by VRRP tracking and FILE_CHECK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub path: String,
    pub weight: i32,
    pub reverse: bool,
    pub init: Option<TrackFileInit>,
    pub loc: Loc,
}

/// Most seconds keepalived accepts for a script interval or timeout (`UINT_MAX / TIMER_HZ`).
const SCRIPT_SECS_MAX: u32 = u32::MAX / 1_000_000;

/// Builds one `vrrp_script` block; None when keepalived removes it.
pub fn vrrp_script(
    ctx: &mut Ctx,
    node: &Node,
    global: &Global,
) -> Result<Option<VrrpScript>, Fatal> {
    let name = ctx::arg(node, 0)?.to_string();
    let kind = ScriptKind::Track(name.clone());
    let mut s = VrrpScript {
        name,
        loc: node.loc,
        script: Script::new(Vec::new(), ROOT, node.loc, kind),
        interval: Duration::from_secs(1),
        timeout: Duration::ZERO,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    };
    let mut user_set = false;
    let mut remove = false;
    for c in node.children() {
        match c.kw {
            "script" => script_line(ctx, &c, &mut s.script),
            "interval" | "timeout" => script_secs(ctx, &c, &mut s)?,
            "weight" => {
                let w = ctx::arg(&c, 0)?;
                if value::int(ctx, c.loc, w, -253, 253).is_none() {
                    let msg = format!("vrrp_script {} weight {w} must be in [-253, 253]", s.name);
                    ctx.error(c.loc, msg);
                }
                // keepalived keeps whatever it read, even out of range.
                s.weight = value::strtol_as_int(w);
                if let Some(opt) = c.arg(1) {
                    if opt == "reverse" {
                        s.reverse = true;
                    } else {
                        let msg = format!("vrrp_script {} unknown weight option {opt}", s.name);
                        ctx.error(c.loc, msg);
                    }
                }
            }
            "rise" | "fall" => {
                let v = ctx::arg(&c, 0)?;
                let n = value::unsigned(ctx, c.loc, v, 1, i32::MAX as u32).unwrap_or_else(|| {
                    let msg = format!(
                        "({}): vrrp script {} value '{v}' invalid, defaulting to 1",
                        s.name, c.kw
                    );
                    ctx.error(c.loc, msg);
                    1
                });
                if c.kw == "rise" {
                    s.rise = n;
                } else {
                    s.fall = n;
                }
            }
            "user" => {
                let user = ctx::arg(&c, 0)?;
                match lookup_user(ctx, c.loc, user, c.arg(1)) {
                    Some(u) => {
                        s.script.user = u;
                        s.script.user_names =
                            Some((user.to_string(), c.arg(1).map(str::to_string)));
                        remove = false;
                        user_set = true;
                    }
                    None => {
                        let msg =
                            format!("Unable to set uid/gid for script {}", s.script.cmd_str());
                        ctx.error(c.loc, msg);
                        remove = true;
                    }
                }
            }
            "init_fail" => s.init_fail = true,
            _ => {}
        }
    }
    if s.script.args.is_empty() {
        let msg = format!("No script set for vrrp_script {} - removing", s.name);
        ctx.error(node.end, msg);
        return Ok(None);
    }
    if remove {
        return Ok(None);
    }
    if !user_set {
        match global.default_script_user(ctx, node.end) {
            Some(u) => {
                s.script.user = u;
                s.script.default_names = Some(global.default_script_user_names(u));
            }
            None => {
                let msg = format!(
                    "Unable to set default user for vrrp script {} - removing",
                    s.name
                );
                ctx.error(node.end, msg);
                return Ok(None);
            }
        }
    }
    if s.timeout == Duration::ZERO {
        s.timeout = s.interval;
    }
    Ok(Some(s))
}

/// `script "CMD ARGS"`: the first word after the keyword (quotes and escapes allowed) is the
/// whole command line. A line that yields no command leaves any earlier one in place.
fn script_line(ctx: &mut Ctx, c: &Node, script: &mut Script) {
    let Some(words) = tokenize_quoted_escaped(&c.raw) else {
        unparsable_line(ctx, c);
        return;
    };
    let Some(cmd) = words.get(1) else {
        return;
    };
    let Some(args) = tokenize_quoted_escaped(cmd).filter(|a| !a.is_empty()) else {
        return;
    };
    if args.len() > limits::MAX_SCRIPT_ARGS {
        let msg = format!(
            "script '{cmd}' has more than MAX_SCRIPT_ARGS ({}) words - ignoring",
            limits::MAX_SCRIPT_ARGS
        );
        ctx.error(c.loc, msg);
        return;
    }
    script.args = args;
    script.loc = c.loc;
}

/// keepalived's messages for a command line its quote-aware reader cannot split.
fn unparsable_line(ctx: &mut Ctx, c: &Node) {
    match open_quote(&c.raw) {
        Some(q) => {
            let msg = format!("String '{}': missing terminating {q}", c.raw);
            ctx.report(c.loc, Level::UnmatchedQuote, msg);
        }
        None => ctx.info(c.loc, format!("Missing escape char at end: '{}'", c.raw)),
    }
}

/// The quote left open at the end of `s`, if any (`\` escapes the next character).
fn open_quote(s: &str) -> Option<char> {
    let mut quote = None;
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (_, '\\') => {
                chars.next();
            }
            (None, '"' | '\'') => quote = Some(ch),
            (Some(q), _) if ch == q => quote = None,
            _ => {}
        }
    }
    quote
}

/// `interval SECS` / `timeout SECS`: whole seconds; 0 is raised to 1.
fn script_secs(ctx: &mut Ctx, c: &Node, s: &mut VrrpScript) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(mut secs) = value::unsigned(ctx, c.loc, v, 0, SCRIPT_SECS_MAX) else {
        let msg = if c.kw == "interval" {
            format!(
                "({}): vrrp script interval '{v}' must be between 1 and {SCRIPT_SECS_MAX} - ignoring",
                s.name
            )
        } else {
            format!("({}): vrrp script timeout '{v}' invalid - ignoring", s.name)
        };
        ctx.error(c.loc, msg);
        return Ok(());
    };
    if secs == 0 {
        let msg = format!(
            "({}): vrrp script {} must be greater than 0, setting to 1",
            s.name, c.kw
        );
        ctx.error(c.loc, msg);
        secs = 1;
    }
    let d = Duration::from_secs(u64::from(secs));
    if c.kw == "interval" {
        s.interval = d;
    } else {
        s.timeout = d;
    }
    Ok(())
}

/// Builds one `vrrp_track_process` block; None when keepalived removes it.
pub fn track_process(ctx: &mut Ctx, node: &Node) -> Result<Option<TrackProcess>, Fatal> {
    let name = ctx::arg(node, 0)?.to_string();
    let mut p = TrackProcess {
        name,
        loc: node.loc,
        process: String::new(),
        params: Vec::new(),
        param_match: ParamMatch::None,
        full_command: false,
        weight: 0,
        reverse: false,
        quorum: 1,
        quorum_max: None,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
    };
    let mut have_process = false;
    for c in node.children() {
        match c.kw {
            "process" => {
                let path = ctx::arg(&c, 0)?;
                if have_process {
                    let msg = format!(
                        "Process already set for track process {} - ignoring {path}",
                        p.name
                    );
                    ctx.error(c.loc, msg);
                    continue;
                }
                have_process = true;
                p.process = path.to_string();
                if c.nargs() > 1 {
                    p.params = c.args().skip(1).map(str::to_string).collect();
                    if p.param_match == ParamMatch::None {
                        p.param_match = ParamMatch::Exact;
                    }
                    p.full_command = true;
                }
            }
            "param_match" => param_match(ctx, &c, &mut p),
            "weight" => process_weight(ctx, &c, &mut p),
            "quorum" => process_quorum(ctx, &c, &mut p)?,
            "quorum_max" => process_quorum_max(ctx, &c, &mut p)?,
            "delay" | "terminate_delay" | "fork_delay" => process_delay(ctx, &c, &mut p)?,
            "full_command" => p.full_command = true,
            _ => {}
        }
    }
    if !have_process {
        let msg = format!("track process '{}' process name not specified", p.name);
        ctx.error(node.end, msg);
        return Ok(None);
    }
    Ok(Some(p))
}

fn param_match(ctx: &mut Ctx, c: &Node, p: &mut TrackProcess) {
    let m = match c.arg(0) {
        None => ParamMatch::Exact,
        Some("initial") => ParamMatch::Initial,
        Some("partial") => ParamMatch::Partial,
        Some(other) => {
            ctx.error(
                c.loc,
                format!("Invalid param_match type {other} - ignoring"),
            );
            return;
        }
    };
    p.param_match = m;
    p.full_command = true;
}

fn process_weight(ctx: &mut Ctx, c: &Node, p: &mut TrackProcess) {
    let Some(w) = c.arg(0) else {
        let msg = format!(
            "No weight specified for track process {} - ignoring",
            p.name
        );
        ctx.error(c.loc, msg);
        return;
    };
    // keepalived tests the value, so a first `weight 0` does not block a second one.
    if p.weight != 0 {
        let msg = format!(
            "Weight already set for track process {} - ignoring {w}",
            p.name
        );
        ctx.error(c.loc, msg);
        return;
    }
    let Some(weight) = value::int(ctx, c.loc, w, -254, 254) else {
        let msg = format!(
            "Weight ({w}) for vrrp_track_process {} must be between [-254..254] inclusive. Ignoring...",
            p.name
        );
        ctx.error(c.loc, msg);
        return;
    };
    if let Some(opt) = c.arg(1) {
        if opt == "reverse" {
            p.reverse = true;
        } else {
            let msg = format!("vrrp_track_process {} unknown weight option {opt}", p.name);
            ctx.error(c.loc, msg);
        }
    }
    p.weight = weight;
}

fn process_quorum(ctx: &mut Ctx, c: &Node, p: &mut TrackProcess) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(q) = value::unsigned(ctx, c.loc, v, 1, 65535) else {
        let msg = format!(
            "Quorum ({v}) for vrrp_track_process {} must be between [1..65535] inclusive. Ignoring...",
            p.name
        );
        ctx.error(c.loc, msg);
        return Ok(());
    };
    if p.quorum_max.is_some_and(|m| q > u32::from(m)) {
        ctx.error(c.loc, "Quorum is greater than quorum_max - ignoring");
        return Ok(());
    }
    p.quorum = q as u16;
    Ok(())
}

fn process_quorum_max(ctx: &mut Ctx, c: &Node, p: &mut TrackProcess) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(m) = value::unsigned(ctx, c.loc, v, 0, 65535) else {
        let msg = format!(
            "quorum_max ({v}) for vrrp_track_process {} must be between [0..65535] inclusive. Ignoring...",
            p.name
        );
        ctx.error(c.loc, msg);
        return Ok(());
    };
    let m = m as u16;
    // A zero maximum is allowed while the quorum is still the default.
    if (m != 0 || p.quorum > 1) && m < p.quorum {
        ctx.error(c.loc, "quorum_max is less than quorum - ignoring");
        return Ok(());
    }
    p.quorum_max = Some(m);
    if m == 0 {
        p.quorum = 0;
    } else if p.quorum == 0 {
        p.quorum = 1;
    }
    Ok(())
}

fn process_delay(ctx: &mut Ctx, c: &Node, p: &mut TrackProcess) -> Result<(), Fatal> {
    let v = ctx::arg(c, 0)?;
    let Some(us) = value::decimal(ctx, c.loc, v, 1, 3600 * 1_000_000, 6) else {
        let prefix = match c.kw {
            "terminate_delay" => "terminate_",
            "fork_delay" => "fork_",
            _ => "",
        };
        let msg = format!(
            "{prefix}delay ({v}) for vrrp_track_process {} must be between [0.000001..3600] inclusive. Ignoring...",
            p.name
        );
        ctx.error(c.loc, msg);
        return Ok(());
    };
    let d = Duration::from_micros(us);
    if c.kw != "fork_delay" {
        p.terminate_delay = d;
    }
    if c.kw != "terminate_delay" {
        p.fork_delay = d;
    }
    Ok(())
}

/// Builds one `track_file` (or deprecated `vrrp_track_file`) block; None when keepalived
/// ignores it.
pub fn track_file(ctx: &mut Ctx, node: &Node) -> Result<Option<TrackFile>, Fatal> {
    if node.kw == "vrrp_track_file" {
        ctx.info(
            node.loc,
            "\"vrrp_track_file\" is deprecated, please use \"track_file\"",
        );
    }
    let name = ctx::arg(node, 0)?.to_string();
    let mut f = TrackFile {
        name,
        path: String::new(),
        weight: 1,
        reverse: false,
        init: None,
        loc: node.loc,
    };
    let mut have_path = false;
    for c in node.children() {
        match c.kw {
            "file" => {
                let Some(path) = c.arg(0) else {
                    ctx.error(c.loc, "track file file name missing");
                    continue;
                };
                if have_path {
                    let msg = format!(
                        "File already set for track file {} - ignoring {path}",
                        f.name
                    );
                    ctx.error(c.loc, msg);
                    continue;
                }
                have_path = true;
                f.path = path.to_string();
            }
            "weight" => file_weight(ctx, &c, &mut f),
            "init_file" => f.init = Some(file_init(ctx, &c, &f.name)),
            _ => {}
        }
    }
    if !have_path {
        let msg = format!("No file set for track_file {} - ignoring", f.name);
        ctx.error(node.end, msg);
        return Ok(None);
    }
    if let Some(init) = f.init {
        let not_regular = ctx.host.stat(&f.path).is_some_and(|m| !m.is_file);
        if init.overwrite && not_regular {
            let msg = format!(
                "Cannot initialise track file {} - it is not a regular file",
                f.name
            );
            ctx.error(node.end, msg);
        }
    }
    Ok(Some(f))
}

fn file_weight(ctx: &mut Ctx, c: &Node, f: &mut TrackFile) {
    let Some(w) = c.arg(0) else {
        let msg = format!("No weight specified for track file {} - ignoring", f.name);
        ctx.error(c.loc, msg);
        return;
    };
    // keepalived tests the value, so a first `weight 1` does not block a second one.
    if f.weight != 1 {
        let msg = format!(
            "Weight already set for track file {} - ignoring {w}",
            f.name
        );
        ctx.error(c.loc, msg);
        return;
    }
    f.weight = value::int(ctx, c.loc, w, -254, 254).unwrap_or_else(|| {
        let msg = format!(
            "Weight ({w}) for track_file {} must be between [-254..254] inclusive. Ignoring...",
            f.name
        );
        ctx.error(c.loc, msg);
        1
    });
    if let Some(opt) = c.arg(1) {
        if opt == "reverse" {
            f.reverse = true;
        } else {
            let msg = format!("track_file {} unknown weight option {opt}", f.name);
            ctx.error(c.loc, msg);
        }
    }
}

fn file_init(ctx: &mut Ctx, c: &Node, name: &str) -> TrackFileInit {
    let mut init = TrackFileInit {
        value: 0,
        overwrite: false,
    };
    for w in c.args() {
        let word = w.trim_start_matches(crate::config::text::is_ws);
        if word.starts_with(|ch: char| ch.is_ascii_digit() || ch == '-') {
            init.value = match value::int(ctx, c.loc, w, i32::MIN, i32::MAX) {
                None => {
                    let msg = format!("Track file {name} init value {word} is invalid");
                    ctx.error(c.loc, msg);
                    0
                }
                Some(v) => {
                    if !(-254..=254).contains(&v) {
                        let msg = format!(
                            "Track file {name} init value {v} is outside sensible range [-254, 254]"
                        );
                        ctx.error(c.loc, msg);
                    }
                    v
                }
            };
        } else if word == "overwrite" {
            init.overwrite = true;
        } else {
            ctx.error(c.loc, format!("Unknown track file init option {word}"));
        }
    }
    init
}

/// Reports a definition beyond its capacity; true when it fits.
pub fn within(ctx: &mut Ctx, loc: Loc, count: usize, max: usize, what: &str, limit: &str) -> bool {
    if count < max {
        return true;
    }
    ctx.report(
        loc,
        Level::GeneralError,
        format!("{what} - more than {limit} ({max}) - ignoring"),
    );
    false
}
