//! Variable-length parameters (RFC 9260 §3.2.1) used by INIT, INIT ACK, HEARTBEAT and
//! RE-CONFIG.

use bytes::{BufMut, Bytes};

use super::{pad4, read_u16, read_u32, write_padding};
use crate::error::ParseError;

pub(crate) mod code {
    pub(crate) const HEARTBEAT_INFO: u16 = 1;
    pub(crate) const STATE_COOKIE: u16 = 7;
    pub(crate) const UNRECOGNIZED_PARAMETER: u16 = 8;
    pub(crate) const OUTGOING_RESET_REQUEST: u16 = 13;
    pub(crate) const INCOMING_RESET_REQUEST: u16 = 14;
    pub(crate) const SSN_TSN_RESET_REQUEST: u16 = 15;
    pub(crate) const RECONFIG_RESPONSE: u16 = 16;
    pub(crate) const ZERO_CHECKSUM_ACCEPTABLE: u16 = 0x8001;
    pub(crate) const SUPPORTED_EXTENSIONS: u16 = 0x8008;
    pub(crate) const FORWARD_TSN_SUPPORTED: u16 = 0xc000;
}

/// RFC 6525 §4.4 Re-configuration Response result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconfigResult {
    /// 0: Success - Nothing to do.
    NothingToDo,
    /// 1: Success - Performed.
    Performed,
    /// 2: Denied.
    Denied,
    /// 3: Error - Wrong SSN.
    WrongSsn,
    /// 4: Error - Request already in progress.
    AlreadyInProgress,
    /// 5: Error - Bad Sequence Number.
    BadSequenceNumber,
    /// 6: In progress.
    InProgress,
    /// Any other value.
    Other(u32),
}

impl ReconfigResult {
    fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::NothingToDo,
            1 => Self::Performed,
            2 => Self::Denied,
            3 => Self::WrongSsn,
            4 => Self::AlreadyInProgress,
            5 => Self::BadSequenceNumber,
            6 => Self::InProgress,
            other => Self::Other(other),
        }
    }

    fn to_u32(self) -> u32 {
        match self {
            Self::NothingToDo => 0,
            Self::Performed => 1,
            Self::Denied => 2,
            Self::WrongSsn => 3,
            Self::AlreadyInProgress => 4,
            Self::BadSequenceNumber => 5,
            Self::InProgress => 6,
            Self::Other(v) => v,
        }
    }
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Parameter {
    /// Heartbeat Info (RFC 9260 §3.3.5), opaque to the receiver.
    HeartbeatInfo(Bytes),
    /// State Cookie (RFC 9260 §3.3.3), opaque to the receiver.
    StateCookie(Bytes),
    /// Unrecognized Parameter (RFC 9260 §3.3.3): the parameter we did not understand.
    UnrecognizedParameter(Bytes),
    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    OutgoingResetRequest {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Re-configuration Response Sequence Number.
        response_seq: u32,
        /// Sender's last assigned TSN.
        last_assigned_tsn: u32,
        /// Streams to reset; empty means all.
        streams: Vec<u16>,
    },
    /// Incoming SSN Reset Request (RFC 6525 §4.2).
    IncomingResetRequest {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
        /// Streams to reset; empty means all.
        streams: Vec<u16>,
    },
    /// SSN/TSN Reset Request (RFC 6525 §4.3).
    SsnTsnResetRequest {
        /// Re-configuration Request Sequence Number.
        request_seq: u32,
    },
    /// Re-configuration Response (RFC 6525 §4.4); optional TSN fields are not kept.
    ReconfigResponse {
        /// The request being answered.
        response_seq: u32,
        /// The outcome.
        result: ReconfigResult,
    },
    /// Zero Checksum Acceptable (RFC 9653 §4) with its Error Detection Method Identifier
    /// (1 = DTLS).
    ZeroChecksumAcceptable(u32),
    /// Supported Extensions (RFC 5061 §4.2.7): chunk types.
    SupportedExtensions(Bytes),
    /// Forward-TSN-Supported (RFC 3758 §3.1).
    ForwardTsnSupported,
    /// A parameter we do not implement.
    Unknown {
        /// Parameter type.
        kind: u16,
        /// Value without header or padding.
        value: Bytes,
    },
}

fn stream_list(value: &Bytes, at: usize) -> Vec<u16> {
    value[at.min(value.len())..]
        .chunks_exact(2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .collect()
}

impl Parameter {
    /// Parses one parameter at the start of `buf`; returns it and the bytes consumed
    /// including padding.
    pub fn parse(buf: &Bytes) -> Result<(Parameter, usize), ParseError> {
        let kind = read_u16(buf, 0, "parameter header")?;
        let len = usize::from(read_u16(buf, 2, "parameter header")?);
        if len < 4 || len > buf.len() {
            return Err(ParseError::InvalidLength {
                what: "parameter",
                len,
            });
        }
        let value = buf.slice(4..len);
        let param = match kind {
            code::HEARTBEAT_INFO => Parameter::HeartbeatInfo(value),
            code::STATE_COOKIE => Parameter::StateCookie(value),
            code::UNRECOGNIZED_PARAMETER => Parameter::UnrecognizedParameter(value),
            code::OUTGOING_RESET_REQUEST => Parameter::OutgoingResetRequest {
                request_seq: read_u32(&value, 0, "outgoing reset request")?,
                response_seq: read_u32(&value, 4, "outgoing reset request")?,
                last_assigned_tsn: read_u32(&value, 8, "outgoing reset request")?,
                streams: stream_list(&value, 12),
            },
            code::INCOMING_RESET_REQUEST => Parameter::IncomingResetRequest {
                request_seq: read_u32(&value, 0, "incoming reset request")?,
                streams: stream_list(&value, 4),
            },
            code::SSN_TSN_RESET_REQUEST => Parameter::SsnTsnResetRequest {
                request_seq: read_u32(&value, 0, "SSN/TSN reset request")?,
            },
            code::RECONFIG_RESPONSE => Parameter::ReconfigResponse {
                response_seq: read_u32(&value, 0, "re-configuration response")?,
                result: ReconfigResult::from_u32(read_u32(&value, 4, "re-configuration response")?),
            },
            code::ZERO_CHECKSUM_ACCEPTABLE => {
                Parameter::ZeroChecksumAcceptable(read_u32(&value, 0, "zero checksum acceptable")?)
            }
            code::SUPPORTED_EXTENSIONS => Parameter::SupportedExtensions(value),
            code::FORWARD_TSN_SUPPORTED => Parameter::ForwardTsnSupported,
            _ => Parameter::Unknown { kind, value },
        };
        Ok((param, pad4(len).min(buf.len())))
    }

    /// Parses a list of parameters filling `buf`.
    pub fn parse_all(buf: &Bytes) -> Result<Vec<Parameter>, ParseError> {
        let mut params = Vec::new();
        let mut rest = buf.clone();
        while !rest.is_empty() {
            let (param, used) = Parameter::parse(&rest)?;
            params.push(param);
            let _ = rest.split_to(used);
        }
        Ok(params)
    }

    fn kind(&self) -> u16 {
        match self {
            Parameter::HeartbeatInfo(_) => code::HEARTBEAT_INFO,
            Parameter::StateCookie(_) => code::STATE_COOKIE,
            Parameter::UnrecognizedParameter(_) => code::UNRECOGNIZED_PARAMETER,
            Parameter::OutgoingResetRequest { .. } => code::OUTGOING_RESET_REQUEST,
            Parameter::IncomingResetRequest { .. } => code::INCOMING_RESET_REQUEST,
            Parameter::SsnTsnResetRequest { .. } => code::SSN_TSN_RESET_REQUEST,
            Parameter::ReconfigResponse { .. } => code::RECONFIG_RESPONSE,
            Parameter::ZeroChecksumAcceptable(_) => code::ZERO_CHECKSUM_ACCEPTABLE,
            Parameter::SupportedExtensions(_) => code::SUPPORTED_EXTENSIONS,
            Parameter::ForwardTsnSupported => code::FORWARD_TSN_SUPPORTED,
            Parameter::Unknown { kind, .. } => *kind,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Parameter::HeartbeatInfo(v)
            | Parameter::StateCookie(v)
            | Parameter::UnrecognizedParameter(v)
            | Parameter::SupportedExtensions(v)
            | Parameter::Unknown { value: v, .. } => v.len(),
            Parameter::OutgoingResetRequest { streams, .. } => 12 + 2 * streams.len(),
            Parameter::IncomingResetRequest { streams, .. } => 4 + 2 * streams.len(),
            Parameter::SsnTsnResetRequest { .. } | Parameter::ZeroChecksumAcceptable(_) => 4,
            Parameter::ReconfigResponse { .. } => 8,
            Parameter::ForwardTsnSupported => 0,
        }
    }

    /// Encoded size including header and padding.
    pub fn padded_len(&self) -> usize {
        pad4(4 + self.value_len())
    }

    /// Appends the parameter, padded, to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let len = 4 + self.value_len();
        out.put_u16(self.kind());
        out.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        match self {
            Parameter::HeartbeatInfo(v)
            | Parameter::StateCookie(v)
            | Parameter::UnrecognizedParameter(v)
            | Parameter::SupportedExtensions(v)
            | Parameter::Unknown { value: v, .. } => out.extend_from_slice(v),
            Parameter::OutgoingResetRequest {
                request_seq,
                response_seq,
                last_assigned_tsn,
                streams,
            } => {
                out.put_u32(*request_seq);
                out.put_u32(*response_seq);
                out.put_u32(*last_assigned_tsn);
                streams.iter().for_each(|s| out.put_u16(*s));
            }
            Parameter::IncomingResetRequest {
                request_seq,
                streams,
            } => {
                out.put_u32(*request_seq);
                streams.iter().for_each(|s| out.put_u16(*s));
            }
            Parameter::SsnTsnResetRequest { request_seq } => out.put_u32(*request_seq),
            Parameter::ReconfigResponse {
                response_seq,
                result,
            } => {
                out.put_u32(*response_seq);
                out.put_u32(result.to_u32());
            }
            Parameter::ZeroChecksumAcceptable(method) => out.put_u32(*method),
            Parameter::ForwardTsnSupported => {}
        }
        write_padding(out, len);
    }
}
