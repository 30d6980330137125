//! Handing members back: to the host inside the sandbox, to a recorder in unit tests.
//!
//! Shared by the archive plugins (zip, tar, sevenz, compressed) through `#[path]`.

use std::io::{self, Read, Write};

use cordon_plugin_sdk::MemberHeader;

/// Members stream to the host in writes of at most this many bytes.
pub const CHUNK: usize = 1 << 20;

/// Where an archive plugin sends the members it finds.
pub trait Members {
    /// A member stored uncompressed as `len` bytes at `offset` of the input.
    fn range(&mut self, header: &MemberHeader, offset: u64, len: u64) -> Result<(), String>;
    /// A member whose bytes the plugin produces; `Err` when the host refuses it.
    fn open<'a>(&'a mut self, header: &MemberHeader) -> Result<Box<dyn MemberOut + 'a>, String>;
}

/// An open member: its bytes, then `finish`.
pub trait MemberOut: Write {
    fn finish(self: Box<Self>) -> Result<(), String>;
}

/// The host, through the SDK.
pub struct Host;

impl Members for Host {
    fn range(&mut self, header: &MemberHeader, offset: u64, len: u64) -> Result<(), String> {
        cordon_plugin_sdk::member_range(header, offset, len)
    }

    fn open<'a>(&'a mut self, header: &MemberHeader) -> Result<Box<dyn MemberOut + 'a>, String> {
        Ok(Box::new(cordon_plugin_sdk::open_member(header)?))
    }
}

impl MemberOut for cordon_plugin_sdk::MemberWriter {
    fn finish(self: Box<Self>) -> Result<(), String> {
        cordon_plugin_sdk::MemberWriter::finish(*self)
    }
}

/// A member header with the usual fields.
pub fn header(
    name: impl Into<String>,
    hint: Option<&str>,
    declared_size: Option<u64>,
    compressed_size: Option<u64>,
) -> MemberHeader {
    MemberHeader {
        name: name.into(),
        hint: hint.map(str::to_owned),
        declared_size,
        compressed_size,
    }
}

/// How streaming one member ended.
#[derive(Debug)]
pub enum Streamed {
    /// The host refused to open the member (member-count limit); it recorded why.
    Refused,
    /// Every byte reached the host and the member was finished.
    Complete { bytes: u64 },
    /// The host refused a write (a size or ratio limit) after `bytes`: production stopped.
    CutOff { bytes: u64 },
    /// Reading or decoding failed after `bytes`; those bytes were finished as the
    /// member so that what a loader would have consumed is still scanned.
    SourceFailed { bytes: u64, error: io::Error },
}

/// Copy `source` into a new member in writes of at most [`CHUNK`] bytes, showing
/// every chunk to `observe` (checksums). Memory use is one chunk, whatever the size.
pub fn stream(
    members: &mut dyn Members,
    header: &MemberHeader,
    source: &mut dyn Read,
    observe: &mut dyn FnMut(&[u8]),
) -> Streamed {
    let Ok(mut out) = members.open(header) else {
        return Streamed::Refused;
    };
    let mut bytes = 0u64;
    match copy(source, &mut *out, observe, &mut bytes) {
        Copied::Refused => Streamed::CutOff { bytes },
        Copied::Failed(error) => {
            // A host error on finish means the member is already accounted as stopped.
            let _ = out.finish();
            Streamed::SourceFailed { bytes, error }
        }
        Copied::Ended => match out.finish() {
            Ok(()) => Streamed::Complete { bytes },
            Err(_) => Streamed::CutOff { bytes },
        },
    }
}

/// How copying a source into an open member ended.
#[derive(Debug)]
pub enum Copied {
    /// The source ended.
    Ended,
    /// The host refused a write: stop producing the member.
    Refused,
    /// Reading or decoding the source failed.
    Failed(io::Error),
}

/// Copy `source` to `out` in writes of at most [`CHUNK`] bytes, adding what was
/// written to `bytes` and showing every chunk to `observe`.
pub fn copy(
    source: &mut dyn Read,
    out: &mut dyn Write,
    observe: &mut dyn FnMut(&[u8]),
    bytes: &mut u64,
) -> Copied {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let (filled, failure) = fill(source, &mut buf);
        if filled > 0 {
            if out.write_all(&buf[..filled]).is_err() {
                return Copied::Refused;
            }
            observe(&buf[..filled]);
            *bytes += filled as u64;
        }
        if let Some(error) = failure {
            return Copied::Failed(error);
        }
        if filled < buf.len() {
            return Copied::Ended;
        }
    }
}

/// Read until `buf` is full, the source ends, or it fails (returned beside what was read).
fn fill(source: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// Records members in memory so parsing can be tested without the host.
#[cfg(test)]
pub mod recorder {
    use super::*;

    #[derive(Debug, PartialEq)]
    pub enum Content {
        Range { offset: u64, len: u64 },
        Bytes { bytes: Vec<u8>, finished: bool },
    }

    pub struct Recorded {
        pub header: MemberHeader,
        pub content: Content,
    }

    /// Refuses writes that would take a member past `max_member_bytes`, like a host limit.
    pub struct Recorder {
        pub members: Vec<Recorded>,
        pub max_member_bytes: u64,
    }

    impl Default for Recorder {
        fn default() -> Self {
            Recorder {
                members: Vec::new(),
                max_member_bytes: u64::MAX,
            }
        }
    }

    impl Recorder {
        pub fn names(&self) -> Vec<&str> {
            self.members
                .iter()
                .map(|m| m.header.name.as_str())
                .collect()
        }

        pub fn get(&self, name: &str) -> &Recorded {
            self.members
                .iter()
                .find(|m| m.header.name == name)
                .unwrap_or_else(|| panic!("no member {name:?} in {:?}", self.names()))
        }

        /// A member's bytes, whether produced or a range of `input`.
        pub fn bytes<'a>(&'a self, name: &str, input: &'a [u8]) -> &'a [u8] {
            match &self.get(name).content {
                Content::Range { offset, len } => {
                    &input[*offset as usize..(*offset + *len) as usize]
                }
                Content::Bytes { bytes, .. } => bytes,
            }
        }
    }

    impl Members for Recorder {
        fn range(&mut self, header: &MemberHeader, offset: u64, len: u64) -> Result<(), String> {
            self.members.push(Recorded {
                header: header.clone(),
                content: Content::Range { offset, len },
            });
            Ok(())
        }

        fn open<'a>(
            &'a mut self,
            header: &MemberHeader,
        ) -> Result<Box<dyn MemberOut + 'a>, String> {
            self.members.push(Recorded {
                header: header.clone(),
                content: Content::Bytes {
                    bytes: Vec::new(),
                    finished: false,
                },
            });
            let max = self.max_member_bytes;
            let Content::Bytes { bytes, finished } = &mut self.members.last_mut().unwrap().content
            else {
                unreachable!()
            };
            Ok(Box::new(Writer {
                bytes,
                finished,
                max,
            }))
        }
    }

    struct Writer<'a> {
        bytes: &'a mut Vec<u8>,
        finished: &'a mut bool,
        max: u64,
    }

    impl Write for Writer<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            assert!(buf.len() <= CHUNK, "write of {} bytes", buf.len());
            if (self.bytes.len() + buf.len()) as u64 > self.max {
                return Err(io::Error::other("limit"));
            }
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl MemberOut for Writer<'_> {
        fn finish(self: Box<Self>) -> Result<(), String> {
            *self.finished = true;
            Ok(())
        }
    }
}
