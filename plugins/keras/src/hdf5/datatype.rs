//! Datatype and dataspace messages: enough to recognise strings and count elements.

use super::{Cursor, Error, Result};

/// Elements an attribute may hold before it is refused.
const MAX_ELEMENTS: u64 = 1 << 20;

#[derive(Clone, Debug, PartialEq)]
pub enum Datatype {
    /// Fixed-length string of `size` bytes per element; `space_padded` trims spaces, else NULs.
    FixedString { size: u32, space_padded: bool },
    /// Variable-length string: each element is a global heap reference.
    VlenString,
    /// Anything else, by HDF5 class number and element size.
    Other { class: u8, size: u32 },
}

impl Datatype {
    pub fn parse(c: &mut Cursor) -> Result<Self> {
        let class_version = c.u8("datatype class")?;
        let bits = c.bytes(3, "datatype bit field")?;
        let size = c.u32("datatype size")?;
        let class = class_version & 0x0f;
        Ok(match class {
            3 => Datatype::FixedString {
                size,
                space_padded: bits[0] & 0x0f == 2,
            },
            9 if bits[0] & 0x0f == 1 => Datatype::VlenString,
            _ => Datatype::Other { class, size },
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Datatype::FixedString { size, .. } => format!("fixed-length string of {size} bytes"),
            Datatype::VlenString => "variable-length string".into(),
            Datatype::Other { class, size } => {
                let name = match class {
                    0 => "integer",
                    1 => "float",
                    2 => "time",
                    4 => "bitfield",
                    5 => "opaque",
                    6 => "compound",
                    7 => "reference",
                    8 => "enum",
                    9 => "variable-length sequence",
                    10 => "array",
                    _ => "unknown class",
                };
                format!("{name} of {size} bytes")
            }
        }
    }
}

/// Number of elements a dataspace message describes (0 for a null dataspace).
pub fn dataspace_elements(c: &mut Cursor) -> Result<u64> {
    let at = c.offset();
    let version = c.u8("dataspace version")?;
    let rank = c.u8("dataspace rank")?;
    let _flags = c.u8("dataspace flags")?;
    let null = match version {
        1 => {
            c.skip(5, "reserved")?;
            false
        }
        2 => c.u8("dataspace type")? == 2,
        v => return Err(Error::malformed(at, format!("dataspace version {v}"))),
    };
    if null {
        return Ok(0);
    }
    let mut elements: u64 = 1;
    for _ in 0..rank {
        let dim = c.length("dataspace dimension")?;
        elements = elements.saturating_mul(dim);
    }
    if elements > MAX_ELEMENTS {
        return Err(Error::Limit(format!(
            "attribute of {elements} elements exceeds {MAX_ELEMENTS}"
        )));
    }
    Ok(elements)
}
