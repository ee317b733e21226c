//! What signaling carries: session descriptions and trickled candidates, shaped like the
//! browser's `RTCSessionDescriptionInit` and `RTCIceCandidateInit`.

use std::fmt;

/// The `type` of a session description (W3C `RTCSdpType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum SdpType {
    /// An offer.
    Offer,
    /// A provisional answer.
    Pranswer,
    /// A final answer.
    Answer,
    /// Return to the last stable state.
    Rollback,
}

impl SdpType {
    /// The W3C string: `offer`, `pranswer`, `answer`, `rollback`.
    pub fn as_str(self) -> &'static str {
        match self {
            SdpType::Offer => "offer",
            SdpType::Pranswer => "pranswer",
            SdpType::Answer => "answer",
            SdpType::Rollback => "rollback",
        }
    }
}

impl fmt::Display for SdpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An offer or answer as signaling passes it around. With the `serde` feature it
/// (de)serializes as the browser's `{"type": "offer", "sdp": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RtcSessionDescription {
    /// Offer, answer, ...
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub sdp_type: SdpType,
    /// The SDP text.
    pub sdp: String,
}

impl RtcSessionDescription {
    /// An offer.
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            sdp_type: SdpType::Offer,
            sdp: sdp.into(),
        }
    }

    /// An answer.
    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            sdp_type: SdpType::Answer,
            sdp: sdp.into(),
        }
    }
}

/// A trickled ICE candidate (W3C `RTCIceCandidateInit`). With the `serde` feature it
/// (de)serializes with the browser's camelCase field names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct RtcIceCandidateInit {
    /// The `candidate:...` attribute value; empty means end of candidates.
    pub candidate: String,
    /// The media section's mid.
    pub sdp_mid: Option<String>,
    /// The media section's index.
    #[cfg_attr(feature = "serde", serde(rename = "sdpMLineIndex"))]
    pub sdp_m_line_index: Option<u16>,
    /// The ICE ufrag the candidate belongs to.
    pub username_fragment: Option<String>,
}
