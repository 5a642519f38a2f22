//! `POST /admin/reload`: scan the CRL directory now and report what
//! happened to each changed file. Loopback clients only: the scan costs CPU,
//! and the report names files of the server's directory.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::json;

use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;

/// Whether `peer` is on this host (IPv4-mapped IPv6 included).
pub(crate) fn is_loopback(peer: &SocketAddr) -> bool {
    peer.ip().to_canonical().is_loopback()
}

pub(crate) async fn reload(app: &App, peer: SocketAddr) -> Result<Response<Full<Bytes>>, ApiError> {
    if !is_loopback(&peer) {
        return Err(ApiError::Forbidden(
            "/admin/reload answers loopback clients only; send SIGHUP or use the host".into(),
        ));
    }
    let report = app.reload.scan().await.map_err(|e| {
        tracing::error!(error = %e, "admin reload failed");
        ApiError::Internal
    })?;
    let mut body = json!({ "refused": report.refused(), "files": report.files });
    if let Some(p) = &app.provider {
        body["clients"] = match p.reload_clients_logged() {
            Ok(n) => json!({ "loaded": n }),
            Err(e) => json!({ "refused": e }),
        };
    }
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_includes_mapped_ipv6() {
        for ok in ["127.0.0.1:1", "[::1]:1", "[::ffff:127.0.0.1]:1"] {
            assert!(is_loopback(&ok.parse().unwrap()), "{ok}");
        }
        for no in ["10.0.0.1:1", "[::ffff:10.0.0.1]:1", "[2001:db8::1]:1"] {
            assert!(!is_loopback(&no.parse().unwrap()), "{no}");
        }
    }
}
