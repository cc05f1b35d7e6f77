//! What configuration checking needs to know about the machine: interfaces, users and
//! groups, files (for script security). keepalived checks these during `-t` too.
//!
//! The real implementation lives in `crate::sys`; tests use [`FakeHost`].

use std::collections::HashMap;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

/// The parts of `stat(2)` that script security looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits and file type bits (`st_mode`).
    pub mode: u32,
    pub is_dir: bool,
    pub is_file: bool,
    pub is_symlink: bool,
}

pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    /// The name of an existing private-mode macvlan on interface `parent` with MAC `mac`:
    /// a VMAC of an earlier run (or of the running daemon, on a reload), which keepalived
    /// takes over under its name ("Found matching interface").
    fn matching_vmac(&self, _parent: &str, _mac: [u8; 6]) -> Option<String> {
        None
    }
    /// The node name (`uname -n`).
    fn hostname(&self) -> String;
    fn user(&self, name: &str) -> Option<User>;
    fn group(&self, name: &str) -> Option<u32>;
    /// `stat(2)`, following symbolic links.
    fn stat(&self, path: &str) -> Option<FileMeta>;
    /// `lstat(2)`.
    fn lstat(&self, path: &str) -> Option<FileMeta>;
    /// `realpath(3)`.
    fn realpath(&self, path: &str) -> Option<String>;
    /// The `PATH` used to find scripts given without a `/`.
    fn path_env(&self) -> String;
    /// The first `n` bytes of a file (fewer if it is shorter), to tell programs and `#!`
    /// scripts from other files.
    fn file_head(&self, _path: &str, _n: usize) -> Option<Vec<u8>> {
        None
    }
    /// A whole file of at most `max` bytes (the `SSL` block's files). Err: why not, as
    /// text.
    fn read_file(&self, path: &str, _max: usize) -> Result<Vec<u8>, String> {
        Err(format!("{path}: not readable"))
    }
    /// The first address of a host name (`getaddrinfo`), for names keepalived resolves while
    /// reading the configuration.
    fn resolve(&self, _name: &str) -> Option<IpAddr> {
        None
    }
}

/// A scripted machine for tests.
#[derive(Debug, Default, Clone)]
pub struct FakeHost {
    pub interfaces: Vec<String>,
    /// Private-mode macvlans: (name, parent, MAC), for [`Host::matching_vmac`].
    pub vmacs: Vec<(String, String, [u8; 6])>,
    pub hostname: String,
    pub users: HashMap<String, User>,
    pub groups: HashMap<String, u32>,
    pub files: HashMap<String, FileMeta>,
    /// The first bytes of files, for [`Host::file_head`].
    pub heads: HashMap<String, Vec<u8>>,
    /// Whole files, for [`Host::read_file`].
    pub contents: HashMap<String, Vec<u8>>,
    /// Name to address, for [`Host::resolve`].
    pub hosts: HashMap<String, IpAddr>,
    pub path: String,
}

impl FakeHost {
    /// A host with `lo` and `eth0`, user root and `nobody`, named "node1".
    pub fn new() -> FakeHost {
        let mut h = FakeHost {
            interfaces: vec!["lo".into(), "eth0".into()],
            hostname: "node1".into(),
            path: "/usr/sbin:/usr/bin:/sbin:/bin".into(),
            ..FakeHost::default()
        };
        h.users.insert("root".into(), User { uid: 0, gid: 0 });
        h.users.insert(
            "nobody".into(),
            User {
                uid: 65534,
                gid: 65534,
            },
        );
        h.groups.insert("root".into(), 0);
        h.groups.insert("nogroup".into(), 65534);
        h.hosts
            .insert("localhost".into(), IpAddr::from([127, 0, 0, 1]));
        h
    }

    /// Adds a root-owned executable script (mode 0755, starting `#!/bin/sh`).
    pub fn add_script(&mut self, path: &str) {
        self.add_file(path, 0o755);
        self.heads.insert(path.into(), b"#!/bin/sh\n".to_vec());
    }

    /// Adds a root-owned file with `mode` (e.g. 0o755), and its parent directories.
    pub fn add_file(&mut self, path: &str, mode: u32) {
        let meta = FileMeta {
            uid: 0,
            gid: 0,
            mode: 0o100000 | mode,
            is_dir: false,
            is_file: true,
            is_symlink: false,
        };
        self.files.insert(path.into(), meta);
        let mut dir = path;
        while let Some(i) = dir.rfind('/') {
            dir = &dir[..i];
            let d = if dir.is_empty() { "/" } else { dir };
            let meta = FileMeta {
                uid: 0,
                gid: 0,
                mode: 0o040755,
                is_dir: true,
                is_file: false,
                is_symlink: false,
            };
            self.files.entry(d.into()).or_insert(meta);
        }
    }
}

impl Host for FakeHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.interfaces.iter().any(|i| i == name)
    }
    fn matching_vmac(&self, parent: &str, mac: [u8; 6]) -> Option<String> {
        self.vmacs
            .iter()
            .find(|(_, p, m)| p == parent && *m == mac)
            .map(|(n, _, _)| n.clone())
    }
    fn hostname(&self) -> String {
        self.hostname.clone()
    }
    fn user(&self, name: &str) -> Option<User> {
        self.users.get(name).copied()
    }
    fn group(&self, name: &str) -> Option<u32> {
        self.groups.get(name).copied()
    }
    fn stat(&self, path: &str) -> Option<FileMeta> {
        self.files.get(path).copied()
    }
    fn lstat(&self, path: &str) -> Option<FileMeta> {
        self.files.get(path).copied()
    }
    fn realpath(&self, path: &str) -> Option<String> {
        self.files.contains_key(path).then(|| path.to_string())
    }
    fn path_env(&self) -> String {
        self.path.clone()
    }
    fn file_head(&self, path: &str, n: usize) -> Option<Vec<u8>> {
        let head = self.heads.get(path).map_or(&[][..], Vec::as_slice);
        self.files
            .contains_key(path)
            .then(|| head[..n.min(head.len())].to_vec())
    }
    fn read_file(&self, path: &str, max: usize) -> Result<Vec<u8>, String> {
        match self.contents.get(path) {
            Some(c) if c.len() <= max => Ok(c.clone()),
            Some(_) => Err(format!("larger than {max} bytes")),
            None => Err("No such file or directory".into()),
        }
    }
    fn resolve(&self, name: &str) -> Option<IpAddr> {
        self.hosts.get(name).copied()
    }
}
