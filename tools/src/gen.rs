//! `kakunin gen` (work in progress on a branch).
use crate::Outcome;

/// Arguments of `kakunin gen`.
#[derive(clap::Args, Debug)]
pub struct GenArgs {}

/// Runs `kakunin gen`.
pub fn run(_args: GenArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not built yet")
}
