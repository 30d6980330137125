//! The tar plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "tar-structure";
pub const UNSAFE_PATH: &str = "tar-unsafe-path";
pub const LINK_ESCAPE: &str = "tar-link-escape";
pub const SPECIAL_FILE: &str = "tar-special-file";
pub const DUPLICATE_NAME: &str = "tar-duplicate-name";
pub const TRAILING: &str = "tar-trailing-data";
pub const ENTRY_TYPE: &str = "tar-entry-type";

const POSIX: &str = "https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html";
const PEP_706: &str = "https://peps.python.org/pep-0706/";
const CVE_2007_4559: &str = "https://nvd.nist.gov/vuln/detail/CVE-2007-4559";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "Tar headers are well formed", Severity::Medium, "integrity")
            .description("Every header block must pass its checksum and hold valid numbers, extended headers (PAX, GNU long names) must be within bounds, member data must lie inside the file, and the archive must end with its end-of-archive blocks. Readers stop at the first bad header, so what follows is unseen by some tools.")
            .cwe(&[20, 354])
            .attack(&["AML.T0010"])
            .remediation("Treat the archive as corrupt or crafted; obtain an intact copy.")
            .references(&[POSIX]),
        Rule::new(UNSAFE_PATH, "Member paths stay inside the extraction directory", Severity::High, "tampering")
            .description("'..' components, absolute paths, drive letters, backslashes, NUL bytes and over-long names make `tar -x` or `tarfile.extractall` without a filter write outside the target directory (CVE-2007-4559).")
            .cwe(&[22, 23, 36])
            .attack(&["AML.T0010", "T1105"])
            .remediation("Extract only with a safe filter (Python: `filter='data'`), or not at all.")
            .references(&[CVE_2007_4559, PEP_706]),
        Rule::new(LINK_ESCAPE, "Links stay inside the archive", Severity::High, "tampering")
            .description("A symbolic link whose target is absolute or climbs out of the extraction directory, or a hard link to a path outside it, lets later members be written through the link anywhere on disk.")
            .cwe(&[59, 22])
            .attack(&["AML.T0010", "T1105"])
            .remediation("Extract only with a safe filter (Python: `filter='data'`), or not at all.")
            .references(&[CVE_2007_4559, PEP_706]),
        Rule::new(SPECIAL_FILE, "No device files or FIFOs", Severity::Medium, "tampering")
            .description("Character and block devices and FIFOs have no place in a model archive; extracted as root they give access to hardware or hang readers.")
            .cwe(&[67])
            .attack(&["AML.T0010"])
            .remediation("Do not extract the archive as a privileged user; remove the special files.")
            .references(&[PEP_706]),
        Rule::new(DUPLICATE_NAME, "Member names are unique", Severity::Medium, "tampering")
            .description("A later member with the same name overwrites the earlier one on extraction, so the reviewed member and the extracted one can differ; it is also how a regular file replaces a link written just before.")
            .cwe(&[436])
            .attack(&["AML.T0010", "T1027"])
            .remediation("Treat the archive as crafted; re-create it from trusted sources.")
            .references(&[POSIX])
            .false_positives("Incremental or appended archives repeat names on purpose."),
        Rule::new(TRAILING, "Nothing follows the end-of-archive blocks", Severity::Medium, "tampering")
            .description("Tar readers stop at the two zero blocks that end the archive; non-zero bytes after them are invisible to them and a place to hide a payload or a polyglot. They are handed back and scanned.")
            .cwe(&[506])
            .attack(&["AML.T0010", "T1027.009"])
            .remediation("Inspect the hidden bytes; re-create the archive from trusted sources.")
            .references(&[POSIX]),
        Rule::new(ENTRY_TYPE, "Entry types are ordinary", Severity::Low, "coverage")
            .description("Sparse files, volume labels, multi-volume continuations and unknown entry types are unusual in model archives and handled differently by each reader; POSIX extracts unknown types as regular files, so their data is handed back as stored.")
            .cwe(&[436])
            .remediation("Re-create the archive with regular files only.")
            .references(&[POSIX]),
    ]
}
