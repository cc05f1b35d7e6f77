//! `track_interface`, `track_script`, `track_file` and `track_process` list lines of
//! instances and sync groups: which object, with which weight.

use super::trackers::{TrackFile, TrackProcess, VrrpScript};
use super::Ifaces;
use crate::config::ctx::Ctx;
use crate::config::diag::Loc;
use crate::config::reader::Line;
use crate::config::value;
use crate::limits;

/// One tracked object and how it changes the priority: weight 0 means FAULT while the object
/// is failed; otherwise the weight is added while up (positive) or down (negative), with the
/// condition inverted by `reverse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    pub weight: i32,
    pub reverse: bool,
    pub loc: Loc,
    pub origin: Origin,
}

/// Where an entry of a tracking list comes from. Only configured entries are written back
/// as configuration lines: the others are derived when the configuration is read again.
/// Ordered from derived to explicit: an interface tracked several ways keeps the most
/// explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The instance's own interface or VMAC, or the interface of one of its addresses.
    Implicit,
    /// Merged in from the sync group of the instance.
    SyncGroup,
    /// A `track_*` line of the instance (or of the sync group, in the group's own lists).
    Configured,
}

/// Every tracking list of an instance or a sync group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracking {
    pub interfaces: Vec<TrackRef>,
    pub scripts: Vec<TrackRef>,
    pub files: Vec<TrackRef>,
    pub processes: Vec<TrackRef>,
}

/// The tracked objects defined so far (keepalived resolves names while reading).
pub struct Defined<'a> {
    pub scripts: &'a [VrrpScript],
    pub files: &'a [TrackFile],
    pub processes: &'a [TrackProcess],
}

/// What a list keyword tracks; the words differ a little in keepalived's messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Script,
    File,
    Process,
}

impl Tracking {
    /// Reads the lines of one `track_*` list keyword for `owner` (instance or group name).
    pub fn add_list(
        &mut self,
        ctx: &mut Ctx,
        ifaces: &mut Ifaces,
        owner: &str,
        kw: &str,
        lines: &[Line],
        defined: &Defined,
    ) {
        for line in lines {
            let Some(name) = line.first() else {
                continue;
            };
            let list_len = self.interfaces.len()
                + self.scripts.len()
                + self.files.len()
                + self.processes.len();
            if list_len >= limits::MAX_TRACKS_PER_INSTANCE {
                let msg = format!(
                    "({owner}) tracking {name} - more than MAX_TRACKS_PER_INSTANCE ({}) - ignoring",
                    limits::MAX_TRACKS_PER_INSTANCE
                );
                ctx.error(line.loc, msg);
                continue;
            }
            match kw {
                "track_interface" => self.add_interface(ctx, ifaces, owner, line, name),
                "track_script" => {
                    let w = defined
                        .scripts
                        .iter()
                        .find(|s| s.name == name)
                        .map(|s| (s.weight, s.reverse));
                    add_ref(ctx, &mut self.scripts, owner, line, w, Kind::Script);
                }
                "track_file" => {
                    let w = defined
                        .files
                        .iter()
                        .find(|f| f.name == name)
                        .map(|f| (f.weight, f.reverse));
                    add_ref(ctx, &mut self.files, owner, line, w, Kind::File);
                }
                "track_process" => {
                    let w = defined
                        .processes
                        .iter()
                        .find(|p| p.name == name)
                        .map(|p| (p.weight, p.reverse));
                    add_ref(ctx, &mut self.processes, owner, line, w, Kind::Process);
                }
                _ => {}
            }
        }
    }

    /// keepalived's `alloc_track_if()`.
    fn add_interface(
        &mut self,
        ctx: &mut Ctx,
        ifaces: &mut Ifaces,
        owner: &str,
        line: &Line,
        name: &str,
    ) {
        if !ifaces.lookup(ctx, line.loc, name) {
            ctx.error(
                line.loc,
                format!("({owner}) tracked interface {name} doesn't exist"),
            );
            return;
        }
        if self.interfaces.iter().any(|t| t.name == name) {
            ctx.error(
                line.loc,
                format!("({owner}) duplicate track_interface {name} - ignoring"),
            );
            return;
        }
        let mut weight = 0;
        let mut reverse = false;
        if let Some(opt) = line.word(1) {
            if opt != "weight" {
                let msg =
                    format!("({owner}) unknown track_interface {name} option {opt} - ignoring");
                ctx.error(line.loc, msg);
                return;
            }
            let Some(w) = line.word(2) else {
                let msg = format!(
                    "({owner}) weight without value specified for track_interface {name} - ignoring"
                );
                ctx.error(line.loc, msg);
                return;
            };
            weight = match value::int(ctx, line.loc, w, -254, 254) {
                None => {
                    let msg = format!("({owner}) weight {w} for {name} must be between [-253..253] inclusive. Ignoring...");
                    ctx.error(line.loc, msg);
                    0
                }
                Some(v) => clamp_254(ctx, line.loc, owner, name, v),
            };
            if let Some(opt) = line.word(3) {
                if opt == "reverse" {
                    reverse = true;
                } else {
                    // keepalived's message spells it "track_interace".
                    let msg = format!(
                        "({owner}) unknown track_interace {name} weight option {opt} - ignoring"
                    );
                    ctx.error(line.loc, msg);
                }
            }
        }
        self.interfaces.push(TrackRef {
            name: name.to_string(),
            weight,
            reverse,
            loc: line.loc,
            origin: Origin::Configured,
        });
    }
}

/// Weights of ±254 were once allowed; keepalived now lowers them to ±253.
fn clamp_254(ctx: &mut Ctx, loc: Loc, owner: &str, name: &str, v: i32) -> i32 {
    if v.abs() != 254 {
        return v;
    }
    let msg = format!("({owner}) weight for {name} cannot be +/-254. Setting to +/-253");
    ctx.error(loc, msg);
    v.signum() * 253
}

/// keepalived's `alloc_track_script()`, `vrrp_alloc_track_file()` and `alloc_track_process()`:
/// `NAME [weight W [reverse|noreverse]]`; `defaults` is the named object's own weight and
/// direction, None when no such object has been defined yet.
fn add_ref(
    ctx: &mut Ctx,
    list: &mut Vec<TrackRef>,
    owner: &str,
    line: &Line,
    defaults: Option<(i32, bool)>,
    kind: Kind,
) {
    let name = line.first().unwrap_or_default();
    let (what, list_kw) = match kind {
        Kind::Script => ("track script", "track_script"),
        Kind::File => ("track file", "track_file"),
        Kind::Process => ("track process", "track_process"),
    };
    let Some((mut weight, mut reverse)) = defaults else {
        ctx.error(
            line.loc,
            format!("({owner}) {what} {name} not found, ignoring..."),
        );
        return;
    };
    if list.iter().any(|t| t.name == name) {
        ctx.error(
            line.loc,
            format!("({owner}) duplicate {list_kw} {name} - ignoring"),
        );
        return;
    }
    if let Some(opt) = line.word(1) {
        if opt != "weight" {
            let msg = format!("({owner}) unknown {what} option {opt} - ignoring");
            ctx.error(line.loc, msg);
            return;
        }
        let Some(w) = line.word(2) else {
            let msg =
                format!("({owner}) weight without value specified for {what} {name} - ignoring");
            ctx.error(line.loc, msg);
            return;
        };
        match value::int(ctx, line.loc, w, -254, 254) {
            None => {
                let msg = match kind {
                    Kind::Script => format!("({owner}) track script {name}: weight must be between [-253..253] inclusive, ignoring..."),
                    _ => format!("({owner}) weight for {what} {name} must be in [-254..254] inclusive. Ignoring..."),
                };
                ctx.error(line.loc, msg);
            }
            Some(v) if kind == Kind::Script => weight = clamp_254(ctx, line.loc, owner, name, v),
            Some(v) => weight = v,
        }
        if let Some(opt) = line.word(3) {
            match opt {
                "reverse" => reverse = true,
                "noreverse" => reverse = false,
                _ => {
                    let msg = match kind {
                        Kind::File => format!(
                            "({owner}) unknown track file {name} weight option {opt} - ignoring"
                        ),
                        _ => format!(
                            "({owner}) unknown {list_kw} {name} weight option {opt} - ignoring"
                        ),
                    };
                    ctx.error(line.loc, msg);
                    // Only a track_file entry is dropped for it.
                    if kind == Kind::File {
                        return;
                    }
                }
            }
        }
    }
    list.push(TrackRef {
        name: name.to_string(),
        weight,
        reverse,
        loc: line.loc,
        origin: Origin::Configured,
    });
}
