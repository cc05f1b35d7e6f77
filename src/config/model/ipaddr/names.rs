//! Names of routing tables, scopes, protocols, DS fields, realms and device groups, resolved
//! as keepalived resolves them: a number (any C base) within the kind's range, else a name
//! from iproute2's file for that kind (`/etc/iproute2/rt_tables` ...), else one of
//! keepalived's built-in names. Each file is read once, on first use.
//! IP protocol names (`ipproto` of rules) come from `/etc/protocols`.

use std::path::{Path, PathBuf};

use super::cnum;
use crate::config::text;

/// The kinds of iproute2 name files keepalived reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tables,
    Dsfield,
    Realms,
    Protos,
    Groups,
    Scopes,
}

const KINDS: usize = 6;

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Tables => "rt_tables",
            Kind::Dsfield => "rt_dsfield",
            Kind::Realms => "rt_realms",
            Kind::Protos => "rt_protos",
            Kind::Groups => "group",
            Kind::Scopes => "rt_scopes",
        }
    }

    fn max(self) -> u32 {
        match self {
            Kind::Tables => u32::MAX,
            Kind::Groups => i32::MAX as u32,
            _ => 255,
        }
    }

    /// keepalived's built-in names, added for ids the file does not name.
    fn defaults(self) -> &'static [(u32, &'static str)] {
        match self {
            Kind::Tables => &[(253, "default"), (254, "main"), (255, "local")],
            Kind::Protos => &[
                (0, "none"),
                (1, "redirect"),
                (2, "kernel"),
                (3, "boot"),
                (4, "static"),
                (8, "gated"),
                (9, "ra"),
                (10, "mrt"),
                (11, "zebra"),
                (12, "bird"),
                (42, "babel"),
                (13, "dnrouted"),
                (14, "xorp"),
                (15, "ntk"),
                (16, "dhcp"),
            ],
            Kind::Scopes => SCOPE_NAMES,
            Kind::Dsfield | Kind::Realms | Kind::Groups => &[],
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Address and route scopes keepalived knows without `rt_scopes`.
pub const SCOPE_NAMES: &[(u32, &str)] = &[
    (0, "global"),
    (255, "nowhere"),
    (254, "host"),
    (253, "link"),
    (200, "site"),
];

/// Route types (`ip route` TYPE words), with their kernel numbers.
pub const ROUTE_TYPES: &[(u8, &str)] = &[
    (2, "local"),
    (10, "nat"),
    (3, "broadcast"),
    (3, "brd"),
    (4, "anycast"),
    (5, "multicast"),
    (8, "prohibit"),
    (7, "unreachable"),
    (6, "blackhole"),
    (11, "xresolve"),
    (1, "unicast"),
    (9, "throw"),
];

/// keepalived's route type lookup: a type name, else a number 0..=255 in any C base.
pub fn route_type(word: &str) -> Option<u8> {
    if let Some((id, _)) = ROUTE_TYPES.iter().find(|(_, n)| *n == word) {
        return Some(*id);
    }
    let n = cnum::strtoul(word, 0);
    if n.end != word.len() || n.value > 255 || word.starts_with('-') {
        return None;
    }
    Some(n.value as u8)
}

/// The name files, read lazily from one directory, and the protocols database.
#[derive(Debug)]
pub struct RtNames {
    dir: PathBuf,
    protocols: PathBuf,
    lists: [Option<Vec<(u32, String)>>; KINDS],
    ip_protocols: Option<Vec<(String, u8)>>,
}

impl RtNames {
    /// The files the system's keepalived reads.
    pub fn system() -> RtNames {
        RtNames::new("/etc/iproute2", "/etc/protocols")
    }

    /// Name files from `dir`, IP protocol names from `protocols`.
    pub fn new(dir: impl Into<PathBuf>, protocols: impl Into<PathBuf>) -> RtNames {
        RtNames {
            dir: dir.into(),
            protocols: protocols.into(),
            lists: Default::default(),
            ip_protocols: None,
        }
    }

    /// `table ID|NAME`.
    pub fn table(&mut self, word: &str) -> Option<u32> {
        self.find(Kind::Tables, word)
    }

    /// `tos|dsfield N|NAME`.
    pub fn dsfield(&mut self, word: &str) -> Option<u8> {
        self.find(Kind::Dsfield, word).map(|v| v as u8)
    }

    /// One realm of `realms`.
    pub fn realm(&mut self, word: &str) -> Option<u8> {
        self.find(Kind::Realms, word).map(|v| v as u8)
    }

    /// A route `protocol`.
    pub fn proto(&mut self, word: &str) -> Option<u8> {
        self.find(Kind::Protos, word).map(|v| v as u8)
    }

    /// A device group (`suppress_ifgroup`).
    pub fn group(&mut self, word: &str) -> Option<u32> {
        self.find(Kind::Groups, word)
    }

    /// `scope N|NAME`.
    pub fn scope(&mut self, word: &str) -> Option<u8> {
        self.find(Kind::Scopes, word).map(|v| v as u8)
    }

    /// keepalived's IP protocol lookup: a decimal number up to 127 (sic: keepalived caps at
    /// the signed 8-bit maximum), else a name or alias from the protocols database.
    pub fn ip_proto(&mut self, word: &str) -> Option<u8> {
        let w = word.trim_start_matches(text::is_ws);
        if w.is_empty() || w.starts_with('-') {
            return None;
        }
        let n = cnum::strtoul(w, 10);
        if n.value > 127 {
            return None;
        }
        if n.end == w.len() {
            return Some(n.value as u8);
        }
        let path = self.protocols.clone();
        let list = self
            .ip_protocols
            .get_or_insert_with(|| read_protocols(&path));
        list.iter().find(|(name, _)| name == w).map(|(_, id)| *id)
    }

    /// keepalived's lookup: a whole number (C base prefixes allowed) is taken if within the
    /// kind's range; anything else is looked up by name.
    fn find(&mut self, kind: Kind, word: &str) -> Option<u32> {
        let n = cnum::strtoul(word, 0);
        if n.end > 0 && n.end == word.len() {
            // keepalived keeps the low 32 bits of the C `unsigned long`.
            let id = n.value as u32;
            return (id <= kind.max()).then_some(id);
        }
        self.list(kind)
            .iter()
            .find(|(_, name)| name == word)
            .map(|(id, _)| *id)
    }

    fn list(&mut self, kind: Kind) -> &[(u32, String)] {
        let path = self.dir.join(kind.file());
        self.lists[kind.index()].get_or_insert_with(|| {
            let mut list = read_name_file(&path, kind.max());
            for &(id, name) in kind.defaults() {
                if !list.iter().any(|(i, _)| *i == id) {
                    list.push((id, name.to_string()));
                }
            }
            list
        })
    }
}

/// Reads `ID NAME` lines as keepalived does: the file is read in chunks of at most 127
/// bytes (its line buffer), a chunk must be exactly two words, and the id a non-negative
/// number (any C base) no larger than `max`. Everything else is skipped, comments included.
fn read_name_file(path: &Path, max: u32) -> Vec<(u32, String)> {
    let Ok(data) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut list = Vec::new();
    for chunk in fgets_chunks(&data, 127) {
        let line = String::from_utf8_lossy(chunk);
        let (words, _) = text::tokenize(&line);
        let words: Vec<&str> = words.iter(&line).collect();
        let [id, name] = words[..] else {
            continue;
        };
        let num = id.trim_start_matches([' ', '\t']);
        let n = cnum::strtoul(num, 0);
        if num.starts_with('-') || n.end == 0 || n.end != num.len() || n.value > u64::from(max) {
            continue;
        }
        list.push((n.value as u32, name.to_string()));
    }
    list
}

/// Splits `data` as repeated `fgets()` calls with a buffer of `limit + 1` bytes would.
fn fgets_chunks(data: &[u8], limit: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let window = &rest[..rest.len().min(limit)];
        let len = window
            .iter()
            .position(|&b| b == b'\n')
            .map_or(window.len(), |p| p + 1);
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        Some(chunk)
    })
}

/// The protocols database (`/etc/protocols` format): `name number [aliases...]`, `#` comments.
fn read_protocols(path: &Path) -> Vec<(String, u8)> {
    let Ok(data) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut list = Vec::new();
    for line in data.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_ascii_whitespace();
        let (Some(name), Some(num)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(id) = num.parse::<u8>() else {
            continue;
        };
        list.push((name.to_string(), id));
        list.extend(fields.map(|alias| (alias.to_string(), id)));
    }
    list
}

/// The name keepalived's own tables give a scope, else its number.
pub fn scope_name(scope: u8) -> String {
    SCOPE_NAMES
        .iter()
        .find(|(id, _)| *id == u32::from(scope))
        .map_or_else(|| scope.to_string(), |(_, n)| (*n).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(files: &[(&str, &str)]) -> (RtNames, PathBuf) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ka-rtnames-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("temp file");
        }
        (RtNames::new(&dir, dir.join("protocols")), dir)
    }

    #[test]
    fn numbers_names_and_defaults() {
        let (mut n, dir) = names_in(&[
            (
                "rt_tables",
                "# reserved\n255\tlocal\n254\tmain\n100 \"web\"\n200 bad extra\n-3 neg\n0x10 hex\n",
            ),
            ("rt_scopes", "253 lnk\n"),
            ("rt_dsfield", "0x28\tAF11\n"),
        ]);
        assert_eq!(n.table("web"), Some(100));
        assert_eq!(n.table("hex"), Some(16));
        assert_eq!(n.table("default"), Some(253));
        assert_eq!(n.table("bad"), None);
        assert_eq!(n.table("neg"), None);
        assert_eq!(n.table("0x20"), Some(32));
        assert_eq!(n.table("-1"), Some(u32::MAX));
        // A file naming id 253 hides keepalived's own name for it.
        assert_eq!(n.scope("link"), None);
        assert_eq!(n.scope("lnk"), Some(253));
        assert_eq!(n.scope("host"), Some(254));
        assert_eq!(n.scope("256"), None);
        assert_eq!(n.dsfield("AF11"), Some(0x28));
        assert_eq!(n.dsfield("AF12"), None);
        assert_eq!(n.proto("keepalived"), None);
        assert_eq!(n.proto("boot"), Some(3));
        assert_eq!(n.realm("7"), Some(7));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn protocol_names_and_numbers() {
        let (mut n, dir) = names_in(&[("protocols", "tcp\t6\tTCP\t# tcp\nudp 17 UDP\n")]);
        assert_eq!(n.ip_proto("tcp"), Some(6));
        assert_eq!(n.ip_proto("UDP"), Some(17));
        assert_eq!(n.ip_proto("127"), Some(127));
        assert_eq!(n.ip_proto("128"), None);
        assert_eq!(n.ip_proto("-1"), None);
        assert_eq!(n.ip_proto("sctp"), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn route_types() {
        assert_eq!(route_type("blackhole"), Some(6));
        assert_eq!(route_type("0x5"), Some(5));
        assert_eq!(route_type("256"), None);
        assert_eq!(route_type("10.0.0.0/8"), None);
    }

    #[test]
    fn long_lines_are_cut_like_fgets() {
        let data = format!("{}\n1 a\n", "x".repeat(130));
        let chunks: Vec<_> = fgets_chunks(data.as_bytes(), 127).collect();
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].len(), 127);
        assert_eq!(chunks[2], b"1 a\n");
    }
}
