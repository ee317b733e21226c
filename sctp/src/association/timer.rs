//! The association's timers as a table (RFC 9260 names), polled through `poll_timeout`.

use std::time::Instant;

/// Every timer an association runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// T1-init / T1-cookie (RFC 9260 §5.1): retransmits INIT or COOKIE ECHO.
    T1 = 0,
    /// T2-shutdown (§9.2): retransmits SHUTDOWN or SHUTDOWN ACK.
    T2Shutdown = 1,
    /// T3-rtx (§6.3.2): retransmission timeout for DATA.
    T3Rtx = 2,
    /// Delayed SACK (§6.2).
    DelayedAck = 3,
    /// HEARTBEAT (§8.3).
    Heartbeat = 4,
    /// RFC 6525 §5.1.1: retransmits an unanswered RE-CONFIG request.
    Reconfig = 5,
    /// Tail loss probe (RFC 8985 §7): resends the last chunk before T3-rtx would.
    Probe = 6,
}

pub(crate) const ALL: [Timer; 7] = [
    Timer::T1,
    Timer::T2Shutdown,
    Timer::T3Rtx,
    Timer::DelayedAck,
    Timer::Heartbeat,
    Timer::Reconfig,
    Timer::Probe,
];

/// Deadlines; `None` is a stopped timer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timers {
    deadlines: [Option<Instant>; 7],
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub(crate) fn is_running(&self, timer: Timer) -> bool {
        self.deadlines[timer as usize].is_some()
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Stops and returns the timer if it is due at `now`.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.deadlines[timer as usize] {
            Some(at) if at <= now => {
                self.deadlines[timer as usize] = None;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; 7];
    }
}
