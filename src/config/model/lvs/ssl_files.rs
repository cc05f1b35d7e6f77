//! The `SSL` block's files, read and checked when an SSL_GET needs them. keepalived loads
//! them into its SSL context at start-up and stops ("Error Initialize SSL, ctx Instance")
//! when one cannot be loaded; we stop at load time with the file and the reason.

use super::Ssl;
use crate::config::ctx::Ctx;
use crate::config::diag::Fatal;
use crate::limits;

/// Reads the block's files into `ssl.pem` and (with the `tls` feature) checks that they
/// make a TLS context.
pub fn load(ctx: &mut Ctx, ssl: &mut Ssl) -> Result<(), Fatal> {
    let loc = ssl.loc;
    let fatal = |msg: String| Fatal { loc, msg };
    let files = [
        (ssl.ca.as_deref(), "CA", &mut ssl.pem.ca),
        (
            ssl.certificate.as_deref(),
            "certificate",
            &mut ssl.pem.certificate,
        ),
        (ssl.key.as_deref(), "key", &mut ssl.pem.key),
    ];
    for (path, what, slot) in files {
        let Some(path) = path else { continue };
        *slot = ctx
            .host
            .read_file(path, limits::SSL_MAX_FILE)
            .map_err(|e| fatal(format!("SSL error: cannot read {what} file '{path}': {e}")))?;
    }
    #[cfg(feature = "tls")]
    crate::check::tls::client_config(Some(ssl)).map_err(|e| fatal(format!("SSL error: {e}")))?;
    Ok(())
}
