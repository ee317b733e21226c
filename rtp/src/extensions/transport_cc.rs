//! Transport-wide sequence number
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).

use super::{check_out, exact, HeaderExtension};
use crate::error::ExtensionError;

/// "16-bit transport-wide sequence number" shared by all media streams of a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportSequenceNumber(pub u16);

impl HeaderExtension<'_> for TransportSequenceNumber {
    const URI: &'static str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        Ok(Self(u16::from_be_bytes(exact::<2>("transport-cc", data)?)))
    }
    fn encoded_len(&self) -> usize {
        2
    }
    fn write(&self, buf: &mut [u8]) -> Result<usize, ExtensionError> {
        check_out(buf, 2)?;
        buf[..2].copy_from_slice(&self.0.to_be_bytes());
        Ok(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(
            super::super::round_trip(&TransportSequenceNumber(0x1234), &mut [0; 2]),
            [0x12, 0x34]
        );
        assert!(TransportSequenceNumber::parse(&[1]).is_err());
    }
}
