//! A plain HTTP client for the mock's tests.

#![allow(dead_code, unreachable_pub)]

use ampersand_mock::MockServer;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts the status, printing the body when it differs.
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }

    /// Asserts a problem+json error with this status; returns the problem.
    pub fn problem(self, status: u16) -> Value {
        let resp = self.expect(status);
        assert_eq!(
            resp.content_type(),
            "application/problem+json",
            "{}",
            resp.text()
        );
        let problem = resp.json();
        assert_eq!(problem["status"], status);
        assert!(problem["requestId"].is_string(), "{problem}");
        assert!(problem["remedy"].is_string() || status >= 500, "{problem}");
        problem
    }
}

/// Credentials of a request.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    None,
    Key(&'a str),
    Bearer(&'a str),
}

/// A client bound to one mock.
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    pub api: String,
    pub read: String,
    pub write: String,
    pub search: String,
    pub origin: String,
    pub key: String,
}

impl Http {
    pub fn new(server: &MockServer) -> Http {
        let urls = server.urls();
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
            api: urls.api.clone(),
            read: urls.read.clone(),
            write: urls.write.clone(),
            search: urls.search.clone(),
            origin: urls.api.trim_end_matches("/api/v1").to_owned(),
            key: server.api_key().to_owned(),
        }
    }

    /// Sends a request; `Err` when the connection failed (e.g. dropped by a fault).
    pub async fn try_send(
        &self,
        method: Method,
        url: &str,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Resp, hyper_util::client::legacy::Error> {
        let mut request = Request::builder().method(method).uri(url);
        match auth {
            Auth::None => {}
            Auth::Key(key) => request = request.header("x-api-key", key),
            Auth::Bearer(token) => {
                request = request.header("authorization", format!("Bearer {token}"))
            }
        }
        if !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .client
            .request(request.body(Full::new(body)).unwrap())
            .await?;
        let (parts, body) = response.into_parts();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        })
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> Resp {
        let body = body
            .map(|b| Bytes::from(serde_json::to_vec(b).unwrap()))
            .unwrap_or_default();
        self.try_send(method, url, auth, &[], body)
            .await
            .expect("request failed")
    }

    /// A platform API call with the bootstrap key.
    pub async fn api(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.send(
            method,
            &format!("{}{path}", self.api),
            Auth::Key(&self.key),
            body,
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.api(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.api(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.api(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.api(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.api(Method::DELETE, path, None).await
    }

    /// A platform API call with a Bearer token.
    pub async fn bearer(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.send(
            method,
            &format!("{}{path}", self.api),
            Auth::Bearer("user-jwt"),
            body,
        )
        .await
    }
}

/// The amp.yaml of the tests: a Salesforce integration reading contacts and writing leads.
pub const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: salesforce-sync
    displayName: Salesforce sync
    provider: salesforce
    read:
      objects:
        - objectName: contact
          destination: contactWebhook
          schedule: \"*/10 * * * *\"
          requiredFields:
            - fieldName: email
          optionalFieldsAuto: all
    write:
      objects:
        - objectName: lead
    proxy:
      enabled: true
  - name: apollo-enrich
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: contactWebhook
";
