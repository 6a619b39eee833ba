//! Providers and object metadata: the catalog, the fields of an object (with custom fields
//! added through upsertMetadataFor*).

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::integrations::integration_of;
use super::require;
use crate::catalog;
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::s;
use crate::validate::Check;

/// `GET /providers` (no auth).
pub(crate) fn list_providers(_ctx: &mut Ctx<'_>) -> HandlerResult {
    Ok(Reply::ok(catalog::all()))
}

/// `GET /providers/{provider}` (no auth).
pub(crate) fn get_provider(ctx: &mut Ctx<'_>) -> HandlerResult {
    let name = ctx.param("provider");
    Ok(Reply::ok(require(
        catalog::provider(&name),
        "provider",
        &name,
    )?))
}

fn required_group(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.query("groupRef").map(str::to_owned).ok_or_else(|| {
        ApiError::invalid(
            StatusCode::BAD_REQUEST,
            vec![Issue::query("groupRef", "is required")],
        )
    })
}

fn metadata(
    ctx: &Ctx<'_>,
    project_id: &str,
    provider: &str,
    group: &str,
) -> Result<Value, ApiError> {
    let object = ctx.param("objectName");
    let has_connection = ctx.state.connections.values().any(|c| {
        s(c, "projectId") == project_id
            && s(c, "provider") == provider
            && s(&c["group"], "groupRef") == group
    });
    if !has_connection {
        return Err(ApiError::not_found("connection for group", group));
    }
    let custom = ctx
        .state
        .custom_fields
        .get(&format!("{project_id}/{provider}/{group}/{object}"));
    let mut fields = catalog::object_fields(custom);
    if ctx.query_bool("excludeReadOnly")? {
        fields.retain(|_, f| f["readOnly"] != Value::Bool(true));
    }
    Ok(json!({"name": object, "displayName": catalog::display_name(&object), "fields": fields}))
}

/// `GET …/integrations/{integrationId}/objects/{objectName}/metadata?groupRef&excludeReadOnly`.
pub(crate) fn for_installation(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let group = required_group(ctx)?;
    Ok(Reply::ok(metadata(
        ctx,
        &project_id,
        s(&integration, "provider"),
        &group,
    )?))
}

/// `GET /projects/{p}/providers/{provider}/objects/{objectName}/metadata?groupRef`.
pub(crate) fn for_connection(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let provider = ctx.param("provider");
    let group = required_group(ctx)?;
    Ok(Reply::ok(metadata(ctx, &project_id, &provider, &group)?))
}

/// Upserts custom fields (`{groupRef, fields: {objectName: [FieldDefinition]}}`), answering
/// `{success, fields: {objectName: {fieldName: FieldUpsertResult}}}`.
fn upsert(ctx: &mut Ctx<'_>, project_id: &str, provider: &str) -> HandlerResult {
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let group = check.string("groupRef");
    let fields = check.object("fields").cloned().unwrap_or_default();
    let mut definitions: Vec<(String, String, Value)> = Vec::new();
    for (object, defs) in fields.as_object().into_iter().flatten() {
        let Some(defs) = defs
            .as_array()
            .cloned()
            .or_else(|| defs.as_object().map(|m| m.values().cloned().collect()))
        else {
            check.issue(Issue::body(
                format!("fields.{object}"),
                "must be a list of field definitions",
            ));
            continue;
        };
        for (i, def) in defs.iter().enumerate() {
            for key in ["fieldName", "displayName", "valueType"] {
                if def[key].as_str().is_none_or(str::is_empty) {
                    check.issue(Issue::body(
                        format!("fields.{object}[{i}].{key}"),
                        "is required",
                    ));
                }
            }
            definitions.push((object.clone(), s(def, "fieldName").to_owned(), def.clone()));
        }
    }
    check.finish(StatusCode::BAD_REQUEST)?;
    let group = group.unwrap_or_default();
    let mut results = Map::new();
    for (object, name, def) in definitions {
        let key = format!("{project_id}/{provider}/{group}/{object}");
        let custom = ctx.state.custom_fields.entry(key).or_default();
        let action = if custom.contains_key(&name) {
            "update"
        } else {
            "create"
        };
        let field = json!({
            "fieldName": name, "displayName": def["displayName"], "valueType": def["valueType"],
            "providerType": def["valueType"], "readOnly": false, "isCustom": true,
            "isRequired": def["required"].as_bool().unwrap_or(false),
        });
        custom.insert(name.clone(), field);
        let per_object = results.entry(object).or_insert_with(|| json!({}));
        per_object[&name] = json!({"fieldName": name, "action": action});
    }
    Ok(Reply::ok(json!({"success": true, "fields": results})))
}

/// `PUT …/integrations/{integrationId}/object-metadata`.
pub(crate) fn upsert_for_installation(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    upsert(ctx, &project_id, s(&integration, "provider"))
}

/// `PUT /projects/{p}/providers/{provider}/object-metadata`.
pub(crate) fn upsert_for_connection(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let provider = ctx.param("provider");
    require(catalog::provider(&provider), "provider", &provider)?;
    upsert(ctx, &project_id, &provider)
}
