//! `RTCPeerConnection` on tokio: one driver task per connection runs its [`Session`],
//! owns its UDP sockets and runs the application's callbacks.
//!
//! API calls take the session lock briefly (never across an `.await`) and wake the
//! driver, which then sends what the call produced (quinn's connection + driver split).

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Instant;

use oxrtc_dtls::Certificate;
use tokio::sync::Notify;

use crate::callbacks::{lock, Callback};
use crate::data_channel::{ChannelCallbacks, RtcDataChannel};
use crate::description::{RtcIceCandidateInit, RtcSessionDescription};
use crate::error::Error;
use crate::session::{
    ChannelId, DataChannelInit, Direction, IceConnectionState, IceGatheringState, MediaKind,
    PeerConnectionState, RtcStatsReport, Session, SessionConfig, SessionEvent, SignalingState,
    TransceiverId, Transmit,
};
use crate::socket::Socket;
use crate::track::{TrackCallbacks, TrackLocal, TrackRemote};
use crate::udp_mux::{MuxBinding, UdpMux};

/// How a [`PeerConnection`] is set up (W3C `RTCConfiguration`, plus what a server
/// needs to say where it listens).
#[derive(Debug, Clone)]
pub struct RtcConfiguration {
    /// Local addresses to gather host candidates on: one UDP socket each, port 0 for
    /// an ephemeral port. Empty: every non-loopback interface address, as browsers do.
    pub bind_addresses: Vec<SocketAddr>,
    /// Our DTLS certificate (W3C `certificates`); a fresh one per connection when
    /// `None`. Generating one costs about a millisecond: a server accepting many
    /// connections should share one.
    pub certificate: Option<Certificate>,
    /// The largest data channel message we accept (`a=max-message-size`).
    pub max_message_size: usize,
    /// A UDP port shared with other connections: its address becomes a host candidate.
    /// With a mux and no `bind_addresses`, the connection opens no socket of its own.
    pub udp_mux: Option<UdpMux>,
    /// W3C `iceServers`: STUN servers (`stun:host[:port]`) for server-reflexive
    /// candidates. Empty by default: nothing is sent anywhere unless asked. Host names
    /// are resolved when the connection is created.
    pub ice_servers: Vec<RtcIceServer>,
}

/// One entry of [`RtcConfiguration::ice_servers`] (W3C `RTCIceServer`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RtcIceServer {
    /// `stun:host[:port]` URLs (RFC 7064); `turn:` is not supported by the
    /// PeerConnection yet and is refused.
    pub urls: Vec<String>,
}

/// The socket addresses of the STUN servers in `servers` (RFC 7064 `stun:` URIs,
/// default port 3478).
fn stun_addresses(servers: &[RtcIceServer]) -> Result<Vec<SocketAddr>, Error> {
    use std::net::ToSocketAddrs;
    let mut out = Vec::new();
    for url in servers.iter().flat_map(|s| &s.urls) {
        let Some(rest) = url.strip_prefix("stun:") else {
            return Err(Error::InvalidArgument(
                "only stun: ICE server URLs are supported (turn: is not yet)",
            ));
        };
        let host_port = if rest.rsplit_once(':').is_some_and(|(h, p)| {
            !h.is_empty() && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
        }) && (!rest.contains('[') || rest.contains("]:"))
        {
            rest.to_owned()
        } else {
            format!("{rest}:3478")
        };
        let resolved = host_port
            .to_socket_addrs()
            .map_err(|_| Error::InvalidArgument("an ICE server host does not resolve"))?;
        out.extend(resolved);
    }
    Ok(out)
}

impl Default for RtcConfiguration {
    fn default() -> Self {
        Self {
            bind_addresses: Vec::new(),
            certificate: None,
            max_message_size: SessionConfig::default().max_message_size,
            udp_mux: None,
            ice_servers: Vec::new(),
        }
    }
}

/// The connection-wide callbacks.
#[derive(Default)]
struct Callbacks {
    ice_candidate: Callback<Option<RtcIceCandidateInit>>,
    ice_gathering_state: Callback<IceGatheringState>,
    ice_connection_state: Callback<IceConnectionState>,
    connection_state: Callback<PeerConnectionState>,
    signaling_state: Callback<SignalingState>,
    data_channel: Callback<RtcDataChannel>,
    track: Callback<TrackRemote>,
}

/// What the API handles and the driver share.
pub(crate) struct Shared {
    session: Mutex<Session>,
    /// Wakes the driver after an API call changed the session.
    wake: Notify,
    /// Wakes `gathering_complete()` and other waiters after events were dispatched.
    changed: Notify,
    callbacks: Callbacks,
    channels: Mutex<HashMap<ChannelId, Arc<ChannelCallbacks>>>,
    remote_tracks: Mutex<HashMap<TransceiverId, Arc<TrackCallbacks>>>,
    local_tracks: Mutex<HashMap<TransceiverId, Arc<Callback<()>>>>,
    /// A channel or track callback was set: the driver's next pass delivers what
    /// waited for it (instead of visiting every channel on every wake-up).
    callback_set: AtomicBool,
}

impl Shared {
    pub(crate) fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        f(&mut lock(&self.session))
    }

    pub(crate) fn wake_driver(&self) {
        self.wake.notify_one();
    }

    /// A channel or track callback was just set: wake the driver to deliver what was
    /// kept for it.
    pub(crate) fn callback_set(&self) {
        self.callback_set.store(true, Ordering::SeqCst);
        self.wake_driver();
    }

    /// Drops every callback once the connection is closed: a callback that captured a
    /// handle (an echo capturing its channel) would otherwise keep the connection in
    /// memory through a reference cycle.
    fn release_callbacks(&self) {
        let channels = std::mem::take(&mut *lock(&self.channels));
        for channel in channels.values() {
            channel.release();
        }
        drop(channels);
        let c = &self.callbacks;
        c.ice_candidate.clear();
        c.ice_gathering_state.clear();
        c.ice_connection_state.clear();
        c.connection_state.clear();
        c.signaling_state.clear();
        c.data_channel.clear();
        c.track.clear();
        let tracks = std::mem::take(&mut *lock(&self.remote_tracks));
        for t in tracks.values() {
            t.on_rtp.clear();
        }
        drop(tracks);
        let local = std::mem::take(&mut *lock(&self.local_tracks));
        for t in local.values() {
            t.clear();
        }
    }

    fn channel_callbacks(&self, id: ChannelId) -> Arc<ChannelCallbacks> {
        lock(&self.channels).entry(id).or_default().clone()
    }
}

/// Closes the connection when the last [`PeerConnection`] clone is dropped.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.with_session(|s| s.close(Instant::now()));
        self.shared.wake_driver();
    }
}

/// A WebRTC connection with the browser's API (W3C `RTCPeerConnection`), driven by a
/// tokio task. Cheap to clone; the connection closes with [`PeerConnection::close`] or
/// when the last clone is dropped.
#[derive(Clone)]
pub struct PeerConnection {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for PeerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerConnection")
            .field("state", &self.connection_state())
            .finish_non_exhaustive()
    }
}

impl PeerConnection {
    /// Opens the sockets and starts the driver. Must be called within a tokio runtime.
    pub fn new(config: RtcConfiguration) -> Result<Self, Error> {
        let mut session = Session::new(SessionConfig {
            certificate: config.certificate,
            max_message_size: config.max_message_size,
            stun_servers: stun_addresses(&config.ice_servers)?,
            ..SessionConfig::default()
        })?;
        let sockets = if config.udp_mux.is_some() && config.bind_addresses.is_empty() {
            Vec::new()
        } else {
            bind_sockets(&config.bind_addresses)?
        };
        for socket in &sockets {
            session.add_local_candidate(socket.addr)?;
        }
        if let Some(mux) = &config.udp_mux {
            session.add_local_candidate(mux.local_addr())?;
        }
        session.end_of_local_candidates();
        // Queries to STUN servers go out with the first tick.
        session.handle_timeout(Instant::now());
        let ufrag = session.local_ufrag().to_owned();
        let shared = Arc::new(Shared {
            session: Mutex::new(session),
            wake: Notify::new(),
            changed: Notify::new(),
            callbacks: Callbacks::default(),
            channels: Mutex::new(HashMap::new()),
            remote_tracks: Mutex::new(HashMap::new()),
            local_tracks: Mutex::new(HashMap::new()),
            callback_set: AtomicBool::new(false),
        });
        let mux = config.udp_mux.map(|mux| {
            mux.inner().register(&ufrag, &shared);
            MuxBinding {
                mux: mux.inner().clone(),
                ufrag,
            }
        });
        tokio::spawn(drive(
            shared.clone(),
            Sockets {
                owned: sockets,
                mux,
            },
        ));
        Ok(Self {
            handle: Arc::new(Handle { shared }),
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    fn mutate<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        let out = self.shared().with_session(f);
        self.shared().wake_driver();
        out
    }

    /// `createOffer`.
    pub async fn create_offer(&self) -> Result<RtcSessionDescription, Error> {
        self.mutate(|s| s.create_offer())
    }

    /// `createAnswer`.
    pub async fn create_answer(&self) -> Result<RtcSessionDescription, Error> {
        self.mutate(|s| s.create_answer())
    }

    /// `setLocalDescription`. An empty `sdp` applies the last created offer or answer.
    pub async fn set_local_description(&self, desc: RtcSessionDescription) -> Result<(), Error> {
        self.mutate(|s| s.set_local_description(Instant::now(), desc))
    }

    /// `setRemoteDescription`.
    pub async fn set_remote_description(&self, desc: RtcSessionDescription) -> Result<(), Error> {
        self.mutate(|s| s.set_remote_description(Instant::now(), desc))
    }

    /// `addIceCandidate`.
    pub async fn add_ice_candidate(&self, candidate: RtcIceCandidateInit) -> Result<(), Error> {
        self.mutate(|s| s.add_ice_candidate(&candidate))
    }

    /// `localDescription`, with the candidates gathered so far.
    pub fn local_description(&self) -> Option<RtcSessionDescription> {
        self.shared().with_session(|s| s.local_description())
    }

    /// `remoteDescription`.
    pub fn remote_description(&self) -> Option<RtcSessionDescription> {
        self.shared().with_session(|s| s.remote_description())
    }

    /// `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.shared().with_session(|s| s.connection_state())
    }

    /// `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.shared().with_session(|s| s.ice_connection_state())
    }

    /// `iceGatheringState`.
    pub fn ice_gathering_state(&self) -> IceGatheringState {
        self.shared().with_session(|s| s.ice_gathering_state())
    }

    /// `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.shared().with_session(|s| s.signaling_state())
    }

    /// Resolves when ICE gathering is complete, so [`Self::local_description`] holds
    /// every candidate: for signaling without trickle (one HTTP round trip, WHIP).
    /// Gathering starts with the first `set_local_description`.
    pub async fn gathering_complete(&self) {
        loop {
            let mut changed = pin!(self.shared().changed.notified());
            changed.as_mut().enable();
            if self.ice_gathering_state() == IceGatheringState::Complete
                || self.connection_state() == PeerConnectionState::Closed
            {
                return;
            }
            changed.await;
        }
    }

    /// `createDataChannel`.
    pub fn create_data_channel(
        &self,
        label: &str,
        init: DataChannelInit,
    ) -> Result<RtcDataChannel, Error> {
        let shared = self.shared();
        let (id, info) = self.mutate(|s| {
            let id = s.create_data_channel(Instant::now(), label, &init)?;
            let info = s
                .channel_info(id)
                .ok_or(Error::InvalidState("data channel closed at once"))?;
            Ok::<_, Error>((id, info))
        })?;
        let callbacks = shared.channel_callbacks(id);
        Ok(RtcDataChannel::new(shared.clone(), id, info, callbacks))
    }

    /// `onicecandidate`: `None` when gathering is complete.
    pub fn on_ice_candidate(&self, f: impl FnMut(Option<RtcIceCandidateInit>) + Send + 'static) {
        self.shared().callbacks.ice_candidate.set(f);
    }

    /// `onicegatheringstatechange`.
    pub fn on_ice_gathering_state_change(&self, f: impl FnMut(IceGatheringState) + Send + 'static) {
        self.shared().callbacks.ice_gathering_state.set(f);
    }

    /// `oniceconnectionstatechange`.
    pub fn on_ice_connection_state_change(
        &self,
        f: impl FnMut(IceConnectionState) + Send + 'static,
    ) {
        self.shared().callbacks.ice_connection_state.set(f);
    }

    /// `onconnectionstatechange`.
    pub fn on_connection_state_change(&self, f: impl FnMut(PeerConnectionState) + Send + 'static) {
        self.shared().callbacks.connection_state.set(f);
    }

    /// `onsignalingstatechange`.
    pub fn on_signaling_state_change(&self, f: impl FnMut(SignalingState) + Send + 'static) {
        self.shared().callbacks.signaling_state.set(f);
    }

    /// `addTrack`: sends `track` in a new send-receive section (its codec offered
    /// first). Returns the transceiver, which also receives what the peer sends there.
    pub fn add_track(&self, track: &TrackLocal) -> Result<TransceiverId, Error> {
        let id = self.mutate(|s| {
            s.add_transceiver(
                track.kind(),
                Direction::SendRecv,
                Some(track.codec().clone()),
                (track.stream_id().to_owned(), track.id().to_owned()),
            )
        })?;
        track.bind(self.shared().clone(), id)?;
        lock(&self.shared().local_tracks).insert(id, track.keyframe_requested.clone());
        Ok(id)
    }

    /// `addTransceiver(kind, {direction})`: a section without a local track, e.g.
    /// receive-only for a recorder.
    pub fn add_transceiver(
        &self,
        kind: MediaKind,
        direction: Direction,
    ) -> Result<TransceiverId, Error> {
        self.mutate(|s| {
            let stream = String::from("-");
            s.add_transceiver(kind, direction, None, (stream.clone(), stream))
        })
    }

    /// `ontrack`: the peer sends media in a section.
    pub fn on_track(&self, f: impl FnMut(TrackRemote) + Send + 'static) {
        self.shared().callbacks.track.set(f);
    }

    /// `ondatachannel`: a channel the peer opened.
    pub fn on_data_channel(&self, f: impl FnMut(RtcDataChannel) + Send + 'static) {
        self.shared().callbacks.data_channel.set(f);
    }

    /// `restartIce()`: the next offer restarts ICE (new credentials, new checks) while
    /// data keeps flowing on the current pair; negotiate to apply it.
    pub fn restart_ice(&self) {
        self.mutate(|s| s.restart_ice());
    }

    /// `getStats()`.
    pub async fn get_stats(&self) -> RtcStatsReport {
        self.shared().with_session(|s| s.stats())
    }

    /// `close()`: ends the connection; the driver sends the goodbyes and stops.
    pub async fn close(&self) {
        self.mutate(|s| s.close(Instant::now()));
    }
}

/// One UDP socket per configured address (or per interface address when none is).
fn bind_sockets(addresses: &[SocketAddr]) -> Result<Vec<Socket>, Error> {
    let addresses: Vec<SocketAddr> = if addresses.is_empty() {
        oxrtc_ice::gather::local_addresses(&oxrtc_ice::gather::HostConfig::default())?
            .into_iter()
            .map(|(_, ip)| SocketAddr::new(ip, 0))
            .collect()
    } else {
        addresses.to_vec()
    };
    let mut sockets = Vec::with_capacity(addresses.len());
    for addr in addresses {
        if addr.ip().is_unspecified() {
            return Err(Error::InvalidArgument(
                "bind addresses must be specific: a wildcard is not a candidate",
            ));
        }
        sockets.push(Socket::bind(
            addr,
            crate::socket::CONNECTION_RECEIVE_BUFFER,
        )?);
    }
    Ok(sockets)
}

/// What woke the driver.
enum Wake {
    Received,
    Timer,
    Api,
}

/// Buffer sizes a driver keeps between wake-ups; larger ones are freed.
const IDLE_SCRATCH: usize = 16 * 1024;
const IDLE_QUEUE: usize = 64;

/// Batches read per wake-up before the driver sends what they produced.
const RECEIVE_BATCHES_PER_WAKE: usize = 8;

/// The driver: send, dispatch, wait for a datagram, the timer or an API call; repeat
/// until the connection is closed and everything it had to send is sent.
async fn drive(shared: Arc<Shared>, sockets: Sockets) {
    let mut transmits: Vec<Transmit> = Vec::new();
    let mut events: Vec<SessionEvent> = Vec::new();
    let mut scratch: Vec<u8> = Vec::new();
    loop {
        let (deadline, closed) = shared.with_session(|s| {
            transmits.extend(std::iter::from_fn(|| s.poll_transmit()));
            events.extend(std::iter::from_fn(|| s.poll_event()));
            (
                s.poll_timeout(),
                s.connection_state() == PeerConnectionState::Closed,
            )
        });
        send_all(&sockets, &transmits, &mut scratch).await;
        transmits.clear();
        dispatch(&shared, &mut events);
        // A burst leaves large buffers behind; an idle connection should not keep them
        // (a GSO batch alone is up to 64 KB).
        if scratch.capacity() > IDLE_SCRATCH {
            scratch = Vec::new();
        }
        if transmits.capacity() > IDLE_QUEUE {
            transmits = Vec::new();
        }
        if events.capacity() > IDLE_QUEUE {
            events = Vec::new();
        }
        if closed {
            shared.release_callbacks();
            return;
        }
        let mut sleep = pin!(tokio::time::sleep_until(
            deadline.map_or_else(far_future, tokio::time::Instant::from_std)
        ));
        let woken = {
            let mut api = pin!(shared.wake.notified());
            poll_fn(|cx| {
                if api.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Api);
                }
                let now = Instant::now();
                let mut received = false;
                for socket in &sockets.owned {
                    // Drain several batches before producing output: one wake-up, one
                    // flush, one SACK per batch.
                    for _ in 0..RECEIVE_BATCHES_PER_WAKE {
                        let mut session = lock(&shared.session);
                        let mut handle = |from: SocketAddr, data: &[u8]| {
                            session.handle_receive(now, socket.addr, from, data);
                        };
                        match socket.poll_receive(cx, &mut handle) {
                            Poll::Ready(Ok(_)) => received = true,
                            // ICMP errors (port unreachable) surface here: not fatal for
                            // a connectionless socket.
                            Poll::Ready(Err(e)) => {
                                log::debug!("receive error: {e}");
                                break;
                            }
                            Poll::Pending => break,
                        }
                    }
                }
                if received {
                    return Poll::Ready(Wake::Received);
                }
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Timer);
                }
                Poll::Pending
            })
            .await
        };
        let now = Instant::now();
        match woken {
            Wake::Received => shared.with_session(|s| {
                if s.poll_timeout().is_some_and(|t| t <= now) {
                    s.handle_timeout(now);
                }
            }),
            Wake::Timer => shared.with_session(|s| s.handle_timeout(now)),
            Wake::Api => {}
        }
    }
}

/// Sends the transmits in order; consecutive ones on one path go out as one batch.
async fn send_all(sockets: &Sockets, transmits: &[Transmit], scratch: &mut Vec<u8>) {
    let mut rest = transmits;
    while let Some(first) = rest.first() {
        let run = rest
            .iter()
            .take_while(|t| t.local == first.local && t.remote == first.remote)
            .count();
        let (batch, tail) = rest.split_at(run);
        rest = tail;
        let shared = sockets.mux.as_ref().map(|m| &m.mux.socket);
        let Some(socket) = sockets
            .owned
            .iter()
            .chain(shared)
            .find(|s| s.addr == first.local)
        else {
            log::debug!("no socket for {}", first.local);
            continue;
        };
        let datagrams: Vec<&[u8]> = batch.iter().map(|t| t.data.as_slice()).collect();
        socket.send_run(first.remote, &datagrams, scratch).await;
    }
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400)
}

/// The sockets a connection sends from: its own, and a shared mux's.
struct Sockets {
    owned: Vec<Socket>,
    /// Unregisters from the mux when the driver ends.
    mux: Option<MuxBinding>,
}

/// Runs the callbacks for `events`, in order, without the session lock.
fn dispatch(shared: &Arc<Shared>, events: &mut Vec<SessionEvent>) {
    let had_events = !events.is_empty();
    for event in events.drain(..) {
        let callbacks = &shared.callbacks;
        match event {
            SessionEvent::IceCandidate(c) => {
                callbacks.ice_candidate.call(c);
            }
            SessionEvent::IceGatheringStateChange(s) => {
                callbacks.ice_gathering_state.call(s);
            }
            SessionEvent::IceConnectionStateChange(s) => {
                callbacks.ice_connection_state.call(s);
            }
            SessionEvent::ConnectionStateChange(s) => {
                callbacks.connection_state.call(s);
            }
            SessionEvent::SignalingStateChange(s) => {
                callbacks.signaling_state.call(s);
            }
            SessionEvent::DataChannel(id) => {
                let Some(info) = shared.with_session(|s| s.channel_info(id)) else {
                    continue;
                };
                let channel_callbacks = shared.channel_callbacks(id);
                channel_callbacks.opened();
                let channel = RtcDataChannel::new(shared.clone(), id, info, channel_callbacks);
                callbacks.data_channel.call(channel);
            }
            SessionEvent::DataChannelOpen(id) => shared.channel_callbacks(id).opened(),
            SessionEvent::DataChannelMessage(id, message) => {
                shared.channel_callbacks(id).message(message);
            }
            SessionEvent::DataChannelBufferedAmountLow(id) => {
                shared.channel_callbacks(id).on_buffered_amount_low.call(());
            }
            SessionEvent::Track(id) => {
                let Some(info) = shared.with_session(|s| s.transceiver(id)) else {
                    continue;
                };
                let track_callbacks = lock(&shared.remote_tracks).entry(id).or_default().clone();
                let track = TrackRemote::new(
                    shared.clone(),
                    id,
                    info.kind,
                    info.mid,
                    info.codecs,
                    track_callbacks,
                );
                callbacks.track.call(track);
            }
            SessionEvent::Rtp(id, packet) => {
                let track = lock(&shared.remote_tracks).entry(id).or_default().clone();
                track.on_rtp.deliver(packet);
            }
            SessionEvent::KeyframeRequest(id) => {
                let local = lock(&shared.local_tracks).get(&id).cloned();
                if let Some(local) = local {
                    local.call(());
                }
            }
            SessionEvent::DataChannelClose(id) => {
                let channel = lock(&shared.channels).remove(&id);
                if let Some(channel) = channel {
                    channel.closed();
                    // Nothing more can arrive: drop what the callbacks captured.
                    channel.release();
                }
            }
        }
    }
    // Callbacks set since the last pass get what waited for them.
    if shared.callback_set.swap(false, Ordering::SeqCst) {
        let channels: Vec<_> = lock(&shared.channels).values().cloned().collect();
        for channel in channels {
            channel.flush();
        }
        let tracks: Vec<_> = lock(&shared.remote_tracks).values().cloned().collect();
        for track in tracks {
            track.on_rtp.flush();
        }
    }
    if had_events {
        shared.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A closed connection is freed even when its callbacks captured its handles.
    #[tokio::test(flavor = "current_thread")]
    async fn closing_breaks_callback_cycles() {
        let pc = PeerConnection::new(RtcConfiguration {
            bind_addresses: vec!["127.0.0.1:0".parse().unwrap()],
            ..RtcConfiguration::default()
        })
        .unwrap();
        let channel = pc
            .create_data_channel("loop", DataChannelInit::default())
            .unwrap();
        let echo = channel.clone();
        channel.on_message(move |m| drop(echo.send(m.data)));
        let again = pc.clone();
        pc.on_connection_state_change(move |_| {
            let _ = again.connection_state();
        });
        let weak = Arc::downgrade(pc.shared());
        drop(channel);
        pc.close().await;
        drop(pc);
        for _ in 0..100 {
            if weak.strong_count() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("the connection is still referenced");
    }
}

#[cfg(test)]
mod stun_url_tests {
    use super::*;

    #[test]
    fn stun_urls_resolve_with_the_default_port() {
        let servers = |urls: &[&str]| {
            vec![RtcIceServer {
                urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            }]
        };
        let got = stun_addresses(&servers(&[
            "stun:127.0.0.1",
            "stun:127.0.0.1:19302",
            "stun:[::1]",
        ]))
        .unwrap();
        let want: Vec<SocketAddr> = ["127.0.0.1:3478", "127.0.0.1:19302", "[::1]:3478"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(got, want);
        assert!(stun_addresses(&servers(&["turn:127.0.0.1"])).is_err());
        assert!(stun_addresses(&servers(&["stun:"])).is_err());
    }
}
