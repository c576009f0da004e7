//! Image configuration checks: misconfiguration findings with stable ids (`IMG001`…), each with the
//! evidence (config field or layer) and remediation. Pure functions of the [`ImageInfo`], so cached
//! analyses are checked without layer access.

use crate::model::{ImageInfo, SpecialFile};
use rampart_core::{Finding, FindingKind, Location, Severity};

/// Findings of one kind listed per image at most (world-writable files can be many).
const MAX_PER_RULE: usize = 100;

/// Ports whose exposure offers remote administration.
const ADMIN_PORTS: &[(u16, &str, Severity)] = &[
    (22, "SSH", Severity::High),
    (23, "Telnet", Severity::High),
    (2375, "Docker API (plain HTTP)", Severity::Critical),
    (2376, "Docker API (TLS)", Severity::High),
    (2379, "etcd client", Severity::High),
    (2380, "etcd peer", Severity::High),
    (3389, "RDP", Severity::High),
    (5900, "VNC", Severity::High),
    (5985, "WinRM (HTTP)", Severity::High),
    (5986, "WinRM (HTTPS)", Severity::High),
    (10250, "kubelet API", Severity::High),
];

/// Settings of the checks.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// How many bottom layers form the base image: setuid/setgid files they hold are the base's
    /// business, not the image author's. Set from [`crate::base::detect`]; 1 by default.
    pub base_layers: u32,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { base_layers: 1 }
    }
}

/// Runs every check on an image.
pub fn check_image(image: &ImageInfo, opts: &CheckOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    root_user(image, &mut out);
    env_secrets(image, &mut out);
    add_from_url(image, &mut out);
    admin_ports(image, &mut out);
    healthcheck(image, &mut out);
    latest_tag(image, &mut out);
    setid_files(image, opts, &mut out);
    world_writable(image, &mut out);
    out
}

fn finding(image: &ImageInfo, id: &str, title: &str, severity: Severity, subject: &str) -> Finding {
    Finding::new(
        FindingKind::Misconfiguration,
        id,
        title,
        severity,
        image.reference.clone(),
        subject,
    )
}

fn layer_label(image: &ImageInfo, layer: u32) -> String {
    let l = image.layers.get(layer as usize);
    let digest = l.map(|l| l.diff_id.short()).unwrap_or_default();
    match l.and_then(|l| l.created_by.as_deref()) {
        Some(by) => format!("layer {layer} ({digest}): {}", truncate(by, 200)),
        None => format!("layer {layer} ({digest})"),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n).collect();
    t.push('…');
    t
}

/// IMG001: no USER, or USER root / 0.
fn root_user(image: &ImageInfo, out: &mut Vec<Finding>) {
    let user = image.user.as_deref().unwrap_or("");
    let name = user.split(':').next().unwrap_or("");
    if !(name.is_empty() || name == "root" || name == "0") {
        return;
    }
    let detail = if user.is_empty() {
        "no USER in the image config".to_string()
    } else {
        format!("USER {user}")
    };
    out.push(
        finding(image, "IMG001", "Image runs as root", Severity::High, "config:User")
            .with_evidence("image config", None, detail)
            .with_control("CIS Docker", "4.1")
            .with_remediation("Add a non-root user and switch to it with `USER <name>` (or a numeric UID) in the Dockerfile."),
    );
}

/// Whether an ENV name looks like it holds a credential.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    let public = [
        "GPG",
        "PUBLIC",
        "_FILE",
        "_PATH",
        "_URL",
        "_DIR",
        "_ID",
        "_NAME",
        "KEYRING",
        "KEYSERVER",
    ];
    if public.iter().any(|p| n.contains(p)) {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|p| n.contains(p))
        || n.ends_with("_KEY")
        || n.ends_with("_PASS")
        || n == "KEY"
}

/// Masks a secret value: its length and at most its first two characters.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n <= 6 {
        return "*".repeat(n.max(4));
    }
    let head: String = value.chars().take(2).collect();
    format!("{head}{} ({n} chars)", "*".repeat(8))
}

/// IMG002: ENV variables with credential-like names and non-empty values.
fn env_secrets(image: &ImageInfo, out: &mut Vec<Finding>) {
    for entry in &image.env {
        let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
        if value.is_empty() || !is_secret_name(name) {
            continue;
        }
        out.push(
            finding(image, "IMG002", "Secret in image environment variable", Severity::High, &format!("config:Env:{name}"))
                .with_evidence("ENV", None, format!("{name}={}", mask(value)))
                .with_control("CIS Docker", "4.10")
                .with_remediation(
                    "Do not bake credentials into the image: pass them at run time (orchestrator secrets, mounted files) and rotate this one; it is readable by anyone who can pull the image.",
                ),
        );
    }
}

/// IMG003: `ADD` of a remote URL in the history.
fn add_from_url(image: &ImageInfo, out: &mut Vec<Finding>) {
    let mut layer = 0u32;
    for (step, h) in image.history.iter().enumerate() {
        let this_layer = (!h.empty_layer).then_some(layer);
        if !h.empty_layer {
            layer += 1;
        }
        let Some(by) = h.created_by.as_deref() else {
            continue;
        };
        let instr = by.trim_start_matches("/bin/sh -c #(nop)").trim();
        let is_add = instr.starts_with("ADD ") || instr.contains(" ADD ");
        if !is_add || !(instr.contains("http://") || instr.contains("https://")) {
            continue;
        }
        let evidence = match this_layer {
            Some(l) => layer_label(image, l),
            None => format!("history step {step}"),
        };
        out.push(
            finding(image, "IMG003", "ADD fetches a remote URL", Severity::Medium, &format!("history:{step}"))
                .with_evidence(evidence, None, truncate(by, 300))
                .with_control("CIS Docker", "4.9")
                .with_remediation("Download with a pinned checksum (`ADD --checksum=sha256:…`, or `RUN curl … && sha256sum -c`) or COPY a vetted file from the build context."),
        );
    }
}

/// IMG004: exposed remote-administration ports.
fn admin_ports(image: &ImageInfo, out: &mut Vec<Finding>) {
    for spec in &image.exposed_ports {
        let port: Option<u16> = spec.split('/').next().and_then(|p| p.parse().ok());
        let Some(&(port, service, severity)) =
            port.and_then(|p| ADMIN_PORTS.iter().find(|(a, _, _)| *a == p))
        else {
            continue;
        };
        out.push(
            finding(image, "IMG004", &format!("Image exposes {service} port {port}"), severity, &format!("config:ExposedPorts:{spec}"))
                .with_evidence("EXPOSE", None, spec.clone())
                .with_control("CIS Docker", "5.8")
                .with_remediation(format!(
                    "Do not run {service} in an application container; remove `EXPOSE {port}` and use `kubectl exec`/`docker exec` or an orchestrator API for administration."
                )),
        );
    }
}

/// IMG005: no HEALTHCHECK (or `HEALTHCHECK NONE`).
fn healthcheck(image: &ImageInfo, out: &mut Vec<Finding>) {
    let present = image
        .healthcheck
        .as_ref()
        .is_some_and(|t| t.first().is_some_and(|s| s != "NONE"));
    if present {
        return;
    }
    out.push(
        finding(image, "IMG005", "Image has no HEALTHCHECK", Severity::Low, "config:Healthcheck")
            .with_evidence("image config", None, "no HEALTHCHECK instruction")
            .with_control("CIS Docker", "4.6")
            .with_remediation("Add a `HEALTHCHECK CMD …` so the runtime can detect a hung container (or define liveness probes where it runs)."),
    );
}

/// IMG006: the image is referenced by `latest` or by no tag at all.
fn latest_tag(image: &ImageInfo, out: &mut Vec<Finding>) {
    let pinned = image.reference.contains("@sha256:") || image.reference.contains("@sha512:");
    let detail = match image.tag.as_deref() {
        _ if pinned => return,
        Some("latest") => "tag latest".to_string(),
        None => "no tag".to_string(),
        Some(_) => return,
    };
    out.push(
        finding(image, "IMG006", "Image uses the latest tag or no tag", Severity::Low, "reference:tag")
            .with_evidence("image reference", None, format!("{} ({detail})", image.reference))
            .with_remediation("Reference images by an immutable version tag, or better by digest (`repo@sha256:…`), so builds and deployments are reproducible."),
    );
}

/// IMG007: setuid/setgid files added above the base layers.
fn setid_files(image: &ImageInfo, opts: &CheckOptions, out: &mut Vec<Finding>) {
    let found = image
        .special_files
        .iter()
        .filter(|f| f.is_setid() && f.layer >= opts.base_layers);
    for f in found.take(MAX_PER_RULE) {
        let bits = match (f.mode & 0o4000 != 0, f.mode & 0o2000 != 0) {
            (true, true) => "setuid and setgid",
            (true, false) => "setuid",
            _ => "setgid",
        };
        out.push(
            finding(image, "IMG007", &format!("{bits} file added by an image layer"), Severity::Medium, &format!("file:{}", f.path))
                .with_evidence(layer_label(image, f.layer), Some(Location::new(f.path.clone())), format!("mode {:o}, owner uid {}", f.mode, f.uid))
                .with_control("CIS Docker", "4.8")
                .with_remediation(format!("Remove the {bits} bit (`chmod u-s,g-s /{}`) unless the program must gain privileges; prefer capabilities granted at run time.", f.path)),
        );
    }
}

/// IMG008: world-writable files, and world-writable directories without the sticky bit.
fn world_writable(image: &ImageInfo, out: &mut Vec<Finding>) {
    let found: Vec<&SpecialFile> = image
        .special_files
        .iter()
        .filter(|f| f.is_world_writable())
        .collect();
    for f in found.iter().take(MAX_PER_RULE) {
        let what = if f.dir {
            "World-writable directory without sticky bit"
        } else {
            "World-writable file"
        };
        out.push(
            finding(image, "IMG008", what, Severity::Medium, &format!("file:{}", f.path))
                .with_evidence(layer_label(image, f.layer), Some(Location::new(f.path.clone())), format!("mode {:o}", f.mode))
                .with_remediation(format!("Remove write permission for others (`chmod o-w /{}`), or set the sticky bit on shared directories.", f.path)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_and_masking() {
        for s in [
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "API_KEY",
            "STRIPE_KEY",
        ] {
            assert!(is_secret_name(s), "{s}");
        }
        for s in [
            "GPG_KEY",
            "PATH",
            "PASSWORD_FILE",
            "AWS_ACCESS_KEY_ID",
            "LANG",
            "KEYSERVER",
        ] {
            assert!(!is_secret_name(s), "{s}");
        }
        assert_eq!(mask("hunter2-not-a-real-one"), "hu******** (22 chars)");
        assert_eq!(mask("abc"), "****");
    }
}
