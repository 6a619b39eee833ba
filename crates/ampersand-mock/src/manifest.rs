//! amp.yaml manifests: parsing from YAML text or from the zip the CLI uploads, and the
//! checks the platform applies before it accepts them.

use serde_json::Value;

use crate::catalog;
use crate::reply::Issue;

/// The schedule given to read objects that declare none (the CLI made it optional).
const DEFAULT_SCHEDULE: &str = "*/15 * * * *";

/// A parsed manifest: its spec version and integrations (each an `Integration` of the
/// manifest schema, ready to be a revision's `content`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Manifest {
    pub(crate) spec_version: String,
    pub(crate) integrations: Vec<Value>,
}

/// Parses and checks a manifest; issues name the JSON path inside the manifest, prefixed by
/// `source` (the request member it came from).
pub(crate) fn parse(yaml: &str, source: &str) -> Result<Manifest, Vec<Issue>> {
    let value: Value = serde_yaml_ng::from_str(yaml).map_err(|e| {
        vec![Issue::body(
            source,
            format!("the manifest is not valid YAML: {e}"),
        )]
    })?;
    let mut issues = Vec::new();
    let path = |p: &str| format!("{source}:$.{p}");
    let spec_version = match value.get("specVersion") {
        Some(Value::String(v)) if v == "1.0.0" => v.clone(),
        Some(other) => {
            issues.push(
                Issue::body(path("specVersion"), "must be \"1.0.0\"").with_value(other.clone()),
            );
            String::new()
        }
        None => {
            issues.push(Issue::body(path("specVersion"), "is required"));
            String::new()
        }
    };
    let mut integrations = Vec::new();
    match value.get("integrations").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, integration) in list.iter().enumerate() {
                let base = format!("integrations[{i}]");
                let mut integration = integration.clone();
                check_integration(&mut integration, &base, &path, &mut issues);
                let name = integration["name"].as_str().unwrap_or_default();
                if integrations
                    .iter()
                    .any(|x: &Value| x["name"].as_str() == Some(name))
                {
                    issues.push(Issue::body(
                        path(&format!("{base}.name")),
                        "duplicate integration name",
                    ));
                }
                integrations.push(integration);
            }
        }
        _ => issues.push(Issue::body(
            path("integrations"),
            "must be a non-empty list",
        )),
    }
    if issues.is_empty() {
        Ok(Manifest {
            spec_version,
            integrations,
        })
    } else {
        Err(issues)
    }
}

fn check_integration(
    integration: &mut Value,
    base: &str,
    path: &dyn Fn(&str) -> String,
    issues: &mut Vec<Issue>,
) {
    let mut need = |v: &Value, member: &str, at: &str| {
        if v.get(member)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            issues.push(Issue::body(path(&format!("{at}.{member}")), "is required"));
        }
    };
    need(integration, "name", base);
    need(integration, "provider", base);
    for (section, needs_destination) in [("read", true), ("write", false), ("subscribe", true)] {
        let Some(objects) = integration
            .get_mut(section)
            .and_then(|s| s.get_mut("objects"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for (j, object) in objects.iter_mut().enumerate() {
            let at = format!("{base}.{section}.objects[{j}]");
            need(object, "objectName", &at);
            if needs_destination {
                need(object, "destination", &at);
            }
            if section == "read" && object.get("schedule").is_none() && object.is_object() {
                object["schedule"] = Value::String(DEFAULT_SCHEDULE.to_owned());
            }
        }
    }
    if let Some(provider) = integration.get("provider").and_then(Value::as_str)
        && !provider.is_empty()
        && catalog::provider(provider).is_none()
    {
        issues.push(
            Issue::body(path(&format!("{base}.provider")), "unknown provider")
                .with_value(Value::String(provider.to_owned())),
        );
    }
}

/// Finds `amp.yaml` (or `amp.yml`) in a zip archive, or takes the bytes as YAML when they are
/// not a zip.
pub(crate) fn yaml_from_upload(bytes: &[u8]) -> Result<String, String> {
    if !bytes.starts_with(b"PK") {
        return String::from_utf8(bytes.to_vec())
            .map_err(|_| "the upload is neither a zip nor UTF-8 YAML".to_owned());
    }
    let files = unzip(bytes)?;
    let (_, data) = files
        .into_iter()
        .find(|(name, _)| {
            let base = name.rsplit('/').next().unwrap_or(name);
            base == "amp.yaml" || base == "amp.yml"
        })
        .ok_or("the zip holds no amp.yaml")?;
    String::from_utf8(data).map_err(|_| "amp.yaml is not UTF-8".to_owned())
}

fn u16_at(b: &[u8], at: usize) -> Result<usize, String> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]) as usize)
        .ok_or_else(|| "truncated zip".to_owned())
}

fn u32_at(b: &[u8], at: usize) -> Result<usize, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
        .ok_or_else(|| "truncated zip".to_owned())
}

/// Reads the files of a zip archive (stored or deflated entries) through its central
/// directory.
pub(crate) fn unzip(b: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let eocd = (0..=b.len().saturating_sub(22))
        .rev()
        .find(|&i| b[i..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or("not a zip: no end of central directory")?;
    let count = u16_at(b, eocd + 10)?;
    let mut at = u32_at(b, eocd + 16)?;
    let mut files = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(b, at)? != 0x0201_4b50 {
            return Err("corrupt central directory".into());
        }
        let method = u16_at(b, at + 10)?;
        let compressed = u32_at(b, at + 20)?;
        let (name_len, extra_len, comment_len) = (
            u16_at(b, at + 28)?,
            u16_at(b, at + 30)?,
            u16_at(b, at + 32)?,
        );
        let local = u32_at(b, at + 42)?;
        let name =
            String::from_utf8_lossy(b.get(at + 46..at + 46 + name_len).ok_or("truncated zip")?)
                .into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if u32_at(b, local)? != 0x0403_4b50 {
            return Err("corrupt local header".into());
        }
        let start = local + 30 + u16_at(b, local + 26)? + u16_at(b, local + 28)?;
        let raw = b
            .get(start..start + compressed)
            .ok_or("truncated zip entry")?;
        let data = match method {
            0 => raw.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec(raw)
                .map_err(|e| format!("bad deflate data: {e:?}"))?,
            other => return Err(format!("unsupported zip compression method {other}")),
        };
        files.push((name, data));
    }
    Ok(files)
}

/// Builds a zip of stored (uncompressed) files; the tests' and examples' way to make uploads.
pub fn zip_stored(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let mut header = Vec::new();
        header.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        header.extend_from_slice(&crc.to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "specVersion: 1.0.0\nintegrations:\n  - name: sf\n    provider: salesforce\n    read:\n      objects:\n        - objectName: contact\n          destination: hook\n";

    #[test]
    fn parses_and_fills_default_schedules() {
        let m = parse(YAML, "sourceYaml").unwrap();
        assert_eq!(m.spec_version, "1.0.0");
        assert_eq!(
            m.integrations[0]["read"]["objects"][0]["schedule"],
            DEFAULT_SCHEDULE
        );
    }

    #[test]
    fn reports_every_issue_with_its_path() {
        let yaml = "specVersion: 2\nintegrations:\n  - name: x\n    provider: nope\n    read:\n      objects:\n        - objectName: a\n";
        let issues = parse(yaml, "sourceYaml").unwrap_err();
        let names: Vec<_> = issues.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "sourceYaml:$.specVersion",
                "sourceYaml:$.integrations[0].read.objects[0].destination",
                "sourceYaml:$.integrations[0].provider"
            ]
        );
    }

    #[test]
    fn stored_and_deflated_zips_round_trip() {
        let zip = zip_stored(&[("README", b"hi"), ("amp.yaml", YAML.as_bytes())]);
        assert_eq!(yaml_from_upload(&zip).unwrap(), YAML);
        // A deflated entry, as Go's archive/zip writes it.
        let deflated = miniz_oxide::deflate::compress_to_vec(YAML.as_bytes(), 6);
        let mut zip = zip_stored(&[("amp.yaml", &deflated)]);
        zip[8] = 8; // local header method
        let cd = zip
            .windows(4)
            .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .unwrap();
        zip[cd + 10] = 8; // central directory method
        assert_eq!(yaml_from_upload(&zip).unwrap(), YAML);
        assert_eq!(yaml_from_upload(YAML.as_bytes()).unwrap(), YAML);
        assert!(yaml_from_upload(&zip_stored(&[("x", b"y")])).is_err());
    }

    #[test]
    fn crc_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
