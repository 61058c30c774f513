//! The HTTP API under `/api/v1/plugins/forms/` (session routes; `?group_id=` puts the call
//! in a group, which then is a new form's default audience):
//!
//! | route | what |
//! |---|---|
//! | `GET templates` | the built-in templates |
//! | `GET forms` | the forms one manages or is addressed to (`?status=`, `?managed=1`; in a group: its forms) |
//! | `POST forms` | `{template?, definition?, settings?}`: a draft form (builder JSON checked, every problem named) |
//! | `GET forms/{id}` | the form, its working copy (managers) and its versions |
//! | `PUT forms/{id}` | `{definition?, settings?}`: edit the working copy and how it is answered |
//! | `GET forms/{id}/versions/{n}` | one published version |
//! | `POST forms/{id}/publish`, `POST forms/{id}/close` | publish (a new version when changed; cards in the groups), close |
//! | `GET forms/{id}/form` | the form as the host renders it (`?draft=1`), to preview |
//! | `GET forms/{id}/draft` | my draft |
//! | `GET forms/{id}/submissions` | answers, filtered: `version`, `respondent`, `from`, `to`, `q`, `field` + `value`, `limit`, `offset` |
//! | `GET forms/{id}/submissions/{sid}` | one answer as people read it, under its own version |
//! | `GET forms/{id}/stats` | per-field statistics (`?version=`) |
//! | `GET forms/{id}/outstanding`, `POST forms/{id}/remind` | who has not answered; remind them |
//! | `GET forms/{id}/export.csv` | CSV for Excel (UTF-8 with BOM; `?version=`, `?table=`, `?lang=zh`) |
//!
//! Answers are given through the host's forms (the card's "Fill in", `/form <id>`, the
//! `fill` page), which check them against the version before the plugin sees them.
//! Errors are `{"code", "message"}` in the caller's language, with `errors: [{path, code,
//! message}]` for a definition's problems. Anonymous answers never carry a person.

use courtyard_sdk::http::{Request, Response};
use courtyard_sdk::prelude::Context;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::domain::csv::{CsvOptions, answers_csv, table_csv};
use crate::domain::display::detail;
use crate::domain::render::{RenderOptions, render};
use crate::domain::stats::{field_stats, field_stats_across};
use crate::domain::submission::{Filter, filter};
use crate::domain::time::{DAY_MS, Date, start_of_local_day};
use crate::domain::{FormStatus, Lang, Submission, Version, templates};
use crate::names::Names;
use crate::ops::{self, Edit, Fail, Members, NewForm, R};
use crate::store::{self, Stored};
use crate::who::Who;

fn respond(result: R<Response>) -> Response {
    result.unwrap_or_else(|f| Response::json(&f.body()).with_status(f.status))
}

fn json_ok(value: &Value) -> R<Response> {
    Ok(Response::json(value))
}

fn body<T: DeserializeOwned>(who: &Who, request: &Request) -> R<T> {
    let text = if request.body.is_empty() {
        b"{}".as_slice()
    } else {
        request.body.as_slice()
    };
    serde_json::from_slice(text).map_err(|e| {
        Fail::new(
            400,
            "invalid_json",
            who.tr(
                format!("The body is not what this route takes: {e}"),
                format!("请求体格式不正确：{e}"),
            ),
        )
    })
}

pub fn route(ctx: &Context, request: &Request) -> Response {
    let who = match Who::of(ctx) {
        Ok(w) => w,
        Err(_) => {
            return Response::error(401, "unauthorized", "sign in / 请先登录");
        }
    };
    let path = request.path.trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    respond(match (request.method.as_str(), parts.as_slice()) {
        ("GET", ["templates"]) => list_templates(&who),
        ("GET", ["forms"]) => list(&who, request),
        ("POST", ["forms"]) => create(&who, request),
        ("GET", ["forms", id]) => get(&who, id),
        ("PUT", ["forms", id]) => edit(&who, id, request),
        ("GET", ["forms", id, "versions", n]) => get_version(&who, id, n),
        ("POST", ["forms", id, "publish"]) => publish(&who, id),
        ("POST", ["forms", id, "close"]) => ops::close(&who, id).and_then(|s| form_json(&who, &s)),
        ("GET", ["forms", id, "form"]) => preview(&who, id, request),
        ("GET", ["forms", id, "draft"]) => my_draft(&who, id),
        ("GET", ["forms", id, "submissions"]) => submissions(&who, id, request),
        ("GET", ["forms", id, "submissions", sid]) => submission(&who, id, sid),
        ("GET", ["forms", id, "stats"]) => stats(&who, id, request),
        ("GET", ["forms", id, "outstanding"]) => outstanding(&who, id),
        ("POST", ["forms", id, "remind"]) => remind(&who, id),
        ("GET", ["forms", id, "export.csv"]) => export(&who, id, request),
        _ => Err(Fail::new(
            404,
            "not_found",
            who.tr(
                format!("There is no {} {path} here", request.method),
                format!("没有 {} {path} 这个接口", request.method),
            ),
        )),
    })
}

fn list_templates(who: &Who) -> R<Response> {
    let list: Vec<Value> = templates::builtin()
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name.get(who.lang),
                "description": t.description.get(who.lang),
                "settings": t.settings,
                "deadline_days": t.deadline_days,
                "definition": t.definition,
            })
        })
        .collect();
    json_ok(&json!({ "templates": list }))
}

/// A form as the API shows it: never its secret.
fn summary(s: &Stored) -> Value {
    json!({
        "id": s.form.id,
        "form": s.form,
        "answers": s.answers,
        "cards": s.cards,
    })
}

fn form_json(who: &Who, s: &Stored) -> R<Response> {
    let manage = ops::may_manage(who, s);
    let versions = store::all_versions(&s.form)?;
    let list: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "number": v.number,
                "published_at_ms": v.published_at_ms,
                "published_by": v.published_by,
                "title": v.definition.title,
                "fields": v.definition.fields.len(),
            })
        })
        .collect();
    let mut out = summary(s);
    out["may_manage"] = json!(manage);
    out["versions"] = Value::Array(list);
    out["latest"] = versions.last().map_or(Value::Null, |v| json!(v.definition));
    if manage {
        out["definition"] = json!(store::definitions().get(&s.form.id)?.map(|d| d.value));
    }
    json_ok(&out)
}

fn list(who: &Who, request: &Request) -> R<Response> {
    let members = Members::default();
    let status = request.query.get("status");
    let managed_only = request.query.get("managed") == Some("1");
    let items: Vec<Value> = store::all_forms()?
        .into_iter()
        .map(|r| r.value)
        .filter(|s| {
            who.group_id.as_ref().is_none_or(|g| {
                s.form.settings.audience.groups.contains(g) || s.home_group.as_ref() == Some(g)
            })
        })
        .filter(|s| {
            status.is_none_or(|st| serde_json::to_value(s.form.status).is_ok_and(|v| v == st))
        })
        .filter(|s| {
            if managed_only {
                ops::may_manage(who, s)
            } else {
                ops::may_see(who, s, &members)
            }
        })
        .map(|s| summary(&s))
        .collect();
    json_ok(&json!({ "forms": items }))
}

fn create(who: &Who, request: &Request) -> R<Response> {
    let new: NewForm = body(who, request)?;
    let (s, def) = ops::create(who, new)?;
    let mut out = summary(&s);
    out["definition"] = json!(def);
    Ok(Response::json(&out).with_status(201))
}

fn get(who: &Who, id: &str) -> R<Response> {
    let record = ops::visible(who, id)?;
    form_json(who, &record.value)
}

fn edit(who: &Who, id: &str, request: &Request) -> R<Response> {
    let e: Edit = body(who, request)?;
    let (s, def) = ops::save(who, id, e)?;
    let mut out = summary(&s);
    out["definition"] = json!(def);
    json_ok(&out)
}

fn get_version(who: &Who, id: &str, n: &str) -> R<Response> {
    let record = ops::visible(who, id)?;
    let n: u32 = n.parse().unwrap_or(0);
    let v = store::version(&record.value.form.id, n)?
        .ok_or_else(|| Fail::form(&crate::domain::FormError::UnknownVersion(n), who.lang))?;
    json_ok(&json!(v))
}

fn publish(who: &Who, id: &str) -> R<Response> {
    let (s, version) = ops::publish(who, id)?;
    let mut out = summary(&s);
    out["new_version"] = json!(version.map(|v| v.number));
    json_ok(&out)
}

fn preview(who: &Who, id: &str, request: &Request) -> R<Response> {
    let record = ops::visible(who, id)?;
    let s = &record.value;
    let n = request
        .query
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(s.form.latest_version);
    let version = store::version(id, n)?
        .ok_or_else(|| Fail::form(&crate::domain::FormError::UnknownVersion(n), who.lang))?;
    let value = format!("{id}:{n}");
    let names = Names::default();
    let draft = request.query.get("draft") == Some("1");
    let form = render(
        &version,
        &RenderOptions {
            lang: who.lang,
            action_id: if draft {
                crate::forms::DRAFT
            } else {
                crate::forms::ANSWER
            },
            value: &value,
            prefill: None,
            serial: None,
            draft,
            lookup: &names,
        },
    );
    json_ok(&json!({ "form": form }))
}

fn my_draft(who: &Who, id: &str) -> R<Response> {
    ops::visible(who, id)?;
    let draft = store::drafts().get(&store::draft_id(id, &who.id))?;
    json_ok(&json!({ "draft": draft.map(|d| d.value) }))
}

/// An answer as the API shows it: its values, and its lines under its own version.
fn submission_json(s: &Submission, version: Option<&Version>, lang: Lang, names: &Names) -> Value {
    let lines: Vec<Value> = version
        .map(|v| detail(v, s, lang, names))
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            json!({
                "name": l.name,
                "label": l.label,
                "kind": l.kind,
                "text": l.text,
                "capitals": l.capitals,
                "days": l.days,
            })
        })
        .collect();
    json!({
        "id": s.id,
        "version": s.version,
        "serial": s.serial,
        "respondent": s.respondent,
        "submitted_at_ms": s.submitted_at_ms,
        "updated_at_ms": s.updated_at_ms,
        "edits": s.edits,
        "values": s.values,
        "lines": lines,
    })
}

/// A `from`/`to` query value: a local date (`to` takes the whole day) or milliseconds.
fn instant(who: &Who, request: &Request, name: &str, end: bool) -> R<Option<i64>> {
    let Some(text) = request
        .query
        .get(name)
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(Some(ms));
    }
    let date = Date::parse(text).ok_or_else(|| {
        Fail::new(
            400,
            "invalid_query",
            who.tr(
                format!("{name}: “{text}” is not a date like 2026-12-01"),
                format!("{name}：“{text}”不是有效日期，如 2026-12-01"),
            ),
        )
    })?;
    let offset = ops::now().1;
    let start = start_of_local_day(date, offset);
    Ok(Some(if end { start + DAY_MS } else { start }))
}

fn submissions(who: &Who, id: &str, request: &Request) -> R<Response> {
    let q = &request.query;
    let record = ops::visible(who, id)?;
    let s = &record.value;
    let manage = ops::may_manage(who, s);
    // Managers see every answer; others their own (none of an anonymous form's).
    let (versions, answers) = if manage {
        let (_, versions, answers) = ops::results(who, id)?;
        (versions, answers)
    } else if s.form.settings.anonymous {
        (Vec::new(), Vec::new())
    } else {
        let mine = store::answers(id)
            .find_all(
                "respondent",
                &courtyard_sdk::records::Target::person(&who.id),
                500,
            )?
            .into_iter()
            .map(|r| r.value)
            .collect();
        (store::all_versions(&s.form)?, mine)
    };
    let number = |name: &str| -> R<Option<u32>> {
        match q.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                Fail::new(
                    400,
                    "invalid_query",
                    who.tr(
                        format!("{name} must be a number"),
                        format!("{name} 必须是数字"),
                    ),
                )
            }),
        }
    };
    let criteria = Filter {
        version: number("version")?,
        respondent: q.get("respondent").map(str::to_owned),
        from_ms: instant(who, request, "from", false)?,
        to_ms: instant(who, request, "to", true)?,
        text: q.get("q").map(str::to_owned),
        equals: q
            .get("field")
            .map(|f| (f.to_owned(), q.get("value").unwrap_or_default().to_owned())),
    };
    let found = filter(&answers, &criteria);
    let offset = number("offset")?.unwrap_or(0) as usize;
    let limit = number("limit")?.unwrap_or(100).clamp(1, 500) as usize;
    let names = Names::default();
    let items: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|a| {
            let v = versions.iter().find(|v| v.number == a.version);
            submission_json(a, v, who.lang, &names)
        })
        .collect();
    json_ok(&json!({ "total": found.len(), "submissions": items }))
}

fn submission(who: &Who, id: &str, sid: &str) -> R<Response> {
    let record = ops::visible(who, id)?;
    let s = &record.value;
    let found = store::answers(id).get(sid)?.map(|r| r.value);
    let answer = match found {
        Some(a) if ops::may_manage(who, s) => {
            // The same gate as the list: an anonymous form's answers only with enough of them.
            ops::results(who, id)?;
            a
        }
        Some(a) if a.is_by(&who.id) => a,
        _ => {
            return Err(Fail::new(
                404,
                "not_found",
                who.tr("There is no such answer.", "没有这份答案。"),
            ));
        }
    };
    let version = store::version(id, answer.version)?;
    json_ok(&submission_json(
        &answer,
        version.as_ref(),
        who.lang,
        &Names::default(),
    ))
}

fn stats(who: &Who, id: &str, request: &Request) -> R<Response> {
    let (s, versions, answers) = ops::results(who, id)?;
    let chosen = request
        .query
        .get("version")
        .and_then(|v| v.parse::<u32>().ok());
    let fields = match chosen {
        Some(n) => {
            let v = versions.iter().find(|v| v.number == n).ok_or_else(|| {
                Fail::form(&crate::domain::FormError::UnknownVersion(n), who.lang)
            })?;
            field_stats(v, &answers)
        }
        None => field_stats_across(&versions, &answers),
    };
    let fields: Vec<Value> = fields
        .iter()
        .map(|f| {
            let mut v = json!(f);
            v["text"] = json!(f.describe(who.lang));
            v
        })
        .collect();
    let counted = answers
        .iter()
        .filter(|a| chosen.is_none_or(|n| a.version == n))
        .count();
    json_ok(&json!({
        "form_id": s.form.id,
        "version": chosen,
        "answers": counted,
        "fields": fields,
    }))
}

fn outstanding(who: &Who, id: &str) -> R<Response> {
    let record = ops::managed(who, id)?;
    if record.value.form.status == FormStatus::Draft {
        return Err(Fail::form(
            &crate::domain::FormError::NotPublished,
            who.lang,
        ));
    }
    json_ok(&json!(ops::outstanding(&record.value)?))
}

fn remind(who: &Who, id: &str) -> R<Response> {
    let r = ops::remind(Some(who), id)?;
    json_ok(&json!({
        "sent": r.sent,
        "skipped": r.skipped,
        "people": r.people,
    }))
}

fn export(who: &Who, id: &str, request: &Request) -> R<Response> {
    let (s, versions, answers) = ops::results(who, id)?;
    let lang = match request.query.get("lang") {
        Some(l) => Lang::from_locale(l),
        None => who.lang,
    };
    let chosen_number = request
        .query
        .get("version")
        .and_then(|v| v.parse::<u32>().ok());
    let chosen = match chosen_number {
        Some(n) => versions.iter().find(|v| v.number == n),
        None => versions.last(),
    }
    .ok_or_else(|| {
        Fail::form(
            &crate::domain::FormError::UnknownVersion(chosen_number.unwrap_or(0)),
            lang,
        )
    })?;
    let included: Vec<Version> = match chosen_number {
        Some(_) => vec![chosen.clone()],
        None => versions.clone(),
    };
    let names = Names::default();
    let opts = CsvOptions {
        lang,
        offset_minutes: ops::now().1,
        lookup: &names,
    };
    let (text, file) = match request.query.get("table").filter(|t| !t.is_empty()) {
        Some(table) => (
            table_csv(chosen, &included, table, &answers, &opts).ok_or_else(|| {
                Fail::new(
                    404,
                    "not_found",
                    who.tr(
                        format!("The form has no table “{table}”."),
                        format!("表单没有明细表格“{table}”。"),
                    ),
                )
            })?,
            format!("form-{}-{table}.csv", s.form.id),
        ),
        None => (
            answers_csv(chosen, &included, &answers, &opts),
            format!("form-{}.csv", s.form.id),
        ),
    };
    Ok(Response::new(200)
        .with_header("content-type", "text/csv; charset=utf-8")
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        )
        .with_body(text.into_bytes()))
}
