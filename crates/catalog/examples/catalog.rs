//! Catalogs a directory (or one file) and prints the packages found.
//!
//! `cargo run -p rampart-catalog --example catalog -- /path/to/rootfs`

use rampart_catalog::{Mode, WalkOptions, catalog_dir, catalog_file};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let opts = WalkOptions {
        mode: Mode::Rootfs,
        skip_dirs: vec!["proc".into(), "sys".into(), "dev".into()],
        ..WalkOptions::default()
    };
    let inv = if path.is_file() {
        catalog_file(&path, &opts)?
    } else {
        catalog_dir(&path, &opts, &|n| eprint!("\r{n} files"))?
    };
    eprintln!();
    if let Some(os) = &inv.os {
        println!("os: {}", os.display_name());
    }
    for p in &inv.packages {
        let at = p
            .locations
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        println!("{:<6} {:<40} {:<24} {}", p.ecosystem, p.name, p.version, at);
    }
    for w in &inv.warnings {
        eprintln!(
            "warning: {}{}: {}",
            w.path,
            w.line.map(|l| format!(":{l}")).unwrap_or_default(),
            w.message
        );
    }
    println!(
        "{} packages, {} files walked, {} read",
        inv.packages.len(),
        inv.files_walked,
        inv.files_read
    );
    Ok(())
}
