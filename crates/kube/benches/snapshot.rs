//! Loading and checking a generated 10,000-object cluster snapshot (target: under 2 s and 300 MB
//! for the whole run).

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_kube::{LoadOptions, ScanOptions, load_str, scan};

#[path = "support/generate.rs"]
mod generate;
use generate::snapshot;

fn bench(c: &mut Criterion) {
    let text = snapshot(10_000);
    let opts = LoadOptions::default();
    let scan_opts = ScanOptions {
        today: Some((2026, 1, 1)),
        ..ScanOptions::default()
    };
    let loaded = load_str(&text, "snapshot.yaml", &opts);
    assert_eq!(loaded.objects.len(), 10_000);
    let mut group = c.benchmark_group("snapshot-10k");
    group.sample_size(10);
    group.bench_function("load", |b| {
        b.iter(|| load_str(&text, "snapshot.yaml", &opts).objects.len())
    });
    group.bench_function("scan", |b| {
        b.iter(|| scan(&loaded.objects, &scan_opts).0.len())
    });
    group.bench_function("load+scan", |b| {
        b.iter(|| {
            let l = load_str(&text, "snapshot.yaml", &opts);
            scan(&l.objects, &scan_opts).0.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
