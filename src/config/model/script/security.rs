//! The check keepalived runs on every script before it may run (`check_script_secure()`):
//! find it, make sure the user it runs as may execute it, decide how to start it, and, for
//! scripts run with root privileges, make sure no other user can change what will run.
//!
//! keepalived asks libmagic whether the file is a program or a `#!` script; anything else
//! runs through `/bin/sh -c`. We have no libmagic and read the first bytes instead: an ELF
//! header or `#!` means `execve()`. This differs only for exotic files (an ELF object that is
//! not an executable, other binary formats), which keepalived would hand to the shell.

use super::{Kind, Run, Script, ROOT};
use crate::config::ctx::Ctx;
use crate::config::diag::{Level, Loc};
use crate::config::host::{FileMeta, Host, User};
use crate::config::model::global::{Global, NotifyFifo};

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_ISVTX: u32 = 0o1000;
const S_IXUSR: u32 = 0o100;
const S_IXGRP: u32 = 0o010;
const S_IXOTH: u32 = 0o001;
const S_IWGRP: u32 = 0o020;
const S_IWOTH: u32 = 0o002;
/// glibc's PATH_MAX and NAME_MAX, which bound the `PATH` search.
const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

/// What checking one script found (keepalived's `SC_*` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Verdict {
    /// A file was found: it counts for the SECURITY VIOLATION report.
    is_script: bool,
    /// Some part of its path can be changed by a user other than root.
    insecure: bool,
    /// It must not run (insecure under `enable_script_security`, or a wrong file type).
    inhibit: bool,
    not_found: bool,
    /// The user it runs as may execute it.
    executable: bool,
    /// A program or `#!` script, for `execve()`; otherwise the shell runs it.
    execable: bool,
    /// A `</path` file test, which only the shell can run.
    system: bool,
}

impl Verdict {
    fn merge(self, o: Verdict) -> Verdict {
        Verdict {
            is_script: self.is_script || o.is_script,
            insecure: self.insecure || o.insecure,
            inhibit: self.inhibit || o.inhibit,
            not_found: self.not_found || o.not_found,
            executable: self.executable || o.executable,
            execable: self.execable || o.execable,
            system: self.system || o.system,
        }
    }
}

/// The keepalived process that checks a script, with its SECURITY VIOLATION text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Process {
    Parent,
    Checker,
    Vrrp,
}

impl Process {
    fn violation(self) -> &'static str {
        match self {
            Process::Parent => "start/shutdown scripts",
            Process::Checker => "check scripts",
            Process::Vrrp => "scripts",
        }
    }
}

/// Which of keepalived's processes have something to run: VRRP with a `vrrp_instance`, the
/// checker with a `virtual_server`. Only those check their scripts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Processes {
    pub vrrp: bool,
    pub checker: bool,
}

/// Checks every script as keepalived's processes do before they start, sets each
/// [`Script::run`], and reports the SECURITY VIOLATION of each process that would run
/// scripts without `enable_script_security`. The parent checks the start-up and shut-down
/// scripts; the checker process its scripts (`lvs`) and the FIFO readers it uses, but only
/// if there is a `virtual_server`; the VRRP process likewise (`vrrp`), only if there is a
/// `vrrp_instance`. The global FIFO reader is used by both and checked once.
pub fn check_all(
    ctx: &mut Ctx,
    active: Processes,
    global: &mut Global,
    vrrp: Vec<&mut Script>,
    lvs: Vec<&mut Script>,
) {
    let Processes {
        vrrp: vrrp_active,
        checker: lvs_active,
    } = active;
    let mut c = Checker {
        ctx,
        security: global.enable_script_security,
    };
    let Global {
        startup_script,
        shutdown_script,
        notify_fifo,
        vrrp_notify_fifo,
        lvs_notify_fifo,
        orphan_fifo_scripts: orphans,
        ..
    } = global;

    let parent = [startup_script, shutdown_script];
    c.process(
        Process::Parent,
        parent.into_iter().flatten().collect(),
        None,
    );

    let shared = reader(notify_fifo)
        .into_iter()
        .chain(orphans.global.as_mut());
    let shared = (lvs_active || vrrp_active).then(|| c.shared(shared.collect()));
    if lvs_active {
        let own = lvs.into_iter().chain(reader(lvs_notify_fifo));
        c.process(
            Process::Checker,
            own.chain(orphans.lvs.as_mut()).collect(),
            shared,
        );
    }
    if vrrp_active {
        let own = vrrp.into_iter().chain(reader(vrrp_notify_fifo));
        c.process(
            Process::Vrrp,
            own.chain(orphans.vrrp.as_mut()).collect(),
            shared,
        );
    }
}

/// The reader script of a FIFO.
fn reader(fifo: &mut Option<NotifyFifo>) -> Option<&mut Script> {
    fifo.as_mut().and_then(|f| f.script.as_mut())
}

/// What checking the scripts shared by two processes found, and where the first one is.
#[derive(Clone, Copy)]
struct Shared {
    verdict: Verdict,
    first: Option<Loc>,
}

struct Checker<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    security: bool,
}

impl Checker<'_, '_> {
    /// Checks scripts used by both the checker and the VRRP process.
    fn shared(&mut self, scripts: Vec<&mut Script>) -> Shared {
        let mut all = Shared {
            verdict: Verdict::default(),
            first: None,
        };
        for s in scripts {
            let v = self.script(Process::Vrrp, s);
            if v.is_script && all.first.is_none() {
                all.first = Some(s.loc);
            }
            all.verdict = all.verdict.merge(v);
        }
        all
    }

    /// Checks the scripts of one process, counting what its `shared` scripts found.
    fn process(&mut self, p: Process, scripts: Vec<&mut Script>, shared: Option<Shared>) {
        let mut all = shared.map_or_else(Verdict::default, |s| s.verdict);
        let mut first = None;
        for s in scripts {
            let v = self.script(p, s);
            if v.is_script && first.is_none() {
                first = Some(s.loc);
            }
            all = all.merge(v);
        }
        let first = first.or(shared.and_then(|s| s.first));
        if let (false, true, Some(loc)) = (self.security, all.is_script, first) {
            let insecure = if all.insecure {
                " There are insecure scripts."
            } else {
                ""
            };
            let msg = format!(
                "SECURITY VIOLATION - {} are being executed but script_security not enabled.{insecure}",
                p.violation()
            );
            self.ctx.report(loc, Level::SecurityError, msg);
        }
    }

    /// Checks one script and decides whether and how it runs.
    fn script(&mut self, p: Process, s: &mut Script) -> Verdict {
        let v = check_script(self.ctx, s, self.security);
        let failed = v.inhibit || v.not_found;
        // Notify scripts must be executable by their user; the others may also be `</file`
        // tests for the shell.
        let may_test = p == Process::Parent || s.kind != Kind::Notify;
        let runnable = v.executable || (v.system && may_test);
        self.report_disabled(s, v);
        s.run = if failed || !runnable {
            Run::Disabled
        } else if v.system || !v.execable {
            Run::Shell
        } else {
            Run::Exec
        };
        v
    }

    /// keepalived names disabled track and misc scripts (the former as a configuration error).
    fn report_disabled(&mut self, s: &Script, v: Verdict) {
        let why = if v.inhibit {
            "due to insecure"
        } else if v.not_found {
            "since not found/accessible"
        } else {
            return;
        };
        match &s.kind {
            Kind::Track(name) => self
                .ctx
                .error(s.loc, format!("Disabling track script {name} {why}")),
            Kind::Misc => self.ctx.info(
                s.loc,
                format!("Disabling misc script {} {why}", s.cmd_str()),
            ),
            Kind::Notify => {}
        }
    }
}

/// keepalived's `check_script_secure()` for one script; may replace `args[0]` by the path
/// that will run.
fn check_script(ctx: &mut Ctx, s: &mut Script, security: bool) -> Verdict {
    let Some(arg0) = s.args.first().cloned() else {
        return not_found();
    };
    if is_file_test(&arg0) {
        return Verdict {
            system: true,
            ..Verdict::default()
        };
    }
    if !arg0.contains('/') && !search_path(ctx, s) {
        return not_found();
    }
    let Some(real) = resolve(ctx, s) else {
        return not_found();
    };
    let (host, loc) = (ctx.host, s.loc);
    let target = real.clone().unwrap_or_else(|| s.args[0].clone());
    let Some(meta) = host.stat(&target) else {
        let msg = format!("Unable to access script `{}` - disabling", s.args[0]);
        ctx.info(loc, msg);
        return not_found();
    };
    let mut v = Verdict {
        is_script: true,
        execable: true,
        ..Verdict::default()
    };
    if is_executable(&meta, s.user) {
        v.executable = true;
        if !looks_like_program(host, &target) {
            let msg = format!("Please add a #! shebang to script {}", s.args[0]);
            ctx.info(loc, msg);
            v.execable = false;
        }
    } else {
        let msg = format!(
            "WARNING - script '{}' is not executable for uid:gid {}:{} - disabling.",
            s.args[0], s.user.uid, s.user.gid
        );
        ctx.info(loc, msg);
    }
    if !(v.executable && runs_privileged(&meta, s.user)) {
        return v;
    }
    v = v.merge(check_path(ctx, loc, &s.args[0], security));
    if let Some(real) = real {
        v = v.merge(check_path(ctx, loc, &real, security));
    }
    v
}

fn not_found() -> Verdict {
    Verdict {
        not_found: true,
        ..Verdict::default()
    }
}

/// `</path` (blanks allowed after `<`) only tests that a file can be opened.
fn is_file_test(arg0: &str) -> bool {
    arg0.strip_prefix('<')
        .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with('/'))
}

/// keepalived's `is_executable()`: root needs any execute bit; others the one of their class.
fn is_executable(m: &FileMeta, u: User) -> bool {
    if u.uid == 0 {
        m.mode & (S_IXUSR | S_IXGRP | S_IXOTH) != 0
    } else if u.uid == m.uid {
        m.mode & S_IXUSR != 0
    } else if u.gid == m.gid {
        m.mode & S_IXGRP != 0
    } else {
        m.mode & S_IXOTH != 0
    }
}

/// Whether `u` may search directory `m`.
fn can_search(m: &FileMeta, u: User) -> bool {
    u.uid == 0
        || (m.is_dir
            && if u.uid == m.uid {
                m.mode & S_IXUSR != 0
            } else if u.gid == m.gid {
                m.mode & S_IXGRP != 0
            } else {
                m.mode & S_IXOTH != 0
            })
}

/// The script runs with root privileges: as root, or set-user/group-id root.
fn runs_privileged(m: &FileMeta, u: User) -> bool {
    u.uid == 0
        || u.gid == 0
        || (m.uid == 0 && m.mode & S_IXUSR != 0 && m.mode & S_ISUID != 0)
        || (m.gid == 0 && m.mode & S_IXGRP != 0 && m.mode & S_ISGID != 0)
}

/// An ELF program or a `#!` script (what libmagic calls "executable" or "shared object").
fn looks_like_program(host: &dyn Host, path: &str) -> bool {
    host.file_head(path, 4)
        .is_some_and(|h| h.starts_with(b"#!") || h.starts_with(b"\x7fELF"))
}

/// The directories leading to `path` ("/", "/a", "/a/b" for "/a/b/c"), as keepalived walks
/// them; the last element is `path` itself.
fn components(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = path
        .match_indices('/')
        .map(|(i, _)| if i == 0 { "/" } else { &path[..i] })
        .collect();
    out.push(path);
    out
}

/// Whether `u` may reach `path`: every directory on the way must be searchable.
fn reachable(host: &dyn Host, path: &str, u: User) -> bool {
    let comps = components(path);
    let dirs = &comps[..comps.len() - 1];
    u.uid == 0
        || dirs
            .iter()
            .all(|d| host.stat(d).map_or(true, |m| can_search(&m, u)))
}

/// keepalived's `find_path()`: a bare command name is looked up in `PATH`, as the user it
/// runs as, for a regular file that user may execute. On success `args[0]` becomes the path.
fn search_path(ctx: &mut Ctx, s: &mut Script) -> bool {
    let host = ctx.host;
    let name = s.args[0].clone();
    let mut denied = false;
    let mut found = None;
    if !name.is_empty() && name.len() < PATH_MAX && name.len() <= NAME_MAX {
        for dir in host.path_env().split(':') {
            let candidate = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            if !reachable(host, &candidate, s.user) {
                continue;
            }
            let Some(m) = host.stat(&candidate) else {
                continue;
            };
            if m.is_file && is_executable(&m, s.user) {
                found = Some(candidate);
                break;
            }
            denied = true;
        }
    }
    match found {
        Some(path) => {
            let msg = format!("WARNING - script `{name}` resolved by path search to `{path}`. Please specify full path.");
            ctx.info(s.loc, msg);
            s.args[0] = path;
            true
        }
        None => {
            let msg = if denied {
                format!("Permissions failure for script {name} in path - disabling")
            } else {
                format!("Cannot find script {name} in path - disabling")
            };
            ctx.info(s.loc, msg);
            false
        }
    }
}

/// The part of a path after its last `/`.
fn file_part(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Resolves `args[0]` (`realpath()` as the script's user) and makes it the absolute path
/// without links, keeping the name it was called by when a link in the same directory
/// points to the real file (some programs act on their name). Returns the real file's path
/// when it differs from the new `args[0]`; None when the script cannot be reached.
fn resolve(ctx: &mut Ctx, s: &mut Script) -> Option<Option<String>> {
    let host = ctx.host;
    let arg0 = s.args[0].clone();
    let resolved = host
        .realpath(&arg0)
        .filter(|r| reachable(host, &arg0, s.user) && reachable(host, r, s.user));
    let Some(new) = resolved else {
        let why = access_error(host, &arg0, s.user);
        ctx.info(s.loc, format!("Script {arg0} cannot be accessed - {why}"));
        return None;
    };
    if new == arg0 {
        return Some(None);
    }
    let (orig_name, new_name) = (file_part(&arg0), file_part(&new));
    let mut real = None;
    let mut path = new.clone();
    if orig_name != new_name {
        let dir_len = new.len() - new_name.len();
        let named = format!("{}{orig_name}", &new[..dir_len]);
        // Use the original name only if it is the same file.
        if host.realpath(&named).as_deref() == Some(new.as_str()) {
            real = Some(new);
            path = named;
        }
    }
    if path != arg0 {
        s.args[0] = path;
    }
    Some(real)
}

/// The `strerror()` text of a failed `realpath()`.
fn access_error(host: &dyn Host, path: &str, u: User) -> &'static str {
    let comps = components(path);
    let dirs = &comps[..comps.len() - 1];
    if dirs.iter().any(|d| host.stat(d).is_some_and(|m| !m.is_dir)) {
        "Not a directory"
    } else if !reachable(host, path, u) {
        "Permission denied"
    } else {
        "No such file or directory"
    }
}

/// keepalived's `check_security()`: every directory on the way to a script run with root
/// privileges, and the script itself, must belong to root and not be writable by others
/// (a directory with the sticky bit may be).
fn check_path(ctx: &mut Ctx, loc: Loc, path: &str, security: bool) -> Verdict {
    let comps = components(path);
    let last = comps.len() - 1;
    for (i, c) in comps.into_iter().enumerate() {
        let Some(m) = ctx.host.lstat(c) else {
            let msg = format!("check_script_secure could not find script '{path}' - disabling");
            ctx.info(loc, msg);
            return not_found();
        };
        let right_type = if i < last {
            m.is_dir
        } else {
            m.is_file || m.is_symlink
        };
        if !right_type {
            ctx.info(
                loc,
                format!("Wrong file type found in script path '{path}'."),
            );
            return Verdict {
                inhibit: true,
                ..Verdict::default()
            };
        }
        let shared_dir = m.is_dir && m.mode & S_ISVTX == 0;
        let writable = (m.gid != 0 && m.mode & S_IWGRP != 0) || m.mode & S_IWOTH != 0;
        if m.uid != ROOT.uid || ((shared_dir || m.is_file) && writable) {
            let disabling = if security { " - disabling" } else { "" };
            let msg = format!("Unsafe permissions found for script '{path}'{disabling}.");
            ctx.info(loc, msg);
            return Verdict {
                insecure: true,
                inhibit: security,
                ..Verdict::default()
            };
        }
    }
    Verdict::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::diag::Diagnostics;
    use crate::config::host::FakeHost;

    fn script(path: &str, kind: Kind) -> Script {
        let loc = Loc { file: 0, line: 9 };
        Script::new(vec![path.into(), "arg".into()], ROOT, loc, kind)
    }

    /// Checks `s` as a VRRP script on `host`; returns the script and the messages.
    fn check(host: &FakeHost, mut s: Script, security: bool) -> (Script, Vec<(Level, String)>) {
        let mut d = Diagnostics::default();
        {
            let mut ctx = Ctx::new(&mut d, host);
            let mut c = Checker {
                ctx: &mut ctx,
                security,
            };
            c.process(Process::Vrrp, vec![&mut s], None);
        }
        let msgs = d.list.into_iter().map(|x| (x.level, x.msg)).collect();
        (s, msgs)
    }

    const VIOLATION: &str =
        "SECURITY VIOLATION - scripts are being executed but script_security not enabled.";

    #[test]
    fn secure_script_runs_and_counts_as_a_script() {
        let mut h = FakeHost::new();
        h.add_script("/etc/keepalived/ok.sh");
        let (s, m) = check(&h, script("/etc/keepalived/ok.sh", Kind::Notify), false);
        assert_eq!(s.run, Run::Exec);
        assert_eq!(m, [(Level::SecurityError, VIOLATION.to_string())]);
        let (s, m) = check(&h, script("/etc/keepalived/ok.sh", Kind::Notify), true);
        assert_eq!(s.run, Run::Exec);
        assert!(m.is_empty());
    }

    #[test]
    fn bare_names_are_searched_in_path() {
        let mut h = FakeHost::new();
        h.add_script("/usr/bin/check");
        let (s, m) = check(&h, script("check", Kind::Notify), true);
        assert_eq!(s.args, ["/usr/bin/check", "arg"]);
        assert_eq!(s.run, Run::Exec);
        assert!(m[0]
            .1
            .starts_with("WARNING - script `check` resolved by path search"));
        let (s, m) = check(&h, script("nothere", Kind::Track("chk".into())), true);
        assert_eq!(s.run, Run::Disabled);
        assert_eq!(
            m,
            [
                (
                    Level::Info,
                    "Cannot find script nothere in path - disabling".to_string()
                ),
                (
                    Level::GeneralError,
                    "Disabling track script chk since not found/accessible".to_string()
                )
            ]
        );
    }

    #[test]
    fn missing_and_non_executable_scripts_are_disabled() {
        let mut h = FakeHost::new();
        h.add_file("/etc/keepalived/noexec.sh", 0o644);
        let (s, m) = check(&h, script("/etc/keepalived/noexec.sh", Kind::Notify), true);
        assert_eq!(s.run, Run::Disabled);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0]
            .1
            .contains("is not executable for uid:gid 0:0 - disabling."));
        let (s, m) = check(&h, script("/etc/keepalived/gone.sh", Kind::Misc), true);
        assert_eq!(s.run, Run::Disabled);
        assert_eq!(
            m.last().unwrap().1,
            "Disabling misc script '/etc/keepalived/gone.sh' 'arg' since not found/accessible"
        );
        assert_eq!(m.last().unwrap().0, Level::Info);
    }

    #[test]
    fn writable_paths_are_insecure_and_disabled_only_under_script_security() {
        let mut h = FakeHost::new();
        h.add_script("/opt/w/x.sh");
        h.files.get_mut("/opt/w").unwrap().mode = 0o040777;
        let (s, m) = check(&h, script("/opt/w/x.sh", Kind::Track("chk".into())), false);
        assert_eq!(s.run, Run::Exec);
        assert_eq!(
            m.last().unwrap().1,
            format!("{VIOLATION} There are insecure scripts.")
        );
        let (s, m) = check(&h, script("/opt/w/x.sh", Kind::Track("chk".into())), true);
        assert_eq!(s.run, Run::Disabled);
        assert_eq!(
            m.last().unwrap(),
            &(
                Level::GeneralError,
                "Disabling track script chk due to insecure".to_string()
            )
        );
        // A sticky directory such as /tmp is fine.
        h.files.get_mut("/opt/w").unwrap().mode = 0o041777;
        let (s, _) = check(&h, script("/opt/w/x.sh", Kind::Track("chk".into())), true);
        assert_eq!(s.run, Run::Exec);
    }

    #[test]
    fn files_owned_or_group_writable_by_others() {
        let mut h = FakeHost::new();
        h.add_script("/k/nobody.sh");
        h.files.get_mut("/k/nobody.sh").unwrap().uid = 65534;
        h.add_script("/k/gw.sh");
        let gw = h.files.get_mut("/k/gw.sh").unwrap();
        gw.mode = 0o100775;
        gw.gid = 65534;
        h.add_script("/k/gw0.sh");
        h.files.get_mut("/k/gw0.sh").unwrap().mode = 0o100775;
        for (path, run) in [
            ("/k/nobody.sh", Run::Disabled),
            ("/k/gw.sh", Run::Disabled),
            ("/k/gw0.sh", Run::Exec),
        ] {
            let (s, _) = check(&h, script(path, Kind::Notify), true);
            assert_eq!(s.run, run, "{path}");
        }
    }

    #[test]
    fn unprivileged_scripts_are_not_path_checked_but_need_access() {
        let mut h = FakeHost::new();
        h.add_script("/opt/w/x.sh");
        h.files.get_mut("/opt/w").unwrap().mode = 0o040777;
        let nobody = User {
            uid: 65534,
            gid: 65534,
        };
        let mut s = script("/opt/w/x.sh", Kind::Notify);
        s.user = nobody;
        let (s, m) = check(&h, s, true);
        assert_eq!(s.run, Run::Exec);
        assert!(m.is_empty(), "{m:?}");
        h.files.get_mut("/opt/w").unwrap().mode = 0o040700;
        let mut s = script("/opt/w/x.sh", Kind::Notify);
        s.user = nobody;
        let (s, m) = check(&h, s, true);
        assert_eq!(s.run, Run::Disabled);
        assert_eq!(
            m[0].1,
            "Script /opt/w/x.sh cannot be accessed - Permission denied"
        );
    }

    #[test]
    fn how_scripts_are_started() {
        let mut h = FakeHost::new();
        h.add_file("/k/plain.sh", 0o755);
        h.heads.insert("/k/plain.sh".into(), b"exit 0\n".to_vec());
        h.add_file("/k/prog", 0o755);
        h.heads.insert("/k/prog".into(), b"\x7fELF\x02".to_vec());
        let (s, m) = check(&h, script("/k/plain.sh", Kind::Notify), true);
        assert_eq!(s.run, Run::Shell);
        assert_eq!(m[0].1, "Please add a #! shebang to script /k/plain.sh");
        let (s, _) = check(&h, script("/k/prog", Kind::Notify), true);
        assert_eq!(s.run, Run::Exec);
        // A file test runs through the shell, and is no script for the violation report;
        // keepalived never runs it as a notify script.
        let (s, m) = check(
            &h,
            script("</dev/tcp/127.0.0.1/80", Kind::Track("t".into())),
            false,
        );
        assert_eq!(s.run, Run::Shell);
        assert!(m.is_empty());
        let (s, _) = check(&h, script("< /x", Kind::Notify), false);
        assert_eq!(s.run, Run::Disabled);
        let (s, _) = check(&h, script("</x", Kind::Notify), false);
        assert_eq!(s.run, Run::Disabled);
    }

    #[test]
    fn each_process_checks_its_own_scripts_and_the_shared_reader() {
        let mut h = FakeHost::new();
        h.add_script("/k/ok.sh");
        h.add_script("/opt/w/bad.sh");
        h.files.get_mut("/opt/w").unwrap().mode = 0o040777;
        let fifo = NotifyFifo {
            path: "/run/f".into(),
            user: Some(ROOT),
            user_names: None,
            default_names: None,
            script: Some(script("/opt/w/bad.sh", Kind::Notify)),
            loc: Loc::default(),
        };
        let mut g = Global {
            notify_fifo: Some(fifo),
            ..Global::default()
        };
        let mut track = script("/k/ok.sh", Kind::Track("chk".into()));
        let mut misc = script("/k/missing.sh", Kind::Misc);
        let mut d = Diagnostics::default();
        {
            let mut ctx = Ctx::new(&mut d, &h);
            let both = Processes {
                vrrp: true,
                checker: true,
            };
            check_all(&mut ctx, both, &mut g, vec![&mut track], vec![&mut misc]);
        }
        let shown: Vec<&str> = d
            .list
            .iter()
            .filter(|x| x.level != Level::Info)
            .map(|x| x.msg.as_str())
            .collect();
        assert_eq!(
            shown,
            [
                "SECURITY VIOLATION - check scripts are being executed but script_security not enabled. There are insecure scripts.",
                "SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.",
            ]
        );
        assert_eq!((track.run, misc.run), (Run::Exec, Run::Disabled));
        // Without instances or virtual servers nothing but the parent's scripts is checked.
        let mut track = script("/k/ok.sh", Kind::Track("chk".into()));
        let mut d = Diagnostics::default();
        {
            let mut ctx = Ctx::new(&mut d, &h);
            check_all(
                &mut ctx,
                Processes::default(),
                &mut g,
                vec![&mut track],
                vec![],
            );
        }
        assert!(d.list.is_empty());
        assert_eq!(track.run, Run::Unchecked);
    }

    #[test]
    fn path_components_as_keepalived_walks_them() {
        assert_eq!(components("/a/b/c"), ["/", "/a", "/a/b", "/a/b/c"]);
        assert_eq!(components("a/b"), ["a", "a/b"]);
        assert_eq!(components("/x"), ["/", "/x"]);
        assert!(is_file_test("< \t/dev/tcp/x/1"));
        assert!(!is_file_test("<"));
    }
}
