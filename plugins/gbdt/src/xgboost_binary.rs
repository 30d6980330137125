//! XGBoost's legacy binary format (`.bst`/`.model`/`.xgb`, deprecated since 1.0):
//! an optional `binf` magic, the fixed `LearnerModelParamLegacy` struct, then the
//! objective and booster names as length-prefixed strings (xgboost src/learner.cc,
//! `LearnerIO::LoadModel`). The tree bodies and attributes after them are not decoded.

use cordon_plugin_sdk::{Check, ScanError, ScanOutput};

use crate::known::XGBOOST_OBJECTIVES;
use crate::{rules, strings};

/// `LearnerModelParamLegacy`: nine 4-byte fields and 25 reserved ints.
const PARAM_BYTES: usize = 9 * 4 + 25 * 4;
const MAX_NAME: u64 = 256;
const BOOSTERS: &[&str] = &["gbtree", "gblinear", "dart"];

/// Bytes read from the start: the header and both names fit.
pub const HEAD_BYTES: usize = 4 + PARAM_BYTES + 2 * (8 + MAX_NAME as usize);

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let bytes = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(bytes)
    }

    fn u32(&mut self, at: usize) -> u32 {
        u32::from_le_bytes(self.data[at..at + 4].try_into().expect("4 bytes"))
    }

    /// A `uint64` length then that many printable bytes.
    fn name(&mut self) -> Option<String> {
        let len = u64::from_le_bytes(self.take(8)?.try_into().ok()?);
        if len == 0 || len > MAX_NAME {
            return None;
        }
        let bytes = self.take(len as usize)?;
        bytes
            .iter()
            .all(|b| b.is_ascii_graphic())
            .then(|| String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Checks the header in `head`; `Unsupported` unless it names a known booster
/// (other formats share the `.model` extension, e.g. SentencePiece).
pub fn analyze(head: &[u8], out: &mut ScanOutput) -> Result<(), ScanError> {
    let start = if head.starts_with(b"binf") { 4 } else { 0 };
    let mut cursor = Cursor {
        data: head,
        pos: start,
    };
    let names = match cursor.take(PARAM_BYTES) {
        Some(_) => cursor.name().zip(cursor.name()),
        None => None,
    };
    let Some((objective, booster)) = names.filter(|(_, b)| BOOSTERS.contains(&b.as_str())) else {
        return Err(ScanError::Unsupported(
            "not an XGBoost legacy binary header".into(),
        ));
    };
    let num_feature = cursor.u32(start + 4);
    let num_class = cursor.u32(start + 8) as i32;
    let (major, minor) = (cursor.u32(start + 20), cursor.u32(start + 24));
    out.meta("library", "xgboost");
    out.meta("format", "xgboost-binary");
    if major > 0 {
        out.meta("version", format!("{major}.{minor}"));
    }
    out.meta("features", num_feature);
    out.meta("classes", num_class.max(1));
    out.meta("booster", &booster);
    out.meta("objective", strings::excerpt(&objective));
    out.push(
        Check::passed(
            rules::STRUCTURE,
            format!("legacy binary header: {booster} booster, {num_feature} features"),
        )
        .offset(0)
        .evidence("binf-magic", start == 4),
    );
    if XGBOOST_OBJECTIVES.contains(&objective.as_str()) {
        out.push(Check::passed(
            rules::OBJECTIVE,
            format!("objective `{objective}` is built in"),
        ));
    } else {
        out.push(Check::failed(
            rules::OBJECTIVE,
            format!("unknown objective `{}`", strings::excerpt(&objective)),
        ));
    }
    out.push(
        Check::skipped(
            rules::OPAQUE,
            "cannot inspect the legacy binary body (trees, feature names, attributes): convert the model to JSON or UBJSON to check them",
        )
        .offset(cursor.pos as u64),
    );
    out.push(Check::skipped(
        rules::STRINGS,
        "feature names and attributes of a legacy binary model are not decoded",
    ));
    Ok(())
}
