//! `rampart sbom`: write an SBOM for a target, or scan one.

use crate::args::{SbomArgs, SbomCommand};
use crate::output::{OutputArgs, write_report};
use crate::scan::{self, Target};
use anyhow::{Result, bail};
use rampart_report::Format;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: &SbomArgs) -> Result<ExitCode> {
    if let Some(SbomCommand::Scan(a)) = &args.command {
        return scan::run(Target::Sbom(a.file.clone()), &a.scan);
    }
    let Some(path) = &args.target else {
        bail!("give a folder or lockfile to describe, or `rampart sbom scan FILE`");
    };
    let format = match args.format.to_ascii_lowercase().as_str() {
        "cyclonedx" | "cdx" => Format::CycloneDx,
        "spdx" | "spdx-json" => Format::Spdx,
        other => bail!("unknown SBOM format {other:?} (expected cyclonedx or spdx)"),
    };
    let target = if path.is_dir() && has_os_release(path) {
        Target::Rootfs(path.clone())
    } else {
        Target::Filesystem(path.clone())
    };
    let (mut report, packages) = scan::inventory(&target, args.quiet, None)?;
    report.packages = packages;
    report.finish();
    if !args.quiet {
        for w in &report.warnings {
            eprintln!("warning: {}: {}", w.path, w.message);
        }
    }
    let out = OutputArgs {
        format: format.name().into(),
        output: args.output.clone(),
        severity: Vec::new(),
        exit_code: 0,
        fail_on: "unknown".into(),
        quiet: args.quiet,
    };
    write_report(&report, format, &out)?;
    Ok(ExitCode::SUCCESS)
}

fn has_os_release(root: &Path) -> bool {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .any(|p| root.join(p).symlink_metadata().is_ok())
}
