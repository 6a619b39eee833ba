//! The read, write and search APIs: triggered reads (which start operations), pausing and
//! resuming scheduled reads, result delivery, record writes (kept in memory per installation
//! and object) and searches over those records.

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::installations::{installation_for_group, installation_of};
use super::integrations::integration_of;
use super::operations::{self, NewOperation};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{random_hex, s};
use crate::validate::Check;

/// Whether the installation (config) or the integration (latest revision) has `object` for `action`.
fn has_object(installation: &Value, integration: &Value, action: &str, object: &str) -> bool {
    installation["config"]["content"][action]["objects"]
        .get(object)
        .is_some()
        || integration["latestRevision"]["content"][action]["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["objectName"].as_str() == Some(object))
}

/// `POST /projects/{p}/integrations/{i}/objects/{o}` on the read host: 201 `{operationId}`.
pub(crate) fn trigger_read(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let object = ctx.param("objectName");
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let group_ref = check.string("groupRef");
    check.one_of("mode", &["async"], true);
    for key in ["sinceTimestamp", "untilTimestamp"] {
        if let Some(t) = check.opt_string(key)
            && chrono::DateTime::parse_from_rfc3339(&t).is_err()
        {
            check.issue(
                Issue::body(key, "must be an RFC 3339 timestamp").with_value(Value::String(t)),
            );
        }
    }
    check.finish(ctx.route.invalid)?;
    let installation =
        installation_for_group(ctx, s(&integration, "id"), &group_ref.unwrap_or_default())?;
    if !has_object(&installation, &integration, "read", &object) {
        return Err(ApiError::not_found("read object", &object)
            .remedy("Trigger reads only for objects the integration's read section declares."));
    }
    let id = operations::start(
        ctx.state,
        ctx.config.operation_polls,
        NewOperation {
            installation: &installation,
            action_type: "read",
            object: &object,
            record_ids: Vec::new(),
        },
    );
    Ok(Reply::created(json!({"operationId": id})))
}

fn pause_body(ctx: &Ctx<'_>) -> Result<(Value, Vec<String>), ApiError> {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let installation = installation_of(ctx, &project_id, s(&integration, "id"))?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let objects = check.strings("objects", false).unwrap_or_default();
    check.opt_string("note");
    check.finish(ctx.route.invalid)?;
    Ok((installation, objects))
}

/// `POST …/installations/{id}:pause` (read host): 204; no `objects` pauses every object.
pub(crate) fn pause_reads(ctx: &mut Ctx<'_>) -> HandlerResult {
    let (installation, objects) = pause_body(ctx)?;
    let paused = ctx
        .state
        .paused
        .entry(s(&installation, "id").to_owned())
        .or_default();
    if objects.is_empty() {
        *paused = vec!["*".to_owned()];
    } else {
        for o in objects {
            if !paused.contains(&o) {
                paused.push(o);
            }
        }
    }
    Ok(Reply::no_content())
}

/// `POST …/installations/{id}:unpause` (read host): 204; no `objects` resumes every object.
pub(crate) fn unpause_reads(ctx: &mut Ctx<'_>) -> HandlerResult {
    let (installation, objects) = pause_body(ctx)?;
    let id = s(&installation, "id").to_owned();
    if objects.is_empty() {
        ctx.state.paused.remove(&id);
    } else if let Some(paused) = ctx.state.paused.get_mut(&id) {
        paused.retain(|o| !objects.contains(o));
        if paused.is_empty() {
            ctx.state.paused.remove(&id);
        }
    }
    Ok(Reply::no_content())
}

/// `POST …/objects/{o}:deliverResults` (read host): 204.
pub(crate) fn deliver_results(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let group_ref = check.string("groupRef");
    if body.get("pages").is_none() {
        check.issue(Issue::body("pages", "is required"));
    }
    check.opt_int("pages", 0, i64::MAX);
    check.finish(ctx.route.invalid)?;
    installation_for_group(ctx, s(&integration, "id"), &group_ref.unwrap_or_default())?;
    Ok(Reply::no_content())
}

/// The outcome of writing one record.
struct Written {
    success: bool,
    record_id: Option<String>,
    data: Option<Value>,
    error: Option<String>,
}

fn write_one(records: &mut Vec<Value>, kind: &str, record: &Value) -> Written {
    let id = record.get("id").and_then(Value::as_str).map(str::to_owned);
    let fail = |error: String| Written {
        success: false,
        record_id: None,
        data: None,
        error: Some(error),
    };
    match kind {
        "create" => {
            let id = id.unwrap_or_else(|| format!("rec-{}", random_hex(6)));
            let mut stored = record.clone();
            stored["id"] = Value::String(id.clone());
            records.push(stored.clone());
            Written {
                success: true,
                record_id: Some(id),
                data: Some(stored),
                error: None,
            }
        }
        "update" => {
            let Some(id) = id else {
                return fail("record.id is required for updates".into());
            };
            match records.iter_mut().find(|r| r["id"].as_str() == Some(&id)) {
                Some(stored) => {
                    if let (Some(target), Some(patch)) =
                        (stored.as_object_mut(), record.as_object())
                    {
                        target.extend(patch.clone());
                    }
                    Written {
                        success: true,
                        record_id: Some(id),
                        data: Some(stored.clone()),
                        error: None,
                    }
                }
                None => fail(format!("The record with ID {id} was not found")),
            }
        }
        _ => {
            let Some(id) = id else {
                return fail("record.id is required for deletes".into());
            };
            let before = records.len();
            records.retain(|r| r["id"].as_str() != Some(&id));
            if records.len() < before {
                Written {
                    success: true,
                    record_id: None,
                    data: None,
                    error: None,
                }
            } else {
                fail(format!("The record with ID {id} was not found"))
            }
        }
    }
}

fn result_json(w: &Written) -> Value {
    let mut out = json!({"success": w.success});
    if let Some(id) = &w.record_id {
        out["recordId"] = Value::String(id.clone());
    }
    if let Some(data) = &w.data {
        out["data"] = data.clone();
    }
    out
}

/// `POST /projects/{p}/integrations/{i}/objects/{o}` on the write host: synchronous writes
/// answer the result (200, or 422 when records failed); asynchronous writes answer
/// `{operationId}` and complete like reads. Input errors are `text/plain` 400s.
pub(crate) fn write_records(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let object = ctx.param("objectName");
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let group_ref = check.string("groupRef");
    let kind = check.one_of("type", &["create", "update", "delete"], true);
    let mode = check.one_of("mode", &["synchronous", "asynchronous"], false);
    check.opt_int("retryPolicy.deadlineHours", 1, 48);
    let single = check.opt_object("record").cloned();
    let batch: Option<Vec<Value>> = body.get("batch").and_then(Value::as_array).cloned();
    if !body["batch"].is_null() && batch.is_none() {
        check.issue(Issue::body("batch", "must be an array"));
    }
    if single.is_some() == batch.is_some() {
        check.issue(Issue::body(
            "record",
            "give exactly one of record and batch",
        ));
    }
    for (i, item) in batch.iter().flatten().enumerate() {
        if !item["record"].is_object() {
            check.issue(Issue::body(format!("batch[{i}].record"), "is required"));
        }
    }
    check.finish(ctx.route.invalid)?;
    let installation =
        installation_for_group(ctx, s(&integration, "id"), &group_ref.unwrap_or_default())?;
    if !has_object(&installation, &integration, "write", &object) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("object {object} is not configured for writes"),
        ));
    }
    let kind = kind.unwrap_or_default();
    let asynchronous = mode.as_deref() == Some("asynchronous");
    let key = format!("{}/{object}", s(&installation, "id"));
    let records = ctx.state.records.entry(key).or_default();
    let outcomes: Vec<Written> = match (&single, &batch) {
        (Some(record), _) => vec![write_one(records, &kind, record)],
        (None, Some(items)) => items
            .iter()
            .map(|i| write_one(records, &kind, &i["record"]))
            .collect(),
        (None, None) => unreachable!("checked above"),
    };
    let record_ids: Vec<String> = outcomes
        .iter()
        .filter_map(|w| w.record_id.clone())
        .collect();
    let operation_id = operations::start(
        ctx.state,
        ctx.config.operation_polls,
        NewOperation {
            installation: &installation,
            action_type: "write",
            object: &object,
            record_ids,
        },
    );
    if asynchronous {
        return Ok(Reply::ok(json!({"operationId": operation_id})));
    }
    operations::complete(ctx.state, &operation_id);
    let failures = outcomes.iter().filter(|w| !w.success).count();
    let status = if failures == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let errors: Vec<Value> = outcomes
        .iter()
        .filter_map(|w| w.error.as_ref().map(|e| json!({"message": e})))
        .collect();
    let body = if single.is_some() {
        let mut out = json!({"operationId": operation_id, "result": result_json(&outcomes[0])});
        if failures > 0 {
            out["errors"] = Value::Array(errors);
        }
        out
    } else {
        let mut out = json!({
            "operationId": operation_id,
            "successCount": outcomes.len() - failures,
            "failureCount": failures,
            "results": outcomes.iter().map(result_json).collect::<Vec<_>>(),
        });
        if failures > 0 {
            out["errors"] = Value::Array(errors);
        }
        out
    };
    Ok(Reply::json(status, &body))
}

/// `POST /projects/{p}/integrations/{i}?groupRef` on the search host: records written through
/// the write API for that group's installation whose fields equal every filter.
pub(crate) fn search_records(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let object = check.string("objectName");
    let filters = body["fieldFilters"].as_array().cloned().unwrap_or_default();
    if !body["fieldFilters"].is_array() {
        check.issue(Issue::body("fieldFilters", "is required (an array)"));
    }
    for (i, filter) in filters.iter().enumerate() {
        check.string(&format!("fieldFilters.{i}.fieldName"));
        check.one_of(&format!("fieldFilters.{i}.operator"), &["eq"], true);
        if filter
            .get("value")
            .is_none_or(|v| !(v.is_string() || v.is_number() || v.is_boolean()))
        {
            check.issue(Issue::body(
                format!("fieldFilters[{i}].value"),
                "must be a string, number or boolean",
            ));
        }
    }
    check.finish(ctx.route.invalid)?;
    let object = object.unwrap_or_default();
    // The query table makes groupRef required: only that group's installation is searched.
    let group_ref = ctx.query("groupRef").unwrap_or_default().to_owned();
    let installation = installation_for_group(ctx, s(&integration, "id"), &group_ref)?;
    let matches = |record: &Value| {
        filters.iter().all(|f| {
            let field = &record[s(f, "fieldName")];
            let value = &f["value"];
            field == value
                || (field.is_string()
                    && value.to_string().trim_matches('"') == field.as_str().unwrap_or_default())
        })
    };
    let key = format!("{}/{object}", s(&installation, "id"));
    let result: Vec<Value> = ctx
        .state
        .records
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|r| matches(r))
        .map(|r| json!({"fields": r, "mappedFields": Map::new(), "raw": r}))
        .collect();
    Ok(Reply::ok(json!({"result": result})))
}
