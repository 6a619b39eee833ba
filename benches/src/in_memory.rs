//! The in-memory transport of the stack-overhead bench, and the clients built over it.

use std::convert::Infallible;

use ampersand::Client;
use ampersand::Host;
use ampersand::layers::rate_limit::{Quota, RateLimitConfig};
use bytes::Bytes;

use crate::fixtures::{API_KEY, project_json};

/// The base URL the in-memory clients are given (never dialled).
pub const BASE_URL: &str = "https://api.withampersand.com/v1";

/// The in-memory transport: every request gets the same canned getProject response
/// (`200`, `Content-Type: application/json`, [`project_json`]).
pub fn transport() -> impl tower::Service<
    http::Request<Bytes>,
    Response = http::Response<Bytes>,
    Error = Infallible,
    Future = std::future::Ready<Result<http::Response<Bytes>, Infallible>>,
> + Clone
+ Send
+ Sync
+ 'static {
    let body = project_json();
    tower::service_fn(move |_request: http::Request<Bytes>| {
        let response = http::Response::builder()
            .status(200)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .expect("a valid response");
        std::future::ready(Ok(response))
    })
}

/// The default client over [`transport`], with a quota that never binds (a million calls a
/// second) so that the rate limiter's check runs on every call.
pub fn default_client() -> Client {
    default_builder().build().expect("the client builds")
}

/// The builder of [`default_client`], to change one setting.
pub fn default_builder() -> ampersand::ClientBuilder {
    Client::builder()
        .api_key(API_KEY)
        .base_url(Host::Api, BASE_URL)
        .rate_limit(RateLimitConfig::default().quota(Quota::per_second(1_000_000)))
        .transport(transport())
}

/// A client over [`transport`] without retry, rate limit, tracing, timeouts or identity
/// headers: encoding, auth, problem decoding and decoding only.
pub fn bare_client() -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(Host::Api, BASE_URL)
        .no_retry()
        .no_rate_limit()
        .tracing(false)
        .identity_headers(false)
        .attempt_timeout(None)
        .deadline(None)
        .transport(transport())
        .build()
        .expect("the client builds")
}
