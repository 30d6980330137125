//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "tensorflow-structure";
pub const CODE_EXEC_OP: &str = "tensorflow-code-exec-op";
pub const FILE_ACCESS_OP: &str = "tensorflow-file-access-op";
pub const CHECKPOINT_PATH: &str = "tensorflow-checkpoint-path";
pub const KERAS_LAMBDA: &str = "tensorflow-keras-lambda";

const SECURITY: &str = "https://github.com/tensorflow/tensorflow/blob/master/SECURITY.md";
const SAVED_MODEL: &str = "https://www.tensorflow.org/guide/saved_model";
const GRAPH_PROTO: &str =
    "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/core/framework/graph.proto";
const PY_FUNCTION: &str = "https://www.tensorflow.org/api_docs/python/tf/py_function";
const RAW_OPS: &str = "https://www.tensorflow.org/api_docs/python/tf/raw_ops";
const KERAS_LAMBDA_DOC: &str = "https://keras.io/api/layers/core_layers/lambda/";
const CVE_2024_3660: &str = "https://nvd.nist.gov/vuln/detail/CVE-2024-3660";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "File is a well-formed TensorFlow protobuf", Severity::Medium, "integrity")
            .description("The file must decode as its protobuf message (SavedModel, MetaGraphDef, GraphDef or Keras SavedMetadata) to its end: valid tags and varints, no groups, every length inside its enclosing message. A file that does not is corrupt or crafted to confuse parsers, and the checks after the error could not run.")
            .cwe(&[20])
            .remediation("Do not load the file; obtain it again from a trusted source.")
            .references(&[GRAPH_PROTO, SAVED_MODEL]),
        Rule::new(CODE_EXEC_OP, "No operations that call into Python", Severity::Critical, "code-execution")
            .description("PyFunc, PyFuncStateless, EagerPyFunc and PyCall run a Python callable when the graph runs. A model that contains them executes code of its author's choosing in the loading process, with the user's privileges.")
            .cwe(&[94, 502])
            .attack(&["AML.T0010.003", "AML.T0011.000", "T1059.006"])
            .remediation("Do not load or run the model. Models are programs: run untrusted ones only in a sandbox.")
            .references(&[SECURITY, PY_FUNCTION]),
        Rule::new(FILE_ACCESS_OP, "No operations that read, write or list files", Severity::High, "exfiltration")
            .description("ReadFile, WriteFile, MatchingFiles and ImmutableConst reach the file system when the graph runs: a model can read secrets into its outputs, list directories, memory-map or overwrite files. The finding gives the path when it is a constant in the graph.")
            .cwe(&[73, 552])
            .attack(&["AML.T0010.003", "AML.T0011.000", "T1005", "T1083"])
            .remediation("Do not run the model until you know which files it touches and why.")
            .references(&[SECURITY, RAW_OPS])
            .false_positives("Graphs exported together with their input pipeline (reading images or text from disk)."),
        Rule::new(CHECKPOINT_PATH, "Checkpoint operations write and read inside the model", Severity::High, "tampering")
            .description("Save, SaveV2, SaveSlices, Restore, RestoreV2, RestoreSlice and MergeV2Checkpoints take their file prefix as an input tensor. Normally it is fed at run time; a constant that is absolute, climbs out with `..` or names a URL makes the graph overwrite or read files anywhere the user can write, or send weights to a remote file system.")
            .cwe(&[22, 23, 36])
            .attack(&["AML.T0010.003", "AML.T0011.000", "T1565.001"])
            .remediation("Do not run the model; re-export it so checkpoint paths are supplied at run time.")
            .references(&[SECURITY, RAW_OPS])
            .false_positives("TF1 graphs whose Saver was built with a hard-coded absolute checkpoint path."),
        Rule::new(KERAS_LAMBDA, "No Keras Lambda layers", Severity::High, "code-execution")
            .description("A Keras Lambda layer stores Python bytecode (marshalled and base64-encoded) in the model's metadata; loading the model rebuilds and runs it (CVE-2024-3660 bypassed safe_mode for it).")
            .cwe(&[94, 502])
            .attack(&["AML.T0010.003", "AML.T0011.000", "T1059.006"])
            .remediation("Do not load the model with Keras; rebuild the layer from reviewed source code and load only the weights.")
            .references(&[KERAS_LAMBDA_DOC, CVE_2024_3660, SECURITY])
            .false_positives("Models that use Lambda layers for simple, legitimate expressions; the code still runs at load."),
    ]
}
