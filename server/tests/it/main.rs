//! `kakunin_server::Server` end to end, in the test process: each test
//! binds a server on an ephemeral loopback port, serves it on a tokio
//! runtime of its own, and asks it with the real `curl` and raw sockets.
//! What needs the `kakunin` process itself (flags, config files, signals,
//! the banner, exit codes) is tested in tools/tests/cli.

mod common;
mod hostile;
mod login;
mod ocsp;
mod ocsp_differential;
mod oidc;
mod op;
mod signing;
mod status;
mod swap;
mod tls;
