//! What a handler answers: a success [`Reply`] or an [`ApiError`] that renders as a problem.

use ampersand_core::problem::{
    ApiProblem, InputValidationIssue, InputValidationProblem, IssueLocation,
};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

/// Media type of JSON bodies.
pub(crate) const JSON: &str = "application/json";
/// Media type of RFC 9457 problem bodies.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";
/// Media type of text bodies.
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) body: Bytes,
}

impl Reply {
    /// A JSON body with the given status.
    pub(crate) fn json(status: StatusCode, value: &Value) -> Reply {
        Reply {
            status,
            content_type: Some(JSON),
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    /// `200 OK` with a JSON body.
    pub(crate) fn ok(value: Value) -> Reply {
        Reply::json(StatusCode::OK, &value)
    }

    /// `201 Created` with a JSON body.
    pub(crate) fn created(value: Value) -> Reply {
        Reply::json(StatusCode::CREATED, &value)
    }

    /// A status with no body (`201` and `204` where the spec declares no content).
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            content_type: None,
            body: Bytes::new(),
        }
    }

    /// `204 No Content`.
    pub(crate) fn no_content() -> Reply {
        Reply::empty(StatusCode::NO_CONTENT)
    }

    /// A `text/plain` body.
    pub(crate) fn text(status: StatusCode, text: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: Some(TEXT),
            body: Bytes::from(text.into()),
        }
    }
}

/// One invalid input, rendered as an `issues[]` entry.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub(crate) location: IssueLocation,
    pub(crate) name: String,
    pub(crate) detail: String,
    pub(crate) value: Option<Value>,
}

impl Issue {
    /// An issue in the request body at a JSON path.
    pub(crate) fn body(name: impl Into<String>, detail: impl Into<String>) -> Issue {
        Issue {
            location: IssueLocation::Body,
            name: name.into(),
            detail: detail.into(),
            value: None,
        }
    }

    /// An issue in a query parameter.
    pub(crate) fn query(name: impl Into<String>, detail: impl Into<String>) -> Issue {
        Issue {
            location: IssueLocation::Query,
            name: name.into(),
            detail: detail.into(),
            value: None,
        }
    }

    /// The same issue, carrying the offending value.
    pub(crate) fn with_value(mut self, value: Value) -> Issue {
        self.value = Some(value);
        self
    }
}

/// How an error body is encoded, which differs between the specs' operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    /// `application/problem+json` (almost everything).
    Problem,
    /// A problem object sent as `application/json` (JWT keys, the read and search APIs' 400/500).
    JsonProblem,
    /// `text/plain` (the write API's 400).
    Text,
}

/// A failed request, rendered as an RFC 9457 problem.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) detail: String,
    pub(crate) remedy: Option<String>,
    pub(crate) issues: Vec<Issue>,
    pub(crate) format: ErrorFormat,
    pub(crate) retry_after_secs: Option<u64>,
}

/// What handlers return.
pub(crate) type HandlerResult = Result<Reply, ApiError>;

impl ApiError {
    /// An error with a status and a human-readable detail.
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            remedy: None,
            issues: Vec::new(),
            format: ErrorFormat::Problem,
            retry_after_secs: None,
        }
    }

    /// `404 Not Found` for an unknown reference.
    pub(crate) fn not_found(kind: &str, reference: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{kind} '{reference}' was not found"),
        )
        .remedy(format!(
            "Check the {kind} ID or name; list the {kind}s to see which exist."
        ))
    }

    /// An input validation problem with its issues.
    pub(crate) fn invalid(status: StatusCode, issues: Vec<Issue>) -> ApiError {
        let detail = issues
            .iter()
            .map(|i| format!("{}: {}", i.name, i.detail))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            issues,
            ..ApiError::new(status, detail)
        }
        .remedy("Fix the inputs listed in `issues` and send the request again.")
    }

    /// A conflict with an existing resource.
    pub(crate) fn conflict(status: StatusCode, issue: Issue) -> ApiError {
        let detail = issue.detail.clone();
        ApiError {
            issues: vec![issue],
            ..ApiError::new(status, detail)
        }
        .remedy("Choose another name, or update the existing resource instead.")
    }

    /// `401 Unauthorized`.
    pub(crate) fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, detail).remedy(
            "Send a known API key in the X-Api-Key header, or `Authorization: Bearer <token>` \
             for operations that accept a Bearer token.",
        )
    }

    /// Sets the remedy.
    pub(crate) fn remedy(mut self, remedy: impl Into<String>) -> ApiError {
        self.remedy = Some(remedy.into());
        self
    }

    /// Sets the body format.
    pub(crate) fn format(mut self, format: ErrorFormat) -> ApiError {
        self.format = format;
        self
    }

    /// The problem object this error renders as.
    ///
    /// Its `instance` is `urn:uuid:<requestId>`: the spec's problem schema declares
    /// `instance` as `format: uri` ("an absolute URI that identifies the specific occurrence
    /// of the problem", with a `urn:uuid:` example). RFC 9457 would also allow a relative
    /// reference, but a relative path is not a `uri` in the OpenAPI sense, so the mock sends an
    /// absolute URI naming the occurrence, not the request path.
    pub(crate) fn to_problem(&self, request_id: &str) -> InputValidationProblem {
        let mut api = ApiProblem::default();
        api.problem.title = self.status.canonical_reason().map(str::to_owned);
        api.problem.status = Some(self.status.as_u16());
        api.problem.detail = Some(self.detail.clone());
        api.problem.instance = Some(format!("urn:uuid:{request_id}"));
        api.subsystem = Some("ampersand-mock".to_owned());
        api.time = Some(chrono::Utc::now());
        api.request_id = Some(request_id.to_owned());
        api.remedy = self.remedy.clone();
        api.retryable =
            Some(self.status == StatusCode::TOO_MANY_REQUESTS || self.status.is_server_error());
        if let Some(secs) = self.retry_after_secs {
            api.retry_after = Some(chrono::Utc::now() + chrono::Duration::seconds(secs as i64));
        }
        let mut problem = InputValidationProblem::default();
        problem.problem = api;
        problem.issues = self
            .issues
            .iter()
            .map(|issue| {
                let mut out = InputValidationIssue::default();
                out.location = Some(issue.location.clone());
                out.name = Some(issue.name.clone());
                out.value = issue.value.clone();
                out.problem.problem.detail = Some(issue.detail.clone());
                out.problem.problem.title = Some("Invalid input".to_owned());
                out
            })
            .collect();
        problem
    }

    /// Renders the error as a response.
    pub(crate) fn into_response(self, request_id: &str) -> http::Response<Bytes> {
        let (content_type, body) = match self.format {
            ErrorFormat::Text => (TEXT, Bytes::from(self.detail.clone())),
            ErrorFormat::Problem | ErrorFormat::JsonProblem => {
                let problem = self.to_problem(request_id);
                let ct = if self.format == ErrorFormat::Problem {
                    PROBLEM_JSON
                } else {
                    JSON
                };
                (
                    ct,
                    Bytes::from(serde_json::to_vec(&problem).unwrap_or_default()),
                )
            }
        };
        let mut response = http::Response::new(body);
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
