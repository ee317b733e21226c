//! Stream identification: `mid`-grouping, `msid`, `ssrc`, `ssrc-group`, `rid`, `simulcast`.

use std::borrow::Cow;
use std::fmt;

use crate::error::{FieldError, Problem};
use crate::util::{intern, non_empty, parse_num, ByteStr, Tokens};
use crate::write::{display_via_write_sdp, write_joined, write_u64, WriteSdp};

/// `a=group:<semantics> <identification-tag>...` (RFC 5888 §5), e.g. `BUNDLE 0 1 2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `BUNDLE`, `LS`, `FID`, ...
    pub semantics: String,
    /// The `mid`s of the grouped media sections.
    pub mids: Vec<String>,
}

impl Group {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let semantics = t.expect("semantics")?.to_owned();
        let mut mids = Vec::new();
        while let Some(m) = t.next_token() {
            mids.push(m.to_owned());
        }
        Ok(Group { semantics, mids })
    }

    /// True for a `BUNDLE` group (RFC 9143).
    pub fn is_bundle(&self) -> bool {
        self.semantics == "BUNDLE"
    }
}

impl WriteSdp for Group {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.semantics)?;
        for m in &self.mids {
            w.write_char(' ')?;
            w.write_str(m)?;
        }
        Ok(())
    }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid {
    /// The MediaStream id (`-` for none).
    pub stream_id: String,
    /// The application data, in WebRTC the track id.
    pub track_id: Option<String>,
}

impl Msid {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let stream_id = t.expect("msid-id")?.to_owned();
        let track_id = t.next_token().map(str::to_owned);
        t.finish("msid-appdata")?;
        Ok(Msid {
            stream_id,
            track_id,
        })
    }
}

impl WriteSdp for Msid {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.stream_id)?;
        if let Some(t) = &self.track_id {
            w.write_char(' ')?;
            w.write_str(t)?;
        }
        Ok(())
    }
}

/// `a=msid-semantic:<semantic> [<identifier>...]` (the WebRTC `WMS` line; Chromium writes
/// `a=msid-semantic: WMS <stream id>` with a space, which is accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsidSemantic {
    /// `WMS`.
    pub semantic: String,
    /// Stream ids, or `*`.
    pub identifiers: Vec<String>,
}

impl MsidSemantic {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let semantic = t.expect("semantic")?.to_owned();
        let mut identifiers = Vec::new();
        while let Some(id) = t.next_token() {
            identifiers.push(id.to_owned());
        }
        Ok(MsidSemantic {
            semantic,
            identifiers,
        })
    }
}

impl WriteSdp for MsidSemantic {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.semantic)?;
        for id in &self.identifiers {
            w.write_char(' ')?;
            w.write_str(id)?;
        }
        Ok(())
    }
}

/// `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576 §4.1), e.g. `cname:...`,
/// `msid:<stream> <track>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssrc {
    /// The SSRC.
    pub ssrc: u32,
    /// The source attribute name (`cname`, `msid`, ...).
    pub attribute: Cow<'static, str>,
    /// Its value (everything after the first `:`), if any.
    pub value: Option<String>,
}

impl Ssrc {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let (id, rest) = value
            .split_once_b(b' ')
            .ok_or(FieldError::new("attribute", Problem::Missing))?;
        let ssrc = parse_num(id, "ssrc-id")?;
        let rest = non_empty(rest.trim_start_sp(), "attribute")?;
        let (attribute, value) = match rest.split_once_b(b':') {
            Some((a, v)) => (a, Some(v.to_owned())),
            None => (rest, None),
        };
        Ok(Ssrc {
            ssrc,
            attribute: intern(attribute, &["cname", "msid", "label", "mslabel"]),
            value,
        })
    }
}

impl WriteSdp for Ssrc {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_u64(w, u64::from(self.ssrc))?;
        w.write_char(' ')?;
        w.write_str(&self.attribute)?;
        if let Some(v) = &self.value {
            w.write_char(':')?;
            w.write_str(v)?;
        }
        Ok(())
    }
}

/// `a=ssrc-group:<semantics> <ssrc-id>...` (RFC 5576 §4.2): `FID` (RTX), `SIM`, `FEC-FR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup {
    /// `FID`, `SIM`, `FEC-FR`, ...
    pub semantics: String,
    /// The SSRCs, in order (for `FID`: primary, then repair).
    pub ssrcs: Vec<u32>,
}

impl SsrcGroup {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let semantics = t.expect("semantics")?.to_owned();
        let mut ssrcs = Vec::new();
        while let Some(s) = t.next_token() {
            ssrcs.push(parse_num(s, "ssrc-id")?);
        }
        Ok(SsrcGroup { semantics, ssrcs })
    }
}

impl WriteSdp for SsrcGroup {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.semantics)?;
        for s in &self.ssrcs {
            w.write_char(' ')?;
            write_u64(w, u64::from(*s))?;
        }
        Ok(())
    }
}

/// Direction of a `rid` or a `simulcast` stream list (RFC 8851, RFC 8853).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`
    Send,
    /// `recv`
    Recv,
}

impl RidDirection {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }

    fn parse(s: &str, field: &'static str) -> Result<Self, FieldError> {
        match s {
            "send" => Ok(RidDirection::Send),
            "recv" => Ok(RidDirection::Recv),
            _ => Err(FieldError::new(field, Problem::Invalid)),
        }
    }
}

/// One restriction of a `rid` line (`max-width=1280`, `depend=a`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RidParam {
    /// The restriction name.
    pub name: String,
    /// Its value, if it has one.
    pub value: Option<String>,
}

/// `a=rid:<rid-id> <direction> [pt=<fmt>,...][;<restriction>...]` (RFC 8851 §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid {
    /// The RTP stream id (`q`, `h`, `f`).
    pub id: String,
    /// Send or receive.
    pub direction: RidDirection,
    /// Payload types the stream may use (`pt=`); empty when not constrained.
    pub payload_types: Vec<u8>,
    /// Restrictions, in order.
    pub params: Vec<RidParam>,
}

impl Rid {
    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let id = t.expect("rid-id")?.to_owned();
        let direction = RidDirection::parse(t.expect("rid-dir")?, "rid-dir")?;
        let rest = t.rest().trim_sp();
        let mut payload_types = Vec::new();
        let mut params = Vec::new();
        if !rest.is_empty() {
            for (i, piece) in rest.split_b(b';').enumerate() {
                let (name, value) = match piece.split_once_b(b'=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (piece, None),
                };
                if name.is_empty() || name.find_b(b' ').is_some() {
                    return Err(FieldError::new("rid-param", Problem::Invalid));
                }
                if i == 0 && name == "pt" {
                    let list = value.ok_or(FieldError::new("rid-fmt-list", Problem::Missing))?;
                    for pt in list.split_b(b',') {
                        payload_types.push(parse_num(pt, "rid-fmt-list")?);
                    }
                } else {
                    if value.is_some_and(|v| v.find_b(b' ').is_some()) {
                        return Err(FieldError::new("rid-param", Problem::Invalid));
                    }
                    params.push(RidParam {
                        name: name.to_owned(),
                        value: value.map(str::to_owned),
                    });
                }
            }
        }
        Ok(Rid {
            id,
            direction,
            payload_types,
            params,
        })
    }
}

impl WriteSdp for Rid {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(&self.id)?;
        w.write_char(' ')?;
        w.write_str(self.direction.as_str())?;
        let mut first = true;
        if !self.payload_types.is_empty() {
            w.write_str(" pt=")?;
            write_joined(w, &self.payload_types, ",", |w, pt| {
                write_u64(w, u64::from(*pt))
            })?;
            first = false;
        }
        for p in &self.params {
            w.write_char(if first { ' ' } else { ';' })?;
            first = false;
            w.write_str(&p.name)?;
            if let Some(v) = &p.value {
                w.write_char('=')?;
                w.write_str(v)?;
            }
        }
        Ok(())
    }
}

/// One rid in a simulcast stream list; `~` marks it paused (RFC 8853 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastRid {
    /// The rid.
    pub id: String,
    /// Initially paused (`~q`).
    pub paused: bool,
}

/// One direction of a `simulcast` attribute: a list of streams, each a list of
/// alternative rids (`send q;h,h2;f` is three streams, the second with two alternatives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastList {
    /// Send or receive.
    pub direction: RidDirection,
    /// The streams, each with its alternatives in preference order.
    pub streams: Vec<Vec<SimulcastRid>>,
}

impl SimulcastList {
    fn parse(dir: &str, list: &str) -> Result<Self, FieldError> {
        let direction = RidDirection::parse(dir, "sc-dir")?;
        let mut streams = Vec::new();
        for stream in list.split_b(b';') {
            let mut alternatives = Vec::new();
            for rid in stream.split_b(b',') {
                let (paused, id) = match rid.strip_prefix('~') {
                    Some(id) => (true, id),
                    None => (false, rid),
                };
                if id.is_empty() {
                    return Err(FieldError::new("sc-id", Problem::Empty));
                }
                alternatives.push(SimulcastRid {
                    id: id.to_owned(),
                    paused,
                });
            }
            streams.push(alternatives);
        }
        Ok(SimulcastList { direction, streams })
    }
}

impl WriteSdp for SimulcastList {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        w.write_str(self.direction.as_str())?;
        w.write_char(' ')?;
        write_joined(w, &self.streams, ";", |w, alternatives| {
            write_joined(w, alternatives, ",", |w, rid| {
                if rid.paused {
                    w.write_char('~')?;
                }
                w.write_str(&rid.id)
            })
        })
    }
}

/// `a=simulcast:<dir> <streams> [<dir> <streams>]` (RFC 8853 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulcast {
    /// The first list as written.
    pub first: SimulcastList,
    /// The second list (the other direction), if any.
    pub second: Option<SimulcastList>,
}

impl Simulcast {
    /// The send list, if any.
    pub fn send(&self) -> Option<&SimulcastList> {
        self.lists().find(|l| l.direction == RidDirection::Send)
    }

    /// The receive list, if any.
    pub fn recv(&self) -> Option<&SimulcastList> {
        self.lists().find(|l| l.direction == RidDirection::Recv)
    }

    fn lists(&self) -> impl Iterator<Item = &SimulcastList> {
        std::iter::once(&self.first).chain(self.second.as_ref())
    }

    pub(crate) fn parse(value: &str) -> Result<Self, FieldError> {
        let mut t = Tokens::new(value);
        let first = SimulcastList::parse(t.expect("sc-dir")?, t.expect("sc-alt-list")?)?;
        let second = match t.next_token() {
            None => None,
            Some(dir) => {
                let list = SimulcastList::parse(dir, t.expect("sc-alt-list")?)?;
                if list.direction == first.direction {
                    return Err(FieldError::new("sc-dir", Problem::Invalid));
                }
                Some(list)
            }
        };
        t.finish("sc-alt-list")?;
        Ok(Simulcast { first, second })
    }
}

impl WriteSdp for Simulcast {
    fn write_sdp<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        self.first.write_sdp(w)?;
        if let Some(second) = &self.second {
            w.write_char(' ')?;
            second.write_sdp(w)?;
        }
        Ok(())
    }
}

display_via_write_sdp!(Group, Msid, MsidSemantic, Ssrc, SsrcGroup, Rid, Simulcast);
