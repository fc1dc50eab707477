//! Properties over arbitrary server answers and arbitrary caller input. `PROPTEST_CASES` sets
//! the number of cases (256 by default); with `ACCESS_TOKENS_FUZZ_SECONDS` set, each property
//! runs fresh batches for that long instead, which is what `cargo xtask fuzz` does.

use access_tokens::magpie::Client;
use access_tokens::{Error, InvalidReason, RetryPolicy, entuity};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A runtime, a server answering everything with `reply`, and a Magpie client for it.
struct Bench {
    runtime: Runtime,
    server: MockServer,
    magpie: Client,
}

impl Bench {
    fn new() -> Self {
        let runtime = Runtime::new().unwrap();
        let server = runtime.block_on(MockServer::start());
        let magpie = Client::builder(format!("{}/api/magpie", server.uri()))
            .retry(RetryPolicy::NEVER)
            .session_token("s")
            .unwrap();
        Self { runtime, server, magpie }
    }

    /// Answers the next calls with `reply` and forgets earlier requests.
    async fn answer(&self, reply: ResponseTemplate) {
        self.server.reset().await;
        Mock::given(any_request()).respond_with(reply).mount(&self.server).await;
    }

    async fn only_request(&self) -> Request {
        let mut requests = self.server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        requests.remove(0)
    }
}

/// Checks `test` on values of `strategy`: one run of the configured cases, or repeated runs
/// until `ACCESS_TOKENS_FUZZ_SECONDS` have passed. Fails with the smallest failing value.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let config = Config { failure_persistence: None, ..Config::default() };
    let seconds = std::env::var("ACCESS_TOKENS_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let deadline = Instant::now() + Duration::from_secs(seconds.unwrap_or(0));
    let mut cases = 0;
    loop {
        if let Err(failure) = TestRunner::new(config.clone()).run(&strategy, &test) {
            panic!("after {cases} passing cases: {failure}");
        }
        cases += config.cases;
        if Instant::now() >= deadline {
            break;
        }
    }
    if seconds.is_some() {
        println!("{cases} cases passed");
    }
}

/// Bytes a server might send: anything at all, or JSON objects with odd values.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..300),
        any::<String>().prop_map(|s| serde_json::json!({ "token": s }).to_string().into_bytes()),
        any::<i64>()
            .prop_map(
                |n| format!(r#"{{"items": [{{"tokenId": {n}, "tokenValue": "v"}}]}}"#).into_bytes()
            ),
    ]
}

#[test]
fn any_success_body_is_decoded_or_kept_whole() {
    let bench = Bench::new();
    let entuity = entuity::Client::builder(bench.server.uri())
        .retry(RetryPolicy::NEVER)
        .basic_auth("a", "b")
        .unwrap();
    check(bodies(), |body| {
        bench.runtime.block_on(async {
            bench
                .answer(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
                .await;
            let outcomes = [
                bench.magpie.create_token().await.map(drop),
                bench.magpie.list_tokens().await.map(drop),
                entuity.list_tokens().await.map(drop),
            ];
            for outcome in outcomes {
                match outcome {
                    Ok(()) => {}
                    Err(Error::Decode { body: kept, .. }) => {
                        prop_assert_eq!(kept.expose_bytes(), &body[..])
                    }
                    Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
                }
            }
            Ok(())
        })
    });
}

/// What the SDK must refuse before sending, for a value that goes into one path segment.
fn refusal(value: &str) -> Option<InvalidReason> {
    if value.is_empty() {
        Some(InvalidReason::Empty)
    } else if value == "." || value == ".." {
        Some(InvalidReason::DotSegment)
    } else if value.chars().any(char::is_control) {
        Some(InvalidReason::ControlCharacter)
    } else if value.contains('\\') {
        Some(InvalidReason::Backslash)
    } else {
        None
    }
}

/// Ids and user names: short strings of anything, and the characters that matter in a path.
fn segments() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        vec(
            prop::sample::select(vec![
                '.', '/', '\\', '%', '?', '#', ' ', '@', ';', 'é', '\n', 'a'
            ]),
            0..6
        )
        .prop_map(|chars| chars.into_iter().collect()),
    ]
}

#[test]
fn any_id_is_refused_before_sending_or_arrives_as_exactly_one_segment() {
    let bench = Bench::new();
    check(segments(), |id| {
        bench.runtime.block_on(async {
                bench.answer(ResponseTemplate::new(200).set_body_raw("[]", "application/json")).await;
                let disabled = bench.magpie.disable(&id).await;
                let listed = bench.magpie.service_account(&id).list().await;
                match refusal(&id) {
                    Some(reason) => {
                        for outcome in [disabled, listed.map(drop)] {
                            let refused = matches!(outcome, Err(Error::InvalidInput { reason: r, .. }) if r == reason);
                            prop_assert!(refused, "{id:?}: {outcome:?}");
                        }
                        prop_assert!(bench.server.received_requests().await.unwrap().is_empty());
                    }
                    None => {
                        prop_assert!(disabled.is_ok() && listed.is_ok(), "{id:?}");
                        let requests = bench.server.received_requests().await.unwrap();
                        let prefixes = ["/api/magpie/access-token/", "/api/magpie/access-token/user/"];
                        let suffixes = ["/status/true", ""];
                        for ((request, prefix), suffix) in requests.iter().zip(prefixes).zip(suffixes) {
                            let path = request.url.path();
                            let segment = path.strip_prefix(prefix).and_then(|p| p.strip_suffix(suffix));
                            let segment = segment.unwrap_or_else(|| panic!("{id:?} reached {path}"));
                            prop_assert!(!segment.contains('/'), "{id:?} split into segments: {path}");
                            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8().unwrap();
                            prop_assert_eq!(decoded, id.as_str());
                        }
                    }
                }
                Ok(())
            })
    });
}

#[test]
fn any_description_is_sent_byte_for_byte() {
    let bench = Bench::new();
    let descriptions =
        prop_oneof![any::<String>(), "[\\PC\\n\\t\\r]{0,40}".prop_map(String::from), "x{5000}"];
    check(descriptions, |description| {
        bench.runtime.block_on(async {
            bench.answer(ResponseTemplate::new(200)).await;
            bench.magpie.set_description("t1", description.clone()).await.unwrap();
            let request = bench.only_request().await;
            prop_assert_eq!(&request.body[..], description.as_bytes());
            Ok(())
        })
    });
}
