//! Recognition of pickles nested in string and bytes values: raw, hex or
//! base64 encoded. Decisions are made on a short head so that payloads that
//! are not pickles (tensor data, text) are never stored whole.

use std::borrow::Cow;
use std::fmt;

use crate::sniff::looks_like_pickle;

/// Payloads shorter than this (after decoding) are not examined.
pub(crate) const MIN_LEN: u64 = 8;
/// Payloads longer than this are not decoded and scanned.
pub(crate) const SCAN_CAP: u64 = 16 << 20;
/// How much of a payload the decision needs.
pub(crate) const HEAD: usize = 512;
/// Budgets of one nested scan (capped by the analysis limits): tighter
/// than for the input, so that data which merely starts like a pickle
/// (tensor bytes) costs little.
pub(crate) const MAX_OPCODES: u64 = 1 << 20;
pub(crate) const MAX_STACK: usize = 1 << 17;
pub(crate) const MAX_MEMO: usize = 1 << 17;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Raw,
    Hex,
    Base64,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Raw => "raw",
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        })
    }
}

/// Whether a payload starting with `head` looks like an encoded pickle.
/// `text` payloads are UTF-8 strings (a raw pickle in a str has its bytes
/// as Latin-1 code points, as protocol-2 bytes are pickled).
pub(crate) fn candidate(head: &[u8], text: bool) -> Option<Encoding> {
    let raw = if text {
        latin1(valid_utf8_prefix(head))?
    } else {
        head.to_vec()
    };
    if looks_like_pickle(&raw) {
        return Some(Encoding::Raw);
    }
    let ascii: Vec<u8> = head
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let even = ascii.len() & !1;
    if ascii.len() >= 2 * MIN_LEN as usize
        && ascii.iter().all(u8::is_ascii_hexdigit)
        && looks_like_pickle(&hex(&ascii[..even])?)
    {
        return Some(Encoding::Hex);
    }
    let quads = ascii.len() & !3;
    if ascii.len() >= 12
        && ascii
            .iter()
            .all(|&b| base64_digit(b).is_some() || b == b'=')
        && looks_like_pickle(&base64(&ascii[..quads])?)
    {
        return Some(Encoding::Base64);
    }
    None
}

/// Decodes a whole payload that `candidate` accepted.
pub(crate) fn decode(content: &[u8], text: bool, encoding: Encoding) -> Option<Cow<'_, [u8]>> {
    match encoding {
        Encoding::Raw if text => latin1(std::str::from_utf8(content).ok()?).map(Cow::Owned),
        Encoding::Raw => Some(Cow::Borrowed(content)),
        Encoding::Hex | Encoding::Base64 => {
            let ascii: Vec<u8> = content
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            if encoding == Encoding::Hex {
                hex(&ascii).map(Cow::Owned)
            } else {
                base64(&ascii).map(Cow::Owned)
            }
        }
    }
}

fn valid_utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        // A head cut in the middle of a character.
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// The code points of `s` as bytes, if all are below 256.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

fn hex(digits: &[u8]) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// Value of a base64 digit, standard or URL-safe alphabet.
fn base64_digit(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decodes base64 with optional padding; `None` on invalid input.
fn base64(text: &[u8]) -> Option<Vec<u8>> {
    let body = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in body {
        acc = (acc << 6) | base64_digit(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &[u8] = b"cos\nsystem\n(S'id'\ntR.";

    fn b64(data: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    }

    #[test]
    fn base64_round_trips() {
        for len in 0..20 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base64(b64(&data).as_bytes()).unwrap(), data, "{len}");
        }
        assert!(base64(b"a").is_none());
        assert!(base64(b"ab!d").is_none());
    }

    #[test]
    fn recognises_each_encoding() {
        assert_eq!(candidate(EVIL, false), Some(Encoding::Raw));
        let hexed: String = EVIL.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(candidate(hexed.as_bytes(), true), Some(Encoding::Hex));
        assert_eq!(
            *decode(hexed.as_bytes(), true, Encoding::Hex).unwrap(),
            *EVIL
        );
        let b = b64(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94.");
        assert_eq!(candidate(b.as_bytes(), true), Some(Encoding::Base64));
        // A protocol-2 pickle held as Latin-1 code points of a str.
        let text: String = b"\x80\x02cos\nsystem\nq\x00."
            .iter()
            .map(|&b| char::from(b))
            .collect();
        assert_eq!(candidate(text.as_bytes(), true), Some(Encoding::Raw));
        assert_eq!(
            *decode(text.as_bytes(), true, Encoding::Raw).unwrap(),
            *b"\x80\x02cos\nsystem\nq\x00."
        );
    }

    #[test]
    fn ordinary_strings_are_not_candidates() {
        for s in [
            &b"a perfectly normal sentence."[..],
            b"deadbeefdeadbeef",
            b"SGVsbG8gV29ybGQgaGVsbG8=",
            b"weight_decay_rate",
            &[0u8; 64],
            &[0x3f; 64],
        ] {
            assert_eq!(candidate(s, false), None, "{s:?}");
        }
    }
}
