//! `kakunin card-sim`: a virtual My Number Card in pcscd's vsmartcard
//! reader, so that `kakunin card …` (and any PC/SC program) runs against a
//! card without hardware. The card is `kakunin_card::sim::VirtualCard`
//! loaded from `kakunin gen`'s `holders/N/`; the connection to pcscd is
//! `kakunin_card::sim::vpcd`. This module only reads flags and environment,
//! reports events and turns SIGTERM/SIGINT into "card removed, exit 0".

use std::env::VarError;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::log::LogFormat;
use anyhow::{bail, Context};
use clap::Args;
use kakunin_card::ap::PinKind;
use kakunin_card::apdu::StatusWord;
use kakunin_card::sim::vpcd::{Event, Vpcd, DEFAULT_ADDR};
use kakunin_card::sim::{SimPins, VirtualCard};

use crate::Outcome;

/// PIN overrides come from these variables, never from flags: argv is
/// readable by every user of the machine (`ps`), and even a demo card's
/// PINs should not teach people to type PINs there.
const PIN_VARS: [(PinKind, &str); 3] = [
    (PinKind::Auth, "KAKUNIN_SIM_AUTH_PIN"),
    (PinKind::Sign, "KAKUNIN_SIM_SIGN_PIN"),
    (PinKind::Text, "KAKUNIN_SIM_TEXT_PIN"),
];

const AFTER_HELP: &str = "\
The card holds the certificates and private keys of holders/N: public test
keys written by `kakunin gen`, for tests and demos only. Never trust them.

PINs: authentication 1234, signing password JPKI2026, text AP 1234. To use
others set KAKUNIN_SIM_AUTH_PIN, KAKUNIN_SIM_SIGN_PIN, KAKUNIN_SIM_TEXT_PIN
(there is no flag for them: argv is visible to every user).

Needs pcscd with the vsmartcard-vpcd driver, running as `pcscd -f`
(without --auto-exit). The card connects to the driver and stays in the
reader until SIGTERM or SIGINT (exit 0); when pcscd restarts it reconnects.";

/// Flags of `kakunin card-sim`.
#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct CardSimArgs {
    /// Where pcscd's vpcd driver listens (the card connects to it):
    /// port 35963 is reader "Virtual PCD 00 00", 35964 "Virtual PCD 00 01".
    #[arg(long, default_value = DEFAULT_ADDR, value_name = "HOST:PORT")]
    vpcd: String,
    /// A directory written by `kakunin gen` (holders/N/, auth-ca.pem,
    /// sign-ca.pem).
    #[arg(long, value_name = "DIR")]
    pki: PathBuf,
    /// Whose card: holders/N of --pki.
    #[arg(long, value_name = "N")]
    holder: u32,
    /// Keep the PIN retry counters in this JSON file (created if missing),
    /// so that a locked card stays locked across restarts.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Log filter (tracing EnvFilter syntax); `debug` shows power-on,
    /// resets and each command's header and status word (never its data).
    #[arg(
        long,
        env = "KAKUNIN_LOG",
        default_value = "info",
        value_name = "FILTER"
    )]
    log: String,
    /// Take the card out of the reader right after its Nth signature
    /// (COMPUTE DIGITAL SIGNATURE answered), as a person pulling the card
    /// in the middle of a batch would: for testing what a front end does
    /// then. The process exits 0 as on SIGTERM.
    #[arg(long, value_name = "N")]
    remove_after_signatures: Option<u64>,
}

/// Runs `kakunin card-sim` until SIGTERM or SIGINT.
pub(crate) fn run(args: CardSimArgs) -> anyhow::Result<Outcome> {
    crate::log::init(LogFormat::Human, &args.log).map_err(anyhow::Error::msg)?;
    let mut card = VirtualCard::from_holder(&args.pki, args.holder, pins_from_env()?)?;
    if let Some(state) = &args.state {
        card = card.with_state_file(state)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    // Before connecting, so that a signal right after the "inserted" line
    // is never the default (a kill with no exit status).
    stop_on_signals(stop.clone())?;
    let holder = args.holder;
    let mut signatures = 0u64;
    let pull = stop.clone();
    Vpcd::new(args.vpcd, stop).run(&mut card, |event| {
        if let (Event::Apdu { header, sw }, Some(n)) = (&event, args.remove_after_signatures) {
            if header[1] == 0x2A && *sw == StatusWord::Ok {
                signatures += 1;
                if signatures >= n {
                    // Set before the answer is sent: vpcd reads no command
                    // after it, so the card is gone for the next one.
                    tracing::info!("card-sim: taking the card out after signature {signatures}");
                    pull.store(true, Ordering::Relaxed);
                }
            }
        }
        report(holder, event)
    });
    tracing::info!("card-sim: holder {holder} removed");
    Ok(Outcome::Success)
}

fn pins_from_env() -> anyhow::Result<SimPins> {
    let mut pins = SimPins::default();
    for (kind, var) in PIN_VARS {
        match std::env::var(var) {
            Ok(pin) => pins.set(kind, &pin).with_context(|| format!("${var}"))?,
            Err(VarError::NotPresent) => {}
            Err(VarError::NotUnicode(_)) => bail!("${var} is not valid text"),
        }
    }
    Ok(pins)
}

/// Sets `stop` on SIGTERM or SIGINT. The handlers are installed before
/// this returns; a one-thread runtime on its own thread waits for them.
fn stop_on_signals(stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal handler")?;
    let (mut term, mut int) = {
        let _inside = rt.enter();
        (
            signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        )
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let which = rt.block_on(async {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                }
            });
            tracing::debug!("{which}: taking the card out");
            stop.store(true, Ordering::Relaxed);
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// One line on stdout per insertion (scripts wait for it); the rest is
/// logged. An unreachable pcscd is reported once per outage, not once per
/// retry.
fn report(holder: u32, event: Event<'_>) {
    match event {
        Event::Connected(peer) => {
            let mut out = std::io::stdout().lock();
            // stdout may be closed (a script that stopped reading): the card
            // goes on.
            let _ = writeln!(out, "card-sim: holder {holder} inserted into vpcd at {peer}");
            let _ = out.flush();
        }
        Event::Waiting(peer) => {
            tracing::debug!("connected to {peer}; waiting for vpcd to talk (another card in that slot?)")
        }
        Event::Unreachable { attempt: 1, error } => tracing::warn!(
            "vpcd is not reachable ({error}); is pcscd running (`pcscd -f`) with vsmartcard-vpcd? Retrying"
        ),
        Event::Unreachable { attempt, error } => {
            tracing::debug!(attempt, "vpcd still not reachable: {error}")
        }
        Event::Disconnected(error) => {
            tracing::info!("card removed: the vpcd connection ended ({error}); reconnecting")
        }
        Event::PowerOn => tracing::debug!("power on"),
        Event::PowerOff => tracing::debug!("power off"),
        Event::Reset => tracing::debug!("reset"),
        Event::Apdu { header, sw } => tracing::debug!("command {header:02X?}: {sw}"),
        Event::UnknownControl(byte) => tracing::debug!("unknown vpcd control byte {byte:02X}"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_variables_are_the_documented_ones() {
        for (_, var) in PIN_VARS {
            assert!(AFTER_HELP.contains(var), "{var}");
        }
        for pin in [
            SimPins::DEFAULT_AUTH,
            SimPins::DEFAULT_SIGN,
            SimPins::DEFAULT_TEXT,
        ] {
            assert!(AFTER_HELP.contains(pin), "{pin}");
        }
    }
}
