//! `kakunin`: a thin command line over `kakunin-engine`, `kakunin-server`,
//! `kakunin-card` and `kakunin-gen`.
//!
//! Each subcommand lives in its own module and returns an [`Outcome`];
//! errors are mapped to exit codes in one place here: 0 success, 1 "some
//! answer was not good" (verify-style commands), 2 usage, input or I/O error.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Subcommand};

#[cfg(feature = "pcsc")]
mod card;
mod card_sim;
mod evidence;
mod evidence_log;
mod gen;
mod ingest;
mod log;
mod serve;
mod status;
mod verify;
mod verify_signature;

/// Check Japanese JPKI (My Number Card) certificates against CRLs at line rate.
#[derive(clap::Parser, Debug)]
#[command(name = "kakunin", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a deterministic JPKI-shaped test PKI (CAs, CRLs, certificates, holders).
    Gen(gen::GenArgs),
    /// Verify a CRL against its CA and write a memory-mappable serial index.
    Ingest(ingest::IngestArgs),
    /// Look serial numbers up in an index; one JSON line per serial.
    Status(status::StatusArgs),
    /// Verify certificates in batch: path, signatures, validity, revocation on every link.
    Verify(verify::VerifyArgs),
    /// Verify a document signature made by a card's signing key, and its certificate.
    VerifySignature(verify_signature::VerifySignatureArgs),
    /// Check an evidence log's hash chain and signed checkpoints offline, or show one entry.
    Evidence(evidence::EvidenceArgs),
    /// Serve status look-ups over HTTP from hot-swapped CRLs (JSON, health, metrics).
    // Boxed: its many options would make every variant as large.
    Serve(Box<serve::ServeArgs>),
    /// The card front end: read a My Number Card in a PC/SC reader, sign, log in.
    #[cfg(feature = "pcsc")]
    Card(card::CardArgs),
    /// Put a virtual My Number Card (public test keys) into pcscd's vpcd reader.
    CardSim(card_sim::CardSimArgs),
}

/// Parses an RFC 3339 time argument (`--at`); a bad one is a usage error.
pub(crate) fn parse_time_arg(text: &str) -> Result<kakunin_engine::Timestamp, String> {
    kakunin_engine::Timestamp::parse_rfc3339(text).map_err(|e| e.to_string())
}

/// What a subcommand reports back to `main` when it did not fail.
pub enum Outcome {
    /// Everything asked for was done and every answer was good.
    Success,
    /// The command ran, but some answer was not good (exit 1).
    NotAllGood,
}

fn main() -> ExitCode {
    // The matches as well as the parsed struct: `serve` asks them which
    // options the command line or the environment gave, which a config
    // file must not override.
    let matches = Cli::command().get_matches();
    let cli =
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut Cli::command()).exit());
    let sub = matches.subcommand().map_or(&matches, |(_, m)| m);
    let result = match cli.command {
        Command::Gen(a) => gen::run(a),
        Command::Ingest(a) => ingest::run(a),
        Command::Status(a) => status::run(a),
        Command::Verify(a) => verify::run(a),
        Command::VerifySignature(a) => verify_signature::run(a),
        Command::Evidence(a) => evidence::run(a),
        Command::Serve(a) => serve::run(*a, sub),
        #[cfg(feature = "pcsc")]
        Command::Card(a) => card::run(a),
        Command::CardSim(a) => card_sim::run(a),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::NotAllGood) => ExitCode::from(1),
        Err(e) => {
            eprintln!("kakunin: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
