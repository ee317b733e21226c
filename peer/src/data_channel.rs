//! `RTCDataChannel`: a handle on one channel of a connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::callbacks::{Callback, Mailbox};
use crate::error::Error;
use crate::peer_connection::Shared;
use crate::session::{ChannelId, ChannelInfo, DataChannelMessage, DataChannelState};

/// Messages kept for a channel whose `on_message` is not set yet (a channel announced
/// by `on_data_channel` can receive before the application sets its handler); past
/// this many the oldest are dropped.
const MAX_UNCLAIMED_MESSAGES: usize = 1024;

/// The driver's side of a channel: its callbacks and what happened before they were
/// set. Only the driver task runs callbacks, so they run in order and never at once.
pub(crate) struct ChannelCallbacks {
    on_open: Callback<()>,
    on_message: Mailbox<DataChannelMessage>,
    on_close: Callback<()>,
    pub(crate) on_buffered_amount_low: Callback<()>,
    opened: AtomicBool,
    open_delivered: AtomicBool,
    closed: AtomicBool,
    close_delivered: AtomicBool,
}

impl Default for ChannelCallbacks {
    fn default() -> Self {
        Self {
            on_open: Callback::default(),
            on_message: Mailbox::new(MAX_UNCLAIMED_MESSAGES),
            on_close: Callback::default(),
            on_buffered_amount_low: Callback::default(),
            opened: AtomicBool::new(false),
            open_delivered: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            close_delivered: AtomicBool::new(false),
        }
    }
}

impl ChannelCallbacks {
    /// The channel opened (driver).
    pub(crate) fn opened(&self) {
        self.opened.store(true, Ordering::SeqCst);
        self.flush();
    }

    /// A message arrived (driver): delivered, or kept until `on_message` is set.
    pub(crate) fn message(&self, message: DataChannelMessage) {
        self.on_message.deliver(message);
    }

    /// The channel closed (driver).
    pub(crate) fn closed(&self) {
        self.opened.store(true, Ordering::SeqCst);
        self.closed.store(true, Ordering::SeqCst);
        self.flush();
    }

    /// Drops the callbacks and kept messages (the connection is gone).
    pub(crate) fn release(&self) {
        self.on_open.clear();
        self.on_message.clear();
        self.on_close.clear();
        self.on_buffered_amount_low.clear();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Delivers what waited for a callback that is now set (driver): the open, kept
    /// messages, the close — in that order.
    pub(crate) fn flush(&self) {
        if self.opened.load(Ordering::SeqCst)
            && self.on_open.is_set()
            && !self.open_delivered.swap(true, Ordering::SeqCst)
        {
            self.on_open.call(());
        }
        self.on_message.flush();
        if self.closed.load(Ordering::SeqCst)
            && self.on_close.is_set()
            && !self.close_delivered.swap(true, Ordering::SeqCst)
        {
            self.on_close.call(());
        }
    }
}

/// A data channel (W3C `RTCDataChannel`): cheap to clone; every clone is the same
/// channel.
#[derive(Clone)]
pub struct RtcDataChannel {
    shared: Arc<Shared>,
    id: ChannelId,
    info: Arc<ChannelInfo>,
    callbacks: Arc<ChannelCallbacks>,
}

impl std::fmt::Debug for RtcDataChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtcDataChannel")
            .field("label", &self.info.label)
            .field("id", &self.id())
            .field("ready_state", &self.ready_state())
            .finish()
    }
}

impl RtcDataChannel {
    pub(crate) fn new(
        shared: Arc<Shared>,
        id: ChannelId,
        info: ChannelInfo,
        callbacks: Arc<ChannelCallbacks>,
    ) -> Self {
        Self {
            shared,
            id,
            info: Arc::new(info),
            callbacks,
        }
    }

    /// `label`.
    pub fn label(&self) -> &str {
        &self.info.label
    }

    /// `protocol`.
    pub fn protocol(&self) -> &str {
        &self.info.protocol
    }

    /// `ordered`.
    pub fn ordered(&self) -> bool {
        self.info.ordered
    }

    /// `maxRetransmits`.
    pub fn max_retransmits(&self) -> Option<u16> {
        self.info.max_retransmits
    }

    /// `maxPacketLifeTime`, in milliseconds.
    pub fn max_packet_life_time(&self) -> Option<u16> {
        self.info.max_packet_life_time
    }

    /// `negotiated`.
    pub fn negotiated(&self) -> bool {
        self.info.negotiated
    }

    /// `id`: the SCTP stream id, known once the DTLS role is (for channels created
    /// before the connection, when it opens).
    pub fn id(&self) -> Option<u16> {
        self.info.id.or_else(|| {
            self.shared
                .with_session(|s| s.channel_info(self.id).and_then(|i| i.id))
        })
    }

    /// `readyState`.
    pub fn ready_state(&self) -> DataChannelState {
        self.shared
            .with_session(|s| s.channel_info(self.id).map(|i| i.state))
            .unwrap_or(DataChannelState::Closed)
    }

    /// `bufferedAmount`: bytes queued and not yet acknowledged.
    pub fn buffered_amount(&self) -> usize {
        self.shared.with_session(|s| s.buffered_amount(self.id))
    }

    /// `bufferedAmountLowThreshold`: `on_buffered_amount_low` fires when the buffered
    /// amount falls to it.
    pub fn set_buffered_amount_low_threshold(&self, threshold: usize) {
        self.shared
            .with_session(|s| s.set_buffered_amount_low_threshold(self.id, threshold));
    }

    /// Sends a binary message.
    pub fn send(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.send_message(false, data.into())
    }

    /// Sends a text message.
    pub fn send_text(&self, text: impl Into<String>) -> Result<(), Error> {
        self.send_message(true, Bytes::from(text.into()))
    }

    fn send_message(&self, is_string: bool, data: Bytes) -> Result<(), Error> {
        let result = self
            .shared
            .with_session(|s| s.send(Instant::now(), self.id, is_string, data));
        self.shared.wake_driver();
        result
    }

    /// `close()`: the stream is reset; `on_close` fires when both directions are.
    pub fn close(&self) {
        self.shared
            .with_session(|s| s.close_data_channel(Instant::now(), self.id));
        self.shared.wake_driver();
    }

    /// `onopen`. Runs on the connection's driver task, soon, when the channel is
    /// already open.
    pub fn on_open(&self, mut f: impl FnMut() + Send + 'static) {
        self.callbacks.on_open.set(move |()| f());
        self.after_set();
    }

    /// `onmessage`. Messages that arrived before it was set are delivered first.
    pub fn on_message(&self, f: impl FnMut(DataChannelMessage) + Send + 'static) {
        self.callbacks.on_message.set(f);
        self.after_set();
    }

    /// `onclose`. Runs soon when the channel is already closed.
    pub fn on_close(&self, mut f: impl FnMut() + Send + 'static) {
        self.callbacks.on_close.set(move |()| f());
        self.after_set();
    }

    /// A callback set now gets what waited for it: from the driver while the channel
    /// lives, here once the driver has let go of a closed channel.
    fn after_set(&self) {
        if self.callbacks.is_closed() {
            self.callbacks.flush();
        } else {
            self.shared.callback_set();
        }
    }

    /// `onbufferedamountlow`.
    pub fn on_buffered_amount_low(&self, mut f: impl FnMut() + Send + 'static) {
        self.callbacks.on_buffered_amount_low.set(move |()| f());
    }
}
