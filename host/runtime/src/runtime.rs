//! The engine, compiled plugins and sandboxed calls.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable, types::ComponentItem};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimits, StoreLimitsBuilder, Trap, UpdateDeadline,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::api::{Grants, HostApi, HttpRequest, HttpResponse, Scope};
use crate::manifest::{Manifest, SUPPORTED_WIT, version_cmp};
use crate::{v0_1_0, v0_2_0, v0_3_0};

/// One epoch tick: how often running guests are interrupted to look at the clock.
const TICK: Duration = Duration::from_millis(1);
/// Ticks a guest runs between checks of its deadline. At each check it also yields to the
/// async executor, so a guest spinning in a loop shares its worker thread with every other
/// request instead of holding it until the deadline.
const SLICE_TICKS: u64 = 5;

/// Sandbox limits for every call.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Linear memory a plugin instance may grow to.
    pub memory_bytes: usize,
    /// Wall-clock budget of a command, action or event call.
    pub call_deadline: Duration,
    /// Plugin instances that may run at once (pooling allocator slots).
    pub concurrent_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            call_deadline: Duration::from_secs(2),
            concurrent_instances: 256,
        }
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the file is not a valid WebAssembly component: {0}")]
    Invalid(String),
    #[error("the component was built for contract {found}; this host needs {supported}")]
    NeedsNewerHost { found: String, supported: String },
    #[error("the component was built for contract {found}, which this host no longer runs")]
    Unsupported { found: String },
    #[error("the component targets contract {found} but its manifest says {manifest}")]
    VersionMismatch { found: String, manifest: String },
    #[error("the component imports `{0}`, which its manifest's capabilities do not cover")]
    UndeclaredImport(String),
    #[error("the component does not export `{0}`")]
    MissingExport(String),
}

/// Why a call into a plugin failed. None of these affect the host or other plugins.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    #[error("the plugin did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the plugin crashed: {0}")]
    Crashed(String),
    #[error("the plugin ran out of memory")]
    OutOfMemory,
    #[error("the plugin returned something invalid: {0}")]
    InvalidReply(String),
    /// A user-facing message from the plugin itself.
    #[error("{0}")]
    Plugin(String),
    #[error("too many plugin calls at once")]
    Busy,
}

impl CallError {
    /// Failures that count toward the circuit breaker (the plugin misbehaved).
    pub fn is_fault(&self) -> bool {
        !matches!(self, CallError::Plugin(_) | CallError::Busy)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum CommandReply {
    Ephemeral(String),
    Message(String),
    Card(serde_json::Value),
    /// A checked form (JSON) for the person who ran the command.
    Form(serde_json::Value),
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookDecision {
    Allow,
    Rewrite(String),
    Reject(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionReply {
    UpdateCard(serde_json::Value),
    Ephemeral(String),
    Form(serde_json::Value),
    None,
}

/// A button press or a form submission, as the host checked it.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionInput {
    pub message_id: Option<String>,
    pub action_id: String,
    pub value: String,
    /// Submitted values, already validated against the form.
    pub form_values: Option<serde_json::Value>,
}

/// A page a plugin rendered: checked cards (JSON).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Page {
    pub title: String,
    pub cards: Vec<serde_json::Value>,
}

/// A timer or schedule that came due.
#[derive(Clone, Debug, PartialEq)]
pub struct TimerDue {
    pub id: String,
    pub name: String,
    /// A manifest schedule rather than a timer.
    pub scheduled: bool,
    pub payload: String,
    pub due_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Installed,
    Upgraded(String),
    Enabled,
    Disabled,
    Uninstalling,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What each call's store holds.
pub(crate) struct State {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limits: StoreLimits,
    pub scope: Scope,
    pub host: Arc<dyn HostApi>,
    pub manifest: Arc<Manifest>,
    /// What this organization granted.
    pub grants: Arc<Grants>,
}

impl State {
    /// A capability is usable when the manifest asked for it and the organization granted it.
    pub(crate) fn granted(&self, cap: &str) -> bool {
        self.grants.has(cap) && self.manifest.has_capability(cap)
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Who a call is for: the host services it may use, its scope, and the organization's grants.
#[derive(Clone)]
pub struct Call {
    pub host: Arc<dyn HostApi>,
    pub scope: Scope,
    /// What this organization granted.
    pub grants: Arc<Grants>,
}

/// The shared engine. Create one per process.
pub struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    limits: Limits,
    slots: tokio::sync::Semaphore,
}

/// A compiled, verified plugin, ready to be instantiated in microseconds.
pub struct Plugin {
    pub manifest: Arc<Manifest>,
    /// The contract version read from the component itself.
    pub wit: String,
    pre: Pre,
}

/// The instantiation template, by the contract version the component targets.
pub(crate) enum Pre {
    V0_1(v0_1_0::Pre),
    V0_2(v0_2_0::Pre),
    V0_3(v0_3_0::Pre),
}

impl Runtime {
    /// `cache_dir` keeps compiled code so a restart does not recompile.
    pub fn new(cache_dir: Option<PathBuf>, limits: Limits) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let mut pool = PoolingAllocationConfig::default();
        let n = limits.concurrent_instances;
        pool.total_component_instances(n)
            .total_core_instances(n * 4)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .max_memory_size(limits.memory_bytes);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if let Some(dir) = cache_dir {
            std::fs::create_dir_all(&dir)?;
            let mut cache = CacheConfig::new();
            cache.with_directory(dir);
            config.cache(Some(Cache::new(cache).map_err(wasm_error)?));
        }
        let engine = Engine::new(&config).map_err(wasm_error)?;
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_error)?;
        v0_1_0::add_to_linker(&mut linker).map_err(wasm_error)?;
        v0_2_0::add_to_linker(&mut linker).map_err(wasm_error)?;
        v0_3_0::add_to_linker(&mut linker).map_err(wasm_error)?;
        Ok(Self {
            engine,
            linker,
            slots: tokio::sync::Semaphore::new(n as usize),
            limits,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Compiles (or loads from the cache) and verifies a component against its manifest.
    pub fn load(&self, manifest: Manifest, wasm: &[u8]) -> Result<Plugin, LoadError> {
        let component =
            Component::new(&self.engine, wasm).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let ty = component.component_type();
        let handlers = ty
            .exports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .find(|name| name.starts_with("courtyard:plugin/handlers@"))
            .ok_or_else(|| LoadError::MissingExport("courtyard:plugin/handlers".into()))?;
        let found = handlers.rsplit('@').next().unwrap_or_default().to_owned();
        if !SUPPORTED_WIT.contains(&found.as_str()) {
            let newest = SUPPORTED_WIT[0];
            return Err(
                if version_cmp(&found, newest) == Some(std::cmp::Ordering::Greater) {
                    LoadError::NeedsNewerHost {
                        found,
                        supported: SUPPORTED_WIT.join(", "),
                    }
                } else {
                    LoadError::Unsupported { found }
                },
            );
        }
        if found != manifest.wit {
            return Err(LoadError::VersionMismatch {
                found,
                manifest: manifest.wit.clone(),
            });
        }
        for (name, item) in ty.imports(&self.engine) {
            if !matches!(item.ty, ComponentItem::ComponentInstance(_)) && !name.starts_with("wasi:")
            {
                return Err(LoadError::UndeclaredImport(name.to_owned()));
            }
            if !import_allowed(name, &manifest) {
                return Err(LoadError::UndeclaredImport(name.to_owned()));
            }
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let invalid = |e: wasmtime::Error| LoadError::Invalid(format!("{e:#}"));
        let pre = match found.as_str() {
            "0.1.0" => Pre::V0_1(v0_1_0::Pre::new(pre).map_err(invalid)?),
            "0.2.0" => Pre::V0_2(v0_2_0::Pre::new(pre).map_err(invalid)?),
            _ => Pre::V0_3(v0_3_0::Pre::new(pre).map_err(invalid)?),
        };
        Ok(Plugin {
            manifest: Arc::new(manifest),
            wit: found,
            pre,
        })
    }

    fn store(&self, plugin: &Plugin, call: Call, deadline: Duration) -> Store<State> {
        // No files, sockets, environment or arguments: an empty WASI context.
        let wasi = wasmtime_wasi::WasiCtxBuilder::new().build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory_bytes)
            .table_elements(100_000)
            .instances(64)
            .tables(64)
            .memories(16)
            .trap_on_grow_failure(true)
            .build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limits,
            scope: call.scope,
            host: call.host,
            manifest: plugin.manifest.clone(),
            grants: call.grants,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // The deadline is wall-clock time, checked every few ticks: ticks alone drift (the
        // ticking thread sleeps at least a tick, and longer on a busy machine).
        let stop_at = std::time::Instant::now() + deadline;
        store.set_epoch_deadline(SLICE_TICKS);
        store.epoch_deadline_callback(move |_| {
            if std::time::Instant::now() >= stop_at {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(SLICE_TICKS))
            }
        });
        store
    }

    /// Runs one entry point in a fresh store, mapping every failure to a [`CallError`].
    async fn run<T, F>(
        &self,
        plugin: &Plugin,
        call: Call,
        deadline: Duration,
        enter: F,
    ) -> Result<T, CallError>
    where
        F: for<'a> FnOnce(&'a mut Store<State>, &'a Pre) -> Entry<'a, T>,
    {
        let _slot = self.slots.try_acquire().map_err(|_| CallError::Busy)?;
        let mut store = self.store(plugin, call, deadline);
        // Host functions may await storage; the whole call is bounded too.
        let outcome = tokio::time::timeout(
            deadline + Duration::from_millis(500),
            enter(&mut store, &plugin.pre),
        )
        .await;
        match outcome {
            Err(_) => Err(CallError::Timeout(deadline)),
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(classify(e, deadline)),
        }
    }

    /// A slash command declared in the manifest.
    pub async fn command(
        &self,
        plugin: &Plugin,
        call: Call,
        command: String,
        args: String,
    ) -> Result<CommandReply, CallError> {
        let ctx = v0_1_0::context(&call.scope);
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(pre) => Box::pin(v0_1_0::command(store, pre, ctx, command, args)),
                Pre::V0_2(pre) => Box::pin(v0_2_0::command(store, pre, command, args)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::command(store, pre, command, args)),
            },
        )
        .await
    }

    /// The before-message hook, under its own (shorter) deadline.
    pub async fn before_message(
        &self,
        plugin: &Plugin,
        call: Call,
        body: String,
        deadline: Duration,
    ) -> Result<HookDecision, CallError> {
        let ctx = v0_1_0::context(&call.scope);
        self.run(plugin, call, deadline, move |store, pre| match pre {
            Pre::V0_1(pre) => Box::pin(v0_1_0::before_message(store, pre, ctx, body)),
            Pre::V0_2(pre) => Box::pin(v0_2_0::before_message(store, pre, body)),
            Pre::V0_3(pre) => Box::pin(v0_3_0::before_message(store, pre, body)),
        })
        .await
    }

    /// A button pressed on one of the plugin's cards, or a form submitted.
    pub async fn action(
        &self,
        plugin: &Plugin,
        call: Call,
        input: ActionInput,
    ) -> Result<ActionReply, CallError> {
        let ctx = v0_1_0::context(&call.scope);
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(pre) => Box::pin(v0_1_0::action(
                    store,
                    pre,
                    ctx,
                    input.message_id.unwrap_or_default(),
                    input.action_id,
                    input.value,
                )),
                Pre::V0_2(pre) => Box::pin(v0_2_0::action(store, pre, input)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::action(store, pre, input)),
            },
        )
        .await
    }

    /// An event the plugin subscribed to.
    pub async fn event(
        &self,
        plugin: &Plugin,
        call: Call,
        kind: String,
        data: String,
    ) -> Result<(), CallError> {
        let ctx = v0_1_0::context(&call.scope);
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(pre) => Box::pin(v0_1_0::event(store, pre, ctx, kind, data)),
                Pre::V0_2(pre) => Box::pin(v0_2_0::event(store, pre, kind, data)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::event(store, pre, kind, data)),
            },
        )
        .await
    }

    /// A page declared in the manifest (contract 0.2.0 and later).
    pub async fn page(
        &self,
        plugin: &Plugin,
        call: Call,
        name: String,
        query: String,
    ) -> Result<Page, CallError> {
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(_) => unsupported("pages"),
                Pre::V0_2(pre) => Box::pin(v0_2_0::page(store, pre, name, query)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::page(store, pre, name, query)),
            },
        )
        .await
    }

    /// A request to a route declared in the manifest (contract 0.2.0 and later).
    pub async fn http(
        &self,
        plugin: &Plugin,
        call: Call,
        request: HttpRequest,
    ) -> Result<HttpResponse, CallError> {
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(_) => unsupported("routes"),
                Pre::V0_2(pre) => Box::pin(v0_2_0::http(store, pre, request)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::http(store, pre, request)),
            },
        )
        .await
    }

    /// A timer or scheduled job that came due (contract 0.2.0 and later).
    pub async fn timer(&self, plugin: &Plugin, call: Call, due: TimerDue) -> Result<(), CallError> {
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(_) => unsupported("timers"),
                Pre::V0_2(pre) => Box::pin(v0_2_0::timer(store, pre, due)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::timer(store, pre, due)),
            },
        )
        .await
    }

    /// A lifecycle stage. Plugins built for 0.1.0 have no lifecycle entry point: a no-op.
    pub async fn lifecycle(
        &self,
        plugin: &Plugin,
        call: Call,
        stage: Lifecycle,
    ) -> Result<(), CallError> {
        if matches!(plugin.pre, Pre::V0_1(_)) {
            return Ok(());
        }
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(_) => Box::pin(async { Ok(Ok(())) }),
                Pre::V0_2(pre) => Box::pin(v0_2_0::lifecycle(store, pre, stage)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::lifecycle(store, pre, stage)),
            },
        )
        .await
    }

    /// Another plugin's `interop.call` (contract 0.2.0 and later).
    pub async fn call(
        &self,
        plugin: &Plugin,
        call: Call,
        caller: String,
        operation: String,
        input: String,
    ) -> Result<String, CallError> {
        self.run(
            plugin,
            call,
            self.limits.call_deadline,
            move |store, pre| match pre {
                Pre::V0_1(_) => unsupported("calls from other plugins"),
                Pre::V0_2(pre) => Box::pin(v0_2_0::call(store, pre, caller, operation, input)),
                Pre::V0_3(pre) => Box::pin(v0_3_0::call(store, pre, caller, operation, input)),
            },
        )
        .await
    }
}

/// A call into the component, boxed so the runtime can bound it with a timeout.
pub(crate) type Entry<'a, T> = std::pin::Pin<
    Box<dyn std::future::Future<Output = wasmtime::Result<Result<T, CallError>>> + Send + 'a>,
>;

fn unsupported<'a, T: Send + 'a>(what: &'static str) -> Entry<'a, T> {
    Box::pin(async move {
        Ok(Err(CallError::InvalidReply(format!(
            "plugins built for contract 0.1.0 have no {what}"
        ))))
    })
}

/// wasmtime has its own error type; the edges of this crate speak `anyhow`.
fn wasm_error(e: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}")
}

/// Interfaces of the contract a component may import given its manifest.
fn import_allowed(name: &str, manifest: &Manifest) -> bool {
    if name.starts_with("wasi:") {
        return true;
    }
    let Some(rest) = name.strip_prefix("courtyard:plugin/") else {
        return false;
    };
    let Some((iface, version)) = rest.split_once('@') else {
        return false;
    };
    if version != manifest.wit {
        return false;
    }
    match iface {
        "types" | "log" | "clock" => true,
        cap => manifest.has_capability(cap),
    }
}

fn classify(e: wasmtime::Error, deadline: Duration) -> CallError {
    if let Some(trap) = e.downcast_ref::<Trap>() {
        return match trap {
            Trap::Interrupt => CallError::Timeout(deadline),
            Trap::StackOverflow => CallError::Crashed("stack overflow".into()),
            other => CallError::Crashed(other.to_string()),
        };
    }
    let text = format!("{e:#}");
    if text.contains("memory")
        && (text.contains("grow") || text.contains("limit") || text.contains("exceed"))
    {
        return CallError::OutOfMemory;
    }
    CallError::Crashed(
        text.lines()
            .next()
            .unwrap_or("trap")
            .chars()
            .take(300)
            .collect(),
    )
}
