//! What a rotation would do, found out without changing anything.

use std::fmt;

use serde::Serialize;

use super::report::{Listed, utc};
use super::scope;
use super::vendor::{Held, Rotate};
use super::{Notice, Retire, Rotation, Sink, Waiting};
use crate::inventory::{Moment, TokenId, Vendor};
use access_tokens_runtime::time::to_unix_millis as unix_ms;

/// What a rotation would do, found out by its pre-flight checks without changing anything on a
/// server or on disk: whether the sink's lock is free, the ledger readable, the sink writable as
/// promised and the credentials working; what would be created and where its secret would go;
/// and what would be retired, at once or after the grace window. Holds no secret.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The product.
    pub vendor: Vendor,
    /// Where the new secret would go.
    pub sink: String,
    /// What would be created, in a phrase; `None` when a pending credential would be resumed
    /// instead.
    pub create: Option<String>,
    /// When the new credential would expire, where the vendor lets it be chosen.
    pub new_expires: Option<Moment>,
    /// The pending credential a run would resume with, instead of creating one.
    pub resume: Option<TokenId>,
    /// The credential the new one would replace, if it can be told.
    pub replaced: Option<TokenId>,
    /// What the run retires: only what it replaces, or everything else.
    pub scope: Retire,
    /// What would be retired as soon as the new credential is current.
    pub retire: Vec<TokenId>,
    /// What would stay working until the grace window ends.
    pub wait: Vec<Waiting>,
    /// What waited out its grace window and would be retired first.
    pub due: Vec<TokenId>,
    /// What the run could not do as asked.
    pub notices: Vec<Notice>,
    /// Each pre-flight check, in order.
    pub checks: Vec<PlanCheck>,
}

/// One pre-flight check of a [`Plan`], and why it failed, if it did.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct PlanCheck {
    /// What was checked: `lock`, `ledger`, `sink` or `credentials`.
    pub check: &'static str,
    /// Why it failed (no secret), if it did.
    pub error: Option<String>,
}

impl Plan {
    /// Whether every pre-flight check passed: a run would start.
    pub fn is_ready(&self) -> bool {
        self.checks.iter().all(|check| check.error.is_none())
    }
}

impl Rotation {
    /// What [`run`](Self::run) would do now, by the same reasoning, changing nothing.
    pub async fn plan<T: Rotate>(&self, target: &T, sink: &impl Sink) -> Plan {
        let mut plan = Plan {
            vendor: T::VENDOR,
            sink: sink.describe(),
            create: None,
            new_expires: None,
            resume: None,
            replaced: None,
            scope: self.retire,
            retire: Vec::new(),
            wait: Vec::new(),
            due: Vec::new(),
            notices: Vec::new(),
            checks: Vec::new(),
        };
        let mut check = |check: &'static str, result: Result<(), String>| {
            let failed = result.is_err();
            plan.checks.push(PlanCheck { check, error: result.err() });
            !failed
        };
        check("lock", sink.check_lock().await.map_err(|e| e.to_string()));
        let ledger = sink.ledger().await.map_err(|e| e.to_string());
        let mut ledger = match ledger {
            Ok(ledger) => ledger,
            Err(error) => {
                check("ledger", Err(error));
                return plan;
            }
        };
        check("ledger", Ok(()));
        if !check("sink", sink.check().await.map_err(|e| e.to_string())) {
            return plan;
        }
        let current = match sink.current().await {
            Ok(current) => current,
            Err(error) => {
                check("sink", Err(error.to_string()));
                return plan;
            }
        };
        let listed = match target.list(current.as_ref()).await {
            Ok(listed) => listed,
            Err(error)
                if current.is_some() && error.status().is_some_and(|s| s.as_u16() == 401) =>
            {
                Vec::new()
            }
            Err(error) => {
                check("credentials", Err(error.to_string()));
                return plan;
            }
        };
        check("credentials", Ok(()));
        let now = unix_ms(self.now());
        plan.due = ledger
            .waiting
            .iter()
            .filter(|waiting| waiting.retire_at_unix_ms <= now)
            .map(|waiting| waiting.id.clone())
            .collect();
        ledger.waiting.retain(|waiting| waiting.retire_at_unix_ms > now);
        let pending = self.resumable(target, sink, &ledger).await;
        let mark = self.mark(&sink.name());
        let new_id = match pending {
            Some(Ok(held)) => {
                plan.resume = Some(held.id.clone());
                plan.replaced = ledger.replacing.clone();
                held.id
            }
            pending => {
                if pending.is_some() {
                    plan.notices.push(Notice::PendingNotTheTargets);
                }
                let (replaced, notice) =
                    scope::prepare::<T>(self, &listed, current.as_ref(), &mut ledger);
                plan.notices.extend(notice);
                plan.replaced = replaced.map(|held| held.id.clone());
                ledger.replacing = plan.replaced.clone();
                let new = scope::new_credential::<T>(self, &mark, replaced, self.now());
                if scope::endless_unasked::<T>(&new) {
                    plan.notices.push(Notice::NoLifetime);
                }
                plan.create = Some(target.describe(&new));
                plan.new_expires = new.expires.map(Moment::At);
                // Not created yet: an id no listed credential has.
                TokenId::Vendor(String::new())
            }
        };
        let retirement = scope::retirement(self, &listed, &new_id, &ledger, &mark);
        let later: Vec<Held<T::Handle>> = retirement.later;
        match self.retire_after {
            Some(grace) => plan.wait = scope::waiting(&later, self.now(), grace),
            None => plan.retire.extend(later.into_iter().map(|held| held.id)),
        }
        plan.retire.extend(retirement.now.into_iter().map(|held| held.id));
        plan
    }

    /// The pending credential a run would resume with: `Some(Ok)`, found and the target's;
    /// `Some(Err)`, there is one but it would be left as it is; `None`, there is none.
    async fn resumable<T: Rotate>(
        &self,
        target: &T,
        sink: &impl Sink,
        ledger: &super::Ledger,
    ) -> Option<Result<Held<T::Handle>, ()>> {
        let pending = sink.pending().await.ok().flatten()?;
        let found = if T::LISTS_VALUES {
            target.find(&pending).await.ok().flatten()
        } else {
            let id = ledger.pending.as_ref()?;
            let listed = target.list(Some(&pending)).await.ok()?;
            listed.into_iter().find(|held| held.id == *id)
        };
        Some(found.filter(|held| target.owns(held) && !T::is_neutralised(&held.handle)).ok_or(()))
    }
}

/// The plan as lines for people: the checks, then what would be created, written, replaced and
/// retired, then the notices.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ready = if self.is_ready() { "ready" } else { "would not start" };
        writeln!(f, "{} rotation plan: {ready}", self.vendor)?;
        for check in &self.checks {
            match &check.error {
                None => writeln!(f, "  ok      {}", check.check)?,
                Some(error) => writeln!(f, "  FAILED  {}: {error}", check.check)?,
            }
        }
        if !self.is_ready() {
            return Ok(());
        }
        if !self.due.is_empty() {
            writeln!(f, "  retire first, its grace window over: {}", Listed(&self.due))?;
        }
        match (&self.resume, &self.create) {
            (Some(pending), _) => writeln!(f, "  resume with the pending token {pending}")?,
            (None, Some(create)) => writeln!(f, "  create {create}")?,
            (None, None) => {}
        }
        if let Some(Moment::At(at)) = &self.new_expires {
            writeln!(f, "  expiring {}", utc(*at))?;
        }
        writeln!(f, "  write its secret to {}", self.sink)?;
        match &self.replaced {
            Some(replaced) => writeln!(f, "  replacing {replaced}")?,
            None => writeln!(f, "  replacing nothing known")?,
        }
        let scope = match self.scope {
            Retire::Replaced => "what it replaces",
            Retire::All => "every other token of the target",
        };
        if self.retire.is_empty() {
            writeln!(f, "  retire nothing now (it retires {scope})")?;
        } else {
            writeln!(f, "  retire {} (it retires {scope})", Listed(&self.retire))?;
        }
        for waiting in &self.wait {
            writeln!(
                f,
                "  retire {} after the grace window, at {}",
                waiting.id,
                utc(waiting.retire_at())
            )?;
        }
        for notice in &self.notices {
            writeln!(f, "  note: {notice}")?;
        }
        Ok(())
    }
}
