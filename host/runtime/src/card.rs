//! Cards as data: the JSON the host stores and clients render. Plugins build cards through
//! the contract; these checks bound what any plugin can put on a screen.

use serde_json::{Value, json};

pub const MAX_BLOCKS: usize = 50;
pub const MAX_TEXT: usize = 4000;
pub const MAX_BUTTONS: usize = 10;
pub const MAX_TABLE_COLUMNS: usize = 20;
pub const MAX_TABLE_ROWS: usize = 200;
pub const MAX_TITLE: usize = 200;

/// A card block in its stable JSON form.
pub enum Block {
    Text(String),
    Fields(Vec<(String, String)>),
    Badge {
        text: String,
        tone: &'static str,
    },
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Image(String),
    Buttons(Vec<Button>),
    Divider,
    /// People as (id, display name); clients link each to their profile card.
    People(Vec<(String, String)>),
    /// A form in its checked JSON form (see [`crate::form`]).
    Form(Value),
    Timeline(Vec<TimelineEntry>),
}

pub struct Button {
    pub action_id: String,
    pub label: String,
    pub style: &'static str,
    pub value: String,
    /// A question to confirm before the press counts.
    pub confirm: Option<String>,
}

pub struct TimelineEntry {
    pub at_ms: i64,
    pub title: String,
    pub detail: String,
    pub tone: &'static str,
}

fn too_long(what: &str, max: usize) -> String {
    format!("card {what} is longer than {max} characters")
}

fn check_text(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.chars().count() > max {
        Err(too_long(what, max))
    } else {
        Ok(())
    }
}

/// Validates a card and returns its JSON form.
pub fn to_json(title: &str, blocks: Vec<Block>) -> Result<Value, String> {
    check_text("title", title, MAX_TITLE)?;
    if blocks.len() > MAX_BLOCKS {
        return Err(format!("a card holds at most {MAX_BLOCKS} blocks"));
    }
    let mut out = Vec::with_capacity(blocks.len());
    let mut forms = 0;
    for block in blocks {
        out.push(match block {
            Block::Text(t) => {
                check_text("text", &t, MAX_TEXT)?;
                json!({"type": "text", "text": t})
            }
            Block::Fields(fields) => {
                if fields.len() > 50 {
                    return Err("a fields block holds at most 50 fields".into());
                }
                for (l, v) in &fields {
                    check_text("field label", l, 100)?;
                    check_text("field value", v, 1000)?;
                }
                let fields: Vec<Value> = fields.into_iter().map(|(label, value)| json!({"label": label, "value": value})).collect();
                json!({"type": "fields", "fields": fields})
            }
            Block::Badge { text, tone } => {
                check_text("badge", &text, 50)?;
                json!({"type": "badge", "text": text, "tone": tone})
            }
            Block::Table { columns, rows } => {
                if columns.len() > MAX_TABLE_COLUMNS || rows.len() > MAX_TABLE_ROWS {
                    return Err(format!("a table holds at most {MAX_TABLE_COLUMNS} columns and {MAX_TABLE_ROWS} rows"));
                }
                if rows.iter().any(|r| r.len() != columns.len()) {
                    return Err("every table row needs one cell per column".into());
                }
                for cell in columns.iter().chain(rows.iter().flatten()) {
                    check_text("table cell", cell, 500)?;
                }
                json!({"type": "table", "columns": columns, "rows": rows})
            }
            Block::Image(url) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
                    return Err("an image needs an http(s) URL of at most 2000 characters".into());
                }
                json!({"type": "image", "url": url})
            }
            Block::Buttons(buttons) => {
                if buttons.len() > MAX_BUTTONS {
                    return Err(format!("at most {MAX_BUTTONS} buttons in a row"));
                }
                let mut list = Vec::new();
                for b in buttons {
                    check_text("button label", &b.label, 40)?;
                    check_text("button action id", &b.action_id, 64)?;
                    check_text("button value", &b.value, 2000)?;
                    if b.action_id.is_empty() || b.label.trim().is_empty() {
                        return Err("a button needs an action id and a label".into());
                    }
                    if let Some(c) = &b.confirm {
                        check_text("button confirmation", c, 200)?;
                    }
                    list.push(json!({"action_id": b.action_id, "label": b.label, "style": b.style, "value": b.value, "confirm": b.confirm}));
                }
                json!({"type": "buttons", "buttons": list})
            }
            Block::Divider => json!({"type": "divider"}),
            Block::People(people) => {
                if people.len() > 100 {
                    return Err("a people block holds at most 100 people".into());
                }
                for (id, name) in &people {
                    check_text("person id", id, 64)?;
                    check_text("person name", name, 100)?;
                }
                let people: Vec<Value> = people.into_iter().map(|(id, name)| json!({"id": id, "display_name": name})).collect();
                json!({"type": "people", "people": people})
            }
            Block::Form(form) => {
                forms += 1;
                if forms > 1 {
                    return Err("a card holds at most one form".into());
                }
                json!({"type": "form", "form": form})
            }
            Block::Timeline(entries) => {
                if entries.len() > 200 {
                    return Err("a timeline holds at most 200 entries".into());
                }
                let mut list = Vec::new();
                for e in entries {
                    check_text("timeline title", &e.title, 200)?;
                    check_text("timeline detail", &e.detail, 1000)?;
                    list.push(json!({"at_ms": e.at_ms, "title": e.title, "detail": e.detail, "tone": e.tone}));
                }
                json!({"type": "timeline", "entries": list})
            }
        });
    }
    Ok(json!({"title": title, "blocks": out}))
}

/// Whether a card (in JSON form) has a button with this action id.
pub fn has_action(card: &Value, action_id: &str) -> bool {
    card["blocks"].as_array().into_iter().flatten().any(|b| {
        b["buttons"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|btn| btn["action_id"] == action_id)
    })
}

/// The form with this id on a card (in JSON form), if it has one.
pub fn form_in<'a>(card: &'a Value, form_id: &str) -> Option<&'a Value> {
    card["blocks"]
        .as_array()?
        .iter()
        .filter(|b| b["type"] == "form")
        .map(|b| &b["form"])
        .find(|f| f["id"] == form_id)
}
