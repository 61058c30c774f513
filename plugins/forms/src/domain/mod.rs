//! The forms domain: definitions the builder edits and publishes as versions, answers and
//! their rules, statistics, CSV export, and built-in templates. Plain Rust on `serde` and
//! `serde_json`: no SDK, no host calls, no clock — times come in as milliseconds since the
//! Unix epoch, and the organization's UTC offset in minutes wherever a local date or time
//! matters. Every text people read comes in English and Chinese ([`Lang`]).
//!
//! - [`definition`]: [`Definition`] (fields, with the plugin's `serial` kind and money
//!   capitals), [`Settings`] (audience, deadline, one answer or many, editable,
//!   anonymous), [`Form`] (status, version and serial counters) and its [`Version`]s;
//!   validation with errors naming the field; publishing and closing.
//! - [`render`]: a version as the contract form JSON the host renders and validates.
//! - [`submission`]: answers and drafts; the deadline, audience, one-answer and editing
//!   rules; serial numbers; filters for the results list.
//! - [`anonymity`]: how anonymous answers stay unlinked (respondent keys on a roll).
//! - [`stats`]: per-field statistics (exact money sums) and who has not answered.
//! - [`display`]: values as text for people; names and capitals through [`Lookup`].
//! - [`csv`]: exports for Excel (BOM, RFC 4180, formula injection defused).
//! - [`templates`]: daily and weekly reports, sign-up, surveys, expense claim.
//! - [`formula`]: reading a formula to check what it refers to.
//! - [`error`]: [`DefinitionError`] and [`FormError`], bilingual.
//! - [`cents`], [`time`], [`lang`]: exact amounts, civil dates, the two languages.
//!
//! How the wiring uses it: the builder saves a [`Definition`] (checked with
//! [`Form::check_draft`]) and publishes it ([`Form::publish`] → a new [`Version`] to store);
//! a person opens a version ([`render::render`]); the host validates what they send; the
//! plugin decides with [`submission::submit`] / [`submission::save_draft`] /
//! [`submission::edit`] and stores the outcome; results come from [`stats`] and [`csv`].

pub mod anonymity;
pub mod cents;
pub mod csv;
pub mod definition;
pub mod display;
pub mod error;
pub mod formula;
pub mod lang;
pub mod render;
pub mod stats;
pub mod submission;
pub mod templates;
pub mod time;

#[cfg(test)]
mod testkit;

// The names the wiring uses most; allowed unused until every one of them is wired.
#[allow(unused_imports)]
pub use definition::{
    Audience, Column, Definition, Field, Form, FormStatus, Kind, PersonRef, Settings, Version,
};
#[allow(unused_imports)]
pub use display::{Lookup, NoLookup};
#[allow(unused_imports)]
pub use error::{DefinitionError, FormError};
#[allow(unused_imports)]
pub use lang::{Lang, Text};
#[allow(unused_imports)]
pub use submission::{Answer, Outcome, Prior, Submission, SubmissionStatus};
