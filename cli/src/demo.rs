//! `access-tokens demo`: the inventory, audit and rotate commands against simulators of all
//! four vendors, started in this process and seeded with a small fleet with something wrong
//! with it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use access_tokens::testing::{BambooFixture, EntuityFixture, InsightFixture, MagpieFixture};
use access_tokens::{Error, Secret, bamboo, entuity};

use crate::args::{AuditArgs, Choice, Command, FailOn, Recording};
use crate::config::Config;
use crate::failure::Failure;
use crate::output::Out;

/// Every simulated account's password (the fixtures').
const PASSWORD: &str = "pw";

/// Seeds the simulators, writes a configuration for them (credentials in files), and runs the
/// commands a newcomer would.
pub async fn run(out: Out) -> Result<(), Failure> {
    let seeded = seed().await.map_err(|e| Failure::Failed(format!("demo fleet: {e}")))?;
    let directory = scratch().map_err(|e| Failure::Failed(format!("a scratch directory: {e}")))?;
    crate::terminal::remove_on_interrupt(directory.clone());
    let result = commands(&seeded, &directory, out).await;
    let removed = std::fs::remove_dir_all(&directory);
    crate::terminal::forget_scratch();
    removed.map_err(|e| Failure::Failed(format!("{}: {e}", directory.display())))?;
    result
}

/// A new directory in the temporary directory, its name unpredictable and its mode 0700:
/// another user cannot have made it first, nor read what the demo writes there.
fn scratch() -> std::io::Result<PathBuf> {
    use std::hash::{BuildHasher as _, RandomState};
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    // Letters that are not hex digits: the name shows in the plans, and is not a secret.
    const LETTERS: &[u8; 16] = b"ghjkmnpqrstvwxyz";
    loop {
        let random = RandomState::new().hash_one(SystemTime::now());
        let name: String = (0..16)
            .map(|digit| char::from(LETTERS[(random >> (4 * digit)) as usize & 15]))
            .collect();
        let directory = std::env::temp_dir().join(format!("access-tokens-demo-{name}"));
        match builder.create(&directory) {
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            created => return created.map(|()| directory),
        }
    }
}

struct Seeded {
    magpie: MagpieFixture,
    bamboo: BambooFixture,
    entuity: EntuityFixture,
    insight: InsightFixture,
    /// What the applications read now, by their files' names: the secrets the rotations
    /// replace.
    in_use: Vec<(&'static str, Secret)>,
}

async fn seed() -> Result<Seeded, Error> {
    let (magpie, bamboo, entuity, insight) = (
        MagpieFixture::start().await?,
        BambooFixture::start().await?,
        EntuityFixture::start().await?,
        InsightFixture::start().await?,
    );
    // More service-account tokens than the policy allows; a Bamboo token that may change
    // agents and was never used; an Entuity token about to expire. The applications read the
    // last CI token, the Bamboo and Entuity tokens, and ada's Insight.io token.
    let mut ci = None;
    for _ in 0..6 {
        ci = Some(magpie.admin.service_account("ci@example.com").create().await?.token);
    }
    let deploy = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let deploy = bamboo.client.create_token(&deploy).await?.uuid;
    let soon = SystemTime::now() + Duration::from_secs(3 * 24 * 60 * 60);
    let dashboards = entuity::NewAccessToken::for_user_name("guy2")
        .with_description("dashboards")
        .expiring_at(soon);
    let dashboards = entuity.client.create_token(&dashboards).await?.token_value;
    let ada = insight.client.api_token();
    let in_use = vec![
        ("magpie-ci.token", ci.expect("six created")),
        ("bamboo.token", deploy),
        ("entuity.token", dashboards),
        ("insight.token", ada),
    ];
    Ok(Seeded { magpie, bamboo, entuity, insight, in_use })
}

async fn commands(seeded: &Seeded, directory: &Path, out: Out) -> Result<(), Failure> {
    let password = directory.join("password");
    let failed = |e: std::io::Error| Failure::Failed(e.to_string());
    write_private(&password, PASSWORD).map_err(failed)?;
    for (file, secret) in &seeded.in_use {
        write_private(&directory.join(file), secret.expose_secret()).map_err(failed)?;
    }
    let config = config(seeded, directory, &password)?;
    let section = |title: &str| {
        if !out.json && !out.quiet {
            println!("\n== access-tokens {title}\n");
        }
    };
    section("inventory");
    crate::run_configured(&config, &inventory(), out).await?;
    section("audit --fail-on never");
    let audit = AuditArgs {
        choice: all(),
        recording: Recording { no_record: false },
        fail_on: FailOn(None),
        max_age_days: None,
        max_idle_days: None,
        expiring_within_days: None,
        require_expiry: false,
        max_tokens_per_account: None,
        prometheus: None,
    };
    crate::run_configured(&config, &Command::Audit(audit), out).await?;
    section("rotate entuity --dry-run");
    let plan = Command::Rotate { source: "entuity".into(), output: None, dry_run: true };
    crate::run_configured(&config, &plan, out).await?;
    for source in ["magpie-ci", "bamboo", "entuity", "insight"] {
        section(&format!("rotate {source}"));
        let rotate = Command::Rotate { source: source.into(), output: None, dry_run: false };
        crate::run_configured(&config, &rotate, out).await?;
    }
    section("inventory, after the rotations");
    crate::run_configured(&config, &inventory(), out).await?;
    section("changes");
    crate::run_configured(&config, &Command::Changes { since: None }, out).await
}

/// `inventory`, recorded.
fn inventory() -> Command {
    Command::Inventory { choice: all(), recording: Recording { no_record: false } }
}

/// Every source.
fn all() -> Choice {
    Choice { names: Vec::new(), sources: Vec::new(), vendor: Vec::new() }
}

/// The configuration a user would write for the simulated servers.
fn config(seeded: &Seeded, directory: &Path, password: &Path) -> Result<Config, Failure> {
    let password = password.display();
    let text = format!(
        r#"
[policy]
max_tokens_per_account = 5

[history]
path = "history.sqlite"

[sources.magpie-ada]
vendor = "magpie"
url = "{magpie}"
user = "ada@example.com"
password = {{ file = "{password}" }}

[sources.magpie-ci]
vendor = "magpie"
url = "{magpie}"
user = "root@example.com"
password = {{ file = "{password}" }}
service_account = "ci@example.com"
sink = {{ file = "magpie-ci.token" }}
# A service account for CI alone: its rotation retires every other token it has.
rotation = {{ retire = "all" }}

[sources.bamboo]
vendor = "bamboo"
url = "{bamboo}"
user = "admin"
password = {{ file = "{password}" }}
token_name = "deploy"
read = true
change = true
sink = {{ file = "bamboo.token" }}

[sources.entuity]
vendor = "entuity"
url = "{entuity}"
user = "admin"
password = {{ file = "{password}" }}
token_user = "guy2"
token_description = "dashboards"
sink = {{ file = "entuity.token" }}
# The dashboards reload their token hourly: the old one keeps working an hour more.
rotation = {{ retire_after = "1h" }}

[sources.insight]
vendor = "insight"
url = "{insight}"
api_token = {{ file = "insight.token" }}
user = "ada"
password = {{ file = "{password}" }}
sink = {{ file = "insight.token" }}
"#,
        magpie = seeded.magpie.url,
        bamboo = seeded.bamboo.url,
        entuity = seeded.entuity.url,
        insight = seeded.insight.url,
    );
    Config::parse(&directory.join("config.toml"), &text)
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
