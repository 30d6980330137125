//! Cordon plugin for TorchScript code: the `code/**.py` members of a
//! `torch.jit.save` archive, which `torch.jit.load` compiles and runs.
//!
//! TorchScript is a restricted Python subset: its serializer never writes
//! imports of `os` or calls to `eval`, so such names in a stored module mean the
//! archive was crafted. Custom operator namespaces need a native library that
//! registers them, and file-reading operators reach outside the model.

mod calls;
mod rules;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput, register_plugin,
};

/// TorchScript modules are small; anything bigger is not inspected in full.
const MAX_CODE_BYTES: usize = 16 << 20;

struct TorchScript;

impl Plugin for TorchScript {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "torchscript".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "dangerous calls and custom operators in TorchScript code".into(),
            // Routed only by the zip plugin's hint for `code/` members of a PyTorch archive.
            formats: vec![FormatClaim::new("torchscript", &[])],
            rules: rules::catalog(),
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let bytes = input.read_at(0, MAX_CODE_BYTES)?;
        let mut out = ScanOutput::default();
        out.meta("format", "torchscript");
        if input.size() > MAX_CODE_BYTES as u64 {
            out.push(Check::error(
                rules::CODE,
                format!(
                    "only the first {MAX_CODE_BYTES} of {} bytes were inspected",
                    input.size()
                ),
            ));
        }
        let Ok(code) = std::str::from_utf8(&bytes) else {
            out.push(Check::failed(
                rules::CODE,
                "code is not UTF-8 text: not something torch.jit.save writes",
            ));
            return Ok(out);
        };
        analyze(code, &mut out);
        Ok(out)
    }
}

register_plugin!(TorchScript);

/// Record every call in `code` against the rules.
pub fn analyze(code: &str, out: &mut ScanOutput) {
    let calls = calls::dotted_calls(code);
    out.meta("calls", calls.len());
    let mut dangerous = 0;
    let mut custom = std::collections::BTreeSet::new();
    for call in &calls {
        if let Some(reason) = rules::dangerous(&call.name) {
            dangerous += 1;
            out.push(
                Check::failed(
                    rules::DANGEROUS_CALL,
                    format!("calls `{}`: {reason}", call.name),
                )
                .offset(call.offset as u64)
                .locator(format!("line {}", call.line))
                .evidence("call", &call.name),
            );
        } else if let Some(namespace) = rules::custom_op_namespace(&call.name) {
            custom.insert(namespace.to_string());
        }
    }
    if dangerous == 0 {
        out.push(Check::passed(
            rules::DANGEROUS_CALL,
            format!(
                "{} calls, none to code execution, files or processes",
                calls.len()
            ),
        ));
    }
    if custom.is_empty() {
        out.push(Check::passed(
            rules::CUSTOM_OP,
            "only built-in operator namespaces",
        ));
    } else {
        let list = custom.into_iter().collect::<Vec<_>>().join(", ");
        out.push(
            Check::failed(
                rules::CUSTOM_OP,
                format!("custom operator namespaces need a native library: {list}"),
            )
            .evidence("namespaces", &list),
        );
        out.meta("custom-op-namespaces", list);
    }
    out.push(Check::passed(rules::CODE, "code is UTF-8 text"));
}

#[cfg(test)]
mod tests {
    use cordon_plugin_sdk::Status;

    use super::*;

    fn failed(code: &str) -> Vec<(String, String)> {
        let mut out = ScanOutput::default();
        analyze(code, &mut out);
        out.checks
            .into_iter()
            .filter(|c| c.status == Status::Failed)
            .map(|c| (c.rule, c.message))
            .collect()
    }

    const BENIGN: &str = r#"class Net(Module):
  __parameters__ = ["weight", ]
  weight : Tensor
  def forward(self: __torch__.Net, x: Tensor) -> Tensor:
    # os.system("not code: a comment")
    y = torch.linear(x, self.weight)
    z = torch.ops.aten.relu(y)
    msg = "subprocess.run('ls')"
    return torch.add(z, ops.prim.NumToTensor(1))
"#;

    #[test]
    fn serialized_modules_pass() {
        assert!(failed(BENIGN).is_empty(), "{:?}", failed(BENIGN));
    }

    #[test]
    fn python_escapes_are_flagged_with_their_line() {
        let code = "def forward(self, x):\n  __import__(\"os\").system(\"id\")\n  return builtins.eval(x)\n";
        let f = failed(code);
        let names: Vec<_> = f
            .iter()
            .map(|(_, m)| m.split('`').nth(1).unwrap())
            .collect();
        assert_eq!(names, vec!["__import__", "system", "builtins.eval"]);
        let mut out = ScanOutput::default();
        analyze(code, &mut out);
        let first = out
            .checks
            .iter()
            .find(|c| c.rule == rules::DANGEROUS_CALL)
            .unwrap();
        assert_eq!(
            first.location.as_ref().unwrap().locator.as_deref(),
            Some("line 2")
        );
    }

    #[test]
    fn file_operators_and_library_loading_are_flagged() {
        let f = failed(
            "x = torch.from_file(\"/etc/passwd\", True, 10)\ntorch.ops.load_library(\"/tmp/evil.so\")\n",
        );
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn custom_namespaces_are_listed() {
        let f = failed("y = torch.ops.evilcorp.run(x)\nz = torch.ops.aten.mul(y, y)\n");
        assert_eq!(
            f,
            vec![(
                rules::CUSTOM_OP.to_string(),
                "custom operator namespaces need a native library: evilcorp".to_string()
            )]
        );
    }
}
