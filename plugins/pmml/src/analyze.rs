//! Walks the token stream once: structure and limits, DOCTYPE and entities,
//! external references, scripts in `<Extension>`, and the model metadata.

use std::collections::BTreeSet;

use cordon_plugin_sdk::{Check, ScanOutput, Severity, Status};

use crate::rules;
use crate::xml::{self, Attr, Token, Tokenizer};
use cordon_plugin_sdk::Findings;

pub const MAX_DEPTH: usize = 256;
pub const MAX_ELEMENTS: u64 = 5_000_000;
pub const MAX_ATTRIBUTE_BYTES: usize = 1 << 20;

/// Code and command patterns that have no business in a model's extension data.
const SCRIPT_PATTERNS: &[&str] = &[
    "<script",
    "javascript:",
    "vbscript:",
    "runtime.getruntime",
    "processbuilder",
    "class.forname",
    "os.system",
    "os.popen",
    "subprocess",
    "__import__",
    "eval(",
    "exec(",
    "import os",
    "/bin/sh",
    "/bin/bash",
    "cmd.exe",
    "powershell",
    "curl http",
    "wget http",
];

/// Model elements PMML 4.x defines (children of the root).
const MODEL_ELEMENTS: &[&str] = &[
    "AnomalyDetectionModel",
    "AssociationModel",
    "BayesianNetworkModel",
    "BaselineModel",
    "ClusteringModel",
    "GaussianProcessModel",
    "GeneralRegressionModel",
    "MiningModel",
    "NaiveBayesModel",
    "NearestNeighborModel",
    "NeuralNetwork",
    "RegressionModel",
    "RuleSetModel",
    "SequenceModel",
    "Scorecard",
    "SupportVectorMachineModel",
    "TextModel",
    "TimeSeriesModel",
    "TreeModel",
];

#[derive(Default)]
struct State<'a> {
    stack: Vec<&'a str>,
    elements: u64,
    root: Option<&'a str>,
    /// Offset of the outermost open `<Extension>`.
    extension_start: Option<usize>,
    models: BTreeSet<&'a str>,
    data_fields: u64,
    in_header: bool,
}

/// Analyse `text`; `complete` is false when only a prefix of the file was read.
pub fn analyze(text: &str, complete: bool, out: &mut ScanOutput) {
    out.meta("format", "pmml");
    let mut f = Findings::default();
    let mut st = State::default();
    let mut tok = Tokenizer::new(text);
    let structure_error = loop {
        let (at, token) = match tok.next_token() {
            Ok(Some(t)) => t,
            Ok(None) => break None,
            Err(e) => break Some(e),
        };
        match token {
            Token::Doctype(doctype) => doctype_checks(doctype, at, &mut f, out),
            Token::Text(t) => entity_refs(t, at, &mut f, out),
            Token::Start { name, attrs, empty } => {
                if let Err(e) = start(&mut st, name, &attrs, at, &mut f, out) {
                    break Some(e);
                }
                if empty {
                    end(&mut st, text, name, tok.pos, &mut f, out);
                }
            }
            Token::End { name } => {
                if st.stack.last() != Some(&name) {
                    break Some(format!(
                        "end tag </{name}> at offset {at} does not close <{}>",
                        st.stack.last().unwrap_or(&"")
                    ));
                }
                end(&mut st, text, name, tok.pos, &mut f, out);
            }
            Token::Other => {}
        }
    };
    let structure_error = structure_error.or_else(|| match (complete, st.stack.last(), st.root) {
        (true, Some(open), _) => Some(format!("document ends inside <{open}>")),
        (_, _, None) => Some("no root element".into()),
        _ => None,
    });
    match structure_error {
        Some(e) => out.push(Check::failed(rules::WELL_FORMED, e).offset(tok.pos as u64)),
        None => out.push(Check::passed(
            rules::WELL_FORMED,
            format!("{} elements, well nested", st.elements),
        )),
    }
    if !complete {
        let check = Check::new(
            rules::LIMITS,
            Status::Error,
            format!("only the first {} bytes were inspected", text.len()),
        );
        f.fail(out, rules::LIMITS, check);
    }
    match st.root {
        Some("PMML") => out.push(Check::passed(rules::ROOT, "root element is <PMML>")),
        Some(other) => out.push(Check::failed(
            rules::ROOT,
            format!("root element is <{other}>, not <PMML>"),
        )),
        None => out.push(Check::failed(rules::ROOT, "no root element")),
    }
    for rule in [
        rules::DOCTYPE,
        rules::ENTITY_DECLARATION,
        rules::ENTITY_REFERENCE,
        rules::EXTERNAL_REFERENCE,
        rules::EXTENSION_SCRIPT,
        rules::LIMITS,
    ] {
        f.finish(out, rule, passed_message(rule));
    }
    out.meta("element-count", st.elements);
    if !st.models.is_empty() {
        out.meta(
            "model-types",
            st.models.iter().copied().collect::<Vec<_>>().join(", "),
        );
    }
    out.meta("data-fields", st.data_fields);
}

fn passed_message(rule: &str) -> &'static str {
    match rule {
        rules::DOCTYPE => "no DOCTYPE",
        rules::ENTITY_DECLARATION => "no entity declarations",
        rules::ENTITY_REFERENCE => "only predefined entity and character references",
        rules::EXTERNAL_REFERENCE => "no external schema or DTD references",
        rules::EXTENSION_SCRIPT => "no script or command patterns in <Extension> elements",
        _ => "depth, element count and attribute sizes within limits",
    }
}

fn start<'a>(
    st: &mut State<'a>,
    name: &'a str,
    attrs: &[Attr<'a>],
    at: usize,
    f: &mut Findings,
    out: &mut ScanOutput,
) -> Result<(), String> {
    if st.root.is_some() && st.stack.is_empty() {
        return Err(format!("second root element <{name}> at offset {at}"));
    }
    st.root.get_or_insert(name);
    st.elements += 1;
    if st.stack.len() >= MAX_DEPTH || st.elements > MAX_ELEMENTS {
        let message = format!(
            "more than {MAX_DEPTH} levels or {MAX_ELEMENTS} elements at <{name}> (offset {at}); inspection stopped"
        );
        f.fail(
            out,
            rules::LIMITS,
            Check::failed(rules::LIMITS, message.clone()).offset(at as u64),
        );
        return Err(message);
    }
    for attr in attrs {
        if attr.value.len() > MAX_ATTRIBUTE_BYTES {
            let check = Check::failed(
                rules::LIMITS,
                format!(
                    "attribute {} of <{name}> is {} bytes",
                    attr.name,
                    attr.value.len()
                ),
            )
            .offset(at as u64);
            f.fail(out, rules::LIMITS, check);
        }
        entity_refs(attr.value, at, f, out);
        external_attr(name, attr, at, f, out);
    }
    match (st.stack.len(), name) {
        (1, "Header") => st.in_header = true,
        (1, model) if MODEL_ELEMENTS.contains(&model) => {
            st.models.insert(model);
        }
        (_, "DataField") if st.stack.last() == Some(&"DataDictionary") => st.data_fields += 1,
        _ => {}
    }
    header_metadata(st, name, attrs, out);
    if name == "Extension" && st.extension_start.is_none() {
        st.extension_start = Some(at);
    }
    st.stack.push(name);
    Ok(())
}

fn header_metadata(st: &State, name: &str, attrs: &[Attr], out: &mut ScanOutput) {
    let get = |key: &str| attrs.iter().find(|a| a.name == key).map(|a| a.value);
    match name {
        "PMML" if st.stack.is_empty() => {
            if let Some(v) = get("version") {
                out.meta("pmml-version", v);
            }
        }
        "Header" if st.stack.len() == 1 => {
            for (attr, key) in [
                ("copyright", "copyright"),
                ("description", "description"),
                ("modelVersion", "model-version"),
            ] {
                if let Some(v) = get(attr) {
                    out.meta(key, v);
                }
            }
        }
        "Application" if st.in_header && st.stack.last() == Some(&"Header") => {
            for (attr, key) in [
                ("name", "application-name"),
                ("version", "application-version"),
            ] {
                if let Some(v) = get(attr) {
                    out.meta(key, v);
                }
            }
        }
        _ => {}
    }
}

fn end(
    st: &mut State,
    text: &str,
    name: &str,
    after: usize,
    f: &mut Findings,
    out: &mut ScanOutput,
) {
    st.stack.pop();
    if name == "Header" && st.stack.len() == 1 {
        st.in_header = false;
    }
    if name == "Extension"
        && !st.stack.contains(&"Extension")
        && let Some(start) = st.extension_start.take()
    {
        extension_scripts(&text[start..after], start, f, out);
    }
}

fn extension_scripts(raw: &str, at: usize, f: &mut Findings, out: &mut ScanOutput) {
    let lower = raw.to_ascii_lowercase();
    let found: Vec<&str> = SCRIPT_PATTERNS
        .iter()
        .copied()
        .filter(|p| lower.contains(p))
        .collect();
    if !found.is_empty() {
        let check = Check::failed(
            rules::EXTENSION_SCRIPT,
            format!("<Extension> contains code: {}", found.join(", ")),
        )
        .offset(at as u64)
        .evidence("patterns", found.join(", "));
        f.fail(out, rules::EXTENSION_SCRIPT, check);
    }
}

fn doctype_checks(doctype: &str, at: usize, f: &mut Findings, out: &mut ScanOutput) {
    let external = xml::doctype_external(doctype);
    let mut check = Check::failed(rules::DOCTYPE, "DOCTYPE declaration: PMML needs none, and parsers that process it may fetch or expand what it declares")
        .offset(at as u64);
    if let Some(id) = external {
        check = check.evidence("external_id", id);
        let external_check = Check::failed(
            rules::EXTERNAL_REFERENCE,
            format!("DOCTYPE names an external DTD: {id}"),
        )
        .severity(Severity::Medium)
        .offset(at as u64);
        f.fail(out, rules::EXTERNAL_REFERENCE, external_check);
    }
    f.fail(out, rules::DOCTYPE, check);
    for entity in xml::entities(doctype) {
        let kind = if entity.parameter {
            "parameter entity"
        } else {
            "entity"
        };
        let (severity, message) = match entity.external {
            Some(id) => (
                Severity::Critical,
                format!(
                    "external {kind} `{}` refers to {id} (XXE: file disclosure or request forgery)",
                    entity.name
                ),
            ),
            None if entity.parameter => (
                Severity::Critical,
                format!(
                    "{kind} `{}` declared (used for XXE and expansion attacks)",
                    entity.name
                ),
            ),
            None => (
                Severity::High,
                format!(
                    "{kind} `{}` declared (entity expansion; not expanded by Cordon)",
                    entity.name
                ),
            ),
        };
        let check = Check::failed(rules::ENTITY_DECLARATION, message)
            .severity(severity)
            .offset(at as u64)
            .evidence("entity", entity.name);
        f.fail(out, rules::ENTITY_DECLARATION, check);
    }
}

fn entity_refs(text: &str, at: usize, f: &mut Findings, out: &mut ScanOutput) {
    for name in xml::custom_entity_refs(text) {
        let check = Check::failed(
            rules::ENTITY_REFERENCE,
            format!("reference to entity `&{name};` (left unexpanded)"),
        )
        .offset(at as u64)
        .evidence("entity", name);
        f.fail(out, rules::ENTITY_REFERENCE, check);
    }
}

fn external_attr(element: &str, attr: &Attr, at: usize, f: &mut Findings, out: &mut ScanOutput) {
    let local = attr.name.rsplit(':').next().unwrap_or(attr.name);
    if !matches!(local, "schemaLocation" | "noNamespaceSchemaLocation") {
        return;
    }
    // `schemaLocation` holds namespace/location pairs: only the locations are fetched.
    let step = if local == "schemaLocation" { 2 } else { 1 };
    for url in attr.value.split_whitespace().skip(step - 1).step_by(step) {
        let lower = url.to_ascii_lowercase();
        let severity = if lower.starts_with("file:") {
            Severity::Medium
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            Severity::Low
        } else {
            continue;
        };
        let check = Check::failed(
            rules::EXTERNAL_REFERENCE,
            format!("{} on <{element}> points to {url}", attr.name),
        )
        .severity(severity)
        .offset(at as u64)
        .evidence("url", url);
        f.fail(out, rules::EXTERNAL_REFERENCE, check);
    }
}
