//! `kakunin serve`'s OCSP responder as the process serves it: the flags
//! the balanced tests start it with. The responder itself is
//! tested in-process in server/tests/it/ocsp.rs and ocsp_differential.rs.

use kakunin_testkit::http::sample_str as s_data;
pub(crate) use kakunin_testkit::ocsp::{
    b64, ocsp_answer, openssl_check_response, openssl_request, openssl_status,
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
