//! Naming rules: how spec names become Rust names, and how spec prose becomes rustdoc.

/// Splits an identifier or phrase into lowercase words.
///
/// Word boundaries are non-alphanumeric characters, lower-to-upper transitions (`groupRef`),
/// the end of an acronym (`JWTKey` -> `jwt`, `key`) and letter-to-digit transitions are kept
/// together (`oauth2` stays one word).
pub fn words(input: &str) -> Vec<String> {
    let chars: Vec<char> = input.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower && current.len() > 1);
            if boundary {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `PascalCase`: `getProject` -> `GetProject`, `JWTKey` -> `JwtKey`.
pub fn pascal(input: &str) -> String {
    let out: String = words(input).iter().map(|w| capitalize(w)).collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{out}")
    } else {
        out
    }
}

/// `snake_case`: `projectIdOrName` -> `project_id_or_name`; keywords are avoided.
pub fn snake(input: &str) -> String {
    let out = words(input).join("_");
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{out}")
    } else {
        out
    };
    field_ident(&out)
}

/// A field or method name that is never a keyword: `type` becomes `kind`, other keywords
/// take the raw form.
pub fn field_ident(name: &str) -> String {
    match name {
        "type" => "kind".to_owned(),
        "self" | "super" | "crate" | "Self" => format!("{name}_"),
        _ if KEYWORDS.contains(&name) => format!("r#{name}"),
        _ => name.to_owned(),
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "trait", "true", "try", "unsafe", "use", "where",
    "while", "yield", "abstract", "become", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual",
];

/// The singular of an English plural, good enough for property names: `entries` -> `entry`,
/// `addresses` -> `address`, `fields` -> `field`.
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if word.ends_with("sses") || word.ends_with("xes") {
        word[..word.len() - 2].to_owned()
    } else if word.ends_with("ss") || word.ends_with("us") {
        word.to_owned()
    } else if let Some(stem) = word.strip_suffix('s') {
        stem.to_owned()
    } else {
        word.to_owned()
    }
}

/// The accessor method of an operation within its tag: the tag's noun is dropped when it is
/// the operation's object (`listProjects` -> `list`, `createOrgInvite` -> `create_invite`,
/// `oauthConnect` -> `connect`), otherwise the whole operationId is kept in snake case
/// (`getHydratedRevision` -> `get_hydrated_revision`).
pub fn method_name(operation_id: &str, tag: &str) -> String {
    let op: Vec<String> = words(operation_id);
    let noun: Vec<String> = words(tag).iter().map(|w| singular(w)).collect();
    let matches_at = |at: usize| {
        op.len() > at + noun.len() - 1
            && noun.len() < op.len()
            && noun
                .iter()
                .enumerate()
                .all(|(i, n)| singular(&op[at + i]) == *n)
    };
    let kept: Vec<String> = if !noun.is_empty() && matches_at(1) {
        op[..1]
            .iter()
            .chain(&op[1 + noun.len()..])
            .cloned()
            .collect()
    } else if !noun.is_empty() && matches_at(0) {
        op[noun.len()..].to_vec()
    } else {
        op
    };
    field_ident(&kept.join("_"))
}

/// Turns spec prose (CommonMark written for a docs site) into rustdoc that does not warn:
/// bare URLs are wrapped in `<>`, stray `[`/`]` and `<`/`>` outside code spans and links are
/// escaped, indented blocks are flattened (rustdoc would compile them as Rust), and fenced blocks
/// without a language are marked `text`.
pub fn doc_text(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.trim().lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            if in_fence {
                out.push("```".to_owned());
            } else if trimmed == "```" {
                out.push("```text".to_owned());
            } else {
                out.push(trimmed.to_owned());
            }
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(line.trim_end().to_owned());
        } else {
            out.push(escape_line(trimmed));
        }
    }
    if in_fence {
        out.push("```".to_owned());
    }
    out.join("\n")
}

fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while !rest.is_empty() {
        // Code spans pass through untouched.
        if let Some(after) = rest.strip_prefix('`') {
            if let Some(end) = after.find('`') {
                out.push('`');
                out.push_str(&after[..=end]);
                rest = &after[end + 1..];
                continue;
            }
            out.push_str("\\`");
            rest = after;
            continue;
        }
        // Markdown links `[text](target)` stay links.
        if rest.starts_with('[')
            && let Some(close) = rest.find("](")
            && let Some(end) = rest[close..].find(')')
        {
            let label = &rest[1..close];
            let target = &rest[close + 2..close + end];
            if !label.contains('[') && !target.contains(' ') && !target.is_empty() {
                out.push('[');
                out.push_str(&escape_plain(label));
                out.push_str("](");
                out.push_str(target);
                out.push(')');
                rest = &rest[close + end + 1..];
                continue;
            }
        }
        if rest.starts_with("https://") || rest.starts_with("http://") {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ')' || c == '"' || c == '\'')
                .unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':']);
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[url.len()..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push_str(&escape_plain(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn escape_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders text as `///` doc comment lines at the given indentation.
pub fn doc_comment(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(&format!("{indent}///\n"));
        } else {
            out.push_str(&format!("{indent}/// {line}\n"));
        }
    }
    out
}

/// A Rust string literal for `value`.
pub fn string_literal(value: &str) -> String {
    format!("{value:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words() {
        let cases: &[(&str, &[&str])] = &[
            ("getProject", &["get", "project"]),
            ("JWTKey", &["jwt", "key"]),
            ("OAuth", &["oauth"]),
            ("createJWTKey", &["create", "jwt", "key"]),
            (
                "oauth2ClientCredentials",
                &["oauth2", "client", "credentials"],
            ),
            ("Provider App", &["provider", "app"]),
            ("read.backfill.done", &["read", "backfill", "done"]),
            ("HUBSPOT_DEFINED", &["hubspot", "defined"]),
            ("Objects & Fields", &["objects", "fields"]),
            ("operation_id", &["operation", "id"]),
        ];
        for (input, want) in cases {
            assert_eq!(words(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn cases() {
        assert_eq!(pascal("getProject"), "GetProject");
        assert_eq!(pascal("listJWTKeys"), "ListJwtKeys");
        assert_eq!(pascal("Integration-2"), "Integration2");
        assert_eq!(pascal("3xx"), "V3xx");
        assert_eq!(snake("projectIdOrName"), "project_id_or_name");
        assert_eq!(snake("type"), "kind");
        assert_eq!(snake("ref"), "r#ref");
        assert_eq!(snake("in"), "r#in");
    }

    #[test]
    fn singulars() {
        for (plural, want) in [
            ("entries", "entry"),
            ("fields", "field"),
            ("addresses", "address"),
            ("status", "status"),
            ("data", "data"),
        ] {
            assert_eq!(singular(plural), want);
        }
    }

    #[test]
    fn method_names_drop_the_tag_noun() {
        let cases = [
            ("listProjects", "Project", "list"),
            ("getProject", "Project", "get"),
            ("createOrgInvite", "Org", "create_invite"),
            ("addUserToOrg", "Org", "add_user_to_org"),
            ("oauthConnect", "OAuth", "connect"),
            ("getHydratedRevision", "Revision", "get_hydrated_revision"),
            ("listApiKeys", "API Key", "list"),
            ("createJWTKey", "JWT Key", "create"),
            (
                "createBillingAccountSession",
                "Billing Account",
                "create_session",
            ),
            (
                "listInstallationsForProject",
                "Installation",
                "list_for_project",
            ),
            ("triggerRead", "Read", "trigger"),
            ("writeRecords", "Write", "records"),
            (
                "getObjectMetadataForConnection",
                "Objects & Fields",
                "get_object_metadata_for_connection",
            ),
            ("generateUploadUrl", "Upload URL", "generate"),
        ];
        for (op, tag, want) in cases {
            assert_eq!(method_name(op, tag), want, "{op} in {tag}");
        }
    }

    #[test]
    fn docs_do_not_trip_rustdoc() {
        assert_eq!(
            doc_text("See https://example.com/x. Or [the docs](https://d.com/a)."),
            "See <https://example.com/x>. Or [the docs](https://d.com/a)."
        );
        assert_eq!(
            doc_text("objects.<objectName> and [x] but `a.<b>[0]`"),
            "objects.&lt;objectName&gt; and \\[x\\] but `a.<b>[0]`"
        );
        assert_eq!(
            doc_text("a\n    indented\n```\ncode\n```"),
            "a\nindented\n```text\ncode\n```"
        );
    }
}
