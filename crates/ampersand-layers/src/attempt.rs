//! Per-attempt facts that the retry layer hands to the layers below it.

/// Which attempt of a call a request is: 1 for the first send, 2 for the first resend, and so
/// on. The retry layer inserts it into each resend's extensions (a request without one is a
/// first send: read it with [`AttemptNumber::of`]); the tracing layer reports
/// `http.request.resend_count = number - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptNumber(pub u32);

impl AttemptNumber {
    /// The attempt number of a request (1 when no retry layer set one).
    pub fn of<B>(request: &http::Request<B>) -> u32 {
        request
            .extensions()
            .get::<AttemptNumber>()
            .map_or(1, |a| a.0)
    }

    /// How many times the request was sent before this attempt.
    pub fn resend_count(self) -> u32 {
        self.0.saturating_sub(1)
    }
}
