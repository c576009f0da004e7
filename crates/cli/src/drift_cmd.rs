//! `rampart drift`: declared resources (Terraform or CloudFormation folder, plan JSON, Terraform state)
//! against the live AWS account: changed attributes, resources only declared, unmanaged live resources.

use crate::cloud_cmd::{AwsFlags, account_of, collect};
use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Args};
use rampart_cloud::Inventory;
use rampart_iac::drift::DriftReport;
use rampart_iac::{Resource, ResourceSet};
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Flags of `rampart drift`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("declared").required(true).args(["iac", "plan", "state"])))]
pub struct DriftArgs {
    /// Folder of Terraform (HCL, JSON) or CloudFormation declaring the resources.
    #[arg(long, value_name = "DIR")]
    pub iac: Option<PathBuf>,
    /// Terraform plan JSON (`terraform show -json plan.out`).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Terraform state (`terraform.tfstate`, or `terraform show -json` of it).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Where the live resources come from: aws.
    #[arg(long, default_value = "aws", value_name = "PROVIDER")]
    pub live: String,
    /// Compare against an inventory written by `rampart cloud aws --inventory FILE` instead of
    /// collecting now.
    #[arg(long, value_name = "FILE")]
    pub live_inventory: Option<PathBuf>,
    /// Terraform variable file for --iac (repeatable).
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    #[command(flatten)]
    pub aws: AwsFlags,
    /// table or json.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with this code when a declared resource changed or is missing live.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub exit_code: u8,
    /// Count unmanaged (live-only) resources as drift for --exit-code too.
    #[arg(long)]
    pub fail_on_unmanaged: bool,
    /// No progress on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(args: &DriftArgs) -> Result<ExitCode> {
    if args.live != "aws" {
        bail!("--live {}: only aws is supported", args.live);
    }
    if !matches!(args.format.as_str(), "table" | "json") {
        bail!("--format {}: drift writes table or json", args.format);
    }
    let (source, declared, state) = declared(args)?;
    let inventory = match &args.live_inventory {
        Some(path) => read_inventory(path)?,
        None => collect(&args.aws)?,
    };
    let live_name = format!("aws:{}", account_of(&inventory));
    if !args.quiet {
        eprintln!(
            "{} declared resources, {} live resources ({} could not be read)",
            declared.all().len(),
            inventory.resources.len(),
            inventory.warnings.len()
        );
    }
    let mut drift = rampart_cloud::drift(&declared, &inventory);
    if state {
        // State and a plan's planned values record every attribute (`force_destroy`, `tags_all`…);
        // the collector reads only those the checks need, so an attribute missing live says
        // nothing about drift.
        for (_, _, changes) in &mut drift.changed {
            changes.retain(|c| c.live.is_some());
        }
        drift.changed.retain(|(_, _, c)| !c.is_empty());
    }
    let text = match args.format.as_str() {
        "json" => {
            let doc = json!({
                "declared": source,
                "live": live_name,
                "drift": drift,
                "collection_warnings": inventory.warnings,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        _ => render_table(&source, &live_name, &drift),
    };
    match &args.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    let drifted = !drift.changed.is_empty()
        || !drift.only_declared.is_empty()
        || (args.fail_on_unmanaged && !drift.only_live.is_empty());
    Ok(if drifted && args.exit_code != 0 {
        ExitCode::from(args.exit_code)
    } else {
        ExitCode::SUCCESS
    })
}

/// The declared resources, a name for them, and whether they record every attribute (state, plan).
fn declared(args: &DriftArgs) -> Result<(String, ResourceSet, bool)> {
    if let Some(state) = &args.state {
        let resources = load_state(state)?;
        return Ok((
            state.display().to_string(),
            ResourceSet::new(resources),
            true,
        ));
    }
    let path = args
        .iac
        .as_ref()
        .or(args.plan.as_ref())
        .context("give --iac DIR, --plan FILE or --state FILE")?;
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    let scanned = rampart_iac::scan_dir(
        path,
        &rampart_iac::Options {
            vars: rampart_iac::VarInputs {
                var_files: args.var_file.clone(),
                vars: Vec::new(),
            },
            skip_checks: Vec::new(),
        },
    );
    if args.plan.is_some() && scanned.resources.is_empty() {
        bail!(
            "{}: no resources (is it `terraform show -json` output of a plan?)",
            path.display()
        );
    }
    if !args.quiet {
        for w in &scanned.warnings {
            eprintln!("warning: {}: {}", w.path, w.message);
        }
    }
    Ok((
        path.display().to_string(),
        ResourceSet::new(scanned.resources),
        args.plan.is_some(),
    ))
}

fn read_inventory(path: &Path) -> Result<Inventory> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Json =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let resources: Vec<Resource> = serde_json::from_value(
        doc.get("resources")
            .cloned()
            .with_context(|| format!("{}: no `resources` list", path.display()))?,
    )
    .with_context(|| format!("{}: reading resources", path.display()))?;
    Ok(Inventory {
        resources,
        ..Inventory::default()
    })
}

/// Reads Terraform state: `terraform show -json` output (`values.root_module`, the shape of a plan's
/// `planned_values`) or a raw `terraform.tfstate` (version 4: `resources[].instances[].attributes`),
/// through the plan loader.
fn load_state(path: &Path) -> Result<Vec<Resource>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Json =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let values = match doc.get("values") {
        Some(v) => v.clone(),
        None => json!({ "root_module": { "resources": raw_state_resources(&doc) } }),
    };
    let plan = json!({ "format_version": "1.0", "planned_values": values });
    let rel = path.display().to_string();
    let resources = rampart_iac::terraform::plan::load(&rel, &text, &plan);
    if resources.is_empty() {
        bail!("{}: no managed resources in this state", path.display());
    }
    Ok(resources)
}

/// The managed resource instances of a raw state file, as plan `resources` entries.
fn raw_state_resources(doc: &Json) -> Vec<Json> {
    let mut out = Vec::new();
    for r in doc
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or_default();
        let prefix = match s("module") {
            "" => String::new(),
            m => format!("{m}."),
        };
        for inst in r
            .get("instances")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let index = match inst.get("index_key") {
                Some(Json::Number(n)) => format!("[{n}]"),
                Some(Json::String(k)) => format!("[{k:?}]"),
                _ => String::new(),
            };
            out.push(json!({
                "address": format!("{prefix}{}.{}{index}", s("type"), s("name")),
                "mode": s("mode"),
                "type": s("type"),
                "name": s("name"),
                "values": inst.get("attributes").cloned().unwrap_or(Json::Null),
            }));
        }
    }
    out
}

fn show(v: Option<&Json>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let s = v.to_string();
            match s.char_indices().nth(120) {
                Some((i, _)) => format!("{}…", &s[..i]),
                None => s,
            }
        }
    }
}

fn render_table(source: &str, live: &str, d: &DriftReport) -> String {
    let mut s = format!("Drift: {source} (declared) against {live} (live)\n");
    s.push_str(&format!("\nChanged ({}):\n", d.changed.len()));
    for (declared, live_addr, changes) in &d.changed {
        s.push_str(&format!("  {declared}  (live {live_addr})\n"));
        for c in changes {
            s.push_str(&format!(
                "    {}: declared {}, live {}\n",
                c.path,
                show(Some(&c.declared)),
                show(c.live.as_ref())
            ));
        }
    }
    let mut list = |title: &str, items: &[String]| {
        s.push_str(&format!("\n{title} ({}):\n", items.len()));
        for i in items {
            s.push_str(&format!("  {i}\n"));
        }
    };
    list("Only in IaC (missing live)", &d.only_declared);
    list("Unmanaged (live only)", &d.only_live);
    if !d.unmatched.is_empty() {
        list(
            "Not compared (identity unknown statically or type not matched)",
            &d.unmatched,
        );
    }
    s.push_str(&format!(
        "\n{} changed, {} only in IaC, {} unmanaged\n",
        d.changed.len(),
        d.only_declared.len(),
        d.only_live.len()
    ));
    s
}
