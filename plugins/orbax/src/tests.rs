use cordon_plugin_sdk::{ScanOutput, Severity, Status};

use super::*;

fn scan(kind: Kind, bytes: &[u8]) -> ScanOutput {
    let mut out = ScanOutput::default();
    analyze(kind, bytes, bytes.len() as u64, &mut out);
    out
}

fn failed(out: &ScanOutput) -> Vec<(&str, Option<Severity>, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity, c.message.as_str()))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}: {:?}", out.metadata))
        .1
}

fn passed(out: &ScanOutput, rule: &str) -> bool {
    out.checks
        .iter()
        .any(|c| c.rule == rule && c.status == Status::Passed)
}

const CHECKPOINT_METADATA: &str = r#"{"item_handlers": {"params": "orbax.checkpoint._src.handlers.standard_checkpoint_handler.StandardCheckpointHandler"}, "metrics": {}, "init_timestamp_nsecs": 1700000000000000000, "commit_timestamp_nsecs": 1700000000100000000, "custom_metadata": {}}"#;

const METADATA: &str = r#"{"tree_metadata": {"('params', 'dense', 'kernel')": {"key_metadata": [{"key": "params", "key_type": 2}], "value_metadata": {"value_type": "jax.Array", "skip_deserialize": false, "write_shape": [4, 4]}}, "('step',)": {"key_metadata": [], "value_metadata": {"value_type": "scalar"}}}, "use_zarr3": true, "store_array_data_equal_to_fill_value": true}"#;

const ZARRAY: &str = r#"{"chunks": [2, 4], "compressor": {"id": "zstd", "level": 1}, "dtype": "<f4", "fill_value": 0.0, "filters": null, "order": "C", "shape": [4, 4], "zarr_format": 2}"#;

const ZARR_JSON: &str = r#"{"zarr_format": 3, "node_type": "array", "shape": [8], "data_type": "bfloat16", "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8]}}, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}]}"#;

#[test]
fn names_select_the_kind() {
    assert_eq!(
        kind::of("ckpt/0/_CHECKPOINT_METADATA"),
        Some(Kind::Metadata)
    );
    assert_eq!(
        kind::of("ckpt\\0\\default\\_METADATA"),
        Some(Kind::Metadata)
    );
    assert_eq!(kind::of("params/dense/kernel/.zarray"), Some(Kind::Zarr));
    assert_eq!(kind::of("d/zarr.json"), Some(Kind::Zarr));
    assert_eq!(kind::of("ckpt/manifest.ocdbt"), Some(Kind::OcdbtManifest));
    assert_eq!(
        kind::of("ckpt/commit_success.txt"),
        Some(Kind::CommitMarker)
    );
    assert_eq!(kind::of("config.json"), None);
    assert_eq!(kind::of("README"), None);
    assert!(!starts_with_object(b"model_checkpoint_path: \"ckpt-1\"\n"));
    assert!(starts_with_object(b"\n  {\"a\": 1}"));
}

#[test]
fn benign_checkpoint_files_pass() {
    for (kind, text) in [
        (Kind::Metadata, CHECKPOINT_METADATA),
        (Kind::Metadata, METADATA),
        (Kind::Zarr, ZARRAY),
        (Kind::Zarr, ZARR_JSON),
    ] {
        let out = scan(kind, text.as_bytes());
        assert_eq!(failed(&out), vec![], "{text}");
        for rule in [
            rules::JSON,
            rules::CALLABLE,
            rules::PICKLE,
            rules::PATH_ESCAPE,
        ] {
            assert!(passed(&out, rule), "{rule} not passed for {text}");
        }
        if kind == Kind::Zarr {
            for rule in [rules::ZARR_DTYPE, rules::ZARR_CODEC, rules::ZARR_SHAPE] {
                assert!(passed(&out, rule), "{rule} not passed for {text}");
            }
        }
    }
    let out = scan(Kind::Metadata, METADATA.as_bytes());
    assert_eq!(meta(&out, "tree-entries"), "2");
    assert_eq!(meta(&out, "use-zarr3"), "true");
    let out = scan(Kind::Metadata, CHECKPOINT_METADATA.as_bytes());
    assert!(meta(&out, "item-handlers").starts_with("params: orbax.checkpoint."));
    let out = scan(Kind::Zarr, ZARRAY.as_bytes());
    assert_eq!(meta(&out, "zarr-dtype"), "\"<f4\"");
    assert_eq!(meta(&out, "zarr-shape"), "[4, 4]");
    let out = scan(
        Kind::CommitMarker,
        b"Checkpoint commit was successful to /tmp/ckpt/0",
    );
    assert_eq!(failed(&out), vec![]);
    assert!(passed(&out, rules::COMMIT_MARKER));
}

#[test]
fn callable_references_are_graded() {
    let doc = r#"{"restore": {"_target_": "os.system", "command": "id"}, "model": {"_target_": "mylab.models.Transformer"},
        "item_handlers": {"extra": "evil_pkg.Handler", "params": "orbax.checkpoint.PyTreeCheckpointHandler"},
        "restore_fn": "builtins.eval", "__reduce__": ["subprocess.call", ["sh"]]}"#;
    let out = scan(Kind::Metadata, doc.as_bytes());
    let f: Vec<_> = failed(&out)
        .into_iter()
        .filter(|x| x.0 == rules::CALLABLE)
        .collect();
    assert!(
        f.contains(&(
            rules::CALLABLE,
            Some(Severity::Critical),
            "`_target_` = `os.system` imports `os`, which runs commands or code"
        )),
        "{f:#?}"
    );
    assert!(f.contains(&(
        rules::CALLABLE,
        Some(Severity::Critical),
        "`restore_fn` = `builtins.eval` imports `builtins`, which runs commands or code"
    )));
    assert!(
        f.iter()
            .any(|x| x.1 == Some(Severity::Low) && x.2.contains("mylab.models.Transformer"))
    );
    assert!(
        f.iter()
            .any(|x| x.1 == Some(Severity::Info) && x.2.contains("evil_pkg.Handler"))
    );
    assert!(
        f.iter()
            .any(|x| x.1.is_none() && x.2.contains("`__reduce__`"))
    );
    assert_eq!(f.len(), 5, "{f:#?}");
    let located = out
        .checks
        .iter()
        .find(|c| c.message.contains("os.system"))
        .unwrap();
    assert_eq!(
        located.location.as_ref().unwrap().locator.as_deref(),
        Some("/restore/_target_")
    );
}

#[test]
fn escaping_paths_and_pickles_are_flagged() {
    let doc = r#"{"kvstore": {"driver": "file", "path": "../../../etc"}, "a": {"directory": "/abs/ckpt"}, "b": {"uri": "gs://bucket/ckpt"},
        "c": {"file": "file:///etc/passwd"}, "ok": {"path": "params.dense.kernel"},
        "state_b64": "gASVEAAAAAAAAACMAm9zlIwGc3lzdGVtlJOULg==", "state_hex": "80049510000000", "aux": "opt_state.pkl"}"#;
    let out = scan(Kind::Metadata, doc.as_bytes());
    let f = failed(&out);
    let paths: Vec<_> = f
        .iter()
        .filter(|x| x.0 == rules::PATH_ESCAPE)
        .map(|x| (x.1, x.2))
        .collect();
    assert_eq!(paths.len(), 4, "{f:#?}");
    assert!(paths.contains(&(
        Some(Severity::High),
        "`path` climbs out with `..`: ../../../etc"
    )));
    assert!(paths.contains(&(
        Some(Severity::High),
        "`directory` is an absolute path: /abs/ckpt"
    )));
    assert!(paths.contains(&(
        Some(Severity::Medium),
        "`uri` is a URL outside the checkpoint: gs://bucket/ckpt"
    )));
    assert!(paths.contains(&(
        Some(Severity::High),
        "`file` is a file: URL: file:///etc/passwd"
    )));
    let pickles: Vec<_> = f.iter().filter(|x| x.0 == rules::PICKLE).collect();
    assert_eq!(pickles.len(), 3, "{f:#?}");
    assert!(
        pickles
            .iter()
            .any(|x| x.2.starts_with("value is a base64-encoded pickle"))
    );
    assert!(
        pickles
            .iter()
            .any(|x| x.2.starts_with("value is a hex-encoded pickle"))
    );
    assert!(
        pickles
            .iter()
            .any(|x| x.1 == Some(Severity::Medium) && x.2.ends_with("opt_state.pkl"))
    );
}

#[test]
fn zarr_object_dtypes_codecs_and_shapes_are_checked() {
    let doc = r#"{"chunks": [0, 4], "compressor": {"id": "evilcodec"}, "dtype": "|O", "filters": [{"id": "pickle"}, {"id": "delta"}], "shape": [4, -1], "zarr_format": 2}"#;
    let out = scan(Kind::Zarr, doc.as_bytes());
    let f = failed(&out);
    assert!(
        f.contains(&(
            rules::ZARR_DTYPE,
            None,
            "object dtype `|O`: elements are Python objects decoded by an object codec"
        )),
        "{f:#?}"
    );
    assert!(f.contains(&(
        rules::ZARR_CODEC,
        Some(Severity::High),
        "`pickle` codec: reading the array unpickles its chunks"
    )));
    assert!(f.iter().any(|x| x.0 == rules::ZARR_CODEC
        && x.1 == Some(Severity::Medium)
        && x.2.contains("evilcodec")));
    assert!(f.iter().any(|x| x.0 == rules::ZARR_SHAPE));
    assert_eq!(f.len(), 4, "{f:#?}");
    let v3 = r#"{"zarr_format": 3, "node_type": "array", "shape": [2], "data_type": "object", "chunk_grid": {"configuration": {"chunk_shape": [2, 2]}}, "codecs": [{"name": "numcodecs.pickle"}]}"#;
    let out = scan(Kind::Zarr, v3.as_bytes());
    let mut rules_hit: Vec<_> = failed(&out).iter().map(|x| x.0).collect();
    rules_hit.sort();
    assert_eq!(
        rules_hit,
        vec![rules::ZARR_CODEC, rules::ZARR_DTYPE, rules::ZARR_SHAPE],
        "{:#?}",
        failed(&out)
    );
}

#[test]
fn invalid_and_deep_json_is_reported() {
    let out = scan(Kind::Metadata, b"{\"a\": ");
    assert!(
        failed(&out)
            .iter()
            .any(|x| x.0 == rules::JSON && x.2.starts_with("invalid JSON"))
    );
    let deep = format!("{}{}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let out = scan(Kind::Metadata, deep.as_bytes());
    assert!(
        failed(&out)
            .iter()
            .any(|x| x.0 == rules::JSON && x.2.contains("recursion limit")),
        "{:#?}",
        failed(&out)
    );
}

/// A manifest: header, `body`, CRC-32C footer.
fn manifest(compression: u8, body: &[u8]) -> Vec<u8> {
    let len = 4 + 8 + 2 + body.len() + 4;
    let mut m = ocdbt::MAGIC.to_be_bytes().to_vec();
    m.extend_from_slice(&(len as u64).to_le_bytes());
    m.extend_from_slice(&[0, compression]);
    m.extend_from_slice(body);
    let crc = ocdbt::crc32c(&m);
    m.extend_from_slice(&crc.to_le_bytes());
    m
}

/// Uncompressed single-file config followed by a data file table of `paths`.
fn single_manifest(paths: &[&str]) -> Vec<u8> {
    let mut body = vec![7; 16]; // uuid
    body.extend_from_slice(&[0, 100, 0x80, 0x01, 4, 0]); // kind, max inline, max node (varint 128), arity, no compression
    body.push(paths.len() as u8);
    body.extend(std::iter::repeat_n(0, paths.len().saturating_sub(1))); // no shared prefixes
    body.extend(paths.iter().map(|p| p.len() as u8));
    body.extend(paths.iter().map(|_| 0u8)); // base path lengths
    for p in paths {
        body.extend_from_slice(p.as_bytes());
    }
    manifest(0, &body)
}

#[test]
fn ocdbt_manifests_are_validated() {
    let out = scan(
        Kind::OcdbtManifest,
        &single_manifest(&["d/0123abcd", "d/4567ef01"]),
    );
    assert_eq!(failed(&out), vec![]);
    assert!(passed(&out, rules::OCDBT_MANIFEST) && passed(&out, rules::PATH_ESCAPE));
    assert_eq!(meta(&out, "ocdbt-data-files"), "2");

    let out = scan(
        Kind::OcdbtManifest,
        &single_manifest(&["d/ok", "../../outside"]),
    );
    assert_eq!(
        failed(&out),
        vec![(
            rules::PATH_ESCAPE,
            Some(Severity::High),
            "data file path climbs out with `..`: ../../outside"
        )]
    );

    let mut tampered = single_manifest(&["d/ok"]);
    tampered[20] ^= 1;
    let out = scan(Kind::OcdbtManifest, &tampered);
    assert!(
        failed(&out)
            .iter()
            .any(|x| x.0 == rules::OCDBT_MANIFEST && x.2.starts_with("CRC-32C is"))
    );

    let out = scan(Kind::OcdbtManifest, &manifest(1, &[0x28, 0xb5, 0x2f, 0xfd]));
    assert!(
        out.checks
            .iter()
            .any(|c| c.rule == rules::OCDBT_MANIFEST && c.status == Status::Skipped)
    );

    let out = scan(Kind::OcdbtManifest, b"not a manifest at all");
    assert!(failed(&out).iter().any(|x| x.2.starts_with("magic is")));
}

#[test]
fn commit_marker_with_payload_is_flagged() {
    let out = scan(Kind::CommitMarker, b"ok\x00\x01\x02MZ");
    assert_eq!(
        failed(&out),
        vec![(
            rules::COMMIT_MARKER,
            None,
            "binary content in a text marker"
        )]
    );
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn truncated_and_corrupted_inputs_never_panic() {
    let good = single_manifest(&["d/a", "d/b", "x/../../y"]);
    for len in 0..good.len() {
        scan(Kind::OcdbtManifest, &good[..len]);
    }
    let mut seed = 0xdead_beef_cafe_f00d;
    for _ in 0..3000 {
        let mut bytes = good.clone();
        let at = (rng(&mut seed) % bytes.len() as u64) as usize;
        bytes[at] = rng(&mut seed) as u8;
        // Re-seal the CRC so the parser gets past it and into the table.
        let end = bytes.len() - 4;
        let crc = ocdbt::crc32c(&bytes[..end]);
        bytes[end..].copy_from_slice(&crc.to_le_bytes());
        scan(Kind::OcdbtManifest, &bytes);
    }
    for text in [ZARRAY, ZARR_JSON, METADATA] {
        for (len, _) in text.char_indices() {
            scan(Kind::Zarr, &text.as_bytes()[..len]);
        }
    }
}
