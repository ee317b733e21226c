//! RE-CONFIG chunk (RFC 6525 §3.1): one or two re-configuration parameters.

use bytes::Bytes;

use super::param::Parameter;
use crate::error::ParseError;

/// RE-CONFIG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReConfigChunk {
    /// Requests and responses.
    pub params: Vec<Parameter>,
}

impl ReConfigChunk {
    pub(crate) fn parse(value: &Bytes) -> Result<Self, ParseError> {
        let params = Parameter::parse_all(value)?;
        // RFC 6525 §3.1: one or two parameters.
        if params.is_empty() || params.len() > 2 {
            return Err(ParseError::InvalidValue {
                what: "RE-CONFIG parameter count",
            });
        }
        Ok(Self { params })
    }

    pub(crate) fn value_len(&self) -> usize {
        self.params.iter().map(Parameter::padded_len).sum()
    }

    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        self.params.iter().for_each(|p| p.write(out));
    }
}
