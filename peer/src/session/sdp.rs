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

/// The transport lines of our data section, `a=setup` as given.
fn data_section(mid: &str, local: &LocalTransport<'_>, setup: Setup) -> MediaDescription {
    let mut media = MediaDescription::new(MediaKind::Application, 9, DATA_PROTOCOL);
    media.formats = vec![oxrtc_sdp::Format::parse(DATA_FORMAT)];
    media
        .connections
        .push(Connection::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    media.attributes = vec![
        Attribute::IceUfrag(local.ufrag.to_owned()),
        Attribute::IcePwd(local.pwd.to_owned()),
        Attribute::IceOptions(vec!["trickle".to_owned()]),
        Attribute::Fingerprint(sdp_fingerprint(local.fingerprint)),
        Attribute::Setup(setup),
        Attribute::Mid(mid.to_owned()),
        Attribute::SctpPort(local.sctp_port),
        Attribute::MaxMessageSize(local.max_message_size as u64),
    ];
    media
}

/// Our offer: one data section (mid `0`) when `with_data`, bundled, `a=setup:actpass`
/// (RFC 8842 §5.2).
pub(crate) fn offer(
    session_id: u64,
    version: u64,
    local: &LocalTransport<'_>,
    data_mid: Option<&str>,
) -> SessionDescription {
    let mut desc = new_description(session_id, version);
    if let Some(mid) = data_mid {
        desc.attributes.push(Attribute::Group(Group {
            semantics: "BUNDLE".to_owned(),
            mids: vec![mid.to_owned()],
        }));
        desc.media.push(data_section(mid, local, Setup::ActPass));
    }
    desc
}

/// Our answer to `offer`: the first data section accepted, every other section rejected
/// (port 0, RFC 8829 §5.3.1) since this session carries no media yet.
pub(crate) fn answer(
    session_id: u64,
    version: u64,
    local: &LocalTransport<'_>,
    offer: &SessionDescription,
    remote: Option<&RemoteTransport>,
) -> SessionDescription {
    let mut desc = new_description(session_id, version);
    let mut accepted = None;
    for section in &offer.media {
        let mid = section.mid().unwrap_or_default().to_owned();
        if accepted.is_none() && remote.is_some_and(|r| r.mid == mid) {
            // RFC 8842 §5.3: answer actpass with active (as browsers do), and take the
            // opposite of a fixed role.
            let setup = match remote.map(|r| r.setup) {
                Some(Setup::Active) => Setup::Passive,
                _ => Setup::Active,
            };
            let mut media = data_section(&mid, local, setup);
            media.protocol = section.protocol.clone();
            media.formats = section.formats.clone();
            desc.media.push(media);
            accepted = Some(mid);
        } else {
            desc.media.push(rejected_section(section, &mid));
        }
    }
    if let Some(mid) = accepted {
        let bundled = offer.bundle_groups().any(|g| g.mids.contains(&mid));
        if bundled {
            desc.attributes.insert(
                0,
                Attribute::Group(Group {
                    semantics: "BUNDLE".to_owned(),
                    mids: vec![mid],
                }),
            );
        }
    }
    desc
}

fn rejected_section(offered: &MediaDescription, mid: &str) -> MediaDescription {
    let mut media = MediaDescription::new(offered.kind.clone(), 0, offered.protocol.clone());
    media.formats = offered.formats.iter().take(1).cloned().collect();
    media
        .connections
        .push(Connection::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    if !mid.is_empty() {
        media.attributes.push(Attribute::Mid(mid.to_owned()));
    }
    media
}

/// Whether a section carries data channels.
fn is_data_section(media: &MediaDescription) -> bool {
    media.kind == MediaKind::Application
        && media.protocol.to_ascii_uppercase().contains("SCTP")
        && !media.is_rejected()
}

/// The transport of the peer's data section, or `None` when it has none (or rejected
/// ours).
pub(crate) fn remote_transport(
    desc: &SessionDescription,
) -> Result<Option<RemoteTransport>, Error> {
    let Some(media) = desc.media.iter().find(|m| is_data_section(m)) else {
        return Ok(None);
    };
    let mid = media.mid().unwrap_or_default().to_owned();
    let ufrag = desc
        .ice_ufrag_of(media)
        .ok_or_else(|| Error::InvalidAccess("data section without a=ice-ufrag".into()))?
        .to_owned();
    let pwd = desc
        .ice_pwd_of(media)
        .ok_or_else(|| Error::InvalidAccess("data section without a=ice-pwd".into()))?
        .to_owned();
    let fingerprints: Vec<DtlsFingerprint> = desc
        .fingerprints_of(media)
        .into_iter()
        .filter_map(|f| {
            format!("{} {}", f.algorithm.as_str(), hex_pairs(&f.bytes))
                .parse()
                .ok()
        })
        .collect();
    if fingerprints.is_empty() {
        // RFC 8122 §5 / JSEP: a DTLS transport without a usable fingerprint cannot be
        // authenticated.
        return Err(Error::InvalidAccess(
            "data section without a supported a=fingerprint".into(),
        ));
    }
    let setup = desc.setup_of(media).unwrap_or(Setup::ActPass);
    let sctp_port = media
        .attributes
        .iter()
        .find_map(|a| match a {
            Attribute::SctpPort(p) => Some(*p),
            Attribute::Sctpmap(m) => Some(m.port),
            _ => None,
        })
        .unwrap_or(DEFAULT_SCTP_PORT);
    let max_message_size = media
        .attributes
        .iter()
        .find_map(|a| match a {
            // RFC 8841 §6.1: 0 means "no limit"; keep a bound we can hold.
            Attribute::MaxMessageSize(0) => Some(usize::MAX),
            Attribute::MaxMessageSize(n) => Some(usize::try_from(*n).unwrap_or(usize::MAX)),
            _ => None,
        })
        .unwrap_or(DEFAULT_REMOTE_MAX_MESSAGE_SIZE);
    let candidates = media
        .candidates()
        .filter_map(|c| ice_candidate(c).ok())
        .collect();
    Ok(Some(RemoteTransport {
        mid,
        ufrag,
        pwd,
        fingerprints,
        setup,
        sctp_port,
        max_message_size,
        candidates,
        end_of_candidates: media.end_of_candidates(),
        ice_lite: desc.ice_lite(),
    }))
}

fn hex_pairs(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
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
/// complete) in its data section, as a browser's `localDescription` shows them.
pub(crate) fn with_candidates(
    desc: &SessionDescription,
    candidates: &[IceCandidate],
    complete: bool,
) -> SessionDescription {
    let mut desc = desc.clone();
    for media in desc.media.iter_mut().filter(|m| is_data_section(m)) {
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

/// The mid and ICE credentials of our own data section, read back from a description
/// the application passed to `set_local_description`.
pub(crate) fn local_data_section(desc: &SessionDescription) -> Option<(String, String, String)> {
    let media = desc.media.iter().find(|m| is_data_section(m))?;
    Some((
        media.mid().unwrap_or_default().to_owned(),
        desc.ice_ufrag_of(media)?.to_owned(),
        desc.ice_pwd_of(media)?.to_owned(),
    ))
}

/// Our `a=setup` in a description we set locally.
pub(crate) fn local_setup(desc: &SessionDescription) -> Option<Setup> {
    let media = desc.media.iter().find(|m| is_data_section(m))?;
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
        let text = offer(1, 2, &local(&fp), Some("0")).to_string();
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
    }

    /// A browser offer with audio, video and data: data accepted as active, media
    /// rejected with port 0 and their mids kept, BUNDLE only over the data mid.
    #[test]
    fn answer_accepts_data_and_rejects_media() {
        let browser = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            a=group:BUNDLE 0 1 2\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
            a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789012345678901\r\n\
            a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n\
            a=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n\
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n\
            a=ice-ufrag:wxyz\r\na=ice-pwd:0123456789012345678901\r\n\
            a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n\
            a=setup:actpass\r\na=sctp-port:5000\r\n\
            a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n";
        let offered: SessionDescription = browser.parse().unwrap();
        let remote = remote_transport(&offered).unwrap().unwrap();
        assert_eq!(remote.mid, "2");
        assert_eq!(remote.max_message_size, DEFAULT_REMOTE_MAX_MESSAGE_SIZE);
        assert_eq!(remote.candidates.len(), 1);
        let fp = fingerprint();
        let ours = answer(5, 1, &local(&fp), &offered, Some(&remote)).to_string();
        assert!(
            ours.contains("m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"),
            "{ours}"
        );
        assert!(
            ours.contains("m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"),
            "{ours}"
        );
        assert!(ours.contains("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
        assert!(ours.contains("a=group:BUNDLE 2\r\n"));
        assert!(ours.contains("a=setup:active\r\n"));
        let back: SessionDescription = ours.parse().unwrap();
        assert_eq!(
            back.media.iter().map(|m| m.mid()).collect::<Vec<_>>(),
            [Some("0"), Some("1"), Some("2")]
        );
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
}
