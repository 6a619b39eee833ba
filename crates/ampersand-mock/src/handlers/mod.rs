//! Route handlers, one module per resource family, and what they share.

pub(crate) mod connections;
pub(crate) mod data;
pub(crate) mod destinations;
pub(crate) mod installations;
pub(crate) mod integrations;
pub(crate) mod keys;
pub(crate) mod metadata;
pub(crate) mod notifications;
pub(crate) mod operations;
pub(crate) mod orgs;
pub(crate) mod projects;
pub(crate) mod provider_apps;

use ampersand_core::Host;
use http::StatusCode;
use serde_json::{Map, Value};

use crate::reply::{ApiError, ErrorFormat};
use crate::router::Route;
use crate::state::{Table, s};

/// Encodes an error the way the spec declares it for the route: JWT-key operations and the
/// read and search APIs' 400/500 send problems as `application/json`; the write API's 400 is
/// `text/plain`.
pub(crate) fn error_format(route: &Route, error: ApiError) -> ApiError {
    let code = error.status.as_u16();
    let format = match route.host {
        _ if route.operation_id.contains("JWTKey") => ErrorFormat::JsonProblem,
        Host::Write if code == 400 => ErrorFormat::Text,
        Host::Read | Host::Search if code == 400 || code == 500 => {
            if matches!(route.operation_id, "pauseReads" | "unpauseReads") {
                ErrorFormat::Problem
            } else {
                ErrorFormat::JsonProblem
            }
        }
        _ => error.format,
    };
    error.format(format)
}

/// The resources of `table` that belong to a project, in creation order.
pub(crate) fn in_project(table: &Table, project_id: &str) -> Vec<Value> {
    let mut items: Vec<Value> = table
        .values()
        .filter(|v| s(v, "projectId") == project_id)
        .cloned()
        .collect();
    sort_by_create_time(&mut items);
    items
}

/// Sorts resources oldest first (IDs are random, so table order is not creation order).
pub(crate) fn sort_by_create_time(items: &mut [Value]) {
    items.sort_by(|a, b| s(a, "createTime").cmp(s(b, "createTime")));
}

/// Copies the members named by `mask` (dotted paths) from `patch` into `target`; a path absent
/// from `patch` is removed from `target`, as field masks specify.
pub(crate) fn apply_mask(target: &mut Value, patch: &Value, mask: &[String]) {
    for path in mask {
        let keys: Vec<&str> = path.split('.').collect();
        let new = keys.iter().try_fold(patch, |v, k| v.get(*k)).cloned();
        set_path(target, &keys, new);
    }
}

/// Sets (or with `None`, removes) the member at a key path, creating objects on the way.
pub(crate) fn set_path(target: &mut Value, keys: &[&str], value: Option<Value>) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut node = target;
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("just made an object");
        node = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    let map = node.as_object_mut().expect("just made an object");
    match value {
        Some(v) if !v.is_null() => {
            map.insert(last.to_string(), v);
        }
        _ => {
            map.remove(*last);
        }
    }
}

/// Finds a resource of a project by ID, or by its `name` member when `by_name`.
pub(crate) fn find_in_project<'t>(
    table: &'t Table,
    project_id: &str,
    reference: &str,
    by_name: bool,
) -> Option<&'t Value> {
    table
        .get(reference)
        .filter(|v| s(v, "projectId") == project_id)
        .or_else(|| {
            by_name
                .then(|| {
                    table
                        .values()
                        .find(|v| s(v, "projectId") == project_id && s(v, "name") == reference)
                })
                .flatten()
        })
}

/// `404` unless `found`.
pub(crate) fn require<T>(found: Option<T>, kind: &str, reference: &str) -> Result<T, ApiError> {
    found.ok_or_else(|| ApiError::not_found(kind, reference))
}

/// The `createTime` and `updateTime` members of an update.
pub(crate) fn touch(value: &mut Value) {
    value["updateTime"] = Value::String(crate::state::now());
}

/// `409`/`422` for a name already taken.
pub(crate) fn name_taken(status: StatusCode, kind: &str, name: &str) -> ApiError {
    ApiError::conflict(
        status,
        crate::reply::Issue::body("name", format!("a {kind} named '{name}' already exists"))
            .with_value(Value::String(name.to_owned())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_copy_present_paths_and_remove_absent_ones() {
        let mut target = json!({"name": "a", "appName": "x", "config": {"content": {"read": {"objects": {"a": 1, "b": 2}}}}});
        let patch = json!({"name": "b", "config": {"content": {"read": {"objects": {"a": 3}}}}});
        apply_mask(
            &mut target,
            &patch,
            &[
                "name".into(),
                "appName".into(),
                "config.content.read.objects.a".into(),
                "config.content.read.objects.b".into(),
            ],
        );
        assert_eq!(
            target,
            json!({"name": "b", "config": {"content": {"read": {"objects": {"a": 3}}}}})
        );
    }
}
