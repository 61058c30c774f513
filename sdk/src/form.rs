//! Declarative forms. The host renders them, checks every rule before the plugin sees a
//! submission, and hands the values to [`crate::Plugin::action`] as JSON (read them with
//! [`crate::Action::form_as`]).
//!
//! ```ignore
//! let form = Form::new("leave", ctx.tr("Request leave", "请假"))
//!     .field(Field::select("kind", ctx.tr("Type", "类型"))
//!         .option("annual", ctx.tr("Annual", "年假"))
//!         .option("sick", ctx.tr("Sick", "病假"))
//!         .default("annual")
//!         .required())
//!     .field(Field::date_range("dates", ctx.tr("Dates", "日期")).required())
//!     .field(Field::file("certificate", ctx.tr("Certificate", "证明")).visible_if("kind", "sick"))
//!     .field(Field::textarea("reason", ctx.tr("Reason", "事由")).max(500).placeholder("…"))
//!     .submit_label(ctx.tr("Submit", "提交"));
//! ```
//!
//! What each kind submits: text, textarea, select, date (`YYYY-MM-DD`), datetime
//! (`YYYY-MM-DDTHH:MM`), person, group, department and file (a file id, see
//! [`crate::files`]) as strings; number as a number; money as a decimal string (see
//! [`Money`]); date-range as `{"start", "end"}` (see [`crate::time::DateRange`]);
//! multi-select and people as lists of strings; checkbox as a bool; table as a list of
//! objects, one per row; formula as what it computes (a number, or a money string).
//!
//! Formulas are computed by the host, never taken from what a client sends, and shown live
//! while the form is filled in:
//!
//! ```ignore
//! Form::new("expense", ctx.tr("Expense", "报销"))
//!     .field(Field::department("department", ctx.tr("Department", "部门")).required())
//!     .field(Field::table("items", ctx.tr("Items", "明细"))
//!         .column(Column::number("qty", ctx.tr("Qty", "数量")))
//!         .column(Column::money("price", ctx.tr("Price", "单价")))
//!         .column(Column::money_formula("cost", ctx.tr("Cost", "金额"), "qty * price")))
//!     .field(Field::money_formula("total", ctx.tr("Total", "合计"), "sum(items.cost)"))
//!     .field(Field::formula("lines", ctx.tr("Lines", "行数"), "count(items)"));
//! ```
//!
//! The formula language: numbers, `+ - * /`, parentheses, field names (number, money,
//! checkbox as 0/1, date-range as its days), `sum(table.column)`, `count(table)`,
//! `min(a, b…)`, `max(a, b…)`, `round(x, digits)`, and `if(condition, then, else)` with
//! `= != < <= > >=`, `and`, `or`, `not`. A field that is empty or hidden counts as 0;
//! division by zero gives an empty result.

use serde::{Deserialize, Serialize};

use crate::bindings::courtyard::plugin::types as t;

mod wire;
pub use wire::kind_name;

pub use t::{FieldKind, FormulaResult};

fn no_rules() -> t::Rules {
    t::Rules {
        required: false,
        min: None,
        max: None,
        pattern: None,
        pattern_message: None,
    }
}

/// A form: an id (passed back as the action id on submit; 1 to 64 letters, digits or
/// `_.:-`), a title, fields (at most 60), a submit label, and a value (passed back as the
/// action value, e.g. the id of what it is about; at most 4 KiB).
#[derive(Clone, Debug)]
pub struct Form(t::Form);

impl Form {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Form(t::Form {
            id: id.into(),
            title: title.into(),
            fields: Vec::new(),
            submit_label: String::new(),
            value: String::new(),
        })
    }

    pub fn field(mut self, field: Field) -> Self {
        self.0.fields.push(field.0);
        self
    }

    pub fn fields(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.0.fields.extend(fields.into_iter().map(|f| f.0));
        self
    }

    /// The submit button's label (empty: the client's own "Submit").
    pub fn submit_label(mut self, label: impl Into<String>) -> Self {
        self.0.submit_label = label.into();
        self
    }

    /// Passed back as the action value on submit.
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.0.value = value.into();
        self
    }

    /// Pre-fills fields by name from anything that serializes to an object: what was
    /// submitted (`&action.form`, or the type you read it into), or a stored record — to
    /// show the form again with what was wrong (see [`Form::help_for`]), or to edit.
    /// Values for names the form does not have are ignored.
    pub fn fill<T: Serialize + ?Sized>(mut self, values: &T) -> Self {
        if let Ok(serde_json::Value::Object(values)) = serde_json::to_value(values) {
            for f in &mut self.0.fields {
                if let Some(v) = values.get(&f.name).filter(|v| !v.is_null()) {
                    f.default_value = Some(v.to_string());
                }
            }
        }
        self
    }

    /// Sets the help text of the field `name` (for example to explain what was wrong).
    pub fn help_for(mut self, name: &str, help: impl Into<String>) -> Self {
        if let Some(f) = self.0.fields.iter_mut().find(|f| f.name == name) {
            f.help = Some(help.into());
        }
        self
    }

    pub fn id(&self) -> &str {
        &self.0.id
    }
}

impl From<Form> for t::Form {
    fn from(f: Form) -> Self {
        f.0
    }
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $fn:ident => $kind:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $fn(name: impl Into<String>, label: impl Into<String>) -> Self {
                Self::new(name, label, FieldKind::$kind)
            }
        )*
    };
}

/// A field of a [`Form`]. Start from the constructor of its kind, then add rules, options,
/// a default, help and so on.
///
/// Names are 1 to 64 lowercase letters, digits or `_`, unique in the form; a field shown
/// conditionally ([`Field::visible_when`]) depends on a field before it. The host checks a
/// form when it is sent and refuses the reply if it is inconsistent, so mistakes show up the
/// first time the code runs.
#[derive(Clone, Debug)]
pub struct Field(t::FormField);

impl Field {
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        Field(t::FormField {
            name: name.into(),
            label: label.into(),
            kind,
            rules: no_rules(),
            options: Vec::new(),
            placeholder: None,
            help: None,
            default_value: None,
            visible_when: None,
            columns: Vec::new(),
            read_only: false,
            formula: None,
        })
    }

    /// A number computed by the host from other fields with `expression` (see the
    /// [module documentation](self) for the language); read-only.
    pub fn formula(
        name: impl Into<String>,
        label: impl Into<String>,
        expression: impl Into<String>,
    ) -> Self {
        Self::computed(name, label, expression, FormulaResult::Number)
    }

    /// An amount computed by the host from other fields with `expression`, rounded to two
    /// decimals (half away from zero) and submitted as a money string; read it as [`Money`].
    pub fn money_formula(
        name: impl Into<String>,
        label: impl Into<String>,
        expression: impl Into<String>,
    ) -> Self {
        Self::computed(name, label, expression, FormulaResult::Money)
    }

    /// A `formula` field computing `result` from `expression`.
    pub fn computed(
        name: impl Into<String>,
        label: impl Into<String>,
        expression: impl Into<String>,
        result: FormulaResult,
    ) -> Self {
        let mut field = Self::new(name, label, FieldKind::Formula);
        field.0.formula = Some(t::Formula {
            expression: expression.into(),
            result,
        });
        field
    }

    kinds! {
        /// One line of text.
        text => Text,
        /// Several lines of text.
        textarea => Textarea,
        number => Number,
        /// A decimal amount, at most two fraction digits; read it as [`Money`].
        money => Money,
        /// `YYYY-MM-DD`; read it as [`crate::time::Date`].
        date => Date,
        /// Start and end dates; read it as [`crate::time::DateRange`].
        date_range => DateRange,
        /// `YYYY-MM-DDTHH:MM` in the organization's time zone.
        datetime => Datetime,
        /// One of the options.
        select => Select,
        /// Some of the options (a list).
        multi_select => MultiSelect,
        /// A person id the submitter can see.
        person => Person,
        /// Person ids.
        people => People,
        /// A group id the submitter belongs to.
        group => Group,
        /// A file id: a file the submitter uploaded; see [`crate::files`].
        file => File,
        /// `true` or `false`.
        checkbox => Checkbox,
        /// Rows of sub-fields; add them with [`Field::column`].
        table => Table,
        /// A department id of the submitter's organization.
        department => Department,
    }

    /// Must be filled in (a checkbox: must be ticked).
    pub fn required(mut self) -> Self {
        self.0.rules.required = true;
        self
    }

    /// The least number or amount, the shortest text, or the fewest selections, files or
    /// rows.
    pub fn min(mut self, min: impl Into<f64>) -> Self {
        self.0.rules.min = Some(min.into());
        self
    }

    /// The greatest number or amount, the longest text, or the most selections, files or
    /// rows.
    pub fn max(mut self, max: impl Into<f64>) -> Self {
        self.0.rules.max = Some(max.into());
        self
    }

    /// A regular expression the whole text must match, and what to say when it does not.
    pub fn pattern(mut self, regex: impl Into<String>, message: impl Into<String>) -> Self {
        self.0.rules.pattern = Some(regex.into());
        self.0.rules.pattern_message = Some(message.into());
        self
    }

    /// An option of a select or multi-select: the submitted value and its label.
    pub fn option(mut self, value: impl Into<String>, label: impl Into<String>) -> Self {
        self.0.options.push(t::SelectOption {
            value: value.into(),
            label: label.into(),
        });
        self
    }

    /// Options from `(value, label)` pairs.
    pub fn options<V: Into<String>, L: Into<String>>(
        mut self,
        options: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        self.0
            .options
            .extend(options.into_iter().map(|(v, l)| t::SelectOption {
                value: v.into(),
                label: l.into(),
            }));
        self
    }

    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.0.placeholder = Some(placeholder.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// The initial value: `"annual"`, `3`, `true`, `json!({"start": …, "end": …})`.
    pub fn default(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.0.default_value = Some(value.into().to_string());
        self
    }

    /// Shows the field only while the field `field` has one of `values` (a checkbox:
    /// `"true"` or `"false"`).
    pub fn visible_when<S: Into<String>>(
        mut self,
        field: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.0.visible_when = Some(t::Condition {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Shows the field only while the field `field` has the value `value`.
    pub fn visible_if(self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.visible_when(field, [value.into()])
    }

    /// Shown but not editable, and not submitted back.
    pub fn read_only(mut self) -> Self {
        self.0.read_only = true;
        self
    }

    /// A column of a table field.
    pub fn column(mut self, column: Column) -> Self {
        self.0.columns.push(column.0);
        self
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }
}

/// A column of a table field (tables do not nest).
#[derive(Clone, Debug)]
pub struct Column(t::Column);

impl Column {
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        Column(t::Column {
            name: name.into(),
            label: label.into(),
            kind,
            rules: no_rules(),
            options: Vec::new(),
            formula: None,
        })
    }

    /// A number computed from the same row's columns (see [`Field::formula`]).
    pub fn formula(
        name: impl Into<String>,
        label: impl Into<String>,
        expression: impl Into<String>,
    ) -> Self {
        Self::computed(name, label, expression, FormulaResult::Number)
    }

    /// An amount computed from the same row's columns (see [`Field::money_formula`]).
    pub fn money_formula(
        name: impl Into<String>,
        label: impl Into<String>,
        expression: impl Into<String>,
    ) -> Self {
        Self::computed(name, label, expression, FormulaResult::Money)
    }

    /// A `formula` column computing `result` from `expression`.
    pub fn computed(
        name: impl Into<String>,
        label: impl Into<String>,
        expression: impl Into<String>,
        result: FormulaResult,
    ) -> Self {
        let mut column = Self::new(name, label, FieldKind::Formula);
        column.0.formula = Some(t::Formula {
            expression: expression.into(),
            result,
        });
        column
    }

    kinds! {
        text => Text,
        number => Number,
        money => Money,
        date => Date,
        datetime => Datetime,
        select => Select,
        multi_select => MultiSelect,
        person => Person,
        people => People,
        group => Group,
        file => File,
        checkbox => Checkbox,
        department => Department,
    }

    pub fn required(mut self) -> Self {
        self.0.rules.required = true;
        self
    }

    pub fn min(mut self, min: impl Into<f64>) -> Self {
        self.0.rules.min = Some(min.into());
        self
    }

    pub fn max(mut self, max: impl Into<f64>) -> Self {
        self.0.rules.max = Some(max.into());
        self
    }

    pub fn pattern(mut self, regex: impl Into<String>, message: impl Into<String>) -> Self {
        self.0.rules.pattern = Some(regex.into());
        self.0.rules.pattern_message = Some(message.into());
        self
    }

    pub fn option(mut self, value: impl Into<String>, label: impl Into<String>) -> Self {
        self.0.options.push(t::SelectOption {
            value: value.into(),
            label: label.into(),
        });
        self
    }
}

/// An amount of money in hundredths (fen, cents): what a `money` field submits, read
/// exactly (no floating point). Parses and prints `1200`, `1200.5`, `-3.25`; serializes as
/// a string, deserializes from a string or a number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    pub cents: i64,
}

impl Money {
    pub const ZERO: Money = Money { cents: 0 };

    pub fn from_cents(cents: i64) -> Self {
        Money { cents }
    }

    /// Whole units (yuan, dollars), rounded toward zero.
    pub fn units(self) -> i64 {
        self.cents / 100
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money::from_cents(self.cents + rhs.cents)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money::from_cents(self.cents - rhs.cents)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money::from_cents(iter.map(|m| m.cents).sum())
    }
}

impl std::str::FromStr for Money {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Money> {
        let bad = || {
            crate::Error::new(
                crate::ErrorKind::Data,
                format!("“{s}” is not an amount like 1200.50"),
            )
        };
        let text: String = s.trim().chars().filter(|c| *c != ',').collect();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(&text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let fraction: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| bad())? * 10,
            _ => fraction.parse().map_err(|_| bad())?,
        };
        let cents = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction))
            .ok_or_else(bad)?;
        Ok(Money::from_cents(if negative { -cents } else { cents }))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            Float(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Raw::Int(n) => n
                .checked_mul(100)
                .map(Money::from_cents)
                .ok_or_else(|| serde::de::Error::custom("amount out of range")),
            Raw::Float(x) if x.is_finite() && x.abs() < 9e13 => {
                Ok(Money::from_cents((x * 100.0).round() as i64))
            }
            Raw::Float(_) => Err(serde::de::Error::custom("amount out of range")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_and_prints_exactly() {
        for (text, cents, shown) in [
            ("1200", 120000, "1200.00"),
            ("1,200.5", 120050, "1200.50"),
            ("-3.25", -325, "-3.25"),
            ("0.07", 7, "0.07"),
        ] {
            let m: Money = text.parse().unwrap();
            assert_eq!(m.cents, cents, "{text}");
            assert_eq!(m.to_string(), shown);
        }
        for bad in ["", "1.234", "abc", ".5", "--1", "1e3"] {
            assert!(bad.parse::<Money>().is_err(), "{bad}");
        }
        let m: Money = serde_json::from_value(serde_json::json!("99.9")).unwrap();
        assert_eq!(m.cents, 9990);
        let m: Money = serde_json::from_value(serde_json::json!(12)).unwrap();
        assert_eq!(m.cents, 1200);
        assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!("12.00"));
    }
}
