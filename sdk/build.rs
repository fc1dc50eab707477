//! Puts each enabled vendor's client into `OUT_DIR`: generated from its OpenAPI document with
//! the `codegen` feature (on by default), or else copied from its reviewed snapshot in
//! `generated/`, which CI keeps identical to what generation writes (`cargo xtask check`).

#[path = "apis.rs"]
mod apis;
#[cfg(feature = "codegen")]
#[path = "codegen/mod.rs"]
mod codegen;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let mut failed = false;
    for api in apis::enabled(|variable| std::env::var_os(variable).is_some()) {
        let written = client(&manifest_dir, api).and_then(|code| {
            std::fs::write(out_dir.join(format!("{api}.rs")), code)
                .map_err(|e| format!("cannot write the client's code: {e}"))
        });
        if let Err(reason) = written {
            eprintln!("error: {api}: {reason}");
            failed = true;
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// The client generated from the API's document.
#[cfg(feature = "codegen")]
fn client(manifest_dir: &Path, api: &str) -> Result<String, String> {
    let document = apis::document_path(api);
    println!("cargo::rerun-if-changed={document}");
    codegen::generate(&manifest_dir.join(&document), &document)
        .map_err(|reason| format!("{document}: {reason}"))
}

/// The API's snapshot of its generated client.
#[cfg(not(feature = "codegen"))]
fn client(manifest_dir: &Path, api: &str) -> Result<String, String> {
    let snapshot = apis::snapshot_path(api);
    println!("cargo::rerun-if-changed={snapshot}");
    std::fs::read_to_string(manifest_dir.join(&snapshot)).map_err(|e| format!("{snapshot}: {e}"))
}
