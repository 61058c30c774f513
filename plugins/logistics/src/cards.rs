//! The shipment card: one per shipment, in the group it belongs to, seen only by its
//! parties; updated in place on every change. Buttons carry the shipment id; whether the
//! person pressing may do it is checked when they press.

use courtyard_sdk::prelude::*;
use courtyard_sdk::time::format_datetime;

use crate::domain::shipment::Document;
use crate::domain::{Lang, Shipment, Status};

pub const PUBLISH: &str = "publish";
pub const ACCEPT: &str = "accept";
pub const DECLINE: &str = "decline";
pub const ASSIGN: &str = "assign";
pub const STATUS: &str = "status";
pub const ETA: &str = "eta";
pub const DOCUMENT: &str = "document";
pub const CANCEL: &str = "cancel";

pub fn tone(status: Status) -> Tone {
    match status {
        Status::Delivered => Tone::Success,
        Status::Cancelled | Status::Returned | Status::FailedDelivery => Tone::Danger,
        Status::Delayed | Status::OnHold => Tone::Warning,
        Status::Created => Tone::Neutral,
        _ => Tone::Info,
    }
}

fn t<'a>(lang: Lang, en: &'a str, zh: &'a str) -> &'a str {
    lang.pick(en, zh)
}

/// Where a document can be downloaded (by the people it is shared with).
pub fn document_url(d: &Document) -> String {
    format!("/api/v1/files/{}", d.file_id)
}

pub fn shipment_card(s: &Shipment, lang: Lang) -> Card {
    let title = format!("🚚 {} · {} → {}", s.waybill, s.origin, s.destination);
    let mut card = Card::new(title).badge(s.status.label(lang), tone(s.status));
    if let Some(reason) = s.current_reason()
        && s.status.is_exception()
    {
        card = card.field(t(lang, "Reason", "原因"), reason.label(lang));
    }
    if let Some(r) = &s.reference {
        card = card.field(t(lang, "Reference", "合同/订单号"), r);
    }
    card = card
        .field(t(lang, "Shipper", "发货方"), &s.shipper.name)
        .field(t(lang, "Consignee", "收货方"), &s.consignee.name)
        .field(
            t(lang, "Carrier", "承运商"),
            s.carrier
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_else(|| t(lang, "not yet published", "尚未发布").to_owned()),
        );
    if let Some(v) = &s.vehicle {
        card = card.field(t(lang, "Vehicle", "车辆"), v);
    }
    card = card
        .field(
            t(lang, "Planned pickup", "计划提货"),
            format_datetime(s.planned_pickup_ms),
        )
        .field(
            t(lang, "Planned delivery", "计划送达"),
            format_datetime(s.planned_delivery_ms),
        );
    if let Some(eta) = s.eta_ms {
        card = card.field(t(lang, "ETA", "预计到达"), format_datetime(eta));
    }
    if let Some(at) = s.actual_delivery_ms {
        card = card.field(t(lang, "Delivered", "实际送达"), format_datetime(at));
    }
    let mut people = Vec::new();
    if let Some(d) = &s.dispatcher {
        people.push(PersonRef::new(
            d.id.clone(),
            format!("{} ({})", d.name, t(lang, "dispatcher", "调度")),
        ));
    }
    if let Some(d) = &s.driver {
        people.push(PersonRef::new(
            d.id.clone(),
            format!("{} ({})", d.name, t(lang, "driver", "司机")),
        ));
    }
    if !people.is_empty() {
        card = card.people(people);
    }
    let rows: Vec<Vec<String>> = s
        .goods
        .iter()
        .take(20)
        .map(|g| {
            vec![
                g.description.clone(),
                format!("{} {}", trim_number(g.quantity), g.unit),
                format!("{} kg", trim_number(g.weight_kg)),
            ]
        })
        .collect();
    card = card.table(
        vec![
            t(lang, "Goods", "货物").to_owned(),
            t(lang, "Quantity", "数量").to_owned(),
            t(lang, "Weight", "重量").to_owned(),
        ],
        rows,
    );
    let entries = s.events.iter().rev().take(8).rev().map(|e| {
        let mut detail = Vec::new();
        if let Some(p) = &e.place {
            detail.push(p.clone());
        }
        if let Some(r) = e.reason {
            detail.push(r.label(lang).to_owned());
        }
        if let Some(raw) = &e.raw_code {
            detail.push(format!("[{raw}]"));
        }
        if let Some(n) = &e.note {
            detail.push(n.clone());
        }
        detail.push(format!("{} · {}", e.by.name, e.time_kind.label(lang)));
        TimelineEntry::new(e.at_ms, e.status.label(lang))
            .detail(detail.join(" · "))
            .tone(tone(e.status))
    });
    card = card.timeline(entries);
    if !s.documents.is_empty() {
        let docs: Vec<String> = s
            .documents
            .iter()
            .map(|d| format!("{}: [{}]({})", d.kind.label(lang), d.name, document_url(d)))
            .collect();
        card = card.text(docs.join("\n"));
    }
    buttons(card, s, lang)
}

fn buttons(mut card: Card, s: &Shipment, lang: Lang) -> Card {
    if s.is_closed() {
        return card;
    }
    let id = s.id.clone();
    if s.status == Status::Created && s.carrier.is_none() {
        card = card.button(
            Button::new(PUBLISH, t(lang, "Publish to a carrier", "发布给承运商"))
                .primary()
                .value(id.clone()),
        );
    }
    if s.status == Status::Created && s.carrier.is_some() && s.dispatcher.is_none() {
        card = card
            .button(
                Button::new(ACCEPT, t(lang, "Accept", "接单"))
                    .primary()
                    .value(id.clone()),
            )
            .button(Button::new(DECLINE, t(lang, "Decline", "拒单")).value(id.clone()));
    }
    card = card
        .button(Button::new(ASSIGN, t(lang, "Assign truck", "派车")).value(id.clone()))
        .button(Button::new(STATUS, t(lang, "Update status", "更新状态")).value(id.clone()))
        .button(Button::new(ETA, t(lang, "Update ETA", "更新预计到达")).value(id.clone()))
        .button(Button::new(DOCUMENT, t(lang, "Add document", "上传单据")).value(id.clone()));
    // Once the goods are on the road a shipment is returned, not cancelled.
    if s.actual_pickup_ms.is_none() {
        card = card.button(
            Button::new(CANCEL, t(lang, "Cancel", "取消运单"))
                .danger()
                .value(id)
                .confirm(t(lang, "Cancel this shipment?", "确定取消该运单？")),
        );
    }
    card
}

/// A short notice in the shipment's thread (its parties hear about it).
pub fn notice(title: String, lines: Vec<(String, String)>, tone_: Tone) -> Card {
    let mut card = Card::new(title);
    let _ = tone_;
    for (k, v) in lines {
        card = card.field(k, v);
    }
    card
}

pub fn trim_number(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
