//! The request state machine: [`submit`] and [`act`] (every action, people's and timers'),
//! each returning the [`Effect`]s the plugin must carry out. Pure: the clock and the
//! directory come in as arguments, nothing is stored or sent from here.
//!
//! A failing action changes nothing: actions run on a copy that replaces the request only
//! on success. Timer actions that are stale (the step moved on, the request ended, the time
//! has not come) succeed with no effects and no change.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{
    Event, EventKind, FieldAccess, FieldChange, I18n, Mode, Origin, PersonRef, Request, Status,
    Step, Task, TaskState, Template, Timeout, TimeoutAction, Why, field_labels,
};
use crate::route::{
    self, Directory, Resolver, RouteError, is_planned, merge, new_task, plan, read_only,
};

const HOUR_MS: i64 = 3_600_000;
/// At most this many people in one add-sign.
pub const MAX_ADD_SIGN: usize = 20;

/// Everything a new request is made of.
#[derive(Clone, Debug)]
pub struct NewRequest<'a> {
    pub template: &'a Template,
    pub submitter: PersonRef,
    pub department: Option<String>,
    pub values: Value,
    pub origin: Option<Origin>,
    /// The request this one was copied from (resubmitting after a rejection).
    pub resubmitted_from: Option<String>,
    pub id: String,
    pub serial: String,
}

/// Something a person (or a timer) does to a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// `edits` may only touch fields the current step marks `edit`.
    Approve {
        #[serde(default)]
        comment: Option<String>,
        #[serde(default)]
        edits: Map<String, Value>,
    },
    /// The comment is required.
    Reject {
        comment: String,
    },
    /// Back to an earlier step (an index into `Request::steps`), or to the submitter
    /// (`None`). The comment is required: it says what to change.
    Return {
        #[serde(default)]
        to_step: Option<usize>,
        comment: String,
    },
    Withdraw,
    /// The submitter sends a returned request again; the route is planned afresh.
    Resubmit {
        values: Value,
    },
    Transfer {
        to: PersonRef,
        #[serde(default)]
        comment: Option<String>,
    },
    /// Add a step before the current one (everyone in the current step waits for it) or
    /// after it.
    AddSign {
        people: Vec<PersonRef>,
        before: bool,
        #[serde(default)]
        mode: Mode,
        #[serde(default)]
        comment: Option<String>,
    },
    Urge,
    Comment {
        #[serde(default)]
        text: String,
        #[serde(default)]
        attachments: Vec<String>,
    },
    Revoke {
        #[serde(default)]
        comment: Option<String>,
    },
    /// Timer: remind the pending approvers of `step`.
    Remind {
        step: usize,
    },
    /// Timer: do `step`'s timeout action.
    TimeOut {
        step: usize,
    },
}

impl Action {
    /// Timer actions: never build these from what a person sent. (The engine also checks
    /// that they are due, so a forged one can do no more than the timer would have.)
    pub fn is_system(&self) -> bool {
        matches!(self, Action::Remind { .. } | Action::TimeOut { .. })
    }
}

/// What the plugin must do after a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Send these approvers an actionable card: it is their turn.
    NotifyApprovers {
        people: Vec<PersonRef>,
    },
    /// Tell these people (and post a notice in these groups) about the request.
    NotifyCc {
        people: Vec<PersonRef>,
        groups: Vec<String>,
    },
    /// Nudge these approvers (urge or reminder timer).
    Remind {
        people: Vec<PersonRef>,
    },
    /// Refresh the submitter's and approvers' cards.
    UpdateCards,
    /// The request reached a final status: tell `origin`, if any.
    Completed {
        status: Status,
    },
    SetTimer {
        key: String,
        due_ms: i64,
        payload: TimerPayload,
    },
    CancelTimer {
        key: String,
    },
}

/// What a step timer carries; turn it back into an action with [`TimerPayload::action`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct TimerPayload {
    pub request_id: String,
    pub step: usize,
    pub kind: TimerKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    Remind,
    TimeOut,
}

impl TimerPayload {
    pub fn action(&self) -> Action {
        match self.kind {
            TimerKind::Remind => Action::Remind { step: self.step },
            TimerKind::TimeOut => Action::TimeOut { step: self.step },
        }
    }
}

/// `{request_id}:{step}:remind` or `{request_id}:{step}:timeout`.
pub fn timer_key(request_id: &str, step: usize, kind: TimerKind) -> String {
    let kind = match kind {
        TimerKind::Remind => "remind",
        TimerKind::TimeOut => "timeout",
    };
    format!("{request_id}:{step}:{kind}")
}

/// Creates a request and enters its first step. Automatic passes (self-approval,
/// de-duplication) may complete steps at once, even the whole request: it is then approved
/// on the spot.
pub fn submit(
    new: NewRequest<'_>,
    dir: &dyn Directory,
    now_ms: i64,
) -> Result<(Request, Vec<Effect>), RouteError> {
    let NewRequest {
        template,
        submitter,
        department,
        values,
        origin,
        resubmitted_from,
        id,
        serial,
    } = new;
    let steps = plan(
        template,
        &submitter,
        department.as_deref(),
        &values,
        dir,
        now_ms,
    )?;
    let title = I18n::new(
        format!("{} from {}", template.name.get("en"), submitter.name),
        format!("{}提交的{}", submitter.name, template.name.get("zh-CN")),
    );
    let mut req = Request {
        id,
        serial,
        template: template.clone(),
        title,
        submitter,
        department,
        values,
        status: Status::Pending,
        steps,
        current: 0,
        timeline: Vec::new(),
        cc: Vec::new(),
        cc_groups: Vec::new(),
        origin,
        resubmitted_from,
        created_ms: now_ms,
        updated_ms: now_ms,
        decided_ms: None,
        last_urged_ms: None,
    };
    let mut m = Machine {
        dir,
        now: now_ms,
        fx: Vec::new(),
    };
    let submitter = req.submitter.clone();
    m.log(&mut req, Some(&submitter), EventKind::Submitted, None);
    let cc = req.template.flow.cc_on_submit.clone();
    m.copy(&mut req, &cc);
    m.enter(&mut req, 0);
    Ok((req, m.effects()))
}

/// Whether `person` has already left `state` (approved, rejected) on their task in `step`
/// (the step a card's button was for; without one, the current step) and has nothing left
/// to do there: the same button pressed again.
pub fn decided(request: &Request, person: &str, step: Option<usize>, state: TaskState) -> bool {
    let Some(step) = request.steps.get(step.unwrap_or(request.current)) else {
        return false;
    };
    let mut mine = step.tasks.iter().filter(|t| t.approver.id == person);
    mine.clone().all(|t| !t.state.is_open()) && mine.any(|t| t.state == state)
}

/// Applies one action. On error the request is untouched.
pub fn act(
    request: &mut Request,
    actor: &PersonRef,
    action: Action,
    dir: &dyn Directory,
    now_ms: i64,
) -> Result<Vec<Effect>, ActError> {
    let mut draft = request.clone();
    let mut m = Machine {
        dir,
        now: now_ms,
        fx: Vec::new(),
    };
    if !m.apply(&mut draft, actor, action)? {
        return Ok(Vec::new());
    }
    draft.updated_ms = now_ms;
    *request = draft;
    Ok(m.effects())
}

/// One run of the machine: the clock, the directory and the effects so far.
struct Machine<'a> {
    dir: &'a dyn Directory,
    now: i64,
    fx: Vec<Effect>,
}

impl Machine<'_> {
    /// The effects, without empty notices, ending with one `UpdateCards`.
    fn effects(self) -> Vec<Effect> {
        let mut out: Vec<Effect> = self
            .fx
            .into_iter()
            .filter(|e| match e {
                Effect::NotifyApprovers { people } | Effect::Remind { people } => {
                    !people.is_empty()
                }
                Effect::NotifyCc { people, groups } => !people.is_empty() || !groups.is_empty(),
                Effect::UpdateCards => false,
                _ => true,
            })
            .collect();
        out.push(Effect::UpdateCards);
        out
    }

    fn log(
        &self,
        req: &mut Request,
        actor: Option<&PersonRef>,
        kind: EventKind,
        comment: Option<String>,
    ) {
        req.timeline.push(Event {
            at_ms: self.now,
            actor: actor.cloned(),
            kind,
            comment,
            attachments: Vec::new(),
        });
    }

    /// Runs the action; `false` for a stale timer (nothing to do, nothing changed).
    fn apply(
        &mut self,
        req: &mut Request,
        actor: &PersonRef,
        action: Action,
    ) -> Result<bool, ActError> {
        match action {
            Action::Approve { comment, edits } => self.approve(req, actor, comment, edits)?,
            Action::Reject { comment } => {
                let t = self.my_task(req, actor)?;
                let comment = required(&comment)?;
                let idx = req.current;
                self.close(req, t, TaskState::Rejected, Some(comment.clone()));
                self.log(
                    req,
                    Some(actor),
                    EventKind::Rejected { step: idx },
                    Some(comment),
                );
                self.finish(req, Status::Rejected, true);
            }
            Action::Return { to_step, comment } => self.send_back(req, actor, to_step, &comment)?,
            Action::Withdraw => {
                self.submitter_only(req, actor)?;
                if !matches!(req.status, Status::Pending | Status::Returned) {
                    return Err(late(req));
                }
                if !req.template.settings.allow_withdraw {
                    return Err(ActError::NotAllowed {
                        why: Denied::WithdrawDisabled,
                    });
                }
                let was_pending = req.status == Status::Pending;
                self.log(req, Some(actor), EventKind::Withdrawn, None);
                self.finish(req, Status::Withdrawn, was_pending);
            }
            Action::Resubmit { values } => self.resubmit(req, actor, values)?,
            Action::Transfer { to, comment } => self.transfer(req, actor, &to, comment)?,
            Action::AddSign {
                people,
                before,
                mode,
                comment,
            } => self.add_sign(req, actor, people, before, mode, comment)?,
            Action::Urge => {
                self.submitter_only(req, actor)?;
                match req.status {
                    Status::Pending => {}
                    Status::Returned => {
                        return Err(ActError::NotAllowed {
                            why: Denied::NotPending,
                        });
                    }
                    _ => return Err(late(req)),
                }
                let interval = i64::from(req.template.settings.urge_interval_minutes) * 60_000;
                if let Some(next) = req.last_urged_ms.map(|last| last.saturating_add(interval))
                    && self.now < next
                {
                    let wait = next.saturating_sub(self.now);
                    return Err(ActError::UrgeTooSoon {
                        wait_minutes: (wait + 59_999) / 60_000,
                    });
                }
                req.last_urged_ms = Some(self.now);
                self.log(req, Some(actor), EventKind::Urged, None);
                self.fx.push(Effect::Remind {
                    people: pending_approvers(req),
                });
            }
            Action::Comment { text, attachments } => {
                if !is_participant(req, &actor.id) {
                    return Err(ActError::NotAllowed {
                        why: Denied::NotParticipant,
                    });
                }
                let text = text.trim();
                if text.is_empty() && attachments.is_empty() {
                    return Err(ActError::CommentRequired);
                }
                let comment = (!text.is_empty()).then(|| text.to_string());
                self.log(req, Some(actor), EventKind::Commented, comment);
                if let Some(e) = req.timeline.last_mut() {
                    e.attachments = attachments;
                }
            }
            Action::Revoke { comment } => {
                self.submitter_only(req, actor)?;
                match req.status {
                    Status::Approved => {}
                    Status::Pending | Status::Returned => {
                        return Err(ActError::NotAllowed {
                            why: Denied::NotApproved,
                        });
                    }
                    _ => return Err(late(req)),
                }
                let hours = req.template.settings.revoke_window_hours;
                if hours == 0 {
                    return Err(ActError::NotAllowed {
                        why: Denied::RevokeDisabled,
                    });
                }
                let decided = req.decided_ms.unwrap_or(req.updated_ms);
                if self.now > decided.saturating_add(i64::from(hours) * HOUR_MS) {
                    return Err(ActError::RevokeWindowClosed { hours });
                }
                req.status = Status::Revoked;
                self.log(req, Some(actor), EventKind::Revoked, optional(comment));
                self.log(
                    req,
                    None,
                    EventKind::Completed {
                        status: Status::Revoked,
                    },
                    None,
                );
                self.fx.push(Effect::Completed {
                    status: Status::Revoked,
                });
            }
            Action::Remind { step } => return Ok(self.remind(req, step)),
            Action::TimeOut { step } => return Ok(self.time_out(req, step)),
        }
        Ok(true)
    }

    fn approve(
        &mut self,
        req: &mut Request,
        actor: &PersonRef,
        comment: Option<String>,
        edits: Map<String, Value>,
    ) -> Result<(), ActError> {
        let t = self.my_task(req, actor)?;
        let idx = req.current;
        let mut changes = Vec::new();
        for (field, after) in edits {
            let editable = req.steps[idx].access(&field) == FieldAccess::Edit
                && req.template.field(&field).is_some();
            if !editable {
                let label = field_labels(&req.template.form, &field);
                return Err(ActError::FieldNotEditable { field, label });
            }
            let before = req.values.get(&field).cloned().unwrap_or(Value::Null);
            if before != after {
                changes.push(FieldChange {
                    field,
                    before,
                    after,
                });
            }
        }
        if !changes.is_empty() {
            if !req.values.is_object() {
                req.values = Value::Object(Map::new());
            }
            if let Value::Object(values) = &mut req.values {
                for c in &changes {
                    values.insert(c.field.clone(), c.after.clone());
                }
            }
            self.log(
                req,
                Some(actor),
                EventKind::Edited { fields: changes },
                None,
            );
        }
        let comment = optional(comment);
        self.close(req, t, TaskState::Approved, comment.clone());
        self.log(req, Some(actor), EventKind::Approved { step: idx }, comment);
        self.progress(req);
        Ok(())
    }

    fn send_back(
        &mut self,
        req: &mut Request,
        actor: &PersonRef,
        to_step: Option<usize>,
        comment: &str,
    ) -> Result<(), ActError> {
        let t = self.my_task(req, actor)?;
        let comment = required(comment)?;
        let idx = req.current;
        if let Some(k) = to_step
            && k >= idx
        {
            return Err(ActError::InvalidTarget {
                why: BadTarget::NotEarlierStep { step: k },
            });
        }
        self.cancel_timers(req, idx);
        let kind = EventKind::Returned { step: idx, to_step };
        match to_step {
            Some(k) => {
                self.log(req, Some(actor), kind, Some(comment));
                for step in &mut req.steps[k..=idx] {
                    reset(step);
                }
                self.enter(req, k);
            }
            None => {
                self.close(req, t, TaskState::Returned, Some(comment.clone()));
                for task in &mut req.steps[idx].tasks {
                    if task.state.is_open() {
                        task.state = TaskState::Cancelled;
                    }
                }
                req.status = Status::Returned;
                self.log(req, Some(actor), kind, Some(comment));
            }
        }
        Ok(())
    }

    fn resubmit(
        &mut self,
        req: &mut Request,
        actor: &PersonRef,
        values: Value,
    ) -> Result<(), ActError> {
        self.submitter_only(req, actor)?;
        match req.status {
            Status::Returned => {}
            Status::Pending => {
                return Err(ActError::NotAllowed {
                    why: Denied::NotReturned,
                });
            }
            _ => return Err(late(req)),
        }
        let steps = plan(
            &req.template,
            &req.submitter,
            req.department.as_deref(),
            &values,
            self.dir,
            self.now,
        )?;
        let changes = diff(&req.values, &values);
        if !changes.is_empty() {
            self.log(
                req,
                Some(actor),
                EventKind::Edited { fields: changes },
                None,
            );
        }
        self.log(req, Some(actor), EventKind::Resubmitted, None);
        req.values = values;
        req.steps = steps;
        req.status = Status::Pending;
        self.enter(req, 0);
        Ok(())
    }

    fn transfer(
        &mut self,
        req: &mut Request,
        actor: &PersonRef,
        to: &PersonRef,
        comment: Option<String>,
    ) -> Result<(), ActError> {
        let t = self.my_task(req, actor)?;
        let idx = req.current;
        let to = self.target(req, actor, to)?;
        let task = new_task(
            self.dir,
            to,
            vec![Why::Transferred {
                from: actor.clone(),
            }],
            &req.submitter.id,
            self.now,
        );
        if req.steps[idx]
            .tasks
            .iter()
            .any(|x| x.state.is_open() && x.approver.id == task.approver.id)
        {
            return Err(ActError::InvalidTarget {
                why: BadTarget::AlreadyApprover {
                    person: task.approver,
                },
            });
        }
        let receiver = task.approver.clone();
        let comment = optional(comment);
        self.close(
            req,
            t,
            TaskState::Transferred {
                to: receiver.clone(),
            },
            comment.clone(),
        );
        req.steps[idx].tasks.insert(t + 1, task);
        self.log(
            req,
            Some(actor),
            EventKind::Transferred {
                step: idx,
                to: receiver,
            },
            comment,
        );
        self.activate(req, idx);
        Ok(())
    }

    fn add_sign(
        &mut self,
        req: &mut Request,
        actor: &PersonRef,
        people: Vec<PersonRef>,
        before: bool,
        mode: Mode,
        comment: Option<String>,
    ) -> Result<(), ActError> {
        self.my_task(req, actor)?;
        let idx = req.current;
        if people.is_empty() {
            return Err(ActError::InvalidTarget {
                why: BadTarget::NoOne,
            });
        }
        if people.len() > MAX_ADD_SIGN {
            return Err(ActError::InvalidTarget {
                why: BadTarget::TooMany { max: MAX_ADD_SIGN },
            });
        }
        let mut added: Vec<PersonRef> = Vec::new();
        let mut tasks: Vec<Task> = Vec::new();
        for p in &people {
            let p = self.target(req, actor, p)?;
            if !added.iter().any(|a| a.id == p.id) {
                added.push(p.clone());
                let why = vec![Why::AddSign { by: actor.clone() }];
                merge(
                    &mut tasks,
                    new_task(self.dir, p, why, &req.submitter.id, self.now),
                );
            }
        }
        let current = &req.steps[idx];
        let step = Step {
            def_id: format!("add:{}", req.timeline.len()),
            name: I18n::new(
                format!("Added by {}", actor.name),
                format!("{}加签", actor.name),
            ),
            mode,
            tasks,
            fields: current
                .fields
                .iter()
                .map(|(f, a)| (f.clone(), read_only(*a)))
                .collect(),
            timeout: None,
            cc: Vec::new(),
            reminders_sent: 0,
            entered_ms: None,
            added_by: Some(actor.clone()),
        };
        let kind = EventKind::AddSigned {
            step: idx,
            people: added,
            before,
        };
        self.log(req, Some(actor), kind, optional(comment));
        if before {
            self.cancel_timers(req, idx);
            for task in &mut req.steps[idx].tasks {
                if task.state == TaskState::Pending {
                    task.state = TaskState::Waiting;
                }
            }
            req.steps.insert(idx, step);
            self.enter(req, idx);
        } else {
            req.steps.insert(idx + 1, step);
        }
        Ok(())
    }

    /// A person named by an approver (transfer, add-sign), as the directory knows them.
    fn target(
        &self,
        req: &Request,
        actor: &PersonRef,
        p: &PersonRef,
    ) -> Result<PersonRef, ActError> {
        let Some(p) = self.dir.person(&p.id) else {
            return Err(ActError::InvalidTarget {
                why: BadTarget::UnknownPerson { id: p.id.clone() },
            });
        };
        let why = if p.id == actor.id {
            BadTarget::Yourself
        } else if p.id == req.submitter.id {
            BadTarget::Submitter
        } else if req.steps[req.current]
            .tasks
            .iter()
            .any(|t| t.state.is_open() && t.approver.id == p.id)
        {
            BadTarget::AlreadyApprover { person: p }
        } else {
            return Ok(p);
        };
        Err(ActError::InvalidTarget { why })
    }

    fn remind(&mut self, req: &mut Request, idx: usize) -> bool {
        if req.status != Status::Pending || req.current != idx {
            return false;
        }
        let step = &req.steps[idx];
        let Some(timeout) = step.timeout.clone() else {
            return false;
        };
        let Some(due) = remind_due(step, &timeout) else {
            return false;
        };
        let people = pending_approvers(req);
        if self.now < due || people.is_empty() {
            return false;
        }
        req.steps[idx].reminders_sent += 1;
        let kind = EventKind::Reminded {
            step: idx,
            approvers: people.clone(),
        };
        self.log(req, None, kind, None);
        self.fx.push(Effect::Remind { people });
        if let Some(next) = remind_due(&req.steps[idx], &timeout) {
            self.set_timer(req, idx, TimerKind::Remind, next);
        }
        true
    }

    fn time_out(&mut self, req: &mut Request, idx: usize) -> bool {
        if req.status != Status::Pending || req.current != idx {
            return false;
        }
        let step = &req.steps[idx];
        let (Some(then), Some(entered)) = (
            step.timeout.as_ref().and_then(|t| t.then.clone()),
            step.entered_ms,
        ) else {
            return false;
        };
        if self.now < entered.saturating_add(i64::from(then.after_hours) * HOUR_MS) {
            return false;
        }
        let timed_out = EventKind::TimedOut {
            step: idx,
            action: then.action.clone(),
        };
        match &then.action {
            TimeoutAction::Approve => {
                self.log(req, None, timed_out, None);
                for t in 0..req.steps[idx].tasks.len() {
                    if req.steps[idx].tasks[t].state.is_open() {
                        let state = TaskState::AutoPassed { why: Why::TimedOut };
                        self.close(req, t, state, None);
                    }
                }
                self.progress(req);
            }
            TimeoutAction::Reject => {
                self.log(req, None, timed_out, None);
                self.finish(req, Status::Rejected, true);
            }
            TimeoutAction::Escalate { to } => {
                let resolver = Resolver {
                    template: &req.template,
                    submitter: &req.submitter,
                    department: req.department.as_deref(),
                    values: &req.values,
                    dir: self.dir,
                    now_ms: self.now,
                };
                let found = resolver.rule(to).unwrap_or_default();
                let mut tasks: Vec<Task> = Vec::new();
                for (p, why) in found {
                    if p.id == req.submitter.id {
                        continue;
                    }
                    let task = new_task(
                        self.dir,
                        p,
                        vec![Why::Escalated, why],
                        &req.submitter.id,
                        self.now,
                    );
                    let present = req.steps[idx]
                        .tasks
                        .iter()
                        .any(|t| t.state.is_open() && t.approver.id == task.approver.id);
                    if !present {
                        merge(&mut tasks, task);
                    }
                }
                if tasks.is_empty() {
                    // Nobody new to escalate to (already escalated, or the rule finds no
                    // one): fall back to reminding, once.
                    if req.timeline.iter().any(|e| e.kind == timed_out) {
                        return false;
                    }
                    self.log(req, None, timed_out, None);
                    self.fx.push(Effect::Remind {
                        people: pending_approvers(req),
                    });
                    return true;
                }
                let to: Vec<PersonRef> = tasks.iter().map(|t| t.approver.clone()).collect();
                req.steps[idx].tasks.extend(tasks);
                self.log(req, None, timed_out, None);
                self.log(req, None, EventKind::Escalated { step: idx, to }, None);
                self.activate(req, idx);
            }
        }
        true
    }

    /// The index (in the current step) of the actor's pending task, or why they cannot act.
    fn my_task(&self, req: &Request, actor: &PersonRef) -> Result<usize, ActError> {
        if req.status != Status::Pending {
            return Err(late(req));
        }
        let idx = req.current;
        let mine = |t: &&Task| t.belongs_to(&actor.id);
        let current = &req.steps[idx];
        if let Some(i) = current
            .tasks
            .iter()
            .position(|t| t.state == TaskState::Pending && t.belongs_to(&actor.id))
        {
            return Ok(i);
        }
        if current.tasks.iter().filter(mine).any(|t| t.state.is_open()) {
            return Err(ActError::NotYourTurn);
        }
        let closed = |step: &Step| {
            let t = step.tasks.iter().rev().find(mine)?;
            let by = match t.state {
                TaskState::Cancelled => step
                    .tasks
                    .iter()
                    .find(|o| matches!(o.state, TaskState::Approved | TaskState::Rejected))
                    .map(|o| o.approver.clone()),
                _ => None,
            };
            Some(ActError::TaskClosed {
                state: t.state.clone(),
                by,
            })
        };
        if let Some(e) = closed(current) {
            return Err(e);
        }
        let later = req.steps[idx + 1..].iter().flat_map(|s| &s.tasks);
        if later.filter(mine).any(|t| t.state.is_open()) {
            return Err(ActError::NotYourTurn);
        }
        if let Some(e) = req.steps[..idx].iter().rev().find_map(closed) {
            return Err(e);
        }
        Err(ActError::NotAllowed {
            why: Denied::NotApprover,
        })
    }

    fn submitter_only(&self, req: &Request, actor: &PersonRef) -> Result<(), ActError> {
        if actor.id == req.submitter.id {
            Ok(())
        } else {
            Err(ActError::NotAllowed {
                why: Denied::NotSubmitter,
            })
        }
    }

    /// Closes task `t` of the current step.
    fn close(&self, req: &mut Request, t: usize, state: TaskState, comment: Option<String>) {
        let task = &mut req.steps[req.current].tasks[t];
        task.state = state;
        task.acted_ms = Some(self.now);
        task.comment = comment;
    }

    /// Makes `idx` the current step and settles it: steps that pass by themselves are
    /// passed and the next is entered, until a step waits for someone or the flow ends.
    fn enter(&mut self, req: &mut Request, mut idx: usize) {
        loop {
            if idx >= req.steps.len() {
                self.finish(req, Status::Approved, false);
                return;
            }
            req.current = idx;
            self.prepare(req, idx);
            if is_done(&req.steps[idx]) {
                self.pass(req, idx, false);
                idx += 1;
                continue;
            }
            self.activate(req, idx);
            let entered = self.now;
            if let Some(t) = req.steps[idx].timeout.clone() {
                if reminders_on(&t) {
                    let due = entered.saturating_add(i64::from(t.remind_after_hours) * HOUR_MS);
                    self.set_timer(req, idx, TimerKind::Remind, due);
                }
                if let Some(then) = &t.then {
                    let due = entered.saturating_add(i64::from(then.after_hours) * HOUR_MS);
                    self.set_timer(req, idx, TimerKind::TimeOut, due);
                }
            }
            return;
        }
    }

    /// Entry bookkeeping: the clock, reminders, and automatic passes (de-duplication is
    /// decided here, from who really approved the earlier steps).
    fn prepare(&mut self, req: &mut Request, idx: usize) {
        let approved_before: Vec<String> = req.steps[..idx]
            .iter()
            .flat_map(|s| &s.tasks)
            .filter(|t| t.state == TaskState::Approved)
            .map(|t| t.approver.id.clone())
            .collect();
        let dedupe = req.template.settings.dedupe;
        let step = &mut req.steps[idx];
        step.entered_ms = Some(self.now);
        step.reminders_sent = 0;
        let mut events = Vec::new();
        for task in &mut step.tasks {
            let predicted = TaskState::AutoPassed {
                why: Why::AlreadyApproved,
            };
            if task.state == predicted && task.acted_ms.is_none() {
                task.state = TaskState::Waiting;
            }
            if dedupe
                && task.state.is_open()
                && is_planned(task)
                && approved_before.contains(&task.approver.id)
            {
                task.state = predicted;
            }
            if task.acted_ms.is_none() {
                let approver = task.approver.clone();
                let kind = match &task.state {
                    TaskState::AutoPassed { why } => EventKind::AutoPassed {
                        step: idx,
                        approver,
                        why: why.clone(),
                    },
                    TaskState::Skipped { why } => EventKind::Skipped {
                        step: idx,
                        approver,
                        why: why.clone(),
                    },
                    _ => continue,
                };
                task.acted_ms = Some(self.now);
                events.push(kind);
            }
        }
        for kind in events {
            self.log(req, None, kind, None);
        }
    }

    /// Gives the turn to whoever should have it now, and tells them.
    fn activate(&mut self, req: &mut Request, idx: usize) {
        let step = &mut req.steps[idx];
        let mut turn_given = false;
        let mut newly = Vec::new();
        for task in &mut step.tasks {
            if !task.state.is_open() {
                continue;
            }
            let escalated = task.reasons.contains(&Why::Escalated);
            let gets_turn = escalated || step.mode != Mode::Sequential || !turn_given;
            if !escalated {
                turn_given = true;
            }
            if gets_turn && task.state == TaskState::Waiting {
                task.state = TaskState::Pending;
                newly.push(task.approver.clone());
            }
        }
        self.fx.push(Effect::NotifyApprovers { people: newly });
    }

    /// After a decision in the current step: pass it and move on, or hand the turn on.
    fn progress(&mut self, req: &mut Request) {
        let idx = req.current;
        if is_done(&req.steps[idx]) {
            self.pass(req, idx, true);
            self.enter(req, idx + 1);
        } else {
            self.activate(req, idx);
        }
    }

    /// The step passed: close what is still open (or-sign), stop its timers, copy people.
    fn pass(&mut self, req: &mut Request, idx: usize, timers_set: bool) {
        if timers_set {
            self.cancel_timers(req, idx);
        }
        for task in &mut req.steps[idx].tasks {
            if task.state.is_open() {
                task.state = TaskState::Cancelled;
                task.acted_ms = Some(self.now);
            }
        }
        let cc = req.steps[idx].cc.clone();
        self.copy(req, &cc);
    }

    /// The request reached a final status.
    fn finish(&mut self, req: &mut Request, status: Status, timers_set: bool) {
        if timers_set {
            self.cancel_timers(req, req.current);
        }
        for task in req.steps.iter_mut().flat_map(|s| &mut s.tasks) {
            if task.state.is_open() {
                task.state = TaskState::Cancelled;
            }
        }
        req.status = status;
        req.decided_ms = Some(self.now);
        self.log(req, None, EventKind::Completed { status }, None);
        self.fx.push(Effect::Completed { status });
        if status == Status::Approved {
            let cc = req.template.flow.cc_on_complete.clone();
            self.copy(req, &cc);
        }
    }

    fn copy(&mut self, req: &mut Request, list: &[crate::model::Audience]) {
        if list.is_empty() {
            return;
        }
        let (people, groups) = route::audience(self.dir, list, &req.submitter);
        for p in &people {
            if !req.cc.iter().any(|c| c.id == p.id) {
                req.cc.push(p.clone());
            }
        }
        for g in &groups {
            if !req.cc_groups.contains(g) {
                req.cc_groups.push(g.clone());
            }
        }
        self.fx.push(Effect::NotifyCc { people, groups });
    }

    fn set_timer(&mut self, req: &Request, step: usize, kind: TimerKind, due_ms: i64) {
        self.fx.push(Effect::SetTimer {
            key: timer_key(&req.id, step, kind),
            due_ms,
            payload: TimerPayload {
                request_id: req.id.clone(),
                step,
                kind,
            },
        });
    }

    fn cancel_timers(&mut self, req: &Request, idx: usize) {
        let Some(t) = req.steps.get(idx).and_then(|s| s.timeout.as_ref()) else {
            return;
        };
        if reminders_on(t) {
            self.fx.push(Effect::CancelTimer {
                key: timer_key(&req.id, idx, TimerKind::Remind),
            });
        }
        if t.then.is_some() {
            self.fx.push(Effect::CancelTimer {
                key: timer_key(&req.id, idx, TimerKind::TimeOut),
            });
        }
    }
}

/// Whether a step is decided: everyone has acted (sequential, countersign), or one approval
/// is in (or-sign, or any escalated approver).
fn is_done(step: &Step) -> bool {
    let escalation_approved = step
        .tasks
        .iter()
        .any(|t| t.state == TaskState::Approved && t.reasons.contains(&Why::Escalated));
    let all_closed = step.tasks.iter().all(|t| !t.state.is_open());
    escalation_approved
        || all_closed
        || step.mode == Mode::Any && step.tasks.iter().any(|t| t.state.is_pass())
}

/// Back to its initial state, for a step the request is returned to (or passes through
/// again). Transfers and the submitter's own automatic passes stand; escalations go.
fn reset(step: &mut Step) {
    step.tasks.retain(|t| !t.reasons.contains(&Why::Escalated));
    for task in &mut step.tasks {
        let stands = matches!(
            task.state,
            TaskState::Transferred { .. }
                | TaskState::Skipped { .. }
                | TaskState::AutoPassed {
                    why: Why::SelfApproval
                }
        );
        if !stands {
            task.state = TaskState::Waiting;
            task.acted_ms = None;
            task.comment = None;
        }
    }
    step.reminders_sent = 0;
}

fn reminders_on(t: &Timeout) -> bool {
    t.remind_after_hours > 0 && t.max_reminders > 0
}

/// When the next reminder of a step is due, if there is one to send.
fn remind_due(step: &Step, t: &Timeout) -> Option<i64> {
    let entered = step.entered_ms?;
    if !reminders_on(t) || step.reminders_sent >= t.max_reminders {
        return None;
    }
    let first = entered.saturating_add(i64::from(t.remind_after_hours) * HOUR_MS);
    match (step.reminders_sent, t.repeat_every_hours) {
        (0, _) => Some(first),
        (n, Some(every)) if every > 0 => {
            Some(first.saturating_add(i64::from(n) * i64::from(every) * HOUR_MS))
        }
        _ => None,
    }
}

/// The refusal for an action that comes too late, saying what happened and who did it.
fn late(req: &Request) -> ActError {
    let by = req
        .timeline
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::Approved { .. }
                    | EventKind::Rejected { .. }
                    | EventKind::Returned { .. }
                    | EventKind::Withdrawn
                    | EventKind::Revoked
                    | EventKind::TimedOut { .. }
            )
        })
        .and_then(|e| e.actor.clone());
    ActError::AlreadyDecided {
        status: req.status,
        by,
    }
}

fn required(comment: &str) -> Result<String, ActError> {
    let c = comment.trim();
    if c.is_empty() {
        Err(ActError::CommentRequired)
    } else {
        Ok(c.to_string())
    }
}

fn optional(comment: Option<String>) -> Option<String> {
    comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// The fields whose values differ between two sets of form values.
fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|f| {
            let before = b.get(f).cloned().unwrap_or(Value::Null);
            let after = a.get(f).cloned().unwrap_or(Value::Null);
            (before != after).then(|| FieldChange {
                field: f.clone(),
                before,
                after,
            })
        })
        .collect()
}

mod error;
mod query;
#[cfg(test)]
mod tests;

pub use error::{ActError, BadTarget, Denied};
pub use query::{
    can_act, editable_fields, is_participant, pending_approvers, processed_by, visible_values,
};
