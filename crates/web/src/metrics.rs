//! Prometheus text for `/metrics`: request counts by status class and a latency
//! histogram, kept in atomics (per process; Prometheus sums across processes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 8],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    pub fn record(&self, status: u16, elapsed: Duration) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The text exposition format, with the gauges the caller adds.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP renkei_http_requests_total HTTP requests answered, by status class.\n",
        );
        out.push_str("# TYPE renkei_http_requests_total counter\n");
        for (i, counter) in self.by_class.iter().enumerate() {
            out.push_str(&format!(
                "renkei_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                counter.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP renkei_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE renkei_http_request_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            out.push_str(&format!(
                "renkei_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}\n",
                bucket.load(Ordering::Relaxed)
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "renkei_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "renkei_http_request_duration_seconds_sum {}\n",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!(
            "renkei_http_request_duration_seconds_count {count}\n"
        ));
        for (name, help, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
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
}
