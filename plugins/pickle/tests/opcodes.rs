//! Opcode families: argument decoding, stack and memo semantics, and the
//! errors CPython's unpickler raises, checked through what the analysis
//! reports.

mod common;

use common::*;
use cordon_plugin_pickle::{Severity, Status};

/// Resolves a global whose module and name strings are produced by
/// `module` and `name`, returning the analysis.
fn global_from(module: P, name: P) -> cordon_plugin_pickle::Analysis {
    let p = P::new()
        .proto(4)
        .raw(module.bytes())
        .raw(name.bytes())
        .stack_global()
        .stop();
    run(p.bytes())
}

fn complete(a: &cordon_plugin_pickle::Analysis) -> bool {
    failed(a, "pickle-malformed").is_empty()
        && with_status(a, "pickle-stream", Status::Error).is_empty()
}

#[test]
fn every_string_opcode_can_name_a_global() {
    let cases: Vec<(P, &str)> = vec![
        (P::new().line(b'S', "'collections'"), "STRING"),
        (
            P::new().line(b'S', r#""coll\145ctions""#),
            "STRING with octal escape",
        ),
        (
            P::new()
                .op(b'T')
                .raw(&11u32.to_le_bytes())
                .raw(b"collections"),
            "BINSTRING",
        ),
        (
            P::new().op(b'U').raw(&[11]).raw(b"collections"),
            "SHORT_BINSTRING",
        ),
        (P::new().line(b'V', r"collecti\u006fns"), "UNICODE"),
        (P::new().s("collections"), "SHORT_BINUNICODE"),
        (P::new().unicode("collections"), "BINUNICODE"),
        (
            P::new()
                .op(0x8d)
                .raw(&11u64.to_le_bytes())
                .raw(b"collections"),
            "BINUNICODE8",
        ),
    ];
    for (module, what) in cases {
        let a = global_from(module, P::new().s("OrderedDict"));
        assert_eq!(a.meta("globals"), Some("collections.OrderedDict"), "{what}");
        assert!(complete(&a), "{what}: {}", dump(&a));
        assert_clean(&a);
    }
}

#[test]
fn bytes_are_not_valid_global_names() {
    for module in [
        P::new().short_bytes(b"os"),
        P::new().op(b'B').raw(&2u32.to_le_bytes()).raw(b"os"),
        P::new().bytes8(b"os"),
        P::new().op(0x96).raw(&2u64.to_le_bytes()).raw(b"os"),
    ] {
        let a = global_from(module, P::new().s("system"));
        let f = one(&a, "pickle-stack-global-operand", Severity::High);
        assert!(f.message.contains("(bytes)"), "{}", f.message);
    }
}

#[test]
fn every_memo_opcode_round_trips() {
    let cases = [
        P::new()
            .s("os")
            .line(b'p', "7")
            .pop()
            .s("system")
            .line(b'p', "8")
            .pop()
            .line(b'g', "7")
            .line(b'g', "8"),
        P::new()
            .s("os")
            .binput(7)
            .pop()
            .s("system")
            .binput(8)
            .pop()
            .binget(7)
            .binget(8),
        P::new()
            .s("os")
            .op(b'r')
            .raw(&70_000u32.to_le_bytes())
            .pop()
            .s("system")
            .op(b'r')
            .raw(&80_000u32.to_le_bytes())
            .pop()
            .op(b'j')
            .raw(&70_000u32.to_le_bytes())
            .op(b'j')
            .raw(&80_000u32.to_le_bytes()),
        P::new()
            .s("os")
            .memoize()
            .pop()
            .s("system")
            .memoize()
            .pop()
            .binget(0)
            .binget(1),
    ];
    for memo in cases {
        let a = run(P::new()
            .proto(4)
            .raw(memo.bytes())
            .stack_global()
            .stop()
            .bytes());
        assert_eq!(a.meta("globals"), Some("os.system"));
        assert!(failed(&a, "pickle-memo-consistency").is_empty());
        assert!(complete(&a), "{}", dump(&a));
    }
}

#[test]
fn memo_errors() {
    let a = run(P::new().op(b'N').line(b'p', "-1").stop().bytes());
    let m = one(&a, "pickle-malformed", Severity::Medium);
    assert!(m.message.contains("negative memo key"), "{}", m.message);

    let a = run(P::new()
        .op(b'N')
        .binput(1)
        .pop()
        .op(b'N')
        .binput(1)
        .stop()
        .bytes());
    let m = one(&a, "pickle-memo-consistency", Severity::Low);
    assert!(m.message.contains("overwrites memo slot 1"));

    // PUT needs a value on the stack.
    let a = run(P::new().binput(0).op(b'N').stop().bytes());
    assert!(
        one(&a, "pickle-malformed", Severity::Medium)
            .message
            .contains("underflow")
    );
}

#[test]
fn integers_and_floats() {
    let p = P::new()
        .mark()
        .line(b'I', "00")
        .line(b'I', "01")
        .line(b'I', "-42")
        .line(b'I', "123456789012345678901234567890")
        .line(b'L', "99999999999999999999999L")
        .line(b'F', "1.5e3")
        .op(b'J')
        .raw(&(-5i32).to_le_bytes())
        .int1(255)
        .op(b'M')
        .raw(&65535u16.to_le_bytes())
        .op(0x8a)
        .raw(&[2, 0xff, 0x7f])
        .op(0x8b)
        .raw(&10u32.to_le_bytes())
        .raw(&[1; 10])
        .op(b'G')
        .raw(&1.25f64.to_be_bytes())
        .op(0x88)
        .op(0x89)
        .op(b'N')
        .tuple()
        .stop();
    let a = run(p.bytes());
    assert!(complete(&a), "{}", dump(&a));
    assert_eq!(a.meta("opcodes"), Some("18"));
    assert_clean(&a);

    for bad in [
        P::new().line(b'I', "12x"),
        P::new().line(b'L', "abc"),
        P::new().line(b'F', "1.2.3"),
        P::new().op(0x8b).raw(&(-1i32).to_le_bytes()),
        P::new().op(b'T').raw(&(-1i32).to_le_bytes()),
        P::new().line(b'S', "unquoted"),
    ] {
        let a = run(bad.stop().bytes());
        one(&a, "pickle-malformed", Severity::Medium);
    }
}

#[test]
fn containers() {
    let p = P::new()
        .proto(4)
        .op(b']')
        .int1(1)
        .op(b'a')
        .mark()
        .int1(2)
        .int1(3)
        .op(b'e')
        .mark()
        .int1(4)
        .op(b'l')
        .op(b'a')
        .empty_dict()
        .s("k")
        .int1(1)
        .op(b's')
        .mark()
        .s("j")
        .int1(2)
        .op(b'u')
        .mark()
        .s("x")
        .int1(0)
        .op(b'd')
        .op(0x86)
        .op(0x8f)
        .mark()
        .int1(1)
        .op(0x90)
        .mark()
        .int1(1)
        .op(0x91)
        .op(0x87)
        .empty_tuple()
        .tuple1()
        .op(0x86)
        .stop();
    let a = run(p.bytes());
    assert!(complete(&a), "{}", dump(&a));
    assert_clean(&a);

    let odd = P::new().mark().int1(1).op(b'd').stop();
    let m = one(&run(odd.bytes()), "pickle-malformed", Severity::Medium)
        .message
        .clone();
    assert!(m.contains("odd number of items for DICT"), "{m}");
    let odd = P::new().empty_dict().mark().int1(1).op(b'u').stop();
    let m = one(&run(odd.bytes()), "pickle-malformed", Severity::Medium)
        .message
        .clone();
    assert!(m.contains("SETITEMS"), "{m}");
}

#[test]
fn marks_fence_the_stack() {
    // POP removes a mark that is on top.
    let a = run(P::new().op(b'N').mark().pop().stop().bytes());
    assert!(complete(&a), "{}", dump(&a));
    // Values below the topmost mark are out of reach.
    let a = run(P::new()
        .global("os", "system")
        .mark()
        .op(b'N')
        .op(b'R')
        .stop()
        .bytes());
    assert!(
        one(&a, "pickle-malformed", Severity::Medium)
            .message
            .contains("underflow")
    );
    assert!(failed(&a, "pickle-dangerous-call").is_empty());
    // POP_MARK discards the slice; collection opcodes need a mark.
    let a = run(P::new()
        .op(b'N')
        .mark()
        .int1(1)
        .int1(2)
        .op(b'1')
        .stop()
        .bytes());
    assert!(complete(&a));
    let a = run(P::new().int1(1).tuple().stop().bytes());
    assert!(
        one(&a, "pickle-malformed", Severity::Medium)
            .message
            .contains("MARK")
    );
    // DUP copies the top.
    let a = run(P::new().op(b'N').op(b'2').pop().stop().bytes());
    assert!(complete(&a));
}

#[test]
fn protocol_opcodes() {
    let a = run(P::new().proto(6).op(b'N').stop().bytes());
    assert!(
        one(&a, "pickle-malformed", Severity::Medium)
            .message
            .contains("protocol 6")
    );

    let a = run(P::new().proto(2).proto(3).op(b'N').stop().bytes());
    one(&a, "pickle-protocol-consistency", Severity::Low);

    // BINBYTES is protocol 3.
    let a = run(P::new().proto(2).short_bytes(b"x").stop().bytes());
    one(&a, "pickle-protocol-consistency", Severity::Low);

    let a = run(P::new().proto(3).short_bytes(b"x").stop().bytes());
    assert_eq!(
        with_status(&a, "pickle-protocol-consistency", Status::Passed).len(),
        1
    );
    assert_eq!(a.meta("protocols"), Some("3"));
}

#[test]
fn persistent_ids_and_out_of_band_buffers() {
    let p = P::new()
        .proto(5)
        .line(b'P', "storage-key")
        .mark()
        .s("storage")
        .global("torch", "FloatStorage")
        .s("0")
        .s("cpu")
        .int1(4)
        .tuple()
        .op(b'Q')
        .op(0x97)
        .op(0x98)
        .op(0x87)
        .stop();
    let a = run(p.bytes());
    assert!(complete(&a), "{}", dump(&a));
    assert_eq!(a.meta("persistent_ids"), Some("2"));
    assert_eq!(a.meta("out_of_band_buffers"), Some("1"));
    assert_clean(&a);
}

#[test]
fn object_construction_opcodes() {
    // NEWOBJ of an application class that is only reconstructed: low.
    let newobj = P::new()
        .proto(4)
        .global("__main__", "MyModel")
        .empty_tuple()
        .op(0x81)
        .empty_dict()
        .build()
        .stop();
    let a = run(newobj.bytes());
    let u = one(&a, "pickle-unknown-global", Severity::Low);
    assert!(u.message.contains("only reconstructed"));

    // NEWOBJ_EX likewise.
    let newobj_ex = P::new()
        .proto(4)
        .global("mylib.models", "Net")
        .empty_tuple()
        .empty_dict()
        .op(0x92)
        .stop();
    one(
        &run(newobj_ex.bytes()),
        "pickle-unknown-global",
        Severity::Low,
    );

    // copyreg._reconstructor(cls, object, None) in protocols 0 and 1.
    let reconstructor = P::new()
        .global("copy_reg", "_reconstructor")
        .mark()
        .global("__main__", "MyModel")
        .global("__builtin__", "object")
        .op(b'N')
        .tuple()
        .reduce()
        .stop();
    let a = run(reconstructor.bytes());
    one(&a, "pickle-unknown-global", Severity::Low);
    assert_eq!(
        with_status(&a, "pickle-safe-global", Status::Passed).len(),
        2
    );

    // copyreg.__newobj__(cls) called through REDUCE.
    let newobj_helper = P::new()
        .proto(2)
        .global("copyreg", "__newobj__")
        .global("mylib", "Net")
        .tuple1()
        .reduce()
        .stop();
    one(
        &run(newobj_helper.bytes()),
        "pickle-unknown-global",
        Severity::Low,
    );

    // Calling an unknown function is medium, as is a class used otherwise.
    let reduce = P::new().proto(4).call("mylib", "helper", "x").stop();
    one(
        &run(reduce.bytes()),
        "pickle-unknown-global",
        Severity::Medium,
    );
    let kept = P::new()
        .proto(4)
        .global("mylib", "Thing")
        .memoize()
        .empty_tuple()
        .op(0x81)
        .pop()
        .binget(0)
        .stop();
    one(
        &run(kept.bytes()),
        "pickle-unknown-global",
        Severity::Medium,
    );
}

#[test]
fn empty_and_garbage_input() {
    let a = run(b"");
    one(&a, "pickle-malformed", Severity::Low);
    assert_eq!(with_status(&a, "pickle-stream", Status::Failed).len(), 1);

    let a = run(b"\x00");
    assert!(
        one(&a, "pickle-malformed", Severity::Medium)
            .message
            .contains("0x00")
    );

    // STOP on an empty stack.
    let a = run(b".");
    assert!(
        one(&a, "pickle-malformed", Severity::Medium)
            .message
            .contains("underflow")
    );
}

#[test]
fn names_must_be_utf8() {
    let a = run(b"cmod\n\xf8\n.");
    let m = one(&a, "pickle-malformed", Severity::Medium);
    assert!(m.message.contains("UTF-8"));
}
