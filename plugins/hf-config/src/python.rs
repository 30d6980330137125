//! A `.py` file shipped with a model: custom code. Recorded, with its imports and
//! classes, and each call that runs processes, evaluates code, loads native code or
//! opens network connections is a finding. Comments and docstrings are skipped.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};

use crate::rules;

/// A call pattern. `bare`: a builtin that must not follow `.` or a name character
/// (so `model.eval(` and `re.compile(` are not matches).
struct Call {
    text: &'static str,
    what: &'static str,
    bare: bool,
}

const fn call(text: &'static str, what: &'static str) -> Call {
    Call {
        text,
        what,
        bare: false,
    }
}

const fn builtin(text: &'static str, what: &'static str) -> Call {
    Call {
        text,
        what,
        bare: true,
    }
}

const CALLS: &[Call] = &[
    call("os.system(", "runs a shell command (os.system)"),
    call("os.popen(", "runs a shell command (os.popen)"),
    call("os.exec", "replaces the process (os.exec*)"),
    call("os.spawn", "starts a process (os.spawn*)"),
    call("subprocess.", "starts a process (subprocess)"),
    call("from subprocess import", "starts a process (subprocess)"),
    call("import subprocess", "starts a process (subprocess)"),
    call("pty.spawn(", "starts a process (pty.spawn)"),
    builtin("eval(", "evaluates code (eval)"),
    builtin("exec(", "executes code (exec)"),
    builtin(
        "__import__(",
        "imports a module by computed name (__import__)",
    ),
    builtin("compile(", "compiles code (compile)"),
    call("marshal.loads(", "loads code objects (marshal.loads)"),
    call("ctypes.", "loads native code (ctypes)"),
    call("import ctypes", "loads native code (ctypes)"),
    call("import socket", "opens network connections (socket)"),
    call("socket.socket(", "opens network connections (socket)"),
    call("urllib.request", "downloads (urllib.request)"),
    call("urlopen(", "downloads (urlopen)"),
    call("requests.get(", "downloads (requests)"),
    call("requests.post(", "uploads (requests)"),
    call("requests.put(", "uploads (requests)"),
    call("http.client", "opens HTTP connections (http.client)"),
    call("ftplib", "opens FTP connections (ftplib)"),
    call("smtplib", "sends mail (smtplib)"),
    call("paramiko", "opens SSH connections (paramiko)"),
];

/// Most imports and classes listed in the report.
const MAX_LISTED: usize = 30;

pub fn analyze(source: &str, out: &mut ScanOutput) {
    out.meta("format", "python-source");
    let mut failures = Vec::new();
    let mut imports: Vec<String> = Vec::new();
    let mut classes: Vec<String> = Vec::new();
    let mut docstring: Option<&str> = None;
    let mut lines = 0;
    for (n, raw) in source.lines().enumerate() {
        lines += 1;
        let line = code_part(raw, &mut docstring);
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("class ") {
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && classes.len() < MAX_LISTED {
                classes.push(name);
            }
        }
        for prefix in ["import ", "from "] {
            if let Some(rest) = trimmed.strip_prefix(prefix) {
                let module: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                    .collect();
                if !module.is_empty() && !imports.contains(&module) && imports.len() < MAX_LISTED {
                    imports.push(module);
                }
            }
        }
        for c in CALLS {
            for (at, _) in line.match_indices(c.text) {
                let before = line[..at].chars().next_back();
                if c.bare && before.is_some_and(|b| b == '.' || b.is_alphanumeric() || b == '_') {
                    continue;
                }
                failures.push(
                    Check::failed(rules::PYTHON_SOURCE, format!("line {}: {}", n + 1, c.what))
                        .severity(Severity::Medium)
                        .locator(format!("line {}", n + 1))
                        .evidence("code", raw.trim().chars().take(120).collect::<String>()),
                );
                break;
            }
        }
    }
    out.meta("lines", lines);
    if !imports.is_empty() {
        out.meta("python-imports", imports.join(","));
    }
    if !classes.is_empty() {
        out.meta("python-classes", classes.join(","));
    }
    if failures.is_empty() {
        let listed = if classes.is_empty() {
            String::new()
        } else {
            format!(", classes {}", classes.join(", "))
        };
        failures.push(
            Check::failed(
                rules::PYTHON_SOURCE,
                format!("Python source shipped with the model: custom code that trust_remote_code runs ({lines} lines{listed}); no process, eval, native or network calls"),
            )
            .severity(Severity::Low),
        );
    }
    out.outcome(rules::PYTHON_SOURCE, failures, "no Python source");
}

/// The part of a line that is code: without its comment, and empty inside a
/// docstring. `docstring` carries an open triple quote across lines.
fn code_part<'a>(line: &'a str, docstring: &mut Option<&'static str>) -> &'a str {
    let mut rest = line;
    if let Some(quote) = *docstring {
        match rest.find(quote) {
            Some(end) => {
                *docstring = None;
                rest = &rest[end + 3..];
            }
            None => return "",
        }
    }
    let mut quote: Option<char> = None;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                let triple: &'static str = if c == '"' { "\"\"\"" } else { "'''" };
                if !rest[i..].starts_with(triple) {
                    quote = Some(c);
                    continue;
                }
                let Some(end) = rest[i + 3..].find(triple) else {
                    *docstring = Some(triple);
                    return &rest[..i];
                };
                let after = i + 3 + end + 3;
                while chars.peek().is_some_and(|(j, _)| *j < after) {
                    chars.next();
                }
            }
            None if c == '#' => return &rest[..i],
            None => {}
        }
    }
    rest
}
