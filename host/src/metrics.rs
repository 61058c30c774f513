//! Prometheus metrics (`GET /metrics`): requests and their latency per route, WebSocket
//! connections, messages posted, and per plugin its calls, failures and call durations.
//! The text is the OpenMetrics format `prometheus-client` writes.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/groups/{group_id}`), never the raw path, so ids do not
    /// multiply the series.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
}

/// The host's metrics; cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram>,
    websocket_connections: Gauge,
    messages_posted: Counter,
    plugin_calls: Family<PluginLabels, Counter>,
    plugin_failures: Family<PluginLabels, Counter>,
    plugin_call_seconds: Family<PluginLabels, Histogram>,
}

fn latency_buckets() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("courtyard");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        let websocket_connections = Gauge::default();
        let messages_posted = Counter::default();
        let plugin_calls = Family::<PluginLabels, Counter>::default();
        let plugin_failures = Family::<PluginLabels, Counter>::default();
        let plugin_call_seconds = Family::<PluginLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            request_seconds.clone(),
        );
        registry.register(
            "websocket_connections",
            "Open event-stream WebSocket connections",
            websocket_connections.clone(),
        );
        registry.register(
            "messages_posted",
            "Messages posted",
            messages_posted.clone(),
        );
        registry.register("plugin_calls", "Calls into plugins", plugin_calls.clone());
        registry.register(
            "plugin_failures",
            "Plugin calls that trapped, timed out or broke the contract",
            plugin_failures.clone(),
        );
        registry.register(
            "plugin_call_duration_seconds",
            "Time a plugin call took",
            plugin_call_seconds.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            websocket_connections,
            messages_posted,
            plugin_calls,
            plugin_failures,
            plugin_call_seconds,
        }
    }
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.request_seconds
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    pub fn websocket_opened(&self) {
        self.websocket_connections.inc();
    }

    pub fn websocket_closed(&self) {
        self.websocket_connections.dec();
    }

    pub fn message_posted(&self) {
        self.messages_posted.inc();
    }

    pub fn plugin_call(&self, plugin: &str, took: Duration, failed: bool) {
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.plugin_calls.get_or_create(&labels).inc();
        self.plugin_call_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if failed {
            self.plugin_failures.get_or_create(&labels).inc();
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_recorded() {
        let m = Metrics::default();
        m.request(
            "GET",
            "/api/v1/groups/{group_id}",
            200,
            Duration::from_millis(3),
        );
        m.websocket_opened();
        m.websocket_opened();
        m.websocket_closed();
        m.message_posted();
        m.plugin_call("dice", Duration::from_micros(800), false);
        m.plugin_call("dice", Duration::from_millis(2), true);
        let text = m.render();
        assert!(text.contains(
            "courtyard_http_requests_total{method=\"GET\",route=\"/api/v1/groups/{group_id}\",status=\"200\"} 1"
        ), "{text}");
        assert!(text.contains("courtyard_websocket_connections 1"), "{text}");
        assert!(text.contains("courtyard_messages_posted_total 1"), "{text}");
        assert!(
            text.contains("courtyard_plugin_calls_total{plugin=\"dice\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("courtyard_plugin_failures_total{plugin=\"dice\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("courtyard_plugin_call_duration_seconds_count{plugin=\"dice\"} 2"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
