//! A component built directly against the frozen contract `courtyard:plugin@0.1.0` with
//! wit-bindgen, without the SDK (which has moved on), so tests can prove that hosts keep
//! running components built for older contracts. `/legacy` answers with a message and counts
//! its calls in plugin storage (key `count`, per group, a decimal number).
//!
//! Keep it as it is: it stands for plugins built before 0.2.0 existed.

mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../../wit/since_v0.1.0",
    });
}

use bindings::courtyard::plugin::storage;
use bindings::courtyard::plugin::types::{
    Action, ActionReply, CommandReply, Context, Event, HookDecision, PluginError,
};
use bindings::exports::courtyard::plugin::handlers::Guest;

/// The plugin's exports (only exported on wasm; natively it is compiled and unused).
#[allow(dead_code)]
struct Legacy;

/// Counts one more call, retrying compare-and-set on a race.
fn count() -> Result<u64, PluginError> {
    let failed = |e| PluginError {
        message: format!("storage failed: {e}"),
    };
    for _ in 0..20 {
        let current = storage::get("count", true).map_err(failed)?;
        let n: u64 = current
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let next = (n + 1).to_string();
        if storage::compare_and_set("count", current.as_deref(), next.as_bytes(), true)
            .map_err(failed)?
        {
            return Ok(n + 1);
        }
    }
    Err(PluginError {
        message: "too many concurrent changes; try again".into(),
    })
}

impl Guest for Legacy {
    fn on_command(
        _ctx: Context,
        command: String,
        _args: String,
    ) -> Result<CommandReply, PluginError> {
        match command.as_str() {
            "legacy" => {
                count()?;
                Ok(CommandReply::Message(
                    "legacy plugin on 0.1.0 says hi".into(),
                ))
            }
            other => Err(PluginError {
                message: format!("unknown command /{other}"),
            }),
        }
    }

    fn before_message(_ctx: Context, _body: String) -> HookDecision {
        HookDecision::Allow
    }

    fn on_event(_ctx: Context, _event: Event) {}

    fn on_action(_ctx: Context, _action: Action) -> Result<ActionReply, PluginError> {
        Ok(ActionReply::None)
    }
}

/// The generated export glue (unsafe by nature; see Cargo.toml). Only on wasm: the export
/// names mean nothing to a native linker.
#[cfg(target_family = "wasm")]
#[allow(unsafe_code)]
mod exports {
    use super::Legacy;
    crate::bindings::export!(Legacy with_types_in crate::bindings);
}
