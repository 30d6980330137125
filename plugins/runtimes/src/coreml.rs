//! CoreML `.mlmodel` files (a protobuf `Model`, streamed with protowire) and the
//! `Manifest.json` of `.mlpackage` directories. Field numbers, from coremltools'
//! mlmodel/format/*.proto (<https://github.com/apple/coremltools/tree/main/mlmodel/format>):
//! Model: specificationVersion 1, description 2, pipelineClassifier 200,
//! pipelineRegressor 201, pipeline 202, neuralNetworkRegressor 303,
//! neuralNetworkClassifier 403, neuralNetwork 500, mlProgram 502, customModel 555,
//! linkedModel 556; Pipeline.models 1; PipelineClassifier/Regressor.pipeline 1;
//! NeuralNetwork*.layers 1; NeuralNetworkLayer.custom 500; CustomModel.className 10
//! and CustomLayerParams.className 10; LinkedModel.linkedModelFile 1;
//! LinkedModelFile.linkedModelFileName 1 and linkedModelSearchPath 2 (each a
//! StringParameter whose defaultValue is field 1).

use std::io::{BufRead, Seek};

use cordon_plugin_sdk::{Check, ScanOutput};
use cordon_protowire::{Error, Value, Walker};
use serde_json::Value as Json;

use crate::{paths, rules};
use cordon_plugin_sdk::Capped;

const MAX_STRING: usize = 4096;

/// Model type names by `Model` oneof field number.
const MODEL_TYPES: &[(u32, &str)] = &[
    (200, "pipelineClassifier"),
    (201, "pipelineRegressor"),
    (202, "pipeline"),
    (300, "glmRegressor"),
    (301, "supportVectorRegressor"),
    (302, "treeEnsembleRegressor"),
    (303, "neuralNetworkRegressor"),
    (304, "bayesianProbitRegressor"),
    (400, "glmClassifier"),
    (401, "supportVectorClassifier"),
    (402, "treeEnsembleClassifier"),
    (403, "neuralNetworkClassifier"),
    (404, "kNearestNeighborsClassifier"),
    (500, "neuralNetwork"),
    (501, "itemSimilarityRecommender"),
    (502, "mlProgram"),
    (555, "customModel"),
    (556, "linkedModel"),
    (560, "classConfidenceThresholding"),
    (600, "oneHotEncoder"),
    (601, "imputer"),
    (602, "featureVectorizer"),
    (603, "dictVectorizer"),
    (604, "scaler"),
    (606, "categoricalMapping"),
    (607, "normalizer"),
    (609, "arrayFeatureExtractor"),
    (610, "nonMaximumSuppression"),
    (900, "identity"),
    (2000, "textClassifier"),
    (2001, "wordTagger"),
    (2002, "visionFeaturePrint"),
    (2003, "soundAnalysisPreprocessing"),
    (2004, "gazetteer"),
    (2005, "wordEmbedding"),
    (2006, "audioFeaturePrint"),
    (3000, "serializedModel"),
];

#[derive(Default)]
struct Found {
    spec_version: Option<u64>,
    model_type: Option<&'static str>,
    layers: u64,
    custom: Vec<(u64, String, &'static str)>,
    links: Vec<(u64, String)>,
}

/// Walks a `len`-byte `.mlmodel` from `src`.
pub fn analyze(src: impl BufRead + Seek, len: u64, out: &mut ScanOutput) {
    out.meta("format", "coreml");
    let mut walker = Walker::new(src, len);
    let mut found = Found::default();
    let result = model(&mut walker, true, &mut found);
    if let Some(v) = found.spec_version {
        out.meta("version", v);
    }
    if let Some(t) = found.model_type {
        out.meta("model-type", t);
    }
    if found.layers > 0 {
        out.meta("layer-count", found.layers);
    }
    match (result, found.model_type) {
        (Err(e), _) => out.push(
            Check::failed(
                rules::COREML_STRUCTURE,
                format!("model does not decode: {e:?}"),
            )
            .offset(e.offset()),
        ),
        (Ok(()), None) => out.push(Check::failed(
            rules::COREML_STRUCTURE,
            "Model holds no model type",
        )),
        (Ok(()), Some(t)) => out.push(Check::passed(
            rules::COREML_STRUCTURE,
            format!(
                "Model decodes: specification {}, {t}",
                found.spec_version.unwrap_or(0)
            ),
        )),
    }
    let mut custom = Capped::new(rules::COREML_CUSTOM, out);
    for (offset, class, what) in &found.custom {
        custom.push(
            Check::failed(
                rules::COREML_CUSTOM,
                format!("{what} runs native class `{class}`"),
            )
            .offset(*offset)
            .evidence("className", class),
        );
    }
    custom.finish("no custom model or custom layer");
    let mut links = Capped::new(rules::COREML_PATH, out);
    for (offset, path) in &found.links {
        if let Some(why) = paths::escapes(path) {
            links.push(
                Check::failed(
                    rules::COREML_PATH,
                    format!("linked model path `{path}`: {why}"),
                )
                .offset(*offset)
                .evidence("path", path),
            );
        }
    }
    links.finish(format!(
        "{} linked model paths, none outside the bundle",
        found.links.len()
    ));
}

fn model<R: BufRead + Seek>(w: &mut Walker<R>, top: bool, found: &mut Found) -> Result<(), Error> {
    while let Some(field) = w.next_field()? {
        let Value::Len(_) = field.value else {
            if let (1, Value::Varint(v), true) = (field.number, field.value, top) {
                found.spec_version = Some(v);
            }
            continue;
        };
        if top && let Some((_, name)) = MODEL_TYPES.iter().find(|(n, _)| *n == field.number) {
            found.model_type = Some(name);
        }
        match field.number {
            200 | 201 => {
                w.message(|w| submessages(w, 1, |w, f| w.message(|w| pipeline(w, f)), found))?
            }
            202 => w.message(|w| pipeline(w, found))?,
            303 | 403 | 500 => {
                w.message(|w| submessages(w, 1, |w, f| w.message(|w| layer(w, f)), found))?
            }
            555 => w.message(|w| class_name(w, 10, field.offset, "customModel", found))?,
            556 => {
                w.message(|w| submessages(w, 1, |w, f| w.message(|w| linked_file(w, f)), found))?
            }
            _ => {}
        }
    }
    Ok(())
}

/// Calls `each` for every length-delimited field `number` of the current message.
fn submessages<R: BufRead + Seek>(
    w: &mut Walker<R>,
    number: u32,
    mut each: impl FnMut(&mut Walker<R>, &mut Found) -> Result<(), Error>,
    found: &mut Found,
) -> Result<(), Error> {
    while let Some(field) = w.next_field()? {
        if field.number == number && matches!(field.value, Value::Len(_)) {
            each(w, found)?;
        }
    }
    Ok(())
}

fn pipeline<R: BufRead + Seek>(w: &mut Walker<R>, found: &mut Found) -> Result<(), Error> {
    submessages(w, 1, |w, f| w.message(|w| model(w, false, f)), found)
}

fn layer<R: BufRead + Seek>(w: &mut Walker<R>, found: &mut Found) -> Result<(), Error> {
    found.layers += 1;
    while let Some(field) = w.next_field()? {
        if field.number == 500 && matches!(field.value, Value::Len(_)) {
            w.message(|w| class_name(w, 10, field.offset, "custom layer", found))?;
        }
    }
    Ok(())
}

fn class_name<R: BufRead + Seek>(
    w: &mut Walker<R>,
    number: u32,
    offset: u64,
    what: &'static str,
    found: &mut Found,
) -> Result<(), Error> {
    let mut class = String::new();
    while let Some(field) = w.next_field()? {
        if field.number == number && matches!(field.value, Value::Len(_)) {
            class = String::from_utf8_lossy(&w.bytes(MAX_STRING)?).into_owned();
        }
    }
    found.custom.push((offset, class, what));
    Ok(())
}

fn linked_file<R: BufRead + Seek>(w: &mut Walker<R>, found: &mut Found) -> Result<(), Error> {
    while let Some(field) = w.next_field()? {
        if matches!(field.number, 1 | 2) && matches!(field.value, Value::Len(_)) {
            let search_path = field.number == 2;
            let offset = field.offset;
            let value = w.message(|w| string_parameter(w))?;
            // A search path lists directories separated by `:`.
            let parts: Vec<&str> = if search_path {
                value.split(':').collect()
            } else {
                vec![&value]
            };
            for part in parts
                .into_iter()
                .filter(|p| !p.is_empty() && !p.starts_with('$'))
            {
                found.links.push((offset, part.to_owned()));
            }
        }
    }
    Ok(())
}

fn string_parameter<R: BufRead + Seek>(w: &mut Walker<R>) -> Result<String, Error> {
    let mut value = String::new();
    while let Some(field) = w.next_field()? {
        if field.number == 1 && matches!(field.value, Value::Len(_)) {
            value = String::from_utf8_lossy(&w.bytes(MAX_STRING)?).into_owned();
        }
    }
    Ok(value)
}

/// A `.mlpackage` `Manifest.json`: its item paths must stay inside the package.
pub fn manifest(root: &Json, out: &mut ScanOutput) {
    out.meta("format", "coreml-package");
    let Some(items) = root.get("itemInfoEntries").and_then(Json::as_object) else {
        out.push(Check::failed(
            rules::COREML_STRUCTURE,
            "Manifest.json has no itemInfoEntries object",
        ));
        return;
    };
    out.meta("package-items", items.len());
    out.push(Check::passed(
        rules::COREML_STRUCTURE,
        format!("{} package items", items.len()),
    ));
    let mut capped = Capped::new(rules::COREML_PATH, out);
    for (id, item) in items {
        let path = item.get("path").and_then(Json::as_str).unwrap_or("");
        if let Some(why) = paths::escapes(path) {
            capped.push(
                Check::failed(
                    rules::COREML_PATH,
                    format!("package item path `{path}`: {why}"),
                )
                .locator(format!("/itemInfoEntries/{id}/path"))
                .evidence("path", path),
            );
        }
    }
    capped.finish("every package item path stays inside the package");
}
