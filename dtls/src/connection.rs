//! One DTLS 1.2 connection, client or server: the handshake state machine (named after the
//! flights of RFC 6347 §4.2.4), flight retransmission, and the protected record layer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use ring::hmac;

use crate::certificate::{peer_public_key, Fingerprint, HashAlgorithm};
use crate::config::{Config, Role};
use crate::crypto::{key_lengths, max_plaintext, prf, scheme, EcdhKey, PeerKey, RecordCipher};
use crate::error::{AlertDescription, Error};
use crate::event::{CloseReason, Event, SrtpKeyingMaterial};
use crate::handshake::{
    self, encode_certificate, encode_hello_verify_request, encode_signed, msg_type,
    parse_certificate, parse_certificate_verify, parse_client_key_exchange,
    parse_hello_verify_request, transcript_bytes, CertificateRequest, ClientHello, Extensions,
    Fragment, ServerHello, ServerKeyExchange, UseSrtp, HANDSHAKE_HEADER_LEN,
};
use crate::reassembly::{Insert, Message, Reassembler};
use crate::record::{
    write_header, ContentType, Record, ReplayWindow, DTLS_1_0, DTLS_1_2, MAX_SEQUENCE,
    RECORD_HEADER_LEN,
};
use crate::suites::{AuthKind, CipherSuite, NamedGroup, SrtpProfile};

/// Largest application data payload per record (RFC 6347 §4.1: 2^14).
pub const MAX_APPLICATION_DATA: usize = 1 << 14;
/// Records of the next epoch kept while their keys are not derived yet (reordering).
const MAX_DEFERRED: usize = 8;
/// Application data records kept when they overtake the peer's Finished.
const MAX_EARLY_DATA: usize = 16;
/// Smallest MTU we accept in the config (a handshake fragment must carry something).
const MIN_MTU: usize = 128;
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;
/// ec_point_formats: uncompressed only (RFC 8422 §5.1.2).
const POINT_FORMAT_UNCOMPRESSED: u8 = 0;
/// ClientCertificateType (RFC 5246 §7.4.4, RFC 8422 §5.5).
const CERT_TYPE_RSA_SIGN: u8 = 1;
const CERT_TYPE_ECDSA_SIGN: u8 = 64;
/// Length of the cookies we issue.
pub(crate) const COOKIE_LEN: usize = 32;

/// The stateless cookie (RFC 6347 §4.2.1): `HMAC(secret, binding || client_random)`. The
/// binding is the client's transport address when an [`crate::Endpoint`] serves many.
pub(crate) fn compute_cookie(
    secret: &hmac::Key,
    binding: &[u8],
    random: &[u8],
) -> [u8; COOKIE_LEN] {
    let mut ctx = hmac::Context::with_key(secret);
    ctx.update(binding);
    ctx.update(random);
    let tag = ctx.sign();
    let mut out = [0u8; COOKIE_LEN];
    out.copy_from_slice(&tag.as_ref()[..COOKIE_LEN]);
    out
}

/// Compares a cookie without an early exit on the first differing byte.
pub(crate) fn cookie_matches(expected: &[u8], got: &[u8]) -> bool {
    expected.len() == got.len()
        && expected
            .iter()
            .zip(got)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Builds a HelloVerifyRequest datagram answering a ClientHello of `message_seq`.
pub(crate) fn hello_verify_datagram(message_seq: u16, record_seq: u64, cookie: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(3 + cookie.len());
    // RFC 6347 §4.2.1: "DTLS 1.2 server implementations SHOULD use DTLS version 1.0
    // regardless of the version of TLS that is expected to be negotiated."
    encode_hello_verify_request(DTLS_1_0, cookie, &mut body);
    let mut out = Vec::with_capacity(RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN + body.len());
    write_header(
        &mut out,
        ContentType::Handshake,
        0,
        record_seq,
        HANDSHAKE_HEADER_LEN + body.len(),
    );
    handshake::write_header(
        &mut out,
        msg_type::HELLO_VERIFY_REQUEST,
        body.len(),
        message_seq,
        0,
        body.len(),
    );
    out.extend_from_slice(&body);
    out
}

enum FlightMessage {
    Handshake {
        msg_type: u8,
        seq: u16,
        body: Vec<u8>,
        epoch: u16,
    },
    ChangeCipherSpec,
}

/// The retransmission timer of RFC 6347 §4.2.4.1.
struct RetransmitTimer {
    at: Option<Instant>,
    timeout: Duration,
    count: u32,
}

/// What a client collects of the server's flight 4.
#[derive(Default)]
struct ServerFlight {
    hello: Option<ServerHello>,
    suite: Option<CipherSuite>,
    srtp: Option<(SrtpProfile, Vec<u8>)>,
    certificate: Option<(Vec<u8>, PeerKey)>,
    key_exchange: Option<ServerKeyExchange>,
    group: Option<NamedGroup>,
    certificate_request: Option<CertificateRequest>,
}

/// Client, flights 1 and 3: a ClientHello is out, awaiting HelloVerifyRequest or flight 4.
struct ClientHelloSent {
    hello: ClientHello,
    server: ServerFlight,
}

/// Client, flight 5 sent: awaiting the server's ChangeCipherSpec + Finished.
struct ClientFinishedSent {
    expected_verify_data: [u8; 12],
}

/// Server, flight 4 sent: awaiting the client's Certificate, ClientKeyExchange,
/// CertificateVerify, ChangeCipherSpec and Finished.
struct ServerHelloSent {
    ecdh: Option<EcdhKey>,
    peer: Option<(Vec<u8>, PeerKey)>,
    certificate_received: bool,
    key_exchanged: bool,
    certificate_verified: bool,
}

/// The handshake state, named after the flight we sent last.
enum State {
    ClientFlight1(Box<ClientHelloSent>),
    ClientFlight3(Box<ClientHelloSent>),
    ClientFlight5(ClientFinishedSent),
    /// Server before a ClientHello with a valid cookie: no per-client state is kept.
    ServerFlight0,
    ServerFlight4(Box<ServerHelloSent>),
    Established,
    Closed,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::ClientFlight1(_) => "awaiting HelloVerifyRequest or ServerHello (flight 1 sent)",
            State::ClientFlight3(_) => "awaiting the server's flight 4 (flight 3 sent)",
            State::ClientFlight5(_) => "awaiting the server's Finished (flight 5 sent)",
            State::ServerFlight0 => "awaiting ClientHello",
            State::ServerFlight4(_) => "awaiting the client's flight 5 (flight 4 sent)",
            State::Established => "established",
            State::Closed => "closed",
        }
    }
}

/// What both sides agreed on, filled in as the handshake goes.
#[derive(Default)]
struct Negotiated {
    suite: Option<CipherSuite>,
    group: Option<NamedGroup>,
    srtp: Option<(SrtpProfile, Vec<u8>)>,
    extended_master_secret: bool,
    client_random: [u8; 32],
    server_random: [u8; 32],
    master_secret: Option<[u8; 48]>,
    /// Shared with the `Connected` event rather than copied into it.
    peer_certificate: Option<Bytes>,
}

/// A sans-IO DTLS 1.2 connection with one peer.
///
/// Feed it datagrams with [`Connection::handle_receive`] and timer expiries with
/// [`Connection::handle_timeout`]; after each call drain [`Connection::poll_transmit`]
/// (datagrams to send to the peer) and [`Connection::poll_event`], then sleep until
/// [`Connection::poll_timeout`]. Mutators ([`Connection::send_application_data`],
/// [`Connection::close`]) queue datagrams the same way.
pub struct Connection {
    config: Arc<Config>,
    role: Role,
    state: State,
    rng: ChaCha20Rng,

    write_seq: [u64; 2],
    write_epoch1: Option<RecordCipher>,
    read_epoch1: Option<RecordCipher>,
    replay: [ReplayWindow; 2],
    deferred: Vec<(ContentType, u64, Vec<u8>)>,

    reassembler: Reassembler,
    send_seq: u16,
    transcript: Vec<u8>,
    flight: Vec<FlightMessage>,
    /// message_seq range (first, last) of the peer's last complete flight: fragments of it
    /// arriving again mean our answer was lost.
    peer_flight: Option<(u16, u16)>,
    /// When we last retransmitted because the peer did (at most one answer per burst).
    last_answer: Option<Instant>,
    timer: RetransmitTimer,

    cookie_key: hmac::Key,
    cookie_binding: Vec<u8>,

    negotiated: Negotiated,
    early_data: Vec<Bytes>,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    /// `Event::Closed` was queued (the state may be `Closed` transiently while a handshake
    /// message is processed).
    close_reported: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

fn seeded_rng(seed: Option<[u8; 32]>) -> ChaCha20Rng {
    let seed = seed.unwrap_or_else(|| {
        let mut s = [0u8; 32];
        // SystemRandom only fails when the OS has no entropy source at all; then a
        // zero seed still yields a working (if predictable) connection.
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut s);
        s
    });
    ChaCha20Rng::from_seed(seed)
}

impl Connection {
    /// A client connection; its first flight (the ClientHello) is queued at once.
    pub fn client(config: Arc<Config>, now: Instant) -> Self {
        let mut conn = Self::new(config, Role::Client, None);
        let mut random = [0u8; 32];
        conn.rng.fill_bytes(&mut random);
        let hello = conn.build_client_hello(random);
        conn.send_client_hello(now, &hello);
        conn.state = State::ClientFlight1(Box::new(ClientHelloSent {
            hello,
            server: ServerFlight::default(),
        }));
        conn
    }

    /// A server connection, waiting for a ClientHello.
    pub fn server(config: Arc<Config>) -> Self {
        Self::new(config, Role::Server, None)
    }

    /// A connection with the given role (`Role::from_setup_active` maps SDP a=setup).
    pub fn new_with_role(config: Arc<Config>, role: Role, now: Instant) -> Self {
        match role {
            Role::Client => Self::client(config, now),
            Role::Server => Self::server(config),
        }
    }

    /// A server whose cookies are bound to `binding` (the client's address) with a secret
    /// shared by an endpoint.
    pub(crate) fn server_bound(
        config: Arc<Config>,
        cookie_key: hmac::Key,
        binding: Vec<u8>,
        first_record_seq: u64,
    ) -> Self {
        let mut conn = Self::new(config, Role::Server, Some(cookie_key));
        conn.cookie_binding = binding;
        // RFC 6347 §4.2.1: our records continue from the ClientHello's sequence number, as
        // the stateless HelloVerifyRequest used it.
        conn.write_seq[0] = first_record_seq;
        conn
    }

    fn new(config: Arc<Config>, role: Role, cookie_key: Option<hmac::Key>) -> Self {
        let mut rng = seeded_rng(config.rng_seed);
        let cookie_key = cookie_key.unwrap_or_else(|| {
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            hmac::Key::new(hmac::HMAC_SHA256, &secret)
        });
        let timeout = config.retransmit_initial;
        Self {
            role,
            state: match role {
                Role::Client => State::Closed,
                Role::Server => State::ServerFlight0,
            },
            rng,
            write_seq: [0; 2],
            write_epoch1: None,
            read_epoch1: None,
            replay: Default::default(),
            deferred: Vec::new(),
            reassembler: Reassembler::new(),
            send_seq: 0,
            transcript: Vec::new(),
            flight: Vec::new(),
            peer_flight: None,
            last_answer: None,
            timer: RetransmitTimer {
                at: None,
                timeout,
                count: 0,
            },
            cookie_key,
            cookie_binding: Vec::new(),
            negotiated: Negotiated::default(),
            early_data: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            close_reported: false,
            config,
        }
    }

    // ---- getters -------------------------------------------------------------------

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// True once the handshake completed and until the connection closes.
    pub fn is_established(&self) -> bool {
        matches!(self.state, State::Established)
    }

    /// True after a close, a fatal error or a handshake timeout.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The negotiated cipher suite, once known.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.negotiated.suite
    }

    /// The negotiated SRTP profile, once known.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        self.negotiated.srtp.as_ref().map(|(p, _)| *p)
    }

    /// The peer's leaf certificate (DER), once received and checked.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        self.negotiated.peer_certificate.as_deref()
    }

    /// RFC 5705 keying material exporter:
    /// `PRF(master_secret, label, client_random + server_random [+ context_len + context])`.
    pub fn export_keying_material(
        &self,
        label: &str,
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, Error> {
        if !self.is_established() {
            return Err(Error::NotConnected);
        }
        let (Some(suite), Some(ms)) = (self.negotiated.suite, self.negotiated.master_secret) else {
            return Err(Error::NotConnected);
        };
        if len > 1 << 16 {
            return Err(Error::Export { what: "too long" });
        }
        let mut ctx_prefix = Vec::new();
        if let Some(c) = context {
            let n = u16::try_from(c.len()).map_err(|_| Error::Export {
                what: "context too long",
            })?;
            ctx_prefix.extend_from_slice(&n.to_be_bytes());
        }
        let mut out = vec![0u8; len];
        prf(
            suite.prf_hash(),
            &ms,
            label.as_bytes(),
            &[
                &self.negotiated.client_random,
                &self.negotiated.server_random,
                &ctx_prefix,
                context.unwrap_or_default(),
            ],
            &mut out,
        );
        Ok(out)
    }

    // ---- poll ----------------------------------------------------------------------

    /// The next datagram to send to the peer.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.at
    }

    // ---- input ---------------------------------------------------------------------

    /// Processes one datagram from the peer. Malformed, unauthentic or replayed records
    /// are dropped silently (RFC 6347 §4.1.2.7); a handshake failure sends a fatal alert,
    /// queues [`Event::Closed`] and is returned.
    pub fn handle_receive(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Error> {
        if self.is_closed() {
            return Ok(());
        }
        let result = self.receive_inner(now, datagram);
        if let Err(e) = &result {
            self.fail(e.clone());
        }
        result
    }

    /// Like [`Connection::handle_receive`], but takes ownership of the datagram buffer:
    /// application data is decrypted in place and delivered as zero-copy slices of it (the
    /// hot path for SCTP over DTLS).
    pub fn handle_receive_buf(
        &mut self,
        now: Instant,
        mut datagram: BytesMut,
    ) -> Result<(), Error> {
        if self.is_closed() {
            return Ok(());
        }
        while !datagram.is_empty() {
            let Ok((record, rest)) = Record::parse(&datagram) else {
                return Ok(());
            };
            let record_len = datagram.len() - rest.len();
            let (content_type, epoch, seq) = (record.content_type, record.epoch, record.sequence);
            let fast = content_type == ContentType::ApplicationData
                && epoch == 1
                && self.is_established()
                && self.replay[1].check(seq);
            // A datagram usually holds one record: taking the whole buffer spares the
            // reference count a split would need.
            let mut rec = if record_len == datagram.len() {
                std::mem::take(&mut datagram)
            } else {
                datagram.split_to(record_len)
            };
            if !fast {
                let result = self.receive_inner(now, &rec);
                if let Err(e) = &result {
                    self.fail(e.clone());
                }
                result?;
                continue;
            }
            let Some(cipher) = &self.read_epoch1 else {
                continue;
            };
            let payload = &mut rec[RECORD_HEADER_LEN..];
            let Some(range) = cipher.open_in_place(content_type, epoch, seq, payload) else {
                continue;
            };
            self.replay[1].accept(seq);
            // Narrow to the plaintext without reference-count traffic; on `Bytes` that is
            // two field updates (a `BytesMut` advance re-encodes its offset).
            let mut data = rec.freeze();
            data.truncate(RECORD_HEADER_LEN + range.end);
            bytes::Buf::advance(&mut data, RECORD_HEADER_LEN + range.start);
            self.events.push_back(Event::ApplicationData(data));
        }
        Ok(())
    }

    fn receive_inner(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Error> {
        for record in Record::iter(datagram) {
            self.handle_record(
                now,
                record.content_type,
                record.epoch,
                record.sequence,
                record.payload,
            )?;
            if self.is_closed() {
                return Ok(());
            }
        }
        while self.read_epoch1.is_some() && !self.deferred.is_empty() {
            let deferred = std::mem::take(&mut self.deferred);
            for (ct, seq, payload) in deferred {
                self.handle_record(now, ct, 1, seq, &payload)?;
                if self.is_closed() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Retransmits the current flight when its timer expired (early calls are no-ops);
    /// fails the handshake after `max_retransmissions`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(at) = self.timer.at else { return };
        if now < at {
            return;
        }
        if self.timer.count >= self.config.max_retransmissions {
            let retransmissions = self.timer.count;
            self.fail(Error::HandshakeTimeout { retransmissions });
            return;
        }
        self.timer.count += 1;
        // RFC 6347 §4.2.4.1: "double the value at each retransmission, up to no less than
        // the RFC 6298 maximum of 60 seconds".
        self.timer.timeout = (self.timer.timeout * 2).min(self.config.retransmit_max);
        self.timer.at = Some(now + self.timer.timeout);
        log::debug!(
            "dtls {:?}: retransmitting flight ({}), next timeout {:?}",
            self.role,
            self.timer.count,
            self.timer.timeout
        );
        self.emit_flight();
    }

    // ---- mutators ------------------------------------------------------------------

    /// Sends one record of application data (e.g. an SCTP packet); the datagram comes out
    /// of [`Connection::poll_transmit`].
    pub fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        let mut out = Vec::with_capacity(RECORD_HEADER_LEN + 24 + data.len());
        self.write_application_data(data, &mut out)?;
        self.transmits.push_back(out);
        Ok(())
    }

    /// Appends one protected application data record to `out` instead of queueing it: the
    /// caller owns the buffer (reuse it across records, pack several records into one
    /// datagram, or write into a GSO batch) and sends it to the peer itself.
    pub fn write_application_data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        match self.state {
            State::Established => {}
            State::Closed => return Err(Error::Closed),
            _ => return Err(Error::NotConnected),
        }
        if data.len() > MAX_APPLICATION_DATA {
            return Err(Error::DataTooLarge {
                len: data.len(),
                max: MAX_APPLICATION_DATA,
            });
        }
        let cipher = self.write_epoch1.as_ref().ok_or(Error::NotConnected)?;
        let seq = self.write_seq[1];
        if seq >= MAX_SEQUENCE {
            return Err(Error::Closed);
        }
        self.write_seq[1] += 1;
        cipher.seal_record(out, ContentType::ApplicationData, 1, seq, data)
    }

    /// Sends close_notify and closes; queues [`Event::Closed`] with [`CloseReason::Local`].
    pub fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        self.send_alert(1, AlertDescription::CloseNotify);
        self.enter_closed(CloseReason::Local);
    }

    // ---- record layer --------------------------------------------------------------

    fn handle_record(
        &mut self,
        now: Instant,
        content_type: ContentType,
        epoch: u16,
        seq: u64,
        payload: &[u8],
    ) -> Result<(), Error> {
        let owned;
        let plaintext: &[u8] = match epoch {
            0 => {
                if content_type == ContentType::ApplicationData || !self.replay[0].check(seq) {
                    return Ok(());
                }
                // Epoch 0 is unauthenticated: after the handshake only handshake
                // retransmissions are of interest.
                if self.is_established() && content_type != ContentType::Handshake {
                    return Ok(());
                }
                self.replay[0].accept(seq);
                payload
            }
            1 => {
                let Some(cipher) = &self.read_epoch1 else {
                    if self.deferred.len() < MAX_DEFERRED
                        && !matches!(self.state, State::ServerFlight0)
                    {
                        self.deferred.push((content_type, seq, payload.to_vec()));
                    }
                    return Ok(());
                };
                if !self.replay[1].check(seq) {
                    return Ok(());
                }
                let Some(plain) = cipher.open_record(content_type, 1, seq, payload) else {
                    return Ok(());
                };
                self.replay[1].accept(seq);
                if content_type == ContentType::ApplicationData {
                    let data = Bytes::from(plain);
                    if self.is_established() {
                        self.events.push_back(Event::ApplicationData(data));
                    } else if self.early_data.len() < MAX_EARLY_DATA && !self.is_closed() {
                        self.early_data.push(data);
                    }
                    return Ok(());
                }
                owned = plain;
                &owned
            }
            _ => return Ok(()),
        };
        match content_type {
            ContentType::Handshake => self.handle_handshake(now, epoch, plaintext),
            ContentType::ChangeCipherSpec => {
                // The epoch switch is implied by the record epochs we see; a CCS only has
                // to be well-formed (RFC 5246 §7.1).
                Ok(())
            }
            ContentType::Alert => {
                self.handle_alert(plaintext);
                Ok(())
            }
            // Epoch 0 application data was dropped above, epoch 1 delivered there.
            ContentType::ApplicationData => Ok(()),
        }
    }

    fn handle_alert(&mut self, plaintext: &[u8]) {
        let [level, description] = plaintext else {
            return;
        };
        let description = AlertDescription::from(*description);
        if description == AlertDescription::CloseNotify {
            // RFC 5246 §7.2.1: respond with a close_notify of our own.
            self.send_alert(1, AlertDescription::CloseNotify);
            self.enter_closed(CloseReason::PeerClosed);
        } else if *level == 2 {
            self.enter_closed(CloseReason::Error(Error::PeerAlert { description }));
        } else {
            log::debug!("dtls {:?}: ignoring warning alert {description}", self.role);
        }
    }

    fn send_alert(&mut self, level: u8, description: AlertDescription) {
        let payload = [level, description.code()];
        let mut out = Vec::with_capacity(64);
        if let Some(cipher) = &self.write_epoch1 {
            let seq = self.write_seq[1];
            self.write_seq[1] += 1;
            if cipher
                .seal_record(&mut out, ContentType::Alert, 1, seq, &payload)
                .is_err()
            {
                return;
            }
        } else {
            let seq = self.write_seq[0];
            self.write_seq[0] += 1;
            write_header(&mut out, ContentType::Alert, 0, seq, payload.len());
            out.extend_from_slice(&payload);
        }
        self.transmits.push_back(out);
    }

    fn enter_closed(&mut self, reason: CloseReason) {
        self.close_reported = true;
        self.state = State::Closed;
        self.timer.at = None;
        self.flight.clear();
        self.deferred.clear();
        self.events.push_back(Event::Closed { reason });
    }

    fn fail(&mut self, error: Error) {
        if self.close_reported {
            return;
        }
        log::debug!("dtls {:?}: handshake failed: {error}", self.role);
        if !matches!(error, Error::PeerAlert { .. }) {
            self.send_alert(2, error.alert());
        }
        self.enter_closed(CloseReason::Error(error));
    }

    // ---- handshake framing ---------------------------------------------------------

    fn handle_handshake(
        &mut self,
        now: Instant,
        epoch: u16,
        plaintext: &[u8],
    ) -> Result<(), Error> {
        let Ok(fragments) = Fragment::parse_all(plaintext) else {
            return Ok(());
        };
        for frag in &fragments {
            if matches!(self.state, State::ServerFlight0) {
                if frag.msg_type != msg_type::CLIENT_HELLO || epoch != 0 {
                    continue;
                }
                self.reassembler.skip_to(frag.message_seq);
            }
            match self.reassembler.insert(frag, epoch) {
                Insert::Old { .. } => {
                    // RFC 6347 §4.2.4: receiving a retransmission of the peer's last flight
                    // means our answer was lost: retransmit it, once per burst (the peer
                    // resends a whole flight at once, several datagrams).
                    let in_last_flight = self
                        .peer_flight
                        .is_some_and(|(first, last)| (first..=last).contains(&frag.message_seq));
                    let quiet = self
                        .last_answer
                        .is_none_or(|t| now >= t + self.config.retransmit_initial / 2);
                    if in_last_flight && quiet && !self.flight.is_empty() {
                        self.last_answer = Some(now);
                        self.emit_flight();
                    }
                }
                Insert::Accepted | Insert::Dropped => {}
            }
        }
        while let Some(msg) = self.reassembler.pop() {
            self.handle_message(now, msg)?;
            if self.is_closed() {
                break;
            }
        }
        Ok(())
    }

    fn handle_message(&mut self, now: Instant, msg: Message) -> Result<(), Error> {
        let state = std::mem::replace(&mut self.state, State::Closed);
        let unexpected = |state: &State| Error::UnexpectedMessage {
            msg_type: msg.msg_type,
            state: state.name(),
        };
        // Finished must come under the new keys, everything else before them.
        if (msg.msg_type == msg_type::FINISHED) != (msg.epoch == 1) {
            let e = unexpected(&state);
            self.state = state;
            return Err(e);
        }
        let next = match state {
            State::ClientFlight1(hs) => self.client_on_message(now, hs, false, msg),
            State::ClientFlight3(hs) => self.client_on_message(now, hs, true, msg),
            State::ClientFlight5(fin) => {
                if msg.msg_type != msg_type::FINISHED {
                    Err(unexpected(&State::ClientFlight5(fin)))
                } else if msg.body.as_slice() != fin.expected_verify_data {
                    Err(Error::BadFinished)
                } else {
                    // The server's Finished proves it has our flight 5: nothing of ours is
                    // ever resent, so the flight's storage goes too.
                    self.flight = Vec::new();
                    self.timer.at = None;
                    self.connected();
                    Ok(State::Established)
                }
            }
            State::ServerFlight0 => self.server_on_client_hello(now, msg),
            State::ServerFlight4(hs) => self.server_on_message(hs, msg),
            State::Established => {
                // A new handshake on an established connection is renegotiation, which
                // we refuse (RFC 5746 §4.4 allows a no_renegotiation warning).
                if msg.msg_type == msg_type::CLIENT_HELLO || msg.msg_type == msg_type::HELLO_REQUEST
                {
                    self.send_alert(1, AlertDescription::NoRenegotiation);
                }
                Ok(State::Established)
            }
            State::Closed => Ok(State::Closed),
        };
        // On error the state stays Closed; the caller reports the failure.
        self.state = next?;
        Ok(())
    }

    fn append_transcript(&mut self, msg_type: u8, seq: u16, body: &[u8]) {
        transcript_bytes(msg_type, seq, body, &mut self.transcript);
    }

    /// Queues a handshake message of the flight being built and adds it to the transcript.
    fn push_message(&mut self, msg_type: u8, body: Vec<u8>, epoch: u16) {
        let seq = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        self.append_transcript(msg_type, seq, &body);
        self.flight.push(FlightMessage::Handshake {
            msg_type,
            seq,
            body,
            epoch,
        });
    }

    /// Sends the flight just built, arming the retransmission timer when it expects an answer.
    fn start_flight(&mut self, now: Instant, expects_answer: bool) {
        self.timer.count = 0;
        self.timer.timeout = self.config.retransmit_initial;
        self.timer.at = expects_answer.then(|| now + self.timer.timeout);
        self.emit_flight();
    }

    /// Fragments the current flight into records packed into MTU-sized datagrams.
    fn emit_flight(&mut self) {
        let mtu = self.config.mtu.max(MIN_MTU);
        let mut datagrams: Vec<Vec<u8>> = Vec::new();
        let mut current: Vec<u8> = Vec::with_capacity(mtu);
        let mut fragment = Vec::with_capacity(mtu);
        for m in &self.flight {
            match m {
                FlightMessage::ChangeCipherSpec => {
                    if current.len() + RECORD_HEADER_LEN + 1 > mtu && !current.is_empty() {
                        datagrams.push(std::mem::replace(&mut current, Vec::with_capacity(mtu)));
                    }
                    let seq = self.write_seq[0];
                    self.write_seq[0] += 1;
                    write_header(&mut current, ContentType::ChangeCipherSpec, 0, seq, 1);
                    current.push(1);
                }
                FlightMessage::Handshake {
                    msg_type,
                    seq,
                    body,
                    epoch,
                } => {
                    let cipher = if *epoch == 1 {
                        self.write_epoch1.as_ref()
                    } else {
                        None
                    };
                    let overhead = cipher.map_or(0, |c| c.overhead());
                    let max_frag = max_plaintext(mtu, overhead) - HANDSHAKE_HEADER_LEN;
                    let mut offset = 0;
                    loop {
                        let n = (body.len() - offset).min(max_frag);
                        let record_len = RECORD_HEADER_LEN + overhead + HANDSHAKE_HEADER_LEN + n;
                        if current.len() + record_len > mtu && !current.is_empty() {
                            datagrams
                                .push(std::mem::replace(&mut current, Vec::with_capacity(mtu)));
                        }
                        fragment.clear();
                        handshake::write_header(
                            &mut fragment,
                            *msg_type,
                            body.len(),
                            *seq,
                            offset,
                            n,
                        );
                        fragment.extend_from_slice(&body[offset..offset + n]);
                        let rseq = self.write_seq[usize::from(*epoch)];
                        self.write_seq[usize::from(*epoch)] += 1;
                        match cipher {
                            Some(c) => {
                                // Sealing with a valid key cannot fail; a failure would
                                // only lose this fragment, which retransmission covers.
                                let _ = c.seal_record(
                                    &mut current,
                                    ContentType::Handshake,
                                    1,
                                    rseq,
                                    &fragment,
                                );
                            }
                            None => {
                                write_header(
                                    &mut current,
                                    ContentType::Handshake,
                                    0,
                                    rseq,
                                    fragment.len(),
                                );
                                current.extend_from_slice(&fragment);
                            }
                        }
                        offset += n;
                        if offset >= body.len() {
                            break;
                        }
                    }
                }
            }
        }
        if !current.is_empty() {
            datagrams.push(current);
        }
        self.transmits.extend(datagrams);
    }

    // ---- client --------------------------------------------------------------------

    fn build_client_hello(&self, random: [u8; 32]) -> ClientHello {
        let config = &self.config;
        let mut suites: Vec<u16> = config.cipher_suites.iter().map(|s| s.code()).collect();
        suites.push(EMPTY_RENEGOTIATION_INFO_SCSV);
        ClientHello {
            version: DTLS_1_2,
            random,
            session_id: Vec::new(),
            cookie: Vec::new(),
            cipher_suites: suites,
            compression_methods: vec![0],
            extensions: Extensions {
                supported_groups: Some(config.groups.iter().map(|g| g.code()).collect()),
                ec_point_formats: Some(vec![POINT_FORMAT_UNCOMPRESSED]),
                signature_algorithms: Some(scheme::VERIFY.to_vec()),
                use_srtp: (!config.srtp_profiles.is_empty()).then(|| UseSrtp {
                    profiles: config.srtp_profiles.iter().map(|p| p.code()).collect(),
                    mki: config.srtp_mki.clone(),
                }),
                extended_master_secret: true,
                renegotiation_info: None,
            },
        }
    }

    fn send_client_hello(&mut self, now: Instant, hello: &ClientHello) {
        let mut body = Vec::with_capacity(256);
        match self.config.client_hello_encoder {
            Some(encode) => encode(hello, &mut body),
            None => hello.encode(&mut body),
        }
        self.flight.clear();
        // RFC 6347 §4.2.6: the transcript restarts with the ClientHello that carries the
        // cookie; the first ClientHello and the HelloVerifyRequest are not included.
        self.transcript.clear();
        self.push_message(msg_type::CLIENT_HELLO, body, 0);
        self.start_flight(now, true);
    }

    fn client_on_message(
        &mut self,
        now: Instant,
        mut hs: Box<ClientHelloSent>,
        cookie_sent: bool,
        msg: Message,
    ) -> Result<State, Error> {
        let wrap = |hs: Box<ClientHelloSent>| {
            if cookie_sent {
                State::ClientFlight3(hs)
            } else {
                State::ClientFlight1(hs)
            }
        };
        let unexpected = |state: &'static str| Error::UnexpectedMessage {
            msg_type: msg.msg_type,
            state,
        };
        let server = &mut hs.server;
        match msg.msg_type {
            msg_type::HELLO_VERIFY_REQUEST if server.hello.is_none() => {
                let (_version, cookie) = parse_hello_verify_request(&msg.body)?;
                if cookie.is_empty() {
                    return Err(Error::IllegalParameter {
                        what: "empty HelloVerifyRequest cookie",
                    });
                }
                self.peer_flight = Some((msg.seq, msg.seq));
                // A stateless server answers from a fresh state after the cookie exchange
                // and may restart its epoch 0 record numbers (RFC 6347 §4.2.1 has it reuse
                // the ClientHello's), so epoch 0 duplicate detection starts over.
                self.replay[0] = ReplayWindow::default();
                hs.hello.cookie = cookie;
                let hello = hs.hello.clone();
                self.send_client_hello(now, &hello);
                Ok(State::ClientFlight3(hs))
            }
            msg_type::SERVER_HELLO if server.hello.is_none() => {
                let sh = ServerHello::parse(&msg.body)?;
                if sh.version != DTLS_1_2 {
                    return Err(Error::ProtocolVersion {
                        version: sh.version,
                    });
                }
                let suite = CipherSuite::from_code(sh.cipher_suite)
                    .filter(|s| self.config.cipher_suites.contains(s))
                    .ok_or(Error::IllegalParameter {
                        what: "ServerHello cipher suite not offered",
                    })?;
                if sh.compression_method != 0 {
                    return Err(Error::IllegalParameter {
                        what: "ServerHello compression",
                    });
                }
                if self.config.require_extended_master_secret
                    && !sh.extensions.extended_master_secret
                {
                    return Err(Error::ExtendedMasterSecretRequired);
                }
                if let Some(info) = &sh.extensions.renegotiation_info {
                    if !info.is_empty() {
                        return Err(Error::IllegalParameter {
                            what: "renegotiation_info",
                        });
                    }
                }
                server.srtp = match &sh.extensions.use_srtp {
                    None => None,
                    Some(u) => {
                        let [code] = u.profiles.as_slice() else {
                            return Err(Error::IllegalParameter {
                                what: "use_srtp must select one profile",
                            });
                        };
                        let profile = SrtpProfile::from_code(*code)
                            .filter(|p| self.config.srtp_profiles.contains(p))
                            .ok_or(Error::IllegalParameter {
                                what: "use_srtp profile not offered",
                            })?;
                        Some((profile, u.mki.clone()))
                    }
                };
                self.negotiated.extended_master_secret = sh.extensions.extended_master_secret;
                server.suite = Some(suite);
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                server.hello = Some(sh);
                Ok(wrap(hs))
            }
            msg_type::CERTIFICATE if server.hello.is_some() && server.certificate.is_none() => {
                let chain = parse_certificate(&msg.body)?;
                let leaf = chain.into_iter().next().ok_or(Error::NoPeerCertificate)?;
                let key = self.check_peer_certificate(&leaf)?;
                let auth_ok = matches!(
                    (server.suite.map(|s| s.auth()), &key),
                    (
                        Some(AuthKind::Ecdsa),
                        PeerKey::EcdsaP256(_) | PeerKey::EcdsaP384(_)
                    ) | (Some(AuthKind::Rsa), PeerKey::Rsa(_))
                );
                if !auth_ok {
                    return Err(Error::BadCertificate {
                        what: "key type does not match the cipher suite",
                    });
                }
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                server.certificate = Some((leaf, key));
                Ok(wrap(hs))
            }
            msg_type::SERVER_KEY_EXCHANGE
                if server.certificate.is_some() && server.key_exchange.is_none() =>
            {
                let ske = ServerKeyExchange::parse(&msg.body)?;
                let group = NamedGroup::from_code(ske.group)
                    .filter(|g| self.config.groups.contains(g))
                    .ok_or(Error::IllegalParameter {
                        what: "ServerKeyExchange group not offered",
                    })?;
                let (Some(sh), Some((_, key))) = (&server.hello, &server.certificate) else {
                    return Err(unexpected("awaiting ServerKeyExchange"));
                };
                let mut signed = Vec::with_capacity(64 + 4 + ske.public.len());
                signed.extend_from_slice(&hs.hello.random);
                signed.extend_from_slice(&sh.random);
                signed.extend_from_slice(&ServerKeyExchange::params(ske.group, &ske.public));
                if !key.verify(ske.scheme, &signed, &ske.signature) {
                    return Err(Error::BadSignature {
                        what: "ServerKeyExchange",
                    });
                }
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                server.group = Some(group);
                server.key_exchange = Some(ske);
                Ok(wrap(hs))
            }
            msg_type::CERTIFICATE_REQUEST
                if server.key_exchange.is_some() && server.certificate_request.is_none() =>
            {
                let cr = CertificateRequest::parse(&msg.body)?;
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                server.certificate_request = Some(cr);
                Ok(wrap(hs))
            }
            msg_type::SERVER_HELLO_DONE if server.key_exchange.is_some() => {
                if !msg.body.is_empty() {
                    return Err(Error::decode("ServerHelloDone"));
                }
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                // Flight 4 runs from the ServerHello (right after any HelloVerifyRequest).
                let first = self.peer_flight.map_or(0, |(_, last)| last.wrapping_add(1));
                self.peer_flight = Some((first, msg.seq));
                let fin = self.client_send_flight5(now, *hs)?;
                Ok(State::ClientFlight5(fin))
            }
            _ => Err(unexpected(if cookie_sent {
                "awaiting the server's flight 4 (flight 3 sent)"
            } else {
                "awaiting HelloVerifyRequest or ServerHello (flight 1 sent)"
            })),
        }
    }

    fn client_send_flight5(
        &mut self,
        now: Instant,
        hs: ClientHelloSent,
    ) -> Result<ClientFinishedSent, Error> {
        let server = hs.server;
        let (Some(sh), Some(suite), Some(ske), Some(group), Some((peer_cert, _))) = (
            server.hello,
            server.suite,
            server.key_exchange,
            server.group,
            server.certificate,
        ) else {
            return Err(Error::UnexpectedMessage {
                msg_type: msg_type::SERVER_HELLO_DONE,
                state: "incomplete server flight",
            });
        };
        let cert = self.config.certificate.clone();
        let cv_scheme = match &server.certificate_request {
            Some(cr) => Some(
                cert.choose_scheme(&cr.signature_algorithms)
                    .ok_or(Error::NoCommonSignatureScheme)?,
            ),
            None => None,
        };
        let ecdh = EcdhKey::generate(group)?;
        let public = ecdh.public().to_vec();
        let premaster = ecdh.agree(&ske.public)?;

        self.negotiated.suite = Some(suite);
        self.negotiated.group = Some(group);
        self.negotiated.srtp = server.srtp;
        self.negotiated.client_random = hs.hello.random;
        self.negotiated.server_random = sh.random;
        self.negotiated.peer_certificate = Some(Bytes::from(peer_cert));

        self.flight.clear();
        if server.certificate_request.is_some() {
            let mut body = Vec::with_capacity(cert.der().len() + 6);
            encode_certificate(&[cert.der()], &mut body);
            self.push_message(msg_type::CERTIFICATE, body, 0);
        }
        let mut body = Vec::with_capacity(public.len() + 1);
        body.push(public.len() as u8);
        body.extend_from_slice(&public);
        self.push_message(msg_type::CLIENT_KEY_EXCHANGE, body, 0);
        self.derive_secrets(&premaster)?;
        if let Some(s) = cv_scheme {
            let sig = cert.sign(s, &self.transcript)?;
            let mut body = Vec::with_capacity(sig.len() + 4);
            encode_signed(s, &sig, &mut body);
            self.push_message(msg_type::CERTIFICATE_VERIFY, body, 0);
        }
        self.flight.push(FlightMessage::ChangeCipherSpec);
        let verify = self.verify_data(b"client finished");
        self.push_message(msg_type::FINISHED, verify.to_vec(), 1);
        let expected_verify_data = self.verify_data(b"server finished");
        self.start_flight(now, true);
        Ok(ClientFinishedSent {
            expected_verify_data,
        })
    }

    // ---- server --------------------------------------------------------------------

    fn server_on_client_hello(&mut self, now: Instant, msg: Message) -> Result<State, Error> {
        if msg.msg_type != msg_type::CLIENT_HELLO {
            return Ok(State::ServerFlight0);
        }
        let ch = match ClientHello::parse(&msg.body) {
            Ok(ch) => ch,
            Err(_) => {
                // Before a valid cookie the peer is unverified: drop, keep no state.
                self.reassembler = Reassembler::new();
                return Ok(State::ServerFlight0);
            }
        };
        if self.config.hello_verify {
            let expected = compute_cookie(&self.cookie_key, &self.cookie_binding, &ch.random);
            if !cookie_matches(&expected, &ch.cookie) {
                let hvr = hello_verify_datagram(msg.seq, self.write_seq[0], &expected);
                // No amplification: the answer is never larger than the request.
                if hvr.len() <= RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN + msg.body.len() {
                    self.write_seq[0] += 1;
                    self.transmits.push_back(hvr);
                }
                self.reassembler = Reassembler::new();
                return Ok(State::ServerFlight0);
            }
        }
        // From here the client proved it receives at its address: keep state.
        // Larger is older in DTLS: 0xfeff is DTLS 1.0. A DTLS 1.3 client still puts 1.2
        // in legacy_version (RFC 9147 §5.3), so this negotiates 1.2 with it.
        if ch.version > DTLS_1_2 || ch.version < 0xfe00 {
            return Err(Error::ProtocolVersion {
                version: ch.version,
            });
        }
        if !ch.compression_methods.contains(&0) {
            return Err(Error::IllegalParameter {
                what: "ClientHello lacks null compression",
            });
        }
        let ext = &ch.extensions;
        if self.config.require_extended_master_secret && !ext.extended_master_secret {
            return Err(Error::ExtendedMasterSecretRequired);
        }
        let cert = self.config.certificate.clone();
        let suite = self
            .config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| s.auth() == cert.auth_kind() && ch.cipher_suites.contains(&s.code()))
            .ok_or(Error::NoCommonCipherSuite)?;
        let client_groups = ext
            .supported_groups
            .clone()
            .unwrap_or_else(|| vec![NamedGroup::Secp256r1.code()]);
        let group = self
            .config
            .groups
            .iter()
            .copied()
            .find(|g| client_groups.contains(&g.code()))
            .ok_or(Error::NoCommonGroup)?;
        let client_schemes = ext
            .signature_algorithms
            .clone()
            .unwrap_or_else(|| vec![scheme::ECDSA_SECP256R1_SHA256, scheme::RSA_PKCS1_SHA256]);
        let ske_scheme = cert
            .choose_scheme(&client_schemes)
            .ok_or(Error::NoCommonSignatureScheme)?;
        let srtp = match &ext.use_srtp {
            Some(offer) if !self.config.srtp_profiles.is_empty() => self
                .config
                .srtp_profiles
                .iter()
                .copied()
                .find(|p| offer.profiles.contains(&p.code()))
                .map(|p| (p, offer.mki.clone())),
            _ => None,
        };
        let secure_renegotiation = ext.renegotiation_info.is_some()
            || ch.cipher_suites.contains(&EMPTY_RENEGOTIATION_INFO_SCSV);
        if ext
            .renegotiation_info
            .as_ref()
            .is_some_and(|i| !i.is_empty())
        {
            return Err(Error::IllegalParameter {
                what: "renegotiation_info",
            });
        }

        let mut server_random = [0u8; 32];
        self.rng.fill_bytes(&mut server_random);
        self.negotiated.suite = Some(suite);
        self.negotiated.group = Some(group);
        self.negotiated.srtp = srtp.clone();
        self.negotiated.extended_master_secret = ext.extended_master_secret;
        self.negotiated.client_random = ch.random;
        self.negotiated.server_random = server_random;

        // The transcript starts with the ClientHello that carried the valid cookie.
        self.transcript.clear();
        self.append_transcript(msg.msg_type, msg.seq, &msg.body);
        self.peer_flight = Some((msg.seq, msg.seq));
        self.send_seq = msg.seq;
        self.flight.clear();

        let sh = ServerHello {
            version: DTLS_1_2,
            random: server_random,
            session_id: Vec::new(),
            cipher_suite: suite.code(),
            compression_method: 0,
            extensions: Extensions {
                supported_groups: None,
                ec_point_formats: ext
                    .ec_point_formats
                    .is_some()
                    .then(|| vec![POINT_FORMAT_UNCOMPRESSED]),
                signature_algorithms: None,
                use_srtp: srtp.as_ref().map(|(p, mki)| UseSrtp {
                    profiles: vec![p.code()],
                    mki: mki.clone(),
                }),
                extended_master_secret: ext.extended_master_secret,
                renegotiation_info: secure_renegotiation.then(Vec::new),
            },
        };
        let mut body = Vec::with_capacity(128);
        sh.encode(&mut body);
        self.push_message(msg_type::SERVER_HELLO, body, 0);

        let mut body = Vec::with_capacity(cert.der().len() + 6);
        encode_certificate(&[cert.der()], &mut body);
        self.push_message(msg_type::CERTIFICATE, body, 0);

        let ecdh = EcdhKey::generate(group)?;
        let params = ServerKeyExchange::params(group.code(), ecdh.public());
        let mut signed = Vec::with_capacity(64 + params.len());
        signed.extend_from_slice(&ch.random);
        signed.extend_from_slice(&server_random);
        signed.extend_from_slice(&params);
        let signature = cert.sign(ske_scheme, &signed)?;
        let mut body = Vec::with_capacity(params.len() + signature.len() + 4);
        ServerKeyExchange {
            group: group.code(),
            public: ecdh.public().to_vec(),
            scheme: ske_scheme,
            signature,
        }
        .encode(&mut body);
        self.push_message(msg_type::SERVER_KEY_EXCHANGE, body, 0);

        if self.config.require_client_certificate {
            let mut body = Vec::new();
            CertificateRequest {
                certificate_types: vec![CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN],
                signature_algorithms: scheme::VERIFY.to_vec(),
            }
            .encode(&mut body);
            self.push_message(msg_type::CERTIFICATE_REQUEST, body, 0);
        }
        self.push_message(msg_type::SERVER_HELLO_DONE, Vec::new(), 0);
        self.start_flight(now, true);
        Ok(State::ServerFlight4(Box::new(ServerHelloSent {
            ecdh: Some(ecdh),
            peer: None,
            certificate_received: false,
            key_exchanged: false,
            certificate_verified: false,
        })))
    }

    fn server_on_message(
        &mut self,
        mut hs: Box<ServerHelloSent>,
        msg: Message,
    ) -> Result<State, Error> {
        let unexpected = Error::UnexpectedMessage {
            msg_type: msg.msg_type,
            state: "awaiting the client's flight 5 (flight 4 sent)",
        };
        let requested = self.config.require_client_certificate;
        match msg.msg_type {
            msg_type::CERTIFICATE if requested && !hs.certificate_received && !hs.key_exchanged => {
                let chain = parse_certificate(&msg.body)?;
                let leaf = chain.into_iter().next().ok_or(Error::NoPeerCertificate)?;
                let key = self.check_peer_certificate(&leaf)?;
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                hs.certificate_received = true;
                hs.peer = Some((leaf, key));
                Ok(State::ServerFlight4(hs))
            }
            msg_type::CLIENT_KEY_EXCHANGE if !hs.key_exchanged => {
                if requested && hs.peer.is_none() {
                    return Err(Error::NoPeerCertificate);
                }
                let public = parse_client_key_exchange(&msg.body)?;
                let ecdh = hs.ecdh.take().ok_or(unexpected)?;
                let premaster = ecdh.agree(&public)?;
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                self.derive_secrets(&premaster)?;
                hs.key_exchanged = true;
                Ok(State::ServerFlight4(hs))
            }
            msg_type::CERTIFICATE_VERIFY
                if hs.key_exchanged && hs.peer.is_some() && !hs.certificate_verified =>
            {
                let (s, sig) = parse_certificate_verify(&msg.body)?;
                let Some((_, key)) = &hs.peer else {
                    return Err(unexpected);
                };
                if !scheme::VERIFY.contains(&s) || !key.verify(s, &self.transcript, &sig) {
                    return Err(Error::BadSignature {
                        what: "CertificateVerify",
                    });
                }
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                hs.certificate_verified = true;
                Ok(State::ServerFlight4(hs))
            }
            msg_type::FINISHED
                if hs.key_exchanged && (hs.peer.is_none() || hs.certificate_verified) =>
            {
                let expected = self.verify_data(b"client finished");
                if msg.body.as_slice() != expected {
                    return Err(Error::BadFinished);
                }
                self.append_transcript(msg.msg_type, msg.seq, &msg.body);
                // The client's flight 5 runs from right after its ClientHello.
                let first = self.peer_flight.map_or(0, |(_, last)| last.wrapping_add(1));
                self.peer_flight = Some((first, msg.seq));
                self.negotiated.peer_certificate = hs.peer.map(|(der, _)| Bytes::from(der));
                self.flight.clear();
                self.flight.push(FlightMessage::ChangeCipherSpec);
                let verify = self.verify_data(b"server finished");
                let seq = self.send_seq;
                self.send_seq = self.send_seq.wrapping_add(1);
                self.flight.push(FlightMessage::Handshake {
                    msg_type: msg_type::FINISHED,
                    seq,
                    body: verify.to_vec(),
                    epoch: 1,
                });
                // Flight 6 is not retransmitted on a timer, only when the client
                // retransmits its flight 5 (RFC 6347 §4.2.4 "FINISHED" state).
                self.timer.at = None;
                self.emit_flight();
                self.connected();
                Ok(State::Established)
            }
            _ => Err(unexpected),
        }
    }

    // ---- shared --------------------------------------------------------------------

    /// Checks the peer's certificate against the expected fingerprints and extracts its key.
    fn check_peer_certificate(&self, der: &[u8]) -> Result<PeerKey, Error> {
        let expected = &self.config.expected_peer_fingerprints;
        if !expected.is_empty() {
            let matched = expected
                .iter()
                .any(|fp| Fingerprint::of_der(fp.algorithm, der) == *fp);
            if !matched {
                return Err(Error::FingerprintMismatch {
                    actual: Fingerprint::of_der(HashAlgorithm::Sha256, der).to_string(),
                });
            }
        }
        peer_public_key(der)
    }

    /// Master secret (RFC 7627 §4 or RFC 5246 §8.1) and the epoch 1 record keys (§6.3).
    fn derive_secrets(&mut self, premaster: &[u8]) -> Result<(), Error> {
        let suite = self
            .negotiated
            .suite
            .ok_or(Error::Crypto { what: "no suite" })?;
        let hash = suite.prf_hash();
        let n = &self.negotiated;
        let mut ms = [0u8; 48];
        if n.extended_master_secret {
            let session_hash = hash.digest(&self.transcript);
            prf(
                hash,
                premaster,
                b"extended master secret",
                &[session_hash.as_ref()],
                &mut ms,
            );
        } else {
            prf(
                hash,
                premaster,
                b"master secret",
                &[&n.client_random, &n.server_random],
                &mut ms,
            );
        }
        let (key_len, iv_len) = key_lengths(suite.aead());
        let mut block = vec![0u8; 2 * (key_len + iv_len)];
        prf(
            hash,
            &ms,
            b"key expansion",
            &[&n.server_random, &n.client_random],
            &mut block,
        );
        let (client_key, rest) = block.split_at(key_len);
        let (server_key, rest) = rest.split_at(key_len);
        let (client_iv, server_iv) = rest.split_at(iv_len);
        let client = RecordCipher::new(suite.aead(), client_key, client_iv)?;
        let server = RecordCipher::new(suite.aead(), server_key, server_iv)?;
        let (write, read) = match self.role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        self.write_epoch1 = Some(write);
        self.read_epoch1 = Some(read);
        self.negotiated.master_secret = Some(ms);
        Ok(())
    }

    /// RFC 5246 §7.4.9: `PRF(master_secret, finished_label, Hash(handshake_messages))[0..12]`.
    fn verify_data(&self, label: &[u8]) -> [u8; 12] {
        let mut out = [0u8; 12];
        if let (Some(suite), Some(ms)) = (self.negotiated.suite, &self.negotiated.master_secret) {
            let hash = suite.prf_hash();
            let digest = hash.digest(&self.transcript);
            prf(hash, ms, label, &[digest.as_ref()], &mut out);
        }
        out
    }

    fn connected(&mut self) {
        let n = &self.negotiated;
        let (Some(cipher_suite), Some(group), Some(peer)) =
            (n.suite, n.group, n.peer_certificate.clone())
        else {
            // A server that does not require client certificates has no peer certificate.
            if let (Some(cipher_suite), Some(group)) = (n.suite, n.group) {
                self.push_connected(cipher_suite, group, Bytes::new());
            }
            return;
        };
        self.push_connected(cipher_suite, group, peer);
    }

    fn push_connected(&mut self, cipher_suite: CipherSuite, group: NamedGroup, peer: Bytes) {
        self.state = State::Established;
        // Both Finished messages are computed (a retransmission of ours resends the stored
        // flight), so the transcript has no reader left; renegotiation, which would restart
        // it, is refused. It holds every handshake message, certificates included.
        self.transcript = Vec::new();
        let (srtp_profile, srtp_mki) = match &self.negotiated.srtp {
            Some((p, mki)) => (Some(*p), mki.clone()),
            None => (None, Vec::new()),
        };
        let srtp_keying_material = srtp_profile.and_then(|p| {
            self.export_keying_material("EXTRACTOR-dtls_srtp", None, p.keying_material_len())
                .ok()
                .map(|m| SrtpKeyingMaterial::new(p, self.role, m))
        });
        self.events.push_back(Event::Connected {
            cipher_suite,
            group,
            srtp_profile,
            srtp_keying_material,
            srtp_mki,
            peer_fingerprint: Fingerprint::of_der(HashAlgorithm::Sha256, &peer),
            peer_certificate: peer,
        });
        for data in std::mem::take(&mut self.early_data) {
            self.events.push_back(Event::ApplicationData(data));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Certificate;

    /// What an established connection keeps of its handshake: no transcript, and on the
    /// client (which never resends after the server's Finished) no flight.
    #[test]
    fn established_connection_drops_handshake_state() {
        let now = Instant::now();
        let config = |seed| {
            let mut c = Config::new(Certificate::generate().unwrap());
            c.rng_seed = Some([seed; 32]);
            Arc::new(c)
        };
        let mut client = Connection::client(config(1), now);
        let mut server = Connection::server(config(2));
        for _ in 0..10 {
            while let Some(d) = client.poll_transmit() {
                server.handle_receive(now, &d).unwrap();
            }
            while let Some(d) = server.poll_transmit() {
                client.handle_receive(now, &d).unwrap();
            }
        }
        assert!(client.is_established() && server.is_established());
        for c in [&client, &server] {
            assert_eq!(c.transcript.capacity(), 0);
        }
        assert_eq!(client.flight.capacity(), 0);
        // The server keeps its last flight, to answer a retransmitted client flight 5.
        assert_eq!(server.flight.len(), 2);
    }
}
