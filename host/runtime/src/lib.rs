//! The plugin sandbox. Courtyard plugins are WebAssembly components that speak only the WIT
//! contract in `wit/`. This crate compiles and verifies them, and runs each call in a fresh
//! store with a deadline, a memory limit and only the capabilities the organization granted.
//! It knows nothing of HTTP or SQL: the host server implements [`api::HostApi`].
//!
//! **Architecture invariant:** a plugin reaches the host only through [`api::HostApi`], and
//! every call into a plugin goes through [`Runtime`], which enforces the limits.

pub mod api;
pub mod card;
pub mod form;
pub mod manifest;
mod runtime;
pub mod schedule;
mod v0_1_0;
mod v0_2_0;
mod v0_3_0;

pub use runtime::{
    ActionInput, ActionReply, Call, CallError, CommandReply, HookDecision, Lifecycle, Limits,
    LoadError, Page, Plugin, Runtime, TimerDue,
};
