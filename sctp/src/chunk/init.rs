//! INIT and INIT ACK chunks (RFC 9260 §3.3.2, §3.3.3): the same fixed fields followed by
//! parameters.

use bytes::{BufMut, Bytes};

use super::param::Parameter;
use super::{need, read_u16, read_u32};
use crate::error::ParseError;

/// INIT or INIT ACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitChunk {
    /// Initiate Tag: the verification tag the sender expects in packets to it.
    pub initiate_tag: u32,
    /// Advertised Receiver Window Credit.
    pub a_rwnd: u32,
    /// Number of Outbound Streams.
    pub outbound_streams: u16,
    /// Number of Inbound Streams.
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: u32,
    /// Optional and variable-length parameters.
    pub params: Vec<Parameter>,
}

impl InitChunk {
    pub(crate) fn parse(value: &Bytes) -> Result<Self, ParseError> {
        need(value, 16, "INIT")?;
        let chunk = InitChunk {
            initiate_tag: read_u32(value, 0, "INIT")?,
            a_rwnd: read_u32(value, 4, "INIT")?,
            outbound_streams: read_u16(value, 8, "INIT")?,
            inbound_streams: read_u16(value, 10, "INIT")?,
            initial_tsn: read_u32(value, 12, "INIT")?,
            params: Parameter::parse_all(&value.slice(16..))?,
        };
        // RFC 9260 §3.3.2: a zero Initiate Tag, or zero stream counts, are invalid.
        if chunk.initiate_tag == 0 || chunk.outbound_streams == 0 || chunk.inbound_streams == 0 {
            return Err(ParseError::InvalidValue {
                what: "INIT tag or stream count",
            });
        }
        Ok(chunk)
    }

    pub(crate) fn value_len(&self) -> usize {
        16 + self.params.iter().map(Parameter::padded_len).sum::<usize>()
    }

    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        out.put_u32(self.initiate_tag);
        out.put_u32(self.a_rwnd);
        out.put_u16(self.outbound_streams);
        out.put_u16(self.inbound_streams);
        out.put_u32(self.initial_tsn);
        for p in &self.params {
            p.write(out);
        }
    }

    /// The State Cookie parameter, if present.
    pub fn state_cookie(&self) -> Option<&Bytes> {
        self.params.iter().find_map(|p| match p {
            Parameter::StateCookie(c) => Some(c),
            _ => None,
        })
    }

    /// Whether the Supported Extensions parameter lists `chunk_type`.
    pub fn supports_extension(&self, chunk_type: u8) -> bool {
        self.params.iter().any(|p| match p {
            Parameter::SupportedExtensions(list) => list.contains(&chunk_type),
            _ => false,
        })
    }

    /// Whether the Forward-TSN-Supported parameter is present.
    pub fn forward_tsn_supported(&self) -> bool {
        self.params
            .iter()
            .any(|p| matches!(p, Parameter::ForwardTsnSupported))
            || self.supports_extension(super::kind::FORWARD_TSN)
    }

    /// The error detection method of the Zero Checksum Acceptable parameter, if present.
    pub fn zero_checksum_method(&self) -> Option<u32> {
        self.params.iter().find_map(|p| match p {
            Parameter::ZeroChecksumAcceptable(m) => Some(*m),
            _ => None,
        })
    }
}
