//! A branch's trace events in fixed-size chunks that can be let go.
//!
//! A long run's trace is tens of millions of 24-byte events: one vector
//! would double into hundreds of megabytes (and need half as much again
//! while it grows). Here events fill chunks of [`CHUNK`]; a full chunk is
//! sealed behind a reference count, so a branch forked from another shares
//! every sealed chunk before the fork. A sealed chunk can be *evicted*:
//! only its time span and how many client replies it holds are kept, and
//! the timeline replays it from a snapshot when something asks for it
//! (see `Timeline::chunk`). The chunk being filled is always resident.

use alloc::rc::Rc;
use alloc::vec::Vec;

use crate::time::Time;
use crate::trace::{EventKind, TraceEvent};

/// Events per chunk: 96 KB each, small enough to replay in a moment and
/// to keep many of, large enough that the per-chunk record is nothing.
pub const CHUNK: usize = 4096;

#[derive(Clone)]
struct Sealed {
    last: Time,
    /// Client replies in it: jumps to the next reply skip chunks without.
    replies: u32,
    events: Option<Rc<[TraceEvent]>>,
}

/// The events of one branch; see the module docs.
#[derive(Clone, Default)]
pub struct EventLog {
    sealed: Vec<Sealed>,
    /// Every sealed chunk before this one was let go: where the search
    /// for the oldest resident chunk starts.
    evicted_below: usize,
    /// The chunk being filled (never more than [`CHUNK`]).
    open: Vec<TraceEvent>,
}

impl EventLog {
    pub fn len(&self) -> u64 {
        (self.sealed.len() * CHUNK + self.open.len()) as u64
    }

    /// Sealed chunks, evicted or not.
    pub fn sealed_chunks(&self) -> usize {
        self.sealed.len()
    }

    pub fn push(&mut self, events: &[TraceEvent]) {
        let mut rest = events;
        while !rest.is_empty() {
            if self.open.capacity() < CHUNK {
                self.open.reserve_exact(CHUNK - self.open.len());
            }
            let take = (CHUNK - self.open.len()).min(rest.len());
            self.open.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.open.len() == CHUNK {
                self.seal();
            }
        }
    }

    fn seal(&mut self) {
        let events: Rc<[TraceEvent]> = Rc::from(core::mem::take(&mut self.open));
        self.sealed.push(Sealed {
            last: events[events.len() - 1].time,
            replies: events
                .iter()
                .filter(|e| e.kind == EventKind::ClientReturn)
                .count() as u32,
            events: Some(events),
        });
    }

    /// The first `len` events, sharing the sealed chunks.
    pub fn truncated(&self, len: u64) -> EventLog {
        let len = len.min(self.len()) as usize;
        let (whole, part) = (len / CHUNK, len % CHUNK);
        let mut open = Vec::new();
        if part > 0 {
            open.reserve_exact(CHUNK);
            match self.sealed.get(whole) {
                Some(s) => open.extend_from_slice(&s.events.as_ref().expect("resident")[..part]),
                None => open.extend_from_slice(&self.open[..part]),
            }
        }
        EventLog {
            sealed: self.sealed[..whole].to_vec(),
            evicted_below: self.evicted_below.min(whole),
            open,
        }
    }

    /// Whether sealed chunk `c` was let go (then [`Self::truncated`] to a
    /// length inside it needs it replayed first).
    pub fn evicted(&self, chunk: usize) -> bool {
        self.sealed.get(chunk).is_some_and(|s| s.events.is_none())
    }

    /// The events of chunk `c`, if they are here (the open chunk always is).
    pub fn resident(&self, c: usize) -> Option<&[TraceEvent]> {
        match self.sealed.get(c) {
            Some(s) => s.events.as_deref(),
            None if c == self.sealed.len() => Some(&self.open),
            None => None,
        }
    }

    /// Puts a replayed chunk back (the caller checked it is the same).
    pub fn restore(&mut self, c: usize, events: Rc<[TraceEvent]>) {
        if let Some(s) = self.sealed.get_mut(c) {
            s.events = Some(events);
            self.evicted_below = self.evicted_below.min(c);
        }
    }

    /// Lets chunk `c` go; returns the bytes freed (0 if it was not held
    /// here alone, or was not resident).
    pub fn evict(&mut self, c: usize) -> usize {
        let Some(s) = self.sealed.get_mut(c) else {
            return 0;
        };
        match s.events.take() {
            Some(rc) if Rc::strong_count(&rc) == 1 => core::mem::size_of_val(&*rc),
            _ => 0,
        }
    }

    /// The oldest resident sealed chunk at or after `from`, before `to`.
    pub fn oldest_resident(&mut self, from: usize, to: usize) -> Option<usize> {
        let start = from.max(self.evicted_below);
        let found = (start..to.min(self.sealed.len())).find(|&c| self.sealed[c].events.is_some());
        if from <= self.evicted_below {
            self.evicted_below = found.unwrap_or(to.max(start).min(self.sealed.len()));
        }
        found
    }

    /// Sealed chunks that are resident.
    pub fn resident_chunks(&self) -> usize {
        self.sealed.iter().filter(|s| s.events.is_some()).count()
    }

    /// The first chunk that may hold an event at `t` or later, by the
    /// chunks' time spans (events are in time order).
    pub fn chunk_reaching(&self, t: Time) -> usize {
        self.sealed.partition_point(|s| s.last < t)
    }

    /// The first chunk holding an event later than `t`.
    pub fn chunk_after(&self, t: Time) -> usize {
        self.sealed.partition_point(|s| s.last <= t)
    }

    /// How many client replies chunk `c` holds (`None` for the open one).
    pub fn replies(&self, c: usize) -> Option<u32> {
        self.sealed.get(c).map(|s| s.replies)
    }

    /// The sealed chunk handle, to share a resident chunk with a cache.
    pub fn shared(&self, c: usize) -> Option<Rc<[TraceEvent]>> {
        self.sealed.get(c).and_then(|s| s.events.clone())
    }
}
