//! openidconnect's HTTP, on the workspace's ureq 3.
//!
//! openidconnect 4 leaves HTTP to a [`SyncHttpClient`]; its own client
//! features are reqwest (async, or blocking with its own runtime thread),
//! curl (libcurl), or ureq 2, a second major version of a crate this
//! workspace already builds, with a TLS setup of its own. Both sides speak
//! the `http` crate's types, so the adapter is a few lines.

use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse, SyncHttpClient};

/// A blocking HTTP client for openidconnect.
pub(crate) struct Http(ureq::Agent);

impl Http {
    /// Every status comes back as a response (openidconnect reads the
    /// OAuth error bodies itself), and no redirect is followed, as the
    /// openidconnect documentation asks of a client (a redirect could send
    /// a token request, or the ID token's keys, elsewhere).
    pub(crate) fn new() -> Http {
        Http(
            ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(30)))
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
        )
    }
}

impl Http {
    /// The agent itself, for the signing API's JSON requests (`sign.rs`),
    /// which are not OAuth's.
    pub(crate) fn agent(&self) -> &ureq::Agent {
        &self.0
    }
}

impl SyncHttpClient for Http {
    type Error = ureq::Error;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, ureq::Error> {
        let (parts, mut body) = self.0.run(request)?.into_parts();
        let bytes = body.read_to_vec()?;
        Ok(HttpResponse::from_parts(parts, bytes))
    }
}
