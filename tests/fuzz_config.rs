//! Property-based fuzzing of the whole configuration front end (reader, parser, builders):
//! random bytes, random keyword soup, and mutations of real configurations. The property:
//! loading never panics and never hangs, and every message names a file and a line.
//!
//! Cases per strategy: `FUZZ_CASES` (default 200; `make test` runs more).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::{load, schema, LoadOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("ka-fuzz-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Loads `data` as a main configuration file; checks the property.
fn check(data: &[u8]) -> Result<(), TestCaseError> {
    let dir = Scratch::new();
    let path = dir.0.join("keepalived.conf");
    std::fs::write(&path, data).expect("write case");
    // An include target next to the main file, so mutated includes find something.
    std::fs::write(
        dir.0.join("inc.conf"),
        "vrrp_script s {\n script /bin/true\n}\n",
    )
    .expect("write include");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: Some("node1".into()),
        all_config: false,
    };
    let host = FakeHost::new();
    let loaded = load(&opts, &host);
    let code = loaded.exit_code();
    prop_assert!([0, 2, 4, 5, 6].contains(&code), "unexpected status {code}");
    for m in loaded.messages() {
        prop_assert!(m.contains(':'), "message without place: {m}");
    }
    if let Some(c) = &loaded.config {
        // The dump of whatever was accepted must be producible too.
        let _ = c.dump();
    }
    Ok(())
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    for sub in ["configs", "broken"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        out.extend(files.iter().filter_map(|f| std::fs::read(f).ok()));
    }
    assert!(out.len() > 20, "seed corpus missing");
    out
}

/// Every keyword of the schema, plus the grammar's own tokens.
fn vocabulary() -> Vec<String> {
    fn walk(tables: &[&[schema::Kw]], out: &mut Vec<String>) {
        for k in tables.iter().flat_map(|t| t.iter()) {
            if !out.iter().any(|w| w == k.name) {
                out.push(k.name.to_string());
            }
            if let schema::Kind::Block(sub) = k.kind {
                walk(sub, out);
            }
        }
    }
    let mut v = Vec::new();
    walk(schema::ROOT, &mut v);
    for t in [
        "{",
        "}",
        "\"",
        "\\",
        "#",
        "!",
        "$X=1",
        "$X",
        "${X}",
        "$M= \\",
        "@node1",
        "@^node1",
        "~SEQ(i,1,3)",
        "~LST(v,a,b)",
        "include inc.conf",
        "include *.conf",
        "10.0.0.1/24",
        "fe80::1",
        "0",
        "-1",
        "255",
        "4294967296",
        "1.5",
        "yes",
        "eth0",
        "MASTER",
        "BACKUP",
        "PASS",
        "AH",
        "TCP",
        "DR",
        "rr",
        "/bin/true",
        "\n",
        "\n",
        "\n",
    ] {
        v.push(t.to_string());
    }
    v
}

/// One mutation of `data`, driven by the three random numbers.
fn mutate(data: &mut Vec<u8>, vocab: &[String], op: u8, a: usize, b: usize) {
    let len = data.len().max(1);
    let (i, j) = (a % len, b % len);
    match op % 6 {
        0 if !data.is_empty() => data[i] ^= (b as u8) | 1,
        1 if !data.is_empty() => {
            let end = (i + 1 + b % 64).min(data.len());
            data.drain(i..end);
        }
        2 => {
            let w = &vocab[b % vocab.len()];
            let at = i.min(data.len());
            data.splice(at..at, format!(" {w} ").into_bytes());
        }
        3 => data.truncate(i),
        4 if i < j => {
            let chunk = data[i..j.min(i + 4096)].to_vec();
            data.extend_from_slice(&chunk);
        }
        _ => {
            let at = i.min(data.len());
            data.insert(at, b"{}\"\n"[b % 4]);
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&data)?;
    }

    #[test]
    fn keyword_soup(words in proptest::collection::vec((0usize..10_000, 0u8..4), 0..300)) {
        let vocab = vocabulary();
        let mut text = String::new();
        for (w, sep) in words {
            text.push_str(&vocab[w % vocab.len()]);
            text.push_str([" ", " ", "\n", " { "][sep as usize]);
        }
        check(text.as_bytes())?;
    }

    #[test]
    fn mutated_real_configs(seed in 0usize..1000, ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..12)) {
        let seeds = seeds();
        let vocab = vocabulary();
        let mut data = seeds[seed % seeds.len()].clone();
        for (op, a, b) in ops {
            mutate(&mut data, &vocab, op, a, b);
        }
        check(&data)?;
    }
}
