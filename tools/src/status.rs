//! `kakunin status` (work in progress on a branch).
use crate::Outcome;

/// Arguments of `kakunin status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {}

/// Runs `kakunin status`.
pub fn run(_args: StatusArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not built yet")
}
