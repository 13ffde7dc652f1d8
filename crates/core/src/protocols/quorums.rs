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
}
