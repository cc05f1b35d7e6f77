//! Every log line the checker core produces, as plain values; `Checkers::text` renders
//! them with keepalived's words (`check_*.c`, `ipwrapper.c`).

use std::fmt;

use super::http::HttpError;
use super::smtp::SmtpError;
use super::{CheckerId, Checkers, RsId, Shape};

/// Why a DNS_CHECK failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsFail {
    Timeout,
    Socket(i32),
    Rcode(u8),
}

/// How a MISC_CHECK script ended, for its log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiscEnd {
    Succeeded,
    /// Exited with a failing status.
    Status(u8),
    Signal(i32),
    TimedOut,
}

/// keepalived's retry clause of a MISC_CHECK failure line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiscRetry {
    None,
    WillDo(u32),
    OnRetry(u32, u32),
    After(u32),
    Disabled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// "Activating healthchecker for service RS for VS VS"
    Activating(CheckerId),
    /// ha_suspend at start-up: "Deactivating healthchecker for service RS for VS VS"
    Deactivating(CheckerId),
    /// ha_suspend, the address gone: "Suspending healthchecker for service RS for VS VS"
    Suspending(CheckerId),
    /// The checker succeeded where it was down or had not run (TCP, UDP, ICMP, HTTP, SMTP).
    Success(CheckerId),
    /// The checker failed for good; `retries` 0 = no retry clause.
    Failed {
        checker: CheckerId,
        retries: u32,
    },
    /// log_all_failures: one attempt timed out.
    Timeout(CheckerId),
    /// log_all_failures: one attempt could not connect.
    ConnFailed(CheckerId),
    /// log_all_failures: a UDP reply that does not match.
    UdpMismatch(CheckerId),
    /// "HTTP status code success to RS url(PATH)" / "MD5 digest success ..."
    UrlSuccess {
        checker: CheckerId,
        url: u16,
        digest: bool,
        regex: bool,
    },
    /// log_all_failures: "WORDS server RS."
    Http {
        checker: CheckerId,
        error: HttpError,
    },
    /// "http_check for RS X VS Y url PATH: content_length (N) does not match received
    /// bytes (M)"
    LengthMismatch {
        checker: CheckerId,
        url: u16,
        expected: u64,
        received: u64,
    },
    /// "SMTP_CHECK ..." with " after N retries" when `retries` is not 0.
    Smtp {
        checker: CheckerId,
        error: SmtpError,
        retries: u32,
    },
    SmtpTimeout {
        checker: CheckerId,
        retries: u32,
    },
    /// "DNS_CHECK (RS) ..."
    Dns {
        checker: CheckerId,
        fail: DnsFail,
        retries: u32,
    },
    /// "Misc check for [RS VS VS] by [SCRIPT] ..."
    Misc {
        checker: CheckerId,
        end: MiscEnd,
        retry: MiscRetry,
    },
    /// "Adding/Removing service RS to/from VS VS" ("Enabling/Disabling ... of" with
    /// inhibit_on_failure).
    Service {
        rs: RsId,
        up: bool,
    },
    /// SSL_GET in a build without TLS.
    NoTls(CheckerId),
    /// A probe socket could not be made: "<KIND> connect fail to create socket.
    /// Rescheduling."
    Socket {
        checker: CheckerId,
        errno: i32,
    },
}

/// A message rendered against the checkers' names.
pub struct Text<'a> {
    pub(super) c: &'a Checkers,
    pub(super) m: Msg,
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.c;
        let rs = |id: CheckerId| c.rs_name_of(id);
        let vs = |id: CheckerId| c.vs_name_of(id);
        let retries = |f: &mut fmt::Formatter<'_>, n: u32| {
            if n > 0 {
                write!(f, " after {n} retries")
            } else {
                Ok(())
            }
        };
        match self.m {
            Msg::Activating(id) | Msg::Deactivating(id) | Msg::Suspending(id) => {
                let verb = match self.m {
                    Msg::Activating(_) => "Activating",
                    Msg::Deactivating(_) => "Deactivating",
                    _ => "Suspending",
                };
                write!(
                    f,
                    "{verb} healthchecker for service {} for VS {}",
                    rs(id),
                    vs(id)
                )
            }
            Msg::Success(id) => match c.shape(id) {
                Shape::Tcp => write!(f, "TCP connection to {} success.", rs(id)),
                Shape::Udp => write!(f, "UDP connection to {} success.", rs(id)),
                Shape::Ping => write!(f, "ICMP connection to {} success.", rs(id)),
                Shape::Http => write!(f, "Remote Web server {} succeed on service.", rs(id)),
                Shape::Smtp => write!(f, "Remote SMTP server {} succeed on service.", rs(id)),
                Shape::Dns => write!(f, "DNS_CHECK ({}) succeeded", rs(id)),
                Shape::Misc | Shape::File => write!(f, "Check on {} succeeded", rs(id)),
            },
            Msg::Failed {
                checker,
                retries: n,
            } => {
                let id = checker;
                match (c.shape(id), n) {
                    (Shape::Tcp, 0) => write!(f, "TCP_CHECK on service {} failed.", rs(id)),
                    (Shape::Tcp, n) => write!(
                        f,
                        "TCP_CHECK on service {} failed after {n} retries.",
                        rs(id)
                    ),
                    (Shape::Udp, 0) => write!(f, "UDP_CHECK on service {} failed.", rs(id)),
                    (Shape::Udp, n) => write!(
                        f,
                        "UDP_CHECK on service {} failed after {n} retries.",
                        rs(id)
                    ),
                    (Shape::Ping, 0) => write!(f, "ICMP CHECK on service {} failed.", rs(id)),
                    (Shape::Ping, n) => write!(
                        f,
                        "ICMP CHECK on service {} of {} failed after {n} retries.",
                        rs(id),
                        vs(id)
                    ),
                    (Shape::Http, 0) => write!(f, "HTTP_CHECK on service {} failed.", rs(id)),
                    (Shape::Http, n) => write!(
                        f,
                        "HTTP_CHECK on service {} failed after {n} retries.",
                        rs(id)
                    ),
                    (_, n) => {
                        write!(f, "Check on service {} failed", rs(id))?;
                        retries(f, n)?;
                        f.write_str(".")
                    }
                }
            }
            Msg::Timeout(id) => match c.shape(id) {
                Shape::Ping => write!(f, "ICMP connection to address {} timeout.", rs(id)),
                Shape::Udp => write!(f, "UDP connection to {} timeout.", rs(id)),
                _ => write!(f, "TCP connection to {} timeout.", rs(id)),
            },
            Msg::ConnFailed(id) => match c.shape(id) {
                Shape::Ping => write!(f, "ICMP connection to {} of {} failed.", rs(id), vs(id)),
                Shape::Udp => write!(f, "UDP connection to {} failed.", rs(id)),
                _ => write!(f, "TCP connection to {} failed.", rs(id)),
            },
            Msg::UdpMismatch(id) => write!(f, "UDP check to {} reply data mismatch.", rs(id)),
            Msg::UrlSuccess {
                checker,
                url,
                digest,
                regex,
            } => write!(
                f,
                "{} success to {} url({})",
                if regex {
                    "Regex match"
                } else if digest {
                    "MD5 digest"
                } else {
                    "HTTP status code"
                },
                rs(checker),
                c.url_path(checker, url)
            ),
            Msg::Http { checker, error } => {
                write!(f, "{} server {}.", error.words(), rs(checker))
            }
            Msg::LengthMismatch {
                checker,
                url,
                expected,
                received,
            } => write!(
                f,
                "http_check for RS {} VS {} url {}: content_length ({expected}) does not match received bytes ({received})",
                rs(checker),
                vs(checker),
                c.url_path(checker, url)
            ),
            Msg::Smtp {
                checker,
                error,
                retries: n,
            } => {
                let r = rs(checker);
                match error {
                    SmtpError::Code { expected: 220, .. } => {
                        write!(f, "SMTP_CHECK Bad greeting banner from server {r}")?
                    }
                    SmtpError::Code { expected: 250, .. } => {
                        write!(f, "SMTP_CHECK Bad HELO response from server {r}")?
                    }
                    SmtpError::Code { .. } | SmtpError::Closed => {
                        write!(f, "SMTP_CHECK Read failure from server {r}")?
                    }
                    SmtpError::Overflow => write!(
                        f,
                        "SMTP_CHECK Buffer overflow reading from server {r}"
                    )?,
                }
                retries(f, n)
            }
            Msg::SmtpTimeout {
                checker,
                retries: n,
            } => {
                write!(f, "SMTP_CHECK Read timeout from server {}", rs(checker))?;
                retries(f, n)
            }
            Msg::Dns {
                checker,
                fail,
                retries: n,
            } => {
                write!(f, "DNS_CHECK ({}) ", rs(checker))?;
                match fail {
                    DnsFail::Timeout => f.write_str("read timeout from socket")?,
                    DnsFail::Socket(e) => write!(
                        f,
                        "failed to read socket; errno {e} ({})",
                        std::io::Error::from_raw_os_error(e)
                    )?,
                    DnsFail::Rcode(rc) => write!(f, "read error occurred. (rcode = {rc})")?,
                }
                retries(f, n)
            }
            Msg::Misc {
                checker,
                end,
                retry,
            } => {
                write!(
                    f,
                    "Misc check for [{} VS {}] by [{}] ",
                    rs(checker),
                    vs(checker),
                    c.misc_name(checker)
                )?;
                f.write_str(match end {
                    MiscEnd::Succeeded => "succeeded",
                    MiscEnd::TimedOut => "timed out",
                    _ => "failed",
                })?;
                match retry {
                    MiscRetry::None => {}
                    MiscRetry::WillDo(n) => write!(
                        f,
                        ", will do {n} {}",
                        if n == 1 { "retry" } else { "retries" }
                    )?,
                    MiscRetry::OnRetry(i, n) => write!(f, " on retry {i}/{n}")?,
                    MiscRetry::After(n) => write!(
                        f,
                        " after {n} {}",
                        if n == 1 { "retry" } else { "retries" }
                    )?,
                    MiscRetry::Disabled => f.write_str(" with retry disabled")?,
                }
                match end {
                    MiscEnd::Status(s) => write!(f, " (exited with status {s})."),
                    MiscEnd::Signal(s) => write!(f, " (due to signal {s})."),
                    _ => f.write_str("."),
                }
            }
            Msg::Service { rs: id, up } => {
                let (rn, vn, inhibit) = c.rs_names(id);
                let verb = match (up, inhibit) {
                    (true, false) => "Adding",
                    (true, true) => "Enabling",
                    (false, false) => "Removing",
                    (false, true) => "Disabling",
                };
                let prep = match (up, inhibit) {
                    (_, true) => "of",
                    (true, false) => "to",
                    (false, false) => "from",
                };
                write!(f, "{verb} service {rn} {prep} VS {vn}")
            }
            Msg::NoTls(id) => write!(
                f,
                "SSL_GET for {} of VS {}: SSL_GET needs the tls feature (this build has no TLS)",
                rs(id),
                vs(id)
            ),
            Msg::Socket { checker, errno } => write!(
                f,
                "{} connection to {} fail to create socket ({}). Rescheduling.",
                c.keyword(checker),
                rs(checker),
                std::io::Error::from_raw_os_error(errno)
            ),
        }
    }
}
