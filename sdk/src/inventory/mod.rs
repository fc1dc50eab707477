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
//! for record in inventory.records() {
//!     println!("{} {:?} expires {:?}", record.source(), record.id(), record.expires());
//! }
//! assert!(inventory.failures.is_empty());
//! // No secret is written: token values are redacted, secret ids are fingerprints.
//! let json = serde_json::to_string(&inventory).unwrap();
//!
//! use access_tokens::inventory::Policy;
//! // Judged by the servers' clocks, from their answers' `Date`.
//! let now = inventory.server_now().unwrap_or_else(std::time::SystemTime::now);
//! for finding in &inventory.audit(&Policy::recommended(), now) {
//!     println!("{:?} {:?}: {finding}", finding.severity, finding.rule);
//! }
//! # Ok(())
//! # }
//! ```

mod audit;
#[cfg(feature = "history")]
#[cfg_attr(docsrs, doc(cfg(feature = "history")))]
mod history;
mod moment;
mod prometheus;
mod record;
mod seen;
mod vendor;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use serde::{Serialize, Serializer};

pub use audit::{Audit, Finding, Findings, Policy, Rule, Severity};
#[cfg(feature = "history")]
pub use history::{Change, ChangeKind, Changes, History, HistoryError, Pruned, Run, Since};
pub use moment::{Moment, utc_minute};
pub use prometheus::{Health, SourceHealth};
pub(crate) use record::Readings;
pub use record::{
    Account, AccountKind, Anomaly, Listing, Permissions, TokenId, TokenRecord, Tokens, Vendor,
};
pub use seen::{FirstSeen, Seen};
#[cfg(feature = "history")]
pub(crate) use vendor::Identity;
pub(crate) use vendor::VendorToken;

use crate::{Error, ServerClock};

/// Where tokens are listed from: a client of one vendor, under a name of the caller's that
/// records, failures and progress carry. Each vendor's module makes them
/// (`Source::magpie`, `Source::bamboo`, …).
#[derive(Clone)]
pub struct Source {
    name: String,
    vendor: Vendor,
    list: Arc<List>,
}

/// How a source lists: its client's call, with the server's clock as its answer showed it.
type List =
    dyn Fn() -> BoxFuture<'static, Result<(Tokens, Option<ServerClock>), Error>> + Send + Sync;

impl Source {
    /// A source named `name` of `vendor` that lists with `list`.
    ///
    /// Generic, like each vendor's constructor that calls it, so that a vendor's listing is
    /// compiled into the applications that list with it, not into every one that depends on
    /// this crate (a boxed future's code is compiled where it is boxed).
    pub(crate) fn new<F, Fut>(name: impl Into<String>, vendor: Vendor, list: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(Tokens, Option<ServerClock>), Error>> + Send + 'static,
    {
        let list: Arc<List> = Arc::new(move || Box::pin(list()));
        Self { name: name.into(), vendor, list }
    }

    /// The name records and failures carry.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The vendor it lists.
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("name", &self.name).field("vendor", &self.vendor).finish()
    }
}

/// The tokens of several sources, and the sources that could not be listed.
///
/// Serialized as `{"records": [...], "failures": [...], "clocks": [...]}`: every record (with
/// its vendor's record), and no secret.
#[derive(Debug)]
#[non_exhaustive]
pub struct Inventory {
    /// What each source that answered listed, in the order of the sources.
    pub listings: Vec<Listing>,
    /// The sources that failed, in the order of the sources; their tokens are missing.
    pub failures: Vec<SourceFailure>,
    /// The clocks of the servers that answered with a `Date`, in the order of the sources.
    pub clocks: Vec<SourceClock>,
    /// How long each source's listing took, whether it answered or failed, in the order of
    /// the sources (not serialized: the metrics show it).
    pub timings: Vec<SourceTiming>,
}

/// How long a source's listing took, and whether it answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SourceTiming {
    /// The source's name.
    pub source: String,
    /// Its vendor.
    pub vendor: Vendor,
    /// From the call's start to its decoded answer, or its failure.
    pub took: Duration,
    /// Whether it was listed.
    pub listed: bool,
}

impl Serialize for Inventory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut inventory = serializer.serialize_struct("Inventory", 3)?;
        inventory.serialize_field("records", &Records(self))?;
        inventory.serialize_field("failures", &self.failures)?;
        inventory.serialize_field("clocks", &self.clocks)?;
        inventory.end()
    }
}

/// An inventory's records, serialized as a sequence.
struct Records<'a>(&'a Inventory);

impl Serialize for Records<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.records())
    }
}

/// A source's server clock, as its listing's answer showed it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SourceClock {
    /// The source's name.
    pub source: String,
    /// The server's clock against ours; serialized in line (`date_unix_ms`, `skew_ms`).
    #[serde(flatten)]
    pub clock: ServerClock,
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

/// How many sources an inventory lists at once by default: each source is a server of its own
/// (or a handful share one), so a 1,000-source fleet whose servers answer in 20 ms takes
/// 1,000 ÷ 32 × 20 ms ≈ 0.6 s, where 4 at a time took 5 s; 32 connections stay far from any
/// file-descriptor limit and from one server's rate limit.
pub const DEFAULT_CONCURRENCY: usize = 32;

impl Inventory {
    /// Lists `sources`, at most `max_concurrent` at a time (at least one;
    /// [`DEFAULT_CONCURRENCY`] unless the caller knows better), reporting each
    /// start and end to `progress`. A source that fails (401, a timeout, a 500) is in
    /// [`failures`](Self::failures) and costs none of the others' tokens.
    pub async fn collect(
        sources: &[Source],
        max_concurrent: usize,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Self {
        let total = sources.len();
        let mut done = 0;
        let mut results = Vec::with_capacity(total);
        let mut pending = sources.iter().enumerate();
        let mut running = futures_util::stream::FuturesUnordered::new();
        loop {
            while running.len() < max_concurrent.max(1) {
                let Some((index, source)) = pending.next() else { break };
                progress(Progress::Started { source: &source.name, done, total });
                running.push(async move {
                    let started = Instant::now();
                    let result = (source.list)().await;
                    (index, started.elapsed(), result)
                });
            }
            let Some((index, took, result)) = running.next().await else { break };
            done += 1;
            let source = &sources[index].name;
            match &result {
                Ok((tokens, _)) => {
                    progress(Progress::Listed { source, tokens: tokens.len(), done, total })
                }
                Err(error) => progress(Progress::Failed { source, error, done, total }),
            }
            results.push((index, took, result));
        }
        results.sort_by_key(|(index, _, _)| *index);
        let mut inventory = Self {
            listings: Vec::new(),
            failures: Vec::new(),
            clocks: Vec::new(),
            timings: Vec::with_capacity(total),
        };
        for (index, took, result) in results {
            let source = &sources[index];
            inventory.timings.push(SourceTiming {
                source: source.name.clone(),
                vendor: source.vendor(),
                took,
                listed: result.is_ok(),
            });
            match result {
                Ok((tokens, clock)) => {
                    let source = source.name.clone();
                    inventory.listings.push(Listing { source: source.clone(), tokens });
                    inventory.clocks.extend(clock.map(|clock| SourceClock { source, clock }));
                }
                Err(error) => inventory.failures.push(SourceFailure {
                    source: source.name.clone(),
                    vendor: source.vendor(),
                    error,
                }),
            }
        }
        inventory
    }

    /// Every token listed, in the order of the sources and then of each vendor's list.
    pub fn records(&self) -> impl Iterator<Item = TokenRecord<'_>> {
        self.listings.iter().flat_map(Listing::records)
    }

    /// The record at `index` in [`records`](Self::records)' order, such as a
    /// [`Finding`]'s.
    pub fn record(&self, mut index: usize) -> Option<TokenRecord<'_>> {
        for listing in &self.listings {
            match listing.records().nth(index) {
                Some(record) => return Some(record),
                None => index -= listing.len(),
            }
        }
        None
    }

    /// How many tokens were listed.
    pub fn len(&self) -> usize {
        self.listings.iter().map(Listing::len).sum()
    }

    /// Whether no token was listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Now by the servers' clocks: the median of the [`clocks`](Self::clocks)' readings of
    /// now, or `None` if no server sent a `Date`. An audit at it judges expiries as the servers
    /// do, whatever this machine's clock says.
    pub fn server_now(&self) -> Option<SystemTime> {
        let mut nows: Vec<SystemTime> = self.clocks.iter().map(|c| c.clock.now()).collect();
        nows.sort_unstable();
        nows.get(nows.len() / 2).copied()
    }
}
