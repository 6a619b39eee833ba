//! Egress proxy settings: which proxy each destination goes through, read from the usual
//! environment variables or set by hand.
//!
//! The rules are hyper-util's proxy [`Matcher`] (the variables and `NO_PROXY` syntax curl
//! reads); this module only reads the values through a lookup you can replace (so that
//! parsing is testable without touching the process environment), checks them, and keeps
//! the credentials a proxy URL may carry out of every `Debug` output and error message.
//!
//! - `HTTPS_PROXY` / `https_proxy`: the proxy for `https://` destinations, reached with
//!   `CONNECT` (a tunnel; TLS runs end to end through it).
//! - `HTTP_PROXY` / `http_proxy`: the proxy for `http://` destinations, which receives the
//!   request itself (absolute-form). Ignored, as hyper-util and curl do, when
//!   `REQUEST_METHOD` is set (a CGI process, where `HTTP_PROXY` comes from a request header:
//!   "httpoxy").
//! - `ALL_PROXY` / `all_proxy`: the proxy for either, when the specific one is not set.
//! - `NO_PROXY` / `no_proxy`: comma-separated exceptions: `*` (everything), host names (a
//!   name matches itself and its subdomains, a leading dot is ignored), IP addresses and
//!   CIDR ranges (`10.0.0.0/8`).
//!
//! The upper-case name is read first, then the lower-case one; empty values count as unset.
//! Only `http://` proxies are supported (a URL without a scheme is taken as `http://`);
//! credentials in the URL (`http://user:pass@proxy:3128`) are sent only as
//! `Proxy-Authorization: Basic ...` to the proxy.

use std::fmt;

use ampersand_core::Error;
use hyper_util::client::proxy::matcher::Matcher;

/// The environment variables a [`ProxyConfig`] reads, upper-case name first.
const VARIABLES: [(&str, &str); 4] = [
    ("ALL_PROXY", "all_proxy"),
    ("HTTP_PROXY", "http_proxy"),
    ("HTTPS_PROXY", "https_proxy"),
    ("NO_PROXY", "no_proxy"),
];

/// Which egress proxy, if any, each destination goes through. See the [module docs](self).
///
/// The default is no proxy; [`ClientBuilder::from_env`](crate::ClientBuilder::from_env)
/// reads [`ProxyConfig::from_env`].
///
/// ```
/// use ampersand::transport::ProxyConfig;
///
/// let proxy = ProxyConfig::none()
///     .https("http://user:secret@proxy.internal:3128")
///     .no_proxy("localhost, 10.0.0.0/8, .corp.example");
/// assert!(!format!("{proxy:?}").contains("secret"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct ProxyConfig {
    all: Option<ProxyUrl>,
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    no_proxy: Option<String>,
}

impl ProxyConfig {
    /// No proxy: every destination is reached directly.
    pub fn none() -> Self {
        ProxyConfig::default()
    }

    /// Reads `ALL_PROXY`, `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (upper then lower case)
    /// from the process environment.
    pub fn from_env() -> Self {
        ProxyConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the same variables as [`from_env`](Self::from_env) through `lookup` (a name to
    /// its value), e.g. from a map in a test or a configuration file.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |(upper, lower): (&str, &str)| {
            lookup(upper)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| lookup(lower).filter(|v| !v.trim().is_empty()))
        };
        let [all, http, https, no_proxy] = VARIABLES.map(read);
        // httpoxy: in a CGI process HTTP_PROXY may come from the request's `Proxy` header.
        // hyper-util's own `Matcher::from_env` then ignores every variable; so does this.
        if lookup("REQUEST_METHOD").is_some() {
            return ProxyConfig::none();
        }
        ProxyConfig {
            all: all.map(ProxyUrl),
            http: http.map(ProxyUrl),
            https: https.map(ProxyUrl),
            no_proxy,
        }
    }

    /// The proxy for both `http://` and `https://` destinations, unless a specific one is
    /// set (like `ALL_PROXY`).
    pub fn all(mut self, url: impl Into<String>) -> Self {
        self.all = Some(ProxyUrl(url.into()));
        self
    }

    /// The proxy for `http://` destinations (like `HTTP_PROXY`).
    pub fn http(mut self, url: impl Into<String>) -> Self {
        self.http = Some(ProxyUrl(url.into()));
        self
    }

    /// The proxy for `https://` destinations, reached with `CONNECT` (like `HTTPS_PROXY`).
    pub fn https(mut self, url: impl Into<String>) -> Self {
        self.https = Some(ProxyUrl(url.into()));
        self
    }

    /// The destinations reached directly, in `NO_PROXY` syntax (see the [module docs](self)).
    pub fn no_proxy(mut self, rules: impl Into<String>) -> Self {
        self.no_proxy = Some(rules.into());
        self
    }

    /// Whether any proxy is set.
    pub fn is_enabled(&self) -> bool {
        self.all.is_some() || self.http.is_some() || self.https.is_some()
    }

    /// Whether the proxy of `http://` destinations takes credentials, which then go in each
    /// forwarded request's `Proxy-Authorization`.
    pub(crate) fn http_proxy_has_credentials(&self) -> bool {
        self.http
            .as_ref()
            .or(self.all.as_ref())
            .is_some_and(|url| url.redacted() != url.0)
    }

    /// hyper-util's matcher for these settings, `None` when no proxy is set. Fails on a URL
    /// that does not parse or is not `http://` (the message never holds the URL, which may
    /// carry credentials).
    pub(crate) fn matcher(&self) -> Result<Option<Matcher>, Error> {
        if !self.is_enabled() {
            return Ok(None);
        }
        let mut builder = Matcher::builder();
        for (name, url) in [
            ("ALL_PROXY", &self.all),
            ("HTTP_PROXY", &self.http),
            ("HTTPS_PROXY", &self.https),
        ] {
            let Some(url) = url else { continue };
            url.check(name)?;
            builder = match name {
                "ALL_PROXY" => builder.all(url.0.as_str()),
                "HTTP_PROXY" => builder.http(url.0.as_str()),
                _ => builder.https(url.0.as_str()),
            };
        }
        if let Some(rules) = &self.no_proxy {
            builder = builder.no(rules.as_str());
        }
        Ok(Some(builder.build()))
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("all", &self.all)
            .field("http", &self.http)
            .field("https", &self.https)
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// A proxy URL as given, credentials included; its `Debug` shows `***` in their place.
#[derive(Clone, PartialEq, Eq)]
struct ProxyUrl(String);

impl ProxyUrl {
    /// Fails unless the URL parses and is `http://` (or has no scheme).
    fn check(&self, name: &str) -> Result<(), Error> {
        let uri: http::Uri = self
            .0
            .trim()
            .parse()
            .map_err(|_| Error::config(format!("the {name} proxy URL is not a valid URL")))?;
        match uri.scheme_str() {
            None | Some("http") if uri.host().is_some() => Ok(()),
            None | Some("http") => Err(Error::config(format!("the {name} proxy URL has no host"))),
            Some(other) => Err(Error::config(format!(
                "the {name} proxy URL is {other}://: only http:// proxies are supported"
            ))),
        }
    }

    /// The URL with any `user:password@` replaced by `***@`.
    fn redacted(&self) -> String {
        let url = self.0.as_str();
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, url),
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let rest = match rest[..authority_end].rfind('@') {
            Some(at) => format!("***{}", &rest[at..]),
            None => rest.to_owned(),
        };
        match scheme {
            Some(scheme) => format!("{scheme}://{rest}"),
            None => rest,
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.redacted(), f)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> ProxyConfig {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProxyConfig::from_lookup(|name| vars.get(name).cloned())
    }

    /// The proxy a destination goes through, as `host:port`, or `None` for direct.
    fn route(config: &ProxyConfig, destination: &str) -> Option<String> {
        let matcher = config.matcher().expect("valid proxy settings")?;
        let intercept = matcher.intercept(&destination.parse().expect("a URI"))?;
        Some(
            intercept
                .uri()
                .authority()
                .expect("a proxy host")
                .to_string(),
        )
    }

    #[test]
    fn proxy_env_reads_upper_then_lower_case() {
        let upper = config(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
        ]);
        assert_eq!(
            route(&upper, "https://api.example").as_deref(),
            Some("upper:1")
        );
        let lower = config(&[("https_proxy", "http://lower:2")]);
        assert_eq!(
            route(&lower, "https://api.example").as_deref(),
            Some("lower:2")
        );
        let empty_upper = config(&[("HTTPS_PROXY", " "), ("https_proxy", "http://lower:2")]);
        assert_eq!(
            route(&empty_upper, "https://api.example").as_deref(),
            Some("lower:2")
        );
    }

    #[test]
    fn proxy_env_scheme_specific_beats_all_proxy() {
        let c = config(&[
            ("ALL_PROXY", "http://all:1"),
            ("http_proxy", "http://plain:2"),
        ]);
        assert_eq!(route(&c, "http://api.example").as_deref(), Some("plain:2"));
        assert_eq!(route(&c, "https://api.example").as_deref(), Some("all:1"));
        let https_only = config(&[("HTTPS_PROXY", "proxy:3128")]);
        assert_eq!(
            route(&https_only, "https://a.example").as_deref(),
            Some("proxy:3128")
        );
        assert_eq!(route(&https_only, "http://a.example"), None);
    }

    #[test]
    fn proxy_env_no_proxy_rules_as_curl_reads_them() {
        let c = config(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            (
                "no_proxy",
                "internal.example, .corp.example,10.0.0.0/8 , 192.168.1.7, ::1",
            ),
        ]);
        for direct in [
            "https://internal.example",
            "https://api.internal.example",
            "https://corp.example",
            "https://x.corp.example:8443",
            "https://10.1.2.3",
            "https://192.168.1.7",
            "https://[::1]:8443",
        ] {
            assert_eq!(route(&c, direct), None, "{direct} must bypass the proxy");
        }
        for proxied in [
            "https://notinternal.example",
            "https://api.withampersand.com",
            "https://11.0.0.1",
            "https://192.168.1.8",
        ] {
            assert_eq!(
                route(&c, proxied).as_deref(),
                Some("proxy:3128"),
                "{proxied} must go through the proxy"
            );
        }
        let everything = config(&[("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", "*")]);
        assert_eq!(route(&everything, "https://api.withampersand.com"), None);
    }

    #[test]
    fn proxy_env_is_ignored_in_a_cgi_process() {
        let c = config(&[("HTTP_PROXY", "http://evil:1"), ("REQUEST_METHOD", "GET")]);
        assert!(!c.is_enabled());
    }

    #[test]
    fn proxy_env_unset_means_no_proxy() {
        let c = config(&[("NO_PROXY", "localhost")]);
        assert!(!c.is_enabled());
        assert!(c.matcher().expect("valid").is_none());
    }

    #[test]
    fn proxy_env_credentials_become_basic_auth_and_never_show() {
        let c = config(&[("HTTPS_PROXY", "http://us%40er:p%3Ass@proxy:3128")]);
        let matcher = c.matcher().expect("valid").expect("a proxy");
        let intercept = matcher
            .intercept(&"https://api.example".parse().expect("a URI"))
            .expect("proxied");
        // base64("us@er:p:ss")
        assert_eq!(
            intercept.basic_auth().expect("credentials"),
            "Basic dXNAZXI6cDpzcw=="
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("p%3Ass") && !shown.contains("us%40er"),
            "{shown}"
        );
        assert!(shown.contains("http://***@proxy:3128"), "{shown}");
    }

    #[test]
    fn proxy_env_rejects_unsupported_or_invalid_urls_without_echoing_them() {
        for (url, why) in [
            ("socks5://user:secret@proxy:1080", "only http://"),
            ("https://user:secret@proxy:443", "only http://"),
            ("http://user:secret@", "not a valid URL"),
        ] {
            let error = config(&[("HTTPS_PROXY", url)])
                .matcher()
                .expect_err("an unsupported proxy URL");
            let message = error.to_string();
            assert!(message.contains(why), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }
}
