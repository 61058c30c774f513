//! Form definitions: what the builder edits ([`Definition`]: title, description, fields),
//! how the form is answered ([`Settings`]), and the form itself ([`Form`]: owner, status,
//! settings, version counter, serial counter) with its published [`Version`]s.
//!
//! Fields have the contract's shape as JSON (`name`, `label`, `kind`, `required`, `min`,
//! `max`, `pattern`, `pattern_message`, `options`, `placeholder`, `help`, `default`,
//! `visible_when`, `columns`, `read_only`, `formula`), with texts in both languages (see
//! [`Text`]) and two additions the host does not know: the `serial` kind (a number the
//! plugin assigns on submit, see [`SerialFormat`]) and `show_capitals` on money fields and
//! money formulas (the amount in Chinese capitals, 大写, shown with the answer).
//!
//! **Versions.** A form is stored as three kinds of record, each well under the host's
//! 64 KiB per value: the [`Form`] (small), the working copy the builder edits (a
//! [`Definition`]), and one [`Version`] per publication. Publishing a working copy that
//! differs from the latest version creates version N+1; publishing it unchanged (reopening
//! a closed form) does not. Versions are never changed or deleted, and every answer records
//! the version it answered, so old answers stay readable with the fields they were given to.
//!
//! Settings are not versioned: they say how the form is answered now (extending the
//! deadline does not make a new version of the questions). Whether a form is anonymous is
//! fixed once it has been published.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cents;
use super::error::{DefinitionError, FormError, Place, Problem, What};
use super::formula::{self, Reference};
use super::lang::{Lang, Text};

/// Fields of a form, serial number included (the host's limit).
pub const MAX_FIELDS: usize = 60;
pub const MAX_COLUMNS: usize = 20;
pub const MAX_OPTIONS: usize = 200;
pub const MAX_NAME: usize = 64;
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 2000;
/// Labels, option values and labels, condition values, pattern messages.
pub const MAX_LABEL: usize = 200;
pub const MAX_PLACEHOLDER: usize = 200;
/// The host allows 1000; the rest is room for the note on amounts in capitals.
pub const MAX_HELP: usize = 800;
pub const MAX_PATTERN: usize = 500;
pub const MAX_CONDITION_VALUES: usize = 200;
/// Characters of text fields, people in a people field, rows of a table (the host's caps).
pub const MAX_TEXT: usize = 1000;
pub const MAX_TEXTAREA: usize = 10_000;
pub const MAX_PEOPLE: usize = 100;
pub const MAX_ROWS: usize = 200;
/// A definition as JSON; a version record must stay under the host's 64 KiB per value.
pub const MAX_DEFINITION_BYTES: usize = 48 * 1024;
/// Groups and people the form is addressed to, together.
pub const MAX_AUDIENCE: usize = 1000;
/// Problems reported for one definition; beyond this the builder has enough to fix.
pub const MAX_ERRORS: usize = 100;

/// A person as the directory knows them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

impl PersonRef {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        PersonRef {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// The kind of a field: the contract's kinds, and `serial`, which only this plugin knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Textarea,
    Number,
    /// Submitted as a string with two decimals: `"12.50"`.
    Money,
    /// `YYYY-MM-DD`.
    Date,
    /// `{"start", "end"}`; its duration is the days from start to end, both included.
    DateRange,
    /// `YYYY-MM-DDTHH:MM`, local.
    Datetime,
    Select,
    MultiSelect,
    Person,
    People,
    Group,
    File,
    Checkbox,
    /// Rows of columns, submitted as a list of objects.
    Table,
    Department,
    /// Computed by the host from other fields.
    Formula,
    /// A number the plugin assigns when the answer is submitted; shown read-only.
    Serial,
}

#[derive(Clone, Copy, PartialEq)]
enum Bounds {
    Length,
    Number,
    Money,
    Days,
    Count,
}

impl Kind {
    pub const ALL: [Kind; 18] = [
        Kind::Text,
        Kind::Textarea,
        Kind::Number,
        Kind::Money,
        Kind::Date,
        Kind::DateRange,
        Kind::Datetime,
        Kind::Select,
        Kind::MultiSelect,
        Kind::Person,
        Kind::People,
        Kind::Group,
        Kind::File,
        Kind::Checkbox,
        Kind::Table,
        Kind::Department,
        Kind::Formula,
        Kind::Serial,
    ];

    /// The name in JSON (`date_range`, `multi_select`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Textarea => "textarea",
            Kind::Number => "number",
            Kind::Money => "money",
            Kind::Date => "date",
            Kind::DateRange => "date_range",
            Kind::Datetime => "datetime",
            Kind::Select => "select",
            Kind::MultiSelect => "multi_select",
            Kind::Person => "person",
            Kind::People => "people",
            Kind::Group => "group",
            Kind::File => "file",
            Kind::Checkbox => "checkbox",
            Kind::Table => "table",
            Kind::Department => "department",
            Kind::Formula => "formula",
            Kind::Serial => "serial",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What people call it.
    pub fn label(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            Kind::Text => ("text", "单行文本"),
            Kind::Textarea => ("multi-line text", "多行文本"),
            Kind::Number => ("number", "数字"),
            Kind::Money => ("money", "金额"),
            Kind::Date => ("date", "日期"),
            Kind::DateRange => ("date range", "日期区间"),
            Kind::Datetime => ("date and time", "日期时间"),
            Kind::Select => ("single choice", "单选"),
            Kind::MultiSelect => ("multiple choice", "多选"),
            Kind::Person => ("person", "人员"),
            Kind::People => ("people", "多人"),
            Kind::Group => ("group", "群组"),
            Kind::File => ("file", "附件"),
            Kind::Checkbox => ("checkbox", "勾选框"),
            Kind::Table => ("table", "明细表格"),
            Kind::Department => ("department", "部门"),
            Kind::Formula => ("formula", "计算公式"),
            Kind::Serial => ("serial number", "流水号"),
        };
        lang.pick(en, zh)
    }

    /// What `min`/`max` bound, if anything.
    fn bounds(self) -> Option<Bounds> {
        match self {
            Kind::Text | Kind::Textarea => Some(Bounds::Length),
            Kind::Number => Some(Bounds::Number),
            Kind::Money => Some(Bounds::Money),
            Kind::DateRange => Some(Bounds::Days),
            Kind::MultiSelect | Kind::People | Kind::Table => Some(Bounds::Count),
            _ => None,
        }
    }

    /// Whether a formula can calculate with a value of this kind.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Kind::Number | Kind::Money | Kind::Checkbox | Kind::DateRange | Kind::Formula
        )
    }
}

/// An option of a choice field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// What is submitted and stored.
    pub value: String,
    pub label: Text,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: Text) -> Self {
        Choice {
            value: value.into(),
            label,
        }
    }
}

/// Show a field only while an earlier field's value is one of `values` (a checkbox as
/// `true`/`false`, a number by its shortest text, a multi-select if any choice is listed,
/// an empty or hidden field as `""`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub values: Vec<String>,
}

/// What a formula computes as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormulaResult {
    Number,
    /// Two decimals, as a string like `"12.50"`.
    Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Formula {
    pub expression: String,
    pub result: FormulaResult,
}

/// How a serial number looks: `{prefix}-{YYYYMMDD}-{sequence}` (`F-20261130-0001`), or
/// `{prefix}-{sequence}` without the date. The sequence counts per form and never restarts,
/// so numbers stay unique whatever the clock or time zone does; it is zero-padded to
/// `digits` and grows past them when needed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialFormat {
    #[serde(default = "default_prefix")]
    pub prefix: String,
    #[serde(default = "yes")]
    pub date: bool,
    #[serde(default = "four")]
    pub digits: u8,
}

fn default_prefix() -> String {
    "F".into()
}

fn yes() -> bool {
    true
}

fn four() -> u8 {
    4
}

impl Default for SerialFormat {
    fn default() -> Self {
        SerialFormat {
            prefix: default_prefix(),
            date: true,
            digits: 4,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A column of a table field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub label: Text,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_message: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// For formula columns: computed from the same row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<Formula>,
}

impl Column {
    pub fn new(name: impl Into<String>, label: Text, kind: Kind) -> Self {
        Column {
            name: name.into(),
            label,
            kind,
            required: false,
            min: None,
            max: None,
            pattern: None,
            pattern_message: None,
            options: Vec::new(),
            formula: None,
        }
    }

    /// Whether its values are amounts (`"12.50"`).
    pub fn is_money(&self) -> bool {
        is_money(self.kind, self.formula.as_ref())
    }
}

fn is_money(kind: Kind, formula: Option<&Formula>) -> bool {
    kind == Kind::Money
        || (kind == Kind::Formula && formula.is_some_and(|f| f.result == FormulaResult::Money))
}

/// A field as the builder defines it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The key of its value in an answer: 1 to 64 of `[a-z0-9_]`.
    pub name: String,
    pub label: Text,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Bound numbers and amounts, the length of text, the days of a date range, and the
    /// count of choices, people and table rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// A regular expression the whole text must match (text and textarea only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_message: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_when: Option<Condition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Column>,
    /// Shown with its default, never submitted back.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<Formula>,
    /// Money fields and money formulas: show the amount in Chinese capitals (大写).
    #[serde(default, skip_serializing_if = "is_false")]
    pub show_capitals: bool,
    /// Serial fields: how the number looks (default `F-YYYYMMDD-0001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<SerialFormat>,
}

impl Field {
    pub fn new(name: impl Into<String>, label: Text, kind: Kind) -> Self {
        Field {
            name: name.into(),
            label,
            kind,
            required: false,
            min: None,
            max: None,
            pattern: None,
            pattern_message: None,
            options: Vec::new(),
            placeholder: None,
            help: None,
            default: None,
            visible_when: None,
            columns: Vec::new(),
            read_only: false,
            formula: None,
            show_capitals: false,
            serial: None,
        }
    }

    /// Whether its values are amounts (`"12.50"`).
    pub fn is_money(&self) -> bool {
        is_money(self.kind, self.formula.as_ref())
    }

    /// Whether answers carry a value for it: not serial numbers (kept beside the values)
    /// nor read-only fields (never submitted).
    pub fn answers(&self) -> bool {
        self.kind != Kind::Serial && !self.read_only
    }

    /// The label of an option value, or the value itself when it is not (or no longer) an
    /// option.
    pub fn option_label<'a>(&'a self, value: &'a str, lang: Lang) -> &'a str {
        option_label(&self.options, value, lang)
    }

    fn place(&self) -> Place {
        Place::Field {
            name: self.name.clone(),
            label: self.label.clone(),
        }
    }
}

pub(crate) fn option_label<'a>(options: &'a [Choice], value: &'a str, lang: Lang) -> &'a str {
    options
        .iter()
        .find(|o| o.value == value)
        .map_or(value, |o| o.label.get(lang))
}

/// What the builder edits: the questions of a form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    pub fields: Vec<Field>,
}

impl Definition {
    /// Reads a definition the builder sent, reporting unknown field kinds by field (serde
    /// alone would only say "unknown variant") and any other shape problem as
    /// [`Problem::Malformed`]. The result still needs [`Definition::validate`].
    pub fn from_json(value: &Value) -> Result<Definition, Vec<DefinitionError>> {
        let mut errors = Vec::new();
        let fields = value.get("fields").and_then(Value::as_array);
        for (i, f) in fields.into_iter().flatten().enumerate() {
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_string);
            let label: Text = f
                .get("label")
                .and_then(|l| serde_json::from_value(l.clone()).ok())
                .unwrap_or_default();
            if let Some(kind) = unknown_kind(f) {
                errors.push(DefinitionError {
                    place: Place::Field {
                        name: name.clone(),
                        label: label.clone(),
                    },
                    problem: Problem::UnknownKind(kind),
                });
            }
            let columns = f.get("columns").and_then(Value::as_array);
            for (j, c) in columns.into_iter().flatten().enumerate() {
                if let Some(kind) = unknown_kind(c) {
                    errors.push(DefinitionError {
                        place: Place::Column {
                            field: name.clone(),
                            field_label: label.clone(),
                            name: c
                                .get("name")
                                .and_then(Value::as_str)
                                .map_or_else(|| format!("#{}", j + 1), str::to_string),
                            label: c
                                .get("label")
                                .and_then(|l| serde_json::from_value(l.clone()).ok())
                                .unwrap_or_default(),
                        },
                        problem: Problem::UnknownKind(kind),
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        serde_json::from_value(value.clone())
            .map_err(|e| vec![DefinitionError::form(Problem::Malformed(e.to_string()))])
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The serial number field, if the form has one.
    pub fn serial_field(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.kind == Kind::Serial)
    }

    /// How this form's serial numbers look (the serial field's format, or the default).
    pub fn serial_format(&self) -> SerialFormat {
        self.serial_field()
            .and_then(|f| f.serial.clone())
            .unwrap_or_default()
    }

    /// Every problem, in field order (at most [`MAX_ERRORS`]); empty when the definition
    /// can be published.
    pub fn validate(&self) -> Vec<DefinitionError> {
        let mut c = Checker::default();
        self.check(&mut c);
        c.errors.truncate(MAX_ERRORS);
        c.errors
    }

    fn check(&self, c: &mut Checker) {
        if self.title.is_blank() {
            c.form(Problem::TitleMissing);
        }
        c.text(&Place::Form, What::Title, &self.title, MAX_TITLE, false);
        c.text(
            &Place::Form,
            What::Description,
            &self.description,
            MAX_DESCRIPTION,
            true,
        );
        if self.fields.is_empty() {
            c.form(Problem::NoFields);
        }
        if self.fields.len() > MAX_FIELDS {
            c.form(Problem::TooManyFields(MAX_FIELDS));
        }
        if self
            .fields
            .iter()
            .filter(|f| f.kind == Kind::Serial)
            .count()
            > 1
        {
            c.form(Problem::TooManySerials);
        }
        let size = serde_json::to_vec(self).map_or(usize::MAX, |v| v.len());
        if size > MAX_DEFINITION_BYTES {
            c.form(Problem::TooLarge {
                max_kib: MAX_DEFINITION_BYTES / 1024,
            });
        }
        let mut names = HashSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            if c.full() {
                return;
            }
            let at = field.place();
            c.name(&at, &field.name, &mut names);
            c.spec(&at, &Spec::of_field(field));
            if field.kind == Kind::Table {
                c.columns(field);
            } else if !field.columns.is_empty() {
                c.push(&at, Problem::ColumnsNotAllowed(field.kind));
            }
            self.check_formula(c, i);
            self.check_condition(c, i);
            c.text_opt(
                &at,
                What::Placeholder,
                field.placeholder.as_ref(),
                MAX_PLACEHOLDER,
            );
            c.text_opt(&at, What::Help, field.help.as_ref(), MAX_HELP);
            let undecided = field.kind == Kind::Formula && field.formula.is_none();
            if field.show_capitals && !field.is_money() && !undecided {
                c.push(&at, Problem::CapitalsNotMoney(field.kind));
            }
            match (&field.serial, field.kind) {
                (Some(_), k) if k != Kind::Serial => {
                    c.push(&at, Problem::SerialFormatNotAllowed(k));
                }
                (Some(format), _) => {
                    let prefix_ok = (1..=16).contains(&format.prefix.chars().count())
                        && format
                            .prefix
                            .chars()
                            .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_');
                    if !prefix_ok {
                        c.push(&at, Problem::BadSerialPrefix);
                    }
                    if !(3..=8).contains(&format.digits) {
                        c.push(&at, Problem::BadSerialDigits);
                    }
                }
                (None, _) => {}
            }
            if field.default.as_ref().is_some_and(|d| !d.is_null())
                && matches!(field.kind, Kind::Formula | Kind::Serial)
            {
                c.push(&at, Problem::DefaultNotAllowed(field.kind));
            }
        }
        if c.errors.is_empty()
            && let Some(i) = self.first_in_loop()
        {
            c.push(&self.fields[i].place(), Problem::DependencyLoop);
        }
    }

    fn check_formula(&self, c: &mut Checker, i: usize) {
        let field = &self.fields[i];
        let at = field.place();
        let Some(refs) = c.formula(&at, field.kind, field.formula.as_ref()) else {
            return;
        };
        let find = |name: &str| self.fields.iter().enumerate().find(|(_, f)| f.name == name);
        for r in refs {
            let problem = match &r {
                Reference::Field(name) => match find(name) {
                    None => Some(Problem::FormulaUnknownField(name.clone())),
                    Some((_, f)) if f.kind == Kind::Table => {
                        Some(Problem::FormulaTable(name.clone()))
                    }
                    Some((j, f)) => operand(i, j, name, f.kind),
                },
                Reference::Table(name) => match find(name) {
                    None => Some(Problem::FormulaUnknownField(name.clone())),
                    Some((_, f)) if f.kind != Kind::Table => Some(Problem::FormulaNotTable {
                        name: name.clone(),
                        kind: f.kind,
                    }),
                    Some(_) => None,
                },
                Reference::Column(table, column) => match find(table) {
                    None => Some(Problem::FormulaUnknownField(table.clone())),
                    Some((_, f)) if f.kind != Kind::Table => Some(Problem::FormulaNotTable {
                        name: table.clone(),
                        kind: f.kind,
                    }),
                    Some((_, t)) => match t.columns.iter().find(|col| col.name == *column) {
                        None => Some(Problem::FormulaUnknownColumn {
                            table: table.clone(),
                            column: column.clone(),
                        }),
                        Some(col) if !col.kind.is_numeric() => Some(Problem::FormulaNotNumeric {
                            name: format!("{table}.{column}"),
                            kind: col.kind,
                        }),
                        Some(_) => None,
                    },
                },
            };
            if let Some(p) = problem {
                c.push(&at, p);
            }
        }
    }

    fn check_condition(&self, c: &mut Checker, i: usize) {
        let field = &self.fields[i];
        let Some(cond) = &field.visible_when else {
            return;
        };
        let at = field.place();
        match self.fields[..i].iter().find(|f| f.name == cond.field) {
            None => c.push(&at, Problem::ConditionUnknown(cond.field.clone())),
            Some(f) if f.kind == Kind::Table => c.push(&at, Problem::ConditionTable),
            Some(f) if f.kind == Kind::Serial => c.push(&at, Problem::ConditionSerial),
            Some(_) => {}
        }
        if cond.values.is_empty() || cond.values.len() > MAX_CONDITION_VALUES {
            c.push(&at, Problem::ConditionValues(MAX_CONDITION_VALUES));
        }
        for v in &cond.values {
            c.text(
                &at,
                What::ConditionValue,
                &Text::same(v.as_str()),
                MAX_LABEL,
                false,
            );
        }
    }

    /// The first field on a loop of formulas and conditions depending on each other (a
    /// formula using a later field whose condition uses the formula), if any.
    fn first_in_loop(&self) -> Option<usize> {
        let index = |name: &str| self.fields.iter().position(|f| f.name == name);
        let needs: Vec<Vec<usize>> = self
            .fields
            .iter()
            .map(|f| {
                let mut needs: Vec<usize> = f
                    .visible_when
                    .iter()
                    .filter_map(|c| index(&c.field))
                    .collect();
                if f.kind == Kind::Formula
                    && let Some(Ok(refs)) = f
                        .formula
                        .as_ref()
                        .map(|x| formula::references(&x.expression))
                {
                    for r in refs {
                        let (Reference::Field(n) | Reference::Table(n) | Reference::Column(n, _)) =
                            r;
                        needs.extend(index(&n));
                    }
                }
                needs
            })
            .collect();
        let mut done = vec![false; self.fields.len()];
        while let Some(i) =
            (0..self.fields.len()).find(|&i| !done[i] && needs[i].iter().all(|&j| done[j]))
        {
            done[i] = true;
        }
        done.iter().position(|d| !d)
    }
}

/// A kind that is a string but not a known kind.
fn unknown_kind(v: &Value) -> Option<String> {
    let kind = v.get("kind")?.as_str()?;
    Kind::from_name(kind).is_none().then(|| kind.to_string())
}

/// What a formula at position `i` may use of the field or column at `j`.
fn operand(i: usize, j: usize, name: &str, kind: Kind) -> Option<Problem> {
    if i == j {
        Some(Problem::FormulaSelf)
    } else if kind == Kind::Formula && j > i {
        Some(Problem::FormulaLater(name.to_string()))
    } else if !kind.is_numeric() {
        Some(Problem::FormulaNotNumeric {
            name: name.to_string(),
            kind,
        })
    } else {
        None
    }
}

/// The rules a field and a column share.
struct Spec<'a> {
    label: &'a Text,
    kind: Kind,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<&'a str>,
    pattern_message: Option<&'a Text>,
    options: &'a [Choice],
}

impl<'a> Spec<'a> {
    fn of_field(f: &'a Field) -> Self {
        Spec {
            label: &f.label,
            kind: f.kind,
            min: f.min,
            max: f.max,
            pattern: f.pattern.as_deref(),
            pattern_message: f.pattern_message.as_ref(),
            options: &f.options,
        }
    }

    fn of_column(c: &'a Column) -> Self {
        Spec {
            label: &c.label,
            kind: c.kind,
            min: c.min,
            max: c.max,
            pattern: c.pattern.as_deref(),
            pattern_message: c.pattern_message.as_ref(),
            options: &c.options,
        }
    }
}

#[derive(Default)]
struct Checker {
    errors: Vec<DefinitionError>,
}

impl Checker {
    fn full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    fn push(&mut self, at: &Place, problem: Problem) {
        self.errors.push(DefinitionError {
            place: at.clone(),
            problem,
        });
    }

    fn form(&mut self, problem: Problem) {
        self.push(&Place::Form, problem);
    }

    fn text(&mut self, at: &Place, what: What, text: &Text, max: usize, multiline: bool) {
        if text.chars() > max {
            self.push(at, Problem::TooLong { what, max });
        }
        if text.has_control(multiline) {
            self.push(at, Problem::ControlChars(what));
        }
    }

    fn text_opt(&mut self, at: &Place, what: What, text: Option<&Text>, max: usize) {
        if let Some(t) = text {
            self.text(at, what, t, max, false);
        }
    }

    fn name(&mut self, at: &Place, name: &str, seen: &mut HashSet<String>) {
        let ok = (1..=MAX_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            self.push(at, Problem::BadName);
        } else if !seen.insert(name.to_string()) {
            self.push(at, Problem::DuplicateName);
        }
    }

    fn spec(&mut self, at: &Place, s: &Spec) {
        if s.label.is_blank() {
            self.push(at, Problem::LabelMissing);
        }
        self.text(at, What::Label, s.label, MAX_LABEL, false);
        self.bounds(at, s);
        if let Some(p) = s.pattern {
            if !matches!(s.kind, Kind::Text | Kind::Textarea) {
                self.push(at, Problem::PatternNotAllowed(s.kind));
            } else if p.is_empty() {
                self.push(at, Problem::PatternEmpty);
            } else if p.chars().count() > MAX_PATTERN {
                self.push(
                    at,
                    Problem::TooLong {
                        what: What::Pattern,
                        max: MAX_PATTERN,
                    },
                );
            }
        }
        self.text_opt(at, What::PatternMessage, s.pattern_message, MAX_LABEL);
        if matches!(s.kind, Kind::Select | Kind::MultiSelect) {
            if s.options.is_empty() {
                self.push(at, Problem::OptionsMissing(s.kind));
            }
            if s.options.len() > MAX_OPTIONS {
                self.push(at, Problem::TooManyOptions(MAX_OPTIONS));
            }
            let mut seen = HashSet::new();
            for o in s.options {
                if o.value.is_empty() || o.label.is_blank() {
                    self.push(at, Problem::OptionBlank);
                }
                self.text(
                    at,
                    What::Option,
                    &Text::same(o.value.as_str()),
                    MAX_LABEL,
                    false,
                );
                self.text(at, What::Option, &o.label, MAX_LABEL, false);
                if !o.value.is_empty() && !seen.insert(o.value.as_str()) {
                    self.push(at, Problem::DuplicateOption(o.value.clone()));
                }
            }
        } else if !s.options.is_empty() {
            self.push(at, Problem::OptionsNotAllowed(s.kind));
        }
    }

    fn bounds(&mut self, at: &Place, s: &Spec) {
        let Some(bounds) = s.kind.bounds() else {
            if s.min.is_some() || s.max.is_some() {
                self.push(at, Problem::BoundsNotAllowed(s.kind));
            }
            return;
        };
        for b in [s.min, s.max].into_iter().flatten() {
            if !b.is_finite() {
                self.push(at, Problem::BoundNotFinite);
                return;
            }
            if b < 0.0 && !matches!(bounds, Bounds::Number | Bounds::Money) {
                self.push(at, Problem::NegativeBound(s.kind));
                return;
            }
            if bounds == Bounds::Money && cents::parse(&b.to_string()).is_none() {
                self.push(at, Problem::MoneyBound);
                return;
            }
        }
        if let (Some(min), Some(max)) = (s.min, s.max)
            && min > max
        {
            self.push(at, Problem::MinAboveMax);
        }
        let cap = match s.kind {
            Kind::Text => Some(MAX_TEXT),
            Kind::Textarea => Some(MAX_TEXTAREA),
            Kind::People => Some(MAX_PEOPLE),
            Kind::Table => Some(MAX_ROWS),
            _ => None,
        };
        if let (Some(cap), Some(max)) = (cap, s.max)
            && max > cap as f64
        {
            self.push(at, Problem::BoundAboveCap { kind: s.kind, cap });
        }
    }

    /// Checks that a formula is there exactly for formula kinds and reads; its references.
    fn formula(
        &mut self,
        at: &Place,
        kind: Kind,
        formula: Option<&Formula>,
    ) -> Option<Vec<Reference>> {
        match (kind == Kind::Formula, formula) {
            (true, None) => {
                self.push(at, Problem::FormulaMissing);
                None
            }
            (false, Some(_)) => {
                self.push(at, Problem::FormulaNotAllowed(kind));
                None
            }
            (false, None) => None,
            (true, Some(f)) => match formula::references(&f.expression) {
                Ok(refs) => Some(refs),
                Err(e) => {
                    self.push(at, Problem::FormulaSyntax(e));
                    None
                }
            },
        }
    }

    fn columns(&mut self, table: &Field) {
        let at = table.place();
        if table.columns.is_empty() {
            self.push(&at, Problem::ColumnsMissing);
        }
        if table.columns.len() > MAX_COLUMNS {
            self.push(&at, Problem::TooManyColumns(MAX_COLUMNS));
        }
        let mut names = HashSet::new();
        for (i, col) in table.columns.iter().enumerate() {
            let at = Place::Column {
                field: table.name.clone(),
                field_label: table.label.clone(),
                name: col.name.clone(),
                label: col.label.clone(),
            };
            self.name(&at, &col.name, &mut names);
            if matches!(col.kind, Kind::Table | Kind::Serial) {
                self.push(&at, Problem::ColumnKind(col.kind));
            }
            self.spec(&at, &Spec::of_column(col));
            let Some(refs) = self.formula(&at, col.kind, col.formula.as_ref()) else {
                continue;
            };
            for r in refs {
                let problem = match &r {
                    Reference::Table(_) | Reference::Column(..) => Some(Problem::FormulaRowOnly),
                    Reference::Field(name) => {
                        match table.columns.iter().position(|o| o.name == *name) {
                            None => Some(Problem::FormulaUnknownColumn {
                                table: table.name.clone(),
                                column: name.clone(),
                            }),
                            Some(j) => operand(i, j, name, table.columns[j].kind),
                        }
                    }
                };
                if let Some(p) = problem {
                    self.push(&at, p);
                }
            }
        }
    }
}

/// Whom the form is for. The wiring resolves groups to their members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    #[serde(default)]
    pub groups: Vec<String>,
    /// Person ids.
    #[serde(default)]
    pub people: Vec<String>,
}

impl Audience {
    /// Whether a person, member of `groups`, is addressed.
    pub fn includes(&self, person_id: &str, groups: &[String]) -> bool {
        self.people.iter().any(|p| p == person_id) || self.groups.iter().any(|g| groups.contains(g))
    }
}

/// How a form is answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub audience: Audience,
    /// No answers (nor changes to answers) after this instant.
    #[serde(default)]
    pub deadline_ms: Option<i64>,
    /// Several answers per person (a daily report); otherwise one.
    #[serde(default)]
    pub repeatable: bool,
    /// People may change their answers until the deadline.
    #[serde(default)]
    pub editable: bool,
    /// Answers are not linked to people (see [`super::anonymity`]).
    #[serde(default)]
    pub anonymous: bool,
}

impl Settings {
    /// Problems with these settings; `publishing` adds what a live form needs (an audience,
    /// a deadline still ahead).
    pub fn validate(
        &self,
        publishing: bool,
        now_ms: i64,
        offset_minutes: i32,
    ) -> Vec<DefinitionError> {
        let mut errors = Vec::new();
        let mut push = |p| errors.push(DefinitionError::settings(p));
        if self.anonymous && self.editable {
            push(Problem::AnonymousEditable);
        }
        let size = self.audience.groups.len() + self.audience.people.len();
        if size > MAX_AUDIENCE {
            push(Problem::AudienceTooLarge(MAX_AUDIENCE));
        }
        if let Some(bad) = self
            .audience
            .groups
            .iter()
            .chain(&self.audience.people)
            .find(|id| !is_id(id))
        {
            push(Problem::BadAudienceId(bad.chars().take(64).collect()));
        }
        if publishing {
            if size == 0 {
                push(Problem::AudienceEmpty);
            }
            if let Some(deadline_ms) = self.deadline_ms.filter(|&d| d <= now_ms) {
                push(Problem::DeadlinePassed {
                    deadline_ms,
                    offset_minutes,
                });
            }
        }
        errors
    }
}

/// The host's id alphabet: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    /// Being designed; never published.
    #[default]
    Draft,
    /// Taking answers (until the deadline, if any).
    Published,
    /// No longer taking answers; may be published again.
    Closed,
}

impl FormStatus {
    pub fn label(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            FormStatus::Draft => ("draft", "草稿"),
            FormStatus::Published => ("published", "已发布"),
            FormStatus::Closed => ("closed", "已结束"),
        };
        lang.pick(en, zh)
    }
}

/// A published definition. Never changed once made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub form_id: String,
    /// 1, 2, …
    pub number: u32,
    pub published_at_ms: i64,
    /// Person id.
    pub published_by: String,
    pub definition: Definition,
}

/// A form: who owns it, where it stands, how it is answered, and its counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Form {
    pub id: String,
    pub owner: PersonRef,
    pub status: FormStatus,
    pub settings: Settings,
    /// The title of the working copy, for lists.
    pub title: Text,
    /// The latest published version; 0 before the first publication.
    pub latest_version: u32,
    /// The sequence the next serial number gets.
    pub next_serial: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Form {
    /// A new draft form owned by `owner`.
    pub fn new(
        id: impl Into<String>,
        owner: PersonRef,
        title: Text,
        settings: Settings,
        now_ms: i64,
    ) -> Form {
        Form {
            id: id.into(),
            owner,
            status: FormStatus::Draft,
            settings,
            title,
            latest_version: 0,
            next_serial: 1,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        }
    }

    /// Whether a person may change the form, publish or close it, and see its results.
    pub fn may_manage(&self, person_id: &str, is_admin: bool) -> bool {
        is_admin || self.owner.id == person_id
    }

    /// Checks a working copy the builder saves. Refused with every problem; then nothing
    /// should be stored.
    pub fn check_draft(&self, draft: &Definition) -> Result<(), FormError> {
        let errors = draft.validate();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(FormError::Invalid(errors))
        }
    }

    /// Notes that the working copy was saved (its title shows in lists).
    pub fn draft_saved(&mut self, draft: &Definition, now_ms: i64) {
        self.title = draft.title.clone();
        self.updated_at_ms = now_ms;
    }

    /// Changes how the form is answered. A published form's deadline must be ahead;
    /// anonymity is fixed after the first publication.
    pub fn set_settings(
        &mut self,
        settings: Settings,
        now_ms: i64,
        offset_minutes: i32,
    ) -> Result<(), FormError> {
        let publishing = self.status == FormStatus::Published;
        let mut errors = settings.validate(publishing, now_ms, offset_minutes);
        if self.latest_version > 0 && settings.anonymous != self.settings.anonymous {
            errors.push(DefinitionError::settings(Problem::AnonymousLocked));
        }
        if !errors.is_empty() {
            return Err(FormError::Invalid(errors));
        }
        self.settings = settings;
        self.updated_at_ms = now_ms;
        Ok(())
    }

    /// Publishes the working copy `draft`. `latest` is the stored latest version (`None`
    /// before the first publication). Returns the new version to store when the working
    /// copy differs from `latest`; `None` when it is unchanged (reopening a closed form).
    pub fn publish(
        &mut self,
        draft: &Definition,
        latest: Option<&Version>,
        by: &str,
        now_ms: i64,
        offset_minutes: i32,
    ) -> Result<Option<Version>, FormError> {
        let stored = latest.map_or(0, |v| v.number);
        if stored != self.latest_version || latest.is_some_and(|v| v.form_id != self.id) {
            return Err(FormError::StaleVersion);
        }
        let mut errors = draft.validate();
        errors.extend(self.settings.validate(true, now_ms, offset_minutes));
        if !errors.is_empty() {
            return Err(FormError::Invalid(errors));
        }
        let version = match latest {
            Some(v) if v.definition == *draft => None,
            _ => Some(Version {
                form_id: self.id.clone(),
                number: self.latest_version + 1,
                published_at_ms: now_ms,
                published_by: by.to_string(),
                definition: draft.clone(),
            }),
        };
        if let Some(v) = &version {
            self.latest_version = v.number;
        }
        self.status = FormStatus::Published;
        self.title = draft.title.clone();
        self.updated_at_ms = now_ms;
        Ok(version)
    }

    /// Stops taking answers.
    pub fn close(&mut self, now_ms: i64) -> Result<(), FormError> {
        if self.status != FormStatus::Published {
            return Err(FormError::Status {
                from: self.status,
                to: FormStatus::Closed,
            });
        }
        self.status = FormStatus::Closed;
        self.updated_at_ms = now_ms;
        Ok(())
    }

    /// Whether answers are taken now: published and before the deadline.
    pub fn accepting(&self, now_ms: i64, offset_minutes: i32) -> Result<(), FormError> {
        match self.status {
            FormStatus::Draft => return Err(FormError::NotPublished),
            FormStatus::Closed => return Err(FormError::Closed),
            FormStatus::Published => {}
        }
        match self.settings.deadline_ms {
            Some(deadline_ms) if now_ms > deadline_ms => Err(FormError::PastDeadline {
                deadline_ms,
                offset_minutes,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
