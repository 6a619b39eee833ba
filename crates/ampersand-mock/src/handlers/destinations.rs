//! Destinations: where reads and notifications are delivered. Webhook destinations carry a
//! Svix-style signing secret, shown with `includeSecrets=true` and renewed with `rotate=true`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::StatusCode;
use serde_json::{Value, json};

use super::{apply_mask, name_taken, require, sort_by_create_time, touch};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{now, s, uuid};
use crate::validate::Check;

/// The destination types of the spec.
const TYPES: &[&str] = &[
    "webhook",
    "kinesis",
    "s3",
    "slack",
    "clickhouse",
    "snowflake",
    "bigquery",
    "redshift",
    "sqs",
    "pubsub",
    "rabbitmq",
    "azureservicebus",
];

/// A new webhook signing secret (`whsec_` and 24 random bytes in base64, as Svix forms them).
fn signing_secret() -> String {
    let bytes: Vec<u8> = (0..24).map(|_| fastrand::u8(..)).collect();
    format!("whsec_{}", BASE64.encode(bytes))
}

/// The ID of a project's destination, by ID or name.
pub(crate) fn destination_id(ctx: &Ctx<'_>, project_id: &str, reference: &str) -> Option<String> {
    let in_project = |id: &String| {
        ctx.state.destination_projects.get(id).map(String::as_str) == Some(project_id)
    };
    ctx.state
        .destinations
        .get(reference)
        .map(|_| reference.to_owned())
        .filter(in_project)
        .or_else(|| {
            ctx.state
                .destinations
                .values()
                .map(|d| s(d, "id").to_owned())
                .filter(in_project)
                .find(|id| s(&ctx.state.destinations[id], "name") == reference)
        })
}

/// `POST /projects/{p}/destinations`: 201; 422 when the name is taken.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let name = check.string("name");
    let kind = check.one_of("type", TYPES, true);
    check.object("metadata");
    check.opt_object("secrets");
    check.opt_object("metadata.headers");
    if kind.as_deref() == Some("webhook")
        && let Some(url) = check.string("metadata.url")
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        check.issue(
            Issue::body("metadata.url", "must be an http(s) URL").with_value(Value::String(url)),
        );
    }
    check.finish(ctx.route.invalid)?;
    let name = name.unwrap_or_default();
    if destination_id(ctx, &project_id, &name).is_some() {
        return Err(name_taken(
            StatusCode::UNPROCESSABLE_ENTITY,
            "destination",
            &name,
        ));
    }
    let id = uuid();
    let destination = json!({
        "id": id, "name": name, "type": kind, "metadata": body["metadata"], "createTime": now(),
    });
    ctx.state
        .destinations
        .insert(id.clone(), destination.clone());
    ctx.state
        .destination_projects
        .insert(id.clone(), project_id);
    if kind.as_deref() == Some("webhook") {
        ctx.state.signing_keys.insert(id, signing_secret());
    }
    Ok(Reply::created(destination))
}

/// `GET /projects/{p}/destinations`.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let mut items: Vec<Value> = ctx
        .state
        .destinations
        .iter()
        .filter(|(id, _)| ctx.state.destination_projects.get(*id) == Some(&project_id))
        .map(|(_, d)| d.clone())
        .collect();
    sort_by_create_time(&mut items);
    Ok(Reply::ok(Value::Array(items)))
}

fn found(ctx: &Ctx<'_>) -> Result<(String, String), ApiError> {
    let project_id = ctx.project_id()?;
    let reference = ctx.param("destination");
    let id = require(
        destination_id(ctx, &project_id, &reference),
        "destination",
        &reference,
    )?;
    Ok((project_id, id))
}

/// `GET /projects/{p}/destinations/{destination}?includeSecrets&rotate`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    let (_, id) = found(ctx)?;
    let include = ctx.query_bool("includeSecrets")?;
    let rotate = ctx.query_bool("rotate")?;
    let mut destination = ctx.state.destinations[&id].clone();
    let webhook = s(&destination, "type") == "webhook";
    if rotate && webhook {
        ctx.state.signing_keys.insert(id.clone(), signing_secret());
        let stored = ctx.state.destinations.get_mut(&id).expect("found");
        touch(stored);
        destination = stored.clone();
    }
    if (include || rotate) && webhook {
        destination["secrets"] = json!({"webhookSigningKey": ctx.state.signing_keys.get(&id)});
    }
    Ok(Reply::ok(destination))
}

/// `PATCH /projects/{p}/destinations/{destination}` with `updateMask` over `name`,
/// `metadata…` and `secrets…`.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let (project_id, id) = found(ctx)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&["name", "metadata", "secrets"]);
    check.object("destination");
    if mask.iter().any(|m| m == "name") {
        check.string("destination.name");
    }
    check.finish(ctx.route.invalid)?;
    if mask.iter().any(|m| m == "name") {
        let name = s(&body["destination"], "name");
        if destination_id(ctx, &project_id, name).is_some_and(|other| other != id) {
            return Err(name_taken(
                StatusCode::UNPROCESSABLE_ENTITY,
                "destination",
                name,
            ));
        }
    }
    let public: Vec<String> = mask
        .into_iter()
        .filter(|m| !m.starts_with("secrets"))
        .collect();
    let stored = ctx.state.destinations.get_mut(&id).expect("found");
    apply_mask(stored, &body["destination"], &public);
    touch(stored);
    Ok(Reply::ok(stored.clone()))
}

/// `DELETE /projects/{p}/destinations/{destination}`; its topic routes go with it.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> HandlerResult {
    let (_, id) = found(ctx)?;
    ctx.state.destinations.remove(&id);
    ctx.state.destination_projects.remove(&id);
    ctx.state.signing_keys.remove(&id);
    ctx.state
        .topic_destination_routes
        .retain(|_, r| s(r, "destinationId") != id);
    Ok(Reply::no_content())
}
