//! `access_tokens::inventory::History`: what inventories saw, in SQLite: first-seen times the
//! audit uses, changes between runs, two writers at once, retention, a newer store refused,
//! and the stores written at every schema version read as fixtures.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use access_tokens::entuity;
use access_tokens::inventory::{
    ChangeKind, Health, History, HistoryError, Inventory, Policy, Rule, Severity, Since, Source,
    TokenId,
};
use access_tokens::testing::{BambooFixture, EntuityFixture, MagpieFixture};

const DAY: Duration = Duration::from_secs(86_400);

/// The schema version this release writes.
const VERSION: u32 = 2;

/// A new directory for a store.
fn scratch(name: &str) -> PathBuf {
    let directory =
        std::env::temp_dir().join(format!("access-tokens-history-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

fn at(days: u32) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + DAY * days
}

async fn listed(sources: &[Source]) -> Inventory {
    let inventory = Inventory::collect(sources, 4, |_| {}).await;
    assert!(inventory.failures.is_empty(), "{:?}", inventory.failures.first());
    inventory
}

#[tokio::test]
async fn a_store_is_private_remembers_first_seen_and_refuses_a_newer_one() {
    let directory = scratch("open");
    let path = directory.join("history.sqlite");
    let bamboo = BambooFixture::start().await.unwrap();
    bamboo.server.add_token("deploy", true, false);
    let sources = [Source::bamboo("bamboo", bamboo.client.clone())];
    let mut history = History::open(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(history.version().unwrap(), VERSION);
    history.record(&listed(&sources).await, at(0)).unwrap();
    let new = bamboo.server.add_token("agent", true, true);
    history.record(&listed(&sources).await, at(10)).unwrap();
    let seen = history.seen().unwrap();
    let inventory = listed(&sources).await;
    let new_id = TokenId::fingerprint(access_tokens::inventory::Vendor::Bamboo, &new.uuid);
    for record in inventory.records() {
        let first = seen.get(&record).expect("seen");
        if record.id() == Some(new_id.clone()) {
            assert_eq!((first.at, first.appeared), (at(10), true));
        } else {
            assert_eq!((first.at, first.appeared), (at(0), false));
        }
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(new.uuid.expose_secret()), "no secret");
    drop(history);

    let newer = rusqlite::Connection::open(&path).unwrap();
    newer.pragma_update(None, "user_version", 99).unwrap();
    drop(newer);
    let refused = History::open(&path).unwrap_err();
    assert!(matches!(refused, HistoryError::Newer { found: 99, known: VERSION, .. }), "{refused}");
    assert!(refused.to_string().contains("written by a newer access-tokens"), "{refused}");
    let untouched = rusqlite::Connection::open(&path).unwrap();
    let version: u32 =
        untouched.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, 99, "left as it is");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn changes_between_runs_are_added_removed_and_changed_tokens() {
    let directory = scratch("changes");
    let fixture = EntuityFixture::start().await.unwrap();
    let guy2 = || entuity::NewAccessToken::for_user_name("guy2");
    let kept = fixture.client.create_token(&guy2()).await.unwrap().token_id;
    let sources = [Source::entuity("entuity", fixture.client.clone())];
    let mut history = History::open(directory.join("history.sqlite")).unwrap();
    let first = history.record(&listed(&sources).await, at(0)).unwrap();
    let added = fixture.client.create_token(&guy2()).await.unwrap().token_id;
    fixture.client.delete_token(fixture.token_id).await.unwrap();
    let update = entuity::AccessTokenUpdate {
        description: Some("dashboards".into()),
        expiry_time_sec: Some(2_000_000_000),
        ..Default::default()
    };
    fixture.client.update_token(kept, &update).await.unwrap();
    history.record(&listed(&sources).await, at(1)).unwrap();
    history.record(&listed(&sources).await, at(2)).unwrap();

    // Between the last two runs nothing changed; since the first, everything above.
    assert!(history.changes(Since::Previous).unwrap().changes.is_empty());
    let changes = history.changes(Since::Run(first.id)).unwrap();
    let found: Vec<(ChangeKind, String)> =
        changes.changes.iter().map(|change| (change.change, change.id.to_string())).collect();
    assert_eq!(
        found,
        [
            (ChangeKind::Added, added.to_string()),
            (ChangeKind::Removed, fixture.token_id.to_string()),
            (ChangeKind::Changed, kept.to_string()),
        ]
    );
    assert_eq!(changes.changes[2].fields(), ["expires", "name"]);
    assert_eq!(changes.changes[2].after.as_ref().unwrap()["expires"], "2033-05-18 03:33 UTC");
    let ago = history.changes(Since::Ago(DAY * 2)).unwrap();
    assert_eq!(ago.from.map(|run| run.id), Some(first.id));
    // A change after a run that changed nothing (and so read no token) is seen.
    let renamed =
        entuity::AccessTokenUpdate { description: Some("reports".into()), ..Default::default() };
    fixture.client.update_token(added, &renamed).await.unwrap();
    history.record(&listed(&sources).await, at(3)).unwrap();
    let latest = history.changes(Since::Previous).unwrap();
    assert_eq!(latest.changes.len(), 1, "{:?}", latest.changes);
    assert_eq!(latest.changes[0].id.to_string(), added.to_string());
    assert_eq!(latest.changes[0].fields(), ["name"]);
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn changes_name_the_sources_the_latest_run_could_not_list() {
    let directory = scratch("unlisted");
    let fixture = EntuityFixture::start().await.unwrap();
    let down = entuity::Client::builder("http://127.0.0.1:1").basic_auth("admin", "pw").unwrap();
    let sources =
        [Source::entuity("entuity", fixture.client.clone()), Source::entuity("down", down)];
    let mut history = History::open(directory.join("history.sqlite")).unwrap();
    for day in 0..2 {
        let run = history.record(&Inventory::collect(&sources, 4, |_| {}).await, at(day));
        // One that a tool could not even start listing (its login refused).
        let vendor = access_tokens::inventory::Vendor::Magpie;
        history.unreachable(run.unwrap(), "locked-out", vendor, "login refused").unwrap();
    }
    let changes = history.changes(Since::Previous).unwrap();
    assert!(changes.changes.is_empty(), "{:?}", changes.changes);
    assert_eq!(changes.unlisted, ["down", "locked-out"]);
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn the_audit_judges_age_by_first_seen_and_flags_tokens_that_appeared() {
    let directory = scratch("audit");
    let bamboo = BambooFixture::start().await.unwrap();
    bamboo.server.add_token("deploy", true, false);
    let magpie = MagpieFixture::start().await.unwrap();
    let sources = [
        Source::bamboo("bamboo", bamboo.client.clone()),
        Source::magpie_service_account("ci", magpie.admin.clone(), "ci@example.com"),
    ];
    magpie.admin.service_account("ci@example.com").create().await.unwrap();
    let mut history = History::open(directory.join("history.sqlite")).unwrap();
    history.record(&listed(&sources).await, at(0)).unwrap();
    bamboo.server.add_token("agent", true, false);
    magpie.admin.service_account("ci@example.com").create().await.unwrap();
    let inventory = listed(&sources).await;
    history.record(&inventory, at(400)).unwrap();
    let seen = history.seen().unwrap();
    let policy = Policy::default().max_age(365 * DAY).appeared(Severity::Low);
    let audit = inventory.audit_seen(&policy, at(400), &seen);
    let found: Vec<(&str, Rule, Severity)> =
        audit.iter().map(|f| (f.token.source(), f.rule, f.severity)).collect();
    assert!(found.contains(&("bamboo", Rule::MaxAge, Severity::Medium)), "{found:?}");
    assert!(found.contains(&("bamboo", Rule::Appeared, Severity::Low)), "{found:?}");
    assert!(
        found.contains(&("ci", Rule::Appeared, Severity::Medium)),
        "a service account's: {found:?}"
    );
    let old =
        audit.iter().find(|f| f.rule == Rule::MaxAge && f.token.source() == "bamboo").unwrap();
    assert!(
        old.message().contains("is at least 400 days old (first seen 2027-01-15 08:00 UTC;"),
        "{}",
        old.message()
    );
    // Without the history, the age of a Bamboo token is unknown, and nothing is new.
    let blind = inventory.audit(&policy, at(400));
    assert!(
        blind.iter().all(|f| f.token.source() != "bamboo"),
        "{:?}",
        blind.iter().map(|f| f.rule).collect::<Vec<_>>()
    );
    // The metrics give the first-seen time where the vendor gives none.
    let metrics = inventory.prometheus(&audit, &Health::new(), &seen);
    assert!(metrics.contains("source=\"bamboo\",vendor=\"bamboo\""), "{metrics}");
    assert!(
        metrics.lines().any(|line| line
            .starts_with("access_tokens_token_created_timestamp_seconds{source=\"bamboo\"")
            && line.ends_with(",basis=\"first_seen\"} 1800000000")),
        "{metrics}"
    );
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_at_once_never_corrupt_the_store() {
    let directory = scratch("writers");
    let path = directory.join("history.sqlite");
    let fixture = EntuityFixture::start().await.unwrap();
    let sources = [Source::entuity("entuity", fixture.client.clone())];
    let inventory = listed(&sources).await;
    History::open(&path).unwrap();
    std::thread::scope(|scope| {
        for writer in 0..2 {
            let (path, inventory) = (&path, &inventory);
            scope.spawn(move || {
                let mut history = History::open(path).unwrap();
                for run in 0..20 {
                    history.record(inventory, at(writer * 100 + run)).unwrap();
                }
            });
        }
    });
    let history = History::open(&path).unwrap();
    assert_eq!(history.runs().unwrap().len(), 40);
    let check = rusqlite::Connection::open(&path).unwrap();
    let verdict: String = check.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(verdict, "ok");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test]
async fn retention_prunes_old_runs_and_gone_tokens_and_keeps_first_seen() {
    let directory = scratch("retention");
    let fixture = EntuityFixture::start().await.unwrap();
    let guy2 = entuity::NewAccessToken::for_user_name("guy2");
    let gone = fixture.client.create_token(&guy2).await.unwrap().token_id;
    let sources = [Source::entuity("entuity", fixture.client.clone())];
    let mut history = History::open(directory.join("history.sqlite")).unwrap();
    history.record(&listed(&sources).await, at(0)).unwrap();
    fixture.client.delete_token(gone).await.unwrap();
    history.record(&listed(&sources).await, at(10)).unwrap();
    history.record(&listed(&sources).await, at(20)).unwrap();
    let pruned = history.prune(at(15)).unwrap();
    assert_eq!((pruned.runs, pruned.tokens), (2, 1));
    assert_eq!(history.runs().unwrap().len(), 1);
    let seen = history.seen().unwrap();
    let kept = listed(&sources).await;
    let first = seen.get(&kept.records().next().unwrap()).unwrap();
    assert_eq!(first.at, at(0), "first seen survives its run");
    // The latest run is never pruned.
    assert_eq!(history.prune(at(100)).unwrap().runs, 0);
    std::fs::remove_dir_all(&directory).unwrap();
}

/// The stores earlier releases wrote, one per schema version
/// (`tests/fixtures/history-vN.sqlite`, the same runs in each): every later release reads
/// them, brought up to date.
#[test]
fn the_stores_written_at_every_schema_version_are_read() {
    for version in 1..=VERSION {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("fixtures/history-v{version}.sqlite"));
        let directory = scratch(&format!("fixture-v{version}"));
        let copy = directory.join("history.sqlite");
        std::fs::copy(&fixture, &copy).unwrap();
        let history = History::open(&copy).unwrap();
        assert_eq!(history.version().unwrap(), VERSION, "v{version}");
        let runs = history.runs().unwrap();
        assert_eq!(runs.len(), 2, "v{version}");
        let changes = history.changes(Since::Previous).unwrap();
        let kinds: Vec<ChangeKind> = changes.changes.iter().map(|change| change.change).collect();
        assert_eq!(kinds, [ChangeKind::Added, ChangeKind::Removed], "v{version}");
        assert!(!history.seen().unwrap().is_empty(), "v{version}");
        std::fs::remove_dir_all(&directory).unwrap();
    }
}

/// Writes `tests/fixtures/history-v{VERSION}.sqlite`: run once, when a schema version is
/// released; never again (every later schema must read that file as it is).
#[tokio::test]
#[ignore = "writes a fixture; run by hand only when a schema version is released"]
async fn write_the_current_schema_versions_fixture() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/history-v{VERSION}.sqlite"));
    let _ = std::fs::remove_file(&fixture);
    let entuity = EntuityFixture::start().await.unwrap();
    let sources = [Source::entuity("entuity", entuity.client.clone())];
    let mut history = History::open(&fixture).unwrap();
    history.record(&listed(&sources).await, at(0)).unwrap();
    let guy2 = entuity::NewAccessToken::for_user_name("guy2");
    entuity.client.create_token(&guy2).await.unwrap();
    entuity.client.delete_token(entuity.token_id).await.unwrap();
    history.record(&listed(&sources).await, at(1)).unwrap();
    drop(history);
    // One file: the WAL checkpointed into it.
    let connection = rusqlite::Connection::open(&fixture).unwrap();
    connection.pragma_update(None, "journal_mode", "DELETE").unwrap();
}
