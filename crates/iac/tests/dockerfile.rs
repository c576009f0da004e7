//! Dockerfile parsing and checks.

use rampart_iac::dockerfile::{parse, scan};

const INSECURE: &str = "FROM ubuntu:latest\nENV API_TOKEN=abcdef123456 \\\n    MODE=prod\nARG DB_PASSWORD=hunter2\nRUN apt-get update && \\\n    apt-get install -y curl\nRUN curl -fsSL https://x.example/install.sh | sh\nADD https://x.example/a.tgz /a.tgz\nCOPY <<EOF /etc/motd\nhello\nEOF\nUSER root\n";

#[test]
fn continuations_and_heredocs_keep_line_ranges() {
    let ins = parse(INSECURE);
    let kws: Vec<&str> = ins.iter().map(|i| i.keyword.as_str()).collect();
    assert_eq!(
        kws,
        ["FROM", "ENV", "ARG", "RUN", "RUN", "ADD", "COPY", "USER"]
    );
    assert_eq!((ins[1].line, ins[1].end_line), (2, 3));
    assert_eq!((ins[3].line, ins[3].end_line), (5, 6));
    assert_eq!((ins[6].line, ins[6].end_line), (9, 11));
    assert_eq!(ins[7].line, 12);
}

#[test]
fn insecure_dockerfile_findings() {
    let f = scan("img", "Dockerfile", INSECURE);
    let ids: Vec<&str> = f.iter().map(|x| x.rule_id.as_str()).collect();
    for id in [
        "DOCKER-001",
        "DOCKER-002",
        "DOCKER-003",
        "DOCKER-004",
        "DOCKER-005",
        "DOCKER-006",
        "DOCKER-007",
        "DOCKER-008",
        "DOCKER-009",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let secrets: Vec<_> = f.iter().filter(|x| x.rule_id == "DOCKER-004").collect();
    assert_eq!(secrets.len(), 2);
    for s in secrets {
        assert!(
            !s.evidence[0].detail.contains("hunter2")
                && !s.evidence[0].detail.contains("abcdef123456"),
            "masked"
        );
    }
}

#[test]
fn hardened_dockerfile_is_clean() {
    let text = "FROM debian:12.5-slim@sha256:abc AS build\nRUN apt-get update && apt-get install -y --no-install-recommends gcc=4:12.2.0-3 && rm -rf /var/lib/apt/lists/*\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /out /app\nUSER 65532:65532\nHEALTHCHECK CMD [\"/app\", \"health\"]\n";
    let f = scan("img", "Dockerfile", text);
    assert!(
        f.is_empty(),
        "{:?}",
        f.iter().map(|x| &x.rule_id).collect::<Vec<_>>()
    );
}
