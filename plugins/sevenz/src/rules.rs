//! The 7z plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "sevenz-structure";
pub const ENCRYPTED: &str = "sevenz-encrypted";
pub const UNSAFE_PATH: &str = "sevenz-unsafe-path";
pub const SYMLINK_ESCAPE: &str = "sevenz-symlink-escape";
pub const DUPLICATE_NAME: &str = "sevenz-duplicate-name";
pub const METHOD: &str = "sevenz-compression-method";
pub const DECODER_MEMORY: &str = "sevenz-decoder-memory";
pub const MEMBER_DATA: &str = "sevenz-member-data";

const FORMAT: &str = "https://www.7-zip.org/recover.html";
const ZIP_SLIP: &str = "https://security.snyk.io/research/zip-slip-vulnerability";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "7z headers are readable", Severity::High, "integrity")
            .description("The signature header, its CRC and the (possibly compressed) archive header must parse; otherwise no member can be listed or scanned.")
            .cwe(&[20])
            .attack(&["AML.T0010"])
            .remediation("Treat the archive as corrupt or crafted; obtain an intact copy.")
            .references(&[FORMAT]),
        Rule::new(ENCRYPTED, "No encrypted content", Severity::High, "coverage")
            .description("AES-encrypted members, or encrypted headers that hide even the member list, cannot be inspected, so the archive cannot be verified. Cordon does not decrypt.")
            .cwe(&[693])
            .attack(&["AML.T0010", "T1027"])
            .remediation("Obtain an unencrypted copy, or decrypt it in an isolated environment and scan the contents.")
            .references(&[FORMAT])
            .false_positives("Password-protected archives of benign files."),
        Rule::new(UNSAFE_PATH, "Member paths stay inside the extraction directory", Severity::High, "tampering")
            .description("'..' components, absolute paths, drive letters, backslashes, NUL bytes and over-long names make extracting tools write outside the target directory.")
            .cwe(&[22, 23, 36])
            .attack(&["AML.T0010", "T1105"])
            .remediation("Do not extract the archive with a tool that follows stored paths.")
            .references(&[ZIP_SLIP]),
        Rule::new(SYMLINK_ESCAPE, "Symbolic links stay inside the archive", Severity::High, "tampering")
            .description("A member with a Unix symlink mode whose target is absolute or climbs out of the extraction directory lets an extracting tool write or read outside it.")
            .cwe(&[59, 22])
            .attack(&["AML.T0010"])
            .remediation("Do not extract the archive with a tool that creates symbolic links.")
            .references(&[ZIP_SLIP]),
        Rule::new(DUPLICATE_NAME, "Member names are unique", Severity::Medium, "tampering")
            .description("Two members with one name overwrite each other on extraction, so the reviewed member and the extracted one can differ.")
            .cwe(&[436])
            .attack(&["AML.T0010", "T1027"])
            .remediation("Treat the archive as crafted; re-create it from trusted sources.")
            .references(&[FORMAT]),
        Rule::new(METHOD, "Compression method is supported", Severity::Medium, "coverage")
            .description("LZMA, LZMA2, BZip2, PPMd, copy and the BCJ/delta filters are decoded in the sandbox; members packed with another method (Deflate, Zstandard, Brotli, LZ4...) are not scanned.")
            .cwe(&[693])
            .remediation("Re-create the archive with LZMA2 to have it scanned.")
            .references(&[FORMAT]),
        Rule::new(DECODER_MEMORY, "Decoder dictionary within the memory budget", Severity::High, "denial-of-service")
            .description("Header buffers and LZMA/PPMd dictionaries above 256 MiB make the decoder allocate that much before producing a byte; such blocks are not decoded.")
            .cwe(&[400, 789])
            .attack(&["AML.T0029", "T1499"])
            .remediation("Unpack the archive with a trusted tool in an isolated environment and scan the result.")
            .references(&[FORMAT]),
        Rule::new(MEMBER_DATA, "Member data decodes and matches its CRC", Severity::Medium, "integrity")
            .description("Each member must decode without error and match the CRC-32 the archive records; what decoded before an error is still scanned.")
            .cwe(&[354, 20])
            .attack(&["AML.T0010", "T1027"])
            .remediation("Treat the archive as corrupt or crafted; do not load it.")
            .references(&[FORMAT]),
    ]
}
