//! An in-memory, stateful Ampersand server for offline development and tests.
//!
//! `ampersand-mock` serves every operation of the platform, read, write and search APIs from
//! one loopback listener, answering with the spec's shapes, status codes and content types.
//! It keeps state (projects, provider apps, integrations with revisions, connections,
//! installations, operations and logs, destinations, topics and routes, API and JWT keys, orgs
//! and invites), validates requests as the spec states them, authenticates like the real API,
//! and can inject faults for resilience tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ampersand_mock::{FaultRule, MockServer};
//!
//! let server = MockServer::start().await?;
//! let urls = server.urls(); // urls.api, urls.read, urls.write, urls.search
//! let key = server.api_key(); // send as X-Api-Key
//! server.faults().push(FaultRule::status(503).operation("getProject").times(1));
//! # let _ = (urls, key);
//! # Ok(()) }
//! ```
//!
//! # URL layout
//!
//! One listener serves each host under its own prefix: `/api/v1` (platform), `/read/v1`,
//! `/write/v1`, `/search/v1` and `/proxy` (the Proxy API, see below). Besides them: `PUT /upload/{bucket}/{path}` is the signed URL
//! that generateUploadUrl returns, `GET /oauth/{session}` is the consent page behind the URLs
//! of oauthConnect and oauthUpdate (opening it creates or renews the connection), and
//! `GET /_mock/state` returns the state as JSON.
//!
//! # Authentication
//!
//! Operations that accept an API key need `X-Api-Key` with the bootstrap key
//! ([`MockServer::api_key`], valid for every project) or a key created with createApiKey
//! (valid for its project). Bearer-only operations (createProject, orgs, invites, billing,
//! claimed domains, getMyInfo, acceptInvite) need `Authorization: Bearer <token>`, where any
//! non-empty value that is not a JWT stands for the builder's dashboard session.
//! listProviders and getProvider need nothing. Anything else is a `401` problem.
//!
//! A Bearer value that *is* a JWT is an embedded-UI token and is verified as the service
//! verifies it, against the keys registered with createJwtKey: RS256, a `kid` naming an
//! active key, a valid signature, not expired, `exp - iat` at most 600 s, and the claims
//! `sub`, `consumerRef`, `groupRef`, `iat`, `exp`. Each failure is a `401` problem saying
//! which check failed. A verified token acts in the project of its key (`403` elsewhere) and
//! is refused on the Bearer-only builder operations.
//! Credentials are checked before the request body is read.
//!
//! # Tenants
//!
//! Records (written through the write API, found by searchRecords), connections,
//! installations, custom fields and operations belong to one customer's group of one
//! project: data-plane calls name their group (`groupRef`, required where the spec requires
//! it) or their installation, and never see another group's data. Query parameters are
//! checked against the spec's declarations (required, boolean, bounded integer, enum).
//!
//! # Problems
//!
//! Errors are RFC 9457 problems in the content type the spec declares for the operation.
//! Their `instance` is `urn:uuid:<requestId>`: the spec's problem schema declares `instance`
//! as `format: uri`, an absolute URI identifying the occurrence (RFC 9457 would also allow a
//! relative reference, which `format: uri` does not).
//!
//! # Custom auth
//!
//! customAuthConnect drives the multi-step flow for providers whose catalog entry has
//! `customOpts.multiStep` (the mock's catalog has `bill`): the first call answers a
//! `redirect` with a `sessionId`; a call with that `sessionId` and `callbackParams` (no
//! `provider`, `groupRef` or `consumerRef` needed) answers the `connection`.
//!
//! # Limits
//!
//! The mock is meant to be shared: request bodies are limited
//! ([`MockServerBuilder::max_body_bytes`], refused before reading when `Content-Length`
//! exceeds it), request heads and idle kept-alive connections are bounded by
//! [`MockServerBuilder::header_read_timeout`], bodies by
//! [`MockServerBuilder::body_read_timeout`], and accept errors such as `EMFILE` pause the
//! accept loop instead of spinning it.
//!
//! # State
//!
//! A fresh mock holds one org, one project named `mock-project` and the builder that Bearer
//! tokens stand for. [`MockServerBuilder::seed`] starts from another [`State`], in the JSON
//! format that [`MockServer::dump`] produces.
//!
//! # The Proxy API
//!
//! `/proxy` answers proxied calls as Ampersand's proxy host does: it checks
//! `x-amp-proxy-version: 1`, the API key, `x-amp-project-id` (the id; a name is refused with a
//! problem saying so) and the target (`x-amp-installation-id`, which wins, or
//! `x-amp-integration-name` with `x-amp-group-ref`; the integration must enable `proxy`), each
//! refusal a problem. Behind each installation is a small fake CRM (contacts and companies:
//! list with cursor pagination, get, create, update, delete; and `/echo`, which answers what it
//! received), whose answers are the provider's JSON, not problems. [`MockServer::proxy`] makes
//! installations to proxy to ([`MockProxy::install`]), queues [`ProxyFault`]s (Ampersand's 429
//! with `X-Amp-Retry-After` and `X-Amp-Retryable`, a provider status, latency) and reads the
//! fake providers' records.
//!
//! # Operations
//!
//! Triggered reads and asynchronous writes create operations in `in_progress`. Each
//! `getOperation` call spends one of the operation's polls
//! ([`MockServerBuilder::operation_polls`], 1 by default); the call after the last one
//! completes the operation with `success`, a result and logs.

mod catalog;
mod conn;
mod faults;
mod handlers;
mod jwt;
mod manifest;
mod proxy;
mod query;
mod reply;
mod router;
mod server;
mod state;
mod validate;

pub use faults::{FaultAction, FaultBudget, FaultRule, FaultTarget, Faults, ParseFaultError};
pub use manifest::zip_stored;
pub use proxy::{MockProxy, ProxyFault};
pub use server::{MockServer, MockServerBuilder, MockUrls};
pub use state::{State, Upload};
