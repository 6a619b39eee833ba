//! Installations: an integration installed for a customer's group, with its config, updated
//! with `updateMask` or JSON Patch (patchObjectConfigContent).

use http::StatusCode;
use serde_json::{Value, json};

use super::integrations::integration_of;
use super::{find_in_project, in_project, require, set_path};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{now, s, uuid};
use crate::validate::Check;

/// `GET …/integrations/{integrationId}/installations?groupRef`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let items = in_project(&ctx.state.installations, &project_id)
        .into_iter()
        .filter(|i| s(i, "integrationId") == s(&integration, "id"))
        .filter(|i| {
            ctx.query("groupRef")
                .is_none_or(|g| s(&i["group"], "groupRef") == g)
        })
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

/// `GET /projects/{p}/installations?groupRef`.
pub(crate) fn list_for_project(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let items = in_project(&ctx.state.installations, &project_id)
        .into_iter()
        .filter(|i| {
            ctx.query("groupRef")
                .is_none_or(|g| s(&i["group"], "groupRef") == g)
        })
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

/// The installation of the `installationId` path parameter, within the integration.
pub(crate) fn installation_of(
    ctx: &Ctx<'_>,
    project_id: &str,
    integration_id: &str,
) -> Result<Value, ApiError> {
    let id = ctx.param("installationId");
    require(
        find_in_project(&ctx.state.installations, project_id, &id, false)
            .filter(|i| s(i, "integrationId") == integration_id),
        "installation",
        &id,
    )
    .cloned()
}

/// The installation of an integration for a group.
pub(crate) fn installation_for_group(
    ctx: &Ctx<'_>,
    integration_id: &str,
    group_ref: &str,
) -> Result<Value, ApiError> {
    ctx.state
        .installations
        .values()
        .find(|i| {
            s(i, "integrationId") == integration_id && s(&i["group"], "groupRef") == group_ref
        })
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found("installation", &format!("group {group_ref}"))
                .remedy("Create an installation of the integration for this groupRef first.")
        })
}

/// Checks that the read and write objects of a config exist in the integration's latest revision.
fn check_config_objects(check: &mut Check<'_>, content: &Value, integration: &Value, prefix: &str) {
    let revision = &integration["latestRevision"]["content"];
    for action in ["read", "write"] {
        let Some(objects) = content[action]["objects"].as_object() else {
            if !content[action].is_null() && !content[action]["objects"].is_null() {
                check.issue(Issue::body(
                    format!("{prefix}.{action}.objects"),
                    "must be a map of object name to config",
                ));
            }
            continue;
        };
        let declared: Vec<&str> = revision[action]["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["objectName"].as_str())
            .collect();
        for name in objects.keys() {
            if !declared.contains(&name.as_str()) {
                check.issue(Issue::body(
                    format!("{prefix}.{action}.objects.{name}"),
                    format!(
                        "the integration does not {action} '{name}' (declared: {})",
                        declared.join(", ")
                    ),
                ));
            }
        }
    }
}

/// Fills the members the spec's config objects require and a caller may leave out
/// (`objectName` from the map key, empty `selectedFields` and `selectedFieldMappings`,
/// `inheritFieldsAndMappings: false`), so that configs always answer in the spec's shape.
fn normalize_config(installation: &mut Value) {
    let content = &mut installation["config"]["content"];
    for (action, defaults) in [
        (
            "read",
            &[
                ("selectedFields", json!({})),
                ("selectedFieldMappings", json!({})),
            ][..],
        ),
        ("write", &[][..]),
        (
            "subscribe",
            &[
                ("inheritFieldsAndMappings", json!(false)),
                ("destination", json!("")),
            ][..],
        ),
    ] {
        let Some(objects) = content
            .get_mut(action)
            .and_then(|a| a.get_mut("objects"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (name, object) in objects.iter_mut() {
            if !object.is_object() {
                *object = json!({});
            }
            if object.get("objectName").is_none() {
                object["objectName"] = Value::String(name.clone());
            }
            for (key, value) in defaults {
                if object.get(*key).is_none() {
                    object[*key] = value.clone();
                }
            }
        }
    }
}

/// `POST …/integrations/{integrationId}/installations`: 201 with the installation.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    ctx.query_bool("skipSampling")?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let group_ref = check.string("groupRef");
    let connection_id = check.opt_string("connectionId");
    check.object("config");
    let content = check.object("config.content");
    check.opt_string("config.revisionId");
    check.opt_string("config.createdBy");
    check.finish(ctx.route.invalid)?;
    let mut check = Check::new(&body);
    check_config_objects(
        &mut check,
        content.unwrap_or(&Value::Null),
        &integration,
        "config.content",
    );
    check.finish(StatusCode::UNPROCESSABLE_ENTITY)?;
    let group_ref = group_ref.unwrap_or_default();
    let integration_id = s(&integration, "id").to_owned();
    let provider = s(&integration, "provider").to_owned();
    let connection = match connection_id {
        Some(id) => require(find_in_project(&ctx.state.connections, &project_id, &id, false), "connection", &id)?.clone(),
        None => ctx
            .state
            .connections
            .values()
            .find(|c| s(c, "projectId") == project_id && s(c, "provider") == provider && s(&c["group"], "groupRef") == group_ref)
            .cloned()
            .ok_or_else(|| {
                ApiError::invalid(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    vec![Issue::body("connectionId", format!("group '{group_ref}' has no {provider} connection"))],
                )
                .remedy("Connect the group first (oauthConnect or connections:generate), or pass connectionId.")
            })?,
    };
    if installation_for_group(ctx, &integration_id, &group_ref).is_ok() {
        return Err(ApiError::conflict(
            StatusCode::CONFLICT,
            Issue::body(
                "groupRef",
                format!("the integration is already installed for group '{group_ref}'"),
            ),
        )
        .remedy("Update the existing installation instead."));
    }
    let time = now();
    let created_by = body["config"]["createdBy"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("consumer:{}", s(&connection["consumer"], "consumerRef")));
    let revision_id = body["config"]["revisionId"]
        .as_str()
        .unwrap_or(s(&integration["latestRevision"], "id"))
        .to_owned();
    let id = uuid();
    let mut installation = json!({
        "id": id, "projectId": project_id, "integrationId": integration_id,
        "group": connection["group"], "healthStatus": "healthy", "connection": connection,
        "createTime": time, "createdBy": created_by,
        "config": {
            "id": uuid(), "revisionId": revision_id, "createTime": time, "createdBy": created_by,
            "content": body["config"]["content"],
        },
    });
    normalize_config(&mut installation);
    ctx.state.installations.insert(id, installation.clone());
    Ok(Reply::created(installation))
}

/// `GET …/installations/{installationId}`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    Ok(Reply::ok(installation_of(
        ctx,
        &project_id,
        s(&integration, "id"),
    )?))
}

/// `DELETE …/installations/{installationId}`.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let installation = installation_of(ctx, &project_id, s(&integration, "id"))?;
    ctx.state.installations.remove(s(&installation, "id"));
    Ok(Reply::no_content())
}

/// Stores a new config version of an installation.
fn new_config_version(installation: &mut Value) {
    installation["config"]["id"] = Value::String(uuid());
    installation["config"]["createTime"] = Value::String(now());
    installation["updateTime"] = Value::String(now());
}

/// `PATCH …/installations/{installationId}` with `updateMask` over `connectionId` and
/// `config…` paths (e.g. `config.content.read.objects.contact`).
pub(crate) fn update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let installation = installation_of(ctx, &project_id, s(&integration, "id"))?;
    ctx.query_bool("skipSampling")?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&["connectionId", "config"]);
    check.object("installation");
    if let Some(content) = check.opt_object("installation.config.content") {
        check_config_objects(
            &mut check,
            content,
            &integration,
            "installation.config.content",
        );
    }
    check.finish(ctx.route.invalid)?;
    let mut updated = installation.clone();
    for path in &mask {
        if path == "connectionId" {
            let id = s(&body["installation"], "connectionId");
            let connection = require(
                find_in_project(&ctx.state.connections, &project_id, id, false),
                "connection",
                id,
            )?;
            updated["connection"] = connection.clone();
            updated["group"] = connection["group"].clone();
        } else {
            let keys: Vec<&str> = path.split('.').collect();
            let value = keys
                .iter()
                .try_fold(&body["installation"], |v, k| v.get(*k))
                .cloned();
            set_path(&mut updated, &keys, value);
        }
    }
    if mask.iter().any(|m| m.starts_with("config")) {
        new_config_version(&mut updated);
    }
    updated["updateTime"] = Value::String(now());
    normalize_config(&mut updated);
    ctx.state
        .installations
        .insert(s(&installation, "id").to_owned(), updated.clone());
    Ok(Reply::ok(updated))
}

/// `PATCH …/integrations/{integrationId}/objects/{objectName}/config-content`: JSON Patch
/// operations on one object's config of an installation (found by `groupRef` or
/// `installationId`).
pub(crate) fn patch_object_config(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let object = ctx.param("objectName");
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let group_ref = check.opt_string("groupRef");
    let installation_id = check.opt_string("installationId");
    if group_ref.is_none() && installation_id.is_none() {
        check.issue(Issue::body("groupRef", "give groupRef or installationId"));
    }
    let action = check.one_of("action", &["read", "subscribe", "write"], true);
    let changes = body["changes"].as_array().cloned().unwrap_or_default();
    if !body["changes"].is_array() {
        check.issue(Issue::body(
            "changes",
            "is required (an array of JSON Patch operations)",
        ));
    }
    for i in 0..changes.len() {
        check.one_of(
            &format!("changes.{i}.op"),
            &["add", "remove", "replace"],
            true,
        );
        check.string(&format!("changes.{i}.path"));
    }
    check.finish(ctx.route.invalid)?;
    let integration_id = s(&integration, "id");
    let installation = match (installation_id, group_ref) {
        (Some(id), _) => require(
            ctx.state
                .installations
                .get(&id)
                .filter(|i| s(i, "integrationId") == integration_id),
            "installation",
            &id,
        )?
        .clone(),
        (None, Some(group)) => installation_for_group(ctx, integration_id, &group)?,
        (None, None) => unreachable!("checked above"),
    };
    let action = action.unwrap_or_default();
    let mut updated = installation.clone();
    let base = [
        "config",
        "content",
        action.as_str(),
        "objects",
        object.as_str(),
    ];
    for (i, change) in changes.iter().enumerate() {
        let pointer: Vec<String> = s(change, "path")
            .split('/')
            .skip(1)
            .map(|k| k.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut keys: Vec<&str> = base.to_vec();
        keys.extend(pointer.iter().map(String::as_str));
        let exists = keys.iter().try_fold(&updated, |v, k| v.get(*k)).is_some();
        let op = s(change, "op");
        if op != "add" && !exists {
            return Err(ApiError::invalid(
                StatusCode::BAD_REQUEST,
                vec![Issue::body(
                    format!("changes[{i}].path"),
                    "no value at this path to remove or replace",
                )],
            ));
        }
        let value = (op != "remove").then(|| change["value"].clone());
        set_path(&mut updated, &keys, value);
    }
    new_config_version(&mut updated);
    normalize_config(&mut updated);
    ctx.state
        .installations
        .insert(s(&installation, "id").to_owned(), updated.clone());
    Ok(Reply::ok(updated))
}
