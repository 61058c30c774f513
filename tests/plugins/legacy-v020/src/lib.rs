//! A component built directly against the frozen contract `courtyard:plugin@0.2.0` with
//! wit-bindgen, without the SDK (which has moved on), so tests can prove that hosts keep
//! running components built for older contracts. `/legacy` answers with a message and counts
//! its calls in plugin storage (key `count`, per group, a decimal number); `/form` answers with
//! a 0.2.0 form (money, select, a table); a submission of it is echoed back; the page `home`
//! shows one card.
//!
//! Keep it as it is: it stands for plugins built before 0.3.0 existed.

mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../../wit/since_v0.2.0",
    });
}

use bindings::courtyard::plugin::storage;
use bindings::courtyard::plugin::types::{
    Action, ActionReply, Block, Card, Column, CommandReply, Context, Event, Field, FieldKind, Form,
    FormField, HookDecision, HttpRequest, HttpResponse, Lifecycle, Page, PluginError, Rules,
    SelectOption, Timer,
};
use bindings::exports::courtyard::plugin::handlers::Guest;

/// The plugin's exports (only exported on wasm; natively it is compiled and unused).
#[allow(dead_code)]
struct Legacy;

fn error(message: impl Into<String>) -> PluginError {
    PluginError {
        message: message.into(),
    }
}

/// Counts one more call, retrying compare-and-set on a race.
fn count() -> Result<u64, PluginError> {
    let failed = |e| error(format!("storage failed: {e}"));
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
    Err(error("too many concurrent changes; try again"))
}

fn rules(required: bool) -> Rules {
    Rules {
        required,
        min: None,
        max: None,
        pattern: None,
        pattern_message: None,
    }
}

fn field(name: &str, label: &str, kind: FieldKind, required: bool) -> FormField {
    FormField {
        name: name.into(),
        label: label.into(),
        kind,
        rules: rules(required),
        options: Vec::new(),
        placeholder: None,
        help: None,
        default_value: None,
        visible_when: None,
        columns: Vec::new(),
        read_only: false,
    }
}

fn claim_form() -> Form {
    let mut kind = field("kind", "Kind", FieldKind::Select, true);
    kind.options = vec![
        SelectOption {
            value: "travel".into(),
            label: "Travel".into(),
        },
        SelectOption {
            value: "meal".into(),
            label: "Meal".into(),
        },
    ];
    kind.default_value = Some("\"travel\"".into());
    let mut items = field("items", "Items", FieldKind::Table, false);
    items.columns = vec![
        Column {
            name: "what".into(),
            label: "What".into(),
            kind: FieldKind::Text,
            rules: rules(true),
            options: Vec::new(),
        },
        Column {
            name: "cost".into(),
            label: "Cost".into(),
            kind: FieldKind::Money,
            rules: rules(false),
            options: Vec::new(),
        },
    ];
    Form {
        id: "claim".into(),
        title: "Claim".into(),
        fields: vec![
            field("amount", "Amount", FieldKind::Money, true),
            kind,
            items,
        ],
        submit_label: "Send".into(),
        value: "v020".into(),
    }
}

impl Guest for Legacy {
    fn on_command(
        _ctx: Context,
        command: String,
        _args: String,
    ) -> Result<CommandReply, PluginError> {
        match command.as_str() {
            "legacy" => {
                let n = count()?;
                Ok(CommandReply::Message(format!(
                    "legacy plugin on 0.2.0 says hi ({n})"
                )))
            }
            "form" => Ok(CommandReply::Form(claim_form())),
            other => Err(error(format!("unknown command /{other}"))),
        }
    }

    fn before_message(_ctx: Context, _body: String) -> HookDecision {
        HookDecision::Allow
    }

    fn on_event(_ctx: Context, _event: Event) {}

    fn on_action(_ctx: Context, action: Action) -> Result<ActionReply, PluginError> {
        Ok(match action.form_values {
            Some(values) => {
                ActionReply::Ephemeral(format!("{} {} {values}", action.action_id, action.value))
            }
            None => ActionReply::None,
        })
    }

    fn on_page(ctx: Context, page: String, query: String) -> Result<Page, PluginError> {
        if page != "home" {
            return Err(error(format!("no page {page}")));
        }
        let who = ctx.actor.map(|a| a.display_name).unwrap_or_default();
        Ok(Page {
            title: "Legacy".into(),
            cards: vec![Card {
                title: format!("Hello {who}"),
                blocks: vec![Block::Fields(vec![Field {
                    label: "query".into(),
                    value: query,
                }])],
            }],
        })
    }

    fn on_http(_ctx: Context, _request: HttpRequest) -> HttpResponse {
        HttpResponse {
            status: 404,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn on_timer(_ctx: Context, _timer: Timer) -> Result<(), PluginError> {
        Ok(())
    }

    fn on_lifecycle(_ctx: Context, _stage: Lifecycle) -> Result<(), PluginError> {
        Ok(())
    }

    fn on_call(
        _ctx: Context,
        caller: String,
        operation: String,
        input: String,
    ) -> Result<String, PluginError> {
        Ok(format!(
            "{{\"caller\":{caller:?},\"operation\":{operation:?},\"input\":{input}}}"
        ))
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
