//! `cargo xtask bench --stores`: sections 7 and 9, whose rows it prints as JSON on stdout for
//! xtask to hand to the report with its own.

use access_tokens_bench::{self as bench, MemoryProbe, Settings};
use peak_alloc::PeakAlloc;

/// Counts allocations, for the sections' peak memory.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

fn main() {
    let rows =
        bench::run_stores(Settings { memory: Some(MemoryProbe::PEAK_ALLOC), ..Settings::FULL });
    println!("{}", serde_json::to_string(&rows).expect("rows as JSON"));
}
