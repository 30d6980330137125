//! Paths that leave the model's own directory.

/// Why `path` escapes its bundle (absolute, home-relative or climbing with `..`), if it does.
pub fn escapes(path: &str) -> Option<&'static str> {
    let bytes = path.as_bytes();
    if path.starts_with('/') || path.starts_with('\\') {
        Some("absolute path")
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some("absolute Windows path")
    } else if path.starts_with('~') {
        Some("home-directory path")
    } else if path.split(['/', '\\']).any(|c| c == "..") {
        Some("climbs out with `..`")
    } else {
        None
    }
}
