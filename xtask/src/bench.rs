//! `cargo xtask bench`: what building on the SDK costs a downstream app, measured here, then the
//! runtime benchmark (`tests/benches/sdk_vs_hand_written.rs`), which writes `BENCHMARKS.md` with
//! both.
//!
//! The downstream apps live in `tests/benches/downstream/`; each is built in its own folder and
//! target directory under `target/bench-apps/`, from cold, against the SDK as `cargo package`
//! ships it (so its build script generates the clients just as on a user's machine).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The openapi-generator release the peer client comes from (its PyPI package bundles the jar).
const OPENAPI_GENERATOR: &str = "openapi-generator-cli==7.26.0";

/// Measures the build cost and the peer generator, then runs the runtime benchmark with them.
/// `tls_providers` adds cold builds of the reqwest app on aws-lc-rs and on native-tls, the
/// measurements behind the SDK's choice of ring (two more minutes on 2 cores).
pub fn run(workspace: &Path, tls_providers: bool) -> Result<(), String> {
    let started = Instant::now();
    let scratch = workspace.join("target/bench-apps");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let apps = Apps { workspace: workspace.to_owned(), scratch: scratch.clone() };

    let sdk_package = apps.package_sdk()?;
    let sdk =
        apps.app("sdk", "sdk.rs", &format!("access-tokens = {{ path = {:?} }}", sdk_package))?;
    let reqwest_ring = apps.app(
        "reqwest-ring",
        "reqwest_ring.rs",
        &format!(
            "{REQWEST_APP_DEPENDENCIES}\nreqwest = {{ version = \"0.13.5\", default-features = false, \
             features = [\"json\", \"rustls-no-provider\"] }}\nrustls = {{ version = \"0.23\", \
             default-features = false, features = [\"ring\"] }}"
        ),
    )?;
    let mut rows = Vec::new();
    let sdk_cold = sdk.cold_build()?;
    let ring_cold = reqwest_ring.cold_build();
    rows.push(builds_row(
        "Build cost",
        "cold `cargo build --release` of a tiny app: reqwest alone (rustls + ring) vs access-tokens",
        &ring_cold,
        &Ok(sdk_cold),
    ));
    let no_op = sdk.build()?;
    rows.push(goal_row("no-op rebuild of the access-tokens app", no_op, 1.0));
    edit_magpie_document(&sdk_package)?;
    let edited = sdk.build()?;
    rows.push(goal_row(
        "rebuild of the app after editing openapi/magpie.yaml (release)",
        edited,
        5.0,
    ));
    let edited = workspace_edit_rebuild(workspace)?;
    rows.push(goal_row(
        "rebuild of the SDK and its tour after editing openapi/magpie.yaml (`cargo build`, here)",
        edited,
        5.0,
    ));

    if tls_providers {
        let aws_lc = apps.app(
            "reqwest-aws-lc-rs",
            "reqwest.rs",
            &format!(
                "{REQWEST_APP_DEPENDENCIES}\nreqwest = {{ version = \"0.13.5\", features = [\"json\"] }}"
            ),
        )?;
        let native_tls = apps.app(
            "reqwest-native-tls",
            "reqwest.rs",
            &format!(
                "{REQWEST_APP_DEPENDENCIES}\nreqwest = {{ version = \"0.13.5\", default-features = false, \
                 features = [\"json\", \"native-tls\"] }}"
            ),
        )?;
        rows.push(builds_row(
            "TLS provider",
            concat!(
                "cold build of the reqwest app: ring vs ",
                "rustls + aws-lc-rs (reqwest's default)"
            ),
            &ring_cold,
            &aws_lc.cold_build(),
        ));
        rows.push(builds_row(
            "TLS provider",
            concat!("cold build of the reqwest app: ring vs ", "native-tls (the system's OpenSSL)"),
            &ring_cold,
            &native_tls.cold_build(),
        ));
    }

    let peer = apps.peer().and_then(|peer| Ok((peer.cold_build()?, peer)));
    let peer_binary = match &peer {
        Ok((peer_cold, peer)) => {
            rows.push(builds_row(
                "5. a peer generator",
                "cold `cargo build --release` of the tiny app: openapi-generator's client vs access-tokens",
                &Ok(*peer_cold),
                &Ok(sdk_cold),
            ));
            Some(peer.binary())
        }
        Err(reason) => {
            rows.push(skipped_row(
                "5. a peer generator",
                "openapi-generator's Rust client",
                reason,
            ));
            None
        }
    };

    let not_measured: Vec<[&str; 2]> = if tls_providers {
        Vec::new()
    } else {
        vec![[
            "TLS provider",
            "cold builds of the reqwest app on aws-lc-rs and native-tls: `cargo xtask bench --tls-providers`",
        ]]
    };
    let measured = json!({
        "rows": rows,
        "not_measured": not_measured,
        "apps": { "sdk": sdk.binary(), "peer": peer_binary },
    });
    let measured_path = scratch.join("measured.json");
    std::fs::write(&measured_path, measured.to_string())
        .map_err(|e| format!("{}: {e}", measured_path.display()))?;
    eprintln!("build cost measured in {:.0} s", started.elapsed().as_secs_f64());

    let status = cargo()
        .current_dir(workspace)
        .args(["bench", "-p", "access-tokens-tests", "--bench", "sdk_vs_hand_written"])
        .env("ACCESS_TOKENS_BENCH_MEASURED", &measured_path)
        .status()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    eprintln!("cargo xtask bench took {:.0} s", started.elapsed().as_secs_f64());
    if status.success() { Ok(()) } else { Err("the benchmark failed (above)".to_owned()) }
}

/// What every variant of the hand-written reqwest app needs besides reqwest.
const REQWEST_APP_DEPENDENCIES: &str = "serde = { version = \"1\", features = [\"derive\"] }\n\
     serde_json = \"1\"";

/// A row comparing two cold builds, either of which may have failed; the ratio is
/// `subject` over `baseline`.
fn builds_row(
    section: &str,
    case: &str,
    baseline: &Result<Duration, String>,
    subject: &Result<Duration, String>,
) -> Value {
    let show = |time: &Result<Duration, String>| match time {
        Ok(time) => seconds(*time),
        Err(reason) => format!("failed: {reason}"),
    };
    let ratio = match (baseline, subject) {
        (Ok(baseline), Ok(subject)) => Some(subject.as_secs_f64() / baseline.as_secs_f64()),
        _ => None,
    };
    json!({ "section": section, "case": case, "baseline": show(baseline), "sdk": show(subject),
            "ratio": ratio, "goal": "report", "met": null })
}

/// A rebuild of the SDK app against a goal in seconds.
fn goal_row(case: &str, time: Duration, goal_seconds: f64) -> Value {
    json!({ "section": "Build cost", "case": case, "baseline": "–", "sdk": seconds(time),
            "ratio": null, "goal": format!("< {goal_seconds} s"),
            "met": time.as_secs_f64() < goal_seconds })
}

fn skipped_row(section: &str, case: &str, reason: &str) -> Value {
    json!({ "section": section, "case": case, "baseline": format!("skipped: {reason}"),
            "sdk": "", "ratio": null, "goal": "report", "met": null })
}

fn seconds(time: Duration) -> String {
    format!("{:.2} s", time.as_secs_f64())
}

/// Where the downstream apps are written and built.
struct Apps {
    workspace: PathBuf,
    scratch: PathBuf,
}

/// Changes one operation's summary in `<root>/openapi/magpie.yaml`, which changes the generated
/// code's documentation; returns the document as it was.
fn edit_magpie_document(root: &Path) -> Result<String, String> {
    let path = root.join("openapi/magpie.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let from = "summary: List your own access tokens";
    if !text.contains(from) {
        return Err(format!("{}: no `{from}` to edit", path.display()));
    }
    std::fs::write(&path, text.replacen(from, "summary: List the caller's access tokens", 1))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text)
}

/// The loop of someone changing a document here: `cargo build` (dev profile) of the SDK and
/// its tour after one edit to `openapi/magpie.yaml`, which is then put back as it was.
fn workspace_edit_rebuild(workspace: &Path) -> Result<Duration, String> {
    let build = || {
        succeed(cargo().current_dir(workspace).args([
            "build",
            "--quiet",
            "-p",
            "access-tokens",
            "--example",
            "tour",
        ]))
    };
    build()?;
    let original = edit_magpie_document(workspace)?;
    let started = Instant::now();
    let built = build();
    let elapsed = started.elapsed();
    let path = workspace.join("openapi/magpie.yaml");
    let restored = std::fs::write(&path, original).map_err(|e| format!("{}: {e}", path.display()));
    restored?;
    built?;
    build()?;
    Ok(elapsed)
}

/// One downstream app: a folder with a manifest whose binary is a file in
/// `tests/benches/downstream/`.
struct App {
    dir: PathBuf,
    name: String,
}

/// The cargo that runs this program.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

impl Apps {
    /// Packages the SDK and unpacks it into the scratch folder.
    fn package_sdk(&self) -> Result<PathBuf, String> {
        succeed(cargo().current_dir(&self.workspace).args([
            "package",
            "--quiet",
            "--no-verify",
            "--allow-dirty",
            "-p",
            "access-tokens",
        ]))?;
        // The archive just written, whatever the SDK's version.
        let packages = self.workspace.join("target/package");
        let archive = std::fs::read_dir(&packages)
            .map_err(|e| format!("{}: {e}", packages.display()))?
            .filter_map(|entry| entry.ok()?.path().into())
            .filter(|path: &PathBuf| {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| n.starts_with("access-tokens-") && n.ends_with(".crate"))
            })
            .max_by_key(|path| path.metadata().and_then(|m| m.modified()).ok())
            .ok_or("cargo package wrote no access-tokens archive")?;
        succeed(Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&self.scratch))?;
        let name = archive.file_stem().expect("a file name").to_owned();
        Ok(self.scratch.join(name))
    }

    /// Writes an app that builds `source` with `dependencies` (and Tokio), with the workspace's
    /// lock file so that shared crates have the versions the SDK is tested with.
    fn app(&self, name: &str, source: &str, dependencies: &str) -> Result<App, String> {
        let dir = self.scratch.join(name);
        let source = self.workspace.join("tests/benches/downstream").join(source);
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [[bin]]\nname = \"{name}\"\npath = {source:?}\n\n[dependencies]\n{dependencies}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt\", \"net\", \"io-util\"] }}\n\n\
             # Not part of the SDK's workspace.\n[workspace]\n"
        );
        let write = |file: &str, contents: &[u8]| {
            std::fs::write(dir.join(file), contents).map_err(|e| format!("{name}/{file}: {e}"))
        };
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        write("Cargo.toml", manifest.as_bytes())?;
        let lock = std::fs::read(self.workspace.join("Cargo.lock"))
            .map_err(|e| format!("Cargo.lock: {e}"))?;
        write("Cargo.lock", &lock)?;
        Ok(App { dir, name: name.to_owned() })
    }

    /// Generates openapi-generator's Rust client from `openapi/magpie.yaml` (installing the
    /// generator with pip if needed) and writes the app that uses it.
    fn peer(&self) -> Result<App, String> {
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
        self.app("peer", "peer.rs", &format!("peer = {{ path = {client:?} }}"))
    }
}

impl App {
    /// Builds from an empty target directory.
    fn cold_build(&self) -> Result<Duration, String> {
        let _ = std::fs::remove_dir_all(self.dir.join("target"));
        self.build()
    }

    /// `cargo build --release`, timed.
    fn build(&self) -> Result<Duration, String> {
        eprintln!("building {} (release)", self.name);
        let started = Instant::now();
        succeed(cargo().current_dir(&self.dir).args([
            "build",
            "--release",
            "--quiet",
            "--target-dir",
            "target",
        ]))?;
        Ok(started.elapsed())
    }

    fn binary(&self) -> PathBuf {
        self.dir.join("target/release").join(&self.name)
    }
}

/// Runs `command`; on failure, the first line of its error output says why.
fn succeed(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no error output");
    Err(first.trim().to_owned())
}
