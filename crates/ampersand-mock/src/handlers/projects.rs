//! Projects: listProjects, createProject, getProject, updateProject.

use http::StatusCode;
use serde_json::{Value, json};

use super::{apply_mask, name_taken, sort_by_create_time, touch};
use crate::reply::{ApiError, HandlerResult, Reply};
use crate::router::{Caller, Ctx};
use crate::state::{now, s, uuid};
use crate::validate::Check;

/// `GET /projects`: every project, or only its own for a project API key or an embedded-UI
/// token.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let mut items: Vec<Value> = ctx
        .state
        .projects
        .values()
        .filter(|p| match &ctx.caller {
            Caller::ProjectKey { project_id } => s(p, "id") == project_id,
            Caller::Embedded(token) => s(p, "id") == token.project_id,
            _ => true,
        })
        .cloned()
        .collect();
    sort_by_create_time(&mut items);
    Ok(Reply::ok(Value::Array(items)))
}

/// `POST /projects` (Bearer): 422 for invalid or taken names, 404 for an unknown org.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> HandlerResult {
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let name = check.name_pattern("name", true);
    let app_name = check.string("appName");
    let org_id = check.string("orgId");
    check.finish(ctx.route.invalid)?;
    let (name, app_name, org_id) = (
        name.unwrap_or_default(),
        app_name.unwrap_or_default(),
        org_id.unwrap_or_default(),
    );
    if !ctx.state.orgs.contains_key(&org_id) {
        return Err(ApiError::not_found("org", &org_id));
    }
    if ctx.state.project(&name).is_some() {
        return Err(name_taken(
            StatusCode::UNPROCESSABLE_ENTITY,
            "project",
            &name,
        ));
    }
    let id = uuid();
    let project =
        json!({"id": id, "name": name, "appName": app_name, "orgId": org_id, "createTime": now()});
    ctx.state.projects.insert(id, project.clone());
    Ok(Reply::created(project))
}

/// `GET /projects/{projectIdOrName}`, with entitlements when `includeEntitlements=true`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    let mut project = ctx.project()?;
    if ctx.query_bool("includeEntitlements")? {
        project["entitlements"] = json!({
            "brandingRemoval": {"value": false},
            "logRetentionDays": {"value": 7},
        });
    }
    Ok(Reply::ok(project))
}

/// `PATCH /projects/{projectIdOrName}` with `updateMask` over `name` and `appName`.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project = ctx.project()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&["name", "appName"]);
    check.object("project");
    if mask.iter().any(|m| m == "name") {
        check.name_pattern("project.name", true);
    }
    if mask.iter().any(|m| m == "appName") {
        check.string("project.appName");
    }
    check.finish(ctx.route.invalid)?;
    let id = s(&project, "id").to_owned();
    if mask.iter().any(|m| m == "name") {
        let new_name = s(&body["project"], "name");
        if ctx
            .state
            .project(new_name)
            .is_some_and(|p| s(p, "id") != id)
        {
            return Err(name_taken(
                StatusCode::UNPROCESSABLE_ENTITY,
                "project",
                new_name,
            ));
        }
    }
    let stored = ctx.state.projects.get_mut(&id).expect("project exists");
    apply_mask(stored, &body["project"], &mask);
    touch(stored);
    Ok(Reply::ok(stored.clone()))
}
