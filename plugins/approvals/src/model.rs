//! The approvals data: templates (form, flow, settings), requests with their steps and
//! tasks, and the append-only timeline. Plain data with serde; the logic lives in
//! `condition`, `route` and `engine`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::condition::Condition;

/// Whether a locale asks for Chinese (`zh`, `zh-CN`, `zh_Hans`…).
pub fn is_zh(locale: &str) -> bool {
    locale
        .get(..2)
        .is_some_and(|p| p.eq_ignore_ascii_case("zh"))
}

/// Text in English and Chinese.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct I18n {
    pub en: String,
    pub zh: String,
}

impl I18n {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        I18n {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The text for `locale` (`zh-CN` → Chinese, anything else → English), falling back to
    /// the other language when one is empty.
    pub fn get(&self, locale: &str) -> &str {
        let (first, second) = if is_zh(locale) {
            (&self.zh, &self.en)
        } else {
            (&self.en, &self.zh)
        };
        if first.is_empty() { second } else { first }
    }
}

/// A person as the directory knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// An approval template: a form plus the flow it goes through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Template {
    /// A slug, e.g. `expense`.
    pub id: String,
    pub version: u32,
    pub name: I18n,
    #[serde(default)]
    pub description: I18n,
    /// The host's form JSON (`{"fields": [{"name", "kind", "label", …}]}`); opaque here
    /// except for field names, kinds, labels and select options.
    #[serde(default)]
    pub form: Value,
    pub flow: Flow,
    #[serde(default)]
    pub settings: Settings,
}

impl Template {
    /// The form field called `name`, as the host's JSON.
    pub fn field(&self, name: &str) -> Option<&Value> {
        form_field(&self.form, name)
    }

    /// A field's label for `locale` (the field name when the form has no label).
    pub fn field_label(&self, name: &str, locale: &str) -> String {
        field_label(&self.form, name, locale)
    }
}

/// The field called `name` in a host form JSON.
pub fn form_field<'a>(form: &'a Value, name: &str) -> Option<&'a Value> {
    form.get("fields")?
        .as_array()?
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
}

/// A field's kind (`money`, `person`, …) in a host form JSON.
pub fn field_kind<'a>(form: &'a Value, name: &str) -> Option<&'a str> {
    form_field(form, name)?.get("kind")?.as_str()
}

/// A field's label: a string, or `{"en", "zh-CN"}`; the field name when there is none.
pub fn field_label(form: &Value, name: &str, locale: &str) -> String {
    label_text(form_field(form, name).and_then(|f| f.get("label")), locale)
        .unwrap_or_else(|| name.to_string())
}

/// A field's label in both languages.
pub fn field_labels(form: &Value, name: &str) -> I18n {
    I18n::new(
        field_label(form, name, "en"),
        field_label(form, name, "zh-CN"),
    )
}

/// A label that is either a string or an object keyed by locale.
pub(crate) fn label_text(label: Option<&Value>, locale: &str) -> Option<String> {
    match label? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(m) => {
            let keys: &[&str] = if is_zh(locale) {
                &["zh-CN", "zh", "en"]
            } else {
                &["en", "zh-CN", "zh"]
            };
            keys.iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
                .map(str::to_string)
        }
        _ => None,
    }
}

/// The steps a request goes through, and who is copied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Flow {
    pub steps: Vec<StepDef>,
    /// Copied when the request is submitted.
    #[serde(default)]
    pub cc_on_submit: Vec<Audience>,
    /// Copied when the request is approved.
    #[serde(default)]
    pub cc_on_complete: Vec<Audience>,
}

/// One step of a flow as the admin defines it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct StepDef {
    pub id: String,
    pub name: I18n,
    /// Everyone these rules resolve to (union, de-duplicated, order kept).
    pub approvers: Vec<ApproverRule>,
    #[serde(default)]
    pub mode: Mode,
    /// The step exists only when this holds (a conditional branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Access per form field at this step; fields not listed are `read`.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,
    /// Copied when this step passes.
    #[serde(default)]
    pub cc: Vec<Audience>,
}

/// How the approvers of a step decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One after another, in order.
    #[default]
    Sequential,
    /// Countersign (会签): everyone must approve, in parallel.
    All,
    /// Or-sign (或签): the first decision wins.
    Any,
}

impl Mode {
    pub fn describe(self, locale: &str) -> &'static str {
        match (self, is_zh(locale)) {
            (Mode::Sequential, false) => "one after another",
            (Mode::Sequential, true) => "依次审批",
            (Mode::All, false) => "all must approve",
            (Mode::All, true) => "会签",
            (Mode::Any, false) => "any one approves",
            (Mode::Any, true) => "或签",
        }
    }
}

/// Who approves a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApproverRule {
    /// Fixed people.
    People { ids: Vec<String> },
    /// An approvals role: a named list of people the admin maintains.
    Role { name: String },
    /// The submitter's manager chain: level 1 is the nearest head who is not the submitter.
    Manager { level: u32 },
    /// Head of the submitter's department (level 1), of its parent (level 2)…
    DepartmentHead { level: u32 },
    /// A person or people field the submitter filled in.
    Chosen { field: String },
}

/// Who is copied (抄送).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    People {
        ids: Vec<String>,
    },
    Role {
        name: String,
    },
    /// A notice posted in a group.
    Group {
        id: String,
    },
    Manager {
        level: u32,
    },
}

/// What an approver may do with a form field at a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    Edit,
    #[default]
    Read,
    Hidden,
}

/// Reminders and what happens when a step waits too long.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Timeout {
    /// First reminder this long after the step is entered (0: no reminders).
    pub remind_after_hours: u32,
    /// Then again this often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_every_hours: Option<u32>,
    /// At most this many reminders in all (0: none).
    #[serde(default = "one")]
    pub max_reminders: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<TimeoutThen>,
}

fn one() -> u32 {
    1
}

/// After `after_hours` in the step, do `action`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct TimeoutThen {
    pub after_hours: u32,
    pub action: TimeoutAction,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimeoutAction {
    /// The step passes.
    Approve,
    /// The request is rejected.
    Reject,
    /// Someone else is added to the step; their decision decides it.
    Escalate { to: ApproverRule },
}

/// What happens when the submitter is an approver of a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfApproval {
    /// Their task passes automatically.
    #[default]
    AutoPass,
    /// They are dropped from the step (the step is skipped when no one else is in it).
    Skip,
    /// Their manager approves instead.
    Manager,
}

/// Template-wide behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct Settings {
    pub self_approval: SelfApproval,
    /// Auto-pass an approver who already approved an earlier step of the same request.
    pub dedupe: bool,
    /// How long after approval the submitter may revoke (0: never).
    pub revoke_window_hours: u32,
    /// The submitter may urge at most this often.
    pub urge_interval_minutes: u32,
    /// The submitter may withdraw a pending or returned request.
    pub allow_withdraw: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            self_approval: SelfApproval::AutoPass,
            dedupe: true,
            revoke_window_hours: 31 * 24,
            urge_interval_minutes: 60,
            allow_withdraw: true,
        }
    }
}

/// Another plugin started the request and wants the outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Origin {
    pub plugin: String,
    pub reference: String,
}

/// One approval request (an instance of a template).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Request {
    pub id: String,
    pub serial: String,
    /// The template as it was at submit time.
    pub template: Template,
    pub title: I18n,
    pub submitter: PersonRef,
    pub department: Option<String>,
    pub values: Value,
    pub status: Status,
    pub steps: Vec<Step>,
    /// Index into `steps` of the step being decided.
    pub current: usize,
    /// Append-only: nothing in it is ever rewritten.
    pub timeline: Vec<Event>,
    /// Everyone copied so far.
    pub cc: Vec<PersonRef>,
    pub cc_groups: Vec<String>,
    pub origin: Option<Origin>,
    pub resubmitted_from: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub decided_ms: Option<i64>,
    pub last_urged_ms: Option<i64>,
}

impl Request {
    /// The step being decided, while the request is pending.
    pub fn current_step(&self) -> Option<&Step> {
        match self.status {
            Status::Pending => self.steps.get(self.current),
            _ => None,
        }
    }

    /// Whether the request has reached a final status.
    pub fn is_closed(&self) -> bool {
        matches!(
            self.status,
            Status::Approved | Status::Rejected | Status::Withdrawn | Status::Revoked
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    /// Back with the submitter for changes.
    Returned,
    Approved,
    Rejected,
    Withdrawn,
    Revoked,
}

impl Status {
    pub fn describe(self, locale: &str) -> &'static str {
        match (self, is_zh(locale)) {
            (Status::Pending, false) => "Pending",
            (Status::Pending, true) => "审批中",
            (Status::Returned, false) => "Returned for changes",
            (Status::Returned, true) => "已退回",
            (Status::Approved, false) => "Approved",
            (Status::Approved, true) => "已通过",
            (Status::Rejected, false) => "Rejected",
            (Status::Rejected, true) => "已拒绝",
            (Status::Withdrawn, false) => "Withdrawn",
            (Status::Withdrawn, true) => "已撤回",
            (Status::Revoked, false) => "Revoked",
            (Status::Revoked, true) => "已撤销",
        }
    }
}

/// A step of a request: who approves it, resolved from the template (or added on the way).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Step {
    /// The template step's id (`add:N` for an add-sign step).
    pub def_id: String,
    pub name: I18n,
    pub mode: Mode,
    pub tasks: Vec<Task>,
    pub fields: BTreeMap<String, FieldAccess>,
    pub timeout: Option<Timeout>,
    #[serde(default)]
    pub cc: Vec<Audience>,
    /// Reminders sent since the step was last entered.
    pub reminders_sent: u32,
    /// When the step was last entered.
    pub entered_ms: Option<i64>,
    /// Set on a step an approver added (加签).
    pub added_by: Option<PersonRef>,
}

impl Step {
    /// The access `field` has at this step.
    pub fn access(&self, field: &str) -> FieldAccess {
        self.fields.get(field).copied().unwrap_or_default()
    }
}

/// One approver's part in a step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Task {
    pub approver: PersonRef,
    pub state: TaskState,
    /// Why this person approves (route preview and timeline).
    pub reasons: Vec<Why>,
    /// Delegation: the person this task was meant for.
    pub on_behalf_of: Option<PersonRef>,
    pub acted_ms: Option<i64>,
    pub comment: Option<String>,
}

impl Task {
    /// Whether `person_id` may act on this task: the approver, or the person they stand in
    /// for.
    pub fn belongs_to(&self, person_id: &str) -> bool {
        self.approver.id == person_id
            || self
                .on_behalf_of
                .as_ref()
                .is_some_and(|p| p.id == person_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskState {
    /// Sequential step, not this approver's turn yet (or the step is not reached).
    Waiting,
    Pending,
    Approved,
    Rejected,
    /// Sent back (to an earlier step or to the submitter).
    Returned,
    Transferred {
        to: PersonRef,
    },
    AutoPassed {
        why: Why,
    },
    Skipped {
        why: Why,
    },
    /// Another or-sign approver decided, or the request ended.
    Cancelled,
}

impl TaskState {
    /// Still waiting for a decision.
    pub fn is_open(&self) -> bool {
        matches!(self, TaskState::Waiting | TaskState::Pending)
    }

    /// Counts as this approver's approval of the step.
    pub fn is_pass(&self) -> bool {
        matches!(self, TaskState::Approved | TaskState::AutoPassed { .. })
    }
}

/// Why a person approves, or why a task passed by itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    /// Named in the template.
    Fixed,
    Role {
        name: String,
    },
    Manager {
        of: PersonRef,
        level: u32,
    },
    DepartmentHead {
        department: String,
        level: u32,
    },
    Chosen {
        field_label: I18n,
    },
    /// The branch condition that added the step, rendered with the form's labels.
    Condition {
        text: I18n,
    },
    Transferred {
        from: PersonRef,
    },
    AddSign {
        by: PersonRef,
    },
    Delegate {
        #[serde(rename = "for")]
        for_: PersonRef,
    },
    Escalated,
    SelfApproval,
    AlreadyApproved,
    /// The step timed out and was approved automatically.
    TimedOut,
}

impl Why {
    /// One line for people, in `locale`.
    pub fn describe(&self, locale: &str) -> String {
        let zh = is_zh(locale);
        match self {
            Why::Fixed if zh => "模板指定".into(),
            Why::Fixed => "Named in the template".into(),
            Why::Role { name } if zh => format!("角色：{name}"),
            Why::Role { name } => format!("Role: {name}"),
            Why::Manager { of, level: 1 } if zh => format!("{}的直属上级", of.name),
            Why::Manager { of, level: 1 } => format!("Manager of {}", of.name),
            Why::Manager { of, level } if zh => format!("{}的第 {level} 级上级", of.name),
            Why::Manager { of, level } => format!("Level {level} manager of {}", of.name),
            Why::DepartmentHead {
                department,
                level: 1,
            } if zh => format!("{department}负责人"),
            Why::DepartmentHead {
                department,
                level: 1,
            } => format!("Head of {department}"),
            Why::DepartmentHead { department, level } if zh => {
                format!("{department}负责人（第 {level} 级）")
            }
            Why::DepartmentHead { department, level } => {
                format!("Head of {department} (level {level})")
            }
            Why::Chosen { field_label } if zh => {
                format!("提交人在“{}”中选择", field_label.get(locale))
            }
            Why::Chosen { field_label } => {
                format!("Chosen by the submitter in “{}”", field_label.get(locale))
            }
            Why::Condition { text } if zh => format!("条件：{}", text.get(locale)),
            Why::Condition { text } => format!("Because {}", text.get(locale)),
            Why::Transferred { from } if zh => format!("由{}转交", from.name),
            Why::Transferred { from } => format!("Transferred by {}", from.name),
            Why::AddSign { by } if zh => format!("由{}加签", by.name),
            Why::AddSign { by } => format!("Added by {}", by.name),
            Why::Delegate { for_ } if zh => format!("代{}审批", for_.name),
            Why::Delegate { for_ } => format!("Standing in for {}", for_.name),
            Why::Escalated if zh => "超时后升级".into(),
            Why::Escalated => "Escalated after a timeout".into(),
            Why::SelfApproval if zh => "提交人本人是审批人".into(),
            Why::SelfApproval => "The submitter is an approver here".into(),
            Why::AlreadyApproved if zh => "已在之前的步骤同意".into(),
            Why::AlreadyApproved => "Already approved an earlier step".into(),
            Why::TimedOut if zh => "超时自动同意".into(),
            Why::TimedOut => "Approved automatically after a timeout".into(),
        }
    }
}

/// One entry of a request's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Event {
    pub at_ms: i64,
    /// None for the system (timers, automatic passes).
    pub actor: Option<PersonRef>,
    #[serde(flatten)]
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// What happened. `step` is the index into `Request::steps` at the time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Submitted,
    Approved {
        step: usize,
    },
    Rejected {
        step: usize,
    },
    /// None: back to the submitter.
    Returned {
        step: usize,
        to_step: Option<usize>,
    },
    Resubmitted,
    Withdrawn,
    Transferred {
        step: usize,
        to: PersonRef,
    },
    AddSigned {
        step: usize,
        people: Vec<PersonRef>,
        before: bool,
    },
    Urged,
    Commented,
    AutoPassed {
        step: usize,
        approver: PersonRef,
        why: Why,
    },
    /// An approver left out of a step (self-approval policy `skip`).
    Skipped {
        step: usize,
        approver: PersonRef,
        why: Why,
    },
    Reminded {
        step: usize,
        approvers: Vec<PersonRef>,
    },
    Escalated {
        step: usize,
        to: Vec<PersonRef>,
    },
    TimedOut {
        step: usize,
        action: TimeoutAction,
    },
    Revoked,
    Completed {
        status: Status,
    },
    /// Form values changed (by an approver with edit access, or on resubmit).
    Edited {
        fields: Vec<FieldChange>,
    },
}

/// One changed form value, kept whole for the audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn i18n_picks_the_locale_and_falls_back() {
        let t = I18n::new("Expense", "报销");
        assert_eq!(t.get("zh-CN"), "报销");
        assert_eq!(t.get("zh"), "报销");
        assert_eq!(t.get("en"), "Expense");
        assert_eq!(t.get("fr"), "Expense");
        assert_eq!(I18n::new("Only English", "").get("zh-CN"), "Only English");
        assert_eq!(I18n::new("", "只有中文").get("en"), "只有中文");
    }

    #[test]
    fn enums_are_snake_case_and_tagged_by_kind() {
        assert_eq!(
            serde_json::to_value(ApproverRule::DepartmentHead { level: 2 }).unwrap(),
            json!({"kind": "department_head", "level": 2})
        );
        assert_eq!(serde_json::to_value(Mode::Any).unwrap(), json!("any"));
        assert_eq!(
            serde_json::to_value(TaskState::AutoPassed {
                why: Why::SelfApproval
            })
            .unwrap(),
            json!({"kind": "auto_passed", "why": {"kind": "self_approval"}})
        );
        assert_eq!(
            serde_json::to_value(Why::Delegate {
                for_: PersonRef::new("u1", "Ann")
            })
            .unwrap(),
            json!({"kind": "delegate", "for": {"id": "u1", "name": "Ann"}})
        );
    }

    #[test]
    fn events_flatten_their_kind() {
        let e = Event {
            at_ms: 5,
            actor: Some(PersonRef::new("u1", "Ann")),
            kind: EventKind::Approved { step: 1 },
            comment: Some("ok".into()),
            attachments: vec![],
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({"at_ms": 5, "actor": {"id": "u1", "name": "Ann"}, "kind": "approved", "step": 1, "comment": "ok"})
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), e);
    }

    #[test]
    fn a_minimal_template_gets_defaults() {
        let t: Template = serde_json::from_value(json!({
            "id": "general", "version": 1, "name": {"en": "General", "zh": "通用"},
            "flow": {"steps": [{"id": "s1", "name": {"en": "Manager", "zh": "上级"},
                                "approvers": [{"kind": "manager", "level": 1}]}]}
        }))
        .unwrap();
        assert_eq!(t.settings, Settings::default());
        let step = &t.flow.steps[0];
        assert_eq!(step.mode, Mode::Sequential);
        assert!(step.when.is_none() && step.timeout.is_none() && step.cc.is_empty());
        assert_eq!(t.description, I18n::default());
    }

    #[test]
    fn labels_come_from_the_form() {
        let form = json!({"fields": [
            {"name": "amount", "kind": "money", "label": "Amount"},
            {"name": "dest", "kind": "text", "label": {"en": "Destination", "zh-CN": "目的地"}},
        ]});
        assert_eq!(field_label(&form, "amount", "zh-CN"), "Amount");
        assert_eq!(field_label(&form, "dest", "zh-CN"), "目的地");
        assert_eq!(field_label(&form, "dest", "en"), "Destination");
        assert_eq!(field_label(&form, "missing", "en"), "missing");
        assert_eq!(field_kind(&form, "amount"), Some("money"));
        assert_eq!(field_label(&json!(null), "x", "en"), "x");
    }

    #[test]
    fn timeout_reminders_default_to_one() {
        let t: Timeout = serde_json::from_value(json!({"remind_after_hours": 24})).unwrap();
        assert_eq!(t.max_reminders, 1);
        assert!(t.repeat_every_hours.is_none() && t.then.is_none());
    }
}
