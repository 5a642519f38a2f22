//! End-to-end runs of the `kakunin` binary, one module per subcommand.

mod card;
mod card_sim;
mod common;
mod conformance;
mod evidence;
mod faults;
mod gen;
mod ingest;
mod jpki;
mod oidc_rp;
mod sample;
mod serve;
mod serve_balanced;
mod serve_config;
mod serve_login;
mod serve_ocsp;
mod serve_oidc;
mod serve_shared;
mod serve_tls;
mod status;
mod verify;
mod verify_gen;
mod verify_refused;
