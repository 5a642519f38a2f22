//! Prometheus metrics (`GET /metrics`, OpenMetrics text via
//! `prometheus-client`).
//!
//! Request counters and latency are updated as requests finish. Per-issuer
//! gauges (CRL number, entries, age, seconds to nextUpdate) are computed from
//! the store at scrape time, so they are exact for the snapshot being served
//! and cost nothing on the request path.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use kakunin_engine::store::Store;
use kakunin_engine::{CrlNumber, Timestamp};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::issuers::Issuers;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuerLabels {
    issuer: String,
    alias: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OcspLabels {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TlsLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    op: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateOpLabels {
    op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    kind: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

fn latency_histogram() -> Histogram {
    // 20 µs to ~5 s: a look-up answers in microseconds, a batch of a
    // thousand serials in about a millisecond.
    Histogram::new(exponential_buckets(0.000_02, 2.0, 18))
}

/// All metrics of one server.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    open_connections: Gauge,
    reload_successes: Family<ReloadLabels, Counter>,
    reload_failures: Family<ReloadLabels, Counter>,
    crl_loaded: Family<IssuerLabels, Gauge>,
    crl_number: Family<IssuerLabels, FloatGauge>,
    crl_entries: Family<IssuerLabels, Gauge>,
    crl_age: Family<IssuerLabels, Gauge>,
    crl_next_update_in: Family<IssuerLabels, Gauge>,
    ocsp_cache_hits: Counter,
    ocsp_cache_misses: Counter,
    ocsp_signatures: Counter,
    ocsp_responses: Family<OcspLabels, Counter>,
    logins: Family<LoginLabels, Counter>,
    state_operations: Family<StateLabels, Counter>,
    state_latency: Family<StateOpLabels, Histogram, fn() -> Histogram>,
    tls_handshake_failures: Family<TlsLabels, Counter>,
    /// Scrapes refresh the per-issuer gauges: one at a time.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric registered and at zero.
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kakunin");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status code",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request head to response, by route",
            latency.clone(),
        );
        let open_connections = Gauge::default();
        registry.register(
            "open_connections",
            "Client connections currently open",
            open_connections.clone(),
        );
        let reload_successes = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "reload_successes",
            "CRL (kind=crl) or index (kind=idx) files verified and swapped in",
            reload_successes.clone(),
        );
        let reload_failures = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "reload_failures",
            "CRL or index files refused (the previous snapshot kept serving); the reason is logged",
            reload_failures.clone(),
        );
        let crl_loaded = Family::<IssuerLabels, Gauge>::default();
        registry.register(
            "crl_loaded",
            "1 when the issuer has a CRL loaded, else 0",
            crl_loaded.clone(),
        );
        let crl_number = Family::<IssuerLabels, FloatGauge>::default();
        registry.register(
            "crl_number",
            "cRLNumber of the CRL served",
            crl_number.clone(),
        );
        let crl_entries = Family::<IssuerLabels, Gauge>::default();
        registry.register(
            "crl_entries",
            "Revoked serials in the CRL served",
            crl_entries.clone(),
        );
        let crl_age = Family::<IssuerLabels, Gauge>::default();
        registry.register(
            "crl_age_seconds",
            "Seconds since the served CRL's thisUpdate",
            crl_age.clone(),
        );
        let crl_next_update_in = Family::<IssuerLabels, Gauge>::default();
        registry.register(
            "crl_next_update_seconds",
            "Seconds until the served CRL's nextUpdate (negative: stale, answers are unknown)",
            crl_next_update_in.clone(),
        );
        let ocsp_cache_hits = Counter::default();
        registry.register(
            "ocsp_cache_hits",
            "OCSP requests answered from the signed-response cache (no signature)",
            ocsp_cache_hits.clone(),
        );
        let ocsp_cache_misses = Counter::default();
        registry.register(
            "ocsp_cache_misses",
            "Cacheable OCSP requests (no nonce, one CertID) not in the cache",
            ocsp_cache_misses.clone(),
        );
        let ocsp_signatures = Counter::default();
        registry.register(
            "ocsp_signatures",
            "OCSP responses signed",
            ocsp_signatures.clone(),
        );
        let ocsp_responses = Family::<OcspLabels, Counter>::default();
        registry.register(
            "ocsp_responses",
            "OCSP responses by responseStatus (successful, malformedRequest, unauthorized, tryLater, internalError)",
            ocsp_responses.clone(),
        );
        let logins = Family::<LoginLabels, Counter>::default();
        registry.register(
            "logins",
            "Card logins (/v1/authenticate) by outcome: accepted, or what refused them (challenge, replayed, origin, certificate, signature, revoked, unknown, invalid)",
            logins.clone(),
        );
        let state_operations = Family::<StateLabels, Counter>::default();
        registry.register(
            "state_operations",
            "Operations on the short-lived state store (op: put, get, take, mark_once) by outcome: ok, full (--max-state-entries), unavailable (a shared store that did not answer in time or refused)",
            state_operations.clone(),
        );
        let state_latency =
            Family::<StateOpLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram as fn() -> Histogram,
            );
        registry.register(
            "state_operation_duration_seconds",
            "Time an operation on the state store took, failures included (a shared store's round trip)",
            state_latency.clone(),
        );
        let tls_handshake_failures = Family::<TlsLabels, Counter>::default();
        registry.register(
            "tls_handshake_failures",
            "TLS handshakes that failed (reason=error: e.g. plain HTTP, no common protocol) or did not finish within --header-timeout (reason=timeout)",
            tls_handshake_failures.clone(),
        );
        Metrics {
            registry,
            logins,
            state_operations,
            state_latency,
            tls_handshake_failures,
            ocsp_cache_hits,
            ocsp_cache_misses,
            ocsp_signatures,
            ocsp_responses,
            requests,
            latency,
            open_connections,
            reload_successes,
            reload_failures,
            crl_loaded,
            crl_number,
            crl_entries,
            crl_age,
            crl_next_update_in,
            scrape: Mutex::new(()),
        }
    }

    /// Counts one answered request.
    pub(crate) fn observe_request(&self, route: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// A connection opened (+1) or closed (-1).
    pub(crate) fn connection(&self, delta: i64) {
        self.open_connections.inc_by(delta);
    }

    /// Counts a TLS handshake that failed (`"error"`) or took too long
    /// (`"timeout"`).
    pub(crate) fn tls_handshake_failure(&self, reason: &'static str) {
        self.tls_handshake_failures
            .get_or_create(&TlsLabels { reason })
            .inc();
    }

    /// Counts a file swapped in (or recognised as already served).
    pub(crate) fn reload_success(&self, kind: &'static str) {
        self.reload_successes
            .get_or_create(&ReloadLabels { kind })
            .inc();
    }

    /// Counts a refused file.
    pub(crate) fn reload_failure(&self, kind: &'static str) {
        self.reload_failures
            .get_or_create(&ReloadLabels { kind })
            .inc();
    }

    /// Counts an OCSP cache look-up.
    pub(crate) fn ocsp_cache(&self, hit: bool) {
        if hit {
            self.ocsp_cache_hits.inc();
        } else {
            self.ocsp_cache_misses.inc();
        }
    }

    /// Counts an OCSP signature.
    pub(crate) fn ocsp_signature(&self) {
        self.ocsp_signatures.inc();
    }

    /// Counts an OCSP response by its responseStatus.
    pub(crate) fn ocsp_response(&self, status: &'static str) {
        self.ocsp_responses
            .get_or_create(&OcspLabels { status })
            .inc();
    }

    /// Counts a login by its outcome.
    pub(crate) fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&LoginLabels { outcome }).inc();
    }

    /// One state store operation: its outcome and how long it took.
    pub(crate) fn state_operation(&self, op: &'static str, outcome: &'static str, took: Duration) {
        self.state_operations
            .get_or_create(&StateLabels { op, outcome })
            .inc();
        self.state_latency
            .get_or_create(&StateOpLabels { op })
            .observe(took.as_secs_f64());
    }

    /// The OpenMetrics text, with per-issuer gauges as of `now`.
    pub(crate) fn render(&self, store: &Store, issuers: &Issuers, now: Timestamp) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        for issuer in issuers.iter() {
            let labels = IssuerLabels {
                issuer: issuer.key_id_hex(),
                alias: issuer.aliases.first().cloned().unwrap_or_default(),
            };
            match store.snapshot(&issuer.key_id) {
                None => {
                    self.crl_loaded.get_or_create(&labels).set(0);
                }
                Some(snap) => {
                    let m = snap.meta();
                    self.crl_loaded.get_or_create(&labels).set(1);
                    if let Some(n) = m.crl.crl_number {
                        self.crl_number
                            .get_or_create(&labels)
                            .set(crl_number_f64(&n));
                    }
                    self.crl_entries
                        .get_or_create(&labels)
                        .set(i64::try_from(m.entries).unwrap_or(i64::MAX));
                    self.crl_age
                        .get_or_create(&labels)
                        .set(now.unix() - m.crl.this_update.unix());
                    self.crl_next_update_in
                        .get_or_create(&labels)
                        .set(m.crl.next_update.unix() - now.unix());
                }
            }
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing into a String cannot fail; keep the output well formed anyway.
            out = "# EOF\n".into();
        }
        out
    }
}

/// A CRL number as a gauge value: exact up to 2^53, which covers any CRL
/// number a CA issuing daily will reach; larger ones are approximate.
fn crl_number_f64(n: &CrlNumber) -> f64 {
    n.magnitude()
        .iter()
        .fold(0.0f64, |acc, &b| acc * 256.0 + f64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_numbers_become_gauge_values() {
        assert_eq!(crl_number_f64(&CrlNumber::from_u64(0)), 0.0);
        assert_eq!(crl_number_f64(&CrlNumber::from_u64(20_423)), 20_423.0);
    }

    #[test]
    fn requests_and_reloads_show_in_the_text() {
        let m = Metrics::new();
        m.observe_request("status", 200, 0.0001);
        m.observe_request("status", 404, 0.0001);
        m.reload_failure("crl");
        let (issuers, _) = Issuers::load(
            &[std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/sign-ca.pem")],
            &[],
            true,
        )
        .unwrap();
        let text = m.render(&Store::new(), &issuers, Timestamp::now());
        assert!(
            text.contains("kakunin_http_requests_total{route=\"status\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kakunin_reload_failures_total{kind=\"crl\"} 1"),
            "{text}"
        );
        assert!(text.contains("kakunin_crl_loaded{issuer=\""), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
