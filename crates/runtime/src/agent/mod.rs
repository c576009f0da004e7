//! The agent: several event sources at once into the engine, alerts out to the outputs, responses
//! to what the rules find, and counters as Prometheus metrics.
//!
//! ```text
//!  eBPF ring buffer ─► reader thread ─(bounded, drop+count)─┐
//!  audit webhook (HTTP) ─┐                                   ├─► engine loop ─► outputs queue ─► outputs
//!  audit log followers ──┼─(bounded queue)───────────────────┘        │          (bounded, drop+count)
//!  CloudTrail directory ─┘                                            └─► responder (bounded)
//! ```
//!
//! Nothing downstream can stall the kernel side: the eBPF reader drops (and counts) when the
//! engine falls behind, and the engine drops (and counts) alerts when outputs fall behind. File
//! and HTTP sources wait instead (their producers can). Kernel and channel drops raise a
//! `Falco internal: syscall event drop` alert.
//!
//! ```no_run
//! use rampart_runtime::agent::{Agent, AgentOptions, outputs::OutputSpec};
//! let (ruleset, _) = rampart_runtime::rules::load(&["k8s_audit_rules.yaml"]).expect("rules");
//! let opts = AgentOptions {
//!     syscall: false,
//!     audit_listen: Some("127.0.0.1:9765".into()),
//!     ..AgentOptions::default()
//! };
//! let agent = Agent::new(rampart_runtime::Engine::new(ruleset), opts);
//! let metrics = agent.metrics();
//! let out = OutputSpec::parse("json").unwrap().open("node-1", metrics).unwrap();
//! let running = agent.output(out).start().expect("agent starts");
//! let summary = running.wait();
//! eprintln!("{summary:?}");
//! ```

pub mod feeds;
pub mod follow;
pub mod http;
pub mod metrics;
pub mod outputs;
pub mod respond;
mod run;
pub mod signals;
pub mod tls;

pub use metrics::{DropStage, Metrics};
pub use outputs::{Output, OutputSpec};
pub use respond::{Responses, Target};
pub use run::{AgentError, Running, Summary};

use crate::engine::Engine;
use crate::{CloudTrailEvent, K8sAuditEvent, SyscallEvent};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One event from any source.
#[derive(Debug)]
pub enum AgentEvent {
    Syscall(Box<SyscallEvent>),
    K8sAudit(K8sAuditEvent),
    CloudTrail(CloudTrailEvent),
}

/// What the agent runs.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Start the eBPF syscall source (an error when it is unavailable).
    pub syscall: bool,
    /// Address of the audit webhook endpoint (`0.0.0.0:9765`; port 0 picks one).
    pub audit_listen: Option<String>,
    /// Audit log files to follow (JSON lines).
    pub audit_logs: Vec<PathBuf>,
    /// Directory of CloudTrail log files to poll.
    pub cloudtrail_dir: Option<PathBuf>,
    /// Record syscall events as JSON lines (what `replay --source syscall` reads).
    pub record: Option<PathBuf>,
    /// Address of the Prometheus `/metrics` endpoint.
    pub metrics_listen: Option<String>,
    /// File rewritten with the Prometheus text every second.
    pub metrics_file: Option<PathBuf>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// How often files and directories are polled.
    pub poll_interval: Duration,
    /// Capacity of the queue from the non-kernel sources to the engine.
    pub queue: usize,
    /// Capacity of the eBPF reader's channel to the engine.
    pub ebpf_channel: usize,
    /// How the eBPF source hooks syscalls: `auto` (fexit where the kernel allows it, else the
    /// tracepoint), `fexit` or `tracepoint`.
    pub syscall_hook: String,
    /// Report every syscall the eBPF source watches, not only those the loaded rules can match
    /// (Falco's `-A`); a recording always gets every one.
    pub all_syscalls: bool,
    /// The CRI socket asked for container and pod metadata (default: containerd's or CRI-O's).
    pub cri_socket: Option<PathBuf>,
    /// PEM certificate chain and key: the audit and metrics endpoints speak HTTPS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Bearer token the audit endpoint requires (the API server's webhook kubeconfig `token`).
    pub audit_token: Option<http::Secret>,
    /// Bearer token the metrics endpoint requires (Prometheus `authorization` credentials).
    pub metrics_token: Option<http::Secret>,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            syscall: true,
            audit_listen: None,
            audit_logs: Vec::new(),
            cloudtrail_dir: None,
            record: None,
            metrics_listen: None,
            metrics_file: None,
            duration: None,
            poll_interval: Duration::from_millis(250),
            queue: 16_384,
            ebpf_channel: 65_536,
            syscall_hook: "auto".into(),
            all_syscalls: false,
            cri_socket: None,
            tls_cert: None,
            tls_key: None,
            audit_token: None,
            metrics_token: None,
        }
    }
}

/// A CloudTrail feed the agent runs on a thread of its own (see [`Agent::cloudtrail_feed`]).
pub type FeedFn = Box<dyn FnOnce(feeds::CloudTrailFeed) + Send>;

/// An agent ready to start.
pub struct Agent {
    engine: Engine,
    opts: AgentOptions,
    outputs: Vec<Box<dyn Output>>,
    responses: Option<Responses>,
    metrics: Arc<Metrics>,
    feeds: Vec<FeedFn>,
}

impl Agent {
    /// An agent evaluating `engine`'s rules.
    pub fn new(engine: Engine, opts: AgentOptions) -> Agent {
        Agent {
            engine,
            opts,
            outputs: Vec::new(),
            responses: None,
            metrics: Arc::new(Metrics::default()),
            feeds: Vec::new(),
        }
    }

    /// Adds a CloudTrail source driven by `feed` on its own thread (it returns when
    /// [`feeds::CloudTrailFeed::stopped`]); counts as a source for [`Agent::start`].
    pub fn cloudtrail_feed(
        mut self,
        feed: impl FnOnce(feeds::CloudTrailFeed) + Send + 'static,
    ) -> Agent {
        self.feeds.push(Box::new(feed));
        self
    }

    /// Adds an output.
    pub fn output(mut self, o: Box<dyn Output>) -> Agent {
        self.outputs.push(o);
        self
    }

    /// Sets the responses.
    pub fn responses(mut self, r: Responses) -> Agent {
        self.responses = Some(r);
        self
    }

    /// The agent's counters (shared with outputs that count drops).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Starts every source and the engine loop.
    pub fn start(self) -> Result<Running, AgentError> {
        run::start(self)
    }
}
