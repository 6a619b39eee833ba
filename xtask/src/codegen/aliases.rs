//! Where the service answers differently from the spec: extra wire names a generated type
//! also accepts when it decodes.
//!
//! The spec is the contract, but a few responses are known to differ from it (the docs or the
//! service itself show another spelling). Rather than hand-editing generated code, each case
//! is one line in a table below, with the reason:
//!
//! - [`PROPERTY_ALIASES`]: a struct property that also decodes from other JSON names
//!   (`#[serde(alias = "...")]`). The spec's name stays the one the SDK sends.
//! - [`ENUM_VALUES`]: a string enum that also knows values the spec does not list, each as a
//!   variant of its own (the spec's values stay first).
//!
//! Entries name the generated Rust type and the property or value on the wire. [`apply`]
//! runs after the model is built and fails the generation when an entry no longer matches
//! (the type or property is gone, or the spec now lists the value), so a fixed spec makes
//! its entry stale instead of silently dead.

use super::model::{EnumValue, Kind, Model, TypeDef};
use super::naming::pascal;

/// A property that also accepts other JSON names on decode.
#[derive(Debug, Clone, Copy)]
pub struct PropertyAlias {
    /// The generated struct, e.g. `SearchResponse`.
    pub ty: &'static str,
    /// The property as the spec names it on the wire.
    pub property: &'static str,
    /// The other names it decodes from.
    pub also: &'static [&'static str],
    /// Why (kept beside the entry for review; not rendered).
    pub why: &'static str,
}

/// A string enum value the spec does not list.
#[derive(Debug, Clone, Copy)]
pub struct EnumValueAlias {
    /// The generated enum, e.g. `JwtKeyAlgorithm`.
    pub ty: &'static str,
    /// The values to add, as they appear on the wire.
    pub also: &'static [&'static str],
    /// Why (kept beside the entry for review; not rendered).
    pub why: &'static str,
}

/// Properties that also decode from other names.
pub const PROPERTY_ALIASES: &[PropertyAlias] = &[PropertyAlias {
    ty: "SearchResponse",
    property: "result",
    also: &["results"],
    why: "search.yaml names the list `result`; Ampersand's docs show responses with `results`",
}];

/// String enums that also know values the spec does not list.
pub const ENUM_VALUES: &[EnumValueAlias] = &[EnumValueAlias {
    ty: "JwtKeyAlgorithm",
    also: &["RS256"],
    why: "createJwtKey's request schema says `RS256`, the JWTKey response schema says `RSA`; \
          the SDK sends `RS256`, so a key read back may say either",
}];

/// Applies both tables to the model; an entry that matches nothing is an error.
pub fn apply(model: &mut Model) -> Result<(), String> {
    apply_to(&mut model.types, PROPERTY_ALIASES, ENUM_VALUES)
}

fn apply_to(
    types: &mut [TypeDef],
    properties: &[PropertyAlias],
    enums: &[EnumValueAlias],
) -> Result<(), String> {
    for alias in properties {
        let def = types
            .iter_mut()
            .find(|t| t.name == alias.ty)
            .ok_or_else(|| format!("aliases: no generated type `{}`", alias.ty))?;
        let Kind::Struct(s) = &mut def.kind else {
            return Err(format!("aliases: `{}` is not a struct", alias.ty));
        };
        let field = s
            .fields
            .iter_mut()
            .find(|f| f.wire == alias.property)
            .ok_or_else(|| {
                format!(
                    "aliases: `{}` has no property `{}`",
                    alias.ty, alias.property
                )
            })?;
        for name in alias.also {
            field.aliases.push((*name).to_owned());
        }
    }
    for extra in enums {
        let def = types
            .iter_mut()
            .find(|t| t.name == extra.ty)
            .ok_or_else(|| format!("aliases: no generated type `{}`", extra.ty))?;
        let Kind::StringEnum(values) = &mut def.kind else {
            return Err(format!("aliases: `{}` is not a string enum", extra.ty));
        };
        for wire in extra.also {
            if values.iter().any(|v| v.wire == *wire) {
                return Err(format!(
                    "aliases: the spec now lists `{wire}` in `{}`; remove the entry",
                    extra.ty
                ));
            }
            let variant = pascal(wire);
            if values.iter().any(|v| v.variant == variant) {
                return Err(format!(
                    "aliases: `{wire}` would be variant `{variant}` of `{}`, which exists",
                    extra.ty
                ));
            }
            values.push(EnumValue {
                wire: (*wire).to_owned(),
                variant,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::model::{Field, Struct, Ty};

    fn def(name: &str, kind: Kind) -> TypeDef {
        TypeDef {
            name: name.to_owned(),
            module: "search".to_owned(),
            description: None,
            example: None,
            kind,
            origins: Vec::new(),
            default: false,
        }
    }

    fn types() -> Vec<TypeDef> {
        let field = Field {
            wire: "result".to_owned(),
            name: "result".to_owned(),
            ty: Ty::Json,
            required: false,
            description: None,
            example: None,
            default: None,
            boxed: false,
            required_rank: usize::MAX,
            aliases: Vec::new(),
        };
        let values = vec![EnumValue {
            wire: "RSA".to_owned(),
            variant: "Rsa".to_owned(),
        }];
        vec![
            def(
                "SearchResponse",
                Kind::Struct(Struct {
                    fields: vec![field],
                    additional: None,
                }),
            ),
            def("JwtKeyAlgorithm", Kind::StringEnum(values)),
        ]
    }

    #[test]
    fn the_tables_add_aliases_and_values() {
        let mut types = types();
        apply_to(&mut types, PROPERTY_ALIASES, ENUM_VALUES).unwrap();
        let Kind::Struct(s) = &types[0].kind else {
            unreachable!()
        };
        assert_eq!(s.fields[0].aliases, ["results"]);
        let Kind::StringEnum(values) = &types[1].kind else {
            unreachable!()
        };
        let wires: Vec<(&str, &str)> = values
            .iter()
            .map(|v| (v.wire.as_str(), v.variant.as_str()))
            .collect();
        assert_eq!(wires, [("RSA", "Rsa"), ("RS256", "Rs256")]);
    }

    #[test]
    fn an_entry_that_matches_nothing_fails_the_generation() {
        let gone = [PropertyAlias {
            ty: "SearchResponse",
            property: "records",
            also: &["items"],
            why: "test",
        }];
        let error = apply_to(&mut types(), &gone, &[]).unwrap_err();
        assert!(error.contains("no property `records`"), "{error}");

        let listed = [EnumValueAlias {
            ty: "JwtKeyAlgorithm",
            also: &["RSA"],
            why: "test",
        }];
        let error = apply_to(&mut types(), &[], &listed).unwrap_err();
        assert!(error.contains("the spec now lists `RSA`"), "{error}");

        let missing = [EnumValueAlias {
            ty: "NoSuchEnum",
            also: &["X"],
            why: "test",
        }];
        assert!(apply_to(&mut types(), &[], &missing).is_err());
    }
}
