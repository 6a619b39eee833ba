//! What is retried: the classification table, a pure function of the error and whether the
//! call is idempotent.

use ampersand_core::{Error, ErrorKind};

/// Why a failure may be retried; it also sets the retry's price in the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryReason {
    /// The server's problem says `retryable: true`, or the Proxy API's `X-Amp-Retryable: true`.
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
/// not be. Whether the call is idempotent is
/// [`CallContext::is_idempotent`](ampersand_core::CallContext::is_idempotent).
///
/// | failure | idempotent call | other calls (a POST) |
/// |---|---|---|
/// | `X-Amp-Retryable: true` (Proxy API) | retry | retry |
/// | `X-Amp-Retryable: false` (Proxy API) | never | never |
/// | problem says `retryable: true` | retry | retry |
/// | problem says `retryable: false` | never | never |
/// | connection failed before sending | retry | retry (nothing was sent) |
/// | timeout (ours, or the server's 408), connection lost mid-call | retry | never (it may have reached the server) |
/// | 429, 502, 503, 504 | retry | never |
/// | 500, other 4xx, decode, auth, local rate limit, ... | never | never |
///
/// The [retry loop](super) then checks the attempt limit, computes the wait (backoff,
/// `Retry-After`, the deadline) and pays for the retry from the shared
/// [`RetryBudget`](super::RetryBudget).
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
    if let Some(retryable) = error
        .amp_retryable()
        .or_else(|| error.problem().and_then(|p| p.retryable))
    {
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
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

    fn proxy(status: u16, retryable: &'static str) -> Error {
        let mut headers = HeaderMap::new();
        headers.insert("x-amp-retryable", HeaderValue::from_static(retryable));
        Error::api(StatusCode::from_u16(status).unwrap(), headers, Bytes::new())
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
            (proxy(429, "true"), false, Some(ServerSaidRetryable)),
            (proxy(429, "true"), true, Some(ServerSaidRetryable)),
            (proxy(429, "false"), true, None),
            (proxy(503, "false"), true, None),
            (proxy(429, "maybe"), true, Some(Throttled)),
            (proxy(429, "maybe"), false, None),
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
}
