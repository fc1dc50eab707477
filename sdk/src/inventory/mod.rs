//! One inventory of the tokens of every product at once: [`Source`]s of any vendor, several per
//! vendor, listed concurrently; each token a [`TokenRecord`] of one shape; and an
//! [audit](Inventory::audit) of it against a [`Policy`] at an explicit "now".
//!
//! ```
//! use access_tokens::inventory::{Inventory, Source};
//! # use access_tokens::testing::{BambooFixture, EntuityFixture, MagpieFixture};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), access_tokens::Error> {
//! # let (magpie, bamboo, entuity) =
//! #     (MagpieFixture::start().await?, BambooFixture::start().await?, EntuityFixture::start().await?);
//! let sources = [
//!     Source::magpie("magpie: ada", magpie.client.clone()),
//!     Source::magpie_service_account("magpie: ci", magpie.admin.clone(), "ci@example.com"),
//!     Source::bamboo("bamboo", bamboo.client.clone()),
//!     Source::entuity("entuity", entuity.client.clone()),
//! ];
//! let inventory = Inventory::collect(&sources, 4, |progress| eprintln!("{progress:?}")).await;
//! for record in &inventory.records {
//!     println!("{} {:?} expires {:?}", record.source, record.id, record.expires);
//! }
//! assert!(inventory.failures.is_empty());
//! // No secret is written: token values are redacted, secret ids are fingerprints.
//! let json = serde_json::to_string(&inventory).unwrap();
//!
//! use access_tokens::inventory::Policy;
//! for finding in inventory.audit(&Policy::recommended(), std::time::SystemTime::now()) {
//!     println!("{:?} {:?}: {}", finding.severity, finding.rule, finding.message);
//! }
//! # Ok(())
//! # }
//! ```

mod audit;
mod from_vendor;
mod moment;
mod record;

use futures_util::StreamExt as _;
use serde::{Serialize, Serializer};

pub use audit::{Finding, Policy, Rule, Severity};
pub use moment::Moment;
pub use record::{
    Account, AccountKind, Anomaly, Permissions, TokenId, TokenRecord, Vendor, VendorRecord,
};

use crate::Error;
#[cfg(feature = "bamboo")]
use crate::bamboo;
#[cfg(feature = "entuity")]
use crate::entuity;
#[cfg(feature = "insight")]
use crate::insight;
#[cfg(feature = "magpie")]
use crate::magpie;

/// Where tokens are listed from: a client of one vendor, under a name of the caller's that
/// records, failures and progress carry.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    kind: SourceKind,
}

#[derive(Debug, Clone)]
enum SourceKind {
    #[cfg(feature = "magpie")]
    Magpie(magpie::Client),
    #[cfg(feature = "magpie")]
    MagpieServiceAccount(magpie::Client, String),
    #[cfg(feature = "bamboo")]
    Bamboo(bamboo::Client),
    #[cfg(feature = "entuity")]
    Entuity(entuity::Client),
    #[cfg(feature = "insight")]
    Insight(insight::Client),
}

impl Source {
    /// The Magpie tokens of the user whose session `client` carries.
    #[cfg(feature = "magpie")]
    pub fn magpie(name: impl Into<String>, client: magpie::Client) -> Self {
        Self { name: name.into(), kind: SourceKind::Magpie(client) }
    }

    /// The tokens of Magpie's service account `user_name`, listed by an administrator's
    /// `client`.
    #[cfg(feature = "magpie")]
    pub fn magpie_service_account(
        name: impl Into<String>,
        client: magpie::Client,
        user_name: impl Into<String>,
    ) -> Self {
        Self { name: name.into(), kind: SourceKind::MagpieServiceAccount(client, user_name.into()) }
    }

    /// Every token of a Bamboo server.
    #[cfg(feature = "bamboo")]
    pub fn bamboo(name: impl Into<String>, client: bamboo::Client) -> Self {
        Self { name: name.into(), kind: SourceKind::Bamboo(client) }
    }

    /// Every token of an Entuity server.
    #[cfg(feature = "entuity")]
    pub fn entuity(name: impl Into<String>, client: entuity::Client) -> Self {
        Self { name: name.into(), kind: SourceKind::Entuity(client) }
    }

    /// The Insight.io tokens of the user whose token `client` carries.
    #[cfg(feature = "insight")]
    pub fn insight(name: impl Into<String>, client: insight::Client) -> Self {
        Self { name: name.into(), kind: SourceKind::Insight(client) }
    }

    /// The name records and failures carry.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The vendor it lists.
    pub fn vendor(&self) -> Vendor {
        match &self.kind {
            #[cfg(feature = "magpie")]
            SourceKind::Magpie(_) | SourceKind::MagpieServiceAccount(..) => Vendor::Magpie,
            #[cfg(feature = "bamboo")]
            SourceKind::Bamboo(_) => Vendor::Bamboo,
            #[cfg(feature = "entuity")]
            SourceKind::Entuity(_) => Vendor::Entuity,
            #[cfg(feature = "insight")]
            SourceKind::Insight(_) => Vendor::Insight,
        }
    }

    /// Lists the source's tokens as records.
    async fn list(&self) -> Result<Vec<TokenRecord>, Error> {
        let name = self.name.as_str();
        Ok(match &self.kind {
            #[cfg(feature = "magpie")]
            SourceKind::Magpie(client) => {
                let account = Account { kind: AccountKind::User, name: None };
                let tokens = client.list_tokens().await?;
                tokens.into_iter().map(|t| TokenRecord::magpie(name, account.clone(), t)).collect()
            }
            #[cfg(feature = "magpie")]
            SourceKind::MagpieServiceAccount(client, user_name) => {
                let account =
                    Account { kind: AccountKind::ServiceAccount, name: Some(user_name.clone()) };
                let tokens = client.service_account(user_name).list().await?;
                tokens.into_iter().map(|t| TokenRecord::magpie(name, account.clone(), t)).collect()
            }
            #[cfg(feature = "bamboo")]
            SourceKind::Bamboo(client) => {
                let tokens = client.list_tokens().await?;
                tokens.into_iter().map(|token| TokenRecord::bamboo(name, token)).collect()
            }
            #[cfg(feature = "entuity")]
            SourceKind::Entuity(client) => {
                let tokens = client.list_tokens().await?;
                tokens.into_iter().map(|token| TokenRecord::entuity(name, token)).collect()
            }
            #[cfg(feature = "insight")]
            SourceKind::Insight(client) => {
                let tokens = client.list_tokens().await?;
                tokens.into_iter().map(|token| TokenRecord::insight(name, token)).collect()
            }
        })
    }
}

/// The tokens of several sources, and the sources that could not be listed.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Inventory {
    /// Every token listed, in the order of the sources and then of each vendor's list.
    pub records: Vec<TokenRecord>,
    /// The sources that failed, in the order of the sources; their tokens are missing.
    pub failures: Vec<SourceFailure>,
}

/// A source that could not be listed.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct SourceFailure {
    /// The source's name.
    pub source: String,
    /// Its vendor.
    pub vendor: Vendor,
    /// Why; serialized as its message, which holds no secret.
    #[serde(serialize_with = "as_message")]
    pub error: Error,
}

fn as_message<S: Serializer>(error: &Error, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(error)
}

/// What an inventory in progress reports, for a progress bar: each event with the number of
/// sources done so far and in all.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A source's listing started.
    Started {
        /// The source.
        source: &'a str,
        /// Sources done, and in all.
        done: usize,
        /// Sources in all.
        total: usize,
    },
    /// A source was listed.
    Listed {
        /// The source.
        source: &'a str,
        /// How many tokens it has.
        tokens: usize,
        /// Sources done, this one included.
        done: usize,
        /// Sources in all.
        total: usize,
    },
    /// A source could not be listed.
    Failed {
        /// The source.
        source: &'a str,
        /// Why.
        error: &'a Error,
        /// Sources done, this one included.
        done: usize,
        /// Sources in all.
        total: usize,
    },
}

impl Inventory {
    /// Lists `sources`, at most `max_concurrent` at a time (at least one), reporting each
    /// start and end to `progress`. A source that fails (401, a timeout, a 500) is in
    /// [`failures`](Self::failures) and costs none of the others' tokens.
    pub async fn collect(
        sources: &[Source],
        max_concurrent: usize,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Self {
        let total = sources.len();
        let mut done = 0;
        let mut results: Vec<(usize, Result<Vec<TokenRecord>, Error>)> = Vec::with_capacity(total);
        let mut pending = sources.iter().enumerate();
        let mut running = futures_util::stream::FuturesUnordered::new();
        loop {
            while running.len() < max_concurrent.max(1) {
                let Some((index, source)) = pending.next() else { break };
                progress(Progress::Started { source: &source.name, done, total });
                running.push(async move { (index, source.list().await) });
            }
            let Some((index, result)) = running.next().await else { break };
            done += 1;
            let source = &sources[index].name;
            match &result {
                Ok(records) => {
                    progress(Progress::Listed { source, tokens: records.len(), done, total })
                }
                Err(error) => progress(Progress::Failed { source, error, done, total }),
            }
            results.push((index, result));
        }
        results.sort_by_key(|(index, _)| *index);
        let mut inventory = Self { records: Vec::new(), failures: Vec::new() };
        for (index, result) in results {
            let source = &sources[index];
            match result {
                Ok(records) => inventory.records.extend(records),
                Err(error) => inventory.failures.push(SourceFailure {
                    source: source.name.clone(),
                    vendor: source.vendor(),
                    error,
                }),
            }
        }
        inventory
    }
}
