//! End-to-end tests: the real server on a real socket, driven over HTTP and WebSocket, each
//! test on SQLite and on PostgreSQL. One test binary for all of them, so the host is linked
//! once rather than once per file.

#[macro_use]
mod common;

mod analytics;
mod authz_matrix;
mod bad_input;
mod cluster;
mod compliance;
mod directory;
mod distribution;
mod feed;
mod files;
mod messaging;
mod notifications;
mod openapi;
mod permissions;
mod plugin_surfaces;
mod plugins;
mod push;
mod realtime;
mod reindex;
mod retention;
mod reverse_proxy;
mod search;
mod smoke;
mod sso;
mod swap;
mod web_client;
mod webhooks;
