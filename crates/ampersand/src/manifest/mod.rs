//! amp.yaml, the manifest that defines a project's integrations: a typed model, parsing with
//! errors that name the YAML path, the CLI's checks before upload, and the zip the upload flow
//! sends.
//!
//! ```
//! use ampersand::manifest::{Manifest, UploadArchive};
//!
//! let yaml = "\
//! specVersion: 1.0.0
//! integrations:
//!   - name: readAccounts
//!     provider: salesforce
//!     read:
//!       objects:
//!         - objectName: account
//!           destination: accountWebhook
//! ";
//! let manifest = Manifest::from_yaml(yaml)?;
//! manifest.validate()?;
//! let archive = UploadArchive::from_yaml(yaml);
//! assert_eq!(archive.content_md5().len(), 24);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod model;
mod validate;

use std::fmt;

pub use archive::UploadArchive;
pub use model::{
    AssociationChangeEvent, Backfill, CreateEvent, DefaultPeriod, DeleteEvent, Delivery,
    DeliveryMode, Enabled, FieldEvent, Integration, IntegrationField, IntegrationFieldExistent,
    IntegrationFieldMapping, IntegrationObject, IntegrationProxy, IntegrationRead,
    IntegrationSubscribe, IntegrationSubscribeObject, IntegrationWrite, IntegrationWriteObject,
    Manifest, OptionalFieldsAutoOption, UpdateEvent, ValueDefaults, WatchFieldsAuto, WatchSchema,
    WatchSchemaAllObjects,
};
pub use validate::{SPEC_VERSION, ValidationError, ValidationErrors};

impl Manifest {
    /// Parses amp.yaml text. Syntax and type errors name the YAML path where they occur.
    ///
    /// Missing names, destinations and `enabled` switches are not parse errors: call
    /// [`Manifest::validate`] to find them all at once.
    pub fn from_yaml(yaml: &str) -> Result<Self, ManifestError> {
        let deserializer = serde_yaml_ng::Deserializer::from_str(yaml);
        serde_path_to_error::deserialize(deserializer).map_err(ManifestError::from_path_error)
    }

    /// The manifest as YAML. Comments and layout of a parsed file are not kept; to upload a
    /// file as written, zip its text with [`UploadArchive::from_yaml`].
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self)
            .expect("the manifest holds only strings, numbers, booleans and lists")
    }

    /// Checks the manifest as the `amp` CLI does before it deploys: `specVersion` is `1.0.0`;
    /// there is at least one integration; every integration has a `name` and a `provider`;
    /// read objects have `objectName` and `destination`; write objects have `objectName`;
    /// `proxy` has `enabled`; subscribe objects have `objectName` and `destination` and their
    /// events have `enabled`. It also checks what the schema bounds: backfill periods, delivery
    /// page sizes and `watchSchema`. Returns every problem, each with its YAML path.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        validate::validate(self)
    }

    /// The zip of [`Manifest::to_yaml`] for the upload flow.
    pub fn to_upload_archive(&self) -> UploadArchive {
        UploadArchive::from_yaml(&self.to_yaml())
    }
}

/// amp.yaml text that is not valid YAML or does not fit the manifest's types.
#[derive(Debug)]
pub struct ManifestError {
    path: String,
    source: serde_yaml_ng::Error,
}

impl ManifestError {
    fn from_path_error(err: serde_path_to_error::Error<serde_yaml_ng::Error>) -> Self {
        let path = yaml_path(err.path());
        ManifestError {
            path,
            source: err.into_inner(),
        }
    }

    /// Where the error is, e.g. `$.integrations[0].read.objects[2].destination`; `$` for
    /// errors in the document as a whole.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The 1-based line of the error, when known.
    pub fn line(&self) -> Option<usize> {
        self.source.location().map(|location| location.line())
    }

    /// The 1-based column of the error, when known.
    pub fn column(&self) -> Option<usize> {
        self.source.location().map(|location| location.column())
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid amp.yaml at YAML path {:?}: {}",
            self.path, self.source
        )
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A serde path in the CLI's notation: `$`, then `.key` and `[index]` segments.
fn yaml_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut joined = String::from("$");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => joined.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                joined.push('.');
                joined.push_str(key);
            }
            Segment::Enum { variant } => {
                joined.push('.');
                joined.push_str(variant);
            }
            Segment::Unknown => joined.push_str(".?"),
        }
    }
    joined
}
