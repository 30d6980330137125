//! Credentials: well-known token formats, private key blocks and `password=`-style
//! assignments. Only a short prefix of a secret is ever shown.

/// A credential found in a text.
pub struct Secret {
    /// Byte range of the secret value.
    pub start: usize,
    pub end: usize,
    pub what: &'static str,
    /// What may be printed instead of the value.
    pub shown: String,
}

/// `keep` leading characters of `secret`, then its length: `ghp_…(40 chars)`.
pub fn redact(secret: &str, keep: usize) -> String {
    let n = secret.chars().count();
    let keep = keep.min(n / 4);
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}…({n} chars)")
}

/// Tokens recognised by a fixed prefix and a run of allowed characters.
struct TokenFormat {
    prefix: &'static str,
    what: &'static str,
    /// Length of the part after the prefix: exactly `min` when `exact`, else at least `min`.
    min: usize,
    exact: bool,
    body: fn(u8) -> bool,
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn upper_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn dashed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

const TOKENS: &[TokenFormat] = &[
    TokenFormat {
        prefix: "AKIA",
        what: "AWS access key id",
        min: 16,
        exact: true,
        body: upper_alnum,
    },
    TokenFormat {
        prefix: "ASIA",
        what: "AWS temporary access key id",
        min: 16,
        exact: true,
        body: upper_alnum,
    },
    TokenFormat {
        prefix: "ghp_",
        what: "GitHub personal access token",
        min: 36,
        exact: true,
        body: alnum,
    },
    TokenFormat {
        prefix: "gho_",
        what: "GitHub OAuth token",
        min: 36,
        exact: true,
        body: alnum,
    },
    TokenFormat {
        prefix: "ghu_",
        what: "GitHub user-to-server token",
        min: 36,
        exact: true,
        body: alnum,
    },
    TokenFormat {
        prefix: "ghs_",
        what: "GitHub server-to-server token",
        min: 36,
        exact: true,
        body: alnum,
    },
    TokenFormat {
        prefix: "ghr_",
        what: "GitHub refresh token",
        min: 36,
        exact: true,
        body: alnum,
    },
    TokenFormat {
        prefix: "github_pat_",
        what: "GitHub fine-grained token",
        min: 22,
        exact: false,
        body: word,
    },
    TokenFormat {
        prefix: "hf_",
        what: "Hugging Face access token",
        min: 30,
        exact: false,
        body: alnum,
    },
    TokenFormat {
        prefix: "sk-",
        what: "API secret key (sk-...)",
        min: 32,
        exact: false,
        body: dashed,
    },
    TokenFormat {
        prefix: "xoxb-",
        what: "Slack bot token",
        min: 10,
        exact: false,
        body: dashed,
    },
    TokenFormat {
        prefix: "xoxp-",
        what: "Slack user token",
        min: 10,
        exact: false,
        body: dashed,
    },
    TokenFormat {
        prefix: "AIza",
        what: "Google API key",
        min: 35,
        exact: true,
        body: dashed,
    },
];

/// Names whose assigned value is a secret (matched case-insensitively, as whole words).
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "api_key",
    "apikey",
    "api-key",
    "secret_key",
    "secret",
    "client_secret",
    "access_token",
    "auth_token",
    "token",
    "private_key",
    "aws_secret_access_key",
];

/// Every credential in `text`, ordered by offset, overlaps removed.
pub fn find(text: &str) -> Vec<Secret> {
    let mut found = Vec::new();
    tokens(text, &mut found);
    private_keys(text, &mut found);
    assignments(text, &mut found);
    found.sort_by_key(|s| s.start);
    let mut kept: Vec<Secret> = Vec::with_capacity(found.len());
    for s in found {
        if kept.last().is_none_or(|k| s.start >= k.end) {
            kept.push(s);
        }
    }
    kept
}

fn tokens(text: &str, found: &mut Vec<Secret>) {
    let bytes = text.as_bytes();
    for f in TOKENS {
        for (start, _) in text.match_indices(f.prefix).take(crate::PER_NEEDLE) {
            if start > 0 && word(bytes[start - 1]) {
                continue;
            }
            let body_start = start + f.prefix.len();
            let body = bytes[body_start..]
                .iter()
                .take_while(|b| (f.body)(**b))
                .count();
            let fits = if f.exact {
                body == f.min
            } else {
                body >= f.min
            };
            if !fits {
                continue;
            }
            let end = body_start + body;
            found.push(Secret {
                start,
                end,
                what: f.what,
                shown: redact(&text[start..end], f.prefix.len()),
            });
        }
    }
}

fn private_keys(text: &str, found: &mut Vec<Secret>) {
    const HEADER_END: &str = "PRIVATE KEY-----";
    for (start, _) in text.match_indices("-----BEGIN ").take(crate::PER_NEEDLE) {
        // `-----BEGIN ENCRYPTED PRIVATE KEY-----`: the label is short.
        let header = window(text, start, 60);
        let Some(header_end) = header.find(HEADER_END) else {
            continue;
        };
        let header = &header[..header_end + HEADER_END.len()];
        // A key block is a few kilobytes; its end is looked for nearby only.
        let block = window(text, start, 16 * 1024);
        let end = block
            .find("-----END ")
            .and_then(|e| {
                block[e..]
                    .find("KEY-----")
                    .map(|k| e + k + "KEY-----".len())
            })
            .unwrap_or(header.len());
        found.push(Secret {
            start,
            end: start + end,
            what: "private key block",
            shown: format!("{header}…(redacted, {end} bytes)"),
        });
    }
}

/// Up to `len` bytes of `text` from `start`, cut at a character boundary.
fn window(text: &str, start: usize, len: usize) -> &str {
    &text[start..text.floor_char_boundary(start.saturating_add(len).min(text.len()))]
}

/// `password=...`, `"api_key": "..."`, `token: ...` with a plausible value.
fn assignments(text: &str, found: &mut Vec<Secret>) {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for name in SECRET_NAMES {
        for (start, _) in lower.match_indices(name).take(crate::PER_NEEDLE) {
            if start > 0 && word(bytes[start - 1]) {
                continue;
            }
            let mut i = start + name.len();
            if bytes.get(i).is_some_and(|b| word(*b)) {
                continue;
            }
            // A quoted key (`"password": ...`), then `=` or `:`, then an optionally quoted value.
            if matches!(bytes.get(i), Some(b'"' | b'\'')) {
                i += 1;
            }
            i += count_spaces(&bytes[i..]);
            if !matches!(bytes.get(i), Some(b'=' | b':')) {
                continue;
            }
            i += 1;
            i += count_spaces(&bytes[i..]);
            if matches!(bytes.get(i), Some(b'"' | b'\'')) {
                i += 1;
            }
            let len = bytes[i..]
                .iter()
                .take_while(|b| {
                    !b.is_ascii_whitespace()
                        && !matches!(b, b'"' | b'\'' | b',' | b'&' | b';' | b'}')
                })
                .count();
            let value = &text[i..i + len];
            if !plausible_secret(value) {
                continue;
            }
            found.push(Secret {
                start: i,
                end: i + len,
                what: "secret assigned in text",
                shown: format!("{}={}", &text[start..start + name.len()], redact(value, 2)),
            });
        }
    }
}

fn count_spaces(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count()
}

/// Rules out empty values, placeholders (`<token>`, `${TOKEN}`, `***`) and literals.
fn plausible_secret(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.len() >= 6
        && !value.starts_with(['<', '$', '{', '%', '*', '[', '('])
        && !["none", "null", "true", "false", "required", "optional"].contains(&lower.as_str())
        && !value.bytes().all(|b| b == value.as_bytes()[0])
        && value.bytes().any(|b| b.is_ascii_alphanumeric())
}
