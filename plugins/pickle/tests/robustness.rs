//! The analyser must never panic: every prefix of real pickles, mutated
//! pickles and pseudo-random buffers are analysed, and the report
//! invariants hold for each.

mod common;

use std::path::PathBuf;

use common::*;
use cordon_plugin_pickle::{Limits, looks_like_pickle};

/// Pickles exercising many opcodes: built ones plus a few corpus files.
fn samples() -> Vec<Vec<u8>> {
    let mut out = vec![
        P::new()
            .proto(4)
            .frame(30)
            .call("os", "system", "id")
            .memoize()
            .mark()
            .s("a")
            .int1(1)
            .op(b'd')
            .build()
            .stop()
            .0,
        P::new()
            .global("copy_reg", "_reconstructor")
            .mark()
            .global("__main__", "M")
            .global("__builtin__", "object")
            .op(b'N')
            .tuple()
            .reduce()
            .line(b'p', "0")
            .mark()
            .line(b'S', r"'a\x41'")
            .line(b'I', "01")
            .op(b'd')
            .build()
            .stop()
            .0,
        P::new()
            .proto(5)
            .op(0x96)
            .raw(&3u64.to_le_bytes())
            .raw(b"abc")
            .op(0x97)
            .op(0x98)
            .op(0x82)
            .raw(&[5])
            .op(0x8f)
            .mark()
            .op(0x91)
            .op(0x90)
            .stop()
            .0,
    ];
    let corpus = std::env::var_os("CORDON_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    for file in [
        "picklescan/tests/data/sys_module_override_sploit.pkl",
        "picklescan/tests/data/malicious0.pkl",
        "picklescan/tests/data2/cloudpickle_codeinjection.pkl",
        "modelaudit/tests/assets/samples/pickles/nested_pickle_multistage.pkl",
        "modelaudit/tests/assets/samples/pickles/safe_model_with_tokens.pkl",
    ] {
        if let Ok(bytes) = std::fs::read(corpus.join(file)) {
            out.push(bytes);
        }
    }
    out
}

#[test]
fn every_prefix_of_real_pickles() {
    for sample in samples() {
        for end in 0..=sample.len() {
            run(&sample[..end]);
        }
    }
}

#[test]
fn mutated_pickles() {
    let mut rng = Lcg(7);
    let limits = Limits {
        max_opcodes: 100_000,
        ..Limits::default()
    };
    for sample in samples() {
        for _ in 0..300 {
            let mut bytes = sample.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() as usize) % bytes.len();
                bytes[i] = rng.next() as u8;
            }
            run_with(&bytes, &limits);
        }
    }
}

#[test]
fn pseudo_random_buffers() {
    let mut rng = Lcg(0x5eed);
    // Bias towards opcode bytes so that buffers get past the first opcode.
    const OPCODES: &[u8] = b"()0.12abcdeghijlopqrstuIJKLMNPQRSTUVXG]}\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98";
    let limits = Limits {
        max_opcodes: 100_000,
        ..Limits::default()
    };
    for _ in 0..4000 {
        let len = (rng.next() % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.next() % 3 {
                0 => OPCODES[(rng.next() as usize) % OPCODES.len()],
                1 => (rng.next() % 4) as u8,
                _ => rng.next() as u8,
            })
            .collect();
        looks_like_pickle(&bytes);
        run_with(&bytes, &limits);
    }
}

#[test]
fn pathological_nesting_and_lengths() {
    // Deeply nested tuples, then drop: must not overflow the stack.
    let mut p = P::new().proto(2).op(b'N');
    for _ in 0..200_000 {
        p = p.tuple1();
    }
    run(p.stop().bytes());
    // Lists appended into each other through the memo.
    let mut p = P::new().proto(2);
    for i in 0..1000u32 {
        p = p.op(b']').op(b'r').raw(&i.to_le_bytes()).pop();
    }
    for i in 1..1000u32 {
        p = p
            .op(b'j')
            .raw(&(i - 1).to_le_bytes())
            .op(b'j')
            .raw(&i.to_le_bytes())
            .op(b'a')
            .pop();
    }
    run(p.op(b'N').stop().bytes());
    // Lengths that point far beyond the input.
    for header in [
        &b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f"[..],
        b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xff",
        b"X\xff\xff\xff\xff",
        b"\x8b\xff\xff\xff\x7f",
    ] {
        run(header);
    }
}
