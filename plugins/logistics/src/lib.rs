//! Logistics tracking (物流跟踪): shipments the shipper publishes to a carrier, whose
//! dispatcher accepts them and assigns a vehicle and driver; milestones in a normalised
//! vocabulary, ETA revisions with reasons, documents, a card per shipment that only its
//! parties see, and on-time analysis.
//!
//! The domain (`domain`) is plain Rust; `ops` runs its operations against storage and
//! keeps each shipment's card and audience current; `flows` answers `/shipment`, the card's
//! buttons and forms; `routes` is the HTTP API (and partners' push route); `pages` the
//! shipments list and the analysis.

pub mod cards;
pub mod domain;
pub mod flows;
pub mod forms;
pub mod ops;
pub mod pages;
pub mod routes;
pub mod store;
pub mod who;

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};

use crate::who::Who;

pub struct Logistics;

fn command(ctx: &Context, args: &Args) -> Result<Reply> {
    let who = Who::of(ctx)?;
    match args.get(0).map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(Reply::form(flows::create_form(&who)?)),
        Some(word) if ["help", "帮助", "?"].contains(&word) => Ok(Reply::ephemeral(who.tr(
            "/shipment — create a shipment (shipper's staff)\n/shipment WB20261130-0001 — show a shipment\nPages: Shipments, On-time analysis",
            "/shipment — 新建运单（发货方员工）\n/shipment WB20261130-0001 — 查看运单\n页面：运单、准时率分析",
        ))),
        Some(waybill) => {
            let record = ops::find(&who.viewer, waybill, who.lang)?;
            Ok(Reply::ephemeral(format!(
                "{} · {} → {} · {}",
                record.value.shipment.waybill,
                record.value.shipment.origin,
                record.value.shipment.destination,
                record.value.shipment.status.label(who.lang)
            )))
        }
    }
}

impl Plugin for Logistics {
    fn command(ctx: &Context, name: &str, args: &Args) -> Result<Reply> {
        match name {
            "shipment" => command(ctx, args),
            other => Err(Error::user(format!(
                "Unknown command /{other} / 未知命令 /{other}"
            ))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        let who = Who::of(ctx)?;
        if action.is_form() {
            flows::submit(&who, action)
        } else {
            flows::press(&who, action)
        }
    }

    fn page(ctx: &Context, page: &str, query: &Query) -> Result<Page> {
        let who = Who::of(ctx)?;
        match page {
            "shipments" => pages::shipments(&who, query),
            "analysis" => pages::analysis(&who, query),
            other => Err(Error::not_found(format!(
                "There is no page `{other}` / 没有页面 `{other}`"
            ))),
        }
    }

    fn http(ctx: &Context, request: &Request) -> Response {
        routes::route(ctx, request)
    }
}

courtyard_sdk::plugin!(Logistics);
