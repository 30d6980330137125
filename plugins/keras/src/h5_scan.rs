//! Scanning a Keras HDF5 file: the root group's Keras attributes, a bounded walk
//! over every group and dataset for external references and unexpected
//! attributes, then the analysis of model_config and training_config.

use std::collections::{BTreeSet, VecDeque};

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity};
use serde_json::Value;

use crate::config::Analysis;
use crate::findings::Findings;
use crate::hdf5::{self, Attribute, File, LinkTarget, ObjectHeader, message};
use crate::source::Source;
use crate::{recover, rules};

/// Objects (groups and datasets) visited by the walk.
const MAX_OBJECTS: usize = 50_000;
/// Group nesting followed by the walk.
const MAX_DEPTH: usize = 32;
/// Characters of an unexpected attribute's value shown as evidence.
const PREVIEW: usize = 120;
/// Attributes Keras writes (a numeric suffix marks a chunk of a large one).
const KERAS_ATTRIBUTES: &[&str] = &[
    "model_config",
    "training_config",
    "keras_version",
    "backend",
    "layer_names",
    "weight_names",
];

/// The root attributes Keras reads, as strings.
#[derive(Default)]
struct KerasAttributes {
    model_config: Option<(u64, String)>,
    training_config: Option<(u64, String)>,
    keras_version: Option<String>,
    backend: Option<String>,
    /// Whether any attribute or name marks the file as Keras'.
    is_keras: bool,
}

pub fn scan(src: &dyn Source, at: u64, name: &str) -> Result<ScanOutput, ScanError> {
    let mut findings = Findings::default();
    findings.meta("format", "hdf5");
    if at > 0 {
        findings.meta("hdf5-user-block", at);
    }
    let name = name.to_ascii_lowercase();
    let mut attrs = KerasAttributes {
        is_keras: name.ends_with("weights.h5") || name.ends_with(".keras"),
        ..KerasAttributes::default()
    };
    let mut structure_ok = true;
    let mut objects = 0;
    match File::open(src, at) {
        Err(e) => structure_ok &= structure_problem(&mut findings, e, "superblock")?,
        Ok(file) => {
            findings.meta("hdf5-superblock-version", file.superblock.version);
            structure_ok &= declared_size_fits(&file, src.size(), &mut findings);
            match root_attributes(&file, &mut attrs) {
                Err(e) => structure_ok &= structure_problem(&mut findings, e, "root group")?,
                Ok(problems) => {
                    for e in problems {
                        structure_ok &= structure_problem(&mut findings, e, "root attribute")?;
                    }
                    let mut walk = Walk {
                        file: &file,
                        findings: &mut findings,
                        keras: attrs.is_keras,
                        ok: true,
                        objects: 0,
                    };
                    walk.run()?;
                    structure_ok &= walk.ok;
                    objects = walk.objects;
                    findings.meta("hdf5-metadata-bytes-read", file.bytes_read());
                }
            }
        }
    }
    if structure_ok {
        findings.conclude(
            rules::H5_STRUCTURE,
            format!(
                "HDF5 metadata parsed within the file's bounds ({objects} object{})",
                if objects == 1 { "" } else { "s" }
            ),
        );
    } else if attrs.model_config.is_none()
        && let Some((offset, config)) = recover::find_config(src)?
    {
        attrs.is_keras = true;
        findings.meta(
            "model-config-source",
            "raw bytes (HDF5 structure unreadable)",
        );
        attrs.model_config = Some((offset, config.to_string()));
    }
    if attrs.is_keras {
        findings.meta("framework", "keras");
        findings.conclude(rules::H5_ATTRIBUTE, "only the attributes Keras writes");
    } else {
        findings.skip(rules::H5_ATTRIBUTE, "not a Keras file: no Keras attributes");
    }
    if let Some(version) = &attrs.keras_version {
        findings.meta("keras-version", version);
    }
    if let Some(backend) = &attrs.backend {
        findings.meta("backend", backend);
    }
    findings.meta("hdf5-objects", objects);
    analyse_configs(&attrs, &mut findings);
    findings.conclude(
        rules::EXTERNAL_REFERENCE,
        "no external files, links or URLs",
    );
    Ok(findings.output())
}

/// The HDF5 library refuses a file shorter than the end-of-file address it declares.
fn declared_size_fits(file: &File, size: u64, findings: &mut Findings) -> bool {
    let Some(end) = file
        .superblock
        .eof
        .and_then(|eof| eof.checked_add(file.superblock.base))
    else {
        return true;
    };
    if end <= size {
        return true;
    }
    findings.record(
        Check::failed(
            rules::H5_STRUCTURE,
            format!("superblock declares the file ends at byte {end}, but it has {size} bytes: truncated"),
        )
        .evidence("declared_end", end)
        .evidence("size", size),
    );
    false
}

/// Record an HDF5 error; `Ok(false)` so callers can fold it into the verdict.
fn structure_problem(
    findings: &mut Findings,
    e: hdf5::Error,
    context: &str,
) -> Result<bool, ScanError> {
    let check = match e {
        hdf5::Error::Io(e) => return Err(e),
        hdf5::Error::Malformed { at, .. } => {
            Check::failed(rules::H5_STRUCTURE, format!("{context}: {e}")).offset(at)
        }
        hdf5::Error::Unsupported(_) | hdf5::Error::Limit(_) => {
            Check::error(rules::H5_STRUCTURE, format!("{context}: {e}"))
        }
    };
    findings.record(check);
    Ok(false)
}

/// Read the root group's Keras attributes; errors on single attributes are returned.
fn root_attributes(file: &File, out: &mut KerasAttributes) -> hdf5::Result<Vec<hdf5::Error>> {
    let root = file.object_header(file.superblock.root)?;
    let mut problems = Vec::new();
    for attr in file.attributes(&root)? {
        let slot = match attr.name.as_str() {
            "model_config" | "training_config" | "keras_version" | "backend" => &attr.name,
            "layer_names" => {
                out.is_keras = true;
                continue;
            }
            _ => continue,
        };
        out.is_keras = true;
        let value = match file.strings(&attr) {
            Ok(values) => values.into_iter().next().unwrap_or_default(),
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        match slot.as_str() {
            "model_config" => out.model_config = Some((attr.at, value)),
            "training_config" => out.training_config = Some((attr.at, value)),
            "keras_version" => out.keras_version = Some(value),
            _ => out.backend = Some(value),
        }
    }
    Ok(problems)
}

fn analyse_configs(attrs: &KerasAttributes, findings: &mut Findings) {
    let Some((offset, model)) = &attrs.model_config else {
        findings.skip(
            rules::CONFIG_JSON,
            "no model_config attribute: a weights-only file",
        );
        for rule in rules::CONFIG_RULES {
            findings.skip(rule, "no model configuration in the file");
        }
        return;
    };
    let mut documents = vec![("model_config", *offset, model.as_str())];
    if let Some((offset, training)) = &attrs.training_config {
        documents.push(("training_config", *offset, training.as_str()));
    }
    let mut analysis = Analysis::new(findings);
    for (label, offset, text) in documents {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => {
                if label == "model_config" {
                    analysis.facts.model(&value);
                } else {
                    analysis.facts.training(&value);
                }
                analysis.document(label, &value);
            }
            Err(e) => analysis.record(
                Check::failed(
                    rules::CONFIG_JSON,
                    format!("{label} is not valid JSON: {e}"),
                )
                .offset(offset)
                .locator(label),
            ),
        }
    }
    analysis.finish();
    findings.conclude(rules::CONFIG_JSON, "model_config is a Keras JSON object");
}

/// Breadth-first walk over the objects reachable from the root group.
struct Walk<'f, 's> {
    file: &'f File<'s>,
    findings: &'f mut Findings,
    keras: bool,
    ok: bool,
    objects: usize,
}

impl Walk<'_, '_> {
    fn run(&mut self) -> Result<(), ScanError> {
        let mut queue = VecDeque::from([(self.file.superblock.root, String::from("/"), 0usize)]);
        let mut seen = BTreeSet::new();
        while let Some((addr, path, depth)) = queue.pop_front() {
            if !seen.insert(addr) {
                continue;
            }
            if self.objects == MAX_OBJECTS {
                self.findings.record(Check::error(
                    rules::H5_STRUCTURE,
                    format!("more than {MAX_OBJECTS} objects; the rest were not checked"),
                ));
                self.ok = false;
                break;
            }
            self.objects += 1;
            match self.object(addr, &path) {
                Ok(links) if depth < MAX_DEPTH => {
                    for (name, child) in links {
                        let child_path = format!("{}/{name}", path.trim_end_matches('/'));
                        queue.push_back((child, child_path, depth + 1));
                    }
                }
                Ok(links) if !links.is_empty() => {
                    self.findings.record(
                        Check::error(rules::H5_STRUCTURE, format!("groups nest deeper than {MAX_DEPTH}; members of {path} were not checked"))
                            .locator(path.clone()),
                    );
                    self.ok = false;
                }
                Ok(_) => {}
                Err(e) => {
                    self.ok &= structure_problem(self.findings, e, &format!("object {path}"))?;
                }
            }
        }
        Ok(())
    }

    /// Check one object; returns its hard-linked members.
    fn object(&mut self, addr: u64, path: &str) -> hdf5::Result<Vec<(String, u64)>> {
        let header = self.file.object_header(addr)?;
        if self.keras {
            for attr in self.file.attributes(&header)? {
                self.attribute(&attr, path);
            }
        }
        self.external_storage(&header, path);
        let mut members = Vec::new();
        for link in self.file.links(&header)? {
            match link.target {
                LinkTarget::Hard(child) => members.push((link.name, child)),
                LinkTarget::External { file, path: target } => self.findings.record(
                    Check::failed(
                        rules::EXTERNAL_REFERENCE,
                        format!(
                            "external link {path}/{} points into file {file:?}",
                            link.name
                        ),
                    )
                    .locator(format!("{}/{}", path.trim_end_matches('/'), link.name))
                    .evidence("file", file)
                    .evidence("path", target),
                ),
                LinkTarget::Soft(_) | LinkTarget::UserDefined(_) => {}
            }
        }
        Ok(members)
    }

    fn attribute(&mut self, attr: &Attribute, path: &str) {
        let base = attr.name.trim_end_matches(|c: char| c.is_ascii_digit());
        if KERAS_ATTRIBUTES.contains(&base) {
            return;
        }
        let preview = match self.file.strings(attr) {
            Ok(values) => values.join(" ").chars().take(PREVIEW).collect(),
            Err(_) => attr.datatype.describe(),
        };
        self.findings.record(
            Check::failed(
                rules::H5_ATTRIBUTE,
                format!(
                    "attribute {:?} on {path} is not one Keras writes",
                    attr.name
                ),
            )
            .offset(attr.at)
            .locator(path)
            .evidence("attribute", &attr.name)
            .evidence("value", preview),
        );
    }

    /// Datasets whose data lives in other files: external file lists and virtual layouts.
    fn external_storage(&mut self, header: &ObjectHeader, path: &str) {
        for m in header.find(message::EXTERNAL_FILES) {
            let files = self.file.external_files(m).unwrap_or_default();
            self.findings.record(
                Check::failed(
                    rules::EXTERNAL_REFERENCE,
                    format!("dataset {path} reads its data from external files"),
                )
                .severity(Severity::High)
                .offset(m.at)
                .locator(path)
                .evidence("files", files.join(",")),
            );
        }
        for m in header.find(message::LAYOUT) {
            // Layout versions 3 and 4 put the layout class second; class 3 is virtual.
            if m.data.first().is_some_and(|v| *v >= 3) && m.data.get(1) == Some(&3) {
                self.findings.record(
                    Check::failed(
                        rules::EXTERNAL_REFERENCE,
                        format!("dataset {path} is a virtual dataset mapping data from other datasets or files"),
                    )
                    .offset(m.at)
                    .locator(path),
                );
            }
        }
    }
}
