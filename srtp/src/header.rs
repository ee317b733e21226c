//! The few RTP/RTCP header fields SRTP needs, every bound checked.

use crate::Error;

/// RFC 3550 §5.1: the fixed RTP header is 12 bytes.
pub(crate) const RTP_FIXED_HEADER_LEN: usize = 12;
/// RFC 3711 §3.4: SRTCP leaves the first 8 bytes (V/P/RC, PT, length, SSRC) in the clear.
pub(crate) const RTCP_HEADER_LEN: usize = 8;

/// The RTP header length of `packet`: 12 + 4·CC, plus the header extension when X is set
/// (RFC 3550 §5.1, §5.3.1). Fails when the packet is not version 2 or ends inside its
/// header.
pub(crate) fn rtp_header_len(packet: &[u8]) -> Result<usize, Error> {
    let first = *packet.first().ok_or(Error::Truncated {
        len: 0,
        needed: RTP_FIXED_HEADER_LEN,
    })?;
    check_version(first)?;
    let mut len = RTP_FIXED_HEADER_LEN + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        // RFC 3550 §5.3.1: 16-bit profile-defined field, 16-bit length in 32-bit words,
        // not counting this 4-byte extension header.
        let ext = packet.get(len..len + 4).ok_or(Error::Truncated {
            len: packet.len(),
            needed: len + 4,
        })?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    if len > packet.len() {
        return Err(Error::Truncated {
            len: packet.len(),
            needed: len,
        });
    }
    Ok(len)
}

/// Checks the version field of an RTP or RTCP first byte.
pub(crate) fn check_version(first: u8) -> Result<(), Error> {
    match first >> 6 {
        2 => Ok(()),
        version => Err(Error::InvalidVersion { version }),
    }
}

/// Sequence number and SSRC of an RTP header of at least 12 bytes.
pub(crate) fn rtp_seq_ssrc(header: &[u8]) -> (u16, u32) {
    (
        u16::from_be_bytes([header[2], header[3]]),
        u32::from_be_bytes([header[8], header[9], header[10], header[11]]),
    )
}

/// SSRC (of the sender) of an RTCP header of at least 8 bytes.
pub(crate) fn rtcp_ssrc(header: &[u8]) -> u32 {
    u32::from_be_bytes([header[4], header[5], header[6], header[7]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_header_is_12_bytes() {
        let mut p = [0u8; 20];
        p[0] = 0x80;
        assert_eq!(rtp_header_len(&p), Ok(12));
        assert_eq!(rtp_header_len(&p[..12]), Ok(12));
    }

    #[test]
    fn csrcs_and_extension_are_counted() {
        let mut p = vec![0u8; 12 + 8 + 4 + 8 + 3];
        p[0] = 0x80 | 0x10 | 2; // X, CC = 2
        p[20..24].copy_from_slice(&[0xbe, 0xde, 0x00, 0x02]);
        assert_eq!(rtp_header_len(&p), Ok(32));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let mut p = vec![0u8; 12 + 8 + 4 + 8];
        p[0] = 0x80 | 0x10 | 2;
        p[20..24].copy_from_slice(&[0xbe, 0xde, 0x00, 0x02]);
        for cut in 0..p.len() {
            assert!(
                matches!(rtp_header_len(&p[..cut]), Err(Error::Truncated { .. })),
                "{cut}"
            );
        }
        // An extension length running past the end.
        p[22..24].copy_from_slice(&[0xff, 0xff]);
        assert!(matches!(
            rtp_header_len(&p),
            Err(Error::Truncated {
                needed: 262_164,
                ..
            })
        ));
    }

    #[test]
    fn other_versions_are_refused() {
        let p = [0x40u8; 12];
        assert_eq!(
            rtp_header_len(&p),
            Err(Error::InvalidVersion { version: 1 })
        );
    }
}
