//! What people do from `/shipment`, the card's buttons and the forms behind them.

use courtyard_sdk::prelude::*;
use courtyard_sdk::time::parse_datetime;
use courtyard_sdk::{files, messages, people};

use crate::cards;
use crate::domain::shipment::{
    DocumentPolicy, GoodsLine, NewDocument, NewEta, NewEvent, NewShipment, NewStop, OrgRef,
};
use crate::domain::{Lang, Shipment, Source, TimeKind, access, waybill};
use crate::forms::{self, OrgChoice};
use crate::ops;
use crate::store::{self, Stored, WaybillEntry};
use crate::who::Who;

/// The organizations with people in the group: the plugin's own first, then partners.
pub fn orgs_in_group(who: &Who, group_id: &str) -> Result<Vec<OrgChoice>> {
    let mut ids: Vec<String> = vec![who.org_id.clone()];
    for m in courtyard_sdk::groups::members(group_id)? {
        if !ids.contains(&m.org_id) {
            ids.push(m.org_id);
        }
    }
    let mut out = Vec::new();
    for id in ids {
        if let Ok(org) = people::organization(&id) {
            out.push(OrgChoice {
                org_id: org.id,
                name: org.name,
            });
        }
    }
    Ok(out)
}

pub fn create_form(who: &Who) -> Result<Form> {
    let group = who
        .group_id
        .clone()
        .ok_or_else(|| who.error("Create shipments in a group", "请在群组中新建运单"))?;
    if !access::can_create(&who.viewer, &who.org_id) {
        return Err(who.error(
            "Only the shipper's staff create shipments",
            "只有发货方员工可以新建运单",
        ));
    }
    let orgs = orgs_in_group(who, &group)?;
    let carriers: Vec<OrgChoice> = orgs
        .iter()
        .filter(|o| o.org_id != who.org_id)
        .map(|o| OrgChoice {
            org_id: o.org_id.clone(),
            name: o.name.clone(),
        })
        .collect();
    Ok(forms::create_form(who.lang, &carriers, &orgs))
}

fn time_of(text: &str, who: &Who) -> Result<i64> {
    parse_datetime(text).map_err(|_| {
        who.error(
            format!("Not a time: {text}"),
            format!("时间格式不正确：{text}"),
        )
    })
}

/// Creates a shipment in the caller's group from the create form (or the API), publishes
/// it when a carrier is named, and posts its card for its parties.
pub fn create(who: &Who, values: &forms::CreateValues, group_id: &str) -> Result<Stored> {
    let orgs = orgs_in_group(who, group_id)?;
    let org = |id: &str| -> Result<OrgRef> {
        orgs.iter()
            .find(|o| o.org_id == id)
            .map(|o| OrgRef::new(o.org_id.clone(), o.name.clone()))
            .ok_or_else(|| {
                who.error(
                    "That organization has nobody in this group",
                    "该组织在本群中没有成员",
                )
            })
    };
    let shipper = org(&who.org_id)?;
    let consignee = org(&values.consignee)?;
    let carrier = match values.carrier.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(org(c)?),
        None => None,
    };
    let new = NewShipment {
        reference: values.reference.clone().filter(|r| !r.trim().is_empty()),
        origin: values.origin.clone(),
        destination: values.destination.clone(),
        planned_pickup_ms: time_of(&values.planned_pickup, who)?,
        planned_delivery_ms: time_of(&values.planned_delivery, who)?,
        goods: values
            .goods
            .iter()
            .map(|g| GoodsLine {
                description: g.description.clone(),
                quantity: g.quantity,
                unit: g.unit.clone().unwrap_or_default(),
                weight_kg: g.weight_kg.unwrap_or(0.0),
            })
            .collect(),
        shipper,
        consignee,
        stops: stops(who, values.stops.as_deref().unwrap_or_default())?,
    };
    create_shipment(who, &new, carrier, group_id)
}

fn stops(who: &Who, rows: &[forms::StopValues]) -> Result<Vec<NewStop>> {
    let time = |t: &Option<String>| -> Result<Option<i64>> {
        match t.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => time_of(t, who).map(Some),
            None => Ok(None),
        }
    };
    rows.iter()
        .map(|r| {
            Ok(NewStop {
                kind: r.kind,
                place: r.place.clone(),
                window_from_ms: time(&r.window_from)?,
                window_to_ms: time(&r.window_to)?,
                planned_arrival_ms: None,
            })
        })
        .collect()
}

pub fn create_shipment(
    who: &Who,
    new: &NewShipment,
    carrier: Option<OrgRef>,
    group_id: &str,
) -> Result<Stored> {
    let now = courtyard_sdk::time::now_ms();
    let offset = courtyard_sdk::clock::utc_offset_minutes(now);
    let day = waybill::date_code(now, offset);
    let seq = store::next_sequence(&day)?;
    let number = waybill::generate(now, offset, seq);
    let id = courtyard_sdk::records::new_id();
    let mut s = Shipment::create(&id, &who.org_id, &number, new, &who.viewer, now)
        .map_err(|e| ops::refused(&e, who.lang))?;
    if let Some(c) = &carrier {
        s.publish(&who.viewer, c, now)
            .map_err(|e| ops::refused(&e, who.lang))?;
    }
    store::waybills().create(
        &number,
        WaybillEntry {
            shipment_id: id.clone(),
        },
        Vec::new(),
    )?;
    let audience = ops::audience(&s, group_id, &who.org_id)?;
    let lang = who.lang.tag().to_owned();
    let card = cards::shipment_card(&s, who.lang);
    let card_id = messages::post_card_for(group_id, &card, &audience)?;
    let stored = Stored {
        shipment: s,
        group_id: Some(group_id.to_owned()),
        card_id: Some(card_id),
        audience,
        lang,
    };
    let links = store::links(&stored);
    store::shipments().create(&id, stored.clone(), links)?;
    Ok(stored)
}

/// A button on the card.
pub fn press(who: &Who, action: &Action) -> Result<ActionReply> {
    let lang = who.lang;
    let id = action.value.as_str();
    let now = courtyard_sdk::time::now_ms();
    let record = ops::load(&who.viewer, id, lang)?;
    let s = &record.value.shipment;
    let form = match action.action_id.as_str() {
        cards::ACCEPT => {
            ops::change(&who.viewer, id, lang, |s| s.accept(&who.viewer, now))?;
            return Ok(ActionReply::None);
        }
        cards::CANCEL => {
            ops::change(&who.viewer, id, lang, |s| {
                s.cancel(&who.viewer, None, None, now)
            })?;
            return Ok(ActionReply::None);
        }
        cards::PUBLISH => {
            let group = record.value.group_id.clone().unwrap_or_default();
            let carriers: Vec<OrgChoice> = orgs_in_group(who, &group)?
                .into_iter()
                .filter(|o| o.org_id != who.org_id)
                .collect();
            forms::publish_form(lang, s, &carriers)
        }
        cards::DECLINE => forms::decline_form(lang, s),
        cards::ASSIGN => forms::assign_form(lang, s),
        cards::STATUS => forms::status_form(lang, s, now),
        cards::ETA => forms::eta_form(lang, s),
        cards::DOCUMENT => forms::document_form(lang, s),
        _ => return Ok(ActionReply::None),
    };
    // Ask only those who may: the form would otherwise be refused after filling it in.
    let wanted = match action.action_id.as_str() {
        cards::PUBLISH => access::Action::Publish,
        cards::DECLINE => access::Action::Decline,
        cards::ASSIGN => access::Action::Assign,
        cards::ETA => access::Action::UpdateEta,
        cards::DOCUMENT => access::Action::AttachDocument,
        _ => access::Action::View,
    };
    access::check(&who.viewer, s, wanted).map_err(|e| ops::refused(&e, lang))?;
    Ok(ActionReply::form(form))
}

/// A submitted form.
pub fn submit(who: &Who, action: &Action) -> Result<ActionReply> {
    let lang = who.lang;
    let now = courtyard_sdk::time::now_ms();
    let id = action.value.clone();
    let (stored, _) = match action.action_id.as_str() {
        forms::CREATE => {
            let values: forms::CreateValues = action.form_as()?;
            let group = who.group_id.clone().unwrap_or_default();
            let stored = create(who, &values, &group)?;
            return Ok(ActionReply::ephemeral(who.tr(
                format!("Shipment {} created.", stored.shipment.waybill),
                format!("运单 {} 已创建。", stored.shipment.waybill),
            )));
        }
        forms::PUBLISH_FORM => {
            let v: serde_json::Value = action.form_as()?;
            let group = ops::load(&who.viewer, &id, lang)?
                .value
                .group_id
                .unwrap_or_default();
            let carrier = carrier_in(who, &group, v["carrier"].as_str().unwrap_or_default())?;
            ops::change(&who.viewer, &id, lang, |s| {
                s.publish(&who.viewer, &carrier, now)
            })?
        }
        forms::DECLINE_FORM => {
            let v: serde_json::Value = action.form_as()?;
            let note = v["note"].as_str().map(str::to_owned);
            ops::change(&who.viewer, &id, lang, |s| {
                s.decline(&who.viewer, note.as_deref(), now)
            })?
        }
        forms::ASSIGN_FORM => {
            let v: serde_json::Value = action.form_as()?;
            let vehicle = v["vehicle"].as_str().unwrap_or_default().to_owned();
            let driver = match v["driver"].as_str().filter(|d| !d.is_empty()) {
                Some(d) => {
                    let p = people::get(d)?;
                    Some(crate::domain::shipment::PersonRef::new(
                        p.id,
                        p.display_name,
                    ))
                }
                None => None,
            };
            ops::change(&who.viewer, &id, lang, |s| {
                s.assign(&who.viewer, &vehicle, driver.as_ref(), now)
            })?
        }
        forms::STATUS_FORM => {
            let v: forms::StatusValues = action.form_as()?;
            let mut event =
                NewEvent::actual(forms::status_of(&v.status, lang)?, time_of(&v.at, who)?);
            event.reason = forms::reason_of(v.reason.as_deref(), lang)?;
            event.place = v.place.clone().filter(|p| !p.trim().is_empty());
            event.note = v.note.clone().filter(|p| !p.trim().is_empty());
            event.stop = v.stop.as_deref().and_then(|s| s.parse().ok());
            event.time_kind = TimeKind::Actual;
            event.source = source_of(who);
            ops::change(&who.viewer, &id, lang, |s| {
                s.record(&who.viewer, event.clone(), now)
            })?
        }
        forms::ETA_FORM => {
            let v: forms::EtaValues = action.form_as()?;
            let eta = NewEta {
                eta_ms: time_of(&v.eta, who)?,
                reason: forms::reason_of(v.reason.as_deref(), lang)?,
                note: v.note.clone().filter(|n| !n.trim().is_empty()),
                source: source_of(who),
            };
            ops::change(&who.viewer, &id, lang, |s| {
                s.update_eta(&who.viewer, &eta, now)
            })?
        }
        forms::DOCUMENT_FORM => {
            let v: forms::DocumentValues = action.form_as()?;
            attach(who, &id, &v.kind, &v.file)?
        }
        _ => return Ok(ActionReply::None),
    };
    Ok(ActionReply::ephemeral(who.tr(
        format!("{} updated.", stored.shipment.waybill),
        format!("运单 {} 已更新。", stored.shipment.waybill),
    )))
}

/// A partner organization with people in the group, to publish to.
pub fn carrier_in(who: &Who, group_id: &str, org_id: &str) -> Result<OrgRef> {
    orgs_in_group(who, group_id)?
        .into_iter()
        .find(|o| o.org_id == org_id && o.org_id != who.org_id)
        .map(|o| OrgRef::new(o.org_id, o.name))
        .ok_or_else(|| {
            who.error(
                "That carrier has nobody in this group",
                "该承运商在本群中没有成员",
            )
        })
}

/// The driver reports as the driver; the carrier's people as its dispatcher.
fn source_of(who: &Who) -> Source {
    if who.viewer.staff {
        Source::Manual
    } else {
        Source::Dispatcher
    }
}

/// Attaches an uploaded file and shares it with everyone who sees the shipment.
pub fn attach(
    who: &Who,
    id: &str,
    kind: &str,
    file_id: &str,
) -> Result<(Stored, crate::domain::shipment::Change)> {
    let lang = who.lang;
    let kind =
        forms::kind_of(kind).ok_or_else(|| who.error("Unknown document kind", "未知的单据类型"))?;
    let info = files::get(file_id)?;
    if info.uploaded_by != who.viewer.person_id {
        return Err(who.error(
            "Attach files you uploaded yourself",
            "只能附加自己上传的文件",
        ));
    }
    let doc = NewDocument {
        kind,
        file_id: info.id.clone(),
        name: info.name.clone(),
        content_type: info.content_type.clone(),
        size: info.size,
    };
    let now = courtyard_sdk::time::now_ms();
    let policy = DocumentPolicy::default();
    let (stored, change) = ops::change(&who.viewer, id, lang, |s| {
        s.attach(&who.viewer, &doc, &policy, now)
    })?;
    ops::share_documents(&stored.shipment, &stored.audience);
    Ok((stored, change))
}

pub fn lang_of(who: &Who) -> Lang {
    who.lang
}
