//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "msgpack-structure";
pub const LIMITS: &str = "msgpack-limits";
pub const PYTHON_REFERENCE: &str = "msgpack-python-reference";
pub const EMBEDDED_PICKLE: &str = "msgpack-embedded-pickle";
pub const EXT_TYPE: &str = "msgpack-ext-type";
pub const ARRAY: &str = "msgpack-array-size";

const SPEC: &str = "https://github.com/msgpack/msgpack/blob/master/spec.md";
const FLAX: &str = "https://flax.readthedocs.io/en/latest/api_reference/flax.serialization.html";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "Document is well-formed msgpack", Severity::High, "integrity")
            .description("The file must be one msgpack value whose lengths and counts fit in the file, with no trailing bytes: bytes after the value are invisible to loaders and can smuggle a payload.")
            .cwe(&[20, 130])
            .remediation("Do not load the file; re-save the checkpoint with a trusted tool.")
            .references(&[SPEC]),
        Rule::new(LIMITS, "Document is within inspection limits", Severity::Medium, "denial-of-service")
            .description("Nesting deeper than 64 levels or more than 20 million values is not inspected further; deep nesting also exhausts recursive loaders.")
            .cwe(&[400, 674])
            .remediation("Inspect the file with other tools before loading it.")
            .references(&[SPEC]),
        Rule::new(PYTHON_REFERENCE, "No references to Python internals or dangerous callables", Severity::High, "code-execution")
            .description("Keys or strings such as `__reduce__`, `__globals__`, `__builtins__` or `os.system` have no place in a parameter tree; they are what a custom deserializer (restore hook, object_hook, ext hook) would resolve into code.")
            .cwe(&[502, 94])
            .attack(&["AML.T0011.000", "T1059.006"])
            .remediation("Load with flax.serialization.msgpack_restore only, never with custom hooks; inspect the named objects.")
            .references(&[FLAX])
            .false_positives("`__name__`-style keys can be legitimate in configuration dictionaries."),
        Rule::new(EMBEDDED_PICKLE, "No pickles in bin fields", Severity::High, "code-execution")
            .description("A bin field holding a pickle (protocol 2-5 header, STOP opcode at the end) runs code when code that reads the checkpoint unpickles it. The bytes are handed back to the pickle scanner as a member.")
            .cwe(&[502])
            .attack(&["AML.T0011.000", "AML.T0010.003"])
            .remediation("Review the pickle scanner's findings for the member; never unpickle fields of a checkpoint.")
            .references(&[FLAX]),
        Rule::new(EXT_TYPE, "Only known ext types", Severity::Medium, "tampering")
            .description("Flax writes ext types 1 (ndarray), 2 (complex) and 3 (NumPy scalar); msgpack defines -1 (timestamp). Other codes need a custom ext hook that decides what they become.")
            .cwe(&[502, 20])
            .remediation("Find out which loader hook handles the code before loading the file.")
            .references(&[FLAX, SPEC]),
        Rule::new(ARRAY, "ndarray ext payloads match shape and dtype", Severity::High, "integrity")
            .description("A Flax ndarray payload is msgpack [shape, dtype name, bytes]; the bytes must be exactly shape x dtype size, and object dtypes (which unpickle) are refused.")
            .cwe(&[131, 502])
            .remediation("The checkpoint is corrupt or crafted; do not load it.")
            .references(&[FLAX]),
    ]
}
