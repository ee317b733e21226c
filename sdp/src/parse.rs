//! The line scanner: splits the text into `<type>=<value>` lines, enforces the limits and
//! the section structure of RFC 8866 §5, and hands each value to its typed parser.
//!
//! It borrows the input while scanning; the only allocations are the owned strings and
//! vectors of the result.

use crate::attributes::Attribute;
use crate::connection::{Bandwidth, Connection, Origin};
use crate::error::{FieldError, SdpError};
use crate::limits::ParseLimits;
use crate::media::MediaDescription;
use crate::session::SessionDescription;
use crate::time::{parse_time_zones, Repeat, Timing};
use crate::util::scan_line;

/// Session-level fields while they are collected (`o=` and `s=` are mandatory).
#[derive(Default)]
struct SessionFields {
    version_seen: bool,
    origin: Option<Origin>,
    session_name: Option<String>,
    session_info: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    timings: Vec<Timing>,
    time_zones: Vec<crate::time::TimeZone>,
    key: Option<String>,
    attributes: Vec<Attribute>,
}

/// Sets a once-only field or reports the duplicate.
fn set_once<T>(slot: &mut Option<T>, value: T, line: usize, kind: char) -> Result<(), SdpError> {
    if slot.is_some() {
        return Err(SdpError::Duplicate { line, kind });
    }
    *slot = Some(value);
    Ok(())
}

fn field(line: usize, kind: char) -> impl Fn(FieldError) -> SdpError {
    move |e| SdpError::Field {
        line,
        kind,
        field: e.field,
        problem: e.problem,
    }
}

fn attribute(line: usize, value: &str) -> Result<Attribute, SdpError> {
    Attribute::parse_line(value).map_err(|(attribute, e)| SdpError::Attribute {
        line,
        attribute,
        field: e.field,
        problem: e.problem,
    })
}

pub(crate) fn parse(input: &str, limits: &ParseLimits) -> Result<SessionDescription, SdpError> {
    if input.len() > limits.max_size {
        return Err(SdpError::TooLarge {
            len: input.len(),
            limit: limits.max_size,
        });
    }
    let mut session = SessionFields::default();
    let mut media: Vec<MediaDescription> = Vec::new();
    let mut counted_lines = 0usize;

    let mut rest = input;
    let mut line_no = 0usize;
    while !rest.is_empty() {
        line_no += 1;
        let (end, bad) = scan_line(rest.as_bytes());
        let raw = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        counted_lines += 1;
        if counted_lines > limits.max_lines {
            return Err(SdpError::TooManyLines {
                line: line_no,
                limit: limits.max_lines,
            });
        }
        if line.len() > limits.max_line_len {
            return Err(SdpError::LineTooLong {
                line: line_no,
                len: line.len(),
                limit: limits.max_line_len,
            });
        }
        if bad {
            return Err(SdpError::InvalidCharacter { line: line_no });
        }
        let bytes = line.as_bytes();
        if bytes.len() < 2 || bytes[1] != b'=' {
            return Err(SdpError::Malformed { line: line_no });
        }
        // bytes[1] is '=', so bytes[0] is a whole ASCII character and 2 is a boundary.
        let kind = char::from(bytes[0]);
        let value = &line[2..];

        if !session.version_seen {
            if kind != 'v' {
                return Err(SdpError::Misplaced {
                    line: line_no,
                    kind,
                });
            }
            if value != "0" {
                return Err(SdpError::Field {
                    line: line_no,
                    kind,
                    field: "proto-version",
                    problem: crate::Problem::Invalid,
                });
            }
            session.version_seen = true;
            continue;
        }

        if let Some(m) = media.last_mut() {
            match kind {
                'a' => {
                    if m.attributes.len() >= limits.max_attributes {
                        return Err(SdpError::TooManyAttributes {
                            line: line_no,
                            limit: limits.max_attributes,
                        });
                    }
                    m.attributes.push(attribute(line_no, value)?);
                    continue;
                }
                'm' => {}
                'i' => {
                    set_once(&mut m.title, value.to_owned(), line_no, kind)?;
                    continue;
                }
                'c' => {
                    m.connections
                        .push(Connection::parse(value).map_err(field(line_no, kind))?);
                    continue;
                }
                'b' => {
                    m.bandwidths
                        .push(Bandwidth::parse(value).map_err(field(line_no, kind))?);
                    continue;
                }
                'k' => {
                    set_once(&mut m.key, value.to_owned(), line_no, kind)?;
                    continue;
                }
                'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => {
                    return Err(SdpError::Misplaced {
                        line: line_no,
                        kind,
                    })
                }
                _ => {
                    return Err(SdpError::UnknownLineType {
                        line: line_no,
                        kind,
                    })
                }
            }
        }

        match kind {
            'a' => {
                if session.attributes.len() >= limits.max_attributes {
                    return Err(SdpError::TooManyAttributes {
                        line: line_no,
                        limit: limits.max_attributes,
                    });
                }
                session.attributes.push(attribute(line_no, value)?);
            }
            'm' => {
                if media.len() >= limits.max_media {
                    return Err(SdpError::TooManyMediaSections {
                        line: line_no,
                        limit: limits.max_media,
                    });
                }
                let mut m = MediaDescription::parse_m_line(value).map_err(field(line_no, kind))?;
                m.attributes.reserve(64);
                media.push(m);
            }
            'o' => set_once(
                &mut session.origin,
                Origin::parse(value).map_err(field(line_no, kind))?,
                line_no,
                kind,
            )?,
            's' => set_once(&mut session.session_name, value.to_owned(), line_no, kind)?,
            'i' => set_once(&mut session.session_info, value.to_owned(), line_no, kind)?,
            'u' => set_once(&mut session.uri, value.to_owned(), line_no, kind)?,
            'e' => session.emails.push(value.to_owned()),
            'p' => session.phones.push(value.to_owned()),
            'c' => set_once(
                &mut session.connection,
                Connection::parse(value).map_err(field(line_no, kind))?,
                line_no,
                kind,
            )?,
            'b' => session
                .bandwidths
                .push(Bandwidth::parse(value).map_err(field(line_no, kind))?),
            't' => session
                .timings
                .push(Timing::parse(value).map_err(field(line_no, kind))?),
            'r' => {
                let repeat = Repeat::parse(value).map_err(field(line_no, kind))?;
                match session.timings.last_mut() {
                    Some(t) => t.repeats.push(repeat),
                    None => {
                        return Err(SdpError::Misplaced {
                            line: line_no,
                            kind,
                        })
                    }
                }
            }
            'z' => {
                if !session.time_zones.is_empty() {
                    return Err(SdpError::Duplicate {
                        line: line_no,
                        kind,
                    });
                }
                session.time_zones = parse_time_zones(value).map_err(field(line_no, kind))?;
            }
            'k' => set_once(&mut session.key, value.to_owned(), line_no, kind)?,
            'v' => {
                return Err(SdpError::Duplicate {
                    line: line_no,
                    kind,
                })
            }
            _ => {
                return Err(SdpError::UnknownLineType {
                    line: line_no,
                    kind,
                })
            }
        }
    }

    if !session.version_seen {
        return Err(SdpError::MissingLine { kind: 'v' });
    }
    let origin = session.origin.ok_or(SdpError::MissingLine { kind: 'o' })?;
    let session_name = session
        .session_name
        .ok_or(SdpError::MissingLine { kind: 's' })?;
    Ok(SessionDescription {
        origin,
        session_name,
        session_info: session.session_info,
        uri: session.uri,
        emails: session.emails,
        phones: session.phones,
        connection: session.connection,
        bandwidths: session.bandwidths,
        timings: session.timings,
        time_zones: session.time_zones,
        key: session.key,
        attributes: session.attributes,
        media,
    })
}
