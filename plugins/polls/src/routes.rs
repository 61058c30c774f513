//! The HTTP API under `/api/v1/plugins/polls/` (signed in; `?group_id=` puts the call in a
//! group the caller belongs to):
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET polls` | anyone | the group's polls (with `?group_id=`), else the ones I started |
//! | `GET polls/{id}` | the poll's group, its creator, org admins | the poll and its count |
//! | `GET polls/{id}/export.csv` | its creator, org admins | the results as CSV (`?lang=zh`, `?by=voter` for a named poll's ballots) |
//! | `POST polls/{id}/close` | its creator, org admins | closes it now |
//!
//! Errors are `{"code", "message"}` in the caller's language. An anonymous poll's answers
//! carry counts only, and none while fewer than three have voted — for everyone, creator and
//! admins included.

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};
use serde_json::{Value, json};

use crate::csv;
use crate::model::{Lang, Poll, Status, Withheld, may_manage, percent, withheld};
use crate::ops::{self, Closer, POLLS, Snapshot};

struct Caller {
    id: String,
    name: String,
    admin: bool,
    group: Option<String>,
    lang: Lang,
}

fn fail(status: u16, code: &str, lang: Lang, en: &str, zh: &str) -> Response {
    Response::error(status, code, lang.tr(en, zh))
}

fn from_error(e: Error, lang: Lang) -> Response {
    match e.kind() {
        ErrorKind::User => Response::error(400, "refused", e.message),
        ErrorKind::NotFound => not_found(lang),
        _ => Response::error(500, "failed", e.message),
    }
}

fn not_found(lang: Lang) -> Response {
    fail(404, "not_found", lang, "No such poll.", "没有这个投票。")
}

pub fn route(ctx: &Context, request: &Request) -> Response {
    let lang = Lang::from_locale(ctx.locale());
    let Some(actor) = &ctx.actor else {
        return fail(401, "unauthorized", lang, "Sign in first.", "请先登录。");
    };
    let caller = Caller {
        id: actor.id.clone(),
        name: actor.display_name.clone(),
        admin: ctx.is_admin(),
        group: ctx.group_id.clone(),
        lang,
    };
    let path = request.path.trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let answer = match (request.method.as_str(), parts.as_slice()) {
        ("GET", ["polls"]) => list(&caller),
        ("GET", ["polls", id]) => get(&caller, id),
        ("GET", ["polls", id, "export.csv"]) => export(&caller, id, request),
        ("POST", ["polls", id, "close"]) => close(&caller, id),
        _ => Ok(fail(
            404,
            "not_found",
            lang,
            "There is no such route.",
            "没有这个接口。",
        )),
    };
    answer.unwrap_or_else(|e| from_error(e, lang))
}

/// Whether the caller may read a poll: a member of its group (the host puts the call in
/// the group only for members), its creator, or an org admin.
fn may_read(caller: &Caller, poll: &Poll) -> bool {
    caller.group.as_deref() == Some(poll.group_id.as_str())
        || may_manage(poll, &caller.id, caller.admin)
}

fn withheld_code(reason: Withheld) -> &'static str {
    match reason {
        Withheld::TooFew => "too_few_votes",
        Withheld::UntilClosed => "until_closed",
    }
}

/// A poll as JSON, as anyone who may read it may see it.
pub fn poll_json(s: &Snapshot) -> Value {
    let (poll, tally) = (&s.poll, &s.tally);
    let hidden = withheld(poll, tally);
    let options: Vec<Value> = poll
        .options
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut o = json!({"index": i, "text": text});
            if let (None, Some(counts)) = (hidden, &tally.counts) {
                let n = counts.get(i).copied().unwrap_or(0);
                o["votes"] = json!(n);
                o["share"] = json!(percent(n, tally.voters));
                if !poll.anonymous {
                    o["voters"] = json!(tally.names.get(i).cloned().unwrap_or_default());
                }
            }
            o
        })
        .collect();
    json!({
        "id": s.id,
        "question": poll.question,
        "options": options,
        "multi": poll.multi,
        "max": poll.multi.then(|| poll.most()),
        "anonymous": poll.anonymous,
        "hidden": poll.hidden,
        "status": if poll.status == Status::Open { "open" } else { "closed" },
        "voters": tally.voters,
        "results_withheld": hidden.map(withheld_code),
        "group_id": poll.group_id,
        "message_id": poll.message_id,
        "creator": {"id": poll.creator_id, "name": poll.creator_name},
        "created_at_ms": poll.created_ms,
        "closes_at_ms": poll.closes_ms,
        "closed_at_ms": poll.closed_ms,
        "closed_by": poll.closed_by,
    })
}

fn readable(caller: &Caller, id: &str) -> Result<Option<Snapshot>> {
    Ok(ops::snapshot(id)?.filter(|s| may_read(caller, &s.poll)))
}

fn list(caller: &Caller) -> Result<Response> {
    let found = match &caller.group {
        Some(g) => POLLS.find("group", &Target::group(g.clone()), None, 50)?,
        None => POLLS.find("creator", &Target::person(caller.id.clone()), None, 50)?,
    };
    let mut polls = Vec::new();
    for r in found {
        let tally = ops::count(&r.id, &r.value)?;
        let s = Snapshot {
            id: r.id.clone(),
            poll: r.value,
            tally,
        };
        if may_read(caller, &s.poll) {
            polls.push(poll_json(&s));
        }
    }
    Ok(Response::json(&json!({ "polls": polls })))
}

fn get(caller: &Caller, id: &str) -> Result<Response> {
    Ok(match readable(caller, id)? {
        Some(s) => Response::json(&poll_json(&s)),
        None => not_found(caller.lang),
    })
}

fn export(caller: &Caller, id: &str, request: &Request) -> Result<Response> {
    let lang = match request.query.get("lang") {
        Some(l) if l.starts_with("zh") => Lang::Zh,
        Some(l) if l.starts_with("en") => Lang::En,
        _ => caller.lang,
    };
    let Some(s) = readable(caller, id)? else {
        return Ok(not_found(caller.lang));
    };
    if !may_manage(&s.poll, &caller.id, caller.admin) {
        return Ok(fail(
            403,
            "forbidden",
            caller.lang,
            "Only the person who started the poll or an organization admin can export it.",
            "只有投票发起人或组织管理员可以导出结果。",
        ));
    }
    if let Some(reason) = withheld(&s.poll, &s.tally) {
        let (en, zh) = match reason {
            Withheld::TooFew => (
                "Fewer than 3 people have voted in this anonymous poll: its counts are not shown to anyone.",
                "该匿名投票的投票人数少于 3 人，票数不向任何人显示。",
            ),
            Withheld::UntilClosed => (
                "The results are shown when the poll closes.",
                "投票结束后才公布结果。",
            ),
        };
        return Ok(fail(403, withheld_code(reason), caller.lang, en, zh));
    }
    let times = s
        .poll
        .closed_ms
        .or(s.poll.closes_ms)
        .map(time::format_datetime);
    let (text, file) = if request.query.get("by") == Some("voter") {
        if s.poll.anonymous {
            return Ok(fail(
                403,
                "anonymous",
                caller.lang,
                "An anonymous poll has no list of voters.",
                "匿名投票没有投票人名单。",
            ));
        }
        let voters = ops::named_ballots(id, &s.poll)?;
        (
            csv::ballots(&s.poll, &voters, lang),
            format!("poll-{id}-ballots.csv"),
        )
    } else {
        (
            csv::results(&s.poll, &s.tally, lang, times),
            format!("poll-{id}.csv"),
        )
    };
    Ok(Response::new(200)
        .with_header("content-type", "text/csv; charset=utf-8")
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        )
        .with_body(text.into_bytes()))
}

fn close(caller: &Caller, id: &str) -> Result<Response> {
    let Some(s) = readable(caller, id)? else {
        return Ok(not_found(caller.lang));
    };
    if !may_manage(&s.poll, &caller.id, caller.admin) {
        return Ok(fail(
            403,
            "forbidden",
            caller.lang,
            "Only the person who started the poll or an organization admin can close it.",
            "只有投票发起人或组织管理员可以结束投票。",
        ));
    }
    ops::close(
        id,
        Some(Closer {
            id: &caller.id,
            name: &caller.name,
            admin: caller.admin,
            lang: caller.lang,
        }),
    )?;
    get(caller, id)
}
