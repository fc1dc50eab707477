//! One seeded simulator per vendor, with the clients the examples in these docs start from, so
//! that each example shows only its own lines.

use crate::Error;
#[cfg(feature = "bamboo")]
use crate::bamboo;
#[cfg(feature = "entuity")]
use crate::entuity;
#[cfg(feature = "insight")]
use crate::insight;
#[cfg(feature = "magpie")]
use crate::magpie;

/// A Magpie organization with the user `ada@example.com`, who has one token, the administrator
/// `root@example.com` (both with password `pw`) and the service account `ci@example.com`.
#[cfg(feature = "magpie")]
#[derive(Debug)]
#[non_exhaustive]
pub struct MagpieFixture {
    /// The simulator.
    pub server: super::Magpie,
    /// Its base URL.
    pub url: String,
    /// Logged in as `ada@example.com`.
    pub client: magpie::Client,
    /// Logged in as `root@example.com`.
    pub admin: magpie::Client,
    /// The id of ada's token.
    pub token_id: String,
}

#[cfg(feature = "magpie")]
impl MagpieFixture {
    /// Starts and seeds the simulator, and logs both users in.
    pub async fn start() -> Result<Self, Error> {
        let server = super::Magpie::start().await;
        server.add_user("ada@example.com", "pw");
        server.add_admin("root@example.com", "pw");
        server.add_service_account("ci@example.com");
        let (token_id, _) = server.add_access_token("ada@example.com");
        let url = server.url();
        let login = |user| magpie::Client::builder(&url).login(magpie::Login::password(user, "pw"));
        let client = login("ada@example.com").await?;
        let admin = login("root@example.com").await?;
        Ok(Self { server, url, client, admin, token_id })
    }
}

/// A Bamboo server with the administrator `admin` (password `pw`) and no tokens.
#[cfg(feature = "bamboo")]
#[derive(Debug)]
#[non_exhaustive]
pub struct BambooFixture {
    /// The simulator.
    pub server: super::Bamboo,
    /// Its base URL.
    pub url: String,
    /// Authenticated as `admin`.
    pub client: bamboo::Client,
}

#[cfg(feature = "bamboo")]
impl BambooFixture {
    /// Starts and seeds the simulator.
    pub async fn start() -> Result<Self, Error> {
        let server = super::Bamboo::start().await;
        server.add_admin("admin", "pw");
        let url = server.url();
        let client = bamboo::Client::builder(&url).basic_auth("admin", "pw")?;
        Ok(Self { server, url, client })
    }
}

/// An Entuity server with the administrator `admin` (password `pw`) and the user `guy2`, who
/// has one token.
#[cfg(feature = "entuity")]
#[derive(Debug)]
#[non_exhaustive]
pub struct EntuityFixture {
    /// The simulator.
    pub server: super::Entuity,
    /// Its URL.
    pub url: String,
    /// Authenticated as `admin`.
    pub client: entuity::Client,
    /// The id of guy2's token.
    pub token_id: i64,
}

#[cfg(feature = "entuity")]
impl EntuityFixture {
    /// Starts and seeds the simulator.
    pub async fn start() -> Result<Self, Error> {
        let server = super::Entuity::start().await;
        server.add_admin("admin", "pw");
        server.add_user("guy2", "x");
        let url = server.url();
        let client = entuity::Client::builder(&url).basic_auth("admin", "pw")?;
        let for_guy2 = entuity::NewAccessToken::for_user_name("guy2");
        let token_id = client.create_token(&for_guy2).await?.token_id;
        Ok(Self { server, url, client, token_id })
    }
}

/// An Insight.io server with the user `ada` (password `pw`), who has one token.
#[cfg(feature = "insight")]
#[derive(Debug)]
#[non_exhaustive]
pub struct InsightFixture {
    /// The simulator; [`browser_session`](super::Insight::browser_session) logs ada in.
    pub server: super::Insight,
    /// Its base URL.
    pub url: String,
    /// Authenticated with ada's token.
    pub client: insight::Client,
}

#[cfg(feature = "insight")]
impl InsightFixture {
    /// Starts and seeds the simulator, and authenticates ada.
    pub async fn start() -> Result<Self, Error> {
        let server = super::Insight::start().await;
        server.add_user("ada", "pw");
        let url = server.url();
        let builder = insight::Client::builder(&url);
        let issued = builder.authenticate(insight::Credentials::password("ada", "pw")).await?;
        let client = builder.api_token(issued.token)?;
        Ok(Self { server, url, client })
    }
}
