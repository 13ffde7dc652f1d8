//! The network model: who can reach whom, and how long a message takes.
//! Reachability is a bitset per sender, so a check is one shift and a mask
//! however large the cluster.

use alloc::vec;
use alloc::vec::Vec;

use serde::Serialize;

use crate::id::NodeId;
use crate::rng::Rng;
use crate::scenario::{Latency, NetworkConfig};
use crate::time::Span;

#[derive(Clone, Debug, Serialize)]
pub struct Network {
    #[serde(skip)]
    config: NetworkConfig,
    /// Partition group of each node; nodes talk only within their group.
    groups: Vec<u8>,
    /// `cut[from]` has bit `to` set when the one-way link `from → to` is cut
    /// by hand, on top of any partition.
    cut: Vec<u64>,
    #[serde(skip)]
    latency: Vec<Latency>,
}

impl Network {
    pub fn new(nodes: usize, config: &NetworkConfig) -> Network {
        let mut latency = vec![config.latency; nodes * nodes];
        if let Some(r) = &config.regions {
            for from in 0..nodes.min(r.of.len()) {
                for to in 0..nodes.min(r.of.len()) {
                    latency[from * nodes + to] = r.latency(r.of[from], r.of[to]);
                }
            }
        }
        for link in &config.links {
            latency[link.from.index() * nodes + link.to.index()] = link.latency;
        }
        Network {
            config: config.clone(),
            groups: vec![0; nodes],
            cut: vec![0; nodes],
            latency,
        }
    }

    fn nodes(&self) -> usize {
        self.groups.len()
    }

    /// Whether a message sent now from `from` would reach `to`.
    pub fn connected(&self, from: NodeId, to: NodeId) -> bool {
        self.groups[from.index()] == self.groups[to.index()]
            && self.cut[from.index()] & (1u64 << to.0) == 0
    }

    /// The partition group of each node.
    pub fn groups(&self) -> &[u8] {
        &self.groups
    }

    /// Whether the one-way link was cut by hand (partitions aside).
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut[from.index()] & (1u64 << to.0) != 0
    }

    /// Whether anything is partitioned or cut.
    pub fn is_split(&self) -> bool {
        self.groups.iter().any(|g| *g != 0) || self.cut.iter().any(|c| *c != 0)
    }

    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        // Unlisted nodes share group 0; listed groups are numbered from 1.
        self.groups.iter_mut().for_each(|g| *g = 0);
        for (i, group) in groups.iter().enumerate() {
            for node in group {
                self.groups[node.index()] = (i + 1).min(255) as u8;
            }
        }
    }

    pub fn heal(&mut self) {
        self.groups.iter_mut().for_each(|g| *g = 0);
        self.cut.iter_mut().for_each(|c| *c = 0);
    }

    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        let bit = 1u64 << to.0;
        if cut {
            self.cut[from.index()] |= bit;
        } else {
            self.cut[from.index()] &= !bit;
        }
    }

    /// Draws the delivery delay for one message on `from → to`.
    pub fn delay(&self, from: NodeId, to: NodeId, rng: &mut Rng) -> Span {
        let l = self.latency[from.index() * self.nodes() + to.index()];
        Span(rng.range_inclusive(l.min.0, l.max.0).max(1))
    }

    pub fn loss(&self) -> f64 {
        self.config.loss
    }

    pub fn duplicate(&self) -> f64 {
        self.config.duplicate
    }
}
