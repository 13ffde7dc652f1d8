//! Quorum arithmetic: how many of a group make a majority, the one rule
//! under every protocol here that survives a minority's loss (any two
//! majorities of the same group share a member).

/// The smallest number of members of a group of `n` that outnumbers the
/// rest.
pub const fn majority(n: usize) -> usize {
    n / 2 + 1
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
