//! RFC 9457 problem details, as Ampersand's `problem/problem.yaml` defines them.
//!
//! [`Problem`] is the RFC's object; [`ApiProblem`] adds Ampersand's fields (requestId, causes,
//! remedy, retryable, retryAfter, ...); [`InputValidationProblem`] adds the `issues` of a
//! rejected input. Each derefs to the one it extends, and unknown members are kept in
//! [`ApiProblem::extensions`].
//!
//! Problems are decoded member by member, since a server in trouble is exactly the one that
//! may send an odd member: a member whose value does not have the expected type (a `status`
//! of `70000`, a `retryable` of `"yes"`, a malformed `time`) is left out of its field and kept
//! among the extensions as it came, and every other member is still read. A `null` member is
//! absent. `validationIssues` (the JWT-key operations' examples use it) is read like
//! `issues`, and an issue's `field` like its `name`.
//!
//! [`InputValidationProblem::from_response`] turns any error response into a problem: a
//! `problem+json` or problem-shaped `application/json` body is parsed; any other body (a proxy's
//! HTML page, the write API's `text/plain`) is kept as the detail, so nothing is lost.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// The longest body text kept as the detail of a problem built from a non-problem body.
pub const MAX_DETAIL_FROM_BODY: usize = 2048;

/// A Problem Details object (RFC 9457).
///
/// Decoded member by member (see the [module docs](self)); a member of the wrong type is
/// left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Problem {
    /// An absolute URI that identifies the problem type (`about:blank` when absent).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// A URI with human-readable documentation for the problem type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// A short summary of the problem type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status code the origin server generated for this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A human-readable explanation specific to this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI that identifies this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl Problem {
    /// The problem type, `about:blank` when the server sent none.
    pub fn problem_type(&self) -> &str {
        self.type_.as_deref().unwrap_or("about:blank")
    }
}

/// An Ampersand API problem: [`Problem`] plus Ampersand's fields.
///
/// Decoded member by member (see the [module docs](self)): a member of the wrong type is
/// kept in [`extensions`](Self::extensions) instead of its field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiProblem {
    /// The RFC 9457 members.
    #[serde(flatten)]
    pub problem: Problem,
    /// The subsystem that generated the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsystem: Option<String>,
    /// When the problem occurred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// A unique identifier of the request, for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// What caused the problem, in no particular order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// How to resolve the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// An email address to contact for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    /// A phone number to contact for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_phone: Option<String>,
    /// A URL to contact for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    /// Whether the request can be retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// A time after which the request can be retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<DateTime<Utc>>,
    /// Additional context for the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
    /// Members this version of the SDK does not know, and members whose value did not have
    /// the expected type, kept as they came.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
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
///
/// Decoded member by member, like [`ApiProblem`]; `field` is read as the `name` when there is
/// no `name`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputValidationIssue {
    /// Where the invalid input is.
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<IssueLocation>,
    /// The name of the invalid input (a JSON path for body fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The erroneous value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
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
/// Decoded member by member, like [`ApiProblem`]; the issues come from `issues` and
/// `validationIssues`, and an issue that is not an object is left out (the whole member is
/// then also kept among the extensions).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputValidationProblem {
    /// The issues found, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
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

/// The members of a JSON object, taken out one at a time as each field is decoded; what is
/// left at the end becomes the extensions.
struct Members(Map<String, Value>);

impl Members {
    /// The member `name` decoded as `T`, taken out of the map. A `null` member is taken out
    /// and absent; a member `T` cannot decode stays in the map, to be kept as an extension.
    fn take<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        self.take_with(name, |value| T::deserialize(value).ok())
    }

    /// The member `name` read by `read`, taken out of the map when `read` returns a value.
    fn take_with<T>(&mut self, name: &str, read: impl FnOnce(&Value) -> Option<T>) -> Option<T> {
        let value = self.0.get(name)?;
        if value.is_null() {
            self.0.remove(name);
            return None;
        }
        let decoded = read(value)?;
        self.0.remove(name);
        Some(decoded)
    }

    /// An RFC 3339 timestamp.
    fn take_time(&mut self, name: &str) -> Option<DateTime<Utc>> {
        self.take_with(name, |value| {
            let at = DateTime::parse_from_rfc3339(value.as_str()?).ok()?;
            Some(at.with_timezone(&Utc))
        })
    }

    /// An array of issues. An item that is not an object is left out, and the whole member
    /// then stays in the map too, so that nothing the server sent is lost.
    fn take_issues(&mut self, name: &str) -> Vec<InputValidationIssue> {
        let items = match self.0.remove(name) {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => return Vec::new(),
            Some(other) => {
                self.0.insert(name.to_owned(), other);
                return Vec::new();
            }
        };
        let issues = items
            .iter()
            .filter_map(Value::as_object)
            .map(|issue| InputValidationIssue::from_members(Members(issue.clone())))
            .collect::<Vec<_>>();
        if issues.len() < items.len() {
            self.0.insert(name.to_owned(), Value::Array(items));
        }
        issues
    }
}

impl Problem {
    fn from_members(members: &mut Members) -> Self {
        Problem {
            type_: members.take("type"),
            href: members.take("href"),
            title: members.take("title"),
            status: members.take("status"),
            detail: members.take("detail"),
            instance: members.take("instance"),
        }
    }
}

impl ApiProblem {
    /// Takes every member it knows; the rest become its extensions.
    fn from_members(mut members: Members) -> Self {
        ApiProblem {
            problem: Problem::from_members(&mut members),
            subsystem: members.take("subsystem"),
            time: members.take_time("time"),
            request_id: members.take("requestId"),
            causes: members.take("causes").unwrap_or_default(),
            remedy: members.take("remedy"),
            support_email: members.take("supportEmail"),
            support_phone: members.take("supportPhone"),
            support_url: members.take("supportUrl"),
            retryable: members.take("retryable"),
            retry_after: members.take_time("retryAfter"),
            context: members.take("context"),
            extensions: members.0,
        }
    }
}

impl InputValidationIssue {
    fn from_members(mut members: Members) -> Self {
        let location = members.take("in");
        let name = members.take("name").or_else(|| members.take("field"));
        let value = members.take("value");
        InputValidationIssue {
            location,
            name,
            value,
            problem: ApiProblem::from_members(members),
        }
    }
}

impl InputValidationProblem {
    fn from_members(mut members: Members) -> Self {
        let mut issues = members.take_issues("issues");
        issues.extend(members.take_issues("validationIssues"));
        InputValidationProblem {
            issues,
            problem: ApiProblem::from_members(members),
        }
    }
}

/// Each problem type deserializes from any JSON object, member by member (see the
/// [module docs](self)); only a value that is not an object is an error.
macro_rules! deserialize_by_members {
    ($($name:ty => $from:expr;)*) => {$(
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let members = Members(Map::deserialize(deserializer)?);
                Ok($from(members))
            }
        }
    )*};
}

deserialize_by_members! {
    Problem => |mut members: Members| Problem::from_members(&mut members);
    ApiProblem => ApiProblem::from_members;
    InputValidationIssue => InputValidationIssue::from_members;
    InputValidationProblem => InputValidationProblem::from_members;
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
        assert_eq!(p.extensions["retryAfter"], "tomorrow");
    }

    fn problem_json(body: &str) -> InputValidationProblem {
        InputValidationProblem::from_response(
            StatusCode::BAD_REQUEST,
            &headers("application/problem+json"),
            body.as_bytes(),
        )
    }

    /// Every member of a problem, well typed: each row breaks one of them.
    const GOOD: &str = r#"{"type":"urn:t","href":"https://h","title":"T","status":400,
        "detail":"D","instance":"/i","subsystem":"api","time":"2024-04-22T18:55:28Z",
        "requestId":"R","causes":["c"],"remedy":"M","supportEmail":"e","supportPhone":"p",
        "supportUrl":"u","retryable":true,"retryAfter":"2024-04-22T18:55:28Z",
        "context":{"k":1},"issues":[{"name":"n","detail":"bad"}]}"#;

    #[test]
    fn a_mistyped_member_is_kept_as_an_extension_and_the_others_stay() {
        let good = problem_json(GOOD);
        assert!(good.extensions.is_empty(), "{:?}", good.extensions);
        let rows: &[(&str, serde_json::Value)] = &[
            ("type", serde_json::json!(7)),
            ("href", serde_json::json!(["x"])),
            ("title", serde_json::json!({"a": 1})),
            ("status", serde_json::json!(70000)),
            ("status", serde_json::json!(-1)),
            ("status", serde_json::json!("400")),
            ("detail", serde_json::json!(false)),
            ("instance", serde_json::json!(1.5)),
            ("subsystem", serde_json::json!([])),
            ("time", serde_json::json!("yesterday")),
            ("time", serde_json::json!(1713811728)),
            ("requestId", serde_json::json!(12345)),
            ("causes", serde_json::json!("one cause")),
            ("causes", serde_json::json!(["a", 2])),
            ("remedy", serde_json::json!({})),
            ("supportEmail", serde_json::json!(1)),
            ("supportPhone", serde_json::json!(5551234)),
            ("supportUrl", serde_json::json!(true)),
            ("retryable", serde_json::json!("yes")),
            ("retryAfter", serde_json::json!(30)),
            ("context", serde_json::json!("text")),
            ("issues", serde_json::json!("none")),
            ("issues", serde_json::json!({"name": "n"})),
        ];
        for (member, bad) in rows {
            let mut body: serde_json::Value = serde_json::from_str(GOOD).unwrap();
            body[*member] = bad.clone();
            let p = problem_json(&body.to_string());
            let want = serde_json::Map::from_iter([(member.to_string(), bad.clone())]);
            assert_eq!(p.extensions, want, "{member} = {bad}");
            // Every other member is still read.
            let mut expected = good.clone();
            expected.problem.extensions = want;
            match *member {
                "type" => expected.problem.problem.type_ = None,
                "href" => expected.problem.problem.href = None,
                "title" => expected.problem.problem.title = None,
                // The status comes from the response when the body has none.
                "status" => expected.problem.problem.status = Some(400),
                "detail" => expected.problem.problem.detail = None,
                "instance" => expected.problem.problem.instance = None,
                "subsystem" => expected.problem.subsystem = None,
                "time" => expected.problem.time = None,
                "requestId" => expected.problem.request_id = None,
                "causes" => expected.problem.causes = Vec::new(),
                "remedy" => expected.problem.remedy = None,
                "supportEmail" => expected.problem.support_email = None,
                "supportPhone" => expected.problem.support_phone = None,
                "supportUrl" => expected.problem.support_url = None,
                "retryable" => expected.problem.retryable = None,
                "retryAfter" => expected.problem.retry_after = None,
                "context" => expected.problem.context = None,
                "issues" => expected.issues = Vec::new(),
                other => unreachable!("no row for {other}"),
            }
            assert_eq!(p, expected, "{member} = {bad}");
        }
    }

    #[test]
    fn the_issue_of_the_report_keeps_every_other_member() {
        let p = problem_json(
            r#"{"title":"Bad Request","status":70000,"detail":"name is taken",
                "requestId":"req-7","retryable":false,
                "issues":[{"in":"body","name":"name","detail":"taken"}]}"#,
        );
        assert_eq!(p.status, Some(400));
        assert_eq!(p.extensions["status"], 70000);
        assert_eq!(p.detail.as_deref(), Some("name is taken"));
        assert_eq!(p.request_id.as_deref(), Some("req-7"));
        assert_eq!(p.retryable, Some(false));
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].name.as_deref(), Some("name"));
    }

    #[test]
    fn issues_are_decoded_member_by_member_too() {
        let p = problem_json(
            r#"{"title":"Bad Request","issues":[
                {"in":"body","name":7,"value":{"x":1},"detail":"bad","retryable":"no"},
                "not an issue",
                {"in":"query","name":"limit"}]}"#,
        );
        assert_eq!(p.issues.len(), 2);
        assert_eq!(p.issues[0].location, Some(IssueLocation::Body));
        assert_eq!(p.issues[0].name, None);
        assert_eq!(p.issues[0].value, Some(serde_json::json!({"x": 1})));
        assert_eq!(p.issues[0].detail.as_deref(), Some("bad"));
        assert_eq!(p.issues[0].extensions["name"], 7);
        assert_eq!(p.issues[0].extensions["retryable"], "no");
        assert_eq!(p.issues[1].location, Some(IssueLocation::Query));
        // One item was not an issue: the member is kept whole as well.
        assert_eq!(p.extensions["issues"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn validation_issues_are_read_like_issues() {
        // The JWT-key operations' 400 example in the spec.
        let p = problem_json(
            r#"{"type":"https://httpstatuses.com/400","title":"Bad Request","status":400,
                "detail":"unsupported algorithm","validationIssues":[{"field":"algorithm",
                "value":"ECDSA","detail":"only RSA algorithm is supported",
                "remedy":"use 'RSA' as the algorithm"}]}"#,
        );
        assert!(p.extensions.is_empty(), "{:?}", p.extensions);
        assert_eq!(p.issues.len(), 1);
        let issue = &p.issues[0];
        assert_eq!(issue.name.as_deref(), Some("algorithm"));
        assert_eq!(issue.value, Some(serde_json::json!("ECDSA")));
        assert_eq!(
            issue.detail.as_deref(),
            Some("only RSA algorithm is supported")
        );
        assert_eq!(issue.remedy.as_deref(), Some("use 'RSA' as the algorithm"));

        let both = problem_json(
            r#"{"title":"T","issues":[{"name":"a"}],"validationIssues":[{"name":"b"}]}"#,
        );
        let names: Vec<_> = both.issues.iter().map(|i| i.name.as_deref()).collect();
        assert_eq!(names, [Some("a"), Some("b")]);
    }

    #[test]
    fn null_members_are_absent_and_not_extensions() {
        let p = problem_json(r#"{"title":"T","detail":null,"issues":null,"vendor":null}"#);
        assert_eq!(p.detail, None);
        assert!(p.issues.is_empty());
        assert_eq!(p.extensions.len(), 1);
        assert_eq!(p.extensions["vendor"], serde_json::Value::Null);
    }

    #[test]
    fn serde_deserialize_is_member_by_member_as_well() {
        let p: ApiProblem =
            serde_json::from_str(r#"{"title":"T","status":"oops","requestId":"r"}"#).unwrap();
        assert_eq!(p.title.as_deref(), Some("T"));
        assert_eq!(p.status, None);
        assert_eq!(p.request_id.as_deref(), Some("r"));
        assert_eq!(p.extensions["status"], "oops");
        let p: Problem = serde_json::from_str(r#"{"title":"T","status":true}"#).unwrap();
        assert_eq!((p.title.as_deref(), p.status), (Some("T"), None));
        assert!(serde_json::from_str::<ApiProblem>("[1]").is_err());
    }

    #[test]
    fn empty_body() {
        let p =
            InputValidationProblem::from_response(StatusCode::NOT_FOUND, &HeaderMap::new(), b"");
        assert_eq!(p.title.as_deref(), Some("Not Found"));
        assert_eq!(p.detail, None);
    }
}
