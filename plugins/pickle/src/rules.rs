//! The rule catalogue: every finding names one of these rules.

use crate::Severity;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable kebab-case id, prefixed `pickle-`.
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// Default severity; a finding may raise or lower it.
    pub severity: Severity,
    /// code-execution | tampering | integrity | denial-of-service | exfiltration
    pub category: &'static str,
    pub cwe: &'static [u32],
    /// MITRE ATLAS and ATT&CK technique ids.
    pub attack: &'static [&'static str],
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    pub false_positives: Option<&'static str>,
}

pub(crate) const STREAM: &str = "pickle-stream";
pub(crate) const SAFE_GLOBAL: &str = "pickle-safe-global";
pub(crate) const DANGEROUS_GLOBAL: &str = "pickle-dangerous-global";
pub(crate) const UNKNOWN_GLOBAL: &str = "pickle-unknown-global";
pub(crate) const DANGEROUS_CALL: &str = "pickle-dangerous-call";
pub(crate) const UNRESOLVED_CALL: &str = "pickle-unresolved-call";
pub(crate) const GLOBAL_OPERAND: &str = "pickle-stack-global-operand";
pub(crate) const GLOBAL_MUTATION: &str = "pickle-global-mutation";
pub(crate) const EXTENSION: &str = "pickle-extension-registry";
pub(crate) const NON_ASCII: &str = "pickle-non-ascii-global";
pub(crate) const FRAME: &str = "pickle-frame-consistency";
pub(crate) const MEMO: &str = "pickle-memo-consistency";
pub(crate) const PROTOCOL: &str = "pickle-protocol-consistency";
pub(crate) const NESTED: &str = "pickle-nested-pickle";
pub(crate) const BUDGET: &str = "pickle-budget";
pub(crate) const MALFORMED: &str = "pickle-malformed";
pub(crate) const TRAILING: &str = "pickle-trailing-data";

const PICKLE_DOCS: &str = "https://docs.python.org/3/library/pickle.html";
const PICKLETOOLS: &str = "https://docs.python.org/3/library/pickletools.html";
const CWE_502: &str = "https://cwe.mitre.org/data/definitions/502.html";
const ATLAS_SUPPLY_CHAIN: &str = "https://atlas.mitre.org/techniques/AML.T0010";
const PICKLESCAN: &str = "https://github.com/mmaitre314/picklescan";
const FICKLING: &str = "https://github.com/trailofbits/fickling";
const MODELAUDIT: &str = "https://github.com/promptfoo/modelaudit";
const PEP_3154: &str = "https://peps.python.org/pep-3154/";

const CODE_EXEC_ATTACK: &[&str] = &[
    "AML.T0010.003",
    "AML.T0011.000",
    "AML.T0018.002",
    "T1059.006",
    "T1204.002",
    "T1195.002",
];
const EVASION_ATTACK: &[&str] = &["AML.T0010.003", "AML.T0074", "T1027", "T1036"];

static RULES: &[RuleInfo] = &[
    RuleInfo {
        id: STREAM,
        title: "Pickle stream parsed",
        description: "One pickle stream of the input was decoded opcode by opcode; the record \
            gives its protocol, opcode count and byte range. Status error means the stream \
            could not be analysed to its end.",
        severity: Severity::Info,
        category: "integrity",
        cwe: &[],
        attack: &[],
        remediation: "None needed; this is an inventory record.",
        references: &[PICKLETOOLS],
        false_positives: None,
    },
    RuleInfo {
        id: SAFE_GLOBAL,
        title: "Known-safe global imported",
        description: "The pickle imports a global from the known-safe set: tensor, array and \
            storage reconstruction helpers of torch and numpy, scikit-learn and similar model \
            classes, and plain value types. Importing it cannot run attacker-chosen code.",
        severity: Severity::Info,
        category: "code-execution",
        cwe: &[502],
        attack: &[],
        remediation: "None needed.",
        references: &[PICKLE_DOCS, PICKLESCAN],
        false_positives: None,
    },
    RuleInfo {
        id: DANGEROUS_GLOBAL,
        title: "Dangerous global imported",
        description: "The pickle imports a callable or module that can execute commands, \
            evaluate or import code, touch files, network or native code, load another \
            unscanned payload, or serve as a gadget in a published scanner bypass. Unpickling \
            the file imports it, and a call site can run it with attacker-chosen arguments. \
            Aliases (posix/nt for os, __builtin__), dotted attribute walks, case variants and \
            NFKC look-alikes are resolved before matching.",
        severity: Severity::Critical,
        category: "code-execution",
        cwe: &[502, 94, 78],
        attack: CODE_EXEC_ATTACK,
        remediation: "Do not load this file with pickle, torch.load (without weights_only=True), \
            joblib or numpy allow_pickle. Obtain the model from a trusted source, or in a \
            format without code (safetensors).",
        references: &[
            PICKLE_DOCS,
            CWE_502,
            ATLAS_SUPPLY_CHAIN,
            PICKLESCAN,
            MODELAUDIT,
        ],
        false_positives: Some(
            "Pickles of objects that legitimately reference such functions (for example a \
            pipeline storing functools.partial) are flagged too; they still execute code on load.",
        ),
    },
    RuleInfo {
        id: UNKNOWN_GLOBAL,
        title: "Global outside the known-safe set",
        description: "The pickle imports a global that is neither known safe nor known \
            dangerous. Its effect on load depends on code that was not reviewed, so it is \
            reported rather than passed. A class that is only reconstructed (NEWOBJ or \
            copyreg._reconstructor, never called directly) is reported at low severity.",
        severity: Severity::Medium,
        category: "code-execution",
        cwe: &[502],
        attack: CODE_EXEC_ATTACK,
        remediation: "Review the named module and attribute; load the file only if the code it \
            names is trusted, or convert the model to a code-free format.",
        references: &[PICKLE_DOCS, PICKLESCAN],
        false_positives: Some(
            "User-defined model classes (for example __main__.MyModel) and libraries outside \
            the curated set are reported until they are reviewed.",
        ),
    },
    RuleInfo {
        id: DANGEROUS_CALL,
        title: "Dangerous global called",
        description: "A REDUCE, INST, OBJ, NEWOBJ or NEWOBJ_EX opcode calls a dangerous global: \
            unpickling runs it with the arguments shown.",
        severity: Severity::Critical,
        category: "code-execution",
        cwe: &[502, 94, 78],
        attack: CODE_EXEC_ATTACK,
        remediation: "Treat the file as malicious: do not load it, and investigate its origin.",
        references: &[PICKLE_DOCS, CWE_502, ATLAS_SUPPLY_CHAIN],
        false_positives: None,
    },
    RuleInfo {
        id: UNRESOLVED_CALL,
        title: "Call on an unresolvable callable",
        description: "A call opcode's callable is not a global: it is the result of another \
            call (for example getattr(...)), a missing memo entry, an extension-registry object \
            or a value of the wrong type. The callee cannot be checked statically.",
        severity: Severity::Medium,
        category: "code-execution",
        cwe: &[502, 94],
        attack: CODE_EXEC_ATTACK,
        remediation: "Do not load the file unless its producer is trusted.",
        references: &[PICKLE_DOCS, FICKLING],
        false_positives: None,
    },
    RuleInfo {
        id: GLOBAL_OPERAND,
        title: "STACK_GLOBAL operand is not a known string",
        description: "STACK_GLOBAL takes its module and name from the stack. Here an operand is \
            not a string, or comes from a missing memo entry, so the imported global cannot be \
            named: a known technique to crash or confuse scanners.",
        severity: Severity::High,
        category: "tampering",
        cwe: &[502, 843],
        attack: EVASION_ATTACK,
        remediation: "Treat the file as hostile; legitimate picklers never emit this.",
        references: &[PICKLETOOLS, PICKLESCAN],
        false_positives: None,
    },
    RuleInfo {
        id: GLOBAL_MUTATION,
        title: "Module or class state overwritten",
        description: "BUILD, SETITEM(S), APPEND(S) or ADDITEMS is applied to a global (a module, \
            class or function object) rather than to an instance: loading rewrites shared \
            interpreter state, for example replacing an allowed function with eval. Later \
            imports of an overwritten attribute are followed to the value written.",
        severity: Severity::Critical,
        category: "tampering",
        cwe: &[502, 471],
        attack: CODE_EXEC_ATTACK,
        remediation: "Treat the file as malicious.",
        references: &[PICKLE_DOCS, PICKLESCAN],
        false_positives: None,
    },
    RuleInfo {
        id: EXTENSION,
        title: "Extension registry opcode",
        description: "EXT1/EXT2/EXT4 import a global through copyreg's extension registry by \
            numeric code. The registry is empty in a stock interpreter, so the code resolves \
            only if something registered it, and scanners cannot see which global it names.",
        severity: Severity::High,
        category: "tampering",
        cwe: &[502],
        attack: EVASION_ATTACK,
        remediation: "Treat the file as hostile unless the producing application documents its \
            extension codes.",
        references: &["https://peps.python.org/pep-0307/", MODELAUDIT],
        false_positives: None,
    },
    RuleInfo {
        id: NON_ASCII,
        title: "Non-ASCII global name",
        description: "A module or attribute name contains non-ASCII characters. Python source \
            identifiers are NFKC-normalised but pickle names are not, so look-alike spellings \
            are used to slip past string-matching scanners. The NFKC form is checked against \
            the policy.",
        severity: Severity::High,
        category: "tampering",
        cwe: &[176, 502],
        attack: EVASION_ATTACK,
        remediation: "Treat the file as hostile.",
        references: &[
            "https://docs.python.org/3/reference/lexical_analysis.html#identifiers",
            "https://unicode.org/reports/tr15/",
        ],
        false_positives: Some("Modules with genuinely non-ASCII names."),
    },
    RuleInfo {
        id: FRAME,
        title: "FRAME boundaries inconsistent",
        description: "Protocol-4 FRAME opcodes declare the length of the opcodes they contain. \
            An opcode crossing a frame end, a frame starting inside another, or a STOP leaving \
            frame bytes unread make the C and Python unpicklers (and scanners) disagree on \
            what the stream contains.",
        severity: Severity::High,
        category: "tampering",
        cwe: &[436, 502],
        attack: EVASION_ATTACK,
        remediation: "Treat the file as hostile; CPython's pickler always frames consistently.",
        references: &[PEP_3154, FICKLING],
        false_positives: None,
    },
    RuleInfo {
        id: MEMO,
        title: "Memo used inconsistently",
        description: "A GET reads a memo slot that was never written (unpickling fails there, \
            after earlier opcodes already ran; scanners have crashed on it), or a PUT overwrites \
            a slot, which no pickler does.",
        severity: Severity::Medium,
        category: "tampering",
        cwe: &[502],
        attack: EVASION_ATTACK,
        remediation: "Treat the file as hostile or corrupted.",
        references: &[PICKLETOOLS, PICKLESCAN],
        false_positives: None,
    },
    RuleInfo {
        id: PROTOCOL,
        title: "Opcodes inconsistent with the declared protocol",
        description: "The stream uses opcodes newer than the protocol it declares (or, without \
            a PROTO opcode, newer than protocol 1), or declares its protocol more than once. \
            Unpicklers accept it but no pickler writes it: a sign of hand-crafting.",
        severity: Severity::Low,
        category: "integrity",
        cwe: &[502],
        attack: EVASION_ATTACK,
        remediation: "Check how the file was produced.",
        references: &[PICKLETOOLS],
        false_positives: None,
    },
    RuleInfo {
        id: NESTED,
        title: "Pickle nested in a string",
        description: "A string or bytes value of the pickle is itself a pickle (raw, base64 or \
            hex), which a reducer such as pickle.loads can unpickle in a second stage. Nested \
            pickles are analysed recursively; the finding takes the severity of what they hold.",
        severity: Severity::Medium,
        category: "code-execution",
        cwe: &[502, 506],
        attack: &["AML.T0010.003", "AML.T0018.002", "T1027", "T1140"],
        remediation: "Review the nested payload's findings; treat the file as hostile if they \
            include dangerous globals.",
        references: &[MODELAUDIT, FICKLING],
        false_positives: Some("Applications that store pickled blobs inside their own state."),
    },
    RuleInfo {
        id: BUDGET,
        title: "Analysis budget exhausted",
        description: "An analysis limit (opcodes, memo, stack, nesting depth, bytes or streams) \
            was reached. Everything after that point is unanalysed: the result is \
            inconclusive, never clean.",
        severity: Severity::Medium,
        category: "denial-of-service",
        cwe: &[400, 770],
        attack: &["T1499"],
        remediation: "Raise the limit for this file if it is expected to be large, or treat it \
            as suspicious.",
        references: &[],
        false_positives: Some("Very large legitimate checkpoints can exceed default limits."),
    },
    RuleInfo {
        id: MALFORMED,
        title: "Malformed or truncated pickle",
        description: "The stream ends early or contains an invalid opcode or argument. \
            Unpicklers run everything before the error, so findings up to that point still \
            apply; a broken stream is also a known scanner-evasion trick.",
        severity: Severity::Medium,
        category: "integrity",
        cwe: &[20, 502],
        attack: &["AML.T0010.003", "T1027"],
        remediation: "Re-obtain the file; if it is expected to be intact, treat it as hostile.",
        references: &[PICKLETOOLS, PICKLESCAN],
        false_positives: Some("Files truncated by an interrupted download."),
    },
    RuleInfo {
        id: TRAILING,
        title: "Data after the last pickle stream",
        description: "Bytes follow the final STOP opcode and do not form a pickle. Legacy \
            torch.save files end with raw tensor storage, which is expected; otherwise \
            trailing data may hide content from tools that stop at the first STOP.",
        severity: Severity::Low,
        category: "integrity",
        cwe: &[502],
        attack: &["T1027"],
        remediation: "Check how the file was produced.",
        references: &[PICKLETOOLS],
        false_positives: Some("Formats that append raw data after a pickle header."),
    },
];

/// The rule catalogue.
pub fn rules() -> &'static [RuleInfo] {
    RULES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_prefixed_kebab_case() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        for id in &ids {
            assert!(id.starts_with("pickle-"), "{id}");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn rules_are_documented() {
        const CATEGORIES: &[&str] = &[
            "code-execution",
            "tampering",
            "integrity",
            "denial-of-service",
            "exfiltration",
        ];
        for r in RULES {
            assert!(CATEGORIES.contains(&r.category), "{}", r.id);
            assert!(!r.title.is_empty() && r.description.len() > 40, "{}", r.id);
            assert!(!r.remediation.is_empty(), "{}", r.id);
            for reference in r.references {
                assert!(reference.starts_with("https://"), "{reference}");
            }
        }
    }
}
