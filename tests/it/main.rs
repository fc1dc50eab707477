//! Behaviour tests: one module per vendor, plus checks that span all documents.

mod audit_example;
mod bamboo;
mod entuity;
mod insight;
mod inventory;
mod magpie;
mod properties;
mod reliability;
mod rotate_example;
mod rotation;
mod schemas;
mod testing;
mod tour;

/// Asserts that an example's `transcript` shows no simulated secret. Those are long hex
/// strings with letters (timestamps are digits only); fingerprints, the 16 hex digits after
/// `sha256:`, are safe to show.
fn assert_no_secret_like_value(transcript: &str) {
    let fingerprints: Vec<&str> =
        transcript.match_indices("sha256:").map(|(at, _)| &transcript[at + 7..at + 23]).collect();
    let longest_hex_run = transcript
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|run| run.chars().any(|c| c.is_ascii_alphabetic()) && !fingerprints.contains(run))
        .map(str::len)
        .max()
        .unwrap_or_default();
    assert!(longest_hex_run < 8, "a secret-like value was printed:\n{transcript}");
}
