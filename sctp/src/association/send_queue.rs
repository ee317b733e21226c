//! Outgoing messages waiting to be fragmented: per-stream FIFOs scheduled round-robin.
//!
//! Without I-DATA a message's fragments must carry consecutive TSNs, so the scheduler
//! stays on one message until its last fragment is out; with I-DATA it rotates streams
//! after every fragment so one large message does not hold back small ones (RFC 8260 §1).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::stream_map::StreamMap;

/// A message queued by the user.
#[derive(Debug, Clone)]
pub(crate) struct OutMessage {
    pub(crate) msg_id: u64,
    pub(crate) ppid: u32,
    pub(crate) unordered: bool,
    pub(crate) payload: Bytes,
    pub(crate) max_retransmits: Option<u32>,
    pub(crate) expires: Option<Instant>,
    offset: usize,
    mid: Option<u32>,
    next_fsn: u32,
}

impl OutMessage {
    pub(crate) fn new(
        msg_id: u64,
        ppid: u32,
        unordered: bool,
        payload: Bytes,
        max_retransmits: Option<u32>,
        expires: Option<Instant>,
    ) -> Self {
        Self {
            msg_id,
            ppid,
            unordered,
            payload,
            max_retransmits,
            expires,
            offset: 0,
            mid: None,
            next_fsn: 0,
        }
    }
}

/// One fragment ready for a TSN.
#[derive(Debug, Clone)]
pub(crate) struct Fragment {
    pub(crate) msg_id: u64,
    pub(crate) stream_id: u16,
    pub(crate) mid: u32,
    pub(crate) fsn: u32,
    pub(crate) ppid: u32,
    pub(crate) unordered: bool,
    pub(crate) beginning: bool,
    pub(crate) ending: bool,
    pub(crate) payload: Bytes,
    pub(crate) max_retransmits: Option<u32>,
    pub(crate) expires: Option<Instant>,
}

#[derive(Debug, Clone, Default)]
struct OutStream {
    queue: VecDeque<OutMessage>,
    next_ordered: u32,
    next_unordered: u32,
    /// Bytes not yet handed to a fragment (the channel's bufferedAmount).
    buffered: usize,
    low_threshold: usize,
    scheduled: bool,
}

/// Every outgoing stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct SendQueue {
    streams: StreamMap<OutStream>,
    active: VecDeque<u16>,
    current: Option<u16>,
    total: usize,
    /// Streams whose buffered amount fell to or below their low threshold.
    pub(crate) crossed_low: Vec<u16>,
}

impl SendQueue {
    pub(crate) fn push(&mut self, stream_id: u16, msg: OutMessage) {
        let s = self.streams.get_or_insert_default(stream_id);
        s.buffered += msg.payload.len();
        self.total += msg.payload.len();
        s.queue.push_back(msg);
        if !s.scheduled {
            s.scheduled = true;
            self.active.push_back(stream_id);
        }
    }

    pub(crate) fn total_buffered(&self) -> usize {
        self.total
    }

    pub(crate) fn buffered(&self, stream_id: u16) -> usize {
        self.streams.get(stream_id).map_or(0, |s| s.buffered)
    }

    pub(crate) fn set_low_threshold(&mut self, stream_id: u16, threshold: usize) {
        self.streams.get_or_insert_default(stream_id).low_threshold = threshold;
    }

    /// Whether the stream has nothing left to fragment.
    pub(crate) fn is_drained(&self, stream_id: u16) -> bool {
        self.streams
            .get(stream_id)
            .is_none_or(|s| s.queue.is_empty())
    }

    pub(crate) fn has_data(&self) -> bool {
        !self.active.is_empty()
    }

    /// Resets the stream's sequence numbers (RFC 6525 §5.2.2) and forgets its state.
    pub(crate) fn reset_stream(&mut self, stream_id: u16) {
        if let Some(s) = self.streams.get_mut(stream_id) {
            s.next_ordered = 0;
            s.next_unordered = 0;
            if s.queue.is_empty() && !s.scheduled {
                self.streams.remove(stream_id);
            }
        }
    }

    fn account_sent(&mut self, stream_id: u16, len: usize) {
        self.total -= len;
        if let Some(s) = self.streams.get_mut(stream_id) {
            let before = s.buffered;
            s.buffered -= len;
            if before > s.low_threshold && s.buffered <= s.low_threshold {
                self.crossed_low.push(stream_id);
            }
        }
    }

    /// Drops the unsent rest of an abandoned message (RFC 3758 §3.5).
    pub(crate) fn discard(&mut self, stream_id: u16, msg_id: u64) {
        let Some(s) = self.streams.get_mut(stream_id) else {
            return;
        };
        let Some(pos) = s.queue.iter().position(|m| m.msg_id == msg_id) else {
            return;
        };
        let msg = s.queue.remove(pos).expect("position is in range");
        let rest = msg.payload.len() - msg.offset;
        if self.current == Some(stream_id) {
            self.current = None;
        }
        self.account_sent(stream_id, rest);
    }

    /// Cuts the next fragment of at most `max_payload` bytes. Messages whose lifetime
    /// ran out before their first byte was sent are dropped here.
    pub(crate) fn next_fragment(
        &mut self,
        now: Instant,
        max_payload: usize,
        interleave: bool,
    ) -> Option<Fragment> {
        if max_payload == 0 {
            return None;
        }
        loop {
            let stream_id = match self.current {
                Some(id) if !interleave => id,
                _ => *self.active.front()?,
            };
            let Some(stream) = self.streams.get_mut(stream_id) else {
                self.unschedule_front(stream_id);
                continue;
            };
            let Some(msg) = stream.queue.front_mut() else {
                stream.scheduled = false;
                self.unschedule_front(stream_id);
                continue;
            };
            if msg.mid.is_none() && msg.expires.is_some_and(|e| e <= now) {
                let len = msg.payload.len();
                stream.queue.pop_front();
                self.account_sent(stream_id, len);
                self.after_message(stream_id, interleave, true);
                continue;
            }
            let remaining = msg.payload.len() - msg.offset;
            // Don't start a message in a sliver of a packet.
            if msg.offset == 0 && remaining > max_payload && max_payload < 256 {
                return None;
            }
            let take = remaining.min(max_payload);
            let mid = match msg.mid {
                Some(mid) => mid,
                None => {
                    let counter = if msg.unordered {
                        &mut stream.next_unordered
                    } else {
                        &mut stream.next_ordered
                    };
                    let mid = *counter;
                    *counter = counter.wrapping_add(1);
                    msg.mid = Some(mid);
                    mid
                }
            };
            let fragment = Fragment {
                msg_id: msg.msg_id,
                stream_id,
                mid,
                fsn: msg.next_fsn,
                ppid: msg.ppid,
                unordered: msg.unordered,
                beginning: msg.offset == 0,
                ending: take == remaining,
                payload: msg.payload.slice(msg.offset..msg.offset + take),
                max_retransmits: msg.max_retransmits,
                expires: msg.expires,
            };
            msg.offset += take;
            msg.next_fsn = msg.next_fsn.wrapping_add(1);
            let finished = fragment.ending;
            if finished {
                stream.queue.pop_front();
            }
            self.account_sent(stream_id, take);
            if finished {
                self.after_message(stream_id, interleave, false);
            } else if interleave {
                self.rotate(stream_id);
            } else {
                self.current = Some(stream_id);
            }
            return Some(fragment);
        }
    }

    fn unschedule_front(&mut self, stream_id: u16) {
        if self.active.front() == Some(&stream_id) {
            self.active.pop_front();
        } else if let Some(pos) = self.active.iter().position(|s| *s == stream_id) {
            self.active.remove(pos);
        }
        if self.current == Some(stream_id) {
            self.current = None;
        }
    }

    fn rotate(&mut self, stream_id: u16) {
        if self.active.front() == Some(&stream_id) {
            self.active.pop_front();
            self.active.push_back(stream_id);
        }
    }

    fn after_message(&mut self, stream_id: u16, interleave: bool, _dropped: bool) {
        if self.current == Some(stream_id) {
            self.current = None;
        }
        let empty = self
            .streams
            .get(stream_id)
            .is_none_or(|s| s.queue.is_empty());
        if empty {
            if let Some(s) = self.streams.get_mut(stream_id) {
                s.scheduled = false;
            }
            self.unschedule_front(stream_id);
        } else if interleave || self.active.front() == Some(&stream_id) {
            self.rotate(stream_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, len: usize) -> OutMessage {
        OutMessage::new(id, 53, false, Bytes::from(vec![id as u8; len]), None, None)
    }

    #[test]
    fn fragments_stay_together_without_interleaving() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        q.push(1, msg(1, 2500));
        q.push(2, msg(2, 10));
        let f: Vec<_> = std::iter::from_fn(|| q.next_fragment(now, 1000, false)).collect();
        let streams: Vec<_> = f.iter().map(|f| f.stream_id).collect();
        assert_eq!(streams, vec![1, 1, 1, 2]);
        assert!(f[0].beginning && !f[0].ending && f[2].ending && f[3].beginning && f[3].ending);
        assert_eq!(q.total_buffered(), 0);
    }

    #[test]
    fn interleaving_rotates_streams() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        q.push(1, msg(1, 2500));
        q.push(2, msg(2, 10));
        let f: Vec<_> = std::iter::from_fn(|| q.next_fragment(now, 1000, true)).collect();
        let streams: Vec<_> = f.iter().map(|f| (f.stream_id, f.fsn)).collect();
        assert_eq!(streams, vec![(1, 0), (2, 0), (1, 1), (1, 2)]);
    }

    #[test]
    fn expired_unsent_messages_are_dropped_and_low_threshold_fires() {
        let now = Instant::now();
        let mut q = SendQueue::default();
        q.set_low_threshold(1, 5);
        let mut m = msg(1, 100);
        m.expires = Some(now);
        q.push(1, m);
        q.push(1, msg(2, 3));
        let f = q.next_fragment(now, 1000, false).unwrap();
        assert_eq!(f.msg_id, 2);
        assert_eq!(f.mid, 0, "the dropped message never took a sequence number");
        assert_eq!(q.crossed_low, vec![1]);
    }
}
