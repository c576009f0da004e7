//! Effective permissions as sets of catalogue actions, per policy and per principal.
//!
//! `unrestricted` holds actions allowed on `"Resource": "*"` without conditions (what Cloudsplaining calls
//! "without resource constraints"); `any` holds actions allowed on at least some resource or under some
//! condition. Unconditional Deny statements on `*` are subtracted; a permission boundary and each SCP level
//! intersect.

use crate::actions::{ActionSet, Catalog};
use crate::policy::{Effect, Policy, Statement};
use std::collections::HashMap;

/// The action sets of one policy or principal.
#[derive(Debug, Clone)]
pub struct Effective {
    pub unrestricted: ActionSet,
    pub any: ActionSet,
    /// Actions denied unconditionally on every resource.
    pub denied: ActionSet,
}

/// Caches expansions of action patterns and per-policy sets.
pub struct Expander {
    catalog: &'static Catalog,
    patterns: HashMap<String, ActionSet>,
    policies: HashMap<*const Policy, Effective>,
}

impl Default for Expander {
    fn default() -> Self {
        Expander::new()
    }
}

impl Expander {
    pub fn new() -> Expander {
        Expander {
            catalog: Catalog::get(),
            patterns: HashMap::new(),
            policies: HashMap::new(),
        }
    }

    fn empty(&self) -> ActionSet {
        ActionSet::empty(self.catalog.len())
    }

    /// The actions a statement's `Action`/`NotAction` covers.
    fn statement_actions(&mut self, s: &Statement) -> ActionSet {
        let mut set = self.empty();
        for p in &s.action.patterns {
            let key = p.raw.to_ascii_lowercase();
            if !self.patterns.contains_key(&key) {
                let e = self.catalog.expand(&p.raw);
                self.patterns.insert(key.clone(), e);
            }
            if let Some(e) = self.patterns.get(&key) {
                set.union_with(e);
            }
        }
        if s.action.negated {
            set.complement()
        } else {
            set
        }
    }

    /// The sets of one policy (cached by address; policies live as long as the account).
    pub fn policy(&mut self, p: &Policy) -> Effective {
        let key = p as *const Policy;
        if let Some(e) = self.policies.get(&key) {
            return e.clone();
        }
        let mut eff = Effective {
            unrestricted: self.empty(),
            any: self.empty(),
            denied: self.empty(),
        };
        for s in &p.document.statements {
            let actions = self.statement_actions(s);
            let all_resources = match &s.resource {
                None => true,
                Some(r) => !r.negated && r.patterns.iter().any(|x| x.raw == "*"),
            };
            match s.effect {
                Effect::Allow => {
                    if all_resources && !s.has_condition() {
                        eff.unrestricted.union_with(&actions);
                    }
                    eff.any.union_with(&actions);
                }
                Effect::Deny => {
                    if all_resources && !s.has_condition() {
                        eff.denied.union_with(&actions);
                    }
                }
            }
        }
        self.policies.insert(key, eff.clone());
        eff
    }

    /// The effective sets of a principal's policies, limited by its boundary.
    pub fn principal(
        &mut self,
        identity: &[&Policy],
        boundary: Option<&Policy>,
        scp_levels: &[Vec<&Policy>],
    ) -> Effective {
        let mut eff = Effective {
            unrestricted: self.empty(),
            any: self.empty(),
            denied: self.empty(),
        };
        for p in identity {
            let e = self.policy(p);
            eff.unrestricted.union_with(&e.unrestricted);
            eff.any.union_with(&e.any);
            eff.denied.union_with(&e.denied);
        }
        if let Some(b) = boundary {
            let e = self.policy(b);
            eff.unrestricted.intersect_with(&e.unrestricted);
            eff.any.intersect_with(&e.any);
            eff.denied.union_with(&e.denied);
        }
        for level in scp_levels {
            let mut level_allow = self.empty();
            let mut level_any = self.empty();
            for p in level {
                let e = self.policy(p);
                level_allow.union_with(&e.unrestricted);
                level_any.union_with(&e.any);
                eff.denied.union_with(&e.denied);
            }
            eff.unrestricted.intersect_with(&level_allow);
            eff.any.intersect_with(&level_any);
        }
        let denied = eff.denied.clone();
        eff.unrestricted.subtract(&denied);
        eff.any.subtract(&denied);
        eff
    }
}
