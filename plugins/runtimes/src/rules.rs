//! Rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const COREML_STRUCTURE: &str = "coreml-structure";
pub const COREML_CUSTOM: &str = "coreml-custom-code";
pub const COREML_PATH: &str = "coreml-external-path";
pub const EXECUTORCH_STRUCTURE: &str = "executorch-structure";
pub const EXECUTORCH_DELEGATES: &str = "executorch-delegates";
pub const TENSORRT_OPAQUE: &str = "tensorrt-opaque-engine";
pub const TENSORRT_LIBRARY: &str = "tensorrt-plugin-library";
pub const OPENVINO_STRUCTURE: &str = "openvino-structure";
pub const OPENVINO_DOCTYPE: &str = "openvino-doctype";
pub const OPENVINO_EXTENSION: &str = "openvino-extension-op";
pub const OPENVINO_EXTERNAL: &str = "openvino-external-reference";

const COREML_REFS: &[&str] = &[
    "https://github.com/apple/coremltools/blob/main/mlmodel/format/Model.proto",
    "https://github.com/apple/coremltools/blob/main/mlmodel/format/CustomModel.proto",
    "https://github.com/apple/coremltools/blob/main/mlmodel/format/LinkedModel.proto",
];
const EXECUTORCH_REFS: &[&str] = &[
    "https://github.com/pytorch/executorch/blob/main/schema/program.fbs",
    "https://pytorch.org/executorch/stable/pte-file-format.html",
];
const TENSORRT_REFS: &[&str] = &[
    "https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/advanced.html#version-compatibility",
    "https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/extending-custom-layers.html",
];

const OPENVINO_IR: &str =
    "https://docs.openvino.ai/2024/documentation/openvino-ir-format/operation-sets.html";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(COREML_STRUCTURE, "Well-formed CoreML model", Severity::Medium, "integrity")
            .description("The `.mlmodel` decodes as a protobuf `Model` (specificationVersion, description, one model type) and an `.mlpackage` Manifest.json as JSON with item entries. A model that does not decode was not written by coremltools.")
            .cwe(&[20])
            .remediation("Re-export the model with coremltools from a trusted source.")
            .references(COREML_REFS),
        Rule::new(COREML_CUSTOM, "No custom model or custom layer", Severity::Medium, "code-execution")
            .description("A `customModel` (Model field 555) or a neural network `custom` layer (NeuralNetworkLayer field 500) names an Objective-C/Swift class the app must supply: loading the model runs that native code, which the file does not contain and Cordon cannot check.")
            .cwe(&[829])
            .attack(&["AML.T0010", "AML.T0011"])
            .remediation("Load the model only in an app whose custom class you have reviewed.")
            .references(COREML_REFS)
            .false_positives("Apps that ship their own custom layers on purpose."),
        Rule::new(COREML_PATH, "No model path outside the package", Severity::High, "tampering")
            .description("A `linkedModel` (Model field 556: LinkedModelFile linkedModelFileName/linkedModelSearchPath) or an `.mlpackage` Manifest.json `path` that is absolute, starts with `~` or climbs with `..` makes CoreML load a model from elsewhere on the device instead of the one reviewed.")
            .cwe(&[22, 73])
            .attack(&["AML.T0018"])
            .remediation("Keep linked models and package items inside the bundle, with relative paths.")
            .references(COREML_REFS),
        Rule::new(EXECUTORCH_STRUCTURE, "Well-formed ExecuTorch program", Severity::Medium, "integrity")
            .description("A `.pte` file is a FlatBuffers `Program` with file identifier `ETxx` at offset 4, an optional extended header (`eh00`) whose program and segment offsets lie within the file, and a root table inside the buffer.")
            .cwe(&[20, 125])
            .remediation("Re-export the program with ExecuTorch from a trusted source.")
            .references(EXECUTORCH_REFS),
        Rule::new(EXECUTORCH_DELEGATES, "Delegate payloads inspected", Severity::Low, "code-execution")
            .description("ExecuTorch delegates hand opaque, backend-compiled blobs (XNNPACK, CoreML, QNN, Vulkan...) to native backends. Cordon does not decode the execution plans and their delegate ids, so this is recorded as skipped, never passed.")
            .cwe(&[829])
            .remediation("Review the backends the program was lowered to before running it.")
            .references(EXECUTORCH_REFS),
        Rule::new(TENSORRT_OPAQUE, "TensorRT engine contents", Severity::High, "code-execution")
            .description("A serialized TensorRT engine is compiled GPU code (and, for version-compatible engines, an embedded lean runtime) that TensorRT runs as is; it has no published format. Cordon records it as skipped rather than failed: being an engine is not evidence of tampering, and a High failure on every engine would bury real findings, but the engine is never reported as verified. Only load engines you built or whose build you trust.")
            .cwe(&[829, 494])
            .attack(&["AML.T0010", "AML.T0011"])
            .remediation("Rebuild the engine from an inspectable model (ONNX) on the target machine instead of loading a shipped one.")
            .references(TENSORRT_REFS),
        Rule::new(TENSORRT_LIBRARY, "No native plugin library in the engine", Severity::Medium, "code-execution")
            .description("Printable names of shared libraries (`lib*.so`, `*.dll`) in the first MiBs of an engine: plugin libraries the engine asks TensorRT to load (Medium). An ELF or PE image embedded in the engine (serialized plugin libraries or a lean runtime) is native host code that runs when the engine is deserialized (High).")
            .cwe(&[829, 494])
            .attack(&["AML.T0010", "T1129"])
            .remediation("Check where each plugin library comes from; refuse engines that embed native code you did not build.")
            .references(TENSORRT_REFS)
            .false_positives("Engines built with NVIDIA's own plugin library (libnvinfer_plugin) reference it by name."),
        Rule::new(OPENVINO_STRUCTURE, "Well-formed OpenVINO IR", Severity::Medium, "integrity")
            .description("The IR must be well-formed XML with a <net> root and layers that have an id and a type; depth and element counts are bounded.")
            .cwe(&[20])
            .remediation("Re-export the model with OpenVINO's converter.")
            .references(&[OPENVINO_IR]),
        Rule::new(OPENVINO_DOCTYPE, "No DOCTYPE or entities", Severity::High, "exfiltration")
            .description("Converters never write a DOCTYPE. Entity declarations can make an XML parser read local files or expand exponentially (XXE, billion laughs); Cordon never expands them.")
            .cwe(&[611, 776])
            .attack(&["AML.T0010", "T1005"])
            .remediation("Do not load the file with a parser that resolves entities; re-export it.")
            .references(&[OPENVINO_IR, "https://cwe.mitre.org/data/definitions/611.html"]),
        Rule::new(OPENVINO_EXTENSION, "Only OpenVINO opset operations", Severity::Medium, "code-execution")
            .description("A layer whose version is not an OpenVINO opset is an extension operation: the model only runs with a native extension library the user loads.")
            .cwe(&[829])
            .attack(&["AML.T0010"])
            .remediation("Review the extension library that implements the operation before loading it.")
            .references(&["https://docs.openvino.ai/2024/documentation/openvino-extensibility.html"])
            .false_positives("Models converted with trusted extensions (e.g. OpenVINO tokenizers) use their own operation sets."),
        Rule::new(OPENVINO_EXTERNAL, "No reference outside the model", Severity::Low, "tampering")
            .description("Attribute values that are URLs, absolute paths or climb with .. point tools at files or hosts outside the model.")
            .cwe(&[22])
            .remediation("Check what the reference points to before deploying the model.")
            .references(&[OPENVINO_IR]),
    ]
}
