//! An inventory, its audit and its sources' health as Prometheus metrics, in the text
//! exposition format: built afresh from each inventory, so that a token gone from the
//! vendor is gone from the metrics too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use access_tokens_runtime::time::to_unix_millis;

use super::{Audit, Inventory, Moment, Seen, TokenRecord, Vendor};

/// What an exporter knows of a source across its runs: whether its last listing worked, when
/// one last did, how long the last took, how many failed, and when the source was last
/// rotated.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SourceHealth {
    /// Its vendor.
    pub vendor: Vendor,
    /// Whether its last listing worked.
    pub up: bool,
    /// When a listing of it last worked.
    pub last_success: Option<SystemTime>,
    /// How long its last listing took.
    pub listing: Duration,
    /// How many of its listings failed, since the exporter started.
    pub errors: u64,
    /// When its credential was last rotated, where the rotation's ledger says.
    pub last_rotation: Option<SystemTime>,
}

/// Every source's [`SourceHealth`], kept across inventories.
#[derive(Debug, Clone, Default)]
pub struct Health {
    sources: BTreeMap<String, SourceHealth>,
}

impl Health {
    /// No source yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `inventory`, run at `at`: each source's outcome and listing time. A source the
    /// inventory did not list (no longer configured) is forgotten.
    pub fn record(&mut self, inventory: &Inventory, at: SystemTime) {
        let mut sources = BTreeMap::new();
        for timing in &inventory.timings {
            let before = self.sources.remove(&timing.source);
            let (last_success, errors, last_rotation) = before.map_or((None, 0, None), |before| {
                (before.last_success, before.errors, before.last_rotation)
            });
            let health = SourceHealth {
                vendor: timing.vendor,
                up: timing.listed,
                last_success: if timing.listed { Some(at) } else { last_success },
                listing: timing.took,
                errors: errors + u64::from(!timing.listed),
                last_rotation,
            };
            sources.insert(timing.source.clone(), health);
        }
        self.sources = sources;
    }

    /// Records that `source`, of `vendor`, could not even be asked (its credential could not
    /// be read, its URL is wrong): down, one error more.
    pub fn unreachable(&mut self, source: &str, vendor: Vendor) {
        let health = self.sources.entry(source.to_owned()).or_insert(SourceHealth {
            vendor,
            up: false,
            last_success: None,
            listing: Duration::ZERO,
            errors: 0,
            last_rotation: None,
        });
        health.up = false;
        health.errors += 1;
    }

    /// Records that `source` was last rotated `at`.
    pub fn rotated(&mut self, source: &str, at: SystemTime) {
        if let Some(health) = self.sources.get_mut(source) {
            health.last_rotation = Some(at);
        }
    }

    /// Each source's health, by name.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &SourceHealth)> {
        self.sources.iter().map(|(name, health)| (name.as_str(), health))
    }
}

impl Inventory {
    /// The metrics of this inventory, its `audit` and its sources' `health`, in Prometheus'
    /// text exposition format (version 0.0.4). Every series names a token by source, vendor,
    /// account, id (a fingerprint where the value is the id) and name, never by a secret:
    ///
    /// - per token: `access_tokens_token_created_timestamp_seconds` (`basis="vendor"`, or
    ///   `basis="first_seen"` from `seen` where the vendor does not say),
    ///   `…_last_used_timestamp_seconds`, `…_expiry_timestamp_seconds` (absolute Unix times,
    ///   left out where the vendor says "never" or did not say) and `access_tokens_token_enabled`
    ///   (0 or 1, where the vendor says);
    /// - per source: `access_tokens_source_up`, `…_last_success_timestamp_seconds`,
    ///   `…_listing_duration_seconds`, `…_errors_total`, `…_tokens`,
    ///   `…_last_rotation_timestamp_seconds`;
    /// - `access_tokens_findings` by source, rule and severity, and
    ///   `access_tokens_audit_timestamp_seconds`.
    ///
    /// A series per token and metric, a series per source and metric, and at most one per
    /// source, rule and severity: the label sets are as many as the tokens and sources.
    pub fn prometheus(&self, audit: &Audit<'_>, health: &Health, seen: &Seen) -> String {
        let mut out = String::with_capacity(512 + self.len() * 900);
        let records: Vec<TokenRecord<'_>> = self.records().collect();
        let labels: Vec<String> = records.iter().map(token_labels).collect();
        let token = |out: &mut String,
                     name: &str,
                     help: &str,
                     value: &dyn Fn(&TokenRecord<'_>) -> Option<f64>| {
            header(out, name, "gauge", help);
            for (record, labels) in records.iter().zip(&labels) {
                if let Some(value) = value(record) {
                    sample(out, name, labels, value);
                }
            }
        };
        // Where the vendor does not say, when a history first saw it, with `basis` telling.
        let created = "access_tokens_token_created_timestamp_seconds";
        header(
            &mut out,
            created,
            "gauge",
            "When the token was created, as the vendor reports it (basis=\"vendor\"), else when it was first seen (basis=\"first_seen\").",
        );
        for (record, labels) in records.iter().zip(&labels) {
            match seconds(&record.created()) {
                Some(at) => sample(&mut out, created, &format!("{labels},basis=\"vendor\""), at),
                None if !seen.is_empty() => {
                    if let Some(first) = seen.get(record) {
                        let labels = format!("{labels},basis=\"first_seen\"");
                        sample(&mut out, created, &labels, unix_seconds(first.at));
                    }
                }
                None => {}
            }
        }
        token(
            &mut out,
            "access_tokens_token_last_used_timestamp_seconds",
            "When the token was last used, as the vendor reports it.",
            &|record| seconds(&record.last_used()),
        );
        token(
            &mut out,
            "access_tokens_token_expiry_timestamp_seconds",
            "When the token expires; no series for a token that never expires, or whose expiry is unknown.",
            &|record| seconds(&record.expires()),
        );
        token(
            &mut out,
            "access_tokens_token_enabled",
            "Whether the token is enabled (1) or disabled (0), where the vendor says.",
            &|record| record.enabled().map(|enabled| f64::from(u8::from(enabled))),
        );

        let mut findings: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for finding in audit.iter() {
            let key = (finding.token.source(), finding.rule.name(), finding.severity.name());
            *findings.entry(key).or_default() += 1;
        }
        header(
            &mut out,
            "access_tokens_findings",
            "gauge",
            "The audit's findings, by source, rule and severity.",
        );
        for ((source, rule, severity), count) in &findings {
            let labels =
                format!("source=\"{}\",rule=\"{rule}\",severity=\"{severity}\"", Escaped(source));
            sample(&mut out, "access_tokens_findings", &labels, *count as f64);
        }
        header(
            &mut out,
            "access_tokens_audit_timestamp_seconds",
            "gauge",
            "When the audit judged the tokens.",
        );
        sample(&mut out, "access_tokens_audit_timestamp_seconds", "", unix_seconds(audit.now()));

        let mut tokens: BTreeMap<&str, usize> = BTreeMap::new();
        for listing in &self.listings {
            *tokens.entry(listing.source.as_str()).or_default() += listing.len();
        }
        let sources: Vec<(&str, &SourceHealth, String)> = health
            .sources()
            .map(|(name, health)| {
                let labels = format!("source=\"{}\",vendor=\"{}\"", Escaped(name), health.vendor);
                (name, health, labels)
            })
            .collect();
        let source = |out: &mut String,
                      name: &str,
                      kind: &str,
                      help: &str,
                      value: &dyn Fn(&str, &SourceHealth) -> Option<f64>| {
            header(out, name, kind, help);
            for (source, health, labels) in &sources {
                if let Some(value) = value(source, health) {
                    sample(out, name, labels, value);
                }
            }
        };
        source(
            &mut out,
            "access_tokens_source_up",
            "gauge",
            "Whether the source's last listing worked.",
            &|_, health| Some(f64::from(u8::from(health.up))),
        );
        source(
            &mut out,
            "access_tokens_source_last_success_timestamp_seconds",
            "gauge",
            "When a listing of the source last worked.",
            &|_, health| health.last_success.map(unix_seconds),
        );
        source(
            &mut out,
            "access_tokens_source_listing_duration_seconds",
            "gauge",
            "How long the source's last listing took.",
            &|_, health| Some(health.listing.as_secs_f64()),
        );
        source(
            &mut out,
            "access_tokens_source_errors_total",
            "counter",
            "How many of the source's listings failed since the exporter started.",
            &|_, health| Some(health.errors as f64),
        );
        source(
            &mut out,
            "access_tokens_source_tokens",
            "gauge",
            "How many tokens the source's last listing had.",
            &|name, health| health.up.then(|| tokens.get(name).copied().unwrap_or_default() as f64),
        );
        source(
            &mut out,
            "access_tokens_source_last_rotation_timestamp_seconds",
            "gauge",
            "When the source's credential was last rotated by the tool.",
            &|_, health| health.last_rotation.map(unix_seconds),
        );
        out
    }
}

/// `# HELP` and `# TYPE` of the metric `name`.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A sample: `name{labels} value`.
fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// A token's labels: source, vendor, account, id and name.
fn token_labels(record: &TokenRecord<'_>) -> String {
    let account = record.account().and_then(|account| account.name).unwrap_or_default();
    let id = record.id().map(|id| id.to_string()).unwrap_or_default();
    format!(
        "source=\"{}\",vendor=\"{}\",account=\"{}\",id=\"{}\",name=\"{}\"",
        Escaped(record.source()),
        record.vendor(),
        Escaped(&account),
        Escaped(&id),
        Escaped(record.name().unwrap_or_default())
    )
}

/// A moment as Unix seconds, where there is one.
fn seconds(moment: &Moment) -> Option<f64> {
    moment.at().map(unix_seconds)
}

fn unix_seconds(at: SystemTime) -> f64 {
    to_unix_millis(at) as f64 / 1000.0
}

/// A label value escaped as the exposition format wants: `\`, `"` and line feeds.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Escaped;

    #[test]
    fn label_values_escape_backslashes_quotes_and_line_feeds() {
        assert_eq!(Escaped("a\\b\"c\nd").to_string(), "a\\\\b\\\"c\\nd");
    }
}
