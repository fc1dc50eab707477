//! Rotation and revocation that never lose or leak the only copy of a secret, never retire a
//! credential they do not own, and never leave the application without one that works.
//!
//! A [`Rotation`] replaces a target's credential (each vendor module's `RotationTarget`: a
//! Magpie user or service account, a Bamboo token name, an Entuity user, an Insight.io user),
//! in steps after AWS Secrets Manager's create, set, test and finish, keeping the pending
//! secret apart from the current one, with a [`Sink`] (a [`FileSink`] is provided) that holds
//! the secret, the rotation's [`Ledger`] between runs, and its lock:
//!
//! 1. **Lock** the sink: one run of a rotation at a time (a second waits, then gives up); and
//!    check that it can take the secret as promised (a file keeps its owner, group and mode;
//!    Vault: the token, the mount and each capability), before anything is read from it.
//! 2. **Retire what is due**: replaced credentials whose grace window has ended.
//! 3. **Resume** with the pending secret an earlier run left, if it is the target's own
//!    (listed in its scope, for its user) and still works; otherwise set it aside, untouched
//!    on the server ([`Sink::set_aside_pending`]), and start afresh.
//! 4. **Prepare**: list the target, and tell what the new credential replaces: the
//!    one the sink holds as current (by its value, or by the id the ledger recorded where the
//!    vendor lists no values). A run that cannot tell retires nothing as replaced and says so.
//! 5. **Create** one new credential, never retried (a repeated create would leave a live
//!    token nobody holds), marked as this rotation's where the vendor has a description
//!    (`[access-tokens: <name>]`), keeping the replaced one's description (Magpie) and
//!    lifetime (Entuity; or the configured one, cut to a maximum): never silently weaker.
//! 6. **Store** it as the pending secret; if the sink fails, retire it again.
//! 7. **Identify** it (Magpie: the one id a listing after the create shows that the one
//!    before did not) and **mark** it where that takes a call of its own.
//! 8. **Check** that it works.
//! 9. **Promote** it in the sink: it becomes current. Until then, what the caller's services
//!    read is the old credential, which still works.
//! 10. Run the **hook** after promotion, if any (a service reload); if it fails, nothing is
//!     retired and the next run goes on from here.
//! 11. **Retire** what it replaces, at once or after the grace window
//!     ([`Rotation::retire_after`]), and what earlier runs of it left behind (a create whose
//!     answer was lost, a pending secret that never worked), and **confirm** it by looking
//!     again (Insight.io answers 200 to a revoke whatever happens: a retired token must get
//!     401).
//! 12. **Finish**: the sink forgets the pending secret.
//!
//! It retires only what it replaces ([`Retire::Replaced`]) unless told to retire every other
//! credential of the target ([`Retire::All`]). [`Rotation::plan`] runs the pre-flight checks
//! and shows what a run would create, where the secret would go, and what it would retire,
//! changing nothing. Each step's outcome is in the [`Report`], with the [`State`] it left. A
//! run that stops part-way leaves the old credential working, or the new one stored, and the
//! same rotation run again converges. No report, error, ledger or log line holds a secret.
//!
//! ```
//! use access_tokens::entuity::{NewAccessToken, RotationTarget};
//! use access_tokens::rotation::{FileSink, Rotation, State};
//! use access_tokens::testing::EntuityFixture;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), access_tokens::Error> {
//! # let EntuityFixture { client, .. } = EntuityFixture::start().await?;
//! # let directory = std::env::temp_dir().join(format!("rotate-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&directory).unwrap();
//! let target = RotationTarget::new(client, NewAccessToken::for_user_name("guy2"));
//! let sink = FileSink::new(directory.join("guy2.token"));
//! let rotation = Rotation::new().named("dashboards").retire_after(Duration::from_secs(3600));
//! let plan = rotation.plan(&target, &sink).await;
//! assert!(plan.is_ready(), "{plan:?}");
//! let report = rotation.run(&target, &sink).await;
//! assert_eq!(report.state, State::Rotated, "{report}");
//! # std::fs::remove_dir_all(&directory).unwrap();
//! # Ok(())
//! # }
//! ```

mod command_sink;
mod file_sink;
mod leaked;
mod ledger;
mod options;
mod plan;
mod report;
mod run;
mod scope;
mod sink;
#[cfg(feature = "vault")]
mod vault_sink;
mod vendor;

pub use command_sink::{BASE_ENVIRONMENT, CommandSink};
pub use file_sink::FileSink;
pub use leaked::{Leaked, revoke_leaked};
pub use ledger::{Attempt, Ledger, Waiting};
pub use options::{Retire, Rotation};
pub use plan::{Plan, PlanCheck};
pub use report::{Failure, Notice, Report, State, Step, StepOutcome};
pub use sink::{NewCredential, Sink, SinkLock};
#[cfg(feature = "vault")]
#[cfg_attr(docsrs, doc(cfg(feature = "vault")))]
pub use vault_sink::{VaultSink, VaultSinkBuilder};
pub(crate) use vendor::sealed::Sealed;
pub use vendor::{About, Created, Credentials, Held, New, Rotate, unmarked};

use crate::Secret;
use crate::inventory::TokenId;

/// Runs a [`Rotation`] with the defaults: the new secret into `sink`, only what it replaces
/// retired, at once.
pub async fn rotate<T: Rotate>(target: &T, sink: &impl Sink) -> Report {
    Rotation::new().run(target, sink).await
}

/// What [`retire`] did: the ids retired, and whether all were and stay so.
struct Retirement {
    retired: Vec<TokenId>,
    /// [`Failure::Retire`] if some could not be retired, else the confirmation's failure.
    outcome: Result<(), Failure>,
}

/// Retires each of `old`, then, if all were, confirms it by looking again (listing with
/// `with`, where the vendor lists with a secret): the one path by which rotation and leak
/// revocation retire credentials.
async fn retire<C: Credentials>(
    credentials: &C,
    old: &[Held<C::Handle>],
    with: Option<&Secret>,
) -> Retirement {
    let mut retired = Vec::new();
    let mut unretired = Vec::new();
    for held in old {
        match credentials.retire(held).await {
            Ok(()) => retired.push(held.id.clone()),
            Err(error) => unretired.push((held.id.clone(), error)),
        }
    }
    let outcome = if !unretired.is_empty() {
        Err(Failure::Retire(unretired))
    } else if old.is_empty() {
        Ok(())
    } else {
        match credentials.confirm(old, with).await {
            Ok(alive) if alive.is_empty() => Ok(()),
            Ok(alive) => Err(Failure::StillAlive(alive)),
            Err(error) => Err(error.into()),
        }
    };
    Retirement { retired, outcome }
}
