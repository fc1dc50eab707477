//! `cargo xtask generate` writes the reviewable snapshots of the generated clients;
//! `cargo xtask check` fails when a snapshot is stale or a document cannot be generated.

#[path = "../../sdk/codegen.rs"]
mod codegen;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use similar::TextDiff;

const USAGE: &str = "usage: cargo xtask <generate|check>
  generate  write sdk/generated/<api>.rs from openapi/<api>.yaml
  check     fail if a snapshot differs from what the documents generate";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate"] => generate(),
        ["check"] => check(),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk")
}

fn snapshot_path(api: &str) -> PathBuf {
    sdk_dir().join(format!("generated/{api}.rs"))
}

/// The code each document generates, by API name.
fn generated() -> Result<Vec<(&'static str, String)>, String> {
    codegen::APIS
        .iter()
        .map(|&api| {
            let document = codegen::document_path(api);
            codegen::generate(&sdk_dir().join(&document), &document)
                .map(|code| (api, code))
                .map_err(|reason| format!("{document}: {reason}"))
        })
        .collect()
}

fn generate() -> Result<(), String> {
    for (api, code) in generated()? {
        let path = snapshot_path(api);
        std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote sdk/generated/{api}.rs");
    }
    Ok(())
}

fn check() -> Result<(), String> {
    let mut stale = Vec::new();
    for (api, code) in generated()? {
        let path = snapshot_path(api);
        let snapshot = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
        if snapshot != code {
            let diff = TextDiff::from_lines(&snapshot, &code);
            let name = format!("sdk/generated/{api}.rs");
            eprint!("{}", diff.unified_diff().context_radius(3).header(&name, "generated"));
            stale.push(name);
        }
    }
    if stale.is_empty() {
        println!("snapshots match the documents ({} APIs)", codegen::APIS.len());
        Ok(())
    } else {
        Err(format!(
            "stale: {}; run `cargo xtask generate` and commit the result",
            stale.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test` alone catches a snapshot that no longer matches its document.
    #[test]
    fn snapshots_match_the_documents() {
        if let Err(message) = super::check() {
            panic!("{message}");
        }
    }
}
