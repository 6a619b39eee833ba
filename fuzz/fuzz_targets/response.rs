//! Response decoding of the largest models (integration with its revision, installation with
//! its config and connection, hydrated revision, the customAuthConnect oneOf, operations).
//! Never panics; a decode error keeps the status and the body.
#![no_main]

use ampersand::Operation;
use ampersand::resources::connections::{CustomAuthConnect, GetConnection};
use ampersand::resources::installations::GetInstallation;
use ampersand::resources::integrations::{GetIntegration, ListIntegrations};
use ampersand::resources::operations::ListOperations;
use ampersand::resources::revisions::GetHydratedRevision;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fn decode<O: Operation>(body: &[u8]) {
    let mut response = http::Response::new(Bytes::copy_from_slice(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    if let Err(error) = O::decode(response) {
        assert_eq!(error.status(), Some(http::StatusCode::OK));
        assert_eq!(error.body().map(|b| b.as_ref()), Some(body));
        let _ = format!("{error} {error:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the model; the rest is the body.
    let [which, body @ ..] = data else { return };
    match which % 7 {
        0 => decode::<GetIntegration>(body),
        1 => decode::<ListIntegrations>(body),
        2 => decode::<GetInstallation>(body),
        3 => decode::<GetConnection>(body),
        4 => decode::<GetHydratedRevision>(body),
        5 => decode::<CustomAuthConnect>(body),
        _ => decode::<ListOperations>(body),
    }
});
