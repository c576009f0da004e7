//! Writes the generated N-object cluster snapshot of the `snapshot` bench to standard output
//! (`cargo run --release -p rampart-kube --example gen_snapshot -- 10000 > snapshot.yaml`), for
//! `bench/k8s.sh`.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    std::io::stdout()
        .lock()
        .write_all(generate::snapshot(n).as_bytes())
}
