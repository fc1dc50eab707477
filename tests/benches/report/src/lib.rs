//! The benchmark report: its rows, what `cargo xtask bench` measures before the harness runs
//! and hands it ([`Measured`], one typed value both programs share), and BENCHMARKS.md
//! ([`markdown`]).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Which part of the benchmark.
    pub section: String,
    /// What was measured: "baseline vs subject", or the subject alone.
    pub case: String,
    /// The baseline's figure, e.g. a median in µs, or why it is missing.
    pub baseline: String,
    /// The subject's figure (the SDK's, in sections 1-3).
    pub subject: String,
    /// Subject over baseline (or the baseline over the subject, for speed-ups), when both ran.
    pub ratio: Option<f64>,
    /// The goal, as text, e.g. `≤ 1.05`, or `report`.
    pub goal: String,
    /// Whether the ratio, or the figure, meets the goal; `None` where there is none.
    pub met: Option<bool>,
}

impl Row {
    /// Two measurements, either of which may have failed (with the reason), the ratio subject
    /// over baseline, to report.
    pub fn compared(
        section: &str,
        case: &str,
        baseline: &Result<Duration, String>,
        subject: &Result<Duration, String>,
    ) -> Self {
        let ratio = match (baseline, subject) {
            (Ok(baseline), Ok(subject)) => Some(subject.as_secs_f64() / baseline.as_secs_f64()),
            _ => None,
        };
        Self {
            section: section.to_owned(),
            case: case.to_owned(),
            baseline: seconds_or_why(baseline),
            subject: seconds_or_why(subject),
            ratio,
            goal: "report".to_owned(),
            met: None,
        }
    }

    /// This row with the goal that the ratio is at most `most`.
    pub fn at_most(mut self, most: f64) -> Self {
        self.goal = format!("≤ {most:.2}");
        self.met = self.ratio.map(|ratio| ratio <= most);
        self
    }

    /// One time in `section`, under `goal_seconds` if it has one.
    pub fn time(section: &str, case: &str, time: Duration, goal_seconds: Option<f64>) -> Self {
        Self {
            section: section.to_owned(),
            case: case.to_owned(),
            baseline: "–".to_owned(),
            subject: seconds(time),
            ratio: None,
            goal: goal_seconds.map_or("report".to_owned(), |goal| format!("< {goal} s")),
            met: goal_seconds.map(|goal| time.as_secs_f64() < goal),
        }
    }

    /// A case that was not measured, and why.
    pub fn skipped(section: &str, case: &str, reason: &str) -> Self {
        Self {
            section: section.to_owned(),
            case: case.to_owned(),
            baseline: format!("skipped: {reason}"),
            subject: String::new(),
            ratio: None,
            goal: "report".to_owned(),
            met: None,
        }
    }
}

/// Seconds with two decimals, as every build time is shown.
pub fn seconds(time: Duration) -> String {
    format!("{:.2} s", time.as_secs_f64())
}

fn seconds_or_why(time: &Result<Duration, String>) -> String {
    match time {
        Ok(time) => seconds(*time),
        Err(reason) => format!("failed: {reason}"),
    }
}

/// What `cargo xtask bench` measured before running the harness: the build-cost rows, and the
/// downstream apps it built (`tests/benches/downstream/`) for the harness to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The rows, ready for the report.
    pub rows: Vec<Row>,
    /// What was left out: the section, and the option that measures it.
    pub not_measured: Vec<(String, String)>,
    /// The built apps.
    pub apps: DownstreamApps,
    /// The command line that measured them, for the report.
    pub command: String,
    /// How long it took.
    pub seconds: Seconds,
}

/// How long `cargo xtask bench` took before running the harness.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Seconds {
    /// From its start until it ran the harness.
    pub so_far: f64,
    /// Of which on what its options add (`--rebuilds`, `--tls-providers`, `--before`, ...).
    pub options: f64,
}

/// Release binaries of the downstream apps that time two clients against each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownstreamApps {
    /// Two clients of the SDK, the noise floor of the others.
    pub sdk_vs_sdk: Option<PathBuf>,
    /// openapi-generator's client and the SDK, when the generator could be installed.
    pub peer_vs_sdk: Option<PathBuf>,
    /// The SDK at an earlier revision and today's, when asked for (`--before`).
    pub before_vs_now: Option<EarlierSdk>,
}

/// The app on the SDK at an earlier git revision and on today's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlierSdk {
    /// The revision's short commit id.
    pub revision: String,
    /// The app's release binary.
    pub binary: PathBuf,
}

/// The row of the whole `cargo xtask bench` run against its bound of 5 minutes: `seconds` before
/// the harness, then `harness` in it, of which `harness_options` on what options added. With
/// options, the goal applies to the run less what they took.
pub fn whole_run(
    command: &str,
    seconds: Seconds,
    harness: Duration,
    harness_options: Duration,
) -> Row {
    let total = seconds.so_far + harness.as_secs_f64();
    let options = seconds.options + harness_options.as_secs_f64();
    let default_run = total - options;
    let (case, baseline) = if command == "cargo xtask bench" {
        ("the whole run of `cargo xtask bench`".to_owned(), "–".to_owned())
    } else {
        (
            format!("`cargo xtask bench` without options: `{command}` less what its options took"),
            format!("{total:.0} s, {options:.0} s of it for the options"),
        )
    };
    Row {
        section: "Bench run".to_owned(),
        case,
        baseline,
        subject: format!("{default_run:.0} s"),
        ratio: None,
        goal: "< 300 s".to_owned(),
        met: Some(default_run < 300.0),
    }
}

/// Orders the rows as the report shows them: the numbered sections, then build cost, the
/// cold builds, TLS, before/after and the run; each section's rows as they came.
pub fn in_report_order(rows: &mut [Row]) {
    rows.sort_by_key(|row| match row.section.as_bytes().first() {
        Some(digit @ b'0'..=b'9') => *digit,
        _ if row.section.starts_with("Build") => b'A',
        _ if row.section.starts_with("Cold") => b'B',
        _ if row.section.starts_with("TLS") => b'C',
        _ if row.section.starts_with("Before") => b'D',
        _ => b'E',
    });
}

/// The report, with what the machine and toolchain were.
pub fn markdown(
    rows: &[Row],
    command: &str,
    machine: &str,
    not_measured: &[(String, String)],
) -> String {
    let mut out = format!("# Benchmarks\n\nWritten by `{command}`; do not edit by hand.\n\n");
    let _ = writeln!(out, "{machine}\n");
    out.push_str(
        "Sections 1-3 compare hand-written reqwest (baseline) with the SDK. Elsewhere a case reads \
         \"baseline vs subject\". The ratio is subject over baseline for times (lower is better) \
         and for throughput (higher is better), and baseline over subject for a speed-up. \
         Where both sides run (sections 1-3, 5, 6 and Before/after) they take turns in short rounds, \
         and the ratio is the median of the rounds' ratios, so that the machine's drift cancels \
         out; it can differ from the ratio of the overall medians shown. Absolute figures \
         (latencies, build times, and so the goals in seconds) follow the machine's load: this \
         VM has run the same work at half the speed on some days. Section 3's baseline, \
         serde_json alone, shows the speed of the run. A cold build is one build, minutes away \
         from the one it is compared with: the same app has built cold in 62-93 s here, so take \
         their ratios as ±15%; in section \"Cold builds, median of 3 in turns\" (`--cold-builds`) \
         each side is instead the median of three cold builds taken in turns with the others.\n\n\
         | section | case | baseline | subject | ratio | goal | met |\n|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let ratio = row.ratio.map_or("–".to_owned(), |r| format!("{r:.3}"));
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio} | {} | {met} |",
            row.section, row.case, row.baseline, row.subject, row.goal
        );
    }
    if !not_measured.is_empty() {
        out.push_str("\n## Not measured in this run\n\n");
        for (what, why) in not_measured {
            let _ = writeln!(out, "- **{what}**: {why}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn measurements_cross_from_xtask_to_the_harness_as_they_were() {
        let measured = Measured {
            rows: vec![
                Row::compared(
                    "Cold builds",
                    "a vs b",
                    &Ok(Duration::from_secs(40)),
                    &Ok(Duration::from_secs(44)),
                )
                .at_most(1.10),
                Row::time("Build cost", "no-op rebuild", Duration::from_millis(100), Some(1.0)),
                Row::skipped("5. a peer generator", "openapi-generator", "Java is not installed"),
            ],
            not_measured: vec![("TLS provider".into(), "`--tls-providers`".into())],
            apps: DownstreamApps {
                sdk_vs_sdk: Some("/tmp/a".into()),
                peer_vs_sdk: None,
                before_vs_now: Some(EarlierSdk {
                    revision: "abc1234".into(),
                    binary: "/tmp/b".into(),
                }),
            },
            command: "cargo xtask bench --cold-builds".into(),
            seconds: Seconds { so_far: 12.5, options: 3.0 },
        };
        let json = serde_json::to_string(&measured).unwrap();
        assert_eq!(serde_json::from_str::<Measured>(&json).unwrap(), measured);
        let cold = &measured.rows[0];
        assert_eq!((cold.ratio, cold.met, cold.goal.as_str()), (Some(1.1), Some(true), "≤ 1.10"));
        assert_eq!(measured.rows[1].subject, "0.10 s");
        assert_eq!(measured.rows[1].met, Some(true));
    }

    #[test]
    fn a_failed_side_has_no_ratio_and_says_why() {
        let row = Row::compared("s", "c", &Err("no java".into()), &Ok(Duration::from_secs(1)))
            .at_most(1.0);
        assert_eq!((row.baseline.as_str(), row.ratio, row.met), ("failed: no java", None, None));
    }

    #[test]
    fn rows_are_reported_by_section() {
        let row = |section: &str| Row::skipped(section, "", "");
        let mut rows = [
            row("Bench run"),
            row("TLS provider"),
            row("Cold builds, median of 3"),
            row("6. inventory"),
            row("Build cost"),
            row("1. per call"),
            row("Before/after"),
        ];
        in_report_order(&mut rows);
        let sections: Vec<&str> = rows.iter().map(|row| row.section.as_str()).collect();
        assert_eq!(
            sections,
            [
                "1. per call",
                "6. inventory",
                "Build cost",
                "Cold builds, median of 3",
                "TLS provider",
                "Before/after",
                "Bench run"
            ]
        );
        let table = markdown(&rows, "cargo xtask bench", "Machine: test.", &[]);
        assert!(table.starts_with("# Benchmarks\n\nWritten by `cargo xtask bench`"), "{table}");
        assert_eq!(table.lines().filter(|line| line.starts_with("| ")).count(), 8, "{table}");
    }

    /// The 5-minute bound applies to a default run; a run with options is judged on its time
    /// less theirs, which the row shows.
    #[test]
    fn the_whole_run_is_held_to_five_minutes_without_its_options() {
        let secs = Duration::from_secs;
        let seconds = |so_far, options| Seconds { so_far, options };
        let default = whole_run("cargo xtask bench", seconds(250.0, 0.0), secs(20), secs(0));
        assert_eq!(default.case, "the whole run of `cargo xtask bench`");
        assert_eq!((default.subject.as_str(), default.goal.as_str()), ("270 s", "< 300 s"));
        assert_eq!((default.baseline.as_str(), default.met), ("–", Some(true)));
        let slow = whole_run("cargo xtask bench", seconds(290.0, 0.0), secs(20), secs(0));
        assert_eq!((slow.subject.as_str(), slow.met), ("310 s", Some(false)));

        let command = "cargo xtask bench --before abc1234";
        let before = whole_run(command, seconds(400.0, 150.0), secs(30), secs(10));
        assert_eq!(
            before.case,
            "`cargo xtask bench` without options: `cargo xtask bench --before abc1234` less what \
             its options took"
        );
        assert_eq!(before.baseline, "430 s, 160 s of it for the options");
        assert_eq!((before.subject.as_str(), before.met), ("270 s", Some(true)));
    }
}
