//! The form's card: one in every audience group, updated in place as answers come in and
//! when the form closes; the invitation and the reminder people get in their direct
//! conversation with the plugin; and results as text. Buttons carry the form id; whether
//! the person pressing may do it is checked when they press.

use courtyard_sdk::prelude::*;

use crate::domain::stats::FieldStats;
use crate::domain::time::describe;
use crate::domain::{Definition, FormStatus, Lang};
use crate::store::Stored;

/// Answers the form (or changes one's answer).
pub const FILL: &str = "fill";
/// Opens the form to save a draft with.
pub const SAVE_DRAFT: &str = "save_draft";
/// Results as text, for the form's managers.
pub const RESULTS: &str = "results";

fn t(lang: Lang, en: &str, zh: &str) -> String {
    lang.pick(en, zh).to_owned()
}

fn offset(at: i64) -> i32 {
    courtyard_sdk::clock::utc_offset_minutes(at)
}

/// Where the form stands: open, past its deadline, closed, not yet published.
pub fn status(s: &Stored, lang: Lang) -> (String, Tone) {
    let now = courtyard_sdk::clock::now_ms();
    match s.form.status {
        FormStatus::Draft => (t(lang, "Draft", "草稿"), Tone::Neutral),
        FormStatus::Closed => (t(lang, "Closed", "已结束"), Tone::Neutral),
        FormStatus::Published if s.form.settings.deadline_ms.is_some_and(|d| now > d) => {
            (t(lang, "Deadline passed", "已截止"), Tone::Warning)
        }
        FormStatus::Published => (t(lang, "Open", "进行中"), Tone::Success),
    }
}

/// Whether answers are taken now.
pub fn open(s: &Stored) -> bool {
    let now = courtyard_sdk::clock::now_ms();
    s.form.accepting(now, offset(now)).is_ok()
}

/// How the form is answered, in a few words.
pub fn rules(s: &Stored, lang: Lang) -> String {
    let st = &s.form.settings;
    let mut parts = vec![if st.repeatable {
        t(lang, "several answers per person", "每人可提交多次")
    } else {
        t(lang, "one answer per person", "每人一份")
    }];
    if st.editable {
        parts.push(t(
            lang,
            "changes allowed until the deadline",
            "截止前可修改",
        ));
    }
    if st.anonymous {
        parts.push(t(lang, "anonymous", "匿名"));
    }
    parts.join(lang.pick(" · ", "，"))
}

/// The title and description as published (the working copy's, before the first
/// publication): the builder's unpublished edits do not show.
fn head(s: &Stored, shown: &Definition, lang: Lang) -> Card {
    let (label, tone) = status(s, lang);
    let title = if shown.title.is_blank() {
        &s.form.title
    } else {
        &shown.title
    };
    let mut card = Card::new(format!("📋 {}", title.get(lang))).badge(label, tone);
    let d = shown.description.get(lang).trim();
    if !d.is_empty() {
        card = card.text(d.chars().take(1000).collect::<String>());
    }
    if let Some(d) = s.form.settings.deadline_ms {
        card = card.field(
            t(lang, "Deadline", "截止时间"),
            describe(d, offset(d), lang),
        );
    }
    card.field(t(lang, "Answering", "填写规则"), rules(s, lang))
}

fn buttons(mut card: Card, s: &Stored, lang: Lang, results: bool) -> Card {
    let id = s.form.id.clone();
    if open(s) {
        card = card
            .button(
                Button::new(FILL, t(lang, "Fill in", "填写"))
                    .primary()
                    .value(id.clone()),
            )
            .button(Button::new(SAVE_DRAFT, t(lang, "Save a draft", "暂存草稿")).value(id.clone()));
    }
    if results {
        card = card.button(Button::new(RESULTS, t(lang, "Results", "查看结果")).value(id));
    }
    card
}

/// The card in an audience group: status, deadline, rules, answers so far.
pub fn form_card(s: &Stored, shown: &Definition, audience: usize, lang: Lang) -> Card {
    let mut card = head(s, shown, lang);
    if s.form.settings.anonymous {
        card = card.text(t(
            lang,
            "Anonymous: nobody, administrators included, can see who answered what.",
            "匿名填写：包括管理员在内，任何人都无法看到谁填写了什么。",
        ));
    }
    card = card
        .field(
            t(lang, "Version", "版本"),
            format!("v{}", s.form.latest_version),
        )
        .field(t(lang, "Answers", "已提交"), s.answers.to_string())
        .field(
            t(lang, "Addressed to", "填写范围"),
            match lang {
                Lang::En => format!("{audience} people"),
                Lang::Zh => format!("{audience} 人"),
            },
        );
    buttons(card, s, lang, true)
}

/// The card a person the form names gets in their direct conversation with the plugin,
/// with the form inline to fill in right there.
pub fn invitation(s: &Stored, shown: &Definition, form: Option<Form>, lang: Lang) -> Card {
    let card = head(s, shown, lang).text(t(
        lang,
        "You are asked to fill in this form.",
        "请填写此表单。",
    ));
    inline(buttons(card, s, lang, false), s, form)
}

/// The reminder a person who has not answered gets in their direct conversation, with the
/// form inline.
pub fn reminder(s: &Stored, form: Option<Form>, lang: Lang) -> Card {
    let mut card = Card::new(format!(
        "⏰ {}{}",
        t(lang, "Reminder: ", "提醒："),
        s.form.title.get(lang)
    ))
    .text(t(
        lang,
        "You have not answered this form yet.",
        "你还没有填写此表单。",
    ));
    if let Some(d) = s.form.settings.deadline_ms {
        card = card.field(
            t(lang, "Deadline", "截止时间"),
            describe(d, offset(d), lang),
        );
    }
    inline(buttons(card, s, lang, false), s, form)
}

fn inline(card: Card, s: &Stored, form: Option<Form>) -> Card {
    match form {
        Some(f) if open(s) => card.form(f),
        _ => card,
    }
}

/// What a personal card (an invitation, a reminder) becomes once its person answered.
pub fn answered(s: &Stored, serial: &str, lang: Lang) -> Card {
    let card = Card::new(format!("✅ {}", s.form.title.get(lang)))
        .badge(t(lang, "Answered", "已填写"), Tone::Success)
        .field(t(lang, "Serial no.", "流水号"), serial.to_owned());
    // Still something to do: change the answer, or give another.
    if s.form.settings.editable || s.form.settings.repeatable {
        buttons(card, s, lang, false)
    } else {
        card
    }
}

/// Per-field statistics as lines of text (a button's answer, a command's).
pub fn results_text(
    s: &Stored,
    stats: &[FieldStats],
    pending: Option<usize>,
    lang: Lang,
) -> String {
    let mut lines = vec![format!(
        "{} · {} {}",
        s.form.title.get(lang),
        s.answers,
        t(lang, "answers", "份答案")
    )];
    if let Some(p) = pending {
        lines.push(match lang {
            Lang::En => format!("Not answered yet: {p}"),
            Lang::Zh => format!("尚未填写：{p} 人"),
        });
    }
    for f in stats {
        lines.push(format!("{}: {}", f.label.get(lang), f.describe(lang)));
    }
    let mut text = lines.join("\n");
    if text.len() > 15_000 {
        let mut cut = 15_000;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}
