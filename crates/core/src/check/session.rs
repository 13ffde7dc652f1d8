//! Guarantees for systems weaker than linearizable: read-your-writes and
//! monotonic reads (Terry et al., "Session Guarantees for Weakly Consistent
//! Replicated Data", 1994), and convergence.
//!
//! Without a version order, "newer" is judged by what the history's writes
//! could produce: a value `b` is *reachable* from `a` when some sequence of
//! the key's writes (each any number of times) turns `a` into `b`; for
//! appends, `b` is `a` followed by appended values, or a put value followed
//! by appended values. A read that is not reachable from what the session
//! already knew is a definite violation; the converse is not guaranteed, so
//! these checks never cry wolf but can miss a violation that only a version
//! order would reveal.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::history::{Call, History, Operation, Outcome, Value};
use super::{PropertyVerdict, Verdict};

/// The writes of one key that may have happened.
struct KeyWrites<'h> {
    /// Values the key may have been set to outright (puts, cas targets).
    sets: Vec<&'h Value>,
    /// Their texts, for prefix look-ups.
    set_texts: BTreeSet<&'h str>,
    /// Strings that may have been appended, and their distinct lengths.
    appends: BTreeSet<&'h str>,
    append_lengths: Vec<usize>,
}

/// What a read value could have been built from, worked out once per read
/// so that checking it against many writes is cheap.
struct Shape<'v> {
    value: &'v Value,
    /// For string values: `tail[i]` says `text[i..]` splits into appended
    /// values.
    tail: Vec<bool>,
    /// Some put value followed by appends gives it: it may follow anything.
    from_set: bool,
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Nil => Some(""),
        Value::Str(s) => Some(s),
        Value::Int(_) => None,
    }
}

fn same(a: &Value, b: &Value) -> bool {
    a == b || (a.is_empty() && b.is_empty())
}

impl<'h> KeyWrites<'h> {
    fn new(history: &'h History, ops: &[usize]) -> KeyWrites<'h> {
        let mut w = KeyWrites {
            sets: Vec::new(),
            set_texts: BTreeSet::new(),
            appends: BTreeSet::new(),
            append_lengths: Vec::new(),
        };
        for &i in ops {
            let op = &history.ops[i];
            if op.outcome == Outcome::Fail {
                continue;
            }
            match &op.call {
                Call::Write { value } | Call::Cas { to: value, .. } => {
                    w.sets.push(value);
                    if let Some(t) = text(value) {
                        w.set_texts.insert(t);
                    }
                }
                Call::Append { value } => {
                    if let Some(s) = text(value).filter(|s| !s.is_empty()) {
                        w.appends.insert(s);
                    }
                }
                Call::Read | Call::Acquire | Call::Release | Call::Txn { .. } => {}
            }
        }
        w.append_lengths = w.appends.iter().map(|a| a.len()).collect();
        w.append_lengths.sort_unstable();
        w.append_lengths.dedup();
        w
    }

    fn shape<'v>(&self, value: &'v Value) -> Shape<'v> {
        let Some(s) = text(value) else {
            return Shape {
                value,
                tail: Vec::new(),
                from_set: self.sets.iter().any(|v| same(v, value)),
            };
        };
        let mut tail = vec![false; s.len() + 1];
        tail[s.len()] = true;
        for i in (0..s.len()).rev() {
            tail[i] = self.append_lengths.iter().any(|&len| {
                i + len <= s.len()
                    && tail[i + len]
                    && s.get(i..i + len)
                        .is_some_and(|piece| self.appends.contains(piece))
            });
        }
        let from_set = (0..=s.len()).any(|cut| {
            tail[cut]
                && s.get(..cut)
                    .is_some_and(|prefix| self.set_texts.contains(prefix))
        });
        Shape {
            value,
            tail,
            from_set,
        }
    }

    /// Whether a read shaped `to` may follow a read of `from`: some
    /// sequence of these writes turns `from` into it.
    fn reachable(&self, from: &Value, to: &Shape) -> bool {
        if same(from, to.value) || to.from_set {
            return true;
        }
        match (text(from), text(to.value)) {
            (Some(f), Some(t)) => t.starts_with(f) && to.tail[f.len()],
            _ => false,
        }
    }

    /// Whether a read shaped `seen` may reflect `write`: it is reachable
    /// from some value the write could have left.
    fn reflects(&self, seen: &Shape, write: &Call) -> bool {
        match write {
            Call::Read | Call::Acquire | Call::Release | Call::Txn { .. } => true,
            Call::Write { value } | Call::Cas { to: value, .. } => self.reachable(value, seen),
            Call::Append { value } => {
                if seen.from_set {
                    return true;
                }
                let (Some(s), Some(a)) = (text(seen.value), text(value)) else {
                    return false;
                };
                // Anything, then `a`, then appends.
                s.match_indices(a).any(|(i, _)| seen.tail[i + a.len()])
            }
        }
    }
}

/// Per process and key, the process's operations in order.
fn sessions(history: &History) -> BTreeMap<(u64, Option<&str>), Vec<usize>> {
    let mut s: BTreeMap<(u64, Option<&str>), Vec<usize>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        s.entry((op.process, op.key.as_deref()))
            .or_default()
            .push(i);
    }
    s
}

/// What a read that returned saw, if it says anything.
fn ok_read<'h>(history: &History, op: &'h Operation) -> Option<&'h Value> {
    match (&op.call, &op.outcome) {
        (Call::Read, Outcome::Ok { value: Value::Nil })
            if history.semantics.nil_read_says_nothing() =>
        {
            None
        }
        (Call::Read, Outcome::Ok { value }) => Some(value),
        _ => None,
    }
}

fn ok_write(op: &Operation) -> bool {
    !op.call.is_read() && matches!(op.outcome, Outcome::Ok { .. })
}

fn summarise(
    name: &str,
    checked: usize,
    violations: Vec<(usize, usize)>,
    history: &History,
) -> PropertyVerdict {
    if let Some((first, second)) = violations.first() {
        let mut offending: Vec<usize> = violations.iter().flat_map(|(a, b)| [*a, *b]).collect();
        offending.sort_unstable();
        offending.dedup();
        let detail = format!(
            "{} case(s); first: {} then {}",
            violations.len(),
            history.describe(*first),
            history.describe(*second)
        );
        PropertyVerdict::new(Verdict::Violated, offending, detail)
    } else if checked == 0 {
        PropertyVerdict::new(Verdict::Unknown, Vec::new(), format!("no {name} to check"))
    } else {
        PropertyVerdict::new(
            Verdict::Holds,
            Vec::new(),
            format!("{checked} {name} checked"),
        )
    }
}

/// Read-your-writes: every read by a process reflects that process's own
/// earlier successful writes to the key.
pub fn read_your_writes(history: &History) -> PropertyVerdict {
    let by_key = history.by_key();
    let writes: BTreeMap<Option<&str>, KeyWrites> = by_key
        .iter()
        .map(|(k, ops)| (*k, KeyWrites::new(history, ops)))
        .collect();
    let mut violations = Vec::new();
    let mut checked = 0;
    for ((_, key), ops) in sessions(history) {
        let w = &writes[&key];
        let mut own: Vec<usize> = Vec::new();
        for &i in &ops {
            let op = &history.ops[i];
            if let Some(seen) = ok_read(history, op) {
                let seen = w.shape(seen);
                for &mine in &own {
                    checked += 1;
                    if !w.reflects(&seen, &history.ops[mine].call) {
                        violations.push((mine, i));
                        break;
                    }
                }
            } else if ok_write(op) {
                own.push(i);
            }
        }
    }
    summarise("reads after own writes", checked, violations, history)
}

/// Monotonic reads: each read by a process is reachable from the value its
/// previous read of the key returned.
pub fn monotonic_reads(history: &History) -> PropertyVerdict {
    let by_key = history.by_key();
    let writes: BTreeMap<Option<&str>, KeyWrites> = by_key
        .iter()
        .map(|(k, ops)| (*k, KeyWrites::new(history, ops)))
        .collect();
    let mut violations = Vec::new();
    let mut checked = 0;
    for ((_, key), ops) in sessions(history) {
        let w = &writes[&key];
        let mut last: Option<(usize, &Value)> = None;
        for &i in &ops {
            if let Some(seen) = ok_read(history, &history.ops[i]) {
                if let Some((before, earlier)) = last {
                    checked += 1;
                    if !w.reachable(earlier, &w.shape(seen)) {
                        violations.push((before, i));
                    }
                }
                last = Some((i, seen));
            }
        }
    }
    summarise("pairs of reads", checked, violations, history)
}

/// Convergence: once writes to a key stop, the last read of every process
/// that read it afterwards returns the same value, and that value reflects
/// every successful write. A key whose writes include timed-out ones that
/// might still land is judged only if its final reads agree.
pub fn convergence(history: &History) -> PropertyVerdict {
    let mut offending = Vec::new();
    let mut first_problem: Option<String> = None;
    let mut settled = 0;
    let mut unsettled = 0;
    for (key, ops) in history.by_key() {
        let w = KeyWrites::new(history, &ops);
        let mut quiet = 0u64;
        let mut pending_writes = false;
        for &i in &ops {
            let op = &history.ops[i];
            if op.call.is_read() || op.outcome == Outcome::Fail {
                continue;
            }
            match (op.returned(), op.complete) {
                (true, Some(done)) => quiet = quiet.max(done),
                _ => {
                    pending_writes = true;
                    quiet = quiet.max(op.invoke);
                }
            }
        }
        // The last read of each process, among those invoked after `quiet`.
        let mut last: BTreeMap<u64, usize> = BTreeMap::new();
        for &i in &ops {
            let op = &history.ops[i];
            if op.invoke > quiet && ok_read(history, op).is_some() {
                last.insert(op.process, i);
            }
        }
        let finals: Vec<usize> = last.into_values().collect();
        let Some(&first) = finals.first() else {
            continue;
        };
        let value = ok_read(history, &history.ops[first]).unwrap_or(&Value::Nil);
        let disagree: Vec<usize> = finals
            .iter()
            .copied()
            .filter(|i| {
                !same(
                    ok_read(history, &history.ops[*i]).unwrap_or(&Value::Nil),
                    value,
                )
            })
            .collect();
        let key_name = key.map_or(String::from("the register"), |k| format!("key {k:?}"));
        if !disagree.is_empty() {
            if pending_writes {
                unsettled += 1;
                continue;
            }
            offending.push(first);
            offending.extend(&disagree);
            first_problem.get_or_insert_with(|| {
                format!(
                    "{key_name}: final reads disagree: {} vs {}",
                    history.describe(first),
                    history.describe(disagree[0])
                )
            });
            continue;
        }
        let shape = w.shape(value);
        let lost = ops
            .iter()
            .copied()
            .find(|&i| ok_write(&history.ops[i]) && !w.reflects(&shape, &history.ops[i].call));
        if let Some(lost) = lost {
            offending.push(lost);
            offending.extend(&finals);
            first_problem.get_or_insert_with(|| {
                format!(
                    "{key_name}: final value {value} does not reflect {}",
                    history.describe(lost)
                )
            });
            continue;
        }
        settled += 1;
    }
    offending.sort_unstable();
    offending.dedup();
    if let Some(detail) = first_problem {
        PropertyVerdict::new(Verdict::Violated, offending, detail)
    } else if unsettled > 0 {
        PropertyVerdict::new(
            Verdict::Unknown,
            Vec::new(),
            format!("{unsettled} key(s) disagree but had timed-out writes that may still land"),
        )
    } else if settled == 0 {
        PropertyVerdict::new(
            Verdict::Unknown,
            Vec::new(),
            "no reads after the writes stopped",
        )
    } else {
        PropertyVerdict::new(
            Verdict::Holds,
            Vec::new(),
            format!("{settled} key(s) converged"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::history::{Model, Semantics, TimeBase};

    /// `(process, call, invoke, complete, read value)`; `read` is `None`
    /// for writes; everything succeeds; one key `k`.
    fn history(ops: &[(u64, Call, u64, u64, Option<&str>)]) -> History {
        History {
            ops: ops
                .iter()
                .enumerate()
                .map(|(i, (p, call, inv, comp, read))| Operation {
                    process: *p,
                    key: Some("k".into()),
                    call: call.clone(),
                    outcome: Outcome::Ok {
                        value: read.map_or(Value::Nil, |s| Value::Str(s.into())),
                    },
                    invoke: *inv,
                    complete: Some(*comp),
                    source: i,
                })
                .collect(),
            time_base: TimeBase::Positions,
            semantics: Semantics::jepsen(Model::Kv),
        }
    }

    fn append(s: &str) -> Call {
        Call::Append {
            value: Value::Str(s.into()),
        }
    }

    fn put(s: &str) -> Call {
        Call::Write {
            value: Value::Str(s.into()),
        }
    }

    #[test]
    fn a_read_that_misses_the_sessions_own_append_breaks_read_your_writes() {
        let h = history(&[
            (0, append("a;"), 0, 1, None),
            (0, Call::Read, 2, 3, Some("")),
        ]);
        let v = read_your_writes(&h);
        assert_eq!(v.verdict, Verdict::Violated, "{}", v.detail);
        assert_eq!(v.offending, vec![0, 1]);
        // Another process's put may have overwritten it.
        let h = history(&[
            (0, append("a;"), 0, 1, None),
            (1, put("p"), 0, 5, None),
            (0, Call::Read, 2, 3, Some("p")),
        ]);
        assert_eq!(read_your_writes(&h).verdict, Verdict::Holds);
    }

    #[test]
    fn going_back_to_a_shorter_value_breaks_monotonic_reads() {
        let h = history(&[
            (1, append("a;"), 0, 1, None),
            (1, append("b;"), 2, 3, None),
            (0, Call::Read, 4, 5, Some("a;b;")),
            (0, Call::Read, 6, 7, Some("a;")),
        ]);
        let v = monotonic_reads(&h);
        assert_eq!(v.verdict, Verdict::Violated);
        assert_eq!(v.offending, vec![2, 3]);
        let h = history(&[
            (1, append("a;"), 0, 1, None),
            (1, append("b;"), 2, 3, None),
            (0, Call::Read, 4, 5, Some("a;")),
            (0, Call::Read, 6, 7, Some("a;b;")),
        ]);
        assert_eq!(monotonic_reads(&h).verdict, Verdict::Holds);
    }

    #[test]
    fn final_reads_must_agree_and_keep_every_acknowledged_write() {
        let agree = history(&[
            (0, append("a;"), 0, 1, None),
            (1, Call::Read, 2, 3, Some("a;")),
            (2, Call::Read, 2, 3, Some("a;")),
        ]);
        assert_eq!(convergence(&agree).verdict, Verdict::Holds);
        let split = history(&[
            (0, append("a;"), 0, 1, None),
            (1, Call::Read, 2, 3, Some("a;")),
            (2, Call::Read, 2, 3, Some("")),
        ]);
        assert_eq!(convergence(&split).verdict, Verdict::Violated);
        let lost = history(&[
            (0, append("a;"), 0, 1, None),
            (0, append("b;"), 0, 1, None),
            (1, Call::Read, 2, 3, Some("a;")),
        ]);
        let v = convergence(&lost);
        assert_eq!(v.verdict, Verdict::Violated, "{}", v.detail);
        let nothing = history(&[(0, append("a;"), 0, 1, None)]);
        assert_eq!(convergence(&nothing).verdict, Verdict::Unknown);
    }

    #[test]
    fn linearizable_histories_never_break_the_weaker_guarantees() {
        use crate::check::testkit::{brute_force, random_history, semantics_for, Order};
        let mut rng = crate::rng::Rng::new(5);
        let mut linearizable = 0;
        for round in 0..6000 {
            let (kind, semantics) = semantics_for(round);
            if !semantics.model.has_values() {
                continue;
            }
            let h = random_history(&mut rng, kind, &semantics);
            if !brute_force(&h, Order::RealTime) {
                continue;
            }
            linearizable += 1;
            for (name, v) in [
                ("read-your-writes", read_your_writes(&h)),
                ("monotonic reads", monotonic_reads(&h)),
                ("convergence", convergence(&h)),
            ] {
                assert_ne!(
                    v.verdict,
                    Verdict::Violated,
                    "round {round}: {name}: {}\n{:#?}",
                    v.detail,
                    h.ops
                        .iter()
                        .map(|o| (o.describe(), o.invoke, o.complete))
                        .collect::<Vec<_>>()
                );
            }
        }
        assert!(linearizable > 1000, "{linearizable}");
    }
}
