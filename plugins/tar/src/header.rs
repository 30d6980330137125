//! One 512-byte tar header block (POSIX ustar, GNU and pre-POSIX v7 layouts).

pub const BLOCK: u64 = 512;

/// The header layouts, told apart by the magic at offset 257.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// POSIX ustar (and PAX, which is ustar plus extended headers): `ustar\0` `00`.
    Ustar,
    /// GNU tar: `ustar  \0`; the ustar prefix field holds other data.
    Gnu,
    /// Pre-POSIX: no magic.
    V7,
}

#[derive(Debug)]
pub struct Header {
    pub flavour: Flavour,
    /// The name field, with the ustar prefix joined in front when there is one.
    pub name: Vec<u8>,
    pub link: Vec<u8>,
    pub size: u64,
    pub kind: u8,
}

/// Why a block is not a usable header.
#[derive(Debug, PartialEq)]
pub enum Invalid {
    Checksum { stored: Option<u64>, computed: u64 },
    Number(&'static str),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Invalid::Checksum {
                stored: Some(s),
                computed,
            } => {
                write!(f, "header checksum is {computed} but the block records {s}")
            }
            Invalid::Checksum { stored: None, .. } => {
                write!(f, "header checksum field is not a number")
            }
            Invalid::Number(field) => write!(f, "header field `{field}` is not a valid number"),
        }
    }
}

pub fn is_zero(block: &[u8]) -> bool {
    block.iter().all(|b| *b == 0)
}

pub fn parse(block: &[u8; BLOCK as usize]) -> Result<Header, Invalid> {
    let stored = number(&block[148..156]);
    let unsigned: u64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(*b)
            }
        })
        .sum();
    // Some old writers summed signed bytes; readers accept both.
    let signed: i64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(*b as i8)
            }
        })
        .sum();
    if stored != Some(unsigned) && stored.map(|s| s as i64) != Some(signed) {
        return Err(Invalid::Checksum {
            stored,
            computed: unsigned,
        });
    }
    let flavour = match &block[257..265] {
        b"ustar\x0000" => Flavour::Ustar,
        b"ustar  \x00" => Flavour::Gnu,
        _ if &block[257..263] == b"ustar\x00" => Flavour::Ustar,
        _ => Flavour::V7,
    };
    let mut name = field(&block[0..100]).to_vec();
    let prefix = field(&block[345..500]);
    if flavour == Flavour::Ustar && !prefix.is_empty() {
        let mut joined = prefix.to_vec();
        joined.push(b'/');
        joined.extend_from_slice(&name);
        name = joined;
    }
    Ok(Header {
        flavour,
        name,
        link: field(&block[157..257]).to_vec(),
        size: number(&block[124..136]).ok_or(Invalid::Number("size"))?,
        kind: block[156],
    })
}

/// A NUL-terminated (or full-width) text field.
fn field(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// An octal number padded with spaces or NULs, or GNU base-256 (high bit set).
pub fn number(bytes: &[u8]) -> Option<u64> {
    match bytes.first() {
        Some(0x80) => bytes[1..]
            .iter()
            .try_fold(0u64, |n, b| n.checked_mul(256).map(|n| n | u64::from(*b))),
        Some(b) if b & 0x80 != 0 => None,
        _ => {
            let text = bytes
                .iter()
                .skip_while(|b| **b == b' ')
                .take_while(|b| **b != 0 && **b != b' ');
            // An all-blank field reads as 0, as tar implementations do.
            let mut value = 0u64;
            for b in text {
                if !(b'0'..=b'7').contains(b) {
                    return None;
                }
                value = value.checked_mul(8)? + u64::from(b - b'0');
            }
            Some(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_octal_and_base_256() {
        assert_eq!(number(b"00000000017\0"), Some(15));
        assert_eq!(number(b"     17 \0\0\0\0"), Some(15));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(
            number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
            Some(1 << 24)
        );
        assert_eq!(number(b"0009"), None);
        assert_eq!(number(&[0xff, 0xff]), None);
        assert_eq!(
            number(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }
}
