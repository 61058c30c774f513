//! A plugin that exercises every capability of contract 0.2.0, for the end-to-end tests in
//! `tests/tests/plugin_surfaces.rs`. Each command answers with what the host did, so the
//! tests can assert on it.

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
            "thread" => {
                let parent = messages::post(ctx.group()?, "thread root")?;
                let reply = messages::reply(&parent, "in the thread", None)?;
                Ok(Reply::ephemeral(format!("{parent} {reply}")))
            }
            other => Err(Error::user(format!("unknown command {other}"))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
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
