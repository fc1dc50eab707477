//! `cargo xtask bench`: measures the SDK against hand-written reqwest code and Python
//! `requests`, and writes `BENCHMARKS.md` at the workspace root.

use std::process::Command;
use std::time::Instant;

use access_tokens_bench::report::{self, Measured};
use access_tokens_bench::{self as bench, AppPair, MemoryProbe, Settings};
use peak_alloc::PeakAlloc;

/// Counts allocations, for the decoding section's peak memory.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

fn main() {
    let started = Instant::now();
    let mut rows = bench::run(Settings { memory: Some(MemoryProbe::PEAK_ALLOC), ..Settings::FULL });
    let mut not_measured = Vec::new();
    let mut command = "cargo run --release -p access-tokens-bench".to_owned();
    match std::env::var_os("ACCESS_TOKENS_BENCH_MEASURED") {
        Some(path) => {
            let text = std::fs::read(&path).expect("cargo xtask bench wrote its measurements");
            let measured: Measured = serde_json::from_slice(&text).expect("measurements as JSON");
            let apps = &measured.apps;
            if let Some(app) = &apps.sdk_vs_sdk {
                let pair = AppPair {
                    section: "5. a peer generator",
                    versus: "the SDK vs itself (the noise floor: two identical clients)",
                    app,
                    goal: None,
                };
                rows.extend(bench::downstream_per_call(&pair, Settings::FULL.calls));
            }
            if let Some(app) = &apps.peer_vs_sdk {
                let pair = AppPair {
                    section: "5. a peer generator",
                    versus: "openapi-generator's client vs the SDK",
                    app,
                    goal: Some(1.05),
                };
                rows.extend(bench::downstream_per_call(&pair, Settings::FULL.calls));
            }
            let before_started = Instant::now();
            if let Some(before) = &apps.before_vs_now {
                let pair = AppPair {
                    section: "Before/after",
                    versus: &format!("access-tokens at {} vs now", before.revision),
                    app: &before.binary,
                    goal: None,
                };
                rows.extend(bench::downstream_per_call(&pair, Settings::FULL.calls));
            }
            let before = before_started.elapsed();
            rows.extend(measured.rows);
            rows.push(report::whole_run(
                &measured.command,
                measured.seconds,
                started.elapsed(),
                before,
            ));
            not_measured.extend(measured.not_measured);
            command = measured.command;
        }
        None => not_measured.push((
            "Build cost, TLS providers, 5. a peer generator, 7. rotation and 9. history".to_owned(),
            "measured by `cargo xtask bench` only, which builds the downstream apps first (and \
             the last two, with `--stores`, in a binary of their own)"
                .to_owned(),
        )),
    }
    report::in_report_order(&mut rows);
    let machine = machine();
    let report = report::markdown(&rows, &command, &machine, &not_measured);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../BENCHMARKS.md");
    std::fs::write(path, &report).expect("BENCHMARKS.md is writable");
    print!("{report}");
    eprintln!("wrote BENCHMARKS.md in {:.0} s", started.elapsed().as_secs_f64());
}

/// The machine, the date and the toolchain, as one paragraph.
fn machine() -> String {
    let command = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned())
    };
    let field = |file: &str, key: &str| {
        std::fs::read_to_string(file)
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with(key))?
                    .split(':')
                    .nth(1)
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned())
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "Machine: {cores} cores, {}, {} memory. Date: {}. Toolchain: {}. Release profile; \
         loopback HTTP/1.1 keep-alive server answering from memory.",
        field("/proc/cpuinfo", "model name"),
        field("/proc/meminfo", "MemTotal"),
        command("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        command("rustc", &["--version"]),
    )
}
