//! The operation model: every operation of the spec with its metadata, parameters, body and
//! output, plus which modules use which component schemas.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Kind, Model, Origin, Ty};
use super::naming::{method_name, pascal, snake, words};
use super::spec::Document;

/// Tags whose module name is not the plural of the tag.
const TAG_MODULES: &[(&str, &str)] = &[
    ("OAuth", "oauth"),
    ("Billing Account", "billing"),
    ("Read", "read"),
    ("Write", "write"),
    ("Search", "search"),
];

/// The module of a tag: `Provider App` -> `provider_apps`, `Objects & Fields` ->
/// `objects_and_fields`.
pub fn tag_module(tag: &str) -> String {
    if let Some((_, module)) = TAG_MODULES.iter().find(|(t, _)| *t == tag) {
        return (*module).to_owned();
    }
    if tag.contains('&') {
        return tag
            .split('&')
            .map(|part| words(part).join("_"))
            .collect::<Vec<_>>()
            .join("_and_");
    }
    let mut w = words(tag);
    if let Some(last) = w.last_mut()
        && !last.ends_with('s')
    {
        last.push('s');
    }
    w.join("_")
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Op {
    /// The spec's operationId.
    pub id: String,
    /// The request type's name.
    pub type_name: String,
    /// The tag as the spec writes it.
    pub tag: String,
    /// The module of the tag.
    pub module: String,
    /// The accessor method.
    pub method_name: String,
    /// `Api`, `Read`, `Write` or `Search`.
    pub host: &'static str,
    /// `GET`, `POST`...
    pub method: String,
    /// Path template relative to the host's base URL.
    pub path: String,
    /// `AuthSchemes` constant name.
    pub auth: &'static str,
    /// Whether retrying is safe.
    pub idempotent: bool,
    /// Summary and description.
    pub summary: Option<String>,
    /// Long description.
    pub description: Option<String>,
    /// Whether the spec deprecates the operation.
    pub deprecated: bool,
    /// Path parameters in template order.
    pub path_params: Vec<Param>,
    /// Query parameters.
    pub query: Vec<Param>,
    /// The JSON body.
    pub body: Option<Body>,
    /// What a successful response holds.
    pub output: Output,
    /// Page-token pagination, when the operation has it.
    pub pagination: Option<Pagination>,
    /// Whether an error response is `text/plain` (the write API's 400), so `Accept` must list it.
    pub text_errors: bool,
}

/// A path or query parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name.
    pub wire: String,
    /// Rust name.
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// Whether it is required.
    pub required: bool,
    /// Raw description.
    pub description: Option<String>,
    /// `minimum`, for integers.
    pub minimum: Option<i64>,
    /// `maximum`, for integers.
    pub maximum: Option<i64>,
    /// Default, for the docs.
    pub default: Option<Value>,
}

/// A JSON request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Its type.
    pub ty: Ty,
    /// Where its schema is.
    pub origin: Origin,
    /// Example of the media type, if any.
    pub has_examples: bool,
}

/// The output of a successful call.
#[derive(Debug, Clone)]
pub enum Output {
    /// A JSON body.
    Json(Ty, Origin),
    /// A `text/plain` body.
    Text,
    /// No body.
    Empty,
}

/// How an operation pages.
#[derive(Debug, Clone)]
pub struct Pagination {
    /// Field of the output that holds the page's items.
    pub items_field: String,
    /// The item type.
    pub item: Ty,
    /// Field of the output that holds the pagination info.
    pub info_field: String,
}

/// An operation as found in a document.
#[derive(Debug, Clone)]
pub struct RawOp {
    /// Document short name.
    pub doc: &'static str,
    /// Path template.
    pub path: String,
    /// Lowercase method.
    pub method: String,
    /// The operation object.
    pub value: Value,
}

impl RawOp {
    /// JSON pointer of the operation object.
    pub fn pointer(&self) -> String {
        format!(
            "/paths/{}/{}",
            super::model::escape_pointer(&self.path),
            self.method
        )
    }

    /// The module of its first tag.
    pub fn module(&self) -> String {
        tag_module(self.tag())
    }

    fn tag(&self) -> &str {
        self.value
            .pointer("/tags/0")
            .and_then(Value::as_str)
            .unwrap_or("Default")
    }
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];
const OP_DOCS: &[&str] = &["api", "read", "write", "search"];

/// Every operation of the documents that have paths.
pub fn raw_operations(docs: &[Document]) -> Vec<RawOp> {
    let mut out = Vec::new();
    for doc in docs.iter().filter(|d| OP_DOCS.contains(&d.name)) {
        let Some(paths) = doc.value.get("paths").and_then(Value::as_object) else {
            continue;
        };
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    out.push(RawOp {
                        doc: doc.name,
                        path: path.clone(),
                        method: (*method).to_owned(),
                        value: op.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Which modules use each component schema (through parameters, request bodies and success
/// responses, transitively).
pub fn usage(
    docs: &[Document],
    ops: &[RawOp],
) -> Result<BTreeMap<(&'static str, String), BTreeSet<String>>, String> {
    let mut usage: BTreeMap<(&'static str, String), BTreeSet<String>> = BTreeMap::new();
    for op in ops {
        let mut seen = BTreeSet::new();
        let mut roots = Vec::new();
        if let Some(params) = op.value.get("parameters") {
            roots.push(params.clone());
        }
        if let Some(body) = op.value.get("requestBody") {
            roots.push(body.clone());
        }
        if let Some(responses) = op.value.get("responses").and_then(Value::as_object) {
            roots.extend(
                responses
                    .iter()
                    .filter(|(code, _)| code.starts_with('2'))
                    .map(|(_, r)| r.clone()),
            );
        }
        for root in roots {
            walk_refs(docs, op.doc, &root, &mut seen)?;
        }
        for key in seen {
            usage.entry(key).or_default().insert(op.module());
        }
    }
    Ok(usage)
}

fn walk_refs(
    docs: &[Document],
    doc: &'static str,
    value: &Value,
    seen: &mut BTreeSet<(&'static str, String)>,
) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let (target_doc, pointer) = resolve(docs, doc, reference)?;
                if let Some(name) = pointer.strip_prefix("/components/schemas/")
                    && seen.insert((target_doc, name.to_owned()))
                {
                    let document = docs
                        .iter()
                        .find(|d| d.name == target_doc)
                        .ok_or("unknown document")?;
                    let schema = document
                        .value
                        .pointer(&pointer)
                        .cloned()
                        .unwrap_or(Value::Null);
                    walk_refs(docs, target_doc, &schema, seen)?;
                }
            }
            for (key, v) in map {
                if key != "example" && key != "examples" {
                    walk_refs(docs, doc, v, seen)?;
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                walk_refs(docs, doc, v, seen)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn resolve(
    docs: &[Document],
    doc: &'static str,
    reference: &str,
) -> Result<(&'static str, String), String> {
    let (file, pointer) = reference
        .split_once('#')
        .ok_or_else(|| format!("bad $ref {reference}"))?;
    if file.is_empty() {
        return Ok((doc, pointer.to_owned()));
    }
    let base = docs
        .iter()
        .find(|d| d.name == doc)
        .map(|d| d.path)
        .unwrap_or("");
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for part in file.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            other => parts.push(other),
        }
    }
    let path = parts.join("/");
    docs.iter()
        .find(|d| d.path == path)
        .map(|d| (d.name, pointer.to_owned()))
        .ok_or_else(|| format!("$ref to unknown document {path}"))
}

fn auth_of(security: &Value) -> Result<&'static str, String> {
    let schemes: BTreeSet<&str> = security
        .as_array()
        .ok_or("security must be a list")?
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    let api_key = schemes.iter().any(|s| s.starts_with("APIKey"));
    let bearer = schemes.contains("Bearer");
    Ok(match (api_key, bearer) {
        (false, false) => "NONE",
        (true, false) => "API_KEY",
        (false, true) => "BEARER",
        (true, true) => "API_KEY_OR_BEARER",
    })
}

/// Builds the operation model, defining the types of inline parameters, bodies and responses.
pub fn build(model: &mut Model, raw: &[RawOp]) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    for op in raw {
        ops.push(build_one(model, op)?);
    }
    ops.sort_by(|a, b| (&a.module, &a.id).cmp(&(&b.module, &b.id)));
    let mut names: BTreeMap<(String, String), String> = BTreeMap::new();
    for op in &ops {
        if let Some(other) =
            names.insert((op.module.clone(), op.method_name.clone()), op.id.clone())
        {
            return Err(format!(
                "operations {other} and {} both map to method {}",
                op.id, op.method_name
            ));
        }
    }
    Ok(ops)
}

fn build_one(model: &mut Model, raw: &RawOp) -> Result<Op, String> {
    let v = &raw.value;
    let id = v
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{} {} has no operationId", raw.method, raw.path))?
        .to_owned();
    let type_name = pascal(&id);
    let module = raw.module();
    let tag = raw.tag().to_owned();
    let pointer = raw.pointer();
    let doc_value = model.doc(raw.doc).value.clone();
    let security = match v.get("security") {
        Some(s) => s.clone(),
        None => doc_value
            .get("security")
            .cloned()
            .unwrap_or(Value::Array(vec![])),
    };
    let host = match raw.doc {
        "api" => "Api",
        "read" => "Read",
        "write" => "Write",
        "search" => "Search",
        other => return Err(format!("no host for document {other}")),
    };
    let mut path_params = Vec::new();
    let mut query = Vec::new();
    let params = v
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, p) in params.iter().enumerate() {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or("parameter without a name")?;
        let location = p.get("in").and_then(Value::as_str).unwrap_or("");
        let schema = p.get("schema").cloned().unwrap_or(Value::Null);
        let ty = if location == "path" {
            Ty::String
        } else {
            model.ty(
                raw.doc,
                &schema,
                &format!("{pointer}/parameters/{i}/schema"),
                &module,
                &format!("{type_name}{}", pascal(name)),
            )?
        };
        let param = Param {
            wire: name.to_owned(),
            name: snake(name),
            ty,
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false)
                || location == "path",
            description: p
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            minimum: schema.get("minimum").and_then(Value::as_i64),
            maximum: schema.get("maximum").and_then(Value::as_i64),
            default: schema.get("default").cloned(),
        };
        match location {
            "path" => path_params.push(param),
            "query" => query.push(param),
            other => return Err(format!("{id}: parameters in `{other}` are not supported")),
        }
    }
    // Path parameters in template order.
    path_params.sort_by_key(|p| {
        raw.path
            .find(&format!("{{{}}}", p.wire))
            .unwrap_or(usize::MAX)
    });
    let body = match v.pointer("/requestBody/content") {
        Some(content) => {
            let media = content
                .get("application/json")
                .ok_or_else(|| format!("{id}: only JSON request bodies are supported"))?;
            let schema = media.get("schema").cloned().unwrap_or(Value::Null);
            let schema_pointer = format!("{pointer}/requestBody/content/application~1json/schema");
            let ty = model.ty(
                raw.doc,
                &schema,
                &schema_pointer,
                &module,
                &format!("{type_name}Body"),
            )?;
            Some(Body {
                ty,
                origin: Origin {
                    doc: raw.doc,
                    pointer: schema_pointer,
                },
                has_examples: media.get("examples").is_some(),
            })
        }
        None => None,
    };
    let responses = v
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{id} has no responses"))?;
    let (code, success) = responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .min_by_key(|(code, _)| code.to_string())
        .ok_or_else(|| format!("{id} has no success response"))?;
    let output = match success.get("content").and_then(Value::as_object) {
        None => Output::Empty,
        Some(content) if content.is_empty() => Output::Empty,
        Some(content) => {
            if let Some(media) = content.get("application/json") {
                let schema = media.get("schema").cloned().unwrap_or(Value::Null);
                let schema_pointer =
                    format!("{pointer}/responses/{code}/content/application~1json/schema");
                let ty = model.ty(
                    raw.doc,
                    &schema,
                    &schema_pointer,
                    &module,
                    &format!("{type_name}Response"),
                )?;
                Output::Json(
                    ty,
                    Origin {
                        doc: raw.doc,
                        pointer: schema_pointer,
                    },
                )
            } else if content.contains_key("text/plain") {
                Output::Text
            } else {
                return Err(format!("{id}: unsupported success media type"));
            }
        }
    };
    let pagination = pagination(model, &query, &output);
    let text_errors = responses
        .iter()
        .filter(|(code, _)| !code.starts_with('2'))
        .any(|(_, response)| {
            response
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.contains_key("text/plain"))
        });
    let method = raw.method.to_uppercase();
    Ok(Op {
        method_name: method_name(&id, &tag),
        idempotent: matches!(method.as_str(), "GET" | "PUT" | "DELETE"),
        id,
        type_name,
        tag,
        module,
        host,
        method,
        path: raw.path.clone(),
        auth: auth_of(&security)?,
        text_errors,
        summary: v.get("summary").and_then(Value::as_str).map(str::to_owned),
        description: v
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        deprecated: v
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        path_params,
        query,
        body,
        output,
        pagination,
    })
}

fn pagination(model: &Model, query: &[Param], output: &Output) -> Option<Pagination> {
    query.iter().find(|p| p.wire == "pageToken")?;
    let Output::Json(Ty::Named(id), _) = output else {
        return None;
    };
    let Kind::Struct(s) = &model.types[*id].kind else {
        return None;
    };
    let info = s.fields.iter().find(|f| f.wire == "pagination")?;
    let Ty::Named(info_id) = info.ty else {
        return None;
    };
    let Kind::Struct(info_struct) = &model.types[info_id].kind else {
        return None;
    };
    info_struct
        .fields
        .iter()
        .find(|f| f.wire == "nextPageToken")?;
    info_struct.fields.iter().find(|f| f.wire == "done")?;
    let mut lists = s.fields.iter().filter(|f| matches!(f.ty, Ty::Vec(_)));
    let items = lists.next()?;
    if lists.next().is_some() {
        return None;
    }
    let Ty::Vec(item) = &items.ty else {
        return None;
    };
    Some(Pagination {
        items_field: items.name.clone(),
        item: (**item).clone(),
        info_field: info.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tag_modules() {
        for (tag, want) in [
            ("Project", "projects"),
            ("Provider App", "provider_apps"),
            ("Objects & Fields", "objects_and_fields"),
            ("API Key", "api_keys"),
            ("JWT Key", "jwt_keys"),
            ("Upload URL", "upload_urls"),
            ("Billing Account", "billing"),
            ("OAuth", "oauth"),
            ("Read", "read"),
        ] {
            assert_eq!(tag_module(tag), want);
        }
    }

    #[test]
    fn security_to_auth_schemes() {
        assert_eq!(auth_of(&json!([])).unwrap(), "NONE");
        assert_eq!(auth_of(&json!([{"Bearer": []}])).unwrap(), "BEARER");
        assert_eq!(auth_of(&json!([{"APIKeyHeader": []}])).unwrap(), "API_KEY");
        assert_eq!(
            auth_of(&json!([{"APIKeyHeader": []}, {"Bearer": []}])).unwrap(),
            "API_KEY_OR_BEARER"
        );
    }
}
