//! Analyses one image and prints a summary: `cargo run -p rampart-image --example image_scan -- REF
//! [--json] [--platform os/arch]`. Used by `bench/image.sh`.

use rampart_image::{AnalyzeOptions, ImageRef, Platform, analyze};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(reference) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: image_scan REF [--json] [--platform os/arch[/variant]]");
        return ExitCode::from(2);
    };
    let mut opts = AnalyzeOptions::default();
    if let Some(i) = args.iter().position(|a| a == "--platform") {
        match args.get(i + 1).map(|p| Platform::parse(p)) {
            Some(Ok(p)) => opts.platform = p,
            _ => {
                eprintln!("--platform needs os/arch[/variant]");
                return ExitCode::from(2);
            }
        }
    }
    let result = ImageRef::parse(reference).and_then(|r| analyze(&r, &opts, None));
    let analysis = match result {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let findings = analysis.config_findings();
    if args.iter().any(|a| a == "--json") {
        let out = serde_json::json!({
            "image": analysis.image,
            "os": analysis.inventory.os,
            "packages": analysis.inventory.packages,
            "warnings": analysis.inventory.warnings,
            "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    let image = &analysis.image;
    println!(
        "{} config {} {}",
        image.reference,
        image.config_digest.short(),
        image.platform
    );
    if let Some(os) = &analysis.inventory.os {
        println!("os: {}", os.display_name());
    }
    for l in &image.layers {
        println!(
            "layer {} {} {} -> {} bytes, {} entries: {}",
            l.index,
            l.diff_id.short(),
            l.size,
            l.uncompressed_size,
            l.entries,
            l.created_by.as_deref().unwrap_or("-")
        );
    }
    let mut per_layer = std::collections::BTreeMap::new();
    for p in &analysis.inventory.packages {
        *per_layer
            .entry(p.layer.as_ref().map(|l| l.index))
            .or_insert(0usize) += 1;
    }
    println!(
        "packages: {} {:?}",
        analysis.inventory.packages.len(),
        per_layer
    );
    println!("warnings: {}", analysis.inventory.warnings.len());
    for f in &findings {
        println!("{} {:?} {} [{}]", f.rule_id, f.severity, f.title, f.subject);
    }
    ExitCode::SUCCESS
}
