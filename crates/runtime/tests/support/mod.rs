//! Helpers shared by the runtime's integration tests (the agent's eBPF tests, the e2e tests, the
//! filter tests).
// each test binary uses a part of them
#![allow(dead_code)]

use rampart_runtime::agent::outputs::Collect;
use rampart_runtime::agent::{Agent, AgentOptions, Running};
use std::time::{Duration, Instant};

/// The stable, incubating and sandbox falcosecurity rules files, then `extra`.
pub fn falcosecurity_rule_files(extra: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let root =
        rampart_testkit::shared("testdata/falcosecurity-rules").expect("falcosecurity rules");
    [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| root.join("rules").join(f))
    .chain(extra.iter().cloned())
    .collect()
}

/// Waits (`wait` at most) for alerts of `rule`.
pub fn alerts_within(collect: &Collect, rule: &str, wait: Duration) -> Vec<rampart_runtime::Alert> {
    let deadline = Instant::now() + wait;
    loop {
        let hits: Vec<_> = collect
            .alerts()
            .into_iter()
            .filter(|a| a.rule == rule)
            .collect();
        if !hits.is_empty() || Instant::now() > deadline {
            return hits;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (5 s at most) for alerts of `rule`.
pub fn alerts_of(collect: &Collect, rule: &str) -> Vec<rampart_runtime::Alert> {
    alerts_within(collect, rule, Duration::from_secs(5))
}

/// The agent (eBPF source) with `ruleset`, alerts collected in memory.
pub fn agent_with(ruleset: rampart_runtime::rules::Ruleset) -> (Running, Collect) {
    agent_with_options(ruleset, AgentOptions::default())
}

/// [`agent_with`], with `options`.
pub fn agent_with_options(
    ruleset: rampart_runtime::rules::Ruleset,
    options: AgentOptions,
) -> (Running, Collect) {
    let collect = Collect::default();
    let running = Agent::new(rampart_runtime::Engine::new(ruleset), options)
        .output(Box::new(collect.clone()))
        .start()
        .expect("agent starts");
    (running, collect)
}

/// The agent with Falco's stable rules, alerts collected in memory.
pub fn agent_with_stable_rules() -> (Running, Collect) {
    let rules = rampart_testkit::shared("testdata/falcosecurity-rules/rules/falco_rules.yaml")
        .expect("falcosecurity rules");
    let (ruleset, _) = rampart_runtime::rules::load(&[rules]).expect("rules load");
    agent_with(ruleset)
}

/// `timeout 60 podman run --rm OPTIONS… localhost/rampart/app:1.0` (the fixture image; add the
/// command), with the shared containers.conf; `None` (a skip, an error in CI) without podman.
pub fn podman_run(options: &[&str]) -> Option<std::process::Command> {
    let podman_ok = std::process::Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !podman_ok {
        assert!(!rampart_testkit::in_ci(), "podman must be installed in CI");
        eprintln!("skipping: no podman");
        return None;
    }
    let mut cmd = std::process::Command::new("timeout");
    cmd.args(["60", "podman", "run", "--rm"])
        .args(options)
        .arg("localhost/rampart/app:1.0");
    if let Some(conf) = rampart_testkit::shared("peers/containers.conf") {
        cmd.env("CONTAINERS_CONF", conf);
    }
    Some(cmd)
}
