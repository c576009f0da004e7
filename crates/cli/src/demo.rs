//! `rampart demo`: builds the bundled database snapshot and scans the bundled sample estate with it.

use crate::args::{DemoArgs, ScanArgs};
use crate::db_cmd::{build_from, cache_dir};
use crate::output::{OutputArgs, write_report};
use crate::scan::{Target, scan};
use anyhow::Result;
use rampart_report::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// The repository's `examples/` folder (the demo runs from a source checkout).
fn examples_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

pub fn run(a: &DemoArgs) -> Result<ExitCode> {
    let format: Format = a.format.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let examples = examples_dir();
    let db_path = cache_dir().join("demo").join("rampart-demo.db");
    let summary = build_from(&examples.join("vulndb"), &db_path, true)?;
    eprintln!(
        "Built the demo database {} from the bundled snapshot (examples/vulndb): {} advisories.",
        db_path.display(),
        summary.metadata.advisories
    );
    let db = rampart_vuln::Database::open(&db_path)?;
    let args = ScanArgs {
        out: OutputArgs {
            format: a.format.clone(),
            output: None,
            severity: vec![],
            exit_code: 0,
            fail_on: "unknown".into(),
            quiet: true,
        },
        db: Some(db_path.clone()),
        offline: true,
        vex: vec![examples.join("vex/demo.openvex.json")]
            .into_iter()
            .filter(|p| p.is_file())
            .collect(),
        ignore_file: None,
        ignore_unfixed: false,
        max_db_age: u64::MAX,
        scanners: vec![],
        secret_config: None,
    };
    let targets = [
        (
            "Debian 11 root filesystem",
            Target::Rootfs(examples.join("rootfs-debian11")),
        ),
        (
            "Alpine 3.10 root filesystem",
            Target::Rootfs(examples.join("rootfs-alpine310")),
        ),
        (
            "Project folder",
            Target::Filesystem(examples.join("project")),
        ),
    ];
    for (title, target) in targets {
        eprintln!("\n=== {title} ===");
        let report = scan(&target, &args, &db)?;
        write_report(&report, format, &args.out)?;
    }
    Ok(ExitCode::SUCCESS)
}
