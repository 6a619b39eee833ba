//! The fake provider behind each installation: a small CRM with contacts and companies,
//! answering in a provider's own JSON (not Ampersand's problems).
//!
//! | method and path | answer |
//! |---|---|
//! | `GET /crm/v3/objects/{object}?limit=&after=` | `200 {"results": [...], "paging": {"next": {"after": ".."}}}` (`paging` only when more remain; `limit` 1..=100, default 10) |
//! | `POST /crm/v3/objects/{object}` `{"properties": {...}}` | `201` the record |
//! | `GET /crm/v3/objects/{object}/{id}` | `200` the record, or `404` |
//! | `PATCH /crm/v3/objects/{object}/{id}` `{"properties": {...}}` | `200` the merged record, or `404` |
//! | `DELETE /crm/v3/objects/{object}/{id}` | `204`, or `404` |
//! | any method, `/echo...` | `200 {"method", "pathAndQuery", "body"}`: what the provider received, byte for byte |
//!
//! `{object}` is `contacts` or `companies`; anything else is the provider's `404`. A body that
//! is not `{"properties": {object}}` is the provider's `422`.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// One installation's records.
#[derive(Debug, Default)]
pub(crate) struct Crm {
    objects: BTreeMap<&'static str, BTreeMap<u64, Value>>,
    next_id: u64,
}

/// A provider's answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl Answer {
    fn json(status: StatusCode, value: &Value) -> Answer {
        Answer {
            status,
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    /// The provider's own error shape.
    pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Answer {
        Answer::json(
            status,
            &json!({"status": "error", "message": message.into(), "category": status.canonical_reason()}),
        )
    }
}

const OBJECTS: [&str; 2] = ["contacts", "companies"];

impl Crm {
    /// The records of `object`, in id order.
    pub(crate) fn records(&self, object: &str) -> Vec<Value> {
        self.objects
            .get(object)
            .map(|records| records.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Answers one request: `path` is the provider's path, `query` its raw query.
    pub(crate) fn answer(
        &mut self,
        method: &Method,
        path: &str,
        path_and_query: &str,
        query: Option<&str>,
        body: &Bytes,
    ) -> Answer {
        if path == "/echo" || path.starts_with("/echo/") {
            return Answer::json(
                StatusCode::OK,
                &json!({
                    "method": method.as_str(),
                    "pathAndQuery": path_and_query,
                    "body": String::from_utf8_lossy(body),
                }),
            );
        }
        let Some(rest) = path.strip_prefix("/crm/v3/objects/") else {
            return Answer::error(StatusCode::NOT_FOUND, format!("no route for {path}"));
        };
        let (object, id) = match rest.split_once('/') {
            Some((object, id)) => (object, Some(id)),
            None => (rest, None),
        };
        let Some(object) = OBJECTS.iter().copied().find(|o| *o == object) else {
            return Answer::error(
                StatusCode::NOT_FOUND,
                format!("unknown object type `{object}`"),
            );
        };
        let id = match id.map(str::parse::<u64>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                return Answer::error(StatusCode::NOT_FOUND, format!("no {object} record {rest}"));
            }
        };
        match (method, id) {
            (&Method::GET, None) => self.list(object, query),
            (&Method::POST, None) => match properties(body) {
                Ok(properties) => {
                    self.next_id += 1;
                    let id = self.next_id;
                    let record = json!({"id": id.to_string(), "properties": properties});
                    self.table(object).insert(id, record.clone());
                    Answer::json(StatusCode::CREATED, &record)
                }
                Err(answer) => answer,
            },
            (&Method::GET, Some(id)) => match self.table(object).get(&id) {
                Some(record) => Answer::json(StatusCode::OK, record),
                None => not_found(object, id),
            },
            (&Method::PATCH, Some(id)) => match properties(body) {
                Ok(Value::Object(changes)) => match self.table(object).get_mut(&id) {
                    Some(record) => {
                        for (name, value) in changes {
                            record["properties"][name] = value;
                        }
                        Answer::json(StatusCode::OK, record)
                    }
                    None => not_found(object, id),
                },
                Ok(_) => Answer::error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "properties must be an object",
                ),
                Err(answer) => answer,
            },
            (&Method::DELETE, Some(id)) => match self.table(object).remove(&id) {
                Some(_) => Answer {
                    status: StatusCode::NO_CONTENT,
                    body: Bytes::new(),
                },
                None => not_found(object, id),
            },
            _ => Answer::error(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {path}"),
            ),
        }
    }

    fn table(&mut self, object: &'static str) -> &mut BTreeMap<u64, Value> {
        self.objects.entry(object).or_default()
    }

    fn list(&mut self, object: &'static str, query: Option<&str>) -> Answer {
        let query = crate::router::parse_query(query);
        let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
            None => 10,
            Some(Ok(limit @ 1..=100)) => limit,
            Some(_) => {
                return Answer::error(StatusCode::BAD_REQUEST, "limit must be between 1 and 100");
            }
        };
        let after = match query.get("after").map(|a| a.parse::<u64>()) {
            None => 0,
            Some(Ok(after)) => after,
            Some(Err(_)) => return Answer::error(StatusCode::BAD_REQUEST, "after is not a cursor"),
        };
        let table = self.table(object);
        let mut page: Vec<(u64, Value)> = table
            .range(after + 1..)
            .take(limit + 1)
            .map(|(id, record)| (*id, record.clone()))
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let mut answer = json!({"results": page.iter().map(|(_, r)| r).collect::<Vec<_>>()});
        if more && let Some((last, _)) = page.last() {
            answer["paging"] = json!({"next": {"after": last.to_string()}});
        }
        Answer::json(StatusCode::OK, &answer)
    }
}

fn not_found(object: &str, id: u64) -> Answer {
    Answer::error(StatusCode::NOT_FOUND, format!("no {object} record {id}"))
}

/// The `properties` object of a create or update body, or the provider's 422.
fn properties(body: &Bytes) -> Result<Value, Answer> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Answer::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid JSON: {e}"),
        )
    })?;
    match value.get("properties") {
        Some(properties @ Value::Object(_)) => Ok(properties.clone()),
        _ => Err(Answer::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body must be {\"properties\": {...}}",
        )),
    }
}
