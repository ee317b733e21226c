//! Data channels as the application sees them, mapped onto SCTP streams once the
//! association exists.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use oxrtc_sctp::{ChannelConfig, Reliability};

use crate::error::Error;

/// How to create a data channel (W3C `RTCDataChannelInit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelInit {
    /// Deliver messages in order (default `true`).
    pub ordered: bool,
    /// Give up on a message this many milliseconds after it was sent.
    pub max_packet_life_time: Option<u16>,
    /// Give up on a message after this many retransmissions.
    pub max_retransmits: Option<u16>,
    /// Sub-protocol name.
    pub protocol: String,
    /// A stream id agreed out of band: no in-band open handshake, both sides create
    /// the channel with the same id (W3C `negotiated: true` with `id`).
    pub negotiated: Option<u16>,
}

impl Default for DataChannelInit {
    fn default() -> Self {
        Self {
            ordered: true,
            max_packet_life_time: None,
            max_retransmits: None,
            protocol: String::new(),
            negotiated: None,
        }
    }
}

/// A data channel's `readyState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataChannelState {
    /// Waiting for the SCTP association.
    Connecting,
    /// Messages can be sent.
    Open,
    /// Closing: the stream reset is under way.
    Closing,
    /// Closed.
    Closed,
}

/// A message received on a data channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelMessage {
    /// Sent as a string (the bytes are UTF-8) rather than as binary.
    pub is_string: bool,
    /// The message.
    pub data: Bytes,
}

/// A session's handle for one data channel, valid before its SCTP stream id is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub(crate) u32);

/// What the session knows of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Label.
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// The SCTP stream id, once known.
    pub id: Option<u16>,
    /// In-order delivery.
    pub ordered: bool,
    /// Retransmission limit, if any.
    pub max_retransmits: Option<u16>,
    /// Lifetime limit in milliseconds, if any.
    pub max_packet_life_time: Option<u16>,
    /// Opened with a pre-agreed id.
    pub negotiated: bool,
    /// `readyState`.
    pub state: DataChannelState,
}

#[derive(Debug)]
pub(crate) struct ChannelEntry {
    pub(crate) info: ChannelInfo,
    pub(crate) config: ChannelConfig,
    pub(crate) counters: super::stats::ChannelCounters,
}

/// Every channel of a session, by handle and by stream id.
#[derive(Debug, Default)]
pub(crate) struct Channels {
    entries: HashMap<ChannelId, ChannelEntry>,
    by_stream: HashMap<u16, ChannelId>,
    next_id: u32,
}

/// The SCTP configuration of a W3C channel init, refusing what a browser refuses.
pub(crate) fn channel_config(label: &str, init: &DataChannelInit) -> Result<ChannelConfig, Error> {
    // W3C createDataChannel: both limits at once is a TypeError; labels and protocols
    // longer than 65535 bytes are a TypeError; id 65535 is reserved.
    let reliability = match (init.max_retransmits, init.max_packet_life_time) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidArgument(
                "max_retransmits and max_packet_life_time are exclusive",
            ))
        }
        (Some(n), None) => Reliability::MaxRetransmits(u32::from(n)),
        (None, Some(ms)) => Reliability::MaxLifetime(Duration::from_millis(u64::from(ms))),
        (None, None) => Reliability::Reliable,
    };
    if label.len() > usize::from(u16::MAX) || init.protocol.len() > usize::from(u16::MAX) {
        return Err(Error::InvalidArgument("label or protocol over 65535 bytes"));
    }
    if init.negotiated == Some(u16::MAX) {
        return Err(Error::InvalidArgument("stream id 65535 is reserved"));
    }
    Ok(ChannelConfig {
        label: label.to_owned(),
        protocol: init.protocol.clone(),
        ordered: init.ordered,
        reliability,
        negotiated: init.negotiated,
        ..ChannelConfig::default()
    })
}

fn limits(reliability: Reliability) -> (Option<u16>, Option<u16>) {
    let clamp = |n: u128| Some(u16::try_from(n).unwrap_or(u16::MAX));
    match reliability {
        Reliability::Reliable => (None, None),
        Reliability::MaxRetransmits(n) => (clamp(u128::from(n)), None),
        Reliability::MaxLifetime(d) => (None, clamp(d.as_millis())),
    }
}

impl Channels {
    /// Registers a channel and returns its handle.
    pub(crate) fn insert(
        &mut self,
        config: ChannelConfig,
        stream: Option<u16>,
        state: DataChannelState,
    ) -> ChannelId {
        let id = ChannelId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let (max_retransmits, max_packet_life_time) = limits(config.reliability);
        let info = ChannelInfo {
            label: config.label.clone(),
            protocol: config.protocol.clone(),
            id: stream,
            ordered: config.ordered,
            max_retransmits,
            max_packet_life_time,
            negotiated: config.negotiated.is_some(),
            state,
        };
        if let Some(s) = stream {
            self.by_stream.insert(s, id);
        }
        self.entries.insert(
            id,
            ChannelEntry {
                info,
                config,
                counters: Default::default(),
            },
        );
        id
    }

    pub(crate) fn get(&self, id: ChannelId) -> Option<&ChannelEntry> {
        self.entries.get(&id)
    }

    pub(crate) fn get_mut(&mut self, id: ChannelId) -> Option<&mut ChannelEntry> {
        self.entries.get_mut(&id)
    }

    pub(crate) fn by_stream(&self, stream: u16) -> Option<ChannelId> {
        self.by_stream.get(&stream).copied()
    }

    pub(crate) fn stream_of(&self, id: ChannelId) -> Option<u16> {
        self.entries.get(&id)?.info.id
    }

    pub(crate) fn set_stream(&mut self, id: ChannelId, stream: u16) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.info.id = Some(stream);
            self.by_stream.insert(stream, id);
        }
    }

    pub(crate) fn state(&self, id: ChannelId) -> Option<DataChannelState> {
        Some(self.entries.get(&id)?.info.state)
    }

    pub(crate) fn set_state(&mut self, id: ChannelId, state: DataChannelState) {
        if let Some(e) = self.entries.get_mut(&id) {
            e.info.state = state;
        }
    }

    /// Forgets a closed channel: its stream id may be reused by a new channel.
    pub(crate) fn remove(&mut self, id: ChannelId) {
        if let Some(e) = self.entries.remove(&id) {
            if let Some(s) = e.info.id {
                if self.by_stream.get(&s) == Some(&id) {
                    self.by_stream.remove(&s);
                }
            }
        }
    }

    /// Handles in a stable order (creation order), so events come out deterministic.
    pub(crate) fn ids(&self) -> Vec<ChannelId> {
        let mut ids: Vec<_> = self.entries.keys().copied().collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_rules_for_channel_init() {
        let both = DataChannelInit {
            max_retransmits: Some(1),
            max_packet_life_time: Some(100),
            ..DataChannelInit::default()
        };
        assert!(matches!(
            channel_config("x", &both),
            Err(Error::InvalidArgument(_))
        ));
        let reserved = DataChannelInit {
            negotiated: Some(u16::MAX),
            ..DataChannelInit::default()
        };
        assert!(channel_config("x", &reserved).is_err());
        let long = "x".repeat(70_000);
        assert!(channel_config(&long, &DataChannelInit::default()).is_err());
        let lossy = DataChannelInit {
            ordered: false,
            max_retransmits: Some(0),
            ..DataChannelInit::default()
        };
        let config = channel_config("game", &lossy).unwrap();
        assert_eq!(config.reliability, Reliability::MaxRetransmits(0));
        assert!(!config.ordered);
    }

    #[test]
    fn streams_map_back_to_handles() {
        let mut channels = Channels::default();
        let config = channel_config("a", &DataChannelInit::default()).unwrap();
        let a = channels.insert(config.clone(), None, DataChannelState::Connecting);
        let b = channels.insert(config, Some(3), DataChannelState::Open);
        assert_eq!(channels.by_stream(3), Some(b));
        channels.set_stream(a, 2);
        assert_eq!(channels.by_stream(2), Some(a));
        assert_eq!(channels.ids(), vec![a, b]);
        channels.remove(b);
        assert_eq!(channels.by_stream(3), None);
        assert_eq!(channels.state(a), Some(DataChannelState::Connecting));
    }
}
