//! Structured logs, visible to the organization's admins at
//! `GET /api/v1/orgs/{org}/plugins/{id}/logs`. Always available.

use crate::bindings::courtyard::plugin::log as raw;

pub use raw::{Level, write};

pub fn debug(message: &str) {
    raw::write(Level::Debug, message)
}

pub fn info(message: &str) {
    raw::write(Level::Info, message)
}

pub fn warn(message: &str) {
    raw::write(Level::Warn, message)
}

pub fn error(message: &str) {
    raw::write(Level::Error, message)
}
