//! Member paths that would escape an extraction directory ("zip slip") and links
//! whose targets do. Nothing is ever extracted here; these are findings about what
//! an extracting tool (`unzip`, `tar -x`, `shutil.unpack_archive`) would do.
//!
//! Shared by the archive plugins (zip, tar, sevenz) through `#[path]`.

/// Longest path most filesystems accept (Linux `PATH_MAX`).
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest path component most filesystems accept (`NAME_MAX`).
pub const MAX_COMPONENT_BYTES: usize = 255;

/// What makes a member path unsafe to extract, one reason per problem; empty when safe.
pub fn path_problems(path: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    if path.is_empty() {
        problems.push("is empty".to_string());
    }
    if path.contains(&0) {
        problems.push("contains a NUL byte, which truncates it in C-based tools".to_string());
    }
    if path.starts_with(b"/") || path.starts_with(b"\\") {
        problems.push("is absolute".to_string());
    }
    if path.len() >= 2 && path[0].is_ascii_alphabetic() && path[1] == b':' {
        problems.push("starts with a drive letter".to_string());
    }
    if path.contains(&b'\\') {
        problems.push("contains a backslash, a separator on Windows".to_string());
    }
    if components(path).any(|c| c == b"..") {
        problems.push("has a '..' component".to_string());
    }
    if path.len() > MAX_PATH_BYTES {
        problems.push(format!("is {} bytes long", path.len()));
    } else if let Some(long) = components(path).find(|c| c.len() > MAX_COMPONENT_BYTES) {
        problems.push(format!("has a {}-byte component", long.len()));
    }
    problems
}

/// Whether a link stored at `link` with target `target` resolves outside the
/// extraction root. Symbolic links resolve from the link's directory; hard links
/// (`from_root`) name another member from the archive root.
pub fn link_escapes(link: &[u8], target: &[u8], from_root: bool) -> bool {
    let absolute = target.starts_with(b"/")
        || target.starts_with(b"\\")
        || (target.len() >= 2 && target[0].is_ascii_alphabetic() && target[1] == b':');
    if absolute {
        return true;
    }
    let mut depth: usize = 0;
    if !from_root {
        let mut dirs: Vec<&[u8]> = components(link)
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        dirs.pop(); // the link's own name
        for c in dirs {
            depth = if c == b".." {
                depth.saturating_sub(1)
            } else {
                depth + 1
            };
        }
    }
    for c in components(target) {
        match c {
            b"" | b"." => {}
            b".." if depth == 0 => return true,
            b".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
}

/// Path components, splitting on both `/` and `\`.
fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|b| *b == b'/' || *b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths_have_no_problems() {
        for p in ["data.pkl", "archive/data/0", "a/./b", "dir/", "x..y/z"] {
            assert!(path_problems(p.as_bytes()).is_empty(), "{p}");
        }
    }

    #[test]
    fn each_unsafe_form_is_named() {
        let cases: [(&[u8], &str); 8] = [
            (b"../../etc/passwd", "'..'"),
            (b"a/../../b", "'..'"),
            (b"/etc/passwd", "absolute"),
            (b"C:/Windows/x.dll", "drive letter"),
            (b"a\\..\\b", "backslash"),
            (b"ok.txt\0.pkl", "NUL"),
            (b"", "empty"),
            (&[b'a'; 300], "300-byte component"),
        ];
        for (path, expected) in cases {
            let problems = path_problems(path);
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{:?}: {problems:?}",
                String::from_utf8_lossy(path)
            );
        }
        assert!(path_problems(&vec![b'a'; 5000])[0].contains("5000 bytes"));
    }

    #[test]
    fn symlinks_resolve_from_their_directory() {
        assert!(!link_escapes(b"a/b/link", b"../c", false));
        assert!(!link_escapes(b"a/link", b"../c", false));
        assert!(link_escapes(b"a/link", b"../../c", false));
        assert!(link_escapes(b"link", b"../x", false));
        assert!(link_escapes(b"link", b"/etc/passwd", false));
        assert!(link_escapes(b"a/link", b"b/../../../x", false));
        assert!(!link_escapes(b"a/link", b"./b/../c", false));
    }

    #[test]
    fn hard_links_resolve_from_the_root() {
        assert!(!link_escapes(b"a/b/link", b"a/c", true));
        assert!(link_escapes(b"a/b/link", b"../c", true));
        assert!(link_escapes(b"a/link", b"C:\\x", true));
    }
}
