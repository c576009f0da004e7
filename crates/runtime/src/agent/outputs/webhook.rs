//! HTTP webhook output: alerts are queued (bounded; a full queue drops and counts), sent in
//! batches as a JSON array of Falco alerts by a sender thread, and retried with exponential
//! back-off on connection errors and 5xx answers. A batch that still fails is dropped and counted.

use super::{Output, OutputError};
use crate::agent::http::{Client, Secret, Url};
use crate::agent::metrics::{DropStage, Metrics};
use crate::alert::Alert;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Webhook tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Alerts queued at most; more are dropped.
    pub queue: usize,
    /// Alerts per POST at most.
    pub batch: usize,
    /// A partial batch is sent after this long.
    pub linger: Duration,
    /// Tries per batch (the first included).
    pub attempts: u32,
    /// First back-off; doubled after each failure, at most `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Connect, read and write timeout.
    pub timeout: Duration,
    /// PEM file of the CA that signed an `https://` receiver's certificate (default: the system
    /// roots).
    pub ca: Option<std::path::PathBuf>,
    /// Extra request headers (`Authorization: Bearer …` for receivers that require it).
    pub headers: Vec<(String, Secret)>,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            queue: 10_000,
            batch: 100,
            linger: Duration::from_millis(500),
            attempts: 5,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
            ca: None,
            headers: Vec::new(),
        }
    }
}

/// The webhook output (its sender runs on its own thread).
pub struct Webhook {
    name: String,
    tx: Option<SyncSender<String>>,
    thread: Option<JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl Webhook {
    /// Starts the sender for `url` (`http://HOST:PORT/PATH` or `https://…`).
    pub fn start(
        url: &str,
        opts: WebhookOptions,
        metrics: Arc<Metrics>,
    ) -> Result<Webhook, OutputError> {
        let parsed = Url::parse(url)?;
        let mut client = Client::new(opts.timeout);
        if let Some(ca) = &opts.ca {
            client = client.with_ca(ca)?;
        }
        for (k, v) in &opts.headers {
            client = client.with_header(k, v.expose())?;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(opts.queue.max(1));
        let name = format!("webhook:{url}");
        let thread = {
            let (metrics, name) = (metrics.clone(), name.clone());
            std::thread::Builder::new()
                .name("rampart-webhook".into())
                .spawn(move || sender(&client, parsed, rx, opts, &metrics, &name))
                .map_err(|source| OutputError::Io {
                    what: "webhook thread".into(),
                    source,
                })?
        };
        Ok(Webhook {
            name,
            tx: Some(tx),
            thread: Some(thread),
            metrics,
        })
    }
}

impl Output for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn emit(&mut self, alert: &Alert) -> Result<(), OutputError> {
        if let Some(tx) = &self.tx {
            match tx.try_send(alert.to_json_line()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.metrics.dropped(DropStage::Output, 1);
                }
            }
        }
        Ok(())
    }
}

impl Drop for Webhook {
    /// Sends what is queued (with its retries) before returning.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn sender(
    client: &Client,
    url: Url,
    rx: Receiver<String>,
    opts: WebhookOptions,
    metrics: &Metrics,
    name: &str,
) {
    let mut batch: Vec<String> = Vec::new();
    let mut first_at = Instant::now();
    let mut open = true;
    while open || !batch.is_empty() {
        let wait = if batch.is_empty() {
            Duration::from_secs(3600)
        } else {
            opts.linger.saturating_sub(first_at.elapsed())
        };
        if open {
            match rx.recv_timeout(wait) {
                Ok(line) => {
                    if batch.is_empty() {
                        first_at = Instant::now();
                    }
                    batch.push(line);
                    if batch.len() < opts.batch.max(1) {
                        continue;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        if batch.is_empty() {
            continue;
        }
        let body = format!("[{}]", batch.join(","));
        if !send_with_retries(client, &url, body.as_bytes(), &opts) {
            metrics.dropped(DropStage::Output, batch.len() as u64);
            metrics.output_error(name);
        }
        batch.clear();
    }
}

/// Sends one batch; `false` when every try failed or the server refused it (4xx).
fn send_with_retries(client: &Client, url: &Url, body: &[u8], opts: &WebhookOptions) -> bool {
    let mut backoff = opts.backoff;
    for attempt in 0..opts.attempts.max(1) {
        if attempt > 0 {
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(opts.max_backoff);
        }
        match client.post(url, "application/json", body) {
            Ok(s) if (200..300).contains(&s) => return true,
            Ok(s) if (400..500).contains(&s) && s != 408 && s != 429 => return false,
            Ok(_) | Err(_) => {}
        }
    }
    false
}
