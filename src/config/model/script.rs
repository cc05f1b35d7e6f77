//! Script command lines (`notify*`, `script`, `misc_path`, `quorum_up` ...): how keepalived
//! splits them, who they run as, and whether they may run at all (script security).

use crate::config::ctx::Ctx;
use crate::config::diag::Loc;
use crate::config::host::User;
use crate::config::parser::Node;
use crate::config::text::tokenize_quoted_escaped;
use crate::limits;

/// How a checked script will be started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Run {
    /// Not yet checked.
    #[default]
    Unchecked,
    /// `execve()` of the resolved path.
    Exec,
    /// Through `/bin/sh -c`.
    Shell,
    /// Not found, not executable or insecure: it never runs.
    Disabled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The command and its own arguments; `args[0]` as written (resolved by the check).
    pub args: Vec<String>,
    pub user: User,
    pub loc: Loc,
    pub run: Run,
}

/// keepalived's `notify_script_init()`: re-reads the keyword line allowing quotes and
/// escapes; the first word after the keyword is the command line (split again into argv),
/// the next two are an optional user and group. `kind` names the script in messages;
/// `default_user` is None when the default script user cannot be used.
/// Problems are logged (they do not make the configuration wrong) and give None.
pub fn parse(ctx: &mut Ctx, node: &Node, kind: &str, default_user: Option<User>) -> Option<Script> {
    let Some(words) = tokenize_quoted_escaped(&node.raw) else {
        ctx.info(node.loc, "Unable to parse notify script");
        return None;
    };
    let cmd = words.get(1).map(String::as_str).unwrap_or("");
    let args = match tokenize_quoted_escaped(cmd) {
        Some(a) if !a.is_empty() => a,
        _ => {
            ctx.info(
                node.loc,
                format!("Unable to parse script '{cmd}' - ignoring"),
            );
            return None;
        }
    };
    if args.len() > limits::MAX_SCRIPT_ARGS {
        let msg = format!(
            "script '{cmd}' has more than MAX_SCRIPT_ARGS ({}) words - ignoring",
            limits::MAX_SCRIPT_ARGS
        );
        ctx.error(node.loc, msg);
        return None;
    }
    let user = if words.len() > 2 {
        match lookup_user(ctx, node.loc, &words[2], words.get(3).map(String::as_str)) {
            Some(u) => u,
            None => {
                ctx.info(
                    node.loc,
                    format!(
                        "Invalid user/group for {kind} script {} - ignoring",
                        args[0]
                    ),
                );
                return None;
            }
        }
    } else {
        match default_user {
            Some(u) => u,
            None => {
                ctx.info(
                    node.loc,
                    format!(
                        "Failed to set default user for {kind} script {} - ignoring",
                        args[0]
                    ),
                );
                return None;
            }
        }
    };
    Some(Script {
        args,
        user,
        loc: node.loc,
        run: Run::Unchecked,
    })
}

/// keepalived's `set_uid_gid()`: a user name and optional group name to ids (logged if not).
pub fn lookup_user(ctx: &mut Ctx, loc: Loc, user: &str, group: Option<&str>) -> Option<User> {
    let Some(mut u) = ctx.host.user(user) else {
        ctx.info(loc, format!("Script user '{user}' does not exist"));
        return None;
    };
    if let Some(g) = group {
        let Some(gid) = ctx.host.group(g) else {
            ctx.info(loc, format!("Script group '{g}' does not exist"));
            return None;
        };
        u.gid = gid;
    }
    Some(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ctx::tests::ctx_with;

    fn node(raw: &str) -> Node {
        let words = crate::config::text::tokenize(raw).0;
        Node {
            kw: "notify_master",
            args: words[1..].to_vec(),
            raw: raw.into(),
            loc: Loc { file: 0, line: 3 },
            children: vec![],
            values: vec![],
            end: Loc::default(),
        }
    }

    #[test]
    fn quoted_command_with_arguments() {
        ctx_with(|c| {
            let root = Some(User { uid: 0, gid: 0 });
            let s = parse(
                c,
                &node(r#"notify_master "/etc/keepalived/notify.sh master""#),
                "notify",
                root,
            )
            .unwrap();
            assert_eq!(s.args, ["/etc/keepalived/notify.sh", "master"]);
            assert_eq!(s.user, User { uid: 0, gid: 0 });
            let s = parse(
                c,
                &node("notify_master /x.sh nobody nogroup"),
                "notify",
                root,
            )
            .unwrap();
            assert_eq!(
                s.user,
                User {
                    uid: 65534,
                    gid: 65534
                }
            );
            assert_eq!(c.diags().exit_code(), 0);
        });
    }

    #[test]
    fn unquoted_argument_is_taken_as_a_user() {
        ctx_with(|c| {
            let root = Some(User { uid: 0, gid: 0 });
            assert!(parse(
                c,
                &node("notify_master /etc/keepalived/notify.sh master"),
                "notify",
                root
            )
            .is_none());
            let msgs: Vec<_> = c.diags().list.iter().map(|d| d.msg.as_str()).collect();
            assert_eq!(
                msgs,
                [
                    "Script user 'master' does not exist",
                    "Invalid user/group for notify script /etc/keepalived/notify.sh - ignoring"
                ]
            );
            // Logged, not a configuration error: `keepalived -t` still exits 0.
            assert_eq!(c.diags().exit_code(), 0);
        });
    }
}
