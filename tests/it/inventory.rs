//! `access_tokens::inventory`: every vendor's tokens as records of one shape, listed from
//! several sources at once, over the wire against the simulators.

use std::time::Duration;

use access_tokens::inventory::{
    AccountKind, Anomaly, Inventory, Moment, Progress, Source, TokenId, Vendor,
};
use access_tokens::testing::{BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture};
use access_tokens::{entuity, magpie};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The four fixtures, with a token for Bamboo and for Magpie's service account besides the
/// ones they start with.
struct Fleet {
    magpie: MagpieFixture,
    bamboo: BambooFixture,
    entuity: EntuityFixture,
    insight: InsightFixture,
}

impl Fleet {
    async fn start() -> Self {
        let fleet = Self {
            magpie: MagpieFixture::start().await.unwrap(),
            bamboo: BambooFixture::start().await.unwrap(),
            entuity: EntuityFixture::start().await.unwrap(),
            insight: InsightFixture::start().await.unwrap(),
        };
        fleet.bamboo.server.add_token("agent drain", true, false);
        fleet.magpie.admin.service_account("ci@example.com").create().await.unwrap();
        fleet
    }

    fn sources(&self) -> Vec<Source> {
        vec![
            Source::magpie("magpie ada", self.magpie.client.clone()),
            Source::magpie_service_account(
                "magpie ci",
                self.magpie.admin.clone(),
                "ci@example.com",
            ),
            Source::bamboo("bamboo", self.bamboo.client.clone()),
            Source::entuity("entuity", self.entuity.client.clone()),
            Source::insight("insight", self.insight.client.clone()),
        ]
    }
}

#[tokio::test]
async fn every_vendors_tokens_become_records_of_one_shape() {
    let fleet = Fleet::start().await;
    let inventory = Inventory::collect(&fleet.sources(), 4, |_| {}).await;
    assert!(inventory.failures.is_empty(), "{:?}", inventory.failures);
    let sources: Vec<&str> = inventory.records().map(|r| r.source()).collect();
    assert_eq!(sources, ["magpie ada", "magpie ci", "bamboo", "entuity", "insight"]);
    let records: Vec<_> = inventory.records().collect();
    let [ada, ci, bamboo, entuity, insight] = &records[..] else { unreachable!() };

    assert_eq!(ada.vendor(), Vendor::Magpie);
    assert_eq!(ada.id(), Some(TokenId::Vendor(fleet.magpie.token_id.clone())));
    let account = ada.account().unwrap();
    // The source's login user: personal tokens count towards `max_tokens_per_account` too.
    assert_eq!(
        (account.kind, account.name.as_deref()),
        (AccountKind::User, Some("ada@example.com"))
    );
    assert_eq!(ada.enabled(), Some(true));
    assert!(matches!(ada.created(), Moment::At(_)), "{:?}", ada.created());
    assert_eq!(ada.expires(), Moment::UNREPORTED);
    let account = ci.account().unwrap();
    assert_eq!(
        (account.kind, account.name.as_deref()),
        (AccountKind::ServiceAccount, Some("ci@example.com"))
    );

    // Bamboo's uuid is its secret: the id is a fingerprint, the same in every listing.
    let uuid = fleet.bamboo.server.tokens()[0].uuid.clone();
    let Some(TokenId::Fingerprint(fingerprint)) = bamboo.id() else { panic!("{:?}", bamboo.id()) };
    assert!(fingerprint.starts_with("sha256:") && fingerprint.len() == 23, "{fingerprint}");
    assert!(!fingerprint.contains(uuid.expose_secret()));
    assert_eq!((bamboo.account(), bamboo.name()), (None, Some("agent drain")));
    let permissions = bamboo.permissions().unwrap();
    assert_eq!((permissions.read, permissions.write), (true, false));
    assert_eq!((bamboo.created(), bamboo.last_used()), (Moment::UNREPORTED, Moment::UNREPORTED));
    let again = Inventory::collect(&fleet.sources()[2..3], 1, |_| {}).await;
    assert_eq!(again.record(0).unwrap().id(), bamboo.id());

    assert_eq!(entuity.id(), Some(TokenId::Vendor(fleet.entuity.token_id.to_string())));
    assert_eq!(entuity.account().unwrap().name.as_deref(), Some("guy2"));
    // Entuity's 0 is never, for the expiry and the last login.
    assert_eq!((entuity.expires(), entuity.last_used()), (Moment::Never, Moment::Never));
    assert_eq!((entuity.use_count(), entuity.active_sessions()), (Some(0), Some(0)));

    assert!(matches!(insight.id(), Some(TokenId::Fingerprint(_))));
    assert_eq!(insight.account().unwrap().kind, AccountKind::User);
    assert!(matches!((insight.created(), insight.last_used()), (Moment::At(_), Moment::At(_))));
    assert!(inventory.records().all(|record| record.anomalies().is_empty()));
}

/// Entuity's own example has a token that expires before it was created: flagged, and kept
/// as sent. Its other token's counts and times are read in seconds.
#[tokio::test]
async fn impossible_values_are_flagged_and_units_are_the_vendors() {
    let server = MockServer::start().await;
    let example = include_str!("../fixtures/entuity/access_tokens.json");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(example, "application/json"))
        .mount(&server)
        .await;
    let client = entuity::Client::builder(server.uri()).basic_auth("admin", "pw").unwrap();
    let inventory = Inventory::collect(&[Source::entuity("example", client)], 1, |_| {}).await;
    let records: Vec<_> = inventory.records().collect();
    let [expired_at_birth, used] = &records[..] else { panic!("{inventory:?}") };
    assert_eq!(expired_at_birth.anomalies(), [Anomaly::ExpiresBeforeCreated]);
    assert_eq!(expired_at_birth.expires().at(), Some(seconds(1_682_418_245)));
    assert_eq!(used.expires(), Moment::Never);
    assert_eq!(used.last_used().at(), Some(seconds(1_683_050_000)));
    assert_eq!((used.use_count(), used.active_sessions()), (Some(5), Some(2)));
}

fn seconds(unix: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + Duration::from_secs(unix)
}

/// A source that answers 500, one whose credentials are refused, and one that times out are
/// each reported with their error, and every other source's tokens are there.
#[tokio::test]
async fn a_failing_source_is_reported_and_loses_none_of_the_others() {
    let fleet = Fleet::start().await;
    fleet.entuity.server.inject(Fault::Status(500), 1);
    let refused = magpie::Client::builder(&fleet.magpie.url).session_token("expired").unwrap();
    let slow = access_tokens::bamboo::Client::builder(&fleet.bamboo.url)
        .timeout(Duration::from_millis(200))
        .basic_auth("admin", "pw")
        .unwrap();
    fleet.bamboo.server.inject(Fault::Delay(Duration::from_secs(2)), 1);
    let mut sources = fleet.sources();
    sources.remove(2);
    sources.insert(0, Source::magpie("refused", refused));
    sources.push(Source::bamboo("slow", slow));

    let inventory = Inventory::collect(&sources, 3, |_| {}).await;
    let failed: Vec<(&str, Option<u16>, bool)> = inventory
        .failures
        .iter()
        .map(|f| (f.source.as_str(), f.error.status().map(|s| s.as_u16()), f.error.is_timeout()))
        .collect();
    assert_eq!(
        failed,
        [("refused", Some(401), false), ("entuity", Some(500), false), ("slow", None, true)]
    );
    let listed: Vec<&str> = inventory.records().map(|r| r.source()).collect();
    assert_eq!(listed, ["magpie ada", "magpie ci", "insight"]);
    assert_eq!(inventory.failures[1].vendor, Vendor::Entuity);
}

/// Progress reports each source's start and end with the counts, for a progress bar; with one
/// source at a time, in order.
#[tokio::test]
async fn progress_reports_each_source_with_the_counts() {
    let fleet = Fleet::start().await;
    fleet.entuity.server.inject(Fault::Status(500), 1);
    let mut events = Vec::new();
    Inventory::collect(&fleet.sources(), 1, |event| {
        events.push(match event {
            Progress::Started { source, done, total } => format!("start {source} {done}/{total}"),
            Progress::Listed { source, tokens, done, total } => {
                format!("listed {source} {tokens} {done}/{total}")
            }
            Progress::Failed { source, error, done, total } => {
                format!("failed {source} {} {done}/{total}", error.status().unwrap().as_u16())
            }
            other => format!("{other:?}"),
        });
    })
    .await;
    assert_eq!(
        events,
        [
            "start magpie ada 0/5",
            "listed magpie ada 1 1/5",
            "start magpie ci 1/5",
            "listed magpie ci 1 2/5",
            "start bamboo 2/5",
            "listed bamboo 1 3/5",
            "start entuity 3/5",
            "failed entuity 500 4/5",
            "start insight 4/5",
            "listed insight 1 5/5",
        ]
    );
}

/// Serializing an inventory writes no secret of any vendor: token values are redacted in the
/// vendors' records, and secret ids are fingerprints.
#[tokio::test]
async fn a_serialized_inventory_holds_no_secret() {
    let fleet = Fleet::start().await;
    let inventory = Inventory::collect(&fleet.sources(), 4, |_| {}).await;
    let json = serde_json::to_string(&inventory).unwrap();
    let entuity_tokens = fleet.entuity.client.list_tokens().await.unwrap();
    let insight_tokens = fleet.insight.client.list_tokens().await.unwrap();
    let secrets = [
        fleet.bamboo.server.tokens()[0].uuid.expose_secret().to_owned(),
        entuity_tokens[0].token_value.expose_secret().to_owned(),
        insight_tokens[0].api_token.expose_secret().to_owned(),
        fleet.magpie.client.session_token().expose_secret().to_owned(),
    ];
    for secret in &secrets {
        assert!(!json.contains(secret.as_str()), "{json}");
    }
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let bamboo = &value["records"][2];
    assert_eq!(bamboo["vendor_record"]["vendor"], "bamboo");
    assert_eq!(bamboo["vendor_record"]["record"]["uuid"], "[REDACTED]");
    assert_eq!(bamboo["id"]["kind"], "fingerprint");
    assert_eq!(value["records"][3]["expires"], serde_json::json!({ "state": "never" }));
}

/// The audit over the wire: the fleet as listed, judged 400 days later. Every token with a
/// creation time is too old; those that report use are idle (Entuity's never-used one too);
/// Bamboo's, which reports no times, breaks no rule that needs one.
#[tokio::test]
async fn an_audit_of_every_vendor_judges_the_listed_times_at_an_explicit_now() {
    use access_tokens::inventory::{Policy, Rule, Severity};
    let fleet = Fleet::start().await;
    let inventory = Inventory::collect(&fleet.sources(), 4, |_| {}).await;
    let later = std::time::SystemTime::now() + Duration::from_secs(400 * 86_400);
    let audit = inventory.audit(&Policy::recommended(), later);
    let findings: Vec<_> = audit.iter().collect();
    assert_eq!(
        sources_and_rules(&findings),
        [
            ("entuity", Rule::MaxAge),
            ("entuity", Rule::MaxIdle),
            ("insight", Rule::MaxAge),
            ("insight", Rule::MaxIdle),
            ("magpie ada", Rule::MaxAge),
            ("magpie ci", Rule::MaxAge),
        ]
    );
    assert!(findings.iter().all(|f| f.severity == Severity::Medium));
    let entuity =
        findings.iter().find(|f| f.rule == Rule::MaxIdle && f.token.vendor() == Vendor::Entuity);
    let message = entuity.unwrap().message();
    assert!(message.starts_with("entuity token "), "{message}");
    assert!(
        message.contains(" of guy2 (source entuity) was never used, created 400 days ago"),
        "{message}"
    );
    assert!(inventory.audit(&Policy::recommended(), std::time::SystemTime::now()).is_empty());
}

/// Entuity's own example, audited on the day it was listed: the token that expired before
/// it was created is expired and impossible; the one that never expires breaks a policy that
/// requires an expiry, and none that does not.
#[tokio::test]
async fn an_audit_flags_expired_impossible_and_never_expiring_tokens() {
    use access_tokens::inventory::{Policy, Rule, Severity};
    let server = MockServer::start().await;
    let example = include_str!("../fixtures/entuity/access_tokens.json");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(example, "application/json"))
        .mount(&server)
        .await;
    let client = entuity::Client::builder(server.uri()).basic_auth("admin", "pw").unwrap();
    let inventory = Inventory::collect(&[Source::entuity("example", client)], 1, |_| {}).await;
    let audit = inventory
        .audit(&Policy::default().expired_present().require_expiry(), seconds(1_683_100_000));
    let findings: Vec<_> = audit.iter().collect();
    let found: Vec<(Rule, Severity, usize)> =
        findings.iter().map(|f| (f.rule, f.severity, f.record)).collect();
    assert_eq!(
        found,
        [
            (Rule::NoExpiry, Severity::Medium, 1),
            (Rule::ExpiredButPresent, Severity::Low, 0),
            (Rule::ImpossibleValues, Severity::Low, 0),
        ]
    );
    assert_eq!(
        findings[1].message(),
        "entuity token 17 of guy2 (source example) expired 7 days ago and is still present"
    );
    let json = serde_json::to_string(&audit).unwrap();
    assert!(!json.contains("WlT6a0I6gGAc6V6h0XqM"), "{json}");
}

/// Every rule, over the wire, for every vendor that reports what it needs: the simulators
/// seeded with tokens of given ages, uses and expiries under a fixed clock, listed, and
/// audited at that clock's "now".
#[tokio::test]
async fn every_rule_is_found_over_the_wire_under_a_fixed_clock() {
    use access_tokens::Expiry::{At, Never};
    use access_tokens::inventory::{Policy, Rule};
    use access_tokens::testing::{Bamboo, Entuity, Insight, Magpie, Seed};

    let now = seconds(1_767_225_600);
    let day = Duration::from_secs(86_400);
    let aged = |days: u32| Seed::aged(now, day * days);

    let magpie = Magpie::start().await;
    magpie.set_clock(now);
    magpie.add_user("ada", "pw");
    magpie.add_admin("root", "pw");
    magpie.add_service_account("ci");
    magpie.add_seeded_token("ada", aged(400).expires(At(now + day * 60)));
    magpie.add_seeded_token("ada", aged(1).expires(At(now + day * 3)));
    magpie.add_seeded_token("ada", aged(10).expires(At(now - day * 2)));
    for _ in 0..6 {
        magpie.add_seeded_token("ci", aged(1).expires(At(now + day * 60)));
    }
    let login =
        |user| magpie::Client::builder(magpie.url()).login(magpie::Login::password(user, "pw"));
    let (ada, root) = (login("ada").await.unwrap(), login("root").await.unwrap());

    let entuity = Entuity::start().await;
    entuity.set_clock(now);
    entuity.add_admin("admin", "pw");
    entuity.add_user("guy2", "x");
    entuity
        .add_seeded_token("guy2", aged(400).used(now - day * 100, 5).expires(At(now + day * 60)));
    entuity.add_seeded_token("guy2", aged(1).used(now - day, 1).expires(Never));
    entuity.add_seeded_token(
        "guy2",
        aged(10).used(now - day, 3).expires(At(now - day)).active_sessions(2),
    );
    entuity.add_seeded_token("guy2", aged(0).used(now, 1).expires(At(now - day * 10)));

    let insight = Insight::start().await;
    insight.set_clock(now);
    insight.add_user("ada", "pw");
    insight.add_seeded_token("ada", aged(400).used(now - day * 200, 9));
    let builder = access_tokens::insight::Client::builder(insight.url());
    let issued =
        builder.authenticate(access_tokens::insight::Credentials::password("ada", "pw")).await;

    let bamboo = Bamboo::start().await;
    bamboo.add_admin("admin", "pw");
    bamboo.add_token("drain", true, true);

    let sources = [
        Source::magpie("magpie", ada),
        Source::magpie_service_account("magpie ci", root, "ci"),
        Source::entuity(
            "entuity",
            entuity::Client::builder(entuity.url()).basic_auth("admin", "pw").unwrap(),
        ),
        Source::insight("insight", builder.api_token(issued.unwrap().token).unwrap()),
        Source::bamboo(
            "bamboo",
            access_tokens::bamboo::Client::builder(bamboo.url()).basic_auth("admin", "pw").unwrap(),
        ),
    ];
    let inventory = Inventory::collect(&sources, 5, |_| {}).await;
    assert!(inventory.failures.is_empty(), "{:?}", inventory.failures);
    let audit = inventory.audit(&Policy::recommended().require_expiry(), now);
    let findings: Vec<_> = audit.iter().collect();
    assert_eq!(
        sources_and_rules(&findings),
        [
            ("bamboo", Rule::WriteWithoutUse),
            ("entuity", Rule::MaxAge),
            ("entuity", Rule::MaxIdle),
            ("entuity", Rule::NoExpiry),
            ("entuity", Rule::ExpiredButPresent),
            ("entuity", Rule::ExpiredButPresent),
            ("entuity", Rule::ExpiredWithActiveSessions),
            ("entuity", Rule::ImpossibleValues),
            ("insight", Rule::MaxAge),
            ("insight", Rule::MaxIdle),
            // Insight.io tokens work until revoked, which `require_expiry` flags: two tokens.
            ("insight", Rule::NoExpiry),
            ("insight", Rule::NoExpiry),
            ("magpie", Rule::MaxAge),
            ("magpie", Rule::ExpiringSoon),
            ("magpie", Rule::ExpiredButPresent),
            ("magpie", Rule::ExpiredButEnabled),
            ("magpie ci", Rule::TooManyForAccount),
        ]
    );
}

/// Each finding as its record's source and its rule, sorted.
fn sources_and_rules<'a>(
    findings: &[&access_tokens::inventory::Finding<'a>],
) -> Vec<(&'a str, access_tokens::inventory::Rule)> {
    let mut found: Vec<_> = findings.iter().map(|f| (f.token.source(), f.rule)).collect();
    found.sort();
    found
}

/// The servers' clocks come with the inventory, from the `Date` of their answers: an audit at
/// the servers' "now" judges expiries as the servers do, and the skew is reported. Here the
/// server's clock is an hour ahead, and a token expiring in half an hour by ours has expired
/// by its.
#[tokio::test]
async fn an_audit_can_judge_by_the_servers_clock_and_the_skew_is_reported() {
    use access_tokens::inventory::{Policy, Rule};
    let ours = std::time::SystemTime::now();
    let theirs = ours + Duration::from_secs(3600);
    let expires = ours + Duration::from_secs(1800);
    let unix = |at: std::time::SystemTime| at.duration_since(std::time::UNIX_EPOCH).unwrap();
    let server = MockServer::start().await;
    let token = serde_json::json!({"tokenId": 3, "tokenValue": "v4lue", "userName": "guy2",
        "expiryTimeSec": unix(expires).as_secs()});
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("date", httpdate::fmt_http_date(theirs).as_str())
                .set_body_json(serde_json::json!({ "items": [token] })),
        )
        .mount(&server)
        .await;
    let client = entuity::Client::builder(server.uri()).basic_auth("admin", "pw").unwrap();
    assert_eq!(client.server_clock(), None);
    let inventory =
        Inventory::collect(&[Source::entuity("ahead", client.clone())], 1, |_| {}).await;

    let [clock] = &inventory.clocks[..] else { panic!("{:?}", inventory.clocks) };
    assert_eq!(&*clock.source, "ahead");
    assert!((3_598_000..=3_601_000).contains(&clock.clock.skew_ms()), "{:?}", clock.clock);
    assert_eq!(client.server_clock(), Some(clock.clock));
    let server_now = inventory.server_now().unwrap();
    assert!(server_now > ours + Duration::from_secs(3598), "{server_now:?}");
    let policy = Policy::default().expired_present();
    assert!(inventory.audit(&policy, ours).is_empty());
    let found: Vec<Rule> = inventory.audit(&policy, server_now).iter().map(|f| f.rule).collect();
    assert_eq!(found, [Rule::ExpiredButPresent]);
    let json = serde_json::to_value(&inventory).unwrap();
    assert_eq!(json["clocks"][0]["source"], "ahead");
    assert_eq!(json["clocks"][0]["skew_ms"], clock.clock.skew_ms());
}

/// The metrics of an inventory, its audit and its sources' health across two runs: absolute
/// times, nothing for "never" or "unknown", escaped labels, each token's series built afresh
/// (a deleted token's is gone), and the sources' errors counted.
#[tokio::test]
async fn the_prometheus_metrics_follow_each_inventory_and_count_the_failures() {
    use access_tokens::inventory::{Health, Policy};
    let fleet = Fleet::start().await;
    let seventeen = fleet.entuity.client.get_token(fleet.entuity.token_id).await.unwrap();
    let described = entuity::AccessTokenUpdate {
        description: Some("dash\"boards\\ci".to_owned()),
        expiry_time_sec: Some(2_000_000_000),
        ..Default::default()
    };
    fleet.entuity.client.update_token(seventeen.token_id, &described).await.unwrap();
    let sources = fleet.sources();
    let mut health = Health::new();
    let first = Inventory::collect(&sources, 4, |_| {}).await;
    health.record(&first, seconds(1_800_000_000));
    health.rotated("entuity", seconds(1_799_000_000));
    let metrics = first.prometheus(
        &first.audit(&Policy::recommended(), seconds(1_800_000_000)),
        &health,
        &access_tokens::inventory::Seen::new(),
    );
    let token = "source=\"entuity\",vendor=\"entuity\",account=\"guy2\",id=\"17\",\
                 name=\"dash\\\"boards\\\\ci\"";
    for line in [
        format!("access_tokens_token_expiry_timestamp_seconds{{{token}}} 2000000000\n"),
        "access_tokens_source_up{source=\"entuity\",vendor=\"entuity\"} 1\n".to_owned(),
        "access_tokens_source_last_success_timestamp_seconds{source=\"entuity\",vendor=\"entuity\"} 1800000000\n".to_owned(),
        "access_tokens_source_last_rotation_timestamp_seconds{source=\"entuity\",vendor=\"entuity\"} 1799000000\n".to_owned(),
        "access_tokens_audit_timestamp_seconds 1800000000\n".to_owned(),
        "# TYPE access_tokens_source_errors_total counter\n".to_owned(),
    ] {
        assert!(metrics.contains(&line), "{line} not in {metrics}");
    }
    // Bamboo reports no times, Insight.io's tokens never expire: no series, never a 0.
    assert!(
        !metrics.lines().any(|l| l.starts_with("access_tokens_token_")
            && l.contains("timestamp_seconds{source=\"bamboo\"")),
        "{metrics}"
    );
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("access_tokens_token_expiry") && l.contains("\"insight\""))
    );

    fleet.entuity.client.delete_token(seventeen.token_id).await.unwrap();
    fleet.bamboo.server.inject(Fault::Status(500), 1);
    let second = Inventory::collect(&sources, 4, |_| {}).await;
    health.record(&second, seconds(1_800_000_300));
    let metrics = second.prometheus(
        &second.audit(&Policy::recommended(), seconds(1_800_000_300)),
        &health,
        &access_tokens::inventory::Seen::new(),
    );
    assert!(!metrics.contains("id=\"17\""), "the deleted token's series are gone: {metrics}");
    for line in [
        "access_tokens_source_up{source=\"bamboo\",vendor=\"bamboo\"} 0\n",
        "access_tokens_source_errors_total{source=\"bamboo\",vendor=\"bamboo\"} 1\n",
        "access_tokens_source_last_success_timestamp_seconds{source=\"bamboo\",vendor=\"bamboo\"} 1800000000\n",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }
    assert!(
        !metrics.contains("access_tokens_source_tokens{source=\"bamboo\""),
        "no count when down"
    );
    assert!(access_tokens::testing::longest_secret_like_run(&metrics) < 8, "{metrics}");
}
