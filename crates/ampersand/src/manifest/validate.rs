//! The checks the official CLI makes before it uploads an amp.yaml, plus the fields the
//! manifest schema requires. Every problem is collected, each with its YAML path, so one run
//! shows them all.

use std::fmt;

use super::model::{
    Backfill, Delivery, Enabled, Integration, IntegrationObject, IntegrationSubscribeObject,
    IntegrationWriteObject, Manifest, WatchSchema,
};

/// The only manifest spec version.
pub const SPEC_VERSION: &str = "1.0.0";

/// The bounds of `delivery.pageSize`.
const PAGE_SIZE: std::ops::RangeInclusive<u32> = 50..=500;

/// One problem in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// Where, e.g. `$.integrations[0].read.objects[2].destination`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a manifest, in document order; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors(Vec<ValidationError>);

impl ValidationErrors {
    /// The problems.
    pub fn errors(&self) -> &[ValidationError] {
        &self.0
    }

    /// The problems, owned.
    pub fn into_errors(self) -> Vec<ValidationError> {
        self.0
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the manifest has {} problem(s):", self.0.len())?;
        for error in &self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Collects problems as the manifest is walked.
#[derive(Default)]
struct Problems(Vec<ValidationError>);

impl Problems {
    fn add(&mut self, path: String, message: impl Into<String>) {
        self.0.push(ValidationError {
            path,
            message: message.into(),
        });
    }

    fn require_text(&mut self, value: &str, path: &str, field: &str) {
        if value.trim().is_empty() {
            self.add(format!("{path}.{field}"), format!("`{field}` is required"));
        }
    }

    fn require_enabled(&mut self, enabled: Option<Enabled>, path: &str) {
        if enabled.is_none() {
            self.add(format!("{path}.enabled"), "`enabled` is required");
        }
    }

    /// The list's items, or a problem when it is absent or empty.
    fn require_items<'a, T>(&mut self, list: &'a Option<Vec<T>>, path: &str) -> &'a [T] {
        match list.as_deref() {
            None => self.add(format!("{path}.objects"), "`objects` is required"),
            Some([]) => self.add(format!("{path}.objects"), "at least one object is required"),
            Some(items) => return items,
        }
        &[]
    }
}

pub(super) fn validate(manifest: &Manifest) -> Result<(), ValidationErrors> {
    let mut problems = Problems::default();
    if manifest.spec_version.is_empty() {
        problems.add("$.specVersion".to_owned(), "`specVersion` is required");
    } else if manifest.spec_version != SPEC_VERSION {
        problems.add(
            "$.specVersion".to_owned(),
            format!(
                "unsupported spec version {:?} (only {SPEC_VERSION} is supported)",
                manifest.spec_version
            ),
        );
    }
    if manifest.integrations.is_empty() {
        problems.add(
            "$.integrations".to_owned(),
            "at least one integration is required",
        );
    }
    for (index, integration) in manifest.integrations.iter().enumerate() {
        check_integration(
            &mut problems,
            integration,
            &format!("$.integrations[{index}]"),
        );
    }
    if problems.0.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(problems.0))
    }
}

fn check_integration(problems: &mut Problems, integration: &Integration, path: &str) {
    problems.require_text(&integration.name, path, "name");
    problems.require_text(&integration.provider, path, "provider");
    if let Some(read) = &integration.read {
        let path = format!("{path}.read");
        for (index, object) in problems
            .require_items(&read.objects, &path)
            .iter()
            .enumerate()
        {
            check_read_object(problems, object, &format!("{path}.objects[{index}]"));
        }
    }
    if let Some(write) = &integration.write {
        let path = format!("{path}.write");
        for (index, object) in problems
            .require_items(&write.objects, &path)
            .iter()
            .enumerate()
        {
            check_write_object(problems, object, &format!("{path}.objects[{index}]"));
        }
    }
    if let Some(proxy) = &integration.proxy
        && proxy.enabled.is_none()
    {
        problems.add(format!("{path}.proxy.enabled"), "`enabled` is required");
    }
    if let Some(subscribe) = &integration.subscribe {
        let path = format!("{path}.subscribe");
        let objects = problems.require_items(&subscribe.objects, &path);
        for (index, object) in objects.iter().enumerate() {
            check_subscribe_object(problems, object, &format!("{path}.objects[{index}]"));
        }
    }
    if let Some(watch) = &integration.watch_schema {
        check_watch_schema(problems, watch, &format!("{path}.watchSchema"));
    }
}

fn check_read_object(problems: &mut Problems, object: &IntegrationObject, path: &str) {
    problems.require_text(&object.object_name, path, "objectName");
    problems.require_text(&object.destination, path, "destination");
    if let Some(backfill) = &object.backfill {
        check_backfill(problems, backfill, &format!("{path}.backfill"));
    }
    if let Some(delivery) = &object.delivery {
        check_delivery(problems, delivery, &format!("{path}.delivery"));
    }
}

fn check_backfill(problems: &mut Problems, backfill: &Backfill, path: &str) {
    let period = &backfill.default_period;
    if period.days.is_none() && period.full_history.is_none() {
        problems.add(
            format!("{path}.defaultPeriod"),
            "one of `days` or `fullHistory` is required",
        );
    }
}

fn check_delivery(problems: &mut Problems, delivery: &Delivery, path: &str) {
    if let Some(size) = delivery.page_size
        && !PAGE_SIZE.contains(&size)
    {
        problems.add(
            format!("{path}.pageSize"),
            format!(
                "`pageSize` must be between {} and {}, not {size}",
                PAGE_SIZE.start(),
                PAGE_SIZE.end()
            ),
        );
    }
}

fn check_write_object(problems: &mut Problems, object: &IntegrationWriteObject, path: &str) {
    problems.require_text(&object.object_name, path, "objectName");
}

fn check_subscribe_object(
    problems: &mut Problems,
    object: &IntegrationSubscribeObject,
    path: &str,
) {
    problems.require_text(&object.object_name, path, "objectName");
    problems.require_text(&object.destination, path, "destination");
    if let Some(event) = &object.create_event {
        problems.require_enabled(event.enabled, &format!("{path}.createEvent"));
    }
    if let Some(event) = &object.update_event {
        problems.require_enabled(event.enabled, &format!("{path}.updateEvent"));
    }
    if let Some(event) = &object.delete_event {
        problems.require_enabled(event.enabled, &format!("{path}.deleteEvent"));
    }
    if let Some(event) = &object.association_change_event {
        problems.require_enabled(event.enabled, &format!("{path}.associationChangeEvent"));
    }
}

fn check_watch_schema(problems: &mut Problems, watch: &WatchSchema, path: &str) {
    problems.require_text(&watch.destination, path, "destination");
    let Some(all) = &watch.all_objects else {
        problems.add(format!("{path}.allObjects"), "`allObjects` is required");
        return;
    };
    let events = [
        ("fieldCreated", &all.field_created),
        ("fieldDeleted", &all.field_deleted),
        ("fieldChanged", &all.field_changed),
    ];
    for (name, event) in events {
        if let Some(event) = event {
            problems.require_enabled(event.enabled, &format!("{path}.allObjects.{name}"));
        }
    }
}
