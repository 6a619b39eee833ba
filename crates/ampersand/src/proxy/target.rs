//! [`ProxyTarget`]: which customer's connection a proxied call uses.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};

use ampersand_core::Error;

/// Which installation a proxied call goes through: an installation id, or an integration and
/// the customer's group ref.
///
/// When both are given ([`ProxyTarget::group`] then [`with_installation`](Self::with_installation)),
/// all three headers are sent and Ampersand uses the installation id; the rate limiter keys the
/// call by the installation too.
///
/// ```
/// use ampersand::proxy::ProxyTarget;
///
/// let by_id = ProxyTarget::installation("inst_123");
/// let by_group = ProxyTarget::group("hubspot-crm", "customer-42");
/// assert_eq!(by_id.installation_id(), Some("inst_123"));
/// assert_eq!(by_group.installation_id(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    installation_id: Option<Arc<str>>,
    group: Option<(Arc<str>, Arc<str>)>,
}

/// `x-amp-installation-id`.
pub(crate) const INSTALLATION_ID: &str = "x-amp-installation-id";
/// `x-amp-integration-name`.
pub(crate) const INTEGRATION_NAME: &str = "x-amp-integration-name";
/// `x-amp-group-ref`.
pub(crate) const GROUP_REF: &str = "x-amp-group-ref";

impl ProxyTarget {
    /// The installation with this id (`x-amp-installation-id`).
    pub fn installation(id: impl Into<Arc<str>>) -> Self {
        ProxyTarget {
            installation_id: Some(id.into()),
            group: None,
        }
    }

    /// The installation of `integration_name` for the customer's group `group_ref`
    /// (`x-amp-integration-name` and `x-amp-group-ref`).
    pub fn group(integration_name: impl Into<Arc<str>>, group_ref: impl Into<Arc<str>>) -> Self {
        ProxyTarget {
            installation_id: None,
            group: Some((integration_name.into(), group_ref.into())),
        }
    }

    /// Adds the installation id, which Ampersand prefers over the integration and group.
    pub fn with_installation(mut self, id: impl Into<Arc<str>>) -> Self {
        self.installation_id = Some(id.into());
        self
    }

    /// The installation id, when given.
    pub fn installation_id(&self) -> Option<&str> {
        self.installation_id.as_deref()
    }

    /// The integration name and group ref, when given.
    pub fn integration_and_group(&self) -> Option<(&str, &str)> {
        self.group.as_ref().map(|(i, g)| (&**i, &**g))
    }

    /// The key the rate limiter counts this target's calls under: the installation when known
    /// (it wins at Ampersand too), else the integration and group.
    pub(crate) fn rate_limit_key(&self) -> Arc<str> {
        match (&self.installation_id, &self.group) {
            (Some(id), _) => format!("installation:{id}").into(),
            (None, Some((integration, group))) => format!("group:{integration}\u{0}{group}").into(),
            (None, None) => Arc::from("none"),
        }
    }

    /// Writes the target's headers, checking that each value can be sent.
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        if let Some(id) = &self.installation_id {
            headers.insert(INSTALLATION_ID, value("installation id", id)?);
        }
        if let Some((integration, group)) = &self.group {
            headers.insert(INTEGRATION_NAME, value("integration name", integration)?);
            headers.insert(GROUP_REF, value("group ref", group)?);
        }
        Ok(())
    }
}

/// A header value, or a config error naming what was wrong.
pub(crate) fn value(what: &str, text: &str) -> Result<HeaderValue, Error> {
    if text.is_empty() {
        return Err(Error::config(format!("the proxy {what} is empty")));
    }
    HeaderValue::from_str(text).map_err(|_| {
        Error::config(format!(
            "the proxy {what} `{text}` cannot be sent in a header (control characters or non-ASCII)"
        ))
    })
}
