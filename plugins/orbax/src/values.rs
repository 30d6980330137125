//! Judging single JSON strings: callable references, escaping paths and pickles.

use cordon_plugin_sdk::Severity;

/// Keys whose string value names a Python callable to import and call.
pub const CALLABLE_KEYS: &[&str] = &[
    "_target_",
    "restore_fn",
    "save_fn",
    "handler",
    "handler_type",
    "handler_class",
    "__class__",
    "callable",
    "factory",
    "constructor",
    "function",
    "restore_type",
];

/// Keys whose value is a path the checkpoint reads or writes.
pub const PATH_KEYS: &[&str] = &[
    "path",
    "directory",
    "dir",
    "file",
    "filename",
    "location",
    "uri",
    "url",
    "base_path",
    "checkpoint_path",
];

const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "builtins",
    "__builtin__",
    "sys",
    "shutil",
    "importlib",
    "pickle",
    "marshal",
    "runpy",
    "pty",
    "socket",
    "ctypes",
    "code",
    "webbrowser",
    "eval",
    "exec",
];

/// Libraries whose handlers and classes a normal JAX checkpoint names.
const CHECKPOINT_LIBRARIES: &[&str] = &[
    "orbax",
    "flax",
    "jax",
    "jaxlib",
    "optax",
    "numpy",
    "tensorstore",
    "etils",
    "chex",
    "ml_dtypes",
];

/// How a callable reference is judged.
pub enum Callable {
    /// A module or builtin that runs commands or code.
    Dangerous(String),
    /// Part of the JAX checkpointing stack.
    Library,
    /// Anything else: listed for review.
    Other,
}

pub fn callable(value: &str) -> Callable {
    let root = value.split(['.', ':']).next().unwrap_or(value);
    if DANGEROUS_MODULES.contains(&root)
        || matches!(value, "eval" | "exec" | "__import__" | "compile")
    {
        Callable::Dangerous(root.to_string())
    } else if CHECKPOINT_LIBRARIES.contains(&root) {
        Callable::Library
    } else {
        Callable::Other
    }
}

/// Why a path value escapes the checkpoint directory, if it does.
pub fn path_escape(value: &str) -> Option<(Severity, &'static str)> {
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("file:") {
        return Some((Severity::High, "is a file: URL"));
    }
    if let Some(colon) = lower.find("://")
        && lower[..colon]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return Some((Severity::Medium, "is a URL outside the checkpoint"));
    }
    let bytes = value.as_bytes();
    if value.starts_with('/')
        || value.starts_with('\\')
        || (bytes.len() > 2
            && bytes[1] == b':'
            && bytes[0].is_ascii_alphabetic()
            && matches!(bytes[2], b'\\' | b'/'))
    {
        return Some((Severity::High, "is an absolute path"));
    }
    if value.split(['/', '\\']).any(|part| part == "..") {
        return Some((Severity::High, "climbs out with `..`"));
    }
    None
}

/// A pickle encoded in a string: base64 or hex of bytes starting with a protocol 2-5 header.
pub fn encoded_pickle(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.len() >= 8 && v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        let lower = v.to_ascii_lowercase();
        if lower.starts_with("80") && matches!(&lower[2..4], "02" | "03" | "04" | "05") {
            return Some("hex");
        }
    }
    let b64 = v.len() >= 12
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    let head = if b64 { base64_head(v.as_bytes()) } else { None };
    head.filter(|h| h[0] == 0x80 && (2..=5).contains(&h[1]))
        .map(|_| "base64")
}

/// The first three bytes a base64 (standard or URL-safe) string decodes to.
fn base64_head(text: &[u8]) -> Option<[u8; 3]> {
    let sextet = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let n = text
        .get(..4)?
        .iter()
        .try_fold(0u32, |acc, c| Some((acc << 6) | sextet(*c)?))?;
    Some([(n >> 16) as u8, (n >> 8) as u8, n as u8])
}

/// A reference to a pickle file by name.
pub fn pickle_file(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [".pkl", ".pickle", ".joblib", ".dill"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}
