//! A rotation's run, step by step: see the [module](super) for what each step does and why.

use std::time::SystemTime;

use super::scope;
use super::vendor::{Held, New, Rotate};
use super::{
    Attempt, Failure, Ledger, NewCredential, Notice, Report, Rotation, Sink, SinkLock, State, Step,
    retire,
};
use crate::inventory::{Moment, TokenId};
use crate::{Error, Secret};
use access_tokens_runtime::time::to_unix_millis as unix_ms;

/// Where a run stops: the step that failed, why, and the state it leaves; or a state whose
/// failures are in the report already.
enum Stop {
    At(Step, Failure, State),
    Reported(State),
}

type Go<T> = Result<T, Stop>;

impl Rotation {
    /// Rotates `target`'s credentials, handing the new secret to `sink` before anything else
    /// happens to it; see the [module](super) for the steps.
    pub async fn run<T: Rotate>(&self, target: &T, sink: &impl Sink) -> Report {
        let mut run = Run::new(self, target, sink);
        let outcome = match run.lock().await {
            Ok(lock) => {
                let outcome = run.rotate().await;
                lock.release().await;
                outcome
            }
            Err(stop) => Err(stop),
        };
        run.end(outcome, State::Rotated)
    }

    /// Retires the replaced credentials whose grace window ([`retire_after`](Self::retire_after))
    /// has ended, and nothing else: for a scheduled run between rotations.
    pub async fn retire_due<T: Rotate>(&self, target: &T, sink: &impl Sink) -> Report {
        let mut run = Run::new(self, target, sink);
        let outcome = match run.lock().await {
            Ok(lock) => {
                let outcome = async {
                    run.ledger = run.read_ledger().await?;
                    run.retire_due().await
                }
                .await;
                lock.release().await;
                outcome
            }
            Err(stop) => Err(stop),
        };
        run.end(outcome, State::DueRetired)
    }
}

/// One run: the rotation, its target and sink, the report so far, and the ledger as read.
struct Run<'a, T, S> {
    rotation: &'a Rotation,
    target: &'a T,
    sink: &'a S,
    report: Report,
    ledger: Ledger,
    mark: String,
    now: SystemTime,
}

impl<'a, T: Rotate, S: Sink> Run<'a, T, S> {
    fn new(rotation: &'a Rotation, target: &'a T, sink: &'a S) -> Self {
        Self {
            rotation,
            target,
            sink,
            report: Report::new(T::VENDOR),
            ledger: Ledger::default(),
            mark: rotation.mark(&sink.name()),
            now: rotation.now(),
        }
    }

    /// The report, with the state `done` or where the run stopped.
    fn end(mut self, outcome: Go<()>, done: State) -> Report {
        self.report.state = match outcome {
            Ok(()) => done,
            Err(Stop::At(step, failure, state)) => {
                self.report.failed(step, failure);
                state
            }
            Err(Stop::Reported(state)) => state,
        };
        self.report
    }

    /// The run, its sink locked; the sink checked first, before its ledger or a pending secret
    /// is read.
    async fn rotate(&mut self) -> Go<()> {
        let unready = |e| Stop::At(Step::Prepare, Failure::Sink(e), State::NotCreated);
        self.sink.check().await.map_err(unready)?;
        self.ledger = self.read_ledger().await?;
        self.retire_due().await?;
        if let Some((new, secret)) = self.resume().await? {
            return self.finish(&new, &secret).await;
        }
        let replaced = self.prepare().await?;
        let mark = self.mark.clone();
        let new = scope::new_credential::<T>(self.rotation, &mark, replaced.as_ref(), self.now);
        if scope::endless_unasked::<T>(&new) {
            self.report.notice(Notice::NoLifetime);
        }
        let (held, secret) = self.create(&new).await?;
        if let Err(failure) = self.target.check(&held, &secret).await {
            return Err(Stop::At(Step::Check, failure, State::CheckFailed));
        }
        self.report.done(Step::Check);
        self.finish(&held, &secret).await
    }

    async fn lock(&mut self) -> Go<SinkLock> {
        match self.sink.lock(self.rotation.lock_wait).await {
            Ok(lock) => {
                self.report.done(Step::Lock);
                Ok(lock)
            }
            Err(error) => Err(Stop::At(Step::Lock, Failure::Sink(error), State::NotCreated)),
        }
    }

    async fn read_ledger(&mut self) -> Go<Ledger> {
        let ledger = self.sink.ledger().await;
        ledger.map_err(|e| Stop::At(Step::Prepare, Failure::Sink(e), State::NotCreated))
    }

    /// Keeps the ledger; a failure stops the run at `step` in `state`.
    async fn save(&self, step: Step, state: State) -> Go<()> {
        let saved = self.sink.save_ledger(&self.ledger).await;
        saved.map_err(|e| Stop::At(step, Failure::Sink(e), state))
    }

    /// Retires what waited out its grace window, if anything is due.
    async fn retire_due(&mut self) -> Go<()> {
        let now = unix_ms(self.now);
        let due: Vec<_> =
            self.ledger.waiting.iter().filter(|w| w.retire_at_unix_ms <= now).cloned().collect();
        if due.is_empty() {
            return Ok(());
        }
        let stop = |failure| Stop::At(Step::RetireDue, failure, State::NotCreated);
        let current = self.sink.current().await.map_err(|e| stop(Failure::Sink(e)))?;
        let listed = self.target.list(current.as_ref()).await.map_err(|e| stop(e.into()))?;
        let listed: Vec<_> =
            listed.into_iter().filter(|held| due.iter().any(|w| w.id == held.id)).collect();
        let retirement = retire(self.target, &listed, current.as_ref()).await;
        self.report.retired.extend(retirement.retired.iter().cloned());
        // What is retired now, or no longer listed, waits no more.
        let alive = |id: &TokenId| {
            listed.iter().any(|held| held.id == *id) && !retirement.retired.contains(id)
        };
        self.ledger.waiting.retain(|waiting| !due.contains(waiting) || alive(&waiting.id));
        self.save(Step::RetireDue, State::NotCreated).await?;
        retirement.outcome.map_err(stop)?;
        self.report.done(Step::RetireDue);
        Ok(())
    }

    /// The credential an earlier run left pending in the sink, if it is the target's and can
    /// still do something: found by its value, or (a vendor that lists none) by the id the
    /// ledger recorded; checked.
    async fn resume(&mut self) -> Go<Option<(Held<T::Handle>, Secret)>> {
        let stop = |failure| Stop::At(Step::Resume, failure, State::NotCreated);
        let Some(pending) = self.sink.pending().await.map_err(|e| stop(Failure::Sink(e)))? else {
            return Ok(None);
        };
        let found = if T::LISTS_VALUES {
            self.target.find(&pending).await.map_err(|e| stop(e.into()))?
        } else if let Some(id) = &self.ledger.pending {
            let listed = self.target.list(Some(&pending)).await.map_err(|e| stop(e.into()))?;
            listed.into_iter().find(|held| held.id == *id)
        } else {
            None
        };
        let usable =
            |held: &Held<T::Handle>| self.target.owns(held) && !T::is_neutralised(&held.handle);
        let Some(new) = found.filter(usable) else {
            self.sink.set_aside_pending().await.map_err(|e| stop(Failure::Sink(e)))?;
            self.report.notice(Notice::PendingNotTheTargets);
            return Ok(None);
        };
        self.report.done(Step::Resume);
        self.report.new = Some(new.id.clone());
        self.report.replaced = self.ledger.replacing.clone();
        self.report.new_expires = new.about.expires.map(|expiry| Moment::from(Some(expiry)));
        match self.target.check(&new, &pending).await {
            Ok(()) => {
                self.report.done(Step::Check);
                Ok(Some((new, pending)))
            }
            // It will never work: start afresh, and retire it as a leftover.
            Err(failure @ Failure::NotWorking(_)) => {
                self.report.failed(Step::Check, failure);
                self.report.new = None;
                self.report.new_expires = None;
                self.ledger.leftovers.push(new.id);
                self.ledger.pending = None;
                Ok(None)
            }
            Err(failure) => Err(Stop::At(Step::Check, failure, State::CheckFailed)),
        }
    }

    /// Lists the target, tells what the new credential replaces, and records
    /// it in the ledger with what is listed before the create (and what an earlier lost create
    /// left); returns the replaced credential.
    async fn prepare(&mut self) -> Go<Option<Held<T::Handle>>> {
        let stop = |failure| Stop::At(Step::Prepare, failure, State::NotCreated);
        let current = self.sink.current().await.map_err(|e| stop(Failure::Sink(e)))?;
        let listed = match self.target.list(current.as_ref()).await {
            Ok(listed) => listed,
            // Listed with the current secret itself (Insight.io): dead, it replaces nothing.
            Err(error) if current.is_some() && unauthorized(&error) => Vec::new(),
            Err(error) => return Err(stop(error.into())),
        };
        let (replaced, notice) =
            scope::prepare::<T>(self.rotation, &listed, current.as_ref(), &mut self.ledger);
        let replaced = replaced.cloned();
        if let Some(notice) = notice {
            self.report.notice(notice);
        }
        self.report.replaced = replaced.as_ref().map(|held| held.id.clone());
        self.ledger.replacing = self.report.replaced.clone();
        self.ledger.attempt = Some(Attempt {
            before: listed.iter().map(|held| held.id.clone()).collect(),
            started_unix_ms: unix_ms(self.now),
        });
        self.save(Step::Prepare, State::NotCreated).await?;
        self.report.done(Step::Prepare);
        Ok(replaced)
    }

    /// Creates the new credential, stores it, identifies and marks it; if the sink fails,
    /// retires it again.
    async fn create(&mut self, new: &New<'_, T::Handle>) -> Go<(Held<T::Handle>, Secret)> {
        let created = match self.target.create(new).await {
            Ok(created) => created,
            // Answered with a status other than 2xx: nothing was created. Otherwise the
            // ledger keeps the attempt, for the next run to find what it may have made.
            Err(error) if error.status().is_some_and(|status| !status.is_success()) => {
                self.ledger.attempt = None;
                self.save(Step::Create, State::NotCreated).await?;
                return Err(Stop::At(Step::Create, error.into(), State::NotCreated));
            }
            Err(error) => return Err(Stop::At(Step::Create, error.into(), State::MaybeCreated)),
        };
        self.report.done(Step::Create);
        let credential = NewCredential {
            vendor: T::VENDOR,
            id: created.held.as_ref().map(|held| &held.id),
            secret: &created.secret,
        };
        if let Err(error) = self.sink.store(&credential).await {
            self.report.failed(Step::Store, Failure::Sink(error));
            // Nobody holds the new credential: it must not stay alive.
            let retired = match self.identify(&created.secret, created.held.as_ref()).await {
                Ok(new) => self.target.retire(&new).await.map_err(Failure::from),
                Err(failure) => Err(failure),
            };
            let new_retired = match retired {
                Ok(()) => {
                    self.ledger.attempt = None;
                    true
                }
                Err(failure) => {
                    self.report.failed(Step::Retire, failure);
                    false
                }
            };
            let _ = self.sink.save_ledger(&self.ledger).await;
            return Err(Stop::Reported(State::NotStored { new_retired }));
        }
        self.report.done(Step::Store);
        let held = match self.identify(&created.secret, created.held.as_ref()).await {
            Ok(held) => held,
            Err(failure) => {
                if matches!(failure, Failure::Ambiguous { .. }) {
                    // The new ids are this run's and another client's, which cannot be told
                    // apart: neither may be retired later as what this run left behind.
                    self.ledger.attempt = None;
                    let _ = self.sink.save_ledger(&self.ledger).await;
                }
                return Err(Stop::At(Step::Identify, failure, State::Unidentified));
            }
        };
        if created.held.is_none() {
            self.report.done(Step::Identify);
        }
        self.report.new = Some(held.id.clone());
        self.report.new_expires = held.about.expires.map(|expiry| Moment::from(Some(expiry)));
        self.ledger.pending = Some(held.id.clone());
        self.ledger.attempt = None;
        self.save(Step::Store, State::CheckFailed).await?;
        if T::MARKS_AFTER_CREATE {
            match self.target.mark(&held, new).await {
                Ok(()) => self.report.done(Step::Mark),
                Err(error) => {
                    self.report.failed(Step::Mark, error.into());
                    self.report.notice(Notice::Unmarked);
                }
            }
        }
        Ok((held, created.secret))
    }

    /// The new credential, as created or, where the answer holds only the secret, as the one
    /// id the listing before the create (the ledger's attempt) did not show.
    async fn identify(
        &self,
        secret: &Secret,
        created: Option<&Held<T::Handle>>,
    ) -> Result<Held<T::Handle>, Failure> {
        if let Some(held) = created {
            return Ok(held.clone());
        }
        let before =
            self.ledger.attempt.as_ref().map(|attempt| &attempt.before[..]).unwrap_or_default();
        let mut appeared: Vec<_> = self
            .target
            .list(Some(secret))
            .await?
            .into_iter()
            .filter(|held| !before.contains(&held.id))
            .collect();
        match appeared.len() {
            1 => Ok(appeared.remove(0)),
            candidates => Err(Failure::Ambiguous { candidates }),
        }
    }

    /// Promotes the checked `new` credential in the sink, runs the hook, then retires what it
    /// replaces (or lets it wait out the grace window) and what earlier runs left, confirms
    /// it, and finishes.
    async fn finish(&mut self, new: &Held<T::Handle>, secret: &Secret) -> Go<()> {
        if let Err(error) = self.sink.promote().await {
            return Err(Stop::At(Step::Promote, Failure::Sink(error), State::NotPromoted));
        }
        self.ledger.current = Some(new.id.clone());
        self.save(Step::Promote, State::NotPromoted).await?;
        self.report.done(Step::Promote);
        if let Some(hook) = &self.rotation.after_promote {
            hook()
                .await
                .map_err(|why| Stop::At(Step::Hook, Failure::Hook(why), State::HookFailed))?;
            self.report.done(Step::Hook);
        }
        let listed = match self.target.list(Some(secret)).await {
            Ok(listed) => listed,
            Err(error) => return Err(Stop::At(Step::Retire, error.into(), State::NotRetired)),
        };
        let mut retirement =
            scope::retirement(self.rotation, &listed, &new.id, &self.ledger, &self.mark);
        if let Some(grace) = self.rotation.retire_after {
            let waiting = scope::waiting(&retirement.later, self.now, grace);
            self.report.waiting.extend(waiting.iter().cloned());
            for entry in waiting {
                if !self.ledger.waiting.iter().any(|w| w.id == entry.id) {
                    self.ledger.waiting.push(entry);
                }
            }
        } else {
            retirement.now.append(&mut retirement.later);
        }
        let done = retire(self.target, &retirement.now, Some(secret)).await;
        self.report.retired.extend(done.retired.iter().cloned());
        self.ledger.leftovers.retain(|id| !done.retired.contains(id));
        if self.ledger.replacing.as_ref().is_some_and(|id| {
            done.retired.contains(id) || self.report.waiting.iter().any(|w| w.id == *id)
        }) {
            self.ledger.replacing = None;
        }
        match done.outcome {
            Err(failure @ Failure::Retire(_)) => {
                self.save(Step::Retire, State::PartlyRetired).await?;
                return Err(Stop::At(Step::Retire, failure, State::PartlyRetired));
            }
            Err(failure) => {
                self.report.done(Step::Retire);
                self.save(Step::Confirm, State::Unconfirmed).await?;
                return Err(Stop::At(Step::Confirm, failure, State::Unconfirmed));
            }
            Ok(()) => {}
        }
        self.report.done(Step::Retire);
        self.report.done(Step::Confirm);
        if let Err(error) = self.sink.finish().await {
            self.save(Step::Finish, State::Unfinished).await?;
            return Err(Stop::At(Step::Finish, Failure::Sink(error), State::Unfinished));
        }
        self.ledger.pending = None;
        self.ledger.replacing = None;
        self.ledger.leftovers.clear();
        self.ledger.last_rotated_unix_ms = Some(unix_ms(self.now));
        self.save(Step::Finish, State::Unfinished).await?;
        self.report.done(Step::Finish);
        Ok(())
    }
}

/// Whether `error` is an answer 401: the credential it was made with does not work.
fn unauthorized(error: &Error) -> bool {
    error.status().is_some_and(|status| status.as_u16() == 401)
}
