//! What can be wrong with wire-format input.

use std::fmt;

/// A wire-format error, with the input offset where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The input, or the enclosing message, ends inside a field.
    Truncated { offset: u64 },
    /// A varint longer than ten bytes or above 2^64 - 1.
    Varint { offset: u64 },
    /// Field number 0 or above 2^29 - 1.
    FieldNumber { offset: u64, number: u64 },
    /// Wire type 6 or 7, which protobuf does not define.
    WireType { offset: u64, wire_type: u8 },
    /// A group (wire types 3 and 4, deprecated since proto2); never decoded here.
    Group { offset: u64, field: u32 },
    /// A length-delimited field longer than what is left of its enclosing message.
    Length {
        offset: u64,
        len: u64,
        remaining: u64,
    },
    /// Messages nested deeper than the reader's bound.
    Depth { offset: u64, limit: usize },
    /// A payload was requested with no length-delimited field pending: a caller bug.
    NoPayload { offset: u64 },
    /// The source could not be read.
    Io { offset: u64, message: String },
}

impl Error {
    /// Input offset where the problem was found.
    pub fn offset(&self) -> u64 {
        match self {
            Error::Truncated { offset }
            | Error::Varint { offset }
            | Error::FieldNumber { offset, .. }
            | Error::WireType { offset, .. }
            | Error::Group { offset, .. }
            | Error::Length { offset, .. }
            | Error::Depth { offset, .. }
            | Error::NoPayload { offset }
            | Error::Io { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { offset } => {
                write!(f, "input ends inside a field at offset {offset}")
            }
            Error::Varint { offset } => {
                write!(f, "varint at offset {offset} is longer than 64 bits")
            }
            Error::FieldNumber { offset, number } => {
                write!(f, "invalid field number {number} at offset {offset}")
            }
            Error::WireType { offset, wire_type } => {
                write!(f, "undefined wire type {wire_type} at offset {offset}")
            }
            Error::Group { offset, field } => {
                write!(
                    f,
                    "field {field} at offset {offset} is a group, a wire type not accepted"
                )
            }
            Error::Length {
                offset,
                len,
                remaining,
            } => write!(
                f,
                "length {len} at offset {offset} runs past its enclosing message ({remaining} bytes left)"
            ),
            Error::Depth { offset, limit } => {
                write!(
                    f,
                    "messages nested deeper than {limit} levels at offset {offset}"
                )
            }
            Error::NoPayload { offset } => {
                write!(f, "no length-delimited field to read at offset {offset}")
            }
            Error::Io { offset, message } => write!(f, "read error at offset {offset}: {message}"),
        }
    }
}

impl std::error::Error for Error {}
