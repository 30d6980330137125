//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "onnx-structure";
pub const EXTERNAL_DATA: &str = "onnx-external-data-path";
pub const PYTHON_OP: &str = "onnx-python-op";
pub const CUSTOM_DOMAIN: &str = "onnx-custom-domain";
pub const TENSOR_SIZE: &str = "onnx-tensor-size";
pub const GRAPH_DEPTH: &str = "onnx-graph-depth";

const PROTO: &str = "https://github.com/onnx/onnx/blob/main/onnx/onnx.proto";
const EXTERNAL_DATA_DOC: &str = "https://github.com/onnx/onnx/blob/main/docs/ExternalData.md";
const CVE_2022_25882: &str = "https://nvd.nist.gov/vuln/detail/CVE-2022-25882";
const CVE_2024_27318: &str = "https://nvd.nist.gov/vuln/detail/CVE-2024-27318";
const PYOP: &str = "https://github.com/microsoft/onnxruntime-extensions/blob/main/docs/pyop.md";
const CUSTOM_OPS: &str = "https://onnxruntime.ai/docs/reference/operators/add-custom-op.html";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "Model is a well-formed ModelProto", Severity::Medium, "integrity")
            .description("The file must decode as a protobuf ModelProto to its end: valid tags and varints, no groups, every length inside its enclosing message. A file that does not is corrupt or crafted to confuse parsers, and the checks after the error could not run.")
            .cwe(&[20])
            .remediation("Do not load the file; obtain it again from a trusted source.")
            .references(&[PROTO]),
        Rule::new(EXTERNAL_DATA, "External tensor data stays inside the model directory", Severity::Critical, "exfiltration")
            .description("A tensor stored outside the model names its file in external_data[\"location\"], resolved against the model's directory. An absolute path, a drive letter, a URL or a `..` component makes the loader read (and some tools write) any file the user can reach, such as /etc/passwd or SSH keys, into the model's weights (CVE-2022-25882, CVE-2024-27318). Symbolic links inside the model directory cannot be seen from the file and are not checked.")
            .cwe(&[22, 23, 36])
            .attack(&["AML.T0010.003", "AML.T0011.000", "T1005"])
            .remediation("Do not load the model. If the external data is legitimate, re-export it with plain relative file names next to the .onnx file.")
            .references(&[EXTERNAL_DATA_DOC, CVE_2022_25882, CVE_2024_27318]),
        Rule::new(PYTHON_OP, "No Python-backed operators", Severity::High, "code-execution")
            .description("Nodes whose operator is implemented by a Python callable (PyOp, PythonOp, PyFunc..., Python operators of onnxruntime-extensions' ai.onnx.contrib domain) run arbitrary Python when the runtime has the callable registered, and are how ONNX graphs smuggle code.")
            .cwe(&[94, 829])
            .attack(&["AML.T0010.003", "AML.T0011.000", "T1059.006"])
            .remediation("Do not run the model in an environment that registers Python operators; find out what the callable does before using the model.")
            .references(&[PYOP, PROTO])
            .false_positives("Models exported on purpose with onnxruntime-extensions PyOps or ORTModule PythonOp for training."),
        Rule::new(CUSTOM_DOMAIN, "Operators come from standard domains", Severity::Low, "code-execution")
            .description("Nodes outside the ONNX and ONNX Runtime operator domains need a custom operator library, native code loaded into the runtime, to run. The finding lists each such domain and its operators; domains of functions defined in the model itself are not custom.")
            .cwe(&[829])
            .attack(&["AML.T0010.003"])
            .remediation("Find out which library implements the domain and load only a trusted build of it.")
            .references(&[CUSTOM_OPS, PROTO])
            .false_positives("Exporters and optimisers that emit their own domains (onnxruntime-extensions, TensorRT plugins, ATen fallbacks)."),
        Rule::new(TENSOR_SIZE, "Tensor data matches its shape and type", Severity::Medium, "integrity")
            .description("A tensor's data must hold exactly product(dims) elements of its data type: raw_data that many bytes (sub-byte types packed), typed fields that many values, and only one of them. A mismatch makes runtimes read past the data, or hides bytes no weight uses.")
            .cwe(&[130, 20])
            .attack(&["AML.T0018"])
            .remediation("The file is corrupt or crafted; re-export the model with a trusted tool.")
            .references(&[PROTO]),
        Rule::new(GRAPH_DEPTH, "Subgraph nesting is bounded", Severity::Medium, "denial-of-service")
            .description("Control-flow nodes (If, Loop, Scan) hold subgraphs in attributes, which may nest. Nesting beyond the scanner's bound is not inspected and is recorded as an error: such depth is only useful to exhaust recursive parsers.")
            .cwe(&[674, 400])
            .remediation("Inspect the model by other means before loading it.")
            .references(&[PROTO]),
    ]
}
