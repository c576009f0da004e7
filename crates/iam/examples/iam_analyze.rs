//! `cargo run -p rampart-iam --example iam_analyze -- [--json] auth-details.json` prints findings (a table,
//! or JSON with `--json`) and escalation paths hop by hop; `--generate N` writes a synthetic account with N
//! roles (3N policies) to stdout instead.

use rampart_iam::{Account, Options, analyze, findings, synthetic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--generate") {
        let roles = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
        let shape = synthetic::Shape {
            roles,
            policies: roles * 3,
            ..Default::default()
        };
        println!("{}", synthetic::account(&shape));
        return Ok(());
    }
    let json = args.iter().any(|a| a == "--json");
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: iam_analyze [--json] FILE | --generate N")?;
    let account = Account::from_json(&std::fs::read_to_string(path)?)?;
    let analysis = analyze(&account, &Options::default());
    for w in &analysis.warnings {
        eprintln!("warning: {}: {}", w.policy, w.message);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&findings(&analysis))?);
        return Ok(());
    }
    for f in findings(&analysis) {
        println!(
            "{:<9} {:<45} {}",
            format!("{:?}", f.severity),
            f.rule_id,
            f.title
        );
    }
    println!("\nEscalation paths:\n{}", analysis.render_paths());
    Ok(())
}
