//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "tflite-structure";
pub const LIMITS: &str = "tflite-limits";
pub const FLEX_OP: &str = "tflite-flex-op";
pub const CUSTOM_OP: &str = "tflite-custom-op";
pub const OPCODE_INDEX: &str = "tflite-opcode-index";
pub const TENSOR_BUFFER: &str = "tflite-tensor-buffer";
pub const TENSOR_SHAPE: &str = "tflite-tensor-shape";
pub const BUFFER_BOUNDS: &str = "tflite-buffer-bounds";
pub const BUFFER_SIZE: &str = "tflite-buffer-size";
pub const METADATA: &str = "tflite-metadata";

const SCHEMA: &str = "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/compiler/mlir/lite/schema/schema.fbs";
const FLEX: &str = "https://ai.google.dev/edge/litert/models/ops_select";
const CUSTOM: &str = "https://ai.google.dev/edge/litert/models/ops_custom";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "Flatbuffer structure is in bounds", Severity::High, "integrity")
            .description("Every offset, vtable, vector and string of the model must lie inside the file, and the schema version must be 3. Out-of-bounds offsets make interpreters that skip the flatbuffer verifier read arbitrary memory.")
            .cwe(&[125, 20])
            .remediation("Do not load the file; re-convert the model with a trusted converter.")
            .references(&[SCHEMA]),
        Rule::new(LIMITS, "Model is within inspection limits", Severity::Medium, "denial-of-service")
            .description("Element counts above the plugin's limits are not inspected in full; the check names what was skipped.")
            .cwe(&[400])
            .remediation("Inspect the model with other tools before loading it.")
            .references(&[SCHEMA]),
        Rule::new(FLEX_OP, "No TensorFlow (Flex) operators", Severity::Medium, "code-execution")
            .description("Custom codes starting with `Flex` run full TensorFlow kernels through the Flex delegate. `FlexPyFunc` and `FlexEagerPyFunc` call Python functions of the loading process; file ops read and write the host's files.")
            .cwe(&[94, 829])
            .attack(&["AML.T0011.000", "T1059.006"])
            .remediation("Do not load models with PyFunc ops; for other Flex ops, check that each TensorFlow op is expected for this model and run it without the Flex delegate where possible.")
            .references(&[FLEX, SCHEMA])
            .false_positives("Models converted with SELECT_TF_OPS legitimately use Flex ops such as FlexRFFT."),
        Rule::new(CUSTOM_OP, "No custom operators", Severity::Medium, "code-execution")
            .description("Custom operators run native kernels that the application must register; a model that needs one depends on code outside the model.")
            .cwe(&[829])
            .attack(&["AML.T0011.000"])
            .remediation("Verify that every listed custom op comes from a trusted kernel library.")
            .references(&[CUSTOM, SCHEMA])
            .false_positives("Detection postprocessing (TFLite_Detection_PostProcess) and MediaPipe models use well-known custom ops."),
        Rule::new(OPCODE_INDEX, "Operators name existing operator codes", Severity::High, "integrity")
            .description("Each operator's opcode_index must be below the number of operator codes.")
            .cwe(&[129])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SCHEMA]),
        Rule::new(TENSOR_BUFFER, "Tensors name existing buffers", Severity::High, "integrity")
            .description("Each tensor's buffer index must be below the number of buffers.")
            .cwe(&[129])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SCHEMA]),
        Rule::new(TENSOR_SHAPE, "Tensor shapes are sane", Severity::Medium, "integrity")
            .description("Shapes must have non-negative dimensions, a rank of at most 64 and an element count that fits in 64 bits.")
            .cwe(&[190, 20])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SCHEMA]),
        Rule::new(BUFFER_BOUNDS, "External buffers lie inside the file", Severity::High, "integrity")
            .description("In the external-buffer layout (models above 2 GB) a buffer's offset and size point into the file after the flatbuffer; they must stay inside it.")
            .cwe(&[125])
            .remediation("The file is corrupt, truncated or crafted; do not load it.")
            .references(&[SCHEMA]),
        Rule::new(BUFFER_SIZE, "Constant data matches tensor shape and type", Severity::Medium, "integrity")
            .description("A tensor with constant data needs exactly shape x element-size bytes; other lengths make kernels read past the data or hide extra bytes.")
            .cwe(&[131])
            .remediation("Re-convert the model with a trusted converter.")
            .references(&[SCHEMA]),
        Rule::new(METADATA, "Metadata entries are well formed", Severity::Low, "integrity")
            .description("Model metadata entries must name existing buffers.")
            .cwe(&[20])
            .remediation("Re-convert the model; some runtimes reject the file.")
            .references(&[SCHEMA]),
    ]
}
