//! The type model: every schema of the spec becomes a [`TypeDef`] placed in a module.
//!
//! Named component schemas keep their names (the bundler's suffixed duplicates are resolved:
//! the manifest's copies become the `manifest` module's types, the rest are renamed by
//! [`RENAMES`]). Inline schemas are named after where they appear (`{Parent}{Property}`).
//! Every type remembers the spec locations it stands for, so the tests can decode each example
//! into the type the generator chose for it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::naming::{pascal, singular, snake};
use super::spec::Document;

/// Index of a type in [`Model::types`].
pub type TypeId = usize;

/// The Rust type of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32` (`format: int32`).
    I32,
    /// `i64`.
    I64,
    /// `f64`.
    F64,
    /// `ampersand_core::Timestamp` (`format: date-time`).
    Timestamp,
    /// `serde_json::Value`: the schema is free-form.
    Json,
    /// A generated type.
    Named(TypeId),
    /// `Vec<T>`.
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
    /// A type of `ampersand_core` (the RFC 9457 problem types).
    Core(&'static str),
}

/// A spec location a type stands for: document short name and JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// Document short name (`api`, `read`...).
    pub doc: &'static str,
    /// JSON pointer of the schema within the document.
    pub pointer: String,
}

/// One generated type.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Rust name.
    pub name: String,
    /// Module (a tag module, `models`, `manifest`, `webhook`...).
    pub module: String,
    /// Raw description (not yet escaped).
    pub description: Option<String>,
    /// Example value, if the schema has one.
    pub example: Option<Value>,
    /// What the type is.
    pub kind: Kind,
    /// The spec locations it stands for.
    pub origins: Vec<Origin>,
    /// Whether the type can derive `Default` (computed after building).
    pub default: bool,
}

/// The shape of a generated type.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Placeholder while the type is being built.
    Pending,
    /// A struct with named fields.
    Struct(Struct),
    /// A forward-compatible string enum.
    StringEnum(Vec<EnumValue>),
    /// A `oneOf`/`anyOf` enum.
    OneOf(OneOf),
    /// `pub type Name = Ty;`
    Alias(Ty),
    /// An `updateMask` entry whose allowed paths the spec enumerates.
    FieldMask(Vec<MaskPath>),
}

/// A struct.
#[derive(Debug, Clone, Default)]
pub struct Struct {
    /// Fields, sorted by wire name.
    pub fields: Vec<Field>,
    /// `additionalProperties` next to named properties, kept in a flattened map.
    pub additional: Option<Ty>,
}

/// A struct field.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON name.
    pub wire: String,
    /// Rust name.
    pub name: String,
    /// Type (without the `Option` of optional fields).
    pub ty: Ty,
    /// Whether the spec requires it (and does not mark it nullable).
    pub required: bool,
    /// Raw description.
    pub description: Option<String>,
    /// Example, for the docs.
    pub example: Option<Value>,
    /// Default, for the docs.
    pub default: Option<Value>,
    /// Whether the field is boxed (recursive types).
    pub boxed: bool,
    /// The field's position in the spec's `required` list (`usize::MAX` when optional), so
    /// constructors take required fields in the order the spec lists them.
    pub required_rank: usize,
    /// Other JSON names the field also decodes from (see [`super::aliases`]).
    pub aliases: Vec<String>,
}

/// One value of a string enum.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// JSON value.
    pub wire: String,
    /// Variant name.
    pub variant: String,
}

/// A `oneOf`/`anyOf` enum.
#[derive(Debug, Clone)]
pub struct OneOf {
    /// How the variants are told apart on the wire.
    pub tagging: Tagging,
    /// Variants in decoding order.
    pub variants: Vec<Variant>,
}

/// Serde representation of a `oneOf`.
#[derive(Debug, Clone, PartialEq)]
pub enum Tagging {
    /// No tag: the first variant that decodes wins (`#[serde(untagged)]`).
    Untagged,
    /// Each branch is an object with one required property that names it.
    External,
    /// The spec declares a discriminator property.
    Internal(String),
}

/// One variant of a `oneOf` enum.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Rust name.
    pub name: String,
    /// Payload.
    pub ty: Ty,
    /// Wire name (external tag or discriminator value).
    pub wire: Option<String>,
    /// Index of the branch in the spec's `oneOf` list.
    pub branch: usize,
}

/// One allowed `updateMask` path; `{}` in `template` stands for a caller-chosen name.
#[derive(Debug, Clone)]
pub struct MaskPath {
    /// Variant name.
    pub variant: String,
    /// The path, with `{}` where the spec has `<objectName>`.
    pub template: String,
    /// The placeholder's name, when there is one.
    pub placeholder: Option<String>,
}

/// The bundler suffixes a second schema of the same name with `-2`; these get real names.
/// Manifest schemas are matched by content instead (see `Model::new`).
pub const RENAMES: &[(&str, &str)] = &[
    ("ProviderMetadata-2", "ProviderMetadataFields"),
    ("ProviderAppMetadata-2", "ProviderAppMetadataFields"),
];

/// Component schemas the core crate already defines.
pub const CORE_TYPES: &[(&str, &str)] = &[
    ("Problem", "Problem"),
    ("ApiProblem", "ApiProblem"),
    ("InputValidationIssue", "InputValidationIssue"),
    ("InputValidationProblem", "InputValidationProblem"),
];

/// Documents whose schemas form one module each.
pub const DOC_MODULES: &[(&str, &str)] = &[
    ("read", "read"),
    ("write", "write"),
    ("search", "search"),
    ("webhook", "webhook"),
    ("notifications", "notification_payloads"),
    ("manifest", "manifest"),
];

/// The module shared models go to.
pub const SHARED: &str = "models";

/// The type model of the whole spec.
#[derive(Debug)]
pub struct Model {
    /// Every type, in creation order.
    pub types: Vec<TypeDef>,
    docs: BTreeMap<&'static str, Document>,
    /// (doc, pointer) of component or inline schemas already built.
    built: BTreeMap<(&'static str, String), Ty>,
    /// Component placement: (doc, name) -> (module, rust name).
    placement: BTreeMap<(&'static str, String), Placement>,
    /// Names taken per module.
    names: BTreeMap<String, BTreeSet<String>>,
    /// Non-fatal remarks (renamed duplicates).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
enum Placement {
    Module(String, String),
    AliasOf(&'static str, String),
    Core(&'static str),
}

impl Model {
    /// Prepares the model: places every component schema.
    ///
    /// `usage` maps `(doc, schema name)` to the modules of the operations that use it.
    pub fn new(
        docs: &[Document],
        usage: &BTreeMap<(&'static str, String), BTreeSet<String>>,
    ) -> Result<Model, String> {
        let docs: BTreeMap<&'static str, Document> =
            docs.iter().map(|d| (d.name, d.clone())).collect();
        let mut model = Model {
            types: Vec::new(),
            docs,
            built: BTreeMap::new(),
            placement: BTreeMap::new(),
            names: BTreeMap::new(),
            warnings: Vec::new(),
        };
        model.place(usage)?;
        Ok(model)
    }

    fn schemas(&self, doc: &str) -> Vec<(String, Value)> {
        self.docs[doc]
            .value
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    fn place(
        &mut self,
        usage: &BTreeMap<(&'static str, String), BTreeSet<String>>,
    ) -> Result<(), String> {
        let manifest = self.schemas("manifest");
        let doc_names: Vec<&'static str> = self.docs.keys().copied().collect();
        for doc in doc_names {
            for (name, schema) in self.schemas(doc) {
                let key = (doc, name.clone());
                let placement = if doc == "problem"
                    || (doc == "api" && CORE_TYPES.iter().any(|(n, _)| *n == name))
                {
                    match CORE_TYPES.iter().find(|(n, _)| *n == name) {
                        Some((_, core)) => Placement::Core(core),
                        None => continue,
                    }
                } else if let Some((_, module)) = DOC_MODULES.iter().find(|(d, _)| *d == doc) {
                    Placement::Module(module.to_string(), pascal(&name))
                } else if let Some((manifest_name, _)) = manifest
                    .iter()
                    .find(|(m, v)| base_name(&name) == m && normalize(v) == normalize(&schema))
                {
                    Placement::AliasOf("manifest", manifest_name.clone())
                } else {
                    let rust = if let Some((_, to)) = RENAMES.iter().find(|(from, _)| *from == name)
                    {
                        to.to_string()
                    } else if base_name(&name) != name {
                        return Err(format!(
                            "schema `{name}` is a duplicate the bundler renamed: give it a name in RENAMES"
                        ));
                    } else {
                        pascal(&name)
                    };
                    let modules = usage.get(&key).cloned().unwrap_or_default();
                    let module = if modules.len() == 1 {
                        modules.into_iter().next().unwrap_or_default()
                    } else {
                        SHARED.to_owned()
                    };
                    Placement::Module(module, rust)
                };
                if let Placement::Module(module, rust) = &placement
                    && !self
                        .names
                        .entry(module.clone())
                        .or_default()
                        .insert(rust.clone())
                {
                    return Err(format!(
                        "two schemas are named `{rust}` in module `{module}`"
                    ));
                }
                self.placement.insert(key, placement);
            }
        }
        Ok(())
    }

    /// The component schemas that are `ampersand_core` types: (origin, core type name).
    pub fn core_origins(&self) -> Vec<(Origin, &'static str)> {
        self.placement
            .iter()
            .filter_map(|((doc, name), placement)| match placement {
                Placement::Core(core) => Some((
                    Origin {
                        doc,
                        pointer: format!("/components/schemas/{}", escape_pointer(name)),
                    },
                    *core,
                )),
                _ => None,
            })
            .collect()
    }

    /// The document with this short name.
    pub fn doc(&self, name: &str) -> &Document {
        &self.docs[name]
    }

    /// Builds every component schema of every document.
    pub fn build_components(&mut self) -> Result<(), String> {
        let keys: Vec<(&'static str, String)> = self.placement.keys().cloned().collect();
        for (doc, name) in keys {
            self.component(doc, &name)?;
        }
        Ok(())
    }

    /// Resolves a `$ref` found in `doc` to (document, pointer).
    pub fn resolve_ref(
        &self,
        doc: &'static str,
        reference: &str,
    ) -> Result<(&'static str, String), String> {
        let (file, pointer) = reference
            .split_once('#')
            .ok_or_else(|| format!("bad $ref {reference}"))?;
        if file.is_empty() {
            return Ok((doc, pointer.to_owned()));
        }
        let base = self.docs[doc]
            .path
            .rsplit_once('/')
            .map(|(d, _)| d)
            .unwrap_or("");
        let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
        for part in file.split('/') {
            match part {
                ".." => {
                    parts.pop();
                }
                "." | "" => {}
                other => parts.push(other),
            }
        }
        let path = parts.join("/");
        let target = self
            .docs
            .values()
            .find(|d| d.path == path)
            .ok_or_else(|| format!("$ref to unknown document {path}"))?;
        Ok((target.name, pointer.to_owned()))
    }

    fn component(&mut self, doc: &'static str, name: &str) -> Result<Ty, String> {
        let pointer = format!("/components/schemas/{}", escape_pointer(name));
        if let Some(ty) = self.built.get(&(doc, pointer.clone())) {
            return Ok(ty.clone());
        }
        let placement = self
            .placement
            .get(&(doc, name.to_owned()))
            .cloned()
            .ok_or_else(|| format!("unknown schema {doc}#{pointer}"))?;
        match placement {
            Placement::Core(core) => Ok(Ty::Core(core)),
            Placement::AliasOf(target_doc, target) => {
                let ty = self.component(target_doc, &target)?;
                // Inline types under the target stand for the same places under the alias.
                let prefix = format!("/components/schemas/{}/", escape_pointer(&target));
                for def in &mut self.types {
                    let extra: Vec<Origin> = def
                        .origins
                        .iter()
                        .filter(|o| o.doc == target_doc)
                        .filter_map(|o| o.pointer.strip_prefix(&prefix))
                        .map(|rest| Origin {
                            doc,
                            pointer: format!("{pointer}/{rest}"),
                        })
                        .collect();
                    def.origins.extend(extra);
                }
                if let Ty::Named(id) = ty {
                    self.types[id].origins.push(Origin {
                        doc,
                        pointer: pointer.clone(),
                    });
                }
                self.built.insert((doc, pointer), ty.clone());
                Ok(ty)
            }
            Placement::Module(module, rust) => {
                let schema = self.docs[doc]
                    .value
                    .pointer(&pointer)
                    .cloned()
                    .ok_or_else(|| format!("missing {doc}#{pointer}"))?;
                let id = self.reserve(&module, rust, &schema, doc, &pointer, false);
                self.built.insert((doc, pointer.clone()), Ty::Named(id));
                let kind = self.kind(doc, &schema, &pointer, &module, id)?;
                self.types[id].kind = kind;
                Ok(Ty::Named(id))
            }
        }
    }

    fn reserve(
        &mut self,
        module: &str,
        name: String,
        schema: &Value,
        doc: &'static str,
        pointer: &str,
        unique: bool,
    ) -> TypeId {
        let mut name = name;
        if unique {
            let taken = self.names.entry(module.to_owned()).or_default();
            if taken.contains(&name) {
                let mut n = 2;
                while taken.contains(&format!("{name}{n}")) {
                    n += 1;
                }
                self.warnings.push(format!(
                    "inline type name `{name}` taken in `{module}`: using `{name}{n}`"
                ));
                name = format!("{name}{n}");
            }
            taken.insert(name.clone());
        }
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .or_else(|| schema.get("title").and_then(Value::as_str))
            .map(str::to_owned);
        self.types.push(TypeDef {
            name,
            module: module.to_owned(),
            description,
            example: schema.get("example").cloned(),
            kind: Kind::Pending,
            origins: vec![Origin {
                doc,
                pointer: pointer.to_owned(),
            }],
            default: false,
        });
        self.types.len() - 1
    }

    /// Defines a new named type for an inline schema, memoised by location.
    fn inline(
        &mut self,
        doc: &'static str,
        schema: &Value,
        pointer: &str,
        module: &str,
        name: String,
    ) -> Result<Ty, String> {
        if let Some(ty) = self.built.get(&(doc, pointer.to_owned())) {
            return Ok(ty.clone());
        }
        let id = self.reserve(module, name, schema, doc, pointer, true);
        self.built.insert((doc, pointer.to_owned()), Ty::Named(id));
        let kind = self.kind(doc, schema, pointer, module, id)?;
        self.types[id].kind = kind;
        Ok(Ty::Named(id))
    }

    /// The Rust type of the schema at `pointer`; `hint` names any type it needs to define.
    pub fn ty(
        &mut self,
        doc: &'static str,
        schema: &Value,
        pointer: &str,
        module: &str,
        hint: &str,
    ) -> Result<Ty, String> {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let (target_doc, target) = self.resolve_ref(doc, reference)?;
            let name = target
                .strip_prefix("/components/schemas/")
                .ok_or_else(|| format!("unsupported $ref {reference}"))?;
            return self.component(target_doc, &unescape_pointer(name));
        }
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array)
            && branches.len() == 1
            && schema.get("properties").is_none()
            && schema.get("required").is_none()
        {
            return self.ty(
                doc,
                &branches[0],
                &format!("{pointer}/allOf/0"),
                module,
                hint,
            );
        }
        if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
            return self.inline(doc, schema, pointer, module, hint.to_owned());
        }
        let ty = schema.get("type").and_then(Value::as_str);
        Ok(match ty {
            Some("string") if schema.get("enum").is_some() => {
                self.inline(doc, schema, pointer, module, hint.to_owned())?
            }
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => Ty::Timestamp,
                _ => Ty::String,
            },
            Some("boolean") => Ty::Bool,
            Some("integer") => match schema.get("format").and_then(Value::as_str) {
                Some("int32") => Ty::I32,
                _ => Ty::I64,
            },
            Some("number") => Ty::F64,
            Some("array") => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let item_hint = format!("{hint}Item");
                Ty::Vec(Box::new(self.ty(
                    doc,
                    &items,
                    &format!("{pointer}/items"),
                    module,
                    &item_hint,
                )?))
            }
            _ if is_object(schema) => {
                if schema.get("properties").is_none() && schema.get("allOf").is_none() {
                    Ty::Map(Box::new(
                        self.additional(doc, schema, pointer, module, hint)?,
                    ))
                } else {
                    self.inline(doc, schema, pointer, module, hint.to_owned())?
                }
            }
            _ => Ty::Json,
        })
    }

    fn additional(
        &mut self,
        doc: &'static str,
        schema: &Value,
        pointer: &str,
        module: &str,
        hint: &str,
    ) -> Result<Ty, String> {
        match schema.get("additionalProperties") {
            Some(ap @ Value::Object(_)) if !ap.as_object().is_some_and(|m| m.is_empty()) => self
                .ty(
                    doc,
                    ap,
                    &format!("{pointer}/additionalProperties"),
                    module,
                    &format!("{hint}Value"),
                ),
            _ => Ok(Ty::Json),
        }
    }

    /// The kind of a type that is being defined under the name of `id`.
    fn kind(
        &mut self,
        doc: &'static str,
        schema: &Value,
        pointer: &str,
        module: &str,
        id: TypeId,
    ) -> Result<Kind, String> {
        let name = self.types[id].name.clone();
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && schema.get("type").and_then(Value::as_str) == Some("string")
        {
            return Ok(Kind::StringEnum(enum_values(values)));
        }
        if let Some(branches) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            let key = if schema.get("oneOf").is_some() {
                "oneOf"
            } else {
                "anyOf"
            };
            return self.one_of(
                doc,
                schema,
                branches,
                &format!("{pointer}/{key}"),
                module,
                &name,
            );
        }
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array)
            && branches.len() == 1
            && schema.get("properties").is_none()
            && schema.get("required").is_none()
        {
            let inner = self.resolve_schema(doc, &branches[0])?;
            if inner.1.get("oneOf").is_some() {
                let branches = inner.1["oneOf"].as_array().cloned().unwrap_or_default();
                return self.one_of(
                    doc,
                    &inner.1,
                    &branches,
                    &format!("{pointer}/allOf/0/oneOf"),
                    module,
                    &name,
                );
            }
        }
        if is_object(schema)
            && (schema.get("properties").is_some() || schema.get("allOf").is_some())
        {
            return Ok(Kind::Struct(
                self.structure(doc, schema, pointer, module, &name)?,
            ));
        }
        let ty = self.ty(doc, schema, pointer, module, &name)?;
        Ok(Kind::Alias(ty))
    }

    /// Follows `$ref`s to the schema they name.
    fn resolve_schema(
        &self,
        doc: &'static str,
        schema: &Value,
    ) -> Result<(&'static str, Value, String), String> {
        let mut doc = doc;
        let mut schema = schema.clone();
        let mut pointer = String::new();
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let (d, p) = self.resolve_ref(doc, reference)?;
            schema = self.docs[d]
                .value
                .pointer(&p)
                .cloned()
                .ok_or_else(|| format!("missing {d}#{p}"))?;
            doc = d;
            pointer = p;
        }
        Ok((doc, schema, pointer))
    }

    /// Collects the properties of an object schema, merging `allOf` branches.
    fn collect(
        &self,
        doc: &'static str,
        schema: &Value,
        pointer: &str,
        out: &mut ObjectShape,
    ) -> Result<(), String> {
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            for (i, branch) in branches.iter().enumerate() {
                let (bdoc, bschema, bpointer) = self.resolve_schema(doc, branch)?;
                let bpointer = if bpointer.is_empty() {
                    format!("{pointer}/allOf/{i}")
                } else {
                    bpointer
                };
                self.collect(bdoc, &bschema, &bpointer, out)?;
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                out.properties.insert(
                    name.clone(),
                    (
                        doc,
                        prop.clone(),
                        format!("{pointer}/properties/{}", escape_pointer(name)),
                    ),
                );
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if out.required.insert(name.to_owned()) {
                    out.required_order.push(name.to_owned());
                }
            }
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => {
                out.additional = Some((doc, Value::Object(Default::default()), pointer.to_owned()))
            }
            Some(ap @ Value::Object(_)) => {
                out.additional = Some((doc, ap.clone(), format!("{pointer}/additionalProperties")))
            }
            _ => {}
        }
        Ok(())
    }

    fn structure(
        &mut self,
        doc: &'static str,
        schema: &Value,
        pointer: &str,
        module: &str,
        name: &str,
    ) -> Result<Struct, String> {
        let mut shape = ObjectShape::default();
        self.collect(doc, schema, pointer, &mut shape)?;
        let stem = name
            .strip_suffix("Body")
            .or_else(|| name.strip_suffix("Request"))
            .unwrap_or(name);
        let mut fields = Vec::new();
        let mut taken = BTreeSet::new();
        for (wire, (pdoc, prop, ppointer)) in &shape.properties {
            let field_name = {
                let base = snake(wire);
                if taken.insert(base.clone()) {
                    base
                } else {
                    let alt = format!("{base}_{}", fields.len());
                    taken.insert(alt.clone());
                    alt
                }
            };
            let hint = match stem.strip_suffix(pascal(wire).as_str()) {
                // `UpdateInstallation` + `installation` -> `InstallationUpdate`.
                Some(verb) if !verb.is_empty() => format!("{}{verb}", pascal(wire)),
                _ => format!("{stem}{}", pascal(wire)),
            };
            let ty = if wire == "updateMask" {
                self.update_mask(pdoc, prop, ppointer, module, &format!("{stem}Field"))?
            } else if prop.get("type").and_then(Value::as_str) == Some("array") {
                let item_hint = format!(
                    "{stem}{}",
                    pascal(&singular(&snake(wire).replace("r#", "")))
                );
                let items = prop.get("items").cloned().unwrap_or(Value::Null);
                Ty::Vec(Box::new(self.ty(
                    pdoc,
                    &items,
                    &format!("{ppointer}/items"),
                    module,
                    &item_hint,
                )?))
            } else {
                self.ty(pdoc, prop, ppointer, module, &hint)?
            };
            let nullable = prop
                .get("nullable")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            fields.push(Field {
                wire: wire.clone(),
                name: field_name,
                ty,
                required: shape.required.contains(wire) && !nullable,
                description: prop
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                example: prop.get("example").cloned(),
                default: prop.get("default").cloned(),
                boxed: false,
                required_rank: shape
                    .required_order
                    .iter()
                    .position(|r| r == wire)
                    .unwrap_or(usize::MAX),
                aliases: Vec::new(),
            });
        }
        let additional = match &shape.additional {
            Some((adoc, ap, apointer)) => {
                let value = if ap.as_object().is_some_and(|m| m.is_empty()) {
                    Ty::Json
                } else {
                    self.ty(adoc, ap, apointer, module, &format!("{stem}Value"))?
                };
                Some(value)
            }
            None => None,
        };
        Ok(Struct { fields, additional })
    }

    fn update_mask(
        &mut self,
        doc: &'static str,
        prop: &Value,
        pointer: &str,
        module: &str,
        name: &str,
    ) -> Result<Ty, String> {
        let items = prop.get("items").cloned().unwrap_or(Value::Null);
        let mut paths: Vec<String> = items
            .get("enum")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if paths.is_empty() {
            paths = allowed_paths(
                prop.get("description")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            );
        }
        if paths.is_empty() || prop.get("$ref").is_some() {
            return self.ty(doc, prop, pointer, module, name);
        }
        let item_pointer = format!("{pointer}/items");
        let id = self.reserve(module, name.to_owned(), &items, doc, &item_pointer, true);
        self.types[id].description = Some(format!(
            "A field path allowed in `updateMask`.\n\n{}",
            prop.get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
        ));
        self.types[id].example = None;
        self.built.insert((doc, item_pointer), Ty::Named(id));
        self.types[id].kind = Kind::FieldMask(mask_paths(&paths));
        Ok(Ty::Vec(Box::new(Ty::Named(id))))
    }

    fn one_of(
        &mut self,
        doc: &'static str,
        schema: &Value,
        branches: &[Value],
        pointer: &str,
        module: &str,
        name: &str,
    ) -> Result<Kind, String> {
        // Externally tagged: every branch is `{required: [x], properties: {x: ...}}`.
        let single_keys: Vec<Option<String>> = branches
            .iter()
            .map(|b| {
                let props = b.get("properties").and_then(Value::as_object)?;
                let required = b.get("required").and_then(Value::as_array)?;
                (b.get("$ref").is_none() && props.len() == 1 && required.len() == 1)
                    .then(|| props.keys().next().cloned())
                    .flatten()
                    .filter(|k| required[0].as_str() == Some(k.as_str()))
            })
            .collect();
        if single_keys.iter().all(Option::is_some) {
            let mut variants = Vec::new();
            for (i, key) in single_keys.into_iter().flatten().enumerate() {
                let prop_pointer = format!("{pointer}/{i}/properties/{}", escape_pointer(&key));
                let prop = branches[i]["properties"][&key].clone();
                let ty = self.ty(
                    doc,
                    &prop,
                    &prop_pointer,
                    module,
                    &format!("{name}{}", pascal(&key)),
                )?;
                variants.push(Variant {
                    name: pascal(&key),
                    ty,
                    wire: Some(key),
                    branch: i,
                });
            }
            return Ok(Kind::OneOf(OneOf {
                tagging: Tagging::External,
                variants,
            }));
        }
        let discriminator = schema
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut resolved = Vec::new();
        for branch in branches {
            resolved.push(self.resolve_schema(doc, branch)?);
        }
        let names = variant_names(name, branches, &resolved);
        let mut variants = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let variant_name = names[i].clone();
            let ty = self.ty(
                doc,
                branch,
                &format!("{pointer}/{i}"),
                module,
                &format!("{name}{variant_name}"),
            )?;
            let wire = discriminator.as_ref().map(|prop| {
                let mapping = schema
                    .pointer("/discriminator/mapping")
                    .and_then(Value::as_object);
                let reference = branch.get("$ref").and_then(Value::as_str).unwrap_or("");
                mapping
                    .and_then(|m| {
                        m.iter()
                            .find(|(_, v)| v.as_str() == Some(reference))
                            .map(|(k, _)| k.clone())
                    })
                    .or_else(|| {
                        resolved[i]
                            .1
                            .pointer(&format!("/properties/{prop}/enum/0"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| reference.rsplit('/').next().unwrap_or("").to_owned())
            });
            variants.push(Variant {
                name: variant_name,
                ty,
                wire,
                branch: i,
            });
        }
        let tagging = match discriminator {
            Some(prop) => Tagging::Internal(prop),
            None => {
                order_untagged(&mut variants, &resolved);
                Tagging::Untagged
            }
        };
        Ok(Kind::OneOf(OneOf { tagging, variants }))
    }

    /// Computes `Default` derivability and boxes recursive fields.
    pub fn finish(&mut self) {
        loop {
            let mut changed = false;
            for id in 0..self.types.len() {
                if self.types[id].default {
                    continue;
                }
                let can = match &self.types[id].kind {
                    Kind::Struct(s) => s
                        .fields
                        .iter()
                        .all(|f| !f.required || self.ty_default(&f.ty)),
                    Kind::Alias(ty) => self.ty_default(ty),
                    _ => false,
                };
                if can {
                    self.types[id].default = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for id in 0..self.types.len() {
            let Kind::Struct(s) = &self.types[id].kind else {
                continue;
            };
            let boxed: Vec<bool> = s
                .fields
                .iter()
                .map(|f| match &f.ty {
                    Ty::Named(target) => self.reaches(*target, id, &mut BTreeSet::new()),
                    _ => false,
                })
                .collect();
            if let Kind::Struct(s) = &mut self.types[id].kind {
                for (field, boxed) in s.fields.iter_mut().zip(boxed) {
                    field.boxed = boxed;
                }
            }
        }
    }

    fn ty_default(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Named(id) => self.types[*id].default,
            Ty::Core(_) => false,
            _ => true,
        }
    }

    /// Whether `from` contains `to` without indirection (so `to` would be infinitely sized).
    fn reaches(&self, from: TypeId, to: TypeId, seen: &mut BTreeSet<TypeId>) -> bool {
        if from == to {
            return true;
        }
        if !seen.insert(from) {
            return false;
        }
        let direct: Vec<TypeId> = match &self.types[from].kind {
            Kind::Struct(s) => s
                .fields
                .iter()
                .filter_map(|f| match f.ty {
                    Ty::Named(t) => Some(t),
                    _ => None,
                })
                .collect(),
            Kind::OneOf(o) => o
                .variants
                .iter()
                .filter_map(|v| match v.ty {
                    Ty::Named(t) => Some(t),
                    _ => None,
                })
                .collect(),
            Kind::Alias(Ty::Named(t)) => vec![*t],
            _ => vec![],
        };
        direct.into_iter().any(|t| self.reaches(t, to, seen))
    }
}

#[derive(Debug, Default)]
struct ObjectShape {
    properties: BTreeMap<String, (&'static str, Value, String)>,
    required: BTreeSet<String>,
    required_order: Vec<String>,
    additional: Option<(&'static str, Value, String)>,
}

fn is_object(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
        || schema.get("properties").is_some()
        || schema.get("allOf").is_some()
        || (schema.get("type").is_none() && schema.get("additionalProperties").is_some())
}

/// `Integration-2` -> `Integration`.
pub fn base_name(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    }
}

/// A schema with the bundler's suffixes removed from its `$ref`s, for comparison.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => Value::String(base_name(r).to_owned()),
                        _ => normalize(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// JSON-pointer escaping of one reference token.
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Variant names of a string enum: `PascalCase` of each value, deduplicated; the catch-all is
/// added by the renderer.
pub fn enum_values(values: &[Value]) -> Vec<EnumValue> {
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    for value in values.iter().filter_map(Value::as_str) {
        let mut variant = pascal(value);
        if variant.is_empty() {
            variant = "Empty".to_owned();
        }
        while !taken.insert(variant.clone()) {
            variant.push('_');
        }
        out.push(EnumValue {
            wire: value.to_owned(),
            variant,
        });
    }
    out
}

/// The paths listed under "Allowed values" in an `updateMask` description.
pub fn allowed_paths(description: &str) -> Vec<String> {
    let Some(start) = description.find("Allowed values") else {
        return Vec::new();
    };
    description[start..]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("- "))
        .filter_map(|item| {
            let item = item.trim();
            let path = match item.strip_prefix('`') {
                Some(rest) => rest.split('`').next()?,
                None => item.split_whitespace().next()?,
            };
            (!path.is_empty()).then(|| path.to_owned())
        })
        .collect()
}

/// Mask variants: `config.content.read.objects.<objectName>` becomes
/// `ConfigContentReadObjectsObjectName(String)` with template `config.content.read.objects.{}`.
pub fn mask_paths(paths: &[String]) -> Vec<MaskPath> {
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    for path in paths {
        let mut placeholder = None;
        let template = path
            .split('.')
            .map(
                |segment| match segment.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                    Some(name) => {
                        placeholder = Some(name.to_owned());
                        "{}".to_owned()
                    }
                    None => segment.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join(".");
        let mut variant = pascal(&path.replace(['<', '>'], "."));
        while !taken.insert(variant.clone()) {
            variant.push('_');
        }
        out.push(MaskPath {
            variant,
            template,
            placeholder,
        });
    }
    out
}

fn variant_names(
    enum_name: &str,
    branches: &[Value],
    resolved: &[(&'static str, Value, String)],
) -> Vec<String> {
    let ref_names: Vec<Option<String>> = branches
        .iter()
        .map(|b| {
            b.get("$ref")
                .and_then(Value::as_str)
                .map(|r| pascal(base_name(r.rsplit('/').next().unwrap_or(""))))
        })
        .collect();
    let all_refs: Vec<&String> = ref_names.iter().flatten().collect();
    let prefix = if all_refs.len() == branches.len() && all_refs.len() > 1 {
        common_word_prefix(&all_refs)
    } else {
        String::new()
    };
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    for (i, branch) in branches.iter().enumerate() {
        let mut name = match &ref_names[i] {
            Some(r) => {
                let stripped = r
                    .strip_prefix(&prefix)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(r);
                stripped
                    .strip_prefix(enum_name)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(stripped)
                    .to_owned()
            }
            None => match branch.get("type").and_then(Value::as_str) {
                Some("string") => "String".to_owned(),
                Some("boolean") => "Bool".to_owned(),
                Some("integer") => "Integer".to_owned(),
                Some("number") => "Number".to_owned(),
                Some("array") => "List".to_owned(),
                _ => {
                    // An inline object: name it by the property only it requires.
                    let own: Vec<String> = required_of(&resolved[i].1);
                    let others: BTreeSet<String> = resolved
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .flat_map(|(_, r)| required_of(&r.1))
                        .collect();
                    own.iter()
                        .find(|r| !others.contains(*r))
                        .map(|r| format!("With{}", pascal(r)))
                        .unwrap_or_else(|| format!("Variant{}", i + 1))
                }
            },
        };
        while !taken.insert(name.clone()) {
            name.push('_');
        }
        out.push(name);
    }
    out
}

fn required_of(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn common_word_prefix(names: &[&String]) -> String {
    let split: Vec<Vec<String>> = names
        .iter()
        .map(|n| super::naming::words(n).iter().map(|w| pascal(w)).collect())
        .collect();
    let mut prefix = String::new();
    for i in 0.. {
        let Some(word) = split[0].get(i) else { break };
        if split
            .iter()
            .all(|s| s.len() > i + 1 && s.get(i) == Some(word))
        {
            prefix.push_str(word);
        } else {
            break;
        }
    }
    prefix
}

/// The shape of an untagged branch, to order variants so that each decodes to itself.
#[derive(Debug)]
enum Shape {
    Object {
        required: BTreeSet<String>,
        properties: BTreeSet<String>,
    },
    Integer,
    Number,
    Other,
}

fn shape(schema: &Value) -> Shape {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Shape::Integer,
        Some("number") => Shape::Number,
        Some("object") | None if schema.get("properties").is_some() => Shape::Object {
            required: required_of(schema).into_iter().collect(),
            properties: schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default(),
        },
        _ => Shape::Other,
    }
}

/// Whether a value of shape `b` would also decode as `a` (serde ignores unknown fields).
fn swallows(a: &Shape, b: &Shape) -> bool {
    match (a, b) {
        (Shape::Object { required, .. }, Shape::Object { properties, .. }) => {
            required.is_subset(properties)
        }
        (Shape::Number, Shape::Integer) => true,
        _ => false,
    }
}

/// Orders untagged variants: a variant that would swallow another's values goes after it.
fn order_untagged(variants: &mut [Variant], resolved: &[(&'static str, Value, String)]) {
    let shapes: Vec<Shape> = resolved.iter().map(|r| shape(&r.1)).collect();
    let swallow_count = |i: usize| {
        (0..shapes.len())
            .filter(|&j| j != i && swallows(&shapes[i], &shapes[j]))
            .count()
    };
    variants.sort_by_key(|v| (swallow_count(v.branch), v.branch));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn allowed_paths_from_descriptions() {
        let description = "Array of field paths. Allowed values:\n- `appName` - the display name.\n- `config.content.read.objects.<objectName>` - one object.\n\nReplace it.";
        assert_eq!(
            allowed_paths(description),
            ["appName", "config.content.read.objects.<objectName>"]
        );
        assert_eq!(
            allowed_paths("Allowed values include:\n- name\n- metadata.url\n"),
            ["name", "metadata.url"]
        );
        assert!(allowed_paths("Array of field paths").is_empty());
    }

    #[test]
    fn mask_variants_carry_placeholders() {
        let paths = mask_paths(&[
            "name".into(),
            "config.content.read.objects.<objectName>".into(),
        ]);
        assert_eq!(paths[0].variant, "Name");
        assert_eq!(paths[0].template, "name");
        assert_eq!(paths[1].variant, "ConfigContentReadObjectsObjectName");
        assert_eq!(paths[1].template, "config.content.read.objects.{}");
        assert_eq!(paths[1].placeholder.as_deref(), Some("objectName"));
    }

    #[test]
    fn enum_variants_are_unique_pascal_case() {
        let values = enum_values(&[
            json!("read.backfill.done"),
            json!("oauth2"),
            json!("apiKey"),
            json!("api_key"),
            json!(""),
        ]);
        let names: Vec<&str> = values.iter().map(|v| v.variant.as_str()).collect();
        assert_eq!(
            names,
            ["ReadBackfillDone", "Oauth2", "ApiKey", "ApiKey_", "Empty"]
        );
    }

    #[test]
    fn untagged_order_puts_swallowers_last() {
        let existent =
            json!({"required": ["fieldName"], "properties": {"fieldName": {}, "mapToName": {}}});
        let mapping =
            json!({"required": ["mapToName"], "properties": {"mapToName": {}, "prompt": {}}});
        let resolved = vec![
            ("api", mapping, String::new()),
            ("api", existent, String::new()),
        ];
        let mut variants: Vec<Variant> = (0..2)
            .map(|i| Variant {
                name: format!("V{i}"),
                ty: Ty::Json,
                wire: None,
                branch: i,
            })
            .collect();
        order_untagged(&mut variants, &resolved);
        assert_eq!(
            variants[0].branch, 1,
            "the existent-field branch must be tried first"
        );
    }

    #[test]
    fn bundler_suffixes() {
        assert_eq!(base_name("Integration-2"), "Integration");
        assert_eq!(
            base_name("#/components/schemas/ProviderMetadata-2"),
            "#/components/schemas/ProviderMetadata"
        );
        assert_eq!(base_name("x-go-type"), "x-go-type");
    }
}
