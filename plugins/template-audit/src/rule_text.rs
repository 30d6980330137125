//! Catalog text for the rules plugins declare around [`crate::audit`], so the GGUF
//! and Hugging Face plugins describe the same finding the same way.

pub const INJECTION_TITLE: &str = "Chat template is free of template injection";
pub const INJECTION_DESCRIPTION: &str = "Chat templates are Jinja programs run by the inference stack. Rendered outside Jinja's sandbox (llama-cpp-python before 0.2.72, CVE-2024-34359, and other runtimes) a template can walk from any object through `__class__`, `__mro__`, `__subclasses__`, `__init__.__globals__` and `__builtins__` to `os.system`, `subprocess` or `eval`, often through Jinja globals such as `cycler`, `joiner`, `lipsum` or `self._TemplateReference__context`, with names hidden by `|attr()`, concatenation, `format`, `join`, hex escapes or reversal. The template is tokenized and parsed like Jinja does and such constructs are reported per tag; what ordinary chat templates use (loops over messages, `namespace()` loop state, `raise_exception`, `strftime_now`, `tojson`) is not.";
pub const INJECTION_REMEDIATION: &str = "Do not load the model with a runtime that renders templates outside a sandboxed Jinja environment; replace the chat template with the publisher's reviewed original.";
pub const INJECTION_CWE: &[u32] = &[1336, 94];
pub const INJECTION_ATTACK: &[&str] = &["AML.T0010", "AML.T0011.000", "T1059.006"];
pub const INJECTION_REFERENCES: &[&str] = &[
    "https://nvd.nist.gov/vuln/detail/CVE-2024-34359",
    "https://github.com/abetlen/llama-cpp-python/security/advisories/GHSA-56xg-wfcc-g829",
    "https://jinja.palletsprojects.com/en/stable/sandbox/",
];
pub const INJECTION_FALSE_POSITIVES: &str = "Templates that use `self` block references, `{% include %}` or unusual escape sequences for legitimate reasons are reported at low or medium severity.";

pub const SYNTAX_TITLE: &str = "Chat template parses";
pub const SYNTAX_DESCRIPTION: &str = "The template must be valid Jinja: closed tags, strings and blocks, known statements. A template that does not compile breaks chat formatting, and parser differences between runtimes are a way to hide content from one of them.";
pub const SYNTAX_REMEDIATION: &str =
    "Fix or replace the chat template with the publisher's original.";
pub const SYNTAX_CWE: &[u32] = &[20];
