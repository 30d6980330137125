//! Native executable headers: ELF, PE and Mach-O (thin and fat). Each parser
//! accepts a header only when its fixed fields are valid, so data that merely
//! starts with the magic bytes is not reported as a program.

/// A native executable recognised from its header.
#[derive(Debug, PartialEq)]
pub struct Binary {
    /// `elf`, `pe` or `mach-o`.
    pub kind: &'static str,
    /// Executable, shared library, object... as the header says.
    pub role: &'static str,
    pub arch: String,
    pub entry: Option<u64>,
}

/// The binary `head` (the input's first bytes) starts, if any. `size` is the
/// whole input's size, for offsets the header declares.
pub fn parse(head: &[u8], size: u64) -> Option<Binary> {
    match head.get(..4)? {
        b"\x7fELF" => elf(head),
        [b'M', b'Z', ..] => pe(head),
        [0xca, 0xfe, 0xba, 0xbe] => fat_mach_o(head, size),
        _ => mach_o(head),
    }
}

fn u16_at(b: &[u8], at: usize, le: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(bytes)
    } else {
        u16::from_be_bytes(bytes)
    })
}

fn u32_at(b: &[u8], at: usize, le: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    })
}

fn u64_at(b: &[u8], at: usize, le: bool) -> Option<u64> {
    let bytes: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(if le {
        u64::from_le_bytes(bytes)
    } else {
        u64::from_be_bytes(bytes)
    })
}

fn elf(b: &[u8]) -> Option<Binary> {
    let wide = match b.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let le = match b.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    if *b.get(6)? != 1 || u32_at(b, 20, le)? != 1 {
        return None;
    }
    let role = match u16_at(b, 16, le)? {
        1 => "relocatable object",
        2 => "executable",
        3 => "shared object or position-independent executable",
        4 => "core dump",
        _ => return None,
    };
    let arch = match u16_at(b, 18, le)? {
        2 => "sparc",
        3 => "x86",
        8 => "mips",
        20 => "powerpc",
        21 => "powerpc64",
        22 => "s390",
        40 => "arm",
        62 => "x86-64",
        183 => "aarch64",
        243 => "riscv",
        247 => "bpf",
        258 => "loongarch",
        other => return Some(elf_binary(role, format!("machine {other}"), b, wide, le)),
    };
    Some(elf_binary(role, arch.to_string(), b, wide, le))
}

fn elf_binary(role: &'static str, arch: String, b: &[u8], wide: bool, le: bool) -> Binary {
    let entry = if wide {
        u64_at(b, 24, le)
    } else {
        u32_at(b, 24, le).map(u64::from)
    };
    Binary {
        kind: "elf",
        role,
        arch,
        entry: entry.filter(|e| *e != 0),
    }
}

/// A PE image: `MZ`, `e_lfanew` pointing inside `head` at `PE\0\0`, a known
/// optional-header magic.
fn pe(b: &[u8]) -> Option<Binary> {
    let at = u32_at(b, 0x3c, true)? as usize;
    if at < 0x40 || b.get(at..at + 4)? != b"PE\0\0" {
        return None;
    }
    let coff = at + 4;
    let arch = match u16_at(b, coff, true)? {
        0x14c => "x86",
        0x8664 => "x86-64",
        0x1c0 | 0x1c4 => "arm",
        0xaa64 => "arm64",
        0x200 => "ia64",
        0x5064 => "riscv64",
        0 => "any",
        _ => return None,
    };
    let characteristics = u16_at(b, coff + 18, true)?;
    let optional = coff + 20;
    let entry = match u16_at(b, optional, true)? {
        0x10b | 0x20b => u32_at(b, optional + 16, true).map(u64::from),
        _ => return None,
    };
    let role = if characteristics & 0x2000 != 0 {
        "dynamic-link library"
    } else {
        "executable"
    };
    Some(Binary {
        kind: "pe",
        role,
        arch: arch.to_string(),
        entry,
    })
}

fn mach_arch(cputype: u32) -> Option<&'static str> {
    Some(match cputype {
        7 => "x86",
        0x0100_0007 => "x86-64",
        12 => "arm",
        0x0100_000c => "arm64",
        0x0200_000c => "arm64_32",
        18 => "powerpc",
        0x0100_0012 => "powerpc64",
        _ => return None,
    })
}

fn mach_o(b: &[u8]) -> Option<Binary> {
    let le = match b.get(..4)? {
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] => false,
        [0xce | 0xcf, 0xfa, 0xed, 0xfe] => true,
        _ => return None,
    };
    let arch = mach_arch(u32_at(b, 4, le)?)?;
    let role = match u32_at(b, 12, le)? {
        1 => "object",
        2 => "executable",
        6 => "dynamic library",
        8 => "bundle",
        3..=12 => "other Mach-O file",
        _ => return None,
    };
    Some(Binary {
        kind: "mach-o",
        role,
        arch: arch.to_string(),
        entry: None,
    })
}

/// A universal binary. `cafebabe` also starts Java class files, whose next
/// word (minor, major version) is at least 45: a fat header holds a small
/// architecture count and every slice must fit in the file.
fn fat_mach_o(b: &[u8], size: u64) -> Option<Binary> {
    let count = u32_at(b, 4, false)? as usize;
    if !(1..=20).contains(&count) {
        return None;
    }
    let mut arches = Vec::with_capacity(count);
    for i in 0..count {
        let at = 8 + 20 * i;
        let arch = mach_arch(u32_at(b, at, false)?)?;
        let offset = u64::from(u32_at(b, at + 8, false)?);
        let len = u64::from(u32_at(b, at + 12, false)?);
        if offset < 8 + 20 * count as u64 || offset.checked_add(len)? > size {
            return None;
        }
        arches.push(arch);
    }
    Some(Binary {
        kind: "mach-o",
        role: "universal binary",
        arch: arches.join(","),
        entry: None,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A 64-bit little-endian x86-64 ELF executable header.
    pub fn elf64() -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&2u16.to_le_bytes());
        b[18..20].copy_from_slice(&62u16.to_le_bytes());
        b[20..24].copy_from_slice(&1u32.to_le_bytes());
        b[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        b
    }

    /// A PE32+ x86-64 DLL with its header at 0x80.
    pub fn pe64() -> Vec<u8> {
        let mut b = vec![0u8; 0x200];
        b[..2].copy_from_slice(b"MZ");
        b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        b[0x80..0x84].copy_from_slice(b"PE\0\0");
        b[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
        b[0x96..0x98].copy_from_slice(&0x2022u16.to_le_bytes());
        b[0x98..0x9a].copy_from_slice(&0x20bu16.to_le_bytes());
        b[0xa8..0xac].copy_from_slice(&0x1234u32.to_le_bytes());
        b
    }

    #[test]
    fn elf_fields_are_read() {
        let bin = parse(&elf64(), 64).unwrap();
        assert_eq!(
            (bin.kind, bin.role, bin.arch.as_str(), bin.entry),
            ("elf", "executable", "x86-64", Some(0x401000))
        );
        let mut bad = elf64();
        bad[4] = 7;
        assert_eq!(parse(&bad, 64), None);
        let mut bad = elf64();
        bad[20] = 9;
        assert_eq!(parse(&bad, 64), None);
    }

    #[test]
    fn pe_needs_a_pe_header_at_e_lfanew() {
        let bin = parse(&pe64(), 0x200).unwrap();
        assert_eq!(
            (bin.kind, bin.role, bin.arch.as_str(), bin.entry),
            ("pe", "dynamic-link library", "x86-64", Some(0x1234))
        );
        let mut dos_only = pe64();
        dos_only[0x80] = b'X';
        assert_eq!(parse(&dos_only, 0x200), None);
        let mut far = pe64();
        far[0x3c..0x40].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert_eq!(parse(&far, 0x200), None);
        assert_eq!(
            parse(b"MZ is a text that starts with these letters", 44),
            None
        );
    }

    #[test]
    fn mach_o_thin_and_fat() {
        let mut thin = vec![0xcf, 0xfa, 0xed, 0xfe];
        thin.extend_from_slice(&0x0100_000cu32.to_le_bytes());
        thin.extend_from_slice(&0u32.to_le_bytes());
        thin.extend_from_slice(&2u32.to_le_bytes());
        thin.resize(32, 0);
        let bin = parse(&thin, 32).unwrap();
        assert_eq!(
            (bin.kind, bin.role, bin.arch.as_str()),
            ("mach-o", "executable", "arm64")
        );

        let mut fat = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
        for (cpu, offset) in [(0x0100_0007u32, 4096u32), (0x0100_000c, 8192)] {
            for word in [cpu, 0, offset, 4096, 12] {
                fat.extend_from_slice(&word.to_be_bytes());
            }
        }
        assert_eq!(parse(&fat, 12288).unwrap().arch, "x86-64,arm64");
        // A slice past the end of the file: not a universal binary.
        assert_eq!(parse(&fat, 12000), None);
    }

    #[test]
    fn java_class_files_are_not_mach_o() {
        // cafebabe, minor 0, major 52 (Java 8).
        let class = [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52, 0, 0x1d, 0x0a, 0, 0x06];
        assert_eq!(parse(&class, 4096), None);
    }
}
