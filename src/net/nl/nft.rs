//! nf_tables over netlink: the table keepalived 2.2.7 installs for `vrrp_strict` /
//! `no_accept` instances (traffic to and from VIPs dropped while they are not the owner's),
//! built as it builds it, in batches (NFNL_MSG_BATCH_BEGIN ... END) in one fixed buffer.
//!
//! Nothing is installed until the first VIP is: then the family's table, base chains
//! (`in`, `out`: filter hooks at the configured priority, policy accept), the `vips` set
//! and the drop rules; for IPv6 also neighbour discovery accepted and link-local VIPs
//! matched with their interface (`vips_link_local`, by index, or `vips_link_local_name`, by
//! name). Tables of the same name left by an earlier run are deleted in the first batch.
//! `close` deletes the tables.
//!
//! One difference: VIP elements are added without NLM_F_EXCL, so a VIP shared by two
//! instances does not make the second one's whole batch fail.

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::attr::{Be, Str, Writer, F_NESTED};
use super::error::Error;
use super::msg::{Messages, NLMSG_ERROR, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REQUEST};
use super::socket::Socket;
use crate::limits;

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 16;
const NFNL_MSG_BATCH_END: u16 = 17;

pub const NFT_MSG_NEWTABLE: u16 = 0;
pub const NFT_MSG_GETTABLE: u16 = 1;
pub const NFT_MSG_DELTABLE: u16 = 2;
pub const NFT_MSG_NEWCHAIN: u16 = 3;
pub const NFT_MSG_NEWRULE: u16 = 6;
pub const NFT_MSG_NEWSET: u16 = 9;
pub const NFT_MSG_NEWSETELEM: u16 = 12;
pub const NFT_MSG_DELSETELEM: u16 = 14;

const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;

const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_SET_TABLE: u16 = 1;
const NFTA_SET_NAME: u16 = 2;
const NFTA_SET_FLAGS: u16 = 3;
const NFTA_SET_KEY_TYPE: u16 = 4;
const NFTA_SET_KEY_LEN: u16 = 5;
const NFTA_SET_ID: u16 = 10;
const NFTA_SET_USERDATA: u16 = 13;
const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
const NFTA_SET_ELEM_LIST_SET: u16 = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_SET_ELEM_LIST_SET_ID: u16 = 4;
const NFTA_SET_ELEM_KEY: u16 = 1;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CODE: u16 = 1;
const NFTA_VERDICT_CHAIN: u16 = 2;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;

const NF_INET_LOCAL_IN: u32 = 1;
const NF_INET_LOCAL_OUT: u32 = 3;
const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;
const NFT_GOTO: u32 = -4i32 as u32;
const NFT_SET_CONSTANT: u32 = 0x2;
const NFT_REG_VERDICT: u32 = 0;
const NFT_REG_1: u32 = 1;
const NFT_REG_2: u32 = 2;
const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;
const NFT_META_IIF: u32 = 4;
const NFT_META_OIF: u32 = 5;
const NFT_META_IIFNAME: u32 = 6;
const NFT_META_OIFNAME: u32 = 7;
const NFT_CMP_EQ: u32 = 0;

/// nft's data types (its datatype.h), which tell `nft list` how to print set keys.
const TYPE_IPADDR: u32 = 7;
const TYPE_IP6ADDR: u32 = 8;
const TYPE_IFINDEX: u32 = 20;
const TYPE_ICMPV6_TYPE: u32 = 29;
const TYPE_IFNAME: u32 = 41;
const TYPE_BITS: u32 = 6;
/// libnftnl's set user data: the key's byte order, for nft to print it.
const UDATA_SET_KEYBYTEORDER: u8 = 0;
const BYTEORDER_HOST: u32 = 1;
const BYTEORDER_BIG: u32 = 2;

const IPPROTO_ICMPV6: u8 = 58;
const ND_NEIGHBOR_SOLICIT: u8 = 135;
const ND_NEIGHBOR_ADVERT: u8 = 136;
/// Offsets in the IP headers.
const IP4_SADDR: u32 = 12;
const IP4_DADDR: u32 = 16;
const IP6_NEXTHDR: u32 = 6;
const IP6_SADDR: u32 = 8;
const IP6_DADDR: u32 = 24;
const IFNAMSIZ: usize = 16;

/// How long to wait for the kernel's answer to a batch (it answers while it is sent).
const ANSWER_TIMEOUT_MS: i32 = 1000;

/// A VIP for the firewall sets.
#[derive(Clone, Copy, Debug)]
pub struct Vip<'a> {
    pub addr: IpAddr,
    /// The interface it is on: link-local VIPs are matched with it.
    pub ifindex: u32,
    pub ifname: &'a str,
    /// Match a link-local VIP's interface by name rather than index. keepalived does so
    /// when the instance has `dont_track_primary` and the address is on the instance's
    /// interface or is `no_track` (and `nftables_ifindex` is not set).
    pub by_name: bool,
}

/// The sets VIPs go in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VipSet {
    V4,
    V6,
    LinkLocalIndex,
    LinkLocalName,
}

impl VipSet {
    fn of(v: &Vip<'_>) -> VipSet {
        match v.addr {
            IpAddr::V4(_) => VipSet::V4,
            IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80 => {
                if v.by_name {
                    VipSet::LinkLocalName
                } else {
                    VipSet::LinkLocalIndex
                }
            }
            IpAddr::V6(_) => VipSet::V6,
        }
    }

    fn name(self) -> &'static str {
        match self {
            VipSet::V4 | VipSet::V6 => "vips",
            VipSet::LinkLocalIndex => "vips_link_local",
            VipSet::LinkLocalName => "vips_link_local_name",
        }
    }

    fn family(self) -> u8 {
        match self {
            VipSet::V4 => NFPROTO_IPV4,
            _ => NFPROTO_IPV6,
        }
    }

    const ALL: [VipSet; 4] = [
        VipSet::V4,
        VipSet::V6,
        VipSet::LinkLocalIndex,
        VipSet::LinkLocalName,
    ];
}

/// What is installed.
#[derive(Clone, Copy, Debug, Default)]
struct Installed {
    v4_table: bool,
    v4_vips: bool,
    v6_table: bool,
    v6_vips: bool,
    ll_index: bool,
    ll_name: bool,
    /// Tables of our name found at start, deleted before the first is made.
    stale_v4: bool,
    stale_v6: bool,
}

impl Installed {
    fn has(&self, s: VipSet) -> bool {
        match s {
            VipSet::V4 => self.v4_vips,
            VipSet::V6 => self.v6_vips,
            VipSet::LinkLocalIndex => self.ll_index,
            VipSet::LinkLocalName => self.ll_name,
        }
    }
}

pub struct Firewall {
    sock: Socket,
    buf: Box<[u8]>,
    rx: Box<[u8]>,
    table: String,
    priority: i32,
    installed: Installed,
    /// Set ids name sets created in the batch that uses them.
    set_id: u32,
}

/// A batch being written: its messages are numbered from `seq`.
struct Batch<'b> {
    w: Writer<'b>,
    seq: u32,
    messages: usize,
}

impl<'b> Batch<'b> {
    fn new(buf: &'b mut [u8], seq: u32) -> Result<Batch<'b>, Error> {
        let mut b = Batch {
            w: Writer::new(buf),
            seq,
            messages: 0,
        };
        b.control(NFNL_MSG_BATCH_BEGIN)?;
        Ok(b)
    }

    fn control(&mut self, kind: u16) -> Result<(), Error> {
        let m = self.w.begin_msg(kind, NLM_F_REQUEST, self.seq)?;
        self.seq = self.seq.wrapping_add(1);
        self.w.fixed(&nfgenmsg(0, NFNL_SUBSYS_NFTABLES))?;
        self.w.end_msg(m);
        Ok(())
    }

    /// One nf_tables message, acknowledged.
    fn msg(
        &mut self,
        kind: u16,
        family: u8,
        flags: u16,
        body: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let m = self.w.begin_msg(
            NFNL_SUBSYS_NFTABLES << 8 | kind,
            NLM_F_REQUEST | NLM_F_ACK | flags,
            self.seq,
        )?;
        self.seq = self.seq.wrapping_add(1);
        self.w.fixed(&nfgenmsg(family, 0))?;
        body(&mut self.w)?;
        self.w.end_msg(m);
        self.messages += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<Finished, Error> {
        self.control(NFNL_MSG_BATCH_END)?;
        Ok(Finished {
            len: self.w.len(),
            messages: self.messages,
            end_seq: self.seq,
        })
    }
}

/// A batch ready to send.
struct Finished {
    len: usize,
    /// Messages that will be answered (all but BEGIN and END).
    messages: usize,
    /// The sequence number after its last message.
    end_seq: u32,
}

/// `struct nfgenmsg`: family, version 0, resource id (big-endian).
fn nfgenmsg(family: u8, res_id: u16) -> [u8; 4] {
    let r = res_id.to_be_bytes();
    [family, 0, r[0], r[1]]
}

/// Writes expressions into NFTA_RULE_EXPRESSIONS.
struct Exprs<'w, 'b> {
    w: &'w mut Writer<'b>,
}

impl Exprs<'_, '_> {
    fn expr(
        &mut self,
        name: &str,
        data: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let elem = self.w.nest(NFTA_LIST_ELEM | F_NESTED)?;
        self.w.attr(NFTA_EXPR_NAME, &Str(name))?;
        let d = self.w.nest(NFTA_EXPR_DATA | F_NESTED)?;
        data(self.w)?;
        self.w.end_nest(d)?;
        self.w.end_nest(elem)
    }

    fn payload(&mut self, base: u32, offset: u32, len: u32) -> Result<(), Error> {
        self.expr("payload", |w| {
            w.attr(1, &Be(NFT_REG_1))?;
            w.attr(2, &Be(base))?;
            w.attr(3, &Be(offset))?;
            w.attr(4, &Be(len))
        })
    }

    fn meta(&mut self, key: u32, dreg: u32) -> Result<(), Error> {
        self.expr("meta", |w| {
            w.attr(2, &Be(key))?;
            w.attr(1, &Be(dreg))
        })
    }

    fn lookup(&mut self, set: &str) -> Result<(), Error> {
        self.expr("lookup", |w| {
            w.attr(2, &Be(NFT_REG_1))?;
            w.attr(1, &Str(set))
        })
    }

    fn cmp_eq(&mut self, value: &[u8]) -> Result<(), Error> {
        self.expr("cmp", |w| {
            w.attr(1, &Be(NFT_REG_1))?;
            w.attr(2, &Be(NFT_CMP_EQ))?;
            data_value(w, 3, value)
        })
    }

    fn bitwise(&mut self, mask: &[u8], xor: &[u8]) -> Result<(), Error> {
        self.expr("bitwise", |w| {
            w.attr(1, &Be(NFT_REG_1))?;
            w.attr(2, &Be(NFT_REG_1))?;
            w.attr(3, &Be(mask.len() as u32))?;
            data_value(w, 4, mask)?;
            data_value(w, 5, xor)
        })
    }

    fn verdict(&mut self, code: u32, chain: Option<&str>) -> Result<(), Error> {
        self.expr("immediate", |w| {
            w.attr(1, &Be(NFT_REG_VERDICT))?;
            let data = w.nest(2 | F_NESTED)?;
            let v = w.nest(NFTA_DATA_VERDICT | F_NESTED)?;
            w.attr(NFTA_VERDICT_CODE, &Be(code))?;
            if let Some(c) = chain {
                w.attr(NFTA_VERDICT_CHAIN, &Str(c))?;
            }
            w.end_nest(v)?;
            w.end_nest(data)
        })
    }
}

/// A nested NFTA_DATA_VALUE holding `value`.
fn data_value(w: &mut Writer<'_>, kind: u16, value: &[u8]) -> Result<(), Error> {
    let n = w.nest(kind | F_NESTED)?;
    w.attr(NFTA_DATA_VALUE, value)?;
    w.end_nest(n)
}

/// The IPv6 address offset for the source (outgoing) or destination (incoming).
fn ip6_addr_offset(out: bool) -> u32 {
    if out {
        IP6_SADDR
    } else {
        IP6_DADDR
    }
}

impl Firewall {
    /// Opens the nf_tables socket and checks that nf_tables works here; remembers any
    /// table called `table` left by an earlier run. `priority` is the base chains'
    /// (`nftables_priority`, -1 by default).
    pub fn open(table: &str, priority: i32) -> Result<Firewall, Error> {
        let sock = Socket::open(libc::NETLINK_NETFILTER).map_err(|e| match e {
            Error::Sys { errno, .. } => Error::NfTablesUnavailable(errno),
            other => other,
        })?;
        sock.set_recv_buffer(limits::NFT_ANSWER_QUEUE)?;
        let mut fw = Firewall {
            sock,
            buf: vec![0; limits::NFT_BATCH_BUFFER].into_boxed_slice(),
            rx: vec![0; limits::NL_RECV_BUFFER].into_boxed_slice(),
            table: table.to_string(),
            priority,
            installed: Installed::default(),
            set_id: 0,
        };
        fw.installed.stale_v4 = fw.table_exists(NFPROTO_IPV4)?;
        fw.installed.stale_v6 = fw.table_exists(NFPROTO_IPV6)?;
        Ok(fw)
    }

    /// Puts `vips` in the sets, installing what they need first.
    pub fn add_vips<'a>(
        &mut self,
        vips: impl Iterator<Item = Vip<'a>> + Clone,
    ) -> Result<(), Error> {
        self.update(vips, NFT_MSG_NEWSETELEM)
    }

    /// Takes `vips` out of the sets (nothing to do for sets never installed).
    pub fn remove_vips<'a>(
        &mut self,
        vips: impl Iterator<Item = Vip<'a>> + Clone,
    ) -> Result<(), Error> {
        self.update(vips, NFT_MSG_DELSETELEM)
    }

    /// Deletes the tables (at exit).
    pub fn close(&mut self) -> Result<(), Error> {
        let families = [
            (self.installed.v4_table, NFPROTO_IPV4),
            (self.installed.v6_table, NFPROTO_IPV6),
        ];
        if !families.iter().any(|f| f.0) {
            return Ok(());
        }
        let seq = self.sock.next_seq();
        let table = &self.table;
        let mut b = Batch::new(&mut self.buf, seq)?;
        for (_, family) in families.iter().filter(|f| f.0) {
            b.msg(NFT_MSG_DELTABLE, *family, 0, |w| {
                w.attr(NFTA_TABLE_NAME, &Str(table))
            })?;
        }
        let done = b.finish()?;
        self.installed = Installed::default();
        self.exchange(seq, done)
    }

    fn update<'a>(
        &mut self,
        vips: impl Iterator<Item = Vip<'a>> + Clone,
        kind: u16,
    ) -> Result<(), Error> {
        let adding = kind == NFT_MSG_NEWSETELEM;
        let mut installed = self.installed;
        let mut set_id = self.set_id;
        let seq = self.sock.next_seq();
        let (table, priority) = (self.table.as_str(), self.priority);
        let mut b = Batch::new(&mut self.buf, seq)?;
        if adding {
            let mut setup = Setup {
                b: &mut b,
                table,
                priority,
                installed: &mut installed,
                set_id: &mut set_id,
            };
            for v in vips.clone() {
                setup.ensure(VipSet::of(&v))?;
            }
        }
        for set in VipSet::ALL {
            let mut members = vips.clone().filter(|v| VipSet::of(v) == set).peekable();
            if members.peek().is_none() || !installed.has(set) {
                continue;
            }
            // keepalived asks for an exclusive create; see the module notes.
            let flags = if adding { NLM_F_CREATE } else { 0 };
            b.msg(kind, set.family(), flags, |w| {
                w.attr(NFTA_SET_ELEM_LIST_SET, &Str(set.name()))?;
                w.attr(NFTA_SET_ELEM_LIST_TABLE, &Str(table))?;
                let list = w.nest(NFTA_SET_ELEM_LIST_ELEMENTS | F_NESTED)?;
                for v in members {
                    element(w, &v, set)?;
                }
                w.end_nest(list)
            })?;
        }
        if b.messages == 0 {
            return Ok(());
        }
        let done = b.finish()?;
        self.exchange(seq, done)?;
        self.installed = installed;
        self.set_id = set_id;
        Ok(())
    }

    /// Sends the batch in `buf` (numbered `first_seq` to `end_seq`, exclusive) and
    /// reads the answers to its `messages` messages; the first refusal is the error.
    fn exchange(&mut self, first_seq: u32, batch: Finished) -> Result<(), Error> {
        self.sock.seq_used_to(batch.end_seq.wrapping_sub(1));
        self.sock.send(&self.buf[..batch.len])?;
        let count = batch.end_seq.wrapping_sub(first_seq);
        let mut answered = 0;
        let mut first = Ok(());
        while answered < batch.messages {
            let Some(n) = self.sock.recv(&mut self.rx)? else {
                // The kernel answers while the batch is sent: after a refusal, what has not
                // come will not.
                if first.is_err() {
                    break;
                }
                if !self.sock.wait(ANSWER_TIMEOUT_MS)? {
                    return Err(Error::Timeout);
                }
                continue;
            };
            for m in Messages::new(&self.rx[..n]) {
                let m = m?;
                if m.header.kind != NLMSG_ERROR || m.header.seq.wrapping_sub(first_seq) >= count {
                    continue;
                }
                answered += 1;
                let (errno, req) = m.ack()?;
                if errno != 0 && first.is_ok() {
                    first = Err(Error::Kernel {
                        errno,
                        msg_type: req.kind,
                        seq: req.seq,
                        pid: req.pid,
                    });
                }
            }
        }
        first
    }

    /// Whether table `self.table` of `family` exists.
    fn table_exists(&mut self, family: u8) -> Result<bool, Error> {
        let seq = self.sock.next_seq();
        let mut w = Writer::new(&mut self.buf);
        let m = w.begin_msg(
            NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE,
            NLM_F_REQUEST | NLM_F_ACK,
            seq,
        )?;
        w.fixed(&nfgenmsg(family, 0))?;
        w.attr(NFTA_TABLE_NAME, &Str(&self.table))?;
        w.end_msg(m);
        let len = w.len();
        self.sock.send(&self.buf[..len])?;
        let mut found = false;
        loop {
            let Some(n) = self.sock.recv(&mut self.rx)? else {
                if !self.sock.wait(ANSWER_TIMEOUT_MS)? {
                    return Err(Error::Timeout);
                }
                continue;
            };
            for m in Messages::new(&self.rx[..n]) {
                let m = m?;
                if m.header.seq != seq {
                    continue;
                }
                if m.header.kind != NLMSG_ERROR {
                    found = true;
                    continue;
                }
                return match m.ack()?.0 {
                    0 => Ok(found),
                    libc::ENOENT => Ok(false),
                    e @ (libc::EOPNOTSUPP | libc::EPROTONOSUPPORT | libc::EAFNOSUPPORT) => {
                        Err(Error::NfTablesUnavailable(e))
                    }
                    e => Err(Error::Kernel {
                        errno: e,
                        msg_type: NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE,
                        seq,
                        pid: 0,
                    }),
                };
            }
        }
    }
}

/// One set element: the address, and for link-local VIPs the interface.
fn element(w: &mut Writer<'_>, v: &Vip<'_>, set: VipSet) -> Result<(), Error> {
    let mut key = [0u8; 16 + IFNAMSIZ];
    let len = match (v.addr, set) {
        (IpAddr::V4(a), _) => {
            key[..4].copy_from_slice(&a.octets());
            4
        }
        (IpAddr::V6(a), VipSet::V6) => {
            key[..16].copy_from_slice(&a.octets());
            16
        }
        (IpAddr::V6(a), VipSet::LinkLocalIndex) => {
            key[..16].copy_from_slice(&a.octets());
            key[16..20].copy_from_slice(&v.ifindex.to_ne_bytes());
            20
        }
        (IpAddr::V6(a), _) => {
            key[..16].copy_from_slice(&a.octets());
            let name = v.ifname.as_bytes();
            let n = name.len().min(IFNAMSIZ - 1);
            key[16..16 + n].copy_from_slice(&name[..n]);
            16 + IFNAMSIZ
        }
    };
    let elem = w.nest(NFTA_LIST_ELEM | F_NESTED)?;
    data_value(w, NFTA_SET_ELEM_KEY, &key[..len])?;
    w.end_nest(elem)
}

/// Writes what a set needs before its first element, as keepalived does it.
struct Setup<'s, 'b> {
    b: &'s mut Batch<'b>,
    table: &'s str,
    priority: i32,
    installed: &'s mut Installed,
    set_id: &'s mut u32,
}

impl Setup<'_, '_> {
    fn ensure(&mut self, set: VipSet) -> Result<(), Error> {
        match set {
            VipSet::V4 if !self.installed.v4_vips => self.ipv4_vips(),
            VipSet::V6 if !self.installed.v6_vips => self.ipv6_vips(),
            VipSet::LinkLocalIndex | VipSet::LinkLocalName if !self.installed.has(set) => {
                self.ipv6_vips()?;
                self.link_local(set == VipSet::LinkLocalName)
            }
            _ => Ok(()),
        }
    }

    fn table(&mut self, family: u8) -> Result<(), Error> {
        let table = self.table;
        if !self.installed.v4_table && !self.installed.v6_table {
            for (stale, fam) in [
                (self.installed.stale_v4, NFPROTO_IPV4),
                (self.installed.stale_v6, NFPROTO_IPV6),
            ] {
                if stale {
                    self.b.msg(NFT_MSG_DELTABLE, fam, 0, |w| {
                        w.attr(NFTA_TABLE_NAME, &Str(table))
                    })?;
                }
            }
            self.installed.stale_v4 = false;
            self.installed.stale_v6 = false;
        }
        self.b.msg(NFT_MSG_NEWTABLE, family, NLM_F_CREATE, |w| {
            w.attr(NFTA_TABLE_NAME, &Str(table))
        })?;
        self.base_chain(family, "out", NF_INET_LOCAL_OUT)?;
        if family == NFPROTO_IPV4 {
            self.installed.v4_table = true;
        } else {
            self.installed.v6_table = true;
        }
        Ok(())
    }

    fn base_chain(&mut self, family: u8, name: &str, hook: u32) -> Result<(), Error> {
        let (table, priority) = (self.table, self.priority);
        self.b.msg(NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, |w| {
            w.attr(NFTA_CHAIN_TABLE, &Str(table))?;
            w.attr(NFTA_CHAIN_NAME, &Str(name))?;
            let h = w.nest(NFTA_CHAIN_HOOK | F_NESTED)?;
            w.attr(NFTA_HOOK_HOOKNUM, &Be(hook))?;
            w.attr(NFTA_HOOK_PRIORITY, &Be(priority))?;
            w.end_nest(h)?;
            w.attr(NFTA_CHAIN_POLICY, &Be(NF_ACCEPT))?;
            w.attr(NFTA_CHAIN_TYPE, &Str("filter"))
        })
    }

    fn chain(&mut self, name: &str) -> Result<(), Error> {
        let table = self.table;
        self.b
            .msg(NFT_MSG_NEWCHAIN, NFPROTO_IPV6, NLM_F_CREATE, |w| {
                w.attr(NFTA_CHAIN_TABLE, &Str(table))?;
                w.attr(NFTA_CHAIN_NAME, &Str(name))
            })
    }

    /// A set; returns its id. `key_type` is nft's (concatenations shifted by TYPE_BITS).
    fn set(
        &mut self,
        family: u8,
        name: &str,
        key_type: u32,
        key_len: u32,
        flags: u32,
    ) -> Result<u32, Error> {
        *self.set_id = self.set_id.wrapping_add(1).max(1);
        let (table, id) = (self.table, *self.set_id);
        let order = if key_type == TYPE_IPADDR || key_type == TYPE_IP6ADDR {
            BYTEORDER_BIG
        } else {
            BYTEORDER_HOST
        };
        let mut udata = [0u8; 6];
        udata[0] = UDATA_SET_KEYBYTEORDER;
        udata[1] = 4;
        udata[2..].copy_from_slice(&order.to_ne_bytes());
        self.b.msg(NFT_MSG_NEWSET, family, NLM_F_CREATE, |w| {
            w.attr(NFTA_SET_TABLE, &Str(table))?;
            w.attr(NFTA_SET_NAME, &Str(name))?;
            if flags != 0 {
                w.attr(NFTA_SET_FLAGS, &Be(flags))?;
            }
            w.attr(NFTA_SET_KEY_TYPE, &Be(key_type))?;
            w.attr(NFTA_SET_KEY_LEN, &Be(key_len))?;
            w.attr(NFTA_SET_ID, &Be(id))?;
            w.attr(NFTA_SET_USERDATA, &udata)
        })?;
        Ok(id)
    }

    fn rule(
        &mut self,
        family: u8,
        chain: &str,
        exprs: impl FnOnce(&mut Exprs<'_, '_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let table = self.table;
        self.b
            .msg(NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND, |w| {
                w.attr(NFTA_RULE_TABLE, &Str(table))?;
                w.attr(NFTA_RULE_CHAIN, &Str(chain))?;
                let list = w.nest(NFTA_RULE_EXPRESSIONS | F_NESTED)?;
                exprs(&mut Exprs { w })?;
                w.end_nest(list)
            })
    }

    /// `ip {s,d}addr @vips drop`, or the ip6 one.
    fn drop_vips(&mut self, family: u8, chain: &str, offset: u32, len: u32) -> Result<(), Error> {
        self.rule(family, chain, |e| {
            e.payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len)?;
            e.lookup("vips")?;
            e.verdict(NF_DROP, None)
        })
    }

    /// table ip: chains out and in, set vips, `ip daddr @vips drop` in, `ip saddr @vips
    /// drop` out.
    fn ipv4_vips(&mut self) -> Result<(), Error> {
        if !self.installed.v4_table {
            self.table(NFPROTO_IPV4)?;
        }
        self.base_chain(NFPROTO_IPV4, "in", NF_INET_LOCAL_IN)?;
        self.set(NFPROTO_IPV4, "vips", TYPE_IPADDR, 4, 0)?;
        self.drop_vips(NFPROTO_IPV4, "in", IP4_DADDR, 4)?;
        self.drop_vips(NFPROTO_IPV4, "out", IP4_SADDR, 4)?;
        self.installed.v4_vips = true;
        Ok(())
    }

    /// table ip6: chains out, in, in_link_local, out_link_local; sets vips and
    /// neighbor-discovery; neighbour discovery accepted, link-local addresses sent to their
    /// chains, VIPs dropped.
    fn ipv6_vips(&mut self) -> Result<(), Error> {
        if self.installed.v6_vips {
            return Ok(());
        }
        if !self.installed.v6_table {
            self.table(NFPROTO_IPV6)?;
        }
        self.base_chain(NFPROTO_IPV6, "in", NF_INET_LOCAL_IN)?;
        self.chain("in_link_local")?;
        self.chain("out_link_local")?;
        self.set(NFPROTO_IPV6, "vips", TYPE_IP6ADDR, 16, 0)?;
        let nd = self.set(
            NFPROTO_IPV6,
            "neighbor-discovery",
            TYPE_ICMPV6_TYPE,
            1,
            NFT_SET_CONSTANT,
        )?;
        let table = self.table;
        self.b
            .msg(NFT_MSG_NEWSETELEM, NFPROTO_IPV6, NLM_F_CREATE, |w| {
                w.attr(NFTA_SET_ELEM_LIST_SET, &Str("neighbor-discovery"))?;
                w.attr(NFTA_SET_ELEM_LIST_SET_ID, &Be(nd))?;
                w.attr(NFTA_SET_ELEM_LIST_TABLE, &Str(table))?;
                let list = w.nest(NFTA_SET_ELEM_LIST_ELEMENTS | F_NESTED)?;
                for t in [ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT] {
                    let elem = w.nest(NFTA_LIST_ELEM | F_NESTED)?;
                    data_value(w, NFTA_SET_ELEM_KEY, &[t])?;
                    w.end_nest(elem)?;
                }
                w.end_nest(list)
            })?;
        for (chain, out) in [("in", false), ("out", true)] {
            // icmpv6 type @neighbor-discovery accept
            self.rule(NFPROTO_IPV6, chain, |e| {
                e.payload(NFT_PAYLOAD_NETWORK_HEADER, IP6_NEXTHDR, 1)?;
                e.cmp_eq(&[IPPROTO_ICMPV6])?;
                e.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1)?;
                e.lookup("neighbor-discovery")?;
                e.verdict(NF_ACCEPT, None)
            })?;
            // ip6 {d,s}addr fe80::/10 goto {in,out}_link_local
            let target = if out {
                "out_link_local"
            } else {
                "in_link_local"
            };
            self.rule(NFPROTO_IPV6, chain, |e| {
                let mut mask = [0u8; 16];
                mask[..2].copy_from_slice(&[0xff, 0xc0]);
                let mut fe80 = [0u8; 16];
                fe80[..2].copy_from_slice(&[0xfe, 0x80]);
                e.payload(NFT_PAYLOAD_NETWORK_HEADER, ip6_addr_offset(out), 16)?;
                e.bitwise(&mask, &[0; 16])?;
                e.cmp_eq(&fe80)?;
                e.verdict(NFT_GOTO, Some(target))
            })?;
        }
        self.drop_vips(NFPROTO_IPV6, "in", IP6_DADDR, 16)?;
        self.drop_vips(NFPROTO_IPV6, "out", IP6_SADDR, 16)?;
        self.installed.v6_vips = true;
        Ok(())
    }

    /// The link-local set (address . interface index, or name) and
    /// `ip6 daddr . iif @set drop` / `ip6 saddr . oif @set drop`.
    fn link_local(&mut self, by_name: bool) -> Result<(), Error> {
        let set = if by_name {
            VipSet::LinkLocalName
        } else {
            VipSet::LinkLocalIndex
        };
        let (if_type, if_len) = if by_name {
            (TYPE_IFNAME, IFNAMSIZ as u32)
        } else {
            (TYPE_IFINDEX, 4)
        };
        self.set(
            NFPROTO_IPV6,
            set.name(),
            TYPE_IP6ADDR << TYPE_BITS | if_type,
            16 + if_len,
            0,
        )?;
        for (chain, out) in [("in_link_local", false), ("out_link_local", true)] {
            let key = match (by_name, out) {
                (false, false) => NFT_META_IIF,
                (false, true) => NFT_META_OIF,
                (true, false) => NFT_META_IIFNAME,
                (true, true) => NFT_META_OIFNAME,
            };
            self.rule(NFPROTO_IPV6, chain, |e| {
                e.payload(NFT_PAYLOAD_NETWORK_HEADER, ip6_addr_offset(out), 16)?;
                e.meta(key, NFT_REG_2)?;
                e.lookup(set.name())?;
                e.verdict(NF_DROP, None)
            })?;
        }
        if by_name {
            self.installed.ll_name = true;
        } else {
            self.installed.ll_index = true;
        }
        Ok(())
    }
}

impl AsRawFd for Firewall {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsFd for Firewall {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_framed_and_numbered() {
        let mut buf = [0u8; 256];
        let mut b = Batch::new(&mut buf, 100).unwrap();
        b.msg(NFT_MSG_DELTABLE, NFPROTO_IPV4, 0, |w| {
            w.attr(NFTA_TABLE_NAME, &Str("keepalived"))
        })
        .unwrap();
        let done = b.finish().unwrap();
        assert_eq!(done.messages, 1);
        assert_eq!(done.end_seq, 103);
        let msgs: Vec<_> = Messages::new(&buf[..done.len])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].header.kind, NFNL_MSG_BATCH_BEGIN);
        assert_eq!(msgs[0].payload, &[0, 0, 0, 10]);
        assert_eq!(
            msgs[1].header.kind,
            NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELTABLE
        );
        assert_eq!(msgs[1].header.seq, 101);
        assert_ne!(msgs[1].header.flags & NLM_F_ACK, 0);
        let (fixed, mut attrs) = msgs[1].split(4).unwrap();
        assert_eq!(fixed, &[NFPROTO_IPV4, 0, 0, 0]);
        assert_eq!(attrs.next().unwrap().unwrap().str(), Ok("keepalived"));
        assert_eq!(msgs[2].header.kind, NFNL_MSG_BATCH_END);
        assert_eq!(msgs[2].header.seq, 102);
    }

    #[test]
    fn full_buffers_and_set_kinds() {
        let mut buf = [0u8; 40];
        let mut b = Batch::new(&mut buf, 1).unwrap();
        let r = b.msg(NFT_MSG_DELTABLE, NFPROTO_IPV4, 0, |w| {
            w.attr(NFTA_TABLE_NAME, &Str("a-rather-long-table-name"))
        });
        assert_eq!(r, Err(Error::NoSpace));
        let v = |a: &str, by_name| Vip {
            addr: a.parse().unwrap(),
            ifindex: 2,
            ifname: "eth0",
            by_name,
        };
        assert_eq!(VipSet::of(&v("10.0.0.1", true)), VipSet::V4);
        assert_eq!(VipSet::of(&v("2001:db8::1", true)), VipSet::V6);
        assert_eq!(VipSet::of(&v("fe80::1", false)), VipSet::LinkLocalIndex);
        assert_eq!(VipSet::of(&v("febf::1", true)), VipSet::LinkLocalName);
        assert_eq!(VipSet::of(&v("fec0::1", true)), VipSet::V6);
    }
}
