use super::*;

#[test]
fn benign_keras_h5_passes_and_reports_metadata() {
    let out = scan(&keras_v0(DENSE_MODEL, &[]), "model.h5", None);
    assert_eq!(failed_rules(&out), []);
    assert!(
        out.checks.iter().all(|c| c.status == Status::Passed),
        "{:?}",
        out.checks
    );
    assert_eq!(meta(&out, "framework"), Some("keras"));
    assert_eq!(meta(&out, "keras-version"), Some("2.13.1"));
    assert_eq!(meta(&out, "backend"), Some("tensorflow"));
    assert_eq!(meta(&out, "hdf5-objects"), Some("2"));
    assert_eq!(meta(&out, "model-class"), Some("Sequential"));
}

#[test]
fn lambda_in_keras_h5_is_critical() {
    let out = scan(&keras_v0(LAMBDA_MODEL, &[]), "model.h5", None);
    assert_eq!(
        failed_rules(&out),
        [(rules::LAMBDA_CODE, Severity::Critical)]
    );
}

#[test]
fn unexpected_attributes_are_low_findings() {
    let payload = string_attribute("payload", "import os; os.system('id')");
    let out = scan(&keras_v0(DENSE_MODEL, &[payload]), "model.h5", None);
    assert_eq!(failed_rules(&out), [(rules::H5_ATTRIBUTE, Severity::Low)]);
    let check = failed(&out)[0];
    assert_eq!(evidence(check, "attribute"), Some("payload"));
    assert_eq!(
        check.location.as_ref().unwrap().locator.as_deref(),
        Some("/model_weights")
    );
}

#[test]
fn dense_storage_user_block_and_external_references() {
    let out = scan(&keras_dense_v2(LAMBDA_MODEL), "model.h5", None);
    let mut hit = failed_rules(&out);
    hit.sort();
    assert_eq!(
        hit,
        [
            (rules::EXTERNAL_REFERENCE, Severity::Medium),
            (rules::EXTERNAL_REFERENCE, Severity::High),
            (rules::LAMBDA_CODE, Severity::Critical),
        ]
    );
    assert_eq!(meta(&out, "hdf5-user-block"), Some("512"));
    assert_eq!(meta(&out, "keras-version"), Some("3.1.0"));
    let files: Vec<_> = failed(&out)
        .into_iter()
        .filter_map(|c| evidence(c, "files"))
        .collect();
    assert_eq!(files, ["/etc/passwd"]);
}

#[test]
fn broken_structure_is_a_finding_and_the_config_is_still_found() {
    let mut bytes = keras_v0(LAMBDA_MODEL, &[]);
    // Break the root object header's version byte.
    let root = u64::from_le_bytes(bytes[64..72].try_into().unwrap()) as usize;
    bytes[root] = 7;
    let out = scan(&bytes, "model.h5", None);
    let hit = failed_rules(&out);
    assert!(
        hit.contains(&(rules::H5_STRUCTURE, Severity::Medium)),
        "{hit:?}"
    );
    assert!(
        hit.contains(&(rules::LAMBDA_CODE, Severity::Critical)),
        "{hit:?}"
    );
    assert_eq!(
        meta(&out, "model-config-source"),
        Some("raw bytes (HDF5 structure unreadable)")
    );
}

#[test]
fn truncated_file_is_flagged() {
    let mut bytes = keras_v0(DENSE_MODEL, &[]);
    bytes.truncate(bytes.len() - 8);
    let out = scan(&bytes, "model.h5", None);
    let structure: Vec<_> = failed(&out)
        .into_iter()
        .filter(|c| c.rule == rules::H5_STRUCTURE)
        .collect();
    assert!(!structure.is_empty());
}

#[test]
fn weights_only_file_skips_configuration_rules() {
    let mut img = Image::default();
    let sb = img.push(&[0u8; 48]);
    let root = img.push(&object_header_v2(&[]));
    let eof = img.eof();
    img.patch(sb, &superblock_v2(root, eof));
    let out = scan(&img.bytes, "model.weights.h5", None);
    assert_eq!(failed_rules(&out), []);
    let skipped: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Skipped)
        .map(|c| c.rule.as_str())
        .collect();
    assert_eq!(
        skipped,
        [
            rules::CONFIG_JSON,
            rules::LAMBDA_CODE,
            rules::DANGEROUS_MODULE,
            rules::UNSAFE_FUNCTION,
            rules::CUSTOM_OBJECT
        ]
    );
    assert_eq!(meta(&out, "framework"), Some("keras"));
}

#[test]
fn every_rule_id_used_is_in_the_catalog_and_unique() {
    let ids: Vec<_> = rules::catalog().into_iter().map(|r| r.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert!(ids.iter().all(|id| id.starts_with("keras-")));
    for rule in rules::catalog() {
        assert!(
            !rule.description.is_empty() && !rule.remediation.is_empty(),
            "{}",
            rule.id
        );
        assert!(
            !rule.cwe.is_empty() && !rule.references.is_empty(),
            "{}",
            rule.id
        );
    }
}
