//! `kakunin serve --config FILE`: the flags as a TOML file.
//!
//! Every flag has a key of the same name, without the dashes in front
//! (`crl-dir = "crl"`, `trust = ["sign-ca.pem", "auth-ca.pem"]`,
//! `header-timeout = "10s"`, `no-watch = true`). A value given on the
//! command line or in the environment wins over the file, and the file wins
//! over the defaults: clap's [`ValueSource`] tells which flags were given.
//! Relative paths in the file are relative to the file's directory, so one
//! file works from any working directory (systemd's is `/`).
//!
//! Unknown keys are refused (a misspelt `max-bdy` would otherwise be a
//! silent default), and so is a value of the wrong type; toml's error
//! message shows the line, so it names the key.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::log::LogFormat;
use anyhow::Context;
use clap::parser::ValueSource;
use clap::ArgMatches;
use kakunin_server::AliasSpec;
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use super::{parse_duration, ServeArgs};

/// The keys of a config file: [`ServeArgs`]'s fields (the names are
/// clap's argument ids, which [`FileOptions::apply`] relies on), each
/// optional, spelt as the flag is.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct FileOptions {
    listen: Option<SocketAddr>,
    trust: Option<Vec<PathBuf>>,
    crl_dir: Option<PathBuf>,
    #[serde(rename = "alias", default, deserialize_with = "parsed_list")]
    aliases: Option<Vec<AliasSpec>>,
    no_default_aliases: Option<bool>,
    max_body: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    header_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    body_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    idle_timeout: Option<Duration>,
    max_connections: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    shutdown_grace: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    poll_interval: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    debounce: Option<Duration>,
    no_watch: Option<bool>,
    #[serde(rename = "ocsp-signer")]
    ocsp_signers: Option<Vec<PathBuf>>,
    #[serde(rename = "ocsp-key")]
    ocsp_keys: Option<Vec<PathBuf>>,
    ocsp_max_signing: Option<usize>,
    ocsp_cache: Option<usize>,
    #[serde(rename = "origin")]
    origins: Option<Vec<String>>,
    challenge_key: Option<PathBuf>,
    #[serde(default, deserialize_with = "duration")]
    challenge_lifetime: Option<Duration>,
    max_live_challenges: Option<usize>,
    #[serde(default, deserialize_with = "parsed")]
    log_format: Option<LogFormat>,
    log: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    issuer: Option<String>,
    clients: Option<PathBuf>,
    #[serde(rename = "oidc-key")]
    oidc_keys: Option<Vec<PathBuf>>,
    pairwise_key: Option<PathBuf>,
    max_state_entries: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    pending_lifetime: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    code_lifetime: Option<Duration>,
    state: Option<String>,
    state_password_file: Option<PathBuf>,
    state_ca: Option<PathBuf>,
    state_prefix: Option<String>,
    #[serde(default, deserialize_with = "duration")]
    state_timeout: Option<Duration>,
    evidence: Option<PathBuf>,
    evidence_key: Option<PathBuf>,
    evidence_rotate_bytes: Option<u64>,
    sign_max_documents: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    sign_lifetime: Option<Duration>,
}

impl FileOptions {
    /// Reads and checks `path`; relative paths in it are made relative to
    /// its directory.
    pub(super) fn read(path: &Path) -> anyhow::Result<FileOptions> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("config file {}", path.display()))?;
        let mut options = Self::parse(&text).map_err(|e| {
            anyhow::anyhow!(
                "config file {}: {}",
                path.display(),
                e.to_string().trim_end()
            )
        })?;
        options.relative_to(path.parent().unwrap_or(Path::new("")));
        Ok(options)
    }

    fn parse(text: &str) -> Result<FileOptions, toml::de::Error> {
        toml::from_str(text)
    }

    /// Makes the file's relative paths relative to `dir` (its directory).
    fn relative_to(&mut self, dir: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        for list in [
            &mut self.trust,
            &mut self.ocsp_signers,
            &mut self.ocsp_keys,
            &mut self.oidc_keys,
        ] {
            list.iter_mut().flatten().for_each(join);
        }
        for path in [
            &mut self.crl_dir,
            &mut self.challenge_key,
            &mut self.tls_cert,
            &mut self.tls_key,
            &mut self.clients,
            &mut self.pairwise_key,
            &mut self.evidence,
            &mut self.evidence_key,
            &mut self.state_password_file,
            &mut self.state_ca,
        ] {
            path.iter_mut().for_each(join);
        }
        // An alias target is a certificate file or a hex key id; like
        // `--alias`, a name that exists as a file is the file.
        for alias in self.aliases.iter_mut().flatten() {
            let file = dir.join(&alias.target);
            if Path::new(&alias.target).is_relative() && file.exists() {
                alias.target = file.display().to_string();
            }
        }
    }

    /// Sets every option of `args` that neither the command line nor the
    /// environment gave (per `matches`) to the file's value, if it has one.
    pub(super) fn apply(self, args: &mut ServeArgs, matches: &ArgMatches) {
        let given = |id: &str| {
            matches
                .value_source(id)
                .is_some_and(|s| s > ValueSource::DefaultValue)
        };
        // Destructured, so that a key added above and forgotten here does
        // not compile (or trips the unused-variable lint).
        let FileOptions {
            listen,
            trust,
            crl_dir,
            aliases,
            no_default_aliases,
            max_body,
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
            shutdown_grace,
            poll_interval,
            debounce,
            no_watch,
            ocsp_signers,
            ocsp_keys,
            ocsp_max_signing,
            ocsp_cache,
            origins,
            challenge_key,
            challenge_lifetime,
            max_live_challenges,
            log_format,
            log,
            tls_cert,
            tls_key,
            issuer,
            clients,
            oidc_keys,
            pairwise_key,
            max_state_entries,
            pending_lifetime,
            code_lifetime,
            state,
            state_password_file,
            state_ca,
            state_prefix,
            state_timeout,
            evidence,
            evidence_key,
            evidence_rotate_bytes,
            sign_max_documents,
            sign_lifetime,
        } = self;
        macro_rules! fill {
            ($($field:ident),*; optional: $($opt:ident),*) => {
                $(if let Some(v) = $field {
                    if !given(stringify!($field)) {
                        args.$field = v;
                    }
                })*
                $(if let Some(v) = $opt {
                    if !given(stringify!($opt)) {
                        args.$opt = Some(v);
                    }
                })*
            };
        }
        fill!(
            listen, trust, aliases, no_default_aliases, max_body, header_timeout,
            body_timeout, idle_timeout, max_connections, shutdown_grace, poll_interval,
            debounce, no_watch, ocsp_signers, ocsp_keys, ocsp_cache, origins,
            challenge_lifetime, max_live_challenges, log_format, log, oidc_keys, max_state_entries,
            pending_lifetime, code_lifetime, sign_max_documents, sign_lifetime, state, state_prefix,
            state_timeout;
            optional: crl_dir, ocsp_max_signing, challenge_key, tls_cert, tls_key, issuer,
            clients, pairwise_key, evidence, evidence_key, evidence_rotate_bytes, state_password_file, state_ca
        );
    }
}

/// A value written as a string and parsed as its flag is (`alias`,
/// `log-format`).
fn parsed<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(d)?;
    text.parse().map(Some).map_err(D::Error::custom)
}

/// A list of [`parsed`] values.
fn parsed_list<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(D::Error::custom))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// A duration written as the flags take it: `"500ms"`, `"10s"`, `"2m"`.
fn duration<'de, D>(d: D) -> Result<Option<Duration>, D::Error>
where
    D: Deserializer<'de>,
{
    let text = String::deserialize(d)?;
    parse_duration(&text).map(Some).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use clap::{Args, FromArgMatches};

    use super::*;

    fn command() -> clap::Command {
        ServeArgs::augment_args(clap::Command::new("serve"))
    }

    /// `kakunin serve ARGS` parsed as clap does (environment included).
    fn matches(args: &[&str]) -> ArgMatches {
        command()
            .try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))
            .expect("arguments")
    }

    fn merged(file: &str, args: &[&str]) -> ServeArgs {
        let m = matches(args);
        let mut parsed = ServeArgs::from_arg_matches(&m).expect("arguments");
        let mut options = FileOptions::parse(file).expect("config file");
        options.relative_to(Path::new("/etc/kakunin"));
        options.apply(&mut parsed, &m);
        parsed
    }

    #[test]
    fn every_flag_has_a_key_of_the_same_name() {
        let mut checked = 0;
        for arg in command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "config" || long == "help" {
                continue;
            }
            // A table is the wrong type for every key: the error must be
            // about the value, not an unknown key.
            let e = FileOptions::parse(&format!("{long} = {{}}"))
                .expect_err("a table is no option's value")
                .to_string();
            assert!(!e.contains("unknown field"), "--{long} has no key: {e}");
            checked += 1;
        }
        assert!(checked >= 20, "{checked}");
    }

    #[test]
    fn the_file_fills_in_defaults_and_flags_win() {
        let file = r#"
            listen = "127.0.0.1:9443"
            trust = ["sign-ca.pem", "/abs/auth-ca.pem"]
            crl-dir = "crl"
            alias = ["old=00ff"]
            max-body = 1024
            header-timeout = "2s"
            no-watch = true
            ocsp-signer = ["ocsp.pem"]
            ocsp-key = ["ocsp.key"]
            ocsp-max-signing = 3
            log-format = "json"
            tls-cert = "tls/cert.pem"
            tls-key = "tls/key.pem"
        "#;
        let a = merged(file, &[]);
        assert_eq!(a.listen, "127.0.0.1:9443".parse().unwrap());
        assert_eq!(
            a.trust,
            [
                PathBuf::from("/etc/kakunin/sign-ca.pem"),
                PathBuf::from("/abs/auth-ca.pem")
            ]
        );
        assert_eq!(a.crl_dir, Some(PathBuf::from("/etc/kakunin/crl")));
        assert_eq!(a.aliases[0].target, "00ff", "a hex id stays as written");
        assert_eq!(a.max_body, 1024);
        assert_eq!(a.header_timeout, Duration::from_secs(2));
        assert_eq!(a.body_timeout, Duration::from_secs(10), "the default");
        assert!(a.no_watch);
        assert_eq!(a.ocsp_keys, [PathBuf::from("/etc/kakunin/ocsp.key")]);
        assert_eq!(a.ocsp_max_signing, Some(3));
        assert_eq!(a.log_format, LogFormat::Json);
        assert_eq!(a.tls_key, Some(PathBuf::from("/etc/kakunin/tls/key.pem")));

        // Flags win, also when they say the default, and relative flag
        // paths stay relative to the working directory.
        let a = merged(
            file,
            &[
                "--listen",
                "127.0.0.1:8080",
                "--trust",
                "here.pem",
                "--max-body",
                "65536",
            ],
        );
        assert_eq!(a.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(a.trust, [PathBuf::from("here.pem")]);
        assert_eq!(a.max_body, 65536);
        assert_eq!(a.header_timeout, Duration::from_secs(2));
    }

    #[test]
    fn the_example_in_dist_is_a_valid_file() {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist/kakunin.toml"));
        let mut o = FileOptions::parse(text).expect("dist/kakunin.toml");
        o.relative_to(Path::new("/etc/kakunin"));
        assert_eq!(o.trust.as_deref().map(<[_]>::len), Some(2));
        assert_eq!(
            o.tls_cert,
            Some(PathBuf::from("/etc/kakunin/tls/server.pem"))
        );
        assert!(o.tls_key.is_some_and(|k| k.starts_with("/run/credentials")));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        for (file, key) in [
            ("listen = \"127.0.0.1:0\"\nmax-bdy = 5\n", "max-bdy"),
            ("max-body = \"big\"", "max-body"),
            ("trust = \"one.pem\"", "trust"),
            ("header-timeout = \"10x\"", "header-timeout"),
            ("alias = [\"nonsense\"]", "alias"),
            ("log-format = \"xml\"", "log-format"),
        ] {
            let e = FileOptions::parse(file).expect_err(file).to_string();
            assert!(e.contains(key), "{file}: {e}");
        }
    }
}
