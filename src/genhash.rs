//! `keepalived-rs --genhash` (and the `genhash` name): the MD5 digest of a web page's body,
//! as HTTP_GET's `digest` wants it, printed as keepalived's genhash prints it. One request
//! (the checkers' own, `check::http::request`), the body hashed as it arrives and never
//! stored; with `-v` the header and body dumped as genhash dumps them.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

use md5::{Digest, Md5};

use crate::check::{http, Target, Transport};
use crate::config::model::lvs::HttpProtocol;
use crate::net::probe::{Probe, Recv};

const USAGE: &str = "Usage: keepalived --genhash COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
";

struct Request {
    dst: SocketAddr,
    url: String,
    host: Option<String>,
    protocol: HttpProtocol,
    timeout_ms: i32,
    fwmark: u32,
    verbose: bool,
    /// `-S`: through TLS (the `tls` feature); `-I`: with the virtualhost as SNI.
    ssl: bool,
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    sni: bool,
}

fn options() -> getopts::Options {
    let mut o = getopts::Options::new();
    o.optflag("T", "genhash", "");
    o.optflag("S", "use-ssl", "");
    o.optflag("I", "use-sni", "");
    o.optopt("s", "server", "", "");
    o.optopt("p", "port", "", "");
    o.optopt("u", "url", "", "");
    o.optopt("V", "use-virtualhost", "", "");
    o.optflag("v", "verbose", "");
    o.optflag("h", "help", "");
    o.optopt("m", "fwmark", "", "");
    o.optopt("P", "protocol", "", "");
    o.optopt("t", "timeout", "", "");
    o
}

/// The request the arguments describe, or the exit status (usage printed).
fn parse(args: &[String], err: &mut dyn Write) -> Result<Request, i32> {
    let usage = |err: &mut dyn Write, code| {
        let _ = err.write_all(USAGE.as_bytes());
        code
    };
    let m = match options().parse(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return Err(usage(err, 1));
        }
    };
    if m.opt_present("h") {
        return Err(usage(err, 0));
    }
    if m.opt_present("S") && cfg!(not(feature = "tls")) {
        let _ = writeln!(
            err,
            "keepalived-rs genhash: HTTPS (-S) needs the tls feature, which this build lacks"
        );
        return Err(1);
    }
    let (Some(server), Some(port), Some(url)) = (m.opt_str("s"), m.opt_str("p"), m.opt_str("u"))
    else {
        return Err(usage(err, 1));
    };
    let Ok(ip) = server.parse::<IpAddr>() else {
        let _ = writeln!(err, "server should be an IP, not {server}");
        return Err(1);
    };
    let Ok(port) = port.parse::<u16>() else {
        let _ = writeln!(err, "invalid port {port}");
        return Err(1);
    };
    let protocol = match m.opt_str("P").as_deref() {
        None | Some("1.0") => HttpProtocol::V10,
        Some("1.0c") | Some("1.0C") => HttpProtocol::V10Close,
        Some("1.1") => HttpProtocol::V11,
        Some(p) => {
            let _ = writeln!(err, "invalid HTTP protocol version {p}");
            return Err(1);
        }
    };
    let secs = match m.opt_str("t") {
        None => 5,
        Some(t) => match t.parse::<i32>() {
            Ok(s) if s > 0 => s,
            _ => {
                let _ = writeln!(err, "invalid timeout {t}");
                return Err(1);
            }
        },
    };
    Ok(Request {
        dst: SocketAddr::new(ip, port),
        url,
        host: m.opt_str("V"),
        protocol,
        timeout_ms: secs.saturating_mul(1000),
        fwmark: m.opt_str("m").and_then(|s| s.parse().ok()).unwrap_or(0),
        verbose: m.opt_present("v"),
        ssl: m.opt_present("S"),
        sni: m.opt_present("I"),
    })
}

/// genhash's dump: `OFFSET  16 hex bytes (a "-" after the 8th)  ASCII`.
fn dump(out: &mut dyn Write, offset: usize, bytes: &[u8]) -> io::Result<()> {
    for (k, line) in bytes.chunks(16).enumerate() {
        write!(out, "{:04}  ", offset + 16 * k)?;
        for i in 0..16 {
            if i == 8 {
                write!(out, "- ")?;
            }
            match line.get(i) {
                Some(b) => write!(out, "{b:02x} ")?,
                None => write!(out, "   ")?,
            }
        }
        write!(out, "  ")?;
        for i in 0..16 {
            let c = line.get(i).map_or(' ', |&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            });
            write!(out, "{c}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// genhash's section titles, as it prints them.
const HEADER: &str = "-----------------------[    HTTP Header Buffer    ]-----------------------";
const HEADER_ASCII: &str =
    "-----------------------[ HTTP Header Ascii Buffer ]-----------------------";
const BODY: &str = "-----------------------[        HTML Buffer        ]-----------------------";
const HASH: &str = "-----------------------[    HTML hash resulting    ]-----------------------";
const HASH_FINAL: &str =
    "-----------------------[ HTML hash final resulting ]-----------------------";

/// The body as it arrives: hashed (and dumped with `-v`), capped at its Content-Length.
struct Body {
    md5: Md5,
    len: u64,
    content_len: Option<u64>,
}

impl Body {
    fn take(&mut self, data: &[u8], verbose: bool, out: &mut dyn Write) -> io::Result<()> {
        let take = self.content_len.map_or(data.len(), |cl| {
            data.len()
                .min(usize::try_from(cl.saturating_sub(self.len)).unwrap_or(usize::MAX))
        });
        let data = &data[..take];
        if verbose {
            dump(out, usize::try_from(self.len).unwrap_or(0), data)?;
        }
        self.md5.update(data);
        self.len += data.len() as u64;
        Ok(())
    }

    fn done(&self) -> bool {
        self.content_len.is_some_and(|cl| self.len >= cl)
    }
}

fn wait(p: &Probe, events: libc::c_short, timeout_ms: i32) -> bool {
    let mut pfd = libc::pollfd {
        fd: p.as_raw_fd(),
        events,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if r >= 0 {
            return r > 0;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// The response as it arrives: the header block, then the body.
struct Page {
    head: Vec<u8>,
    body: Option<Body>,
}

impl Page {
    fn take(
        &mut self,
        data: &[u8],
        verbose: bool,
        out: &mut dyn Write,
    ) -> Result<(), &'static str> {
        let w = |_: io::Error| "Write failed";
        if let Some(b) = self.body.as_mut() {
            return b.take(data, verbose, out).map_err(w);
        }
        let head = &mut self.head;
        head.extend_from_slice(data);
        let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
            if head.len() > crate::limits::HTTP_MAX_HEADER {
                return Err("HTTP header too long");
            }
            return Ok(());
        };
        let rest = head.split_off(at + 4);
        let content_len = std::str::from_utf8(head).ok().and_then(|h| {
            h.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                if k.eq_ignore_ascii_case("content-length") {
                    v.trim().parse().ok()
                } else {
                    None
                }
            })
        });
        if verbose {
            writeln!(out, "{HEADER}").map_err(w)?;
            dump(out, 0, head).map_err(w)?;
            writeln!(out, "{HEADER_ASCII}").map_err(w)?;
            out.write_all(head).map_err(w)?;
            writeln!(out).map_err(w)?;
            // keepalived's genhash writes this one title to stderr.
            let _ = writeln!(io::stderr(), "{BODY}");
        }
        let mut b = Body {
            md5: Md5::new(),
            len: 0,
            content_len,
        };
        b.take(&rest, verbose, out).map_err(w)?;
        self.body = Some(b);
        Ok(())
    }
}

fn send_all(p: &Probe, mut data: &[u8], timeout_ms: i32) -> Result<(), &'static str> {
    while !data.is_empty() {
        match p.send(data) {
            Ok(0) => {
                if !wait(p, libc::POLLOUT, timeout_ms) {
                    return Err("Send timeout");
                }
            }
            Ok(n) => data = &data[n.min(data.len())..],
            Err(_) => return Err("Send failed"),
        }
    }
    Ok(())
}

/// `-S`: a TLS session as keepalived's genhash makes it (its automatic SSL context: no
/// client certificate, the server not verified), `req` queued to go once it is up; the
/// SNI name with `-I` is the `-V` virtualhost.
#[cfg(feature = "tls")]
fn start_tls(r: &Request, req: &[u8]) -> Result<Option<crate::check::tls::Tls>, &'static str> {
    use crate::check::tls;
    if !r.ssl {
        return Ok(None);
    }
    let mut t = tls::Tls::new(tls::client_config(None).ok());
    let sni = r.host.as_deref().filter(|_| r.sni);
    t.start(req, sni, r.dst.ip())
        .map_err(|_| "Cannot initialize SSL context.")?;
    Ok(Some(t))
}

#[cfg(not(feature = "tls"))]
fn start_tls(r: &Request, _req: &[u8]) -> Result<Option<()>, &'static str> {
    if r.ssl {
        return Err("SSL error");
    }
    Ok(None)
}

/// Fetches the page; prints the digest (and with `-v` the dumps). Err: what failed.
fn fetch(r: &Request, out: &mut dyn Write) -> Result<(), &'static str> {
    let start = std::time::Instant::now();
    let target = Target {
        transport: Transport::Stream,
        dst: r.dst,
        bind: None,
        bind_if: None,
        fwmark: r.fwmark,
    };
    let mut p = Probe::open(&target).map_err(|_| "Connection failed")?;
    while p.connecting() {
        if !wait(&p, libc::POLLOUT, r.timeout_ms) {
            return Err("Connection timeout");
        }
        match p.connect_result() {
            Ok(()) => break,
            Err(libc::EINPROGRESS) | Err(libc::EALREADY) => {}
            Err(_) => return Err("Connection failed"),
        }
    }
    let mut req = Vec::new();
    http::request(&mut req, &r.url, r.host.as_deref(), r.dst, r.protocol);
    let mut tls = start_tls(r, &req)?;
    if tls.is_none() {
        send_all(&p, &req, r.timeout_ms)?;
    }
    let mut buf = vec![0u8; 64 * 1024];
    #[cfg(feature = "tls")]
    let mut tx = Vec::new();
    let mut page = Page {
        head: Vec::new(),
        body: None,
    };
    loop {
        #[cfg(feature = "tls")]
        if let Some(t) = tls.as_mut() {
            tx.clear();
            t.take_tx(&mut tx).map_err(|_| "SSL error")?;
            send_all(&p, &tx, r.timeout_ms)?;
        }
        if page.body.as_ref().is_some_and(Body::done) {
            break;
        }
        let data = match p.recv(&mut buf) {
            Recv::Data { start, end } => &buf[start..end],
            Recv::WouldBlock => {
                if !wait(&p, libc::POLLIN, r.timeout_ms) {
                    return Err("Read timeout");
                }
                continue;
            }
            Recv::Eof => break,
            Recv::Error(_) => return Err("Read failed"),
        };
        match tls.as_mut() {
            None => page.take(data, r.verbose, out)?,
            #[cfg(feature = "tls")]
            Some(t) => {
                let mut failed = None;
                let closed = t.feed(data, &mut |plain| match page.take(plain, r.verbose, out) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                });
                if let Some(e) = failed {
                    return Err(e);
                }
                if closed.map_err(|_| "SSL error")? {
                    break;
                }
            }
            #[cfg(not(feature = "tls"))]
            Some(_) => return Err("SSL error"),
        }
    }
    let body = page.body;
    let w = |_: io::Error| "Write failed";
    let Some(body) = body else {
        return Err("No HTTP header received");
    };
    let digest: [u8; 16] = body.md5.finalize().into();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if r.verbose {
        writeln!(out).map_err(w)?;
        writeln!(out, "{HASH}").map_err(w)?;
        dump(out, 0, &digest).map_err(w)?;
        writeln!(out, "{HASH_FINAL}").map_err(w)?;
        writeln!(out, "{hex}").map_err(w)?;
        writeln!(out).map_err(w)?;
        writeln!(
            out,
            "Global response time for [{}] = {} usecs",
            r.url,
            start.elapsed().as_micros()
        )
        .map_err(w)?;
    } else {
        writeln!(out, "{hex}").map_err(w)?;
    }
    Ok(())
}

/// Runs genhash with `args` (after the program name); returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let (mut out, mut err) = (io::stdout(), io::stderr());
    let r = match parse(args, &mut err) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match fetch(&r, &mut out) {
        Ok(()) => 0,
        // genhash prints why and exits 0, as keepalived's does.
        Err(why) => {
            let _ = writeln!(out, "{why}");
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumped(offset: usize, b: &[u8]) -> String {
        let mut v = Vec::new();
        dump(&mut v, offset, b).expect("dump");
        String::from_utf8(v).expect("utf8")
    }

    #[test]
    fn dumps_are_genhash_s_layout() {
        assert_eq!(
            dumped(0, b"hi\n"),
            "0000  68 69 0a                -                           hi.             \n"
        );
        assert_eq!(
            dumped(16, b"HTTP/1.0 200 OK\r"),
            "0016  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n"
        );
    }

    #[test]
    fn missing_arguments_print_the_usage_and_fail() {
        let mut err = Vec::new();
        let args: Vec<String> = ["-s", "127.0.0.1", "-u", "/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(parse(&args, &mut err).err(), Some(1));
        assert!(String::from_utf8_lossy(&err).starts_with("Usage: keepalived --genhash"));
    }

    #[test]
    fn use_ssl_needs_the_tls_feature() {
        let mut err = Vec::new();
        let args: Vec<String> = ["-S", "-s", "127.0.0.1", "-p", "443", "-u", "/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = parse(&args, &mut err);
        if cfg!(feature = "tls") {
            assert!(r.is_ok_and(|r| r.ssl && !r.sni));
        } else {
            assert_eq!(r.err(), Some(1));
            assert!(String::from_utf8_lossy(&err).contains("needs the tls feature"));
        }
    }
}
