//! VRRP packets on the wire, as keepalived 2.2.7 writes and reads them.
//!
//! keepalived builds IPv4 headers itself (a raw socket with IP_HDRINCL), so the IPv4 header and
//! keepalived's IPsec AH header live here too. For IPv6 the kernel builds the header and fills
//! the checksum (IPV6_CHECKSUM), and the views start at the VRRP part.
//!
//! Views (`Ipv4Header`, `AhHeader`, `VrrpPacket`) check once that the bytes hold what they
//! declare, then read fields by name. They judge nothing else: the receive ladder decides, in
//! keepalived's order and with keepalived's counters, what a wrong TTL, version, length or
//! checksum means. `AdvertRepr` is what an advert says, parsed from a view or emitted into the
//! caller's buffer. Nothing here allocates.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::auth;
use crate::config::model::vrrp::{Family, Version};
use crate::time::Duration;

pub const PROTO_VRRP: u8 = 112;
pub const PROTO_AH: u8 = 51;
pub const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// IPv4 TOS (IPv6 traffic class) of every advert: internetwork control.
pub const TOS: u8 = 0xc0;
/// The TTL (hop limit) multicast adverts are sent with and must arrive with (RFC 5798 5.1.1.3).
pub const TTL: u8 = 255;
/// The only VRRP packet type.
pub const TYPE_ADVERT: u8 = 1;
/// VRRPv2 auth type codes.
pub const AUTH_TYPE_NONE: u8 = 0;
pub const AUTH_TYPE_PASS: u8 = 1;
pub const AUTH_TYPE_AH: u8 = 2;
/// Length of the VRRPv2 authentication data (IPv4 only).
pub const AUTH_DATA_LEN: usize = 8;

const CENTISECOND_US: u64 = 10_000;
/// The v3 interval field is 12 bits; the 4 bits above it are reserved.
const V3_INTERVAL_MASK: u16 = 0x0fff;

/// What is wrong with a packet, or with a request to emit one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Shorter than a header, or than the fields a header declares (IHL, address count).
    Truncated,
    /// IPv4 version is not 4, or the IHL is below 5 words.
    IpHeader,
    /// IPv4 protocol is neither VRRP (112) nor AH (51).
    Protocol,
    /// VRRP version is neither 2 nor 3.
    Version,
    /// VRRP type is not 1 (advertisement).
    Type,
    /// VRRPv2 auth type is not 0, 1 or 2.
    AuthType,
    /// Emit: the buffer is too small for the packet.
    BufferTooSmall,
    /// Emit: more than 255 addresses, or an address of the other family.
    Addrs,
    /// Emit: the interval does not fit the field (v2: 255 s, v3: 4095 cs).
    Interval,
    /// Emit: authentication the packet cannot carry (any in VRRPv3; AH without a key, or a
    /// key without AH).
    Auth,
    /// Emit: VRRPv3 over IPv4 needs the pseudo-header addresses for its checksum.
    NoPseudoHeader,
}

/// Bytes of one address of `family`.
pub fn addr_len(family: Family) -> usize {
    match family {
        Family::V4 => 4,
        Family::V6 => 16,
    }
}

/// Length of the VRRP part keepalived expects for a packet of version `v2`/v3 with `count`
/// addresses: the 8 authentication bytes exist for VRRPv2 over IPv4 only.
fn vrrp_len(v2: bool, family: Family, count: usize) -> usize {
    let auth = if v2 && family == Family::V4 {
        AUTH_DATA_LEN
    } else {
        0
    };
    VrrpPacket::HEADER_LEN + count * addr_len(family) + auth
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The first `N` bytes as an array.
fn head<const N: usize>(b: &[u8]) -> Result<&[u8; N], WireError> {
    b.get(..N)
        .and_then(|h| h.try_into().ok())
        .ok_or(WireError::Truncated)
}

/// IPv4 header field offsets (`auth` zeroes the mutable ones).
pub(super) mod ipv4 {
    use super::Range;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const TOTAL_LEN: Range<usize> = 2..4;
    pub const ID: Range<usize> = 4..6;
    pub const FRAG: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
    pub const LEN: usize = 20;
}

/// IPv4 header view (RFC 791). keepalived builds the header itself: TOS 0xC0, TTL 255 (or
/// `unicast_ttl`), an ID that increments per advert and skips 0, no fragmentation.
///
/// ```text
///  0       4       8               16                              32
///  | ver=4 |  IHL  |      TOS      |          total length         |
///  |        identification         | flags |    fragment offset    |
///  |      TTL      |   protocol    |        header checksum        |
///  |                        source address                         |
///  |                      destination address                      |
///  |                    options (when IHL > 5)                     |
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Header<'a> {
    fixed: &'a [u8; ipv4::LEN],
    packet: &'a [u8],
    header_len: usize,
}

impl<'a> Ipv4Header<'a> {
    pub const LEN: usize = ipv4::LEN;

    /// A view of `packet` (header and payload) once it holds the whole header its IHL declares.
    /// The total length field is not checked against the received length: the ladder does that
    /// (keepalived's `packet_len_err`).
    pub fn new_checked(packet: &'a [u8]) -> Result<Self, WireError> {
        let fixed: &[u8; ipv4::LEN] = head(packet)?;
        if fixed[ipv4::VER_IHL] >> 4 != 4 {
            return Err(WireError::IpHeader);
        }
        let header_len = usize::from(fixed[ipv4::VER_IHL] & 0x0f) * 4;
        if header_len < ipv4::LEN {
            return Err(WireError::IpHeader);
        }
        if packet.len() < header_len {
            return Err(WireError::Truncated);
        }
        Ok(Ipv4Header {
            fixed,
            packet,
            header_len,
        })
    }

    pub fn header_len(&self) -> usize {
        self.header_len
    }

    pub fn tos(&self) -> u8 {
        self.fixed[ipv4::TOS]
    }

    pub fn total_len(&self) -> u16 {
        be16(&self.fixed[ipv4::TOTAL_LEN])
    }

    pub fn id(&self) -> u16 {
        be16(&self.fixed[ipv4::ID])
    }

    /// Flags and fragment offset, as one field.
    pub fn frag(&self) -> u16 {
        be16(&self.fixed[ipv4::FRAG])
    }

    pub fn ttl(&self) -> u8 {
        self.fixed[ipv4::TTL]
    }

    pub fn protocol(&self) -> u8 {
        self.fixed[ipv4::PROTOCOL]
    }

    pub fn checksum(&self) -> u16 {
        be16(&self.fixed[ipv4::CHECKSUM])
    }

    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32(&self.fixed[ipv4::SRC]))
    }

    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(be32(&self.fixed[ipv4::DST]))
    }

    /// The header, options included.
    pub fn header(&self) -> &'a [u8] {
        self.packet.get(..self.header_len).unwrap_or_default()
    }

    /// Everything received after the header (keepalived reads by received length, not by the
    /// total length field).
    pub fn payload(&self) -> &'a [u8] {
        self.packet.get(self.header_len..).unwrap_or_default()
    }

    /// The fields `emit_ipv4_advert` takes, as this header has them.
    pub fn fields(&self) -> Ipv4Fields {
        Ipv4Fields {
            src: self.src(),
            dst: self.dst(),
            ttl: self.ttl(),
            id: self.id(),
        }
    }
}

/// AH header field offsets.
pub(super) mod ah {
    use super::Range;
    pub const NEXT_HEADER: usize = 0;
    pub const PAYLOAD_LEN: usize = 1;
    pub const RESERVED: Range<usize> = 2..4;
    pub const SPI: Range<usize> = 4..8;
    pub const SEQ: Range<usize> = 8..12;
    pub const ICV: Range<usize> = 12..24;
    pub const LEN: usize = 24;
}

/// IPsec AH header view (RFC 2402 layout) as keepalived uses it: next header 112, payload
/// length 4 (96-bit ICV), SPI = the sender's IPv4 address, a sequence number that starts at 1,
/// and a 12-byte HMAC-MD5-96 ICV (see `auth`).
///
/// ```text
///  0               8               16                              32
///  |  next header  |  payload len  |           reserved            |
///  |                 security parameters index (SPI)               |
///  |                        sequence number                        |
///  |              integrity check value (ICV), 12 bytes            |
///  |                              ...                              |
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AhHeader<'a> {
    bytes: &'a [u8; ah::LEN],
    payload: &'a [u8],
}

impl<'a> AhHeader<'a> {
    pub const LEN: usize = ah::LEN;
    pub const ICV_LEN: usize = 12;
    /// keepalived's payload length: the AH length in 32-bit words minus 2.
    pub const PAYLOAD_LEN: u8 = 4;

    /// A view of `bytes` (AH header and what follows) once it holds the 24-byte header. Next
    /// header and payload length are not checked (keepalived drops a next header other than
    /// VRRP quietly, and ignores the payload length).
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self, WireError> {
        Ok(AhHeader {
            bytes: head(bytes)?,
            payload: bytes.get(ah::LEN..).unwrap_or_default(),
        })
    }

    pub fn next_header(&self) -> u8 {
        self.bytes[ah::NEXT_HEADER]
    }

    pub fn payload_len(&self) -> u8 {
        self.bytes[ah::PAYLOAD_LEN]
    }

    /// The SPI as a number; keepalived's is the source address (`u32::from(src)`).
    pub fn spi(&self) -> u32 {
        be32(&self.bytes[ah::SPI])
    }

    pub fn seq(&self) -> u32 {
        be32(&self.bytes[ah::SEQ])
    }

    pub fn icv(&self) -> &'a [u8; AhHeader::ICV_LEN] {
        let [_, _, _, _, _, _, _, _, _, _, _, _, icv @ ..] = self.bytes;
        icv
    }

    /// What follows the AH header: the VRRP part.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

mod vrrp {
    use super::Range;
    pub const VER_TYPE: usize = 0;
    pub const VRID: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const COUNT: usize = 3;
    pub const V2_AUTH_TYPE: usize = 4;
    pub const V2_INTERVAL: usize = 5;
    pub const V3_INTERVAL: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
    pub const LEN: usize = 8;
}

/// The VRRP part of a packet (RFC 3768 5.1 for v2, RFC 5798 5.1 for v3), and what follows it.
///
/// ```text
///  0       4       8               16              24              32
///  |version| type  |     VRID      |   priority    | address count |
///  v2: | auth type | interval (s)  |           checksum            |
///  v3: | rsvd  | max interval (cs, 12 bits)      |    checksum     |
///  |            count IPv4 (4-byte) or IPv6 (16-byte) addresses    |
///  |        v2 over IPv4 only: 8 bytes of authentication data      |
/// ```
#[derive(Clone, Copy, Debug)]
pub struct VrrpPacket<'a> {
    head: &'a [u8; vrrp::LEN],
    bytes: &'a [u8],
}

impl<'a> VrrpPacket<'a> {
    pub const HEADER_LEN: usize = vrrp::LEN;

    /// A view of `bytes` once it holds the 8-byte header. What the header declares (the
    /// addresses, the authentication data) is checked by the accessors that read it.
    pub fn new_checked(bytes: &'a [u8]) -> Result<Self, WireError> {
        Ok(VrrpPacket {
            head: head(bytes)?,
            bytes,
        })
    }

    pub fn version(&self) -> u8 {
        self.head[vrrp::VER_TYPE] >> 4
    }

    pub fn kind(&self) -> u8 {
        self.head[vrrp::VER_TYPE] & 0x0f
    }

    pub fn vrid(&self) -> u8 {
        self.head[vrrp::VRID]
    }

    pub fn priority(&self) -> u8 {
        self.head[vrrp::PRIORITY]
    }

    pub fn count(&self) -> u8 {
        self.head[vrrp::COUNT]
    }

    /// The VRRPv2 auth type byte (in v3 this byte is part of the interval field).
    pub fn auth_type(&self) -> u8 {
        self.head[vrrp::V2_AUTH_TYPE]
    }

    /// The interval as sent: v2 whole seconds (one byte), otherwise 12-bit centiseconds
    /// with the reserved bits masked off.
    pub fn adver_int(&self) -> u16 {
        if self.version() == 2 {
            u16::from(self.head[vrrp::V2_INTERVAL])
        } else {
            be16(&self.head[vrrp::V3_INTERVAL]) & V3_INTERVAL_MASK
        }
    }

    pub fn checksum(&self) -> u16 {
        be16(&self.head[vrrp::CHECKSUM])
    }

    /// Bytes in the view: the VRRP part and anything received after it.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The length the header declares (keepalived's `expected_vrrp_pkt_len`): header,
    /// addresses, and for VRRPv2 over IPv4 the authentication data.
    pub fn expected_len(&self, family: Family) -> usize {
        vrrp_len(self.version() == 2, family, usize::from(self.count()))
    }

    /// The address bytes, or None if the packet is shorter than `count` addresses.
    pub fn addr_bytes(&self, family: Family) -> Option<&'a [u8]> {
        let end = vrrp::LEN + usize::from(self.count()) * addr_len(family);
        self.bytes.get(vrrp::LEN..end)
    }

    /// The addresses, or None if the packet is shorter than `count` addresses.
    pub fn addrs(&self, family: Family) -> Option<AddrIter<'a>> {
        let bytes = self.addr_bytes(family)?;
        Some(AddrIter(Iter::Raw { bytes, family }))
    }

    /// VRRPv2 over IPv4: the 8 bytes after the addresses (the password with PASS, zeros
    /// otherwise). None for v3, for IPv6 (keepalived sends no authentication data there) and
    /// when the packet is too short.
    pub fn auth_data(&self, family: Family) -> Option<&'a [u8; AUTH_DATA_LEN]> {
        if self.version() != 2 || family != Family::V4 {
            return None;
        }
        let at = vrrp::LEN + usize::from(self.count()) * addr_len(family);
        self.bytes.get(at..)?.get(..AUTH_DATA_LEN)?.try_into().ok()
    }
}

/// The addresses of an advert, from a list or from packet bytes.
#[derive(Clone, Debug)]
pub struct AddrIter<'a>(Iter<'a>);

#[derive(Clone, Debug)]
enum Iter<'a> {
    List(std::slice::Iter<'a, IpAddr>),
    Raw { bytes: &'a [u8], family: Family },
}

impl Iterator for AddrIter<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        match &mut self.0 {
            Iter::List(it) => it.next().copied(),
            Iter::Raw { bytes, family } => {
                let b = *bytes;
                let n = addr_len(*family);
                if b.len() < n {
                    return None;
                }
                let (addr, rest) = b.split_at(n);
                *bytes = rest;
                match *family {
                    Family::V4 => <[u8; 4]>::try_from(addr).ok().map(IpAddr::from),
                    Family::V6 => <[u8; 16]>::try_from(addr).ok().map(IpAddr::from),
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            Iter::List(it) => it.len(),
            Iter::Raw { bytes, family } => bytes.len() / addr_len(*family),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for AddrIter<'_> {}

/// The addresses an advert carries: a list to send, or the bytes of a received packet.
/// Equal when they hold the same addresses in the same order, whatever the form.
#[derive(Clone, Copy)]
pub enum Addrs<'a> {
    List(&'a [IpAddr]),
    Raw { bytes: &'a [u8], family: Family },
}

impl<'a> Addrs<'a> {
    pub fn iter(&self) -> AddrIter<'a> {
        match *self {
            Addrs::List(list) => AddrIter(Iter::List(list.iter())),
            Addrs::Raw { bytes, family } => AddrIter(Iter::Raw { bytes, family }),
        }
    }

    pub fn len(&self) -> usize {
        self.iter().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for Addrs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Addrs<'_> {}

impl fmt::Debug for Addrs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The VRRPv2 authentication an advert carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthField {
    /// Auth type 0; the 8 authentication bytes are zero.
    None,
    /// Auth type 1; the password, zero padded, in the 8 authentication bytes. Over IPv6
    /// keepalived sends the type but no bytes, so a parsed IPv6 PASS advert holds zeros.
    Pass([u8; AUTH_DATA_LEN]),
    /// Auth type 2; the 8 authentication bytes are zero and an AH header precedes the packet.
    Ah,
}

impl AuthField {
    pub fn auth_type(&self) -> u8 {
        match self {
            AuthField::None => AUTH_TYPE_NONE,
            AuthField::Pass(_) => AUTH_TYPE_PASS,
            AuthField::Ah => AUTH_TYPE_AH,
        }
    }
}

/// What an advert says: what to send, or what a received one means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdvertRepr<'a> {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// On the wire v2 whole seconds and v3 centiseconds, truncated as keepalived does.
    pub adver_int: Duration,
    pub addrs: Addrs<'a>,
    /// VRRPv2 only; VRRPv3 has no authentication.
    pub auth: AuthField,
}

impl<'a> AdvertRepr<'a> {
    /// What `packet` says, read as an advert of `family`. Fails on an unknown version, type or
    /// v2 auth type, and on a packet shorter than its addresses (and, for v2 over IPv4, its
    /// authentication data). Bytes after those, and the checksum, are the ladder's to judge.
    pub fn parse(packet: &VrrpPacket<'a>, family: Family) -> Result<Self, WireError> {
        let version = match packet.version() {
            2 => Version::V2,
            3 => Version::V3,
            _ => return Err(WireError::Version),
        };
        if packet.kind() != TYPE_ADVERT {
            return Err(WireError::Type);
        }
        let bytes = packet.addr_bytes(family).ok_or(WireError::Truncated)?;
        let interval = u64::from(packet.adver_int());
        let (adver_int, auth) = match version {
            Version::V2 => {
                let data = packet.auth_data(family);
                if family == Family::V4 && data.is_none() {
                    return Err(WireError::Truncated);
                }
                let auth = match packet.auth_type() {
                    AUTH_TYPE_NONE => AuthField::None,
                    AUTH_TYPE_PASS => AuthField::Pass(data.copied().unwrap_or_default()),
                    AUTH_TYPE_AH => AuthField::Ah,
                    _ => return Err(WireError::AuthType),
                };
                (Duration::from_secs(interval), auth)
            }
            Version::V3 => (
                Duration::from_micros(interval * CENTISECOND_US),
                AuthField::None,
            ),
        };
        Ok(AdvertRepr {
            version,
            vrid: packet.vrid(),
            priority: packet.priority(),
            adver_int,
            addrs: Addrs::Raw { bytes, family },
            auth,
        })
    }

    /// Bytes of the VRRP part.
    pub fn buffer_len(&self, family: Family) -> usize {
        vrrp_len(self.version == Version::V2, family, self.addrs.len())
    }

    /// Writes the VRRP part into the start of `buf` and returns its length. The checksum is
    /// plain for v2 over IPv4; otherwise it covers the pseudo-header of `checksum_dst`
    /// (source, destination), where the caller puts the multicast group as destination for
    /// keepalived's `old_unicast_checksum`. Without `checksum_dst`, an IPv6 packet gets
    /// checksum 0 for the kernel to fill (IPV6_CHECKSUM). On error `buf` holds garbage.
    pub fn emit(
        &self,
        family: Family,
        checksum_dst: Option<(IpAddr, IpAddr)>,
        buf: &mut [u8],
    ) -> Result<usize, WireError> {
        let count = u8::try_from(self.addrs.len()).map_err(|_| WireError::Addrs)?;
        let len = self.buffer_len(family);
        let out = buf.get_mut(..len).ok_or(WireError::BufferTooSmall)?;
        let interval = match self.version {
            Version::V2 => u8::try_from(self.adver_int.as_secs())
                .map(u16::from)
                .map_err(|_| WireError::Interval)?,
            Version::V3 if self.auth != AuthField::None => return Err(WireError::Auth),
            Version::V3 => u16::try_from(self.adver_int.as_micros() / CENTISECOND_US)
                .ok()
                .filter(|&cs| cs <= V3_INTERVAL_MASK)
                .ok_or(WireError::Interval)?,
        };

        out[vrrp::VER_TYPE] = (self.version.number() << 4) | TYPE_ADVERT;
        out[vrrp::VRID] = self.vrid;
        out[vrrp::PRIORITY] = self.priority;
        out[vrrp::COUNT] = count;
        match self.version {
            Version::V2 => {
                out[vrrp::V2_AUTH_TYPE] = self.auth.auth_type();
                out[vrrp::V2_INTERVAL] = interval as u8;
            }
            Version::V3 => out[vrrp::V3_INTERVAL].copy_from_slice(&interval.to_be_bytes()),
        }
        out[vrrp::CHECKSUM].fill(0);

        let (addrs, rest) = out[vrrp::LEN..].split_at_mut(usize::from(count) * addr_len(family));
        for (addr, slot) in self
            .addrs
            .iter()
            .zip(addrs.chunks_exact_mut(addr_len(family)))
        {
            match addr {
                IpAddr::V4(a) if family == Family::V4 => slot.copy_from_slice(&a.octets()),
                IpAddr::V6(a) if family == Family::V6 => slot.copy_from_slice(&a.octets()),
                _ => return Err(WireError::Addrs),
            }
        }
        match self.auth {
            AuthField::Pass(password) => rest.copy_from_slice(&password[..rest.len()]),
            AuthField::None | AuthField::Ah => rest.fill(0),
        }

        let sum = match (self.version, family, checksum_dst) {
            (Version::V2, Family::V4, _) => checksum_v2(out),
            (_, _, Some((src, dst))) => checksum_v3(src, dst, out),
            (_, Family::V6, None) => 0,
            (Version::V3, Family::V4, None) => return Err(WireError::NoPseudoHeader),
        };
        out[vrrp::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
        Ok(len)
    }
}

/// A received IPv4 packet split into its IP header, its AH header (iff the protocol is AH)
/// and its VRRP part.
pub fn split_ipv4(
    packet: &[u8],
) -> Result<(Ipv4Header<'_>, Option<AhHeader<'_>>, VrrpPacket<'_>), WireError> {
    let ip = Ipv4Header::new_checked(packet)?;
    match ip.protocol() {
        PROTO_VRRP => Ok((ip, None, VrrpPacket::new_checked(ip.payload())?)),
        PROTO_AH => {
            let ah = AhHeader::new_checked(ip.payload())?;
            Ok((ip, Some(ah), VrrpPacket::new_checked(ah.payload())?))
        }
        _ => Err(WireError::Protocol),
    }
}

/// The internet checksum (RFC 1071) of the concatenation of `parts`: the value to put in a
/// checksum field that was zero, or 0 when run over data whose checksum is right.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    // The high byte of a 16-bit word split across two parts.
    let mut odd: Option<u8> = None;
    for part in parts {
        let mut rest: &[u8] = part;
        if let Some(hi) = odd {
            let Some((&lo, tail)) = rest.split_first() else {
                continue;
            };
            sum += u64::from(u16::from_be_bytes([hi, lo]));
            odd = None;
            rest = tail;
        }
        let mut words = rest.chunks_exact(2);
        for w in &mut words {
            sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            odd = Some(*last);
        }
    }
    if let Some(hi) = odd {
        sum += u64::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The VRRPv2 checksum over IPv4: the VRRP part alone.
pub fn checksum_v2(vrrp: &[u8]) -> u16 {
    checksum(&[vrrp])
}

/// The checksum with the pseudo-header of `src`, `dst` and protocol 112 (RFC 5798 5.2.8):
/// VRRPv3, and any VRRP over IPv6 (the kernel's IPV6_CHECKSUM). Two IPv4 addresses make the
/// IPv4 pseudo-header; otherwise the IPv6 one (an IPv4 address taken as IPv4-mapped).
pub fn checksum_v3(src: IpAddr, dst: IpAddr, vrrp: &[u8]) -> u16 {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut pseudo = [0u8; 12];
            pseudo[0..4].copy_from_slice(&s.octets());
            pseudo[4..8].copy_from_slice(&d.octets());
            pseudo[9] = PROTO_VRRP;
            pseudo[10..12].copy_from_slice(&(vrrp.len() as u16).to_be_bytes());
            checksum(&[&pseudo, vrrp])
        }
        (s, d) => {
            let mut pseudo = [0u8; 40];
            pseudo[0..16].copy_from_slice(&as_v6(s).octets());
            pseudo[16..32].copy_from_slice(&as_v6(d).octets());
            pseudo[32..36].copy_from_slice(&(vrrp.len() as u32).to_be_bytes());
            pseudo[39] = PROTO_VRRP;
            checksum(&[&pseudo, vrrp])
        }
    }
}

fn as_v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// The IPv4 header fields of an advert that are not fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Fields {
    pub src: Ipv4Addr,
    /// The multicast group, or the unicast peer (then AH zeroes the TTL in its ICV).
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub id: u16,
}

/// The whole IPv4 advert keepalived sends, into the start of `buf`; returns its length. The IP
/// header has TOS 0xC0, no fragmentation, protocol 112 (51 when `repr.auth` is AH) and its
/// checksum computed (the kernel would fill the same). With AH, `ah` gives the key and
/// sequence number, and `auth::ah_sign` fills the ICV. `old_checksum`: the VRRPv3 pseudo-header
/// destination is 224.0.0.18, not `ip.dst` (keepalived's `old_unicast_checksum`).
pub fn emit_ipv4_advert(
    repr: &AdvertRepr,
    ip: &Ipv4Fields,
    ah: Option<(&[u8; 8], u32)>,
    old_checksum: bool,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    let checksum_dst = if old_checksum { GROUP_V4 } else { ip.dst };
    emit_ipv4_advert_csum(repr, ip, ah, checksum_dst, buf)
}

/// `emit_ipv4_advert` with the VRRPv3 pseudo-header destination given: keepalived's old
/// checksum uses the configured `vrrp_mcast_group4`, which need not be 224.0.0.18.
pub fn emit_ipv4_advert_csum(
    repr: &AdvertRepr,
    ip: &Ipv4Fields,
    ah: Option<(&[u8; 8], u32)>,
    checksum_dst: Ipv4Addr,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    let (protocol, ah_len) = match (repr.auth, ah) {
        (AuthField::Ah, Some(_)) => (PROTO_AH, AhHeader::LEN),
        (AuthField::Ah, None) | (_, Some(_)) => return Err(WireError::Auth),
        _ => (PROTO_VRRP, 0),
    };
    let vrrp_at = ipv4::LEN + ah_len;
    let total = vrrp_at + repr.buffer_len(Family::V4);
    let out = buf.get_mut(..total).ok_or(WireError::BufferTooSmall)?;
    let pseudo = (IpAddr::V4(ip.src), IpAddr::V4(checksum_dst));
    repr.emit(Family::V4, Some(pseudo), &mut out[vrrp_at..])?;
    let total_len = u16::try_from(total).map_err(|_| WireError::Addrs)?;

    let h = &mut out[..ipv4::LEN];
    h[ipv4::VER_IHL] = 0x45;
    h[ipv4::TOS] = TOS;
    h[ipv4::TOTAL_LEN].copy_from_slice(&total_len.to_be_bytes());
    h[ipv4::ID].copy_from_slice(&ip.id.to_be_bytes());
    h[ipv4::FRAG].fill(0);
    h[ipv4::TTL] = ip.ttl;
    h[ipv4::PROTOCOL] = protocol;
    h[ipv4::CHECKSUM].fill(0);
    h[ipv4::SRC].copy_from_slice(&ip.src.octets());
    h[ipv4::DST].copy_from_slice(&ip.dst.octets());
    let sum = checksum(&[h]);
    h[ipv4::CHECKSUM].copy_from_slice(&sum.to_be_bytes());

    if let Some((key, seq)) = ah {
        let a = &mut out[ipv4::LEN..vrrp_at];
        a[ah::NEXT_HEADER] = PROTO_VRRP;
        a[ah::PAYLOAD_LEN] = AhHeader::PAYLOAD_LEN;
        a[ah::RESERVED].fill(0);
        a[ah::SPI].copy_from_slice(&ip.src.octets());
        a[ah::SEQ].copy_from_slice(&seq.to_be_bytes());
        auth::ah_sign(key, out, !ip.dst.is_multicast())?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
