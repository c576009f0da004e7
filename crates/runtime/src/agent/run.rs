//! Starting the agent's threads and the engine loop.

use super::feeds::{self, Sink};
use super::http::{Handler, Response, Server, ServerOptions};
use super::metrics::{DropStage, Metrics};
use super::outputs::Dispatcher;
use super::respond::{Responder, Target};
use super::{Agent, AgentEvent, AgentOptions};
use crate::SyscallEvent;
use crate::alert::{Alert, clock_nanos, rfc3339_nanos};
use crate::engine::Engine;
use crate::fields::{Event, Source};
use crate::rules::Priority;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the syscall source is unavailable: {0}")]
    Syscall(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no source to run (enable syscall, an audit endpoint or log, or a CloudTrail directory)"
    )]
    NoSource,
    #[error("endpoint TLS: {0}")]
    Tls(#[from] super::tls::TlsError),
    #[error("endpoint TLS needs both a certificate and a key file")]
    TlsPair,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> AgentError {
    let what = what.into();
    move |source| AgentError::Io { what, source }
}

/// What a run saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events by source, in [`Source::ALL`] order.
    pub events: [u64; 3],
    pub malformed: [u64; 3],
    pub alerts: u64,
    pub drops: u64,
    /// Set when the syscall source failed while running.
    pub error: Option<String>,
}

/// A running agent.
pub struct Running {
    stop: Arc<AtomicBool>,
    engine_thread: Option<JoinHandle<Summary>>,
    audit: Option<Server>,
    metrics_server: Option<Server>,
    feeders: Vec<JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl Running {
    /// Address of the audit webhook endpoint, when one runs.
    pub fn audit_addr(&self) -> Option<SocketAddr> {
        self.audit.as_ref().map(Server::addr)
    }

    /// Address of the metrics endpoint, when one runs.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_server.as_ref().map(Server::addr)
    }

    /// The counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Asks the agent to stop (it finishes queued work first).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether the engine loop has ended (duration over, stopped, or failed).
    pub fn finished(&self) -> bool {
        self.engine_thread
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the engine loop to end (duration, [`Running::stop`]), then stops the sources.
    pub fn wait(mut self) -> Summary {
        let summary = self
            .engine_thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        self.stop.store(true, Ordering::SeqCst);
        self.audit = None;
        for t in self.feeders.drain(..) {
            let _ = t.join();
        }
        summary
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

pub(super) fn start(agent: Agent) -> Result<Running, AgentError> {
    let Agent {
        engine,
        opts,
        outputs,
        responses,
        metrics,
        feeds: user_feeds,
    } = agent;
    if !opts.syscall
        && opts.audit_listen.is_none()
        && opts.audit_logs.is_empty()
        && opts.cloudtrail_dir.is_none()
        && user_feeds.is_empty()
    {
        return Err(AgentError::NoSource);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::sync_channel(opts.queue.max(1));
    let sink = Sink::new(tx, metrics.clone());
    let dispatcher =
        Arc::new(Dispatcher::start(outputs, metrics.clone()).map_err(io("output thread"))?);
    let responder = match responses {
        Some(r) => Some(
            Responder::start(r, dispatcher.clone(), metrics.clone())
                .map_err(io("responder thread"))?,
        ),
        None => None,
    };
    let recorder = match &opts.record {
        Some(p) => Some(crate::sources::syscall::Recorder::new(
            std::io::BufWriter::new(
                std::fs::File::create(p).map_err(io(format!("creating {}", p.display())))?,
            ),
        )),
        None => None,
    };
    // the engine loop owns the eBPF source (started on its thread); wait for it to attach
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let engine_thread = {
        let (stop, metrics, opts) = (stop.clone(), metrics.clone(), opts.clone());
        let lp = Loop {
            engine,
            metrics,
            dispatcher,
            responder,
            recorder,
            stop,
            opts,
        };
        std::thread::Builder::new()
            .name("rampart-engine".into())
            .spawn(move || lp.run(rx, ready_tx))
            .map_err(io("engine thread"))?
    };
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = engine_thread.join();
            return Err(AgentError::Syscall(e));
        }
        Err(_) => return Err(AgentError::Syscall("the engine thread ended".into())),
    }
    let mut running = Running {
        stop: stop.clone(),
        engine_thread: Some(engine_thread),
        audit: None,
        metrics_server: None,
        feeders: Vec::new(),
        metrics: metrics.clone(),
    };
    let tls = match (&opts.tls_cert, &opts.tls_key) {
        (Some(cert), Some(key)) => Some(super::tls::server_config(cert, key)?),
        (None, None) => None,
        _ => return Err(AgentError::TlsPair),
    };
    if let Some(addr) = &opts.audit_listen {
        let server = ServerOptions {
            max_body: feeds::MAX_AUDIT_BODY,
            tls: tls.clone(),
            token: opts.audit_token.clone(),
        };
        running.audit = Some(
            feeds::audit_endpoint(addr, server, sink.clone())
                .map_err(io(format!("audit endpoint {addr}")))?,
        );
    }
    if let Some(addr) = &opts.metrics_listen {
        let m = metrics.clone();
        let handler: Handler = Arc::new(move |req| {
            if req.route() == "/metrics" || req.route() == "/" {
                Response {
                    status: 200,
                    content_type: "text/plain; version=0.0.4; charset=utf-8",
                    body: m.render().into_bytes(),
                }
            } else {
                Response::text(404, "see /metrics\n")
            }
        });
        let server = ServerOptions {
            max_body: 0,
            tls,
            token: opts.metrics_token.clone(),
        };
        running.metrics_server = Some(
            Server::start_with(addr, server, handler)
                .map_err(io(format!("metrics endpoint {addr}")))?,
        );
    }
    if !opts.audit_logs.is_empty() {
        let (paths, sink, stop, every) = (
            opts.audit_logs.clone(),
            sink.clone(),
            stop.clone(),
            opts.poll_interval,
        );
        running.feeders.push(
            std::thread::Builder::new()
                .name("rampart-audit-logs".into())
                .spawn(move || feeds::follow_audit_logs(paths, sink, stop, every))
                .map_err(io("audit log thread"))?,
        );
    }
    if let Some(dir) = opts.cloudtrail_dir.clone() {
        let (sink, stop, every) = (sink.clone(), stop.clone(), opts.poll_interval);
        running.feeders.push(
            std::thread::Builder::new()
                .name("rampart-cloudtrail".into())
                .spawn(move || feeds::poll_cloudtrail_dir(dir, sink, stop, every))
                .map_err(io("CloudTrail thread"))?,
        );
    }
    for feed in user_feeds {
        let handle = feeds::CloudTrailFeed {
            sink: sink.clone(),
            stop: stop.clone(),
        };
        running.feeders.push(
            std::thread::Builder::new()
                .name("rampart-cloudtrail-feed".into())
                .spawn(move || feed(handle))
                .map_err(io("CloudTrail feed thread"))?,
        );
    }
    Ok(running)
}

/// The engine loop's state.
struct Loop {
    engine: Engine,
    metrics: Arc<Metrics>,
    dispatcher: Arc<Dispatcher>,
    responder: Option<Responder>,
    recorder: Option<crate::sources::syscall::Recorder<std::io::BufWriter<std::fs::File>>>,
    stop: Arc<AtomicBool>,
    opts: AgentOptions,
}

/// Events taken from one queue before looking at the other.
const BATCH: usize = 1024;

impl Loop {
    fn run(
        mut self,
        rx: Receiver<AgentEvent>,
        ready: std::sync::mpsc::Sender<Result<(), String>>,
    ) -> Summary {
        // the environment of exec'd processes only when a rule reads it, or for a recording
        let read_env =
            self.engine.uses_field(Source::Syscall, "proc.env") || self.recorder.is_some();
        // only the syscalls the rules can match, unless everything is asked for or recorded
        let event_types = if self.opts.all_syscalls || self.recorder.is_some() {
            None
        } else {
            self.engine.syscall_event_types()
        };
        let mut syscalls = match syscall::Syscalls::start(&self.opts, read_env, event_types) {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e));
                return Summary::default();
            }
        };
        let _ = ready.send(Ok(()));
        let t0 = Instant::now();
        let end = self.opts.duration.map(|d| t0 + d);
        let mut last_tick = Instant::now();
        let mut reported_drops = 0u64;
        let mut open = true;
        loop {
            if self.stop.load(Ordering::Relaxed)
                || super::signals::signalled()
                || end.is_some_and(|e| Instant::now() >= e)
            {
                break;
            }
            let mut got = 0usize;
            while got < BATCH {
                let Some(mut ev) = syscalls.try_next() else {
                    break;
                };
                got += 1;
                self.handle_syscall(&mut ev);
                syscalls.recycle(ev);
            }
            while open && got < 2 * BATCH {
                match rx.try_recv() {
                    Ok(ev) => {
                        got += 1;
                        self.handle(ev);
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => open = false,
                }
            }
            if got == 0 {
                // idle: wait on the shared queue briefly (the eBPF channel is polled)
                let wait = if syscalls.active() {
                    Duration::from_millis(2)
                } else {
                    Duration::from_millis(50)
                };
                match rx.recv_timeout(wait) {
                    Ok(ev) => self.handle(ev),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        open = false;
                        std::thread::sleep(wait);
                    }
                }
            }
            if last_tick.elapsed() >= Duration::from_secs(1) {
                last_tick = Instant::now();
                reported_drops = self.tick(&syscalls, reported_drops);
            }
        }
        // drain what the other sources already queued
        while let Ok(ev) = rx.try_recv() {
            self.handle(ev);
        }
        self.tick(&syscalls, reported_drops);
        syscalls.stop();
        self.finish()
    }

    fn handle(&mut self, ev: AgentEvent) {
        match ev {
            AgentEvent::Syscall(mut e) => self.handle_syscall(&mut e),
            AgentEvent::K8sAudit(e) => self.evaluate(&e, || None),
            AgentEvent::CloudTrail(e) => self.evaluate(&e, || None),
        }
    }

    fn handle_syscall(&mut self, e: &mut SyscallEvent) {
        self.metrics.event(Source::Syscall, 1);
        if let Some(r) = self.recorder.as_mut() {
            let _ = r.write(e);
        }
        self.evaluate(e, || {
            Some(Target {
                pid: Some(e.proc.pid),
                container_id: e
                    .container
                    .as_ref()
                    .map(|c| c.id.clone())
                    .filter(|id| !id.is_empty() && id != "host"),
            })
        });
    }

    /// Runs the rules on `ev`; alerts are published and offered to the responder, whose target
    /// (`target`, else what the alert names) is only built when a rule matched.
    fn evaluate(&mut self, ev: &dyn Event, target: impl Fn() -> Option<Target>) {
        let mut hits = Vec::new();
        self.engine.matches(ev, |i| hits.push(i));
        for i in hits {
            let alert = Arc::new(self.engine.alert(i, ev));
            self.publish(alert.clone());
            if let Some(r) = &self.responder {
                let t = target().unwrap_or_else(|| Target::from_alert(&alert));
                r.offer(&alert, &t);
            }
        }
    }

    fn publish(&self, alert: Arc<Alert>) {
        self.metrics.alert(&alert.rule, alert.priority);
        self.dispatcher.send(alert);
    }

    /// Once a second: copy the eBPF drop counters, alert on new drops, write the metrics file.
    fn tick(&mut self, syscalls: &syscall::Syscalls, reported: u64) -> u64 {
        let mut reported = reported;
        if let Some(s) = syscalls.stats() {
            self.metrics.set_drops(DropStage::Kernel, s.kernel);
            self.metrics.set_drops(DropStage::Channel, s.channel);
            let drops = s.kernel + s.channel;
            if drops > reported {
                self.publish(Arc::new(drop_alert(
                    drops - reported,
                    &s,
                    self.engine_hostname(),
                )));
                reported = drops;
            }
        }
        if let Some(p) = &self.opts.metrics_file {
            let tmp = p.with_extension("tmp");
            if std::fs::write(&tmp, self.metrics.render())
                .and_then(|_| std::fs::rename(&tmp, p))
                .is_err()
            {
                self.metrics.output_error("metrics-file");
            }
        }
        if let Some(r) = self.recorder.as_mut() {
            let _ = r.flush();
        }
        reported
    }

    fn engine_hostname(&self) -> String {
        self.engine.hostname().to_string()
    }

    fn finish(mut self) -> Summary {
        if let Some(r) = self.recorder.as_mut() {
            let _ = r.flush();
        }
        // the responder reports through the dispatcher: stop it first
        drop(self.responder.take());
        let m = self.metrics.clone();
        drop(self.dispatcher);
        let mut events = [0; 3];
        let mut malformed = [0; 3];
        for (i, s) in Source::ALL.into_iter().enumerate() {
            events[i] = m.events(s);
            malformed[i] = m.malformed_count(s);
        }
        Summary {
            events,
            malformed,
            alerts: m.total_alerts(),
            drops: m.total_drops(),
            error: None,
        }
    }
}

/// Drop counts of the syscall source.
#[derive(Debug, Clone, Copy, Default)]
struct SyscallDrops {
    kernel: u64,
    channel: u64,
    read: u64,
}

/// Falco's alert for dropped syscall events.
fn drop_alert(new: u64, s: &SyscallDrops, hostname: String) -> Alert {
    let ts = i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(0);
    let message = format!(
        "Falco internal: syscall event drop. {new} system calls dropped since the last report."
    );
    let mut f = serde_json::Map::new();
    f.insert("n_drops".into(), new.into());
    f.insert("n_drops_buffer_total".into(), s.kernel.into());
    f.insert("n_drops_channel_total".into(), s.channel.into());
    f.insert("n_evts".into(), s.read.into());
    f.insert("evt.time".into(), ts.into());
    Alert {
        output: format!(
            "{}: {} {message}",
            clock_nanos(ts),
            Priority::Critical.name()
        ),
        priority: Priority::Critical,
        rule: "Falco internal: syscall event drop".into(),
        time: rfc3339_nanos(ts),
        output_fields: f,
        source: "syscall".into(),
        tags: vec!["internal".into()],
        hostname,
        message,
    }
}

#[cfg(all(target_os = "linux", feature = "ebpf"))]
mod syscall {
    use super::SyscallDrops;
    use crate::SyscallEvent;
    use crate::sources::ebpf::{EbpfSource, Options};
    use std::collections::BTreeSet;

    /// The eBPF source, when enabled.
    pub struct Syscalls(Option<EbpfSource>);

    impl Syscalls {
        pub fn start(
            opts: &super::AgentOptions,
            read_env: bool,
            event_types: Option<BTreeSet<String>>,
        ) -> Result<Syscalls, String> {
            if !opts.syscall {
                return Ok(Syscalls(None));
            }
            let o = Options {
                channel: opts.ebpf_channel.max(1),
                hook: opts.syscall_hook.parse()?,
                cri_socket: opts.cri_socket.clone(),
                read_env,
                event_types,
                ..Options::default()
            };
            let src = EbpfSource::start(o).map_err(|e| e.to_string())?;
            let reported = src.reported_syscalls();
            eprintln!(
                "rampart: ebpf: {} of {} watched syscalls reported ({}); hooked by {}",
                reported.len(),
                crate::sources::ebpf::select::WATCHED.len(),
                if reported.len() == crate::sources::ebpf::select::WATCHED.len() {
                    "all".to_string()
                } else {
                    reported.join(" ")
                },
                src.hook()
            );
            Ok(Syscalls(Some(src)))
        }
        pub fn active(&self) -> bool {
            self.0.is_some()
        }
        pub fn try_next(&self) -> Option<Box<SyscallEvent>> {
            self.0.as_ref()?.events().try_recv().ok()
        }
        /// Returns a consumed event to the source for reuse.
        pub fn recycle(&self, ev: Box<SyscallEvent>) {
            if let Some(s) = self.0.as_ref() {
                s.recycle(ev);
            }
        }
        pub fn stats(&self) -> Option<SyscallDrops> {
            let s = self.0.as_ref()?.stats();
            Some(SyscallDrops {
                kernel: s.kernel_drops,
                channel: s.channel_drops,
                read: s.read,
            })
        }
        pub fn stop(&mut self) {
            if let Some(s) = self.0.as_mut() {
                s.stop();
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", feature = "ebpf")))]
mod syscall {
    use super::SyscallDrops;
    use crate::SyscallEvent;

    /// No eBPF in this build.
    pub struct Syscalls;

    impl Syscalls {
        pub fn start(
            opts: &super::AgentOptions,
            _read_env: bool,
            _event_types: Option<std::collections::BTreeSet<String>>,
        ) -> Result<Syscalls, String> {
            if opts.syscall {
                Err(
                    "this build has no eBPF source (Linux and the `ebpf` feature are needed)"
                        .into(),
                )
            } else {
                Ok(Syscalls)
            }
        }
        pub fn active(&self) -> bool {
            false
        }
        pub fn try_next(&self) -> Option<Box<SyscallEvent>> {
            None
        }
        pub fn recycle(&self, _ev: Box<SyscallEvent>) {}
        pub fn stats(&self) -> Option<SyscallDrops> {
            None
        }
        pub fn stop(&mut self) {}
    }
}
