//! `cargo xtask bench`: what building on the SDK costs a downstream app, measured here, then the
//! runtime benchmark (`tests/benches/`, the crate access-tokens-bench), which writes
//! `BENCHMARKS.md` with both.
//!
//! The downstream apps live in `tests/benches/downstream/`; each is built in its own folder and
//! target directory under `target/bench-apps/`, from cold, against the SDK as `cargo package`
//! ships it (so its build script generates the clients just as on a user's machine, or, without
//! the `codegen` feature, copies the snapshot). This file holds the measurements, section by
//! section; `options.rs` what a run adds, `apps.rs` and `package.rs` the builds, and
//! `rebuilds.rs` the rebuilds after an edit. The rows are the report's own type
//! (`access-tokens-bench-report`), handed to the harness as they are.

mod apps;
mod options;
mod package;
mod rebuilds;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use access_tokens_bench_report::{DownstreamApps, EarlierSdk, Measured, Row, Seconds};

use apps::{App, Apps, REQWEST_APP_DEPENDENCIES, RING, cargo, settle, succeed};
pub use options::Options;
use package::package_sdk;
use rebuilds::{
    document_edit_rebuilds, median_of_three, middle, paired_document_edit_rebuilds,
    workspace_edit_rebuild,
};

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
    if options.stores {
        run.optional(|run| run.stores(workspace))?;
    }

    let measured = Measured {
        rows: run.rows,
        not_measured: options.not_measured(),
        apps: DownstreamApps { sdk_vs_sdk, peer_vs_sdk, before_vs_now: before },
        command: options.command(),
        seconds: Seconds {
            so_far: started.elapsed().as_secs_f64(),
            options: run.optional.as_secs_f64(),
        },
    };
    let measured_path = scratch.join("measured.json");
    let json = serde_json::to_string(&measured).map_err(|e| format!("measurements: {e}"))?;
    std::fs::write(&measured_path, json)
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
    /// The SDK dependency of the Magpie-only apps, with build-time generation (`codegen`).
    magpie_only: String,
    /// The tiny app on the SDK, Magpie only, with build-time generation.
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
    rows: Vec<Row>,
    /// Time spent on what the options add, so that the report can tell a default run's time.
    optional: Duration,
}

impl Run {
    /// Section "Build cost": the tiny app's cold build on the SDK and on reqwest alone, its
    /// no-op rebuild, and its rebuild after a document edit.
    fn build_cost(workspace: &Path, scratch: &Path) -> Result<Self, String> {
        let apps = Apps { workspace: workspace.to_owned(), scratch: scratch.to_owned() };
        let sdk_package = package_sdk(workspace, scratch)?;
        // The app talks to Magpie only, so it turns the other vendors off, as the README advises,
        // and keeps build-time generation on.
        let magpie_only = sdk_dependency(&sdk_package, &["codegen", "magpie"]);
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
        rows.push(Row::compared(
            BUILD_COST,
            &format!(
                "cold `cargo build --release` of a tiny app: reqwest alone (rustls + ring) vs {SDK}"
            ),
            &ring_cold,
            &Ok(sdk_cold),
        ));
        let no_op = sdk.build()?;
        rows.push(Row::time(
            BUILD_COST,
            "no-op rebuild of the access-tokens app",
            no_op,
            Some(1.0),
        ));
        // Each rebuild is the median of three: one alone read 4.5-6.0 s here for the same edit.
        rows.push(Row::time(
            BUILD_COST,
            "release rebuild of the app after editing openapi/magpie.yaml",
            document_edit_rebuilds(&sdk_package, || sdk.build())?,
            Some(5.0),
        ));
        let all_vendors =
            apps.app("sdk", "sdk.rs", &format!("access-tokens = {{ path = {sdk_package:?} }}"))?;
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

    /// Sections 7 and 9 (`--stores`): their binary, built in the SDK app's target directory
    /// after the default harness (its crates differ from the apps' in features, so this
    /// compiles Tokio, hyper and reqwest again, and SQLite), run, and its rows kept.
    fn stores(&mut self, workspace: &Path) -> Result<(), String> {
        let started = Instant::now();
        let binary = "access-tokens-bench-stores";
        succeed(
            cargo()
                .current_dir(workspace)
                .args([
                    "build",
                    "--release",
                    "--quiet",
                    "-p",
                    "access-tokens-bench",
                    "--features",
                    "stores",
                    "--bin",
                    binary,
                    "--target-dir",
                ])
                .arg(&self.sdk.target),
        )
        .map_err(|e| format!("the stores' harness did not build: {e}"))?;
        eprintln!("built the stores' harness in {:.2} s", started.elapsed().as_secs_f64());
        let output = Command::new(self.sdk.target.join("release").join(binary))
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {binary}: {e}"))?;
        if !output.status.success() {
            return Err(format!("{binary} failed (above)"));
        }
        let rows: Vec<Row> = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("{binary} printed no rows: {e}"))?;
        self.rows.extend(rows);
        Ok(())
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
            self.rows.push(Row::compared(
                "TLS provider",
                &case,
                &self.ring_cold,
                &app.cold_build(),
            ));
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
                self.rows.push(Row::compared(
                    section,
                    &format!(
                        "cold `cargo build --release` of the tiny app: openapi-generator's client \
                         vs {SDK} (both on rustls + ring)"
                    ),
                    &Ok(peer_cold),
                    &Ok(self.sdk_cold),
                ));
                peer_vs_sdk.pair_binary(section, &mut self.rows)
            }
            Err(reason) => {
                self.rows.push(Row::skipped(section, "openapi-generator's Rust client", &reason));
                None
            }
        }
    }

    /// Section "Before/after" (`--before REV`): the SDK at `revision` built cold, rebuilt after
    /// a document edit and called, each next to today's.
    fn before_after(&mut self, revision: &str) -> Option<EarlierSdk> {
        let section = "Before/after";
        let app = self.apps.before(revision, &self.magpie_only, &self.sdk);
        let cold = app.as_ref().map_err(Clone::clone).and_then(|earlier| earlier.app.cold_build());
        let case = |at: &str| {
            format!("cold `cargo build --release` of the tiny app: access-tokens at {at} vs {SDK}")
        };
        let (earlier, cold) = match (app, cold) {
            (Ok(earlier), Ok(cold)) => (earlier, cold),
            (Err(reason), _) | (_, Err(reason)) => {
                self.rows.push(Row::compared(
                    section,
                    &case(revision),
                    &Err(reason),
                    &Ok(self.sdk_cold),
                ));
                return None;
            }
        };
        let at = format!("{} {}", earlier.commit, earlier.features);
        self.rows.push(Row::compared(section, &case(&at), &Ok(cold), &Ok(self.sdk_cold)));
        self.earlier = Some((earlier.commit.clone(), earlier.app.clone()));
        let binary = earlier.before_vs_now.pair_binary(section, &mut self.rows);
        let rebuilds = paired_document_edit_rebuilds([
            (&earlier.package, &earlier.all_vendors),
            (&self.sdk_package, &self.all_vendors),
        ]);
        let side = |side: usize| rebuilds.clone().map(|times| times[side]);
        self.rows.push(Row::compared(
            section,
            &format!(
                "release rebuild of the app after editing openapi/magpie.yaml, with all four \
                 vendors, in turns: access-tokens at {} vs now",
                earlier.commit
            ),
            &side(0),
            &side(1),
        ));
        binary.map(|binary| EarlierSdk { revision: earlier.commit, binary })
    }

    /// Section "Cold builds" (`--cold-builds`): each app built cold three times, in turns
    /// (reqwest alone, the SDK with build-time generation, the SDK without it, the peer's
    /// client, the SDK at `--before`'s revision; then again), so that the machine's drift falls
    /// on all alike, and each side's median. Each build has a target directory of its own, so
    /// that the apps that reuse the SDK app's build keep theirs.
    fn cold_builds(&mut self) -> Result<(), String> {
        let section = "Cold builds, median of 3 in turns";
        let without_codegen = sdk_dependency(&self.sdk_package, &["magpie"]);
        let without_codegen = self.apps.app("sdk-without-codegen", "sdk.rs", &without_codegen)?;
        let mut sides: Vec<(String, App)> = vec![
            ("reqwest alone (rustls + ring)".into(), self.reqwest_ring.clone()),
            (SDK.into(), self.sdk.clone()),
            (SDK_WITHOUT_CODEGEN.into(), without_codegen),
        ];
        // Each row: baseline, subject (by their places in `sides`), goal.
        let mut rows = vec![(0, 2, Some(1.10)), (0, 1, None), (2, 1, None)];
        if let Some(peer) = &self.peer {
            rows.extend([(sides.len(), 2, Some(1.0)), (sides.len(), 1, None)]);
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
        for (baseline, subject, goal) in rows {
            let case = format!(
                "cold `cargo build --release` of the tiny app: {} vs {}",
                sides[baseline].0, sides[subject].0
            );
            let row = Row::compared(section, &case, &Ok(medians[baseline]), &Ok(medians[subject]));
            self.rows.push(match goal {
                Some(most) => row.at_most(most),
                None => row,
            });
        }
        // The tool, once: it is no tiny app, and takes minutes.
        settle();
        let started = Instant::now();
        succeed(
            cargo()
                .args(["build", "--release", "--quiet", "--locked", "-p", "access-tokens-cli"])
                .arg("--target-dir")
                .arg(cold.join("tool"))
                .current_dir(&self.apps.workspace),
        )?;
        let case = "cold `cargo build --release`: the tiny app on reqwest alone (median) vs the \
                    tool, `access-tokens-cli` (its Vault and command sinks and its demo in), once";
        self.rows.push(Row::compared(section, case, &Ok(medians[0]), &Ok(started.elapsed())));
        Ok(())
    }
}

/// The report's section of the default build measurements.
const BUILD_COST: &str = "Build cost";

/// How the report names the SDK app, with build-time generation (the default) and without.
const SDK: &str = "access-tokens (features `codegen`, `magpie`: generation at build time)";
const SDK_WITHOUT_CODEGEN: &str =
    "access-tokens without `codegen` (feature `magpie`: the snapshot)";

/// The dependency on the packaged SDK at `package`, with no other `features` than these.
fn sdk_dependency(package: &Path, features: &[&str]) -> String {
    let features: Vec<String> = features.iter().map(|feature| format!("{feature:?}")).collect();
    format!(
        "access-tokens = {{ path = {package:?}, default-features = false, features = [{}] }}",
        features.join(", ")
    )
}

/// The rows of `--rebuilds`, which explain the default's document-edit rebuild: what any edit of
/// the app costs (its own compile and link, the floor under every rebuild), the same document
/// edit with all four vendors, and the loop of someone editing a document here.
fn rebuild_details(
    rows: &mut Vec<Row>,
    workspace: &Path,
    sdk: &App,
    sdk_package: &Path,
    all_vendors: &App,
) -> Result<(), String> {
    let own_edit = median_of_three(|_| {
        sdk.touch_source()?;
        sdk.build()
    })?;
    let case = "release rebuild of the app after editing its own source";
    rows.push(Row::time(BUILD_COST, case, own_edit, None));
    all_vendors.build()?;
    rows.push(Row::time(
        BUILD_COST,
        "release rebuild of the app after editing openapi/magpie.yaml, with all four vendors \
         (default features)",
        document_edit_rebuilds(sdk_package, || all_vendors.build())?,
        Some(5.0),
    ));
    rows.push(Row::time(
        BUILD_COST,
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
