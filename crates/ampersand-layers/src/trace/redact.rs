//! What telemetry must not show: credentials in headers, user-info in URLs, signatures in
//! query strings.

use std::fmt;

use http::{HeaderMap, Uri};

/// Query parameters whose values are replaced by `REDACTED` in `url.full` and in logs
/// (compared case-insensitively): the OpenTelemetry HTTP conventions' list, the other
/// signed-URL parameters of AWS and Google Cloud, and the credential parameters providers
/// accept in a query string (a proxied call passes the provider's query through).
pub const REDACTED_QUERY_PARAMS: &[&str] = &[
    "sig",
    "Signature",
    "AWSAccessKeyId",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "X-Goog-Signature",
    "X-Goog-Credential",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "api_key",
    "apikey",
    "hapikey",
    "key",
    "client_secret",
    "password",
    "secret",
];

/// Headers whose values are replaced by `<redacted>` in logs. Values marked sensitive
/// ([`http::HeaderValue::is_sensitive`]) are redacted whatever their name.
/// Lowercase, as [`http::HeaderName::as_str`] gives them.
pub const REDACTED_HEADERS: &[&str] = &[
    "x-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// The replacement of a redacted query value, as the OpenTelemetry conventions spell it.
const REDACTED: &str = "REDACTED";

/// The URL for `url.full`: scheme, host, port, path and query, without user-info and with the
/// values of [`REDACTED_QUERY_PARAMS`] replaced. A relative URI gives its path and query.
pub(crate) fn url_full(uri: &Uri) -> String {
    let mut url = String::with_capacity(uri.to_string().len());
    if let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) {
        url.push_str(scheme);
        url.push_str("://");
        url.push_str(host);
        if let Some(port) = uri.port_u16() {
            url.push(':');
            url.push_str(&port.to_string());
        }
    }
    url.push_str(uri.path());
    if let Some(query) = uri.query() {
        url.push('?');
        push_redacted_query(&mut url, query);
    }
    url
}

fn push_redacted_query(url: &mut String, query: &str) {
    for (index, pair) in query.split('&').enumerate() {
        if index > 0 {
            url.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_redacted_param(name) => {
                url.push_str(name);
                url.push('=');
                url.push_str(REDACTED);
            }
            _ => url.push_str(pair),
        }
    }
}

fn is_redacted_param(name: &str) -> bool {
    REDACTED_QUERY_PARAMS
        .iter()
        .any(|param| param.eq_ignore_ascii_case(name))
}

/// Formats headers for a log line with credentials replaced by `<redacted>`.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if value.is_sensitive() || REDACTED_HEADERS.contains(&name.as_str()) {
                map.entry(&name.as_str(), &format_args!("<redacted>"));
            } else {
                match value.to_str() {
                    Ok(text) => map.entry(&name.as_str(), &text),
                    Err(_) => map.entry(&name.as_str(), &format_args!("<{} bytes>", value.len())),
                };
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn url_full_drops_userinfo_and_signatures() {
        let uri: Uri =
            "https://user:pw@files.example.com:8443/a/b?X-Goog-Signature=abc&x=1&SIG=zz&sig"
                .parse()
                .unwrap();
        assert_eq!(
            url_full(&uri),
            "https://files.example.com:8443/a/b?X-Goog-Signature=REDACTED&x=1&SIG=REDACTED&sig"
        );
        let uri: Uri = "/v1/projects?x=1".parse().unwrap();
        assert_eq!(url_full(&uri), "/v1/projects?x=1");
        let uri: Uri = "http://[::1]/p".parse().unwrap();
        assert_eq!(url_full(&uri), "http://[::1]/p");
    }

    #[test]
    fn headers_are_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("k-secret"));
        headers.insert("authorization", HeaderValue::from_static("Bearer t-secret"));
        headers.insert("cookie", HeaderValue::from_static("c-secret"));
        let mut custom = HeaderValue::from_static("s-secret");
        custom.set_sensitive(true);
        headers.insert("x-custom", custom);
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let text = format!("{:?}", RedactedHeaders(&headers));
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("\"accept\": \"application/json\""), "{text}");
        assert_eq!(text.matches("<redacted>").count(), 4, "{text}");
    }
}
