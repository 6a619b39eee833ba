//! The mock's provider catalog (what `GET /providers` serves) and the object metadata it
//! invents for reads, hydration and metadata queries.

use serde_json::{Map, Value, json};

/// The providers the mock knows: `(name, display name, auth type, base URL)`.
const PROVIDERS: &[(&str, &str, &str, &str)] = &[
    (
        "salesforce",
        "Salesforce",
        "oauth2",
        "https://{{.workspace}}.my.salesforce.com",
    ),
    ("hubspot", "HubSpot", "oauth2", "https://api.hubapi.com"),
    (
        "pipedrive",
        "Pipedrive",
        "oauth2",
        "https://api.pipedrive.com",
    ),
    ("apollo", "Apollo", "apiKey", "https://api.apollo.io"),
    ("attio", "Attio", "apiKey", "https://api.attio.com"),
    (
        "freshdesk",
        "Freshdesk",
        "basic",
        "https://{{.workspace}}.freshdesk.com",
    ),
    ("bill", "BILL", "custom", "https://gateway.prod.bill.com"),
];

/// The `ProviderInfo` of a provider, if the mock knows it.
pub(crate) fn provider(name: &str) -> Option<Value> {
    let &(name, display, auth, base) = PROVIDERS.iter().find(|p| p.0 == name)?;
    let mut info = json!({
        "name": name,
        "displayName": display,
        "authType": auth,
        "baseURL": base,
        "defaultModule": "root",
        "support": {
            "bulkWrite": {"insert": false, "update": false, "upsert": false, "delete": false},
            "proxy": true, "read": true, "subscribe": false, "write": true, "delete": true,
            "search": {"operators": {"equals": true}},
        },
        "media": {"regular": {"iconURL": format!("https://static.example.com/{name}.svg")}},
    });
    match auth {
        "oauth2" => {
            info["oauth2Opts"] = json!({
                "grantType": "authorizationCode",
                "authURL": format!("https://auth.example.com/{name}/authorize"),
                "tokenURL": format!("https://auth.example.com/{name}/token"),
                "explicitScopesRequired": name == "hubspot",
                "explicitWorkspaceRequired": name == "salesforce",
                "tokenMetadataFields": {},
            });
        }
        "apiKey" => {
            info["apiKeyOpts"] = json!({
                "attachmentType": "header",
                "header": {"name": "Authorization", "valuePrefix": "Bearer "},
            });
        }
        "custom" => {
            // A multi-step custom auth flow (the only kind customAuthConnect drives).
            info["customOpts"] = json!({
                "multiStep": true,
                "inputs": [
                    {"name": "userName", "displayName": "User name"},
                    {"name": "password", "displayName": "Password"},
                ],
            });
        }
        _ => {
            info["basicOpts"] =
                json!({"apiKeyAsBasic": true, "apiKeyAsBasicOpts": {"fieldUsed": "username"}});
        }
    }
    Some(info)
}

/// Whether the provider's catalog entry has `customOpts.multiStep` (the providers that
/// customAuthConnect accepts).
pub(crate) fn is_multi_step(info: &Value) -> bool {
    info["customOpts"]["multiStep"] == Value::Bool(true)
}

/// The whole catalog (`CatalogType`, a map of provider name to `ProviderInfo`).
pub(crate) fn all() -> Value {
    let map: Map<String, Value> = PROVIDERS
        .iter()
        .filter_map(|p| Some((p.0.to_owned(), provider(p.0)?)))
        .collect();
    Value::Object(map)
}

/// The fields every object of the mock has: `(fieldName, displayName, valueType)`.
const FIELDS: &[(&str, &str, &str)] = &[
    ("id", "ID", "string"),
    ("name", "Name", "string"),
    ("email", "Email", "string"),
    ("phone", "Phone", "string"),
    ("owner", "Owner", "reference"),
    ("createdAt", "Created At", "datetime"),
    ("updatedAt", "Updated At", "datetime"),
];

/// A display name for an object or field name (`contact` → `Contact`).
pub(crate) fn display_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The `FieldMetadata` map of an object, plus `custom` fields (name → `FieldMetadata`).
pub(crate) fn object_fields(
    custom: Option<&std::collections::BTreeMap<String, Value>>,
) -> Map<String, Value> {
    let mut fields: Map<String, Value> = FIELDS
        .iter()
        .map(|&(name, display, value_type)| {
            (
                name.to_owned(),
                json!({
                    "fieldName": name, "displayName": display, "valueType": value_type,
                    "providerType": value_type, "readOnly": name == "id" || name.ends_with("At"),
                    "isCustom": false, "isRequired": name == "name",
                }),
            )
        })
        .collect();
    for (name, field) in custom.into_iter().flatten() {
        fields.insert(name.clone(), field.clone());
    }
    fields
}

/// The names of the fields every object has.
pub(crate) fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|f| f.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_entries_have_the_required_members() {
        let all = all();
        for (name, info) in all.as_object().unwrap() {
            for key in ["name", "authType", "baseURL", "defaultModule", "support"] {
                assert!(info.get(key).is_some(), "{name} lacks {key}");
            }
        }
        assert_eq!(provider("apollo").unwrap()["authType"], "apiKey");
        assert!(provider("nope").is_none());
        assert!(is_multi_step(&provider("bill").unwrap()));
        assert!(!is_multi_step(&provider("attio").unwrap()));
        assert_eq!(display_name("contact"), "Contact");
    }
}
