//! `kakunin ingest` (work in progress on a branch).
use crate::Outcome;

/// Arguments of `kakunin ingest`.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {}

/// Runs `kakunin ingest`.
pub fn run(_args: IngestArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not built yet")
}
