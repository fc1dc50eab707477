//! The new credential is no weaker than the old: it keeps the replaced one's lifetime (or the
//! configured one, cut to a maximum), and never becomes endless without a word.

use std::time::{Duration, SystemTime};

use access_tokens::entuity;
use access_tokens::inventory::Moment;
use access_tokens::rotation::{Notice, Rotation, State};
use access_tokens::testing::EntuityFixture;
use access_tokens::{Expiry, Secret};

use super::Memory;

const DAY: Duration = Duration::from_secs(86_400);

/// guy2's token expiring `after` from now (or never), held by the sink, and the target.
async fn rig(after: Option<Duration>) -> (EntuityFixture, Memory, entuity::RotationTarget) {
    let fixture = EntuityFixture::start().await.unwrap();
    let mut request = entuity::NewAccessToken::for_user_name("guy2");
    if let Some(after) = after {
        request = request.expiring_at(SystemTime::now() + after);
    }
    let held: Secret = fixture.client.create_token(&request).await.unwrap().token_value;
    let target = entuity::RotationTarget::new(
        fixture.client.clone(),
        entuity::NewAccessToken::for_user_name("guy2"),
    );
    (fixture, Memory::holding(&held), target)
}

/// The new token's expiry as the server lists it, and as the report states it.
async fn expiry(
    fixture: &EntuityFixture,
    sink: &Memory,
    report: &access_tokens::rotation::Report,
) -> Option<Expiry> {
    let new = sink.promoted().unwrap();
    let tokens = fixture.client.list_tokens().await.unwrap();
    let listed = tokens.iter().find(|token| token.token_value == new).unwrap().expiry();
    assert_eq!(report.new_expires, Some(Moment::from(listed)), "{report}");
    listed
}

/// Whether `expiry` is `span` from now, to the minute.
fn about(expiry: Option<Expiry>, span: Duration) -> bool {
    let Some(Expiry::At(at)) = expiry else { return false };
    let wanted = SystemTime::now() + span;
    let off = at.duration_since(wanted).or_else(|_| wanted.duration_since(at)).unwrap();
    off < Duration::from_secs(60)
}

#[tokio::test]
async fn the_new_token_lives_as_long_as_the_one_it_replaces() {
    let (fixture, sink, target) = rig(Some(5 * DAY)).await;
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    let expires = expiry(&fixture, &sink, &report).await;
    assert!(about(expires, 5 * DAY), "{expires:?}");
    assert!(report.to_string().contains(", expires 20"), "{report}");
    assert!(report.notices.is_empty());
}

#[tokio::test]
async fn a_configured_lifetime_wins_and_a_maximum_cuts_it() {
    let (fixture, sink, target) = rig(Some(5 * DAY)).await;
    let report = Rotation::new().lifetime(30 * DAY).run(&target, &sink).await;
    assert!(about(expiry(&fixture, &sink, &report).await, 30 * DAY));
    let report = Rotation::new().lifetime(30 * DAY).max_lifetime(7 * DAY).run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert!(about(expiry(&fixture, &sink, &report).await, 7 * DAY));
}

#[tokio::test]
async fn an_endless_token_is_replaced_by_an_endless_one_and_a_maximum_gives_it_an_end() {
    let (fixture, sink, target) = rig(None).await;
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(expiry(&fixture, &sink, &report).await, Some(Expiry::Never));
    assert!(report.notices.is_empty(), "not weaker than the old: {report}");
    let report = Rotation::new().max_lifetime(90 * DAY).run(&target, &sink).await;
    assert!(about(expiry(&fixture, &sink, &report).await, 90 * DAY));
}

#[tokio::test]
async fn a_token_whose_lifetime_is_unknown_is_made_endless_only_with_a_word() {
    let (fixture, _, target) = rig(Some(5 * DAY)).await;
    // A sink that holds nothing yet: the rotation cannot tell what it replaces.
    let sink = Memory::default();
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.notices, [Notice::NothingHeld, Notice::NoLifetime]);
    assert!(report.to_string().contains("never expires"), "{report}");
    assert_eq!(expiry(&fixture, &sink, &report).await, Some(Expiry::Never));
}
