//! Cordon plugin for executable content where a model is expected: ELF, PE and
//! Mach-O binaries, `#!` scripts, shell/batch/PowerShell files and executable
//! polyglots (Actually Portable Executables such as llamafiles, or programs
//! prepended to an archive, which the zip plugin hands back as
//! `unlisted-bytes@<offset>` members).
//!
//! It also sniffs files nothing else claims, so each parser accepts only a
//! header whose fixed fields are valid and declines everything else.

mod binary;
mod rules;
mod script;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, Severity,
    register_plugin,
};

/// Bytes of the input inspected: every header read lies within them.
const HEAD_BYTES: usize = 8192;

/// Extensions of model files: an executable named like one is masquerading.
const MODEL_EXTENSIONS: &[&str] = &[
    "bin",
    "pt",
    "pth",
    "ckpt",
    "pkl",
    "pickle",
    "joblib",
    "safetensors",
    "onnx",
    "gguf",
    "ggml",
    "h5",
    "hdf5",
    "keras",
    "pb",
    "tflite",
    "mlmodel",
    "npy",
    "npz",
    "model",
    "msgpack",
    "pte",
    "engine",
    "plan",
];

/// Name the zip plugin gives bytes outside an archive's entries.
const UNLISTED_PREFIX: &str = "unlisted-bytes@";

struct Executables;

impl Plugin for Executables {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "executables".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "native executables, scripts and executable polyglots as or inside model files"
                    .into(),
            formats: vec![
                FormatClaim::new(
                    "executable",
                    &["exe", "dll", "so", "dylib", "elf", "llamafile"],
                )
                .magic(0, b"\x7fELF")
                .magic(0, b"MZ")
                .magic(0, &[0xfe, 0xed, 0xfa, 0xce])
                .magic(0, &[0xfe, 0xed, 0xfa, 0xcf])
                .magic(0, &[0xce, 0xfa, 0xed, 0xfe])
                .magic(0, &[0xcf, 0xfa, 0xed, 0xfe])
                .magic(0, &[0xca, 0xfe, 0xba, 0xbe])
                .magic(0, b"#!/")
                .magic(0, b"#! /")
                .sniff(),
                FormatClaim::new(
                    "script",
                    &["sh", "bash", "zsh", "ksh", "bat", "cmd", "ps1", "psm1"],
                ),
            ],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let head = input.read_at(0, HEAD_BYTES)?;
        analyze(&input.name(), &head, input.size())
    }
}

register_plugin!(Executables);

/// Judge an input from its first bytes `head`, its `name` and total `size`.
pub fn analyze(name: &str, head: &[u8], size: u64) -> Result<ScanOutput, ScanError> {
    let ape = script::ape(head);
    let binary = binary::parse(head, size);
    let shebang = script::shebang(head);
    let extension = if binary.is_none() {
        script::script_extension(name, head)
    } else {
        None
    };
    if !ape && binary.is_none() && shebang.is_none() && extension.is_none() {
        return Err(ScanError::Unsupported(
            "no executable or script header".into(),
        ));
    }
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stub = base.starts_with(UNLISTED_PREFIX);
    let masquerading = base
        .rsplit_once('.')
        .is_some_and(|(_, ext)| MODEL_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()));
    let escalate = |check: Check| {
        if stub || masquerading {
            check.severity(Severity::Critical)
        } else {
            check
        }
    };
    let why_worse = if stub {
        " stored outside the archive's entries"
    } else if masquerading {
        " under a model file name"
    } else {
        ""
    };

    let mut out = ScanOutput::default();
    match &binary {
        Some(b) => {
            out.push(escalate(
                Check::failed(
                    rules::BINARY,
                    format!(
                        "{} {} for {}{why_worse}",
                        kind_label(b.kind),
                        b.role,
                        b.arch
                    ),
                )
                .offset(0)
                .evidence("kind", b.kind)
                .evidence("architecture", &b.arch),
            ));
            out.meta("executable-kind", b.kind);
            out.meta("executable-role", b.role);
            out.meta("architecture", &b.arch);
            if let Some(entry) = b.entry {
                out.meta("entry-point", format!("{entry:#x}"));
            }
        }
        None => out.push(Check::passed(rules::BINARY, "no ELF, PE or Mach-O header")),
    }
    match (&shebang, extension) {
        (Some(line), _) => {
            out.push(escalate(
                Check::failed(rules::SCRIPT, format!("script run by `{line}`{why_worse}"))
                    .offset(0)
                    .evidence("interpreter", line),
            ));
            out.meta("interpreter", line);
        }
        (None, Some(ext)) => out.push(escalate(
            Check::failed(rules::SCRIPT, format!("`.{ext}` script{why_worse}"))
                .evidence("extension", ext),
        )),
        (None, None) => out.push(Check::passed(
            rules::SCRIPT,
            "no interpreter line or script file name",
        )),
    }
    if shebang.is_some() || extension.is_some() {
        out.meta("executable-kind", "script");
    }
    if ape {
        out.push(
            Check::failed(
                rules::POLYGLOT,
                "Actually Portable Executable (llamafile/Cosmopolitan): the header is both a Windows program and a shell script",
            )
            .offset(0),
        );
        out.meta("polyglot", "ape");
    } else if stub {
        out.push(
            Check::failed(rules::POLYGLOT, "an executable prepended to an archive: the file runs as a program and opens as an archive")
                .offset(0)
                .evidence("member", base),
        );
        out.meta("polyglot", "prepended-executable");
    } else {
        out.push(Check::passed(rules::POLYGLOT, "not an executable polyglot"));
    }
    Ok(out)
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "elf" => "ELF",
        "pe" => "PE (Windows)",
        _ => "Mach-O",
    }
}

#[cfg(test)]
mod tests;
