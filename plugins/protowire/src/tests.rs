use std::io::Cursor;

use crate::encode::{Message, varint};
use crate::{Error, Field, Fields, PackedVarints, Value, Walker};

/// field 1 varint 150, field 2 "hi", field 3 { field 1 = 7 }, field 4 fixed32, field 5 fixed64
fn sample() -> Vec<u8> {
    Message::new()
        .varint(1, 150)
        .bytes(2, "hi")
        .message(3, Message::new().varint(1, 7))
        .fixed32(4, 0xdead_beef)
        .fixed64(5, u64::MAX)
        .into_bytes()
}

fn walker(bytes: &[u8]) -> Walker<Cursor<&[u8]>> {
    Walker::new(Cursor::new(bytes), bytes.len() as u64)
}

#[test]
fn encoding_matches_the_protobuf_documentation() {
    // https://protobuf.dev/programming-guides/encoding/: field 1 = 150 is 08 96 01.
    assert_eq!(
        Message::new().varint(1, 150).into_bytes(),
        [0x08, 0x96, 0x01]
    );
    assert_eq!(varint(u64::MAX).len(), 10);
}

#[test]
fn slice_fields_borrow_payloads_and_report_offsets() {
    let bytes = sample();
    let fields: Vec<Field<&[u8]>> = Fields::new(&bytes, 100).map(Result::unwrap).collect();
    let values: Vec<_> = fields.iter().map(|f| (f.number, f.value)).collect();
    assert_eq!(
        values,
        vec![
            (1, Value::Varint(150)),
            (2, Value::Len(&b"hi"[..])),
            (3, Value::Len(&[0x08, 0x07][..])),
            (4, Value::Fixed32(0xdead_beef)),
            (5, Value::Fixed64(u64::MAX)),
        ]
    );
    assert_eq!((fields[1].offset, fields[1].payload_offset), (103, 105));
    let Value::Len(nested) = fields[2].value else {
        unreachable!()
    };
    let inner: Vec<_> = Fields::new(nested, fields[2].payload_offset)
        .map(Result::unwrap)
        .collect();
    assert_eq!(inner[0].value, Value::Varint(7));
    assert_eq!(inner[0].offset, fields[2].payload_offset);
}

#[test]
fn malformed_input_is_an_error_with_its_offset() {
    let cases: Vec<(Vec<u8>, Error)> = vec![
        (vec![0x08, 0x96], Error::Truncated { offset: 2 }),
        (
            vec![0x08; 1].into_iter().chain([0xff; 11]).collect(),
            Error::Varint { offset: 1 },
        ),
        // A tenth byte above 1 overflows 64 bits.
        (
            [0x08].into_iter().chain([0xff; 9]).chain([0x02]).collect(),
            Error::Varint { offset: 1 },
        ),
        (
            vec![0x00, 0x01],
            Error::FieldNumber {
                offset: 0,
                number: 0,
            },
        ),
        (
            vec![0x0e],
            Error::WireType {
                offset: 0,
                wire_type: 6,
            },
        ),
        (
            vec![0x0b, 0x0c],
            Error::Group {
                offset: 0,
                field: 1,
            },
        ),
        (
            vec![0x0c],
            Error::Group {
                offset: 0,
                field: 1,
            },
        ),
        (
            vec![0x12, 0x05, b'a'],
            Error::Length {
                offset: 1,
                len: 5,
                remaining: 1,
            },
        ),
        (vec![0x0d, 1, 2], Error::Truncated { offset: 3 }),
        (
            vec![0x09, 1, 2, 3, 4, 5, 6, 7],
            Error::Truncated { offset: 8 },
        ),
        // Tag 2^32 names field 2^29, one above the largest.
        (
            [0x80, 0x80, 0x80, 0x80, 0x10].to_vec(),
            Error::FieldNumber {
                offset: 0,
                number: 1 << 29,
            },
        ),
    ];
    for (bytes, expected) in cases {
        let results: Vec<_> = Fields::new(&bytes, 0).collect();
        assert_eq!(
            results.last(),
            Some(&Err(expected.clone())),
            "slice {bytes:02x?}"
        );
        let mut w = walker(&bytes);
        let mut outcome = w.next_field();
        while let Ok(Some(_)) = outcome {
            outcome = w.next_field();
        }
        assert_eq!(outcome, Err(expected), "stream {bytes:02x?}");
    }
}

#[test]
fn iteration_stops_after_an_error() {
    let bytes = [0x0e, 0x08, 0x01];
    assert_eq!(Fields::new(&bytes, 0).count(), 1);
}

#[test]
fn packed_varints_decode_and_stop_at_truncation() {
    let mut payload = varint(1);
    payload.extend(varint(300));
    payload.extend(varint(u64::MAX));
    let values: Vec<_> = PackedVarints::new(&payload, 0).collect();
    assert_eq!(values, vec![Ok(1), Ok(300), Ok(u64::MAX)]);
    let values: Vec<_> = PackedVarints::new(&[0x01, 0x80], 10).collect();
    assert_eq!(values, vec![Ok(1), Err(Error::Truncated { offset: 12 })]);
}

#[test]
fn walker_enters_reads_counts_and_skips() {
    let mut packed = varint(5);
    packed.extend(varint(1 << 40));
    let bytes = Message::new()
        .bytes(1, vec![b'x'; 1000])
        .message(2, Message::new().varint(1, 9).bytes(2, "skipped"))
        .bytes(3, &packed)
        .bytes(4, "capped string")
        .varint(5, 42)
        .into_bytes();
    let mut w = walker(&bytes);
    let first = w.next_field().unwrap().unwrap();
    assert_eq!((first.number, first.value), (1, Value::Len(1000)));
    // Not consumed: skipped by the next call.
    let second = w.next_field().unwrap().unwrap();
    assert_eq!(second.number, 2);
    let inner = w
        .message(|w| {
            assert_eq!(w.depth(), 1);
            Ok(w.next_field()?.map(|f| f.value))
        })
        .unwrap();
    assert_eq!(inner, Some(Value::Varint(9)));
    assert_eq!(w.depth(), 0);
    assert_eq!(w.next_field().unwrap().unwrap().number, 3);
    assert_eq!(w.count_varints(), Ok(2));
    assert_eq!(w.next_field().unwrap().unwrap().number, 4);
    assert_eq!(w.bytes(6).unwrap(), b"capped");
    let last = w.next_field().unwrap().unwrap();
    assert_eq!((last.number, last.value), (5, Value::Varint(42)));
    assert_eq!(w.next_field(), Ok(None));
    assert_eq!(w.position(), bytes.len() as u64);
    assert_eq!(
        w.bytes(1),
        Err(Error::NoPayload {
            offset: bytes.len() as u64
        })
    );
}

#[test]
fn nested_message_ends_bound_its_fields() {
    // The inner message claims 2 bytes; its field's length 5 must not escape it.
    let bytes = [0x12, 0x02, 0x12, 0x05, 0x08, 0x01, 0x08, 0x01];
    let mut w = walker(&bytes);
    w.next_field().unwrap();
    let err = w.message(|w| w.next_field()).unwrap_err();
    assert_eq!(
        err,
        Error::Length {
            offset: 3,
            len: 5,
            remaining: 0
        }
    );
}

#[test]
fn walker_depth_is_bounded() {
    let mut message = Message::new().varint(1, 1);
    for _ in 0..10 {
        message = Message::new().message(1, message);
    }
    let bytes = message.into_bytes();
    fn descend(w: &mut Walker<Cursor<&[u8]>>) -> Result<usize, Error> {
        let mut deepest = w.depth();
        while let Some(f) = w.next_field()? {
            if let Value::Len(_) = f.value {
                deepest = deepest.max(w.message(descend)?);
            }
        }
        Ok(deepest)
    }
    assert_eq!(descend(&mut walker(&bytes)), Ok(10));
    let mut shallow = walker(&bytes).with_max_depth(4);
    assert!(matches!(
        descend(&mut shallow),
        Err(Error::Depth { limit: 4, .. })
    ));
}

#[test]
fn walker_reports_a_source_shorter_than_declared() {
    let bytes = Message::new().bytes(1, "abcdef").into_bytes();
    let short = &bytes[..4];
    let mut w = Walker::new(Cursor::new(short), bytes.len() as u64);
    w.next_field().unwrap();
    assert_eq!(w.bytes(100), Err(Error::Truncated { offset: 4 }));
    let mut w = Walker::new(Cursor::new(short), bytes.len() as u64);
    w.next_field().unwrap();
    assert_eq!(w.count_varints(), Err(Error::Truncated { offset: 4 }));
}

/// xorshift64*: deterministic pseudo-random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Every field of `data`, descending into each length-delimited payload as if it were a message.
fn walk_slice(data: &[u8], base: u64, depth: usize, seen: &mut Vec<(u32, u64)>) {
    for field in Fields::new(data, base) {
        let Ok(field) = field else { return };
        seen.push((field.number, field.offset));
        if let (Value::Len(payload), true) = (field.value, depth < 8) {
            walk_slice(payload, field.payload_offset, depth + 1, seen);
        }
    }
}

fn walk_stream(w: &mut Walker<Cursor<&[u8]>>, seen: &mut Vec<(u32, u64)>) -> Result<(), Error> {
    while let Some(field) = w.next_field()? {
        seen.push((field.number, field.offset));
        if let Value::Len(_) = field.value {
            // A payload that is not a message is an error inside it: keep the fields before it.
            let mut inner = Vec::new();
            let nested = w.message(|w| walk_stream(w, &mut inner));
            seen.extend(inner);
            nested?;
        }
    }
    Ok(())
}

#[test]
fn random_and_mutated_input_never_panics_and_both_readers_agree() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let valid = Message::new()
        .varint(1, 7)
        .bytes(2, "producer")
        .message(
            7,
            Message::new()
                .message(1, Message::new().bytes(4, "Conv").bytes(7, ""))
                .message(5, Message::new().varint(1, 3).bytes(9, [0u8; 12])),
        )
        .into_bytes();
    for round in 0..20_000 {
        let bytes = if round % 2 == 0 {
            let len = (rng.next() % 64) as usize;
            rng.bytes(len)
        } else {
            let mut bytes = valid.clone();
            for _ in 0..=(rng.next() % 4) {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = rng.next() as u8;
            }
            bytes.truncate((rng.next() as usize) % (bytes.len() + 1));
            bytes
        };
        let mut from_slice = Vec::new();
        walk_slice(&bytes, 0, 0, &mut from_slice);
        let mut from_stream = Vec::new();
        let mut w = walker(&bytes).with_max_depth(9);
        let _ = walk_stream(&mut w, &mut from_stream);
        assert!(w.position() <= bytes.len() as u64);
        // The stream walker stops at the first error; up to there it saw what the slice reader saw.
        assert!(
            from_stream.iter().all(|f| from_slice.contains(f)),
            "{bytes:02x?}: {from_stream:?} vs {from_slice:?}"
        );
        let _: Vec<_> = PackedVarints::new(&bytes, 0).collect();
    }
}
