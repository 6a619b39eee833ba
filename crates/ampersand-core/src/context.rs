//! [`CallContext`]: what the layers need to know about one call, in one place.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderMap, Method, StatusCode};

use crate::operation::{AuthSchemes, Host, OperationMeta};
use crate::options::CallOptions;

/// The per-call facts the layers read and write, in a request's extensions.
///
/// A tower layer sees only an `http::Request`; to act per call (retry only what is safe to
/// send twice, pick the credential the operation accepts, name the span, stop at the call's
/// deadline) it needs facts the request line does not carry. The client that makes a request
/// puts them in one `CallContext` in the request's extensions, once, before the stack sees it:
///
/// | fact | set by | read by |
/// |---|---|---|
/// | operation id, path template, host | the client (from [`OperationMeta`], or per request) | trace, rate limit, errors |
/// | accepted auth schemes | the client | auth |
/// | whether a resend is safe ([`is_idempotent`](CallContext::is_idempotent)) | the client; [`CallOptions::idempotent`] overrides | retry |
/// | [`CallOptions`] (attempts, deadline, attempt timeout) | the caller | retry, timeout |
/// | deadline, attempt number | the retry layer (or the deadline layer) | timeout, rate limit, trace |
/// | rate-limit key ([`rate_limit_key`](CallContext::rate_limit_key)) | the proxy (installation, or integration + group) | rate limit |
/// | installation id | the proxy | trace (`ampersand.installation_id`) |
/// | which answers are errors ([`Answers`]) | the proxy ([`Answers::Proxied`]) | problem decoding, retry |
/// | response-size limit | the caller | transport |
///
/// Every value may be decided per request (a proxied call may take its idempotency from its method);
/// none needs to be `'static` but the operation id. A request that carries no context (a raw
/// request sent through the stack) reads as [`CallContext::new`]: no operation, any
/// credential, idempotent by its method, no options, no deadline, first attempt.
///
/// ```
/// use ampersand_core::{CallContext, CallOptions, Host, Operation};
/// # use ampersand_core::{AuthSchemes, Error, OperationMeta};
/// # use bytes::Bytes;
/// # struct Ping;
/// # impl Operation for Ping {
/// #     type Output = ();
/// #     const META: &'static OperationMeta = &OperationMeta {
/// #         operation_id: "ping", method: http::Method::GET, path_template: "/ping",
/// #         host: Host::Api, auth: AuthSchemes::NONE, idempotent: true,
/// #     };
/// #     fn encode(&self) -> Result<http::Request<Bytes>, Error> {
/// #         Ok(http::Request::get("/ping").body(Bytes::new()).unwrap())
/// #     }
/// #     fn decode(_: http::Response<Bytes>) -> Result<(), Error> { Ok(()) }
/// # }
///
/// // An operation's request carries its context...
/// let request = Ping.with_options(CallOptions::new().no_retry()).to_request().unwrap();
/// let context = CallContext::of(&request);
/// assert_eq!(context.operation_id(), Some("ping"));
/// assert_eq!(context.options().max_attempts_override(), Some(1));
/// assert_eq!(context.attempt(), 1);
///
/// // ...and a raw request reads as the defaults.
/// let raw = http::Request::post("https://example.com/").body(()).unwrap();
/// assert_eq!(CallContext::of(&raw).operation_id(), None);
/// assert!(!CallContext::of(&raw).is_idempotent(raw.method()));
///
/// // A request built by hand can describe itself.
/// let mut sent = http::Request::post("https://example.com/things").body(()).unwrap();
/// sent.extensions_mut().insert(
///     CallContext::new().with_operation_id("createThing").with_host(Host::Api).with_idempotent(true),
/// );
/// assert!(CallContext::of(&sent).is_idempotent(sent.method()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct CallContext {
    operation_id: Option<&'static str>,
    path_template: Option<Cow<'static, str>>,
    host: Option<Host>,
    auth: AuthSchemes,
    idempotent: Option<bool>,
    pub(crate) options: CallOptions,
    deadline: Option<Instant>,
    attempt: u32,
    rate_limit_key: Option<Arc<str>>,
    installation_id: Option<Arc<str>>,
    answers: Answers,
    max_response_body: Option<usize>,
}

/// Which non-2xx answers are errors: what the problem-decoding layer turns into
/// [`Error::api`](crate::Error::api), and what the retry layer may resend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Answers {
    /// Every non-2xx answer is an error (the platform API: the server is Ampersand).
    #[default]
    Api,
    /// A proxied call: the answer is the provider's, whatever its status (a 404 or a 422 is
    /// an answer the caller wants), except Ampersand's own refusals, which are errors. Ampersand
    /// answers for itself with an RFC 9457 problem (`Content-Type: application/problem+json`,
    /// as on the platform API) or, from the proxy's rate limiter, with an `X-Amp-Retryable`
    /// header; a provider's body passes through with the provider's content type.
    Proxied,
}

impl Answers {
    /// Whether an answer with this status and these headers is an error.
    ///
    /// ```
    /// use ampersand_core::Answers;
    /// use http::{HeaderMap, HeaderValue, StatusCode};
    ///
    /// let mut problem = HeaderMap::new();
    /// problem.insert("content-type", HeaderValue::from_static("application/problem+json"));
    /// let provider = HeaderMap::new();
    /// assert!(Answers::Api.is_error(StatusCode::NOT_FOUND, &provider));
    /// assert!(!Answers::Proxied.is_error(StatusCode::NOT_FOUND, &provider));
    /// assert!(Answers::Proxied.is_error(StatusCode::UNAUTHORIZED, &problem));
    /// assert!(!Answers::Proxied.is_error(StatusCode::OK, &problem));
    /// ```
    pub fn is_error(self, status: StatusCode, headers: &HeaderMap) -> bool {
        if status.is_success() {
            return false;
        }
        match self {
            Answers::Api => true,
            Answers::Proxied => is_ampersands_own(headers),
        }
    }
}

/// Whether a proxied answer is Ampersand's own: a problem document, or the proxy rate
/// limiter's `X-Amp-Retryable` header.
fn is_ampersands_own(headers: &HeaderMap) -> bool {
    let problem = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/problem+json"));
    problem || headers.contains_key("x-amp-retryable")
}

/// The context of a request that carries none.
static DEFAULT: CallContext = CallContext::new();

impl Default for CallContext {
    fn default() -> Self {
        CallContext::new()
    }
}

impl CallContext {
    /// The context of a raw request: no operation, any credential, idempotent by its method,
    /// no options, no deadline, first attempt.
    pub const fn new() -> Self {
        CallContext {
            operation_id: None,
            path_template: None,
            host: None,
            auth: AuthSchemes::API_KEY_OR_BEARER,
            idempotent: None,
            options: CallOptions::new(),
            deadline: None,
            attempt: 1,
            rate_limit_key: None,
            installation_id: None,
            answers: Answers::Api,
            max_response_body: None,
        }
    }

    /// The context of a call of the operation `meta` describes.
    pub fn for_operation(meta: &'static OperationMeta) -> Self {
        CallContext {
            operation_id: Some(meta.operation_id),
            path_template: Some(Cow::Borrowed(meta.path_template)),
            host: Some(meta.host),
            auth: meta.auth,
            idempotent: Some(meta.idempotent),
            ..CallContext::new()
        }
    }

    /// The context of `request`, or the defaults ([`CallContext::new`]) when it carries none.
    pub fn of<B>(request: &http::Request<B>) -> &CallContext {
        request
            .extensions()
            .get::<CallContext>()
            .unwrap_or(&DEFAULT)
    }

    /// The context of `request`, to fill in; the defaults are inserted when it carries none.
    pub fn of_mut<B>(request: &mut http::Request<B>) -> &mut CallContext {
        request
            .extensions_mut()
            .get_or_insert_with(CallContext::new)
    }

    /// With this operation id (the spec's `operationId`, or a name of the caller's).
    pub fn with_operation_id(mut self, operation_id: &'static str) -> Self {
        self.operation_id = Some(operation_id);
        self
    }

    /// With this path template (`/projects/{projectIdOrName}`), for span names.
    pub fn with_path_template(mut self, template: impl Into<Cow<'static, str>>) -> Self {
        self.path_template = Some(template.into());
        self
    }

    /// With the host that serves the call (the rate limiter's key).
    pub fn with_host(mut self, host: Host) -> Self {
        self.host = Some(host);
        self
    }

    /// With the credentials the call accepts.
    pub fn with_auth(mut self, auth: AuthSchemes) -> Self {
        self.auth = auth;
        self
    }

    /// Declares whether sending the request twice has the same effect as sending it once.
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// With per-call overrides of the client's settings.
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// With the key the rate limiter counts and cools this call down under, instead of its
    /// host: the proxy passes the installation (or the integration and group), so that one
    /// customer's 429 does not hold another's calls.
    pub fn with_rate_limit_key(mut self, key: impl Into<Arc<str>>) -> Self {
        self.rate_limit_key = Some(key.into());
        self
    }

    /// With the installation the call acts for (traced as `ampersand.installation_id`).
    pub fn with_installation_id(mut self, id: impl Into<Arc<str>>) -> Self {
        self.installation_id = Some(id.into());
        self
    }

    /// With which non-2xx answers are errors; [`Answers::Api`] by default.
    pub fn with_answers(mut self, answers: Answers) -> Self {
        self.answers = answers;
        self
    }

    /// With the largest response body this call accepts, in bytes, instead of the transport's.
    pub fn with_max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = Some(bytes);
        self
    }

    /// The rate-limit key, when the call has one of its own.
    pub fn rate_limit_key(&self) -> Option<&Arc<str>> {
        self.rate_limit_key.as_ref()
    }

    /// The installation the call acts for, when known.
    pub fn installation_id(&self) -> Option<&str> {
        self.installation_id.as_deref()
    }

    /// Which non-2xx answers are errors.
    pub fn answers(&self) -> Answers {
        self.answers
    }

    /// The call's own response-size limit, when it has one.
    pub fn max_response_body(&self) -> Option<usize> {
        self.max_response_body
    }

    /// The operation id, when the request is an operation's.
    pub fn operation_id(&self) -> Option<&'static str> {
        self.operation_id
    }

    /// The path template, when known.
    pub fn path_template(&self) -> Option<&str> {
        self.path_template.as_deref()
    }

    /// The host that serves the call, when known.
    pub fn host(&self) -> Option<Host> {
        self.host
    }

    /// The credentials the call accepts.
    pub fn auth(&self) -> AuthSchemes {
        self.auth
    }

    /// The per-call overrides.
    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    /// Whether the request may be sent twice: [`CallOptions::idempotent`] when set, else what
    /// the maker declared, else by `method` (GET, HEAD, OPTIONS, TRACE, PUT and DELETE are
    /// idempotent by HTTP's definition).
    pub fn is_idempotent(&self, method: &Method) -> bool {
        let by_method = matches!(
            *method,
            Method::GET
                | Method::HEAD
                | Method::OPTIONS
                | Method::TRACE
                | Method::PUT
                | Method::DELETE
        );
        self.options
            .idempotent_override()
            .or(self.idempotent)
            .unwrap_or(by_method)
    }

    /// The instant by which the whole call must be over, once the retry layer (or the
    /// deadline layer) has fixed it.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Which attempt of the call this request is: 1 for the first send, 2 for the first
    /// resend, and so on.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Fixes the instant by which the whole call must be over. The retry layer (or the
    /// deadline layer) does, when the call starts; the layers below it read it.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// Numbers the attempt this request is. The retry layer does, before each resend.
    pub fn set_attempt(&mut self, attempt: u32) {
        self.attempt = attempt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static CREATE: OperationMeta = OperationMeta {
        operation_id: "createThing",
        method: Method::POST,
        path_template: "/things",
        host: Host::Write,
        auth: AuthSchemes::BEARER,
        idempotent: false,
    };

    #[test]
    fn a_raw_request_reads_as_the_defaults() {
        let mut request = http::Request::get("/x").body(()).unwrap();
        let context = CallContext::of(&request);
        assert_eq!(context, &CallContext::new());
        assert_eq!(context.auth(), AuthSchemes::API_KEY_OR_BEARER);
        assert_eq!(context.attempt(), 1);
        assert!(request.extensions().is_empty());

        CallContext::of_mut(&mut request).set_attempt(2);
        assert_eq!(request.extensions().len(), 1);
        assert_eq!(CallContext::of(&request).attempt(), 2);
    }

    #[test]
    fn an_operation_s_context_copies_its_metadata() {
        let context = CallContext::for_operation(&CREATE);
        assert_eq!(context.operation_id(), Some("createThing"));
        assert_eq!(context.path_template(), Some("/things"));
        assert_eq!(context.host(), Some(Host::Write));
        assert_eq!(context.auth(), AuthSchemes::BEARER);
        assert!(!context.is_idempotent(&Method::POST));
    }

    #[test]
    fn idempotency_from_options_then_declaration_then_method() {
        // (declared, override, method, expected)
        let table = [
            (None, None, Method::GET, true),
            (None, None, Method::PUT, true),
            (None, None, Method::DELETE, true),
            (None, None, Method::POST, false),
            (None, None, Method::PATCH, false),
            (Some(false), None, Method::GET, false),
            (Some(true), None, Method::POST, true),
            (Some(false), Some(true), Method::POST, true),
            (Some(true), Some(false), Method::GET, false),
        ];
        for (declared, overridden, method, expected) in table {
            let mut context = CallContext::new();
            if let Some(declared) = declared {
                context = context.with_idempotent(declared);
            }
            if let Some(overridden) = overridden {
                context = context.with_options(CallOptions::new().idempotent(overridden));
            }
            assert_eq!(
                context.is_idempotent(&method),
                expected,
                "{declared:?} {overridden:?} {method}"
            );
        }
    }
}
