//! CSV exports of answers that open correctly in Excel, Chinese included.
//!
//! UTF-8 with a byte-order mark; RFC 4180 (comma separated, CRLF line ends, a cell quoted
//! when it holds a comma, a quote or a line break, quotes doubled). Headers in English or
//! Chinese. Times are local `YYYY-MM-DD HH:MM` at the organization's UTC offset.
//!
//! **Formula injection.** A cell a spreadsheet would run as a formula (one starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe — but only
//! where people's text can appear. Number, money and formula fields, day counts and version
//! numbers are numbers: their cells are written as they are *when the text is a plain
//! decimal* (`-?[0-9]+(\.[0-9]+)?`, which is what the host's normalised numbers and amounts
//! are), so `-12.50` stays a negative amount Excel can add up. The column's kind says which
//! cells may be numbers, and the text itself must be a plain decimal: a value of any other
//! shape in such a column (never from the host) is treated as text and defused.
//!
//! **Tables.** [`answers_csv`] has one row per answer, so counting rows counts answers; a
//! table field is one cell, its rows read as `Item: Paper, Qty: 2; Item: Pen, Qty: 1`
//! (`品名：纸，数量：2；品名：笔，数量：1`). To analyse the rows themselves,
//! [`table_csv`] has one row per table row, with the answer's serial number to join on.

use std::collections::HashMap;

use super::cents;
use super::definition::{Column, Field, Kind, Version};
use super::display::{Lookup, capitals, field_text, range_days};
use super::lang::Lang;
use super::submission::Submission;
use super::time::format_local;

/// What Excel needs to read UTF-8.
pub const BOM: &str = "\u{feff}";

/// How to export.
pub struct CsvOptions<'a> {
    pub lang: Lang,
    pub offset_minutes: i32,
    pub lookup: &'a dyn Lookup,
}

/// A cell as is, quoted when needed.
pub fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A cell of text from people: defused against formula injection, then quoted.
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        quote(&format!("'{text}"))
    } else {
        quote(text)
    }
}

/// A cell of a number column: a plain decimal as is, anything else as text.
pub fn number_cell(text: &str) -> String {
    if cents::is_plain_number(text) {
        text.to_string()
    } else {
        text_cell(text)
    }
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// Whether a field's or column's values are numbers.
fn numeric(kind: Kind) -> bool {
    matches!(kind, Kind::Number | Kind::Money | Kind::Formula)
}

/// The answers to export and the version each one answered: submitted answers to the form of
/// `chosen` whose version is among `versions`, oldest first.
fn rows<'a>(
    chosen: &Version,
    versions: &'a [Version],
    submissions: &'a [Submission],
) -> Vec<(&'a Submission, &'a Version)> {
    let by_number: HashMap<u32, &Version> = versions
        .iter()
        .filter(|v| v.form_id == chosen.form_id)
        .map(|v| (v.number, v))
        .collect();
    let mut out: Vec<(&Submission, &Version)> = submissions
        .iter()
        .filter(|s| s.is_submitted() && s.form_id == chosen.form_id)
        .filter_map(|s| Some((s, *by_number.get(&s.version)?)))
        .collect();
    out.sort_by(|a, b| {
        (a.0.submitted_at_ms, &a.0.serial, &a.0.id).cmp(&(
            b.0.submitted_at_ms,
            &b.0.serial,
            &b.0.id,
        ))
    });
    out
}

/// The value an answer to `version` has for `field` of the chosen version: only when that
/// version's field of the same name has the same kind (otherwise the value means something
/// else, and the cell stays empty).
fn value_for<'a>(
    s: &'a Submission,
    version: &Version,
    field: &Field,
) -> Option<&'a serde_json::Value> {
    let own = version.definition.field(&field.name)?;
    (own.kind == field.kind)
        .then(|| s.values.get(&field.name))
        .flatten()
}

fn respondent_cells(s: &Submission) -> [String; 2] {
    match &s.respondent {
        Some(p) => [text_cell(&p.name), text_cell(&p.id)],
        None => [String::new(), String::new()],
    }
}

/// One row per submitted answer, one column per field of `chosen` (plus the capitals of
/// amounts that show them, and the days of date ranges). `versions` says whose answers to
/// include: pass all the form's versions to export every answer (fields matched by name and
/// kind), or only `chosen` for its answers alone.
pub fn answers_csv(
    chosen: &Version,
    versions: &[Version],
    submissions: &[Submission],
    opts: &CsvOptions,
) -> String {
    let lang = opts.lang;
    let fields: Vec<&Field> = chosen
        .definition
        .fields
        .iter()
        .filter(|f| f.answers())
        .collect();
    let mut header: Vec<String> = [
        ("Serial no.", "流水号"),
        ("Version", "版本"),
        ("Respondent", "填写人"),
        ("Respondent ID", "填写人 ID"),
        ("Submitted at", "提交时间"),
        ("Changed at", "修改时间"),
    ]
    .iter()
    .map(|(en, zh)| quote(lang.pick(en, zh)))
    .collect();
    for f in &fields {
        let label = f.label.get(lang);
        header.push(text_cell(label));
        if f.show_capitals && f.is_money() {
            header.push(text_cell(&format!(
                "{label}{}",
                lang.pick(" (in capitals)", "（大写）")
            )));
        }
        if f.kind == Kind::DateRange {
            header.push(text_cell(&format!(
                "{label}{}",
                lang.pick(" (days)", "（天数）")
            )));
        }
    }
    let mut out = String::from(BOM);
    line(&mut out, &header);
    for (s, version) in rows(chosen, versions, submissions) {
        let [name, id] = respondent_cells(s);
        let mut cells = vec![
            text_cell(s.serial.as_deref().unwrap_or("")),
            s.version.to_string(),
            name,
            id,
            s.submitted_at_ms
                .map(|ms| format_local(ms, opts.offset_minutes))
                .unwrap_or_default(),
            if s.edits > 0 {
                format_local(s.updated_at_ms, opts.offset_minutes)
            } else {
                String::new()
            },
        ];
        for f in &fields {
            let v = value_for(s, version, f);
            let shown = v
                .map(|v| field_text(f, v, lang, opts.lookup))
                .unwrap_or_default();
            cells.push(if numeric(f.kind) {
                number_cell(&shown)
            } else {
                text_cell(&shown)
            });
            if f.show_capitals && f.is_money() {
                let caps = v.and_then(|v| capitals(v, opts.lookup)).unwrap_or_default();
                cells.push(text_cell(&caps));
            }
            if f.kind == Kind::DateRange {
                cells.push(
                    v.and_then(range_days)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                );
            }
        }
        line(&mut out, &cells);
    }
    out
}

/// One row per row of the table field `table` of `chosen`: the answer's serial number and
/// respondent, the row's number, and one column per table column. `None` when `chosen` has
/// no table field of that name.
pub fn table_csv(
    chosen: &Version,
    versions: &[Version],
    table: &str,
    submissions: &[Submission],
    opts: &CsvOptions,
) -> Option<String> {
    let lang = opts.lang;
    let field = chosen
        .definition
        .field(table)
        .filter(|f| f.kind == Kind::Table)?;
    let mut header: Vec<String> = [
        ("Serial no.", "流水号"),
        ("Respondent", "填写人"),
        ("Respondent ID", "填写人 ID"),
        ("Row", "行号"),
    ]
    .iter()
    .map(|(en, zh)| quote(lang.pick(en, zh)))
    .collect();
    header.extend(field.columns.iter().map(|c| text_cell(c.label.get(lang))));
    let mut out = String::from(BOM);
    line(&mut out, &header);
    for (s, version) in rows(chosen, versions, submissions) {
        let Some(serde_json::Value::Array(table_rows)) = value_for(s, version, field) else {
            continue;
        };
        let own = version.definition.field(table);
        for (i, row) in table_rows.iter().enumerate() {
            let [name, id] = respondent_cells(s);
            let mut cells = vec![
                text_cell(s.serial.as_deref().unwrap_or("")),
                name,
                id,
                (i + 1).to_string(),
            ];
            for c in &field.columns {
                let same = own
                    .and_then(|o| o.columns.iter().find(|oc| oc.name == c.name))
                    .is_some_and(|oc| oc.kind == c.kind);
                let v = row.get(&c.name).filter(|_| same);
                cells.push(cell_of_column(c, v, opts));
            }
            line(&mut out, &cells);
        }
    }
    Some(out)
}

fn cell_of_column(c: &Column, v: Option<&serde_json::Value>, opts: &CsvOptions) -> String {
    let Some(v) = v else {
        return String::new();
    };
    let as_field = Field {
        options: c.options.clone(),
        ..Field::new(c.name.clone(), c.label.clone(), c.kind)
    };
    let shown = field_text(&as_field, v, opts.lang, opts.lookup);
    if numeric(c.kind) {
        number_cell(&shown)
    } else {
        text_cell(&shown)
    }
}

#[cfg(test)]
mod tests;
