//! Sample builder / jitter buffer: reorders RTP packets, finds frame boundaries with a
//! [`Depayloader`], and emits whole frames.
//!
//! Memory is bounded two ways: at most `max_packets` packets are held (the window of
//! sequence numbers from the oldest unconsumed one), and, when `max_latency` is set, a
//! frame whose timestamp is that far behind the newest packet is given up. Frames given
//! up are counted, the next emitted sample says there was a gap before it, and
//! [`SampleBuilder::needs_keyframe`] stays set until a keyframe comes out: the caller
//! sends PLI/FIR while it is.

use bytes::Bytes;

use crate::codecs::Depayloader;
use crate::error::RtpError;
use crate::packet::RtpPacket;
use crate::seq::SeqUnwrapper;

/// Bounds of a [`SampleBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleBuilderConfig {
    /// Most packets held at once (also the widest reordering window in sequence numbers).
    pub max_packets: usize,
    /// Give up on frames this many RTP timestamp units older than the newest packet
    /// (0 = only `max_packets` bounds the wait).
    pub max_latency: u32,
}

impl Default for SampleBuilderConfig {
    fn default() -> Self {
        Self {
            max_packets: 512,
            max_latency: 0,
        }
    }
}

/// One reassembled frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The depayloaded frame.
    pub data: Vec<u8>,
    /// RTP timestamp of the frame.
    pub timestamp: u32,
    /// Sequence number of its first packet.
    pub first_seq: u16,
    /// Sequence number of its last packet.
    pub last_seq: u16,
    /// Number of packets it was built from.
    pub packets: usize,
    /// The depayloader says the frame is a keyframe.
    pub keyframe: bool,
    /// Packets or frames before this one were lost or dropped.
    pub gap_before: bool,
}

/// The packet before the cursor: consumed or dropped (timestamp known), or never seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    Unknown,
    Known { timestamp: u32, ended: bool },
}

#[derive(Debug, Clone)]
struct Slot {
    seq: u64,
    timestamp: u32,
    marker: bool,
    payload: Bytes,
}

/// Counters of what the builder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleBuilderStats {
    /// Frames emitted.
    pub frames: u64,
    /// Frames (distinct timestamps) given up because of loss or the bounds.
    pub dropped_frames: u64,
    /// Packets dropped with them.
    pub dropped_packets: u64,
    /// Packets ignored as duplicates or arriving after their frame was emitted or dropped.
    pub late_packets: u64,
}

/// Reorders packets and assembles frames. See the module docs.
///
/// ```
/// use bytes::Bytes;
/// use oxrtc_rtp::codecs::{Payloader, Vp8Depayloader, Vp8Payloader};
/// use oxrtc_rtp::{SampleBuilder, SampleBuilderConfig};
///
/// let frame = vec![0u8; 3000];
/// let payloads = Vp8Payloader::default().packetize_to_vec(1000, &frame).unwrap();
/// let mut sb = SampleBuilder::new(Vp8Depayloader::default(), SampleBuilderConfig::default());
/// let n = payloads.len();
/// // deliver in reverse order
/// for (i, p) in payloads.into_iter().enumerate().rev() {
///     sb.push_payload(100 + i as u16, 9000, i + 1 == n, Bytes::from(p));
/// }
/// // The very first frame is held until a later one shows its boundary.
/// assert!(sb.pop().is_none());
/// let next = Vp8Payloader::default().packetize_to_vec(1000, &[1, 2, 3]).unwrap();
/// sb.push_payload(100 + n as u16, 12000, true, Bytes::from(next[0].clone()));
/// let sample = sb.pop().unwrap();
/// assert_eq!(sample.data, frame);
/// assert!(sample.keyframe);
/// ```
#[derive(Debug)]
pub struct SampleBuilder<D> {
    depayloader: D,
    config: SampleBuilderConfig,
    slots: Vec<Option<Slot>>,
    unwrapper: SeqUnwrapper,
    /// Next sequence number to consume.
    cursor: Option<u64>,
    newest: Option<(u64, u32)>,
    held: usize,
    /// What is known about the packet before the cursor.
    last: Boundary,
    gap: bool,
    needs_keyframe: bool,
    /// Something was emitted or dropped, so the cursor may no longer move back.
    started: bool,
    stats: SampleBuilderStats,
}

impl<D: Depayloader> SampleBuilder<D> {
    /// A builder using `depayloader`.
    pub fn new(depayloader: D, config: SampleBuilderConfig) -> Self {
        let cap = config.max_packets.clamp(1, 1 << 15);
        Self {
            depayloader,
            config: SampleBuilderConfig {
                max_packets: cap,
                ..config
            },
            slots: vec![None; cap],
            unwrapper: SeqUnwrapper::new(),
            cursor: None,
            newest: None,
            held: 0,
            last: Boundary::Unknown,
            gap: false,
            needs_keyframe: false,
            started: false,
            stats: SampleBuilderStats::default(),
        }
    }

    /// The depayloader.
    pub fn depayloader(&self) -> &D {
        &self.depayloader
    }

    /// `true` after a frame was lost or dropped, until a keyframe is emitted.
    pub fn needs_keyframe(&self) -> bool {
        self.needs_keyframe
    }

    /// Counters.
    pub fn stats(&self) -> SampleBuilderStats {
        self.stats
    }

    /// Packets currently held.
    pub fn len(&self) -> usize {
        self.held
    }

    /// `true` when no packet is held.
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    /// Parses `datagram` as RTP and buffers its payload without copying.
    pub fn push(&mut self, datagram: Bytes) -> Result<(), RtpError> {
        let p = RtpPacket::parse(&datagram)?;
        let (seq, ts, m, range) = (
            p.sequence_number(),
            p.timestamp(),
            p.marker(),
            p.payload_range(),
        );
        self.push_payload(seq, ts, m, datagram.slice(range));
        Ok(())
    }

    fn idx(&self, seq: u64) -> usize {
        (seq % self.slots.len() as u64) as usize
    }

    fn slot(&self, seq: u64) -> Option<&Slot> {
        self.slots[self.idx(seq)].as_ref().filter(|s| s.seq == seq)
    }

    /// Buffers one packet's payload.
    pub fn push_payload(&mut self, seq: u16, timestamp: u32, marker: bool, payload: Bytes) {
        let ext = self.unwrapper.unwrap(seq);
        let cap = self.slots.len() as u64;
        let mut cursor = *self.cursor.get_or_insert(ext);
        if ext < cursor && !self.started && self.newest.is_none_or(|(n, _)| n < ext + cap) {
            // Nothing consumed yet: the first packet to arrive need not be the first sent.
            cursor = ext;
            self.cursor = Some(ext);
        }
        if ext < cursor || self.slot(ext).is_some() {
            self.stats.late_packets += 1;
            return;
        }
        if ext >= cursor + cap {
            let newest = self.newest.map_or(ext, |(n, _)| n);
            if ext > newest + cap {
                // A jump past the whole window (a sender restart, a huge loss burst):
                // nothing in between is worth waiting for; restart at this packet.
                self.drop_until(ext);
            } else {
                // Make room: give up everything older than the window.
                self.drop_until(ext + 1 - cap);
            }
        }
        let i = self.idx(ext);
        if self.slots[i].is_some() {
            // unreachable by the window arithmetic above; keep the count right regardless
            self.held -= 1;
        }
        self.slots[i] = Some(Slot {
            seq: ext,
            timestamp,
            marker,
            payload,
        });
        self.held += 1;
        if self.newest.is_none_or(|(n, _)| ext > n) {
            self.newest = Some((ext, timestamp));
        }
        if self.config.max_latency > 0 {
            self.enforce_latency();
        }
    }

    /// Drops every packet before `new_cursor`, then the rest of the frame that was cut.
    fn drop_until(&mut self, new_cursor: u64) {
        let Some(mut c) = self.cursor else { return };
        self.started = true;
        // A frame already partly dropped is not counted twice.
        let mut last_ts = match self.last {
            Boundary::Known {
                timestamp,
                ended: false,
            } => Some(timestamp),
            _ => None,
        };
        let mut prev_present = false;
        let cap = self.slots.len() as u64;
        if new_cursor - c > cap {
            // Only `cap` slots can hold packets: drop what is older than the new cursor
            // in one sweep instead of walking a sequence gap of up to 2^15.
            let before = self.held;
            for i in 0..self.slots.len() {
                if self.slots[i].as_ref().is_some_and(|s| s.seq < new_cursor) {
                    self.slots[i] = None;
                    self.held -= 1;
                    self.stats.dropped_packets += 1;
                }
            }
            if self.held != before {
                self.stats.dropped_frames += 1;
            }
            c = new_cursor;
            last_ts = None;
        }
        while c < new_cursor {
            prev_present = false;
            if let Some(s) = self.take(c) {
                if last_ts != Some(s.timestamp) {
                    self.stats.dropped_frames += 1;
                    last_ts = Some(s.timestamp);
                }
                self.stats.dropped_packets += 1;
                prev_present = true;
            }
            c += 1;
        }
        // The packets right after the cut that belong to the same frame are useless.
        if let Some(ts) = last_ts {
            while let Some(s) = self.slot(c) {
                if s.timestamp != ts {
                    break;
                }
                self.take(c);
                self.stats.dropped_packets += 1;
                prev_present = true;
                c += 1;
            }
        }
        self.cursor = Some(c);
        self.last = match last_ts {
            Some(timestamp) if prev_present => Boundary::Known {
                timestamp,
                ended: false,
            },
            _ => Boundary::Unknown,
        };
        self.gap = true;
        self.needs_keyframe = true;
        self.depayloader.reset();
    }

    fn take(&mut self, seq: u64) -> Option<Slot> {
        let i = self.idx(seq);
        if self.slots[i].as_ref().is_some_and(|s| s.seq == seq) {
            self.held -= 1;
            self.slots[i].take()
        } else {
            None
        }
    }

    /// Gives up on what is older than `max_latency` behind the newest packet.
    fn enforce_latency(&mut self) {
        let Some((newest, newest_ts)) = self.newest else {
            return;
        };
        while let Some(c) = self.cursor {
            let Some(oldest) = (c..=newest).find(|&s| self.slot(s).is_some()) else {
                return;
            };
            let Some(head) = self.slot(oldest) else {
                return;
            };
            let ts = head.timestamp;
            if newest_ts.wrapping_sub(ts) as i32 <= self.config.max_latency as i32 {
                return;
            }
            if oldest > c
                && self.depayloader.frame_start_is_reliable()
                && self.depayloader.is_frame_start(&head.payload)
            {
                // The packets before it are lost for good, and the codec says this one
                // opens a frame: skip the hole and let `pop` try that frame.
                self.cursor = Some(oldest);
                self.last = Boundary::Unknown;
                self.gap = true;
                self.needs_keyframe = true;
                self.started = true;
                self.depayloader.reset();
                if self.pop_ready() {
                    return;
                }
            }
            // Drop that frame: up to and including its last present packet.
            let mut end = oldest + 1;
            while end <= newest && self.slot(end).is_some_and(|s| s.timestamp == ts) {
                end += 1;
            }
            self.drop_until(end);
        }
    }

    /// `true` when the packet at the cursor heads a frame whose packets are all here.
    fn pop_ready(&self) -> bool {
        let Some(c) = self.cursor else { return false };
        let Some(first) = self.slot(c) else {
            return false;
        };
        let mut e = c;
        while let Some(s) = self.slot(e) {
            if s.timestamp != first.timestamp || self.depayloader.is_frame_end(&s.payload, s.marker)
            {
                return true;
            }
            e += 1;
        }
        false
    }

    /// Emits the next complete frame, if any.
    pub fn pop(&mut self) -> Option<Sample> {
        loop {
            let cursor = self.cursor?;
            let (newest, newest_ts) = self.newest?;
            let first = self.slot(cursor)?.clone();
            // Is this packet the start of a frame? The codec must say so, and the packet
            // before it must have ended a frame or carry another timestamp. When that
            // packet was never seen, only codecs whose start flag is unambiguous (or the
            // very first frame) are trusted.
            let boundary = match self.last {
                Boundary::Unknown => !self.started || self.depayloader.frame_start_is_reliable(),
                Boundary::Known { timestamp, ended } => ended || timestamp != first.timestamp,
            };
            if !boundary || !self.depayloader.is_frame_start(&first.payload) {
                if !self.started {
                    // The frame's head may still arrive out of order; the bounds give up
                    // on it if not.
                    return None;
                }
                // Remainder of a frame whose head was lost.
                self.drop_until(cursor + 1);
                continue;
            }
            if !self.started && newest_ts == first.timestamp {
                // First frame: wait until a later frame shows up, so a reordered head
                // packet (say, an H.264 STAP-A with the parameter sets) is not left behind.
                return None;
            }
            // Find the end: a packet the codec calls final, or the last packet before one
            // with another timestamp. Any hole means wait.
            let mut end = cursor;
            loop {
                let s = self.slot(end)?;
                if s.timestamp != first.timestamp {
                    end -= 1;
                    break;
                }
                if self.depayloader.is_frame_end(&s.payload, s.marker) {
                    break;
                }
                if end >= newest {
                    return None;
                }
                end += 1;
            }
            self.depayloader.reset();
            let mut data = Vec::new();
            let mut failed = false;
            for s in cursor..=end {
                if let Some(slot) = self.slot(s) {
                    let payload = slot.payload.clone();
                    if self.depayloader.depayload(&payload, &mut data).is_err() {
                        failed = true;
                        break;
                    }
                }
            }
            let keyframe = self.depayloader.is_keyframe(&first.payload);
            let last_seq = self.slot(end).map_or(0, |s| s.seq);
            for s in cursor..=end {
                self.take(s);
            }
            self.cursor = Some(end + 1);
            self.started = true;
            self.last = Boundary::Known {
                timestamp: first.timestamp,
                ended: true,
            };
            if failed {
                self.stats.dropped_frames += 1;
                self.stats.dropped_packets += end + 1 - cursor;
                self.gap = true;
                self.needs_keyframe = true;
                continue;
            }
            let gap_before = std::mem::take(&mut self.gap);
            if keyframe {
                self.needs_keyframe = false;
            }
            self.stats.frames += 1;
            return Some(Sample {
                data,
                timestamp: first.timestamp,
                first_seq: first.seq as u16,
                last_seq: last_seq as u16,
                packets: (end + 1 - cursor) as usize,
                keyframe,
                gap_before,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{OpusDepayloader, Payloader, Vp8Depayloader, Vp8Payloader};

    fn vp8_frame(n: usize, key: bool, fill: u8) -> Vec<u8> {
        let mut f = vec![fill; n];
        f[0] = if key { 0x10 } else { 0x11 };
        f
    }

    fn packets(frames: &[Vec<u8>], mtu: usize, seq0: u16) -> Vec<(u16, u32, bool, Bytes)> {
        let mut p = Vp8Payloader::default();
        let mut out = vec![];
        let mut seq = seq0;
        for (i, f) in frames.iter().enumerate() {
            p.packetize(mtu, f, &mut |pl, last| {
                out.push((seq, i as u32 * 3000, last, Bytes::copy_from_slice(pl)));
                seq = seq.wrapping_add(1);
            })
            .unwrap();
        }
        out
    }

    #[test]
    fn reorder_duplicates_and_wrap() {
        let frames: Vec<_> = (0..20).map(|i| vp8_frame(2500, i == 0, i as u8)).collect();
        let mut pk = packets(&frames, 1000, 65530);
        // reverse each window of 5 and duplicate some packets
        for ch in pk.chunks_mut(5) {
            ch.reverse();
        }
        let dup = pk[3].clone();
        pk.insert(7, dup);
        let mut sb = SampleBuilder::new(Vp8Depayloader::default(), SampleBuilderConfig::default());
        let mut got = vec![];
        for (s, t, m, p) in pk {
            sb.push_payload(s, t, m, p);
            while let Some(x) = sb.pop() {
                got.push(x);
            }
        }
        assert_eq!(got.len(), 20);
        for (i, s) in got.iter().enumerate() {
            assert_eq!(s.data, frames[i]);
            assert_eq!(s.timestamp, i as u32 * 3000);
            assert!(!s.gap_before);
        }
        assert!(got[0].keyframe && !got[1].keyframe);
        assert_eq!(sb.stats().late_packets, 1);
        assert!(sb.is_empty());
    }

    #[test]
    fn loss_gives_gap_and_keyframe_request() {
        let frames: Vec<_> = (0..10)
            .map(|i| vp8_frame(2500, i == 0 || i == 6, i as u8))
            .collect();
        let pk = packets(&frames, 1000, 0);
        // frame 2 = packets 6..9; lose packet 7 (its middle)
        let mut sb = SampleBuilder::new(
            Vp8Depayloader::default(),
            SampleBuilderConfig {
                max_packets: 64,
                max_latency: 3000 * 2,
            },
        );
        let mut got = vec![];
        for (i, (s, t, m, p)) in pk.into_iter().enumerate() {
            if i == 7 {
                continue;
            }
            sb.push_payload(s, t, m, p);
            while let Some(x) = sb.pop() {
                got.push(x);
            }
        }
        let ts: Vec<u32> = got.iter().map(|s| s.timestamp / 3000).collect();
        assert_eq!(ts, vec![0, 1, 3, 4, 5, 6, 7, 8, 9]);
        assert!(got[2].gap_before);
        assert!(!got[3].gap_before);
        for s in &got {
            assert_eq!(s.data, frames[(s.timestamp / 3000) as usize]);
        }
        assert_eq!(sb.stats().dropped_frames, 1);
        assert!(!sb.needs_keyframe(), "frame 6 is a keyframe");
    }

    #[test]
    fn sequence_jump_is_bounded() {
        let mut sb = SampleBuilder::new(
            OpusDepayloader,
            SampleBuilderConfig {
                max_packets: 16,
                max_latency: 0,
            },
        );
        for (seq, ts) in [
            (0u16, 0u32),
            (1, 960),
            (30000, 5000),
            (30001, 5960),
            (62000, 9000),
            (62001, 9960),
        ] {
            sb.push_payload(seq, ts, false, Bytes::from_static(b"z"));
            assert!(sb.len() <= 16);
            while sb.pop().is_some() {}
        }
        assert!(sb.stats().frames >= 3);
    }

    #[test]
    fn bounded_by_max_packets() {
        let mut sb = SampleBuilder::new(
            OpusDepayloader,
            SampleBuilderConfig {
                max_packets: 8,
                max_latency: 0,
            },
        );
        sb.push_payload(0, 0, false, Bytes::from_static(b"x"));
        assert_eq!(sb.pop(), None, "the first frame waits for a later one");
        sb.push_payload(2, 2 * 960, false, Bytes::from_static(b"y"));
        assert_eq!(sb.pop().unwrap().data, b"x");
        // packet 1 never arrives, so nothing can be emitted until the window forces it
        for s in 3..=20u16 {
            sb.push_payload(s, s as u32 * 960, false, Bytes::from_static(b"y"));
            assert!(sb.len() <= 8);
        }
        let got: Vec<Sample> = std::iter::from_fn(|| sb.pop()).collect();
        assert_eq!(
            got.iter().map(|s| s.first_seq).collect::<Vec<_>>(),
            (13..=20).collect::<Vec<_>>()
        );
        assert!(got[0].gap_before && !got[1].gap_before);
        assert_eq!(sb.stats().dropped_packets, 11);
    }
}
