//! `[policy]`: the audit's rules.

use std::time::Duration;

use access_tokens::inventory::{Policy, Severity};
use serde::Deserialize;

/// `[policy]`: the audit's rules; any left out are the recommended policy's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    max_age_days: Option<u64>,
    max_idle_days: Option<u64>,
    expiring_within_days: Option<u64>,
    #[serde(default)]
    require_expiry: bool,
    max_tokens_per_account: Option<usize>,
    /// How severe a token that appeared since the last run is (at least medium on a service
    /// account), or `never`.
    appeared: Option<Appeared>,
}

/// `appeared = "low"`, `"medium"`, `"high"`, `"critical"` or `"never"`.
#[derive(Debug, Clone, Copy)]
struct Appeared(Option<Severity>);

impl<'de> Deserialize<'de> for Appeared {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == "never" {
            return Ok(Self(None));
        }
        match Severity::ALL.into_iter().find(|severity| severity.name() == name) {
            Some(severity) => Ok(Self(Some(severity))),
            None => Err(serde::de::Error::custom(
                "expected \"low\", \"medium\", \"high\", \"critical\" or \"never\"",
            )),
        }
    }
}

/// `n` days.
pub fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(24 * 60 * 60))
}

impl PolicyConfig {
    /// The longest a token may live: `max_age_days`, the cap on a rotated token's lifetime.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age_days.map(days)
    }

    /// The policy: the recommended one, with what this sets.
    pub fn policy(&self) -> Policy {
        let mut policy = Policy::recommended();
        if let Some(n) = self.max_age_days {
            policy = policy.max_age(days(n));
        }
        if let Some(n) = self.max_idle_days {
            policy = policy.max_idle(days(n));
        }
        if let Some(n) = self.expiring_within_days {
            policy = policy.expiring_within(days(n));
        }
        if self.require_expiry {
            policy = policy.require_expiry();
        }
        if let Some(max) = self.max_tokens_per_account {
            policy = policy.max_tokens_per_account(max);
        }
        if let Some(Appeared(severity)) = self.appeared {
            policy.appeared = severity;
        }
        policy
    }

    /// This, with the audit's flags on top.
    pub fn with_flags(mut self, flags: &crate::args::AuditArgs) -> Self {
        self.max_age_days = flags.max_age_days.or(self.max_age_days);
        self.max_idle_days = flags.max_idle_days.or(self.max_idle_days);
        self.expiring_within_days = flags.expiring_within_days.or(self.expiring_within_days);
        self.require_expiry |= flags.require_expiry;
        self.max_tokens_per_account = flags.max_tokens_per_account.or(self.max_tokens_per_account);
        self
    }
}
