//! Runs a benchmark's checks on a node: picks the benchmark and targets, resolves `$variables`,
//! answers each audit (natively, or with `/bin/sh` when allowed), and evaluates the tests with
//! kube-bench's rules for states.

use crate::catalog::{Benchmark, Catalog};
use crate::definitions::{Check, CheckType, Group};
use crate::error::{Error, Result};
use crate::evaluate::{Inputs, evaluate_inputs};
use crate::node::Node;
use crate::results::{CheckResult, NodeReport, State, TargetReport};
use crate::shell;
use crate::variables::Variables;
use std::time::Duration;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// A benchmark folder (`cis-1.10`); wins over `k8s_version`.
    pub benchmark: Option<String>,
    /// A Kubernetes version (`1.28`, `v1.28.3`) or platform tag, looked up in `version_mapping`.
    pub k8s_version: Option<String>,
    /// Targets to run (`master`, `node`, `etcd`, `controlplane`, `policies`); empty = all the
    /// benchmark's `target_mapping` lists.
    pub targets: Vec<String>,
    /// Run audits the interpreter cannot answer with `/bin/sh` (`--allow-audit-commands`).
    pub allow_shell: bool,
    /// Time limit of one shell audit.
    pub shell_timeout: Duration,
    /// Name of the node in findings (`asset`).
    pub node_name: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            benchmark: None,
            k8s_version: None,
            targets: Vec::new(),
            allow_shell: false,
            shell_timeout: Duration::from_secs(20),
            node_name: "node".into(),
        }
    }
}

/// Runs the selected benchmark's targets on `node`.
pub fn run(catalog: &Catalog, node: &Node, opts: &RunOptions) -> Result<NodeReport> {
    let name = select(catalog, node, opts)?;
    let bench = catalog.load(&name)?;
    let mut known = catalog.targets(&name);
    if known.is_empty() {
        known = bench.controls.keys().cloned().collect();
    }
    let targets = if opts.targets.is_empty() {
        known.clone()
    } else {
        for t in &opts.targets {
            if !known.contains(t) {
                return Err(Error::UnknownTarget {
                    target: t.clone(),
                    benchmark: name.clone(),
                    known: known.join(", "),
                });
            }
        }
        opts.targets.clone()
    };
    let reports = targets
        .iter()
        .map(|t| run_target(&bench, t, node, opts))
        .collect();
    Ok(NodeReport {
        benchmark: bench.name.clone(),
        framework: bench.framework(),
        node_name: opts.node_name.clone(),
        targets: reports,
    })
}

/// The benchmark: explicit, else by the given version, else by the version the node's static pod
/// manifests show (when mapped), else the newest CIS benchmark.
fn select(catalog: &Catalog, node: &Node, opts: &RunOptions) -> Result<String> {
    if opts.benchmark.is_some() || opts.k8s_version.is_some() {
        return catalog.select(opts.benchmark.as_deref(), opts.k8s_version.as_deref());
    }
    if let Some(detected) = crate::version::detect(node)
        && let Ok(name) = catalog.select(None, Some(&detected))
    {
        return Ok(name);
    }
    catalog.select(None, None)
}

fn run_target(bench: &Benchmark, target: &str, node: &Node, opts: &RunOptions) -> TargetReport {
    let mut report = TargetReport {
        target: target.to_string(),
        ..TargetReport::default()
    };
    let Some(controls) = bench.controls.get(target) else {
        report.skipped = Some(format!("benchmark {} has no {target}.yaml", bench.name));
        return report;
    };
    report.id = controls.id.clone();
    report.text = controls.text.clone();
    let vars = match Variables::resolve(bench.section(target), node) {
        Ok(v) => v,
        Err(nr) => {
            report.skipped = Some(format!(
                "component {} is not running (looked for {})",
                nr.component,
                nr.looked_for.join(", ")
            ));
            return report;
        }
    };
    for (group, check) in controls.checks() {
        let check = check.substituted(&|s| vars.apply(s));
        report
            .results
            .push(run_check(target, group, &check, node, opts));
    }
    report
}

/// The output of one audit command.
enum Audit {
    Done {
        output: String,
        error: Option<String>,
        native: bool,
    },
    Unknown(String),
}

fn audit(cmd: &str, node: &Node, opts: &RunOptions) -> Audit {
    let trimmed = cmd.trim();
    if trimmed.is_empty() {
        return Audit::Done {
            output: String::new(),
            error: None,
            native: true,
        };
    }
    let (out, native) = match shell::run(trimmed, node) {
        Ok(out) => (out, true),
        Err(why) if opts.allow_shell => match shell::system::run(trimmed, opts.shell_timeout) {
            Ok(out) => (out, false),
            Err(e) => {
                return Audit::Done {
                    output: String::new(),
                    error: Some(format!("failed to run: {trimmed:?}: {e} ({why})")),
                    native: false,
                };
            }
        },
        Err(why) => return Audit::Unknown(why.0),
    };
    // Errors usually come from earlier commands of the script than its final output, so they are
    // put first, approximating the time order of kube-bench's single combined buffer.
    let output = format!("{}{}", out.stderr, out.stdout);
    let error = (out.status != 0).then(|| {
        format!(
            "failed to run: {trimmed:?}, output: {output:?}, error: exit status {}",
            out.status
        )
    });
    Audit::Done {
        output,
        error,
        native,
    }
}

fn run_check(
    target: &str,
    group: &Group,
    check: &Check,
    node: &Node,
    opts: &RunOptions,
) -> CheckResult {
    let mut r = CheckResult::new(target, group, check);
    let fail_or_warn = if check.scored {
        State::Fail
    } else {
        State::Warn
    };
    let tests = match (&check.tests, check.check_type) {
        (None, CheckType::Automated) if check.scored => {
            return r.with(State::Warn, "There are no tests");
        }
        (_, CheckType::Skip) => return r.with(State::Info, "Test marked as skip"),
        (_, CheckType::Manual) => return r.with(State::Warn, "Test marked as a manual test"),
        (Some(t), _) if !t.test_items.is_empty() => t,
        _ => return r.with(fail_or_warn, "No tests defined"),
    };
    let mut outputs = Vec::new();
    let mut native = true;
    for cmd in [&check.audit_env, &check.audit, &check.audit_config] {
        match audit(cmd, node, opts) {
            Audit::Unknown(why) => {
                r.uninterpreted = true;
                return r.with(
                    State::Warn,
                    &format!("audit not interpretable without --allow-audit-commands: {why}"),
                );
            }
            Audit::Done {
                output,
                error,
                native: n,
            } => {
                native &= n;
                outputs.push((output, error));
            }
        }
    }
    r.native = native;
    let [
        (env_out, env_err),
        (audit_out, audit_err),
        (config_out, mut config_err),
    ] = <[(String, Option<String>); 3]>::try_from(outputs).unwrap_or_default();
    let missing_file = config_err
        .as_deref()
        .is_some_and(|e| e.contains("exit status 127") || e.contains("No such file or directory"));
    if missing_file && (!env_out.is_empty() || !audit_out.is_empty()) {
        config_err = None;
    }
    let config_out = if config_err.is_none() && missing_file {
        String::new()
    } else {
        config_out
    };
    if let Some(err) = env_err.or(audit_err).or(config_err) {
        r.actual_value = audit_out;
        return r.with(fail_or_warn, &err);
    }
    let outcome = evaluate_inputs(
        tests,
        &Inputs {
            audit: &audit_out,
            audit_config: (!check.audit_config.trim().is_empty()).then_some(config_out.as_str()),
            audit_env: &env_out,
            multiple: check.use_multiple_values,
        },
    );
    r.actual_value = outcome.actual_value;
    r.expected_result = outcome.expected_result;
    match outcome.error {
        Some(e) => r.with(fail_or_warn, &e),
        None if outcome.pass => r.with(State::Pass, ""),
        None => r.with(fail_or_warn, ""),
    }
}
