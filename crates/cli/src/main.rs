//! The `rampart` command: argument definitions and wiring only. Every behaviour lives in a library crate.

mod args;
mod db_cmd;
mod demo;
mod progress;
mod sbom_cmd;
mod scan;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Rootfs(a) => scan::run(scan::Target::Rootfs(a.dir.clone()), &a.scan),
        args::Command::Fs(a) => scan::run(scan::Target::Filesystem(a.path.clone()), &a.scan),
        args::Command::Host(a) => scan::run(scan::Target::Host, &a.scan),
        args::Command::Db(db) => db_cmd::run(db),
        args::Command::Sbom(a) => sbom_cmd::run(&a),
        args::Command::Demo(a) => demo::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
