//! Rotations of all four simulated vendors' credentials, each into the file an app reads
//! (kept `0640`), retiring only what that file held; a plan printed before one of them; one
//! rotation that stops part-way and resumes when run again; and a leaked token revoked by its
//! value.
//!
//! Run with `cargo run --example rotate`. It needs no network and no configuration; the files
//! go to a fresh directory under the system's temporary directory, removed at the end.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use access_tokens::rotation::{self, FileSink, Retire, Rotate, Rotation, State};
use access_tokens::testing::{BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, bamboo, entuity, insight, magpie};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::main]
async fn main() -> Result {
    run(&mut std::io::stdout()).await
}

/// Seeds the four simulators, rotates each, and writes every report.
pub async fn run(out: &mut impl Write) -> Result {
    let directory =
        std::env::temp_dir().join(format!("access-tokens-rotate-{}", std::process::id()));
    std::fs::create_dir_all(&directory)?;
    let result = rotate_all(&directory, out).await;
    std::fs::remove_dir_all(&directory)?;
    result
}

async fn rotate_all(directory: &Path, out: &mut impl Write) -> Result {
    let (magpie, bamboo, entuity, insight) = (
        MagpieFixture::start().await?,
        BambooFixture::start().await?,
        EntuityFixture::start().await?,
        InsightFixture::start().await?,
    );
    // The credentials the apps use, each in its app's file. The simulators hold others too
    // (Entuity's guy2 has a token for another use), which the rotations leave alone.
    let ci = magpie.admin.service_account("ci@example.com").create().await?.token;
    let ci_file = app_file(directory, "magpie-ci", &ci)?;
    let deploy = bamboo.server.add_token("deploy", true, true).uuid;
    let deploy_file = app_file(directory, "bamboo-deploy", &deploy)?;
    let dashboards = entuity::NewAccessToken::for_user_name("guy2")
        .with_description("dashboards")
        .expiring_at(SystemTime::now() + 30 * DAY);
    let dashboards = entuity.client.create_token(&dashboards).await?.token_value;
    let dashboards_file = app_file(directory, "entuity-guy2", &dashboards)?;
    let insight_file = app_file(directory, "insight-ada", &insight.client.api_token())?;

    writeln!(out, "== Rotations")?;
    // Magpie lists no values, so a first run cannot tell which token a file holds: this
    // service account is the app's alone, and its rotation retires every other token of it.
    let target = magpie::RotationTarget::service_account(magpie.admin.clone(), "ci@example.com");
    let all = Rotation::new().retire(Retire::All);
    writeln!(out, "magpie-ci: {}", all.run(&target, &ci_file).await)?;
    // Ada's other tokens are hers: a first run retires none of them, and says so.
    let target = magpie::RotationTarget::personal(magpie.client.clone());
    rotate("magpie-ada", &target, &FileSink::new(directory.join("magpie-ada")), out).await?;
    let template = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let target = bamboo::RotationTarget::new(bamboo.client.clone(), template);
    rotate("bamboo-deploy", &target, &deploy_file, out).await?;
    let template = entuity::NewAccessToken::for_user_name("guy2");
    let guy2 = entuity::RotationTarget::new(entuity.client.clone(), template);
    // The plan: what a run would create, write and retire, changing nothing.
    write!(out, "entuity-guy2: {}", Rotation::new().plan(&guy2, &dashboards_file).await)?;
    rotate("entuity-guy2", &guy2, &dashboards_file, out).await?;
    let ada = insight::Credentials::password("ada", "pw");
    let target =
        insight::RotationTarget::by_credentials(insight::Client::builder(&insight.url), ada);
    rotate("insight-ada", &target, &insight_file, out).await?;

    let other = entuity.client.get_token(entuity.token_id).await?;
    writeln!(out, "untouched: guy2's token for another use, {}", other.token_id)?;

    writeln!(out, "== A rotation that stops part-way, run again")?;
    // The replaced token's deletion fails (calls: list, create, check, list, delete); the new one
    // is already the file's, and stays pending until the rotation finishes.
    entuity.server.inject_at(5, Fault::Status(500));
    let first = rotation::rotate(&guy2, &dashboards_file).await;
    writeln!(out, "first run: {first}")?;
    let second = rotation::rotate(&guy2, &dashboards_file).await;
    writeln!(out, "second run: {second}")?;
    assert_eq!(second.state, State::Rotated);
    assert_eq!(second.new, first.new, "resumed with the pending token");
    writeln!(out, "as JSON: {}", serde_json::to_string(&second)?)?;

    writeln!(out, "== A leaked Entuity token, revoked by its value")?;
    let leaked =
        entuity.client.create_token(&entuity::NewAccessToken::for_user_name("guy2")).await?;
    let value: Secret = leaked.token_value;
    let found = rotation::revoke_leaked(&entuity.client, &value).await?;
    writeln!(out, "{found:?}")?;
    Ok(())
}

/// The file `name` in `directory`, holding `secret` as an app's file does (`0640` on Unix),
/// as a rotation's sink.
fn app_file(directory: &Path, name: &str, secret: &Secret) -> Result<FileSink> {
    let path = directory.join(name);
    std::fs::write(&path, format!("{}\n", secret.expose_secret()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))?;
    }
    Ok(FileSink::new(path))
}

/// Rotates `target` into `sink` with the defaults, and writes the report.
async fn rotate(name: &str, target: &impl Rotate, sink: &FileSink, out: &mut impl Write) -> Result {
    writeln!(out, "{name}: {}", rotation::rotate(target, sink).await)?;
    Ok(())
}
