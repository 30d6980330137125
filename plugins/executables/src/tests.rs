use cordon_plugin_sdk::{ScanError, ScanOutput, Severity, Status};

use super::*;
use crate::binary::tests::{elf64, pe64};

fn failed(out: &ScanOutput) -> Vec<(&str, Option<Severity>)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

fn every_rule_recorded(out: &ScanOutput) {
    for rule in [rules::BINARY, rules::SCRIPT, rules::POLYGLOT] {
        assert_eq!(
            out.checks.iter().filter(|c| c.rule == rule).count(),
            1,
            "{rule}"
        );
    }
}

#[test]
fn elf_is_flagged_high_and_described() {
    let out = analyze("tools/helper", &elf64(), 64).unwrap();
    every_rule_recorded(&out);
    assert_eq!(failed(&out), vec![(rules::BINARY, None)]);
    assert_eq!(meta(&out, "architecture"), "x86-64");
    assert_eq!(meta(&out, "entry-point"), "0x401000");
    assert_eq!(meta(&out, "executable-kind"), "elf");
}

#[test]
fn executable_named_like_a_model_is_critical() {
    let out = analyze("weights/pytorch_model.bin", &pe64(), 0x200).unwrap();
    assert_eq!(
        failed(&out),
        vec![(rules::BINARY, Some(Severity::Critical))]
    );
}

#[test]
fn prepended_stub_is_a_polyglot() {
    let out = analyze("unlisted-bytes@0", &elf64(), 64).unwrap();
    assert_eq!(
        failed(&out),
        vec![
            (rules::BINARY, Some(Severity::Critical)),
            (rules::POLYGLOT, None)
        ]
    );
    assert_eq!(meta(&out, "polyglot"), "prepended-executable");
}

#[test]
fn llamafile_header_is_a_polyglot() {
    let mut head = b"MZqFpD='\n\n".to_vec();
    head.extend_from_slice(b"\x00\x10\x00\x00\xf8\x00");
    let out = analyze("model.llamafile", &head, 4096).unwrap();
    every_rule_recorded(&out);
    assert_eq!(failed(&out), vec![(rules::POLYGLOT, None)]);
}

#[test]
fn scripts_by_shebang_and_by_name() {
    let out = analyze("setup", b"#!/bin/bash\ncurl x | sh\n", 24).unwrap();
    assert_eq!(failed(&out), vec![(rules::SCRIPT, None)]);
    assert_eq!(meta(&out, "interpreter"), "/bin/bash");
    let out = analyze("x/run.bat", b"@echo off\r\n", 11).unwrap();
    assert_eq!(failed(&out), vec![(rules::SCRIPT, None)]);
}

#[test]
fn benign_content_is_declined() {
    for (name, bytes) in [
        ("README.md", &b"# Model card\nMZ and ELF are words.\n"[..]),
        (
            "model.safetensors",
            b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}",
        ),
        ("notes.txt", b"#!important: not a shebang\n"),
        ("Main.class", &[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61, 0, 1]),
        ("empty", b""),
    ] {
        assert!(
            matches!(
                analyze(name, bytes, bytes.len() as u64),
                Err(ScanError::Unsupported(_))
            ),
            "{name}"
        );
    }
}

#[test]
fn truncations_and_random_bytes_never_panic() {
    let mut samples = vec![
        elf64(),
        pe64(),
        b"MZqFpD='\n".to_vec(),
        b"#!/bin/sh\n".to_vec(),
    ];
    samples.push(vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 20]);
    for sample in &samples {
        for len in 0..=sample.len() {
            let _ = analyze("x.sh", &sample[..len], len as u64);
        }
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..2000 {
        let mut bytes = samples[round % samples.len()].clone();
        for _ in 0..8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        let _ = analyze("fuzz", &bytes, state % 100_000);
    }
}
