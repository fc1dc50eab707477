//! The steps of every vendor's rotation, each failing: what is retired, kept and resumed, with
//! a rotation that retires every other credential of its target (`Retire::All`).

use std::sync::Mutex;
use std::time::Duration;

use access_tokens::inventory::TokenId;
use access_tokens::rotation::{self, NewCredential, Rotation, Sink, State, Step};
use access_tokens::testing::{BambooFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, bamboo, entuity, insight, magpie};

use super::{
    Memory, all, assert_secret_free, entuity_with_two_tokens, insight_works, is, magpie_works,
    steps,
};

/// A sink that, when handed the new secret, records how many tokens the server holds then.
struct Counting<F: Fn() -> usize + Sync> {
    count: F,
    seen: Mutex<Option<usize>>,
}

impl<F: Fn() -> usize + Sync> Sink for Counting<F> {
    async fn store(&self, _: &NewCredential<'_>) -> std::io::Result<()> {
        *self.seen.lock().unwrap() = Some((self.count)());
        Ok(())
    }
}

// Magpie: a service account's tokens, found by listing before and after the create.

async fn magpie() -> (MagpieFixture, Vec<Secret>) {
    let fixture = MagpieFixture::start().await.unwrap();
    let old: Vec<Secret> =
        (0..2).map(|_| fixture.server.add_access_token("ci@example.com").1).collect();
    (fixture, old)
}

#[tokio::test]
async fn magpie_rotation_stores_the_new_token_then_deletes_the_old_ones() {
    let (fixture, old) = magpie().await;
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    use Step::*;
    let all_ok =
        [Lock, Prepare, Create, Store, Identify, Mark, Check, Promote, Retire, Confirm, Finish]
            .map(|s| (s, true));
    assert_eq!(steps(&report), all_ok);
    let new = sink.only();
    assert!(magpie_works(&fixture, &new).await);
    for secret in &old {
        assert!(!magpie_works(&fixture, secret).await);
    }
    let listed = fixture.admin.service_account("ci@example.com").list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(report.new, Some(TokenId::Vendor(listed[0].id.clone().unwrap())));
    assert_eq!(report.retired.len(), 2);
    assert_secret_free(&report, &[&new, &old[0], &old[1]]);
}

#[tokio::test]
async fn magpie_new_ids_that_cannot_be_told_apart_retire_nothing_but_the_secret_is_stored() {
    let (fixture, old) = magpie().await;
    // The create is answered late; meanwhile another client creates a token too.
    fixture.server.inject_at(2, Fault::Delay(Duration::from_millis(300)));
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let rotation = all();
    let (report, ()) = tokio::join!(rotation.run(&target, &sink), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        fixture.server.add_access_token("ci@example.com");
    });
    assert_eq!(report.state, State::Unidentified, "{report}");
    assert_eq!(
        report.failure().unwrap().1.to_string(),
        "2 new tokens appeared during the create, not exactly one"
    );
    assert!(magpie_works(&fixture, &sink.only()).await);
    assert!(magpie_works(&fixture, &old[0]).await && magpie_works(&fixture, &old[1]).await);
    assert_eq!(fixture.server.token_count("ci@example.com"), 4);
    // The next run converges: one token, the one the sink holds last.
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(fixture.server.token_count("ci@example.com"), 1);
    assert!(magpie_works(&fixture, &sink.promoted().unwrap()).await);
}

#[tokio::test]
async fn magpie_new_ids_that_cannot_be_told_apart_are_never_taken_for_leftovers() {
    let (fixture, old) = magpie().await;
    fixture.server.inject_at(2, Fault::Delay(Duration::from_millis(300)));
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let rotation = Rotation::new();
    let (report, (_, theirs)) = tokio::join!(rotation.run(&target, &sink), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        fixture.server.add_access_token("ci@example.com")
    });
    assert_eq!(report.state, State::Unidentified, "{report}");
    let report = rotation.run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert!(report.retired.is_empty(), "{report}");
    assert!(magpie_works(&fixture, &theirs).await, "another client's token stays");
    assert!(magpie_works(&fixture, &old[0]).await && magpie_works(&fixture, &old[1]).await);
}

#[tokio::test]
async fn magpie_create_whose_answer_was_lost_is_retired_by_the_next_run() {
    let (fixture, old) = magpie().await;
    // The server creates the token, and the answer does not arrive intact.
    fixture.server.inject_at(2, Fault::TruncatedBody);
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::MaybeCreated, "{report}");
    assert_eq!(sink.count(), 0);
    assert_eq!(fixture.server.token_count("ci@example.com"), 3, "an unknown token is alive");
    assert!(magpie_works(&fixture, &old[0]).await);
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 3, "the lost one too");
    assert_eq!(fixture.server.token_count("ci@example.com"), 1);
    assert!(magpie_works(&fixture, &sink.only()).await);
}

#[tokio::test]
async fn magpie_sink_failure_deletes_the_new_token_and_keeps_the_old_ones() {
    let (fixture, old) = magpie().await;
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let report = all().run(&target, &Memory::refusing()).await;
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    assert_eq!(report.failure().unwrap().1.to_string(), "the sink failed: vault sealed");
    assert_eq!(fixture.server.token_count("ci@example.com"), 2);
    assert!(magpie_works(&fixture, &old[0]).await && magpie_works(&fixture, &old[1]).await);
}

#[tokio::test]
async fn magpie_failed_retirement_converges_on_the_next_run() {
    let (fixture, old) = magpie().await;
    // Calls: list, create, identify, mark, check, list, then the first delete fails.
    fixture.server.inject_at(7, Fault::Status(500));
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::PartlyRetired, "{report}");
    assert_eq!(report.retired.len(), 1);
    assert!(magpie_works(&fixture, &sink.only()).await);
    assert_eq!(fixture.server.token_count("ci@example.com"), 2);
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(fixture.server.token_count("ci@example.com"), 1);
    assert!(magpie_works(&fixture, &sink.promoted().unwrap()).await);
    assert_secret_free(&report, &[&sink.promoted().unwrap(), &old[0], &old[1]]);
}

// Bamboo: tokens of one name; retired by taking their permissions away.

#[tokio::test]
async fn bamboo_rotation_takes_every_permission_from_the_old_tokens() {
    let fixture = BambooFixture::start().await.unwrap();
    let old = [
        fixture.server.add_token("deploy", true, true),
        fixture.server.add_token("deploy", true, false),
    ];
    let other = fixture.server.add_token("drain", true, false);
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    let new = sink.only();
    let tokens = fixture.server.tokens();
    let by_uuid = |uuid: &Secret| tokens.iter().find(|t| t.uuid == *uuid).unwrap();
    assert!(by_uuid(&new).read && by_uuid(&new).change && by_uuid(&new).name == "deploy");
    for token in &old {
        let now = by_uuid(&token.uuid);
        assert!(!now.read && !now.change, "retired");
    }
    assert!(by_uuid(&other.uuid).read, "another name's token is not touched");
    assert_secret_free(&report, &[&new, &old[0].uuid, &old[1].uuid]);
}

#[tokio::test]
async fn bamboo_failed_check_retires_nothing() {
    let fixture = BambooFixture::start().await.unwrap();
    let old = fixture.server.add_token("deploy", true, true);
    // Calls: list, create, then the check's list fails.
    fixture.server.inject_at(3, Fault::Status(500));
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::CheckFailed, "{report}");
    assert!(is(500)(match report.failure().unwrap().1 {
        rotation::Failure::Vendor(error) => error,
        other => panic!("{other}"),
    }));
    let tokens = fixture.server.tokens();
    assert!(tokens.iter().any(|t| t.uuid == old.uuid && t.read && t.change), "old one untouched");
    assert_eq!(sink.count(), 1);
    assert_eq!(sink.promoted(), None, "not promoted");
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(steps(&report)[1], (Step::Resume, true));
    assert_eq!(sink.count(), 1, "resumed with the pending token, none created");
    let working: Vec<_> =
        fixture.server.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(working.len(), 1);
    assert_eq!(working[0].uuid, sink.only());
    assert_eq!(sink.promoted(), Some(sink.only()));
}

#[tokio::test]
async fn bamboo_pending_token_that_can_do_nothing_is_not_resumed() {
    let fixture = BambooFixture::start().await.unwrap();
    fixture.server.add_token("deploy", true, true);
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    // The check's list fails; then someone takes the pending token's permissions away.
    fixture.server.inject_at(3, Fault::Status(500));
    let sink = Memory::default();
    assert_eq!(all().run(&target, &sink).await.state, State::CheckFailed);
    let pending = fixture.server.tokens().into_iter().find(|t| t.uuid == sink.only()).unwrap();
    fixture
        .client
        .update_token(&bamboo::Token { read: false, change: false, ..pending })
        .await
        .unwrap();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(sink.count(), 2, "a new one created");
    let working: Vec<_> =
        fixture.server.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(working.len(), 1);
    assert_eq!(Some(working[0].uuid.clone()), sink.promoted());
}

#[tokio::test]
async fn a_pending_token_that_expired_is_retired_and_the_rerun_creates_another() {
    let (fixture, _) = entuity_with_two_tokens().await;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    // Calls: list, create, then the check's get fails.
    fixture.server.inject_at(3, Fault::Status(500));
    let sink = Memory::default();
    assert_eq!(all().run(&target, &sink).await.state, State::CheckFailed);
    let tokens = fixture.client.list_tokens().await.unwrap();
    let pending = tokens.iter().find(|t| t.token_value == sink.only()).unwrap().token_id;
    let expired = entuity::AccessTokenUpdate { expiry_time_sec: Some(1), ..Default::default() };
    fixture.client.update_token(pending, &expired).await.unwrap();

    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    use Step::*;
    let afresh =
        [Lock, Resume, Check, Prepare, Create, Store, Check, Promote, Retire, Confirm, Finish];
    let failed_check = |(index, step): (usize, Step)| (step, index != 2);
    assert_eq!(
        steps(&report),
        afresh.into_iter().enumerate().map(failed_check).collect::<Vec<_>>()
    );
    assert_eq!(sink.count(), 2, "a second token created");
    assert!(report.retired.contains(&TokenId::Vendor(pending.to_string())), "{report}");
    let now = fixture.client.list_tokens().await.unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(Some(now[0].token_value.clone()), sink.promoted());
}

#[tokio::test]
async fn a_sink_that_cannot_promote_stops_the_rotation_before_anything_is_retired() {
    let fixture = BambooFixture::start().await.unwrap();
    let old = fixture.server.add_token("deploy", true, true);
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory { refuse_promote: true, ..Memory::default() };
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::NotPromoted, "{report}");
    assert_eq!(report.failure().unwrap().0, Step::Promote);
    assert_eq!(report.failure().unwrap().1.to_string(), "the sink failed: vault read-only");
    let tokens = fixture.server.tokens();
    assert!(tokens.iter().any(|t| t.uuid == old.uuid && t.read && t.change), "old one untouched");
    assert_eq!(tokens.len(), 2);
}

#[tokio::test]
async fn bamboo_sink_failure_retires_the_new_token() {
    let fixture = BambooFixture::start().await.unwrap();
    let old = fixture.server.add_token("deploy", true, true);
    let template = bamboo::NewToken::new("deploy").with_read(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    let report = all().run(&target, &Memory::refusing()).await;
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    let working: Vec<_> =
        fixture.server.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(working.len(), 1);
    assert_eq!(working[0].uuid, old.uuid);
}

// Entuity: a user's tokens, deleted.

#[tokio::test]
async fn entuity_rotation_deletes_the_users_old_tokens() {
    let (fixture, second) = entuity_with_two_tokens().await;
    fixture.server.add_user("other", "x");
    let others = fixture
        .client
        .create_token(&entuity::NewAccessToken::for_user_name("other"))
        .await
        .unwrap();
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    let tokens = fixture.client.list_tokens().await.unwrap();
    let guy2: Vec<_> = tokens.iter().filter(|t| t.user_name.as_deref() == Some("guy2")).collect();
    assert_eq!(guy2.len(), 1);
    assert_eq!(guy2[0].token_value, sink.only());
    assert_eq!(report.new, Some(TokenId::Vendor(guy2[0].token_id.to_string())));
    let retired = [fixture.token_id, second].map(|id| TokenId::Vendor(id.to_string()));
    assert_eq!(report.retired, retired);
    assert!(tokens.iter().any(|t| t.token_id == others.token_id), "another user's token stays");
    assert_secret_free(&report, &[&sink.only()]);
}

#[tokio::test]
async fn no_old_credential_is_retired_before_the_sink_has_the_new_one() {
    let (fixture, _) = entuity_with_two_tokens().await;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let sink = Counting { count: || fixture.server.token_count(), seen: Mutex::new(None) };
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(*sink.seen.lock().unwrap(), Some(3), "both old tokens and the new one");
    assert_eq!(fixture.server.token_count(), 1);
}

#[tokio::test]
async fn entuity_create_whose_answer_never_came_is_retired_by_the_next_run() {
    let (fixture, _) = entuity_with_two_tokens().await;
    let client = entuity::Client::builder(&fixture.url)
        .timeout(Duration::from_millis(300))
        .basic_auth("admin", "pw")
        .unwrap();
    // Calls: list, then the create.
    fixture.server.inject_at(2, Fault::AnswerLost);
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(client, template);
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::MaybeCreated, "{report}");
    assert!(report.to_string().contains("a token may have been created"), "{report}");
    assert_eq!(fixture.server.token_count(), 3, "the server created it");
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 3);
    assert_eq!(fixture.server.token_count(), 1);
    assert_eq!(fixture.client.list_tokens().await.unwrap()[0].token_value, sink.only());
}

#[tokio::test]
async fn entuity_failed_confirmation_is_reported_and_the_next_run_converges() {
    let (fixture, _) = entuity_with_two_tokens().await;
    // Calls: list, create, check, list, two deletes, then the confirmation's list fails.
    fixture.server.inject_at(7, Fault::Status(503));
    let client = entuity::Client::builder(&fixture.url)
        .retry(access_tokens::RetryPolicy::NEVER)
        .basic_auth("admin", "pw")
        .unwrap();
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(client, template);
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Unconfirmed, "{report}");
    assert_eq!(report.failure().unwrap().0, Step::Confirm);
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(fixture.server.token_count(), 1);
}

// Insight.io: the session's user's tokens, revoked, and confirmed by a 401.

/// The fixture, the target rotated by ada's browser session, and a builder to check tokens
/// with.
async fn insight() -> (InsightFixture, insight::RotationTarget, insight::ClientBuilder) {
    let fixture = InsightFixture::start().await.unwrap();
    let session = insight::Client::builder(&fixture.url)
        .session_cookie(fixture.server.browser_session("ada"))
        .unwrap();
    let target =
        insight::RotationTarget::by_session(insight::Client::builder(&fixture.url), session);
    let builder = insight::Client::builder(&fixture.url);
    (fixture, target, builder)
}

#[tokio::test]
async fn insight_rotation_revokes_the_old_token_and_sees_it_refused() {
    let (fixture, target, builder) = insight().await;
    let old = fixture.client.api_token();
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert!(insight_works(&builder, &sink.only()).await);
    assert!(!insight_works(&builder, &old).await);
    assert_eq!(fixture.server.token_count(), 1);
    assert_secret_free(&report, &[&sink.only(), &old]);
}

#[tokio::test]
async fn insight_revoke_answered_200_without_effect_is_caught_by_the_confirmation() {
    let (fixture, target, builder) = insight().await;
    let old = fixture.client.api_token();
    // Calls: create, check, scope, then the revoke is answered 200 and does nothing.
    fixture.server.inject_at(4, Fault::Status(200));
    let sink = Memory::default();
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Unconfirmed, "{report}");
    let id = TokenId::fingerprint(access_tokens::inventory::Vendor::Insight, &old);
    assert_eq!(
        report.failure().unwrap().1.to_string(),
        format!("still alive after retirement: {id}")
    );
    assert!(insight_works(&builder, &old).await && insight_works(&builder, &sink.only()).await);
    let report = all().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert!(!insight_works(&builder, &old).await);
}

#[tokio::test]
async fn insight_sink_failure_revokes_the_new_token() {
    let (fixture, target, builder) = insight().await;
    let report = all().run(&target, &Memory::refusing()).await;
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    assert_eq!(fixture.server.token_count(), 1);
    assert!(insight_works(&builder, &fixture.client.api_token()).await);
}
