//! The identity headers name the `ampersand` crate and its version, and can be left out.

use std::sync::{Arc, Mutex};

use ampersand::Client;
use ampersand::resources::providers::ListProviders;
use bytes::Bytes;

/// A client whose transport records each request's headers and answers `{}`.
fn recording_client(identity: bool) -> (Client, Arc<Mutex<Vec<http::HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let transport = {
        let seen = Arc::clone(&seen);
        tower::service_fn(move |request: http::Request<Bytes>| {
            seen.lock().unwrap().push(request.headers().clone());
            async move {
                let response = http::Response::builder()
                    .header("content-type", "application/json")
                    .body(Bytes::from_static(b"{}"))
                    .unwrap();
                Ok::<_, ampersand::Error>(response)
            }
        })
    };
    let client = Client::builder()
        .transport(transport)
        .identity_headers(identity)
        .build()
        .expect("client");
    (client, seen)
}

#[tokio::test]
async fn identity_headers_carry_the_facade_s_version() {
    let (client, seen) = recording_client(true);
    client.send(ListProviders::new()).await.unwrap();
    let headers = &seen.lock().unwrap()[0];
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(headers["user-agent"], format!("ampersand-rust/{version}"));
    assert_eq!(headers["x-amp-client"], "ampersand-rust");
    assert_eq!(headers["x-amp-client-version"], version);
}

#[tokio::test]
async fn identity_headers_turned_off_are_not_sent() {
    let (client, seen) = recording_client(false);
    client.send(ListProviders::new()).await.unwrap();
    let headers = &seen.lock().unwrap()[0];
    for name in ["user-agent", "x-amp-client", "x-amp-client-version"] {
        assert!(!headers.contains_key(name), "{name} in {headers:?}");
    }
}
