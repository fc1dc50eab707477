//! How every generated call is executed: a bound on calls in flight, retries of what is safe
//! to repeat, a cap on response sizes, and a tracing span that names no secret.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use progenitor_client::OperationInfo;
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::transport::Context;

/// When and how often a failed call is repeated.
///
/// Only calls that are safe to repeat are retried: reads, and updates and deletes that leave
/// the same state however often they run. Calls that create, rotate, log in or revoke are never
/// repeated, whatever this policy says, because a repeat could mint a second token or delete
/// the only copy of one. A retry follows a connection failure, `429 Too Many Requests` or
/// `502`/`503`/`504`, after an exponential backoff with jitter, or after the server's
/// `Retry-After` when it names a number of seconds no larger than
/// [`max_retry_after`](Self::max_retry_after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl RetryPolicy {
    /// Never retries.
    pub const NEVER: Self = Self::new(0, Duration::ZERO, Duration::ZERO);

    /// Retries up to `max_retries` times, waiting `initial_backoff` doubled on each attempt, at
    /// most `max_backoff`, half of it random.
    pub const fn new(max_retries: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        Self { max_retries, initial_backoff, max_backoff, max_retry_after: Duration::from_secs(10) }
    }

    /// Honours a server's `Retry-After` up to `limit`; a longer one ends the retries.
    /// Default: 10 s.
    pub const fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// How many times a call may be repeated.
    pub const fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before retry number `retry` (from 1), before jitter halves it at random.
    fn backoff(&self, retry: u32) -> Duration {
        let doubled = self.initial_backoff.saturating_mul(1 << (retry - 1).min(16));
        doubled.min(self.max_backoff)
    }
}

/// Two retries, after about 200 ms and 400 ms (at most 2 s), and `Retry-After` up to 10 s.
impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(2, Duration::from_millis(200), Duration::from_secs(2))
    }
}

/// A client's settings for executing calls, shared by its clones.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) vendor: &'static str,
    pub(crate) retry: RetryPolicy,
    /// Operations that must never be repeated although their method suggests otherwise
    /// (Insight.io's GETs that create and revoke).
    pub(crate) never_retry: &'static [&'static str],
    /// One permit per call in flight, held until its response body is read or dropped (see
    /// [`Slot`]).
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) max_response_bytes: usize,
}

/// The body of a response was longer than the client accepts.
#[derive(Debug)]
pub(crate) struct ResponseTooLarge {
    pub(crate) limit: usize,
}

impl std::fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the response body is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for ResponseTooLarge {}

/// Sends `request` as `context` has it: adds its credentials, waits for a slot, retries what
/// may be retried, caps the body, and traces the call by vendor, operation, status, attempts
/// and duration.
///
/// Returns the call's [`Slot`] beside the response, for the caller to keep until it has read
/// the body (the generated operations do, see `codegen.rs`).
///
/// A plain function returning the traced future, not an `async fn`: an async function keeps
/// its arguments in its future for as long as it runs, so every layer that took the request
/// by value made each call's future 264 bytes larger, and the call's futures are copied into
/// one another as they start.
#[doc(hidden)]
pub fn execute(
    client: &reqwest::Client,
    context: &Context,
    mut request: reqwest::Request,
    info: &OperationInfo,
) -> impl Future<Output = (reqwest::Result<reqwest::Response>, Slot)> {
    context.prepare(&mut request);
    let policy = context.policy();
    let span = tracing::info_span!(
        "access_tokens",
        vendor = policy.vendor,
        operation = info.operation_id,
        method = %request.method(),
    );
    async move {
        let started = Instant::now();
        // The semaphore is never closed, so acquiring cannot fail. A free permit is taken
        // without the waiting future's bookkeeping (a quarter of the instructions `execute`
        // added to a call).
        let permit = match policy.in_flight.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => policy.in_flight.clone().acquire_owned().await.ok(),
        };
        let mut slot = Slot { _permit: permit };
        let repeatable = is_repeatable(request.method(), info.operation_id, policy);
        let mut attempt = 1;
        loop {
            // The block ends before the wait, so that neither the failed response (and its
            // connection) nor either copy of the request is kept through it, in memory or in
            // the future.
            let (spare, wait) = {
                let spare = (repeatable && attempt <= policy.retry.max_retries)
                    .then(|| request.try_clone())
                    .flatten();
                let result = client.execute(request).await;
                let wait = spare.as_ref().and_then(|_| retry_wait(&result, &policy.retry, attempt));
                let (Some(spare), Some(wait)) = (spare, wait) else {
                    let elapsed_ms = started.elapsed().as_millis();
                    tracing::debug!(attempts = attempt, outcome = %Outcome(&result), elapsed_ms, "done");
                    let result = result
                        .map(|response| capped(response, policy.max_response_bytes, &mut slot));
                    return (result, slot);
                };
                tracing::debug!(attempt, outcome = %Outcome(&result), wait_ms = wait.as_millis(), "retrying");
                (spare, wait)
            };
            request = spare;
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
    .instrument(span)
}

fn is_repeatable(method: &Method, operation: &str, policy: &Policy) -> bool {
    let idempotent = matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE);
    idempotent && !policy.never_retry.contains(&operation)
}

/// How long to wait before retrying, or `None` if the outcome is final.
fn retry_wait(
    result: &reqwest::Result<reqwest::Response>,
    policy: &RetryPolicy,
    attempt: u32,
) -> Option<Duration> {
    // Only for a retry: most calls succeed and need no random number.
    let jittered = || {
        let backoff = policy.backoff(attempt);
        backoff / 2 + backoff.mul_f64(crate::random::unit() / 2.0)
    };
    match result {
        // Refused or dropped connections; a timeout is final, so the caller's bound holds.
        Err(e) => (e.is_connect() || (e.is_request() && !e.is_timeout())).then(jittered),
        Ok(response) => {
            let retryable = matches!(
                response.status(),
                StatusCode::TOO_MANY_REQUESTS
                    | StatusCode::BAD_GATEWAY
                    | StatusCode::SERVICE_UNAVAILABLE
                    | StatusCode::GATEWAY_TIMEOUT
            );
            if !retryable {
                return None;
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            match retry_after {
                Some(wait) if wait > policy.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(jittered()),
            }
        }
    }
}

/// What a call came to, for traces: a status or the kind of failure, never a URL or body.
struct Outcome<'a>(&'a reqwest::Result<reqwest::Response>);

impl std::fmt::Display for Outcome<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Ok(response) => write!(f, "{}", response.status().as_u16()),
            Err(e) if e.is_timeout() => f.write_str("timeout"),
            Err(e) if e.is_connect() => f.write_str("connect error"),
            Err(_) => f.write_str("transport error"),
        }
    }
}

/// The response, with a body that fails with [`ResponseTooLarge`] past `limit` bytes instead
/// of growing without bound; that body takes over `slot`.
///
/// A body of known length within the limit is left as it is, and the slot with the caller: HTTP
/// already stops such a body at that length (the one its `Content-Length` declares, as hyper
/// read it), and rebuilding the response costs a few microseconds per call.
fn capped(response: reqwest::Response, limit: usize, slot: &mut Slot) -> reqwest::Response {
    let declared =
        response.content_length().map(|length| usize::try_from(length).unwrap_or(usize::MAX));
    if declared.is_some_and(|length| length <= limit) {
        return response;
    }
    let mut builder =
        http::Response::builder().status(response.status()).version(response.version());
    if let Some(headers) = builder.headers_mut() {
        headers.extend(response.headers().iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let body = CappedBody {
        inner: Box::pin(response.bytes_stream()),
        remaining: if declared.is_some_and(|length| length > limit) { None } else { Some(limit) },
        limit,
        _slot: std::mem::take(slot),
    };
    let rebuilt = builder.body(reqwest::Body::wrap_stream(body));
    rebuilt.map(reqwest::Response::from).expect("status, version and headers come from a response")
}

/// A call's place among those in flight, given up when this is dropped.
///
/// The generated operations keep it until they have read the body (its connection is then
/// free for the next call), and hand it to an unexpected response, for the facade to read.
/// It is not carried in every response's extensions: reqwest drops those as soon as a body
/// starts to be read, and putting it there cost a hash-map insert and three allocations a call.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Slot {
    /// `response`, holding this slot in its extensions until it is dropped.
    pub fn hold(self, mut response: reqwest::Response) -> reqwest::Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// Extensions must be `Clone`. A clone holds no permit: only the response it came with bounds
/// the calls in flight (sharing the permit in an `Arc` would cost an allocation a call).
impl Clone for Slot {
    fn clone(&self) -> Self {
        Slot { _permit: None }
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

struct CappedBody {
    inner: ByteStream,
    /// Bytes still allowed; `None` once the limit is passed.
    remaining: Option<usize>,
    limit: usize,
    _slot: Slot,
}

impl Stream for CappedBody {
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let limit = self.limit;
        let Some(remaining) = self.remaining else {
            return Poll::Ready(Some(Err(Box::new(ResponseTooLarge { limit }))));
        };
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) if chunk.len() > remaining => {
                self.remaining = None;
                Poll::Ready(Some(Err(Box::new(ResponseTooLarge { limit }))))
            }
            Poll::Ready(Some(Ok(chunk))) => {
                self.remaining = Some(remaining - chunk.len());
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
