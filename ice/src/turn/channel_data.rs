//! ChannelData messages (RFC 8656 §12.4) and stream framing of TURN over TCP/TLS
//! (RFC 8656 §12.5).

use super::TurnError;
use crate::stun::{message_len, HEADER_LEN};

/// RFC 8656 §12: channel numbers 0x4000 through 0x4FFF are valid.
pub const CHANNEL_MIN: u16 = 0x4000;
/// The highest channel number RFC 8656 allows; our client allocates up to this one.
pub const CHANNEL_MAX: u16 = 0x4FFF;
/// The highest channel number RFC 5766 allowed. Deployed RFC 5766 clients (coturn's
/// among them) still pick numbers up to here, so they are accepted on receipt.
pub const CHANNEL_MAX_RFC5766: u16 = 0x7FFE;
/// ChannelData header: channel number and length.
pub const CHANNEL_DATA_HEADER_LEN: usize = 4;

/// Whether `channel` is acceptable: 0x4000..=0x7FFE (RFC 5766), a superset of the
/// RFC 8656 range so older clients interoperate.
pub const fn is_valid_channel(channel: u16) -> bool {
    channel >= CHANNEL_MIN && channel <= CHANNEL_MAX_RFC5766
}

/// Cheap demultiplexing test: first byte 64..=127, the RFC 5766 channel range (RFC 7983
/// assigns 64..=79 to TURN channels; 80..=127 are unassigned and only appear from RFC
/// 5766 clients).
pub fn is_channel_data(data: &[u8]) -> bool {
    data.len() >= CHANNEL_DATA_HEADER_LEN && (64..=127).contains(&data[0])
}

/// A ChannelData message borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// Channel number (0x4000..=0x4FFF).
    pub channel: u16,
    /// Application data.
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// Decodes one ChannelData message. Over UDP the datagram may carry padding or not
    /// (RFC 8656 §12.5: "the padding is not required"); anything after the announced
    /// length is ignored. Over a stream, cut the frame with [`frame_len`] first.
    pub fn decode(buf: &'a [u8]) -> Result<Self, TurnError> {
        if buf.len() < CHANNEL_DATA_HEADER_LEN {
            return Err(TurnError::Truncated);
        }
        let channel = u16::from_be_bytes([buf[0], buf[1]]);
        if !is_valid_channel(channel) {
            return Err(TurnError::InvalidChannel(channel));
        }
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        let data = buf
            .get(CHANNEL_DATA_HEADER_LEN..CHANNEL_DATA_HEADER_LEN + len)
            .ok_or(TurnError::Truncated)?;
        Ok(Self { channel, data })
    }

    /// Appends the message to `out`; `padded` rounds it up to a multiple of 4 as TCP
    /// and TLS require (RFC 8656 §12.5), UDP does not need it.
    pub fn encode(&self, padded: bool, out: &mut Vec<u8>) -> Result<(), TurnError> {
        let len = u16::try_from(self.data.len()).map_err(|_| TurnError::TooLong)?;
        if !is_valid_channel(self.channel) {
            return Err(TurnError::InvalidChannel(self.channel));
        }
        out.extend_from_slice(&self.channel.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(self.data);
        if padded {
            let pad = (4 - self.data.len() % 4) % 4;
            out.extend_from_slice(&[0u8; 3][..pad]);
        }
        Ok(())
    }
}

/// Length of the next frame (STUN message, or padded ChannelData message) at the start
/// of a TURN TCP/TLS stream buffer. `Ok(None)` means more bytes are needed to know;
/// an error means the stream is not TURN and should be closed.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, TurnError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    if is_channel_data(buf) {
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        return Ok(Some(CHANNEL_DATA_HEADER_LEN + ((len + 3) & !3)));
    }
    match message_len(buf) {
        Some(n) if n >= HEADER_LEN && n % 4 == 0 => Ok(Some(n)),
        _ => Err(TurnError::BadFrame(buf[0])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_udp_and_tcp_padding() {
        for (data, padded, want_len) in [
            (&b"abc"[..], false, 7),
            (&b"abc"[..], true, 8),
            (&b"abcd"[..], true, 8),
            (&b""[..], true, 4),
        ] {
            let mut out = Vec::new();
            ChannelData {
                channel: 0x4001,
                data,
            }
            .encode(padded, &mut out)
            .unwrap();
            assert_eq!(out.len(), want_len);
            assert_eq!(frame_len(&out).unwrap(), Some(4 + ((data.len() + 3) & !3)));
            let back = ChannelData::decode(&out).unwrap();
            assert_eq!(back.channel, 0x4001);
            assert_eq!(back.data, data);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(ChannelData::decode(&[0x40, 0]), Err(TurnError::Truncated));
        assert_eq!(
            ChannelData::decode(&[0x40, 0, 0, 5, 1, 2]),
            Err(TurnError::Truncated)
        );
        assert_eq!(
            ChannelData::decode(&[0x7f, 0xff, 0, 0]),
            Err(TurnError::InvalidChannel(0x7fff))
        );
        assert_eq!(
            ChannelData::decode(&[0x59, 0x9a, 0, 1, 7]).map(|c| c.channel),
            Ok(0x599a)
        );
        assert!(ChannelData {
            channel: 0x3fff,
            data: b""
        }
        .encode(false, &mut Vec::new())
        .is_err());
        assert!(!is_channel_data(&[0x00, 1, 0, 0]));
        assert_eq!(frame_len(&[0x40, 0]), Ok(None));
        assert_eq!(frame_len(&[0x00, 1, 0, 8]), Ok(Some(28)));
        assert_eq!(frame_len(&[0x80, 1, 0, 8]), Err(TurnError::BadFrame(0x80)));
    }
}
