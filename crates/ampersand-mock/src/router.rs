//! The route table: every operation of the four specs, its path template, host, accepted
//! credentials and handler, and the matcher that finds the route of a request.

use std::collections::HashMap;

use ampersand_core::{AuthSchemes, Host};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::handlers as h;
use crate::jwt::EmbeddedToken;
use crate::reply::{ApiError, HandlerResult, Issue};
use crate::server::Config;
use crate::state::State;

/// One operation the mock serves.
pub(crate) struct Route {
    /// The host whose base URL the template is relative to.
    pub(crate) host: Host,
    /// The HTTP method.
    pub(crate) method: Method,
    /// The spec's path template, e.g. `/projects/{projectIdOrName}`.
    pub(crate) template: &'static str,
    /// The spec's operationId.
    pub(crate) operation_id: &'static str,
    /// The credentials the operation accepts.
    pub(crate) auth: AuthSchemes,
    /// The status of input-validation problems (400, or 422 where the spec declares only that).
    pub(crate) invalid: StatusCode,
    /// The handler.
    pub(crate) handler: fn(&mut Ctx<'_>) -> HandlerResult,
}

/// Who is calling, once authenticated.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No credential was needed.
    Anonymous,
    /// The bootstrap key, valid for every project.
    BootstrapKey,
    /// An API key created through the API, valid for its project only.
    ProjectKey {
        /// The project the key belongs to.
        project_id: String,
    },
    /// A Bearer value that is not a JWT: the builder of [`State::me`] (the dashboard
    /// session, which the mock does not model).
    Bearer,
    /// A verified embedded-UI JWT, valid for the project of the key that signed it.
    Embedded(EmbeddedToken),
}

/// Everything a handler sees of one request.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a mut State,
    pub(crate) route: &'static Route,
    pub(crate) params: HashMap<&'static str, String>,
    pub(crate) query: HashMap<String, String>,
    pub(crate) body: &'a Bytes,
    #[allow(dead_code)]
    pub(crate) headers: &'a HeaderMap,
    pub(crate) config: &'a Config,
    pub(crate) caller: Caller,
}

impl Ctx<'_> {
    /// A path parameter (always present: the route matched).
    pub(crate) fn param(&self, name: &str) -> String {
        self.params.get(name).cloned().unwrap_or_default()
    }

    /// A query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A boolean query parameter (`true`/`false`), failing on anything else.
    pub(crate) fn query_bool(&self, name: &str) -> Result<bool, ApiError> {
        match self.query(name) {
            None => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(other) => Err(ApiError::invalid(
                StatusCode::BAD_REQUEST,
                vec![
                    Issue::query(name, "must be true or false")
                        .with_value(Value::String(other.to_owned())),
                ],
            )),
        }
    }

    /// The JSON body; an empty body is `{}` for operations whose body is optional.
    pub(crate) fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(self.body).map_err(|e| {
            ApiError::invalid(
                StatusCode::BAD_REQUEST,
                vec![Issue::body("$", format!("the body is not valid JSON: {e}"))],
            )
        })
    }

    /// The project of the `projectIdOrName` path parameter, checked against the caller's key.
    pub(crate) fn project(&self) -> Result<Value, ApiError> {
        self.project_ref(&self.param("projectIdOrName"))
    }

    /// A project by ID or name, checked against the caller's key.
    pub(crate) fn project_ref(&self, reference: &str) -> Result<Value, ApiError> {
        let project = self
            .state
            .project(reference)
            .cloned()
            .ok_or_else(|| ApiError::not_found("project", reference))?;
        if let Caller::ProjectKey { project_id } = &self.caller
            && project["id"].as_str() != Some(project_id)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("the API key does not belong to project '{reference}'"),
            )
            .remedy("Use an API key created in this project."));
        }
        if let Caller::Embedded(token) = &self.caller
            && project["id"].as_str() != Some(&token.project_id)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("the token's JWT key does not belong to project '{reference}'"),
            )
            .remedy("Sign with a JWT key registered in this project."));
        }
        Ok(project)
    }

    /// The ID of the project of the `projectIdOrName` path parameter.
    pub(crate) fn project_id(&self) -> Result<String, ApiError> {
        Ok(self.project()?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

/// The result of matching a request against the table.
pub(crate) enum Match {
    /// A route and its path parameters.
    Found(&'static Route, HashMap<&'static str, String>),
    /// The path exists with other methods.
    MethodNotAllowed,
    /// No route has this path.
    NotFound,
}

/// Finds the route of `method path` on `host` (`path` relative to the host's base URL).
pub(crate) fn find(host: Host, method: &Method, path: &str) -> Match {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let mut path_exists = false;
    for route in ROUTES.iter().filter(|r| r.host == host) {
        if let Some(params) = match_template(route.template, &segments) {
            if route.method == *method {
                return Match::Found(route, params);
            }
            path_exists = true;
        }
    }
    if path_exists {
        Match::MethodNotAllowed
    } else {
        Match::NotFound
    }
}

/// Matches segments against a template whose segments are literals, `{param}` or
/// `{param}:suffix`.
fn match_template(
    template: &'static str,
    segments: &[String],
) -> Option<HashMap<&'static str, String>> {
    let parts: Vec<&'static str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = HashMap::new();
    for (part, segment) in parts.iter().zip(segments) {
        if let Some(rest) = part.strip_prefix('{') {
            let (name, suffix) = rest.split_once('}')?;
            let value = if suffix.is_empty() {
                if segment.contains(':') {
                    return None;
                }
                segment.as_str()
            } else {
                segment.strip_suffix(suffix)?
            };
            if value.is_empty() {
                return None;
            }
            params.insert(name, value.to_owned());
        } else if part != segment {
            return None;
        }
    }
    Some(params)
}

/// Decodes `%XX` escapes of a path segment.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Parses a query string into decoded pairs (`+` is a space).
pub(crate) fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

const BAD: StatusCode = StatusCode::BAD_REQUEST;
const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
const KEY_OR_BEARER: AuthSchemes = AuthSchemes::API_KEY_OR_BEARER;
const BEARER: AuthSchemes = AuthSchemes::BEARER;
const NONE: AuthSchemes = AuthSchemes::NONE;
const KEY: AuthSchemes = AuthSchemes::API_KEY;

macro_rules! routes {
    ($($host:ident $method:ident $template:literal $op:literal $auth:ident $invalid:ident => $handler:path;)*) => {
        /// Every operation of the platform, read, write and search specs.
        pub(crate) static ROUTES: &[Route] = &[
            $(Route {
                host: Host::$host,
                method: Method::$method,
                template: $template,
                operation_id: $op,
                auth: $auth,
                invalid: $invalid,
                handler: $handler,
            },)*
        ];
    };
}

routes! {
    // OAuth and custom auth
    Api POST "/oauth-connect" "oauthConnect" KEY_OR_BEARER BAD => h::connections::oauth_connect;
    Api POST "/custom-auth/connect" "customAuthConnect" KEY_OR_BEARER BAD => h::connections::custom_auth_connect;
    Api PATCH "/projects/{projectIdOrName}/connections/{connectionId}:oauth-update" "oauthUpdate" KEY_OR_BEARER BAD => h::connections::oauth_update;
    // Projects
    Api GET "/projects" "listProjects" KEY_OR_BEARER BAD => h::projects::list;
    Api POST "/projects" "createProject" BEARER UNPROCESSABLE => h::projects::create;
    Api GET "/projects/{projectIdOrName}" "getProject" KEY_OR_BEARER BAD => h::projects::get;
    Api PATCH "/projects/{projectIdOrName}" "updateProject" KEY_OR_BEARER BAD => h::projects::update;
    // Provider apps
    Api GET "/projects/{projectIdOrName}/provider-apps" "listProviderApps" KEY_OR_BEARER UNPROCESSABLE => h::provider_apps::list;
    Api POST "/projects/{projectIdOrName}/provider-apps" "createProviderApp" KEY_OR_BEARER BAD => h::provider_apps::create;
    Api DELETE "/projects/{projectIdOrName}/provider-apps/{providerAppId}" "deleteProviderApp" KEY_OR_BEARER UNPROCESSABLE => h::provider_apps::delete;
    Api PATCH "/projects/{projectIdOrName}/provider-apps/{providerAppId}" "updateProviderApp" KEY_OR_BEARER BAD => h::provider_apps::update;
    // Integrations and revisions
    Api GET "/projects/{projectIdOrName}/integrations" "listIntegrations" KEY_OR_BEARER UNPROCESSABLE => h::integrations::list;
    Api POST "/projects/{projectIdOrName}/integrations" "createIntegration" KEY_OR_BEARER BAD => h::integrations::create;
    Api PUT "/projects/{projectIdOrName}/integrations:batch" "batchUpsertIntegrations" KEY_OR_BEARER UNPROCESSABLE => h::integrations::batch_upsert;
    Api GET "/projects/{projectIdOrName}/integrations/{integrationIdOrName}" "getIntegration" KEY_OR_BEARER BAD => h::integrations::get;
    Api DELETE "/projects/{projectIdOrName}/integrations/{integrationIdOrName}" "deleteIntegration" KEY_OR_BEARER UNPROCESSABLE => h::integrations::delete;
    Api POST "/projects/{projectIdOrName}/integrations/{integrationId}/revisions" "createRevision" KEY_OR_BEARER BAD => h::integrations::create_revision;
    Api GET "/projects/{projectIdOrName}/integrations/{integrationId}/revisions/{revisionId}:hydrate" "getHydratedRevision" KEY_OR_BEARER BAD => h::integrations::hydrate;
    // Installations
    Api GET "/projects/{projectIdOrName}/integrations/{integrationId}/installations" "listInstallations" KEY_OR_BEARER BAD => h::installations::list;
    Api POST "/projects/{projectIdOrName}/integrations/{integrationId}/installations" "createInstallation" KEY_OR_BEARER BAD => h::installations::create;
    Api GET "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}" "getInstallation" KEY_OR_BEARER BAD => h::installations::get;
    Api DELETE "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}" "deleteInstallation" KEY_OR_BEARER BAD => h::installations::delete;
    Api PATCH "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}" "updateInstallation" KEY_OR_BEARER BAD => h::installations::update;
    Api PATCH "/projects/{projectIdOrName}/integrations/{integrationId}/objects/{objectName}/config-content" "patchObjectConfigContent" KEY_OR_BEARER BAD => h::installations::patch_object_config;
    Api GET "/projects/{projectIdOrName}/installations" "listInstallationsForProject" KEY_OR_BEARER BAD => h::installations::list_for_project;
    // Object metadata
    Api GET "/projects/{projectIdOrName}/integrations/{integrationId}/objects/{objectName}/metadata" "getObjectMetadataForInstallation" KEY_OR_BEARER BAD => h::metadata::for_installation;
    Api GET "/projects/{projectIdOrName}/providers/{provider}/objects/{objectName}/metadata" "getObjectMetadataForConnection" KEY_OR_BEARER BAD => h::metadata::for_connection;
    Api PUT "/projects/{projectIdOrName}/integrations/{integrationId}/object-metadata" "upsertMetadataForInstallation" KEY_OR_BEARER BAD => h::metadata::upsert_for_installation;
    Api PUT "/projects/{projectIdOrName}/providers/{provider}/object-metadata" "upsertMetadataForConnection" KEY_OR_BEARER BAD => h::metadata::upsert_for_connection;
    // Operations and logs
    Api GET "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}/operations" "listOperations" KEY_OR_BEARER BAD => h::operations::list;
    Api GET "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}/objects/{objectName}/backfill-progress" "getBackfillProgress" KEY_OR_BEARER BAD => h::operations::backfill_progress;
    Api GET "/projects/{projectIdOrName}/operations/{operationId}" "getOperation" KEY_OR_BEARER BAD => h::operations::get;
    Api GET "/projects/{projectIdOrName}/operations/{operationId}/logs" "listOperationLogs" KEY_OR_BEARER BAD => h::operations::logs;
    // Providers
    Api GET "/providers" "listProviders" NONE BAD => h::metadata::list_providers;
    Api GET "/providers/{provider}" "getProvider" NONE BAD => h::metadata::get_provider;
    // API keys
    Api GET "/projects/{projectIdOrName}/api-keys" "listApiKeys" KEY_OR_BEARER BAD => h::keys::list_api_keys;
    Api POST "/projects/{projectIdOrName}/api-keys" "createApiKey" KEY_OR_BEARER BAD => h::keys::create_api_key;
    Api GET "/projects/{projectIdOrName}/api-keys/{apiKey}" "getApiKey" KEY_OR_BEARER BAD => h::keys::get_api_key;
    Api DELETE "/projects/{projectIdOrName}/api-keys/{apiKey}" "deleteApiKey" KEY_OR_BEARER BAD => h::keys::delete_api_key;
    Api PATCH "/projects/{projectIdOrName}/api-keys/{apiKey}" "updateApiKey" KEY_OR_BEARER BAD => h::keys::update_api_key;
    // Connections
    Api GET "/projects/{projectIdOrName}/connections" "listConnections" KEY_OR_BEARER BAD => h::connections::list;
    Api POST "/projects/{projectIdOrName}/connections:generate" "generateConnection" KEY_OR_BEARER BAD => h::connections::generate;
    Api GET "/projects/{projectIdOrName}/connections/{connectionId}" "getConnection" KEY_OR_BEARER BAD => h::connections::get;
    Api PATCH "/projects/{projectIdOrName}/connections/{connectionId}" "updateConnection" KEY_OR_BEARER BAD => h::connections::update;
    Api DELETE "/projects/{projectIdOrName}/connections/{connectionId}" "deleteConnection" KEY_OR_BEARER BAD => h::connections::delete;
    // Destinations
    Api POST "/projects/{projectIdOrName}/destinations" "createDestination" KEY_OR_BEARER BAD => h::destinations::create;
    Api GET "/projects/{projectIdOrName}/destinations" "listDestinations" KEY_OR_BEARER BAD => h::destinations::list;
    Api GET "/projects/{projectIdOrName}/destinations/{destination}" "getDestination" KEY_OR_BEARER BAD => h::destinations::get;
    Api PATCH "/projects/{projectIdOrName}/destinations/{destination}" "updateDestination" KEY_OR_BEARER BAD => h::destinations::update;
    Api DELETE "/projects/{projectIdOrName}/destinations/{destination}" "deleteDestination" KEY_OR_BEARER BAD => h::destinations::delete;
    // Uploads
    Api GET "/generate-upload-url" "generateUploadUrl" KEY_OR_BEARER UNPROCESSABLE => h::integrations::generate_upload_url;
    // Orgs, builders, invites, billing, claimed domains
    Api POST "/orgs" "createOrg" KEY_OR_BEARER BAD => h::orgs::create;
    Api GET "/orgs/{orgId}" "getOrg" BEARER BAD => h::orgs::get;
    Api PATCH "/orgs/{orgId}" "updateOrg" BEARER BAD => h::orgs::update;
    Api GET "/orgs/{orgId}/builders" "listOrgBuilders" BEARER BAD => h::orgs::list_builders;
    Api POST "/orgs/{orgId}/invites" "createOrgInvite" BEARER BAD => h::orgs::create_invite;
    Api GET "/orgs/{orgId}/invites" "listOrgInvites" BEARER BAD => h::orgs::list_invites;
    Api GET "/orgs/{orgId}/invites/{inviteId}" "getOrgInvite" BEARER BAD => h::orgs::get_invite;
    Api DELETE "/orgs/{orgId}/invites/{inviteId}" "deleteOrgInvite" BEARER BAD => h::orgs::delete_invite;
    Api POST "/orgs/{orgId}/memberships" "addUserToOrg" BEARER BAD => h::orgs::add_user;
    Api GET "/my-info" "getMyInfo" BEARER BAD => h::orgs::my_info;
    Api POST "/invites:accept" "acceptInvite" BEARER BAD => h::orgs::accept_invite;
    Api GET "/orgs/{orgId}/billingAccount" "getOrgBillingAccount" BEARER BAD => h::orgs::billing_account;
    Api POST "/billingAccounts/{billingAccountId}/portalSession" "createBillingAccountSession" KEY_OR_BEARER BAD => h::orgs::billing_session;
    Api GET "/claimed-domains" "checkClaimedDomain" BEARER BAD => h::orgs::check_domain;
    Api POST "/claimed-domains" "claimDomain" BEARER BAD => h::orgs::claim_domain;
    Api GET "/orgs/{orgId}/claimed-domains" "listOrgClaimedDomains" BEARER BAD => h::orgs::list_domains;
    // Topics and routes
    Api POST "/projects/{projectIdOrName}/topics" "createTopic" KEY_OR_BEARER BAD => h::notifications::create_topic;
    Api GET "/projects/{projectIdOrName}/topics" "listTopics" KEY_OR_BEARER BAD => h::notifications::list_topics;
    Api PATCH "/projects/{projectIdOrName}/topics/{topicId}" "updateTopic" KEY_OR_BEARER BAD => h::notifications::update_topic;
    Api DELETE "/projects/{projectIdOrName}/topics/{topicId}" "deleteTopic" KEY_OR_BEARER BAD => h::notifications::delete_topic;
    Api POST "/projects/{projectIdOrName}/notification-event-topic-routes" "createEventTopicRoute" KEY_OR_BEARER BAD => h::notifications::create_event_route;
    Api GET "/projects/{projectIdOrName}/notification-event-topic-routes" "listEventTopicRoutes" KEY_OR_BEARER BAD => h::notifications::list_event_routes;
    Api DELETE "/projects/{projectIdOrName}/notification-event-topic-routes/{routeId}" "deleteEventTopicRoute" KEY_OR_BEARER BAD => h::notifications::delete_event_route;
    Api POST "/projects/{projectIdOrName}/topic-destination-routes" "createTopicDestinationRoute" KEY_OR_BEARER BAD => h::notifications::create_destination_route;
    Api GET "/projects/{projectIdOrName}/topic-destination-routes" "listTopicDestinationRoutes" KEY_OR_BEARER BAD => h::notifications::list_destination_routes;
    Api DELETE "/projects/{projectIdOrName}/topic-destination-routes/{routeId}" "deleteTopicDestinationRoute" KEY_OR_BEARER BAD => h::notifications::delete_destination_route;
    // JWT keys
    Api POST "/projects/{projectIdOrName}/jwt-keys" "createJWTKey" KEY_OR_BEARER BAD => h::keys::create_jwt_key;
    Api GET "/projects/{projectIdOrName}/jwt-keys" "listJWTKeys" KEY_OR_BEARER BAD => h::keys::list_jwt_keys;
    Api GET "/projects/{projectIdOrName}/jwt-keys/{keyId}" "getJWTKey" KEY_OR_BEARER BAD => h::keys::get_jwt_key;
    Api PATCH "/projects/{projectIdOrName}/jwt-keys/{keyId}" "updateJWTKey" KEY_OR_BEARER BAD => h::keys::update_jwt_key;
    Api DELETE "/projects/{projectIdOrName}/jwt-keys/{keyId}" "deleteJWTKey" KEY_OR_BEARER BAD => h::keys::delete_jwt_key;
    // Read API
    Read POST "/projects/{projectIdOrName}/integrations/{integrationId}/objects/{objectName}" "triggerRead" KEY BAD => h::data::trigger_read;
    Read POST "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}:pause" "pauseReads" KEY BAD => h::data::pause_reads;
    Read POST "/projects/{projectIdOrName}/integrations/{integrationId}/installations/{installationId}:unpause" "unpauseReads" KEY BAD => h::data::unpause_reads;
    Read POST "/projects/{projectIdOrName}/integrations/{integrationId}/objects/{objectName}:deliverResults" "deliverResults" KEY BAD => h::data::deliver_results;
    // Write API
    Write POST "/projects/{projectIdOrName}/integrations/{integrationId}/objects/{objectName}" "writeRecords" KEY BAD => h::data::write_records;
    // Search API
    Search POST "/projects/{projectIdOrName}/integrations/{integrationId}" "searchRecords" KEY_OR_BEARER BAD => h::data::search_records;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        host: Host,
        method: Method,
        path: &str,
    ) -> Option<(&'static str, HashMap<&'static str, String>)> {
        match find(host, &method, path) {
            Match::Found(route, params) => Some((route.operation_id, params)),
            _ => None,
        }
    }

    #[test]
    fn every_platform_operation_is_routed_once() {
        let api = ROUTES.iter().filter(|r| r.host == Host::Api).count();
        assert_eq!(api, 82);
        assert_eq!(ROUTES.len(), 88);
        let mut ids: Vec<_> = ROUTES.iter().map(|r| r.operation_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 88);
    }

    #[test]
    fn colon_suffixes_and_literals() {
        let (id, params) = op(
            Host::Api,
            Method::PATCH,
            "/projects/p1/connections/c1:oauth-update",
        )
        .unwrap();
        assert_eq!(id, "oauthUpdate");
        assert_eq!(params["connectionId"], "c1");
        assert_eq!(
            op(Host::Api, Method::PUT, "/projects/p1/integrations:batch")
                .unwrap()
                .0,
            "batchUpsertIntegrations"
        );
        assert_eq!(
            op(Host::Api, Method::GET, "/projects/p1/integrations/i1")
                .unwrap()
                .0,
            "getIntegration"
        );
        let (id, params) = op(
            Host::Read,
            Method::POST,
            "/projects/p/integrations/i/objects/contact:deliverResults",
        )
        .unwrap();
        assert_eq!(
            (id, params["objectName"].as_str()),
            ("deliverResults", "contact")
        );
        assert_eq!(
            op(
                Host::Read,
                Method::POST,
                "/projects/p/integrations/i/objects/contact"
            )
            .unwrap()
            .0,
            "triggerRead"
        );
        assert_eq!(
            op(
                Host::Write,
                Method::POST,
                "/projects/p/integrations/i/objects/contact"
            )
            .unwrap()
            .0,
            "writeRecords"
        );
        assert_eq!(
            op(Host::Api, Method::POST, "/invites:accept").unwrap().0,
            "acceptInvite"
        );
    }

    #[test]
    fn wrong_method_and_unknown_paths() {
        assert!(matches!(
            find(Host::Api, &Method::PUT, "/projects"),
            Match::MethodNotAllowed
        ));
        assert!(matches!(
            find(Host::Api, &Method::GET, "/nope"),
            Match::NotFound
        ));
        assert!(matches!(
            find(Host::Api, &Method::GET, "/projects//integrations"),
            Match::NotFound
        ));
    }

    #[test]
    fn decodes_segments_and_queries() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        let q = parse_query(Some("a=1&b=x%3Dy&c"));
        assert_eq!(
            (q["a"].as_str(), q["b"].as_str(), q["c"].as_str()),
            ("1", "x=y", "")
        );
    }
}
