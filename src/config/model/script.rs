//! Script command lines (`notify*`, `script`, `misc_path`, `quorum_up` ...): how keepalived
//! splits them, who they run as, and whether they may run at all (script security).

mod security;

use std::cell::Cell;

pub use security::{check_all, Processes};

use super::global::Global;
use crate::config::ctx::{self, Ctx};
use crate::config::diag::{Fatal, Loc};
use crate::config::dump::Dump;
use crate::config::host::{Host, User};
use crate::config::parser::Node;
use crate::config::text::tokenize_quoted_escaped;
use crate::limits;

/// How a checked script will be started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Run {
    /// Not checked: the process that would run it has nothing to do (no `vrrp_instance`,
    /// no `virtual_server`), so keepalived never looks at it.
    #[default]
    Unchecked,
    /// `execve()` of the resolved path.
    Exec,
    /// Through `/bin/sh -c` (see [`Script::cmd_str`]).
    Shell,
    /// Not found, not executable or insecure: it never runs.
    Disabled,
}

/// What a script is for. keepalived checks every script the same way but disables and
/// reports them differently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// Notify scripts (instances, sync groups, real and virtual servers), FIFO readers,
    /// start-up and shut-down scripts.
    #[default]
    Notify,
    /// The `script` of the `vrrp_script` with this name.
    Track(String),
    /// A MISC_CHECK `misc_path`.
    Misc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The command and its own arguments. The security check replaces `args[0]` by the path
    /// that will run (found through `PATH`, symbolic links resolved).
    pub args: Vec<String>,
    pub user: User,
    pub loc: Loc,
    pub run: Run,
    pub kind: Kind,
    /// The user and group names configured for it (after the command, or by a `user`
    /// keyword); None when it runs as the default script user.
    pub user_names: Option<UserNames>,
    /// The names giving the default script user it took, if it took one.
    pub default_names: Option<UserNames>,
}

/// `KEYWORD COMMAND [user [group]]` for the dump, with the resolved user as a comment.
pub fn dump_line(d: &mut Dump, kw: &str, s: &Script) {
    let cmd = s.config_word();
    match s.names(d.script_user) {
        Some(names) => d.raw(&format!(
            "{kw} {cmd} {} # {}",
            user_words(names),
            s.resolved()
        )),
        None => d.raw(&format!("{kw} {cmd} # {}", s.resolved())),
    }
}

/// The `user NAME [GROUP]` keyword of blocks that take one (`vrrp_script`, `MISC_CHECK`),
/// or the default user as a comment.
pub fn dump_user(d: &mut Dump, s: &Script) {
    match s.names(d.script_user) {
        Some(names) => d.raw(&format!("user {} # {}", user_words(names), s.resolved())),
        None => d.raw(&format!("# user {}", s.resolved())),
    }
}

/// A configured `user [group]` pair of names, as keepalived only takes names.
pub type UserNames = (String, Option<String>);

/// `user [group]` words for a configuration line.
pub fn user_words((user, group): &UserNames) -> String {
    match group {
        Some(g) => format!("{user} {g}"),
        None => user.clone(),
    }
}

impl Script {
    pub fn new(args: Vec<String>, user: User, loc: Loc, kind: Kind) -> Script {
        Script {
            args,
            user,
            loc,
            run: Run::Unchecked,
            kind,
            user_names: None,
            default_names: None,
        }
    }

    /// keepalived's `cmd_str()`: every word in single quotes, except a first word that is a
    /// redirection (`<` or `>`), which must stay bare for `/bin/sh -c` to test a file.
    /// This is the command line keepalived hands to the shell, and names scripts in messages.
    pub fn cmd_str(&self) -> String {
        let words: Vec<String> = self
            .args
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 && (w.starts_with('<') || w.starts_with('>')) {
                    w.clone()
                } else {
                    format!("'{w}'")
                }
            })
            .collect();
        words.join(" ")
    }
}

impl Script {
    /// The command as one configuration word (`"/x.sh 'a b'"`): re-read with quotes and
    /// escapes, as keepalived reads script keywords, it gives back `args`.
    pub fn config_word(&self) -> String {
        let inner: Vec<String> = self.args.iter().map(|w| quote_word(w)).collect();
        let inner = inner.join(" ");
        format!("\"{}\"", inner.replace('\\', "\\\\").replace('"', "\\\""))
    }

    /// The user names to write back: the configured ones, or those of the default it took
    /// when that is not the `default` the dump reads back with (a later `script_user`
    /// changed it, or made it unusable).
    fn names(&self, default: Option<User>) -> Option<&UserNames> {
        let changed = default != Some(self.user);
        let taken = self.default_names.as_ref().filter(|_| changed);
        self.user_names.as_ref().or(taken)
    }

    /// The resolved user, for a comment. How the script will be started is not shown: it
    /// depends on which processes have work, which a dump does not always carry (a VRRP
    /// process that stops leaves no instances behind).
    pub fn resolved(&self) -> String {
        format!("uid:gid {}:{}", self.user.uid, self.user.gid)
    }
}

/// One word for the second splitting of a script command line.
fn quote_word(w: &str) -> String {
    let plain = !w.is_empty()
        && !w
            .chars()
            .any(|c| crate::config::text::is_ws(c) || matches!(c, '\'' | '"' | '\\'));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// The command words of a script keyword (`script`, `misc_path`, `notify*` ...): the first
/// word after the keyword, re-read with quotes and escapes, split again into words.
/// None when the line or the command cannot be split or the command is empty.
pub fn command(node: &Node) -> Option<Vec<String>> {
    let words = tokenize_quoted_escaped(&node.raw)?;
    let args = tokenize_quoted_escaped(words.get(1)?)?;
    (!args.is_empty()).then_some(args)
}

/// keepalived's `notify_script_init()`: re-reads the keyword line allowing quotes and
/// escapes; the first word after the keyword is the command line (split again into argv),
/// the next two are an optional user and group, else the default script user applies.
/// `kind` names the script in messages ("notify", "startup" ...). Problems are logged (they
/// do not make the configuration wrong) and give None; a missing command is fatal.
pub fn parse(
    ctx: &mut Ctx,
    node: &Node,
    kind: &str,
    global: &Global,
) -> Result<Option<Script>, Fatal> {
    let Some(words) = tokenize_quoted_escaped(&node.raw) else {
        ctx.info(node.loc, "Unable to parse notify script");
        return Ok(None);
    };
    if words.len() < 2 {
        ctx::arg(node, 0)?;
    }
    let cmd = words.get(1).map_or("", String::as_str);
    let Some(args) = command(node) else {
        let msg = format!("Unable to parse script '{cmd}' - ignoring");
        ctx.info(node.loc, msg);
        return Ok(None);
    };
    if args.len() > limits::MAX_SCRIPT_ARGS {
        let msg = format!(
            "script '{cmd}' has more than MAX_SCRIPT_ARGS ({}) words - ignoring",
            limits::MAX_SCRIPT_ARGS
        );
        ctx.error(node.loc, msg);
        return Ok(None);
    }
    let names = words.get(2).map(|u| (u.clone(), words.get(3).cloned()));
    let mut default_names = None;
    let user = if let Some((name, group)) = &names {
        let user = lookup_user(ctx, node.loc, name, group.as_deref());
        if user.is_none() {
            let msg = format!(
                "Invalid user/group for {kind} script {} - ignoring",
                args[0]
            );
            ctx.info(node.loc, msg);
        }
        user
    } else {
        let user = global.default_script_user(ctx, node.loc);
        default_names = user.map(|u| global.default_script_user_names(u));
        if user.is_none() {
            let msg = format!(
                "Failed to set default user for {kind} script {} - ignoring",
                args[0]
            );
            ctx.info(node.loc, msg);
        }
        user
    };
    Ok(user.map(|user| Script {
        user_names: names,
        default_names,
        ..Script::new(args, user, node.loc, Kind::Notify)
    }))
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

/// The user keepalived looks up when no `script_user` is given.
const DEFAULT_USER_NAME: &str = "keepalived_script";

/// The default user when no `script_user` is given: `keepalived_script` if it exists,
/// else root.
pub fn fallback_user(host: &dyn Host) -> User {
    host.user(DEFAULT_USER_NAME).unwrap_or(ROOT)
}

/// The names giving `user`, the default when no `script_user` is given.
pub fn fallback_names(user: User) -> UserNames {
    let name = if user == ROOT {
        "root"
    } else {
        DEFAULT_USER_NAME
    };
    (name.to_string(), None)
}

/// keepalived runs as root.
pub const ROOT: User = User { uid: 0, gid: 0 };

/// keepalived's default script user. It is settled once: by `script_user`, or else the
/// first time a script without its own user needs it, by looking up `keepalived_script`
/// (root if that user does not exist, unless `enable_script_security` is already set: then
/// no default can be used at all). The result, failure included, then sticks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefaultUser(Cell<Lookup>);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Lookup {
    #[default]
    Pending,
    Found(User),
    Failed,
}

impl DefaultUser {
    /// `script_user`: a user that could not be looked up makes the default unusable, and
    /// once unusable it stays so.
    pub fn set(&self, user: Option<User>) {
        let next = match (self.0.get(), user) {
            (Lookup::Failed, _) | (_, None) => Lookup::Failed,
            (_, Some(u)) => Lookup::Found(u),
        };
        self.0.set(next);
    }

    /// The default user for a script at `loc`, settling it (with keepalived's messages) if
    /// this is the first script to need it.
    pub fn get(&self, ctx: &mut Ctx, loc: Loc, security: bool) -> Option<User> {
        if self.0.get() == Lookup::Pending {
            let found = ctx.host.user(DEFAULT_USER_NAME);
            if found.is_none() {
                ctx.info(
                    loc,
                    format!("Script user '{DEFAULT_USER_NAME}' does not exist"),
                );
                if security {
                    let msg = format!("Unable to set default user {DEFAULT_USER_NAME} for script");
                    ctx.error(loc, msg);
                }
            }
            self.0.set(match found {
                Some(u) => Lookup::Found(u),
                None if security => Lookup::Failed,
                None => Lookup::Found(ROOT),
            });
        }
        match self.0.get() {
            Lookup::Found(u) => Some(u),
            Lookup::Pending | Lookup::Failed => None,
        }
    }

    /// Whether no default can be used any more (a `script_user` that could not be looked
    /// up, or `enable_script_security` without `keepalived_script`).
    pub fn failed(&self) -> bool {
        self.0.get() == Lookup::Failed
    }

    /// What [`DefaultUser::get`] would give, without settling or reporting anything.
    pub fn peek(&self, host: &dyn Host, security: bool) -> Option<User> {
        match self.0.get() {
            Lookup::Found(u) => Some(u),
            Lookup::Failed => None,
            Lookup::Pending => match host.user(DEFAULT_USER_NAME) {
                Some(u) => Some(u),
                None => (!security).then_some(ROOT),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ctx::tests::ctx_with;
    use crate::config::parser::Tree;

    fn node(raw: &str) -> Tree {
        Tree::from_line("notify_master", raw, Loc { file: 0, line: 3 })
    }

    fn msgs(c: &Ctx) -> Vec<String> {
        c.diags().list.iter().map(|d| d.msg.clone()).collect()
    }

    #[test]
    fn quoted_command_with_arguments() {
        ctx_with(|c| {
            let g = Global::default();
            let raw = r#"notify_master "/etc/keepalived/notify.sh master""#;
            let s = parse(c, &node(raw).root().unwrap(), "notify", &g)
                .unwrap()
                .unwrap();
            assert_eq!(s.args, ["/etc/keepalived/notify.sh", "master"]);
            assert_eq!(s.user, ROOT);
            assert_eq!(s.kind, Kind::Notify);
            let raw = "notify_master /x.sh nobody nogroup";
            let s = parse(c, &node(raw).root().unwrap(), "notify", &g)
                .unwrap()
                .unwrap();
            let nobody = User {
                uid: 65534,
                gid: 65534,
            };
            assert_eq!(s.user, nobody);
            // The lookup of keepalived_script is logged once, when first needed.
            assert_eq!(msgs(c), ["Script user 'keepalived_script' does not exist"]);
            assert_eq!(c.diags().exit_code(), 0);
        });
    }

    #[test]
    fn unquoted_argument_is_taken_as_a_user() {
        ctx_with(|c| {
            let g = Global::default();
            let raw = "notify_master /etc/keepalived/notify.sh master";
            assert!(parse(c, &node(raw).root().unwrap(), "notify", &g)
                .unwrap()
                .is_none());
            assert_eq!(
                msgs(c),
                [
                    "Script user 'master' does not exist",
                    "Invalid user/group for notify script /etc/keepalived/notify.sh - ignoring"
                ]
            );
            // Logged, not a configuration error: `keepalived -t` still exits 0.
            assert_eq!(c.diags().exit_code(), 0);
        });
    }

    #[test]
    fn missing_command_is_fatal_and_empty_one_ignored() {
        ctx_with(|c| {
            let g = Global::default();
            let f = parse(c, &node("notify_master").root().unwrap(), "notify", &g).unwrap_err();
            assert!(f
                .msg
                .contains("is missing a parameter after keyword `notify_master`"));
            assert!(parse(
                c,
                &node(r#"notify_master """#).root().unwrap(),
                "notify",
                &g
            )
            .unwrap()
            .is_none());
            assert_eq!(msgs(c), ["Unable to parse script '' - ignoring"]);
        });
    }

    #[test]
    fn default_user_under_script_security_without_keepalived_script() {
        ctx_with(|c| {
            let g = Global {
                enable_script_security: true,
                ..Global::default()
            };
            assert!(parse(
                c,
                &node("notify_master /a.sh").root().unwrap(),
                "notify",
                &g
            )
            .unwrap()
            .is_none());
            // The failure sticks and is reported once.
            assert!(parse(
                c,
                &node("notify_master /b.sh").root().unwrap(),
                "notify",
                &g
            )
            .unwrap()
            .is_none());
            // A script with its own user does not need the default.
            assert!(parse(
                c,
                &node("notify_master /c.sh root").root().unwrap(),
                "notify",
                &g
            )
            .unwrap()
            .is_some());
            assert_eq!(
                msgs(c),
                [
                    "Script user 'keepalived_script' does not exist",
                    "Unable to set default user keepalived_script for script",
                    "Failed to set default user for notify script /a.sh - ignoring",
                    "Failed to set default user for notify script /b.sh - ignoring",
                ]
            );
            assert_eq!(c.diags().exit_code(), 5);
        });
    }

    #[test]
    fn explicit_default_user_and_sticky_failure() {
        let d = DefaultUser::default();
        let host = crate::config::host::FakeHost::new();
        assert_eq!(d.peek(&host, true), None);
        assert_eq!(d.peek(&host, false), Some(ROOT));
        let nobody = User {
            uid: 65534,
            gid: 65534,
        };
        d.set(Some(nobody));
        assert_eq!(d.peek(&host, true), Some(nobody));
        d.set(None);
        d.set(Some(nobody));
        assert_eq!(d.peek(&host, false), None);
    }

    #[test]
    fn configuration_word_reads_back() {
        for args in [
            vec!["/x.sh", "a b", "it's", "q\"uote", "back\\slash", ""],
            vec!["/bin/true"],
        ] {
            let s = Script::new(
                args.iter().map(|w| w.to_string()).collect(),
                ROOT,
                Loc::default(),
                Kind::Notify,
            );
            let t = node(&format!("notify_master {}", s.config_word()));
            let n = t.root().unwrap();
            assert_eq!(command(&n).unwrap(), args);
        }
    }

    #[test]
    fn command_line_for_the_shell() {
        let s = Script::new(
            vec!["/x.sh".into(), "a b".into()],
            ROOT,
            Loc::default(),
            Kind::Notify,
        );
        assert_eq!(s.cmd_str(), "'/x.sh' 'a b'");
        let s = Script::new(
            vec!["</dev/tcp/127.0.0.1/80".into()],
            ROOT,
            Loc::default(),
            Kind::Misc,
        );
        assert_eq!(s.cmd_str(), "</dev/tcp/127.0.0.1/80");
    }
}
