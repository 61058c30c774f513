//! The templates people start from. Built-in ones (expense, purchase, business trip, office
//! supplies, general request, and the two the leave plugin uses) exist from the start; an
//! admin's saved version of a template replaces the built-in one with the same id.

use courtyard_sdk::prelude::*;
use serde_json::json;

use crate::condition::{Condition, Op};
use crate::model::{
    ApproverRule, Audience, Flow, I18n, Mode, Settings, StepDef, Template, Timeout,
};

pub const TEMPLATES: Collection<Template> = Collection::new("templates");

/// Templates only one plugin may start (its own forms fill them): (template, plugin).
const PLUGIN_ONLY: [(&str, &str); 2] = [("leave", "leave"), ("leave_cancel", "leave")];

/// The plugin that alone starts requests of this template, if any.
pub fn only_started_by(template: &str) -> Option<&'static str> {
    PLUGIN_ONLY
        .iter()
        .find(|(t, _)| *t == template)
        .map(|(_, p)| *p)
}

fn i18n(en: &str, zh: &str) -> I18n {
    I18n::new(en, zh)
}

fn step(id: &str, name: I18n, approvers: Vec<ApproverRule>, mode: Mode) -> StepDef {
    StepDef {
        id: id.into(),
        name,
        approvers,
        mode,
        when: None,
        fields: Default::default(),
        timeout: Some(Timeout {
            remind_after_hours: 24,
            repeat_every_hours: Some(24),
            max_reminders: 3,
            then: None,
        }),
        cc: Vec::new(),
    }
}

fn manager() -> StepDef {
    step(
        "manager",
        i18n("Manager", "直属主管"),
        vec![ApproverRule::Manager { level: 1 }],
        Mode::Sequential,
    )
}

fn template(id: &str, name: I18n, description: I18n, form: Form, flow: Flow) -> Template {
    Template {
        id: id.into(),
        version: 1,
        name,
        description,
        form: serde_json::to_value(&form).unwrap_or_default(),
        flow,
        settings: Settings::default(),
    }
}

fn amount_over(field: &str, amount: u32) -> Condition {
    Condition::compare(field, Op::Gt, json!(amount.to_string()))
}

/// Every built-in template, in both languages (labels are bilingual: a request's card is
/// read by people of either language).
pub fn builtin() -> Vec<Template> {
    let expense_form = Form::new("expense", "Expense reimbursement / 报销")
        .field(
            Field::select("category", "Category / 类别")
                .option("travel", "Travel / 差旅")
                .option("meal", "Meals / 餐饮")
                .option("office", "Office / 办公")
                .option("other", "Other / 其他")
                .required(),
        )
        .field(Field::money("amount", "Amount / 金额").required().min(0.01))
        .field(Field::date("date", "Date incurred / 发生日期").required())
        .field(
            Field::textarea("reason", "Reason / 事由")
                .required()
                .max(1000),
        )
        .field(
            Field::table("lines", "Details / 明细")
                .column(Column::new("item", "Item / 项目", FieldKind::Text).required())
                .column(Column::new("cost", "Cost / 金额", FieldKind::Money).required()),
        );
    let mut finance = step(
        "finance",
        i18n("Finance director", "财务总监"),
        vec![ApproverRule::Role {
            name: "finance_director".into(),
        }],
        Mode::Any,
    );
    finance.when = Some(amount_over("amount", 5000));
    let expense = template(
        "expense",
        i18n("Expense reimbursement", "报销"),
        i18n(
            "Claim money you spent for work. Over 5,000 the finance director approves too.",
            "报销因公支出。金额超过 5000 时需财务总监审批。",
        ),
        expense_form,
        Flow {
            steps: vec![manager(), finance],
            cc_on_submit: Vec::new(),
            cc_on_complete: vec![Audience::Role {
                name: "finance".into(),
            }],
        },
    );

    let purchase_form = Form::new("purchase", "Purchase request / 采购")
        .field(Field::text("item", "What / 采购物品").required().max(200))
        .field(
            Field::number("quantity", "Quantity / 数量")
                .required()
                .min(1),
        )
        .field(Field::money("budget", "Budget / 预算").required().min(0.01))
        .field(Field::text("supplier", "Supplier / 供应商").max(200))
        .field(Field::date("needed_by", "Needed by / 需要日期"))
        .field(
            Field::textarea("reason", "Reason / 用途")
                .required()
                .max(1000),
        );
    let mut procurement = step(
        "procurement",
        i18n("Procurement", "采购部"),
        vec![ApproverRule::Role {
            name: "procurement".into(),
        }],
        Mode::Any,
    );
    procurement.when = Some(amount_over("budget", 20000));
    let purchase = template(
        "purchase",
        i18n("Purchase request", "采购申请"),
        i18n(
            "Ask to buy something. Over 20,000 procurement approves too.",
            "申请采购。预算超过 20000 时需采购部审批。",
        ),
        purchase_form,
        Flow {
            steps: vec![manager(), procurement],
            ..Flow::default()
        },
    );

    let trip_form = Form::new("trip", "Business trip / 出差")
        .field(
            Field::text("destination", "Destination / 目的地")
                .required()
                .max(200),
        )
        .field(Field::date_range("dates", "Dates / 日期").required())
        .field(Field::money("budget", "Estimated cost / 预计费用").min(0))
        .field(
            Field::textarea("purpose", "Purpose / 出差事由")
                .required()
                .max(1000),
        );
    let trip = template(
        "trip",
        i18n("Business trip", "出差"),
        i18n("Ask to travel for work.", "申请出差。"),
        trip_form,
        Flow {
            steps: vec![manager()],
            ..Flow::default()
        },
    );

    let supplies_form = Form::new("supplies", "Office supplies / 物品领用")
        .field(
            Field::table("items", "Items / 物品")
                .column(Column::new("item", "Item / 物品", FieldKind::Text).required())
                .column(Column::new("quantity", "Quantity / 数量", FieldKind::Number).required())
                .required(),
        )
        .field(Field::textarea("note", "Note / 备注").max(500));
    let supplies = template(
        "supplies",
        i18n("Office supplies", "物品领用"),
        i18n("Take office supplies from stock.", "领用办公物品。"),
        supplies_form,
        Flow {
            steps: vec![step(
                "admin",
                i18n("Office administration", "行政"),
                vec![ApproverRule::Role {
                    name: "office_admin".into(),
                }],
                Mode::Any,
            )],
            ..Flow::default()
        },
    );

    let general_form = Form::new("general", "General request / 通用审批")
        .field(Field::text("subject", "Subject / 标题").required().max(200))
        .field(
            Field::textarea("details", "Details / 内容")
                .required()
                .max(5000),
        )
        .field(
            Field::people("approvers", "Approvers / 审批人")
                .required()
                .max(10),
        );
    let general = template(
        "general",
        i18n("General request", "通用审批"),
        i18n(
            "Anything else: you choose who approves, one after another.",
            "其他事项：由你选择审批人，依次审批。",
        ),
        general_form,
        Flow {
            steps: vec![step(
                "chosen",
                i18n("Chosen approvers", "自选审批人"),
                vec![ApproverRule::Chosen {
                    field: "approvers".into(),
                }],
                Mode::Sequential,
            )],
            ..Flow::default()
        },
    );

    vec![
        expense,
        purchase,
        trip,
        supplies,
        general,
        leave_template(false),
        leave_template(true),
    ]
}

/// What the leave plugin starts: the manager approves, and the department head above them
/// too for more than three days. Admins change it like any template.
fn leave_template(cancel: bool) -> Template {
    let mut form = Form::new(
        if cancel { "leave_cancel" } else { "leave" },
        if cancel {
            "Cancel leave / 销假"
        } else {
            "Leave / 请假"
        },
    )
    .field(Field::text("leave_type", "Leave type / 假期类型").required())
    .field(Field::text("leave_type_id", "Leave type id / 假期类型编号").read_only())
    .field(Field::text("from", "From / 开始").required())
    .field(Field::text("to", "To / 结束").required())
    .field(Field::number("days", "Days / 天数").required())
    .field(Field::text("amount", "Amount / 时长"))
    .field(Field::textarea("reason", "Reason / 事由"))
    .field(Field::text("delegate_id", "Delegate / 代理人").read_only());
    if cancel {
        form = form.field(Field::text("cancels", "Cancels / 撤销的申请").read_only());
    }
    let mut head = step(
        "head",
        i18n("Department head", "部门负责人"),
        vec![ApproverRule::Manager { level: 2 }],
        Mode::Sequential,
    );
    head.when = Some(Condition::compare("days", Op::Gt, json!(3)));
    let (id, name, description) = if cancel {
        (
            "leave_cancel",
            i18n("Cancel approved leave", "销假"),
            i18n(
                "Started by the leave plugin to cancel approved leave.",
                "由请假插件发起，撤销已批准的请假。",
            ),
        )
    } else {
        (
            "leave",
            i18n("Leave", "请假"),
            i18n(
                "Started by the leave plugin: the manager approves, the department head too above three days.",
                "由请假插件发起：直属主管审批，超过三天还需部门负责人审批。",
            ),
        )
    };
    template(
        id,
        name,
        description,
        form,
        Flow {
            steps: vec![manager(), head],
            ..Flow::default()
        },
    )
}

/// The template with this id: an admin's saved version, else the built-in one.
pub fn find(id: &str) -> Result<Option<Template>> {
    if let Some(saved) = TEMPLATES.get(id)? {
        return Ok(Some(saved.value));
    }
    Ok(builtin().into_iter().find(|t| t.id == id))
}

/// All templates: built-in ones (or their saved versions) first, then the admins' own.
pub fn all() -> Result<Vec<Template>> {
    let saved = TEMPLATES.list_all(200)?;
    let mut out: Vec<Template> = builtin()
        .into_iter()
        .map(|b| {
            saved
                .iter()
                .find(|s| s.id == b.id)
                .map(|s| s.value.clone())
                .unwrap_or(b)
        })
        .collect();
    for s in saved {
        if !out.iter().any(|t| t.id == s.id) {
            out.push(s.value);
        }
    }
    Ok(out)
}
