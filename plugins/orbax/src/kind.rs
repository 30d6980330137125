//! Which Orbax checkpoint file an input is, from its file name alone.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `_METADATA`, `_CHECKPOINT_METADATA`, `_ROOT_METADATA`, `_sharding`, `checkpoint`: JSON.
    Metadata,
    /// `.zarray`, `.zattrs`, `.zgroup` (Zarr v2) and `zarr.json` (v3).
    Zarr,
    /// `manifest.ocdbt`: TensorStore OCDBT manifest (binary).
    OcdbtManifest,
    /// `commit_success.txt`: the marker of a completed save.
    CommitMarker,
}

/// The last component of a path or archive member name.
pub fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

pub fn of(name: &str) -> Option<Kind> {
    Some(match base_name(name) {
        "_METADATA" | "_CHECKPOINT_METADATA" | "_ROOT_METADATA" | "_sharding" | "checkpoint" => {
            Kind::Metadata
        }
        ".zarray" | ".zattrs" | ".zgroup" | "zarr.json" => Kind::Zarr,
        "manifest.ocdbt" => Kind::OcdbtManifest,
        "commit_success.txt" => Kind::CommitMarker,
        _ => return None,
    })
}
