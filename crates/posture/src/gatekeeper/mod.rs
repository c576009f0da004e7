//! OPA Gatekeeper compatibility: ConstraintTemplates and Constraints run unchanged over documents, with
//! Gatekeeper's review input, `spec.match`, `data.inventory` and `gator verify` suites.

#[cfg(feature = "cel")]
mod cel;
mod constraint;
mod review;
mod template;
pub mod verify;

pub use constraint::{
    Constraint, KindMatch, LabelSelector, Match, Requirement, glob_matches, is_constraint,
};
pub use review::{Inventory, Review};
pub use template::{ConstraintTemplate, RawViolation, is_template};

use crate::check::{CheckId, CheckMeta, ControlRef, Violation};
use crate::error::{PolicyError, Result};
use crate::rego::Limits;
use rampart_core::package::Location;
use rampart_core::severity::Severity;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// One constraint violated by one object.
#[derive(Debug, Clone, PartialEq)]
pub struct GatekeeperResult {
    pub template: String,
    pub constraint_kind: String,
    pub constraint: String,
    pub enforcement_action: String,
    pub msg: String,
    pub details: Value,
}

/// Templates and their constraints, loaded from files or a policy directory.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub templates: Vec<ConstraintTemplate>,
    pub constraints: Vec<Constraint>,
    /// Run a template's CEL code instead of its Rego when it has both (CEL-only templates always run
    /// their CEL).
    pub prefer_cel: bool,
}

impl PolicySet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every template and constraint in the YAML/JSON files under `dir`. Other documents are
    /// ignored. A constraint whose kind no template defines is an error naming its file.
    pub fn load_dir(dir: &Path, limits: Limits) -> Result<Self> {
        let mut set = PolicySet::new();
        for path in crate::docs::files_under(dir, &[".yaml", ".yml", ".json"])? {
            set.add_file(&path, limits)?;
        }
        set.validate()?;
        Ok(set)
    }

    /// Adds the templates and constraints of one file.
    pub fn add_file(&mut self, path: &Path, limits: Limits) -> Result<()> {
        let text = crate::docs::read_text(path)?;
        let origin = path.display().to_string();
        for doc in crate::docs::parse_documents(&origin, &text)? {
            if is_template(&doc) {
                self.templates.push(ConstraintTemplate::from_document(
                    &origin, &text, &doc, limits,
                )?);
            } else if is_constraint(&doc) {
                self.constraints
                    .push(Constraint::from_document(&origin, &doc)?);
            }
        }
        Ok(())
    }

    /// Checks that every constraint has a template.
    pub fn validate(&self) -> Result<()> {
        for c in &self.constraints {
            if !self.templates.iter().any(|t| t.kind == c.kind) {
                return Err(PolicyError::invalid(
                    &c.origin,
                    format!(
                        "constraint {} has kind {} but no template defines it",
                        c.name, c.kind
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Check metadata for each constraint (`gatekeeper:<template>/<constraint>`).
    pub fn check_metas(&self) -> Vec<CheckMeta> {
        self.constraints
            .iter()
            .filter_map(|c| {
                let t = self.templates.iter().find(|t| t.kind == c.kind)?;
                let mut meta = CheckMeta::new(check_id(t, c).0, t.title.clone(), severity_of(c));
                meta.description = t.description.clone();
                meta.kinds = c
                    .matcher
                    .kinds
                    .iter()
                    .flat_map(|k| k.kinds.clone())
                    .collect();
                meta.controls.push(ControlRef {
                    framework: "gatekeeper".into(),
                    id: t.name.clone(),
                });
                Some(meta)
            })
            .collect()
    }

    /// Reviews each document against every constraint that matches it, with `inventory` as
    /// `data.inventory` (Namespaces in it feed `namespaceSelector`).
    pub fn review(&mut self, doc: &Value, inventory: &Inventory) -> Result<Vec<GatekeeperResult>> {
        let mut inventories_set = vec![false; self.templates.len()];
        self.review_with(doc, inventory, &mut inventories_set)
    }

    fn review_with(
        &mut self,
        doc: &Value,
        inventory: &Inventory,
        inventories_set: &mut [bool],
    ) -> Result<Vec<GatekeeperResult>> {
        let review = Review::of(doc);
        let ns_obj = inventory.namespace(review.namespace());
        let mut out = Vec::new();
        for c in &self.constraints {
            if !c.matcher.matches(&review.object, ns_obj) {
                continue;
            }
            let Some(ti) = self.templates.iter().position(|t| t.kind == c.kind) else {
                continue;
            };
            let template = &mut self.templates[ti];
            if !inventories_set[ti] {
                template.set_inventory(&inventory.to_value())?;
                inventories_set[ti] = true;
            }
            let use_cel = template.has_cel() && (self.prefer_cel || !template.has_rego());
            for v in evaluate(template, &review, c, use_cel)? {
                out.push(GatekeeperResult {
                    template: template.name.clone(),
                    constraint_kind: c.kind.clone(),
                    constraint: c.name.clone(),
                    enforcement_action: c.enforcement_action.clone(),
                    msg: v.msg,
                    details: v.details,
                });
            }
        }
        Ok(out)
    }

    /// Audits a set of objects as Gatekeeper's audit does: every object is also in `data.inventory`.
    /// `locations[i]` is where `docs[i]` was read from, when known. Templates are spread over the
    /// available cores; the result order is deterministic (by object, then template, then constraint).
    ///
    /// Each object is converted to the engine's form once, in parallel, and that one value serves as
    /// the review's `object` and as its entry of `data.inventory`; each template is prepared with the
    /// inventory once (on first use: a template no object matches is never prepared) and copied to
    /// the threads that run it.
    pub fn audit<D: std::borrow::Borrow<Value> + Sync>(
        &mut self,
        docs: &[D],
        locations: &[Option<Location>],
    ) -> Result<Vec<Violation>> {
        // The full inventory only when a template reads it; Namespaces are always needed for
        // `namespaceSelector`.
        let full = self
            .templates
            .iter()
            .any(ConstraintTemplate::uses_inventory);
        let threads = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .max(1);
        let mut namespaces: HashMap<&str, &Value> = HashMap::new();
        for d in docs {
            let d = d.borrow();
            if !full && crate::docs::str_at(d, &["kind"]) != "Namespace" {
                continue;
            }
            if let Some(obj) = review::inventory_object(d) {
                use crate::docs::str_at;
                if str_at(obj, &["apiVersion"]) == "v1"
                    && str_at(obj, &["kind"]) == "Namespace"
                    && str_at(obj, &["metadata", "namespace"]).is_empty()
                {
                    namespaces.insert(str_at(obj, &["metadata", "name"]), obj);
                }
            }
        }
        let items = convert_items(docs, full, threads);
        let inventory_value = if full {
            let mut inventory = review::NativeInventory::default();
            for item in &items {
                if let (Some(obj), Some(native)) =
                    (review::inventory_object(item.doc), &item.inventory)
                {
                    inventory.add(obj, native.clone());
                }
            }
            inventory.into_value()
        } else {
            regorus::Value::Null
        };
        let parameters: Vec<regorus::Value> = self
            .constraints
            .iter()
            .map(|c| regorus::Value::from(c.parameters.clone()))
            .collect();
        let jobs = audit_jobs(&self.templates, &self.constraints, items.len(), threads);
        let ctx = AuditContext {
            templates: &self.templates,
            prepared: self
                .templates
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            failure: std::sync::Mutex::new(None),
            constraints: &self.constraints,
            parameters: &parameters,
            reviews: &items,
            namespaces: &namespaces,
            inventory_value: &inventory_value,
            locations,
            prefer_cel: self.prefer_cel,
            jobs: &jobs,
            next: std::sync::atomic::AtomicUsize::new(0),
        };
        let mut hits: Vec<(usize, usize, usize, Violation)> = Vec::new();
        let outcome = std::thread::scope(|scope| -> Result<()> {
            let handles: Vec<_> = (0..threads.min(jobs.len()).max(1))
                .map(|_| {
                    let ctx = &ctx;
                    scope.spawn(move || ctx.work())
                })
                .collect();
            let mut first_error = None;
            for h in handles {
                match h.join() {
                    Ok(Ok(part)) => hits.extend(part),
                    Ok(Err(e)) => {
                        first_error.get_or_insert(e);
                    }
                    Err(_) => {
                        first_error.get_or_insert(PolicyError::Eval {
                            path: "gatekeeper audit".into(),
                            message: "an evaluation thread panicked".into(),
                        });
                    }
                }
            }
            first_error.map_or(Ok(()), Err)
        });
        // A template that failed to prepare: its own error rather than the other threads' note.
        if let Some(e) = ctx.failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        outcome?;
        hits.sort_by_key(|(doc, template, constraint, _)| (*doc, *template, *constraint));
        Ok(hits.into_iter().map(|(_, _, _, v)| v).collect())
    }
}

/// Converts every document for the audit, `threads` slices at a time, in order.
fn convert_items<D: std::borrow::Borrow<Value> + Sync>(
    docs: &[D],
    full: bool,
    threads: usize,
) -> Vec<AuditItem<'_>> {
    fn convert<D: std::borrow::Borrow<Value>>(slice: &[D], full: bool) -> Vec<AuditItem<'_>> {
        let mut conv = review::NativeConverter::default();
        slice
            .iter()
            .map(|d| {
                let doc: &Value = d.borrow();
                let object = AuditItem::object_of(doc);
                let is_review = crate::docs::str_at(doc, &["kind"]) == "AdmissionReview";
                // A document reviewed as a CREATE is its review's `object` and its inventory entry:
                // one value for both.
                let wrapped = !(is_review && doc.get("request").is_some_and(Value::is_object));
                // `Review::of(doc).object` (which differs from `object` only for an
                // `AdmissionReview` whose `request` is not an object).
                let reviewed = if wrapped { doc } else { object };
                let native_doc = wrapped.then(|| conv.convert(doc));
                let native = conv.review(doc, native_doc.as_ref().unwrap_or(&regorus::Value::Null));
                let inventory = if !full {
                    None
                } else if is_review {
                    review::inventory_object(doc).map(|o| conv.convert(o))
                } else {
                    native_doc
                };
                AuditItem {
                    doc,
                    kind: crate::docs::str_at(object, &["kind"]),
                    group: constraint::group_of(crate::docs::str_at(object, &["apiVersion"])),
                    native,
                    inventory,
                    namespace: crate::docs::str_at(reviewed, &["metadata", "namespace"])
                        .to_string(),
                    subject: subject_of(reviewed),
                }
            })
            .collect()
    }
    let slice = docs.len().div_ceil(threads).max(1);
    if threads < 2 || docs.len() < 64 {
        return convert(docs, full);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = docs
            .chunks(slice)
            .map(|chunk| scope.spawn(move || convert(chunk, full)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// One unit of audit work: one template over a range of objects.
struct AuditJob {
    template: usize,
    objects: std::ops::Range<usize>,
}

/// Splits the audit into jobs: every template that has constraints, over `threads` slices of the
/// objects, so one expensive template (a referential one reading `data.inventory`) spreads over every
/// core instead of holding one.
fn audit_jobs(
    templates: &[ConstraintTemplate],
    constraints: &[Constraint],
    objects: usize,
    threads: usize,
) -> Vec<AuditJob> {
    let slice = objects.div_ceil(threads).max(1);
    let mut jobs = Vec::new();
    for (ti, t) in templates.iter().enumerate() {
        if !constraints.iter().any(|c| c.kind == t.kind) {
            continue;
        }
        let mut start = 0;
        while start < objects {
            let end = (start + slice).min(objects);
            jobs.push(AuditJob {
                template: ti,
                objects: start..end,
            });
            start = end;
        }
    }
    // Most expensive first (inventory readers), so no thread is left with a long tail.
    jobs.sort_by_key(|j| !templates[j.template].uses_inventory());
    jobs
}

/// One audited object: the document, its review in the engine's form, its namespace and address.
struct AuditItem<'a> {
    doc: &'a Value,
    /// The matched object's kind and API group, for a quick `spec.match.kinds` test.
    kind: &'a str,
    group: &'a str,
    native: regorus::Value,
    /// Its `data.inventory` entry in the engine's form (shared with `native`), when the inventory
    /// is needed.
    inventory: Option<regorus::Value>,
    namespace: String,
    subject: String,
}

impl AuditItem<'_> {
    /// The object `spec.match` looks at (an `AdmissionReview`'s `request.object`, else the document).
    fn object(&self) -> &Value {
        Self::object_of(self.doc)
    }

    fn object_of(doc: &Value) -> &Value {
        if crate::docs::str_at(doc, &["kind"]) == "AdmissionReview"
            && let Some(request) = doc.get("request")
        {
            return request
                .get("object")
                .filter(|o| o.is_object())
                .or_else(|| request.get("oldObject").filter(|o| o.is_object()))
                .unwrap_or(&Value::Null);
        }
        doc
    }
}

/// What every audit thread shares.
struct AuditContext<'a> {
    templates: &'a [ConstraintTemplate],
    /// Each template prepared with the inventory (indexes built), once, by the first thread that
    /// needs it; `None` when that failed (the error is in `failure`).
    prepared: Vec<std::sync::OnceLock<Option<ConstraintTemplate>>>,
    failure: std::sync::Mutex<Option<PolicyError>>,
    constraints: &'a [Constraint],
    parameters: &'a [regorus::Value],
    reviews: &'a [AuditItem<'a>],
    namespaces: &'a HashMap<&'a str, &'a Value>,
    inventory_value: &'a regorus::Value,
    locations: &'a [Option<Location>],
    prefer_cel: bool,
    jobs: &'a [AuditJob],
    /// The next job to take.
    next: std::sync::atomic::AtomicUsize,
}

type Hit = (usize, usize, usize, Violation);

impl AuditContext<'_> {
    /// Takes jobs until none is left. Each thread keeps its own copy of a template's program (a
    /// regorus engine is not shared between threads), copied from the one prepared with the inventory.
    fn work(&self) -> Result<Vec<Hit>> {
        let mut programs: Vec<Option<ConstraintTemplate>> = vec![None; self.templates.len()];
        let mut out = Vec::new();
        loop {
            let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(job) = self.jobs.get(n) else {
                return Ok(out);
            };
            self.run(job, &mut programs[job.template], &mut out)?;
        }
    }

    /// This thread's copy of template `ti`, prepared with the inventory.
    fn program<'s>(
        &self,
        ti: usize,
        slot: &'s mut Option<ConstraintTemplate>,
    ) -> Result<&'s mut ConstraintTemplate> {
        if slot.is_none() {
            let prepared = self.prepared[ti].get_or_init(|| {
                let mut t = self.templates[ti].clone();
                if t.uses_inventory()
                    && let Err(e) = t.set_inventory_native(self.inventory_value)
                {
                    if let Ok(mut f) = self.failure.lock() {
                        f.get_or_insert(e);
                    }
                    return None;
                }
                Some(t)
            });
            match prepared {
                Some(t) => *slot = Some(t.clone()),
                None => {
                    return Err(PolicyError::Eval {
                        path: self.templates[ti].origin.clone(),
                        message: "the template could not be prepared".into(),
                    });
                }
            }
        }
        slot.as_mut().ok_or_else(|| PolicyError::Eval {
            path: self.templates[ti].origin.clone(),
            message: "the template could not be prepared".into(),
        })
    }

    /// Audits the job's objects against the constraints of its template.
    fn run(
        &self,
        job: &AuditJob,
        slot: &mut Option<ConstraintTemplate>,
        out: &mut Vec<Hit>,
    ) -> Result<()> {
        let kind = &self.templates[job.template].kind;
        let constraints: Vec<(usize, &Constraint)> = self
            .constraints
            .iter()
            .enumerate()
            .filter(|(_, c)| &c.kind == kind)
            .collect();
        for di in job.objects.clone() {
            let Some(item) = self.reviews.get(di) else {
                break;
            };
            for &(ci, c) in &constraints {
                if !c.matcher.kind_matches(item.group, item.kind)
                    || !c.matcher.matches(
                        item.object(),
                        self.namespaces.get(item.namespace.as_str()).copied(),
                    )
                {
                    continue;
                }
                let template = self.program(job.template, slot)?;
                let use_cel = template.has_cel() && (self.prefer_cel || !template.has_rego());
                let results = if use_cel {
                    evaluate(template, &Review::of(item.doc), c, true)?
                } else {
                    template.evaluate_native(&item.native, &self.parameters[ci])?
                };
                for r in results {
                    out.push((
                        di,
                        job.template,
                        ci,
                        Violation {
                            check: check_id(template, c),
                            subject: item.subject.clone(),
                            message: r.msg,
                            location: self.locations.get(di).cloned().flatten(),
                            severity: Some(severity_of(c)),
                        },
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One template's verdict on one review, with its CEL code when `use_cel`.
fn evaluate(
    template: &mut ConstraintTemplate,
    review: &Review,
    constraint: &Constraint,
    use_cel: bool,
) -> Result<Vec<RawViolation>> {
    if use_cel {
        #[cfg(feature = "cel")]
        return template.evaluate_cel(review, &constraint.parameters);
    }
    template.evaluate(&review.review, &constraint.parameters)
}

/// The resource address of an object (`Kind/namespace/name`).
fn subject_of(object: &Value) -> String {
    use crate::docs::str_at;
    let (kind, ns, name) = (
        str_at(object, &["kind"]),
        str_at(object, &["metadata", "namespace"]),
        str_at(object, &["metadata", "name"]),
    );
    if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    }
}

fn check_id(t: &ConstraintTemplate, c: &Constraint) -> CheckId {
    CheckId::new(format!("gatekeeper:{}/{}", t.name, c.name))
}

/// Gatekeeper has no severities: `deny` constraints are high, `warn` medium, `dryrun` low.
fn severity_of(c: &Constraint) -> Severity {
    match c.enforcement_action.as_str() {
        "warn" => Severity::Medium,
        "dryrun" => Severity::Low,
        _ => Severity::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A referential template (reads `data.inventory`): a ConfigMap whose `data.key` another ConfigMap
    /// of the namespace also has.
    const TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8suniquekey
spec:
  crd:
    spec:
      names:
        kind: K8sUniqueKey
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8suniquekey
      violation[{"msg": msg}] {
        input.review.object.kind == "ConfigMap"
        ns := input.review.object.metadata.namespace
        other := data.inventory.namespace[ns][_]["ConfigMap"][name]
        name != input.review.object.metadata.name
        other.data.key == input.review.object.data.key
        msg := sprintf("key shared with %v", [name])
      }
"#;

    fn set() -> PolicySet {
        let doc: Value = crate::docs::parse_documents("t.yaml", TEMPLATE)
            .expect("parse")
            .remove(0);
        let template =
            ConstraintTemplate::from_document("t.yaml", TEMPLATE, &doc, Limits::default())
                .expect("template");
        assert!(template.uses_inventory());
        let constraint = Constraint::from_document(
            "c.yaml",
            &json!({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sUniqueKey",
                "metadata": {"name": "unique-key"}, "spec": {}}),
        )
        .expect("constraint");
        PolicySet {
            templates: vec![template],
            constraints: vec![constraint],
            prefer_cel: false,
        }
    }

    fn config_map(name: &str, ns: &str, key: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns}, "data": {"key": key}})
    }

    #[test]
    fn audit_of_a_referential_template_is_split_over_jobs_and_ordered_by_object() {
        let docs: Vec<Value> = (0..40)
            .map(|i| {
                config_map(
                    &format!("cm-{i:02}"),
                    &format!("ns-{}", i % 2),
                    &format!("k{}", i % 10),
                )
            })
            .collect();
        let locations = vec![None; docs.len()];
        let mut set = set();
        let violations = set.audit(&docs, &locations).expect("audit");
        // Key `k{i % 10}` is held by i, i+10, i+20 and i+30, all in the namespace of i's parity: each
        // ConfigMap shares its key with three others.
        assert_eq!(violations.len(), 120);
        let subjects: Vec<&str> = violations.iter().map(|v| v.subject.as_str()).collect();
        let mut sorted = subjects.clone();
        sorted.sort_by_key(|s| s.rsplit('-').next().map(str::to_string));
        assert_eq!(subjects, sorted, "ordered by object");
        assert_eq!(violations[0].subject, "ConfigMap/ns-0/cm-00");
        assert_eq!(violations[0].message, "key shared with cm-10");
        // The same as reviewing each object alone against the same inventory.
        let mut inventory = Inventory::new();
        for d in &docs {
            inventory.add(d);
        }
        let mut one = self::tests::set();
        let reviewed: usize = docs
            .iter()
            .map(|d| one.review(d, &inventory).expect("review").len())
            .sum();
        assert_eq!(reviewed, violations.len());
    }

    #[test]
    fn audit_matches_reviewing_each_object_alone() {
        let text = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sreport
spec:
  crd:
    spec:
      names:
        kind: K8sReport
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8sreport
      violation[{"msg": msg}] {
        msg := sprintf("%v %v %v", [input.review.operation, input.review.object.metadata.name, input.parameters.tag])
      }
"#;
        let doc: Value = crate::docs::parse_documents("t.yaml", text)
            .expect("parse")
            .remove(0);
        let template = ConstraintTemplate::from_document("t.yaml", text, &doc, Limits::default())
            .expect("template");
        let constraint = |name: &str, spec: Value| {
            Constraint::from_document(
                "c.yaml",
                &json!({"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sReport",
                    "metadata": {"name": name}, "spec": spec}),
            )
            .expect("constraint")
        };
        let mut set = PolicySet {
            templates: vec![template],
            constraints: vec![
                constraint(
                    "prod-pods",
                    json!({"match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
                        "namespaceSelector": {"matchLabels": {"env": "prod"}}},
                        "parameters": {"tag": "a"}}),
                ),
                constraint(
                    "apps",
                    json!({"match": {"kinds": [{"apiGroups": ["apps"], "kinds": ["*"]}]},
                        "parameters": {"tag": "b"}}),
                ),
            ],
            prefer_cel: false,
        };
        let pod = |name: &str, ns: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}});
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "prod", "labels": {"env": "prod"}}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
            pod("p1", "prod"),
            pod("p2", "dev"),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "d1", "namespace": "dev"}}),
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": {"operation": "UPDATE", "object": pod("p3", "prod")}}),
        ];
        let locations = vec![None; docs.len()];
        let audited: Vec<(String, String)> = set
            .audit(&docs, &locations)
            .expect("audit")
            .into_iter()
            .map(|v| (v.subject, v.message))
            .collect();
        assert_eq!(
            audited,
            [
                ("Pod/prod/p1", "CREATE p1 a"),
                ("Deployment/dev/d1", "CREATE d1 b"),
                ("Pod/prod/p3", "UPDATE p3 a"),
            ]
            .map(|(s, m)| (s.to_string(), m.to_string()))
        );
        let mut inventory = Inventory::new();
        for d in &docs {
            inventory.add(d);
        }
        let reviewed: Vec<String> = docs
            .iter()
            .flat_map(|d| set.review(d, &inventory).expect("review"))
            .map(|r| r.msg)
            .collect();
        assert_eq!(
            reviewed,
            audited.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn audit_jobs_cover_every_object_once_per_template() {
        let set = set();
        for (objects, threads) in [(0, 2), (1, 2), (7, 3), (40, 2), (5, 8)] {
            let jobs = audit_jobs(&set.templates, &set.constraints, objects, threads);
            let covered: usize = jobs.iter().map(|j| j.objects.len()).sum();
            assert_eq!(covered, objects, "{objects} objects over {threads} threads");
            assert!(jobs.len() <= threads, "{} jobs", jobs.len());
        }
    }
}
