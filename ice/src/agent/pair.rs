//! Candidate pairs (RFC 8445 §6.1.2).

use std::time::Duration;

/// RFC 8445 §6.1.2.6: the state of a pair in the check list (W3C
/// `RTCStatsIceCandidatePairState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidatePairState {
    /// Not checked yet; waits for a pair of the same foundation.
    Frozen,
    /// Will be checked when its turn comes.
    Waiting,
    /// A check is in flight.
    InProgress,
    /// A check succeeded.
    Succeeded,
    /// Checks failed.
    Failed,
}

pub(super) use CandidatePairState as PairState;

pub(super) struct Pair {
    pub(super) local: usize,
    pub(super) remote: usize,
    pub(super) priority: u64,
    /// Hash of the pair foundation (local foundation, remote foundation).
    pub(super) foundation: u64,
    pub(super) state: PairState,
    /// In the valid list (RFC 8445 §7.2.5.3.2).
    pub(super) valid: bool,
    /// Nominated (RFC 8445 §8.1.1).
    pub(super) nominated: bool,
    /// Controlled side: the peer sent USE-CANDIDATE before our check succeeded
    /// (RFC 8445 §7.3.1.5), so success nominates.
    pub(super) nominate_on_success: bool,
    /// The valid pair our check on this pair produced, when its local candidate is a
    /// peer-reflexive one.
    pub(super) valid_pair: Option<usize>,
    /// Binding requests sent (checks and consent, retransmissions included).
    pub(super) requests_sent: u64,
    /// Authenticated Binding requests received.
    pub(super) requests_received: u64,
    /// Authenticated success responses received.
    pub(super) responses_received: u64,
    /// Round-trip time of the last unambiguous (not retransmitted) transaction.
    pub(super) rtt: Option<Duration>,
}

impl Pair {
    pub(super) fn new(
        local: usize,
        remote: usize,
        priority: u64,
        foundation: u64,
        state: PairState,
    ) -> Self {
        Self {
            local,
            remote,
            priority,
            foundation,
            state,
            valid: false,
            nominated: false,
            nominate_on_success: false,
            valid_pair: None,
            requests_sent: 0,
            requests_received: 0,
            responses_received: 0,
            rtt: None,
        }
    }
}

/// RFC 8445 §6.1.2.3: `2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)` with G the controlling
/// and D the controlled side's candidate priority.
pub(super) fn priority(g: u64, d: u64) -> u64 {
    (g.min(d) << 32) + 2 * g.max(d) + u64::from(g > d)
}

/// The pair foundation (RFC 8445 §6.1.2.6) as a hash, for cheap comparison.
pub(super) fn foundation_key(local: &str, remote: &str) -> u64 {
    let mut h = crc32fast::Hasher::new();
    h.update(local.as_bytes());
    let a = h.finalize();
    let mut h = crc32fast::Hasher::new();
    h.update(remote.as_bytes());
    (u64::from(a) << 32) | u64::from(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_priority_formula() {
        // RFC 8445 §6.1.2.3 worked by hand: G = 2130706431, D = 1694498815.
        let g = 2_130_706_431u64;
        let d = 1_694_498_815u64;
        assert_eq!(priority(g, d), (d << 32) + 2 * g + 1);
        assert_eq!(priority(d, g), (d << 32) + 2 * g);
        assert!(priority(g, d) > priority(d, g));
    }
}
