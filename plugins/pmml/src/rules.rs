//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const WELL_FORMED: &str = "pmml-well-formed";
pub const ROOT: &str = "pmml-root";
pub const LIMITS: &str = "pmml-limits";
pub const DOCTYPE: &str = "pmml-doctype";
pub const ENTITY_DECLARATION: &str = "pmml-entity-declaration";
pub const ENTITY_REFERENCE: &str = "pmml-entity-reference";
pub const EXTERNAL_REFERENCE: &str = "pmml-external-reference";
pub const EXTENSION_SCRIPT: &str = "pmml-extension-script";

const SPEC: &str = "https://dmg.org/pmml/v4-4-1/GeneralStructure.html";
const XXE: &str = "https://cheatsheetseries.owasp.org/cheatsheets/XML_External_Entity_Prevention_Cheat_Sheet.html";
const EXTENSION: &str = "https://dmg.org/pmml/v4-4-1/GeneralStructure.html#xsdElement_Extension";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(WELL_FORMED, "Document is well-formed XML", Severity::Medium, "integrity")
            .description("Tags must nest and close, attributes must be quoted, and there must be one root element. Parsers disagree on malformed XML, so a reviewer and the scoring engine can read different models.")
            .cwe(&[20])
            .remediation("Re-export the model with a trusted PMML producer.")
            .references(&[SPEC]),
        Rule::new(ROOT, "Root element is <PMML>", Severity::Medium, "integrity")
            .description("A PMML document's root element is <PMML>.")
            .cwe(&[20])
            .remediation("Check that the file is the model you expect.")
            .references(&[SPEC]),
        Rule::new(LIMITS, "Document is within inspection limits", Severity::Medium, "denial-of-service")
            .description("Nesting deeper than 256 levels, more than 5 million elements, attributes above 1 MiB or files above 256 MiB are not inspected in full; such documents also exhaust the memory of DOM parsers.")
            .cwe(&[400, 776])
            .remediation("Inspect the document with other tools before loading it.")
            .references(&[SPEC]),
        Rule::new(DOCTYPE, "No DOCTYPE declaration", Severity::High, "exfiltration")
            .description("PMML is validated against an XML Schema and never needs a DTD. A DOCTYPE is how external entities, external DTDs and entity expansion reach XML parsers that load the model.")
            .cwe(&[611, 827])
            .attack(&["AML.T0010", "T1005"])
            .remediation("Remove the DOCTYPE, and load PMML with DTD processing disabled.")
            .references(&[XXE, SPEC]),
        Rule::new(ENTITY_DECLARATION, "No entity declarations", Severity::Critical, "exfiltration")
            .description("External and parameter entities make the loading parser read local files or send requests (XXE); internal entities allow exponential expansion (billion laughs). Cordon never expands them.")
            .cwe(&[611, 776])
            .attack(&["AML.T0010", "T1005", "T1499"])
            .remediation("Do not load the file; if it must be used, strip the DOCTYPE and load with entity resolution disabled.")
            .references(&[XXE]),
        Rule::new(ENTITY_REFERENCE, "Only predefined entity references", Severity::High, "exfiltration")
            .description("References to entities other than &lt; &gt; &amp; &quot; &apos; and character references need a DTD to resolve: they are how declared entities get expanded.")
            .cwe(&[611, 776])
            .remediation("Remove the references and any DOCTYPE; load with entity resolution disabled.")
            .references(&[XXE]),
        Rule::new(EXTERNAL_REFERENCE, "No external schema or DTD references", Severity::Low, "exfiltration")
            .description("xsi:schemaLocation, noNamespaceSchemaLocation and DOCTYPE external ids point validating parsers at URLs or local files, which they may fetch while loading the model.")
            .cwe(&[611, 829])
            .remediation("Validate against a local copy of the PMML schema; disable schema fetching.")
            .references(&[SPEC, XXE])
            .false_positives("Producers often write the dmg.org schema URL; that is low risk when validation is off."),
        Rule::new(EXTENSION_SCRIPT, "No code in <Extension> elements", Severity::High, "code-execution")
            .description("<Extension> carries vendor data that scoring engines may interpret. Script tags, javascript: URLs, Java process APIs or Python/shell commands there are code waiting for an engine that runs it.")
            .cwe(&[94, 79])
            .attack(&["AML.T0011.000", "T1059"])
            .remediation("Remove the extension or confirm which engine interprets it and how.")
            .references(&[EXTENSION]),
    ]
}
