//! Base64 runs long enough to hide a payload, decoded (standard or URL-safe alphabet).

/// Shortest run worth decoding: 24 characters are 18 bytes.
const MIN_RUN: usize = 24;
/// Longest run decoded; longer blobs are data, not a hidden command.
const MAX_RUN: usize = 64 * 1024;
/// Most blobs decoded per text.
const MAX_BLOBS: usize = 32;

pub struct Blob {
    /// Byte offset of the run in the text.
    pub offset: usize,
    pub bytes: Vec<u8>,
}

impl Blob {
    /// The decoded bytes as text, when they are overwhelmingly printable.
    pub fn text(&self) -> Option<String> {
        let text = std::str::from_utf8(&self.bytes).ok()?;
        let printable = text
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
            .count();
        (printable * 10 >= text.chars().count() * 9).then(|| text.to_owned())
    }
}

fn alphabet(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Every decodable run of at least [`MIN_RUN`] base64 characters.
pub fn decoded_blobs(text: &str) -> Vec<Blob> {
    let bytes = text.as_bytes();
    let mut blobs = Vec::new();
    let mut i = 0;
    while i < bytes.len() && blobs.len() < MAX_BLOBS {
        if !alphabet(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && alphabet(bytes[i]) {
            i += 1;
        }
        let run = &bytes[start..i];
        while i < bytes.len() && bytes[i] == b'=' {
            i += 1;
        }
        // A run glued to a word or made only of letters is prose or an identifier.
        let mixed = run.iter().any(|b| !b.is_ascii_alphabetic());
        if (MIN_RUN..=MAX_RUN).contains(&run.len())
            && mixed
            && let Some(decoded) = decode(run)
        {
            blobs.push(Blob {
                offset: start,
                bytes: decoded,
            });
        }
    }
    blobs
}

fn value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decode unpadded base64; `None` for an impossible length.
fn decode(run: &[u8]) -> Option<Vec<u8>> {
    if run.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(run.len() / 4 * 3 + 2);
    for chunk in run.chunks(4) {
        let mut acc = 0u32;
        for (k, b) in chunk.iter().enumerate() {
            acc |= value(*b)? << (18 - 6 * k);
        }
        let produced = chunk.len() * 6 / 8;
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + produced]);
    }
    Some(out)
}
