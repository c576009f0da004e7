//! `rampart rbac`: Kubernetes RBAC entitlements of manifests or a snapshot — who can do what, what a
//! subject can do, risky grants and escalation paths.

use crate::output::{self, Extras, OutputArgs};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rampart_core::{Asset, AssetKind, Report};
use rampart_kube::rbac::{EscalationPath, Grant, Rule, Subject};
use rampart_kube::{KubeObject, LoadOptions};
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// `rampart rbac …`.
#[derive(Debug, Subcommand)]
pub enum RbacCommand {
    /// Subjects allowed VERB on RESOURCE, with the binding and role that allow it (like kubectl
    /// who-can). RESOURCE is `resource[.group][/subresource]` or a non-resource URL (`/metrics`).
    WhoCan(WhoCanArgs),
    /// Every rule SUBJECT holds, with binding, role and scope (like `kubectl auth can-i --list`).
    /// SUBJECT: `system:serviceaccount:NS:NAME`, `serviceaccount:NS/NAME`, `user:NAME`, `group:NAME`.
    Can(CanArgs),
    /// Risky grants as findings (secrets, escalate/bind, impersonation, pod exec, wildcards, public
    /// bindings…) and privilege-escalation paths hop by hop.
    Analyze(RbacAnalyzeArgs),
}

/// A live cluster instead of files: `--live [--context NAME] [--kubeconfig FILE]`.
#[derive(Debug, Args, Clone)]
pub struct LiveFlags {
    /// Read Roles, ClusterRoles, bindings, service accounts and pods from the cluster (kubeconfig
    /// rules as kubectl; in-cluster service account last).
    #[arg(long)]
    pub live: bool,
    /// Kubeconfig context (default: its current-context).
    #[arg(long, value_name = "NAME", requires = "live")]
    pub context: Option<String>,
    /// Kubeconfig file (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE", requires = "live")]
    pub kubeconfig: Option<PathBuf>,
}

/// Where the RBAC objects come from and how plain answers are printed.
#[derive(Debug, Args)]
pub struct RbacInput {
    /// Manifest files or folders, snapshot folders (`kubectl get -o json` lists), or `-` for standard
    /// input.
    #[arg(
        required_unless_present = "live",
        conflicts_with = "live",
        value_name = "PATH"
    )]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub cluster: LiveFlags,
    /// text or json.
    #[arg(long, short = 'f', default_value = "text")]
    pub format: String,
    /// No notes or warnings on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Flags of `rampart rbac who-can`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// get, list, watch, create, update, patch, delete, impersonate, escalate, bind, …
    pub verb: String,
    /// `pods`, `pods/exec`, `deployments.apps`, `/metrics`.
    pub resource: String,
    /// Namespace of the request (default: a cluster-wide request, which namespaced bindings do not grant).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Name of the object (for rules restricted by resourceNames).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub input: RbacInput,
}

/// Flags of `rampart rbac can`.
#[derive(Debug, Args)]
pub struct CanArgs {
    /// The subject: `system:serviceaccount:NS:NAME`, `user:NAME`, `group:NAME`.
    pub subject: String,
    #[command(flatten)]
    pub input: RbacInput,
}

/// Flags of `rampart rbac analyze`.
#[derive(Debug, Args)]
pub struct RbacAnalyzeArgs {
    /// Manifest files or folders, snapshot folders, or `-` for standard input.
    #[arg(
        required_unless_present = "live",
        conflicts_with = "live",
        value_name = "PATH"
    )]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub cluster: LiveFlags,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub fn run(cmd: &RbacCommand) -> Result<ExitCode> {
    match cmd {
        RbacCommand::WhoCan(a) => who_can(a),
        RbacCommand::Can(a) => can(a),
        RbacCommand::Analyze(a) => analyze(a),
    }
}

/// The input's name in reports: the paths, or `cluster://CONTEXT`.
fn input_name(paths: &[PathBuf], cluster: &LiveFlags) -> String {
    match cluster.live {
        true => format!(
            "cluster://{}",
            cluster.context.as_deref().unwrap_or("current-context")
        ),
        false => paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Loads every path (at most one `-`), or the live cluster; load warnings and notes go to standard
/// error unless `quiet`.
fn load(
    paths: &[PathBuf],
    cluster: &LiveFlags,
    quiet: bool,
) -> Result<(Vec<KubeObject>, Vec<rampart_core::ScanWarning>)> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!("standard input (`-`) can be given once");
    }
    let mut objects = Vec::new();
    let mut warnings = Vec::new();
    let live = cluster.live.then(|| rampart_kube::live::LiveOptions {
        kubeconfig: cluster.kubeconfig.clone(),
        context: cluster.context.clone(),
        ..rampart_kube::live::LiveOptions::default()
    });
    let sources: Vec<Option<&PathBuf>> = match live {
        Some(_) => vec![None],
        None => paths.iter().map(Some).collect(),
    };
    for p in sources {
        let loaded = match (p, &live) {
            (Some(p), _) => rampart_kube::load_path(p, &LoadOptions::default())
                .with_context(|| format!("loading {}", p.display()))?,
            (None, Some(o)) => rampart_kube::live::load_live(o)
                .with_context(|| format!("reading {}", input_name(paths, cluster)))?,
            (None, None) => continue,
        };
        objects.extend(loaded.objects);
        warnings.extend(loaded.warnings);
        if !quiet {
            for note in &loaded.notes {
                eprintln!("note: {}: {}", note.path, note.message);
            }
        }
    }
    Ok((objects, warnings))
}

fn check_text_format(format: &str) -> Result<()> {
    if !matches!(format, "text" | "json") {
        bail!("--format {format}: expected text or json");
    }
    Ok(())
}

fn print_warnings(warnings: &[rampart_core::ScanWarning], quiet: bool) {
    if quiet {
        return;
    }
    for w in warnings {
        match w.line {
            Some(l) => eprintln!("warning: {}:{l}: {}", w.path, w.message),
            None => eprintln!("warning: {}: {}", w.path, w.message),
        }
    }
}

fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn who_can(args: &WhoCanArgs) -> Result<ExitCode> {
    check_text_format(&args.input.format)?;
    let (objects, warnings) = load(&args.input.paths, &args.input.cluster, args.input.quiet)?;
    let rbac = rampart_kube::rbac::analyze_objects(&objects);
    print_warnings(&warnings, args.input.quiet);
    print_warnings(&rbac.model.warnings, args.input.quiet);
    let req = rampart_kube::rbac::Request::parse(
        &args.verb,
        &args.resource,
        args.namespace.as_deref(),
        args.name.as_deref(),
    );
    let hits = rbac.who_can(&req);
    let scope = args
        .namespace
        .as_ref()
        .map_or("cluster-wide".to_string(), |ns| {
            format!("in namespace {ns}")
        });
    let text = if args.input.format == "json" {
        let rows: Vec<Json> = hits
            .iter()
            .map(|(s, binding, role)| {
                json!({"subject": s.to_string(), "binding": binding, "role": role})
            })
            .collect();
        serde_json::to_string_pretty(&json!({
            "verb": args.verb, "resource": args.resource, "namespace": args.namespace,
            "name": args.name, "subjects": rows,
        }))? + "\n"
    } else if hits.is_empty() {
        format!("No subject can {} {} {scope}.\n", args.verb, args.resource)
    } else {
        let mut s = format!(
            "{} subject(s) can {} {} {scope}:\n",
            hits.len(),
            args.verb,
            args.resource
        );
        let w = hits
            .iter()
            .map(|h| h.0.to_string().len())
            .max()
            .unwrap_or(0);
        for (subject, binding, role) in &hits {
            s.push_str(&format!(
                "  {:<w$}  via {binding} → {role}\n",
                subject.to_string()
            ));
        }
        s
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn rule_text(r: &Rule) -> String {
    let list = |v: &[String]| v.join(",");
    if !r.non_resource_urls.is_empty() {
        return format!("{} {}", list(&r.verbs), list(&r.non_resource_urls));
    }
    let groups: Vec<String> = r
        .api_groups
        .iter()
        .map(|g| {
            if g.is_empty() {
                "core".into()
            } else {
                g.clone()
            }
        })
        .collect();
    let mut s = format!(
        "{} {} (apiGroups {})",
        list(&r.verbs),
        list(&r.resources),
        groups.join(",")
    );
    if !r.resource_names.is_empty() {
        s.push_str(&format!(" names {}", list(&r.resource_names)));
    }
    s
}

fn grant_json(g: &Grant) -> Json {
    json!({
        "via_subject": g.subject.to_string(),
        "binding": g.binding,
        "role": g.role,
        "namespace": g.scope,
        "verbs": g.rule.verbs,
        "api_groups": g.rule.api_groups,
        "resources": g.rule.resources,
        "resource_names": g.rule.resource_names,
        "non_resource_urls": g.rule.non_resource_urls,
    })
}

fn can(args: &CanArgs) -> Result<ExitCode> {
    check_text_format(&args.input.format)?;
    let (objects, warnings) = load(&args.input.paths, &args.input.cluster, args.input.quiet)?;
    print_warnings(&warnings, args.input.quiet);
    let subject = Subject::parse(&args.subject);
    let rbac = rampart_kube::rbac::analyze_objects(&objects);
    print_warnings(&rbac.model.warnings, args.input.quiet);
    let grants = rbac.can(&subject);
    let text = if args.input.format == "json" {
        serde_json::to_string_pretty(&json!({
            "subject": subject.to_string(),
            "grants": grants.iter().map(grant_json).collect::<Vec<_>>(),
        }))? + "\n"
    } else if grants.is_empty() {
        format!("{subject} holds no rules in these objects.\n")
    } else {
        let mut s = format!("{subject} holds {} rule(s):\n", grants.len());
        let mut last = String::new();
        for g in &grants {
            let head = format!(
                "  {} via {} → {}{}",
                g.scope_label(),
                g.binding,
                g.role,
                if g.subject == subject {
                    String::new()
                } else {
                    format!(" (as {})", g.subject)
                }
            );
            if head != last {
                s.push_str(&head);
                s.push('\n');
                last = head;
            }
            s.push_str(&format!("      {}\n", rule_text(&g.rule)));
        }
        s
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn path_json(p: &EscalationPath) -> Json {
    json!({
        "start": p.start.to_string(),
        "hops": p.hops.iter().map(|h| json!({
            "from": h.from.to_string(),
            "to": h.to.as_ref().map_or("cluster-admin-equivalent".to_string(), |s| s.to_string()),
            "permission": h.permission,
        })).collect::<Vec<_>>(),
    })
}

fn analyze(args: &RbacAnalyzeArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let started = Instant::now();
    let (objects, warnings) = load(&args.paths, &args.cluster, args.out.quiet)?;
    let name = input_name(&args.paths, &args.cluster);
    let mut report = Report::new(
        Asset::new(AssetKind::Kubernetes, name),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("load", started.elapsed());
    let started = Instant::now();
    let analysis = rampart_kube::rbac::analyze(&objects);
    report.time("rbac", started.elapsed());
    report.findings = analysis.findings;
    report.warnings = warnings;
    report.warnings.extend(analysis.warnings);
    let mut trailer = String::new();
    if !analysis.paths.is_empty() {
        trailer.push_str(&format!(
            "Privilege-escalation paths ({}):\n",
            analysis.paths.len()
        ));
        for p in &analysis.paths {
            trailer.push_str(&p.to_string());
        }
    }
    let extras = Extras {
        table_trailer: trailer,
        json: vec![(
            "escalation_paths",
            Json::Array(analysis.paths.iter().map(path_json).collect()),
        )],
    };
    output::apply_severity_filter(&mut report, &args.out.severity)?;
    report.finish();
    output::write_report_with(&report, format, &args.out, &extras)?;
    output::exit_code(&report, &args.out)
}
