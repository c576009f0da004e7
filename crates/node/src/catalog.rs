//! The definitions directory (`cfg/`): the top `config.yaml` (components, `version_mapping`,
//! `target_mapping`) and one folder per benchmark with its own `config.yaml` overrides and one
//! controls file per target.

use crate::definitions::Controls;
use crate::error::{Error, Result};
use crate::yaml;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The benchmark targets kube-bench knows, in its run order.
pub const TARGETS: [&str; 6] = [
    "master",
    "node",
    "controlplane",
    "etcd",
    "policies",
    "managedservices",
];

/// An opened definitions directory.
#[derive(Debug, Clone)]
pub struct Catalog {
    dir: PathBuf,
    config: Value,
}

/// One benchmark folder, loaded: its merged configuration and its controls per target.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// Folder name (`cis-1.10`, `eks-1.8.0`, …).
    pub name: String,
    /// `cfg/config.yaml` deep-merged with the folder's `config.yaml`.
    pub config: Value,
    /// Controls files present in the folder, keyed by target (file stem).
    pub controls: BTreeMap<String, Controls>,
}

impl Catalog {
    /// Opens `dir` (the kube-bench `cfg` folder) and reads its `config.yaml`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Catalog> {
        let dir = dir.into();
        let config = yaml::load(&dir.join("config.yaml"))?;
        Ok(Catalog { dir, config })
    }

    /// The definitions directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Benchmark folder names, sorted.
    pub fn benchmarks(&self) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| Error::Read {
            path: self.dir.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// `version_mapping`: Kubernetes version (or platform tag) → benchmark folder.
    pub fn version_mapping(&self) -> BTreeMap<String, String> {
        self.config
            .get("version_mapping")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| yaml::scalar_string(v).map(|v| (k.clone(), v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `target_mapping` for `benchmark`: the targets (controls files) it defines.
    pub fn targets(&self, benchmark: &str) -> Vec<String> {
        yaml::string_list(
            self.config
                .get("target_mapping")
                .and_then(|m| m.get(benchmark)),
        )
    }

    /// Picks the benchmark: an explicit folder name, else the one `version_mapping` gives for a
    /// Kubernetes version (`1.28`, `v1.28.3`, or a platform tag such as `eks-1.8.0`), else the
    /// newest upstream CIS benchmark mapped.
    pub fn select(&self, benchmark: Option<&str>, k8s_version: Option<&str>) -> Result<String> {
        let known = self.benchmarks()?;
        if let Some(name) = benchmark {
            return if known.iter().any(|k| k == name) {
                Ok(name.to_string())
            } else {
                Err(Error::UnknownBenchmark(name.to_string()))
            };
        }
        let mapping = self.version_mapping();
        if let Some(version) = k8s_version {
            let key = normalize_version(version);
            return mapping
                .get(&key)
                .cloned()
                .ok_or_else(|| Error::UnmappedVersion(version.to_string()));
        }
        let newest = mapping
            .iter()
            .filter_map(|(k, v)| minor_of(k).map(|m| (m, v)))
            .max_by_key(|(m, _)| *m)
            .map(|(_, v)| v.clone());
        newest.ok_or_else(|| Error::UnmappedVersion(String::new()))
    }

    /// Loads a benchmark folder: merged config and every controls file in it.
    pub fn load(&self, name: &str) -> Result<Benchmark> {
        let folder = self.dir.join(name);
        if !folder.is_dir() {
            return Err(Error::UnknownBenchmark(name.to_string()));
        }
        let mut config = self.config.clone();
        let overrides = folder.join("config.yaml");
        if overrides.exists() {
            merge(&mut config, yaml::load(&overrides)?);
        }
        let mut controls = BTreeMap::new();
        for target in TARGETS {
            let path = folder.join(format!("{target}.yaml"));
            if path.exists() {
                let doc = yaml::load(&path)?;
                controls.insert(target.to_string(), Controls::from_value(&doc, &path)?);
            }
        }
        Ok(Benchmark {
            name: name.to_string(),
            config,
            controls,
        })
    }
}

impl Benchmark {
    /// Number of checks over all controls files.
    pub fn check_count(&self) -> usize {
        self.controls.values().map(|c| c.checks().count()).sum()
    }

    /// The framework name findings carry: `cis-kubernetes-1.10`, `cis-kubernetes-eks-1.8.0`, ….
    pub fn framework(&self) -> String {
        format!(
            "cis-kubernetes-{}",
            self.name.strip_prefix("cis-").unwrap_or(&self.name)
        )
    }

    /// The merged config section for a target (`master`, `node`, …).
    pub fn section(&self, target: &str) -> Option<&Map<String, Value>> {
        self.config.get(target).and_then(Value::as_object)
    }
}

/// Deep merge as viper's `MergeConfig`: maps merge key by key, anything else is replaced.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (_, Value::Null) => {}
        (b, o) => *b = o,
    }
}

/// `v1.28.3` → `1.28`; platform tags are kept.
fn normalize_version(v: &str) -> String {
    let t = v.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if a.chars().all(|c| c.is_ascii_digit()) && !b.is_empty() => {
            let minor: String = b.chars().take_while(char::is_ascii_digit).collect();
            format!("{a}.{minor}")
        }
        _ => t.to_string(),
    }
}

fn minor_of(key: &str) -> Option<(u32, u32)> {
    let (a, b) = key.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_normalize() {
        assert_eq!(normalize_version("v1.28.3"), "1.28");
        assert_eq!(normalize_version("1.34"), "1.34");
        assert_eq!(normalize_version("eks-1.8.0"), "eks-1.8.0");
    }

    #[test]
    fn merge_is_deep_and_replaces_lists() {
        let mut a =
            serde_json::json!({"node": {"kubelet": {"bins": ["kubelet"], "confs": ["/a"]}}});
        let b = serde_json::json!({"node": {"kubelet": {"bins": ["containerd"]}}});
        merge(&mut a, b);
        assert_eq!(a["node"]["kubelet"]["bins"][0], "containerd");
        assert_eq!(a["node"]["kubelet"]["confs"][0], "/a");
    }
}
