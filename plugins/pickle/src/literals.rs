//! Decoding of the text arguments of protocol-0 opcodes (INT, LONG, FLOAT,
//! STRING, UNICODE, GET/PUT), following what CPython accepts.

/// An integer literal: small ones exactly, larger ones only as "big".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntLit {
    Small(i64),
    Big,
}

/// Python `int(text)` for base-10 literals (also 0x/0o/0b when `prefixed`).
pub(crate) fn parse_int(line: &[u8], prefixed: bool) -> Option<IntLit> {
    let s = std::str::from_utf8(line).ok()?.trim();
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = match lower.get(..2) {
        Some("0x") if prefixed => (16, &lower[2..]),
        Some("0o") if prefixed => (8, &lower[2..]),
        Some("0b") if prefixed => (2, &lower[2..]),
        _ => (10, lower.as_str()),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c == '_' || c.is_digit(radix))
    {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    Some(match i64::from_str_radix(&digits, radix) {
        Ok(v) if negative => IntLit::Small(-v),
        Ok(v) => IntLit::Small(v),
        Err(_) => IntLit::Big,
    })
}

/// Python `float(text)` (Rust's parser also accepts `inf`, `infinity`, `nan`).
pub(crate) fn parse_float(line: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(line).ok()?.trim();
    s.replace('_', "").parse().ok()
}

/// The body of a STRING argument: quoted with `'` or `"`, backslash
/// escapes decoded as Python's `codecs.escape_decode` does.
pub(crate) fn parse_quoted(line: &[u8]) -> Option<Vec<u8>> {
    let (&first, rest) = line.split_first()?;
    let (&last, body) = rest.split_last()?;
    if !(first == b'\'' || first == b'"') || last != first {
        return None;
    }
    Some(escape_decode(body))
}

fn escape_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' || i == s.len() {
            out.push(c);
            continue;
        }
        let e = s[i];
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => match s.get(i..i + 2).and_then(hex_byte) {
                Some(v) => {
                    out.push(v);
                    i += 2;
                }
                None => out.extend_from_slice(b"\\x"),
            },
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()
}

/// Python's `raw-unicode-escape` decoding (the UNICODE opcode): bytes are
/// Latin-1 characters except `\uXXXX` and `\UXXXXXXXX` escapes.
pub(crate) fn raw_unicode_escape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            let width = match s.get(i + 1) {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => 0,
            };
            let code = s
                .get(i + 2..i + 2 + width)
                .filter(|_| width > 0)
                .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
                .and_then(char::from_u32);
            if let Some(c) = code {
                out.push(c);
                i += 2 + width;
                continue;
            }
        }
        out.push(char::from(s[i]));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_follow_python() {
        assert_eq!(parse_int(b" 42 ", false), Some(IntLit::Small(42)));
        assert_eq!(parse_int(b"-1_000", false), Some(IntLit::Small(-1000)));
        assert_eq!(parse_int(b"0x1f", true), Some(IntLit::Small(31)));
        assert_eq!(parse_int(b"0x1f", false), None);
        assert_eq!(
            parse_int(b"123456789012345678901234567890", false),
            Some(IntLit::Big)
        );
        assert_eq!(parse_int(b"", false), None);
        assert_eq!(parse_int(b"1__0", false), None);
        assert_eq!(parse_int(b"abc", false), None);
    }

    #[test]
    fn floats_follow_python() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert!(parse_float(b"-Infinity").unwrap().is_infinite());
        assert!(parse_float(b"nan").unwrap().is_nan());
        assert_eq!(parse_float(b"x"), None);
    }

    #[test]
    fn quoted_strings_decode_escapes() {
        assert_eq!(parse_quoted(b"'os'").unwrap(), b"os");
        assert_eq!(parse_quoted(br#""a\x41\n\101\'""#).unwrap(), b"aA\nA'");
        assert_eq!(parse_quoted(b"'unterminated"), None);
        assert_eq!(parse_quoted(b"noquotes"), None);
        assert_eq!(parse_quoted(b"'"), None);
    }

    #[test]
    fn raw_unicode_escape_decodes_u_escapes_only() {
        assert_eq!(raw_unicode_escape(br"sys\u0074em"), "system");
        assert_eq!(raw_unicode_escape(br"\U0001F600!"), "\u{1F600}!");
        assert_eq!(raw_unicode_escape(b"caf\xe9"), "caf\u{e9}");
        assert_eq!(raw_unicode_escape(br"\x41"), "\\x41");
    }
}
