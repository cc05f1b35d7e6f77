//! SSL_GET's TLS layer (cargo feature `tls`): a rustls client connection, itself sans-IO,
//! between the probe's socket bytes and the HTTP reader. As keepalived's SSL_GET, the
//! server's certificate is not verified, even with a `ca`: keepalived 2.2.7 loads the CA
//! file into its context (`SSL_CTX_load_verify_locations`, check_ssl.c) but never calls
//! `SSL_CTX_set_verify`, so OpenSSL's default SSL_VERIFY_NONE lets any server through. We
//! read and check the CA file the same way (a bad one stops start-up) and verify nothing
//! either. The `SSL` block's `certificate` (a PEM chain, leaf first) and `key` are the
//! client certificate offered to servers that ask for one. An encrypted key (`password`)
//! is refused at load time: rustls reads plain PKCS#8, PKCS#1 and SEC1 keys only.
//! The name sent is the url's SNI name with `enable_sni`, none otherwise.
//!
//! A connection is made per attempt (rustls allocates for it): the one exception to the
//! core's no-allocation rule, for SSL_GET only.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, InconsistentKeys, RootCertStore,
    SignatureScheme,
};

use crate::config::model::lvs::Ssl;

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

/// The client configuration every SSL_GET shares, from the `SSL` block's files (read into
/// `ssl.pem` at load time); none = keepalived's automatic context (no client certificate).
/// Err: what is wrong with the files, for the load-time error.
pub fn client_config(ssl: Option<&Ssl>) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let schemes = provider
        .signature_verification_algorithms
        .supported_schemes();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify(schemes)));
    let Some(ssl) = ssl else {
        return Ok(Arc::new(builder.with_no_client_auth()));
    };
    if let Some(path) = &ssl.ca {
        check_ca(path, &ssl.pem.ca)?;
    }
    let cfg = match (&ssl.certificate, &ssl.key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(c), None) => return Err(format!("certificate file '{c}' given without a key")),
        (None, Some(k)) => return Err(format!("key file '{k}' given without a certificate")),
        (Some(cpath), Some(kpath)) => {
            let chain = certificates(cpath, &ssl.pem.certificate)?;
            let key = private_key(kpath, &ssl.pem.key)?;
            let signer = provider
                .key_provider
                .load_private_key(key)
                .map_err(|e| format!("key file '{kpath}': {e}"))?;
            let ck = CertifiedKey::new(chain, signer);
            // As OpenSSL: a key that is not the certificate's is an error; a certificate
            // webpki cannot read (an X.509 v1 one, say) is still offered.
            if let Err(e @ rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) =
                ck.keys_match()
            {
                return Err(format!("certificate '{cpath}' and key '{kpath}': {e}"));
            }
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(ck)))
        }
    };
    Ok(Arc::new(cfg))
}

/// Every certificate of a PEM file; at least one.
fn certificates(path: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad PEM in certificate file '{path}': {e}"))?;
    if chain.is_empty() {
        return Err(format!("no certificate in certificate file '{path}'"));
    }
    Ok(chain)
}

/// As `SSL_CTX_load_verify_locations`: the file must hold certificates that parse.
fn check_ca(path: &str, pem: &[u8]) -> Result<(), String> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(pem) {
        let c = c.map_err(|e| format!("bad PEM in CA file '{path}': {e}"))?;
        roots
            .add(c)
            .map_err(|e| format!("bad certificate in CA file '{path}': {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("no certificate in CA file '{path}'"));
    }
    Ok(())
}

fn private_key(path: &str, pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    let has = |s: &[u8]| pem.windows(s.len()).any(|w| w == s);
    if has(b"ENCRYPTED PRIVATE KEY") || has(b"Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "key file '{path}' is encrypted: keepalived-rs reads unencrypted keys only \
             (decrypt it with 'openssl pkey -in KEY -out PLAIN')"
        ));
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| format!("no usable key in key file '{path}': {e}"))
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
        let mut t = Tls::new(client_config(None).ok());
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
