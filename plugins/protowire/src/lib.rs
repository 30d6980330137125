//! Reading the Protocol Buffers wire format without a schema or generated code.
//!
//! Callers hand-decode the few fields they need by field number. Two readers share
//! one field model:
//!
//! - [`Fields`] iterates a message held in a byte slice without copying: each
//!   length-delimited value is a sub-slice.
//! - [`Walker`] walks a message streamed from a `BufRead + Seek` source, so a file
//!   of any size can be inspected: length-delimited payloads are entered as
//!   messages, read up to a cap, counted, or skipped with a seek, never buffered
//!   whole unless asked.
//!
//! Both are bounded by construction: every length is checked against what is left
//! of its enclosing message, varints are at most ten bytes, groups (deprecated wire
//! types 3 and 4) are rejected, the walker bounds message nesting, and no input
//! makes them panic or allocate more than a caller-given cap.
//!
//! Wire format: <https://protobuf.dev/programming-guides/encoding/>.

mod error;
mod slice;
mod stream;

#[cfg(any(test, feature = "encode"))]
pub mod encode;

#[cfg(test)]
mod tests;

pub use error::Error;
pub use slice::{Fields, PackedVarints};
pub use stream::Walker;

/// Largest field number protobuf allows (2^29 - 1).
pub const MAX_FIELD_NUMBER: u32 = (1 << 29) - 1;

/// Default bound on message nesting for [`Walker`]: protobuf's own default recursion limit.
pub const DEFAULT_MAX_DEPTH: usize = 100;

/// The value of one field, by wire type. `L` is what a length-delimited value
/// carries: its bytes for [`Fields`], its length for [`Walker`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<L> {
    Varint(u64),
    Fixed64(u64),
    Len(L),
    Fixed32(u32),
}

/// One field of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<L> {
    pub number: u32,
    /// Input offset of the field's tag.
    pub offset: u64,
    /// Input offset of the value; for a length-delimited field, of the payload after its length.
    pub payload_offset: u64,
    pub value: Value<L>,
}

#[derive(Clone, Copy)]
enum WireType {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

/// Split a tag into field number and wire type, rejecting field 0, numbers above
/// [`MAX_FIELD_NUMBER`], groups and the undefined wire types 6 and 7.
fn split_tag(tag: u64, offset: u64) -> Result<(u32, WireType), Error> {
    let number = tag >> 3;
    if number == 0 || number > u64::from(MAX_FIELD_NUMBER) {
        return Err(Error::FieldNumber { offset, number });
    }
    let number = number as u32;
    match tag & 7 {
        0 => Ok((number, WireType::Varint)),
        1 => Ok((number, WireType::Fixed64)),
        2 => Ok((number, WireType::Len)),
        5 => Ok((number, WireType::Fixed32)),
        3 | 4 => Err(Error::Group {
            offset,
            field: number,
        }),
        wire_type => Err(Error::WireType {
            offset,
            wire_type: wire_type as u8,
        }),
    }
}

/// Longest varint encoding of a 64-bit value.
const MAX_VARINT_BYTES: usize = 10;

/// Fold byte `index` of a varint into `value`; `Some(value)` once the last byte is seen.
/// The tenth byte may only carry the 64th bit.
fn varint_step(value: &mut u64, index: usize, byte: u8, offset: u64) -> Result<bool, Error> {
    if index == MAX_VARINT_BYTES - 1 && byte > 1 {
        return Err(Error::Varint { offset });
    }
    *value |= u64::from(byte & 0x7f) << (7 * index);
    Ok(byte & 0x80 == 0)
}
