use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::domain::definition::{Choice, Column, Formula, FormulaResult};
use crate::domain::display::NoLookup;
use crate::domain::testkit::{CST, NOW, definition, field, published, settings, submitted, text};

/// A small RFC 4180 reader: rows of cells, the byte-order mark dropped.
fn parse(csv: &str) -> Vec<Vec<String>> {
    let body = csv.strip_prefix(BOM).unwrap_or(csv);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = body.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted, "unterminated quote");
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

struct Names;

impl Lookup for Names {
    fn person(&self, id: &str) -> Option<String> {
        match id {
            "u1" => Some("王小明".into()),
            "u2" => Some("=evil()".into()),
            _ => None,
        }
    }
    fn capitals(&self, cents: i64) -> Option<String> {
        match cents {
            -1250 => Some("负壹拾贰元伍角".into()),
            370 => Some("叁元柒角".into()),
            _ => None,
        }
    }
}

fn def() -> crate::domain::definition::Definition {
    let mut fee = field("fee", Kind::Money);
    fee.show_capitals = true;
    fee.label = text("Fee, net", "费用，净额");
    let mut tags = field("tags", Kind::MultiSelect);
    tags.options = vec![
        Choice::new("veg", text("Vegetarian", "素食")),
        Choice::new("halal", text("Halal", "清真")),
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
    let mut note = field("note", Kind::Textarea);
    note.label = text("=Note", "备注");
    definition(vec![
        field("no", Kind::Serial),
        field("qty", Kind::Number),
        fee,
        tags,
        field("trip", Kind::DateRange),
        field("who", Kind::People),
        items,
        note,
    ])
}

fn answers() -> Vec<Submission> {
    let mut edited = submitted(
        "s2",
        1,
        None,
        json!({"qty": 3, "fee": "-12.50", "note": "-1", "items": null}),
        NOW + 60_000,
    );
    edited.edits = 1;
    edited.updated_at_ms = NOW + 3_600_000;
    vec![
        edited,
        submitted(
            "s1",
            1,
            Some("u1"),
            json!({
                "qty": -2.5, "fee": "3.70", "tags": ["veg", "halal"],
                "trip": {"start": "2026-12-01", "end": "2026-12-03"},
                "who": ["u1", "u2"],
                "items": [
                    {"item": "纸, A4", "qty": 2, "price": "1.50", "amount": "3.00"},
                    {"item": "\"笔\"", "qty": 1, "price": "0.70", "amount": "0.70"}
                ],
                "note": "第一行\n=HYPERLINK(\"x\")"
            }),
            NOW,
        ),
    ]
}

#[test]
fn answers_export_with_chinese_headers() {
    let (_, v1) = published(&def(), settings());
    let out = answers_csv(
        &v1,
        std::slice::from_ref(&v1),
        &answers(),
        &CsvOptions {
            lang: Lang::Zh,
            offset_minutes: CST,
            lookup: &Names,
        },
    );
    assert!(out.starts_with(BOM));
    assert!(out.ends_with("\r\n"));
    let rows = parse(&out);
    assert_eq!(
        rows[0],
        [
            "流水号",
            "版本",
            "填写人",
            "填写人 ID",
            "提交时间",
            "修改时间",
            "字段qty",
            "费用，净额",
            "费用，净额（大写）",
            "字段tags",
            "字段trip",
            "字段trip（天数）",
            "字段who",
            "字段items",
            "备注"
        ]
    );
    assert_eq!(
        rows[1],
        [
            "F-s1",
            "1",
            "Name u1",
            "u1",
            "2026-11-30 10:00",
            "",
            "-2.5",
            "3.70",
            "叁元柒角",
            "素食；清真",
            "2026-12-01 至 2026-12-03",
            "3",
            "王小明；=evil()",
            "品名：纸, A4，数量：2，单价：1.50，金额：3.00；品名：\"笔\"，数量：1，单价：0.70，金额：0.70",
            "第一行\n=HYPERLINK(\"x\")",
        ]
    );
    // Anonymous: respondent left blank; negative amounts stay numbers; text is defused.
    assert_eq!(
        rows[2],
        [
            "F-s2",
            "1",
            "",
            "",
            "2026-11-30 10:01",
            "2026-11-30 11:00",
            "3",
            "-12.50",
            "负壹拾贰元伍角",
            "",
            "",
            "",
            "",
            "",
            "'-1"
        ]
    );
    assert_eq!(rows.len(), 3);
    // The raw text: the cell with a name starting with `=` is defused in the names list only
    // at its start, and numbers are not quoted.
    assert!(out.contains(",-12.50,"));
    assert!(out.contains(",'-1\r\n"));
}

#[test]
fn english_headers_and_injection_in_labels() {
    let (_, v1) = published(&def(), settings());
    let out = answers_csv(
        &v1,
        std::slice::from_ref(&v1),
        &answers(),
        &CsvOptions {
            lang: Lang::En,
            offset_minutes: 0,
            lookup: &NoLookup,
        },
    );
    let rows = parse(&out);
    assert_eq!(
        &rows[0][..6],
        [
            "Serial no.",
            "Version",
            "Respondent",
            "Respondent ID",
            "Submitted at",
            "Changed at"
        ]
    );
    assert_eq!(rows[0][7], "Fee, net");
    assert_eq!(rows[0][8], "Fee, net (in capitals)");
    assert_eq!(rows[0][14], "'=Note", "a label is people's text too");
    assert_eq!(rows[1][4], "2026-11-30 02:00", "UTC");
    assert_eq!(rows[1][8], "", "no converter, no capitals");
    assert_eq!(rows[1][12], "u1; u2", "ids when names are unknown");
}

#[test]
fn answers_of_other_versions_fill_the_fields_that_match() {
    let (mut form, v1) = published(&def(), settings());
    let mut changed = def();
    for f in &mut changed.fields {
        if f.name == "qty" {
            f.kind = Kind::Text;
        }
    }
    let v2 = form
        .publish(&changed, Some(&v1), "owner", NOW, CST)
        .unwrap()
        .unwrap();
    let mut subs = answers();
    subs.push(submitted(
        "s3",
        2,
        Some("u9"),
        json!({"qty": "=1+1", "fee": "1.00"}),
        NOW + 120_000,
    ));
    let opts = CsvOptions {
        lang: Lang::En,
        offset_minutes: CST,
        lookup: &NoLookup,
    };
    // Everything, read with version 1's fields: version 2's `qty` is text now, so blank.
    let all = parse(&answers_csv(&v1, &[v1.clone(), v2.clone()], &subs, &opts));
    assert_eq!(all.len(), 4);
    assert_eq!(
        (
            all[3][0].as_str(),
            all[3][1].as_str(),
            all[3][6].as_str(),
            all[3][7].as_str()
        ),
        ("F-s3", "2", "", "1.00")
    );
    // Read with version 2's fields, the text is defused.
    let latest = parse(&answers_csv(&v2, &[v1.clone(), v2.clone()], &subs, &opts));
    assert_eq!(latest[3][6], "'=1+1");
    assert_eq!(
        latest[1][6], "",
        "version 1's number is not version 2's text"
    );
    // Only version 2's answers.
    assert_eq!(
        parse(&answers_csv(&v2, std::slice::from_ref(&v2), &subs, &opts)).len(),
        2
    );
}

#[test]
fn one_row_per_table_row() {
    let (_, v1) = published(&def(), settings());
    let opts = CsvOptions {
        lang: Lang::Zh,
        offset_minutes: CST,
        lookup: &Names,
    };
    let rows =
        parse(&table_csv(&v1, std::slice::from_ref(&v1), "items", &answers(), &opts).unwrap());
    assert_eq!(
        rows[0],
        [
            "流水号",
            "填写人",
            "填写人 ID",
            "行号",
            "品名",
            "数量",
            "单价",
            "金额"
        ]
    );
    assert_eq!(
        rows[1],
        ["F-s1", "Name u1", "u1", "1", "纸, A4", "2", "1.50", "3.00"]
    );
    assert_eq!(
        rows[2],
        ["F-s1", "Name u1", "u1", "2", "\"笔\"", "1", "0.70", "0.70"]
    );
    assert_eq!(rows.len(), 3, "an answer without rows adds none");
    assert!(table_csv(&v1, std::slice::from_ref(&v1), "qty", &answers(), &opts).is_none());
    assert!(table_csv(&v1, std::slice::from_ref(&v1), "nothing", &answers(), &opts).is_none());
}

#[test]
fn cells() {
    assert_eq!(quote("plain"), "plain");
    assert_eq!(quote("a,b"), "\"a,b\"");
    assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(quote("两行\r\n"), "\"两行\r\n\"");
    assert_eq!(text_cell("=1+1"), "'=1+1");
    assert_eq!(text_cell("+86 138"), "'+86 138");
    assert_eq!(text_cell("-1"), "'-1");
    assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(text_cell("\tx"), "'\tx");
    assert_eq!(text_cell("\rx"), "\"'\rx\"");
    assert_eq!(text_cell("年假"), "年假");
    assert_eq!(number_cell("-12.50"), "-12.50");
    assert_eq!(number_cell("-2.5"), "-2.5");
    assert_eq!(number_cell("-1+2"), "'-1+2");
    assert_eq!(number_cell("1e300"), "1e300");
}

/// What a cell reads back as in a spreadsheet that honours the apostrophe.
fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

proptest! {
    #[test]
    fn quoting_round_trips(cells in prop::collection::vec("(?s).{0,20}", 1..6)) {
        let mut out = String::from(BOM);
        line(&mut out, &cells.iter().map(|c| text_cell(c)).collect::<Vec<_>>());
        let parsed = parse(&out);
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(&parsed[0], &cells.iter().map(|c| defused(c)).collect::<Vec<_>>());
    }

    #[test]
    fn plain_numbers_pass_unchanged(int in -1_000_000_000i64..1_000_000_000, frac in 0u32..100) {
        let text = format!("{int}.{frac:02}");
        prop_assert_eq!(number_cell(&text), text.clone());
        let mut out = String::new();
        line(&mut out, &[number_cell(&text), text_cell("x,y")]);
        prop_assert_eq!(&parse(&out)[0], &vec![text, "x,y".to_string()]);
    }

    #[test]
    fn number_cells_never_start_a_formula(s in "(?s).{0,12}") {
        let cell = number_cell(&s);
        let parsed = parse(&format!("{BOM}{cell}\r\n"));
        let read = parsed.first().and_then(|r| r.first()).cloned().unwrap_or_default();
        prop_assert!(!read.starts_with(['=', '+', '@', '\t', '\r']));
        prop_assert!(!read.starts_with('-') || crate::domain::cents::is_plain_number(&read));
    }
}
