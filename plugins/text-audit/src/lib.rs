//! Finds what does not belong in a model's descriptive text: code, shell commands,
//! URLs, path traversal, credentials, and base64 blobs hiding any of those.
//!
//! Used by the plugins that read free-form metadata (safetensors `__metadata__`,
//! GGUF string values, Hugging Face configs). Pure and bounded: no I/O, linear in
//! the text, at most [`MAX_INDICATORS`] results per text. Excerpts are safe to print:
//! credentials inside them are redacted to a short prefix.

mod base64;
mod credentials;
mod excerpt;
mod patterns;
mod rule_text;

pub use credentials::redact;
pub use rule_text::RuleText;

/// Most indicators returned for one text; the rest are dropped.
pub const MAX_INDICATORS: usize = 64;
/// Bytes of a text searched; the rest of a longer text is not.
pub const MAX_TEXT: usize = 64 * 1024;
/// Occurrences of one needle considered, which bounds the work on hostile text.
const PER_NEEDLE: usize = 256;

/// How much an indicator matters for a file format that cannot execute it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Low,
    Medium,
}

/// What was found. Each kind maps to one rule per plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Code,
    Shell,
    Credential,
    Url,
    PathTraversal,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Code,
        Kind::Shell,
        Kind::Credential,
        Kind::Url,
        Kind::PathTraversal,
    ];

    /// Suffix of the rule ids plugins derive from this kind (`<plugin>-<slug>`).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Code => "code",
            Kind::Shell => "shell-command",
            Kind::Credential => "credential",
            Kind::Url => "url",
            Kind::PathTraversal => "path-traversal",
        }
    }
}

/// One finding in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indicator {
    pub kind: Kind,
    pub level: Level,
    /// Short description, e.g. `"download piped into a shell"`.
    pub what: &'static str,
    /// Byte offset in the scanned text (of the base64 blob when `encoded`).
    pub offset: usize,
    /// The matched text on one line, at most ~100 characters, credentials redacted.
    pub excerpt: String,
    /// Found after decoding a base64 blob.
    pub encoded: bool,
}

/// Every indicator in the first [`MAX_TEXT`] bytes of `text`, ordered by offset.
pub fn scan(text: &str) -> Vec<Indicator> {
    let text = &text[..text.floor_char_boundary(MAX_TEXT)];
    let mut found = scan_plain(text);
    for blob in base64::decoded_blobs(text) {
        if let Some(what) = patterns::pickle_bytes(&blob.bytes) {
            found.push(Indicator {
                kind: Kind::Code,
                level: Level::Medium,
                what,
                offset: blob.offset,
                excerpt: excerpt::around(text, blob.offset, &[]),
                encoded: true,
            });
            continue;
        }
        let Some(decoded) = blob.text() else {
            continue;
        };
        for inner in scan_plain(&decoded) {
            found.push(Indicator {
                // Hiding a URL in base64 makes it worth a look.
                level: inner.level.max(Level::Low),
                offset: blob.offset,
                encoded: true,
                ..inner
            });
        }
    }
    found.sort_by_key(|i| (i.offset, i.kind));
    found.truncate(MAX_INDICATORS);
    found
}

/// Indicators in the text as written, without decoding anything.
fn scan_plain(text: &str) -> Vec<Indicator> {
    let secrets = credentials::find(text);
    let mut found: Vec<Indicator> = secrets
        .iter()
        .map(|s| Indicator {
            kind: Kind::Credential,
            level: Level::Medium,
            what: s.what,
            offset: s.start,
            excerpt: s.shown.clone(),
            encoded: false,
        })
        .collect();
    for m in patterns::find(text) {
        let excerpt = match m.kind {
            Kind::Url => excerpt::url(text, m.start, &secrets),
            _ => excerpt::around(text, m.start, &secrets),
        };
        found.push(Indicator {
            kind: m.kind,
            level: m.level,
            what: m.what,
            offset: m.start,
            excerpt,
            encoded: false,
        });
    }
    found
}

#[cfg(test)]
mod tests;
