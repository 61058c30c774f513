//! The pages: a group's board (a column per status) and list (filtered and sorted), my
//! tasks across groups, and one task with its checklist, comments and history.
//!
//! The list and board read their filters from the query (`?status=todo&assignee=me&due=week
//! &priority=p0,p1&sort=priority&order=desc`); without one, from the filters the person
//! saved with the form on the page (pages cannot link to each other, so the form is how a
//! person changes what they see; the page reloads after it is sent).

use courtyard_sdk::prelude::*;

use crate::cards::{self, Place};
use crate::domain::view::{Clock, QUERY_KEYS, View};
use crate::domain::{Lang, Right, Status, Task};
use crate::forms;
use crate::ops::{self, Who};
use crate::store;

/// Rows of a table (the host allows 200).
const MAX_ROWS: usize = 200;
/// Finished tasks the board shows.
const BOARD_DONE: usize = 20;

/// The instants views measure "today" and "this week" against.
pub fn clock() -> Clock {
    let now = clock::now_ms();
    let today = time::Date::today();
    Clock {
        now,
        tomorrow_start: today.add_days(1).start_ms(),
        week_end: today.add_days(7).start_ms(),
    }
}

/// The view of a page: from the query when it names a filter, else the person's saved one.
pub fn view_of(who: &Who, group: &str, query: &Query) -> View {
    if query.iter().any(|(k, _)| QUERY_KEYS.contains(&k)) {
        return View::parse(query.iter());
    }
    let saved = store::saved_view(group, &who.person.id).unwrap_or_default();
    let pairs: Vec<(&str, &str)> = saved
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    View::parse(pairs)
}

fn describe(view: &View, lang: Lang) -> String {
    if view.is_default() {
        lang.tr(
            "All tasks, soonest due first.",
            "全部任务，按截止时间由近到远。",
        )
    } else {
        lang.tr(
            format!("Filters: {}", view.to_query()),
            format!("筛选条件：{}", view.to_query()),
        )
    }
}

fn titled_table(title: String, lang: Lang, tasks: &[&Task], now: i64, empty: String) -> Card {
    if tasks.is_empty() {
        return Card::new(title).text(empty);
    }
    let rows = tasks
        .iter()
        .take(MAX_ROWS)
        .map(|t| cards::table_row(t, lang, now, None))
        .collect();
    let mut card = Card::new(title).table(cards::table_columns(lang, false), rows);
    if tasks.len() > MAX_ROWS {
        card = card.text(lang.tr(
            format!(
                "Showing {MAX_ROWS} of {}; narrow the filters to see the rest.",
                tasks.len()
            ),
            format!(
                "显示了 {} 个中的 {MAX_ROWS} 个；请缩小筛选范围查看其余任务。",
                tasks.len()
            ),
        ));
    }
    card
}

fn filters_card(who: &Who, view: &View, page: &str) -> Card {
    Card::new(who.tr("Filter and sort", "筛选与排序"))
        .text(describe(view, who.lang))
        .form(forms::view_form(view, page, who.lang))
}

/// A column per status, each sorted as the view says.
pub fn board(who: &Who, query: &Query) -> Result<Page> {
    let group = who.group()?.to_owned();
    let mut view = view_of(who, &group, query);
    let shown_view = view.clone();
    view.statuses.clear();
    let tasks: Vec<Task> = store::group_tasks(&group)?
        .into_iter()
        .map(|r| r.value)
        .collect();
    let clock = clock();
    let lang = who.lang;
    let mut page =
        Page::new(who.tr("Task board", "任务看板")).card(filters_card(who, &shown_view, "board"));
    for status in Status::ALL {
        let mut in_column: Vec<&Task> = view
            .apply(&tasks, &who.person.id, &clock)
            .into_iter()
            .filter(|t| t.status == status)
            .collect();
        let total = in_column.len();
        if status == Status::Done {
            in_column.sort_by_key(|t| std::cmp::Reverse(t.completed_ms));
            in_column.truncate(BOARD_DONE);
        }
        let title = format!("{} · {total}", status.label(lang));
        page = page.card(titled_table(
            title,
            lang,
            &in_column,
            clock.now,
            who.tr("Nothing here", "暂无任务"),
        ));
    }
    Ok(page.card(Card::new(who.tr("New task", "新建任务")).form(forms::create_form(lang))))
}

/// Every task of the group the view keeps, in its order.
pub fn list(who: &Who, query: &Query) -> Result<Page> {
    let group = who.group()?.to_owned();
    let view = view_of(who, &group, query);
    let tasks: Vec<Task> = store::group_tasks(&group)?
        .into_iter()
        .map(|r| r.value)
        .collect();
    let clock = clock();
    let shown = view.apply(&tasks, &who.person.id, &clock);
    let title = who.tr(
        format!("Tasks · {}", shown.len()),
        format!("任务 · {} 个", shown.len()),
    );
    Ok(Page::new(who.tr("Task list", "任务列表"))
        .card(filters_card(who, &view, "list"))
        .card(titled_table(
            title,
            who.lang,
            &shown,
            clock.now,
            who.tr("No task matches", "没有符合条件的任务"),
        )))
}

fn across(who: &Who, title: String, listed: &[&ops::Listed], now: i64, empty: String) -> Card {
    if listed.is_empty() {
        return Card::new(title).text(empty);
    }
    Card::new(title).table(
        cards::table_columns(who.lang, true),
        listed
            .iter()
            .take(MAX_ROWS)
            .map(|l| cards::table_row(&l.task, who.lang, now, Some(&l.group_name)))
            .collect(),
    )
}

/// My tasks in every group: open ones assigned to me (soonest due first), open ones I
/// created that others (or nobody yet) are to do, and what I finished lately.
pub fn mine(who: &Who) -> Result<Page> {
    let now = clock::now_ms();
    let due = |l: &&ops::Listed| (l.task.due_ms.is_none(), l.task.due_ms, l.task.number);
    let assigned = ops::tasks_of(who, "assignee")?;
    let mut open: Vec<&ops::Listed> = assigned
        .iter()
        .filter(|l| l.task.status.is_open())
        .collect();
    open.sort_by_key(due);
    let mut finished: Vec<&ops::Listed> = assigned
        .iter()
        .filter(|l| !l.task.status.is_open())
        .collect();
    finished.sort_by_key(|l| std::cmp::Reverse(l.task.completed_ms));
    finished.truncate(10);
    let created = ops::tasks_of(who, "creator")?;
    let mut delegated: Vec<&ops::Listed> = created
        .iter()
        .filter(|l| l.task.status.is_open() && !l.task.is_assignee(&who.person.id))
        .collect();
    delegated.sort_by_key(due);
    let overdue = open.iter().filter(|l| l.task.is_overdue(now)).count();
    let mut page = Page::new(who.tr("My tasks", "我的任务"));
    let summary = who.tr(
        format!("{} open, {overdue} overdue", open.len()),
        format!("{} 个未完成，{overdue} 个已逾期", open.len()),
    );
    page = page.card(
        across(
            who,
            who.tr("Assigned to me", "我负责的"),
            &open,
            now,
            who.tr("Nothing to do 🎉", "没有待办任务 🎉"),
        )
        .badge(
            summary,
            if overdue > 0 {
                Tone::Danger
            } else {
                Tone::Info
            },
        ),
    );
    page = page.card(across(
        who,
        who.tr("Created by me, not mine to do", "我创建、非我负责的"),
        &delegated,
        now,
        who.tr("None", "无"),
    ));
    Ok(page.card(across(
        who,
        who.tr("Done lately", "最近完成"),
        &finished,
        now,
        who.tr("None", "无"),
    )))
}

/// One task (`?n=12` in this group, or `?id=`): the card, with its buttons, the checklist and
/// comment forms, every comment and the whole history.
pub fn task(who: &Who, query: &Query) -> Result<Page> {
    let group = who.group()?.to_owned();
    let id = match (query.get("id"), query.get("n")) {
        (Some(id), _) => id.to_owned(),
        (None, Some(n)) => store::task_id(&group, n.trim_start_matches('#').parse().unwrap_or(0)),
        (None, None) => {
            return Err(Error::user(who.tr(
                "Which task? Open this page with ?n=12",
                "请指定任务，例如 ?n=12",
            )));
        }
    };
    let (task, actor) = ops::load_visible(who, &id)?;
    if task.group_id != group {
        return Err(who.no_task(&id));
    }
    let now = clock::now_ms();
    let lang = who.lang;
    let mut card = cards::body(
        Card::new(format!("{} {}", task.tag(), task.title)),
        &task,
        lang,
        now,
    );
    if !task.description.is_empty() && task.description.chars().count() > 500 {
        card = card.text(task.description.clone());
    }
    for b in cards::status_buttons(&id, &task, lang, Place::Page) {
        card = card.button(b);
    }
    if task.may(&actor, Right::Edit) {
        card = card.button(Button::new("edit", who.tr("Edit", "编辑")).value(&id));
    }
    if task.may(&actor, Right::Delete) {
        card = card.button(
            Button::new("delete", who.tr("Delete", "删除"))
                .danger()
                .value(&id)
                .confirm(who.tr("Delete this task?", "确定删除这个任务？")),
        );
    }
    let mut page = Page::new(format!("{} {}", task.tag(), task.title)).card(card);
    if task.may(&actor, Right::Update) {
        page = page.card(
            Card::new(who.tr("Checklist", "检查项"))
                .text(if task.checklist.is_empty() {
                    who.tr("No items yet", "暂无检查项")
                } else {
                    cards::checklist_lines(&task, 50, lang)
                })
                .form(forms::checklist_form(&id, &task, lang)),
        );
    }
    let comments = store::comments(&id).list_all(store::MAX_COMMENTS)?;
    let mut thread = Card::new(who.tr(
        format!("Comments · {}", task.comments),
        format!("评论 · {} 条", task.comments),
    ));
    if comments.is_empty() {
        thread = thread.text(who.tr("No comments yet", "暂无评论"));
    } else {
        // Stored newest first; read oldest first.
        thread = thread.timeline(comments.iter().rev().map(|c| {
            TimelineEntry::new(c.at_ms, cards::truncate(&c.author.name, 100))
                .detail(cards::truncate(&c.text, 990))
        }));
    }
    page = page.card(thread.form(forms::comment_form(&id, lang)));
    let history = Card::new(who.tr("History", "历史记录")).timeline(
        task.activity
            .iter()
            .map(|a| TimelineEntry::new(a.at_ms, cards::happened(a, lang))),
    );
    Ok(page.card(history))
}
