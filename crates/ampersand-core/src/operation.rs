//! The operation model: what every Ampersand API call is, independent of how it is sent.
//!
//! An [`Operation`] is a typed request. It knows its static [`OperationMeta`] (operationId,
//! method, path template, host, accepted auth schemes, idempotency), how to encode itself into an
//! `http::Request<Bytes>` and how to decode its output from an `http::Response<Bytes>`. It does
//! no IO: a client (the `ampersand` crate, or anything else) sends the request.
//!
//! [`Operation::to_request`] puts the metadata in the request's [`CallContext`], so that generic
//! tower layers (retry, auth, tracing, rate limiting) can act per operation without being
//! generic over the operation type.

use bytes::Bytes;
use http::Method;

use crate::{CallContext, CallOptions, Error};

/// A typed Ampersand API operation.
///
/// Implementations are generated from the OpenAPI spec by `cargo xtask codegen`; the trait is
/// public so that users can describe endpoints the generator does not know yet.
///
/// # Example
///
/// ```
/// use ampersand_core::{AuthSchemes, Error, Host, Operation, OperationMeta, encode, decode};
/// use bytes::Bytes;
///
/// struct Ping;
///
/// impl Operation for Ping {
///     type Output = serde_json::Value;
///     const META: &'static OperationMeta = &OperationMeta {
///         operation_id: "ping",
///         method: http::Method::GET,
///         path_template: "/ping",
///         host: Host::Api,
///         auth: AuthSchemes::NONE,
///         idempotent: true,
///     };
///     fn encode(&self) -> Result<http::Request<Bytes>, Error> {
///         encode::RequestBuilder::new(Self::META).path("/ping").accept_json().build()
///     }
///     fn decode(response: http::Response<Bytes>) -> Result<Self::Output, Error> {
///         decode::json(response)
///     }
/// }
///
/// let request = Ping.to_request().unwrap();
/// assert_eq!(request.uri(), "/ping");
/// assert_eq!(ampersand_core::CallContext::of(&request).operation_id(), Some("ping"));
/// ```
pub trait Operation {
    /// What a successful call returns.
    type Output;

    /// The operation's static description.
    const META: &'static OperationMeta;

    /// Encodes the operation into a request whose URI is the path and query only
    /// (`/projects/my-project?includeEntitlements=true`); the client joins it to the base URL of
    /// [`OperationMeta::host`].
    fn encode(&self) -> Result<http::Request<Bytes>, Error>;

    /// Decodes the output from a successful (2xx) response.
    fn decode(response: http::Response<Bytes>) -> Result<Self::Output, Error>;

    /// Encodes the operation and puts its [`CallContext`] (made from [`Self::META`]) in the
    /// request's extensions.
    ///
    /// This is what a client sends; prefer it over [`Operation::encode`].
    fn to_request(&self) -> Result<http::Request<Bytes>, Error> {
        let mut request = self.encode()?;
        request
            .extensions_mut()
            .insert(CallContext::for_operation(Self::META));
        Ok(request)
    }

    /// Wraps the operation with per-call options (retry override, deadline).
    ///
    /// ```
    /// # use ampersand_core::{CallOptions, Operation};
    /// # fn demo<O: Operation>(op: O) {
    /// let op = op.with_options(CallOptions::new().max_attempts(1));
    /// # }
    /// ```
    fn with_options(self, options: CallOptions) -> WithOptions<Self>
    where
        Self: Sized,
    {
        WithOptions {
            operation: self,
            options,
        }
    }
}

/// Which Ampersand host serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Host {
    /// The platform API, `https://api.withampersand.com/v1`.
    Api,
    /// The read API, `https://read.withampersand.com/v1`.
    Read,
    /// The write API, `https://write.withampersand.com/v1`.
    Write,
    /// The search API, `https://search.withampersand.com/v1`.
    Search,
    /// The Proxy API, `https://proxy.withampersand.com`: a provider's own API, called through
    /// Ampersand with a customer's installed connection (no `/v1`: the path is the provider's).
    Proxy,
}

impl Host {
    /// Every host, in declaration order.
    pub const ALL: [Host; 5] = [
        Host::Api,
        Host::Read,
        Host::Write,
        Host::Search,
        Host::Proxy,
    ];

    /// The production base URL of this host.
    pub const fn default_base_url(self) -> &'static str {
        match self {
            Host::Api => "https://api.withampersand.com/v1",
            Host::Read => "https://read.withampersand.com/v1",
            Host::Write => "https://write.withampersand.com/v1",
            Host::Search => "https://search.withampersand.com/v1",
            Host::Proxy => "https://proxy.withampersand.com",
        }
    }

    /// A short lowercase name (`api`, `read`, `write`, `search`, `proxy`), for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Host::Api => "api",
            Host::Read => "read",
            Host::Write => "write",
            Host::Search => "search",
            Host::Proxy => "proxy",
        }
    }

    /// The index of this host in [`Host::ALL`], for per-host tables.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of authentication schemes an operation accepts.
///
/// From the spec's `security`: the platform default accepts an API key or a Bearer JWT;
/// `security: [Bearer]` operations accept only a Bearer JWT; `security: []` needs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthSchemes {
    /// The `X-Api-Key` header is accepted.
    pub api_key: bool,
    /// An `Authorization: Bearer <jwt>` header is accepted.
    pub bearer: bool,
}

impl AuthSchemes {
    /// No credential is sent (`security: []`).
    pub const NONE: AuthSchemes = AuthSchemes {
        api_key: false,
        bearer: false,
    };
    /// Only an API key.
    pub const API_KEY: AuthSchemes = AuthSchemes {
        api_key: true,
        bearer: false,
    };
    /// Only a Bearer JWT.
    pub const BEARER: AuthSchemes = AuthSchemes {
        api_key: false,
        bearer: true,
    };
    /// Either an API key or a Bearer JWT.
    pub const API_KEY_OR_BEARER: AuthSchemes = AuthSchemes {
        api_key: true,
        bearer: true,
    };

    /// True when the operation needs no credential.
    pub const fn is_anonymous(self) -> bool {
        !self.api_key && !self.bearer
    }
}

/// The static description of one operation, as the spec states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationMeta {
    /// The spec's `operationId`, e.g. `getProject`.
    pub operation_id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template relative to the host's base URL, e.g. `/projects/{projectIdOrName}`.
    pub path_template: &'static str,
    /// The host that serves the operation.
    pub host: Host,
    /// The authentication schemes the operation accepts.
    pub auth: AuthSchemes,
    /// Whether sending the request twice has the same effect as sending it once
    /// (GET, PUT, DELETE). Retries of requests that may have reached the server are limited to
    /// idempotent operations.
    pub idempotent: bool,
}

/// An operation with per-call [`CallOptions`], made by [`Operation::with_options`].
#[derive(Debug, Clone)]
pub struct WithOptions<O> {
    operation: O,
    options: CallOptions,
}

impl<O> WithOptions<O> {
    /// The wrapped operation.
    pub fn operation(&self) -> &O {
        &self.operation
    }

    /// The options sent with it.
    pub fn options(&self) -> &CallOptions {
        &self.options
    }
}

impl<O: Operation> Operation for WithOptions<O> {
    type Output = O::Output;
    const META: &'static OperationMeta = O::META;

    fn encode(&self) -> Result<http::Request<Bytes>, Error> {
        self.operation.encode()
    }

    fn decode(response: http::Response<Bytes>) -> Result<Self::Output, Error> {
        O::decode(response)
    }

    /// The wrapped operation's request, with the options in its [`CallContext`].
    fn to_request(&self) -> Result<http::Request<Bytes>, Error> {
        let mut request = self.operation.to_request()?;
        CallContext::of_mut(&mut request).options = self.options.clone();
        Ok(request)
    }
}
