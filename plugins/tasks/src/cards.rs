//! How tasks look: the card in the group (redrawn in place on every change), the cards
//! people get in their direct conversation with the plugin, and rows for tables.
//!
//! A group card is drawn in its creator's language (everyone sees the same card); a card
//! for one person in theirs.

use courtyard_sdk::prelude::*;

use crate::domain::{Activity, Happened, Lang, Priority, Status, Task};

/// Lines of a checklist a card shows.
const CARD_ITEMS: usize = 15;
/// Characters of a description a card shows.
const CARD_DESCRIPTION: usize = 500;
/// Timeline entries a card shows.
const CARD_ACTIVITY: usize = 5;

/// `2026-12-01 18:00` in the organization's time zone.
pub fn when(ms: i64) -> String {
    time::format_datetime(ms)
}

/// The due time, with "overdue" when it has passed on an open task.
pub fn due_text(task: &Task, lang: Lang, now: i64) -> String {
    match task.due_ms {
        None => lang.tr("No due date", "无截止时间"),
        Some(d) if task.is_overdue(now) => {
            format!("{} ({})", when(d), lang.tr("overdue", "已逾期"))
        }
        Some(d) => when(d),
    }
}

pub fn status_tone(status: Status) -> Tone {
    match status {
        Status::Todo => Tone::Neutral,
        Status::InProgress => Tone::Info,
        Status::Blocked => Tone::Warning,
        Status::Done => Tone::Success,
    }
}

fn names(task: &Task, lang: Lang) -> String {
    if task.assignees.is_empty() {
        return lang.tr("Unassigned", "未指派");
    }
    let names: Vec<&str> = task.assignees.iter().map(|p| p.name.as_str()).collect();
    names.join(lang.tr(", ", "、").as_str())
}

pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// What an activity entry says.
pub fn happened(a: &Activity, lang: Lang) -> String {
    let who = a.by.clone().unwrap_or_default();
    let list = |names: &[String]| names.join(lang.tr(", ", "、").as_str());
    match &a.what {
        Happened::Created => lang.tr(
            format!("{who} created the task"),
            format!("{who} 创建了任务"),
        ),
        Happened::Status { from, to } => lang.tr(
            format!("{who}: {} → {}", from.label(lang), to.label(lang)),
            format!("{who}：{} → {}", from.label(lang), to.label(lang)),
        ),
        Happened::Assigned { names } => lang.tr(
            format!("{who} assigned {}", list(names)),
            format!("{who} 指派给 {}", list(names)),
        ),
        Happened::Unassigned { names } => lang.tr(
            format!("{who} took {} off the task", list(names)),
            format!("{who} 移除了负责人 {}", list(names)),
        ),
        Happened::Due { due_ms: Some(d) } => lang.tr(
            format!("{who} set the due time to {}", when(*d)),
            format!("{who} 将截止时间改为 {}", when(*d)),
        ),
        Happened::Due { due_ms: None } => lang.tr(
            format!("{who} removed the due time"),
            format!("{who} 取消了截止时间"),
        ),
        Happened::Priority { to } => lang.tr(
            format!("{who} set the priority to {}", to.label(lang)),
            format!("{who} 将优先级改为 {}", to.label(lang)),
        ),
        Happened::Renamed => lang.tr(
            format!("{who} renamed the task"),
            format!("{who} 修改了标题"),
        ),
        Happened::Described => lang.tr(
            format!("{who} changed the description"),
            format!("{who} 修改了描述"),
        ),
        Happened::Checklist { done, total } => lang.tr(
            format!("{who}: checklist {done}/{total}"),
            format!("{who}：检查项 {done}/{total}"),
        ),
        Happened::Commented => lang.tr(format!("{who} commented"), format!("{who} 发表了评论")),
        Happened::Reminded => lang.tr("Assignees reminded", "已提醒负责人"),
        Happened::Overdue => lang.tr("Overdue", "已逾期"),
    }
}

fn activity_tone(a: &Activity) -> Tone {
    match &a.what {
        Happened::Status { to, .. } => status_tone(*to),
        Happened::Overdue => Tone::Danger,
        Happened::Reminded => Tone::Warning,
        _ => Tone::Neutral,
    }
}

/// The checklist as lines: `☑ 1. Draft` (at most `max` items, and within what a text
/// block holds).
pub fn checklist_lines(task: &Task, max: usize, lang: Lang) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for item in task.checklist.iter().take(max) {
        let line = format!(
            "{} {}. {}",
            if item.done { "☑" } else { "☐" },
            item.id,
            truncate(&item.text, 120)
        );
        if out.chars().count() + line.chars().count() > 3500 {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&line);
        shown += 1;
    }
    if task.checklist.len() > shown {
        let more = task.checklist.len() - shown;
        out.push('\n');
        out.push_str(&lang.tr(format!("… and {more} more"), format!("…… 还有 {more} 项")));
    }
    out
}

/// Where a set of buttons is shown: what may be pressed there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The card in the group: everything.
    Group,
    /// A page of the task's group: everything but forms that need a card.
    Page,
    /// A person's direct conversation with the plugin (or another group's page): only
    /// what cannot move a due time (see `ops::apply_schedule`).
    Elsewhere,
}

/// The buttons for a task's status; `value` is the task id (with the notice kind on a
/// person's notice card, see [`Notice::tag`]).
pub fn status_buttons(value: &str, task: &Task, lang: Lang, place: Place) -> Vec<Button> {
    let b = |action: &str, en: &str, zh: &str| Button::new(action, lang.tr(en, zh)).value(value);
    let mut out = Vec::new();
    match task.status {
        Status::Todo => {
            out.push(b("start", "Start", "开始").primary());
            out.push(b("done", "Done", "完成"));
            out.push(b("block", "Blocked", "受阻"));
        }
        Status::InProgress => {
            out.push(b("done", "Done", "完成").primary());
            out.push(b("block", "Blocked", "受阻"));
        }
        Status::Blocked => {
            out.push(b("start", "Resume", "继续").primary());
            out.push(b("done", "Done", "完成"));
        }
        Status::Done if place != Place::Elsewhere => out.push(b("reopen", "Reopen", "重新打开")),
        Status::Done => {}
    }
    if task.status.is_open() && task.assignees.is_empty() {
        out.push(b("take", "Take it", "我来负责"));
    }
    out
}

/// A task's card in its group, redrawn on every change.
pub fn task_card(id: &str, task: &Task, now: i64) -> Card {
    let lang = task.lang;
    let mut card = body(
        Card::new(truncate(&format!("{} {}", task.tag(), task.title), 200)),
        task,
        lang,
        now,
    );
    for b in status_buttons(id, task, lang, Place::Group) {
        card = card.button(b);
    }
    let b = |action: &str, en: &str, zh: &str| Button::new(action, lang.tr(en, zh)).value(id);
    card.button(b("edit", "Edit", "编辑"))
        .button(b("checklist", "Checklist", "检查项"))
        .button(b("comment", "Comment", "评论"))
        .button(
            b("delete", "Delete", "删除")
                .danger()
                .confirm(lang.tr("Delete this task?", "确定删除这个任务？")),
        )
}

/// Status, fields, people, description, checklist, latest comment and recent activity.
pub fn body(mut card: Card, task: &Task, lang: Lang, now: i64) -> Card {
    card = card.badge(task.status.label(lang), status_tone(task.status));
    if task.is_overdue(now) {
        card = card.badge(lang.tr("Overdue", "已逾期"), Tone::Danger);
    }
    if matches!(task.priority, Priority::P0 | Priority::P1) {
        let tone = if task.priority == Priority::P0 {
            Tone::Danger
        } else {
            Tone::Warning
        };
        card = card.badge(task.priority.label(lang), tone);
    }
    let (done, total) = task.progress();
    card = card
        .field(lang.tr("Due", "截止时间"), due_text(task, lang, now))
        .field(lang.tr("Priority", "优先级"), task.priority.label(lang))
        .field(
            lang.tr("Created by", "创建人"),
            format!("{} · {}", task.creator.name, when(task.created_ms)),
        );
    if total > 0 {
        card = card.field(lang.tr("Checklist", "检查项"), format!("{done}/{total}"));
    }
    if task.comments > 0 {
        card = card.field(lang.tr("Comments", "评论"), task.comments.to_string());
    }
    if task.source_message.is_some() {
        card = card.field(
            lang.tr("From", "来源"),
            lang.tr(
                "a message in this group (see its thread)",
                "本群的一条消息（见其话题）",
            ),
        );
    }
    if task.assignees.is_empty() {
        card = card.text(format!("👤 {}", lang.tr("Unassigned", "未指派")));
    } else {
        card = card.people(
            task.assignees
                .iter()
                .map(|p| PersonRef::new(&p.id, &p.name)),
        );
    }
    if !task.description.is_empty() {
        card = card.text(truncate(&task.description, CARD_DESCRIPTION));
    }
    if total > 0 {
        card = card.text(checklist_lines(task, CARD_ITEMS, lang));
    }
    if let Some(c) = task.recent_comments.last() {
        card = card.text(truncate(&format!("💬 {}: {}", c.author.name, c.text), 300));
    }
    let recent = task.activity.iter().rev().take(CARD_ACTIVITY).rev();
    card.timeline(recent.map(|a| {
        TimelineEntry::new(a.at_ms, truncate(&happened(a, lang), 200)).tone(activity_tone(a))
    }))
}

/// What a card for one person is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice<'a> {
    /// They were made an assignee (by whom; empty when redrawn).
    Assigned(&'a str),
    /// Their task was completed (by whom; empty when redrawn).
    Completed(&'a str),
    DueSoon,
    Overdue,
}

impl Notice<'_> {
    /// What its buttons carry after the task id (`{id}|due`), so a press redraws the card
    /// with the same heading.
    pub fn tag(&self) -> &'static str {
        match self {
            Notice::Assigned(_) => "assigned",
            Notice::Completed(_) => "completed",
            Notice::DueSoon => "due",
            Notice::Overdue => "overdue",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Notice<'static>> {
        Some(match tag {
            "assigned" => Notice::Assigned(""),
            "completed" => Notice::Completed(""),
            "due" => Notice::DueSoon,
            "overdue" => Notice::Overdue,
            _ => return None,
        })
    }
}

/// A button value: the task id, and the notice kind when on a notice card.
pub fn split_value(value: &str) -> (&str, Option<Notice<'static>>) {
    match value.split_once('|') {
        Some((id, tag)) => (id, Notice::from_tag(tag)),
        None => (value, None),
    }
}

/// A card in a person's direct conversation with the plugin, in their language.
pub fn notice_card(id: &str, task: &Task, notice: Notice, lang: Lang, now: i64) -> Card {
    let tag = format!("{} {}", task.tag(), task.title);
    let (title, line) = match notice {
        Notice::Assigned(by) => (
            lang.tr(
                format!("📌 Assigned to you: {tag}"),
                format!("📌 指派给你：{tag}"),
            ),
            if by.is_empty() {
                lang.tr(
                    "You are an assignee of this task.",
                    "你是这个任务的负责人。",
                )
            } else {
                lang.tr(
                    format!("{by} assigned you this task."),
                    format!("{by} 把这个任务指派给了你。"),
                )
            },
        ),
        Notice::Completed(by) => (
            lang.tr(format!("✅ Done: {tag}"), format!("✅ 已完成：{tag}")),
            if by.is_empty() {
                lang.tr("A task you created.", "你创建的任务。")
            } else {
                lang.tr(
                    format!("{by} completed a task you created."),
                    format!("{by} 完成了你创建的任务。"),
                )
            },
        ),
        Notice::DueSoon => (
            lang.tr(format!("⏰ Due soon: {tag}"), format!("⏰ 即将截止：{tag}")),
            lang.tr(
                format!("Due at {}.", task.due_ms.map(when).unwrap_or_default()),
                format!("截止时间 {}。", task.due_ms.map(when).unwrap_or_default()),
            ),
        ),
        Notice::Overdue => (
            lang.tr(format!("⚠️ Overdue: {tag}"), format!("⚠️ 已逾期：{tag}")),
            lang.tr(
                format!(
                    "It was due at {}.",
                    task.due_ms.map(when).unwrap_or_default()
                ),
                format!(
                    "截止时间 {} 已过。",
                    task.due_ms.map(when).unwrap_or_default()
                ),
            ),
        ),
    };
    let group = groups::get(&task.group_id)
        .map(|g| g.name)
        .unwrap_or_default();
    let mut card = Card::new(truncate(&title, 200)).text(if group.is_empty() {
        line
    } else {
        lang.tr(
            format!("{line} Group: {group}."),
            format!("{line}所在群：{group}。"),
        )
    });
    card = body(card, task, lang, now);
    let value = format!("{id}|{}", notice.tag());
    for b in status_buttons(&value, task, lang, Place::Elsewhere) {
        card = card.button(b);
    }
    card
}

/// What a task's card becomes when the task is deleted.
pub fn deleted_card(task: &Task, by: &str) -> Card {
    let lang = task.lang;
    Card::new(truncate(&format!("{} {}", task.tag(), task.title), 200))
        .badge(lang.tr("Deleted", "已删除"), Tone::Neutral)
        .text(lang.tr(
            format!("{by} deleted this task."),
            format!("{by} 删除了这个任务。"),
        ))
}

/// The columns of a task table.
pub fn table_columns(lang: Lang, with_group: bool) -> Vec<String> {
    let mut cols = vec![
        "#".to_owned(),
        lang.tr("Task", "任务"),
        lang.tr("Status", "状态"),
        lang.tr("Assignees", "负责人"),
        lang.tr("Due", "截止时间"),
        lang.tr("Priority", "优先级"),
        lang.tr("Checklist", "检查项"),
    ];
    if with_group {
        cols.push(lang.tr("Group", "群"));
    }
    cols
}

/// A task as a table row (`group`: its group's name, for tables across groups).
pub fn table_row(task: &Task, lang: Lang, now: i64, group: Option<&str>) -> Vec<String> {
    let (done, total) = task.progress();
    let mut row = vec![
        task.number.to_string(),
        truncate(&task.title, 120),
        task.status.label(lang),
        truncate(&names(task, lang), 200),
        due_text(task, lang, now),
        task.priority.key().to_uppercase(),
        if total > 0 {
            format!("{done}/{total}")
        } else {
            String::new()
        },
    ];
    if let Some(g) = group {
        row.push(truncate(g, 100));
    }
    row
}
