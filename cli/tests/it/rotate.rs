//! `rotate`, `rotate --dry-run` and `retire-due` through the binary: what a rotation retires,
//! the app's file kept as the app's, the plan, the grace window, the hook, the lock, and the
//! refusals.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use access_tokens::testing::Fault;
use access_tokens::{Expiry, Secret, entuity, insight};
use serde_json::Value;

use super::{Fleet, PASSWORD, PASSWORD_VAR, read_secret};

const DAY: Duration = Duration::from_secs(86_400);

impl Fleet {
    fn entuity_admin(&self) -> entuity::Client {
        entuity::Client::builder(self.entuity.url()).basic_auth("admin", PASSWORD).unwrap()
    }

    /// A token of guy2's expiring in `days`, as an app uses: its id and value.
    async fn guy2_token(&mut self, description: &str, days: u32) -> (i64, Secret) {
        let request = entuity::NewAccessToken::for_user_name("guy2")
            .with_description(description)
            .expiring_at(SystemTime::now() + DAY * days);
        let created = self.entuity_admin().create_token(&request).await.unwrap();
        self.secrets.push(created.token_value.clone());
        (created.token_id, created.token_value)
    }

    /// Each of guy2's tokens: its id, value and expiry.
    async fn guy2_tokens(&mut self) -> Vec<(i64, Secret, Option<Expiry>)> {
        let tokens = self.entuity_admin().list_tokens().await.unwrap();
        let tokens: Vec<_> = tokens
            .into_iter()
            .filter(|token| token.user_name.as_deref() == Some("guy2"))
            .map(|token| (token.token_id, token.token_value.clone(), token.expiry()))
            .collect();
        self.secrets.extend(tokens.iter().map(|(_, value, _)| value.clone()));
        tokens
    }
}

/// Writes `secret` to `path` as an app's file: mode 0640.
fn app_file(path: &Path, secret: &Secret) {
    std::fs::write(path, format!("{}\n", secret.expose_secret())).unwrap();
    set_mode(path, 0o640);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The file's mode and group.
#[cfg(unix)]
fn mode_and_group(path: &Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = std::fs::metadata(path).unwrap();
    (metadata.mode() & 0o777, metadata.gid())
}

/// A group other than the file's when this process may give one (root), else the file's.
#[cfg(unix)]
fn another_group(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = std::fs::metadata(path).unwrap();
    if metadata.uid() == 0 { if metadata.gid() == 1 { 2 } else { 1 } } else { metadata.gid() }
}

/// The names in `directory`, sorted.
fn names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn ids(values: &Value) -> Vec<String> {
    values.as_array().unwrap().iter().map(|id| id["value"].as_str().unwrap().to_owned()).collect()
}

fn steps(report: &Value) -> Vec<String> {
    let steps = report["steps"].as_array().unwrap();
    steps.iter().map(|step| step["step"].as_str().unwrap().to_owned()).collect()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_then_a_rotation_replace_only_the_apps_token_keeping_its_file_and_lifetime() {
    let mut fleet = Fleet::start("rotate-scope").await;
    let (other, _) = fleet.guy2_token("dashboards", 30).await;
    let (old, held) = fleet.guy2_token("app", 5).await;
    // The app reads `app.token`, a link into `data/` (as a mounted secret is laid out), a
    // 0640 file of a group the app is in.
    let data = fleet.path("data");
    std::fs::create_dir(&data).unwrap();
    let real = data.join("app.token");
    app_file(&real, &held);
    std::os::unix::fs::chown(&real, None, Some(another_group(&real))).unwrap();
    let before = mode_and_group(&real);
    std::os::unix::fs::symlink(&real, fleet.path("app.token")).unwrap();
    fleet.configure("[sources.entuity.sink]\nfile = \"app.token\"\n");
    let tokens_before = fleet.guy2_tokens().await;
    let files_before = names(&fleet.path("")).len();

    let plan = fleet.run(&["--json", "rotate", "entuity", "--dry-run"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan = plan.json();
    let checks: Vec<_> = plan["checks"].as_array().unwrap().iter().map(|c| &c["error"]).collect();
    assert!(checks.iter().all(|error| error.is_null()), "{plan}");
    assert_eq!(plan["replaced"]["value"], old.to_string());
    assert_eq!(ids(&plan["retire"]), [old.to_string()]);
    assert_eq!(plan["scope"], "replaced");
    assert!(plan["sink"].as_str().unwrap().contains("(a link to "), "{plan}");
    assert!(plan["create"].as_str().unwrap().contains("guy2"), "{plan}");
    let planned = plan["new_expires"]["unix_ms"].as_i64().unwrap();
    let in_five_days = SystemTime::now() + 5 * DAY;
    let in_five_days = in_five_days.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    assert!((planned - in_five_days.as_millis() as i64).abs() < 60_000, "{plan}");
    let text = fleet.run(&["rotate", "entuity", "--dry-run"]);
    assert!(text.stdout.starts_with("entuity: entuity rotation plan: ready\n"), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("  retire {old} (it retires what it replaces)\n")));
    // Nothing changed: the tokens as they were, no file written.
    assert_eq!(fleet.guy2_tokens().await, tokens_before);
    assert_eq!(names(&data), ["app.token"]);
    assert_eq!(names(&fleet.path("")).len(), files_before);

    let run = fleet.run(&["rotate", "entuity"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("entuity: entuity rotation: rotated (new ")
            && run.stdout.contains(&format!("; retired {old})")),
        "{}",
        run.stdout
    );
    let new = read_secret(&real);
    assert_ne!(new, held);
    assert!(std::fs::symlink_metadata(fleet.path("app.token")).unwrap().file_type().is_symlink());
    assert_eq!(mode_and_group(&real), before, "still the app's file");
    let tokens = fleet.guy2_tokens().await;
    let kept: Vec<i64> = tokens.iter().map(|(id, _, _)| *id).collect();
    assert!(kept.contains(&other) && !kept.contains(&old), "{kept:?}");
    assert!(kept.contains(&17), "the fleet's own token of guy2 stays too: {kept:?}");
    let (_, _, expiry) = tokens.iter().find(|(_, value, _)| *value == new).unwrap();
    let Some(Expiry::At(at)) = expiry else { panic!("{expiry:?}") };
    let lifetime = at.duration_since(SystemTime::now()).unwrap();
    assert!(lifetime > 5 * DAY - Duration::from_secs(120) && lifetime <= 5 * DAY, "not weaker");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grace_window_keeps_the_old_token_until_retire_due_finds_it_due() {
    let mut fleet = Fleet::start("rotate-grace").await;
    let (old, held) = fleet.guy2_token("app", 5).await;
    app_file(&fleet.path("app.token"), &held);
    fleet.configure(
        "[sources.entuity.sink]\nfile = \"app.token\"\n\
         [sources.entuity.rotation]\nretire_after = \"2s\"\n",
    );
    let run = fleet.run(&["--json", "rotate", "entuity"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert!(report["retired"].as_array().unwrap().is_empty(), "{report}");
    assert_eq!(report["waiting"][0]["id"]["value"], old.to_string());
    let alive = |tokens: &[(i64, Secret, Option<Expiry>)]| tokens.iter().any(|(id, ..)| *id == old);
    assert!(alive(&fleet.guy2_tokens().await), "it works through the grace window");
    let ledger = std::fs::read_to_string(fleet.path("app.token.rotation")).unwrap();
    assert!(ledger.contains("retire_at_unix_ms"), "the grace state is kept: {ledger}");

    let early = fleet.run(&["--json", "retire-due", "entuity"]);
    assert_eq!(early.code, 0, "{}", early.stderr);
    assert!(early.json()["retired"].as_array().unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let due = fleet.run(&["retire-due", "entuity"]);
    assert_eq!(due.code, 0, "{}", due.stderr);
    assert!(due.stdout.contains(&format!("retired {old}")), "{}", due.stdout);
    assert!(!alive(&fleet.guy2_tokens().await));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_sees_the_files_path_and_no_secret_and_a_failure_retires_nothing() {
    let mut fleet = Fleet::start("rotate-hook").await;
    let (old, held) = fleet.guy2_token("app", 5).await;
    let file = fleet.path("app.token");
    app_file(&file, &held);
    let (seen, allowed) = (fleet.path("hook.env"), fleet.path("hook.allowed"));
    fleet.configure(&format!(
        "[sources.entuity.sink]\nfile = \"app.token\"\n\
         [sources.entuity.rotation]\nafter_promote = [\"sh\", \"-c\", \
         \"env > '{seen}' && test -e '{allowed}'\"]\n",
        seen = seen.display(),
        allowed = allowed.display(),
    ));
    let failed = fleet.run(&["--json", "rotate", "entuity"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    let report = failed.json();
    assert_eq!(report["state"]["state"], "hook_failed", "{report}");
    assert!(report["retired"].as_array().unwrap().is_empty());
    let new = read_secret(&file);
    assert_ne!(new, held, "the new secret is current");
    let environment = std::fs::read_to_string(&seen).unwrap();
    assert!(environment.contains(&format!("ACCESS_TOKENS_FILE={}\n", file.display())));
    assert!(!environment.contains(PASSWORD_VAR) && !environment.contains(PASSWORD));
    for secret in [&new, &held] {
        assert!(!environment.contains(secret.expose_secret()), "no secret in the environment");
    }
    assert!(fleet.guy2_tokens().await.iter().any(|(id, ..)| *id == old), "nothing retired");

    std::fs::write(&allowed, "").unwrap();
    let resumed = fleet.run(&["--json", "rotate", "entuity"]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let report = resumed.json();
    assert_eq!(steps(&report)[..3], ["lock", "resume", "check"], "{report}");
    assert!(steps(&report).contains(&"hook".to_owned()));
    assert_eq!(ids(&report["retired"]), [old.to_string()]);
    assert_eq!(read_secret(&file), new, "the same secret, not another");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rotations_at_once_leave_the_app_one_working_token_in_its_file() {
    let mut fleet = Fleet::start("rotate-twice").await;
    let (_, held) = fleet.guy2_token("app", 5).await;
    let file = fleet.path("app.token");
    app_file(&file, &held);
    fleet.configure("[sources.entuity.sink]\nfile = \"app.token\"\n");
    for run in fleet.run_twice_at_once(&["--json", "rotate", "entuity"]) {
        assert_eq!(run.code, 0, "the second waits for the first: {}", run.stderr);
    }
    let in_file = read_secret(&file);
    let tokens = fleet.guy2_tokens().await;
    let app: Vec<_> = tokens.iter().filter(|(id, ..)| *id != 17).collect();
    assert_eq!(app.len(), 1, "one of the app's tokens, not two or none: {}", app.len());
    assert_eq!(app[0].1, in_file, "and it is the file's");
    assert!(!fleet.path("app.token.pending").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_answer_says_a_token_may_exist_and_the_next_run_retires_it() {
    let mut fleet = Fleet::start("rotate-lost").await;
    let file = fleet.path("deploy.token");
    app_file(&file, &fleet.bamboo.tokens()[0].uuid);
    let before = fleet.bamboo.tokens().len();
    // Calls: list, then the create, whose answer is cut short.
    fleet.bamboo.inject_at(2, Fault::TruncatedBody);
    let lost = fleet.run(&["rotate", "bamboo", "-o", file.to_str().unwrap()]);
    assert_eq!(lost.code, 3, "{}", lost.stderr);
    assert!(
        lost.stdout.contains("a token may have been created, and the next run retires it"),
        "{}",
        lost.stdout
    );
    assert!(!lost.stdout.contains("nothing created"), "{}", lost.stdout);
    assert_eq!(fleet.bamboo.tokens().len(), before + 1, "it was");
    let again = fleet.run(&["--json", "rotate", "bamboo", "-o", file.to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.json()["retired"].as_array().unwrap().len(), 2, "the lost one, the old one");
    let new = read_secret(&file);
    fleet.secrets.push(new.clone());
    let able: Vec<_> = fleet.bamboo.tokens().into_iter().filter(|t| t.read || t.change).collect();
    assert_eq!(able.len(), 1, "only the file's token can do anything");
    assert_eq!(able[0].uuid, new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insight_rotation_writes_its_api_token_file_and_refuses_another() {
    let mut fleet = Fleet::start("rotate-insight").await;
    let elsewhere = fleet.path("elsewhere.token");
    let refused = fleet.run(&["rotate", "insight", "-o", elsewhere.to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("api_token"), "{}", refused.stderr);
    assert!(!elsewhere.exists());
    assert_eq!(fleet.insight.token_count(), 1, "nothing created");

    // A live token of another user, pending beside the file, is set aside, not promoted.
    fleet.insight.add_user("bob", PASSWORD);
    let builder = insight::Client::builder(fleet.insight.url());
    let bobs = builder.authenticate(insight::Credentials::password("bob", PASSWORD)).await;
    let bobs = bobs.unwrap().token;
    fleet.secrets.push(bobs.clone());
    let token_file = fleet.path("insight.token");
    std::fs::write(fleet.path("insight.token.pending"), bobs.expose_secret()).unwrap();
    // The sink is the source's `api_token` file, as no other is named.
    let run = fleet.run(&["rotate", "insight"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("the pending secret is not the target's"), "{}", run.stdout);
    let new = read_secret(&token_file);
    fleet.secrets.push(new.clone());
    assert_ne!(new, bobs);
    let rejected = std::fs::read_to_string(fleet.path("insight.token.pending.rejected"));
    assert_eq!(rejected.unwrap(), bobs.expose_secret(), "kept as it was");
    assert!(builder.api_token(bobs).unwrap().list_tokens().await.is_ok(), "bob's still works");
    assert_eq!(fleet.run(&["insight", "insight", "list"]).code, 0, "the source lists with it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_that_stops_exits_3_and_the_next_run_resumes() {
    let mut fleet = Fleet::start("rotate-resume").await;
    let file: PathBuf = fleet.path("deploy.token");
    app_file(&file, &fleet.bamboo.tokens()[0].uuid);
    // Calls: list, create, then the check's list fails.
    fleet.bamboo.inject_at(3, Fault::Status(500));
    let stopped = fleet.run(&["rotate", "bamboo", "-o", file.to_str().unwrap()]);
    assert_eq!(stopped.code, 3);
    assert!(stopped.stderr.contains("run it again to resume"), "{}", stopped.stderr);
    let resumed = fleet.run(&["--json", "rotate", "bamboo", "-o", file.to_str().unwrap()]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(steps(&resumed.json())[..2], ["lock", "resume"]);
    fleet.secrets.push(read_secret(&file));
}
