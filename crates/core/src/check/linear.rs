//! Linearizability (Herlihy and Wing, 1990): is there one order of the
//! operations, consistent with the sequential model, in which every
//! operation takes effect at a single instant between its invocation and
//! its response?
//!
//! The search is Wing and Gong's (1993) as improved by Lowe ("Testing for
//! linearizability", 2017): walk a list of call and return events; at each
//! point, any operation whose call comes before the first remaining return
//! may be linearized next; reaching a return whose operation is not yet
//! linearized means backtracking. A memo of the configurations already
//! explored, (set of linearized operations, model state), keeps each
//! configuration from being explored twice. Histories are first split by
//! key: linearizability is local (P-compositionality, Horn and Kroening
//! 2015), so each key is checked alone.
//!
//! On top of that, three reductions, each of which keeps the verdict exact:
//!
//! - **Reads go first, without branching.** A step that cannot change the
//!   state (a read, a failed compare-and-set) and is valid now is taken at
//!   once. Any completion from here that places it later stays valid with
//!   it moved to the front, so if taking it now fails, nothing here
//!   succeeds and there is nothing else to try.
//! - **Unknown operations last, and only as needed.** An operation that
//!   never returned may take effect at any point after its call, or never.
//!   It is a candidate only after the operations that did return, so it is
//!   linearized as late as the search can afford: Lowe's just-in-time idea.
//!   The search ends when every operation that returned is linearized;
//!   operations still pending then simply did not take effect. Identical
//!   unknown operations are interchangeable, so only the earliest-invoked
//!   of them not yet linearized is a candidate.
//! - **Unobserved unknown writes are dropped** on keys without
//!   compare-and-set: a timed-out put or append whose value no read ever
//!   contains can be removed from any linearization that uses it (no read
//!   can sit between it and the next overwrite), so it never helps.
//!
//! Time is bounded by a step budget, since core has no clock: when it runs
//! out, the verdict is `Unknown`, never a guess.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::history::{History, Value};
use super::model::{Step, ValueModel};
use super::table::{mix64, ConfigSet};
use super::{CheckOptions, Scope, Verdict};

use serde::{Deserialize, Serialize};

/// Why a key's history is not linearizable, as far as the search got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub key: Option<String>,
    /// The longest linearizable prefix found: operations (indices into
    /// `History::ops`) in the order they take effect.
    pub prefix: Vec<usize>,
    /// The model's state after that prefix, in EDN (`3`, `"ab"`, `held`,
    /// `{:x 1, :y 2}`).
    pub state: String,
    /// The operation whose response arrived before it could be placed
    /// after the prefix.
    pub stuck: usize,
    /// The other operations that could have come next, concurrent with
    /// `stuck`: no order of them places it either.
    pub candidates: Vec<usize>,
}

/// The verdict for one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVerdict {
    pub key: Option<String>,
    pub verdict: Verdict,
    /// Operations the search placed or could have placed (failed writes
    /// and reads that never returned are left out).
    pub ops: usize,
    /// When it holds: a linearization, the operations that took effect in
    /// the order they did (unknown operations left out did not happen).
    pub order: Vec<usize>,
    /// When it does not hold (or the budget ran out): how far it got.
    pub explanation: Option<Explanation>,
    pub steps: u64,
}

/// Linearizability of a whole history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linearizability {
    /// `Violated` if any key is; else `Unknown` if any key ran out of
    /// budget; else `Holds`.
    pub verdict: Verdict,
    /// Every key, in order. Keys never searched (after an early stop, or
    /// once the budget ran out) say `Unknown` with no steps.
    pub keys: Vec<KeyVerdict>,
    pub steps: u64,
    /// The search stopped at the first key that is not linearizable
    /// ([`Scope::FirstViolation`]) before deciding every key.
    pub stopped_early: bool,
}

impl Linearizability {
    /// The explanations of the keys that are not linearizable.
    pub fn explanations(&self) -> impl Iterator<Item = &Explanation> {
        self.keys
            .iter()
            .filter(|k| k.verdict == Verdict::Violated)
            .filter_map(|k| k.explanation.as_ref())
    }
}

/// Checks every key, or (with [`Scope::FirstViolation`]) until one is not
/// linearizable.
///
/// Keys are searched in rounds of doubling step budgets, each search
/// starting afresh: a key that is cheap to decide is decided in the first
/// rounds whatever the others cost, so a violation on one key is found in
/// about the time that key needs, not after a hard key has used up the
/// budget. The restarts cost at most as much again as the final attempts;
/// a key left alone gets all the budget that remains at once.
pub fn check(history: &History, options: &CheckOptions) -> Linearizability {
    let parts: Vec<(Option<&str>, Vec<usize>)> = history.by_key().into_iter().collect();
    let mut keys: Vec<Option<KeyVerdict>> = vec![None; parts.len()];
    let mut open: Vec<usize> = (0..parts.len()).collect();
    let mut spent = 0u64;
    let mut slice = FIRST_SLICE;
    let mut stopped = false;
    'rounds: while !open.is_empty() {
        let mut still_open = Vec::new();
        for (n, &k) in open.iter().enumerate() {
            let left = options.max_steps.saturating_sub(spent);
            let alone = open.len() - n + still_open.len() == 1;
            let allowed = if alone { left } else { slice.min(left) };
            if allowed == 0 {
                break 'rounds;
            }
            let (key, indices) = &parts[k];
            let verdict = check_key(history, *key, indices, allowed);
            spent += verdict.steps;
            // Out of steps before the budget: the memo's memory cap, which
            // more steps would not lift.
            let capped = verdict.steps < allowed;
            let settled = verdict.verdict != Verdict::Unknown || capped || alone;
            let violated = verdict.verdict == Verdict::Violated;
            keys[k] = Some(verdict);
            if violated && options.scope == Scope::FirstViolation {
                stopped = true;
                break 'rounds;
            }
            if !settled {
                still_open.push(k);
            }
        }
        open = still_open;
        slice = slice.saturating_mul(2);
    }
    let keys: Vec<KeyVerdict> = keys
        .into_iter()
        .zip(&parts)
        .map(|(verdict, (key, _))| {
            verdict.unwrap_or_else(|| KeyVerdict {
                key: key.map(String::from),
                verdict: Verdict::Unknown,
                ops: 0,
                order: Vec::new(),
                explanation: None,
                steps: 0,
            })
        })
        .collect();
    let verdict = if keys.iter().any(|k| k.verdict == Verdict::Violated) {
        Verdict::Violated
    } else if keys.iter().any(|k| k.verdict == Verdict::Unknown) {
        Verdict::Unknown
    } else {
        Verdict::Holds
    };
    Linearizability {
        verdict,
        keys,
        steps: spent,
        stopped_early: stopped,
    }
}

/// The first round's step budget per key: enough for most keys of the
/// corpus to be decided in it.
const FIRST_SLICE: u64 = 1 << 12;

/// One operation of a key, as the search sees it.
#[derive(Clone, Copy, Debug)]
struct KeyOp {
    /// Index into `History::ops`.
    global: usize,
    call: u64,
    /// `None`: never returned; it may take effect any time after `call`.
    ret: Option<u64>,
    step: Step,
}

/// The operations of one key worth searching, after the reductions.
fn key_ops(history: &History, indices: &[usize], model: &mut ValueModel) -> Vec<KeyOp> {
    let mut ops: Vec<KeyOp> = Vec::with_capacity(indices.len());
    for &i in indices {
        let op = &history.ops[i];
        let Some(step) = model.step_of(op) else {
            continue;
        };
        let ret = if op.returned() { op.complete } else { None };
        ops.push(KeyOp {
            global: i,
            call: op.invoke,
            ret,
            step,
        });
    }
    // Unknown operations invoked after the last response can always be
    // left out: nothing that returned needs them.
    let last_return = ops.iter().filter_map(|o| o.ret).max();
    ops.retain(|o| o.ret.is_some() || last_return.is_some_and(|r| o.call <= r));

    // Dropping unobserved unknown writes needs every write to stay valid
    // wherever it goes: plain writes, and appends of strings onto strings.
    let mut only_writes = true;
    let mut has_int = false;
    let mut has_append = false;
    for o in &ops {
        match o.step {
            Step::Read(v) | Step::Write(v) | Step::Append(v) => {
                has_int |= matches!(model.literal(v), Some(Value::Int(_)));
                has_append |= matches!(o.step, Step::Append(_));
            }
            _ => only_writes = false,
        }
    }
    if only_writes && !(has_append && has_int) {
        let reads: Vec<u32> = ops
            .iter()
            .filter_map(|o| match o.step {
                Step::Read(v) => Some(v),
                _ => None,
            })
            .collect();
        ops.retain(|o| {
            if o.ret.is_some() {
                return true;
            }
            match o.step {
                Step::Write(v) | Step::Append(v) => {
                    reads
                        .iter()
                        .any(|r| match (model.literal(*r), model.literal(v)) {
                            (Some(read), Some(written)) => observed(read, written),
                            _ => true,
                        })
                }
                _ => true,
            }
        });
    }
    ops
}

/// For a key whose values are strings changed only by puts and appends:
/// the puts, to find for a read the ones whose value its value starts
/// with. From a state that is not a prefix of what a read returned, only
/// those puts can lead to it (appends only lengthen), so once they are all
/// linearized the read can never be placed: the search gives up on that
/// configuration at once instead of trying every order of the appends
/// still to come. `None` for other keys.
fn string_puts(ops: &[KeyOp], model: &ValueModel, initial: u32) -> Option<Vec<(u32, u32)>> {
    let text = |v: u32| matches!(model.literal(v), None | Some(Value::Nil | Value::Str(_)));
    if !text(initial) {
        return None;
    }
    let mut puts = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        match o.step {
            Step::Write(v) if text(v) => puts.push((i as u32, v)),
            Step::Read(v) | Step::Append(v) if text(v) => {}
            _ => return None,
        }
    }
    Some(puts)
}

/// Whether a read of `read` could show the effect of writing or appending
/// `written`.
fn observed(read: &Value, written: &Value) -> bool {
    match (read, written) {
        (_, Value::Nil) => true,
        (Value::Str(r), Value::Str(w)) => r.contains(w.as_str()),
        (r, w) => r == w,
    }
}

/// Where the branching scan of a configuration resumes.
#[derive(Clone, Copy, Debug)]
enum Cursor {
    /// A new configuration: look for a read to take first.
    Fresh,
    /// Operations that returned, after this event of the main list.
    Main(u32),
    /// Unknown operations, after this node of the pending list.
    Pending(u32),
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    op: u32,
    state: u32,
    /// Taken without branching: on backtrack, its configuration has failed.
    forced: bool,
}

/// The puts of a key of strings, and per read (worked out when first
/// needed) those whose value the read's value starts with.
struct Resets {
    puts: Vec<(u32, u32)>,
    of_read: Vec<Option<Vec<u32>>>,
}

/// The furthest dead end seen, for the explanation.
struct DeadEnd {
    /// The stuck operation's return event, then how many operations were
    /// linearized.
    rank: (u32, usize),
    prefix: Vec<u32>,
    state: u32,
    stuck: u32,
    candidates: Vec<u32>,
}

fn check_key(history: &History, key: Option<&str>, indices: &[usize], budget: u64) -> KeyVerdict {
    let mut model = ValueModel::new(&history.semantics);
    let ops = key_ops(history, indices, &mut model);
    let initial = model.initial(key);
    let mut search = Search::new(&ops);
    if let Some(puts) = string_puts(&ops, &model, initial) {
        search.resets = Some(Resets {
            puts,
            of_read: vec![None; ops.len()],
        });
    }
    let result = search.run(&mut model, initial, budget);
    let global = |local: &u32| ops[*local as usize].global;
    let explanation = |dead: &Option<DeadEnd>, model: &ValueModel| {
        dead.as_ref().map(|d| Explanation {
            key: key.map(String::from),
            prefix: d.prefix.iter().map(global).collect(),
            state: model.describe(d.state),
            stuck: global(&d.stuck),
            candidates: d.candidates.iter().map(global).collect(),
        })
    };
    let (verdict, order, explanation) = match result {
        Verdict::Holds => (
            Verdict::Holds,
            search.stack.iter().map(|f| global(&f.op)).collect(),
            None,
        ),
        v => (v, Vec::new(), explanation(&search.dead_end, &model)),
    };
    KeyVerdict {
        key: key.map(String::from),
        verdict,
        ops: ops.len(),
        order,
        explanation,
        steps: search.steps,
    }
}

/// The search state for one key. Events live in index-linked lists so an
/// operation is lifted out and put back in O(1) (Knuth's dancing links).
struct Search<'a> {
    ops: &'a [KeyOp],
    /// Main list: call and return events of the operations that returned,
    /// by time, calls before returns at equal times (so an operation that
    /// returns when another is invoked counts as concurrent with it).
    /// Index 0 is the head; `next == 0` is the end.
    ev_op: Vec<u32>,
    ev_call: Vec<bool>,
    ev_time: Vec<u64>,
    next: Vec<u32>,
    prev: Vec<u32>,
    call_ev: Vec<u32>,
    ret_ev: Vec<u32>,
    /// Pending list: the unknown operations by call time, head 0.
    pend_op: Vec<u32>,
    pnext: Vec<u32>,
    pprev: Vec<u32>,
    pend_node: Vec<u32>,
    /// The earlier identical unknown operation, which must go first.
    twin: Vec<u32>,
    zobrist: Vec<u64>,
    /// See [`string_puts`].
    resets: Option<Resets>,
    bits: Vec<u64>,
    stack: Vec<Frame>,
    steps: u64,
    dead_end: Option<DeadEnd>,
}

const NONE: u32 = u32::MAX;

impl<'a> Search<'a> {
    fn new(ops: &'a [KeyOp]) -> Search<'a> {
        let mut events: Vec<(u64, bool, u32)> = Vec::new();
        let mut pending: Vec<(u64, u32)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            match op.ret {
                Some(r) => {
                    events.push((op.call, false, i as u32));
                    events.push((r, true, i as u32));
                }
                None => pending.push((op.call, i as u32)),
            }
        }
        // (time, is_return, op): calls sort before returns at equal times.
        events.sort_unstable();
        pending.sort_unstable();
        let m = events.len();
        let n = ops.len();
        let mut s = Search {
            ops,
            ev_op: vec![NONE; m + 1],
            ev_call: vec![false; m + 1],
            ev_time: vec![0; m + 1],
            next: vec![0; m + 1],
            prev: vec![0; m + 1],
            call_ev: vec![NONE; n],
            ret_ev: vec![NONE; n],
            pend_op: vec![NONE; pending.len() + 1],
            pnext: vec![0; pending.len() + 1],
            pprev: vec![0; pending.len() + 1],
            pend_node: vec![NONE; n],
            twin: vec![NONE; n],
            zobrist: (0..n as u64).map(|i| mix64(i ^ 0x05EE_D0F1_1AE0)).collect(),
            resets: None,
            bits: vec![0; n.div_ceil(64).max(1)],
            stack: Vec::new(),
            steps: 0,
            dead_end: None,
        };
        for (k, &(time, is_return, op)) in events.iter().enumerate() {
            let e = k + 1;
            s.ev_op[e] = op;
            s.ev_call[e] = !is_return;
            s.ev_time[e] = time;
            s.prev[e] = k as u32;
            s.next[e] = if e < m { (e + 1) as u32 } else { 0 };
            if is_return {
                s.ret_ev[op as usize] = e as u32;
            } else {
                s.call_ev[op as usize] = e as u32;
            }
        }
        s.next[0] = if m > 0 { 1 } else { 0 };
        let q = pending.len();
        for (k, &(_, op)) in pending.iter().enumerate() {
            let node = k + 1;
            s.pend_op[node] = op;
            s.pprev[node] = k as u32;
            s.pnext[node] = if node < q { (node + 1) as u32 } else { 0 };
            s.pend_node[op as usize] = node as u32;
            // The latest earlier unknown operation with the same step.
            for &(_, other) in pending[..k].iter().rev() {
                if ops[other as usize].step == ops[op as usize].step {
                    s.twin[op as usize] = other;
                    break;
                }
            }
        }
        s.pnext[0] = if q > 0 { 1 } else { 0 };
        s
    }

    fn bit(&self, op: u32) -> bool {
        self.bits[op as usize / 64] & (1 << (op % 64)) != 0
    }

    fn flip(&mut self, op: u32) {
        self.bits[op as usize / 64] ^= 1 << (op % 64);
    }

    fn unlink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = n;
        if n != 0 {
            self.prev[n as usize] = p;
        }
    }

    fn relink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = e;
        if n != 0 {
            self.prev[n as usize] = e;
        }
    }

    /// Marks `op` linearized and takes it out of its list.
    fn lift(&mut self, op: u32) {
        self.flip(op);
        let call = self.call_ev[op as usize];
        if call != NONE {
            self.unlink(call);
            self.unlink(self.ret_ev[op as usize]);
        } else {
            let node = self.pend_node[op as usize];
            let (p, n) = (self.pprev[node as usize], self.pnext[node as usize]);
            self.pnext[p as usize] = n;
            if n != 0 {
                self.pprev[n as usize] = p;
            }
        }
    }

    /// Undoes [`Search::lift`]; lifts are undone in reverse order.
    fn unlift(&mut self, op: u32) {
        self.flip(op);
        let call = self.call_ev[op as usize];
        if call != NONE {
            self.relink(self.ret_ev[op as usize]);
            self.relink(call);
        } else {
            let node = self.pend_node[op as usize];
            let (p, n) = (self.pprev[node as usize], self.pnext[node as usize]);
            self.pnext[p as usize] = node;
            if n != 0 {
                self.pprev[n as usize] = node;
            }
        }
    }

    fn run(&mut self, model: &mut ValueModel, initial: u32, budget: u64) -> Verdict {
        let budget = budget.min(ConfigSet::max_entries(self.bits.len()));
        let mut memo = ConfigSet::new(self.bits.len());
        let mut state = initial;
        let mut hash = 0u64;
        let mut remaining = self.ops.iter().filter(|o| o.ret.is_some()).count();
        let mut cursor = Cursor::Fresh;
        let config_hash = |h: u64, state: u32| h ^ mix64(u64::from(state));
        memo.insert(config_hash(hash, state), &self.bits, state);
        loop {
            if remaining == 0 {
                return Verdict::Holds;
            }
            if self.steps >= budget {
                self.note_dead_end(state, None);
                return Verdict::Unknown;
            }
            self.steps += 1;
            // The first return bounds the candidates: it exists, since an
            // operation that returned is not yet linearized.
            let mut first_ret = self.next[0];
            while self.ev_call[first_ret as usize] {
                first_ret = self.next[first_ret as usize];
            }
            let bound = self.ev_time[first_ret as usize];

            let mut chosen: Option<(u32, u32, bool)> = None;
            let mut failed = false;
            if let Cursor::Fresh = cursor {
                let mut e = self.next[0];
                while e != first_ret {
                    let op = self.ev_op[e as usize];
                    let step = self.ops[op as usize].step;
                    if step.is_identity() && model.apply(state, step).is_some() {
                        chosen = Some((op, state, true));
                        break;
                    }
                    if self.unreachable(model, state, op) {
                        failed = true;
                        self.note_dead_end(state, Some((first_ret, bound)));
                        break;
                    }
                    e = self.next[e as usize];
                }
                if let Some((op, next_state, _)) = chosen {
                    self.flip(op);
                    let h = config_hash(hash ^ self.zobrist[op as usize], next_state);
                    let new = memo.insert(h, &self.bits, next_state);
                    self.flip(op);
                    if !new {
                        // Explored from here before, and it failed: so does
                        // this configuration.
                        chosen = None;
                        failed = true;
                    }
                }
                cursor = Cursor::Main(0);
            }
            if chosen.is_none() && !failed {
                if let Cursor::Main(after) = cursor {
                    let mut e = self.next[after as usize];
                    while e != first_ret {
                        let op = self.ev_op[e as usize];
                        if let Some(s) = self.try_branch(model, &mut memo, op, state, hash) {
                            chosen = Some((op, s, false));
                            break;
                        }
                        e = self.next[e as usize];
                    }
                    if chosen.is_none() {
                        cursor = Cursor::Pending(0);
                    }
                }
            }
            if chosen.is_none() && !failed {
                if let Cursor::Pending(after) = cursor {
                    let mut k = self.pnext[after as usize];
                    while k != 0 {
                        let op = self.pend_op[k as usize];
                        if self.ops[op as usize].call > bound {
                            break;
                        }
                        let twin = self.twin[op as usize];
                        if twin == NONE || self.bit(twin) {
                            if let Some(s) = self.try_branch(model, &mut memo, op, state, hash) {
                                chosen = Some((op, s, false));
                                break;
                            }
                        }
                        k = self.pnext[k as usize];
                    }
                }
            }

            if let Some((op, next_state, forced)) = chosen {
                self.stack.push(Frame { op, state, forced });
                self.lift(op);
                hash ^= self.zobrist[op as usize];
                state = next_state;
                if self.ops[op as usize].ret.is_some() {
                    remaining -= 1;
                }
                cursor = Cursor::Fresh;
                continue;
            }

            // Nothing here leads anywhere: backtrack past every step that
            // was forced, to the last real choice.
            if !failed {
                self.note_dead_end(state, Some((first_ret, bound)));
            }
            loop {
                let Some(frame) = self.stack.pop() else {
                    return Verdict::Violated;
                };
                self.unlift(frame.op);
                hash ^= self.zobrist[frame.op as usize];
                state = frame.state;
                if self.ops[frame.op as usize].ret.is_some() {
                    remaining += 1;
                }
                if !frame.forced {
                    cursor = match self.call_ev[frame.op as usize] {
                        NONE => Cursor::Pending(self.pend_node[frame.op as usize]),
                        call => Cursor::Main(call),
                    };
                    break;
                }
            }
        }
    }

    /// Whether read `op` can no longer be placed from `state`: it is not
    /// a prefix of what the read returned, and every put that could lead
    /// there is already linearized (see [`string_puts`]).
    fn unreachable(&mut self, model: &mut ValueModel, state: u32, op: u32) -> bool {
        let Some(resets) = &mut self.resets else {
            return false;
        };
        // While the search has not had to backtrack much, every read it
        // meets is placed in turn and the test would only cost time.
        if self.steps <= self.ops.len() as u64 {
            return false;
        }
        let Step::Read(value) = self.ops[op as usize].step else {
            return false;
        };
        if model.is_prefix(state, value) {
            return false;
        }
        let puts = resets.of_read[op as usize].get_or_insert_with(|| {
            resets
                .puts
                .iter()
                .filter(|(_, v)| model.is_prefix(*v, value))
                .map(|(put, _)| *put)
                .collect()
        });
        let bits = &self.bits;
        puts.iter()
            .all(|w| bits[*w as usize / 64] & (1 << (w % 64)) != 0)
    }

    /// The state after linearizing `op` next, if that is allowed and the
    /// configuration it leads to is new. Identity steps are skipped: the
    /// forced phase already found none of them valid here.
    fn try_branch(
        &mut self,
        model: &mut ValueModel,
        memo: &mut ConfigSet,
        op: u32,
        state: u32,
        hash: u64,
    ) -> Option<u32> {
        let step = self.ops[op as usize].step;
        if step.is_identity() {
            return None;
        }
        let next_state = model.apply(state, step)?;
        self.flip(op);
        let h = hash ^ self.zobrist[op as usize] ^ mix64(u64::from(next_state));
        let new = memo.insert(h, &self.bits, next_state);
        self.flip(op);
        new.then_some(next_state)
    }

    /// Remembers this configuration if it is the furthest dead end so far:
    /// the one whose stuck operation returns latest, so that every
    /// operation returning before it is linearized (Knossos's measure, the
    /// longest prefix of the responses explained), and of those the one
    /// with the most operations linearized.
    fn note_dead_end(&mut self, state: u32, first_ret: Option<(u32, u64)>) {
        let (ret_event, bound) = match first_ret {
            Some(found) => found,
            None => {
                // Out of budget: point at the first operation left.
                let mut e = self.next[0];
                while e != 0 && self.ev_call[e as usize] {
                    e = self.next[e as usize];
                }
                if e == 0 {
                    return;
                }
                (e, self.ev_time[e as usize])
            }
        };
        // Events are numbered in time order, so the event number ranks.
        let rank = (ret_event, self.stack.len());
        if self.dead_end.as_ref().is_some_and(|d| d.rank >= rank) {
            return;
        }
        let stuck = self.ev_op[ret_event as usize];
        let mut candidates = Vec::new();
        let mut e = self.next[0];
        while e != 0 && self.ev_call[e as usize] {
            candidates.push(self.ev_op[e as usize]);
            e = self.next[e as usize];
        }
        let mut k = self.pnext[0];
        while k != 0 && self.ops[self.pend_op[k as usize] as usize].call <= bound {
            candidates.push(self.pend_op[k as usize]);
            k = self.pnext[k as usize];
        }
        candidates.retain(|c| *c != stuck);
        self.dead_end = Some(DeadEnd {
            rank,
            prefix: self.stack.iter().map(|f| f.op).collect(),
            state,
            stuck,
            candidates,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::history::{Call, Operation, Outcome, Semantics, TimeBase};
    use crate::check::testkit::{brute_force, random_history, semantics_for, Order};
    use alloc::vec;

    /// `(process, call, invoke, complete, outcome)`; a single register.
    fn history(ops: &[(u64, Call, u64, Option<u64>, Outcome)]) -> History {
        History {
            ops: ops
                .iter()
                .enumerate()
                .map(|(i, (p, call, inv, comp, out))| Operation {
                    process: *p,
                    key: None,
                    call: call.clone(),
                    outcome: out.clone(),
                    invoke: *inv,
                    complete: *comp,
                    source: i,
                })
                .collect(),
            time_base: TimeBase::Positions,
            semantics: Semantics::etcd(),
        }
    }

    fn w(v: i64) -> Call {
        Call::Write {
            value: Value::Int(v),
        }
    }

    fn read(v: Option<i64>) -> Outcome {
        Outcome::Ok {
            value: v.map_or(Value::Nil, Value::Int),
        }
    }

    fn ok() -> Outcome {
        Outcome::Ok { value: Value::Nil }
    }

    fn verdict(h: &History) -> Verdict {
        check(h, &CheckOptions::default()).verdict
    }

    #[test]
    fn a_read_concurrent_with_a_write_may_see_either_value() {
        for seen in [None, Some(1)] {
            let h = history(&[
                (0, w(1), 0, Some(10), ok()),
                (1, Call::Read, 1, Some(5), read(seen)),
            ]);
            assert_eq!(verdict(&h), Verdict::Holds, "{seen:?}");
        }
    }

    #[test]
    fn a_stale_read_after_the_write_returned_is_not_linearizable() {
        let h = history(&[
            (0, w(1), 0, Some(2), ok()),
            (1, Call::Read, 3, Some(4), read(None)),
        ]);
        let result = check(&h, &CheckOptions::default());
        assert_eq!(result.verdict, Verdict::Violated);
        let e = result.explanations().next().unwrap();
        assert_eq!(e.prefix, vec![0]);
        assert_eq!(e.stuck, 1);
        assert_eq!(e.state, "1");
    }

    #[test]
    fn two_reads_must_agree_on_the_order_of_two_writes() {
        // Writes of 1 and 2 overlap; one reader sees 1 then 2, the other 2
        // then 1, both after the writes: no single order explains that.
        let h = history(&[
            (0, w(1), 0, Some(10), ok()),
            (1, w(2), 0, Some(10), ok()),
            (2, Call::Read, 11, Some(12), read(Some(2))),
            (3, Call::Read, 11, Some(12), read(Some(1))),
        ]);
        assert_eq!(verdict(&h), Verdict::Violated);
    }

    #[test]
    fn a_timed_out_write_may_take_effect_late_or_never() {
        let late = history(&[
            (0, w(1), 0, Some(1), Outcome::Unknown),
            (1, Call::Read, 5, Some(6), read(None)),
            (2, Call::Read, 7, Some(8), read(Some(1))),
        ]);
        assert_eq!(verdict(&late), Verdict::Holds);
        let never = history(&[
            (0, w(1), 0, None, Outcome::Unknown),
            (1, Call::Read, 5, Some(6), read(None)),
        ]);
        assert_eq!(verdict(&never), Verdict::Holds);
        // But not before its invocation.
        let early = history(&[
            (1, Call::Read, 0, Some(1), read(Some(1))),
            (0, w(1), 2, None, Outcome::Unknown),
        ]);
        assert_eq!(verdict(&early), Verdict::Violated);
    }

    #[test]
    fn a_failed_cas_means_the_register_did_not_hold_from() {
        let cas = Call::Cas {
            from: Value::Int(1),
            to: Value::Int(2),
        };
        let h = history(&[
            (0, w(1), 0, Some(1), ok()),
            (1, cas.clone(), 2, Some(3), Outcome::Fail),
        ]);
        assert_eq!(verdict(&h), Verdict::Violated);
        let h = history(&[
            (0, w(1), 0, Some(1), ok()),
            (1, cas, 2, Some(3), ok()),
            (2, Call::Read, 4, Some(5), read(Some(2))),
        ]);
        assert_eq!(verdict(&h), Verdict::Holds);
    }

    #[test]
    fn the_witness_order_respects_real_time() {
        let h = history(&[
            (0, w(1), 0, Some(1), ok()),
            (1, w(2), 2, Some(5), ok()),
            (2, Call::Read, 3, Some(4), read(Some(1))),
        ]);
        let result = check(&h, &CheckOptions::default());
        assert_eq!(result.verdict, Verdict::Holds);
        assert_eq!(result.keys[0].order, vec![0, 2, 1]);
    }

    #[test]
    fn a_budget_too_small_gives_unknown() {
        let mut ops = vec![];
        for i in 0..20 {
            ops.push((i, w(i as i64), 0, Some(100), ok()));
        }
        ops.push((99, Call::Read, 101, Some(102), read(Some(1000))));
        let h = history(&ops);
        let result = check(
            &h,
            &CheckOptions {
                max_steps: 50,
                ..CheckOptions::default()
            },
        );
        assert_eq!(result.verdict, Verdict::Unknown);
    }

    #[test]
    fn keys_are_checked_separately() {
        let mut h = history(&[
            (0, w(1), 0, Some(1), ok()),
            (1, Call::Read, 2, Some(3), read(Some(1))),
            (2, Call::Read, 2, Some(3), read(None)),
        ]);
        h.ops[0].key = Some("a".into());
        h.ops[1].key = Some("a".into());
        h.ops[2].key = Some("b".into());
        let result = check(&h, &CheckOptions::default());
        assert_eq!(result.verdict, Verdict::Holds);
        assert_eq!(result.keys.len(), 2);
    }

    #[test]
    fn agrees_with_the_definition_on_random_small_histories() {
        let mut rng = crate::rng::Rng::new(2024);
        // Per semantics (by `semantics_for`'s round), histories that hold
        // and histories that do not.
        let mut seen = [[0usize; 2]; 48];
        for round in 0..48_000 {
            let (kind, semantics) = semantics_for(round);
            let h = random_history(&mut rng, kind, &semantics);
            let expected = brute_force(&h, Order::RealTime);
            let got = check(&h, &CheckOptions::default()).verdict;
            assert_eq!(
                got == Verdict::Holds,
                expected,
                "round {round}, {}: {:#?}",
                semantics.describe(),
                h.ops
                    .iter()
                    .map(|o| (o.describe(), o.invoke, o.complete))
                    .collect::<Vec<_>>()
            );
            seen[round % 48][usize::from(expected)] += 1;
        }
        // Both verdicts well represented, for every semantics.
        assert!(seen.iter().all(|s| s[0] > 50 && s[1] > 50), "{seen:?}");
    }

    #[test]
    fn an_empty_history_is_linearizable() {
        let h = history(&[]);
        let result = check(&h, &CheckOptions::default());
        assert_eq!((result.verdict, result.keys.len()), (Verdict::Holds, 0));
        // Nothing but failures: nothing happened.
        let mut only_failures = history(&[(0, w(1), 0, Some(1), Outcome::Fail)]);
        only_failures.semantics = Semantics::jepsen(crate::check::Model::CasRegister);
        assert_eq!(verdict(&only_failures), Verdict::Holds);
    }

    #[test]
    fn the_reading_of_fail_decides_a_failed_cas() {
        let cas = Call::Cas {
            from: Value::Int(1),
            to: Value::Int(2),
        };
        let mut h = history(&[
            (0, w(1), 0, Some(1), ok()),
            (1, cas, 2, Some(3), Outcome::Fail),
        ]);
        assert_eq!(
            verdict(&h),
            Verdict::Violated,
            "Porcupine: it saw another value"
        );
        h.semantics = Semantics::jepsen(crate::check::Model::CasRegister);
        assert_eq!(verdict(&h), Verdict::Holds, "Jepsen: it did not happen");
    }

    #[test]
    fn the_first_violation_is_enough_when_asked() {
        let mut h = history(&[
            (0, w(1), 0, Some(1), ok()),
            (1, Call::Read, 2, Some(3), read(Some(2))),
            (2, w(1), 0, Some(1), ok()),
            (3, Call::Read, 2, Some(3), read(Some(1))),
        ]);
        for (i, key) in ["a", "a", "b", "b"].iter().enumerate() {
            h.ops[i].key = Some((*key).into());
        }
        let every = check(&h, &CheckOptions::default());
        assert_eq!(
            every.keys.iter().map(|k| k.verdict).collect::<Vec<_>>(),
            vec![Verdict::Violated, Verdict::Holds]
        );
        assert!(!every.stopped_early);
        let first = check(
            &h,
            &CheckOptions {
                scope: Scope::FirstViolation,
                ..CheckOptions::default()
            },
        );
        assert_eq!(first.verdict, Verdict::Violated);
        assert!(first.stopped_early);
        assert_eq!(
            (first.keys[1].verdict, first.keys[1].steps),
            (Verdict::Unknown, 0)
        );
    }
}
