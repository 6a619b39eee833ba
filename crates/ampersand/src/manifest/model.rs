//! The amp.yaml model (`manifest/manifest.yaml`).
//!
//! Fields the schema or the CLI require but whose absence is a validation problem rather than a
//! type error (names, destinations, `proxy.enabled`, events' `enabled`) parse as empty strings
//! or `None`, so that [`Manifest::validate`](super::Manifest::validate) can report every
//! missing one at once, each with its YAML path.

use serde::{Deserialize, Serialize};

/// An amp.yaml file: the integrations of a project (`Manifest`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Manifest {
    /// The manifest spec version; only `1.0.0` exists. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub spec_version: String,
    /// The integrations users can install.
    #[serde(default)]
    pub integrations: Vec<Integration>,
}

/// One integration with one provider (`Integration`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Integration {
    /// The integration's name, unique in the project. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The provider, e.g. `salesforce`. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// The name shown to users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The provider module, e.g. `crm`, for providers that have modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Objects to read on a schedule or on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<IntegrationRead>,
    /// Objects to write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<IntegrationWrite>,
    /// Pass-through calls to the provider's API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<IntegrationProxy>,
    /// Objects whose changes the provider pushes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<IntegrationSubscribe>,
    /// Notifications when the provider's schema changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_schema: Option<WatchSchema>,
}

/// The read action (`IntegrationRead`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationRead {
    /// The objects to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<IntegrationObject>>,
}

/// One object to read (`IntegrationObject`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationObject {
    /// The provider's name for the object. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object_name: String,
    /// The destination that receives the records. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub destination: String,
    /// A cron schedule; without one, reads happen only when triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The object name to map to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_to_name: Option<String>,
    /// The display name to map to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_to_display_name: Option<String>,
    /// Fields every installation reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_fields: Option<Vec<IntegrationField>>,
    /// Fields users may choose to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional_fields: Option<Vec<IntegrationField>>,
    /// `all`: users may pick any field of the object as optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional_fields_auto: Option<OptionalFieldsAutoOption>,
    /// How much history to read at install time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    /// How records are delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// `always`: read the object for every installation, selected or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Enabled>,
}

/// A field to read: an existing field, or a mapping users fill in (`IntegrationField`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum IntegrationField {
    /// A field of the provider's object, optionally mapped (`IntegrationFieldExistent`).
    Existent(IntegrationFieldExistent),
    /// A mapped field whose source field users choose (`IntegrationFieldMapping`).
    Mapping(IntegrationFieldMapping),
}

/// A field of the provider's object (`IntegrationFieldExistent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationFieldExistent {
    /// The provider's name for the field.
    pub field_name: String,
    /// The field name to map to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_to_name: Option<String>,
    /// The display name to map to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_to_display_name: Option<String>,
}

/// A mapped field whose source field users choose (`IntegrationFieldMapping`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationFieldMapping {
    /// The field name to map to.
    pub map_to_name: String,
    /// The display name to map to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_to_display_name: Option<String>,
    /// The provider field preselected for users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The prompt shown to users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// `optionalFieldsAuto` (`OptionalFieldsAutoOption`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum OptionalFieldsAutoOption {
    /// Every field of the object may be picked.
    All,
}

/// The value of the `enabled` switches that take `always`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Enabled {
    /// On for every installation.
    Always,
}

/// How much history to read when an integration is installed (`Backfill`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Backfill {
    /// The period to read.
    pub default_period: DefaultPeriod,
}

/// A backfill period: a number of days or the full history (`DefaultPeriod`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DefaultPeriod {
    /// Days back to read; 0 is no backfill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Read the whole history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_history: Option<bool>,
}

/// How a read object's records are delivered (`Delivery`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Delivery {
    /// Automatic (the default) or on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeliveryMode>,
    /// Records per delivery, 50 to 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

/// When records are delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum DeliveryMode {
    /// As soon as they are read.
    Auto,
    /// When your app asks for them.
    OnRequest,
}

/// The write action (`IntegrationWrite`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationWrite {
    /// The objects to write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<IntegrationWriteObject>>,
}

/// One object to write (`IntegrationWriteObject`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationWriteObject {
    /// The provider's name for the object. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object_name: String,
    /// Reuse the read object's mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherit_mapping: Option<bool>,
    /// Default values users may set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_defaults: Option<ValueDefaults>,
}

/// Default write values (`ValueDefaults`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ValueDefaults {
    /// Users may set defaults for any field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_fields: Option<bool>,
}

/// The proxy action (`IntegrationProxy`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationProxy {
    /// Whether the proxy is on; the CLI requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Use the module's base URL rather than the provider's root URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_module: Option<bool>,
}

/// The subscribe action (`IntegrationSubscribe`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationSubscribe {
    /// The objects to subscribe to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<IntegrationSubscribeObject>>,
}

/// One object to subscribe to (`IntegrationSubscribeObject`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntegrationSubscribeObject {
    /// The provider's name for the object. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object_name: String,
    /// The destination that receives the events. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub destination: String,
    /// Reuse the read object's fields and mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherit_fields_and_mapping: Option<bool>,
    /// Create events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_event: Option<CreateEvent>,
    /// Update events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_event: Option<UpdateEvent>,
    /// Delete events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_event: Option<DeleteEvent>,
    /// Association change events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_change_event: Option<AssociationChangeEvent>,
    /// Provider-specific events, e.g. `object.merged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_events: Option<Vec<String>>,
}

/// Create events of a subscribed object (`CreateEvent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateEvent {
    /// Required by the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Enabled>,
}

/// Update events of a subscribed object (`UpdateEvent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdateEvent {
    /// Required by the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Enabled>,
    /// Which fields' updates raise events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_fields_auto: Option<WatchFieldsAuto>,
    /// Fields always watched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_watch_fields: Option<Vec<String>>,
}

/// Which fields an update event watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum WatchFieldsAuto {
    /// Every field.
    All,
    /// The fields users selected.
    Selected,
}

/// Delete events of a subscribed object (`DeleteEvent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeleteEvent {
    /// Required by the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Enabled>,
}

/// Association change events of a subscribed object (`AssociationChangeEvent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AssociationChangeEvent {
    /// Required by the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Enabled>,
    /// Include the full records in the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_full_records: Option<bool>,
}

/// Watching the provider's schema for changes (`WatchSchema`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WatchSchema {
    /// The destination of schema change notifications. Empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub destination: String,
    /// A cron schedule, at most hourly; daily (`0 */24 * * *`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The changes to watch on every object; required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_objects: Option<WatchSchemaAllObjects>,
}

/// Schema changes watched on every object (`WatchSchemaAllObjects`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WatchSchemaAllObjects {
    /// New fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_created: Option<FieldEvent>,
    /// Deleted fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_deleted: Option<FieldEvent>,
    /// Changed fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_changed: Option<FieldEvent>,
}

/// One kind of schema change (`FieldCreatedEvent`, `FieldDeletedEvent`,
/// `FieldChangedEvent`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FieldEvent {
    /// Required by the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Enabled>,
}
