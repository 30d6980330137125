use super::*;
use crate::hdf5::{self, Datatype, File, LinkTarget, find_superblock};

fn open<'a>(bytes: &'a &'a [u8]) -> File<'a> {
    let at = find_superblock(bytes).unwrap().expect("superblock");
    File::open(bytes, at).expect("superblock parses")
}

#[test]
fn reads_symbol_table_groups_and_string_attributes() {
    let bytes = keras_v0(DENSE_MODEL, &[]);
    let bytes = &bytes[..];
    let file = open(&bytes);
    assert_eq!(file.superblock.version, 0);
    let root = file.object_header(file.superblock.root).unwrap();
    let attrs = file.attributes(&root).unwrap();
    let names: Vec<_> = attrs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["model_config", "keras_version", "backend"]);
    assert_eq!(attrs[0].datatype, Datatype::VlenString);
    assert_eq!(file.strings(&attrs[0]).unwrap(), [DENSE_MODEL]);
    assert_eq!(file.strings(&attrs[1]).unwrap(), ["2.13.1"]);

    let links = file.links(&root).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].name, "model_weights");
    let LinkTarget::Hard(child) = links[0].target else {
        panic!("hard link expected")
    };
    let child = file.object_header(child).unwrap();
    let child_attrs = file.attributes(&child).unwrap();
    assert_eq!(file.strings(&child_attrs[0]).unwrap(), ["dense", "dropout"]);
}

#[test]
fn reads_v2_headers_continuations_and_dense_attributes_after_a_user_block() {
    let bytes = keras_dense_v2(DENSE_MODEL);
    assert_eq!(find_superblock(&&bytes[..]).unwrap(), Some(512));
    let bytes = &bytes[..];
    let file = open(&bytes);
    assert_eq!(file.superblock.version, 2);
    let root = file.object_header(file.superblock.root).unwrap();
    let attrs = file.attributes(&root).unwrap();
    let values: Vec<_> = attrs
        .iter()
        .map(|a| (a.name.as_str(), file.strings(a).unwrap().concat()))
        .collect();
    assert_eq!(
        values,
        [
            ("keras_version", "3.1.0".to_owned()),
            ("model_config", DENSE_MODEL.to_owned())
        ]
    );
    let links = file.links(&root).unwrap();
    assert_eq!(links[1].name, "ext");
    assert_eq!(
        links[1].target,
        LinkTarget::External {
            file: "other.h5".into(),
            path: "/data".into()
        }
    );
}

#[test]
fn out_of_bounds_addresses_are_errors_not_panics() {
    let mut bytes = keras_v0(DENSE_MODEL, &[]);
    // Point the root object header past the end of the file.
    let root_field = 8 + 16 + 4 * 8 + 8;
    bytes[root_field..root_field + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let bytes = &bytes[..];
    let file = open(&bytes);
    let err = file.object_header(file.superblock.root).unwrap_err();
    assert!(matches!(err, hdf5::Error::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("past the end"), "{err}");
}

#[test]
fn every_truncation_fails_cleanly() {
    let bytes = keras_dense_v2(DENSE_MODEL);
    for len in (0..bytes.len()).step_by(7) {
        let cut = &bytes[..len];
        // Must return (an output or an error), never panic.
        let _ = crate::scan_source(&cut, "model.h5", None);
    }
    let bytes = keras_v0(LAMBDA_MODEL, &[]);
    for len in (0..bytes.len()).step_by(5) {
        let _ = crate::scan_source(&&bytes[..len], "model.h5", None);
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let original = keras_dense_v2(DENSE_MODEL);
    for i in (0..original.len()).step_by(3) {
        for value in [0x00, 0xff, 0x7f] {
            let mut bytes = original.clone();
            bytes[i] = value;
            let _ = crate::scan_source(&&bytes[..], "model.h5", None);
        }
    }
}

#[test]
fn reads_huge_dense_attributes_through_their_index() {
    // Attributes over 4 KiB in dense storage are huge heap objects: stored
    // apart, found through the heap's huge object B-tree by the ID's key.
    let config = format!(
        r#"{{"class_name": "Sequential", "config": {{"name": "{}"}}}}"#,
        "x".repeat(5000)
    );
    let attr = attribute_v3(
        "model_config",
        &fixed_string_type(config.len() as u32),
        &scalar_space(),
        config.as_bytes(),
    );
    let mut img = Image::default();
    let sb = img.push(&[0u8; 48]);
    let stored = img.push(&attr);
    let huge_leaf = img.push(&btree2_leaf(
        1,
        &[huge_record(stored, attr.len() as u64, 7)],
    ));
    let huge_index = img.push(&btree2_header(1, 24, huge_leaf, 1));
    let heap = img.push(&fractal_heap(UNDEFINED, huge_index));
    // Heap ID: type 1 (huge), then the 7-byte key.
    let id = [0x10, 7, 0, 0, 0, 0, 0, 0];
    let names_leaf = img.push(&btree2_leaf(8, &[attribute_record(&id)]));
    let names = img.push(&btree2_header(8, 17, names_leaf, 1));
    let root = img.push(&object_header_v2(&[(0x15, attribute_info(heap, names))]));
    let eof = img.eof();
    img.patch(sb, &superblock_v2(root, eof));

    let bytes = &img.bytes[..];
    let file = open(&bytes);
    let root = file.object_header(file.superblock.root).unwrap();
    let attrs = file.attributes(&root).unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!(file.strings(&attrs[0]).unwrap(), [config]);
}

#[test]
fn finds_managed_objects_through_a_root_indirect_block() {
    let config = DENSE_MODEL;
    let attr = attribute_v3(
        "model_config",
        &fixed_string_type(config.len() as u32),
        &scalar_space(),
        config.as_bytes(),
    );
    let mut img = Image::default();
    let sb = img.push(&[0u8; 48]);
    let header_len = fractal_heap(0, 0).len() as u64;
    let heap = img.next();
    let iblock = (heap + header_len).div_ceil(8) * 8;
    // Indirect block: signature, version, heap address, block offset, then one
    // row of four direct block addresses; the object is in the second block.
    let iblock_len = 4 + 1 + 8 + 4 + 4 * 8 + 4;
    let dblock = (iblock + iblock_len).div_ceil(8) * 8;
    let mut header = fractal_heap(iblock, UNDEFINED);
    let rows_at = header.len() - 6;
    header[rows_at..rows_at + 2].copy_from_slice(&1u16.to_le_bytes());
    assert_eq!(img.push(&header), heap);
    let mut ib = b"FHIB\0".to_vec();
    ib.extend(heap.to_le_bytes());
    ib.extend(0u32.to_le_bytes());
    for entry in [UNDEFINED, dblock, UNDEFINED, UNDEFINED] {
        ib.extend(entry.to_le_bytes());
    }
    ib.extend(0u32.to_le_bytes());
    assert_eq!(img.push(&ib), iblock);
    assert_eq!(img.push(&direct_block(heap, &attr)), dblock);
    let id = managed_id(512 + DIRECT_BLOCK_HEADER as u32, attr.len() as u16);
    let names_leaf = img.push(&btree2_leaf(8, &[attribute_record(&id)]));
    let names = img.push(&btree2_header(8, 17, names_leaf, 1));
    let root = img.push(&object_header_v2(&[(0x15, attribute_info(heap, names))]));
    let eof = img.eof();
    img.patch(sb, &superblock_v2(root, eof));

    let bytes = &img.bytes[..];
    let file = open(&bytes);
    let root = file.object_header(file.superblock.root).unwrap();
    let attrs = file.attributes(&root).unwrap();
    assert_eq!(file.strings(&attrs[0]).unwrap(), [config]);
}
