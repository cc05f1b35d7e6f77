//! keepalived.conf: reading, parsing and the typed, immutable model.
//!
//! ```text
//! files ─[reader]→ logical lines ─[parser + schema]→ block tree ─[model::build]→ Config
//! ```
//! Every step reports into one [`Diagnostics`] list as `file:line: message`, with
//! keepalived's error classes, so `-t` exits with keepalived's status.

pub mod ctx;
pub mod defs;
pub mod diag;
pub mod dump;
pub mod file_lines;
pub mod glob;
pub mod host;
pub mod line_text;
pub mod model;
pub mod parser;
pub mod reader;
pub mod schema;
pub mod text;
pub mod value;
pub mod words;

use diag::{Diagnostics, Fatal};
use host::Host;
pub use model::Config;

/// What the command line says about reading the configuration.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The main file (may be a glob).
    pub path: String,
    /// `-i`: the id `@ID` lines are matched against; default: the host name up to its first `.`.
    pub config_id: Option<String>,
    /// `-e`: every include must exist and be readable.
    pub all_config: bool,
}

/// The result of loading: the configuration unless a fatal error stopped it, and everything
/// reported on the way.
#[derive(Debug)]
pub struct Loaded {
    pub config: Option<Config>,
    pub fatal: Option<Fatal>,
    pub diags: Diagnostics,
}

impl Loaded {
    /// keepalived's `-t` exit status.
    pub fn exit_code(&self) -> i32 {
        if self.fatal.is_some() {
            diag::exit::CONFIG
        } else {
            self.diags.exit_code()
        }
    }

    /// Every message, rendered `file:line: message`; a fatal error last.
    pub fn messages(&self) -> Vec<String> {
        let mut out: Vec<String> = self.diags.rendered().collect();
        if let Some(f) = &self.fatal {
            let d = diag::Diagnostic {
                loc: f.loc,
                level: diag::Level::Fatal,
                msg: f.msg.clone(),
            };
            out.push(self.diags.render(&d));
        }
        out
    }
}

/// The id matched by `@ID` lines: `-i`, else the host name up to its first dot.
pub fn config_id(opts: &LoadOptions, host: &dyn Host) -> String {
    match &opts.config_id {
        Some(id) => id.clone(),
        None => host.hostname().split('.').next().unwrap_or("").to_string(),
    }
}

/// Reads, parses, builds and validates the configuration.
pub fn load(opts: &LoadOptions, host: &dyn Host) -> Loaded {
    let mut diags = Diagnostics::default();
    let id = config_id(opts, host);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let checks = if opts.all_config {
        reader::check::ALL
    } else {
        0
    };
    let result = {
        let mut r = reader::Reader::open(&mut diags, &opts.path, &id, checks, seed);
        model::build(&mut r, host)
    };
    if diags.file_error {
        // keepalived stops before starting its processes when a required include is missing.
        return Loaded {
            config: None,
            fatal: None,
            diags,
        };
    }
    match result {
        Ok(config) => Loaded {
            config: Some(config),
            fatal: None,
            diags,
        },
        Err(f) => Loaded {
            config: None,
            fatal: Some(f),
            diags,
        },
    }
}

/// Helpers for tests: load a configuration given as text.
#[cfg(test)]
pub mod testutil {
    use super::*;

    /// Writes `text` to a fresh temporary file and loads it against `host`.
    pub fn load_text(text: &str, host: &dyn Host) -> Loaded {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ka-load-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("keepalived.conf");
        std::fs::write(&path, text).expect("temp file");
        let opts = LoadOptions {
            path: path.to_string_lossy().into_owned(),
            config_id: Some("node1".into()),
            all_config: false,
        };
        let loaded = load(&opts, host);
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    }

    /// The messages of a load as (line, level, text).
    pub fn messages(l: &Loaded) -> Vec<(u32, diag::Level, String)> {
        l.diags
            .list
            .iter()
            .map(|d| (d.loc.line, d.level, d.msg.clone()))
            .collect()
    }
}
