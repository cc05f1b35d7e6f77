//! `-d` prints the effective configuration in keepalived's own syntax. Reading that text back
//! must give the same configuration: dump(load(dump(load(x)))) == dump(load(x)); and the
//! dump of a clean configuration is clean too. Checked on every tutorial and broken
//! configuration.

use std::path::{Path, PathBuf};

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::{load, LoadOptions};

fn dump_of(path: &Path, host: &FakeHost) -> (Option<String>, i32, Vec<String>) {
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: Some("node1".into()),
        all_config: false,
    };
    let l = load(&opts, host);
    (
        l.config.as_ref().map(|c| c.dump()),
        l.exit_code(),
        l.messages(),
    )
}

fn files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut v = Vec::new();
    for sub in ["configs", "broken"] {
        for e in std::fs::read_dir(root.join(sub)).expect("test configurations") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "conf") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

#[test]
fn dump_reads_back_to_itself() {
    let host = FakeHost::new();
    let dir = std::env::temp_dir().join(format!("ka-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in files() {
        let (Some(first), first_code, _) = dump_of(&f, &host) else {
            continue;
        };
        let again = dir.join("dump.conf");
        std::fs::write(&again, &first).expect("write dump");
        let (second, code, msgs) = dump_of(&again, &host);
        checked += 1;
        let clean = first_code != 0 || code == 0;
        if !clean || second.as_deref() != Some(first.as_str()) {
            failures.push(format!(
                "{}: status {code}, messages {msgs:?}\n--- first dump:\n{first}--- second dump:\n{}",
                f.display(),
                second.unwrap_or_default()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked > 40, "only {checked} configurations were dumped");
    assert!(
        failures.is_empty(),
        "{} dumps do not read back:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
