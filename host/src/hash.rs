//! MD5, SHA-256 and SHA-512 of a file in one streamed pass over its bytes.
//!
//! Large files are read once, in chunks shared by three hashing threads, so the
//! pass runs at the speed of the slowest digest instead of the sum of all three.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

use crate::model::Hashes;
use crate::sandbox::hex;

const CHUNK: usize = 4 << 20;
/// Below this size one thread hashes everything: spawning would cost more.
const PARALLEL_FROM: u64 = 32 << 20;
/// Chunks in flight per hashing thread (bounds memory at about 3 × 2 × CHUNK).
const QUEUE: usize = 2;

/// Hash everything `reader` yields; `size_hint` picks the strategy.
pub fn hash_reader(mut reader: impl Read, size_hint: u64) -> io::Result<(Hashes, u64)> {
    if size_hint < PARALLEL_FROM {
        let (mut md5, mut sha256, mut sha512) = (Md5::new(), Sha256::new(), Sha512::new());
        let mut buf = vec![0; CHUNK.min(size_hint as usize + 1).max(8192)];
        let mut total = 0u64;
        loop {
            let n = read_full(&mut reader, &mut buf)?;
            if n == 0 {
                break;
            }
            md5.update(&buf[..n]);
            sha256.update(&buf[..n]);
            sha512.update(&buf[..n]);
            total += n as u64;
        }
        return Ok((finish(md5, sha256, sha512), total));
    }
    std::thread::scope(|scope| {
        let spawn = |mut digest: Box<dyn DynDigest + Send>| {
            let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(QUEUE);
            let handle = scope.spawn(move || {
                for chunk in rx {
                    digest.feed(&chunk);
                }
                digest.hex()
            });
            (tx, handle)
        };
        let workers = [
            spawn(Box::new(Md5::new())),
            spawn(Box::new(Sha256::new())),
            spawn(Box::new(Sha512::new())),
        ];
        let mut total = 0u64;
        let outcome = loop {
            let mut buf = vec![0; CHUNK];
            match read_full(&mut reader, &mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    buf.truncate(n);
                    total += n as u64;
                    let chunk = Arc::new(buf);
                    for (tx, _) in &workers {
                        // A worker only stops when its sender is dropped.
                        tx.send(chunk.clone()).expect("hash worker alive");
                    }
                }
                Err(e) => break Err(e),
            }
        };
        let [md5, sha256, sha512] = workers.map(|(tx, handle)| {
            drop(tx);
            handle.join().expect("hash worker panicked")
        });
        outcome.map(|()| {
            (
                Hashes {
                    md5,
                    sha256,
                    sha512,
                },
                total,
            )
        })
    })
}

fn finish(md5: Md5, sha256: Sha256, sha512: Sha512) -> Hashes {
    Hashes {
        md5: hex(&md5.finalize()),
        sha256: hex(&sha256.finalize()),
        sha512: hex(&sha512.finalize()),
    }
}

/// Fill `buf` as far as the reader allows; 0 only at the end.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The three digests behind one object-safe interface for the worker threads.
trait DynDigest {
    fn feed(&mut self, bytes: &[u8]);
    fn hex(self: Box<Self>) -> String;
}

impl<D: Digest> DynDigest for D {
    fn feed(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
    fn hex(self: Box<Self>) -> String {
        hex(&self.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known digests of "abc" (RFC 1321, FIPS 180-2).
    #[test]
    fn known_vectors() {
        let (h, n) = hash_reader(&b"abc"[..], 3).unwrap();
        assert_eq!(n, 3);
        assert_eq!(h.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            h.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(
            h.sha512
                .starts_with("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a")
        );
    }

    #[test]
    fn threaded_and_sequential_paths_agree() {
        let data: Vec<u8> = (0..(PARALLEL_FROM as usize + CHUNK + 123))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let (seq, n1) = hash_reader(&data[..], 0).unwrap();
        let (par, n2) = hash_reader(&data[..], data.len() as u64).unwrap();
        assert_eq!((n1, n2), (data.len() as u64, data.len() as u64));
        assert_eq!(
            (seq.md5, seq.sha256, seq.sha512),
            (par.md5, par.sha256, par.sha512)
        );
    }
}
