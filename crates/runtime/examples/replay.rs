//! Replays recorded events through rules and prints Falco JSON alert lines, like
//! `rampart runtime replay`:
//! `cargo run -p rampart-runtime --example replay -- k8s_audit RULES.yaml[,MORE.yaml] INPUT`.

use rampart_runtime::{Source, replay};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, rules, input] = args.as_slice() else {
        eprintln!("usage: replay syscall|k8s_audit|aws_cloudtrail RULES[,RULES…] INPUT");
        std::process::exit(2);
    };
    let Some(source) = Source::from_name(source) else {
        eprintln!("unknown source {source}");
        std::process::exit(2);
    };
    let rules: Vec<&str> = rules.split(',').collect();
    match replay::replay_files(source, &rules, input.as_ref()) {
        Ok(result) => {
            for alert in &result.alerts {
                println!("{}", alert.to_json_line());
            }
            eprintln!(
                "{} events, {} malformed, {} alerts",
                result.stats.events,
                result.stats.malformed,
                result.alerts.len()
            );
            for p in &result.stats.problems {
                eprintln!("warning: {p}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
