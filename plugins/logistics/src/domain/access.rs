//! Who sees a shipment, who may do what with it, and who hears about a change.
//!
//! A person's [`Role`]s on a shipment follow from plain facts about them ([`Viewer`]):
//!
//! - **staff**: a member (not a guest) of the organization the plugin runs for — the
//!   shipment's `org_id`. Staff see every shipment of their organization.
//! - **shipper**, **carrier**, **consignee**: a person whose home organization is that
//!   party of the shipment. For the plugin's own organization this takes staff: a guest
//!   account of the manufacturer is not the manufacturer.
//! - **driver**: the person assigned as driver, whatever their organization (drivers are
//!   often guests or of a subcontractor).
//!
//! Anyone with no role sees nothing — not even that the shipment exists: a carrier or
//! dealer in the same shared group sees only shipments that name their organization.
//! A carrier sees a shipment from the moment it is offered to them, and no longer once
//! they decline it.
//!
//! | action            | who                                                     |
//! |-------------------|---------------------------------------------------------|
//! | create            | staff                                                   |
//! | publish, cancel   | staff, shipper                                          |
//! | accept, decline, assign | carrier, staff                                    |
//! | status events     | carrier, driver, staff; the consignee only `delivered` and `failed_delivery` |
//! | ETA               | driver, carrier, staff                                  |
//! | documents         | every party                                             |
//!
//! A partner's system pushing through the API acts as [`Viewer::partner_system`]: it has
//! the roles of its organization, never staff nor driver.

use serde::{Deserialize, Serialize};

use super::error::ShipmentError;
use super::lang::Lang;
use super::shipment::{Change, DocumentKind, PersonRef, Shipment};
use super::status::Status;

/// The facts about the acting person that decide what they see and do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub person_id: String,
    pub name: String,
    /// Their home organization.
    pub org_id: String,
    /// A member, not a guest, of their organization (decides only for the plugin's own
    /// organization).
    pub staff: bool,
    /// An administrator of their organization.
    #[serde(default)]
    pub org_admin: bool,
    /// A partner's system pushing through the API, not a person.
    #[serde(default)]
    pub system: bool,
}

impl Viewer {
    pub fn person(&self) -> PersonRef {
        PersonRef::new(self.person_id.clone(), self.name.clone())
    }

    /// A partner's system: `partner:{partner_id}`, acting for `org_id`.
    pub fn partner_system(partner_id: &str, org_id: &str, name: &str) -> Viewer {
        Viewer {
            person_id: format!("partner:{partner_id}"),
            name: name.to_string(),
            org_id: org_id.to_string(),
            staff: false,
            org_admin: false,
            system: true,
        }
    }
}

/// A part a person plays in a shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Staff of the organization the plugin runs for.
    Staff,
    Shipper,
    Carrier,
    /// The dealer the goods go to.
    Consignee,
    Driver,
}

impl Role {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Staff => lang.pick("Staff", "本公司员工"),
            Role::Shipper => lang.pick("Shipper", "发货方"),
            Role::Carrier => lang.pick("Carrier", "承运商"),
            Role::Consignee => lang.pick("Consignee", "收货方"),
            Role::Driver => lang.pick("Driver", "司机"),
        }
    }
}

/// Something a person does to a shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "status", rename_all = "snake_case")]
pub enum Action {
    Create,
    View,
    Publish,
    Cancel,
    Accept,
    Decline,
    Assign,
    RecordStatus(Status),
    UpdateEta,
    AttachDocument,
}

impl Action {
    pub fn label(self, lang: Lang) -> String {
        let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
        match self {
            Action::Create => t("create a shipment", "创建运单"),
            Action::View => t("view", "查看"),
            Action::Publish => t("offer to a carrier", "发布给承运商"),
            Action::Cancel => t("cancel", "取消运单"),
            Action::Accept => t("accept", "接单"),
            Action::Decline => t("decline", "拒单"),
            Action::Assign => t("assign vehicle and driver", "指派车辆和司机"),
            Action::RecordStatus(s) if lang.is_zh() => format!("登记状态“{}”", s.label(lang)),
            Action::RecordStatus(s) => format!("record “{}”", s.label(lang)),
            Action::UpdateEta => t("update the ETA", "更新预计到达时间"),
            Action::AttachDocument => t("attach a document", "上传单据"),
        }
    }
}

/// The person belongs to `org` as far as this shipment is concerned: for the plugin's own
/// organization that takes staff.
fn of_org(v: &Viewer, s: &Shipment, org: &str) -> bool {
    v.org_id == org && (org != s.org_id || (v.staff && !v.system))
}

/// Every role the person has on the shipment, in [`Role`] order.
pub fn roles(v: &Viewer, s: &Shipment) -> Vec<Role> {
    let mut out = Vec::new();
    if v.staff && !v.system && v.org_id == s.org_id {
        out.push(Role::Staff);
    }
    if of_org(v, s, &s.shipper.org_id) {
        out.push(Role::Shipper);
    }
    if s.carrier.as_ref().is_some_and(|c| of_org(v, s, &c.org_id)) {
        out.push(Role::Carrier);
    }
    if of_org(v, s, &s.consignee.org_id) {
        out.push(Role::Consignee);
    }
    if !v.system && s.driver.as_ref().is_some_and(|d| d.id == v.person_id) {
        out.push(Role::Driver);
    }
    out
}

/// Whether the person sees the shipment at all.
pub fn can_see(v: &Viewer, s: &Shipment) -> bool {
    !roles(v, s).is_empty()
}

/// The shipments the person sees, in the order given.
pub fn visible<'a>(v: &Viewer, shipments: &'a [Shipment]) -> Vec<&'a Shipment> {
    shipments.iter().filter(|s| can_see(v, s)).collect()
}

/// Only staff of the plugin's organization create shipments.
pub fn can_create(v: &Viewer, org_id: &str) -> bool {
    v.staff && !v.system && v.org_id == org_id
}

/// Partner tokens and plugin settings: administrators among the staff.
pub fn can_administer(v: &Viewer, org_id: &str) -> bool {
    can_create(v, org_id) && v.org_admin
}

/// Whether people with these roles may do `action`.
pub fn may(roles: &[Role], action: Action) -> bool {
    let any = |allowed: &[Role]| roles.iter().any(|r| allowed.contains(r));
    match action {
        Action::Create => any(&[Role::Staff]),
        Action::View | Action::AttachDocument => !roles.is_empty(),
        Action::Publish | Action::Cancel | Action::RecordStatus(Status::Cancelled) => {
            any(&[Role::Staff, Role::Shipper])
        }
        Action::Accept
        | Action::Decline
        | Action::Assign
        | Action::RecordStatus(Status::Accepted) => any(&[Role::Staff, Role::Carrier]),
        Action::RecordStatus(Status::Delivered | Status::FailedDelivery) => {
            any(&[Role::Staff, Role::Carrier, Role::Driver, Role::Consignee])
        }
        Action::RecordStatus(_) => any(&[Role::Staff, Role::Carrier, Role::Driver]),
        Action::UpdateEta => any(&[Role::Staff, Role::Carrier, Role::Driver]),
    }
}

/// Whether the person may do `action` on the shipment.
pub fn can(v: &Viewer, s: &Shipment, action: Action) -> bool {
    may(&roles(v, s), action)
}

/// `NotFound` when the person does not see the shipment, `Forbidden` when they see it but
/// may not do this.
pub fn check(v: &Viewer, s: &Shipment, action: Action) -> Result<(), ShipmentError> {
    let roles = roles(v, s);
    if roles.is_empty() {
        Err(ShipmentError::NotFound)
    } else if !may(&roles, action) {
        Err(ShipmentError::Forbidden(action))
    } else {
        Ok(())
    }
}

/// Who hears about a change (the caller leaves out the person who made it):
///
/// - offered to a carrier → the carrier;
/// - accepted, declined → the shipper's side (staff, shipper);
/// - vehicle and driver assigned → the shipper's side, and a new driver;
/// - picked up, out for delivery, delivered, an exception (delayed, on hold, failed
///   delivery) or returned → the consignee and the shipper's side;
/// - cancelled → the carrier, the consignee and the driver;
/// - an exception ends (the shipment resumes) → the consignee and the shipper's side;
/// - a new ETA → the consignee and the shipper's side;
/// - a proof of delivery → the consignee and the shipper's side;
/// - anything else (in transit, arrived, forecasts, late events, other documents) →
///   nobody: the shipment's card updates in place.
pub fn subscribers(s: &Shipment, change: &Change) -> Vec<Role> {
    const SHIPPER_SIDE: [Role; 2] = [Role::Staff, Role::Shipper];
    const WATCHERS: [Role; 3] = [Role::Staff, Role::Shipper, Role::Consignee];
    let mut out: Vec<Role> = match change {
        Change::Published { .. } => vec![Role::Carrier],
        Change::Declined { .. } => SHIPPER_SIDE.to_vec(),
        Change::Assigned { driver_changed } => {
            let mut r = SHIPPER_SIDE.to_vec();
            if *driver_changed && s.driver.is_some() {
                r.push(Role::Driver);
            }
            r
        }
        Change::Status {
            status,
            previous,
            applied: true,
        } if previous.is_exception() && status.is_progress() => WATCHERS.to_vec(),
        Change::Status {
            status,
            applied: true,
            ..
        } => match status {
            Status::Accepted => SHIPPER_SIDE.to_vec(),
            Status::Cancelled => vec![Role::Carrier, Role::Consignee, Role::Driver],
            Status::PickedUp
            | Status::OutForDelivery
            | Status::Delivered
            | Status::Delayed
            | Status::OnHold
            | Status::FailedDelivery
            | Status::Returned => WATCHERS.to_vec(),
            Status::Created | Status::InTransit | Status::Arrived => vec![],
        },
        Change::Eta { .. } => WATCHERS.to_vec(),
        Change::Document {
            kind: DocumentKind::ProofOfDelivery,
        } => WATCHERS.to_vec(),
        Change::Created
        | Change::Status { applied: false, .. }
        | Change::Document { .. }
        | Change::Unchanged => vec![],
    };
    out.retain(|r| match r {
        Role::Carrier => s.carrier.is_some(),
        Role::Driver => s.driver.is_some(),
        _ => true,
    });
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests;
