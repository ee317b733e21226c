//! Sent-but-unacknowledged DATA, SACK processing, congestion control (RFC 9260 §6–7),
//! and partial reliability (RFC 3758).
//!
//! TSNs are kept unwrapped as `u64` so comparisons never wrap. The queue is a `VecDeque`
//! whose front is the chunk after the cumulative ack point, so acking, gap-acking and
//! advancing the Advanced.Peer.Ack.Point are index arithmetic, and building FORWARD TSN
//! walks only the newly abandoned chunks (never the whole window).

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::chunk::{DataChunk, SackChunk, SkippedStream};

use super::send_queue::Fragment;

/// One DATA chunk in the retransmission queue.
#[derive(Debug, Clone)]
struct Sent {
    chunk: DataChunk,
    msg_id: u64,
    sent_at: Instant,
    transmissions: u32,
    nacks: u8,
    acked: bool,
    abandoned: bool,
    in_flight: bool,
    fast_retransmitted: bool,
    max_retransmits: Option<u32>,
    expires: Option<Instant>,
}

/// What a SACK changed.
#[derive(Debug, Default)]
pub(crate) struct SackOutcome {
    pub(crate) cum_advanced: bool,
    /// Something new was acknowledged (cumulatively or in a gap block).
    pub(crate) acked_any: bool,
    pub(crate) rtt: Option<Duration>,
}

/// The sender side of the data path.
#[derive(Debug, Clone)]
pub(crate) struct RetransmitQueue {
    sent: VecDeque<Sent>,
    /// Cumulative TSN acked by the peer; `sent[0]` carries `cum_ack + 1`.
    cum_ack: u64,
    next_tsn: u64,
    flight_size: usize,
    outstanding_bytes: usize,
    to_retransmit: BTreeSet<u64>,
    /// RFC 3758 §3.5 Advanced.Peer.Ack.Point.
    adv_peer_ack: u64,
    fwd_skipped: Vec<SkippedStream>,
    pub(crate) fwd_tsn_needed: bool,
    mtu: usize,
    pub(crate) cwnd: usize,
    pub(crate) ssthresh: usize,
    partial_bytes_acked: usize,
    pub(crate) peer_rwnd: usize,
    fast_recovery_exit: Option<u64>,
    /// One packet of fast retransmissions may ignore cwnd (RFC 9260 §7.2.4 step 3).
    fast_rtx_budget: bool,
    /// Messages given up on, for the send queue to drop their unsent rest.
    pub(crate) abandoned_messages: Vec<(u16, u64)>,
    /// Smallest RTT seen, for RACK's reordering window.
    min_rtt: Option<Duration>,
}

fn unwrap_tsn(reference: u64, tsn: u32) -> u64 {
    let delta = tsn.wrapping_sub(reference as u32) as i32;
    reference.wrapping_add_signed(i64::from(delta))
}

impl RetransmitQueue {
    pub(crate) fn new(initial_tsn: u32, peer_rwnd: u32, mtu: usize) -> Self {
        // Keep a high base so the unwrapped TSN of the ack point never underflows.
        let base = (1u64 << 32) + u64::from(initial_tsn);
        Self {
            sent: VecDeque::new(),
            cum_ack: base - 1,
            next_tsn: base,
            flight_size: 0,
            outstanding_bytes: 0,
            to_retransmit: BTreeSet::new(),
            adv_peer_ack: base - 1,
            fwd_skipped: Vec::new(),
            fwd_tsn_needed: false,
            mtu,
            // RFC 9260 §7.2.1: initial cwnd = min(4*MTU, max(2*MTU, 4380)).
            cwnd: (4 * mtu).min((2 * mtu).max(4380)),
            ssthresh: peer_rwnd as usize,
            partial_bytes_acked: 0,
            peer_rwnd: peer_rwnd as usize,
            fast_recovery_exit: None,
            fast_rtx_budget: false,
            abandoned_messages: Vec::new(),
            min_rtt: None,
        }
    }

    pub(crate) fn next_tsn(&self) -> u32 {
        self.next_tsn as u32
    }

    /// Last TSN given to a chunk.
    pub(crate) fn last_assigned_tsn(&self) -> u32 {
        (self.next_tsn - 1) as u32
    }

    pub(crate) fn flight_size(&self) -> usize {
        self.flight_size
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    pub(crate) fn has_retransmissions(&self) -> bool {
        !self.to_retransmit.is_empty()
    }

    /// Whether new data may go out now (RFC 9260 §6.1 rules A and B).
    pub(crate) fn can_send_new(&self, len: usize) -> bool {
        self.to_retransmit.is_empty()
            && self.flight_size < self.cwnd
            && (self.flight_size == 0 || len <= self.peer_rwnd)
    }

    /// Whether a retransmission may go out now.
    pub(crate) fn can_retransmit(&self) -> bool {
        self.fast_rtx_budget || self.flight_size < self.cwnd
    }

    /// Assigns a TSN to a fragment and records it as sent.
    pub(crate) fn send_new(&mut self, f: Fragment, now: Instant) -> &DataChunk {
        let chunk = DataChunk {
            tsn: self.next_tsn as u32,
            stream_id: f.stream_id,
            mid: f.mid,
            fsn: f.fsn,
            ppid: f.ppid,
            unordered: f.unordered,
            beginning: f.beginning,
            ending: f.ending,
            immediate: false,
            payload: f.payload,
        };
        self.next_tsn += 1;
        let len = chunk.payload.len();
        self.flight_size += len;
        self.outstanding_bytes += len;
        self.peer_rwnd = self.peer_rwnd.saturating_sub(len);
        self.sent.push_back(Sent {
            chunk,
            msg_id: f.msg_id,
            sent_at: now,
            transmissions: 1,
            nacks: 0,
            acked: false,
            abandoned: false,
            in_flight: true,
            fast_retransmitted: false,
            max_retransmits: f.max_retransmits,
            expires: f.expires,
        });
        // Just pushed.
        &self.sent.back().expect("non-empty after push").chunk
    }

    /// Size of the next chunk waiting for retransmission.
    pub(crate) fn peek_retransmit_len(&self) -> Option<usize> {
        let tsn = *self.to_retransmit.first()?;
        let idx = (tsn - self.cum_ack - 1) as usize;
        self.sent.get(idx).map(|s| s.chunk.payload.len())
    }

    /// Takes the next chunk to retransmit.
    pub(crate) fn next_retransmit(&mut self, now: Instant) -> Option<&DataChunk> {
        let tsn = self.to_retransmit.pop_first()?;
        let idx = (tsn - self.cum_ack - 1) as usize;
        let s = self.sent.get_mut(idx)?;
        s.transmissions += 1;
        s.sent_at = now;
        s.nacks = 0;
        if !s.in_flight {
            s.in_flight = true;
            self.flight_size += s.chunk.payload.len();
        }
        Some(&s.chunk)
    }

    /// Ends the packet that used the fast-retransmit cwnd exception.
    pub(crate) fn end_packet(&mut self) {
        self.fast_rtx_budget = false;
    }

    /// Processes a SACK (RFC 9260 §6.2.1, §7.2).
    pub(crate) fn handle_sack(&mut self, sack: &SackChunk, now: Instant) -> SackOutcome {
        let mut outcome = SackOutcome::default();
        let cum = unwrap_tsn(self.cum_ack, sack.cumulative_tsn_ack);
        // §6.2.1 D: a SACK older than the ack point is stale; one acking unsent TSNs is bogus.
        if cum < self.cum_ack || cum >= self.next_tsn {
            return outcome;
        }
        let flight_before = self.flight_size;
        let mut bytes_acked = 0usize;
        let mut rtt_from: Option<Instant> = None;
        let mut rack_time: Option<Instant> = None;
        let min_rtt = self.min_rtt;
        let rack_usable = |s: &Sent| {
            s.transmissions == 1
                || min_rtt.is_some_and(|m| now.saturating_duration_since(s.sent_at) >= m)
        };
        while self.cum_ack < cum {
            let Some(s) = self.sent.pop_front() else {
                break;
            };
            self.cum_ack += 1;
            self.remove_accounting(&s);
            if !s.acked && !s.abandoned {
                bytes_acked += s.chunk.payload.len();
                if s.transmissions == 1 {
                    rtt_from = Some(s.sent_at);
                }
                if rack_usable(&s) {
                    rack_time = rack_time.max(Some(s.sent_at));
                }
            }
            self.to_retransmit.remove(&self.cum_ack);
            outcome.cum_advanced = true;
        }
        if self.adv_peer_ack < self.cum_ack {
            self.adv_peer_ack = self.cum_ack;
            self.fwd_skipped.clear();
        }

        // Gap Ack Blocks, in increasing non-overlapping order only, so the work is bounded
        // by the queue length whatever the peer sends.
        let mut highest_newly_acked: Option<u64> = None;
        let mut last_end = 0u64;
        for block in &sack.gap_ack_blocks {
            let start = u64::from(block.start);
            let end = u64::from(block.end);
            if start == 0 || end < start || start <= last_end {
                continue;
            }
            last_end = end;
            let first = (start - 1) as usize;
            let last = ((end - 1) as usize).min(self.sent.len().saturating_sub(1));
            if first >= self.sent.len() {
                break;
            }
            for idx in first..=last {
                let s = &mut self.sent[idx];
                if s.acked {
                    continue;
                }
                s.acked = true;
                let len = s.chunk.payload.len();
                if s.in_flight {
                    s.in_flight = false;
                    self.flight_size -= len;
                }
                if !s.abandoned {
                    self.outstanding_bytes -= len;
                    bytes_acked += len;
                    if s.transmissions == 1 {
                        rtt_from = Some(s.sent_at);
                    }
                    if rack_usable(s) {
                        rack_time = rack_time.max(Some(s.sent_at));
                    }
                }
                let tsn = self.cum_ack + 1 + idx as u64;
                self.to_retransmit.remove(&tsn);
                highest_newly_acked = Some(tsn);
            }
        }
        outcome.rtt = rtt_from.map(|t| now.saturating_duration_since(t));
        outcome.acked_any = outcome.cum_advanced || highest_newly_acked.is_some();
        if let Some(rtt) = outcome.rtt {
            self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        }

        if let Some(exit) = self.fast_recovery_exit {
            if self.cum_ack >= exit {
                self.fast_recovery_exit = None;
            }
        }

        // §7.2.4: miss indications for TSNs below the highest newly acked TSN (HTNA).
        if let Some(htna) = highest_newly_acked {
            let limit = (htna - self.cum_ack - 1) as usize;
            let mut newly_lost = false;
            // RACK (RFC 8985 §6.2), adapted: a chunk is also lost when one sent more than
            // a reordering window after it has been delivered. Unlike the three-miss rule
            // this needs a single SACK, catches losses at the tail of a burst, and finds
            // lost retransmissions (their send time moves forward), which otherwise only
            // T3-rtx recovers.
            let reo_wnd = self.min_rtt.map_or(Duration::ZERO, |m| m / 4);
            for idx in 0..limit.min(self.sent.len()) {
                let s = &mut self.sent[idx];
                if s.acked || s.abandoned || !s.in_flight {
                    continue;
                }
                let rack_lost = rack_time.is_some_and(|t| s.sent_at + reo_wnd < t);
                if !s.fast_retransmitted {
                    s.nacks = s.nacks.saturating_add(1);
                }
                if rack_lost || (!s.fast_retransmitted && s.nacks >= 3) {
                    s.fast_retransmitted = true;
                    newly_lost = true;
                    let tsn = self.cum_ack + 1 + idx as u64;
                    self.mark_for_retransmit(tsn, now);
                }
            }
            if newly_lost {
                if self.fast_recovery_exit.is_none() {
                    // §7.2.3 / §7.2.4 step 2.
                    self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
                    self.cwnd = self.ssthresh;
                    self.partial_bytes_acked = 0;
                    self.fast_recovery_exit = Some(self.next_tsn - 1);
                }
                self.fast_rtx_budget = true;
            }
        }

        // §7.2.1 / §7.2.2: grow cwnd when the cumulative ack advanced and cwnd was used.
        if outcome.cum_advanced && self.fast_recovery_exit.is_none() {
            if self.cwnd <= self.ssthresh {
                if flight_before >= self.cwnd {
                    self.cwnd += bytes_acked.min(self.mtu);
                }
            } else {
                self.partial_bytes_acked += bytes_acked;
                if self.partial_bytes_acked >= self.cwnd && flight_before >= self.cwnd {
                    self.partial_bytes_acked -= self.cwnd;
                    self.cwnd += self.mtu;
                }
            }
        }
        if self.flight_size == 0 {
            self.partial_bytes_acked = 0;
        }
        // §6.2.1: rwnd = a_rwnd - bytes still outstanding.
        self.peer_rwnd = (sack.a_rwnd as usize).saturating_sub(self.outstanding_bytes);
        self.advance_peer_ack_point();
        outcome
    }

    fn remove_accounting(&mut self, s: &Sent) {
        let len = s.chunk.payload.len();
        if s.in_flight {
            self.flight_size -= len;
        }
        if !s.acked && !s.abandoned {
            self.outstanding_bytes -= len;
        }
    }

    fn mark_for_retransmit(&mut self, tsn: u64, now: Instant) {
        let idx = (tsn - self.cum_ack - 1) as usize;
        let Some(s) = self.sent.get_mut(idx) else {
            return;
        };
        if s.in_flight {
            s.in_flight = false;
            self.flight_size -= s.chunk.payload.len();
        }
        let give_up = s.max_retransmits.is_some_and(|max| s.transmissions > max)
            || s.expires.is_some_and(|at| at <= now);
        if give_up {
            let msg_id = s.msg_id;
            let stream = s.chunk.stream_id;
            self.abandon_message(stream, msg_id);
        } else {
            self.to_retransmit.insert(tsn);
        }
    }

    /// RFC 3758 §3.5 A3/C: gives up on every chunk of a message.
    fn abandon_message(&mut self, stream_id: u16, msg_id: u64) {
        let mut saw_end = false;
        for (idx, s) in self.sent.iter_mut().enumerate() {
            if s.msg_id != msg_id {
                continue;
            }
            saw_end |= s.chunk.ending;
            if s.abandoned {
                continue;
            }
            s.abandoned = true;
            let len = s.chunk.payload.len();
            if s.in_flight {
                s.in_flight = false;
                self.flight_size -= len;
            }
            if !s.acked {
                self.outstanding_bytes -= len;
            }
            let tsn = self.cum_ack + 1 + idx as u64;
            self.to_retransmit.remove(&tsn);
        }
        if !saw_end {
            self.abandoned_messages.push((stream_id, msg_id));
        }
    }

    /// Moves the Advanced.Peer.Ack.Point over abandoned chunks, collecting the streams to
    /// report, and flags a FORWARD TSN when it passed the cumulative ack point.
    fn advance_peer_ack_point(&mut self) {
        loop {
            let idx = (self.adv_peer_ack - self.cum_ack) as usize;
            let Some(s) = self.sent.get(idx) else {
                break;
            };
            if !s.abandoned {
                break;
            }
            self.adv_peer_ack += 1;
            let skipped = SkippedStream {
                stream_id: s.chunk.stream_id,
                unordered: s.chunk.unordered,
                mid: s.chunk.mid,
            };
            if let Some(entry) = self
                .fwd_skipped
                .iter_mut()
                .find(|e| e.stream_id == skipped.stream_id && e.unordered == skipped.unordered)
            {
                entry.mid = skipped.mid;
            } else {
                self.fwd_skipped.push(skipped);
            }
        }
        if self.adv_peer_ack > self.cum_ack {
            self.fwd_tsn_needed = true;
        }
    }

    /// The FORWARD TSN to send, if the peer must skip abandoned data. With plain FORWARD
    /// TSN only ordered streams are listed (RFC 3758 §3.2).
    pub(crate) fn forward_tsn(&self, idata: bool) -> Option<(u32, Vec<SkippedStream>)> {
        if self.adv_peer_ack <= self.cum_ack {
            return None;
        }
        let skipped = self
            .fwd_skipped
            .iter()
            .filter(|s| idata || !s.unordered)
            .copied()
            .collect();
        Some((self.adv_peer_ack as u32, skipped))
    }

    /// Tail loss probe (RFC 8985 §7.3): resend the newest unacknowledged chunk, past cwnd,
    /// so its SACK reveals what else was lost. cwnd is left alone.
    pub(crate) fn probe(&mut self, now: Instant) {
        let Some(idx) = self.sent.iter().rposition(|s| !s.acked && !s.abandoned) else {
            return;
        };
        let tsn = self.cum_ack + 1 + idx as u64;
        self.mark_for_retransmit(tsn, now);
        self.fast_rtx_budget = true;
        self.advance_peer_ack_point();
    }

    /// T3-rtx expiry (RFC 9260 §6.3.3): collapse cwnd and mark everything in flight.
    pub(crate) fn handle_t3_expiry(&mut self, now: Instant) {
        self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
        self.cwnd = self.mtu;
        self.partial_bytes_acked = 0;
        self.fast_recovery_exit = None;
        let base = self.cum_ack + 1;
        for idx in 0..self.sent.len() {
            let s = &self.sent[idx];
            if !s.acked && !s.abandoned {
                self.mark_for_retransmit(base + idx as u64, now);
            }
        }
        self.advance_peer_ack_point();
    }

    /// Whether any chunk is in flight (T3 must run).
    pub(crate) fn has_in_flight(&self) -> bool {
        self.flight_size > 0
    }

    /// Whether all sent data is acknowledged (or abandoned and forwarded).
    pub(crate) fn all_acked(&self) -> bool {
        self.sent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::GapAckBlock;
    use bytes::Bytes;

    fn frag(msg_id: u64, max_retransmits: Option<u32>) -> Fragment {
        Fragment {
            msg_id,
            stream_id: 1,
            mid: msg_id as u32,
            fsn: 0,
            ppid: 53,
            unordered: false,
            beginning: true,
            ending: true,
            payload: Bytes::from_static(&[0; 100]),
            max_retransmits,
            expires: None,
        }
    }

    fn sack(cum: u32, gaps: &[(u16, u16)]) -> SackChunk {
        SackChunk {
            cumulative_tsn_ack: cum,
            a_rwnd: 1 << 20,
            gap_ack_blocks: gaps
                .iter()
                .map(|&(start, end)| GapAckBlock { start, end })
                .collect(),
            duplicate_tsns: vec![],
        }
    }

    #[test]
    fn cumulative_ack_and_fast_retransmit() {
        let now = Instant::now();
        let mut q = RetransmitQueue::new(u32::MAX - 1, 1 << 20, 1200);
        for i in 0..6 {
            q.send_new(frag(i, None), now);
        }
        assert_eq!(q.flight_size(), 600);
        // TSNs u32::MAX-1, u32::MAX, 0, 1, 2, 3: the first is acked (across the wrap).
        let out = q.handle_sack(&sack(u32::MAX - 1, &[]), now);
        assert!(out.cum_advanced);
        assert_eq!(q.flight_size(), 500);
        // TSN u32::MAX is lost; three SACKs with growing gaps trigger fast retransmit.
        for end in 1..=3u16 {
            q.handle_sack(&sack(u32::MAX - 1, &[(2, 1 + end)]), now);
        }
        assert!(q.has_retransmissions());
        assert!(q.can_retransmit());
        let rtx = q.next_retransmit(now).unwrap();
        assert_eq!(rtx.tsn, u32::MAX);
        q.handle_sack(&sack(3, &[]), now);
        assert!(q.all_acked());
        assert_eq!(q.flight_size(), 0);
    }

    #[test]
    fn bogus_sacks_are_ignored() {
        let now = Instant::now();
        let mut q = RetransmitQueue::new(10, 1 << 20, 1200);
        q.send_new(frag(0, None), now);
        assert!(!q.handle_sack(&sack(50, &[]), now).cum_advanced);
        assert!(!q.handle_sack(&sack(5, &[]), now).cum_advanced);
        q.handle_sack(&sack(9, &[(1, 60000), (1, 2), (3, 2)]), now);
        assert!(!q.all_acked());
    }

    #[test]
    fn abandoned_chunks_produce_forward_tsn() {
        let now = Instant::now();
        let mut q = RetransmitQueue::new(100, 1 << 20, 1200);
        q.send_new(frag(0, Some(0)), now);
        q.send_new(frag(1, None), now);
        q.handle_t3_expiry(now);
        let (new_cum, skipped) = q.forward_tsn(false).unwrap();
        assert_eq!(new_cum, 100);
        assert_eq!(skipped.len(), 1);
        assert_eq!(q.next_retransmit(now).unwrap().tsn, 101);
        q.handle_sack(&sack(101, &[]), now);
        assert!(q.forward_tsn(false).is_none());
        assert!(q.all_acked());
    }
}
