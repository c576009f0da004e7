//! Agent counters and their Prometheus text exposition (`/metrics` or a file).

use crate::fields::Source;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where an event or alert was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropStage {
    /// The kernel ring buffer was full (eBPF).
    Kernel,
    /// The eBPF reader's channel to the agent was full.
    Channel,
    /// The agent's event queue was full.
    EventQueue,
    /// The alert queue to the outputs was full.
    OutputQueue,
    /// An output's own queue was full or it gave up (webhook).
    Output,
    /// The response queue was full.
    ResponseQueue,
}

impl DropStage {
    fn name(self) -> &'static str {
        match self {
            DropStage::Kernel => "kernel",
            DropStage::Channel => "channel",
            DropStage::EventQueue => "event_queue",
            DropStage::OutputQueue => "output_queue",
            DropStage::Output => "output",
            DropStage::ResponseQueue => "response_queue",
        }
    }
}

fn slot(s: Source) -> usize {
    match s {
        Source::Syscall => 0,
        Source::K8sAudit => 1,
        Source::CloudTrail => 2,
    }
}

/// The agent's counters; shared by every thread.
#[derive(Debug, Default)]
pub struct Metrics {
    events: [AtomicU64; 3],
    malformed: [AtomicU64; 3],
    drops: Mutex<BTreeMap<&'static str, u64>>,
    /// (rule, priority) → alerts.
    alerts: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// (action, result) → responses.
    responses: Mutex<BTreeMap<(String, String), u64>>,
    /// output → errors.
    output_errors: Mutex<BTreeMap<String, u64>>,
}

fn bump<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K, n: u64) {
    if let Ok(mut g) = m.lock() {
        *g.entry(k).or_default() += n;
    }
}

impl Metrics {
    /// Counts `n` events decoded from `source`.
    pub fn event(&self, source: Source, n: u64) {
        self.events[slot(source)].fetch_add(n, Ordering::Relaxed);
    }

    /// Counts `n` malformed inputs of `source`.
    pub fn malformed(&self, source: Source, n: u64) {
        self.malformed[slot(source)].fetch_add(n, Ordering::Relaxed);
    }

    /// Counts `n` drops at `stage`.
    pub fn dropped(&self, stage: DropStage, n: u64) {
        bump(&self.drops, stage.name(), n);
    }

    /// Sets a drop counter read from elsewhere (the eBPF source's own counters).
    pub fn set_drops(&self, stage: DropStage, total: u64) {
        if let Ok(mut g) = self.drops.lock() {
            g.insert(stage.name(), total);
        }
    }

    /// Counts one alert.
    pub fn alert(&self, rule: &str, priority: crate::Priority) {
        bump(&self.alerts, (rule.to_string(), priority.name()), 1);
    }

    /// Counts one response.
    pub fn response(&self, action: &str, result: &str) {
        bump(&self.responses, (action.to_string(), result.to_string()), 1);
    }

    /// Counts one output error.
    pub fn output_error(&self, output: &str) {
        bump(&self.output_errors, output.to_string(), 1);
    }

    /// Events decoded from `source` so far.
    pub fn events(&self, source: Source) -> u64 {
        self.events[slot(source)].load(Ordering::Relaxed)
    }

    /// Malformed inputs of `source` so far.
    pub fn malformed_count(&self, source: Source) -> u64 {
        self.malformed[slot(source)].load(Ordering::Relaxed)
    }

    /// All drops so far.
    pub fn total_drops(&self) -> u64 {
        self.drops.lock().map(|g| g.values().sum()).unwrap_or(0)
    }

    /// Alerts so far (all rules).
    pub fn total_alerts(&self) -> u64 {
        self.alerts.lock().map(|g| g.values().sum()).unwrap_or(0)
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        header(
            &mut out,
            "rampart_events_total",
            "Events decoded, by source.",
        );
        for s in Source::ALL {
            let _ = writeln!(
                out,
                "rampart_events_total{{source=\"{}\"}} {}",
                s.name(),
                self.events(s)
            );
        }
        header(
            &mut out,
            "rampart_malformed_total",
            "Inputs that were not valid events, by source.",
        );
        for s in Source::ALL {
            let _ = writeln!(
                out,
                "rampart_malformed_total{{source=\"{}\"}} {}",
                s.name(),
                self.malformed_count(s)
            );
        }
        header(
            &mut out,
            "rampart_drops_total",
            "Events or alerts dropped, by stage.",
        );
        if let Ok(g) = self.drops.lock() {
            for (k, v) in g.iter() {
                let _ = writeln!(out, "rampart_drops_total{{stage=\"{k}\"}} {v}");
            }
        }
        header(
            &mut out,
            "rampart_alerts_total",
            "Alerts, by rule and priority.",
        );
        if let Ok(g) = self.alerts.lock() {
            for ((rule, prio), v) in g.iter() {
                let _ = writeln!(
                    out,
                    "rampart_alerts_total{{rule=\"{}\",priority=\"{prio}\"}} {v}",
                    escape(rule)
                );
            }
        }
        header(
            &mut out,
            "rampart_responses_total",
            "Responses, by action and result.",
        );
        if let Ok(g) = self.responses.lock() {
            for ((action, result), v) in g.iter() {
                let _ = writeln!(
                    out,
                    "rampart_responses_total{{action=\"{}\",result=\"{}\"}} {v}",
                    escape(action),
                    escape(result)
                );
            }
        }
        header(
            &mut out,
            "rampart_output_errors_total",
            "Output write failures, by output.",
        );
        if let Ok(g) = self.output_errors.lock() {
            for (k, v) in g.iter() {
                let _ = writeln!(
                    out,
                    "rampart_output_errors_total{{output=\"{}\"}} {v}",
                    escape(k)
                );
            }
        }
        out
    }
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
}

/// Escapes a label value (`\`, `"`, newline).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.event(Source::K8sAudit, 3);
        m.alert("Read \"x\"", crate::Priority::Warning);
        m.dropped(DropStage::Kernel, 2);
        m.response("kill", "ok");
        let t = m.render();
        assert!(t.contains("rampart_events_total{source=\"k8s_audit\"} 3\n"));
        assert!(
            t.contains("rampart_alerts_total{rule=\"Read \\\"x\\\"\",priority=\"Warning\"} 1\n")
        );
        assert!(t.contains("rampart_drops_total{stage=\"kernel\"} 2\n"));
        assert!(t.contains("rampart_responses_total{action=\"kill\",result=\"ok\"} 1\n"));
        assert_eq!(m.total_drops(), 2);
    }
}
