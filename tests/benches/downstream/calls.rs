//! What every downstream app shares, so that each client is called the same way: a loopback
//! server on the app's own thread that answers Magpie's list and create from memory (so no
//! wake-up of another thread or process is in the timings), and the timing loop: `CALLS` list
//! calls, then as many create calls, each after a tenth as many untimed ones, all on one
//! keep-alive connection. Prints the samples in µs as one JSON object.
//!
//! usage: <app> CALLS (without an argument the app only proves it builds)

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The call count from the command line, if given.
pub fn count() -> Option<usize> {
    Some(std::env::args().nth(1)?.parse().expect("CALLS is a number"))
}

/// Starts the server on the current runtime; returns Magpie's base URL on it.
pub async fn serve() -> String {
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

/// Times `calls` list calls and `calls` create calls and prints them.
pub async fn measure<L, C>(calls: usize, list: impl FnMut() -> L, create: impl FnMut() -> C)
where
    L: Future<Output = ()>,
    C: Future<Output = ()>,
{
    let list = samples(calls, list).await;
    let create = samples(calls, create).await;
    println!("{{\"list\": {list:?}, \"create\": {create:?}}}");
}

/// `calls` timings of `call` in µs, after a tenth as many untimed ones.
async fn samples<F: Future<Output = ()>>(calls: usize, mut call: impl FnMut() -> F) -> Vec<f64> {
    for _ in 0..calls / 10 {
        call().await;
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    times
}
