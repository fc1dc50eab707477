//! An Insight.io server: users of three identity providers, browser sessions and API tokens.

use std::collections::{BTreeMap, HashMap};

use wiremock::Request;

use super::{
    Clock, Reply, Seed, Simulator, Vendor, cookie, fresh_hex, header, segments, simulator_api,
    unix_millis,
};
use crate::Secret;
use crate::insight::generated::types::{
    ApiToken, AuthenticatedToken, Credentials, ErrorBody, NewApiToken, ProviderCredentials,
};

/// What Insight.io answers for a token that never expires: Java's largest date.
const NEVER: &str = "292278994-08-17T07:12:55.807Z";
/// The browser session cookie's name.
const SESSION_COOKIE: &str = "id";

/// A simulated Insight.io server serving both of the vendor's API descriptions. Failed
/// authentication gets the vendor's `401 {"error": "Credentials required"}`; revoking answers
/// 200 for any token, as documented.
#[derive(Debug)]
pub struct Insight {
    sim: Simulator<State>,
}

simulator_api!(Insight, "", clock);

impl Insight {
    /// Starts a server with no users.
    pub async fn start() -> Self {
        Self { sim: Simulator::start(State::default()).await }
    }

    /// Adds an Insight.io user who authenticates with `password`.
    pub fn add_user(&self, username: &str, password: &str) {
        self.sim.state().passwords.insert(("userpass".into(), username.into()), password.into());
    }

    /// Adds an LDAP user who authenticates with `password`.
    pub fn add_ldap_user(&self, username: &str, password: &str) {
        self.sim.state().passwords.insert(("ldap".into(), username.into()), password.into());
    }

    /// Adds a user of an OAuth provider (e.g. `github`) whose provider token is `access_token`.
    pub fn add_provider_user(&self, provider: &str, email: &str, access_token: &str) {
        self.sim.state().passwords.insert((provider.into(), email.into()), access_token.into());
    }

    /// Logs a user added with [`add_user`](Self::add_user) in, as a browser would, and returns
    /// the `Cookie` header value of the session.
    pub fn browser_session(&self, username: &str) -> Secret {
        let session = fresh_hex(32);
        let uid = uid("userpass", username);
        self.sim.state().sessions.insert(session.clone(), uid);
        Secret::new(format!("{SESSION_COOKIE}={session}"))
    }

    /// Creates a token for the user `username` (added with [`add_user`](Self::add_user)) as
    /// `seed` describes it: its creation and last use (Insight.io lists no expiry and no
    /// count; a token never used lists its creation as its last use, as the server does).
    /// Returns its value.
    pub fn add_seeded_token(&self, username: &str, seed: Seed) -> Secret {
        let mut state = self.sim.state();
        let value = fresh_hex(128);
        let created = seed.created.map_or_else(|| unix_millis(state.clock.now()), unix_millis);
        let listing = ApiToken {
            uid: Some(uid("userpass", username)),
            api_token: Secret::new(value.clone()),
            created: Some(created),
            last_used: Some(seed.last_used.map_or(created, unix_millis)),
        };
        state.tokens.insert(value.clone(), listing);
        Secret::new(value)
    }

    /// How many tokens have been issued by authenticating, revoked or not.
    pub fn authentications(&self) -> usize {
        self.sim.state().authentications
    }

    /// The number of API tokens the server holds now.
    pub fn token_count(&self) -> usize {
        self.sim.state().tokens.len()
    }
}

#[derive(Default)]
struct State {
    /// (provider, user) → password or provider token.
    passwords: BTreeMap<(String, String), String>,
    /// Session → uid.
    sessions: HashMap<String, String>,
    /// Token value → listing.
    tokens: BTreeMap<String, ApiToken>,
    authentications: usize,
    clock: Clock,
}

/// A user id qualified by its provider, like the vendor's `ldap@user.0`.
fn uid(provider: &str, user: &str) -> String {
    format!("{provider}@{user}")
}

fn unauthorized() -> Reply {
    Reply::json(401, &ErrorBody { error: "Credentials required".into() })
}

impl State {
    fn issue(&mut self, uid: String) -> String {
        let value = fresh_hex(128);
        let now = unix_millis(self.clock.now());
        let listing = ApiToken {
            uid: Some(uid),
            api_token: Secret::new(value.clone()),
            created: Some(now),
            last_used: Some(now),
        };
        self.tokens.insert(value.clone(), listing);
        value
    }

    fn authenticate(&mut self, provider: &str, user: &str, secret: &str) -> Reply {
        let key = (provider.to_owned(), user.to_owned());
        if self.passwords.get(&key).map(String::as_str) != Some(secret) {
            return unauthorized();
        }
        let token = self.issue(uid(provider, user));
        self.authentications += 1;
        Reply::json(
            200,
            &AuthenticatedToken { token: Secret::new(token), expires_on: Some(NEVER.into()) },
        )
    }

    fn create_from_session(&mut self, request: &Request) -> Reply {
        let uid = cookie(request, SESSION_COOKIE).and_then(|s| self.sessions.get(&s).cloned());
        match uid {
            Some(uid) => {
                let token = self.issue(uid);
                Reply::json(200, &NewApiToken { token: Secret::new(token) })
            }
            None => unauthorized(),
        }
    }

    fn list(&mut self, request: &Request) -> Reply {
        let presented = header(request, "x-auth-token").unwrap_or_default();
        let Some(token) = self.tokens.get_mut(presented) else { return unauthorized() };
        token.last_used = Some(unix_millis(self.clock.now()));
        let owner = token.uid.clone();
        let listed: Vec<&ApiToken> = self.tokens.values().filter(|t| t.uid == owner).collect();
        Reply::json(200, &listed)
    }

    fn revoke(&mut self, request: &Request) -> Reply {
        if let Some(presented) = header(request, "x-auth-token") {
            self.tokens.remove(presented);
        }
        Reply::empty(200)
    }
}

impl Vendor for State {
    fn handle(&mut self, request: &Request) -> Reply {
        let Some(path) = segments(request, "/api") else { return Reply::empty(404) };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match (request.method.as_str(), path.as_slice()) {
            ("POST", ["authenticate", provider @ ("userpass" | "ldap")]) => {
                match serde_urlencoded::from_bytes::<Credentials>(&request.body) {
                    Ok(form) => {
                        self.authenticate(provider, &form.username, form.password.expose_secret())
                    }
                    Err(_) => unauthorized(),
                }
            }
            ("POST", ["authenticate", provider]) => {
                match serde_json::from_slice::<ProviderCredentials>(&request.body) {
                    Ok(body) => self.authenticate(
                        provider,
                        &body.email,
                        body.info.access_token.expose_secret(),
                    ),
                    Err(_) => unauthorized(),
                }
            }
            ("GET", ["createApiToken"]) | ("POST", ["token"]) => self.create_from_session(request),
            ("GET", ["getApiTokens"]) | ("GET", ["token"]) => self.list(request),
            ("GET", ["revokeApiToken"]) | ("DELETE", ["token"]) => self.revoke(request),
            _ => Reply::empty(404),
        }
    }
}
