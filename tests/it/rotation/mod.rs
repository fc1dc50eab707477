//! `access_tokens::rotation`: rotations of every vendor's credentials over the wire against
//! the simulators, with the failure of every step; what a rotation retires and when; the file
//! sink; and revocation of a leaked token. Helpers shared by the modules here.

mod command_sink;
mod faults;
mod file_sink;
mod grace;
mod hook;
mod leaked;
mod lifetime;
mod lock;
mod scope;
mod steps;
mod vault;

use std::io;
use std::sync::Mutex;

use access_tokens::rotation::{Ledger, NewCredential, Report, Retire, Rotation, Sink, Step};
use access_tokens::testing::{EntuityFixture, MagpieFixture};
use access_tokens::{Secret, entuity, insight, magpie};

/// A sink that keeps what it is given, pending until promoted (or set aside), and its ledger;
/// or refuses to store or promote.
#[derive(Default)]
pub struct Memory {
    stored: Mutex<Vec<Secret>>,
    pending: Mutex<Option<Secret>>,
    set_aside: Mutex<Option<Secret>>,
    current: Mutex<Option<Secret>>,
    ledger: Mutex<Ledger>,
    refuse: bool,
    refuse_promote: bool,
}

impl Memory {
    /// A sink holding `current`, as an application's store does before its first rotation.
    pub fn holding(current: &Secret) -> Self {
        Self { current: Mutex::new(Some(current.clone())), ..Self::default() }
    }

    pub fn refusing() -> Self {
        Self { refuse: true, ..Self::default() }
    }

    /// The one secret stored; panics unless there is exactly one.
    pub fn only(&self) -> Secret {
        let stored = self.stored.lock().unwrap();
        assert_eq!(stored.len(), 1, "one secret stored");
        stored[0].clone()
    }

    /// How many secrets were stored.
    pub fn count(&self) -> usize {
        self.stored.lock().unwrap().len()
    }

    /// The secret it holds as current.
    pub fn promoted(&self) -> Option<Secret> {
        self.current.lock().unwrap().clone()
    }

    /// The pending secret it set aside.
    pub fn set_aside(&self) -> Option<Secret> {
        self.set_aside.lock().unwrap().clone()
    }

    /// Its ledger as kept.
    pub fn kept_ledger(&self) -> Ledger {
        self.ledger.lock().unwrap().clone()
    }
}

impl Sink for Memory {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        if self.refuse {
            return Err(io::Error::other("vault sealed"));
        }
        self.stored.lock().unwrap().push(credential.secret.clone());
        *self.pending.lock().unwrap() = Some(credential.secret.clone());
        Ok(())
    }

    async fn promote(&self) -> io::Result<()> {
        if self.refuse_promote {
            return Err(io::Error::other("vault read-only"));
        }
        let pending = self.pending.lock().unwrap().clone();
        *self.current.lock().unwrap() = Some(pending.expect("a pending secret"));
        Ok(())
    }

    async fn finish(&self) -> io::Result<()> {
        *self.pending.lock().unwrap() = None;
        Ok(())
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        Ok(self.pending.lock().unwrap().clone())
    }

    async fn set_aside_pending(&self) -> io::Result<()> {
        *self.set_aside.lock().unwrap() = self.pending.lock().unwrap().take();
        Ok(())
    }

    async fn current(&self) -> io::Result<Option<Secret>> {
        Ok(self.current.lock().unwrap().clone())
    }

    fn name(&self) -> String {
        "memory".to_owned()
    }

    async fn ledger(&self) -> io::Result<Ledger> {
        Ok(self.ledger.lock().unwrap().clone())
    }

    async fn save_ledger(&self, ledger: &Ledger) -> io::Result<()> {
        *self.ledger.lock().unwrap() = ledger.clone();
        Ok(())
    }
}

/// The Entuity simulator, with a second token of guy2's: its id.
pub async fn entuity_with_two_tokens() -> (EntuityFixture, i64) {
    let fixture = EntuityFixture::start().await.unwrap();
    let second = fixture
        .client
        .create_token(&entuity::NewAccessToken::for_user_name("guy2"))
        .await
        .unwrap()
        .token_id;
    (fixture, second)
}

/// A rotation that retires every other credential of the target, as every rotation did before
/// scopes: for the tests of the steps themselves.
pub fn all() -> Rotation {
    Rotation::new().retire(Retire::All)
}

/// Asserts that the report, however shown, holds none of `secrets`.
pub fn assert_secret_free(report: &Report, secrets: &[&Secret]) {
    let shown =
        [format!("{report}"), format!("{report:?}"), serde_json::to_string(report).unwrap()];
    for secret in secrets {
        for text in &shown {
            assert!(!text.contains(secret.expose_secret()), "a secret in {text}");
        }
    }
}

/// The steps taken, and whether each succeeded.
pub fn steps(report: &Report) -> Vec<(Step, bool)> {
    report.steps.iter().map(|s| (s.step, s.failure.is_none())).collect()
}

pub fn is(status: u16) -> impl Fn(&access_tokens::Error) -> bool {
    move |error| error.status().map(|s| s.as_u16()) == Some(status)
}

/// Whether `secret` logs in to Magpie.
pub async fn magpie_works(fixture: &MagpieFixture, secret: &Secret) -> bool {
    let login = magpie::Login::personal_access_token(secret.clone());
    magpie::Client::builder(&fixture.url).login(login).await.is_ok()
}

/// Whether `secret` is a working Insight.io token.
pub async fn insight_works(builder: &insight::ClientBuilder, secret: &Secret) -> bool {
    builder.api_token(secret.clone()).unwrap().list_tokens().await.is_ok()
}

/// A fresh directory for a test's files.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let directory =
        std::env::temp_dir().join(format!("access-tokens-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}
