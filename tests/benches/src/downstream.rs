//! The downstream apps that time two clients against each other (`downstream/calls.rs`), run
//! and read into rows.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::report::Row;
use crate::sections::{median, median_p99};

/// A downstream app that times two clients, and how the report names them.
#[derive(Debug)]
pub struct AppPair<'a> {
    /// The report section of the rows.
    pub section: &'a str,
    /// "baseline vs subject", ending each row's case.
    pub versus: &'a str,
    /// The app's binary (see `downstream/calls.rs`).
    pub app: &'a Path,
    /// The highest subject/baseline ratio that meets the goal, if there is one.
    pub goal: Option<f64>,
}

/// Per-call comparison of the two clients of a downstream app, which makes `calls` Magpie list
/// and create calls with each against the app's in-memory server, the clients taking turns in
/// rounds. The ratio is the median of the rounds' ratios.
pub fn downstream_per_call(pair: &AppPair<'_>, calls: usize) -> Vec<Row> {
    let measured = run_downstream_app(pair.app, calls);
    ["list", "create"]
        .into_iter()
        .map(|op| {
            let mut row = Row {
                section: pair.section.to_owned(),
                case: format!("magpie {op}, per call: {}", pair.versus),
                baseline: String::new(),
                subject: String::new(),
                ratio: None,
                goal: pair.goal.map_or("report".to_owned(), |goal| format!("≤ {goal:.2}")),
                met: None,
            };
            let rounds = match &measured {
                Ok(measured) => measured.get(op).filter(|rounds| {
                    !rounds.is_empty() && rounds.iter().flatten().all(|side| !side.is_empty())
                }),
                Err(reason) => {
                    row.baseline = format!("failed: {reason}");
                    return row;
                }
            };
            let Some(rounds) = rounds else {
                row.baseline = format!("failed: {} timed no {op} calls", pair.app.display());
                return row;
            };
            let side = |side: usize| {
                let samples = rounds.iter().flat_map(|round| round[side].iter());
                median_p99(samples.map(|&us| Duration::from_secs_f64(us / 1e6)).collect())
            };
            let ((baseline, baseline_p99), (subject, subject_p99)) = (side(0), side(1));
            row.baseline = format!("{baseline:.1} µs (p99 {baseline_p99:.1})");
            row.subject = format!("{subject:.1} µs (p99 {subject_p99:.1})");
            let ratio = median(
                rounds
                    .iter()
                    .map(|[baseline, subject]| median(subject.clone()) / median(baseline.clone()))
                    .collect(),
            );
            row.ratio = Some(ratio);
            row.met = pair.goal.map(|goal| ratio <= goal);
            row
        })
        .collect()
}

/// Each kind of call's rounds, each round's samples in µs as `[baseline, subject]`.
pub(crate) type Rounds = HashMap<String, Vec<[Vec<f64>; 2]>>;

/// Runs a downstream app and reads the rounds it prints (see `downstream/calls.rs`).
pub(crate) fn run_downstream_app(app: &Path, calls: usize) -> Result<Rounds, String> {
    let output = std::process::Command::new(app)
        .arg(calls.to_string())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", app.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{} failed: {}", app.display(), stderr.trim()));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("{} printed no rounds: {e}", app.display()))
}
