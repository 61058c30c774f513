//! The shipment document (stored as JSON) and every operation on it.
//!
//! Each operation takes the acting [`Viewer`], checks that they see the shipment and may do
//! this ([`access`]), validates its input, and applies it. A refused operation returns a
//! [`ShipmentError`] and leaves the shipment exactly as it was: operations work on a copy
//! that replaces the shipment only on success. Each success returns a [`Change`] saying
//! what happened, from which [`access::subscribers`] tells who hears about it.
//!
//! # Status events
//!
//! The history of [`StatusEvent`]s is append-only. An event with an **actual** time is
//! checked against the status machine ([`status::check`]) and moves the status — unless it
//! arrives **late**: partners send events out of order, so an actual milestone event
//! (anything but `created`, `accepted`, `cancelled`) older than the latest milestone event
//! already applied is kept in the history with `applied: false` and fills in stop times
//! still missing, but does not move the status (nor is it checked against it). A
//! **planned** or **estimated** event is a forecast: it is kept (`applied: false`) and
//! updates the planned / estimated arrival of its stop, and is refused on a closed
//! shipment. An actual time more than [`FUTURE_TOLERANCE_MS`] ahead of the clock is
//! refused.
//!
//! Stops: an actual `arrived`, `picked_up`, `delivered` or `failed_delivery` event on a stop
//! sets that stop's actual arrival, an actual `in_transit` or `out_for_delivery` on a stop
//! its departure (the earliest time wins). `delivered` sets the actual delivery time,
//! the first `picked_up` the actual pickup time.

use serde::{Deserialize, Serialize};

use super::access::{self, Action, Viewer};
use super::error::{Limit, ShipmentError};
use super::lang::Lang;
use super::status::{self, Reason, Source, Status, TimeKind};
use super::time::MINUTE_MS;
use super::validate::{self, Field, Invalid, Problem};
use super::waybill;

/// At most this many goods lines.
pub const MAX_GOODS: usize = 200;
/// At most this many stops.
pub const MAX_STOPS: usize = 20;
/// At most this many status events (keeps the document small).
pub const MAX_EVENTS: usize = 1000;
pub const MAX_ETA_REVISIONS: usize = 500;
pub const MAX_DOCUMENTS: usize = 100;
/// Attachments on one status event.
pub const MAX_ATTACHMENTS: usize = 20;
/// Characters in a note.
pub const MAX_NOTE: usize = 1000;
/// Characters in a name, place or goods description.
pub const MAX_TEXT: usize = 200;
/// Characters in an ID (organization, person, file).
pub const MAX_ID: usize = 128;
pub const MAX_REFERENCE: usize = 64;
pub const MAX_UNIT: usize = 16;
pub const MAX_PLATE: usize = 20;
pub const MAX_RAW_CODE: usize = 32;
pub const MAX_FILE_NAME: usize = 255;
pub const MAX_QUANTITY: u64 = 1_000_000_000;
/// Kilograms in one goods line.
pub const MAX_WEIGHT_KG: u64 = 1_000_000;
/// How far an actual time may be ahead of the clock (devices' clocks drift).
pub const FUTURE_TOLERANCE_MS: i64 = 5 * MINUTE_MS;

/// An organization taking part in a shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub org_id: String,
    pub name: String,
}

impl OrgRef {
    pub fn new(org_id: impl Into<String>, name: impl Into<String>) -> OrgRef {
        OrgRef {
            org_id: org_id.into(),
            name: name.into(),
        }
    }
}

/// A person as the directory knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

impl PersonRef {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> PersonRef {
        PersonRef {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// One line of goods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoodsLine {
    pub description: String,
    pub quantity: f64,
    /// `pcs`, `pallet`, `箱`…
    pub unit: String,
    pub weight_kg: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    Pickup,
    Via,
    Delivery,
}

impl StopKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            StopKind::Pickup => lang.pick("Pickup", "提货"),
            StopKind::Via => lang.pick("Via", "途经"),
            StopKind::Delivery => lang.pick("Delivery", "送货"),
        }
    }
}

/// A stop of the route, in sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub kind: StopKind,
    pub place: String,
    #[serde(default)]
    pub window_from_ms: Option<i64>,
    #[serde(default)]
    pub window_to_ms: Option<i64>,
    #[serde(default)]
    pub planned_arrival_ms: Option<i64>,
    #[serde(default)]
    pub estimated_arrival_ms: Option<i64>,
    #[serde(default)]
    pub actual_arrival_ms: Option<i64>,
    #[serde(default)]
    pub departed_ms: Option<i64>,
}

/// A stop as the shipper plans it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStop {
    pub kind: StopKind,
    pub place: String,
    #[serde(default)]
    pub window_from_ms: Option<i64>,
    #[serde(default)]
    pub window_to_ms: Option<i64>,
    #[serde(default)]
    pub planned_arrival_ms: Option<i64>,
}

/// One entry of the status history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// 1, 2, 3… in the order events were recorded.
    pub id: u32,
    pub status: Status,
    /// The partner's own code, kept beside the normalised status.
    #[serde(default)]
    pub raw_code: Option<String>,
    #[serde(default)]
    pub reason: Option<Reason>,
    pub time_kind: TimeKind,
    /// When it happened (or is planned / expected to).
    pub at_ms: i64,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// Index into `Shipment::stops`.
    #[serde(default)]
    pub stop: Option<usize>,
    pub source: Source,
    #[serde(default)]
    pub note: Option<String>,
    /// File IDs.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The partner system's event ID, for events pushed through the API.
    #[serde(default)]
    pub external_id: Option<String>,
    pub by: PersonRef,
    pub recorded_ms: i64,
    /// Whether this event moved the status (false for forecasts and late arrivals).
    pub applied: bool,
}

/// A status event as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub status: Status,
    #[serde(default)]
    pub raw_code: Option<String>,
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default)]
    pub time_kind: TimeKind,
    pub at_ms: i64,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub stop: Option<usize>,
    /// Who reports it; a partner system always counts as `partner_api`, and a person
    /// claiming `partner_api` counts as `manual`.
    #[serde(default)]
    pub source: Source,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub attachments: Vec<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

impl NewEvent {
    /// An actual event at `at_ms` with nothing else said.
    pub fn actual(status: Status, at_ms: i64) -> NewEvent {
        NewEvent {
            status,
            raw_code: None,
            reason: None,
            time_kind: TimeKind::Actual,
            at_ms,
            place: None,
            lat: None,
            lon: None,
            stop: None,
            source: Source::Manual,
            note: None,
            attachments: Vec::new(),
            external_id: None,
        }
    }
}

/// One revision of the ETA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtaRevision {
    pub eta_ms: i64,
    /// The ETA before (`None`: the first one; the plan was the planned delivery).
    pub previous_ms: Option<i64>,
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default)]
    pub note: Option<String>,
    pub by: PersonRef,
    pub source: Source,
    pub at_ms: i64,
}

/// A new ETA as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEta {
    pub eta_ms: i64,
    #[serde(default)]
    pub reason: Option<Reason>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub source: Source,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    DeliveryNote,
    ProofOfDelivery,
    Invoice,
    Contract,
    BillOfLading,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::DeliveryNote,
        DocumentKind::ProofOfDelivery,
        DocumentKind::Invoice,
        DocumentKind::Contract,
        DocumentKind::BillOfLading,
        DocumentKind::Other,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            DocumentKind::DeliveryNote => lang.pick("Delivery note", "送货单"),
            DocumentKind::ProofOfDelivery => lang.pick("Proof of delivery", "签收单"),
            DocumentKind::Invoice => lang.pick("Invoice", "发票"),
            DocumentKind::Contract => lang.pick("Contract", "合同"),
            DocumentKind::BillOfLading => lang.pick("Bill of lading", "提单"),
            DocumentKind::Other => lang.pick("Other", "其他"),
        }
    }
}

/// A file attached to the shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub kind: DocumentKind,
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub uploaded_by: PersonRef,
    pub uploaded_ms: i64,
}

/// A file to attach (already uploaded to the host's file store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// Which files may be attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentPolicy {
    pub max_bytes: u64,
    /// MIME types in lower case, without parameters.
    pub allowed_types: Vec<String>,
}

impl Default for DocumentPolicy {
    /// 20 MiB; PDF, common images (photos of signatures), office documents, text and CSV.
    /// No HTML, SVG, scripts or archives.
    fn default() -> Self {
        DocumentPolicy {
            max_bytes: 20 * 1024 * 1024,
            allowed_types: [
                "application/pdf",
                "image/jpeg",
                "image/png",
                "image/webp",
                "image/heic",
                "image/heif",
                "image/gif",
                "image/tiff",
                "text/plain",
                "text/csv",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        }
    }
}

/// A change that is not a status event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActivityKind {
    Published {
        carrier: OrgRef,
    },
    Declined {
        carrier: OrgRef,
        #[serde(default)]
        note: Option<String>,
    },
    Assigned {
        vehicle: String,
        #[serde(default)]
        driver: Option<PersonRef>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub at_ms: i64,
    pub by: PersonRef,
    #[serde(flatten)]
    pub kind: ActivityKind,
}

/// What the shipper enters for a new shipment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewShipment {
    #[serde(default)]
    pub reference: Option<String>,
    pub origin: String,
    pub destination: String,
    pub planned_pickup_ms: i64,
    pub planned_delivery_ms: i64,
    pub goods: Vec<GoodsLine>,
    pub shipper: OrgRef,
    /// The dealer.
    pub consignee: OrgRef,
    /// Empty: one pickup stop at the origin and one delivery stop at the destination.
    #[serde(default)]
    pub stops: Vec<NewStop>,
}

/// A shipment, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: String,
    /// The organization the plugin runs for; its staff see every shipment.
    pub org_id: String,
    pub waybill: String,
    /// Contract or purchase order number.
    #[serde(default)]
    pub reference: Option<String>,
    pub origin: String,
    pub destination: String,
    pub planned_pickup_ms: i64,
    pub planned_delivery_ms: i64,
    pub goods: Vec<GoodsLine>,
    pub shipper: OrgRef,
    /// Set when published to a carrier; cleared when that carrier declines.
    #[serde(default)]
    pub carrier: Option<OrgRef>,
    pub consignee: OrgRef,
    /// Who accepted for the carrier.
    #[serde(default)]
    pub dispatcher: Option<PersonRef>,
    /// Plate number.
    #[serde(default)]
    pub vehicle: Option<String>,
    #[serde(default)]
    pub driver: Option<PersonRef>,
    pub stops: Vec<Stop>,
    pub status: Status,
    /// When the current status began (the time of the event that set it).
    pub status_since_ms: i64,
    #[serde(default)]
    pub published_ms: Option<i64>,
    #[serde(default)]
    pub actual_pickup_ms: Option<i64>,
    #[serde(default)]
    pub actual_delivery_ms: Option<i64>,
    pub events: Vec<StatusEvent>,
    /// The current ETA; `None` until someone gives one (the plan stands).
    #[serde(default)]
    pub eta_ms: Option<i64>,
    #[serde(default)]
    pub eta_history: Vec<EtaRevision>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub activity: Vec<Activity>,
    pub created_by: PersonRef,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Increases with every change (for optimistic concurrency in storage).
    pub version: u64,
}

/// What an operation did: feed it to [`access::subscribers`] to know who hears about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Created,
    Published {
        carrier: OrgRef,
    },
    Declined {
        carrier: OrgRef,
    },
    Assigned {
        driver_changed: bool,
    },
    /// A status event was recorded; `applied` when it moved the status from `previous`.
    Status {
        status: Status,
        previous: Status,
        applied: bool,
    },
    Eta {
        eta_ms: i64,
        previous_ms: Option<i64>,
        /// Later than the previous ETA (or the planned delivery).
        later: bool,
    },
    Document {
        kind: DocumentKind,
    },
    /// Nothing to do (the same ETA again, the same assignment).
    Unchanged,
}

fn org(id_field: Field, name_field: Field, o: &OrgRef) -> Result<OrgRef, Invalid> {
    Ok(OrgRef {
        org_id: validate::line(id_field, &o.org_id, MAX_ID)?,
        name: validate::line(name_field, &o.name, MAX_TEXT)?,
    })
}

fn goods(lines: &[GoodsLine]) -> Result<Vec<GoodsLine>, Invalid> {
    if lines.is_empty() {
        return Err(Invalid::new(Field::Goods, Problem::TooFew { min: 1 }));
    }
    if lines.len() > MAX_GOODS {
        return Err(Invalid::new(
            Field::Goods,
            Problem::TooMany { max: MAX_GOODS },
        ));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, g)| {
            Ok(GoodsLine {
                description: validate::line(Field::GoodsDescription(i), &g.description, MAX_TEXT)?,
                quantity: validate::positive(Field::GoodsQuantity(i), g.quantity, MAX_QUANTITY)?,
                unit: validate::line(Field::GoodsUnit(i), &g.unit, MAX_UNIT)?,
                weight_kg: validate::positive(Field::GoodsWeight(i), g.weight_kg, MAX_WEIGHT_KG)?,
            })
        })
        .collect()
}

fn opt_time(field: Field, ms: Option<i64>) -> Result<Option<i64>, Invalid> {
    ms.map(|ms| validate::time(field, ms)).transpose()
}

fn stops(new: &NewShipment, origin: &str, destination: &str) -> Result<Vec<Stop>, Invalid> {
    let planned = |kind, place: &str, at| Stop {
        kind,
        place: place.to_string(),
        window_from_ms: None,
        window_to_ms: None,
        planned_arrival_ms: Some(at),
        estimated_arrival_ms: None,
        actual_arrival_ms: None,
        departed_ms: None,
    };
    if new.stops.is_empty() {
        return Ok(vec![
            planned(StopKind::Pickup, origin, new.planned_pickup_ms),
            planned(StopKind::Delivery, destination, new.planned_delivery_ms),
        ]);
    }
    if new.stops.len() < 2 {
        return Err(Invalid::new(Field::Stops, Problem::TooFew { min: 2 }));
    }
    if new.stops.len() > MAX_STOPS {
        return Err(Invalid::new(
            Field::Stops,
            Problem::TooMany { max: MAX_STOPS },
        ));
    }
    let first = new.stops.first().map(|s| s.kind);
    let last = new.stops.last().map(|s| s.kind);
    if first != Some(StopKind::Pickup) || last != Some(StopKind::Delivery) {
        return Err(Invalid::new(Field::Stops, Problem::StopOrder));
    }
    new.stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let from = opt_time(Field::StopWindowStart(i), s.window_from_ms)?;
            let to = opt_time(Field::StopWindowEnd(i), s.window_to_ms)?;
            if let (Some(from), Some(to)) = (from, to)
                && to < from
            {
                return Err(Invalid::new(
                    Field::StopWindowEnd(i),
                    Problem::EndBeforeStart,
                ));
            }
            Ok(Stop {
                kind: s.kind,
                place: validate::line(Field::StopPlace(i), &s.place, MAX_TEXT)?,
                window_from_ms: from,
                window_to_ms: to,
                planned_arrival_ms: opt_time(Field::StopPlanned(i), s.planned_arrival_ms)?,
                estimated_arrival_ms: None,
                actual_arrival_ms: None,
                departed_ms: None,
            })
        })
        .collect()
}

fn person(id_field: Field, name_field: Field, p: &PersonRef) -> Result<PersonRef, Invalid> {
    Ok(PersonRef {
        id: validate::line(id_field, &p.id, MAX_ID)?,
        name: validate::line(name_field, &p.name, MAX_TEXT)?,
    })
}

/// A MIME type in lower case without parameters (`Image/JPEG; q=1` → `image/jpeg`).
fn mime(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

impl Shipment {
    /// A new shipment in status `created`, with its first event. Only staff of `org_id`
    /// create shipments. `waybill` is generated ([`waybill::generate`]) or supplied;
    /// `id` is the storage ID the caller chose.
    pub fn create(
        id: &str,
        org_id: &str,
        waybill: &str,
        new: &NewShipment,
        by: &Viewer,
        now_ms: i64,
    ) -> Result<Shipment, ShipmentError> {
        if !access::can_create(by, org_id) {
            return Err(ShipmentError::Forbidden(Action::Create));
        }
        let id = validate::line(Field::Id, id, MAX_ID)?;
        let waybill = waybill::validate(waybill)
            .map_err(|e| Invalid::new(Field::Waybill, Problem::Waybill(e)))?;
        let reference =
            validate::opt_line(Field::Reference, new.reference.as_deref(), MAX_REFERENCE)?;
        let origin = validate::line(Field::Origin, &new.origin, MAX_TEXT)?;
        let destination = validate::line(Field::Destination, &new.destination, MAX_TEXT)?;
        let pickup = validate::time(Field::PlannedPickup, new.planned_pickup_ms)?;
        let delivery = validate::time(Field::PlannedDelivery, new.planned_delivery_ms)?;
        if delivery < pickup {
            return Err(Invalid::new(
                Field::PlannedDelivery,
                Problem::Before(Field::PlannedPickup),
            )
            .into());
        }
        let goods = goods(&new.goods)?;
        let shipper = org(Field::ShipperId, Field::ShipperName, &new.shipper)?;
        let consignee = org(Field::ConsigneeId, Field::ConsigneeName, &new.consignee)?;
        let stops = stops(new, &origin, &destination)?;
        let created_by = by.person();
        let first = StatusEvent {
            id: 1,
            status: Status::Created,
            raw_code: None,
            reason: None,
            time_kind: TimeKind::Actual,
            at_ms: now_ms,
            place: None,
            lat: None,
            lon: None,
            stop: None,
            source: Source::Manual,
            note: None,
            attachments: Vec::new(),
            external_id: None,
            by: created_by.clone(),
            recorded_ms: now_ms,
            applied: true,
        };
        Ok(Shipment {
            id,
            org_id: org_id.to_string(),
            waybill,
            reference,
            origin,
            destination,
            planned_pickup_ms: pickup,
            planned_delivery_ms: delivery,
            goods,
            shipper,
            carrier: None,
            consignee,
            dispatcher: None,
            vehicle: None,
            driver: None,
            stops,
            status: Status::Created,
            status_since_ms: now_ms,
            published_ms: None,
            actual_pickup_ms: None,
            actual_delivery_ms: None,
            events: vec![first],
            eta_ms: None,
            eta_history: Vec::new(),
            documents: Vec::new(),
            activity: Vec::new(),
            created_by,
            created_ms: now_ms,
            updated_ms: now_ms,
            version: 1,
        })
    }

    /// The last progress status reached (see [`status`]): where an exception resumes.
    pub fn base_status(&self) -> Status {
        self.events
            .iter()
            .rev()
            .find(|e| e.applied && e.status.is_progress())
            .map_or(Status::Created, |e| e.status)
    }

    /// While the shipment is in an exception: the status it goes back to when it ends.
    pub fn resume_status(&self) -> Option<Status> {
        self.status.is_exception().then(|| self.base_status())
    }

    /// Every status the shipment may move to now.
    pub fn next_statuses(&self) -> Vec<Status> {
        status::targets(self.status, self.base_status())
    }

    pub fn is_closed(&self) -> bool {
        self.status.is_terminal()
    }

    /// The event that set the current status.
    pub fn current_event(&self) -> Option<&StatusEvent> {
        self.events.iter().rev().find(|e| e.applied)
    }

    /// Why the shipment is in its current status (for exceptions).
    pub fn current_reason(&self) -> Option<Reason> {
        self.current_event().and_then(|e| e.reason)
    }

    /// The ETA if someone gave one, else the planned delivery.
    pub fn effective_eta(&self) -> i64 {
        self.eta_ms.unwrap_or(self.planned_delivery_ms)
    }

    /// The time of the latest applied actual milestone (what later events are compared to).
    pub fn latest_milestone_ms(&self) -> Option<i64> {
        self.events
            .iter()
            .filter(|e| e.applied && is_milestone(e.status))
            .map(|e| e.at_ms)
            .max()
    }

    pub fn total_weight_kg(&self) -> f64 {
        self.goods.iter().map(|g| g.weight_kg).sum()
    }

    /// Runs `f` on a copy that replaces the shipment only when `f` succeeds with a change.
    fn change(
        &mut self,
        by: &Viewer,
        action: Action,
        now_ms: i64,
        f: impl FnOnce(&mut Shipment) -> Result<Change, ShipmentError>,
    ) -> Result<Change, ShipmentError> {
        access::check(by, self, action)?;
        let mut draft = self.clone();
        let change = f(&mut draft)?;
        if change != Change::Unchanged {
            draft.updated_ms = now_ms;
            draft.version += 1;
            *self = draft;
        }
        Ok(change)
    }

    /// The shipper offers the shipment to a carrier (again, or to another one, as long as
    /// no carrier has accepted it).
    pub fn publish(
        &mut self,
        by: &Viewer,
        carrier: &OrgRef,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        self.change(by, Action::Publish, now_ms, |s| {
            s.waiting_for_carrier()?;
            let carrier = org(Field::CarrierId, Field::CarrierName, carrier)?;
            s.carrier = Some(carrier.clone());
            s.published_ms = Some(now_ms);
            s.activity.push(Activity {
                at_ms: now_ms,
                by: by.person(),
                kind: ActivityKind::Published {
                    carrier: carrier.clone(),
                },
            });
            Ok(Change::Published { carrier })
        })
    }

    /// The carrier takes the shipment; the person accepting becomes its dispatcher.
    pub fn accept(&mut self, by: &Viewer, now_ms: i64) -> Result<Change, ShipmentError> {
        let mut event = NewEvent::actual(Status::Accepted, now_ms);
        event.source = Source::Dispatcher;
        self.record(by, event, now_ms)
    }

    /// The carrier turns the shipment down: it goes back to the shipper, without carrier.
    pub fn decline(
        &mut self,
        by: &Viewer,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        self.change(by, Action::Decline, now_ms, |s| {
            s.waiting_for_carrier()?;
            let note = validate::opt_text(Field::Note, note, MAX_NOTE)?;
            let carrier = s.carrier.take().ok_or(ShipmentError::NotPublished)?;
            s.published_ms = None;
            s.activity.push(Activity {
                at_ms: now_ms,
                by: by.person(),
                kind: ActivityKind::Declined {
                    carrier: carrier.clone(),
                    note,
                },
            });
            Ok(Change::Declined { carrier })
        })
    }

    /// The carrier (or staff) sets the vehicle and the driver (`None`: no driver yet).
    pub fn assign(
        &mut self,
        by: &Viewer,
        vehicle: &str,
        driver: Option<&PersonRef>,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        self.change(by, Action::Assign, now_ms, |s| {
            if s.status.is_terminal() {
                return Err(ShipmentError::Closed(s.status));
            }
            if s.base_status() == Status::Created {
                return Err(ShipmentError::NotAccepted);
            }
            let vehicle = validate::line(Field::Vehicle, vehicle, MAX_PLATE)?;
            let driver = driver
                .map(|d| person(Field::DriverId, Field::DriverName, d))
                .transpose()?;
            if s.vehicle.as_deref() == Some(vehicle.as_str()) && s.driver == driver {
                return Ok(Change::Unchanged);
            }
            let driver_changed = s.driver.as_ref().map(|d| &d.id) != driver.as_ref().map(|d| &d.id);
            s.vehicle = Some(vehicle.clone());
            s.driver = driver.clone();
            s.activity.push(Activity {
                at_ms: now_ms,
                by: by.person(),
                kind: ActivityKind::Assigned { vehicle, driver },
            });
            Ok(Change::Assigned { driver_changed })
        })
    }

    /// The shipper calls the shipment off (before pickup; afterwards it is returned).
    pub fn cancel(
        &mut self,
        by: &Viewer,
        reason: Option<Reason>,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        let mut event = NewEvent::actual(Status::Cancelled, now_ms);
        event.reason = reason;
        event.note = note.map(str::to_string);
        self.record(by, event, now_ms)
    }

    /// Records a status event (see the module documentation for what it does).
    pub fn record(
        &mut self,
        by: &Viewer,
        event: NewEvent,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        self.change(by, Action::RecordStatus(event.status), now_ms, |s| {
            s.apply_event(by, event, now_ms)
        })
    }

    fn apply_event(
        &mut self,
        by: &Viewer,
        ev: NewEvent,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        let raw_code = validate::opt_line(Field::RawCode, ev.raw_code.as_deref(), MAX_RAW_CODE)?;
        if ev.status.needs_reason() && ev.reason.is_none() {
            return Err(ShipmentError::ReasonRequired(ev.status));
        }
        let at = validate::time(Field::Time, ev.at_ms)?;
        let place = validate::opt_line(Field::Place, ev.place.as_deref(), MAX_TEXT)?;
        let coordinates = validate::coordinates(ev.lat, ev.lon)?;
        if let Some(stop) = ev.stop
            && stop >= self.stops.len()
        {
            return Err(ShipmentError::UnknownStop {
                stop,
                stops: self.stops.len(),
            });
        }
        let note = validate::opt_text(Field::Note, ev.note.as_deref(), MAX_NOTE)?;
        let attachments = attachments(&ev.attachments)?;
        let external_id = ev
            .external_id
            .as_deref()
            .map(|id| {
                validate::id_like(id)
                    .then(|| id.to_string())
                    .ok_or_else(|| Invalid::new(Field::EventId, Problem::BadId))
            })
            .transpose()?;
        if self.events.len() >= MAX_EVENTS {
            return Err(ShipmentError::Full {
                what: Limit::Events,
                max: MAX_EVENTS,
            });
        }
        let actual = ev.time_kind == TimeKind::Actual;
        if actual && at > now_ms.saturating_add(FUTURE_TOLERANCE_MS) {
            return Err(ShipmentError::FutureTime);
        }
        let previous = self.status;
        let base = self.base_status();
        let late = actual
            && is_milestone(ev.status)
            && self.latest_milestone_ms().is_some_and(|latest| at < latest);
        let applied = actual && !late;
        if !actual && self.status.is_terminal() {
            return Err(ShipmentError::Closed(self.status));
        }
        if applied {
            status::check(self.status, base, ev.status).map_err(ShipmentError::Transition)?;
            if ev.status == Status::Accepted && base == Status::Created {
                if self.carrier.is_none() {
                    return Err(ShipmentError::NotPublished);
                }
                self.dispatcher = (!by.system).then(|| by.person());
            }
        }
        let source = match (by.system, ev.source) {
            (true, _) => Source::PartnerApi,
            (false, Source::PartnerApi) => Source::Manual,
            (false, source) => source,
        };
        if let Some(i) = ev.stop {
            let stop = &mut self.stops[i];
            let earliest = |t: Option<i64>| Some(t.map_or(at, |t| t.min(at)));
            let arrival = matches!(
                ev.status,
                Status::Arrived | Status::PickedUp | Status::Delivered | Status::FailedDelivery
            );
            let departure = matches!(ev.status, Status::InTransit | Status::OutForDelivery);
            match ev.time_kind {
                TimeKind::Actual if arrival => {
                    stop.actual_arrival_ms = earliest(stop.actual_arrival_ms)
                }
                TimeKind::Actual if departure => stop.departed_ms = earliest(stop.departed_ms),
                TimeKind::Estimated if arrival => stop.estimated_arrival_ms = Some(at),
                TimeKind::Planned if arrival => stop.planned_arrival_ms = Some(at),
                _ => {}
            }
        }
        if applied {
            self.status = ev.status;
            self.status_since_ms = at;
            match ev.status {
                Status::Delivered => self.actual_delivery_ms = Some(at),
                Status::PickedUp if self.actual_pickup_ms.is_none() => {
                    self.actual_pickup_ms = Some(at)
                }
                _ => {}
            }
        }
        let (lat, lon) = coordinates.unzip();
        self.events.push(StatusEvent {
            id: self.events.last().map_or(1, |e| e.id + 1),
            status: ev.status,
            raw_code,
            reason: ev.reason,
            time_kind: ev.time_kind,
            at_ms: at,
            place,
            lat,
            lon,
            stop: ev.stop,
            source,
            note,
            attachments,
            external_id,
            by: by.person(),
            recorded_ms: now_ms,
            applied,
        });
        Ok(Change::Status {
            status: ev.status,
            previous,
            applied,
        })
    }

    /// A new ETA. Moving it later needs a reason; so does an ETA already in the past; a
    /// closed shipment has no ETA to update. The same ETA again changes nothing.
    pub fn update_eta(
        &mut self,
        by: &Viewer,
        eta: &NewEta,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        self.change(by, Action::UpdateEta, now_ms, |s| {
            if s.status.is_terminal() {
                return Err(ShipmentError::Closed(s.status));
            }
            let eta_ms = validate::time(Field::Eta, eta.eta_ms)?;
            let note = validate::opt_text(Field::Note, eta.note.as_deref(), MAX_NOTE)?;
            let previous_ms = s.eta_ms;
            if previous_ms == Some(eta_ms) {
                return Ok(Change::Unchanged);
            }
            let later = eta_ms > s.effective_eta();
            if later && eta.reason.is_none() {
                return Err(ShipmentError::EtaReasonRequired);
            }
            if eta_ms < now_ms && eta.reason.is_none() {
                return Err(ShipmentError::EtaInPast);
            }
            if s.eta_history.len() >= MAX_ETA_REVISIONS {
                return Err(ShipmentError::Full {
                    what: Limit::EtaRevisions,
                    max: MAX_ETA_REVISIONS,
                });
            }
            let source = match (by.system, eta.source) {
                (true, _) => Source::PartnerApi,
                (false, Source::PartnerApi) => Source::Manual,
                (false, source) => source,
            };
            s.eta_ms = Some(eta_ms);
            s.eta_history.push(EtaRevision {
                eta_ms,
                previous_ms,
                reason: eta.reason,
                note,
                by: by.person(),
                source,
                at_ms: now_ms,
            });
            Ok(Change::Eta {
                eta_ms,
                previous_ms,
                later,
            })
        })
    }

    /// Attaches an uploaded file. Any party may, also after delivery (proof of delivery).
    pub fn attach(
        &mut self,
        by: &Viewer,
        doc: &NewDocument,
        policy: &DocumentPolicy,
        now_ms: i64,
    ) -> Result<Change, ShipmentError> {
        self.change(by, Action::AttachDocument, now_ms, |s| {
            let file_id = validate::line(Field::FileId, &doc.file_id, MAX_ID)?;
            let name = validate::line(Field::FileName, &doc.name, MAX_FILE_NAME)?;
            if name.contains(['/', '\\']) {
                return Err(Invalid::new(Field::FileName, Problem::ControlChars).into());
            }
            let content_type = mime(&doc.content_type);
            if content_type.is_empty() {
                return Err(Invalid::new(Field::ContentType, Problem::Required).into());
            }
            if !policy.allowed_types.contains(&content_type) {
                return Err(ShipmentError::DocumentType { content_type });
            }
            if doc.size == 0 {
                return Err(Invalid::new(Field::Size, Problem::NotPositive).into());
            }
            if doc.size > policy.max_bytes {
                return Err(ShipmentError::DocumentTooLarge {
                    size: doc.size,
                    max: policy.max_bytes,
                });
            }
            if s.documents.iter().any(|d| d.file_id == file_id) {
                return Err(Invalid::new(Field::FileId, Problem::Duplicate).into());
            }
            if s.documents.len() >= MAX_DOCUMENTS {
                return Err(ShipmentError::Full {
                    what: Limit::Documents,
                    max: MAX_DOCUMENTS,
                });
            }
            s.documents.push(Document {
                kind: doc.kind,
                file_id,
                name,
                content_type,
                size: doc.size,
                uploaded_by: by.person(),
                uploaded_ms: now_ms,
            });
            Ok(Change::Document { kind: doc.kind })
        })
    }

    /// Publishing and declining happen only before a carrier accepts.
    fn waiting_for_carrier(&self) -> Result<(), ShipmentError> {
        if self.status.is_terminal() {
            return Err(ShipmentError::Closed(self.status));
        }
        if self.base_status() != Status::Created {
            return Err(ShipmentError::AlreadyAccepted);
        }
        Ok(())
    }
}

/// Events that happen to the goods (everything but the administrative `created`,
/// `accepted` and `cancelled`): the ones whose order in time matters.
fn is_milestone(status: Status) -> bool {
    !matches!(
        status,
        Status::Created | Status::Accepted | Status::Cancelled
    )
}

fn attachments(ids: &[String]) -> Result<Vec<String>, Invalid> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(Invalid::new(
            Field::Attachments,
            Problem::TooMany {
                max: MAX_ATTACHMENTS,
            },
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let id = validate::line(Field::Attachment(i), id, MAX_ID)?;
        if out.contains(&id) {
            return Err(Invalid::new(Field::Attachment(i), Problem::Duplicate));
        }
        out.push(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
