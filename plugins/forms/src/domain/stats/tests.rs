use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::domain::anonymity::respondent_key;
use crate::domain::definition::{Choice, Column, Definition, Formula, FormulaResult};
use crate::domain::submission::SubmissionStatus;
use crate::domain::testkit::{
    NOW, definition, field, person, published, settings, submitted, text,
};

fn choices(names: &[&str]) -> Vec<Choice> {
    names
        .iter()
        .map(|n| Choice::new(*n, text(&n.to_uppercase(), &format!("选{n}"))))
        .collect()
}

fn def() -> Definition {
    let mut color = field("color", Kind::Select);
    color.options = choices(&["red", "blue", "green"]);
    let mut tags = field("tags", Kind::MultiSelect);
    tags.options = choices(&["a", "b", "c"]);
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
    definition(vec![
        field("no", Kind::Serial),
        field("qty", Kind::Number),
        field("fee", Kind::Money),
        color,
        tags,
        field("ok", Kind::Checkbox),
        field("day", Kind::Date),
        field("trip", Kind::DateRange),
        items,
        field("who", Kind::People),
        field("dept", Kind::Department),
        total,
        field("note", Kind::Text),
    ])
}

fn answers() -> Vec<Submission> {
    let mut draft = submitted(
        "d",
        1,
        Some("carol"),
        json!({"qty": 1000, "fee": "999.00"}),
        NOW,
    );
    draft.status = SubmissionStatus::Draft;
    vec![
        submitted(
            "s1",
            1,
            Some("alice"),
            json!({
                "qty": 2, "fee": "0.10", "color": "red", "tags": ["a", "b"], "ok": true,
                "day": "2026-11-01", "trip": {"start": "2026-11-01", "end": "2026-11-03"},
                "items": [{"item": "A", "qty": 2, "price": "1.50", "amount": "3.00"}],
                "who": ["u1", "u2"], "dept": "d1", "total": "3.10", "note": "hi"
            }),
            NOW,
        ),
        submitted(
            "s2",
            1,
            Some("bob"),
            json!({
                "qty": 3.5, "fee": "0.20", "color": "blue", "tags": ["b"], "ok": false,
                "day": "2026-10-15", "trip": {"start": "2026-11-05", "end": "2026-11-05"},
                "items": [
                    {"item": "A", "qty": 1, "price": "0.10", "amount": "0.10"},
                    {"item": "B", "qty": 3, "price": "0.20", "amount": "0.60"}
                ],
                "who": ["u1"], "dept": "d1", "total": "0.90", "note": null
            }),
            NOW + 1,
        ),
        submitted(
            "s3",
            1,
            None,
            json!({
                "qty": null, "fee": "-0.05", "color": "red", "tags": [], "ok": true,
                "day": null, "trip": null, "items": null, "who": null, "dept": "d2",
                "total": "0.00", "note": "x"
            }),
            NOW + 2,
        ),
        draft,
        submitted(
            "s4",
            2,
            Some("dave"),
            json!({"qty": "many", "fee": "1.00", "color": "yellow"}),
            NOW + 3,
        ),
    ]
}

fn get<'a>(stats: &'a [FieldStats], name: &str) -> &'a FieldStats {
    stats
        .iter()
        .find(|s| s.name == name)
        .expect("stats of the field")
}

fn counts(s: &FieldStats) -> (usize, usize, usize) {
    (s.answered, s.empty, s.unreadable)
}

fn option_counts(s: &FieldStats) -> Vec<(String, usize, f64)> {
    let Summary::Choices(options) = &s.summary else {
        panic!("choices expected, got {:?}", s.summary)
    };
    options
        .iter()
        .map(|o| (o.value.clone(), o.count, o.percent))
        .collect()
}

#[test]
fn statistics_of_one_version_by_hand() {
    let (_, v1) = published(&def(), settings());
    let stats = field_stats(&v1, &answers());
    assert!(
        stats.iter().all(|s| s.name != "no"),
        "serial numbers are not answers"
    );

    let qty = get(&stats, "qty");
    assert_eq!(counts(qty), (2, 1, 0));
    assert_eq!(
        qty.summary,
        Summary::Numbers(Numbers {
            sum: 5.5,
            average: 2.75,
            min: 2.0,
            max: 3.5
        })
    );

    let fee = get(&stats, "fee");
    assert_eq!(counts(fee), (3, 0, 0));
    let Summary::Amounts(a) = &fee.summary else {
        panic!()
    };
    assert_eq!(
        a.texts(),
        ["0.25", "0.08", "-0.05", "0.20"].map(String::from)
    );

    assert_eq!(
        option_counts(get(&stats, "color")),
        vec![
            ("red".into(), 2, 66.7),
            ("blue".into(), 1, 33.3),
            ("green".into(), 0, 0.0)
        ]
    );
    let tags = get(&stats, "tags");
    assert_eq!(counts(tags), (2, 1, 0));
    assert_eq!(
        option_counts(tags),
        vec![
            ("a".into(), 1, 50.0),
            ("b".into(), 2, 100.0),
            ("c".into(), 0, 0.0)
        ]
    );
    assert_eq!(
        option_counts(get(&stats, "ok")),
        vec![("true".into(), 2, 66.7), ("false".into(), 1, 33.3)]
    );
    assert_eq!(
        get(&stats, "day").summary,
        Summary::Dates {
            earliest: "2026-10-15".into(),
            latest: "2026-11-01".into()
        }
    );
    assert_eq!(
        get(&stats, "trip").summary,
        Summary::DateRanges {
            earliest_start: "2026-11-01".into(),
            latest_end: "2026-11-05".into(),
            total_days: 4,
            average_days: 2.0
        }
    );
    let items = get(&stats, "items");
    assert_eq!(counts(items), (2, 1, 0));
    let Summary::Table { rows, columns } = &items.summary else {
        panic!()
    };
    assert_eq!(*rows, 3);
    let sums: Vec<(String, usize, Option<String>)> = columns
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.filled,
                c.sum.as_ref().map(ColumnSum::text),
            )
        })
        .collect();
    assert_eq!(
        sums,
        vec![
            ("item".into(), 3, None),
            ("qty".into(), 3, Some("6".into())),
            ("price".into(), 3, Some("1.80".into())),
            ("amount".into(), 3, Some("3.70".into())),
        ]
    );
    assert_eq!(
        get(&stats, "who").summary,
        Summary::Top(vec![("u1".into(), 2), ("u2".into(), 1)])
    );
    assert_eq!(
        get(&stats, "dept").summary,
        Summary::Top(vec![("d1".into(), 2), ("d2".into(), 1)])
    );
    let Summary::Amounts(total) = &get(&stats, "total").summary else {
        panic!()
    };
    assert_eq!(cents::format(total.sum), "4.00");
    let note = get(&stats, "note");
    assert_eq!((counts(note), &note.summary), ((2, 1, 0), &Summary::Counts));
}

#[test]
fn money_is_exact() {
    let (_, v1) = published(&definition(vec![field("fee", Kind::Money)]), settings());
    let subs: Vec<Submission> = ["0.10", "0.20"]
        .iter()
        .enumerate()
        .map(|(i, fee)| submitted(&format!("s{i}"), 1, None, json!({"fee": fee}), NOW))
        .collect();
    let Summary::Amounts(a) = &field_stats(&v1, &subs)[0].summary else {
        panic!()
    };
    assert_eq!(a.sum, 30);
    assert_eq!(cents::format(a.sum), "0.30");
    assert_eq!(cents::format(a.average), "0.15");
    // Large amounts add exactly too: 15 integer digits, times many answers.
    let big: Vec<Submission> = (0..1000)
        .map(|i| {
            submitted(
                &format!("b{i}"),
                1,
                None,
                json!({"fee": "999999999999999.99"}),
                NOW,
            )
        })
        .collect();
    let Summary::Amounts(a) = &field_stats(&v1, &big)[0].summary else {
        panic!()
    };
    assert_eq!(cents::format(a.sum), "999999999999999990.00");
    assert_eq!(cents::format(a.average), "999999999999999.99");
}

#[test]
fn statistics_across_versions_match_fields_by_name_and_kind() {
    let (mut form, v1) = published(&def(), settings());
    let mut changed = def();
    changed.fields.retain(|f| f.name != "note");
    for f in &mut changed.fields {
        if f.name == "qty" {
            f.kind = Kind::Text;
        }
        if f.name == "color" {
            f.options = choices(&["red", "yellow"]);
        }
    }
    let v2 = form
        .publish(&changed, Some(&v1), "owner", NOW, 480)
        .unwrap()
        .unwrap();
    let stats = field_stats_across(&[v1.clone(), v2.clone()], &answers());
    assert!(
        stats.iter().all(|s| s.name != "note"),
        "only the latest version's fields"
    );
    // `qty` became text: only version 2's answer counts.
    assert_eq!(counts(get(&stats, "qty")), (1, 0, 0));
    let Summary::Amounts(fee) = &get(&stats, "fee").summary else {
        panic!()
    };
    assert_eq!(cents::format(fee.sum), "1.25");
    assert_eq!(
        option_counts(get(&stats, "color")),
        vec![
            ("red".into(), 2, 50.0),
            ("yellow".into(), 1, 25.0),
            ("blue".into(), 1, 25.0)
        ]
    );
    // Fields absent from an answer's version count neither way.
    assert_eq!(counts(get(&stats, "ok")), (3, 1, 0));
    assert_eq!(field_stats_across(&[], &answers()), vec![]);
    // One version alone is the same as field_stats.
    assert_eq!(
        field_stats_across(std::slice::from_ref(&v1), &answers()),
        field_stats(&v1, &answers())
    );
}

#[test]
fn odd_values_are_unreadable_not_fatal() {
    let (_, v1) = published(&def(), settings());
    let subs = vec![submitted(
        "s1",
        1,
        None,
        json!({"qty": "2", "fee": 0.1, "color": 3, "day": "tomorrow", "trip": {"start": "x"}, "items": "rows", "who": "u1"}),
        NOW,
    )];
    let stats = field_stats(&v1, &subs);
    for name in ["qty", "fee", "color", "day", "trip", "items", "who"] {
        assert_eq!(counts(get(&stats, name)), (0, 0, 1), "{name}");
    }
    assert_eq!(get(&stats, "qty").summary, Summary::Counts);
}

#[test]
fn summaries_read_in_both_languages() {
    let (_, v1) = published(&def(), settings());
    let stats = field_stats(&v1, &answers());
    assert_eq!(
        get(&stats, "fee").describe(Lang::En),
        "3 answered · 0 empty · sum 0.25 · average 0.08 · min -0.05 · max 0.20"
    );
    assert_eq!(
        get(&stats, "fee").describe(Lang::Zh),
        "已填 3 · 未填 0 · 合计 0.25 · 平均 0.08 · 最小 -0.05 · 最大 0.20"
    );
    assert_eq!(
        get(&stats, "color").describe(Lang::Zh),
        "已填 3 · 未填 0 · 选red 2 (66.7%) · 选blue 1 (33.3%) · 选green 0 (0%)"
    );
    assert_eq!(
        get(&stats, "qty").describe(Lang::En),
        "2 answered · 1 empty · sum 5.5 · average 2.75 · min 2 · max 3.5"
    );
    assert_eq!(
        get(&stats, "trip").describe(Lang::Zh),
        "已填 2 · 未填 1 · 2026-11-01 至 2026-11-05 · 共 4 天 · 平均 2 天"
    );
    assert_eq!(
        get(&stats, "items").describe(Lang::En),
        "2 answered · 1 empty · 3 rows · Qty 6 · Price 1.80 · Amount 3.70"
    );
    assert_eq!(
        get(&stats, "note").describe(Lang::En),
        "2 answered · 1 empty"
    );
}

#[test]
fn who_has_not_answered() {
    let audience = vec![
        person("alice", "Alice"),
        person("bob", "Bob"),
        person("carol", "Carol"),
        person("bob", "Bob"),
    ];
    let subs = answers();
    let named = outstanding(&audience, Answered::Named(&subs));
    assert_eq!(
        named,
        Outstanding {
            audience: 3,
            answered: 2,
            pending: 1,
            people: Some(vec![person("carol", "Carol")]),
        },
        "Carol's draft is not an answer"
    );
    assert_eq!(
        reminder_targets(&audience, Answered::Named(&subs)),
        ["carol"]
    );

    let secret = b"0123456789abcdef0123456789abcdef";
    let mut roll = Roll::default();
    roll.insert(respondent_key(secret, "f1", "alice"));
    roll.insert(respondent_key(secret, "f1", "someone-who-left"));
    let anonymous = Answered::Anonymous {
        roll: &roll,
        secret,
        form_id: "f1",
    };
    assert_eq!(
        outstanding(&audience, anonymous),
        Outstanding {
            audience: 3,
            answered: 1,
            pending: 2,
            people: None,
        }
    );
    assert_eq!(reminder_targets(&audience, anonymous), ["bob", "carol"]);
    // Another form's secret knows nobody.
    let other = Answered::Anonymous {
        roll: &roll,
        secret: b"another secret",
        form_id: "f1",
    };
    assert_eq!(outstanding(&audience, other).answered, 0);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        "[-0-9.a-z]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("2026-11-30"),
            Just("2026-02-30"),
            Just("12.50"),
            Just("-0.05"),
            Just("999999999999999.99"),
            Just("2026-11-30T08:00"),
            Just("red"),
            Just("a"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("start".to_string()),
                    Just("end".to_string()),
                    Just("qty".to_string()),
                    Just("price".to_string()),
                    Just("amount".to_string()),
                    "[a-z]{1,4}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn statistics_never_panic(rows in prop::collection::vec(prop::collection::vec(any_json(), 12), 0..8)) {
        let d = def();
        let (_, v1) = published(&d, settings());
        let names: Vec<&str> = d.fields.iter().filter(|f| f.answers()).map(|f| f.name.as_str()).collect();
        let subs: Vec<Submission> = rows
            .iter()
            .enumerate()
            .map(|(i, vals)| {
                let obj: serde_json::Map<String, Value> =
                    names.iter().zip(vals).map(|(n, v)| (n.to_string(), v.clone())).collect();
                submitted(&format!("s{i}"), 1, None, Value::Object(obj), NOW)
            })
            .collect();
        for s in field_stats(&v1, &subs) {
            prop_assert_eq!(s.answered + s.empty + s.unreadable, subs.len());
            let _ = s.describe(Lang::En);
            let _ = s.describe(Lang::Zh);
        }
        let _ = field_stats_across(std::slice::from_ref(&v1), &subs);
    }
}
