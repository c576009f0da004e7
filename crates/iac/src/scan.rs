//! The entry point: walk a directory, load every IaC file, run the checks.

use crate::checks;
use crate::resource::{Resource, ResourceSet};
use crate::terraform::{self, VarInputs};
use crate::{cloudformation, dockerfile};
use rampart_core::{Finding, ScanWarning};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Files larger than this are skipped with a warning.
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// Files visited per scan at most.
const MAX_FILES: usize = 100_000;
/// Directory depth walked at most.
const MAX_DEPTH: usize = 32;

/// Scan options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Terraform variable inputs (`--var-file`, `--var k=v`).
    pub vars: VarInputs,
    /// Check ids to skip.
    pub skip_checks: Vec<String>,
}

/// A check that could not be decided because a value it needs is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownOutcome {
    pub check_id: String,
    pub address: String,
    pub file: String,
    pub line: u32,
    /// Which value was unknown.
    pub reason: String,
}

/// Everything a scan found.
#[derive(Debug, Default, Serialize)]
pub struct IacReport {
    pub resources: Vec<Resource>,
    pub findings: Vec<Finding>,
    pub unknowns: Vec<UnknownOutcome>,
    pub warnings: Vec<ScanWarning>,
    /// YAML files that look like Kubernetes manifests (for the KSPM checks).
    pub kubernetes_files: Vec<String>,
    /// Things deliberately not followed (remote modules).
    pub notes: Vec<String>,
}

/// Scans a directory tree (or a single file): Terraform, plan JSON, CloudFormation, Dockerfiles.
pub fn scan_dir(path: &Path, options: &Options) -> IacReport {
    let mut report = IacReport::default();
    let (root, files) = if path.is_file() {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            vec![path.to_path_buf()],
        )
    } else {
        let mut files = Vec::new();
        walk(path, 0, &mut files, &mut report.warnings);
        (path.to_path_buf(), files)
    };
    let asset = path.to_string_lossy().to_string();
    let mut tf_dirs: Vec<PathBuf> = Vec::new();
    let mut resources: Vec<Resource> = Vec::new();
    let mut kube_objects: Vec<rampart_kube::KubeObject> = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        if name.ends_with(".tf") || name.ends_with(".tf.json") {
            if let Some(d) = f.parent()
                && !tf_dirs.iter().any(|x| x == d)
            {
                tf_dirs.push(d.to_path_buf());
            }
        } else if dockerfile::is_dockerfile_name(&name) {
            if let Some(text) = read_text(f, &rel, &mut report.warnings) {
                report
                    .findings
                    .extend(dockerfile::scan(&asset, &rel, &text));
            }
        } else if name.ends_with(".json") {
            let Some(text) = read_text(f, &rel, &mut report.warnings) else {
                continue;
            };
            if !(text.contains("planned_values") || text.contains("Resources")) {
                continue;
            }
            match crate::jsonutil::parse_bounded(&text) {
                Ok(doc) if terraform::plan::is_plan(&doc) => {
                    resources.extend(terraform::plan::load(&rel, &text, &doc))
                }
                Ok(doc) if cloudformation::is_template_json(&doc) => {
                    let loaded = cloudformation::load_json(&rel, &text);
                    resources.extend(loaded.0);
                    report.warnings.extend(loaded.1);
                }
                Ok(_) => {}
                Err((line, message)) => report.warnings.push(ScanWarning {
                    path: rel,
                    line: Some(line),
                    message,
                }),
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".template") {
            let Some(text) = read_text(f, &rel, &mut report.warnings) else {
                continue;
            };
            if looks_kubernetes(&text) {
                load_kubernetes(&rel, &text, &mut kube_objects, &mut report.warnings);
                report.kubernetes_files.push(rel);
            } else if text.contains("Resources") {
                let (res, warns) = cloudformation::load_yaml(&rel, &text);
                resources.extend(res);
                report.warnings.extend(warns);
            }
        }
    }
    if !tf_dirs.is_empty() {
        let loaded = terraform::Loader::new(&root, &options.vars).load(&tf_dirs);
        resources.extend(loaded.resources);
        report.warnings.extend(loaded.warnings);
        report.notes.extend(loaded.notes);
    }
    report.findings.extend(kubernetes_findings(
        &asset,
        &kube_objects,
        &mut report.warnings,
    ));
    let set = ResourceSet::new(resources);
    let (findings, unknowns) = checks::run(&asset, &set, &options.skip_checks);
    report.findings.extend(findings);
    crate::suppress::apply(&root, &mut report.findings);
    report.unknowns = unknowns;
    report.resources = set.into_vec();
    report.warnings.sort();
    report
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, warnings: &mut Vec<ScanWarning>) {
    if depth > MAX_DEPTH || out.len() >= MAX_FILES {
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(e) => {
            warnings.push(ScanWarning {
                path: dir.to_string_lossy().to_string(),
                line: None,
                message: format!("cannot read directory: {e}"),
            });
            return;
        }
    };
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if !matches!(
                name.as_str(),
                ".git" | ".terraform" | "node_modules" | "target"
            ) {
                walk(&p, depth + 1, out, warnings);
            }
        } else if meta.is_file() && out.len() < MAX_FILES {
            out.push(p);
        }
    }
}

/// Reads a file as UTF-8 text, bounded; problems become warnings.
pub fn read_text(path: &Path, rel: &str, warnings: &mut Vec<ScanWarning>) -> Option<String> {
    let warn = |warnings: &mut Vec<ScanWarning>, message: String| {
        warnings.push(ScanWarning {
            path: rel.to_string(),
            line: None,
            message,
        });
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            warn(
                warnings,
                format!("file larger than {MAX_FILE_BYTES} bytes; skipped"),
            );
            return None;
        }
        Err(e) => {
            warn(warnings, format!("cannot read: {e}"));
            return None;
        }
        _ => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(_) => {
                warn(warnings, "not UTF-8 text; skipped".into());
                None
            }
        },
        Err(e) => {
            warn(warnings, format!("cannot read: {e}"));
            None
        }
    }
}

/// A YAML document with `apiVersion` and `kind` at the top level.
/// Loads a Kubernetes manifest found in the tree (its objects keep `rel` and their line ranges).
fn load_kubernetes(
    rel: &str,
    text: &str,
    objects: &mut Vec<rampart_kube::KubeObject>,
    warnings: &mut Vec<ScanWarning>,
) {
    let loaded = rampart_kube::load_str(text, rel, &rampart_kube::LoadOptions::default());
    objects.extend(loaded.objects);
    warnings.extend(loaded.warnings);
}

/// The KSPM checks (Pod Security Standards at `restricted`, the built-in `k8s:*` checks and the RBAC
/// risk analysis, `rbac:*`) over the Kubernetes manifests of the tree, as `rampart k8s` runs them.
fn kubernetes_findings(
    asset: &str,
    objects: &[rampart_kube::KubeObject],
    warnings: &mut Vec<ScanWarning>,
) -> Vec<Finding> {
    if objects.is_empty() {
        return Vec::new();
    }
    let options = rampart_kube::ScanOptions {
        asset: asset.to_string(),
        rbac: true,
        ..rampart_kube::ScanOptions::default()
    };
    let (findings, warns) = rampart_kube::scan(objects, &options);
    warnings.extend(warns);
    findings
}

fn looks_kubernetes(text: &str) -> bool {
    let has = |k: &str| text.lines().any(|l| l.starts_with(k));
    has("apiVersion:") && has("kind:") && !text.contains("AWSTemplateFormatVersion")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n    securityContext:\n      privileged: true\n";

    #[test]
    fn kubernetes_yaml_in_tree_gets_kspm_findings_with_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("k8s")).expect("mkdir");
        std::fs::write(dir.path().join("k8s/pod.yaml"), format!("# web pod\n{POD}"))
            .expect("write");
        let report = scan_dir(dir.path(), &Options::default());
        assert_eq!(report.kubernetes_files, vec!["k8s/pod.yaml".to_string()]);
        let privileged = report
            .findings
            .iter()
            .find(|f| f.rule_id == "pss:privileged")
            .expect("pss:privileged finding");
        let location = privileged
            .evidence
            .iter()
            .find_map(|e| e.location.clone())
            .expect("location");
        assert_eq!(location.path, "k8s/pod.yaml");
        assert_eq!(location.line, Some(2), "{location:?}");
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.rule_id.starts_with("k8s:")),
            "built-in k8s checks ran: {:?}",
            report
                .findings
                .iter()
                .map(|f| &f.rule_id)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn tree_without_kubernetes_yaml_has_no_kspm_findings() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("values.yaml"), "replicas: 2\n").expect("write");
        let report = scan_dir(dir.path(), &Options::default());
        assert!(report.kubernetes_files.is_empty());
        assert!(report.findings.is_empty());
    }
}
