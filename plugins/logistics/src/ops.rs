//! Every change to a shipment goes through here: read it (as someone who may see it),
//! apply a domain operation, write it back (rerunning on a lost race), then bring its card
//! and the card's audience up to date and tell the parties in the card's thread.

use courtyard_sdk::messages;
use courtyard_sdk::prelude::*;
use courtyard_sdk::time::format_datetime;

use crate::cards;
use crate::domain::shipment::Change;
use crate::domain::{Lang, Shipment, ShipmentError, Viewer, access};
use crate::store::{self, Stored};

/// A domain refusal as the person sees it.
pub fn refused(e: &ShipmentError, lang: Lang) -> Error {
    match e {
        ShipmentError::NotFound => Error::not_found(e.message(lang)),
        _ => Error::user(e.message(lang)),
    }
}

fn not_found(lang: Lang) -> Error {
    Error::not_found(lang.pick("No such shipment", "没有这个运单").to_owned())
}

/// The shipment `id`, if `viewer` may see it (otherwise "not found": nobody learns that
/// another partner's shipment exists).
pub fn load(viewer: &Viewer, id: &str, lang: Lang) -> Result<Versioned<Stored>> {
    match store::shipments().get(id)? {
        Some(r) if access::can_see(viewer, &r.value.shipment) => Ok(r),
        _ => Err(not_found(lang)),
    }
}

/// The shipment named by an id or a waybill number.
pub fn find(viewer: &Viewer, id_or_waybill: &str, lang: Lang) -> Result<Versioned<Stored>> {
    if let Some(r) = store::by_waybill(id_or_waybill)?
        && access::can_see(viewer, &r.value.shipment)
    {
        return Ok(r);
    }
    load(viewer, id_or_waybill, lang)
}

/// Applies `op` to the shipment and saves it; then updates its card and audience and
/// posts `notice` (if the change deserves one) in the card's thread.
pub fn change<F>(viewer: &Viewer, id: &str, lang: Lang, mut op: F) -> Result<(Stored, Change)>
where
    F: FnMut(&mut Shipment) -> std::result::Result<Change, ShipmentError>,
{
    let mut outcome = None;
    let mut shown_to = Vec::new();
    let saved = store::shipments().update_with(id, |record| {
        if !access::can_see(viewer, &record.value.shipment) {
            return Err(not_found(lang));
        }
        let change = op(&mut record.value.shipment).map_err(|e| refused(&e, lang))?;
        record.links = store::links(&record.value);
        // Who sees the card after the change is written with it, in the same write.
        shown_to = record.value.audience.clone();
        if let Some(group) = &record.value.group_id {
            let s = &record.value.shipment;
            record.value.audience = audience(s, group, &s.org_id)?;
        }
        outcome = Some(change);
        Ok(())
    });
    let saved = match saved {
        Err(e) if e.is_not_found() => return Err(not_found(lang)),
        other => other?,
    };
    let change = outcome.unwrap_or(Change::Unchanged);
    let stored = refresh(saved.value, &shown_to)?;
    if let Some(card) = notice_for(&stored.shipment, &change, lang)
        && let Some(card_id) = &stored.card_id
        && let Err(e) = messages::reply(card_id, "", Some(card))
    {
        courtyard_sdk::log::warn(&format!("could not post the notice: {e}"));
    }
    Ok((stored, change))
}

/// Who in the card's group may see the shipment: the audience of its card.
pub fn audience(s: &Shipment, group_id: &str, org_id: &str) -> Result<Vec<String>> {
    let members = courtyard_sdk::groups::members(group_id)?;
    Ok(members
        .into_iter()
        .filter(|m| {
            let viewer = Viewer {
                person_id: m.id.clone(),
                name: m.display_name.clone(),
                staff: m.org_id == org_id && !m.guest,
                org_id: m.org_id.clone(),
                org_admin: false,
                system: false,
            };
            access::can_see(&viewer, s)
        })
        .map(|m| m.id)
        .collect())
}

/// Draws the card again and, when the parties in the group changed (`shown_to` is who saw
/// it before), moves its audience and shares the documents with the newcomers.
fn refresh(stored: Stored, shown_to: &[String]) -> Result<Stored> {
    let Some(card_id) = &stored.card_id else {
        return Ok(stored);
    };
    let s = &stored.shipment;
    if stored.audience != shown_to && !stored.audience.is_empty() {
        messages::set_audience(card_id, &stored.audience)?;
        // Documents follow the card: whoever sees the shipment may download them.
        share_documents(s, &stored.audience);
    }
    let card = cards::shipment_card(s, Lang::from_locale(&stored.lang));
    messages::update_card(card_id, card)?;
    Ok(stored)
}

pub fn share_documents(s: &Shipment, people: &[String]) {
    if people.is_empty() {
        return;
    }
    let files = s
        .documents
        .iter()
        .map(|d| &d.file_id)
        .chain(s.events.iter().flat_map(|e| e.attachments.iter()));
    for id in files {
        if let Err(e) = courtyard_sdk::files::share(id, people) {
            courtyard_sdk::log::warn(&format!("could not share {id}: {e}"));
        }
    }
}

/// Checks that every file attached to an event is one the acting person uploaded.
pub fn own_uploads(viewer: &Viewer, ids: &[String], lang: Lang) -> Result<()> {
    for id in ids {
        let ok = courtyard_sdk::files::get(id).is_ok_and(|f| f.uploaded_by == viewer.person_id);
        if !ok {
            return Err(Error::user(format!(
                "{} {id}",
                lang.pick(
                    "Attach files you uploaded yourself:",
                    "只能附加自己上传的文件："
                )
            )));
        }
    }
    Ok(())
}

/// A thread notice for the changes parties want to hear about: ETA revisions, exceptions,
/// delivery, publication and acceptance.
fn notice_for(s: &Shipment, change: &Change, lang: Lang) -> Option<Card> {
    let l = |en: &'static str, zh: &'static str| lang.pick(en, zh).to_owned();
    match change {
        Change::Eta {
            eta_ms,
            previous_ms,
            later,
        } => {
            let rev = s.eta_history.last();
            let mut lines = vec![(l("New ETA", "新的预计到达"), format_datetime(*eta_ms))];
            lines.push((
                l("Previous", "原预计"),
                format_datetime(previous_ms.unwrap_or(s.planned_delivery_ms)),
            ));
            if let Some(r) = rev.and_then(|r| r.reason) {
                lines.push((l("Reason", "原因"), r.label(lang).to_owned()));
            }
            if let Some(n) = rev.and_then(|r| r.note.clone()) {
                lines.push((l("Note", "备注"), n));
            }
            if let Some(r) = rev {
                lines.push((l("By", "更新人"), r.by.name.clone()));
            }
            let title = if *later {
                format!("⏰ {} {}", s.waybill, l("is running late", "预计晚到"))
            } else {
                format!("🕒 {} {}", s.waybill, l("ETA updated", "预计到达已更新"))
            };
            Some(cards::notice(title, lines, cards::tone(s.status)))
        }
        Change::Status {
            status, applied, ..
        } if *applied && (status.is_exception() || status.is_terminal()) => {
            let mut lines = Vec::new();
            if let Some(e) = s.current_event() {
                if let Some(r) = e.reason {
                    lines.push((l("Reason", "原因"), r.label(lang).to_owned()));
                }
                if let Some(p) = &e.place {
                    lines.push((l("Place", "地点"), p.clone()));
                }
                lines.push((l("At", "时间"), format_datetime(e.at_ms)));
                lines.push((l("By", "报告人"), e.by.name.clone()));
            }
            Some(cards::notice(
                format!("{} · {}", s.waybill, status.label(lang)),
                lines,
                cards::tone(*status),
            ))
        }
        Change::Published { carrier } => Some(cards::notice(
            format!(
                "📦 {} {} {}",
                s.waybill,
                l("published to", "已发布给"),
                carrier.name
            ),
            Vec::new(),
            cards::tone(s.status),
        )),
        Change::Declined { carrier } => Some(cards::notice(
            format!(
                "↩️ {} {} {}",
                carrier.name,
                l("declined", "拒绝了"),
                s.waybill
            ),
            Vec::new(),
            cards::tone(s.status),
        )),
        _ => None,
    }
}
