//! Large inputs: a 200 MB pickle of tensor data must be analysed in
//! bounded memory (payloads are skipped, not stored) and quickly, and a
//! 300,000-entry dict must not produce per-entry records.
//!
//! A counting global allocator measures peak heap use; this binary holds a
//! single test so that nothing else allocates concurrently.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::*;
use cordon_plugin_pickle::{Limits, Status, analyze};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Streams a pickle made of literal parts and long runs of a byte pattern,
/// without holding the runs in memory.
enum Part {
    Bytes(Vec<u8>),
    Run { pattern: [u8; 4], len: u64 },
}

struct Synthetic {
    parts: std::vec::IntoIter<Part>,
    current: Option<(Part, u64)>,
    total: u64,
}

impl Synthetic {
    fn new(parts: Vec<Part>) -> Self {
        let total = parts
            .iter()
            .map(|p| match p {
                Part::Bytes(b) => b.len() as u64,
                Part::Run { len, .. } => *len,
            })
            .sum();
        Synthetic {
            parts: parts.into_iter(),
            current: None,
            total,
        }
    }
}

impl Read for Synthetic {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.current.is_none() {
                match self.parts.next() {
                    Some(part) => self.current = Some((part, 0)),
                    None => return Ok(0),
                }
            }
            let (part, pos) = self.current.as_mut().unwrap();
            let len = match part {
                Part::Bytes(b) => b.len() as u64,
                Part::Run { len, .. } => *len,
            };
            if *pos == len {
                self.current = None;
                continue;
            }
            let n = out.len().min((len - *pos) as usize);
            match part {
                Part::Bytes(b) => out[..n].copy_from_slice(&b[*pos as usize..*pos as usize + n]),
                Part::Run { pattern, .. } => {
                    for (i, byte) in out[..n].iter_mut().enumerate() {
                        *byte = pattern[(*pos as usize + i) % 4];
                    }
                }
            }
            *pos += n as u64;
            return Ok(n);
        }
    }
}

/// A protocol-4 pickle of `count` float32 arrays of `each` bytes, rebuilt
/// with numpy's _reconstruct, the way numpy arrays are pickled.
fn tensor_pickle(count: usize, each: u64) -> Synthetic {
    let mut parts = vec![Part::Bytes(
        P::new()
            .proto(4)
            .global("numpy.core.multiarray", "_reconstruct")
            .binput(0)
            .global("numpy", "ndarray")
            .binput(1)
            .op(b']')
            .mark()
            .0,
    )];
    for i in 0..count {
        parts.push(Part::Bytes(
            P::new()
                .binget(0)
                .binget(1)
                .int1(0)
                .tuple1()
                .short_bytes(b"b")
                .op(0x87)
                .reduce()
                .mark()
                .int1(1)
                .op(b'J')
                .raw(&((each / 4) as i32).to_le_bytes())
                .tuple1()
                .global("numpy", "dtype")
                .s("f4")
                .op(0x89)
                .op(0x88)
                .op(0x87)
                .reduce()
                .op(0x89)
                .op(0x8e)
                .raw(&each.to_le_bytes())
                .0,
        ));
        // float32 values; one array is int8 data that sniffs as opcodes.
        let pattern = if i == count / 2 {
            *b"K\x01K\x02"
        } else {
            1.5f32.to_le_bytes()
        };
        parts.push(Part::Run { pattern, len: each });
        parts.push(Part::Bytes(P::new().tuple().build().0));
    }
    parts.push(Part::Bytes(P::new().op(b'e').stop().0));
    Synthetic::new(parts)
}

fn dict_pickle(entries: usize) -> Vec<u8> {
    let mut p = P::new().proto(4).frame(0).empty_dict().memoize().mark();
    for i in 0..entries {
        p = p
            .s(&format!("model.layer.parameter_{i:08}"))
            .memoize()
            .op(b'G')
            .raw(&(i as f64).to_be_bytes());
        if i % 1000 == 999 {
            p = p.op(b'u').mark();
        }
    }
    let mut bytes = p.op(b'u').stop().0;
    // A single frame holding everything after the FRAME header.
    let len = (bytes.len() - 11) as u64;
    bytes[3..11].copy_from_slice(&len.to_le_bytes());
    bytes
}

#[test]
fn large_inputs_in_bounded_memory_and_time() {
    // 50 arrays of 4 MiB: 200 MiB of tensor data.
    let input = tensor_pickle(50, 4 << 20);
    let total = input.total;
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let a = analyze(input, &Limits::default());
    let elapsed = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    check_invariants(&a);
    eprintln!(
        "{} MiB tensor pickle: {elapsed:?}, peak heap {} KiB",
        total >> 20,
        peak >> 10
    );
    assert_clean(&a);
    assert!(
        a.findings.iter().all(|f| f.status != Status::Error),
        "{}",
        dump(&a)
    );
    assert_eq!(a.meta("bytes_read"), Some(total.to_string().as_str()));
    assert!(peak < 30 << 20, "peak heap {peak} bytes");
    // Generous for unoptimised test builds; release runs take well under 1 s.
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");

    let bytes = dict_pickle(300_000);
    let start = Instant::now();
    let a = run(&bytes);
    let elapsed = start.elapsed();
    eprintln!(
        "{} MiB dict of 300000 entries: {elapsed:?}, {} findings",
        bytes.len() >> 20,
        a.findings.len()
    );
    assert!(bytes.len() > 10 << 20);
    assert_clean(&a);
    assert!(a.findings.len() < 30, "{}", a.findings.len());
    assert_eq!(a.meta("max_memo_entries"), Some("300001"));
    assert_eq!(a.meta("frames"), Some("1"));
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");
}
