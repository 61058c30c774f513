use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::domain::definition::{Condition, FormulaResult};
use crate::domain::display::NoLookup;
use crate::domain::templates;
use crate::domain::testkit::{definition, field, published, settings, text, values};

/// The host's form JSON, as `host/runtime/src/form.rs` reads it: a rendered form must fit.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct HostForm {
    id: String,
    title: String,
    submit_label: String,
    value: String,
    fields: Vec<HostField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct HostField {
    name: String,
    label: String,
    kind: String,
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    pattern_message: Option<String>,
    options: Vec<HostOption>,
    placeholder: Option<String>,
    help: Option<String>,
    default: Option<Value>,
    visible_when: Option<Condition>,
    columns: Vec<HostColumn>,
    read_only: bool,
    formula: Option<Formula>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct HostOption {
    value: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct HostColumn {
    name: String,
    label: String,
    kind: String,
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    pattern_message: Option<String>,
    options: Vec<HostOption>,
    formula: Option<Formula>,
}

const HOST_KINDS: [&str; 17] = [
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "date_range",
    "datetime",
    "select",
    "multi_select",
    "person",
    "people",
    "group",
    "file",
    "checkbox",
    "table",
    "department",
    "formula",
];

struct Capitals;

impl Lookup for Capitals {
    fn capitals(&self, cents: i64) -> Option<String> {
        (cents == 3750).then(|| "叁拾柒元伍角".to_string())
    }
}

fn opts<'a>(lang: Lang, lookup: &'a dyn Lookup) -> RenderOptions<'a> {
    RenderOptions {
        lang,
        action_id: "forms:f1:1",
        value: "f1",
        prefill: None,
        serial: None,
        draft: false,
        lookup,
    }
}

fn by_name<'a>(form: &'a Value, name: &str) -> &'a Value {
    form["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["name"] == name))
        .expect("field")
}

#[test]
fn every_template_renders_to_the_host_shape_in_both_languages() {
    for t in templates::builtin() {
        let (_, v) = published(&t.definition, settings());
        for lang in [Lang::En, Lang::Zh] {
            let form = render(&v, &opts(lang, &NoLookup));
            let host: HostForm =
                serde_json::from_value(form.clone()).unwrap_or_else(|e| panic!("{}: {e}", t.id));
            for f in &host.fields {
                assert!(HOST_KINDS.contains(&f.kind.as_str()), "{}", f.kind);
                for c in &f.columns {
                    assert!(HOST_KINDS.contains(&c.kind.as_str()), "{}", c.kind);
                }
                assert!(f.help.as_ref().is_none_or(|h| h.chars().count() <= 1000));
            }
            assert_eq!(host.title, t.definition.title.get(lang));
        }
    }
}

#[test]
fn the_expense_template_renders_serial_formulas_and_capitals() {
    let t = templates::get("expense").unwrap();
    let (_, v) = published(&t.definition, settings());
    let en = render(&v, &opts(Lang::En, &NoLookup));
    let zh = render(&v, &opts(Lang::Zh, &NoLookup));
    assert_eq!(en["id"], "forms:f1:1");
    assert_eq!(en["value"], "f1");
    assert_eq!(en["submit_label"], "Submit");
    assert_eq!(zh["submit_label"], "提交");
    let serial = by_name(&en, "serial_no");
    assert_eq!(serial["kind"], "text");
    assert_eq!(serial["read_only"], true);
    assert_eq!(serial["required"], false);
    assert_eq!(serial["default"], "Assigned on submit");
    assert_eq!(by_name(&zh, "serial_no")["default"], "提交后自动生成");
    let items = by_name(&zh, "items");
    assert_eq!(items["label"], "费用明细");
    assert_eq!(
        items["columns"][3]["formula"],
        json!({"expression": "qty * price", "result": "money"})
    );
    assert_eq!(items["columns"][2]["kind"], "money");
    let total = by_name(&en, "total");
    assert_eq!(total["kind"], "formula");
    assert_eq!(
        total["formula"],
        json!({"expression": "sum(items.amount)", "result": "money"})
    );
    assert_eq!(total["default"], Value::Null);
    assert_eq!(
        total["help"],
        "The amount in Chinese capitals (大写) is shown with the answer."
    );
    assert_eq!(by_name(&zh, "total")["help"], "提交后显示大写金额。");
}

#[test]
fn editing_shows_the_answer_its_serial_and_its_capitals() {
    let mut fee = field("fee", Kind::Money);
    fee.show_capitals = true;
    fee.help = Some(text("Incl. tax", "含税"));
    let mut total = field("total", Kind::Formula);
    total.formula = Some(Formula {
        expression: "fee * 2".into(),
        result: FormulaResult::Money,
    });
    let mut fixed = field("fixed", Kind::Text);
    fixed.read_only = true;
    fixed.default = Some(json!("shown"));
    let def = definition(vec![
        field("no", Kind::Serial),
        fee,
        total,
        fixed,
        field("name", Kind::Text),
    ]);
    let (_, v) = published(&def, settings());
    let prefill =
        values(json!({"fee": "37.50", "total": "75.00", "fixed": "forged", "name": "王"}));
    let o = RenderOptions {
        prefill: Some(&prefill),
        serial: Some("F-20261130-0007"),
        ..opts(Lang::Zh, &Capitals)
    };
    let form = render(&v, &o);
    assert_eq!(by_name(&form, "no")["default"], "F-20261130-0007");
    assert_eq!(by_name(&form, "fee")["default"], "37.50");
    assert_eq!(by_name(&form, "fee")["help"], "含税\n大写：叁拾柒元伍角");
    assert_eq!(
        by_name(&form, "total")["default"],
        Value::Null,
        "formulas are computed, never prefilled"
    );
    assert_eq!(
        by_name(&form, "fixed")["default"],
        "shown",
        "read-only fields keep their own value"
    );
    assert_eq!(by_name(&form, "name")["default"], "王");
    let en = render(
        &v,
        &RenderOptions {
            lang: Lang::En,
            ..o
        },
    );
    assert_eq!(
        by_name(&en, "fee")["help"],
        "Incl. tax\nIn capitals: 叁拾柒元伍角"
    );
}

#[test]
fn draft_forms_require_nothing() {
    let t = templates::get("event_signup").unwrap();
    let (_, v) = published(&t.definition, settings());
    let form = render(
        &v,
        &RenderOptions {
            draft: true,
            ..opts(Lang::En, &NoLookup)
        },
    );
    assert_eq!(form["submit_label"], "Save draft");
    for f in form["fields"].as_array().unwrap() {
        assert_eq!(f["required"], false, "{}", f["name"]);
    }
    // Bounds on values still hold; bounds on lengths and counts do not.
    assert_eq!(by_name(&form, "attendees")["min"], 1.0);
    assert_eq!(by_name(&form, "phone")["pattern"], "1[3-9][0-9]{9}");
    let full = render(&v, &opts(Lang::Zh, &NoLookup));
    assert_eq!(by_name(&full, "name")["required"], true);
    assert_eq!(
        by_name(&full, "phone")["pattern_message"],
        "请输入 11 位手机号码，如 13800138000。"
    );
    assert_eq!(
        by_name(&full, "dietary")["options"][0],
        json!({"value": "vegetarian", "label": "素食"})
    );
    assert_eq!(
        by_name(&full, "allergy")["visible_when"],
        json!({"field": "dietary", "values": ["allergy"]})
    );
}

#[test]
fn values_from_another_version_are_shown_only_where_they_fit() {
    let mut color = field("color", Kind::Select);
    color.options = vec![crate::domain::definition::Choice::new(
        "red",
        text("Red", "红"),
    )];
    let mut tags = field("tags", Kind::MultiSelect);
    tags.options = vec![crate::domain::definition::Choice::new("a", text("A", "甲"))];
    let mut qty = field("qty", Kind::Number);
    qty.max = Some(10.0);
    let mut fee = field("fee", Kind::Money);
    fee.min = Some(0.0);
    let mut items = field("items", Kind::Table);
    let mut amount = Column::new("amount", text("Amount", "金额"), Kind::Formula);
    amount.formula = Some(Formula {
        expression: "qty * 2".into(),
        result: FormulaResult::Number,
    });
    items.columns = vec![
        Column::new("qty", text("Qty", "数量"), Kind::Number),
        amount,
    ];
    let def = definition(vec![color, tags, qty, fee, items]);
    let (_, v) = published(&def, settings());
    let old = values(json!({
        "color": "blue",
        "tags": ["a", "gone"],
        "qty": 12,
        "fee": "-1.00",
        "items": [{"qty": 2, "amount": 4, "removed": "x"}, "not a row"]
    }));
    let form = render(
        &v,
        &RenderOptions {
            prefill: Some(&old),
            ..opts(Lang::En, &NoLookup)
        },
    );
    assert_eq!(by_name(&form, "color")["default"], Value::Null);
    assert_eq!(by_name(&form, "tags")["default"], json!(["a"]));
    assert_eq!(by_name(&form, "qty")["default"], Value::Null);
    assert_eq!(by_name(&form, "fee")["default"], Value::Null);
    assert_eq!(by_name(&form, "items")["default"], json!([{"qty": 2}]));
    let mut short = def.clone();
    short.fields[0].kind = Kind::Text;
    short.fields[0].options.clear();
    short.fields[0].min = Some(5.0);
    short.fields[4].min = Some(2.0);
    let (_, sv) = published(&short, settings());
    let form = render(
        &sv,
        &RenderOptions {
            prefill: Some(&old),
            ..opts(Lang::En, &NoLookup)
        },
    );
    assert_eq!(by_name(&form, "color")["default"], Value::Null, "too short");
    assert_eq!(
        by_name(&form, "items")["default"],
        Value::Null,
        "too few rows"
    );
    let fine = values(json!({"color": "red", "qty": 10, "fee": "0.00"}));
    let form = render(
        &v,
        &RenderOptions {
            prefill: Some(&fine),
            ..opts(Lang::En, &NoLookup)
        },
    );
    assert_eq!(by_name(&form, "color")["default"], "red");
    assert_eq!(by_name(&form, "qty")["default"], 10);
    assert_eq!(by_name(&form, "fee")["default"], "0.00");
}
