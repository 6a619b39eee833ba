//! Development tasks of the Ampersand SDK workspace.
//!
//! The library part holds the code generator so that its tests (and the check that the
//! committed output is current) can call it; `main.rs` is the command line.

pub mod codegen;
