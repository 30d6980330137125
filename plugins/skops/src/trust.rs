//! Which `module.name` a schema node resolves to is trusted, untrusted or
//! dangerous. An approximation of skops' default trusted set (`_trusted_types`):
//! builtin primitives and containers, NumPy, SciPy sparse matrices and
//! scikit-learn classes.

#[derive(Debug, PartialEq)]
pub enum Verdict {
    Trusted,
    /// A class of the loading script itself.
    MainModule,
    Untrusted,
    Dangerous(&'static str),
}

const BUILTIN_TYPES: &[&str] = &[
    "bool",
    "bytes",
    "bytearray",
    "complex",
    "dict",
    "float",
    "int",
    "list",
    "str",
    "tuple",
    "set",
    "frozenset",
    "slice",
    "NoneType",
    "type",
];

const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "importlib",
    "runpy",
    "socket",
    "shutil",
    "pty",
    "ctypes",
    "pickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "joblib",
    "marshal",
    "shelve",
    "code",
    "codeop",
    "webbrowser",
    "urllib",
    "requests",
    "http",
    "ftplib",
    "telnetlib",
    "multiprocessing",
    "asyncio",
    "tempfile",
    "pathlib",
    "io",
    "zipimport",
];

const DANGEROUS_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "__import__",
    "open",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "input",
    "breakpoint",
    "exit",
    "quit",
    "help",
    "memoryview",
];

/// Deserializers of other formats and file readers reachable from trusted libraries.
const DANGEROUS_FUNCTIONS: &[&str] = &[
    "numpy.load",
    "numpy.fromfile",
    "numpy.loadtxt",
    "numpy.genfromtxt",
    "pandas.read_pickle",
    "torch.load",
    "functools.reduce",
    "operator.attrgetter",
    "operator.methodcaller",
];

pub fn judge(dotted: &str) -> Verdict {
    let (module, name) = dotted.rsplit_once('.').unwrap_or(("", dotted));
    let root = module.split('.').next().unwrap_or(module);
    if DANGEROUS_FUNCTIONS.contains(&dotted) {
        return Verdict::Dangerous(
            "reaches code execution, attribute walking or another deserializer",
        );
    }
    if DANGEROUS_MODULES.contains(&root) {
        return Verdict::Dangerous(
            "a module that runs commands, imports code or touches files and the network",
        );
    }
    if matches!(module, "builtins" | "__builtin__") {
        if DANGEROUS_BUILTINS.contains(&name) {
            return Verdict::Dangerous("a builtin that evaluates code or walks attributes");
        }
        return if BUILTIN_TYPES.contains(&name) {
            Verdict::Trusted
        } else {
            Verdict::Untrusted
        };
    }
    if name.starts_with("__") && name.ends_with("__") {
        return Verdict::Dangerous(
            "a dunder attribute: walks from a trusted object to arbitrary code",
        );
    }
    match root {
        "__main__" => Verdict::MainModule,
        "numpy" | "sklearn" => Verdict::Trusted,
        "scipy" if module.starts_with("scipy.sparse") || module.starts_with("scipy.special") => {
            Verdict::Trusted
        }
        "collections" if matches!(name, "OrderedDict" | "defaultdict") => Verdict::Trusted,
        _ => Verdict::Untrusted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(judge("sklearn.pipeline.Pipeline"), Verdict::Trusted);
        assert_eq!(judge("builtins.dict"), Verdict::Trusted);
        assert_eq!(judge("numpy.float64"), Verdict::Trusted);
        assert_eq!(judge("scipy.sparse._csr.csr_matrix"), Verdict::Trusted);
        assert_eq!(judge("__main__.DivideColumns"), Verdict::MainModule);
        assert_eq!(judge("xgboost.sklearn.XGBClassifier"), Verdict::Untrusted);
        assert_eq!(judge("builtins.print"), Verdict::Untrusted);
        for bad in [
            "builtins.eval",
            "builtins.exec",
            "os.system",
            "posix.system",
            "subprocess.Popen",
            "operator.attrgetter",
            "operator.methodcaller",
            "numpy.load",
            "sklearn.base.__reduce__",
        ] {
            assert!(matches!(judge(bad), Verdict::Dangerous(_)), "{bad}");
        }
    }
}
