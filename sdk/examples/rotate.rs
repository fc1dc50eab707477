//! Rotations of all four simulated vendors' credentials, each new secret written to a file
//! (mode 0600) before any old one is retired; one rotation that stops part-way and converges
//! when run again; and a leaked token revoked by its value.
//!
//! Run with `cargo run --example rotate`. It needs no network and no configuration; the files
//! go to a fresh directory under the system's temporary directory, removed at the end.

use std::io::Write;
use std::path::Path;

use access_tokens::rotation::{self, FileSink, Server, State, Target};
use access_tokens::testing::{BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{Secret, bamboo, entuity, insight};

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
    let ci = Target::magpie_service_account(&magpie.admin, "ci@example.com");
    let deploy = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
    let session = insight::Client::builder(&insight.url)
        .session_cookie(insight.server.browser_session("ada"))?;
    let builder = insight::Client::builder(&insight.url);
    let targets = [
        ("magpie-ci", ci),
        ("bamboo-deploy", Target::Bamboo { client: &bamboo.client, token: &deploy }),
        ("entuity-guy2", Target::Entuity { client: &entuity.client, token: &guy2 }),
        ("insight-ada", Target::Insight { session: &session, builder: &builder }),
    ];
    for (name, target) in &targets {
        let report = rotation::rotate(target, &FileSink::new(directory.join(name))).await;
        writeln!(out, "{name}: {report}")?;
    }

    writeln!(out, "== A rotation that stops part-way, run again")?;
    // The old token's deletion fails (calls: list, create, identify, check, scope, delete).
    magpie.server.inject_at(6, Fault::Status(500));
    let sink = FileSink::new(directory.join("magpie-ci"));
    let first = rotation::rotate(&ci, &sink).await;
    writeln!(out, "first run: {first}")?;
    let second = rotation::rotate(&ci, &sink).await;
    writeln!(out, "second run: {second}")?;
    assert_eq!(second.state, State::Rotated);
    writeln!(out, "as JSON: {}", serde_json::to_string(&second)?)?;

    writeln!(out, "== A leaked Entuity token, revoked by its value")?;
    let leaked =
        entuity.client.create_token(&entuity::NewAccessToken::for_user_name("guy2")).await?;
    let value: Secret = leaked.token_value;
    let found = rotation::revoke_leaked(Server::Entuity(&entuity.client), &value).await?;
    writeln!(out, "{found:?}")?;
    Ok(())
}
