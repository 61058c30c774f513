//! Built-in templates: ready definitions with suggested settings for the forms offices use
//! most — daily report (日报), weekly report (周报), event sign-up (报名), satisfaction
//! survey (满意度调查), anonymous survey (匿名调查) and an expense claim (报销) with a table,
//! a formula column and a total in capitals. Every text is in both languages; a reader sees
//! their own.

use super::definition::{
    Choice, Column, Condition, Definition, Field, Form, Formula, FormulaResult, Kind, PersonRef,
    SerialFormat, Settings,
};
use super::lang::Text;
use super::time::{self, HOUR_MS};

/// A template: a definition, the settings it suggests (the audience is left for the
/// publisher), and a deadline to suggest, in days from today at 18:00 local time.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub id: &'static str,
    pub name: Text,
    pub description: Text,
    pub definition: Definition,
    pub settings: Settings,
    pub deadline_days: Option<u32>,
}

impl Template {
    /// A new draft form from this template, and its working copy.
    pub fn instantiate(
        &self,
        form_id: impl Into<String>,
        owner: PersonRef,
        now_ms: i64,
        offset_minutes: i32,
    ) -> (Form, Definition) {
        let mut settings = self.settings.clone();
        settings.deadline_ms = self.deadline_days.map(|days| {
            let today = time::local_date(now_ms, offset_minutes);
            let day = time::Date::from_days(today.days() + i64::from(days));
            time::start_of_local_day(day, offset_minutes) + 18 * HOUR_MS
        });
        let form = Form::new(
            form_id,
            owner,
            self.definition.title.clone(),
            settings,
            now_ms,
        );
        (form, self.definition.clone())
    }
}

fn t(en: &str, zh: &str) -> Text {
    Text::new(en, zh)
}

fn field(name: &str, label: Text, kind: Kind) -> Field {
    Field::new(name, label, kind)
}

fn required(mut f: Field) -> Field {
    f.required = true;
    f
}

fn bounded(mut f: Field, min: Option<f64>, max: Option<f64>) -> Field {
    f.min = min;
    f.max = max;
    f
}

fn with_help(mut f: Field, help: Text) -> Field {
    f.help = Some(help);
    f
}

fn with_options(mut f: Field, options: &[(&str, &str, &str)]) -> Field {
    f.options = options
        .iter()
        .map(|(value, en, zh)| Choice::new(*value, t(en, zh)))
        .collect();
    f
}

fn shown_if(mut f: Field, other: &str, values: &[&str]) -> Field {
    f.visible_when = Some(Condition {
        field: other.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    });
    f
}

fn definition(title: Text, description: Text, fields: Vec<Field>) -> Definition {
    Definition {
        title,
        description,
        fields,
    }
}

/// A 1–5 rating as a single choice.
fn rating(name: &str, label: Text) -> Field {
    required(with_options(
        field(name, label, Kind::Select),
        &[
            ("5", "5 – Very satisfied", "5 非常满意"),
            ("4", "4 – Satisfied", "4 满意"),
            ("3", "3 – Neutral", "3 一般"),
            ("2", "2 – Dissatisfied", "2 不满意"),
            ("1", "1 – Very dissatisfied", "1 非常不满意"),
        ],
    ))
}

fn daily_report() -> Template {
    Template {
        id: "daily_report",
        name: t("Daily report", "日报"),
        description: t(
            "What you did today, what comes tomorrow, and what is in the way.",
            "今日完成、明日计划与遇到的问题。",
        ),
        definition: definition(
            t("Daily report", "日报"),
            t("One report per working day.", "每个工作日提交一份。"),
            vec![
                required(field("report_date", t("Date", "日期"), Kind::Date)),
                required(bounded(
                    field("today", t("Today's work", "今日完成工作"), Kind::Textarea),
                    None,
                    Some(2000.0),
                )),
                required(bounded(
                    field("tomorrow", t("Tomorrow's plan", "明日计划"), Kind::Textarea),
                    None,
                    Some(2000.0),
                )),
                bounded(
                    field("problems", t("Problems", "遇到的问题"), Kind::Textarea),
                    None,
                    Some(2000.0),
                ),
                with_help(
                    bounded(
                        field("hours", t("Hours worked", "工时"), Kind::Number),
                        Some(0.0),
                        Some(24.0),
                    ),
                    t("Hours, e.g. 7.5", "小时数，如 7.5"),
                ),
            ],
        ),
        settings: Settings {
            repeatable: true,
            editable: true,
            ..Settings::default()
        },
        deadline_days: None,
    }
}

fn weekly_report() -> Template {
    Template {
        id: "weekly_report",
        name: t("Weekly report", "周报"),
        description: t(
            "The week's results, next week's plan, risks, and help needed.",
            "本周工作成果、下周计划、风险与需要的协助。",
        ),
        definition: definition(
            t("Weekly report", "周报"),
            Text::default(),
            vec![
                required(bounded(
                    field("week", t("Week", "周期"), Kind::DateRange),
                    None,
                    Some(7.0),
                )),
                required(field(
                    "done",
                    t("This week's results", "本周工作成果"),
                    Kind::Textarea,
                )),
                required(field(
                    "next_week",
                    t("Next week's plan", "下周计划"),
                    Kind::Textarea,
                )),
                field("risks", t("Risks and issues", "风险与问题"), Kind::Textarea),
                field("need_help", t("I need help", "需要协助"), Kind::Checkbox),
                required(shown_if(
                    field(
                        "help_detail",
                        t("What help do you need?", "需要哪些协助？"),
                        Kind::Textarea,
                    ),
                    "need_help",
                    &["true"],
                )),
            ],
        ),
        settings: Settings {
            repeatable: true,
            editable: true,
            ..Settings::default()
        },
        deadline_days: None,
    }
}

fn event_signup() -> Template {
    let mut phone = required(field("phone", t("Mobile phone", "手机号码"), Kind::Text));
    phone.pattern = Some("1[3-9][0-9]{9}".into());
    phone.pattern_message = Some(t(
        "Enter an 11-digit mobile number, e.g. 13800138000.",
        "请输入 11 位手机号码，如 13800138000。",
    ));
    Template {
        id: "event_signup",
        name: t("Event sign-up", "活动报名"),
        description: t(
            "Names, contacts and dietary needs for an event; one sign-up per person.",
            "收集参加人员、联系方式与餐饮需求，每人报名一次。",
        ),
        definition: definition(
            t("Event sign-up", "活动报名"),
            t("Sign up before the deadline.", "请在截止时间前报名。"),
            vec![
                required(bounded(
                    field("name", t("Name", "姓名"), Kind::Text),
                    None,
                    Some(50.0),
                )),
                phone,
                required(bounded(
                    field("attendees", t("Number of people", "参加人数"), Kind::Number),
                    Some(1.0),
                    Some(10.0),
                )),
                with_options(
                    field("dietary", t("Dietary needs", "饮食需求"), Kind::MultiSelect),
                    &[
                        ("vegetarian", "Vegetarian", "素食"),
                        ("halal", "Halal", "清真"),
                        ("no_spicy", "No spicy food", "不吃辣"),
                        ("allergy", "Food allergy", "食物过敏"),
                    ],
                ),
                required(shown_if(
                    field("allergy", t("Allergic to", "过敏食物"), Kind::Text),
                    "dietary",
                    &["allergy"],
                )),
                field("remarks", t("Remarks", "备注"), Kind::Textarea),
            ],
        ),
        settings: Settings {
            editable: true,
            ..Settings::default()
        },
        deadline_days: Some(7),
    }
}

fn satisfaction_survey() -> Template {
    Template {
        id: "satisfaction_survey",
        name: t("Satisfaction survey", "满意度调查"),
        description: t(
            "Ratings from 1 to 5 and comments.",
            "1 至 5 分评价与意见建议。",
        ),
        definition: definition(
            t("Satisfaction survey", "满意度调查"),
            t("Thank you for your feedback.", "感谢你的反馈。"),
            vec![
                rating("overall", t("Overall satisfaction", "总体满意度")),
                rating("quality", t("Quality", "质量")),
                rating("service", t("Service", "服务")),
                rating("speed", t("Response speed", "响应速度")),
                required(with_options(
                    field(
                        "recommend",
                        t("Would you recommend us?", "是否愿意推荐给他人？"),
                        Kind::Select,
                    ),
                    &[
                        ("yes", "Yes", "愿意"),
                        ("maybe", "Maybe", "不确定"),
                        ("no", "No", "不愿意"),
                    ],
                )),
                field("comments", t("Comments", "意见与建议"), Kind::Textarea),
            ],
        ),
        settings: Settings::default(),
        deadline_days: Some(14),
    }
}

fn anonymous_survey() -> Template {
    Template {
        id: "anonymous_survey",
        name: t("Anonymous survey", "匿名调查"),
        description: t(
            "Answers are not linked to people: nobody, administrators included, can see who answered what.",
            "答案不与填写人关联：包括管理员在内，任何人都无法看到谁填写了什么。",
        ),
        definition: definition(
            t("Anonymous survey", "匿名调查"),
            t(
                "Your answers are anonymous. Results are shown once at least three people have answered.",
                "本调查为匿名填写，至少三人提交后才显示结果。",
            ),
            vec![
                rating(
                    "satisfaction",
                    t(
                        "How satisfied are you with your work?",
                        "你对目前的工作满意吗？",
                    ),
                ),
                required(with_options(
                    field("workload", t("Workload", "工作量"), Kind::Select),
                    &[
                        ("light", "Too light", "偏少"),
                        ("right", "About right", "适中"),
                        ("heavy", "Too heavy", "偏多"),
                    ],
                )),
                field("suggestions", t("Suggestions", "改进建议"), Kind::Textarea),
                field(
                    "concerns",
                    t("Anything else you want to raise?", "其他想反映的问题"),
                    Kind::Textarea,
                ),
            ],
        ),
        settings: Settings {
            anonymous: true,
            ..Settings::default()
        },
        deadline_days: Some(14),
    }
}

fn expense() -> Template {
    let items = Field {
        columns: vec![
            {
                let mut c = Column::new("item", t("Item", "品名"), Kind::Text);
                c.required = true;
                c
            },
            {
                let mut c = Column::new("qty", t("Quantity", "数量"), Kind::Number);
                c.required = true;
                c.min = Some(0.0);
                c
            },
            {
                let mut c = Column::new("price", t("Unit price", "单价"), Kind::Money);
                c.required = true;
                c.min = Some(0.0);
                c
            },
            {
                let mut c = Column::new("amount", t("Amount", "金额"), Kind::Formula);
                c.formula = Some(Formula {
                    expression: "qty * price".into(),
                    result: FormulaResult::Money,
                });
                c
            },
        ],
        ..required(bounded(
            field("items", t("Items", "费用明细"), Kind::Table),
            Some(1.0),
            Some(50.0),
        ))
    };
    let total = Field {
        formula: Some(Formula {
            expression: "sum(items.amount)".into(),
            result: FormulaResult::Money,
        }),
        show_capitals: true,
        ..field("total", t("Total", "合计金额"), Kind::Formula)
    };
    let serial = Field {
        serial: Some(SerialFormat {
            prefix: "BX".into(),
            date: true,
            digits: 4,
        }),
        ..field("serial_no", t("Claim no.", "报销单号"), Kind::Serial)
    };
    Template {
        id: "expense",
        name: t("Expense claim", "费用报销"),
        description: t(
            "Items with quantity and unit price; the amounts and the total are computed, the total also in capitals.",
            "按明细填写数量与单价，自动计算金额与合计，并显示大写金额。",
        ),
        definition: definition(
            t("Expense claim", "费用报销"),
            Text::default(),
            vec![
                serial,
                required(field(
                    "department",
                    t("Department", "所在部门"),
                    Kind::Department,
                )),
                required(field(
                    "spent_on",
                    t("Date of expense", "费用发生日期"),
                    Kind::Date,
                )),
                items,
                total,
                field("receipts", t("Receipts", "票据附件"), Kind::File),
                field("note", t("Note", "备注"), Kind::Textarea),
            ],
        ),
        settings: Settings {
            repeatable: true,
            editable: true,
            ..Settings::default()
        },
        deadline_days: None,
    }
}

/// Every built-in template.
pub fn builtin() -> Vec<Template> {
    vec![
        daily_report(),
        weekly_report(),
        event_signup(),
        satisfaction_survey(),
        anonymous_survey(),
        expense(),
    ]
}

/// The built-in template `id`.
pub fn get(id: &str) -> Option<Template> {
    builtin().into_iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests;
