//! Rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const SCHEMA: &str = "skops-schema";
pub const UNTRUSTED_TYPE: &str = "skops-untrusted-type";
pub const DANGEROUS_CALLABLE: &str = "skops-dangerous-callable";

const REFS: &[&str] = &[
    "https://skops.readthedocs.io/en/stable/persistence.html",
    "https://nvd.nist.gov/vuln/detail/CVE-2025-54412",
    "https://nvd.nist.gov/vuln/detail/CVE-2025-54413",
    "https://nvd.nist.gov/vuln/detail/CVE-2025-54886",
];

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(SCHEMA, "Well-formed skops schema", Severity::Low, "integrity")
            .description("Every node of a skops `schema.json` names its `__module__`, `__class__` and a `__loader__` skops knows. A node skops cannot interpret means the file was not written by skops.io.dump.")
            .cwe(&[20])
            .remediation("Re-save the model with skops.io.dump from a trusted environment.")
            .references(REFS),
        Rule::new(UNTRUSTED_TYPE, "Only types skops trusts by default", Severity::Medium, "code-execution")
            .description("skops.io.load refuses types outside its default trusted set (scikit-learn estimators, NumPy, SciPy sparse matrices, builtin containers) unless the caller passes them in `trusted=`; constructing one imports its module and runs its `__setstate__`. Types from `__main__` are reported Low: they resolve to the loading script's own classes and import no foreign code.")
            .cwe(&[502])
            .attack(&["AML.T0010", "AML.T0011"])
            .remediation("Review each listed type before passing it to `trusted=`; never pass the output of get_untrusted_types unread.")
            .references(REFS)
            .false_positives("Pipelines with custom transformers or estimators from other libraries (xgboost, lightgbm) list those types."),
        Rule::new(DANGEROUS_CALLABLE, "No dangerous callable in the schema", Severity::Critical, "code-execution")
            .description("Function, method, type and operator nodes that resolve to code execution (builtins.eval/exec, os.system, subprocess), attribute walking (operator.attrgetter/methodcaller, dunder methods) or deserializers of other formats. Such nodes were used to bypass skops' trust checks (CVE-2025-54412, CVE-2025-54413) and never occur in a fitted estimator.")
            .cwe(&[502, 94])
            .attack(&["AML.T0010", "AML.T0011", "T1059.006"])
            .remediation("Do not load the file.")
            .references(REFS),
    ]
}
