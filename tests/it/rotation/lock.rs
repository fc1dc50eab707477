//! One rotation into a sink at a time: two runs at once leave the application exactly one
//! working credential, in its file.

use std::time::Duration;

use access_tokens::entuity;
use access_tokens::rotation::{FileSink, Rotation, Sink as _, State, Step};
use access_tokens::testing::EntuityFixture;

use super::tempdir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_take_turns_and_leave_one_working_token_in_the_file() {
    let fixture = EntuityFixture::start().await.unwrap();
    let directory = tempdir("two-runs");
    let path = directory.join("guy2.token");
    let held = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    std::fs::write(&path, format!("{}\n", held.expose_secret())).unwrap();
    let target = entuity::RotationTarget::new(
        fixture.client.clone(),
        entuity::NewAccessToken::for_user_name("guy2"),
    );
    let (one, two) = (FileSink::new(&path), FileSink::new(&path));
    let rotation = Rotation::new();
    let (first, second) = tokio::join!(rotation.run(&target, &one), rotation.run(&target, &two));
    assert_eq!((first.state, second.state), (State::Rotated, State::Rotated), "{first}\n{second}");
    assert_ne!(first.new, second.new);
    let tokens = fixture.client.list_tokens().await.unwrap();
    assert_eq!(tokens.len(), 1, "one working token: {tokens:?}");
    assert_eq!(Some(tokens[0].token_value.clone()), one.current().await.unwrap(), "in the file");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_wait_for_the_lock_changes_nothing_and_says_why() {
    let fixture = EntuityFixture::start().await.unwrap();
    let directory = tempdir("held-lock");
    let path = directory.join("guy2.token");
    let target = entuity::RotationTarget::new(
        fixture.client.clone(),
        entuity::NewAccessToken::for_user_name("guy2"),
    );
    let sink = FileSink::new(&path);
    let held = sink.lock(Duration::ZERO).await.unwrap();
    let report = Rotation::new().lock_wait(Duration::from_millis(200)).run(&target, &sink).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    assert_eq!(report.failure().unwrap().0, Step::Lock);
    assert!(report.to_string().contains("another rotation into"), "{report}");
    assert_eq!(fixture.server.token_count(), 1, "nothing created");
    drop(held);
    let plan = Rotation::new().plan(&target, &sink).await;
    assert!(plan.is_ready(), "{plan:?}");
    std::fs::remove_dir_all(&directory).unwrap();
}
