//! IVF (the libvpx container): a 32-byte file header, then frames each behind a 12-byte
//! header (little-endian size and timestamp).

use std::io::{Read, Seek, SeekFrom, Write};

use crate::error::MediaError;

const FORMAT: &str = "IVF";
/// Default bound on one frame.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// The IVF file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvfHeader {
    /// Codec FourCC: `VP80`, `VP90` or `AV01`.
    pub fourcc: [u8; 4],
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Time base denominator (e.g. 90000 or 30).
    pub timebase_den: u32,
    /// Time base numerator (e.g. 1).
    pub timebase_num: u32,
    /// Frame count (writers that cannot seek leave 0).
    pub frame_count: u32,
}

impl IvfHeader {
    fn encode(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..4].copy_from_slice(b"DKIF");
        b[4..6].copy_from_slice(&0u16.to_le_bytes());
        b[6..8].copy_from_slice(&32u16.to_le_bytes());
        b[8..12].copy_from_slice(&self.fourcc);
        b[12..14].copy_from_slice(&self.width.to_le_bytes());
        b[14..16].copy_from_slice(&self.height.to_le_bytes());
        b[16..20].copy_from_slice(&self.timebase_den.to_le_bytes());
        b[20..24].copy_from_slice(&self.timebase_num.to_le_bytes());
        b[24..28].copy_from_slice(&self.frame_count.to_le_bytes());
        b
    }
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfFrame {
    /// Presentation timestamp in time base units.
    pub timestamp: u64,
    /// Frame data.
    pub data: Vec<u8>,
}

/// Reads an IVF file.
#[derive(Debug)]
pub struct IvfReader<R> {
    reader: R,
    header: IvfHeader,
    /// Frames larger than this are an error.
    pub max_frame: usize,
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<bool, MediaError> {
    // Ok(false) on a clean end of file before the first byte.
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => {
                return Err(MediaError::Malformed {
                    format: FORMAT,
                    reason: "truncated",
                })
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

impl<R: Read> IvfReader<R> {
    /// Reads and checks the file header.
    pub fn new(mut reader: R) -> Result<Self, MediaError> {
        let mut b = [0u8; 32];
        if !read_full(&mut reader, &mut b)? {
            return Err(MediaError::BadHeader {
                format: FORMAT,
                reason: "empty file",
            });
        }
        if &b[0..4] != b"DKIF" {
            return Err(MediaError::BadHeader {
                format: FORMAT,
                reason: "signature is not DKIF",
            });
        }
        let header_size = u16::from_le_bytes([b[6], b[7]]) as usize;
        if header_size < 32 {
            return Err(MediaError::BadHeader {
                format: FORMAT,
                reason: "header size below 32",
            });
        }
        // skip any extra header bytes
        let mut extra = header_size - 32;
        let mut skip = [0u8; 64];
        while extra > 0 {
            let n = extra.min(64);
            if !read_full(&mut reader, &mut skip[..n])? {
                return Err(MediaError::BadHeader {
                    format: FORMAT,
                    reason: "truncated header",
                });
            }
            extra -= n;
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Ok(Self {
            header: IvfHeader {
                fourcc: [b[8], b[9], b[10], b[11]],
                width: u16::from_le_bytes([b[12], b[13]]),
                height: u16::from_le_bytes([b[14], b[15]]),
                timebase_den: u32_at(16),
                timebase_num: u32_at(20),
                frame_count: u32_at(24),
            },
            reader,
            max_frame: DEFAULT_MAX_FRAME,
        })
    }

    /// The file header.
    pub fn header(&self) -> &IvfHeader {
        &self.header
    }

    /// The next frame, or `None` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<IvfFrame>, MediaError> {
        let mut h = [0u8; 12];
        if !read_full(&mut self.reader, &mut h)? {
            return Ok(None);
        }
        let size = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if size > self.max_frame {
            return Err(MediaError::TooLarge {
                format: FORMAT,
                size,
                limit: self.max_frame,
            });
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&h[4..12]);
        let mut data = vec![0u8; size];
        if size > 0 && !read_full(&mut self.reader, &mut data)? {
            return Err(MediaError::Malformed {
                format: FORMAT,
                reason: "frame truncated",
            });
        }
        Ok(Some(IvfFrame {
            timestamp: u64::from_le_bytes(ts),
            data,
        }))
    }
}

/// Writes an IVF file.
#[derive(Debug)]
pub struct IvfWriter<W> {
    writer: W,
    header: IvfHeader,
    frames: u32,
}

impl<W: Write> IvfWriter<W> {
    /// Writes the file header.
    pub fn new(mut writer: W, header: IvfHeader) -> Result<Self, MediaError> {
        writer.write_all(&header.encode())?;
        Ok(Self {
            writer,
            header,
            frames: 0,
        })
    }

    /// Appends one frame.
    pub fn write_frame(&mut self, timestamp: u64, data: &[u8]) -> Result<(), MediaError> {
        let size = u32::try_from(data.len()).map_err(|_| MediaError::TooLarge {
            format: FORMAT,
            size: data.len(),
            limit: u32::MAX as usize,
        })?;
        let mut h = [0u8; 12];
        h[0..4].copy_from_slice(&size.to_le_bytes());
        h[4..12].copy_from_slice(&timestamp.to_le_bytes());
        self.writer.write_all(&h)?;
        self.writer.write_all(data)?;
        self.frames = self.frames.saturating_add(1);
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Flushes and returns the writer.
    pub fn into_inner(mut self) -> Result<W, MediaError> {
        self.writer.flush()?;
        Ok(self.writer)
    }
}

impl<W: Write + Seek> IvfWriter<W> {
    /// Rewrites the header with the final frame count, then returns the writer.
    pub fn finish(mut self) -> Result<W, MediaError> {
        let end = self.writer.stream_position()?;
        self.header.frame_count = self.frames;
        self.writer.seek(SeekFrom::Start(0))?;
        self.writer.write_all(&self.header.encode())?;
        self.writer.seek(SeekFrom::Start(end))?;
        self.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header() -> IvfHeader {
        IvfHeader {
            fourcc: *b"VP80",
            width: 640,
            height: 480,
            timebase_den: 30,
            timebase_num: 1,
            frame_count: 0,
        }
    }

    #[test]
    fn round_trip_and_known_header() {
        let mut w = IvfWriter::new(Cursor::new(Vec::new()), header()).unwrap();
        w.write_frame(0, &[1, 2, 3]).unwrap();
        w.write_frame(1, &[]).unwrap();
        w.write_frame(2, &[9; 1000]).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        // libvpx layout: "DKIF", version 0, header size 32, fourcc, 640x480, 30/1, 3 frames
        assert_eq!(
            &bytes[..28],
            &[
                b'D', b'K', b'I', b'F', 0, 0, 32, 0, b'V', b'P', b'8', b'0', 0x80, 0x02, 0xE0,
                0x01, 30, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0
            ]
        );
        assert_eq!(&bytes[32..44], &[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut r = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(r.header().frame_count, 3);
        assert_eq!(r.next_frame().unwrap().unwrap().data, [1, 2, 3]);
        assert_eq!(r.next_frame().unwrap().unwrap().timestamp, 1);
        assert_eq!(r.next_frame().unwrap().unwrap().data.len(), 1000);
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn bad_input() {
        assert!(IvfReader::new(Cursor::new(b"RIFF")).is_err());
        let mut bytes = header().encode().to_vec();
        bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut r = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert!(matches!(r.next_frame(), Err(MediaError::TooLarge { .. })));
        let mut bytes = header().encode().to_vec();
        bytes.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let mut r = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert!(matches!(r.next_frame(), Err(MediaError::Malformed { .. })));
    }
}
