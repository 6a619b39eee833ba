//! The query parameters of each operation as the spec declares them (type, enum, bounds,
//! whether required), checked before the operation's handler runs.
//!
//! The table is written out here rather than read from the spec at run time (the mock ships
//! without the spec); a unit test compares it with every query parameter of the four API
//! specs, so a parameter or enum value added to the spec fails that test until it is added
//! here. Parameters the spec does not declare are ignored, as the service ignores them.

use std::collections::HashMap;

use serde_json::Value;

use crate::handlers::notifications::EVENT_TYPES;
use crate::reply::{ApiError, Issue};
use crate::router::Route;

/// What values a query parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Any string.
    Text,
    /// `true` or `false`.
    Bool,
    /// An integer within bounds (inclusive).
    Int {
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
    },
    /// One of the listed strings.
    Enum(&'static [&'static str]),
}

/// One query parameter of one operation.
#[derive(Debug)]
pub(crate) struct Param {
    /// The operation's operationId.
    pub(crate) operation_id: &'static str,
    /// The parameter's name.
    pub(crate) name: &'static str,
    /// Whether the spec requires it.
    pub(crate) required: bool,
    /// Its values.
    pub(crate) kind: Kind,
}

const fn param(operation_id: &'static str, name: &'static str, kind: Kind) -> Param {
    Param {
        operation_id,
        name,
        required: false,
        kind,
    }
}

const fn required(operation_id: &'static str, name: &'static str, kind: Kind) -> Param {
    Param {
        operation_id,
        name,
        required: true,
        kind,
    }
}

use Kind::{Bool, Enum, Text};

/// Every query parameter of the platform, read, write and search specs.
pub(crate) static PARAMS: &[Param] = &[
    param("getProject", "includeEntitlements", Bool),
    param("batchUpsertIntegrations", "destructive", Bool),
    param("createRevision", "destructive", Bool),
    required("getHydratedRevision", "connectionId", Text),
    param("listInstallations", "groupRef", Text),
    param("createInstallation", "skipSampling", Bool),
    param("updateInstallation", "skipSampling", Bool),
    required("getObjectMetadataForInstallation", "groupRef", Text),
    param("getObjectMetadataForInstallation", "excludeReadOnly", Bool),
    param("listInstallationsForProject", "groupRef", Text),
    required("getObjectMetadataForConnection", "groupRef", Text),
    param("getObjectMetadataForConnection", "excludeReadOnly", Bool),
    param(
        "listOperations",
        "pageSize",
        Kind::Int { min: 1, max: 1000 },
    ),
    param("listOperations", "pageToken", Text),
    param("listApiKeys", "active", Bool),
    param("listConnections", "provider", Text),
    param("listConnections", "groupRef", Text),
    param("listConnections", "consumerRef", Text),
    param("getConnection", "includeCreds", Bool),
    param("getConnection", "includeRefreshToken", Bool),
    param("getConnection", "refresh", Enum(&["force", "ifExpired"])),
    param("getDestination", "includeSecrets", Bool),
    param("getDestination", "rotate", Bool),
    param("listEventTopicRoutes", "topicId", Text),
    param("listEventTopicRoutes", "eventType", Enum(EVENT_TYPES)),
    param("listTopicDestinationRoutes", "topicId", Text),
    param("listTopicDestinationRoutes", "destinationId", Text),
    param("listJWTKeys", "active", Bool),
    required("checkClaimedDomain", "domain", Text),
    required("searchRecords", "groupRef", Text),
];

/// Checks a request's query against the route's parameters: required ones present, booleans,
/// integers and enums within their values. All issues are reported at once, with the route's
/// input-validation status.
pub(crate) fn check(route: &Route, query: &HashMap<String, String>) -> Result<(), ApiError> {
    let mut issues = Vec::new();
    for param in PARAMS
        .iter()
        .filter(|p| p.operation_id == route.operation_id)
    {
        let Some(value) = query.get(param.name) else {
            if param.required {
                issues.push(Issue::query(param.name, "is required"));
            }
            continue;
        };
        let problem = match param.kind {
            Kind::Text if param.required && value.is_empty() => Some("must not be empty".into()),
            Kind::Text => None,
            Kind::Bool => (!matches!(value.as_str(), "true" | "false" | "1" | "0"))
                .then(|| "must be true or false".to_owned()),
            Kind::Int { min, max } => value
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .is_none()
                .then(|| format!("must be an integer from {min} to {max}")),
            Kind::Enum(values) => (!values.contains(&value.as_str()))
                .then(|| format!("must be one of {}", values.join(", "))),
        };
        if let Some(detail) = problem {
            issues.push(Issue::query(param.name, detail).with_value(Value::String(value.clone())));
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(route.invalid, issues))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::router::ROUTES;

    /// The spec directory: `$AMP_SPEC_DIR`, else `../shared/spec` beside the workspace.
    fn spec_dir() -> PathBuf {
        std::env::var_os("AMP_SPEC_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec")
            })
    }

    /// `(operationId, name)` → `(required, kind as text)` from the spec.
    fn spec_params() -> BTreeMap<(String, String), (bool, String)> {
        let mut out = BTreeMap::new();
        for file in ["api.yaml", "read.yaml", "write.yaml", "search.yaml"] {
            let path = spec_dir().join("api").join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "the spec is needed to check the query table: {} ({e}); set AMP_SPEC_DIR",
                    path.display()
                )
            });
            let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
            let schemas = &doc["components"]["schemas"];
            for item in doc["paths"].as_object().unwrap().values() {
                for op in item.as_object().unwrap().values() {
                    let Some(id) = op["operationId"].as_str() else {
                        continue;
                    };
                    for p in op["parameters"].as_array().into_iter().flatten() {
                        if p["in"] != "query" {
                            continue;
                        }
                        let mut schema = &p["schema"];
                        if let Some(name) = schema["$ref"]
                            .as_str()
                            .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        {
                            schema = &schemas[name];
                        }
                        out.insert(
                            (id.to_owned(), p["name"].as_str().unwrap().to_owned()),
                            (p["required"] == true, kind_of_schema(schema)),
                        );
                    }
                }
            }
        }
        out
    }

    fn kind_of_schema(schema: &Value) -> String {
        if let Some(values) = schema["enum"].as_array() {
            let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            return format!("enum {}", values.join(","));
        }
        match schema["type"].as_str() {
            Some("boolean") => "bool".into(),
            Some("integer") => format!(
                "int {}..{}",
                schema["minimum"].as_i64().unwrap_or(i64::MIN),
                schema["maximum"].as_i64().unwrap_or(i64::MAX)
            ),
            _ => "text".into(),
        }
    }

    fn kind_of(kind: Kind) -> String {
        match kind {
            Kind::Text => "text".into(),
            Kind::Bool => "bool".into(),
            Kind::Int { min, max } => format!("int {min}..{max}"),
            Kind::Enum(values) => format!("enum {}", values.join(",")),
        }
    }

    #[test]
    fn the_table_is_the_specs_query_parameters() {
        let table: BTreeMap<(String, String), (bool, String)> = PARAMS
            .iter()
            .map(|p| {
                (
                    (p.operation_id.to_owned(), p.name.to_owned()),
                    (p.required, kind_of(p.kind)),
                )
            })
            .collect();
        assert_eq!(table.len(), PARAMS.len(), "a parameter is listed twice");
        assert_eq!(table, spec_params());
        for p in PARAMS {
            assert!(
                ROUTES.iter().any(|r| r.operation_id == p.operation_id),
                "{} is not routed",
                p.operation_id
            );
        }
    }
}
