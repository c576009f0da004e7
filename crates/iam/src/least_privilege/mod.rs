//! Least privilege from CloudTrail: per principal, a policy granting what it actually used, and — given
//! the account's authorization details — the permissions it holds but never used.
//!
//! Input is CloudTrail records (`{"Records": [...]}` files, gzip or plain, via [`records_from_bytes`], or
//! records from any other reader). Refused calls (AccessDenied) are attempts, not use: they are counted
//! but never granted. Resources come from the records (`resources`, S3 bucket and key parameters); an
//! action whose records name none, or more than [`Options::max_resources`], gets `"Resource": "*"`.

pub mod events;

use crate::account::Account;
use crate::actions::Catalog;
use crate::analysis::index::Index;
use crate::analysis::permissions::Expander;
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Distinct resources listed per action before it falls back to `*`.
    pub max_resources: usize,
    /// Largest decompressed CloudTrail file accepted by [`records_from_bytes`].
    pub max_file_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_resources: 20,
            max_file_bytes: 256 << 20,
        }
    }
}

/// Errors reading one CloudTrail file.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    #[error("CloudTrail file is not gzip: {0}")]
    Gzip(#[source] std::io::Error),
    #[error("CloudTrail file decompresses to more than {0} bytes")]
    TooLarge(u64),
    #[error("CloudTrail file is not a JSON object with Records: {0}")]
    Json(#[from] serde_json::Error),
}

/// The `Records` of one CloudTrail log file, gzip (by magic) or plain JSON.
pub fn records_from_bytes(bytes: &[u8], limit: u64) -> Result<Vec<Json>, TrailError> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(rename = "Records")]
        records: Vec<Json>,
    }
    let plain;
    let text: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(TrailError::Gzip)?;
        plain = out;
        &plain
    } else {
        bytes
    };
    if text.len() as u64 > limit {
        return Err(TrailError::TooLarge(limit));
    }
    Ok(serde_json::from_slice::<Doc>(text)?.records)
}

/// What one principal did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrincipalUsage {
    /// Allowed calls per action, with the resources seen (empty set: none named).
    pub actions: BTreeMap<String, BTreeSet<String>>,
    /// Refused calls per action.
    pub denied: BTreeMap<String, usize>,
    pub calls: usize,
    pub first_seen: String,
    pub last_seen: String,
}

/// Usage of every principal seen in the records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    pub principals: BTreeMap<String, PrincipalUsage>,
    /// Records that were not API calls by an IAM identity.
    pub skipped: usize,
    /// Records without the fields a call needs.
    pub malformed: usize,
}

impl Usage {
    /// Adds records (any number of files' worth).
    pub fn add(&mut self, records: &[Json]) {
        for r in records {
            match events::call(r) {
                Ok(c) => {
                    let p = self.principals.entry(c.principal).or_default();
                    p.calls += 1;
                    if p.first_seen.is_empty() || c.time < p.first_seen {
                        p.first_seen = c.time.clone();
                    }
                    if c.time > p.last_seen {
                        p.last_seen = c.time;
                    }
                    if c.denied {
                        *p.denied.entry(c.action).or_default() += 1;
                    } else {
                        p.actions.entry(c.action).or_default().extend(c.resources);
                    }
                }
                Err(events::Skip::NotAnIdentityCall) => self.skipped += 1,
                Err(events::Skip::Malformed) => self.malformed += 1,
            }
        }
    }

    /// Usage of `records`.
    pub fn from_records(records: &[Json]) -> Usage {
        let mut u = Usage::default();
        u.add(records);
        u
    }
}

/// The least-privilege result for one principal.
#[derive(Debug, Clone, Serialize)]
pub struct LeastPrivilege {
    pub principal: String,
    /// A policy document (Version 2012-10-17) granting exactly the used actions on the used resources.
    pub policy: Json,
    /// Used actions (canonical names where the catalogue knows them).
    pub used: Vec<String>,
    /// Used actions the catalogue does not know (kept in the policy as spelled).
    pub unknown_actions: Vec<String>,
    /// Refused calls per action (not granted).
    pub denied: BTreeMap<String, usize>,
    /// Whether the principal was found in the authorization details (only then are `granted` and
    /// `unused` meaningful).
    pub in_account: bool,
    /// Actions its policies grant on some resource.
    pub granted: usize,
    /// Granted but unused, compressed: `service:*` when no action of a fully granted service was used,
    /// else the action names.
    pub unused: Vec<String>,
    /// Number of granted-but-unused actions.
    pub unused_count: usize,
}

/// Builds the used-only policy and the unused list of every principal in `usage`. `account` (from
/// `get-account-authorization-details`) gives what each principal is granted; without it only the
/// policies are produced.
pub fn least_privilege(
    usage: &Usage,
    account: Option<&Account>,
    o: &Options,
) -> Vec<LeastPrivilege> {
    let catalog = Catalog::get();
    let index = account.map(|a| Index::new(a, None));
    let mut expander = Expander::new();
    let mut out = Vec::new();
    for (arn, u) in &usage.principals {
        let mut used_set = crate::actions::ActionSet::empty(catalog.len());
        let mut by_action: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut unknown = Vec::new();
        for (action, resources) in &u.actions {
            let name = match catalog.index(action) {
                Some(i) => {
                    used_set.insert(i);
                    let info = &catalog.actions[i];
                    if info.wildcard_only {
                        by_action.insert(info.name.clone(), BTreeSet::new());
                        continue;
                    }
                    info.name.clone()
                }
                None => {
                    unknown.push(action.clone());
                    action.clone()
                }
            };
            by_action
                .entry(name)
                .or_default()
                .extend(resources.iter().cloned());
        }
        let policy = policy_document(&by_action, o.max_resources);
        let node = index
            .as_ref()
            .and_then(|ix| ix.by_arn.get(arn.as_str()).map(|&i| (ix, i)));
        let (granted, unused, unused_count) = match node {
            Some((ix, i)) => {
                let n = &ix.nodes[i];
                let eff = expander.principal(&n.identity, n.boundary, &ix.scp_levels);
                let mut unused = eff.any.clone();
                unused.subtract(&used_set);
                (eff.any.count(), compress(&unused, &eff.any), unused.count())
            }
            None => (0, Vec::new(), 0),
        };
        out.push(LeastPrivilege {
            principal: arn.clone(),
            policy,
            used: by_action.keys().cloned().collect(),
            unknown_actions: unknown,
            denied: u.denied.clone(),
            in_account: node.is_some(),
            granted,
            unused,
            unused_count,
        });
    }
    out
}

/// One statement per distinct resource list, actions sorted; an action with no or too many resources
/// goes under `*`.
fn policy_document(by_action: &BTreeMap<String, BTreeSet<String>>, max: usize) -> Json {
    let mut groups: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (action, resources) in by_action {
        let key = if resources.is_empty() || resources.len() > max {
            vec!["*".to_string()]
        } else {
            resources.iter().cloned().collect()
        };
        groups.entry(key).or_default().push(action.clone());
    }
    let statements: Vec<Json> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (resources, actions))| {
            json!({
                "Sid": format!("Used{i}"),
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources,
            })
        })
        .collect();
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// `service:*` for services entirely granted and entirely unused; action names otherwise.
fn compress(
    unused: &crate::actions::ActionSet,
    granted: &crate::actions::ActionSet,
) -> Vec<String> {
    let catalog = Catalog::get();
    let mut out = Vec::new();
    for (svc, start, end) in catalog.services() {
        if !unused.contains_range(start, end) {
            if (start..end).any(|i| unused.contains(i)) {
                out.extend(
                    (start..end)
                        .filter(|&i| unused.contains(i))
                        .map(|i| catalog.actions[i].name.clone()),
                );
            }
            continue;
        }
        if granted.contains_range(start, end) {
            out.push(format!("{svc}:*"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_gzip_files_and_limits() {
        use std::io::Write;
        let doc = br#"{"Records":[{"eventName":"x"}]}"#;
        assert_eq!(records_from_bytes(doc, 1 << 20).expect("plain").len(), 1);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(doc).expect("write");
        let gz = e.finish().expect("gz");
        assert_eq!(records_from_bytes(&gz, 1 << 20).expect("gz").len(), 1);
        assert!(matches!(
            records_from_bytes(doc, 4),
            Err(TrailError::TooLarge(4))
        ));
        assert!(records_from_bytes(b"[1]", 100).is_err());
    }

    #[test]
    fn too_many_resources_fall_back_to_star() {
        let mut m = BTreeMap::new();
        m.insert(
            "s3:GetObject".to_string(),
            (0..5).map(|i| format!("arn:aws:s3:::b/{i}")).collect(),
        );
        let p = policy_document(&m, 3);
        assert_eq!(p["Statement"][0]["Resource"], json!(["*"]));
        let p = policy_document(&m, 10);
        assert_eq!(
            p["Statement"][0]["Resource"].as_array().map(Vec::len),
            Some(5)
        );
    }
}
