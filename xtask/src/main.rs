//! `cargo xtask <task>`: development tasks of the workspace.
//!
//! ```text
//! cargo xtask codegen [--spec DIR] [--check]
//! ```
//!
//! `codegen` regenerates `crates/ampersand-resources` and the client's resource accessors from
//! the OpenAPI spec (default `../shared/spec` relative to the workspace root). With `--check` it
//! writes nothing and fails when the committed files differ from what the spec produces.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::codegen;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("codegen") => {}
        Some(other) => return Err(format!("unknown task `{other}`; try `cargo xtask codegen`")),
        None => return Err("usage: cargo xtask codegen [--spec DIR] [--check]".into()),
    }
    let root = workspace_root();
    let mut spec = root.join("../shared/spec");
    let mut check = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec" => spec = PathBuf::from(args.next().ok_or("--spec needs a directory")?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let files = codegen::generate(&spec)?;
    if check {
        let differences = codegen::check(&root, &files);
        if differences.is_empty() {
            println!("codegen: {} generated files are up to date", files.len());
            Ok(())
        } else {
            Err(format!(
                "generated code is out of date; run `cargo xtask codegen`:\n  {}",
                differences.join("\n  ")
            ))
        }
    } else {
        let changed = codegen::write(&root, &files)?;
        println!(
            "codegen: wrote {} generated files ({changed} changed)",
            files.len()
        );
        Ok(())
    }
}
