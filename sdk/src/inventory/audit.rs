//! An audit of an inventory against a [`Policy`], at an explicit "now": findings a person
//! can act on, each with its rule, severity and record.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{Inventory, Moment, TokenRecord, Vendor};

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
}

impl Policy {
    /// A policy for credential hygiene: at most a year old, 90 days idle, a warning 14 days
    /// before expiry, expired tokens removed, write tokens used, at most 5 per account. Expired
    /// tokens that are enabled or have active sessions, and impossible values, are always
    /// findings.
    pub fn recommended() -> Self {
        Self::default()
            .max_age(365 * DAY)
            .max_idle(90 * DAY)
            .expiring_within(14 * DAY)
            .expired_present()
            .write_without_use()
            .max_tokens_per_account(5)
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
}

/// The rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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
}

/// How urgent a finding is, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

/// One rule one token (or one account) breaks.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// How urgent it is.
    pub severity: Severity,
    /// The position of the token's record in the inventory's
    /// [`records`](Inventory::records); for an account, its first token's.
    pub record: usize,
    /// What is wrong, in a sentence, naming the token by its id and never by its secret.
    pub message: String,
}

impl Inventory {
    /// The findings of `policy` against every record, as of `now`, most urgent first (then
    /// in the records' order).
    ///
    /// A time the vendor did not report breaks no rule that needs it: an unknown expiry is
    /// neither "expired" nor "never".
    pub fn audit(&self, policy: &Policy, now: SystemTime) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (index, record) in self.records.iter().enumerate() {
            let found = token_findings(record, policy, now);
            // Named only for the records with findings, which are few in a healthy fleet.
            let token = if found.is_empty() { String::new() } else { describe(record) };
            findings.extend(found.into_iter().map(|(rule, severity, what)| Finding {
                rule,
                severity,
                record: index,
                message: format!("{token} {what}"),
            }));
        }
        if let Some(max) = policy.max_tokens_per_account {
            findings.extend(crowded_accounts(&self.records, max));
        }
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.record.cmp(&b.record)));
        findings
    }
}

/// What one record breaks, each with what is wrong, to follow the token's description.
fn token_findings(
    record: &TokenRecord,
    policy: &Policy,
    now: SystemTime,
) -> Vec<(Rule, Severity, String)> {
    let mut findings = Vec::new();
    let expired = record.expires.at().filter(|&at| at <= now);
    if let Some(at) = expired {
        let ago = ago(now, at);
        if record.active_sessions.is_some_and(|sessions| sessions > 0) {
            let sessions = record.active_sessions.unwrap_or_default();
            let message = format!("expired {ago} but has {sessions} active session(s)");
            findings.push((Rule::ExpiredWithActiveSessions, Severity::Critical, message));
        }
        if record.enabled == Some(true) {
            let message = format!("expired {ago} but is still enabled");
            findings.push((Rule::ExpiredButEnabled, Severity::High, message));
        }
        if policy.expired_present {
            let message = format!("expired {ago} and is still present");
            findings.push((Rule::ExpiredButPresent, Severity::Low, message));
        }
    }
    if let (Some(window), Moment::At(at)) = (policy.expiring_within, &record.expires)
        && *at > now
        && at.duration_since(now).is_ok_and(|left| left <= window)
    {
        let message = format!("expires in {}", span(at.duration_since(now).unwrap_or_default()));
        findings.push((Rule::ExpiringSoon, Severity::Low, message));
    }
    if policy.require_expiry && record.expires == Moment::Never {
        findings.push((Rule::NoExpiry, Severity::Medium, "never expires".to_owned()));
    }
    if let (Some(max), Some(created)) = (policy.max_age, record.created.at())
        && now.duration_since(created).is_ok_and(|age| age > max)
    {
        let age = now.duration_since(created).unwrap_or_default();
        let message = format!("is {} old, more than the {} allowed", span(age), span(max));
        findings.push((Rule::MaxAge, Severity::Medium, message));
    }
    if let Some(max) = policy.max_idle {
        let idle = match (&record.last_used, record.created.at()) {
            (Moment::At(used), _) => now.duration_since(*used).ok().map(|idle| (idle, "unused")),
            (Moment::Never, Some(created)) => {
                now.duration_since(created).ok().map(|idle| (idle, "never used, created"))
            }
            _ => None,
        };
        if let Some((idle, what)) = idle.filter(|(idle, _)| *idle > max) {
            let message =
                format!("was {what} {} ago, more than the {} allowed", span(idle), span(max));
            findings.push((Rule::MaxIdle, Severity::Medium, message));
        }
    }
    let used = record.use_count.is_some_and(|count| count > 0) || record.last_used.at().is_some();
    if policy.write_without_use && record.permissions.is_some_and(|p| p.write) && !used {
        let message = "may change state and has no recorded use".to_owned();
        findings.push((Rule::WriteWithoutUse, Severity::Low, message));
    }
    if !record.anomalies.is_empty() {
        let message = format!("has values that cannot be right: {:?}", record.anomalies);
        findings.push((Rule::ImpossibleValues, Severity::Low, message));
    }
    findings
}

/// One finding per account with more than `max` tokens, on its first token's record.
fn crowded_accounts(records: &[TokenRecord], max: usize) -> Vec<Finding> {
    let mut accounts: BTreeMap<(Vendor, &str), Vec<usize>> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let Some(name) = record.account.as_ref().and_then(|account| account.name.as_deref()) else {
            continue;
        };
        accounts.entry((record.vendor, name)).or_default().push(index);
    }
    let mut findings: Vec<Finding> = accounts
        .into_iter()
        .filter(|(_, tokens)| tokens.len() > max)
        .map(|((vendor, name), tokens)| Finding {
            rule: Rule::TooManyForAccount,
            severity: Severity::Medium,
            record: tokens[0],
            message: format!(
                "{vendor} account {name} has {} tokens, more than {max}",
                tokens.len()
            ),
        })
        .collect();
    findings.sort_by_key(|finding| finding.record);
    findings
}

/// "entuity token 17 of guy2 (source entuity)".
fn describe(record: &TokenRecord) -> String {
    let mut text = format!("{} token", record.vendor);
    if let Some(id) = &record.id {
        let _ = write!(text, " {id}");
    }
    if let Some(name) = record.account.as_ref().and_then(|account| account.name.as_deref()) {
        let _ = write!(text, " of {name}");
    }
    let _ = write!(text, " (source {})", record.source);
    text
}

/// "3 days ago", for a moment before `now`.
fn ago(now: SystemTime, then: SystemTime) -> String {
    format!("{} ago", span(now.duration_since(then).unwrap_or_default()))
}

/// A span in the largest whole unit: days, hours, minutes or seconds.
fn span(span: Duration) -> String {
    let seconds = span.as_secs();
    let (count, unit) = match seconds {
        86_400.. => (seconds / 86_400, "day"),
        3_600.. => (seconds / 3_600, "hour"),
        60.. => (seconds / 60, "minute"),
        _ => (seconds, "second"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

#[cfg(all(test, feature = "bamboo"))]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::{DAY, Policy, Rule, Severity};
    use crate::inventory::{Account, AccountKind, Inventory, Moment, Permissions, TokenRecord};

    const NOW: Duration = Duration::from_secs(1_800_000_000);

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + NOW
    }

    fn days_ago(days: u32) -> Moment {
        Moment::At(now() - DAY * days)
    }

    fn in_days(days: u32) -> Moment {
        Moment::At(now() + DAY * days)
    }

    /// A record with no times, permissions or account, to set fields on.
    fn token(name: &str) -> TokenRecord {
        let token = crate::bamboo::Token {
            uuid: name.into(),
            name: name.to_owned(),
            read: true,
            change: false,
        };
        let mut record = TokenRecord::bamboo("test", token);
        record.permissions = None;
        record
    }

    fn rules(records: Vec<TokenRecord>, policy: &Policy) -> Vec<(Rule, Severity, usize)> {
        let inventory = Inventory { records, failures: Vec::new() };
        let findings = inventory.audit(policy, now());
        findings.iter().map(|f| (f.rule, f.severity, f.record)).collect()
    }

    #[test]
    fn each_rule_finds_what_it_names_and_nothing_else() {
        let mut old = token("old");
        old.created = days_ago(400);
        let mut idle = token("idle");
        idle.last_used = days_ago(100);
        let mut never_used = token("never used");
        (never_used.created, never_used.last_used) = (days_ago(100), Moment::Never);
        let mut expiring = token("expiring");
        expiring.expires = in_days(3);
        let mut forever = token("forever");
        forever.expires = Moment::Never;
        let mut expired = token("expired");
        (expired.expires, expired.enabled) = (days_ago(2), Some(false));
        let mut enabled = token("enabled");
        (enabled.expires, enabled.enabled) = (days_ago(2), Some(true));
        let mut in_use = token("in use");
        (in_use.expires, in_use.active_sessions) = (days_ago(2), Some(3));
        let mut writer = token("writer");
        writer.permissions = Some(Permissions { read: true, write: true });
        let mut fine = token("fine");
        (fine.created, fine.last_used, fine.expires) = (days_ago(10), days_ago(1), in_days(60));
        fine.permissions = Some(Permissions { read: true, write: true });
        let unknown = token("unknown times");
        let policy = Policy::recommended().require_expiry();
        let records = vec![
            old, idle, never_used, expiring, forever, expired, enabled, in_use, writer, fine,
            unknown,
        ];
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
        let mut enabled = token("enabled");
        (enabled.expires, enabled.enabled, enabled.created) =
            (days_ago(1), Some(true), days_ago(900));
        assert_eq!(
            rules(vec![enabled], &Policy::default()),
            [(Rule::ExpiredButEnabled, Severity::High, 0)]
        );
    }

    #[test]
    fn accounts_with_too_many_tokens_are_found_once() {
        let owned = |name: &str| {
            let mut record = token(name);
            record.account = Some(Account { kind: AccountKind::User, name: Some("ada".into()) });
            record
        };
        let records = vec![token("no account"), owned("a"), owned("b"), owned("c")];
        let policy = Policy::default().max_tokens_per_account(2);
        let inventory = Inventory { records, failures: Vec::new() };
        let findings = inventory.audit(&policy, now());
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].rule, findings[0].record), (Rule::TooManyForAccount, 1));
        assert_eq!(findings[0].message, "bamboo account ada has 3 tokens, more than 2");
    }

    #[test]
    fn findings_say_what_is_wrong_by_id_and_never_by_secret() {
        let mut enabled = token("s3cr3t-uuid");
        (enabled.expires, enabled.enabled) = (days_ago(3), Some(true));
        let inventory = Inventory { records: vec![enabled], failures: Vec::new() };
        let finding = &inventory.audit(&Policy::default(), now())[0];
        let id = inventory.records[0].id.as_ref().unwrap().to_string();
        assert_eq!(
            finding.message,
            format!("bamboo token {id} (source test) expired 3 days ago but is still enabled")
        );
        assert!(!serde_json::to_string(finding).unwrap().contains("s3cr3t"));
    }
}
