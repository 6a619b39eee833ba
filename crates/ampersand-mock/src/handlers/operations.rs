//! Operations and their logs: created by triggered reads and asynchronous writes, they answer
//! `in_progress` to a configured number of `getOperation` polls, then complete with `success`.

use http::StatusCode;
use serde_json::{Value, json};

use super::installations::installation_of;
use super::integrations::integration_of;
use super::{find_in_project, require};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{State, now, s, uuid};

/// How many records a read of an object with no written records reports.
const DEFAULT_RECORDS: usize = 25;

/// What a new operation does.
pub(crate) struct NewOperation<'a> {
    pub(crate) installation: &'a Value,
    pub(crate) action_type: &'a str,
    pub(crate) object: &'a str,
    /// Record IDs a write produced (empty for reads).
    pub(crate) record_ids: Vec<String>,
}

/// Starts an operation in `in_progress`; returns its ID.
pub(crate) fn start(state: &mut State, polls: u32, new: NewOperation<'_>) -> String {
    let id = uuid();
    let installation_id = s(new.installation, "id");
    let mut metadata = json!({"objects": [new.object]});
    if new.action_type == "read" {
        metadata["progress"] = json!({
            "installationId": installation_id, "objectName": new.object,
            "operationId": id, "recordsProcessed": 0,
        });
    } else {
        metadata["successfulRecordIds"] = json!(new.record_ids);
    }
    let operation = json!({
        "id": id, "projectId": new.installation["projectId"], "integrationId": new.installation["integrationId"],
        "installationId": installation_id, "configId": new.installation["config"]["id"],
        "actionType": new.action_type, "status": "in_progress", "metadata": metadata, "createTime": now(),
    });
    state.operations.insert(id.clone(), operation);
    state.pending_polls.insert(id.clone(), polls);
    state.logs.insert(
        id.clone(),
        vec![log(
            &id,
            "INFO",
            &format!("{} of {} started", new.action_type, new.object),
            None,
        )],
    );
    if let Some(installation) = state.installations.get_mut(installation_id) {
        installation["lastOperationStatus"] = Value::String("in_progress".into());
    }
    id
}

fn log(operation_id: &str, severity: &str, msg: &str, details: Option<Value>) -> Value {
    let mut message = json!({"msg": msg, "operation_id": operation_id});
    if let Some(details) = details {
        message["details"] = details;
    }
    json!({"timestamp": now(), "severity": severity, "message": message})
}

/// Completes an operation with `success`, its result and final log lines.
pub(crate) fn complete(state: &mut State, id: &str) {
    state.pending_polls.remove(id);
    let Some(operation) = state.operations.get(id).cloned() else {
        return;
    };
    let object = operation["metadata"]["objects"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let installation_id = s(&operation, "installationId").to_owned();
    let (result, progress) = if s(&operation, "actionType") == "read" {
        let records = state
            .records
            .get(&format!("{installation_id}/{object}"))
            .map_or(DEFAULT_RECORDS, Vec::len);
        (format!("[{object}] Read {records} records"), Some(records))
    } else {
        let written = operation["metadata"]["successfulRecordIds"]
            .as_array()
            .map_or(0, Vec::len);
        (
            format!("Write completed ({written} succeeded, 0 failed)"),
            None,
        )
    };
    let stored = state.operations.get_mut(id).expect("cloned above");
    stored["status"] = Value::String("success".into());
    stored["result"] = Value::String(result.clone());
    if let Some(records) = progress {
        stored["metadata"]["progress"]["recordsProcessed"] = json!(records);
        stored["metadata"]["progress"]["recordsEstimatedTotal"] = json!(records);
    }
    let details = json!({"objectName": object, "installationId": installation_id});
    let logs = state.logs.entry(id.to_owned()).or_default();
    logs.push(log(id, "INFO", &result, Some(details)));
    logs.push(log(id, "INFO", "operation succeeded", None));
    if let Some(installation) = state.installations.get_mut(&installation_id) {
        installation["lastOperationStatus"] = Value::String("success".into());
    }
}

/// `GET /projects/{p}/operations/{operationId}`: each poll of an in-progress operation spends
/// one of its polls; when none is left it completes.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("operationId");
    require(
        find_in_project(&ctx.state.operations, &project_id, &id, false),
        "operation",
        &id,
    )?;
    match ctx.state.pending_polls.get_mut(&id) {
        Some(0) => complete(ctx.state, &id),
        Some(left) => *left -= 1,
        None => {}
    }
    Ok(Reply::ok(ctx.state.operations[&id].clone()))
}

/// `GET /projects/{p}/operations/{operationId}/logs`.
pub(crate) fn logs(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("operationId");
    require(
        find_in_project(&ctx.state.operations, &project_id, &id, false),
        "operation",
        &id,
    )?;
    Ok(Reply::ok(Value::Array(
        ctx.state.logs.get(&id).cloned().unwrap_or_default(),
    )))
}

/// `GET …/installations/{installationId}/operations?pageSize&pageToken`: newest first,
/// paginated with an opaque token.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let installation = installation_of(ctx, &project_id, s(&integration, "id"))?;
    let page_size = match ctx.query("pageSize") {
        None => 200,
        Some(text) => match text.parse::<usize>() {
            Ok(n @ 1..=1000) => n,
            _ => {
                return Err(ApiError::invalid(
                    StatusCode::BAD_REQUEST,
                    vec![
                        Issue::query("pageSize", "must be an integer from 1 to 1000")
                            .with_value(Value::String(text.into())),
                    ],
                ));
            }
        },
    };
    let start = match ctx.query("pageToken") {
        None | Some("") => 0,
        Some(token) => token
            .strip_prefix("offset-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                ApiError::invalid(
                    StatusCode::BAD_REQUEST,
                    vec![
                        Issue::query("pageToken", "is not a token this API returned")
                            .with_value(Value::String(token.into())),
                    ],
                )
            })?,
    };
    let mut all: Vec<Value> = ctx
        .state
        .operations
        .values()
        .filter(|o| s(o, "installationId") == s(&installation, "id"))
        .cloned()
        .collect();
    all.sort_by(|a, b| s(b, "createTime").cmp(s(a, "createTime")));
    let page: Vec<Value> = all.iter().skip(start).take(page_size).cloned().collect();
    let end = start + page.len();
    let mut pagination = json!({"done": end >= all.len()});
    if end < all.len() {
        pagination["nextPageToken"] = Value::String(format!("offset-{end}"));
    }
    Ok(Reply::ok(
        json!({"results": page, "pagination": pagination}),
    ))
}

/// `GET …/installations/{installationId}/objects/{objectName}/backfill-progress`: the progress
/// of the latest read of the object.
pub(crate) fn backfill_progress(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let installation = installation_of(ctx, &project_id, s(&integration, "id"))?;
    let object = ctx.param("objectName");
    let latest = ctx
        .state
        .operations
        .values()
        .filter(|o| {
            s(o, "installationId") == s(&installation, "id")
                && s(o, "actionType") == "read"
                && o["metadata"]["objects"][0].as_str() == Some(object.as_str())
        })
        .max_by(|a, b| s(a, "createTime").cmp(s(b, "createTime")))
        .cloned();
    let operation = require(latest, "backfill of object", &object)?;
    let progress = &operation["metadata"]["progress"];
    let mut out = json!({
        "installationId": installation["id"], "objectName": object, "operationId": operation["id"],
        "recordsProcessed": progress["recordsProcessed"].as_i64().unwrap_or(0),
        "createTime": operation["createTime"],
    });
    if let Some(total) = progress["recordsEstimatedTotal"].as_i64() {
        out["recordsEstimatedTotal"] = json!(total);
    }
    Ok(Reply::ok(out))
}
