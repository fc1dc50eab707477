//! The downstream apps (`tests/benches/downstream/`): each written into a folder of its own
//! under `target/bench-apps/` with the dependencies it is measured on, and built.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use access_tokens_bench_report::Row;

use super::package::{mark_before, package_sdk};

/// The openapi-generator release the peer client comes from (its PyPI package bundles the jar).
pub(super) const OPENAPI_GENERATOR: &str = "openapi-generator-cli==7.26.0";

/// The ring crypto provider for rustls, the SDK's, for the apps that do not use the SDK: they
/// enable reqwest's `rustls-no-provider` and install it themselves, as reqwest asks.
pub(super) const RING: &str =
    "rustls = { version = \"0.23\", default-features = false, features = [\"ring\"] }";

/// The Tokio features of every app, and of the harness (`tests/benches/Cargo.toml`): with other
/// features, Tokio and every crate on it would be compiled again for the harness.
pub(super) const APP_TOKIO_FEATURES: &str = r#"["macros", "rt-multi-thread", "net", "io-util"]"#;

/// What every variant of the hand-written reqwest app needs besides reqwest.
pub(super) const REQWEST_APP_DEPENDENCIES: &str = "serde = { version = \"1\", features = [\"derive\"] }\n\
     serde_json = \"1\"";

/// Where the downstream apps are written and built.
pub(super) struct Apps {
    pub(super) workspace: PathBuf,
    pub(super) scratch: PathBuf,
}

/// The apps on the SDK at an earlier revision.
pub(super) struct EarlierApps {
    /// The revision's short commit id.
    pub(super) commit: String,
    /// The SDK's features the apps use, for the report.
    pub(super) features: &'static str,
    /// The SDK's package, as `cargo package` wrote it.
    pub(super) package: PathBuf,
    /// The SDK app on it.
    pub(super) app: App,
    /// The same app with all four vendors.
    pub(super) all_vendors: App,
    /// The app that times it against today's SDK.
    pub(super) before_vs_now: App,
}

/// One downstream app: a folder with a manifest whose binary is a file in
/// `tests/benches/downstream/`.
#[derive(Clone)]
pub(super) struct App {
    pub(super) dir: PathBuf,
    pub(super) name: String,
    /// The binary's source file.
    pub(super) source: PathBuf,
    /// Its target directory: its own, or another app's whose build it reuses.
    pub(super) target: PathBuf,
    /// Its `Cargo.toml`: apps that differ in their dependencies only (the SDK's features) share
    /// a folder, and each build writes its own.
    pub(super) manifest: String,
}

/// The cargo that runs this program.
pub(super) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

impl Apps {
    /// Writes an app that builds `source` with `dependencies` (and Tokio, with the features of
    /// the harness, which builds on the SDK app's crates), with the workspace's lock file so
    /// that shared crates have the versions the SDK is tested with.
    pub(super) fn app(&self, name: &str, source: &str, dependencies: &str) -> Result<App, String> {
        self.app_locked(name, source, dependencies, &self.workspace.join("Cargo.lock"))
    }

    /// [`Apps::app`] with the lock file at `lock`.
    pub(super) fn app_locked(
        &self,
        name: &str,
        source: &str,
        dependencies: &str,
        lock: &Path,
    ) -> Result<App, String> {
        let dir = self.scratch.join(name);
        let source = self.workspace.join("tests/benches/downstream").join(source);
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [[bin]]\nname = \"{name}\"\npath = {source:?}\n\n[dependencies]\n{dependencies}\n\
             tokio = {{ version = \"1\", features = {APP_TOKIO_FEATURES} }}\n\n\
             # Not part of the SDK's workspace.\n[workspace]\n"
        );
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let lock = std::fs::read(lock).map_err(|e| format!("{}: {e}", lock.display()))?;
        std::fs::write(dir.join("Cargo.lock"), lock)
            .map_err(|e| format!("{name}/Cargo.lock: {e}"))?;
        let target = dir.join("target");
        let app = App { dir, name: name.to_owned(), source, target, manifest };
        app.write_manifest()?;
        Ok(app)
    }

    /// The SDK app on the SDK as it was at git revision `revision`, packaged the same way, with
    /// that revision's lock file, and the app that times that SDK against today's
    /// (`sdk_dependency`), which reuses `sdk`'s build.
    pub(super) fn before(
        &self,
        revision: &str,
        sdk_dependency: &str,
        sdk: &App,
    ) -> Result<EarlierApps, String> {
        let git = || {
            let mut git = Command::new("git");
            git.arg("-C").arg(&self.workspace);
            git
        };
        let commit = git()
            .args(["rev-parse", "--short", &format!("{revision}^{{commit}}")])
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .ok_or_else(|| format!("no git revision {revision} here"))?;
        let source = self.scratch.join("before-workspace");
        let archive = self.scratch.join("before-workspace.tar");
        succeed(git().args(["archive", "--output"]).arg(&archive).arg(&commit))?;
        std::fs::create_dir_all(&source).map_err(|e| format!("{}: {e}", source.display()))?;
        succeed(Command::new("tar").arg("-xf").arg(&archive).arg("-C").arg(&source))?;
        let package = package_sdk(&source, &self.scratch.join("before"))?;
        let text = mark_before(&package)?;
        // Magpie alone as today, where that SDK already had a feature per vendor, and with
        // generation at build time, which its default was before it became the feature
        // `codegen`.
        let feature =
            |name: &str| text.lines().any(|line| line.starts_with(&format!("{name} = [")));
        let (features, only_magpie) = match (feature("magpie"), feature("codegen")) {
            (true, true) => (
                "with features `codegen`, `magpie`",
                ", default-features = false, features = [\"codegen\", \"magpie\"]",
            ),
            (true, false) => {
                ("with feature `magpie`", ", default-features = false, features = [\"magpie\"]")
            }
            (false, _) => ("with default features (all four vendors)", ""),
        };
        let lock = source.join("Cargo.lock");
        let dependency = format!("access-tokens = {{ path = {package:?}{only_magpie} }}");
        let app = self.app_locked("sdk-before", "sdk.rs", &dependency, &lock)?;
        let dependency = format!("access-tokens = {{ path = {package:?} }}");
        let all_vendors = self.app_locked("sdk-before", "sdk.rs", &dependency, &lock)?;
        let both = format!(
            "{sdk_dependency}\naccess-tokens-before = {{ package = \"access-tokens\", \
             path = {package:?}{only_magpie} }}"
        );
        let before_vs_now = self.app("before-vs-now", "before_vs_now.rs", &both)?.reusing(sdk);
        Ok(EarlierApps { commit, features, package, app, all_vendors, before_vs_now })
    }

    /// Generates openapi-generator's Rust client from `openapi/magpie.yaml` (installing the
    /// generator with pip if needed) and writes the app that uses it, and the app that times it
    /// against the SDK (`sdk_dependency`), which reuses `sdk`'s build.
    pub(super) fn peer(&self, sdk_dependency: &str, sdk: &App) -> Result<(App, App), String> {
        succeed(Command::new("java").arg("-version"))
            .map_err(|_| "Java is not installed".to_owned())?;
        let generator = || Command::new("openapi-generator-cli");
        if succeed(generator().arg("version")).is_err() {
            succeed(Command::new("python3").args([
                "-m",
                "pip",
                "install",
                "--quiet",
                OPENAPI_GENERATOR,
            ]))
            .map_err(|e| format!("cannot install {OPENAPI_GENERATOR}: {e}"))?;
        }
        let client = self.scratch.join("peer-client");
        succeed(generator()
            .args(["generate", "--generator-name", "rust", "--input-spec"])
            .arg(self.workspace.join("openapi/magpie.yaml"))
            .arg("--output")
            .arg(&client)
            .arg("--additional-properties=packageName=peer,library=reqwest,reqwestDefaultFeatures=rustls"))
        .map_err(|e| format!("openapi-generator failed: {e}"))?;
        // On the SDK's TLS stack, rustls on ring, rather than the client's default (rustls on
        // aws-lc-rs, the costliest crate of a cold build, which the TLS rows measure): the cold
        // builds then compare what the two generators write, not their TLS providers.
        let dependencies = format!(
            "peer = {{ path = {client:?}, default-features = false }}\n\
             reqwest = {{ version = \"0.13.5\", default-features = false, \
             features = [\"rustls-no-provider\"] }}\n{RING}"
        );
        let peer = self.app("peer", "peer.rs", &dependencies)?;
        let both = format!("{dependencies}\n{sdk_dependency}");
        // In the SDK app's target directory: what the peer adds to it is small (its crate and
        // serde_with), while the SDK adds progenitor and its build dependencies to the peer's.
        let peer_vs_sdk = self.app("peer-vs-sdk", "peer_vs_sdk.rs", &both)?.reusing(sdk);
        Ok((peer, peer_vs_sdk))
    }
}

impl App {
    /// This app, built in `other`'s target directory, so that what they share is built once.
    pub(super) fn reusing(self, other: &App) -> App {
        App { target: other.target.clone(), ..self }
    }

    /// Builds from an empty target directory.
    pub(super) fn cold_build(&self) -> Result<Duration, String> {
        let _ = std::fs::remove_dir_all(&self.target);
        self.build()
    }

    /// Writes the app's manifest, unless the folder already has it (which would not change
    /// what is built, but would make cargo look again).
    pub(super) fn write_manifest(&self) -> Result<(), String> {
        let path = self.dir.join("Cargo.toml");
        if std::fs::read_to_string(&path).is_ok_and(|written| written == self.manifest) {
            return Ok(());
        }
        std::fs::write(&path, &self.manifest).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `cargo build --release`, timed.
    pub(super) fn build(&self) -> Result<Duration, String> {
        self.write_manifest()?;
        settle();
        let started = Instant::now();
        succeed(
            cargo()
                .current_dir(&self.dir)
                .args(["build", "--release", "--quiet", "--target-dir"])
                .arg(&self.target),
        )?;
        let elapsed = started.elapsed();
        eprintln!("built {} (release) in {:.2} s", self.name, elapsed.as_secs_f64());
        Ok(elapsed)
    }

    /// Builds this app, which times two clients per call, and returns its binary; if it does not
    /// build, a row of `section` says why.
    pub(super) fn pair_binary(&self, section: &str, rows: &mut Vec<Row>) -> Option<PathBuf> {
        match self.build() {
            Ok(_) => Some(self.binary()),
            Err(reason) => {
                let case = format!("per call, the two clients in one app ({})", self.name);
                rows.push(Row::skipped(section, &case, &format!("it did not build: {reason}")));
                None
            }
        }
    }

    /// Marks the app's source as changed, as an edit would.
    pub(super) fn touch_source(&self) -> Result<(), String> {
        let source = std::fs::File::options().append(true).open(&self.source);
        source
            .and_then(|file| file.set_modified(std::time::SystemTime::now()))
            .map_err(|e| format!("{}: {e}", self.source.display()))
    }

    pub(super) fn binary(&self) -> PathBuf {
        self.target.join("release").join(&self.name)
    }
}

/// Waits until what earlier builds wrote is on disk, so that a timed build does not share the
/// machine with its write-back: a cold build here leaves up to 230 MB to write over the next
/// 20-30 s, and rebuilds timed meanwhile read about 10% slower (4.70 s against 4.08-4.34 s
/// after `sync`, the same edit).
pub(super) fn settle() {
    let _ = Command::new("sync").status();
}

/// Runs `command`; on failure, the first line of its error output says why.
pub(super) fn succeed(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no error output");
    Err(first.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::{APP_TOKIO_FEATURES, Apps};

    #[test]
    fn apps_sharing_a_folder_each_build_with_their_own_manifest() {
        let scratch = std::env::temp_dir().join(format!("bench-apps-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).unwrap();
        let lock = scratch.join("workspace.lock");
        std::fs::write(&lock, "# lock\n").unwrap();
        let apps = Apps { workspace: scratch.clone(), scratch: scratch.clone() };
        let magpie = apps.app_locked("sdk", "sdk.rs", "sdk = { features = [\"magpie\"] }", &lock);
        let all = apps.app_locked("sdk", "sdk.rs", "sdk = {}", &lock).unwrap();
        let manifest = || std::fs::read_to_string(scratch.join("sdk/Cargo.toml")).unwrap();
        assert!(manifest().contains("sdk = {}\n"), "{}", manifest());
        magpie.unwrap().write_manifest().unwrap();
        assert!(manifest().contains("sdk = { features = [\"magpie\"] }\n"), "{}", manifest());
        all.write_manifest().unwrap();
        assert!(manifest().contains("sdk = {}\n"), "{}", manifest());
        assert_eq!(std::fs::read_to_string(scratch.join("sdk/Cargo.lock")).unwrap(), "# lock\n");
        std::fs::remove_dir_all(&scratch).unwrap();
    }

    #[test]
    fn the_harness_has_the_apps_tokio_features() {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/benches/Cargo.toml");
        let manifest = std::fs::read_to_string(manifest).unwrap();
        let tokio = format!("tokio = {{ workspace = true, features = {APP_TOKIO_FEATURES} }}\n");
        assert!(manifest.contains(&tokio), "{manifest}");
    }
}
