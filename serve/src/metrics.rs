//! Prometheus metrics: requests and their latency per endpoint, decisions by verdict,
//! reloads and failed reloads.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

fn latency() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    decisions: Family<Labels, Counter>,
    pub reloads: Counter,
    pub reload_failures: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("huiqi");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        let decisions = Family::<Labels, Counter>::default();
        let reloads = Counter::default();
        let reload_failures = Counter::default();
        registry.register("requests", "HTTP requests by endpoint and status", requests.clone());
        registry.register("request_duration_seconds", "Time to answer, by endpoint", latency.clone());
        registry.register("decisions", "Policy verdicts given, by verdict", decisions.clone());
        registry.register("reloads", "Rulesets loaded after the first", reloads.clone());
        registry.register("reload_failures", "Reloads that failed (the previous ruleset kept serving)", reload_failures.clone());
        Metrics { registry, requests, latency, decisions, reloads, reload_failures }
    }

    /// Counts one request.
    pub fn request(&self, endpoint: &str, status: u16, seconds: f64) {
        self.requests.get_or_create(&vec![("endpoint".into(), endpoint.into()), ("status".into(), status.to_string())]).inc();
        self.latency.get_or_create(&vec![("endpoint".into(), endpoint.into())]).observe(seconds);
    }

    /// Counts the verdicts of one match.
    pub fn decisions(&self, eligible: u64, undetermined: u64, ineligible: u64) {
        for (verdict, n) in [("eligible", eligible), ("undetermined", undetermined), ("ineligible", ineligible)] {
            if n > 0 {
                self.decisions.get_or_create(&vec![("verdict".into(), verdict.into())]).inc_by(n);
            }
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.push_str("# the metrics could not be encoded\n");
        }
        out
    }
}
