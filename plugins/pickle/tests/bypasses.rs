//! One test per published scanner-bypass technique (see the project's
//! threats/bypasses.md), with pickles built byte by byte.

mod common;

use common::*;
use cordon_plugin_pickle::{Limits, Severity, Status};

const DANGEROUS_GLOBAL: &str = "pickle-dangerous-global";
const DANGEROUS_CALL: &str = "pickle-dangerous-call";

#[test]
fn plain_reduce_of_os_system_is_critical() {
    let p = P::new().proto(4).call("os", "system", "id").stop();
    let a = run(p.bytes());
    let g = one(&a, DANGEROUS_GLOBAL, Severity::Critical);
    assert_eq!(evidence(g, "resolved"), Some("os.system"));
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(evidence(c, "arguments"), Some("(\"id\",)"));
    assert_eq!(c.locator.as_deref(), Some("stream 0, opcode 6 REDUCE"));
    assert_eq!(c.offset, Some(20));
}

#[test]
fn stack_global_operands_shuffled_through_the_memo() {
    // picklescan issue #22: decoy strings are memoised next to the real ones.
    let p = P::new()
        .line(b'V', "os")
        .line(b'p', "2")
        .pop()
        .line(b'V', "system")
        .line(b'p', "3")
        .pop()
        .line(b'V', "torch")
        .line(b'p', "0")
        .pop()
        .line(b'V', "LongStorage")
        .line(b'p', "1")
        .pop()
        .line(b'g', "2")
        .line(b'g', "3")
        .stack_global()
        .mark()
        .line(b'V', "cat flag.txt")
        .tuple()
        .reduce()
        .stop();
    let a = run(p.bytes());
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(evidence(c, "callee"), Some("os.system"));
    assert_eq!(a.meta("globals"), Some("os.system"));
    // STACK_GLOBAL without PROTO is a protocol inconsistency.
    one(&a, "pickle-protocol-consistency", Severity::Low);
}

#[test]
fn stack_global_fed_by_string_opcodes() {
    // GHSA-9gvj-pp9x-gcfr: STRING (with escapes), BINSTRING, SHORT_BINSTRING.
    let p = P::new()
        .line(b'S', r"'\x6fs'")
        .op(b'U')
        .raw(&[6])
        .raw(b"system")
        .stack_global()
        .op(b'T')
        .raw(&2u32.to_le_bytes())
        .raw(b"id")
        .tuple1()
        .reduce()
        .stop();
    let a = run(p.bytes());
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(evidence(c, "callee"), Some("os.system"));
}

#[test]
fn missing_memo_key_after_payload() {
    // keyerror-exploit: the payload runs, then a GET of a missing key.
    let p = P::new()
        .proto(4)
        .global("os", "system")
        .s("echo pwned")
        .tuple1()
        .reduce()
        .pop()
        .s("os")
        .memoize()
        .binget(3)
        .stack_global()
        .stop();
    let a = run(p.bytes());
    one(&a, DANGEROUS_CALL, Severity::Critical);
    let memo = one(&a, "pickle-memo-consistency", Severity::Medium);
    assert!(memo.message.contains("slot 3"));
    let operand = one(&a, "pickle-stack-global-operand", Severity::High);
    assert!(operand.message.contains("missing memo entry"));
}

#[test]
fn non_string_stack_global_operand() {
    // type-confusion-exploit: an int from the memo as the module name.
    let p = P::new()
        .proto(4)
        .int1(7)
        .memoize()
        .pop()
        .binget(0)
        .s("system")
        .stack_global()
        .s("id")
        .tuple1()
        .reduce()
        .stop();
    let a = run(p.bytes());
    let operand = one(&a, "pickle-stack-global-operand", Severity::High);
    assert!(operand.message.contains("(int)"), "{}", operand.message);
    // The call on what STACK_GLOBAL produced cannot be resolved.
    one(&a, "pickle-unresolved-call", Severity::Medium);
}

#[test]
fn build_on_a_module_then_resolving_the_overwritten_attribute() {
    // sys_module_override_sploit: BUILD rewrites torch._utils._rebuild_tensor
    // to "builtins", then "eval", and STACK_GLOBAL combines the two.
    let overwrite = |p: P, value: &str| {
        p.binget(3)
            .empty_dict()
            .binget(1)
            .s(value)
            .op(b's')
            .build()
            .pop()
    };
    let mut p = P::new()
        .proto(4)
        .s("torch._utils")
        .memoize()
        .s("_rebuild_tensor")
        .memoize()
        .stack_global()
        .memoize()
        .pop()
        .s("torch")
        .s("_utils")
        .stack_global()
        .memoize()
        .pop();
    p = overwrite(p, "builtins");
    p = p.binget(0).binget(1).stack_global();
    p = overwrite(p, "eval");
    p = p
        .binget(0)
        .binget(1)
        .stack_global()
        .stack_global()
        .s("print(1)")
        .tuple1()
        .reduce()
        .stop();
    let a = run(p.bytes());
    let mutations = failed(&a, "pickle-global-mutation");
    assert!(
        mutations.iter().any(|f| f
            .message
            .contains("BUILD modifies the global `torch._utils`")),
        "{}",
        dump(&a)
    );
    assert!(
        mutations
            .iter()
            .any(|f| f.message.contains("resolves to \"eval\"")),
        "{}",
        dump(&a)
    );
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(evidence(c, "callee"), Some("builtins.eval"));
}

#[test]
fn inst_and_obj_instead_of_reduce() {
    // GHSA-mxhj-88fx-4pcv: INST calls directly; OBJ + POP hides the result.
    let inst = P::new()
        .mark()
        .line(b'V', "print(1)")
        .inst("__builtin__", "exec")
        .stop();
    let a = run(inst.bytes());
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(evidence(c, "opcode"), Some("INST"));
    assert_eq!(evidence(c, "resolved"), Some("builtins.exec"));

    let obj = P::new()
        .proto(2)
        .mark()
        .global("subprocess", "check_output")
        .s("id")
        .op(b'o')
        .pop()
        .op(b'N')
        .stop();
    let a = run(obj.bytes());
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(evidence(c, "opcode"), Some("OBJ"));
}

#[test]
fn dotted_names_are_walked() {
    // GHSA-5j3x-jp52-966f: pathlib + "os.system", bdb + "Bdb.run".
    for (module, name, resolved) in [
        ("pathlib", "os.system", "pathlib.os.system"),
        ("bdb", "Bdb.run", "bdb.Bdb.run"),
        (
            "builtins",
            "__builtins__.eval",
            "builtins.__builtins__.eval",
        ),
        (
            "torch.utils",
            "collect_env.run",
            "torch.utils.collect_env.run",
        ),
    ] {
        let a = run(P::new().proto(4).call(module, name, "x").stop().bytes());
        let g = one(&a, DANGEROUS_GLOBAL, Severity::Critical);
        assert_eq!(evidence(g, "resolved"), Some(resolved));
        one(&a, DANGEROUS_CALL, Severity::Critical);
    }
}

#[test]
fn extension_registry_opcodes() {
    for (code, bytes) in [
        (0x82u8, vec![1u8]),
        (0x83, vec![0x34, 0x12]),
        (0x84, vec![0x78, 0x56, 0x34, 0x12]),
    ] {
        let p = P::new()
            .proto(2)
            .op(code)
            .raw(&bytes)
            .s("id")
            .tuple1()
            .reduce()
            .stop();
        let a = run(p.bytes());
        let ext = one(&a, "pickle-extension-registry", Severity::High);
        let expected = match code {
            0x82 => "1",
            0x83 => "4660",
            _ => "305419896",
        };
        assert_eq!(evidence(ext, "code"), Some(expected));
        let call = one(&a, "pickle-unresolved-call", Severity::Medium);
        assert!(call.message.contains("extension-registry object"));
    }
    // Code 0 is rejected by the unpickler.
    let a = run(P::new().proto(2).op(0x82).raw(&[0]).stop().bytes());
    one(&a, "pickle-malformed", Severity::Medium);
}

#[test]
fn module_aliases() {
    for (module, name) in [
        ("nt", "system"),
        ("posix", "system"),
        ("__builtin__", "eval"),
        ("__builtins__", "exec"),
        ("_operator", "attrgetter"),
        ("_functools", "partial"),
        ("_io", "FileIO"),
        ("_pickle", "loads"),
        ("copy_reg", "add_extension"),
    ] {
        let a = run(P::new().global(module, name).stop().bytes());
        one(&a, DANGEROUS_GLOBAL, Severity::Critical);
    }
}

#[test]
fn decoy_imports_do_not_dilute_a_payload() {
    let p = P::new()
        .proto(4)
        .global("torch", "Tensor")
        .pop()
        .global("torch.nn", "Linear")
        .pop()
        .global("collections", "OrderedDict")
        .pop()
        .call("os", "system", "id")
        .stop();
    let a = run(p.bytes());
    assert_critical(&a);
    assert_eq!(
        with_status(&a, "pickle-safe-global", Status::Passed).len(),
        3
    );
}

#[test]
fn importing_a_scanner_module() {
    // fickling PR #249: payloads import scanner modules to disable hooks.
    for module in ["fickling", "picklescan.scanner", "modelscan", "modelaudit"] {
        let a = run(P::new().global(module, "anything").stop().bytes());
        one(&a, DANGEROUS_GLOBAL, Severity::Critical);
    }
}

#[test]
fn import_and_getattr_chains() {
    // GHSA-h4rm-mm56-xf63: __import__("os") then getattr(os, "system")("id").
    let p = P::new()
        .proto(4)
        .s("builtins")
        .s("getattr")
        .stack_global()
        .call("builtins", "__import__", "os")
        .s("system")
        .op(0x86)
        .reduce()
        .s("id")
        .tuple1()
        .reduce()
        .stop();
    let a = run(p.bytes());
    let calls = failed(&a, DANGEROUS_CALL);
    assert_eq!(calls.len(), 2, "{}", dump(&a));
    let getattr = calls
        .iter()
        .find(|f| evidence(f, "callee") == Some("builtins.getattr"))
        .unwrap();
    assert!(
        evidence(getattr, "arguments")
            .unwrap()
            .contains("<result of builtins.__import__(…)>")
    );
    let unresolved = one(&a, "pickle-unresolved-call", Severity::Medium);
    assert!(unresolved.message.contains("builtins.getattr"));
}

#[test]
fn case_and_unicode_spellings() {
    let a = run(P::new().global("OS", "system").stop().bytes());
    let g = one(&a, DANGEROUS_GLOBAL, Severity::High);
    assert!(g.message.contains("case or Unicode folding"));

    let a = run(P::new()
        .proto(4)
        .call("ｏｓ", "ｓｙｓｔｅｍ", "id")
        .stop()
        .bytes());
    one(&a, "pickle-non-ascii-global", Severity::High);
    let g = one(&a, DANGEROUS_GLOBAL, Severity::High);
    assert!(g.message.contains("NFKC"));
    one(&a, DANGEROUS_CALL, Severity::High);

    // Non-ASCII but harmless once folded: still reported.
    let a = run(P::new().global("mÿmodule", "Thing").stop().bytes());
    one(&a, "pickle-non-ascii-global", Severity::High);
    one(&a, "pickle-unknown-global", Severity::Medium);
}

#[test]
fn gadgets_missing_from_older_denylists() {
    for (module, name) in [
        ("pip", "main"),
        ("asyncio.unix_events", "_UnixSubprocessTransport._start"),
        ("uuid", "_get_command_stdout"),
        ("_osx_support", "_read_output"),
        ("_aix_support", "_read_cmd_output"),
        ("imaplib", "IMAP4_stream"),
        ("_pyrepl.pager", "pipe_pager"),
        ("test.support.script_helper", "assert_python_ok"),
        ("pkgutil", "resolve_name"),
        ("importlib", "import_module"),
        ("operator", "attrgetter"),
        ("operator", "itemgetter"),
        ("_operator", "methodcaller"),
        ("functools", "partial"),
        ("functools", "reduce"),
        ("runpy", "_run_code"),
        ("timeit", "timeit"),
        ("cProfile", "run"),
        ("profile", "Profile.runctx"),
        ("trace", "Trace.runctx"),
        ("bdb", "Bdb.run"),
        ("code", "InteractiveInterpreter.runcode"),
        ("codeop", "compile_command"),
        ("doctest", "debug_script"),
        ("idlelib.pyshell", "ModifiedInterpreter.runcode"),
        ("lib2to3.pgen2.grammar", "Grammar.loads"),
        ("ensurepip", "_run_pip"),
        ("venv", "create"),
        ("pydoc", "pipepager"),
        ("numpy.testing._private.utils", "runstring"),
        ("numpy.f2py.crackfortran", "getlincoef"),
        ("torch.utils.collect_env", "run"),
        ("torch.utils.bottleneck.__main__", "run_cprofile"),
        ("torch._dynamo.guards", "GuardBuilder.get"),
        (
            "torch.fx.experimental.symbolic_shapes",
            "ShapeEnv.evaluate_guards_expression",
        ),
        ("torch.jit.unsupported_tensor_ops", "execWrapper"),
        ("torch._inductor.codecache", "compile_file"),
        ("torch.utils.data.datapipes.utils.decoder", "basichandlers"),
        ("torch.utils._config_module", "ConfigModule.load_config"),
        ("torch.serialization", "load"),
        ("torch", "load"),
        ("torch.storage", "_load_from_bytes"),
        ("ctypes", "CDLL"),
        ("pty", "spawn"),
        ("distutils.file_util", "write_file"),
        ("_io", "FileIO"),
        ("logging", "FileHandler"),
        ("urllib.request", "urlopen"),
        ("ssl", "get_server_certificate"),
        ("types", "CodeType"),
        ("types", "FunctionType"),
        ("marshal", "loads"),
        ("multiprocessing.util", "spawnv_passfds"),
        ("_interpreters", "run_string"),
        ("smtplib", "SMTP"),
        ("ftplib", "FTP"),
        ("telnetlib", "Telnet"),
        ("mailcap", "findmatch"),
        ("getpass", "getpass"),
        ("resource", "setrlimit"),
        ("syslog", "syslog"),
        ("gzip", "open"),
        ("bz2", "open"),
        ("lzma", "open"),
        ("py_compile", "compile"),
        ("weakref", "finalize"),
        ("atexit", "register"),
        ("mmap", "mmap"),
        ("dbm", "open"),
        ("http.server", "HTTPServer"),
        ("socketserver", "TCPServer"),
        ("glob", "glob"),
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("builtins", "compile"),
        ("builtins", "open"),
        ("builtins", "__import__"),
        ("builtins", "getattr"),
        ("builtins", "setattr"),
        ("builtins", "delattr"),
        ("builtins", "globals"),
        ("builtins", "locals"),
        ("builtins", "vars"),
        ("builtins", "breakpoint"),
        ("builtins", "input"),
        ("builtins", "exit"),
        ("builtins", "quit"),
        ("builtins", "help"),
        ("dill._dill", "_create_function"),
        ("dill._dill", "_create_code"),
        ("cloudpickle.cloudpickle", "_make_function"),
        ("cloudpickle.cloudpickle", "_builtin_type"),
        ("builtins", "object.__subclasses__"),
        ("mymodule", "__globals__"),
        ("mymodule", "f.__reduce__"),
    ] {
        let a = run(P::new().proto(4).call(module, name, "x").stop().bytes());
        let g = one(&a, DANGEROUS_GLOBAL, Severity::Critical);
        assert_eq!(evidence(g, "module"), Some(module));
        one(&a, DANGEROUS_CALL, Severity::Critical);
    }
}

#[test]
fn broken_stream_keeps_the_payload_found_before_the_error() {
    // nullifAI: GLOBAL builtins.exec, then a truncated BINUNICODE.
    let p = P::new()
        .proto(2)
        .global("builtins", "exec")
        .op(b'X')
        .raw(&1000u32.to_le_bytes())
        .raw(b"import os");
    let a = run(p.bytes());
    one(&a, DANGEROUS_GLOBAL, Severity::Critical);
    let m = one(&a, "pickle-malformed", Severity::Medium);
    assert!(m.message.contains("truncated"));
    assert_eq!(
        with_status(&a, "pickle-stream", Status::Failed).len(),
        1,
        "{}",
        dump(&a)
    );

    // An invalid opcode after the payload.
    let p = P::new()
        .proto(2)
        .call("os", "system", "id")
        .raw(b"\xff\xfe");
    let a = run(p.bytes());
    one(&a, DANGEROUS_CALL, Severity::Critical);
    let m = one(&a, "pickle-malformed", Severity::Medium);
    assert!(m.message.contains("0xff"), "{}", m.message);
}

#[test]
fn concatenated_streams_are_all_analysed() {
    let benign = P::new().proto(2).op(b']').stop();
    let evil = P::new().proto(4).call("builtins", "eval", "1").stop();
    let bytes = [benign.bytes(), benign.bytes(), evil.bytes()].concat();
    let a = run(&bytes);
    assert_eq!(a.meta("streams"), Some("3"));
    let c = one(&a, DANGEROUS_CALL, Severity::Critical);
    assert!(c.locator.as_deref().unwrap().starts_with("stream 2,"));
    assert_eq!(c.offset, Some(2 * benign.bytes().len() as u64 + 23));
    assert_eq!(with_status(&a, "pickle-stream", Status::Passed).len(), 3);

    // A protocol-0 stream (no magic) after a protocol-2 one.
    let p0 = P::new()
        .global("posix", "system")
        .line(b'S', "'id'")
        .op(0x85)
        .reduce()
        .stop();
    let bytes = [benign.bytes(), p0.bytes()].concat();
    let a = run(&bytes);
    one(&a, DANGEROUS_CALL, Severity::Critical);
}

#[test]
fn legacy_torch_payload_in_a_later_stream() {
    // pytorch_magic_bypass: the magic number comes from eval(...), and a
    // later stream of the legacy layout runs posix.system.
    let magic = P::new()
        .proto(2)
        .global("__builtin__", "eval")
        .unicode("0x1950A86A20F9469CFC6C")
        .tuple1()
        .reduce()
        .stop();
    let version = P::new()
        .proto(2)
        .op(b'M')
        .raw(&1001u16.to_le_bytes())
        .stop();
    let evil = P::new()
        .proto(2)
        .global("posix", "system")
        .unicode("echo pwned")
        .tuple1()
        .reduce()
        .stop();
    let bytes = [magic.bytes(), version.bytes(), evil.bytes()].concat();
    let a = run(&bytes);
    let calls = failed(&a, DANGEROUS_CALL);
    assert_eq!(calls.len(), 2, "{}", dump(&a));
}

#[test]
fn trailing_junk_is_low() {
    let p = P::new().proto(2).op(b'N').stop().raw(b"\n\x00\x01junk");
    let a = run(p.bytes());
    let t = one(&a, "pickle-trailing-data", Severity::Low);
    assert_eq!(evidence(t, "bytes"), Some("7"));
    assert!(failed(&a, "pickle-malformed").is_empty());
    assert_clean(&a);
}

#[test]
fn bytes_that_only_start_like_a_pickle_are_trailing_data() {
    // "K\x05" then garbage: sniffs as two opcodes but breaks right away.
    let p = P::new().proto(2).op(b'N').stop().raw(b"K\x05K\x06\xff\xff");
    let a = run(p.bytes());
    one(&a, "pickle-trailing-data", Severity::Low);
    assert!(failed(&a, "pickle-malformed").is_empty(), "{}", dump(&a));
    assert_eq!(a.meta("streams"), Some("1"));
}

#[test]
fn frame_shorter_than_its_opcodes() {
    // The frame declares 3 bytes, but the SHORT_BINUNICODE inside runs on:
    // the Python unpickler rejects it, the C unpickler runs it.
    let p = P::new()
        .proto(4)
        .frame(3)
        .s("os")
        .s("system")
        .stack_global()
        .s("id")
        .tuple1()
        .reduce()
        .stop();
    let a = run(p.bytes());
    let f = one(&a, "pickle-frame-consistency", Severity::High);
    assert!(f.message.contains("past the frame end"), "{}", f.message);
    one(&a, DANGEROUS_CALL, Severity::Critical);
}

#[test]
fn frame_overlaps_and_unread_frame_bytes() {
    let body = P::new().s("x").pop();
    let overlap = P::new()
        .proto(4)
        .frame(100)
        .raw(body.bytes())
        .frame(2)
        .op(b'N')
        .stop();
    let a = run(overlap.bytes());
    let f = one(&a, "pickle-frame-consistency", Severity::High);
    assert!(f.message.contains("starts before the previous frame ends"));

    let unread = P::new().proto(4).frame(10).op(b'N').stop().raw(&[b'N'; 8]);
    let a = run(unread.bytes());
    let f = failed(&a, "pickle-frame-consistency");
    assert!(f[0].message.contains("unread"), "{}", dump(&a));

    // A well-formed framed pickle: frames are counted and pass.
    let inner = P::new().s("a").memoize().pop().op(b'N').stop();
    let good = P::new()
        .proto(4)
        .frame(inner.bytes().len() as u64)
        .raw(inner.bytes());
    let a = run(good.bytes());
    assert_eq!(
        with_status(&a, "pickle-frame-consistency", Status::Passed).len(),
        1
    );
    assert_eq!(a.meta("frames"), Some("1"));
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

fn evil_inner() -> P {
    P::new().proto(4).call("os", "system", "id").stop()
}

#[test]
fn nested_pickles_in_every_encoding() {
    let inner = evil_inner();
    let hex: String = inner.bytes().iter().map(|b| format!("{b:02x}")).collect();
    let latin1: String = inner.bytes().iter().map(|&b| char::from(b)).collect();
    let cases = [
        ("raw", P::new().proto(4).short_bytes(inner.bytes())),
        ("base64", P::new().proto(4).unicode(&base64(inner.bytes()))),
        ("hex", P::new().proto(4).unicode(&hex)),
        ("raw", P::new().proto(4).unicode(&latin1)),
        ("raw", P::new().proto(4).bytes8(inner.bytes())),
    ];
    for (encoding, outer) in cases {
        let a = run(outer.stop().bytes());
        let n = one(&a, "pickle-nested-pickle", Severity::Critical);
        assert_eq!(evidence(n, "encoding"), Some(encoding));
        let call = one(&a, DANGEROUS_CALL, Severity::Critical);
        let locator = call.locator.as_deref().unwrap();
        assert!(locator.contains("nested"), "{locator}");
        assert!(
            locator.ends_with("(offset 20 in the nested pickle)"),
            "{locator}"
        );
        assert_eq!(call.offset, Some(2), "offset of the outer payload");
        assert_eq!(a.meta("nested_pickles"), Some("1"));
    }
}

#[test]
fn nested_pickle_in_a_protocol_0_string() {
    let inner = "cos\nsystem\n(S'id'\ntR.";
    let escaped = inner.replace('\n', "\\n").replace('\'', "\\'");
    let outer = P::new().line(b'S', &format!("'{escaped}'")).stop();
    let a = run(outer.bytes());
    one(&a, "pickle-nested-pickle", Severity::Critical);
    one(&a, DANGEROUS_CALL, Severity::Critical);
}

#[test]
fn nesting_depth_is_limited() {
    let mut payload = evil_inner();
    for _ in 0..3 {
        payload = P::new().proto(4).unicode(&base64(payload.bytes())).stop();
    }
    // Three levels of nesting are within the default limit of 3.
    let a = run(payload.bytes());
    one(&a, DANGEROUS_CALL, Severity::Critical);
    assert_eq!(failed(&a, "pickle-nested-pickle").len(), 3);

    let limits = Limits {
        max_nesting: 2,
        ..Limits::default()
    };
    let a = run_with(payload.bytes(), &limits);
    assert!(failed(&a, DANGEROUS_CALL).is_empty());
    let budget = with_status(&a, "pickle-budget", Status::Error);
    assert_eq!(budget.len(), 1, "{}", dump(&a));
    assert_eq!(evidence(budget[0], "budget"), Some("nesting depth"));
}

#[test]
fn benign_nested_pickle_is_low() {
    let inner = P::new()
        .proto(4)
        .empty_dict()
        .s("key")
        .s("value")
        .op(b's')
        .stop();
    let a = run(P::new().proto(4).short_bytes(inner.bytes()).stop().bytes());
    one(&a, "pickle-nested-pickle", Severity::Low);
    assert_clean(&a);
}

#[test]
fn mutating_global_containers() {
    // SETITEM into copyreg's extension registry, APPEND onto a module.
    let setitem = P::new()
        .proto(2)
        .global("copyreg", "_inverted_registry")
        .int1(1)
        .mark()
        .s("os")
        .s("system")
        .tuple()
        .op(b's')
        .stop();
    let a = run(setitem.bytes());
    let m = one(&a, "pickle-global-mutation", Severity::Critical);
    assert_eq!(evidence(m, "opcode"), Some("SETITEM"));

    let append = P::new()
        .proto(2)
        .global("mylib", "registry")
        .s("x")
        .op(b'a')
        .stop();
    let a = run(append.bytes());
    let m = one(&a, "pickle-global-mutation", Severity::Critical);
    assert_eq!(evidence(m, "opcode"), Some("APPEND"));
}
