//! When the HDF5 structure cannot be read, the model configuration is still
//! looked for in the raw bytes: a JSON object starting `{"class_name"` or
//! `{"module"` (how Keras 2 and Keras 3 serialize models).

use cordon_plugin_sdk::ScanError;
use serde_json::Value;

use crate::source::Source;

/// Bytes of the file searched.
const WINDOW: u64 = 256 << 20;
/// Bytes read per step of the search.
const CHUNK: usize = 4 << 20;
/// Bytes read after a candidate, growing until its object closes (the last is the
/// longest configuration extracted).
const CANDIDATE_READS: &[usize] = &[64 << 10, 1 << 20, 16 << 20];
/// Candidate objects tried before giving up.
const MAX_CANDIDATES: usize = 64;
const NEEDLES: &[&[u8]] = &[b"{\"class_name\"", b"{\"module\""];

/// The first Keras-shaped JSON object in the file: (offset, value).
pub fn find_config(src: &dyn Source) -> Result<Option<(u64, Value)>, ScanError> {
    let end = src.size().min(WINDOW);
    let overlap = NEEDLES.iter().map(|n| n.len()).max().unwrap_or(0) as u64;
    let mut candidates = 0;
    let mut at = 0;
    while at < end {
        let chunk = src.read_at(at, CHUNK)?;
        let mut hits: Vec<usize> = NEEDLES.iter().flat_map(|n| find_all(&chunk, n)).collect();
        hits.sort_unstable();
        for hit in hits {
            candidates += 1;
            if candidates > MAX_CANDIDATES {
                return Ok(None);
            }
            let offset = at + hit as u64;
            if let Some(value) = candidate(src, offset)? {
                return Ok(Some((offset, value)));
            }
        }
        if chunk.len() < CHUNK {
            break;
        }
        at += CHUNK as u64 - overlap;
    }
    Ok(None)
}

/// The Keras-shaped JSON object starting at `offset`, if it closes within the reads.
fn candidate(src: &dyn Source, offset: u64) -> Result<Option<Value>, ScanError> {
    for &len in CANDIDATE_READS {
        let text = src.read_at(offset, len)?;
        if let Some(json) = balanced_object(&text) {
            let value = serde_json::from_slice::<Value>(json).ok();
            return Ok(value.filter(|v| v.get("class_name").is_some() && v.get("config").is_some()));
        }
        if text.len() < len {
            break; // the file ended before the object closed
        }
    }
    Ok(None)
}

fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(i, _)| i)
}

/// The JSON object at the start of `bytes`, up to its matching closing brace.
fn balanced_object(bytes: &[u8]) -> Option<&[u8]> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in bytes.iter().enumerate() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => depth += 1,
            (false, _, b'}' | b']') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&bytes[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}
