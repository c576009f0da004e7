//! The agent as a library user runs it: the eBPF source into the engine, alerts as Falco JSON
//! lines on stdout, counters on stderr at exit.
//!
//! `cargo run --release -p rampart-runtime --example agent -- SECONDS [RULES.yaml…] [--record FILE]
//! [--metrics-file FILE]`; it stops early when the file named by `RAMPART_AGENT_STOP` exists.
//! (`rampart runtime run` is the full command: more sources, outputs and responses.)

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    use rampart_runtime::agent::{Agent, AgentOptions, OutputSpec};
    use std::time::{Duration, Instant};
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut take = |flag: &str| {
        let i = args.iter().position(|a| a == flag)?;
        let v = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
        v
    };
    let record = take("--record").map(std::path::PathBuf::from);
    let metrics_file = take("--metrics-file").map(std::path::PathBuf::from);
    let secs: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10);
    let rules: Vec<&String> = args.iter().skip(1).collect();
    let ruleset = if rules.is_empty() {
        rampart_runtime::Ruleset::default()
    } else {
        match rampart_runtime::rules::load(&rules) {
            Ok((rs, _)) => rs,
            Err(report) => {
                eprintln!("rules: {}", report.to_text());
                return std::process::ExitCode::from(2);
            }
        }
    };
    let opts = AgentOptions {
        record,
        metrics_file,
        duration: Some(Duration::from_secs(secs)),
        ..AgentOptions::default()
    };
    let agent = Agent::new(rampart_runtime::Engine::new(ruleset), opts);
    let metrics = agent.metrics();
    let agent = match OutputSpec::parse("json").and_then(|o| o.open("", metrics.clone())) {
        Ok(o) => agent.output(o),
        Err(e) => {
            eprintln!("output: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let running = match agent.start() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("agent: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    // Attached: the bench waits for this line instead of sleeping.
    eprintln!("agent: attached");
    let t0 = Instant::now();
    let stop_file = std::env::var_os("RAMPART_AGENT_STOP").map(std::path::PathBuf::from);
    while !running.finished() {
        if stop_file.as_ref().is_some_and(|p| p.exists()) {
            running.stop();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = running.wait();
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "agent: events={} events_per_s={:.0} alerts={} drops={}",
        s.events[0],
        s.events[0] as f64 / secs,
        s.alerts,
        s.drops
    );
    for line in metrics
        .render()
        .lines()
        .filter(|l| l.starts_with("rampart_drops_total"))
    {
        eprintln!("agent: {line}");
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(not(unix))]
fn main() {
    eprintln!("the agent needs a Unix system (and Linux for the eBPF source)");
}
