//! Why the domain refuses something, worded in both languages.

use super::Lang;
use super::task::{
    MAX_ASSIGNEES, MAX_COMMENT, MAX_DESCRIPTION, MAX_ITEM_TEXT, MAX_ITEMS, MAX_TITLE,
};

/// A refusal the person who acted is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A task needs a title.
    NoTitle,
    TitleTooLong,
    DescriptionTooLong,
    TooManyAssignees,
    TooManyItems,
    ItemTooLong,
    EmptyComment,
    CommentTooLong,
    /// Not a due time the parser understands (what was written).
    BadDue(String),
    /// A due date in the past given as a plain date or time (what was written).
    DueInPast(String),
    /// `@name` matches nobody in the group.
    NoSuchPerson(String),
    /// `@name` matches several members (the name, and some of the matches).
    AmbiguousPerson(String, Vec<String>),
    /// Someone named is not a member of the task's group (their name).
    NotMember(String),
    /// The person may not do this to this task.
    NotAllowed,
    /// "Take" on a task that already has assignees.
    AlreadyAssigned,
    /// "Take" on a finished task.
    TaskDone,
    /// The checklist has no item with this number.
    NoSuchItem(u32),
}

impl Refusal {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Refusal::NoTitle => lang.tr(
                "A task needs a title: /task Send the quote @Li due:friday",
                "任务需要标题：/task 发送报价 @李雷 due:周五",
            ),
            Refusal::TitleTooLong => lang.tr(
                format!("A title is at most {MAX_TITLE} characters"),
                format!("标题最多 {MAX_TITLE} 个字"),
            ),
            Refusal::DescriptionTooLong => lang.tr(
                format!("A description is at most {MAX_DESCRIPTION} characters"),
                format!("描述最多 {MAX_DESCRIPTION} 个字"),
            ),
            Refusal::TooManyAssignees => lang.tr(
                format!("A task has at most {MAX_ASSIGNEES} assignees"),
                format!("一个任务最多 {MAX_ASSIGNEES} 位负责人"),
            ),
            Refusal::TooManyItems => lang.tr(
                format!("A checklist has at most {MAX_ITEMS} items"),
                format!("检查项最多 {MAX_ITEMS} 条"),
            ),
            Refusal::ItemTooLong => lang.tr(
                format!("A checklist item is at most {MAX_ITEM_TEXT} characters"),
                format!("每条检查项最多 {MAX_ITEM_TEXT} 个字"),
            ),
            Refusal::EmptyComment => lang.tr("The comment is empty", "评论内容为空"),
            Refusal::CommentTooLong => lang.tr(
                format!("A comment is at most {MAX_COMMENT} characters"),
                format!("评论最多 {MAX_COMMENT} 个字"),
            ),
            Refusal::BadDue(text) => lang.tr(
                format!(
                    "“{text}” is not a due time. Try due:2026-12-01, due:12-01T17:00, due:today, due:tomorrow, due:fri, due:17:00, due:+3d or due:+2h"
                ),
                format!(
                    "无法识别截止时间“{text}”。可以写 due:2026-12-01、due:12-01T17:00、due:今天、due:明天、due:周五、due:17:00、due:+3d 或 due:+2h"
                ),
            ),
            Refusal::DueInPast(text) => lang.tr(
                format!("“{text}” is in the past"),
                format!("“{text}”已经过去了"),
            ),
            Refusal::NoSuchPerson(name) => lang.tr(
                format!("No member of this group is called “{name}”; pick them with @ so the name becomes a mention"),
                format!("本群没有名为“{name}”的成员；请用 @ 选择成员"),
            ),
            Refusal::AmbiguousPerson(name, some) => lang.tr(
                format!(
                    "Several members match “{name}” ({}); pick one with @ so the name becomes a mention",
                    some.join(", ")
                ),
                format!(
                    "有多位成员与“{name}”匹配（{}）；请用 @ 选择具体的人",
                    some.join("、")
                ),
            ),
            Refusal::NotMember(name) => lang.tr(
                format!("{name} is not a member of this group, so cannot be assigned its tasks"),
                format!("{name} 不是本群成员，不能负责本群的任务"),
            ),
            Refusal::NotAllowed => lang.tr(
                "Only the task's assignees and creator, the group's managers and organization admins may do this",
                "只有任务的负责人、创建人、群管理者和组织管理员可以这样操作",
            ),
            Refusal::AlreadyAssigned => lang.tr(
                "Someone already took this task",
                "这个任务已经有人负责了",
            ),
            Refusal::TaskDone => lang.tr("This task is done", "这个任务已完成"),
            Refusal::NoSuchItem(n) => lang.tr(
                format!("The checklist has no item {n}"),
                format!("检查项中没有第 {n} 条"),
            ),
        }
    }
}
