//! Quorum arithmetic: how many of a group make a majority, the one rule
//! under every protocol here that survives a minority's loss (any two
//! majorities of the same group share a member), and the sets of nodes
//! the Paxos checkers count as bitmasks.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::id::NodeId;

/// The smallest number of members of a group of `n` that outnumbers the
/// rest.
pub const fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// The nodes in a set held as a bitmask (bit `i` is node `i`).
pub fn members(set: u64) -> Vec<NodeId> {
    (0..64u16)
        .filter(|i| set & (1 << i) != 0)
        .map(NodeId)
        .collect()
}

/// The nodes in a bitmask set as a violation's message names them.
pub fn list(set: u64) -> String {
    members(set)
        .iter()
        .map(|n| format!("{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The servers whose votes count, as a replicated log's configuration
/// entry holds them (Ongaro's thesis, chapter 4). Outside a change, one
/// set; during a joint change (C_old,new), two, and a decision needs a
/// majority of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Configuration {
    /// The voters (bit `i`: node `i`); during a joint change, the old ones.
    pub old: u64,
    /// During a joint change: the new voters.
    pub new: Option<u64>,
}

impl Configuration {
    /// One set of voters, outside any change.
    pub const fn simple(voters: u64) -> Configuration {
        Configuration {
            old: voters,
            new: None,
        }
    }

    /// Whether `set` holds a majority of the voters (of both sets, during
    /// a joint change). Nodes outside the configuration count for nothing.
    pub fn quorum(&self, set: u64) -> bool {
        let majority_of = |voters: u64| {
            (set & voters).count_ones() as usize >= majority(voters.count_ones() as usize)
        };
        majority_of(self.old) && self.new.is_none_or(majority_of)
    }

    /// Every server that votes in either set: who a leader replicates to
    /// and a candidate asks.
    pub fn servers(&self) -> u64 {
        self.old | self.new.unwrap_or(0)
    }

    pub fn contains(&self, node: NodeId) -> bool {
        self.servers() & (1u64 << node.0) != 0
    }

    /// How a log shows it: `{n0, n1, n2}`, or `{n0, n1} → {n0, n1, n2}`
    /// during a joint change.
    pub fn label(&self) -> String {
        match self.new {
            None => format!("{{{}}}", list(self.old)),
            Some(new) => format!("{{{}}} → {{{}}}", list(self.old), list(new)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_majorities_always_overlap() {
        for n in 1..=51 {
            assert!(2 * majority(n) > n, "{n}");
            assert!(2 * (majority(n) - 1) <= n, "{n}: the smallest such");
        }
        assert_eq!((majority(3), majority(4), majority(5)), (2, 3, 3));
    }

    #[test]
    fn a_joint_configuration_needs_a_majority_of_each_set() {
        let joint = Configuration {
            old: 0b0_0111,
            new: Some(0b1_1100),
        };
        assert!(!joint.quorum(0b0_0011), "a majority of the old set only");
        assert!(!joint.quorum(0b1_1000), "a majority of the new set only");
        assert!(joint.quorum(0b0_1110), "two of each");
        assert_eq!(joint.servers(), 0b1_1111);
        assert!(Configuration::simple(0b0110).quorum(0b0111));
        assert!(
            !Configuration::simple(0b0110).quorum(0b1001),
            "non-members count for nothing"
        );
    }
}
