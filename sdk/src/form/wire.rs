//! Forms as data: the same JSON the host's HTTP API shows for a form, so a plugin can keep
//! admin-defined forms (an approval template, an OA questionnaire) in its records and turn
//! them back into a [`Form`]. The host checks every form a plugin sends, so this only maps
//! shapes; what is inconsistent is refused when it is sent.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{FieldKind, Form, FormulaResult, t};

const KINDS: [(FieldKind, &str); 17] = [
    (FieldKind::Text, "text"),
    (FieldKind::Textarea, "textarea"),
    (FieldKind::Number, "number"),
    (FieldKind::Money, "money"),
    (FieldKind::Date, "date"),
    (FieldKind::DateRange, "date_range"),
    (FieldKind::Datetime, "datetime"),
    (FieldKind::Select, "select"),
    (FieldKind::MultiSelect, "multi_select"),
    (FieldKind::Person, "person"),
    (FieldKind::People, "people"),
    (FieldKind::Group, "group"),
    (FieldKind::File, "file"),
    (FieldKind::Checkbox, "checkbox"),
    (FieldKind::Table, "table"),
    (FieldKind::Department, "department"),
    (FieldKind::Formula, "formula"),
];

/// The wire name of a field kind (`date_range`, `multi_select`…).
pub fn kind_name(kind: FieldKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
        .unwrap_or("text")
}

fn kind_of(name: &str) -> Option<FieldKind> {
    KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
}

mod kind {
    use super::*;

    pub fn serialize<S: Serializer>(kind: &FieldKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind_name(*kind))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FieldKind, D::Error> {
        let name = String::deserialize(d)?;
        kind_of(&name).ok_or_else(|| D::Error::custom(format!("unknown field kind `{name}`")))
    }
}

#[derive(Serialize, Deserialize)]
struct OptionJson {
    value: String,
    label: String,
}

#[derive(Serialize, Deserialize)]
struct ConditionJson {
    field: String,
    values: Vec<String>,
}

/// What a `formula` field or column computes: `{"expression": "…", "result": "number" |
/// "money"}`.
#[derive(Serialize, Deserialize)]
struct FormulaJson {
    expression: String,
    result: ResultJson,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ResultJson {
    Number,
    Money,
}

impl From<FormulaJson> for t::Formula {
    fn from(f: FormulaJson) -> t::Formula {
        t::Formula {
            expression: f.expression,
            result: match f.result {
                ResultJson::Number => FormulaResult::Number,
                ResultJson::Money => FormulaResult::Money,
            },
        }
    }
}

impl From<&t::Formula> for FormulaJson {
    fn from(f: &t::Formula) -> FormulaJson {
        FormulaJson {
            expression: f.expression.clone(),
            result: match f.result {
                FormulaResult::Number => ResultJson::Number,
                FormulaResult::Money => ResultJson::Money,
            },
        }
    }
}

/// The rules every field and column may carry, flattened into it on the wire.
#[derive(Serialize, Deserialize)]
struct RulesJson {
    #[serde(default)]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern_message: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ColumnJson {
    name: String,
    label: String,
    #[serde(with = "kind")]
    kind: FieldKind,
    #[serde(flatten)]
    rules: RulesJson,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<OptionJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    formula: Option<FormulaJson>,
}

#[derive(Serialize, Deserialize)]
struct FieldJson {
    name: String,
    label: String,
    #[serde(with = "kind")]
    kind: FieldKind,
    #[serde(flatten)]
    rules: RulesJson,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<OptionJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    visible_when: Option<ConditionJson>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    columns: Vec<ColumnJson>,
    #[serde(default)]
    read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    formula: Option<FormulaJson>,
}

#[derive(Serialize, Deserialize)]
struct FormJson {
    id: String,
    title: String,
    #[serde(default)]
    submit_label: String,
    #[serde(default)]
    value: String,
    fields: Vec<FieldJson>,
}

impl From<RulesJson> for t::Rules {
    fn from(r: RulesJson) -> t::Rules {
        t::Rules {
            required: r.required,
            min: r.min,
            max: r.max,
            pattern: r.pattern,
            pattern_message: r.pattern_message,
        }
    }
}

impl From<&t::Rules> for RulesJson {
    fn from(r: &t::Rules) -> RulesJson {
        RulesJson {
            required: r.required,
            min: r.min,
            max: r.max,
            pattern: r.pattern.clone(),
            pattern_message: r.pattern_message.clone(),
        }
    }
}

fn options_in(options: Vec<OptionJson>) -> Vec<t::SelectOption> {
    options
        .into_iter()
        .map(|o| t::SelectOption {
            value: o.value,
            label: o.label,
        })
        .collect()
}

fn options_out(options: &[t::SelectOption]) -> Vec<OptionJson> {
    options
        .iter()
        .map(|o| OptionJson {
            value: o.value.clone(),
            label: o.label.clone(),
        })
        .collect()
}

impl From<FormJson> for Form {
    fn from(f: FormJson) -> Form {
        let fields = f
            .fields
            .into_iter()
            .map(|f| t::FormField {
                name: f.name,
                label: f.label,
                kind: f.kind,
                rules: f.rules.into(),
                options: options_in(f.options),
                placeholder: f.placeholder,
                help: f.help,
                default_value: f.default.map(|v| v.to_string()),
                visible_when: f.visible_when.map(|c| t::Condition {
                    field: c.field,
                    values: c.values,
                }),
                columns: f
                    .columns
                    .into_iter()
                    .map(|c| t::Column {
                        name: c.name,
                        label: c.label,
                        kind: c.kind,
                        rules: c.rules.into(),
                        options: options_in(c.options),
                        formula: c.formula.map(Into::into),
                    })
                    .collect(),
                read_only: f.read_only,
                formula: f.formula.map(Into::into),
            })
            .collect();
        Form(t::Form {
            id: f.id,
            title: f.title,
            fields,
            submit_label: f.submit_label,
            value: f.value,
        })
    }
}

impl From<&Form> for FormJson {
    fn from(f: &Form) -> FormJson {
        let f = &f.0;
        FormJson {
            id: f.id.clone(),
            title: f.title.clone(),
            submit_label: f.submit_label.clone(),
            value: f.value.clone(),
            fields: f
                .fields
                .iter()
                .map(|f| FieldJson {
                    name: f.name.clone(),
                    label: f.label.clone(),
                    kind: f.kind,
                    rules: (&f.rules).into(),
                    options: options_out(&f.options),
                    placeholder: f.placeholder.clone(),
                    help: f.help.clone(),
                    default: f
                        .default_value
                        .as_deref()
                        .and_then(|v| serde_json::from_str(v).ok()),
                    visible_when: f.visible_when.as_ref().map(|c| ConditionJson {
                        field: c.field.clone(),
                        values: c.values.clone(),
                    }),
                    columns: f
                        .columns
                        .iter()
                        .map(|c| ColumnJson {
                            name: c.name.clone(),
                            label: c.label.clone(),
                            kind: c.kind,
                            rules: (&c.rules).into(),
                            options: options_out(&c.options),
                            formula: c.formula.as_ref().map(Into::into),
                        })
                        .collect(),
                    read_only: f.read_only,
                    formula: f.formula.as_ref().map(Into::into),
                })
                .collect(),
        }
    }
}

impl Serialize for Form {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FormJson::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Form {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Form, D::Error> {
        FormJson::deserialize(d).map(Form::from)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Column, Field};
    use super::*;
    use serde_json::json;

    #[test]
    fn a_form_survives_json_both_ways() {
        let form = Form::new("expense", "Expense")
            .field(Field::money("amount", "Amount").required().min(0))
            .field(
                Field::select("kind", "Kind")
                    .option("travel", "Travel")
                    .option("meal", "Meal")
                    .default("travel"),
            )
            .field(Field::text("hotel", "Hotel").visible_if("kind", "travel"))
            .field(
                Field::table("lines", "Lines")
                    .column(Column::new("item", "Item", FieldKind::Text).required()),
            )
            .submit_label("Submit")
            .value("tpl-1");
        let json = serde_json::to_value(&form).unwrap();
        assert_eq!(json["fields"][0]["kind"], "money");
        assert_eq!(json["fields"][0]["required"], true);
        assert_eq!(json["fields"][1]["default"], "travel");
        assert_eq!(
            json["fields"][2]["visible_when"],
            json!({"field": "kind", "values": ["travel"]})
        );
        assert_eq!(json["fields"][3]["columns"][0]["name"], "item");
        let back: Form = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }

    #[test]
    fn departments_and_formulas_survive_json_both_ways() {
        let form = Form::new("expense", "Expense")
            .field(Field::department("dept", "Department").required())
            .field(
                Field::table("items", "Items")
                    .column(Column::number("qty", "Qty"))
                    .column(Column::money("price", "Price"))
                    .column(Column::money_formula("cost", "Cost", "qty * price")),
            )
            .field(Field::money_formula("total", "Total", "sum(items.cost)"))
            .field(Field::formula("lines", "Lines", "count(items)"));
        let json = serde_json::to_value(&form).unwrap();
        assert_eq!(json["fields"][0]["kind"], "department");
        assert!(json["fields"][0].get("formula").is_none());
        assert_eq!(
            json["fields"][1]["columns"][2],
            json!({"name": "cost", "label": "Cost", "kind": "formula", "required": false,
                "formula": {"expression": "qty * price", "result": "money"}})
        );
        assert_eq!(
            json["fields"][2]["formula"],
            json!({"expression": "sum(items.cost)", "result": "money"})
        );
        assert_eq!(json["fields"][3]["formula"]["result"], "number");
        let back: Form = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
        // The host reads the same JSON (its API shows forms in that shape) and accepts it.
        #[cfg(not(target_family = "wasm"))]
        {
            let stored = courtyard_runtime::form::checked(json).unwrap();
            assert_eq!(stored["fields"][2]["formula"]["result"], "money");
            assert_eq!(stored["fields"][1]["columns"][2]["kind"], "formula");
        }
    }

    #[test]
    fn unknown_kinds_are_refused() {
        let bad = json!({"id": "f", "title": "F", "fields": [{"name": "a", "label": "A", "kind": "rocket"}]});
        let err = serde_json::from_value::<Form>(bad).unwrap_err();
        assert!(
            err.to_string().contains("unknown field kind `rocket`"),
            "{err}"
        );
    }
}
