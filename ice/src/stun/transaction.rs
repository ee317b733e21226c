//! STUN client transactions with retransmission (RFC 8489 §6.2), sans-IO.
//!
//! A [`TransactionTable`] remembers outstanding requests, retransmits them over
//! unreliable transports with the RFC's exponential back-off, matches responses by
//! transaction id, and reports timeouts. It never reads a clock: the owner passes `now`
//! and calls [`TransactionTable::handle_timeout`] at [`TransactionTable::poll_timeout`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use oxrtc_ice::stun::{TransactionConfig, TransactionTable, TransactionId};
//!
//! let mut table = TransactionTable::new(TransactionConfig::default());
//! let t0 = Instant::now();
//! let server = "127.0.0.1:3478".parse().unwrap();
//! table.start(t0, TransactionId([1; 12]), server, vec![0; 20], false, "probe").unwrap();
//! assert!(table.poll_transmit().is_some()); // first transmission, at once
//! assert_eq!(table.poll_timeout(), Some(t0 + Duration::from_millis(500)));
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::TransactionId;

/// Retransmission parameters (RFC 8489 §6.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionConfig {
    /// Initial retransmission timeout. RFC 8489 §6.2.1: "SHOULD be greater than 500 ms";
    /// ICE connectivity checks use a smaller one (RFC 8445 §14.3).
    pub rto: Duration,
    /// Rc: total number of transmissions of a request (default 7).
    pub max_transmissions: u32,
    /// Rm: after the last transmission, wait Rm × RTO before giving up (default 16).
    pub last_wait_factor: u32,
    /// Ti: timeout over reliable transports, where nothing is retransmitted (39.5 s).
    pub reliable_timeout: Duration,
    /// Cap on one back-off interval (none by default).
    pub max_rto: Option<Duration>,
    /// Bound on outstanding transactions.
    pub max_transactions: usize,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_transmissions: 7,
            last_wait_factor: 16,
            reliable_timeout: Duration::from_millis(39_500),
            max_rto: None,
            max_transactions: 1024,
        }
    }
}

/// Why [`TransactionTable::start`] refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// `max_transactions` are outstanding.
    #[error("too many outstanding STUN transactions ({0})")]
    TableFull(usize),
    /// A transaction with this id is already outstanding.
    #[error("duplicate STUN transaction id")]
    DuplicateId,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

#[derive(Debug)]
struct Entry<T> {
    id: TransactionId,
    destination: SocketAddr,
    request: Vec<u8>,
    transmissions: u32,
    interval: Duration,
    /// Next retransmission, or the final deadline once all are sent.
    due: Instant,
    reliable: bool,
    user: T,
}

/// Upper bound on any single wait, so absurd configurations cannot overflow `Instant`.
const MAX_WAIT: Duration = Duration::from_secs(86_400);

/// Outstanding STUN client transactions, each carrying the caller's data `T`.
#[derive(Debug)]
pub struct TransactionTable<T> {
    config: TransactionConfig,
    entries: Vec<Entry<T>>,
    transmits: VecDeque<Transmit>,
    timed_out: VecDeque<(TransactionId, T)>,
}

impl<T> TransactionTable<T> {
    /// An empty table.
    pub fn new(config: TransactionConfig) -> Self {
        Self {
            config,
            entries: Vec::new(),
            transmits: VecDeque::new(),
            timed_out: VecDeque::new(),
        }
    }

    /// Rm × RTO, bounded.
    fn last_wait(&self) -> Duration {
        self.config
            .rto
            .saturating_mul(self.config.last_wait_factor)
            .min(MAX_WAIT)
    }

    /// The configuration.
    pub fn config(&self) -> &TransactionConfig {
        &self.config
    }

    /// Starts a transaction: `request` is the encoded request with id `id`, queued for
    /// transmission now and retransmitted unless `reliable`.
    pub fn start(
        &mut self,
        now: Instant,
        id: TransactionId,
        destination: SocketAddr,
        request: Vec<u8>,
        reliable: bool,
        user: T,
    ) -> Result<(), TransactionError> {
        if self.entries.len() >= self.config.max_transactions {
            return Err(TransactionError::TableFull(self.entries.len()));
        }
        if self.entries.iter().any(|e| e.id == id) {
            return Err(TransactionError::DuplicateId);
        }
        let interval = self.config.rto;
        let due = if reliable {
            now + self.config.reliable_timeout.min(MAX_WAIT)
        } else if self.config.max_transmissions <= 1 {
            now + self.last_wait()
        } else {
            now + interval.min(MAX_WAIT)
        };
        self.transmits.push_back(Transmit {
            destination,
            contents: request.clone(),
        });
        self.entries.push(Entry {
            id,
            destination,
            request,
            transmissions: 1,
            interval,
            due,
            reliable,
            user,
        });
        Ok(())
    }

    /// Whether a transaction with this id is outstanding.
    pub fn contains(&self, id: &TransactionId) -> bool {
        self.entries.iter().any(|e| e.id == *id)
    }

    /// Number of outstanding transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no transaction is outstanding.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller data of an outstanding transaction.
    pub fn get(&self, id: &TransactionId) -> Option<&T> {
        self.entries.iter().find(|e| e.id == *id).map(|e| &e.user)
    }

    /// The destination of an outstanding transaction.
    pub fn destination(&self, id: &TransactionId) -> Option<SocketAddr> {
        self.entries
            .iter()
            .find(|e| e.id == *id)
            .map(|e| e.destination)
    }

    /// Ends the transaction `id` (a response arrived, after the caller checked it) and
    /// returns its data; `None` when no such transaction is outstanding.
    pub fn finish(&mut self, id: &TransactionId) -> Option<T> {
        let i = self.entries.iter().position(|e| e.id == *id)?;
        Some(self.entries.swap_remove(i).user)
    }

    /// Forgets the transaction without reporting anything (e.g. the agent closed).
    pub fn cancel(&mut self, id: &TransactionId) -> Option<T> {
        self.finish(id)
    }

    /// Retransmits due requests and times out exhausted ones.
    pub fn handle_timeout(&mut self, now: Instant) {
        let last_wait = self.last_wait();
        let mut i = 0;
        while i < self.entries.len() {
            let e = &mut self.entries[i];
            if e.due > now {
                i += 1;
                continue;
            }
            if e.reliable || e.transmissions >= self.config.max_transmissions {
                let e = self.entries.swap_remove(i);
                self.timed_out.push_back((e.id, e.user));
                continue;
            }
            // RFC 8489 §6.2.1: the RTO doubles after each retransmission.
            e.interval = match self.config.max_rto {
                Some(max) => e.interval.saturating_mul(2).min(max),
                None => e.interval.saturating_mul(2),
            };
            e.transmissions += 1;
            e.due = if e.transmissions >= self.config.max_transmissions {
                // "If, after the last request, a duration equal to Rm times the RTO has
                // passed without a response ..., the client SHOULD consider the
                // transaction to have failed."
                now + last_wait
            } else {
                now + e.interval.min(MAX_WAIT)
            };
            self.transmits.push_back(Transmit {
                destination: e.destination,
                contents: e.request.clone(),
            });
            i += 1;
        }
    }

    /// The next (re)transmission.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next transaction that timed out.
    pub fn poll_timed_out(&mut self) -> Option<(TransactionId, T)> {
        self.timed_out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.entries.iter().map(|e| e.due).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8489_schedule() {
        // RFC 8489 §6.2.1: sent at 0, 500, 1500, 3500, 7500, 15500, 31500 ms; failed at
        // 39500 ms.
        let t0 = Instant::now();
        let mut t = TransactionTable::new(TransactionConfig::default());
        let dest = "127.0.0.1:1".parse().unwrap();
        t.start(t0, TransactionId([1; 12]), dest, vec![1], false, 7u8)
            .unwrap();
        let mut sent = vec![];
        while let Some(due) = t.poll_timeout() {
            while t.poll_transmit().is_some() {
                sent.push(0);
            }
            let ms = due.duration_since(t0).as_millis();
            t.handle_timeout(due);
            if t.poll_transmit().is_some() {
                sent.push(ms);
            }
            if let Some((id, u)) = t.poll_timed_out() {
                assert_eq!((id, u), (TransactionId([1; 12]), 7));
                sent.push(ms);
            }
        }
        assert_eq!(sent, [0, 500, 1500, 3500, 7500, 15500, 31500, 39500]);
        assert!(t.is_empty());
    }

    #[test]
    fn early_timeout_is_noop_and_finish_stops() {
        let t0 = Instant::now();
        let mut t = TransactionTable::new(TransactionConfig::default());
        let dest = "127.0.0.1:1".parse().unwrap();
        let id = TransactionId([2; 12]);
        t.start(t0, id, dest, vec![1], false, ()).unwrap();
        assert!(t.poll_transmit().is_some());
        t.handle_timeout(t0 + Duration::from_millis(499));
        assert!(t.poll_transmit().is_none());
        assert_eq!(t.finish(&id), Some(()));
        assert_eq!(t.poll_timeout(), None);
        assert_eq!(t.finish(&id), None);
    }

    #[test]
    fn reliable_and_limits() {
        let t0 = Instant::now();
        let config = TransactionConfig {
            max_transactions: 1,
            ..TransactionConfig::default()
        };
        let mut t = TransactionTable::new(config);
        let dest = "127.0.0.1:1".parse().unwrap();
        t.start(t0, TransactionId([3; 12]), dest, vec![1], true, ())
            .unwrap();
        assert_eq!(
            t.start(t0, TransactionId([4; 12]), dest, vec![1], true, ()),
            Err(TransactionError::TableFull(1))
        );
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_millis(39_500)));
        t.poll_transmit().unwrap();
        t.handle_timeout(t0 + Duration::from_secs(40));
        assert!(t.poll_transmit().is_none());
        assert!(t.poll_timed_out().is_some());
    }

    #[test]
    fn capped_rto_and_single_transmission() {
        let t0 = Instant::now();
        let dest = "127.0.0.1:1".parse().unwrap();
        let config = TransactionConfig {
            rto: Duration::from_millis(100),
            max_rto: Some(Duration::from_millis(250)),
            max_transmissions: 4,
            last_wait_factor: 2,
            ..TransactionConfig::default()
        };
        let mut t = TransactionTable::new(config);
        t.start(t0, TransactionId([6; 12]), dest, vec![1], false, ())
            .unwrap();
        assert!(t.poll_transmit().is_some());
        let mut times = vec![0];
        let mut failed_at = None;
        while let Some(due) = t.poll_timeout() {
            t.handle_timeout(due);
            while t.poll_transmit().is_some() {
                times.push(due.duration_since(t0).as_millis());
            }
            if t.poll_timed_out().is_some() {
                failed_at = Some(due.duration_since(t0).as_millis());
            }
        }
        // Intervals 100, 200, then capped at 250; fails Rm × RTO = 200 ms after the last.
        assert_eq!(times, [0, 100, 300, 550]);
        assert_eq!(failed_at, Some(750));

        let mut t = TransactionTable::new(TransactionConfig {
            max_transmissions: 1,
            ..TransactionConfig::default()
        });
        t.start(t0, TransactionId([7; 12]), dest, vec![1], false, ())
            .unwrap();
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_millis(8000)));
        assert_eq!(
            t.start(t0, TransactionId([7; 12]), dest, vec![1], false, ()),
            Err(TransactionError::DuplicateId)
        );
    }
}
