//! Rotations into KV version 2 on a real OpenBao dev server (`bao server -dev`): versions and
//! check-and-set, the pending path, the ledger and the lock beside the secret, and every way
//! the store can fail. Each test skips, loudly, where `bao` is not installed (and fails in CI).

use std::time::Duration;

use access_tokens::rotation::{Rotation, Sink as _, State, Step, VaultSink};
use access_tokens::testing::{BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, bamboo, entuity, insight, magpie};
use access_tokens_loopback::Bao;

use super::{assert_secret_free, steps};

/// A sink for `path` on `bao`, as `token`.
fn sink(bao: &Bao, path: &str, token: &str) -> VaultSink {
    VaultSink::builder(bao.address(), path).token(Secret::new(token)).unwrap()
}

/// Puts `fields` (`key=value`) at `path` of the `secret` mount.
fn put(bao: &Bao, path: &str, fields: &[&str]) {
    let mut args = vec!["kv", "put", "-mount=secret", path];
    args.extend(fields);
    let put = bao.cli(&args);
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
}

/// Runs `command` (the `bao` CLI) on a blocking thread, while a rotation runs on this one,
/// and asserts that it succeeded.
async fn meanwhile(mut command: std::process::Command) {
    let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// An Entuity simulator and the rotation of guy2's token: the case the failure tests share.
async fn guy2() -> (EntuityFixture, entuity::RotationTarget) {
    let fixture = EntuityFixture::start().await.unwrap();
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    (fixture, target)
}

/// Puts guy2's live token at `app/guy2`, as the app's current secret, and returns it.
async fn hold_guy2(bao: &Bao, fixture: &EntuityFixture) -> Secret {
    let held = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    put(bao, "app/guy2", &[&format!("token={}", held.expose_secret())]);
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendors_rotation_into_kv_v2_keeps_the_old_version_and_the_other_fields() {
    let Some(bao) = Bao::start() else { return };
    let magpie = MagpieFixture::start().await.unwrap();
    let bamboo = BambooFixture::start().await.unwrap();
    let entuity = EntuityFixture::start().await.unwrap();
    let insight = InsightFixture::start().await.unwrap();
    let deploy = bamboo.server.add_token("deploy", true, true).uuid;
    let guy2 = entuity.client.get_token(entuity.token_id).await.unwrap().token_value;
    let ada = insight.client.api_token();
    for (path, held) in [("app/bamboo", &deploy), ("app/entuity", &guy2), ("app/insight", &ada)] {
        put(&bao, path, &[&format!("token={}", held.expose_secret()), "user=svc"]);
    }
    let rotation = Rotation::new();
    let reports = [
        {
            let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
            let target = bamboo::RotationTarget::new(bamboo.client.clone(), template);
            rotation.run(&target, &sink(&bao, "app/bamboo", Bao::ROOT_TOKEN)).await
        },
        {
            let template = entuity::NewAccessToken::for_user_name("guy2");
            let target = entuity::RotationTarget::new(entuity.client.clone(), template);
            rotation.run(&target, &sink(&bao, "app/entuity", Bao::ROOT_TOKEN)).await
        },
        {
            let credentials = insight::Credentials::password("ada", "pw");
            let builder = insight::Client::builder(&insight.url);
            let target = insight::RotationTarget::by_credentials(builder, credentials);
            rotation.run(&target, &sink(&bao, "app/insight", Bao::ROOT_TOKEN)).await
        },
        {
            // Magpie lists no values: its first rotation into a new path replaces nothing.
            let target = magpie::RotationTarget::personal(magpie.client.clone());
            rotation.run(&target, &sink(&bao, "app/magpie", Bao::ROOT_TOKEN)).await
        },
    ];
    for (report, (path, held)) in reports.iter().zip([
        ("app/bamboo", Some(&deploy)),
        ("app/entuity", Some(&guy2)),
        ("app/insight", Some(&ada)),
        ("app/magpie", None),
    ]) {
        assert_eq!(report.state, State::Rotated, "{path}: {report}");
        let new = bao.kv_field(path, "token", None).expect("the new secret");
        if let Some(held) = held {
            assert_ne!(new, held.expose_secret());
            assert_eq!(bao.kv_field(path, "token", Some(1)).as_deref(), Some(held.expose_secret()));
            assert_eq!(bao.kv_field(path, "user", None).as_deref(), Some("svc"), "{path}");
            assert_eq!(report.retired.len(), 1, "{path}: {report}");
            assert_secret_free(report, &[held, &Secret::new(new.clone())]);
        }
        assert_eq!(bao.kv_field(&format!("{path}.pending"), "token", None), None, "{path}");
        assert_eq!(bao.kv_field(&format!("{path}.lock"), "holder", None), None, "let go");
        let ledger = bao.kv_field(&format!("{path}.rotation"), "ledger", None).expect("a ledger");
        assert!(!ledger.contains(&new), "no secret in the ledger");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_stopped_after_the_store_resumes_from_the_pending_path() {
    let Some(bao) = Bao::start() else { return };
    let (fixture, target) = guy2().await;
    let held = hold_guy2(&bao, &fixture).await;
    let sink = sink(&bao, "app/guy2", Bao::ROOT_TOKEN);
    // Calls: list, create, then the check's call fails.
    fixture.server.inject_at(3, Fault::Status(500));
    let first = Rotation::new().run(&target, &sink).await;
    assert_eq!(first.state, State::CheckFailed, "{first}");
    let pending = bao.kv_field("app/guy2.pending", "token", None).expect("pending");
    assert_eq!(bao.kv_field("app/guy2", "token", None).as_deref(), Some(held.expose_secret()));
    let second = Rotation::new().run(&target, &sink).await;
    assert_eq!(second.state, State::Rotated, "{second}");
    assert_eq!(
        steps(&second)[..3],
        [(Step::Lock, true), (Step::Resume, true), (Step::Check, true)]
    );
    assert_eq!(bao.kv_field("app/guy2", "token", None), Some(pending), "the same, not another");
    assert_eq!(fixture.server.token_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_or_unreachable_vault_stops_the_rotation_before_anything_is_created() {
    let Some(bao) = Bao::start() else { return };
    let (fixture, target) = guy2().await;
    let nowhere = VaultSink::builder("http://127.0.0.1:1", "app/guy2")
        .token(Secret::new(Bao::ROOT_TOKEN))
        .unwrap();
    let report = Rotation::new().run(&target, &nowhere).await;
    assert_eq!((report.state, report.failure().unwrap().0), (State::NotCreated, Step::Lock));
    assert!(report.to_string().contains("did not answer"), "{report}");
    bao.seal();
    let report = Rotation::new().run(&target, &sink(&bao, "app/guy2", Bao::ROOT_TOKEN)).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    assert!(report.to_string().contains("is sealed or unavailable (503)"), "{report}");
    assert_eq!(fixture.server.token_count(), 1, "nothing created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_sealed_during_the_create_gets_the_new_token_retired_again() {
    let Some(bao) = Bao::start() else { return };
    let (fixture, target) = guy2().await;
    let sink = sink(&bao, "app/guy2", Bao::ROOT_TOKEN);
    // The create (call 2) answers late; Vault is sealed meanwhile.
    fixture.server.inject_at(2, Fault::Delay(Duration::from_millis(800)));
    let rotation = Rotation::new();
    let (report, ()) = tokio::join!(rotation.run(&target, &sink), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        meanwhile(bao.command(&["operator", "seal"])).await;
    });
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    assert_eq!(fixture.server.token_count(), 1, "the new token is gone again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_write_fails_the_promotion_and_nothing_is_retired() {
    let Some(bao) = Bao::start() else { return };
    let (fixture, target) = guy2().await;
    let held = hold_guy2(&bao, &fixture).await;
    let sink = sink(&bao, "app/guy2", Bao::ROOT_TOKEN);
    // The check (call 3) answers late; another writer changes the secret meanwhile.
    fixture.server.inject_at(3, Fault::Delay(Duration::from_millis(800)));
    let rotation = Rotation::new();
    let (report, ()) = tokio::join!(rotation.run(&target, &sink), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let put = ["kv", "put", "-mount=secret", "app/guy2", "token=written-by-someone-else"];
        meanwhile(bao.command(&put)).await;
    });
    assert_eq!(report.state, State::NotPromoted, "{report}");
    assert!(report.to_string().contains("another writer changed `secret/app/guy2`"), "{report}");
    assert!(report.retired.is_empty());
    let tokens = fixture.client.list_tokens().await.unwrap();
    assert!(tokens.iter().any(|token| token.token_value == held), "the old one still works");
    assert_eq!(bao.kv_field("app/guy2", "token", None).as_deref(), Some("written-by-someone-else"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_a_capability_or_a_wrong_mount_is_refused_first_saying_which() {
    let Some(bao) = Bao::start() else { return };
    let (fixture, target) = guy2().await;
    let reader = bao.token_with_policy(
        "reader",
        "path \"secret/data/app/guy2\" { capabilities = [\"read\", \"update\"] }\n",
    );
    let refused = Rotation::new().plan(&target, &sink(&bao, "app/guy2", &reader)).await;
    assert!(!refused.is_ready());
    let shown = refused.to_string();
    assert!(
        shown.contains("FAILED  lock: Vault: reading `secret/app/guy2.lock`: permission denied"),
        "{shown}"
    );
    let report = Rotation::new().run(&target, &sink(&bao, "app/guy2", &reader)).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    // With the lock and ledger allowed, the check names the pending path.
    let more = bao.token_with_policy(
        "more",
        "path \"secret/data/app/guy2\" { capabilities = [\"read\", \"update\"] }\n\
         path \"secret/data/app/guy2.lock\" { capabilities = [\"read\", \"create\", \"update\"] }\n\
         path \"secret/metadata/app/guy2.lock\" { capabilities = [\"delete\"] }\n\
         path \"secret/data/app/guy2.rotation\" { capabilities = [\"read\", \"create\", \"update\"] }\n",
    );
    let report = Rotation::new().run(&target, &sink(&bao, "app/guy2", &more)).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    assert!(
        report
            .to_string()
            .contains("the token lacks `read`, `create|update` on `secret/data/app/guy2.pending`"),
        "{report}"
    );
    assert_eq!(fixture.server.token_count(), 1, "nothing created");

    assert!(bao.cli(&["secrets", "enable", "-path=kv1", "-version=1", "kv"]).status.success());
    for (mount, why) in [("kv1", "is a KV version 1 mount"), ("nomount", "no mount `nomount`")] {
        let sink = VaultSink::builder(bao.address(), "app/guy2")
            .mount(mount)
            .token(Secret::new(Bao::ROOT_TOKEN))
            .unwrap();
        let error = sink.check().await.unwrap_err();
        assert!(error.to_string().contains(why), "{error}");
    }
}
