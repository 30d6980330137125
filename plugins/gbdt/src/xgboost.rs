//! XGBoost models saved as JSON or UBJSON (`save_model("m.json"/"m.ubj")`): the
//! same document, checked field by field. Tree contents are counted, not kept.
//! Layout: <https://github.com/dmlc/xgboost/blob/master/doc/model.schema>.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::known::XGBOOST_OBJECTIVES;
use crate::{MAX_TREES, rules, strings};
use cordon_plugin_sdk::Capped;

#[derive(Deserialize)]
pub struct Document {
    pub learner: Option<Learner>,
    pub version: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Learner {
    attributes: Option<Value>,
    feature_names: Option<Value>,
    feature_types: Option<Value>,
    gradient_booster: Option<Booster>,
    learner_model_param: Option<Value>,
    objective: Option<Value>,
}

#[derive(Deserialize)]
struct Booster {
    name: Option<String>,
    model: Option<TreeModel>,
    /// DART wraps a gbtree booster.
    gbtree: Option<Box<Booster>>,
}

#[derive(Deserialize)]
struct TreeModel {
    gbtree_model_param: Option<Value>,
    tree_info: Option<Vec<IgnoredAny>>,
    trees: Option<Vec<IgnoredAny>>,
}

/// A JSON (or UBJSON, converted) document whose top-level object starts with `learner`.
pub fn looks_like_xgboost_json(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let Some(rest) = text.trim_start().strip_prefix('{') else {
        return false;
    };
    rest.trim_start().starts_with("\"learner\"")
}

/// Checks a parsed document whose `learner` and `version` are present.
pub fn analyze(doc: &Document, format: &str, out: &mut ScanOutput) {
    out.meta("library", "xgboost");
    out.meta("format", format);
    let learner = doc.learner.as_ref().expect("caller checked learner");
    let mut structure = Capped::new(rules::STRUCTURE, out);
    match doc.version.as_ref().and_then(version) {
        Some(v) => structure.out().meta("version", v),
        None => structure.push(
            Check::failed(
                rules::STRUCTURE,
                "`version` is not an array of three integers",
            )
            .locator("/version"),
        ),
    }
    let params = learner.learner_model_param.as_ref();
    let param = |key: &str| params.and_then(|p| p.get(key)).and_then(number);
    let num_feature = param("num_feature");
    if let Some(n) = num_feature {
        structure.out().meta("features", n);
    }
    if let Some(n) = param("num_class") {
        structure.out().meta("classes", n.max(1));
    }
    check_features(learner, num_feature, &mut structure);
    check_booster(learner.gradient_booster.as_ref(), &mut structure);
    structure.finish("learner, booster, tree and feature counts are present and consistent");

    check_objective(learner.objective.as_ref(), out);
    check_strings(learner, out);
}

fn version(v: &Value) -> Option<String> {
    let parts = v.as_array().filter(|a| a.len() == 3)?;
    let nums: Option<Vec<u64>> = parts.iter().map(Value::as_u64).collect();
    nums.map(|n| format!("{}.{}.{}", n[0], n[1], n[2]))
}

/// XGBoost writes counts as strings ("12"); accept numbers too.
fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn check_features(learner: &Learner, num_feature: Option<u64>, structure: &mut Capped) {
    let names = learner.feature_names.as_ref().and_then(Value::as_array);
    let types = learner.feature_types.as_ref().and_then(Value::as_array);
    if let (Some(names), Some(n)) = (names, num_feature)
        && !names.is_empty()
        && names.len() as u64 != n
    {
        structure.push(
            Check::failed(
                rules::STRUCTURE,
                format!("{} feature names for num_feature={n}", names.len()),
            )
            .locator("/learner/feature_names"),
        );
    }
    if let (Some(names), Some(types)) = (names, types)
        && !names.is_empty()
        && !types.is_empty()
        && names.len() != types.len()
    {
        structure.push(
            Check::failed(
                rules::STRUCTURE,
                format!(
                    "{} feature names but {} feature types",
                    names.len(),
                    types.len()
                ),
            )
            .locator("/learner/feature_types"),
        );
    }
}

fn check_booster(booster: Option<&Booster>, structure: &mut Capped) {
    let Some(booster) = booster else {
        structure.push(
            Check::failed(rules::STRUCTURE, "learner has no gradient_booster")
                .locator("/learner/gradient_booster"),
        );
        return;
    };
    let name = booster.name.as_deref().unwrap_or("");
    structure.out().meta("booster", name);
    let trees_of = match name {
        "gbtree" => Some(booster),
        "dart" => booster.gbtree.as_deref(),
        "gblinear" => {
            structure.out().meta("trees", 0);
            return;
        }
        other => {
            structure.push(
                Check::failed(
                    rules::STRUCTURE,
                    format!("unknown gradient booster `{}`", strings::excerpt(other)),
                )
                .locator("/learner/gradient_booster/name"),
            );
            return;
        }
    };
    let Some(model) = trees_of.and_then(|b| b.model.as_ref()) else {
        structure.push(
            Check::failed(rules::STRUCTURE, format!("{name} booster has no model"))
                .locator("/learner/gradient_booster/model"),
        );
        return;
    };
    let trees = model.trees.as_ref().map_or(0, Vec::len);
    structure.out().meta("trees", trees);
    if trees as u64 > MAX_TREES {
        structure.push(Check::failed(
            rules::STRUCTURE,
            format!("{trees} trees, above the bound of {MAX_TREES}"),
        ));
    }
    let declared = model
        .gbtree_model_param
        .as_ref()
        .and_then(|p| p.get("num_trees"))
        .and_then(number);
    match declared {
        Some(n) if n == trees as u64 => {}
        Some(n) => structure.push(
            Check::failed(
                rules::STRUCTURE,
                format!("num_trees={n} but the model holds {trees} trees"),
            )
            .locator("/learner/gradient_booster/model/gbtree_model_param/num_trees"),
        ),
        None => structure.push(Check::failed(
            rules::STRUCTURE,
            "gbtree_model_param.num_trees is missing or not a number",
        )),
    }
    let info = model.tree_info.as_ref().map_or(0, Vec::len);
    if info != trees {
        structure.push(
            Check::failed(
                rules::STRUCTURE,
                format!("tree_info lists {info} trees but the model holds {trees}"),
            )
            .locator("/learner/gradient_booster/model/tree_info"),
        );
    }
}

fn check_objective(objective: Option<&Value>, out: &mut ScanOutput) {
    let name = objective
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str);
    match name {
        Some(name) if XGBOOST_OBJECTIVES.contains(&name) => {
            out.meta("objective", name);
            out.push(Check::passed(
                rules::OBJECTIVE,
                format!("objective `{name}` is built in"),
            ));
        }
        Some(name) => {
            out.meta("objective", strings::excerpt(name));
            out.push(
                Check::failed(
                    rules::OBJECTIVE,
                    format!("unknown objective `{}`", strings::excerpt(name)),
                )
                .locator("/learner/objective/name"),
            );
        }
        None => out.push(
            Check::failed(rules::OBJECTIVE, "learner has no objective name")
                .locator("/learner/objective/name"),
        ),
    }
}

fn check_strings(learner: &Learner, out: &mut ScanOutput) {
    let mut capped = Capped::new(rules::STRINGS, out);
    let mut count = 0usize;
    let lists = [
        ("/learner/feature_names", &learner.feature_names),
        ("/learner/feature_types", &learner.feature_types),
    ];
    for (pointer, list) in lists {
        for (i, text) in list
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .enumerate()
        {
            count += 1;
            flag(text, &format!("{pointer}/{i}"), &mut capped);
        }
    }
    if let Some(attributes) = learner.attributes.as_ref().and_then(Value::as_object) {
        for (key, value) in attributes {
            count += 1;
            let pointer = format!("/learner/attributes/{key}");
            flag(key, &pointer, &mut capped);
            if let Some(text) = value.as_str() {
                flag(text, &pointer, &mut capped);
            }
        }
    }
    capped.finish(format!(
        "{count} feature names, types and attributes hold no code, command or URL"
    ));
}

/// Records `text` when it carries code, a command or a URL.
pub fn flag(text: &str, locator: &str, capped: &mut Capped) {
    if let Some((hit, severity)) = strings::classify(text) {
        let what = if severity == Severity::Low {
            "a URL"
        } else {
            "code or a shell command"
        };
        capped.push(
            Check::failed(
                rules::STRINGS,
                format!("string carries {what}: `{}`", strings::excerpt(text)),
            )
            .severity(severity)
            .locator(locator)
            .evidence("match", hit),
        );
    }
}
