//! The rule engine: enabled rules indexed by source and event type, so an event is evaluated only
//! against rules that can match it. Nothing is allocated for an event that matches no rule.

use crate::alert::{Alert, clock_nanos, rfc3339_nanos};
use crate::fields::{Event, Source};
use crate::filter::share::{MEMO_SLOTS, share};
use crate::filter::{EvtTypes, Node};
use crate::hash::FastMap;
use crate::rules::{CompiledRule, Priority, Ruleset};

/// Per-source index: rules by event type, plus rules that can match any type.
#[derive(Debug, Default)]
struct Index {
    /// For each event type, its rules (index, and the condition specialized to that type:
    /// `evt.type`/`evt.dir` checks decided, see [`crate::filter::Node::specialize`]); rules whose
    /// condition cannot hold for the type are left out. Sub-conditions several rules of a bucket
    /// contain are evaluated once per event ([`crate::filter::share`]).
    by_type: FastMap<String, Vec<(usize, Node)>>,
    /// Rules with an unbounded type set (checked against every event, minus excluded types).
    any: Vec<usize>,
}

fn slot(s: Source) -> usize {
    match s {
        Source::Syscall => 0,
        Source::K8sAudit => 1,
        Source::CloudTrail => 2,
    }
}

/// Compiled rules ready to evaluate events.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    /// One index per source, in [`Source::ALL`] order.
    index: [Index; 3],
    hostname: String,
    min_priority: Priority,
}

impl Engine {
    /// Builds the engine from a ruleset (disabled rules are left out of the index).
    pub fn new(ruleset: Ruleset) -> Engine {
        let rules = ruleset.rules;
        let mut index: [Index; 3] = Default::default();
        for (i, r) in rules.iter().enumerate() {
            if !r.enabled {
                continue;
            }
            let idx = &mut index[slot(r.source)];
            match (&r.evttypes, r.source) {
                (EvtTypes::Only(types), Source::Syscall) => {
                    for t in types {
                        let node = r.condition.specialize(t);
                        if matches!(node, Node::Const(false)) {
                            continue;
                        }
                        idx.by_type.entry(t.clone()).or_default().push((i, node));
                    }
                }
                _ => idx.any.push(i),
            }
        }
        // keep definition order inside each bucket; merged at evaluation time
        for idx in &mut index {
            for bucket in idx.by_type.values_mut() {
                share(bucket.iter_mut().map(|(_, node)| node).collect());
            }
        }
        Engine {
            rules,
            index,
            hostname: String::new(),
            min_priority: Priority::Debug,
        }
    }

    /// Sets the `hostname` put in alerts.
    pub fn with_hostname(mut self, hostname: impl Into<String>) -> Engine {
        self.hostname = hostname.into();
        self
    }

    /// The `hostname` put in alerts.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Only rules at least this severe fire (Falco's `priority` setting).
    pub fn with_min_priority(mut self, p: Priority) -> Engine {
        self.min_priority = p;
        self
    }

    /// The rules, in definition order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// True when an enabled rule of `source` reads field `name`, with or without an argument
    /// (`proc.env` also matches `proc.env[HOME]`), in its condition or its output. The eBPF source
    /// is told to leave out what no rule reads (`Options::read_env`).
    pub fn uses_field(&self, source: Source, name: &str) -> bool {
        let is = |d: &str| {
            d.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('['))
        };
        self.rules
            .iter()
            .filter(|r| r.enabled && r.source == source)
            .any(|r| {
                let mut found = false;
                r.condition.visit_fields(&mut |d| found |= is(d));
                found || r.output.field_names().any(is)
            })
    }

    /// The syscall event types the enabled rules can match, or `None` when one of them can match
    /// (almost) any type. The eBPF source reports only these (`Options::event_types`).
    pub fn syscall_event_types(&self) -> Option<std::collections::BTreeSet<String>> {
        let idx = &self.index[slot(Source::Syscall)];
        idx.any
            .is_empty()
            .then(|| idx.by_type.keys().cloned().collect())
    }

    /// Calls `f` with the index of every rule matching `ev`, in definition order.
    pub fn matches<E: Event + ?Sized>(&self, ev: &E, mut f: impl FnMut(usize)) {
        let idx = &self.index[slot(ev.source())];
        let typed: &[(usize, Node)] = idx.by_type.get(ev.evt_type()).map_or(&[], Vec::as_slice);
        let t = ev.evt_type();
        // outcomes of the sub-conditions the bucket's rules share, for this event
        let mut memo = [0u8; MEMO_SLOTS];
        // merge the two sorted buckets to keep definition order
        let (mut a, mut b) = (0, 0);
        while a < typed.len() || b < idx.any.len() {
            let take_typed = b >= idx.any.len() || (a < typed.len() && typed[a].0 < idx.any[b]);
            let (i, condition) = if take_typed {
                a += 1;
                (typed[a - 1].0, &typed[a - 1].1)
            } else {
                b += 1;
                let i = idx.any[b - 1];
                (i, &self.rules[i].condition)
            };
            let r = &self.rules[i];
            if !take_typed && r.source == Source::Syscall && !r.evttypes.contains(t) {
                continue;
            }
            if r.priority <= self.min_priority && condition.eval_memo(ev, &mut memo) {
                f(i);
            }
        }
    }

    /// Evaluates one event and returns its alerts.
    pub fn process(&self, ev: &dyn Event) -> Vec<Alert> {
        let mut out = Vec::new();
        self.matches(ev, |i| out.push(self.alert(i, ev)));
        out
    }

    /// Builds the alert of rule `i` for `ev`.
    pub fn alert(&self, i: usize, ev: &dyn Event) -> Alert {
        let r = &self.rules[i];
        let message = r.output.render(ev);
        let ts = ev.time_ns();
        let mut output_fields = r.output.fields(ev);
        // Falco's default format starts with `%evt.time`, so its alerts always carry it (ns)
        output_fields
            .entry("evt.time")
            .or_insert_with(|| serde_json::Value::from(ts));
        Alert {
            output: format!("{}: {} {}", clock_nanos(ts), r.priority.name(), message),
            priority: r.priority,
            rule: r.name.clone(),
            time: rfc3339_nanos(ts),
            output_fields,
            source: r.source.name().to_string(),
            tags: r.tags.clone(),
            hostname: self.hostname.clone(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::syscall::SyscallEvent;
    use crate::rules::Loader;

    fn engine(text: &str) -> Engine {
        let mut loader = Loader::new();
        loader.add_str("t.yaml", text);
        Engine::new(loader.finish().expect("rules load"))
    }

    fn ev(ty: &str) -> SyscallEvent {
        let mut e = SyscallEvent {
            num: 1,
            evt_type: ty.into(),
            ..Default::default()
        };
        e.prepare();
        e
    }

    #[test]
    fn fields_read_by_enabled_rules_are_known() {
        let rule = |cond: &str, out: &str, enabled: bool| {
            format!(
                "- rule: r\n  desc: d\n  condition: evt.type = execve and {cond}\n  output: \"{out}\"\n  \
                 priority: INFO\n  enabled: {enabled}\n"
            )
        };
        let uses = |text: String| engine(&text).uses_field(Source::Syscall, "proc.env");
        assert!(uses(rule("proc.env icontains GLIBC_TUNABLES", "x", true)));
        assert!(uses(rule("proc.env[HOME] = /root", "x", true)));
        assert!(uses(rule("proc.name = curl", "env=%proc.env", true)));
        assert!(uses(rule("proc.name = val(proc.env)", "x", true)));
        assert!(!uses(rule("proc.env contains X", "x", false)), "disabled");
        assert!(!uses(rule(
            "proc.cmdline contains proc.env",
            "%proc.exe %proc.exepath",
            true
        )));
    }

    #[test]
    fn syscall_event_types_are_those_the_enabled_rules_can_match() {
        let rule = |name: &str, cond: &str, enabled: bool| {
            format!(
                "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n  \
                 enabled: {enabled}\n  warn_evttypes: false\n"
            )
        };
        let types = |text: String| engine(&text).syscall_event_types();
        let set = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            types(
                rule("a", "evt.type in (open, openat) and fd.name = /x", true)
                    + &rule("b", "evt.type = execve and proc.name = sh", true)
                    + &rule("c", "evt.type = connect", false)
            ),
            set(&["execve", "open", "openat"])
        );
        // a type the condition rules out after specialization is not needed
        assert_eq!(
            types(rule(
                "a",
                "evt.type in (open, kill) and (evt.type = open)",
                true
            )),
            set(&["open"])
        );
        assert_eq!(types(rule("a", "proc.name = sh", true)), None, "any type");
        assert_eq!(types(String::new()), set(&[]));
    }

    #[test]
    fn indexed_and_catch_all_rules_fire_in_definition_order() {
        let e = engine(
            "- rule: a\n  desc: d\n  condition: evt.type != execve\n  output: a\n  priority: INFO\n  warn_evttypes: false\n\
             - rule: b\n  desc: d\n  condition: evt.type in (open, openat)\n  output: b\n  priority: INFO\n\
             - rule: c\n  desc: d\n  condition: evt.num > 0\n  output: c\n  priority: DEBUG\n  warn_evttypes: false\n\
             - rule: d\n  desc: d\n  condition: evt.type = execve\n  output: d\n  priority: INFO\n  enabled: false\n",
        );
        let names =
            |t: &str| -> Vec<String> { e.process(&ev(t)).into_iter().map(|a| a.rule).collect() };
        assert_eq!(names("openat"), ["a", "b", "c"]);
        assert_eq!(names("execve"), ["c"]);
        assert_eq!(names("read"), ["a", "c"]);
        let strict = engine(
            "- rule: c\n  desc: d\n  condition: evt.num > 0\n  output: c\n  priority: DEBUG\n",
        )
        .with_min_priority(Priority::Informational);
        assert!(strict.process(&ev("read")).is_empty());
    }
}
