//! Problem decoding: `InputValidationProblem::from_response` and `Error::api` on any status,
//! media type and body. Never panics; the error keeps the status and the body.
#![no_main]

use ampersand::Error;
use ampersand::core::InputValidationProblem;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

const MEDIA: &[&str] = &[
    "application/problem+json",
    "application/json",
    "application/json; charset=utf-8",
    "text/html",
    "text/plain",
    "application/vnd.x+json",
];

fuzz_target!(|data: &[u8]| {
    // First two bytes choose the status (400..=599) and the media type; the rest is the body.
    let [a, b, body @ ..] = data else { return };
    let status = StatusCode::from_u16(400 + u16::from(*a) % 200).unwrap();
    let mut headers = HeaderMap::new();
    if let Some(media) = MEDIA.get(usize::from(*b) % (MEDIA.len() + 1)) {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(media));
    }
    let problem = InputValidationProblem::from_response(status, &headers, body);
    assert!(problem.status.is_some());
    let error = Error::api(status, headers, Bytes::copy_from_slice(body));
    assert_eq!(error.status(), Some(status));
    assert_eq!(error.body().map(|b| b.as_ref()), Some(body));
    assert!(error.problem().is_some());
    let _ = error.issues();
    let _ = error.retry_after(std::time::SystemTime::UNIX_EPOCH);
    let _ = format!("{error} {error:?}");
});
