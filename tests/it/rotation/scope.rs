//! What a rotation retires: only what it replaces and what earlier runs of it left, never the
//! account's other credentials, unless told to retire them all; and its plan, which shows the
//! same and changes nothing.

use access_tokens::inventory::TokenId;
use access_tokens::rotation::{Ledger, Notice, Retire, Rotation, State, Step};
use access_tokens::testing::{EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, entuity, insight, magpie};

use super::{Memory, insight_works, magpie_works, steps};

/// Ada's Magpie tokens: the fixture's `tok-1` (made by hand, described "laptop"), and one the
/// application holds, which an earlier rotation made current, described "deploys".
async fn magpie_personal() -> (MagpieFixture, Secret, Memory) {
    let fixture = MagpieFixture::start().await.unwrap();
    fixture.client.set_description(&fixture.token_id, "laptop").await.unwrap();
    let (held_id, held) = fixture.server.add_access_token("ada@example.com");
    fixture.client.set_description(&held_id, "deploys [access-tokens: memory]").await.unwrap();
    let sink = Memory::holding(&held);
    let mut ledger = Ledger::default();
    ledger.current = Some(TokenId::Vendor(held_id));
    use access_tokens::rotation::Sink as _;
    sink.save_ledger(&ledger).await.unwrap();
    (fixture, held, sink)
}

#[tokio::test]
async fn a_magpie_rotation_retires_only_the_token_it_replaces_and_keeps_its_description() {
    let (fixture, held, sink) = magpie_personal().await;
    let target = magpie::RotationTarget::personal(fixture.client.clone());
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 1, "{report}");
    assert_eq!(report.retired, [report.replaced.clone().unwrap()]);
    assert!(!magpie_works(&fixture, &held).await, "the replaced token is gone");
    let tokens = fixture.client.list_tokens().await.unwrap();
    let described: Vec<_> = tokens.iter().map(|t| t.description.clone().unwrap()).collect();
    assert_eq!(described, ["laptop", "deploys [access-tokens: memory]"], "{tokens:?}");
    assert_eq!(Some(TokenId::Vendor(tokens[1].id.clone().unwrap())), report.new);
    assert!(magpie_works(&fixture, &sink.promoted().unwrap()).await);
    assert_eq!(sink.kept_ledger().current, report.new, "the next run replaces this one");
}

#[tokio::test]
async fn retiring_all_is_a_choice_the_report_shows() {
    let (fixture, _, sink) = magpie_personal().await;
    let target = magpie::RotationTarget::personal(fixture.client.clone());
    let report = Rotation::new().retire(Retire::All).run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 2, "the hand-made token too: {report}");
    assert_eq!(fixture.server.token_count("ada@example.com"), 1);
}

#[tokio::test]
async fn a_run_that_cannot_tell_what_it_replaces_retires_nothing_and_says_so() {
    let fixture = MagpieFixture::start().await.unwrap();
    let (_, held) = fixture.server.add_access_token("ci@example.com");
    let (_, other) = fixture.server.add_access_token("ci@example.com");
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    // The application holds a token, but no rotation recorded which: Magpie lists no values.
    let sink = Memory::holding(&held);
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.notices, [Notice::ReplacedUnknown]);
    assert!(report.to_string().contains("none was retired as replaced"), "{report}");
    assert!(report.retired.is_empty(), "{report}");
    assert!(magpie_works(&fixture, &held).await && magpie_works(&fixture, &other).await);
    assert_eq!(fixture.server.token_count("ci@example.com"), 3);
    // From now on it knows.
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!((report.state, report.retired.len()), (State::Rotated, 1), "{report}");
    assert_eq!(fixture.server.token_count("ci@example.com"), 3);
}

/// guy2's Entuity tokens: the fixture's (17), which the application holds, and one made by hand
/// for another use.
async fn entuity_guy2() -> (EntuityFixture, Secret, Secret, entuity::RotationTarget) {
    let fixture = EntuityFixture::start().await.unwrap();
    let held = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    let other = fixture
        .client
        .create_token(&entuity::NewAccessToken::for_user_name("guy2").with_description("cli"))
        .await
        .unwrap()
        .token_value;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    (fixture, held, other, target)
}

/// Whether `secret` is one of the Entuity server's tokens.
async fn entuity_alive(fixture: &EntuityFixture, secret: &Secret) -> bool {
    let tokens = fixture.client.list_tokens().await.unwrap();
    tokens.iter().any(|token| token.token_value == *secret)
}

#[tokio::test]
async fn a_value_vendors_rotation_replaces_the_sinks_token_and_leaves_the_users_others() {
    let (fixture, held, other, target) = entuity_guy2().await;
    let sink = Memory::holding(&held);
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.replaced, Some(TokenId::Vendor(fixture.token_id.to_string())));
    assert_eq!(report.retired, [report.replaced.clone().unwrap()]);
    assert!(!entuity_alive(&fixture, &held).await);
    assert!(entuity_alive(&fixture, &other).await, "another use's token stays");
    let new = sink.promoted().unwrap();
    let tokens = fixture.client.list_tokens().await.unwrap();
    let created = tokens.iter().find(|token| token.token_value == new).unwrap();
    assert_eq!(created.description.as_deref(), Some("[access-tokens: memory]"));
}

#[tokio::test]
async fn a_sink_holding_nothing_or_a_value_not_listed_retires_nothing_and_says_which() {
    let (fixture, held, other, target) = entuity_guy2().await;
    for (name, sink, notice) in [
        ("first", Memory::default(), Notice::NothingHeld),
        ("stale", Memory::holding(&Secret::new("a value no token has")), Notice::ReplacedUnknown),
    ] {
        // Named apart: one rotation's tokens are the other's to leave alone.
        let report = Rotation::new().named(name).run(&target, &sink).await;
        assert_eq!(report.state, State::Rotated, "{report}");
        // Nor is its lifetime known.
        let notices = [notice, Notice::NoLifetime];
        assert_eq!((report.replaced.as_ref(), &report.notices[..]), (None, &notices[..]));
        assert!(report.retired.is_empty(), "{report}");
        assert!(entuity_alive(&fixture, &held).await && entuity_alive(&fixture, &other).await);
    }
    assert_eq!(fixture.server.token_count(), 4, "two new, two untouched");
}

#[tokio::test]
async fn a_token_an_earlier_runs_lost_create_made_is_retired_by_the_next_and_no_other() {
    let (fixture, held, other, target) = entuity_guy2().await;
    let sink = Memory::holding(&held);
    // Calls: list, then the create, whose answer never comes.
    fixture.server.inject_at(2, Fault::AnswerLost);
    let patient = entuity::Client::builder(&fixture.url)
        .timeout(std::time::Duration::from_millis(300))
        .basic_auth("admin", "pw")
        .unwrap();
    let impatient =
        entuity::RotationTarget::new(patient, entuity::NewAccessToken::for_user_name("guy2"));
    let first = Rotation::new().run(&impatient, &sink).await;
    assert_eq!(first.state, State::MaybeCreated, "{first}");
    assert_eq!(fixture.server.token_count(), 3, "it was made");
    // The next run finds it (not listed before the create, made after it began, and marked),
    // and retires it with the replaced token; the other use's token, listed before, stays.
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 2, "the replaced token and the lost one: {report}");
    assert_eq!(fixture.server.token_count(), 2, "the new one, and the other use's");
    assert!(entuity_alive(&fixture, &other).await);
    assert!(entuity_alive(&fixture, &sink.promoted().unwrap()).await);
}

#[tokio::test]
async fn a_pending_token_of_another_user_is_left_untouched_and_a_fresh_rotation_runs() {
    let fixture = InsightFixture::start().await.unwrap();
    fixture.server.add_user("bob", "pw");
    let builder = insight::Client::builder(&fixture.url);
    let bobs =
        builder.authenticate(insight::Credentials::password("bob", "pw")).await.unwrap().token;
    let adas = fixture.client.api_token();
    // The application's store holds ada's token, and, pending, a live token of bob's.
    let sink = Memory::holding(&adas);
    use access_tokens::rotation::{NewCredential, Sink as _};
    let vendor = access_tokens::inventory::Vendor::Insight;
    sink.store(&NewCredential::new(vendor, None, &bobs)).await.unwrap();
    let target = insight::RotationTarget::by_credentials(
        insight::Client::builder(&fixture.url),
        insight::Credentials::password("ada", "pw"),
    );
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.notices, [Notice::PendingNotTheTargets]);
    assert!(!steps(&report).iter().any(|(step, _)| *step == Step::Resume), "{report}");
    assert!(insight_works(&builder, &bobs).await, "bob's token is left as it was");
    assert_eq!(sink.set_aside(), Some(bobs.clone()), "and kept, set aside");
    let new = sink.promoted().unwrap();
    assert_ne!(new, bobs);
    let listed = builder.api_token(new).unwrap().list_tokens().await.unwrap();
    assert_eq!(listed.len(), 1, "ada's one token");
    assert_eq!(listed[0].uid.as_deref(), Some("userpass@ada"));
    assert!(!insight_works(&builder, &adas).await, "what it replaced is revoked");
}

#[tokio::test]
async fn a_plan_changes_nothing_and_shows_what_the_run_then_does() {
    let (fixture, held, _, target) = entuity_guy2().await;
    let sink = Memory::holding(&held);
    let before = fixture.server.requests();
    let plan = Rotation::new().plan(&target, &sink).await;
    assert!(plan.is_ready(), "{plan:?}");
    let checks: Vec<_> =
        plan.checks.iter().map(|check| (check.check, check.error.is_none())).collect();
    assert_eq!(checks, [("lock", true), ("ledger", true), ("sink", true), ("credentials", true)]);
    let replaced = TokenId::Vendor(fixture.token_id.to_string());
    assert_eq!(plan.replaced, Some(replaced.clone()));
    assert_eq!(plan.retire, std::slice::from_ref(&replaced));
    let create = plan.create.clone().unwrap();
    assert!(
        create.starts_with("an Entuity token for guy2, described \"[access-tokens: memory]\""),
        "{create}"
    );
    assert_eq!(fixture.server.requests() - before, 1, "one list, and nothing changed");
    assert_eq!((sink.count(), sink.kept_ledger()), (0, Ledger::default()));
    assert_eq!(fixture.server.token_count(), 2);
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["retire"][0]["value"], fixture.token_id.to_string(), "{json}");
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.retired, plan.retire);

    let all = Rotation::new().retire(Retire::All).plan(&target, &sink).await;
    assert_eq!(all.retire.len(), 2, "{all:?}");
}

#[tokio::test]
async fn a_plan_whose_credentials_fail_says_so_and_is_not_ready() {
    let fixture = EntuityFixture::start().await.unwrap();
    let wrong = entuity::Client::builder(&fixture.url).basic_auth("admin", "wrong").unwrap();
    let target =
        entuity::RotationTarget::new(wrong, entuity::NewAccessToken::for_user_name("guy2"));
    let plan = Rotation::new().plan(&target, &Memory::default()).await;
    assert!(!plan.is_ready());
    let failed = plan.checks.iter().find(|check| check.error.is_some()).unwrap();
    assert_eq!(failed.check, "credentials");
    assert!(failed.error.as_deref().unwrap().contains("401"), "{failed:?}");
}
