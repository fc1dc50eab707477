//! The benchmark harness runs end to end, for a few iterations, so that it cannot rot. Its
//! timings are reported by `cargo xtask bench`, never asserted.

use std::path::Path;

use access_tokens_bench::{self as bench, AppPair, Settings};

#[test]
fn the_benchmark_harness_runs_every_section() {
    let mut rows = bench::run(Settings::SMOKE);
    rows.extend(bench::run_stores(Settings::SMOKE));
    let sections: Vec<&str> = rows.iter().map(|row| row.section.as_str()).collect();
    assert_eq!(
        sections.iter().filter(|s| s.starts_with("1.")).count(),
        8,
        "list and create per vendor"
    );
    assert_eq!(sections.iter().filter(|s| s.starts_with("2.")).count(), 4);
    assert_eq!(sections.iter().filter(|s| s.starts_with("3.")).count(), 4);
    assert_eq!(sections.iter().filter(|s| s.starts_with("6.")).count(), 2, "JSON and metrics");
    assert_eq!(sections.iter().filter(|s| s.starts_with("7.")).count(), 1, "a rotation");
    assert_eq!(sections.iter().filter(|s| s.starts_with("8.")).count(), 1, "a fleet");
    assert_eq!(sections.iter().filter(|s| s.starts_with("9.")).count(), 2, "the history");
    // Section 4 needs Python, section 7 `bao`: without them, their rows say they were skipped.
    assert!(
        rows.iter()
            .filter(|row| !row.section.starts_with('4') && !row.baseline.starts_with("skipped"))
            .filter(|row| row.goal != "report")
            .all(|row| row.ratio.is_some_and(f64::is_finite))
    );
    let not_measured = [("Build cost".into(), "not here".into())];
    let report =
        bench::report::markdown(&rows, "cargo xtask bench", "Machine: test.", &not_measured);
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
