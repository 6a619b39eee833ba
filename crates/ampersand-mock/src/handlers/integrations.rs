//! Integrations, their revisions, and the upload flow that feeds them: generateUploadUrl, the
//! signed-URL `PUT` (which checks `Content-MD5`), then a `gs://bucket/path` source.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, StatusCode};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::{find_in_project, in_project, require};
use crate::catalog;
use crate::manifest::{self, Manifest};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{State, Upload, now, s, uuid};
use crate::validate::Check;

/// The bucket of the mock's signed upload URLs.
pub(crate) const UPLOAD_BUCKET: &str = "ampersand-mock-uploads";

/// `GET /projects/{p}/integrations`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    Ok(Reply::ok(Value::Array(in_project(
        &ctx.state.integrations,
        &project_id,
    ))))
}

/// `GET /projects/{p}/integrations/{integrationIdOrName}`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let reference = ctx.param("integrationIdOrName");
    let integration = require(
        find_in_project(&ctx.state.integrations, &project_id, &reference, true),
        "integration",
        &reference,
    )?;
    Ok(Reply::ok(integration.clone()))
}

/// The integration of the `integrationId` path parameter (ID or name).
pub(crate) fn integration_of(ctx: &Ctx<'_>, project_id: &str) -> Result<Value, ApiError> {
    let reference = ctx.param("integrationId");
    require(
        find_in_project(&ctx.state.integrations, project_id, &reference, true),
        "integration",
        &reference,
    )
    .cloned()
}

/// `DELETE /projects/{p}/integrations/{integrationIdOrName}`; its installations go with it.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let reference = ctx.param("integrationIdOrName");
    let id = require(
        find_in_project(&ctx.state.integrations, &project_id, &reference, true),
        "integration",
        &reference,
    )?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ctx.state.integrations.remove(&id);
    ctx.state
        .installations
        .retain(|_, i| s(i, "integrationId") != id);
    Ok(Reply::no_content())
}

/// `POST /projects/{p}/integrations`: 201 with no body.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let name = check.string("name");
    let provider = check.string("provider");
    let spec_version = check.string("latestRevision.specVersion");
    check.object("latestRevision.content");
    check.string("latestRevision.content.name");
    check.string("latestRevision.content.provider");
    if let Some(p) = &provider
        && catalog::provider(p).is_none()
    {
        check.issue(
            Issue::body("provider", "unknown provider").with_value(Value::String(p.clone())),
        );
    }
    check.finish(ctx.route.invalid)?;
    let name = name.unwrap_or_default();
    if find_in_project(&ctx.state.integrations, &project_id, &name, true).is_some() {
        return Err(super::name_taken(
            StatusCode::UNPROCESSABLE_ENTITY,
            "integration",
            &name,
        ));
    }
    let content = body["latestRevision"]["content"].clone();
    insert_integration(
        ctx.state,
        &project_id,
        &spec_version.unwrap_or_default(),
        content,
    );
    Ok(Reply::empty(StatusCode::CREATED))
}

/// Creates an integration with its first revision; returns it.
fn insert_integration(
    state: &mut State,
    project_id: &str,
    spec_version: &str,
    content: Value,
) -> Value {
    let id = uuid();
    let time = now();
    let revision = new_revision(state, &id, spec_version, content.clone());
    let integration = json!({
        "id": id, "projectId": project_id, "name": content["name"], "provider": content["provider"],
        "createTime": time, "latestRevision": revision,
    });
    state.integrations.insert(id, integration.clone());
    integration
}

fn new_revision(
    state: &mut State,
    integration_id: &str,
    spec_version: &str,
    content: Value,
) -> Value {
    let id = uuid();
    let revision =
        json!({"id": id, "specVersion": spec_version, "createTime": now(), "content": content});
    state.revisions.insert(id.clone(), revision.clone());
    state.revision_owners.insert(id, integration_id.to_owned());
    revision
}

/// Reads the manifest of a `{sourceZipUrl | sourceYaml}` body.
fn manifest_of(ctx: &Ctx<'_>, body: &Value) -> Result<Manifest, ApiError> {
    let status = ctx.route.invalid;
    let mut check = Check::new(body);
    let zip_url = check.opt_string("sourceZipUrl");
    let yaml = check.opt_string("sourceYaml");
    if zip_url.is_some() == yaml.is_some() {
        check.issue(Issue::body(
            "sourceYaml",
            "give exactly one of sourceZipUrl and sourceYaml",
        ));
    }
    ctx.query_bool("destructive")?;
    check.finish(status)?;
    let (text, source) = match (zip_url, yaml) {
        (Some(url), _) => (
            upload_text(ctx.state, &ctx.config.origin, &url).map_err(|detail| {
                ApiError::invalid(
                    status,
                    vec![Issue::body("sourceZipUrl", detail).with_value(Value::String(url))],
                )
            })?,
            "sourceZipUrl",
        ),
        (None, Some(yaml)) => (yaml, "sourceYaml"),
        (None, None) => unreachable!("checked above"),
    };
    manifest::parse(&text, source).map_err(|issues| ApiError::invalid(status, issues))
}

/// The YAML behind a `gs://bucket/path` (or the mock's own signed URL).
fn upload_text(state: &State, origin: &str, url: &str) -> Result<String, String> {
    let key = url
        .strip_prefix("gs://")
        .or_else(|| url.strip_prefix(&format!("{origin}/upload/")))
        .map(|k| k.split('?').next().unwrap_or(k))
        .ok_or("must be a gs://bucket/path URL returned by generateUploadUrl")?;
    let upload = state
        .uploads
        .get(key)
        .ok_or(format!("nothing was uploaded to {url}"))?;
    let content = upload
        .content
        .as_ref()
        .ok_or(format!("the upload to {url} has not been completed"))?;
    let bytes = BASE64.decode(content).map_err(|e| e.to_string())?;
    manifest::yaml_from_upload(&bytes)
}

/// `PUT /projects/{p}/integrations:batch`: creates or revises every integration of the
/// manifest, answering the upserted integrations.
pub(crate) fn batch_upsert(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let manifest = manifest_of(ctx, &body)?;
    let mut out = Vec::new();
    for content in manifest.integrations {
        let name = s(&content, "name").to_owned();
        let existing = find_in_project(&ctx.state.integrations, &project_id, &name, true)
            .map(|i| s(i, "id").to_owned());
        let integration = match existing {
            Some(id) => {
                let revision = new_revision(ctx.state, &id, &manifest.spec_version, content);
                let stored = ctx.state.integrations.get_mut(&id).expect("found above");
                stored["latestRevision"] = revision;
                stored["updateTime"] = Value::String(now());
                stored.clone()
            }
            None => insert_integration(ctx.state, &project_id, &manifest.spec_version, content),
        };
        out.push(integration);
    }
    Ok(Reply::ok(Value::Array(out)))
}

/// `POST /projects/{p}/integrations/{integrationId}/revisions`: 201 with no body. The manifest
/// must contain this integration (by name).
pub(crate) fn create_revision(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let body = ctx.json()?;
    let manifest = manifest_of(ctx, &body)?;
    let name = s(&integration, "name");
    let content = manifest
        .integrations
        .into_iter()
        .find(|i| s(i, "name") == name)
        .ok_or_else(|| {
            ApiError::invalid(
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![Issue::body(
                    "sourceYaml",
                    format!("the manifest has no integration named '{name}'"),
                )],
            )
        })?;
    let id = s(&integration, "id").to_owned();
    let revision = new_revision(ctx.state, &id, &manifest.spec_version, content);
    let stored = ctx.state.integrations.get_mut(&id).expect("found above");
    stored["latestRevision"] = revision;
    stored["updateTime"] = Value::String(now());
    Ok(Reply::empty(StatusCode::CREATED))
}

/// `GET …/revisions/{revisionId}:hydrate?connectionId=`: the revision with display names and
/// the fields of each object.
pub(crate) fn hydrate(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let integration = integration_of(ctx, &project_id)?;
    let Some(connection_id) = ctx.query("connectionId").map(str::to_owned) else {
        return Err(ApiError::invalid(
            StatusCode::BAD_REQUEST,
            vec![Issue::query("connectionId", "is required")],
        ));
    };
    require(
        find_in_project(&ctx.state.connections, &project_id, &connection_id, false),
        "connection",
        &connection_id,
    )?;
    let revision_id = ctx.param("revisionId");
    let revision = require(
        ctx.state.revisions.get(&revision_id).filter(|_| {
            ctx.state
                .revision_owners
                .get(&revision_id)
                .map(String::as_str)
                == Some(s(&integration, "id"))
        }),
        "revision",
        &revision_id,
    )?;
    let content = &revision["content"];
    let all_fields: Vec<Value> = catalog::field_names()
        .map(|f| json!({"fieldName": f, "displayName": catalog::display_name(f)}))
        .collect();
    let hydrate_field = |field: &Value| {
        let mut field = field.clone();
        if let Some(name) = field.get("fieldName").and_then(Value::as_str) {
            field["displayName"] = Value::String(catalog::display_name(name));
        }
        field
    };
    let read_objects: Vec<Value> = content["read"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let mut h = json!({
                "objectName": o["objectName"], "displayName": catalog::display_name(s(o, "objectName")),
                "destination": o["destination"], "schedule": o["schedule"], "allFields": all_fields,
            });
            for key in ["requiredFields", "optionalFields"] {
                if let Some(fields) = o[key].as_array() {
                    h[key] = Value::Array(fields.iter().map(hydrate_field).collect());
                }
            }
            for key in ["mapToName", "mapToDisplayName", "optionalFieldsAuto", "backfill"] {
                if !o[key].is_null() {
                    h[key] = o[key].clone();
                }
            }
            h
        })
        .collect();
    let write_objects: Vec<Value> = content["write"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| json!({"objectName": o["objectName"], "displayName": catalog::display_name(s(o, "objectName"))}))
        .collect();
    let mut hydrated = json!({"name": content["name"], "provider": content["provider"]});
    if !content["read"].is_null() {
        hydrated["read"] = json!({"objects": read_objects});
    }
    if !content["write"].is_null() {
        hydrated["write"] = json!({"objects": write_objects});
    }
    for key in ["displayName", "module", "proxy"] {
        if !content[key].is_null() {
            hydrated[key] = content[key].clone();
        }
    }
    Ok(Reply::ok(json!({
        "id": revision["id"], "specVersion": revision["specVersion"],
        "createTime": revision["createTime"], "content": hydrated,
    })))
}

/// `GET /generate-upload-url[?md5=]`: a signed URL on the mock itself.
pub(crate) fn generate_upload_url(ctx: &mut Ctx<'_>) -> HandlerResult {
    let path = format!("uploads/{}.zip", uuid());
    let key = format!("{UPLOAD_BUCKET}/{path}");
    let md5 = ctx.query("md5").map(str::to_owned);
    ctx.state
        .uploads
        .insert(key.clone(), Upload { md5, content: None });
    Ok(Reply::ok(json!({
        "url": format!("{}/upload/{key}?X-Goog-Signature={}", ctx.config.origin, crate::state::random_hex(16)),
        "bucket": UPLOAD_BUCKET,
        "path": path,
    })))
}

/// The signed-URL `PUT`: stores the bytes after checking `Content-MD5` (required when
/// generateUploadUrl was given an `md5`, checked whenever present).
pub(crate) fn receive_upload(
    state: &mut State,
    key: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> HandlerResult {
    let key = super::super::router::percent_decode(key);
    let Some(upload) = state.uploads.get_mut(&key) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no signed upload URL for {key}"),
        ));
    };
    let actual = BASE64.encode(Md5::digest(body));
    let header = headers.get("content-md5").and_then(|v| v.to_str().ok());
    let bad = |detail: String| {
        ApiError::new(StatusCode::BAD_REQUEST, detail).format(crate::reply::ErrorFormat::Text)
    };
    match (header, &upload.md5) {
        (Some(h), _) if h != actual => {
            return Err(bad(format!(
                "Content-MD5 {h} does not match the body's MD5 {actual}"
            )));
        }
        (None, Some(_)) => return Err(bad("Content-MD5 is required for this signed URL".into())),
        _ => {}
    }
    if let Some(expected) = &upload.md5
        && *expected != actual
    {
        return Err(bad(format!(
            "the body's MD5 {actual} is not the signed MD5 {expected}"
        )));
    }
    upload.content = Some(BASE64.encode(body));
    Ok(Reply::empty(StatusCode::OK))
}
