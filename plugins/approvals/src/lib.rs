//! Approvals (审批): templates (a form plus a flow), requests that go through the flow step
//! by step, and the one approval engine other plugins start requests in (leave does).
//!
//! The engine itself (`model`, `condition`, `route`, `engine`) is plain Rust without host
//! calls; `flow` runs it against storage and carries out its effects; `cards` draws
//! requests; this file answers the host's entry points.

pub mod cards;
pub mod condition;
pub mod directory;
pub mod engine;
pub mod flow;
pub mod model;
pub mod route;
pub mod store;
pub mod templates;
#[cfg(test)]
mod testkit;

use courtyard_sdk::prelude::*;
use courtyard_sdk::records::new_id;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cards::{both, request_card, route_fields};
use crate::directory::{DELEGATIONS, Delegation, HostDirectory, ROLES, Role};
use crate::engine::{Action as Act, NewRequest, TimerPayload};
use crate::model::{Origin, PersonRef, Status, TaskState, Template};
use crate::store::{DRAFTS, Draft, Stored, rel};

pub struct Approvals;

fn me(ctx: &Context) -> Result<PersonRef> {
    let actor = ctx.person()?;
    Ok(PersonRef::new(actor.id.clone(), actor.display_name.clone()))
}

fn template_or_error(id: &str) -> Result<Template> {
    templates::find(id)?.ok_or_else(|| {
        Error::user(format!(
            "no approval template `{id}` / 没有名为 `{id}` 的审批模板"
        ))
    })
}

/// The template's form, ready to fill: submitted as `fill` with the template id as value.
fn fill_form(template: &Template, values: Option<&Value>) -> Result<Form> {
    let mut json = template.form.clone();
    json["id"] = json!("fill");
    let form: Form = serde_json::from_value(json)?;
    let form = form
        .submit_label(both("Preview route", "预览审批流程"))
        .value(template.id.clone());
    Ok(match values {
        Some(values) => form.fill(values),
        None => form,
    })
}

/// Approving with changes: the fields this step may edit, filled in, and a comment.
fn approve_form(
    ctx: &Context,
    request: &model::Request,
    editable: &[String],
    value: &str,
) -> Result<Form> {
    let mut json = request.template.form.clone();
    if let Some(fields) = json["fields"].as_array_mut() {
        fields.retain(|f| {
            f["name"]
                .as_str()
                .is_some_and(|n| editable.iter().any(|e| e == n))
        });
        for f in fields.iter_mut() {
            let name = f["name"].as_str().unwrap_or_default().to_owned();
            if let Some(v) = request.values.get(&name) {
                f["default"] = v.clone();
            }
        }
    }
    json["id"] = json!("approve_form");
    json["title"] = json!(ctx.tr("Approve, with changes", "同意（可修改）"));
    json["value"] = json!(value);
    json["submit_label"] = json!(ctx.tr("Approve", "同意"));
    let form: Form = serde_json::from_value(json)?;
    Ok(form.field(Field::textarea("comment", ctx.tr("Comment", "意见")).max(2000)))
}

/// Plans the route for `values` and shows it, with a button to submit for real.
fn preview(ctx: &Context, draft: Draft) -> Result<ActionReply> {
    let template = template_or_error(&draft.template_id)?;
    let dir = HostDirectory::load(&draft.submitter)?;
    let submitter = me(ctx)?;
    let steps = route::plan(
        &template,
        &submitter,
        dir.department().as_deref(),
        &draft.values,
        &dir,
        clock::now_ms(),
    )
    .map_err(|e| Error::user(e.message(ctx.locale())))?;
    let id = new_id();
    DRAFTS.create(&id, draft, vec![Link::person("owner", &submitter.id)])?;
    let mut form = Form::new(
        "confirm",
        ctx.tr("Submit this request?", "确认提交？").to_owned(),
    )
    .submit_label(ctx.tr("Submit", "提交"))
    .value(id);
    for (i, (step, people)) in route_fields(&steps, ctx.locale()).into_iter().enumerate() {
        form = form.field(
            Field::text(format!("step_{i}"), step)
                .default(people)
                .read_only(),
        );
    }
    if steps.is_empty() {
        form = form.field(
            Field::text("step_none", ctx.tr("Route", "审批流程").to_owned())
                .default(ctx.tr(
                    "No one needs to approve: it is approved on submit.",
                    "无需审批：提交即通过。",
                ))
                .read_only(),
        );
    }
    Ok(ActionReply::form(form))
}

/// Submits a confirmed draft: the request is stored, cards go out.
///
/// The request takes the draft's id, so confirming again (the answer to the first confirm
/// was lost, or the button was pressed twice) finds the request instead of storing a second
/// one, answers as the first did, and sends whatever the first left unsent.
fn submit(ctx: &Context, draft_id: &str) -> Result<ActionReply> {
    let submitter = me(ctx)?;
    if let Some(done) = submitted_before(draft_id, &submitter.id)? {
        return Ok(submitted_reply(ctx, &done));
    }
    let draft = DRAFTS
        .get(draft_id)?
        .filter(|d| d.submitter == submitter.id)
        .ok_or_else(|| {
            Error::user(both(
                "This preview has expired; fill in the form again",
                "预览已失效，请重新填写",
            ))
        })?;
    let template = template_or_error(&draft.template_id)?;
    let dir = HostDirectory::load(&submitter.id)?;
    let (request, effects) = engine::submit(
        NewRequest {
            template: &template,
            submitter: submitter.clone(),
            department: dir.department(),
            values: draft.values.clone(),
            origin: None,
            resubmitted_from: draft.resubmit_of.clone(),
            id: draft_id.to_owned(),
            serial: store::next_serial()?,
        },
        &dir,
        clock::now_ms(),
    )
    .map_err(|e| Error::user(e.message(ctx.locale())))?;
    let stored = Stored {
        request,
        cards: store::Cards {
            group: draft.group.clone(),
            ..Default::default()
        },
    };
    match flow::start(stored, effects) {
        Ok(_) => {}
        // Confirmed twice at once: the other press stored it.
        Err(e) if e.is_conflict() => {}
        Err(e) => return Err(e),
    }
    let stored = flow::repair(draft_id)?;
    DRAFTS.delete(draft_id)?;
    Ok(submitted_reply(ctx, &stored))
}

/// The request a confirmed draft became, brought up to date, if it was submitted before.
fn submitted_before(draft_id: &str, submitter: &str) -> Result<Option<Stored>> {
    match store::REQUESTS.get(draft_id)? {
        Some(r) if r.request.submitter.id == submitter => {
            let stored = flow::repair(draft_id)?;
            let _ = DRAFTS.delete(draft_id);
            Ok(Some(stored))
        }
        _ => Ok(None),
    }
}

fn submitted_reply(ctx: &Context, stored: &Stored) -> ActionReply {
    ActionReply::ephemeral(format!(
        "{} {} · {}",
        ctx.tr("Submitted", "已提交"),
        stored.request.serial,
        stored.request.status.describe(ctx.locale())
    ))
}

#[derive(Deserialize)]
struct CommentForm {
    #[serde(default)]
    comment: String,
}

#[derive(Deserialize)]
struct PersonForm {
    person: String,
    #[serde(default)]
    comment: String,
}

#[derive(Deserialize)]
struct AddSignForm {
    people: Vec<String>,
    #[serde(default)]
    position: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    comment: String,
}

fn person_ref(id: &str) -> Result<PersonRef> {
    let p = courtyard_sdk::people::get(id)?;
    Ok(PersonRef::new(p.id, p.display_name))
}

fn comment_form(ctx: &Context, id: &str, action: &str, title: &str, required: bool) -> Form {
    let mut field = Field::textarea("comment", ctx.tr("Comment", "意见")).max(2000);
    if required {
        field = field.required();
    }
    Form::new(action, title.to_owned())
        .field(field)
        .value(id.to_owned())
}

fn none_if_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

/// A button's value: the request id, and for an approver's buttons the step they were for.
fn target(value: &str) -> (&str, Option<usize>) {
    match value.split_once('@') {
        Some((id, step)) => (id, step.parse().ok()),
        None => (value, None),
    }
}

/// Runs an action and answers with the updated card (the button was on it).
fn acted(ctx: &Context, value: &str, action: Act) -> Result<ActionReply> {
    let (id, step) = target(value);
    let me = me(ctx)?;
    let current = store::load(id)?;
    if let Some(decision) = decision_of(&action)
        && engine::decided(&current.request, &me.id, step, decision)
    {
        // The same decision again: the answer to the first was lost (or the button was
        // pressed twice). Answer as the first did, and send what it may have left unsent.
        let stored = flow::repair(id)?;
        flow::refresh_cards(&stored);
        return Ok(ActionReply::update(request_card(&stored, &me.id)));
    }
    if step.is_some_and(|step| current.request.current != step && !current.request.is_closed()) {
        return Err(Error::user(both(
            "This request has moved on to another step since this card was sent",
            "该审批已进入其他环节，此卡片已过期",
        )));
    }
    let stored = flow::act(id, &me, action)?;
    flow::refresh_cards(&stored);
    Ok(ActionReply::update(request_card(
        &stored,
        ctx.actor_id().unwrap_or(""),
    )))
}

/// The task state an approve or reject leaves, for recognising it pressed again.
fn decision_of(action: &Act) -> Option<TaskState> {
    match action {
        Act::Approve { .. } => Some(TaskState::Approved),
        Act::Reject { .. } => Some(TaskState::Rejected),
        _ => None,
    }
}

fn on_action(ctx: &Context, action: &Action) -> Result<ActionReply> {
    let id = action.value.as_str();
    match action.action_id.as_str() {
        "fill" => {
            let me = me(ctx)?;
            // `expense`, or `expense~<request>` for a copy of an earlier request.
            let (template_id, copy_of) = match id.split_once('~') {
                Some((t, from)) => (t, Some(from.to_owned())),
                None => (id, None),
            };
            preview(
                ctx,
                Draft {
                    template_id: template_id.to_owned(),
                    submitter: me.id,
                    group: ctx.group_id.clone(),
                    values: action.form_as()?,
                    resubmit_of: copy_of,
                    created_ms: clock::now_ms(),
                },
            )
        }
        "confirm" => submit(ctx, id),
        "approve" => {
            let me = me(ctx)?;
            let stored = store::load(target(id).0)?;
            let editable = engine::editable_fields(&stored.request, &me.id);
            if editable.is_empty() {
                return acted(
                    ctx,
                    id,
                    Act::Approve {
                        comment: None,
                        edits: Default::default(),
                    },
                );
            }
            Ok(ActionReply::form(approve_form(
                ctx,
                &stored.request,
                &editable,
                id,
            )?))
        }
        "approve_form" => {
            let mut values: serde_json::Map<String, Value> = action.form_as()?;
            let comment = values
                .remove("comment")
                .and_then(|c| c.as_str().map(str::to_owned))
                .and_then(none_if_empty);
            acted(
                ctx,
                id,
                Act::Approve {
                    comment,
                    edits: values,
                },
            )
        }
        "reject" => Ok(ActionReply::form(comment_form(
            ctx,
            id,
            "reject_form",
            ctx.tr("Reject: why?", "拒绝原因"),
            true,
        ))),
        "reject_form" => {
            let f: CommentForm = action.form_as()?;
            acted(ctx, id, Act::Reject { comment: f.comment })
        }
        "return" => {
            let stored = store::load(target(id).0)?;
            let request = &stored.request;
            // A request another plugin started is filled by that plugin, not edited here:
            // it goes back to an earlier step only.
            let to_submitter = request.origin.is_none();
            if !to_submitter && request.current == 0 {
                return Err(Error::user(both(
                    "This request cannot be returned for changes; reject it with a reason instead",
                    "该申请不能退回修改，请填写原因后拒绝",
                )));
            }
            let mut to = Field::select("to", ctx.tr("Return to", "退回到")).required();
            if to_submitter {
                to = to
                    .option("submitter", ctx.tr("The submitter", "提交人"))
                    .default("submitter");
            }
            for (i, step) in request.steps.iter().enumerate().take(request.current) {
                to = to.option(i.to_string(), step.name.get(ctx.locale()));
            }
            Ok(ActionReply::form(
                comment_form(
                    ctx,
                    id,
                    "return_form",
                    ctx.tr("Return: what should change?", "退回：需要修改什么？"),
                    true,
                )
                .field(to),
            ))
        }
        "return_form" => {
            #[derive(Deserialize)]
            struct ReturnForm {
                comment: String,
                #[serde(default)]
                to: String,
            }
            let f: ReturnForm = action.form_as()?;
            let started_elsewhere = store::load(target(id).0)?.request.origin.is_some();
            if started_elsewhere && f.to.parse::<usize>().is_err() {
                return Err(Error::user(both(
                    "This request goes back to an earlier step only",
                    "该申请只能退回到之前的审批环节",
                )));
            }
            acted(
                ctx,
                id,
                Act::Return {
                    to_step: f.to.parse().ok(),
                    comment: f.comment,
                },
            )
        }
        "transfer" => Ok(ActionReply::form(
            Form::new("transfer_form", ctx.tr("Transfer to", "转交给").to_owned())
                .field(Field::person("person", ctx.tr("Approver", "审批人")).required())
                .field(Field::textarea("comment", ctx.tr("Comment", "意见")).max(2000))
                .value(id.to_owned()),
        )),
        "transfer_form" => {
            let f: PersonForm = action.form_as()?;
            acted(
                ctx,
                id,
                Act::Transfer {
                    to: person_ref(&f.person)?,
                    comment: none_if_empty(f.comment),
                },
            )
        }
        "add_sign" => Ok(ActionReply::form(
            Form::new("add_sign_form", ctx.tr("Add approvers", "加签").to_owned())
                .field(
                    Field::people("people", ctx.tr("Approvers", "审批人"))
                        .required()
                        .max(20),
                )
                .field(
                    Field::select("position", ctx.tr("When", "位置"))
                        .option("before", ctx.tr("Before me", "在我之前"))
                        .option("after", ctx.tr("After me", "在我之后"))
                        .default("after")
                        .required(),
                )
                .field(
                    Field::select("mode", ctx.tr("How", "方式"))
                        .option("sequential", ctx.tr("One after another", "依次审批"))
                        .option("all", ctx.tr("All must approve", "会签"))
                        .option("any", ctx.tr("Any one", "或签"))
                        .default("sequential"),
                )
                .field(Field::textarea("comment", ctx.tr("Comment", "意见")).max(2000))
                .value(id.to_owned()),
        )),
        "add_sign_form" => {
            let f: AddSignForm = action.form_as()?;
            let people = f
                .people
                .iter()
                .map(|p| person_ref(p))
                .collect::<Result<Vec<_>>>()?;
            let mode = serde_json::from_value(json!(f.mode)).unwrap_or_default();
            acted(
                ctx,
                id,
                Act::AddSign {
                    people,
                    before: f.position == "before",
                    mode,
                    comment: none_if_empty(f.comment),
                },
            )
        }
        "withdraw" => acted(ctx, id, Act::Withdraw),
        "urge" => {
            flow::act(id, &me(ctx)?, Act::Urge)?;
            Ok(ActionReply::ephemeral(
                ctx.tr("The approvers were reminded.", "已提醒审批人。"),
            ))
        }
        "revoke" => acted(ctx, id, Act::Revoke { comment: None }),
        "comment" => Ok(ActionReply::form(comment_form(
            ctx,
            id,
            "comment_form",
            ctx.tr("Comment", "评论"),
            true,
        ))),
        "comment_form" => {
            let f: CommentForm = action.form_as()?;
            acted(
                ctx,
                id,
                Act::Comment {
                    text: f.comment,
                    attachments: Vec::new(),
                },
            )
        }
        "resubmit" | "copy" => {
            let stored = store::load(id)?;
            let request = &stored.request;
            if request.submitter.id != me(ctx)?.id {
                return Err(Error::user(both(
                    "Only the submitter can submit this again",
                    "只有提交人可以重新提交",
                )));
            }
            let mut form = fill_form(&request.template, Some(&request.values))?;
            let mut json = serde_json::to_value(&form)?;
            json["id"] = json!(if action.action_id == "resubmit" {
                "resubmit_form"
            } else {
                "fill"
            });
            json["value"] = json!(if action.action_id == "resubmit" {
                request.id.clone()
            } else {
                format!("{}~{}", request.template.id, request.id)
            });
            form = serde_json::from_value(json)?;
            Ok(ActionReply::form(form))
        }
        "resubmit_form" => acted(
            ctx,
            id,
            Act::Resubmit {
                values: action.form_as()?,
            },
        ),
        other => Err(Error::user(format!("unknown action `{other}`"))),
    }
}

/// Lists of requests for the person looking, newest first, filtered by `?status=` (e.g.
/// `pending`, `approved`), `?template=` (e.g. `expense`) and `?q=` (serial number or title).
fn list_page(ctx: &Context, relation: &str, title: &str, query: &Query) -> Result<Page> {
    let me = me(ctx)?;
    let status = query.get("status").filter(|s| !s.is_empty());
    let template = query.get("template").filter(|s| !s.is_empty());
    let text = query
        .get("q")
        .map(str::to_lowercase)
        .filter(|s| !s.is_empty());
    let found: Vec<_> = store::REQUESTS
        .find_all(relation, &Target::person(&me.id), 200)?
        .into_iter()
        .filter(|s| {
            let r = &s.request;
            status.is_none_or(|st| serde_json::to_value(r.status).ok() == Some(json!(st)))
                && template.is_none_or(|t| r.template.id == t)
                && text.as_ref().is_none_or(|q| {
                    r.serial.to_lowercase().contains(q)
                        || r.title.en.to_lowercase().contains(q)
                        || r.title.zh.contains(q.as_str())
                })
        })
        .take(50)
        .collect();
    let mut page = Page::new(title.to_owned());
    if found.is_empty() {
        page = page.card(Card::new(ctx.tr("Nothing here", "暂无").to_owned()));
    }
    for stored in found {
        page = page.card(request_card(&stored, &me.id));
    }
    Ok(page)
}

#[derive(Deserialize)]
struct StartInput {
    template_id: String,
    values: Value,
    reference: String,
}

#[derive(Deserialize)]
struct RequestRef {
    request_id: String,
}

#[derive(Deserialize)]
struct DelegateInput {
    request_id: String,
    delegate_id: String,
}

fn op_start(ctx: &Context, caller: &str, input: StartInput) -> Result<Value> {
    let template = template_or_error(&input.template_id)?;
    if templates::only_started_by(&template.id).is_some_and(|p| p != caller) {
        return Err(Error::user(format!(
            "only its own plugin starts `{}` requests",
            template.id
        )));
    }
    let submitter = me(ctx)?;
    let dir = HostDirectory::load(&submitter.id)?;
    let (request, effects) = engine::submit(
        NewRequest {
            template: &template,
            submitter,
            department: dir.department(),
            values: input.values,
            origin: Some(Origin {
                plugin: caller.to_owned(),
                reference: input.reference,
            }),
            resubmitted_from: None,
            id: new_id(),
            serial: store::next_serial()?,
        },
        &dir,
        clock::now_ms(),
    )
    .map_err(|e| Error::user(e.message(ctx.locale())))?;
    let stored = flow::start(
        Stored {
            request,
            cards: Default::default(),
        },
        effects,
    )?;
    Ok(json!({
        "request_id": stored.request.id,
        "serial": stored.request.serial,
        "status": stored.request.status,
    }))
}

/// The caller may only touch requests it started.
fn started_by(caller: &str, id: &str) -> Result<Stored> {
    let stored = store::load(id)?;
    if stored.request.origin.as_ref().map(|o| o.plugin.as_str()) != Some(caller) {
        return Err(Error::not_found(format!("no approval request {id}")));
    }
    Ok(stored.value)
}

fn op_delegate(caller: &str, input: DelegateInput) -> Result<Value> {
    let stored = started_by(caller, &input.request_id)?;
    let request = &stored.request;
    if request.status != Status::Approved {
        return Err(Error::user("only an approved request sets up a delegation"));
    }
    let date = |field: &str| -> Result<i64> {
        let raw = request.values[field].as_str().unwrap_or_default();
        let day = raw.split_whitespace().next().unwrap_or_default();
        Ok(courtyard_sdk::time::Date::parse(day)?.start_ms())
    };
    let (from_ms, to_ms) = (date("from")?, date("to")? + 86_400_000 - 1);
    let delegation = Delegation {
        person: request.submitter.clone(),
        delegate: person_ref(&input.delegate_id)?,
        from_ms,
        to_ms,
        reference: request.id.clone(),
    };
    let id = format!("{}:{}", request.submitter.id, request.id);
    let links = vec![Link::person("person", &request.submitter.id)];
    match DELEGATIONS.get(&id)? {
        Some(_) => {}
        None => {
            DELEGATIONS.create(&id, delegation, links)?;
        }
    }
    Ok(json!({"delegation_id": id}))
}

fn admin_only(ctx: &Context) -> Option<http::Response> {
    (!ctx.is_admin()).then(|| {
        http::Response::json(
            &json!({"code": "forbidden", "message": both("Only organization admins manage approvals", "只有组织管理员可以管理审批")}),
        )
        .with_status(403)
    })
}

fn on_http(ctx: &Context, request: &http::Request) -> http::Response {
    let path: Vec<&str> = request.path.split('/').collect();
    let result: Result<http::Response> = (|| match (request.method.as_str(), path.as_slice()) {
        ("GET", ["templates"]) => Ok(http::Response::json(&templates::all()?)),
        ("GET", ["templates", id]) => Ok(http::Response::json(&template_or_error(id)?)),
        ("PUT", ["templates", id]) => {
            if let Some(denied) = admin_only(ctx) {
                return Ok(denied);
            }
            let mut template: Template = request.parse_json()?;
            template.id = (*id).to_owned();
            route::check_template(&template).map_err(|e| Error::user(e.to_string()))?;
            let _: Form = serde_json::from_value(template.form.clone())
                .map_err(|e| Error::user(format!("form: {e}")))?;
            match templates::TEMPLATES.get(id)? {
                Some(mut saved) => {
                    template.version = saved.version as u32 + 1;
                    saved.value = template.clone();
                    templates::TEMPLATES.save(&mut saved)?;
                }
                None => {
                    templates::TEMPLATES.create(id, template.clone(), Vec::new())?;
                }
            }
            Ok(http::Response::json(&template))
        }
        ("GET", ["roles"]) => Ok(http::Response::json(
            &ROLES
                .list_all(500)?
                .into_iter()
                .map(|r| json!({"name": r.id, "people": r.value.people}))
                .collect::<Vec<_>>(),
        )),
        ("PUT", ["roles", name]) => {
            if let Some(denied) = admin_only(ctx) {
                return Ok(denied);
            }
            #[derive(Deserialize)]
            struct RoleInput {
                people: Vec<String>,
            }
            let input: RoleInput = request.parse_json()?;
            let people = input
                .people
                .iter()
                .map(|p| person_ref(p))
                .collect::<Result<Vec<_>>>()?;
            let role = Role { people };
            match ROLES.get(name)? {
                Some(mut saved) => {
                    saved.value = role.clone();
                    ROLES.save(&mut saved)?;
                }
                None => {
                    ROLES.create(name, role.clone(), Vec::new())?;
                }
            }
            Ok(http::Response::json(
                &json!({"name": name, "people": role.people}),
            ))
        }
        ("GET", ["delegations", "me"]) => {
            let me = me(ctx)?;
            let mine: Vec<Delegation> = DELEGATIONS
                .find_all("person", &Target::person(&me.id), 100)?
                .into_iter()
                .map(|d| d.value)
                .collect();
            Ok(http::Response::json(&mine))
        }
        ("POST", ["delegations", "me"]) => {
            #[derive(Deserialize)]
            struct ManualDelegation {
                delegate_id: String,
                from: String,
                to: String,
            }
            let me = me(ctx)?;
            let input: ManualDelegation = request.parse_json()?;
            let from = courtyard_sdk::time::Date::parse(&input.from)?;
            let to = courtyard_sdk::time::Date::parse(&input.to)?;
            if to < from {
                return Err(Error::user(both(
                    "the delegation ends before it starts",
                    "委托的结束日期早于开始日期",
                )));
            }
            if input.delegate_id == me.id {
                return Err(Error::user(both(
                    "you cannot delegate to yourself",
                    "不能委托给自己",
                )));
            }
            let delegation = Delegation {
                person: me.clone(),
                delegate: person_ref(&input.delegate_id)?,
                from_ms: from.start_ms(),
                to_ms: to.start_ms() + 86_400_000 - 1,
                reference: "manual".into(),
            };
            let id = format!("{}:manual:{}", me.id, new_id());
            DELEGATIONS.create(
                &id,
                delegation.clone(),
                vec![Link::person("person", &me.id)],
            )?;
            Ok(http::Response::json(&json!({"id": id, "delegation": delegation})).with_status(201))
        }
        ("GET", ["requests", id]) => {
            let me = me(ctx)?;
            let stored = store::load(id)?;
            let concerned = stored
                .links
                .iter()
                .any(|l| l.target == Target::person(&me.id));
            if !concerned && !ctx.is_admin() {
                return Err(Error::not_found("no such request"));
            }
            Ok(http::Response::json(&stored.value.request))
        }
        _ => Ok(http::Response::not_found()),
    })();
    result.unwrap_or_else(|e| {
        let (status, code) = if e.is_not_found() {
            (404, "not_found")
        } else {
            (400, "invalid")
        };
        http::Response::json(&json!({"code": code, "message": e.to_string()})).with_status(status)
    })
}

impl Plugin for Approvals {
    fn command(ctx: &Context, _command: &str, args: &Args) -> Result<Reply> {
        match args.get(0) {
            None | Some("") => {
                let list: Vec<String> = templates::all()?
                    .into_iter()
                    .filter(|t| templates::only_started_by(&t.id).is_none())
                    .map(|t| format!("{} — {}", t.id, t.name.get(ctx.locale())))
                    .collect();
                Ok(Reply::ephemeral(format!(
                    "{}\n{}",
                    ctx.tr(
                        "Start one with /approval <template>:",
                        "用 /approval <模板> 发起："
                    ),
                    list.join("\n")
                )))
            }
            Some(id) if templates::only_started_by(id).is_some() => Err(Error::user(both(
                "This template is started from its own plugin (e.g. /leave)",
                "该模板只能从对应插件发起（如 /leave）",
            ))),
            Some(id) => Ok(Reply::form(fill_form(&template_or_error(id)?, None)?)),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        on_action(ctx, action)
    }

    fn page(ctx: &Context, page: &str, query: &Query) -> Result<Page> {
        let (relation, title) = match page {
            "pending" => (rel::PENDING, ctx.tr("Waiting for me", "待我审批")),
            "submitted" => (rel::SUBMITTER, ctx.tr("Submitted by me", "我发起的")),
            "cc" => (rel::CC, ctx.tr("Copied to me", "抄送我的")),
            "processed" => (rel::PROCESSED, ctx.tr("Processed by me", "我已处理")),
            other => return Err(Error::not_found(format!("no page `{other}`"))),
        };
        list_page(ctx, relation, title, query)
    }

    fn http(ctx: &Context, request: &http::Request) -> http::Response {
        on_http(ctx, request)
    }

    fn timer(_ctx: &Context, timer: &Timer) -> Result<()> {
        if timer.scheduled && timer.name == store::SWEEP_DRAFTS {
            let deleted = store::sweep_drafts(clock::now_ms())?;
            if deleted > 0 {
                log::info(&format!("deleted {deleted} previews nobody confirmed"));
            }
            return Ok(());
        }
        let payload: TimerPayload = timer.payload_as()?;
        let system = PersonRef::new("", "Courtyard");
        match flow::act(&payload.request_id, &system, payload.action()) {
            Ok(stored) => {
                flow::refresh_cards(&stored);
                Ok(())
            }
            // A timer of a request that moved on has nothing left to do.
            Err(e) if e.kind() == ErrorKind::User => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn call(ctx: &Context, caller: &str, operation: &str, input: Value) -> Result<Value> {
        match operation {
            "start" => op_start(ctx, caller, serde_json::from_value(input)?),
            "status" => {
                let r: RequestRef = serde_json::from_value(input)?;
                let stored = started_by(caller, &r.request_id)?;
                Ok(json!({"request_id": r.request_id, "status": stored.request.status}))
            }
            "withdraw" => {
                let r: RequestRef = serde_json::from_value(input)?;
                started_by(caller, &r.request_id)?;
                let stored = flow::act(&r.request_id, &me(ctx)?, Act::Withdraw)?;
                flow::refresh_cards(&stored);
                Ok(json!({"request_id": r.request_id, "status": stored.request.status}))
            }
            "delegate" => op_delegate(caller, serde_json::from_value(input)?),
            other => Err(Error::not_found(format!("unknown operation `{other}`"))),
        }
    }
}

courtyard_sdk::plugin!(Approvals);
