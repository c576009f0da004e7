//! Entitlement analysis of a generated account with 1,000 roles and 3,000 policies (assume-role rings
//! of 10, PassRole and self-modification routes). Target: under 2 s.

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_iam::{Account, Options, analyze, synthetic};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let v = synthetic::account(&synthetic::Shape::default());
    let text = v.to_string();
    let opts = Options {
        now: "2025-01-01T00:00:00Z".parse().ok(),
        ..Options::default()
    };
    let mut g = c.benchmark_group("iam");
    g.sample_size(10);
    g.bench_function("parse_1000_roles_3000_policies", |b| {
        b.iter(|| Account::from_json(black_box(&text)))
    });
    let account = Account::from_json(&text).expect("generated account");
    g.bench_function("analyze_1000_roles_3000_policies", |b| {
        b.iter(|| analyze(black_box(&account), &opts))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
