//! `cargo xtask codegen`: generates `crates/ampersand-resources` (and the client's resource
//! accessors) from the OpenAPI spec.
//!
//! The pipeline is: [`spec::load`] the documents, compute which operation groups use which
//! schemas ([`ops::usage`]), build the type model ([`model::Model`]) and the operations
//! ([`ops::build`]), [`render::render`] every file, then format it with rustfmt. Output is
//! deterministic: maps are ordered and nothing depends on the environment.

pub mod aliases;
pub mod model;
pub mod naming;
pub mod ops;
pub mod render;
pub mod spec;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use render::{Files, HEADER};

/// Generates every file from the spec in `spec_dir`, formatted.
pub fn generate(spec_dir: &Path) -> Result<Files, String> {
    let docs = spec::load(spec_dir)?;
    let raw = ops::raw_operations(&docs);
    let usage = ops::usage(&docs, &raw)?;
    let mut model = model::Model::new(&docs, &usage)?;
    model.build_components()?;
    let operations = ops::build(&mut model, &raw)?;
    model.finish();
    aliases::apply(&mut model)?;
    for warning in &model.warnings {
        eprintln!("codegen: {warning}");
    }
    let files = render::render(&model, &operations)?;
    files
        .into_iter()
        .map(|(path, code)| {
            let formatted = rustfmt(&code).map_err(|e| format!("{path}: {e}"))?;
            Ok((path, formatted))
        })
        .collect()
}

/// Formats Rust code with `rustfmt --edition 2024`.
pub fn rustfmt(code: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked")?
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

/// Generated files under `root` that the spec no longer produces (they start with [`HEADER`]).
fn stale(root: &Path, files: &Files) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let dirs = [
        root.join("crates/ampersand-resources/src"),
        root.join("crates/ampersand-resources/tests"),
    ];
    let mut stack: Vec<PathBuf> = dirs.into_iter().filter(|d| d.is_dir()).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let generated = std::fs::read_to_string(&path)
                    .is_ok_and(|c| c.starts_with(HEADER.lines().next().unwrap_or("")));
                if generated && !files.contains_key(&relative) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

/// Writes the files under `root` and removes stale generated files.
pub fn write(root: &Path, files: &Files) -> Result<usize, String> {
    let mut changed = 0;
    for (relative, content) in files {
        let path = root.join(relative);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
        changed += 1;
    }
    for path in stale(root, files) {
        std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        changed += 1;
    }
    Ok(changed)
}

/// The files under `root` that differ from `files` (missing, different or stale).
pub fn check(root: &Path, files: &Files) -> Vec<String> {
    let mut out = Vec::new();
    for (relative, content) in files {
        let current = std::fs::read_to_string(root.join(relative)).ok();
        match current {
            None => out.push(format!("{relative} is missing")),
            Some(current) if current != *content => out.push(format!("{relative} is out of date")),
            Some(_) => {}
        }
    }
    for path in stale(root, files) {
        out.push(format!("{} is no longer generated", path.display()));
    }
    out
}
