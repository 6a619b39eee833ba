//! [`ResponseExt`]: reading a proxied answer.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use ampersand_core::Error;

/// Reading the provider's answer to a proxied call (`http::Response<Bytes>`).
///
/// ```
/// use ampersand::proxy::ResponseExt;
/// use bytes::Bytes;
///
/// let found = http::Response::new(Bytes::from_static(br#"{"id":"7"}"#));
/// let value: serde_json::Value = found.json().unwrap();
/// assert_eq!(value["id"], "7");
///
/// let missing = http::Response::builder().status(404).body(Bytes::from_static(b"gone")).unwrap();
/// let error = missing.error_for_status().unwrap_err();
/// assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
/// assert_eq!(error.body_text().as_deref(), Some("gone"));
/// ```
pub trait ResponseExt: Sized {
    /// The body decoded as JSON into `T`, whatever the status; a body that does not decode
    /// is a [decode error](ampersand_core::ErrorKind::Decode) naming the failing field and
    /// keeping the status, headers and body.
    fn json<T: DeserializeOwned>(self) -> Result<T, Error>;

    /// The response when its status is 2xx; otherwise an [`Error::api`] with its status,
    /// headers and body (the provider's answer, kept whole).
    fn error_for_status(self) -> Result<Self, Error>;
}

impl ResponseExt for http::Response<Bytes> {
    fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        ampersand_core::decode::json(self)
    }

    fn error_for_status(self) -> Result<Self, Error> {
        if self.status().is_success() {
            Ok(self)
        } else {
            Err(Error::from_response(self).with_operation(super::OPERATION_ID))
        }
    }
}
