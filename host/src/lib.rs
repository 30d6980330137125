//! Cordon: a security scanner for machine-learning model files in which every
//! format parser runs as a sandboxed WebAssembly component.

pub mod cli;
pub mod hash;
pub mod host_rules;
pub mod limits;
pub mod model;
pub mod output;
pub mod registry;
pub mod route;
pub mod sandbox;
pub mod scan;
pub mod siblings;
pub mod source;
pub mod walk;
