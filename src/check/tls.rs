//! SSL_GET's TLS layer (cargo feature `tls`): a rustls client connection, itself sans-IO,
//! between the probe's socket bytes and the HTTP reader. As keepalived's SSL_GET without a
//! CA, the server's certificate is not verified (the check is about the service answering,
//! not about trust); the name sent is the url's SNI name with `enable_sni`, none otherwise.
//!
//! A connection is made per attempt (rustls allocates for it): the one exception to the
//! core's no-allocation rule, for SSL_GET only.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

#[derive(Debug)]
struct NoVerify(Vec<SignatureScheme>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// The client configuration every SSL_GET shares.
pub fn client_config() -> Option<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let schemes = provider
        .signature_verification_algorithms
        .supported_schemes();
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify(schemes)))
        .with_no_client_auth();
    Some(Arc::new(cfg))
}

/// Why TLS failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsError;

/// One SSL_GET checker's TLS state.
pub struct Tls {
    config: Option<Arc<ClientConfig>>,
    conn: Option<ClientConnection>,
}

impl Tls {
    pub fn new(config: Option<Arc<ClientConfig>>) -> Tls {
        Tls { config, conn: None }
    }

    /// Starts a connection (the socket is connected) and queues `request` to send once
    /// the handshake is done. `sni`: the name to send (enable_sni); otherwise the
    /// address `ip` (no SNI is sent for an address).
    pub fn start(&mut self, request: &[u8], sni: Option<&str>, ip: IpAddr) -> Result<(), TlsError> {
        let cfg = self.config.clone().ok_or(TlsError)?;
        let name = sni
            .and_then(|s| ServerName::try_from(s.to_string()).ok())
            .unwrap_or(ServerName::IpAddress(ip.into()));
        let mut c = ClientConnection::new(cfg, name).map_err(|_| TlsError)?;
        c.writer().write_all(request).map_err(|_| TlsError)?;
        self.conn = Some(c);
        Ok(())
    }

    pub fn stop(&mut self) {
        self.conn = None;
    }

    /// Appends the TLS records to send to `out`.
    pub fn take_tx(&mut self, out: &mut Vec<u8>) -> Result<(), TlsError> {
        let Some(c) = self.conn.as_mut() else {
            return Ok(());
        };
        while c.wants_write() {
            c.write_tls(out).map_err(|_| TlsError)?;
        }
        Ok(())
    }

    /// Feeds received TLS bytes; `plain` gets the decrypted application data. Ok(true)
    /// once the server closed the TLS session (close_notify).
    pub fn feed(
        &mut self,
        mut data: &[u8],
        plain: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<bool, TlsError> {
        let Some(c) = self.conn.as_mut() else {
            return Err(TlsError);
        };
        let mut buf = [0u8; 4096];
        while !data.is_empty() {
            let n = c.read_tls(&mut data).map_err(|_| TlsError)?;
            if n == 0 {
                break;
            }
            c.process_new_packets().map_err(|_| TlsError)?;
            loop {
                match c.reader().read(&mut buf) {
                    Ok(0) => return Ok(true),
                    Ok(n) => {
                        if !plain(&buf[..n]) {
                            return Err(TlsError);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    // An end without close_notify: the stream's end decides.
                    Err(_) => return Ok(true),
                }
            }
        }
        Ok(false)
    }
}

/// A TLS server for tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::PrivateKeyDer;
    use rustls::{ServerConfig, ServerConnection};

    pub const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBhjCCASugAwIBAgIUIquMccBzOJh0LXTf3TgjzKcHOFcwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMY2hlY2tlci10ZXN0MCAXDTI2MTEyMzA4NTEzMloYDzIxMjYx
MDMwMDg1MTMyWjAXMRUwEwYDVQQDDAxjaGVja2VyLXRlc3QwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARZJlcuT7680PR6nAgVc+4WPg5uepq6EffDZy+yLUU8msF/
c3E9hv1/rI5Se9qoM4I8veifvW3230D11DCk/AVEo1MwUTAdBgNVHQ4EFgQU28gH
qqfcpAK5UufIOfZ40kuWulowHwYDVR0jBBgwFoAU28gHqqfcpAK5UufIOfZ40kuW
ulowDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA3r0Iy4UA5yhc
ELH/WEy0Yudfby7W8+EwZIqDvpWsYD8CIQDxIKKvn4DQLq9IuyMWPTu9fePl+f8n
2fUvxy5gCL7yHw==
-----END CERTIFICATE-----
";
    pub const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgO8qDy9qT4k3WQU+P
nygHEP/T4xboekKF1KzFiH0iGoOhRANCAARZJlcuT7680PR6nAgVc+4WPg5uepq6
EffDZy+yLUU8msF/c3E9hv1/rI5Se9qoM4I8veifvW3230D11DCk/AVE
-----END PRIVATE KEY-----
";

    /// A self-signed test server (made with openssl for this test).
    pub fn server() -> ServerConnection {
        let certs = vec![CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        ServerConnection::new(Arc::new(cfg)).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::server;
    use super::*;

    #[test]
    fn a_request_and_its_answer_through_tls() {
        let mut t = Tls::new(client_config());
        t.start(b"GET / HTTP/1.0\r\n\r\n", None, "10.0.0.2".parse().unwrap())
            .unwrap();
        let mut s = server();
        let mut got = Vec::new();
        let mut closed = false;
        for _ in 0..20 {
            let mut tx = Vec::new();
            t.take_tx(&mut tx).unwrap();
            let mut rd = &tx[..];
            while !rd.is_empty() {
                s.read_tls(&mut rd).unwrap();
                s.process_new_packets().unwrap();
            }
            let mut req = Vec::new();
            let _ = s.reader().read_to_end(&mut req);
            if req.starts_with(b"GET / ") {
                s.writer().write_all(b"HTTP/1.0 200 OK\r\n\r\nhi").unwrap();
                s.send_close_notify();
            }
            let mut back = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut back).unwrap();
            }
            if !back.is_empty() {
                closed = t
                    .feed(&back, &mut |p| {
                        got.extend_from_slice(p);
                        true
                    })
                    .unwrap();
            }
            if closed {
                break;
            }
        }
        assert!(closed);
        assert_eq!(got, b"HTTP/1.0 200 OK\r\n\r\nhi");
    }
}
