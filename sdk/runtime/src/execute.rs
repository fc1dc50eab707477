//! How every generated call is executed: a bound on calls in flight, retries of what is safe
//! to repeat, a cap on response sizes, and a tracing span that names no secret. The response
//! is then handed to the response mapper (`response.rs`), and the call's result is the SDK's
//! own [`Error`] or the decoded body.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::FutureExt as _;
use futures_util::future::{Either, ready};
use serde::de::DeserializeOwned;
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

use crate::context::Context;
use crate::error::{Error, InvalidReason, ResponseTooLarge};
use crate::response;
use crate::retry::retry_wait;
use crate::secret::Secret;

/// An operation of a vendor's document, as its generated method names it.
#[derive(Debug, Clone, Copy)]
#[doc(hidden)]
pub struct Operation {
    /// The document's `operationId`, which errors and traces name.
    pub id: &'static str,
    /// Whether the call may be repeated after a failure: `codegen.rs` says so for GET, HEAD,
    /// PUT and DELETE unless the document marks the operation `x-never-retry` (with the
    /// reason), and never for other methods.
    pub repeatable: bool,
}

/// A request as the generated code built it, or progenitor's reason why it could not (a value
/// that cannot go into a header, a body that cannot be encoded, a URL that does not parse).
#[doc(hidden)]
pub type Built = Result<reqwest::Request, progenitor_client::Error<()>>;

/// Executes an operation whose success is a JSON body: the body decoded as `T`, or the error.
///
/// Any 2xx is decoded, not only the documented one, so that a token the server created is
/// not lost to a status-code detail; a body that does not decode is kept in the error.
#[doc(hidden)]
pub fn json<'a, T: DeserializeOwned>(
    client: &'a reqwest::Client,
    context: &'a Context,
    request: Built,
    operation: &'static Operation,
) -> impl Future<Output = Result<T, Error>> {
    call(client, context, request, operation, response::json)
}

/// Executes an operation whose documented success has no body: any 2xx will do.
#[doc(hidden)]
pub fn empty<'a>(
    client: &'a reqwest::Client,
    context: &'a Context,
    request: Built,
    operation: &'static Operation,
) -> impl Future<Output = Result<(), Error>> {
    call(client, context, request, operation, response::empty)
}

/// Sends the request and hands the response to `map`, keeping the call's place in flight until
/// `map` has read the body.
///
/// Built from combinators rather than as an `async` block: an async block keeps what it
/// captures for as long as it runs, so the unstarted sending future, and then the response,
/// would each be held twice, and every call's future is copied into its caller's as it starts.
fn call<'a, T, Mapped>(
    client: &'a reqwest::Client,
    context: &'a Context,
    request: Built,
    operation: &'static Operation,
    map: impl FnOnce(&'static str, reqwest::Response, &'a [Secret]) -> Mapped,
) -> impl Future<Output = Result<T, Error>>
where
    Mapped: Future<Output = Result<T, Error>>,
{
    let request = match request {
        Ok(request) if request.url().as_str().len() > MAX_URL_BYTES => {
            Err(Error::invalid("request URL", InvalidReason::TooLong))
        }
        Ok(request) => Ok(request),
        Err(_) => Err(not_sent()),
    };
    let request = match request {
        Ok(request) => request,
        Err(error) => return Either::Left(ready(Err(error))),
    };
    let sent = send(client, context, request, operation).then(move |(sent, slot)| match sent {
        Ok(response) => {
            Either::Left(map(operation.id, response, context.secrets()).map(move |mapped| {
                drop(slot);
                mapped
            }))
        }
        // reqwest found the request unsendable before sending it (a URL it cannot convert).
        Err(source) if source.is_builder() => Either::Right(ready(Err(not_sent()))),
        Err(source) => Either::Right(ready(Err(Error::transport(operation.id, source)))),
    });
    Either::Right(sent)
}

/// The longest URL HTTP requests can carry here: the `http` crate's limit on a URI, which
/// reqwest converts each URL into as it sends.
const MAX_URL_BYTES: usize = u16::MAX as usize - 1;

/// A request the generated code could not build, or reqwest could not send; nothing was sent.
/// progenitor's and reqwest's messages are dropped because they may quote the value.
fn not_sent() -> Error {
    Error::invalid("request", InvalidReason::NotEncodable)
}

/// Sends `request` as `context` has it: adds its credentials, waits for a slot, retries what
/// may be retried, caps the body, and traces the call by vendor, operation, status, attempts
/// and duration. Returns the call's [`Slot`] beside the response, for the caller to keep until
/// it has read the body.
fn send(
    client: &reqwest::Client,
    context: &Context,
    mut request: reqwest::Request,
    operation: &'static Operation,
) -> impl Future<Output = (reqwest::Result<reqwest::Response>, Slot)> {
    context.prepare(&mut request);
    let policy = context.policy();
    let span = tracing::info_span!(
        "access_tokens",
        vendor = policy.vendor,
        operation = operation.id,
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
        let mut attempt = 1;
        loop {
            // The block ends before the wait, so that neither the failed response (and its
            // connection) nor either copy of the request is kept through it, in memory or in
            // the future.
            let (spare, wait) = {
                let spare = (operation.repeatable && attempt <= policy.retry.max_retries())
                    .then(|| request.try_clone())
                    .flatten();
                let result = client.execute(request).await;
                let wait = spare.as_ref().and_then(|_| retry_wait(&result, &policy.retry, attempt));
                let (Some(spare), Some(wait)) = (spare, wait) else {
                    let elapsed_ms = started.elapsed().as_millis();
                    tracing::debug!(attempts = attempt, outcome = %Outcome(&result), elapsed_ms, "done");
                    let result = result.map(|response| {
                        policy.clock.observe(response.headers());
                        capped(response, policy.max_response_bytes, &mut slot)
                    });
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

/// A call's place among those in flight, given up when this is dropped: once the response
/// mapper has read the body (its connection is then free for the next call), or by the body
/// stream [`capped`] made, which takes it over.
#[derive(Debug, Default)]
struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
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
