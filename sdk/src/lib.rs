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
//!         let sides: u32 = args.get(0).unwrap_or("6").parse()
//!             .map_err(|_| Error::user(ctx.tr("sides must be a number", "面数必须是数字")))?;
//!         Ok(Reply::message(format!("{} rolled {}", ctx.actor_name(), 1 + clock::now_ms() as u32 % sides)))
//!     }
//! }
//!
//! courtyard_sdk::plugin!(Dice);
//! ```
//!
//! What is here:
//!
//! - entry points: [`Plugin`] — commands, the before-message hook, events, buttons and
//!   form submissions ([`Action`]), pages ([`Page`]), HTTP routes ([`http::Request`] →
//!   [`http::Response`]), timers and schedules ([`Timer`]), lifecycle stages ([`Lifecycle`]) and
//!   calls from other plugins;
//! - the typed [`Context`] (who, where, settings, language: [`Context::tr`]);
//! - declarative UI: [`Card`] and [`Form`] builders;
//! - host services: [`storage`] (key-value), [`records`] (typed, versioned documents linked
//!   to people, groups and messages), [`timers`], [`http`] (outbound, allow-listed hosts),
//!   [`interop`] (calling other plugins), [`messages`] (including cards only part of a group
//!   sees), [`people`] (and organizations), [`groups`], [`files`] (uploaded files), [`log`],
//!   [`clock`], and [`time`] (dates in the organization's time zone);
//! - natively only, `testing`: a harness that runs the plugin in a real in-process host.
//!
//! Compatibility: this SDK builds plugins for contract `courtyard:plugin@0.3.0`, which hosts
//! of version 0.3 and later run. Components built with older SDKs (contracts 0.2.0 and
//! 0.1.0) keep running on those hosts unchanged.

pub mod args;
pub mod card;
mod context;
pub mod files;
pub mod form;
pub mod http;
pub mod interop;
pub mod log;
pub mod messages;
pub mod money;
pub mod records;
pub mod storage;
#[cfg(not(target_family = "wasm"))]
pub mod testing;
pub mod time;
pub mod timers;
mod web;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit/since_v0.3.0",
        pub_export_macro: true,
        default_bindings_module: "courtyard_sdk::bindings",
    });
}

pub use args::Args;
pub use card::{Button, Card, Page, PersonRef, TimelineEntry, Tone};
pub use context::Context;
pub use files::FileInfo;
pub use form::{Column, Field, FieldKind, Form, FormulaResult, Money};
pub use web::{Query, Request, Response};
// `Request` and `Response` are also `http::Request` and `http::Response`, the names the
// prelude offers: "request" is too common a word in business plugins to take it from them.

/// The contract version this SDK targets.
pub const WIT_VERSION: &str = "0.3.0";

/// What went wrong, for code that wants to react (retry on [`ErrorKind::Conflict`], report
/// [`ErrorKind::Quota`]…). Every error also carries a message fit to show the person who
/// acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A plugin's own, user-facing error ([`Error::user`]).
    User,
    /// The object does not exist or the plugin may not see it.
    NotFound,
    /// A capability (or an HTTP host, or a plugin to call) was not granted.
    Denied,
    /// The host refused the input (too large, malformed).
    Invalid,
    /// A quota was exceeded.
    Quota,
    /// The host could not do it now; retrying may help.
    Unavailable,
    /// A versioned write or compare-and-set lost a race; read again and retry.
    Conflict,
    /// Stored, submitted or received data did not have the expected shape.
    Data,
    /// An outbound HTTP request got an unsuccessful status.
    Status(u16),
}

/// An error. Returned from an entry point, its message is shown to the person who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub kind: ErrorKind,
}

impl Error {
    /// A user-facing error: "choose 2 to 100 sides", "you cannot approve your own request".
    pub fn user(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::User, message)
    }

    /// A "not found" error with a message of your own.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    pub fn is_conflict(&self) -> bool {
        self.kind == ErrorKind::Conflict
    }

    pub fn is_quota(&self) -> bool {
        self.kind == ErrorKind::Quota
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        match e {
            HostError::NotFound => Error::new(ErrorKind::NotFound, "not found"),
            HostError::Denied(m) => Error::new(ErrorKind::Denied, m),
            HostError::Invalid(m) => Error::new(ErrorKind::Invalid, m),
            HostError::Quota(m) => Error::new(ErrorKind::Quota, m),
            HostError::Unavailable(m) => Error::new(ErrorKind::Unavailable, m),
            HostError::Conflict => Error::new(
                ErrorKind::Conflict,
                "someone else changed this at the same time; try again",
            ),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(
            ErrorKind::Data,
            format!("stored data could not be read: {e}"),
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use bindings::courtyard::plugin::types::{Actor, Group, HostError, Organization, Person, Role};

/// What a command answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Only the person who ran the command sees it.
    Ephemeral(String),
    /// Posted to the group as text.
    Message(String),
    /// Posted to the group as a card.
    Card(Card),
    /// Shown only to the person who ran the command, to fill in; submitting it calls
    /// [`Plugin::action`] with the form's id as the action id.
    Form(Form),
    None,
}

impl Reply {
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Reply::Ephemeral(text.into())
    }
    pub fn message(text: impl Into<String>) -> Self {
        Reply::Message(text.into())
    }
    pub fn card(card: Card) -> Self {
        Reply::Card(card)
    }
    pub fn form(form: Form) -> Self {
        Reply::Form(form)
    }
}

/// A before-message hook's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Rewrite(String),
    Reject(String),
}

/// A button pressed on one of the plugin's cards, or one of its forms submitted.
#[derive(Clone, Debug)]
pub struct Action {
    /// The card the button or form was on; `None` for a form a command or action opened.
    pub message_id: Option<String>,
    /// The button's action id, or the form's id.
    pub action_id: String,
    /// The button's value, or the form's value.
    pub value: String,
    /// For a form: the submitted values, already validated by the host against the form.
    pub form: Option<serde_json::Value>,
}

impl Action {
    /// Whether this is a form submission (rather than a button press).
    pub fn is_form(&self) -> bool {
        self.form.is_some()
    }

    /// The submitted form as your own type, e.g. `#[derive(Deserialize)] struct Leave {
    /// dates: time::DateRange, kind: String, reason: Option<String> }`.
    pub fn form_as<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        let values = self
            .form
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Data, "this action carries no form"))?;
        T::deserialize(values).map_err(|e| {
            Error::new(
                ErrorKind::Data,
                format!("the form's values do not fit: {e}"),
            )
        })
    }
}

/// What a button press or form submission answers.
#[derive(Clone, Debug)]
pub enum ActionReply {
    /// Replace the card the button (or inline form) was on. On a plugin page the page is
    /// drawn again instead, showing the card as the plugin's `page` now draws it.
    UpdateCard(Card),
    Ephemeral(String),
    /// Show another form: the next step, or the same one again with what was wrong.
    Form(Form),
    None,
}

impl ActionReply {
    pub fn update(card: Card) -> Self {
        ActionReply::UpdateCard(card)
    }
    pub fn ephemeral(text: impl Into<String>) -> Self {
        ActionReply::Ephemeral(text.into())
    }
    pub fn form(form: Form) -> Self {
        ActionReply::Form(form)
    }
}

/// An event delivered after it happened.
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: String,
    pub data: serde_json::Value,
}

/// A timer set with [`timers::set`], or a schedule from the manifest, that came due.
#[derive(Clone, Debug)]
pub struct Timer {
    pub id: String,
    /// The timer's key, or the schedule's name.
    pub name: String,
    /// A manifest schedule rather than a timer.
    pub scheduled: bool,
    /// The payload as set (JSON text when set through [`timers::set`]; empty for schedules).
    pub payload: String,
    /// When it was due, in milliseconds since the Unix epoch.
    pub due_ms: i64,
}

impl Timer {
    /// The payload given to [`timers::set`], as your own type.
    pub fn payload_as<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.payload).map_err(|e| {
            Error::new(
                ErrorKind::Data,
                format!("the payload of timer `{}` does not fit: {e}", self.name),
            )
        })
    }
}

/// A stage of the plugin's life in an organization or group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// Installed into the organization. An error aborts the install.
    Installed,
    /// A new version replaced `from` (its version). An error keeps the old version.
    Upgraded { from: String },
    /// Enabled in the context's group.
    Enabled,
    /// Disabled in the context's group (by an admin or the circuit breaker).
    Disabled,
    /// About to be removed with all its data.
    Uninstalling,
}

/// A plugin. Implement the entry points you need; the rest do nothing.
pub trait Plugin {
    /// A slash command declared in the manifest (`command` is its name without `/`).
    fn command(_ctx: &Context, _command: &str, _args: &Args) -> Result<Reply> {
        Ok(Reply::None)
    }

    /// Before a message is stored (declare `[hooks.before_message]`).
    fn before_message(_ctx: &Context, _body: &str) -> Decision {
        Decision::Allow
    }

    /// After something happened where the plugin is enabled (declare `events = [...]`).
    fn event(_ctx: &Context, _event: &Event) {}

    /// A button on one of the plugin's cards was pressed, or one of its forms submitted.
    fn action(_ctx: &Context, _action: &Action) -> Result<ActionReply> {
        Ok(ActionReply::None)
    }

    /// A page declared in the manifest (`[[pages]]`), opened with `query`.
    fn page(ctx: &Context, page: &str, _query: &Query) -> Result<Page> {
        Err(Error::not_found(ctx.tr(
            format!("there is no page `{page}`"),
            format!("没有页面 `{page}`"),
        )))
    }

    /// A request to a route declared in the manifest (`[[routes]]`).
    fn http(_ctx: &Context, _request: &http::Request) -> http::Response {
        Response::not_found()
    }

    /// A timer or a scheduled job came due. Errors are logged for the admins.
    fn timer(_ctx: &Context, _timer: &Timer) -> Result<()> {
        Ok(())
    }

    /// Installed, upgraded, enabled, disabled, uninstalling.
    fn lifecycle(_ctx: &Context, _stage: Lifecycle) -> Result<()> {
        Ok(())
    }

    /// Another plugin called one of the `operations` the manifest offers; `caller` is its id.
    fn call(
        _ctx: &Context,
        _caller: &str,
        operation: &str,
        _input: serde_json::Value,
    ) -> Result<serde_json::Value> {
        Err(Error::not_found(format!("unknown operation `{operation}`")))
    }
}

/// The raw host interfaces of the contract, as generated from the WIT. The SDK's modules of
/// the same names wrap them with serde and [`Error`]; these are here for what they leave out.
pub mod host {
    pub use crate::bindings::courtyard::plugin::{
        clock, files, groups, http, interop, log, messages, people, records, storage, timers,
    };
}
pub use host::{clock, groups, people};

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::card::{Button, Card, Page, PersonRef, TimelineEntry, Tone};
    pub use crate::form::{Column, Field, FieldKind, Form, FormulaResult, Money};
    pub use crate::records::{Collection, Link, Target, Versioned};
    pub use crate::{
        Action, ActionReply, Args, Context, Decision, Error, ErrorKind, Event, Lifecycle, Plugin,
        Query, Reply, Result, Timer,
    };
    pub use crate::{
        clock, files, groups, http, interop, log, messages, people, records, storage, time, timers,
    };
}

#[doc(hidden)]
pub mod __private {
    use super::*;
    use bindings::courtyard::plugin::types as t;

    fn plugin_error(e: Error) -> t::PluginError {
        t::PluginError { message: e.message }
    }

    pub fn on_command<P: Plugin>(
        ctx: t::Context,
        command: String,
        args: String,
    ) -> std::result::Result<t::CommandReply, t::PluginError> {
        let ctx = Context::from(ctx);
        match P::command(&ctx, &command, &Args::parse(&args)) {
            Ok(Reply::Ephemeral(s)) => Ok(t::CommandReply::Ephemeral(s)),
            Ok(Reply::Message(s)) => Ok(t::CommandReply::Message(s)),
            Ok(Reply::Card(c)) => Ok(t::CommandReply::Card(c.into())),
            Ok(Reply::Form(f)) => Ok(t::CommandReply::Form(f.into())),
            Ok(Reply::None) => Ok(t::CommandReply::None),
            Err(e) => Err(plugin_error(e)),
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
        let form = match action.form_values {
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| t::PluginError {
                message: format!("the submitted form is not JSON: {e}"),
            })?),
            None => None,
        };
        let action = Action {
            message_id: action.message_id,
            action_id: action.action_id,
            value: action.value,
            form,
        };
        match P::action(&Context::from(ctx), &action) {
            Ok(ActionReply::UpdateCard(c)) => Ok(t::ActionReply::UpdateCard(c.into())),
            Ok(ActionReply::Ephemeral(s)) => Ok(t::ActionReply::Ephemeral(s)),
            Ok(ActionReply::Form(f)) => Ok(t::ActionReply::Form(f.into())),
            Ok(ActionReply::None) => Ok(t::ActionReply::None),
            Err(e) => Err(plugin_error(e)),
        }
    }

    pub fn on_page<P: Plugin>(
        ctx: t::Context,
        page: String,
        query: String,
    ) -> std::result::Result<t::Page, t::PluginError> {
        P::page(&Context::from(ctx), &page, &Query::parse(&query))
            .map(Into::into)
            .map_err(plugin_error)
    }

    pub fn on_http<P: Plugin>(ctx: t::Context, request: t::HttpRequest) -> t::HttpResponse {
        P::http(&Context::from(ctx), &Request::from(request)).into()
    }

    pub fn on_timer<P: Plugin>(
        ctx: t::Context,
        timer: t::Timer,
    ) -> std::result::Result<(), t::PluginError> {
        let timer = Timer {
            id: timer.id,
            name: timer.name,
            scheduled: timer.scheduled,
            payload: timer.payload,
            due_ms: timer.due_ms,
        };
        P::timer(&Context::from(ctx), &timer).map_err(plugin_error)
    }

    pub fn on_lifecycle<P: Plugin>(
        ctx: t::Context,
        stage: t::Lifecycle,
    ) -> std::result::Result<(), t::PluginError> {
        let stage = match stage {
            t::Lifecycle::Installed => Lifecycle::Installed,
            t::Lifecycle::Upgraded(from) => Lifecycle::Upgraded { from },
            t::Lifecycle::Enabled => Lifecycle::Enabled,
            t::Lifecycle::Disabled => Lifecycle::Disabled,
            t::Lifecycle::Uninstalling => Lifecycle::Uninstalling,
        };
        P::lifecycle(&Context::from(ctx), stage).map_err(plugin_error)
    }

    pub fn on_call<P: Plugin>(
        ctx: t::Context,
        caller: String,
        operation: String,
        input: String,
    ) -> std::result::Result<String, t::PluginError> {
        let input = if input.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&input).map_err(|e| t::PluginError {
                message: format!("the input of `{operation}` is not JSON: {e}"),
            })?
        };
        let output =
            P::call(&Context::from(ctx), &caller, &operation, input).map_err(plugin_error)?;
        serde_json::to_string(&output).map_err(|e| t::PluginError {
            message: e.to_string(),
        })
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

        const _: () = {
            use $crate::bindings::courtyard::plugin::types as __t;

            impl $crate::bindings::exports::courtyard::plugin::handlers::Guest for __CourtyardExports {
                fn on_command(
                    ctx: __t::Context,
                    command: ::std::string::String,
                    args: ::std::string::String,
                ) -> ::core::result::Result<__t::CommandReply, __t::PluginError> {
                    $crate::__private::on_command::<$ty>(ctx, command, args)
                }
                fn before_message(ctx: __t::Context, body: ::std::string::String) -> __t::HookDecision {
                    $crate::__private::before_message::<$ty>(ctx, body)
                }
                fn on_event(ctx: __t::Context, event: __t::Event) {
                    $crate::__private::on_event::<$ty>(ctx, event)
                }
                fn on_action(
                    ctx: __t::Context,
                    action: __t::Action,
                ) -> ::core::result::Result<__t::ActionReply, __t::PluginError> {
                    $crate::__private::on_action::<$ty>(ctx, action)
                }
                fn on_page(
                    ctx: __t::Context,
                    page: ::std::string::String,
                    query: ::std::string::String,
                ) -> ::core::result::Result<__t::Page, __t::PluginError> {
                    $crate::__private::on_page::<$ty>(ctx, page, query)
                }
                fn on_http(ctx: __t::Context, request: __t::HttpRequest) -> __t::HttpResponse {
                    $crate::__private::on_http::<$ty>(ctx, request)
                }
                fn on_timer(ctx: __t::Context, timer: __t::Timer) -> ::core::result::Result<(), __t::PluginError> {
                    $crate::__private::on_timer::<$ty>(ctx, timer)
                }
                fn on_lifecycle(
                    ctx: __t::Context,
                    stage: __t::Lifecycle,
                ) -> ::core::result::Result<(), __t::PluginError> {
                    $crate::__private::on_lifecycle::<$ty>(ctx, stage)
                }
                fn on_call(
                    ctx: __t::Context,
                    caller: ::std::string::String,
                    operation: ::std::string::String,
                    input: ::std::string::String,
                ) -> ::core::result::Result<::std::string::String, __t::PluginError> {
                    $crate::__private::on_call::<$ty>(ctx, caller, operation, input)
                }
            }
        };

        #[cfg(target_family = "wasm")]
        $crate::bindings::export!(__CourtyardExports with_types_in $crate::bindings);
    };
}
