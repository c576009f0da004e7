//! Dockerfiles: instructions with line ranges (continuations and heredocs handled) and the checks on them.

use rampart_core::{Finding, FindingKind, Location, Severity};

/// Instructions read per file at most.
const MAX_INSTRUCTIONS: usize = 10_000;

/// One instruction: keyword (upper-case), arguments (continuations joined), 1-based line range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: String,
    pub args: String,
    pub line: u32,
    pub end_line: u32,
}

/// True for `Dockerfile`, `Containerfile`, `*.dockerfile`, `Dockerfile.*` (lower-cased name).
pub fn is_dockerfile_name(name: &str) -> bool {
    name == "dockerfile"
        || name == "containerfile"
        || name.ends_with(".dockerfile")
        || (name.starts_with("dockerfile.") && !name.ends_with(".md"))
}

/// Parses a Dockerfile into instructions.
pub fn parse(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() && out.len() < MAX_INSTRUCTIONS {
        let trimmed = lines[i].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut args = String::new();
        let mut heredoc: Vec<String> = Vec::new();
        loop {
            let l = lines[i].trim_end();
            let l_trim = l.trim_start();
            if i > start && l_trim.starts_with('#') {
                i += 1;
                if i >= lines.len() {
                    break;
                }
                continue;
            }
            let (body, cont) = match l.strip_suffix('\\') {
                Some(b) => (b, true),
                None => (l, false),
            };
            if !args.is_empty() {
                args.push(' ');
            }
            args.push_str(body.trim());
            heredoc.extend(heredoc_markers(body));
            i += 1;
            if !cont || i >= lines.len() {
                break;
            }
        }
        // Heredoc bodies: skip to each terminator, keeping the text as arguments.
        for marker in heredoc {
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if l.trim() == marker {
                    break;
                }
                args.push('\n');
                args.push_str(l);
            }
        }
        let (kw, rest) = match args.split_once(char::is_whitespace) {
            Some((k, r)) => (k.to_uppercase(), r.trim().to_string()),
            None => (args.to_uppercase(), String::new()),
        };
        out.push(Instruction {
            keyword: kw,
            args: rest,
            line: start as u32 + 1,
            end_line: i.max(start + 1) as u32,
        });
    }
    out
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"` markers on a line.
fn heredoc_markers(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(p) = rest.find("<<") {
        let after = rest[p + 2..].trim_start_matches('-');
        let name: String = after
            .trim_matches(|c| c == '"' || c == '\'')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            out.push(name);
        }
        rest = &rest[p + 2..];
    }
    out
}

struct Rule {
    id: &'static str,
    title: &'static str,
    severity: Severity,
    remediation: &'static str,
}

const R: &[Rule] = &[
    Rule {
        id: "DOCKER-001",
        title: "Container runs as root (no USER, or USER root last)",
        severity: Severity::High,
        remediation: "Add a non-root USER (e.g. USER 10001) after installing packages.",
    },
    Rule {
        id: "DOCKER-002",
        title: "Base image uses the latest tag or no tag",
        severity: Severity::Medium,
        remediation: "Pin the base image to a version tag and, ideally, a digest (FROM image:1.2.3@sha256:…).",
    },
    Rule {
        id: "DOCKER-003",
        title: "ADD fetches a remote URL",
        severity: Severity::Medium,
        remediation: "Download with curl/wget in a RUN step with checksum verification, or COPY a vetted file.",
    },
    Rule {
        id: "DOCKER-004",
        title: "Secret in ENV or ARG",
        severity: Severity::Critical,
        remediation: "Pass secrets at run time (secrets manager, --mount=type=secret for builds); never bake them into layers.",
    },
    Rule {
        id: "DOCKER-005",
        title: "apt-get install without version pinning",
        severity: Severity::Low,
        remediation: "Pin package versions: apt-get install -y pkg=1.2.3-1.",
    },
    Rule {
        id: "DOCKER-006",
        title: "apt-get install without --no-install-recommends",
        severity: Severity::Low,
        remediation: "Use apt-get install -y --no-install-recommends to keep the image small.",
    },
    Rule {
        id: "DOCKER-007",
        title: "apt-get lists not cleaned up in the same RUN",
        severity: Severity::Low,
        remediation: "End the RUN with && rm -rf /var/lib/apt/lists/*.",
    },
    Rule {
        id: "DOCKER-008",
        title: "Remote script piped into a shell",
        severity: Severity::High,
        remediation: "Download the script, verify its checksum or signature, then run it.",
    },
    Rule {
        id: "DOCKER-009",
        title: "No HEALTHCHECK instruction",
        severity: Severity::Low,
        remediation: "Add HEALTHCHECK CMD … so orchestrators can detect a hung container.",
    },
    Rule {
        id: "DOCKER-010",
        title: "SSH port 22 exposed",
        severity: Severity::Medium,
        remediation: "Do not run sshd in containers; use docker exec / kubectl exec.",
    },
    Rule {
        id: "DOCKER-011",
        title: "ADD used for local files instead of COPY",
        severity: Severity::Low,
        remediation: "Use COPY; ADD auto-extracts archives and fetches URLs.",
    },
    Rule {
        id: "DOCKER-012",
        title: "apt-get update in its own RUN (stale cache layer)",
        severity: Severity::Low,
        remediation: "Combine apt-get update && apt-get install in one RUN.",
    },
    Rule {
        id: "DOCKER-013",
        title: "TLS or signature verification disabled",
        severity: Severity::High,
        remediation: "Remove curl -k, wget --no-check-certificate, --allow-unauthenticated, --nogpgcheck, pip --trusted-host and similar flags.",
    },
    Rule {
        id: "DOCKER-014",
        title: "sudo used in RUN",
        severity: Severity::Medium,
        remediation: "Build steps already run as root; avoid installing or using sudo.",
    },
    Rule {
        id: "DOCKER-016",
        title: "Deprecated MAINTAINER instruction",
        severity: Severity::Low,
        remediation: "Use LABEL org.opencontainers.image.authors=… instead of MAINTAINER.",
    },
    Rule {
        id: "DOCKER-015",
        title: "apt used instead of apt-get",
        severity: Severity::Low,
        remediation: "Use apt-get in scripts; apt's interface is not stable.",
    },
];

fn rule(id: &str) -> &'static Rule {
    R.iter().find(|r| r.id == id).unwrap_or(&R[0])
}

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "SECRET_KEY",
    "CREDENTIAL",
];

/// Masks a secret: first two characters, then asterisks.
pub fn mask(v: &str) -> String {
    let shown: String = v.chars().take(2).collect();
    format!(
        "{shown}{}",
        "*".repeat(v.chars().count().saturating_sub(2).clamp(3, 12))
    )
}

/// `KEY=value` pairs of ENV/ARG (also the legacy `ENV KEY value`).
fn pairs(kw: &str, args: &str) -> Vec<(String, Option<String>)> {
    if kw == "ENV" && !args.contains('=') {
        return match args.split_once(char::is_whitespace) {
            Some((k, v)) => vec![(k.to_string(), Some(v.trim().to_string()))],
            None => Vec::new(),
        };
    }
    args.split_whitespace()
        .map(|t| match t.split_once('=') {
            Some((k, v)) => (
                k.to_string(),
                Some(v.trim_matches(|c| c == '"' || c == '\'').to_string()),
            ),
            None => (t.to_string(), None),
        })
        .collect()
}

/// Runs the Dockerfile checks on one file. `rel` is the path relative to the scanned root.
pub fn scan(asset: &str, rel: &str, text: &str) -> Vec<Finding> {
    let ins = parse(text);
    let mut out = Vec::new();
    let mut emit = |id: &str, i: Option<&Instruction>, detail: String| {
        let r = rule(id);
        let (line, end) = i.map(|i| (i.line, i.end_line)).unwrap_or((1, 1));
        out.push(
            Finding::new(
                FindingKind::Misconfiguration,
                r.id,
                r.title,
                r.severity,
                asset,
                format!("{rel}:{line}"),
            )
            .with_evidence(
                "Dockerfile instruction",
                Some(Location::with_lines(rel, line, end)),
                detail,
            )
            .with_remediation(r.remediation),
        );
    };
    if ins.is_empty() {
        return out;
    }
    let mut stages: Vec<String> = Vec::new();
    let mut last_from: Option<&Instruction> = None;
    let mut last_user: Option<&Instruction> = None;
    for i in &ins {
        let a = i.args.as_str();
        let lower = a.to_lowercase();
        match i.keyword.as_str() {
            "FROM" => {
                last_from = Some(i);
                last_user = None;
                let words: Vec<&str> = a
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let image = words.first().copied().unwrap_or("");
                if let Some(pos) = words.iter().position(|w| w.eq_ignore_ascii_case("as"))
                    && let Some(alias) = words.get(pos + 1)
                {
                    stages.push(alias.to_lowercase());
                }
                let is_stage = stages.iter().any(|s| *s == image.to_lowercase());
                if !is_stage
                    && image != "scratch"
                    && !image.contains('@')
                    && !image.starts_with('$')
                {
                    let last = image.rsplit('/').next().unwrap_or(image);
                    match last.split_once(':') {
                        None => emit("DOCKER-002", Some(i), format!("FROM {image} (no tag)")),
                        Some((_, "latest")) => emit("DOCKER-002", Some(i), format!("FROM {image}")),
                        _ => {}
                    }
                }
            }
            "USER" => last_user = Some(i),
            "MAINTAINER" => emit("DOCKER-016", Some(i), format!("MAINTAINER {a}")),
            "ADD" => {
                if lower.contains("http://") || lower.contains("https://") {
                    emit("DOCKER-003", Some(i), format!("ADD {a}"));
                } else {
                    emit("DOCKER-011", Some(i), format!("ADD {a}"));
                }
            }
            "ENV" | "ARG" => {
                for (k, v) in pairs(&i.keyword, a) {
                    let up = k.to_uppercase();
                    if let Some(v) = v
                        && SECRET_WORDS.iter().any(|w| up.contains(w))
                        && !v.is_empty()
                        && !v.starts_with('$')
                    {
                        emit(
                            "DOCKER-004",
                            Some(i),
                            format!("{} {k}={}", i.keyword, mask(&v)),
                        );
                    }
                    if (up == "NODE_TLS_REJECT_UNAUTHORIZED" || up == "PYTHONHTTPSVERIFY")
                        && a.contains("=0")
                    {
                        emit("DOCKER-013", Some(i), format!("{} {k}=0", i.keyword));
                    }
                }
            }
            "EXPOSE"
                if a.split_whitespace()
                    .any(|p| p == "22" || p.starts_with("22/")) =>
            {
                emit("DOCKER-010", Some(i), format!("EXPOSE {a}"));
            }
            "RUN" => run_checks(i, &lower, &mut emit),
            _ => {}
        }
    }
    let user_root = |u: &Instruction| {
        let name = u.args.split(':').next().unwrap_or("").trim();
        name == "root" || name == "0"
    };
    match last_user {
        None => emit(
            "DOCKER-001",
            last_from,
            "final stage has no USER instruction".into(),
        ),
        Some(u) if user_root(u) => emit("DOCKER-001", Some(u), format!("USER {}", u.args)),
        _ => {}
    }
    if !ins.iter().any(|i| i.keyword == "HEALTHCHECK") {
        emit("DOCKER-009", last_from, "no HEALTHCHECK".into());
    }
    out
}

fn run_checks(
    i: &Instruction,
    lower: &str,
    emit: &mut impl FnMut(&str, Option<&Instruction>, String),
) {
    let short = |s: &str| s.chars().take(120).collect::<String>();
    for seg in lower.split("&&").flat_map(|s| s.split(';')) {
        let words: Vec<&str> = seg.split_whitespace().collect();
        let Some(pos) = words
            .windows(2)
            .position(|w| w[0] == "apt-get" && w[1] == "install")
        else {
            continue;
        };
        let pkgs: Vec<&&str> = words[pos + 2..]
            .iter()
            .filter(|w| !w.starts_with('-') && !w.starts_with('$') && **w != "\\")
            .collect();
        if pkgs.iter().any(|p| !p.contains('=')) {
            emit("DOCKER-005", Some(i), short(seg.trim()));
        }
        if !seg.contains("--no-install-recommends") {
            emit("DOCKER-006", Some(i), short(seg.trim()));
        }
    }
    if lower.contains("apt-get install") && !lower.contains("/var/lib/apt/lists") {
        emit("DOCKER-007", Some(i), short(lower));
    }
    if lower.contains("apt-get update") && !lower.contains("install") {
        emit("DOCKER-012", Some(i), short(lower));
    }
    let fetch = lower.contains("curl ") || lower.contains("wget ");
    let piped = lower.split('|').skip(1).any(|p| {
        let cmd = p.split_whitespace().find(|w| *w != "sudo").unwrap_or("");
        matches!(
            cmd,
            "sh" | "bash" | "zsh" | "/bin/sh" | "/bin/bash" | "python" | "python3"
        )
    });
    if fetch && piped {
        emit("DOCKER-008", Some(i), short(lower));
    }
    const INSECURE: &[&str] = &[
        "curl -k",
        "curl --insecure",
        "--no-check-certificate",
        "--allow-unauthenticated",
        "--force-yes",
        "--nogpgcheck",
        "--nosignature",
        "--trusted-host",
        "--allow-untrusted",
        "gpgcheck=0",
        "strict-ssl false",
    ];
    if let Some(flag) = INSECURE.iter().find(|f| lower.contains(**f)) {
        emit("DOCKER-013", Some(i), format!("uses {flag}"));
    }
    if lower.split_whitespace().any(|w| w == "sudo") {
        emit("DOCKER-014", Some(i), short(lower));
    }
    if lower
        .split(['&', ';', '|'])
        .any(|s| s.trim_start().starts_with("apt "))
    {
        emit("DOCKER-015", Some(i), short(lower));
    }
}
