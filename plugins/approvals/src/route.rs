//! Route resolution: a template's flow becomes concrete steps, each with its approvers and
//! why they were chosen. The route preview shown before submitting is exactly [`plan`].
//!
//! Delegation and the self-approval policy are applied here, at plan time: both depend only
//! on the submitter and the directory. De-duplication ("already approved an earlier step")
//! is only *predicted* here, for the preview; the engine decides it for real when a step is
//! entered, from who actually approved (an or-sign step may have been decided by someone
//! else, an approver may have transferred their task).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    ApproverRule, Audience, FieldAccess, I18n, Mode, PersonRef, SelfApproval, Step, StepDef, Task,
    TaskState, Template, TimeoutAction, Why, field_kind, field_labels, form_field, is_zh,
};

/// Manager and department-head levels go at most this high.
pub const MAX_LEVEL: u32 = 20;

/// The people directory as the approvals engine needs it.
pub trait Directory {
    fn person(&self, id: &str) -> Option<PersonRef>;

    /// The heads of the person's department chain, nearest first (possibly the person
    /// themself, when they head their own department), at most `levels` of them.
    fn managers(&self, id: &str, levels: u32) -> Vec<PersonRef>;

    /// `(department name, head)` for the department and its ancestors, nearest first, at
    /// most `levels` of them.
    fn department_heads(&self, department_id: &str, levels: u32) -> Vec<(String, PersonRef)>;

    /// The members of an approvals role.
    fn role(&self, name: &str) -> Vec<PersonRef>;

    /// Who acts for `person_id` at `at_ms` (e.g. while they are on leave).
    fn delegate(&self, person_id: &str, at_ms: i64) -> Option<PersonRef>;

    /// A department's name, for describing conditions.
    fn department_name(&self, department_id: &str) -> Option<String> {
        self.department_heads(department_id, 1)
            .into_iter()
            .next()
            .map(|(name, _)| name)
    }
}

/// Why a rule found nobody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Missing {
    /// None of the named people is in the directory any more.
    People,
    Role {
        name: String,
    },
    Manager {
        level: u32,
    },
    /// The rule needs the submitter's department and there is none.
    NoDepartment,
    DepartmentHead {
        level: u32,
    },
    Chosen {
        field_label: I18n,
    },
}

impl Missing {
    pub fn describe(&self, locale: &str) -> String {
        let zh = is_zh(locale);
        match self {
            Missing::People if zh => "指定的审批人已不在通讯录中".into(),
            Missing::People => "the named approvers are no longer in the directory".into(),
            Missing::Role { name } if zh => format!("角色“{name}”没有成员"),
            Missing::Role { name } => format!("role “{name}” has no members"),
            Missing::Manager { level: 1 } if zh => "提交人没有直属上级".into(),
            Missing::Manager { level: 1 } => "the submitter has no manager".into(),
            Missing::Manager { level } if zh => format!("提交人没有第 {level} 级上级"),
            Missing::Manager { level } => format!("the submitter has no level {level} manager"),
            Missing::NoDepartment if zh => "提交人没有所属部门".into(),
            Missing::NoDepartment => "the submitter has no department".into(),
            Missing::DepartmentHead { level } if zh => format!("部门没有第 {level} 级负责人"),
            Missing::DepartmentHead { level } => {
                format!("the department has no head at level {level}")
            }
            Missing::Chosen { field_label } if zh => {
                format!("“{}”中没有选择人员", field_label.get(locale))
            }
            Missing::Chosen { field_label } => {
                format!("no one was chosen in “{}”", field_label.get(locale))
            }
        }
    }
}

/// A route that cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteError {
    /// A step's rules resolve to nobody.
    NoApprover {
        step: String,
        name: I18n,
        missing: Vec<Missing>,
    },
}

impl RouteError {
    pub fn message(&self, locale: &str) -> String {
        match self {
            RouteError::NoApprover { name, missing, .. } => {
                let causes: Vec<String> = missing.iter().map(|m| m.describe(locale)).collect();
                if is_zh(locale) {
                    format!(
                        "步骤“{}”找不到审批人：{}。请联系管理员。",
                        name.get(locale),
                        causes.join("；")
                    )
                } else {
                    format!(
                        "No one can approve the step “{}”: {}. Please ask an administrator.",
                        name.get(locale),
                        causes.join("; ")
                    )
                }
            }
        }
    }

    pub fn en(&self) -> String {
        self.message("en")
    }

    pub fn zh(&self) -> String {
        self.message("zh-CN")
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for RouteError {}

/// The steps a request would go through: the route preview, and the steps a submitted
/// request starts with. Steps whose `when` does not hold are left out; a step whose rules
/// resolve to nobody is an error.
pub fn plan(
    template: &Template,
    submitter: &PersonRef,
    department: Option<&str>,
    values: &Value,
    dir: &dyn Directory,
    now_ms: i64,
) -> Result<Vec<Step>, RouteError> {
    let r = Resolver {
        template,
        submitter,
        department,
        values,
        dir,
        now_ms,
    };
    let mut steps = Vec::new();
    for def in &template.flow.steps {
        if let Some(when) = &def.when
            && !when.evaluate(values, department)
        {
            continue;
        }
        steps.push(r.step(def)?);
    }
    if template.settings.dedupe {
        predict_dedupe(&mut steps);
    }
    Ok(steps)
}

/// Resolves rules for one request.
pub(crate) struct Resolver<'a> {
    pub template: &'a Template,
    pub submitter: &'a PersonRef,
    pub department: Option<&'a str>,
    pub values: &'a Value,
    pub dir: &'a dyn Directory,
    pub now_ms: i64,
}

impl Resolver<'_> {
    fn step(&self, def: &StepDef) -> Result<Step, RouteError> {
        let mut tasks: Vec<Task> = Vec::new();
        let mut missing = Vec::new();
        for rule in &def.approvers {
            match self.rule(rule) {
                Ok(found) => {
                    for (person, why) in found {
                        merge(&mut tasks, waiting(person, vec![why]));
                    }
                }
                Err(m) => missing.push(m),
            }
        }
        let no_approver = |missing| RouteError::NoApprover {
            step: def.id.clone(),
            name: def.name.clone(),
            missing,
        };
        if tasks.is_empty() {
            return Err(no_approver(missing));
        }

        if let Some(i) = tasks
            .iter()
            .position(|t| t.approver.id == self.submitter.id)
        {
            match self.template.settings.self_approval {
                SelfApproval::AutoPass => {
                    tasks[i].state = TaskState::AutoPassed {
                        why: Why::SelfApproval,
                    }
                }
                SelfApproval::Skip => {
                    tasks[i].state = TaskState::Skipped {
                        why: Why::SelfApproval,
                    }
                }
                SelfApproval::Manager => {
                    tasks.remove(i);
                    let Some(manager) = manager(self.dir, self.submitter, 1) else {
                        return Err(no_approver(vec![Missing::Manager { level: 1 }]));
                    };
                    let why = Why::Manager {
                        of: self.submitter.clone(),
                        level: 1,
                    };
                    merge(&mut tasks, waiting(manager, vec![why, Why::SelfApproval]));
                }
            }
        }

        if let Some(when) = &def.when {
            let name = |id: &str| self.dir.department_name(id);
            let text = I18n::new(
                when.describe_with("en", &self.template.form, &name),
                when.describe_with("zh-CN", &self.template.form, &name),
            );
            for t in &mut tasks {
                t.reasons.push(Why::Condition { text: text.clone() });
            }
        }

        let mut delegated = Vec::new();
        for t in tasks {
            merge(
                &mut delegated,
                delegate(self.dir, t, &self.submitter.id, self.now_ms),
            );
        }
        Ok(Step {
            def_id: def.id.clone(),
            name: def.name.clone(),
            mode: def.mode,
            tasks: delegated,
            fields: def.fields.clone(),
            timeout: def.timeout.clone(),
            cc: def.cc.clone(),
            reminders_sent: 0,
            entered_ms: None,
            added_by: None,
        })
    }

    /// The people one rule names, each with the reason.
    pub(crate) fn rule(&self, rule: &ApproverRule) -> Result<Vec<(PersonRef, Why)>, Missing> {
        let found: Vec<(PersonRef, Why)> = match rule {
            ApproverRule::People { ids } => ids
                .iter()
                .filter_map(|id| self.dir.person(id))
                .map(|p| (p, Why::Fixed))
                .collect(),
            ApproverRule::Role { name } => self
                .dir
                .role(name)
                .into_iter()
                .map(|p| (p, Why::Role { name: name.clone() }))
                .collect(),
            ApproverRule::Manager { level } => manager(self.dir, self.submitter, *level)
                .map(|p| {
                    let why = Why::Manager {
                        of: self.submitter.clone(),
                        level: (*level).max(1),
                    };
                    (p, why)
                })
                .into_iter()
                .collect(),
            ApproverRule::DepartmentHead { level } => {
                let department = self.department.ok_or(Missing::NoDepartment)?;
                let level = (*level).clamp(1, MAX_LEVEL);
                self.dir
                    .department_heads(department, level)
                    .into_iter()
                    .nth(level as usize - 1)
                    .map(|(department, p)| (p, Why::DepartmentHead { department, level }))
                    .into_iter()
                    .collect()
            }
            ApproverRule::Chosen { field } => {
                let ids: Vec<&str> = match self.values.get(field) {
                    Some(Value::String(id)) => vec![id],
                    Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                let field_label = field_labels(&self.template.form, field);
                ids.into_iter()
                    .filter_map(|id| self.dir.person(id))
                    .map(|p| {
                        let why = Why::Chosen {
                            field_label: field_label.clone(),
                        };
                        (p, why)
                    })
                    .collect()
            }
        };
        if !found.is_empty() {
            return Ok(found);
        }
        Err(match rule {
            ApproverRule::People { .. } => Missing::People,
            ApproverRule::Role { name } => Missing::Role { name: name.clone() },
            ApproverRule::Manager { level } => Missing::Manager {
                level: (*level).max(1),
            },
            ApproverRule::DepartmentHead { level } => Missing::DepartmentHead {
                level: (*level).max(1),
            },
            ApproverRule::Chosen { field } => Missing::Chosen {
                field_label: field_labels(&self.template.form, field),
            },
        })
    }
}

/// The person's manager at `level` (1: the nearest head who is not the person).
pub(crate) fn manager(dir: &dyn Directory, person: &PersonRef, level: u32) -> Option<PersonRef> {
    let level = level.clamp(1, MAX_LEVEL);
    let mut chain: Vec<PersonRef> = Vec::new();
    for head in dir.managers(&person.id, level + 1) {
        if head.id != person.id && !chain.iter().any(|c| c.id == head.id) {
            chain.push(head);
        }
    }
    chain.into_iter().nth(level as usize - 1)
}

/// Everyone an audience names: people, and groups for a notice.
pub(crate) fn audience(
    dir: &dyn Directory,
    list: &[Audience],
    submitter: &PersonRef,
) -> (Vec<PersonRef>, Vec<String>) {
    let mut people: Vec<PersonRef> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for a in list {
        let found: Vec<PersonRef> = match a {
            Audience::People { ids } => ids.iter().filter_map(|id| dir.person(id)).collect(),
            Audience::Role { name } => dir.role(name),
            Audience::Manager { level } => manager(dir, submitter, *level).into_iter().collect(),
            Audience::Group { id } => {
                if !groups.contains(id) {
                    groups.push(id.clone());
                }
                vec![]
            }
        };
        for p in found {
            if p.id != submitter.id && !people.iter().any(|q| q.id == p.id) {
                people.push(p);
            }
        }
    }
    (people, groups)
}

fn waiting(approver: PersonRef, reasons: Vec<Why>) -> Task {
    Task {
        approver,
        state: TaskState::Waiting,
        reasons,
        on_behalf_of: None,
        acted_ms: None,
        comment: None,
    }
}

/// A waiting task for `person`, handed to their delegate when they have one. A task is
/// never delegated to the submitter (that would be self-approval through the back door).
pub(crate) fn new_task(
    dir: &dyn Directory,
    person: PersonRef,
    reasons: Vec<Why>,
    submitter_id: &str,
    now_ms: i64,
) -> Task {
    delegate(dir, waiting(person, reasons), submitter_id, now_ms)
}

fn delegate(dir: &dyn Directory, mut task: Task, submitter_id: &str, now_ms: i64) -> Task {
    if task.state != TaskState::Waiting {
        return task;
    }
    if let Some(d) = dir.delegate(&task.approver.id, now_ms)
        && d.id != task.approver.id
        && d.id != submitter_id
    {
        let original = std::mem::replace(&mut task.approver, d);
        task.reasons.push(Why::Delegate {
            for_: original.clone(),
        });
        task.on_behalf_of = Some(original);
    }
    task
}

/// Adds `task`, or folds its reasons into the task the same person already has.
pub(crate) fn merge(tasks: &mut Vec<Task>, task: Task) {
    match tasks.iter_mut().find(|t| t.approver.id == task.approver.id) {
        Some(existing) => {
            for why in task.reasons {
                if !existing.reasons.contains(&why) {
                    existing.reasons.push(why);
                }
            }
            if existing.on_behalf_of.is_none() {
                existing.on_behalf_of = task.on_behalf_of;
            }
        }
        None => tasks.push(task),
    }
}

/// Whether a task comes from the template's rules (not a transfer, add-sign or
/// escalation): only those are de-duplicated.
pub(crate) fn is_planned(task: &Task) -> bool {
    !task.reasons.iter().any(|w| {
        matches!(
            w,
            Why::Transferred { .. } | Why::AddSign { .. } | Why::Escalated
        )
    })
}

/// For the preview: a person who must approve an earlier sequential or countersign step
/// will pass later steps automatically. (Or-sign steps are left out: someone else may
/// decide them.) The engine re-checks against what really happened when a step is entered.
fn predict_dedupe(steps: &mut [Step]) {
    for i in 1..steps.len() {
        let (earlier, rest) = steps.split_at_mut(i);
        for task in &mut rest[0].tasks {
            if task.state != TaskState::Waiting || !is_planned(task) {
                continue;
            }
            let approves_earlier = earlier.iter().filter(|s| s.mode != Mode::Any).any(|s| {
                s.tasks.iter().any(|t| {
                    t.approver.id == task.approver.id
                        && matches!(
                            t.state,
                            TaskState::Waiting
                                | TaskState::AutoPassed {
                                    why: Why::AlreadyApproved
                                }
                        )
                })
            });
            if approves_earlier {
                task.state = TaskState::AutoPassed {
                    why: Why::AlreadyApproved,
                };
            }
        }
    }
}

/// A template an admin saved that cannot work as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub en: String,
    pub zh: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.en, self.zh)
    }
}

impl std::error::Error for TemplateError {}

/// Checks a template before it is saved: step ids, approver rules, levels, the fields that
/// conditions, field permissions and "chosen" rules name, condition limits and timeouts.
pub fn check_template(t: &Template) -> Result<(), TemplateError> {
    let err = |en: String, zh: String| Err(TemplateError { en, zh });
    if t.id.is_empty() {
        return err("the template needs an id".into(), "模板缺少标识".into());
    }
    if t.flow.steps.is_empty() {
        return err(
            "the flow needs at least one step".into(),
            "流程至少需要一个步骤".into(),
        );
    }
    let has_field = |name: &str| form_field(&t.form, name).is_some();
    check_audience(&t.flow.cc_on_submit)?;
    check_audience(&t.flow.cc_on_complete)?;
    for (i, step) in t.flow.steps.iter().enumerate() {
        let n = i + 1;
        let name = step.name.get("en");
        if step.id.is_empty() || t.flow.steps[..i].iter().any(|s| s.id == step.id) {
            return err(
                format!("step {n} needs an id of its own"),
                format!("第 {n} 步需要唯一的标识"),
            );
        }
        if step.approvers.is_empty() {
            return err(
                format!("step “{name}” has no approvers"),
                format!("步骤“{}”没有审批人", step.name.get("zh-CN")),
            );
        }
        let rules = step
            .approvers
            .iter()
            .chain(
                step.timeout
                    .as_ref()
                    .and_then(|t| match &t.then.as_ref()?.action {
                        TimeoutAction::Escalate { to } => Some(to),
                        _ => None,
                    }),
            );
        for rule in rules {
            match rule {
                ApproverRule::People { ids } if ids.is_empty() => {
                    return err(
                        format!("step “{name}” names no people"),
                        format!("步骤“{}”没有指定人员", step.name.get("zh-CN")),
                    );
                }
                ApproverRule::Manager { level } | ApproverRule::DepartmentHead { level }
                    if !(1..=MAX_LEVEL).contains(level) =>
                {
                    return err(
                        format!("step “{name}”: levels go from 1 to {MAX_LEVEL}"),
                        format!(
                            "步骤“{}”：层级须在 1 到 {MAX_LEVEL} 之间",
                            step.name.get("zh-CN")
                        ),
                    );
                }
                ApproverRule::Chosen { field }
                    if !matches!(field_kind(&t.form, field), Some("person" | "people")) =>
                {
                    return err(
                        format!("step “{name}”: “{field}” is not a person field of the form"),
                        format!(
                            "步骤“{}”：“{field}”不是表单中的人员字段",
                            step.name.get("zh-CN")
                        ),
                    );
                }
                _ => {}
            }
        }
        if let Some(when) = &step.when {
            if let Err(e) = when.check() {
                return err(
                    format!("step “{name}”: {e}"),
                    format!("步骤“{}”：{e}", step.name.get("zh-CN")),
                );
            }
            if let Some(f) = when.fields().into_iter().find(|f| !has_field(f)) {
                return err(
                    format!(
                        "step “{name}”: the condition reads “{f}”, which the form does not have"
                    ),
                    format!(
                        "步骤“{}”：条件使用的字段“{f}”不在表单中",
                        step.name.get("zh-CN")
                    ),
                );
            }
        }
        if let Some((f, _)) = step.fields.iter().find(|(f, _)| !has_field(f)) {
            return err(
                format!("step “{name}”: no form field “{f}”"),
                format!("步骤“{}”：表单中没有字段“{f}”", step.name.get("zh-CN")),
            );
        }
        if let Some(timeout) = &step.timeout
            && (timeout.repeat_every_hours == Some(0)
                || timeout.then.as_ref().is_some_and(|t| t.after_hours == 0))
        {
            return err(
                format!("step “{name}”: timeouts are counted in whole hours, at least 1"),
                format!("步骤“{}”：超时时间至少为 1 小时", step.name.get("zh-CN")),
            );
        }
        check_audience(&step.cc)?;
    }
    Ok(())
}

fn check_audience(list: &[Audience]) -> Result<(), TemplateError> {
    for a in list {
        let bad = match a {
            Audience::People { ids } => ids.is_empty(),
            Audience::Role { name } => name.is_empty(),
            Audience::Group { id } => id.is_empty(),
            Audience::Manager { level } => !(1..=MAX_LEVEL).contains(level),
        };
        if bad {
            return Err(TemplateError {
                en: "a copy-to entry is incomplete".into(),
                zh: "抄送设置不完整".into(),
            });
        }
    }
    Ok(())
}

/// Turns an `Edit` access into `Read` (for steps added on the way).
pub(crate) fn read_only(access: FieldAccess) -> FieldAccess {
    match access {
        FieldAccess::Edit => FieldAccess::Read,
        other => other,
    }
}

#[cfg(test)]
pub(crate) mod tests;
