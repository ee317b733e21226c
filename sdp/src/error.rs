//! Errors: every parse failure names the line and what was wrong.

use std::fmt;

/// What was wrong with one field of a line or attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// A required field is absent (the line ended too early).
    Missing,
    /// The field is present but empty.
    Empty,
    /// The field must be a decimal number and is not.
    NotANumber,
    /// The number does not fit the field (too large, or outside the allowed range).
    OutOfRange,
    /// The field has a value that its grammar does not allow.
    Invalid,
    /// An attribute that takes no value (a flag such as `rtcp-mux`) carried one.
    UnexpectedValue,
    /// More fields follow the last one the grammar allows.
    Trailing,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Missing => "missing",
            Problem::Empty => "empty",
            Problem::NotANumber => "not a number",
            Problem::OutOfRange => "number out of range",
            Problem::Invalid => "invalid value",
            Problem::UnexpectedValue => "takes no value",
            Problem::Trailing => "unexpected trailing fields",
        })
    }
}

/// A field-level failure inside one value, before the line number is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) field: &'static str,
    pub(crate) problem: Problem,
}

impl FieldError {
    pub(crate) const fn new(field: &'static str, problem: Problem) -> Self {
        Self { field, problem }
    }
}

/// Why an SDP (or a single SDP value such as a candidate) could not be parsed.
///
/// Line numbers count from 1 and include empty lines, as an editor shows them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The whole description is larger than [`ParseLimits::max_size`](crate::ParseLimits).
    #[error("SDP is {len} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input in bytes.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More lines than [`ParseLimits::max_lines`](crate::ParseLimits).
    #[error("line {line}: more than {limit} lines")]
    TooManyLines {
        /// The first line over the limit.
        line: usize,
        /// The configured limit.
        limit: usize,
    },
    /// One line is longer than [`ParseLimits::max_line_len`](crate::ParseLimits).
    #[error("line {line}: {len} bytes long, more than the limit of {limit}")]
    LineTooLong {
        /// The line.
        line: usize,
        /// Its length in bytes.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More `m=` sections than [`ParseLimits::max_media`](crate::ParseLimits).
    #[error("line {line}: more than {limit} media sections")]
    TooManyMediaSections {
        /// The first `m=` line over the limit.
        line: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More `a=` lines in one section than [`ParseLimits::max_attributes`](crate::ParseLimits).
    #[error("line {line}: more than {limit} attributes in one section")]
    TooManyAttributes {
        /// The first attribute line over the limit.
        line: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The line is not of the form `<letter>=<value>`.
    #[error("line {line}: not a `<type>=<value>` line")]
    Malformed {
        /// The line.
        line: usize,
    },
    /// The line contains a NUL or a carriage return that does not end it.
    #[error("line {line}: forbidden character (NUL or bare CR)")]
    InvalidCharacter {
        /// The line.
        line: usize,
    },
    /// A line type letter SDP does not define (RFC 8866 §5: such descriptions are rejected).
    #[error("line {line}: unknown line type `{kind}=`")]
    UnknownLineType {
        /// The line.
        line: usize,
        /// Its type letter.
        kind: char,
    },
    /// A line that is not allowed at this position (e.g. `v=` not first, `r=` before any `t=`,
    /// `o=` inside a media section).
    #[error("line {line}: `{kind}=` line not allowed here")]
    Misplaced {
        /// The line.
        line: usize,
        /// Its type letter.
        kind: char,
    },
    /// A second line of a type that may appear only once in its section.
    #[error("line {line}: second `{kind}=` line in one section")]
    Duplicate {
        /// The second line.
        line: usize,
        /// Its type letter.
        kind: char,
    },
    /// A mandatory line (`v=`, `o=`, `s=`) is absent.
    #[error("missing `{kind}=` line")]
    MissingLine {
        /// The type letter of the missing line.
        kind: char,
    },
    /// A field of a `v o s c b t r z m` line is wrong.
    #[error("line {line}: `{kind}=` {field}: {problem}")]
    Field {
        /// The line.
        line: usize,
        /// Its type letter.
        kind: char,
        /// The field, named as in RFC 8866's grammar.
        field: &'static str,
        /// What was wrong.
        problem: Problem,
    },
    /// A field of a known attribute is wrong.
    #[error("line {line}: a={attribute} {field}: {problem}")]
    Attribute {
        /// The line.
        line: usize,
        /// The attribute name.
        attribute: &'static str,
        /// The field, named as in the attribute's RFC grammar.
        field: &'static str,
        /// What was wrong.
        problem: Problem,
    },
    /// The input bytes are not UTF-8 (SDP text is UTF-8 per RFC 8866 §5).
    #[error("SDP is not UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

impl SdpError {
    /// The line the error is about, when it is about one line.
    pub fn line(&self) -> Option<usize> {
        match *self {
            SdpError::TooManyLines { line, .. }
            | SdpError::LineTooLong { line, .. }
            | SdpError::TooManyMediaSections { line, .. }
            | SdpError::TooManyAttributes { line, .. }
            | SdpError::Malformed { line }
            | SdpError::InvalidCharacter { line }
            | SdpError::UnknownLineType { line, .. }
            | SdpError::Misplaced { line, .. }
            | SdpError::Duplicate { line, .. }
            | SdpError::Field { line, .. }
            | SdpError::Attribute { line, .. } => Some(line),
            SdpError::TooLarge { .. } | SdpError::MissingLine { .. } | SdpError::NotUtf8 { .. } => {
                None
            }
        }
    }
}
