//! RFC 9457 problem details, as Ampersand's `problem/problem.yaml` defines them.
//!
//! [`Problem`] is the RFC's object; [`ApiProblem`] adds Ampersand's fields (requestId, causes,
//! remedy, retryable, retryAfter, ...); [`InputValidationProblem`] adds the `issues` of a
//! rejected input. Each derefs to the one it extends, and unknown members are kept in
//! [`ApiProblem::extensions`].
//!
//! [`InputValidationProblem::from_response`] turns any error response into a problem: a
//! `problem+json` or problem-shaped `application/json` body is parsed; any other body (a proxy's
//! HTML page, the write API's `text/plain`) is kept as the detail, so nothing is lost.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};

/// The longest body text kept as the detail of a problem built from a non-problem body.
pub const MAX_DETAIL_FROM_BODY: usize = 2048;

/// A Problem Details object (RFC 9457).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Problem {
    /// An absolute URI that identifies the problem type (`about:blank` when absent).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// A URI with human-readable documentation for the problem type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// A short summary of the problem type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status code the origin server generated for this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A human-readable explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI that identifies this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl Problem {
    /// The problem type, `about:blank` when the server sent none.
    pub fn problem_type(&self) -> &str {
        self.type_.as_deref().unwrap_or("about:blank")
    }
}

/// An Ampersand API problem: [`Problem`] plus Ampersand's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiProblem {
    /// The RFC 9457 members.
    #[serde(flatten)]
    pub problem: Problem,
    /// The subsystem that generated the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsystem: Option<String>,
    /// When the problem occurred.
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<DateTime<Utc>>,
    /// A unique identifier of the request, for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// What caused the problem, in no particular order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// How to resolve the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// An email address to contact for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    /// A phone number to contact for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_phone: Option<String>,
    /// A URL to contact for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    /// Whether the request can be retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// A time after which the request can be retried.
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after: Option<DateTime<Utc>>,
    /// Additional context for the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
    /// Members this version of the SDK does not know, kept as they came.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Deref for ApiProblem {
    type Target = Problem;
    fn deref(&self) -> &Problem {
        &self.problem
    }
}

/// Where an invalid input was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssueLocation {
    /// The request body.
    Body,
    /// A request header.
    Header,
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A location this version of the SDK does not know.
    Unknown(String),
}

impl IssueLocation {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            IssueLocation::Body => "body",
            IssueLocation::Header => "header",
            IssueLocation::Path => "path",
            IssueLocation::Query => "query",
            IssueLocation::Unknown(other) => other,
        }
    }
}

impl Serialize for IssueLocation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IssueLocation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Ok(match value.as_str() {
            "body" => IssueLocation::Body,
            "header" => IssueLocation::Header,
            "path" => IssueLocation::Path,
            "query" => IssueLocation::Query,
            _ => IssueLocation::Unknown(value),
        })
    }
}

/// One issue found while validating the input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputValidationIssue {
    /// Where the invalid input is.
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<IssueLocation>,
    /// The name of the invalid input (a JSON path for body fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The erroneous value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// The problem members describing the issue.
    #[serde(flatten)]
    pub problem: ApiProblem,
}

impl Deref for InputValidationIssue {
    type Target = ApiProblem;
    fn deref(&self) -> &ApiProblem {
        &self.problem
    }
}

/// A problem caused by invalid input: [`ApiProblem`] plus its `issues`.
///
/// Every API error carries one; `issues` is empty for problems that are not about input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputValidationProblem {
    /// The issues found, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<InputValidationIssue>,
    /// The problem members.
    #[serde(flatten)]
    pub problem: ApiProblem,
}

impl Deref for InputValidationProblem {
    type Target = ApiProblem;
    fn deref(&self) -> &ApiProblem {
        &self.problem
    }
}

impl InputValidationProblem {
    /// Builds the problem of an error response.
    ///
    /// A body parses as a problem when its media type is `application/problem+json`, or
    /// `application/json` with at least one problem member (`title`, `detail`, `status`, `type`).
    /// Anything else (HTML, text, an empty body, JSON of another shape) becomes a problem whose
    /// title is the status's reason and whose detail is the body text, cut at
    /// [`MAX_DETAIL_FROM_BODY`] bytes.
    pub fn from_response(status: http::StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let media = media_type(headers);
        let jsonish = media
            .as_deref()
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        let parsed = (jsonish || (media.is_none() && body.first() == Some(&b'{')))
            .then(|| serde_json::from_slice::<InputValidationProblem>(body).ok())
            .flatten();
        if let Some(mut problem) = parsed {
            let p = &problem.problem.problem;
            let looks_like_problem = media.as_deref() == Some("application/problem+json")
                || p.title.is_some()
                || p.detail.is_some()
                || p.status.is_some()
                || p.type_.is_some();
            if looks_like_problem {
                if problem.problem.problem.status.is_none() {
                    problem.problem.problem.status = Some(status.as_u16());
                }
                return problem;
            }
        }
        let mut problem = InputValidationProblem::default();
        problem.problem.problem.status = Some(status.as_u16());
        problem.problem.problem.title = status.canonical_reason().map(str::to_owned);
        if !body.is_empty() {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let mut cut = text.len().min(MAX_DETAIL_FROM_BODY);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            problem.problem.problem.detail = Some(text[..cut].to_owned());
        }
        problem
    }
}

/// The media type of a response (lowercase, parameters removed).
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim().to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// Parses an RFC 3339 timestamp, keeping the problem when the server sends a malformed one.
fn lenient_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::String(text)) => DateTime::parse_from_rfc3339(&text)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers
    }

    #[test]
    fn parses_every_member_and_keeps_extensions() {
        let body = br#"{"type":"urn:x","href":"https://h","title":"Bad Request","status":400,
            "detail":"d","instance":"i","subsystem":"api","time":"2024-04-22T18:55:28.456076Z",
            "requestId":"r#1","causes":["a","b"],"remedy":"fix it","supportEmail":"s@x",
            "supportPhone":"1","supportUrl":"https://s","retryable":false,
            "retryAfter":"2024-04-22T18:55:28Z","context":{"k":1},"vendor":"kept",
            "issues":[{"in":"body","name":"items[0].x","value":"abc","detail":"bad","extra":1}]}"#;
        let p = InputValidationProblem::from_response(
            StatusCode::BAD_REQUEST,
            &headers("application/problem+json; charset=utf-8"),
            body,
        );
        assert_eq!(p.problem_type(), "urn:x");
        assert_eq!(p.title.as_deref(), Some("Bad Request"));
        assert_eq!(p.request_id.as_deref(), Some("r#1"));
        assert_eq!(p.causes, ["a", "b"]);
        assert_eq!(p.retryable, Some(false));
        assert!(p.retry_after.is_some() && p.time.is_some());
        assert_eq!(p.extensions["vendor"], "kept");
        assert!(!p.extensions.contains_key("issues"));
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].location, Some(IssueLocation::Body));
        assert_eq!(p.issues[0].name.as_deref(), Some("items[0].x"));
        assert_eq!(p.issues[0].detail.as_deref(), Some("bad"));
        assert_eq!(p.issues[0].extensions["extra"], 1);
    }

    #[test]
    fn html_and_text_bodies_become_the_detail() {
        let p = InputValidationProblem::from_response(
            StatusCode::BAD_GATEWAY,
            &headers("text/html"),
            b"<html>502 Bad Gateway</html>",
        );
        assert_eq!(p.status, Some(502));
        assert_eq!(p.title.as_deref(), Some("Bad Gateway"));
        assert_eq!(p.detail.as_deref(), Some("<html>502 Bad Gateway</html>"));

        let p = InputValidationProblem::from_response(
            StatusCode::BAD_REQUEST,
            &headers("text/plain"),
            b"record is missing",
        );
        assert_eq!(p.detail.as_deref(), Some("record is missing"));
    }

    #[test]
    fn json_of_another_shape_is_kept_as_text() {
        let p = InputValidationProblem::from_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &headers("application/json"),
            br#"{"message":"boom"}"#,
        );
        assert_eq!(p.status, Some(500));
        assert_eq!(p.detail.as_deref(), Some(r#"{"message":"boom"}"#));
    }

    #[test]
    fn malformed_time_keeps_the_problem() {
        let p = InputValidationProblem::from_response(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("application/problem+json"),
            br#"{"title":"Slow down","retryAfter":"tomorrow"}"#,
        );
        assert_eq!(p.title.as_deref(), Some("Slow down"));
        assert_eq!(p.retry_after, None);
        assert_eq!(p.status, Some(429));
    }

    #[test]
    fn empty_body() {
        let p =
            InputValidationProblem::from_response(StatusCode::NOT_FOUND, &HeaderMap::new(), b"");
        assert_eq!(p.title.as_deref(), Some("Not Found"));
        assert_eq!(p.detail, None);
    }
}
