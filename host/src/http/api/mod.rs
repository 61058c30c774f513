//! Handlers of `/api/v1`, one module per area. Each handler is a few lines: extract, call
//! the application service, wrap the answer.

pub mod analytics;
pub mod auth;
pub mod compliance;
pub mod events;
pub mod files;
pub mod groups;
pub mod messages;
pub mod notifications;
pub mod orgs;
pub mod people;
pub mod plugin_packages;
pub mod plugins;
pub mod search;
pub mod sso;
pub mod webhooks;
