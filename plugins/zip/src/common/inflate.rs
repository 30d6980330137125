//! A streaming deflate decoder that, unlike `flate2`'s readers, reports a stream
//! cut short as an error and tells how much input the stream really used, so
//! truncation and bytes hidden after the stream's end can be reported.
//!
//! Shared by the archive plugins (zip, compressed) through `#[path]`.

use std::io::{self, BufRead, Read};

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// `Read` over the decompressed bytes of the deflate (or zlib) stream at the start of `input`.
pub struct Inflater<R> {
    input: R,
    state: Box<InflateState>,
    ended: bool,
    consumed: u64,
}

impl<R: BufRead> Inflater<R> {
    /// Raw deflate, as zip members and gzip members hold it.
    pub fn raw(input: R) -> Self {
        Self::new(input, DataFormat::Raw)
    }

    /// A zlib stream: header, deflate data, Adler-32 (verified).
    pub fn zlib(input: R) -> Self {
        Self::new(input, DataFormat::Zlib)
    }

    fn new(input: R, format: DataFormat) -> Self {
        Inflater {
            input,
            state: InflateState::new_boxed(format),
            ended: false,
            consumed: 0,
        }
    }

    /// The stream's end marker was reached.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Compressed bytes the stream used so far; what follows is not part of it.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    pub fn into_inner(self) -> R {
        self.input
    }
}

impl<R: BufRead> Read for Inflater<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.ended || out.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.input.fill_buf()?;
            let eof = input.is_empty();
            let flush = if eof { MZFlush::Finish } else { MZFlush::None };
            let result = inflate(&mut self.state, input, out, flush);
            self.input.consume(result.bytes_consumed);
            self.consumed += result.bytes_consumed as u64;
            match result.status {
                Ok(MZStatus::StreamEnd) => {
                    self.ended = true;
                    return Ok(result.bytes_written);
                }
                Ok(MZStatus::Ok) | Err(MZError::Buf) if result.bytes_written > 0 => {
                    return Ok(result.bytes_written);
                }
                Ok(MZStatus::Ok) | Err(MZError::Buf) if eof => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the deflate stream is truncated: its data ends before its end marker",
                    ));
                }
                Ok(MZStatus::Ok) | Err(MZError::Buf) if result.bytes_consumed > 0 => {}
                Ok(MZStatus::NeedDict) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the zlib stream needs a preset dictionary",
                    ));
                }
                Ok(MZStatus::Ok) | Err(MZError::Buf) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the deflate decoder made no progress",
                    ));
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "corrupt deflate data ({e:?}) after {} input bytes",
                            self.consumed
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};

    fn inflate_all(inflater: &mut Inflater<&[u8]>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        inflater.read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn stream_end_and_consumed_input_are_known() {
        let data = b"hello hello hello hello".repeat(100);
        let mut compressed = compress_to_vec(&data, 6);
        let stream_len = compressed.len() as u64;
        compressed.extend_from_slice(b"TRAILER");
        let mut inflater = Inflater::raw(compressed.as_slice());
        assert_eq!(inflate_all(&mut inflater).unwrap(), data);
        assert!(inflater.ended());
        assert_eq!(inflater.consumed(), stream_len);
        assert_eq!(inflater.into_inner(), b"TRAILER");
    }

    #[test]
    fn truncation_is_an_error() {
        let compressed = compress_to_vec(&[7u8; 5000], 6);
        let mut inflater = Inflater::raw(&compressed[..compressed.len() - 2]);
        let err = inflate_all(&mut inflater).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn corrupt_data_is_an_error() {
        let mut inflater = Inflater::raw(&[0xff, 0xff, 0xff, 0xff][..]);
        assert_eq!(
            inflate_all(&mut inflater).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn zlib_checks_adler32() {
        let mut compressed = compress_to_vec_zlib(b"payload", 6);
        assert_eq!(
            inflate_all(&mut Inflater::zlib(compressed.as_slice())).unwrap(),
            b"payload"
        );
        let last = compressed.len() - 1;
        compressed[last] ^= 1;
        assert!(inflate_all(&mut Inflater::zlib(compressed.as_slice())).is_err());
    }
}
