//! Tracked files for real: inotify on the directory, keepalived's readings of the content,
//! missing, deleted and renamed files, `init_file`.

use std::os::fd::AsRawFd;
use std::path::PathBuf;

use keepalived_rs::config::diag::Loc;
use keepalived_rs::config::model::vrrp::{TrackFile, TrackFileInit, Vrrp};
use keepalived_rs::script::{FileEvent, TrackFiles};
use keepalived_rs::vrrp::action::FileId;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("ka-tf-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn track(name: &str, path: &str, init: Option<TrackFileInit>) -> TrackFile {
    TrackFile {
        name: name.into(),
        path: path.into(),
        weight: 1,
        reverse: false,
        init,
        loc: Loc::default(),
    }
}

/// Waits (briefly) for the inotify descriptor, then takes what it reports.
fn events(t: &mut TrackFiles) -> Vec<FileEvent> {
    let mut out = Vec::new();
    if let Some(fd) = t.fd() {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, 1000) };
    }
    t.on_readable(|e| out.push(e));
    out
}

/// Writes a file the way an editor or a script does: the watch sees its close.
fn write(path: &str, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn values_follow_the_file_through_writes_deletes_and_renames() {
    let d = Dir::new("follow");
    let a = d.path("a");
    let b = d.path("b");
    write(&a, "5\n");
    let mut vrrp = Vrrp::default();
    vrrp.track_files.push(track("A", &a, None));
    // Relative to nothing that exists yet: watched through its directory.
    vrrp.track_files.push(track("B", &b, None));
    let (mut t, log) = TrackFiles::new(&vrrp, false);
    assert!(log.is_empty(), "{log:?}");
    let (fa, fb) = (FileId(0), FileId(1));
    assert_eq!(t.values().collect::<Vec<_>>(), [(fa, 5), (fb, 0)]);

    write(&a, "0x10");
    assert_eq!(events(&mut t), [FileEvent::Value(fa, 16)]);
    // The same value again: nothing to report.
    write(&a, "16 and more");
    assert_eq!(events(&mut t), []);
    write(&b, "-3");
    assert_eq!(events(&mut t), [FileEvent::Value(fb, -3)]);
    // Deleted: 0.
    std::fs::remove_file(&b).unwrap();
    assert_eq!(events(&mut t), [FileEvent::Value(fb, 0)]);
    // Renamed into place (the atomic way to update): the new content.
    let tmp = d.path("a.tmp");
    write(&tmp, "7");
    let got = events(&mut t);
    assert_eq!(got, []);
    std::fs::rename(&tmp, &a).unwrap();
    assert_eq!(events(&mut t), [FileEvent::Value(fa, 7)]);
    // Renamed away: 0.
    std::fs::rename(&a, &b).unwrap();
    assert_eq!(
        events(&mut t),
        [FileEvent::Value(fa, 0), FileEvent::Value(fb, 7)]
    );
    // A number keepalived refuses leaves the value alone.
    write(&b, "4294967296");
    let bad = FileEvent::Invalid(fb, 4_294_967_296);
    assert_eq!(events(&mut t), [bad]);
    assert_eq!(
        t.show(bad).to_string(),
        format!("Invalid number 4294967296 read from {b} - ignoring")
    );
    assert_eq!(t.values().collect::<Vec<_>>(), [(fa, 0), (fb, 7)]);
    assert_eq!(t.path(fb), Some(b.as_str()));
}

#[test]
fn init_file_writes_missing_files_and_overwrites_only_when_asked() {
    let d = Dir::new("init");
    let (missing, kept, over) = (d.path("missing"), d.path("kept"), d.path("over"));
    write(&kept, "1\n");
    write(&over, "1\n");
    let init = |value, overwrite| Some(TrackFileInit { value, overwrite });
    let mut vrrp = Vrrp::default();
    vrrp.track_files.push(track("M", &missing, init(-5, false)));
    vrrp.track_files.push(track("K", &kept, init(9, false)));
    vrrp.track_files.push(track("O", &over, init(9, true)));
    let (t, log) = TrackFiles::new(&vrrp, false);
    assert!(log.is_empty(), "{log:?}");
    assert_eq!(std::fs::read_to_string(&missing).unwrap(), "-5\n");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "1\n");
    assert_eq!(std::fs::read_to_string(&over).unwrap(), "9\n");
    let v: Vec<i64> = t.values().map(|(_, v)| v).collect();
    assert_eq!(v, [-5, 1, 9]);
    // A reload never overwrites.
    write(&over, "2\n");
    let (_, log) = TrackFiles::new(&vrrp, true);
    assert!(log.is_empty());
    assert_eq!(std::fs::read_to_string(&over).unwrap(), "2\n");
}

#[test]
fn a_file_in_a_missing_directory_is_not_watched() {
    let d = Dir::new("nodir");
    let mut vrrp = Vrrp::default();
    vrrp.track_files
        .push(track("X", &d.path("no/such/file"), None));
    let (t, log) = TrackFiles::new(&vrrp, false);
    assert_eq!(
        log.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["Track file directory for X does not exist - removing"]
    );
    assert!(t.fd().is_none());
    assert_eq!(t.values().count(), 0);
}
