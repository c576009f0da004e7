//! The `rampart` command: argument definitions and wiring only. Every behaviour lives in a library crate.

mod args;
mod cloud_cmd;
mod db_cmd;
mod demo;
mod drift_cmd;
mod iac_cmd;
mod iam_cmd;
mod image_cmd;
mod k8s_cmd;
mod output;
mod progress;
mod rbac_cmd;
mod registry_cmd;
mod runtime_cmd;
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
        args::Command::Image(a) => image_cmd::run(&a),
        args::Command::Registry(c) => registry_cmd::run(&c),
        args::Command::Db(db) => db_cmd::run(db),
        args::Command::Sbom(a) => sbom_cmd::run(&a),
        args::Command::K8s(a) => k8s_cmd::run(&a),
        args::Command::Iam(args::IamCommand::Analyze(a)) => iam_cmd::analyze(&a),
        args::Command::Iam(args::IamCommand::LeastPrivilege(a)) => iam_cmd::least_privilege(&a),
        args::Command::Runtime(c) => runtime_cmd::run(&c),
        args::Command::Policy(args::PolicyCommand::Verify(a)) => k8s_cmd::policy_verify(&a),
        args::Command::Iac(a) => iac_cmd::run(&a),
        args::Command::Cloud(c) => cloud_cmd::run(&c),
        args::Command::Drift(a) => drift_cmd::run(&a),
        args::Command::Rbac(c) => rbac_cmd::run(&c),
        args::Command::Demo(a) => demo::run(&a),
    };
    match result {
        Ok(code) => code,
        // `rampart … | head`: the reader went away; that is not an error of ours.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.to_string().contains("Broken pipe")
    })
}
