//! Generates each vendor's client from its OpenAPI document into `OUT_DIR`.

#[path = "codegen.rs"]
mod codegen;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let mut failed = false;
    for api in codegen::enabled_apis(|variable| std::env::var_os(variable).is_some()) {
        let document = codegen::document_path(api);
        println!("cargo::rerun-if-changed={document}");
        let written =
            codegen::generate(&manifest_dir.join(&document), &document).and_then(|code| {
                std::fs::write(out_dir.join(format!("{api}.rs")), code)
                    .map_err(|e| format!("cannot write the generated code: {e}"))
            });
        if let Err(reason) = written {
            eprintln!("error: {document}: {reason}");
            failed = true;
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
