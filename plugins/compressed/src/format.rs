//! The single-stream formats: how each is recognised, and what the decompressed
//! member is called.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    Lz4,
    Zlib,
    /// The legacy `.lzma` ("LZMA alone") container, which joblib's `lzma` compressor writes.
    Lzma,
    /// joblib before 0.10: `ZF`, the length in hex padded to 19 bytes, then a zlib stream.
    JoblibZlib,
}

/// Bytes before the zlib stream in joblib's legacy container.
pub const JOBLIB_ZLIB_HEADER: usize = 21;

impl Format {
    /// Recognise a stream from its first bytes. zlib has no magic: only the
    /// 32 KiB-window deflate header (0x78) with a valid check and no preset
    /// dictionary is accepted, and the caller confirms by decoding.
    pub fn detect(head: &[u8]) -> Option<Format> {
        Some(match head {
            [0x1f, 0x8b, 0x08, ..] => Format::Gzip,
            [b'B', b'Z', b'h', b'1'..=b'9', ..] => Format::Bzip2,
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Format::Xz,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Format::Zstd,
            [0x04, 0x22, 0x4d, 0x18, ..] => Format::Lz4,
            [b'Z', b'F', b'0', b'x', ..] => Format::JoblibZlib,
            // Properties byte 0x5d (lc=3, lp=0, pb=2: every common encoder's
            // default), then a little-endian dictionary size that is a multiple
            // of 64 KiB and at most 256 MiB, as encoders write.
            [0x5d, 0x00, 0x00, _, high, ..] if *high <= 0x10 => Format::Lzma,
            [0x78, flg, ..] if (0x7800 | u16::from(*flg)) % 31 == 0 && flg & 0x20 == 0 => {
                Format::Zlib
            }
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::Lz4 => "lz4",
            Format::Zlib => "zlib",
            Format::Lzma => "lzma",
            Format::JoblibZlib => "joblib-zlib",
        }
    }

    /// Bytes that start a further stream of the same format after the first.
    pub fn next_stream_magic(self) -> Option<&'static [u8]> {
        match self {
            Format::Gzip => Some(&[0x1f, 0x8b]),
            Format::Bzip2 => Some(b"BZh"),
            Format::Xz => Some(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]),
            Format::Zstd => Some(&[0x28, 0xb5, 0x2f, 0xfd]),
            // lz4's decoder reads concatenated frames itself; zlib and lzma streams
            // have no magic of their own, and joblib writes one stream per file.
            Format::Lz4 | Format::Zlib | Format::Lzma | Format::JoblibZlib => None,
        }
    }

    /// File-name suffixes and what replaces them in the member's name.
    fn suffixes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Format::Gzip => &[(".tgz", ".tar"), (".taz", ".tar"), (".gz", "")],
            Format::Bzip2 => &[
                (".tbz2", ".tar"),
                (".tbz", ".tar"),
                (".bz2", ""),
                (".bz", ""),
            ],
            Format::Xz => &[(".txz", ".tar"), (".xz", "")],
            Format::Zstd => &[(".tzst", ".tar"), (".zst", ""), (".zstd", "")],
            Format::Lz4 => &[(".lz4", "")],
            Format::Zlib => &[(".zz", ""), (".zlib", "")],
            Format::Lzma => &[(".lzma", ""), (".tlz", ".tar")],
            Format::JoblibZlib => &[],
        }
    }

    /// The decompressed member's name: the input's file name minus the format's
    /// suffix (`model.pkl.gz` → `model.pkl`, `data.tgz` → `data.tar`); failing that,
    /// `stored_name` (gzip's original-name field), then the file name itself.
    pub fn member_name(self, input_name: &str, stored_name: Option<&str>) -> String {
        let base = file_name(input_name);
        let lower = base.to_ascii_lowercase();
        for (suffix, replacement) in self.suffixes() {
            if lower.len() > suffix.len() && lower.ends_with(suffix) {
                return format!("{}{replacement}", &base[..base.len() - suffix.len()]);
            }
        }
        match stored_name.map(file_name) {
            Some(stored) if !stored.is_empty() => stored.to_string(),
            _ => base.to_string(),
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_are_recognised() {
        assert_eq!(Format::detect(&[0x1f, 0x8b, 8, 0]), Some(Format::Gzip));
        assert_eq!(Format::detect(b"BZh91AY&SY"), Some(Format::Bzip2));
        assert_eq!(Format::detect(b"BZh0"), None);
        assert_eq!(Format::detect(b"\xfd7zXZ\x00\x00"), Some(Format::Xz));
        assert_eq!(
            Format::detect(&[0x28, 0xb5, 0x2f, 0xfd]),
            Some(Format::Zstd)
        );
        assert_eq!(Format::detect(&[0x04, 0x22, 0x4d, 0x18]), Some(Format::Lz4));
        for flg in [0x01, 0x5e, 0x9c, 0xda] {
            assert_eq!(Format::detect(&[0x78, flg]), Some(Format::Zlib), "{flg:x}");
        }
        // Wrong check value, preset dictionary, plain text.
        assert_eq!(Format::detect(&[0x78, 0x9d]), None);
        assert_eq!(Format::detect(&[0x78, 0xbb]), None);
        assert_eq!(Format::detect(b"xyz"), None);
        assert_eq!(
            Format::detect(&[0x5d, 0, 0, 0x80, 0, 0xff]),
            Some(Format::Lzma)
        );
        assert_eq!(Format::detect(&[0x5d, 0, 0, 0, 4]), Some(Format::Lzma));
        assert_eq!(Format::detect(&[0x5d, 0, 0, 0x80, 0x11]), None);
        assert_eq!(Format::detect(b"ZF0x1f   "), Some(Format::JoblibZlib));
    }

    #[test]
    fn member_names_drop_the_suffix() {
        let gz = Format::Gzip;
        assert_eq!(gz.member_name("models/model.pkl.gz", None), "model.pkl");
        assert_eq!(gz.member_name("x.tar.gz!inner/data.TGZ", None), "data.tar");
        assert_eq!(gz.member_name("blob", Some("dir/orig.pkl")), "orig.pkl");
        assert_eq!(gz.member_name("blob", None), "blob");
        assert_eq!(gz.member_name(".gz", None), ".gz");
        assert_eq!(Format::Zstd.member_name("w.tzst", None), "w.tar");
        assert_eq!(Format::Bzip2.member_name("C:\\x\\a.npy.bz2", None), "a.npy");
    }
}
