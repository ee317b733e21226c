//! Temporary maximum media stream bit rate request and notification (RFC 5104 §4.2.1,
//! §4.2.2).

use super::{Reader, Writer};
use crate::error::RtcpError;

/// One TMMBR/TMMBN FCI entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TmmbrEntry {
    /// SSRC the limit applies to.
    pub ssrc: u32,
    /// Maximum total media bit rate in bit/s: RFC 5104 §4.2.1.2 "MxTBR = mantissa *
    /// 2^exp" with a 17-bit mantissa and 6-bit exponent; values the encoding cannot hold
    /// exactly are rounded down.
    pub bitrate: u64,
    /// Measured per-packet overhead in bytes (9 bits).
    pub overhead: u16,
}

/// Splits `value` into (exp, mantissa) with a `bits`-bit mantissa, rounding down.
pub(crate) fn to_exp_mantissa(value: u64, bits: u32) -> (u8, u32) {
    let mut exp = 0u8;
    let mut m = value;
    while m >= 1 << bits && exp < 63 {
        m >>= 1;
        exp += 1;
    }
    (exp, m.min((1 << bits) - 1) as u32)
}

/// `mantissa * 2^exp`, saturating.
pub(crate) fn from_exp_mantissa(exp: u8, mantissa: u32) -> u64 {
    (mantissa as u64)
        .checked_shl(exp as u32)
        .filter(|v| v >> exp == mantissa as u64)
        .unwrap_or(u64::MAX)
}

impl TmmbrEntry {
    fn parse(r: &mut Reader<'_>) -> Result<Self, RtcpError> {
        let ssrc = r.u32()?;
        let v = r.u32()?;
        let exp = (v >> 26) as u8;
        let mantissa = (v >> 9) & 0x1FFFF;
        Ok(Self {
            ssrc,
            bitrate: from_exp_mantissa(exp, mantissa),
            overhead: (v & 0x1FF) as u16,
        })
    }
    fn write(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
        if self.overhead > 0x1FF {
            return Err(RtcpError::Invalid {
                what: "TMMBR",
                reason: "overhead above 511",
            });
        }
        let (exp, m) = to_exp_mantissa(self.bitrate, 17);
        w.u32(self.ssrc)?;
        w.u32((exp as u32) << 26 | m << 9 | self.overhead as u32)
    }
}

fn parse_entries(
    what: &'static str,
    body: &[u8],
) -> Result<(u32, u32, Vec<TmmbrEntry>), RtcpError> {
    let mut r = Reader::new(what, body);
    let sender = r.u32()?;
    let media = r.u32()?;
    let mut entries = Vec::with_capacity(r.remaining() / 8);
    while r.remaining() >= 8 {
        entries.push(TmmbrEntry::parse(&mut r)?);
    }
    Ok((sender, media, entries))
}

macro_rules! tmmb {
    ($(#[$doc:meta])* $name:ident, $what:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            /// SSRC of the packet sender.
            pub sender_ssrc: u32,
            /// RFC 5104: the media source SSRC field is 0.
            pub media_ssrc: u32,
            /// FCI entries.
            pub entries: Vec<TmmbrEntry>,
        }

        impl $name {
            pub(crate) fn parse(body: &[u8]) -> Result<Self, RtcpError> {
                let (sender_ssrc, media_ssrc, entries) = parse_entries($what, body)?;
                Ok(Self { sender_ssrc, media_ssrc, entries })
            }
            pub(crate) fn body_len(&self) -> usize {
                8 + 8 * self.entries.len()
            }
            pub(crate) fn write_body(&self, w: &mut Writer<'_>) -> Result<(), RtcpError> {
                w.u32(self.sender_ssrc)?;
                w.u32(self.media_ssrc)?;
                for e in &self.entries {
                    e.write(w)?;
                }
                Ok(())
            }
        }
    };
}

tmmb!(
    /// TMMBR: asks the media sender to stay below a bit rate.
    Tmmbr,
    "TMMBR"
);
tmmb!(
    /// TMMBN: the media sender's acknowledgement of the bounding set.
    Tmmbn,
    "TMMBN"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{round_trip, RtcpPacket};

    #[test]
    fn tmmbr_encoding() {
        // 1 Mbit/s = 0x1E848 * 2^3? 1_000_000 >> 3 = 125000 < 131072, so exp 3 mantissa 125000.
        let p = RtcpPacket::Tmmbr(Tmmbr {
            sender_ssrc: 1,
            media_ssrc: 0,
            entries: vec![TmmbrEntry {
                ssrc: 9,
                bitrate: 1_000_000,
                overhead: 40,
            }],
        });
        let b = round_trip(&p);
        assert_eq!(b[0], 0x83);
        let v = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
        assert_eq!(v >> 26, 3);
        assert_eq!((v >> 9) & 0x1FFFF, 125_000);
        assert_eq!(v & 0x1FF, 40);
        round_trip(&RtcpPacket::Tmmbn(Tmmbn {
            sender_ssrc: 1,
            media_ssrc: 0,
            entries: vec![],
        }));
        assert_eq!(from_exp_mantissa(63, 0x1FFFF), u64::MAX);
    }
}
