//! Sub-conditions shared by the rules of one event-type bucket, evaluated once per event.
//!
//! Falco's rules are built from a few macros: every open-family rule starts with `open_read` or
//! `open_write`, most exclude the same process lists. Evaluated rule by rule, a real `openat` runs
//! the same `fd.typechar = f`, `fd.num >= 0` and `evt.is_open_read = true` checks a dozen times.
//! [`share`] finds every sub-condition (a check or a whole `and`/`or`/`not`) that occurs more than
//! once across the conditions of a bucket and wraps each occurrence in [`Node::Shared`] with one
//! memo slot per distinct sub-condition; [`Node::eval_memo`] then evaluates it at most once per
//! event. Evaluation has no side effects, so sharing never changes an outcome.

use super::compile::Node;
use crate::hash::FastMap;

/// Memo slots an engine gives each event (a stack array); sub-conditions beyond it stay unshared.
pub const MEMO_SLOTS: usize = 128;

/// Wraps the sub-conditions that occur more than once across `conditions` in [`Node::Shared`],
/// giving the most frequent ones the first of at most [`MEMO_SLOTS`] slots. Returns how many slots
/// are in use.
pub fn share(mut conditions: Vec<&mut Node>) -> usize {
    let mut counts: FastMap<String, usize> = FastMap::default();
    for c in conditions.iter() {
        count(c, &mut counts);
    }
    let mut repeated: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n > 1).collect();
    // most frequent first; ties by text so slots do not depend on hash order
    repeated.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    repeated.truncate(MEMO_SLOTS);
    let slots: FastMap<String, u16> = repeated
        .into_iter()
        .enumerate()
        .map(|(i, (fp, _))| (fp, i as u16))
        .collect();
    for c in conditions.iter_mut() {
        let taken = std::mem::replace(&mut **c, Node::Const(false));
        **c = wrap(taken, &slots);
    }
    slots.len()
}

fn fingerprint(n: &Node) -> String {
    let mut s = String::new();
    n.fingerprint(&mut s);
    s
}

/// Counts every sub-condition worth a slot (not constants, which cost nothing).
fn count(n: &Node, counts: &mut FastMap<String, usize>) {
    match n {
        Node::Const(_) => return,
        Node::And(items) | Node::Or(items) => items.iter().for_each(|i| count(i, counts)),
        Node::Not(inner) | Node::Shared(_, inner) => count(inner, counts),
        Node::Check(_) => {}
    }
    if !matches!(n, Node::Not(_) | Node::Shared(..)) {
        *counts.entry(fingerprint(n)).or_default() += 1;
    }
}

/// Rebuilds `n` bottom-up, wrapping the sub-conditions that have a slot. A `not` is not wrapped
/// itself (its operand is: the negation costs nothing).
fn wrap(n: Node, slots: &FastMap<String, u16>) -> Node {
    let fp = match &n {
        Node::Const(_) | Node::Not(_) | Node::Shared(..) => None,
        _ => Some(fingerprint(&n)),
    };
    let rebuilt = match n {
        Node::And(items) => Node::And(
            items
                .into_vec()
                .into_iter()
                .map(|i| wrap(i, slots))
                .collect(),
        ),
        Node::Or(items) => Node::Or(
            items
                .into_vec()
                .into_iter()
                .map(|i| wrap(i, slots))
                .collect(),
        ),
        Node::Not(inner) => Node::Not(Box::new(wrap(*inner, slots))),
        other => other,
    };
    match fp.and_then(|fp| slots.get(&fp)) {
        Some(slot) => Node::Shared(*slot, Box::new(rebuilt)),
        None => rebuilt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Source;
    use crate::fields::syscall::{Fd, SyscallEvent};
    use crate::filter::{compile, parse};

    fn node(cond: &str) -> Node {
        let expr = parse(cond).expect("parses");
        compile(&expr, Source::Syscall).expect("compiles")
    }

    fn shared_slots(n: &Node, out: &mut Vec<u16>) {
        match n {
            Node::Shared(s, inner) => {
                out.push(*s);
                shared_slots(inner, out);
            }
            Node::And(items) | Node::Or(items) => items.iter().for_each(|i| shared_slots(i, out)),
            Node::Not(inner) => shared_slots(inner, out),
            _ => {}
        }
    }

    #[test]
    fn repeated_sub_conditions_get_one_slot_each_and_keep_their_outcome() {
        let open_read = "evt.is_open_read=true and fd.typechar='f'";
        let mut conds = vec![
            node(&format!("{open_read} and fd.name startswith /etc")),
            node(&format!(
                "{open_read} and not proc.name in (cat, less) and fd.name startswith /root"
            )),
            node("proc.name = sshd and not proc.name in (cat, less)"),
            node("fd.name = /unique"),
        ];
        let originals = conds.clone();
        let used = share(conds.iter_mut().collect());
        assert!(
            used >= 2,
            "open_read's checks and the proc.name list are shared: {used}"
        );
        let mut slots = Vec::new();
        shared_slots(&conds[0], &mut slots);
        assert!(!slots.is_empty());
        let mut none = Vec::new();
        shared_slots(&conds[3], &mut none);
        assert!(none.is_empty(), "a check in one rule only gets no slot");

        for (name, path) in [
            ("cat", "/etc/shadow"),
            ("sshd", "/root/.ssh/id_rsa"),
            ("vi", "/tmp/x"),
        ] {
            let mut ev = SyscallEvent {
                evt_type: "openat".into(),
                fd: Some(Fd {
                    name: path.into(),
                    kind: "file".into(),
                    num: 3,
                    ..Default::default()
                }),
                args: vec![("flags".into(), "O_RDONLY".into())],
                ..Default::default()
            };
            ev.proc.name = name.into();
            ev.prepare();
            let mut memo = [0u8; MEMO_SLOTS];
            for (shared, original) in conds.iter().zip(&originals) {
                assert_eq!(
                    shared.eval_memo(&ev, &mut memo),
                    original.eval(&ev),
                    "{name} {path}"
                );
            }
        }
    }

    #[test]
    fn slots_beyond_the_memo_are_evaluated_every_time() {
        let mut conds = [node("proc.name = a"), node("proc.name = a")];
        share(conds.iter_mut().collect());
        let mut ev = SyscallEvent::default();
        ev.proc.name = "a".into();
        ev.prepare();
        assert!(conds[0].eval_memo(&ev, &mut []));
        assert!(conds[1].eval(&ev));
    }
}
