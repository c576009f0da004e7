//! `rampart k8s`: Kubernetes posture of manifests and snapshots, and CIS checks of a node.

use crate::args::{K8sArgs, K8sCommand, K8sNodeArgs, PolicyVerifyArgs};
use crate::db_cmd::cache_dir;
use crate::output::{self, OutputArgs};
use anyhow::{Context, Result, bail};
use rampart_core::{
    Asset, AssetKind, CheckOutcome, CheckStatus, ComplianceSummary, ControlResult, ControlStatus,
    Report,
};
use rampart_kube::pss::PolicyVersion;
use rampart_kube::{Framework, LoadOptions, ScanOptions, SuppressionFile};
use rampart_posture::framework::compliance_summary;
use rampart_posture::policy_dir::UserPolicies;
use rampart_posture::{Catalogue, CheckId, Limits};
use rampart_report::Format;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub fn run(args: &K8sArgs) -> Result<ExitCode> {
    match &args.command {
        Some(K8sCommand::Node(node)) => run_node(node),
        None => run_manifests(args),
    }
}

/// Loads manifests, runs the Pod Security Standards and the built-in checks, summarises frameworks.
fn run_manifests(args: &K8sArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let version: PolicyVersion = match &args.k8s_version {
        Some(v) => v
            .parse()
            .map_err(|e| anyhow::anyhow!("--k8s-version: {e}"))?,
        None => PolicyVersion::LATEST,
    };
    // PSS frameworks are judged by the kube crate (version-aware); the others by posture's definitions.
    let mut frameworks: Vec<Framework> = Vec::new();
    let mut other_frameworks = Vec::new();
    for name in &args.framework {
        match name.parse::<Framework>() {
            Ok(f) => frameworks.push(f),
            Err(_) => other_frameworks.push(
                rampart_posture::framework::Framework::builtin(name).with_context(|| {
                    format!(
                        "--framework {name}: unknown (expected pss-baseline, pss-restricted, nsa, cis-kubernetes)"
                    )
                })?,
            ),
        }
    }
    let suppressions = args
        .suppressions
        .iter()
        .map(|p| SuppressionFile::load(p).with_context(|| format!("reading {}", p.display())))
        .collect::<Result<Vec<_>>>()?;

    let started = Instant::now();
    // The policy folders are read and compiled while the objects load.
    let (loaded, policy_dirs) = std::thread::scope(|scope| {
        let policies = scope.spawn(|| load_policy_dirs(&args.policy));
        let loaded = load_objects(args);
        (
            loaded,
            policies
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    });
    let (name, mut loaded) = loaded?;
    let policy_dirs = policy_dirs?;
    let mut report = Report::new(
        Asset::new(AssetKind::Kubernetes, name.clone()),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("load", started.elapsed());
    report.warnings.append(&mut loaded.warnings);
    if !args.out.quiet {
        for note in &loaded.notes {
            eprintln!("note: {}: {}", note.path, note.message);
        }
    }

    // Findings for the strictest level asked for; restricted by default, as kube-score and Polaris do.
    let level = frameworks
        .iter()
        .map(|f| f.level())
        .max()
        .unwrap_or(rampart_kube::pss::Level::Restricted);
    let opts = ScanOptions {
        asset: name,
        version,
        pss_level: Some(level),
        rbac: true,
        suppressions,
        ..ScanOptions::default()
    };
    // The built-in checks run beside the policies' audit. Their findings come first, as when one
    // ran after the other; the report is sorted at the end.
    let ((scanned, checks_time), policy_run) = std::thread::scope(|scope| {
        let checks = scope.spawn(|| {
            let started = Instant::now();
            (
                rampart_kube::scan(&loaded.objects, &opts),
                started.elapsed(),
            )
        });
        let policy_run = run_policy_dirs(policy_dirs, &loaded.objects, &opts.asset);
        (
            checks
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            policy_run,
        )
    });
    let (mut findings, warnings) = scanned;
    let (policy_findings, ran, policy_time) = policy_run?;
    report.time("checks", checks_time);
    report.warnings.extend(warnings);
    // Every (check, resource) the scan evaluated: the JUnit test cases, and the checks a framework
    // control can pass on. Only worked out when something uses it (a 10,000-object snapshot has
    // hundreds of thousands of pairs; the JSON report does not carry them).
    let junit = format == Format::Junit;
    let pairs = if junit || !other_frameworks.is_empty() {
        rampart_kube::scan::evaluated(&loaded.objects, &opts)
    } else {
        Vec::new()
    };
    let mut evaluated: Vec<CheckId> = pairs.iter().map(|(id, _)| CheckId::new(id)).collect();
    evaluated.dedup();
    if let Some(took) = policy_time {
        findings.extend(policy_findings);
        evaluated.extend(ran);
        report.time("policies", took);
    }
    for f in frameworks {
        report.compliance.push(rampart_kube::compliance(
            &loaded.objects,
            &findings,
            f,
            version,
        ));
    }
    for fw in &other_frameworks {
        report
            .compliance
            .push(compliance_summary(fw, &findings, &evaluated));
    }
    if junit {
        report.checks = check_outcomes(&pairs, &findings);
    }
    report.findings = findings;
    output::leave_to_exit(loaded);
    finish(report, format, &args.out)
}

/// The `--policy` folders, each loaded (templates compiled) with its checks' catalogue.
fn load_policy_dirs(dirs: &[PathBuf]) -> Result<Vec<(&Path, UserPolicies, Catalogue)>> {
    dirs.iter()
        .map(|dir| {
            let policies = UserPolicies::load(dir, Limits::default())
                .with_context(|| format!("loading policies from {}", dir.display()))?;
            let mut catalogue = Catalogue::new();
            for meta in policies.check_metas() {
                catalogue.register_policy(meta);
            }
            Ok((dir.as_path(), policies, catalogue))
        })
        .collect()
}

/// What the `--policy` folders found: findings, the checks that ran, and how long that took
/// (`None` when no folder was given).
type PolicyRun = (Vec<rampart_core::Finding>, Vec<CheckId>, Option<Duration>);

/// Runs the loaded `--policy` folders over the objects, borrowed: the policies see them without a
/// second copy.
fn run_policy_dirs(
    dirs: Vec<(&Path, UserPolicies, Catalogue)>,
    objects: &[rampart_kube::KubeObject],
    asset: &str,
) -> Result<PolicyRun> {
    if dirs.is_empty() {
        return Ok((Vec::new(), Vec::new(), None));
    }
    let started = Instant::now();
    let values: Vec<&serde_json::Value> = objects.iter().map(|o| &o.doc).collect();
    let locations: Vec<_> = objects.iter().map(|o| Some(o.source.location())).collect();
    let mut findings = Vec::new();
    let mut evaluated = Vec::new();
    for (dir, mut policies, catalogue) in dirs {
        let (violations, ran) = policies
            .scan_values(&values, &locations)
            .with_context(|| format!("evaluating policies from {}", dir.display()))?;
        findings.extend(catalogue.findings(asset, &violations));
        evaluated.extend(ran);
    }
    Ok((findings, evaluated, Some(started.elapsed())))
}

/// One outcome per evaluated (check, resource): failed when a finding (suppressed or not; JUnit shows
/// a hidden one as skipped) names it, passed otherwise. Findings outside the evaluated pairs (policy
/// folders) are failures of their own rule.
fn check_outcomes(
    pairs: &[(String, String)],
    findings: &[rampart_core::Finding],
) -> Vec<CheckOutcome> {
    let failed: std::collections::HashSet<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.subject.as_str()))
        .collect();
    let mut out: Vec<CheckOutcome> = pairs
        .iter()
        .map(|(rule, subject)| CheckOutcome {
            rule_id: rule.clone(),
            subject: subject.clone(),
            status: if failed.contains(&(rule.as_str(), subject.as_str())) {
                CheckStatus::Fail
            } else {
                CheckStatus::Pass
            },
        })
        .collect();
    let known: std::collections::HashSet<(&str, &str)> = pairs
        .iter()
        .map(|(r, s)| (r.as_str(), s.as_str()))
        .collect();
    out.extend(
        failed
            .iter()
            .filter(|k| !known.contains(*k))
            .map(|(rule, subject)| CheckOutcome {
                rule_id: rule.to_string(),
                subject: subject.to_string(),
                status: CheckStatus::Fail,
            }),
    );
    out.sort();
    out.dedup();
    out
}

/// The objects to check and the target's name: from files or stdin, or with `--live` from the
/// cluster the kubeconfig and `--context` select (named `cluster://CONTEXT`).
fn load_objects(args: &K8sArgs) -> Result<(String, rampart_kube::Loaded)> {
    if args.live {
        let options = rampart_kube::live::LiveOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            ..rampart_kube::live::LiveOptions::default()
        };
        let name = format!(
            "cluster://{}",
            args.context.as_deref().unwrap_or("current-context")
        );
        let loaded =
            rampart_kube::live::load_live(&options).with_context(|| format!("reading {name}"))?;
        return Ok((name, loaded));
    }
    if args.context.is_some() || args.kubeconfig.is_some() {
        bail!("--context and --kubeconfig select a cluster: use them with --live");
    }
    let Some(path) = &args.path else {
        bail!(
            "give a manifest file or folder, `-` for standard input, `--live`, or `rampart k8s node`"
        );
    };
    let name = path.display().to_string();
    let loaded = rampart_kube::load_path(path, &LoadOptions::default())
        .with_context(|| format!("loading {name}"))?;
    Ok((name, loaded))
}

/// `rampart policy verify PATH`: gator-style lines, exit 1 when any case fails.
pub fn policy_verify(args: &PolicyVerifyArgs) -> Result<ExitCode> {
    let suites = rampart_posture::gatekeeper::verify::verify_path(&args.path, Limits::default())
        .with_context(|| format!("verifying {}", args.path.display()))?;
    if suites.is_empty() {
        bail!("no suite.yaml found under {}", args.path.display());
    }
    let mut out = std::io::stdout().lock();
    let mut ok = true;
    for s in &suites {
        out.write_all(s.render().as_bytes())?;
        ok &= s.passed();
    }
    out.flush()?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs the CIS node benchmark on `--root` (default `/`).
fn run_node(args: &K8sNodeArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let catalog = match &args.cfg {
        Some(dir) => rampart_node::Catalog::open(dir.clone())?,
        None => rampart_node::bundled_catalog(&cache_dir())?,
    };
    let procs = match &args.processes {
        Some(file) => rampart_node::ProcessSource::File(file.clone()),
        None => rampart_node::ProcessSource::for_root(&args.root),
    };
    let mut node = rampart_node::Node::new(&args.root, &procs)?;
    if let Some(file) = &args.stat_overrides {
        node = node.with_stat_overrides(file)?;
    }
    let node_name = node.hostname().unwrap_or_else(|| "node".into());
    let started = Instant::now();
    let result = rampart_node::run(
        &catalog,
        &node,
        &rampart_node::RunOptions {
            benchmark: args.benchmark.clone(),
            k8s_version: args.k8s_version.clone(),
            targets: args.targets.clone(),
            allow_shell: args.allow_audit_commands,
            node_name: node_name.clone(),
            ..Default::default()
        },
    )?;
    if format == Format::Table {
        let mut out: Box<dyn Write> = match &args.out.output {
            Some(p) => Box::new(
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
            ),
            None => Box::new(std::io::stdout().lock()),
        };
        out.write_all(result.render_text().as_bytes())?;
        out.flush()?;
    }
    let mut report = Report::new(
        Asset::new(AssetKind::Node, node_name),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("checks", started.elapsed());
    report.findings = result.findings();
    let mut controls = Vec::new();
    for r in result.results() {
        let (status, control) = match r.state {
            rampart_node::State::Pass => (CheckStatus::Pass, ControlStatus::Passed),
            rampart_node::State::Fail => (CheckStatus::Fail, ControlStatus::Failed),
            rampart_node::State::Warn => (CheckStatus::Unknown, ControlStatus::NotApplicable),
            rampart_node::State::Info => (CheckStatus::Skipped, ControlStatus::NotApplicable),
        };
        let subject = format!("{}/{}", r.target, r.id);
        report.checks.push(CheckOutcome {
            rule_id: format!("{}/{}", result.benchmark, r.id),
            subject: subject.clone(),
            status,
        });
        controls.push(ControlResult {
            id: r.id.clone(),
            title: r.text.clone(),
            status: control,
            failing: if status == CheckStatus::Fail {
                vec![subject]
            } else {
                vec![]
            },
        });
    }
    report.compliance.push(ComplianceSummary::from_controls(
        result.framework.clone(),
        format!("CIS Kubernetes Benchmark ({})", result.benchmark),
        Some(result.benchmark.clone()),
        controls,
    ));
    if format == Format::Table {
        let t = result.totals();
        if !args.out.quiet {
            eprintln!(
                "{} checks: {} pass, {} fail, {} warn ({} need --allow-audit-commands), {} info",
                t.pass + t.fail + t.warn + t.info,
                t.pass,
                t.fail,
                t.warn,
                t.uninterpreted,
                t.info
            );
        }
        report.finish();
        return output::exit_code(&report, &args.out);
    }
    finish(report, format, &args.out)
}

/// Applies the severity filter, writes the report and picks the exit code (a failed compliance
/// control counts as a failure for `--exit-code`, whatever `--fail-on` says).
fn finish(mut report: Report, format: Format, out: &OutputArgs) -> Result<ExitCode> {
    output::apply_severity_filter(&mut report, &out.severity)?;
    report.finish();
    output::write_report(&report, format, out)?;
    let code = if out.exit_code != 0 && report.compliance.iter().any(|c| c.any_failed()) {
        ExitCode::from(out.exit_code)
    } else {
        output::exit_code(&report, out)?
    };
    output::leave_to_exit(report);
    Ok(code)
}
