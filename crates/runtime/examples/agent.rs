//! A minimal agent: the eBPF source into the engine, alerts on stdout, stats on stderr at exit.
//!
//! `cargo run --release -p rampart-runtime --example agent -- SECONDS [RULES.yaml…] [--record FILE]`;
//! it stops early when the file named by `RAMPART_AGENT_STOP` exists.

#[cfg(all(target_os = "linux", feature = "ebpf"))]
fn main() -> std::process::ExitCode {
    use rampart_runtime::sources::ebpf::{EbpfSource, Options, Recorder};
    use std::time::{Duration, Instant};
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut record = None;
    if let Some(i) = args.iter().position(|a| a == "--record") {
        record = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
    }
    let secs: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(10);
    let rules: Vec<&String> = args.iter().skip(1).collect();
    let engine = if rules.is_empty() {
        None
    } else {
        match rampart_runtime::rules::load(&rules) {
            Ok((rs, _)) => Some(rampart_runtime::Engine::new(rs)),
            Err(report) => {
                eprintln!("rules: {}", report.to_text());
                return std::process::ExitCode::from(2);
            }
        }
    };
    let mut recorder = match record.map(std::fs::File::create).transpose() {
        Ok(f) => f.map(|f| Recorder::new(std::io::BufWriter::new(f))),
        Err(e) => {
            eprintln!("record: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let src = match EbpfSource::start(Options::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eBPF source: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    // Attached: the bench waits for this line instead of sleeping.
    eprintln!("agent: attached");
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(secs);
    let (mut events, mut alerts, mut last_drops) = (0u64, 0u64, 0u64);
    // the bench stops the agent early by creating this file
    let stop_file = std::env::var_os("RAMPART_AGENT_STOP").map(std::path::PathBuf::from);
    let stopped = || stop_file.as_ref().is_some_and(|p| p.exists());
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if events % 4096 == 0 && stopped() {
            break;
        }
        let Ok(ev) = src
            .events()
            .recv_timeout(left.min(Duration::from_millis(500)))
        else {
            let drops = src.stats().drops();
            if drops > last_drops {
                eprintln!("ALERT: {} events dropped", drops - last_drops);
                last_drops = drops;
            }
            if stopped() {
                break;
            }
            continue;
        };
        events += 1;
        if let Some(r) = recorder.as_mut() {
            let _ = r.write(&ev);
        }
        if let Some(engine) = &engine {
            for a in engine.process(&ev) {
                alerts += 1;
                println!("{}", a.to_json_line());
            }
        }
    }
    if let Some(r) = recorder.as_mut() {
        let _ = r.flush();
    }
    let s = src.stats();
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "agent: events={events} events_per_s={:.0} alerts={alerts} read={} kernel_drops={} channel_drops={} undecodable={}",
        events as f64 / secs,
        s.read,
        s.kernel_drops,
        s.channel_drops,
        s.undecodable
    );
    std::process::ExitCode::SUCCESS
}

#[cfg(not(all(target_os = "linux", feature = "ebpf")))]
fn main() {
    eprintln!("the eBPF source needs Linux and the `ebpf` feature");
}
