//! The calls measured: each vendor's list and create, through the SDK's clients and through
//! hand-written reqwest code that makes the same requests.

use std::time::Duration;

use access_tokens::{RetryPolicy, bamboo, entuity, insight, magpie};
use access_tokens_loopback::reqwest_builder;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::server::MemoryServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Vendor {
    Magpie,
    Bamboo,
    Entuity,
    Insight,
}

pub(crate) const VENDORS: [Vendor; 4] =
    [Vendor::Magpie, Vendor::Bamboo, Vendor::Entuity, Vendor::Insight];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    List,
    Create,
}

impl Vendor {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Vendor::Magpie => "magpie",
            Vendor::Bamboo => "bamboo",
            Vendor::Entuity => "entuity",
            Vendor::Insight => "insight",
        }
    }

    /// The method and path (with query) of an operation.
    pub(crate) fn route(self, op: Op) -> (&'static str, &'static str) {
        let method = if op == Op::List { "GET" } else { "POST" };
        let path = match self {
            Vendor::Magpie => "/api/magpie/access-token",
            Vendor::Bamboo => "/bamboo/rest/agent-config/1.0/tokens/",
            Vendor::Entuity => "/api/accessTokens?media=json",
            Vendor::Insight => "/api/token",
        };
        (method, path)
    }

    /// A list of `n` tokens and a created token, in the vendor's documented shapes.
    pub(crate) fn bodies(self, n: usize) -> (Value, Value) {
        let item = |i: usize| match self {
            Vendor::Magpie => {
                json!({"id": format!("tok-{i}"), "description": "laptop", "disabled": false, "created": 1_700_000_000})
            }
            Vendor::Bamboo => {
                json!({"uuid": format!("7ba167aa-631c-4771-b197-{i:012}"), "name": "read and write", "read": true, "change": true})
            }
            Vendor::Entuity => {
                json!({"tokenId": i, "tokenValue": "WlT6a0I6gGAc6V6h0XqM/L2PUVzUQ63H", "userId": 10,
                "expiryTimeSec": 0, "creationTimeSec": 1_683_033_889, "createdBy": "admin", "lastUpdateTimeSec": 1_683_033_889,
                "lastUpdatedBy": "admin", "description": "Token for guy2", "userName": "guy2", "activeSessionCount": 0,
                "stats": {"lastLoginTimeSec": 0, "loginCount": 0}})
            }
            Vendor::Insight => {
                json!({"uid": "ldap@user.0", "apiToken": format!("95e1110da97bf616d2e6838677f0275d{i:032x}"),
                "created": 1_496_357_580_959_i64, "lastUsed": 1_496_357_580_959_i64})
            }
        };
        let items: Vec<Value> = (0..n).map(item).collect();
        match self {
            Vendor::Entuity => (json!({ "items": items }), item(0)),
            Vendor::Bamboo => (Value::Array(items), item(0)),
            Vendor::Magpie | Vendor::Insight => {
                (Value::Array(items), json!({"token": "83dc98e5f1a4b2c7"}))
            }
        }
    }
}

// The shapes a hand-written client would declare: plain serde structs equal to the generated
// ones.
#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct MagpieToken {
    id: Option<String>,
    description: Option<String>,
    disabled: Option<bool>,
    created: Option<Value>,
    expires: Option<Value>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct NewToken {
    token: String,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct BambooToken {
    uuid: String,
    name: String,
    read: bool,
    change: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct EntuityToken {
    token_id: i64,
    token_value: String,
    user_id: Option<i64>,
    user_name: Option<String>,
    expiry_time_sec: Option<i64>,
    creation_time_sec: Option<i64>,
    created_by: Option<String>,
    last_update_time_sec: Option<i64>,
    last_updated_by: Option<String>,
    description: Option<String>,
    active_session_count: Option<i64>,
    stats: Option<EntuityStats>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct EntuityStats {
    last_login_time_sec: Option<i64>,
    login_count: Option<i64>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct EntuityList {
    items: Vec<EntuityToken>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "decoded to be measured, never read")]
pub(crate) struct InsightToken {
    uid: Option<String>,
    api_token: String,
    created: Option<i64>,
    last_used: Option<i64>,
}

/// The User-Agent the SDK's own HTTP client sends, so that the hand-written client's requests
/// are as long as the SDK's and cost the server as much.
pub(crate) const SDK_USER_AGENT: &str = "access-tokens/0.1.0";

/// The four SDK clients and a hand-written equivalent, all configured alike: the same
/// timeouts and User-Agent, no retries, at most 64 calls in flight.
pub(crate) struct Clients {
    pub(crate) magpie: magpie::Client,
    pub(crate) bamboo: bamboo::Client,
    pub(crate) entuity: entuity::Client,
    pub(crate) insight: insight::Client,
    insight_session: insight::SessionClient,
    http: reqwest::Client,
    base: String,
}

impl Clients {
    pub(crate) fn new(server: &MemoryServer) -> Self {
        Self::at(server.uri())
    }

    /// An inventory source of each client, named after its vendor.
    pub(crate) fn sources(&self) -> [access_tokens::inventory::Source; 4] {
        use access_tokens::inventory::Source;
        [
            Source::magpie("magpie", self.magpie.clone()),
            Source::bamboo("bamboo", self.bamboo.clone()),
            Source::entuity("entuity", self.entuity.clone()),
            Source::insight("insight", self.insight.clone()),
        ]
    }

    /// The clients of a server at `base`.
    pub(crate) fn at(base: String) -> Self {
        macro_rules! configured {
            ($builder:expr) => {
                $builder.retry(RetryPolicy::NEVER).max_concurrent_requests(64)
            };
        }
        let http = reqwest_builder()
            .user_agent(SDK_USER_AGENT)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            magpie: configured!(magpie::Client::builder(format!("{base}/api/magpie")))
                .session_token("s")
                .unwrap(),
            bamboo: configured!(bamboo::Client::builder(format!("{base}/bamboo")))
                .basic_auth("admin", "pw")
                .unwrap(),
            entuity: configured!(entuity::Client::builder(&base))
                .basic_auth("admin", "pw")
                .unwrap(),
            insight: configured!(insight::Client::builder(&base)).api_token("t").unwrap(),
            insight_session: configured!(insight::Client::builder(&base))
                .session_cookie("id=1")
                .unwrap(),
            http,
            base,
        }
    }

    /// One call through the SDK (`sdk`) or the hand-written code.
    pub(crate) async fn call(&self, sdk: bool, vendor: Vendor, op: Op) {
        if sdk { self.sdk(vendor, op).await } else { self.hand(vendor, op).await }
    }

    pub(crate) async fn sdk(&self, vendor: Vendor, op: Op) {
        let done = match (vendor, op) {
            (Vendor::Magpie, Op::List) => self.magpie.list_tokens().await.map(drop),
            (Vendor::Magpie, Op::Create) => self.magpie.create_token().await.map(drop),
            (Vendor::Bamboo, Op::List) => self.bamboo.list_tokens().await.map(drop),
            (Vendor::Bamboo, Op::Create) => {
                let token = bamboo::NewToken::new("bench").with_read(true);
                self.bamboo.create_token(&token).await.map(drop)
            }
            (Vendor::Entuity, Op::List) => self.entuity.list_tokens().await.map(drop),
            (Vendor::Entuity, Op::Create) => {
                let token = entuity::NewAccessToken::for_user_name("guy2");
                self.entuity.create_token(&token).await.map(drop)
            }
            (Vendor::Insight, Op::List) => self.insight.list_tokens().await.map(drop),
            (Vendor::Insight, Op::Create) => self.insight_session.create_token().await.map(drop),
        };
        done.expect("the loopback server answers as documented");
    }

    /// The same requests, written by hand with reqwest and serde.
    pub(crate) async fn hand(&self, vendor: Vendor, op: Op) {
        let (_, path) = vendor.route(op);
        let url = format!("{}{path}", self.base);
        let request = match (vendor, op) {
            (Vendor::Magpie, Op::List) => self.http.get(url).header("authorization", "token s"),
            (Vendor::Magpie, Op::Create) => {
                self.http.post(url).header("authorization", "token s").header("content-length", "0")
            }
            (Vendor::Bamboo | Vendor::Entuity, Op::List) => {
                self.http.get(url).basic_auth("admin", Some("pw"))
            }
            (Vendor::Bamboo, Op::Create) => self
                .http
                .post(url)
                .basic_auth("admin", Some("pw"))
                .header("x-atlassian-token", "no-check")
                .json(&json!({"name": "bench", "read": true, "change": false})),
            (Vendor::Entuity, Op::Create) => self
                .http
                .post(url)
                .basic_auth("admin", Some("pw"))
                .json(&json!({"userName": "guy2"})),
            (Vendor::Insight, Op::List) => self.http.get(url).header("x-auth-token", "t"),
            (Vendor::Insight, Op::Create) => {
                self.http.post(url).header("cookie", "id=1").header("content-length", "0")
            }
        };
        let response = request
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let bytes = response.bytes().await.unwrap();
        match (vendor, op) {
            (Vendor::Magpie, Op::List) => {
                drop(serde_json::from_slice::<Vec<MagpieToken>>(&bytes).unwrap())
            }
            (Vendor::Bamboo, Op::List) => {
                drop(serde_json::from_slice::<Vec<BambooToken>>(&bytes).unwrap())
            }
            (Vendor::Bamboo, Op::Create) => {
                drop(serde_json::from_slice::<BambooToken>(&bytes).unwrap())
            }
            (Vendor::Entuity, Op::List) => {
                drop(serde_json::from_slice::<EntuityList>(&bytes).unwrap())
            }
            (Vendor::Entuity, Op::Create) => {
                drop(serde_json::from_slice::<EntuityToken>(&bytes).unwrap())
            }
            (Vendor::Insight, Op::List) => {
                drop(serde_json::from_slice::<Vec<InsightToken>>(&bytes).unwrap())
            }
            (Vendor::Magpie | Vendor::Insight, Op::Create) => {
                drop(serde_json::from_slice::<NewToken>(&bytes).unwrap())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

    use super::*;

    /// A ratio means something only if both sides make the same request, with the same method,
    /// URL, headers and body, so that neither costs the client or the server more on the wire.
    #[tokio::test]
    async fn hand_written_requests_are_the_sdks_requests() {
        let server = MockServer::start().await;
        for vendor in VENDORS {
            let (list, created) = vendor.bodies(2);
            for (op, body) in [(Op::List, list), (Op::Create, created)] {
                let (method, path) = vendor.route(op);
                Mock::given(matchers::method(method))
                    .and(matchers::path(path.split('?').next().unwrap_or(path)))
                    .respond_with(ResponseTemplate::new(200).set_body_json(body))
                    .mount(&server)
                    .await;
            }
        }
        let clients = Clients::at(server.uri());
        for vendor in VENDORS {
            for op in [Op::List, Op::Create] {
                clients.hand(vendor, op).await;
                clients.sdk(vendor, op).await;
            }
        }
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 16);
        for pair in requests.chunks(2) {
            let [hand, sdk] = pair else { unreachable!("16 requests") };
            let headers = |request: &wiremock::Request| -> BTreeSet<(String, String)> {
                let text = |value: &[u8]| String::from_utf8_lossy(value).into_owned();
                let headers = request.headers.iter();
                headers.map(|(name, value)| (name.to_string(), text(value.as_bytes()))).collect()
            };
            let what = format!("{} {}", sdk.method, sdk.url);
            assert_eq!((&hand.method, &hand.url), (&sdk.method, &sdk.url));
            assert_eq!(headers(hand), headers(sdk), "{what}");
            assert_eq!(hand.body, sdk.body, "{what}");
        }
    }
}
