//! `kakunin evidence`: offline checks of an evidence log written by
//! `kakunin verify --evidence`, `verify-signature --evidence` or the
//! server — `verify` re-checks the hash chain and every checkpoint
//! signature, `show` prints one entry.

mod show;
mod verify;

use clap::Subcommand;

use crate::Outcome;

/// Arguments of `kakunin evidence`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "An evidence log is JSON Lines, one entry per line: {\"seq\",\"prev\",\"kind\",\"record\"}.\n\
Each line's prev is the SHA-256 of the line before, and checkpoints sign the chain's head with\n\
the server's evidence key, so a changed, removed, inserted or reordered entry, and a rewritten\n\
tail, are found by anyone holding the public key. See docs/evidence.md."
)]
pub(crate) struct EvidenceArgs {
    #[command(subcommand)]
    command: EvidenceCommand,
}

#[derive(Subcommand, Debug)]
enum EvidenceCommand {
    /// Re-check the hash chain and every checkpoint signature; name the first broken entry.
    Verify(verify::VerifyArgs),
    /// Print one entry (by seq, hash or record id) as pretty JSON.
    Show(show::ShowArgs),
}

/// Runs `kakunin evidence`.
pub(crate) fn run(args: EvidenceArgs) -> anyhow::Result<Outcome> {
    match args.command {
        EvidenceCommand::Verify(a) => verify::run(a),
        EvidenceCommand::Show(a) => show::run(a),
    }
}
