//! The benchmark harness runs end to end, for a few iterations, so that it cannot rot. Its
//! timings are reported by `cargo xtask bench`, never asserted.

use access_tokens_tests::bench::{self, Settings};

#[test]
fn the_benchmark_harness_runs_every_section() {
    let rows = bench::run(Settings::SMOKE);
    let sections: Vec<&str> = rows.iter().map(|row| row.section).collect();
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
    let report = bench::markdown(&rows, "Machine: test.", &[("5. a peer generator", "not here")]);
    assert!(report.starts_with("# Benchmarks\n\nWritten by `cargo xtask bench`"));
    assert_eq!(report.matches("\n| ").count(), rows.len() + 1, "a header and a line per row");
}
