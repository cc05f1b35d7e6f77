//! `MISC_CHECK { misc_path "CMD ARGS"; misc_timeout S; misc_dynamic; user U [G] }`.

use super::checker::timing;
use super::draft::{CheckerDraft, Env, TimingSet};
use super::{CheckKind, MiscCheck};
use crate::config::ctx::{self, Ctx};
use crate::config::diag::Fatal;
use crate::config::host::User;
use crate::config::model::script::{lookup_user, Kind as ScriptKind, Script, UserNames};
use crate::config::parser::Node;
use crate::config::text::tokenize_quoted_escaped;
use crate::config::value;
use crate::limits;
use crate::time::Duration;

/// Largest `misc_timeout`, in seconds (keepalived keeps it in µs in an `unsigned`).
const TIMEOUT_MAX: u32 = u32::MAX / 1_000_000;

/// None when keepalived drops the checker (reported).
pub fn parse(ctx: &mut Ctx, env: &Env, n: &Node) -> Result<Option<CheckerDraft>, Fatal> {
    let mut c = CheckerDraft {
        // Set once the block is read.
        kind: CheckKind::Tcp,
        conn: None,
        alpha: None,
        timing: TimingSet::default(),
        log_all_failures: false,
        default_retry: 0,
        default_delay_before_retry: Some(Duration::from_secs(1)),
        loc: n.loc,
    };
    let mut args: Option<Vec<String>> = None;
    let mut path_loc = n.loc;
    let mut user: Option<(User, UserNames)> = None;
    let mut timeout = Duration::ZERO;
    let mut dynamic = false;
    for k in n.children() {
        match k.kw {
            "misc_path" => {
                // A line without a usable command keeps the earlier one.
                if let Some(a) = command(ctx, &k) {
                    args = Some(a);
                    path_loc = k.loc;
                }
            }
            "misc_timeout" => {
                let w = ctx::arg(&k, 0)?;
                match value::unsigned(ctx, k.loc, w, 0, TIMEOUT_MAX) {
                    Some(v) => timeout = Duration::from_secs(u64::from(v)),
                    None => ctx.error(k.loc, format!("Invalid misc_timeout value '{w}'")),
                }
            }
            "misc_dynamic" => dynamic = true,
            "user" => {
                let shown = cmd_str(args.as_deref().unwrap_or_default());
                let Some(name) = k.arg(0) else {
                    let msg = format!("No user specified for misc checker script {shown}");
                    ctx.error(k.loc, msg);
                    continue;
                };
                match lookup_user(ctx, k.loc, name, k.arg(1)) {
                    Some(u) => user = Some((u, (name.to_string(), k.arg(1).map(str::to_string)))),
                    None => {
                        // keepalived drops the checker; the rest of its block is lost.
                        let msg = format!(
                            "Failed to set uid/gid for misc checker script {shown} - removing"
                        );
                        ctx.error(k.loc, msg);
                        return Ok(None);
                    }
                }
            }
            _ => {
                timing(ctx, &k, &mut c)?;
            }
        }
    }
    let Some(args) = args else {
        let msg = "No script path has been specified for MISC_CHECKER - skipping";
        ctx.error(n.end, msg);
        return Ok(None);
    };
    let (user, user_names, default_names) = match user {
        Some((u, names)) => (u, Some(names), None),
        None => match env.global.default_script_user(ctx, n.end) {
            Some(u) => (u, None, Some(env.global.default_script_user_names(u))),
            None => {
                let msg = format!(
                    "Unable to set default user for misc script {} - removing",
                    cmd_str(&args)
                );
                ctx.error(n.end, msg);
                return Ok(None);
            }
        },
    };
    c.kind = CheckKind::Misc(MiscCheck {
        script: Box::new(Script {
            user_names,
            default_names,
            ..Script::new(args, user, path_loc, ScriptKind::Misc)
        }),
        timeout,
        dynamic,
    });
    Ok(Some(c))
}

/// `misc_path`: the first word after the keyword (quotes and escapes allowed) is the whole
/// command line; later words are ignored, unlike notify scripts which take a user there.
fn command(ctx: &mut Ctx, k: &Node) -> Option<Vec<String>> {
    let words = tokenize_quoted_escaped(&k.raw)?;
    let args = tokenize_quoted_escaped(words.get(1)?)?;
    if args.is_empty() {
        return None;
    }
    if args.len() > limits::MAX_SCRIPT_ARGS {
        let msg = format!(
            "script '{}' has more than MAX_SCRIPT_ARGS ({}) words - ignoring",
            words[1],
            limits::MAX_SCRIPT_ARGS
        );
        ctx.error(k.loc, msg);
        return None;
    }
    Some(args)
}

/// keepalived's `cmd_str()`: each word in single quotes, except a leading redirection.
fn cmd_str(args: &[String]) -> String {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 && (a.starts_with('<') || a.starts_with('>')) {
                a.clone()
            } else {
                format!("'{a}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
