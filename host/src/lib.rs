//! The Courtyard host: configuration, storage, the real-time hub, application services and
//! the HTTP API. `main.rs` is the `courtyard` command line over this library; the tests in
//! `tests/` start it in-process on a real socket.

pub mod app;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod crypto;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod package;
pub mod plugin_tools;
pub mod publish;
pub mod store;
pub mod telemetry;

pub use app::App;
pub use config::Config;
