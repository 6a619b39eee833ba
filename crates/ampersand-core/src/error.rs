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
    /// No connection could be made, or the server said it did not process the request (an
    /// HTTP/2 `GOAWAY` whose last stream id is below the request's, a `REFUSED_STREAM`
    /// reset); the request did not
    /// reach the application, so a retry is always safe.
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
    /// The TLS handshake failed (an unknown certificate authority, a certificate for another
    /// name, an expired certificate, no protocol in common); nothing was sent. Not retried:
    /// the same handshake would fail again.
    Tls,
    /// The egress proxy refused the tunnel (`407 Proxy Authentication Required`, a refused
    /// `CONNECT`); nothing was sent to the server. Not retried.
    Proxy,
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
            ErrorKind::Tls => "tls",
            ErrorKind::Proxy => "proxy",
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

    /// The server said it did not process the request (an HTTP/2 `GOAWAY` whose last stream
    /// id is below the request's stream, a `REFUSED_STREAM` reset): [`ErrorKind::Connect`],
    /// since the request never reached the application.
    #[cold]
    pub fn unprocessed(message: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        Error::new(ErrorKind::Connect)
            .message(message)
            .source(source)
    }

    /// The TLS handshake failed; `message` names the cause.
    #[cold]
    pub fn tls(message: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        Error::new(ErrorKind::Tls).message(message).source(source)
    }

    /// The egress proxy refused the tunnel; `message` says how (never with the proxy's
    /// credentials).
    #[cold]
    pub fn proxy(message: impl Into<Cow<'static, str>>, source: Option<BoxError>) -> Self {
        let error = Error::new(ErrorKind::Proxy).message(message);
        match source {
            Some(source) => error.source(source),
            None => error,
        }
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

/// Parses a `Retry-After` value (RFC 9110 section 10.2.3): delta-seconds, or an HTTP-date in
/// any of the three forms a recipient must accept (IMF-fixdate, the obsolete RFC 850 form and
/// asctime), read by the `httpdate` crate. The wait is measured from `now`; a date in the past
/// is no wait. Anything else is `None`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use ampersand_core::parse_retry_after;
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// for date in [
///     "Wed, 21 Oct 2015 07:28:30 GMT",  // IMF-fixdate
///     "Wednesday, 21-Oct-15 07:28:30 GMT", // RFC 850
///     "Wed Oct 21 07:28:30 2015",       // asctime
/// ] {
///     assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(30)), "{date}");
/// }
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(wait_until(at, now))
}

/// Parses the Proxy API's `X-Amp-Retry-After`: whatever [`parse_retry_after`] accepts, and
/// also an HTTP-date whose zone is written `UTC` instead of `GMT`
/// (`Thu, 06 Mar 2025 22:09:49 UTC`), the form that API sends. The two zones are the same
/// instant; RFC 9110 allows only `GMT`, so the plain `Retry-After` header does not take it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use ampersand_core::{parse_amp_retry_after, parse_retry_after};
/// let now = UNIX_EPOCH + Duration::from_secs(1_741_298_979); // Thu, 06 Mar 2025 22:09:39 GMT
/// let proxy = "Thu, 06 Mar 2025 22:09:49 UTC";
/// assert_eq!(parse_amp_retry_after(proxy, now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after(proxy, now), None);
/// ```
pub fn parse_amp_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(wait) = parse_retry_after(value, now) {
        return Some(wait);
    }
    // Only the zone differs from an HTTP-date: read it as one, with the zone RFC 9110 names.
    let date = value.strip_suffix(" UTC")?;
    let at = httpdate::parse_http_date(&format!("{date} GMT")).ok()?;
    Some(wait_until(at, now))
}

/// The time from `now` until `at`, zero when `at` has passed.
fn wait_until(at: SystemTime, now: SystemTime) -> Duration {
    at.duration_since(now).unwrap_or_default()
}

impl fmt::Display for Error {
    /// What a person needs to act: the operation, the status, the problem's title, detail and
    /// remedy, the request id and causes, the decode path, and the attempts made.
    ///
    /// This level only, as the Rust API guidelines ask: the underlying error (a connection's
    /// I/O error, a JSON syntax error) is [`source`](std::error::Error::source). The alternate
    /// form, `{:#}`, prints the whole chain after it, each cause once (as `anyhow` does):
    ///
    /// ```
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
    /// let error = ampersand_core::Error::connect(io);
    /// assert_eq!(error.to_string(), "could not connect");
    /// assert_eq!(format!("{error:#}"), "could not connect: connection refused");
    /// ```
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
            }
            _ => f.write_str(inner.message.as_deref().unwrap_or(inner.kind.as_str()))?,
        }
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(error) = cause {
                write!(f, ": {error}")?;
                cause = error.source();
            }
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

    /// An I/O error with a cause of its own, so that the chain has two levels below ours.
    fn cause() -> BoxError {
        let root = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "root cause");
        Box::new(std::io::Error::other(Wrapped(root)))
    }

    #[derive(Debug)]
    struct Wrapped(std::io::Error);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("middle cause")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn display_says_this_level_and_the_alternate_form_the_whole_chain_once() {
        let ok = StatusCode::OK;
        let every_kind_with_a_source = [
            Error::connect(cause()),
            Error::transport(cause()),
            Error::unprocessed("not processed", cause()),
            Error::tls("TLS failed", cause()),
            Error::proxy("the proxy refused", Some(cause())),
            Error::encode_with_source("could not encode", cause()),
            Error::auth_with_source("no token", cause()),
            Error::decode(ok, HeaderMap::new(), Bytes::new(), None, cause()),
            Error::from_boxed(cause()),
        ];
        for error in every_kind_with_a_source {
            let plain = error.to_string();
            let chain = format!("{error:#}");
            assert!(!plain.contains("cause"), "{:?}: {plain}", error.kind());
            assert_eq!(chain.matches("middle cause").count(), 1, "{chain}");
            assert_eq!(chain.matches("root cause").count(), 1, "{chain}");
            assert!(chain.starts_with(&plain), "{plain} / {chain}");
            assert!(std::error::Error::source(&error).is_some());
        }
        let without = [
            Error::timeout("slow"),
            Error::rate_limited("over the quota"),
            Error::auth("no key"),
            Error::config("bad URL"),
            Error::encode("bad"),
            Error::api(StatusCode::NOT_FOUND, HeaderMap::new(), Bytes::new()),
        ];
        for error in without {
            assert_eq!(
                error.to_string(),
                format!("{error:#}"),
                "{:?}",
                error.kind()
            );
        }
    }

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
    fn retry_after_accepts_every_form_rfc_9110_names() {
        // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example, is 784_111_777.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 - 10);
        let table: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("120", Some(120)),
            (" 7 ", Some(7)),
            ("18446744073709551615", Some(u64::MAX)),
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(10)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", Some(10)),
            ("Sun Nov  6 08:49:37 1994", Some(10)),
            // In the past: no wait.
            ("Sat, 05 Nov 1994 08:49:37 GMT", Some(0)),
            ("Saturday, 05-Nov-94 08:49:37 GMT", Some(0)),
            // Not HTTP-dates.
            ("Sun, 06 Nov 1994 08:49:37 UTC", None),
            ("Sun, 06 Nov 1994 08:49:37 +0000", None),
            ("Mon, 06 Nov 1994 08:49:37 GMT", None),
            ("1994-11-06T08:49:37Z", None),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, want) in table {
            let got = parse_retry_after(value, now);
            assert_eq!(got, want.map(Duration::from_secs), "{value:?}");
        }
    }

    #[test]
    fn amp_retry_after_also_takes_the_utc_zone() {
        // Thu, 06 Mar 2025 22:09:49 GMT is 1_741_298_989.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_741_298_989 - 30);
        let table: &[(&str, Option<u64>)] = &[
            ("Thu, 06 Mar 2025 22:09:49 UTC", Some(30)),
            ("  Thu, 06 Mar 2025 22:09:49 UTC  ", Some(30)),
            ("Thu, 06 Mar 2025 22:09:49 GMT", Some(30)),
            ("Thursday, 06-Mar-25 22:09:49 GMT", Some(30)),
            ("Thu Mar  6 22:09:49 2025", Some(30)),
            ("Thu, 06 Mar 2025 22:08:49 UTC", Some(0)),
            ("3", Some(3)),
            ("Fri, 06 Mar 2025 22:09:49 UTC", None),
            ("Thu, 06 Mar 2025 22:09:49 utc", None),
            ("Thu, 06 Mar 2025 22:09:49 UTC+1", None),
            ("Thu, 06 Mar 2025 22:09:49", None),
            ("Thursday, 06-Mar-25 22:09:49 UTC", Some(30)),
            ("UTC", None),
        ];
        for (value, want) in table {
            let got = parse_amp_retry_after(value, now);
            assert_eq!(got, want.map(Duration::from_secs), "{value:?}");
        }
    }

    #[test]
    fn from_boxed_keeps_sdk_errors() {
        let boxed: BoxError = Box::new(Error::timeout("late"));
        assert!(Error::from_boxed(boxed).is_timeout());
        let boxed: BoxError = "other".into();
        assert_eq!(Error::from_boxed(boxed).kind(), ErrorKind::Other);
    }
}
