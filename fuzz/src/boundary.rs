//! The `plugin_boundary` target: what a plugin hands the host through its replies and host
//! calls (cards, forms), followed by what people do with the result (press a button, submit
//! a form), in arbitrary sequences.
//!
//! A real guest (a WebAssembly component replaying host calls) is not run: that needs the
//! whole runtime (wasmtime, cranelift) built with instrumentation and a store per input, for
//! a few hundred inputs a second. Instead the sequence is replayed against the same checks
//! the host applies on the host side of the boundary:
//!
//! - a card from `post-card`, `reply`, `update-card`, `send-card`, `post-card-for` or a
//!   command/action reply: the contract record converted as contract 0.3.0's adapter does
//!   (`card_json`/`form_json` in `host/runtime/src/v0_3_0.rs`, which are private, so the
//!   conversion is mirrored below) and checked by `card::to_json` and `form::checked`;
//! - the stored card, as the host keeps it (JSON text) and reads it back for a press
//!   (`card::has_action`) or a form submission (`card::form_in`, then `Form` from JSON and
//!   `validate_submission`, as `submit_card_form` does);
//! - a form reply (issued form), stored and submitted the same way.
//!
//! Not covered: the capability checks and per-call size caps of the other host calls
//! (`guarded!`, `check_people`, `check_name`, `check_headers` in the adapters: private, and
//! each a plain length or charset test), the wasmtime limits (fuel, memory, deadlines: the
//! `hostile` test plugin covers them), and the storage behind the calls.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Value, json};

use crate::card::{self, Block, Button, TimelineEntry};
use crate::form::{self, Form};
use crate::targets::{KINDS, check_stored_form, check_submission};

/// Most steps replayed from one input.
const MAX_STEPS: usize = 32;

/// Names that formulas, conditions and submissions refer to: fields need to meet each other
/// for the interesting checks (references, loops, visibility) to run.
const WORDS: &[&str] = &[
    "a", "b", "c", "amount", "qty", "price", "items", "cost", "total", "kind", "note", "when",
    "sum", "count", "x", "travel", "other", "1", "",
];

/// A short name, usually from [`WORDS`].
#[derive(Debug)]
pub struct Word(pub String);

impl<'a> Arbitrary<'a> for Word {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(7u8, 8u8)? {
            Ok(Word((*u.choose(WORDS)?).to_owned()))
        } else {
            Ok(Word(String::arbitrary(u)?))
        }
    }
}

/// A JSON value a guest or a person could send.
#[derive(Arbitrary, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i32),
    Float(f64),
    Word(Word),
    Text(String),
    Money(i32, u8),
    Date(u16, u8, u8),
    Range((u16, u8, u8), (u16, u8, u8)),
    Array(Vec<Json>),
    Object(Vec<(Word, Json)>),
}

fn date((y, m, d): (u16, u8, u8)) -> String {
    format!("{:04}-{:02}-{:02}", y % 10_000, m % 14, d % 33)
}

impl Json {
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => json!(b),
            Json::Int(i) => json!(i),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Word(w) => json!(w.0),
            Json::Text(s) => json!(s),
            Json::Money(i, c) => json!(format!("{i}.{:02}", c % 100)),
            Json::Date(y, m, d) => json!(date((*y, *m, *d))),
            Json::Range(s, e) => json!({"start": date(*s), "end": date(*e)}),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.0.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// A formula's tokens, printed with spaces between them.
#[derive(Arbitrary, Debug)]
pub enum Tok {
    Name(Word),
    Number(u16),
    Fraction(u16, u8),
    Op(u8),
    Call(u8),
    Open,
    Close,
    Comma,
    Dot,
    Not,
    And,
    Or,
}

const OPS: &[&str] = &["+", "-", "*", "/", "=", "!=", "<", "<=", ">", ">="];
const CALLS: &[&str] = &["sum(", "count(", "min(", "max(", "round(", "if("];

fn expression(tokens: &[Tok]) -> String {
    let words: Vec<String> = tokens
        .iter()
        .map(|t| match t {
            Tok::Name(w) => w.0.clone(),
            Tok::Number(n) => n.to_string(),
            Tok::Fraction(n, f) => format!("{n}.{f}"),
            Tok::Op(i) => OPS[usize::from(*i) % OPS.len()].to_owned(),
            Tok::Call(i) => CALLS[usize::from(*i) % CALLS.len()].to_owned(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::Not => "not".into(),
            Tok::And => "and".into(),
            Tok::Or => "or".into(),
        })
        .collect();
    words.join(" ")
}

/// The contract's `formula` record.
#[derive(Arbitrary, Debug)]
pub struct FormulaSpec {
    tokens: Vec<Tok>,
    money: bool,
}

/// The contract's `rules` record.
#[derive(Arbitrary, Debug)]
pub struct Rules {
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    pattern_message: Option<String>,
}

#[derive(Arbitrary, Debug)]
pub struct OptionSpec {
    value: Word,
    label: String,
}

#[derive(Arbitrary, Debug)]
pub struct ColumnSpec {
    name: Word,
    label: String,
    kind: u8,
    rules: Rules,
    options: Vec<OptionSpec>,
    formula: Option<FormulaSpec>,
}

/// The contract's `field` record (`default-value` is JSON text, which may not parse).
#[derive(Arbitrary, Debug)]
pub struct FieldSpec {
    name: Word,
    label: String,
    kind: u8,
    rules: Rules,
    options: Vec<OptionSpec>,
    placeholder: Option<String>,
    help: Option<String>,
    default_value: Option<DefaultSpec>,
    visible_when: Option<(Word, Vec<Word>)>,
    columns: Vec<ColumnSpec>,
    read_only: bool,
    formula: Option<FormulaSpec>,
}

#[derive(Arbitrary, Debug)]
pub enum DefaultSpec {
    Json(Json),
    Raw(String),
}

/// The contract's `form` record.
#[derive(Arbitrary, Debug)]
pub struct FormSpec {
    id: Word,
    title: String,
    submit_label: String,
    value: String,
    fields: Vec<FieldSpec>,
}

#[derive(Arbitrary, Debug)]
pub struct ButtonSpec {
    action_id: Word,
    label: String,
    style: u8,
    value: String,
    confirm: Option<String>,
}

#[derive(Arbitrary, Debug)]
pub struct EntrySpec {
    at_ms: i64,
    title: String,
    detail: String,
    tone: u8,
}

/// The contract's `block` variant.
#[derive(Arbitrary, Debug)]
pub enum BlockSpec {
    Text(String),
    Fields(Vec<(String, String)>),
    Badge(String, u8),
    Table(Vec<String>, Vec<Vec<String>>),
    Image(String),
    Buttons(Vec<ButtonSpec>),
    Divider,
    People(Vec<(String, String)>),
    Form(FormSpec),
    Timeline(Vec<EntrySpec>),
}

#[derive(Arbitrary, Debug)]
pub struct CardSpec {
    title: String,
    blocks: Vec<BlockSpec>,
}

/// One thing that happens at the boundary.
#[derive(Arbitrary, Debug)]
pub enum Step {
    /// The plugin sends a card (any of the card-carrying host calls or replies).
    Card(CardSpec),
    /// The plugin replies to a command or an action with a form.
    Form(FormSpec),
    /// Someone presses a button on a stored card.
    Press { card: u8, action_id: Word },
    /// Someone submits a form on a stored card.
    SubmitCardForm {
        card: u8,
        form_id: Word,
        values: Json,
    },
    /// Someone submits an issued form.
    SubmitForm { form: u8, values: Json },
}

const TONES: &[&str] = &["neutral", "info", "success", "warning", "danger"];
const STYLES: &[&str] = &["default", "primary", "danger"];

fn kind(k: u8) -> &'static str {
    KINDS[usize::from(k) % KINDS.len()].as_str()
}

fn formula_json(f: &Option<FormulaSpec>) -> Value {
    match f {
        None => Value::Null,
        Some(f) => json!({
            "expression": expression(&f.tokens),
            "result": if f.money { "money" } else { "number" },
        }),
    }
}

fn options_json(options: &[OptionSpec]) -> Value {
    options
        .iter()
        .map(|o| json!({"value": o.value.0, "label": o.label}))
        .collect()
}

/// Mirrors `form_json` of the 0.3.0 adapter: the contract's form as the JSON that
/// `form::checked` takes.
fn form_json(f: &FormSpec) -> Result<Value, String> {
    if f.fields.len() > form::MAX_FIELDS {
        return Err("too many fields".into());
    }
    let mut fields = Vec::with_capacity(f.fields.len());
    for field in &f.fields {
        let default = match &field.default_value {
            None => None,
            Some(DefaultSpec::Json(j)) => Some(j.to_value()),
            Some(DefaultSpec::Raw(text)) => Some(
                serde_json::from_str::<Value>(text)
                    .map_err(|_| format!("the default of `{}` is not JSON", field.name.0))?,
            ),
        };
        if field.columns.len() > form::MAX_COLUMNS {
            return Err("too many columns".into());
        }
        let columns: Vec<Value> = field
            .columns
            .iter()
            .map(|c| {
                json!({
                    "name": c.name.0, "label": c.label, "kind": kind(c.kind),
                    "required": c.rules.required, "min": c.rules.min, "max": c.rules.max,
                    "pattern": c.rules.pattern, "pattern_message": c.rules.pattern_message,
                    "options": options_json(&c.options), "formula": formula_json(&c.formula),
                })
            })
            .collect();
        fields.push(json!({
            "name": field.name.0, "label": field.label, "kind": kind(field.kind),
            "required": field.rules.required, "min": field.rules.min, "max": field.rules.max,
            "pattern": field.rules.pattern, "pattern_message": field.rules.pattern_message,
            "options": options_json(&field.options),
            "placeholder": field.placeholder, "help": field.help, "default": default,
            "visible_when": field.visible_when.as_ref().map(|(f, vs)| json!({
                "field": f.0, "values": vs.iter().map(|v| v.0.clone()).collect::<Vec<_>>(),
            })),
            "columns": columns, "read_only": field.read_only,
            "formula": formula_json(&field.formula),
        }));
    }
    let value = json!({
        "id": f.id.0, "title": f.title, "submit_label": f.submit_label, "value": f.value,
        "fields": fields,
    });
    form::checked(value)
}

/// Mirrors `card_json` of the 0.3.0 adapter, then `card::to_json`.
fn card_json(c: &CardSpec) -> Result<Value, String> {
    let mut blocks = Vec::with_capacity(c.blocks.len());
    for b in &c.blocks {
        blocks.push(match b {
            BlockSpec::Text(s) => Block::Text(s.clone()),
            BlockSpec::Fields(f) => Block::Fields(f.clone()),
            BlockSpec::Badge(text, tone) => Block::Badge {
                text: text.clone(),
                tone: TONES[usize::from(*tone) % TONES.len()],
            },
            BlockSpec::Table(columns, rows) => Block::Table {
                columns: columns.clone(),
                rows: rows.clone(),
            },
            BlockSpec::Image(url) => Block::Image(url.clone()),
            BlockSpec::Buttons(bs) => Block::Buttons(
                bs.iter()
                    .map(|b| Button {
                        action_id: b.action_id.0.clone(),
                        label: b.label.clone(),
                        style: STYLES[usize::from(b.style) % STYLES.len()],
                        value: b.value.clone(),
                        confirm: b.confirm.clone(),
                    })
                    .collect(),
            ),
            BlockSpec::Divider => Block::Divider,
            BlockSpec::People(p) => Block::People(p.clone()),
            BlockSpec::Form(f) => Block::Form(form_json(f)?),
            BlockSpec::Timeline(entries) => Block::Timeline(
                entries
                    .iter()
                    .map(|e| TimelineEntry {
                        at_ms: e.at_ms,
                        title: e.title.clone(),
                        detail: e.detail.clone(),
                        tone: TONES[usize::from(e.tone) % TONES.len()],
                    })
                    .collect(),
            ),
        });
    }
    card::to_json(&c.title, blocks)
}

/// Checks on a form the host accepted and stored: it reads back as the host reads it.
fn stored_form(stored: &Value) -> Form {
    let form: Form = serde_json::from_value(stored.clone())
        .unwrap_or_else(|e| panic!("a checked form does not read back: {e}\n{stored}"));
    check_stored_form(stored, &form);
    form
}

fn submit(form_json: &Value, values: &Json) {
    let form = stored_form(form_json);
    let values = values.to_value();
    let result = form::validate_submission(&form, &values);
    check_submission(&form, &values, result);
}

pub fn plugin_boundary(data: &[u8]) {
    let mut u = Unstructured::new(data);
    // Cards as the host stores them (JSON text), and issued forms.
    let mut cards: Vec<String> = Vec::new();
    let mut forms: Vec<Value> = Vec::new();
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(step) = Step::arbitrary(&mut u) else {
            break;
        };
        match step {
            Step::Card(spec) => {
                let Ok(card) = card_json(&spec) else {
                    continue;
                };
                accepted_card(&spec, &card);
                cards.push(card.to_string());
            }
            Step::Form(spec) => {
                if let Ok(form) = form_json(&spec) {
                    stored_form(&form);
                    forms.push(form);
                }
            }
            Step::Press { card, action_id } => {
                if let Some(text) = pick(&cards, card) {
                    let card = read_card(text);
                    let _ = card::has_action(&card, &action_id.0);
                }
            }
            Step::SubmitCardForm {
                card,
                form_id,
                values,
            } => {
                if let Some(text) = pick(&cards, card) {
                    let card = read_card(text);
                    if let Some(form) = card::form_in(&card, &form_id.0) {
                        submit(form, &values);
                    }
                }
            }
            Step::SubmitForm { form, values } => {
                if let Some(form) = pick(&forms, form) {
                    submit(form, &values);
                }
            }
        }
    }
}

fn pick<T>(items: &[T], i: u8) -> Option<&T> {
    (!items.is_empty()).then(|| &items[usize::from(i) % items.len()])
}

/// The host reads a stored card back with `serde_json::from_str(..).unwrap_or_default()`: a
/// card that did not read back would silently lose its buttons and forms.
fn read_card(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("a stored card does not read back: {e}"))
}

/// What an accepted card must be: its buttons pressable, its form (at most one) findable
/// and readable, and its size within the limits the checks promise.
fn accepted_card(spec: &CardSpec, card: &Value) {
    let blocks = card["blocks"].as_array().expect("a card has blocks");
    assert!(blocks.len() <= card::MAX_BLOCKS);
    assert!(
        card["title"]
            .as_str()
            .expect("a card has a title")
            .chars()
            .count()
            <= card::MAX_TITLE
    );
    let mut forms = 0;
    for b in &spec.blocks {
        match b {
            BlockSpec::Buttons(buttons) => {
                for button in buttons {
                    assert!(
                        card::has_action(card, &button.action_id.0),
                        "accepted button {:?} is not pressable",
                        button.action_id.0
                    );
                }
            }
            BlockSpec::Form(f) => {
                forms += 1;
                let found = card::form_in(card, &f.id.0).expect("an accepted form is findable");
                stored_form(found);
            }
            _ => {}
        }
    }
    assert!(forms <= 1, "a card with {forms} forms was accepted");
}
