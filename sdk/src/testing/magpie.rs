//! A Silect Magpie server: users, service accounts, sessions and access tokens.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;
use wiremock::Request;

use super::{
    Clock, Reply, Seed, Simulator, Vendor, cookie, fresh_hex, header, segments, simulator_api,
    unix_seconds,
};
use crate::Secret;
use crate::magpie::generated::types::{AccessToken, LoginRequest, NewAccessToken, SessionToken};

const PREFIX: &str = "/api/magpie";

/// A simulated Magpie organization. Users log in with a password or a personal access token;
/// administrators also manage service accounts' tokens. Magpie documents no error bodies, so
/// errors have none.
#[derive(Debug)]
pub struct Magpie {
    sim: Simulator<State>,
}

simulator_api!(Magpie, "/api/magpie", clock);

impl Magpie {
    /// Starts an organization with no users.
    pub async fn start() -> Self {
        Self { sim: Simulator::start(State::default()).await }
    }

    /// Adds a user who logs in with `password`.
    pub fn add_user(&self, username: &str, password: &str) {
        self.add(username, Some(password), Role::User);
    }

    /// Adds an organization administrator who logs in with `password`.
    pub fn add_admin(&self, username: &str, password: &str) {
        self.add(username, Some(password), Role::Admin);
    }

    /// Adds a service account: it cannot log in with a password, and administrators manage
    /// its tokens.
    pub fn add_service_account(&self, username: &str) {
        self.add(username, None, Role::ServiceAccount);
    }

    fn add(&self, username: &str, password: Option<&str>, role: Role) {
        let user = User { password: password.map(str::to_owned), role };
        self.sim.state().users.insert(username.to_owned(), user);
    }

    /// Creates an access token for an existing user, as if they had, and returns its id and
    /// value. Panics if there is no such user.
    pub fn add_access_token(&self, username: &str) -> (String, Secret) {
        let mut state = self.sim.state();
        assert!(state.users.contains_key(username), "no user {username:?}");
        let token = state.create_token(username);
        (token.id.clone(), Secret::new(token.value.clone()))
    }

    /// Creates an access token for an existing user as `seed` describes it (its creation,
    /// expiry and disabled state: Magpie lists no use), and returns its id and value. Panics
    /// if there is no such user.
    pub fn add_seeded_token(&self, username: &str, seed: Seed) -> (String, Secret) {
        let mut state = self.sim.state();
        assert!(state.users.contains_key(username), "no user {username:?}");
        let token = state.create_token(username);
        if let Some(created) = seed.created {
            token.created = unix_seconds(created);
        }
        // Magpie documents no "never": a token that does not expire lists no expiry.
        token.expires = match seed.expires {
            Some(crate::Expiry::At(at)) => Some(unix_seconds(at)),
            Some(crate::Expiry::Never) | None => None,
        };
        token.disabled = seed.disabled;
        (token.id.clone(), Secret::new(token.value.clone()))
    }

    /// Ends every session, as when they expire: calls with them get 401 until their clients
    /// log in again.
    pub fn end_sessions(&self) {
        self.sim.state().sessions.clear();
    }

    /// How many sessions have been started by logging in, ended or not.
    pub fn logins(&self) -> usize {
        self.sim.state().logins
    }

    /// The number of access tokens `username` has now.
    pub fn token_count(&self, username: &str) -> usize {
        self.sim.state().tokens.values().filter(|t| t.owner == username).count()
    }
}

#[derive(Default)]
struct State {
    users: BTreeMap<String, User>,
    /// Session token → user name.
    sessions: HashMap<String, String>,
    /// Token id → token.
    tokens: BTreeMap<String, Token>,
    next_id: u64,
    logins: usize,
    clock: Clock,
}

struct User {
    password: Option<String>,
    role: Role,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    User,
    Admin,
    ServiceAccount,
}

struct Token {
    id: String,
    owner: String,
    value: String,
    description: Option<String>,
    disabled: bool,
    created: i64,
    /// Unix seconds, when the token expires.
    expires: Option<i64>,
}

impl Token {
    fn listed(&self) -> AccessToken {
        AccessToken {
            id: Some(self.id.clone()),
            description: self.description.clone(),
            disabled: Some(self.disabled),
            created: Some(json!(self.created)),
            expires: self.expires.map(|expires| json!(expires)),
        }
    }
}

impl State {
    fn create_token(&mut self, owner: &str) -> &mut Token {
        self.next_id += 1;
        let id = format!("tok-{}", self.next_id);
        let token = Token {
            id: id.clone(),
            owner: owner.to_owned(),
            value: fresh_hex(40),
            description: None,
            disabled: false,
            created: unix_seconds(self.clock.now()),
            expires: None,
        };
        self.tokens.entry(id).or_insert(token)
    }

    fn new_token(&mut self, owner: &str) -> Reply {
        let value = self.create_token(owner).value.clone();
        Reply::json(200, &NewAccessToken { token: Secret::new(value) })
    }

    fn list(&self, owner: &str) -> Reply {
        let tokens: Vec<_> =
            self.tokens.values().filter(|t| t.owner == owner).map(Token::listed).collect();
        Reply::json(200, &tokens)
    }

    fn login(&mut self, request: &Request) -> Reply {
        let Ok(body) = serde_json::from_slice::<LoginRequest>(&request.body) else {
            return Reply::empty(400);
        };
        let user = match body {
            LoginRequest::PasswordLogin(login) => self
                .users
                .get(&login.username)
                .filter(|u| u.password.as_deref() == Some(login.password.expose_secret()))
                .map(|_| login.username),
            LoginRequest::AccessTokenLogin(login) => self
                .tokens
                .values()
                .find(|t| !t.disabled && t.value == login.token.expose_secret())
                .map(|t| t.owner.clone()),
            // Single sign-on continues in a browser.
            LoginRequest::SingleSignOnLogin(_) => None,
        };
        let Some(user) = user else { return Reply::empty(401) };
        let session = fresh_hex(32);
        self.sessions.insert(session.clone(), user);
        self.logins += 1;
        Reply::json(200, &SessionToken { token: Secret::new(session) })
    }

    /// The user whose session the request carries, in the header or the cookie.
    fn caller(&self, request: &Request) -> Option<String> {
        let from_header = header(request, "authorization").and_then(|v| v.strip_prefix("token "));
        let session = from_header.map(str::to_owned).or_else(|| cookie(request, "token"))?;
        self.sessions.get(&session).cloned()
    }

    fn role(&self, user: &str) -> Option<Role> {
        self.users.get(user).map(|u| u.role)
    }

    /// Runs `change` on the token if `caller` may manage it: their own, or a service
    /// account's for an administrator.
    fn with_token(&mut self, caller: &str, id: &str, change: impl FnOnce(&mut Token)) -> Reply {
        let admin = self.role(caller) == Some(Role::Admin);
        let roles: HashMap<String, Role> =
            self.users.iter().map(|(name, user)| (name.clone(), user.role)).collect();
        let Some(token) = self.tokens.get_mut(id) else { return Reply::empty(404) };
        let service_account = roles.get(&token.owner) == Some(&Role::ServiceAccount);
        if token.owner != caller && !(admin && service_account) {
            return Reply::empty(403);
        }
        change(token);
        Reply::empty(200)
    }

    /// Checks that `caller` is an administrator and `account` a service account.
    fn service_account(&self, caller: &str, account: &str) -> Result<(), Reply> {
        if self.role(caller) != Some(Role::Admin) {
            return Err(Reply::empty(403));
        }
        match self.role(account) {
            Some(Role::ServiceAccount) => Ok(()),
            _ => Err(Reply::empty(404)),
        }
    }
}

impl Vendor for State {
    fn handle(&mut self, request: &Request) -> Reply {
        let Some(path) = segments(request, PREFIX) else { return Reply::empty(404) };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let method = request.method.as_str();
        if (method, path.as_slice()) == ("POST", ["login"].as_slice()) {
            return self.login(request);
        }
        let Some(caller) = self.caller(request) else { return Reply::empty(401) };
        match (method, path.as_slice()) {
            ("GET", ["version"]) => Reply::json(200, &json!({ "version": "simulated" })),
            ("GET", ["access-token"]) => self.list(&caller),
            ("POST", ["access-token"]) => self.new_token(&caller),
            ("PUT", ["access-token", id, "status", disabled]) => match disabled.parse::<bool>() {
                Ok(disabled) => self.with_token(&caller, id, |t| t.disabled = disabled),
                Err(_) => Reply::empty(400),
            },
            ("PUT", ["access-token", id, "description"]) => {
                let description = String::from_utf8_lossy(&request.body).into_owned();
                self.with_token(&caller, id, |t| t.description = Some(description))
            }
            ("DELETE", ["access-token", id]) => {
                let reply = self.with_token(&caller, id, |_| ());
                if reply.status == 200 {
                    self.tokens.remove(*id);
                }
                reply
            }
            ("GET", ["access-token", "user", account]) => {
                self.service_account(&caller, account).map_or_else(|e| e, |()| self.list(account))
            }
            ("POST", ["access-token", "user", account]) => self
                .service_account(&caller, account)
                .map_or_else(|e| e, |()| self.new_token(account)),
            ("POST", ["access-token", "rotate", account]) => {
                if let Err(reply) = self.service_account(&caller, account) {
                    return reply;
                }
                self.tokens.retain(|_, t| t.owner != *account);
                self.new_token(account)
            }
            _ => Reply::empty(404),
        }
    }
}
