//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const H5_STRUCTURE: &str = "keras-h5-structure";
pub const CONFIG_JSON: &str = "keras-config-json";
pub const LAMBDA_CODE: &str = "keras-lambda-code";
pub const DANGEROUS_MODULE: &str = "keras-dangerous-module";
pub const UNSAFE_FUNCTION: &str = "keras-unsafe-function";
pub const CUSTOM_OBJECT: &str = "keras-custom-object";
pub const EXTERNAL_REFERENCE: &str = "keras-external-reference";
pub const H5_ATTRIBUTE: &str = "keras-h5-unexpected-attribute";

/// Rules about the model configuration, skipped when a file has none.
pub const CONFIG_RULES: &[&str] = &[
    LAMBDA_CODE,
    DANGEROUS_MODULE,
    UNSAFE_FUNCTION,
    CUSTOM_OBJECT,
];

const HDF5_SPEC: &str = "https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html";
const SAVING_GUIDE: &str = "https://keras.io/guides/serialization_and_saving/";
const LAMBDA_DOC: &str = "https://keras.io/api/layers/core_layers/lambda/";
const CVE_2024_3660: &str = "https://nvd.nist.gov/vuln/detail/CVE-2024-3660";
const CVE_2025_1550: &str = "https://nvd.nist.gov/vuln/detail/CVE-2025-1550";
const GHSA_1550: &str =
    "https://github.com/keras-team/keras/security/advisories/GHSA-48g7-3x6r-xfhp";
const CVE_2025_8747: &str = "https://nvd.nist.gov/vuln/detail/CVE-2025-8747";
const CVE_2025_9905: &str = "https://nvd.nist.gov/vuln/detail/CVE-2025-9905";
const CVE_2025_9906: &str = "https://nvd.nist.gov/vuln/detail/CVE-2025-9906";

/// MITRE ATLAS: supply-chain compromise of a model, unsafe ML artifact; ATT&CK: Python.
const CODE_EXECUTION: &[&str] = &["AML.T0010.003", "AML.T0011.000", "T1059.006"];

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(H5_STRUCTURE, "HDF5 metadata is well formed", Severity::Medium, "integrity")
            .description("The superblock, object headers, groups, heaps, B-trees and attributes must parse inside the file's bounds. A file that does not is corrupt or crafted so that scanners and loaders see different content; its model_config is then searched for in the raw bytes instead. A limit of this reader that was hit is recorded as an error.")
            .cwe(&[20])
            .remediation("Do not load the file; obtain it again from a trusted source.")
            .references(&[HDF5_SPEC]),
        Rule::new(CONFIG_JSON, "Model configuration is a Keras JSON object", Severity::Medium, "integrity")
            .description("model_config (HDF5), config.json and metadata.json (.keras archives) must be JSON objects of the shape Keras writes. Anything else is corrupt, or crafted to be read differently by Keras and by scanners.")
            .cwe(&[20])
            .remediation("Do not load the model; obtain it again from a trusted source.")
            .references(&[SAVING_GUIDE]),
        Rule::new(LAMBDA_CODE, "No Lambda layers with embedded Python code", Severity::Critical, "code-execution")
            .description("A Lambda layer (or a serialized __lambda__) stores a Python function as base64 marshalled bytecode or source text; Keras rebuilds and runs it when the model loads or runs. HDF5 models ignore safe_mode (CVE-2025-9905) and older Keras never had it (CVE-2024-3660). The finding names the code object and the names it uses; os, subprocess, exec, eval, __import__ and the like make it critical, any other embedded code is high.")
            .cwe(&[94, 502])
            .attack(CODE_EXECUTION)
            .remediation("Do not load the model. Rebuild the Lambda from reviewed source code, or replace it with a registered custom layer.")
            .references(&[CVE_2024_3660, CVE_2025_9905, LAMBDA_DOC])
            .false_positives("Models whose authors used Lambda layers for harmless tensor arithmetic; the evidence lists the names the code uses."),
        Rule::new(DANGEROUS_MODULE, "No objects from modules that run commands or code", Severity::Critical, "code-execution")
            .description("Keras imports the module named by an object's module, class_name or registered_name and calls what it finds. A configuration that names os, subprocess, builtins, importlib, pickle, socket and similar modules runs arbitrary code on load, safe_mode included in Keras before 3.9 (CVE-2025-1550).")
            .cwe(&[94, 470, 502])
            .attack(CODE_EXECUTION)
            .remediation("Do not load the model; upgrade Keras to 3.9 or later and load only models from trusted sources.")
            .references(&[CVE_2025_1550, GHSA_1550, SAVING_GUIDE]),
        Rule::new(UNSAFE_FUNCTION, "No references to functions that disable safe mode, load or fetch files", Severity::Critical, "code-execution")
            .description("Keras' own functions are reachable from a configuration as `function` objects or TFOpLambda ops: enable_unsafe_deserialization and set_global_attribute turn safe_mode off before a Lambda is read (CVE-2025-9906), load_model loads a second model with safe_mode=False, get_file downloads and writes files (CVE-2025-8747), tf.io ops read and write files, py_function calls Python.")
            .cwe(&[94, 693])
            .attack(CODE_EXECUTION)
            .remediation("Do not load the model; upgrade Keras to 3.11 or later and load only models from trusted sources.")
            .references(&[CVE_2025_9906, CVE_2025_8747, CVE_2025_1550]),
        Rule::new(CUSTOM_OBJECT, "Objects come from Keras or TensorFlow", Severity::Medium, "code-execution")
            .description("Objects whose module lies outside Keras and TensorFlow, whose registered_name is a custom package (`Custom>...`), or Lambda functions referenced by name, need code that is not in the file: loading the model imports and runs whatever provides them in the loading environment.")
            .cwe(&[470, 829])
            .attack(&["AML.T0010.003", "AML.T0011.000"])
            .remediation("Review the custom objects' source code and install it from a trusted source before loading the model.")
            .references(&[SAVING_GUIDE, CVE_2025_1550])
            .false_positives("Models that use custom layers, losses or metrics registered with register_keras_serializable."),
        Rule::new(EXTERNAL_REFERENCE, "No references to external files or URLs", Severity::Medium, "exfiltration")
            .description("Weights and configurations can point outside the file: HDF5 external data files, external links and virtual datasets, TFSMLayer SavedModel paths, TensorFlow Hub handles, vocabulary files and download URLs. Loading such a model reads local files of the attacker's choosing or fetches remote content.")
            .cwe(&[73, 829, 918])
            .attack(&["AML.T0010.003", "T1005", "T1105"])
            .remediation("Check that every referenced file or URL is expected; copy the data into the model or load it from a trusted location.")
            .references(&[HDF5_SPEC, SAVING_GUIDE, CVE_2025_8747])
            .false_positives("Text models that keep their vocabulary in a file next to the model."),
        Rule::new(H5_ATTRIBUTE, "HDF5 attributes are the ones Keras writes", Severity::Low, "tampering")
            .description("Keras writes model_config, training_config, keras_version, backend, layer_names and weight_names attributes. Other attributes in a Keras HDF5 file are ignored by Keras but can carry hidden payloads or data for a second-stage loader.")
            .cwe(&[912])
            .attack(&["AML.T0018"])
            .remediation("Inspect the attribute values; re-save the model with Keras to drop them.")
            .references(&[SAVING_GUIDE, HDF5_SPEC])
            .false_positives("Files annotated by other tools (h5py users, converters)."),
    ]
}
