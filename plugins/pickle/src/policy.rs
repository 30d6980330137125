//! The three-tier global policy, as data.
//!
//! 1. **Dangerous** (`pickle-dangerous-global`, critical): command execution,
//!    code evaluation and imports, file/network/native access, deserialisers
//!    of other payloads, call-forwarding gadgets, interpreter tampering and
//!    the gadgets of published scanner bypasses. Covers the union of the
//!    picklescan, modelscan and ModelAudit denylists.
//! 2. **Safe** (`pickle-safe-global`, passed): reconstruction helpers of
//!    torch, numpy, scikit-learn and friends, and plain value types.
//! 3. **Unknown** (`pickle-unknown-global`, medium): everything else, so that
//!    a new gadget is never passed silently.
//!
//! Entries are attribute paths matched component-wise as prefixes: `os`
//! covers `os.system` and `os.path.join`; `builtins.eval` covers
//! `builtins.eval.__call__`. Dangerous matching ignores ASCII case (a case
//! variant is reported with less certainty) and is also tried on every
//! suffix of a dotted name, because attribute walks can re-enter a module
//! (`pathlib` + `os.system` is `os.system`).

use crate::names::{GlobalName, Path};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Tier {
    Safe,
    Dangerous,
    Unknown,
}

#[derive(Clone, Debug)]
pub(crate) struct Verdict {
    pub tier: Tier,
    pub reason: String,
    /// False when the match needed case folding or NFKC normalisation
    /// (CPython would not resolve the name as written).
    pub exact: bool,
}

struct DenyGroup {
    why: &'static str,
    paths: &'static [&'static str],
}

const DENY: &[DenyGroup] = &[
    DenyGroup {
        why: "runs shell commands or child processes",
        paths: &[
            "os",
            "posixpath",
            "ntpath",
            "subprocess",
            "_posixsubprocess",
            "pty",
            "pexpect",
            "commands",
            "popen2",
            "platform",
            "asyncio",
            "multiprocessing",
            "concurrent.futures.ProcessPoolExecutor",
            "concurrent.futures.ThreadPoolExecutor",
            "_winapi",
            "_osx_support",
            "_aix_support",
            "uuid",
            "webbrowser",
            "pipes",
            "_pyrepl",
            "imaplib.IMAP4_stream",
            "mailcap",
            "distutils",
            "setuptools",
            "pip",
            "ensurepip",
            "venv",
            "sched",
            "_xxsubinterpreters",
            "_interpreters",
            "_xxinterpchannels",
            "interpreters",
            "concurrent.interpreters",
            "torch.utils.collect_env",
            "torch.utils.bottleneck",
            "torch.utils.cpp_extension",
        ],
    },
    DenyGroup {
        why: "evaluates, compiles or imports code",
        paths: &[
            "builtins.eval",
            "builtins.exec",
            "builtins.execfile",
            "builtins.compile",
            "builtins.__import__",
            "builtins.getattr",
            "builtins.setattr",
            "builtins.delattr",
            "builtins.hasattr",
            "builtins.globals",
            "builtins.locals",
            "builtins.vars",
            "builtins.dir",
            "builtins.breakpoint",
            "builtins.input",
            "builtins.raw_input",
            "builtins.exit",
            "builtins.quit",
            "builtins.help",
            "builtins.apply",
            "builtins.reload",
            "builtins.filter",
            "builtins.map",
            "builtins.classmethod",
            "builtins.staticmethod",
            "builtins.property",
            "runpy",
            "code",
            "codeop",
            "importlib",
            "imp",
            "pkgutil",
            "zipimport",
            "marshal",
            "types.CodeType",
            "types.FunctionType",
            "types.LambdaType",
            "types.MethodType",
            "types.FrameType",
            "types.ClassMethodDescriptorType",
            "types.DynamicClassAttribute",
            "types.GetSetDescriptorType",
            "types.MemberDescriptorType",
            "types.MethodDescriptorType",
            "types.WrapperDescriptorType",
            "timeit",
            "cProfile",
            "profile",
            "trace",
            "bdb",
            "pdb",
            "doctest",
            "idlelib",
            "lib2to3",
            "pydoc",
            "test",
            "compileall",
            "py_compile",
            "site",
            "sitecustomize",
            "usercustomize",
            "typing._eval_type",
            "typing.get_type_hints",
            "typing.ForwardRef",
            "dataclasses._create_fn",
            "string.Formatter",
            "inspect",
            "unittest",
            "_tkinter",
            "tkinter",
            "collections.eval",
            "numpy.testing._private.utils",
            "numpy.f2py",
            "numpy.distutils",
            "torch._dynamo",
            "torch._inductor",
            "torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression",
            "torch.jit.unsupported_tensor_ops",
            "torch.jit.CompilationUnit",
            "torch.utils._config_module",
            "torch.utils.data.datapipes.utils.decoder",
            "torch.package",
            "torch.compile",
            "transformers.dynamic_module_utils",
            "cloudpickle",
            "dill._dill",
            "dill.source",
        ],
    },
    DenyGroup {
        why: "deserialises another, unscanned payload",
        paths: &[
            "pickle",
            "shelve",
            "dill.load",
            "dill.loads",
            "dill.load_module",
            "dill.load_module_asdict",
            "dill.load_session",
            "joblib.load",
            "joblib._pickle_load",
            "joblib.numpy_pickle.load",
            "sklearn.externals.joblib.load",
            "numpy.load",
            "numpy.lib.npyio.load",
            "numpy.lib._npyio_impl.load",
            "numpy.lib.format.read_array",
            "torch.load",
            "torch.serialization.load",
            "torch.serialization._load",
            "torch.serialization._legacy_load",
            "torch.storage._load_from_bytes",
            "torch.jit.load",
            "torch.hub",
            "torch.utils.model_zoo",
            "yaml.load",
            "yaml.load_all",
            "yaml.full_load",
            "yaml.full_load_all",
            "yaml.unsafe_load",
            "yaml.unsafe_load_all",
            "yaml.Loader",
            "yaml.FullLoader",
            "yaml.UnsafeLoader",
            "yaml.CLoader",
            "yaml.CFullLoader",
            "yaml.CUnsafeLoader",
            "yaml.loader",
            "yaml.cyaml",
            "pandas.read_pickle",
            "pandas.io.pickle",
        ],
    },
    DenyGroup {
        why: "builds a callable that calls or looks up other objects (gadget)",
        paths: &[
            "operator",
            "functools.partial",
            "functools.partialmethod",
            "functools.reduce",
            "functools.cmp_to_key",
            "functools.lru_cache",
            "functools.cache",
            "functools.singledispatch",
            "functools.cached_property",
            "functools.update_wrapper",
            "itertools.accumulate",
            "itertools.dropwhile",
            "itertools.filterfalse",
            "itertools.groupby",
            "itertools.starmap",
            "itertools.takewhile",
            "contextlib.ExitStack",
            "contextlib.AsyncExitStack",
            "contextvars.Context.run",
            "weakref.finalize",
            "atexit",
        ],
    },
    DenyGroup {
        why: "decodes an obfuscated second-stage payload",
        paths: &["base64", "binascii"],
    },
    DenyGroup {
        why: "reads, writes or deletes files",
        paths: &[
            "builtins.open",
            "builtins.file",
            "io.open",
            "io.open_code",
            "io.FileIO",
            "io.TextIOWrapper",
            "io.BufferedReader",
            "io.BufferedWriter",
            "io.BufferedRandom",
            "codecs.open",
            "codecs.encode",
            "codecs.decode",
            "codecs.StreamReaderWriter",
            "shutil",
            "tempfile",
            "tarfile",
            "zipfile",
            "gzip.open",
            "gzip.GzipFile",
            "bz2.open",
            "bz2.BZ2File",
            "lzma.open",
            "lzma.LZMAFile",
            "glob",
            "fileinput",
            "filecmp",
            "linecache",
            "mmap",
            "dbm",
            "sqlite3",
            "_sqlite3",
            "logging.FileHandler",
            "logging.StreamHandler",
            "logging.Handler",
            "logging.Filterer",
            "logging.Logger",
            "logging.basicConfig",
            "logging.critical",
            "logging.debug",
            "logging.error",
            "logging.exception",
            "logging.info",
            "logging.log",
            "logging.warn",
            "logging.warning",
            "logging.config",
            "logging.handlers",
            "mailbox",
            "csv.DictWriter",
            "csv.writer",
            "pathlib.Path.open",
            "pathlib.Path.write_bytes",
            "pathlib.Path.write_text",
            "pathlib.Path.read_bytes",
            "pathlib.Path.read_text",
            "pathlib.Path.unlink",
            "pathlib.Path.rename",
            "pathlib.Path.replace",
            "pathlib.Path.rmdir",
            "pathlib.Path.touch",
            "pathlib.Path.symlink_to",
            "pathlib.Path.chmod",
            "pathlib.PosixPath.open",
            "pathlib.PosixPath.write_bytes",
            "pathlib.PosixPath.write_text",
            "pathlib.PosixPath.read_bytes",
            "pathlib.PosixPath.read_text",
            "pathlib.PosixPath.unlink",
            "pathlib.PosixPath.rename",
            "pathlib.PosixPath.replace",
            "pathlib.PosixPath.rmdir",
            "pathlib.PosixPath.touch",
            "pathlib.PosixPath.symlink_to",
            "pathlib.PosixPath.chmod",
            "pathlib.WindowsPath.open",
            "pathlib.WindowsPath.write_bytes",
            "pathlib.WindowsPath.write_text",
            "pathlib.WindowsPath.read_bytes",
            "pathlib.WindowsPath.read_text",
            "pathlib.WindowsPath.unlink",
            "pathlib.WindowsPath.rename",
            "pathlib.WindowsPath.replace",
            "pathlib.WindowsPath.rmdir",
            "pathlib.WindowsPath.touch",
            "pathlib.WindowsPath.symlink_to",
            "pathlib.WindowsPath.chmod",
            "numpy.save",
            "numpy.savez",
            "numpy.savez_compressed",
            "numpy.savetxt",
            "numpy.lib.npyio.savetxt",
            "numpy.lib._npyio_impl.savetxt",
            "numpy.loadtxt",
            "numpy.genfromtxt",
            "numpy.fromfile",
            "numpy.memmap",
            "argparse.FileType",
            "dotenv",
            "getpass",
            "syslog",
            "huggingface_hub.hf_hub_download",
            "huggingface_hub.snapshot_download",
        ],
    },
    DenyGroup {
        why: "opens network connections",
        paths: &[
            "socket",
            "socketserver",
            "ssl",
            "http",
            "httplib",
            "urllib",
            "urllib2",
            "urllib3",
            "requests",
            "httpx",
            "aiohttp",
            "ftplib",
            "smtplib",
            "telnetlib",
            "poplib",
            "nntplib",
            "imaplib",
            "xmlrpc",
            "asyncore",
            "asynchat",
            "paramiko",
            "websocket",
            "websockets",
        ],
    },
    DenyGroup {
        why: "loads native code or tampers with interpreter state",
        paths: &[
            "ctypes",
            "_ctypes",
            "cffi",
            "numpy.ctypeslib",
            "torch.ops.load_library",
            "torch.classes.load_library",
            "sys",
            "gc",
            "faulthandler",
            "resource",
            "signal",
            "_signal",
            "threading",
            "_thread",
            "select",
            "selectors",
            "copyreg.add_extension",
            "copyreg.remove_extension",
            "copyreg.clear_extension_cache",
            "copyreg._extension_registry",
            "copyreg._inverted_registry",
            "copyreg._extension_cache",
            "copyreg.dispatch_table",
            "copyreg.pickle",
        ],
    },
    DenyGroup {
        why: "imports a model scanner, as payloads do to disable its hooks",
        paths: &["picklescan", "modelscan", "fickling", "modelaudit"],
    },
];

/// Attribute names that escape to interpreter internals (globals, builtins,
/// frames, code objects, descriptors): dangerous wherever they appear.
const DANGEROUS_ATTRIBUTES: &[&str] = &[
    "__builtins__",
    "__dict__",
    "__globals__",
    "__getattribute__",
    "__getattr__",
    "__setattr__",
    "__delattr__",
    "__subclasses__",
    "__reduce__",
    "__reduce_ex__",
    "__class__",
    "__bases__",
    "__base__",
    "__mro__",
    "__code__",
    "__closure__",
    "__func__",
    "__self__",
    "__import__",
    "__loader__",
    "__spec__",
    "__get__",
    "__set__",
    "__delete__",
    "__call__",
    "__wrapped__",
    "__defaults__",
    "__kwdefaults__",
    "__setstate__",
    "__init_subclass__",
    "func_globals",
    "func_code",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "f_code",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "ag_frame",
    "tb_frame",
];

/// Exact paths exempt from a module-wide deny entry: plain value classes.
const DENY_EXCEPTIONS: &[&str] = &["uuid.UUID", "uuid.SafeUUID"];

enum Safe {
    /// Exactly this path.
    Exact(&'static str),
    /// Attributes of `module` whose name starts with `prefix`.
    Prefix {
        module: &'static str,
        prefix: &'static str,
    },
    /// These attributes of `module`.
    Names {
        module: &'static str,
        names: &'static [&'static str],
    },
    /// Classes (one CamelCase name) in `package` or its submodules, whose
    /// last module component starts with one of `leaves` (any if empty).
    Classes {
        package: &'static str,
        leaves: &'static [&'static str],
    },
}

use Safe::{Classes, Exact, Names, Prefix};

const fn classes(package: &'static str) -> Safe {
    Classes {
        package,
        leaves: &[],
    }
}

const SAFE: &[Safe] = &[
    // Plain values and containers.
    Names {
        module: "builtins",
        names: &[
            "set",
            "frozenset",
            "bytearray",
            "bytes",
            "slice",
            "complex",
            "range",
            "list",
            "dict",
            "tuple",
            "int",
            "float",
            "bool",
            "str",
            "object",
            "Ellipsis",
            "NotImplemented",
        ],
    },
    Exact("collections.OrderedDict"),
    Exact("collections.defaultdict"),
    Exact("collections.deque"),
    Exact("collections.Counter"),
    Exact("datetime.datetime"),
    Exact("datetime.date"),
    Exact("datetime.time"),
    Exact("datetime.timedelta"),
    Exact("datetime.timezone"),
    Exact("decimal.Decimal"),
    Exact("fractions.Fraction"),
    Exact("uuid.UUID"),
    Exact("argparse.Namespace"),
    Exact("array.array"),
    Exact("array._array_reconstructor"),
    // Object reconstruction protocol (the callee is checked on its own).
    Exact("copyreg._reconstructor"),
    Exact("copyreg.__newobj__"),
    Exact("copyreg.__newobj_ex__"),
    // Protocol-2 bytes: _codecs.encode(latin1 str, "latin1").
    Exact("_codecs.encode"),
    // numpy arrays, dtypes, scalars and random generators.
    Exact("numpy.core.multiarray._reconstruct"),
    Exact("numpy._core.multiarray._reconstruct"),
    Exact("numpy.core.multiarray.scalar"),
    Exact("numpy._core.multiarray.scalar"),
    Exact("numpy.core.numeric._frombuffer"),
    Exact("numpy._core.numeric._frombuffer"),
    Exact("numpy.ma.core._mareconstruct"),
    Exact("numpy.ma.core.MaskedArray"),
    Exact("numpy.dtype"),
    Exact("numpy.ndarray"),
    Prefix {
        module: "numpy.random._pickle",
        prefix: "__",
    },
    Exact("numpy.random.__RandomState_ctor"),
    Exact("numpy.random._mt19937.MT19937"),
    Exact("numpy.random._pcg64.PCG64"),
    Exact("numpy.random._pcg64.PCG64DXSM"),
    Exact("numpy.random._philox.Philox"),
    Exact("numpy.random._sfc64.SFC64"),
    Exact("numpy.random.bit_generator.SeedSequence"),
    classes("numpy.dtypes"),
    Names {
        module: "numpy",
        names: &[
            "bool_",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "float32",
            "float64",
            "longdouble",
            "complex64",
            "complex128",
            "object_",
            "str_",
            "bytes_",
            "datetime64",
            "timedelta64",
        ],
    },
    // torch tensors, storages, dtypes and nn modules.
    Prefix {
        module: "torch._utils",
        prefix: "_rebuild_",
    },
    Exact("torch._tensor._rebuild_from_type"),
    Exact("torch._tensor._rebuild_from_type_v2"),
    Exact("torch.serialization._get_layout"),
    Names {
        module: "torch",
        names: TORCH_ATTRIBUTES,
    },
    Exact("torch.storage.UntypedStorage"),
    Exact("torch.storage.TypedStorage"),
    Exact("torch.storage._LegacyStorage"),
    classes("torch.nn"),
    // Other ML frameworks' model classes.
    classes("sklearn"),
    Exact("joblib.numpy_pickle.NumpyArrayWrapper"),
    Exact("joblib.numpy_pickle.NDArrayWrapper"),
    Exact("joblib.numpy_pickle.ZNDArrayWrapper"),
    classes("xgboost.core"),
    classes("xgboost.sklearn"),
    classes("lightgbm.basic"),
    classes("lightgbm.sklearn"),
    Classes {
        package: "transformers",
        leaves: &[
            "configuration_",
            "tokenization_",
            "feature_extraction_",
            "image_processing_",
            "processing_",
            "training_args",
            "trainer_utils",
            "debug_utils",
        ],
    },
    Exact("tokenizers.Tokenizer"),
    Exact("tokenizers.AddedToken"),
    classes("pandas.core"),
    Exact("pandas.core.indexes.base._new_Index"),
    Exact("pandas._libs.internals._unpickle_block"),
    Exact("pandas.core.internals.blocks.new_block"),
    Exact("pandas._libs.tslibs.timestamps._unpickle_timestamp"),
];

/// Attributes of the `torch` module itself that are safe: tensor and
/// storage types, dtypes, layouts, memory formats and quantisation schemes.
const TORCH_ATTRIBUTES: &[&str] = &[
    "Tensor",
    "Size",
    "device",
    "dtype",
    "layout",
    "memory_format",
    "UntypedStorage",
    "TypedStorage",
    "BFloat16Storage",
    "BoolStorage",
    "ByteStorage",
    "CharStorage",
    "ComplexDoubleStorage",
    "ComplexFloatStorage",
    "DoubleStorage",
    "FloatStorage",
    "HalfStorage",
    "IntStorage",
    "LongStorage",
    "QInt32Storage",
    "QInt8Storage",
    "QUInt2x4Storage",
    "QUInt4x2Storage",
    "QUInt8Storage",
    "ShortStorage",
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "complex32",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
    "chalf",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "strided",
    "sparse_coo",
    "sparse_csr",
    "sparse_csc",
    "sparse_bsr",
    "sparse_bsc",
    "_mkldnn",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "per_tensor_affine",
    "per_channel_affine",
    "per_tensor_symmetric",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

/// Classifies a global by its canonical path (and its NFKC folding).
pub(crate) fn classify(name: &GlobalName) -> Verdict {
    if let Some(v) = dangerous(&name.path) {
        return v;
    }
    if let Some(folded) = &name.folded {
        if let Some(v) = dangerous(folded) {
            return Verdict {
                reason: format!("{} once NFKC-normalised to `{}`", v.reason, folded.joined()),
                exact: false,
                ..v
            };
        }
        return Verdict {
            tier: Tier::Unknown,
            reason: "non-ASCII name, not in the known-safe set".into(),
            exact: true,
        };
    }
    if let Some(reason) = safe(&name.path) {
        return Verdict {
            tier: Tier::Safe,
            reason: reason.into(),
            exact: true,
        };
    }
    let reason = if name.identifiers() {
        "not in the known-safe set"
    } else {
        "not a valid Python identifier path, not in the known-safe set"
    };
    Verdict {
        tier: Tier::Unknown,
        reason: reason.into(),
        exact: true,
    }
}

fn dangerous(path: &Path) -> Option<Verdict> {
    let comps = &path.comps;
    if let Some(attr) = comps.iter().find_map(|c| {
        DANGEROUS_ATTRIBUTES
            .iter()
            .find(|a| a.eq_ignore_ascii_case(c))
            .map(|a| (*a, *a == c.as_str()))
    }) {
        return Some(Verdict {
            tier: Tier::Dangerous,
            reason: format!(
                "reaches `{}`, an attribute that escapes to interpreter internals",
                attr.0
            ),
            exact: attr.1,
        });
    }
    // The whole path, then every suffix of two or more components that
    // starts in the attribute part (a module re-entered through an
    // attribute walk, like `pathlib.os.system`). An exact-case match wins
    // over a case-insensitive one.
    let starts = std::iter::once(0).chain(path.module_len..comps.len().saturating_sub(1));
    let mut inexact = None;
    for start in starts {
        let tail = &comps[start..];
        for group in DENY {
            for pattern in group.paths {
                let Some(exact) = prefix_match(pattern, tail) else {
                    continue;
                };
                if start == 0 && DENY_EXCEPTIONS.contains(&path.joined().as_str()) {
                    continue;
                }
                let via = if start > 0 {
                    format!(" (reached through `{}`)", path.joined())
                } else {
                    String::new()
                };
                let verdict = Verdict {
                    tier: Tier::Dangerous,
                    reason: format!("{}: denylist entry `{pattern}`{via}", group.why),
                    exact,
                };
                if exact {
                    return Some(verdict);
                }
                inexact.get_or_insert(verdict);
            }
        }
    }
    inexact
}

/// Whether `pattern`'s components are a prefix of `comps` ignoring ASCII
/// case; `Some(true)` when the case matches too.
fn prefix_match(pattern: &str, comps: &[String]) -> Option<bool> {
    let mut exact = true;
    for (i, p) in pattern.split('.').enumerate() {
        let c = comps.get(i)?;
        if !p.eq_ignore_ascii_case(c) {
            return None;
        }
        exact &= p == c;
    }
    Some(exact)
}

fn safe(path: &Path) -> Option<&'static str> {
    let module = path.module();
    let attrs = path.attrs();
    let joined = path.joined();
    let hit = SAFE.iter().any(|rule| match rule {
        Exact(p) => *p == joined,
        Prefix { module: m, prefix } => {
            *m == module && attrs.len() == 1 && attrs[0].starts_with(prefix)
        }
        Names { module: m, names } => {
            *m == module && attrs.len() == 1 && names.contains(&attrs[0].as_str())
        }
        Classes { package, leaves } => {
            let inside = module == *package
                || module
                    .strip_prefix(package)
                    .is_some_and(|r| r.starts_with('.'));
            let leaf = path.comps[path.module_len - 1].as_str();
            inside
                && attrs.len() == 1
                && is_class_name(&attrs[0])
                && (leaves.is_empty() || leaves.iter().any(|l| leaf.starts_with(l)))
        }
    });
    hit.then_some("known-safe reconstruction or value type")
}

/// A CamelCase identifier, as class names are.
fn is_class_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(module: &str, name: &str) -> Tier {
        classify(&GlobalName::new(module, name)).tier
    }

    #[test]
    fn dangerous_globals_and_their_spellings() {
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("__builtin__", "eval"),
            ("builtins", "getattr"),
            ("subprocess", "Popen"),
            ("subprocess.foo", "bar"),
            ("torch.utils.collect_env", "run"),
            ("bdb", "Bdb.run"),
            ("pathlib", "os.system"),
            ("_operator", "attrgetter"),
            ("torch.storage", "_load_from_bytes"),
            ("tests.test_pickle_scanner", "__dict__"),
            ("builtins", "object.__subclasses__"),
            ("picklescan.scanner", "scan_pickle_bytes"),
            ("dill._dill", "_create_code"),
            ("cloudpickle.cloudpickle", "_make_function"),
        ] {
            assert_eq!(tier(m, n), Tier::Dangerous, "{m}.{n}");
        }
    }

    #[test]
    fn exact_case_match_is_preferred() {
        // `yaml.Loader` matches case-insensitively first; `yaml.loader` exactly.
        let v = classify(&GlobalName::new("yaml.loader", "Loader"));
        assert_eq!(v.tier, Tier::Dangerous);
        assert!(v.exact);
    }

    #[test]
    fn case_and_unicode_variants_are_dangerous_but_inexact() {
        let v = classify(&GlobalName::new("OS", "system"));
        assert_eq!(v.tier, Tier::Dangerous);
        assert!(!v.exact);
        let v = classify(&GlobalName::new("ｏｓ", "system"));
        assert_eq!(v.tier, Tier::Dangerous);
        assert!(!v.exact);
        assert!(v.reason.contains("NFKC"));
        assert!(classify(&GlobalName::new("os", "system")).exact);
    }

    #[test]
    fn safe_reconstruction_globals() {
        for (m, n) in [
            ("torch._utils", "_rebuild_tensor_v2"),
            ("torch._utils", "_rebuild_parameter"),
            ("torch", "FloatStorage"),
            ("torch", "float32"),
            ("torch", "Size"),
            ("torch.nn.modules.linear", "Linear"),
            ("collections", "OrderedDict"),
            ("__builtin__", "set"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "dtype"),
            ("numpy.random._pickle", "__randomstate_ctor"),
            ("_codecs", "encode"),
            ("copy_reg", "_reconstructor"),
            ("sklearn.tree._tree", "Tree"),
            ("sklearn.linear_model._logistic", "LogisticRegression"),
            ("joblib.numpy_pickle", "NumpyArrayWrapper"),
            ("argparse", "Namespace"),
            ("uuid", "UUID"),
            ("transformers.models.bert.configuration_bert", "BertConfig"),
        ] {
            assert_eq!(tier(m, n), Tier::Safe, "{m}.{n}");
        }
    }

    #[test]
    fn everything_else_is_unknown() {
        for (m, n) in [
            ("__main__", "MyModel"),
            ("torch", "load_state_dict"),
            ("torch._utils", "other"),
            ("sklearn.utils", "helper_function"),
            ("transformers.models.bert.modeling_bert", "BertModel"),
            ("collections", "OrderedDict.fromkeys"),
            ("pathlib", "PosixPath"),
            ("torch.profiler", "profile"),
            ("builtins", "print"),
        ] {
            assert_eq!(tier(m, n), Tier::Unknown, "{m}.{n}");
        }
    }

    #[test]
    fn exceptions_do_not_cover_attribute_walks() {
        assert_eq!(tier("uuid", "UUID.__init__"), Tier::Dangerous);
        assert_eq!(tier("uuid", "_get_command_stdout"), Tier::Dangerous);
    }
}
