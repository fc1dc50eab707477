//! The file sink: the application's file kept as the application's (owner, group, mode, the
//! link it is reached by), replaced whole, with its pending file, ledger and lock beside it.

use std::io;
use std::time::Duration;

use access_tokens::Secret;
use access_tokens::entuity;
use access_tokens::inventory::{TokenId, Vendor};
use access_tokens::rotation::{FileSink, Ledger, NewCredential, Rotation, Sink, State, Step};
use access_tokens::testing::Fault;

use super::{all, assert_secret_free, entuity_with_two_tokens, steps, tempdir};

#[tokio::test]
async fn file_sink_keeps_the_pending_secret_apart_until_the_rotation_finishes() {
    let directory = tempdir("file-sink");
    let path = directory.join("token");
    std::fs::write(&path, "old\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let sink = FileSink::new(&path);
    assert_eq!(sink.pending_path().unwrap(), directory.join("token.pending"));
    assert_eq!(sink.pending().await.unwrap(), None);
    let secret = Secret::new("s3cr3t-value");
    let credential = NewCredential::new(access_tokens::inventory::Vendor::Entuity, None, &secret);
    sink.store(&credential).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n", "the current one untouched");
    assert_eq!(std::fs::read_to_string(sink.pending_path().unwrap()).unwrap(), "s3cr3t-value\n");
    assert_eq!(sink.pending().await.unwrap(), Some(secret.clone()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(sink.pending_path().unwrap()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640, "the file's mode, as the file it becomes");
    }
    let mut names: Vec<_> =
        std::fs::read_dir(&directory).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["token", "token.pending"], "no staged file left");

    for _ in 0..2 {
        sink.promote().await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cr3t-value\n");
        assert_eq!(sink.pending().await.unwrap(), Some(secret.clone()), "until finished");
    }
    for _ in 0..2 {
        sink.finish().await.unwrap();
        assert_eq!(sink.pending().await.unwrap(), None);
    }
    let names: Vec<_> =
        std::fs::read_dir(&directory).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["token"]);
    assert_eq!(sink.current().await.unwrap(), Some(secret.clone()));
    assert_eq!(sink.promote().await.unwrap_err().kind(), io::ErrorKind::NotFound);

    // A pending secret set aside is kept, out of the next store's way.
    sink.store(&credential).await.unwrap();
    sink.set_aside_pending().await.unwrap();
    assert_eq!(sink.pending().await.unwrap(), None);
    let rejected = directory.join("token.pending.rejected");
    assert_eq!(std::fs::read_to_string(&rejected).unwrap(), "s3cr3t-value\n");
    std::fs::remove_file(rejected).unwrap();

    let missing = FileSink::new(directory.join("no such directory").join("token"));
    let error = missing.store(&credential).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(!error.to_string().contains("s3cr3t"));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn entuity_rotation_stopped_after_the_store_resumes_from_the_pending_file() {
    let (fixture, _) = entuity_with_two_tokens().await;
    let directory = tempdir("resume");
    let path = directory.join("guy2");
    std::fs::write(&path, "the old token\n").unwrap();
    let sink = FileSink::new(&path);
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    // Calls: list, create, then the check's get fails.
    fixture.server.inject_at(3, Fault::Status(500));
    let first = all().run(&target, &sink).await;
    assert_eq!(first.state, State::CheckFailed, "{first}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "the old token\n");
    let pending = sink.pending().await.unwrap().expect("the new secret is pending");
    assert_eq!(fixture.server.token_count(), 3);

    let second = all().run(&target, &sink).await;
    assert_eq!(second.state, State::Rotated, "{second}");
    use Step::*;
    let resumed = [Lock, Resume, Check, Promote, Retire, Confirm, Finish].map(|s| (s, true));
    assert_eq!(steps(&second), resumed);
    assert_eq!(second.new, first.new, "the same token, not another");
    assert_eq!(fixture.server.token_count(), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", pending.expose_secret()));
    assert_eq!(sink.pending().await.unwrap(), None);
    assert_eq!(fixture.client.list_tokens().await.unwrap()[0].token_value, pending);
    assert_secret_free(&second, &[&pending]);
    std::fs::remove_dir_all(&directory).unwrap();
}

#[cfg(unix)]
fn attributes(path: &std::path::Path) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = std::fs::metadata(path).unwrap();
    (metadata.mode() & 0o7777, metadata.uid(), metadata.gid())
}

/// A group other than the file's that a test can give it: as root (who makes the files here),
/// `daemon`'s; as another user, none, and that part is left out.
#[cfg(unix)]
fn other_group(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    (std::fs::metadata(path).unwrap().uid() == 0).then_some(1)
}

#[cfg(unix)]
#[tokio::test]
async fn an_existing_files_owner_group_and_mode_are_kept_for_it_and_its_pending_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let directory = tempdir("keep-attributes");
    let path = directory.join("app.token");
    std::fs::write(&path, "old\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let group = other_group(&path);
    if let Some(gid) = group {
        std::os::unix::fs::chown(&path, None, Some(gid)).unwrap();
    }
    let before = attributes(&path);
    let sink = FileSink::new(&path);
    sink.check().await.unwrap();
    let secret = Secret::new("n3w-value");
    sink.store(&NewCredential::new(Vendor::Entuity, None, &secret)).await.unwrap();
    assert_eq!(attributes(&sink.pending_path().unwrap()), before, "the pending file too");
    sink.promote().await.unwrap();
    assert_eq!(attributes(&path), before, "0640, and its group, as the application reads it");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "n3w-value\n");
    sink.save_ledger(&Ledger::default()).await.unwrap();
    assert_eq!(attributes(&sink.ledger_path().unwrap()), before);
    assert!(sink.describe().contains("mode 0640"), "{}", sink.describe());
    std::fs::remove_dir_all(&directory).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_file_is_0600_unless_the_sink_sets_its_mode_and_group() {
    let directory = tempdir("new-attributes");
    let secret = Secret::new("n3w-value");
    let credential = NewCredential::new(Vendor::Entuity, None, &secret);
    let plain = FileSink::new(directory.join("plain"));
    plain.store(&credential).await.unwrap();
    plain.promote().await.unwrap();
    assert_eq!(attributes(&directory.join("plain")).0, 0o600);
    let path = directory.join("shared");
    let mut sink = FileSink::new(&path).mode(0o640);
    if let Some(gid) = other_group(&directory) {
        sink = sink.group(gid);
    }
    sink.store(&credential).await.unwrap();
    sink.promote().await.unwrap();
    let (mode, _, gid) = attributes(&path);
    assert_eq!(mode, 0o640);
    if let Some(wanted) = other_group(&directory) {
        assert_eq!(gid, wanted);
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_is_followed_and_the_file_it_points_to_replaced_in_its_own_directory() {
    let directory = tempdir("link");
    std::fs::create_dir(directory.join("data")).unwrap();
    let real = directory.join("data").join("token");
    std::fs::write(&real, "old\n").unwrap();
    let link = directory.join("app.token");
    std::os::unix::fs::symlink("data/token", &link).unwrap();
    let sink = FileSink::new(&link);
    assert_eq!(sink.file().unwrap(), directory.join("data/token"));
    assert_eq!(sink.pending_path().unwrap(), directory.join("data/token.pending"));
    let secret = Secret::new("n3w-value");
    sink.store(&NewCredential::new(Vendor::Entuity, None, &secret)).await.unwrap();
    sink.promote().await.unwrap();
    sink.finish().await.unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
    assert_eq!(std::fs::read_to_string(&link).unwrap(), "n3w-value\n");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "n3w-value\n");
    assert_eq!(sink.current().await.unwrap(), Some(secret));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn a_path_the_sink_cannot_keep_is_refused_by_its_check_saying_why() {
    let directory = tempdir("refused");
    let error = FileSink::new(directory.join("missing").join("token")).check().await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
    assert!(error.to_string().contains("missing"), "{error}");
    std::fs::create_dir(directory.join("token")).unwrap();
    let error = FileSink::new(directory.join("token")).check().await.unwrap_err();
    assert!(error.to_string().ends_with("is a directory"), "{error}");
    #[cfg(unix)]
    {
        let link = directory.join("dangling");
        std::os::unix::fs::symlink("nowhere/token", &link).unwrap();
        let error = FileSink::new(&link).check().await.unwrap_err();
        assert!(error.to_string().contains("nowhere"), "{error}");
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn a_sink_refused_by_its_check_stops_the_rotation_before_anything_is_created() {
    let (fixture, _) = entuity_with_two_tokens().await;
    let directory = tempdir("refused-rotation");
    let sink = FileSink::new(directory.join("missing").join("token"));
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let report = Rotation::new().run(&target, &sink).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    assert_eq!(report.failure().unwrap().0, Step::Lock, "{report}");
    assert_eq!(fixture.server.token_count(), 2, "nothing created");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn a_sinks_lock_is_held_by_one_rotation_at_a_time() {
    let directory = tempdir("lock");
    let sink = FileSink::new(directory.join("token"));
    let held = sink.lock(Duration::ZERO).await.unwrap();
    let error = sink.lock(Duration::from_millis(120)).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
    assert!(error.to_string().starts_with("another rotation into"), "{error}");
    drop(held);
    drop(sink.lock(Duration::ZERO).await.unwrap());
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn the_ledger_is_kept_beside_the_file_without_a_secret() {
    let (fixture, _) = entuity_with_two_tokens().await;
    let directory = tempdir("ledger");
    let path = directory.join("guy2");
    let old = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
    std::fs::write(&path, format!("{}\n", old.expose_secret())).unwrap();
    let sink = FileSink::new(&path);
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let report = Rotation::new().retire_after(Duration::from_secs(3600)).run(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    let text = std::fs::read_to_string(sink.ledger_path().unwrap()).unwrap();
    let ledger = Ledger::from_json(&text).unwrap();
    assert_eq!(ledger.current, report.new);
    assert_eq!(ledger.waiting[0].id, TokenId::Vendor(fixture.token_id.to_string()));
    let new = sink.current().await.unwrap().unwrap();
    for secret in [&old, &new] {
        assert!(!text.contains(secret.expose_secret()), "{text}");
    }
    assert_eq!(sink.ledger().await.unwrap(), ledger);
    std::fs::remove_dir_all(&directory).unwrap();
}
