//! `kakunin serve`'s OCSP responder as the process serves it: the flags
//! and the no-argument sample other tests start it with. The responder
//! itself is tested in-process in server/tests/it/ocsp.rs.

use crate::serve::Served;
use kakunin_testkit::http::sample_str as s_data;
pub(crate) use kakunin_testkit::ocsp::{
    b64, curl_bin, expected, header, ocsp_answer, ocsp_request_nonce, openssl_check_response,
    openssl_request, openssl_request_with, openssl_status, status_as_ocsp,
};

/// The flags that make a `kakunin serve` on the sample's CAs sign OCSP
/// answers with the sample's delegated responders.
pub(crate) fn sample_signer() -> [&'static str; 4] {
    [
        "--ocsp-signer",
        s_data("ocsp.pem"),
        "--ocsp-key",
        s_data("ocsp.key"),
    ]
}

/// `kakunin serve` with no arguments but a free port: the sample PKI, OCSP
/// signed by its delegated responders.
pub(crate) fn sample() -> Served {
    Served::start_with_env(&[], &[("KAKUNIN_LISTEN", "127.0.0.1:0")])
}
