//! Polls (投票): `/poll "Lunch?" Noodles Dumplings Rice` posts a card in the group; people
//! vote with its buttons (single choice) or its tick boxes (multiple choice), change or
//! withdraw their vote until it closes, and the card shows the count as it grows. A poll
//! may be anonymous (nobody, its creator and admins included, can tell who voted for
//! what), keep its results until it closes, and close at a set time. Results export as CSV.
//!
//! - `parse`: the command line (pure; property-tested);
//! - `model`: polls, ballots and the count, sealed anonymous ballots (pure);
//! - `store`: ballots in shards with compare-and-set, and keeping the card current under
//!   concurrent votes (pure over a key-value trait; raced natively in tests);
//! - `ops`: the operations on the host; `cards`, `pages`, `routes`, `csv`: what people see.

pub mod cards;
pub mod csv;
pub mod model;
pub mod ops;
pub mod pages;
pub mod parse;
pub mod routes;
pub mod store;

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};
use serde::{Deserialize, Serialize};

use crate::model::Lang;
use crate::ops::{Closed, Closer, NewPoll};
use crate::parse::{Flags, ParseError, Parsed, Spec};

pub struct Polls;

fn help(lang: Lang) -> String {
    lang.tr(
        "Start a poll:\n\
         /poll \"Lunch?\" Noodles Dumplings \"Fried rice\"\n\
         Quote what has spaces (\"…\" or “…”); 2 to 20 options. Flags, anywhere:\n\
         --multi — multiple choice (--max 2: at most 2 each)\n\
         --anonymous — nobody, the creator and admins included, sees who voted for what; counts appear once 3 people voted\n\
         --hidden — results only when the poll closes\n\
         --closes 2h — or 30m, 1d, 18:00, 2026-12-24 18:00 (the organization's time)\n\
         /poll alone opens a form. Vote on the card; vote again to change your vote.",
        "发起投票：\n\
         /poll “午饭吃什么？” 面条 饺子 “炒 饭”\n\
         含空格的内容请加引号（“…” 或 \"…\"）；2 到 20 个选项。可在任意位置加参数：\n\
         --多选 —— 多选（--最多 2：每人最多选 2 项）\n\
         --匿名 —— 任何人（包括发起人和管理员）都看不到谁投了什么；至少 3 人投票后才显示票数\n\
         --隐藏结果 —— 投票结束后才公布结果\n\
         --截止 2h —— 也可写 30m、1d、2小时、18:00、2026-12-24 18:00（按组织时区）\n\
         只输入 /poll 会打开表单。在卡片上投票，再投一次即可修改。",
    )
    .into()
}

/// What the "new poll" form submits.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct NewPollForm {
    question: Option<String>,
    options: Option<String>,
    multi: Option<bool>,
    max: Option<f64>,
    anonymous: Option<bool>,
    hidden: Option<bool>,
    closes: Option<String>,
}

fn new_poll_form(lang: Lang) -> Form {
    Form::new("create", lang.tr("New poll", "发起投票"))
        .field(
            Field::text("question", lang.tr("Question", "问题"))
                .required()
                .max(parse::MAX_QUESTION as f64)
                .placeholder(lang.tr("Lunch?", "午饭吃什么？")),
        )
        .field(
            Field::textarea(
                "options",
                lang.tr("Options, one per line", "选项（每行一个）"),
            )
            .required()
            .max(2000)
            .help(lang.tr(
                "2 to 20 options, each at most 80 characters.",
                "2 到 20 个选项，每个最多 80 个字。",
            )),
        )
        .field(Field::checkbox("multi", lang.tr("Multiple choice", "多选")))
        .field(
            Field::number(
                "max",
                lang.tr("At most this many choices each", "每人最多选几项"),
            )
            .min(2)
            .max(parse::MAX_OPTIONS as f64)
            .visible_if("multi", "true")
            .help(lang.tr("Empty: any number.", "留空表示不限。")),
        )
        .field(
            Field::checkbox("anonymous", lang.tr("Anonymous", "匿名投票")).help(lang.tr(
                "Nobody, you and the administrators included, can see who voted for what.",
                "任何人（包括你和管理员）都看不到谁投了哪一项。",
            )),
        )
        .field(Field::checkbox(
            "hidden",
            lang.tr("Show the results only when it closes", "结束后才公布结果"),
        ))
        .field(
            Field::datetime("closes", lang.tr("Closes at", "截止时间"))
                .help(lang.tr("Optional.", "可不填。")),
        )
        .submit_label(lang.tr("Post the poll", "发布投票"))
}

/// The field of the form a refusal is about.
fn field_of(e: &ParseError) -> &'static str {
    use ParseError::*;
    match e {
        NoQuestion | QuestionTooLong { .. } | UnclosedQuote { .. } => "question",
        BadMax { .. } | MaxTooSmall | MaxTooLarge { .. } => "max",
        BadClosing { .. } | ClosingTooFar | MissingValue { .. } => "closes",
        _ => "options",
    }
}

fn posted(lang: Lang, closes_ms: Option<i64>) -> String {
    match closes_ms {
        Some(at) => {
            let at = time::format_datetime(at);
            lang.tr(
                format!("Poll posted. It closes at {at}."),
                format!("投票已发布，将于 {at} 截止。"),
            )
        }
        None => lang
            .tr(
                "Poll posted. Close it from its card when you are done.",
                "投票已发布。可在卡片上结束投票。",
            )
            .into(),
    }
}

fn create_from(ctx: &Context, spec: Spec, closes_ms: Option<i64>) -> Result<String> {
    let lang = Lang::from_locale(ctx.locale());
    let (_, poll) = ops::create(
        ctx,
        NewPoll {
            question: spec.question,
            options: spec.options,
            multi: spec.multi,
            max: spec.max,
            anonymous: spec.anonymous,
            hidden: spec.hidden,
            closes_ms,
        },
    )?;
    Ok(posted(lang, poll.closes_ms))
}

/// The "new poll" form, sent: the poll, or the form again with what was wrong.
fn submitted(ctx: &Context, action: &Action) -> Result<ActionReply> {
    let lang = Lang::from_locale(ctx.locale());
    let values: NewPollForm = action.form_as()?;
    let again = |field: &str, message: String| {
        Ok(ActionReply::form(
            new_poll_form(lang).fill(&values).help_for(field, message),
        ))
    };
    let multi = values.multi.unwrap_or(false);
    let max = match values.max.filter(|_| multi) {
        Some(m) if m.fract() != 0.0 || m < 0.0 => {
            let e = ParseError::BadMax {
                value: m.to_string(),
            };
            return again("max", e.message(lang.is_zh()));
        }
        Some(m) => Some(m as u32),
        None => None,
    };
    let options: Vec<String> = values
        .options
        .as_deref()
        .unwrap_or_default()
        .lines()
        .filter(|l| !parse::normalize(l).is_empty())
        .map(str::to_owned)
        .collect();
    let flags = Flags {
        multi,
        max,
        anonymous: values.anonymous.unwrap_or(false),
        hidden: values.hidden.unwrap_or(false),
        closes: None,
    };
    let spec = match parse::build(values.question.as_deref(), options, flags) {
        Ok(s) => s,
        Err(e) => return again(field_of(&e), e.message(lang.is_zh())),
    };
    let closes_ms = match values.closes.as_deref().filter(|c| !c.trim().is_empty()) {
        None => None,
        Some(text) => {
            match time::parse_datetime(text).and_then(|at| ops::check_closing(at, lang)) {
                Ok(at) => Some(at),
                Err(e) => return again("closes", e.message),
            }
        }
    };
    Ok(ActionReply::ephemeral(create_from(ctx, spec, closes_ms)?))
}

/// `{poll}:{option}` from a button.
fn vote_value(value: &str, lang: Lang) -> Result<(&str, u8)> {
    value
        .rsplit_once(':')
        .and_then(|(id, i)| Some((id, i.parse().ok()?)))
        .ok_or_else(|| ops::user(lang, "That is not an option.", "没有这个选项。"))
}

#[derive(Deserialize)]
struct BallotForm {
    #[serde(default)]
    choice: Option<Vec<String>>,
}

impl Plugin for Polls {
    fn command(ctx: &Context, command: &str, args: &Args) -> Result<Reply> {
        let lang = Lang::from_locale(ctx.locale());
        if command != "poll" {
            return Err(ops::user(
                lang,
                format!("Unknown command /{command}"),
                format!("未知命令 /{command}"),
            ));
        }
        ctx.group()?;
        match parse::parse(args.raw()) {
            Ok(Parsed::Form) => Ok(Reply::form(new_poll_form(lang))),
            Ok(Parsed::Help) => Ok(Reply::ephemeral(help(lang))),
            Ok(Parsed::Create(spec)) => {
                let closes_ms = spec
                    .closes
                    .map(|c| ops::resolve_closing(c, lang))
                    .transpose()?;
                Ok(Reply::ephemeral(create_from(ctx, spec, closes_ms)?))
            }
            Err(e) => Err(Error::user(e.message(lang.is_zh()))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        let lang = Lang::from_locale(ctx.locale());
        let message = action.message_id.as_deref();
        let text = match action.action_id.as_str() {
            "create" => return submitted(ctx, action),
            "vote" => {
                let (id, option) = vote_value(&action.value, lang)?;
                ops::vote(ctx, message, id, vec![option])?
            }
            "ballot" => {
                let form: BallotForm = action.form_as()?;
                let choice = form
                    .choice
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.parse::<u8>())
                    .collect::<std::result::Result<Vec<u8>, _>>()
                    .map_err(|_| ops::user(lang, "That is not an option.", "没有这个选项。"))?;
                ops::vote(ctx, message, &action.value, choice)?
            }
            "withdraw" => ops::vote(ctx, message, &action.value, Vec::new())?,
            "mine" => ops::my_vote(ctx, message, &action.value)?,
            "close" => {
                let me = ctx.person()?;
                // The button must be on this poll's card.
                let id = &action.value;
                let poll = ops::POLLS.get(id)?.map(|r| r.value);
                if poll.as_ref().and_then(|p| p.message_id.as_deref()) != message {
                    return Err(ops::user(
                        lang,
                        "This button does not belong to that poll.",
                        "这个按钮不属于该投票。",
                    ));
                }
                let closer = Closer {
                    id: &me.id,
                    name: &me.display_name,
                    admin: ctx.is_admin(),
                    lang,
                };
                match ops::close(id, Some(closer))? {
                    Closed::Now => lang.tr("Poll closed.", "投票已结束。").to_owned(),
                    Closed::Already => lang
                        .tr("The poll was already closed.", "投票早已结束。")
                        .to_owned(),
                }
            }
            _ => return Ok(ActionReply::None),
        };
        Ok(ActionReply::ephemeral(text))
    }

    fn page(ctx: &Context, page: &str, _query: &Query) -> Result<Page> {
        match page {
            "polls" => pages::polls(ctx),
            "mine" => pages::mine(ctx),
            other => Err(Error::not_found(format!(
                "There is no page `{other}` / 没有页面 `{other}`"
            ))),
        }
    }

    fn http(ctx: &Context, request: &Request) -> Response {
        routes::route(ctx, request)
    }

    /// `close.{poll}`: the closing time came; `refresh.{poll}`: the card is redrawn after
    /// a storm of votes outlasted the calls that drew it.
    fn timer(_ctx: &Context, timer: &Timer) -> Result<()> {
        let id: String = timer.payload_as()?;
        if timer.name.starts_with("close.") {
            ops::close(&id, None)?;
        } else if timer.name.starts_with("refresh.") {
            ops::refresh_card(&id);
        }
        Ok(())
    }
}

courtyard_sdk::plugin!(Polls);
