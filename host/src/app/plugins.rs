//! Plugins in the host: packages (bundled or uploaded), installs per organization with
//! granted capabilities, enablement per group with validated settings, slash commands, card
//! actions, the before-message hook, the circuit breaker, and plugin logs for admins.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use courtyard_domain::{GroupId, OrgId, Role};
use courtyard_runtime::api::{Actor as PluginActor, Grants, Scope};
use courtyard_runtime::manifest::{Manifest, version_cmp};
use courtyard_runtime::{
    ActionInput, Call, CallError, CommandReply, HookDecision, Lifecycle, Limits, Runtime,
};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::auth::Auth;
use super::{App, AppError, OrNotFound, Result, parse_id};
use crate::store::plugins::{self as ps, EnablementRow, InstallRow, PackageRow};
use crate::store::{StoreError, now_millis};

mod audience;
mod capabilities;
pub mod distribution;
pub(crate) mod jobs;
mod lifecycle;
pub mod services;
pub mod surfaces;
use surfaces::PluginCard;

/// Consecutive faults before a plugin is suspended in a group.
const BREAKER_THRESHOLD: i64 = 3;
/// First suspension; doubles with every trip, up to an hour.
const BREAKER_BASE: Duration = Duration::from_secs(60);
const LOG_LINES: usize = 200;
/// Largest plugin component accepted.
pub const MAX_PACKAGE_BYTES: usize = 32 << 20;

/// The host's plugin machinery, shared by every request.
pub struct Plugins {
    pub runtime: Runtime,
    compiled: RwLock<HashMap<String, Arc<courtyard_runtime::Plugin>>>,
    /// The plugins ready in each group, so a message does not cost three queries per
    /// post (enablements, installs, time zone). Every local write that changes them clears
    /// it; an entry lives at most [`READY_TTL`], which bounds what another node's write
    /// leaves stale in a cluster.
    ready: Mutex<ReadyCache>,
    bundled: Vec<PackageRow>,
    /// Plugin catalogs' indexes, briefly reused.
    catalogs: distribution::CatalogCache,
    logs: Mutex<HashMap<(String, String), VecDeque<LogLine>>>,
    /// This process's name when it claims timers.
    pub node: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LogLine {
    pub at: i64,
    /// `debug`, `info`, `warn` or `error`.
    pub level: String,
    pub message: String,
    pub group_id: Option<String>,
    pub request_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LocalizedText {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommandView {
    pub plugin_id: String,
    pub name: String,
    pub usage: String,
    pub description: LocalizedText,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PackageView {
    pub id: String,
    pub version: String,
    pub wit: String,
    pub name: LocalizedText,
    pub description: Option<LocalizedText>,
    pub capabilities: Vec<String>,
    pub commands: Vec<CommandView>,
    pub before_message_hook: bool,
    /// The settings schema, as declared in the manifest.
    #[schema(value_type = Vec<Object>)]
    pub settings: serde_json::Value,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InstallView {
    pub org_id: String,
    pub package: PackageView,
    /// Capabilities the organization granted (a subset of what the package asks for).
    pub grants: Vec<String>,
    /// With `http`: the hosts the organization allows it to reach (a subset of the
    /// package's `http_hosts`).
    pub http_hosts: Vec<String>,
    pub installed_at: i64,
    pub updated_at: i64,
    /// Who stands behind the installed package, as this deployment sees it now.
    pub trust: distribution::TrustView,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EnablementView {
    pub group_id: String,
    pub plugin_id: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// `open`: messages pass when the hook fails; `closed`: they are refused.
    pub hook_failure: String,
    pub hook_deadline_ms: i64,
    pub enabled_at: i64,
    /// Consecutive failures so far.
    pub failures: i64,
    /// Why the circuit breaker suspended the plugin here, while it is suspended.
    pub suspended_reason: Option<String>,
    pub suspended_until: Option<i64>,
    /// The plugin's name, for clients to label its cards (absent while it cannot run
    /// here: not installed, or its capabilities not granted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<LocalizedText>,
    /// The pages it offers in this group (`GET …/plugins/{plugin}/pages/{name}`).
    #[serde(default)]
    pub pages: Vec<PageView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PageView {
    pub name: String,
    pub title: LocalizedText,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadedPackage {
    /// The manifest (`courtyard.toml`) text.
    pub manifest: String,
    /// The component, base64 encoded.
    pub wasm_base64: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallPlugin {
    /// A bundled plugin's id (see the catalog) …
    pub plugin_id: Option<String>,
    /// … or a package staged with `POST …/plugins/packages` (an uploaded `.cyplugin` file,
    /// or one from a catalog), by its `sha256` …
    pub package_sha256: Option<String>,
    /// … or a manifest and component (unsigned; needs `allow_untrusted`).
    pub package: Option<UploadedPackage>,
    /// Install a package that is unsigned or signed by a publisher this server does not
    /// trust. Without it such packages are refused (`untrusted_package`).
    #[serde(default)]
    pub allow_untrusted: bool,
    /// Capabilities to grant; all that the package asks for when omitted.
    pub grants: Option<Vec<String>>,
    /// Hosts the plugin may reach with `http`; all that the package lists when omitted.
    pub http_hosts: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInstall {
    pub grants: Vec<String>,
    /// Hosts the plugin may reach with `http`; unchanged when omitted.
    pub http_hosts: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnablePlugin {
    /// Settings for this group, validated against the plugin's schema.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
    /// `open` (default) or `closed`: what happens to a message when the hook fails.
    pub hook_failure: Option<String>,
    /// Lower the plugin's hook deadline for this group (milliseconds).
    pub hook_deadline_ms: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCommand {
    /// What the person typed, e.g. `/roll 20`.
    #[schema(pattern = "^/")]
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunAction {
    pub action_id: String,
    #[serde(default)]
    pub value: String,
}

/// What running a command, pressing a button or submitting a form produced.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct PluginReply {
    /// Text only the caller sees.
    pub ephemeral: Option<String>,
    /// The message posted or updated, if any.
    pub message: Option<super::views::MessageView>,
    /// A form for the caller to fill in, with the token to submit it.
    pub form: Option<surfaces::IssuedForm>,
}

fn localized(l: &courtyard_runtime::manifest::Localized) -> LocalizedText {
    LocalizedText {
        en: l.en.clone(),
        zh_cn: l.zh_cn.clone(),
    }
}

pub(crate) fn package_view(m: &Manifest, sha: &str) -> PackageView {
    PackageView {
        id: m.id.clone(),
        version: m.version.clone(),
        wit: m.wit.clone(),
        name: localized(&m.name),
        description: m.description.as_ref().map(localized),
        capabilities: m.capabilities.clone(),
        commands: m
            .commands
            .iter()
            .map(|c| CommandView {
                plugin_id: m.id.clone(),
                name: c.name.clone(),
                usage: c.usage.clone(),
                description: localized(&c.description),
            })
            .collect(),
        before_message_hook: m.hooks.before_message.is_some(),
        settings: serde_json::to_value(&m.settings).unwrap_or_default(),
        sha256: sha.to_owned(),
    }
}

/// A command's name and its arguments. The name ends where a character no command name
/// has appears, not only at a space: Chinese input methods often put a full-width quote
/// right after it (`/poll“午饭？”…`).
fn split_command(rest: &str) -> (&str, &str) {
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    let (name, args) = rest.split_at(end);
    (name, args.trim_start())
}

#[cfg(test)]
mod command_tests {
    use super::split_command;

    #[test]
    fn a_command_name_ends_at_the_first_character_names_do_not_have() {
        assert_eq!(split_command("roll 20"), ("roll", "20"));
        assert_eq!(split_command("roll"), ("roll", ""));
        assert_eq!(
            split_command("poll“午饭？” 面条 饺子"),
            ("poll", "“午饭？” 面条 饺子")
        );
        assert_eq!(split_command("poll\u{3000}午饭？"), ("poll", "午饭？"));
        assert_eq!(split_command("my-cmd_2\tx"), ("my-cmd_2", "x"));
        assert_eq!(split_command("任务 x"), ("", "任务 x"));
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn manifest_of(row: &PackageRow) -> Result<Manifest> {
    Manifest::parse(&row.manifest).map_err(|e| {
        AppError::Internal(anyhow::anyhow!("stored manifest of {}: {e}", row.plugin_id))
    })
}

/// Grants as stored: an object since contract 0.2.0, a bare list of capabilities before.
pub(crate) fn grants_of(row: &InstallRow) -> Grants {
    serde_json::from_str::<Grants>(&row.grants)
        .or_else(|_| {
            serde_json::from_str::<Vec<String>>(&row.grants).map(|capabilities| Grants {
                capabilities,
                http_hosts: Vec::new(),
            })
        })
        .unwrap_or_default()
}

/// Checks requested grants against the manifest: an admin can narrow, never widen.
fn checked_grants(
    manifest: &Manifest,
    capabilities: Option<Vec<String>>,
    http_hosts: Option<Vec<String>>,
) -> Result<Grants> {
    let capabilities = capabilities.unwrap_or_else(|| manifest.capabilities.clone());
    if let Some(extra) = capabilities.iter().find(|c| !manifest.has_capability(c)) {
        return Err(AppError::invalid(
            "invalid_grant",
            format!("the plugin does not ask for `{extra}`"),
        ));
    }
    let http_hosts = http_hosts.unwrap_or_else(|| manifest.http_hosts.clone());
    if let Some(extra) = http_hosts.iter().find(|h| !manifest.http_hosts.contains(h)) {
        return Err(AppError::invalid(
            "invalid_grant",
            format!("the plugin does not ask to reach `{extra}`"),
        ));
    }
    Ok(Grants {
        capabilities,
        http_hosts,
    })
}

fn enablement_view(e: EnablementRow, now: i64) -> EnablementView {
    let suspended = e.disabled_until.is_some_and(|u| u > now);
    EnablementView {
        settings: serde_json::from_str(&e.settings).unwrap_or_default(),
        hook_failure: if e.hook_fail_open { "open" } else { "closed" }.to_owned(),
        hook_deadline_ms: e.hook_deadline_ms,
        enabled_at: e.enabled_at,
        failures: e.failures,
        suspended_reason: suspended.then(|| e.disabled_reason.clone()).flatten(),
        suspended_until: e.disabled_until.filter(|_| suspended),
        group_id: e.group_id,
        plugin_id: e.plugin_id,
        name: None,
        pages: Vec::new(),
    }
}

impl Plugins {
    pub fn new(config: &crate::config::Config) -> anyhow::Result<Self> {
        let limits = Limits {
            memory_bytes: config.plugin_memory_mib << 20,
            call_deadline: Duration::from_millis(config.plugin_call_deadline_ms),
            ..Limits::default()
        };
        let cache = config
            .plugin_cache_dir
            .clone()
            .unwrap_or_else(|| config.data_dir.join("plugin-cache"));
        let runtime = Runtime::new(Some(std::path::absolute(cache)?), limits)?;
        Ok(Self {
            runtime,
            compiled: RwLock::new(HashMap::new()),
            ready: Mutex::new(ReadyCache::default()),
            bundled: Vec::new(),
            catalogs: Default::default(),
            logs: Mutex::new(HashMap::new()),
            node: courtyard_domain::MessageId::generate().into_string(),
        })
    }

    /// Reads bundled packages from `dir` (`<id>/courtyard.toml` and `<id>/plugin.wasm`).
    pub fn bundled_from(dir: &Path) -> anyhow::Result<Vec<(PackageRow, Vec<u8>)>> {
        use anyhow::Context;
        let mut found = Vec::new();
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("reading bundled plugins in {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let (manifest_path, wasm_path) =
                (path.join("courtyard.toml"), path.join("plugin.wasm"));
            if !manifest_path.is_file() || !wasm_path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&manifest_path)?;
            let manifest =
                Manifest::parse(&text).with_context(|| format!("{}", manifest_path.display()))?;
            let wasm = std::fs::read(&wasm_path)?;
            let row = PackageRow {
                sha256: sha256_hex(&wasm),
                plugin_id: manifest.id,
                version: manifest.version,
                manifest: text,
                created_at: now_millis(),
                signer_key: None,
                signer_name: None,
                source: "bundled".into(),
                org_id: None,
            };
            found.push((row, wasm));
        }
        found.sort_by(|a, b| a.0.plugin_id.cmp(&b.0.plugin_id));
        Ok(found)
    }

    pub fn set_bundled(&mut self, rows: Vec<PackageRow>) {
        self.bundled = rows;
    }

    pub fn log(&self, scope: &Scope, level: &str, message: &str) {
        let mut logs = self.logs.lock();
        let lines = logs
            .entry((scope.org_id.clone(), scope.plugin_id.clone()))
            .or_default();
        if lines.len() == LOG_LINES {
            lines.pop_front();
        }
        lines.push_back(LogLine {
            at: now_millis(),
            level: level.to_owned(),
            message: message.to_owned(),
            group_id: scope.group_id.clone(),
            request_id: scope.request_id.clone(),
        });
    }

    fn logs(&self, org: &str, plugin: &str) -> Vec<LogLine> {
        self.logs
            .lock()
            .get(&(org.to_owned(), plugin.to_owned()))
            .map(|l| l.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

/// How long the plugins ready in a group are reused before they are read again.
const READY_TTL: Duration = Duration::from_secs(2);

#[derive(Default)]
struct ReadyCache {
    /// Bumped by every change; an entry read before a change is never stored after it.
    generation: u64,
    groups: HashMap<String, (std::time::Instant, Vec<Ready>)>,
}

/// A plugin ready to call in one group (or, for calls outside any group, in its
/// organization: then `enablement` is a stand-in with an empty group id and no settings).
#[derive(Clone)]
pub(crate) struct Ready {
    pub code: Arc<courtyard_runtime::Plugin>,
    pub enablement: EnablementRow,
    pub grants: Arc<Grants>,
    /// The organization's time zone (IANA name).
    pub time_zone: String,
}

impl Ready {
    pub fn in_group(&self) -> bool {
        !self.enablement.group_id.is_empty()
    }
}

impl App {
    /// Compiled code for a stored package (compiled once per process, cached on disk).
    pub(crate) async fn compiled(&self, sha: &str) -> Result<Arc<courtyard_runtime::Plugin>> {
        if let Some(code) = self.plugins.compiled.read().get(sha) {
            return Ok(code.clone());
        }
        let row = ps::package(&self.store.read, sha).await?;
        let wasm = ps::package_wasm(&self.store.read, sha).await?;
        let manifest = manifest_of(&row)?;
        let app = self.clone();
        let code = tokio::task::spawn_blocking(move || app.plugins.runtime.load(manifest, &wasm))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!("stored package {sha} no longer loads: {e}"))
            })?;
        let code = Arc::new(code);
        self.plugins
            .compiled
            .write()
            .insert(sha.to_owned(), code.clone());
        Ok(code)
    }

    pub fn plugin_catalog(&self, _auth: &Auth) -> Vec<PackageView> {
        self.plugins
            .bundled
            .iter()
            .filter_map(|row| {
                Manifest::parse(&row.manifest)
                    .ok()
                    .map(|m| package_view(&m, &row.sha256))
            })
            .collect()
    }

    fn require_admin(&self, auth: &Auth, org_id: &str) -> Result<OrgId> {
        let org = parse_id("organization", org_id, OrgId::parse)?;
        if !(auth.actor.is_platform_admin() || auth.actor.org_id == org) {
            return Err(AppError::NotFound("organization"));
        }
        if !auth.actor.administers(&org) {
            return Err(AppError::Forbidden(
                "only organization admins manage plugins",
            ));
        }
        Ok(org)
    }

    pub async fn install_plugin(
        &self,
        auth: &Auth,
        org_id: &str,
        input: InstallPlugin,
    ) -> Result<InstallView> {
        let org = self.require_admin(auth, org_id)?;
        crate::store::orgs::get(&self.store.read, &org)
            .await
            .or_not_found("organization")?;
        let (row, wasm, file) = self.package_to_install(&org, &input).await?;
        let manifest = Manifest::parse(&row.manifest).map_err(distribution::invalid_manifest)?;
        // Verify the component against its manifest before anything is stored.
        let app = self.clone();
        let (verify_manifest, verify_wasm) = (manifest.clone(), wasm.clone());
        let code = tokio::task::spawn_blocking(move || {
            app.plugins.runtime.load(verify_manifest, &verify_wasm)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(distribution::invalid_package)?;
        let grants = checked_grants(&manifest, input.grants, input.http_hosts)?;
        let existing = ps::install(&self.store.read, org.as_str(), &manifest.id)
            .await
            .ok();
        let mut previous_version = None;
        if let Some(current) = &existing {
            let current_pkg = ps::package(&self.store.read, &current.package_sha).await?;
            if version_cmp(&manifest.version, &current_pkg.version)
                == Some(std::cmp::Ordering::Less)
            {
                return Err(AppError::said(
                    super::Refusal::Conflict,
                    "older_version",
                    format!(
                        "version {} is installed; {} is older",
                        current_pkg.version, manifest.version
                    ),
                    format!(
                        "已安装 {} 版；{} 版较旧，不能替换",
                        current_pkg.version, manifest.version
                    ),
                ));
            }
            previous_version = Some(current_pkg.version);
        }
        let code = Arc::new(code);
        self.lifecycle_before_install(
            auth,
            org.as_str(),
            code.clone(),
            grants.clone(),
            previous_version,
        )
        .await?;
        let now = now_millis();
        let install = InstallRow {
            org_id: org.as_str().to_owned(),
            plugin_id: manifest.id.clone(),
            package_sha: row.sha256.clone(),
            grants: serde_json::to_string(&grants).unwrap_or_else(|_| "{}".into()),
            installed_by: auth.actor.person_id.as_str().to_owned(),
            installed_at: existing.as_ref().map_or(now, |e| e.installed_at),
            updated_at: now,
        };
        let action = if existing.is_some() {
            "plugin.upgraded"
        } else {
            "plugin.installed"
        };
        let trust = self.trust_of_row(&row);
        let audit = self.audit_row(
            Some(auth),
            org.as_str(),
            action,
            &manifest.id,
            serde_json::json!({
                "version": manifest.version, "sha256": row.sha256, "grants": grants,
                "trust": trust.status, "publisher": trust.publisher, "key": trust.key,
            }),
        );
        let (stored_row, stored_install) = (row.clone(), install.clone());
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    ps::put_package(tx, &stored_row, &wasm, file.as_deref()).await?;
                    ps::upsert_install(tx, &stored_install).await?;
                    ps::audit(tx, &audit).await
                })
            })
            .await?;
        self.plugins_changed();
        self.plugins
            .compiled
            .write()
            .insert(row.sha256.clone(), code);
        self.sync_schedules(org.as_str(), &manifest).await?;
        Ok(InstallView {
            org_id: install.org_id,
            package: package_view(&manifest, &row.sha256),
            grants: grants.capabilities,
            http_hosts: grants.http_hosts,
            installed_at: install.installed_at,
            updated_at: now,
            trust,
        })
    }

    pub async fn installed_plugins(&self, auth: &Auth, org_id: &str) -> Result<Vec<InstallView>> {
        let org = parse_id("organization", org_id, OrgId::parse)?;
        if !(auth.actor.is_platform_admin() || (auth.actor.org_id == org && !auth.actor.is_guest()))
        {
            return Err(AppError::NotFound("organization"));
        }
        let mut out = Vec::new();
        for install in ps::installs(&self.store.read, org.as_str()).await? {
            let pkg = ps::package(&self.store.read, &install.package_sha).await?;
            let manifest = manifest_of(&pkg)?;
            let grants = grants_of(&install);
            out.push(InstallView {
                org_id: install.org_id.clone(),
                package: package_view(&manifest, &pkg.sha256),
                grants: grants.capabilities,
                http_hosts: grants.http_hosts,
                installed_at: install.installed_at,
                updated_at: install.updated_at,
                trust: self.trust_of_row(&pkg),
            });
        }
        Ok(out)
    }

    pub async fn update_install(
        &self,
        auth: &Auth,
        org_id: &str,
        plugin: &str,
        input: UpdateInstall,
    ) -> Result<InstallView> {
        let org = self.require_admin(auth, org_id)?;
        let mut install = ps::install(&self.store.read, org.as_str(), plugin)
            .await
            .or_not_found("plugin")?;
        let pkg = ps::package(&self.store.read, &install.package_sha).await?;
        let manifest = manifest_of(&pkg)?;
        let http_hosts = input
            .http_hosts
            .or_else(|| Some(grants_of(&install).http_hosts));
        let grants = checked_grants(&manifest, Some(input.grants), http_hosts)?;
        install.grants = serde_json::to_string(&grants).unwrap_or_else(|_| "{}".into());
        install.updated_at = now_millis();
        let audit = self.audit_row(
            Some(auth),
            org.as_str(),
            "plugin.grants_changed",
            plugin,
            serde_json::json!({"grants": grants}),
        );
        let stored = install.clone();
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    ps::upsert_install(tx, &stored).await?;
                    ps::audit(tx, &audit).await
                })
            })
            .await?;
        self.plugins_changed();
        Ok(InstallView {
            org_id: install.org_id.clone(),
            package: package_view(&manifest, &pkg.sha256),
            grants: grants.capabilities,
            http_hosts: grants.http_hosts,
            installed_at: install.installed_at,
            updated_at: install.updated_at,
            trust: self.trust_of_row(&pkg),
        })
    }

    /// Removes a plugin and all its data from an organization; `confirm` must be true.
    pub async fn uninstall_plugin(
        &self,
        auth: &Auth,
        org_id: &str,
        plugin: &str,
        confirm: bool,
    ) -> Result<()> {
        let org = self.require_admin(auth, org_id)?;
        if !confirm {
            return Err(AppError::invalid(
                "confirmation_required",
                "uninstalling deletes the plugin's data; repeat with ?confirm=true",
            ));
        }
        let ready = self.ready_for(org.as_str(), plugin, None).await?;
        self.lifecycle_notice(Some(auth), &ready, Lifecycle::Uninstalling)
            .await;
        let audit = self.audit_row(
            Some(auth),
            org.as_str(),
            "plugin.uninstalled",
            plugin,
            serde_json::json!({}),
        );
        let (o, p) = (org.as_str().to_owned(), plugin.to_owned());
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    ps::uninstall(tx, &o, &p).await?;
                    crate::store::records::delete_all(tx, &o, &p).await?;
                    crate::store::timers::delete_all(tx, &o, &p).await?;
                    ps::audit(tx, &audit).await
                })
            })
            .await?;
        self.plugins_changed();
        Ok(())
    }

    pub async fn enable_plugin(
        &self,
        auth: &Auth,
        group_id: &str,
        plugin: &str,
        input: EnablePlugin,
    ) -> Result<EnablementView> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.manage {
            return Err(AppError::Forbidden(
                "only the group's owners and admins (or org admins) enable plugins",
            ));
        }
        let install = ps::install(&self.store.read, group.org.as_str(), plugin)
            .await
            .or_not_found("plugin")?;
        let pkg = ps::package(&self.store.read, &install.package_sha).await?;
        let manifest = manifest_of(&pkg)?;
        let settings = manifest
            .validate_settings(input.settings.as_ref().unwrap_or(&serde_json::Value::Null))
            .map_err(|e| AppError::invalid("invalid_settings", e.to_string()))?;
        let fail_open = match input.hook_failure.as_deref() {
            None | Some("open") => true,
            Some("closed") => false,
            Some(_) => {
                return Err(AppError::invalid(
                    "invalid_field",
                    "hook_failure must be open or closed",
                ));
            }
        };
        let max_deadline = manifest
            .hooks
            .before_message
            .as_ref()
            .map_or(50, |h| h.deadline_ms as i64);
        let deadline = input.hook_deadline_ms.unwrap_or(max_deadline);
        if !(1..=max_deadline.max(1)).contains(&deadline) {
            return Err(AppError::invalid(
                "invalid_field",
                format!("hook_deadline_ms must be 1 to {max_deadline}"),
            ));
        }
        let row = EnablementRow {
            group_id: group.id.as_str().to_owned(),
            plugin_id: plugin.to_owned(),
            org_id: group.org.as_str().to_owned(),
            settings: settings.to_string(),
            hook_fail_open: fail_open,
            hook_deadline_ms: deadline,
            enabled_by: auth.actor.person_id.as_str().to_owned(),
            enabled_at: now_millis(),
            failures: 0,
            trips: 0,
            disabled_reason: None,
            disabled_until: None,
        };
        let audit = self.audit_row(
            Some(auth),
            group.org.as_str(),
            "plugin.enabled",
            plugin,
            serde_json::json!({"group_id": row.group_id, "settings": settings}),
        );
        let stored = row.clone();
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    ps::upsert_enablement(tx, &stored).await?;
                    ps::audit(tx, &audit).await
                })
            })
            .await?;
        self.plugins_changed();
        if let Ok(ready) = self
            .ready_for(group.org.as_str(), plugin, Some(group.id.as_str()))
            .await
        {
            self.lifecycle_notice(Some(auth), &ready, Lifecycle::Enabled)
                .await;
        }
        let data = serde_json::json!({"plugin_id": plugin, "group_id": group.id.as_str()});
        self.dispatch_event(Some(auth), &group.org, &group.id, "plugin.enabled", data);
        Ok(enablement_view(row, now_millis()))
    }

    pub async fn disable_plugin(&self, auth: &Auth, group_id: &str, plugin: &str) -> Result<()> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.manage {
            return Err(AppError::Forbidden(
                "only the group's owners and admins (or org admins) disable plugins",
            ));
        }
        if let Some(ready) = self
            .ready_for(group.org.as_str(), plugin, Some(group.id.as_str()))
            .await
            .ok()
            .filter(|r| r.in_group())
        {
            self.lifecycle_notice(Some(auth), &ready, Lifecycle::Disabled)
                .await;
        }
        let audit = self.audit_row(
            Some(auth),
            group.org.as_str(),
            "plugin.disabled",
            plugin,
            serde_json::json!({"group_id": group.id.as_str()}),
        );
        let (g, p) = (group.id.as_str().to_owned(), plugin.to_owned());
        let removed = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let removed = ps::delete_enablement(tx, &g, &p).await?;
                    if removed {
                        ps::audit(tx, &audit).await?;
                    }
                    Ok(removed)
                })
            })
            .await?;
        self.plugins_changed();
        if removed {
            let data = serde_json::json!({"plugin_id": plugin, "group_id": group.id.as_str()});
            self.dispatch_event(Some(auth), &group.org, &group.id, "plugin.disabled", data);
            Ok(())
        } else {
            Err(AppError::NotFound("plugin"))
        }
    }

    pub async fn group_plugins(&self, auth: &Auth, group_id: &str) -> Result<Vec<EnablementView>> {
        let group = self.seen_group(auth, group_id).await?;
        if !(group.rights.read || group.rights.manage) {
            return Err(AppError::NotFound("group"));
        }
        let now = now_millis();
        let ready = self.ready_in(group.org.as_str(), group.id.as_str()).await?;
        Ok(
            ps::enablements_in_group(&self.store.read, group.id.as_str())
                .await?
                .into_iter()
                .map(|e| {
                    let mut view = enablement_view(e, now);
                    if let Some(r) = ready.iter().find(|r| r.code.manifest.id == view.plugin_id) {
                        let m = &r.code.manifest;
                        view.name = Some(localized(&m.name));
                        view.pages = m
                            .pages
                            .iter()
                            .map(|p| PageView {
                                name: p.name.clone(),
                                title: localized(&p.title),
                            })
                            .collect();
                    }
                    view
                })
                .collect(),
        )
    }

    /// Plugins enabled in a group, with their code and grants.
    pub(crate) async fn ready_in(&self, org: &str, group: &str) -> Result<Vec<Ready>> {
        let generation = {
            let cache = self.plugins.ready.lock();
            if let Some((at, ready)) = cache.groups.get(group)
                && at.elapsed() < READY_TTL
            {
                return Ok(ready.clone());
            }
            cache.generation
        };
        let ready = self.read_ready_in(org, group).await?;
        let mut cache = self.plugins.ready.lock();
        if cache.generation == generation {
            cache
                .groups
                .insert(group.to_owned(), (std::time::Instant::now(), ready.clone()));
        }
        Ok(ready)
    }

    /// Forgets the plugins ready in every group: after any change to installs, grants,
    /// enablements, settings, health or an organization's time zone.
    /// The other nodes of a cluster forget theirs too.
    pub(crate) fn plugins_changed(&self) {
        self.forget_ready_plugins();
        self.tell_cluster(crate::cluster::Signal::PluginsChanged);
    }

    pub(crate) fn forget_ready_plugins(&self) {
        let mut cache = self.plugins.ready.lock();
        cache.generation += 1;
        cache.groups.clear();
    }

    async fn read_ready_in(&self, org: &str, group: &str) -> Result<Vec<Ready>> {
        let mut out = Vec::new();
        let enablements = ps::enablements_in_group(&self.store.read, group).await?;
        if enablements.is_empty() {
            return Ok(out);
        }
        let time_zone = self.org_time_zone(org).await?;
        for enablement in enablements {
            let Ok(install) = ps::install(&self.store.read, org, &enablement.plugin_id).await
            else {
                continue;
            };
            let code = self.compiled(&install.package_sha).await?;
            out.push(Ready {
                code,
                grants: Arc::new(grants_of(&install)),
                enablement,
                time_zone: time_zone.clone(),
            });
        }
        Ok(out)
    }

    /// A plugin installed in an organization, for a call in `group` when it is enabled
    /// there, or outside any group (a timer, a lifecycle stage, a route, another plugin's
    /// call) otherwise.
    pub(crate) async fn ready_for(
        &self,
        org: &str,
        plugin: &str,
        group: Option<&str>,
    ) -> Result<Ready> {
        let install = ps::install(&self.store.read, org, plugin)
            .await
            .or_not_found("plugin")?;
        let code = self.compiled(&install.package_sha).await?;
        let enablement = match group {
            Some(g) => ps::enablements_in_group(&self.store.read, g)
                .await?
                .into_iter()
                .find(|e| e.plugin_id == plugin),
            None => None,
        };
        let time_zone = self.org_time_zone(org).await?;
        Ok(match enablement {
            Some(enablement) => Ready {
                code,
                grants: Arc::new(grants_of(&install)),
                enablement,
                time_zone,
            },
            None => Ready::stand_in(code, grants_of(&install), org, time_zone),
        })
    }

    pub(crate) async fn org_time_zone(&self, org: &str) -> Result<String> {
        let org = crate::store::orgs::get(&self.store.read, &OrgId::from_trusted(org.to_owned()))
            .await
            .or_not_found("organization")?;
        Ok(org.time_zone)
    }

    pub async fn group_commands(&self, auth: &Auth, group_id: &str) -> Result<Vec<CommandView>> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.read {
            return Err(AppError::NotFound("group"));
        }
        let mut out = Vec::new();
        for ready in self.ready_in(group.org.as_str(), group.id.as_str()).await? {
            out.extend(package_view(&ready.code.manifest, "").commands);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub(crate) fn scope(
        &self,
        auth: Option<&Auth>,
        org: &str,
        group: Option<&str>,
        ready: &Ready,
    ) -> Scope {
        Scope {
            plugin_id: ready.enablement.plugin_id.clone(),
            org_id: org.to_owned(),
            group_id: group.map(str::to_owned),
            actor: auth.map(|a| PluginActor {
                id: a.person.id.clone(),
                display_name: a.person.display_name.clone(),
                // Someone acting in another organization (a partner's people in a shared
                // group) is a guest there, whatever they administer at home.
                role: if a.person.org_id == org {
                    a.person.role.clone()
                } else {
                    Role::Guest.as_str().to_owned()
                },
                org_id: a.person.org_id.clone(),
            }),
            request_id: courtyard_domain::MessageId::generate().into_string(),
            settings: serde_json::from_str(&ready.enablement.settings).unwrap_or_default(),
            locale: auth.map_or("en", |a| a.locale.as_str()).to_owned(),
            time_zone: ready.time_zone.clone(),
            call_depth: 0,
        }
    }

    /// What a call into `ready` needs: host services, the scope, the organization's grants.
    pub(crate) fn call_for(
        &self,
        auth: Option<&Auth>,
        org: &str,
        group: Option<&str>,
        ready: &Ready,
    ) -> Call {
        Call {
            host: services::Services::shared(self.clone()),
            scope: self.scope(auth, org, group, ready),
            grants: ready.grants.clone(),
        }
    }

    fn refuse_if_suspended(ready: &Ready) -> Result<()> {
        match Self::suspended(ready) {
            Some(reason) => Err(AppError::PluginFailed(format!(
                "the plugin `{}` is suspended here: {reason}",
                ready.enablement.plugin_id
            ))),
            None => Ok(()),
        }
    }

    fn suspended(ready: &Ready) -> Option<String> {
        let until = ready.enablement.disabled_until?;
        (until > now_millis()).then(|| {
            ready
                .enablement
                .disabled_reason
                .clone()
                .unwrap_or_else(|| "repeated failures".into())
        })
    }

    /// Counts the outcome of a call that began at `started` toward the circuit breaker and
    /// the metrics. A call that failed while the host's own database was out of reach is
    /// not held against the plugin: it waited on the host (past its deadline, or into an
    /// error it could not help), and suspending it would outlast the outage.
    pub(crate) async fn health(
        &self,
        ready: &Ready,
        outcome: Option<&CallError>,
        started: std::time::Instant,
    ) {
        let took = started.elapsed();
        let mut host_outage = outcome.is_some() && crate::store::outage_since(started);
        // A plugin waiting on a host call whose database is gone times out before the
        // database's own error arrives (the pool waits longer than the plugin's deadline):
        // before blaming the plugin, ask the database whether it is there.
        if !host_outage && outcome.is_some_and(CallError::is_fault) {
            let answered =
                tokio::time::timeout(std::time::Duration::from_millis(500), self.store.ping())
                    .await;
            if !matches!(answered, Ok(Ok(()))) {
                crate::store::note_outage();
                host_outage = true;
            }
        }
        let fault = outcome
            .filter(|e| e.is_fault() && !host_outage)
            .map(|e| e.to_string());
        self.metrics
            .plugin_call(&ready.enablement.plugin_id, took, fault.is_some());
        if let Some(fault) = &fault {
            self.plugins.log(
                &Scope::system(&ready.enablement.plugin_id, &ready.enablement.org_id, None),
                "error",
                &format!("call failed: {fault}"),
            );
        }
        // The breaker is per group; calls outside a group are logged only.
        if !ready.in_group() || (fault.is_none() && ready.enablement.failures == 0) {
            return;
        }
        let backoff =
            BREAKER_BASE.as_millis() as i64 * (1i64 << ready.enablement.trips.clamp(0, 6));
        let until = now_millis() + backoff.min(3_600_000);
        let (g, p) = (
            ready.enablement.group_id.clone(),
            ready.enablement.plugin_id.clone(),
        );
        let result = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    ps::record_health(
                        tx,
                        &g,
                        &p,
                        fault.as_deref().map(|r| (r, BREAKER_THRESHOLD, until)),
                    )
                    .await
                })
            })
            .await;
        self.plugins_changed();
        match result {
            Ok(Some(tripped)) => {
                tracing::warn!(plugin = %tripped.plugin_id, group = %tripped.group_id, reason = ?tripped.disabled_reason, until = ?tripped.disabled_until, "plugin suspended by the circuit breaker")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "recording plugin health failed"),
        }
    }

    /// The answer to a failed plugin call that began at `started`.
    fn call_failed(&self, plugin: &str, e: &CallError, started: std::time::Instant) -> AppError {
        match e {
            // The host's database went out of reach under the plugin (it gave up, or waited
            // past its deadline): the host's failure, and a retry may succeed.
            _ if crate::store::outage_since(started) => {
                tracing::warn!(plugin, error = %e, "plugin call failed during a database outage");
                AppError::database_unavailable()
            }
            CallError::Plugin(message) => AppError::invalid("plugin_error", message.clone()),
            CallError::Busy => AppError::RateLimited("plugins are busy; try again"),
            other => {
                tracing::warn!(plugin, error = %other, "plugin call failed");
                AppError::PluginFailed(format!("the plugin `{plugin}` failed: {other}"))
            }
        }
    }

    /// Tells the group's plugins that subscribed to `kind` what happened, in the background:
    /// the person who acted never waits for plugins. Anonymous acts pass no actor.
    pub(crate) fn dispatch_event(
        &self,
        actor: Option<&Auth>,
        org: &OrgId,
        group: &GroupId,
        kind: &'static str,
        data: serde_json::Value,
    ) {
        let app = self.clone();
        let actor = actor.cloned();
        let (org, group) = (org.clone(), group.clone());
        tokio::spawn(async move {
            if let Err(e) = app.queue_deliveries(&org, &group, kind, &data).await {
                tracing::warn!(error = %e, kind, "queueing webhook deliveries failed");
            }
            let readies = match app.ready_in(org.as_str(), group.as_str()).await {
                Ok(r) => r,
                Err(e) => return tracing::warn!(error = %e, "loading plugins for an event failed"),
            };
            // An event about a message for part of the group (a restricted card, or a reply
            // in its thread) reaches only the plugin whose card it is: the group's other
            // plugins are not its audience.
            let restricted = data.get("audience").is_some_and(|a| !a.is_null());
            let owner = if restricted {
                app.card_owner(&data).await
            } else {
                None
            };
            let subscribed = readies
                .into_iter()
                .filter(|r| r.code.manifest.events.iter().any(|e| e == kind))
                .filter(|r| {
                    !restricted || owner.as_deref() == Some(r.enablement.plugin_id.as_str())
                });
            for ready in subscribed {
                if Self::suspended(&ready).is_some() {
                    continue;
                }
                let call = app.call_for(actor.as_ref(), org.as_str(), Some(group.as_str()), &ready);
                let started = std::time::Instant::now();
                let outcome = app
                    .plugins
                    .runtime
                    .event(&ready.code, call, kind.to_owned(), data.to_string())
                    .await;
                if let Err(e) = &outcome {
                    tracing::warn!(plugin = %ready.enablement.plugin_id, error = %e, "plugin event handler failed");
                }
                app.health(&ready, outcome.as_ref().err(), started).await;
            }
        });
    }

    /// The plugin whose card a message is, or whose card's thread it is in.
    async fn card_owner(&self, message: &serde_json::Value) -> Option<String> {
        if let Some(plugin) = message["plugin_id"].as_str() {
            return Some(plugin.to_owned());
        }
        let root = courtyard_domain::MessageId::parse(message["thread_root_id"].as_str()?)?;
        crate::store::messages::get(&self.store.read, &root)
            .await
            .ok()?
            .plugin_id
    }

    /// Runs a slash command typed in a group.
    pub async fn run_command(
        &self,
        auth: &Auth,
        group_id: &str,
        input: RunCommand,
    ) -> Result<PluginReply> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.read {
            return Err(AppError::NotFound("group"));
        }
        if !group.rights.post {
            return Err(AppError::Forbidden("you cannot post in this group"));
        }
        let text = input.text.trim();
        let Some(rest) = text.strip_prefix('/') else {
            return Err(AppError::invalid(
                "invalid_command",
                "a command starts with /",
            ));
        };
        if text.len() > 4096 {
            return Err(AppError::invalid(
                "invalid_command",
                "a command is at most 4096 bytes",
            ));
        }
        let (name, args) = split_command(rest);
        let ready = self
            .ready_in(group.org.as_str(), group.id.as_str())
            .await?
            .into_iter()
            .find(|r| r.code.manifest.commands.iter().any(|c| c.name == name))
            .ok_or_else(|| {
                AppError::invalid(
                    "unknown_command",
                    format!("no plugin enabled in this group answers /{name}"),
                )
            })?;
        Self::refuse_if_suspended(&ready)?;
        let call = self.call_for(
            Some(auth),
            group.org.as_str(),
            Some(group.id.as_str()),
            &ready,
        );
        let started = std::time::Instant::now();
        let outcome = self
            .plugins
            .runtime
            .command(
                &ready.code,
                call.clone(),
                name.to_owned(),
                args.trim().to_owned(),
            )
            .await;
        self.health(&ready, outcome.as_ref().err(), started).await;
        let reply =
            outcome.map_err(|e| self.call_failed(&ready.enablement.plugin_id, &e, started))?;
        let message = match reply {
            CommandReply::Ephemeral(text) => {
                return Ok(PluginReply {
                    ephemeral: Some(text),
                    ..PluginReply::default()
                });
            }
            CommandReply::Form(form) => {
                return Ok(PluginReply {
                    form: Some(self.sign_form(auth, &ready, None, form)),
                    ..PluginReply::default()
                });
            }
            CommandReply::None => None,
            CommandReply::Message(body) => Some(
                self.plugin_post(&call.scope, group.id.as_str(), body, None)
                    .await?,
            ),
            CommandReply::Card(card) => Some(
                self.plugin_post(&call.scope, group.id.as_str(), String::new(), Some(card))
                    .await?,
            ),
        };
        Ok(PluginReply {
            message,
            ..PluginReply::default()
        })
    }

    /// A button pressed on a plugin card.
    pub async fn run_action(
        &self,
        auth: &Auth,
        message_id: &str,
        input: RunAction,
    ) -> Result<PluginReply> {
        let PluginCard { row, card, ready } = self
            .plugin_card(
                auth,
                message_id,
                ("not_a_card", "this message has no buttons"),
            )
            .await?;
        if row.deleted_at.is_some()
            || !courtyard_runtime::card::has_action(&card, &input.action_id)
            || input.value.len() > 2000
        {
            return Err(AppError::invalid(
                "unknown_action",
                "this card has no such button",
            ));
        }
        let input = ActionInput {
            message_id: Some(row.id.clone()),
            action_id: input.action_id,
            value: input.value,
            form_values: None,
        };
        self.run_plugin_action(auth, &ready, input).await
    }

    /// Runs the before-message hooks of the group's plugins in turn. Returns the body to
    /// store (possibly rewritten) or the refusal.
    pub(crate) async fn before_message(
        &self,
        auth: &Auth,
        group: &GroupId,
        group_org: &OrgId,
        body: String,
    ) -> Result<String> {
        let mut body = body;
        let readies = self.ready_in(group_org.as_str(), group.as_str()).await?;
        for ready in readies
            .into_iter()
            .filter(|r| r.code.manifest.hooks.before_message.is_some())
        {
            let plugin = ready.enablement.plugin_id.clone();
            let fail_open = ready.enablement.hook_fail_open;
            let failed = |reason: String| -> Result<()> {
                if fail_open {
                    tracing::warn!(
                        plugin,
                        reason,
                        "before-message hook failed; letting the message through (fail-open)"
                    );
                    Ok(())
                } else {
                    Err(AppError::invalid(
                        "hook_failed",
                        format!(
                            "the plugin `{plugin}` could not check this message ({reason}); the group's policy refuses it"
                        ),
                    ))
                }
            };
            if let Some(reason) = Self::suspended(&ready) {
                failed(format!("suspended: {reason}"))?;
                continue;
            }
            let call = self.call_for(Some(auth), group_org.as_str(), Some(group.as_str()), &ready);
            let deadline = Duration::from_millis(ready.enablement.hook_deadline_ms.max(1) as u64);
            let started = std::time::Instant::now();
            let outcome = self
                .plugins
                .runtime
                .before_message(&ready.code, call, body.clone(), deadline)
                .await;
            self.health(&ready, outcome.as_ref().err(), started).await;
            match outcome {
                Ok(HookDecision::Allow) => {}
                Ok(HookDecision::Rewrite(new)) => body = new,
                Ok(HookDecision::Reject(reason)) => {
                    return Err(AppError::invalid("rejected_by_plugin", reason));
                }
                Err(e) => failed(e.to_string())?,
            }
        }
        Ok(body)
    }

    /// A plugin's pending timers and scheduled jobs in an organization, soonest first.
    pub async fn plugin_timers(
        &self,
        auth: &Auth,
        org_id: &str,
        plugin: &str,
    ) -> Result<Vec<TimerView>> {
        let org = self.require_admin(auth, org_id)?;
        let mut rows = crate::store::timers::list(&self.store.read, org.as_str(), plugin).await?;
        rows.sort_by_key(|t| t.due_at);
        Ok(rows
            .into_iter()
            .map(|t| TimerView {
                id: t.id,
                kind: t.kind,
                key: t.key,
                group_id: t.group_id,
                due_at: t.due_at,
                attempts: t.attempts,
            })
            .collect())
    }

    pub fn plugin_logs(&self, auth: &Auth, org_id: &str, plugin: &str) -> Result<Vec<LogLine>> {
        let org = self.require_admin(auth, org_id)?;
        Ok(self.plugins.logs(org.as_str(), plugin))
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TimerView {
    pub id: String,
    /// `timer` (set by the plugin) or `schedule` (from its manifest).
    pub kind: String,
    /// The timer's key, or the schedule's name.
    pub key: String,
    pub group_id: Option<String>,
    pub due_at: i64,
    /// Failed deliveries so far.
    pub attempts: i64,
}

impl From<StoreError> for courtyard_runtime::api::HostError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => courtyard_runtime::api::HostError::NotFound,
            other => {
                if other.is_outage() {
                    crate::store::note_outage();
                }
                tracing::warn!(error = %other, "plugin host call failed in storage");
                courtyard_runtime::api::HostError::Unavailable("storage is unavailable".into())
            }
        }
    }
}
