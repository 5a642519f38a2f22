//! What the card commands that talk to a `kakunin serve` share: the
//! server's URL and origin, the HTTP agent, and reading its JSON answers.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::Value;
use ureq::http::{StatusCode, Uri};

/// `--server` of `kakunin card login` and `kakunin card check`.
#[derive(clap::Args, Debug)]
pub(super) struct ServerArgs {
    /// The kakunin server, e.g. http://127.0.0.1:8080 or https://kakunin.example.jp.
    #[arg(long, env = "KAKUNIN_SERVER", value_name = "URL")]
    pub(super) server: String,
    #[command(flatten)]
    pub(super) tls: TlsArgs,
}

/// How to reach a server over https.
#[derive(clap::Args, Debug)]
pub(super) struct TlsArgs {
    /// CA certificate (PEM) to trust for an https server, instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
}

impl TlsArgs {
    /// An agent that answers every HTTP status as a response (so that the
    /// server's JSON detail can be shown) and follows no redirect: a card
    /// signs for the origin it was given, so it talks only to that origin.
    pub(super) fn agent(&self) -> anyhow::Result<ureq::Agent> {
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .max_redirects(0);
        if let Some(path) = &self.cacert {
            let pem =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let certs = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{} is not PEM", path.display()))?;
            if certs.is_empty() {
                bail!("no certificate in {}", path.display());
            }
            let tls = ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build();
            config = config.tls_config(tls);
        }
        Ok(config.build().into())
    }
}

/// A server's base URL (`scheme://host[:port][/prefix]`, no trailing
/// slash) and its origin (`scheme://host[:port]`, lower case): what the
/// card signs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ServerUrl {
    base: String,
    origin: String,
}

impl ServerUrl {
    /// `text` as a server URL: http or https, a host, an optional port and
    /// path prefix; no user name, query or fragment. `what` names it in
    /// errors (`--server`).
    pub(super) fn parse(what: &str, text: &str) -> anyhow::Result<ServerUrl> {
        let (origin, path) = split_url(what, text)?;
        Ok(ServerUrl::from_parts(origin, path.trim_end_matches('/')))
    }

    /// A server from its origin and a path prefix (empty, or starting with
    /// a slash and not ending with one).
    pub(super) fn from_parts(origin: String, prefix: &str) -> ServerUrl {
        ServerUrl {
            base: format!("{origin}{prefix}"),
            origin,
        }
    }

    /// The base URL, without a trailing slash.
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// The origin, as the card signs it.
    pub(super) fn origin(&self) -> &str {
        &self.origin
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

/// Splits an absolute http(s) URL into its origin (scheme and host lower
/// case, a default port dropped) and its path. The origin is serialised
/// as browsers and the server serialise one (RFC 6454 §6.1).
pub(super) fn split_url(what: &str, text: &str) -> anyhow::Result<(String, String)> {
    let expected = "expected http(s)://host[:port][/path]";
    // `Uri` drops a fragment without a word, and takes a user name as part
    // of the authority: both are refused here first. A user name is how a
    // URL hides its real host (https://id.example.jp@evil.example/).
    if text.contains('#') {
        bail!("{what} {text:?} has a fragment (#…): {expected}");
    }
    let uri: Uri = text
        .parse()
        .map_err(|e| anyhow::anyhow!("{what} {text:?} is not a URL ({e}): {expected}"))?;
    let scheme = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => "http",
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        _ => bail!("{what} {text:?} is not an http:// or https:// URL"),
    };
    let Some(authority) = uri.authority() else {
        bail!("{what} {text:?} has no host: {expected}");
    };
    if authority.as_str().contains('@') {
        bail!("{what} {text:?} has a user name before its host (user@host): refused, as such URLs are used to disguise the real host");
    }
    if authority.host().is_empty() {
        bail!("{what} {text:?} has no host: {expected}");
    }
    // `Uri` takes any characters after the colon as a port.
    let port = authority.as_str()[authority.host().len()..].strip_prefix(':');
    if port.is_some_and(|p| {
        p.is_empty()
            || !p.bytes().all(|b| b.is_ascii_digit())
            || !p.parse::<u16>().is_ok_and(|n| n > 0)
    }) {
        bail!("{what} {text:?} has a bad port (1 to 65535): {expected}");
    }
    if uri.query().is_some() {
        bail!("{what} {text:?} has a query (?…): {expected}");
    }
    let default = if scheme == "https" { "443" } else { "80" };
    let host = authority.as_str().to_ascii_lowercase();
    let host = host.strip_suffix(&format!(":{default}")).unwrap_or(&host);
    let origin = format!("{scheme}://{host}");
    // `Uri` says "/" for no path at all.
    let path = if uri.path() == "/" && !text.ends_with('/') {
        String::new()
    } else {
        uri.path().to_string()
    };
    Ok((origin, path))
}

/// A server's answer: its status and its body as JSON. A redirect, or an
/// error status whose body is not JSON, is an error naming it.
pub(super) fn answer(
    what: &str,
    mut resp: ureq::http::Response<ureq::Body>,
) -> anyhow::Result<(StatusCode, Value)> {
    let status = resp.status();
    if status.is_redirection() {
        let to = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("nowhere");
        bail!("{what}: HTTP {status}, redirecting to {to:?}; redirects are not followed (a card signs for the server it was given): give that server instead");
    }
    let text = resp
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer to {what}"))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("the answer to {what} is not JSON (HTTP {status})"))?;
    Ok((status, v))
}

/// The JSON body of a successful answer, or an error naming the status and
/// the server's detail.
pub(super) fn json_body(
    what: &str,
    resp: ureq::http::Response<ureq::Body>,
) -> anyhow::Result<Value> {
    let (status, v) = answer(what, resp)?;
    if !status.is_success() {
        bail!("{what}: HTTP {status}: {}", detail(&v));
    }
    Ok(v)
}

/// The server's `detail` of an error body, or the body itself.
pub(super) fn detail(v: &Value) -> String {
    v["detail"]
        .as_str()
        .map_or_else(|| v.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(text: &str) -> (String, String) {
        let s = ServerUrl::parse("--server", text).unwrap();
        (s.base().to_string(), s.origin().to_string())
    }

    #[test]
    fn server_urls_and_their_origins() {
        let own = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            server("http://127.0.0.1:8080"),
            own("http://127.0.0.1:8080", "http://127.0.0.1:8080")
        );
        assert_eq!(
            server("https://Login.Example.jp/app/"),
            own("https://login.example.jp/app", "https://login.example.jp")
        );
        assert_eq!(
            server("HTTPS://id.example.jp/"),
            own("https://id.example.jp", "https://id.example.jp")
        );
        assert_eq!(
            server("http://[::1]:8080/op"),
            own("http://[::1]:8080/op", "http://[::1]:8080")
        );
        // A default port written out is dropped, as the server drops it
        // from its issuer's origin (RFC 6454 §6.1).
        assert_eq!(
            server("https://id.example.jp:443").1,
            "https://id.example.jp"
        );
        assert_eq!(server("http://id.example.jp:80/").1, "http://id.example.jp");
        assert_eq!(
            server("http://id.example.jp:443").1,
            "http://id.example.jp:443"
        );
    }

    #[test]
    fn odd_server_urls_are_refused_with_a_reason() {
        for (bad, why) in [
            ("id.example.jp", "http"),
            ("ftp://id.example.jp", "http"),
            ("https://", "URL"),
            ("https://id.example.jp@evil.example/", "user name"),
            ("https://id.example.jp/?x=1", "query"),
            ("https://id.example.jp/#x", "fragment"),
            ("https://id.example.jp:99999/", "port"),
            ("https://id.example.jp:/", "port"),
            ("https://id.example.jp:x/", "port"),
            ("https://id.example.jp:0/", "port"),
            ("http://[::1]:/", "port"),
            ("https://id example.jp/", "URL"),
        ] {
            let e = ServerUrl::parse("--server", bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
