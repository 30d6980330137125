//! Cordon plugin for Flax / msgpack checkpoints: one bounded pass checks the
//! structure, Flax ndarray ext payloads against shape and dtype, keys and
//! strings naming Python internals, and hands pickles found in bin fields back
//! to the host for the pickle plugin.

mod python;
mod reader;
mod rules;
mod walk;

use cordon_plugin_sdk::{
    FormatClaim, Input, MemberHeader, Options, Plugin, PluginInfo, ScanError, ScanOutput,
    register_plugin,
};

pub use walk::{Pickle, Walked, walk};

const EXTENSIONS: &[&str] = &["msgpack", "flax"];

struct Msgpack;

impl Plugin for Msgpack {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "msgpack".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Flax / msgpack checkpoints: ndarray payloads, Python references, embedded pickles"
                    .into(),
            formats: vec![FormatClaim::new("msgpack", EXTENSIONS).sniff()],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let name = input.name().to_ascii_lowercase();
        let claimed = EXTENSIONS.iter().any(|e| name.ends_with(&format!(".{e}")))
            || input.hint().as_deref() == Some("msgpack");
        if !claimed && !starts_like_a_map(&input.read_at(0, 16)?) {
            return Err(ScanError::Unsupported(
                "does not start with a msgpack map with a string key".into(),
            ));
        }
        let walked = walk(input.reader(), input.size());
        if !claimed && !walked.well_formed {
            return Err(ScanError::Unsupported(
                "not one well-formed msgpack map".into(),
            ));
        }
        let mut out = walked.out;
        for pickle in &walked.pickles {
            let header = MemberHeader {
                name: pickle.name.clone(),
                hint: Some("pickle".into()),
                declared_size: Some(pickle.len),
                compressed_size: None,
            };
            // A refusal is a host limit the host already records.
            let _ = cordon_plugin_sdk::member_range(&header, pickle.offset, pickle.len);
        }
        out.meta("embedded-pickles", walked.pickles.len());
        Ok(out)
    }
}

register_plugin!(Msgpack);

/// A non-empty map whose first key is a string: what Flax's `to_bytes` writes.
/// Pickles (0x80 0x02..) parse as an empty fixmap, so they never match.
pub fn starts_like_a_map(prefix: &[u8]) -> bool {
    let key_at = match prefix.first() {
        Some(0x81..=0x8f) => 1,
        Some(0xde) if prefix.get(1..3).is_some_and(|n| n != [0, 0]) => 3,
        Some(0xdf) if prefix.get(1..5).is_some_and(|n| n != [0, 0, 0, 0]) => 5,
        _ => return false,
    };
    matches!(prefix.get(key_at), Some(0xa1..=0xbf | 0xd9..=0xdb))
}

#[cfg(test)]
mod tests;
