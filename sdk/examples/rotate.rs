//! Rotations of all four simulated vendors' credentials, each new secret written to a file
//! (mode 0600) before any old one is retired; one rotation that stops part-way and resumes
//! when run again; and a leaked token revoked by its value.
//!
//! Run with `cargo run --example rotate`. It needs no network and no configuration; the files
//! go to a fresh directory under the system's temporary directory, removed at the end.

use std::io::Write;
use std::path::Path;

use access_tokens::rotation::{self, FileSink, Rotate, State};
use access_tokens::testing::{BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, bamboo, entuity, insight, magpie};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

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
    magpie.admin.service_account("ci@example.com").create().await?;
    bamboo.server.add_token("deploy", true, true);
    let guy2 = entuity::NewAccessToken::for_user_name("guy2").with_description("dashboards");
    entuity.client.create_token(&guy2).await?;

    writeln!(out, "== Rotations")?;
    let ci = magpie::RotationTarget::service_account(magpie.admin.clone(), "ci@example.com");
    rotate("magpie-ci", &ci, directory, out).await?;
    let ada = magpie::RotationTarget::personal(magpie.client.clone());
    rotate("magpie-ada", &ada, directory, out).await?;
    let deploy = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let deploy = bamboo::RotationTarget::new(bamboo.client.clone(), deploy);
    rotate("bamboo-deploy", &deploy, directory, out).await?;
    let dashboards = entuity::RotationTarget::new(entuity.client.clone(), guy2);
    rotate("entuity-guy2", &dashboards, directory, out).await?;
    let ada = insight::Credentials::password("ada", "pw");
    let ada = insight::RotationTarget::by_credentials(insight::Client::builder(&insight.url), ada);
    rotate("insight-ada", &ada, directory, out).await?;

    writeln!(out, "== A rotation that stops part-way, run again")?;
    // The old token's deletion fails (calls: create, check, list, delete); the new one is
    // already the file's, and stays pending until the rotation finishes.
    entuity.server.inject_at(4, Fault::Status(500));
    let sink = FileSink::new(directory.join("entuity-guy2"));
    let first = rotation::rotate(&dashboards, &sink).await;
    writeln!(out, "first run: {first}")?;
    let second = rotation::rotate(&dashboards, &sink).await;
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

/// Rotates `target` into the file `name` in `directory`, and writes the report.
async fn rotate(
    name: &str,
    target: &impl Rotate,
    directory: &Path,
    out: &mut impl Write,
) -> Result {
    let report = rotation::rotate(target, &FileSink::new(directory.join(name))).await;
    writeln!(out, "{name}: {report}")?;
    Ok(())
}
