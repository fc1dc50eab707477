//! What a full lifecycle on all four vendors logs, at every level, in a process of its own:
//! tracing caches which call sites are enabled per process, so a subscriber of one test among
//! many would see only part of it.

use std::sync::{Arc, Mutex};

#[allow(dead_code, reason = "its `main` is the example's entry point; the test calls `run`")]
#[path = "../../sdk/examples/tour.rs"]
mod example;

#[allow(dead_code, reason = "its `main` is the example's entry point; the test calls `run`")]
#[path = "../../sdk/examples/rotate.rs"]
mod rotate;

/// A `Write` that collects everything into a shared buffer, for capturing logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_full_lifecycle_is_traced_per_operation_without_a_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let mut transcript = Vec::new();
    example::run(&mut transcript).await.expect("the tour finishes");
    // Rotations, with a failed step and a leaked token's revocation, log no secret either.
    rotate::run(&mut transcript).await.expect("the rotations finish");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();

    for expected in [
        r#"access_tokens{vendor="magpie" operation="login" method=POST}"#,
        r#"vendor="bamboo" operation="update_token""#,
        r#"vendor="entuity" operation="delete_access_token""#,
        r#"vendor="insight" operation="revoke_token""#,
        r#"vendor="magpie" operation="create_service_account_access_token""#,
        "outcome=500",
        "outcome=200",
        "outcome=401",
        "elapsed_ms=",
    ] {
        assert!(logs.contains(expected), "{expected} not logged:\n{logs}");
    }
    for secret in
        ["correct horse", "admin pass", "b4mboo", "3ntuity", "insight pass", "Basic ", "id="]
    {
        assert!(!logs.contains(secret), "{secret:?} logged:\n{logs}");
    }
    let longest_hex_run =
        logs.split(|c: char| !c.is_ascii_hexdigit()).map(str::len).max().unwrap_or(0);
    assert!(longest_hex_run < 16, "a token-like value was logged:\n{logs}");
}
