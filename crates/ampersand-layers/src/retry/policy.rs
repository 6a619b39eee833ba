//! What is retried, and the `tower::retry::Policy` that decides each retry.
//!
//! [`classify`] answers "may this failure be retried?" from the error alone and whether the
//! call is idempotent:
//!
//! | failure | idempotent call | other calls (a POST) |
//! |---|---|---|
//! | problem says `retryable: true` | retry | retry |
//! | problem says `retryable: false` | never | never |
//! | connection failed before sending | retry | retry (nothing was sent) |
//! | timeout (ours, or the server's 408), connection lost mid-call | retry | never (it may have reached the server) |
//! | 429, 502, 503, 504 | retry | never |
//! | 500, other 4xx, decode, auth, local rate limit, ... | never | never |
//!
//! [`RetryPolicy`] then checks the attempt limit, computes the wait (backoff, `Retry-After`,
//! the deadline) and pays for the retry from the shared [`RetryBudget`].

use std::sync::Arc;

use ampersand_core::{CallOptions, Error, ErrorKind, OperationMeta};
use bytes::Bytes;
use http::Method;
use tokio::time::{Instant, Sleep};

use super::RetryConfig;
use super::budget::RetryBudget;
use crate::attempt::AttemptNumber;
use crate::timeout::Deadline;

/// Why a failure may be retried; it also sets the retry's price in the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryReason {
    /// The server's problem says `retryable: true`.
    ServerSaidRetryable,
    /// No connection could be made: the request was not sent.
    NotSent,
    /// The attempt timed out, or the server answered 408 (idempotent calls only).
    Timeout,
    /// The connection failed after the request may have been sent (idempotent calls only).
    Transport,
    /// 429 Too Many Requests (idempotent calls only).
    Throttled,
    /// 502, 503 or 504 (idempotent calls only).
    Unavailable,
}

impl RetryReason {
    /// A short name for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            RetryReason::ServerSaidRetryable => "server_said_retryable",
            RetryReason::NotSent => "not_sent",
            RetryReason::Timeout => "timeout",
            RetryReason::Transport => "transport",
            RetryReason::Throttled => "throttled",
            RetryReason::Unavailable => "unavailable",
        }
    }
}

/// Whether `error` may be retried, for a call that is `idempotent` or not; `None` when it must
/// not be. See the [module docs](self) for the table.
///
/// ```
/// use ampersand_core::Error;
/// use ampersand_layers::retry::{RetryReason, classify};
/// use bytes::Bytes;
/// use http::{HeaderMap, StatusCode};
///
/// let unavailable = Error::api(StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new(), Bytes::new());
/// assert_eq!(classify(&unavailable, true), Some(RetryReason::Unavailable));
/// assert_eq!(classify(&unavailable, false), None); // a POST may have reached the server
/// ```
pub fn classify(error: &Error, idempotent: bool) -> Option<RetryReason> {
    if let Some(retryable) = error.problem().and_then(|p| p.retryable) {
        return retryable.then_some(RetryReason::ServerSaidRetryable);
    }
    match error.kind() {
        ErrorKind::Connect => Some(RetryReason::NotSent),
        ErrorKind::Timeout if idempotent => Some(RetryReason::Timeout),
        ErrorKind::Transport if idempotent => Some(RetryReason::Transport),
        ErrorKind::Api if idempotent => match error.status().map(|s| s.as_u16()) {
            Some(408) => Some(RetryReason::Timeout),
            Some(429) => Some(RetryReason::Throttled),
            Some(502..=504) => Some(RetryReason::Unavailable),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a request may be sent twice: [`CallOptions::idempotent`] when set, else the
/// operation's [`OperationMeta::idempotent`], else by method (GET, HEAD, OPTIONS, TRACE, PUT
/// and DELETE are idempotent by HTTP's definition).
pub fn is_idempotent<B>(request: &http::Request<B>) -> bool {
    if let Some(idempotent) = CallOptions::of(request).and_then(CallOptions::idempotent_override) {
        return idempotent;
    }
    if let Some(meta) = OperationMeta::of(request) {
        return meta.idempotent;
    }
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Our `tower::retry::Policy`: classification, attempt limit, backoff with `Retry-After`,
/// deadline and budget.
///
/// It keeps no per-call state: the deadline ([`Deadline`]) and the per-call overrides
/// ([`CallOptions`]) travel in the request's extensions. [`RetryLayer`](super::RetryLayer)
/// counts the attempts in its future and adds the deadline; under tower's own `Retry`, the
/// policy counts them in the copy's [`AttemptNumber`] extension instead.
///
/// ```
/// use ampersand_layers::retry::{RetryConfig, RetryPolicy};
/// use tower::retry::RetryLayer;
///
/// let layer = RetryLayer::new(RetryPolicy::new(RetryConfig::default()));
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    config: Arc<RetryConfig>,
    budget: Option<RetryBudget>,
}

impl RetryPolicy {
    /// A policy with its own budget (from the config's [`BudgetConfig`](super::BudgetConfig),
    /// if any).
    pub fn new(config: RetryConfig) -> Self {
        let budget = config.budget_config().map(RetryBudget::new);
        RetryPolicy {
            config: Arc::new(config),
            budget,
        }
    }

    /// A policy drawing from `budget`, shared with whoever else holds a clone of it.
    pub fn with_budget(config: RetryConfig, budget: RetryBudget) -> Self {
        RetryPolicy {
            config: Arc::new(config),
            budget: Some(budget),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RetryConfig {
        &self.config
    }

    /// The shared budget, if any.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// The wait before the next attempt, or `None` to stop and return `error`. `attempt` is
    /// the attempt that just failed (1 for the first).
    fn decide(
        &self,
        request: &http::Request<Bytes>,
        error: &Error,
        attempt: u32,
    ) -> Option<std::time::Duration> {
        let idempotent = is_idempotent(request);
        let Some(reason) = classify(error, idempotent) else {
            tracing::debug!(attempt, error.kind = error.kind().as_str(), "not retryable");
            return None;
        };
        let max_attempts = self.max_attempts(request);
        if attempt >= max_attempts {
            tracing::debug!(attempt, max_attempts, "no attempts left");
            return None;
        }
        let hint = error.retry_after((self.config.wall_clock_fn())());
        let now = Instant::now();
        let remaining = Deadline::of(request).map(|d| d.saturating_duration_since(now));
        let Some(wait) =
            self.config
                .backoff_ref()
                .next_wait(attempt, fastrand::f64(), hint, remaining)
        else {
            tracing::debug!(
                attempt,
                ?hint,
                ?remaining,
                "the wait would pass the deadline"
            );
            return None;
        };
        if let Some(budget) = &self.budget
            && !budget.try_withdraw(reason)
        {
            tracing::debug!(attempt, "the retry budget is spent");
            return None;
        }
        tracing::debug!(attempt, reason = reason.as_str(), ?wait, "retrying");
        Some(wait)
    }

    /// The attempts `request` may make: its
    /// [`CallOptions::max_attempts`](ampersand_core::CallOptions::max_attempts), else the
    /// config's.
    pub(crate) fn max_attempts(&self, request: &http::Request<Bytes>) -> u32 {
        CallOptions::of(request)
            .and_then(CallOptions::max_attempts_override)
            .unwrap_or(self.config.max_attempts_value())
    }

    /// After attempt number `attempt` of `request`'s call ended with `result`: the wait before
    /// the next attempt, or `None` when `result` is the call's result. A success is recorded
    /// in the budget; a final error learns how many attempts were made.
    #[cold]
    pub(crate) fn after_attempt(
        &self,
        request: &http::Request<Bytes>,
        result: &mut Result<http::Response<Bytes>, Error>,
        attempt: u32,
    ) -> Option<std::time::Duration> {
        let Err(error) = result else {
            self.finish(result, attempt);
            return None;
        };
        let wait = self.decide(request, error, attempt);
        if wait.is_none() {
            set_attempts(result, attempt);
        }
        wait
    }

    /// After the last attempt of a call (a success, or a failure with no attempt left):
    /// records a success in the budget, or how many attempts a final error took.
    pub(crate) fn finish(&self, result: &mut Result<http::Response<Bytes>, Error>, attempt: u32) {
        match result {
            Ok(_) => {
                if let Some(budget) = &self.budget {
                    budget.record_success(attempt);
                }
            }
            Err(_) => {
                tracing::debug!(attempt, "no attempts left");
                set_attempts(result, attempt);
            }
        }
    }
}

/// Records on a final error how many attempts its call made.
fn set_attempts(result: &mut Result<http::Response<Bytes>, Error>, attempts: u32) {
    let placeholder = Ok(http::Response::default());
    if let Err(error) = std::mem::replace(result, placeholder) {
        *result = Err(error.with_attempts(attempts));
    }
}

/// The same policy for tower's own [`Retry`](tower::retry::Retry): the attempt number
/// travels in the copy's extensions ([`AttemptNumber`]).
impl tower::retry::Policy<http::Request<Bytes>, http::Response<Bytes>, Error> for RetryPolicy {
    type Future = Sleep;

    fn retry(
        &mut self,
        request: &mut http::Request<Bytes>,
        result: &mut Result<http::Response<Bytes>, Error>,
    ) -> Option<Self::Future> {
        let attempt = AttemptNumber::of(request);
        let wait = self.after_attempt(request, result, attempt)?;
        request.extensions_mut().insert(AttemptNumber(attempt + 1));
        Some(tokio::time::sleep(wait))
    }

    fn clone_request(&mut self, request: &http::Request<Bytes>) -> Option<http::Request<Bytes>> {
        Some(request.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, StatusCode};

    fn api(status: u16) -> Error {
        Error::api(
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            Bytes::new(),
        )
    }

    fn problem(status: u16, retryable: bool) -> Error {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/problem+json"),
        );
        let body = format!(r#"{{"title":"t","status":{status},"retryable":{retryable}}}"#);
        Error::api(
            StatusCode::from_u16(status).unwrap(),
            headers,
            Bytes::from(body),
        )
    }

    #[test]
    fn classification_table() {
        use RetryReason::*;
        // (error, idempotent, expected)
        let table: Vec<(Error, bool, Option<RetryReason>)> = vec![
            (Error::connect("refused"), true, Some(NotSent)),
            (Error::connect("refused"), false, Some(NotSent)),
            (Error::timeout("slow"), true, Some(Timeout)),
            (Error::timeout("slow"), false, None),
            (Error::transport("reset"), true, Some(Transport)),
            (Error::transport("reset"), false, None),
            (api(429), true, Some(Throttled)),
            (api(429), false, None),
            (api(502), true, Some(Unavailable)),
            (api(503), true, Some(Unavailable)),
            (api(504), true, Some(Unavailable)),
            (api(503), false, None),
            (api(500), true, None),
            (api(500), false, None),
            (api(501), true, None),
            (api(400), true, None),
            (api(404), true, None),
            (api(408), true, Some(Timeout)),
            (api(408), false, None),
            (problem(500, true), false, Some(ServerSaidRetryable)),
            (problem(409, true), false, Some(ServerSaidRetryable)),
            (problem(503, false), true, None),
            (problem(429, false), true, None),
            (Error::rate_limited("local"), true, None),
            (Error::auth("no key"), true, None),
            (Error::encode("bad"), true, None),
            (Error::config("bad"), true, None),
        ];
        for (error, idempotent, want) in table {
            assert_eq!(
                classify(&error, idempotent),
                want,
                "{error:?} idempotent={idempotent}"
            );
        }
    }

    #[test]
    fn idempotency_from_options_then_meta_then_method() {
        static POST_META: OperationMeta = OperationMeta {
            operation_id: "createThing",
            method: Method::POST,
            path_template: "/things",
            host: ampersand_core::Host::Api,
            auth: ampersand_core::AuthSchemes::NONE,
            idempotent: false,
        };
        let get = http::Request::get("/x").body(()).unwrap();
        assert!(is_idempotent(&get));
        let post = http::Request::post("/x").body(()).unwrap();
        assert!(!is_idempotent(&post));

        // Metadata wins over the method.
        let mut get_with_meta = http::Request::get("/x").body(()).unwrap();
        get_with_meta.extensions_mut().insert(&POST_META);
        assert!(!is_idempotent(&get_with_meta));

        // Options win over the metadata.
        let mut post_declared = http::Request::post("/x").body(()).unwrap();
        post_declared.extensions_mut().insert(&POST_META);
        post_declared
            .extensions_mut()
            .insert(CallOptions::new().idempotent(true));
        assert!(is_idempotent(&post_declared));
    }
}
