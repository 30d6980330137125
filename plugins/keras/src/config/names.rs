//! Which modules, names and functions a Keras configuration may refer to.

/// Top-level packages whose objects Keras configurations normally name.
const KERAS_PACKAGES: &[&str] = &[
    "keras",
    "tf_keras",
    "tensorflow",
    "tf",
    "keras_hub",
    "keras_nlp",
    "keras_cv",
    "tensorflow_probability",
    "tensorflow_text",
    "tensorflow_addons",
];

/// Modules that run commands, execute or load code, or reach files and the network.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "builtins",
    "__builtin__",
    "__builtins__",
    "sys",
    "importlib",
    "runpy",
    "code",
    "codeop",
    "pty",
    "shutil",
    "pathlib",
    "io",
    "tempfile",
    "socket",
    "http",
    "urllib",
    "urllib3",
    "requests",
    "ftplib",
    "smtplib",
    "telnetlib",
    "webbrowser",
    "pickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "joblib",
    "marshal",
    "shelve",
    "ctypes",
    "multiprocessing",
    "asyncio",
    "signal",
    "platform",
    "commands",
    "pdb",
    "timeit",
];

/// Names whose use in Python code runs commands, evaluates code or escapes a sandbox.
const DANGEROUS_NAMES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "builtins",
    "__builtins__",
    "__builtin__",
    "__import__",
    "importlib",
    "import_module",
    "exec",
    "eval",
    "compile",
    "execfile",
    "system",
    "popen",
    "Popen",
    "spawnl",
    "spawnv",
    "spawnve",
    "spawnvp",
    "execl",
    "execv",
    "execve",
    "execvp",
    "fork",
    "forkpty",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "socket",
    "urlopen",
    "urllib",
    "requests",
    "shutil",
    "rmtree",
    "unlink",
    "open",
    "pickle",
    "marshal",
    "ctypes",
    "CDLL",
    "runpy",
    "run_path",
    "run_module",
    "pty",
    "webbrowser",
    "globals",
    "__globals__",
    "__subclasses__",
    "__code__",
    "__reduce__",
    "getattr",
    "setattr",
    "breakpoint",
];

/// Keras and TensorFlow functions that turn safe mode off, load other models,
/// fetch or touch files, or call back into Python.
const UNSAFE_FUNCTIONS: &[&str] = &[
    "enable_unsafe_deserialization",
    "set_global_attribute",
    "load_model",
    "load_weights",
    "model_from_json",
    "model_from_yaml",
    "get_file",
    "write_file",
    "read_file",
    "py_function",
    "numpy_function",
    "py_func",
];

/// The package a dotted module path belongs to.
pub fn package(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

pub fn is_keras_package(module: &str) -> bool {
    KERAS_PACKAGES.contains(&package(module))
}

pub fn is_dangerous_module(module: &str) -> bool {
    DANGEROUS_MODULES.contains(&package(module))
}

pub fn is_dangerous_name(name: &str) -> bool {
    DANGEROUS_NAMES.contains(&name)
}

/// Whether a function reached through Keras (last component of its path) is unsafe.
pub fn is_unsafe_function(path: &str) -> bool {
    let name = path.rsplit(['.', '>']).next().unwrap_or(path);
    UNSAFE_FUNCTIONS.contains(&name) || is_dangerous_name(name)
}

/// The dangerous names among Python identifiers found in code or text.
pub fn dangerous_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .filter(|n| is_dangerous_name(n))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Python identifiers in `text`: runs of letters, digits and `_` not starting with a digit.
pub fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}
