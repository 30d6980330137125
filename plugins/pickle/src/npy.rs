//! NumPy `.npy` files: the header is validated; numeric arrays are checked for
//! size consistency, object arrays carry a pickle that is analysed like any other.

use std::collections::HashMap;

/// Magic string of the format.
pub const MAGIC: &[u8] = b"\x93NUMPY";
/// numpy refuses headers larger than this (`_MAX_HEADER_SIZE`); so do we.
const MAX_HEADER: usize = 10_000;

#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub version: (u8, u8),
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<u64>,
    /// Offset of the array data (or the pickle) in the file.
    pub data_offset: u64,
}

impl Header {
    /// Object arrays are stored as a pickle of the array.
    pub fn is_object(&self) -> bool {
        self.descr.trim_start_matches(['|', '<', '>', '=']) == "O"
    }

    /// Bytes the data must span for a numeric dtype; `None` for object or unknown dtypes,
    /// or if the product overflows.
    pub fn data_len(&self) -> Option<u64> {
        let count = self
            .shape
            .iter()
            .try_fold(1u64, |acc, d| acc.checked_mul(*d))?;
        count.checked_mul(itemsize(&self.descr)?)
    }
}

/// Length of the preamble before the header text, and the header length it declares.
pub fn preamble(bytes: &[u8]) -> Result<(usize, usize, (u8, u8)), String> {
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err("missing \\x93NUMPY magic".into());
    }
    let version = (bytes[6], bytes[7]);
    let (start, len) = match version.0 {
        1 => (10, u16::from_le_bytes([bytes[8], bytes[9]]) as usize),
        2 | 3 if bytes.len() >= 12 => (
            12,
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
        ),
        major => return Err(format!("unsupported format version {major}.{}", version.1)),
    };
    if len > MAX_HEADER {
        return Err(format!(
            "header of {len} bytes exceeds numpy's {MAX_HEADER}-byte limit"
        ));
    }
    Ok((start, len, version))
}

/// Parse the header dictionary, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
pub fn parse(text: &str, version: (u8, u8), data_offset: u64) -> Result<Header, String> {
    let body = text.trim_end_matches(['\n', ' ', '\0']).trim();
    let body = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or("header is not a dict literal")?;
    let mut fields: HashMap<&str, &str> = HashMap::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or("expected a quoted key")?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or("expected ':' after a key")?
            .trim_start();
        let end = value_end(after).ok_or("unterminated value")?;
        fields.insert(key, after[..end].trim());
        rest = after[end..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
    }
    let descr = fields
        .get("descr")
        .and_then(|v| quoted(v))
        .map(|(s, _)| s.to_string())
        .ok_or("missing or non-string 'descr'")?;
    let fortran_order = match fields.get("fortran_order") {
        Some(&"True") => true,
        Some(&"False") => false,
        _ => return Err("missing or non-boolean 'fortran_order'".into()),
    };
    let shape_text = fields.get("shape").ok_or("missing 'shape'")?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or("'shape' is not a tuple")?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.trim_end_matches('L')
                .parse::<u64>()
                .map_err(|_| format!("shape dimension {d:?} is not a non-negative integer"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if fields.len() != 3 {
        return Err(format!(
            "header has {} keys, expected descr, fortran_order and shape",
            fields.len()
        ));
    }
    Ok(Header {
        version,
        descr,
        fortran_order,
        shape,
        data_offset,
    })
}

/// A quoted Python string at the start of `text`, and what follows it.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = text[1..].find(quote)? + 1;
    Some((&text[1..end], &text[end + 1..]))
}

/// Where a value ends: at the first top-level comma (or the end), skipping tuples and strings.
fn value_end(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => return Some(i),
            _ => {}
        }
    }
    (quote.is_none() && depth == 0).then_some(text.len())
}

/// Bytes per element of a numeric dtype string such as `<f4`, `|u1`, `<c16`, `|b1`, `<U10`, `|S5`, `<M8[ns]`.
fn itemsize(descr: &str) -> Option<u64> {
    let code = descr.trim_start_matches(['|', '<', '>', '=']);
    let kind = code.chars().next()?;
    let digits: String = code[1..].chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().ok()?;
    match kind {
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'V' | 'M' | 'm' => Some(n),
        'U' => n.checked_mul(4),
        '?' => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, version: u8) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend([version, 0]);
        if version == 1 {
            bytes.extend((header.len() as u16).to_le_bytes());
        } else {
            bytes.extend((header.len() as u32).to_le_bytes());
        }
        bytes.extend(header.as_bytes());
        bytes
    }

    #[test]
    fn numeric_header() {
        let bytes = file(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n",
            1,
        );
        let (start, len, version) = preamble(&bytes).unwrap();
        let h = parse(
            std::str::from_utf8(&bytes[start..start + len]).unwrap(),
            version,
            (start + len) as u64,
        )
        .unwrap();
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.data_len(), Some(48));
        assert!(!h.is_object());
        assert_eq!(h.data_offset, bytes.len() as u64);
    }

    #[test]
    fn object_and_scalar_headers() {
        let h = parse(
            "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
            (1, 0),
            0,
        )
        .unwrap();
        assert!(h.is_object());
        assert_eq!(h.data_len(), None);
        let h = parse(
            "{\"descr\": \"<U3\", \"fortran_order\": True, \"shape\": ()}",
            (3, 0),
            0,
        )
        .unwrap();
        assert_eq!(h.data_len(), Some(12));
        assert!(h.fortran_order);
    }

    #[test]
    fn malformed_headers_are_errors() {
        for bad in [
            "[]",
            "{'descr': '<f4', 'shape': (1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,",
            "{'descr': 5, 'fortran_order': False, 'shape': (1,)}",
        ] {
            assert!(parse(bad, (1, 0), 0).is_err(), "{bad}");
        }
        assert!(preamble(b"\x93NUMPY\x09\x00\x00\x00").is_err());
        let mut huge = MAGIC.to_vec();
        huge.extend([2, 0]);
        huge.extend(1_000_000u32.to_le_bytes());
        assert!(preamble(&huge).unwrap_err().contains("limit"));
    }

    #[test]
    fn overflowing_shape_has_no_size() {
        let h = parse("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", (1, 0), 0).unwrap();
        assert_eq!(h.data_len(), None);
    }
}
