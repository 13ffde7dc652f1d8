//! The trace: every event of a run, compact, with a hash that identifies the
//! run. Two runs with the same hash took the same steps at the same times,
//! natively or in the browser alike.

use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use serde::Serialize;

use crate::id::NodeId;
use crate::time::Time;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum EventKind {
    /// `node` sent message `arg` to `peer`; `tag` is the message kind.
    Send,
    /// `node` received message `arg` from `peer`.
    Deliver,
    /// Message `arg` from `peer` to `node` was lost; `tag` is a [`DropReason`].
    Drop,
    /// Timer `tag` of `node` fired (also when a user forced it).
    Timer,
    Crash,
    Restart,
    /// The partition or link cuts changed; `tag` is a [`NetChange`].
    Network,
    /// Client request `arg` reached `node`.
    ClientInvoke,
    /// Client request `arg` completed; `tag` is an [`OutcomeTag`], `node`
    /// the node that answered.
    ClientReturn,
    /// `node`'s clock was set (`Action::Clock`); the action's content is
    /// in the hash.
    Clock,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Send => "send",
            EventKind::Deliver => "deliver",
            EventKind::Drop => "drop",
            EventKind::Timer => "timer",
            EventKind::Crash => "crash",
            EventKind::Restart => "restart",
            EventKind::Network => "network",
            EventKind::ClientInvoke => "client-invoke",
            EventKind::ClientReturn => "client-return",
            EventKind::Clock => "clock",
        }
    }
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DropReason {
    /// Random loss on the link.
    Loss = 0,
    /// The link was cut or the nodes were in different groups.
    Partition = 1,
    /// The receiver was down.
    NodeDown = 2,
    /// A user dropped it by hand.
    User = 3,
}

impl DropReason {
    pub fn from_tag(tag: u8) -> DropReason {
        match tag {
            0 => DropReason::Loss,
            1 => DropReason::Partition,
            2 => DropReason::NodeDown,
            _ => DropReason::User,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DropReason::Loss => "lost",
            DropReason::Partition => "partitioned",
            DropReason::NodeDown => "receiver down",
            DropReason::User => "dropped by user",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NetChange {
    Partition = 0,
    Heal = 1,
    Cut = 2,
    Restore = 3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OutcomeTag {
    Ok = 0,
    Fail = 1,
    /// Timed out: it may or may not have happened.
    Unknown = 2,
}

/// One event. 24 bytes, so a million-event run keeps its whole trace in
/// 24 MB; the message itself is not stored, only its id and kind, and its
/// content goes into the hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    pub time: Time,
    pub arg: u64,
    pub node: NodeId,
    pub peer: NodeId,
    pub kind: EventKind,
    pub tag: u8,
}

/// A 64-bit hasher with a fixed, platform-independent definition: every
/// integer is fed as little-endian `u64`, so `usize` and native endianness
/// never leak into a trace hash.
#[derive(Clone, Debug)]
pub struct StableHasher {
    state: u64,
}

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

impl StableHasher {
    pub fn new() -> StableHasher {
        StableHasher {
            state: 0x243F_6A88_85A3_08D3,
        }
    }

    fn mix(&mut self, v: u64) {
        // A multiply-xorshift round: cheap, and every input bit reaches
        // every output bit within two rounds.
        let x = (self.state ^ v).wrapping_mul(MIX);
        self.state = x ^ (x >> 29) ^ (x << 17);
    }
}

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher::new()
    }
}

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        let mut x = self.state;
        x ^= x >> 33;
        x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        x ^= x >> 33;
        x
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word) ^ ((chunk.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    fn write_i8(&mut self, i: i8) {
        self.mix(i as u64);
    }
    fn write_i16(&mut self, i: i16) {
        self.mix(i as u64);
    }
    fn write_i32(&mut self, i: i32) {
        self.mix(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.mix(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.mix(i as u64);
    }
}

/// Hashes any value with [`StableHasher`].
pub fn stable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = StableHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// The run's events and their running hash.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: Vec<TraceEvent>,
    /// Whether events are kept, or only counted and hashed.
    keep: bool,
    count: u64,
    hasher: StableHasher,
    /// The index of `events[0]`: a trace whose events were handed to a
    /// timeline (or a snapshot, which keeps none) starts its kept events
    /// later than 0.
    first_kept: u64,
}

impl Trace {
    pub fn new(keep: bool) -> Trace {
        Trace {
            events: Vec::new(),
            keep,
            count: 0,
            hasher: StableHasher::new(),
            first_kept: 0,
        }
    }

    /// The same count and hash without the kept events, for a snapshot:
    /// a timeline keeps one copy of the events, not one per snapshot.
    pub fn without_events(&self) -> Trace {
        Trace {
            events: Vec::new(),
            keep: self.keep,
            count: self.count,
            hasher: self.hasher.clone(),
            first_kept: self.count,
        }
    }

    /// Index of the first event [`Trace::events`] holds.
    pub fn first_kept(&self) -> u64 {
        self.first_kept
    }

    /// Starts or stops keeping events from now on.
    pub fn set_keep(&mut self, keep: bool) {
        if keep && !self.keep {
            self.events.clear();
            self.first_kept = self.count;
        }
        self.keep = keep;
    }

    /// Moves the kept events out (appending them to `into`, if given); the
    /// trace then keeps events from its current length on.
    pub fn drain_events(&mut self, into: Option<&mut Vec<TraceEvent>>) {
        if let Some(into) = into {
            into.extend_from_slice(&self.events);
        }
        self.events.clear();
        self.first_kept = self.count;
    }

    /// Records `event`; `digest` is a hash of whatever the event carried
    /// (the message, the reply) that is not stored.
    pub fn push(&mut self, event: TraceEvent, digest: u64) {
        let h = &mut self.hasher;
        h.write_u64(event.time.0);
        h.write_u64(event.arg);
        h.write_u64(
            u64::from(event.node.0)
                | u64::from(event.peer.0) << 16
                | (event.kind as u64) << 32
                | u64::from(event.tag) << 40,
        );
        h.write_u64(digest);
        self.count += 1;
        if self.keep {
            self.events.push(event);
        }
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The kept events (empty if the trace only hashes), from index
    /// [`Trace::first_kept`] on (0 unless events were drained).
    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    /// Bytes held per event, for the memory budget.
    pub fn bytes_per_event(&self) -> f64 {
        if self.events.is_empty() {
            return 0.0;
        }
        (self.events.capacity() * core::mem::size_of::<TraceEvent>()) as f64
            / self.events.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED: u64 = 0x2ee0b9e4623fbac9;

    #[test]
    fn event_is_small() {
        assert!(core::mem::size_of::<TraceEvent>() <= 24);
    }

    #[test]
    fn hash_is_pinned() {
        // Shared links promise the same trace hash forever: a change to the
        // hash function must fail here, not silently in users' links.
        let mut t = Trace::new(false);
        t.push(
            TraceEvent {
                time: Time(5),
                arg: 1,
                node: NodeId(0),
                peer: NodeId(1),
                kind: EventKind::Send,
                tag: 0,
            },
            stable_hash(&(1u64, "x")),
        );
        assert_eq!(t.hash(), PINNED);
    }
}
