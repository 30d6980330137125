//! Code, shell commands, URLs, path traversal and pickle fragments, by fixed needles
//! with word-boundary checks (no regex engine: linear, small, predictable).

use crate::{Kind, Level};

pub struct Match {
    pub start: usize,
    pub kind: Kind,
    pub level: Level,
    pub what: &'static str,
}

/// A literal to look for. `word_before`: must not follow an identifier character
/// or a dot (so `model.eval(` is not `eval(`); `word_after`: must not be followed
/// by an identifier character (so `import osmium` is not `import os`).
struct Needle {
    text: &'static str,
    what: &'static str,
    word_before: bool,
    word_after: bool,
}

const fn n(text: &'static str, what: &'static str) -> Needle {
    Needle {
        text,
        what,
        word_before: true,
        word_after: false,
    }
}

const fn w(text: &'static str, what: &'static str) -> Needle {
    Needle {
        text,
        what,
        word_before: true,
        word_after: true,
    }
}

/// Case-sensitive code needles.
const CODE: &[Needle] = &[
    n("__import__", "Python __import__"),
    n("eval(", "eval call"),
    n("exec(", "exec call"),
    n("os.system(", "os.system call"),
    n("os.popen(", "os.popen call"),
    n("subprocess.", "subprocess call"),
    n("pty.spawn(", "pty.spawn call"),
    n("pickle.loads(", "pickle.loads call"),
    n("marshal.loads(", "marshal.loads call"),
    n("__builtins__", "Python __builtins__"),
    w("import os", "import of os"),
    w("import subprocess", "import of subprocess"),
    w("import socket", "import of socket"),
    w("import pty", "import of pty"),
    w("from os import", "import from os"),
    w("from subprocess import", "import from subprocess"),
    n("require('child_process')", "Node.js child_process"),
    n("require(\"child_process\")", "Node.js child_process"),
    n("new Function(", "JavaScript Function constructor"),
    n("document.cookie", "JavaScript cookie access"),
];

/// Needles matched against the lowercased text.
const CODE_ANY_CASE: &[Needle] = &[
    n("<script", "HTML script tag"),
    n("javascript:", "javascript: URL"),
];

/// Shell needles, matched against the lowercased text.
const SHELL: &[Needle] = &[
    w("rm -rf", "recursive forced delete"),
    w("rm -fr", "recursive forced delete"),
    w("bash -c", "bash -c command"),
    w("sh -c", "sh -c command"),
    w("zsh -c", "zsh -c command"),
    n("powershell -enc", "encoded PowerShell command"),
    n("powershell.exe -enc", "encoded PowerShell command"),
    w("-encodedcommand", "encoded PowerShell command"),
    n("powershell -e ", "encoded PowerShell command"),
    w("cmd.exe /c", "cmd.exe command"),
    w("cmd /c", "cmd.exe command"),
    w("nc -e", "netcat command execution"),
    w("ncat -e", "netcat command execution"),
    n("/dev/tcp/", "bash network redirection"),
    w("chmod +x", "making a file executable"),
    w("mkfifo", "named pipe (reverse shell idiom)"),
    w("base64 -d", "base64 decoding in a shell"),
    n(":(){", "fork bomb"),
];

/// Shells that a download can be piped into.
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "python", "python3", "perl",
];

/// URL schemes and whether they are merely informational.
const SCHEMES: &[(&str, bool)] = &[
    ("https", true),
    ("wss", true),
    ("s3", true),
    ("gs", true),
    ("hf", true),
    ("http", false),
    ("ws", false),
    ("ftp", false),
    ("ftps", false),
    ("file", false),
    ("ssh", false),
];

/// Paths worth noting in metadata, lowercased.
const SENSITIVE_PATHS: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/etc/sudoers",
    "~/.ssh",
    ".ssh/id_",
    "/proc/self/",
    "/root/",
    "c:\\windows\\system32",
];

/// Modules whose import by a protocol-0 pickle GLOBAL means command execution.
const PICKLE_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "builtins",
    "__builtin__",
    "sys",
    "socket",
    "pty",
    "runpy",
    "importlib",
    "webbrowser",
    "shutil",
    "commands",
    "code",
    "marshal",
    "ctypes",
];

pub fn find(text: &str) -> Vec<Match> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    needles(text, CODE, Kind::Code, &mut found);
    needles(&lower, CODE_ANY_CASE, Kind::Code, &mut found);
    needles(&lower, SHELL, Kind::Shell, &mut found);
    downloads(&lower, &mut found);
    urls(&lower, &mut found);
    paths(&lower, &mut found);
    pickle_text(text, &mut found);
    found
}

fn ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn needles(hay: &str, list: &[Needle], kind: Kind, found: &mut Vec<Match>) {
    let bytes = hay.as_bytes();
    for needle in list {
        for (start, _) in hay.match_indices(needle.text).take(crate::PER_NEEDLE) {
            let end = start + needle.text.len();
            if needle.word_before
                && start > 0
                && (ident(bytes[start - 1]) || bytes[start - 1] == b'.')
            {
                continue;
            }
            if needle.word_after && bytes.get(end).is_some_and(|b| ident(*b)) {
                continue;
            }
            found.push(Match {
                start,
                kind,
                level: Level::Medium,
                what: needle.what,
            });
        }
    }
}

/// `curl`/`wget` commands: piped into a shell (medium) or just downloading (low).
fn downloads(lower: &str, found: &mut Vec<Match>) {
    let bytes = lower.as_bytes();
    for tool in ["curl ", "wget "] {
        for (start, _) in lower.match_indices(tool).take(crate::PER_NEEDLE) {
            if start > 0 && ident(bytes[start - 1]) {
                continue;
            }
            let line_end = lower[start..].find('\n').map_or(lower.len(), |e| start + e);
            let piped = lower[start..line_end].match_indices('|').any(|(p, _)| {
                let after = lower[start + p + 1..line_end].trim_start();
                let after = after.strip_prefix("sudo ").map_or(after, str::trim_start);
                SHELLS.iter().any(|sh| {
                    after.starts_with(sh)
                        && !after.as_bytes().get(sh.len()).is_some_and(|b| ident(*b))
                })
            });
            let (level, what) = if piped {
                (Level::Medium, "download piped into a shell")
            } else {
                (Level::Low, "download command")
            };
            found.push(Match {
                start,
                kind: Kind::Shell,
                level,
                what,
            });
        }
    }
}

fn urls(lower: &str, found: &mut Vec<Match>) {
    let bytes = lower.as_bytes();
    for (sep, _) in lower.match_indices("://").take(crate::PER_NEEDLE) {
        let scheme_start = lower[..sep]
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let start = sep - scheme_start;
        let scheme = &lower[start..sep];
        let Some((_, informational)) = SCHEMES.iter().find(|(s, _)| *s == scheme) else {
            continue;
        };
        let host: String = bytes[sep + 3..]
            .iter()
            .take_while(|b| !matches!(b, b'/' | b' ' | b'"' | b'\'' | b'\n' | b'?' | b'#'))
            .map(|b| *b as char)
            .collect();
        let host = host.rsplit('@').next().unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default();
        let bare_ip = !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let (level, what) = match (*informational, bare_ip) {
            (true, false) => (Level::Info, "URL"),
            (_, true) => (Level::Low, "URL with a bare IP address host"),
            (false, false) => (Level::Low, "URL with an unencrypted or local scheme"),
        };
        found.push(Match {
            start,
            kind: Kind::Url,
            level,
            what,
        });
    }
}

fn paths(lower: &str, found: &mut Vec<Match>) {
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i + 2 < bytes.len() {
        let step = |at: usize| bytes[at..].starts_with(b"../") || bytes[at..].starts_with(b"..\\");
        if !step(i) {
            i += 1;
            continue;
        }
        // `../../x` is one traversal, reported once.
        found.push(Match {
            start: i,
            kind: Kind::PathTraversal,
            level: Level::Low,
            what: "parent-directory path",
        });
        while i + 2 < bytes.len() && step(i) {
            i += 3;
        }
    }
    for path in SENSITIVE_PATHS {
        for (start, _) in lower.match_indices(path).take(crate::PER_NEEDLE) {
            found.push(Match {
                start,
                kind: Kind::PathTraversal,
                level: Level::Low,
                what: "sensitive system path",
            });
        }
    }
}

/// Pickle written as text: a protocol-0 `GLOBAL` of a command module (`cos\nsystem\n`),
/// a binary stream decoded as Latin-1, or Python bytes escapes of a pickle header.
fn pickle_text(text: &str, found: &mut Vec<Match>) {
    let bytes = text.as_bytes();
    for module in PICKLE_MODULES {
        let needle = format!("c{module}\n");
        for (start, _) in text.match_indices(&needle).take(crate::PER_NEEDLE) {
            let at_boundary = start == 0 || !ident(bytes[start - 1]);
            let name = &bytes[start + needle.len()..];
            let name_len = name.iter().take_while(|b| ident(**b)).count();
            if at_boundary && name_len > 0 && name.get(name_len) == Some(&b'\n') {
                found.push(Match {
                    start,
                    kind: Kind::Code,
                    level: Level::Medium,
                    what: "pickle GLOBAL opcode importing a command module",
                });
            }
        }
    }
    let mut chars = text.chars();
    if chars.next() == Some('\u{80}')
        && chars
            .next()
            .is_some_and(|c| ('\u{2}'..='\u{5}').contains(&c))
    {
        found.push(Match {
            start: 0,
            kind: Kind::Code,
            level: Level::Medium,
            what: "binary pickle stream",
        });
    }
    for protocol in ["\\x80\\x02", "\\x80\\x03", "\\x80\\x04", "\\x80\\x05"] {
        if let Some(start) = text.find(protocol) {
            found.push(Match {
                start,
                kind: Kind::Code,
                level: Level::Medium,
                what: "pickle header written as byte escapes",
            });
        }
    }
}

/// A decoded blob that is a pickle: protocol 2-5 header with a global import.
pub fn pickle_bytes(bytes: &[u8]) -> Option<&'static str> {
    let header = bytes.len() > 3 && bytes[0] == 0x80 && (2..=5).contains(&bytes[1]);
    // GLOBAL (`c`), STACK_GLOBAL (0x93) or REDUCE (`R`) somewhere after the header.
    let imports = bytes
        .iter()
        .skip(2)
        .any(|b| matches!(b, b'c' | 0x93 | b'R'));
    (header && imports).then_some("base64-encoded pickle stream")
}
