//! The dangerous tier must cover the union of the picklescan, modelscan and
//! ModelAudit denylists, as transcribed in the project's threat data
//! (`shared/design/threats`). Each listed global is imported by a pickle
//! built here and must be reported as a critical dangerous global.

mod common;

use std::path::PathBuf;

use common::*;
use cordon_plugin_pickle::Severity;

fn threats_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CORDON_THREATS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/design/threats")
        });
    dir.join("picklescan-unsafe-globals.txt")
        .is_file()
        .then_some(dir)
}

/// A name that no real module defines, to probe module-wide entries.
const PROBE: &str = "anything_at_all";

fn names(list: &str) -> Vec<String> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            if n == "*" {
                PROBE.to_owned()
            } else {
                n.to_owned()
            }
        })
        .collect()
}

/// `module -> a, b` lines (picklescan, modelscan), up to `stop`.
fn arrow_lists(text: &str, stop: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with(stop) {
            break;
        }
        let Some((module, list)) = line.split_once(" -> ") else {
            continue;
        };
        for name in names(list) {
            out.push((module.trim().to_owned(), name));
        }
    }
    out
}

/// ModelAudit's policy transcription.
fn modelaudit(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut builtin_modules = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(list) = line.strip_prefix("# BUILTIN_MODULES = ") {
            builtin_modules = names(list);
        } else if let Some(list) = line.strip_prefix("# BUILTIN_DANGEROUS_NAMES (critical): ") {
            for module in &builtin_modules {
                for name in names(list) {
                    out.push((module.clone(), name));
                }
            }
        } else if let Some(list) =
            line.strip_prefix("# Always critical if any dotted component of name is: ")
        {
            for attr in names(list) {
                out.push(("somemodule".into(), format!("Thing.{attr}")));
            }
        } else if let Some(list) = line.strip_prefix("# WARNING-level: ") {
            for item in list.split(';').map(str::trim) {
                let (module, name) = item.rsplit_once('.').unwrap();
                match name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    Some(alternatives) => {
                        for n in alternatives.split(',') {
                            out.push((module.to_owned(), n.to_owned()));
                        }
                    }
                    None if name == "*" => out.push((module.to_owned(), PROBE.to_owned())),
                    None => out.push((module.to_owned(), name.to_owned())),
                }
            }
        } else if line.starts_with("# DANGEROUS_WILDCARD_MODULES") {
            for module in names(lines.next().unwrap()) {
                out.push((module, PROBE.to_owned()));
            }
        } else if !line.starts_with('#') {
            let Some((modules, list)) = line.split_once(": ") else {
                continue;
            };
            // "(+ PosixPath./WindowsPath. open/write_bytes)" annotations.
            let (list, extra) = match list.split_once("(+ ") {
                Some((list, extra)) => (list, Some(extra.trim_end_matches(')'))),
                None => (list, None),
            };
            for module in modules.split(", ") {
                for name in names(list) {
                    out.push((module.to_owned(), name));
                }
                if let Some((prefixes, attrs)) = extra.and_then(|e| e.split_once(' ')) {
                    for prefix in prefixes.split('/') {
                        for attr in attrs.split('/') {
                            out.push((module.to_owned(), format!("{prefix}{attr}")));
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn union_of_published_denylists_is_dangerous() {
    let Some(dir) = threats_dir() else {
        eprintln!("threat lists not found (set CORDON_THREATS); skipping");
        return;
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let mut entries = arrow_lists(&read("picklescan-unsafe-globals.txt"), "# _safe_globals");
    entries.extend(arrow_lists(
        &read("modelscan-unsafe-globals.txt"),
        "[MEDIUM]",
    ));
    entries.extend(modelaudit(&read("modelaudit-policy-globals.txt")));
    assert!(entries.len() > 300, "parsed only {} entries", entries.len());
    let mut missed = Vec::new();
    for (module, name) in &entries {
        let a = run(P::new().global(module, name).stop().bytes());
        let critical = failed(&a, "pickle-dangerous-global")
            .iter()
            .any(|f| f.severity == Severity::Critical);
        if !critical {
            missed.push(format!("{module}.{name}"));
        }
    }
    assert!(missed.is_empty(), "not dangerous: {missed:#?}");
}
