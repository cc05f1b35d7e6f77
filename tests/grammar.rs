//! The configuration language end to end on tests/configs/grammar.conf: definitions
//! (multi-line too), `~SEQ`/`~LST`, conditional lines, one-line blocks and quoted comment
//! characters reach the typed model as keepalived reads them.

use std::path::Path;

use keepalived_rs::config::host::FakeHost;
use keepalived_rs::config::{load, LoadOptions};

#[test]
fn grammar_features_reach_the_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs/grammar.conf");
    let opts = LoadOptions {
        path: path.to_string_lossy().into_owned(),
        config_id: Some("node1".into()),
        all_config: false,
    };
    let l = load(&opts, &FakeHost::new());
    assert_eq!(l.exit_code(), 0, "{:?}", l.messages());
    let c = l.config.expect("configuration");
    assert_eq!(c.global.router_id, "grammar_node");
    assert_eq!(c.global.notification_email, ["ops#1@example.com"]);
    let names: Vec<&str> = c.vrrp.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["VI_GRAMMAR", "VI_ONELINE"]);
    let vi = &c.vrrp.instances[0];
    assert_eq!(vi.priority, 120);
    let vips: Vec<String> = vi
        .vips
        .iter()
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect();
    assert_eq!(
        vips,
        [
            "10.2.0.100/24",
            "10.2.0.101/24",
            "10.2.1.1/32",
            "10.2.1.2/32",
            "10.2.1.3/32"
        ]
    );
    let evips: Vec<String> = vi
        .evips
        .iter()
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect();
    assert_eq!(evips, ["10.2.2.1/24", "10.2.3.1/24"]);
    let one_line = &c.vrrp.instances[1];
    assert_eq!(one_line.vips.len(), 1);
}
