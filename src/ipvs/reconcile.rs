//! `diff(desired, current)`: the IPVS commands that turn the current table into the
//! desired one, and only those.
//!
//! Both tables are sorted ([`Table::sort`]); the diff walks them side by side, once per
//! kind of command, so the ops come out in an order the kernel accepts and that keeps
//! traffic flowing:
//!
//! 1. SET_SERVICE for kept services whose scheduler, flags or persistence changed;
//! 2. NEW_SERVICE for new services;
//! 3. NEW_DEST and SET_DEST for destinations of desired services (new ones after their
//!    service, before anything is taken away);
//! 4. DEL_DEST for destinations that go from kept services;
//! 5. DEL_SERVICE for services that go (the kernel removes their destinations with them).
//!
//! [`Scope`] says what the current table holds: everything in it ours (a reload diffs the
//! new desired table against the old one; a checker event one virtual server's tables
//! before and after), or the kernel's whole table (start-up), where services that are not
//! desired belong to someone else and stay.
//!
//! Ops are plain values holding every key and attribute the codec needs. [`Ops`] has a
//! fixed capacity; what does not fit is counted, and a later reconcile does the rest.

use std::fmt;
use std::net::IpAddr;

use super::model::{Dest, DestKey, Service, ServiceKey, Table, TableDest};

/// One IPVS command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    NewService(Service),
    SetService(Service),
    DelService(ServiceKey),
    NewDest(ServiceKey, Dest),
    SetDest(ServiceKey, Dest),
    DelDest(ServiceKey, DestKey),
}

impl fmt::Display for Op {
    /// What the op was doing, for the log line of its failure: `(adding TCP 10.0.0.1:80)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dest = |f: &mut fmt::Formatter<'_>, verb, d: &DestKey, k: &ServiceKey| match d.addr {
            IpAddr::V4(a) => write!(f, "({verb} real server {a}:{} of {k})", d.port),
            IpAddr::V6(a) => write!(f, "({verb} real server [{a}]:{} of {k})", d.port),
        };
        match self {
            Op::NewService(s) => write!(f, "(adding {})", s.key),
            Op::SetService(s) => write!(f, "(changing {})", s.key),
            Op::DelService(k) => write!(f, "(removing {k})"),
            Op::NewDest(k, d) => dest(f, "adding", &d.key, k),
            Op::SetDest(k, d) => dest(f, "changing", &d.key, k),
            Op::DelDest(k, d) => dest(f, "removing", d, k),
        }
    }
}

impl Op {
    pub fn service(&self) -> &ServiceKey {
        match self {
            Op::NewService(s) | Op::SetService(s) => &s.key,
            Op::DelService(k) | Op::NewDest(k, _) | Op::SetDest(k, _) | Op::DelDest(k, _) => k,
        }
    }
}

/// What the current table stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything in it is ours: what is not desired goes.
    Owned,
    /// The kernel's whole table: services not desired are left alone; the destinations of
    /// desired services are ours.
    DesiredServices,
}

/// Ops of one diff, with a fixed capacity.
#[derive(Clone, Debug, Default)]
pub struct Ops {
    list: Vec<Op>,
    dropped: usize,
}

impl Ops {
    pub fn with_capacity(n: usize) -> Ops {
        Ops {
            list: Vec::with_capacity(n),
            dropped: 0,
        }
    }

    pub fn push(&mut self, op: Op) {
        if self.list.len() < self.list.capacity() {
            self.list.push(op);
        } else {
            self.dropped += 1;
        }
    }

    pub fn clear(&mut self) {
        self.list.clear();
        self.dropped = 0;
    }

    pub fn as_slice(&self) -> &[Op] {
        &self.list
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Op> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Ops that did not fit: run the reconcile again once these are done.
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

impl<'a> IntoIterator for &'a Ops {
    type Item = &'a Op;
    type IntoIter = std::slice::Iter<'a, Op>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// Walks two sorted slices by key, calling `f(desired, current)` with each key's entries.
fn merge<'a, T, K: Ord>(
    a: &'a [T],
    b: &'a [T],
    key: impl Fn(&T) -> K,
    mut f: impl FnMut(Option<&'a T>, Option<&'a T>),
) {
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (None, None) => return,
            (Some(x), None) => {
                f(Some(x), None);
                i += 1;
            }
            (None, Some(y)) => {
                f(None, Some(y));
                j += 1;
            }
            (Some(x), Some(y)) => match key(x).cmp(&key(y)) {
                std::cmp::Ordering::Less => {
                    f(Some(x), None);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    f(None, Some(y));
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    f(Some(x), Some(y));
                    i += 1;
                    j += 1;
                }
            },
        }
    }
}

fn dest_key(d: &TableDest) -> (ServiceKey, DestKey) {
    (d.service, d.dest.key)
}

/// Appends to `ops` the commands that turn `current` into `desired` (both sorted).
pub fn diff(desired: &Table, current: &Table, scope: Scope, ops: &mut Ops) {
    let (ds, cs) = (desired.services(), current.services());
    merge(
        ds,
        cs,
        |s| s.key,
        |d, c| {
            if let (Some(d), Some(c)) = (d, c) {
                if d.attrs != c.attrs {
                    ops.push(Op::SetService(*d));
                }
            }
        },
    );
    merge(
        ds,
        cs,
        |s| s.key,
        |d, c| {
            if let (Some(d), None) = (d, c) {
                ops.push(Op::NewService(*d));
            }
        },
    );
    let (dd, cd) = (desired.dests(), current.dests());
    merge(dd, cd, dest_key, |d, c| match (d, c) {
        (Some(d), None) => ops.push(Op::NewDest(d.service, d.dest)),
        (Some(d), Some(c)) if d.dest.attrs != c.dest.attrs => {
            ops.push(Op::SetDest(d.service, d.dest))
        }
        _ => {}
    });
    merge(dd, cd, dest_key, |d, c| {
        if let (None, Some(c)) = (d, c) {
            // Only from services that stay: a service that goes takes its
            // destinations with it, and one not ours is left alone.
            if desired.service(&c.service).is_some() {
                ops.push(Op::DelDest(c.service, c.dest.key));
            }
        }
    });
    if scope == Scope::Owned {
        merge(
            ds,
            cs,
            |s| s.key,
            |d, c| {
                if let (None, Some(c)) = (d, c) {
                    ops.push(Op::DelService(c.key));
                }
            },
        );
    }
}

/// What keepalived removes at stop (without `-I`): every service of `owned`.
pub fn remove_all(owned: &Table, ops: &mut Ops) {
    for s in owned.services() {
        ops.push(Op::DelService(s.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::model::{DestAttrs, Fwd, Name, Netmask, ServiceAttrs};

    fn svc(port: u16) -> Service {
        Service {
            key: ServiceKey::Addr {
                protocol: 6,
                addr: "10.0.0.1".parse::<IpAddr>().unwrap(),
                port,
            },
            attrs: ServiceAttrs {
                scheduler: Name::new("wrr").unwrap(),
                pe_name: Name::default(),
                flags: 0,
                timeout: 0,
                netmask: Netmask::full(2),
            },
        }
    }

    fn dest(last: u8, weight: u32) -> Dest {
        Dest {
            key: DestKey {
                addr: IpAddr::from([192, 168, 0, last]),
                port: 80,
            },
            attrs: DestAttrs {
                fwd: Fwd::Masq,
                weight,
                u_threshold: 0,
                l_threshold: 0,
            },
        }
    }

    fn table(services: &[(Service, &[Dest])]) -> Table {
        let mut t = Table::with_capacity(8, 32);
        for (s, ds) in services {
            t.push_service(*s).unwrap();
            for d in *ds {
                t.push_dest(s.key, *d).unwrap();
            }
        }
        t.sort();
        t
    }

    fn run(desired: &Table, current: &Table, scope: Scope) -> Vec<Op> {
        let mut ops = Ops::with_capacity(64);
        diff(desired, current, scope, &mut ops);
        ops.as_slice().to_vec()
    }

    #[test]
    fn an_op_says_what_it_was_doing() {
        let k = svc(80).key;
        assert_eq!(
            Op::NewService(svc(80)).to_string(),
            "(adding TCP 10.0.0.1:80)"
        );
        assert_eq!(
            Op::DelDest(k, dest(2, 1).key).to_string(),
            "(removing real server 192.168.0.2:80 of TCP 10.0.0.1:80)"
        );
        assert_eq!(
            Op::SetDest(k, dest(3, 0)).to_string(),
            "(changing real server 192.168.0.3:80 of TCP 10.0.0.1:80)"
        );
    }

    #[test]
    fn from_empty_services_come_before_their_destinations() {
        let want = table(&[(svc(80), &[dest(2, 1), dest(3, 1)])]);
        let ops = run(&want, &Table::default(), Scope::Owned);
        assert_eq!(
            ops,
            [
                Op::NewService(svc(80)),
                Op::NewDest(svc(80).key, dest(2, 1)),
                Op::NewDest(svc(80).key, dest(3, 1)),
            ]
        );
    }

    #[test]
    fn the_same_table_needs_nothing() {
        let t = table(&[(svc(80), &[dest(2, 1)]), (svc(443), &[dest(2, 1)])]);
        assert!(run(&t, &t.clone(), Scope::Owned).is_empty());
    }

    #[test]
    fn adds_come_before_removals_and_foreign_services_stay() {
        let mut s = svc(80);
        let current = table(&[(s, &[dest(2, 1), dest(3, 1)]), (svc(8080), &[dest(9, 1)])]);
        s.attrs.scheduler = Name::new("rr").unwrap();
        let desired = table(&[(s, &[dest(3, 5), dest(4, 1)])]);
        let ops = run(&desired, &current, Scope::DesiredServices);
        assert_eq!(
            ops,
            [
                Op::SetService(s),
                Op::SetDest(s.key, dest(3, 5)),
                Op::NewDest(s.key, dest(4, 1)),
                Op::DelDest(s.key, dest(2, 1).key),
            ]
        );
        let owned = run(&desired, &current, Scope::Owned);
        assert_eq!(owned.last(), Some(&Op::DelService(svc(8080).key)));
    }

    #[test]
    fn what_does_not_fit_is_counted() {
        let want = table(&[(svc(80), &[dest(2, 1), dest(3, 1)])]);
        let mut ops = Ops::with_capacity(1);
        diff(&want, &Table::default(), Scope::Owned, &mut ops);
        assert_eq!((ops.len(), ops.dropped()), (1, 2));
    }
}
