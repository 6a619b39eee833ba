//! Request-body validation as the spec states it: required members, types, enums and patterns.
//!
//! A [`Check`] walks a JSON body and collects every [`Issue`] before failing, so that one
//! response lists everything that is wrong, as the real API's `issues[]` does.

use http::StatusCode;
use serde_json::Value;

use crate::reply::{ApiError, Issue};

/// Collects the issues of one request body.
pub(crate) struct Check<'a> {
    body: &'a Value,
    issues: Vec<Issue>,
}

/// The value at a dotted path (`latestRevision.specVersion`, `changes.0.op`).
pub(crate) fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, key| match (v, key.parse::<usize>()) {
            (Value::Array(items), Ok(i)) => items.get(i),
            _ => v.get(key),
        })
        .filter(|v| !v.is_null())
}

impl<'a> Check<'a> {
    /// Starts checking a body, which must be a JSON object.
    pub(crate) fn new(body: &'a Value) -> Check<'a> {
        let mut issues = Vec::new();
        if !body.is_object() {
            issues.push(Issue::body("$", "the request body must be a JSON object"));
        }
        Check { body, issues }
    }

    /// Records an issue found by the caller.
    pub(crate) fn issue(&mut self, issue: Issue) {
        self.issues.push(issue);
    }

    /// A required, non-empty string.
    pub(crate) fn string(&mut self, path: &str) -> Option<String> {
        match at(self.body, path) {
            None => {
                self.issues.push(Issue::body(path, "is required"));
                None
            }
            Some(v) => self.as_string(path, v, true),
        }
    }

    /// An optional string.
    pub(crate) fn opt_string(&mut self, path: &str) -> Option<String> {
        at(self.body, path).and_then(|v| self.as_string(path, v, false))
    }

    fn as_string(&mut self, path: &str, v: &Value, non_empty: bool) -> Option<String> {
        match v.as_str() {
            Some("") if non_empty => {
                self.issues
                    .push(Issue::body(path, "must not be empty").with_value(v.clone()));
                None
            }
            Some(s) => Some(s.to_owned()),
            None => {
                self.issues
                    .push(Issue::body(path, "must be a string").with_value(v.clone()));
                None
            }
        }
    }

    /// A string that must match the project-name pattern `^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$`.
    pub(crate) fn name_pattern(&mut self, path: &str, required: bool) -> Option<String> {
        let value = if required {
            self.string(path)
        } else {
            self.opt_string(path)
        }?;
        if is_project_name(&value) {
            Some(value)
        } else {
            self.issues.push(
                Issue::body(
                    path,
                    "must match ^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$ (letters, digits and \
                     inner hyphens, at least two characters)",
                )
                .with_value(Value::String(value)),
            );
            None
        }
    }

    /// A string that must be one of `allowed`.
    pub(crate) fn one_of(
        &mut self,
        path: &str,
        allowed: &[&str],
        required: bool,
    ) -> Option<String> {
        let value = if required {
            self.string(path)
        } else {
            self.opt_string(path)
        }?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.issues.push(
                Issue::body(path, format!("must be one of: {}", allowed.join(", ")))
                    .with_value(Value::String(value)),
            );
            None
        }
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&mut self, path: &str) -> Option<bool> {
        let v = at(self.body, path)?;
        if v.is_boolean() {
            v.as_bool()
        } else {
            self.issues
                .push(Issue::body(path, "must be a boolean").with_value(v.clone()));
            None
        }
    }

    /// An optional integer within bounds.
    pub(crate) fn opt_int(&mut self, path: &str, min: i64, max: i64) -> Option<i64> {
        let v = at(self.body, path)?;
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.issues.push(
                    Issue::body(path, format!("must be between {min} and {max}"))
                        .with_value(v.clone()),
                );
                None
            }
            None => {
                self.issues
                    .push(Issue::body(path, "must be an integer").with_value(v.clone()));
                None
            }
        }
    }

    /// A required JSON object.
    pub(crate) fn object(&mut self, path: &str) -> Option<&'a Value> {
        match at(self.body, path) {
            None => {
                self.issues.push(Issue::body(path, "is required"));
                None
            }
            Some(v) => self.as_object(path, v),
        }
    }

    /// An optional JSON object.
    pub(crate) fn opt_object(&mut self, path: &str) -> Option<&'a Value> {
        at(self.body, path).and_then(|v| self.as_object(path, v))
    }

    fn as_object(&mut self, path: &str, v: &'a Value) -> Option<&'a Value> {
        if v.is_object() {
            Some(v)
        } else {
            self.issues
                .push(Issue::body(path, "must be an object").with_value(v.clone()));
            None
        }
    }

    /// An array of strings; `required` arrays must also be non-empty.
    pub(crate) fn strings(&mut self, path: &str, required: bool) -> Option<Vec<String>> {
        let Some(v) = at(self.body, path) else {
            if required {
                self.issues.push(Issue::body(path, "is required"));
            }
            return None;
        };
        let Some(items) = v.as_array() else {
            self.issues
                .push(Issue::body(path, "must be an array of strings").with_value(v.clone()));
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => self.issues.push(
                    Issue::body(format!("{path}[{i}]"), "must be a string")
                        .with_value(item.clone()),
                ),
            }
        }
        if required && out.is_empty() && items.is_empty() {
            self.issues.push(Issue::body(path, "must not be empty"));
        }
        Some(out)
    }

    /// An `updateMask` whose paths must each start with one of `allowed` (a path or a prefix
    /// followed by `.`).
    pub(crate) fn update_mask(&mut self, allowed: &[&str]) -> Vec<String> {
        let mask = self.strings("updateMask", true).unwrap_or_default();
        for (i, path) in mask.iter().enumerate() {
            let ok = allowed
                .iter()
                .any(|a| path == a || path.starts_with(&format!("{a}.")));
            if !ok {
                self.issues.push(
                    Issue::body(
                        format!("updateMask[{i}]"),
                        format!("unknown field path; allowed: {}", allowed.join(", ")),
                    )
                    .with_value(Value::String(path.clone())),
                );
            }
        }
        mask
    }

    /// Fails with `status` if any issue was found.
    pub(crate) fn finish(self, status: StatusCode) -> Result<(), ApiError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(status, self.issues))
        }
    }
}

/// Whether `name` matches the spec's project-name pattern.
pub(crate) fn is_project_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_issue() {
        let body = json!({"name": "-bad", "type": "carrier-pigeon", "n": 5000, "tags": [1]});
        let mut check = Check::new(&body);
        assert_eq!(check.name_pattern("name", true), None);
        assert_eq!(check.one_of("type", &["webhook"], true), None);
        assert_eq!(check.string("missing"), None);
        assert_eq!(check.opt_int("n", 1, 1000), None);
        assert_eq!(check.strings("tags", false), Some(vec![]));
        let err = check.finish(StatusCode::BAD_REQUEST).unwrap_err();
        let names: Vec<_> = err.issues.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["name", "type", "missing", "n", "tags[0]"]);
    }

    #[test]
    fn project_name_pattern() {
        assert!(is_project_name("my-project-1"));
        assert!(is_project_name("ab"));
        assert!(!is_project_name("a"));
        assert!(!is_project_name("a-"));
        assert!(!is_project_name("my_project"));
    }

    #[test]
    fn update_mask_prefixes() {
        let body = json!({"updateMask": ["config.content.read.objects.contact", "bogus"]});
        let mut check = Check::new(&body);
        let mask = check.update_mask(&["config.content", "connectionId"]);
        assert_eq!(mask.len(), 2);
        let err = check.finish(StatusCode::BAD_REQUEST).unwrap_err();
        assert_eq!(err.issues[0].name, "updateMask[1]");
    }
}
