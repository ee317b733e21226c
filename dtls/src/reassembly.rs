//! Handshake message reassembly (RFC 6347 §4.2.3): fragments may arrive in any order,
//! duplicated or overlapping; messages are released strictly in message_seq order.
//! Memory is bounded: messages too far ahead, too large, or too many are dropped.

use crate::handshake::Fragment;

/// Largest handshake message we reassemble (a long RSA certificate chain fits).
pub(crate) const MAX_MESSAGE_LEN: usize = 32 * 1024;
/// Messages further ahead of the next expected one are dropped.
const MAX_AHEAD: u16 = 8;
/// Total bytes buffered across incomplete messages.
const MAX_BUFFERED: usize = 64 * 1024;
/// Distinct received ranges tracked per message (more means a pathological peer).
const MAX_RANGES: usize = 64;

/// A complete handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) msg_type: u8,
    pub(crate) seq: u16,
    /// The epoch of the records that carried it.
    pub(crate) epoch: u16,
    pub(crate) body: Vec<u8>,
}

struct Partial {
    msg_type: u8,
    seq: u16,
    epoch: u16,
    body: Vec<u8>,
    /// Sorted, disjoint, non-adjacent received byte ranges.
    ranges: Vec<(usize, usize)>,
}

impl Partial {
    fn complete(&self) -> bool {
        self.ranges.len() == 1 && self.ranges[0] == (0, self.body.len()) || self.body.is_empty()
    }

    fn add(&mut self, start: usize, data: &[u8]) -> bool {
        let end = start + data.len();
        // Merge into the sorted list.
        let mut merged = (start, end);
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        for &(s, e) in &self.ranges {
            if e < merged.0 || s > merged.1 {
                out.push((s, e));
            } else {
                merged = (merged.0.min(s), merged.1.max(e));
            }
        }
        out.push(merged);
        out.sort_unstable();
        if out.len() > MAX_RANGES {
            return false;
        }
        self.body[start..end].copy_from_slice(data);
        self.ranges = out;
        true
    }
}

/// What became of an inserted fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insert {
    /// Part of a message already processed: the peer is retransmitting.
    Old {
        /// The fragment ends its message.
        ends_message: bool,
    },
    /// Stored (or a harmless duplicate).
    Accepted,
    /// Dropped: too far ahead, too large, over the memory budget, or inconsistent.
    Dropped,
}

/// The reassembly buffer of one connection.
pub(crate) struct Reassembler {
    next_seq: u16,
    partials: Vec<Partial>,
    buffered: usize,
}

impl Reassembler {
    pub(crate) fn new() -> Self {
        Self {
            next_seq: 0,
            partials: Vec::new(),
            buffered: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Moves the expected sequence number forward (a stateless server learns it from the
    /// first ClientHello it sees); drops anything older.
    pub(crate) fn skip_to(&mut self, seq: u16) {
        if seq > self.next_seq {
            self.next_seq = seq;
            self.partials.retain(|p| p.seq >= seq);
            self.buffered = self.partials.iter().map(|p| p.body.len()).sum();
        }
    }

    pub(crate) fn insert(&mut self, frag: &Fragment<'_>, epoch: u16) -> Insert {
        if frag.message_seq < self.next_seq {
            return Insert::Old {
                ends_message: frag.offset as usize + frag.body.len() == frag.length as usize,
            };
        }
        if frag.message_seq - self.next_seq >= MAX_AHEAD {
            return Insert::Dropped;
        }
        let length = frag.length as usize;
        if length > MAX_MESSAGE_LEN {
            return Insert::Dropped;
        }
        let idx = match self.partials.iter().position(|p| p.seq == frag.message_seq) {
            Some(i) => i,
            None => {
                if self.buffered + length > MAX_BUFFERED {
                    return Insert::Dropped;
                }
                self.buffered += length;
                self.partials.push(Partial {
                    msg_type: frag.msg_type,
                    seq: frag.message_seq,
                    epoch,
                    body: vec![0; length],
                    ranges: Vec::new(),
                });
                self.partials.len() - 1
            }
        };
        let p = &mut self.partials[idx];
        if p.msg_type != frag.msg_type || p.body.len() != length || p.epoch != epoch {
            return Insert::Dropped;
        }
        if p.complete() {
            return Insert::Accepted;
        }
        if p.add(frag.offset as usize, frag.body) {
            Insert::Accepted
        } else {
            Insert::Dropped
        }
    }

    /// The next message, if it is complete.
    pub(crate) fn pop(&mut self) -> Option<Message> {
        let idx = self
            .partials
            .iter()
            .position(|p| p.seq == self.next_seq && p.complete())?;
        let p = self.partials.swap_remove(idx);
        self.buffered -= p.body.len();
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(Message {
            msg_type: p.msg_type,
            seq: p.seq,
            epoch: p.epoch,
            body: p.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(seq: u16, len: u32, offset: u32, body: &[u8]) -> Fragment<'_> {
        Fragment {
            msg_type: 1,
            length: len,
            message_seq: seq,
            offset,
            body,
        }
    }

    #[test]
    fn out_of_order_overlapping_fragments() {
        let msg: Vec<u8> = (0..100u8).collect();
        let mut r = Reassembler::new();
        assert_eq!(r.insert(&frag(0, 100, 60, &msg[60..]), 0), Insert::Accepted);
        assert!(r.pop().is_none());
        assert_eq!(
            r.insert(&frag(0, 100, 10, &msg[10..70]), 0),
            Insert::Accepted
        );
        assert_eq!(
            r.insert(&frag(0, 100, 10, &msg[10..70]), 0),
            Insert::Accepted
        );
        assert!(r.pop().is_none());
        assert_eq!(r.insert(&frag(0, 100, 0, &msg[..10]), 0), Insert::Accepted);
        let m = r.pop().unwrap();
        assert_eq!(m.body, msg);
        assert_eq!(r.next_seq(), 1);
        assert_eq!(
            r.insert(&frag(0, 100, 0, &msg[..10]), 0),
            Insert::Old {
                ends_message: false
            }
        );
    }

    #[test]
    fn in_seq_order_only() {
        let mut r = Reassembler::new();
        r.insert(&frag(1, 2, 0, &[1, 1]), 0);
        assert!(r.pop().is_none());
        r.insert(&frag(0, 0, 0, &[]), 0);
        assert_eq!(r.pop().unwrap().seq, 0);
        assert_eq!(r.pop().unwrap().seq, 1);
    }

    #[test]
    fn bounds() {
        let mut r = Reassembler::new();
        assert_eq!(r.insert(&frag(MAX_AHEAD, 1, 0, &[0]), 0), Insert::Dropped);
        assert_eq!(
            r.insert(&frag(0, MAX_MESSAGE_LEN as u32 + 1, 0, &[0]), 0),
            Insert::Dropped
        );
        for seq in 0..2 {
            assert_eq!(
                r.insert(&frag(seq, MAX_MESSAGE_LEN as u32, 0, &[0]), 0),
                Insert::Accepted
            );
        }
        assert_eq!(r.insert(&frag(2, 100, 0, &[0]), 0), Insert::Dropped);
        // Inconsistent length for a known message.
        assert_eq!(r.insert(&frag(0, 5, 0, &[0]), 0), Insert::Dropped);
        // Too many holes.
        let mut r = Reassembler::new();
        for i in 0..MAX_RANGES as u32 {
            assert_eq!(r.insert(&frag(0, 1000, i * 2, &[0]), 0), Insert::Accepted);
        }
        assert_eq!(r.insert(&frag(0, 1000, 500, &[0]), 0), Insert::Dropped);
    }
}
