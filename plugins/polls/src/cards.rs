//! The poll's card: the question, the options with live counts and shares, who chose what
//! (named polls), the closing time, and — while it is open — a button per option (single
//! choice) or a form of tick boxes (multiple choice). A closed card shows the final result
//! and no buttons. Counts that may not be shown (an anonymous poll with fewer than three
//! voters, or results kept until closing) are shown as "—" with the reason.

use courtyard_sdk::prelude::*;

use crate::model::{Lang, Poll, Tally, Voter, Withheld, percent, withheld};

/// Names listed per option on a card; the rest are "+N".
const NAMES_SHOWN: usize = 8;
/// Buttons per row (the host allows 10).
const ROW: usize = 10;
/// Longest button label the host takes.
const LABEL: usize = 40;

pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn bar(share: u32) -> String {
    let full = ((share + 5) / 10).min(10) as usize;
    format!("{}{}", "█".repeat(full), "░".repeat(10 - full))
}

/// Names as a short list: `Ann, Bob +3`.
pub fn names(list: &[Voter], lang: Lang) -> String {
    let sep = lang.tr(", ", "、");
    let shown: Vec<&str> = list
        .iter()
        .take(NAMES_SHOWN)
        .map(|v| v.name.as_str())
        .collect();
    let mut out = shown.join(sep);
    if list.len() > NAMES_SHOWN {
        out.push_str(&format!(" +{}", list.len() - NAMES_SHOWN));
    }
    clip(&out, 480)
}

pub fn kind_label(poll: &Poll, lang: Lang) -> String {
    match (poll.multi, poll.max) {
        (false, _) => lang.tr("Single choice", "单选").into(),
        (true, None) => lang.tr("Multiple choice", "多选").into(),
        (true, Some(n)) => lang.tr(
            format!("Multiple choice, up to {n}"),
            format!("多选，最多 {n} 项"),
        ),
    }
}

pub fn withheld_text(reason: Withheld, lang: Lang) -> String {
    match reason {
        Withheld::TooFew => lang
            .tr(
                "Anonymous poll: the counts appear once at least 3 people have voted.",
                "匿名投票：至少 3 人投票后才显示票数。",
            )
            .into(),
        Withheld::UntilClosed => lang
            .tr(
                "The results are shown when the poll closes.",
                "投票结束后公布结果。",
            )
            .into(),
    }
}

/// When the poll closes or closed, as a field.
fn when(poll: &Poll, lang: Lang) -> Option<(String, String)> {
    if let Some(at) = poll.closed_ms {
        let mut value = time::format_datetime(at);
        if let Some(by) = &poll.closed_by {
            value.push_str(&lang.tr(
                format!(" (closed early by {by})"),
                format!("（由 {by} 提前结束）"),
            ));
        }
        return Some((lang.tr("Closed", "已结束于").into(), value));
    }
    poll.closes_ms.map(|at| {
        (
            lang.tr("Closes", "截止时间").into(),
            time::format_datetime(at),
        )
    })
}

/// The results as a table (or "—" where they may not be shown).
fn results(poll: &Poll, tally: &Tally, lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let hide = withheld(poll, tally).is_some();
    let named = !poll.anonymous && !hide;
    let mut columns = vec![
        lang.tr("Option", "选项").to_owned(),
        lang.tr("Votes", "票数").to_owned(),
        lang.tr("Share of voters", "占投票人比例").to_owned(),
    ];
    if named {
        columns.push(lang.tr("Voters", "投票人").to_owned());
    }
    let rows = poll
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let mut row = vec![format!("{}. {}", i + 1, option)];
            match (&tally.counts, hide) {
                (Some(counts), false) => {
                    let n = counts.get(i).copied().unwrap_or(0);
                    let share = percent(n, tally.voters);
                    row.push(n.to_string());
                    row.push(format!("{share}% {}", bar(share)));
                }
                _ => {
                    row.push("—".into());
                    row.push("—".into());
                }
            }
            if named {
                row.push(
                    tally
                        .names
                        .get(i)
                        .map(|l| names(l, lang))
                        .unwrap_or_default(),
                );
            }
            row
        })
        .collect();
    (columns, rows)
}

/// The poll's card. `live`: with its buttons (the card in the group while the poll is
/// open); pages show it without.
pub fn card(id: &str, poll: &Poll, tally: &Tally, lang: Lang, live: bool) -> Card {
    let open = poll.is_open();
    let mut card = Card::new(clip(&poll.question, 200));
    card = if open {
        card.badge(lang.tr("Open", "进行中"), Tone::Success)
    } else {
        card.badge(lang.tr("Closed", "已结束"), Tone::Neutral)
    };
    card = card.badge(kind_label(poll, lang), Tone::Info);
    if poll.anonymous {
        card = card.badge(lang.tr("Anonymous", "匿名"), Tone::Warning);
    }
    if poll.hidden {
        card = card.badge(
            lang.tr("Results when closed", "结束后公布结果"),
            Tone::Neutral,
        );
    }
    card = card.field(lang.tr("Voters", "投票人数"), tally.voters.to_string());
    if let Some((label, value)) = when(poll, lang) {
        card = card.field(label, value);
    }
    card = card.field(lang.tr("Started by", "发起人"), poll.creator_name.clone());
    let (columns, rows) = results(poll, tally, lang);
    card = card.table(columns, rows);
    if let Some(reason) = withheld(poll, tally) {
        card = card.text(withheld_text(reason, lang));
    }
    if poll.anonymous {
        card = card.text(lang.tr(
            "Anonymous: nobody — the creator and administrators included — can see who voted for what.",
            "匿名投票：任何人（包括发起人和管理员）都无法看到谁投了哪一项。",
        ));
    }
    if !open {
        card = card.text(lang.tr("Final results.", "最终结果。"));
        return card;
    }
    if !live {
        return card;
    }
    if poll.multi {
        let most = poll.most();
        let help = lang.tr(
            format!("Choose up to {most}; sending again replaces your choice, sending none withdraws it."),
            format!("最多选 {most} 项；再次提交会替换之前的选择，不选任何项提交即撤回投票。"),
        );
        let choice = Field::multi_select("choice", lang.tr("Your choice", "你的选择"))
            .options(
                poll.options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (i.to_string(), o.clone())),
            )
            .max(most as f64)
            .help(help);
        card = card.form(
            Form::new("ballot", lang.tr("Vote", "投票"))
                .field(choice)
                .submit_label(lang.tr("Vote", "投票"))
                .value(id),
        );
    } else {
        for (i, option) in poll.options.iter().enumerate() {
            if i > 0 && i % ROW == 0 {
                // A new row of buttons (consecutive buttons share one).
                card = card.divider();
            }
            card = card.button(
                Button::new("vote", clip(option, LABEL))
                    .primary()
                    .value(format!("{id}:{i}")),
            );
        }
    }
    card.divider()
        .button(Button::new("mine", lang.tr("My vote", "我的投票")).value(id))
        .button(
            Button::new("withdraw", lang.tr("Withdraw my vote", "撤回投票"))
                .value(id)
                .confirm(lang.tr("Withdraw your vote?", "确定撤回你的投票？")),
        )
        .button(
            Button::new("close", lang.tr("Close poll", "结束投票"))
                .danger()
                .value(id)
                .confirm(lang.tr(
                    "Close the poll now? Nobody can vote after that.",
                    "现在结束投票？结束后不能再投票。",
                )),
        )
}
