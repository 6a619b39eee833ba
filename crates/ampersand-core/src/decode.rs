//! Response decoding shared by every operation: JSON, `text/plain` and empty bodies.
//!
//! A JSON body that does not match the expected type fails with
//! [`ErrorKind::Decode`](crate::ErrorKind::Decode), naming the JSON path of the failing field and keeping the status,
//! headers and raw body.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::Error;

/// Decodes a JSON body into `T`.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Project { name: String }
/// let response = http::Response::new(bytes::Bytes::from_static(br#"{"name":1}"#));
/// let error = ampersand_core::decode::json::<Project>(response).unwrap_err();
/// assert_eq!(error.decode_path(), Some("name"));
/// ```
pub fn json<T: DeserializeOwned>(response: http::Response<Bytes>) -> Result<T, Error> {
    // The fast path is plain serde_json. Only a body that fails is parsed a second time, through
    // serde_path_to_error, to name the failing field: tracking the path on every decode would
    // allocate a string per JSON key.
    if let Ok(value) = serde_json::from_slice(response.body()) {
        return Ok(value);
    }
    let (outcome, path) = {
        let mut deserializer = serde_json::Deserializer::from_slice(response.body());
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Ok(value) => match deserializer.end() {
                Ok(()) => (Ok(value), None),
                Err(error) => (Err(error), None),
            },
            Err(error) => {
                let path = error.path().to_string();
                (Err(error.into_inner()), Some(path))
            }
        }
    };
    outcome.map_err(|error| {
        let (parts, body) = response.into_parts();
        Error::decode(parts.status, parts.headers, body, path, error)
    })
}

/// Decodes a `text/plain` body as UTF-8 text.
pub fn text(response: http::Response<Bytes>) -> Result<String, Error> {
    match std::str::from_utf8(response.body()) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => {
            let (parts, body) = response.into_parts();
            Err(Error::decode(
                parts.status,
                parts.headers,
                body,
                None,
                error,
            ))
        }
    }
}

/// Accepts any body of an operation that returns nothing (empty 201 and 204 responses).
pub fn empty(_response: http::Response<Bytes>) -> Result<(), Error> {
    Ok(())
}

/// Returns the raw body.
pub fn bytes(response: http::Response<Bytes>) -> Result<Bytes, Error> {
    Ok(response.into_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
    }

    #[test]
    fn wrong_field_type_names_its_path() {
        let response = http::Response::builder()
            .status(200)
            .body(Bytes::from_static(br#"{"items":[{"id":"a"},{"id":7}]}"#))
            .unwrap();
        let error = json::<Outer>(response).unwrap_err();
        assert!(error.is_decode());
        assert_eq!(error.decode_path(), Some("items[1].id"));
        assert_eq!(error.status(), Some(http::StatusCode::OK));
        assert_eq!(error.body().unwrap().len(), 31);
        assert!(error.to_string().contains("items[1].id"));
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        let response = http::Response::new(Bytes::from_static(br#"{"items":[]} x"#));
        assert!(json::<Outer>(response).is_err());
    }

    #[test]
    fn text_must_be_utf8() {
        let response = http::Response::new(Bytes::from_static(b"https://x"));
        assert_eq!(text(response).unwrap(), "https://x");
        let response = http::Response::new(Bytes::from_static(&[0xff, 0xfe]));
        assert!(text(response).unwrap_err().is_decode());
    }
}
