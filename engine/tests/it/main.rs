//! The engine's integration tests, one module per area, checked against
//! independent implementations (the `openssl` CLI, x509-parser, PyCA's
//! `cryptography-vectors` and NIST PKITS).

mod common;
mod crl_differential;
mod crl_openssl;
mod crl_vectors;
mod jpki_openssl;
mod pkits;
mod verify_adversarial;
mod verify_openssl;
