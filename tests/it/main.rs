//! Behaviour tests: one module per vendor, plus checks that span all documents.

mod audit_example;
mod bamboo;
mod entuity;
mod history;
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

/// Asserts that an example's `transcript` shows no simulated secret.
fn assert_no_secret_like_value(transcript: &str) {
    let longest = access_tokens::testing::longest_secret_like_run(transcript);
    assert!(longest < 8, "a secret-like value was printed:\n{transcript}");
}
