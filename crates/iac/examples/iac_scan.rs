//! Scans a directory and prints the report as JSON (what `rampart iac DIR --format json` will print).
//!
//! `cargo run -p rampart-iac --example iac_scan -- DIR [--var-file F] [--var k=v] [--summary]`

use rampart_iac::{Options, scan_dir};
use std::path::PathBuf;

/// Prints the check catalogue as a Markdown table (for docs/iac.md).
fn print_catalogue() {
    println!("| Id | Severity | Title | Resource types | CIS AWS v3.0 |");
    println!("|---|---|---|---|---|");
    for c in rampart_iac::checks::all() {
        println!(
            "| {} | {} | {} | {} | {} |",
            c.id,
            c.severity.label(),
            c.title.replace('|', "\\|"),
            c.resource_types.join(", "),
            c.cis.join(", ")
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut options = Options::default();
    let mut summary = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--var-file" => options
                .vars
                .var_files
                .extend(args.next().map(PathBuf::from)),
            "--var" => {
                if let Some((k, v)) = args.next().as_deref().and_then(|kv| kv.split_once('=')) {
                    options.vars.vars.push((k.to_string(), v.to_string()));
                }
            }
            "--summary" => summary = true,
            "--catalogue" => {
                print_catalogue();
                return;
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: iac_scan DIR [--var-file F] [--var k=v] [--summary] | --catalogue");
        std::process::exit(2);
    };
    let report = scan_dir(&dir, &options);
    if summary {
        println!(
            "resources={} findings={} unknowns={} warnings={} kubernetes_files={}",
            report.resources.len(),
            report.findings.len(),
            report.unknowns.len(),
            report.warnings.len(),
            report.kubernetes_files.len()
        );
        return;
    }
    match serde_json::to_string_pretty(&report) {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("cannot render report: {e}");
            std::process::exit(1);
        }
    }
    if !report.findings.is_empty() {
        std::process::exit(1);
    }
}
