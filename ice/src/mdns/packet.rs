//! The DNS message subset mDNS for ICE needs (RFC 1035 §4, RFC 6762 §18): questions
//! and A/AAAA answers, with name compression on input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::MdnsError;

/// RFC 1035 TYPE A.
pub const TYPE_A: u16 = 1;
/// RFC 3596 TYPE AAAA.
pub const TYPE_AAAA: u16 = 28;
/// RFC 1035 CLASS IN.
pub const CLASS_IN: u16 = 1;
/// Most questions or answers read from one packet; the rest are ignored.
pub const MAX_RECORDS: usize = 32;
/// RFC 1035 §2.3.4: names are at most 255 octets.
const MAX_NAME_LEN: usize = 255;
/// Compression pointers followed per name, bounding work on crafted loops.
const MAX_POINTERS: usize = 16;

/// A question (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked for, without the trailing dot.
    pub name: String,
    /// TYPE (A, AAAA, ...).
    pub qtype: u16,
    /// RFC 6762 §5.4: the top bit of QCLASS asks for a unicast response.
    pub unicast_response: bool,
}

/// An answer record; only A and AAAA carry an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The owner name, without the trailing dot.
    pub name: String,
    /// TYPE.
    pub rtype: u16,
    /// Time to live in seconds.
    pub ttl: u32,
    /// The address for A and AAAA records.
    pub addr: Option<IpAddr>,
}

/// A parsed mDNS message (header flags, questions, answers; authority and additional
/// sections are skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Query ID (0 in multicast mDNS).
    pub id: u16,
    /// QR bit: a response.
    pub is_response: bool,
    /// Questions, at most [`MAX_RECORDS`].
    pub questions: Vec<Question>,
    /// Answers, at most [`MAX_RECORDS`].
    pub answers: Vec<Answer>,
}

impl Packet {
    /// Parses a DNS message. Every length and pointer is checked.
    pub fn parse(data: &[u8]) -> Result<Self, MdnsError> {
        if data.len() < 12 {
            return Err(MdnsError::Truncated);
        }
        let u16_at = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        let id = u16_at(0);
        let flags = u16_at(2);
        let qd = usize::from(u16_at(4));
        let an = usize::from(u16_at(6));
        let mut pos = 12;
        let mut questions = Vec::new();
        for _ in 0..qd {
            let (name, next) = read_name(data, pos)?;
            let fixed = data.get(next..next + 4).ok_or(MdnsError::Truncated)?;
            let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
            pos = next + 4;
            if questions.len() < MAX_RECORDS {
                questions.push(Question {
                    name,
                    qtype,
                    unicast_response: qclass & 0x8000 != 0,
                });
            }
        }
        let mut answers = Vec::new();
        for _ in 0..an {
            if answers.len() >= MAX_RECORDS {
                break;
            }
            let (name, next) = read_name(data, pos)?;
            let fixed = data.get(next..next + 10).ok_or(MdnsError::Truncated)?;
            let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
            let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
            let rdata = data
                .get(next + 10..next + 10 + rdlen)
                .ok_or(MdnsError::Truncated)?;
            pos = next + 10 + rdlen;
            let addr = match (rtype, rdata.len()) {
                (TYPE_A, 4) => Some(IpAddr::V4(Ipv4Addr::new(
                    rdata[0], rdata[1], rdata[2], rdata[3],
                ))),
                (TYPE_AAAA, 16) => {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(rdata);
                    Some(IpAddr::V6(Ipv6Addr::from(b)))
                }
                (TYPE_A | TYPE_AAAA, _) => return Err(MdnsError::Malformed("address length")),
                _ => None,
            };
            answers.push(Answer {
                name,
                rtype,
                ttl,
                addr,
            });
        }
        Ok(Self {
            id,
            is_response: flags & 0x8000 != 0,
            questions,
            answers,
        })
    }
}

/// Reads a possibly compressed name at `pos`; returns it and the offset after it.
fn read_name(data: &[u8], mut pos: usize) -> Result<(String, usize), MdnsError> {
    let mut name = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *data.get(pos).ok_or(MdnsError::Truncated)?;
        match len {
            0 => {
                let after = end.unwrap_or(pos + 1);
                return Ok((name, after));
            }
            l if l & 0xC0 == 0xC0 => {
                let lo = *data.get(pos + 1).ok_or(MdnsError::Truncated)?;
                let target = (usize::from(l & 0x3F) << 8) | usize::from(lo);
                // Pointers must go backwards, and not too often: no loops.
                jumps += 1;
                if target >= pos || jumps > MAX_POINTERS {
                    return Err(MdnsError::Malformed("compression pointer"));
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            l if l & 0xC0 != 0 => return Err(MdnsError::Malformed("label type")),
            l => {
                let l = usize::from(l);
                let label = data.get(pos + 1..pos + 1 + l).ok_or(MdnsError::Truncated)?;
                if name.len() + l + 1 > MAX_NAME_LEN {
                    return Err(MdnsError::Malformed("name too long"));
                }
                let label =
                    std::str::from_utf8(label).map_err(|_| MdnsError::Malformed("label"))?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(label);
                pos += 1 + l;
            }
        }
    }
}

fn write_name(out: &mut Vec<u8>, name: &str) -> Result<(), MdnsError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > MAX_NAME_LEN - 2 {
        return Err(MdnsError::Malformed("name too long"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(MdnsError::Malformed("label"));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// Encodes a query for `name` (A or AAAA) with ID 0 (RFC 6762 §18.1).
pub fn encode_query(name: &str, qtype: u16) -> Result<Vec<u8>, MdnsError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    write_name(&mut out, name)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// Encodes an authoritative response with one A/AAAA record for `name`, cache-flush
/// set (RFC 6762 §10.2: the name is unique to us).
pub fn encode_response(name: &str, addr: IpAddr, ttl: u32) -> Result<Vec<u8>, MdnsError> {
    let mut out = Vec::with_capacity(64);
    // ID 0, QR=1 AA=1, no questions, one answer.
    out.extend_from_slice(&[0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    write_name(&mut out, name)?;
    let (rtype, rdata): (u16, Vec<u8>) = match addr {
        IpAddr::V4(v4) => (TYPE_A, v4.octets().to_vec()),
        IpAddr::V6(v6) => (TYPE_AAAA, v6.octets().to_vec()),
    };
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&(CLASS_IN | 0x8000).to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(&rdata);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_response_round_trip() {
        let q = encode_query("abc.local", TYPE_A).unwrap();
        let p = Packet::parse(&q).unwrap();
        assert!(!p.is_response);
        assert_eq!(p.questions[0].name, "abc.local");
        assert_eq!(p.questions[0].qtype, TYPE_A);
        let r = encode_response("abc.local", "10.1.2.3".parse().unwrap(), 120).unwrap();
        let p = Packet::parse(&r).unwrap();
        assert!(p.is_response);
        assert_eq!(p.answers[0].addr, Some("10.1.2.3".parse().unwrap()));
        assert_eq!(p.answers[0].ttl, 120);
        let r6 = encode_response("x.local", "fe80::1".parse().unwrap(), 1).unwrap();
        assert_eq!(
            Packet::parse(&r6).unwrap().answers[0].addr,
            Some("fe80::1".parse().unwrap())
        );
    }

    #[test]
    fn compression_pointers() {
        // A response whose answer name points at the question's name.
        let mut m = vec![0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        write_name(&mut m, "host.local").unwrap();
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend_from_slice(&[0xC0, 12, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 0, 2, 1]);
        let p = Packet::parse(&m).unwrap();
        assert_eq!(p.answers[0].name, "host.local");
        assert_eq!(p.answers[0].addr, Some("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn rejects_loops_and_truncation() {
        // A pointer to itself.
        let mut m = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert!(Packet::parse(&m).is_err());
        let q = encode_query("abc.local", TYPE_A).unwrap();
        for n in 0..q.len() {
            assert!(Packet::parse(&q[..n]).is_err(), "{n}");
        }
        // A claims of 65535 questions with none present.
        assert!(Packet::parse(&[0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
