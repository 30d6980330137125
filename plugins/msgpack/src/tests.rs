use std::io::Cursor;

use cordon_plugin_sdk::{Severity, Status};

use super::*;

/// A minimal msgpack encoder for building test documents byte-exact.
enum M {
    Int(u64),
    Str(&'static str),
    Bin(Vec<u8>),
    Arr(Vec<M>),
    Map(Vec<(M, M)>),
    Ext(i8, Vec<u8>),
    F64(f64),
}

fn enc(m: &M, out: &mut Vec<u8>) {
    match m {
        M::Int(n) if *n < 128 => out.push(*n as u8),
        M::Int(n) => {
            out.push(0xcf);
            out.extend_from_slice(&n.to_be_bytes());
        }
        M::Str(s) if s.len() < 32 => {
            out.push(0xa0 | s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        M::Str(s) => {
            out.push(0xdb);
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        M::Bin(b) => {
            out.push(0xc6);
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
        M::Arr(items) => {
            out.push(0xdc);
            out.extend_from_slice(&(items.len() as u16).to_be_bytes());
            items.iter().for_each(|i| enc(i, out));
        }
        M::Map(entries) => {
            out.push(0xde);
            out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
            for (k, v) in entries {
                enc(k, out);
                enc(v, out);
            }
        }
        M::Ext(code, data) => {
            out.push(0xc9);
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            out.push(*code as u8);
            out.extend_from_slice(data);
        }
        M::F64(x) => {
            out.push(0xcb);
            out.extend_from_slice(&x.to_be_bytes());
        }
    }
}

fn bytes(m: &M) -> Vec<u8> {
    let mut out = Vec::new();
    enc(m, &mut out);
    out
}

/// A Flax ndarray ext: `[shape, dtype, data]` packed inside ext type 1.
fn ndarray(shape: &[u64], dtype: &'static str, data_len: usize) -> M {
    let mut payload = vec![0x93];
    enc(
        &M::Arr(shape.iter().map(|d| M::Int(*d)).collect()),
        &mut payload,
    );
    enc(&M::Str(dtype), &mut payload);
    enc(&M::Bin(vec![0; data_len]), &mut payload);
    M::Ext(1, payload)
}

fn valid() -> M {
    M::Map(vec![
        (
            M::Str("params"),
            M::Map(vec![(
                M::Str("Dense_0"),
                M::Map(vec![
                    (M::Str("kernel"), ndarray(&[3, 4], "float32", 48)),
                    (M::Str("bias"), ndarray(&[4], "bfloat16", 8)),
                ]),
            )]),
        ),
        (M::Str("step"), M::Int(1000)),
        (M::Str("lr"), M::F64(0.001)),
        (
            M::Str("scale"),
            M::Ext(3, {
                let mut p = vec![0x93, 0x90];
                enc(&M::Str("float32"), &mut p);
                enc(&M::Bin(vec![0; 4]), &mut p);
                p
            }),
        ),
    ])
}

fn scan(data: &[u8]) -> Walked {
    walk(Cursor::new(data), data.len() as u64)
}

fn failed(w: &Walked) -> Vec<(&str, Option<Severity>, &str)> {
    w.out
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity, c.message.as_str()))
        .collect()
}

fn meta<'a>(w: &'a Walked, key: &str) -> &'a str {
    &w.out
        .metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}"))
        .1
}

#[test]
fn flax_checkpoint_passes_every_rule() {
    let data = bytes(&valid());
    let w = scan(&data);
    assert_eq!(failed(&w), vec![]);
    assert!(w.well_formed);
    for rule in rules::catalog() {
        assert!(
            w.out
                .checks
                .iter()
                .any(|c| c.rule == rule.id && c.status == Status::Passed),
            "{} not passed",
            rule.id
        );
    }
    assert_eq!(meta(&w, "top-level-keys"), "params, step, lr, scale");
    assert_eq!(meta(&w, "tensor-count"), "3");
    assert_eq!(meta(&w, "parameter-count"), "17");
    assert_eq!(meta(&w, "dtypes"), "bfloat16,float32");
    assert_eq!(meta(&w, "max-depth"), "3");
    assert_eq!(meta(&w, "framework"), "flax");
    assert!(starts_like_a_map(&data));
}

#[test]
fn python_references_are_flagged() {
    let doc = M::Map(vec![
        (
            M::Str("__reduce__"),
            M::Arr(vec![M::Str("os.system"), M::Arr(vec![M::Str("id")])]),
        ),
        (M::Str("__class__"), M::Str("flax.core.FrozenDict")),
        (M::Str("note"), M::Str("see os.path docs")),
    ]);
    let w = scan(&bytes(&doc));
    let f = failed(&w);
    assert_eq!(f.len(), 3, "{f:#?}");
    assert!(f.contains(&(
        rules::PYTHON_REFERENCE,
        Some(Severity::High),
        "key `__reduce__` names a pickle reducer or interpreter internal"
    )));
    assert!(f.contains(&(
        rules::PYTHON_REFERENCE,
        Some(Severity::High),
        "value `os.system` names a callable in the `os` module"
    )));
    assert!(f.contains(&(
        rules::PYTHON_REFERENCE,
        Some(Severity::Medium),
        "key `__class__` names a Python object attribute"
    )));
    let located = w
        .out
        .checks
        .iter()
        .find(|c| c.message.contains("os.system"))
        .unwrap();
    assert_eq!(
        located.location.as_ref().unwrap().locator.as_deref(),
        Some("__reduce__/0")
    );
}

#[test]
fn pickles_in_bin_fields_are_handed_back() {
    let pickle = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02osR.".to_vec();
    let doc = M::Map(vec![
        (M::Str("opt_state"), M::Bin(pickle.clone())),
        (M::Str("weights"), ndarray(&[4], "uint8", 4)),
        (M::Str("noise"), M::Bin(vec![0x80, 0x03, 1, 2])),
    ]);
    let data = bytes(&doc);
    let w = scan(&data);
    assert_eq!(w.pickles.len(), 1);
    let p = &w.pickles[0];
    assert_eq!(p.name, "opt_state");
    assert_eq!(
        &data[p.offset as usize..(p.offset + p.len) as usize],
        pickle.as_slice()
    );
    assert_eq!(
        failed(&w).iter().map(|f| f.0).collect::<Vec<_>>(),
        vec![rules::EMBEDDED_PICKLE]
    );
}

#[test]
fn array_payloads_and_ext_types_are_checked() {
    let doc = M::Map(vec![
        (M::Str("short"), ndarray(&[4, 4], "float32", 60)),
        (M::Str("object"), ndarray(&[2], "object", 16)),
        (M::Str("overflow"), ndarray(&[u64::MAX, 16], "float64", 0)),
        (M::Str("garbage"), M::Ext(1, vec![0x92, 0x90, 0xa0])),
        (M::Str("custom"), M::Ext(42, vec![1, 2, 3])),
    ]);
    let w = scan(&bytes(&doc));
    let f = failed(&w);
    let arrays: Vec<_> = f
        .iter()
        .filter(|x| x.0 == rules::ARRAY)
        .map(|x| x.2)
        .collect();
    assert_eq!(arrays.len(), 4, "{f:#?}");
    assert!(
        arrays.contains(&"ndarray ext: float32 array of 16 elements needs 64 bytes but holds 60")
    );
    assert!(arrays.iter().any(|m| m.contains("object dtype")));
    assert!(arrays.iter().any(|m| m.contains("more than 2^64")));
    assert!(
        f.iter()
            .any(|x| x.0 == rules::EXT_TYPE && x.2.contains("unknown ext type 42"))
    );
    assert!(
        w.well_formed,
        "ext problems do not break the outer structure"
    );
}

#[test]
fn structure_and_limits_are_reported() {
    let mut trailing = bytes(&valid());
    trailing.extend_from_slice(b"hidden");
    let w = scan(&trailing);
    assert!(!w.well_formed);
    assert!(
        failed(&w)
            .iter()
            .any(|x| x.0 == rules::STRUCTURE && x.2.starts_with("6 trailing bytes"))
    );

    let huge = [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a'];
    let w = scan(&huge);
    assert!(
        failed(&w)
            .iter()
            .any(|x| x.0 == rules::STRUCTURE && x.2.contains("claims 4294967295 entries"))
    );

    let mut deep = vec![0x91; walk::MAX_DEPTH + 5];
    deep.push(0xc0);
    let w = scan(&deep);
    assert!(w.well_formed);
    assert!(
        w.out
            .checks
            .iter()
            .any(|c| c.rule == rules::LIMITS && c.status == Status::Error)
    );
}

#[test]
fn sniffing_is_conservative() {
    assert!(!starts_like_a_map(b"\x80\x02}q\x00."));
    assert!(!starts_like_a_map(b"\x80"));
    assert!(!starts_like_a_map(b"# README"));
    assert!(!starts_like_a_map(&[0x85, 0x01, 0x02]));
    assert!(starts_like_a_map(&[0x81, 0xa6, b'p']));
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn truncated_and_corrupted_documents_never_panic() {
    let good = bytes(&valid());
    for len in 0..good.len() {
        assert!(
            !scan(&good[..len]).well_formed,
            "prefix of {len} bytes accepted"
        );
    }
    let mut seed = 0x1234_5678_9abc_def1;
    for _ in 0..3000 {
        let mut data = good.clone();
        for _ in 0..1 + rng(&mut seed) % 6 {
            let at = (rng(&mut seed) % data.len() as u64) as usize;
            data[at] = rng(&mut seed) as u8;
        }
        scan(&data);
    }
    for _ in 0..500 {
        let len = (rng(&mut seed) % 256) as usize;
        let data: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
        scan(&data);
    }
}
