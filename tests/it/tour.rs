//! `cargo run --example tour`, run as a test.

#[allow(dead_code, reason = "its `main` is the example's entry point; the test calls `run`")]
#[path = "../../sdk/examples/tour.rs"]
mod example;

#[tokio::test]
async fn the_tour_walks_every_vendor_and_prints_no_secret() {
    let mut transcript = Vec::new();
    example::run(&mut transcript).await.expect("the tour finishes");
    let transcript = String::from_utf8(transcript).unwrap();

    for heading in ["== Silect Magpie", "== Agent APIs for Bamboo", "== Entuity", "== Insight.io"] {
        assert!(transcript.contains(heading), "{heading} missing from:\n{transcript}");
    }
    assert_eq!(transcript.matches("refused as expected").count(), 4, "{transcript}");
    assert!(transcript.contains("401 Unauthorized: Credentials required"), "{transcript}");
    // Simulated secrets are long hex strings (UUIDs have runs of 8 or more); none may show.
    let longest_hex_run =
        transcript.split(|c: char| !c.is_ascii_hexdigit()).map(str::len).max().unwrap_or_default();
    assert!(longest_hex_run < 8, "a secret-like value was printed:\n{transcript}");
}
