//! The adapter for contract `courtyard:plugin@0.1.0`: generated bindings, the host side of
//! each imported interface (capability checks and size caps, then [`HostApi`]), and the
//! calls into the exported handlers. When the contract moves on, this file stays as it is
//! and a new adapter is added beside it.

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use crate::api::{self, HostError as ApiError, LogLevel, Scope};
use crate::card::{self, Block as CardBlock, Button as CardButton};
use crate::runtime::{ActionReply, CallError, CommandReply, HookDecision, State};

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../../wit/since_v0.1.0",
    imports: { default: async | trappable },
    exports: { default: async },
});

use courtyard::plugin::types::{
    self as t, Actor, Block, ButtonStyle, Card, Context, Group, HostError, Person, Role, Tone,
};

pub(crate) type Pre = PluginPre<State>;

const MAX_ID: usize = 64;
const MAX_QUERY: usize = 200;
const MAX_BODY: usize = 16 * 1024;
const MAX_KEY: usize = 256;
const MAX_VALUE: usize = 64 * 1024;
const MAX_SCAN: u32 = 100;
const MAX_LOG: usize = 4096;
const MAX_REPLY: usize = 16 * 1024;

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    Plugin::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
}

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

fn denied(cap: &str) -> HostError {
    HostError::Denied(format!("capability `{cap}` was not granted"))
}

fn invalid(what: &str, max: usize) -> HostError {
    HostError::Invalid(format!("{what} is longer than {max} bytes"))
}

fn from_api(e: ApiError) -> HostError {
    match e {
        ApiError::NotFound => HostError::NotFound,
        ApiError::Denied(m) => HostError::Denied(m),
        ApiError::Invalid(m) => HostError::Invalid(m),
        ApiError::Quota(m) => HostError::Quota(m),
        ApiError::Unavailable(m) => HostError::Unavailable(m),
        // 0.1.0 has no `conflict`; its only versioned write (compare-and-set) answers false.
        ApiError::Conflict => HostError::Unavailable("conflict".into()),
    }
}

fn person(p: api::Person) -> Person {
    Person {
        id: p.id,
        org_id: p.org_id,
        display_name: p.display_name,
        title: p.title,
        department_id: p.department_id,
        email: p.email,
        guest: p.guest,
    }
}

impl State {
    fn grant(&self, cap: &str) -> Result<(), HostError> {
        if self.granted(cap) {
            Ok(())
        } else {
            Err(denied(cap))
        }
    }
}

/// Runs a host call after a capability check and input caps; storage errors become
/// `host-error`s the plugin can handle.
macro_rules! guarded {
    ($self:ident, $cap:literal, [$(($value:expr, $what:literal, $max:expr)),*], $body:expr) => {{
        if let Err(e) = $self.grant($cap) {
            return Ok(Err(e));
        }
        $(
            if $value.len() > $max {
                return Ok(Err(invalid($what, $max)));
            }
        )*
        Ok($body.map_err(from_api))
    }};
}

/// Converts a card from a `messages` call, refusing it as `invalid` (after the capability
/// check, so an ungranted plugin learns only that it was denied).
macro_rules! checked_card {
    ($self:ident, $card:ident) => {{
        if let Err(e) = $self.grant("messages") {
            return Ok(Err(e));
        }
        match card_json($card) {
            Ok(c) => c,
            Err(e) => return Ok(Err(HostError::Invalid(e))),
        }
    }};
}

impl t::Host for State {}

impl courtyard::plugin::log::Host for State {
    async fn write(
        &mut self,
        level: courtyard::plugin::log::Level,
        message: String,
    ) -> wasmtime::Result<()> {
        use courtyard::plugin::log::Level;
        let level = match level {
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        };
        let message: String = message.chars().take(MAX_LOG).collect();
        self.host.log(&self.scope, level, &message);
        Ok(())
    }
}

impl courtyard::plugin::clock::Host for State {
    async fn now_ms(&mut self) -> wasmtime::Result<i64> {
        Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0))
    }
}

impl courtyard::plugin::people::Host for State {
    async fn get(&mut self, id: String) -> HostResult<Person> {
        guarded!(
            self,
            "people",
            [(id, "id", MAX_ID)],
            self.host.person(&self.scope, &id).await.map(person)
        )
    }

    async fn search(&mut self, query: String, limit: u32) -> HostResult<Vec<Person>> {
        guarded!(
            self,
            "people",
            [(query, "query", MAX_QUERY)],
            self.host
                .search_people(&self.scope, &query, limit.min(100))
                .await
                .map(|v| v.into_iter().map(person).collect())
        )
    }

    async fn managers(&mut self, id: String, levels: u32) -> HostResult<Vec<Person>> {
        guarded!(
            self,
            "people",
            [(id, "id", MAX_ID)],
            self.host
                .managers(&self.scope, &id, levels.min(10))
                .await
                .map(|v| v.into_iter().map(person).collect())
        )
    }
}

impl courtyard::plugin::groups::Host for State {
    async fn get(&mut self, id: String) -> HostResult<Group> {
        guarded!(
            self,
            "groups",
            [(id, "id", MAX_ID)],
            self.host.group(&self.scope, &id).await.map(|g| Group {
                id: g.id,
                org_id: g.org_id,
                name: g.name,
                kind: g.kind,
            })
        )
    }

    async fn members(&mut self, id: String) -> HostResult<Vec<Person>> {
        guarded!(
            self,
            "groups",
            [(id, "id", MAX_ID)],
            self.host
                .members(&self.scope, &id)
                .await
                .map(|v| v.into_iter().map(person).collect())
        )
    }
}

impl courtyard::plugin::messages::Host for State {
    async fn post(&mut self, group_id: String, body: String) -> HostResult<String> {
        guarded!(
            self,
            "messages",
            [(group_id, "group id", MAX_ID), (body, "body", MAX_BODY)],
            self.host.post(&self.scope, &group_id, body, None).await
        )
    }

    async fn post_card(&mut self, group_id: String, card: Card) -> HostResult<String> {
        let card = checked_card!(self, card);
        guarded!(
            self,
            "messages",
            [(group_id, "group id", MAX_ID)],
            self.host
                .post(&self.scope, &group_id, String::new(), Some(card))
                .await
        )
    }

    async fn update_card(&mut self, message_id: String, card: Card) -> HostResult<()> {
        let card = checked_card!(self, card);
        guarded!(
            self,
            "messages",
            [(message_id, "message id", MAX_ID)],
            self.host.update_card(&self.scope, &message_id, card).await
        )
    }

    async fn send_card(&mut self, person_id: String, card: Card) -> HostResult<String> {
        let card = checked_card!(self, card);
        guarded!(
            self,
            "messages",
            [(person_id, "person id", MAX_ID)],
            self.host.send_card(&self.scope, &person_id, card).await
        )
    }
}

impl courtyard::plugin::storage::Host for State {
    async fn get(&mut self, key: String, group_scoped: bool) -> HostResult<Option<Vec<u8>>> {
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY)],
            self.host.kv_get(&self.scope, &key, group_scoped).await
        )
    }

    async fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
        group_scoped: bool,
        ttl_ms: Option<u64>,
    ) -> HostResult<()> {
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY), (value, "value", MAX_VALUE)],
            self.host
                .kv_set(&self.scope, &key, value, group_scoped, ttl_ms)
                .await
        )
    }

    async fn delete(&mut self, key: String, group_scoped: bool) -> HostResult<bool> {
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY)],
            self.host.kv_delete(&self.scope, &key, group_scoped).await
        )
    }

    async fn compare_and_set(
        &mut self,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
        group_scoped: bool,
    ) -> HostResult<bool> {
        let expected_len = expected.as_ref().map_or(0, Vec::len);
        if expected_len > MAX_VALUE {
            return Ok(Err(invalid("expected value", MAX_VALUE)));
        }
        guarded!(
            self,
            "storage",
            [(key, "key", MAX_KEY), (value, "value", MAX_VALUE)],
            self.host
                .kv_compare_and_set(&self.scope, &key, expected, value, group_scoped)
                .await
        )
    }

    async fn scan(
        &mut self,
        prefix: String,
        start_after: Option<String>,
        limit: u32,
        group_scoped: bool,
    ) -> HostResult<Vec<(String, Vec<u8>)>> {
        let after_len = start_after.as_ref().map_or(0, String::len);
        if after_len > MAX_KEY {
            return Ok(Err(invalid("start-after", MAX_KEY)));
        }
        guarded!(
            self,
            "storage",
            [(prefix, "prefix", MAX_KEY)],
            self.host
                .kv_scan(
                    &self.scope,
                    &prefix,
                    start_after,
                    limit.min(MAX_SCAN),
                    group_scoped
                )
                .await
        )
    }
}

fn tone(t: Tone) -> &'static str {
    match t {
        Tone::Neutral => "neutral",
        Tone::Info => "info",
        Tone::Success => "success",
        Tone::Warning => "warning",
        Tone::Danger => "danger",
    }
}

/// Converts and validates a card from the contract into its stored JSON form.
fn card_json(c: Card) -> Result<serde_json::Value, String> {
    let blocks = c
        .blocks
        .into_iter()
        .map(|b| match b {
            Block::Text(s) => CardBlock::Text(s),
            Block::Fields(f) => {
                CardBlock::Fields(f.into_iter().map(|f| (f.label, f.value)).collect())
            }
            Block::Badge(b) => CardBlock::Badge {
                text: b.text,
                tone: tone(b.tone),
            },
            Block::Table(t) => CardBlock::Table {
                columns: t.columns,
                rows: t.rows,
            },
            Block::Image(url) => CardBlock::Image(url),
            Block::Buttons(bs) => CardBlock::Buttons(
                bs.into_iter()
                    .map(|b| CardButton {
                        action_id: b.action_id,
                        label: b.label,
                        style: match b.style {
                            ButtonStyle::Default => "default",
                            ButtonStyle::Primary => "primary",
                            ButtonStyle::Danger => "danger",
                        },
                        value: b.value,
                        confirm: None,
                    })
                    .collect(),
            ),
            Block::Divider => CardBlock::Divider,
        })
        .collect();
    card::to_json(&c.title, blocks)
}

pub(crate) fn context(scope: &Scope) -> Context {
    Context {
        org_id: scope.org_id.clone(),
        group_id: scope.group_id.clone(),
        actor: scope.actor.as_ref().map(|a| Actor {
            id: a.id.clone(),
            display_name: a.display_name.clone(),
            role: match a.role.as_str() {
                "platform_admin" => Role::PlatformAdmin,
                "org_admin" => Role::OrgAdmin,
                "member" => Role::Member,
                _ => Role::Guest,
            },
            guest: a.role == "guest",
        }),
        settings: scope.settings.to_string(),
        request_id: scope.request_id.clone(),
    }
}

fn reply_text(s: String) -> Result<String, CallError> {
    if s.len() > MAX_REPLY {
        Err(CallError::InvalidReply(format!(
            "a reply of {} bytes is over the {MAX_REPLY}-byte limit",
            s.len()
        )))
    } else {
        Ok(s)
    }
}

fn plugin_error(e: t::PluginError) -> CallError {
    CallError::Plugin(e.message.chars().take(500).collect())
}

type Call<T> = wasmtime::Result<Result<T, CallError>>;

pub(crate) async fn command(
    store: &mut Store<State>,
    pre: &Pre,
    ctx: Context,
    command: String,
    args: String,
) -> Call<CommandReply> {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_command(&mut *store, &ctx, &command, &args)
        .await?;
    Ok(match reply {
        Err(e) => Err(plugin_error(e)),
        Ok(t::CommandReply::Ephemeral(s)) => reply_text(s).map(CommandReply::Ephemeral),
        Ok(t::CommandReply::Message(s)) => reply_text(s).map(CommandReply::Message),
        Ok(t::CommandReply::Card(c)) => card_json(c)
            .map(CommandReply::Card)
            .map_err(CallError::InvalidReply),
        Ok(t::CommandReply::None) => Ok(CommandReply::None),
    })
}

pub(crate) async fn before_message(
    store: &mut Store<State>,
    pre: &Pre,
    ctx: Context,
    body: String,
) -> Call<HookDecision> {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let decision = plugin
        .courtyard_plugin_handlers()
        .call_before_message(&mut *store, &ctx, &body)
        .await?;
    Ok(match decision {
        t::HookDecision::Allow => Ok(HookDecision::Allow),
        t::HookDecision::Rewrite(s) => reply_text(s).map(HookDecision::Rewrite),
        t::HookDecision::Reject(s) => Ok(HookDecision::Reject(s.chars().take(500).collect())),
    })
}

pub(crate) async fn action(
    store: &mut Store<State>,
    pre: &Pre,
    ctx: Context,
    message_id: String,
    action_id: String,
    value: String,
) -> Call<ActionReply> {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let action = t::Action {
        message_id,
        action_id,
        value,
    };
    let reply = plugin
        .courtyard_plugin_handlers()
        .call_on_action(&mut *store, &ctx, &action)
        .await?;
    Ok(match reply {
        Err(e) => Err(plugin_error(e)),
        Ok(t::ActionReply::UpdateCard(c)) => card_json(c)
            .map(ActionReply::UpdateCard)
            .map_err(CallError::InvalidReply),
        Ok(t::ActionReply::Ephemeral(s)) => reply_text(s).map(ActionReply::Ephemeral),
        Ok(t::ActionReply::None) => Ok(ActionReply::None),
    })
}

pub(crate) async fn event(
    store: &mut Store<State>,
    pre: &Pre,
    ctx: Context,
    kind: String,
    data: String,
) -> Call<()> {
    let plugin = pre.instantiate_async(&mut *store).await?;
    let event = t::Event { kind, data };
    plugin
        .courtyard_plugin_handlers()
        .call_on_event(&mut *store, &ctx, &event)
        .await?;
    Ok(Ok(()))
}
