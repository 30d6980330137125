//! Report-level behaviour: benign model pickles pass clean with a record of
//! every check, repeated patterns are deduplicated, and exhausted budgets
//! are errors, never clean.

mod common;

use common::*;
use cordon_plugin_pickle::{Limits, Severity, Status, rules};

/// A protocol-2 torch state dict as legacy `torch.save` writes it: an
/// OrderedDict of tensors rebuilt from persistent storages.
fn torch_state_dict(tensors: usize) -> P {
    let mut p = P::new()
        .proto(2)
        .global("collections", "OrderedDict")
        .binput(0)
        .empty_tuple()
        .reduce()
        .binput(1)
        .mark();
    for i in 0..tensors {
        p = p
            .unicode(&format!("layer{i}.weight"))
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            .mark()
            .unicode("storage")
            .global("torch", "FloatStorage")
            .unicode(&i.to_string())
            .unicode("cpu")
            .int1(16)
            .tuple()
            .op(b'Q')
            .int1(0)
            .int1(4)
            .int1(4)
            .op(0x86)
            .int1(4)
            .int1(1)
            .op(0x86)
            .op(0x89)
            .global("collections", "OrderedDict")
            .empty_tuple()
            .reduce()
            .tuple()
            .reduce();
    }
    p.op(b'u').stop()
}

/// A numpy array as protocol 2 pickles it (bytes via _codecs.encode).
fn numpy_array() -> P {
    P::new()
        .proto(2)
        .global("numpy.core.multiarray", "_reconstruct")
        .global("numpy", "ndarray")
        .int1(0)
        .tuple1()
        .global("_codecs", "encode")
        .unicode("b")
        .unicode("latin1")
        .op(0x86)
        .reduce()
        .op(0x87)
        .reduce()
        .mark()
        .int1(1)
        .int1(3)
        .tuple1()
        .global("numpy", "dtype")
        .unicode("f8")
        .op(0x89)
        .op(0x88)
        .op(0x87)
        .reduce()
        .mark()
        .int1(3)
        .unicode("<")
        .op(b'N')
        .op(b'N')
        .op(b'N')
        .op(b'J')
        .raw(&(-1i32).to_le_bytes())
        .op(b'J')
        .raw(&(-1i32).to_le_bytes())
        .int1(0)
        .tuple()
        .build()
        .op(0x89)
        .global("_codecs", "encode")
        .unicode("\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{f0}?")
        .unicode("latin1")
        .op(0x86)
        .reduce()
        .tuple()
        .build()
        .stop()
}

#[test]
fn benign_model_pickles_pass_clean() {
    for (what, p) in [
        ("torch state dict", torch_state_dict(3)),
        ("numpy array", numpy_array()),
        (
            "sklearn estimator",
            P::new()
                .proto(4)
                .global("sklearn.linear_model._logistic", "LogisticRegression")
                .empty_tuple()
                .op(0x81)
                .empty_dict()
                .s("C")
                .op(b'G')
                .raw(&1.0f64.to_be_bytes())
                .op(b's')
                .build()
                .stop(),
        ),
        (
            "argparse namespace",
            P::new()
                .proto(2)
                .global("argparse", "Namespace")
                .empty_tuple()
                .op(0x81)
                .empty_dict()
                .build()
                .stop(),
        ),
    ] {
        let a = run(p.bytes());
        assert_clean(&a);
        assert!(a.worst_failure().is_none(), "{what}: {}", dump(&a));
        // Every check left a passed record.
        for rule in [
            "pickle-dangerous-global",
            "pickle-unknown-global",
            "pickle-dangerous-call",
            "pickle-unresolved-call",
            "pickle-stack-global-operand",
            "pickle-global-mutation",
            "pickle-extension-registry",
            "pickle-non-ascii-global",
            "pickle-frame-consistency",
            "pickle-memo-consistency",
            "pickle-protocol-consistency",
            "pickle-nested-pickle",
            "pickle-budget",
            "pickle-malformed",
            "pickle-trailing-data",
        ] {
            assert_eq!(
                with_status(&a, rule, Status::Passed).len(),
                1,
                "{what}: {rule}"
            );
        }
        assert_eq!(with_status(&a, "pickle-stream", Status::Passed).len(), 1);
    }
}

#[test]
fn torch_metadata() {
    let a = run(torch_state_dict(2).bytes());
    assert_eq!(a.meta("frameworks"), Some("torch"));
    assert_eq!(a.meta("persistent_ids"), Some("2"));
    assert_eq!(
        a.meta("globals"),
        Some("collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.FloatStorage")
    );
    let safe = with_status(&a, "pickle-safe-global", Status::Passed);
    assert_eq!(safe.len(), 3);
    let ordered = safe
        .iter()
        .find(|f| evidence(f, "name") == Some("OrderedDict"))
        .unwrap();
    assert_eq!(evidence(ordered, "imports"), Some("3"));
    assert_eq!(evidence(ordered, "calls"), Some("3"));
}

#[test]
fn repeated_payloads_are_deduplicated() {
    let mut p = P::new().proto(4).op(b']');
    for _ in 0..10_000 {
        p = p.mark().call("os", "system", "id").op(b'e');
    }
    let a = run(p.stop().bytes());
    assert!(a.findings.len() < 40, "{} findings", a.findings.len());
    let g = one(&a, "pickle-dangerous-global", Severity::Critical);
    assert_eq!(evidence(g, "imports"), Some("10000"));
    let c = one(&a, "pickle-dangerous-call", Severity::Critical);
    assert_eq!(evidence(c, "occurrences"), Some("10000"));
}

#[test]
fn every_rule_is_catalogued_once() {
    let ids: Vec<&str> = rules().iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len());
    for rule in rules() {
        assert!(rule.id.starts_with("pickle-"));
    }
}

fn assert_budget(a: &cordon_plugin_pickle::Analysis, which: &str) {
    let errors = with_status(a, "pickle-budget", Status::Error);
    assert_eq!(errors.len(), 1, "{which}: {}", dump(a));
    assert_eq!(evidence(errors[0], "budget"), Some(which));
    assert!(with_status(a, "pickle-budget", Status::Passed).is_empty());
}

#[test]
fn exhausted_budgets_are_errors() {
    let payload = P::new().proto(4).call("os", "system", "id").stop();
    let big = {
        let mut p = P::new().proto(4).op(b']').mark();
        for i in 0..100 {
            p = p.int1(i).memoize();
        }
        p.op(b'e').stop()
    };
    let cases: Vec<(Limits, &P, &str)> = vec![
        (
            Limits {
                max_opcodes: 50,
                ..Limits::default()
            },
            &big,
            "opcodes",
        ),
        (
            Limits {
                max_memo: 10,
                ..Limits::default()
            },
            &big,
            "memo",
        ),
        (
            Limits {
                max_stack: 10,
                ..Limits::default()
            },
            &big,
            "stack",
        ),
        (
            Limits {
                max_bytes: 10,
                ..Limits::default()
            },
            &payload,
            "bytes",
        ),
    ];
    for (limits, p, which) in cases {
        let a = run_with(p.bytes(), &limits);
        assert_budget(&a, which);
        assert_eq!(with_status(&a, "pickle-stream", Status::Error).len(), 1);
    }

    // A byte budget hit before the payload: nothing found, but not clean.
    let a = run_with(
        payload.bytes(),
        &Limits {
            max_bytes: 10,
            ..Limits::default()
        },
    );
    assert!(failed(&a, "pickle-dangerous-call").is_empty());
    assert!(a.findings.iter().any(|f| f.status == Status::Error));

    // Streams.
    let one_stream = P::new().proto(2).op(b'N').stop();
    let many = one_stream.bytes().repeat(5);
    let a = run_with(
        &many,
        &Limits {
            max_streams: 3,
            ..Limits::default()
        },
    );
    assert_budget(&a, "streams");
    assert_eq!(a.meta("streams"), Some("3"));

    // A later stream padded past the stack budget is not dismissed as junk.
    let mut padded = P::new().proto(2);
    for _ in 0..20 {
        padded = padded.op(b'N');
    }
    let bytes = [one_stream.bytes(), padded.bytes()].concat();
    let a = run_with(
        &bytes,
        &Limits {
            max_stack: 10,
            ..Limits::default()
        },
    );
    assert_budget(&a, "stack");
    assert!(failed(&a, "pickle-trailing-data").is_empty());
}

#[test]
fn budget_exhaustion_after_a_payload_keeps_the_payload() {
    let mut p = P::new().proto(4).call("os", "system", "id");
    for _ in 0..100 {
        p = p.op(b'N');
    }
    let a = run_with(
        p.stop().bytes(),
        &Limits {
            max_opcodes: 20,
            ..Limits::default()
        },
    );
    one(&a, "pickle-dangerous-call", Severity::Critical);
    assert_budget(&a, "opcodes");
}
