//! The measurements, section by section: per call, under concurrency, decoding a large list,
//! an inventory and its audit, and the seed's Python `requests` snippet; each against a
//! baseline in the same run, the two taking turns.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Settings;
use crate::calls::{Clients, Op, VENDORS, Vendor};
use crate::report::Row;
use crate::server::MemoryServer;

/// How long `call` takes.
pub(crate) async fn timed(call: impl Future<Output = ()>) -> Duration {
    let started = Instant::now();
    call.await;
    started.elapsed()
}

/// The middle value (the upper one of an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median and 99th percentile of `samples`, in µs.
pub(crate) fn median_p99(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

pub(crate) async fn per_call(server: &MemoryServer, settings: Settings) -> Vec<Row> {
    let clients = Clients::new(server);
    // Blocks of calls alternate, so that drift in the machine hits both sides alike while each
    // block keeps its path hot. Short blocks: with 25 ms ones, a VM's stolen time landed on
    // one side's blocks often enough to move a median by 10-25%.
    let per_round = settings.calls.clamp(1, 50);
    let rounds = settings.calls.div_ceil(per_round);
    // Every path once before any is timed, so that the first case does not pay for the
    // machine waking up (it read 5-8% slower than the rest without this).
    for vendor in VENDORS {
        for op in [Op::List, Op::Create] {
            for _ in 0..per_round {
                clients.hand(vendor, op).await;
                clients.sdk(vendor, op).await;
            }
        }
    }
    let mut rows = Vec::new();
    for vendor in VENDORS {
        for op in [Op::List, Op::Create] {
            let (mut hand, mut sdk, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            // The first round warms connections, caches and the allocator and is not recorded.
            for round in 0..=rounds {
                let mut blocks = [Vec::new(), Vec::new()];
                for (sdk_side, block) in [false, true].into_iter().zip(&mut blocks) {
                    for _ in 0..per_round {
                        block.push(timed(clients.call(sdk_side, vendor, op)).await);
                    }
                }
                if round > 0 {
                    let [hand_block, sdk_block] = blocks;
                    ratios.push(median_p99(sdk_block.clone()).0 / median_p99(hand_block.clone()).0);
                    hand.extend(hand_block);
                    sdk.extend(sdk_block);
                }
            }
            let (hand_median, hand_p99) = median_p99(hand);
            let (sdk_median, sdk_p99) = median_p99(sdk);
            let ratio = median(ratios);
            rows.push(Row {
                section: "1. per call, sequential, keep-alive".to_owned(),
                case: format!(
                    "{} {}",
                    vendor.name(),
                    if op == Op::List { "list" } else { "create" }
                ),
                baseline: format!("{hand_median:.1} µs (p99 {hand_p99:.1})"),
                subject: format!("{sdk_median:.1} µs (p99 {sdk_p99:.1})"),
                ratio: Some(ratio),
                goal: "≤ 1.05".to_owned(),
                met: Some(ratio <= 1.05),
            });
        }
    }
    rows
}

pub(crate) async fn concurrency(server: &MemoryServer, settings: Settings) -> Vec<Row> {
    /// Rounds per side. Short rounds in alternation, so that a burst of time stolen from the VM
    /// spoils a round or two rather than one side's total, and the ratio is the median of each
    /// round's pair, so that the machine's drift over the run (up to 2× here) cancels out. With
    /// 20, two runs in three had one vendor below the goal (0.923, 0.946) for calls that are the
    /// same on the wire.
    const ROUNDS: usize = 40;
    let per_round = (settings.concurrent_calls / ROUNDS).max(1);
    let clients = Arc::new(Clients::new(server));
    let mut rows = Vec::new();
    for vendor in VENDORS {
        let mut rounds: HashMap<bool, Vec<Duration>> = HashMap::new();
        // Round 0 opens each side's 64 connections and is not timed.
        for round in 0..=ROUNDS {
            let order = if round % 2 == 0 { [false, true] } else { [true, false] };
            for sdk in order {
                let started = Instant::now();
                let mut in_flight = tokio::task::JoinSet::new();
                for call in 0..per_round {
                    if call >= 64 {
                        in_flight.join_next().await.unwrap().unwrap();
                    }
                    let clients = clients.clone();
                    in_flight.spawn(async move { clients.call(sdk, vendor, Op::List).await });
                }
                while let Some(done) = in_flight.join_next().await {
                    done.unwrap();
                }
                if round > 0 {
                    rounds.entry(sdk).or_default().push(started.elapsed());
                }
            }
        }
        let (hand, sdk) = (&rounds[&false], &rounds[&true]);
        let ratio = median(hand.iter().zip(sdk).map(|(h, s)| h.div_duration_f64(*s)).collect());
        let throughput = |times: &[Duration]| {
            let (median_us, _) = median_p99(times.to_vec());
            per_round as f64 / (median_us / 1e6)
        };
        let (baseline, sdk) = (throughput(hand), throughput(sdk));
        rows.push(Row {
            section: "2. concurrency, 64 in flight".to_owned(),
            case: format!("{} list, {ROUNDS} rounds × {per_round}", vendor.name()),
            baseline: format!("{baseline:.0} calls/s"),
            subject: format!("{sdk:.0} calls/s"),
            ratio: Some(ratio),
            goal: "≥ 0.95".to_owned(),
            met: Some(ratio >= 0.95),
        });
    }
    rows
}

pub(crate) async fn decoding(server: &MemoryServer, settings: Settings) -> Vec<Row> {
    let clients = Clients::new(server);
    let mut rows = Vec::new();
    for vendor in VENDORS {
        let pair = in_turns(settings, |sdk| clients.call(sdk, vendor, Op::List)).await;
        rows.push(
            pair.row(
                "3. decoding a 10,000-token list",
                format!("{} list (peak heap)", vendor.name()),
            ),
        );
    }
    rows
}

/// Section 6: an inventory of the four vendors' 10,000-token lists and its audit, against
/// the same four list calls made bare; both make the four calls concurrently on one thread.
pub(crate) async fn inventory(server: &MemoryServer, settings: Settings) -> Vec<Row> {
    use access_tokens::inventory::{Inventory, Policy};
    let clients = Clients::new(server);
    let sources = clients.sources();
    let policy = Policy::recommended();
    let (sources, policy, clients) = (&sources, &policy, &clients);
    let pair = in_turns(settings, move |audited| async move {
        if audited {
            let inventory = Inventory::collect(sources, 4, |_| {}).await;
            assert!(inventory.failures.is_empty(), "{:?}", inventory.failures);
            drop(inventory.audit(policy, std::time::SystemTime::now()));
        } else {
            let lists = tokio::join!(
                clients.magpie.list_tokens(),
                clients.bamboo.list_tokens(),
                clients.entuity.list_tokens(),
                clients.insight.list_tokens(),
            );
            assert!(lists.0.is_ok() && lists.1.is_ok() && lists.2.is_ok() && lists.3.is_ok());
        }
    })
    .await;
    let mut rows =
        vec![pair.row(
        "6. inventory and audit",
        "4 vendors × 10,000 tokens: the four list calls vs an inventory of them and its audit \
         (peak heap)"
            .to_owned(),
    )];
    // What a scrape of `serve` costs against what its JSON does, on the same inventory.
    let inventory = Inventory::collect(sources, 4, |_| {}).await;
    let audit = inventory.audit(policy, std::time::SystemTime::now());
    let mut health = access_tokens::inventory::Health::new();
    health.record(&inventory, std::time::SystemTime::now());
    let (inventory, audit, health) = (&inventory, &audit, &health);
    let rendered = in_turns(settings, move |metrics| async move {
        if metrics {
            std::hint::black_box(inventory.prometheus(
                audit,
                health,
                &access_tokens::inventory::Seen::new(),
            ));
        } else {
            std::hint::black_box(serde_json::to_vec(inventory).expect("it serializes"));
        }
    })
    .await;
    rows.push(
        rendered
            .row(
                "6. inventory and audit",
                "4 vendors × 10,000 tokens: the inventory as JSON vs its metrics for Prometheus \
                 (peak heap)"
                    .to_owned(),
            )
            .at_most(1.5),
    );
    rows
}

/// Section 8: an inventory of a fleet of 1,000 sources (`fleet_sources`), each answering after 20 ms, at the
/// default concurrency, against the ideal: the sources in waves of that many, each wave 20 ms.
pub(crate) async fn fleet(settings: Settings) -> Row {
    use access_tokens::entuity;
    use access_tokens::inventory::{DEFAULT_CONCURRENCY, Inventory, Source};
    const LATENCY: Duration = Duration::from_millis(20);
    let count = settings.fleet_sources;
    let server = MemoryServer::answering_after(2, LATENCY).await;
    let sources: Vec<Source> = (0..count)
        .map(|n| {
            let client = entuity::Client::builder(server.uri()).basic_auth("admin", "pw").unwrap();
            Source::entuity(format!("entuity {n}"), client)
        })
        .collect();
    let waves = count.div_ceil(DEFAULT_CONCURRENCY) as u32;
    let ideal = LATENCY * waves;
    let rounds = settings.decodes.clamp(1, 5);
    let mut times = Vec::new();
    let mut peak = None;
    for _ in 0..rounds {
        let before = settings.memory.map(|probe| {
            (probe.reset_peak)();
            (probe.current)()
        });
        let started = Instant::now();
        let inventory = Inventory::collect(&sources, DEFAULT_CONCURRENCY, |_| {}).await;
        times.push(started.elapsed());
        assert!(inventory.failures.is_empty(), "{:?}", inventory.failures.first());
        peak = settings
            .memory
            .zip(before)
            .map(|(probe, before)| (probe.peak)().saturating_sub(before));
    }
    let measured = median(times.iter().map(Duration::as_secs_f64).collect());
    let ratio = measured / ideal.as_secs_f64();
    let memory =
        peak.map_or("n/a".to_owned(), |bytes| format!("{:.1} MiB", bytes as f64 / 1_048_576.0));
    Row {
        section: "8. a fleet".to_owned(),
        case: format!(
            "{count} sources answering after 20 ms, {DEFAULT_CONCURRENCY} at a time (the \
             default): the ideal ({waves} waves × 20 ms) vs an inventory (peak heap, {} tokens)",
            2 * count
        ),
        baseline: format!("{:.0} ms", ideal.as_secs_f64() * 1000.0),
        subject: format!("{:.0} ms ({memory})", measured * 1000.0),
        ratio: Some(ratio),
        goal: "≤ 1.20".to_owned(),
        met: Some(ratio <= 1.2),
    }
}

/// The times and peak heaps of a baseline (`false`) and a subject (`true`) run in turns.
pub(crate) struct InTurns {
    times: HashMap<bool, Vec<Duration>>,
    peaks: HashMap<bool, Option<usize>>,
}

/// Runs `call(false)` and `call(true)` once each untimed (to warm the connections and the
/// allocator), then `settings.decodes` times each, alternating which goes first, measuring
/// each run's time and peak heap; the ratio is the median of the rounds' ratios, as in
/// section 2.
pub(crate) async fn in_turns<F: Future<Output = ()>>(
    settings: Settings,
    call: impl Fn(bool) -> F,
) -> InTurns {
    call(false).await;
    call(true).await;
    let mut turns = InTurns { times: HashMap::new(), peaks: HashMap::new() };
    for round in 0..settings.decodes {
        let order = if round % 2 == 0 { [false, true] } else { [true, false] };
        for subject in order {
            let before = settings.memory.map(|probe| {
                (probe.reset_peak)();
                (probe.current)()
            });
            turns.times.entry(subject).or_default().push(timed(call(subject)).await);
            let peak = settings
                .memory
                .zip(before)
                .map(|(probe, before)| (probe.peak)().saturating_sub(before));
            let highest = turns.peaks.entry(subject).or_default();
            *highest = (*highest).max(peak);
        }
    }
    turns
}

impl InTurns {
    /// The report's row, against a goal of at most 10% more time.
    pub(crate) fn row(&self, section: &str, case: String) -> Row {
        let (base, subject) = (&self.times[&false], &self.times[&true]);
        let ratio = median(base.iter().zip(subject).map(|(b, s)| s.div_duration_f64(*b)).collect());
        let shown = |subject: bool| {
            let (median_us, _) = median_p99(self.times[&subject].clone());
            let memory = self.peaks[&subject]
                .map_or("n/a".to_owned(), |bytes| format!("{:.1} MiB", bytes as f64 / 1_048_576.0));
            format!("{:.2} ms ({memory})", median_us / 1000.0)
        };
        Row {
            section: section.to_owned(),
            case,
            baseline: shown(false),
            subject: shown(true),
            ratio: Some(ratio),
            goal: "≤ 1.10".to_owned(),
            met: Some(ratio <= 1.10),
        }
    }
}

pub(crate) async fn python(server: &MemoryServer, settings: Settings) -> Row {
    let mut row = Row {
        section: "4. what users do today".to_owned(),
        case: "magpie list: the seed's Python `requests` snippet vs the SDK".to_owned(),
        baseline: String::new(),
        subject: String::new(),
        ratio: None,
        goal: "≥ 10× faster".to_owned(),
        met: None,
    };
    if settings.python_calls == 0 {
        row.baseline = "skipped (not asked for)".to_owned();
        return row;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/requests_baseline.py");
    let url = format!("{}/api/magpie/access-token", server.uri());
    let ready = python_has_requests() || {
        let installed = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "requests"])
            .status();
        installed.is_ok_and(|s| s.success()) && python_has_requests()
    };
    if !ready {
        row.baseline =
            "skipped: python3 with `requests` is not available and could not be installed"
                .to_owned();
        return row;
    }
    // On a thread of its own: the server it calls runs on this one.
    let calls = settings.python_calls.to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").args([script, &url, &calls]).output()
    })
    .await
    .expect("the script's thread")
    .expect("python3 ran before");
    let Ok(figures) = serde_json::from_slice::<HashMap<String, f64>>(&output.stdout) else {
        row.baseline = format!(
            "skipped: the script failed ({})",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return row;
    };
    let clients = Clients::new(server);
    let mut samples = Vec::new();
    for _ in 0..settings.python_calls {
        samples.push(timed(clients.sdk(Vendor::Magpie, Op::List)).await);
    }
    let sdk = median_p99(samples).0;
    let (plain, session) = (figures["requests_median_us"], figures["session_median_us"]);
    row.baseline = format!("{plain:.0} µs without a Session, {session:.0} µs with one");
    row.subject = format!("{sdk:.1} µs");
    let speedup = session.min(plain) / sdk;
    row.ratio = Some(speedup);
    row.met = Some(speedup >= 10.0);
    row
}

pub(crate) fn python_has_requests() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import requests"])
        .output()
        .is_ok_and(|o| o.status.success())
}
