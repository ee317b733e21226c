//! Ogg (RFC 3533) carrying Opus (RFC 7845): pages, lacing, granule positions, and the
//! OpusHead / OpusTags header packets.

use std::io::{Read, Write};

use crate::error::MediaError;

const FORMAT: &str = "Ogg";
/// Default bound on one reassembled packet.
pub const DEFAULT_MAX_PACKET: usize = 1024 * 1024;

/// RFC 3533 §6: "CRC32 checksum ... generator polynomial 0x04c11db7", no reflection,
/// initial value 0, computed over the page with the checksum field zeroed.
const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04C1_1DB7
            } else {
                r << 1
            };
            k += 1;
        }
        t[i] = r;
        i += 1;
    }
    t
};

fn crc(data: &[u8], mut c: u32) -> u32 {
    for &b in data {
        c = (c << 8) ^ CRC_TABLE[((c >> 24) as u8 ^ b) as usize];
    }
    c
}

/// RFC 7845 §5.1 identification header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    /// Output channel count.
    pub channels: u8,
    /// Samples (at 48 kHz) to drop from the decoder output at the start.
    pub pre_skip: u16,
    /// Sample rate of the original input (informational).
    pub input_sample_rate: u32,
    /// Output gain in Q7.8 dB.
    pub output_gain: i16,
    /// Channel mapping family (0: mono/stereo).
    pub mapping_family: u8,
}

impl OpusHead {
    fn parse(p: &[u8]) -> Result<Self, MediaError> {
        let bad = |reason| MediaError::BadHeader {
            format: "OpusHead",
            reason,
        };
        if p.len() < 19 || &p[..8] != b"OpusHead" {
            return Err(bad("missing OpusHead"));
        }
        // RFC 7845 §5.1: "version ... MUST be set to 1"; accept 0..=15 (same major).
        if p[8] >> 4 != 0 {
            return Err(bad("unsupported version"));
        }
        if p[9] == 0 {
            return Err(bad("zero channels"));
        }
        Ok(Self {
            channels: p[9],
            pre_skip: u16::from_le_bytes([p[10], p[11]]),
            input_sample_rate: u32::from_le_bytes([p[12], p[13], p[14], p[15]]),
            output_gain: i16::from_le_bytes([p[16], p[17]]),
            mapping_family: p[18],
        })
    }
    fn encode(&self) -> [u8; 19] {
        let mut b = [0u8; 19];
        b[..8].copy_from_slice(b"OpusHead");
        b[8] = 1;
        b[9] = self.channels;
        b[10..12].copy_from_slice(&self.pre_skip.to_le_bytes());
        b[12..16].copy_from_slice(&self.input_sample_rate.to_le_bytes());
        b[16..18].copy_from_slice(&self.output_gain.to_le_bytes());
        b[18] = self.mapping_family;
        b
    }
}

/// Writes an Ogg Opus file: one Opus packet per page.
#[derive(Debug)]
pub struct OggOpusWriter<W> {
    writer: W,
    serial: u32,
    page_seq: u32,
    granule: u64,
    page: Vec<u8>,
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the OpusHead (beginning-of-stream page) and OpusTags pages.
    /// `serial` identifies the logical stream (pick it at random).
    pub fn new(writer: W, head: OpusHead, serial: u32) -> Result<Self, MediaError> {
        let mut w = Self {
            writer,
            serial,
            page_seq: 0,
            granule: 0,
            page: Vec::with_capacity(512),
        };
        // RFC 7845 §3: "The first page MUST contain only the ID header ... BOS flag set",
        // granule position 0 on both header pages.
        w.write_page(0x02, 0, &head.encode())?;
        let vendor = b"oxrtc";
        let mut tags = Vec::with_capacity(24);
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes());
        w.write_page(0, 0, &tags)?;
        Ok(w)
    }

    fn write_page(&mut self, flags: u8, granule: u64, packet: &[u8]) -> Result<(), MediaError> {
        // Lacing: 255-byte segments, then a final segment < 255 (possibly 0).
        let segments = packet.len() / 255 + 1;
        if segments > 255 {
            return Err(MediaError::TooLarge {
                format: FORMAT,
                size: packet.len(),
                limit: 255 * 255 - 1,
            });
        }
        let p = &mut self.page;
        p.clear();
        p.extend_from_slice(b"OggS");
        p.push(0);
        p.push(flags);
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&self.serial.to_le_bytes());
        p.extend_from_slice(&self.page_seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(segments as u8);
        for _ in 0..segments - 1 {
            p.push(255);
        }
        p.push((packet.len() % 255) as u8);
        p.extend_from_slice(packet);
        let c = crc(p, 0);
        p[22..26].copy_from_slice(&c.to_le_bytes());
        self.writer.write_all(p)?;
        self.page_seq = self.page_seq.wrapping_add(1);
        Ok(())
    }

    /// Appends one Opus packet holding `samples` samples at 48 kHz (RFC 7845 §4: the
    /// granule position counts 48 kHz samples).
    pub fn write_packet(&mut self, packet: &[u8], samples: u32) -> Result<(), MediaError> {
        self.granule += samples as u64;
        self.write_page(0, self.granule, packet)
    }

    /// Writes an empty end-of-stream page and returns the writer.
    pub fn finish(mut self) -> Result<W, MediaError> {
        let g = self.granule;
        // empty page: zero segments, EOS flag
        let p = &mut self.page;
        p.clear();
        p.extend_from_slice(b"OggS");
        p.push(0);
        p.push(0x04);
        p.extend_from_slice(&g.to_le_bytes());
        p.extend_from_slice(&self.serial.to_le_bytes());
        p.extend_from_slice(&self.page_seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(0);
        let c = crc(p, 0);
        p[22..26].copy_from_slice(&c.to_le_bytes());
        self.writer.write_all(p)?;
        self.writer.flush()?;
        Ok(self.writer)
    }
}

/// Reads an Ogg Opus file packet by packet.
#[derive(Debug)]
pub struct OggOpusReader<R> {
    reader: R,
    head: OpusHead,
    serial: u32,
    /// Segments of the current page not yet consumed: (lengths, data, position).
    seg_table: Vec<u8>,
    seg_index: usize,
    page_data: Vec<u8>,
    data_pos: usize,
    granule: i64,
    eos: bool,
    /// Packets larger than this are an error.
    pub max_packet: usize,
}

impl<R: Read> OggOpusReader<R> {
    /// Reads the header pages and checks OpusHead.
    pub fn new(reader: R) -> Result<Self, MediaError> {
        let mut r = Self {
            reader,
            head: OpusHead {
                channels: 1,
                pre_skip: 0,
                input_sample_rate: 0,
                output_gain: 0,
                mapping_family: 0,
            },
            serial: 0,
            seg_table: Vec::new(),
            seg_index: 0,
            page_data: Vec::new(),
            data_pos: 0,
            granule: 0,
            eos: false,
            max_packet: DEFAULT_MAX_PACKET,
        };
        if !r.read_page()? {
            return Err(MediaError::BadHeader {
                format: FORMAT,
                reason: "empty file",
            });
        }
        let (head, _) = r.next_raw()?.ok_or(MediaError::BadHeader {
            format: FORMAT,
            reason: "no OpusHead",
        })?;
        r.head = OpusHead::parse(&head)?;
        let (tags, _) = r.next_raw()?.ok_or(MediaError::BadHeader {
            format: FORMAT,
            reason: "no OpusTags",
        })?;
        if !tags.starts_with(b"OpusTags") {
            return Err(MediaError::BadHeader {
                format: FORMAT,
                reason: "second packet is not OpusTags",
            });
        }
        Ok(r)
    }

    /// The identification header.
    pub fn head(&self) -> &OpusHead {
        &self.head
    }

    fn read_exact_or_eof(&mut self, buf: &mut [u8]) -> Result<bool, MediaError> {
        let mut n = 0;
        while n < buf.len() {
            match self.reader.read(&mut buf[n..]) {
                Ok(0) if n == 0 => return Ok(false),
                Ok(0) => {
                    return Err(MediaError::Malformed {
                        format: FORMAT,
                        reason: "truncated page",
                    })
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// Reads the next page; `false` at end of file.
    fn read_page(&mut self) -> Result<bool, MediaError> {
        let mut h = [0u8; 27];
        if !self.read_exact_or_eof(&mut h)? {
            return Ok(false);
        }
        let bad = |reason| MediaError::Malformed {
            format: FORMAT,
            reason,
        };
        if &h[..4] != b"OggS" {
            return Err(bad("missing capture pattern"));
        }
        if h[4] != 0 {
            return Err(bad("unsupported stream structure version"));
        }
        let flags = h[5];
        let mut g = [0u8; 8];
        g.copy_from_slice(&h[6..14]);
        let serial = u32::from_le_bytes([h[14], h[15], h[16], h[17]]);
        let stored_crc = u32::from_le_bytes([h[22], h[23], h[24], h[25]]);
        let nseg = h[26] as usize;
        let mut table = vec![0u8; nseg];
        if nseg > 0 && !self.read_exact_or_eof(&mut table)? {
            return Err(bad("truncated segment table"));
        }
        let len: usize = table.iter().map(|&s| s as usize).sum();
        let mut data = vec![0u8; len];
        if len > 0 && !self.read_exact_or_eof(&mut data)? {
            return Err(bad("truncated page body"));
        }
        let mut hz = h;
        hz[22..26].fill(0);
        let c = crc(&data, crc(&table, crc(&hz, 0)));
        if c != stored_crc {
            return Err(bad("CRC mismatch"));
        }
        if flags & 0x02 != 0 {
            self.serial = serial;
        } else if serial != self.serial {
            return Err(bad("page of another logical stream"));
        }
        self.granule = i64::from_le_bytes(g);
        self.eos = flags & 0x04 != 0;
        self.seg_table = table;
        self.seg_index = 0;
        self.page_data = data;
        self.data_pos = 0;
        Ok(true)
    }

    /// Next packet with the granule position of the page it ends on.
    fn next_raw(&mut self) -> Result<Option<(Vec<u8>, i64)>, MediaError> {
        let mut packet = Vec::new();
        loop {
            while self.seg_index < self.seg_table.len() {
                let s = self.seg_table[self.seg_index] as usize;
                self.seg_index += 1;
                let chunk = &self.page_data[self.data_pos..self.data_pos + s];
                self.data_pos += s;
                if packet.len() + s > self.max_packet {
                    return Err(MediaError::TooLarge {
                        format: FORMAT,
                        size: packet.len() + s,
                        limit: self.max_packet,
                    });
                }
                packet.extend_from_slice(chunk);
                if s < 255 {
                    return Ok(Some((packet, self.granule)));
                }
            }
            if self.eos || !self.read_page()? {
                return if packet.is_empty() {
                    Ok(None)
                } else {
                    Err(MediaError::Malformed {
                        format: FORMAT,
                        reason: "packet continues past the last page",
                    })
                };
            }
        }
    }

    /// The next Opus packet and the granule position of its page, or `None` at the end.
    pub fn next_packet(&mut self) -> Result<Option<(Vec<u8>, i64)>, MediaError> {
        self.next_raw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn head() -> OpusHead {
        OpusHead {
            channels: 2,
            pre_skip: 312,
            input_sample_rate: 48000,
            output_gain: 0,
            mapping_family: 0,
        }
    }

    #[test]
    fn crc_known_value() {
        // CRC-32/MPEG-2 style without final xor and init 0 ("CRC-32/OGG"): check value of
        // "123456789" is 0x89A1897F.
        assert_eq!(crc(b"123456789", 0), 0x89A1_897F);
    }

    #[test]
    fn round_trip() {
        let mut w = OggOpusWriter::new(Vec::new(), head(), 0x1234).unwrap();
        let packets: Vec<Vec<u8>> = vec![vec![0xFC; 10], vec![1; 255], vec![2; 600], vec![]];
        for p in &packets {
            w.write_packet(p, 960).unwrap();
        }
        let bytes = w.finish().unwrap();
        // first page: "OggS", version 0, BOS, granule 0, serial, seq 0
        assert_eq!(&bytes[..6], b"OggS\x00\x02");
        assert_eq!(&bytes[14..18], &0x1234u32.to_le_bytes());
        assert_eq!(&bytes[28..36], b"OpusHead");
        let mut r = OggOpusReader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(*r.head(), head());
        for (i, p) in packets.iter().enumerate() {
            let (got, granule) = r.next_packet().unwrap().unwrap();
            assert_eq!(&got, p);
            assert_eq!(granule, 960 * (i as i64 + 1));
        }
        assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn corrupt_pages() {
        let w = OggOpusWriter::new(Vec::new(), head(), 1).unwrap();
        let mut bytes = w.finish().unwrap();
        bytes[30] ^= 1;
        assert!(matches!(
            OggOpusReader::new(Cursor::new(&bytes)),
            Err(MediaError::Malformed { .. })
        ));
        assert!(OggOpusReader::new(Cursor::new(b"OggS")).is_err());
        assert!(OggOpusReader::new(Cursor::new(b"")).is_err());
    }
}
