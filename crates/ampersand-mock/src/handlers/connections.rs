//! Connections: API-key and basic connections made with connections:generate, OAuth
//! connections made through an OAuth URL (oauthConnect, oauthUpdate) whose consent page is
//! served by the mock, and custom-auth connections.

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{apply_mask, find_in_project, in_project, require, touch};
use crate::catalog;
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{State, now, random_hex, s, uuid};
use crate::validate::Check;

/// The credential members of a connection request and the `authScheme` each gives.
const CREDENTIALS: &[(&str, &str)] = &[
    ("apiKey", "apiKey"),
    ("basicAuth", "basic"),
    ("oauth2ClientCredentials", "oauth2/clientCredentials"),
    ("oauth2PasswordCredentials", "oauth2/password"),
    ("oauth2AuthorizationCode", "oauth2/authorizationCode"),
];

struct NewConnection<'a> {
    project_id: &'a str,
    provider: &'a str,
    group_ref: &'a str,
    group_name: Option<&'a str>,
    consumer_ref: &'a str,
    consumer_name: Option<&'a str>,
    auth_scheme: &'a str,
    request: &'a Value,
}

/// Builds and stores a connection; returns it.
fn insert_connection(state: &mut State, new: NewConnection<'_>, credentials: Value) -> Value {
    let id = uuid();
    let time = now();
    let mut connection = json!({
        "id": id, "projectId": new.project_id, "provider": new.provider,
        "group": {
            "groupRef": new.group_ref, "groupName": new.group_name.unwrap_or(new.group_ref),
            "projectId": new.project_id, "createTime": time,
        },
        "consumer": {
            "consumerRef": new.consumer_ref, "consumerName": new.consumer_name.unwrap_or(new.consumer_ref),
            "projectId": new.project_id, "createTime": time,
        },
        "createTime": time, "authScheme": new.auth_scheme, "status": "working",
    });
    for key in ["providerWorkspaceRef", "providerMetadata"] {
        if !new.request[key].is_null() {
            connection[key] = new.request[key].clone();
        }
    }
    let app =
        new.request
            .get("providerAppId")
            .and_then(Value::as_str)
            .and_then(|id| state.provider_apps.get(id))
            .or_else(|| {
                state.provider_apps.values().find(|a| {
                    s(a, "projectId") == new.project_id && s(a, "provider") == new.provider
                })
            });
    if let Some(app) = app {
        connection["providerApp"] = app.clone();
    }
    state.connections.insert(id.clone(), connection.clone());
    state.credentials.insert(id, credentials);
    connection
}

/// OAuth tokens as the mock issues them.
fn oauth_tokens() -> Value {
    let issued = chrono::Utc::now();
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "accessToken": {"token": format!("mock-access-{}", random_hex(12)), "issuedAt": at(issued), "expiresAt": at(issued + chrono::Duration::hours(1))},
        "refreshToken": {"token": format!("mock-refresh-{}", random_hex(12)), "issuedAt": at(issued)},
        "scopes": ["read", "write"],
    })
}

/// `GET /projects/{p}/connections?provider&groupRef&consumerRef`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let items = in_project(&ctx.state.connections, &project_id)
        .into_iter()
        .filter(|c| ctx.query("provider").is_none_or(|p| s(c, "provider") == p))
        .filter(|c| {
            ctx.query("groupRef")
                .is_none_or(|g| s(&c["group"], "groupRef") == g)
        })
        .filter(|c| {
            ctx.query("consumerRef")
                .is_none_or(|r| s(&c["consumer"], "consumerRef") == r)
        })
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

/// `POST /projects/{p}/connections:generate`: a connection from credentials the caller holds
/// (API key, basic auth, client or password credentials, or existing OAuth tokens).
pub(crate) fn generate(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let provider = check.string("provider");
    let group_ref = check.string("groupRef");
    let consumer_ref = check.string("consumerRef");
    check.opt_string("groupName");
    check.opt_string("consumerName");
    check.opt_string("providerWorkspaceRef");
    check.opt_object("providerMetadata");
    check.opt_string("apiKey");
    if check.opt_object("basicAuth").is_some() {
        check.string("basicAuth.username");
        check.string("basicAuth.password");
    }
    if check.opt_object("oauth2ClientCredentials").is_some() {
        check.string("oauth2ClientCredentials.clientId");
        check.string("oauth2ClientCredentials.clientSecret");
    }
    if check.opt_object("oauth2PasswordCredentials").is_some() {
        for key in ["username", "password", "clientId", "clientSecret"] {
            check.string(&format!("oauth2PasswordCredentials.{key}"));
        }
    }
    check.opt_object("oauth2AuthorizationCode");
    let given: Vec<&(&str, &str)> = CREDENTIALS
        .iter()
        .filter(|(k, _)| !body[*k].is_null())
        .collect();
    let info = provider.as_deref().and_then(catalog::provider);
    match (&provider, &info) {
        (Some(p), None) => check.issue(
            Issue::body("provider", "unknown provider").with_value(Value::String(p.clone())),
        ),
        (_, Some(info)) => {
            let ok = match s(info, "authType") {
                "apiKey" => given.iter().any(|(k, _)| *k == "apiKey"),
                "basic" => given
                    .iter()
                    .any(|(k, _)| *k == "basicAuth" || *k == "apiKey"),
                _ => given.iter().any(|(k, _)| k.starts_with("oauth2")),
            };
            if !ok {
                let needs = match s(info, "authType") {
                    "apiKey" => "apiKey",
                    "basic" => "basicAuth",
                    _ => {
                        "oauth2ClientCredentials, oauth2PasswordCredentials or oauth2AuthorizationCode"
                    }
                };
                check.issue(Issue::body(
                    needs,
                    format!("is required for provider {}", s(info, "name")),
                ));
            }
        }
        _ => {}
    }
    check.finish(ctx.route.invalid)?;
    let (provider, group_ref, consumer_ref) = (
        provider.unwrap_or_default(),
        group_ref.unwrap_or_default(),
        consumer_ref.unwrap_or_default(),
    );
    if ctx.state.connections.values().any(|c| {
        s(c, "projectId") == project_id
            && s(c, "provider") == provider
            && s(&c["group"], "groupRef") == group_ref
    }) {
        return Err(ApiError::conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            Issue::body(
                "groupRef",
                format!("group '{group_ref}' already has a {provider} connection"),
            ),
        ));
    }
    let (credential, scheme) = given
        .first()
        .map(|(k, v)| (*k, *v))
        .unwrap_or(("apiKey", "apiKey"));
    let mut credentials = Map::new();
    credentials.insert(credential.to_owned(), body[credential].clone());
    let connection = insert_connection(
        ctx.state,
        NewConnection {
            project_id: &project_id,
            provider: &provider,
            group_ref: &group_ref,
            group_name: body["groupName"].as_str(),
            consumer_ref: &consumer_ref,
            consumer_name: body["consumerName"].as_str(),
            auth_scheme: scheme,
            request: &body,
        },
        Value::Object(credentials),
    );
    Ok(Reply::created(connection))
}

/// `GET /projects/{p}/connections/{connectionId}?includeCreds&includeRefreshToken&refresh`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("connectionId");
    let mut connection = require(
        find_in_project(&ctx.state.connections, &project_id, &id, false),
        "connection",
        &id,
    )?
    .clone();
    let include_creds = ctx.query_bool("includeCreds")?;
    let include_refresh = ctx.query_bool("includeRefreshToken")?;
    // `force` refreshes; `ifExpired` refreshes nothing, since the mock's tokens do not expire
    // while it runs (the query table refused any other value).
    if ctx.query("refresh") == Some("force")
        && connection["authScheme"]
            .as_str()
            .is_some_and(|a| a.starts_with("oauth2"))
    {
        let creds = ctx
            .state
            .credentials
            .entry(id.clone())
            .or_insert_with(|| json!({}));
        creds["oauth2AuthorizationCode"] = oauth_tokens();
        let stored = ctx.state.connections.get_mut(&id).expect("found above");
        touch(stored);
        connection = stored.clone();
    }
    if include_creds {
        let creds = ctx.state.credentials.get(&id).cloned().unwrap_or_default();
        if let Some(key) = creds.get("apiKey").filter(|v| !v.is_null()) {
            connection["apiKey"] = key.clone();
        }
        if let Some(tokens) = creds
            .get("oauth2AuthorizationCode")
            .filter(|v| v.is_object())
        {
            let mut tokens = tokens.clone();
            if !include_refresh && let Some(map) = tokens.as_object_mut() {
                map.remove("refreshToken");
            }
            connection["oauth2AuthorizationCode"] = tokens;
        }
    }
    Ok(Reply::ok(connection))
}

/// `PATCH /projects/{p}/connections/{connectionId}` with `updateMask`.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("connectionId");
    require(
        find_in_project(&ctx.state.connections, &project_id, &id, false),
        "connection",
        &id,
    )?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&[
        "providerWorkspaceRef",
        "providerMetadata",
        "apiKey",
        "basicAuth",
        "oauth2ClientCredentials",
        "oauth2PasswordCredentials",
    ]);
    check.object("connection");
    check.finish(ctx.route.invalid)?;
    let (public, secret): (Vec<String>, Vec<String>) = mask
        .into_iter()
        .partition(|m| m.starts_with("providerWorkspaceRef") || m.starts_with("providerMetadata"));
    let creds = ctx
        .state
        .credentials
        .entry(id.clone())
        .or_insert_with(|| json!({}));
    apply_mask(creds, &body["connection"], &secret);
    let connection = ctx.state.connections.get_mut(&id).expect("found above");
    apply_mask(connection, &body["connection"], &public);
    if let Some((_, scheme)) = secret
        .iter()
        .find_map(|m| CREDENTIALS.iter().find(|(k, _)| k == m))
    {
        connection["authScheme"] = Value::String((*scheme).to_owned());
    }
    connection["status"] = Value::String("working".into());
    touch(connection);
    Ok(Reply::ok(connection.clone()))
}

/// `DELETE /projects/{p}/connections/{connectionId}`; installations using it go with it.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("connectionId");
    require(
        find_in_project(&ctx.state.connections, &project_id, &id, false),
        "connection",
        &id,
    )?;
    ctx.state.connections.remove(&id);
    ctx.state.credentials.remove(&id);
    ctx.state
        .installations
        .retain(|_, i| s(&i["connection"], "id") != id);
    Ok(Reply::no_content())
}

/// The URL of the mock's consent page for an OAuth session.
fn consent_url(ctx: &Ctx<'_>, session: &str, provider: &str, client_id: &str) -> String {
    format!(
        "{}/oauth/{session}?provider={provider}&client_id={client_id}&response_type=code&state={}",
        ctx.config.origin,
        random_hex(8)
    )
}

/// The provider app an OAuth flow uses: the one named, or the project's app for the provider.
fn provider_app_for(
    ctx: &Ctx<'_>,
    project_id: &str,
    provider: &str,
    app_id: Option<&str>,
) -> Result<Value, ApiError> {
    if let Some(app_id) = app_id {
        return require(
            find_in_project(&ctx.state.provider_apps, project_id, app_id, false),
            "provider app",
            app_id,
        )
        .cloned();
    }
    ctx.state
        .provider_apps
        .values()
        .find(|a| s(a, "projectId") == project_id && s(a, "provider") == provider)
        .cloned()
        .ok_or_else(|| {
            ApiError::invalid(
                StatusCode::BAD_REQUEST,
                vec![Issue::body(
                    "provider",
                    format!("the project has no provider app for '{provider}'"),
                )],
            )
            .remedy(
                "Create a provider app (createProviderApp) with your OAuth client, then try again.",
            )
        })
}

/// `POST /oauth-connect`: a `text/plain` authorization URL. Opening it (a `GET`) completes the
/// flow and creates the connection.
pub(crate) fn oauth_connect(ctx: &mut Ctx<'_>) -> HandlerResult {
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let project_ref = check.string("projectIdOrName");
    let provider = check.string("provider");
    check.string("groupRef");
    check.string("consumerRef");
    check.opt_string("groupName");
    check.opt_string("consumerName");
    check.opt_string("providerWorkspaceRef");
    check.opt_object("providerMetadata");
    let app_id = check.opt_string("providerAppId");
    check.opt_bool("enableCSRFProtection");
    if let Some(p) = &provider {
        match catalog::provider(p) {
            None => check.issue(
                Issue::body("provider", "unknown provider").with_value(Value::String(p.clone())),
            ),
            Some(info) if s(&info, "authType") != "oauth2" => check.issue(
                Issue::body(
                    "provider",
                    format!("{p} does not use OAuth; use connections:generate"),
                )
                .with_value(Value::String(p.clone())),
            ),
            Some(_) => {}
        }
    }
    check.finish(ctx.route.invalid)?;
    let project_id = s(&ctx.project_ref(&project_ref.unwrap_or_default())?, "id").to_owned();
    let provider = provider.unwrap_or_default();
    let app = provider_app_for(ctx, &project_id, &provider, app_id.as_deref())?;
    let session = uuid();
    let mut pending = body.clone();
    pending["projectId"] = Value::String(project_id);
    pending["providerAppId"] = app["id"].clone();
    ctx.state.oauth_sessions.insert(session.clone(), pending);
    Ok(Reply::text(
        StatusCode::OK,
        consent_url(ctx, &session, &provider, s(&app, "clientId")),
    ))
}

/// `PATCH /projects/{p}/connections/{connectionId}:oauth-update`: a `text/plain` URL to
/// re-authorize an OAuth connection.
pub(crate) fn oauth_update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("connectionId");
    let connection = require(
        find_in_project(&ctx.state.connections, &project_id, &id, false),
        "connection",
        &id,
    )?
    .clone();
    let provider = s(&connection, "provider").to_owned();
    let app = provider_app_for(ctx, &project_id, &provider, None)?;
    let session = uuid();
    ctx.state.oauth_sessions.insert(
        session.clone(),
        json!({"projectId": project_id, "provider": provider, "connectionId": id, "providerAppId": app["id"]}),
    );
    Ok(Reply::text(
        StatusCode::OK,
        consent_url(ctx, &session, &provider, s(&app, "clientId")),
    ))
}

/// `GET /oauth/{session}`: the end user "consents"; the connection is created (or its tokens
/// renewed) and the page says so.
pub(crate) fn complete_oauth(state: &mut State, session: &str) -> HandlerResult {
    let Some(pending) = state.oauth_sessions.remove(session) else {
        return Err(ApiError::not_found("OAuth session", session));
    };
    let credentials = json!({"oauth2AuthorizationCode": oauth_tokens()});
    if let Some(id) = pending["connectionId"].as_str() {
        state.credentials.insert(id.to_owned(), credentials);
        if let Some(connection) = state.connections.get_mut(id) {
            connection["status"] = Value::String("working".into());
            touch(connection);
        }
        return Ok(Reply::text(
            StatusCode::OK,
            format!("Connection {id} re-authorized. You can close this window."),
        ));
    }
    let connection = insert_connection(
        state,
        NewConnection {
            project_id: s(&pending, "projectId"),
            provider: s(&pending, "provider"),
            group_ref: s(&pending, "groupRef"),
            group_name: pending["groupName"].as_str(),
            consumer_ref: s(&pending, "consumerRef"),
            consumer_name: pending["consumerName"].as_str(),
            auth_scheme: "oauth2/authorizationCode",
            request: &pending,
        },
        credentials,
    );
    Ok(Reply::text(
        StatusCode::OK,
        format!(
            "Connection {} created. You can close this window.",
            s(&connection, "id")
        ),
    ))
}

/// `POST /custom-auth/connect`: drives a multi-step custom auth flow, for providers whose
/// catalog entry has `customOpts.multiStep` only.
///
/// The first call (no `sessionId`) takes `provider`, `groupRef`, `consumerRef` and the
/// `customAuth` inputs, parks the flow and answers `{redirect: {url, sessionId}}`. The resume
/// call takes `sessionId` and `callbackParams` (what the provider sent to the callback); its
/// `provider`, `groupRef` and `consumerRef` are ignored, as the spec says, and the parked
/// flow's identity is used: it answers `{connection}`.
pub(crate) fn custom_auth_connect(ctx: &mut Ctx<'_>) -> HandlerResult {
    let body = ctx.json()?;
    if body.get("sessionId").is_some() {
        return resume_custom_auth(ctx, &body);
    }
    let mut check = Check::new(&body);
    let project_ref = check.string("projectIdOrName");
    let provider = check.string("provider");
    check.string("groupRef");
    check.string("consumerRef");
    check.opt_string("groupName");
    check.opt_string("consumerName");
    check.opt_string("providerAppId");
    check.opt_object("providerMetadata");
    check.opt_object("customAuth");
    if let Some(p) = &provider {
        match catalog::provider(p) {
            None => check.issue(
                Issue::body("provider", "unknown provider").with_value(Value::String(p.clone())),
            ),
            Some(info) if !catalog::is_multi_step(&info) => check.issue(
                Issue::body(
                    "provider",
                    format!(
                        "{p} has no multi-step custom auth flow (its catalog entry lacks \
                         customOpts.multiStep); use connections:generate or oauth-connect"
                    ),
                )
                .with_value(Value::String(p.clone())),
            ),
            Some(_) => {}
        }
    }
    check.finish(ctx.route.invalid)?;
    let project_id = s(&ctx.project_ref(&project_ref.unwrap_or_default())?, "id").to_owned();
    let session = uuid();
    let mut parked = body.clone();
    parked["projectId"] = Value::String(project_id);
    ctx.state
        .custom_auth_sessions
        .insert(session.clone(), parked);
    // The provider's page the flow would open; the mock does not serve it (resume with any
    // callbackParams).
    let url = format!(
        "https://auth.example.com/{}/connect?session={session}",
        provider.unwrap_or_default()
    );
    Ok(Reply::ok(
        json!({"redirect": {"url": url, "sessionId": session}}),
    ))
}

/// The resume call of a multi-step custom auth flow: creates the connection with the
/// identity of the parked first call.
fn resume_custom_auth(ctx: &mut Ctx<'_>, body: &Value) -> HandlerResult {
    let mut check = Check::new(body);
    let project_ref = check.string("projectIdOrName");
    let session = check.string("sessionId");
    let callback = check.object("callbackParams").cloned();
    for (name, value) in callback.iter().flat_map(|c| c.as_object()).flatten() {
        if !value.is_string() {
            check.issue(
                Issue::body(format!("callbackParams.{name}"), "must be a string")
                    .with_value(value.clone()),
            );
        }
    }
    check.finish(ctx.route.invalid)?;
    let project_id = s(&ctx.project_ref(&project_ref.unwrap_or_default())?, "id").to_owned();
    let session = session.unwrap_or_default();
    let parked = ctx
        .state
        .custom_auth_sessions
        .get(&session)
        .filter(|p| s(p, "projectId") == project_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found("custom auth session", &session).remedy(
                "Resume with the sessionId of a redirect that customAuthConnect returned for \
                 this project; each session completes once.",
            )
        })?;
    ctx.state.custom_auth_sessions.remove(&session);
    let connection = insert_connection(
        ctx.state,
        NewConnection {
            project_id: &project_id,
            provider: s(&parked, "provider"),
            group_ref: s(&parked, "groupRef"),
            group_name: parked["groupName"].as_str(),
            consumer_ref: s(&parked, "consumerRef"),
            consumer_name: parked["consumerName"].as_str(),
            auth_scheme: "none",
            request: &parked,
        },
        json!({"customAuth": parked["customAuth"], "callbackParams": callback}),
    );
    Ok(Reply::ok(json!({"connection": connection})))
}
