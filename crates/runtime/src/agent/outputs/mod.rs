//! Alert outputs: Falco JSON lines or text to standard output or a file, syslog (RFC 5424), and a
//! batched HTTP webhook. Each output is one file here plus one arm in [`OutputSpec::parse`].
//!
//! Outputs run on the dispatcher thread ([`Dispatcher`]), behind a bounded queue: a slow output
//! makes the agent drop (and count) alerts, never stall the event sources.

pub mod stream;
pub mod syslog;
pub mod webhook;

use super::metrics::{DropStage, Metrics};
use crate::alert::Alert;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Why an output failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "unknown output {0:?} (expected json, text, file:PATH, text-file:PATH, syslog, syslog:udp://HOST:PORT, webhook:http(s)://HOST:PORT/PATH)"
    )]
    Unknown(String),
    #[error(transparent)]
    Http(#[from] super::http::HttpError),
}

/// How an alert is written as a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Falco's alert JSON.
    Json,
    /// Falco's `output` string.
    Text,
}

impl Format {
    /// The alert as one line (no newline).
    pub fn line(self, a: &Alert) -> String {
        match self {
            Format::Json => a.to_json_line(),
            Format::Text => a.output.clone(),
        }
    }
}

/// An alert sink.
pub trait Output: Send {
    /// A short name for metrics and messages (`stdout`, `file:/x`, `webhook:…`).
    fn name(&self) -> &str;
    /// Writes one alert. Must not block for long: outputs that talk to the network queue.
    fn emit(&mut self, alert: &Alert) -> Result<(), OutputError>;
    /// Flushes buffered alerts (at idle moments and at exit).
    fn flush(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// An output as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    Stdout(Format),
    File(Format, PathBuf),
    /// Syslog to `/dev/log`.
    SyslogLocal,
    /// Syslog over UDP to `host:port`.
    SyslogUdp(String),
    /// HTTP(S) webhook: URL and options (CA file, headers, batching).
    Webhook(String, webhook::WebhookOptions),
}

impl OutputSpec {
    /// Parses `json`, `text`, `file:PATH`, `text-file:PATH`, `syslog`, `syslog:udp://HOST:PORT`,
    /// `webhook:http(s)://HOST:PORT/PATH`.
    pub fn parse(s: &str) -> Result<OutputSpec, OutputError> {
        Ok(match s {
            "json" | "stdout" => OutputSpec::Stdout(Format::Json),
            "text" => OutputSpec::Stdout(Format::Text),
            "syslog" => OutputSpec::SyslogLocal,
            _ => {
                if let Some(p) = s.strip_prefix("file:") {
                    OutputSpec::File(Format::Json, p.into())
                } else if let Some(p) = s.strip_prefix("text-file:") {
                    OutputSpec::File(Format::Text, p.into())
                } else if let Some(a) = s.strip_prefix("syslog:udp://") {
                    OutputSpec::SyslogUdp(a.to_string())
                } else if let Some(u) = s.strip_prefix("webhook:") {
                    OutputSpec::Webhook(u.to_string(), webhook::WebhookOptions::default())
                } else {
                    return Err(OutputError::Unknown(s.to_string()));
                }
            }
        })
    }

    /// The webhook's options, when this is a webhook (to set its CA file or headers).
    pub fn webhook_options(&mut self) -> Option<&mut webhook::WebhookOptions> {
        match self {
            OutputSpec::Webhook(_, o) => Some(o),
            _ => None,
        }
    }

    /// Opens the output. `metrics` receives the webhook's drop counts.
    pub fn open(
        &self,
        hostname: &str,
        metrics: Arc<Metrics>,
    ) -> Result<Box<dyn Output>, OutputError> {
        Ok(match self {
            OutputSpec::Stdout(f) => Box::new(stream::Stream::stdout(*f)),
            OutputSpec::File(f, p) => Box::new(stream::Stream::file(*f, p)?),
            OutputSpec::SyslogLocal => Box::new(syslog::Syslog::local(hostname)?),
            OutputSpec::SyslogUdp(a) => Box::new(syslog::Syslog::udp(a, hostname)?),
            OutputSpec::Webhook(u, o) => Box::new(webhook::Webhook::start(u, o.clone(), metrics)?),
        })
    }
}

/// Keeps alerts in memory (library use and tests).
#[derive(Debug, Clone, Default)]
pub struct Collect(pub Arc<Mutex<Vec<Alert>>>);

impl Collect {
    /// The alerts so far.
    pub fn alerts(&self) -> Vec<Alert> {
        self.0.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

impl Output for Collect {
    fn name(&self) -> &str {
        "collect"
    }
    fn emit(&mut self, alert: &Alert) -> Result<(), OutputError> {
        if let Ok(mut g) = self.0.lock() {
            g.push(alert.clone());
        }
        Ok(())
    }
}

/// Capacity of the queue in front of the outputs.
pub const QUEUE: usize = 16_384;

/// The outputs' thread and its bounded queue.
pub struct Dispatcher {
    tx: Option<SyncSender<Arc<Alert>>>,
    thread: Option<JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl Dispatcher {
    /// Starts the thread that writes every queued alert to every output.
    pub fn start(
        outputs: Vec<Box<dyn Output>>,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Dispatcher> {
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let m = metrics.clone();
        let thread = std::thread::Builder::new()
            .name("rampart-outputs".into())
            .spawn(move || dispatch(outputs, rx, &m))?;
        Ok(Dispatcher {
            tx: Some(tx),
            thread: Some(thread),
            metrics,
        })
    }

    /// Queues an alert; a full queue drops it (counted).
    pub fn send(&self, alert: Arc<Alert>) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(alert) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.metrics.dropped(DropStage::OutputQueue, 1);
            }
        }
    }

    /// Drains the queue, flushes every output and stops the thread.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.finish();
    }
}

fn dispatch(mut outputs: Vec<Box<dyn Output>>, rx: Receiver<Arc<Alert>>, metrics: &Metrics) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut dirty = false;
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(alert) => {
                for o in outputs.iter_mut() {
                    if let Err(e) = o.emit(&alert) {
                        metrics.output_error(o.name());
                        eprintln!("rampart: output {}: {e}", o.name());
                    }
                }
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    flush_all(&mut outputs, metrics);
                    dirty = false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    flush_all(&mut outputs, metrics);
}

fn flush_all(outputs: &mut [Box<dyn Output>], metrics: &Metrics) {
    for o in outputs.iter_mut() {
        if let Err(e) = o.flush() {
            metrics.output_error(o.name());
            eprintln!("rampart: output {}: {e}", o.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            OutputSpec::parse("json").unwrap(),
            OutputSpec::Stdout(Format::Json)
        );
        assert_eq!(
            OutputSpec::parse("file:/tmp/a").unwrap(),
            OutputSpec::File(Format::Json, "/tmp/a".into())
        );
        assert_eq!(
            OutputSpec::parse("syslog:udp://127.0.0.1:514").unwrap(),
            OutputSpec::SyslogUdp("127.0.0.1:514".into())
        );
        assert!(OutputSpec::parse("carrier-pigeon").is_err());
    }
}
