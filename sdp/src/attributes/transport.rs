//! Transport attributes: DTLS `fingerprint`, `setup`, `sctpmap`, `identity`.

use std::fmt;

use crate::error::{FieldError, Problem};
use crate::util::{parse_num, ByteStr, Tokens};
use crate::write::{display_via_write_sdp, write_u64, WriteSdp};

/// Hash function of a certificate fingerprint (RFC 8122 §5; names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `sha-1`
    Sha1,
    /// `sha-224`
    Sha224,
    /// `sha-256`
    Sha256,
    /// `sha-384`
    Sha384,
    /// `sha-512`
    Sha512,
    /// `md5`
    Md5,
    /// `md2`
    Md2,
    /// Any other token, kept verbatim.
    Other(String),
}

impl HashAlgorithm {
    /// The lower-case name (the `Other` token as written).
    pub fn as_str(&self) -> &str {
        match self {
            HashAlgorithm::Sha1 => "sha-1",
            HashAlgorithm::Sha224 => "sha-224",
            HashAlgorithm::Sha256 => "sha-256",
            HashAlgorithm::Sha384 => "sha-384",
            HashAlgorithm::Sha512 => "sha-512",
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Md2 => "md2",
            HashAlgorithm::Other(s) => s,
        }
    }

    /// Parses a hash name, ignoring ASCII case.
    pub fn from_name(s: &str) -> Self {
        const KNOWN: [HashAlgorithm; 7] = [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha224,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
            HashAlgorithm::Md5,
            HashAlgorithm::Md2,
        ];
        KNOWN
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .unwrap_or_else(|| HashAlgorithm::Other(s.to_owned()))
    }

    /// Digest length in bytes, for the known functions.
    pub fn digest_len(&self) -> Option<usize> {
        Some(match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha224 => 28,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
            HashAlgorithm::Md5 | HashAlgorithm::Md2 => 16,
            HashAlgorithm::Other(_) => return None,
        })
    }
}

/// `a=fingerprint:<hash-func> <XX:XX:...>` (RFC 8122 §5), the DTLS certificate digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// The digest bytes (written as upper-case hex pairs joined by `:`).
    pub bytes: Vec<u8>,
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl Fingerprint {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let algorithm = HashAlgorithm::from_name(t.expect("hash-func")?);
        let hex = t.expect("fingerprint")?;
        t.finish("fingerprint")?;
        let raw = hex.as_bytes();
        // RFC 8122: `2UHEX *(":" 2UHEX)`, so a length of 3n-1.
        if (raw.len() + 1) % 3 != 0 {
            return Err(FieldError::new("fingerprint", Problem::Invalid));
        }
        let mut bytes = Vec::with_capacity(raw.len().div_ceil(3));
        for (i, chunk) in raw.chunks(3).enumerate() {
            let (hi, lo) = match chunk {
                [hi, lo, b':'] => (hi, lo),
                [hi, lo] if (i + 1) * 3 > raw.len() => (hi, lo),
                _ => return Err(FieldError::new("fingerprint", Problem::Invalid)),
            };
            match (hex_digit(*hi), hex_digit(*lo)) {
                (Some(h), Some(l)) => bytes.push((h << 4) | l),
                _ => return Err(FieldError::new("fingerprint", Problem::Invalid)),
            }
        }
        Ok(Fingerprint { algorithm, bytes })
    }
}

impl WriteSdp for Fingerprint {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        w.write_str(self.algorithm.as_str())?;
        w.write_char(' ')?;
        for (i, b) in self.bytes.iter().enumerate() {
            if i > 0 {
                w.write_char(':')?;
            }
            w.write_char(char::from(HEX[usize::from(b >> 4)]))?;
            w.write_char(char::from(HEX[usize::from(b & 0xf)]))?;
        }
        Ok(())
    }
}

/// `a=setup:<role>` (RFC 4145 §4, RFC 8842): who starts the DTLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side is the DTLS client.
    Active,
    /// `passive`: this side is the DTLS server.
    Passive,
    /// `actpass`: either (offers must use this).
    ActPass,
    /// `holdconn`: no connection yet.
    HoldConn,
}

impl Setup {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }

    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        Ok(match value {
            "active" => Setup::Active,
            "passive" => Setup::Passive,
            "actpass" => Setup::ActPass,
            "holdconn" => Setup::HoldConn,
            _ => return Err(FieldError::new("role", Problem::Invalid)),
        })
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Legacy `a=sctpmap:<port> <protocol> [<streams>]` (draft-ietf-mmusic-sctp-sdp-05),
/// still sent by old endpoints instead of `sctp-port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sctpmap {
    /// SCTP port.
    pub port: u16,
    /// Protocol, `webrtc-datachannel`.
    pub protocol: String,
    /// Number of streams.
    pub streams: Option<u32>,
}

impl Sctpmap {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let port = parse_num(t.expect("port")?, "port")?;
        let protocol = t.expect("protocol")?.to_owned();
        let streams = t
            .next_token()
            .map(|s| parse_num(s, "streams"))
            .transpose()?;
        t.finish("streams")?;
        Ok(Sctpmap {
            port,
            protocol,
            streams,
        })
    }
}

impl WriteSdp for Sctpmap {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_u64(w, u64::from(self.port))?;
        w.write_char(' ')?;
        w.write_str(&self.protocol)?;
        if let Some(s) = self.streams {
            w.write_char(' ')?;
            write_u64(w, u64::from(s))?;
        }
        Ok(())
    }
}

/// `a=identity:<assertion> [<extension>...]` (RFC 8827 §5): a base64 identity assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The base64-encoded assertion.
    pub assertion: String,
    /// Extensions after the assertion, verbatim.
    pub extensions: Option<String>,
}

impl Identity {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let assertion = t.expect("identity-assertion")?.to_owned();
        let rest = t.rest().trim_sp();
        Ok(Identity {
            assertion,
            extensions: (!rest.is_empty()).then(|| rest.to_owned()),
        })
    }
}

impl WriteSdp for Identity {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.assertion)?;
        if let Some(e) = &self.extensions {
            w.write_char(' ')?;
            w.write_str(e)?;
        }
        Ok(())
    }
}

display_via_write_sdp!(Fingerprint, Sctpmap, Identity);
