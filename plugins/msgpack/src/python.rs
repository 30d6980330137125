//! Names that refer to Python objects: reducers, interpreter internals and
//! dotted paths into modules that run commands or code.

use cordon_plugin_sdk::Severity;

/// Modules whose callables run commands, code or touch the host.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "builtins",
    "__builtin__",
    "sys",
    "shutil",
    "socket",
    "pty",
    "importlib",
    "runpy",
    "pickle",
    "marshal",
    "ctypes",
    "webbrowser",
    "code",
    "commands",
];

/// Why `name` (a key or a string value) refers to Python machinery, if it does.
pub fn reference(name: &str) -> Option<(Severity, String)> {
    match name {
        "__reduce__" | "__reduce_ex__" | "__globals__" | "__builtins__" | "__import__"
        | "__subclasses__" | "__code__" | "__getattribute__" | "__setstate__" => {
            return Some((
                Severity::High,
                format!("`{name}` names a pickle reducer or interpreter internal"),
            ));
        }
        "__class__" | "__module__" | "__dict__" | "__init__" | "__qualname__" | "__name__" => {
            return Some((
                Severity::Medium,
                format!("`{name}` names a Python object attribute"),
            ));
        }
        _ => {}
    }
    let mut parts = name.split('.');
    let module = parts.next()?;
    let dotted = name.contains('.')
        && name.len() <= 200
        && name
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    (dotted && DANGEROUS_MODULES.contains(&module)).then(|| {
        (
            Severity::High,
            format!("`{name}` names a callable in the `{module}` module"),
        )
    })
}

/// Bytes per element of a NumPy dtype name as Flax writes it (`arr.dtype.name`).
pub fn dtype_size(name: &str) -> Option<u64> {
    Some(match name {
        "bool" | "int8" | "uint8" => 1,
        n if n.starts_with("float8") => 1,
        "int16" | "uint16" | "float16" | "bfloat16" => 2,
        "int32" | "uint32" | "float32" => 4,
        "int64" | "uint64" | "float64" | "complex64" => 8,
        "complex128" => 16,
        _ => return None,
    })
}
