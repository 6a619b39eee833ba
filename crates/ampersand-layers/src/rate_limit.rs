//! Client-side rate limiting per host, and a shared cooldown after a 429.
//!
//! Two mechanisms, one state shared by every clone of the client (it lives in an `Arc` that
//! the [`RateLimitLayer`] hands to each service it builds):
//!
//! * an optional **quota** per [`Host`]: a GCRA limiter from `governor` (a direct limiter per
//!   host, one atomic word each). A call over the quota waits on tokio's timer until a permit
//!   is due, or fails at once with a [`RateLimited`](ampersand_core::ErrorKind::RateLimited)
//!   error in fail-fast mode. The limiter reads tokio's clock (through a small
//!   `governor::clock::Clock` adapter), so its waits and tokio's timer agree, and paused tokio
//!   time drives it in tests.
//! * a **429 cooldown**: when an attempt comes back 429 Too Many Requests, every call to that
//!   host is held until the server's `Retry-After` (or the problem's `retryAfter`; a short
//!   default when the server gives neither), so a thousand tasks do not keep hammering an API
//!   that asked them to stop.
//!
//! A call whose [`CallContext`] carries a [rate-limit key](CallContext::rate_limit_key) (a
//! proxied call: its installation, or its integration and group) is counted and cooled down
//! under that key instead of its host: one customer's 429 holds that customer's calls only,
//! and [`RateLimitConfig::key_quota`] limits each key on its own (the platform API's quota
//! never applies to it). Requests whose [`CallContext`] names no host share one extra slot. A wait that would end
//! after the call's deadline fails at once instead of sleeping. Place the layer below the retry
//! layer (each attempt takes a permit) and above the problem-decoding layer (it reads the 429
//! errors that layer makes; a plain 429 response works too).
//!
//! ```
//! use std::time::Duration;
//! use ampersand_core::Host;
//! use ampersand_layers::rate_limit::{Quota, RateLimitConfig, RateLimitLayer};
//! use tower::ServiceBuilder;
//! # use bytes::Bytes;
//! # let transport = tower::service_fn(|_req: http::Request<Bytes>| async {
//! #     Ok::<_, ampersand_core::Error>(http::Response::new(Bytes::new()))
//! # });
//!
//! let limits = RateLimitConfig::default()
//!     .quota(Quota::per_second(20))
//!     .host_quota(Host::Write, Quota::per_second(5).allow_burst(10));
//! let service = ServiceBuilder::new()
//!     .layer(RateLimitLayer::new(limits))
//!     .service(transport);
//! # let _ = service;
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use ampersand_core::time::instant_after;
use ampersand_core::{BoxError, CallContext, Error, Host};
use bytes::Bytes;
use governor::RateLimiter;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use http::StatusCode;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// How many calls a host may receive: `burst` at once, then one every `interval`.
///
/// ```
/// use std::time::Duration;
/// use ampersand_layers::rate_limit::Quota;
///
/// let quota = Quota::per_second(10);
/// assert_eq!(quota.interval(), Duration::from_millis(100));
/// assert_eq!(quota.burst(), 10);
/// let smooth = Quota::per_minute(60).allow_burst(1);
/// assert_eq!(smooth.interval(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    interval: Duration,
    burst: NonZeroU32,
}

impl Quota {
    /// `calls` per second, all of them allowed at once (0 is taken as 1).
    pub fn per_second(calls: u32) -> Self {
        Self::per(calls, Duration::from_secs(1))
    }

    /// `calls` per minute, all of them allowed at once (0 is taken as 1).
    pub fn per_minute(calls: u32) -> Self {
        Self::per(calls, Duration::from_secs(60))
    }

    /// One call per `interval`, no burst; `None` for a zero interval.
    pub fn with_period(interval: Duration) -> Option<Self> {
        (!interval.is_zero()).then_some(Quota {
            interval,
            burst: NonZeroU32::MIN,
        })
    }

    fn per(calls: u32, period: Duration) -> Self {
        let calls = NonZeroU32::new(calls).unwrap_or(NonZeroU32::MIN);
        Quota {
            interval: (period / calls.get()).max(Duration::from_nanos(1)),
            burst: calls,
        }
    }

    /// How many calls may go at once after a quiet spell (0 is taken as 1).
    pub fn allow_burst(mut self, burst: u32) -> Self {
        self.burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// The time between two calls at the steady rate.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The burst size.
    pub fn burst(&self) -> u32 {
        self.burst.get()
    }

    fn to_governor(self) -> governor::Quota {
        // governor counts nanoseconds in a u64 (584 years) and panics past it: a longer
        // quota is shortened to one whose bucket spans 400 years, the same in practice.
        let interval = self.interval.min(MAX_QUOTA_SPAN / self.burst.get());
        governor::Quota::with_period(interval)
            .unwrap_or_else(|| governor::Quota::per_second(NonZeroU32::MAX))
            .allow_burst(self.burst)
    }
}

/// The longest time a quota's bucket may span (interval times burst); see `Quota::to_governor`.
const MAX_QUOTA_SPAN: Duration = Duration::from_secs(400 * 365 * 24 * 3600);

/// The rate limit settings.
///
/// Defaults: no quota (the Ampersand API publishes none), callers wait for a permit rather
/// than fail, the 429 cooldown is on, 1 s of cooldown when a 429 names no time, and no
/// cooldown longer than 60 s.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct RateLimitConfig {
    quota: Option<Quota>,
    host_quotas: Vec<(Host, Option<Quota>)>,
    key_quota: Option<Quota>,
    fail_fast: bool,
    cooldown_on_429: bool,
    default_cooldown: Duration,
    max_cooldown: Duration,
    wall_clock: fn() -> SystemTime,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            quota: None,
            host_quotas: Vec::new(),
            key_quota: None,
            fail_fast: false,
            cooldown_on_429: true,
            default_cooldown: Duration::from_secs(1),
            max_cooldown: Duration::from_secs(60),
            wall_clock: SystemTime::now,
        }
    }
}

impl RateLimitConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The quota of every host without a quota of its own (and of requests without
    /// operation metadata).
    pub fn quota(mut self, quota: Quota) -> Self {
        self.quota = Some(quota);
        self
    }

    /// The quota of one host.
    pub fn host_quota(mut self, host: Host, quota: Quota) -> Self {
        self.host_quotas.retain(|(h, _)| *h != host);
        self.host_quotas.push((host, Some(quota)));
        self
    }

    /// No quota for `host`, whatever [`quota`](Self::quota) says (the cooldown still
    /// applies).
    pub fn unlimited_host(mut self, host: Host) -> Self {
        self.host_quotas.retain(|(h, _)| *h != host);
        self.host_quotas.push((host, None));
        self
    }

    /// The quota of each rate-limit key (each installation, or integration and group, of
    /// proxied calls), counted per key. Default: none.
    pub fn key_quota(mut self, quota: Quota) -> Self {
        self.key_quota = Some(quota);
        self
    }

    /// Fail at once with a rate-limited error instead of waiting for a permit or for the end
    /// of a cooldown.
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Whether a 429 holds every call to its host until the server's `Retry-After`.
    pub fn cooldown_on_429(mut self, enabled: bool) -> Self {
        self.cooldown_on_429 = enabled;
        self
    }

    /// The cooldown after a 429 that names no time (zero for none).
    pub fn default_cooldown(mut self, cooldown: Duration) -> Self {
        self.default_cooldown = cooldown;
        self
    }

    /// The longest cooldown, whatever the server asks.
    pub fn max_cooldown(mut self, cooldown: Duration) -> Self {
        self.max_cooldown = cooldown;
        self
    }

    /// The wall clock used to read an HTTP-date `Retry-After`; `SystemTime::now` by default.
    pub fn wall_clock(mut self, now: fn() -> SystemTime) -> Self {
        self.wall_clock = now;
        self
    }

    /// The quota that applies to `host`, if any.
    pub fn quota_for(&self, host: Host) -> Option<Quota> {
        self.host_quotas
            .iter()
            .find(|(h, _)| *h == host)
            .map_or(self.quota, |(_, q)| *q)
    }
}

/// governor's view of tokio's clock: the time since the limiter was made, so that limiter
/// waits and tokio's timer agree (and paused tokio time drives the limiter in tests).
#[derive(Debug, Clone, Copy)]
struct TokioClock {
    origin: Instant,
}

impl TokioClock {
    fn since(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.origin)
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.since(Instant::now())
    }
}

type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;
type KeyedLimiter =
    RateLimiter<Arc<str>, HashMapStateStore<Arc<str>>, TokioClock, NoOpMiddleware<Duration>>;

/// One slot per host, plus one for requests without metadata.
const SLOTS: usize = Host::ALL.len() + 1;

fn slot_of(context: &CallContext) -> usize {
    context
        .host()
        .map(Host::index)
        .filter(|&index| index < Host::ALL.len())
        .unwrap_or(Host::ALL.len())
}

fn slot_name(slot: usize) -> &'static str {
    Host::ALL.get(slot).map_or("unknown", |h| h.as_str())
}

/// The state every clone shares.
struct Shared {
    config: RateLimitConfig,
    clock: TokioClock,
    limiters: Vec<Option<DirectLimiter>>,
    /// The end of each slot's cooldown, in nanoseconds on `clock`.
    cooldown_until: Vec<AtomicU64>,
    /// The quota of each rate-limit key, when configured.
    keyed_limiter: Option<KeyedLimiter>,
    /// The end of each key's cooldown, in nanoseconds on `clock`; read only once a keyed call
    /// has seen a 429 (`keyed_cooldowns`).
    key_cooldown_until: Mutex<HashMap<Arc<str>, u64>>,
    keyed_cooldowns: AtomicBool,
}

/// What stands between a call and the server.
enum Admission {
    Go,
    Wait(Duration, Hold),
}

#[derive(Debug, Clone, Copy)]
enum Hold {
    Cooldown,
    Quota,
}

impl Shared {
    fn new(config: RateLimitConfig) -> Self {
        let clock = TokioClock {
            origin: Instant::now(),
        };
        let limiters = (0..SLOTS)
            .map(|slot| {
                let quota = match Host::ALL.get(slot) {
                    Some(host) => config.quota_for(*host),
                    None => config.quota,
                };
                quota.map(|q| RateLimiter::direct_with_clock(q.to_governor(), clock))
            })
            .collect();
        let keyed_limiter = config
            .key_quota
            .map(|q| RateLimiter::hashmap_with_clock(q.to_governor(), clock));
        Shared {
            config,
            clock,
            limiters,
            cooldown_until: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            keyed_limiter,
            key_cooldown_until: Mutex::new(HashMap::new()),
            keyed_cooldowns: AtomicBool::new(false),
        }
    }

    fn key_cooldowns(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, u64>> {
        self.key_cooldown_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Admission of a call with a rate-limit key: that key's cooldown, then its quota.
    fn admit_key(&self, key: &Arc<str>) -> Admission {
        if self.keyed_cooldowns.load(Ordering::Acquire) {
            let until = self.key_cooldowns().get(key).copied().unwrap_or(0);
            let now = self.clock.now();
            let until = Duration::from_nanos(until);
            if until > now {
                return Admission::Wait(until - now, Hold::Cooldown);
            }
        }
        match &self.keyed_limiter {
            Some(limiter) => match limiter.check_key(key) {
                Ok(()) => Admission::Go,
                Err(not_until) => {
                    Admission::Wait(not_until.wait_time_from(self.clock.now()), Hold::Quota)
                }
            },
            None => Admission::Go,
        }
    }

    fn admit(&self, slot: usize, key: Option<&Arc<str>>) -> Admission {
        if let Some(key) = key {
            return self.admit_key(key);
        }
        // Zero until the first 429: then no clock is read.
        let until = self.cooldown_until[slot].load(Ordering::Acquire);
        if until != 0 {
            let now = self.clock.now();
            let until = Duration::from_nanos(until);
            if until > now {
                return Admission::Wait(until - now, Hold::Cooldown);
            }
        }
        match &self.limiters[slot] {
            Some(limiter) => match limiter.check() {
                Ok(()) => Admission::Go,
                Err(not_until) => {
                    Admission::Wait(not_until.wait_time_from(self.clock.now()), Hold::Quota)
                }
            },
            None => Admission::Go,
        }
    }

    /// Holds the slot, or the key, for the cooldown a 429 asks for.
    #[cold]
    fn cool_down(&self, slot: usize, key: Option<&Arc<str>>, server_hint: Option<Duration>) {
        if !self.config.cooldown_on_429 {
            return;
        }
        let cooldown = server_hint
            .unwrap_or(self.config.default_cooldown)
            .min(self.config.max_cooldown);
        if cooldown.is_zero() {
            return;
        }
        let until = self.clock.now().saturating_add(cooldown);
        let nanos = u64::try_from(until.as_nanos()).unwrap_or(u64::MAX);
        if let Some(key) = key {
            let mut cooldowns = self.key_cooldowns();
            let now = u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX);
            cooldowns.retain(|_, until| *until > now);
            let entry = cooldowns.entry(Arc::clone(key)).or_insert(0);
            *entry = (*entry).max(nanos);
            self.keyed_cooldowns.store(true, Ordering::Release);
            tracing::debug!(?cooldown, "429: holding the calls of one rate-limit key");
            return;
        }
        self.cooldown_until[slot].fetch_max(nanos, Ordering::AcqRel);
        tracing::debug!(
            host = slot_name(slot),
            ?cooldown,
            "429: holding calls to the host"
        );
    }

    /// Reads a 429 from the result, if it is one, and starts the cooldown.
    fn observe(
        &self,
        slot: usize,
        key: Option<&Arc<str>>,
        result: &Result<http::Response<Bytes>, Error>,
    ) {
        match result {
            Err(error) if error.status() == Some(StatusCode::TOO_MANY_REQUESTS) => {
                self.cool_down(slot, key, error.retry_after((self.config.wall_clock)()));
            }
            Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                let now = (self.config.wall_clock)();
                let hint = response
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| ampersand_core::parse_retry_after(v, now));
                self.cool_down(slot, key, hint);
            }
            _ => {}
        }
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Limits the calls per host and holds a host's calls after a 429; see the
/// [module docs](self).
///
/// The layer owns the state: every service it makes, and every clone of those, share it.
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    shared: Arc<Shared>,
}

impl RateLimitLayer {
    /// A layer with fresh state.
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimitLayer {
            shared: Arc::new(Shared::new(config)),
        }
    }

    /// The settings.
    pub fn config(&self) -> &RateLimitConfig {
        &self.shared.config
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service made by [`RateLimitLayer`].
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Service<http::Request<Bytes>> for RateLimit<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = RateLimitFuture<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::from_boxed(e.into()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        let context = CallContext::of(&request);
        let slot = slot_of(context);
        let key = context.rate_limit_key().cloned();
        let deadline = context.deadline().map(Instant::from_std);
        let (waiting, sleep, state) = match shared.admit(slot, key.as_ref()) {
            // Admitted now (the usual case): the ready inner service takes the request at once.
            Admission::Go => (
                None,
                None,
                State::Calling {
                    future: self.inner.call(request),
                },
            ),
            Admission::Wait(wait, hold) => match hold_for(&shared, slot, wait, hold, deadline) {
                Err(error) => (None, None, State::Refused { error: Some(error) }),
                // The ready service goes with this call; a fresh clone awaits the next
                // poll_ready.
                Ok(sleep) => {
                    let clone = self.inner.clone();
                    let service = std::mem::replace(&mut self.inner, clone);
                    (
                        Some(Box::new((service, Some(request)))),
                        Some(sleep),
                        State::Admitting,
                    )
                }
            },
        };
        RateLimitFuture {
            shared,
            slot,
            key,
            deadline,
            waiting,
            sleep,
            state,
        }
    }
}

pin_project! {
    /// The future of [`RateLimit`]: waits for admission, then calls the inner service.
    pub struct RateLimitFuture<S>
    where
        S: Service<http::Request<Bytes>>,
    {
        shared: Arc<Shared>,
        slot: usize,
        key: Option<Arc<str>>,
        deadline: Option<Instant>,
        // The service and request (boxed: waits are rare, and the call's future stays small),
        // and the timer, of a call that waits; `None` when admitted at `call`.
        waiting: Option<Box<(S, Option<http::Request<Bytes>>)>>,
        sleep: Option<Pin<Box<Sleep>>>,
        #[pin]
        state: State<S::Future>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // Waiting for admission (a quota or a 429 cooldown).
        Admitting,
        Calling { #[pin] future: F },
        // A wait the caller will not make (fail-fast, or past the deadline). Taken on
        // completion.
        Refused { error: Option<Error> },
    }
}

impl<S> Future for RateLimitFuture<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    type Output = Result<http::Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Refused { error } => {
                    return Poll::Ready(Err(error.take().unwrap_or_else(|| {
                        Error::rate_limited("the rate-limit future was polled after it completed")
                    })));
                }
                StateProj::Admitting => {
                    if let Some(sleep) = this.sleep.as_mut() {
                        ready!(sleep.as_mut().poll(cx));
                        *this.sleep = None;
                    }
                    let shared = &*this.shared;
                    match shared.admit(*this.slot, this.key.as_ref()) {
                        Admission::Wait(wait, hold) => {
                            *this.sleep =
                                Some(hold_for(shared, *this.slot, wait, hold, *this.deadline)?);
                        }
                        Admission::Go => {
                            let (service, request) = &mut **this
                                .waiting
                                .as_mut()
                                .expect("a waiting call holds its service");
                            ready!(service.poll_ready(cx))
                                .map_err(|e| Error::from_boxed(e.into()))?;
                            let request = request.take().expect("the request is sent once");
                            let future = service.call(request);
                            this.state.set(State::Calling { future });
                        }
                    }
                }
                StateProj::Calling { future } => {
                    let result = ready!(future.poll(cx)).map_err(|e| Error::from_boxed(e.into()));
                    this.shared.observe(*this.slot, this.key.as_ref(), &result);
                    return Poll::Ready(result);
                }
            }
        }
    }
}

/// The timer for a wait of `wait`, or the error when the caller will not make it.
#[cold]
fn hold_for(
    shared: &Shared,
    slot: usize,
    wait: Duration,
    hold: Hold,
    deadline: Option<Instant>,
) -> Result<Pin<Box<Sleep>>, Error> {
    match refuse(shared, slot, wait, hold, deadline) {
        Some(error) => Err(error),
        // Never spin: tokio's timer has millisecond resolution.
        None => Ok(Box::pin(tokio::time::sleep(
            wait.max(Duration::from_millis(1)),
        ))),
    }
}

/// The error for a wait the caller will not make: fail-fast mode, or a wait past the deadline.
fn refuse(
    shared: &Shared,
    slot: usize,
    wait: Duration,
    hold: Hold,
    deadline: Option<Instant>,
) -> Option<Error> {
    let host = slot_name(slot);
    let what = match hold {
        Hold::Cooldown => "cooling down after a 429",
        Hold::Quota => "over its client-side quota",
    };
    if shared.config.fail_fast {
        return Some(Error::rate_limited(format!(
            "host {host} is {what}; next call allowed in {wait:?}"
        )));
    }
    if deadline.is_some_and(|deadline| {
        instant_after(Instant::now(), wait).is_none_or(|end| end > deadline)
    }) {
        return Some(Error::rate_limited(format!(
            "host {host} is {what} for {wait:?}, past the call's deadline"
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_convert() {
        assert_eq!(Quota::per_second(0), Quota::per_second(1));
        assert_eq!(Quota::per_second(4).interval(), Duration::from_millis(250));
        assert_eq!(Quota::per_minute(2).interval(), Duration::from_secs(30));
        assert_eq!(Quota::with_period(Duration::ZERO), None);
        let q = Quota::per_second(5).allow_burst(20).to_governor();
        assert_eq!(q.burst_size().get(), 20);
        assert_eq!(q.replenish_interval(), Duration::from_millis(200));
    }

    #[test]
    fn host_quotas_override_the_default() {
        let config = RateLimitConfig::default()
            .quota(Quota::per_second(10))
            .host_quota(Host::Write, Quota::per_second(2))
            .unlimited_host(Host::Read);
        assert_eq!(config.quota_for(Host::Api), Some(Quota::per_second(10)));
        assert_eq!(config.quota_for(Host::Write), Some(Quota::per_second(2)));
        assert_eq!(config.quota_for(Host::Read), None);
    }

    #[tokio::test(start_paused = true)]
    async fn cooldown_is_clamped_and_only_extends() {
        let shared = Shared::new(
            RateLimitConfig::default()
                .max_cooldown(Duration::from_secs(10))
                .default_cooldown(Duration::from_secs(2)),
        );
        let slot = Host::Api.index();
        shared.cool_down(slot, None, Some(Duration::from_secs(3600)));
        assert!(
            matches!(shared.admit(slot, None), Admission::Wait(w, Hold::Cooldown) if w == Duration::from_secs(10))
        );
        shared.cool_down(slot, None, None); // 2 s: shorter, so no change
        assert!(
            matches!(shared.admit(slot, None), Admission::Wait(w, _) if w == Duration::from_secs(10))
        );
        assert!(matches!(
            shared.admit(Host::Read.index(), None),
            Admission::Go
        ));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(matches!(shared.admit(slot, None), Admission::Go));
    }

    #[tokio::test(start_paused = true)]
    async fn proxy_keys_cool_down_and_count_apart_from_their_host() {
        let shared = Shared::new(RateLimitConfig::default().key_quota(Quota::per_second(1)));
        let slot = Host::Proxy.index();
        let (a, b): (Arc<str>, Arc<str>) = ("installation:a".into(), "installation:b".into());
        assert!(matches!(shared.admit(slot, Some(&a)), Admission::Go));
        // a's quota is spent; b's is its own, and the host slot has none.
        assert!(matches!(
            shared.admit(slot, Some(&a)),
            Admission::Wait(_, Hold::Quota)
        ));
        assert!(matches!(shared.admit(slot, Some(&b)), Admission::Go));
        assert!(matches!(shared.admit(slot, None), Admission::Go));

        tokio::time::advance(Duration::from_secs(1)).await;
        shared.cool_down(slot, Some(&b), Some(Duration::from_secs(5)));
        assert!(matches!(
            shared.admit(slot, Some(&b)),
            Admission::Wait(w, Hold::Cooldown) if w == Duration::from_secs(5)
        ));
        assert!(matches!(shared.admit(slot, Some(&a)), Admission::Go));
        assert!(matches!(shared.admit(slot, None), Admission::Go));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(matches!(shared.admit(slot, Some(&b)), Admission::Go));
    }
}
