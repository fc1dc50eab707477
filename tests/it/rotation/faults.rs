//! Every call of every vendor's rotation, plan and retirement of what is due, failing in turn
//! (an error status; a body cut short after the server did the work; the work done and the
//! answer never coming): each counted from a clean run, so that a new call is failed too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use access_tokens::inventory::TokenId;
use access_tokens::rotation::{Ledger, Plan, Report, Rotation, Sink as _, State, Step};
use access_tokens::testing::{
    BambooFixture, EntuityFixture, Fault, InsightFixture, MagpieFixture, Seed,
};
use access_tokens::{Secret, bamboo, entuity, insight, magpie};

use super::{Memory, insight_works, magpie_works};

/// Each rig's clients give up on an answer after this, so that `Fault::AnswerLost` ends a call.
const PATIENCE: Duration = Duration::from_millis(300);

/// The grace window of the rotations whose retirement of what is due is failed.
const GRACE: Duration = Duration::from_secs(3600);

/// The targets failed call by call.
const RIGS: [&str; 6] = [
    "magpie service account",
    "magpie personal",
    "bamboo",
    "entuity",
    "insight session",
    "insight credentials",
];

/// One target on its simulator: the credential its sink holds (which the rotation replaces),
/// the others of the account (which it must never retire), and clients that neither retry nor
/// wait past [`PATIENCE`], so that a fault ends exactly the call it hits.
struct Rig {
    owned: Secret,
    others: Vec<Secret>,
    sink: Memory,
    hooks: Arc<AtomicUsize>,
    kind: Kind,
}

#[allow(clippy::large_enum_variant, reason = "one lives per test case, never in a collection")]
enum Kind {
    Magpie { fixture: MagpieFixture, target: magpie::RotationTarget, owner: &'static str },
    Bamboo { fixture: BambooFixture, target: bamboo::RotationTarget },
    Entuity { fixture: EntuityFixture, target: entuity::RotationTarget },
    Insight { fixture: InsightFixture, target: insight::RotationTarget },
}

macro_rules! impatient {
    ($builder:expr) => {
        $builder.timeout(PATIENCE).retry(access_tokens::RetryPolicy::NEVER)
    };
}

impl Rig {
    async fn start(name: &str) -> Self {
        let (owned, others, ledger, kind) = match name {
            "magpie service account" | "magpie personal" => {
                let fixture = MagpieFixture::start().await.unwrap();
                // Whose tokens, and who logs in to rotate them (the fixtures' "pw").
                let (owner, manager) = match name {
                    "magpie personal" => ("ada@example.com", "ada@example.com"),
                    _ => ("ci@example.com", "root@example.com"),
                };
                let (owned_id, owned) = fixture.server.add_access_token(owner);
                let mut others = vec![fixture.server.add_access_token(owner).1];
                if owner == "ada@example.com" {
                    others.push(Secret::new("the fixture's tok-1"));
                }
                let client = impatient!(magpie::Client::builder(&fixture.url))
                    .login(magpie::Login::password(manager, "pw"))
                    .await
                    .unwrap();
                let target = match name {
                    "magpie personal" => magpie::RotationTarget::personal(client),
                    _ => magpie::RotationTarget::service_account(client, owner),
                };
                // Magpie lists no values: an earlier rotation recorded which token it made.
                let mut ledger = Ledger::default();
                ledger.current = Some(TokenId::Vendor(owned_id));
                (owned, others, ledger, Kind::Magpie { fixture, target, owner })
            }
            "bamboo" => {
                let fixture = BambooFixture::start().await.unwrap();
                let owned = fixture.server.add_token("deploy", true, true).uuid;
                let others = vec![fixture.server.add_token("deploy", true, false).uuid];
                let token = bamboo::NewToken::new("deploy").with_read(true).with_change(true);
                let client =
                    impatient!(bamboo::Client::builder(&fixture.url)).basic_auth("admin", "pw");
                let target = bamboo::RotationTarget::new(client.unwrap(), token);
                (owned, others, Ledger::default(), Kind::Bamboo { fixture, target })
            }
            "entuity" => {
                let fixture = EntuityFixture::start().await.unwrap();
                let owned = fixture.client.get_token(fixture.token_id).await.unwrap().token_value;
                let other = entuity::NewAccessToken::for_user_name("guy2");
                let others = vec![fixture.client.create_token(&other).await.unwrap().token_value];
                let token = entuity::NewAccessToken::for_user_name("guy2");
                let client =
                    impatient!(entuity::Client::builder(&fixture.url)).basic_auth("admin", "pw");
                let target = entuity::RotationTarget::new(client.unwrap(), token);
                (owned, others, Ledger::default(), Kind::Entuity { fixture, target })
            }
            _ => {
                let fixture = InsightFixture::start().await.unwrap();
                let owned = fixture.client.api_token();
                let others = vec![fixture.server.add_seeded_token("ada", Seed::default())];
                let builder = || impatient!(insight::Client::builder(&fixture.url));
                let target = match name {
                    "insight session" => insight::RotationTarget::by_session(
                        builder(),
                        builder().session_cookie(fixture.server.browser_session("ada")).unwrap(),
                    )
                    .owned_by("userpass@ada"),
                    _ => insight::RotationTarget::by_credentials(
                        builder(),
                        insight::Credentials::password("ada", "pw"),
                    ),
                };
                (owned, others, Ledger::default(), Kind::Insight { fixture, target })
            }
        };
        let sink = Memory::holding(&owned);
        sink.save_ledger(&ledger).await.unwrap();
        Self { owned, others, sink, hooks: Arc::new(AtomicUsize::new(0)), kind }
    }

    /// The rotation: only what it replaces retired, a hook after promotion that counts.
    fn rotation(&self) -> Rotation {
        let hooks = self.hooks.clone();
        Rotation::new().after_promote(move || {
            hooks.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
    }

    async fn rotate(&self, rotation: &Rotation) -> Report {
        match &self.kind {
            Kind::Magpie { target, .. } => rotation.run(target, &self.sink).await,
            Kind::Bamboo { target, .. } => rotation.run(target, &self.sink).await,
            Kind::Entuity { target, .. } => rotation.run(target, &self.sink).await,
            Kind::Insight { target, .. } => rotation.run(target, &self.sink).await,
        }
    }

    async fn plan(&self) -> Plan {
        let rotation = self.rotation();
        match &self.kind {
            Kind::Magpie { target, .. } => rotation.plan(target, &self.sink).await,
            Kind::Bamboo { target, .. } => rotation.plan(target, &self.sink).await,
            Kind::Entuity { target, .. } => rotation.plan(target, &self.sink).await,
            Kind::Insight { target, .. } => rotation.plan(target, &self.sink).await,
        }
    }

    async fn retire_due(&self, rotation: &Rotation) -> Report {
        match &self.kind {
            Kind::Magpie { target, .. } => rotation.retire_due(target, &self.sink).await,
            Kind::Bamboo { target, .. } => rotation.retire_due(target, &self.sink).await,
            Kind::Entuity { target, .. } => rotation.retire_due(target, &self.sink).await,
            Kind::Insight { target, .. } => rotation.retire_due(target, &self.sink).await,
        }
    }

    fn inject_at(&self, call: usize, fault: Fault) {
        match &self.kind {
            Kind::Magpie { fixture, .. } => fixture.server.inject_at(call, fault),
            Kind::Bamboo { fixture, .. } => fixture.server.inject_at(call, fault),
            Kind::Entuity { fixture, .. } => fixture.server.inject_at(call, fault),
            Kind::Insight { fixture, .. } => fixture.server.inject_at(call, fault),
        }
    }

    /// How many requests its simulator has received.
    fn requests(&self) -> usize {
        match &self.kind {
            Kind::Magpie { fixture, .. } => fixture.server.requests(),
            Kind::Bamboo { fixture, .. } => fixture.server.requests(),
            Kind::Entuity { fixture, .. } => fixture.server.requests(),
            Kind::Insight { fixture, .. } => fixture.server.requests(),
        }
    }

    /// Whether `secret` is a working credential of the target (the fixture's own Magpie
    /// token, which the test holds no value of, by its count).
    async fn works(&self, secret: &Secret) -> bool {
        match &self.kind {
            Kind::Magpie { fixture, .. } if secret.expose_secret() == "the fixture's tok-1" => {
                let tokens = fixture.client.list_tokens().await.unwrap();
                tokens.iter().any(|token| token.id.as_deref() == Some(fixture.token_id.as_str()))
            }
            Kind::Magpie { fixture, .. } => magpie_works(fixture, secret).await,
            Kind::Bamboo { fixture, .. } => {
                fixture.server.tokens().iter().any(|t| t.uuid == *secret && (t.read || t.change))
            }
            Kind::Entuity { fixture, .. } => {
                let tokens = fixture.client.list_tokens().await.unwrap();
                tokens.iter().any(|t| t.token_value == *secret)
            }
            Kind::Insight { fixture, .. } => {
                insight_works(&insight::Client::builder(&fixture.url), secret).await
            }
        }
    }

    /// How many credentials of the target are alive, known to the test or not.
    fn alive(&self) -> usize {
        match &self.kind {
            Kind::Magpie { fixture, owner, .. } => fixture.server.token_count(owner),
            Kind::Bamboo { fixture, .. } => {
                fixture.server.tokens().iter().filter(|t| t.read || t.change).count()
            }
            Kind::Entuity { fixture, .. } => fixture.server.token_count(),
            Kind::Insight { fixture, .. } => fixture.server.token_count(),
        }
    }

    /// Asserts that the account's other credentials all still work.
    async fn assert_others_work(&self, case: &str) {
        for other in &self.others {
            assert!(self.works(other).await, "another use's credential was retired: {case}");
        }
    }
}

/// How many calls a rotation, a plan, and the retirement of what is due after a rotation
/// with a grace window, each make on a fresh rig when nothing fails.
async fn calls_of_clean_runs(name: &str) -> [usize; 3] {
    let rig = Rig::start(name).await;
    let at = rig.requests();
    let report = rig.rotate(&rig.rotation()).await;
    assert_eq!(report.state, State::Rotated, "{name}: {report}");
    let rotation = rig.requests() - at;
    let rig = Rig::start(name).await;
    let at = rig.requests();
    assert!(rig.plan().await.is_ready(), "{name}");
    let plan = rig.requests() - at;
    let rig = Rig::start(name).await;
    let now = SystemTime::now();
    let report = rig.rotate(&rig.rotation().retire_after(GRACE).at(now)).await;
    assert_eq!(report.state, State::Rotated, "{name}: {report}");
    let at = rig.requests();
    let later = rig.rotation().retire_after(GRACE).at(now + 2 * GRACE);
    let report = rig.retire_due(&later).await;
    assert_eq!((report.state, report.retired.len()), (State::DueRetired, 1), "{name}: {report}");
    [rotation, plan, rig.requests() - at]
}

const FAULTS: [Fault; 3] = [Fault::Status(500), Fault::TruncatedBody, Fault::AnswerLost];

/// For each target, each call of its rotation, and each fault: the run ends with the
/// credential the sink held working or the new one current and working, never having
/// retired another use's credential; a second run converges: the new one current and working,
/// the replaced one (and any a lost create made) retired, every other one working, and, where
/// the first left a pending credential it had identified, resumed with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_every_vendors_rotation_can_fail_and_a_rerun_converges() {
    for name in RIGS {
        let [calls, ..] = calls_of_clean_runs(name).await;
        assert!(calls >= 5, "{name}: {calls} calls");
        for call in 1..=calls {
            for fault in FAULTS {
                let rig = Rig::start(name).await;
                rig.inject_at(call, fault);
                let first = rig.rotate(&rig.rotation()).await;
                let case = format!("{name}, call {call} failing with {fault:?}: {first}");
                let marked = !first.notices.is_empty();
                if let Fault::Status(_) = fault
                    && !marked
                {
                    // An error status stops the run, unless it hit a call whose failure is
                    // only noted (marking a Magpie token); the other faults may hit a call
                    // whose answer is not needed (a delete's empty body).
                    assert_ne!(first.state, State::Rotated, "{case}");
                    let failure = first.failure().map(|(_, f)| f.to_string());
                    assert!(failure.is_some_and(|f| f.contains("500")), "{case}");
                }
                match rig.sink.promoted() {
                    Some(current) if current == rig.owned => {
                        assert!(rig.works(&rig.owned).await, "none retired unpromoted: {case}")
                    }
                    Some(current) => assert!(rig.works(&current).await, "{case}"),
                    None => unreachable!("the sink holds a secret from the start"),
                }
                rig.assert_others_work(&case).await;
                let pending = rig.sink.kept_ledger().pending.is_some();
                let stored = rig.sink.count();
                let second = rig.rotate(&rig.rotation()).await;
                let case = format!("{case}; then {second}");
                assert_eq!(second.state, State::Rotated, "{case}");
                assert_eq!(rig.alive(), 1 + rig.others.len(), "no unknown token stays: {case}");
                let current = rig.sink.promoted().unwrap();
                assert!(rig.works(&current).await, "{case}");
                assert!(!rig.works(&rig.owned).await, "the replaced one is retired: {case}");
                rig.assert_others_work(&case).await;
                if pending && first.state != State::Rotated {
                    assert_eq!(second.steps[1].step, Step::Resume, "{case}");
                    assert_eq!(rig.sink.count(), stored, "resumed, not created again: {case}");
                }
                assert!(rig.hooks.load(Ordering::SeqCst) >= 1, "{case}");
            }
        }
    }
}

/// For each target, each call of its plan, and each fault: the plan says what it could not
/// check, and nothing changes: no credential created or retired, nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_every_vendors_plan_can_fail_and_nothing_changes() {
    for name in RIGS {
        let [_, calls, _] = calls_of_clean_runs(name).await;
        for call in 1..=calls {
            for fault in FAULTS {
                let rig = Rig::start(name).await;
                let alive = rig.alive();
                rig.inject_at(call, fault);
                let plan = rig.plan().await;
                let case = format!("{name}, call {call} failing with {fault:?}: {plan:?}");
                if let Fault::Status(_) = fault {
                    assert!(!plan.is_ready(), "{case}");
                }
                assert_eq!(rig.alive(), alive, "{case}");
                assert!(rig.works(&rig.owned).await, "{case}");
                assert_eq!(rig.sink.count(), 0, "{case}");
            }
        }
    }
}

/// For each target, each call of retiring what waited out its grace window, and each fault:
/// the credentials that waited still work or are retired, the new one works, another use's
/// too; a second run retires what is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_retiring_what_is_due_can_fail_and_a_rerun_converges() {
    for name in RIGS {
        let [_, _, calls] = calls_of_clean_runs(name).await;
        assert!(calls >= 2, "{name}: {calls} calls");
        for call in 1..=calls {
            for fault in FAULTS {
                let rig = Rig::start(name).await;
                let now = SystemTime::now();
                let rotated = rig.rotate(&rig.rotation().retire_after(GRACE).at(now)).await;
                assert_eq!(rotated.state, State::Rotated, "{name}: {rotated}");
                assert!(rig.works(&rig.owned).await, "it waits: {rotated}");
                rig.inject_at(call, fault);
                let later = rig.rotation().retire_after(GRACE).at(now + 2 * GRACE);
                let first = rig.retire_due(&later).await;
                let case = format!("{name}, call {call} failing with {fault:?}: {first}");
                let current = rig.sink.promoted().unwrap();
                assert!(rig.works(&current).await, "{case}");
                rig.assert_others_work(&case).await;
                let second = rig.retire_due(&later).await;
                assert_eq!(second.state, State::DueRetired, "{case}; then {second}");
                assert!(!rig.works(&rig.owned).await, "{case}; then {second}");
                assert!(rig.works(&current).await, "{case}");
                rig.assert_others_work(&case).await;
                assert!(rig.sink.kept_ledger().waiting.is_empty(), "{case}");
            }
        }
    }
}
