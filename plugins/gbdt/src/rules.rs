//! Rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "gbdt-structure";
pub const STRINGS: &str = "gbdt-suspicious-string";
pub const OBJECTIVE: &str = "gbdt-objective";
pub const OPAQUE: &str = "gbdt-opaque-content";

const REFS: &[&str] = &[
    "https://xgboost.readthedocs.io/en/stable/tutorials/saving_model.html",
    "https://lightgbm.readthedocs.io/en/latest/Parameters.html",
    "https://catboost.ai/docs/en/concepts/python-reference_catboost_save_model",
];

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "Well-formed tree model", Severity::Medium, "integrity")
            .description("The model's layout matches what XGBoost, LightGBM or CatBoost write: required sections present, tree counts bounded and consistent with the declared counts (num_trees, tree_info, Tree=N sections, num_tree_per_iteration), feature counts consistent with the feature names. An inconsistent model was not written by the library and may be crafted to crash or mislead its loader.")
            .cwe(&[20, 1284])
            .attack(&["AML.T0018"])
            .remediation("Re-export the model with the library from a trusted training run.")
            .references(REFS),
        Rule::new(STRINGS, "No code, commands or URLs in model strings", Severity::Medium, "code-execution")
            .description("Feature names, feature types, attributes and parameters are plain identifiers in a trained model. One carrying code (`__import__`, `eval(`), shell syntax (`$(`, backticks, `sh -c`, `curl`) is Medium: tools that template or evaluate these strings run it. A URL is Low: it can point a pipeline at attacker-controlled data.")
            .cwe(&[94, 77])
            .attack(&["AML.T0010", "T1059"])
            .remediation("Inspect the strings; rename the features before using the model in any tooling that evaluates or templates them.")
            .references(REFS)
            .false_positives("Feature names derived from URLs or documentation strings stored as attributes."),
        Rule::new(OBJECTIVE, "Known training objective", Severity::Low, "integrity")
            .description("The objective names one the library ships. An unknown name means a custom objective (Python code the loader expects to supply) or a crafted file.")
            .cwe(&[20])
            .remediation("Confirm where the custom objective's code comes from before loading the model.")
            .references(REFS),
        Rule::new(OPAQUE, "Model content inspected", Severity::Low, "integrity")
            .description("Parts of the model Cordon cannot decode honestly (the body of XGBoost's legacy binary format, CatBoost's FlatBuffers core) are reported as skipped, never silently passed.")
            .remediation("Convert the model to an inspectable format (XGBoost JSON/UBJSON, LightGBM text, CatBoost JSON) before trusting it.")
            .references(REFS),
    ]
}
