//! `rampart sbom`: write an SBOM for a target, or scan one.
//!
//! The packages come from the scan pipeline's catalog step ([`scan::inventory`]), so an image's SBOM
//! is the same analysis `rampart image` makes (same cache, same layer attribution, same limits).

use crate::args::{SbomArgs, SbomCommand};
use crate::image_cmd::ImageContext;
use crate::output::{OutputArgs, write_report};
use crate::scan::{self, Scanners, Target};
use anyhow::{Result, bail};
use rampart_report::Format;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(args: &SbomArgs) -> Result<ExitCode> {
    if let Some(SbomCommand::Scan(a)) = &args.command {
        return scan::run(Target::Sbom(a.file.clone()), &a.scan);
    }
    let Some(path) = &args.target else {
        bail!("give an image, folder or lockfile to describe, or `rampart sbom scan FILE`");
    };
    let format = match args.format.to_ascii_lowercase().as_str() {
        "cyclonedx" | "cdx" => Format::CycloneDx,
        "spdx" | "spdx-json" => Format::Spdx,
        other => bail!("unknown SBOM format {other:?} (expected cyclonedx or spdx)"),
    };
    let target = target_of(path, args)?;
    let inventory = scan::inventory(&target, &Scanners::PACKAGES, args.quiet, None);
    let (mut report, packages) = match (&target, inventory) {
        (Target::Image { reference, .. }, Err(e)) if !has_transport(reference) => {
            return Err(e.context(format!(
                "{reference:?} is not a file or folder here, so it was read as a registry reference"
            )));
        }
        (_, r) => r?,
    };
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

/// A folder with an os-release file is a root filesystem, another existing path a project folder or
/// lockfile; anything else an image reference.
fn target_of(path: &Path, args: &SbomArgs) -> Result<Target> {
    if path.symlink_metadata().is_ok() {
        return Ok(if path.is_dir() && has_os_release(path) {
            Target::Rootfs(path.to_path_buf())
        } else {
            Target::Filesystem(path.to_path_buf())
        });
    }
    let reference = match path.to_str() {
        Some(r) if !["/", "./", "../", "~"].iter().any(|p| r.starts_with(p)) => r,
        _ => bail!("{} does not exist", path.display()),
    };
    let analyze = args.source.analyze_options_with(&args.limits)?;
    Ok(Target::Image {
        reference: reference.to_string(),
        context: Arc::new(ImageContext::new(analyze, Arc::new(Vec::new()))),
    })
}

/// Whether the reference names its transport (`oci:`, `podman:`, …) rather than being a bare
/// registry reference (which a mistyped path also looks like).
fn has_transport(reference: &str) -> bool {
    [
        "oci:",
        "oci-archive:",
        "docker-archive:",
        "podman:",
        "docker://",
        "registry:",
    ]
    .iter()
    .any(|p| reference.starts_with(p))
}

fn has_os_release(root: &Path) -> bool {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .any(|p| root.join(p).symlink_metadata().is_ok())
}
