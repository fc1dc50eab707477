//! The `access-tokens` binary end to end: every command run as a process against the
//! simulators, its exit code, its JSON, the files it writes, and that no secret reaches
//! stdout or stderr except the one a command was asked to print. Every run's output is kept
//! and, when the test ends, checked against every secret known by then, so that the run that
//! created a secret is checked for it too.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use access_tokens::testing::{Bamboo, Entuity, Insight, Magpie};
use access_tokens::{Secret, entuity, insight};
use serde_json::Value;

#[cfg(unix)]
mod history;
mod monitoring;
mod rotate;
mod terminal;
mod unattended;
mod vault;

const PASSWORD: &str = "correct-horse-battery-staple-42";
const PASSWORD_VAR: &str = "ACCESS_TOKENS_TEST_PASSWORD";
const ADA: &str = "ada@example.com";
const ROOT: &str = "root@example.com";
const CI: &str = "ci@example.com";

/// A directory removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "access-tokens-cli-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Simulators of the four vendors, each with something on it, and a configuration naming
/// them, its credentials in the environment and in files.
struct Fleet {
    dir: Scratch,
    config: PathBuf,
    magpie: Magpie,
    bamboo: Bamboo,
    entuity: Entuity,
    insight: Insight,
    /// Every secret the servers hold or were given, to be found in no output.
    secrets: Vec<Secret>,
    /// What every run printed, checked when the fleet is dropped.
    transcripts: Mutex<Vec<Transcript>>,
}

/// What one run printed, and the one secret it was asked to print on stdout, if any.
struct Transcript {
    command: String,
    stdout: String,
    stderr: String,
    allowed: Option<Secret>,
}

/// A finished run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    /// A process that exited (one killed by a signal fails the test).
    fn from(Output { status, stdout, stderr }: Output) -> Self {
        Run {
            code: status.code().expect("exited"),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

impl Fleet {
    async fn start(name: &str) -> Self {
        let dir = Scratch::new(name);
        let magpie = Magpie::start().await;
        magpie.add_user(ADA, PASSWORD);
        magpie.add_admin(ROOT, PASSWORD);
        magpie.add_service_account(CI);
        let mut secrets = vec![Secret::new(PASSWORD), magpie.add_access_token(ADA).1];
        secrets.push(magpie.add_access_token(CI).1);
        let bamboo = Bamboo::start().await;
        bamboo.add_admin("admin", PASSWORD);
        secrets.push(bamboo.add_token("deploy", true, true).uuid);
        let entuity = Entuity::start().await;
        entuity.add_admin("admin", PASSWORD);
        entuity.add_user("guy2", "x");
        let admin = entuity::Client::builder(entuity.url()).basic_auth("admin", PASSWORD).unwrap();
        let for_guy2 = entuity::NewAccessToken::for_user_name("guy2");
        secrets.push(admin.create_token(&for_guy2).await.unwrap().token_value);
        let insight = Insight::start().await;
        insight.add_user("ada", PASSWORD);
        let builder = insight::Client::builder(insight.url());
        let issued = builder.authenticate(insight::Credentials::password("ada", PASSWORD));
        let token = issued.await.unwrap().token;
        let cookie = insight.browser_session("ada");
        for (file, secret) in [("insight.token", &token), ("cookie", &cookie)] {
            write_private(&dir.0.join(file), &format!("{}\n", secret.expose_secret()));
        }
        secrets.extend([token, cookie]);
        let config = dir.0.join("config.toml");
        let transcripts = Mutex::default();
        let fleet = Self { dir, config, magpie, bamboo, entuity, insight, secrets, transcripts };
        std::fs::write(&fleet.config, fleet.config_text()).unwrap();
        fleet
    }

    fn config_text(&self) -> String {
        let dir = self.dir.0.display();
        format!(
            r#"
[policy]
max_tokens_per_account = 5

[history]
path = "{dir}/history.sqlite"

[sources.magpie]
vendor = "magpie"
url = "{magpie}"
user = "{ADA}"
password = {{ env = "{PASSWORD_VAR}" }}

[sources.magpie-ci]
vendor = "magpie"
url = "{magpie}"
user = "{ROOT}"
password = {{ env = "{PASSWORD_VAR}" }}
service_account = "{CI}"

[sources.bamboo]
vendor = "bamboo"
url = "{bamboo}"
user = "admin"
password = {{ env = "{PASSWORD_VAR}" }}
token_name = "deploy"
read = true
change = true

[sources.entuity]
vendor = "entuity"
url = "{entuity}"
user = "admin"
password = {{ env = "{PASSWORD_VAR}" }}
token_user = "guy2"

[sources.insight]
vendor = "insight"
url = "{insight}"
api_token = {{ file = "{dir}/insight.token" }}
user = "ada"
password = {{ env = "{PASSWORD_VAR}" }}
session_cookie = {{ file = "{dir}/cookie" }}
"#,
            magpie = self.magpie.url(),
            bamboo = self.bamboo.url(),
            entuity = self.entuity.url(),
            insight = self.insight.url(),
        )
    }

    /// Adds `extra` to the fleet's configuration.
    fn configure(&self, extra: &str) {
        std::fs::write(&self.config, self.config_text() + extra).unwrap();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// Runs the binary with `args` on this fleet's configuration.
    fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_on(&self.config, args, stdin)
    }

    /// Runs the binary with `args` on the configuration `config`, and keeps what it printed.
    fn run_on(&self, config: &Path, args: &[&str], stdin: &str) -> Run {
        let run = binary(config, args, stdin);
        self.keep(args, &run);
        run
    }

    /// Runs the binary with `args` and `variables` set, keeping what it printed.
    fn run_with(&self, args: &[&str], variables: &[(&str, &str)]) -> Run {
        let mut command = command(&self.config, args);
        command.envs(variables.iter().copied());
        let output = command.stdin(Stdio::null()).output().unwrap();
        let run = Run::from(output);
        eprintln!(
            "$ access-tokens {}\n{}{}(exit {})",
            args.join(" "),
            run.stdout,
            run.stderr,
            run.code
        );
        self.keep(args, &run);
        run
    }

    /// Runs the binary twice at once with `args`, and keeps what each printed.
    fn run_twice_at_once(&self, args: &[&str]) -> Vec<Run> {
        let spawn = || {
            command(&self.config, args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let children = [spawn(), spawn()];
        children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().unwrap();
                let run = Run::from(output);
                self.keep(&[args, &["(twice at once)"]].concat(), &run);
                run
            })
            .collect()
    }

    /// Keeps what `run` printed, to check when the test ends.
    fn keep(&self, args: &[&str], run: &Run) {
        self.transcripts.lock().unwrap().push(Transcript {
            command: args.join(" "),
            stdout: run.stdout.clone(),
            stderr: run.stderr.clone(),
            allowed: None,
        });
    }

    /// Runs a command that writes a new secret alone to stdout (`--stdout`); asserts that it
    /// succeeded, and keeps the secret it printed, which only that run may print.
    fn print_secret(&mut self, args: &[&str]) -> (Run, Secret) {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let secret = Secret::new(run.stdout.strip_suffix('\n').expect("a line").to_owned());
        self.transcripts.lock().unwrap().last_mut().unwrap().allowed = Some(secret.clone());
        self.secrets.push(secret.clone());
        (run, secret)
    }

    /// Runs a command that writes a new secret, with `-o` a new file named `file` in the
    /// scratch directory; asserts that it succeeded, and keeps the secret it wrote.
    fn create(&mut self, args: &[&str], file: &str) -> (Run, Secret) {
        let path = self.path(file);
        let run = self.run(&[args, &["-o", path.to_str().unwrap()]].concat());
        assert_eq!(run.code, 0, "{}", run.stderr);
        let secret = read_secret(&path);
        self.secrets.push(secret.clone());
        (run, secret)
    }

    /// Fails if a run printed a secret: one the test knows, one the simulators hold now, or
    /// anything shaped like the secrets they issue (which also finds those since revoked).
    /// Only the secret a run was asked to print may be on its stdout.
    fn assert_no_run_printed_a_secret(&self) {
        let mut secrets = self.secrets.clone();
        secrets.extend(self.bamboo.tokens().into_iter().map(|token| token.uuid));
        for run in self.transcripts.lock().unwrap().iter() {
            let stdout = match &run.allowed {
                Some(allowed) => run.stdout.replace(allowed.expose_secret(), ""),
                None => run.stdout.clone(),
            };
            for (stream, text) in [("stdout", &stdout), ("stderr", &run.stderr)] {
                let shown = format!("`{}` printed a secret on {stream}: {text}", run.command);
                for secret in &secrets {
                    assert!(!text.contains(secret.expose_secret()), "{shown}");
                }
                assert!(access_tokens::testing::longest_secret_like_run(text) < 8, "{shown}");
            }
        }
    }

    /// Every Entuity token's value, and that the fleet knows them.
    async fn entuity_values(&mut self) -> Vec<Secret> {
        let admin =
            entuity::Client::builder(self.entuity.url()).basic_auth("admin", PASSWORD).unwrap();
        let values: Vec<Secret> =
            admin.list_tokens().await.unwrap().into_iter().map(|t| t.token_value).collect();
        self.secrets.extend(values.iter().cloned());
        values
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // A test that failed says why already.
        if !std::thread::panicking() {
            self.assert_no_run_printed_a_secret();
        }
    }
}

/// The binary on `config` with `args`, and the fleet's password in the environment.
fn command(config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_access-tokens"));
    command
        .arg("--config")
        .arg(config)
        .args(args)
        .env(PASSWORD_VAR, PASSWORD)
        .env_remove("ACCESS_TOKENS_CONFIG")
        // Where a configuration without `[history]` keeps it: never the user's own.
        .env("XDG_DATA_HOME", std::env::temp_dir().join("access-tokens-cli-tests-data"));
    command
}

/// Runs the binary on `config` with `args`, `stdin` piped in.
fn binary(config: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = command(config, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    eprintln!(
        "$ access-tokens {}\n{}{}(exit {})",
        args.join(" "),
        run.stdout,
        run.stderr,
        run.code
    );
    run
}

/// Writes `text` to `path`, readable by its owner alone, as a credential file must be.
fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn read_secret(path: &Path) -> Secret {
    let text = std::fs::read_to_string(path).unwrap();
    Secret::new(text.strip_suffix('\n').expect("a line").to_owned())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The ids a listing's JSON holds, in order.
fn ids(listing: &Value) -> Vec<String> {
    let records = listing["records"].as_array().expect("records");
    records.iter().map(|r| r["id"]["value"].as_str().unwrap().to_owned()).collect()
}

// Vendor commands.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn magpie_commands_list_create_enable_disable_describe_and_delete() {
    let mut fleet = Fleet::start("magpie").await;
    let listed = fleet.run(&["--json", "magpie", "magpie", "list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(ids(&listed.json()), ["tok-1"]);

    let (created, _) = fleet.create(&["magpie", "magpie", "create"], "new.token");
    assert!(created.stdout.contains("its secret is in"), "{}", created.stdout);
    assert_eq!(fleet.magpie.token_count(ADA), 2);

    for (action, shown) in [("disable", "disabled"), ("enable", "enabled")] {
        let run = fleet.run(&["magpie", "magpie", action, "tok-1"]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, format!("magpie: {shown} tok-1\n").as_str())
        );
    }
    let run = fleet.run(&["--json", "magpie", "magpie", "describe", "tok-1", "deploys"]);
    assert_eq!(
        run.json(),
        serde_json::json!({"source": "magpie", "action": "described", "id": "tok-1"})
    );
    let listed = fleet.run(&["--json", "magpie", "magpie", "list"]).json();
    let record = &listed["records"][0]["vendor_record"]["record"];
    assert_eq!(
        (record["description"].as_str(), record["disabled"].as_bool()),
        (Some("deploys"), Some(false))
    );

    let unconfirmed = fleet.run(&["magpie", "magpie", "delete", "tok-1"]);
    assert_eq!(unconfirmed.code, 2, "not on a terminal, and no --yes");
    assert!(unconfirmed.stderr.contains("pass --yes"), "{}", unconfirmed.stderr);
    assert_eq!(fleet.magpie.token_count(ADA), 2);
    assert_eq!(fleet.run(&["--yes", "magpie", "magpie", "delete", "tok-1"]).code, 0);
    assert_eq!(fleet.magpie.token_count(ADA), 1);
    let missing = fleet.run(&["--yes", "magpie", "magpie", "delete", "tok-1"]);
    assert_eq!(missing.code, 3, "not listed");
    assert!(missing.stderr.contains("source `magpie`: none of the 1 tokens"), "{}", missing.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn magpie_service_account_commands_list_create_and_rotate() {
    let mut fleet = Fleet::start("magpie-sa").await;
    let listed = fleet.run(&["--json", "magpie", "magpie-ci", "service-account", CI, "list"]);
    assert_eq!(ids(&listed.json()).len(), 1);
    fleet.print_secret(&["magpie", "magpie-ci", "service-account", CI, "create", "--stdout"]);
    assert_eq!(fleet.magpie.token_count(CI), 2);
    fleet.create(
        &["--yes", "magpie", "magpie-ci", "service-account", CI, "rotate"],
        "rotated.token",
    );
    assert_eq!(fleet.magpie.token_count(CI), 1, "the vendor's rotate deletes the others");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bamboo_commands_list_create_and_update_by_fingerprint() {
    let mut fleet = Fleet::start("bamboo").await;
    let args = ["--json", "bamboo", "bamboo", "create", "agent", "--read"];
    let (created, secret) = fleet.create(&args, "agent.token");
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sha256:"), "{id}");
    let token = fleet.bamboo.tokens().into_iter().find(|t| t.uuid == secret).unwrap();
    assert_eq!((token.name.as_str(), token.read, token.change), ("agent", true, false));

    let listed = fleet.run(&["--json", "bamboo", "bamboo", "list"]);
    assert!(ids(&listed.json()).contains(&id));
    let run =
        fleet.run(&["bamboo", "bamboo", "update", &id, "--read", "false", "--change", "true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let token = fleet.bamboo.tokens().into_iter().find(|t| t.uuid == secret).unwrap();
    assert_eq!((token.read, token.change), (false, true));
    let unknown =
        fleet.run(&["bamboo", "bamboo", "update", "sha256:0000000000000000", "--read", "true"]);
    assert_eq!(unknown.code, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entuity_commands_list_create_get_update_and_delete() {
    let mut fleet = Fleet::start("entuity").await;
    let args = ["--json", "entuity", "entuity", "create", "--user", "guy2", "--description", "ci"];
    let (created, _) = fleet.create(&[&args[..], &["--expires-in-days", "30"]].concat(), "t");
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let got = fleet.run(&["--json", "entuity", "entuity", "get", &id]).json();
    assert_eq!(got["description"], "ci");
    assert_eq!(got["tokenValue"], "[REDACTED]", "{got}");
    let human = fleet.run(&["entuity", "entuity", "get", &id]);
    assert!(human.stdout.contains("\ndescription    ci\n"), "{}", human.stdout);
    assert_eq!(fleet.run(&["entuity", "entuity", "update", &id, "--description", "cd"]).code, 0);
    let got = fleet.run(&["--json", "entuity", "entuity", "get", &id]).json();
    assert_eq!(got["description"], "cd");
    let listed = fleet.run(&["--json", "entuity", "entuity", "list"]);
    assert_eq!(ids(&listed.json()).len(), 2);
    assert_eq!(fleet.run(&["entuity", "entuity", "delete", &id]).code, 2, "unconfirmed");
    assert_eq!(fleet.run(&["entuity", "entuity", "delete", &id, "--yes"]).code, 0);
    assert_eq!(fleet.entuity.token_count(), 1);
    fleet.entuity_values().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insight_commands_authenticate_list_create_and_revoke() {
    let mut fleet = Fleet::start("insight").await;
    fleet.create(&["insight", "insight", "authenticate"], "issued.token");
    fleet.create(&["insight", "insight", "create"], "created.token");
    let listed = fleet.run(&["--json", "insight", "insight", "list"]);
    assert_eq!(ids(&listed.json()).len(), 3);
    assert_eq!(fleet.insight.token_count(), 3);
    let revoked = fleet.run(&["insight", "insight", "revoke", "-y"]);
    assert_eq!(revoked.code, 0);
    assert!(revoked.stdout.starts_with("insight: revoked sha256:"), "{}", revoked.stdout);
    assert_eq!(fleet.insight.token_count(), 2);
    assert_eq!(fleet.run(&["insight", "insight", "list"]).code, 3, "its own token is gone");
}

// Across sources.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_lists_every_source_in_one_table_and_a_stable_json_shape() {
    let fleet = Fleet::start("inventory").await;
    let table = fleet.run(&["inventory"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let header = table.stdout.lines().next().unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "SOURCE", "VENDOR", "ID", "ACCOUNT", "NAME", "ACCESS", "CREATED", "LAST", "USED",
            "EXPIRES"
        ]
    );
    assert!(table.stdout.ends_with("5 tokens; times in UTC\n"), "{}", table.stdout);

    let json = fleet.run(&["--json", "inventory"]).json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["clocks", "failures", "records"]);
    let records = json["records"].as_array().unwrap();
    let sources: Vec<&str> = records.iter().map(|r| r["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["bamboo", "entuity", "insight", "magpie", "magpie-ci"]);
    for key in ["source", "vendor", "id", "created", "last_used", "expires", "vendor_record"] {
        assert!(records[0].get(key).is_some(), "{key} in {}", records[0]);
    }
    let named = fleet.run(&["--json", "inventory", "entuity", "magpie"]).json();
    assert_eq!(ids(&named), ["17", "tok-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_exits_1_on_findings_at_the_chosen_severity() {
    let mut fleet = Fleet::start("audit").await;
    // A Bamboo token that may change agents and was never used: a low finding.
    let admin = access_tokens::bamboo::Client::builder(fleet.bamboo.url());
    let drain = access_tokens::bamboo::NewToken::new("drain").with_change(true);
    let created = admin.basic_auth("admin", PASSWORD).unwrap().create_token(&drain).await;
    fleet.secrets.push(created.unwrap().uuid);
    let low = fleet.run(&["audit", "--fail-on", "low"]);
    assert_eq!(low.code, 1, "{}", low.stdout);
    assert!(low.stdout.contains("may change state and has no recorded use"), "{}", low.stdout);
    let finding = low.stdout.lines().find(|line| line.contains("may change state")).unwrap();
    assert!(finding.starts_with("low "), "{}", low.stdout);
    assert_eq!(fleet.run(&["audit"]).code, 0, "no medium finding");
    assert_eq!(fleet.run(&["audit", "--fail-on", "never"]).code, 0);
    // Flags tighten the configuration's policy: the service account's two tokens are one too many.
    let second = fleet.magpie.add_access_token(CI).1;
    fleet.secrets.push(second);
    let crowded = fleet.run(&["--json", "audit", "--max-tokens-per-account", "1"]);
    assert_eq!(crowded.code, 1);
    let json = crowded.json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["failures", "findings", "now_unix_ms"]);
    let rules: Vec<&str> =
        json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"too_many_for_account"), "{rules:?}");
    let quiet = fleet.run(&["--quiet", "audit", "--fail-on", "low"]);
    assert_eq!((quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()), (1, "", ""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_fails_exits_3_and_the_others_are_still_listed() {
    let fleet = Fleet::start("partial").await;
    write_private(&fleet.path("wrong-password"), "not-the-password\n");
    let failing = format!(
        r#"
[sources.dead]
vendor = "entuity"
url = "http://127.0.0.1:1"
user = "admin"
password = {{ env = "{PASSWORD_VAR}" }}

[sources.bad-login]
vendor = "magpie"
url = "{magpie}"
user = "{ADA}"
password = {{ file = "{wrong}" }}
"#,
        magpie = fleet.magpie.url(),
        wrong = fleet.path("wrong-password").display(),
    );
    std::fs::write(&fleet.config, fleet.config_text() + &failing).unwrap();
    let run = fleet.run(&["--json", "inventory"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let json = run.json();
    let failures = json["failures"].as_array().unwrap();
    let failed: Vec<&str> = failures.iter().map(|f| f["source"].as_str().unwrap()).collect();
    assert_eq!(failed, ["dead", "bad-login"]);
    assert!(ids(&json).contains(&"tok-1".to_owned()), "the others are listed");
    assert!(run.stderr.contains("source `dead`"), "{}", run.stderr);
    assert!(run.stderr.contains("source `bad-login`"), "{}", run.stderr);
    assert!(!run.stderr.contains("not-the-password"));
    // What changed in them is not known, and `changes` says so.
    let changes = fleet.run(&["changes"]);
    assert!(
        changes.stdout.ends_with(
            "not listed in the latest run, so their changes are not known: bad-login, dead\n"
        ),
        "{}",
        changes.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_leaked_reads_the_value_from_stdin_or_a_file_never_an_argument() {
    let mut fleet = Fleet::start("leaked").await;
    let leaked = fleet.entuity_values().await.remove(0);
    let run = fleet
        .run_with_stdin(&["revoke-leaked", "entuity"], &format!("{}\n", leaked.expose_secret()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "entuity: revoked 17, and confirmed\n");
    assert_eq!(fleet.entuity.token_count(), 0);
    let again = fleet.run_with_stdin(&["revoke-leaked", "entuity"], leaked.expose_secret());
    assert_eq!((again.code, again.stdout.as_str()), (1, "entuity: no token has that value\n"));

    let file = fleet.path("leaked");
    let bamboo = fleet.bamboo.tokens().remove(0).uuid;
    std::fs::write(&file, bamboo.expose_secret()).unwrap();
    let run =
        fleet.run(&["--json", "revoke-leaked", "bamboo", "--value-file", file.to_str().unwrap()]);
    assert_eq!(run.json()["outcome"], "revoked");
    // Magpie lists no values: the value logs in, and its user's tokens are the candidates.
    let ada = fleet.secrets[1].clone();
    let magpie = fleet.run_with_stdin(&["revoke-leaked", "magpie"], ada.expose_secret());
    assert_eq!(magpie.code, 1, "nothing revoked");
    assert!(
        magpie.stdout.contains("Magpie lists no values; the token is one of: tok-1"),
        "{}",
        magpie.stdout
    );
    assert_eq!(fleet.magpie.token_count(ADA), 1, "nothing revoked");
    let unknown = fleet.run_with_stdin(&["revoke-leaked", "magpie"], "0123456789abcdef");
    assert_eq!((unknown.code, unknown.stdout.as_str()), (1, "magpie: no token has that value\n"));
    let argument = fleet.run(&["revoke-leaked", "entuity", leaked.expose_secret()]);
    assert_eq!(argument.code, 2, "a value is never an argument");
    assert!(argument.stderr.contains("not shown: it may be a secret"), "{}", argument.stderr);
}

// Secrets written once.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_secret_goes_to_a_new_0600_file_and_an_existing_one_is_refused_first() {
    let mut fleet = Fleet::start("output").await;
    const CREATE: [&str; 5] = ["entuity", "entuity", "create", "--user", "guy2"];
    let (_, secret) = fleet.create(&CREATE, "token");
    let file = fleet.path("token");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    assert_eq!(fleet.entuity.token_count(), 2);

    let again = fleet.run(&[&CREATE[..], &["-o", file.to_str().unwrap()]].concat());
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("nothing was created"), "{}", again.stderr);
    assert_eq!(fleet.entuity.token_count(), 2, "refused before the create");
    assert_eq!(read_secret(&file), secret, "untouched");

    // A create that fails leaves no empty file behind.
    let failing = fleet.path("never");
    fleet.entuity.inject(access_tokens::testing::Fault::Status(500), 1);
    let failed = fleet.run(&[&CREATE[..], &["-o", failing.to_str().unwrap()]].concat());
    assert_eq!(failed.code, 3);
    assert!(!failing.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_secret_goes_to_stdout_alone_only_when_asked() {
    let mut fleet = Fleet::start("stdout").await;
    let (run, secret) =
        fleet.print_secret(&["bamboo", "bamboo", "create", "ci", "--read", "--stdout"]);
    assert!(fleet.bamboo.tokens().iter().any(|t| t.uuid == secret));
    assert_eq!(run.stdout.lines().count(), 1, "the secret alone");
    assert!(run.stderr.contains("created token sha256:"), "{}", run.stderr);
    let neither = fleet.run(&["bamboo", "bamboo", "create", "ci"]);
    assert_eq!(neither.code, 2, "a destination is required");
    let both = fleet.run(&["--json", "bamboo", "bamboo", "create", "ci", "--stdout"]);
    assert_eq!(both.code, 2, "JSON never holds a secret");
    assert_eq!(fleet.bamboo.tokens().len(), 2, "nothing more created");
}

// Configuration and usage.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_errors_name_the_file_the_source_and_the_key_and_exit_2() {
    let fleet = Fleet::start("config").await;
    let path = fleet.path("bad.toml");
    let shown = path.display().to_string();
    let empty = fleet.path("empty");
    write_private(&empty, "\n");
    let empty_file = format!(
        "[sources.m]\nvendor = \"magpie\"\nurl = \"x\"\nuser = \"u\"\npassword = {{ file = \"{}\" }}\n",
        empty.display()
    );
    let cases = [
        (
            empty_file.as_str(),
            &["magpie", "m", "list"][..],
            format!("{shown}: source `m`, key `password`: {} is empty", empty.display()),
        ),
        (
            "[sources.m]\nvendor = \"magpie\"\nurl = \"x\"\nuser = \"u\"\npassword = { env = \"UNSET_VARIABLE_FOR_TEST\" }\n",
            &["magpie", "m", "list"][..],
            format!(
                "{shown}: source `m`, key `password`: the environment variable UNSET_VARIABLE_FOR_TEST is not set"
            ),
        ),
        (
            "[sources.b]\nvendor = \"bamboo\"\nurl = \"x\"\nuser = \"u\"\npasword = { env = \"X\" }\n",
            &["bamboo", "b", "list"][..],
            format!("{shown}:5: source `b`, key `pasword`: unknown field `pasword`"),
        ),
        (
            "[sources.b]\nvendor = \"bamboo\"\nurl = \"x\"\nuser = \"u\"\npassword = \"hunter2-literal\"\n",
            &["bamboo", "b", "list"][..],
            format!(
                "{shown}:5: source `b`, key `password`: a credential is never written in the configuration"
            ),
        ),
        (
            "[sources.e]\nvendor = \"entuity\"\nurl = \"x\"\nuser = \"u\"\npassword = { env = \"X\" }\n",
            &["rotate", "e", "-o", "/nonexistent/x"][..],
            format!(
                "{shown}: source `e`, key `token_user`: rotating needs the user whose tokens to replace"
            ),
        ),
        (
            "[sources.b]\nvendor = \"bamboo\"\nurl = \"x\"\nuser = \"u\"\npassword = { env = \"X\" }\nplugin = \"2.0\"\n",
            &["bamboo", "b", "list"][..],
            format!(
                "{shown}:6: source `b`, key `plugin`: unknown variant `2.0`, expected `1.5` or `pre-1.5`"
            ),
        ),
        (
            "[sources.x]\nvendor = \"acme\"\n",
            &["inventory"][..],
            format!("{shown}:2: source `x`, key `vendor`: unknown vendor, expected `magpie`"),
        ),
        (
            "",
            &["magpie", "nobody", "list"][..],
            format!("{shown}: no source `nobody` (sources: none)"),
        ),
        ("[sorces]\n", &["inventory"][..], format!("{shown}: unknown key `sorces`")),
        (
            "[sources.m]\nvendor = \"magpie\"\npassword = hunter2-unquoted\n",
            &["inventory"][..],
            format!("{shown}:3: "),
        ),
        (
            "[sources.m]\nvendor = \"magpie\"\nurl = \"x\"\nsession_token = { prompt = \"Session\" }\n",
            &["magpie", "m", "list"][..],
            format!(
                "{shown}: source `m`, key `session_token`: cannot prompt for it: neither stdin nor stderr is a terminal"
            ),
        ),
    ];
    let entuity = "[sources.e]\nvendor = \"entuity\"\nurl = \"x\"\nuser = \"u\"\npassword = { env = \"X\" }\ntoken_user = \"g\"\n";
    let rotation_cases = [
        (
            "[sources.e.rotation]\nretire = \"everything\"\n",
            ":8: source `e`, key `rotation.retire`: unknown variant `everything`, expected `replaced` or `all`",
        ),
        (
            "[sources.e.rotation]\nretire_after = \"2 hours\"\n",
            ":8: source `e`, key `rotation.retire_after`: `2 hours`: a span's unit is s, m, h, d or w",
        ),
        (
            "[sources.e.sink]\nfile = \"t\"\nmode = \"0999\"\n",
            ":9: source `e`, key `sink.mode`: `0999` is not a mode like \"0640\"",
        ),
        (
            "[sources.e.sink]\nfile = \"t\"\ngroup = \"no-such-group-here\"\n",
            ": source `e`, key `sink.group`: no group `no-such-group-here`",
        ),
        (
            "[sources.e.sink]\nfile = \"t\"\n[sources.e.rotation]\nafter_promote = []\n",
            ": source `e`, key `rotation.after_promote`: the command is empty",
        ),
        ("", ": source `e`, key `sink`: rotating needs somewhere for the new secret"),
        (
            "[sources.e.sink]\nfile = \"t\"\ncommand = [\"sh\"]\n",
            ": source `e`, key `sink`: is one of `file`, `vault` and `command`, not several",
        ),
        (
            "[sources.e.sink]\nvault = { path = \"app/t\", colour = \"blue\" }\n",
            ":8: source `e`, key `sink.vault`: unknown field `colour`",
        ),
    ];
    let rotation_cases = rotation_cases.map(|(extra, expected)| {
        (format!("{entuity}{extra}"), &["rotate", "e"][..], format!("{shown}{expected}"))
    });
    let cases =
        cases.iter().map(|(text, args, expected)| (text.to_string(), *args, expected.clone()));
    for (text, args, expected) in cases.chain(rotation_cases) {
        std::fs::write(&path, text).unwrap();
        let run = fleet.run_on(&path, args, "");
        assert!(run.stderr.contains(&expected), "{expected:?} not in {:?}", run.stderr);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    }
    let missing = fleet.run_on(&fleet.path("absent.toml"), &["inventory"], "");
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("absent.toml"), "{}", missing.stderr);
}

#[test]
fn usage_errors_exit_2_and_help_lists_the_exit_codes() {
    let config = Path::new("unused.toml");
    assert_eq!(binary(config, &["frobnicate"], "").code, 2);
    assert_eq!(binary(config, &["audit", "--fail-on", "sometimes"], "").code, 2);
    let help = binary(config, &["--help"], "");
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("3    a source or a call failed"), "{}", help.stdout);
    let narrow = command(config, &["--help"]).env("COLUMNS", "60").output().unwrap();
    let narrow = String::from_utf8(narrow.stdout).unwrap();
    assert!(narrow.lines().all(|line| line.chars().count() <= 60), "{narrow}");
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    let config = Path::new("unused.toml");
    for shell in ["bash", "zsh", "fish"] {
        let run = binary(config, &["completions", shell], "");
        assert_eq!(run.code, 0, "{shell}");
        assert!(run.stdout.contains("revoke-leaked"), "{shell}: {}", run.stdout);
    }
    let man = binary(config, &["man"], "");
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH access-tokens"),
        "{}",
        man.stdout
    );
    assert!(man.stdout.contains("revoke\\-leaked"), "every command: {}", man.stdout);
}

#[test]
fn the_demo_runs_an_inventory_an_audit_rotations_and_their_changes_with_nothing_set_up() {
    let run = binary(Path::new("unused.toml"), &["demo"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for shown in [
        "== access-tokens inventory",
        "magpie account ci@example.com has 6 tokens, more than 5",
        "bamboo: bamboo rotation: rotated",
        "insight: insight rotation: rotated",
        "== access-tokens inventory, after the rotations",
        "== access-tokens changes",
        "\nadded    entuity    19                       dashboards [access-tokens: entuity]\n",
        "\nchanged  bamboo",
        "\nremoved  magpie-ci  tok-2",
    ] {
        assert!(run.stdout.contains(shown), "{shown:?} not in {}", run.stdout);
    }
    for output in [&run.stdout, &run.stderr] {
        let longest = access_tokens::testing::longest_secret_like_run(output);
        assert!(longest < 8, "a secret-like value was printed:\n{output}");
    }
}
