//! `rampart runtime`: validate and list Falco-compatible rules, replay recorded events, run the
//! agent.

use crate::args::{RuntimeCommand, RuntimeReplayArgs, RuntimeRulesArgs, RuntimeRulesCommand};
use crate::db_cmd::cache_dir;
use anyhow::{Context, Result, bail};
use rampart_runtime::{Source, rules};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The default rules shipped in the binary (policies/falco, Apache-2.0; see its SOURCE.md).
const BUNDLED: [(&str, &str); 2] = [
    (
        "falco_rules.yaml",
        include_str!("../../../policies/falco/falco_rules.yaml"),
    ),
    (
        "k8s_audit_rules.yaml",
        include_str!("../../../policies/falco/k8s_audit_rules.yaml"),
    ),
];

pub fn run(cmd: &RuntimeCommand) -> Result<ExitCode> {
    match cmd {
        RuntimeCommand::Rules(RuntimeRulesCommand::Validate(a)) => validate(a),
        RuntimeCommand::Rules(RuntimeRulesCommand::List(a)) => list(a),
        RuntimeCommand::Replay(a) => replay(a),
        RuntimeCommand::Run(a) => run_agent(a),
    }
}

/// Rule files from `--rules`, or the bundled ones (written once to the cache so locations in
/// messages name a real file).
fn rule_files(given: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let dir = cache_dir().join(format!("rules-{}", env!("CARGO_PKG_VERSION")));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    for (name, text) in BUNDLED {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text) {
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        }
        files.push(path);
    }
    Ok(files)
}

/// Like `falco -V`: every error and warning with code, item and position; exit 1 on any error.
fn validate(a: &RuntimeRulesArgs) -> Result<ExitCode> {
    let files = rule_files(&a.files)?;
    let report = rules::validate(&files);
    let mut out = std::io::stdout().lock();
    match a.format.as_str() {
        "json" => writeln!(out, "{}", report.to_json())?,
        "text" => write!(out, "{}", report.to_text())?,
        other => bail!("unknown format {other:?} (expected text or json)"),
    }
    Ok(if report.successful() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Like `falco -L`: the loaded rules with source, priority, tags and whether they are enabled.
fn list(a: &RuntimeRulesArgs) -> Result<ExitCode> {
    let files = rule_files(&a.files)?;
    let (ruleset, _) = match rules::load(&files) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{}", report.to_text());
            return Ok(ExitCode::from(1));
        }
    };
    let described = ruleset.describe();
    let mut out = std::io::stdout().lock();
    match a.format.as_str() {
        "json" => writeln!(out, "{}", serde_json::to_string_pretty(&described)?)?,
        "text" => {
            let empty = Vec::new();
            let rules = described.as_array().unwrap_or(&empty);
            for r in rules {
                let field = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                writeln!(
                    out,
                    "{:<55} {:<10} {:<10} {}",
                    field("name"),
                    field("source"),
                    field("priority"),
                    r.get("tags")
                        .and_then(|t| t.as_array())
                        .map(|t| t
                            .iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(","))
                        .unwrap_or_default()
                )?;
            }
        }
        other => bail!("unknown format {other:?} (expected text or json)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `BUCKET[/PREFIX]` split, and the AWS options (endpoint from `AWS_ENDPOINT_URL`).
fn s3_location(location: &str) -> Result<(&str, &str, rampart_cloud::AwsOptions)> {
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    anyhow::ensure!(
        !bucket.is_empty(),
        "s3://BUCKET[/PREFIX]: the bucket is missing"
    );
    let options = rampart_cloud::AwsOptions {
        endpoint_url: std::env::var("AWS_ENDPOINT_URL").ok(),
        ..rampart_cloud::AwsOptions::default()
    };
    Ok((bucket, prefix, options))
}

/// The agent's S3 CloudTrail source: lists `location` every `every` and feeds the files not read
/// before; listing or reading errors are logged (once per distinct message) and counted.
fn poll_s3(
    feed: rampart_runtime::agent::feeds::CloudTrailFeed,
    location: String,
    every: std::time::Duration,
) {
    let Ok((bucket, prefix, options)) = s3_location(&location) else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    let mut logged = std::collections::HashSet::new();
    loop {
        let limits = rampart_cloud::cloudtrail_s3::ReadLimits::default();
        match rampart_cloud::cloudtrail_s3::read_new_trail_logs_blocking(
            &options, bucket, prefix, limits, &mut seen,
        ) {
            Ok(logs) => {
                for w in logs.warnings {
                    let msg = format!("s3://{location}: {}: {}", w.what, w.error);
                    if logged.len() < 100 && logged.insert(msg.clone()) {
                        eprintln!("warning: {msg}");
                    }
                    feed.problem(msg);
                }
                for f in logs.files {
                    if !feed.file(&format!("s3://{bucket}/{}", f.key), &f.json) {
                        return;
                    }
                }
            }
            Err(e) => {
                let msg = format!("s3://{location}: {e:#}");
                if logged.len() < 100 && logged.insert(msg.clone()) {
                    eprintln!("warning: {msg}");
                }
            }
        }
        if !feed.sleep(every) {
            return;
        }
    }
}

/// CloudTrail log files under `BUCKET[/PREFIX]` in S3 (standard AWS credential chain and region;
/// `AWS_ENDPOINT_URL` for moto or LocalStack), each fed through `engine` in key order. Objects that
/// cannot be read are warnings; the others still count.
fn replay_s3(
    engine: &rampart_runtime::Engine,
    location: &str,
    quiet: bool,
) -> Result<rampart_runtime::replay::ReplayResult> {
    let (bucket, prefix, options) = s3_location(location)?;
    let logs = rampart_cloud::cloudtrail_s3::read_trail_logs_blocking(
        &options,
        bucket,
        prefix,
        rampart_cloud::cloudtrail_s3::ReadLimits::default(),
    )
    .with_context(|| format!("reading CloudTrail logs from s3://{location}"))?;
    if !quiet {
        for w in &logs.warnings {
            eprintln!("warning: s3://{location}: {}: {}", w.what, w.error);
        }
    }
    let mut total = rampart_runtime::replay::ReplayResult {
        alerts: Vec::new(),
        stats: Default::default(),
    };
    for file in &logs.files {
        let r = rampart_runtime::replay::replay_bytes(Source::CloudTrail, engine, &file.json)
            .with_context(|| format!("replaying s3://{bucket}/{}", file.key))?;
        total.alerts.extend(r.alerts);
        total.stats.events += r.stats.events;
        total.stats.malformed += r.stats.malformed;
        total.stats.problems.extend(
            r.stats
                .problems
                .into_iter()
                .map(|p| format!("{}: {p}", file.key)),
        );
    }
    Ok(total)
}

/// Feeds recorded events through the rules and prints alerts as Falco JSON lines (or text).
fn replay(a: &RuntimeReplayArgs) -> Result<ExitCode> {
    let source = match a.source.as_str() {
        "cloudtrail" | "aws_cloudtrail" => Source::CloudTrail,
        name => Source::from_name(name).with_context(|| {
            format!("unknown source {name:?} (expected syscall, k8s_audit, cloudtrail)")
        })?,
    };
    let files = rule_files(&a.rules)?;
    let (ruleset, _) = match rules::load(&files) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{}", report.to_text());
            bail!("the rules did not load");
        }
    };
    let mut engine = rampart_runtime::Engine::new(ruleset);
    if let Some(host) = hostname() {
        engine = engine.with_hostname(&host);
    }
    let input = a.input.to_string_lossy();
    let result = match input.strip_prefix("s3://") {
        Some(location) if matches!(source, Source::CloudTrail) => {
            replay_s3(&engine, location, a.quiet)?
        }
        Some(_) => bail!("s3:// input is for --source cloudtrail"),
        None => rampart_runtime::replay::replay(source, &engine, Path::new(&a.input))
            .with_context(|| format!("replaying {}", a.input.display()))?,
    };
    let mut out = std::io::stdout().lock();
    for alert in &result.alerts {
        match a.format.as_str() {
            "json" => writeln!(out, "{}", alert.to_json_line())?,
            "text" => writeln!(
                out,
                "{} {}: {}",
                alert.time,
                alert.priority.name(),
                alert.output
            )?,
            other => bail!("unknown format {other:?} (expected json or text)"),
        }
    }
    out.flush()?;
    let stats = &result.stats;
    if !a.quiet {
        eprintln!(
            "{} events, {} alerts, {} malformed inputs",
            stats.events,
            result.alerts.len(),
            stats.malformed
        );
        for p in &stats.problems {
            eprintln!("warning: {p}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `rampart runtime run`.
#[derive(Debug, clap::Args)]
pub struct RuntimeRunArgs {
    /// Rules files (repeatable; default: the bundled rules).
    #[arg(long, value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Sources, comma-separated: syscall, k8s_audit, cloudtrail (default: syscall, plus k8s_audit
    /// and cloudtrail when their inputs are given).
    #[arg(long, value_delimiter = ',', value_name = "SOURCE,…")]
    pub source: Vec<String>,
    /// Serve the Kubernetes audit webhook (`POST /k8s-audit`, audit.k8s.io/v1 EventList) here,
    /// e.g. 0.0.0.0:9765 (HTTPS with --tls-cert/--tls-key; a token with --audit-token-file).
    #[arg(long, value_name = "ADDR")]
    pub audit_listen: Option<String>,
    /// Bearer token (file, first line) every audit webhook request must carry, as the API
    /// server's webhook kubeconfig `users[].user.token` sends it.
    #[arg(long, value_name = "FILE")]
    pub audit_token_file: Option<PathBuf>,
    /// PEM certificate chain: the audit and metrics endpoints speak HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Follow a Kubernetes audit log file (JSON lines; rotation and truncation followed). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Vec<PathBuf>,
    /// Read CloudTrail log files (.json.gz, .json) under this folder, polling for new ones.
    #[arg(long, value_name = "DIR")]
    pub cloudtrail_dir: Option<PathBuf>,
    /// Poll CloudTrail log files in S3 (`s3://BUCKET[/PREFIX]`; standard AWS credential chain and
    /// region, `AWS_ENDPOINT_URL` for moto/LocalStack): every file once, then new ones.
    #[arg(long, value_name = "S3_URL")]
    pub cloudtrail_s3: Option<String>,
    /// How often --cloudtrail-s3 lists the bucket (`60s` by default; CloudTrail delivers about
    /// every 5 minutes).
    #[arg(long, value_name = "D", default_value = "60s")]
    pub cloudtrail_poll: String,
    /// Record syscall events as JSON lines (replayable with `replay --source syscall`).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// How syscalls are hooked: `auto` (one fexit program per watched syscall where the kernel
    /// allows it, else the sys_exit tracepoint), `fexit` (fail when it cannot attach) or
    /// `tracepoint`.
    #[arg(long, value_name = "HOOK", default_value = "auto", value_parser = ["auto", "fexit", "tracepoint"])]
    pub syscall_hook: String,
    /// Report every syscall the eBPF source watches (like Falco's `-A`). By default the kernel
    /// reports only the syscalls the loaded rules can match, plus those the descriptor table
    /// needs for them; the others cost nothing (fexit) or one bit test (tracepoint).
    #[arg(long)]
    pub all_syscalls: bool,
    /// The CRI socket asked for container and Kubernetes pod metadata (default:
    /// /run/containerd/containerd.sock, then /run/crio/crio.sock; `RAMPART_CRI_SOCKET` also sets
    /// it). Podman containers are looked up with `podman inspect`.
    #[arg(long, value_name = "PATH")]
    pub cri_socket: Option<PathBuf>,
    /// Outputs (repeatable): json, text, file:PATH, text-file:PATH, syslog, syslog:udp://HOST:PORT,
    /// webhook:http://HOST:PORT/PATH, webhook:https://HOST:PORT/PATH.
    #[arg(long, value_name = "OUTPUT", default_value = "json")]
    pub output: Vec<String>,
    /// PEM CA certificate(s) to trust for https webhooks (default: the system roots).
    #[arg(long, value_name = "FILE")]
    pub webhook_ca: Option<PathBuf>,
    /// Extra header for webhook requests, `Name: value` (repeatable; e.g. `Authorization: Bearer
    /// …`). Values are never logged.
    #[arg(long, value_name = "HEADER")]
    pub webhook_header: Vec<String>,
    /// Responses file (YAML: actions bound to rules by name, tag or priority; dry-run by default).
    #[arg(long, value_name = "FILE")]
    pub responses: Option<PathBuf>,
    /// Stop after this long (`90`, `30s`, `5m`, `2h`; default: until SIGINT/SIGTERM).
    #[arg(long, value_name = "D")]
    pub duration: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics (https with --tls-cert/--tls-key).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Bearer token (file, first line) every metrics request must carry.
    #[arg(long, value_name = "FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// Rewrite this file with the Prometheus metrics every second.
    #[arg(long, value_name = "FILE")]
    pub metrics_file: Option<PathBuf>,
    /// Only rules at least this severe fire (emergency … debug).
    #[arg(long, value_name = "PRIORITY")]
    pub min_priority: Option<String>,
}

/// True for `127.x.x.x:PORT`, `[::1]:PORT` and `localhost:PORT`.
fn is_loopback(addr: &str) -> bool {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().is_loopback(),
        Err(_) => addr.starts_with("localhost:"),
    }
}

/// The token in `path` (its first line, trimmed; at most 4 KiB).
fn read_token(path: &std::path::Path) -> Result<rampart_runtime::agent::http::Secret> {
    let meta = std::fs::metadata(path).with_context(|| format!("token file {}", path.display()))?;
    if meta.len() > 4096 {
        bail!("token file {} is larger than 4 KiB", path.display());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        bail!("token file {} is empty", path.display());
    }
    Ok(rampart_runtime::agent::http::Secret::new(token))
}

/// Parses `90`, `90s`, `500ms`, `5m`, `2h`.
fn parse_duration(s: &str) -> Result<std::time::Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().with_context(|| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => bail!("bad duration {s:?} (use 90, 30s, 500ms, 5m or 2h)"),
    };
    if !secs.is_finite() || secs < 0.0 {
        bail!("bad duration {s:?}");
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

fn agent_options(a: &RuntimeRunArgs) -> Result<rampart_runtime::agent::AgentOptions> {
    let mut opts = rampart_runtime::agent::AgentOptions {
        syscall: false,
        audit_listen: a.audit_listen.clone(),
        audit_logs: a.audit_log.clone(),
        cloudtrail_dir: a.cloudtrail_dir.clone(),
        record: a.record.clone(),
        syscall_hook: a.syscall_hook.clone(),
        all_syscalls: a.all_syscalls,
        cri_socket: a.cri_socket.clone(),
        metrics_listen: a.metrics_listen.clone(),
        metrics_file: a.metrics_file.clone(),
        duration: a.duration.as_deref().map(parse_duration).transpose()?,
        tls_cert: a.tls_cert.clone(),
        tls_key: a.tls_key.clone(),
        audit_token: a.audit_token_file.as_deref().map(read_token).transpose()?,
        metrics_token: a
            .metrics_token_file
            .as_deref()
            .map(read_token)
            .transpose()?,
        ..Default::default()
    };
    if let Some(addr) = &opts.audit_listen
        && opts.audit_token.is_none()
        && !is_loopback(addr)
    {
        eprintln!(
            "warning: the audit endpoint on {addr} accepts events from anyone who can reach it; \
             give --audit-token-file (and --tls-cert/--tls-key)"
        );
    }
    let has_audit = opts.audit_listen.is_some() || !opts.audit_logs.is_empty();
    if a.source.is_empty() {
        opts.syscall = true;
    } else {
        let mut audit = false;
        let mut cloudtrail = false;
        for s in &a.source {
            match s.trim() {
                "syscall" => opts.syscall = true,
                "k8s_audit" | "k8saudit" => audit = true,
                "cloudtrail" | "aws_cloudtrail" => cloudtrail = true,
                other => {
                    bail!("unknown source {other:?} (expected syscall, k8s_audit, cloudtrail)")
                }
            }
        }
        if audit && !has_audit {
            bail!("--source k8s_audit needs --audit-listen ADDR or --audit-log FILE");
        }
        if cloudtrail && opts.cloudtrail_dir.is_none() && a.cloudtrail_s3.is_none() {
            bail!("--source cloudtrail needs --cloudtrail-dir DIR or --cloudtrail-s3 s3://BUCKET");
        }
        if !audit {
            opts.audit_listen = None;
            opts.audit_logs.clear();
        }
        if !cloudtrail {
            opts.cloudtrail_dir = None;
        }
    }
    Ok(opts)
}

/// Runs the agent until --duration, SIGINT or SIGTERM; exits non-zero when a source cannot start.
fn run_agent(a: &RuntimeRunArgs) -> Result<ExitCode> {
    use rampart_runtime::agent::{Agent, OutputSpec, Responses, signals};
    let opts = agent_options(a)?;
    let files = rule_files(&a.rules)?;
    let (ruleset, _) = match rules::load(&files) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{}", report.to_text());
            bail!("the rules did not load");
        }
    };
    let host = hostname().unwrap_or_default();
    let mut engine = rampart_runtime::Engine::new(ruleset).with_hostname(&host);
    if let Some(p) = &a.min_priority {
        let p = rampart_runtime::Priority::parse(p)
            .with_context(|| format!("unknown priority {p:?}"))?;
        engine = engine.with_min_priority(p);
    }
    let mut agent = Agent::new(engine, opts);
    for o in &a.output {
        let mut spec = OutputSpec::parse(o)?;
        if let Some(w) = spec.webhook_options() {
            w.ca = a.webhook_ca.clone();
            for h in &a.webhook_header {
                let (name, value) = h
                    .split_once(':')
                    .with_context(|| format!("--webhook-header {h:?}: expected `Name: value`"))?;
                w.headers.push((
                    name.trim().to_string(),
                    rampart_runtime::agent::http::Secret::new(value.trim()),
                ));
            }
        }
        let out = spec.open(&host, agent.metrics())?;
        agent = agent.output(out);
    }
    if let Some(p) = &a.responses {
        agent = agent.responses(Responses::load(p)?);
    }
    let wants_cloudtrail = a.source.is_empty()
        || a.source
            .iter()
            .any(|s| matches!(s.trim(), "cloudtrail" | "aws_cloudtrail"));
    if let Some(url) = a.cloudtrail_s3.clone().filter(|_| wants_cloudtrail) {
        let location = url
            .strip_prefix("s3://")
            .with_context(|| format!("--cloudtrail-s3 {url:?}: expected s3://BUCKET[/PREFIX]"))?
            .to_string();
        s3_location(&location)?;
        let every = parse_duration(&a.cloudtrail_poll)?.max(std::time::Duration::from_millis(100));
        agent = agent.cloudtrail_feed(move |feed| poll_s3(feed, location, every));
    }
    signals::install();
    let running = match agent.start() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rampart: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut listening = Vec::new();
    if let Some(addr) = running.audit_addr() {
        listening.push(format!("audit webhook http://{addr}/k8s-audit"));
    }
    if let Some(addr) = running.metrics_addr() {
        listening.push(format!("metrics http://{addr}/metrics"));
    }
    eprintln!(
        "rampart: agent running{}{}",
        if listening.is_empty() { "" } else { "; " },
        listening.join("; ")
    );
    let s = running.wait();
    eprintln!(
        "rampart: events syscall={} k8s_audit={} cloudtrail={}; malformed k8s_audit={} cloudtrail={}; alerts={}; drops={}",
        s.events[0], s.events[1], s.events[2], s.malformed[1], s.malformed[2], s.alerts, s.drops
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("5m").unwrap().as_secs(), 300);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert!(parse_duration("soon").is_err());
    }
}
