//! Prometheus text exposition (format 0.0.4) of a snapshot, byte for byte what the TS twin prints.

use super::totals::Snapshot;
use crate::classify::Category;
use std::fmt::Write as _;

/// Formats a number as JavaScript's `String(number)` does for the values metrics produce
/// (integers, and fractions of moderate size), so both twins print the same exposition.
pub fn js_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e21 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Snapshot {
    /// Prometheus text exposition (format 0.0.4). `prefix` must be a valid metric name prefix.
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let mut out = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {prefix}_{name} {help}");
            let _ = writeln!(out, "# TYPE {prefix}_{name} {kind}");
            for (suffix, v) in samples {
                let _ = writeln!(out, "{prefix}_{name}{suffix} {}", js_number(*v));
            }
        };
        let one = |v: u64| vec![(String::new(), v as f64)];
        metric("attempts_total", "counter", "Attempts made, successful or not.", &one(self.attempts));
        metric("successes_total", "counter", "Operations that succeeded.", &one(self.successes));
        metric("failures_total", "counter", "Operations that gave up.", &one(self.failures));
        metric("timeouts_total", "counter", "Operations that gave up at their deadline.", &one(self.timeouts));
        metric("retries_total", "counter", "Failed attempts that were retried.", &one(self.retries));
        let cats: Vec<(String, f64)> = Category::ALL.iter().map(|c| (format!("{{category=\"{}\"}}", c.name()), self.categories[*c as usize] as f64)).collect();
        metric("errors_total", "counter", "Errors by category, retried or final.", &cats);
        let l = &self.latency;
        let q = vec![
            ("{quantile=\"0.5\"}".to_string(), l.p50 / 1000.0),
            ("{quantile=\"0.9\"}".to_string(), l.p90 / 1000.0),
            ("{quantile=\"0.99\"}".to_string(), l.p99 / 1000.0),
            ("_sum".to_string(), l.mean * l.count as f64 / 1000.0),
            ("_count".to_string(), l.count as f64),
        ];
        metric("latency_seconds", "summary", "Whole-operation latency, retries and waits included.", &q);
        metric("success_rate_percent", "gauge", "Successes per attempt, percent.", &[(String::new(), self.success_rate)]);
        metric("timeout_rate_percent", "gauge", "Timeouts per attempt, percent.", &[(String::new(), self.timeout_rate)]);
        out
    }
}
