//! OA forms (表单): forms designed by admins and permitted members, published to groups or
//! people, filled in from a card, with results, statistics, reminders and CSV export.
//!
//! The domain (`domain`) is plain Rust: definitions and versions, answering rules, drafts,
//! serial numbers, anonymity, statistics, CSV and templates. `store` keeps it in records;
//! `ops` runs every operation against storage and keeps the cards current; `flows` answers
//! `/form`, the cards' buttons and the forms behind them; `routes` is the HTTP API; `pages`
//! the group's forms, my forms, results and a page to fill a form in; `names` gives the
//! domain the names of people, groups, departments and files, and amounts in capitals.

pub mod cards;
pub mod domain;
pub mod flows;
pub mod forms;
pub mod names;
pub mod ops;
pub mod pages;
pub mod routes;
pub mod store;
pub mod who;

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};

use crate::who::Who;

pub struct Forms;

impl Plugin for Forms {
    fn command(ctx: &Context, name: &str, args: &Args) -> Result<Reply> {
        match name {
            "form" => flows::command(ctx, args),
            other => Err(Error::user(format!(
                "Unknown command /{other} / 未知命令 /{other}"
            ))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        flows::action(ctx, action)
    }

    fn page(ctx: &Context, page: &str, query: &Query) -> Result<Page> {
        let who = Who::of(ctx)?;
        match page {
            "forms" => pages::forms(&who),
            "mine" => pages::mine(&who),
            "results" => pages::results(&who, query),
            "fill" => pages::fill(&who, query),
            other => Err(Error::not_found(format!(
                "There is no page `{other}` / 没有页面 `{other}`"
            ))),
        }
    }

    fn http(ctx: &Context, request: &Request) -> Response {
        routes::route(ctx, request)
    }

    /// `remind.{form}`: a day before the deadline, everyone who has not answered hears about
    /// it; `deadline.{form}`: the cards say the deadline has passed.
    fn timer(_ctx: &Context, timer: &Timer) -> Result<()> {
        let id: String = timer.payload_as()?;
        if timer.name.starts_with("remind.") {
            match ops::remind(None, &id) {
                Ok(r) => log::info(&format!("reminded {} people of {id}", r.sent)),
                Err(f) => log::info(&format!("no reminder for {id}: {}", f.message)),
            }
        } else if let Ok(Some(s)) = store::forms().get(&id) {
            ops::refresh_cards(&s.value);
        }
        Ok(())
    }
}

courtyard_sdk::plugin!(Forms);
