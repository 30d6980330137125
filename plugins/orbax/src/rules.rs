//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const JSON: &str = "orbax-json";
pub const CALLABLE: &str = "orbax-callable-reference";
pub const PICKLE: &str = "orbax-embedded-pickle";
pub const PATH_ESCAPE: &str = "orbax-path-escape";
pub const ZARR_DTYPE: &str = "orbax-zarr-dtype";
pub const ZARR_CODEC: &str = "orbax-zarr-codec";
pub const ZARR_SHAPE: &str = "orbax-zarr-shape";
pub const OCDBT_MANIFEST: &str = "orbax-ocdbt-manifest";
pub const COMMIT_MARKER: &str = "orbax-commit-marker";

const ORBAX: &str =
    "https://orbax.readthedocs.io/en/latest/guides/checkpoint/checkpoint_format.html";
const ZARR: &str = "https://zarr-specs.readthedocs.io/en/latest/v2/v2.0.html";
const NUMCODECS: &str = "https://numcodecs.readthedocs.io/en/stable/other/pickles.html";
const OCDBT: &str = "https://google.github.io/tensorstore/kvstore/ocdbt/index.html";
const HYDRA: &str = "https://hydra.cc/docs/advanced/instantiate_objects/overview/";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(JSON, "Metadata is a JSON object", Severity::Medium, "integrity")
            .description("Orbax and Zarr metadata files are UTF-8 JSON objects, at most 64 MiB and 128 levels deep here.")
            .cwe(&[20])
            .remediation("Re-save the checkpoint with a trusted tool.")
            .references(&[ORBAX]),
        Rule::new(CALLABLE, "No references to dangerous Python callables", Severity::High, "code-execution")
            .description("Keys such as `_target_` (Hydra), `restore_fn`, handlers and `__class__` name Python callables that instantiating code imports and calls. Modules like os, subprocess or builtins mean a command runs on restore; other modules are listed for review.")
            .cwe(&[470, 94])
            .attack(&["AML.T0011.000", "T1059.006"])
            .remediation("Never instantiate objects named by checkpoint metadata without an allow-list; remove the reference.")
            .references(&[HYDRA, ORBAX])
            .false_positives("Project-specific handler classes are listed at low or info severity."),
        Rule::new(PICKLE, "No pickles inside metadata", Severity::High, "code-execution")
            .description("String values holding base64 or hex of a pickle, or naming .pkl/.pickle/.joblib files, mean restoring the checkpoint may unpickle data, which runs code.")
            .cwe(&[502])
            .attack(&["AML.T0011.000", "AML.T0010.003"])
            .remediation("Do not restore the checkpoint with code that unpickles; extract and scan the pickle separately.")
            .references(&[ORBAX]),
        Rule::new(PATH_ESCAPE, "Paths stay inside the checkpoint", Severity::High, "tampering")
            .description("Path fields (path, directory, file, location, uri) and OCDBT data file paths must be relative and must not climb out with `..`: restoring would read or write files elsewhere. URLs point at remote storage.")
            .cwe(&[22, 73])
            .attack(&["T1005"])
            .remediation("Rewrite the paths relative to the checkpoint, or restore into an isolated directory.")
            .references(&[ORBAX, OCDBT])
            .false_positives("Checkpoints written to cloud storage can record gs:// locations."),
        Rule::new(ZARR_DTYPE, "Zarr dtype is a plain numeric type", Severity::High, "code-execution")
            .description("An object dtype (`|O`) stores Python objects through an object codec; with the pickle codec, reading the array unpickles it.")
            .cwe(&[502])
            .attack(&["AML.T0011.000"])
            .remediation("Do not read the array; re-save it with a numeric dtype.")
            .references(&[ZARR, NUMCODECS]),
        Rule::new(ZARR_CODEC, "Zarr codecs are standard", Severity::Medium, "code-execution")
            .description("Compressor, filter and codec ids must be standard numcodecs / Zarr codecs. The `pickle` codec unpickles chunk data; unknown ids need a codec plugin registered in the reading environment.")
            .cwe(&[502, 829])
            .attack(&["AML.T0011.000"])
            .remediation("Read the array only with standard codecs installed; never with the pickle codec.")
            .references(&[ZARR, NUMCODECS]),
        Rule::new(ZARR_SHAPE, "Zarr shape and chunks are consistent", Severity::Medium, "integrity")
            .description("shape must be non-negative integers and chunks positive integers of the same rank.")
            .cwe(&[20, 369])
            .remediation("The metadata is corrupt or crafted; do not read the array.")
            .references(&[ZARR]),
        Rule::new(OCDBT_MANIFEST, "OCDBT manifest is intact", Severity::High, "integrity")
            .description("The manifest starts with magic 0x0cdb3a2a, declares its own length, version 0 and a known compression, and ends with a CRC-32C of its contents.")
            .cwe(&[354, 20])
            .remediation("The checkpoint is corrupt or was modified; obtain it again.")
            .references(&[OCDBT]),
        Rule::new(COMMIT_MARKER, "Commit marker is a short text note", Severity::Low, "tampering")
            .description("commit_success.txt only records that a save finished; anything large or binary there is data hidden in the checkpoint.")
            .cwe(&[506])
            .remediation("Inspect the file's content.")
            .references(&[ORBAX]),
    ]
}
