//! The zip plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const STRUCTURE: &str = "zip-structure";
pub const NAME_MISMATCH: &str = "zip-local-name-mismatch";
pub const CRC: &str = "zip-crc-mismatch";
pub const FLAG_BITS: &str = "zip-flag-bits";
pub const ENCRYPTED: &str = "zip-encrypted-member";
pub const DUPLICATE_NAME: &str = "zip-duplicate-name";
pub const UNSAFE_PATH: &str = "zip-unsafe-path";
pub const SYMLINK_ESCAPE: &str = "zip-symlink-escape";
pub const OUTSIDE_DATA: &str = "zip-data-outside-entries";
pub const OVERLAP: &str = "zip-overlapping-entries";
pub const METHOD: &str = "zip-compression-method";
pub const MEMBER_DATA: &str = "zip-member-data";
pub const STORAGE_PICKLE: &str = "zip-torch-storage-pickle";

const APPNOTE: &str = "https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT";
const SUPPLY_CHAIN: &str = "AML.T0010";
const OBFUSCATION: &str = "T1027";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(STRUCTURE, "Zip structure is consistent", Severity::High, "integrity")
            .description("The end of central directory record (and its zip64 form), the central directory and every local header must be present, inside the file and agree on the entry count. Readers resolve inconsistencies differently, so a scanner and a loader can see different members.")
            .cwe(&[20, 436])
            .attack(&[SUPPLY_CHAIN, OBFUSCATION])
            .remediation("Do not load the archive; obtain an intact copy from a trusted source.")
            .references(&[APPNOTE]),
        Rule::new(NAME_MISMATCH, "Local header names match the central directory", Severity::High, "tampering")
            .description("PyTorch looks members up by their central directory name and reads the data after the local header; a different name in the local header makes scanners that walk local headers inspect a member under another name, or miss it (picklescan CVE-2025-1944).")
            .cwe(&[436])
            .attack(&[SUPPLY_CHAIN, OBFUSCATION])
            .remediation("Treat the archive as crafted to evade scanners; do not load it.")
            .references(&["https://nvd.nist.gov/vuln/detail/CVE-2025-1944", APPNOTE]),
        Rule::new(CRC, "Member CRC-32 matches its data", Severity::Medium, "tampering")
            .description("PyTorch does not verify CRC-32 while Python's zipfile raises on a mismatch, so scanners built on zipfile stop and miss the member that torch.load reads (picklescan CVE-2025-10156). The CRC is computed over every member handed back; tensor storages that are not read are not verified.")
            .cwe(&[354])
            .attack(&[SUPPLY_CHAIN, OBFUSCATION])
            .remediation("Treat the archive as corrupt or crafted; do not load it.")
            .references(&["https://nvd.nist.gov/vuln/detail/CVE-2025-10156", APPNOTE])
            .false_positives("A corrupted download produces the same finding."),
        Rule::new(FLAG_BITS, "General-purpose flag bits are ordinary", Severity::High, "tampering")
            .description("Bits for encryption (0x1, 0x40, 0x2000), patched data (0x20) or reserved bits make some scanners skip a member that PyTorch, which ignores them, still loads (picklescan CVE-2025-1945). Local and central flags must also agree.")
            .cwe(&[436])
            .attack(&[SUPPLY_CHAIN, OBFUSCATION])
            .remediation("Treat the archive as crafted to evade scanners; do not load it.")
            .references(&["https://nvd.nist.gov/vuln/detail/CVE-2025-1945", APPNOTE]),
        Rule::new(ENCRYPTED, "No encrypted members", Severity::High, "coverage")
            .description("An encrypted member cannot be inspected, so the archive cannot be verified. Cordon does not decrypt; it hands the bytes back as PyTorch would read them, which exposes members whose encryption flag is a lie.")
            .cwe(&[693])
            .attack(&[SUPPLY_CHAIN, OBFUSCATION])
            .remediation("Obtain an unencrypted copy, or decrypt it in an isolated environment and scan the contents.")
            .references(&[APPNOTE])
            .false_positives("Password-protected archives of benign files."),
        Rule::new(DUPLICATE_NAME, "Member names are unique", Severity::High, "tampering")
            .description("With two members of the same name, Python's zipfile reads the last one while other readers take the first: a reviewed member and a loaded member can differ.")
            .cwe(&[436, 694])
            .attack(&[SUPPLY_CHAIN, OBFUSCATION])
            .remediation("Treat the archive as crafted; re-create it from trusted sources.")
            .references(&[APPNOTE]),
        Rule::new(UNSAFE_PATH, "Member paths stay inside the extraction directory", Severity::High, "tampering")
            .description("'..' components, absolute paths, drive letters, backslashes, NUL bytes and over-long names make extracting tools write outside the target directory or to a different file than shown (zip slip).")
            .cwe(&[22, 23, 36])
            .attack(&[SUPPLY_CHAIN, "T1105"])
            .remediation("Do not extract the archive with a tool that follows stored paths.")
            .references(&["https://security.snyk.io/research/zip-slip-vulnerability", APPNOTE]),
        Rule::new(SYMLINK_ESCAPE, "Symbolic links stay inside the archive", Severity::High, "tampering")
            .description("An entry with a Unix symlink mode whose target is absolute or climbs out of the extraction directory, or a Windows reparse point (junction or symlink), lets an extracting tool write or read outside it.")
            .cwe(&[59, 22])
            .attack(&[SUPPLY_CHAIN])
            .remediation("Do not extract the archive with a tool that creates symbolic links.")
            .references(&["https://security.snyk.io/research/zip-slip-vulnerability"]),
        Rule::new(OUTSIDE_DATA, "Every byte belongs to the archive structure", Severity::Medium, "tampering")
            .description("Bytes before the first member, between members or after the end record are invisible to zip readers but not to other parsers: prepended or appended payloads, polyglot files, members hidden from the central directory. Such regions are handed back and scanned.")
            .cwe(&[506, 436])
            .attack(&[SUPPLY_CHAIN, "T1027.009"])
            .remediation("Inspect the unlisted bytes; re-create the archive from trusted sources.")
            .references(&[APPNOTE])
            .false_positives("Self-extracting archives carry an executable stub before the first member."),
        Rule::new(OVERLAP, "Member data does not overlap", Severity::High, "denial-of-service")
            .description("Members sharing bytes are how non-recursive zip bombs reach huge expansion ratios, and they let one stored payload appear under several names.")
            .cwe(&[409])
            .attack(&["AML.T0029", "T1499"])
            .remediation("Do not unpack the archive.")
            .references(&["https://www.bamsoftware.com/hacks/zipbomb/"]),
        Rule::new(METHOD, "Compression method is supported", Severity::Medium, "coverage")
            .description("Members are decoded when stored or deflated, the methods PyTorch, NumPy and Keras write; any other method leaves the member unscanned.")
            .cwe(&[693])
            .remediation("Re-create the archive with stored or deflated members to have it scanned.")
            .references(&[APPNOTE]),
        Rule::new(MEMBER_DATA, "Member data decodes to its declared size", Severity::Medium, "integrity")
            .description("A member's data must decompress without error, end where the archive says and have the declared uncompressed size; truncated streams, bytes hidden after the end of a deflate stream and size lies are reported.")
            .cwe(&[20, 130])
            .attack(&[OBFUSCATION])
            .remediation("Treat the archive as corrupt or crafted; do not load it.")
            .references(&[APPNOTE]),
        Rule::new(STORAGE_PICKLE, "Tensor storages hold raw data", Severity::Low, "code-execution")
            .description("In a PyTorch archive, `data/<n>` records are raw tensor bytes that torch.load never unpickles. One that starts like a pickle stream may be a smuggled payload for a second-stage loader, or weights that happen to start with those bytes; it is handed back without a hint so the pickle plugin decides, and reports any import it finds.")
            .cwe(&[502, 506])
            .attack(&[SUPPLY_CHAIN, "T1027.009"])
            .remediation("Do not load the model with any tool that unpickles arbitrary archive members.")
            .references(&["https://pytorch.org/docs/stable/notes/serialization.html"])
            .false_positives("Tensor bytes that happen to start with 0x80 0x02..0x05."),
    ]
}
