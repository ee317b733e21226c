//! The SDP side of JSEP for a data session: our offers and answers, and what we read
//! from the peer's descriptions.

use std::net::{IpAddr, Ipv4Addr};

use oxrtc_dtls::Fingerprint as DtlsFingerprint;
use oxrtc_ice::Candidate as IceCandidate;
use oxrtc_sdp::{
    Attribute, Candidate as SdpCandidate, Connection, Fingerprint, Group, HashAlgorithm,
    MediaDescription, MediaKind, SessionDescription, Setup,
};

use crate::error::Error;

/// The protocol of a data section (RFC 8841 §4.1).
pub(crate) const DATA_PROTOCOL: &str = "UDP/DTLS/SCTP";
/// Its one format (RFC 8841 §4.1).
pub(crate) const DATA_FORMAT: &str = "webrtc-datachannel";
/// RFC 8841 §6: a peer that does not say accepts 64 KiB.
pub(crate) const DEFAULT_REMOTE_MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// RFC 8841 §5: the SCTP port when `a=sctp-port` is absent.
const DEFAULT_SCTP_PORT: u16 = 5000;

/// What our descriptions say about our side.
pub(crate) struct LocalTransport<'a> {
    pub(crate) ufrag: &'a str,
    pub(crate) pwd: &'a str,
    pub(crate) fingerprint: &'a DtlsFingerprint,
    pub(crate) sctp_port: u16,
    pub(crate) max_message_size: usize,
}

/// What we need from the peer's description: its data section's transport.
#[derive(Debug, Clone)]
pub(crate) struct RemoteTransport {
    pub(crate) mid: String,
    pub(crate) ufrag: String,
    pub(crate) pwd: String,
    pub(crate) fingerprints: Vec<DtlsFingerprint>,
    pub(crate) setup: Setup,
    pub(crate) sctp_port: u16,
    pub(crate) max_message_size: usize,
    pub(crate) candidates: Vec<IceCandidate>,
    pub(crate) end_of_candidates: bool,
    pub(crate) ice_lite: bool,
    /// The peer has a data section.
    pub(crate) has_data: bool,
}

/// A fresh JSEP description with our origin (RFC 8829 §5.2.1).
fn new_description(session_id: u64, version: u64) -> SessionDescription {
    let mut desc = SessionDescription::new(session_id, version);
    desc.origin.address = oxrtc_sdp::Address::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    desc
}

fn sdp_fingerprint(fingerprint: &DtlsFingerprint) -> Fingerprint {
    Fingerprint {
        algorithm: HashAlgorithm::from_name(fingerprint.algorithm.name()),
        bytes: fingerprint.value.clone(),
    }
}

/// One section of a description we write.
pub(crate) enum LocalSection {
    /// Data channels.
    Data {
        mid: String,
        /// Mirrors the offer's protocol and format when answering.
        protocol: String,
        formats: Vec<oxrtc_sdp::Format>,
    },
    /// An audio or video section without its transport lines.
    Media(MediaDescription),
    /// A section we refuse (port 0, RFC 8829 §5.3.1).
    Rejected(MediaDescription),
}

/// The transport lines every accepted section carries.
fn transport_attributes(local: &LocalTransport<'_>, setup: Setup) -> Vec<Attribute> {
    vec![
        Attribute::IceUfrag(local.ufrag.to_owned()),
        Attribute::IcePwd(local.pwd.to_owned()),
        Attribute::IceOptions(vec!["trickle".to_owned()]),
        Attribute::Fingerprint(sdp_fingerprint(local.fingerprint)),
        Attribute::Setup(setup),
    ]
}

/// A description of `sections`, every accepted one in one BUNDLE group.
pub(crate) fn description(
    session_id: u64,
    version: u64,
    local: &LocalTransport<'_>,
    setup: Setup,
    sections: Vec<LocalSection>,
) -> SessionDescription {
    let mut desc = new_description(session_id, version);
    let mut bundle = Vec::new();
    for section in sections {
        match section {
            LocalSection::Data {
                mid,
                protocol,
                formats,
            } => {
                let mut media = MediaDescription::new(MediaKind::Application, 9, protocol);
                media.formats = formats;
                media
                    .connections
                    .push(Connection::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
                media.attributes = transport_attributes(local, setup);
                media.attributes.extend([
                    Attribute::Mid(mid.clone()),
                    Attribute::SctpPort(local.sctp_port),
                    Attribute::MaxMessageSize(local.max_message_size as u64),
                ]);
                bundle.push(mid);
                desc.media.push(media);
            }
            LocalSection::Media(mut media) => {
                media
                    .connections
                    .push(Connection::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
                let mut attributes = transport_attributes(local, setup);
                attributes.append(&mut media.attributes);
                media.attributes = attributes;
                if let Some(mid) = media.mid() {
                    bundle.push(mid.to_owned());
                }
                desc.media.push(media);
            }
            LocalSection::Rejected(media) => desc.media.push(media),
        }
    }
    if !bundle.is_empty() {
        desc.attributes.push(Attribute::Group(Group {
            semantics: "BUNDLE".to_owned(),
            mids: bundle,
        }));
    }
    desc
}

/// A data section as we offer it.
pub(crate) fn offered_data(mid: &str) -> LocalSection {
    LocalSection::Data {
        mid: mid.to_owned(),
        protocol: DATA_PROTOCOL.to_owned(),
        formats: vec![oxrtc_sdp::Format::parse(DATA_FORMAT)],
    }
}

/// The answer to an offered data section: its protocol and format mirrored.
pub(crate) fn answered_data(offered: &MediaDescription, mid: &str) -> LocalSection {
    LocalSection::Data {
        mid: mid.to_owned(),
        protocol: offered.protocol.clone(),
        formats: offered.formats.clone(),
    }
}

/// The setup we answer with (RFC 8842 §5.3): active to actpass (as browsers do), the
/// opposite of a fixed role.
pub(crate) fn answer_setup(offered: Setup) -> Setup {
    match offered {
        Setup::Active => Setup::Passive,
        _ => Setup::Active,
    }
}

/// A section we refuse: port 0, its mid kept.
pub(crate) fn rejected_section(offered: &MediaDescription) -> LocalSection {
    let mut media = MediaDescription::new(offered.kind.clone(), 0, offered.protocol.clone());
    media.formats = offered.formats.iter().take(1).cloned().collect();
    media
        .connections
        .push(Connection::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    if let Some(mid) = offered.mid() {
        media.attributes.push(Attribute::Mid(mid.to_owned()));
    }
    LocalSection::Rejected(media)
}

/// Whether a section carries data channels.
pub(crate) fn is_data_section(media: &MediaDescription) -> bool {
    media.kind == MediaKind::Application
        && media.protocol.to_ascii_uppercase().contains("SCTP")
        && !media.is_rejected()
}

/// Whether a section is one we use: data, audio or video, not rejected.
pub(crate) fn is_accepted_section(media: &MediaDescription) -> bool {
    !media.is_rejected()
        && (is_data_section(media) || matches!(media.kind, MediaKind::Audio | MediaKind::Video))
}

/// The peer's BUNDLE transport (read from its first accepted section) and its data
/// section's SCTP parameters; `None` when it accepted nothing.
pub(crate) fn remote_transport(
    desc: &SessionDescription,
) -> Result<Option<RemoteTransport>, Error> {
    let Some(media) = desc.media.iter().find(|m| is_accepted_section(m)) else {
        return Ok(None);
    };
    let data = desc.media.iter().find(|m| is_data_section(m));
    let mid = media.mid().unwrap_or_default().to_owned();
    let ufrag = desc
        .ice_ufrag_of(media)
        .ok_or_else(|| Error::InvalidAccess("section without a=ice-ufrag".into()))?
        .to_owned();
    let pwd = desc
        .ice_pwd_of(media)
        .ok_or_else(|| Error::InvalidAccess("section without a=ice-pwd".into()))?
        .to_owned();
    let fingerprints: Vec<DtlsFingerprint> = desc
        .fingerprints_of(media)
        .into_iter()
        // The SDP value ("sha-256 AB:CD:...") is what the DTLS crate parses and checks.
        .filter_map(|f| f.to_string().parse().ok())
        .collect();
    if fingerprints.is_empty() {
        // RFC 8122 §5 / JSEP: a DTLS transport without a usable fingerprint cannot be
        // authenticated.
        return Err(Error::InvalidAccess(
            "section without a supported a=fingerprint".into(),
        ));
    }
    let setup = desc.setup_of(media).unwrap_or(Setup::ActPass);
    let data_attributes = || data.into_iter().flat_map(|d| d.attributes.iter());
    let sctp_port = data_attributes()
        .find_map(|a| match a {
            Attribute::SctpPort(p) => Some(*p),
            Attribute::Sctpmap(m) => Some(m.port),
            _ => None,
        })
        .unwrap_or(DEFAULT_SCTP_PORT);
    let max_message_size = data_attributes()
        .find_map(|a| match a {
            // RFC 8841 §6.1: 0 means "no limit"; keep a bound we can hold.
            Attribute::MaxMessageSize(0) => Some(usize::MAX),
            Attribute::MaxMessageSize(n) => Some(usize::try_from(*n).unwrap_or(usize::MAX)),
            _ => None,
        })
        .unwrap_or(DEFAULT_REMOTE_MAX_MESSAGE_SIZE);
    let accepted = || desc.media.iter().filter(|m| is_accepted_section(m));
    // Candidates may be listed under any bundled section: take each once.
    let mut candidates: Vec<IceCandidate> = Vec::new();
    for c in accepted()
        .flat_map(|m| m.candidates())
        .filter_map(|c| ice_candidate(c).ok())
    {
        if !candidates.contains(&c) {
            candidates.push(c);
        }
    }
    Ok(Some(RemoteTransport {
        mid,
        ufrag,
        pwd,
        fingerprints,
        setup,
        sctp_port,
        max_message_size,
        candidates,
        end_of_candidates: accepted().any(|m| m.end_of_candidates()),
        ice_lite: desc.ice_lite(),
        has_data: data.is_some(),
    }))
}

/// An SDP candidate as the ICE agent takes it.
pub(crate) fn ice_candidate(c: &SdpCandidate) -> Result<IceCandidate, Error> {
    IceCandidate::from_sdp_str(&c.to_string())
        .map_err(|e| Error::InvalidAccess(format!("candidate: {e}")))
}

/// An ICE candidate as an SDP attribute value.
pub(crate) fn sdp_candidate(c: &IceCandidate) -> Option<SdpCandidate> {
    c.to_sdp_string().parse().ok()
}

/// `desc` with our gathered candidates (and `a=end-of-candidates` once gathering is
/// complete) in each accepted section, as a browser's `localDescription` shows them.
pub(crate) fn with_candidates(
    desc: &SessionDescription,
    candidates: &[IceCandidate],
    complete: bool,
) -> SessionDescription {
    let mut desc = desc.clone();
    for media in desc.media.iter_mut().filter(|m| is_accepted_section(m)) {
        media
            .attributes
            .retain(|a| !matches!(a, Attribute::Candidate(_) | Attribute::EndOfCandidates));
        for c in candidates.iter().filter_map(sdp_candidate) {
            media.attributes.push(Attribute::Candidate(Box::new(c)));
        }
        if complete {
            media.attributes.push(Attribute::EndOfCandidates);
        }
    }
    desc
}

/// The mid and ICE credentials of our first accepted section, read back from a
/// description the application passed to `set_local_description`.
pub(crate) fn local_transport_section(
    desc: &SessionDescription,
) -> Option<(String, String, String)> {
    let media = desc.media.iter().find(|m| is_accepted_section(m))?;
    Some((
        media.mid().unwrap_or_default().to_owned(),
        desc.ice_ufrag_of(media)?.to_owned(),
        desc.ice_pwd_of(media)?.to_owned(),
    ))
}

/// Our `a=setup` in a description we set locally.
pub(crate) fn local_setup(desc: &SessionDescription) -> Option<Setup> {
    let media = desc.media.iter().find(|m| is_accepted_section(m))?;
    desc.setup_of(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint() -> DtlsFingerprint {
        DtlsFingerprint {
            algorithm: oxrtc_dtls::HashAlgorithm::Sha256,
            value: (0..32).collect(),
        }
    }

    fn local(fp: &DtlsFingerprint) -> LocalTransport<'_> {
        LocalTransport {
            ufrag: "abcd",
            pwd: "abcdefghijklmnopqrstuvwxyz",
            fingerprint: fp,
            sctp_port: 5000,
            max_message_size: 262_144,
        }
    }

    #[test]
    fn offer_reads_back_as_a_remote_transport() {
        let fp = fingerprint();
        let text =
            description(1, 2, &local(&fp), Setup::ActPass, vec![offered_data("0")]).to_string();
        assert!(text.contains("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
        assert!(text.contains("a=group:BUNDLE 0\r\n"));
        assert!(text.contains("a=setup:actpass\r\n"));
        let parsed: SessionDescription = text.parse().unwrap();
        let remote = remote_transport(&parsed).unwrap().unwrap();
        assert_eq!(
            (remote.mid.as_str(), remote.ufrag.as_str(), remote.sctp_port),
            ("0", "abcd", 5000)
        );
        assert_eq!(remote.fingerprints, vec![fp]);
        assert_eq!(remote.max_message_size, 262_144);
        assert_eq!(remote.setup, Setup::ActPass);
        assert!(remote.has_data);
    }

    #[test]
    fn descriptions_without_credentials_or_fingerprint_are_refused() {
        let no_fp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
            a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789012345678901\r\n";
        let desc: SessionDescription = no_fp.parse().unwrap();
        assert!(matches!(
            remote_transport(&desc),
            Err(Error::InvalidAccess(_))
        ));
        let no_ice = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";
        let desc: SessionDescription = no_ice.parse().unwrap();
        assert!(matches!(
            remote_transport(&desc),
            Err(Error::InvalidAccess(_))
        ));
    }

    /// The transport comes from the first accepted section, candidates from all of them.
    #[test]
    fn bundled_transport_from_a_media_first_offer() {
        let browser = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            a=group:BUNDLE 0 1\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
            a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789012345678901\r\n\
            a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n\
            a=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n\
            a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n\
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n\
            a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789012345678901\r\n\
            a=setup:actpass\r\na=sctp-port:5001\r\na=max-message-size:1024\r\n\
            a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n\
            a=candidate:2 1 udp 2122260222 127.0.0.1 50001 typ host generation 0\r\n";
        let offered: SessionDescription = browser.parse().unwrap();
        let remote = remote_transport(&offered).unwrap().unwrap();
        assert_eq!(remote.mid, "0");
        assert_eq!((remote.sctp_port, remote.max_message_size), (5001, 1024));
        assert_eq!(remote.candidates.len(), 2);
    }
}
