//! End-to-end runs of the `kakunin` binary, one module per subcommand.

mod common;
mod ingest;
mod status;
