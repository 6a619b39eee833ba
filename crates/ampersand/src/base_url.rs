//! Base URLs of the Ampersand hosts, and joining them to a request's path.

use ampersand_core::{Error, Host};
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

/// One host's base URL, checked: `http` or `https`, a host, and an optional path prefix
/// (`/v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    prefix: String,
}

impl BaseUrl {
    /// Parses and checks a base URL such as `https://api.withampersand.com/v1`.
    ///
    /// A URL with user information (`http://user:password@host/v1`) is refused: HTTP clients
    /// never send it (RFC 9110 section 4.2.4 deprecates it), so it would be silently dropped,
    /// and as part of the URL it would show wherever the URL is printed. Credentials go in
    /// [`ClientBuilder::api_key`](crate::ClientBuilder::api_key) and its siblings. No error
    /// message shows user information, whatever else is wrong with the URL.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let shown = without_userinfo(url);
        let uri: Uri = url
            .parse()
            .map_err(|_| Error::config(format!("`{shown}` is not a valid URL")))?;
        let scheme = uri.scheme().cloned().ok_or_else(|| {
            Error::config(format!("base URL `{shown}` has no scheme (use https://)"))
        })?;
        if scheme != Scheme::HTTPS && scheme != Scheme::HTTP {
            return Err(Error::config(format!(
                "base URL `{shown}` has scheme `{scheme}`; only http and https are supported"
            )));
        }
        let authority = uri
            .authority()
            .cloned()
            .filter(|a| !a.host().is_empty())
            .ok_or_else(|| Error::config(format!("base URL `{shown}` has no host")))?;
        if authority.as_str().contains('@') {
            return Err(Error::config(format!(
                "base URL `{shown}` has user information before its host; it is never sent, \
                 so it is refused: authenticate with an API key or Bearer token instead"
            )));
        }
        if uri.query().is_some() {
            return Err(Error::config(format!(
                "base URL `{shown}` must not have a query"
            )));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(BaseUrl {
            scheme,
            authority,
            prefix,
        })
    }

    /// The scheme, `http` or `https`.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The host and port.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Joins an operation's path and query (`/projects/p?x=1`) to this base.
    pub(crate) fn join(&self, path_and_query: Option<&PathAndQuery>) -> Result<Uri, Error> {
        let tail = path_and_query.map_or("/", PathAndQuery::as_str);
        let mut full = String::with_capacity(self.prefix.len() + tail.len());
        full.push_str(&self.prefix);
        full.push_str(tail);
        // From parts rather than `Uri::builder()`: the scheme and authority were checked once,
        // when the base URL was parsed; only the path is new.
        let path_and_query = PathAndQuery::from_maybe_shared(bytes::Bytes::from(full))
            .map_err(|e| Error::encode_with_source("could not build the request URL", e))?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts)
            .map_err(|e| Error::encode_with_source("could not build the request URL", e))
    }
}

/// `url` as error messages show it: any user information (what comes before an `@` in the
/// authority) replaced by `***`. Works on the text, so that it also cleans URLs that do not
/// parse.
fn without_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..authority_start], &rest[at..]).into(),
        None => url.into(),
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

/// The base URL of each host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrls {
    urls: [BaseUrl; Host::ALL.len()],
}

impl Default for BaseUrls {
    fn default() -> Self {
        BaseUrls {
            urls: Host::ALL.map(|host| {
                BaseUrl::parse(host.default_base_url()).expect("the default base URLs are valid")
            }),
        }
    }
}

impl BaseUrls {
    /// The base URL of `host`.
    pub fn get(&self, host: Host) -> &BaseUrl {
        &self.urls[host.index()]
    }

    /// Replaces the base URL of `host`.
    pub fn set(&mut self, host: Host, url: BaseUrl) {
        self.urls[host.index()] = url;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "ftp://x/v1",
            "api.withampersand.com/v1",
            "https:///v1",
            "http://",
            "https://x/v1?a=b",
        ] {
            let error = BaseUrl::parse(bad).unwrap_err();
            assert_eq!(error.kind(), ampersand_core::ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn refuses_user_information_without_showing_it() {
        for url in [
            "http://user:secret@proxy.internal:3128/amp",
            "https://secret@api.withampersand.com/v1",
            "https://user:secret@@api.withampersand.com/v1",
            "https://user:secret@/v1",
            "ftp://user:secret@x/v1",
            "http://user:secret@x/v1?a=b",
            "http://user:secret@x:99999/v1",
            "http://user:se cret@x/v1",
            "user:secret@x/v1",
        ] {
            let error = BaseUrl::parse(url).unwrap_err();
            assert_eq!(error.kind(), ampersand_core::ErrorKind::Config, "{url}");
            let text = format!("{error} {error:?}");
            assert!(!text.contains("secret"), "{url}: {text}");
            assert!(!text.contains("user:"), "{url}: {text}");
        }
        let text = BaseUrl::parse("http://user:secret@host/v1")
            .unwrap_err()
            .to_string();
        assert!(text.contains("http://***@host/v1"), "{text}");
        assert!(text.contains("user information"), "{text}");
    }

    #[test]
    fn error_messages_show_urls_without_user_information() {
        let table = [
            ("http://a:b@host/v1", "http://***@host/v1"),
            ("http://a@b@host:80/v1?q#f", "http://***@host:80/v1?q#f"),
            ("a:b@host/v1", "***@host/v1"),
            ("https://host/v1/x@y", "https://host/v1/x@y"),
            ("https://host?x=@y", "https://host?x=@y"),
            ("https://host", "https://host"),
            ("", ""),
        ];
        for (url, shown) in table {
            assert_eq!(without_userinfo(url), shown, "{url}");
        }
    }

    #[test]
    fn joins_prefix_and_path() {
        let base = BaseUrl::parse("http://127.0.0.1:8080/v1/").unwrap();
        let pq: PathAndQuery = "/projects/p%2F1?x=1".parse().unwrap();
        assert_eq!(
            base.join(Some(&pq)).unwrap().to_string(),
            "http://127.0.0.1:8080/v1/projects/p%2F1?x=1"
        );
        assert_eq!(base.to_string(), "http://127.0.0.1:8080/v1");
    }
}
