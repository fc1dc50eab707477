//! A Bamboo server with the Agent APIs plugin: administrators and the plugin's tokens.

use std::collections::BTreeMap;

use wiremock::Request;

use super::{
    Reply, Simulator, Vendor, basic_credentials, fresh_hex, header, segments, simulator_api,
};
use crate::Secret;
use crate::bamboo::PluginVersion;
use crate::bamboo::generated::types::{NewToken, Token};

/// A simulated Bamboo server at context path `/bamboo`, serving the token paths of one plugin
/// release. Write operations need `X-Atlassian-Token: no-check`, as Bamboo's XSRF filter
/// demands. The plugin documents no error bodies, so errors have none.
#[derive(Debug)]
pub struct Bamboo {
    sim: Simulator<State>,
}

simulator_api!(Bamboo, "/bamboo");

impl Bamboo {
    /// Starts a server with plugin 1.5 or later and no users.
    pub async fn start() -> Self {
        Self::start_with(PluginVersion::V1_5OrLater).await
    }

    /// Starts a server with the given plugin release's paths and no users.
    pub async fn start_with(version: PluginVersion) -> Self {
        let state = State { version, users: BTreeMap::new(), tokens: Vec::new() };
        Self { sim: Simulator::start(state).await }
    }

    /// Adds a Bamboo administrator, who may manage tokens.
    pub fn add_admin(&self, username: &str, password: &str) {
        self.sim.state().users.insert(username.to_owned(), (password.to_owned(), true));
    }

    /// Adds a Bamboo user who is not an administrator, and so gets 403.
    pub fn add_user(&self, username: &str, password: &str) {
        self.sim.state().users.insert(username.to_owned(), (password.to_owned(), false));
    }

    /// Adds a token as if an administrator had created it, and returns it.
    pub fn add_token(&self, name: &str, read: bool, change: bool) -> Token {
        let token = new_token(NewToken { name: name.to_owned(), read, change });
        self.sim.state().tokens.push(token.clone());
        token
    }

    /// The tokens the server holds now.
    pub fn tokens(&self) -> Vec<Token> {
        self.sim.state().tokens.clone()
    }
}

struct State {
    version: PluginVersion,
    /// User name → (password, administrator).
    users: BTreeMap<String, (String, bool)>,
    tokens: Vec<Token>,
}

fn new_token(request: NewToken) -> Token {
    let hex = fresh_hex(32);
    let uuid =
        format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..]);
    Token {
        uuid: Secret::new(uuid),
        name: request.name,
        read: request.read,
        change: request.change,
    }
}

impl Vendor for State {
    fn handle(&mut self, request: &Request) -> Reply {
        let prefix = match self.version {
            PluginVersion::V1_5OrLater => "/bamboo/rest/agent-config/1.0/tokens",
            PluginVersion::Before1_5 => "/bamboo/rest/agent/1.0/tokens",
        };
        let Some(path) = segments(request, prefix) else { return Reply::empty(404) };
        match basic_credentials(request).and_then(|(user, password)| {
            self.users.get(&user).filter(|(known, _)| *known == password).map(|(_, admin)| *admin)
        }) {
            None => return Reply::empty(401),
            Some(false) => return Reply::empty(403),
            Some(true) => {}
        }
        let method = request.method.as_str();
        if method != "GET" && header(request, "x-atlassian-token") != Some("no-check") {
            return Reply::empty(403);
        }
        match (method, path.as_slice()) {
            ("GET", []) => Reply::json(200, &self.tokens),
            ("POST", []) => match serde_json::from_slice::<NewToken>(&request.body) {
                Ok(new) => {
                    let token = new_token(new);
                    self.tokens.push(token.clone());
                    Reply::json(200, &token)
                }
                Err(_) => Reply::empty(400),
            },
            ("PUT", [uuid]) => {
                let Ok(update) = serde_json::from_slice::<Token>(&request.body) else {
                    return Reply::empty(400);
                };
                if update.uuid.expose_secret() != uuid {
                    return Reply::empty(400);
                }
                match self.tokens.iter_mut().find(|t| t.uuid.expose_secret() == uuid) {
                    Some(token) => {
                        *token = update;
                        Reply::json(200, token)
                    }
                    None => Reply::empty(404),
                }
            }
            _ => Reply::empty(404),
        }
    }
}
