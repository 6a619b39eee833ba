//! Provider apps: the OAuth client of a provider registered in a project.

use http::StatusCode;
use serde_json::{Value, json};

use super::{apply_mask, in_project, require, touch};
use crate::catalog;
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{now, s, uuid};
use crate::validate::Check;

/// `GET /projects/{p}/provider-apps`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    Ok(Reply::ok(Value::Array(in_project(
        &ctx.state.provider_apps,
        &project_id,
    ))))
}

/// `POST /projects/{p}/provider-apps`: 200 with the app (as the spec says), 422 when the
/// project already has an app for the provider.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let provider = check.string("provider");
    check.string("clientId");
    check.string("clientSecret");
    check.opt_string("externalRef");
    check.strings("scopes", false);
    check.opt_object("metadata");
    if let Some(p) = &provider
        && catalog::provider(p).is_none()
    {
        check.issue(
            Issue::body("provider", "unknown provider").with_value(Value::String(p.clone())),
        );
    }
    check.finish(ctx.route.invalid)?;
    let provider = provider.unwrap_or_default();
    if ctx
        .state
        .provider_apps
        .values()
        .any(|a| s(a, "projectId") == project_id && s(a, "provider") == provider)
    {
        return Err(ApiError::conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            Issue::body(
                "provider",
                format!("the project already has a provider app for '{provider}'"),
            ),
        ));
    }
    let id = uuid();
    let mut app = json!({
        "id": id, "projectId": project_id, "provider": provider,
        "clientId": body["clientId"], "createTime": now(),
    });
    for key in ["externalRef", "scopes", "metadata"] {
        if !body[key].is_null() {
            app[key] = body[key].clone();
        }
    }
    ctx.state.provider_apps.insert(id, app.clone());
    Ok(Reply::ok(app))
}

/// `DELETE /projects/{p}/provider-apps/{providerAppId}`.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("providerAppId");
    require(
        ctx.state
            .provider_apps
            .get(&id)
            .filter(|a| s(a, "projectId") == project_id),
        "provider app",
        &id,
    )?;
    ctx.state.provider_apps.remove(&id);
    Ok(Reply::no_content())
}

/// `PATCH /projects/{p}/provider-apps/{providerAppId}` with `updateMask`.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("providerAppId");
    require(
        ctx.state
            .provider_apps
            .get(&id)
            .filter(|a| s(a, "projectId") == project_id),
        "provider app",
        &id,
    )?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&[
        "externalRef",
        "provider",
        "clientId",
        "clientSecret",
        "scopes",
        "metadata",
    ]);
    check.object("providerApp");
    check.finish(ctx.route.invalid)?;
    let mask: Vec<String> = mask.into_iter().filter(|m| m != "clientSecret").collect();
    let app = ctx.state.provider_apps.get_mut(&id).expect("checked above");
    apply_mask(app, &body["providerApp"], &mask);
    touch(app);
    Ok(Reply::ok(app.clone()))
}
