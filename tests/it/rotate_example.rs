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
        "magpie-ci: magpie rotation: rotated (new tok-3; retired tok-2)",
        "magpie-ada: magpie rotation: rotated (new tok-4); the sink held no credential: none was \
         retired as replaced",
        "bamboo-deploy: bamboo rotation: rotated",
        "entuity-guy2: entuity rotation plan: ready",
        "  create an Entuity token for guy2, described \"dashboards [access-tokens: entuity-guy2]\"",
        "  replacing 18\n  retire 18 (it retires what it replaces)\n",
        "entuity-guy2: entuity rotation: rotated (new 19, expires ",
        "untouched: guy2's token for another use, 17",
        "insight-ada: insight rotation: rotated",
        "first run: entuity rotation: promoted, partly retired (new 20",
        "second run: entuity rotation: rotated (new 20",
        r#""steps":[{"step":"lock","error":null},{"step":"resume","error":null},{"step":"check","error":null}"#,
        "Revoked(Vendor(",
    ] {
        assert!(transcript.contains(rotated), "{rotated:?} missing from:\n{transcript}");
    }
    crate::assert_no_secret_like_value(&transcript);
}
