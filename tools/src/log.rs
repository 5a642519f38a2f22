//! Logging setup: `tracing` to stderr, human-readable or JSON lines.
//!
//! What is logged: start-up, every CRL swap and refusal (file name, issuer
//! key id, CRL number, reason), shutdown, and at debug level one line per
//! request (peer, route name, status, time). Never certificate contents,
//! request bodies or paths: a request line names the route, not the serial
//! asked about.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// For a terminal.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("log format {s:?}: expected human or json")),
        }
    }
}

/// Installs the global subscriber. `filter` is an `EnvFilter` directive
/// such as `info` or `kakunin_server=debug`. Calling it twice is harmless
/// (the first one stays).
pub(crate) fn init(format: LogFormat, filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("log filter {filter:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}
