//! Evaluates every Gatekeeper library template (with its first sample constraint) over N synthetic
//! objects: the workload behind the 10,000-object target (< 2 s, < 300 MB).
//!
//! `RAMPART_BENCH_OBJECTS` sets N (default 1,000); the library comes from `$RAMPART_SHARED`.

use criterion::{Criterion, criterion_group, criterion_main};

mod support;

fn bench(c: &mut Criterion) {
    let library = support::library();
    if !library.is_dir() {
        eprintln!("note: {} not found; skipping bench", library.display());
        return;
    }
    let n = std::env::var("RAMPART_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let mut set = support::policy_set(&library);
    let objs = support::objects(n);
    let locations = vec![None; objs.len()];
    let mut group = c.benchmark_group("gatekeeper");
    group.sample_size(10);
    group.bench_function(
        format!("audit_{}_templates_{n}_objects", set.templates.len()),
        |b| b.iter(|| set.audit(&objs, &locations).map(|v| v.len()).unwrap_or(0)),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
