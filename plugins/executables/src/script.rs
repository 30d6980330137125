//! Scripts: a `#!` interpreter line, shell/batch/PowerShell file names, and
//! Actually Portable Executables (an `MZ` header that is also a shell script).

/// Extensions of files a shell or Windows runs as scripts.
const SCRIPT_EXTENSIONS: &[&str] = &["sh", "bash", "zsh", "ksh", "bat", "cmd", "ps1", "psm1"];

/// The interpreter a `#!` line names, when `head` starts with one of plausible shape.
pub fn shebang(head: &[u8]) -> Option<String> {
    let rest = head.strip_prefix(b"#!")?;
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let end = rest.iter().position(|b| *b == b'\n')?;
    let line = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
    if !line.starts_with(b"/") || line.len() > 256 || !line.iter().all(|b| (0x20..0x7f).contains(b))
    {
        return None;
    }
    let interpreter = line.split(|b| *b == b' ').next()?;
    let path_like = interpreter
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(b));
    path_like.then(|| String::from_utf8_lossy(line).into_owned())
}

/// The script extension of `name`, when it has one and `head` is text.
pub fn script_extension(name: &str, head: &[u8]) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let ext = SCRIPT_EXTENSIONS.iter().find(|e| **e == ext)?;
    let text = !head.is_empty()
        && !head.contains(&0)
        && std::str::from_utf8(trim_partial_utf8(head)).is_ok();
    text.then_some(*ext)
}

/// `head` without a UTF-8 sequence cut off at its end.
fn trim_partial_utf8(head: &[u8]) -> &[u8] {
    match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_none() => &head[..e.valid_up_to()],
        _ => head,
    }
}

/// An Actually Portable Executable (Cosmopolitan, llamafile): `MZ` followed by a
/// shell variable assignment such as `MZqFpD='`, so the DOS header parses as a
/// shell command line too.
pub fn ape(head: &[u8]) -> bool {
    let Some(rest) = head.strip_prefix(b"MZ") else {
        return false;
    };
    let name_len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    name_len > 0 && rest.get(name_len..name_len + 2) == Some(b"='")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_lines() {
        assert_eq!(shebang(b"#!/bin/sh\necho hi\n").as_deref(), Some("/bin/sh"));
        assert_eq!(
            shebang(b"#! /usr/bin/env python3\r\n").as_deref(),
            Some("/usr/bin/env python3")
        );
        assert_eq!(shebang(b"#!/bin/sh"), None, "no line end in the head");
        assert_eq!(shebang(b"#!not a path\n"), None);
        assert_eq!(shebang(b"# !/bin/sh\n"), None);
        assert_eq!(shebang(b"#!/bin/\xffsh\n"), None);
    }

    #[test]
    fn script_extensions_need_text() {
        assert_eq!(script_extension("dir/install.SH", b"echo hi\n"), Some("sh"));
        assert_eq!(
            script_extension("run.ps1", b"Invoke-WebRequest x"),
            Some("ps1")
        );
        assert_eq!(script_extension("run.bat", b"\x00\x01binary"), None);
        assert_eq!(script_extension("model.bin", b"echo hi"), None);
        assert_eq!(script_extension("run.sh", b""), None);
        assert_eq!(
            script_extension("run.sh", "é".as_bytes().get(..1).unwrap()),
            Some("sh")
        );
    }

    #[test]
    fn ape_headers() {
        assert!(ape(b"MZqFpD='\n\n\x00\x10"));
        assert!(!ape(b"MZ\x90\x00\x03\x00"));
        assert!(!ape(b"MZ='x"));
        assert!(!ape(b"MZqFpD=x"));
    }
}
