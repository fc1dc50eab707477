//! `cargo xtask generate` writes the reviewable snapshots of the generated clients;
//! `cargo xtask check` fails when a snapshot is stale, a document cannot be generated, or the
//! OpenAPI linter (Redocly CLI, pinned in `package.json`) finds an error in a document.

#[path = "../../sdk/apis.rs"]
mod apis;
mod bench;
#[path = "../../sdk/codegen/mod.rs"]
mod codegen;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use similar::TextDiff;

const USAGE: &str = "usage: cargo xtask <generate|check|fuzz [SECONDS]|bench [OPTIONS]>
  generate  write sdk/generated/<api>.rs from openapi/<api>.yaml
  check     fail if a snapshot differs from what the documents generate, or a document
            does not pass the OpenAPI linter (install it once with `npm ci`)
  fuzz      run the property tests (tests/it/properties.rs) on fresh random cases for
            SECONDS each (default 120), in parallel
  bench     measure what the SDK costs a downstream app to build and to call, against
            hand-written reqwest, Python requests and openapi-generator's client, and write
            BENCHMARKS.md (under 5 minutes on 2 cores);
            --rebuilds adds the rebuilds that explain the document-edit one (30 s more);
            --tls-providers adds cold builds on reqwest's other TLS stacks (2 more minutes);
            --before REV adds the SDK as it was at git revision REV, built, rebuilt and
            called the same way, for before/after figures (2 more minutes);
            --cold-builds builds each app cold three times in turns, for medians, and the
            SDK without `codegen` (14 more minutes);
            --stores adds sections 7 and 9, a rotation into OpenBao and an inventory
            recorded in the history, whose harness compiles SQLite (2 more minutes)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["generate"] => generate(),
        ["check"] => check_snapshots().and_then(|()| lint_documents()),
        ["fuzz"] => fuzz("120"),
        ["bench", ref options @ ..] => bench::Options::parse(options)
            .ok_or_else(|| USAGE.to_owned())
            .and_then(|options| bench::run(&workspace_dir(), &options)),
        ["fuzz", seconds] if seconds.parse::<u32>().is_ok() => fuzz(seconds),
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

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sdk_dir() -> PathBuf {
    workspace_dir().join("sdk")
}

fn snapshot_path(api: &str) -> PathBuf {
    sdk_dir().join(apis::snapshot_path(api))
}

/// The code each document generates, by API name.
fn generated() -> Result<Vec<(&'static str, String)>, String> {
    apis::APIS
        .iter()
        .map(|&api| {
            let document = apis::document_path(api);
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

fn check_snapshots() -> Result<(), String> {
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
        println!("snapshots match the documents ({} APIs)", apis::APIS.len());
        Ok(())
    } else {
        Err(format!(
            "stale: {}; run `cargo xtask generate` and commit the result",
            stale.join(", ")
        ))
    }
}

/// Runs Redocly CLI over every document in `openapi/`, with the rules in `redocly.yaml`.
fn lint_documents() -> Result<(), String> {
    let workspace = workspace_dir();
    let linter = workspace.join("node_modules/.bin/redocly");
    if !linter.exists() {
        return Err("the OpenAPI linter is not installed: run `npm ci` in the workspace".into());
    }
    let mut documents: Vec<PathBuf> = std::fs::read_dir(workspace.join("openapi"))
        .map_err(|e| format!("openapi/: {e}"))?
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| path.strip_prefix(&workspace).map(Path::to_path_buf).unwrap_or(path))
        .collect();
    documents.sort();
    let status = Command::new(linter)
        .current_dir(&workspace)
        .args(["lint", "--format=stylish"])
        .args(&documents)
        .status()
        .map_err(|e| format!("cannot run the OpenAPI linter: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the OpenAPI linter reported errors (above)".to_owned())
    }
}

/// Runs the property tests for `seconds` each, through `cargo test`.
fn fuzz(seconds: &str) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_dir())
        .args(["test", "-p", "access-tokens-tests", "--test", "it", "properties::"])
        .args(["--", "--nocapture"])
        .env("ACCESS_TOKENS_FUZZ_SECONDS", seconds)
        .status()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    if status.success() { Ok(()) } else { Err("a property failed (above)".to_owned()) }
}

#[cfg(test)]
mod tests {
    /// `cargo test` alone catches a snapshot that no longer matches its document.
    #[test]
    fn snapshots_match_the_documents() {
        if let Err(message) = super::check_snapshots() {
            panic!("{message}");
        }
    }

    /// The published packages carry the licence texts their manifests declare, and the SDK
    /// what its build script reads: the documents, the generator and the snapshots it compiles
    /// without the `codegen` feature.
    #[test]
    fn the_published_packages_ship_what_they_build_from() {
        let sdk_files: Vec<String> = ["apis.rs", "codegen/mod.rs", "build.rs"]
            .into_iter()
            .map(str::to_owned)
            .chain(super::apis::APIS.iter().map(|api| super::apis::snapshot_path(api)))
            .chain(super::apis::APIS.iter().map(|api| super::apis::document_path(api)))
            .collect();
        for (package, needed) in [("access-tokens", &sdk_files[..]), ("access-tokens-runtime", &[])]
        {
            let output = std::process::Command::new(env!("CARGO"))
                .current_dir(super::workspace_dir())
                .args(["package", "--list", "--allow-dirty", "--quiet", "-p", package])
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            let files = String::from_utf8(output.stdout).unwrap();
            for file in ["LICENSE-MIT", "LICENSE-APACHE"]
                .iter()
                .copied()
                .chain(needed.iter().map(String::as_str))
            {
                assert!(
                    files.lines().any(|listed| listed == file),
                    "{package} lacks {file}: {files}"
                );
            }
        }
    }
}
