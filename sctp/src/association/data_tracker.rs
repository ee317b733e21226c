//! Received TSNs: the cumulative TSN, gaps above it, duplicates, and when to SACK
//! (RFC 9260 §6.2, §6.7).

use std::collections::BTreeSet;

use crate::chunk::{GapAckBlock, SackChunk};

/// What [`DataTracker::observe`] decided about a TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observed {
    /// New; carries the unwrapped TSN.
    New(u64),
    /// Already received (reported in the next SACK).
    Duplicate,
    /// Too far ahead of the cumulative TSN to track: dropped.
    OutOfWindow,
}

/// RFC 9260 §6.2: report at most this many duplicates per SACK.
const MAX_DUPS: usize = 32;

#[derive(Debug, Clone)]
pub(crate) struct DataTracker {
    cum: u64,
    above: BTreeSet<u64>,
    dups: Vec<u32>,
    max_ahead: u64,
    /// DATA-carrying packets since the last SACK.
    pub(crate) packets_since_sack: u32,
    /// A SACK must go out with the next packet.
    pub(crate) sack_now: bool,
}

fn unwrap_tsn(reference: u64, tsn: u32) -> u64 {
    let delta = tsn.wrapping_sub(reference as u32) as i32;
    reference.wrapping_add_signed(i64::from(delta))
}

impl DataTracker {
    pub(crate) fn new(peer_initial_tsn: u32, max_ahead: u64) -> Self {
        Self {
            cum: (1u64 << 32) + u64::from(peer_initial_tsn) - 1,
            above: BTreeSet::new(),
            dups: Vec::new(),
            max_ahead,
            packets_since_sack: 0,
            sack_now: false,
        }
    }

    pub(crate) fn cum_tsn(&self) -> u32 {
        self.cum as u32
    }

    pub(crate) fn cum_unwrapped(&self) -> u64 {
        self.cum
    }

    pub(crate) fn unwrap(&self, tsn: u32) -> u64 {
        unwrap_tsn(self.cum, tsn)
    }

    pub(crate) fn has_gaps(&self) -> bool {
        !self.above.is_empty()
    }

    /// Whether `tsn` would be new and within the window, without recording it.
    pub(crate) fn is_new(&self, tsn: u32) -> bool {
        let t = self.unwrap(tsn);
        t > self.cum && t <= self.cum + self.max_ahead && !self.above.contains(&t)
    }

    pub(crate) fn observe(&mut self, tsn: u32) -> Observed {
        let t = self.unwrap(tsn);
        if t <= self.cum || self.above.contains(&t) {
            if self.dups.len() < MAX_DUPS {
                self.dups.push(tsn);
            }
            self.sack_now = true;
            return Observed::Duplicate;
        }
        if t > self.cum + self.max_ahead {
            return Observed::OutOfWindow;
        }
        if t == self.cum + 1 {
            self.cum = t;
            while self.above.first() == Some(&(self.cum + 1)) {
                self.above.pop_first();
                self.cum += 1;
            }
        } else {
            self.above.insert(t);
        }
        Observed::New(t)
    }

    /// RFC 3758 §3.6: moves the cumulative TSN to `new_cum`; false when it is not ahead.
    pub(crate) fn forward(&mut self, new_cum: u32) -> bool {
        let t = self.unwrap(new_cum);
        if t <= self.cum {
            return false;
        }
        self.cum = t;
        self.above = self.above.split_off(&(t + 1));
        while self.above.first() == Some(&(self.cum + 1)) {
            self.above.pop_first();
            self.cum += 1;
        }
        true
    }

    /// Builds a SACK with at most `max_blocks` gap blocks, draining the duplicates.
    pub(crate) fn make_sack(&mut self, a_rwnd: u32, max_blocks: usize) -> SackChunk {
        let mut gap_ack_blocks = Vec::new();
        let mut run: Option<(u64, u64)> = None;
        for &t in &self.above {
            match run {
                Some((s, e)) if t == e + 1 => run = Some((s, t)),
                Some((s, e)) => {
                    if gap_ack_blocks.len() == max_blocks {
                        run = None;
                        break;
                    }
                    gap_ack_blocks.push(self.block(s, e));
                    run = Some((t, t));
                }
                None => run = Some((t, t)),
            }
            // Offsets are 16 bits; stop before they overflow.
            if t - self.cum > u64::from(u16::MAX) {
                run = None;
                break;
            }
        }
        if let Some((s, e)) = run {
            if gap_ack_blocks.len() < max_blocks {
                gap_ack_blocks.push(self.block(s, e));
            }
        }
        self.packets_since_sack = 0;
        self.sack_now = false;
        SackChunk {
            cumulative_tsn_ack: self.cum as u32,
            a_rwnd,
            gap_ack_blocks,
            duplicate_tsns: std::mem::take(&mut self.dups),
        }
    }

    fn block(&self, start: u64, end: u64) -> GapAckBlock {
        GapAckBlock {
            start: (start - self.cum) as u16,
            end: (end - self.cum) as u16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_duplicates_and_wrap() {
        let mut t = DataTracker::new(u32::MAX - 1, 1000);
        assert_eq!(
            t.observe(u32::MAX - 1),
            Observed::New((1 << 32) + u64::from(u32::MAX - 1))
        );
        assert!(matches!(t.observe(1), Observed::New(_)));
        assert!(matches!(t.observe(2), Observed::New(_)));
        assert!(matches!(t.observe(4), Observed::New(_)));
        assert_eq!(t.observe(4), Observed::Duplicate);
        assert_eq!(t.observe(u32::MAX - 5), Observed::Duplicate);
        assert_eq!(t.observe(5000), Observed::OutOfWindow);
        let sack = t.make_sack(100, 16);
        assert_eq!(sack.cumulative_tsn_ack, u32::MAX - 1);
        assert_eq!(
            sack.gap_ack_blocks,
            vec![
                GapAckBlock { start: 3, end: 4 },
                GapAckBlock { start: 6, end: 6 }
            ]
        );
        assert_eq!(sack.duplicate_tsns, vec![4, u32::MAX - 5]);
        assert!(matches!(t.observe(u32::MAX), Observed::New(_)));
        assert!(matches!(t.observe(0), Observed::New(_)));
        assert_eq!(t.cum_tsn(), 2);
        assert!(t.forward(10));
        assert_eq!(t.cum_tsn(), 10);
        assert!(!t.has_gaps());
        assert!(!t.forward(3));
    }
}
