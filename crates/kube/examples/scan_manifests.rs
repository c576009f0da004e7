//! Library use: load a manifest path (or `-` for stdin), scan it, print a PSS compliance summary.
//!
//! `cargo run -p rampart-kube --example scan_manifests -- PATH [pss-baseline|pss-restricted] [1.N]`

use rampart_kube::{
    Framework, LoadOptions, PolicyVersion, ScanOptions, compliance, load_path, scan,
};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: scan_manifests PATH [pss-baseline|pss-restricted] [1.N]");
        return ExitCode::from(2);
    };
    let framework: Framework = match args.get(1).map(|s| s.parse()).transpose() {
        Ok(f) => f.unwrap_or(Framework::PssBaseline),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let version: PolicyVersion = match args.get(2).map(|s| s.parse()).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let loaded = match load_path(Path::new(path), &LoadOptions::default()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for w in &loaded.warnings {
        eprintln!("warning: {}:{}: {}", w.path, w.line.unwrap_or(0), w.message);
    }
    let options = ScanOptions {
        asset: path.clone(),
        version,
        pss_level: Some(framework.level()),
        ..ScanOptions::default()
    };
    let loaded_at = started.elapsed();
    let (findings, warnings) = scan(&loaded.objects, &options);
    let scanned_at = started.elapsed();
    for w in &warnings {
        eprintln!("warning: {}: {}", w.path, w.message);
    }
    let active = findings.iter().filter(|f| !f.is_suppressed()).count();
    let summary = compliance(&loaded.objects, &findings, framework, version);
    println!(
        "{} objects, {} findings ({} suppressed); {} {}: {} passed, {} failed, {} n/a, score {}",
        loaded.objects.len(),
        active,
        findings.len() - active,
        summary.framework,
        summary.version.as_deref().unwrap_or(""),
        summary.passed,
        summary.failed,
        summary.not_applicable,
        summary.score
    );
    eprintln!(
        "load {:?}, scan {:?}, summary {:?}",
        loaded_at,
        scanned_at - loaded_at,
        started.elapsed() - scanned_at
    );
    if summary.any_failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
