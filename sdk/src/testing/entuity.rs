//! An Entuity server: administrators, users, and access tokens.

use std::collections::BTreeMap;

use wiremock::Request;

use super::{
    Clock, Reply, Seed, Simulator, Vendor, basic_credentials, fresh_hex, segments, simulator_api,
    unix_seconds,
};
use crate::Secret;
use crate::entuity::generated::types::{
    AccessToken, AccessTokenList, AccessTokenStats, AccessTokenUpdate, NewAccessToken,
};

/// A simulated Entuity server. Administrators manage tokens for the users it knows; every call
/// must ask for JSON (`media=json`), or gets 406. Entuity documents no error bodies, so errors
/// have none.
#[derive(Debug)]
pub struct Entuity {
    sim: Simulator<State>,
}

simulator_api!(Entuity, "", clock);

impl Entuity {
    /// Starts a server with no users.
    pub async fn start() -> Self {
        let state = State {
            accounts: BTreeMap::new(),
            users: BTreeMap::new(),
            tokens: BTreeMap::new(),
            next_id: 16,
            clock: Clock::default(),
        };
        Self { sim: Simulator::start(state).await }
    }

    /// Adds an administrator, who may manage tokens.
    pub fn add_admin(&self, username: &str, password: &str) {
        self.add_account(username, password, true);
    }

    /// Adds a user who is not an administrator, and so gets 403 from the token API. Tokens can
    /// be created for them.
    pub fn add_user(&self, username: &str, password: &str) {
        self.add_account(username, password, false);
    }

    fn add_account(&self, username: &str, password: &str, admin: bool) {
        let mut state = self.sim.state();
        state.accounts.insert(username.to_owned(), (password.to_owned(), admin));
        let id = i64::try_from(state.users.len()).unwrap_or(i64::MAX) + 10;
        state.users.insert(username.to_owned(), id);
    }

    /// Creates a token for the user `user_name` as `seed` describes it: its creation, expiry
    /// (never if `None`), last login, login count and active sessions; returns its id.
    /// Panics if there is no such user.
    pub fn add_seeded_token(&self, user_name: &str, seed: Seed) -> i64 {
        let mut state = self.sim.state();
        let user_id =
            *state.users.get(user_name).unwrap_or_else(|| panic!("no user {user_name:?}"));
        state.next_id += 1;
        let created = seed.created.map_or_else(|| unix_seconds(state.clock.now()), unix_seconds);
        let count = |count: u64| Some(i64::try_from(count).unwrap_or(i64::MAX));
        let token = AccessToken {
            token_id: state.next_id,
            token_value: Secret::new(fresh_hex(32)),
            user_id: Some(user_id),
            user_name: Some(user_name.to_owned()),
            expiry_time_sec: Some(match seed.expires {
                Some(crate::Expiry::At(at)) => unix_seconds(at),
                Some(crate::Expiry::Never) | None => 0,
            }),
            creation_time_sec: Some(created),
            created_by: Some("admin".to_owned()),
            last_update_time_sec: Some(created),
            last_updated_by: Some("admin".to_owned()),
            description: None,
            active_session_count: count(seed.active_sessions),
            stats: Some(AccessTokenStats {
                last_login_time_sec: Some(seed.last_used.map_or(0, unix_seconds)),
                login_count: count(seed.uses),
            }),
        };
        state.tokens.insert(token.token_id, token);
        state.next_id
    }

    /// The number of tokens the server holds now.
    pub fn token_count(&self) -> usize {
        self.sim.state().tokens.len()
    }
}

struct State {
    /// Login name → (password, administrator).
    accounts: BTreeMap<String, (String, bool)>,
    /// User name → user id.
    users: BTreeMap<String, i64>,
    tokens: BTreeMap<i64, AccessToken>,
    next_id: i64,
    clock: Clock,
}

impl State {
    /// The user a body names by id or by name: `None` if it names none, `Some(None)` if it
    /// names one the server does not know.
    fn named_user(&self, id: Option<i64>, name: Option<&str>) -> Option<Option<(String, i64)>> {
        let found = match (id, name) {
            (Some(id), _) => self.users.iter().find(|(_, known)| **known == id),
            (None, Some(name)) => self.users.get_key_value(name),
            (None, None) => return None,
        };
        Some(found.map(|(name, id)| (name.clone(), *id)))
    }

    fn create(&mut self, admin: &str, new: NewAccessToken) -> Reply {
        let Some(user) = self.named_user(new.user_id, new.user_name.as_deref()) else {
            return Reply::empty(400);
        };
        let Some((user_name, user_id)) = user else { return Reply::empty(404) };
        self.next_id += 1;
        let now = unix_seconds(self.clock.now());
        let token = AccessToken {
            token_id: self.next_id,
            token_value: Secret::new(fresh_hex(32)),
            user_id: Some(user_id),
            user_name: Some(user_name),
            expiry_time_sec: Some(new.expiry_time_sec.unwrap_or(0)),
            creation_time_sec: Some(now),
            created_by: Some(admin.to_owned()),
            last_update_time_sec: Some(now),
            last_updated_by: Some(admin.to_owned()),
            description: new.description,
            active_session_count: Some(0),
            stats: Some(AccessTokenStats { last_login_time_sec: Some(0), login_count: Some(0) }),
        };
        let reply = Reply::json(200, &token);
        self.tokens.insert(token.token_id, token);
        reply
    }

    fn update(&mut self, admin: &str, id: i64, update: AccessTokenUpdate) -> Reply {
        let user = self.named_user(update.user_id, update.user_name.as_deref());
        let Some(token) = self.tokens.get_mut(&id) else { return Reply::empty(404) };
        match user {
            Some(Some((name, user_id))) => {
                token.user_id = Some(user_id);
                token.user_name = Some(name);
            }
            Some(None) => return Reply::empty(404),
            None => {}
        }
        if let Some(expiry) = update.expiry_time_sec {
            token.expiry_time_sec = Some(expiry);
        }
        if let Some(description) = update.description {
            token.description = Some(description);
        }
        token.last_update_time_sec = Some(unix_seconds(self.clock.now()));
        token.last_updated_by = Some(admin.to_owned());
        Reply::json(200, token)
    }
}

impl Vendor for State {
    fn handle(&mut self, request: &Request) -> Reply {
        let Some(path) = segments(request, "/api/accessTokens") else { return Reply::empty(404) };
        let admin = match basic_credentials(request) {
            Some((user, password)) => match self.accounts.get(&user) {
                Some((known, true)) if *known == password => user,
                Some((known, false)) if *known == password => return Reply::empty(403),
                _ => return Reply::empty(401),
            },
            None => return Reply::empty(401),
        };
        let json = request.url.query_pairs().any(|(key, value)| key == "media" && value == "json");
        if !json {
            return Reply::empty(406);
        }
        let id = match path.as_slice() {
            [] => None,
            [id] => match id.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => return Reply::empty(404),
            },
            _ => return Reply::empty(404),
        };
        match (request.method.as_str(), id) {
            ("GET", None) => Reply::json(
                200,
                &AccessTokenList { items: self.tokens.values().cloned().collect() },
            ),
            ("POST", None) => match serde_json::from_slice(&request.body) {
                Ok(new) => self.create(&admin, new),
                Err(_) => Reply::empty(400),
            },
            ("GET", Some(id)) => {
                self.tokens.get(&id).map_or_else(|| Reply::empty(404), |t| Reply::json(200, t))
            }
            ("PUT", Some(id)) => match serde_json::from_slice(&request.body) {
                Ok(update) => self.update(&admin, id, update),
                Err(_) => Reply::empty(400),
            },
            ("DELETE", Some(id)) => match self.tokens.remove(&id) {
                Some(_) => Reply::empty(200),
                None => Reply::empty(404),
            },
            _ => Reply::empty(405),
        }
    }
}
