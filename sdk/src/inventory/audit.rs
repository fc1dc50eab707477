//! An audit of an inventory against a [`Policy`], at an explicit "now": findings a person
//! can act on, each with its rule, severity and record.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Serialize, Serializer};

use super::{Inventory, Moment, Seen, TokenId, TokenRecord, Vendor};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// What an audit checks. Every rule is off in [`Policy::default`]; turn on the ones your
/// policy has with the builder methods, or start from [`Policy::recommended`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Tokens created longer ago than this ([`Rule::MaxAge`]).
    pub max_age: Option<Duration>,
    /// Tokens not used for longer than this, or never used since created longer ago
    /// ([`Rule::MaxIdle`]).
    pub max_idle: Option<Duration>,
    /// Tokens that expire within this ([`Rule::ExpiringSoon`]).
    pub expiring_within: Option<Duration>,
    /// Whether every token must expire ([`Rule::NoExpiry`]).
    pub require_expiry: bool,
    /// Whether an expired token still listed is a finding ([`Rule::ExpiredButPresent`]).
    pub expired_present: bool,
    /// Whether a token with write permission and no recorded use is a finding
    /// ([`Rule::WriteWithoutUse`]).
    pub write_without_use: bool,
    /// The most tokens one account may have ([`Rule::TooManyForAccount`]).
    pub max_tokens_per_account: Option<usize>,
    /// How severe a token that appeared since the last inventory is ([`Rule::Appeared`]); one
    /// on a service account is at least [`Severity::Medium`]. Needs a history
    /// ([`Inventory::audit_seen`]).
    pub appeared: Option<Severity>,
}

impl Policy {
    /// A policy for credential hygiene: at most a year old, 90 days idle, a warning 14 days
    /// before expiry, expired tokens removed, write tokens used, at most 5 per account, and a
    /// token that appeared since the last inventory worth knowing (low; medium on a service
    /// account). Expired tokens that are enabled or have active sessions, and impossible values,
    /// are always findings.
    pub fn recommended() -> Self {
        Self::default()
            .max_age(365 * DAY)
            .max_idle(90 * DAY)
            .expiring_within(14 * DAY)
            .expired_present()
            .write_without_use()
            .max_tokens_per_account(5)
            .appeared(Severity::Low)
    }

    /// Flags tokens created longer ago than `age`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Flags tokens unused for longer than `idle`.
    pub fn max_idle(mut self, idle: Duration) -> Self {
        self.max_idle = Some(idle);
        self
    }

    /// Flags tokens that expire within `window`.
    pub fn expiring_within(mut self, window: Duration) -> Self {
        self.expiring_within = Some(window);
        self
    }

    /// Flags tokens that never expire.
    pub fn require_expiry(mut self) -> Self {
        self.require_expiry = true;
        self
    }

    /// Flags expired tokens that are still listed.
    pub fn expired_present(mut self) -> Self {
        self.expired_present = true;
        self
    }

    /// Flags tokens with write permission and no recorded use.
    pub fn write_without_use(mut self) -> Self {
        self.write_without_use = true;
        self
    }

    /// Flags accounts with more than `max` tokens.
    pub fn max_tokens_per_account(mut self, max: usize) -> Self {
        self.max_tokens_per_account = Some(max);
        self
    }

    /// Flags tokens that appeared since the last inventory, at `severity` (at least medium on
    /// a service account).
    pub fn appeared(mut self, severity: Severity) -> Self {
        self.appeared = Some(severity);
        self
    }
}

/// The rule a finding breaks.
/// Serialized as its [`name`](Rule::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Older than the policy's maximum age.
    MaxAge,
    /// Unused for longer than the policy allows.
    MaxIdle,
    /// Expires within the policy's window.
    ExpiringSoon,
    /// Never expires, where the policy requires an expiry.
    NoExpiry,
    /// Expired, and still listed.
    ExpiredButPresent,
    /// Expired, and still enabled: always a finding.
    ExpiredButEnabled,
    /// Expired, with sessions still active: always a finding.
    ExpiredWithActiveSessions,
    /// May write, and has no recorded use.
    WriteWithoutUse,
    /// Its account has more tokens than the policy allows.
    TooManyForAccount,
    /// The vendor's record has values that cannot be right: always a finding.
    ImpossibleValues,
    /// Appeared since the last inventory recorded (with a history).
    Appeared,
}

impl Rule {
    /// Its name as it is serialized: `max_age`, `expiring_soon`, ….
    pub fn name(self) -> &'static str {
        match self {
            Self::MaxAge => "max_age",
            Self::MaxIdle => "max_idle",
            Self::ExpiringSoon => "expiring_soon",
            Self::NoExpiry => "no_expiry",
            Self::ExpiredButPresent => "expired_but_present",
            Self::ExpiredButEnabled => "expired_but_enabled",
            Self::ExpiredWithActiveSessions => "expired_with_active_sessions",
            Self::WriteWithoutUse => "write_without_use",
            Self::TooManyForAccount => "too_many_for_account",
            Self::ImpossibleValues => "impossible_values",
            Self::Appeared => "appeared",
        }
    }
}

/// How urgent a finding is, lowest first.
/// Serialized as its [`name`](Severity::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Breaks the policy.
    Medium,
    /// A token that should not work may still work.
    High,
    /// A token that should not work is in use.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// `low`, `medium`, `high` or `critical`, as it is serialized.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Its [`name`](Severity::name).
impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One rule one token (or one account) breaks, borrowing the inventory's record.
///
/// Its sentence is written when it is shown ([`Display`](std::fmt::Display), [`message`](Self::message),
/// or serialized), not when the audit finds it: an audit of a large fleet makes no strings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Finding<'a> {
    /// The rule.
    pub rule: Rule,
    /// How urgent it is.
    pub severity: Severity,
    /// The position of the token's record in the inventory's
    /// [`records`](Inventory::records); for an account, its first token's.
    pub record: usize,
    /// That record.
    pub token: TokenRecord<'a>,
    what: What<'a>,
}

/// What is wrong, with the figures its sentence needs; spans in seconds, which is what the
/// sentence shows, so that a finding stays small.
#[derive(Debug, Clone)]
enum What<'a> {
    ExpiredWithSessions {
        ago: u64,
        sessions: u64,
    },
    ExpiredButEnabled {
        ago: u64,
    },
    ExpiredButPresent {
        ago: u64,
    },
    ExpiresIn(u64),
    NoExpiry,
    Old {
        age: u64,
        max: u64,
    },
    /// Old by when it was first seen, the vendor not saying when it was created. Boxed: rare,
    /// and larger than the others.
    OldAtLeast(Box<OldAtLeast>),
    Appeared,
    Idle {
        idle: u64,
        max: u64,
        never_used: bool,
    },
    WriteWithoutUse,
    Impossible,
    /// Boxed: one per account, against up to several per token for the others.
    Crowded(Box<Crowded<'a>>),
}

#[derive(Debug, Clone)]
struct OldAtLeast {
    age: u64,
    max: u64,
    first_seen: SystemTime,
}

#[derive(Debug, Clone)]
struct Crowded<'a> {
    account: Cow<'a, str>,
    tokens: usize,
    max: usize,
}

impl Finding<'_> {
    /// What is wrong, in a sentence, naming the token by its id and never by its secret.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

/// "entuity token 17 of guy2 (source entuity) expired 3 days ago but is still enabled".
impl std::fmt::Display for Finding<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = self.token;
        if let What::Crowded(crowded) = &self.what {
            let Crowded { account, tokens, max } = &**crowded;
            let vendor = token.vendor();
            return write!(f, "{vendor} account {account} has {tokens} tokens, more than {max}");
        }
        write!(f, "{} token", token.vendor())?;
        if let Some(id) = token.id() {
            write!(f, " {id}")?;
        }
        if let Some(name) = token.account().and_then(|account| account.name) {
            write!(f, " of {name}")?;
        }
        write!(f, " (source {}) ", token.source())?;
        match &self.what {
            What::ExpiredWithSessions { ago, sessions } => {
                write!(f, "expired {} ago but has {sessions} active session(s)", Span(*ago))
            }
            What::ExpiredButEnabled { ago } => {
                write!(f, "expired {} ago but is still enabled", Span(*ago))
            }
            What::ExpiredButPresent { ago } => {
                write!(f, "expired {} ago and is still present", Span(*ago))
            }
            What::ExpiresIn(left) => write!(f, "expires in {}", Span(*left)),
            What::NoExpiry => f.write_str("never expires"),
            What::Old { age, max } => {
                write!(f, "is {} old, more than the {} allowed", Span(*age), Span(*max))
            }
            What::OldAtLeast(old) => write!(
                f,
                "is at least {} old (first seen {} UTC; the vendor does not say when it was \
                 created), more than the {} allowed",
                Span(old.age),
                super::utc_minute(old.first_seen),
                Span(old.max)
            ),
            What::Appeared => f.write_str("appeared since the last inventory"),
            What::Idle { idle, max, never_used } => {
                let what = if *never_used { "never used, created" } else { "unused" };
                write!(f, "was {what} {} ago, more than the {} allowed", Span(*idle), Span(*max))
            }
            What::WriteWithoutUse => f.write_str("may change state and has no recorded use"),
            What::Impossible => {
                write!(f, "has values that cannot be right: {:?}", token.anomalies())
            }
            What::Crowded(_) => Ok(()),
        }
    }
}

/// `{"rule", "severity", "record", "source", "token_id", "message"}`.
impl Serialize for Finding<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            rule: Rule,
            severity: Severity,
            record: usize,
            source: &'a str,
            token_id: Option<TokenId>,
            message: String,
            /// The token's whole record: a finding stands on its own.
            token: &'a TokenRecord<'a>,
        }
        Shown {
            rule: self.rule,
            severity: self.severity,
            record: self.record,
            source: self.token.source(),
            token_id: self.token.id(),
            message: self.message(),
            token: &self.token,
        }
        .serialize(serializer)
    }
}

impl Inventory {
    /// The findings of `policy` against every record, as of `now`. `now` may be this
    /// machine's clock or the servers' ([`server_now`](Self::server_now)).
    ///
    /// A time the vendor did not report breaks no rule that needs it: an unknown expiry is
    /// neither "expired" nor "never".
    pub fn audit(&self, policy: &Policy, now: SystemTime) -> Audit<'_> {
        self.audit_seen(policy, now, &Seen::new())
    }

    /// [`audit`](Self::audit), with what earlier inventories saw: a token whose creation the
    /// vendor does not report (Bamboo's, any `unknown`) is judged by age from when it was
    /// first seen, at least that old; and one that appeared since the last inventory is
    /// [`Rule::Appeared`].
    pub fn audit_seen(&self, policy: &Policy, now: SystemTime, seen: &Seen) -> Audit<'_> {
        let mut by_severity: [Vec<Finding<'_>>; 4] = Default::default();
        let limits = Limits::new(policy, now, seen);
        for (index, token) in self.records().enumerate() {
            token_findings(token, &limits, |rule, severity, what| {
                let finding = Finding { rule, severity, record: index, token, what };
                by_severity[severity as usize].push(finding);
            });
        }
        if let Some(max) = policy.max_tokens_per_account {
            by_severity[Severity::Medium as usize].extend(crowded_accounts(self, max));
        }
        Audit { now, by_severity }
    }
}

/// An audit's findings, most urgent first; within a severity, the tokens' findings in the
/// records' order, then the accounts'.
///
/// Serialized as `{"now_unix_ms": …, "findings": [...]}`, with each finding's sentence and no
/// secret.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    now: SystemTime,
    /// Indexed by severity; each in the records' order, so that no sort is needed.
    by_severity: [Vec<Finding<'a>>; 4],
}

impl<'a> Audit<'a> {
    /// The moment the audit judged at.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// Every finding, most urgent first; within a severity, the tokens' findings in the
    /// records' order, then the accounts'.
    pub fn iter(&self) -> Findings<'_, 'a> {
        Findings(self.by_severity.iter().rev().flatten())
    }

    /// The findings of `severity`: the tokens' in the records' order, then the accounts'.
    pub fn of_severity(&self, severity: Severity) -> &[Finding<'a>] {
        &self.by_severity[severity as usize]
    }

    /// How many findings there are.
    pub fn len(&self) -> usize {
        self.by_severity.iter().map(Vec::len).sum()
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The severity of the most urgent finding, if any: for a tool's exit code.
    pub fn most_severe(&self) -> Option<Severity> {
        self.iter().next().map(|finding| finding.severity)
    }
}

impl<'s, 'a> IntoIterator for &'s Audit<'a> {
    type Item = &'s Finding<'a>;
    type IntoIter = Findings<'s, 'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// An [`Audit`]'s findings, most urgent first.
#[derive(Debug, Clone)]
pub struct Findings<'s, 'a>(
    std::iter::Flatten<std::iter::Rev<std::slice::Iter<'s, Vec<Finding<'a>>>>>,
);

impl<'s, 'a> Iterator for Findings<'s, 'a> {
    type Item = &'s Finding<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

impl Serialize for Audit<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct All<'s, 'a>(&'s Audit<'a>);
        impl Serialize for All<'_, '_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter())
            }
        }
        let now = self.now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let mut audit = serializer.serialize_struct("Audit", 2)?;
        audit
            .serialize_field("now_unix_ms", &u64::try_from(now.as_millis()).unwrap_or(u64::MAX))?;
        audit.serialize_field("findings", &All(self))?;
        audit.end()
    }
}

/// A policy's limits as moments, worked out once per audit so that judging a token takes
/// comparisons only; spans are worked out for the findings alone.
struct Limits<'p> {
    policy: &'p Policy,
    now: SystemTime,
    /// What earlier inventories saw; looked up only when it holds something.
    seen: &'p Seen,
    /// Tokens created before this are too old.
    created_before: Option<SystemTime>,
    /// Tokens last used (or, never used, created) before this are idle.
    idle_before: Option<SystemTime>,
    /// Tokens expiring after `now` and by this expire soon.
    expiring_by: Option<SystemTime>,
}

impl<'p> Limits<'p> {
    fn new(policy: &'p Policy, now: SystemTime, seen: &'p Seen) -> Self {
        Self {
            policy,
            now,
            seen,
            created_before: policy.max_age.and_then(|max| now.checked_sub(max)),
            idle_before: policy.max_idle.and_then(|max| now.checked_sub(max)),
            // A window past the end of time takes every later expiry.
            expiring_by: policy.expiring_within.map(|window| {
                now.checked_add(window).unwrap_or(SystemTime::UNIX_EPOCH + Duration::MAX / 2)
            }),
        }
    }

    /// Whole seconds from `then` to now.
    fn since(&self, then: SystemTime) -> u64 {
        self.now.duration_since(then).unwrap_or_default().as_secs()
    }
}

/// Hands `found` each rule `token` breaks, with its severity and what is wrong.
fn token_findings<'a>(
    token: TokenRecord<'a>,
    limits: &Limits<'_>,
    mut found: impl FnMut(Rule, Severity, What<'a>),
) {
    let (policy, now) = (limits.policy, limits.now);
    let readings = token.readings();
    let (created, expires, last_used) =
        (readings.created.at(), readings.expires.at(), readings.last_used.at());
    if let Some(at) = expires.filter(|&at| at <= now) {
        let ago = limits.since(at);
        if let Some(sessions) = readings.active_sessions().filter(|&sessions| sessions > 0) {
            let what = What::ExpiredWithSessions { ago, sessions };
            found(Rule::ExpiredWithActiveSessions, Severity::Critical, what);
        }
        if readings.enabled == Some(true) {
            found(Rule::ExpiredButEnabled, Severity::High, What::ExpiredButEnabled { ago });
        }
        if policy.expired_present {
            found(Rule::ExpiredButPresent, Severity::Low, What::ExpiredButPresent { ago });
        }
    }
    if let (Some(by), Some(at)) = (limits.expiring_by, expires)
        && at > now
        && at <= by
    {
        let left = at.duration_since(now).unwrap_or_default().as_secs();
        found(Rule::ExpiringSoon, Severity::Low, What::ExpiresIn(left));
    }
    if policy.require_expiry && readings.expires == Moment::Never {
        found(Rule::NoExpiry, Severity::Medium, What::NoExpiry);
    }
    let first = if limits.seen.is_empty() { None } else { limits.seen.get(&token) };
    if let (Some(before), Some(max)) = (limits.created_before, policy.max_age) {
        match (created, first) {
            (Some(created), _) if created < before => {
                let what = What::Old { age: limits.since(created), max: max.as_secs() };
                found(Rule::MaxAge, Severity::Medium, what);
            }
            (None, Some(first)) if first.at < before => {
                let old = OldAtLeast {
                    age: limits.since(first.at),
                    max: max.as_secs(),
                    first_seen: first.at,
                };
                found(Rule::MaxAge, Severity::Medium, What::OldAtLeast(Box::new(old)));
            }
            _ => {}
        }
    }
    if let (Some(severity), Some(first)) = (policy.appeared, first)
        && first.appeared
    {
        let service = token.account().is_some_and(|a| a.kind == super::AccountKind::ServiceAccount);
        let severity = if service { severity.max(Severity::Medium) } else { severity };
        found(Rule::Appeared, severity, What::Appeared);
    }
    if let (Some(before), Some(max)) = (limits.idle_before, policy.max_idle) {
        let idle_since = match (&readings.last_used, created) {
            (Moment::At(used), _) => Some((*used, false)),
            (Moment::Never, Some(created)) => Some((created, true)),
            _ => None,
        };
        if let Some((since, never_used)) = idle_since.filter(|(since, _)| *since < before) {
            let what = What::Idle { idle: limits.since(since), max: max.as_secs(), never_used };
            found(Rule::MaxIdle, Severity::Medium, what);
        }
    }
    if policy.write_without_use
        && readings.permissions.is_some_and(|p| p.write)
        && readings.use_count().is_none_or(|count| count == 0)
        && last_used.is_none()
    {
        found(Rule::WriteWithoutUse, Severity::Low, What::WriteWithoutUse);
    }
    if readings.has_anomalies() {
        found(Rule::ImpossibleValues, Severity::Low, What::Impossible);
    }
}

/// One finding per account with more than `max` tokens, on its first token's record, in the
/// records' order.
fn crowded_accounts(inventory: &Inventory, max: usize) -> Vec<Finding<'_>> {
    /// An account, and its first token (its position and record) and how many it has.
    type Tally<'a> = ((Vendor, Cow<'a, str>), (usize, TokenRecord<'a>, usize));
    let mut accounts: BTreeMap<(Vendor, Cow<'_, str>), (usize, TokenRecord<'_>, usize)> =
        BTreeMap::new();
    // Tokens of one account tend to be listed together: a run is counted before it is looked up.
    let mut run: Option<Tally<'_>> = None;
    for (index, record) in inventory.records().enumerate() {
        let Some(name) = record.account().and_then(|account| account.name) else { continue };
        let key = (record.vendor(), name);
        match &mut run {
            Some((current, (_, _, count))) if current.0 == key.0 && same(&current.1, &key.1) => {
                *count += 1
            }
            _ => {
                if let Some((key, (first, token, count))) = run.take() {
                    accounts.entry(key).or_insert((first, token, 0)).2 += count;
                }
                run = Some((key, (index, record, 1)));
            }
        }
    }
    if let Some((key, (first, token, count))) = run {
        accounts.entry(key).or_insert((first, token, 0)).2 += count;
    }
    let mut findings: Vec<Finding<'_>> = accounts
        .into_iter()
        .filter(|(_, (_, _, tokens))| *tokens > max)
        .map(|((_, account), (first, token, tokens))| Finding {
            rule: Rule::TooManyForAccount,
            severity: Severity::Medium,
            record: first,
            token,
            what: What::Crowded(Box::new(Crowded { account, tokens, max })),
        })
        .collect();
    findings.sort_by_key(|finding| finding.record);
    findings
}

/// `==`, without a call to `memcmp` for the short names accounts have: the audit compares
/// every record's account with the one before.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(a, b)| a == b)
}

/// A span in the largest whole unit: "3 days", "1 hour", "42 seconds".
struct Span(u64);

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.0;
        let (count, unit) = match seconds {
            86_400.. => (seconds / 86_400, "day"),
            3_600.. => (seconds / 3_600, "hour"),
            60.. => (seconds / 60, "minute"),
            _ => (seconds, "second"),
        };
        write!(f, "{count} {unit}{}", if count == 1 { "" } else { "s" })
    }
}

#[cfg(all(test, feature = "magpie", feature = "bamboo", feature = "entuity"))]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::{Value, json};

    use super::{Policy, Rule, Severity};
    use crate::inventory::{Inventory, Listing, Tokens};

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    /// A finding per token and rule: an audit of many tokens holds many, so what one says
    /// stays three words (the section 6 benchmark's peak heap).
    #[test]
    fn what_a_finding_says_stays_small() {
        assert!(std::mem::size_of::<super::What<'_>>() <= 24);
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs())
    }

    #[test]
    fn a_severity_is_shown_as_it_is_serialized() {
        for severity in Severity::ALL {
            assert_eq!(json!(severity), json!(severity.to_string()));
        }
        assert!(Severity::ALL.is_sorted(), "lowest first");
    }

    fn listing(tokens: Tokens) -> Listing {
        Listing { source: "test".to_owned(), tokens }
    }

    fn inventory(listings: Vec<Listing>) -> Inventory {
        Inventory { listings, failures: Vec::new(), clocks: Vec::new(), timings: Vec::new() }
    }

    /// An Entuity token (times in seconds) with the fields of `fields`.
    fn entuity(fields: Value) -> Listing {
        let mut token = json!({"tokenId": 1, "tokenValue": "s3cr3t", "userName": "ada"});
        token.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        let token: crate::entuity::AccessToken = serde_json::from_value(token).unwrap();
        listing(Tokens::new(None, vec![token]))
    }

    /// A Magpie token expired two days ago, enabled or not.
    fn magpie_expired(enabled: bool) -> Listing {
        let token = json!({"id": "m", "disabled": !enabled, "expires": NOW - 2 * DAY});
        let token: crate::magpie::AccessToken = serde_json::from_value(token).unwrap();
        listing(Tokens::new(None, vec![token]))
    }

    fn bamboo(uuid: &str, change: bool) -> Listing {
        let token = json!({"uuid": uuid, "name": "agent", "read": true, "change": change});
        let token: crate::bamboo::Token = serde_json::from_value(token).unwrap();
        listing(Tokens::new(None, vec![token]))
    }

    fn rules(listings: Vec<Listing>, policy: &Policy) -> Vec<(Rule, Severity, usize)> {
        let inventory = inventory(listings);
        let findings = inventory.audit(policy, now());
        findings.iter().map(|f| (f.rule, f.severity, f.record)).collect()
    }

    #[test]
    fn each_rule_finds_what_it_names_and_nothing_else() {
        let records = vec![
            entuity(json!({"creationTimeSec": NOW - 400 * DAY})),
            entuity(json!({"stats": {"lastLoginTimeSec": NOW - 100 * DAY}})),
            entuity(json!({"creationTimeSec": NOW - 100 * DAY, "stats": {"lastLoginTimeSec": 0}})),
            entuity(json!({"expiryTimeSec": NOW + 3 * DAY})),
            entuity(json!({"expiryTimeSec": 0})),
            magpie_expired(false),
            magpie_expired(true),
            entuity(json!({"expiryTimeSec": NOW - 2 * DAY, "activeSessionCount": 3})),
            bamboo("writer", true),
            entuity(json!({"creationTimeSec": NOW - 10 * DAY, "expiryTimeSec": NOW + 60 * DAY,
                "stats": {"lastLoginTimeSec": NOW - DAY, "loginCount": 4}})),
            bamboo("reader with no times", false),
        ];
        let policy = Policy::recommended().require_expiry().max_tokens_per_account(20);
        assert_eq!(
            rules(records, &policy),
            [
                (Rule::ExpiredWithActiveSessions, Severity::Critical, 7),
                (Rule::ExpiredButEnabled, Severity::High, 6),
                (Rule::MaxAge, Severity::Medium, 0),
                (Rule::MaxIdle, Severity::Medium, 1),
                (Rule::MaxIdle, Severity::Medium, 2),
                (Rule::NoExpiry, Severity::Medium, 4),
                (Rule::ExpiringSoon, Severity::Low, 3),
                (Rule::ExpiredButPresent, Severity::Low, 5),
                (Rule::ExpiredButPresent, Severity::Low, 6),
                (Rule::ExpiredButPresent, Severity::Low, 7),
                (Rule::WriteWithoutUse, Severity::Low, 8),
            ]
        );
    }

    #[test]
    fn rules_that_are_off_find_nothing_but_expired_tokens_still_working() {
        let records =
            vec![entuity(json!({"creationTimeSec": NOW - 900 * DAY})), magpie_expired(true)];
        assert_eq!(
            rules(records, &Policy::default()),
            [(Rule::ExpiredButEnabled, Severity::High, 1)]
        );
    }

    #[test]
    fn impossible_values_are_findings() {
        let expired_at_birth =
            entuity(json!({"creationTimeSec": NOW - DAY, "expiryTimeSec": NOW - 2 * DAY}));
        let inventory = inventory(vec![expired_at_birth]);
        let audit = inventory.audit(&Policy::default(), now());
        let findings: Vec<_> = audit.iter().collect();
        assert_eq!(
            (findings[0].rule, findings[0].severity),
            (Rule::ImpossibleValues, Severity::Low)
        );
        assert!(findings[0].message().ends_with("cannot be right: [ExpiresBeforeCreated]"));
    }

    #[test]
    fn accounts_with_too_many_tokens_are_found_once_after_the_tokens_medium_findings() {
        let records = vec![
            bamboo("no account", false),
            entuity(json!({})),
            entuity(json!({"creationTimeSec": NOW - 400 * DAY})),
            entuity(json!({})),
        ];
        let policy = Policy::default().max_tokens_per_account(2).max_age(Duration::from_secs(1));
        let inventory = inventory(records);
        let audit = inventory.audit(&policy, now());
        let findings: Vec<_> = audit.iter().collect();
        let found: Vec<_> = findings.iter().map(|f| (f.rule, f.record)).collect();
        // The account's finding follows the tokens' of its severity.
        assert_eq!(found, [(Rule::MaxAge, 2), (Rule::TooManyForAccount, 1)]);
        assert_eq!(findings[1].message(), "entuity account ada has 3 tokens, more than 2");
    }

    #[test]
    fn findings_say_what_is_wrong_by_id_and_never_by_secret() {
        let inventory = inventory(vec![bamboo("s3cr3t-uuid", true)]);
        let policy = Policy::default().write_without_use();
        let audit = inventory.audit(&policy, now());
        let finding = audit.iter().next().unwrap();
        let id = inventory.record(0).unwrap().id().unwrap().to_string();
        assert_eq!(
            finding.message(),
            format!("bamboo token {id} (source test) may change state and has no recorded use")
        );
        let json = serde_json::to_value(finding).unwrap();
        assert_eq!(json["token_id"], json!({"kind": "fingerprint", "value": id}));
        assert_eq!(
            (&json["rule"], &json["severity"]),
            (&json!("write_without_use"), &json!("low"))
        );
        assert!(!json.to_string().contains("s3cr3t"));
    }

    #[test]
    fn an_audit_serializes_its_moment_and_its_findings_most_urgent_first() {
        let inventory = inventory(vec![bamboo("writer", true), magpie_expired(true)]);
        let audit = inventory.audit(&Policy::recommended(), now());
        assert_eq!(audit.most_severe(), Some(Severity::High));
        assert_eq!((audit.len(), audit.of_severity(Severity::Low).len()), (3, 2));
        let json = serde_json::to_value(&audit).unwrap();
        assert_eq!(json["now_unix_ms"], json!(NOW * 1000));
        let rules: Vec<&Value> =
            json["findings"].as_array().unwrap().iter().map(|f| &f["rule"]).collect();
        assert_eq!(
            rules,
            [
                &json!("expired_but_enabled"),
                &json!("write_without_use"),
                &json!("expired_but_present")
            ]
        );
        assert!(
            inventory
                .audit(&Policy::default(), now() - Duration::from_secs(3 * 86_400))
                .most_severe()
                .is_none()
        );
    }

    #[test]
    fn spans_are_shown_in_their_largest_whole_unit() {
        let shown = |seconds: u64| super::Span(seconds).to_string();
        assert_eq!(
            [shown(1), shown(59), shown(60), shown(7_200), shown(86_400), shown(3 * 86_400 + 1)],
            ["1 second", "59 seconds", "1 minute", "2 hours", "1 day", "3 days"]
        );
    }
}
