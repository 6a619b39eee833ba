//! Your own tower middleware around the default stack.
//!
//! ```sh
//! cargo run --example custom_layer
//! ```
//!
//! `ClientBuilder::layer` wraps the default stack (retry, rate limit, auth, tracing, problems,
//! timeouts) without rebuilding it. Here a tower-http layer stamps every request with a header
//! and tower's concurrency limit caps calls in flight across all clones of the client.

use ampersand::resources::projects::ListProjects;
use ampersand::{Client, Host};
use ampersand_mock::MockServer;
use http::{HeaderName, HeaderValue};
use tower::limit::ConcurrencyLimitLayer;
use tower_http::set_header::SetRequestHeaderLayer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(Host::Api, &mock.urls().api)
        .layer(SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("billing-backend"),
        ))
        .layer(ConcurrencyLimitLayer::new(16))
        .build()?;

    let handles: Vec<_> = (0..32)
        .map(|_| tokio::spawn(client.send(ListProjects::new())))
        .collect();
    let mut total = 0;
    for handle in handles {
        total += handle.await??.len();
    }
    println!("32 calls, at most 16 in flight, each stamped x-team: {total} projects seen");
    Ok(())
}
