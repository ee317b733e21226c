//! Entry points for the fuzz targets in `fuzz/fuzz_targets/sctp_*.rs` (not public API).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::chunk::{Chunk, ChunkIter};
use crate::packet::{checksum, Packet};
use crate::{Association, ChannelConfig, Config, MessageKind};

/// Parses `data` as a packet and as a run of chunks; every chunk that parses must
/// re-encode to the same chunk.
pub fn chunk(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(packet) = Packet::parse(bytes.clone(), true) {
        for chunk in packet.chunks() {
            let _ = chunk;
        }
    }
    for chunk in ChunkIter::new(bytes).flatten() {
        let mut out = Vec::new();
        chunk.write(&mut out);
        // A parsed chunk always re-encodes to a parseable one with the same content.
        let again = Chunk::parse(&Bytes::from(out)).map(|(c, _)| c);
        assert_eq!(again, Ok(chunk));
    }
}

fn established() -> (Association, [u8; 12], Instant) {
    let now = Instant::now();
    let config = |client: bool, seed: u8| Config {
        dtls_client: client,
        rng_seed: Some([seed; 32]),
        ..Config::default()
    };
    let mut a = Association::new(config(true, 1));
    let mut b = Association::new(config(false, 2));
    a.connect(now);
    let mut buf = Vec::new();
    let mut header = [0u8; 12];
    for _ in 0..6 {
        while a.poll_transmit(now, &mut buf).is_some() {
            let _ = b.handle_receive(now, &buf);
        }
        while b.poll_transmit(now, &mut buf).is_some() {
            header.copy_from_slice(&buf[..12]);
            let _ = a.handle_receive(now, &buf);
        }
    }
    (a, header, now)
}

/// Feeds an established association arbitrary packets. The input is split into
/// `[len: u8][len bytes]` records; each record becomes the chunks of a packet carrying the
/// association's real header and a valid checksum (so it reaches the state machine), a
/// zero length advances time by 300 ms.
pub fn association(data: &[u8]) {
    let (mut a, header, mut now) = established();
    if let Ok(ch) = a.open_channel(ChannelConfig::default()) {
        let _ = a.send(ch, MessageKind::Binary, Bytes::from_static(&[7; 3000]));
    }
    let mut buf = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (body, tail) = tail.split_at(len);
        rest = tail;
        if len == 0 {
            now += Duration::from_millis(300);
            a.handle_timeout(now);
        } else {
            let mut packet = header.to_vec();
            packet.extend_from_slice(body);
            let crc = checksum(&packet);
            packet[8..12].copy_from_slice(&crc.to_le_bytes());
            let _ = a.handle_receive(now, &packet);
        }
        while a.poll_transmit(now, &mut buf).is_some() {}
        while a.poll_event().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A cheap stand-in for the fuzzers in every `cargo test`: random and mutated input.
    #[test]
    fn random_input_never_panics() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for i in 0..3000 {
            let len = (rng.next_u32() % 300) as usize;
            let mut data = vec![0u8; len];
            rng.fill_bytes(&mut data);
            // Bias towards valid chunk types and lengths.
            if len > 8 && i % 2 == 0 {
                data[1] = (rng.next_u32() % 16) as u8;
                data[2] = data[1].saturating_sub(0) % 16;
                data[4] = 0;
                data[5] = 0;
                data[6] = 0;
                data[7] = (len - 5).min(200) as u8;
            }
            super::chunk(&data);
            if i % 10 == 0 {
                super::association(&data);
            }
        }
    }
}
