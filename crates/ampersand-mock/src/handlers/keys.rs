//! API keys (which the mock then accepts in `X-Api-Key` for their project) and JWT keys.

use http::StatusCode;
use serde_json::{Value, json};

use super::{apply_mask, find_in_project, in_project, require};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{now, random_hex, s, uuid};
use crate::validate::Check;

/// `GET /projects/{p}/api-keys?active`.
pub(crate) fn list_api_keys(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let active = ctx
        .query("active")
        .map(|_| ctx.query_bool("active"))
        .transpose()?;
    let items: Vec<Value> = ctx
        .state
        .api_keys
        .values()
        .filter(|k| s(k, "projectId") == project_id)
        .filter(|k| active.is_none_or(|a| k["active"].as_bool().unwrap_or(true) == a))
        .cloned()
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

/// `POST /projects/{p}/api-keys`: 201 with the new key.
pub(crate) fn create_api_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let label = check.string("label");
    let scopes = check.strings("scopes", false).unwrap_or_default();
    check.finish(ctx.route.invalid)?;
    let key = format!("amp_{}", random_hex(20));
    let api_key = json!({"key": key, "label": label, "scopes": scopes, "projectId": project_id, "active": true});
    ctx.state.api_keys.insert(key, api_key.clone());
    Ok(Reply::created(api_key))
}

fn api_key_of(ctx: &Ctx<'_>, project_id: &str) -> Result<String, ApiError> {
    let key = ctx.param("apiKey");
    require(
        find_in_project(&ctx.state.api_keys, project_id, &key, false),
        "API key",
        &key,
    )?;
    Ok(key)
}

/// `GET /projects/{p}/api-keys/{apiKey}`.
pub(crate) fn get_api_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let key = api_key_of(ctx, &project_id)?;
    Ok(Reply::ok(ctx.state.api_keys[&key].clone()))
}

/// `DELETE /projects/{p}/api-keys/{apiKey}`: the key stops working at once.
pub(crate) fn delete_api_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let key = api_key_of(ctx, &project_id)?;
    ctx.state.api_keys.remove(&key);
    Ok(Reply::no_content())
}

/// `PATCH /projects/{p}/api-keys/{apiKey}` with `updateMask` over `label`, `active`, `scopes`.
pub(crate) fn update_api_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let key = api_key_of(ctx, &project_id)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&["label", "active", "scopes"]);
    check.object("apiKey");
    check.opt_bool("apiKey.active");
    check.strings("apiKey.scopes", false);
    check.finish(ctx.route.invalid)?;
    let stored = ctx.state.api_keys.get_mut(&key).expect("found");
    apply_mask(stored, &body["apiKey"], &mask);
    if stored.get("scopes").is_none() {
        stored["scopes"] = json!([]);
    }
    if stored.get("label").is_none() {
        stored["label"] = json!("");
    }
    Ok(Reply::ok(stored.clone()))
}

/// `POST /projects/{p}/jwt-keys`: 201 `{kid}`; the key must be PEM-armoured as a public key.
/// Its content is read when a token names it (`crate::jwt`), so a key that is not RSA then
/// fails that token with a 401.
pub(crate) fn create_jwt_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let label = check.string("label");
    check.one_of("algorithm", &["RS256"], true);
    if let Some(pem) = check.string("publicKeyPem")
        && !(pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----")
            && pem.trim_end().ends_with("-----END PUBLIC KEY-----"))
    {
        check.issue(Issue::body(
            "publicKeyPem",
            "must be a PEM-encoded public key (-----BEGIN PUBLIC KEY-----)",
        ));
    }
    check.finish(ctx.route.invalid)?;
    let id = uuid();
    let time = now();
    let key = json!({
        "id": id, "projectId": project_id, "label": label, "algorithm": "RSA",
        "publicKeyPem": body["publicKeyPem"], "active": true, "createTime": time, "updateTime": time,
    });
    ctx.state.jwt_keys.insert(id.clone(), key);
    Ok(Reply::created(json!({"kid": id})))
}

/// `GET /projects/{p}/jwt-keys?active`.
pub(crate) fn list_jwt_keys(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let active = ctx
        .query("active")
        .map(|_| ctx.query_bool("active"))
        .transpose()?;
    let items = in_project(&ctx.state.jwt_keys, &project_id)
        .into_iter()
        .filter(|k| active.is_none_or(|a| k["active"].as_bool() == Some(a)))
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

fn jwt_key_of(ctx: &Ctx<'_>, project_id: &str) -> Result<String, ApiError> {
    let id = ctx.param("keyId");
    require(
        find_in_project(&ctx.state.jwt_keys, project_id, &id, false),
        "JWT key",
        &id,
    )?;
    Ok(id)
}

/// `GET /projects/{p}/jwt-keys/{keyId}`.
pub(crate) fn get_jwt_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = jwt_key_of(ctx, &project_id)?;
    Ok(Reply::ok(ctx.state.jwt_keys[&id].clone()))
}

/// `PATCH /projects/{p}/jwt-keys/{keyId}` with `updateMask` over `active` and `label`.
pub(crate) fn update_jwt_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = jwt_key_of(ctx, &project_id)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&["active", "label"]);
    check.object("jwtKey");
    if mask.iter().any(|m| m == "active") && body["jwtKey"]["active"].as_bool().is_none() {
        check.issue(Issue::body("jwtKey.active", "must be a boolean"));
    }
    if mask.iter().any(|m| m == "label") {
        check.string("jwtKey.label");
    }
    check.finish(StatusCode::BAD_REQUEST)?;
    let stored = ctx.state.jwt_keys.get_mut(&id).expect("found");
    apply_mask(stored, &body["jwtKey"], &mask);
    stored["updateTime"] = Value::String(now());
    Ok(Reply::ok(stored.clone()))
}

/// `DELETE /projects/{p}/jwt-keys/{keyId}`.
pub(crate) fn delete_jwt_key(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = jwt_key_of(ctx, &project_id)?;
    ctx.state.jwt_keys.remove(&id);
    Ok(Reply::no_content())
}
