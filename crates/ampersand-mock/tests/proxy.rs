//! The proxy host: its header and target rules, each refusal with the problem a user would see,
//! and its fault knobs. Raw HTTP, so that requests the SDK never sends can be tried.

mod common;

use std::time::Duration;

use ampersand_mock::{MockServer, ProxyFault};
use bytes::Bytes;
use common::{Auth, Http, Resp};
use http::Method;

struct Proxy {
    http: Http,
    url: String,
    key: String,
    project: String,
    installation: String,
}

async fn proxy_host(server: &MockServer) -> Proxy {
    let project = server.proxy().project_id().unwrap();
    let installation = server.proxy().install(&project, "crm", "customer-1", true);
    Proxy {
        http: Http::new(server),
        url: format!("{}/echo", server.urls().proxy),
        key: server.api_key().to_owned(),
        project,
        installation,
    }
}

impl Proxy {
    async fn send(&self, auth: Auth<'_>, headers: &[(&str, &str)]) -> Resp {
        self.http
            .try_send(Method::GET, &self.url, auth, headers, Bytes::new())
            .await
            .expect("the mock answers")
    }

    /// The headers of a complete request to the installation, minus those named in `without`.
    fn headers<'a>(&'a self, without: &[&str]) -> Vec<(&'a str, &'a str)> {
        [
            ("x-amp-proxy-version", "1"),
            ("x-amp-project-id", self.project.as_str()),
            ("x-amp-installation-id", self.installation.as_str()),
        ]
        .into_iter()
        .filter(|(name, _)| !without.contains(name))
        .collect()
    }
}

fn detail(problem: &serde_json::Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn proxy_host_checks_the_required_headers() {
    let server = MockServer::start().await.unwrap();
    let proxy = proxy_host(&server).await;
    let key = Auth::Key(&proxy.key);

    let ok = proxy.send(key, &proxy.headers(&[])).await.expect(200);
    assert_eq!(ok.content_type(), "application/json");
    assert_eq!(ok.json()["pathAndQuery"], "/echo");

    let problem = proxy
        .send(key, &proxy.headers(&["x-amp-proxy-version"]))
        .await
        .problem(400);
    assert!(
        detail(&problem).contains("x-amp-proxy-version"),
        "{problem}"
    );
    let mut wrong_version = proxy.headers(&["x-amp-proxy-version"]);
    wrong_version.push(("x-amp-proxy-version", "2"));
    proxy.send(key, &wrong_version).await.problem(400);

    let problem = proxy
        .send(Auth::None, &proxy.headers(&[]))
        .await
        .problem(401);
    assert!(detail(&problem).contains("X-Api-Key"), "{problem}");
    proxy
        .send(Auth::Key("amp_unknown"), &proxy.headers(&[]))
        .await
        .problem(401);

    let problem = proxy
        .send(key, &proxy.headers(&["x-amp-project-id"]))
        .await
        .problem(400);
    assert!(detail(&problem).contains("x-amp-project-id"), "{problem}");
    let mut by_name = proxy.headers(&["x-amp-project-id"]);
    by_name.push(("x-amp-project-id", "mock-project"));
    let problem = proxy.send(key, &by_name).await.problem(400);
    assert!(detail(&problem).contains(&proxy.project), "{problem}");
    let mut unknown = proxy.headers(&["x-amp-project-id"]);
    unknown.push(("x-amp-project-id", "no-such-project"));
    proxy.send(key, &unknown).await.problem(404);
}

#[tokio::test]
async fn proxy_host_target_rules() {
    let server = MockServer::start().await.unwrap();
    let proxy = proxy_host(&server).await;
    let key = Auth::Key(&proxy.key);
    let other = server
        .proxy()
        .install(&proxy.project, "crm", "customer-2", true);
    let answered_by = |resp: Resp| {
        resp.expect(200).headers["x-amp-installation-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };

    let mut group = proxy.headers(&["x-amp-installation-id"]);
    group.extend([
        ("x-amp-integration-name", "crm"),
        ("x-amp-group-ref", "customer-2"),
    ]);
    assert_eq!(answered_by(proxy.send(key, &group).await), other);
    // With all three, the installation id wins.
    let mut all = proxy.headers(&[]);
    all.extend([
        ("x-amp-integration-name", "crm"),
        ("x-amp-group-ref", "customer-2"),
    ]);
    assert_eq!(answered_by(proxy.send(key, &all).await), proxy.installation);

    let none = proxy.headers(&["x-amp-installation-id"]);
    proxy.send(key, &none).await.problem(400);
    let mut half = none.clone();
    half.push(("x-amp-integration-name", "crm"));
    let problem = proxy.send(key, &half).await.problem(400);
    assert!(detail(&problem).contains("x-amp-group-ref"), "{problem}");
    let mut missing_group = none.clone();
    missing_group.extend([
        ("x-amp-integration-name", "crm"),
        ("x-amp-group-ref", "nobody"),
    ]);
    proxy.send(key, &missing_group).await.problem(404);
    let mut unknown = none.clone();
    unknown.push(("x-amp-installation-id", "no-such-installation"));
    proxy.send(key, &unknown).await.problem(404);

    let disabled = server
        .proxy()
        .install(&proxy.project, "no-proxy", "customer-1", false);
    let mut off = none;
    off.push(("x-amp-installation-id", disabled.as_str()));
    let problem = proxy.send(key, &off).await.problem(403);
    assert!(detail(&problem).contains("not enabled"), "{problem}");
}

#[tokio::test]
async fn proxy_host_fault_knobs() {
    let server = MockServer::start().await.unwrap();
    let proxy = proxy_host(&server).await;
    let key = Auth::Key(&proxy.key);
    let headers = proxy.headers(&[]);

    server
        .proxy()
        .push_fault(
            ProxyFault::Throttle {
                retry_after: "Thu, 06 Mar 2025 22:09:49 UTC".into(),
                retryable: false,
            },
            1,
        )
        .push_fault(ProxyFault::ProviderStatus(502), 1)
        .push_fault(ProxyFault::Latency(Duration::from_millis(1)), 1);

    let throttled = proxy.send(key, &headers).await;
    assert_eq!(
        throttled.headers["x-amp-retry-after"],
        "Thu, 06 Mar 2025 22:09:49 UTC"
    );
    assert_eq!(throttled.headers["x-amp-retryable"], "false");
    throttled.problem(429);

    let failed = proxy.send(key, &headers).await.expect(502);
    assert_eq!(failed.content_type(), "application/json");
    assert_eq!(failed.json()["status"], "error");

    proxy.send(key, &headers).await.expect(200); // after the latency
    proxy.send(key, &headers).await.expect(200); // the queue is empty
    assert_eq!(server.proxy().requests(), 4);

    let at = ProxyFault::throttle_for(Duration::from_secs(30), true);
    let ProxyFault::Throttle { retry_after, .. } = &at else {
        panic!("a throttle")
    };
    assert!(retry_after.ends_with(" UTC"), "{retry_after}");
}
