//! An inventory of all four simulated vendors at once, printed as a table and as JSON, and
//! audited against the recommended policy. Secrets never show: secret ids are fingerprints,
//! and the JSON redacts token values.
//!
//! Run with `cargo run --example audit`. It needs no network and no configuration.

use std::io::Write;
use std::time::{Duration, SystemTime};

use access_tokens::entuity::NewAccessToken;
use access_tokens::inventory::{Inventory, Moment, Policy, Progress, Source};
use access_tokens::testing::{BambooFixture, EntuityFixture, InsightFixture, MagpieFixture};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[tokio::main]
async fn main() -> Result {
    run(&mut std::io::stdout()).await
}

/// Seeds the four simulators, lists them, and writes the table, the JSON and the findings.
pub async fn run(out: &mut impl Write) -> Result {
    let (magpie, bamboo, entuity, insight) = (
        MagpieFixture::start().await?,
        BambooFixture::start().await?,
        EntuityFixture::start().await?,
        InsightFixture::start().await?,
    );
    // A service account with more tokens than the policy allows, a Bamboo token that may
    // change agents and was never used, and an Entuity token about to expire.
    let ci = magpie.admin.service_account("ci@example.com");
    for _ in 0..6 {
        ci.create().await?;
    }
    bamboo
        .client
        .create_token(&access_tokens::bamboo::NewToken::new("drain").with_change(true))
        .await?;
    let soon = NewAccessToken::for_user_name("guy2").expiring_at(SystemTime::now() + 3 * DAY);
    entuity.client.create_token(&soon).await?;

    let sources = [
        Source::magpie("magpie ada", magpie.client.clone()),
        Source::magpie_service_account("magpie ci", magpie.admin.clone(), "ci@example.com"),
        Source::bamboo("bamboo", bamboo.client.clone()),
        Source::entuity("entuity", entuity.client.clone()),
        Source::insight("insight", insight.client.clone()),
    ];
    let inventory = Inventory::collect(&sources, 4, |progress| {
        if let Progress::Listed { source, tokens, done, total } = progress {
            eprintln!("[{done}/{total}] {source}: {tokens} tokens");
        }
    })
    .await;

    // Judged by the servers' clocks (their `Date` headers), with how far ours is off.
    let now = inventory.server_now().unwrap_or_else(SystemTime::now);
    writeln!(out, "== Inventory: {} tokens", inventory.len())?;
    for clock in &inventory.clocks {
        writeln!(out, "clock of {}: {} ms ahead of ours", clock.source, clock.clock.skew_ms())?;
    }
    writeln!(
        out,
        "{:<11} {:<24} {:<16} {:<10} {:<10} {:<10}",
        "source", "id", "account", "created", "last used", "expires"
    )?;
    for record in inventory.records() {
        let id = record.id().map_or("-".to_owned(), |id| id.to_string());
        let account = record.account().and_then(|a| a.name).unwrap_or("-".into());
        writeln!(
            out,
            "{:<11} {:<24} {:<16} {:<10} {:<10} {:<10}",
            record.source(),
            id,
            account,
            relative(&record.created(), now),
            relative(&record.last_used(), now),
            relative(&record.expires(), now),
        )?;
    }

    writeln!(out, "\n== Inventory as JSON")?;
    writeln!(out, "{}", serde_json::to_string_pretty(&inventory)?)?;

    let policy = Policy::recommended().require_expiry();
    let findings = inventory.audit(&policy, now);
    writeln!(out, "\n== Audit: {} findings", findings.len())?;
    for finding in &findings {
        writeln!(out, "{:?} {:?}: {finding}", finding.severity, finding.rule)?;
    }
    Ok(())
}

/// "3d ago", "in 3d", "never" or "unknown".
fn relative(moment: &Moment, now: SystemTime) -> String {
    let days = |span: Duration| span.as_secs() / DAY.as_secs();
    match moment {
        Moment::At(at) => match now.duration_since(*at) {
            Ok(ago) => format!("{}d ago", days(ago)),
            Err(ahead) => format!("in {}d", days(ahead.duration())),
        },
        Moment::Never => "never".to_owned(),
        _ => "unknown".to_owned(),
    }
}
