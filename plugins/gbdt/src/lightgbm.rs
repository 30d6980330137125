//! LightGBM text models (`Booster.save_model`): a `key=value` header, `Tree=N`
//! sections, `end of trees`, then feature importances and a `parameters:` block.
//! Layout: LightGBM's `GBDT::SaveModelToString` (src/boosting/gbdt_model_text.cpp).

use std::io::BufRead;

use cordon_plugin_sdk::{Check, ScanError, ScanOutput};

use crate::known::LIGHTGBM_OBJECTIVES;
use crate::xgboost::flag;
use crate::{MAX_TREES, lines, rules, strings};
use cordon_plugin_sdk::Capped;

/// Longest header or parameter line kept (feature names of wide models run long).
const MAX_HEADER_LINE: usize = 16 << 20;
/// Bytes kept of a tree line: only `Tree=N` and `end of trees` matter there.
const TREE_LINE: usize = 64;
const MAX_CLASSES: u64 = 1 << 20;

/// First line `tree`, second `version=`.
pub fn looks_like_lightgbm(head: &[u8]) -> bool {
    let mut it = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    it.next() == Some(b"tree") && it.next().is_some_and(|l| l.starts_with(b"version="))
}

#[derive(Default)]
struct Header {
    version: Option<String>,
    num_class: Option<String>,
    per_iteration: Option<String>,
    max_feature_idx: Option<String>,
    objective: Option<String>,
    feature_names: Vec<String>,
    tree_sizes: Option<usize>,
}

#[derive(PartialEq)]
enum Section {
    Header,
    Trees,
    Tail,
    Parameters,
}

pub fn analyze(mut reader: impl BufRead, out: &mut ScanOutput) -> Result<(), ScanError> {
    out.meta("library", "lightgbm");
    out.meta("format", "lightgbm-text");
    let io = |e: std::io::Error| ScanError::Io(e.to_string());
    let mut header = Header::default();
    let mut section = Section::Header;
    let mut trees: u64 = 0;
    let mut end_of_trees = false;
    let mut problems: Vec<Check> = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        let keep = if section == Section::Trees {
            TREE_LINE
        } else {
            MAX_HEADER_LINE
        };
        let Some(truncated) = lines::next(&mut reader, keep, &mut line).map_err(io)? else {
            break;
        };
        number += 1;
        let text = String::from_utf8_lossy(&line);
        if truncated && section != Section::Trees {
            problems.push(
                Check::failed(
                    rules::STRUCTURE,
                    format!("line longer than {MAX_HEADER_LINE} bytes"),
                )
                .locator(format!("line {number}")),
            );
        }
        if let Some(n) = text.strip_prefix("Tree=") {
            section = Section::Trees;
            if n.trim().parse::<u64>().ok() != Some(trees) {
                problems.push(
                    Check::failed(
                        rules::STRUCTURE,
                        format!(
                            "section `Tree={}` out of sequence: expected Tree={trees}",
                            strings::excerpt(n)
                        ),
                    )
                    .locator(format!("line {number}")),
                );
            }
            trees += 1;
            if trees > MAX_TREES {
                problems.push(Check::failed(
                    rules::STRUCTURE,
                    format!("more than {MAX_TREES} trees: stopped reading"),
                ));
                break;
            }
            continue;
        }
        match section {
            Section::Header => read_header_line(&text, &mut header),
            Section::Trees if text == "end of trees" => {
                end_of_trees = true;
                section = Section::Tail;
            }
            Section::Trees => {}
            Section::Tail if text == "parameters:" => section = Section::Parameters,
            Section::Tail => {
                if let Some(value) = text.strip_prefix("pandas_categorical:") {
                    texts.push((format!("line {number}"), value.to_owned()));
                }
            }
            Section::Parameters if text == "end of parameters" => section = Section::Tail,
            Section::Parameters => {
                if let Some(value) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                    let value = value.split_once(": ").map_or(value, |(_, v)| v);
                    texts.push((format!("line {number}"), value.to_owned()));
                }
            }
        }
    }
    if number == 0 {
        return Err(ScanError::Malformed("empty input".into()));
    }
    record_metadata(&header, trees, out);
    check_structure(&header, trees, end_of_trees, problems, out);
    check_objective(header.objective.as_deref(), out);
    let mut capped = Capped::new(rules::STRINGS, out);
    for (i, name) in header.feature_names.iter().enumerate() {
        flag(name, &format!("feature_names[{i}]"), &mut capped);
    }
    for (locator, value) in &texts {
        flag(value, locator, &mut capped);
    }
    capped.finish(format!(
        "{} feature names and {} parameter values hold no code, command or URL",
        header.feature_names.len(),
        texts.len()
    ));
    Ok(())
}

fn read_header_line(text: &str, header: &mut Header) {
    let Some((key, value)) = text.split_once('=') else {
        return;
    };
    let value = value.to_owned();
    match key {
        "version" => header.version = Some(value),
        "num_class" => header.num_class = Some(value),
        "num_tree_per_iteration" => header.per_iteration = Some(value),
        "max_feature_idx" => header.max_feature_idx = Some(value),
        "objective" => header.objective = Some(value),
        "feature_names" => {
            header.feature_names = value
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }
        "tree_sizes" => {
            header.tree_sizes = Some(value.split(' ').filter(|s| !s.is_empty()).count())
        }
        _ => {}
    }
}

fn record_metadata(header: &Header, trees: u64, out: &mut ScanOutput) {
    if let Some(v) = &header.version {
        out.meta("version", strings::excerpt(v));
    }
    if let Some(n) = &header.num_class {
        out.meta("classes", strings::excerpt(n));
    }
    out.meta("trees", trees);
    out.meta("features", header.feature_names.len());
    if let Some(objective) = &header.objective {
        out.meta("objective", strings::excerpt(objective));
    }
}

fn check_structure(
    header: &Header,
    trees: u64,
    end_of_trees: bool,
    problems: Vec<Check>,
    out: &mut ScanOutput,
) {
    let mut capped = Capped::new(rules::STRUCTURE, out);
    for problem in problems {
        capped.push(problem);
    }
    let mut fail = |message: String| capped.push(Check::failed(rules::STRUCTURE, message));
    match header.version.as_deref() {
        Some("v2" | "v3" | "v4") => {}
        Some(v) => fail(format!("unknown model version `{}`", strings::excerpt(v))),
        None => fail("no version= line".into()),
    }
    let count = |value: &Option<String>,
                 key: &str,
                 max: u64,
                 fail: &mut dyn FnMut(String)|
     -> Option<u64> {
        match value.as_deref().map(|v| v.trim().parse::<u64>()) {
            Some(Ok(n)) if (1..=max).contains(&n) => Some(n),
            Some(_) => {
                fail(format!(
                    "{key}={} is not a count between 1 and {max}",
                    strings::excerpt(value.as_deref().unwrap_or(""))
                ));
                None
            }
            None => {
                fail(format!("no {key}= line"));
                None
            }
        }
    };
    count(&header.num_class, "num_class", MAX_CLASSES, &mut fail);
    if let Some(per) = count(
        &header.per_iteration,
        "num_tree_per_iteration",
        MAX_CLASSES,
        &mut fail,
    ) && !trees.is_multiple_of(per)
    {
        fail(format!(
            "{trees} trees is not a multiple of num_tree_per_iteration={per}"
        ));
    }
    let names = header.feature_names.len() as u64;
    match header
        .max_feature_idx
        .as_deref()
        .map(|v| v.trim().parse::<u64>())
    {
        Some(Ok(max)) if max.checked_add(1) == Some(names) => {}
        Some(Ok(max)) => fail(format!("max_feature_idx={max} but {names} feature names")),
        _ => fail("max_feature_idx= is missing or not a number".into()),
    }
    if let Some(sizes) = header.tree_sizes
        && sizes as u64 != trees
    {
        fail(format!(
            "tree_sizes lists {sizes} trees but the model holds {trees}"
        ));
    }
    if !end_of_trees {
        fail("no `end of trees` line: the model is truncated".into());
    }
    capped.finish(format!(
        "header, {trees} tree sections and feature names are consistent"
    ));
}

fn check_objective(objective: Option<&str>, out: &mut ScanOutput) {
    let name = objective.and_then(|o| o.split(' ').next()).unwrap_or("");
    if LIGHTGBM_OBJECTIVES.contains(&name) {
        out.push(Check::passed(
            rules::OBJECTIVE,
            format!("objective `{name}` is built in"),
        ));
    } else if objective.is_none() {
        out.push(Check::failed(
            rules::OBJECTIVE,
            "no objective= line: the model was trained with a custom objective or altered",
        ));
    } else {
        out.push(Check::failed(
            rules::OBJECTIVE,
            format!("unknown objective `{}`", strings::excerpt(name)),
        ));
    }
}
