//! The identity layer against a loopback server.

mod loopback;

use ampersand_core::ErrorKind;
use ampersand_layers::identity::IdentityLayer;
use loopback::{GET_PROJECT, Server, request, transport};
use tower::{Layer, ServiceExt};

#[tokio::test]
async fn sends_user_agent_and_client_headers() {
    let server = Server::ok().await;
    IdentityLayer::with_version("1.2.3")
        .unwrap()
        .layer(transport())
        .oneshot(request(&GET_PROJECT, &server.url("/projects/p")))
        .await
        .unwrap();
    let headers = &server.seen()[0].headers;
    let version = "1.2.3";
    assert_eq!(
        headers["user-agent"],
        format!("ampersand-rust/{version}").as_str()
    );
    assert_eq!(headers["x-amp-client"], "ampersand-rust");
    assert_eq!(headers["x-amp-client-version"], version);
}

#[tokio::test]
async fn keeps_a_user_agent_the_caller_set() {
    let server = Server::ok().await;
    let mut req = request(&GET_PROJECT, &server.url("/projects/p"));
    req.headers_mut()
        .insert("user-agent", "my-app/2.0".parse().unwrap());
    IdentityLayer::with_version("9.9.9")
        .unwrap()
        .layer(transport())
        .oneshot(req)
        .await
        .unwrap();
    let headers = &server.seen()[0].headers;
    assert_eq!(headers["user-agent"], "my-app/2.0");
    assert_eq!(headers["x-amp-client"], "ampersand-rust");
    assert_eq!(headers["x-amp-client-version"], "9.9.9");
}

#[test]
fn an_invalid_version_is_a_config_error() {
    let error = IdentityLayer::with_version("1.0\n").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
}
