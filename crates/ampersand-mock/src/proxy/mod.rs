//! The Proxy API host (`/proxy` on the mock's listener): checks the headers and the target as
//! Ampersand does, then answers from a fake provider per installation ([`crm`]).
//!
//! What a caller sees:
//!
//! | request | answer |
//! |---|---|
//! | no `x-amp-proxy-version`, or not `1` | `400` problem |
//! | no `x-api-key`, or an unknown or inactive one | `401` problem |
//! | no `x-amp-project-id` | `400` problem |
//! | `x-amp-project-id` holding the project's *name* | `400` problem saying to send its id |
//! | an unknown project id | `404` problem |
//! | a project key of another project | `403` problem |
//! | no target, or `x-amp-integration-name` without `x-amp-group-ref` (or the reverse) | `400` problem |
//! | `x-amp-installation-id` (wins over the integration and group when all are sent) not in the project | `404` problem |
//! | no installation of the integration for the group | `404` problem |
//! | an integration whose latest revision does not enable `proxy` | `403` problem |
//! | a [`ProxyFault::Throttle`] | `429` problem with `X-Amp-Retry-After` and `X-Amp-Retryable` |
//! | a [`ProxyFault::ProviderStatus`] | that status with the provider's JSON (not a problem) |
//! | otherwise | the fake provider's answer, with `x-amp-installation-id` naming the installation used |
//!
//! Ampersand's own answers are `application/problem+json`; the provider's are
//! `application/json`, so a client can tell them apart.

mod crm;
mod faults;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};

pub use faults::ProxyFault;

use crate::reply::{ApiError, JSON};
use crate::state::{self, State, now, s, uuid};
use crm::{Answer, Crm};
use faults::ProxyFaults;

/// The proxy host's own state: each installation's fake provider, the faults, a counter.
#[derive(Debug, Default)]
pub(crate) struct ProxyHost {
    crms: Mutex<HashMap<String, Crm>>,
    faults: ProxyFaults,
    requests: AtomicU64,
}

impl ProxyHost {
    fn crms(&self) -> MutexGuard<'_, HashMap<String, Crm>> {
        self.crms.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The proxy host of a running mock ([`MockServer::proxy`](crate::MockServer::proxy)): fault
/// knobs, installations to proxy to, and what the fake providers hold.
#[derive(Debug, Clone, Copy)]
pub struct MockProxy<'a> {
    host: &'a ProxyHost,
    state: &'a Mutex<State>,
}

impl<'a> MockProxy<'a> {
    pub(crate) fn new(host: &'a ProxyHost, state: &'a Mutex<State>) -> Self {
        MockProxy { host, state }
    }

    /// Serves `fault` to the next `times` proxied calls (after their headers are checked),
    /// after the faults already queued.
    pub fn push_fault(&self, fault: ProxyFault, times: u32) -> &Self {
        self.host.faults.push(fault, times);
        self
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.host.faults.clear();
    }

    /// How many requests reached the proxy host (refused ones included).
    pub fn requests(&self) -> u64 {
        self.host.requests.load(Ordering::Relaxed)
    }

    /// The records of `object` (`contacts`, `companies`) in an installation's fake provider.
    pub fn records(&self, installation_id: &str, object: &str) -> Vec<Value> {
        self.host
            .crms()
            .get(installation_id)
            .map(|crm| crm.records(object))
            .unwrap_or_default()
    }

    /// The id of the first project (the bootstrap `mock-project` of a fresh mock).
    pub fn project_id(&self) -> Option<String> {
        lock(self.state).projects.keys().next().cloned()
    }

    /// Makes an installation to proxy to in the project `project_id`: the integration
    /// `integration_name` (created with `proxy: {enabled: <proxy_enabled>}` if the project has
    /// none of that name) installed for the group `group_ref`. Returns the installation's id.
    pub fn install(
        &self,
        project_id: &str,
        integration_name: &str,
        group_ref: &str,
        proxy_enabled: bool,
    ) -> String {
        let mut state = lock(self.state);
        let time = now();
        let integration_id = match state
            .integrations
            .values()
            .find(|i| s(i, "projectId") == project_id && s(i, "name") == integration_name)
        {
            Some(integration) => s(integration, "id").to_owned(),
            None => {
                let id = uuid();
                let content = json!({
                    "name": integration_name, "provider": "hubspot",
                    "proxy": {"enabled": proxy_enabled},
                });
                let revision = json!({"id": uuid(), "specVersion": "1.0.0", "createTime": time, "content": content});
                state.integrations.insert(
                    id.clone(),
                    json!({
                        "id": id, "projectId": project_id, "name": integration_name,
                        "provider": "hubspot", "createTime": time, "latestRevision": revision,
                    }),
                );
                id
            }
        };
        let id = uuid();
        let group = json!({"groupRef": group_ref, "groupName": group_ref, "projectId": project_id, "createTime": time});
        state.installations.insert(
            id.clone(),
            json!({
                "id": id, "projectId": project_id, "integrationId": integration_id,
                "group": group, "healthStatus": "healthy", "createTime": time,
                "createdBy": format!("consumer:{group_ref}"),
                "config": {"id": uuid(), "revisionId": "", "createTime": time, "createdBy": "mock", "content": {}},
            }),
        );
        id
    }
}

/// Answers one proxied request; `path_and_query` is what followed `/proxy`.
pub(crate) async fn serve(
    host: &ProxyHost,
    state: &Mutex<State>,
    bootstrap_key: &str,
    parts: &http::request::Parts,
    body: &Bytes,
    request_id: &str,
) -> http::Response<Bytes> {
    host.requests.fetch_add(1, Ordering::Relaxed);
    let mut fault = host.faults.next();
    if let Some(ProxyFault::Latency(delay)) = fault {
        tokio::time::sleep(delay).await;
        fault = None;
    }
    let installation = match check(&lock(state), &parts.headers, bootstrap_key) {
        Ok(installation) => installation,
        Err(error) => return error.into_response(request_id),
    };
    let answer = match fault {
        Some(ProxyFault::Throttle {
            retry_after,
            retryable,
        }) => {
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "the proxy's rate limit for this installation is exceeded",
            )
            .remedy("Wait until X-Amp-Retry-After, or send X-Amp-Rate-Limiter-Mode: throttle.")
            .into_response(request_id);
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&retry_after) {
                headers.insert("x-amp-retry-after", value);
            }
            headers.insert(
                "x-amp-retryable",
                HeaderValue::from_static(if retryable { "true" } else { "false" }),
            );
            return response;
        }
        Some(ProxyFault::ProviderStatus(code)) => Answer::error(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "the provider failed (injected by the mock)",
        ),
        Some(ProxyFault::Latency(_)) | None => {
            // The provider's view: everything after the `/proxy` prefix, as sent.
            let path = parts.uri.path().strip_prefix("/proxy").unwrap_or_default();
            let path_and_query = parts.uri.path_and_query().map_or("", |pq| pq.as_str());
            let path_and_query = path_and_query.strip_prefix("/proxy").unwrap_or_default();
            host.crms().entry(installation.clone()).or_default().answer(
                &parts.method,
                path,
                path_and_query,
                parts.uri.query(),
                body,
            )
        }
    };
    let has_body = !answer.body.is_empty();
    let mut response = http::Response::new(answer.body);
    *response.status_mut() = answer.status;
    let headers = response.headers_mut();
    if has_body {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    }
    if let Ok(value) = HeaderValue::from_str(&installation) {
        headers.insert("x-amp-installation-id", value);
    }
    response
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn bad_request(detail: impl Into<String>, remedy: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, detail).remedy(remedy)
}

/// Checks the headers and the target; the installation's id, or the problem Ampersand answers.
fn check(state: &State, headers: &HeaderMap, bootstrap_key: &str) -> Result<String, ApiError> {
    match header(headers, "x-amp-proxy-version") {
        Some("1") => {}
        Some(other) => {
            return Err(bad_request(
                format!("x-amp-proxy-version `{other}` is not supported"),
                "Send `x-amp-proxy-version: 1`.",
            ));
        }
        None => {
            return Err(bad_request(
                "the x-amp-proxy-version header is missing",
                "Send `x-amp-proxy-version: 1`.",
            ));
        }
    }
    let key_project = match header(headers, "x-api-key") {
        None => {
            return Err(ApiError::unauthorized(
                "missing credentials: send X-Api-Key",
            ));
        }
        Some(key) if key == bootstrap_key => None,
        Some(key) => match state.api_keys.get(key) {
            Some(k) if k["active"].as_bool() != Some(false) => {
                Some(state::s(k, "projectId").to_owned())
            }
            Some(_) => return Err(ApiError::unauthorized("the API key is inactive")),
            None => return Err(ApiError::unauthorized("the API key is not known")),
        },
    };
    let Some(project_id) = header(headers, "x-amp-project-id") else {
        return Err(bad_request(
            "the x-amp-project-id header is missing",
            "Send your project's ID (General Settings in the dashboard) in x-amp-project-id.",
        ));
    };
    if !state.projects.contains_key(project_id) {
        if let Some(project) = state
            .projects
            .values()
            .find(|p| p["name"].as_str() == Some(project_id))
        {
            return Err(bad_request(
                format!(
                    "x-amp-project-id `{project_id}` is a project name; the proxy takes the \
                     project's ID ({})",
                    s(project, "id")
                ),
                "Send the project's ID, not its name, in x-amp-project-id.",
            ));
        }
        return Err(ApiError::not_found("project", project_id));
    }
    if key_project.as_deref().is_some_and(|p| p != project_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("the API key does not belong to project {project_id}"),
        )
        .remedy("Use an API key of the project named in x-amp-project-id."));
    }
    let installation = target(state, headers, project_id)?;
    let integration = state
        .integrations
        .get(s(&installation, "integrationId"))
        .cloned()
        .unwrap_or(Value::Null);
    if integration["latestRevision"]["content"]["proxy"]["enabled"].as_bool() != Some(true) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the proxy is not enabled for integration '{}'",
                s(&integration, "name")
            ),
        )
        .remedy("Add `proxy: {enabled: true}` to the integration in amp.yaml and deploy it."));
    }
    Ok(s(&installation, "id").to_owned())
}

/// The installation a request targets: `x-amp-installation-id` when sent (it wins), else the
/// integration named by `x-amp-integration-name` installed for `x-amp-group-ref`.
fn target(state: &State, headers: &HeaderMap, project_id: &str) -> Result<Value, ApiError> {
    if let Some(id) = header(headers, "x-amp-installation-id") {
        return state
            .installations
            .get(id)
            .filter(|i| s(i, "projectId") == project_id)
            .cloned()
            .ok_or_else(|| ApiError::not_found("installation", id));
    }
    let remedy = "Send x-amp-installation-id, or x-amp-integration-name with x-amp-group-ref.";
    let (name, group_ref) = match (
        header(headers, "x-amp-integration-name"),
        header(headers, "x-amp-group-ref"),
    ) {
        (Some(name), Some(group_ref)) => (name, group_ref),
        (Some(_), None) => {
            return Err(bad_request(
                "x-amp-integration-name was sent without x-amp-group-ref",
                remedy,
            ));
        }
        (None, Some(_)) => {
            return Err(bad_request(
                "x-amp-group-ref was sent without x-amp-integration-name",
                remedy,
            ));
        }
        (None, None) => return Err(bad_request("the request names no installation", remedy)),
    };
    let integration = state
        .integrations
        .values()
        .find(|i| s(i, "projectId") == project_id && s(i, "name") == name)
        .ok_or_else(|| ApiError::not_found("integration", name))?;
    state
        .installations
        .values()
        .find(|i| {
            s(i, "integrationId") == s(integration, "id") && s(&i["group"], "groupRef") == group_ref
        })
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found("installation", &format!("{name} for group {group_ref}"))
                .remedy("Install the integration for this group first.")
        })
}
