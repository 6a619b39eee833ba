//! Credentials, in types that never show their value.
//!
//! [`ApiKey`] and [`BearerToken`] print as `ApiKey(<redacted>)` in `Debug` and `Display`;
//! the value is reachable only through an explicit [`Secret::expose`]. Header values made
//! from them are marked sensitive, so HTTP/2 never indexes them and loggers that honour the
//! flag skip them.
//!
//! A credential must be made of visible ASCII characters (`!` to `~`), as API keys and JWTs
//! are: a header value made from anything else (a space, a control character such as CR or
//! LF, a byte above 127 that would go out as raw UTF-8) is refused with a configuration
//! error before anything is sent. The error does not show the value.

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
    /// The `X-Api-Key` header value, marked sensitive; a configuration error when the key is
    /// empty or holds anything but visible ASCII.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        check_visible_ascii(self.0.expose(), "the API key")?;
        sensitive(self.0.expose())
    }
}

impl BearerToken {
    /// The `Authorization` header value, marked sensitive; a configuration error when the
    /// token is empty or holds anything but visible ASCII.
    pub fn header_value(&self) -> Result<HeaderValue, Error> {
        check_visible_ascii(self.0.expose(), "the Bearer token")?;
        sensitive(&format!("Bearer {}", self.0.expose()))
    }
}

/// Refuses a credential that is empty or holds a character outside visible ASCII.
///
/// `HeaderValue::from_str` refuses only control characters: it takes spaces and any UTF-8
/// (sent as raw bytes, which servers read as Latin-1 or refuse), so the SDK checks for itself.
fn check_visible_ascii(credential: &str, what: &'static str) -> Result<(), Error> {
    if credential.is_empty() {
        return Err(Error::config(format!("{what} is empty")));
    }
    match credential.bytes().position(|b| !b.is_ascii_graphic()) {
        None => Ok(()),
        // The position helps find the stray character; the value itself is never shown.
        Some(at) => Err(Error::config(format!(
            "{what} holds a character other than visible ASCII at byte {at} \
             (a space, a control character or a non-ASCII character); nothing was sent"
        ))),
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

    #[test]
    fn only_visible_ascii_makes_a_header() {
        let good = ["amp_live_0123", "eyJ.a-b_c~!#$%&'*+/=?^`{|}", "x"];
        for value in good {
            assert!(ApiKey::new(value).header_value().is_ok(), "{value:?}");
            assert!(BearerToken::new(value).header_value().is_ok(), "{value:?}");
        }
        let bad = [
            "",
            "amp_secret\r\nX-Injected: 1",
            "amp_secret\n",
            "amp_secret\0",
            "amp_secret\t",
            "amp_secret\u{7f}",
            "amp secret",
            " amp_secret",
            "amp_sécret",
            "amp_secret_日本",
            "amp_secret\u{a0}",
            "amp_secret🦀",
        ];
        for value in bad {
            for error in [
                ApiKey::new(value).header_value().unwrap_err(),
                BearerToken::new(value).header_value().unwrap_err(),
            ] {
                assert_eq!(error.kind(), crate::ErrorKind::Config, "{value:?}");
                let text = format!("{error} {error:?}");
                assert!(!text.contains("secret"), "{text}");
            }
        }
    }
}
