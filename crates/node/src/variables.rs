//! The `$variables` of audit commands (`$kubeletbin`, `$apiserverconf`, `$kubeletsvc`,
//! `$proxykubeconfig`, `$kubeletcafile`, `$etcddatadir`, …), resolved per target from the merged
//! config: binaries from the running processes, files from the first candidate present on the node,
//! else the configured default, else the component name — as kube-bench resolves them.

use crate::node::Node;
use crate::yaml::{scalar_string, string_list};
use serde_json::{Map, Value};

/// Resolved variables of one target, longest name first so no name is replaced inside another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables(Vec<(String, String)>);

/// A required (non-`optional`) component that is not running: the target does not apply here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRunning {
    pub component: String,
    pub looked_for: Vec<String>,
}

/// (variable suffix, candidates key, default key)
const FILE_KINDS: [(&str, &str, &str); 5] = [
    ("conf", "confs", "defaultconf"),
    ("svc", "svc", "defaultsvc"),
    ("kubeconfig", "kubeconfig", "defaultkubeconfig"),
    ("cafile", "cafile", "defaultcafile"),
    ("datadir", "datadirs", "defaultdatadir"),
];

impl Variables {
    /// Resolves the variables of a config section (`master`, `node`, …) on `node`.
    pub fn resolve(
        section: Option<&Map<String, Value>>,
        node: &Node,
    ) -> Result<Variables, NotRunning> {
        let mut vars = Vec::new();
        let Some(section) = section else {
            return Ok(Variables(vars));
        };
        for component in string_list(section.get("components")) {
            let Some(sub) = section.get(&component).and_then(Value::as_object) else {
                continue;
            };
            let bins = string_list_strict(sub.get("bins"));
            if !bins.is_empty() {
                let optional = matches!(sub.get("optional"), Some(Value::Bool(true)))
                    || sub.get("optional").and_then(scalar_string).as_deref() == Some("true");
                let bin = match find_executable(&bins, node) {
                    Some(b) => b,
                    None if optional => component.clone(),
                    None => {
                        return Err(NotRunning {
                            component,
                            looked_for: bins,
                        });
                    }
                };
                vars.push((format!("${component}bin"), bin));
            }
            for (suffix, candidates, default) in FILE_KINDS {
                let found = string_list_strict(sub.get(candidates))
                    .into_iter()
                    .find(|p| node.exists(p));
                let value = found
                    .or_else(|| sub.get(default).and_then(scalar_string))
                    .unwrap_or_else(|| component.clone());
                vars.push((format!("${component}{suffix}"), value));
            }
        }
        vars.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(Variables(vars))
    }

    /// Replaces every known variable in `text`.
    pub fn apply(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (name, value) in &self.0 {
            if s.contains(name.as_str()) {
                s = s.replace(name.as_str(), value);
            }
        }
        s
    }

    /// The resolved pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Candidates may contain spaces (`hyperkube kubelet`), so they are not whitespace-split.
fn string_list_strict(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_string).collect(),
        Some(other) => string_list(Some(other)),
        None => Vec::new(),
    }
}

/// The first candidate running: a process whose command name is the candidate's first word and whose
/// command line starts with the candidate (optionally after a directory), like kube-bench's
/// `ps -C` check.
fn find_executable(candidates: &[String], node: &Node) -> Option<String> {
    for candidate in candidates {
        let bin = candidate.trim_matches(|c| c == '\'' || c == '"');
        let Some(first) = bin.split_whitespace().next() else {
            continue;
        };
        let running = node.processes().iter().any(|p| {
            p.comm == first.chars().take(15).collect::<String>()
                && starts_with_program(&p.cmdline, bin)
        });
        if running {
            return Some(bin.to_string());
        }
    }
    None
}

fn starts_with_program(cmdline: &str, bin: &str) -> bool {
    let mut rest = cmdline;
    loop {
        if rest.starts_with(bin) {
            return true;
        }
        // Skip one leading `dir/` component (no whitespace in it).
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        match rest[..word_end].find('/') {
            Some(slash) => rest = &rest[slash + 1..],
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_prefix_matches_like_kube_bench() {
        assert!(starts_with_program("/usr/bin/kubelet --x", "kubelet"));
        assert!(starts_with_program("kubelet", "kubelet"));
        assert!(starts_with_program(
            "/opt/hyperkube kubelet --a",
            "hyperkube kubelet"
        ));
        assert!(!starts_with_program("kube-apiserver --a", "apiserver"));
    }
}
