//! Executing the VRRP core's actions: adverts, addresses and firewall entries, gratuitous
//! ARPs and NAs, scripts and notifications, in the order the core pushed them.

use super::*;

impl VrrpSide {
    /// Executes `self.out` in order.
    pub(super) fn execute(&mut self, now: Instant) {
        let len = self.out.len();
        self.execute_range(now, 0, len);
    }

    /// Executes `self.out[from..to]` in order.
    pub(super) fn execute_range(&mut self, now: Instant, from: usize, to: usize) {
        if from == 0 {
            self.transitions.observe(&self.out, crate::event::wall());
        }
        if self.out.dropped() > 0 {
            log::error!(
                "VRRP: {} actions did not fit the action list and were lost",
                self.out.dropped()
            );
        }
        for k in from..to.min(self.out.len()) {
            let a = self.out.as_slice()[k];
            match a {
                Action::SendAdvert(s) => self.send_advert(&s),
                Action::AddAddresses(id) => self.addresses(id, true),
                Action::RemoveAddresses(id) => {
                    self.pacer.cancel(id);
                    if !(self.stopping && self.keep_addresses) {
                        self.addresses(id, false);
                    }
                }
                Action::Garp {
                    instance,
                    rounds,
                    scope,
                } => self.garp(now, instance, rounds, scope),
                Action::GarpSource(id) => {
                    let src = self.router.instance(id).and_then(|i| i.source());
                    let dev = self
                        .config
                        .vrrp
                        .instances
                        .get(usize::from(id.0))
                        .and_then(|c| vip_dev(c, None))
                        .and_then(nl::IfName::new);
                    if let (Some(addr), Some(dev)) = (src, dev) {
                        self.offer(now, id, dev.as_str(), addr);
                    }
                }
                Action::RunScript(id) => {
                    if let Err(e) = self.runner.run_script(now, id) {
                        log::error!("{e}");
                    }
                }
                Action::KillScript { script, signal } => {
                    let _ = self.runner.kill_script(script, signal);
                }
                Action::Notify { .. }
                | Action::MasterRxLowerPri { .. }
                | Action::PriorityChanged { .. } => {
                    self.events.clear();
                    self.notifier
                        .notify(now, &a, &mut self.runner, &mut self.events);
                    for e in &self.events {
                        if let script::Event::Log(m) = e {
                            log::error!("{}", self.runner.show(m));
                        }
                    }
                }
                Action::StartSyncd(role) => self.queue_syncd(role, true),
                Action::StopSyncd(role) => self.queue_syncd(role, false),
                Action::RemoveStale {
                    instance,
                    successor,
                    vips,
                } => self.remove_stale(instance, successor, vips),
                Action::Reloaded => {}
                Action::Log(m) => crate::log::msg(&m, &self.router),
            }
        }
    }

    fn send_advert(&mut self, s: &SendAdvert) {
        for dest in 0..self.router.advert_destinations(s.instance) {
            match self.router.emit_advert(s, dest, &mut self.packet) {
                Ok(e) => {
                    if let Err(err) = self.socks.send(s.instance, &e, &self.packet[..e.len]) {
                        self.io_errors += 1;
                        log::debug!(
                            "{}: send advert to {}: {err}",
                            self.router.instances()[usize::from(s.instance.0)].name(),
                            e.dst
                        );
                    }
                }
                Err(e) => log::debug!("advert not built: {e:?}"),
            }
        }
    }

    /// VIPs, eVIPs, routes and rules of instance `id` added (in that order) or removed (in
    /// the reverse order).
    fn addresses(&mut self, id: InstanceId, add: bool) {
        let Some(c) = self.config.vrrp.instances.get(usize::from(id.0)) else {
            return;
        };
        // The monitor does not report our own changes; ha_suspend checkers want to know.
        self.addrs_changed = true;
        let fail = |what: &str, e: nl::Error| {
            log::error!(
                "({}) {} {what}: {e}",
                c.name,
                if add { "adding" } else { "removing" }
            );
        };
        if !add {
            for r in c.rules.iter().rev() {
                if let Err(e) = self.nl.del_rule(r) {
                    fail("rule", e);
                }
            }
            for r in c.routes.iter().rev() {
                if let Err(e) = self.nl.del_route(r, &self.ifaces) {
                    fail("route", e);
                }
            }
        }
        for a in c.vips.iter().chain(&c.evips) {
            let Some(index) = vip_dev(c, a.dev.as_deref()).and_then(|d| self.ifaces.ifindex(d))
            else {
                continue;
            };
            let spec = AddrSpec::from(a);
            let r = if add {
                self.nl.add_address(index, &spec)
            } else {
                self.nl.del_address(index, &spec)
            };
            if let Err(e) = r {
                fail("address", e);
            }
        }
        if !c.accept {
            if let Some(f) = &mut self.firewall {
                let ifaces = &self.ifaces;
                let vips = c.vips.iter().chain(&c.evips).filter_map(|a| {
                    let dev = vip_dev(c, a.dev.as_deref())?;
                    Some(nl::Vip {
                        addr: a.addr,
                        ifindex: ifaces.named(dev).map_or(0, |i| i.index),
                        ifname: dev,
                        by_name: c.dont_track_primary,
                    })
                });
                let r = if add {
                    f.add_vips(vips)
                } else {
                    f.remove_vips(vips)
                };
                if let Err(e) = r {
                    fail("firewall entries", e);
                }
            }
        }
        if add {
            for r in &c.routes {
                if let Err(e) = self.nl.add_route(r, &self.ifaces) {
                    fail("route", e);
                }
            }
            for r in &c.rules {
                if let Err(e) = self.nl.add_rule(r) {
                    fail("rule", e);
                }
            }
        }
    }

    /// Reload: what old instance `id` had that its successor `succ` (of the new
    /// configuration) does not: rules and routes, and addresses when `vips`.
    pub(super) fn remove_stale(&mut self, id: InstanceId, succ: InstanceId, vips: bool) {
        let (Some(c), Some(n)) = (
            self.config.vrrp.instances.get(usize::from(id.0)),
            self.next_config
                .as_ref()
                .and_then(|n| n.vrrp.instances.get(usize::from(succ.0))),
        ) else {
            return;
        };
        for r in c.rules.iter().rev().filter(|r| !n.rules.contains(r)) {
            if let Err(e) = self.nl.del_rule(r) {
                log::error!("({}) removing rule: {e}", c.name);
            }
        }
        for r in c.routes.iter().rev().filter(|r| !n.routes.contains(r)) {
            if let Err(e) = self.nl.del_route(r, &self.ifaces) {
                log::error!("({}) removing route: {e}", c.name);
            }
        }
        if !vips {
            return;
        }
        let same = |a: &crate::config::model::ipaddr::IpAddress| {
            n.vips.iter().chain(&n.evips).any(|b| {
                b.addr == a.addr
                    && b.prefix == a.prefix
                    && vip_dev(n, b.dev.as_deref()) == vip_dev(c, a.dev.as_deref())
            })
        };
        for a in c.vips.iter().chain(&c.evips).filter(|a| !same(a)) {
            let Some(index) = vip_dev(c, a.dev.as_deref()).and_then(|d| self.ifaces.ifindex(d))
            else {
                continue;
            };
            if let Err(e) = self.nl.del_address(index, &AddrSpec::from(a)) {
                log::error!("({}) removing address {}: {e}", c.name, a.addr);
            }
        }
    }

    fn garp(&mut self, now: Instant, id: InstanceId, rounds: u32, scope: GarpScope) {
        let Some(c) = self.config.vrrp.instances.get(usize::from(id.0)) else {
            return;
        };
        let n = c.vips.len() + c.evips.len();
        if crate::log::detail() && scope == GarpScope::Addresses && rounds > 0 {
            if let Some(a) = c.vips.iter().chain(&c.evips).next() {
                let what = if a.addr.is_ipv6() {
                    "Unsolicited Neighbour Adverts"
                } else {
                    "gratuitous ARPs"
                };
                let dev = vip_dev(c, a.dev.as_deref()).unwrap_or("?");
                log::info!(
                    "({}) Sending/queueing {what} on {dev} for {}",
                    c.name,
                    a.addr
                );
            }
        }
        for _ in 0..rounds {
            match scope {
                GarpScope::Addresses => {
                    for k in 0..n {
                        self.garp_one(now, id, k);
                    }
                }
                GarpScope::ExtraInterfaces => {
                    let targets = self
                        .router
                        .instance(id)
                        .map_or(0, |i| i.garp_extra_targets().len());
                    for t in 0..targets {
                        let k = self
                            .router
                            .instance(id)
                            .and_then(|i| i.garp_extra_targets().get(t).copied());
                        if let Some(k) = k {
                            self.garp_one(now, id, usize::from(k));
                        }
                    }
                }
            }
        }
    }

    /// One GARP/NA for address `k` of instance `id` (its VIPs, then its eVIPs).
    fn garp_one(&mut self, now: Instant, id: InstanceId, k: usize) {
        let Some(c) = self.config.vrrp.instances.get(usize::from(id.0)) else {
            return;
        };
        let Some(a) = c.vips.iter().chain(&c.evips).nth(k) else {
            return;
        };
        let (addr, dev) = (a.addr, vip_dev(c, a.dev.as_deref()));
        if let Some(dev) = dev {
            // `dev` borrows the configuration; offer copies what it needs.
            let dev: nl::IfName = match nl::IfName::new(dev) {
                Some(d) => d,
                None => return,
            };
            self.offer(now, id, dev.as_str(), addr);
        }
    }

    fn offer(&mut self, now: Instant, id: InstanceId, dev: &str, addr: IpAddr) {
        let Some(k) = self.ifaces.find(dev) else {
            return;
        };
        let Some(i) = self.ifaces.get(k) else {
            return;
        };
        let m = Announce {
            instance: id,
            lane: LaneId(k as u16),
            ifindex: i.index,
            addr,
        };
        if let Some(m) = self.pacer.offer(now, m) {
            self.announce(m);
        }
    }

    pub(super) fn announce(&mut self, m: Announce) {
        let (Some(a), Some(i)) = (
            &self.announcer,
            self.ifaces
                .by_index(m.ifindex)
                .and_then(|k| self.ifaces.get(k)),
        ) else {
            return;
        };
        if crate::log::detail() {
            let what = if m.addr.is_ipv6() {
                "unsolicited Neighbour Advert"
            } else {
                "gratuitous ARP"
            };
            log::info!("Sending {what} on {} for {}", i.name.as_str(), m.addr);
        }
        if let Err(e) = a.send(&i.link(), m.addr, i.forwarding) {
            self.io_errors += 1;
            log::debug!(
                "gratuitous ARP/NA for {} on {}: {e}",
                m.addr,
                i.name.as_str()
            );
        }
    }
}
