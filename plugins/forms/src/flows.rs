//! What people do from `/form`, the cards' buttons and the forms behind them.

use courtyard_sdk::prelude::*;
use serde_json::{Map, Value};

use crate::cards;
use crate::domain::stats::field_stats_across;
use crate::domain::time::describe;
use crate::domain::{FormStatus, Lang, templates};
use crate::forms::{self, PublishValues};
use crate::ops::{self, Edit, Members, NewForm};
use crate::store;
use crate::who::Who;

fn help(who: &Who) -> String {
    who.tr(
        "/form — the open forms of this group\n\
         /form templates — the built-in templates\n\
         /form new daily_report — a new form from a template, published here\n\
         /form <id> — fill in a form\n\
         /form publish <id> · /form close <id> · /form remind <id> · /form results <id>\n\
         Pages: Forms, My forms, Results (?form=<id>). API: /api/v1/plugins/forms/…",
        "/form — 本群进行中的表单\n\
         /form templates — 内置模板\n\
         /form new daily_report — 用模板新建表单并在本群发布\n\
         /form <id> — 填写表单\n\
         /form publish <id> · /form close <id> · /form remind <id> · /form results <id>\n\
         页面：表单、我的表单、结果（?form=<id>）。接口：/api/v1/plugins/forms/…",
    )
}

/// `/form …`
pub fn command(ctx: &Context, args: &Args) -> Result<Reply> {
    let who = Who::of(ctx)?;
    let word = args.get(0).map(str::trim).filter(|a| !a.is_empty());
    let arg = args.get(1).map(str::trim).filter(|a| !a.is_empty());
    let need = |what: Option<&str>| {
        what.map(str::to_owned).ok_or_else(|| {
            who.error(
                "Say which form: /form publish <id>",
                "请指明表单：/form publish <id>",
            )
        })
    };
    match word {
        None => Ok(Reply::ephemeral(open_here(&who)?)),
        Some("help" | "帮助" | "?") => Ok(Reply::ephemeral(help(&who))),
        Some("templates" | "模板") => Ok(Reply::ephemeral(template_list(who.lang))),
        Some("new" | "新建") => {
            let template = arg.ok_or_else(|| {
                who.error(
                    format!(
                        "Say which template: /form new daily_report\n{}",
                        template_list(who.lang)
                    ),
                    format!(
                        "请指明模板：/form new daily_report\n{}",
                        template_list(who.lang)
                    ),
                )
            })?;
            let (stored, _) = ops::create(
                &who,
                NewForm {
                    template: Some(template.to_owned()),
                    ..NewForm::default()
                },
            )?;
            Ok(Reply::form(forms::publish_form(&stored, who.lang)))
        }
        Some("publish" | "发布") => {
            let (s, version) = ops::publish(&who, &need(arg)?)?;
            Ok(Reply::ephemeral(published_text(
                &who,
                &s,
                version.is_some(),
            )))
        }
        Some("close" | "结束") => {
            let s = ops::close(&who, &need(arg)?)?;
            Ok(Reply::ephemeral(who.tr(
                format!("“{}” is closed.", s.form.title.get(who.lang)),
                format!("“{}”已结束。", s.form.title.get(who.lang)),
            )))
        }
        Some("remind" | "提醒") => {
            let r = ops::remind(Some(&who), &need(arg)?)?;
            Ok(Reply::ephemeral(reminded_text(&who, &r)))
        }
        Some("results" | "结果") => Ok(Reply::ephemeral(results(&who, &need(arg)?)?)),
        Some(id) => Ok(Reply::form(ops::fill_form(&who, id, false)?)),
    }
}

fn template_list(lang: Lang) -> String {
    templates::builtin()
        .iter()
        .map(|t| {
            format!(
                "• {} — {}: {}",
                t.id,
                t.name.get(lang),
                t.description.get(lang)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The open forms addressed to this group, as text.
fn open_here(who: &Who) -> Result<String> {
    let group = who.group_id.clone().unwrap_or_default();
    let members = Members::default();
    let mut lines = Vec::new();
    for r in store::all_forms()? {
        let s = &r.value;
        if !s.form.settings.audience.groups.contains(&group)
            || !cards::open(s)
            || !ops::may_see(who, s, &members)
        {
            continue;
        }
        let mut line = format!(
            "• {} (v{}) · {} · {} {}",
            s.form.title.get(who.lang),
            s.form.latest_version,
            cards::rules(s, who.lang),
            s.answers,
            who.tr("answers", "份答案"),
        );
        if let Some(d) = s.form.settings.deadline_ms {
            let offset = courtyard_sdk::clock::utc_offset_minutes(d);
            line.push_str(&who.tr(
                format!(" · due {}", describe(d, offset, who.lang)),
                format!(" · 截止 {}", describe(d, offset, who.lang)),
            ));
        }
        line.push_str(&format!(" — /form {}", s.form.id));
        lines.push(line);
        if lines.len() == 30 {
            break;
        }
    }
    if lines.is_empty() {
        return Ok(who.tr(
            "No open forms in this group. Start one with /form new daily_report (/form templates lists them all).",
            "本群没有进行中的表单。可用 /form new daily_report 新建（/form templates 查看全部模板）。",
        ));
    }
    Ok(lines.join("\n"))
}

fn published_text(who: &Who, s: &store::Stored, new_version: bool) -> String {
    let title = s.form.title.get(who.lang);
    let n = s.form.latest_version;
    if new_version {
        who.tr(
            format!(
                "“{title}” is published (version {n}): its card is in the group. Form id: {}",
                s.form.id
            ),
            format!(
                "“{title}”已发布（第 {n} 版），卡片已发到群里。表单 ID：{}",
                s.form.id
            ),
        )
    } else {
        who.tr(
            format!("“{title}” is open again (version {n})."),
            format!("“{title}”已重新开放（第 {n} 版）。"),
        )
    }
}

fn reminded_text(who: &Who, r: &ops::Reminded) -> String {
    let mut text = who.tr(
        format!("Reminded {} people who have not answered.", r.sent),
        format!("已提醒 {} 位尚未填写的人。", r.sent),
    );
    if r.skipped > 0 {
        text.push(' ');
        text.push_str(&who.tr(
            format!("{} of another organization cannot be reached.", r.skipped),
            format!("{} 位其他组织的人员无法提醒。", r.skipped),
        ));
    }
    text
}

/// Statistics and who has not answered, as text, for the form's managers.
fn results(who: &Who, id: &str) -> Result<String> {
    let (s, versions, answers) = ops::results(who, id)?;
    let stats = field_stats_across(&versions, &answers);
    let pending = (s.form.status != FormStatus::Draft)
        .then(|| ops::outstanding(&s).ok().map(|o| o.pending))
        .flatten();
    Ok(cards::results_text(&s, &stats, pending, who.lang))
}

fn values_of(action: &Action) -> Map<String, Value> {
    action
        .form
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A button pressed, or a form submitted.
pub fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
    let who = Who::of(ctx)?;
    if action.is_form() {
        return submitted(&who, action);
    }
    let id = action.value.as_str();
    match action.action_id.as_str() {
        cards::FILL => Ok(ActionReply::form(ops::fill_form(&who, id, false)?)),
        cards::SAVE_DRAFT => Ok(ActionReply::form(ops::fill_form(&who, id, true)?)),
        cards::RESULTS => Ok(ActionReply::ephemeral(results(&who, id)?)),
        _ => Ok(ActionReply::None),
    }
}

fn submitted(who: &Who, action: &Action) -> Result<ActionReply> {
    match action.action_id.as_str() {
        forms::ANSWER => {
            let (form_id, n) = ops::parse_value(&action.value, who.lang)?;
            let done = ops::submit(who, &form_id, n, values_of(action))?;
            let serial = done.submission.serial.unwrap_or_default();
            // Answered on a personal card (an invitation, a reminder): the card says so.
            if let Some(message_id) = &action.message_id {
                let s = ops::load(&form_id, who.lang)?.value;
                if !s.cards.iter().any(|c| &c.message_id == message_id) {
                    return Ok(ActionReply::update(cards::answered(&s, &serial, who.lang)));
                }
            }
            Ok(ActionReply::ephemeral(if done.created {
                who.tr(
                    format!("Thank you: your answer {serial} is in."),
                    format!("感谢填写，答案 {serial} 已提交。"),
                )
            } else {
                who.tr(
                    format!("Your answer {serial} is changed."),
                    format!("答案 {serial} 已修改。"),
                )
            }))
        }
        forms::DRAFT => {
            let (form_id, n) = ops::parse_value(&action.value, who.lang)?;
            ops::save_draft(who, &form_id, n, values_of(action))?;
            Ok(ActionReply::ephemeral(who.tr(
                "Draft saved: “Fill in” continues from it.",
                "草稿已保存，点击“填写”可继续。",
            )))
        }
        forms::PUBLISH => {
            let id = action.value.clone();
            let values: PublishValues = action.form_as()?;
            let current = ops::managed(who, &id)?;
            let settings = values.settings(&current.value.form.settings)?;
            ops::save(
                who,
                &id,
                Edit {
                    definition: None,
                    settings: Some(serde_json::to_value(settings).map_err(Error::from)?),
                },
            )?;
            let (s, version) = ops::publish(who, &id)?;
            Ok(ActionReply::ephemeral(published_text(
                who,
                &s,
                version.is_some(),
            )))
        }
        _ => Ok(ActionReply::None),
    }
}
