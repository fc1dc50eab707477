//! `access_tokens::rotation`: rotations of every vendor's credentials over the wire against
//! the simulators, with the failure of every step, and revocation of a leaked token.

use std::io;
use std::sync::Mutex;
use std::time::Duration;

use access_tokens::inventory::TokenId;
use access_tokens::rotation::{self, FileSink, Leaked, NewCredential, Report, Sink, State, Step};
use access_tokens::testing::{BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, bamboo, entuity, insight, magpie};

/// A sink that keeps what it is given, pending until promoted, or refuses to store or promote.
#[derive(Default)]
struct Memory {
    stored: Mutex<Vec<Secret>>,
    pending: Mutex<Option<Secret>>,
    current: Mutex<Option<Secret>>,
    refuse: bool,
    refuse_promote: bool,
}

impl Memory {
    fn refusing() -> Self {
        Self { refuse: true, ..Self::default() }
    }

    /// The one secret stored; panics unless there is exactly one.
    fn only(&self) -> Secret {
        let stored = self.stored.lock().unwrap();
        assert_eq!(stored.len(), 1, "one secret stored");
        stored[0].clone()
    }

    /// How many secrets were stored.
    fn count(&self) -> usize {
        self.stored.lock().unwrap().len()
    }

    /// The secret promoted last.
    fn current(&self) -> Option<Secret> {
        self.current.lock().unwrap().clone()
    }
}

impl Sink for Memory {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        if self.refuse {
            return Err(io::Error::other("vault sealed"));
        }
        self.stored.lock().unwrap().push(credential.secret.clone());
        *self.pending.lock().unwrap() = Some(credential.secret.clone());
        Ok(())
    }

    async fn promote(&self) -> io::Result<()> {
        if self.refuse_promote {
            return Err(io::Error::other("vault read-only"));
        }
        let pending = self.pending.lock().unwrap().clone();
        *self.current.lock().unwrap() = Some(pending.expect("a pending secret"));
        Ok(())
    }

    async fn finish(&self) -> io::Result<()> {
        *self.pending.lock().unwrap() = None;
        Ok(())
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        Ok(self.pending.lock().unwrap().clone())
    }
}

/// A sink that, when handed the new secret, records how many tokens the server holds then.
struct Counting<F: Fn() -> usize + Sync> {
    count: F,
    seen: Mutex<Option<usize>>,
}

impl<F: Fn() -> usize + Sync> Sink for Counting<F> {
    async fn store(&self, _: &NewCredential<'_>) -> io::Result<()> {
        *self.seen.lock().unwrap() = Some((self.count)());
        Ok(())
    }
}

/// Asserts that the report, however shown, holds none of `secrets`.
fn assert_secret_free(report: &Report, secrets: &[&Secret]) {
    let shown =
        [format!("{report}"), format!("{report:?}"), serde_json::to_string(report).unwrap()];
    for secret in secrets {
        for text in &shown {
            assert!(!text.contains(secret.expose_secret()), "a secret in {text}");
        }
    }
}

fn steps(report: &Report) -> Vec<(Step, bool)> {
    report.steps.iter().map(|s| (s.step, s.failure.is_none())).collect()
}

fn is(status: u16) -> impl Fn(&access_tokens::Error) -> bool {
    move |error| error.status().map(|s| s.as_u16()) == Some(status)
}

// Magpie: a service account's tokens, found by listing before and after the create.

async fn magpie() -> (MagpieFixture, Vec<Secret>) {
    let fixture = MagpieFixture::start().await.unwrap();
    let old: Vec<Secret> =
        (0..2).map(|_| fixture.server.add_access_token("ci@example.com").1).collect();
    (fixture, old)
}

/// Whether `secret` logs in to Magpie.
async fn magpie_works(fixture: &MagpieFixture, secret: &Secret) -> bool {
    let login = magpie::Login::personal_access_token(secret.clone());
    magpie::Client::builder(&fixture.url).login(login).await.is_ok()
}

#[tokio::test]
async fn magpie_rotation_stores_the_new_token_then_deletes_the_old_ones() {
    let (fixture, old) = magpie().await;
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    use Step::*;
    let all_ok =
        [List, Create, Store, Identify, Check, Promote, Retire, Confirm, Finish].map(|s| (s, true));
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
    let (report, ()) = tokio::join!(rotation::rotate(&target, &sink), async {
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
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(fixture.server.token_count("ci@example.com"), 1);
    assert!(magpie_works(&fixture, &sink.current().unwrap()).await);
}

#[tokio::test]
async fn magpie_create_whose_answer_was_lost_is_retired_by_the_next_run() {
    let (fixture, old) = magpie().await;
    // The server creates the token, and the answer does not arrive intact.
    fixture.server.inject_at(2, Fault::TruncatedBody);
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    assert_eq!(sink.count(), 0);
    assert_eq!(fixture.server.token_count("ci@example.com"), 3, "an unknown token is alive");
    assert!(magpie_works(&fixture, &old[0]).await);
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 3, "the lost one too");
    assert_eq!(fixture.server.token_count("ci@example.com"), 1);
    assert!(magpie_works(&fixture, &sink.only()).await);
}

#[tokio::test]
async fn magpie_sink_failure_deletes_the_new_token_and_keeps_the_old_ones() {
    let (fixture, old) = magpie().await;
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let report = rotation::rotate(&target, &Memory::refusing()).await;
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    assert_eq!(report.failure().unwrap().1.to_string(), "the sink failed: vault sealed");
    assert_eq!(fixture.server.token_count("ci@example.com"), 2);
    assert!(magpie_works(&fixture, &old[0]).await && magpie_works(&fixture, &old[1]).await);
}

#[tokio::test]
async fn magpie_failed_retirement_converges_on_the_next_run() {
    let (fixture, old) = magpie().await;
    // Calls: list, create, identify, check, scope, then the first delete fails.
    fixture.server.inject_at(6, Fault::Status(500));
    let target = magpie::RotationTarget::service_account(fixture.admin.clone(), "ci@example.com");
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::PartlyRetired, "{report}");
    assert_eq!(report.retired.len(), 1);
    assert!(magpie_works(&fixture, &sink.only()).await);
    assert_eq!(fixture.server.token_count("ci@example.com"), 2);
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(fixture.server.token_count("ci@example.com"), 1);
    assert!(magpie_works(&fixture, &sink.current().unwrap()).await);
    assert_secret_free(&report, &[&sink.current().unwrap(), &old[0], &old[1]]);
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
    let report = rotation::rotate(&target, &sink).await;
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
    // Calls: create, then the check's list fails.
    fixture.server.inject_at(2, Fault::Status(500));
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::CheckFailed, "{report}");
    assert!(is(500)(match report.failure().unwrap().1 {
        rotation::Failure::Vendor(error) => error,
        other => panic!("{other}"),
    }));
    let tokens = fixture.server.tokens();
    assert!(tokens.iter().any(|t| t.uuid == old.uuid && t.read && t.change), "old one untouched");
    assert_eq!(sink.count(), 1);
    assert_eq!(sink.current(), None, "not promoted");
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(steps(&report)[0], (Step::Resume, true));
    assert_eq!(sink.count(), 1, "resumed with the pending token, none created");
    let working: Vec<_> =
        fixture.server.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(working.len(), 1);
    assert_eq!(working[0].uuid, sink.only());
    assert_eq!(sink.current(), Some(sink.only()));
}

#[tokio::test]
async fn bamboo_pending_token_that_can_do_nothing_is_not_resumed() {
    let fixture = BambooFixture::start().await.unwrap();
    fixture.server.add_token("deploy", true, true);
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    // The check's list fails; then someone takes the pending token's permissions away.
    fixture.server.inject_at(2, Fault::Status(500));
    let sink = Memory::default();
    assert_eq!(rotation::rotate(&target, &sink).await.state, State::CheckFailed);
    let pending = fixture.server.tokens().into_iter().find(|t| t.uuid == sink.only()).unwrap();
    fixture
        .client
        .update_token(&bamboo::Token { read: false, change: false, ..pending })
        .await
        .unwrap();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(sink.count(), 2, "a new one created");
    let working: Vec<_> =
        fixture.server.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(working.len(), 1);
    assert_eq!(Some(working[0].uuid.clone()), sink.current());
}

#[tokio::test]
async fn a_pending_token_that_expired_is_retired_and_the_rerun_creates_another() {
    let (fixture, _) = entuity().await;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    // Calls: create, then the check's get fails.
    fixture.server.inject_at(2, Fault::Status(500));
    let sink = Memory::default();
    assert_eq!(rotation::rotate(&target, &sink).await.state, State::CheckFailed);
    let tokens = fixture.client.list_tokens().await.unwrap();
    let pending = tokens.iter().find(|t| t.token_value == sink.only()).unwrap().token_id;
    let expired = entuity::AccessTokenUpdate { expiry_time_sec: Some(1), ..Default::default() };
    fixture.client.update_token(pending, &expired).await.unwrap();

    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    use Step::*;
    let afresh = [Resume, Check, Create, Store, Identify, Check, Promote, Retire, Confirm, Finish];
    let failed_check = |(index, step): (usize, Step)| (step, index != 1);
    assert_eq!(
        steps(&report),
        afresh.into_iter().enumerate().map(failed_check).collect::<Vec<_>>()
    );
    assert_eq!(sink.count(), 2, "a second token created");
    assert!(report.retired.contains(&TokenId::Vendor(pending.to_string())), "{report}");
    let now = fixture.client.list_tokens().await.unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(Some(now[0].token_value.clone()), sink.current());
}

#[tokio::test]
async fn a_sink_that_cannot_promote_stops_the_rotation_before_anything_is_retired() {
    let fixture = BambooFixture::start().await.unwrap();
    let old = fixture.server.add_token("deploy", true, true);
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory { refuse_promote: true, ..Memory::default() };
    let report = rotation::rotate(&target, &sink).await;
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
    let report = rotation::rotate(&target, &Memory::refusing()).await;
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    let working: Vec<_> =
        fixture.server.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(working.len(), 1);
    assert_eq!(working[0].uuid, old.uuid);
}

// Entuity: a user's tokens, deleted.

async fn entuity() -> (EntuityFixture, i64) {
    let fixture = EntuityFixture::start().await.unwrap();
    let second = fixture
        .client
        .create_token(&entuity::NewAccessToken::for_user_name("guy2"))
        .await
        .unwrap()
        .token_id;
    (fixture, second)
}

#[tokio::test]
async fn entuity_rotation_deletes_the_users_old_tokens() {
    let (fixture, second) = entuity().await;
    fixture.server.add_user("other", "x");
    let others = fixture
        .client
        .create_token(&entuity::NewAccessToken::for_user_name("other"))
        .await
        .unwrap();
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
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
    let (fixture, _) = entuity().await;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    let sink = Counting { count: || fixture.server.token_count(), seen: Mutex::new(None) };
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(*sink.seen.lock().unwrap(), Some(3), "both old tokens and the new one");
    assert_eq!(fixture.server.token_count(), 1);
}

#[tokio::test]
async fn entuity_create_whose_answer_never_came_is_retired_by_the_next_run() {
    let (fixture, _) = entuity().await;
    let client = entuity::Client::builder(&fixture.url)
        .timeout(Duration::from_millis(300))
        .basic_auth("admin", "pw")
        .unwrap();
    fixture.server.inject_at(1, Fault::AnswerLost);
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(client, template);
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::NotCreated, "{report}");
    assert_eq!(fixture.server.token_count(), 3, "the server created it");
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert_eq!(report.retired.len(), 3);
    assert_eq!(fixture.server.token_count(), 1);
    assert_eq!(fixture.client.list_tokens().await.unwrap()[0].token_value, sink.only());
}

#[tokio::test]
async fn entuity_failed_confirmation_is_reported_and_the_next_run_converges() {
    let (fixture, _) = entuity().await;
    // Calls: create, check, scope, two deletes, then the confirmation's list fails.
    fixture.server.inject_at(6, Fault::Status(503));
    let client = entuity::Client::builder(&fixture.url)
        .retry(access_tokens::RetryPolicy::NEVER)
        .basic_auth("admin", "pw")
        .unwrap();
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(client, template);
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Unconfirmed, "{report}");
    assert_eq!(report.failure().unwrap().0, Step::Confirm);
    let report = rotation::rotate(&target, &sink).await;
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

async fn insight_works(builder: &insight::ClientBuilder, secret: &Secret) -> bool {
    builder.api_token(secret.clone()).unwrap().list_tokens().await.is_ok()
}

#[tokio::test]
async fn insight_rotation_revokes_the_old_token_and_sees_it_refused() {
    let (fixture, target, builder) = insight().await;
    let old = fixture.client.api_token();
    let sink = Memory::default();
    let report = rotation::rotate(&target, &sink).await;
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
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Unconfirmed, "{report}");
    let id = TokenId::fingerprint(access_tokens::inventory::Vendor::Insight, &old);
    assert_eq!(
        report.failure().unwrap().1.to_string(),
        format!("still alive after retirement: {id}")
    );
    assert!(insight_works(&builder, &old).await && insight_works(&builder, &sink.only()).await);
    let report = rotation::rotate(&target, &sink).await;
    assert_eq!(report.state, State::Rotated, "{report}");
    assert!(!insight_works(&builder, &old).await);
}

#[tokio::test]
async fn insight_sink_failure_revokes_the_new_token() {
    let (fixture, target, builder) = insight().await;
    let report = rotation::rotate(&target, &Memory::refusing()).await;
    assert_eq!(report.state, State::NotStored { new_retired: true }, "{report}");
    assert_eq!(fixture.server.token_count(), 1);
    assert!(insight_works(&builder, &fixture.client.api_token()).await);
}

// The file sink.

#[tokio::test]
async fn file_sink_keeps_the_pending_secret_apart_until_the_rotation_finishes() {
    let directory = tempdir("file-sink");
    let path = directory.join("token");
    std::fs::write(&path, "old\n").unwrap();
    let sink = FileSink::new(&path);
    assert_eq!(sink.pending_path(), directory.join("token.pending"));
    assert_eq!(sink.pending().await.unwrap(), None);
    let secret = Secret::new("s3cr3t-value");
    let credential = NewCredential::new(access_tokens::inventory::Vendor::Entuity, None, &secret);
    sink.store(&credential).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n", "the current one untouched");
    assert_eq!(std::fs::read_to_string(sink.pending_path()).unwrap(), "s3cr3t-value\n");
    assert_eq!(sink.pending().await.unwrap(), Some(secret.clone()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(sink.pending_path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
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
    assert_eq!(sink.promote().await.unwrap_err().kind(), io::ErrorKind::NotFound);

    let missing = FileSink::new(directory.join("no such directory").join("token"));
    let error = missing.store(&credential).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(!error.to_string().contains("s3cr3t"));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn entuity_rotation_stopped_after_the_store_resumes_from_the_pending_file() {
    let (fixture, _) = entuity().await;
    let directory = tempdir("resume");
    let path = directory.join("guy2");
    std::fs::write(&path, "the old token\n").unwrap();
    let sink = FileSink::new(&path);
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let target = entuity::RotationTarget::new(fixture.client.clone(), template);
    // Calls: create, then the check's get fails.
    fixture.server.inject_at(2, Fault::Status(500));
    let first = rotation::rotate(&target, &sink).await;
    assert_eq!(first.state, State::CheckFailed, "{first}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "the old token\n");
    let pending = sink.pending().await.unwrap().expect("the new secret is pending");
    assert_eq!(fixture.server.token_count(), 3);

    let second = rotation::rotate(&target, &sink).await;
    assert_eq!(second.state, State::Rotated, "{second}");
    use Step::*;
    let resumed = [Resume, Check, Promote, Retire, Confirm, Finish].map(|s| (s, true));
    assert_eq!(steps(&second), resumed);
    assert_eq!(second.new, first.new, "the same token, not another");
    assert_eq!(fixture.server.token_count(), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", pending.expose_secret()));
    assert_eq!(sink.pending().await.unwrap(), None);
    assert_eq!(fixture.client.list_tokens().await.unwrap()[0].token_value, pending);
    assert_secret_free(&second, &[&pending]);
    std::fs::remove_dir_all(&directory).unwrap();
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let directory =
        std::env::temp_dir().join(format!("access-tokens-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

// Revoking a leaked token by its value.

#[tokio::test]
async fn a_leaked_entuity_token_is_found_by_value_deleted_and_confirmed() {
    let (fixture, second) = entuity().await;
    let leaked = fixture.client.get_token(second).await.unwrap().token_value;
    let found = rotation::revoke_leaked(&fixture.client, &leaked).await.unwrap();
    assert_eq!(found, Leaked::Revoked(TokenId::Vendor(second.to_string())));
    assert!(is(404)(&fixture.client.get_token(second).await.unwrap_err()));
    assert_eq!(fixture.server.token_count(), 1);
    let again = rotation::revoke_leaked(&fixture.client, &leaked).await.unwrap();
    assert_eq!(again, Leaked::NotFound);
    assert!(
        !format!("{found:?} {}", serde_json::to_string(&found).unwrap())
            .contains(leaked.expose_secret())
    );
}

#[tokio::test]
async fn a_leaked_bamboo_uuid_loses_its_permissions() {
    let fixture = BambooFixture::start().await.unwrap();
    let leaked = fixture.server.add_token("deploy", true, true);
    let kept = fixture.server.add_token("deploy", true, true);
    let found = rotation::revoke_leaked(&fixture.client, &leaked.uuid).await.unwrap();
    let id = TokenId::fingerprint(access_tokens::inventory::Vendor::Bamboo, &leaked.uuid);
    assert_eq!(found, Leaked::Revoked(id));
    let tokens = fixture.server.tokens();
    assert!(tokens.iter().any(|t| t.uuid == leaked.uuid && !t.read && !t.change));
    assert!(tokens.iter().any(|t| t.uuid == kept.uuid && t.read && t.change));
}

#[tokio::test]
async fn a_leaked_insight_token_is_revoked_and_refused_afterwards() {
    let (fixture, _, builder) = insight().await;
    let leaked = fixture.client.api_token();
    let found = rotation::revoke_leaked(&builder, &leaked).await.unwrap();
    assert!(matches!(found, Leaked::Revoked(TokenId::Fingerprint(_))));
    assert!(!insight_works(&builder, &leaked).await);
    assert_eq!(rotation::revoke_leaked(&builder, &leaked).await.unwrap(), Leaked::NotFound);
}

#[tokio::test]
async fn magpie_lists_no_values_so_a_leak_gives_the_candidates() {
    let fixture = MagpieFixture::start().await.unwrap();
    let (_, leaked) = fixture.server.add_access_token("ada@example.com");
    let found = rotation::revoke_leaked(&fixture.client, &leaked).await.unwrap();
    let Leaked::Candidates(candidates) = found else { panic!("{found:?}") };
    assert_eq!(candidates.len(), 2);
    assert_eq!(fixture.server.token_count("ada@example.com"), 2, "nothing revoked");
}

// Every step of every vendor, failing.

/// Each rig's clients give up on an answer after this, so that `Fault::AnswerLost` ends a call.
const PATIENCE: Duration = Duration::from_millis(300);

/// The targets whose rotations are failed call by call.
const RIGS: [&str; 6] = [
    "magpie service account",
    "magpie personal",
    "bamboo",
    "entuity",
    "insight session",
    "insight credentials",
];

/// One target on its simulator, with the old credentials the test made, and clients that
/// neither retry nor wait past [`PATIENCE`], so that a fault ends exactly the call it hits.
struct Rig {
    old: Vec<Secret>,
    kind: Kind,
}

#[allow(clippy::large_enum_variant, reason = "one lives per test case, never in a collection")]
enum Kind {
    Magpie { fixture: MagpieFixture, target: magpie::RotationTarget, owner: &'static str },
    Bamboo { fixture: BambooFixture, target: bamboo::RotationTarget },
    Entuity { fixture: EntuityFixture, target: entuity::RotationTarget },
    Insight { fixture: InsightFixture, target: insight::RotationTarget },
}

macro_rules! impatient {
    ($builder:expr) => {
        $builder.timeout(PATIENCE).retry(access_tokens::RetryPolicy::NEVER)
    };
}

impl Rig {
    async fn start(name: &str) -> Self {
        match name {
            "magpie service account" | "magpie personal" => {
                let fixture = MagpieFixture::start().await.unwrap();
                // Who holds the tokens, and who logs in to rotate them (the fixtures' "pw").
                let (owner, manager) = match name {
                    "magpie personal" => ("ada@example.com", "ada@example.com"),
                    _ => ("ci@example.com", "root@example.com"),
                };
                let old = (0..2).map(|_| fixture.server.add_access_token(owner).1).collect();
                let client = impatient!(magpie::Client::builder(&fixture.url))
                    .login(magpie::Login::password(manager, "pw"))
                    .await
                    .unwrap();
                let target = match name {
                    "magpie personal" => magpie::RotationTarget::personal(client),
                    _ => magpie::RotationTarget::service_account(client, owner),
                };
                Self { old, kind: Kind::Magpie { fixture, target, owner } }
            }
            "bamboo" => {
                let fixture = BambooFixture::start().await.unwrap();
                let old =
                    (0..2).map(|_| fixture.server.add_token("deploy", true, true).uuid).collect();
                let token = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
                let client =
                    impatient!(bamboo::Client::builder(&fixture.url)).basic_auth("admin", "pw");
                let target = bamboo::RotationTarget::new(client.unwrap(), token);
                Self { old, kind: Kind::Bamboo { fixture, target } }
            }
            "entuity" => {
                let (fixture, _) = entuity().await;
                let tokens = fixture.client.list_tokens().await.unwrap();
                let old = tokens.into_iter().map(|t| t.token_value).collect();
                let token = entuity::NewAccessToken::for_user_name("guy2");
                let client =
                    impatient!(entuity::Client::builder(&fixture.url)).basic_auth("admin", "pw");
                let target = entuity::RotationTarget::new(client.unwrap(), token);
                Self { old, kind: Kind::Entuity { fixture, target } }
            }
            _ => {
                let fixture = InsightFixture::start().await.unwrap();
                let old = vec![fixture.client.api_token()];
                let builder = || impatient!(insight::Client::builder(&fixture.url));
                let target = match name {
                    "insight session" => insight::RotationTarget::by_session(
                        builder(),
                        builder().session_cookie(fixture.server.browser_session("ada")).unwrap(),
                    ),
                    _ => insight::RotationTarget::by_credentials(
                        builder(),
                        insight::Credentials::password("ada", "pw"),
                    ),
                };
                Self { old, kind: Kind::Insight { fixture, target } }
            }
        }
    }

    async fn rotate(&self, sink: &Memory) -> Report {
        match &self.kind {
            Kind::Magpie { target, .. } => rotation::rotate(target, sink).await,
            Kind::Bamboo { target, .. } => rotation::rotate(target, sink).await,
            Kind::Entuity { target, .. } => rotation::rotate(target, sink).await,
            Kind::Insight { target, .. } => rotation::rotate(target, sink).await,
        }
    }

    fn inject_at(&self, call: usize, fault: Fault) {
        match &self.kind {
            Kind::Magpie { fixture, .. } => fixture.server.inject_at(call, fault),
            Kind::Bamboo { fixture, .. } => fixture.server.inject_at(call, fault),
            Kind::Entuity { fixture, .. } => fixture.server.inject_at(call, fault),
            Kind::Insight { fixture, .. } => fixture.server.inject_at(call, fault),
        }
    }

    /// How many requests its simulator has received.
    fn requests(&self) -> usize {
        match &self.kind {
            Kind::Magpie { fixture, .. } => fixture.server.requests(),
            Kind::Bamboo { fixture, .. } => fixture.server.requests(),
            Kind::Entuity { fixture, .. } => fixture.server.requests(),
            Kind::Insight { fixture, .. } => fixture.server.requests(),
        }
    }

    /// How many calls a rotation of a fresh rig makes, when nothing fails.
    async fn calls_of_a_clean_rotation(name: &str) -> usize {
        let rig = Self::start(name).await;
        let before = rig.requests();
        let report = rig.rotate(&Memory::default()).await;
        assert_eq!(report.state, State::Rotated, "{name}: {report}");
        rig.requests() - before
    }

    /// Whether `secret` is a working credential of the target.
    async fn works(&self, secret: &Secret) -> bool {
        match &self.kind {
            Kind::Magpie { fixture, .. } => magpie_works(fixture, secret).await,
            Kind::Bamboo { fixture, .. } => {
                fixture.server.tokens().iter().any(|t| t.uuid == *secret && (t.read || t.change))
            }
            Kind::Entuity { fixture, .. } => {
                let tokens = fixture.client.list_tokens().await.unwrap();
                tokens.iter().any(|t| t.token_value == *secret)
            }
            Kind::Insight { fixture, .. } => {
                insight_works(&insight::Client::builder(&fixture.url), secret).await
            }
        }
    }

    /// How many credentials of the target are alive, known to the test or not.
    fn alive(&self) -> usize {
        match &self.kind {
            Kind::Magpie { fixture, owner, .. } => fixture.server.token_count(owner),
            Kind::Bamboo { fixture, .. } => {
                fixture.server.tokens().iter().filter(|t| t.read || t.change).count()
            }
            Kind::Entuity { fixture, .. } => fixture.server.token_count(),
            Kind::Insight { fixture, .. } => fixture.server.token_count(),
        }
    }
}

/// For each target, each call of its rotation, and each way a call can fail (an error status;
/// a body cut short after the server did the work; the work done and the answer never
/// coming): the run ends with the old credentials working or the new one stored and working,
/// and a second run converges on exactly one live credential, the one the sink holds last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_every_vendors_rotation_can_fail_and_a_rerun_converges() {
    for name in RIGS {
        let calls = Rig::calls_of_a_clean_rotation(name).await;
        assert!(calls >= 5, "{name}: {calls} calls");
        for call in 1..=calls {
            for fault in [Fault::Status(500), Fault::TruncatedBody, Fault::AnswerLost] {
                let rig = Rig::start(name).await;
                rig.inject_at(call, fault);
                let sink = Memory::default();
                let first = rig.rotate(&sink).await;
                let case = format!("{name}, call {call} failing with {fault:?}: {first}");
                if let Fault::Status(_) = fault {
                    // An error status always stops the run; the other faults may hit a call
                    // whose answer is not needed (a delete's empty body).
                    assert_ne!(first.state, State::Rotated, "{case}");
                    let failure = first.failure().map(|(_, f)| f.to_string());
                    assert!(failure.is_some_and(|f| f.contains("500")), "{case}");
                }
                match sink.current() {
                    None => {
                        for old in &rig.old {
                            assert!(rig.works(old).await, "none retired unpromoted: {case}");
                        }
                    }
                    Some(current) => assert!(rig.works(&current).await, "{case}"),
                }
                let stored = sink.count();
                let second = rig.rotate(&sink).await;
                assert_eq!(second.state, State::Rotated, "{case}; then {second}");
                assert_eq!(rig.alive(), 1, "no unknown token stays alive: {case}");
                let current = sink.current().expect("promoted");
                assert!(rig.works(&current).await, "{case}");
                // Anywhere after the store, but for Magpie, which lists no values to find
                // the pending token by.
                let resumable =
                    !name.starts_with("magpie") && stored > 0 && first.state != State::Rotated;
                if resumable {
                    assert_eq!(second.steps[0].step, Step::Resume, "{case}; then {second}");
                    assert_eq!(sink.count(), stored, "resumed, not created again: {case}");
                }
                for old in &rig.old {
                    assert!(!rig.works(old).await, "{case}");
                }
            }
        }
    }
}
