//! The timing loop every downstream app shares, so that each client is called the same way:
//! `CALLS` list calls, then as many create calls, each after a tenth as many untimed ones, all
//! sequential on one keep-alive connection. Prints the samples in µs as one JSON object.
//!
//! usage: <app> BASE_URL CALLS (without arguments the app only proves it builds)

use std::time::Instant;

/// The base URL and call count from the command line, if given.
pub fn arguments() -> Option<(String, usize)> {
    let mut args = std::env::args().skip(1);
    let url = args.next()?;
    let calls = args.next()?.parse().expect("CALLS is a number");
    Some((url, calls))
}

/// Times `calls` list calls and `calls` create calls and prints them.
pub async fn measure<L, C>(calls: usize, mut list: impl FnMut() -> L, mut create: impl FnMut() -> C)
where
    L: Future<Output = ()>,
    C: Future<Output = ()>,
{
    let samples = |name: &str, times: Vec<f64>| format!("\"{name}\": {times:?}");
    let mut list_times = Vec::with_capacity(calls);
    for call in 0..calls + calls / 10 {
        let started = Instant::now();
        list().await;
        if call >= calls / 10 {
            list_times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    let mut create_times = Vec::with_capacity(calls);
    for call in 0..calls + calls / 10 {
        let started = Instant::now();
        create().await;
        if call >= calls / 10 {
            create_times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    println!("{{{}, {}}}", samples("list", list_times), samples("create", create_times));
}
