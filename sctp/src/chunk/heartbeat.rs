//! HEARTBEAT and HEARTBEAT ACK chunks (RFC 9260 §3.3.5, §3.3.6).

use bytes::Bytes;

use super::param::Parameter;
use crate::error::ParseError;

/// HEARTBEAT or HEARTBEAT ACK: one Heartbeat Info parameter, opaque to the receiver,
/// which echoes it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatChunk {
    /// The Heartbeat Information value (without its parameter header).
    pub info: Bytes,
}

impl HeartbeatChunk {
    pub(crate) fn parse(value: &Bytes) -> Result<Self, ParseError> {
        let (param, _) = Parameter::parse(value)?;
        match param {
            Parameter::HeartbeatInfo(info) => Ok(Self { info }),
            _ => Err(ParseError::InvalidValue {
                what: "HEARTBEAT without Heartbeat Info",
            }),
        }
    }

    pub(crate) fn value_len(&self) -> usize {
        // The parameter is the last thing in the chunk; its padding is the chunk's.
        4 + self.info.len()
    }

    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        let start = out.len();
        Parameter::HeartbeatInfo(self.info.clone()).write(out);
        // Chunk::write pads the chunk; drop the parameter's own padding.
        out.truncate(start + 4 + self.info.len());
    }
}
