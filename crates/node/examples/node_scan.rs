//! Runs the node checks the way `rampart k8s node` does and prints kube-bench's text layout, then the
//! audits of the benchmark that the interpreter cannot answer without a shell.
//!
//! `cargo run -p rampart-node --example node_scan -- CFG_DIR [ROOT [PROCESS_LIST [STAT_OVERRIDES]]]`

use rampart_node::{Catalog, Node, ProcessSource, RunOptions, run};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cfg = args
        .next()
        .ok_or("usage: node_scan CFG_DIR [ROOT [PROCESS_LIST [STAT_OVERRIDES]]]")?;
    let root = PathBuf::from(args.next().unwrap_or_else(|| "/".into()));
    let procs = match args.next() {
        Some(list) => ProcessSource::File(list.into()),
        None => ProcessSource::for_root(&root),
    };
    let mut node = Node::new(&root, &procs)?;
    if let Some(overrides) = args.next() {
        node = node.with_stat_overrides(overrides.as_ref())?;
    }
    let catalog = Catalog::open(cfg)?;
    let opts = RunOptions {
        node_name: node.hostname().unwrap_or_else(|| "node".into()),
        ..RunOptions::default()
    };
    let report = run(&catalog, &node, &opts)?;
    println!("benchmark {} ({})", report.benchmark, report.framework);
    print!("{}", report.render_text());
    for r in report.results().filter(|r| r.uninterpreted) {
        println!("not interpretable: {}/{}: {}", r.target, r.id, r.reason);
    }
    println!("{} findings", report.findings().len());
    Ok(())
}
