//! `rampart runtime`: validate and list Falco-compatible rules, replay recorded events.

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
    let result = rampart_runtime::replay::replay(source, &engine, Path::new(&a.input))
        .with_context(|| format!("replaying {}", a.input.display()))?;
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
