//! Why an action was refused, with a message for people in English and Chinese.

use std::fmt;

use crate::model::{I18n, PersonRef, Status, TaskState, is_zh};
use crate::route::RouteError;

/// Why an action was refused. Show [`ActError::message`] to the person.
#[derive(Clone, Debug, PartialEq)]
pub enum ActError {
    /// The request is no longer waiting for this: approved, rejected, withdrawn, revoked,
    /// or returned to the submitter — and by whom.
    AlreadyDecided {
        status: Status,
        by: Option<PersonRef>,
    },
    /// The actor's task is closed: they acted already, handed it over, or (`Cancelled`)
    /// another or-sign approver, `by`, decided the step.
    TaskClosed {
        state: TaskState,
        by: Option<PersonRef>,
    },
    NotYourTurn,
    NotAllowed {
        why: Denied,
    },
    CommentRequired,
    FieldNotEditable {
        field: String,
        label: I18n,
    },
    RevokeWindowClosed {
        hours: u32,
    },
    UrgeTooSoon {
        wait_minutes: i64,
    },
    InvalidTarget {
        why: BadTarget,
    },
    Route(RouteError),
}

/// Why a person may not do something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    NotApprover,
    NotSubmitter,
    NotParticipant,
    WithdrawDisabled,
    RevokeDisabled,
    NotPending,
    NotReturned,
    NotApproved,
}

/// Why the people an action names cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadTarget {
    Yourself,
    Submitter,
    AlreadyApprover { person: PersonRef },
    UnknownPerson { id: String },
    NoOne,
    TooMany { max: usize },
    NotEarlierStep { step: usize },
}

impl ActError {
    pub fn en(&self) -> String {
        self.message("en")
    }

    pub fn zh(&self) -> String {
        self.message("zh-CN")
    }

    /// The message for a person, in `locale`.
    pub fn message(&self, locale: &str) -> String {
        let zh = is_zh(locale);
        let l = |en: &str, zh_text: &str| {
            if zh {
                zh_text.to_string()
            } else {
                en.to_string()
            }
        };
        match self {
            ActError::AlreadyDecided { status, by } => decided_message(*status, by.as_ref(), zh),
            ActError::TaskClosed { state, by } => match (state, by) {
                (TaskState::Approved, _) => {
                    l("You have already approved this.", "你已经同意过了。")
                }
                (TaskState::Rejected, _) => {
                    l("You have already rejected this.", "你已经拒绝过了。")
                }
                (TaskState::Returned, _) => {
                    l("You have already sent this back.", "你已经退回过了。")
                }
                (TaskState::Transferred { to }, _) if zh => format!("你已将此转交给{}。", to.name),
                (TaskState::Transferred { to }, _) => {
                    format!("You transferred this to {}.", to.name)
                }
                (TaskState::AutoPassed { why }, _) if zh => {
                    format!("该步骤已自动通过（{}）。", why.describe(locale))
                }
                (TaskState::AutoPassed { why }, _) => {
                    format!("This passed automatically ({}).", why.describe(locale))
                }
                (TaskState::Skipped { why }, _) if zh => {
                    format!("你不参与该步骤（{}）。", why.describe(locale))
                }
                (TaskState::Skipped { why }, _) => {
                    format!("You are not part of this step ({}).", why.describe(locale))
                }
                (_, Some(p)) if zh => format!("{}已处理了该步骤。", p.name),
                (_, Some(p)) => format!("{} has already decided this step.", p.name),
                (_, None) => l("This task was cancelled.", "该任务已取消。"),
            },
            ActError::NotYourTurn => l("It is not your turn to approve yet.", "还没有轮到你审批。"),
            ActError::NotAllowed { why } => match why {
                Denied::NotApprover => l(
                    "You are not an approver of this step.",
                    "你不是该步骤的审批人。",
                ),
                Denied::NotSubmitter => {
                    l("Only the submitter can do this.", "只有提交人可以这样做。")
                }
                Denied::NotParticipant => l(
                    "Only the submitter, the approvers and the people copied can comment.",
                    "只有提交人、审批人和抄送人可以评论。",
                ),
                Denied::WithdrawDisabled => l(
                    "This kind of request cannot be withdrawn.",
                    "该类申请不允许撤回。",
                ),
                Denied::RevokeDisabled => l(
                    "This kind of request cannot be revoked once approved.",
                    "该类申请通过后不允许撤销。",
                ),
                Denied::NotPending => l(
                    "This request is not waiting for approval.",
                    "该申请不在审批中。",
                ),
                Denied::NotReturned => l(
                    "Only a request returned for changes can be resubmitted.",
                    "只有被退回的申请可以重新提交。",
                ),
                Denied::NotApproved => l(
                    "Only an approved request can be revoked.",
                    "只有已通过的申请可以撤销。",
                ),
            },
            ActError::CommentRequired => l("Please add a comment.", "请填写意见。"),
            ActError::FieldNotEditable { label, .. } if zh => {
                format!("该步骤不能修改“{}”。", label.get(locale))
            }
            ActError::FieldNotEditable { label, .. } => {
                format!("“{}” cannot be changed at this step.", label.get(locale))
            }
            ActError::RevokeWindowClosed { hours } => {
                let (n, en_unit, zh_unit) = if hours % 24 == 0 {
                    (hours / 24, "days", "天")
                } else {
                    (*hours, "hours", "小时")
                };
                if zh {
                    format!("已超过撤销期限（通过后 {n} {zh_unit}内）。")
                } else {
                    format!("The time to revoke has passed ({n} {en_unit} after approval).")
                }
            }
            ActError::UrgeTooSoon { wait_minutes } if zh => {
                format!("刚刚催办过，请 {wait_minutes} 分钟后再试。")
            }
            ActError::UrgeTooSoon { wait_minutes } => {
                format!("You urged recently; try again in {wait_minutes} minutes.")
            }
            ActError::InvalidTarget { why } => match why {
                BadTarget::Yourself => l("You cannot choose yourself.", "不能选择你自己。"),
                BadTarget::Submitter => l(
                    "The submitter cannot approve their own request.",
                    "提交人不能审批自己的申请。",
                ),
                BadTarget::AlreadyApprover { person } if zh => {
                    format!("{}已是该步骤的审批人。", person.name)
                }
                BadTarget::AlreadyApprover { person } => {
                    format!("{} is already an approver of this step.", person.name)
                }
                BadTarget::UnknownPerson { id } if zh => format!("找不到此人：{id}。"),
                BadTarget::UnknownPerson { id } => format!("No such person: {id}."),
                BadTarget::NoOne => l("Choose at least one person.", "请至少选择一人。"),
                BadTarget::TooMany { max } if zh => format!("最多选择 {max} 人。"),
                BadTarget::TooMany { max } => format!("Choose at most {max} people."),
                BadTarget::NotEarlierStep { step } if zh => {
                    format!("第 {} 步不是之前的步骤。", step + 1)
                }
                BadTarget::NotEarlierStep { step } => {
                    format!("Step {} is not an earlier step.", step + 1)
                }
            },
            ActError::Route(e) => e.message(locale),
        }
    }
}

fn decided_message(status: Status, by: Option<&PersonRef>, zh: bool) -> String {
    let (en_verb, zh_verb) = match status {
        Status::Approved => ("approved", "同意"),
        Status::Rejected => ("rejected", "拒绝"),
        Status::Withdrawn => ("withdrawn", "撤回"),
        Status::Revoked => ("revoked", "撤销"),
        Status::Returned => ("returned to the submitter", "退回给提交人"),
        Status::Pending => {
            return if zh {
                "该申请仍在审批中。"
            } else {
                "This request is still pending."
            }
            .into();
        }
    };
    match (by, zh) {
        (Some(p), true) => format!("该申请已被{}{zh_verb}。", p.name),
        (None, true) if status == Status::Approved => "该申请已通过。".into(),
        (None, true) => format!("该申请已被{zh_verb}。"),
        (Some(p), false) => format!("This request was already {en_verb} by {}.", p.name),
        (None, false) => format!("This request was already {en_verb}."),
    }
}

impl fmt::Display for ActError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for ActError {}

impl From<RouteError> for ActError {
    fn from(e: RouteError) -> Self {
        ActError::Route(e)
    }
}
