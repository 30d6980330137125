//! Printable one-line excerpts that never contain a credential in full.

use crate::credentials::Secret;

/// Longest excerpt, in characters.
const MAX_CHARS: usize = 100;

/// Up to [`MAX_CHARS`] characters of `text` from `start` to the end of its line,
/// with control characters escaped and every secret replaced by its redaction.
pub fn around(text: &str, start: usize, secrets: &[Secret]) -> String {
    excerpt(text, start, text.len(), secrets)
}

/// The URL starting at `start`, up to whitespace or a quote, secrets redacted.
pub fn url(text: &str, start: usize, secrets: &[Secret]) -> String {
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
        .map_or(text.len(), |e| start + e);
    excerpt(text, start, end, secrets)
}

fn excerpt(text: &str, start: usize, end: usize, secrets: &[Secret]) -> String {
    let mut out = String::new();
    let mut at = start;
    let mut chars = 0;
    while at < end && chars < MAX_CHARS {
        if let Some(s) = secrets.iter().find(|s| s.start <= at && at < s.end) {
            out.push_str(&s.shown);
            at = s.end;
            continue;
        }
        let c = text[at..].chars().next().expect("in bounds");
        if c == '\n' {
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        at += c.len_utf8();
        chars += 1;
    }
    if at < end && !text[at..].starts_with('\n') {
        out.push('…');
    }
    out
}
