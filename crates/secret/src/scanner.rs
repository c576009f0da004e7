//! Scanning file contents for secrets.

use crate::entropy::shannon_entropy;
use crate::mask::mask;
use crate::rules::RuleSet;
use rampart_core::{Finding, FindingKind, Location, Severity};
use std::collections::HashMap;

/// Bounds on what one scan reads.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files larger than this are not scanned (the caller reports them).
    pub max_file_size: u64,
    /// A NUL byte in this many leading bytes marks a file as binary; binary files are skipped.
    pub binary_probe: usize,
    /// Most hits reported for one file (a generated file full of tokens is reported once per rule
    /// occurrence up to this bound).
    pub max_hits_per_file: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 10 << 20,
            binary_probe: 8000,
            max_hits_per_file: 100,
        }
    }
}

/// One secret found in one file. The secret itself is only kept masked.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretHit {
    pub rule_id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    /// The file, as the caller named it.
    pub path: String,
    /// 1-based lines where the secret starts and ends.
    pub line: u32,
    pub end_line: u32,
    /// The secret, masked.
    pub masked: String,
    /// The line the secret starts on, with the secret masked, shortened to about 160 characters.
    pub context: String,
    /// Index of this hit among hits of the same rule in the same file (a stable part of its identity
    /// that does not depend on the secret or on line numbers).
    pub occurrence: u32,
}

impl SecretHit {
    /// The hit as a finding on `asset`; `layer` names the image layer holding the file, when there is one.
    pub fn to_finding(&self, asset: &str, layer: Option<&str>) -> Finding {
        let subject = format!("{}#{}", self.path, self.occurrence);
        let mut f = Finding::new(
            FindingKind::Secret,
            &self.rule_id,
            self.title.clone(),
            self.severity,
            asset,
            subject,
        )
        .with_evidence(
            "secret",
            Some(Location::with_lines(&self.path, self.line, self.end_line)),
            format!("{} ({})", self.context, self.masked),
        )
        .with_control("CWE", "CWE-798")
        .with_remediation(format!(
            "Remove the secret from {}, treat it as compromised and rotate it, and provide it at run \
             time from a secret store instead",
            self.path
        ));
        if let Some(layer) = layer {
            f = f.with_evidence("layer", None, layer);
        }
        f
    }
}

/// Scans file contents with a [`RuleSet`].
#[derive(Debug, Clone)]
pub struct Scanner {
    rules: RuleSet,
    limits: Limits,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new(RuleSet::builtin(), Limits::default())
    }
}

impl Scanner {
    pub fn new(rules: RuleSet, limits: Limits) -> Scanner {
        Scanner { rules, limits }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Cheap test before reading a file: within the size limit and not on an allow-listed path.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        size > 0 && size <= self.limits.max_file_size && !self.path_allowed(path)
    }

    fn path_allowed(&self, path: &str) -> bool {
        self.rules.allow_paths.iter().any(|r| r.is_match(path))
    }

    /// Finds the secrets in one file's contents. Binary and oversized contents give no hits.
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<SecretHit> {
        if content.len() as u64 > self.limits.max_file_size
            || memchr::memchr(0, &content[..content.len().min(self.limits.binary_probe)]).is_some()
        {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(content);
        let mut candidates = vec![false; self.rules.rules.len()];
        let mut any = false;
        for m in self.rules.keywords.find_overlapping_iter(text.as_ref()) {
            candidates[self.rules.keyword_owner[m.pattern().as_usize()]] = true;
            any = true;
        }
        if !any {
            return Vec::new();
        }
        let mut raw: Vec<(usize, usize, usize)> = Vec::new(); // (rule, start, end)
        for (idx, rule) in self.rules.rules.iter().enumerate() {
            if !candidates[idx] || rule.path.as_ref().is_some_and(|p| !p.is_match(path)) {
                continue;
            }
            for caps in rule.regex.captures_iter(&text) {
                let Some(m) = caps.name(&rule.secret_group).or_else(|| caps.get(0)) else {
                    continue;
                };
                let secret = m.as_str();
                if secret.is_empty()
                    || rule
                        .min_entropy
                        .is_some_and(|min| shannon_entropy(secret) < min)
                    || rule.allow.iter().any(|a| a.is_match(secret))
                    || self.globally_allowed(path, secret)
                {
                    continue;
                }
                raw.push((idx, m.start(), m.end()));
                if raw.len() >= self.limits.max_hits_per_file * 4 {
                    break;
                }
            }
        }
        self.resolve_overlaps(&mut raw);
        let mut occurrences: HashMap<usize, u32> = HashMap::new();
        raw.iter()
            .take(self.limits.max_hits_per_file)
            .map(|&(idx, start, end)| {
                let rule = &self.rules.rules[idx];
                let n = occurrences.entry(idx).or_default();
                let occurrence = *n;
                *n += 1;
                self.hit(rule, path, &text, start, end, occurrence)
            })
            .collect()
    }

    fn globally_allowed(&self, path: &str, secret: &str) -> bool {
        self.rules.allow_rules.iter().any(|a| {
            (a.path.is_some() || a.regex.is_some())
                && a.path.as_ref().is_none_or(|p| p.is_match(path))
                && a.regex.as_ref().is_none_or(|r| r.is_match(secret))
        })
    }

    /// Sorts hits by position and drops a hit whose span overlaps an earlier-kept one, keeping the more
    /// severe (then the earlier-listed, more specific) rule.
    fn resolve_overlaps(&self, raw: &mut Vec<(usize, usize, usize)>) {
        let rules = &self.rules.rules;
        raw.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(rules[b.0].severity.cmp(&rules[a.0].severity))
                .then(a.0.cmp(&b.0))
        });
        let mut kept: Vec<(usize, usize, usize)> = Vec::with_capacity(raw.len());
        for &hit in raw.iter() {
            match kept.last_mut() {
                Some(last) if hit.1 < last.2 => {
                    let better = (rules[hit.0].severity, std::cmp::Reverse(hit.0))
                        > (rules[last.0].severity, std::cmp::Reverse(last.0));
                    if better {
                        *last = hit;
                    }
                }
                _ => kept.push(hit),
            }
        }
        *raw = kept;
    }

    fn hit(
        &self,
        rule: &crate::Rule,
        path: &str,
        text: &str,
        start: usize,
        end: usize,
        occurrence: u32,
    ) -> SecretHit {
        let bytes = text.as_bytes();
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..start]).count() as u32;
        let end_line = line + memchr::memchr_iter(b'\n', &bytes[start..end]).count() as u32;
        let masked = mask(&text[start..end], rule.keep_prefix);
        let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let first_masked_line = masked.split('\n').next().unwrap_or("");
        let before = tail_chars(&text[line_start..start], 60);
        let after = if end <= line_end {
            head_chars(&text[end..line_end], 60)
        } else {
            ""
        };
        SecretHit {
            rule_id: rule.id.clone(),
            category: rule.category.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            path: path.to_string(),
            line,
            end_line,
            masked: masked.clone(),
            context: format!(
                "{}{}{}",
                before.trim_start(),
                first_masked_line,
                after.trim_end()
            ),
            occurrence,
        }
    }
}

fn tail_chars(s: &str, n: usize) -> &str {
    match s.char_indices().rev().nth(n.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > n => &s[i..],
        _ => s,
    }
}

fn head_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
