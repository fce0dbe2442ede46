//! Prometheus text for `/metrics`: request counts by status class and a latency
//! histogram, and the same per route, kept under one lock (per process; Prometheus sums
//! across processes). A route is the pattern axum matched (`/events/{id}`), never
//! the address asked for, so the number of series is bounded by the routes we have;
//! an address no route matched counts under `route="unmatched"`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default)]
pub struct Metrics {
    counts: Mutex<Counts>,
}

/// Everything counted, behind one lock taken once per request.
#[derive(Debug, Default)]
struct Counts {
    all: Stats,
    /// Per method, per route pattern (the order of the series in the text).
    routes: BTreeMap<&'static str, BTreeMap<String, Stats>>,
}

/// The label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// One series' counts: by status class, by latency bucket, in all, and their time.
#[derive(Debug, Default)]
struct Stats {
    by_class: [u64; 5],
    buckets: [u64; 8],
    count: u64,
    sum_micros: u64,
}

impl Stats {
    fn add(&mut self, status: u16, elapsed: Duration) {
        self.by_class[class_of(status)] += 1;
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(self.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum_micros = self
            .sum_micros
            .saturating_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
    }
}

/// A gauge with labelled samples, read at scrape time: `(labels, value)` where the
/// labels are already `name="value"` pairs (empty for a single sample).
#[derive(Debug, Clone)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub samples: Vec<(String, f64)>,
}

impl Gauge {
    pub fn single(name: &'static str, help: &'static str, value: f64) -> Gauge {
        Gauge {
            name,
            help,
            samples: vec![(String::new(), value)],
        }
    }
}

/// A method as a label: the standard ones by name, anything else as `other`, so
/// that a client inventing methods cannot add series.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A label value in the text format: backslash, double quote and line feed escaped.
fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn class_of(status: u16) -> usize {
    usize::from((status / 100).clamp(1, 5)) - 1
}

impl Metrics {
    /// Counts one answered request, overall and for its route (`None`: no route
    /// matched).
    pub fn record_request(
        &self,
        method: &axum::http::Method,
        route: Option<&str>,
        status: u16,
        elapsed: Duration,
    ) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        counts.all.add(status, elapsed);
        let route = route.unwrap_or(UNMATCHED);
        let routes = counts.routes.entry(method_label(method)).or_default();
        match routes.get_mut(route) {
            Some(stats) => stats.add(status, elapsed),
            // A route's label is allocated once, on its first request.
            None => routes
                .entry(route.to_owned())
                .or_default()
                .add(status, elapsed),
        }
    }

    /// Counts one answered request overall only (no route).
    pub fn record(&self, status: u16, elapsed: Duration) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.all.add(status, elapsed);
        }
    }

    /// The text exposition format, with the gauges the caller adds.
    pub fn render(&self, gauges: &[(&'static str, &'static str, f64)]) -> String {
        let gauges: Vec<Gauge> = gauges
            .iter()
            .map(|&(name, help, value)| Gauge::single(name, help, value))
            .collect();
        self.render_gauges(&gauges)
    }

    /// The text exposition format, with labelled gauges the caller adds.
    pub fn render_gauges(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        if let Ok(counts) = self.counts.lock() {
            render_all(&counts.all, &mut out);
            render_routes(&counts.routes, &mut out);
        }
        for gauge in gauges {
            let name = gauge.name;
            out.push_str(&format!(
                "# HELP {name} {}\n# TYPE {name} gauge\n",
                gauge.help
            ));
            for (labels, value) in &gauge.samples {
                if labels.is_empty() {
                    out.push_str(&format!("{name} {value}\n"));
                } else {
                    out.push_str(&format!("{name}{{{labels}}} {value}\n"));
                }
            }
        }
        out
    }
}

/// The overall series: requests by class and the latency histogram.
fn render_all(all: &Stats, out: &mut String) {
    out.push_str("# HELP renkei_http_requests_total HTTP requests answered, by status class.\n");
    out.push_str("# TYPE renkei_http_requests_total counter\n");
    for (i, n) in all.by_class.iter().enumerate() {
        out.push_str(&format!(
            "renkei_http_requests_total{{class=\"{}xx\"}} {n}\n",
            i + 1
        ));
    }
    out.push_str("# HELP renkei_http_request_duration_seconds Time to answer a request.\n");
    out.push_str("# TYPE renkei_http_request_duration_seconds histogram\n");
    for (bound, n) in BUCKETS.iter().zip(&all.buckets) {
        out.push_str(&format!(
            "renkei_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {n}\n"
        ));
    }
    out.push_str(&format!(
        "renkei_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
        all.count
    ));
    out.push_str(&format!(
        "renkei_http_request_duration_seconds_sum {}\n",
        all.sum_micros as f64 / 1e6
    ));
    out.push_str(&format!(
        "renkei_http_request_duration_seconds_count {}\n",
        all.count
    ));
}

/// Every (method, route, stats) in the order of the text.
fn each_route<'a>(
    routes: &'a BTreeMap<&'static str, BTreeMap<String, Stats>>,
) -> impl Iterator<Item = (String, &'a Stats)> {
    routes.iter().flat_map(|(method, by_route)| {
        by_route.iter().map(move |(route, stats)| {
            (
                format!("method=\"{method}\",route=\"{}\"", label_value(route)),
                stats,
            )
        })
    })
}

/// The per-route series.
fn render_routes(routes: &BTreeMap<&'static str, BTreeMap<String, Stats>>, out: &mut String) {
    out.push_str("# HELP renkei_http_route_requests_total HTTP requests answered, by route and status class.\n");
    out.push_str("# TYPE renkei_http_route_requests_total counter\n");
    for (labels, stats) in each_route(routes) {
        for (i, n) in stats.by_class.iter().enumerate().filter(|(_, n)| **n > 0) {
            out.push_str(&format!(
                "renkei_http_route_requests_total{{{labels},class=\"{}xx\"}} {n}\n",
                i + 1
            ));
        }
    }
    out.push_str("# HELP renkei_http_route_duration_seconds Time to answer a request, by route.\n");
    out.push_str("# TYPE renkei_http_route_duration_seconds histogram\n");
    for (labels, stats) in each_route(routes) {
        for (bound, n) in BUCKETS.iter().zip(&stats.buckets) {
            out.push_str(&format!(
                "renkei_http_route_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}\n"
            ));
        }
        out.push_str(&format!(
            "renkei_http_route_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n",
            stats.count
        ));
        out.push_str(&format!(
            "renkei_http_route_duration_seconds_sum{{{labels}}} {}\n",
            stats.sum_micros as f64 / 1e6
        ));
        out.push_str(&format!(
            "renkei_http_route_duration_seconds_count{{{labels}}} {}\n",
            stats.count
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_class_and_bucket() {
        let metrics = Metrics::default();
        metrics.record(200, Duration::from_millis(3));
        metrics.record(404, Duration::from_millis(30));
        let text = metrics.render(&[("renkei_initiatives", "Initiatives.", 39.0)]);
        assert!(text.contains("renkei_http_requests_total{class=\"2xx\"} 1"));
        assert!(text.contains("renkei_http_requests_total{class=\"4xx\"} 1"));
        assert!(text.contains("renkei_http_request_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("renkei_http_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("renkei_initiatives 39"));
    }

    #[test]
    fn routes_are_counted_by_their_pattern_with_their_own_histogram() {
        let metrics = Metrics::default();
        let get = axum::http::Method::GET;
        metrics.record_request(&get, Some("/events/{id}"), 200, Duration::from_millis(3));
        metrics.record_request(&get, Some("/events/{id}"), 404, Duration::from_millis(70));
        metrics.record_request(
            &axum::http::Method::from_bytes(b"BREW").unwrap(),
            None,
            404,
            Duration::from_millis(1),
        );
        let text = metrics.render_gauges(&[Gauge {
            name: "renkei_mail_messages",
            help: "Mail by status.",
            samples: vec![("status=\"queued\"".into(), 2.0)],
        }]);
        let route = "method=\"GET\",route=\"/events/{id}\"";
        for line in [
            format!("renkei_http_route_duration_seconds_bucket{{{route},le=\"0.005\"}} 1"),
            format!("renkei_http_route_duration_seconds_bucket{{{route},le=\"0.1\"}} 2"),
            format!("renkei_http_route_duration_seconds_bucket{{{route},le=\"+Inf\"}} 2"),
            format!("renkei_http_route_duration_seconds_count{{{route}}} 2"),
            format!("renkei_http_route_requests_total{{{route},class=\"4xx\"}} 1"),
            "renkei_http_route_duration_seconds_count{method=\"other\",route=\"unmatched\"} 1"
                .to_owned(),
            "renkei_mail_messages{status=\"queued\"} 2".to_owned(),
            "renkei_http_requests_total{class=\"4xx\"} 2".to_owned(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
