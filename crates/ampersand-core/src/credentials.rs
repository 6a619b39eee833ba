//! Credentials, in types that never show their value.
//!
//! [`ApiKey`] and [`BearerToken`] print as `ApiKey(<redacted>)` in `Debug` and `Display`;
//! the value is reachable only through an explicit [`Secret::expose`]. Header values made
//! from them are marked sensitive, so HTTP/2 never indexes them and loggers that honour the
//! flag skip them.

use std::fmt;

use http::HeaderValue;

use crate::Error;

/// A string that never appears in `Debug` or `Display` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The secret value. Call it only to put the value on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

macro_rules! credential {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Secret);

        impl $name {
            /// Wraps the credential.
            pub fn new(value: impl Into<String>) -> Self {
                $name(Secret::new(value))
            }

            /// The secret value.
            pub fn secret(&self) -> &Secret {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name::new(value)
            }
        }
    };
}

credential! {
    /// An Ampersand API key, sent as `X-Api-Key`.
    ApiKey
}

credential! {
    /// A JWT sent as `Authorization: Bearer <token>`.
    BearerToken
}

impl ApiKey {
    /// The `X-Api-Key` header value, marked sensitive.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        sensitive(self.0.expose())
    }
}

impl BearerToken {
    /// The `Authorization` header value, marked sensitive.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        sensitive(&format!("Bearer {}", self.0.expose()))
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::config("a credential contains characters not allowed in a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let key = ApiKey::new("amp_live_secret");
        let token = BearerToken::new("eyJ.secret");
        for text in [
            format!("{key:?}"),
            format!("{key}"),
            format!("{token:?}"),
            format!("{token}"),
            format!("{:?}", key.secret()),
        ] {
            assert!(!text.contains("secret"), "{text}");
        }
        assert_eq!(key.secret().expose(), "amp_live_secret");
        let header = token.header_value().unwrap();
        assert!(header.is_sensitive());
        assert_eq!(header, "Bearer eyJ.secret");
    }
}
