//! Rule catalog.

use cordon_plugin_sdk::{Rule, Severity};

pub const BINARY: &str = "executable-native-binary";
pub const SCRIPT: &str = "executable-script";
pub const POLYGLOT: &str = "executable-polyglot";

pub fn catalog() -> Vec<Rule> {
    vec![
        Rule::new(BINARY, "No native executable as or inside a model file", Severity::High, "code-execution")
            .description("An ELF, PE or Mach-O executable or shared library where a model is expected. Model files are data; native code shipped with them runs with the user's rights once anything executes or dlopens it. Critical when the file carries a model extension (masquerading) or sits in bytes outside an archive's entries.")
            .cwe(&[506, 829])
            .attack(&["AML.T0010", "AML.T0011", "T1036", "T1204.002"])
            .remediation("Do not run or load the file. Obtain the model without bundled binaries, or verify the binary's provenance and signature separately.")
            .references(&[
                "https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html",
                "https://learn.microsoft.com/en-us/windows/win32/debug/pe-format",
            ])
            .false_positives("Custom-operator libraries (.so/.dll) some runtimes load on purpose; they are still native code to review."),
        Rule::new(SCRIPT, "No shell or batch script as or inside a model file", Severity::High, "code-execution")
            .description("A script with a `#!` interpreter line, or a shell, batch or PowerShell file, shipped where a model is expected: one step from being run.")
            .cwe(&[506, 829])
            .attack(&["AML.T0010", "T1059.004", "T1059.001", "T1059.003"])
            .remediation("Read the script before running anything from the model's source; prefer model repositories without executable content.")
            .references(&["https://attack.mitre.org/techniques/T1059/"])
            .false_positives("Repositories that ship setup scripts next to the weights."),
        Rule::new(POLYGLOT, "No executable polyglot", Severity::Critical, "code-execution")
            .description("A file that is both an executable and something else: an Actually Portable Executable / llamafile (`MZ` header that is also a shell script), or executable bytes prepended to an archive outside its entries. Loaders see a model; a shell or Windows runs a program.")
            .cwe(&[506, 434])
            .attack(&["AML.T0010", "AML.T0011", "T1036", "T1027"])
            .remediation("Do not execute the file. Extract the model weights with a trusted tool and discard the executable part.")
            .references(&[
                "https://justine.lol/ape.html",
                "https://github.com/Mozilla-Ocho/llamafile",
            ])
            .false_positives("Official llamafile releases are polyglots by design; verify their checksums against the publisher's."),
    ]
}
