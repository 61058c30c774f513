//! Why something was refused, with a message for people in English and Chinese:
//! [`DefinitionError`] for what the form builder sent (each naming the field at fault), and
//! [`FormError`] for operations on forms and answers. A refused operation changes nothing.

use std::fmt;

use super::definition::{FormStatus, Kind};
use super::formula::SyntaxError;
use super::lang::{Lang, Text};
use super::time;

/// Where in a definition a problem is.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// The form as a whole (title, description, number of fields).
    Form,
    /// The settings (audience, deadline, answering rules).
    Settings,
    Field {
        name: String,
        label: Text,
    },
    /// A column of a table field.
    Column {
        field: String,
        field_label: Text,
        name: String,
        label: Text,
    },
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The JSON does not have the shape of a definition (serde's explanation).
    Malformed(String),
    NoFields,
    TooManyFields(usize),
    TitleMissing,
    TooLong {
        what: What,
        max: usize,
    },
    /// Control characters (a line break in a one-line text).
    ControlChars(What),
    /// The whole definition is larger than a stored record may be.
    TooLarge {
        max_kib: usize,
    },
    TooManySerials,
    BadName,
    DuplicateName,
    UnknownKind(String),
    LabelMissing,
    BoundsNotAllowed(Kind),
    BoundNotFinite,
    NegativeBound(Kind),
    MinAboveMax,
    BoundAboveCap {
        kind: Kind,
        cap: usize,
    },
    /// A money bound with more than two decimals or too many digits.
    MoneyBound,
    PatternNotAllowed(Kind),
    PatternEmpty,
    OptionsMissing(Kind),
    OptionsNotAllowed(Kind),
    TooManyOptions(usize),
    OptionBlank,
    DuplicateOption(String),
    ColumnsMissing,
    ColumnsNotAllowed(Kind),
    TooManyColumns(usize),
    /// A column may not be a table or a serial number.
    ColumnKind(Kind),
    FormulaMissing,
    FormulaNotAllowed(Kind),
    FormulaSyntax(SyntaxError),
    FormulaUnknownField(String),
    FormulaUnknownColumn {
        table: String,
        column: String,
    },
    FormulaNotNumeric {
        name: String,
        kind: Kind,
    },
    FormulaSelf,
    FormulaLater(String),
    /// A table used as a number: it needs `sum(t.c)` or `count(t)`.
    FormulaTable(String),
    /// `sum`/`count` of something that is not a table.
    FormulaNotTable {
        name: String,
        kind: Kind,
    },
    /// A column formula may only use its own row.
    FormulaRowOnly,
    /// Formulas and conditions depend on each other in a loop.
    DependencyLoop,
    ConditionUnknown(String),
    ConditionTable,
    ConditionSerial,
    ConditionValues(usize),
    CapitalsNotMoney(Kind),
    SerialFormatNotAllowed(Kind),
    BadSerialPrefix,
    BadSerialDigits,
    DefaultNotAllowed(Kind),
    DeadlinePassed {
        deadline_ms: i64,
        offset_minutes: i32,
    },
    AudienceEmpty,
    AudienceTooLarge(usize),
    BadAudienceId(String),
    AnonymousEditable,
    AnonymousLocked,
}

/// A text a limit applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Title,
    Description,
    Label,
    Help,
    Placeholder,
    Pattern,
    PatternMessage,
    Option,
    ConditionValue,
}

impl What {
    fn name(self, lang: Lang) -> &'static str {
        let (en, zh) = match self {
            What::Title => ("the title", "标题"),
            What::Description => ("the description", "说明"),
            What::Label => ("the label", "名称"),
            What::Help => ("the help text", "提示文字"),
            What::Placeholder => ("the placeholder", "占位文字"),
            What::Pattern => ("the pattern", "格式规则"),
            What::PatternMessage => ("the pattern message", "格式不符时的提示"),
            What::Option => ("an option", "选项"),
            What::ConditionValue => ("a condition value", "显示条件的取值"),
        };
        lang.pick(en, zh)
    }
}

/// One problem with a definition or its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionError {
    pub place: Place,
    pub problem: Problem,
}

impl DefinitionError {
    pub fn form(problem: Problem) -> Self {
        DefinitionError {
            place: Place::Form,
            problem,
        }
    }

    pub fn settings(problem: Problem) -> Self {
        DefinitionError {
            place: Place::Settings,
            problem,
        }
    }

    /// The field or column at fault as a path (`hours`, `items.qty`), empty for the form.
    pub fn path(&self) -> String {
        match &self.place {
            Place::Form | Place::Settings => String::new(),
            Place::Field { name, .. } => name.clone(),
            Place::Column { field, name, .. } => format!("{field}.{name}"),
        }
    }

    /// A stable code for API clients (`duplicate_name`, `options_missing`…).
    pub fn code(&self) -> &'static str {
        use Problem as P;
        match &self.problem {
            P::Malformed(_) => "malformed",
            P::NoFields => "no_fields",
            P::TooManyFields(_) => "too_many_fields",
            P::TitleMissing => "title_missing",
            P::TooLong { .. } => "too_long",
            P::ControlChars(_) => "control_chars",
            P::TooLarge { .. } => "too_large",
            P::TooManySerials => "too_many_serials",
            P::BadName => "bad_name",
            P::DuplicateName => "duplicate_name",
            P::UnknownKind(_) => "unknown_kind",
            P::LabelMissing => "label_missing",
            P::BoundsNotAllowed(_) => "bounds_not_allowed",
            P::BoundNotFinite => "bound_not_finite",
            P::NegativeBound(_) => "negative_bound",
            P::MinAboveMax => "min_above_max",
            P::BoundAboveCap { .. } => "bound_above_cap",
            P::MoneyBound => "money_bound",
            P::PatternNotAllowed(_) => "pattern_not_allowed",
            P::PatternEmpty => "pattern_empty",
            P::OptionsMissing(_) => "options_missing",
            P::OptionsNotAllowed(_) => "options_not_allowed",
            P::TooManyOptions(_) => "too_many_options",
            P::OptionBlank => "option_blank",
            P::DuplicateOption(_) => "duplicate_option",
            P::ColumnsMissing => "columns_missing",
            P::ColumnsNotAllowed(_) => "columns_not_allowed",
            P::TooManyColumns(_) => "too_many_columns",
            P::ColumnKind(_) => "column_kind",
            P::FormulaMissing => "formula_missing",
            P::FormulaNotAllowed(_) => "formula_not_allowed",
            P::FormulaSyntax(_) => "formula_syntax",
            P::FormulaUnknownField(_) => "formula_unknown_field",
            P::FormulaUnknownColumn { .. } => "formula_unknown_column",
            P::FormulaNotNumeric { .. } => "formula_not_numeric",
            P::FormulaSelf => "formula_self",
            P::FormulaLater(_) => "formula_later",
            P::FormulaTable(_) => "formula_table",
            P::FormulaNotTable { .. } => "formula_not_table",
            P::FormulaRowOnly => "formula_row_only",
            P::DependencyLoop => "dependency_loop",
            P::ConditionUnknown(_) => "condition_unknown",
            P::ConditionTable => "condition_table",
            P::ConditionSerial => "condition_serial",
            P::ConditionValues(_) => "condition_values",
            P::CapitalsNotMoney(_) => "capitals_not_money",
            P::SerialFormatNotAllowed(_) => "serial_format_not_allowed",
            P::BadSerialPrefix => "bad_serial_prefix",
            P::BadSerialDigits => "bad_serial_digits",
            P::DefaultNotAllowed(_) => "default_not_allowed",
            P::DeadlinePassed { .. } => "deadline_passed",
            P::AudienceEmpty => "audience_empty",
            P::AudienceTooLarge(_) => "audience_too_large",
            P::BadAudienceId(_) => "bad_audience_id",
            P::AnonymousEditable => "anonymous_editable",
            P::AnonymousLocked => "anonymous_locked",
        }
    }

    /// The whole message: where, then what.
    pub fn message(&self, lang: Lang) -> String {
        let named = |name: &str, label: &Text| {
            let label = label.get(lang);
            match (lang, label.trim().is_empty()) {
                (Lang::En, true) => format!("Field {name}"),
                (Lang::Zh, true) => format!("字段 {name}"),
                (Lang::En, false) => format!("“{label}” ({name})"),
                (Lang::Zh, false) => format!("“{label}”（{name}）"),
            }
        };
        let at = match &self.place {
            Place::Form | Place::Settings => None,
            Place::Field { name, label } => Some(named(name, label)),
            Place::Column {
                field,
                field_label,
                name,
                label,
            } => {
                let (table, column) = (named(field, field_label), named(name, label));
                let column = column
                    .strip_prefix(lang.pick("Field ", "字段 "))
                    .map_or(column.clone(), str::to_string);
                Some(match lang {
                    Lang::En => format!("{table}, column {column}"),
                    Lang::Zh => format!("{table}的列{column}"),
                })
            }
        };
        let what = self.problem.message(lang);
        match (at, lang) {
            (None, _) => capitalise(&what, lang),
            (Some(at), Lang::En) => format!("{at}: {what}"),
            (Some(at), Lang::Zh) => format!("{at}：{what}"),
        }
    }
}

fn capitalise(s: &str, lang: Lang) -> String {
    if lang.is_zh() {
        return s.to_string();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Problem {
    fn message(&self, lang: Lang) -> String {
        use Problem as P;
        let zh = lang.is_zh();
        let t = |en: &str, zh_text: &str| lang.pick(en, zh_text).to_string();
        let kind = |k: &Kind| k.label(lang);
        match self {
            P::Malformed(detail) if zh => format!("无法读取表单：{detail}。"),
            P::Malformed(detail) => format!("the form could not be read: {detail}."),
            P::NoFields => t("add at least one field.", "请至少添加一个字段。"),
            P::TooManyFields(max) if zh => format!("表单最多包含 {max} 个字段。"),
            P::TooManyFields(max) => format!("a form holds at most {max} fields."),
            P::TitleMissing => t("the form needs a title.", "请填写表单标题。"),
            P::TooLong { what, max } if zh => {
                format!("{}不能超过 {max} 个字符。", what.name(lang))
            }
            P::TooLong { what, max } => {
                format!("{} is longer than {max} characters.", what.name(lang))
            }
            P::ControlChars(what) if zh => format!("{}含有不可见的控制字符。", what.name(lang)),
            P::ControlChars(what) => {
                format!(
                    "{} holds control characters or line breaks.",
                    what.name(lang)
                )
            }
            P::TooLarge { max_kib } if zh => {
                format!("表单过大（最多 {max_kib} KiB），请删减字段或选项。")
            }
            P::TooLarge { max_kib } => {
                format!("the form is too large (at most {max_kib} KiB): remove fields or options.")
            }
            P::TooManySerials => t(
                "a form has at most one serial number field.",
                "一个表单最多只能有一个流水号字段。",
            ),
            P::BadName => t(
                "the name needs 1 to 64 lowercase letters (a–z), digits or underscores.",
                "名称须为 1 至 64 个小写字母（a–z）、数字或下划线。",
            ),
            P::DuplicateName => t("this name is used twice.", "名称重复。"),
            P::UnknownKind(k) if zh => format!("“{k}”不是已知的字段类型。"),
            P::UnknownKind(k) => format!("“{k}” is not a known field type."),
            P::LabelMissing => t("the label is missing.", "请填写名称。"),
            P::BoundsNotAllowed(k) if zh => format!("{}字段不能设置最小值或最大值。", kind(k)),
            P::BoundsNotAllowed(k) => format!("min and max mean nothing for a {} field.", kind(k)),
            P::BoundNotFinite => t("min and max must be numbers.", "最小值和最大值必须是数字。"),
            P::NegativeBound(k) if zh => format!("{}字段的最小值和最大值不能为负数。", kind(k)),
            P::NegativeBound(k) => {
                format!("min and max cannot be negative for a {} field.", kind(k))
            }
            P::MinAboveMax => t("min is greater than max.", "最小值大于最大值。"),
            P::BoundAboveCap { kind: k, cap } if zh => {
                format!("{}字段的最大值不能超过 {cap}。", kind(k))
            }
            P::BoundAboveCap { kind: k, cap } => {
                format!("max cannot exceed {cap} for a {} field.", kind(k))
            }
            P::MoneyBound => t(
                "min and max of an amount have at most 15 integer digits and two decimals.",
                "金额的最小值和最大值最多 15 位整数、两位小数。",
            ),
            P::PatternNotAllowed(k) if zh => {
                format!("只有单行和多行文本可以设置格式规则，{}字段不行。", kind(k))
            }
            P::PatternNotAllowed(k) => {
                format!("only text fields take a pattern, not a {} field.", kind(k))
            }
            P::PatternEmpty => t("the pattern is empty.", "格式规则为空。"),
            P::OptionsMissing(k) if zh => format!("{}字段需要至少一个选项。", kind(k)),
            P::OptionsMissing(k) => format!("a {} field needs at least one option.", kind(k)),
            P::OptionsNotAllowed(k) if zh => {
                format!("只有单选和多选字段有选项，{}字段没有。", kind(k))
            }
            P::OptionsNotAllowed(k) => {
                format!("only choice fields have options, not a {} field.", kind(k))
            }
            P::TooManyOptions(max) if zh => format!("最多 {max} 个选项。"),
            P::TooManyOptions(max) => format!("at most {max} options."),
            P::OptionBlank => t(
                "every option needs a value and a label.",
                "每个选项都需要取值和名称。",
            ),
            P::DuplicateOption(v) if zh => format!("选项取值“{v}”重复。"),
            P::DuplicateOption(v) => format!("the option value “{v}” is used twice."),
            P::ColumnsMissing => t(
                "a table needs at least one column.",
                "明细表格至少需要一列。",
            ),
            P::ColumnsNotAllowed(k) if zh => format!("只有明细表格有列，{}字段没有。", kind(k)),
            P::ColumnsNotAllowed(k) => {
                format!("only table fields have columns, not a {} field.", kind(k))
            }
            P::TooManyColumns(max) if zh => format!("明细表格最多 {max} 列。"),
            P::TooManyColumns(max) => format!("a table has at most {max} columns."),
            P::ColumnKind(k) if zh => format!("明细表格的列不能是{}。", kind(k)),
            P::ColumnKind(k) => format!("a table column cannot be a {}.", kind(k)),
            P::FormulaMissing => t(
                "a formula field needs a formula.",
                "计算公式字段需要填写公式。",
            ),
            P::FormulaNotAllowed(k) if zh => {
                format!("只有计算公式字段有公式，{}字段没有。", kind(k))
            }
            P::FormulaNotAllowed(k) => {
                format!(
                    "only formula fields have a formula, not a {} field.",
                    kind(k)
                )
            }
            P::FormulaSyntax(e) if zh => format!("公式有误，{}。", e.message(lang)),
            P::FormulaSyntax(e) => format!("the formula is invalid {}.", e.message(lang)),
            P::FormulaUnknownField(n) if zh => format!("公式用到的“{n}”不是本表单的字段。"),
            P::FormulaUnknownField(n) => {
                format!("the formula uses `{n}`, which is not a field of this form.")
            }
            P::FormulaUnknownColumn { table, column } if zh => {
                format!("公式用到的“{column}”不是表格 {table} 的列。")
            }
            P::FormulaUnknownColumn { table, column } => {
                format!(
                    "the formula uses `{column}`, which is not a column of the table `{table}`."
                )
            }
            P::FormulaNotNumeric { name, kind: k } if zh => format!(
                "公式用到的“{name}”是{}字段，只有数字、金额、勾选框、日期区间和计算公式可以参与计算。",
                kind(k)
            ),
            P::FormulaNotNumeric { name, kind: k } => format!(
                "the formula uses `{name}`, a {} field; only numbers, amounts, checkboxes, date ranges and formulas can be calculated with.",
                kind(k)
            ),
            P::FormulaSelf => t("the formula uses itself.", "公式引用了自身。"),
            P::FormulaLater(n) if zh => {
                format!("公式用到了排在它后面的公式“{n}”（公式只能使用排在前面的公式）。")
            }
            P::FormulaLater(n) => format!(
                "the formula uses `{n}`, a formula after it (a formula may only use the formulas before it)."
            ),
            P::FormulaTable(n) if zh => {
                format!("“{n}”是明细表格，请用 sum({n}.列) 或 count({n})。")
            }
            P::FormulaTable(n) => {
                format!("`{n}` is a table: use sum({n}.column) or count({n}).")
            }
            P::FormulaNotTable { name, kind: k } if zh => {
                format!("sum 和 count 需要明细表格，而“{name}”是{}字段。", kind(k))
            }
            P::FormulaNotTable { name, kind: k } => {
                format!(
                    "sum and count need a table, and `{name}` is a {} field.",
                    kind(k)
                )
            }
            P::FormulaRowOnly => t(
                "a column formula can only use the columns of its own row, not sum or count.",
                "列公式只能使用同一行的列，不能用 sum 或 count。",
            ),
            P::DependencyLoop => t(
                "formulas and display conditions depend on each other in a loop.",
                "公式与显示条件之间存在循环依赖。",
            ),
            P::ConditionUnknown(n) if zh => {
                format!("显示条件必须引用排在它前面的字段，而不是“{n}”。")
            }
            P::ConditionUnknown(n) => {
                format!("the display condition must refer to a field before it, not `{n}`.")
            }
            P::ConditionTable => t(
                "the display condition cannot depend on a table.",
                "显示条件不能依赖明细表格。",
            ),
            P::ConditionSerial => t(
                "the display condition cannot depend on a serial number (it has no value while filling in).",
                "显示条件不能依赖流水号（填写时它还没有值）。",
            ),
            P::ConditionValues(max) if zh => format!("显示条件需要 1 至 {max} 个取值。"),
            P::ConditionValues(max) => format!("the display condition needs 1 to {max} values."),
            P::CapitalsNotMoney(k) if zh => {
                format!("只有金额字段和金额公式可以显示大写，{}字段不行。", kind(k))
            }
            P::CapitalsNotMoney(k) => format!(
                "only money fields and money formulas show an amount in capitals, not a {} field.",
                kind(k)
            ),
            P::SerialFormatNotAllowed(k) if zh => {
                format!("只有流水号字段有编号格式，{}字段没有。", kind(k))
            }
            P::SerialFormatNotAllowed(k) => format!(
                "only serial number fields have a number format, not a {} field.",
                kind(k)
            ),
            P::BadSerialPrefix => t(
                "the serial prefix needs 1 to 16 letters, digits, - or _.",
                "流水号前缀须为 1 至 16 个字母、数字、- 或 _。",
            ),
            P::BadSerialDigits => t(
                "the serial sequence has 3 to 8 digits.",
                "流水号序号须为 3 至 8 位。",
            ),
            P::DefaultNotAllowed(k) if zh => format!("{}字段不能设置默认值。", kind(k)),
            P::DefaultNotAllowed(k) => format!("a {} field has no default value.", kind(k)),
            P::DeadlinePassed {
                deadline_ms,
                offset_minutes,
            } if zh => format!(
                "截止时间 {}已经过去。",
                time::describe(*deadline_ms, *offset_minutes, lang)
            ),
            P::DeadlinePassed {
                deadline_ms,
                offset_minutes,
            } => format!(
                "the deadline {} has already passed.",
                time::describe(*deadline_ms, *offset_minutes, lang)
            ),
            P::AudienceEmpty => t(
                "choose the groups or people the form is for.",
                "请选择填写范围（群组或人员）。",
            ),
            P::AudienceTooLarge(max) if zh => format!("填写范围最多 {max} 个群组和人员。"),
            P::AudienceTooLarge(max) => {
                format!("the audience holds at most {max} groups and people.")
            }
            P::BadAudienceId(id) if zh => format!("“{id}”不是有效的群组或人员 ID。"),
            P::BadAudienceId(id) => format!("“{id}” is not a valid group or person id."),
            P::AnonymousEditable => t(
                "answers to an anonymous form cannot be editable: nobody knows whose answer is whose.",
                "匿名表单的答案不能修改：没有人知道哪份答案是谁的。",
            ),
            P::AnonymousLocked => t(
                "whether a form is anonymous cannot change once it has been published.",
                "表单发布后不能再更改是否匿名。",
            ),
        }
    }
}

/// Why an operation on a form or an answer was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum FormError {
    /// The definition or settings have problems (all of them, in order).
    Invalid(Vec<DefinitionError>),
    /// Only the owner or an admin may change the form or see its results.
    Forbidden,
    NotPublished,
    Closed,
    /// The form cannot move from its status this way (closing a draft…).
    Status {
        from: FormStatus,
        to: FormStatus,
    },
    PastDeadline {
        deadline_ms: i64,
        offset_minutes: i32,
    },
    NotInAudience,
    /// One answer per person, and answers cannot be changed.
    AlreadyAnswered,
    /// Answers to this form cannot be changed.
    NotEditable,
    /// Answers to an anonymous form are never changed (nobody knows whose they are).
    Anonymous,
    /// The answer belongs to someone else (or to another form).
    NotYours,
    /// The draft is not a draft, or the answer is not submitted.
    WrongState,
    UnknownVersion(u32),
    /// The stored version does not follow the form's latest version (a concurrent publish).
    StaleVersion,
}

impl FormError {
    /// A stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            FormError::Invalid(_) => "invalid",
            FormError::Forbidden => "forbidden",
            FormError::NotPublished => "not_published",
            FormError::Closed => "closed",
            FormError::Status { .. } => "illegal_status",
            FormError::PastDeadline { .. } => "past_deadline",
            FormError::NotInAudience => "not_in_audience",
            FormError::AlreadyAnswered => "already_answered",
            FormError::NotEditable => "not_editable",
            FormError::Anonymous => "anonymous",
            FormError::NotYours => "not_yours",
            FormError::WrongState => "wrong_state",
            FormError::UnknownVersion(_) => "unknown_version",
            FormError::StaleVersion => "stale_version",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang.is_zh();
        let t = |en: &str, zh_text: &str| lang.pick(en, zh_text).to_string();
        match self {
            FormError::Invalid(errors) => {
                let sep = lang.pick(" ", "");
                errors
                    .iter()
                    .map(|e| e.message(lang))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
            FormError::Forbidden => t(
                "Only the form's owner or an admin can do this.",
                "只有表单的创建者或管理员可以这样做。",
            ),
            FormError::NotPublished => {
                t("This form has not been published yet.", "该表单尚未发布。")
            }
            FormError::Closed => t(
                "This form is closed and no longer takes answers.",
                "该表单已结束，不再接受填写。",
            ),
            FormError::Status { from, to } if zh => {
                format!("表单不能从“{}”变为“{}”。", from.label(lang), to.label(lang))
            }
            FormError::Status { from, to } => format!(
                "A form cannot go from “{}” to “{}”.",
                from.label(lang),
                to.label(lang)
            ),
            FormError::PastDeadline {
                deadline_ms,
                offset_minutes,
            } if zh => format!(
                "该表单已于 {}截止，不再接受填写或修改。",
                time::describe(*deadline_ms, *offset_minutes, lang)
            ),
            FormError::PastDeadline {
                deadline_ms,
                offset_minutes,
            } => format!(
                "The deadline for this form was {}; answers can no longer be given or changed.",
                time::describe(*deadline_ms, *offset_minutes, lang)
            ),
            FormError::NotInAudience => t(
                "This form is not addressed to you.",
                "你不在该表单的填写范围内。",
            ),
            FormError::AlreadyAnswered => t(
                "You have already answered this form, and answers cannot be changed.",
                "你已经填写过该表单，且答案不能修改。",
            ),
            FormError::NotEditable => t(
                "Answers to this form cannot be changed.",
                "该表单的答案提交后不能修改。",
            ),
            FormError::Anonymous => t(
                "Answers to an anonymous form cannot be changed.",
                "匿名表单的答案提交后不能修改。",
            ),
            FormError::NotYours => t("This is not your answer.", "这不是你的答案。"),
            FormError::WrongState => t(
                "This answer cannot be changed this way.",
                "该答案不能这样修改。",
            ),
            FormError::UnknownVersion(n) if zh => format!("该表单没有第 {n} 版。"),
            FormError::UnknownVersion(n) => format!("Version {n} of this form does not exist."),
            FormError::StaleVersion => t(
                "The form was changed meanwhile; reload it and try again.",
                "表单已被他人修改，请刷新后重试。",
            ),
        }
    }

    pub fn en(&self) -> String {
        self.message(Lang::En)
    }

    pub fn zh(&self) -> String {
        self.message(Lang::Zh)
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for FormError {}

impl From<Vec<DefinitionError>> for FormError {
    fn from(errors: Vec<DefinitionError>) -> Self {
        FormError::Invalid(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::formula::references;

    /// Every problem, once: a new variant must be added here (the match below has no
    /// wildcard), so that its messages are checked.
    fn every_problem() -> Vec<Problem> {
        let syntax = references("a +").unwrap_err();
        let list = vec![
            Problem::Malformed("missing field `kind`".into()),
            Problem::NoFields,
            Problem::TooManyFields(60),
            Problem::TitleMissing,
            Problem::TooLong {
                what: What::Label,
                max: 200,
            },
            Problem::ControlChars(What::Title),
            Problem::TooLarge { max_kib: 48 },
            Problem::TooManySerials,
            Problem::BadName,
            Problem::DuplicateName,
            Problem::UnknownKind("rating".into()),
            Problem::LabelMissing,
            Problem::BoundsNotAllowed(Kind::Select),
            Problem::BoundNotFinite,
            Problem::NegativeBound(Kind::Text),
            Problem::MinAboveMax,
            Problem::BoundAboveCap {
                kind: Kind::Text,
                cap: 1000,
            },
            Problem::MoneyBound,
            Problem::PatternNotAllowed(Kind::Number),
            Problem::PatternEmpty,
            Problem::OptionsMissing(Kind::Select),
            Problem::OptionsNotAllowed(Kind::Text),
            Problem::TooManyOptions(200),
            Problem::OptionBlank,
            Problem::DuplicateOption("a".into()),
            Problem::ColumnsMissing,
            Problem::ColumnsNotAllowed(Kind::Text),
            Problem::TooManyColumns(20),
            Problem::ColumnKind(Kind::Table),
            Problem::FormulaMissing,
            Problem::FormulaNotAllowed(Kind::Money),
            Problem::FormulaSyntax(syntax),
            Problem::FormulaUnknownField("x".into()),
            Problem::FormulaUnknownColumn {
                table: "t".into(),
                column: "c".into(),
            },
            Problem::FormulaNotNumeric {
                name: "n".into(),
                kind: Kind::Text,
            },
            Problem::FormulaSelf,
            Problem::FormulaLater("f".into()),
            Problem::FormulaTable("t".into()),
            Problem::FormulaNotTable {
                name: "n".into(),
                kind: Kind::Number,
            },
            Problem::FormulaRowOnly,
            Problem::DependencyLoop,
            Problem::ConditionUnknown("c".into()),
            Problem::ConditionTable,
            Problem::ConditionSerial,
            Problem::ConditionValues(200),
            Problem::CapitalsNotMoney(Kind::Number),
            Problem::SerialFormatNotAllowed(Kind::Text),
            Problem::BadSerialPrefix,
            Problem::BadSerialDigits,
            Problem::DefaultNotAllowed(Kind::Formula),
            Problem::DeadlinePassed {
                deadline_ms: 0,
                offset_minutes: 480,
            },
            Problem::AudienceEmpty,
            Problem::AudienceTooLarge(1000),
            Problem::BadAudienceId("a b".into()),
            Problem::AnonymousEditable,
            Problem::AnonymousLocked,
        ];
        for p in &list {
            match p {
                Problem::Malformed(_)
                | Problem::NoFields
                | Problem::TooManyFields(_)
                | Problem::TitleMissing
                | Problem::TooLong { .. }
                | Problem::ControlChars(_)
                | Problem::TooLarge { .. }
                | Problem::TooManySerials
                | Problem::BadName
                | Problem::DuplicateName
                | Problem::UnknownKind(_)
                | Problem::LabelMissing
                | Problem::BoundsNotAllowed(_)
                | Problem::BoundNotFinite
                | Problem::NegativeBound(_)
                | Problem::MinAboveMax
                | Problem::BoundAboveCap { .. }
                | Problem::MoneyBound
                | Problem::PatternNotAllowed(_)
                | Problem::PatternEmpty
                | Problem::OptionsMissing(_)
                | Problem::OptionsNotAllowed(_)
                | Problem::TooManyOptions(_)
                | Problem::OptionBlank
                | Problem::DuplicateOption(_)
                | Problem::ColumnsMissing
                | Problem::ColumnsNotAllowed(_)
                | Problem::TooManyColumns(_)
                | Problem::ColumnKind(_)
                | Problem::FormulaMissing
                | Problem::FormulaNotAllowed(_)
                | Problem::FormulaSyntax(_)
                | Problem::FormulaUnknownField(_)
                | Problem::FormulaUnknownColumn { .. }
                | Problem::FormulaNotNumeric { .. }
                | Problem::FormulaSelf
                | Problem::FormulaLater(_)
                | Problem::FormulaTable(_)
                | Problem::FormulaNotTable { .. }
                | Problem::FormulaRowOnly
                | Problem::DependencyLoop
                | Problem::ConditionUnknown(_)
                | Problem::ConditionTable
                | Problem::ConditionSerial
                | Problem::ConditionValues(_)
                | Problem::CapitalsNotMoney(_)
                | Problem::SerialFormatNotAllowed(_)
                | Problem::BadSerialPrefix
                | Problem::BadSerialDigits
                | Problem::DefaultNotAllowed(_)
                | Problem::DeadlinePassed { .. }
                | Problem::AudienceEmpty
                | Problem::AudienceTooLarge(_)
                | Problem::BadAudienceId(_)
                | Problem::AnonymousEditable
                | Problem::AnonymousLocked => {}
            }
        }
        list
    }

    fn has_chinese(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_problem_reads_in_both_languages() {
        let problems = every_problem();
        let mut codes = std::collections::HashSet::new();
        for problem in problems {
            let e = DefinitionError {
                place: Place::Field {
                    name: "f".into(),
                    label: Text::new("F", "字段"),
                },
                problem,
            };
            assert!(codes.insert(e.code()), "{} twice", e.code());
            let (en, zh) = (e.message(Lang::En), e.message(Lang::Zh));
            assert!(en.starts_with("“F” (f): ") && en.ends_with('.'), "{en}");
            assert!(!has_chinese(&en) || en.contains("大写"), "{en}");
            assert!(
                zh.starts_with("“字段”（f）：") && zh.ends_with('。'),
                "{zh}"
            );
            let form = DefinitionError::form(e.problem.clone()).message(Lang::En);
            assert!(
                !form.starts_with(|c: char| c.is_ascii_lowercase()),
                "{form}"
            );
        }
    }

    #[test]
    fn every_form_error_reads_in_both_languages() {
        let all = [
            FormError::Invalid(vec![
                DefinitionError::form(Problem::NoFields),
                DefinitionError::settings(Problem::AudienceEmpty),
            ]),
            FormError::Forbidden,
            FormError::NotPublished,
            FormError::Closed,
            FormError::Status {
                from: FormStatus::Draft,
                to: FormStatus::Closed,
            },
            FormError::PastDeadline {
                deadline_ms: 0,
                offset_minutes: 0,
            },
            FormError::NotInAudience,
            FormError::AlreadyAnswered,
            FormError::NotEditable,
            FormError::Anonymous,
            FormError::NotYours,
            FormError::WrongState,
            FormError::UnknownVersion(3),
            FormError::StaleVersion,
        ];
        let mut codes = std::collections::HashSet::new();
        for e in all {
            assert!(codes.insert(e.code()));
            assert!(!has_chinese(&e.en()) && e.en().ends_with('.'), "{}", e.en());
            assert!(has_chinese(&e.zh()) && e.zh().ends_with('。'), "{}", e.zh());
            assert_eq!(e.to_string(), e.en());
        }
        let invalid = FormError::Invalid(vec![
            DefinitionError::form(Problem::NoFields),
            DefinitionError::settings(Problem::AudienceEmpty),
        ]);
        assert_eq!(
            invalid.en(),
            "Add at least one field. Choose the groups or people the form is for."
        );
        assert_eq!(
            invalid.zh(),
            "请至少添加一个字段。请选择填写范围（群组或人员）。"
        );
        assert_eq!(
            FormError::Status {
                from: FormStatus::Draft,
                to: FormStatus::Closed
            }
            .zh(),
            "表单不能从“草稿”变为“已结束”。"
        );
    }
}
