//! `cargo run --example audit`, run as a test.

#[allow(dead_code, reason = "its `main` is the example's entry point; the test calls `run`")]
#[path = "../../sdk/examples/audit.rs"]
mod example;

#[tokio::test]
async fn the_audit_example_lists_every_vendor_audits_and_prints_no_secret() {
    let mut transcript = Vec::new();
    example::run(&mut transcript).await.expect("the example finishes");
    let transcript = String::from_utf8(transcript).unwrap();

    assert!(transcript.contains("== Inventory: 11 tokens"), "{transcript}");
    for finding in ["TooManyForAccount", "WriteWithoutUse", "ExpiringSoon", "NoExpiry"] {
        assert!(transcript.contains(finding), "{finding} missing from:\n{transcript}");
    }
    let json = &transcript[transcript.find("== Inventory as JSON").unwrap() + 21..];
    let json = &json[..json.find("\n== Audit").unwrap()];
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["records"].as_array().unwrap().len(), 11);
    crate::assert_no_secret_like_value(&transcript);
}
