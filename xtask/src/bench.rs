//! `cargo xtask bench`: what building on the SDK costs a downstream app, measured here, then the
//! runtime benchmark (`tests/benches/`, the crate access-tokens-bench), which writes
//! `BENCHMARKS.md` with both.
//!
//! The downstream apps live in `tests/benches/downstream/`; each is built in its own folder and
//! target directory under `target/bench-apps/`, from cold, against the SDK as `cargo package`
//! ships it (so its build script generates the clients just as on a user's machine).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The openapi-generator release the peer client comes from (its PyPI package bundles the jar).
const OPENAPI_GENERATOR: &str = "openapi-generator-cli==7.26.0";

/// What a run measures besides the default sections.
pub struct Options {
    /// Rebuilds that explain the default's: after an edit of the app's own source, with all four
    /// vendors, and the SDK's own `cargo build` here.
    rebuilds: bool,
    /// Cold builds of the reqwest app on aws-lc-rs and on native-tls, the measurements behind
    /// the SDK's choice of ring.
    tls_providers: bool,
    /// A git revision whose SDK is built and called like today's, for before/after figures.
    before: Option<String>,
    /// Cold builds three times each, in turns, for medians: a single one varies by ±15% here.
    cold_builds: bool,
}

impl Options {
    /// Reads `[--rebuilds] [--tls-providers] [--before REV] [--cold-builds]`; `None` for
    /// anything else.
    pub fn parse(args: &[&str]) -> Option<Self> {
        let mut options =
            Options { rebuilds: false, tls_providers: false, before: None, cold_builds: false };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match *arg {
                "--rebuilds" => options.rebuilds = true,
                "--tls-providers" => options.tls_providers = true,
                "--before" => options.before = Some((*args.next()?).to_owned()),
                "--cold-builds" => options.cold_builds = true,
                _ => return None,
            }
        }
        Some(options)
    }

    /// The command that runs with these options, as the report names it.
    fn command(&self) -> String {
        let mut command = "cargo xtask bench".to_owned();
        if self.rebuilds {
            command.push_str(" --rebuilds");
        }
        if self.tls_providers {
            command.push_str(" --tls-providers");
        }
        if let Some(revision) = &self.before {
            command.push_str(&format!(" --before {revision}"));
        }
        if self.cold_builds {
            command.push_str(" --cold-builds");
        }
        command
    }
}

/// Measures the build cost and the peer generator (and what `options` add), then runs the
/// runtime benchmark with them.
pub fn run(workspace: &Path, options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let scratch = workspace.join("target/bench-apps");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let mut run = Run::build_cost(workspace, &scratch)?;
    if options.rebuilds {
        run.optional(|run| {
            rebuild_details(&mut run.rows, workspace, &run.sdk, &run.sdk_package, &run.all_vendors)
        })?;
    }
    let sdk_vs_sdk =
        run.apps.app("sdk-vs-sdk", "sdk_vs_sdk.rs", &run.magpie_only)?.reusing(&run.sdk);
    let sdk_vs_sdk = sdk_vs_sdk.pair_binary("5. a peer generator", &mut run.rows);

    // Untimed, so the harness builds while the peer generator writes its client.
    let (harness, peer) = build_harness_during(workspace, &run.sdk.target, || {
        run.apps.peer(&run.magpie_only, &run.sdk)
    })?;
    if options.tls_providers {
        run.optional(Run::tls_providers)?;
    }
    let peer_vs_sdk = run.peer_generator(peer);
    let before = match &options.before {
        Some(revision) => run.optional(|run| Ok(run.before_after(revision)))?,
        None => None,
    };
    if options.cold_builds {
        run.optional(Run::cold_builds)?;
    }

    let measured = json!({
        "rows": run.rows,
        "not_measured": not_measured(options),
        "apps": { "sdk_vs_sdk": sdk_vs_sdk, "peer_vs_sdk": peer_vs_sdk, "before_vs_now": before },
        "command": options.command(),
        "seconds": { "so_far": started.elapsed().as_secs_f64(), "options": run.optional.as_secs_f64() },
    });
    let measured_path = scratch.join("measured.json");
    std::fs::write(&measured_path, measured.to_string())
        .map_err(|e| format!("{}: {e}", measured_path.display()))?;
    eprintln!("build cost measured in {:.0} s", started.elapsed().as_secs_f64());

    let status = Command::new(&harness)
        .env("ACCESS_TOKENS_BENCH_MEASURED", &measured_path)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", harness.display()))?;
    eprintln!("cargo xtask bench took {:.0} s", started.elapsed().as_secs_f64());
    if status.success() { Ok(()) } else { Err("the benchmark failed (above)".to_owned()) }
}

/// A run of the build measurements: the apps every section builds on, and the report's rows
/// so far.
struct Run {
    apps: Apps,
    /// The SDK as `cargo package` ships it.
    sdk_package: PathBuf,
    /// The SDK dependency of the Magpie-only apps.
    magpie_only: String,
    /// The tiny app on the SDK, Magpie only.
    sdk: App,
    /// The same app with every vendor compiled in, as for an app that keeps the defaults. It
    /// shares the Magpie-only app's folder and target directory, which the apps timing two
    /// clients reuse.
    all_vendors: App,
    sdk_cold: Duration,
    /// The same app on reqwest alone, on rustls and ring.
    reqwest_ring: App,
    ring_cold: Result<Duration, String>,
    /// The app on openapi-generator's client, once section 5 has built it.
    peer: Option<App>,
    /// The SDK app at `--before`'s revision, and that revision, once built.
    earlier: Option<(String, App)>,
    rows: Vec<Value>,
    /// Time spent on what the options add, so that the report can tell a default run's time.
    optional: Duration,
}

impl Run {
    /// Section "Build cost": the tiny app's cold build on the SDK and on reqwest alone, its
    /// no-op rebuild, and its rebuild after a document edit.
    fn build_cost(workspace: &Path, scratch: &Path) -> Result<Self, String> {
        let apps = Apps { workspace: workspace.to_owned(), scratch: scratch.to_owned() };
        let sdk_package = package_sdk(workspace, scratch)?;
        // The app talks to Magpie only, so it turns the other vendors off, as the README advises.
        let sdk_dependency =
            |features: &str| format!("access-tokens = {{ path = {sdk_package:?}{features} }}");
        let magpie_only = sdk_dependency(", default-features = false, features = [\"magpie\"]");
        let sdk = apps.app("sdk", "sdk.rs", &magpie_only)?;
        let reqwest_ring = apps.app(
            "reqwest-ring",
            "reqwest_ring.rs",
            &format!(
                "{REQWEST_APP_DEPENDENCIES}\nreqwest = {{ version = \"0.13.5\", default-features = false, \
                 features = [\"json\", \"rustls-no-provider\"] }}\n{RING}"
            ),
        )?;
        let mut rows = Vec::new();
        let sdk_cold = sdk.cold_build()?;
        let ring_cold = reqwest_ring.cold_build();
        rows.push(builds_row(
            "Build cost",
            "cold `cargo build --release` of a tiny app: reqwest alone (rustls + ring) vs access-tokens \
             (feature `magpie`)",
            &ring_cold,
            &Ok(sdk_cold),
        ));
        let no_op = sdk.build()?;
        rows.push(goal_row("no-op rebuild of the access-tokens app", no_op, Some(1.0)));
        // Each rebuild is the median of three: one alone read 4.5-6.0 s here for the same edit.
        rows.push(goal_row(
            "release rebuild of the app after editing openapi/magpie.yaml",
            document_edit_rebuilds(&sdk_package, || sdk.build())?,
            Some(5.0),
        ));
        let all_vendors = apps.app("sdk", "sdk.rs", &sdk_dependency(""))?;
        Ok(Self {
            apps,
            sdk_package,
            magpie_only,
            sdk,
            all_vendors,
            sdk_cold,
            reqwest_ring,
            ring_cold,
            peer: None,
            earlier: None,
            rows,
            optional: Duration::ZERO,
        })
    }

    /// Runs the part of an option, counting its time apart from a default run's.
    fn optional<T>(
        &mut self,
        part: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        let started = Instant::now();
        let result = part(self);
        self.optional += started.elapsed();
        result
    }

    /// Section "TLS provider" (`--tls-providers`): the reqwest app's cold build on reqwest's
    /// other TLS stacks, against ring.
    fn tls_providers(&mut self) -> Result<(), String> {
        let reqwest_app = |name, features: &str| {
            self.apps.app(
                name,
                "reqwest.rs",
                &format!(
                    "{REQWEST_APP_DEPENDENCIES}\nreqwest = {{ version = \"0.13.5\"{features} }}"
                ),
            )
        };
        let aws_lc = reqwest_app("reqwest-aws-lc-rs", ", features = [\"json\"]")?;
        let native_tls = reqwest_app(
            "reqwest-native-tls",
            ", default-features = false, features = [\"json\", \"native-tls\"]",
        )?;
        for (stack, app) in [
            ("rustls + aws-lc-rs (reqwest's default)", aws_lc),
            ("native-tls (the system's OpenSSL)", native_tls),
        ] {
            let case = format!("cold build of the reqwest app: ring vs {stack}");
            self.rows.push(builds_row("TLS provider", &case, &self.ring_cold, &app.cold_build()));
        }
        Ok(())
    }

    /// Section 5: the tiny app on openapi-generator's client, built cold, and the app that
    /// times both clients; `peer` is what [`Apps::peer`] made of them.
    fn peer_generator(&mut self, peer: Result<(App, App), String>) -> Option<PathBuf> {
        let section = "5. a peer generator";
        match peer.and_then(|(peer, both)| Ok((peer.cold_build()?, peer, both))) {
            Ok((peer_cold, peer, peer_vs_sdk)) => {
                self.peer = Some(peer);
                self.rows.push(builds_row(
                    section,
                    "cold `cargo build --release` of the tiny app: openapi-generator's client vs \
                     access-tokens (both on rustls + ring)",
                    &Ok(peer_cold),
                    &Ok(self.sdk_cold),
                ));
                peer_vs_sdk.pair_binary(section, &mut self.rows)
            }
            Err(reason) => {
                self.rows.push(skipped_row(section, "openapi-generator's Rust client", &reason));
                None
            }
        }
    }

    /// Section "Before/after" (`--before REV`): the SDK at `revision` built cold, rebuilt after
    /// a document edit and called, each next to today's.
    fn before_after(&mut self, revision: &str) -> Option<Value> {
        let section = "Before/after";
        let app = self.apps.before(revision, &self.magpie_only, &self.sdk);
        let cold = app.as_ref().map_err(Clone::clone).and_then(|earlier| earlier.app.cold_build());
        let case = |at: &str| {
            format!(
                "cold `cargo build --release` of the tiny app: access-tokens at {at} vs now with \
                 feature `magpie`"
            )
        };
        let (earlier, cold) = match (app, cold) {
            (Ok(earlier), Ok(cold)) => (earlier, cold),
            (Err(reason), _) | (_, Err(reason)) => {
                self.rows.push(builds_row(
                    section,
                    &case(revision),
                    &Err(reason),
                    &Ok(self.sdk_cold),
                ));
                return None;
            }
        };
        let at = format!("{} {}", earlier.commit, earlier.features);
        self.rows.push(builds_row(section, &case(&at), &Ok(cold), &Ok(self.sdk_cold)));
        self.earlier = Some((earlier.commit.clone(), earlier.app.clone()));
        let binary = earlier.before_vs_now.pair_binary(section, &mut self.rows);
        let rebuilds = paired_document_edit_rebuilds([
            (&earlier.package, &earlier.all_vendors),
            (&self.sdk_package, &self.all_vendors),
        ]);
        let side = |side: usize| rebuilds.clone().map(|times| times[side]);
        self.rows.push(builds_row(
            section,
            &format!(
                "release rebuild of the app after editing openapi/magpie.yaml, with all four \
                 vendors, in turns: access-tokens at {} vs now",
                earlier.commit
            ),
            &side(0),
            &side(1),
        ));
        binary.map(|binary| json!({ "revision": earlier.commit, "binary": binary }))
    }

    /// Section "Cold builds" (`--cold-builds`): each app built cold three times, in turns
    /// (reqwest alone, the SDK, the SDK without generation, the peer's client, the SDK at
    /// `--before`'s revision; then again), so that the machine's drift falls on all alike, and
    /// each side's median. Each build has a target directory of its own, so that the apps that
    /// reuse the SDK app's build keep theirs.
    fn cold_builds(&mut self) -> Result<(), String> {
        let section = "Cold builds, median of 3 in turns";
        let floor = self.apps.floor(&self.sdk_package)?;
        let mut sides: Vec<(String, App)> = vec![
            ("reqwest alone (rustls + ring)".into(), self.reqwest_ring.clone()),
            ("access-tokens (feature `magpie`)".into(), self.sdk.clone()),
            ("access-tokens with no generation (the floor)".into(), floor),
        ];
        // Each row: baseline, subject (by their places in `sides`), goal.
        let mut rows = vec![(0, 1, Some(1.10)), (0, 2, None), (2, 1, None)];
        if let Some(peer) = &self.peer {
            rows.push((sides.len(), 1, Some(1.0)));
            sides.push(("openapi-generator's client".into(), peer.clone()));
        }
        if let Some((commit, app)) = &self.earlier {
            rows.push((sides.len(), 1, None));
            sides.push((format!("access-tokens at {commit}"), app.clone()));
        }
        let cold = self.apps.scratch.join("cold");
        let mut times = vec![Vec::new(); sides.len()];
        for _ in 0..3 {
            for ((_, app), times) in sides.iter().zip(&mut times) {
                let app = App { target: cold.join(&app.name), ..app.clone() };
                times.push(app.cold_build()?);
            }
        }
        let medians: Vec<Duration> = times.into_iter().map(middle).collect();
        let row = |baseline: usize, subject: usize, goal: Option<f64>| {
            let case = format!(
                "cold `cargo build --release` of the tiny app: {} vs {}",
                sides[baseline].0, sides[subject].0
            );
            let mut row = builds_row(section, &case, &Ok(medians[baseline]), &Ok(medians[subject]));
            if let Some(goal) = goal {
                let ratio = medians[subject].as_secs_f64() / medians[baseline].as_secs_f64();
                row["goal"] = json!(format!("≤ {goal:.2}"));
                row["met"] = json!(ratio <= goal);
            }
            row
        };
        let rows: Vec<Value> =
            rows.into_iter().map(|(base, subject, goal)| row(base, subject, goal)).collect();
        self.rows.extend(rows);
        Ok(())
    }
}

/// What the report says was not measured, and the option that measures it.
fn not_measured(options: &Options) -> Vec<[&'static str; 2]> {
    let mut not_measured = Vec::new();
    if !options.rebuilds {
        not_measured.push([
            "Build cost",
            "release rebuilds of the app after editing its own source (the floor under every \
             rebuild) and, with all four vendors, openapi/magpie.yaml; the SDK's own `cargo build` \
             after that edit: `cargo xtask bench --rebuilds`",
        ]);
    }
    if !options.tls_providers {
        not_measured.push([
            "TLS provider",
            "cold builds of the reqwest app on aws-lc-rs and native-tls: `cargo xtask bench \
             --tls-providers`",
        ]);
    }
    if !options.cold_builds {
        not_measured.push([
            "Cold builds, median of 3 in turns",
            "each cold build three times, in turns with the others, and the SDK built with no \
             generation (the floor): `cargo xtask bench --cold-builds`",
        ]);
    }
    if options.before.is_none() {
        not_measured.push([
            "Before/after",
            "the SDK at an earlier git revision, built, rebuilt and called next to today's: \
             `cargo xtask bench --before REV`",
        ]);
    }
    not_measured
}

/// The rows of `--rebuilds`, which explain the default's document-edit rebuild: what any edit of
/// the app costs (its own compile and link, the floor under every rebuild), the same document
/// edit with all four vendors, and the loop of someone editing a document here.
fn rebuild_details(
    rows: &mut Vec<Value>,
    workspace: &Path,
    sdk: &App,
    sdk_package: &Path,
    all_vendors: &App,
) -> Result<(), String> {
    let own_edit = median_of_three(|_| {
        sdk.touch_source()?;
        sdk.build()
    })?;
    rows.push(goal_row("release rebuild of the app after editing its own source", own_edit, None));
    all_vendors.build()?;
    rows.push(goal_row(
        "release rebuild of the app after editing openapi/magpie.yaml, with all four vendors \
         (default features)",
        document_edit_rebuilds(sdk_package, || all_vendors.build())?,
        Some(5.0),
    ));
    rows.push(goal_row(
        "rebuild of the SDK and its tour after editing openapi/magpie.yaml (`cargo build`, here)",
        workspace_edit_rebuild(workspace)?,
        Some(5.0),
    ));
    Ok(())
}

/// Builds the benchmark harness (access-tokens-bench, in `tests/benches/`) in `target`, the SDK
/// app's target directory, and runs `meanwhile` as it builds; returns the harness's binary and
/// what `meanwhile` returned. The harness has the apps' dependencies with the same features, so
/// that it compiles little more than itself and the SDK (from cold, in the workspace's own
/// target directory, its release build took 113 s here).
fn build_harness_during<T>(
    workspace: &Path,
    target: &Path,
    meanwhile: impl FnOnce() -> T,
) -> Result<(PathBuf, T), String> {
    let started = Instant::now();
    let build = cargo()
        .current_dir(workspace)
        .args(["build", "--release", "--quiet", "-p", "access-tokens-bench", "--target-dir"])
        .arg(target)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    let result = meanwhile();
    let output = build.wait_with_output().map_err(|e| format!("cargo build: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the harness did not build: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    eprintln!("built the harness in {:.2} s", started.elapsed().as_secs_f64());
    Ok((target.join("release/access-tokens-bench"), result))
}

/// The ring crypto provider for rustls, the SDK's, for the apps that do not use the SDK: they
/// enable reqwest's `rustls-no-provider` and install it themselves, as reqwest asks.
const RING: &str =
    "rustls = { version = \"0.23\", default-features = false, features = [\"ring\"] }";

/// The Tokio features of every app, and of the harness (`tests/benches/Cargo.toml`): with other
/// features, Tokio and every crate on it would be compiled again for the harness.
const APP_TOKIO_FEATURES: &str = r#"["macros", "rt-multi-thread", "net", "io-util"]"#;

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

/// A rebuild of the SDK app, against a goal in seconds if it has one.
fn goal_row(case: &str, time: Duration, goal_seconds: Option<f64>) -> Value {
    let goal = goal_seconds.map_or("report".to_owned(), |goal| format!("< {goal} s"));
    let met = goal_seconds.map(|goal| time.as_secs_f64() < goal);
    json!({ "section": "Build cost", "case": case, "baseline": "–", "sdk": seconds(time),
            "ratio": null, "goal": goal, "met": met })
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

/// The median of `rebuild` run three times (it is given the run's number).
fn median_of_three(
    mut rebuild: impl FnMut(usize) -> Result<Duration, String>,
) -> Result<Duration, String> {
    (0..3).map(&mut rebuild).collect::<Result<Vec<_>, _>>().map(middle)
}

/// The median of an odd number of times.
fn middle(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The edit every document-edit rebuild makes to `<root>/openapi/magpie.yaml`: one
/// operation's summary changed (which changes the generated code's documentation), or put back.
struct DocumentEdit {
    path: PathBuf,
    original: String,
    edited: String,
}

impl DocumentEdit {
    fn new(root: &Path) -> Result<Self, String> {
        let path = root.join("openapi/magpie.yaml");
        let original =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let from = "summary: List your own access tokens";
        if !original.contains(from) {
            return Err(format!("{}: no `{from}` to edit", path.display()));
        }
        let edited = original.replacen(from, "summary: List the caller's access tokens", 1);
        Ok(Self { path, original, edited })
    }

    /// Writes the document of edit number `run` (from 0): changed, put back, changed, ...
    fn make(&self, run: usize) -> Result<(), String> {
        self.write(if run.is_multiple_of(2) { &self.edited } else { &self.original })
    }

    /// Leaves the document as it was.
    fn undo(&self) -> Result<(), String> {
        self.write(&self.original)
    }

    fn write(&self, text: &str) -> Result<(), String> {
        std::fs::write(&self.path, text).map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// The median of three timed `build`s, each after a [`DocumentEdit`] of `root`'s document.
/// The document is left as it was.
fn document_edit_rebuilds(
    root: &Path,
    mut build: impl FnMut() -> Result<Duration, String>,
) -> Result<Duration, String> {
    let edit = DocumentEdit::new(root)?;
    let time = median_of_three(|run| {
        edit.make(run)?;
        build()
    });
    edit.undo()?;
    time
}

/// [`document_edit_rebuilds`] of two SDK packages, each with its app, taking turns edit by edit
/// so that the machine's drift reaches both alike; each app is built once first, untimed.
fn paired_document_edit_rebuilds(sides: [(&Path, &App); 2]) -> Result<[Duration; 2], String> {
    let edits = [DocumentEdit::new(sides[0].0)?, DocumentEdit::new(sides[1].0)?];
    let mut times = [Vec::new(), Vec::new()];
    let result = (|| {
        for (_, app) in sides {
            app.build()?;
        }
        for run in 0..3 {
            for (side, (edit, (_, app))) in edits.iter().zip(sides).enumerate() {
                edit.make(run)?;
                times[side].push(app.build()?);
            }
        }
        Ok::<_, String>(())
    })();
    for edit in &edits {
        edit.undo()?;
    }
    result?;
    Ok(times.map(middle))
}

/// The loop of someone changing a document here: `cargo build` (dev profile) of the SDK and
/// its tour after an edit to `openapi/magpie.yaml` (see [`document_edit_rebuilds`]).
fn workspace_edit_rebuild(workspace: &Path) -> Result<Duration, String> {
    let build = || {
        settle();
        let started = Instant::now();
        succeed(cargo().current_dir(workspace).args([
            "build",
            "--quiet",
            "-p",
            "access-tokens",
            "--example",
            "tour",
        ]))?;
        Ok(started.elapsed())
    };
    build()?;
    let time = document_edit_rebuilds(workspace, build);
    build()?;
    time
}

/// The SDK's packages, its runtime first. An earlier revision may have no runtime crate.
const PACKAGES: [&str; 2] = ["access-tokens-runtime", "access-tokens"];

/// Packages the SDK of the workspace at `workspace` as `cargo package` ships it and unpacks it
/// into `into`; returns the folder of `access-tokens`, whose manifest names its runtime's
/// folder (as published, it names a version on crates.io).
fn package_sdk(workspace: &Path, into: &Path) -> Result<PathBuf, String> {
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

/// The floor's build script: the snapshot of each enabled vendor's code, copied into place.
const FLOOR_BUILD_SCRIPT: &str = r#"fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    for api in ["bamboo", "entuity", "insight", "magpie"] {
        if std::env::var_os(format!("CARGO_FEATURE_{}", api.to_uppercase())).is_some() {
            std::fs::copy(format!("generated/{api}.rs"), format!("{out}/{api}.rs")).unwrap();
        }
    }
}
"#;

/// A package manifest without its `[build-dependencies.*]` tables, as `cargo package` writes
/// them.
fn without_build_dependencies(manifest: &str) -> String {
    let mut kept = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[build-dependencies");
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// Has the unpacked SDK at `sdk` take its runtime from the unpacked `runtime` folder.
fn depend_on_folder(sdk: &Path, runtime: &Path) -> Result<(), String> {
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
fn unpack(archives: &Path, name: &str, into: &Path) -> Result<PathBuf, String> {
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
fn mark_before(sdk: &Path) -> Result<String, String> {
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
fn with_version_marked_before(manifest: &Path) -> Result<(String, String), String> {
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

/// The apps on the SDK at an earlier revision.
struct EarlierApps {
    /// The revision's short commit id.
    commit: String,
    /// The SDK's features the apps use, for the report.
    features: &'static str,
    /// The SDK's package, as `cargo package` wrote it.
    package: PathBuf,
    /// The SDK app on it.
    app: App,
    /// The same app with all four vendors.
    all_vendors: App,
    /// The app that times it against today's SDK.
    before_vs_now: App,
}

/// One downstream app: a folder with a manifest whose binary is a file in
/// `tests/benches/downstream/`.
#[derive(Clone)]
struct App {
    dir: PathBuf,
    name: String,
    /// The binary's source file.
    source: PathBuf,
    /// Its target directory: its own, or another app's whose build it reuses.
    target: PathBuf,
    /// Its `Cargo.toml`: apps that differ in their dependencies only (the SDK's features) share
    /// a folder, and each build writes its own.
    manifest: String,
}

/// The cargo that runs this program.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

impl Apps {
    /// Writes an app that builds `source` with `dependencies` (and Tokio, with the features of
    /// the harness, which builds on the SDK app's crates), with the workspace's lock file so
    /// that shared crates have the versions the SDK is tested with.
    fn app(&self, name: &str, source: &str, dependencies: &str) -> Result<App, String> {
        self.app_locked(name, source, dependencies, &self.workspace.join("Cargo.lock"))
    }

    /// [`Apps::app`] with the lock file at `lock`.
    fn app_locked(
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
    fn before(
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
        // Magpie alone as today, where that SDK already had a feature per vendor.
        let (features, only_magpie) = if text.lines().any(|line| line == "magpie = []") {
            ("with feature `magpie`", ", default-features = false, features = [\"magpie\"]")
        } else {
            ("with default features (all four vendors)", "")
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

    /// The SDK app on a copy of the packaged SDK at `package` whose build script generates
    /// nothing: it copies the workspace's snapshot of each enabled vendor's code into place,
    /// and the generator's build dependencies are gone. Not a shipped mode: the floor under
    /// what build-time generation can cost.
    fn floor(&self, package: &Path) -> Result<App, String> {
        let floor = self.scratch.join("floor");
        let _ = std::fs::remove_dir_all(&floor);
        std::fs::create_dir_all(&floor).map_err(|e| format!("{}: {e}", floor.display()))?;
        succeed(Command::new("cp").arg("-R").arg(package).arg(&floor))?;
        let copy = floor.join(package.file_name().expect("a folder name"));
        succeed(
            Command::new("cp")
                .arg("-R")
                .arg(self.workspace.join("sdk/generated"))
                .arg(copy.join("generated")),
        )?;
        std::fs::write(copy.join("build.rs"), FLOOR_BUILD_SCRIPT)
            .map_err(|e| format!("floor build.rs: {e}"))?;
        let manifest = copy.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        std::fs::write(&manifest, without_build_dependencies(&text))
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        let dependency = format!(
            "access-tokens = {{ path = {copy:?}, default-features = false, features = [\"magpie\"] }}"
        );
        self.app("sdk-floor", "sdk.rs", &dependency)
    }

    /// Generates openapi-generator's Rust client from `openapi/magpie.yaml` (installing the
    /// generator with pip if needed) and writes the app that uses it, and the app that times it
    /// against the SDK (`sdk_dependency`), which reuses `sdk`'s build.
    fn peer(&self, sdk_dependency: &str, sdk: &App) -> Result<(App, App), String> {
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
    fn reusing(self, other: &App) -> App {
        App { target: other.target.clone(), ..self }
    }

    /// Builds from an empty target directory.
    fn cold_build(&self) -> Result<Duration, String> {
        let _ = std::fs::remove_dir_all(&self.target);
        self.build()
    }

    /// Writes the app's manifest, unless the folder already has it (which would not change
    /// what is built, but would make cargo look again).
    fn write_manifest(&self) -> Result<(), String> {
        let path = self.dir.join("Cargo.toml");
        if std::fs::read_to_string(&path).is_ok_and(|written| written == self.manifest) {
            return Ok(());
        }
        std::fs::write(&path, &self.manifest).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `cargo build --release`, timed.
    fn build(&self) -> Result<Duration, String> {
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
    fn pair_binary(&self, section: &str, rows: &mut Vec<Value>) -> Option<PathBuf> {
        match self.build() {
            Ok(_) => Some(self.binary()),
            Err(reason) => {
                let case = format!("per call, the two clients in one app ({})", self.name);
                rows.push(skipped_row(section, &case, &format!("it did not build: {reason}")));
                None
            }
        }
    }

    /// Marks the app's source as changed, as an edit would.
    fn touch_source(&self) -> Result<(), String> {
        let source = std::fs::File::options().append(true).open(&self.source);
        source
            .and_then(|file| file.set_modified(std::time::SystemTime::now()))
            .map_err(|e| format!("{}: {e}", self.source.display()))
    }

    fn binary(&self) -> PathBuf {
        self.target.join("release").join(&self.name)
    }
}

/// Waits until what earlier builds wrote is on disk, so that a timed build does not share the
/// machine with its write-back: a cold build here leaves up to 230 MB to write over the next
/// 20-30 s, and rebuilds timed meanwhile read about 10% slower (4.70 s against 4.08-4.34 s
/// after `sync`, the same edit).
fn settle() {
    let _ = Command::new("sync").status();
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

#[cfg(test)]
mod tests {
    use super::{
        APP_TOKIO_FEATURES, Apps, DocumentEdit, Options, PACKAGES, with_version_marked_before,
        without_build_dependencies,
    };

    #[test]
    fn document_edits_change_one_summary_and_are_undone() {
        let root = std::env::temp_dir().join(format!("bench-edit-{}", std::process::id()));
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        let path = root.join("openapi/magpie.yaml");
        let original = "a: 1\n      summary: List your own access tokens\nb: 2\n";
        std::fs::write(&path, original).unwrap();
        let read = || std::fs::read_to_string(&path).unwrap();
        let edit = DocumentEdit::new(&root).unwrap();
        edit.make(0).unwrap();
        assert_eq!(read(), "a: 1\n      summary: List the caller's access tokens\nb: 2\n");
        edit.make(1).unwrap();
        assert_eq!(read(), original);
        edit.make(2).unwrap();
        edit.undo().unwrap();
        assert_eq!(read(), original);
        std::fs::write(&path, "a: 1\n").unwrap();
        let error = DocumentEdit::new(&root).err().unwrap();
        assert!(error.ends_with("no `summary: List your own access tokens` to edit"), "{error}");
        std::fs::remove_dir_all(&root).unwrap();
    }

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

    #[test]
    fn the_harness_has_the_apps_tokio_features() {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/benches/Cargo.toml");
        let manifest = std::fs::read_to_string(manifest).unwrap();
        let tokio = format!("tokio = {{ workspace = true, features = {APP_TOKIO_FEATURES} }}\n");
        assert!(manifest.contains(&tokio), "{manifest}");
    }

    #[test]
    fn the_floor_has_no_build_dependencies_and_keeps_the_rest() {
        let manifest = "[package]\nname = \"a\"\n\n[dependencies.serde]\nversion = \"1\"\n\n\
                        [build-dependencies.progenitor]\nversion = \"=0.15.1\"\n\n\
                        [build-dependencies.syn]\nversion = \"3\"\n\n[features]\nmagpie = []\n";
        assert_eq!(
            without_build_dependencies(manifest),
            "[package]\nname = \"a\"\n\n[dependencies.serde]\nversion = \"1\"\n\n\
             [features]\nmagpie = []\n"
        );
    }

    #[test]
    fn options_name_the_command_that_ran() {
        let parsed = |args: &[&str]| Options::parse(args).map(|options| options.command());
        assert_eq!(parsed(&[]).as_deref(), Some("cargo xtask bench"));
        assert_eq!(
            parsed(&["--cold-builds", "--before", "e23cbb2", "--tls-providers", "--rebuilds"])
                .as_deref(),
            Some("cargo xtask bench --rebuilds --tls-providers --before e23cbb2 --cold-builds")
        );
        assert_eq!(parsed(&["--before"]), None, "a revision is required");
        assert_eq!(parsed(&["--tls"]), None);
    }
}
