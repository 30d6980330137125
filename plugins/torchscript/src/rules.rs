//! Rule catalog and the call policy.

use cordon_plugin_sdk::{Rule, Severity};

pub const DANGEROUS_CALL: &str = "torchscript-dangerous-call";
pub const CUSTOM_OP: &str = "torchscript-custom-op";
pub const CODE: &str = "torchscript-code";

/// Operator namespaces PyTorch itself registers.
const BUILTIN_NAMESPACES: &[&str] = &[
    "aten",
    "prim",
    "quantized",
    "_quantized",
    "quantized_decomposed",
    "profiler",
    "_caffe2",
    "cuda",
    "_c10d_functional",
    "c10d",
    "sparse",
    "xnnpack",
    "prepacked",
    "mkldnn",
    "mkldnn_prepacked",
    "fbgemm",
    "rngprims",
    "higher_order",
    "_test",
];

/// Why a call is dangerous, if it is.
pub fn dangerous(name: &str) -> Option<&'static str> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let first = name.split('.').next().unwrap_or(name);
    if matches!(
        first,
        "os" | "subprocess"
            | "sys"
            | "builtins"
            | "__builtins__"
            | "importlib"
            | "socket"
            | "shutil"
            | "pty"
            | "ctypes"
            | "posix"
            | "nt"
            | "runpy"
            | "pickle"
            | "marshal"
    ) {
        return Some("a Python module TorchScript cannot contain: the archive was crafted");
    }
    if matches!(
        last,
        "eval"
            | "exec"
            | "compile"
            | "__import__"
            | "execfile"
            | "getattr"
            | "setattr"
            | "globals"
            | "open"
            | "system"
            | "popen"
    ) {
        return Some("code execution or file access that TorchScript never serializes");
    }
    if matches!(
        last,
        "load_library" | "from_file" | "_load_for_lite_interpreter"
    ) || name.ends_with("torch.load")
        || name.ends_with("torch.save")
    {
        return Some("loads native code or reads and writes files at load time");
    }
    None
}

/// The namespace of a `torch.ops.<ns>.<op>` call outside PyTorch's own.
pub fn custom_op_namespace(name: &str) -> Option<&str> {
    let rest = name
        .strip_prefix("torch.ops.")
        .or_else(|| name.strip_prefix("ops."))?;
    let (namespace, op) = rest.split_once('.')?;
    (!op.is_empty() && !BUILTIN_NAMESPACES.contains(&namespace)).then_some(namespace)
}

pub fn catalog() -> Vec<Rule> {
    let refs = &[
        "https://pytorch.org/docs/stable/jit.html",
        "https://pytorch.org/docs/stable/generated/torch.jit.load.html",
    ];
    vec![
        Rule::new(DANGEROUS_CALL, "No code execution or file access in TorchScript", Severity::Critical, "code-execution")
            .description("TorchScript code in a PyTorch archive is compiled and run by torch.jit.load. Calls to Python modules, eval/exec, library loading or file-reading operators never come from torch.jit.save.")
            .cwe(&[94, 502])
            .attack(&["AML.T0010", "AML.T0011", "T1059.006"])
            .remediation("Do not load the archive; obtain the model from a trusted source or as safetensors.")
            .references(refs),
        Rule::new(CUSTOM_OP, "Only built-in operators", Severity::Medium, "code-execution")
            .description("torch.ops namespaces other than PyTorch's own are registered by a native library the user must load; the model depends on native code outside the file.")
            .cwe(&[829])
            .attack(&["AML.T0010"])
            .remediation("Review the library that provides the operators before loading it.")
            .references(refs)
            .false_positives("Models built with torchvision, torchaudio or other trusted extension libraries use their operator namespaces."),
        Rule::new(CODE, "TorchScript code is inspectable", Severity::Low, "integrity")
            .description("The stored code must be UTF-8 text of a reasonable size to be inspected.")
            .cwe(&[20])
            .remediation("Re-export the model with torch.jit.save.")
            .references(refs),
    ]
}
