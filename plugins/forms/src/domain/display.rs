//! Answers as people read them: a value of a field shown as text in the reader's language
//! (option labels, names for ids, `Yes`/`是`, table rows), used by the detail view and the
//! CSV export. Names and amounts in capitals come from the wiring through [`Lookup`].

use serde_json::{Map, Value};

use super::cents;
use super::definition::{Choice, Column, Field, Kind, Version, option_label};
use super::lang::Lang;
use super::submission::Submission;
use super::time::Date;

/// What the domain cannot know by itself. Every method may answer `None`; the id (or
/// nothing, for capitals) is shown then.
pub trait Lookup {
    fn person(&self, _id: &str) -> Option<String> {
        None
    }
    fn department(&self, _id: &str) -> Option<String> {
        None
    }
    fn group(&self, _id: &str) -> Option<String> {
        None
    }
    /// A file's name.
    fn file(&self, _id: &str) -> Option<String> {
        None
    }
    /// An amount in Chinese capital numerals (大写, `壹佰贰拾叁元肆角伍分`), from cents: the
    /// SDK's `chinese_capital`.
    fn capitals(&self, _cents: i64) -> Option<String> {
        None
    }
}

/// Knows nothing: ids are shown as they are, no capitals.
pub struct NoLookup;

impl Lookup for NoLookup {}

/// Between table rows, and between the choices of a list.
fn list_separator(lang: Lang) -> &'static str {
    lang.pick("; ", "；")
}

/// The days of a date range `{start, end}`, both included.
pub fn range_days(value: &Value) -> Option<i64> {
    let start = Date::parse(value.get("start")?.as_str()?)?;
    let end = Date::parse(value.get("end")?.as_str()?)?;
    (start <= end).then(|| end.days() - start.days() + 1)
}

/// An amount's capitals, when the value is an amount the lookup can convert.
pub fn capitals(value: &Value, lookup: &dyn Lookup) -> Option<String> {
    let c = cents::parse(value.as_str()?)?;
    lookup.capitals(i64::try_from(c).ok()?)
}

/// How a kind of value reads (shared by fields and columns).
struct Shape<'a> {
    kind: Kind,
    options: &'a [Choice],
    columns: &'a [Column],
}

/// A field's value as text. `null` (empty, hidden) is the empty string.
pub fn field_text(field: &Field, value: &Value, lang: Lang, lookup: &dyn Lookup) -> String {
    text(
        &Shape {
            kind: field.kind,
            options: &field.options,
            columns: &field.columns,
        },
        value,
        lang,
        lookup,
    )
}

fn column_text(column: &Column, value: &Value, lang: Lang, lookup: &dyn Lookup) -> String {
    text(
        &Shape {
            kind: column.kind,
            options: &column.options,
            columns: &[],
        },
        value,
        lang,
        lookup,
    )
}

fn id_text(kind: Kind, id: &str, lookup: &dyn Lookup) -> String {
    let name = match kind {
        Kind::Person | Kind::People => lookup.person(id),
        Kind::Department => lookup.department(id),
        Kind::Group => lookup.group(id),
        Kind::File => lookup.file(id),
        _ => None,
    };
    name.unwrap_or_else(|| id.to_string())
}

fn text(shape: &Shape, value: &Value, lang: Lang, lookup: &dyn Lookup) -> String {
    match (shape.kind, value) {
        (_, Value::Null) => String::new(),
        (Kind::Checkbox, Value::Bool(b)) => {
            if *b {
                lang.pick("Yes", "是").into()
            } else {
                lang.pick("No", "否").into()
            }
        }
        (Kind::Select, Value::String(v)) => option_label(shape.options, v, lang).to_string(),
        (Kind::MultiSelect, Value::Array(items)) => items
            .iter()
            .map(|i| match i.as_str() {
                Some(v) => option_label(shape.options, v, lang).to_string(),
                None => compact(i),
            })
            .collect::<Vec<_>>()
            .join(list_separator(lang)),
        (Kind::Person | Kind::Department | Kind::Group | Kind::File, Value::String(id)) => {
            id_text(shape.kind, id, lookup)
        }
        (Kind::People, Value::Array(items)) => items
            .iter()
            .map(|i| match i.as_str() {
                Some(id) => id_text(Kind::People, id, lookup),
                None => compact(i),
            })
            .collect::<Vec<_>>()
            .join(list_separator(lang)),
        (Kind::DateRange, Value::Object(m)) => {
            let end = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("");
            format!("{} {} {}", end("start"), lang.pick("–", "至"), end("end"))
        }
        (Kind::Table, Value::Array(rows)) => rows
            .iter()
            .map(|row| match row {
                Value::Object(cells) => row_text(shape.columns, cells, lang, lookup),
                other => compact(other),
            })
            .collect::<Vec<_>>()
            .join(list_separator(lang)),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, other) => compact(other),
    }
}

/// One table row: `Item: Paper, Qty: 2, Price: 12.50` (`品名：纸，数量：2，单价：12.50`),
/// empty cells left out.
pub fn row_text(
    columns: &[Column],
    cells: &Map<String, Value>,
    lang: Lang,
    lookup: &dyn Lookup,
) -> String {
    let (colon, comma) = (lang.pick(": ", "："), lang.pick(", ", "，"));
    columns
        .iter()
        .filter_map(|c| {
            let v = cells.get(&c.name)?;
            let shown = column_text(c, v, lang, lookup);
            (!shown.is_empty()).then(|| format!("{}{colon}{shown}", c.label.get(lang)))
        })
        .collect::<Vec<_>>()
        .join(comma)
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// One line of an answer's detail.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    /// The value as text; for a serial field, the answer's serial number.
    pub text: String,
    /// Money fields and money formulas with `show_capitals`.
    pub capitals: Option<String>,
    /// Date ranges: the days from start to end, both included.
    pub days: Option<i64>,
}

/// An answer as people read it, under the version it answered (so an answer to version 1
/// still reads with version 1's labels and options after version 2 changed them). Fields
/// the answer has no value for (hidden, read-only) are left out.
pub fn detail(version: &Version, s: &Submission, lang: Lang, lookup: &dyn Lookup) -> Vec<Line> {
    version
        .definition
        .fields
        .iter()
        .filter_map(|f| {
            let line = |text: String, capitals, days| Line {
                name: f.name.clone(),
                label: f.label.get(lang).to_string(),
                kind: f.kind,
                text,
                capitals,
                days,
            };
            if f.kind == Kind::Serial {
                return Some(line(s.serial.clone().unwrap_or_default(), None, None));
            }
            let v = s.values.get(&f.name)?;
            let caps = if f.show_capitals && f.is_money() {
                capitals(v, lookup)
            } else {
                None
            };
            let days = (f.kind == Kind::DateRange).then(|| range_days(v)).flatten();
            Some(line(field_text(f, v, lang, lookup), caps, days))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Text;
    use serde_json::json;

    struct Names;

    impl Lookup for Names {
        fn person(&self, id: &str) -> Option<String> {
            (id == "u1").then(|| "王小明".to_string())
        }
        fn department(&self, id: &str) -> Option<String> {
            (id == "d1").then(|| "研发部".to_string())
        }
        fn capitals(&self, cents: i64) -> Option<String> {
            (cents == 12345).then(|| "壹佰贰拾叁元肆角伍分".to_string())
        }
    }

    fn f(kind: Kind) -> Field {
        Field::new("x", Text::new("X", "叉"), kind)
    }

    #[test]
    fn values_read_in_both_languages() {
        let mut select = f(Kind::MultiSelect);
        select.options = vec![
            Choice::new("veg", Text::new("Vegetarian", "素食")),
            Choice::new("halal", Text::new("Halal", "清真")),
        ];
        let v = json!(["veg", "gone"]);
        assert_eq!(
            field_text(&select, &v, Lang::En, &Names),
            "Vegetarian; gone"
        );
        assert_eq!(field_text(&select, &v, Lang::Zh, &Names), "素食；gone");
        assert_eq!(
            field_text(&f(Kind::Checkbox), &json!(true), Lang::Zh, &Names),
            "是"
        );
        assert_eq!(
            field_text(&f(Kind::Checkbox), &json!(false), Lang::En, &Names),
            "No"
        );
        assert_eq!(
            field_text(&f(Kind::People), &json!(["u1", "u2"]), Lang::En, &Names),
            "王小明; u2"
        );
        assert_eq!(
            field_text(&f(Kind::Department), &json!("d1"), Lang::En, &Names),
            "研发部"
        );
        let range = json!({"start": "2026-11-01", "end": "2026-11-03"});
        assert_eq!(
            field_text(&f(Kind::DateRange), &range, Lang::Zh, &Names),
            "2026-11-01 至 2026-11-03"
        );
        assert_eq!(range_days(&range), Some(3));
        assert_eq!(
            range_days(&json!({"start": "2026-11-03", "end": "2026-11-01"})),
            None
        );
        assert_eq!(
            field_text(&f(Kind::Number), &json!(-2.5), Lang::En, &Names),
            "-2.5"
        );
        assert_eq!(
            field_text(&f(Kind::Text), &Value::Null, Lang::En, &Names),
            ""
        );
        assert_eq!(
            field_text(&f(Kind::Text), &json!({"odd": 1}), Lang::En, &Names),
            "{\"odd\":1}"
        );
        assert_eq!(
            capitals(&json!("123.45"), &Names).as_deref(),
            Some("壹佰贰拾叁元肆角伍分")
        );
        assert_eq!(capitals(&json!("1.00"), &NoLookup), None);
    }

    #[test]
    fn tables_read_row_by_row() {
        let mut table = f(Kind::Table);
        table.columns = vec![
            Column::new("item", Text::new("Item", "品名"), Kind::Text),
            Column::new("qty", Text::new("Qty", "数量"), Kind::Number),
        ];
        let v = json!([{"item": "纸", "qty": 2}, {"item": "笔", "qty": null}, 7]);
        assert_eq!(
            field_text(&table, &v, Lang::En, &NoLookup),
            "Item: 纸, Qty: 2; Item: 笔; 7"
        );
        assert_eq!(
            field_text(&table, &v, Lang::Zh, &NoLookup),
            "品名：纸，数量：2；品名：笔；7"
        );
    }
}
