//! What people look at: their balances with the history behind them (`/leave balance`, the
//! `balances` page) and the team calendar (the `calendar` page).

use courtyard_sdk::{Card, Error, Page, Query, Result, Tone};

use crate::books;
use crate::calendar::{DayKind, Half};
use crate::date::Date;
use crate::ledger::{Balance, HistoryRow};
use crate::policy::LeaveType;
use crate::request::{Span, Status};
use crate::store::{EMPLOYEES, Host, load_config};
use crate::text::{clip, pick, span_short, weekday};
use crate::who::Who;

/// Most history rows shown per leave type (the newest).
const HISTORY_ROWS: usize = 60;
/// Most days the calendar shows at once.
const CALENDAR_DAYS: i64 = 92;
/// Most members the calendar looks at.
const CALENDAR_PEOPLE: usize = 300;
/// Characters a table cell holds (the host allows 500).
const CELL: usize = 480;

/// One leave type's balance for a person, and the lines behind it.
pub struct TypeBalance {
    pub leave_type: LeaveType,
    pub balance: Balance,
    pub history: Vec<HistoryRow>,
}

/// A person's balances on `as_of`: every balance-limited type, and the others they have
/// entries for.
pub fn balances(h: &dyn Host, person_id: &str, as_of: Date) -> Result<Vec<TypeBalance>> {
    let config = load_config(h)?.value;
    let b = books::load(h, person_id, "")?;
    let mut out = Vec::new();
    for t in &config.types {
        let ledger = b.ledger(t).map_err(|e| books::ledger_error(&e, "en"))?;
        if !t.balance_limited && ledger.entries().is_empty() {
            continue;
        }
        out.push(TypeBalance {
            leave_type: t.clone(),
            balance: ledger.balance_as_of(as_of),
            history: ledger.history(as_of),
        });
    }
    Ok(out)
}

/// `/leave balance`: one line per type, in the person's language.
pub fn balance_text(h: &dyn Host, who: &Who) -> Result<String> {
    let (me, _) = who.person()?;
    let today = h.today();
    let lines: Vec<String> = balances(h, me, today)?
        .iter()
        .map(|b| {
            let name = b.leave_type.name.get(&who.locale);
            let detail = pick(who.zh(), b.balance.en(), b.balance.zh());
            format!("{name}: {detail}")
        })
        .collect();
    let head = who.tr(
        format!("Your leave balances on {today}:"),
        format!("截至 {today} 你的假期余额："),
    );
    let tail = who.tr(
        "The Balances page shows the history behind each figure.",
        "“假期余额”页面列出每一笔变动。",
    );
    if lines.is_empty() {
        return Ok(format!(
            "{head}\n{}",
            who.tr("No leave granted yet.", "还没有发放任何假期。")
        ));
    }
    Ok(format!("{head}\n{}\n{tail}", lines.join("\n")))
}

fn date_query(who: &Who, query: &Query, name: &str) -> Result<Option<Date>> {
    match query.get(name).map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            who.error(
                format!("“{text}” is not a date like 2026-12-01 ({name})"),
                format!("“{text}”不是有效日期，如 2026-12-01（{name}）"),
            )
        }),
    }
}

/// The `balances` page: the person's own balances (HR may add `person_id=`), as of today or
/// `as_of=YYYY-MM-DD`.
pub fn balances_page(h: &dyn Host, who: &Who, query: &Query) -> Result<Page> {
    let (me, _) = who.person()?;
    let as_of = date_query(who, query, "as_of")?.unwrap_or_else(|| h.today());
    let person = query
        .get("person_id")
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != me);
    let (person_id, title) = match person {
        None => (
            me.to_owned(),
            who.tr("My leave balances", "我的假期余额").to_owned(),
        ),
        Some(other) if who.admin => {
            let name = h.person_name(other)?.ok_or_else(|| {
                who.error(
                    format!("There is no person {other}"),
                    format!("找不到员工 {other}"),
                )
            })?;
            (
                other.to_owned(),
                who.tr(
                    format!("{name}'s leave balances"),
                    format!("{name}的假期余额"),
                ),
            )
        }
        Some(_) => {
            return Err(who.error(
                "Only HR (organization admins) can see someone else's balances",
                "只有人事（组织管理员）可以查看他人的假期余额",
            ));
        }
    };
    let zh = who.zh();
    let mut page = Page::new(format!("{title} · {as_of}"));
    let list = balances(h, &person_id, as_of)?;
    if list.is_empty() {
        return Ok(page.card(Card::new(
            who.tr("No leave granted yet", "还没有发放任何假期"),
        )));
    }
    for b in list {
        let t = &b.leave_type;
        let bal = &b.balance;
        let text = |a: crate::amount::Amount| a.text(&who.locale);
        let mut card = Card::new(t.name.get(&who.locale))
            .field(who.tr("Available", "可用"), text(bal.available))
            .field(who.tr("Granted", "发放"), text(bal.granted))
            .field(who.tr("Adjusted", "调整"), text(bal.adjusted))
            .field(who.tr("Taken", "已休"), text(bal.taken))
            .field(who.tr("Reserved", "预占"), text(bal.reserved))
            .field(who.tr("Expired", "过期"), text(bal.expired));
        if !t.balance_limited {
            card = card.badge(who.tr("Not limited by a balance", "不限额度"), Tone::Info);
        } else if bal.available.is_negative() {
            card = card.badge(who.tr("Overdrawn", "已透支"), Tone::Danger);
        }
        let skip = b.history.len().saturating_sub(HISTORY_ROWS);
        let rows: Vec<Vec<String>> = b.history[skip..]
            .iter()
            .map(|row| {
                let e = &row.entry;
                let mut note = e.reason.clone().unwrap_or_default();
                if let Some(r) = &e.request_id {
                    note = if note.is_empty() {
                        r.clone()
                    } else {
                        format!("{note} ({r})")
                    };
                }
                if row.pending {
                    note = format!("{note} {}", who.tr("(computed)", "（计算所得）"));
                }
                vec![
                    e.effective.to_string(),
                    pick(zh, e.kind.en(), e.kind.zh()).to_owned(),
                    row.effect.text(&who.locale),
                    row.balance.text(&who.locale),
                    clip(note.trim(), CELL),
                ]
            })
            .collect();
        if !rows.is_empty() {
            card = card.table(
                vec![
                    who.tr("Date", "日期").into(),
                    who.tr("Entry", "类别").into(),
                    who.tr("Change", "变动").into(),
                    who.tr("Balance", "余额").into(),
                    who.tr("Note", "备注").into(),
                ],
                rows,
            );
        }
        page = page.card(card);
    }
    Ok(page)
}

/// Monday of the week `date` is in.
fn monday(date: Date) -> Date {
    date.add_days(-i64::from(date.weekday() - 1))
}

/// Whether a span takes time on `day`, and which part: "", "AM", "PM" or "14:00–16:00".
fn part_of(span: &Span, day: Date, zh: bool) -> Option<String> {
    match *span {
        Span::Days { from, to } => {
            if day < from.date || day > to.date {
                return None;
            }
            let am = day > from.date || from.half == Half::Am;
            let pm = day < to.date || to.half == Half::Pm;
            Some(match (am, pm) {
                (true, true) => String::new(),
                (true, false) => pick(zh, "AM", "上午").into(),
                (false, true) => pick(zh, "PM", "下午").into(),
                (false, false) => return None,
            })
        }
        Span::Hours { date, start, end } => (date == day).then(|| {
            format!(
                "{}–{}",
                crate::date::format_time(start),
                crate::date::format_time(end)
            )
        }),
    }
}

/// The `calendar` page: who in this group is away on which days between `from` and `to`
/// (this week and next unless the query says otherwise), approved and pending leave, with
/// weekends, holidays and make-up workdays.
pub fn calendar_page(h: &dyn Host, who: &Who, query: &Query) -> Result<Page> {
    let group = who.group()?;
    let zh = who.zh();
    let today = h.today();
    let from = date_query(who, query, "from")?.unwrap_or_else(|| monday(today));
    let to = date_query(who, query, "to")?.unwrap_or_else(|| monday(today).add_days(13));
    if to < from {
        return Err(who.error(
            format!("The calendar ends ({to}) before it starts ({from})"),
            format!("结束日期（{to}）早于开始日期（{from}）"),
        ));
    }
    if from.days_until(to) >= CALENDAR_DAYS {
        return Err(who.error(
            format!("Show at most {CALENDAR_DAYS} days at a time"),
            format!("一次最多显示 {CALENDAR_DAYS} 天"),
        ));
    }
    let config = load_config(h)?.value;
    let type_name = |id: &str| {
        crate::policy::find_type(&config.types, id)
            .map(|t| t.name.get(&who.locale).to_owned())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut members = h.group_members(group)?;
    members.truncate(CALENDAR_PEOPLE);

    // (name, type, span, status) of every absence touching the range.
    let mut away: Vec<(String, String, Span, Status)> = Vec::new();
    for (id, name) in &members {
        let Some(account) = EMPLOYEES.get(h, id)? else {
            continue;
        };
        for hold in &account.holds {
            if hold.status.holds_time()
                && hold.span.first_day() <= to
                && hold.span.last_day() >= from
            {
                away.push((
                    name.clone(),
                    hold.leave_type.clone(),
                    hold.span,
                    hold.status,
                ));
            }
        }
    }
    away.sort_by(|a, b| (a.2.first_day(), &a.0).cmp(&(b.2.first_day(), &b.0)));

    let pending_mark = pick(zh, " (pending)", "（待审批）");
    let mut rows = Vec::new();
    let mut day = from;
    while day <= to {
        let kind = match config.calendar.day_kind(day) {
            DayKind::Working => String::new(),
            DayKind::Weekend => pick(zh, "Weekend", "周末").to_owned(),
            DayKind::Holiday(name) => format!("{} {name}", pick(zh, "Holiday:", "节假日：")),
            DayKind::MakeupWorkday(name) => {
                format!("{} {name}", pick(zh, "Make-up workday:", "调休上班："))
            }
        };
        let off = !config.calendar.is_working_day(day);
        let people: Vec<String> = away
            .iter()
            .filter(|(_, t, _, _)| {
                off.then(|| crate::policy::find_type(&config.types, t))
                    .flatten()
                    .is_none_or(|lt| lt.counts_holidays)
            })
            .filter_map(|(name, t, span, status)| {
                let part = part_of(span, day, zh)?;
                let mut detail = type_name(t);
                if !part.is_empty() {
                    detail = format!("{detail} {part}");
                }
                let mark = if *status == Status::Pending {
                    pending_mark
                } else {
                    ""
                };
                Some(format!("{name} ({detail}){mark}"))
            })
            .collect();
        rows.push(vec![
            format!("{day} {}", weekday(day, zh)),
            clip(&kind, CELL),
            clip(&people.join(", "), CELL),
        ]);
        day = day.add_days(1);
    }
    let days_card = Card::new(who.tr("Who is away", "请假人员"))
        .text(who.tr(
            format!("{from} – {to}; pending leave is marked."),
            format!("{from} 至 {to}；待审批的请假已标出。"),
        ))
        .table(
            vec![
                who.tr("Day", "日期").into(),
                who.tr("Calendar", "日历").into(),
                who.tr("Away", "请假").into(),
            ],
            rows,
        );
    let mut list = Card::new(who.tr("Leave in this period", "本期请假"));
    if away.is_empty() {
        list = list.text(who.tr("Nobody is away.", "无人请假。"));
    } else {
        let rows: Vec<Vec<String>> = away
            .iter()
            .take(200)
            .map(|(name, t, span, status)| {
                let (en, zh_status) = crate::text::status(*status);
                vec![
                    clip(name, CELL),
                    type_name(t),
                    span_short(span, zh),
                    pick(zh, en, zh_status).to_owned(),
                ]
            })
            .collect();
        list = list.table(
            vec![
                who.tr("Person", "员工").into(),
                who.tr("Type", "类型").into(),
                who.tr("Dates", "日期").into(),
                who.tr("Status", "状态").into(),
            ],
            rows,
        );
    }
    let title = who.tr("Team calendar", "团队日历");
    Ok(Page::new(title).card(days_card).card(list))
}

/// A page query's date error as an [`Error`]: for callers outside this module.
pub fn not_a_date(who: &Who, text: &str) -> Error {
    who.error(
        format!("“{text}” is not a date like 2026-12-01"),
        format!("“{text}”不是有效日期，如 2026-12-01"),
    )
}
