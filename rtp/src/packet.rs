//! RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions.
//!
//! [`RtpPacket`] is a validated, borrowing view of a datagram; [`RtpHeader`] writes a
//! header into a caller's buffer (a stream's sender keeps one encoded as a
//! [`RtpHeaderTemplate`](crate::RtpHeaderTemplate)); [`RtpPacketMut`] rewrites a received header in place
//! (what an SFU does when forwarding).

use crate::error::RtpError;

/// Length of the fixed RTP header.
pub const FIXED_HEADER_LEN: usize = 12;
/// RFC 8285 §4.2: "the 16-bit value required by the RTP specification for a header
/// extension, labeled in the RTP specification as "defined by profile", MUST have the fixed
/// bit pattern 0xBEDE".
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// RFC 8285 §4.3: two-byte form profile is `0x100` followed by 4 "appbits".
pub const TWO_BYTE_PROFILE: u16 = 0x1000;
const TWO_BYTE_MASK: u16 = 0xFFF0;

/// Which header extension form a packet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionForm {
    /// RFC 8285 §4.2 one-byte header (ids 1–14, 1–16 data bytes).
    OneByte,
    /// RFC 8285 §4.3 two-byte header (ids 1–255, 0–255 data bytes); with
    /// `a=extmap-allow-mixed` it may carry ids below 15 too.
    TwoByte,
    /// A profile this crate does not split into elements; kept raw.
    Other(u16),
}

/// One header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// Local identifier negotiated with `a=extmap`.
    pub id: u8,
    /// Element data.
    pub data: &'a [u8],
}

/// Returns the length of the RTP header (fixed header + CSRCs + extension block) of
/// `buf`, checking only what that needs. `oxrtc-srtp` uses this to find the payload.
#[inline]
pub fn header_len(buf: &[u8]) -> Result<usize, RtpError> {
    if buf.len() < FIXED_HEADER_LEN {
        return Err(RtpError::TooShort {
            needed: FIXED_HEADER_LEN,
            have: buf.len(),
        });
    }
    let b0 = buf[0];
    if b0 >> 6 != 2 {
        return Err(RtpError::BadVersion(b0 >> 6));
    }
    let mut len = FIXED_HEADER_LEN + 4 * (b0 & 0x0F) as usize;
    if b0 & 0x10 != 0 {
        if buf.len() < len + 4 {
            return Err(RtpError::TooShort {
                needed: len + 4,
                have: buf.len(),
            });
        }
        let words = u16::from_be_bytes([buf[len + 2], buf[len + 3]]) as usize;
        len += 4 + 4 * words;
    }
    if buf.len() < len {
        return Err(RtpError::TooShort {
            needed: len,
            have: buf.len(),
        });
    }
    Ok(len)
}

/// A parsed RTP packet borrowing the datagram.
///
/// Parsing validates every length (CSRCs, extension block and its elements, padding), so
/// all accessors are infallible. Byte ranges ([`Self::payload_range`]) let a caller that
/// holds the datagram as [`bytes::Bytes`] slice the payload without copying.
#[derive(Debug, Clone, Copy)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// Start of the extension block's profile word, 0 when absent.
    ext_start: u16,
    header_len: u16,
    payload_end: u16,
}

impl<'a> RtpPacket<'a> {
    /// Parses and validates `buf` as one RTP packet.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() > u16::MAX as usize {
            return Err(RtpError::OutOfRange("packet longer than 65535 bytes"));
        }
        let header_len = header_len(buf)?;
        let b0 = buf[0];
        let ext_start = if b0 & 0x10 != 0 {
            let start = FIXED_HEADER_LEN + 4 * (b0 & 0x0F) as usize;
            validate_extension_block(buf, start, header_len)?;
            start
        } else {
            0
        };
        let mut payload_end = buf.len();
        if b0 & 0x20 != 0 {
            // RFC 3550 §5.1: "The last octet of the padding contains a count of how many
            // padding octets should be ignored, including itself."
            let pad = buf[buf.len() - 1];
            if pad == 0 || (pad as usize) > buf.len() - header_len {
                return Err(RtpError::BadPadding(pad));
            }
            payload_end -= pad as usize;
        }
        Ok(Self {
            buf,
            ext_start: ext_start as u16,
            header_len: header_len as u16,
            payload_end: payload_end as u16,
        })
    }

    /// The whole datagram.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// Version field (always 2 after parsing).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buf[0] >> 6
    }
    /// Padding bit.
    #[inline]
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }
    /// Number of padding bytes at the end (0 when the padding bit is clear).
    #[inline]
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end as usize
    }
    /// Marker bit.
    #[inline]
    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }
    /// Payload type.
    #[inline]
    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7F
    }
    /// Sequence number.
    #[inline]
    pub fn sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }
    /// RTP timestamp.
    #[inline]
    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
    }
    /// Synchronization source.
    #[inline]
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.buf[8], self.buf[9], self.buf[10], self.buf[11]])
    }
    /// Number of CSRCs.
    #[inline]
    pub fn csrc_count(&self) -> usize {
        (self.buf[0] & 0x0F) as usize
    }
    /// Contributing sources.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let n = self.csrc_count();
        self.buf[FIXED_HEADER_LEN..FIXED_HEADER_LEN + 4 * n]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
    /// Header length: fixed header, CSRCs and extension block.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len as usize
    }
    /// The payload, without padding.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len as usize..self.payload_end as usize]
    }
    /// Where the payload lies in the datagram, to slice a `Bytes` without copying.
    #[inline]
    pub fn payload_range(&self) -> std::ops::Range<usize> {
        self.header_len as usize..self.payload_end as usize
    }
    /// The extension form, when the X bit is set.
    pub fn extension_form(&self) -> Option<ExtensionForm> {
        if self.ext_start == 0 {
            return None;
        }
        Some(form_of(self.extension_profile_raw()))
    }
    fn extension_profile_raw(&self) -> u16 {
        let s = self.ext_start as usize;
        u16::from_be_bytes([self.buf[s], self.buf[s + 1]])
    }
    /// The "defined by profile" field of the extension block, when present.
    pub fn extension_profile(&self) -> Option<u16> {
        (self.ext_start != 0).then(|| self.extension_profile_raw())
    }
    /// The raw extension block data (after the 4-byte profile/length word).
    pub fn extension_data(&self) -> &'a [u8] {
        if self.ext_start == 0 {
            return &[];
        }
        &self.buf[self.ext_start as usize + 4..self.header_len as usize]
    }
    /// Iterates the RFC 8285 extension elements (empty for other profiles).
    pub fn extensions(&self) -> Extensions<'a> {
        let two_byte = match self.extension_form() {
            Some(ExtensionForm::OneByte) => false,
            Some(ExtensionForm::TwoByte) => true,
            _ => {
                return Extensions {
                    data: &[],
                    pos: 0,
                    two_byte: false,
                }
            }
        };
        Extensions {
            data: self.extension_data(),
            pos: 0,
            two_byte,
        }
    }
    /// The data of the first extension element with `id`.
    pub fn extension(&self, id: u8) -> Option<&'a [u8]> {
        self.extensions().find(|e| e.id == id).map(|e| e.data)
    }
}

fn form_of(profile: u16) -> ExtensionForm {
    if profile == ONE_BYTE_PROFILE {
        ExtensionForm::OneByte
    } else if profile & TWO_BYTE_MASK == TWO_BYTE_PROFILE {
        ExtensionForm::TwoByte
    } else {
        ExtensionForm::Other(profile)
    }
}

/// Copies `src` into `dst` (same length). Short elements (audio level, abs-send-time,
/// transport-cc) are the common case: fixed-size copies are plain stores, memcpy a call.
#[inline(always)]
pub(crate) fn copy_small(dst: &mut [u8], src: &[u8]) {
    // Extension data is 1 to 16 bytes in the one-byte form: two overlapping fixed-size
    // copies cover any length in a range without a call to memcpy.
    let n = src.len();
    if dst.len() != n {
        return dst.copy_from_slice(src);
    }
    match n {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        4..=7 => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[n - 4..].copy_from_slice(&src[n - 4..]);
        }
        8..=16 => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..].copy_from_slice(&src[n - 8..]);
        }
        _ => dst.copy_from_slice(src),
    }
}

/// Walks the extension elements once so later iteration cannot fail.
fn validate_extension_block(buf: &[u8], start: usize, end: usize) -> Result<(), RtpError> {
    let profile = u16::from_be_bytes([buf[start], buf[start + 1]]);
    let data = &buf[start + 4..end];
    match form_of(profile) {
        ExtensionForm::OneByte => {
            let mut i = 0;
            while i < data.len() {
                let b = data[i];
                let id = b >> 4;
                if id == 0 {
                    // RFC 8285 §4.2: padding bytes have the value 0 (id 0, length 0).
                    i += 1;
                    continue;
                }
                if id == 15 {
                    // RFC 8285 §4.2: "If the ID value 15 is encountered, its length field
                    // should be ignored, processing of the entire extension should
                    // terminate at that point".
                    return Ok(());
                }
                let len = (b & 0x0F) as usize + 1;
                if i + 1 + len > data.len() {
                    return Err(RtpError::BadExtension {
                        offset: start + 4 + i,
                    });
                }
                i += 1 + len;
            }
            Ok(())
        }
        ExtensionForm::TwoByte => {
            let mut i = 0;
            while i < data.len() {
                if data[i] == 0 {
                    i += 1;
                    continue;
                }
                if i + 2 > data.len() {
                    return Err(RtpError::BadExtension {
                        offset: start + 4 + i,
                    });
                }
                let len = data[i + 1] as usize;
                if i + 2 + len > data.len() {
                    return Err(RtpError::BadExtension {
                        offset: start + 4 + i,
                    });
                }
                i += 2 + len;
            }
            Ok(())
        }
        ExtensionForm::Other(_) => Ok(()),
    }
}

/// Iterator over validated extension elements.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    data: &'a [u8],
    pos: usize,
    two_byte: bool,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        // Bounds were validated in `RtpPacket::parse`; `get` keeps this panic-free anyway.
        loop {
            let b = *self.data.get(self.pos)?;
            if b == 0 {
                self.pos += 1;
                continue;
            }
            if self.two_byte {
                let len = *self.data.get(self.pos + 1)? as usize;
                let d = self.data.get(self.pos + 2..self.pos + 2 + len)?;
                self.pos += 2 + len;
                return Some(Extension { id: b, data: d });
            }
            let id = b >> 4;
            if id == 15 {
                self.pos = self.data.len();
                return None;
            }
            let len = (b & 0x0F) as usize + 1;
            let d = self.data.get(self.pos + 1..self.pos + 1 + len)?;
            self.pos += 1 + len;
            return Some(Extension { id, data: d });
        }
    }
}

/// Extension form the writer picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtensionFormChoice {
    /// One-byte when every element fits it, else two-byte.
    #[default]
    Auto,
    /// Always one-byte (an error when an element does not fit).
    OneByte,
    /// Always two-byte.
    TwoByte,
}

/// An RTP header to write. Borrowed slices keep writing allocation-free.
///
/// Each write validates and encodes the extension elements. A sender that writes many
/// packets with the same layout builds a [`RtpHeaderTemplate`](crate::RtpHeaderTemplate)
/// from it once instead.
///
/// ```
/// use oxrtc_rtp::{Extension, RtpHeader, RtpPacket};
/// let mut buf = [0u8; 1500];
/// let header = RtpHeader {
///     payload_type: 96,
///     sequence_number: 1,
///     timestamp: 3000,
///     ssrc: 0x1234,
///     extensions: &[Extension { id: 3, data: &[1, 2] }],
///     ..RtpHeader::default()
/// };
/// let n = header.write_packet(b"payload", &mut buf).unwrap();
/// let p = RtpPacket::parse(&buf[..n]).unwrap();
/// assert_eq!(p.extension(3), Some(&[1u8, 2][..]));
/// assert_eq!(p.payload(), b"payload");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    /// Marker bit.
    pub marker: bool,
    /// Payload type (7 bits).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrcs: &'a [u32],
    /// RFC 8285 extension elements.
    pub extensions: &'a [Extension<'a>],
    /// Which extension form to use.
    pub extension_form: ExtensionFormChoice,
    /// Padding bytes to append after the payload (0 = none; RFC 3550 padding, so the last
    /// byte holds the count).
    pub padding: u8,
}

impl RtpHeader<'_> {
    fn one_byte_error(&self) -> RtpError {
        let bad = self
            .extensions
            .iter()
            .find(|e| !((1..=14).contains(&e.id) && (1..=16).contains(&e.data.len())));
        RtpError::ExtensionNotRepresentable {
            id: bad.map_or(0, |e| e.id),
            len: bad.map_or(0, |e| e.data.len()),
            form: "one-byte",
        }
    }

    fn ext_body_len(&self, two_byte: bool) -> usize {
        let per = if two_byte { 2 } else { 1 };
        self.extensions.iter().map(|e| per + e.data.len()).sum()
    }

    /// Header length this header will occupy on the wire.
    pub fn encoded_len(&self) -> Result<usize, RtpError> {
        let mut len = FIXED_HEADER_LEN + 4 * self.csrcs.len();
        if !self.extensions.is_empty() {
            let two = self.choose_two_byte()?;
            len += 4 + self.ext_body_len(two).div_ceil(4) * 4;
        }
        Ok(len)
    }

    /// Writes the header (without payload or padding) into `buf`, returning its length.
    #[inline]
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, RtpError> {
        match self.write_one_byte_form(buf) {
            Some(len) => Ok(len),
            None => self.write_any_form(buf),
        }
    }

    /// The common case in one pass: elements that all fit the one-byte form, in a buffer
    /// that holds them. `None` leaves everything else (two-byte form, errors) to
    /// [`Self::write_any_form`], which may overwrite what this wrote.
    // Not inlined: as a leaf call it keeps the caller's registers free, which measured
    // faster (fewer instructions) than the same code inlined into a packetizing loop.
    #[inline(never)]
    fn write_one_byte_form(&self, buf: &mut [u8]) -> Option<usize> {
        // No CSRCs (only mixers add them): every offset below is a constant.
        if !self.csrcs.is_empty()
            | (self.payload_type > 127)
            | (self.extension_form == ExtensionFormChoice::TwoByte)
        {
            return None;
        }
        const EXTENSION_START: usize = FIXED_HEADER_LEN + 4;
        if self.extensions.is_empty() {
            self.write_fixed(buf.get_mut(..FIXED_HEADER_LEN)?, false);
            return Some(FIXED_HEADER_LEN);
        }
        let buf_len = buf.len();
        let (head, mut rest) = buf.split_first_chunk_mut::<EXTENSION_START>()?;
        // The fixed header first: none of its fields stays live across the loop.
        head[..4].copy_from_slice(&self.first_word(true).to_be_bytes());
        head[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        head[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        for e in self.extensions {
            let n = e.data.len();
            if (e.id.wrapping_sub(1) >= 14) | (n.wrapping_sub(1) >= 16) {
                return None;
            }
            // A fixed-size window lets the compiler see that every store below (and the
            // step past the element) is in bounds; a buffer that ends within it takes the
            // general path.
            let window = rest.first_chunk_mut::<17>()?;
            window[0] = e.id << 4 | (n as u8 - 1);
            copy_small(&mut window[1..1 + n], e.data);
            rest = &mut rest[1 + n..];
        }
        let body = buf_len - rest.len() - EXTENSION_START;
        // RFC 8285 §4.2: zero padding to the 32-bit boundary
        match rest.get_mut(..body.wrapping_neg() & 3)? {
            [] => {}
            [a] => *a = 0,
            [a, b] => (*a, *b) = (0, 0),
            [a, b, c] => (*a, *b, *c) = (0, 0, 0),
            _ => return None,
        }
        let words = body.div_ceil(4);
        let total = EXTENSION_START + 4 * words;
        // 16-bit length: only an absurd number of elements overflows it; the general path
        // reports that
        let words = u16::try_from(words).ok()?;
        let word = (ONE_BYTE_PROFILE as u32) << 16 | words as u32;
        head[12..].copy_from_slice(&word.to_be_bytes());
        Some(total)
    }

    /// Any form, with a typed error for whatever cannot be written.
    #[cold]
    #[inline(never)]
    fn write_any_form(&self, buf: &mut [u8]) -> Result<usize, RtpError> {
        if self.csrcs.len() > 15 {
            return Err(RtpError::OutOfRange("more than 15 CSRCs"));
        }
        if self.payload_type > 127 {
            return Err(RtpError::OutOfRange("payload type above 127"));
        }
        let base = FIXED_HEADER_LEN + 4 * self.csrcs.len();
        if self.extensions.is_empty() {
            let have = buf.len();
            let out = buf
                .get_mut(..base)
                .ok_or(RtpError::BufferTooSmall { needed: base, have })?;
            self.write_fixed(out, false);
            return Ok(base);
        }
        // Measure first, so the buffer is checked once and the elements are written
        // without per-element failure paths.
        let two_byte = self.choose_two_byte()?;
        let per_element = if two_byte { 2 } else { 1 };
        let body: usize = self
            .extensions
            .iter()
            .map(|e| per_element + e.data.len())
            .sum();
        let words = body.div_ceil(4);
        if words > u16::MAX as usize {
            return Err(RtpError::OutOfRange(
                "extension block longer than 65535 words",
            ));
        }
        let total = base + 4 + 4 * words;
        let have = buf.len();
        let out = buf.get_mut(..total).ok_or(RtpError::BufferTooSmall {
            needed: total,
            have,
        })?;
        // Zero the last word before the elements land: whatever they leave of it is the
        // (at most three bytes of) padding RFC 8285 §4.2 asks to be zero.
        out[total - 4..].copy_from_slice(&[0; 4]);
        let profile = if two_byte {
            TWO_BYTE_PROFILE
        } else {
            ONE_BYTE_PROFILE
        };
        let word = (profile as u32) << 16 | words as u32;
        out[base..base + 4].copy_from_slice(&word.to_be_bytes());
        let elements = &mut out[base + 4..];
        let mut i = 0;
        if two_byte {
            for e in self.extensions {
                let n = e.data.len();
                elements[i] = e.id;
                elements[i + 1] = n as u8;
                copy_small(&mut elements[i + 2..i + 2 + n], e.data);
                i += 2 + n;
            }
        } else {
            for e in self.extensions {
                let n = e.data.len();
                elements[i] = e.id << 4 | (n as u8).wrapping_sub(1);
                copy_small(&mut elements[i + 1..i + 1 + n], e.data);
                i += 1 + n;
            }
        }
        self.write_fixed(out, true);
        Ok(total)
    }

    /// The form the elements are written in, checking each element fits it.
    #[inline]
    fn choose_two_byte(&self) -> Result<bool, RtpError> {
        // Branch-free test of the common case: every element fits the one-byte form.
        let fits_one = self.extensions.iter().fold(true, |fits, e| {
            fits & (e.id.wrapping_sub(1) < 14) & (e.data.len().wrapping_sub(1) < 16)
        });
        if fits_one && self.extension_form != ExtensionFormChoice::TwoByte {
            return Ok(false);
        }
        if self.extension_form == ExtensionFormChoice::OneByte {
            return Err(self.one_byte_error());
        }
        if let Some(e) = self
            .extensions
            .iter()
            .find(|e| e.id == 0 || e.data.len() > 255)
        {
            return Err(RtpError::ExtensionNotRepresentable {
                id: e.id,
                len: e.data.len(),
                form: "two-byte",
            });
        }
        Ok(true)
    }

    /// V, P, X, CC, M, PT and the sequence number: the first 32-bit word.
    #[inline]
    fn first_word(&self, has_ext: bool) -> u32 {
        let b0 = 0x80
            | if self.padding > 0 { 0x20 } else { 0 }
            | if has_ext { 0x10 } else { 0 }
            | self.csrcs.len() as u32;
        let b1 = (self.marker as u32) << 7 | self.payload_type as u32;
        b0 << 24 | b1 << 16 | self.sequence_number as u32
    }

    /// Writes the fixed header and the CSRC list into `out` (at least `base` long).
    #[inline]
    fn write_fixed(&self, out: &mut [u8], has_ext: bool) {
        let (fixed, rest) = out.split_at_mut(FIXED_HEADER_LEN);
        // three big-endian words rather than twelve byte stores
        fixed[0..4].copy_from_slice(&self.first_word(has_ext).to_be_bytes());
        fixed[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        fixed[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        for (chunk, c) in rest.chunks_exact_mut(4).zip(self.csrcs) {
            chunk.copy_from_slice(&c.to_be_bytes());
        }
    }

    /// Writes header, `payload` and padding into `buf`, returning the packet length.
    pub fn write_packet(&self, payload: &[u8], buf: &mut [u8]) -> Result<usize, RtpError> {
        let h = self.write(buf)?;
        let total = h + payload.len() + self.padding as usize;
        if buf.len() < total {
            return Err(RtpError::BufferTooSmall {
                needed: total,
                have: buf.len(),
            });
        }
        buf[h..h + payload.len()].copy_from_slice(payload);
        if self.padding > 0 {
            let p = h + payload.len();
            buf[p..total - 1].fill(0);
            buf[total - 1] = self.padding;
        }
        Ok(total)
    }

    /// Appends header, payload and padding to `out`.
    pub fn append_packet(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<usize, RtpError> {
        let start = out.len();
        let total = self.encoded_len()? + payload.len() + self.padding as usize;
        out.resize(start + total, 0);
        let n = self.write_packet(payload, &mut out[start..])?;
        out.truncate(start + n);
        Ok(n)
    }
}

/// A received packet whose header is rewritten in place (SSRC, sequence number,
/// timestamp, payload type, marker, extension ids and data) without copying the payload.
///
/// ```
/// use oxrtc_rtp::{RtpHeader, RtpPacketMut, RtpPacket};
/// let mut buf = [0u8; 64];
/// let n = RtpHeader { payload_type: 96, ssrc: 1, ..Default::default() }
///     .write_packet(b"x", &mut buf).unwrap();
/// let mut p = RtpPacketMut::new(&mut buf[..n]).unwrap();
/// p.set_ssrc(0xCAFE);
/// p.set_sequence_number(7);
/// assert_eq!(RtpPacket::parse(&buf[..n]).unwrap().ssrc(), 0xCAFE);
/// ```
#[derive(Debug)]
pub struct RtpPacketMut<'a> {
    buf: &'a mut [u8],
    ext_start: usize,
    header_len: usize,
}

impl<'a> RtpPacketMut<'a> {
    /// Validates `buf` like [`RtpPacket::parse`] and wraps it for in-place edits.
    pub fn new(buf: &'a mut [u8]) -> Result<Self, RtpError> {
        let p = RtpPacket::parse(buf)?;
        let (ext_start, header_len) = (p.ext_start as usize, p.header_len());
        Ok(Self {
            buf,
            ext_start,
            header_len,
        })
    }
    /// A read-only view of the current bytes.
    pub fn view(&self) -> RtpPacket<'_> {
        // The caller may have rewritten the padding count through `payload_mut`; clamp
        // so the view never reaches into the header.
        let body = self.buf.len() - self.header_len;
        let payload_end = if self.buf[0] & 0x20 != 0 {
            let pad = (self.buf[self.buf.len() - 1] as usize).min(body);
            self.buf.len() - pad
        } else {
            self.buf.len()
        };
        RtpPacket {
            buf: self.buf,
            ext_start: self.ext_start as u16,
            header_len: self.header_len as u16,
            payload_end: payload_end as u16,
        }
    }
    /// Sets the marker bit.
    pub fn set_marker(&mut self, marker: bool) {
        self.buf[1] = (self.buf[1] & 0x7F) | (marker as u8) << 7;
    }
    /// Sets the payload type (the top bit is ignored).
    pub fn set_payload_type(&mut self, pt: u8) {
        self.buf[1] = (self.buf[1] & 0x80) | (pt & 0x7F);
    }
    /// Sets the sequence number.
    pub fn set_sequence_number(&mut self, seq: u16) {
        self.buf[2..4].copy_from_slice(&seq.to_be_bytes());
    }
    /// Sets the timestamp.
    pub fn set_timestamp(&mut self, ts: u32) {
        self.buf[4..8].copy_from_slice(&ts.to_be_bytes());
    }
    /// Sets the SSRC.
    pub fn set_ssrc(&mut self, ssrc: u32) {
        self.buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
    }
    /// Header length (where the payload starts).
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// The payload and any padding, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.header_len..]
    }

    /// Visits every extension element with its mutable data; the closure returns the new
    /// id, or `None` to blank the element out (it becomes padding bytes). An id the form
    /// cannot hold (one-byte: 1–14) also blanks the element.
    pub fn rewrite_extensions(&mut self, mut f: impl FnMut(u8, &mut [u8]) -> Option<u8>) {
        if self.ext_start == 0 {
            return;
        }
        let profile = u16::from_be_bytes([self.buf[self.ext_start], self.buf[self.ext_start + 1]]);
        let form = form_of(profile);
        let data = &mut self.buf[self.ext_start + 4..self.header_len];
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            if b == 0 {
                i += 1;
                continue;
            }
            let (id, hdr, len) = match form {
                ExtensionForm::OneByte => {
                    if b >> 4 == 15 {
                        return;
                    }
                    (b >> 4, 1, (b & 0x0F) as usize + 1)
                }
                ExtensionForm::TwoByte => match data.get(i + 1) {
                    Some(&l) => (b, 2, l as usize),
                    None => return,
                },
                ExtensionForm::Other(_) => return,
            };
            let Some(elem) = data.get_mut(i + hdr..i + hdr + len) else {
                return;
            };
            let new_id = f(id, elem);
            match (form, new_id) {
                (ExtensionForm::OneByte, Some(n)) if (1..=14).contains(&n) => {
                    data[i] = n << 4 | (b & 0x0F);
                }
                (ExtensionForm::TwoByte, Some(n)) if n != 0 => data[i] = n,
                _ => data[i..i + hdr + len].fill(0),
            }
            i += hdr + len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3550 example-ish packet: V=2, M=1, PT=96, seq 0x1234, ts 0xDEADBEEF, SSRC 0x01020304.
    const BASIC: [u8; 16] = [
        0x80, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04, 0xAA, 0xBB, 0xCC,
        0xDD,
    ];

    #[test]
    fn parse_basic() {
        let p = RtpPacket::parse(&BASIC).unwrap();
        assert_eq!(p.version(), 2);
        assert!(p.marker());
        assert_eq!(p.payload_type(), 96);
        assert_eq!(p.sequence_number(), 0x1234);
        assert_eq!(p.timestamp(), 0xDEADBEEF);
        assert_eq!(p.ssrc(), 0x01020304);
        assert_eq!(p.payload(), &[0xAA, 0xBB, 0xCC, 0xDD]);
        assert_eq!(p.header_len(), 12);
        assert_eq!(p.extension_form(), None);
        let h = RtpHeader {
            marker: true,
            payload_type: 96,
            sequence_number: 0x1234,
            timestamp: 0xDEADBEEF,
            ssrc: 0x01020304,
            ..Default::default()
        };
        let mut out = [0u8; 16];
        assert_eq!(
            h.write_packet(&[0xAA, 0xBB, 0xCC, 0xDD], &mut out).unwrap(),
            16
        );
        assert_eq!(out, BASIC);
    }

    /// The one-pass writer and the general one must agree byte for byte, whatever the
    /// buffer held before and however tight it is.
    #[test]
    fn one_byte_fast_path_matches_general_writer() {
        let data: Vec<u8> = (1..=16).collect();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..2000 {
            let count = next(6) as usize;
            let extensions: Vec<Extension<'_>> = (0..count)
                .map(|_| Extension {
                    id: 1 + next(14) as u8,
                    data: &data[..1 + next(16) as usize],
                })
                .collect();
            let csrcs: Vec<u32> = (0..next(3) as u32).collect();
            let header = RtpHeader {
                marker: next(2) == 1,
                payload_type: next(128) as u8,
                sequence_number: next(1 << 16) as u16,
                csrcs: &csrcs,
                extensions: &extensions,
                ..Default::default()
            };
            let len = header.encoded_len().unwrap();
            let mut general = vec![0xFF; len];
            assert_eq!(header.write_any_form(&mut general).unwrap(), len);
            for slack in [0, 1, 3, 17, 40] {
                let mut out = vec![0xFF; len + slack];
                assert_eq!(header.write(&mut out).unwrap(), len);
                assert_eq!(out[..len], general[..]);
                assert!(
                    out[len..].iter().all(|&b| b == 0xFF),
                    "wrote past the header"
                );
            }
            assert!(header.write(&mut vec![0; len - 1]).is_err());
            let p = RtpPacket::parse(&general).unwrap();
            assert!(p.extensions().eq(extensions.iter().copied()));
        }
    }

    #[test]
    fn one_byte_extension_rfc8285_example() {
        // RFC 8285 §4.2 figure: ID 1 L=0 (1 byte), ID 2 L=1 (2 bytes), padding, ID 3 L=3.
        let pkt = [
            0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, // fixed header, X=1
            0xBE, 0xDE, 0x00, 0x03, // profile, 3 words
            0x10, 0xAA, 0x21, 0xBB, //
            0xBB, 0x00, 0x00, 0x33, //
            0xCC, 0xCC, 0xCC, 0xCC, //
            0x55, // payload
        ];
        let p = RtpPacket::parse(&pkt).unwrap();
        assert_eq!(p.extension_form(), Some(ExtensionForm::OneByte));
        let v: Vec<_> = p.extensions().collect();
        assert_eq!(v.len(), 3);
        assert_eq!(
            v[0],
            Extension {
                id: 1,
                data: &[0xAA]
            }
        );
        assert_eq!(
            v[1],
            Extension {
                id: 2,
                data: &[0xBB, 0xBB]
            }
        );
        assert_eq!(
            v[2],
            Extension {
                id: 3,
                data: &[0xCC; 4]
            }
        );
        assert_eq!(p.payload(), &[0x55]);
    }

    #[test]
    fn two_byte_and_mixed_round_trip() {
        let big = [7u8; 40];
        let exts = [
            Extension { id: 1, data: &[1] },
            Extension { id: 20, data: &big },
            Extension { id: 5, data: &[] },
        ];
        let h = RtpHeader {
            payload_type: 111,
            sequence_number: 65535,
            timestamp: 1,
            ssrc: 9,
            csrcs: &[1, 2, 3],
            extensions: &exts,
            padding: 4,
            ..Default::default()
        };
        let mut buf = vec![];
        h.append_packet(b"hello", &mut buf).unwrap();
        let p = RtpPacket::parse(&buf).unwrap();
        assert_eq!(p.extension_form(), Some(ExtensionForm::TwoByte));
        let v: Vec<_> = p.extensions().collect();
        assert_eq!(v, exts);
        assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(p.payload(), b"hello");
        assert_eq!(p.padding_len(), 4);
        assert_eq!(p.header_len(), h.encoded_len().unwrap());
        assert_eq!(header_len(&buf).unwrap(), p.header_len());
    }

    #[test]
    fn one_byte_forced_rejects_big() {
        let exts = [Extension { id: 20, data: &[1] }];
        let h = RtpHeader {
            extensions: &exts,
            extension_form: ExtensionFormChoice::OneByte,
            ..Default::default()
        };
        assert!(matches!(
            h.write(&mut [0u8; 64]),
            Err(RtpError::ExtensionNotRepresentable { .. })
        ));
    }

    #[test]
    fn id15_stops_parsing() {
        let pkt = [
            0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0xF3,
            0x00,
        ];
        let p = RtpPacket::parse(&pkt).unwrap();
        assert_eq!(p.extensions().count(), 1);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            RtpPacket::parse(&BASIC[..11]),
            Err(RtpError::TooShort { .. })
        ));
        let mut b = BASIC;
        b[0] = 0x40;
        assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::BadVersion(1));
        let mut b = BASIC;
        b[0] = 0xA0;
        b[15] = 0;
        assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::BadPadding(0));
        b[15] = 4;
        assert_eq!(RtpPacket::parse(&b).unwrap().payload(), &[] as &[u8]);
        b[15] = 5;
        assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::BadPadding(5));
        let mut b = BASIC;
        b[0] = 0x82; // 2 CSRCs, only 4 bytes
        assert!(matches!(
            RtpPacket::parse(&b),
            Err(RtpError::TooShort { .. })
        ));
        // extension element overruns its block
        let pkt = [
            0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xBE, 0xDE, 0x00, 0x01, 0x13, 0xAA, 0, 0,
        ];
        assert!(matches!(
            RtpPacket::parse(&pkt),
            Err(RtpError::BadExtension { .. })
        ));
    }

    #[test]
    fn in_place_rewrite() {
        let exts = [
            Extension {
                id: 1,
                data: &[1, 2],
            },
            Extension { id: 2, data: &[3] },
        ];
        let h = RtpHeader {
            payload_type: 96,
            extensions: &exts,
            ..Default::default()
        };
        let mut buf = vec![];
        h.append_packet(b"abc", &mut buf).unwrap();
        let mut m = RtpPacketMut::new(&mut buf).unwrap();
        m.set_marker(true);
        m.set_payload_type(100);
        m.set_timestamp(77);
        m.rewrite_extensions(|id, d| {
            if id == 1 {
                d[0] = 9;
                Some(4)
            } else {
                None
            }
        });
        let v = m.view();
        assert!(v.marker());
        assert_eq!(v.payload_type(), 100);
        assert_eq!(v.timestamp(), 77);
        assert_eq!(
            v.extensions().collect::<Vec<_>>(),
            vec![Extension {
                id: 4,
                data: &[9, 2]
            }]
        );
        assert_eq!(v.payload(), b"abc");
        // a padding count rewritten to nonsense cannot make the view panic
        let mut buf = vec![];
        RtpHeader {
            padding: 2,
            ..Default::default()
        }
        .append_packet(b"xy", &mut buf)
        .unwrap();
        let mut m = RtpPacketMut::new(&mut buf).unwrap();
        let p = m.payload_mut();
        let last = p.len() - 1;
        p[last] = 200;
        assert_eq!(m.view().payload(), b"");
    }
}
