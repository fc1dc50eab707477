//! The hook after promotion: it runs once the new secret is current and before anything is
//! retired; if it fails, nothing is retired, and the next run goes on from there.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use access_tokens::rotation::{Rotation, State, Step};
use access_tokens::testing::EntuityFixture;
use access_tokens::{Secret, entuity};

use super::{Memory, steps};

/// guy2's token held by the sink, and the target.
async fn rig() -> (EntuityFixture, Secret, Arc<Memory>, entuity::RotationTarget) {
    let fixture = EntuityFixture::start().await.unwrap();
    let held = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    let target = entuity::RotationTarget::new(
        fixture.client.clone(),
        entuity::NewAccessToken::for_user_name("guy2"),
    );
    (fixture, held.clone(), Arc::new(Memory::holding(&held)), target)
}

#[tokio::test]
async fn the_hook_runs_with_the_new_secret_current_and_the_old_one_alive() {
    let (fixture, held, sink, target) = rig().await;
    let seen = Arc::new(std::sync::Mutex::new(None));
    let (watched, server_count) = (sink.clone(), Arc::new(fixture.server));
    let (seen_in_hook, count) = (seen.clone(), server_count.clone());
    let rotation = Rotation::new().after_promote(move || {
        let (watched, seen, count) = (watched.clone(), seen_in_hook.clone(), count.clone());
        async move {
            *seen.lock().unwrap() = Some((watched.promoted(), count.token_count()));
            Ok(())
        }
    });
    let report = rotation.run(&target, &*sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    use Step::*;
    let order: Vec<Step> = steps(&report).into_iter().map(|(step, _)| step).collect();
    assert_eq!(
        order,
        [Lock, Prepare, Create, Store, Check, Promote, Hook, Retire, Confirm, Finish]
    );
    let (current, tokens) = seen.lock().unwrap().clone().unwrap();
    assert_ne!(current, Some(held), "the new secret was current");
    assert_eq!(tokens, 2, "and the old token not yet retired");
    assert_eq!(server_count.token_count(), 1);
}

#[tokio::test]
async fn a_failing_hook_retires_nothing_and_the_next_run_goes_on_from_there() {
    let (fixture, held, sink, target) = rig().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let hook = |fails: bool| {
        let calls = calls.clone();
        Rotation::new().after_promote(move || {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { if fails { Err("exit status 1".to_owned()) } else { Ok(()) } }
        })
    };
    let first = hook(true).run(&target, &*sink).await;
    assert_eq!(first.state, State::HookFailed, "{first}");
    assert_eq!(first.failure().unwrap().0, Step::Hook);
    assert!(
        first.to_string().ends_with("hook failed: the hook after promotion failed: exit status 1"),
        "{first}"
    );
    assert!(first.retired.is_empty());
    assert_eq!(fixture.server.token_count(), 2, "the old token works");
    let new = sink.promoted().unwrap();
    assert_ne!(new, held);

    let second = hook(false).run(&target, &*sink).await;
    assert_eq!(second.state, State::Rotated, "{second}");
    assert_eq!(second.steps[1].step, Step::Resume, "{second}");
    assert_eq!(second.new, first.new, "the same new token");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(second.retired.len(), 1);
    assert_eq!(fixture.server.token_count(), 1);
    assert_eq!(sink.promoted(), Some(new));
}
