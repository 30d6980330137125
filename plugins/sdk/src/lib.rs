//! Write Cordon format plugins.
//!
//! A plugin is a WebAssembly component (built with `--target wasm32-wasip2`) that
//! the Cordon host runs in a sandbox for every file of its formats. Implement
//! [`Plugin`] and call [`register_plugin!`]:
//!
//! ```ignore
//! use cordon_plugin_sdk::{Check, Input, Options, Plugin, PluginInfo, ScanError, ScanOutput};
//!
//! struct Toy;
//!
//! impl Plugin for Toy {
//!     fn info() -> PluginInfo { /* name, version, formats, rule catalog */ }
//!     fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
//!         let mut out = ScanOutput::default();
//!         let head = input.read_at(0, 4)?;
//!         out.push(Check::passed("toy-magic", "magic bytes present"));
//!         Ok(out)
//!     }
//! }
//!
//! cordon_plugin_sdk::register_plugin!(Toy);
//! ```
//!
//! The generated WIT bindings stay private to this crate; plugins only use the
//! names re-exported here.

// Lets the generated bindings name this crate the same way from inside and out.
extern crate self as cordon_plugin_sdk;

mod builders;
mod findings;
mod input;
mod members;

/// Generated bindings. Not part of the public API: use the re-exports.
#[doc(hidden)]
pub mod __private {
    pub mod bindings {
        wit_bindgen::generate!({
            world: "scanner",
            path: "../../wit",
            pub_export_macro: true,
            export_macro_name: "__export_scanner",
            default_bindings_module: "::cordon_plugin_sdk::__private::bindings",
            runtime_path: "::cordon_plugin_sdk::__private::wit_bindgen::rt",
        });
    }
    pub use crate::bindings_glue::*;
    pub use wit_bindgen;
}

mod bindings_glue {
    pub use super::__private::bindings::cordon::scanner::host::Input as RawInput;
    pub use super::__private::bindings::exports::cordon::scanner::plugin::Guest;
}

pub use __private::bindings::cordon::scanner::host::MemberHeader;
pub use __private::bindings::cordon::scanner::types::{
    Check, FormatClaim, Location, Magic, PluginInfo, Rule, ScanError, ScanOutput, Severity, Status,
};
pub use builders::Options;
pub use findings::{Capped, Deferred, Findings};
pub use input::{Input, InputReader};
pub use members::{MemberWriter, member_range, open_member};

/// The version of the WIT contract (`cordon:scanner`) this SDK builds against.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// A format plugin. Each scan runs in a fresh instance, so there is no state to keep.
pub trait Plugin {
    /// Name, version, claimed formats and the rule catalog.
    fn info() -> PluginInfo;
    /// Scan one input and report every check made, passed ones included.
    fn scan(input: &Input, options: &Options) -> Result<ScanOutput, ScanError>;
}

/// Export a [`Plugin`] implementation as the component's `cordon:scanner/plugin`.
///
/// Only wasm builds get the exports, so the same crate also builds natively for
/// its unit tests.
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct CordonExport;

            impl $crate::__private::Guest for CordonExport {
                fn info() -> $crate::PluginInfo {
                    <$plugin as $crate::Plugin>::info()
                }

                fn scan(
                    input: &$crate::__private::RawInput,
                    options: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> ::std::result::Result<$crate::ScanOutput, $crate::ScanError> {
                    <$plugin as $crate::Plugin>::scan(
                        &$crate::Input::new(input),
                        &$crate::Options::new(options),
                    )
                }
            }

            $crate::__private::bindings::__export_scanner!(CordonExport with_types_in $crate::__private::bindings);
        };

        // Native builds (unit tests) export nothing but still use the plugin.
        #[cfg(not(target_arch = "wasm32"))]
        const _: (fn() -> $crate::PluginInfo, fn(&$crate::Input, &$crate::Options) -> ::std::result::Result<$crate::ScanOutput, $crate::ScanError>) =
            (<$plugin as $crate::Plugin>::info, <$plugin as $crate::Plugin>::scan);
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn contract_version_is_the_wit_package_version() {
        let wit = include_str!("../../../wit/scanner.wit");
        assert!(wit.contains(&format!(
            "package cordon:scanner@{};",
            super::CONTRACT_VERSION
        )));
    }
}
