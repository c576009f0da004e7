//! Secret rules as data: the built-in set, user configuration, compilation.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rampart_core::Severity;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::path::Path;

/// The built-in rules, embedded in the binary.
const BUILTIN: &str = include_str!("../rules/builtin.yaml");

/// Paths never scanned by default: documentation, VCS internals, and test or example data, which hold
/// sample keys far more often than live ones. A config's `allow-paths` replaces this list.
const DEFAULT_ALLOW_PATHS: &[&str] = &[
    r"(?:^|/)usr/share/(?:doc|man|info|locale|i18n|zoneinfo)/",
    r"(?:^|/)\.git/",
    r"(?:^|/)(?:tests?|testdata|test_data|fixtures|examples?|__tests__|spec)/",
    r"\.(?:md|rst|html?|svg|map|lock)$",
];

/// Largest compiled regex a user rule may produce.
const REGEX_SIZE_LIMIT: usize = 4 << 20;
/// Most rules one configuration may hold.
const MAX_RULES: usize = 2000;

/// A rule or configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// One rule as written in YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RuleSpec {
    id: String,
    #[serde(default)]
    category: String,
    title: String,
    severity: String,
    keywords: Vec<String>,
    regex: String,
    #[serde(default = "default_group")]
    secret_group: String,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keep_prefix: usize,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    path: Option<String>,
}

fn default_group() -> String {
    "secret".into()
}

/// A global allow rule from a config: a finding is dropped when its path matches `path` (if given) and
/// its secret matches `regex` (if given).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct AllowSpec {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    regex: Option<String>,
}

/// A user's secret configuration (`--secret-config FILE`, YAML).
///
/// ```yaml
/// disable-rules: [jwt]
/// rules:                      # extra rules, same shape as the built-in ones
///   - {id: acme-token, title: ACME token, severity: high, keywords: [acme_], regex: 'acme_[a-z0-9]{32}'}
/// allow-rules:                # findings to drop
///   - {id: fixtures, description: sample keys, path: '^deploy/samples/'}
/// allow-paths: []             # replaces the default skipped paths (docs, .git, tests, examples)
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    disable_rules: Vec<String>,
    #[serde(default)]
    rules: Vec<RuleSpec>,
    #[serde(default)]
    allow_rules: Vec<AllowSpec>,
    #[serde(default)]
    allow_paths: Option<Vec<String>>,
}

impl Config {
    /// Reads a YAML configuration file.
    pub fn load(path: &Path) -> Result<Config, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuleError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses a YAML configuration; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, RuleError> {
        if text.len() > 4 << 20 {
            return Err(invalid(origin, "configuration larger than 4 MiB"));
        }
        serde_saphyr::from_str(text).map_err(|e| invalid(origin, &e.to_string()))
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    pub(crate) regex: Regex,
    pub(crate) secret_group: String,
    pub(crate) min_entropy: Option<f64>,
    pub(crate) keep_prefix: usize,
    pub(crate) allow: Vec<Regex>,
    pub(crate) path: Option<Regex>,
    keywords: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct AllowRule {
    pub(crate) path: Option<Regex>,
    pub(crate) regex: Option<Regex>,
}

/// A compiled set of rules with its keyword prefilter and allow lists.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) rules: Vec<Rule>,
    /// Keywords of all rules; pattern `i` belongs to rule `keyword_owner[i]`.
    pub(crate) keywords: AhoCorasick,
    pub(crate) keyword_owner: Vec<usize>,
    pub(crate) allow_rules: Vec<AllowRule>,
    pub(crate) allow_paths: Vec<Regex>,
}

impl RuleSet {
    /// The built-in rules with the default allow list.
    pub fn builtin() -> RuleSet {
        // The embedded rules are tested; failing here is a build defect, not an input error.
        RuleSet::with_config(&Config::default()).expect("built-in secret rules compile")
    }

    /// The built-in rules adjusted by a user configuration.
    pub fn with_config(config: &Config) -> Result<RuleSet, RuleError> {
        let builtin: Vec<RuleSpec> = serde_saphyr::from_str(BUILTIN)
            .map_err(|e| invalid("built-in rules", &e.to_string()))?;
        let mut specs: Vec<RuleSpec> = builtin
            .into_iter()
            .filter(|r| !config.disable_rules.contains(&r.id))
            .collect();
        specs.extend(config.rules.iter().cloned());
        if specs.len() > MAX_RULES {
            return Err(invalid("secret config", "more than 2000 rules"));
        }
        let mut rules = Vec::with_capacity(specs.len());
        for spec in &specs {
            if rules.iter().any(|r: &Rule| r.id == spec.id) {
                return Err(invalid(&spec.id, "duplicate rule id"));
            }
            rules.push(compile_rule(spec)?);
        }
        let mut patterns = Vec::new();
        let mut keyword_owner = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for k in &rule.keywords {
                patterns.push(k.as_str());
                keyword_owner.push(i);
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| invalid("keywords", &e.to_string()))?;
        let allow_rules = config
            .allow_rules
            .iter()
            .map(|a| {
                let origin = format!("allow rule {}", a.id);
                let _ = &a.description;
                Ok(AllowRule {
                    path: a
                        .path
                        .as_deref()
                        .map(|p| build_regex(p, &origin))
                        .transpose()?,
                    regex: a
                        .regex
                        .as_deref()
                        .map(|p| build_regex(p, &origin))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, RuleError>>()?;
        let allow_paths = match &config.allow_paths {
            Some(list) => list
                .iter()
                .map(|p| build_regex(p, "allow-paths"))
                .collect::<Result<Vec<_>, _>>()?,
            None => DEFAULT_ALLOW_PATHS
                .iter()
                .map(|p| build_regex(p, "default allow paths"))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(RuleSet {
            rules,
            keywords,
            keyword_owner,
            allow_rules,
            allow_paths,
        })
    }

    /// The compiled rules, in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

fn compile_rule(spec: &RuleSpec) -> Result<Rule, RuleError> {
    let origin = format!("rule {}", spec.id);
    if spec.id.is_empty() || spec.title.is_empty() {
        return Err(invalid(&origin, "id and title are required"));
    }
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.trim().is_empty()) {
        return Err(invalid(
            &origin,
            "at least one non-empty keyword is required",
        ));
    }
    let severity: Severity = spec
        .severity
        .parse()
        .map_err(|_| invalid(&origin, &format!("unknown severity {:?}", spec.severity)))?;
    let regex = build_regex(&spec.regex, &origin)?;
    let has_group = regex
        .capture_names()
        .flatten()
        .any(|n| n == spec.secret_group);
    if !has_group && spec.secret_group != "secret" {
        return Err(invalid(
            &origin,
            &format!("regex has no group named {:?}", spec.secret_group),
        ));
    }
    Ok(Rule {
        id: spec.id.clone(),
        category: spec.category.clone(),
        title: spec.title.clone(),
        severity,
        regex,
        secret_group: spec.secret_group.clone(),
        min_entropy: spec.entropy,
        keep_prefix: spec.keep_prefix,
        allow: spec
            .allow
            .iter()
            .map(|p| build_regex(p, &origin))
            .collect::<Result<_, _>>()?,
        path: spec
            .path
            .as_deref()
            .map(|p| build_regex(p, &origin))
            .transpose()?,
        keywords: spec.keywords.clone(),
    })
}

fn build_regex(pattern: &str, origin: &str) -> Result<Regex, RuleError> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| invalid(origin, &format!("bad regex: {e}")))
}

fn invalid(origin: &str, message: &str) -> RuleError {
    RuleError::Invalid {
        origin: origin.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile_with_unique_ids() {
        let set = RuleSet::builtin();
        assert!(set.rules().len() >= 18);
        assert!(
            set.rules()
                .iter()
                .all(|r| r.regex.capture_names().flatten().any(|n| n == "secret"))
        );
    }

    #[test]
    fn config_disables_adds_and_validates() {
        let cfg = Config::parse(
            "disable-rules: [jwt]\nrules:\n  - {id: acme, title: ACME, severity: high, keywords: [acme_], regex: 'acme_(?P<secret>[a-z0-9]{32})'}\n",
            "test",
        )
        .unwrap();
        let set = RuleSet::with_config(&cfg).unwrap();
        assert!(set.rules().iter().all(|r| r.id != "jwt"));
        assert!(set.rules().iter().any(|r| r.id == "acme"));

        for bad in [
            "rules: [{id: x, title: X, severity: loud, keywords: [a], regex: a}]",
            "rules: [{id: x, title: X, severity: high, keywords: [], regex: a}]",
            "rules: [{id: x, title: X, severity: high, keywords: [a], regex: '('}]",
            "rules: [{id: aws-access-key-id, title: X, severity: high, keywords: [a], regex: a}]",
            "unknown-key: 1",
            "rules: [{id: x, title: X, severity: high, keywords: [a], regex: 'a{1000}{1000}'}]",
        ] {
            let result = Config::parse(bad, "t").and_then(|c| RuleSet::with_config(&c));
            assert!(result.is_err(), "{bad} should be rejected");
        }
    }
}
