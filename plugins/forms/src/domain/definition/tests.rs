use serde_json::json;

use super::*;
use crate::domain::error::Problem as P;
use crate::domain::testkit::{CST, NOW, definition, field, person, published, settings, text};
use crate::domain::time::DAY_MS;

/// A definition using most kinds, valid.
fn base() -> Definition {
    let mut color = field("color", Kind::Select);
    color.options = vec![
        Choice::new("red", text("Red", "红")),
        Choice::new("blue", text("Blue", "蓝")),
    ];
    let mut items = field("items", Kind::Table);
    let mut amount = Column::new("amount", text("Amount", "金额"), Kind::Formula);
    amount.formula = Some(Formula {
        expression: "qty * price".into(),
        result: FormulaResult::Money,
    });
    items.columns = vec![
        Column::new("item", text("Item", "品名"), Kind::Text),
        Column::new("qty", text("Qty", "数量"), Kind::Number),
        Column::new("price", text("Price", "单价"), Kind::Money),
        amount,
    ];
    let mut total = field("total", Kind::Formula);
    total.formula = Some(Formula {
        expression: "sum(items.amount) + fee".into(),
        result: FormulaResult::Money,
    });
    total.show_capitals = true;
    let mut fee = field("fee", Kind::Money);
    fee.min = Some(0.0);
    fee.max = Some(100.5);
    let mut note = field("note", Kind::Text);
    note.visible_when = Some(Condition {
        field: "color".into(),
        values: vec!["red".into()],
    });
    note.pattern = Some("[a-z]+".into());
    definition(vec![
        field("serial_no", Kind::Serial),
        field("name", Kind::Text),
        color,
        note,
        items,
        fee,
        total,
        field("when", Kind::DateRange),
    ])
}

/// The codes and paths of the problems of `base()` changed by `change`.
fn problems(change: impl FnOnce(&mut Definition)) -> Vec<(String, &'static str)> {
    let mut d = base();
    change(&mut d);
    d.validate().iter().map(|e| (e.path(), e.code())).collect()
}

fn one(change: impl FnOnce(&mut Definition)) -> (String, &'static str) {
    let p = problems(change);
    assert_eq!(p.len(), 1, "{p:?}");
    p.into_iter().next().unwrap_or_default()
}

fn at<'a>(d: &'a mut Definition, name: &str) -> &'a mut Field {
    d.fields.iter_mut().find(|f| f.name == name).expect("field")
}

fn col<'a>(d: &'a mut Definition, name: &str) -> &'a mut Column {
    at(d, "items")
        .columns
        .iter_mut()
        .find(|c| c.name == name)
        .expect("column")
}

#[test]
fn the_base_definition_is_valid() {
    assert_eq!(base().validate(), vec![]);
}

#[test]
fn form_level_problems() {
    assert_eq!(
        one(|d| d.title = Text::default()),
        ("".into(), "title_missing")
    );
    assert_eq!(
        one(|d| d.title = Text::same("x".repeat(201))),
        ("".into(), "too_long")
    );
    assert_eq!(
        one(|d| d.title = Text::new("a\nb", "甲")),
        ("".into(), "control_chars")
    );
    assert_eq!(
        one(|d| d.description = Text::same("说".repeat(2001))),
        ("".into(), "too_long")
    );
    // Line breaks are fine in a description.
    assert_eq!(problems(|d| d.description = Text::same("one\ntwo")), vec![]);
    assert_eq!(one(|d| d.fields.clear()), ("".into(), "no_fields"));
    assert_eq!(
        one(|d| {
            d.fields = (0..61)
                .map(|i| field(&format!("f{i}"), Kind::Text))
                .collect();
        }),
        ("".into(), "too_many_fields")
    );
    assert_eq!(
        one(|d| {
            let mut s = field("serial_two", Kind::Serial);
            s.serial = Some(SerialFormat::default());
            d.fields.push(s);
        }),
        ("".into(), "too_many_serials")
    );
    assert!(
        problems(|d| {
            let f = at(d, "color");
            f.options = (0..200)
                .map(|i| Choice::new(format!("o{i}"), Text::same("x".repeat(200))))
                .collect();
        })
        .contains(&("".into(), "too_large"))
    );
}

#[test]
fn names_and_labels() {
    for bad in ["", "Name", "na-me", "名字", &"a".repeat(65)] {
        assert_eq!(
            one(|d| at(d, "name").name = bad.into()).1,
            "bad_name",
            "{bad}"
        );
    }
    assert_eq!(
        one(|d| at(d, "when").name = "name".into()),
        ("name".into(), "duplicate_name")
    );
    assert_eq!(
        one(|d| at(d, "name").label = Text::default()),
        ("name".into(), "label_missing")
    );
    assert_eq!(
        one(|d| at(d, "name").label = Text::same("l".repeat(201))),
        ("name".into(), "too_long")
    );
    assert_eq!(
        one(|d| at(d, "name").label = Text::same("a\tb")),
        ("name".into(), "control_chars")
    );
    assert_eq!(
        one(|d| at(d, "name").placeholder = Some(Text::same("p".repeat(201)))),
        ("name".into(), "too_long")
    );
    assert_eq!(
        one(|d| at(d, "name").help = Some(Text::same("h".repeat(801)))),
        ("name".into(), "too_long")
    );
}

#[test]
fn unknown_kinds_are_named_when_read() {
    let errors = Definition::from_json(&json!({
        "title": "T",
        "fields": [
            {"name": "a", "label": {"en": "A", "zh": "甲"}, "kind": "signature"},
            {"name": "t", "label": "T", "kind": "table", "columns": [
                {"name": "c", "label": "C", "kind": "rating"}
            ]}
        ]
    }))
    .unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].code(), "unknown_kind");
    assert_eq!(
        errors[0].message(Lang::En),
        "“A” (a): “signature” is not a known field type."
    );
    assert_eq!(
        errors[0].message(Lang::Zh),
        "“甲”（a）：“signature”不是已知的字段类型。"
    );
    assert_eq!(errors[1].path(), "t.c");
    assert_eq!(
        errors[1].message(Lang::En),
        "“T” (t), column “C” (c): “rating” is not a known field type."
    );
    assert_eq!(
        errors[1].message(Lang::Zh),
        "“T”（t）的列“C”（c）：“rating”不是已知的字段类型。"
    );

    let malformed =
        Definition::from_json(&json!({"title": "T", "fields": [{"name": "a"}]})).unwrap_err();
    assert_eq!(malformed[0].code(), "malformed");
    assert!(malformed[0].message(Lang::Zh).starts_with("无法读取表单："));
    assert!(
        malformed[0]
            .message(Lang::En)
            .starts_with("The form could not be read: ")
    );

    let read = Definition::from_json(&serde_json::to_value(base()).unwrap()).unwrap();
    assert_eq!(read, base());
    // Plain-string labels are read as both languages.
    let plain = Definition::from_json(&json!({
        "title": "日报", "fields": [{"name": "a", "label": "工作", "kind": "textarea", "required": true}]
    }))
    .unwrap();
    assert_eq!(plain.fields[0].label, Text::same("工作"));
    assert!(plain.fields[0].required);
    assert_eq!(plain.validate(), vec![]);
}

#[test]
fn bounds() {
    assert_eq!(
        one(|d| at(d, "color").min = Some(1.0)),
        ("color".into(), "bounds_not_allowed")
    );
    assert_eq!(
        one(|d| at(d, "fee").max = Some(f64::INFINITY)),
        ("fee".into(), "bound_not_finite")
    );
    assert_eq!(
        one(|d| at(d, "name").min = Some(-1.0)),
        ("name".into(), "negative_bound")
    );
    assert_eq!(problems(|d| at(d, "fee").min = Some(-5.0)), vec![]);
    assert_eq!(
        one(|d| at(d, "fee").min = Some(200.0)),
        ("fee".into(), "min_above_max")
    );
    assert_eq!(
        one(|d| at(d, "fee").max = Some(1.005)),
        ("fee".into(), "money_bound")
    );
    assert_eq!(
        one(|d| at(d, "fee").max = Some(1e16)),
        ("fee".into(), "money_bound")
    );
    assert_eq!(
        one(|d| at(d, "name").max = Some(1001.0)),
        ("name".into(), "bound_above_cap")
    );
    assert_eq!(
        one(|d| at(d, "items").max = Some(201.0)),
        ("items".into(), "bound_above_cap")
    );
    assert_eq!(problems(|d| at(d, "when").max = Some(30.0)), vec![]);
    assert_eq!(
        one(|d| col(d, "qty").min = Some(f64::NAN)),
        ("items.qty".into(), "bound_not_finite")
    );
}

#[test]
fn patterns_options_and_columns() {
    assert_eq!(
        one(|d| at(d, "fee").pattern = Some("x".into())),
        ("fee".into(), "pattern_not_allowed")
    );
    assert_eq!(
        one(|d| at(d, "note").pattern = Some(String::new())),
        ("note".into(), "pattern_empty")
    );
    assert_eq!(
        one(|d| at(d, "note").pattern = Some("a".repeat(501))),
        ("note".into(), "too_long")
    );
    assert_eq!(
        one(|d| at(d, "note").pattern_message = Some(Text::same("m".repeat(201)))),
        ("note".into(), "too_long")
    );
    assert_eq!(
        one(|d| at(d, "color").options.clear()),
        ("color".into(), "options_missing")
    );
    assert_eq!(
        one(|d| at(d, "name").options = vec![Choice::new("a", Text::same("A"))]),
        ("name".into(), "options_not_allowed")
    );
    assert!(
        problems(|d| {
            at(d, "color").options = (0..201)
                .map(|i| Choice::new(i.to_string(), Text::same("o")))
                .collect();
        })
        .contains(&("color".into(), "too_many_options"))
    );
    assert_eq!(
        one(|d| at(d, "color")
            .options
            .push(Choice::new("", Text::same("Empty")))),
        ("color".into(), "option_blank")
    );
    assert_eq!(
        one(|d| at(d, "color")
            .options
            .push(Choice::new("green", Text::default()))),
        ("color".into(), "option_blank")
    );
    assert_eq!(
        one(|d| at(d, "color")
            .options
            .push(Choice::new("red", Text::same("Red again")))),
        ("color".into(), "duplicate_option")
    );
    assert_eq!(
        problems(|d| at(d, "items").columns.clear()),
        vec![
            ("items".into(), "columns_missing"),
            ("total".into(), "formula_unknown_column")
        ]
    );
    assert_eq!(
        one(|d| at(d, "name").columns = vec![Column::new("c", Text::same("C"), Kind::Text)]),
        ("name".into(), "columns_not_allowed")
    );
    assert_eq!(
        one(|d| {
            let t = at(d, "items");
            t.columns
                .extend((0..17).map(|i| Column::new(format!("c{i}"), Text::same("C"), Kind::Text)));
        }),
        ("items".into(), "too_many_columns")
    );
    assert_eq!(
        one(|d| at(d, "items")
            .columns
            .push(Column::new("sub", Text::same("Sub"), Kind::Table))),
        ("items.sub".into(), "column_kind")
    );
    assert_eq!(
        one(|d| at(d, "items")
            .columns
            .push(Column::new("no", Text::same("No"), Kind::Serial))),
        ("items.no".into(), "column_kind")
    );
    assert_eq!(
        one(|d| at(d, "items")
            .columns
            .push(Column::new("item", Text::same("Again"), Kind::Text))),
        ("items.item".into(), "duplicate_name")
    );
    assert_eq!(
        one(|d| col(d, "item").options = vec![Choice::new("a", Text::same("A"))]),
        ("items.item".into(), "options_not_allowed")
    );
}

#[test]
fn formulas() {
    let set = |d: &mut Definition, expr: &str| {
        at(d, "total").formula = Some(Formula {
            expression: expr.into(),
            result: FormulaResult::Money,
        });
    };
    assert_eq!(
        one(|d| at(d, "total").formula = None),
        ("total".into(), "formula_missing")
    );
    assert_eq!(
        one(|d| {
            at(d, "fee").formula = Some(Formula {
                expression: "1".into(),
                result: FormulaResult::Number,
            })
        }),
        ("fee".into(), "formula_not_allowed")
    );
    assert_eq!(one(|d| set(d, "fee +")), ("total".into(), "formula_syntax"));
    assert_eq!(one(|d| set(d, "")), ("total".into(), "formula_syntax"));
    assert_eq!(
        one(|d| set(d, "fee + tax")),
        ("total".into(), "formula_unknown_field")
    );
    assert_eq!(
        one(|d| set(d, "sum(items.weight)")),
        ("total".into(), "formula_unknown_column")
    );
    assert_eq!(
        one(|d| set(d, "sum(items.item)")),
        ("total".into(), "formula_not_numeric")
    );
    assert_eq!(
        one(|d| set(d, "name * 2")),
        ("total".into(), "formula_not_numeric")
    );
    assert_eq!(
        one(|d| set(d, "total + 1")),
        ("total".into(), "formula_self")
    );
    assert_eq!(
        one(|d| set(d, "items + 1")),
        ("total".into(), "formula_table")
    );
    assert_eq!(
        one(|d| set(d, "count(fee)")),
        ("total".into(), "formula_not_table")
    );
    assert_eq!(
        one(|d| set(d, "sum(fee.x)")),
        ("total".into(), "formula_not_table")
    );
    assert_eq!(
        one(|d| set(d, "count(nothing)")),
        ("total".into(), "formula_unknown_field")
    );
    assert_eq!(
        problems(|d| set(d, "fee + count(items) * days_off + 0")).len(),
        1
    );
    // A date range counts as its days, a checkbox as 0 or 1.
    assert_eq!(problems(|d| set(d, "when * 100 + fee")), vec![]);
    // A formula may only use formulas before it.
    assert_eq!(
        one(|d| {
            let mut later = field("later", Kind::Formula);
            later.formula = Some(Formula {
                expression: "1".into(),
                result: FormulaResult::Number,
            });
            d.fields.push(later);
            set(d, "later");
        }),
        ("total".into(), "formula_later")
    );
    let set_col = |d: &mut Definition, expr: &str| {
        col(d, "amount").formula = Some(Formula {
            expression: expr.into(),
            result: FormulaResult::Money,
        });
    };
    assert_eq!(
        one(|d| set_col(d, "qty * fee")),
        ("items.amount".into(), "formula_unknown_column")
    );
    assert_eq!(
        one(|d| set_col(d, "sum(items.qty)")),
        ("items.amount".into(), "formula_row_only")
    );
    assert_eq!(
        one(|d| set_col(d, "item * 2")),
        ("items.amount".into(), "formula_not_numeric")
    );
    assert_eq!(
        one(|d| set_col(d, "amount")),
        ("items.amount".into(), "formula_self")
    );
    assert_eq!(
        one(|d| col(d, "amount").formula = None),
        ("items.amount".into(), "formula_missing")
    );
    let e = {
        let mut d = base();
        set(&mut d, "fee + Tax");
        d.validate().remove(0)
    };
    assert_eq!(
        e.message(Lang::En),
        "“TOTAL” (total): the formula is invalid at character 7: unexpected character `T` (names are lowercase)."
    );
    assert_eq!(
        e.message(Lang::Zh),
        "“字段total”（total）：公式有误，第 7 个字符处：无法识别的字符“T”（名称须为小写）。"
    );
}

#[test]
fn conditions_and_loops() {
    let cond = |d: &mut Definition, name: &str, on: &str, values: Vec<String>| {
        at(d, name).visible_when = Some(Condition {
            field: on.into(),
            values,
        });
    };
    assert_eq!(
        one(|d| cond(d, "note", "fee", vec!["1".into()])),
        ("note".into(), "condition_unknown")
    );
    assert_eq!(
        one(|d| cond(d, "note", "ghost", vec!["1".into()])),
        ("note".into(), "condition_unknown")
    );
    assert_eq!(
        one(|d| cond(d, "fee", "items", vec!["1".into()])),
        ("fee".into(), "condition_table")
    );
    assert_eq!(
        one(|d| cond(d, "name", "serial_no", vec!["x".into()])),
        ("name".into(), "condition_serial")
    );
    assert_eq!(
        one(|d| cond(d, "note", "color", vec![])),
        ("note".into(), "condition_values")
    );
    assert_eq!(
        one(|d| cond(d, "note", "color", vec!["v".repeat(201)])),
        ("note".into(), "too_long")
    );
    // A formula that uses a later field whose condition uses the formula: a loop.
    let looped = problems(|d| {
        let mut x = field("x", Kind::Number);
        x.visible_when = Some(Condition {
            field: "total".into(),
            values: vec!["0".into()],
        });
        d.fields.push(x);
        at(d, "total").formula = Some(Formula {
            expression: "x".into(),
            result: FormulaResult::Money,
        });
    });
    assert_eq!(looped, vec![("total".into(), "dependency_loop")]);
}

#[test]
fn capitals_serials_and_defaults() {
    assert_eq!(
        one(|d| at(d, "name").show_capitals = true),
        ("name".into(), "capitals_not_money")
    );
    assert_eq!(problems(|d| at(d, "fee").show_capitals = true), vec![]);
    assert_eq!(
        one(|d| at(d, "name").serial = Some(SerialFormat::default())),
        ("name".into(), "serial_format_not_allowed")
    );
    for prefix in ["", "F G", "F/", &"X".repeat(17)] {
        assert_eq!(
            one(|d| {
                at(d, "serial_no").serial = Some(SerialFormat {
                    prefix: prefix.into(),
                    ..SerialFormat::default()
                })
            }),
            ("serial_no".into(), "bad_serial_prefix"),
            "{prefix}"
        );
    }
    assert_eq!(
        problems(|d| {
            at(d, "serial_no").serial = Some(SerialFormat {
                prefix: "报销-2".into(),
                ..SerialFormat::default()
            })
        }),
        vec![]
    );
    for digits in [2, 9] {
        assert_eq!(
            one(|d| {
                at(d, "serial_no").serial = Some(SerialFormat {
                    digits,
                    ..SerialFormat::default()
                })
            }),
            ("serial_no".into(), "bad_serial_digits")
        );
    }
    assert_eq!(
        one(|d| at(d, "total").default = Some(json!("1.00"))),
        ("total".into(), "default_not_allowed")
    );
    assert_eq!(
        one(|d| at(d, "serial_no").default = Some(json!("x"))),
        ("serial_no".into(), "default_not_allowed")
    );
    assert_eq!(
        problems(|d| at(d, "name").default = Some(json!("x"))),
        vec![]
    );
}

#[test]
fn problems_are_all_reported_in_order_and_capped() {
    let p = problems(|d| {
        at(d, "name").label = Text::default();
        at(d, "color").options.clear();
        d.title = Text::default();
    });
    assert_eq!(
        p,
        vec![
            ("".into(), "title_missing"),
            ("name".into(), "label_missing"),
            ("color".into(), "options_missing"),
        ]
    );
    let mut d = base();
    d.fields = (0..60)
        .map(|i| {
            let mut f = field(&format!("F{i}"), Kind::Select);
            f.min = Some(1.0);
            f
        })
        .collect();
    assert_eq!(d.validate().len(), MAX_ERRORS);
}

#[test]
fn messages_name_the_field_in_both_languages() {
    let mut d = base();
    at(&mut d, "fee").min = Some(200.0);
    let e = d.validate().remove(0);
    assert_eq!(e.message(Lang::En), "“FEE” (fee): min is greater than max.");
    assert_eq!(e.message(Lang::Zh), "“字段fee”（fee）：最小值大于最大值。");
    at(&mut d, "fee").label = Text::default();
    let e = d
        .validate()
        .into_iter()
        .find(|e| e.code() == "min_above_max")
        .unwrap();
    assert_eq!(e.message(Lang::En), "Field fee: min is greater than max.");
    assert_eq!(e.message(Lang::Zh), "字段 fee：最小值大于最大值。");
    let e = DefinitionError::form(P::NoFields);
    assert_eq!(e.message(Lang::En), "Add at least one field.");
    assert_eq!(e.message(Lang::Zh), "请至少添加一个字段。");
    assert_eq!(e.path(), "");
}

#[test]
fn settings_rules() {
    let codes = |s: &Settings, publishing: bool| -> Vec<&'static str> {
        s.validate(publishing, NOW, CST)
            .iter()
            .map(|e| e.code())
            .collect()
    };
    assert_eq!(codes(&settings(), true), Vec::<&str>::new());
    assert_eq!(codes(&Settings::default(), false), Vec::<&str>::new());
    assert_eq!(codes(&Settings::default(), true), vec!["audience_empty"]);
    let anon = Settings {
        anonymous: true,
        editable: true,
        ..settings()
    };
    assert_eq!(codes(&anon, false), vec!["anonymous_editable"]);
    let past = Settings {
        deadline_ms: Some(NOW - 1),
        ..settings()
    };
    assert_eq!(codes(&past, false), Vec::<&str>::new());
    assert_eq!(codes(&past, true), vec!["deadline_passed"]);
    let e = &past.validate(true, NOW, CST)[0];
    assert_eq!(
        e.message(Lang::En),
        "The deadline 2026-11-30 09:59 (UTC+08:00) has already passed."
    );
    assert_eq!(
        e.message(Lang::Zh),
        "截止时间 2026年11月30日 09:59（UTC+08:00）已经过去。"
    );
    let huge = Settings {
        audience: Audience {
            groups: vec![],
            people: (0..1001).map(|i| format!("p{i}")).collect(),
        },
        ..Settings::default()
    };
    assert_eq!(codes(&huge, false), vec!["audience_too_large"]);
    let bad = Settings {
        audience: Audience {
            groups: vec!["g 1".into()],
            people: vec![],
        },
        ..Settings::default()
    };
    assert_eq!(codes(&bad, false), vec!["bad_audience_id"]);
    let a = Audience {
        groups: vec!["g1".into()],
        people: vec!["p1".into()],
    };
    assert!(a.includes("p1", &[]));
    assert!(a.includes("p2", &["g1".into()]));
    assert!(!a.includes("p2", &["g2".into()]));
}

#[test]
fn publishing_makes_versions_and_keeps_old_ones() {
    let def = base();
    let mut form = Form::new(
        "f1",
        person("owner", "Owner"),
        def.title.clone(),
        settings(),
        NOW,
    );
    assert_eq!(form.status, FormStatus::Draft);
    assert_eq!(form.accepting(NOW, CST), Err(FormError::NotPublished));
    assert_eq!(
        form.close(NOW),
        Err(FormError::Status {
            from: FormStatus::Draft,
            to: FormStatus::Closed
        })
    );
    let v1 = form
        .publish(&def, None, "owner", NOW, CST)
        .unwrap()
        .unwrap();
    assert_eq!(
        (v1.number, form.latest_version, form.status),
        (1, 1, FormStatus::Published)
    );
    assert_eq!(v1.definition, def);
    assert_eq!(form.accepting(NOW, CST), Ok(()));
    // Publishing the same definition again makes no new version.
    assert_eq!(
        form.publish(&def, Some(&v1), "owner", NOW + 1, CST),
        Ok(None)
    );
    // Publishing against an outdated latest version is refused.
    assert_eq!(
        form.publish(&def, None, "owner", NOW, CST),
        Err(FormError::StaleVersion)
    );
    let mut changed = def.clone();
    changed.fields.push(field("extra", Kind::Number));
    let v2 = form
        .publish(&changed, Some(&v1), "admin", NOW + 2, CST)
        .unwrap()
        .unwrap();
    assert_eq!((v2.number, v2.published_by.as_str()), (2, "admin"));
    assert_eq!(v1.definition, def, "version 1 is untouched");
    // An invalid working copy is refused with every problem; nothing changes.
    let before = form.clone();
    let mut broken = changed.clone();
    broken.fields[1].name = "Bad".into();
    let Err(FormError::Invalid(errors)) = form.publish(&broken, Some(&v2), "owner", NOW + 3, CST)
    else {
        panic!("refused");
    };
    assert_eq!(errors[0].code(), "bad_name");
    assert_eq!(form, before);
    assert_eq!(form.check_draft(&broken).unwrap_err().code(), "invalid");
    assert_eq!(form.check_draft(&changed), Ok(()));
    // Closing, then reopening without changes.
    form.close(NOW + 4).unwrap();
    assert_eq!(form.accepting(NOW + 4, CST), Err(FormError::Closed));
    assert_eq!(
        form.publish(&changed, Some(&v2), "owner", NOW + 5, CST),
        Ok(None)
    );
    assert_eq!(form.status, FormStatus::Published);
    // Versions read back from storage as they were.
    let stored: Version = serde_json::from_value(serde_json::to_value(&v1).unwrap()).unwrap();
    assert_eq!(stored, v1);
}

#[test]
fn deadlines_and_settings_changes() {
    let (mut form, _) = published(&base(), settings());
    let deadline = NOW + DAY_MS;
    form.set_settings(
        Settings {
            deadline_ms: Some(deadline),
            ..settings()
        },
        NOW,
        CST,
    )
    .unwrap();
    assert_eq!(form.accepting(deadline, CST), Ok(()));
    let late = form.accepting(deadline + 1, CST).unwrap_err();
    assert_eq!(
        late.en(),
        "The deadline for this form was 2026-12-01 10:00 (UTC+08:00); answers can no longer be given or changed."
    );
    assert_eq!(
        late.zh(),
        "该表单已于 2026年12月1日 10:00（UTC+08:00）截止，不再接受填写或修改。"
    );
    // A published form cannot get a deadline in the past.
    let err = form
        .set_settings(
            Settings {
                deadline_ms: Some(NOW - 1),
                ..settings()
            },
            NOW,
            CST,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid");
    // Anonymity is fixed once published.
    let err = form
        .set_settings(
            Settings {
                anonymous: true,
                ..settings()
            },
            NOW,
            CST,
        )
        .unwrap_err();
    let FormError::Invalid(errors) = err else {
        panic!()
    };
    assert_eq!(errors[0].code(), "anonymous_locked");
    assert_eq!(
        errors[0].message(Lang::Zh),
        "表单发布后不能再更改是否匿名。"
    );
    // Before publishing, anything goes (the audience comes later).
    let mut draft = Form::new(
        "f2",
        person("o", "O"),
        Text::same("T"),
        Settings::default(),
        NOW,
    );
    draft
        .set_settings(
            Settings {
                anonymous: true,
                ..Settings::default()
            },
            NOW,
            CST,
        )
        .unwrap();
    assert!(draft.settings.anonymous);
    assert!(form.may_manage("owner", false));
    assert!(form.may_manage("someone", true));
    assert!(!form.may_manage("someone", false));
    assert_eq!(
        FormError::Forbidden.zh(),
        "只有表单的创建者或管理员可以这样做。"
    );
}

#[test]
fn kinds_round_trip_their_names() {
    for k in Kind::ALL {
        assert_eq!(Kind::from_name(k.as_str()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        assert!(!k.label(Lang::Zh).is_empty());
    }
    assert_eq!(Kind::from_name("rating"), None);
}
