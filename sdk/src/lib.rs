//! The Courtyard plugin SDK.
//!
//! A plugin is a type implementing [`Plugin`] (every method has a default) registered with
//! [`plugin!`]; build it for `wasm32-wasip2` and ship it with a `courtyard.toml` manifest.
//!
//! ```ignore
//! use courtyard_sdk::prelude::*;
//!
//! pub struct Dice;
//!
//! impl Plugin for Dice {
//!     fn command(ctx: &Context, command: &str, args: &Args) -> Result<Reply> {
//!         let sides: u32 = args.get(0).unwrap_or("6").parse().map_err(|_| Error::user("sides must be a number"))?;
//!         Ok(Reply::message(format!("{} rolled {}", ctx.actor_name(), 1 + clock::now_ms() as u32 % sides)))
//!     }
//! }
//!
//! courtyard_sdk::plugin!(Dice);
//! ```
//!
//! Compatibility: this SDK builds plugins for contract `courtyard:plugin@0.1.0`, which hosts
//! of version 0.1 and later run.

pub mod args;
pub mod card;
mod context;
pub mod storage;
#[cfg(not(target_family = "wasm"))]
pub mod testing;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit/since_v0.1.0",
        pub_export_macro: true,
        default_bindings_module: "courtyard_sdk::bindings",
    });
}

pub use args::Args;
pub use card::Card;
pub use context::Context;

/// The contract version this SDK targets.
pub const WIT_VERSION: &str = "0.1.0";

/// A user-facing error: its message is shown to the person who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub message: String,
}

impl Error {
    pub fn user(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        Error::user(match e {
            HostError::NotFound => "not found".to_owned(),
            HostError::Denied(m)
            | HostError::Invalid(m)
            | HostError::Quota(m)
            | HostError::Unavailable(m) => m,
        })
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::user(format!("stored data could not be read: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use bindings::courtyard::plugin::types::{HostError, Person};

/// What a command answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Only the person who ran the command sees it.
    Ephemeral(String),
    /// Posted to the group as text.
    Message(String),
    /// Posted to the group as a card.
    Card(Card),
    None,
}

impl Reply {
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Reply::Ephemeral(text.into())
    }
    pub fn message(text: impl Into<String>) -> Self {
        Reply::Message(text.into())
    }
}

/// A before-message hook's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Rewrite(String),
    Reject(String),
}

/// A button press on one of the plugin's cards.
#[derive(Clone, Debug)]
pub struct Action {
    pub message_id: String,
    pub action_id: String,
    pub value: String,
}

/// What a button press answers.
#[derive(Clone, Debug)]
pub enum ActionReply {
    UpdateCard(Card),
    Ephemeral(String),
    None,
}

/// An event delivered after it happened.
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: String,
    pub data: serde_json::Value,
}

/// A plugin. Implement the entry points you need; the rest do nothing.
pub trait Plugin {
    fn command(_ctx: &Context, _command: &str, _args: &Args) -> Result<Reply> {
        Ok(Reply::None)
    }
    fn before_message(_ctx: &Context, _body: &str) -> Decision {
        Decision::Allow
    }
    fn event(_ctx: &Context, _event: &Event) {}
    fn action(_ctx: &Context, _action: &Action) -> Result<ActionReply> {
        Ok(ActionReply::None)
    }
}

/// Host services, re-exported under friendly names.
pub mod host {
    pub use crate::bindings::courtyard::plugin::{clock, groups, log, messages, people};
}
pub use host::{clock, log};

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::card::{Button, Card, Tone};
    pub use crate::host::{clock, groups, log, messages, people};
    pub use crate::{
        Action, ActionReply, Args, Context, Decision, Error, Event, Plugin, Reply, Result, storage,
    };
}

#[doc(hidden)]
pub mod __private {
    use super::*;
    use bindings::courtyard::plugin::types as t;

    pub fn on_command<P: Plugin>(
        ctx: t::Context,
        command: String,
        args: String,
    ) -> std::result::Result<t::CommandReply, t::PluginError> {
        let ctx = Context::from(ctx);
        match P::command(&ctx, &command, &Args::parse(&args)) {
            Ok(Reply::Ephemeral(s)) => Ok(t::CommandReply::Ephemeral(s)),
            Ok(Reply::Message(s)) => Ok(t::CommandReply::Message(s)),
            Ok(Reply::Card(c)) => Ok(t::CommandReply::Card(c.into_wit())),
            Ok(Reply::None) => Ok(t::CommandReply::None),
            Err(e) => Err(t::PluginError { message: e.message }),
        }
    }

    pub fn before_message<P: Plugin>(ctx: t::Context, body: String) -> t::HookDecision {
        match P::before_message(&Context::from(ctx), &body) {
            Decision::Allow => t::HookDecision::Allow,
            Decision::Rewrite(s) => t::HookDecision::Rewrite(s),
            Decision::Reject(s) => t::HookDecision::Reject(s),
        }
    }

    pub fn on_event<P: Plugin>(ctx: t::Context, event: t::Event) {
        let data = serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null);
        P::event(
            &Context::from(ctx),
            &Event {
                kind: event.kind,
                data,
            },
        );
    }

    pub fn on_action<P: Plugin>(
        ctx: t::Context,
        action: t::Action,
    ) -> std::result::Result<t::ActionReply, t::PluginError> {
        let action = Action {
            message_id: action.message_id,
            action_id: action.action_id,
            value: action.value,
        };
        match P::action(&Context::from(ctx), &action) {
            Ok(ActionReply::UpdateCard(c)) => Ok(t::ActionReply::UpdateCard(c.into_wit())),
            Ok(ActionReply::Ephemeral(s)) => Ok(t::ActionReply::Ephemeral(s)),
            Ok(ActionReply::None) => Ok(t::ActionReply::None),
            Err(e) => Err(t::PluginError { message: e.message }),
        }
    }
}

/// Registers a [`Plugin`] type as the component's exports.
#[macro_export]
macro_rules! plugin {
    ($ty:ty) => {
        // Native builds (tests, docs, clippy) compile the plugin but export nothing: the
        // component's export names are only meaningful to a wasm linker.
        #[allow(dead_code)]
        struct __CourtyardExports;

        impl $crate::bindings::exports::courtyard::plugin::handlers::Guest for __CourtyardExports {
            fn on_command(
                ctx: $crate::bindings::courtyard::plugin::types::Context,
                command: String,
                args: String,
            ) -> Result<$crate::bindings::courtyard::plugin::types::CommandReply, $crate::bindings::courtyard::plugin::types::PluginError> {
                $crate::__private::on_command::<$ty>(ctx, command, args)
            }
            fn before_message(
                ctx: $crate::bindings::courtyard::plugin::types::Context,
                body: String,
            ) -> $crate::bindings::courtyard::plugin::types::HookDecision {
                $crate::__private::before_message::<$ty>(ctx, body)
            }
            fn on_event(
                ctx: $crate::bindings::courtyard::plugin::types::Context,
                event: $crate::bindings::courtyard::plugin::types::Event,
            ) {
                $crate::__private::on_event::<$ty>(ctx, event)
            }
            fn on_action(
                ctx: $crate::bindings::courtyard::plugin::types::Context,
                action: $crate::bindings::courtyard::plugin::types::Action,
            ) -> Result<$crate::bindings::courtyard::plugin::types::ActionReply, $crate::bindings::courtyard::plugin::types::PluginError> {
                $crate::__private::on_action::<$ty>(ctx, action)
            }
        }

        #[cfg(target_family = "wasm")]
        $crate::bindings::export!(__CourtyardExports with_types_in $crate::bindings);
    };
}
