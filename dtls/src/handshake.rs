//! Handshake messages (RFC 5246 §7.4, RFC 6347 §4.2, RFC 8422 §5) and hello extensions.

use crate::codec::{put_u16, put_u24, with_len, Reader};
use crate::error::Error;

/// Handshake header length in DTLS: type, length, message_seq, fragment_offset, fragment_length.
pub const HANDSHAKE_HEADER_LEN: usize = 12;

/// Handshake message types.
pub mod msg_type {
    /// hello_request (0).
    pub const HELLO_REQUEST: u8 = 0;
    /// client_hello (1).
    pub const CLIENT_HELLO: u8 = 1;
    /// server_hello (2).
    pub const SERVER_HELLO: u8 = 2;
    /// hello_verify_request (3).
    pub const HELLO_VERIFY_REQUEST: u8 = 3;
    /// certificate (11).
    pub const CERTIFICATE: u8 = 11;
    /// server_key_exchange (12).
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    /// certificate_request (13).
    pub const CERTIFICATE_REQUEST: u8 = 13;
    /// server_hello_done (14).
    pub const SERVER_HELLO_DONE: u8 = 14;
    /// certificate_verify (15).
    pub const CERTIFICATE_VERIFY: u8 = 15;
    /// client_key_exchange (16).
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
    /// finished (20).
    pub const FINISHED: u8 = 20;
}

/// One handshake fragment as carried in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Handshake message type.
    pub msg_type: u8,
    /// Length of the whole message.
    pub length: u32,
    /// Message sequence number.
    pub message_seq: u16,
    /// Where this fragment starts in the message.
    pub offset: u32,
    /// The fragment bytes.
    pub body: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// Parses one fragment from the front of a handshake record's plaintext.
    pub fn parse(buf: &'a [u8]) -> Result<(Fragment<'a>, &'a [u8]), Error> {
        let mut r = Reader::new(buf, "handshake fragment");
        let msg_type = r.u8()?;
        let length = r.u24()?;
        let message_seq = r.u16()?;
        let offset = r.u24()?;
        let body = r.vec24()?;
        if u64::from(offset) + body.len() as u64 > u64::from(length) {
            return Err(Error::decode("handshake fragment bounds"));
        }
        Ok((
            Fragment {
                msg_type,
                length,
                message_seq,
                offset,
                body,
            },
            r.rest(),
        ))
    }

    /// All fragments in a handshake record; fails on the first malformed one.
    pub fn parse_all(mut buf: &'a [u8]) -> Result<Vec<Fragment<'a>>, Error> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let (f, rest) = Fragment::parse(buf)?;
            out.push(f);
            buf = rest;
        }
        Ok(out)
    }
}

/// Writes a handshake header.
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    msg_type: u8,
    length: usize,
    message_seq: u16,
    offset: usize,
    fragment_len: usize,
) {
    out.push(msg_type);
    put_u24(out, length as u32);
    put_u16(out, message_seq);
    put_u24(out, offset as u32);
    put_u24(out, fragment_len as u32);
}

/// A whole message with its unfragmented header, as it enters the transcript
/// (RFC 6347 §4.2.6).
pub(crate) fn transcript_bytes(msg_type: u8, message_seq: u16, body: &[u8], out: &mut Vec<u8>) {
    write_header(out, msg_type, body.len(), message_seq, 0, body.len());
    out.extend_from_slice(body);
}

/// Extension code points.
pub(crate) mod ext {
    pub(crate) const SERVER_NAME: u16 = 0;
    pub(crate) const SUPPORTED_GROUPS: u16 = 10;
    pub(crate) const EC_POINT_FORMATS: u16 = 11;
    pub(crate) const SIGNATURE_ALGORITHMS: u16 = 13;
    pub(crate) const USE_SRTP: u16 = 14;
    pub(crate) const EXTENDED_MASTER_SECRET: u16 = 23;
    pub(crate) const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// use_srtp contents (RFC 5764 §4.1.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UseSrtp {
    /// Protection profile code points.
    pub profiles: Vec<u16>,
    /// srtp_mki.
    pub mki: Vec<u8>,
}

/// The hello extensions we understand; everything else (supported_versions, key_share,
/// cookie, psk modes, padding, ALPN, ...) is skipped, in whatever order it comes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// supported_groups.
    pub supported_groups: Option<Vec<u16>>,
    /// ec_point_formats.
    pub ec_point_formats: Option<Vec<u8>>,
    /// signature_algorithms.
    pub signature_algorithms: Option<Vec<u16>>,
    /// use_srtp.
    pub use_srtp: Option<UseSrtp>,
    /// extended_master_secret present.
    pub extended_master_secret: bool,
    /// renegotiation_info's renegotiated_connection.
    pub renegotiation_info: Option<Vec<u8>>,
}

fn u16_list(data: &[u8], what: &'static str) -> Result<Vec<u16>, Error> {
    let mut r = Reader::new(data, what);
    let list = r.vec16()?;
    r.finish()?;
    if list.len() % 2 != 0 {
        return Err(Error::decode(what));
    }
    Ok(list
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect())
}

impl Extensions {
    /// Parses the extensions block (the bytes after the 2-byte total length).
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(data, "extensions");
        let mut out = Extensions::default();
        let mut seen: Vec<u16> = Vec::new();
        while !r.is_empty() {
            let typ = r.u16()?;
            let body = r.vec16()?;
            // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type."
            if seen.contains(&typ) {
                return Err(Error::decode("duplicate extension"));
            }
            seen.push(typ);
            match typ {
                ext::SUPPORTED_GROUPS => {
                    out.supported_groups = Some(u16_list(body, "supported_groups")?)
                }
                ext::SIGNATURE_ALGORITHMS => {
                    out.signature_algorithms = Some(u16_list(body, "signature_algorithms")?)
                }
                ext::EC_POINT_FORMATS => {
                    let mut r = Reader::new(body, "ec_point_formats");
                    out.ec_point_formats = Some(r.vec8()?.to_vec());
                    r.finish()?;
                }
                ext::USE_SRTP => {
                    let mut r = Reader::new(body, "use_srtp");
                    let profiles = r.vec16()?;
                    if profiles.len() % 2 != 0 {
                        return Err(Error::decode("use_srtp"));
                    }
                    let mki = r.vec8()?.to_vec();
                    r.finish()?;
                    out.use_srtp = Some(UseSrtp {
                        profiles: profiles
                            .chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .collect(),
                        mki,
                    });
                }
                ext::EXTENDED_MASTER_SECRET => {
                    if !body.is_empty() {
                        return Err(Error::decode("extended_master_secret"));
                    }
                    out.extended_master_secret = true;
                }
                ext::RENEGOTIATION_INFO => {
                    let mut r = Reader::new(body, "renegotiation_info");
                    out.renegotiation_info = Some(r.vec8()?.to_vec());
                    r.finish()?;
                }
                // RFC 6066 server_name: WebRTC peers have no names to check; ignored.
                ext::SERVER_NAME => {}
                // supported_versions, key_share, cookie, padding, ...: not DTLS 1.2.
                _ => {}
            }
        }
        Ok(out)
    }

    /// Writes the extensions block with its 2-byte length (omitted when empty).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        let mut put = |typ: u16, f: &dyn Fn(&mut Vec<u8>)| {
            put_u16(&mut body, typ);
            with_len(&mut body, 2, f);
        };
        if let Some(groups) = &self.supported_groups {
            put(ext::SUPPORTED_GROUPS, &|o| {
                with_len(o, 2, |o| groups.iter().for_each(|g| put_u16(o, *g)))
            });
        }
        if let Some(formats) = &self.ec_point_formats {
            put(ext::EC_POINT_FORMATS, &|o| {
                with_len(o, 1, |o| o.extend_from_slice(formats))
            });
        }
        if let Some(algs) = &self.signature_algorithms {
            put(ext::SIGNATURE_ALGORITHMS, &|o| {
                with_len(o, 2, |o| algs.iter().for_each(|a| put_u16(o, *a)))
            });
        }
        if let Some(srtp) = &self.use_srtp {
            put(ext::USE_SRTP, &|o| {
                with_len(o, 2, |o| srtp.profiles.iter().for_each(|p| put_u16(o, *p)));
                with_len(o, 1, |o| o.extend_from_slice(&srtp.mki));
            });
        }
        if self.extended_master_secret {
            put(ext::EXTENDED_MASTER_SECRET, &|_| {});
        }
        if let Some(info) = &self.renegotiation_info {
            put(ext::RENEGOTIATION_INFO, &|o| {
                with_len(o, 1, |o| o.extend_from_slice(info))
            });
        }
        if !body.is_empty() {
            with_len(out, 2, |o| o.extend_from_slice(&body));
        }
    }
}

/// ClientHello (RFC 6347 §4.2.1: with a cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// client_version.
    pub version: u16,
    /// Client random.
    pub random: [u8; 32],
    /// session_id (we never resume).
    pub session_id: Vec<u8>,
    /// The cookie from a HelloVerifyRequest, or empty.
    pub cookie: Vec<u8>,
    /// Offered cipher suites (code points).
    pub cipher_suites: Vec<u16>,
    /// Offered compression methods.
    pub compression_methods: Vec<u8>,
    /// Parsed extensions.
    pub extensions: Extensions,
}

/// The prefix of a ClientHello that a stateless server needs: it sits in the first fragment.
pub(crate) struct ClientHelloPrefix<'a> {
    pub(crate) random: &'a [u8],
    pub(crate) cookie: &'a [u8],
}

impl ClientHello {
    /// Parses client_version .. cookie from the first fragment of a ClientHello.
    pub(crate) fn parse_prefix(body: &[u8]) -> Result<ClientHelloPrefix<'_>, Error> {
        let mut r = Reader::new(body, "ClientHello");
        let _version = r.u16()?;
        let random = r.bytes(32)?;
        let _session = r.vec8()?;
        let cookie = r.vec8()?;
        Ok(ClientHelloPrefix { random, cookie })
    }

    /// Parses a whole ClientHello body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, "ClientHello");
        let version = r.u16()?;
        let random = r.array::<32>()?;
        let session_id = r.vec8()?;
        if session_id.len() > 32 {
            return Err(Error::decode("ClientHello session_id"));
        }
        let cookie = r.vec8()?.to_vec();
        let suites = r.vec16()?;
        if suites.len() % 2 != 0 || suites.is_empty() {
            return Err(Error::decode("ClientHello cipher_suites"));
        }
        let compression_methods = r.vec8()?.to_vec();
        let extensions = if r.is_empty() {
            Extensions::default()
        } else {
            let e = Extensions::parse(r.vec16()?)?;
            r.finish()?;
            e
        };
        Ok(Self {
            version,
            random,
            session_id: session_id.to_vec(),
            cookie,
            cipher_suites: suites
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
            compression_methods,
            extensions,
        })
    }

    /// Serializes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.version);
        out.extend_from_slice(&self.random);
        with_len(out, 1, |o| o.extend_from_slice(&self.session_id));
        with_len(out, 1, |o| o.extend_from_slice(&self.cookie));
        with_len(out, 2, |o| {
            self.cipher_suites.iter().for_each(|s| put_u16(o, *s))
        });
        with_len(out, 1, |o| o.extend_from_slice(&self.compression_methods));
        self.extensions.encode(out);
    }
}

/// ServerHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// server_version.
    pub version: u16,
    /// Server random.
    pub random: [u8; 32],
    /// session_id.
    pub session_id: Vec<u8>,
    /// Chosen suite.
    pub cipher_suite: u16,
    /// Chosen compression.
    pub compression_method: u8,
    /// Parsed extensions.
    pub extensions: Extensions,
}

impl ServerHello {
    /// Parses the body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, "ServerHello");
        let version = r.u16()?;
        let random = r.array::<32>()?;
        let session_id = r.vec8()?.to_vec();
        let cipher_suite = r.u16()?;
        let compression_method = r.u8()?;
        let extensions = if r.is_empty() {
            Extensions::default()
        } else {
            let e = Extensions::parse(r.vec16()?)?;
            r.finish()?;
            e
        };
        Ok(Self {
            version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// Serializes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.version);
        out.extend_from_slice(&self.random);
        with_len(out, 1, |o| o.extend_from_slice(&self.session_id));
        put_u16(out, self.cipher_suite);
        out.push(self.compression_method);
        self.extensions.encode(out);
    }
}

/// HelloVerifyRequest (RFC 6347 §4.2.1).
pub(crate) fn parse_hello_verify_request(body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
    let mut r = Reader::new(body, "HelloVerifyRequest");
    let version = r.u16()?;
    let cookie = r.vec8()?.to_vec();
    r.finish()?;
    Ok((version, cookie))
}

pub(crate) fn encode_hello_verify_request(version: u16, cookie: &[u8], out: &mut Vec<u8>) {
    put_u16(out, version);
    with_len(out, 1, |o| o.extend_from_slice(cookie));
}

/// Certificate: a chain of DER certificates, leaf first.
pub(crate) fn parse_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let mut r = Reader::new(body, "Certificate");
    let list = r.vec24()?;
    r.finish()?;
    let mut r = Reader::new(list, "Certificate");
    let mut certs = Vec::new();
    while !r.is_empty() {
        let cert = r.vec24()?;
        if cert.is_empty() {
            return Err(Error::decode("Certificate entry"));
        }
        certs.push(cert.to_vec());
    }
    Ok(certs)
}

pub(crate) fn encode_certificate(chain: &[&[u8]], out: &mut Vec<u8>) {
    with_len(out, 3, |o| {
        for c in chain {
            with_len(o, 3, |o| o.extend_from_slice(c));
        }
    });
}

/// ServerKeyExchange for ECDHE (RFC 8422 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerKeyExchange {
    pub(crate) group: u16,
    pub(crate) public: Vec<u8>,
    pub(crate) scheme: u16,
    pub(crate) signature: Vec<u8>,
}

/// ECCurveType named_curve.
const NAMED_CURVE: u8 = 3;

impl ServerKeyExchange {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, "ServerKeyExchange");
        if r.u8()? != NAMED_CURVE {
            return Err(Error::IllegalParameter {
                what: "ServerKeyExchange curve type",
            });
        }
        let group = r.u16()?;
        let public = r.vec8()?.to_vec();
        let scheme = r.u16()?;
        let signature = r.vec16()?.to_vec();
        r.finish()?;
        Ok(Self {
            group,
            public,
            scheme,
            signature,
        })
    }

    /// The ServerECDHParams bytes that the signature covers (after the randoms).
    pub(crate) fn params(group: u16, public: &[u8]) -> Vec<u8> {
        let mut out = vec![NAMED_CURVE];
        put_u16(&mut out, group);
        with_len(&mut out, 1, |o| o.extend_from_slice(public));
        out
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&Self::params(self.group, &self.public));
        put_u16(out, self.scheme);
        with_len(out, 2, |o| o.extend_from_slice(&self.signature));
    }
}

/// CertificateRequest (RFC 5246 §7.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateRequest {
    pub(crate) certificate_types: Vec<u8>,
    pub(crate) signature_algorithms: Vec<u16>,
}

impl CertificateRequest {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, "CertificateRequest");
        let certificate_types = r.vec8()?.to_vec();
        let algs = r.vec16()?;
        if algs.len() % 2 != 0 {
            return Err(Error::decode("CertificateRequest"));
        }
        let _authorities = r.vec16()?;
        r.finish()?;
        Ok(Self {
            certificate_types,
            signature_algorithms: algs
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        })
    }

    /// Serializes the body. `certificate_authorities` is a zero-length vector (any CA, as
    /// WebRTC certificates are self-signed): we never send a list holding an empty
    /// DistinguishedName, and never the TLS 1.3 certificate_authorities extension.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        with_len(out, 1, |o| o.extend_from_slice(&self.certificate_types));
        with_len(out, 2, |o| {
            self.signature_algorithms
                .iter()
                .for_each(|a| put_u16(o, *a))
        });
        put_u16(out, 0);
    }
}

/// ClientKeyExchange for ECDHE: the client's public point (RFC 8422 §5.7).
pub(crate) fn parse_client_key_exchange(body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(body, "ClientKeyExchange");
    let public = r.vec8()?.to_vec();
    r.finish()?;
    if public.is_empty() {
        return Err(Error::decode("ClientKeyExchange"));
    }
    Ok(public)
}

/// CertificateVerify: (scheme, signature).
pub(crate) fn parse_certificate_verify(body: &[u8]) -> Result<(u16, Vec<u8>), Error> {
    let mut r = Reader::new(body, "CertificateVerify");
    let scheme = r.u16()?;
    let sig = r.vec16()?.to_vec();
    r.finish()?;
    Ok((scheme, sig))
}

pub(crate) fn encode_signed(scheme: u16, sig: &[u8], out: &mut Vec<u8>) {
    put_u16(out, scheme);
    with_len(out, 2, |o| o.extend_from_slice(sig));
}

/// Parses any handshake body by type, for the fuzzer: never panics.
pub fn parse_any(typ: u8, body: &[u8]) -> Result<(), Error> {
    use self::msg_type as t;
    match typ {
        t::CLIENT_HELLO => ClientHello::parse(body).map(drop),
        t::SERVER_HELLO => ServerHello::parse(body).map(drop),
        t::HELLO_VERIFY_REQUEST => parse_hello_verify_request(body).map(drop),
        t::CERTIFICATE => parse_certificate(body).map(drop),
        t::SERVER_KEY_EXCHANGE => ServerKeyExchange::parse(body).map(drop),
        t::CERTIFICATE_REQUEST => CertificateRequest::parse(body).map(drop),
        t::CLIENT_KEY_EXCHANGE => parse_client_key_exchange(body).map(drop),
        t::CERTIFICATE_VERIFY => parse_certificate_verify(body).map(drop),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_hello() -> ClientHello {
        ClientHello {
            version: 0xfefd,
            random: [5; 32],
            session_id: vec![],
            cookie: vec![1, 2, 3],
            cipher_suites: vec![0xc02b, 0xc02c],
            compression_methods: vec![0],
            extensions: Extensions {
                supported_groups: Some(vec![29, 23]),
                ec_point_formats: Some(vec![0]),
                signature_algorithms: Some(vec![0x0403]),
                use_srtp: Some(UseSrtp {
                    profiles: vec![7, 1],
                    mki: vec![9],
                }),
                extended_master_secret: true,
                renegotiation_info: Some(vec![]),
            },
        }
    }

    #[test]
    fn client_hello_round_trip() {
        let hello = sample_hello();
        let mut buf = vec![];
        hello.encode(&mut buf);
        assert_eq!(ClientHello::parse(&buf).unwrap(), hello);
        let prefix = ClientHello::parse_prefix(&buf).unwrap();
        assert_eq!(prefix.cookie, &[1, 2, 3]);
        let mut bare = vec![];
        ClientHello {
            extensions: Extensions::default(),
            ..hello.clone()
        }
        .encode(&mut bare);
        for cut in 0..buf.len() {
            if cut == bare.len() {
                // A ClientHello may end before the extensions block.
                assert!(ClientHello::parse(&buf[..cut]).is_ok());
                continue;
            }
            assert!(ClientHello::parse(&buf[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn duplicate_extension_rejected_unknown_skipped() {
        let mut e = vec![];
        put_u16(&mut e, 23);
        put_u16(&mut e, 0);
        put_u16(&mut e, 0x1234);
        put_u16(&mut e, 2);
        e.extend_from_slice(&[1, 2]);
        let parsed = Extensions::parse(&e).unwrap();
        assert!(parsed.extended_master_secret);
        put_u16(&mut e, 23);
        put_u16(&mut e, 0);
        assert!(Extensions::parse(&e).is_err());
    }

    #[test]
    fn fragment_bounds_checked() {
        let mut buf = vec![];
        write_header(&mut buf, 1, 10, 0, 8, 4);
        buf.extend_from_slice(&[0; 4]);
        assert!(Fragment::parse(&buf).is_err(), "offset + len > length");
        let mut buf = vec![];
        write_header(&mut buf, 1, 10, 0, 6, 4);
        buf.extend_from_slice(&[0; 4]);
        let (f, rest) = Fragment::parse(&buf).unwrap();
        assert_eq!((f.offset, f.body.len(), rest.len()), (6, 4, 0));
    }

    #[test]
    fn certificate_request_never_has_empty_authority_entries() {
        let cr = CertificateRequest {
            certificate_types: vec![64],
            signature_algorithms: vec![0x0403],
        };
        let mut buf = vec![];
        cr.encode(&mut buf);
        assert_eq!(buf, [1, 64, 0, 2, 4, 3, 0, 0]);
        assert_eq!(CertificateRequest::parse(&buf).unwrap(), cr);
    }
}
