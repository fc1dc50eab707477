//! A credential that a client renews when a call is answered 401, once for all its clones:
//! Magpie's session from `login`, Insight.io's token from `login`.

use std::sync::{Arc, PoisonError, RwLock};

use access_tokens_runtime::execute::Operation;
use reqwest::StatusCode;

use crate::Error;

/// Gets a fresh credential: logs in again.
pub(crate) trait Renew {
    /// What calls go out with.
    type Credential;

    /// The vendor's operations, and whether a call of each may be repeated, as its document
    /// says (the generated `OPERATIONS`).
    const OPERATIONS: &'static [Operation];

    /// A new credential, from what the client was first made with.
    fn renew(&self) -> impl Future<Output = Result<Self::Credential, Error>> + Send;
}

/// The credential calls go out with now, and how to renew it (`None`: never, as for a bare
/// session or token, which reports its 401). `gate` lets one call at a time renew it.
#[derive(Debug)]
pub(crate) struct Renewing<R: Renew> {
    current: RwLock<Arc<R::Credential>>,
    renewer: Option<R>,
    gate: futures_util::lock::Mutex<()>,
}

impl<R: Renew> Renewing<R> {
    pub(crate) fn new(credential: R::Credential, renewer: Option<R>) -> Self {
        let current = RwLock::new(Arc::new(credential));
        Self { current, renewer, gate: futures_util::lock::Mutex::new(()) }
    }

    /// The credential calls go out with now.
    pub(crate) fn current(&self) -> Arc<R::Credential> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Makes `call` with the current credential; on a 401, renews it (if it can) and, if the
    /// operation answered 401 may be repeated (it cannot double an effect: a read, or a change
    /// or delete of one id, but no create), makes the call once more with the new one.
    pub(crate) async fn call<T, F, Fut>(&self, call: F) -> Result<T, Error>
    where
        F: Fn(Arc<R::Credential>) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let credential = self.current();
        let result = call(credential.clone()).await;
        let Some(renewer) = &self.renewer else { return result };
        match result {
            // Boxed: the rare path must not grow every call's future.
            Err(error) if error.status() == Some(StatusCode::UNAUTHORIZED) => {
                Box::pin(async move {
                    self.renew(renewer, &credential).await?;
                    let repeatable = R::OPERATIONS
                        .iter()
                        .any(|op| Some(op.id) == error.operation() && op.repeatable);
                    if repeatable { call(self.current()).await } else { Err(error) }
                })
                .await
            }
            other => other,
        }
    }

    /// Replaces `stale` with a new credential, unless another call already has.
    async fn renew(&self, renewer: &R, stale: &Arc<R::Credential>) -> Result<(), Error> {
        let _one_at_a_time = self.gate.lock().await;
        if !Arc::ptr_eq(&self.current(), stale) {
            return Ok(());
        }
        let fresh = renewer.renew().await?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
        Ok(())
    }
}
