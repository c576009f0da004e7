//! Responses: actions bound to rules by name, tag or priority in a YAML file, run on their own
//! thread so a slow `podman stop` never holds up detection. Every response, dry-run or not, is
//! itself reported as an alert (rule `Rampart response`, source `response`).
//!
//! ```yaml
//! responses:
//!   - name: kill-miners          # optional, for messages
//!     rules: ["Detect crypto miners using the Stratum protocol"]
//!     tags: [mitre_execution]    # any of these tags
//!     priority: critical         # at least this severe
//!     action: kill               # kill | stop | pause | log
//!     dry_run: false             # default true: log what would be done
//!     runtime: podman            # podman | crictl | auto (default) for stop/pause
//! ```
//! A binding matches an alert when every criterion it gives holds (`rules` and `tags` match when
//! any listed entry does); a binding with no criterion matches nothing.

use super::metrics::{DropStage, Metrics};
use super::outputs::Dispatcher;
use crate::alert::{Alert, clock_nanos, rfc3339_nanos};
use crate::rules::Priority;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Why the responses file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// SIGKILL to `proc.pid`.
    Kill,
    /// Stop the container (`podman stop` / `crictl stop`).
    Stop,
    /// Pause the container (`podman pause`; CRI has no pause).
    Pause,
    /// Only report.
    Log,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Kill => "kill",
            Action::Stop => "stop",
            Action::Pause => "pause",
            Action::Log => "log",
        }
    }
}

/// The container runtime CLI used for stop and pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeCli {
    /// podman when on `PATH`, else crictl.
    #[default]
    Auto,
    Podman,
    Crictl,
}

/// One binding of an action to rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub priority: Option<String>,
    pub action: Action,
    #[serde(default = "yes")]
    pub dry_run: bool,
    #[serde(default)]
    pub runtime: RuntimeCli,
    #[serde(skip)]
    min_priority: Option<Priority>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    responses: Vec<Binding>,
}

impl Binding {
    /// Whether this binding applies to `alert`.
    pub fn matches(&self, alert: &Alert) -> bool {
        let has_criteria =
            !self.rules.is_empty() || !self.tags.is_empty() || self.min_priority.is_some();
        has_criteria
            && (self.rules.is_empty() || self.rules.contains(&alert.rule))
            && (self.tags.is_empty() || self.tags.iter().any(|t| alert.tags.contains(t)))
            && self.min_priority.is_none_or(|p| alert.priority <= p)
    }

    fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.action.name().to_string())
    }
}

/// The loaded bindings.
#[derive(Debug, Clone, Default)]
pub struct Responses {
    pub bindings: Vec<Binding>,
}

impl Responses {
    /// Parses the YAML text of a responses file.
    pub fn parse(text: &str, path: &str) -> Result<Responses, ResponseError> {
        let invalid = |message: String| ResponseError::Invalid {
            path: path.to_string(),
            message,
        };
        let file: File = serde_saphyr::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut bindings = file.responses;
        for b in &mut bindings {
            if let Some(p) = &b.priority {
                b.min_priority = Some(
                    Priority::parse(p).ok_or_else(|| invalid(format!("unknown priority {p:?}")))?,
                );
            }
        }
        Ok(Responses { bindings })
    }

    /// Reads a responses file.
    pub fn load(path: &Path) -> Result<Responses, ResponseError> {
        let text = std::fs::read_to_string(path).map_err(|source| ResponseError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Responses::parse(&text, &path.display().to_string())
    }
}

/// What a response acts on, taken from the event (or the alert's output fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub pid: Option<i64>,
    pub container_id: Option<String>,
}

impl Target {
    /// `proc.pid` and `container.id` from an alert's output fields.
    pub fn from_alert(alert: &Alert) -> Target {
        let f = &alert.output_fields;
        Target {
            pid: f.get("proc.pid").and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            }),
            container_id: f
                .get("container.id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && *s != "host" && *s != "<NA>")
                .map(str::to_string),
        }
    }
}

struct Job {
    binding: usize,
    alert: Arc<Alert>,
    target: Target,
}

/// Queue capacity of the responder.
const QUEUE: usize = 1024;

/// The responder thread.
pub struct Responder {
    responses: Arc<Responses>,
    tx: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl Responder {
    /// Starts the responder; response alerts go to `outputs`.
    pub fn start(
        responses: Responses,
        outputs: Arc<Dispatcher>,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Responder> {
        let responses = Arc::new(responses);
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let thread = {
            let (r, m) = (responses.clone(), metrics.clone());
            std::thread::Builder::new()
                .name("rampart-respond".into())
                .spawn(move || respond_loop(rx, &r, &outputs, &m))?
        };
        Ok(Responder {
            responses,
            tx: Some(tx),
            thread: Some(thread),
            metrics,
        })
    }

    /// Queues the responses bound to `alert` (a full queue drops and counts).
    pub fn offer(&self, alert: &Arc<Alert>, target: &Target) {
        let Some(tx) = &self.tx else { return };
        for (i, b) in self.responses.bindings.iter().enumerate() {
            if !b.matches(alert) {
                continue;
            }
            let job = Job {
                binding: i,
                alert: alert.clone(),
                target: target.clone(),
            };
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tx.try_send(job) {
                self.metrics.dropped(DropStage::ResponseQueue, 1);
            }
        }
    }

    /// Runs what is queued and stops the thread.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.finish();
    }
}

fn respond_loop(rx: Receiver<Job>, responses: &Responses, outputs: &Dispatcher, metrics: &Metrics) {
    for job in rx {
        let Some(b) = responses.bindings.get(job.binding) else {
            continue;
        };
        let result = execute(b, &job.target);
        let (result_label, detail) = match &result {
            Ok(d) => (
                if b.dry_run || b.action == Action::Log {
                    "dry_run"
                } else {
                    "ok"
                },
                d.clone(),
            ),
            Err(e) => ("failed", e.clone()),
        };
        metrics.response(b.action.name(), result_label);
        let alert = response_alert(b, &job.alert, &job.target, result_label, &detail);
        metrics.alert(&alert.rule, alert.priority);
        outputs.send(Arc::new(alert));
    }
}

/// Runs one action (or says what it would do). `Ok` carries a description.
pub fn execute(b: &Binding, t: &Target) -> Result<String, String> {
    match b.action {
        Action::Log => Ok("logged".into()),
        Action::Kill => {
            let pid = t.pid.ok_or("no proc.pid for this event")?;
            if pid <= 1 || pid == i64::from(std::process::id()) {
                return Err(format!("refusing to kill pid {pid}"));
            }
            if b.dry_run {
                return Ok(format!("would kill pid {pid}"));
            }
            kill(pid)
        }
        Action::Stop | Action::Pause => {
            let id = t
                .container_id
                .as_deref()
                .ok_or("no container.id for this event (not in a container)")?;
            if !id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
            {
                return Err(format!("unusable container id {id:?}"));
            }
            let (cli, args) = container_command(b.runtime, b.action, id)?;
            if b.dry_run {
                return Ok(format!("would run {cli} {}", args.join(" ")));
            }
            let out = Command::new(cli)
                .args(&args)
                .output()
                .map_err(|e| format!("{cli}: {e}"))?;
            if out.status.success() {
                Ok(format!("{cli} {} done", args.join(" ")))
            } else {
                Err(format!(
                    "{cli} {} failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn kill(pid: i64) -> Result<String, String> {
    let p = libc::pid_t::try_from(pid).map_err(|_| format!("bad pid {pid}"))?;
    // SAFETY: kill has no memory-safety preconditions; the pid was checked above.
    let rc = unsafe { libc::kill(p, libc::SIGKILL) };
    if rc == 0 {
        Ok(format!("killed pid {pid}"))
    } else {
        Err(format!("kill {pid}: {}", std::io::Error::last_os_error()))
    }
}

#[cfg(not(target_os = "linux"))]
fn kill(pid: i64) -> Result<String, String> {
    Err(format!("kill {pid}: only supported on Linux"))
}

fn on_path(cli: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cli).is_file()))
}

fn container_command(
    rt: RuntimeCli,
    action: Action,
    id: &str,
) -> Result<(&'static str, Vec<String>), String> {
    let cli = match rt {
        RuntimeCli::Podman => "podman",
        RuntimeCli::Crictl => "crictl",
        RuntimeCli::Auto if on_path("podman") => "podman",
        RuntimeCli::Auto if on_path("crictl") => "crictl",
        RuntimeCli::Auto => return Err("neither podman nor crictl is on PATH".into()),
    };
    let args = match (cli, action) {
        ("podman", Action::Stop) => vec!["stop".into(), "--time".into(), "5".into(), id.into()],
        ("podman", _) => vec!["pause".into(), id.into()],
        ("crictl", Action::Stop) => vec!["stop".into(), id.into()],
        _ => return Err("CRI (crictl) has no pause; use stop".into()),
    };
    Ok((cli, args))
}

/// The alert reporting a response.
fn response_alert(b: &Binding, trigger: &Alert, t: &Target, result: &str, detail: &str) -> Alert {
    let ts = jiff::Timestamp::now().as_nanosecond();
    let ts = i64::try_from(ts).unwrap_or(0);
    let mut fields = Map::new();
    fields.insert("response.name".into(), b.label().into());
    fields.insert("response.action".into(), b.action.name().into());
    fields.insert("response.dry_run".into(), b.dry_run.into());
    fields.insert("response.result".into(), result.into());
    fields.insert("response.detail".into(), detail.into());
    fields.insert("response.rule".into(), trigger.rule.clone().into());
    fields.insert("proc.pid".into(), t.pid.map_or(Value::Null, Value::from));
    fields.insert(
        "container.id".into(),
        t.container_id.clone().map_or(Value::Null, Value::from),
    );
    fields.insert("evt.time".into(), ts.into());
    let message = format!(
        "Response {} ({}) to rule \"{}\": {result}: {detail}",
        b.action.name(),
        b.label(),
        trigger.rule
    );
    Alert {
        output: format!(
            "{}: {} {}",
            clock_nanos(ts),
            trigger.priority.name(),
            message
        ),
        priority: trigger.priority,
        rule: "Rampart response".into(),
        time: rfc3339_nanos(ts),
        output_fields: fields,
        source: "response".into(),
        tags: vec!["response".into()],
        hostname: trigger.hostname.clone(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(rule: &str, prio: Priority, tags: &[&str]) -> Alert {
        Alert {
            output: String::new(),
            priority: prio,
            rule: rule.into(),
            time: String::new(),
            output_fields: Map::new(),
            source: "syscall".into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            hostname: String::new(),
            message: String::new(),
        }
    }

    #[test]
    fn bindings_match_by_rule_tag_and_priority() {
        let r = Responses::parse(
            "responses:\n  - rules: [A]\n    action: kill\n  - tags: [t1]\n    priority: error\n    action: stop\n    dry_run: false\n  - action: log\n",
            "r.yaml",
        )
        .unwrap();
        let [by_rule, by_tag, none] = &r.bindings[..] else {
            panic!("three bindings")
        };
        assert!(by_rule.dry_run && !by_tag.dry_run);
        assert!(by_rule.matches(&alert("A", Priority::Debug, &[])));
        assert!(!by_rule.matches(&alert("B", Priority::Debug, &[])));
        assert!(by_tag.matches(&alert("B", Priority::Critical, &["t1"])));
        assert!(!by_tag.matches(&alert("B", Priority::Warning, &["t1"])));
        assert!(!none.matches(&alert("A", Priority::Emergency, &[])));
        assert!(Responses::parse("responses:\n  - action: explode\n", "r").is_err());
        assert!(
            Responses::parse("responses:\n  - action: log\n    priority: loud\n", "r").is_err()
        );
    }

    #[test]
    fn dry_run_and_refusals() {
        let r = Responses::parse("responses:\n  - rules: [A]\n    action: kill\n", "r").unwrap();
        let b = &r.bindings[0];
        let t = Target {
            pid: Some(4242),
            container_id: None,
        };
        assert_eq!(execute(b, &t).unwrap(), "would kill pid 4242");
        assert!(
            execute(
                b,
                &Target {
                    pid: Some(1),
                    container_id: None
                }
            )
            .is_err()
        );
        assert!(execute(b, &Target::default()).is_err());
    }
}
