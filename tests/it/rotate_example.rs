//! `cargo run --example rotate`, run as a test.

#[allow(dead_code, reason = "its `main` is the example's entry point; the test calls `run`")]
#[path = "../../sdk/examples/rotate.rs"]
mod example;

#[tokio::test]
async fn the_rotate_example_rotates_every_vendor_converges_and_prints_no_secret() {
    let mut transcript = Vec::new();
    example::run(&mut transcript).await.expect("the example finishes");
    let transcript = String::from_utf8(transcript).unwrap();

    for rotated in [
        "magpie-ci: magpie rotation: rotated",
        "magpie-ada: magpie rotation: rotated",
        "bamboo-deploy: bamboo rotation: rotated",
        "entuity-guy2: entuity rotation: rotated",
        "insight-ada: insight rotation: rotated",
        "first run: entuity rotation: stored and checked, partly retired",
        "second run: entuity rotation: rotated",
        r#""steps":[{"step":"resume","error":null},{"step":"check","error":null}"#,
        "Revoked(Vendor(",
    ] {
        assert!(transcript.contains(rotated), "{rotated:?} missing from:\n{transcript}");
    }
    crate::assert_no_secret_like_value(&transcript);
}
