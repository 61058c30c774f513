//! One function per fuzz target. Each takes libFuzzer's bytes, feeds them to the host code
//! under test, and asserts the properties that are cheap to check; any panic (an assertion
//! here, or one in the host code) is a finding.

use serde_json::{Map, Value};

use crate::form::{self, FieldKind, Form, FormulaResult, formula};
use crate::manifest::Manifest;
use crate::package::{self, Package, Signer};
use crate::parts;
use courtyard_domain::markup::{self, Segment};
use courtyard_domain::{message_search, search};

// ---------------------------------------------------------------------------------------
// markup

/// Message bodies: `markup::parse` and `plain_text`.
///
/// Checks: no panic; refused bodies are the documented ones; the segments keep their
/// documented shape (never two texts in a row, never an empty one, mentions listed once each
/// in order, links only to http(s) and mailto); the plain-text rendering is never longer than
/// the body and the JSON clients receive is bounded by a small multiple of it; segments
/// survive a JSON round trip.
pub fn markup(data: &[u8]) {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = match markup::parse(body) {
        Ok(parsed) => parsed,
        Err(markup::MarkupError::TooLong { max_bytes }) => {
            assert!(body.len() > max_bytes);
            return;
        }
        Err(_) => return,
    };
    assert!(body.len() <= courtyard_domain::limits::MAX_MESSAGE_BYTES);
    assert!(!parsed.segments.is_empty(), "a valid body has segments");

    let mut mentions = Vec::new();
    let mut all = false;
    for (i, segment) in parsed.segments.iter().enumerate() {
        match segment {
            Segment::Text { text } => {
                assert!(!text.is_empty(), "empty text segment");
                if i > 0 {
                    assert!(
                        !matches!(parsed.segments[i - 1], Segment::Text { .. }),
                        "two text segments in a row"
                    );
                }
            }
            Segment::Mention { person_id } => {
                if !mentions.contains(person_id) {
                    mentions.push(person_id.clone());
                }
            }
            Segment::MentionAll => all = true,
            Segment::Link { url, text } => {
                let lower = url.to_ascii_lowercase();
                let web = lower.starts_with("http://") || lower.starts_with("https://");
                assert!(
                    web || (text.is_some() && lower.starts_with("mailto:")),
                    "link to a refused scheme: {url:?}"
                );
                assert!(url.len() > "http://".len() || lower.starts_with("mailto:"));
                assert!(
                    !url.chars().any(char::is_whitespace),
                    "whitespace in {url:?}"
                );
                if let Some(text) = text {
                    assert!(!text.trim().is_empty(), "link with blank text");
                }
            }
            Segment::Code { code } => assert!(!code.is_empty(), "empty code span"),
            Segment::CodeBlock { .. } => {}
        }
    }
    assert_eq!(
        parsed.mentions, mentions,
        "mentions are the distinct ones, in order"
    );
    assert_eq!(parsed.mentions_all, all);

    let plain = markup::plain_text(&parsed.segments);
    assert!(
        plain.len() <= body.len(),
        "plain text ({} bytes) longer than the body ({} bytes)",
        plain.len(),
        body.len()
    );

    let json = serde_json::to_string(&parsed.segments).expect("segments serialize");
    // The worst ratios are short constructs: `@all` (4 bytes) is `{"type":"mention_all"}`
    // (22), and `` `x` `` is `{"type":"code","code":"x"}` (26 for 3).
    assert!(
        json.len() <= 10 * body.len() + 64,
        "JSON of {} bytes for a body of {}",
        json.len(),
        body.len()
    );
    let back: Vec<Segment> = serde_json::from_str(&json).expect("segments deserialize");
    assert_eq!(back, parsed.segments);
}

// ---------------------------------------------------------------------------------------
// manifest

/// Plugin manifests (`courtyard.toml`): `Manifest::parse`, then `validate_settings`.
///
/// Input: the manifest, optionally followed by [`crate::PART_SEPARATOR`] and a settings
/// object in JSON.
///
/// Checks: no panic; a manifest that parses survives TOML and JSON round trips (serialized,
/// parsed and validated again, it is the same manifest); settings that validate are a fixed
/// point of validation (validating the output again gives it back) and hold only declared
/// settings.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let [toml_text, settings] = parts::<2>(text);
    let _ = crate::manifest::version_cmp(toml_text, settings);
    let Ok(manifest) = Manifest::parse(toml_text) else {
        return;
    };

    // TOML: what an author would write back. Serialization may fail (a setting's default
    // of JSON null has no TOML form), and may grow past the 64 KiB input limit.
    if let Ok(again) = toml::to_string(&manifest)
        && again.len() <= 64 * 1024
    {
        let back = Manifest::parse(&again)
            .unwrap_or_else(|e| panic!("serialized manifest does not parse: {e}\n{again}"));
        assert_eq!(back, manifest, "TOML round trip changed the manifest");
    }
    // JSON: how the rest of the host could carry it.
    let json = serde_json::to_value(&manifest).expect("manifest serializes to JSON");
    let back: Manifest = serde_json::from_value(json).expect("manifest JSON deserializes");
    back.validate().expect("manifest from JSON validates");
    assert_eq!(back, manifest, "JSON round trip changed the manifest");

    for path in [settings, "", "/", "a/b"] {
        for method in ["GET", "post", settings] {
            let _ = manifest.route(path, method);
        }
    }

    let given = serde_json::from_str::<Value>(settings).unwrap_or(Value::Null);
    for value in [given, Value::Null, Value::Object(Map::new())] {
        let Ok(out) = manifest.validate_settings(&value) else {
            continue;
        };
        let obj = out.as_object().expect("validated settings are an object");
        for key in obj.keys() {
            assert!(
                manifest.settings.iter().any(|s| &s.name == key),
                "undeclared setting {key:?} in the output"
            );
        }
        assert_eq!(
            manifest.validate_settings(&out),
            Ok(out.clone()),
            "validated settings are not a fixed point"
        );
    }
}

// ---------------------------------------------------------------------------------------
// form_schema

/// Form definitions and submissions: `Form::check`, `form::checked` and
/// `validate_submission`.
///
/// Input: a form in JSON, then [`crate::PART_SEPARATOR`], then the submitted values in JSON.
///
/// Checks: no panic, also for forms that fail `check` (the documented promise of
/// `validate_submission`); a form that passes is stored (`checked`) as JSON that reads back
/// to the same form and passes again; a refused submission has 1 to `MAX_ERRORS` errors; an
/// accepted one has only the form's fields, and is a fixed point (submitting the normalised
/// values again gives the same submission).
pub fn form_schema(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let [form_text, values_text] = parts::<2>(text);
    let Ok(form_json) = serde_json::from_str::<Value>(form_text) else {
        return;
    };
    let values = serde_json::from_str::<Value>(values_text).unwrap_or(Value::Null);
    let Ok(form) = serde_json::from_value::<Form>(form_json.clone()) else {
        return;
    };
    let ok = form.check().is_ok();
    // Unchecked forms too: "an unchecked form never makes this panic".
    let result = form::validate_submission(&form, &values);
    if !ok {
        return;
    }
    let stored = form::checked(form_json).expect("a form that checks is `checked`");
    stored_form_reads_back(&stored, &form);
    submission_properties(&form, &values, result);
}

/// A stored (checked) form is what the host reads back on every submission.
fn stored_form_reads_back(stored: &Value, form: &Form) {
    let again: Form = serde_json::from_value(stored.clone()).expect("a stored form reads back");
    assert_eq!(&again, form, "storing changed the form");
    again.check().expect("a stored form checks again");
    assert_eq!(
        &serde_json::to_value(&again).expect("form serializes"),
        stored,
        "the stored JSON is not a fixed point"
    );
}

fn submission_properties(
    form: &Form,
    values: &Value,
    result: Result<form::Submission, Vec<form::FieldError>>,
) {
    match result {
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without an error");
            assert!(errors.len() <= form::MAX_ERRORS, "{} errors", errors.len());
        }
        Ok(submission) => {
            let out = submission
                .values
                .as_object()
                .expect("submitted values are an object");
            for key in out.keys() {
                assert!(
                    form.fields.iter().any(|f| &f.name == key),
                    "{key:?} is not a field of the form"
                );
            }
            let again = form::validate_submission(form, &submission.values).unwrap_or_else(|e| {
                panic!(
                    "normalised values refused: {e:?}\nsubmitted: {values}\nnormalised: {}",
                    submission.values
                )
            });
            assert_eq!(again, submission, "normalising is not idempotent");
        }
    }
}

// ---------------------------------------------------------------------------------------
// formula

/// The formula language of form fields: `formula::parse`, the canonical printing,
/// `evaluate` and `compute`.
///
/// Input: an expression, optionally followed by [`crate::PART_SEPARATOR`] and the values it
/// sees (a JSON object).
///
/// Checks: no panic; errors point inside the expression (1 to length + 1); the canonical text
/// parses back to the same expression (when it fits in `MAX_LEN`); evaluation never yields a
/// value that is not finite; results are `null`, a number, or money text `-?[0-9]+\.[0-9]{2}`.
pub fn formula(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let [src, values_text] = parts::<2>(text);
    let expr = match formula::parse(src) {
        Err(e) => {
            let len = src.chars().count();
            assert!(
                e.position >= 1 && e.position <= len.min(formula::MAX_LEN) + 1,
                "error position {} for an expression of {len} characters",
                e.position
            );
            assert!(!e.message_en().is_empty() && !e.message_zh().is_empty());
            return;
        }
        Ok(expr) => expr,
    };
    let printed = expr.to_string();
    if printed.chars().count() <= formula::MAX_LEN {
        let back = formula::parse(&printed)
            .unwrap_or_else(|e| panic!("canonical text {printed:?} does not parse: {e}"));
        assert_eq!(back, expr, "canonical text {printed:?} parses differently");
    }
    let _ = expr.references();
    let values = match serde_json::from_str::<Value>(values_text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(x) = formula::evaluate(&expr, &values) {
        assert!(x.is_finite(), "evaluated to {x}");
    }
    match formula::compute(&expr, FormulaResult::Number, &values) {
        Value::Null | Value::Number(_) => {}
        other => panic!("a number formula gave {other}"),
    }
    match formula::compute(&expr, FormulaResult::Money, &values) {
        Value::Null => {}
        Value::String(s) => assert!(is_money(&s), "money formula gave {s:?}"),
        other => panic!("a money formula gave {other}"),
    }
}

fn is_money(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let Some((int, frac)) = digits.split_once('.') else {
        return false;
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() == 2
        && frac.bytes().all(|b| b.is_ascii_digit())
        && s != "-0.00"
}

// ---------------------------------------------------------------------------------------
// package_read

/// A fixed key for signing in the target (the seed of an ed25519 key: not a secret).
const TEST_SEED: [u8; 32] = [7; 32];

/// Plugin package files (`.cyplugin`, a ZIP, untrusted upload): `Package::read`.
///
/// Inputs starting with `PK` (every ZIP, and the seeds) are read as they are. Any other
/// input describes a package (with `arbitrary`): it is written, optionally signed and then
/// damaged by one flipped byte, and read; mutated ZIPs mostly fail their CRC checks, so this
/// is how the fuzzer reaches the signed path and the reader's checks on well-formed archives.
///
/// Checks: no panic, no unbounded allocation (libFuzzer's `-rss_limit_mb`); what a read
/// returns respects the package limits; a package that reads back is written
/// (`Package::write`) to bytes that read back to the same package and signer, and writing
/// is deterministic; signed with a key, it verifies as that key, and changing a signed entry
/// makes it fail with `BadSignature`; a written package reads back as itself, and a signed
/// one that still reads after a flipped byte has the same entries and key.
pub fn package_read(data: &[u8]) {
    if !data.starts_with(b"PK") {
        if let Ok(spec) = arbitrary::Unstructured::new(data).arbitrary::<PackageSpec>() {
            written_package(spec);
        }
        return;
    }
    let _ = read_package(data);
}

/// A package, as the structured mode of [`package_read`] builds it.
#[derive(arbitrary::Arbitrary, Debug)]
struct PackageSpec {
    manifest: String,
    component: Vec<u8>,
    en: String,
    zh: String,
    icon: Option<Vec<u8>>,
    screenshots: Vec<Vec<u8>>,
    signed: Option<String>,
    /// Flip `.1` into the byte at `.0` (modulo the length) of the written file.
    damage: Option<(u16, u8)>,
}

fn written_package(spec: PackageSpec) {
    let png = |b: Vec<u8>| [b"\x89PNG\r\n\x1a\n".as_slice(), &b].concat();
    let mut pkg = Package {
        manifest: spec.manifest,
        component: spec.component,
        descriptions: [("en".to_owned(), spec.en), ("zh-CN".to_owned(), spec.zh)].into(),
        icon: spec.icon.map(png),
        screenshots: spec
            .screenshots
            .into_iter()
            .take(package::MAX_SCREENSHOTS)
            .map(png)
            .collect(),
        signature: None,
    };
    let key = ed25519_dalek::SigningKey::from_bytes(&TEST_SEED);
    if let Some(publisher) = &spec.signed {
        // `sign` refuses names `read` would refuse (found by this target: a long name once
        // made a signature.json over the 4 KiB `read` accepts; the input is kept in
        // fuzz/regressions/package_read/). A refused name leaves the package unsigned.
        if pkg.sign(publisher, &key).is_err() {
            assert!(pkg.signature.is_none());
        }
    }
    let mut bytes = pkg.write();
    let (back, signer) = Package::read(&bytes)
        .unwrap_or_else(|e| panic!("a written package does not read back: {e}"));
    assert_eq!(back, pkg, "write/read changed the package");
    assert_eq!(
        matches!(signer, Signer::Signed { .. }),
        pkg.signature.is_some()
    );
    let Some((at, flip)) = spec.damage.filter(|d| d.1 != 0) else {
        return;
    };
    let at = usize::from(at) % bytes.len();
    bytes[at] ^= flip;
    if let Ok((damaged, signer)) = read_package(&bytes)
        && spec.signed.is_some()
        && let Signer::Signed { key: k, .. } = signer
    {
        assert_eq!(k, package::format_key(&key.verifying_key()));
        let entries = |p: &Package| {
            (
                p.manifest.clone(),
                p.component.clone(),
                p.descriptions.clone(),
                p.icon.clone(),
                p.screenshots.clone(),
            )
        };
        assert_eq!(
            entries(&damaged),
            entries(&pkg),
            "a damaged package still verifies with other entries (byte {at} ^ {flip:#04x})"
        );
    }
}

/// Reads a package file; on success checks the properties above and returns what it read.
fn read_package(data: &[u8]) -> Result<(Package, Signer), package::PackageError> {
    let (pkg, signer) = Package::read(data)?;
    assert!(pkg.manifest.len() as u64 <= package::MAX_TEXT_BYTES);
    assert!(pkg.component.len() as u64 <= package::MAX_COMPONENT_BYTES);
    assert!(
        pkg.icon
            .as_ref()
            .is_none_or(|i| i.len() as u64 <= package::MAX_ICON_BYTES)
    );
    assert!(pkg.screenshots.len() <= package::MAX_SCREENSHOTS);
    assert_eq!(pkg.descriptions.len(), package::DESCRIPTIONS.len());
    assert_eq!(matches!(signer, Signer::Unsigned), pkg.signature.is_none());

    let bytes = pkg.write();
    let (again, signer_again) = Package::read(&bytes)
        .unwrap_or_else(|e| panic!("a package that was read does not read back: {e}"));
    assert_eq!(again, pkg, "write/read changed the package");
    assert_eq!(signer_again, signer, "write/read changed the signer");
    assert_eq!(again.write(), bytes, "writing is not deterministic");

    // The signed path, on whatever content the fuzzer found.
    let key = ed25519_dalek::SigningKey::from_bytes(&TEST_SEED);
    let mut signed = pkg.clone();
    signed.sign("fuzz", &key).expect("a valid publisher name");
    let (read, signer) = Package::read(&signed.write()).expect("a signed package reads back");
    assert_eq!(read, signed);
    assert_eq!(
        signer,
        Signer::Signed {
            publisher: "fuzz".into(),
            key: package::format_key(&key.verifying_key()),
        }
    );
    let mut tampered = signed;
    tampered.manifest.push(' ');
    assert_eq!(
        Package::read(&tampered.write()),
        Err(package::PackageError::BadSignature),
        "a changed manifest still verifies"
    );
    Ok((pkg, signer_again))
}

// ---------------------------------------------------------------------------------------
// search_query

/// Search: message search queries (`message_search::Query::parse`, its SQL renderings,
/// `snippet`, `index_terms`) and the people directory's keys (`search::normalize_query`,
/// `index_text`, `like_pattern(s)`, `rank`).
///
/// Input: up to six parts separated by [`crate::PART_SEPARATOR`]: a query, a message text,
/// and a person's display name, title, department and email.
///
/// Checks: no panic; query terms are 1 to `MAX_QUERY_TERMS` distinct runs of letters and
/// digits of at most `MAX_TERM_CHARS` (so the quoting in `fts5`/`tsquery` cannot be broken
/// out of); index terms likewise; snippets are at most `SNIPPET_CHARS` plus two ellipses;
/// normalised directory queries are idempotent, hold no whitespace, control character or key
/// separator; `LIKE` patterns escape every wildcard; `rank` is consistent with `matches`, and
/// a person's own name ranks them first.
pub fn search_query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let [q, message, name, title, department, email] = parts::<6>(text);

    // Message search.
    if let Ok(query) = message_search::Query::parse(q) {
        let terms = query.terms();
        assert!((1..=message_search::MAX_QUERY_TERMS).contains(&terms.len()));
        for (i, t) in terms.iter().enumerate() {
            assert!(is_term(t), "query term {t:?}");
            assert!(!terms[..i].contains(t), "duplicate term {t:?}");
        }
        for rendered in [query.fts5(), query.tsquery()] {
            assert!(!rendered.is_empty());
        }
        let parts = message_search::snippet(message, &query);
        let chars: usize = parts.iter().map(|p| p.text.chars().count()).sum();
        assert!(
            chars <= message_search::SNIPPET_CHARS + 2,
            "snippet of {chars} characters"
        );
        for pair in parts.windows(2) {
            assert_ne!(
                pair[0].hit, pair[1].hit,
                "adjacent snippet parts not merged"
            );
        }
        assert!(parts.iter().all(|p| !p.text.is_empty()));
    }
    let index = message_search::index_terms(message);
    if !index.is_empty() {
        let mut seen = std::collections::HashSet::new();
        for t in index.split(' ') {
            assert!(is_term(t), "index term {t:?}");
            assert!(seen.insert(t), "duplicate index term {t:?}");
        }
    }

    // People directory.
    let keys = search::index_text(name, title, department, email);
    if let Some(nq) = search::normalize_query(q) {
        normalized_query_properties(&nq);
        let rank = search::rank(name, &keys, &nq);
        assert!(rank <= 4);
        assert_eq!(
            rank < 4,
            search::matches(&keys, &nq),
            "rank {rank} disagrees with matches for {nq:?} in {keys:?}"
        );
    }
    if let Some(own) = search::normalize_query(name) {
        assert_eq!(
            search::rank(name, &keys, &own),
            0,
            "own name {own:?} not ranked first"
        );
        assert!(search::matches(&keys, &own));
    }
}

fn is_term(t: &str) -> bool {
    !t.is_empty()
        && t.chars().count() <= message_search::MAX_TERM_CHARS
        && t.chars().all(char::is_alphanumeric)
}

fn normalized_query_properties(nq: &str) {
    let n = nq.chars().count();
    assert!((1..=search::MAX_QUERY_CHARS).contains(&n));
    assert!(
        !nq.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{nq:?} holds whitespace or a control character"
    );
    assert!(!nq.contains(search::KEY_SEPARATOR));
    assert_eq!(
        search::normalize_query(nq).as_deref(),
        Some(nq),
        "normalising is not idempotent"
    );
    let pattern = search::like_pattern(nq);
    assert_eq!(
        unescape_like(&pattern),
        Some(nq.to_owned()),
        "pattern {pattern:?}"
    );
    let p = search::like_patterns(nq);
    assert_eq!(p.contains, pattern);
    for pattern in [&p.exact_key, &p.key_prefix, &p.word_prefix] {
        assert!(pattern.starts_with('%') && pattern.ends_with('%'));
    }
}

/// The query inside a `%…%` pattern, if every `\`, `%` and `_` inside is escaped.
fn unescape_like(pattern: &str) -> Option<String> {
    let inner = pattern.strip_prefix('%')?.strip_suffix('%')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().filter(|c| matches!(c, '\\' | '%' | '_'))?),
            '%' | '_' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Shared by form_schema and plugin_boundary.

/// Kinds in the order the contract (`wit/`) lists them.
pub const KINDS: [FieldKind; 17] = [
    FieldKind::Text,
    FieldKind::Textarea,
    FieldKind::Number,
    FieldKind::Money,
    FieldKind::Date,
    FieldKind::DateRange,
    FieldKind::Datetime,
    FieldKind::Select,
    FieldKind::MultiSelect,
    FieldKind::Person,
    FieldKind::People,
    FieldKind::Group,
    FieldKind::File,
    FieldKind::Checkbox,
    FieldKind::Table,
    FieldKind::Department,
    FieldKind::Formula,
];

pub(crate) fn check_submission(
    form: &Form,
    values: &Value,
    result: Result<form::Submission, Vec<form::FieldError>>,
) {
    submission_properties(form, values, result);
}

pub(crate) fn check_stored_form(stored: &Value, form: &Form) {
    stored_form_reads_back(stored, form);
}
