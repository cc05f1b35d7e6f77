//! Netlink attributes (type-length-value, 4-byte aligned) written into and read from
//! caller-owned buffers.
//!
//! Writing: a [`Value`] knows its length and how to emit itself, and [`Writer`] frames it
//! (header, padding, nesting, whole messages) in a fixed buffer, failing with
//! [`Error::NoSpace`] rather than growing. Reading: [`Attrs`] walks a byte slice and yields
//! [`Attr`] views whose accessors check the length; malformed input gives a
//! [`ParseError`], never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::{Error, ParseError};

/// The nested flag; nf_tables sets it on every nest, rtnetlink on none.
pub const F_NESTED: u16 = 0x8000;
const F_NET_BYTEORDER: u16 = 0x4000;
const TYPE_MASK: u16 = !(F_NESTED | F_NET_BYTEORDER);
const HDR_LEN: usize = 4;

/// Rounds up to netlink's 4-byte alignment.
pub const fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// What an attribute carries: its exact length, and the bytes it writes.
pub trait Value {
    fn value_len(&self) -> usize;
    /// Writes exactly `value_len()` bytes into `buf`, which has that length.
    fn emit_value(&self, buf: &mut [u8]);
}

impl Value for [u8] {
    fn value_len(&self) -> usize {
        self.len()
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf.copy_from_slice(self);
    }
}

impl<const N: usize> Value for [u8; N] {
    fn value_len(&self) -> usize {
        N
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf.copy_from_slice(self);
    }
}

macro_rules! native_value {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn value_len(&self) -> usize {
                std::mem::size_of::<$t>()
            }
            fn emit_value(&self, buf: &mut [u8]) {
                buf.copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
native_value!(u8, u16, u32, u64, i32);

/// A number in network byte order (nf_tables, tunnel ids).
#[derive(Clone, Copy, Debug)]
pub struct Be<T>(pub T);

macro_rules! be_value {
    ($($t:ty),*) => {$(
        impl Value for Be<$t> {
            fn value_len(&self) -> usize {
                std::mem::size_of::<$t>()
            }
            fn emit_value(&self, buf: &mut [u8]) {
                buf.copy_from_slice(&self.0.to_be_bytes());
            }
        }
    )*};
}
be_value!(u16, u32, u64, i32);

/// A string with its terminating NUL, as the kernel wants names.
#[derive(Clone, Copy, Debug)]
pub struct Str<'a>(pub &'a str);

impl Value for Str<'_> {
    fn value_len(&self) -> usize {
        self.0.len() + 1
    }
    fn emit_value(&self, buf: &mut [u8]) {
        let (text, nul) = buf.split_at_mut(self.0.len());
        text.copy_from_slice(self.0.as_bytes());
        nul[0] = 0;
    }
}

impl Value for Ipv4Addr {
    fn value_len(&self) -> usize {
        4
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.octets());
    }
}

impl Value for Ipv6Addr {
    fn value_len(&self) -> usize {
        16
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.octets());
    }
}

impl Value for IpAddr {
    fn value_len(&self) -> usize {
        match self {
            IpAddr::V4(a) => a.value_len(),
            IpAddr::V6(a) => a.value_len(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            IpAddr::V4(a) => a.emit_value(buf),
            IpAddr::V6(a) => a.emit_value(buf),
        }
    }
}

/// Where a nest or message started, to write its length when it ends.
#[must_use]
#[derive(Debug)]
pub struct Mark(usize);

/// Frames attributes and messages in a fixed buffer.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    pub fn new(buf: &'b mut [u8]) -> Writer<'b> {
        Writer { buf, len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Drops everything written after `len` (a message that did not fit).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Claims `n` bytes plus padding, zeroed; returns their offset.
    fn claim(&mut self, n: usize) -> Result<usize, Error> {
        let at = self.len;
        let end = at.checked_add(align(n)).ok_or(Error::NoSpace)?;
        let area = self.buf.get_mut(at..end).ok_or(Error::NoSpace)?;
        area.fill(0);
        self.len = end;
        Ok(at)
    }

    /// A fixed header (`ifaddrmsg`, `rtmsg` ...), padded to alignment.
    pub fn fixed<V: Value + ?Sized>(&mut self, v: &V) -> Result<(), Error> {
        let n = v.value_len();
        let at = self.claim(n)?;
        v.emit_value(&mut self.buf[at..at + n]);
        Ok(())
    }

    /// One attribute.
    pub fn attr<V: Value + ?Sized>(&mut self, kind: u16, v: &V) -> Result<(), Error> {
        let n = v.value_len();
        let total = HDR_LEN + n;
        let len = u16::try_from(total).map_err(|_| Error::NoSpace)?;
        let at = self.claim(total)?;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        self.buf[at + 2..at + 4].copy_from_slice(&kind.to_ne_bytes());
        v.emit_value(&mut self.buf[at + HDR_LEN..at + total]);
        Ok(())
    }

    /// Opens a nested attribute; the attributes written until [`Writer::end_nest`] are its
    /// value.
    pub fn nest(&mut self, kind: u16) -> Result<Mark, Error> {
        let at = self.claim(HDR_LEN)?;
        self.buf[at + 2..at + 4].copy_from_slice(&kind.to_ne_bytes());
        Ok(Mark(at))
    }

    /// Closes a nest. A nest longer than an attribute can say is an error.
    pub fn end_nest(&mut self, m: Mark) -> Result<(), Error> {
        let len = u16::try_from(self.len - m.0).map_err(|_| Error::NoSpace)?;
        self.buf[m.0..m.0 + 2].copy_from_slice(&len.to_ne_bytes());
        Ok(())
    }

    /// Opens a message: `nlmsghdr` with the length left for [`Writer::end_msg`].
    pub fn begin_msg(&mut self, kind: u16, flags: u16, seq: u32) -> Result<Mark, Error> {
        let at = self.claim(super::msg::HDR_LEN)?;
        let h = &mut self.buf[at..at + super::msg::HDR_LEN];
        h[4..6].copy_from_slice(&kind.to_ne_bytes());
        h[6..8].copy_from_slice(&flags.to_ne_bytes());
        h[8..12].copy_from_slice(&seq.to_ne_bytes());
        Ok(Mark(at))
    }

    pub fn end_msg(&mut self, m: Mark) {
        // Messages are bounded by the buffer, far below 4 GiB.
        let len = (self.len - m.0) as u32;
        self.buf[m.0..m.0 + 4].copy_from_slice(&len.to_ne_bytes());
    }

    /// A region of `n` bytes written in place later (`rtnexthop` headers); returns its offset.
    pub fn reserve(&mut self, n: usize) -> Result<usize, Error> {
        self.claim(n)
    }

    /// Overwrites bytes already claimed (see [`Writer::reserve`]).
    pub fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

/// One attribute read from the kernel.
#[derive(Clone, Copy, Debug)]
pub struct Attr<'a> {
    raw_kind: u16,
    value: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The type, without the nested and byte-order flags.
    pub fn kind(&self) -> u16 {
        self.raw_kind & TYPE_MASK
    }

    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    fn exact<const N: usize>(&self, what: &'static str) -> Result<[u8; N], ParseError> {
        self.value.try_into().map_err(|_| ParseError(what))
    }

    pub fn u8(&self) -> Result<u8, ParseError> {
        Ok(self.exact::<1>("u8 attribute length")?[0])
    }

    pub fn u16(&self) -> Result<u16, ParseError> {
        Ok(u16::from_ne_bytes(self.exact("u16 attribute length")?))
    }

    pub fn u32(&self) -> Result<u32, ParseError> {
        Ok(u32::from_ne_bytes(self.exact("u32 attribute length")?))
    }

    pub fn u32_be(&self) -> Result<u32, ParseError> {
        Ok(u32::from_be_bytes(self.exact("u32 attribute length")?))
    }

    /// A NUL-terminated (or unterminated) UTF-8 string.
    pub fn str(&self) -> Result<&'a str, ParseError> {
        let end = self
            .value
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.value.len());
        std::str::from_utf8(&self.value[..end]).map_err(|_| ParseError("string not UTF-8"))
    }

    /// An IPv4 or IPv6 address, by its length.
    pub fn ip(&self) -> Result<IpAddr, ParseError> {
        match self.value.len() {
            4 => Ok(IpAddr::V4(Ipv4Addr::from(self.exact::<4>("")?))),
            16 => Ok(IpAddr::V6(Ipv6Addr::from(self.exact::<16>("")?))),
            _ => Err(ParseError("address attribute length")),
        }
    }

    /// The attributes nested in this one.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.value)
    }
}

/// The attributes in a byte slice, in order. After a malformed one the iteration ends
/// with that error.
#[derive(Clone, Debug)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(bytes: &'a [u8]) -> Attrs<'a> {
        Attrs { rest: bytes }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some(head) = self.rest.get(..HDR_LEN) else {
            self.rest = &[];
            return Some(Err(ParseError("attribute header truncated")));
        };
        let len = usize::from(u16::from_ne_bytes([head[0], head[1]]));
        let raw_kind = u16::from_ne_bytes([head[2], head[3]]);
        let Some(value) = self.rest.get(HDR_LEN..len).filter(|_| len >= HDR_LEN) else {
            self.rest = &[];
            return Some(Err(ParseError("attribute length")));
        };
        // The last attribute may lack its padding.
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some(Ok(Attr { raw_kind, value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_aligned_attributes_and_nests() {
        let mut buf = [0xffu8; 64];
        let mut w = Writer::new(&mut buf);
        w.attr(1, &Str("ab")).unwrap();
        let n = w.nest(2 | F_NESTED).unwrap();
        w.attr(3, &Be(0x0102_0304u32)).unwrap();
        w.attr(4, &7u8).unwrap();
        w.end_nest(n).unwrap();
        let len = w.len();
        assert_eq!(len, 8 + 4 + 8 + 8);
        let bytes = &buf[..len];
        assert_eq!(&bytes[..8], &[7, 0, 1, 0, b'a', b'b', 0, 0]);
        assert_eq!(&bytes[8..12], &[20, 0, 2, 0x80]);
        assert_eq!(&bytes[12..20], &[8, 0, 3, 0, 1, 2, 3, 4]);
        assert_eq!(&bytes[20..28], &[5, 0, 4, 0, 7, 0, 0, 0]);

        let attrs: Vec<_> = Attrs::new(bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].str(), Ok("ab"));
        assert_eq!(attrs[1].kind(), 2);
        let inner: Vec<_> = attrs[1].nested().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner[0].u32_be(), Ok(0x0102_0304));
        assert_eq!(inner[1].u8(), Ok(7));
        assert!(inner[1].u32().is_err());
    }

    #[test]
    fn a_full_buffer_is_an_error_not_a_panic() {
        let mut buf = [0u8; 10];
        let mut w = Writer::new(&mut buf);
        w.attr(1, &1u32).unwrap();
        assert_eq!(w.attr(1, &1u32), Err(Error::NoSpace));
        assert_eq!(w.len(), 8);
        assert_eq!(w.nest(1).map(|_| ()), Err(Error::NoSpace));
        assert_eq!(w.begin_msg(1, 0, 0).map(|_| ()), Err(Error::NoSpace));
        let big = [0u8; 70_000];
        let mut large = vec![0u8; 80_000];
        let mut w = Writer::new(&mut large);
        assert_eq!(w.attr(1, &big[..]), Err(Error::NoSpace));
    }

    #[test]
    fn malformed_attributes_end_the_walk() {
        // Declared length below the header.
        let mut it = Attrs::new(&[2, 0, 1, 0]);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        // Declared length beyond the bytes.
        assert!(Attrs::new(&[12, 0, 1, 0, 0, 0]).next().unwrap().is_err());
        // A truncated header.
        assert!(Attrs::new(&[8, 0]).next().unwrap().is_err());
        // An unpadded last attribute is fine.
        let a: Vec<_> = Attrs::new(&[5, 0, 1, 0, 9]).collect();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].unwrap().u8(), Ok(9));
        // Wrong sizes for typed reads.
        let a = Attrs::new(&[7, 0, 1, 0, 1, 2, 3, 0])
            .next()
            .unwrap()
            .unwrap();
        assert!(a.u32().is_err());
        assert!(a.ip().is_err());
        assert!(a.u16().is_err());
    }
}
