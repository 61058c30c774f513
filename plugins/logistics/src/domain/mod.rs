//! The logistics domain: shipments, their status machine, who sees and does what, the
//! partner push payload, analysis and CSV export. Plain Rust on `serde` and `serde_json`:
//! no SDK, no host calls, no clock — times come in as milliseconds since the Unix epoch,
//! and the organization's UTC offset in minutes wherever a local date or time matters.
//!
//! - [`status`]: the normalised status vocabulary, reason codes, and the transition table.
//! - [`shipment`]: the stored shipment document and every operation on it; each validates
//!   first and leaves the shipment untouched when it refuses.
//! - [`access`]: a person's roles on a shipment, what they may see and do, and who hears
//!   about what.
//! - [`error`]: why an operation was refused, in English and Chinese.
//! - [`partner`]: the JSON body partners' systems push, and raw-code mapping.
//! - [`analysis`]: on-time rates, delays, open exceptions, ETA revision statistics.
//! - [`csv`]: exports that open correctly in Excel, Chinese included.
//! - [`waybill`]: waybill numbers, generated or supplied.
//! - [`time`]: civil dates, local formatting and a strict RFC 3339 parser.

pub mod access;
pub mod analysis;
pub mod csv;
pub mod error;
pub mod lang;
pub mod partner;
pub mod shipment;
pub mod status;
pub mod time;
pub mod validate;
pub mod waybill;

#[cfg(test)]
mod testkit;

pub use access::{Action, Role, Viewer};
pub use error::ShipmentError;
pub use lang::Lang;
pub use shipment::Shipment;
pub use status::{Reason, Source, Status, TimeKind};
