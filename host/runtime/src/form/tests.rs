use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn form(fields: Value) -> Form {
    let form: Form = serde_json::from_value(json!({
        "id": "expense", "title": "Expense", "submit_label": "Submit", "value": "v1",
        "fields": fields,
    }))
    .expect("form JSON");
    form.check().expect("form checks");
    form
}

fn one(field: Value) -> Form {
    form(json!([field]))
}

fn ok(form: &Form, values: Value) -> Submission {
    validate_submission(form, &values).unwrap_or_else(|e| panic!("{values} refused: {e:?}"))
}

/// The single error a submission gets, as (path, code).
fn err(form: &Form, values: Value) -> (String, &'static str) {
    let errors = validate_submission(form, &values).expect_err("should be refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    (errors[0].field.clone(), errors[0].code)
}

fn code(form: &Form, values: Value) -> &'static str {
    err(form, values).1
}

fn schema_err(fields: Value) -> String {
    let form: Form = serde_json::from_value(json!({"id": "f", "title": "T", "fields": fields}))
        .expect("form JSON");
    form.check().expect_err("schema should be refused")
}

#[test]
fn json_form_round_trips_with_every_key() {
    let input =
        json!({"id": "f", "title": "T", "fields": [{"name": "a", "label": "A", "kind": "text"}]});
    let out = checked(input).unwrap();
    let field = &out["fields"][0];
    for key in [
        "required",
        "min",
        "max",
        "pattern",
        "pattern_message",
        "options",
        "placeholder",
        "help",
        "default",
        "visible_when",
        "columns",
        "read_only",
        "formula",
    ] {
        assert!(field.get(key).is_some(), "{key} missing");
    }
    assert_eq!(out["submit_label"], "");
    let form: Form = serde_json::from_value(out.clone()).unwrap();
    assert_eq!(serde_json::to_value(&form).unwrap(), out);
    assert!(checked(json!({"id": "f", "title": "T", "fields": [{"name": "a", "label": "A", "kind": "slider"}]})).is_err());
}

#[test]
fn text_is_trimmed_bounded_and_matched() {
    let f = one(
        json!({"name": "code", "label": "Code", "kind": "text", "required": true,
        "min": 3, "max": 5, "pattern": "[A-Z]+\\d*", "pattern_message": "Use capitals then digits"}),
    );
    assert_eq!(
        ok(&f, json!({"code": "  AB1 "})).values,
        json!({"code": "AB1"})
    );
    assert_eq!(code(&f, json!({"code": "   "})), "required");
    assert_eq!(code(&f, json!({})), "required");
    assert_eq!(code(&f, json!({"code": "AB"})), "too_short");
    assert_eq!(code(&f, json!({"code": "ABCDEF"})), "too_long");
    assert_eq!(code(&f, json!({"code": 123})), "type");
    assert_eq!(code(&f, json!({"code": "A\nB"})), "type");
    // The pattern must match the whole text, not a part of it.
    let errors = validate_submission(&f, &json!({"code": "ab1AB"})).unwrap_err();
    assert_eq!(errors[0].code, "pattern");
    assert_eq!(errors[0].message_en, "Use capitals then digits");
    assert_eq!(errors[0].message_zh, "Use capitals then digits");
    assert_eq!(code(&f, json!({"code": "AB1x"})), "pattern");
}

#[test]
fn text_has_a_default_cap_and_textarea_keeps_lines() {
    let f = form(json!([
        {"name": "t", "label": "T", "kind": "text"},
        {"name": "body", "label": "Body", "kind": "textarea"},
    ]));
    assert_eq!(code(&f, json!({"t": "x".repeat(MAX_TEXT + 1)})), "too_long");
    ok(&f, json!({"t": "x".repeat(MAX_TEXT)}));
    let s = ok(&f, json!({"body": "line 1\r\n\tline 2\n"}));
    assert_eq!(s.values, json!({"t": null, "body": "line 1\r\n\tline 2"}));
    assert_eq!(code(&f, json!({"body": "nul \u{0} byte"})), "type");
    assert_eq!(
        code(&f, json!({"body": "x".repeat(MAX_TEXTAREA + 1)})),
        "too_long"
    );
    assert!(
        schema_err(json!([{"name": "t", "label": "T", "kind": "text", "max": 5000}]))
            .contains("1000")
    );
}

#[test]
fn numbers() {
    let f = one(json!({"name": "n", "label": "Count", "kind": "number", "min": -1, "max": 10.5}));
    assert_eq!(ok(&f, json!({"n": 3})).values, json!({"n": 3}));
    assert_eq!(ok(&f, json!({"n": " 4 "})).values, json!({"n": 4}));
    assert_eq!(ok(&f, json!({"n": "2.25"})).values, json!({"n": 2.25}));
    assert_eq!(ok(&f, json!({"n": 10.5})).values, json!({"n": 10.5}));
    assert_eq!(ok(&f, json!({"n": ""})).values, json!({"n": null}));
    assert_eq!(code(&f, json!({"n": 10.6})), "too_large");
    assert_eq!(code(&f, json!({"n": -2})), "too_small");
    for bad in [
        json!("NaN"),
        json!("inf"),
        json!("1e400"),
        json!("twelve"),
        json!(true),
        json!([1]),
    ] {
        assert_eq!(code(&f, json!({"n": bad})), "type", "{bad}");
    }
    let e = &validate_submission(&f, &json!({"n": 11})).unwrap_err()[0];
    assert_eq!(e.message_en, "Count must be at most 10.5");
    assert_eq!(e.message_zh, "Count不能大于 10.5");
}

#[test]
fn money_is_exact_and_normalised() {
    let f = one(
        json!({"name": "amount", "label": "Amount", "kind": "money", "required": true,
        "min": 0, "max": 100000}),
    );
    for (input, normal) in [
        (json!("1234.5"), "1234.50"),
        (json!(" 0012 "), "12.00"),
        (json!("100000.00"), "100000.00"),
        (json!(12.25), "12.25"),
        (json!(7), "7.00"),
        (json!("0.1"), "0.10"),
        (json!("-0"), "0.00"),
    ] {
        assert_eq!(
            ok(&f, json!({"amount": input})).values["amount"],
            normal,
            "{input}"
        );
    }
    assert_eq!(code(&f, json!({"amount": "100000.01"})), "too_large");
    assert_eq!(code(&f, json!({"amount": "-0.01"})), "too_small");
    assert_eq!(code(&f, json!({"amount": "1.005"})), "type");
    assert_eq!(code(&f, json!({"amount": 0.1 + 0.2})), "type");
    for bad in [
        "1e3", "1,000", "$5", "1.", ".5", "+5", "--1", "1.2.3", "abc",
    ] {
        assert_eq!(code(&f, json!({"amount": bad})), "type", "{bad}");
    }
    assert_eq!(code(&f, json!({"amount": "1234567890123456"})), "too_large");
    assert_eq!(code(&f, json!({"amount": 1e300})), "too_large");
    let e = &validate_submission(&f, &json!({"amount": "200000"})).unwrap_err()[0];
    assert_eq!(e.message_en, "Amount must be at most 100000");
    assert_eq!(e.message_zh, "Amount不能大于 100000");

    // Fifteen integer digits are exact where a float would not be: as f64, the amount just
    // over the bound equals it.
    let big = one(json!({"name": "m", "label": "M", "kind": "money", "max": 999999999999999_u64}));
    assert_eq!(
        ok(&big, json!({"m": "999999999999999"})).values["m"],
        "999999999999999.00"
    );
    assert_eq!(code(&big, json!({"m": "999999999999999.01"})), "too_large");
    assert_eq!(
        ok(&big, json!({"m": "-999999999999999.99"})).values["m"],
        "-999999999999999.99"
    );
    // Bounds come as f64; one no float can hold exactly is refused, not rounded.
    assert!(
        schema_err(
            json!([{"name": "m", "label": "M", "kind": "money", "max": 999999999999999.99}])
        )
        .contains("max")
    );
    let tight = one(json!({"name": "m", "label": "M", "kind": "money", "min": 0.1}));
    assert_eq!(code(&tight, json!({"m": "0.09"})), "too_small");
    ok(&tight, json!({"m": "0.10"}));
    assert!(
        schema_err(json!([{"name": "m", "label": "M", "kind": "money", "max": 0.001}]))
            .contains("max")
    );
}

#[test]
fn dates_and_times() {
    let f = form(json!([
        {"name": "d", "label": "Day", "kind": "date"},
        {"name": "at", "label": "At", "kind": "datetime"},
    ]));
    ok(&f, json!({"d": "2024-02-29", "at": "2024-02-29T23:59"}));
    for bad in [
        "2023-02-29",
        "2024-13-01",
        "2024-1-01",
        "24-01-01",
        "2024/01/01",
        "0000-01-01",
        "２０２４-01-01",
    ] {
        assert_eq!(code(&f, json!({"d": bad})), "date", "{bad}");
    }
    for bad in [
        "2024-01-01 10:00",
        "2024-01-01T24:00",
        "2024-01-01T10:60",
        "2024-01-01T10:00:00",
        "2024-01-01",
    ] {
        assert_eq!(code(&f, json!({"at": bad})), "date", "{bad}");
    }
    assert_eq!(code(&f, json!({"d": 20240101})), "type");
}

#[test]
fn date_ranges() {
    let f =
        one(json!({"name": "leave", "label": "Leave", "kind": "date_range", "min": 1, "max": 3}));
    let s = ok(
        &f,
        json!({"leave": {"start": " 2024-12-30", "end": "2025-01-01"}}),
    );
    assert_eq!(
        s.values,
        json!({"leave": {"start": "2024-12-30", "end": "2025-01-01"}})
    );
    ok(
        &f,
        json!({"leave": {"start": "2024-01-01", "end": "2024-01-01"}}),
    );
    assert_eq!(
        ok(&f, json!({"leave": {"start": "", "end": null}})).values,
        json!({"leave": null})
    );
    assert_eq!(
        code(
            &f,
            json!({"leave": {"start": "2024-01-02", "end": "2024-01-01"}})
        ),
        "date_order"
    );
    assert_eq!(
        code(
            &f,
            json!({"leave": {"start": "2024-01-01", "end": "2024-01-04"}})
        ),
        "too_large"
    );
    assert_eq!(code(&f, json!({"leave": {"start": "2024-01-01"}})), "date");
    assert_eq!(
        code(&f, json!({"leave": {"start": "2024-01-01", "end": "nope"}})),
        "date"
    );
    assert_eq!(
        code(
            &f,
            json!({"leave": {"start": "2024-01-01", "end": "2024-01-01", "x": 1}})
        ),
        "type"
    );
    assert_eq!(code(&f, json!({"leave": "2024-01-01"})), "type");
}

#[test]
fn selects() {
    let options = json!([{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]);
    let f = form(json!([
        {"name": "one", "label": "One", "kind": "select", "options": options},
        {"name": "many", "label": "Many", "kind": "multi_select", "options": options, "min": 1, "max": 2},
    ]));
    let s = ok(&f, json!({"one": "b", "many": ["c", "a"]}));
    assert_eq!(s.values, json!({"one": "b", "many": ["c", "a"]}));
    assert_eq!(
        ok(&f, json!({"one": "", "many": []})).values,
        json!({"one": null, "many": null})
    );
    assert_eq!(code(&f, json!({"one": "z"})), "option");
    assert_eq!(code(&f, json!({"one": 1})), "type");
    assert_eq!(code(&f, json!({"many": ["a", "z"]})), "option");
    assert_eq!(code(&f, json!({"many": ["a", "a"]})), "type");
    assert_eq!(code(&f, json!({"many": ["a", "b", "c"]})), "too_many");
    assert_eq!(code(&f, json!({"many": "a"})), "type");
    let min2 = one(
        json!({"name": "m", "label": "M", "kind": "multi_select", "options": options, "min": 2}),
    );
    let e = &validate_submission(&min2, &json!({"m": ["a"]})).unwrap_err()[0];
    assert_eq!(
        (e.code, e.message_en.as_str()),
        ("too_small", "M needs at least 2 choices")
    );
}

#[test]
fn ids_are_collected_once() {
    let f = form(json!([
        {"name": "approver", "label": "Approver", "kind": "person", "required": true},
        {"name": "cc", "label": "Copy to", "kind": "people", "max": 3},
        {"name": "team", "label": "Team", "kind": "group"},
        {"name": "receipt", "label": "Receipt", "kind": "file"},
    ]));
    let s = ok(
        &f,
        json!({"approver": "p1", "cc": ["p2", "p1"], "team": "g-1", "receipt": "f_9"}),
    );
    assert_eq!(s.people, ["p1", "p2"]);
    assert_eq!(s.groups, ["g-1"]);
    assert_eq!(s.files, ["f_9"]);
    assert_eq!(code(&f, json!({"approver": "p 1"})), "type");
    assert_eq!(code(&f, json!({"approver": "x".repeat(65)})), "type");
    assert_eq!(code(&f, json!({"approver": ["p1"]})), "type");
    assert_eq!(
        code(&f, json!({"approver": "p1", "cc": ["p2", "p2"]})),
        "type"
    );
    assert_eq!(
        code(&f, json!({"approver": "p1", "cc": ["a", "b", "c", "d"]})),
        "too_many"
    );
    assert_eq!(code(&f, json!({"approver": "p1", "cc": [1]})), "type");
    let many: Vec<String> = (0..=MAX_PEOPLE).map(|i| format!("p{i}")).collect();
    let any = one(json!({"name": "cc", "label": "CC", "kind": "people"}));
    assert_eq!(code(&any, json!({"cc": many})), "too_many");
}

#[test]
fn checkboxes() {
    let f = form(json!([
        {"name": "agree", "label": "I agree", "kind": "checkbox", "required": true},
        {"name": "urgent", "label": "Urgent", "kind": "checkbox"},
    ]));
    assert_eq!(
        ok(&f, json!({"agree": true})).values,
        json!({"agree": true, "urgent": false})
    );
    let errors = validate_submission(&f, &json!({"agree": false})).unwrap_err();
    assert_eq!(
        (errors[0].code, errors[0].message_en.as_str()),
        ("required", "I agree must be checked")
    );
    assert_eq!(code(&f, json!({})), "required");
    assert_eq!(code(&f, json!({"agree": "true"})), "type");
}

#[test]
fn tables_report_cells_by_path() {
    let f = one(
        json!({"name": "items", "label": "Items", "kind": "table", "required": true, "max": 3,
        "columns": [
            {"name": "what", "label": "What", "kind": "text", "required": true},
            {"name": "amount", "label": "Amount", "kind": "money", "min": 0},
            {"name": "who", "label": "Who", "kind": "person"},
        ]}),
    );
    let s = ok(
        &f,
        json!({"items": [{"what": " taxi ", "amount": 12, "who": "p1"}, {"what": "x"}]}),
    );
    assert_eq!(
        s.values,
        json!({"items": [
            {"what": "taxi", "amount": "12.00", "who": "p1"},
            {"what": "x", "amount": null, "who": null},
        ]})
    );
    assert_eq!(s.people, ["p1"]);
    let errors = validate_submission(
        &f,
        &json!({"items": [{"what": "a"}, {"what": "b", "tip": 1}, {"what": "", "amount": "-1"}, 5]}),
    )
    .unwrap_err();
    let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        got,
        [
            ("items", "too_many"),
            ("items[1].tip", "unknown_field"),
            ("items[2].what", "required"),
            ("items[2].amount", "too_small"),
            ("items[3]", "type"),
        ]
    );
    assert_eq!(errors[2].message_en, "Items, row 3: What is required");
    assert_eq!(errors[2].message_zh, "Items第 3 行：What不能为空");
    assert_eq!(code(&f, json!({"items": []})), "required");
    assert_eq!(code(&f, json!({"items": {"what": "a"}})), "type");
    let rows: Vec<Value> = (0..=MAX_ROWS).map(|_| json!({"what": "a"})).collect();
    assert_eq!(code(&f, json!({"items": rows})), "too_many");
}

#[test]
fn conditions_hide_and_drop_fields() {
    let f = form(json!([
        {"name": "type", "label": "Type", "kind": "select",
         "options": [{"value": "travel", "label": "Travel"}, {"value": "meal", "label": "Meal"}]},
        {"name": "city", "label": "City", "kind": "text", "required": true,
         "visible_when": {"field": "type", "values": ["travel"]}},
        {"name": "abroad", "label": "Abroad", "kind": "checkbox",
         "visible_when": {"field": "type", "values": ["travel"]}},
        {"name": "passport", "label": "Passport", "kind": "text", "required": true,
         "visible_when": {"field": "abroad", "values": ["true"]}},
        {"name": "guests", "label": "Guests", "kind": "number"},
        {"name": "names", "label": "Names", "kind": "textarea", "required": true,
         "visible_when": {"field": "guests", "values": ["2", "3"]}},
        {"name": "why", "label": "Why", "kind": "text", "required": true,
         "visible_when": {"field": "type", "values": [""]}},
    ]));
    // Hidden fields are dropped even when sent, and never required.
    let s = ok(
        &f,
        json!({"type": "meal", "city": "Paris", "passport": "X"}),
    );
    assert_eq!(s.values, json!({"type": "meal", "guests": null}));
    assert_eq!(code(&f, json!({"type": "travel"})), "required");
    ok(&f, json!({"type": "travel", "city": "Paris"}));
    assert_eq!(
        err(
            &f,
            json!({"type": "travel", "city": "Paris", "abroad": true})
        )
        .0,
        "passport"
    );
    // Numbers compare by their shortest text, submitted as numbers or strings.
    assert_eq!(err(&f, json!({"type": "meal", "guests": "2.0"})).0, "names");
    assert_eq!(err(&f, json!({"type": "meal", "guests": 3})).0, "names");
    ok(&f, json!({"type": "meal", "guests": 4}));
    // An empty field compares as "".
    assert_eq!(err(&f, json!({})).0, "why");

    let multi = form(json!([
        {"name": "tags", "label": "Tags", "kind": "multi_select",
         "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"name": "note", "label": "Note", "kind": "text", "required": true,
         "visible_when": {"field": "tags", "values": ["b"]}},
    ]));
    ok(&multi, json!({"tags": ["a"]}));
    assert_eq!(code(&multi, json!({"tags": ["a", "b"]})), "required");
}

#[test]
fn read_only_fields_are_not_taken_from_the_person() {
    let f = form(json!([
        {"name": "rate", "label": "Rate", "kind": "money", "read_only": true, "default": 1.5},
        {"name": "why", "label": "Why", "kind": "text", "required": true,
         "visible_when": {"field": "rate", "values": ["1.50"]}},
    ]));
    // The condition sees the default the person was shown, not what they sent.
    assert_eq!(err(&f, json!({"rate": "9"})).0, "why");
    assert_eq!(
        ok(&f, json!({"rate": "9", "why": "ok"})).values,
        json!({"why": "ok"})
    );
}

#[test]
fn unknown_keys_and_non_objects() {
    let f = one(json!({"name": "a", "label": "A", "kind": "text"}));
    assert_eq!(
        err(&f, json!({"a": "x", "b": 1})),
        ("b".into(), "unknown_field")
    );
    assert_eq!(code(&f, json!(["a"])), "type");
    assert_eq!(code(&f, json!(null)), "type");
}

#[test]
fn all_errors_are_reported_up_to_the_cap() {
    let f = form(json!([
        {"name": "a", "label": "A", "kind": "text", "required": true},
        {"name": "b", "label": "B", "kind": "number"},
    ]));
    let errors = validate_submission(&f, &json!({"b": "x", "c": 1})).unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["required", "type", "unknown_field"]);

    let mut junk = serde_json::Map::new();
    for i in 0..500 {
        junk.insert(format!("k{i}"), json!(i));
    }
    assert_eq!(
        validate_submission(&f, &Value::Object(junk))
            .unwrap_err()
            .len(),
        MAX_ERRORS
    );
}

#[test]
fn schema_errors_name_the_field() {
    let cases = [
        (
            json!([{"name": "A", "label": "A", "kind": "text"}]),
            "field `A`",
        ),
        (
            json!([{"name": "a", "label": "A", "kind": "text"}, {"name": "a", "label": "B", "kind": "text"}]),
            "twice",
        ),
        (
            json!([{"name": "a", "label": " ", "kind": "text"}]),
            "label",
        ),
        (
            json!([{"name": "s", "label": "S", "kind": "select"}]),
            "options",
        ),
        (
            json!([{"name": "s", "label": "S", "kind": "select", "options": [{"value": "x", "label": "X"}, {"value": "x", "label": "Y"}]}]),
            "`x` appears twice",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "text", "options": [{"value": "x", "label": "X"}]}]),
            "only select",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "table"}]),
            "columns",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "table", "columns": [{"name": "u", "label": "U", "kind": "table"}]}]),
            "nest",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "table", "columns": [{"name": "u", "label": "U", "kind": "text", "pattern": "("}]}]),
            "column `u`",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number", "min": 5, "max": 1}]),
            "min is greater",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "text", "pattern": "a)|(b"}]),
            "pattern",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "text", "pattern": "\\w{30}"}]),
            "too complex",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number", "pattern": "\\d+"}]),
            "only text",
        ),
        (
            json!([{"name": "d", "label": "D", "kind": "date", "max": 3}]),
            "mean nothing",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "text", "min": -1}]),
            "negative",
        ),
        (
            json!([{"name": "b", "label": "B", "kind": "text", "visible_when": {"field": "a", "values": ["x"]}}, {"name": "a", "label": "A", "kind": "text"}]),
            "before it",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "table", "columns": [{"name": "u", "label": "U", "kind": "text"}]}, {"name": "b", "label": "B", "kind": "text", "visible_when": {"field": "t", "values": ["x"]}}]),
            "table",
        ),
        (
            json!([{"name": "a", "label": "A", "kind": "text"}, {"name": "b", "label": "B", "kind": "text", "visible_when": {"field": "a", "values": []}}]),
            "values",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number", "default": "ten"}]),
            "default",
        ),
        (
            json!([{"name": "m", "label": "M", "kind": "money", "max": 10, "default": "11"}]),
            "at most 10",
        ),
        (
            json!([{"name": "t", "label": "T", "kind": "table", "columns": [{"name": "u", "label": "U", "kind": "date"}], "default": [{"u": "x"}]}]),
            "default",
        ),
    ];
    for (fields, needle) in cases {
        let e = schema_err(fields.clone());
        assert!(e.contains(needle), "{fields}: {e}");
    }
    // A required field's default may still be empty.
    one(json!({"name": "a", "label": "A", "kind": "text", "required": true, "default": ""}));
    for pattern in [
        "[a-z]+@\\w+\\.\\w{2,}",
        "\\w{10}",
        "(?-u:\\w){64}",
        ".{1,1000}",
        "\\p{Han}{2,20}",
        "\\+?[0-9 -]{7,20}",
    ] {
        one(json!({"name": "a", "label": "A", "kind": "textarea", "pattern": pattern}));
    }

    let bad_form = |f: Value| {
        serde_json::from_value::<Form>(f)
            .unwrap()
            .check()
            .unwrap_err()
    };
    assert!(bad_form(json!({"id": "", "title": "T", "fields": []})).contains("id"));
    assert!(bad_form(json!({"id": "a b", "title": "T", "fields": []})).contains("id"));
    assert!(bad_form(json!({"id": "a", "title": "T".repeat(201), "fields": []})).contains("title"));
    assert!(
        bad_form(json!({"id": "a", "title": "T", "value": "x".repeat(4097), "fields": []}))
            .contains("value")
    );
    let many: Vec<Value> = (0..=MAX_FIELDS)
        .map(|i| json!({"name": format!("f{i}"), "label": "F", "kind": "text"}))
        .collect();
    assert!(bad_form(json!({"id": "a", "title": "T", "fields": many})).contains("60"));
}

// ---- Formulas and departments ----

/// A formula field computing `expression` as `result`.
fn formula(name: &str, expression: &str, result: &str) -> Value {
    json!({"name": name, "label": name.to_uppercase(), "kind": "formula",
           "formula": {"expression": expression, "result": result}})
}

/// An expense claim: lines with a computed amount, totals, and a discount.
fn claim() -> Form {
    form(json!([
        {"name": "items", "label": "Items", "kind": "table", "columns": [
            {"name": "what", "label": "What", "kind": "text"},
            {"name": "line", "label": "Line", "kind": "formula",
             "formula": {"expression": "qty * price", "result": "money"}},
            {"name": "qty", "label": "Qty", "kind": "number"},
            {"name": "price", "label": "Price", "kind": "money"},
        ]},
        formula("subtotal", "sum(items.line)", "money"),
        formula("lines", "count(items)", "number"),
        {"name": "member", "label": "Member", "kind": "checkbox"},
        {"name": "rate", "label": "Rate", "kind": "number",
         "visible_when": {"field": "member", "values": ["true"]}},
        formula("total", "subtotal - subtotal * rate / 100", "money"),
        formula("average", "total / lines", "number"),
    ]))
}

#[test]
fn formulas_are_computed_from_the_normalised_values() {
    let f = claim();
    let s = ok(
        &f,
        json!({"items": [
            {"what": "taxi", "qty": "2", "price": "12.5"},
            {"what": "meal", "qty": 1, "price": "7.25", "line": "999.00"},
            {"what": "tip"},
        ], "member": true, "rate": "10"}),
    );
    assert_eq!(
        s.values,
        json!({
            "items": [
                {"what": "taxi", "qty": 2, "price": "12.50", "line": "25.00"},
                {"what": "meal", "qty": 1, "price": "7.25", "line": "7.25"},
                {"what": "tip", "qty": null, "price": null, "line": "0.00"},
            ],
            "subtotal": "32.25", "lines": 3, "member": true, "rate": 10,
            // 32.25 - 3.225 = 29.025, rounded half away from zero.
            "total": "29.03",
            // 29.03 / 3 = 9.67666…, to 15 significant digits.
            "average": 9.67666666666667,
        })
    );
    // A field hidden by its condition counts as 0, and a formula without a value is null.
    let s = ok(&f, json!({"member": false, "rate": 50}));
    assert_eq!(
        s.values,
        json!({"items": null, "subtotal": "0.00", "lines": 0, "member": false,
               "total": "0.00", "average": null})
    );
}

#[test]
fn formula_values_sent_by_the_client_are_ignored() {
    let f = claim();
    let s = ok(
        &f,
        json!({"items": [{"qty": 3, "price": "1.10", "line": "1000000.00"}],
               "subtotal": "5", "lines": 99, "total": "1.00", "average": 7}),
    );
    assert_eq!(s.values["items"][0]["line"], "3.30");
    assert_eq!(s.values["subtotal"], "3.30");
    assert_eq!(s.values["lines"], 1);
    assert_eq!(s.values["total"], "3.30");
    assert_eq!(s.values["average"], 3.3);
    // Not even a value of the wrong type is an error: it is never read.
    ok(&f, json!({"total": {"x": [1]}, "items": [{"line": false}]}));
    assert_eq!(ok(&f, s.values.clone()), s);
}

#[test]
fn money_formulas_round_half_away_from_zero() {
    let f = form(json!([
        {"name": "a", "label": "A", "kind": "number"},
        formula("m", "a", "money"),
        formula("n", "a", "number"),
        formula("third", "a / 3", "money"),
    ]));
    for (a, m, n) in [
        (json!(1.005), json!("1.01"), json!(1.005)),
        (json!(-1.005), json!("-1.01"), json!(-1.005)),
        (json!(2.675), json!("2.68"), json!(2.675)),
        (json!(0.125), json!("0.13"), json!(0.125)),
        (json!("-0.001"), json!("0.00"), json!(-0.001)),
        (json!(1e15), Value::Null, json!(1_000_000_000_000_000_i64)),
        (json!(12), json!("12.00"), json!(12)),
    ] {
        let s = ok(&f, json!({"a": a}));
        assert_eq!((&s.values["m"], &s.values["n"]), (&m, &n), "{a}");
    }
    let s = ok(&f, json!({"a": 1}));
    assert_eq!(s.values["third"], "0.33");
    let s = ok(&f, json!({"a": 2}));
    assert_eq!(s.values["third"], "0.67");
    let sums = form(json!([
        {"name": "a", "label": "A", "kind": "money"},
        {"name": "b", "label": "B", "kind": "money"},
        formula("sum", "a + b", "money"),
        formula("n", "a + b", "number"),
    ]));
    let s = ok(&sums, json!({"a": "0.1", "b": "0.2"}));
    assert_eq!(
        (&s.values["sum"], &s.values["n"]),
        (&json!("0.30"), &json!(0.3))
    );
}

#[test]
fn formulas_use_every_numeric_kind_and_read_only_defaults() {
    let f = form(json!([
        {"name": "stay", "label": "Stay", "kind": "date_range"},
        formula("nights", "stay - 1", "number"),
        formula("cost", "nights * rate * (1 + breakfast / 10) + fee", "money"),
        {"name": "breakfast", "label": "Breakfast", "kind": "checkbox"},
        {"name": "rate", "label": "Rate", "kind": "money", "read_only": true, "default": "80"},
        {"name": "fee", "label": "Fee", "kind": "number"},
    ]));
    let s = ok(
        &f,
        json!({"stay": {"start": "2024-02-27", "end": "2024-03-01"}, "breakfast": true,
               "fee": "4.5", "rate": "1"}),
    );
    // 4 days are 3 nights, at the rate the person was shown, not the one they sent.
    assert_eq!(s.values["nights"], 3);
    assert_eq!(s.values["cost"], "268.50");
    assert!(s.values.get("rate").is_none());
    let s = ok(&f, json!({}));
    assert_eq!(
        (&s.values["nights"], &s.values["cost"]),
        (&json!(-1), &json!("-80.00"))
    );
}

#[test]
fn conditions_may_depend_on_formulas() {
    let f = form(json!([
        {"name": "items", "label": "Items", "kind": "table", "columns": [
            {"name": "amount", "label": "Amount", "kind": "money"},
        ]},
        formula("total", "sum(items.amount)", "money"),
        formula("count", "count(items)", "number"),
        {"name": "why", "label": "Why", "kind": "text", "required": true,
         "visible_when": {"field": "total", "values": ["100.00"]}},
        {"name": "many", "label": "Many", "kind": "text", "required": true,
         "visible_when": {"field": "count", "values": ["3"]}},
        formula("hidden", "1", "number"),
    ]));
    assert_eq!(
        err(&f, json!({"items": [{"amount": 60}, {"amount": "40"}]})).0,
        "why"
    );
    assert_eq!(
        err(
            &f,
            json!({"items": [{"amount": 1}, {"amount": 1}, {"amount": 1}]})
        )
        .0,
        "many"
    );
    ok(&f, json!({"items": [{"amount": 99}]}));
    // A hidden formula is absent, and counts as 0 for the formulas after it.
    let f = form(json!([
        {"name": "on", "label": "On", "kind": "checkbox"},
        {"name": "bonus", "label": "Bonus", "kind": "formula",
         "formula": {"expression": "10", "result": "number"},
         "visible_when": {"field": "on", "values": ["true"]}},
        formula("total", "bonus + 1", "number"),
    ]));
    assert_eq!(
        ok(&f, json!({"on": false, "bonus": 5})).values,
        json!({"on": false, "total": 1})
    );
    assert_eq!(
        ok(&f, json!({"on": true})).values,
        json!({"on": true, "bonus": 10, "total": 11})
    );
}

#[test]
fn a_formula_waits_for_a_later_field_and_errors_keep_the_form_order() {
    let f = form(json!([
        {"name": "a", "label": "A", "kind": "text", "required": true},
        formula("double", "n * 2", "number"),
        {"name": "b", "label": "B", "kind": "text", "required": true,
         "visible_when": {"field": "double", "values": ["0"]}},
        {"name": "n", "label": "N", "kind": "number"},
    ]));
    assert_eq!(
        ok(&f, json!({"a": "x", "n": 2})).values,
        json!({"a": "x", "double": 4, "n": 2})
    );
    // `n` is validated before `b`, whose condition needs the formula that needs `n`.
    let errors = validate_submission(&f, &json!({"n": "x"})).unwrap_err();
    let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(got, [("a", "required"), ("b", "required"), ("n", "type")]);
}

#[test]
fn departments_are_collected() {
    let f = form(json!([
        {"name": "dept", "label": "Department", "kind": "department", "required": true},
        {"name": "cost", "label": "Cost centre", "kind": "department"},
        {"name": "split", "label": "Split", "kind": "table", "columns": [
            {"name": "dept", "label": "Department", "kind": "department"},
            {"name": "who", "label": "Who", "kind": "person"},
        ]},
    ]));
    let s = ok(
        &f,
        json!({"dept": "d-1", "cost": "d-1",
               "split": [{"dept": "d_2", "who": "p1"}, {"dept": "d-1"}, {"dept": ""}]}),
    );
    assert_eq!(s.departments, ["d-1", "d_2"]);
    assert_eq!(s.people, ["p1"]);
    assert!(s.groups.is_empty() && s.files.is_empty());
    assert_eq!(s.values["split"][2]["dept"], Value::Null);
    assert_eq!(code(&f, json!({})), "required");
    assert_eq!(code(&f, json!({"dept": "d 1"})), "type");
    assert_eq!(code(&f, json!({"dept": ["d1"]})), "type");
    let e = &validate_submission(&f, &json!({"dept": 7})).unwrap_err()[0];
    assert_eq!(e.message_en, "Department must be a department");
    assert_eq!(e.message_zh, "Department必须选择部门");
    assert!(
        schema_err(json!([{"name": "d", "label": "D", "kind": "department", "max": 2}]))
            .contains("mean nothing")
    );
}

#[test]
fn formula_schema_errors() {
    let table =
        |columns: Value| json!({"name": "t", "label": "T", "kind": "table", "columns": columns});
    let cases = [
        (
            json!([{"name": "f", "label": "F", "kind": "formula"}]),
            "field `f`: a formula field needs a formula",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number",
                    "formula": {"expression": "1", "result": "number"}}]),
            "field `n`: only formula fields have a formula",
        ),
        (
            json!([formula("f", "1 +", "number")]),
            "field `f`: the formula is invalid: at character 4: expected a number",
        ),
        (
            json!([formula("f", "x * 2", "number")]),
            "`x`, which is not a field of this form",
        ),
        (
            json!([{"name": "s", "label": "S", "kind": "text"}, formula("f", "s * 2", "number")]),
            "`s`, a text field",
        ),
        (
            json!([{"name": "d", "label": "D", "kind": "date"}, formula("f", "d", "number")]),
            "`d`, a date field",
        ),
        (
            json!([formula("f", "f + 1", "number")]),
            "the formula uses itself",
        ),
        (
            json!([formula("f", "g + 1", "number"), formula("g", "1", "number")]),
            "`g`, a formula after it",
        ),
        (
            json!([
                table(json!([{"name": "a", "label": "A", "kind": "number"}])),
                formula("f", "t * 2", "number")
            ]),
            "`t` is a table: use sum(t.column) or count(t)",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number"}, formula("f", "count(n)", "number")]),
            "count(n) needs a table field",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number"}, formula("f", "sum(n.a)", "number")]),
            "sum(n.a) needs a table field",
        ),
        (
            json!([formula("f", "sum(t.a)", "number")]),
            "`t`, which is not a field of this form",
        ),
        (
            json!([
                table(json!([{"name": "a", "label": "A", "kind": "number"}])),
                formula("f", "sum(t.b)", "number")
            ]),
            "the table `t` has no column `b`",
        ),
        (
            json!([
                table(json!([{"name": "a", "label": "A", "kind": "person"}])),
                formula("f", "sum(t.a)", "number")
            ]),
            "sum(t.a) adds a person column",
        ),
        (
            json!([table(
                json!([{"name": "a", "label": "A", "kind": "formula"}])
            )]),
            "column `a`: a formula field needs a formula",
        ),
        (
            json!([table(json!([{"name": "a", "label": "A", "kind": "money",
                                 "formula": {"expression": "1", "result": "money"}}]))]),
            "column `a`: only formula fields have a formula",
        ),
        (
            json!([table(json!([{"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "(", "result": "money"}}]))]),
            "column `a`: the formula is invalid",
        ),
        (
            json!([{"name": "n", "label": "N", "kind": "number"},
                   table(json!([{"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "n * 2", "result": "number"}}]))]),
            "`n`, which is not a column of this table",
        ),
        (
            json!([table(json!([{"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "count(t)", "result": "number"}}]))]),
            "a column formula can only use its own row's columns",
        ),
        (
            json!([table(json!([{"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "sum(t.b)", "result": "number"}},
                                {"name": "b", "label": "B", "kind": "number"}]))]),
            "a column formula can only use its own row's columns",
        ),
        (
            json!([table(json!([{"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "b", "result": "number"}},
                                {"name": "b", "label": "B", "kind": "formula",
                                 "formula": {"expression": "1", "result": "number"}}]))]),
            "column `a`: the formula uses `b`, a formula after it",
        ),
        (
            json!([table(json!([{"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "a", "result": "number"}}]))]),
            "column `a`: the formula uses itself",
        ),
        (
            json!([table(json!([{"name": "s", "label": "S", "kind": "select",
                                 "options": [{"value": "x", "label": "X"}]},
                                {"name": "a", "label": "A", "kind": "formula",
                                 "formula": {"expression": "s", "result": "number"}}]))]),
            "`s`, a select field",
        ),
        (
            json!([formula("f", "x", "number"), {"name": "x", "label": "X", "kind": "number",
                   "visible_when": {"field": "f", "values": ["1"]}}]),
            "field `f`: formulas and visible_when conditions depend on each other in a loop",
        ),
        (
            json!([{"name": "f", "label": "F", "kind": "formula", "default": 1,
                    "formula": {"expression": "1", "result": "number"}}]),
            "the default is not valid: F is calculated and cannot be filled in",
        ),
        (
            json!([{"name": "f", "label": "F", "kind": "formula", "max": 1,
                    "formula": {"expression": "1", "result": "number"}}]),
            "mean nothing",
        ),
    ];
    for (fields, needle) in cases {
        let e = schema_err(fields.clone());
        assert!(e.contains(needle), "{fields}: {e}");
    }
    // What is allowed: later non-formula fields, earlier formulas, every numeric kind, a
    // formula column using a later plain column and an earlier formula column.
    form(json!([
        formula("a", "n + sum(t.y) + count(t) + c + r + m", "money"),
        formula("b", "a * 2", "number"),
        {"name": "n", "label": "N", "kind": "number"},
        {"name": "c", "label": "C", "kind": "checkbox"},
        {"name": "r", "label": "R", "kind": "date_range"},
        {"name": "m", "label": "M", "kind": "money"},
        {"name": "t", "label": "T", "kind": "table", "columns": [
            {"name": "x", "label": "X", "kind": "formula",
             "formula": {"expression": "p * 2", "result": "number"}},
            {"name": "y", "label": "Y", "kind": "formula",
             "formula": {"expression": "x + q", "result": "money"}},
            {"name": "p", "label": "P", "kind": "number"},
            {"name": "q", "label": "Q", "kind": "checkbox"},
        ]},
        {"name": "v", "label": "V", "kind": "text",
         "visible_when": {"field": "b", "values": ["0"]}},
    ]));
}

/// One field of every kind, for the idempotence checks.
fn every_kind() -> Form {
    let options = json!([{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]);
    form(json!([
        {"name": "text", "label": "Text", "kind": "text", "pattern": "[a-z ]*"},
        {"name": "textarea", "label": "Textarea", "kind": "textarea"},
        {"name": "number", "label": "Number", "kind": "number"},
        {"name": "money", "label": "Money", "kind": "money"},
        {"name": "date", "label": "Date", "kind": "date"},
        {"name": "range", "label": "Range", "kind": "date_range"},
        {"name": "datetime", "label": "Datetime", "kind": "datetime"},
        {"name": "select", "label": "Select", "kind": "select", "options": options},
        {"name": "multi", "label": "Multi", "kind": "multi_select", "options": options,
         "visible_when": {"field": "select", "values": ["a", ""]}},
        {"name": "person", "label": "Person", "kind": "person"},
        {"name": "people", "label": "People", "kind": "people"},
        {"name": "group", "label": "Group", "kind": "group"},
        {"name": "file", "label": "File", "kind": "file"},
        {"name": "check", "label": "Check", "kind": "checkbox"},
        {"name": "shown", "label": "Shown", "kind": "number",
         "visible_when": {"field": "check", "values": ["true"]}},
        {"name": "table", "label": "Table", "kind": "table", "columns": [
            {"name": "m", "label": "M", "kind": "money"},
            {"name": "p", "label": "P", "kind": "person"},
            {"name": "n", "label": "N", "kind": "number"},
            {"name": "x", "label": "X", "kind": "formula",
             "formula": {"expression": "n * m", "result": "number"}},
        ]},
        {"name": "dept", "label": "Dept", "kind": "department"},
        {"name": "calc", "label": "Calc", "kind": "formula",
         "formula": {"expression": "number / 3 + sum(table.x) + range", "result": "money"}},
    ]))
}

#[test]
fn a_normalised_submission_validates_to_itself() {
    let f = every_kind();
    let s = ok(
        &f,
        json!({
            "text": " hello ", "textarea": " a\nb ", "number": "1.50", "money": 3, "date": "2024-01-31",
            "range": {"start": "2024-01-01", "end": "2024-01-31"}, "datetime": "2024-01-31T08:05",
            "select": "a", "multi": ["b"], "person": "p1", "people": ["p1", "p2"], "group": "g1",
            "file": "f1", "check": true, "shown": "7",
            "table": [{"m": "1.5", "p": "p3", "n": " 2 "}], "dept": "d1", "calc": "0",
        }),
    );
    assert_eq!(s.people, ["p1", "p2", "p3"]);
    assert_eq!(s.departments, ["d1"]);
    assert_eq!(s.values["table"][0]["x"], 3);
    assert_eq!(s.values["calc"], "34.50");
    assert_eq!(ok(&f, s.values.clone()), s);
}

// ---- Properties ----

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|x| json!(x)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "",
            " ",
            "a",
            "b",
            "p1",
            "1",
            "2.5",
            "1.005",
            "-3",
            "2024-02-29",
            "2023-02-29",
            "2024-01-01T10:00",
            "true",
            "x y",
            "日本",
            "o0",
            "o1",
            "f0",
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Names drawn from a small pool, so that schemas collide and submissions hit fields.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => prop::sample::select(vec!["f0", "f1", "f2", "f3", "start", "end"]),
        1 => prop::sample::select(vec!["Bad", "", "f 0"]),
    ]
    .prop_map(String::from)
}

fn kind() -> impl Strategy<Value = FieldKind> {
    use FieldKind::*;
    prop::sample::select(vec![
        Text,
        Textarea,
        Number,
        Money,
        Date,
        DateRange,
        Datetime,
        Select,
        MultiSelect,
        Person,
        People,
        Group,
        File,
        Checkbox,
        Table,
        Department,
        Formula,
    ])
}

/// Formulas over the pool of names, some invalid, some refused by `check`.
fn any_formula() -> impl Strategy<Value = Option<Formula>> {
    let expression = prop::sample::select(vec![
        "f0 + 1",
        "f1 * f2 - f3 / 2",
        "sum(f1.f0) + count(f2)",
        "sum(f0.start) / count(f0)",
        "if(f0 > 1 and not f1, round(f2, 2), max(f3, 0.5))",
        "f0 / f1",
        "min(f0, f1, 1.005)",
        "start * end",
        "1 +",
        "f0 = f1",
        "",
    ]);
    let result = prop::sample::select(vec![FormulaResult::Number, FormulaResult::Money]);
    prop::option::weighted(
        0.5,
        (expression, result).prop_map(|(e, result)| Formula {
            expression: e.to_string(),
            result,
        }),
    )
}

fn bound() -> impl Strategy<Value = Option<f64>> {
    prop::option::weighted(
        0.25,
        prop_oneof![
            8 => prop::sample::select(vec![0.0, 1.0, 2.0, 2.5, 10.0]),
            1 => prop::sample::select(vec![-1.0, 0.001, 1e20, f64::NAN, f64::INFINITY]),
        ],
    )
}

fn pattern() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.2,
        prop::sample::select(vec![
            "[a-z ]*",
            "\\d+",
            "(",
            "a)|(b",
            "x*",
            "\\w{1000}{1000}",
            "",
        ])
        .prop_map(String::from),
    )
}

fn options() -> impl Strategy<Value = Vec<SelectOption>> {
    let option = |value: String| SelectOption {
        label: value.to_uppercase(),
        value,
    };
    prop_oneof![
        9 => (1..4usize).prop_map(move |n| (0..n).map(|i| option(format!("o{i}"))).collect()),
        1 => prop::collection::vec(name().prop_map(option), 0..4),
    ]
}

/// What a field and a column share: (name, kind, required, min, max, pattern, options).
type Shared = (
    String,
    FieldKind,
    bool,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Vec<SelectOption>,
);

/// Mostly drops the rules that mean nothing for the kind, so that many schemas pass `check`.
fn shared() -> impl Strategy<Value = Shared> {
    (
        name(),
        kind(),
        any::<bool>(),
        bound(),
        bound(),
        pattern(),
        options(),
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(name, kind, required, mut min, mut max, mut pattern, mut options, tidy)| {
                if tidy {
                    if kind.bounds().is_none() {
                        (min, max) = (None, None);
                    }
                    if !matches!(kind, FieldKind::Text | FieldKind::Textarea) {
                        pattern = None;
                    }
                    if !matches!(kind, FieldKind::Select | FieldKind::MultiSelect) {
                        options.clear();
                    }
                }
                (name, kind, required, min, max, pattern, options)
            },
        )
}

fn column() -> impl Strategy<Value = Column> {
    (shared(), any_formula()).prop_map(
        |((name, kind, required, min, max, pattern, options), formula)| Column {
            label: name.to_uppercase(),
            name,
            kind,
            required,
            min,
            max,
            pattern,
            pattern_message: None,
            options,
            formula,
        },
    )
}

fn field() -> impl Strategy<Value = FormField> {
    (
        shared(),
        prop::option::weighted(0.2, any_json()),
        prop::option::weighted(0.3, (name(), prop::collection::vec(name(), 0..3))),
        prop::collection::vec(column(), 1..4),
        prop::bool::weighted(0.2),
        any_formula(),
    )
        .prop_map(
            |(
                (name, kind, required, min, max, pattern, options),
                default,
                cond,
                mut columns,
                read_only,
                formula,
            )| {
                if kind != FieldKind::Table {
                    columns.clear();
                }
                FormField {
                    label: name.to_uppercase(),
                    name,
                    kind,
                    required,
                    min,
                    max,
                    pattern,
                    pattern_message: Some("Wrong".into()),
                    options,
                    placeholder: None,
                    help: None,
                    default,
                    visible_when: cond.map(|(field, values)| Condition { field, values }),
                    columns,
                    read_only,
                    formula,
                }
            },
        )
}

fn any_form() -> impl Strategy<Value = Form> {
    (
        prop::collection::vec(field(), 0..6),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(mut fields, rename)| {
            if rename {
                for (i, f) in fields.iter_mut().enumerate() {
                    f.name = format!("f{i}");
                }
            }
            Form {
                id: "f".into(),
                title: "F".into(),
                submit_label: String::new(),
                value: String::new(),
                fields,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_schemas_and_values_never_panic(form in any_form(), values in any_json()) {
        let checked = form.check().is_ok();
        let result = validate_submission(&form, &values);
        if checked && let Ok(s) = result {
            prop_assert_eq!(validate_submission(&form, &s.values), Ok(s));
        }
    }

    #[test]
    fn normalised_submissions_are_fixed_points(values in fixed_point_candidates()) {
        let form = every_kind();
        let values = Value::Object(
            form.fields.iter().map(|f| f.name.clone()).zip(values).collect(),
        );
        if let Ok(s) = validate_submission(&form, &values) {
            prop_assert_eq!(validate_submission(&form, &s.values), Ok(s));
        }
    }
}

/// For each field of [`every_kind`], values mostly valid and needing normalisation.
fn fixed_point_candidates() -> Vec<BoxedStrategy<Value>> {
    let pools: Vec<Vec<Value>> = vec![
        vec![json!(" hello "), json!("a b"), json!(""), json!("HELLO")],
        vec![json!(" x\ny "), json!("z")],
        vec![
            json!(1),
            json!(-2.5),
            json!("3"),
            json!(" 4.25 "),
            json!("1e3"),
            json!(-0.0),
            json!("x"),
        ],
        vec![
            json!("1.5"),
            json!(2),
            json!(0.25),
            json!("-3.10"),
            json!("007"),
            json!("999999999999999.99"),
            json!(1.005),
        ],
        vec![json!("2024-02-29"), json!(" 2024-03-01 ")],
        vec![
            json!({"start": "2024-01-01", "end": "2024-01-02"}),
            json!({"start": "", "end": ""}),
        ],
        vec![json!("2024-02-29T00:00")],
        vec![json!("a"), json!("b"), json!("")],
        vec![json!(["a"]), json!(["b", "a"]), json!([])],
        vec![json!("p1"), json!("p-2")],
        vec![json!(["p1"]), json!(["p2", "p1"]), json!([])],
        vec![json!("g1")],
        vec![json!("f1")],
        vec![json!(true), json!(false)],
        vec![json!(1), json!("2")],
        vec![
            json!([]),
            json!([{"m": 2, "p": "x", "n": "3"}]),
            json!([{"m": null}]),
            json!([{"m": "1.5", "p": "p1"}, {}]),
            json!([{"m": "0.1", "n": 3, "x": 7}]),
        ],
        vec![json!("d1"), json!(""), json!("d 1")],
        vec![json!("1.00"), json!(2)],
    ];
    pools
        .into_iter()
        .map(|mut pool| {
            pool.push(Value::Null);
            prop::sample::select(pool).boxed()
        })
        .collect()
}
