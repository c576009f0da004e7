//! The normalised resource document every loader produces and every check reads.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// Where a resource was declared: a file (relative to the scanned root) and a 1-based line range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSpan {
    pub file: String,
    pub start_line: u32,
    pub end_line: u32,
}

/// Which loader produced a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Terraform,
    TerraformPlan,
    CloudFormation,
    /// Produced by a live cloud collector (issue 6).
    Live,
}

/// One cloud resource in Terraform's shape: the AWS provider's type and attribute names, nested blocks as
/// lists of objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// `aws_s3_bucket`.
    pub resource_type: String,
    /// `module.net.aws_security_group.web[0]`.
    pub address: String,
    /// The block name (`web`), or the CloudFormation logical id.
    pub name: String,
    /// `aws`.
    pub provider: String,
    pub attributes: Json,
    /// Attribute paths (`versioning.0.enabled`) whose value could not be determined; `null` in `attributes`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unknown: BTreeSet<String>,
    /// For unknown paths that came from a reference: the reference (`aws_s3_bucket.logs.id`), with the module
    /// prefix of the referencing resource.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub references: BTreeMap<String, String>,
    pub source: SourceSpan,
    /// The configuration the resource belongs to: the Terraform root module directory, the CloudFormation
    /// template or the plan file. Addresses are unique within one root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub root: String,
    /// Module instance path (`module.net`), empty at the root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    pub origin: Origin,
}

/// What an attribute lookup found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attr<'a> {
    Known(&'a Json),
    Unknown,
    Absent,
}

impl<'a> Attr<'a> {
    /// The value when known and not null.
    pub fn known(self) -> Option<&'a Json> {
        match self {
            Attr::Known(v) if !v.is_null() => Some(v),
            _ => None,
        }
    }
}

impl Resource {
    /// Looks up a dot path (`versioning.0.enabled`). A key applied to a list looks into its first element,
    /// so `versioning.enabled` also reads a one-element block list.
    pub fn get(&self, path: &str) -> Attr<'_> {
        let mut cur = &self.attributes;
        let mut walked = String::new();
        for seg in path.split('.') {
            if self.is_unknown_path(&walked) {
                return Attr::Unknown;
            }
            let next = match cur {
                Json::Object(m) => m.get(seg),
                Json::Array(a) => match seg.parse::<usize>() {
                    Ok(i) => a.get(i),
                    Err(_) => {
                        walked = crate::value::join_path(&walked, "0");
                        a.first().and_then(|v| v.get(seg))
                    }
                },
                _ => None,
            };
            walked = crate::value::join_path(&walked, seg);
            match next {
                Some(v) => cur = v,
                None => {
                    return if self.is_unknown_path(&walked) {
                        Attr::Unknown
                    } else {
                        Attr::Absent
                    };
                }
            }
        }
        if self.is_unknown_path(&walked) || self.unknown_below(&walked) && cur.is_null() {
            Attr::Unknown
        } else {
            Attr::Known(cur)
        }
    }

    fn is_unknown_path(&self, path: &str) -> bool {
        !path.is_empty() && self.unknown.contains(path)
    }

    fn unknown_below(&self, path: &str) -> bool {
        let prefix = format!("{path}.");
        self.unknown
            .range(prefix.clone()..)
            .next()
            .is_some_and(|p| p.starts_with(&prefix))
    }

    /// The string at `path`, when known.
    pub fn str(&self, path: &str) -> Option<&str> {
        self.get(path).known().and_then(Json::as_str)
    }

    /// The reference stored at `path` when its value is unknown (`aws_s3_bucket.logs.id`).
    pub fn reference(&self, path: &str) -> Option<&str> {
        self.references.get(path).map(String::as_str)
    }

    /// The nested blocks named `name` (a list of objects, or a single object).
    pub fn blocks(&self, name: &str) -> Vec<&Json> {
        match self.attributes.get(name) {
            Some(Json::Array(a)) => a.iter().filter(|v| v.is_object()).collect(),
            Some(v @ Json::Object(_)) => vec![v],
            _ => Vec::new(),
        }
    }
}

/// (root, type, top-level attribute, string value) → resource indexes.
type LiteralIndex = HashMap<(String, String, String, String), Vec<usize>>;

/// All resources of a scan, with lookups by type and by reference.
#[derive(Debug, Clone, Default)]
pub struct ResourceSet {
    resources: Vec<Resource>,
    by_type: HashMap<String, Vec<usize>>,
    by_address: HashMap<(String, String), usize>,
    /// Built on first join: target index → (source index, attribute path) of references resolving to it.
    incoming: OnceLock<HashMap<usize, Vec<(usize, String)>>>,
    /// Built on first join: (root, type, top-level attribute, string value) → resource indexes.
    literal: OnceLock<LiteralIndex>,
}

impl ResourceSet {
    /// Indexes `resources`.
    pub fn new(resources: Vec<Resource>) -> ResourceSet {
        let mut set = ResourceSet::default();
        for r in resources {
            set.push(r);
        }
        set
    }

    /// Adds one resource (drops the join indexes; they rebuild on the next join).
    pub fn push(&mut self, r: Resource) {
        self.incoming = OnceLock::new();
        self.literal = OnceLock::new();
        let i = self.resources.len();
        self.by_type
            .entry(r.resource_type.clone())
            .or_default()
            .push(i);
        self.by_address
            .insert((r.root.clone(), r.address.clone()), i);
        if r.origin == Origin::CloudFormation && r.address == r.name {
            // CloudFormation references are file-scoped: `cfn:FILE#LogicalId.attr`.
            let key = format!("cfn:{}#{}", r.source.file, r.name);
            self.by_address.insert((r.root.clone(), key), i);
        }
        self.resources.push(r);
    }

    /// Every resource, in load order.
    pub fn all(&self) -> &[Resource] {
        &self.resources
    }

    /// The resources, consuming the set.
    pub fn into_vec(self) -> Vec<Resource> {
        self.resources
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// True when there are no resources.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Resources of Terraform type `t`.
    pub fn of_type<'a>(&'a self, t: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_type
            .get(t)
            .into_iter()
            .flatten()
            .map(move |&i| &self.resources[i])
    }

    /// The resource with `address` in configuration `root`.
    pub fn by_address(&self, root: &str, address: &str) -> Option<&Resource> {
        self.by_address
            .get(&(root.to_string(), address.to_string()))
            .map(|&i| &self.resources[i])
    }

    /// The resource a reference token of `from` points at: `module.m.aws_s3_bucket.logs[0].id` → the
    /// resource `module.m.aws_s3_bucket.logs[0]` (or the un-indexed address) in the same root.
    pub fn resolve_ref(&self, from: &Resource, token: &str) -> Option<&Resource> {
        let mut cut = token.len();
        loop {
            let head = &token[..cut];
            if let Some(r) = self.by_address(&from.root, head) {
                return Some(r);
            }
            cut = head.rfind('.')?;
        }
    }

    /// Resources of type `t` whose attribute `attr` refers to `target` — by a reference token to it, or by
    /// the literal value of one of `target`'s identifying attributes (`ids`, e.g. the bucket name). Indexed,
    /// so joins stay linear in the number of resources.
    pub fn referencing<'a>(
        &'a self,
        t: &'a str,
        attr: &'a str,
        target: &'a Resource,
        ids: &'a [&'a str],
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        let target_idx = self
            .by_address
            .get(&(target.root.clone(), target.address.clone()))
            .copied();
        let by_ref = target_idx
            .and_then(|i| self.incoming().get(&i))
            .into_iter()
            .flatten()
            .filter(move |(src, path)| path == attr && self.resources[*src].resource_type == t)
            .map(|(src, _)| *src);
        let literal = self.literal();
        let by_name = ids
            .iter()
            .filter_map(move |id| target.str(id))
            .flat_map(move |v| {
                literal
                    .get(&(
                        target.root.clone(),
                        t.to_string(),
                        attr.to_string(),
                        v.to_string(),
                    ))
                    .into_iter()
                    .flatten()
                    .copied()
            });
        let mut seen = std::collections::HashSet::new();
        by_ref
            .chain(by_name)
            .filter(move |i| seen.insert(*i))
            .map(move |i| &self.resources[i])
    }

    /// Every resource holding a reference that resolves to `target`.
    pub fn referrers<'a>(
        &'a self,
        target: &'a Resource,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_address
            .get(&(target.root.clone(), target.address.clone()))
            .and_then(|i| self.incoming().get(i))
            .into_iter()
            .flatten()
            .map(|(src, _)| &self.resources[*src])
    }

    fn incoming(&self) -> &HashMap<usize, Vec<(usize, String)>> {
        self.incoming.get_or_init(|| {
            let mut m: HashMap<usize, Vec<(usize, String)>> = HashMap::new();
            for (i, r) in self.resources.iter().enumerate() {
                for (path, tok) in &r.references {
                    if let Some(t) = self.resolve_ref(r, tok)
                        && let Some(&ti) = self.by_address.get(&(t.root.clone(), t.address.clone()))
                    {
                        m.entry(ti).or_default().push((i, path.clone()));
                    }
                }
            }
            m
        })
    }

    fn literal(&self) -> &LiteralIndex {
        self.literal.get_or_init(|| {
            let mut m = LiteralIndex::new();
            for (i, r) in self.resources.iter().enumerate() {
                let Json::Object(attrs) = &r.attributes else {
                    continue;
                };
                for (k, v) in attrs {
                    if let Json::String(s) = v {
                        let key = (
                            r.root.clone(),
                            r.resource_type.clone(),
                            k.clone(),
                            s.clone(),
                        );
                        m.entry(key).or_default().push(i);
                    }
                }
            }
            m
        })
    }
}

/// The outcome of one check on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Failed, with what was seen.
    Fail(String),
    /// A value the check needs is unknown; says which.
    Unknown(String),
}

impl Outcome {
    /// A failure with what was seen.
    pub fn fail(detail: impl Into<String>) -> Outcome {
        Outcome::Fail(detail.into())
    }
    /// Undecidable because `what` is unknown.
    pub fn unknown(what: impl Into<String>) -> Outcome {
        Outcome::Unknown(what.into())
    }
    /// Pass when `ok`, else fail with `detail`.
    pub fn check(ok: bool, detail: impl Into<String>) -> Outcome {
        if ok {
            Outcome::Pass
        } else {
            Outcome::Fail(detail.into())
        }
    }
}

/// A live resource `TYPE.NAME` with `attributes`, for the checks' unit tests.
#[cfg(test)]
pub(crate) fn live_for_test(
    resource_type: &str,
    name: &str,
    attributes: serde_json::Value,
) -> Resource {
    Resource {
        resource_type: resource_type.into(),
        address: format!("{resource_type}.{name}"),
        name: name.into(),
        provider: "aws".into(),
        attributes,
        unknown: Default::default(),
        references: Default::default(),
        source: SourceSpan {
            file: "x".into(),
            start_line: 0,
            end_line: 0,
        },
        root: "x".into(),
        module: String::new(),
        origin: Origin::Live,
    }
}
