//! A build without the `lvs` feature: no LVS side. Virtual servers are read (and checked
//! by `-t`) but never run; the daemon says so once. `LvsSide` has no values, so the
//! runtime's calls into it compile to nothing.

use super::LvsIo as Io;
use crate::config::Config;
use crate::event::Token;
use crate::script::{MiscExit, Runner};
use crate::time::Instant;
use crate::vrrp::action::FileId;
use crate::vrrp::lvs_syncd::{SyncDaemon, SyncdRole};

/// Never reached: no probe sockets without LVS.
pub const PROBE_TOKEN: u32 = 1 << 24;

pub enum LvsSide {}

pub fn fifo_line_len(_: &Config) -> usize {
    0
}

impl LvsSide {
    pub fn new(config: &Config, _keep: bool, need_syncd: bool) -> Option<LvsSide> {
        if !config.lvs.virtual_servers.is_empty() || need_syncd {
            log::error!(
                "keepalived-rs was built without the lvs feature: virtual servers and the LVS \
                 sync daemon are not run"
            );
        }
        None
    }

    pub fn register_scripts(&mut self, _: &Config, _: &mut Runner) {
        match *self {}
    }

    pub fn start(&mut self, _: Instant) {
        match *self {}
    }

    pub fn start_checkers(
        &mut self,
        _: Instant,
        _: impl Iterator<Item = (FileId, i64)>,
        _: &mut Io,
    ) {
        match *self {}
    }

    pub fn file_values(&mut self, _: Instant, _: impl Iterator<Item = (FileId, i64)>, _: &mut Io) {
        match *self {}
    }

    pub fn misc_result(&mut self, _: Instant, _: u32, _: MiscExit, _: &mut Io) {
        match *self {}
    }

    pub fn addresses_changed(&mut self, _: Instant, _: &mut Io) {
        match *self {}
    }

    pub fn poll_at(&self) -> Option<Instant> {
        match *self {}
    }

    pub fn on_timeout(&mut self, _: Instant, _: &mut Io) {
        match *self {}
    }

    pub fn on_ready(&mut self, _: Instant, _: Token, _: &mut Io) {
        match *self {}
    }

    pub fn reload(
        &mut self,
        _: Instant,
        _: &Config,
        _: impl Iterator<Item = (FileId, i64)>,
        _: &mut Io,
    ) {
        match *self {}
    }

    pub fn stop(&mut self, _: Instant, _: &mut Io) {
        match *self {}
    }

    pub fn syncd(&mut self, _: Option<&SyncDaemon>, _: SyncdRole, _: bool) {
        match *self {}
    }
}
