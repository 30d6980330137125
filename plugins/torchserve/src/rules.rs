//! Rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const MANIFEST: &str = "torchserve-manifest";
pub const CUSTOM_CODE: &str = "torchserve-custom-code";
pub const REQUIREMENTS: &str = "torchserve-requirements";

const REFS: &[&str] = &[
    "https://github.com/pytorch/serve/blob/master/model-archiver/README.md",
    "https://github.com/pytorch/serve/blob/master/docs/custom_service.md",
];

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(MANIFEST, "Well-formed TorchServe manifest", Severity::Low, "integrity")
            .description("`MAR-INF/MANIFEST.json` is a JSON object whose `model` names a handler; file names stay inside the archive.")
            .cwe(&[20, 22])
            .remediation("Rebuild the archive with torch-model-archiver.")
            .references(REFS),
        Rule::new(CUSTOM_CODE, "No custom Python code run at load", Severity::Medium, "code-execution")
            .description("A handler or model file that is a `.py` in the archive (or a module outside TorchServe's built-in handlers) is imported and run by TorchServe when the model is registered. The Python source itself is inspected by the hf-config plugin's `hf-python-source` rule; this rule records that the manifest makes it run.")
            .cwe(&[94, 829])
            .attack(&["AML.T0010", "AML.T0011", "T1059.006"])
            .remediation("Read the handler and model source before registering the archive, or use a built-in handler.")
            .references(REFS)
            .false_positives("Most real archives ship a custom handler; review it rather than assume it is malicious."),
        Rule::new(REQUIREMENTS, "No dependencies installed at registration", Severity::Low, "supply-chain")
            .description("A `requirementsFile` makes TorchServe pip-install packages when the model is registered (with `install_py_dep_per_model`), running their install code.")
            .cwe(&[829])
            .attack(&["AML.T0010.001", "T1195.001"])
            .remediation("Pin and review the listed packages; disable install_py_dep_per_model for untrusted archives.")
            .references(REFS),
    ]
}
