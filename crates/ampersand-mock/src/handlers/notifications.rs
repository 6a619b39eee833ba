//! Topics and their routes: notification events route to topics, topics route to destinations.

use http::StatusCode;
use serde_json::{Value, json};

use super::destinations::destination_id;
use super::{find_in_project, in_project, name_taken, require, touch};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{State, Table, now, s, uuid};
use crate::validate::Check;

/// The notification event types of the spec.
pub(crate) const EVENT_TYPES: &[&str] = &[
    "connection.created",
    "connection.error",
    "connection.refreshed",
    "connection.updated",
    "connection.deleted",
    "installation.created",
    "installation.updated",
    "installation.deleted",
    "read.schedule.paused",
    "read.backfill.done",
    "read.triggered.done",
    "read.triggered.error",
    "write.async.done",
    "subscribe.create.error",
    "destination.webhook.disabled",
];

fn topic_named(ctx: &Ctx<'_>, project_id: &str, name: &str) -> Option<String> {
    ctx.state
        .topics
        .values()
        .find(|t| s(t, "projectId") == project_id && s(t, "name") == name)
        .map(|t| s(t, "id").to_owned())
}

/// `POST /projects/{p}/topics`: 201; 409 when the name is taken.
pub(crate) fn create_topic(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let name = check.string("name");
    check.finish(ctx.route.invalid)?;
    let name = name.unwrap_or_default();
    if topic_named(ctx, &project_id, &name).is_some() {
        return Err(name_taken(StatusCode::CONFLICT, "topic", &name));
    }
    let id = uuid();
    let topic = json!({"id": id, "name": name, "projectId": project_id, "createTime": now()});
    ctx.state.topics.insert(id, topic.clone());
    Ok(Reply::created(topic))
}

/// `GET /projects/{p}/topics`.
pub(crate) fn list_topics(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    Ok(Reply::ok(Value::Array(in_project(
        &ctx.state.topics,
        &project_id,
    ))))
}

/// `PATCH /projects/{p}/topics/{topicId}` (`{name}`): 409 when the name is taken.
pub(crate) fn update_topic(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("topicId");
    require(
        find_in_project(&ctx.state.topics, &project_id, &id, false),
        "topic",
        &id,
    )?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let name = check.string("name");
    check.finish(ctx.route.invalid)?;
    let name = name.unwrap_or_default();
    if topic_named(ctx, &project_id, &name).is_some_and(|other| other != id) {
        return Err(name_taken(StatusCode::CONFLICT, "topic", &name));
    }
    let topic = ctx.state.topics.get_mut(&id).expect("found");
    topic["name"] = Value::String(name);
    touch(topic);
    Ok(Reply::ok(topic.clone()))
}

/// `DELETE /projects/{p}/topics/{topicId}`; its routes go with it.
pub(crate) fn delete_topic(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("topicId");
    require(
        find_in_project(&ctx.state.topics, &project_id, &id, false),
        "topic",
        &id,
    )?;
    ctx.state.topics.remove(&id);
    ctx.state
        .event_topic_routes
        .retain(|_, r| s(r, "topicId") != id);
    ctx.state
        .topic_destination_routes
        .retain(|_, r| s(r, "topicId") != id);
    Ok(Reply::no_content())
}

fn require_topic(ctx: &Ctx<'_>, project_id: &str, topic_id: &str) -> Result<(), ApiError> {
    require(
        find_in_project(&ctx.state.topics, project_id, topic_id, false),
        "topic",
        topic_id,
    )
    .map(|_| ())
}

/// `POST /projects/{p}/notification-event-topic-routes`: 201; 404 for an unknown topic,
/// 422 for a route that exists.
pub(crate) fn create_event_route(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let event = check.one_of("eventType", EVENT_TYPES, true);
    let topic_id = check.string("topicId");
    check.finish(ctx.route.invalid)?;
    let (event, topic_id) = (event.unwrap_or_default(), topic_id.unwrap_or_default());
    require_topic(ctx, &project_id, &topic_id)?;
    if ctx.state.event_topic_routes.values().any(|r| {
        s(r, "projectId") == project_id && s(r, "topicId") == topic_id && s(r, "eventType") == event
    }) {
        return Err(ApiError::conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            Issue::body(
                "eventType",
                format!("{event} already routes to topic {topic_id}"),
            ),
        ));
    }
    let id = uuid();
    let route = json!({"id": id, "eventType": event, "topicId": topic_id, "projectId": project_id, "createTime": now()});
    ctx.state.event_topic_routes.insert(id, route.clone());
    Ok(Reply::created(route))
}

/// `GET /projects/{p}/notification-event-topic-routes?topicId&eventType`.
pub(crate) fn list_event_routes(ctx: &mut Ctx<'_>) -> HandlerResult {
    list_routes(ctx, |state| &state.event_topic_routes, "eventType")
}

/// `DELETE /projects/{p}/notification-event-topic-routes/{routeId}`.
pub(crate) fn delete_event_route(ctx: &mut Ctx<'_>) -> HandlerResult {
    delete_route(ctx, |state| &mut state.event_topic_routes)
}

/// `POST /projects/{p}/topic-destination-routes`: 201; 404 for an unknown topic or destination.
pub(crate) fn create_destination_route(ctx: &mut Ctx<'_>) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let topic_id = check.string("topicId");
    let destination = check.string("destinationId");
    check.finish(ctx.route.invalid)?;
    let (topic_id, destination) = (
        topic_id.unwrap_or_default(),
        destination.unwrap_or_default(),
    );
    require_topic(ctx, &project_id, &topic_id)?;
    let destination_id = require(
        destination_id(ctx, &project_id, &destination),
        "destination",
        &destination,
    )?;
    if ctx.state.topic_destination_routes.values().any(|r| {
        s(r, "projectId") == project_id
            && s(r, "topicId") == topic_id
            && s(r, "destinationId") == destination_id
    }) {
        return Err(ApiError::conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            Issue::body(
                "destinationId",
                "the topic already routes to this destination",
            ),
        ));
    }
    let id = uuid();
    let route = json!({
        "id": id, "topicId": topic_id, "destinationId": destination_id, "projectId": project_id, "createTime": now(),
    });
    ctx.state.topic_destination_routes.insert(id, route.clone());
    Ok(Reply::created(route))
}

/// `GET /projects/{p}/topic-destination-routes?topicId&destinationId`.
pub(crate) fn list_destination_routes(ctx: &mut Ctx<'_>) -> HandlerResult {
    list_routes(
        ctx,
        |state| &state.topic_destination_routes,
        "destinationId",
    )
}

/// `DELETE /projects/{p}/topic-destination-routes/{routeId}`.
pub(crate) fn delete_destination_route(ctx: &mut Ctx<'_>) -> HandlerResult {
    delete_route(ctx, |state| &mut state.topic_destination_routes)
}

/// Lists a project's routes of one kind, filtered by `topicId` and by `other` (the route's
/// other end: `eventType` or `destinationId`) when the query names them.
fn list_routes(ctx: &mut Ctx<'_>, table: fn(&State) -> &Table, other: &str) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let items = in_project(table(ctx.state), &project_id)
        .into_iter()
        .filter(|r| ctx.query("topicId").is_none_or(|t| s(r, "topicId") == t))
        .filter(|r| ctx.query(other).is_none_or(|v| s(r, other) == v))
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

/// Deletes one of a project's routes of one kind; 404 when it is not there.
fn delete_route(ctx: &mut Ctx<'_>, table: fn(&mut State) -> &mut Table) -> HandlerResult {
    let project_id = ctx.project_id()?;
    let id = ctx.param("routeId");
    require(
        find_in_project(table(ctx.state), &project_id, &id, false),
        "route",
        &id,
    )?;
    table(ctx.state).remove(&id);
    Ok(Reply::no_content())
}
