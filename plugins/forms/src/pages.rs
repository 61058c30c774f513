//! Pages: `forms` (the group's forms), `mine` (what is addressed to me and what I
//! answered), `results?form=` (statistics, who has not answered, latest answers) and
//! `fill?form=` (the form itself, to fill in from the web client).

use courtyard_sdk::prelude::*;

use crate::cards;
use crate::domain::anonymity::respondent_key;
use crate::domain::stats::field_stats_across;
use crate::domain::time::format_local;
use crate::domain::{FormStatus, Lang};
use crate::ops::{self, Members};
use crate::store::{self, Stored};
use crate::who::Who;

fn t(lang: Lang, en: &str, zh: &str) -> String {
    lang.pick(en, zh).to_owned()
}

/// A form as a card on a page (the same buttons as in the group).
fn card_of(who: &Who, s: &Stored) -> Card {
    let mut card = cards::form_card(s, &ops::shown(s), ops::audience_size(&s.form), who.lang)
        .field(t(who.lang, "Form id", "表单 ID"), s.form.id.clone());
    if s.form.status == FormStatus::Draft {
        card = card.text(t(
            who.lang,
            "Not published yet: /form publish <id>, or POST …/forms/<id>/publish.",
            "尚未发布：/form publish <id>，或 POST …/forms/<id>/publish。",
        ));
    }
    card
}

/// The forms addressed to this group, and the drafts its designers made here.
pub fn forms(who: &Who) -> Result<Page> {
    let group = who.group_id.clone().unwrap_or_default();
    let members = Members::default();
    let mut page = Page::new(who.tr("Forms", "表单"));
    let mut shown = 0;
    for r in store::all_forms()? {
        let s = &r.value;
        let here = s.form.settings.audience.groups.contains(&group)
            || s.home_group.as_deref() == Some(group.as_str());
        if !here || !ops::may_see(who, s, &members) {
            continue;
        }
        page = page.card(card_of(who, s));
        shown += 1;
        if shown == 40 {
            break;
        }
    }
    if shown == 0 {
        page = page.card(Card::new(who.tr(
            "No forms here yet: /form new daily_report starts one.",
            "这里还没有表单：可用 /form new daily_report 新建。",
        )));
    }
    Ok(page)
}

/// What is addressed to me (answered or not) and what I manage.
pub fn mine(who: &Who) -> Result<Page> {
    let members = Members::default();
    let lang = who.lang;
    let mut todo = Vec::new();
    let mut answered = Vec::new();
    let mut managed = Vec::new();
    for r in store::all_forms()? {
        let s = r.value;
        if ops::may_manage(who, &s) && s.form.owner.id == who.id {
            managed.push(vec![
                s.form.title.get(lang).to_owned(),
                s.form.status.label(lang).to_owned(),
                s.answers.to_string(),
                s.form.id.clone(),
            ]);
        }
        if s.form.status == FormStatus::Draft
            || !members.in_audience(&s.form.settings.audience, &who.id)
        {
            continue;
        }
        if s.form.settings.anonymous {
            // Whether I answered is on the roll; what I answered is nowhere to be found.
            let key = respondent_key(&store::secret_of(&s)?, &s.form.id, &who.id);
            if store::on_roll(&s.form.id, &key)? {
                answered.push(vec![
                    s.form.title.get(lang).to_owned(),
                    t(lang, "(anonymous)", "（匿名）"),
                    String::new(),
                    String::new(),
                ]);
            } else if cards::open(&s) {
                todo.push(s);
            }
            continue;
        }
        match store::answer_of(&s.form.id, &who.id)? {
            Some(a) => answered.push(vec![
                s.form.title.get(lang).to_owned(),
                a.value.serial.clone().unwrap_or_default(),
                a.value
                    .submitted_at_ms
                    .map(|ms| format_local(ms, courtyard_sdk::clock::utc_offset_minutes(ms)))
                    .unwrap_or_default(),
                format!("v{}", a.value.version),
            ]),
            None if cards::open(&s) => todo.push(s),
            None => {}
        }
    }
    let mut page = Page::new(who.tr("My forms", "我的表单"));
    for s in todo.iter().take(20) {
        page = page.card(cards::form_card(
            s,
            &ops::shown(s),
            ops::audience_size(&s.form),
            lang,
        ));
    }
    if todo.is_empty() {
        page = page.card(Card::new(who.tr("Nothing to fill in", "没有待填写的表单")));
    }
    if !answered.is_empty() {
        page = page.card(Card::new(who.tr("My answers", "我的答案")).table(
            vec![
                t(lang, "Form", "表单"),
                t(lang, "Serial no.", "流水号"),
                t(lang, "Submitted", "提交时间"),
                t(lang, "Version", "版本"),
            ],
            answered.into_iter().take(200).collect(),
        ));
    }
    if !managed.is_empty() {
        page = page.card(Card::new(who.tr("Forms I made", "我创建的表单")).table(
            vec![
                t(lang, "Form", "表单"),
                t(lang, "Status", "状态"),
                t(lang, "Answers", "已提交"),
                t(lang, "Form id", "表单 ID"),
            ],
            managed.into_iter().take(200).collect(),
        ));
    }
    Ok(page)
}

fn form_param(who: &Who, query: &Query) -> Result<String> {
    query
        .get("form")
        .map(str::to_owned)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| who.error("Say which form: ?form=<id>", "请指明表单：?form=<id>"))
}

/// Statistics per field, who has not answered, and the latest answers.
pub fn results(who: &Who, query: &Query) -> Result<Page> {
    let lang = who.lang;
    let id = form_param(who, query)?;
    let (s, versions, answers) = ops::results(who, &id)?;
    let stats = field_stats_across(&versions, &answers);
    let mut page = Page::new(format!(
        "{} · {}",
        s.form.title.get(lang),
        t(lang, "Results", "结果")
    ));
    let mut summary = Card::new(t(lang, "Summary", "概况"))
        .badge(cards::status(&s, lang).0, cards::status(&s, lang).1)
        .field(t(lang, "Answers", "已提交"), answers.len().to_string())
        .field(t(lang, "Versions", "版本数"), versions.len().to_string());
    if s.form.status != FormStatus::Draft {
        let o = ops::outstanding(&s)?;
        summary = summary
            .field(t(lang, "Addressed to", "填写范围"), o.audience.to_string())
            .field(
                t(lang, "Not answered yet", "尚未填写"),
                o.pending.to_string(),
            );
        if let Some(people) = &o.people
            && !people.is_empty()
        {
            let names: Vec<&str> = people.iter().take(100).map(|p| p.name.as_str()).collect();
            summary = summary.text(format!(
                "{}{}",
                t(lang, "Not answered: ", "未填写："),
                names.join(lang.pick(", ", "、"))
            ));
        }
    }
    page = page.card(summary);
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|f| vec![f.label.get(lang).to_owned(), f.describe(lang)])
        .collect();
    page = page.card(Card::new(t(lang, "Statistics", "统计")).table(
        vec![t(lang, "Field", "字段"), t(lang, "Summary", "汇总")],
        rows,
    ));
    let mut latest: Vec<_> = answers.iter().collect();
    latest.sort_by_key(|a| std::cmp::Reverse(a.submitted_at_ms));
    let rows = latest
        .iter()
        .take(20)
        .map(|a| {
            vec![
                a.serial.clone().unwrap_or_default(),
                a.respondent
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| t(lang, "(anonymous)", "（匿名）")),
                a.submitted_at_ms
                    .map(|ms| format_local(ms, courtyard_sdk::clock::utc_offset_minutes(ms)))
                    .unwrap_or_default(),
                format!("v{}", a.version),
            ]
        })
        .collect();
    page = page.card(Card::new(t(lang, "Latest answers", "最新答案")).table(
        vec![
            t(lang, "Serial no.", "流水号"),
            t(lang, "Respondent", "填写人"),
            t(lang, "Submitted", "提交时间"),
            t(lang, "Version", "版本"),
        ],
        rows,
    ));
    Ok(page)
}

/// The form itself, filled in with the reader's draft or answer.
pub fn fill(who: &Who, query: &Query) -> Result<Page> {
    let id = form_param(who, query)?;
    let form = ops::fill_form(who, &id, query.get("draft") == Some("1"))?;
    let s = ops::load(&id, who.lang)?.value;
    Ok(Page::new(s.form.title.get(who.lang).to_owned())
        .card(Card::new(s.form.title.get(who.lang).to_owned()).form(form)))
}
