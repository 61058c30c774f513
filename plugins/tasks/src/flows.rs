//! `/task`, and everything pressed or submitted on the plugin's cards, pages and forms.

use courtyard_sdk::prelude::*;

use crate::cards::{self, Place};
use crate::domain::merge::{
    EditField, EditValues, Merged, checklist_ticks, merge_edit, read_checklist_token,
    read_edit_token,
};
use crate::domain::parse::{
    Command, DueSpec, Quick, Resolved, item_lines, parse_command, parse_due, parse_quick,
    resolve_due, resolve_name,
};
use crate::domain::view::View;
use crate::domain::{
    Change, Edit, Lang, NewTask, PersonRef, Priority, Refusal, Right, Status, Task,
};
use crate::forms::{self, ChecklistValues, CommentValues, CreateValues, EditForm, ViewValues};
use crate::ops::{self, Via, Who};
use crate::store::{self, Settings};

/// The most tasks `/task mine` lists.
const MINE_LINES: usize = 30;

pub fn help(lang: Lang) -> String {
    lang.tr(
        "Tasks:\n\
         /task — a form for a new task\n\
         /task Send the quote @Li due:friday p1 — a task in one line: mention assignees (or @Name), \
         due:2026-12-01, due:12-01T17:00, due:tomorrow, due:fri, due:17:00, due:+2h; p0 (urgent) to p3 (low). \
         Further lines are the description; lines starting with “- ” or “[ ]” are checklist items.\n\
         In a message's thread, reply “/task …” to make a task from that message.\n\
         /task start|done|block|reopen 12 — move task #12\n\
         /task due 12 tomorrow 17:00 — change when #12 is due (“none” removes it)\n\
         /task mine — your open tasks in all groups\n\
         Pages: board, list, mine, task?n=12.",
        "任务：\n\
         /task —— 打开新建任务的表单\n\
         /task 发送报价 @李雷 due:周五 p1 —— 一行创建任务：@ 负责人（或 @姓名），\
         due:2026-12-01、due:12-01T17:00、due:明天、due:周五、due:17:00、due:+2h；p0（紧急）到 p3（低）。\
         后续各行为描述；以“- ”或“[ ]”开头的行是检查项。\n\
         在消息的话题中回复“/task ……”，即可由该消息创建任务。\n\
         /task start|done|block|reopen 12 —— 更改第 12 号任务的状态\n\
         /task due 12 明天 17:00 —— 修改第 12 号任务的截止时间（“none”为取消）\n\
         /task mine —— 我在所有群中未完成的任务\n\
         页面：board（看板）、list（列表）、mine（我的任务）、task?n=12（任务详情）。",
    )
}

/// The instant a due time means, written as the quick syntax takes it.
pub fn due_ms(
    who: &Who,
    settings: &Settings,
    spec: &DueSpec,
    written: &str,
) -> Result<Option<i64>> {
    let now = clock::now_ms();
    let today = time::Date::today();
    let now_minutes = ((now - today.start_ms()) / 60_000).clamp(0, 24 * 60 - 1) as u32;
    let resolved = resolve_due(
        spec,
        written,
        today,
        now_minutes,
        settings.default_minutes(),
    )
    .map_err(|r| who.refuse(r))?;
    Ok(match resolved {
        Resolved::Clear => None,
        // To the minute, rounded up: "+2h" is never a little less than two hours.
        Resolved::In(minutes) => Some((now + minutes * 60_000 + 59_999) / 60_000 * 60_000),
        Resolved::Local { date, minutes } => Some(time::parse_datetime(&format!(
            "{date}T{:02}:{:02}",
            minutes / 60,
            minutes % 60
        ))?),
    })
}

/// A `datetime` field's value as an instant; refused when in the past.
fn form_due(who: &Who, value: Option<&str>) -> Result<Option<i64>> {
    let Some(text) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let due = time::parse_datetime(text)?;
    if due <= clock::now_ms() {
        return Err(who.refuse(Refusal::DueInPast(text.replacen('T', " ", 1))));
    }
    Ok(Some(due))
}

/// A quick command's people, due time and the rest, checked against the group.
pub fn resolve_quick(
    who: &Who,
    group: &str,
    quick: Quick,
    source: Option<String>,
) -> Result<NewTask> {
    let mut assignees: Vec<PersonRef> = Vec::new();
    if !quick.mentions.is_empty() || !quick.names.is_empty() {
        let members = ops::members(group)?;
        for id in &quick.mentions {
            match members.iter().find(|m| m.id == *id) {
                Some(m) => assignees.push(m.clone()),
                None => {
                    let name = people::get(id)
                        .map(|p| p.display_name)
                        .unwrap_or_else(|_| id.clone());
                    return Err(who.refuse(Refusal::NotMember(name)));
                }
            }
        }
        for name in &quick.names {
            let m = resolve_name(name, &members).map_err(|r| who.refuse(r))?;
            assignees.push(m.clone());
        }
    }
    let settings = who.settings_of(group);
    let due = match (&quick.due, &quick.due_text) {
        (Some(spec), Some(text)) => due_ms(who, &settings, spec, text)?,
        _ => None,
    };
    Ok(NewTask {
        title: quick.title,
        description: quick.description,
        assignees,
        due_ms: due,
        priority: quick.priority.unwrap_or_default(),
        checklist: quick.checklist,
        source_message: source,
    })
}

pub fn created_text(who: &Who, task: &Task) -> String {
    let due = task
        .due_ms
        .map(|d| {
            who.tr(
                format!(" · due {}", cards::when(d)),
                format!(" · 截止 {}", cards::when(d)),
            )
        })
        .unwrap_or_default();
    who.tr(
        format!("Created {} {}{due}", task.tag(), task.title),
        format!("已创建 {} {}{due}", task.tag(), task.title),
    )
}

fn moved_text(who: &Who, task: &Task) -> String {
    who.tr(
        format!(
            "{} {} is now {}",
            task.tag(),
            task.title,
            task.status.label(who.lang)
        ),
        format!(
            "{} {} 现在为“{}”",
            task.tag(),
            task.title,
            task.status.label(who.lang)
        ),
    )
}

fn mine_text(who: &Who) -> Result<String> {
    let now = clock::now_ms();
    let mut open: Vec<ops::Listed> = ops::tasks_of(who, "assignee")?
        .into_iter()
        .filter(|l| l.task.status.is_open())
        .collect();
    if open.is_empty() {
        return Ok(who.tr("You have no open tasks 🎉", "你没有未完成的任务 🎉"));
    }
    open.sort_by_key(|l| (l.task.due_ms.is_none(), l.task.due_ms, l.task.number));
    let mut lines = vec![who.tr(
        format!("Your open tasks ({}):", open.len()),
        format!("你未完成的任务（{} 个）：", open.len()),
    )];
    for l in open.iter().take(MINE_LINES) {
        lines.push(format!(
            "{} {} · {} · {} · {}",
            l.task.tag(),
            l.task.title,
            l.task.status.label(who.lang),
            cards::due_text(&l.task, who.lang, now),
            l.group_name
        ));
    }
    if open.len() > MINE_LINES {
        lines.push(who.tr(
            "… see the “mine” page for all",
            "……完整列表见“我的任务”页面",
        ));
    }
    Ok(lines.join("\n"))
}

pub fn command(ctx: &Context, args: &Args) -> Result<Reply> {
    let who = Who::of(ctx)?;
    store::remember_lang(&who.person.id, who.lang);
    let group = who.group()?.to_owned();
    match parse_command(args.raw()) {
        Command::Form => Ok(Reply::form(forms::create_form(who.lang))),
        Command::Help => Ok(Reply::ephemeral(help(who.lang))),
        Command::Mine => Ok(Reply::ephemeral(mine_text(&who)?)),
        Command::Move { number, to } => {
            let id = store::task_id(&group, number);
            let done = ops::change(&who, &id, &Change::Status(to), Via::default())?;
            Ok(Reply::ephemeral(moved_text(&who, &done.task)))
        }
        Command::Due { number, when } => {
            let spec = parse_due(&when).map_err(|r| who.refuse(r))?;
            let due = due_ms(&who, &who.settings, &spec, &when)?;
            let id = store::task_id(&group, number);
            let edit = Edit {
                due_ms: Some(due),
                ..Edit::default()
            };
            let done = ops::change(&who, &id, &Change::Edit(edit), Via::default())?;
            let t = &done.task;
            let due = cards::due_text(t, who.lang, clock::now_ms());
            Ok(Reply::ephemeral(who.tr(
                format!("{} {} · due: {due}", t.tag(), t.title),
                format!("{} {} · 截止：{due}", t.tag(), t.title),
            )))
        }
        Command::Create(text) => {
            let quick = parse_quick(&text).map_err(|r| who.refuse(r))?;
            let new = resolve_quick(&who, &group, quick, None)?;
            let task = ops::create(&who, &group, new)?;
            Ok(Reply::ephemeral(created_text(&who, &task)))
        }
    }
}

/// The answer to a button once the task changed: the group card already shows it; a card
/// in a direct conversation is redrawn for its reader, with its heading; a page hears what
/// happened.
fn after_press(
    who: &Who,
    action: &Action,
    id: &str,
    notice: Option<cards::Notice>,
    task: &Task,
    done: String,
) -> ActionReply {
    let now = clock::now_ms();
    match action.message_id.as_deref() {
        Some(m) if task.card_message.as_deref() == Some(m) => ActionReply::None,
        Some(_) => ActionReply::update(match notice {
            Some(notice) => cards::notice_card(id, task, notice, who.lang, now),
            None => {
                let mut card = cards::body(
                    Card::new(format!("{} {}", task.tag(), task.title)),
                    task,
                    who.lang,
                    now,
                );
                for b in cards::status_buttons(id, task, who.lang, Place::Elsewhere) {
                    card = card.button(b);
                }
                card
            }
        }),
        None => ActionReply::ephemeral(done),
    }
}

/// Whether buttons that can move the due time may be used here (see `ops::apply_schedule`).
fn in_own_group(who: &Who, task: &Task) -> bool {
    who.group_id.as_deref() == Some(task.group_id.as_str())
}

fn elsewhere(who: &Who, task: &Task) -> Error {
    Error::user(who.tr(
        format!("Open {} from its group to do this", task.tag()),
        format!("请在 {} 所在的群里操作", task.tag()),
    ))
}

pub fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
    let who = Who::of(ctx)?;
    store::remember_lang(&who.person.id, who.lang);
    if action.is_form() {
        return match action.action_id.as_str() {
            forms::CREATE => submit_create(&who, action),
            forms::EDIT => submit_edit(&who, action),
            forms::CHECKLIST => submit_checklist(&who, action),
            forms::COMMENT => submit_comment(&who, action),
            forms::VIEW => submit_view(&who, action),
            other => Err(Error::user(who.tr(
                format!("Unknown form `{other}`"),
                format!("未知的表单 `{other}`"),
            ))),
        };
    }
    let (id, notice) = cards::split_value(&action.value);
    let status = |to: Status| Change::Status(to);
    let change = match action.action_id.as_str() {
        "start" => status(Status::InProgress),
        "done" => status(Status::Done),
        "block" => status(Status::Blocked),
        "reopen" => status(Status::Todo),
        "take" => Change::Take,
        "edit" => {
            let (task, actor) = ops::load_visible(&who, id)?;
            if !task.may(&actor, Right::Edit) {
                return Err(who.refuse(Refusal::NotAllowed));
            }
            if !in_own_group(&who, &task) {
                return Err(elsewhere(&who, &task));
            }
            let values = EditValues::of(&task);
            return Ok(ActionReply::form(forms::edit_form(
                id, &values, &values, who.lang,
            )));
        }
        "checklist" => {
            let (task, actor) = ops::load_visible(&who, id)?;
            if !task.may(&actor, Right::Update) {
                return Err(who.refuse(Refusal::NotAllowed));
            }
            return Ok(ActionReply::form(forms::checklist_form(
                id, &task, who.lang,
            )));
        }
        "comment" => {
            let (task, actor) = ops::load_visible(&who, id)?;
            if !task.may(&actor, Right::Comment) {
                return Err(who.refuse(Refusal::NotAllowed));
            }
            return Ok(ActionReply::form(forms::comment_form(id, who.lang)));
        }
        "delete" => {
            let task = ops::delete(&who, id)?;
            return Ok(match action.message_id.as_deref() {
                Some(m) if task.card_message.as_deref() == Some(m) => ActionReply::None,
                _ => ActionReply::ephemeral(who.tr(
                    format!("Deleted {} {}", task.tag(), task.title),
                    format!("已删除 {} {}", task.tag(), task.title),
                )),
            });
        }
        other => {
            return Err(Error::user(who.tr(
                format!("Unknown button `{other}`"),
                format!("未知的按钮 `{other}`"),
            )));
        }
    };
    if matches!(change, Change::Status(Status::Todo)) {
        // Reopening may set reminders again: only where timers can be set.
        let (task, _) = ops::load_visible(&who, id)?;
        if !in_own_group(&who, &task) {
            return Err(elsewhere(&who, &task));
        }
    }
    let done = ops::change(&who, id, &change, Via::default())?;
    let text = moved_text(&who, &done.task);
    Ok(after_press(&who, action, id, notice, &done.task, text))
}

fn submit_create(who: &Who, action: &Action) -> Result<ActionReply> {
    let group = who.group()?.to_owned();
    let v: CreateValues = action.form_as()?;
    let assignees = ops::resolve_people(who, &group, &v.assignees.unwrap_or_default())?;
    let new = NewTask {
        title: v.title,
        description: v.description.unwrap_or_default(),
        assignees,
        due_ms: form_due(who, v.due.as_deref())?,
        priority: v
            .priority
            .as_deref()
            .and_then(Priority::parse)
            .unwrap_or_default(),
        checklist: item_lines(&v.checklist.unwrap_or_default()),
        source_message: None,
    };
    let task = ops::create(who, &group, new)?;
    Ok(ActionReply::ephemeral(created_text(who, &task)))
}

fn bad_form(who: &Who) -> Error {
    Error::user(who.tr(
        "This form is out of date; open it again",
        "表单已过期，请重新打开",
    ))
}

fn submit_edit(who: &Who, action: &Action) -> Result<ActionReply> {
    let (id, prints) = read_edit_token(&action.value).ok_or_else(|| bad_form(who))?;
    let sent: EditForm = action.form_as()?;
    let (current, actor) = ops::load_visible(who, id)?;
    if !current.may(&actor, Right::Edit) {
        return Err(who.refuse(Refusal::NotAllowed));
    }
    let sent = EditValues {
        title: sent.title,
        description: sent.description.unwrap_or_default(),
        assignees: sent.assignees.unwrap_or_default(),
        due_ms: match sent.due.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => Some(time::parse_datetime(d)?),
            None => None,
        },
        priority: sent
            .priority
            .as_deref()
            .and_then(Priority::parse)
            .unwrap_or_default(),
    };
    let now_values = EditValues::of(&current);
    let changes = match merge_edit(&prints, &now_values, &sent) {
        Merged::Apply(changes) => changes,
        Merged::Conflict(fields) => {
            // Show it again: their other changes kept, the contested fields with what is
            // there now, and fingerprints of now, so submitting again applies them.
            let mut shown = sent.clone();
            for f in &fields {
                match f {
                    EditField::Title => shown.title = now_values.title.clone(),
                    EditField::Description => shown.description = now_values.description.clone(),
                    EditField::Assignees => shown.assignees = now_values.assignees.clone(),
                    EditField::Due => shown.due_ms = now_values.due_ms,
                    EditField::Priority => shown.priority = now_values.priority,
                }
            }
            let mut form = forms::edit_form(id, &now_values, &shown, who.lang);
            for f in fields {
                form = form.help_for(
                    f.name(),
                    who.tr(
                        "Someone else changed this while you were editing: it shows their value now. Change it again to replace it.",
                        "你编辑期间有人修改了此项，现在显示的是对方的修改；如需覆盖，请再次修改。",
                    ),
                );
            }
            return Ok(ActionReply::form(form));
        }
    };
    if changes.fields.is_empty() {
        return Ok(ActionReply::ephemeral(
            who.tr("Nothing changed", "没有改动"),
        ));
    }
    if changes.touches(EditField::Due)
        && let Some(due) = sent.due_ms
        && due <= clock::now_ms()
    {
        return Err(who.refuse(Refusal::DueInPast(cards::when(due))));
    }
    let people = if changes.touches(EditField::Assignees) {
        ops::resolve_people(who, &current.group_id, &sent.assignees)?
    } else {
        Vec::new()
    };
    let edit = changes.edit(&sent, &people);
    let done = ops::change(who, id, &Change::Edit(edit), Via::default())?;
    Ok(ActionReply::ephemeral(who.tr(
        format!("Saved {} {}", done.task.tag(), done.task.title),
        format!("已保存 {} {}", done.task.tag(), done.task.title),
    )))
}

fn submit_checklist(who: &Who, action: &Action) -> Result<ActionReply> {
    let (id, shown) = read_checklist_token(&action.value).ok_or_else(|| bad_form(who))?;
    let v: ChecklistValues = action.form_as()?;
    let ids = |list: Option<Vec<String>>| -> Vec<u32> {
        list.unwrap_or_default()
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect()
    };
    let (current, _) = ops::load_visible(who, id)?;
    let items: Vec<u32> = current.checklist.iter().map(|i| i.id).collect();
    let set = checklist_ticks(&shown, &ids(v.done), &items);
    let change = Change::Checklist {
        set,
        add: item_lines(&v.add.unwrap_or_default())
            .into_iter()
            .map(|(text, _)| text)
            .collect(),
        remove: ids(v.remove),
    };
    let done = ops::change(who, id, &change, Via::default())?;
    let (ticked, total) = done.task.progress();
    Ok(ActionReply::ephemeral(who.tr(
        format!("{} checklist: {ticked}/{total}", done.task.tag()),
        format!("{} 检查项：{ticked}/{total}", done.task.tag()),
    )))
}

fn submit_comment(who: &Who, action: &Action) -> Result<ActionReply> {
    let v: CommentValues = action.form_as()?;
    let done = ops::change(who, &action.value, &Change::Comment(v.text), Via::default())?;
    Ok(ActionReply::ephemeral(who.tr(
        format!("Commented on {}", done.task.tag()),
        format!("已评论 {}", done.task.tag()),
    )))
}

fn submit_view(who: &Who, action: &Action) -> Result<ActionReply> {
    let group = who.group()?;
    let v: ViewValues = action.form_as()?;
    let view: View = v.view();
    store::save_view(group, &who.person.id, &view.to_query())?;
    Ok(ActionReply::ephemeral(who.tr(
        "View saved: the list and the board show it until you change it",
        "视图已保存：列表和看板将按此显示，直到你再次修改",
    )))
}
