//! Pod Security Standards: the checks of the `baseline` and `restricted` levels with their per-version
//! behaviour, following the upstream `pod-security-admission` policy package (check ids, versions,
//! overrides, forbidden reasons and details).

mod baseline;
mod registry;
mod restricted;
pub(crate) mod util;

pub use registry::{CHECKS, CheckDef, Versioned, applicable_checks, check};

use crate::error::{UnknownName, VersionError};
use serde::Serialize;
use serde_json::Value;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// The framework name of this level (`pss-baseline`, `pss-restricted`).
    pub fn framework(self) -> &'static str {
        match self {
            Level::Baseline => "pss-baseline",
            Level::Restricted => "pss-restricted",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Level, UnknownName> {
        match s.trim().to_ascii_lowercase().as_str() {
            "baseline" | "pss-baseline" => Ok(Level::Baseline),
            "restricted" | "pss-restricted" => Ok(Level::Restricted),
            _ => Err(UnknownName {
                what: "Pod Security Standards level",
                name: s.to_string(),
                expected: "baseline, restricted",
            }),
        }
    }
}

/// The newest policy version this implementation knows (`latest` resolves to it).
pub const LATEST_MINOR: u32 = 37;

/// A policy version `1.N`; checks use the newest behaviour whose minimum version is not above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PolicyVersion {
    pub minor: u32,
}

impl PolicyVersion {
    pub const LATEST: PolicyVersion = PolicyVersion {
        minor: LATEST_MINOR,
    };

    pub fn new(minor: u32) -> PolicyVersion {
        PolicyVersion { minor }
    }
}

impl Default for PolicyVersion {
    fn default() -> Self {
        PolicyVersion::LATEST
    }
}

impl std::fmt::Display for PolicyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v1.{}", self.minor)
    }
}

impl std::str::FromStr for PolicyVersion {
    type Err = VersionError;
    /// `1.N`, `v1.N`, `1.N.P` or `latest`.
    fn from_str(s: &str) -> Result<PolicyVersion, VersionError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("latest") {
            return Ok(PolicyVersion::LATEST);
        }
        let t = t.strip_prefix('v').unwrap_or(t);
        let mut parts = t.split('.');
        let (Some("1"), Some(minor)) = (parts.next(), parts.next()) else {
            return Err(VersionError(s.to_string()));
        };
        let minor: u32 = minor.parse().map_err(|_| VersionError(s.to_string()))?;
        if parts.next().is_some_and(|p| p.parse::<u32>().is_err()) || minor > 1000 {
            return Err(VersionError(s.to_string()));
        }
        Ok(PolicyVersion { minor })
    }
}

/// The outcome of one check on one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The check id as Kubernetes names it (`privileged`, `hostNamespaces`, …).
    pub id: &'static str,
    /// The level the check belongs to.
    pub level: Level,
    pub allowed: bool,
    /// Short reason, as in `violates PodSecurity "restricted:latest": <reason> (<detail>)`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub forbidden_reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub forbidden_detail: String,
}

/// What a check function returns: `None` when allowed, else (reason, detail).
pub(crate) type Verdict = Option<(String, String)>;

/// The pod under evaluation: its metadata and spec.
#[derive(Clone, Copy)]
pub(crate) struct Pod<'a> {
    pub meta: &'a Value,
    pub spec: &'a Value,
}

/// Evaluates every check of `level` (and the levels below it) that applies at `version` against a pod
/// given as its metadata and spec (use `Value::Null` for absent metadata). Returns one result per check
/// that ran, allowed or not.
pub fn evaluate(
    metadata: &Value,
    spec: &Value,
    level: Level,
    version: PolicyVersion,
) -> Vec<CheckResult> {
    let pod = Pod {
        meta: metadata,
        spec,
    };
    registry::applicable(level, version)
        .into_iter()
        .map(|(def, check)| match check(pod) {
            None => CheckResult {
                id: def.id,
                level: def.level,
                allowed: true,
                forbidden_reason: String::new(),
                forbidden_detail: String::new(),
            },
            Some((reason, detail)) => CheckResult {
                id: def.id,
                level: def.level,
                allowed: false,
                forbidden_reason: reason,
                forbidden_detail: detail,
            },
        })
        .collect()
}

/// Evaluates a whole `v1/Pod` document.
pub fn evaluate_pod(pod: &Value, level: Level, version: PolicyVersion) -> Vec<CheckResult> {
    static NULL: Value = Value::Null;
    let meta = pod.get("metadata").unwrap_or(&NULL);
    let spec = pod.get("spec").unwrap_or(&NULL);
    evaluate(meta, spec, level, version)
}

/// The admission-style message for denied results, e.g.
/// `violates PodSecurity "baseline:v1.30": privileged (container "a" must not set …)`.
pub fn denial_message(
    results: &[CheckResult],
    level: Level,
    version: PolicyVersion,
) -> Option<String> {
    let denied: Vec<String> = results
        .iter()
        .filter(|r| !r.allowed)
        .map(|r| {
            if r.forbidden_detail.is_empty() {
                r.forbidden_reason.clone()
            } else {
                format!("{} ({})", r.forbidden_reason, r.forbidden_detail)
            }
        })
        .collect();
    (!denied.is_empty()).then(|| {
        format!(
            "violates PodSecurity \"{}:{}\": {}",
            level.as_str(),
            version,
            denied.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_versions() {
        assert_eq!("1.25".parse::<PolicyVersion>(), Ok(PolicyVersion::new(25)));
        assert_eq!("v1.3".parse::<PolicyVersion>(), Ok(PolicyVersion::new(3)));
        assert_eq!(
            "1.30.2".parse::<PolicyVersion>(),
            Ok(PolicyVersion::new(30))
        );
        assert_eq!("latest".parse::<PolicyVersion>(), Ok(PolicyVersion::LATEST));
        assert!("2.1".parse::<PolicyVersion>().is_err());
        assert!("1.x".parse::<PolicyVersion>().is_err());
    }

    #[test]
    fn privileged_container_is_denied_with_kubernetes_text() {
        let spec = json!({"containers": [{"name": "a", "securityContext": {"privileged": true}}]});
        let r = evaluate(&Value::Null, &spec, Level::Baseline, PolicyVersion::LATEST);
        let msg = denial_message(&r, Level::Baseline, PolicyVersion::new(30)).expect("denied");
        assert_eq!(
            msg,
            "violates PodSecurity \"baseline:v1.30\": privileged (container \"a\" must not set securityContext.privileged=true)"
        );
    }

    #[test]
    fn restricted_overrides_baseline_checks() {
        let ids: Vec<_> = applicable_checks(Level::Restricted, PolicyVersion::LATEST)
            .iter()
            .map(|d| d.id)
            .collect();
        assert!(ids.contains(&"seccompProfile_restricted"));
        assert!(!ids.contains(&"seccompProfile_baseline"));
        assert!(!ids.contains(&"hostPathVolumes"));
        let old: Vec<_> = applicable_checks(Level::Restricted, PolicyVersion::new(18))
            .iter()
            .map(|d| d.id)
            .collect();
        assert!(old.contains(&"seccompProfile_baseline"));
        assert!(!old.contains(&"runAsUser"));
    }

    #[test]
    fn windows_pods_are_exempt_from_linux_only_restricted_checks_from_1_25() {
        let spec = json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
            "containers": [{"name": "a"}]});
        let denied = |v| {
            evaluate(
                &Value::Null,
                &spec,
                Level::Restricted,
                PolicyVersion::new(v),
            )
            .into_iter()
            .filter(|r| !r.allowed)
            .map(|r| r.id)
            .collect::<Vec<_>>()
        };
        assert!(denied(25).is_empty());
        assert!(denied(24).contains(&"allowPrivilegeEscalation"));
    }
}

#[cfg(test)]
mod semantics_tests;
