//! Request encoding shared by every operation: paths, query strings, headers and JSON bodies.
//!
//! Path parameters are percent-encoded per segment, so a value can never escape its segment:
//! `../orgs/x` becomes `..%2Forgs%2Fx`, and a value made only of dots is encoded whole
//! (`%2E%2E`) so that no dot-segment normalisation can apply. Colon-suffixed paths
//! (`/connections:generate`) are literal text of the template and stay intact.

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::{Error, OperationMeta};

/// Characters kept as they are in a path segment: RFC 3986 unreserved characters only.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Characters kept as they are in a query key or value: unreserved characters only.
const QUERY: &AsciiSet = SEGMENT;

/// `Accept` for operations that answer JSON (errors come as problem+json).
pub const ACCEPT_JSON: &str = "application/json, application/problem+json";
/// `Accept` for operations that answer JSON but may fail with `text/plain` (the write API's 400).
pub const ACCEPT_JSON_OR_TEXT_ERRORS: &str =
    "application/json, application/problem+json, text/plain;q=0.5";
/// `Accept` for operations that answer `text/plain` (the OAuth URL operations).
pub const ACCEPT_TEXT: &str = "text/plain, application/problem+json";

// The same values as headers, built at compile time: `HeaderValue::from_static` checks its
// bytes, which costs a loop per request when it runs at run time.
const ACCEPT_JSON_VALUE: HeaderValue = HeaderValue::from_static(ACCEPT_JSON);
const ACCEPT_JSON_OR_TEXT_ERRORS_VALUE: HeaderValue =
    HeaderValue::from_static(ACCEPT_JSON_OR_TEXT_ERRORS);
const ACCEPT_TEXT_VALUE: HeaderValue = HeaderValue::from_static(ACCEPT_TEXT);
const APPLICATION_JSON_VALUE: HeaderValue = HeaderValue::from_static("application/json");

/// Percent-encodes one path segment.
///
/// ```
/// assert_eq!(ampersand_core::encode::path_segment("../orgs/x"), "..%2Forgs%2Fx");
/// assert_eq!(ampersand_core::encode::path_segment(".."), "%2E%2E");
/// assert_eq!(ampersand_core::encode::path_segment("a b?#%"), "a%20b%3F%23%25");
/// ```
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_segment(&mut out, value);
    out
}

/// Appends one percent-encoded path segment to `out`, without an intermediate string.
fn push_segment(out: &mut String, value: &str) {
    if !value.is_empty() && value.bytes().all(|b| b == b'.') {
        for _ in 0..value.len() {
            out.push_str("%2E");
        }
        return;
    }
    out.extend(utf8_percent_encode(value, SEGMENT));
}

/// Renders a path template, replacing each `{name}` with its percent-encoded value.
///
/// Fails when a placeholder has no value, or a value is empty (an empty segment would
/// change the route).
pub fn render_path(template: &str, params: &[(&str, &str)]) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .ok_or_else(|| Error::encode(format!("unclosed placeholder in path `{template}`")))?;
        let name = &rest[open + 1..close];
        let value = params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| Error::encode(format!("missing path parameter `{name}`")))?;
        if value.is_empty() {
            return Err(Error::encode(format!(
                "path parameter `{name}` must not be empty"
            )));
        }
        push_segment(&mut out, value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Builds the `http::Request<Bytes>` of one operation.
///
/// Generated operations use it; hand-written ones can too. Errors are deferred to
/// [`RequestBuilder::build`], so calls chain.
#[derive(Debug)]
pub struct RequestBuilder {
    meta: &'static OperationMeta,
    path: Option<String>,
    query: String,
    headers: http::HeaderMap,
    body: Bytes,
    error: Option<Error>,
}

impl RequestBuilder {
    /// Starts a request for the operation described by `meta`.
    pub fn new(meta: &'static OperationMeta) -> Self {
        RequestBuilder {
            meta,
            path: None,
            query: String::new(),
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
            error: None,
        }
    }

    /// Sets the path literally (already encoded).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Renders the operation's path template with these parameters (see [`render_path`]).
    pub fn path_params(mut self, params: &[(&str, &str)]) -> Self {
        match render_path(self.meta.path_template, params) {
            Ok(path) => self.path = Some(path),
            Err(error) => self.fail(error),
        }
        self
    }

    /// Appends `name=value` to the query string.
    pub fn query(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.extend(utf8_percent_encode(name, QUERY));
        self.query.push('=');
        let value = value.to_string();
        self.query.extend(utf8_percent_encode(&value, QUERY));
        self
    }

    /// Appends `name=value` when `value` is set.
    pub fn query_opt(self, name: &str, value: Option<impl std::fmt::Display>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Appends one `name=item` pair per item (the OpenAPI `form`, `explode: true` style).
    pub fn query_each<T: std::fmt::Display>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = T>,
    ) -> Self {
        for value in values {
            self = self.query(name, value);
        }
        self
    }

    /// Sets a header. An invalid value defers an encoding error.
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(value) => {
                self.headers.insert(name, value);
            }
            Err(_) => self.fail(Error::encode(format!("invalid value for header `{name}`"))),
        }
        self
    }

    /// `Accept: application/json, application/problem+json`.
    pub fn accept_json(self) -> Self {
        self.static_header(ACCEPT, ACCEPT_JSON_VALUE)
    }

    /// Sets a header to a constant value (checked at compile time, never copied).
    fn static_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// `Accept` for JSON operations whose errors may be `text/plain`.
    pub fn accept_json_or_text_errors(self) -> Self {
        self.static_header(ACCEPT, ACCEPT_JSON_OR_TEXT_ERRORS_VALUE)
    }

    /// `Accept: text/plain, application/problem+json`.
    pub fn accept_text(self) -> Self {
        self.static_header(ACCEPT, ACCEPT_TEXT_VALUE)
    }

    /// Serialises `body` as the JSON request body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Bytes::from(bytes);
                self.headers.insert(CONTENT_TYPE, APPLICATION_JSON_VALUE);
            }
            Err(error) => self.fail(Error::encode_with_source(
                "could not serialise the request body",
                error,
            )),
        }
        self
    }

    /// Sets a raw body with its content type.
    pub fn body(mut self, content_type: &'static str, body: Bytes) -> Self {
        self.body = body;
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Finishes the request, or returns the first deferred error.
    pub fn build(self) -> Result<http::Request<Bytes>, Error> {
        if let Some(error) = self.error {
            return Err(error.with_operation(self.meta.operation_id));
        }
        let mut uri = self
            .path
            .unwrap_or_else(|| self.meta.path_template.to_owned());
        if !self.query.is_empty() {
            uri.push('?');
            uri.push_str(&self.query);
        }
        let uri = http::Uri::try_from(uri).map_err(|e| {
            Error::encode_with_source("the request URI is invalid", e)
                .with_operation(self.meta.operation_id)
        })?;
        let mut request = http::Request::new(self.body);
        *request.method_mut() = self.meta.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_escape() {
        let cases = [
            ("my-project", "my-project"),
            ("../orgs/x", "..%2Forgs%2Fx"),
            ("..", "%2E%2E"),
            (".", "%2E"),
            ("a/b", "a%2Fb"),
            ("what?x=1", "what%3Fx%3D1"),
            ("frag#1", "frag%231"),
            ("100%", "100%25"),
            ("with space", "with%20space"),
            ("café", "caf%C3%A9"),
            ("a:b", "a%3Ab"),
        ];
        for (input, want) in cases {
            assert_eq!(path_segment(input), want, "input {input:?}");
        }
    }

    #[test]
    fn render_keeps_colon_suffix_literal() {
        let path = render_path(
            "/projects/{projectIdOrName}/connections:generate",
            &[("projectIdOrName", "p/1")],
        )
        .unwrap();
        assert_eq!(path, "/projects/p%2F1/connections:generate");
    }

    #[test]
    fn render_rejects_missing_and_empty() {
        assert!(render_path("/a/{x}", &[]).is_err());
        assert!(render_path("/a/{x}", &[("x", "")]).is_err());
    }
}
