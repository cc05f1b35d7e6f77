//! Every capacity in `limits.rs` that a configuration can exceed is enforced at load time,
//! with an error that names the limit, and loading stays bounded.

use std::fmt::Write;
use std::path::PathBuf;

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::{load, LoadOptions, Loaded};
use keepalived_rs::limits::*;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("ka-limits-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn host() -> FakeHost {
    let mut h = FakeHost::new();
    h.interfaces.extend((1..8).map(|i| format!("eth{i}")));
    h
}

fn load_in(dir: &Dir, text: &str) -> Loaded {
    let path = dir.0.join("keepalived.conf");
    std::fs::write(&path, text).expect("write");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: Some("n".into()),
        all_config: false,
    };
    load(&opts, &host())
}

/// Loads `text` and checks that a message names `limit` and the status says "errors".
fn exceeds(tag: &str, text: &str, limit: &str) {
    let dir = Dir::new(tag);
    let l = load_in(&dir, text);
    let named = l.messages().iter().any(|m| m.contains(limit));
    assert!(
        named,
        "{tag}: no message names {limit}: {:?}",
        l.messages().iter().take(5).collect::<Vec<_>>()
    );
    assert_eq!(l.exit_code(), 5, "{tag}");
}

fn instance(name: &str, iface: usize, vrid: usize, vips: &str) -> String {
    format!("vrrp_instance {name} {{\n interface eth{iface}\n virtual_router_id {vrid}\n virtual_ipaddress {{\n{vips} }}\n}}\n")
}

#[test]
fn vrrp_instances() {
    let mut t = String::new();
    for i in 0..=MAX_VRRP_INSTANCES {
        t.push_str(&instance(
            &format!("VI_{i}"),
            i / 200,
            i % 200 + 1,
            &format!("  10.{}.{}.1\n", i / 200, i % 200),
        ));
    }
    exceeds("instances", &t, "MAX_VRRP_INSTANCES");
}

#[test]
fn addresses_of_an_instance() {
    let mut vips = String::new();
    for i in 0..MAX_VIPS_PER_INSTANCE + MAX_EVIPS_PER_INSTANCE + 1 {
        writeln!(vips, "  10.{}.{}.{}", i / 65536, i / 256 % 256, i % 256).ok();
    }
    exceeds(
        "vips",
        &instance("VI_1", 0, 1, &vips),
        "MAX_VIPS_PER_INSTANCE",
    );
}

#[test]
fn static_entries() {
    let mut t = String::from("static_ipaddress {\n");
    for i in 0..=MAX_STATIC_ENTRIES {
        writeln!(t, "  10.9.{}.{}/32 dev eth0", i / 256, i % 256).ok();
    }
    t.push_str("}\n");
    exceeds("static", &t, "MAX_STATIC_ENTRIES");
}

#[test]
fn scripts_and_groups() {
    let mut t = String::new();
    for i in 0..=MAX_VRRP_SCRIPTS {
        writeln!(t, "vrrp_script s{i} {{\n script /bin/true\n}}").ok();
    }
    exceeds("scripts", &t, "MAX_VRRP_SCRIPTS");
    let mut t = String::new();
    for i in 0..=MAX_TRACK_FILES {
        writeln!(t, "track_file f{i} {{\n file /tmp/f{i}\n}}").ok();
    }
    exceeds("track_files", &t, "MAX_TRACK_FILES");
}

#[test]
fn virtual_and_real_servers() {
    let mut t = String::new();
    for i in 0..=MAX_VIRTUAL_SERVERS {
        writeln!(
            t,
            "virtual_server 10.8.{}.{} 80 {{\n protocol TCP\n real_server 10.7.0.1 80 {{\n }}\n}}",
            i / 256,
            i % 256
        )
        .ok();
    }
    exceeds("vs", &t, "MAX_VIRTUAL_SERVERS");
    let mut t = String::from("virtual_server 10.8.0.1 80 {\n protocol TCP\n");
    for i in 0..=MAX_REAL_SERVERS_PER_VS {
        writeln!(t, " real_server 10.7.{}.{} 80 {{\n }}", i / 256, i % 256).ok();
    }
    t.push_str("}\n");
    exceeds("rs", &t, "MAX_REAL_SERVERS_PER_VS");
}

#[test]
fn reading_limits() {
    exceeds(
        "line",
        &format!("{}\n", "x".repeat(MAX_LINE_LEN + 1)),
        "MAX_LINE_LEN",
    );
    // An include chain deeper than allowed.
    let dir = Dir::new("depth");
    for i in 0..=MAX_INCLUDE_DEPTH {
        std::fs::write(
            dir.0.join(format!("{i}.conf")),
            format!("include {}.conf\n", i + 1),
        )
        .expect("write");
    }
    std::fs::write(
        dir.0.join(format!("{}.conf", MAX_INCLUDE_DEPTH + 1)),
        "global_defs {\n}\n",
    )
    .expect("write");
    let l = load_in(&dir, "include 0.conf\n");
    assert!(
        l.messages().iter().any(|m| m.contains("MAX_INCLUDE_DEPTH")),
        "{:?}",
        l.messages()
    );
    assert_eq!(l.exit_code(), 5);
    // A definition that refers to itself.
    exceeds(
        "subst",
        "$A=$A x\nglobal_defs {\n router_id $A\n}\n",
        "MAX_SUBSTITUTIONS_PER_LINE",
    );
}
