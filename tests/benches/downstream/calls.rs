//! What every downstream app shares, so that each client is called the same way: a loopback
//! server on the app's own thread that answers Magpie's list and create from memory (so no
//! wake-up of another thread or process is in the timings), and the timing loop of the apps
//! that link two clients. They take turns in rounds in one process, so that a drift of the
//! machine (which here moved a whole process between 35 and 70 µs a call) reaches both alike.
//!
//! usage: <app> CALLS (without an argument the app only proves it builds). Prints, per call
//! kind, each round's samples in µs as `[baseline, subject]`, as one JSON object.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Calls of one side in a round; the side that goes first alternates. Short, as in the SDK's
/// own per-call section: with 25 ms rounds, a VM's stolen time landed on one side's rounds often
/// enough to move a median by 10-25%.
const PER_ROUND: usize = 50;

/// A client's Magpie calls, each decoding its answer as an app would.
pub trait Client {
    fn list(&self) -> impl Future<Output = ()>;
    fn create(&self) -> impl Future<Output = ()>;
}

/// Starts the server, makes both clients for its URL, and times `CALLS` list calls, then as many
/// create calls, of each, on one keep-alive connection per client.
pub fn main<A: Client, B: Client>(
    baseline: impl FnOnce(String) -> A,
    subject: impl FnOnce(String) -> B,
) {
    let Some(calls) = std::env::args().nth(1) else { return };
    let calls: usize = calls.parse().expect("CALLS is a number");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let url = serve().await;
        let (baseline, subject) = (baseline(url.clone()), subject(url));
        let list = rounds(calls, || baseline.list(), || subject.list()).await;
        let create = rounds(calls, || baseline.create(), || subject.create()).await;
        println!("{{\"list\": {list:?}, \"create\": {create:?}}}");
    });
}

/// `calls` timings in µs of each side (up to a whole round more), in rounds of [`PER_ROUND`],
/// after a tenth as many untimed calls of each.
async fn rounds<A, B>(
    calls: usize,
    mut baseline: impl FnMut() -> A,
    mut subject: impl FnMut() -> B,
) -> Vec<[Vec<f64>; 2]>
where
    A: Future<Output = ()>,
    B: Future<Output = ()>,
{
    for _ in 0..calls / 10 {
        baseline().await;
        subject().await;
    }
    let per_round = calls.clamp(1, PER_ROUND);
    let mut rounds = Vec::new();
    for round in 0..calls.div_ceil(per_round) {
        let (baseline, subject) = if round % 2 == 0 {
            let baseline = samples(per_round, &mut baseline).await;
            (baseline, samples(per_round, &mut subject).await)
        } else {
            let subject = samples(per_round, &mut subject).await;
            (samples(per_round, &mut baseline).await, subject)
        };
        rounds.push([baseline, subject]);
    }
    rounds
}

/// `calls` timings of `call` in µs.
async fn samples<F: Future<Output = ()>>(calls: usize, call: &mut impl FnMut() -> F) -> Vec<f64> {
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    times
}

/// Starts the server on the current runtime; returns Magpie's base URL on it.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/magpie", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            tokio::spawn(answer(socket));
        }
    });
    url
}

/// Two tokens, as the list answer.
const LIST: &str = r#"[{"id":"tok-0","description":"laptop","disabled":false,"created":1700000000},{"id":"tok-1","description":"laptop","disabled":false,"created":1700000000}]"#;
/// A new token, as the create answer.
const CREATED: &str = r#"{"token":"83dc98e5f1a4b2c7"}"#;

/// Answers GET with the list and anything else with a new token, until the client closes.
/// Both requests have no body, so a request ends with its head.
async fn answer(mut socket: tokio::net::TcpStream) {
    let response = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let (list, created) = (response(LIST), response(CREATED));
    let mut pending = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let reply = if pending.starts_with(b"GET ") { &list } else { &created };
        pending.drain(..end + 4);
        if socket.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}
