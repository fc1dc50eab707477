//! When a failed call is repeated: the caller's [`RetryPolicy`], and the wait it gives for one
//! outcome of a call.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

/// When and how often a failed call is repeated.
///
/// Only calls that are safe to repeat are retried: reads, and updates and deletes that leave
/// the same state however often they run. Calls that create, rotate, log in or revoke are never
/// repeated, whatever this policy says, because a repeat could mint a second token or delete
/// the only copy of one: POSTs, and the operations a vendor's document marks `x-never-retry`
/// (Insight.io's GETs that create and revoke). A retry follows a connection failure, `429 Too Many Requests` or
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

/// How long to wait before retrying, or `None` if the outcome is final.
pub(crate) fn retry_wait(
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
