//! Extended headers that change the next member: PAX records (`x`; `g` applies
//! to all members) and GNU long names (`L` for the name, `K` for the link).

/// Largest PAX header read; larger ones are reported and skipped.
pub const MAX_PAX_BYTES: u64 = 1 << 20;
/// Largest GNU long name read.
pub const MAX_LONG_NAME: u64 = 64 * 1024;

/// The PAX keys that matter for reading the archive.
#[derive(Debug, Default, PartialEq)]
pub struct Pax {
    pub path: Option<Vec<u8>>,
    pub linkpath: Option<Vec<u8>>,
    pub size: Option<u64>,
    /// GNU sparse keys: the data is a sparse map followed by the stored segments.
    pub sparse: bool,
}

/// Parse `"<length> <key>=<value>\n"` records.
pub fn parse_pax(data: &[u8]) -> Result<Pax, String> {
    let mut pax = Pax::default();
    let mut rest = data;
    while !rest.is_empty() && !rest.iter().all(|b| *b == 0) {
        let space = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or("a PAX record has no length")?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("a PAX record length is not a number")?;
        if len <= space + 1 || len > rest.len() {
            return Err(format!("a PAX record length ({len}) is out of bounds"));
        }
        let record = &rest[space + 1..len];
        let Some(record) = record.strip_suffix(b"\n") else {
            return Err("a PAX record does not end with a newline".into());
        };
        let eq = record
            .iter()
            .position(|b| *b == b'=')
            .ok_or("a PAX record has no '='")?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" => pax.path = Some(value.to_vec()),
            b"linkpath" => pax.linkpath = Some(value.to_vec()),
            b"size" => {
                let size = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or("the PAX size is not a number")?;
                pax.size = Some(size);
            }
            _ if key.starts_with(b"GNU.sparse.") => pax.sparse = true,
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok(pax)
}

/// A GNU long name: the data up to its first NUL.
pub fn long_name(data: &[u8]) -> Vec<u8> {
    let end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    data[..end].to_vec()
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A record with its self-inclusive length prefix.
    pub fn record(key: &str, value: &str) -> Vec<u8> {
        let body = format!(" {key}={value}\n");
        let mut len = body.len() + 1;
        while len.to_string().len() + body.len() != len {
            len += 1;
        }
        format!("{len}{body}").into_bytes()
    }

    #[test]
    fn records_override_path_link_and_size() {
        let mut data = [
            record("path", "a/very/long/name.pkl"),
            record("linkpath", "../x"),
            record("size", "4096"),
            record("mtime", "1700000000.5"),
        ]
        .concat();
        data.extend_from_slice(&[0; 20]);
        let pax = parse_pax(&data).unwrap();
        assert_eq!(pax.path.as_deref(), Some(&b"a/very/long/name.pkl"[..]));
        assert_eq!(pax.linkpath.as_deref(), Some(&b"../x"[..]));
        assert_eq!(pax.size, Some(4096));
        assert!(!pax.sparse);
        assert!(parse_pax(&record("GNU.sparse.major", "1")).unwrap().sparse);
        assert_eq!(record("a", "b"), b"6 a=b\n");
    }

    #[test]
    fn malformed_records_are_errors() {
        for bad in [
            &b"99 path=x\n"[..],
            b"path=x\n",
            b"8 path=x",
            b"9 pathx\n",
            b"9 size=z\n",
        ] {
            assert!(
                parse_pax(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
