//! Retransmission timeout estimation (RFC 6298 as applied by RFC 9260 §6.3.1).

use std::time::Duration;

/// SRTT / RTTVAR / RTO.
#[derive(Debug, Clone)]
pub(crate) struct Rto {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    min: Duration,
    max: Duration,
}

impl Rto {
    pub(crate) fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        Self {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial.clamp(min, max.max(min)),
            min,
            max: max.max(min),
        }
    }

    /// Feeds one round-trip measurement.
    pub(crate) fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            // RFC 6298 §2.2: first measurement.
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            // §2.3: alpha = 1/8, beta = 1/4.
            Some(srtt) => {
                let delta = srtt.abs_diff(rtt);
                self.rttvar = self.rttvar * 3 / 4 + delta / 4;
                self.srtt = Some(srtt * 7 / 8 + rtt / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(rtt);
        self.rto = (srtt + 4 * self.rttvar).clamp(self.min, self.max);
    }

    /// RFC 6298 §5.5 / RFC 9260 §6.3.3 E2: back off after a timeout.
    pub(crate) fn back_off(&mut self) {
        self.rto = (self.rto * 2).min(self.max);
    }

    pub(crate) fn rto(&self) -> Duration {
        self.rto
    }

    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_rfc6298() {
        let ms = Duration::from_millis;
        let mut rto = Rto::new(ms(1000), ms(100), ms(60_000));
        assert_eq!(rto.rto(), ms(1000));
        rto.sample(ms(200));
        // SRTT 200, RTTVAR 100 -> 600
        assert_eq!(rto.rto(), ms(600));
        rto.sample(ms(200));
        // RTTVAR 75, SRTT 200 -> 500
        assert_eq!(rto.rto(), ms(500));
        rto.back_off();
        assert_eq!(rto.rto(), ms(1000));
        for _ in 0..20 {
            rto.back_off();
        }
        assert_eq!(rto.rto(), ms(60_000));
        rto.sample(Duration::ZERO);
        assert!(rto.rto() >= ms(100));
    }
}
