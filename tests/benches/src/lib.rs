//! The benchmark harness behind `cargo xtask bench`: the SDK against hand-written reqwest code
//! making the same HTTP requests, per call, under concurrency and for large lists, against a
//! loopback server that answers from memory; plus the seed's Python `requests` snippet.
//! Every goal is a ratio against a baseline measured in the same run; nothing here asserts
//! timing.

mod calls;
mod downstream;
mod sections;
mod server;
#[cfg(feature = "stores")]
mod stores;

pub use access_tokens_bench_report as report;
pub use downstream::{AppPair, downstream_per_call};
use report::Row;
use server::MemoryServer;

/// Reads the heap's peak, where the program counts allocations (the bench binaries do).
#[derive(Debug, Clone, Copy)]
pub struct MemoryProbe {
    /// Bytes allocated now.
    pub current: fn() -> usize,
    /// Forgets the peak so far.
    pub reset_peak: fn(),
    /// The most bytes allocated at once since the last reset.
    pub peak: fn() -> usize,
}

impl MemoryProbe {
    /// The probe of a program whose global allocator is `peak_alloc::PeakAlloc` (it counts in
    /// statics of its own, which any value of the type reads).
    pub const PEAK_ALLOC: Self = Self {
        current: || peak_alloc::PeakAlloc.current_usage(),
        reset_peak: || peak_alloc::PeakAlloc.reset_peak_usage(),
        peak: || peak_alloc::PeakAlloc.peak_usage(),
    };
}

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Sequential calls per case and side, after 50 for warm-up.
    pub calls: usize,
    /// Calls per side in the concurrency section, 64 in flight, in 40 rounds (after an untimed
    /// one).
    pub concurrent_calls: usize,
    /// Decodes of the 10,000-token list per vendor and side.
    pub decodes: usize,
    /// Calls per variant of the Python `requests` baseline (a thousand times slower); 0 skips it.
    pub python_calls: usize,
    /// Sources in section 8's fleet.
    pub fleet_sources: usize,
    /// How to measure peak memory, if the program can.
    pub memory: Option<MemoryProbe>,
}

impl Settings {
    /// The full run of `cargo xtask bench`.
    pub const FULL: Self = Self {
        calls: 10_000,
        concurrent_calls: 40_000,
        decodes: 25,
        python_calls: 2000,
        fleet_sources: 1000,
        memory: None,
    };
    /// A few iterations, so that a test can keep the harness from rotting.
    pub const SMOKE: Self = Self {
        calls: 5,
        concurrent_calls: 128,
        decodes: 1,
        python_calls: 0,
        fleet_sources: 40,
        memory: None,
    };
}

/// Runs every section but the `stores` ones and returns the rows, in order. Sequential sections run on a
/// current-thread runtime (multi-threaded ones add noise to single calls), the concurrency
/// section on two worker threads; each server runs on the runtime of its clients.
pub fn run(settings: Settings) -> Vec<Row> {
    // Each server runs on the runtime whose clients call it: one thread hands a request to the
    // server and the server's answer back without waking another (on a VM, a cross-thread
    // wake-up cost 60-70 µs a call, three times the rest, and varied from run to run).
    let sequential = runtime(0);
    let small = sequential.block_on(MemoryServer::start(2));
    let large = sequential.block_on(MemoryServer::start(10_000));
    let mut rows = sequential.block_on(sections::per_call(&small, settings));
    rows.extend(runtime(2).block_on(async {
        let server = MemoryServer::start(2).await;
        sections::concurrency(&server, settings).await
    }));
    rows.extend(sequential.block_on(sections::decoding(&large, settings)));
    rows.extend(sequential.block_on(sections::inventory(&large, settings)));
    rows.push(sequential.block_on(sections::python(&small, settings)));
    rows.push(sequential.block_on(sections::fleet(settings)));
    rows
}

/// Runs sections 7 and 9 (feature `stores`), as `run` runs the others.
#[cfg(feature = "stores")]
pub fn run_stores(settings: Settings) -> Vec<Row> {
    let sequential = runtime(0);
    let large = sequential.block_on(MemoryServer::start(10_000));
    let mut rows = vec![runtime(2).block_on(stores::rotation(settings))];
    rows.extend(sequential.block_on(stores::history(&large, settings)));
    rows
}

/// A Tokio runtime on the current thread (`workers` = 0) or on `workers` threads.
fn runtime(workers: usize) -> tokio::runtime::Runtime {
    let mut builder = match workers {
        0 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
    };
    builder.enable_all().build().expect("a Tokio runtime")
}
