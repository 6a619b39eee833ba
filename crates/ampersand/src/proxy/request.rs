//! [`ProxyRequestBuilder`]: one proxied request, built step by step.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use serde::Serialize;

use ampersand_core::{CallContext, CallOptions, Error};

use super::Proxy;

/// One proxied request; made by [`Proxy::get`] and its siblings, sent by
/// [`send`](Self::send). A mistake in a step (a header that cannot be sent, a query or body
/// that does not serialize) is reported by `send`, before anything is sent.
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ProxyRequestBuilder {
    proxy: Proxy,
    request: Result<http::Request<Bytes>, Error>,
    context: CallContext,
}

impl ProxyRequestBuilder {
    pub(super) fn new(proxy: Proxy, method: Method, path: String) -> Self {
        let request = http::Request::builder()
            .method(method)
            .uri(path.as_str())
            .body(Bytes::new())
            .map_err(|e| {
                Error::config(format!("`{path}` is not a valid proxied path: {e}"))
                    .with_operation(super::OPERATION_ID)
            });
        ProxyRequestBuilder {
            proxy,
            request,
            context: CallContext::new(),
        }
    }

    fn edit(mut self, change: impl FnOnce(&mut http::Request<Bytes>) -> Result<(), Error>) -> Self {
        if let Ok(request) = &mut self.request
            && let Err(error) = change(request)
        {
            self.request = Err(error.with_operation(super::OPERATION_ID));
        }
        self
    }

    /// Appends `query` (a struct, a map or a slice of pairs, form-encoded by
    /// `serde_urlencoded`) to the path's query; what the path already had is kept as it was.
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> Self {
        self.edit(|request| {
            let encoded = serde_urlencoded::to_string(query)
                .map_err(|e| Error::encode_with_source("the query does not serialize", e))?;
            if encoded.is_empty() {
                return Ok(());
            }
            let uri = request.uri();
            let joined = match uri.query() {
                Some(existing) if !existing.is_empty() => {
                    format!("{}?{existing}&{encoded}", uri.path())
                }
                _ => format!("{}?{encoded}", uri.path()),
            };
            *request.uri_mut() = joined
                .parse()
                .map_err(|e| Error::encode_with_source("the query makes an invalid URI", e))?;
            Ok(())
        })
    }

    /// Sets a header for the provider (`Accept`, `Content-Type`, a provider's own headers).
    pub fn header(self, name: &str, value: &str) -> Self {
        self.edit(|request| {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::encode_with_source(format!("bad header name `{name}`"), e))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| Error::encode_with_source(format!("bad value for `{name}`"), e))?;
            request.headers_mut().insert(name, value);
            Ok(())
        })
    }

    /// Sends `body` as JSON, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.edit(|request| {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| Error::encode_with_source("the JSON body does not serialize", e))?;
            request.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            *request.body_mut() = Bytes::from(bytes);
            Ok(())
        })
    }

    /// Sends `body` as it is; set its `Content-Type` with [`header`](Self::header).
    pub fn body(self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.edit(|request| {
            *request.body_mut() = body;
            Ok(())
        })
    }

    /// Names the provider's path template (`/crm/v3/objects/contacts/{id}`) for the span, so
    /// that spans of one endpoint group together whatever the ids.
    pub fn path_template(mut self, template: impl Into<Cow<'static, str>>) -> Self {
        self.context = self.context.with_path_template(template);
        self
    }

    /// Per-call overrides: attempts, deadline, attempt timeout, idempotency (a POST the
    /// provider deduplicates may be declared idempotent).
    pub fn options(mut self, options: CallOptions) -> Self {
        self.context = self.context.with_options(options);
        self
    }

    /// The largest response body this call accepts, in bytes.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.context = self.context.with_max_response_body(bytes);
        self
    }

    /// Sends the request: `Ok` with the provider's answer whatever its status, `Err` for
    /// Ampersand's refusals and for failures (see the [module docs](super)).
    pub async fn send(self) -> Result<http::Response<Bytes>, Error> {
        let mut request = self.request?;
        request.extensions_mut().insert(self.context);
        self.proxy.send(request).await
    }
}
