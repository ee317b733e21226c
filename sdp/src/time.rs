//! Timing lines: `t=`, `r=`, `z=` (RFC 8866 §5.9–§5.11). WebRTC always writes `t=0 0`.

use std::fmt;

use crate::error::{FieldError, Problem};
use crate::util::{parse_u64, Tokens};
use crate::write::{display_via_write_sdp, write_i64, write_joined, write_u64, WriteSdp};

/// Unit suffix of a typed time (RFC 8866 §5.10: `d`, `h`, `m`, `s`, or none for seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeUnit {
    /// No suffix: seconds.
    #[default]
    None,
    /// `d`: days.
    Days,
    /// `h`: hours.
    Hours,
    /// `m`: minutes.
    Minutes,
    /// `s`: seconds, written explicitly.
    Seconds,
}

impl TimeUnit {
    /// Seconds per unit.
    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::None | TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3_600,
            TimeUnit::Days => 86_400,
        }
    }
}

/// A number with an optional unit (`7d`, `-1h`, `3600`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TypedTime {
    /// The number as written (negative only in `z=` offsets).
    pub value: i64,
    /// Its unit.
    pub unit: TimeUnit,
}

impl TypedTime {
    /// The time in seconds (saturating).
    pub fn as_seconds(self) -> i64 {
        self.value.saturating_mul(self.unit.seconds())
    }

    fn parse(s: &str, field: &'static str, signed: bool) -> Result<Self, FieldError> {
        let (negative, rest) = match s.strip_prefix('-') {
            Some(rest) if signed => (true, rest),
            Some(_) => return Err(FieldError::new(field, Problem::OutOfRange)),
            None => (false, s),
        };
        let (digits, unit) = match rest.as_bytes().last() {
            Some(b'd') => (&rest[..rest.len() - 1], TimeUnit::Days),
            Some(b'h') => (&rest[..rest.len() - 1], TimeUnit::Hours),
            Some(b'm') => (&rest[..rest.len() - 1], TimeUnit::Minutes),
            Some(b's') => (&rest[..rest.len() - 1], TimeUnit::Seconds),
            _ => (rest, TimeUnit::None),
        };
        let magnitude = parse_u64(digits, field)?;
        let magnitude =
            i64::try_from(magnitude).map_err(|_| FieldError::new(field, Problem::OutOfRange))?;
        Ok(TypedTime {
            value: if negative { -magnitude } else { magnitude },
            unit,
        })
    }
}

impl WriteSdp for TypedTime {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_i64(w, self.value)?;
        match self.unit {
            TimeUnit::None => Ok(()),
            TimeUnit::Days => w.write_char('d'),
            TimeUnit::Hours => w.write_char('h'),
            TimeUnit::Minutes => w.write_char('m'),
            TimeUnit::Seconds => w.write_char('s'),
        }
    }
}

/// `r=<repeat interval> <active duration> <offsets from start-time>` (RFC 8866 §5.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Repeat interval.
    pub interval: TypedTime,
    /// Active duration.
    pub duration: TypedTime,
    /// Offsets from the start time (at least one).
    pub offsets: Vec<TypedTime>,
}

impl Repeat {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let interval = TypedTime::parse(t.expect("repeat-interval")?, "repeat-interval", false)?;
        let duration = TypedTime::parse(t.expect("typed-time")?, "typed-time", false)?;
        let mut offsets = Vec::new();
        while let Some(tok) = t.next_token() {
            offsets.push(TypedTime::parse(tok, "typed-time", false)?);
        }
        if offsets.is_empty() {
            return Err(FieldError::new("typed-time", Problem::Missing));
        }
        Ok(Repeat {
            interval,
            duration,
            offsets,
        })
    }
}

impl WriteSdp for Repeat {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        self.interval.write_sdp(w)?;
        w.write_char(' ')?;
        self.duration.write_sdp(w)?;
        for offset in &self.offsets {
            w.write_char(' ')?;
            offset.write_sdp(w)?;
        }
        Ok(())
    }
}

/// One `t=<start-time> <stop-time>` line with the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// Repeat times.
    pub repeats: Vec<Repeat>,
}

impl Timing {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let start = parse_u64(t.expect("start-time")?, "start-time")?;
        let stop = parse_u64(t.expect("stop-time")?, "stop-time")?;
        t.finish("stop-time")?;
        Ok(Timing {
            start,
            stop,
            repeats: Vec::new(),
        })
    }
}

/// One `<adjustment time> <offset>` pair of a `z=` line (RFC 8866 §5.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    /// When the adjustment happens (NTP seconds).
    pub adjustment: u64,
    /// The offset applied from then on.
    pub offset: TypedTime,
}

/// Parses the pairs of a `z=` line.
pub(crate) fn parse_time_zones(value: &str) -> Result<Vec<TimeZone>, FieldError> {
    let mut t = Tokens::new(value);
    let mut zones = Vec::new();
    while let Some(tok) = t.next_token() {
        let adjustment = parse_u64(tok, "time")?;
        let offset = TypedTime::parse(t.expect("typed-time")?, "typed-time", true)?;
        zones.push(TimeZone { adjustment, offset });
    }
    if zones.is_empty() {
        return Err(FieldError::new("time", Problem::Missing));
    }
    Ok(zones)
}

/// Writes the pairs of a `z=` line.
pub(crate) fn write_time_zones<W: fmt::Write>(w: &mut W, zones: &[TimeZone]) -> fmt::Result {
    write_joined(w, zones, " ", |w, z| {
        write_u64(w, z.adjustment)?;
        w.write_char(' ')?;
        z.offset.write_sdp(w)
    })
}

display_via_write_sdp!(TypedTime, Repeat);
