//! The compressed-stream plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const INTEGRITY: &str = "compressed-stream-integrity";
pub const TRAILING: &str = "compressed-trailing-data";
pub const DECODER_MEMORY: &str = "compressed-decoder-memory";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(INTEGRITY, "Compressed stream is complete and verified", Severity::Medium, "integrity")
            .description("The stream must decode to its end marker and pass its own checks (gzip CRC-32 and size, zlib Adler-32, bzip2 block CRCs, xz block checks, zstd and lz4 content checksums). A loader that unpickles while decompressing runs whatever decoded before the damage, so the partial output is still scanned.")
            .cwe(&[354, 20])
            .attack(&["AML.T0010", "T1027"])
            .remediation("Treat the file as corrupt or crafted; obtain an intact copy.")
            .references(&["https://www.rfc-editor.org/rfc/rfc1952", "https://www.rfc-editor.org/rfc/rfc1950", "https://tukaani.org/xz/xz-file-format.txt", "https://www.rfc-editor.org/rfc/rfc8878"])
            .false_positives("A truncated download produces the same finding."),
        Rule::new(TRAILING, "No data hidden beside the compressed stream", Severity::Medium, "tampering")
            .description("Bytes after the last stream, or zstd skippable frames, are ignored by decompressors and invisible to scanners that only look at the decompressed data: a place for payloads and polyglots. They are handed back and scanned.")
            .cwe(&[506])
            .attack(&["AML.T0010", "T1027.009"])
            .remediation("Inspect the hidden bytes; re-create the file from trusted sources.")
            .references(&["https://www.rfc-editor.org/rfc/rfc8878#name-skippable-frames"])
            .false_positives("Some tools pad gzip files with zero bytes to a block size."),
        Rule::new(DECODER_MEMORY, "Decoder window within the memory budget", Severity::High, "denial-of-service")
            .description("xz dictionaries and zstd windows above 256 MiB make the decoder allocate that much before producing a byte; such streams are not decoded.")
            .cwe(&[400, 789])
            .attack(&["AML.T0029", "T1499"])
            .remediation("Decompress the file with a trusted tool in an isolated environment and scan the result.")
            .references(&["https://tukaani.org/xz/xz-file-format.txt", "https://www.rfc-editor.org/rfc/rfc8878#name-window-descriptor"]),
    ]
}
