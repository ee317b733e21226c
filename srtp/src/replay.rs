//! Replay protection (RFC 3711 §3.3.2) and packet index estimation (RFC 3711 §3.3.1).

/// Why the replay window refuses an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The index was already accepted.
    Replayed,
    /// The index is older than the window reaches.
    TooOld,
}

/// A sliding replay window over packet indices of one stream.
///
/// The bitmap is a ring of `u64` words indexed by `index mod capacity`, where the capacity
/// is the window size rounded up to a power of two of 64-bit words. Moving the window
/// forward clears only the bits of the indices it skips, so a packet costs O(1) whatever
/// the window size (a jump of `d` indices clears `min(d, capacity) / 64` words).
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    bits: Box<[u64]>,
    /// `capacity - 1`, capacity being a power of two in bits.
    mask: u64,
    /// Indices `top - size + 1 ..= top` are inside the window.
    size: u64,
    /// Highest index accepted so far.
    top: u64,
}

impl ReplayWindow {
    /// A window of `size` indices (>= 1) whose first accepted index is `first`.
    pub(crate) fn new(size: u32, first: u64) -> Self {
        let words = usize::try_from(size.div_ceil(64))
            .unwrap_or(1)
            .max(1)
            .next_power_of_two();
        let mut window = Self {
            bits: vec![0u64; words].into_boxed_slice(),
            mask: (words as u64 * 64) - 1,
            size: u64::from(size.max(1)),
            top: first,
        };
        window.set(first);
        window
    }

    /// A window continuing a stream another window tracked up to `top`: every index up to
    /// `top` counts as received, since which of them were is not known here.
    pub(crate) fn continuing(size: u32, top: u64) -> Self {
        let mut window = Self::new(size, top);
        window.bits.fill(u64::MAX);
        window
    }

    /// Highest index accepted so far.
    pub(crate) fn top(&self) -> u64 {
        self.top
    }

    /// Whether `index` may be accepted; does not change the window.
    pub(crate) fn check(&self, index: u64) -> Result<(), Refusal> {
        if index > self.top {
            return Ok(());
        }
        if self.top - index >= self.size {
            return Err(Refusal::TooOld);
        }
        if self.is_set(index) {
            Err(Refusal::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records `index` as received; call only after [`check`](Self::check) passed and the
    /// packet authenticated.
    pub(crate) fn accept(&mut self, index: u64) {
        if index > self.top {
            let skipped = index - self.top;
            if skipped > self.mask {
                self.bits.fill(0);
            } else {
                self.clear_range(self.top + 1, skipped);
            }
            self.top = index;
        }
        self.set(index);
    }

    /// Clears the bits of `count` (<= capacity) consecutive indices from `start`.
    fn clear_range(&mut self, start: u64, mut count: u64) {
        let mut position = start & self.mask;
        while count > 0 {
            let bit = position & 63;
            let n = count.min(64 - bit);
            let run = if n == 64 {
                u64::MAX
            } else {
                ((1u64 << n) - 1) << bit
            };
            self.bits[(position >> 6) as usize] &= !run;
            count -= n;
            position = (position + n) & self.mask;
        }
    }

    fn set(&mut self, index: u64) {
        let position = index & self.mask;
        self.bits[(position >> 6) as usize] |= 1 << (position & 63);
    }

    fn is_set(&self, index: u64) -> bool {
        let position = index & self.mask;
        self.bits[(position >> 6) as usize] & (1 << (position & 63)) != 0
    }
}

/// RFC 3711 §3.3.1: the packet index `i = 2^16 · v + SEQ` of a packet with sequence number
/// `seq`, where `v` is the rollover counter guess (ROC - 1, ROC or ROC + 1) that puts `i`
/// nearest the highest index seen, `highest` (= `2^16 · ROC + s_l`).
///
/// Returns `None` when the nearest guess would be before index 0 (ROC = 0 and `seq` far
/// ahead of `s_l`: a packet from before the stream began), which the caller drops as too old,
/// as libsrtp does.
pub(crate) fn estimate_index(highest: u64, seq: u16) -> Option<u64> {
    let roc = highest >> 16;
    let s_l = highest as u16;
    let seq_wide = u64::from(seq);
    let v = if s_l < 0x8000 {
        if seq > s_l && seq - s_l > 0x8000 {
            roc.checked_sub(1)?
        } else {
            roc
        }
    } else if s_l - 0x8000 > seq {
        roc + 1
    } else {
        roc
    };
    Some((v << 16) | seq_wide)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_and_reordered_inside_the_window_are_accepted_once() {
        let mut w = ReplayWindow::new(64, 100);
        assert_eq!(w.check(100), Err(Refusal::Replayed));
        for i in [101, 105, 103, 102, 104] {
            assert_eq!(w.check(i), Ok(()));
            w.accept(i);
            assert_eq!(w.check(i), Err(Refusal::Replayed));
        }
        assert_eq!(w.top(), 105);
    }

    #[test]
    fn window_edges() {
        for size in [1u32, 63, 64, 65, 128, 1000, 1024, 4096, 32768] {
            let top = 100_000u64;
            let mut w = ReplayWindow::new(size, top);
            let size = u64::from(size);
            // The oldest index still inside the window is accepted once...
            let oldest = top - (size - 1);
            if size > 1 {
                assert_eq!(w.check(oldest), Ok(()), "size {size}");
                w.accept(oldest);
            }
            assert_eq!(w.check(oldest), Err(Refusal::Replayed), "size {size}");
            // ...and the one just past it is too old.
            assert_eq!(w.check(top - size), Err(Refusal::TooOld), "size {size}");
            // Advancing by one moves both edges.
            w.accept(top + 1);
            assert_eq!(w.check(oldest), Err(Refusal::TooOld), "size {size}");
            if size > 1 {
                assert_eq!(w.check(oldest + 1), Ok(()), "size {size}");
            }
        }
    }

    #[test]
    fn bits_of_skipped_indices_are_cleared() {
        // A stale bit from one lap of the ring ago must not look like a replay.
        let mut w = ReplayWindow::new(128, 0);
        for i in 1..=128 {
            w.accept(i);
        }
        // Jump by less than the capacity: the skipped indices reuse set positions.
        w.accept(128 + 100);
        for i in 129..228 {
            assert_eq!(w.check(i), Ok(()), "{i}");
        }
        // A jump larger than the capacity clears everything.
        w.accept(10_000);
        for i in 10_000 - 127..10_000 {
            assert_eq!(w.check(i), Ok(()), "{i}");
        }
        assert_eq!(w.check(10_000 - 128), Err(Refusal::TooOld));
    }

    #[test]
    fn a_window_matches_a_naive_model() {
        // Deterministic pseudo-random walk compared against a set-based model.
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for size in [64u32, 100, 1024] {
            let mut w = ReplayWindow::new(size, 5000);
            let mut seen = std::collections::BTreeSet::from([5000u64]);
            let mut top = 5000u64;
            for _ in 0..20_000 {
                let r = next();
                let index = (top + (r % 300)).saturating_sub(1200 + (r >> 32) % 100);
                let index = if r & 1 == 0 {
                    top + (r >> 40) % 70
                } else {
                    index
                };
                let model = if index > top {
                    Ok(())
                } else if top - index >= u64::from(size) {
                    Err(Refusal::TooOld)
                } else if seen.contains(&index) {
                    Err(Refusal::Replayed)
                } else {
                    Ok(())
                };
                assert_eq!(w.check(index), model, "size {size} index {index} top {top}");
                if model.is_ok() {
                    w.accept(index);
                    seen.insert(index);
                    top = top.max(index);
                }
            }
        }
    }

    #[test]
    fn index_estimation_follows_rfc3711_3_3_1() {
        // Same ROC.
        assert_eq!(estimate_index(1000, 1001), Some(1001));
        assert_eq!(estimate_index(1000, 999), Some(999));
        // Wrap forward: s_l high, seq low -> ROC + 1.
        assert_eq!(estimate_index(0xfffe, 1), Some(0x1_0001));
        // Late packet from before the wrap: s_l low, seq high -> ROC - 1.
        assert_eq!(estimate_index(0x1_0002, 0xfffd), Some(0xfffd));
        // ROC - 1 below zero cannot exist.
        assert_eq!(estimate_index(5, 0xfff0), None);
        // Boundaries of the half-range comparisons.
        assert_eq!(estimate_index(0, 0x8000), Some(0x8000));
        assert_eq!(estimate_index(0x1_0000, 0x8001), Some(0x8001));
        assert_eq!(estimate_index(0x8000, 0), Some(0));
        assert_eq!(estimate_index(0x8001, 0), Some(0x1_0000));
    }
}
