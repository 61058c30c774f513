//! A plugin that exercises every capability of the contract, for the end-to-end tests in
//! `tests/tests/e2e/plugin_surfaces.rs` and the runtime's tests in `host/runtime/tests`. Each
//! command answers with what the host did, so the tests can assert on it.
//!
//! What contract 0.3.0 added: `/org [id]` (organizations, the actor's home organization),
//! `/for <person…>` (a card only they see) and `/audience <message> <person…>`,
//! `/file <id> [person…]` (files), `/claim` (a form with `department` and `formula` fields).

use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

pub struct Probe;

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Expense {
    amount: Money,
    kind: String,
    note: Option<String>,
    approver: String,
}

fn expenses() -> Collection<Expense> {
    Collection::named("expenses")
}

fn expense_form(ctx: &Context) -> Form {
    Form::new("expense", ctx.tr("Expense", "报销"))
        .field(
            Field::money("amount", ctx.tr("Amount", "金额"))
                .required()
                .min(0.01)
                .max(5000),
        )
        .field(
            Field::select("kind", ctx.tr("Kind", "类型"))
                .required()
                .option("travel", ctx.tr("Travel", "差旅"))
                .option("other", ctx.tr("Other", "其他")),
        )
        .field(
            Field::text("note", ctx.tr("Note", "说明"))
                .required()
                .visible_if("kind", "other"),
        )
        .field(Field::person("approver", ctx.tr("Approver", "审批人")).required())
        .submit_label(ctx.tr("Submit", "提交"))
        .value("v1")
}

/// Contract 0.3.0 fields: a department, a table with a computed column, computed totals.
fn claim_form(ctx: &Context) -> Form {
    Form::new("claim", ctx.tr("Claim", "报销单"))
        .field(Field::department("department", ctx.tr("Department", "部门")).required())
        .field(
            Field::table("items", ctx.tr("Items", "明细"))
                .column(Column::number("qty", ctx.tr("Qty", "数量")).required())
                .column(Column::money("price", ctx.tr("Price", "单价")).required())
                .column(Column::money_formula(
                    "cost",
                    ctx.tr("Cost", "金额"),
                    "qty * price",
                )),
        )
        .field(Field::money_formula(
            "total",
            ctx.tr("Total", "合计"),
            "sum(items.cost)",
        ))
        .field(Field::formula(
            "lines",
            ctx.tr("Lines", "行数"),
            "count(items)",
        ))
        .field(Field::file("receipt", ctx.tr("Receipt", "收据")))
}

fn summary(ctx: &Context, e: &Versioned<Expense>) -> Card {
    Card::new(ctx.tr("Expense", "报销"))
        .field(ctx.tr("Amount", "金额"), e.amount.to_string())
        .field(ctx.tr("Kind", "类型"), e.kind.clone())
        .person(e.approver.clone(), ctx.tr("Approver", "审批人"))
}

impl Plugin for Probe {
    fn command(ctx: &Context, command: &str, args: &Args) -> Result<Reply> {
        match command {
            "expense" => Ok(Reply::form(expense_form(ctx))),
            "expense-card" => Ok(Reply::card(
                Card::new(ctx.tr("New expense", "新报销")).form(expense_form(ctx)),
            )),
            "mine" => {
                let me = ctx.actor_id().unwrap_or_default().to_owned();
                let mine = expenses().find_all("submitter", &Target::person(me), 1000)?;
                Ok(Reply::ephemeral(format!("{} expenses", mine.len())))
            }
            "later" => {
                let ms: i64 = args
                    .get(0)
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| Error::user("usage: /later <ms> <note>"))?;
                let note = args.iter().skip(1).collect::<Vec<_>>().join(" ");
                let id = timers::after("later", ms, &note)?;
                Ok(Reply::ephemeral(format!("timer {id}")))
            }
            "fetch" => {
                let url = args.get(0).unwrap_or_default();
                match http::get(url) {
                    Ok(r) => Ok(Reply::ephemeral(format!(
                        "status {} body {}",
                        r.status,
                        r.body_text()
                    ))),
                    Err(e) => Ok(Reply::ephemeral(format!("refused: {e}"))),
                }
            }
            "nest" => {
                let depth: serde_json::Value = interop::call("probe", "nest", &0)?;
                Ok(Reply::ephemeral(format!("nested {depth}")))
            }
            "org" => {
                let id = args.get(0).or(ctx.actor_org()).unwrap_or(&ctx.org_id);
                let org = people::organization(id)?;
                Ok(Reply::ephemeral(format!(
                    "org {} {} actor-org {} partner {}",
                    org.id,
                    org.name,
                    ctx.actor_org().unwrap_or("-"),
                    ctx.is_partner()
                )))
            }
            "for" => {
                let audience: Vec<&str> = args.iter().collect();
                let card = Card::new(ctx.tr("Just for you", "仅你们可见"));
                let id = messages::post_card_for(ctx.group()?, &card, &audience)?;
                Ok(Reply::ephemeral(format!("restricted {id}")))
            }
            "audience" => {
                let message = args.get(0).unwrap_or_default();
                let audience: Vec<&str> = args.iter().skip(1).collect();
                messages::set_audience(message, &audience)?;
                Ok(Reply::ephemeral(format!("audience {}", audience.join(","))))
            }
            "file" => {
                let id = args.get(0).unwrap_or_default();
                let file = files::get(id)?;
                let people: Vec<&str> = args.iter().skip(1).collect();
                if !people.is_empty() {
                    files::share(id, &people)?;
                }
                Ok(Reply::ephemeral(format!(
                    "file {} {} {} bytes by {} shared with {}",
                    file.name,
                    file.content_type,
                    file.size,
                    file.uploaded_by,
                    people.len()
                )))
            }
            "claim" => Ok(Reply::form(claim_form(ctx))),
            "thread" => {
                let parent = messages::post(ctx.group()?, "thread root")?;
                let reply = messages::reply(&parent, "in the thread", None)?;
                Ok(Reply::ephemeral(format!("{parent} {reply}")))
            }
            other => Err(Error::user(format!("unknown command {other}"))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        if action.action_id == "claim" {
            let values = action.form.clone().unwrap_or_default();
            return Ok(ActionReply::ephemeral(format!("claim {values}")));
        }
        if action.action_id == "expense" {
            let expense: Expense = action.form_as()?;
            let me = ctx.actor_id().unwrap_or_default().to_owned();
            let record = expenses().insert(
                expense.clone(),
                vec![
                    Link::person("submitter", me),
                    Link::person("approver", expense.approver.clone()),
                ],
            )?;
            return Ok(match action.message_id {
                Some(_) => ActionReply::update(summary(ctx, &record)),
                None => ActionReply::ephemeral(format!(
                    "saved {} v{} amount={} value={}",
                    record.id, record.version, record.amount, action.value
                )),
            });
        }
        Ok(ActionReply::ephemeral(format!(
            "pressed {} {}",
            action.action_id, action.value
        )))
    }

    fn page(ctx: &Context, page: &str, query: &Query) -> Result<Page> {
        if page != "expenses" {
            return Err(Error::not_found("no such page"));
        }
        let me = ctx.actor_id().unwrap_or_default().to_owned();
        let mine = expenses().find_all("submitter", &Target::person(me), 100)?;
        let mut out = Page::new(ctx.tr("My expenses", "我的报销")).card(Card::new(format!(
            "{} expenses, filter {}",
            mine.len(),
            query.get("status").unwrap_or("all")
        )));
        for e in &mine {
            out = out.card(summary(ctx, e));
        }
        Ok(out.card(Card::new(ctx.tr("New", "新建")).form(expense_form(ctx))))
    }

    fn http(ctx: &Context, request: &http::Request) -> http::Response {
        match request.path.as_str() {
            "hello" => http::Response::json(&serde_json::json!({
                "actor": ctx.actor_name(),
                "locale": ctx.locale(),
                "group": ctx.group().ok(),
            })),
            _ => http::Response::new(200)
                .with_header("content-type", "text/html")
                .with_header("set-cookie", "stolen=1")
                .with_body(format!("<script>alert(1)</script>{}", request.body.len())),
        }
    }

    fn timer(ctx: &Context, timer: &Timer) -> Result<()> {
        let note: String = timer.payload_as()?;
        messages::post(ctx.group()?, &format!("timer fired: {note}"))?;
        Ok(())
    }

    fn lifecycle(ctx: &Context, stage: Lifecycle) -> Result<()> {
        match stage {
            Lifecycle::Installed => {
                storage::set_json("installed", &true, false, None)?;
                Ok(())
            }
            Lifecycle::Enabled => {
                messages::post(ctx.group()?, "probe enabled")?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn event(ctx: &Context, event: &Event) {
        if let Ok(group) = ctx.group() {
            let _ = messages::post(group, &format!("saw {}", event.kind));
        }
    }

    fn call(
        _ctx: &Context,
        caller: &str,
        operation: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value> {
        match operation {
            "echo" => Ok(serde_json::json!({"caller": caller, "input": input})),
            "nest" => {
                let depth = input.as_i64().unwrap_or(0) + 1;
                match interop::call::<_, serde_json::Value>("probe", "nest", &depth) {
                    Ok(deeper) => Ok(deeper),
                    // The host refused to go deeper: report how deep we got.
                    Err(_) => Ok(serde_json::json!(depth)),
                }
            }
            _ => Err(Error::not_found("no such operation")),
        }
    }
}

courtyard_sdk::plugin!(Probe);
