//! The command sink: the secret on stdin only, a stage per call, its exit status deciding; and
//! the recipe for the Vault or OpenBao CLI (`cli/contrib/recipes/bao-kv.sh`), run for real against
//! `bao server -dev`.

use std::path::Path;

use access_tokens::Secret;
use access_tokens::entuity;
use access_tokens::rotation::{CommandSink, NewCredential, Rotation, Sink as _, State};
use access_tokens::testing::EntuityFixture;
use access_tokens_loopback::Bao;

use super::tempdir;

/// The recipe the README shows for the Vault or OpenBao CLI, as shipped.
fn recipe() -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/contrib/recipes/bao-kv.sh");
    file.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bao_cli_recipe_rotates_into_kv_v2_with_the_secret_on_stdin_only() {
    let Some(bao) = Bao::start() else { return };
    let fixture = EntuityFixture::start().await.unwrap();
    let held = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    let put = bao.cli(&[
        "kv",
        "put",
        "-mount=secret",
        "app/guy2",
        &format!("token={}", held.expose_secret()),
    ]);
    assert!(put.status.success());
    let directory = tempdir("command-sink");
    // The command finds the server in BAO_ADDR and BAO_TOKEN, and the new secret on stdin.
    let sink = CommandSink::new("sh", [recipe(), "app/guy2".to_owned()])
        .env("BAO_ADDR", bao.address())
        .env("BAO_TOKEN", Bao::ROOT_TOKEN)
        .state_file(directory.join("guy2"));
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(
        report.replaced.as_ref().map(ToString::to_string),
        Some(fixture.token_id.to_string())
    );
    let new = bao.kv_field("app/guy2", "token", None).expect("promoted");
    assert_ne!(new, held.expose_secret());
    assert_eq!(bao.kv_field("app/guy2.pending", "token", None), None, "finished");
    assert_eq!(fixture.server.token_count(), 1, "the replaced one retired");
    assert!(directory.join("guy2.rotation").exists(), "the ledger beside the state file");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn a_failing_stage_is_reported_by_its_status_and_a_stderr_without_the_secret() {
    let directory = tempdir("command-sink-fails");
    let script = directory.join("echoes.sh");
    // A careless command that prints what it was given, and fails.
    std::fs::write(&script, "read value; echo \"cannot store $value\" >&2; exit 3\n").unwrap();
    let sink = CommandSink::new("sh", [script.display().to_string()]);
    let secret = Secret::new("s3cr3t-value-on-stdin");
    let vendor = access_tokens::inventory::Vendor::Entuity;
    let error = sink.store(&NewCredential::new(vendor, None, &secret)).await.unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.contains("store` exited with exit status: 3: cannot store [REDACTED]"),
        "{shown}"
    );
    assert!(!shown.contains(secret.expose_secret()));
    assert_eq!(sink.pending().await.unwrap(), None, "nothing kept");
    // The command sees its stage and nothing of this process's environment but the base.
    let printed = directory.join("env.sh");
    std::fs::write(
        &printed,
        "env > \"$(dirname \"$0\")/seen\"; echo \"$1\" >> \"$(dirname \"$0\")/seen\"\n",
    )
    .unwrap();
    let sink = CommandSink::new("sh", [printed.display().to_string()]).env("STORE_ADDRESS", "x");
    sink.finish().await.unwrap();
    let seen = std::fs::read_to_string(directory.join("seen")).unwrap();
    assert!(seen.ends_with("finish\n") && seen.contains("STORE_ADDRESS=x"), "{seen}");
    assert!(!seen.contains("CARGO"), "the test's environment is not passed: {seen}");
    std::fs::remove_dir_all(&directory).unwrap();
}
