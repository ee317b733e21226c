//! Reassembly of fragments into messages and ordered delivery per stream
//! (RFC 9260 §6.5–6.9, RFC 8260 §2.1 for I-DATA).
//!
//! DATA fragments of one message carry consecutive TSNs; I-DATA fragments carry a
//! Message Identifier and a Fragment Sequence Number. Both are stored as a `Partial`
//! keyed by SSN/MID (ordered, and I-DATA unordered), except unordered DATA, which has no
//! message id and is reassembled from runs of TSNs.

use std::collections::{BTreeMap, VecDeque};

use bytes::{Bytes, BytesMut};

use super::stream_map::StreamMap;
use crate::chunk::{DataChunk, SkippedStream};

/// A complete message.
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    pub(crate) stream_id: u16,
    pub(crate) ppid: u32,
    pub(crate) payload: Bytes,
}

#[derive(Debug, Clone)]
struct Frag {
    /// TSN (DATA) or FSN (I-DATA): the order of fragments within a message.
    seq: u64,
    tsn: u64,
    beginning: bool,
    ending: bool,
    ppid: u32,
    payload: Bytes,
}

#[derive(Debug, Clone, Default)]
struct Partial {
    frags: Vec<Frag>,
    bytes: usize,
}

impl Partial {
    fn insert(&mut self, frag: Frag) -> bool {
        // Fragments usually arrive in order: append without searching.
        if self.frags.last().is_none_or(|last| last.seq < frag.seq) {
            self.bytes += frag.payload.len();
            self.frags.push(frag);
            return true;
        }
        match self.frags.binary_search_by_key(&frag.seq, |f| f.seq) {
            Ok(_) => false,
            Err(pos) => {
                self.bytes += frag.payload.len();
                self.frags.insert(pos, frag);
                true
            }
        }
    }

    fn is_complete(&self) -> bool {
        match (self.frags.first(), self.frags.last()) {
            (Some(first), Some(last)) => {
                first.beginning
                    && last.ending
                    && last.seq - first.seq + 1 == self.frags.len() as u64
            }
            _ => false,
        }
    }

    /// Joins the fragments; the emptied fragment list is kept in `spare` for reuse, so
    /// steady-state reassembly does not allocate it per message.
    fn assemble(mut self, spare: &mut Vec<Frag>, arena: &mut BytesMut) -> (u32, Bytes) {
        let ppid = self.frags.first().map_or(0, |f| f.ppid);
        let payload = if self.frags.len() == 1 {
            self.frags.pop().map(|f| f.payload).unwrap_or_default()
        } else {
            // Joined messages are carved from an arena. Once the application has dropped
            // every message of an arena, `reserve` reclaims the same memory instead of
            // allocating (and page-faulting) a fresh buffer per message.
            if arena.capacity() - arena.len() < self.bytes {
                arena.reserve(self.bytes.max(ARENA_SIZE));
            }
            for f in &self.frags {
                arena.extend_from_slice(&f.payload);
            }
            arena.split().freeze()
        };
        self.frags.clear();
        if self.frags.capacity() > spare.capacity() {
            *spare = self.frags;
        }
        (ppid, payload)
    }
}

#[derive(Debug, Clone, Default)]
struct InStream {
    next_ordered: u32,
    ordered: BTreeMap<u32, Partial>,
    unordered: BTreeMap<u32, Partial>,
    unordered_data: BTreeMap<u64, Frag>,
}

impl InStream {
    fn is_idle(&self) -> bool {
        self.ordered.is_empty() && self.unordered.is_empty() && self.unordered_data.is_empty()
    }
}

/// A message grew past the limit: the peer is misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLarge;

#[derive(Debug, Clone)]
pub(crate) struct Reassembly {
    streams: StreamMap<InStream>,
    idata: bool,
    buffered: usize,
    max_message: usize,
    pub(crate) ready: VecDeque<Delivered>,
    spare: Vec<Frag>,
    arena: BytesMut,
}

/// Size of the buffers joined messages are carved from. A message the application keeps
/// pins at most one arena.
const ARENA_SIZE: usize = 256 * 1024;

/// `a <= b` in serial number arithmetic of `bits` bits (RFC 1982).
fn serial_le(a: u32, b: u32, bits16: bool) -> bool {
    if bits16 {
        (b as u16).wrapping_sub(a as u16) < 0x8000
    } else {
        b.wrapping_sub(a) < 0x8000_0000
    }
}

impl Reassembly {
    pub(crate) fn new(idata: bool, max_message: usize) -> Self {
        Self {
            streams: StreamMap::new(),
            idata,
            buffered: 0,
            max_message,
            ready: VecDeque::new(),
            spare: Vec::new(),
            arena: BytesMut::new(),
        }
    }

    /// Releases the reusable buffers (called when the association is idle, so an idle
    /// association holds no arena).
    pub(crate) fn trim(&mut self) {
        self.arena = BytesMut::new();
        self.spare = Vec::new();
    }

    /// Bytes held in incomplete or undeliverable messages.
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }

    fn next_seq(&self, v: u32) -> u32 {
        if self.idata {
            v.wrapping_add(1)
        } else {
            v.wrapping_add(1) & 0xffff
        }
    }

    pub(crate) fn insert(&mut self, chunk: DataChunk, tsn: u64) -> Result<(), TooLarge> {
        let idata = self.idata;
        let stream = self.streams.get_or_insert_default(chunk.stream_id);
        let frag = Frag {
            seq: if idata { u64::from(chunk.fsn) } else { tsn },
            tsn,
            beginning: chunk.beginning,
            ending: chunk.ending,
            ppid: chunk.ppid,
            payload: chunk.payload,
        };
        if chunk.unordered {
            if idata {
                return self.insert_partial(chunk.stream_id, chunk.mid, true, frag);
            }
            return self.insert_unordered_data(chunk.stream_id, frag);
        }
        let mid = if idata { chunk.mid } else { chunk.mid & 0xffff };
        // Fast path: the next expected, unfragmented message goes straight out.
        if frag.beginning
            && frag.ending
            && mid == stream.next_ordered
            && !stream.ordered.contains_key(&mid)
        {
            stream.next_ordered = if idata {
                mid.wrapping_add(1)
            } else {
                mid.wrapping_add(1) & 0xffff
            };
            self.ready.push_back(Delivered {
                stream_id: chunk.stream_id,
                ppid: frag.ppid,
                payload: frag.payload,
            });
            self.deliver_ordered(chunk.stream_id);
            return Ok(());
        }
        // Ignore fragments of messages already delivered (stale retransmissions).
        if !serial_le(stream.next_ordered, mid, !idata) {
            return Ok(());
        }
        self.insert_partial(chunk.stream_id, mid, false, frag)
    }

    fn insert_partial(
        &mut self,
        stream_id: u16,
        mid: u32,
        unordered: bool,
        frag: Frag,
    ) -> Result<(), TooLarge> {
        let stream = self.streams.get_or_insert_default(stream_id);
        let map = if unordered {
            &mut stream.unordered
        } else {
            &mut stream.ordered
        };
        let spare = &mut self.spare;
        let partial = map.entry(mid).or_insert_with(|| Partial {
            // Reuse the last message's list: room for a 64 KiB message without regrowing.
            frags: if spare.capacity() > 0 {
                std::mem::take(spare)
            } else {
                Vec::with_capacity(64)
            },
            bytes: 0,
        });
        let len = frag.payload.len();
        if partial.insert(frag) {
            self.buffered += len;
        }
        if partial.bytes > self.max_message {
            return Err(TooLarge);
        }
        if !partial.is_complete() {
            return Ok(());
        }
        if unordered {
            let partial = map.remove(&mid).unwrap_or_default();
            self.buffered -= partial.bytes;
            let (ppid, payload) = partial.assemble(&mut self.spare, &mut self.arena);
            self.ready.push_back(Delivered {
                stream_id,
                ppid,
                payload,
            });
        } else if mid == stream.next_ordered {
            self.deliver_ordered(stream_id);
        }
        Ok(())
    }

    fn insert_unordered_data(&mut self, stream_id: u16, frag: Frag) -> Result<(), TooLarge> {
        let stream = self.streams.get_or_insert_default(stream_id);
        if frag.beginning && frag.ending {
            self.ready.push_back(Delivered {
                stream_id,
                ppid: frag.ppid,
                payload: frag.payload,
            });
            return Ok(());
        }
        let tsn = frag.tsn;
        self.buffered += frag.payload.len();
        stream.unordered_data.insert(tsn, frag);
        // Find the B..E run of consecutive TSNs around the new fragment.
        let mut first = None;
        let mut expect = tsn;
        let mut bytes = 0usize;
        for (&t, f) in stream.unordered_data.range(..=tsn).rev() {
            if t != expect || (t != tsn && f.ending) {
                break;
            }
            bytes += f.payload.len();
            if f.beginning {
                first = Some(t);
                break;
            }
            expect -= 1;
        }
        let mut last = None;
        for (expect, (&t, f)) in (tsn..).zip(stream.unordered_data.range(tsn..)) {
            if t != expect || (t != tsn && f.beginning) {
                break;
            }
            if t != tsn {
                bytes += f.payload.len();
            }
            if f.ending {
                last = Some(t);
                break;
            }
        }
        if bytes > self.max_message {
            return Err(TooLarge);
        }
        if let (Some(first), Some(last)) = (first, last) {
            let mut partial = Partial::default();
            for t in first..=last {
                if let Some(f) = stream.unordered_data.remove(&t) {
                    partial.bytes += f.payload.len();
                    partial.frags.push(f);
                }
            }
            self.buffered -= partial.bytes;
            let (ppid, payload) = partial.assemble(&mut self.spare, &mut self.arena);
            self.ready.push_back(Delivered {
                stream_id,
                ppid,
                payload,
            });
        }
        Ok(())
    }

    fn deliver_ordered(&mut self, stream_id: u16) {
        let idata = self.idata;
        let Some(stream) = self.streams.get_mut(stream_id) else {
            return;
        };
        loop {
            let next = stream.next_ordered;
            match stream.ordered.get(&next) {
                Some(p) if p.is_complete() => {}
                _ => break,
            }
            let partial = stream.ordered.remove(&next).unwrap_or_default();
            self.buffered -= partial.bytes;
            let (ppid, payload) = partial.assemble(&mut self.spare, &mut self.arena);
            self.ready.push_back(Delivered {
                stream_id,
                ppid,
                payload,
            });
            stream.next_ordered = if idata {
                next.wrapping_add(1)
            } else {
                next.wrapping_add(1) & 0xffff
            };
        }
        if stream.is_idle() && stream.next_ordered == 0 {
            self.streams.remove(stream_id);
        }
    }

    /// FORWARD TSN / I-FORWARD-TSN (RFC 3758 §3.6, RFC 8260 §2.3): drops what the sender
    /// abandoned and skips the listed stream sequence numbers.
    pub(crate) fn forward(&mut self, new_cum: u64, skipped: &[SkippedStream]) {
        let idata = self.idata;
        if !idata {
            // DATA fragments of one message are consecutive TSNs, so an incomplete message
            // that starts at or below the new cumulative TSN can never complete.
            let mut freed = 0;
            for stream in self.streams.values_mut() {
                stream.ordered.retain(|_, p| {
                    let stale =
                        !p.is_complete() && p.frags.first().is_some_and(|f| f.tsn <= new_cum);
                    if stale {
                        freed += p.bytes;
                    }
                    !stale
                });
                let keep = stream.unordered_data.split_off(&(new_cum + 1));
                freed += stream
                    .unordered_data
                    .values()
                    .map(|f| f.payload.len())
                    .sum::<usize>();
                stream.unordered_data = keep;
            }
            self.buffered -= freed;
        }
        for s in skipped {
            let Some(stream) = self.streams.get_mut(s.stream_id) else {
                if !s.unordered {
                    let next = self.next_seq(s.mid);
                    self.streams.get_or_insert_default(s.stream_id).next_ordered = next;
                }
                continue;
            };
            let mid = if idata { s.mid } else { s.mid & 0xffff };
            let map = if s.unordered && idata {
                &mut stream.unordered
            } else {
                &mut stream.ordered
            };
            let mut freed = 0;
            map.retain(|&k, p| {
                let drop = serial_le(k, mid, !idata) && !p.is_complete();
                if drop {
                    freed += p.bytes;
                }
                !drop
            });
            self.buffered -= freed;
            if !s.unordered && serial_le(stream.next_ordered, mid, !idata) {
                stream.next_ordered = if idata {
                    mid.wrapping_add(1)
                } else {
                    mid.wrapping_add(1) & 0xffff
                };
            }
        }
        let ids: Vec<u16> = skipped.iter().map(|s| s.stream_id).collect();
        for id in ids {
            self.deliver_ordered(id);
        }
    }

    /// RFC 6525 §5.2.2: the peer reset its outgoing stream; sequence numbers restart at 0.
    pub(crate) fn reset_stream(&mut self, stream_id: u16) {
        if let Some(stream) = self.streams.remove(stream_id) {
            let bytes: usize = stream.ordered.values().map(|p| p.bytes).sum::<usize>()
                + stream.unordered.values().map(|p| p.bytes).sum::<usize>()
                + stream
                    .unordered_data
                    .values()
                    .map(|f| f.payload.len())
                    .sum::<usize>();
            self.buffered -= bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn chunk(
        tsn: u32,
        sid: u16,
        mid: u32,
        fsn: u32,
        b: bool,
        e: bool,
        u: bool,
        data: &'static [u8],
    ) -> DataChunk {
        DataChunk {
            tsn,
            stream_id: sid,
            mid,
            fsn,
            ppid: if b { 51 } else { 0 },
            unordered: u,
            beginning: b,
            ending: e,
            immediate: false,
            payload: Bytes::from_static(data),
        }
    }

    fn drain(r: &mut Reassembly) -> Vec<(u16, Vec<u8>)> {
        r.ready
            .drain(..)
            .map(|d| (d.stream_id, d.payload.to_vec()))
            .collect()
    }

    #[test]
    fn ordered_data_out_of_order() {
        let mut r = Reassembly::new(false, 1000);
        // message 1 (ssn 1) = TSN 3, message 0 (ssn 0) = TSN 1..2
        r.insert(chunk(3, 0, 1, 0, true, true, false, b"c"), 3)
            .unwrap();
        r.insert(chunk(2, 0, 0, 0, false, true, false, b"b"), 2)
            .unwrap();
        assert!(drain(&mut r).is_empty());
        r.insert(chunk(1, 0, 0, 0, true, false, false, b"a"), 1)
            .unwrap();
        assert_eq!(drain(&mut r), vec![(0, b"ab".to_vec()), (0, b"c".to_vec())]);
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn unordered_data_runs() {
        let mut r = Reassembly::new(false, 1000);
        r.insert(chunk(11, 0, 0, 0, false, true, true, b"y"), 11)
            .unwrap();
        r.insert(chunk(12, 0, 0, 0, true, true, true, b"z"), 12)
            .unwrap();
        assert_eq!(drain(&mut r), vec![(0, b"z".to_vec())]);
        r.insert(chunk(10, 0, 0, 0, true, false, true, b"x"), 10)
            .unwrap();
        assert_eq!(drain(&mut r), vec![(0, b"xy".to_vec())]);
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn idata_interleaved_and_forward() {
        let mut r = Reassembly::new(true, 1000);
        r.insert(chunk(1, 0, 0, 0, true, false, false, b"a"), 1)
            .unwrap();
        r.insert(chunk(2, 1, 0, 0, true, true, false, b"S"), 2)
            .unwrap();
        assert_eq!(drain(&mut r), vec![(1, b"S".to_vec())]);
        r.insert(chunk(3, 0, 0, 1, false, true, false, b"b"), 3)
            .unwrap();
        assert_eq!(drain(&mut r), vec![(0, b"ab".to_vec())]);
        // Message 1 on stream 0 is abandoned after its first fragment; message 2 waits.
        r.insert(chunk(4, 0, 1, 0, true, false, false, b"lost"), 4)
            .unwrap();
        r.insert(chunk(6, 0, 2, 0, true, true, false, b"next"), 6)
            .unwrap();
        assert!(drain(&mut r).is_empty());
        r.forward(
            5,
            &[SkippedStream {
                stream_id: 0,
                unordered: false,
                mid: 1,
            }],
        );
        assert_eq!(drain(&mut r), vec![(0, b"next".to_vec())]);
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn oversized_message_is_refused() {
        let mut r = Reassembly::new(true, 3);
        r.insert(chunk(1, 0, 0, 0, true, false, false, b"ab"), 1)
            .unwrap();
        assert_eq!(
            r.insert(chunk(2, 0, 0, 1, false, false, false, b"cd"), 2),
            Err(TooLarge)
        );
    }
}
