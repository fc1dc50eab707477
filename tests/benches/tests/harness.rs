//! The benchmark harness runs end to end, for a few iterations, so that it cannot rot. Its
//! timings are reported by `cargo xtask bench`, never asserted.

use std::path::Path;
use std::time::Duration;

use access_tokens_bench::{self as bench, AppPair, Seconds, Settings};

#[test]
fn the_benchmark_harness_runs_every_section() {
    let rows = bench::run(Settings::SMOKE);
    let sections: Vec<&str> = rows.iter().map(|row| row.section.as_str()).collect();
    assert_eq!(
        sections.iter().filter(|s| s.starts_with("1.")).count(),
        8,
        "list and create per vendor"
    );
    assert_eq!(sections.iter().filter(|s| s.starts_with("2.")).count(), 4);
    assert_eq!(sections.iter().filter(|s| s.starts_with("3.")).count(), 4);
    assert!(
        rows.iter()
            .filter(|row| !row.section.starts_with('4'))
            .all(|row| row.ratio.is_some_and(f64::is_finite))
    );
    let not_measured = [("Build cost".into(), "not here".into())];
    let report = bench::markdown(&rows, "cargo xtask bench", "Machine: test.", &not_measured);
    assert!(report.starts_with("# Benchmarks\n\nWritten by `cargo xtask bench`;"));
    assert_eq!(report.matches("\n| ").count(), rows.len() + 1, "a header and a line per row");
}

/// Section 5's runner on the downstream app that times the SDK against itself (the peer's app
/// needs code that only `cargo xtask bench` generates). `cargo test --workspace` builds the
/// app, an example of this crate.
#[test]
fn downstream_apps_time_their_two_clients_in_turns() {
    let examples = std::env::current_exe().unwrap().parent().unwrap().with_file_name("examples");
    let app = examples.join("downstream_sdk_vs_sdk");
    assert!(app.exists(), "{} is built by `cargo test --workspace`", app.display());
    let pair = AppPair {
        section: "5. a peer generator",
        versus: "one client vs another",
        app: &app,
        goal: Some(1.05),
    };
    let rows = bench::downstream_per_call(&pair, 120);
    let cases: Vec<&str> = rows.iter().map(|row| row.case.as_str()).collect();
    assert_eq!(
        cases,
        [
            "magpie list, per call: one client vs another",
            "magpie create, per call: one client vs another"
        ]
    );
    assert!(rows.iter().all(|row| row.ratio.is_some_and(f64::is_finite)), "{rows:?}");
    assert!(rows.iter().all(|row| row.goal == "≤ 1.05" && row.met.is_some()), "{rows:?}");
    let broken = AppPair { app: Path::new("/nonexistent/app"), ..pair };
    let rows = bench::downstream_per_call(&broken, 1);
    assert!(
        rows.iter().all(|row| row.baseline.starts_with("failed: cannot run /nonexistent/app")
            && row.ratio.is_none()),
        "{rows:?}"
    );
}

/// The 5-minute bound applies to a default run; a run with options is judged on its time less
/// theirs, which the row shows.
#[test]
fn the_whole_run_is_held_to_five_minutes_without_its_options() {
    let seconds = |so_far, options| Seconds { so_far, options };
    let default = bench::whole_run("cargo xtask bench", seconds(250.0, 0.0), secs(20), secs(0));
    assert_eq!(default.case, "the whole run of `cargo xtask bench`");
    assert_eq!((default.sdk.as_str(), default.goal.as_str()), ("270 s", "< 300 s"));
    assert_eq!((default.baseline.as_str(), default.met), ("–", Some(true)));
    let slow = bench::whole_run("cargo xtask bench", seconds(290.0, 0.0), secs(20), secs(0));
    assert_eq!((slow.sdk.as_str(), slow.met), ("310 s", Some(false)));

    let command = "cargo xtask bench --before abc1234";
    let before = bench::whole_run(command, seconds(400.0, 150.0), secs(30), secs(10));
    assert_eq!(
        before.case,
        "`cargo xtask bench` without options: `cargo xtask bench --before abc1234` less what its \
         options took"
    );
    assert_eq!(before.baseline, "430 s, 160 s of it for the options");
    assert_eq!((before.sdk.as_str(), before.met), ("270 s", Some(true)));
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}
