//! H.264 / H.265 Annex-B byte stream reader (ITU-T H.264 Annex B, H.265 Annex B):
//! NAL units separated by `00 00 01` / `00 00 00 01` start codes.

use std::io::Read;

use crate::codecs::annexb_nal_units;
use crate::error::MediaError;

const FORMAT: &str = "Annex-B";
/// Default bound on one NAL unit.
pub const DEFAULT_MAX_NAL: usize = 8 * 1024 * 1024;

/// Which NAL header layout to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// H.264: one-byte header, type in the low 5 bits.
    H264,
    /// H.265: two-byte header, type in bits 1..7 of the first byte.
    H265,
}

/// One NAL unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NalUnit {
    /// `nal_unit_type`.
    pub kind: u8,
    /// The unit, header included, without start code.
    pub data: Vec<u8>,
}

impl NalUnit {
    /// H.264 IDR slice / H.265 IRAP picture.
    pub fn is_keyframe(&self, codec: Codec) -> bool {
        match codec {
            Codec::H264 => self.kind == 5,
            Codec::H265 => (16..=23).contains(&self.kind),
        }
    }
}

/// Streams NAL units from a reader, holding at most one unit plus a read chunk.
#[derive(Debug)]
pub struct AnnexBReader<R> {
    reader: R,
    codec: Codec,
    buf: Vec<u8>,
    eof: bool,
    /// NAL units larger than this are an error.
    pub max_nal: usize,
}

impl<R: Read> AnnexBReader<R> {
    /// A reader of `codec` NAL units.
    pub fn new(reader: R, codec: Codec) -> Self {
        Self {
            reader,
            codec,
            buf: Vec::new(),
            eof: false,
            max_nal: DEFAULT_MAX_NAL,
        }
    }

    fn fill(&mut self) -> Result<(), MediaError> {
        let old = self.buf.len();
        self.buf.resize(old + 64 * 1024, 0);
        let n = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e.into());
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Position just after the first start code in `buf`, if any.
    fn first_code_end(&self) -> Option<usize> {
        self.buf
            .windows(3)
            .position(|w| w == [0, 0, 1])
            .map(|p| p + 3)
    }

    /// The next NAL unit, or `None` at the end of the stream.
    pub fn next_nal(&mut self) -> Result<Option<NalUnit>, MediaError> {
        loop {
            // Need: a start code, then either the next start code or EOF.
            if let Some(start) = self.first_code_end() {
                let next = self.buf[start..].windows(3).position(|w| w == [0, 0, 1]);
                if let Some(rel) = next {
                    let end = start + rel;
                    let unit = annexb_nal_units(&self.buf[start..end])
                        .next()
                        .map(<[u8]>::to_vec);
                    self.buf.drain(..end);
                    match unit {
                        Some(data) => return self.unit(data).map(Some),
                        None => continue,
                    }
                }
                if self.eof {
                    let unit = annexb_nal_units(&self.buf[start..])
                        .next()
                        .map(<[u8]>::to_vec);
                    self.buf.clear();
                    return match unit {
                        Some(data) => self.unit(data).map(Some),
                        None => Ok(None),
                    };
                }
            } else if self.eof {
                if self.buf.iter().any(|&b| b != 0) {
                    self.buf.clear();
                    return Err(MediaError::Malformed {
                        format: FORMAT,
                        reason: "data without a start code",
                    });
                }
                return Ok(None);
            }
            if self.buf.len() > self.max_nal + 8 {
                return Err(MediaError::TooLarge {
                    format: FORMAT,
                    size: self.buf.len(),
                    limit: self.max_nal,
                });
            }
            self.fill()?;
        }
    }

    fn unit(&self, data: Vec<u8>) -> Result<NalUnit, MediaError> {
        if data.len() > self.max_nal {
            return Err(MediaError::TooLarge {
                format: FORMAT,
                size: data.len(),
                limit: self.max_nal,
            });
        }
        let kind = match self.codec {
            Codec::H264 => data[0] & 0x1F,
            Codec::H265 => {
                if data.len() < 2 {
                    return Err(MediaError::Malformed {
                        format: FORMAT,
                        reason: "H.265 NAL unit shorter than its header",
                    });
                }
                (data[0] >> 1) & 0x3F
            }
        };
        Ok(NalUnit { kind, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A reader that hands out one byte at a time, to cross every chunk boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.split_first() {
                Some((b, rest)) if !buf.is_empty() => {
                    buf[0] = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn h264_units() {
        let s = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0, 0, 3, 1, 7,
        ];
        for trickle in [false, true] {
            let mut r: AnnexBReader<Box<dyn Read>> = AnnexBReader::new(
                if trickle {
                    Box::new(Trickle(&s))
                } else {
                    Box::new(Cursor::new(s.to_vec()))
                },
                Codec::H264,
            );
            let a = r.next_nal().unwrap().unwrap();
            assert_eq!((a.kind, a.data.as_slice()), (7, &[0x67, 1, 2][..]));
            assert_eq!(r.next_nal().unwrap().unwrap().kind, 8);
            let c = r.next_nal().unwrap().unwrap();
            assert!(c.is_keyframe(Codec::H264));
            assert_eq!(c.data, [0x65, 0, 0, 3, 1, 7]);
            assert!(r.next_nal().unwrap().is_none());
        }
    }

    #[test]
    fn h265_units_and_errors() {
        let s = [0, 0, 1, 0x40, 0x01, 0x0C, 0, 0, 1, 0x26, 0x01, 0xAF];
        let mut r = AnnexBReader::new(Cursor::new(s), Codec::H265);
        assert_eq!(r.next_nal().unwrap().unwrap().kind, 32);
        assert!(r.next_nal().unwrap().unwrap().is_keyframe(Codec::H265));
        assert!(r.next_nal().unwrap().is_none());
        let mut r = AnnexBReader::new(Cursor::new([1u8, 2, 3]), Codec::H264);
        assert!(r.next_nal().is_err());
        let mut r = AnnexBReader::new(
            Cursor::new(
                vec![0u8, 0, 1, 0x65]
                    .into_iter()
                    .chain([7u8; 100])
                    .collect::<Vec<_>>(),
            ),
            Codec::H264,
        );
        r.max_nal = 10;
        assert!(matches!(r.next_nal(), Err(MediaError::TooLarge { .. })));
    }
}
