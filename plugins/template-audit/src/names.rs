//! The names that matter to a template-injection analysis, and why.

/// `__class__`, `__globals__`...: Python internals, the first step of every sandbox escape.
pub fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

/// Attribute or key names that reach code execution on their own.
pub const EXECUTION_ATTRIBUTES: &[&str] = &[
    "os",
    "subprocess",
    "popen",
    "eval",
    "exec",
    "builtins",
    "import_module",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "Popen",
    "spawnl",
    "spawnv",
    "execl",
    "execv",
    "execve",
    "execvp",
];

/// Attribute or key names that are ordinary in isolation (`roles.system`) and only
/// describe the walk when the same tag also escapes the sandbox.
pub const CONTEXT_ATTRIBUTES: &[&str] = &[
    "system",
    "open",
    "read",
    "write",
    "environ",
    "modules",
    "sys",
    "getenv",
    "urlopen",
    "socket",
    "globals",
    "func_globals",
    "f_globals",
    "f_back",
    "gi_frame",
    "tb_frame",
    "co_code",
    "mro",
    "call",
    "run",
    "load",
    "loads",
    "application",
    "SECRET_KEY",
    "get",
];

/// Free names that only exist if the template reaches outside Jinja: the call is the attack.
pub const EXECUTION_NAMES: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "os",
    "subprocess",
    "sys",
    "importlib",
    "builtins",
    "breakpoint",
];

/// Python builtins Jinja does not provide, used to assemble or reach names indirectly.
pub const INDIRECTION_NAMES: &[&str] = &[
    "open", "getattr", "setattr", "delattr", "globals", "locals", "vars", "chr",
];

/// Flask template globals: undefined in a chat template, the classic SSTI entry points.
pub const FLASK_GLOBALS: &[&str] = &[
    "config",
    "request",
    "session",
    "url_for",
    "get_flashed_messages",
];

/// Jinja globals that are Python objects: `cycler.__init__.__globals__` reaches `os`,
/// and `lipsum|string` yields characters to assemble names from.
pub const GLOBAL_OBJECTS: &[&str] = &[
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
    "range",
    "dict",
    "self",
];

/// Filters whose string argument names an attribute of each item.
pub const ATTRIBUTE_FILTERS: &[&str] = &[
    "map",
    "selectattr",
    "rejectattr",
    "sort",
    "groupby",
    "sum",
    "unique",
    "min",
    "max",
];

/// Methods whose first argument is looked up by name: `d.get('os')`, `__import__('os')`.
pub const LOOKUP_METHODS: &[&str] = &[
    "get",
    "pop",
    "__getitem__",
    "__getattribute__",
    "__getattr__",
    "__import__",
    "import_module",
];

/// Does this string, built at render time, spell something dangerous?
pub fn dangerous_spelling(s: &str) -> bool {
    let s = s.trim();
    let has_dunder = s.match_indices("__").any(|(i, _)| {
        let rest = &s[i + 2..];
        let word = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        word > 2 && rest[..word].ends_with("__")
    });
    has_dunder
        || EXECUTION_ATTRIBUTES.contains(&s)
        || EXECUTION_NAMES.contains(&s)
        || s.contains("_TemplateReference__context")
}
