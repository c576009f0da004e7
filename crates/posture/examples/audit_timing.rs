//! Times a Gatekeeper audit of N synthetic objects against every library template:
//! `cargo run --release -p rampart-posture --example audit_timing -- 10000`.

#[path = "../benches/support.rs"]
mod support;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000);
    let library = support::library();
    let load_started = std::time::Instant::now();
    let mut set = support::policy_set(&library);
    // RAMPART_SKIP_TEMPLATES=a,b leaves templates out (e.g. the quadratic inventory ones).
    if let Ok(skip) = std::env::var("RAMPART_SKIP_TEMPLATES") {
        let skip: Vec<&str> = skip.split(',').collect();
        let keep: Vec<bool> = set
            .templates
            .iter()
            .map(|t| !skip.contains(&t.name.as_str()))
            .collect();
        let mut i = 0;
        set.templates.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        set.constraints
            .retain(|c| set.templates.iter().any(|t| t.kind == c.kind));
    }
    let objs = support::objects(n);
    let locations = vec![None; objs.len()];
    let loaded = load_started.elapsed();
    if std::env::var_os("RAMPART_TIMING_DETAIL").is_some() {
        for i in 0..set.templates.len() {
            let mut one = rampart_posture::gatekeeper::PolicySet {
                templates: vec![set.templates[i].clone()],
                constraints: vec![set.constraints[i].clone()],
                prefer_cel: false,
            };
            let t = std::time::Instant::now();
            let v = one.audit(&objs, &locations).map(|v| v.len()).unwrap_or(0);
            println!(
                "{:40} {:>6} violations {:.3}s",
                one.templates[0].name,
                v,
                t.elapsed().as_secs_f64()
            );
        }
    }
    let started = std::time::Instant::now();
    match set.audit(&objs, &locations) {
        Ok(v) => println!(
            "{} templates, {n} objects: {} violations in {:.3}s (loading {:.3}s)",
            set.templates.len(),
            v.len(),
            started.elapsed().as_secs_f64(),
            loaded.as_secs_f64()
        ),
        Err(e) => eprintln!("audit failed: {e}"),
    }
}
