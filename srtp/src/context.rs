//! [`Context`]: the SRTP/SRTCP state of one direction of a session.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::cipher::{Kind, Transform};
use crate::header::{check_version, rtcp_ssrc, rtp_header_len, rtp_seq_ssrc};
use crate::header::{RTCP_HEADER_LEN, RTP_FIXED_HEADER_LEN};
use crate::replay::{estimate_index, Refusal, ReplayWindow};
use crate::{Config, Error, MasterKey, ProtectionProfile};

/// RFC 3711 §3.3.1: the SRTP packet index is 48 bits (32-bit ROC, 16-bit SEQ).
const MAX_SRTP_INDEX: u64 = (1 << 48) - 1;
/// The SRTCP index of a stream's first packet. RFC 3711 leaves it open; libsrtp (and so the
/// browsers) start at 1, and so do we, so both protect an RTCP packet to the same bytes.
const FIRST_SRTCP_INDEX: u32 = 1;
/// RFC 3711 §3.4: the SRTCP index is 31 bits.
const MAX_SRTCP_INDEX: u32 = 0x7fff_ffff;

/// The SRTP and SRTCP state of one direction of a session: the session keys derived from one
/// master key, and per SSRC the packet index (rollover counter) and replay window.
///
/// A session uses two: one to [protect](Context::protect_rtp) what this side sends, keyed
/// with the local master key, one to [unprotect](Context::unprotect_rtp) what the peer sends,
/// keyed with the remote master key ([`SessionKeys`](crate::SessionKeys) builds both from
/// DTLS). Sending and receiving state are kept apart, so one context could do both, but the
/// two directions of a real session never share keys.
///
/// Packets are transformed in place. Per-SSRC state is created on the first packet of an
/// SSRC (for received packets, only once the packet authenticates), up to
/// [`Config::max_ssrcs`]. A packet that fails leaves all state as it was.
pub struct Context {
    profile: ProtectionProfile,
    config: Config,
    rtp: Transform,
    rtcp: Transform,
    /// Highest SRTP packet index sent, per SSRC.
    tx_rtp: SsrcMap<u64>,
    /// Replay window (and highest index) of received SRTP, per SSRC.
    rx_rtp: SsrcMap<ReplayWindow>,
    /// Next SRTCP index to send, per SSRC.
    tx_rtcp: SsrcMap<u32>,
    /// Replay window of received SRTCP, per SSRC.
    rx_rtcp: SsrcMap<ReplayWindow>,
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context")
            .field("profile", &self.profile)
            .field("config", &self.config)
            .field("srtp_send_ssrcs", &self.tx_rtp.len())
            .field("srtp_receive_ssrcs", &self.rx_rtp.len())
            .field("srtcp_send_ssrcs", &self.tx_rtcp.len())
            .field("srtcp_receive_ssrcs", &self.rx_rtcp.len())
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for `profile` keyed with a master key and master salt of the profile's
    /// lengths.
    pub fn new(
        profile: ProtectionProfile,
        master_key: &[u8],
        master_salt: &[u8],
        config: Config,
    ) -> Result<Self, Error> {
        let key = MasterKey::new(profile, master_key, master_salt)?;
        Self::from_master_key(&key, config)
    }

    /// A context keyed with `key` (for example one side of
    /// [`SessionKeys`](crate::SessionKeys)).
    pub fn from_master_key(key: &MasterKey, config: Config) -> Result<Self, Error> {
        config.validate()?;
        let profile = key.profile();
        Ok(Self {
            profile,
            rtp: Transform::new(profile, key.key(), key.salt(), Kind::Rtp),
            rtcp: Transform::new(profile, key.key(), key.salt(), Kind::Rtcp),
            config,
            tx_rtp: SsrcMap::default(),
            rx_rtp: SsrcMap::default(),
            tx_rtcp: SsrcMap::default(),
            rx_rtcp: SsrcMap::default(),
        })
    }

    /// The protection profile.
    pub fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes [`protect_rtp`](Self::protect_rtp) appends to an RTP packet (MKI and tag).
    pub fn rtp_overhead(&self) -> usize {
        self.config.mki().len() + self.rtp.tag_len()
    }

    /// Bytes [`protect_rtcp`](Self::protect_rtcp) appends to an RTCP packet (index word, MKI
    /// and tag).
    pub fn rtcp_overhead(&self) -> usize {
        4 + self.config.mki().len() + self.rtcp.tag_len()
    }

    /// Forgets the state of `ssrc` (both directions, SRTP and SRTCP), for example when a
    /// stream ends, freeing its place under [`Config::max_ssrcs`]. A later packet of the
    /// same SSRC starts a fresh stream.
    pub fn remove_ssrc(&mut self, ssrc: u32) {
        self.tx_rtp.remove(&ssrc);
        self.rx_rtp.remove(&ssrc);
        self.tx_rtcp.remove(&ssrc);
        self.rx_rtcp.remove(&ssrc);
    }

    /// The rollover counter of received SRTP stream `ssrc`, if a packet of it was accepted.
    pub fn receive_roc(&self, ssrc: u32) -> Option<u32> {
        self.rx_rtp.get(&ssrc).map(|w| (w.top() >> 16) as u32)
    }

    /// The rollover counter of sent SRTP stream `ssrc`, if a packet of it was protected.
    pub fn send_roc(&self, ssrc: u32) -> Option<u32> {
        self.tx_rtp.get(&ssrc).map(|highest| (highest >> 16) as u32)
    }

    /// The highest SRTP packet index (`ROC << 16 | SEQ`, RFC 3711 §3.3.1) protected for
    /// `ssrc`: with [`set_send_index`](Self::set_send_index), what moves a sending stream to
    /// another context (a handoff to another process).
    pub fn send_index(&self, ssrc: u32) -> Option<u64> {
        self.tx_rtp.get(&ssrc).copied()
    }

    /// The highest SRTP packet index accepted from `ssrc`; see
    /// [`set_receive_index`](Self::set_receive_index).
    pub fn receive_index(&self, ssrc: u32) -> Option<u64> {
        self.rx_rtp.get(&ssrc).map(ReplayWindow::top)
    }

    /// Continues sending stream `ssrc` whose packets up to index `highest` another context
    /// protected: later packets are protected with the rollover counter that follows from
    /// it instead of starting again at ROC 0.
    pub fn set_send_index(&mut self, ssrc: u32, highest: u64) -> Result<(), Error> {
        if highest > MAX_SRTP_INDEX {
            return Err(Error::IndexExhausted { ssrc });
        }
        if !self.tx_rtp.contains_key(&ssrc) {
            check_room(&self.tx_rtp, ssrc, self.config.max_ssrcs())?;
        }
        self.tx_rtp.insert(ssrc, highest);
        Ok(())
    }

    /// Continues receiving stream `ssrc` of which another context accepted packets up to
    /// index `highest`: later packets are authenticated with the rollover counter that
    /// follows from it. Which packets below `highest` the other context accepted is not
    /// carried over, so all of them count as received: a late one is refused as a replay.
    pub fn set_receive_index(&mut self, ssrc: u32, highest: u64) -> Result<(), Error> {
        if highest > MAX_SRTP_INDEX {
            return Err(Error::IndexExhausted { ssrc });
        }
        if !self.rx_rtp.contains_key(&ssrc) {
            check_room(&self.rx_rtp, ssrc, self.config.max_ssrcs())?;
        }
        let window = ReplayWindow::continuing(self.config.srtp_replay_window(), highest);
        self.rx_rtp.insert(ssrc, window);
        Ok(())
    }

    /// The SRTCP index the next RTCP packet of `ssrc` will be protected with.
    pub fn next_srtcp_send_index(&self, ssrc: u32) -> Option<u32> {
        self.tx_rtcp.get(&ssrc).copied()
    }

    /// The highest SRTCP index accepted from `ssrc`.
    pub fn srtcp_receive_index(&self, ssrc: u32) -> Option<u32> {
        self.rx_rtcp.get(&ssrc).map(|w| w.top() as u32)
    }

    /// Continues sending SRTCP for `ssrc` from index `next` (SRTCP indices must not repeat
    /// under one key, RFC 3711 §3.4).
    pub fn set_next_srtcp_send_index(&mut self, ssrc: u32, next: u32) -> Result<(), Error> {
        if next > MAX_SRTCP_INDEX {
            return Err(Error::IndexExhausted { ssrc });
        }
        if !self.tx_rtcp.contains_key(&ssrc) {
            check_room(&self.tx_rtcp, ssrc, self.config.max_ssrcs())?;
        }
        self.tx_rtcp.insert(ssrc, next);
        Ok(())
    }

    /// Continues receiving SRTCP from `ssrc` of which another context accepted indices up
    /// to `highest`; all indices up to it count as received.
    pub fn set_srtcp_receive_index(&mut self, ssrc: u32, highest: u32) -> Result<(), Error> {
        if highest > MAX_SRTCP_INDEX {
            return Err(Error::IndexExhausted { ssrc });
        }
        if !self.rx_rtcp.contains_key(&ssrc) {
            check_room(&self.rx_rtcp, ssrc, self.config.max_ssrcs())?;
        }
        let window = ReplayWindow::continuing(self.config.srtcp_replay_window(), highest.into());
        self.rx_rtcp.insert(ssrc, window);
        Ok(())
    }

    /// Protects the RTP packet in `packet` in place, appending MKI and tag. Does not
    /// allocate when `packet` has [`rtp_overhead`](Self::rtp_overhead) bytes of spare
    /// capacity. On error `packet` keeps its length.
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let len = packet.len();
        packet.resize(len + self.rtp_overhead(), 0);
        let result = self.protect_rtp_in(packet, len);
        finish_vec(packet, len, result)
    }

    /// Protects the RTP packet `buf[..len]` in place; `buf` must have room for
    /// [`rtp_overhead`](Self::rtp_overhead) more bytes. Returns the SRTP packet length.
    pub fn protect_rtp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::BufferTooSmall {
            needed: len,
            capacity: buf.len(),
        })?;
        let header_len = rtp_header_len(packet)?;
        let (seq, ssrc) = rtp_seq_ssrc(packet);
        let mki = self.config.mki();
        let needed = len + mki.len() + self.rtp.tag_len();
        if needed > buf.len() {
            return Err(Error::BufferTooSmall {
                needed,
                capacity: buf.len(),
            });
        }
        // Every check is done before the state moves: protection itself cannot fail.
        let index = match self.tx_rtp.get_mut(&ssrc) {
            Some(highest) => {
                // A packet sent again (a retransmission) keeps the index it had; one from
                // before index 0 cannot be, and is sent with ROC 0.
                let index = estimate_index(*highest, seq).unwrap_or(u64::from(seq));
                if index > MAX_SRTP_INDEX {
                    return Err(Error::IndexExhausted { ssrc });
                }
                *highest = (*highest).max(index);
                index
            }
            None => {
                check_room(&self.tx_rtp, ssrc, self.config.max_ssrcs())?;
                self.tx_rtp.insert(ssrc, u64::from(seq));
                u64::from(seq)
            }
        };
        Ok(self.rtp.protect_rtp(buf, len, header_len, ssrc, index, mki))
    }

    /// Authenticates, replay-checks and decrypts the SRTP packet in `packet` in place,
    /// truncating it to the RTP packet. On error `packet` keeps its length; with the GCM
    /// profiles its payload bytes may have been overwritten.
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let len = self.unprotect_rtp_in(packet)?;
        packet.truncate(len);
        Ok(())
    }

    /// Authenticates, replay-checks and decrypts the SRTP packet `buf` in place. Returns the
    /// length of the RTP packet now at the front of `buf`.
    pub fn unprotect_rtp_in(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = buf.len();
        let mki_len = self.config.mki().len();
        let trailer = mki_len + self.rtp.tag_len();
        if len < RTP_FIXED_HEADER_LEN + trailer {
            return Err(Error::Truncated {
                len,
                needed: RTP_FIXED_HEADER_LEN + trailer,
            });
        }
        let auth_end = len - trailer;
        let header_len = rtp_header_len(&buf[..auth_end]).map_err(|e| match e {
            Error::Truncated { needed, .. } => Error::Truncated {
                len,
                needed: needed + trailer,
            },
            other => other,
        })?;
        let (seq, ssrc) = rtp_seq_ssrc(buf);
        let mki_at = self.rtp.rtp_mki_offset(len, mki_len);
        // Skipped without an MKI: even an empty slice compare is a libc call on this path.
        if mki_len > 0 && buf[mki_at..mki_at + mki_len] != *self.config.mki() {
            return Err(Error::UnknownMki);
        }
        match self.rx_rtp.get_mut(&ssrc) {
            Some(window) => {
                let index = estimate_index(window.top(), seq).ok_or(Error::TooOld {
                    ssrc,
                    index: u64::from(seq),
                })?;
                window.check(index).map_err(|r| refusal(r, ssrc, index))?;
                let plain_len = self
                    .rtp
                    .unprotect_rtp(buf, header_len, ssrc, index, mki_len)?;
                // Authenticated: only now does the packet move the stream's state.
                window.accept(index);
                Ok(plain_len)
            }
            None => {
                check_room(&self.rx_rtp, ssrc, self.config.max_ssrcs())?;
                // RFC 3711 §3.3.1: the first packet of a stream sets s_l, with ROC 0.
                let index = u64::from(seq);
                let plain_len = self
                    .rtp
                    .unprotect_rtp(buf, header_len, ssrc, index, mki_len)?;
                let window = ReplayWindow::new(self.config.srtp_replay_window(), index);
                self.rx_rtp.insert(ssrc, window);
                Ok(plain_len)
            }
        }
    }

    /// Protects the RTCP packet (compound or not) in `packet` in place, appending the SRTCP
    /// index word, MKI and tag. Does not allocate when `packet` has
    /// [`rtcp_overhead`](Self::rtcp_overhead) bytes of spare capacity. On error `packet`
    /// keeps its length.
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let len = packet.len();
        packet.resize(len + self.rtcp_overhead(), 0);
        let result = self.protect_rtcp_in(packet, len);
        finish_vec(packet, len, result)
    }

    /// Protects the RTCP packet `buf[..len]` in place; `buf` must have room for
    /// [`rtcp_overhead`](Self::rtcp_overhead) more bytes. Returns the SRTCP packet length.
    pub fn protect_rtcp_in(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let packet = buf.get(..len).ok_or(Error::BufferTooSmall {
            needed: len,
            capacity: buf.len(),
        })?;
        if len < RTCP_HEADER_LEN {
            return Err(Error::Truncated {
                len,
                needed: RTCP_HEADER_LEN,
            });
        }
        check_version(packet[0])?;
        let ssrc = rtcp_ssrc(packet);
        let needed = len + self.rtcp_overhead();
        if needed > buf.len() {
            return Err(Error::BufferTooSmall {
                needed,
                capacity: buf.len(),
            });
        }
        let index = match self.tx_rtcp.get(&ssrc) {
            Some(&next) => next,
            None => {
                check_room(&self.tx_rtcp, ssrc, self.config.max_ssrcs())?;
                FIRST_SRTCP_INDEX
            }
        };
        // RFC 3711 §9.2: no more than 2^31 SRTCP packets under one master key.
        if index > MAX_SRTCP_INDEX {
            return Err(Error::IndexExhausted { ssrc });
        }
        let encrypt = self.config.srtcp_encryption();
        let out = self
            .rtcp
            .protect_rtcp(buf, len, ssrc, index, encrypt, self.config.mki());
        self.tx_rtcp.insert(ssrc, index + 1);
        Ok(out)
    }

    /// Authenticates, replay-checks and (when its E flag is set) decrypts the SRTCP packet
    /// in `packet` in place, truncating it to the RTCP packet. On error `packet` keeps its
    /// length.
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<(), Error> {
        let len = self.unprotect_rtcp_in(packet)?;
        packet.truncate(len);
        Ok(())
    }

    /// Authenticates, replay-checks and decrypts the SRTCP packet `buf` in place. Returns the
    /// length of the RTCP packet now at the front of `buf`.
    pub fn unprotect_rtcp_in(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = buf.len();
        let mki_len = self.config.mki().len();
        let word_at = self
            .rtcp
            .srtcp_word_offset(len, mki_len)
            .ok_or(Error::Truncated {
                len,
                needed: RTCP_HEADER_LEN + self.rtcp_overhead(),
            })?;
        check_version(buf[0])?;
        let ssrc = rtcp_ssrc(buf);
        let word = u32::from_be_bytes([
            buf[word_at],
            buf[word_at + 1],
            buf[word_at + 2],
            buf[word_at + 3],
        ]);
        let encrypted = word & 0x8000_0000 != 0;
        let index = word & MAX_SRTCP_INDEX;
        match self.rx_rtcp.get(&ssrc) {
            Some(window) => window
                .check(u64::from(index))
                .map_err(|r| refusal(r, ssrc, u64::from(index)))?,
            None => check_room(&self.rx_rtcp, ssrc, self.config.max_ssrcs())?,
        }
        if mki_len > 0 && buf[word_at + 4..word_at + 4 + mki_len] != *self.config.mki() {
            return Err(Error::UnknownMki);
        }
        let plain_len = self
            .rtcp
            .unprotect_rtcp(buf, word_at, ssrc, index, encrypted)?;
        match self.rx_rtcp.get_mut(&ssrc) {
            Some(window) => window.accept(u64::from(index)),
            None => {
                let window = ReplayWindow::new(self.config.srtcp_replay_window(), u64::from(index));
                self.rx_rtcp.insert(ssrc, window);
            }
        }
        Ok(plain_len)
    }

    /// A GCM context keyed with session keys directly, skipping the KDF (RFC 7714's
    /// vectors start from session keys).
    #[cfg(test)]
    pub(crate) fn from_gcm_session_keys(
        profile: ProtectionProfile,
        session_key: &[u8],
        session_salt: [u8; 12],
        config: Config,
    ) -> Self {
        Self {
            profile,
            rtp: Transform::gcm(profile, session_key, session_salt),
            rtcp: Transform::gcm(profile, session_key, session_salt),
            config,
            tx_rtp: SsrcMap::default(),
            rx_rtp: SsrcMap::default(),
            tx_rtcp: SsrcMap::default(),
            rx_rtcp: SsrcMap::default(),
        }
    }

    #[cfg(test)]
    pub(crate) fn tracked(&self) -> [usize; 4] {
        [
            self.tx_rtp.len(),
            self.rx_rtp.len(),
            self.tx_rtcp.len(),
            self.rx_rtcp.len(),
        ]
    }
}

fn finish_vec(packet: &mut Vec<u8>, len: usize, result: Result<usize, Error>) -> Result<(), Error> {
    match result {
        Ok(out) => {
            packet.truncate(out);
            Ok(())
        }
        Err(e) => {
            packet.truncate(len);
            Err(e)
        }
    }
}

fn refusal(refusal: Refusal, ssrc: u32, index: u64) -> Error {
    match refusal {
        Refusal::Replayed => Error::Replayed { ssrc, index },
        Refusal::TooOld => Error::TooOld { ssrc, index },
    }
}

fn check_room<V>(map: &SsrcMap<V>, ssrc: u32, limit: usize) -> Result<(), Error> {
    if map.len() >= limit {
        Err(Error::TooManySsrcs { ssrc, limit })
    } else {
        Ok(())
    }
}

/// Per-SSRC state. Only SSRCs of authenticated packets (or of our own sends) are inserted and
/// their number is bounded, so a fast non-keyed hash cannot be flooded.
type SsrcMap<V> = HashMap<u32, V, BuildHasherDefault<SsrcHasher>>;

/// Multiplicative hash of a `u32` key (Fibonacci hashing), folded so both halves mix.
#[derive(Default)]
struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        let h = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}
