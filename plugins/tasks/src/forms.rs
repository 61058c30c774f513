//! The forms: a new task, editing one, its checklist, a comment, and a view's filters.
//!
//! The edit and checklist forms carry what the task looked like when they were opened (see
//! `domain::merge`), so a submission changes only what its sender changed.

use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::merge::{EditValues, checklist_token, edit_token};
use crate::domain::view::{Assignee, DueFilter, Sort, View};
use crate::domain::{Lang, Priority, Status, Task};

pub const CREATE: &str = "create";
pub const EDIT: &str = "edit";
pub const CHECKLIST: &str = "checklist";
pub const COMMENT: &str = "comment";
pub const VIEW: &str = "view";

/// A `datetime` field's value for an instant: `2026-12-01T18:00`.
pub fn datetime_value(ms: i64) -> String {
    time::format_datetime(ms).replacen(' ', "T", 1)
}

fn priority_field(lang: Lang) -> Field {
    let mut f = Field::select("priority", lang.tr("Priority", "优先级"));
    for p in Priority::ALL {
        f = f.option(p.key(), p.label(lang));
    }
    f.default(Priority::P2.key()).required()
}

/// A new task.
pub fn create_form(lang: Lang) -> Form {
    Form::new(CREATE, lang.tr("New task", "新建任务"))
        .field(
            Field::text("title", lang.tr("Title", "标题"))
                .required()
                .max(200),
        )
        .field(Field::people("assignees", lang.tr("Assignees", "负责人")).max(20))
        .field(
            Field::datetime("due", lang.tr("Due", "截止时间"))
                .help(lang.tr("In the organization's time zone", "按组织所在时区")),
        )
        .field(priority_field(lang))
        .field(Field::textarea("description", lang.tr("Description", "描述")).max(4000))
        .field(
            Field::textarea("checklist", lang.tr("Checklist", "检查项"))
                .max(4000)
                .help(lang.tr("One item per line", "每行一项")),
        )
        .submit_label(lang.tr("Create", "创建"))
}

/// What the new-task form submits.
#[derive(Debug, Deserialize)]
pub struct CreateValues {
    pub title: String,
    #[serde(default)]
    pub assignees: Option<Vec<String>>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub checklist: Option<String>,
}

/// The edit form's fields, as [`Form::fill`] takes them.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub assignees: Option<Vec<String>>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
}

impl EditForm {
    pub fn of(values: &EditValues) -> EditForm {
        EditForm {
            title: values.title.clone(),
            description: Some(values.description.clone()),
            assignees: Some(values.assignees.clone()),
            due: values.due_ms.map(datetime_value),
            priority: Some(values.priority.key().to_owned()),
        }
    }
}

/// Editing a task: filled with `shown`, carrying fingerprints of `base` (what the task was
/// when the form was made; see `domain::merge`).
pub fn edit_form(id: &str, base: &EditValues, shown: &EditValues, lang: Lang) -> Form {
    Form::new(EDIT, lang.tr("Edit task", "编辑任务"))
        .field(
            Field::text("title", lang.tr("Title", "标题"))
                .required()
                .max(200),
        )
        .field(Field::people("assignees", lang.tr("Assignees", "负责人")).max(20))
        .field(
            Field::datetime("due", lang.tr("Due", "截止时间"))
                .help(lang.tr("Empty: no due time", "留空表示不设截止时间")),
        )
        .field(priority_field(lang))
        .field(Field::textarea("description", lang.tr("Description", "描述")).max(4000))
        .fill(&EditForm::of(shown))
        .value(edit_token(id, base))
        .submit_label(lang.tr("Save", "保存"))
}

/// Ticking, adding and removing checklist items.
pub fn checklist_form(id: &str, task: &Task, lang: Lang) -> Form {
    let mut form = Form::new(CHECKLIST, lang.tr("Checklist", "检查项"));
    if !task.checklist.is_empty() {
        let mut done = Field::multi_select("done", lang.tr("Done", "已完成"));
        let mut remove = Field::multi_select("remove", lang.tr("Remove", "删除"));
        for item in &task.checklist {
            let label = format!("{}. {}", item.id, item.text);
            done = done.option(item.id.to_string(), label.clone());
            remove = remove.option(item.id.to_string(), label);
        }
        let ticked: Vec<String> = task
            .checklist
            .iter()
            .filter(|i| i.done)
            .map(|i| i.id.to_string())
            .collect();
        form = form.field(done.default(ticked)).field(remove);
    }
    form.field(
        Field::textarea("add", lang.tr("Add items", "新增检查项"))
            .max(4000)
            .help(lang.tr("One item per line", "每行一项")),
    )
    .value(checklist_token(task, id))
    .submit_label(lang.tr("Save", "保存"))
}

#[derive(Debug, Deserialize)]
pub struct ChecklistValues {
    #[serde(default)]
    pub done: Option<Vec<String>>,
    #[serde(default)]
    pub remove: Option<Vec<String>>,
    #[serde(default)]
    pub add: Option<String>,
}

pub fn comment_form(id: &str, lang: Lang) -> Form {
    Form::new(COMMENT, lang.tr("Comment", "评论"))
        .field(
            Field::textarea("text", lang.tr("Comment", "评论"))
                .required()
                .max(2000),
        )
        .value(id)
        .submit_label(lang.tr("Send", "发送"))
}

#[derive(Debug, Deserialize)]
pub struct CommentValues {
    pub text: String,
}

/// The filters and order of the list and board pages, saved per person and group.
pub fn view_form(view: &View, page: &str, lang: Lang) -> Form {
    let mut status = Field::multi_select("status", lang.tr("Status", "状态"));
    for s in Status::ALL {
        status = status.option(s.key(), s.label(lang));
    }
    let mut priority = Field::multi_select("priority", lang.tr("Priority", "优先级"));
    for p in Priority::ALL {
        priority = priority.option(p.key(), p.label(lang));
    }
    let assignee = Field::select("assignee", lang.tr("Assignee", "负责人"))
        .option("any", lang.tr("Anyone", "所有人"))
        .option("me", lang.tr("Me", "我"))
        .option("none", lang.tr("Nobody yet", "未指派"))
        .option("person", lang.tr("This person:", "指定的人："))
        .required();
    let person =
        Field::person("person", lang.tr("Person", "人员")).visible_if("assignee", "person");
    let mut due = Field::select("due", lang.tr("Due", "截止时间")).required();
    for d in DueFilter::ALL {
        let label = match d {
            DueFilter::Any => lang.tr("Any time", "不限"),
            DueFilter::Overdue => lang.tr("Overdue", "已逾期"),
            DueFilter::Today => lang.tr("By the end of today", "今天截止"),
            DueFilter::Week => lang.tr("Within 7 days", "7 天内截止"),
            DueFilter::None => lang.tr("No due date", "无截止时间"),
        };
        due = due.option(d.key(), label);
    }
    let mut sort = Field::select("sort", lang.tr("Sort by", "排序")).required();
    for s in Sort::ALL {
        let label = match s {
            Sort::Due => lang.tr("Due time", "截止时间"),
            Sort::Priority => lang.tr("Priority", "优先级"),
            Sort::Created => lang.tr("Newest", "最新创建"),
            Sort::Title => lang.tr("Title", "标题"),
            Sort::Status => lang.tr("Status", "状态"),
        };
        sort = sort.option(s.key(), label);
    }
    let order = Field::select("order", lang.tr("Order", "顺序"))
        .option("asc", lang.tr("Ascending", "升序"))
        .option("desc", lang.tr("Descending", "降序"))
        .required();
    let (assignee_value, person_value) = match &view.assignee {
        Assignee::Anyone => ("any", None),
        Assignee::Me => ("me", None),
        Assignee::Nobody => ("none", None),
        Assignee::Person(id) => ("person", Some(id.clone())),
    };
    let statuses: Vec<&str> = view.statuses.iter().map(|s| s.key()).collect();
    let priorities: Vec<&str> = view.priorities.iter().map(|p| p.key()).collect();
    Form::new(VIEW, lang.tr("Filter and sort", "筛选与排序"))
        .field(status.default(statuses))
        .field(assignee.default(assignee_value))
        .field(match person_value {
            Some(id) => person.default(id),
            None => person,
        })
        .field(due.default(view.due.key()))
        .field(priority.default(priorities))
        .field(sort.default(view.sort.key()))
        .field(order.default(if view.desc { "desc" } else { "asc" }))
        .value(page)
        .submit_label(lang.tr("Apply", "应用"))
}

#[derive(Debug, Deserialize)]
pub struct ViewValues {
    #[serde(default)]
    pub status: Option<Vec<String>>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub priority: Option<Vec<String>>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub order: Option<String>,
}

impl ViewValues {
    /// The view these values describe.
    pub fn view(&self) -> View {
        let status = self.status.clone().unwrap_or_default().join(",");
        let priority = self.priority.clone().unwrap_or_default().join(",");
        let assignee = match self.assignee.as_deref() {
            Some("person") => self.person.clone().unwrap_or_default(),
            other => other.unwrap_or("any").to_owned(),
        };
        View::parse([
            ("status", status.as_str()),
            ("priority", priority.as_str()),
            ("assignee", assignee.as_str()),
            ("due", self.due.as_deref().unwrap_or("any")),
            ("sort", self.sort.as_deref().unwrap_or("due")),
            ("order", self.order.as_deref().unwrap_or("asc")),
        ])
    }
}
