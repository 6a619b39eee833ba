//! The one error type of the SDK.
//!
//! [`Error`] is opaque: match on [`Error::kind`], ask predicates (`is_not_found`,
//! `is_timeout`, ...) and read accessors (`status`, `headers`, `body`, `problem`). An API error
//! never loses the HTTP status, headers or raw body, whatever the body was: a proxy's HTML 502
//! is still status 502 with its page kept, and its problem built from the text.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::problem::{ApiProblem, InputValidationIssue, InputValidationProblem};

/// A boxed error from a layer or transport.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with a non-2xx status; see [`Error::problem`].
    Api,
    /// A 2xx response body did not match the expected type.
    Decode,
    /// The request could not be built (bad path parameter, unserialisable body).
    Encode,
    /// No connection could be made; the request was not sent, so a retry is always safe.
    Connect,
    /// The connection failed after the request may have reached the server.
    Transport,
    /// An attempt or the overall deadline elapsed.
    Timeout,
    /// The response body exceeded the configured size limit.
    BodyTooLarge,
    /// The client-side rate limiter refused the call (fail-fast mode).
    RateLimited,
    /// The client has no credential for the operation's auth schemes, or the token provider
    /// failed; nothing was sent.
    Auth,
    /// The client configuration is invalid.
    Config,
    /// A failure from a user-supplied layer or service.
    Other,
}

impl ErrorKind {
    /// A short, stable, low-cardinality name (`api`, `timeout`, ...), for `error.type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Api => "api",
            ErrorKind::Decode => "decode",
            ErrorKind::Encode => "encode",
            ErrorKind::Connect => "connect",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Auth => "auth",
            ErrorKind::Config => "config",
            ErrorKind::Other => "other",
        }
    }
}

/// An error from the Ampersand SDK.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: Option<Cow<'static, str>>,
    operation_id: Option<&'static str>,
    status: Option<StatusCode>,
    headers: Option<HeaderMap>,
    body: Option<Bytes>,
    problem: Option<InputValidationProblem>,
    decode_path: Option<String>,
    attempts: u32,
    source: Option<BoxError>,
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: None,
                operation_id: None,
                status: None,
                headers: None,
                body: None,
                problem: None,
                decode_path: None,
                attempts: 0,
                source: None,
            }),
        }
    }

    fn message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.inner.message = Some(message.into());
        self
    }

    fn source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// An API error for a non-2xx response; its problem is decoded from the body.
    #[cold]
    pub fn api(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        let problem = InputValidationProblem::from_response(status, &headers, &body);
        let mut error = Error::new(ErrorKind::Api);
        error.inner.status = Some(status);
        error.inner.headers = Some(headers);
        error.inner.body = Some(body);
        error.inner.problem = Some(problem);
        error
    }

    /// An API error built from a response.
    #[cold]
    pub fn from_response(response: http::Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        Error::api(parts.status, parts.headers, body)
    }

    /// A 2xx body that did not decode; `path` is the JSON path of the failing field.
    #[cold]
    pub fn decode(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        path: Option<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        let mut error = Error::new(ErrorKind::Decode).source(source);
        error.inner.status = Some(status);
        error.inner.headers = Some(headers);
        error.inner.body = Some(body);
        error.inner.decode_path = path.filter(|p| !p.is_empty() && p != ".");
        error
    }

    /// The request could not be built.
    #[cold]
    pub fn encode(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Encode).message(message)
    }

    /// The request could not be built, because of `source`.
    #[cold]
    pub fn encode_with_source(
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::new(ErrorKind::Encode)
            .message(message)
            .source(source)
    }

    /// No connection could be made; the request was not sent.
    #[cold]
    pub fn connect(source: impl Into<BoxError>) -> Self {
        Error::new(ErrorKind::Connect)
            .message("could not connect")
            .source(source)
    }

    /// The connection failed after the request may have been sent.
    #[cold]
    pub fn transport(source: impl Into<BoxError>) -> Self {
        Error::new(ErrorKind::Transport)
            .message("the connection failed")
            .source(source)
    }

    /// An attempt or deadline elapsed.
    #[cold]
    pub fn timeout(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Timeout).message(message)
    }

    /// The response body exceeded `limit` bytes; `status` and `headers` are those of the
    /// response whose body was cut.
    #[cold]
    pub fn body_too_large(limit: usize, status: StatusCode, headers: HeaderMap) -> Self {
        let mut error = Error::new(ErrorKind::BodyTooLarge).message(format!(
            "the response body exceeds the limit of {limit} bytes"
        ));
        error.inner.status = Some(status);
        error.inner.headers = Some(headers);
        error
    }

    /// The local rate limiter refused the call.
    #[cold]
    pub fn rate_limited(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::RateLimited).message(message)
    }

    /// An authentication failure before anything was sent.
    #[cold]
    pub fn auth(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Auth).message(message)
    }

    /// An authentication failure caused by `source` (a token provider's error).
    #[cold]
    pub fn auth_with_source(
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::new(ErrorKind::Auth).message(message).source(source)
    }

    /// An invalid configuration.
    #[cold]
    pub fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Config).message(message)
    }

    /// Any error from a layer or service: an [`Error`] inside is returned as it is; anything
    /// else becomes [`ErrorKind::Other`] with it as the source.
    #[cold]
    pub fn from_boxed(error: BoxError) -> Self {
        match error.downcast::<Error>() {
            Ok(error) => *error,
            Err(other) => Error::new(ErrorKind::Other).source(other),
        }
    }

    /// Records the operation that failed, by its operation id.
    #[cold]
    pub fn with_operation(mut self, operation_id: &'static str) -> Self {
        self.inner.operation_id = Some(operation_id);
        self
    }

    /// Records how many attempts were made.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// What went wrong, broadly.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operationId of the failed call, when known.
    pub fn operation_id(&self) -> Option<&'static str> {
        self.inner.operation_id
    }

    /// The HTTP status of the response, when one was received.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The response headers, when a response was received.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// The raw response body, when one was received.
    pub fn body(&self) -> Option<&Bytes> {
        self.inner.body.as_ref()
    }

    /// The response body as text (lossy UTF-8).
    pub fn body_text(&self) -> Option<Cow<'_, str>> {
        self.inner.body.as_deref().map(String::from_utf8_lossy)
    }

    /// The decoded problem of an API error.
    pub fn problem(&self) -> Option<&ApiProblem> {
        self.inner.problem.as_ref().map(|p| &p.problem)
    }

    /// The decoded problem with its input-validation issues.
    pub fn input_validation_problem(&self) -> Option<&InputValidationProblem> {
        self.inner.problem.as_ref()
    }

    /// The input-validation issues of an API error (empty otherwise).
    pub fn issues(&self) -> &[InputValidationIssue] {
        self.inner
            .problem
            .as_ref()
            .map(|p| p.issues.as_slice())
            .unwrap_or(&[])
    }

    /// The JSON path of the field that failed to decode (`projects[0].createTime`).
    pub fn decode_path(&self) -> Option<&str> {
        self.inner.decode_path.as_deref()
    }

    /// How many attempts were made (0 when the error arose before any attempt).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The request id, from the problem or else the `x-request-id` / `x-amp-request-id`
    /// response header.
    pub fn request_id(&self) -> Option<&str> {
        if let Some(id) = self.problem().and_then(|p| p.request_id.as_deref()) {
            return Some(id);
        }
        let headers = self.inner.headers.as_ref()?;
        ["x-request-id", "x-amp-request-id", "request-id"]
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok())
    }

    /// How long the server asked to wait before a retry: the largest of the `Retry-After`
    /// header (delta-seconds or HTTP-date), the problem's `retryAfter` and the Proxy API's
    /// `X-Amp-Retry-After` header, measured from `now`.
    pub fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        let header = self
            .inner
            .headers
            .as_ref()
            .and_then(|h| h.get(http::header::RETRY_AFTER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        let problem = self
            .problem()
            .and_then(|p| p.retry_after)
            .map(|at| SystemTime::from(at).duration_since(now).unwrap_or_default());
        let proxy = self
            .inner
            .headers
            .as_ref()
            .and_then(|h| h.get("x-amp-retry-after"))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_amp_retry_after(v, now));
        [header, problem, proxy].into_iter().flatten().max()
    }

    /// The status is 400.
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(StatusCode::BAD_REQUEST)
    }

    /// The status is 401.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// The status is 403.
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// The status is 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The status is 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// The status is 422, or the problem lists input issues.
    pub fn is_invalid_input(&self) -> bool {
        self.status() == Some(StatusCode::UNPROCESSABLE_ENTITY) || !self.issues().is_empty()
    }

    /// The server (429) or the local limiter throttled the call.
    pub fn is_rate_limited(&self) -> bool {
        self.inner.kind == ErrorKind::RateLimited
            || self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// The status is 5xx.
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// An attempt or the deadline elapsed.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// No connection could be made (the request was not sent).
    pub fn is_connect(&self) -> bool {
        self.inner.kind == ErrorKind::Connect
    }

    /// A 2xx body did not decode.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == ErrorKind::Decode
    }

    /// The response body exceeded the size limit.
    pub fn is_body_too_large(&self) -> bool {
        self.inner.kind == ErrorKind::BodyTooLarge
    }

    /// What the Proxy API's `X-Amp-Retryable` header says (`true` or `false`), when the answer
    /// carries it: whether Ampersand allows this request to be sent again.
    pub fn amp_retryable(&self) -> Option<bool> {
        let value = self.inner.headers.as_ref()?.get("x-amp-retryable")?;
        match value.to_str().ok()?.trim() {
            v if v.eq_ignore_ascii_case("true") => Some(true),
            v if v.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// Whether trying the same call again may succeed, judged from this error alone: the
    /// problem's `retryable` when the server said; else connection failures, timeouts and the
    /// statuses 408, 429, 502, 503, 504. The retry layer adds idempotency and budgets.
    pub fn is_retryable(&self) -> bool {
        if let Some(retryable) = self.amp_retryable() {
            return retryable;
        }
        if let Some(retryable) = self.problem().and_then(|p| p.retryable) {
            return retryable;
        }
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Api => matches!(
                self.status().map(|s| s.as_u16()),
                Some(408 | 429 | 502 | 503 | 504)
            ),
            _ => false,
        }
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP-date, relative to `now`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
/// assert_eq!(ampersand_core::parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     ampersand_core::parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
///     Some(Duration::from_secs(30)),
/// );
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(at.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or_default())
}

/// Parses the Proxy API's `X-Amp-Retry-After`: a `Retry-After` value, except that its dates
/// end in `UTC` (`Thu, 06 Mar 2025 22:09:49 UTC`) where RFC 9110 writes `GMT`. The suffix is
/// normalised and the rest is [`parse_retry_after`]'s.
fn parse_amp_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    match value.strip_suffix("UTC") {
        Some(date) => parse_retry_after(&format!("{date}GMT"), now),
        None => parse_retry_after(value, now),
    }
}

impl fmt::Display for Error {
    /// What a person needs to act: the operation, the status, the problem's title, detail and
    /// remedy, the request id and causes, the decode path, and the attempts made.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(op) = inner.operation_id {
            write!(f, "{op}: ")?;
        }
        match inner.kind {
            ErrorKind::Api => {
                let status = inner.status.map(|s| s.as_u16()).unwrap_or_default();
                write!(f, "HTTP {status}")?;
                if let Some(problem) = &inner.problem {
                    if let Some(title) = &problem.title {
                        write!(f, " {title}")?;
                    }
                    if let Some(detail) = &problem.detail {
                        let short: String = detail.chars().take(300).collect();
                        write!(f, ": {short}")?;
                    }
                    if let Some(remedy) = &problem.remedy {
                        write!(f, " (remedy: {remedy})")?;
                    }
                    if !problem.causes.is_empty() {
                        write!(f, " (causes: {})", problem.causes.join("; "))?;
                    }
                    for issue in problem.issues.iter().take(5) {
                        let name = issue.name.as_deref().unwrap_or("?");
                        let what = issue
                            .detail
                            .as_deref()
                            .or(issue.title.as_deref())
                            .unwrap_or("invalid");
                        write!(f, " [{name}: {what}]")?;
                    }
                }
                if let Some(id) = self.request_id() {
                    write!(f, " (request id {id})")?;
                }
            }
            ErrorKind::Decode => {
                write!(f, "could not decode the response body")?;
                if let Some(path) = &inner.decode_path {
                    write!(f, " at `{path}`")?;
                }
                if let Some(source) = &inner.source {
                    write!(f, ": {source}")?;
                }
            }
            _ => {
                f.write_str(inner.message.as_deref().unwrap_or(inner.kind.as_str()))?;
                if let Some(source) = &inner.source {
                    write!(f, ": {source}")?;
                }
            }
        }
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind);
        if let Some(op) = inner.operation_id {
            d.field("operation_id", &op);
        }
        if let Some(message) = &inner.message {
            d.field("message", message);
        }
        if let Some(status) = inner.status {
            d.field("status", &status);
        }
        if let Some(problem) = &inner.problem {
            d.field("problem", problem);
        }
        if let Some(path) = &inner.decode_path {
            d.field("decode_path", path);
        }
        if let Some(body) = &inner.body {
            d.field("body_len", &body.len());
        }
        if inner.attempts > 0 {
            d.field("attempts", &inner.attempts);
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn proxy_retry_after_reads_the_utc_date_and_the_retryable_header() {
        // Thu, 06 Mar 2025 22:09:19 UTC
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_741_298_959);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amp-retry-after",
            HeaderValue::from_static("Thu, 06 Mar 2025 22:09:49 UTC"),
        );
        headers.insert("x-amp-retryable", HeaderValue::from_static("false"));
        let error = Error::api(StatusCode::TOO_MANY_REQUESTS, headers, Bytes::new());
        assert_eq!(error.retry_after(now), Some(Duration::from_secs(30)));
        assert_eq!(error.amp_retryable(), Some(false));
        assert!(!error.is_retryable());

        let mut headers = HeaderMap::new();
        headers.insert("x-amp-retry-after", HeaderValue::from_static("7"));
        headers.insert("retry-after", HeaderValue::from_static("2"));
        let error = Error::api(StatusCode::TOO_MANY_REQUESTS, headers, Bytes::new());
        assert_eq!(error.retry_after(now), Some(Duration::from_secs(7)));
        assert_eq!(error.amp_retryable(), None);
    }

    #[test]
    fn html_502_keeps_status_and_body() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/html"));
        headers.insert("x-request-id", HeaderValue::from_static("rid-1"));
        let error = Error::api(
            StatusCode::BAD_GATEWAY,
            headers,
            Bytes::from_static(b"<h1>Bad gateway</h1>"),
        );
        assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
        assert_eq!(error.body_text().unwrap(), "<h1>Bad gateway</h1>");
        assert_eq!(error.request_id(), Some("rid-1"));
        assert!(error.is_retryable());
        let text = error.to_string();
        assert!(text.contains("HTTP 502 Bad Gateway"), "{text}");
    }

    #[test]
    fn display_shows_what_to_act_on() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/problem+json"),
        );
        let body = br#"{"title":"Conflict","detail":"name taken","remedy":"pick another",
            "requestId":"abc","causes":["dup"],"retryable":false}"#;
        let error =
            Error::api(StatusCode::CONFLICT, headers, Bytes::from_static(body)).with_attempts(3);
        let text = error.to_string();
        for needle in [
            "HTTP 409",
            "Conflict",
            "name taken",
            "pick another",
            "abc",
            "dup",
            "3 attempts",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        assert!(error.is_conflict());
        assert!(!error.is_retryable());
    }

    #[test]
    fn retry_after_takes_the_largest_hint() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/problem+json"),
        );
        let body = r#"{"title":"Too Many Requests","retryAfter":"2023-11-14T22:13:30Z"}"#;
        let error = Error::api(StatusCode::TOO_MANY_REQUESTS, headers, Bytes::from(body));
        // 2023-11-14T22:13:30Z is 1_700_000_010.
        assert_eq!(error.retry_after(now), Some(Duration::from_secs(10)));
    }

    #[test]
    fn from_boxed_keeps_sdk_errors() {
        let boxed: BoxError = Box::new(Error::timeout("late"));
        assert!(Error::from_boxed(boxed).is_timeout());
        let boxed: BoxError = "other".into();
        assert_eq!(Error::from_boxed(boxed).kind(), ErrorKind::Other);
    }
}
