//! Settings of a [`Context`](crate::Context).

use crate::Error;

/// Largest replay window accepted: half the sequence number space, beyond which the
/// index estimation of RFC 3711 §3.3.1 cannot tell old packets from new ones.
pub const MAX_REPLAY_WINDOW: u32 = 0x8000;
/// Largest MKI accepted, in bytes (libsrtp's limit, `SRTP_MAX_MKI_LEN`).
pub const MAX_MKI_LEN: usize = 128;

/// Settings of a [`Context`](crate::Context): replay window sizes, the bound on tracked SSRCs
/// and the optional MKI.
///
/// ```
/// let config = oxrtc_srtp::Config::default()
///     .with_srtp_replay_window(4096)
///     .with_max_ssrcs(64);
/// assert_eq!(config.srtp_replay_window(), 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    srtp_replay_window: u32,
    srtcp_replay_window: u32,
    max_ssrcs: usize,
    mki: Vec<u8>,
    encrypt_srtcp: bool,
}

impl Default for Config {
    /// The browsers' settings: an SRTP replay window of 1024 packets (libwebrtc and Firefox
    /// both create their libsrtp sessions with `window_size = 1024`, sized for reordered video
    /// bursts), an SRTCP window of 128 (libsrtp's fixed SRTCP window), at most 1000 SSRCs per
    /// direction and stream kind, no MKI, SRTCP encrypted.
    fn default() -> Self {
        Self {
            srtp_replay_window: 1024,
            srtcp_replay_window: 128,
            max_ssrcs: 1000,
            mki: Vec::new(),
            encrypt_srtcp: true,
        }
    }
}

impl Config {
    /// Sets the SRTP replay window in packets (1..=[`MAX_REPLAY_WINDOW`]). Larger windows
    /// cost memory (one bit per packet per SSRC), never time per packet.
    pub fn with_srtp_replay_window(mut self, packets: u32) -> Self {
        self.srtp_replay_window = packets;
        self
    }

    /// Sets the SRTCP replay window in packets (1..=[`MAX_REPLAY_WINDOW`]).
    pub fn with_srtcp_replay_window(mut self, packets: u32) -> Self {
        self.srtcp_replay_window = packets;
        self
    }

    /// Sets how many SSRCs a context keeps state for, per stream kind (SRTP, SRTCP) and
    /// direction; a packet of one more SSRC fails with [`Error::TooManySsrcs`].
    pub fn with_max_ssrcs(mut self, max_ssrcs: usize) -> Self {
        self.max_ssrcs = max_ssrcs;
        self
    }

    /// Sets the master key identifier carried by every packet (RFC 3711 §3.1); empty (the
    /// default, and what DTLS-SRTP without MKI uses) means no MKI.
    pub fn with_mki(mut self, mki: &[u8]) -> Self {
        self.mki = mki.to_vec();
        self
    }

    /// Whether protected SRTCP is encrypted (the E flag, RFC 3711 §3.4); true by default.
    /// Unencrypted SRTCP is still authenticated. Received SRTCP is handled either way.
    pub fn with_srtcp_encryption(mut self, encrypt: bool) -> Self {
        self.encrypt_srtcp = encrypt;
        self
    }

    /// The SRTP replay window in packets.
    pub fn srtp_replay_window(&self) -> u32 {
        self.srtp_replay_window
    }

    /// The SRTCP replay window in packets.
    pub fn srtcp_replay_window(&self) -> u32 {
        self.srtcp_replay_window
    }

    /// The bound on tracked SSRCs per stream kind and direction.
    pub fn max_ssrcs(&self) -> usize {
        self.max_ssrcs
    }

    /// The MKI; empty when none is used.
    pub fn mki(&self) -> &[u8] {
        &self.mki
    }

    /// Whether protected SRTCP is encrypted.
    pub fn srtcp_encryption(&self) -> bool {
        self.encrypt_srtcp
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let window = |what, value: u32| {
            if (1..=MAX_REPLAY_WINDOW).contains(&value) {
                Ok(())
            } else {
                Err(Error::InvalidConfig {
                    what,
                    min: 1,
                    max: MAX_REPLAY_WINDOW as usize,
                    actual: value as usize,
                })
            }
        };
        window("srtp_replay_window", self.srtp_replay_window)?;
        window("srtcp_replay_window", self.srtcp_replay_window)?;
        if self.max_ssrcs == 0 {
            return Err(Error::InvalidConfig {
                what: "max_ssrcs",
                min: 1,
                max: usize::MAX,
                actual: 0,
            });
        }
        if self.mki.len() > MAX_MKI_LEN {
            return Err(Error::InvalidConfig {
                what: "mki length",
                min: 0,
                max: MAX_MKI_LEN,
                actual: self.mki.len(),
            });
        }
        Ok(())
    }
}
