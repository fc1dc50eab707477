//! What earlier inventories saw of each token: when it was first seen, and whether it is new.
//! A [`History`](super::History) keeps it; the audit and the metrics read it.

use std::collections::HashMap;
use std::time::SystemTime;

use super::{TokenId, TokenRecord};

/// When each token was first seen, by source and id, and which ones appeared in the latest
/// inventory recorded (one whose source had been listed before): for an audit
/// ([`Inventory::audit_seen`](super::Inventory::audit_seen)) and the metrics.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    sources: HashMap<String, HashMap<TokenId, FirstSeen>>,
}

/// When a token was first seen, and whether that was in the latest inventory recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FirstSeen {
    /// When an inventory first listed it.
    pub at: SystemTime,
    /// Whether it appeared in the latest inventory, its source having been listed before.
    pub appeared: bool,
}

impl FirstSeen {
    /// First seen `at`, appeared in the latest inventory or not.
    pub fn new(at: SystemTime, appeared: bool) -> Self {
        Self { at, appeared }
    }
}

impl Seen {
    /// Nothing seen yet: an audit with it is an audit without history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records what was seen of the token `id` of `source`.
    pub fn insert(&mut self, source: &str, id: TokenId, first: FirstSeen) {
        self.sources.entry(source.to_owned()).or_default().insert(id, first);
    }

    /// What was seen of `record`'s token.
    pub fn get(&self, record: &TokenRecord<'_>) -> Option<FirstSeen> {
        let tokens = self.sources.get(record.source())?;
        tokens.get(&record.id()?).copied()
    }

    /// Whether nothing is known: the audit then looks nothing up.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}
