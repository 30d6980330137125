//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};
use cordon_template_audit::rule_text as template;
use cordon_text_audit::{Kind, Level};

pub const PARSE: &str = "hf-config-parse";
pub const REMOTE_CODE: &str = "hf-remote-code";
pub const TEMPLATE_INJECTION: &str = "hf-chat-template-injection";
pub const TEMPLATE_SYNTAX: &str = "hf-chat-template-syntax";
pub const INSTANTIATE_TARGET: &str = "hf-instantiate-target";
pub const YAML_PYTHON_TAG: &str = "hf-yaml-python-tag";
pub const PYTHON_SOURCE: &str = "hf-python-source";

pub fn text_rule(kind: Kind) -> String {
    format!("hf-config-{}", kind.slug())
}

pub fn text_severity(level: Level) -> Severity {
    match level {
        Level::Info => Severity::Info,
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
    }
}

const REMOTE_CODE_DOCS: &str = "https://huggingface.co/docs/transformers/custom_models";
const PYYAML: &str = "https://pyyaml.org/wiki/PyYAMLDocumentation";
const HYDRA: &str = "https://hydra.cc/docs/advanced/instantiate_objects/overview/";

pub fn catalog() -> Vec<Rule> {
    let mut rules = vec![
        Rule::new(PARSE, "Configuration file parses", Severity::Low, "integrity")
            .description("A file named like a Hugging Face configuration (config.json, tokenizer_config.json, generation_config.json...) must be a JSON object; YAML configs are read with a bounded subset reader.")
            .cwe(&[20])
            .remediation("Replace the file with the publisher's original."),
        Rule::new(REMOTE_CODE, "No pointers to custom code", Severity::Medium, "code-execution")
            .description("`auto_map` entries, `custom_pipelines` implementations and `trust_remote_code: true` make `from_pretrained(..., trust_remote_code=True)` import Python modules shipped with the model (or, with `repo--module.Class`, from another repository) and run them with the user's privileges. The classes and modules are listed.")
            .cwe(&[94, 829])
            .attack(&["AML.T0010", "AML.T0011.000", "T1059.006"])
            .remediation("Review every listed module before loading with trust_remote_code=True, pin the revision, or use a model whose architecture ships with the library.")
            .references(&[REMOTE_CODE_DOCS])
            .false_positives("New architectures that are not yet part of transformers legitimately ship their code."),
        Rule::new(TEMPLATE_INJECTION, template::INJECTION_TITLE, Severity::Critical, "code-execution")
            .description(template::INJECTION_DESCRIPTION)
            .cwe(template::INJECTION_CWE)
            .attack(template::INJECTION_ATTACK)
            .remediation(template::INJECTION_REMEDIATION)
            .references(template::INJECTION_REFERENCES)
            .false_positives(template::INJECTION_FALSE_POSITIVES),
        Rule::new(TEMPLATE_SYNTAX, template::SYNTAX_TITLE, Severity::Low, "integrity")
            .description(template::SYNTAX_DESCRIPTION)
            .cwe(template::SYNTAX_CWE)
            .remediation(template::SYNTAX_REMEDIATION),
        Rule::new(INSTANTIATE_TARGET, "`_target_` does not name a command or eval", Severity::Critical, "code-execution")
            .description("Hydra/OmegaConf configs (NeMo and others) call whatever `_target_` names when instantiated: `os.system`, `subprocess.*`, `builtins.eval` and the like run commands. Targets are listed in the metadata.")
            .cwe(&[94, 470])
            .attack(&["AML.T0010", "T1059.006"])
            .remediation("Do not instantiate the config; replace the target with the intended class.")
            .references(&[HYDRA]),
        Rule::new(YAML_PYTHON_TAG, "YAML has no Python object tags", Severity::Critical, "code-execution")
            .description("`!!python/object/apply:`, `!!python/object/new:`, `!!python/name:` and `!!python/module:` make PyYAML's unsafe loaders (`yaml.load` with `Loader`/`UnsafeLoader`, `yaml.unsafe_load`) import modules and call functions while reading the file.")
            .cwe(&[502])
            .attack(&["AML.T0010", "T1059.006"])
            .remediation("Do not load the file with an unsafe YAML loader; remove the tags.")
            .references(&[PYYAML]),
        Rule::new(PYTHON_SOURCE, "Python source shipped with the model is listed", Severity::Low, "code-execution")
            .description("A `.py` file next to a model is custom code that `trust_remote_code=True` (or a user) runs. It is recorded as low; calls that run processes (`os.system`, `subprocess`), evaluate code (`eval`, `exec`, `__import__`, `compile`, `marshal`), load native code (`ctypes`) or open network connections are medium, one finding per call.")
            .cwe(&[94, 829])
            .attack(&["AML.T0010", "AML.T0011.000", "T1059.006"])
            .remediation("Read the module before running it; prefer a model that needs no custom code.")
            .references(&[REMOTE_CODE_DOCS])
            .false_positives("Data-download helpers in custom modeling code use the network legitimately."),
    ];
    for kind in Kind::ALL {
        let text = kind.rule_text();
        rules.push(
            Rule::new(
                &text_rule(kind),
                text.title,
                text_severity(text.level),
                text.category,
            )
            .description(text.description)
            .cwe(text.cwe)
            .attack(text.attack)
            .remediation(text.remediation)
            .false_positives(text.false_positives),
        );
    }
    rules
}
