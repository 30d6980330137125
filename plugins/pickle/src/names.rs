//! Normalisation of the (module, name) pair a pickle imports, so that
//! spelling tricks cannot hide a global from the policy.
//!
//! - Python 2 and C-accelerator aliases resolve to the public module
//!   (`__builtin__` → `builtins`, `posix`/`nt` → `os`, `_operator` →
//!   `operator`, ...), as CPython's `_compat_pickle` and the module
//!   re-exports make them equivalent at load time.
//! - The name is split on dots: since protocol 4 `find_class` walks dotted
//!   names attribute by attribute (`bdb` + `Bdb.run`, `pathlib` +
//!   `os.system`).
//! - Non-ASCII names are folded with NFKC so that look-alike spellings can
//!   be compared with the policy.

use unicode_normalization::UnicodeNormalization;

/// Leading module component aliases and what they resolve to: C
/// accelerators re-exported by a public module, and the Python 2 names
/// CPython's `_compat_pickle.IMPORT_MAPPING` translates on load.
const MODULE_ALIASES: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("__builtins__", "builtins"),
    ("exceptions", "builtins"),
    ("posix", "os"),
    ("nt", "os"),
    ("_operator", "operator"),
    ("_functools", "functools"),
    ("_io", "io"),
    ("_pickle", "pickle"),
    ("cPickle", "pickle"),
    ("copy_reg", "copyreg"),
    ("_collections", "collections"),
    ("_socket", "socket"),
    ("_ssl", "ssl"),
    ("thread", "_thread"),
    ("dummy_thread", "_dummy_thread"),
    ("commands", "subprocess"),
    ("urllib2", "urllib.request"),
    ("urlparse", "urllib.parse"),
    ("robotparser", "urllib.robotparser"),
    ("httplib", "http.client"),
    ("Cookie", "http.cookies"),
    ("cookielib", "http.cookiejar"),
    ("BaseHTTPServer", "http.server"),
    ("SimpleHTTPServer", "http.server"),
    ("CGIHTTPServer", "http.server"),
    ("SocketServer", "socketserver"),
    ("xmlrpclib", "xmlrpc.client"),
    ("SimpleXMLRPCServer", "xmlrpc.server"),
    ("DocXMLRPCServer", "xmlrpc.server"),
    ("anydbm", "dbm"),
    ("whichdb", "dbm"),
    ("dbhash", "dbm.bsd"),
    ("dumbdbm", "dbm.dumb"),
    ("gdbm", "dbm.gnu"),
    ("Tkinter", "tkinter"),
    ("_winreg", "winreg"),
    ("cStringIO", "io"),
    ("StringIO", "io"),
    ("Queue", "queue"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("ConfigParser", "configparser"),
    ("repr", "reprlib"),
];

/// Python 2 (module, name) pairs `_compat_pickle.NAME_MAPPING` moves to
/// another module, with their canonical path.
const NAME_ALIASES: &[(&str, &str, &str)] = &[
    ("__builtin__", "reduce", "functools.reduce"),
    ("__builtin__", "intern", "sys.intern"),
    ("__builtin__", "raw_input", "builtins.input"),
    ("__builtin__", "xrange", "builtins.range"),
    ("__builtin__", "unicode", "builtins.str"),
    ("__builtin__", "basestring", "builtins.str"),
    ("__builtin__", "long", "builtins.int"),
    ("__builtin__", "unichr", "builtins.chr"),
    ("itertools", "imap", "builtins.map"),
    ("itertools", "ifilter", "builtins.filter"),
    ("itertools", "izip", "builtins.zip"),
];

/// An attribute path: alias-resolved module components followed by the
/// name components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Path {
    pub comps: Vec<String>,
    /// How many leading components are the module.
    pub module_len: usize,
}

impl Path {
    fn new(module: &str, name: &str) -> Self {
        if let Some(&(.., to)) = NAME_ALIASES
            .iter()
            .find(|(m, n, _)| *m == module && *n == name)
        {
            let comps: Vec<String> = to.split('.').map(str::to_owned).collect();
            return Path {
                module_len: comps.len() - 1,
                comps,
            };
        }
        let mut comps: Vec<String> = module.split('.').map(str::to_owned).collect();
        if let Some(&(_, to)) = MODULE_ALIASES.iter().find(|(from, _)| *from == comps[0]) {
            comps.splice(0..1, to.split('.').map(str::to_owned));
        }
        let module_len = comps.len();
        comps.extend(name.split('.').map(str::to_owned));
        Path { comps, module_len }
    }

    pub fn module(&self) -> String {
        self.comps[..self.module_len].join(".")
    }

    pub fn attrs(&self) -> &[String] {
        &self.comps[self.module_len..]
    }

    pub fn joined(&self) -> String {
        self.comps.join(".")
    }
}

/// A global as a pickle names it, and its canonical attribute path.
#[derive(Clone, Debug)]
pub(crate) struct GlobalName {
    pub module: String,
    pub name: String,
    pub path: Path,
    /// NFKC-folded `path`, when the raw names are not ASCII.
    pub folded: Option<Path>,
}

impl GlobalName {
    pub fn new(module: &str, name: &str) -> Self {
        let folded = (!module.is_ascii() || !name.is_ascii()).then(|| {
            let m: String = module.nfkc().collect();
            let n: String = name.nfkc().collect();
            Path::new(&m, &n)
        });
        GlobalName {
            module: module.to_owned(),
            name: name.to_owned(),
            path: Path::new(module, name),
            folded,
        }
    }

    /// `module.name` as written.
    pub fn display(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// The canonical path joined with dots.
    pub fn canonical(&self) -> String {
        self.path.joined()
    }

    /// Whether every component is a plain Python identifier.
    pub fn identifiers(&self) -> bool {
        self.path.comps.iter().all(|c| {
            let mut chars = c.chars();
            chars.next().is_some_and(|f| f == '_' || f.is_alphabetic())
                && chars.all(|ch| ch == '_' || ch.is_alphanumeric())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_the_public_module() {
        assert_eq!(GlobalName::new("posix", "system").canonical(), "os.system");
        assert_eq!(GlobalName::new("nt", "system").canonical(), "os.system");
        assert_eq!(
            GlobalName::new("__builtin__", "eval").canonical(),
            "builtins.eval"
        );
        assert_eq!(
            GlobalName::new("_operator", "attrgetter").canonical(),
            "operator.attrgetter"
        );
        assert_eq!(GlobalName::new("_io", "FileIO").canonical(), "io.FileIO");
        assert_eq!(
            GlobalName::new("BaseHTTPServer", "HTTPServer").canonical(),
            "http.server.HTTPServer"
        );
        assert_eq!(
            GlobalName::new("__builtin__", "reduce").canonical(),
            "functools.reduce"
        );
        // Only the leading component is an alias.
        assert_eq!(GlobalName::new("foo.nt", "x").canonical(), "foo.nt.x");
    }

    #[test]
    fn dotted_names_split_into_components() {
        let g = GlobalName::new("bdb", "Bdb.run");
        assert_eq!(g.path.comps, ["bdb", "Bdb", "run"]);
        assert_eq!(g.path.module_len, 1);
        assert_eq!(g.path.attrs(), ["Bdb", "run"]);
        let g = GlobalName::new("torch.utils.collect_env", "run");
        assert_eq!(g.path.module(), "torch.utils.collect_env");
        assert!(g.identifiers());
        assert!(!GlobalName::new("os", "sys tem").identifiers());
        assert!(!GlobalName::new("os", "").identifiers());
    }

    #[test]
    fn non_ascii_names_are_folded_with_nfkc() {
        // Fullwidth letters.
        let g = GlobalName::new("ｏｓ", "ｓｙｓｔｅｍ");
        assert!(g.folded.is_some());
        assert_eq!(g.folded.unwrap().comps, ["os", "system"]);
        // Mathematical bold letters in the name only.
        let g = GlobalName::new("builtins", "\u{1d41e}val");
        assert_eq!(g.folded.unwrap().joined(), "builtins.eval");
        assert!(GlobalName::new("os", "system").folded.is_none());
    }
}
