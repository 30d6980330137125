//! An example third-party plugin for a made-up format, "toy model" (`.toym`):
//!
//! ```text
//! TOYM1
//! name=tiny-classifier
//! weights=https://example.com/w.bin
//! exec=python -c 'import os'
//! ```
//!
//! A magic line, then `key=value` lines. The `exec` key is the format's (made-up)
//! way to run a command when the model loads, so it is what this plugin hunts for.

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, Rule, ScanError, ScanOutput, Severity,
    register_plugin,
};

const MAGIC: &[u8] = b"TOYM1\n";
/// The format caps files at 1 MiB; anything bigger is not a toy model.
const MAX_SIZE: u64 = 1 << 20;

struct ToyModel;

impl Plugin for ToyModel {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "toy-model".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Example plugin: flags load-time commands in .toym files".into(),
            formats: vec![FormatClaim::new("toy-model", &["toym"]).magic(0, MAGIC)],
            rules: vec![
                Rule::new(
                    "toy-structure",
                    "File is a well-formed toy model",
                    Severity::Medium,
                    "integrity",
                )
                .description("Magic line, then key=value lines, at most 1 MiB.")
                .cwe(&[20])
                .remediation("Regenerate the file with the toy exporter."),
                Rule::new(
                    "toy-exec",
                    "No load-time command",
                    Severity::Critical,
                    "code-execution",
                )
                .description("An `exec=` line runs a shell command when the model is loaded.")
                .cwe(&[78, 94])
                .attack(&["AML.T0010", "T1059"])
                .remediation("Do not load the file; remove the exec line from a trusted copy."),
            ],
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        if input.size() > MAX_SIZE {
            return Err(ScanError::Limit(format!(
                "{} bytes is over the 1 MiB toy-model cap",
                input.size()
            )));
        }
        let bytes = input.read_at(0, input.size() as usize)?;
        let Some(body) = bytes.strip_prefix(MAGIC) else {
            return Err(ScanError::Unsupported("no TOYM1 magic line".into()));
        };
        let mut out = ScanOutput::default();
        out.meta("format", "toy-model");
        let text = String::from_utf8_lossy(body);
        let mut offset = MAGIC.len() as u64;
        let mut execs = 0;
        let mut malformed = 0;
        for line in text.lines() {
            match line.split_once('=') {
                Some(("exec", command)) => {
                    execs += 1;
                    out.push(
                        Check::failed("toy-exec", format!("load-time command: {command}"))
                            .offset(offset)
                            .evidence("command", command),
                    );
                }
                Some(("name", name)) => out.meta("name", name),
                Some(_) => {}
                None if line.is_empty() => {}
                None => malformed += 1,
            }
            offset += line.len() as u64 + 1;
        }
        if execs == 0 {
            out.push(Check::passed("toy-exec", "no exec lines"));
        }
        out.push(match malformed {
            0 => Check::passed("toy-structure", "every line is key=value"),
            n => Check::failed("toy-structure", format!("{n} lines are not key=value")),
        });
        Ok(out)
    }
}

register_plugin!(ToyModel);
