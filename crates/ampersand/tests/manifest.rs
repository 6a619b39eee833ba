//! amp.yaml: parsing with YAML paths in errors, the CLI's validation, and the upload zip
//! checked against archives made by Python's zipfile.

use ampersand::manifest::{
    DeliveryMode, Enabled, IntegrationField, Manifest, OptionalFieldsAutoOption, UploadArchive,
    WatchFieldsAuto,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// A manifest using every section of `manifest/manifest.yaml`, shaped like the docs' examples.
const FULL: &str = r#"
specVersion: 1.0.0
integrations:
  - name: salesforceSync
    displayName: Salesforce sync
    provider: salesforce
    read:
      objects:
        - objectName: account
          destination: accountWebhook
          schedule: "*/10 * * * *"
          mapToName: companies
          requiredFields:
            - fieldName: name
            - fieldName: billingcity
              mapToName: city
            - mapToName: priority
              mapToDisplayName: Priority
              prompt: Which field holds the priority?
          optionalFieldsAuto: all
          backfill:
            defaultPeriod:
              days: 30
          delivery:
            mode: onRequest
            pageSize: 100
        - objectName: contact
          destination: contactWebhook
          enabled: always
          backfill:
            defaultPeriod:
              fullHistory: true
    write:
      objects:
        - objectName: account
          inheritMapping: true
          valueDefaults:
            allowAnyFields: true
    proxy:
      enabled: true
      useModule: false
    subscribe:
      objects:
        - objectName: account
          destination: accountEvents
          inheritFieldsAndMapping: true
          createEvent:
            enabled: always
          updateEvent:
            enabled: always
            watchFieldsAuto: selected
            requiredWatchFields: [name, domain]
          deleteEvent:
            enabled: always
          associationChangeEvent:
            enabled: always
            includeFullRecords: true
          otherEvents: [object.merged]
    watchSchema:
      destination: fieldWatchStream
      schedule: "0 */6 * * *"
      allObjects:
        fieldCreated:
          enabled: always
        fieldDeleted:
          enabled: always
  - name: hubspotProxy
    provider: hubspot
    module: crm
    proxy:
      enabled: true
"#;

#[test]
fn a_full_manifest_parses_and_validates() {
    let manifest = Manifest::from_yaml(FULL).unwrap();
    manifest.validate().unwrap();
    assert_eq!(manifest.spec_version, "1.0.0");
    assert_eq!(manifest.integrations.len(), 2);

    let sync = &manifest.integrations[0];
    let read = sync.read.as_ref().unwrap().objects.as_ref().unwrap();
    assert_eq!(read[0].object_name, "account");
    assert_eq!(read[0].schedule.as_deref(), Some("*/10 * * * *"));
    assert_eq!(
        read[0].optional_fields_auto,
        Some(OptionalFieldsAutoOption::All)
    );
    let fields = read[0].required_fields.as_ref().unwrap();
    assert!(matches!(&fields[0], IntegrationField::Existent(f) if f.field_name == "name"));
    assert!(
        matches!(&fields[1], IntegrationField::Existent(f) if f.map_to_name.as_deref() == Some("city"))
    );
    assert!(matches!(&fields[2], IntegrationField::Mapping(f) if f.map_to_name == "priority"));
    assert_eq!(
        read[0].backfill.as_ref().unwrap().default_period.days,
        Some(30)
    );
    let delivery = read[0].delivery.as_ref().unwrap();
    assert_eq!(delivery.mode, Some(DeliveryMode::OnRequest));
    assert_eq!(delivery.page_size, Some(100));
    assert_eq!(read[1].enabled, Some(Enabled::Always));
    assert_eq!(read[1].schedule, None);

    let subscribe = &sync.subscribe.as_ref().unwrap().objects.as_ref().unwrap()[0];
    let update = subscribe.update_event.as_ref().unwrap();
    assert_eq!(update.watch_fields_auto, Some(WatchFieldsAuto::Selected));
    assert_eq!(
        update.required_watch_fields.as_ref().unwrap(),
        &["name", "domain"]
    );
    assert_eq!(subscribe.other_events.as_ref().unwrap(), &["object.merged"]);
    assert_eq!(sync.proxy.as_ref().unwrap().enabled, Some(true));
    let watch = sync.watch_schema.as_ref().unwrap();
    assert_eq!(watch.destination, "fieldWatchStream");
    assert!(watch.all_objects.as_ref().unwrap().field_changed.is_none());

    assert_eq!(manifest.integrations[1].module.as_deref(), Some("crm"));
}

#[test]
fn to_yaml_round_trips() {
    let manifest = Manifest::from_yaml(FULL).unwrap();
    let yaml = manifest.to_yaml();
    assert_eq!(Manifest::from_yaml(&yaml).unwrap(), manifest);
    // Absent optional fields stay absent.
    assert!(!yaml.contains("null"), "{yaml}");
    assert!(yaml.contains("specVersion: 1.0.0"), "{yaml}");
}

#[test]
fn type_errors_name_their_yaml_path() {
    let cases = [
        (
            "specVersion: 1.0.0\nintegrations:\n  - name: a\n    provider: p\n    read:\n      objects:\n        - objectName: a\n          destination: d\n        - objectName: b\n          destination: d\n        - objectName: c\n          destination: [not, a, string]\n",
            "$.integrations[0].read.objects[2].destination",
        ),
        (
            "specVersion: 1.0.0\nintegrations:\n  - name: a\n    provider: p\n    proxy:\n      enabled: sometimes\n",
            "$.integrations[0].proxy.enabled",
        ),
        (
            "specVersion: 1.0.0\nintegrations:\n  - name: a\n    provider: p\n  - name: b\n    provider: p\n    subscribe:\n      objects:\n        - objectName: o\n          destination: d\n          createEvent:\n            enabled: never\n",
            "$.integrations[1].subscribe.objects[0].createEvent.enabled",
        ),
        (
            "specVersion: 1.0.0\nintegrations:\n  - name: a\n    provider: p\n    read:\n      objects:\n        - objectName: a\n          destination: d\n          delivery:\n            pageSize: -3\n",
            "$.integrations[0].read.objects[0].delivery.pageSize",
        ),
        ("specVersion: 1.0.0\nintegrations: {}\n", "$.integrations"),
    ];
    for (yaml, path) in cases {
        let err = Manifest::from_yaml(yaml).unwrap_err();
        assert_eq!(err.path(), path, "{err}");
        assert!(err.to_string().contains(path), "{err}");
        assert!(err.line().is_some(), "{err}");
    }
}

#[test]
fn syntax_errors_have_a_line() {
    let err = Manifest::from_yaml("specVersion: 1.0.0\nintegrations:\n  - name: [unclosed\n")
        .unwrap_err();
    assert!(err.line().is_some(), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let yaml = r#"
specVersion: 2.0.0
integrations:
  - name: first
    provider: salesforce
    read:
      objects:
        - objectName: account
          destination: accountWebhook
        - destination: noName
        - objectName: noDestination
          backfill:
            defaultPeriod: {}
          delivery:
            pageSize: 1000
    write:
      objects:
        - inheritMapping: true
    proxy:
      useModule: true
  - provider: hubspot
    subscribe:
      objects:
        - objectName: contact
          destination: contactEvents
          createEvent: {}
          updateEvent:
            watchFieldsAuto: all
          deleteEvent:
            enabled: always
    watchSchema:
      allObjects:
        fieldChanged: {}
  - name: emptyRead
    provider: hubspot
    read:
      objects: []
"#;
    let manifest = Manifest::from_yaml(yaml).unwrap();
    let errors = manifest.validate().unwrap_err();
    let found: Vec<&str> = errors.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        found,
        [
            "$.specVersion",
            "$.integrations[0].read.objects[1].objectName",
            "$.integrations[0].read.objects[2].destination",
            "$.integrations[0].read.objects[2].backfill.defaultPeriod",
            "$.integrations[0].read.objects[2].delivery.pageSize",
            "$.integrations[0].write.objects[0].objectName",
            "$.integrations[0].proxy.enabled",
            "$.integrations[1].name",
            "$.integrations[1].subscribe.objects[0].createEvent.enabled",
            "$.integrations[1].subscribe.objects[0].updateEvent.enabled",
            "$.integrations[1].watchSchema.destination",
            "$.integrations[1].watchSchema.allObjects.fieldChanged.enabled",
            "$.integrations[2].read.objects",
        ]
    );
    let text = errors.to_string();
    assert!(text.contains("13 problem(s)"), "{text}");
    assert!(text.contains("only 1.0.0 is supported"), "{text}");
    assert!(
        text.contains("$.integrations[0].read.objects[2].destination: `destination` is required"),
        "{text}"
    );
}

#[test]
fn validation_requires_a_version_and_integrations() {
    let errors = Manifest::from_yaml("{}").unwrap().validate().unwrap_err();
    let found: Vec<String> = errors.into_iter().map(|e| e.to_string()).collect();
    assert_eq!(
        found,
        [
            "$.specVersion: `specVersion` is required",
            "$.integrations: at least one integration is required",
        ]
    );
}

/// Made by `fixtures/make_archive_vectors.py` with Python's zipfile and hashlib.
const ARCHIVES: &str = include_str!("fixtures/archive_vectors.json");

#[test]
fn upload_archives_match_python_zipfile() {
    let fixture: Value = serde_json::from_str(ARCHIVES).unwrap();
    let vectors = fixture["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 3);
    for vector in vectors {
        let yaml = vector["yaml"].as_str().unwrap();
        let archive = UploadArchive::from_yaml(yaml);
        let expected = STANDARD
            .decode(vector["zip_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(archive.bytes(), expected, "zip of {yaml:?}");
        assert_eq!(
            archive.content_md5(),
            vector["md5_base64"],
            "md5 of {yaml:?}"
        );
    }
}

#[test]
fn upload_archive_holds_amp_yaml_unchanged() {
    let archive = UploadArchive::from_yaml(FULL);
    let bytes = archive.bytes();
    // Local file header, stored, named amp.yaml, followed by the text as written.
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 0, "not stored");
    let name_len = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
    assert_eq!(&bytes[30..30 + name_len], b"amp.yaml");
    let data = &bytes[30 + name_len..30 + name_len + FULL.len()];
    assert_eq!(data, FULL.as_bytes());
    // The end of central directory record says one entry.
    let eocd = &bytes[bytes.len() - 22..];
    assert_eq!(&eocd[..4], b"PK\x05\x06");
    assert_eq!(u16::from_le_bytes([eocd[10], eocd[11]]), 1);
    // A different manifest gives a different MD5.
    let parsed = Manifest::from_yaml(FULL).unwrap();
    assert_ne!(
        parsed.to_upload_archive().content_md5(),
        archive.content_md5()
    );
    assert_eq!(archive.clone().into_bytes(), bytes);
}
