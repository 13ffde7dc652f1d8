//! Guarantees for systems weaker than linearizable: read-your-writes and
//! monotonic reads (Terry et al., "Session Guarantees for Weakly Consistent
//! Replicated Data", 1994), and convergence. Convergence's final value
//! must not be older, in the same sense, than any acknowledged write.
//!
//! Both session guarantees are about the order of a key's writes: reading
//! a value older than one the process already wrote or read is a
//! violation. Two sources say which value is older:
//!
//! - **The version order** ([`WriteOrder`]). For puts, each read value is
//!   mapped to the writes that wrote it; write `a` is older than `b` when
//!   `a` was acknowledged before `b` was invoked. Every linearization
//!   orders them so, whatever the system, so this is the part of the
//!   version order the history alone fixes; a store that versions its
//!   writes may supply its own order (its versions) instead. The initial
//!   value is older than every write. A value several writes wrote counts
//!   as older only if every one of them is.
//! - **Reachability**, for appends, whose values carry their own history:
//!   `b` is reachable from `a` when some sequence of the key's writes (each
//!   any number of times) turns `a` into `b`, that is `a` followed by
//!   appended values, or a put value followed by appended values.
//!
//! A read value that appends could have built is judged by reachability
//! alone; one that only a put could have written, by both. Either way a
//! violation is definite: these checks never cry wolf on a linearizable
//! history.

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
    /// Where a put value (or the empty start) followed by at least one
    /// append could end: some `cut < len` with `tail[cut]` and a put of
    /// `text[..cut]` (or `cut == 0`).
    appended: bool,
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
                appended: false,
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
        let appended = (0..s.len()).any(|cut| {
            tail[cut]
                && (cut == 0
                    || s.get(..cut)
                        .is_some_and(|prefix| self.set_texts.contains(prefix)))
        });
        Shape {
            value,
            tail,
            from_set,
            appended,
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

/// Which of a key's writes are older than which. Implemented by the order
/// real time fixes ([`RealTime`]) and, in tests, by a store's versions.
pub trait WriteOrder {
    /// Whether write `a` (an index into the history) is older than write
    /// `b` in every order the system could have given them.
    fn older(&self, history: &History, a: usize, b: usize) -> bool;
}

/// The order of acknowledgement: a write acknowledged before another was
/// invoked is older. Equal times count as concurrent.
pub struct RealTime;

impl WriteOrder for RealTime {
    fn older(&self, history: &History, a: usize, b: usize) -> bool {
        let (a, b) = (&history.ops[a], &history.ops[b]);
        a.returned() && a.complete.is_some_and(|done| done < b.invoke)
    }
}

/// The writes a read value may have come from: the initial state (`None`)
/// and every put of that value that may have happened.
struct Sources(Vec<Option<usize>>);

/// A key's puts by value, for the version order.
struct Puts<'h> {
    by_value: BTreeMap<&'h Value, Vec<usize>>,
    empty: Vec<usize>,
    /// The key's value before any write (the semantics may give one).
    initial: &'h Value,
}

impl<'h> Puts<'h> {
    fn new(history: &'h History, ops: &[usize]) -> Puts<'h> {
        let mut p = Puts {
            by_value: BTreeMap::new(),
            empty: Vec::new(),
            initial: history.semantics.initial_of(None),
        };
        for &i in ops {
            let op = &history.ops[i];
            if op.outcome == Outcome::Fail {
                continue;
            }
            match &op.call {
                Call::Write { value } | Call::Cas { to: value, .. } => {
                    if value.is_empty() {
                        p.empty.push(i);
                    } else {
                        p.by_value.entry(value).or_default().push(i);
                    }
                }
                Call::Append { .. }
                | Call::Read
                | Call::Acquire
                | Call::Release
                | Call::Txn { .. } => {}
            }
        }
        p
    }

    /// Where a read shaped `seen` may have come from; `None` when the
    /// version order cannot judge it: appends could have built it, or no
    /// put wrote it.
    fn sources(&self, seen: &Shape) -> Option<Sources> {
        if seen.appended {
            return None;
        }
        let value = seen.value;
        // A read of the first value may have seen no write at all.
        let initial = if value.is_empty() {
            self.initial.is_empty()
        } else {
            value == self.initial
        };
        let writes = if value.is_empty() {
            Some(&self.empty)
        } else {
            self.by_value.get(value)
        };
        if !initial && writes.is_none() {
            return None;
        }
        let mut s = Vec::new();
        if initial {
            s.push(None);
        }
        s.extend(writes.into_iter().flatten().map(|i| Some(*i)));
        Some(Sources(s))
    }
}

impl Sources {
    /// Whether every source is older than every one of `newer`'s.
    fn older_than(&self, newer: &Sources, history: &History, order: &dyn WriteOrder) -> bool {
        self.0.iter().all(|a| {
            newer.0.iter().all(|b| match (a, b) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(a), Some(b)) => order.older(history, *a, *b),
            })
        })
    }
}

/// Each key's writes, for reachability and for the version order.
fn writes_by_key(history: &History) -> BTreeMap<Option<&str>, (KeyWrites<'_>, Puts<'_>)> {
    history
        .by_key()
        .iter()
        .map(|(k, ops)| (*k, (KeyWrites::new(history, ops), Puts::new(history, ops))))
        .collect()
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
/// earlier successful writes to the key, in the order acknowledgements fix.
pub fn read_your_writes(history: &History) -> PropertyVerdict {
    read_your_writes_in(history, &RealTime)
}

/// Read-your-writes under a given version order: no read by a process
/// returns a value older than one of its own earlier successful writes.
pub fn read_your_writes_in(history: &History, order: &dyn WriteOrder) -> PropertyVerdict {
    let writes = writes_by_key(history);
    let mut violations = Vec::new();
    let mut checked = 0;
    for ((_, key), ops) in sessions(history) {
        let (w, puts) = &writes[&key];
        let mut own: Vec<usize> = Vec::new();
        for &i in &ops {
            let op = &history.ops[i];
            if let Some(value) = ok_read(history, op) {
                let seen = w.shape(value);
                let sources = puts.sources(&seen);
                for &mine in &own {
                    checked += 1;
                    let stale = sources
                        .as_ref()
                        .is_some_and(|s| s.older_than(&Sources(vec![Some(mine)]), history, order));
                    if stale || !w.reflects(&seen, &history.ops[mine].call) {
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

/// Monotonic reads: no read by a process returns a value older than its
/// previous read of the key, in the order acknowledgements fix.
pub fn monotonic_reads(history: &History) -> PropertyVerdict {
    monotonic_reads_in(history, &RealTime)
}

/// Monotonic reads under a given version order.
pub fn monotonic_reads_in(history: &History, order: &dyn WriteOrder) -> PropertyVerdict {
    let writes = writes_by_key(history);
    let mut violations = Vec::new();
    let mut checked = 0;
    for ((_, key), ops) in sessions(history) {
        let (w, puts) = &writes[&key];
        let mut last: Option<(usize, &Value)> = None;
        for &i in &ops {
            if let Some(seen) = ok_read(history, &history.ops[i]) {
                if let Some((before, earlier)) = last {
                    checked += 1;
                    let now = w.shape(seen);
                    let stale = match (puts.sources(&now), puts.sources(&w.shape(earlier))) {
                        (Some(now), Some(then)) => now.older_than(&then, history, order),
                        _ => false,
                    };
                    if stale || !w.reachable(earlier, &now) {
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
        let puts = Puts::new(history, &ops);
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
        let sources = puts.sources(&shape);
        let lost = ops.iter().copied().find(|&i| {
            ok_write(&history.ops[i])
                && (!w.reflects(&shape, &history.ops[i].call)
                    || sources
                        .as_ref()
                        .is_some_and(|s| s.older_than(&Sources(vec![Some(i)]), history, &RealTime)))
        });
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

    /// The case reachability alone cannot see: a process puts 1, then 2,
    /// then reads 1. The put of 1 was acknowledged before the put of 2 was
    /// invoked, so 1 is older in every linearization.
    #[test]
    fn reading_a_put_older_than_your_own_breaks_read_your_writes() {
        let h = history(&[
            (0, put("1"), 0, 1, None),
            (0, put("2"), 2, 3, None),
            (0, Call::Read, 4, 5, Some("1")),
        ]);
        let v = read_your_writes(&h);
        assert_eq!(v.verdict, Verdict::Violated, "{}", v.detail);
        assert_eq!(v.offending, vec![1, 2]);
        // Nothing at all after your own put: the initial value is older.
        let h = history(&[(0, put("1"), 0, 1, None), (0, Call::Read, 2, 3, None)]);
        assert_eq!(read_your_writes(&h).verdict, Verdict::Violated);
        // Another process's put of 1 overlapped ours: it may have come
        // second, so reading 1 is no violation.
        let h = history(&[
            (1, put("1"), 0, 10, None),
            (0, put("2"), 2, 3, None),
            (0, Call::Read, 4, 5, Some("1")),
        ]);
        assert_eq!(read_your_writes(&h).verdict, Verdict::Holds);
    }

    #[test]
    fn reading_an_older_put_after_a_newer_one_breaks_monotonic_reads() {
        let h = history(&[
            (1, put("1"), 0, 1, None),
            (1, put("2"), 2, 3, None),
            (0, Call::Read, 4, 5, Some("2")),
            (0, Call::Read, 6, 7, Some("1")),
        ]);
        let v = monotonic_reads(&h);
        assert_eq!(v.verdict, Verdict::Violated, "{}", v.detail);
        assert_eq!(v.offending, vec![2, 3]);
        let forward = history(&[
            (1, put("1"), 0, 1, None),
            (1, put("2"), 2, 3, None),
            (0, Call::Read, 4, 5, Some("1")),
            (0, Call::Read, 6, 7, Some("2")),
        ]);
        assert_eq!(monotonic_reads(&forward).verdict, Verdict::Holds);
        // Back to nothing after a value: older than any put.
        let h = history(&[
            (1, put("1"), 0, 1, None),
            (0, Call::Read, 2, 3, Some("1")),
            (0, Call::Read, 4, 5, None),
        ]);
        assert_eq!(monotonic_reads(&h).verdict, Verdict::Violated);
        // Two overlapping puts: either may be the newer one.
        let h = history(&[
            (1, put("1"), 0, 9, None),
            (2, put("2"), 0, 9, None),
            (0, Call::Read, 4, 5, Some("2")),
            (0, Call::Read, 6, 7, Some("1")),
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
        // Everyone ends on a put older than an acknowledged one.
        let overwritten = history(&[
            (0, put("1"), 0, 1, None),
            (0, put("2"), 2, 3, None),
            (1, Call::Read, 4, 5, Some("1")),
            (2, Call::Read, 4, 5, Some("1")),
        ]);
        let v = convergence(&overwritten);
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

    /// A store's own version order: the version each write reports. With
    /// vector clocks, `a` is older when `b`'s clock dominates it; with
    /// last-writer-wins, when its stamp is lower.
    struct Versions<'a> {
        ops: &'a [crate::sim::ClientOp],
        mode: crate::version::Versioning,
    }

    impl WriteOrder for Versions<'_> {
        fn older(&self, history: &History, a: usize, b: usize) -> bool {
            let version = |i: usize| {
                self.ops[history.ops[i].source]
                    .detail
                    .as_ref()
                    .and_then(|d| d.versions.first())
            };
            let (Some(a), Some(b)) = (version(a), version(b)) else {
                return false;
            };
            match self.mode {
                crate::version::Versioning::VectorClock => {
                    b.clock.dominates(&a.clock) && a.clock != b.clock
                }
                crate::version::Versioning::LastWriterWins => a.stamp < b.stamp,
            }
        }
    }

    /// Busy clients on two keys, puts, appends and reads from the same
    /// processes, with partitions and crashes for 8 s.
    fn busy(protocol: crate::scenario::ProtocolConfig, seed: u64) -> crate::sim::Sim {
        use crate::scenario::{Faults, Scenario, Workload};
        let mut s = Scenario::new(protocol, 5, seed);
        s.workload = Some(Workload {
            clients: 3,
            keys: 2,
            reads: 0.5,
            ..Workload::default()
        });
        s.faults = Some(Faults {
            until: crate::time::Time(8_000_000),
            ..Faults::default()
        });
        let mut sim = crate::build(&s, crate::RunOptions::default()).expect("a valid scenario");
        sim.run_until(crate::time::Time(10_000_000), u64::MAX);
        sim
    }

    /// The run's puts and the reads of single put values (the workload's
    /// appends end in `;`, siblings are joined by ` | `), as if the clients
    /// had only put and every read had found one version: reachability
    /// then judges nothing, and only the version order can find a
    /// violation.
    fn puts_only(h: &History) -> History {
        let ops = h
            .ops
            .iter()
            .filter(|o| match (&o.call, &o.outcome) {
                (Call::Write { .. }, _) => true,
                (
                    Call::Read,
                    Outcome::Ok {
                        value: Value::Str(v),
                    },
                ) => !v.contains(';') && !v.contains(" | "),
                (Call::Read, Outcome::Ok { value: Value::Nil }) => true,
                _ => false,
            })
            .cloned()
            .collect();
        History {
            ops,
            time_base: h.time_base,
            semantics: h.semantics.clone(),
        }
    }

    /// The quorum store with R + W <= N lets a process read older than it
    /// wrote or read: both badges turn red on the run and on its puts
    /// alone, by acknowledgement order and by the store's own versions.
    #[test]
    fn a_sloppy_quorum_store_breaks_both_session_guarantees() {
        use crate::protocols::quorum::QuorumConfig;
        use crate::scenario::ProtocolConfig;
        // Last-writer-wins: one version per read, no siblings to set aside.
        let config = QuorumConfig {
            n: 3,
            r: 1,
            w: 1,
            versioning: crate::version::Versioning::LastWriterWins,
            ..QuorumConfig::default()
        };
        let mut red = [0; 4];
        for seed in 0..20 {
            let sim = busy(ProtocolConfig::Quorum(config.clone()), seed);
            let ops = sim.history().to_vec();
            let h = puts_only(&History::from_client_ops(&ops));
            let versions = Versions {
                ops: &ops,
                mode: config.versioning,
            };
            for (n, v) in [
                read_your_writes(&h),
                monotonic_reads(&h),
                read_your_writes_in(&h, &versions),
                monotonic_reads_in(&h, &versions),
            ]
            .iter()
            .enumerate()
            {
                red[n] += usize::from(v.verdict == Verdict::Violated);
            }
        }
        assert!(red.iter().all(|n| *n > 0), "{red:?}");
    }

    /// Raft serves every read through its leader's committed log: under the
    /// same load and faults, both guarantees hold, and there was something
    /// to check.
    #[test]
    fn raft_keeps_both_session_guarantees() {
        use crate::scenario::ProtocolConfig;
        let mut checked = 0;
        for seed in 0..20 {
            let sim = busy(ProtocolConfig::Raft(Default::default()), seed);
            let all = History::from_client_ops(&sim.history().to_vec());
            let puts = puts_only(&all);
            for v in [
                read_your_writes(&all),
                monotonic_reads(&all),
                read_your_writes(&puts),
                monotonic_reads(&puts),
            ] {
                assert_ne!(v.verdict, Verdict::Violated, "seed {seed}: {}", v.detail);
                checked += usize::from(v.verdict == Verdict::Holds);
            }
        }
        assert!(checked >= 60, "{checked}");
    }
}
