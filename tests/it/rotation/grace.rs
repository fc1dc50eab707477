//! The grace window: the replaced credential keeps working until a later run retires it.

use std::time::{Duration, SystemTime};

use access_tokens::entuity;
use access_tokens::inventory::TokenId;
use access_tokens::rotation::{Rotation, State, Step};
use access_tokens::testing::EntuityFixture;

use super::{Memory, steps};

const HOUR: Duration = Duration::from_secs(3600);

/// guy2's token, held by the sink, and its rotation.
async fn rig() -> (EntuityFixture, entuity::RotationTarget, Memory) {
    let fixture = EntuityFixture::start().await.unwrap();
    let held = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    (fixture, target, Memory::holding(&held))
}

#[tokio::test]
async fn a_replaced_token_works_through_the_grace_window_and_is_retired_once_it_ends() {
    let (fixture, target, sink) = rig().await;
    // The ledger keeps times in milliseconds.
    let start = SystemTime::UNIX_EPOCH
        + Duration::from_secs(
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
        );
    let rotation = |at| Rotation::new().retire_after(HOUR).at(at);
    let old = TokenId::Vendor(fixture.token_id.to_string());

    let plan = rotation(start).plan(&target, &sink).await;
    assert_eq!((plan.retire.len(), plan.wait.len()), (0, 1), "{plan:?}");
    assert_eq!(plan.wait[0].id, old);

    let report = rotation(start).run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert!(report.retired.is_empty(), "{report}");
    assert_eq!(report.waiting.len(), 1);
    assert_eq!(report.waiting[0].id, old);
    assert_eq!(report.waiting[0].retire_at(), start + HOUR);
    assert!(report.to_string().contains("waiting: 17 until "), "{report}");
    assert_eq!(fixture.server.token_count(), 2, "both work for now");
    assert_eq!(sink.kept_ledger().waiting, report.waiting);

    let early = rotation(start + HOUR / 2).retire_due(&target, &sink).await;
    assert_eq!((early.state, early.retired.len()), (State::DueRetired, 0), "{early}");
    assert_eq!(fixture.server.token_count(), 2);

    let due = rotation(start + 2 * HOUR).retire_due(&target, &sink).await;
    assert_eq!(due.state, State::DueRetired, "{due}");
    assert_eq!(due.retired, [old]);
    use Step::*;
    assert_eq!(steps(&due), [(Lock, true), (RetireDue, true)]);
    assert_eq!(fixture.server.token_count(), 1);
    assert!(sink.kept_ledger().waiting.is_empty());
}

#[tokio::test]
async fn the_next_rotation_retires_what_is_due_first() {
    let (fixture, target, sink) = rig().await;
    let start = SystemTime::now();
    let first = Rotation::new().retire_after(HOUR).at(start).run(&target, &sink).await;
    assert_eq!(first.state, State::Rotated, "{first}");
    let second = Rotation::new().retire_after(HOUR).at(start + 2 * HOUR).run(&target, &sink).await;
    assert_eq!(second.state, State::Rotated, "{second}");
    assert_eq!(second.steps[1].step, Step::RetireDue, "{second}");
    assert_eq!(second.retired, [TokenId::Vendor(fixture.token_id.to_string())]);
    assert_eq!(second.waiting[0].id, first.new.unwrap(), "the first run's token waits now");
    assert_eq!(fixture.server.token_count(), 2);
}
