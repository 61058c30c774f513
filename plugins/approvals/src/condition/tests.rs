use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn cmp(field: &str, op: Op, value: Value) -> Condition {
    Condition::compare(field, op, value)
}

fn holds(c: &Condition, values: Value) -> bool {
    c.evaluate(&values, None)
}

fn form() -> Value {
    json!({"fields": [
        {"name": "amount", "kind": "money", "label": {"en": "Amount", "zh-CN": "金额"}},
        {"name": "type", "kind": "select", "label": "Type",
         "options": [{"value": "travel", "label": "Travel"}, {"value": "meal", "label": "Meal"}]},
        {"name": "day", "kind": "date", "label": "Day"},
        {"name": "tags", "kind": "multi_select", "label": "Tags"},
    ]})
}

#[test]
fn money_compares_as_exact_decimals() {
    let over = cmp("amount", Op::Gt, json!("5000"));
    assert!(!holds(&over, json!({"amount": "5000.00"})));
    assert!(!holds(&over, json!({"amount": "5000"})));
    assert!(holds(&over, json!({"amount": "5000.01"})));
    assert!(holds(&over, json!({"amount": "5000.000000000000000001"})));
    assert!(!holds(&over, json!({"amount": "4999.999999999999999999"})));
    assert!(holds(&over, json!({"amount": 5000.5})));
    assert!(holds(&over, json!({"amount": "12000"})));
    assert!(!holds(&over, json!({"amount": "-9000"})));

    let at_least = cmp("amount", Op::Ge, json!(5000));
    assert!(holds(&at_least, json!({"amount": "5000.00"})));
    assert!(holds(
        &cmp("amount", Op::Eq, json!("5000")),
        json!({"amount": "5000.000"})
    ));
    assert!(holds(
        &cmp("amount", Op::Le, json!("0.1")),
        json!({"amount": 0.1})
    ));
    assert!(holds(
        &cmp("amount", Op::Lt, json!("-0.5")),
        json!({"amount": "-1"})
    ));
    assert!(holds(
        &cmp("amount", Op::Eq, json!(0)),
        json!({"amount": "-0.00"})
    ));
    assert!(holds(
        &cmp("amount", Op::Gt, json!("1e3")),
        json!({"amount": "1000.5"})
    ));
}

#[test]
fn decimals_parse_strictly() {
    for bad in [
        "", "-", ".", "1.2.3", "12a", "1e", "e5", "5,000", "0x10", "١٢",
    ] {
        assert_eq!(Decimal::parse(bad), None, "{bad:?}");
    }
    assert_eq!(Decimal::parse(" 007.50 "), Decimal::parse("7.5"));
    assert_eq!(Decimal::parse(".5"), Decimal::parse("0.5"));
    assert_eq!(Decimal::parse("5."), Decimal::parse("5"));
    assert_eq!(Decimal::parse("-0"), Decimal::parse("0"));
    assert!(
        Decimal::parse("1e999999999999").unwrap()
            > Decimal::parse("9".repeat(500).as_str()).unwrap()
    );
}

#[test]
fn dates_compare_as_dates_and_mixed_kinds_never_order() {
    let after = cmp("day", Op::Gt, json!("2024-12-31"));
    assert!(holds(&after, json!({"day": "2025-01-01"})));
    assert!(!holds(&after, json!({"day": "2024-12-31"})));
    assert!(holds(
        &cmp("day", Op::Le, json!("2024-12-31")),
        json!({"day": "2024-02-29"})
    ));
    // A date is not a number, and words have no order here.
    assert!(!holds(
        &cmp("day", Op::Gt, json!(5)),
        json!({"day": "2025-01-01"})
    ));
    assert!(!holds(
        &cmp("type", Op::Gt, json!("a")),
        json!({"type": "b"})
    ));
    assert!(!holds(
        &cmp("type", Op::Lt, json!("a")),
        json!({"type": "b"})
    ));
}

#[test]
fn selects_in_and_contains() {
    assert!(holds(
        &cmp("type", Op::Eq, json!("travel")),
        json!({"type": "travel"})
    ));
    assert!(holds(
        &cmp("type", Op::Ne, json!("travel")),
        json!({"type": "meal"})
    ));
    let listed = cmp("type", Op::In, json!(["travel", "meal"]));
    assert!(holds(&listed, json!({"type": "meal"})));
    assert!(!holds(&listed, json!({"type": "other"})));

    let tags = json!({"tags": ["urgent", "client"]});
    assert!(holds(
        &cmp("tags", Op::Contains, json!("urgent")),
        tags.clone()
    ));
    assert!(!holds(
        &cmp("tags", Op::Contains, json!("internal")),
        tags.clone()
    ));
    assert!(holds(
        &cmp("tags", Op::Contains, json!(["client", "urgent"])),
        tags.clone()
    ));
    assert!(!holds(
        &cmp("tags", Op::Contains, json!(["client", "x"])),
        tags.clone()
    ));
    assert!(!holds(&cmp("tags", Op::Contains, json!([])), tags.clone()));
    assert!(holds(&cmp("tags", Op::In, json!(["client"])), tags));
    assert!(holds(
        &cmp("note", Op::Contains, json!("VIP")),
        json!({"note": "a VIP guest"})
    ));
}

#[test]
fn a_missing_field_is_false_whatever_the_operator() {
    for op in [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::In,
        Op::Contains,
    ] {
        let c = cmp("amount", op, json!(["1"]));
        assert!(!holds(&c, json!({})), "{op:?}");
        assert!(!holds(&c, json!({"amount": null})), "{op:?}");
        assert!(!holds(&c, json!("not an object")), "{op:?}");
    }
    assert!(holds(
        &Condition::Not(Box::new(cmp("amount", Op::Gt, json!(1)))),
        json!({})
    ));
}

#[test]
fn combinators_and_departments() {
    let big_sales = Condition::All(vec![
        cmp("amount", Op::Gt, json!("5000")),
        Condition::DepartmentIn {
            ids: vec!["sales".into(), "bd".into()],
        },
    ]);
    let v = json!({"amount": "8000"});
    assert!(big_sales.evaluate(&v, Some("sales")));
    assert!(!big_sales.evaluate(&v, Some("rnd")));
    assert!(!big_sales.evaluate(&v, None));
    assert!(Condition::All(vec![]).evaluate(&v, None));
    assert!(!Condition::Any(vec![]).evaluate(&v, None));
    let either = Condition::Any(vec![cmp("amount", Op::Lt, json!(1)), big_sales]);
    assert!(either.evaluate(&v, Some("bd")));
}

#[test]
fn descriptions_use_labels_in_both_languages() {
    let f = form();
    let c = cmp("amount", Op::Gt, json!("5000"));
    assert_eq!(c.describe("en", &f), "Amount > 5000");
    assert_eq!(c.describe("zh-CN", &f), "金额 > 5000");
    let travel = cmp("type", Op::In, json!(["travel", "meal"]));
    assert_eq!(travel.describe("en", &f), "Type is one of Travel, Meal");
    assert_eq!(travel.describe("zh-CN", &f), "Type为 Travel、Meal 之一");
    let both = Condition::All(vec![
        c.clone(),
        Condition::Any(vec![
            cmp("type", Op::Eq, json!("travel")),
            Condition::DepartmentIn {
                ids: vec!["d1".into()],
            },
        ]),
    ]);
    assert_eq!(
        both.describe_with("en", &f, &|id| (id == "d1").then(|| "Sales".to_string())),
        "Amount > 5000 and (Type = Travel or department is Sales)"
    );
    assert_eq!(
        both.describe("zh-CN", &f),
        "金额 > 5000 且 （Type = Travel 或 部门属于 d1）"
    );
    assert_eq!(
        Condition::Not(Box::new(c)).describe("en", &f),
        "not (Amount > 5000)"
    );
    assert_eq!(
        cmp("unknown", Op::Le, json!(3)).describe("en", &f),
        "unknown ≤ 3"
    );
}

#[test]
fn json_round_trips() {
    let c = Condition::All(vec![
        cmp("amount", Op::Gt, json!("5000")),
        Condition::Not(Box::new(Condition::DepartmentIn {
            ids: vec!["d1".into()],
        })),
    ]);
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(
        v,
        json!({"kind": "all", "of": [
            {"kind": "compare", "field": "amount", "op": "gt", "value": "5000"},
            {"kind": "not", "of": {"kind": "department_in", "ids": ["d1"]}},
        ]})
    );
    assert_eq!(Condition::parse(&v).unwrap(), c);
    let symbolic = json!({"kind": "compare", "field": "amount", "op": ">=", "value": 1});
    assert_eq!(
        Condition::parse(&symbolic).unwrap(),
        cmp("amount", Op::Ge, json!(1))
    );
}

fn nested(depth: usize) -> Value {
    let mut v = json!({"kind": "compare", "field": "a", "op": "eq", "value": 1});
    for _ in 1..depth {
        v = json!({"kind": "not", "of": v});
    }
    v
}

#[test]
fn admin_conditions_are_limited() {
    assert!(Condition::parse(&nested(MAX_DEPTH)).is_ok());
    let deep = Condition::parse(&nested(MAX_DEPTH + 1))
        .unwrap_err()
        .to_string();
    assert!(
        deep.contains("more than 8 levels") && deep.contains("条件嵌套过深"),
        "{deep}"
    );
    // Far deeper than serde_json's own recursion limit: a clean error, no stack overflow.
    let text = format!(
        "{}{}{}",
        r#"{"kind":"not","of":"#.repeat(5000),
        r#"{"kind":"compare","field":"a","op":"eq","value":1}"#,
        "}".repeat(5000)
    );
    assert!(serde_json::from_str::<Condition>(&text).is_err());

    let leaf = json!({"kind": "compare", "field": "a", "op": "eq", "value": 1});
    let wide = |n: usize| json!({"kind": "any", "of": vec![leaf.clone(); n]});
    assert!(Condition::parse(&wide(MAX_NODES - 1)).is_ok());
    let large = Condition::parse(&wide(MAX_NODES)).unwrap_err().to_string();
    assert!(large.contains("more than 100 parts"), "{large}");

    let bad_in = json!({"kind": "compare", "field": "t", "op": "in", "value": "x"});
    assert!(
        Condition::parse(&bad_in)
            .unwrap_err()
            .to_string()
            .contains("needs a list")
    );
    let no_field = json!({"kind": "compare", "field": "", "op": "eq", "value": 1});
    assert!(Condition::parse(&no_field).is_err());
    // The same limits for conditions built in code.
    let mut c = cmp("a", Op::Eq, json!(1));
    for _ in 0..MAX_DEPTH {
        c = Condition::Not(Box::new(c));
    }
    assert_eq!(c.check(), Err(ConditionError::TooDeep { max: MAX_DEPTH }));
}

#[test]
fn fields_lists_each_field_once() {
    let c = Condition::Any(vec![
        cmp("amount", Op::Gt, json!(1)),
        Condition::Not(Box::new(cmp("type", Op::Eq, json!("x")))),
        cmp("amount", Op::Lt, json!(9)),
    ]);
    assert_eq!(c.fields(), vec!["amount", "type"]);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[-+0-9.eE]{0,12}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}.{0,3}".prop_map(Value::String),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Eq),
        Just(Op::Ne),
        Just(Op::Gt),
        Just(Op::Ge),
        Just(Op::Lt),
        Just(Op::Le),
        Just(Op::In),
        Just(Op::Contains),
    ]
}

/// Twice `n.5` (for `n` ≥ 0) or `n.5` with the sign of `n`.
fn half(n: i64) -> i128 {
    i128::from(n) * 2 + if n >= 0 { 1 } else { -1 }
}

proptest! {
    #[test]
    fn evaluation_never_panics(values in any_json(), expected in any_json(), op in any_op(), dept in proptest::option::of("[a-c]")) {
        let c = Condition::All(vec![
            cmp("a", op, expected.clone()),
            Condition::Not(Box::new(cmp("b", op, expected))),
        ]);
        let _ = c.evaluate(&values, dept.as_deref());
        let _ = c.describe("zh-CN", &values);
    }

    #[test]
    fn parsing_arbitrary_json_never_panics(json in any_json()) {
        if let Ok(c) = Condition::parse(&json) {
            prop_assert!(c.check().is_ok());
            let _ = c.evaluate(&json, None);
        }
    }

    #[test]
    fn decimal_order_matches_integer_order(a in any::<i64>(), b in any::<i64>()) {
        let (x, y) = (Decimal::parse(&a.to_string()).unwrap(), Decimal::parse(&b.to_string()).unwrap());
        prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        let (x, y) = (Decimal::parse(&format!("{a}.50")).unwrap(), Decimal::parse(&format!("{b}.5")).unwrap());
        prop_assert_eq!(x.cmp(&y), half(a).cmp(&half(b)));
    }
}
