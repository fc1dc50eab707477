//! The SDK as `cargo package` ships it, unpacked for the downstream apps to depend on: today's,
//! or an earlier revision's, marked so that one app can link both.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::apps::{cargo, succeed};

/// The SDK's packages, its runtime first. An earlier revision may have no runtime crate.
pub(super) const PACKAGES: [&str; 2] = ["access-tokens-runtime", "access-tokens"];

/// Packages the SDK of the workspace at `workspace` as `cargo package` ships it and unpacks it
/// into `into`; returns the folder of `access-tokens`, whose manifest names its runtime's
/// folder (as published, it names a version on crates.io).
pub(super) fn package_sdk(workspace: &Path, into: &Path) -> Result<PathBuf, String> {
    let has_runtime = workspace.join("sdk/runtime/Cargo.toml").is_file();
    let packages = if has_runtime { &PACKAGES[..] } else { &PACKAGES[1..] };
    let mut command = cargo();
    command.current_dir(workspace).args(["package", "--quiet", "--no-verify", "--allow-dirty"]);
    for package in packages {
        command.args(["-p", package]);
    }
    succeed(&mut command)?;
    std::fs::create_dir_all(into).map_err(|e| format!("{}: {e}", into.display()))?;
    let archives = workspace.join("target/package");
    let folders: Vec<PathBuf> =
        packages.iter().map(|name| unpack(&archives, name, into)).collect::<Result<_, _>>()?;
    if let [runtime, sdk] = folders.as_slice() {
        depend_on_folder(sdk, runtime)?;
    }
    Ok(folders.last().expect("access-tokens").clone())
}

/// Has the unpacked SDK at `sdk` take its runtime from the unpacked `runtime` folder.
pub(super) fn depend_on_folder(sdk: &Path, runtime: &Path) -> Result<(), String> {
    let manifest = sdk.join("Cargo.toml");
    let section = format!("[dependencies.{}]\n", PACKAGES[0]);
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    if !text.contains(&section) {
        return Err(format!("{}: no {}", manifest.display(), section.trim_end()));
    }
    let text = text.replacen(&section, &format!("{section}path = {runtime:?}\n"), 1);
    std::fs::write(&manifest, text).map_err(|e| format!("{}: {e}", manifest.display()))
}

/// Unpacks the newest archive of package `name` among `archives` into `into`; returns its
/// folder.
pub(super) fn unpack(archives: &Path, name: &str, into: &Path) -> Result<PathBuf, String> {
    // `<name>-<version>.crate`, whatever the version, and not another package whose name
    // starts with `<name>-`.
    let prefix = format!("{name}-");
    let archive = std::fs::read_dir(archives)
        .map_err(|e| format!("{}: {e}", archives.display()))?
        .filter_map(|entry| entry.ok()?.path().into())
        .filter(|path: &PathBuf| {
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
            file.is_some_and(|file| {
                file.ends_with(".crate")
                    && file
                        .strip_prefix(&prefix)
                        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            })
        })
        .max_by_key(|path| path.metadata().and_then(|m| m.modified()).ok())
        .ok_or_else(|| format!("cargo package wrote no {name} archive"))?;
    succeed(Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(into))?;
    Ok(into.join(archive.file_stem().expect("a file name")))
}

/// Gives the unpacked SDK at `sdk` another version, `<version>-before`, and so its runtime,
/// where it has one, so that one app can link it and today's SDK: a lock file names a package
/// by its name and version only. Returns the SDK's manifest as written.
pub(super) fn mark_before(sdk: &Path) -> Result<String, String> {
    let manifest = sdk.join("Cargo.toml");
    let (text, version) = with_version_marked_before(&manifest)?;
    let runtime = sdk.with_file_name(format!("{}-{version}", PACKAGES[0]));
    let text = if runtime.is_dir() {
        let runtime_manifest = runtime.join("Cargo.toml");
        let (runtime_text, _) = with_version_marked_before(&runtime_manifest)?;
        std::fs::write(&runtime_manifest, runtime_text)
            .map_err(|e| format!("{}: {e}", runtime_manifest.display()))?;
        // access-tokens requires its runtime's exact version.
        text.replacen(
            &format!("version = \"={version}\""),
            &format!("version = \"={version}-before\""),
            1,
        )
    } else {
        text
    };
    std::fs::write(&manifest, &text).map_err(|e| format!("{}: {e}", manifest.display()))?;
    Ok(text)
}

/// The text of the package manifest at `manifest` with the package's version marked
/// `-before`, and that version as it was.
pub(super) fn with_version_marked_before(manifest: &Path) -> Result<(String, String), String> {
    let text =
        std::fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let version = text
        .lines()
        .find_map(|line| line.strip_prefix("version = \"")?.strip_suffix('"'))
        .ok_or_else(|| format!("{}: no version", manifest.display()))?
        .to_owned();
    let text = text.replacen(
        &format!("version = \"{version}\""),
        &format!("version = \"{version}-before\""),
        1,
    );
    Ok((text, version))
}

#[cfg(test)]
mod tests {
    use super::{PACKAGES, with_version_marked_before};

    #[test]
    fn the_sdk_is_unpacked_with_its_runtime_and_names_it_by_folder() {
        let root = std::env::temp_dir().join(format!("bench-package-{}", std::process::id()));
        let (archives, into) = (root.join("archives"), root.join("unpacked"));
        for dir in [&archives, &into] {
            std::fs::create_dir_all(dir).unwrap();
        }
        // Archives as `cargo package` writes them: a folder `<name>-<version>` in each.
        for (name, manifest) in [
            ("access-tokens-runtime-0.1.0", "[package]\nversion = \"0.1.0\"\n"),
            (
                "access-tokens-0.1.0",
                "[package]\nversion = \"0.1.0\"\n\n[dependencies.access-tokens-runtime]\n\
                 version = \"=0.1.0\"\n",
            ),
        ] {
            let folder = root.join(name);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("Cargo.toml"), manifest).unwrap();
            let archive = archives.join(format!("{name}.crate"));
            super::succeed(
                std::process::Command::new("tar")
                    .arg("-czf")
                    .arg(&archive)
                    .arg("-C")
                    .arg(&root)
                    .arg(name),
            )
            .unwrap();
        }
        let unpack = |name| super::unpack(&archives, name, &into).unwrap();
        let (runtime, sdk) = (unpack(PACKAGES[0]), unpack(PACKAGES[1]));
        assert_eq!(sdk, into.join("access-tokens-0.1.0"), "not the runtime's archive");
        assert_eq!(runtime, into.join("access-tokens-runtime-0.1.0"));
        super::depend_on_folder(&sdk, &runtime).unwrap();
        let manifest = std::fs::read_to_string(sdk.join("Cargo.toml")).unwrap();
        let expected = format!("[dependencies.access-tokens-runtime]\npath = {runtime:?}\n");
        assert!(manifest.contains(&expected), "{manifest}");

        let (marked, version) = with_version_marked_before(&sdk.join("Cargo.toml")).unwrap();
        assert_eq!(version, "0.1.0");
        assert!(marked.starts_with("[package]\nversion = \"0.1.0-before\"\n"), "{marked}");
        assert!(marked.contains("version = \"=0.1.0\"\n"), "only the package's: {marked}");

        // Both packages, and the SDK's requirement of its runtime.
        let written = super::mark_before(&sdk).unwrap();
        assert_eq!(written, std::fs::read_to_string(sdk.join("Cargo.toml")).unwrap());
        assert!(written.starts_with("[package]\nversion = \"0.1.0-before\"\n"), "{written}");
        assert!(written.ends_with("version = \"=0.1.0-before\"\n"), "{written}");
        let runtime_manifest = std::fs::read_to_string(runtime.join("Cargo.toml")).unwrap();
        assert_eq!(runtime_manifest, "[package]\nversion = \"0.1.0-before\"\n");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
