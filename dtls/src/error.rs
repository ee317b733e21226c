//! Errors and TLS alerts.

use std::fmt;

/// Everything that can go wrong in a DTLS connection.
///
/// Errors caused by the peer map to the alert we send ([`Error::alert`]); the reason a
/// connection ended arrives as [`crate::Event::Closed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record or handshake message could not be parsed.
    #[error("malformed {what}")]
    Decode {
        /// What was being parsed.
        what: &'static str,
    },
    /// A handshake message arrived that the current flight does not allow.
    #[error("unexpected handshake message type {msg_type} while {state}")]
    UnexpectedMessage {
        /// Handshake message type (RFC 5246 §7.4).
        msg_type: u8,
        /// The handshake state (a flight name).
        state: &'static str,
    },
    /// A field had a value the protocol forbids.
    #[error("illegal parameter: {what}")]
    IllegalParameter {
        /// Which field.
        what: &'static str,
    },
    /// The peer offered no DTLS version we speak (we speak DTLS 1.2 only).
    #[error("peer offered protocol version {version:#06x}, DTLS 1.2 (0xfefd) is required")]
    ProtocolVersion {
        /// The version on the wire.
        version: u16,
    },
    /// No cipher suite both sides accept (for our certificate type).
    #[error("no cipher suite in common")]
    NoCommonCipherSuite,
    /// No ECDHE group both sides accept.
    #[error("no key exchange group in common")]
    NoCommonGroup,
    /// No signature scheme both sides accept.
    #[error("no signature scheme in common")]
    NoCommonSignatureScheme,
    /// The peer does not support RFC 7627 extended_master_secret, which the config requires.
    #[error("peer does not support extended_master_secret (RFC 7627), which is required")]
    ExtendedMasterSecretRequired,
    /// The peer sent no certificate although one is required.
    #[error("peer sent no certificate")]
    NoPeerCertificate,
    /// The peer's certificate could not be parsed or uses an unsupported key.
    #[error("bad peer certificate: {what}")]
    BadCertificate {
        /// What is wrong with it.
        what: &'static str,
    },
    /// The peer's certificate fingerprint matches none of the expected ones (from SDP).
    #[error("peer certificate fingerprint {actual} matches none of the expected fingerprints")]
    FingerprintMismatch {
        /// The fingerprint of the certificate the peer presented, in SDP form.
        actual: String,
    },
    /// A handshake signature did not verify.
    #[error("signature verification failed for {what}")]
    BadSignature {
        /// Which message carried it.
        what: &'static str,
    },
    /// The peer's Finished message did not match the handshake transcript.
    #[error("Finished verify_data does not match the handshake transcript")]
    BadFinished,
    /// The peer sent a fatal alert.
    #[error("peer sent fatal alert {description}")]
    PeerAlert {
        /// The alert.
        description: AlertDescription,
    },
    /// The handshake did not complete within the retransmission budget.
    #[error("handshake timed out after {retransmissions} retransmissions")]
    HandshakeTimeout {
        /// How many times the last flight was resent.
        retransmissions: u32,
    },
    /// A handshake message larger than we are willing to reassemble.
    #[error("handshake message of {len} bytes exceeds the limit of {limit}")]
    MessageTooLarge {
        /// Announced length.
        len: usize,
        /// Our limit.
        limit: usize,
    },
    /// Application data was sent before the handshake completed.
    #[error("the connection is not established")]
    NotConnected,
    /// The connection is closed.
    #[error("the connection is closed")]
    Closed,
    /// Application data larger than fits one record in the configured MTU.
    #[error("application data of {len} bytes exceeds the maximum of {max} per record")]
    DataTooLarge {
        /// Requested length.
        len: usize,
        /// Maximum.
        max: usize,
    },
    /// A certificate or key given by the user could not be loaded or generated.
    #[error("certificate: {0}")]
    Certificate(String),
    /// A local cryptographic operation failed (should not happen with valid keys).
    #[error("cryptographic operation failed: {what}")]
    Crypto {
        /// Which operation.
        what: &'static str,
    },
    /// The requested keying material cannot be exported.
    #[error("keying material export failed: {what}")]
    Export {
        /// Why.
        what: &'static str,
    },
}

impl Error {
    pub(crate) fn decode(what: &'static str) -> Self {
        Error::Decode { what }
    }

    /// The alert description we send to the peer when this error ends the handshake.
    pub fn alert(&self) -> AlertDescription {
        use AlertDescription as A;
        match self {
            Error::Decode { .. } | Error::MessageTooLarge { .. } => A::DecodeError,
            Error::UnexpectedMessage { .. } => A::UnexpectedMessage,
            Error::IllegalParameter { .. } => A::IllegalParameter,
            Error::ProtocolVersion { .. } => A::ProtocolVersion,
            Error::NoCommonCipherSuite
            | Error::NoCommonGroup
            | Error::NoCommonSignatureScheme
            | Error::ExtendedMasterSecretRequired
            | Error::NoPeerCertificate
            | Error::HandshakeTimeout { .. } => A::HandshakeFailure,
            Error::BadCertificate { .. } | Error::FingerprintMismatch { .. } => A::BadCertificate,
            Error::BadSignature { .. } | Error::BadFinished => A::DecryptError,
            Error::PeerAlert { .. } | Error::NotConnected | Error::Closed => A::CloseNotify,
            Error::DataTooLarge { .. }
            | Error::Certificate(_)
            | Error::Crypto { .. }
            | Error::Export { .. } => A::InternalError,
        }
    }
}

/// TLS alert descriptions (RFC 5246 §7.2, RFC 8446 §6 for `certificate_required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlertDescription {
    /// close_notify (0).
    CloseNotify,
    /// unexpected_message (10).
    UnexpectedMessage,
    /// bad_record_mac (20).
    BadRecordMac,
    /// handshake_failure (40).
    HandshakeFailure,
    /// bad_certificate (42).
    BadCertificate,
    /// unsupported_certificate (43).
    UnsupportedCertificate,
    /// certificate_unknown (46).
    CertificateUnknown,
    /// illegal_parameter (47).
    IllegalParameter,
    /// decode_error (50).
    DecodeError,
    /// decrypt_error (51).
    DecryptError,
    /// protocol_version (70).
    ProtocolVersion,
    /// insufficient_security (71).
    InsufficientSecurity,
    /// internal_error (80).
    InternalError,
    /// no_renegotiation (100).
    NoRenegotiation,
    /// unsupported_extension (110).
    UnsupportedExtension,
    /// Any other code.
    Other(u8),
}

impl AlertDescription {
    /// The wire code.
    pub fn code(self) -> u8 {
        use AlertDescription as A;
        match self {
            A::CloseNotify => 0,
            A::UnexpectedMessage => 10,
            A::BadRecordMac => 20,
            A::HandshakeFailure => 40,
            A::BadCertificate => 42,
            A::UnsupportedCertificate => 43,
            A::CertificateUnknown => 46,
            A::IllegalParameter => 47,
            A::DecodeError => 50,
            A::DecryptError => 51,
            A::ProtocolVersion => 70,
            A::InsufficientSecurity => 71,
            A::InternalError => 80,
            A::NoRenegotiation => 100,
            A::UnsupportedExtension => 110,
            A::Other(code) => code,
        }
    }
}

impl From<u8> for AlertDescription {
    fn from(code: u8) -> Self {
        use AlertDescription as A;
        match code {
            0 => A::CloseNotify,
            10 => A::UnexpectedMessage,
            20 => A::BadRecordMac,
            40 => A::HandshakeFailure,
            42 => A::BadCertificate,
            43 => A::UnsupportedCertificate,
            46 => A::CertificateUnknown,
            47 => A::IllegalParameter,
            50 => A::DecodeError,
            51 => A::DecryptError,
            70 => A::ProtocolVersion,
            71 => A::InsufficientSecurity,
            80 => A::InternalError,
            100 => A::NoRenegotiation,
            110 => A::UnsupportedExtension,
            other => A::Other(other),
        }
    }
}

impl fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertDescription::Other(code) => write!(f, "alert({code})"),
            known => write!(f, "{known:?}({})", known.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_codes_round_trip() {
        for code in 0..=255u8 {
            assert_eq!(AlertDescription::from(code).code(), code);
        }
    }
}
