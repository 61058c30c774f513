//! Where plugins come from: signed package files (`.cyplugin`, see `crate::package`)
//! uploaded by an organization admin or fetched from a catalog, checked against the
//! deployment's trusted publishers and the contract versions this host runs.
//!
//! A package is first **staged** — read, its signature verified, stored — and shown to the
//! admin with what it asks for and who signed it; installing it is a second step by its
//! `sha256`, so what is installed is exactly what was shown. Unsigned packages, and those
//! signed by a key the deployment does not trust, install only with `allow_untrusted`.
//! A package whose signature does not verify is refused outright.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use courtyard_runtime::manifest::{Manifest, ManifestError, SUPPORTED_WIT};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    InstallPlugin, LocalizedText, MAX_PACKAGE_BYTES, PackageView, package_view, sha256_hex,
};
use crate::app::auth::Auth;
use crate::app::{App, AppError, OrNotFound, Refusal, Result};
use crate::package::{Package, PackageError, Signer};
use crate::store::now_millis;
use crate::store::plugins::{self as ps, PackageRow};
use courtyard_domain::OrgId;

/// How long a catalog's index is reused before it is fetched again.
const CATALOG_TTL: Duration = Duration::from_secs(60);
/// The largest catalog index read.
const MAX_INDEX_BYTES: usize = 4 << 20;
/// Catalog icons larger than this are left out of listings.
const MAX_CATALOG_ICON_BYTES: usize = 64 << 10;
const CATALOG_FORMAT: &str = "courtyard-catalog/1";

/// Who stands behind a package, as this deployment sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TrustView {
    /// `bundled` (shipped with this server), `trusted` (signed by a publisher in
    /// `trusted_publishers`), `untrusted` (signed by another key) or `unsigned`.
    pub status: &'static str,
    /// The publisher: the configured name when trusted, the name the signature claims
    /// otherwise.
    pub publisher: Option<String>,
    /// The signing key (`ed25519:…`).
    pub key: Option<String>,
    /// What an admin must read before installing anything not trusted.
    pub warning: Option<LocalizedText>,
}

/// A package as an admin sees it before installing it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StagedPackageView {
    pub package: PackageView,
    /// Hosts the plugin would reach with `http`.
    pub http_hosts: Vec<String>,
    /// What it does, from the package (markdown source, shown as text).
    pub descriptions: Option<LocalizedText>,
    /// `GET …/packages/{sha256}/icon` answers.
    pub icon: bool,
    /// Screenshots at `GET …/packages/{sha256}/screenshots/{1..n}`.
    pub screenshots: u32,
    pub trust: TrustView,
    /// `upload`, `bundled`, or the catalog it came from.
    pub source: String,
    /// The version installed in this organization now, if any.
    pub installed_version: Option<String>,
    /// Installing it would upgrade the installed version.
    pub upgrade: bool,
}

/// Stage a package from a catalog.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageFromCatalog {
    /// The catalog, as listed in `GET …/plugins/catalog` (`source`).
    pub source: String,
    pub plugin_id: String,
    pub version: String,
}

/// One plugin version a catalog offers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CatalogItemView {
    /// The catalog (a configured URL or directory).
    pub source: String,
    /// The catalog's own name, when its index gives one.
    pub catalog_name: Option<String>,
    pub id: String,
    pub version: String,
    pub wit: String,
    pub name: LocalizedText,
    pub summary: Option<LocalizedText>,
    pub capabilities: Vec<String>,
    /// A small PNG, base64, when the catalog has one.
    pub icon_base64: Option<String>,
    /// Who the index says signed it, checked again against the package when staged.
    pub trust: TrustView,
    pub size: u64,
    /// Whether this host runs the contract it was built for.
    pub compatible: bool,
    /// Why not, when it is not.
    pub incompatible: Option<LocalizedText>,
    pub installed_version: Option<String>,
    /// Newer than the installed version, and compatible.
    pub upgrade: bool,
}

/// A catalog's `index.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CatalogIndex {
    pub format: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub packages: Vec<CatalogEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CatalogEntry {
    pub id: String,
    pub version: String,
    pub wit: String,
    pub name: courtyard_runtime::manifest::Localized,
    #[serde(default)]
    pub summary: Option<courtyard_runtime::manifest::Localized>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    /// The package file, relative to the catalog.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    #[serde(default)]
    pub icon_base64: Option<String>,
}

impl CatalogIndex {
    pub fn new(name: Option<String>) -> Self {
        CatalogIndex {
            format: CATALOG_FORMAT.into(),
            name,
            packages: Vec::new(),
        }
    }
}

/// Fetched catalog indexes, briefly reused.
#[derive(Default)]
pub struct CatalogCache {
    indexes: Mutex<HashMap<String, (Instant, Arc<CatalogIndex>)>>,
}

/// A catalog entry's file name: path segments of letters, digits, `.`, `_` and `-`, never
/// `.` or `..` — it names a file inside the catalog, nothing else.
pub fn safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
}

/// The versions this host runs, for messages.
fn supported() -> String {
    SUPPORTED_WIT.join(", ")
}

/// The refusal for a package built for a contract this host does not run.
fn incompatible(id: &str, version: &str, wit: &str) -> AppError {
    let (en, zh) = incompatible_text(id, version, wit);
    AppError::said(Refusal::Invalid, "incompatible_contract", en, zh)
}

fn incompatible_text(id: &str, version: &str, wit: &str) -> (String, String) {
    (
        format!(
            "{id} {version} is built for plugin contract {wit}; this server runs {} — upgrade Courtyard to install it",
            supported()
        ),
        format!(
            "{id} {version} 需要插件接口 {wit}，本服务器支持 {}——请先升级 Courtyard 再安装",
            supported()
        ),
    )
}

fn package_refused(e: PackageError) -> AppError {
    match e {
        PackageError::BadSignature => AppError::said(
            Refusal::Invalid,
            "bad_signature",
            "the package's signature does not match its contents: it was changed after it was signed. It cannot be installed.",
            "插件包的签名与内容不符：签名后被改动过，不能安装。",
        ),
        other => invalid_package(other),
    }
}

/// A package that cannot be used, in both languages (the detail is the checker's, in
/// English).
pub(super) fn invalid_package(detail: impl std::fmt::Display) -> AppError {
    AppError::said(
        Refusal::Invalid,
        "invalid_package",
        format!("the plugin package cannot be used: {detail}"),
        format!("插件包无法使用：{detail}"),
    )
}

pub(super) fn invalid_manifest(detail: impl std::fmt::Display) -> AppError {
    AppError::said(
        Refusal::Invalid,
        "invalid_manifest",
        format!("the plugin's manifest (courtyard.toml) is not valid: {detail}"),
        format!("插件清单（courtyard.toml）有误：{detail}"),
    )
}

/// A manifest's `wit`, read before the full check so an unsupported contract gets its
/// own clear refusal.
fn check_contract(manifest_text: &str) -> Result<Manifest> {
    match Manifest::parse(manifest_text) {
        Ok(m) => Ok(m),
        Err(ManifestError::UnsupportedWit { wanted, .. }) => {
            #[derive(Deserialize)]
            struct Head {
                id: Option<String>,
                version: Option<String>,
            }
            let head: Head = toml::from_str(manifest_text).unwrap_or(Head {
                id: None,
                version: None,
            });
            Err(incompatible(
                head.id.as_deref().unwrap_or("the plugin"),
                head.version.as_deref().unwrap_or(""),
                &wanted,
            ))
        }
        Err(e) => Err(invalid_manifest(e)),
    }
}

impl App {
    /// How this deployment sees a signer.
    pub(crate) fn trust_of(&self, key: Option<&str>, claimed: Option<&str>) -> TrustView {
        let Some(key) = key else {
            return TrustView {
                status: "unsigned",
                publisher: None,
                key: None,
                warning: Some(LocalizedText {
                    en: "This package is not signed: nobody vouches for where it came from. Install it only if you got it from someone you trust.".into(),
                    zh_cn: "此插件包没有签名，无法确认来源。仅在确信来源可靠时安装。".into(),
                }),
            };
        };
        if let Some(trusted) = self.config.trusted_publishers.iter().find(|p| {
            crate::package::parse_key(&p.key)
                .ok()
                .zip(crate::package::parse_key(key).ok())
                .is_some_and(|(a, b)| a == b)
        }) {
            return TrustView {
                status: "trusted",
                publisher: Some(trusted.name.clone()),
                key: Some(key.to_owned()),
                warning: None,
            };
        }
        let claimed = claimed.unwrap_or("?");
        TrustView {
            status: "untrusted",
            publisher: Some(claimed.to_owned()),
            key: Some(key.to_owned()),
            warning: Some(LocalizedText {
                en: format!(
                    "Signed as “{claimed}” by a key this server does not trust. Anyone can sign with any name: install it only if you know this key belongs to them."
                ),
                zh_cn: format!(
                    "签名者自称“{claimed}”，但其密钥不在本服务器信任的发布者之列。任何人都可以用任意名字签名：仅在确认此密钥属于该发布者时安装。"
                ),
            }),
        }
    }

    pub(crate) fn trust_of_row(&self, row: &PackageRow) -> TrustView {
        if row.source == "bundled" || self.plugins.bundled.iter().any(|b| b.sha256 == row.sha256) {
            return TrustView {
                status: "bundled",
                publisher: None,
                key: None,
                warning: None,
            };
        }
        self.trust_of(row.signer_key.as_deref(), row.signer_name.as_deref())
    }

    /// The package an install request names, with its component and file, once the
    /// request may install it (trusted, or untrusted and allowed).
    pub(super) async fn package_to_install(
        &self,
        org: &OrgId,
        input: &InstallPlugin,
    ) -> Result<(PackageRow, Vec<u8>, Option<Vec<u8>>)> {
        let sources = [
            input.plugin_id.is_some(),
            input.package_sha256.is_some(),
            input.package.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(AppError::invalid(
                "invalid_install",
                "give one of plugin_id (bundled), package_sha256 (staged) or package (manifest and component)",
            ));
        }
        if let Some(id) = &input.plugin_id {
            let row = self
                .plugins
                .bundled
                .iter()
                .find(|p| &p.plugin_id == id)
                .cloned()
                .ok_or(AppError::NotFound("plugin"))?;
            let wasm = ps::package_wasm(&self.store.read, &row.sha256).await?;
            return Ok((row, wasm, None));
        }
        if let Some(sha) = &input.package_sha256 {
            let row = self.staged(org, sha).await?;
            self.require_trust(&self.trust_of_row(&row), input.allow_untrusted)?;
            let wasm = ps::package_wasm(&self.store.read, &row.sha256).await?;
            let file = ps::package_file(&self.store.read, &row.sha256).await?;
            return Ok((row, wasm, file));
        }
        let pkg = input.package.as_ref().expect("counted above");
        let wasm = base64::engine::general_purpose::STANDARD
            .decode(pkg.wasm_base64.trim())
            .map_err(|_| invalid_package("wasm_base64 is not valid base64"))?;
        if wasm.len() > MAX_PACKAGE_BYTES {
            return Err(AppError::invalid(
                "package_too_large",
                format!("a component is at most {} MiB", MAX_PACKAGE_BYTES >> 20),
            ));
        }
        let manifest = check_contract(&pkg.manifest)?;
        self.require_trust(&self.trust_of(None, None), input.allow_untrusted)?;
        let row = PackageRow {
            sha256: sha256_hex(&wasm),
            plugin_id: manifest.id,
            version: manifest.version,
            manifest: pkg.manifest.clone(),
            created_at: now_millis(),
            signer_key: None,
            signer_name: None,
            source: "upload".into(),
            org_id: Some(org.as_str().to_owned()),
        };
        Ok((row, wasm, None))
    }

    fn require_trust(&self, trust: &TrustView, allowed: bool) -> Result<()> {
        if matches!(trust.status, "bundled" | "trusted") || allowed {
            return Ok(());
        }
        let warning = trust.warning.clone().unwrap_or(LocalizedText {
            en: String::new(),
            zh_cn: String::new(),
        });
        Err(AppError::said(
            Refusal::Invalid,
            "untrusted_package",
            format!(
                "{} To install it anyway, an organization admin must allow untrusted packages for this install (allow_untrusted).",
                warning.en
            ),
            format!(
                "{}如仍要安装，需由组织管理员明确允许安装不受信任的插件包（allow_untrusted）。",
                warning.zh_cn
            ),
        ))
    }

    /// A stored package this organization may install: bundled, from a catalog, or
    /// uploaded by its own admins.
    async fn staged(&self, org: &OrgId, sha: &str) -> Result<PackageRow> {
        let row = ps::package(&self.store.read, sha)
            .await
            .or_not_found("package")?;
        let bundled = self.plugins.bundled.iter().any(|b| b.sha256 == row.sha256);
        if row.org_id.is_some()
            && !bundled
            && !ps::package_usable_by(&self.store.read, &row.sha256, org.as_str()).await?
        {
            return Err(AppError::NotFound("package"));
        }
        Ok(row)
    }

    /// Reads, verifies and stores a package file; returns what an admin sees of it.
    pub async fn stage_package(
        &self,
        auth: &Auth,
        org_id: &str,
        bytes: &[u8],
    ) -> Result<StagedPackageView> {
        let org = self.require_admin(auth, org_id)?;
        let row = self
            .store_package_file(bytes, "upload", Some(org.as_str()))
            .await?;
        self.staged_view(&org, &row).await
    }

    async fn store_package_file(
        &self,
        bytes: &[u8],
        source: &str,
        org: Option<&str>,
    ) -> Result<PackageRow> {
        let file = bytes.to_vec();
        let (package, signer) = tokio::task::spawn_blocking(move || Package::read(&file))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(package_refused)?;
        let manifest = check_contract(&package.manifest)?;
        // The component must be what the manifest says before anything is stored.
        let app = self.clone();
        let (verify_manifest, verify_wasm) = (manifest.clone(), package.component.clone());
        tokio::task::spawn_blocking(move || {
            app.plugins.runtime.load(verify_manifest, &verify_wasm)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(invalid_package)?;
        let (signer_key, signer_name) = match signer {
            Signer::Unsigned => (None, None),
            Signer::Signed { publisher, key } => (Some(key), Some(publisher)),
        };
        let row = PackageRow {
            sha256: sha256_hex(bytes),
            plugin_id: manifest.id,
            version: manifest.version,
            manifest: package.manifest.clone(),
            created_at: now_millis(),
            signer_key,
            signer_name,
            source: source.to_owned(),
            org_id: org.map(str::to_owned),
        };
        let (stored, wasm, file) = (row.clone(), package.component, bytes.to_vec());
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    ps::put_package(tx, &stored, &wasm, Some(&file)).await?;
                    if let Some(org) = &stored.org_id {
                        ps::grant_package(tx, &stored.sha256, org).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        // The same bytes staged earlier keep their first row (e.g. another organization's
        // upload): read back what is stored.
        Ok(ps::package(&self.store.read, &row.sha256).await?)
    }

    /// A staged (or installed) package, for an admin of `org_id`.
    pub async fn staged_package(
        &self,
        auth: &Auth,
        org_id: &str,
        sha: &str,
    ) -> Result<StagedPackageView> {
        let org = self.require_admin(auth, org_id)?;
        let row = self.staged(&org, sha).await?;
        self.staged_view(&org, &row).await
    }

    async fn staged_view(&self, org: &OrgId, row: &PackageRow) -> Result<StagedPackageView> {
        let manifest = Manifest::parse(&row.manifest).map_err(invalid_manifest)?;
        let parts = self.package_parts(row).await?;
        let installed = self.installed_version(org, &manifest.id).await?;
        let upgrade = installed
            .as_deref()
            .is_some_and(|v| newer(&manifest.version, v));
        Ok(StagedPackageView {
            package: package_view(&manifest, &row.sha256),
            http_hosts: manifest.http_hosts.clone(),
            descriptions: parts.as_ref().map(|p| LocalizedText {
                en: p.descriptions.get("en").cloned().unwrap_or_default(),
                zh_cn: p.descriptions.get("zh-CN").cloned().unwrap_or_default(),
            }),
            icon: parts.as_ref().is_some_and(|p| p.icon.is_some()),
            screenshots: parts.as_ref().map_or(0, |p| p.screenshots.len() as u32),
            trust: self.trust_of_row(row),
            source: row.source.clone(),
            installed_version: installed,
            upgrade,
        })
    }

    /// The parts of a package that came as a file (none for bundled and legacy uploads).
    async fn package_parts(&self, row: &PackageRow) -> Result<Option<Package>> {
        let Some(file) = ps::package_file(&self.store.read, &row.sha256).await? else {
            return Ok(None);
        };
        let (package, _) = tokio::task::spawn_blocking(move || Package::read(&file))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("a stored package: {e}")))?;
        Ok(Some(package))
    }

    /// A package's icon (`None`) or its screenshot number `n` (from 1), as PNG.
    pub async fn package_image(
        &self,
        auth: &Auth,
        org_id: &str,
        sha: &str,
        screenshot: Option<usize>,
    ) -> Result<Vec<u8>> {
        let org = self.require_admin(auth, org_id)?;
        let row = self.staged(&org, sha).await?;
        let parts = self.package_parts(&row).await?;
        let image = parts.and_then(|p| match screenshot {
            None => p.icon,
            Some(n) => n
                .checked_sub(1)
                .and_then(|i| p.screenshots.into_iter().nth(i)),
        });
        image.ok_or(AppError::NotFound("image"))
    }

    async fn installed_version(&self, org: &OrgId, plugin: &str) -> Result<Option<String>> {
        let Ok(install) = ps::install(&self.store.read, org.as_str(), plugin).await else {
            return Ok(None);
        };
        Ok(Some(
            ps::package(&self.store.read, &install.package_sha)
                .await?
                .version,
        ))
    }

    /// Every version the configured catalogs offer, with what installing it would mean
    /// here. A catalog that cannot be read is logged and left out.
    pub async fn plugin_catalogs(&self, auth: &Auth, org_id: &str) -> Result<Vec<CatalogItemView>> {
        let org = self.require_admin(auth, org_id)?;
        let mut items = Vec::new();
        let mut installed: HashMap<String, Option<String>> = HashMap::new();
        for source in &self.config.plugin_catalogs {
            let index = match self.catalog_index(source).await {
                Ok(index) => index,
                Err(e) => {
                    tracing::warn!(catalog = %source, error = %e, "a plugin catalog could not be read");
                    continue;
                }
            };
            for entry in &index.packages {
                let current = match installed.get(&entry.id) {
                    Some(v) => v.clone(),
                    None => {
                        let v = self.installed_version(&org, &entry.id).await?;
                        installed.insert(entry.id.clone(), v.clone());
                        v
                    }
                };
                let compatible = SUPPORTED_WIT.contains(&entry.wit.as_str());
                let upgrade =
                    compatible && current.as_deref().is_some_and(|v| newer(&entry.version, v));
                items.push(CatalogItemView {
                    source: source.clone(),
                    catalog_name: index.name.clone(),
                    id: entry.id.clone(),
                    version: entry.version.clone(),
                    wit: entry.wit.clone(),
                    name: LocalizedText {
                        en: entry.name.en.clone(),
                        zh_cn: entry.name.zh_cn.clone(),
                    },
                    summary: entry.summary.as_ref().map(|s| LocalizedText {
                        en: s.en.clone(),
                        zh_cn: s.zh_cn.clone(),
                    }),
                    capabilities: entry.capabilities.clone(),
                    icon_base64: entry
                        .icon_base64
                        .clone()
                        .filter(|i| i.len() <= MAX_CATALOG_ICON_BYTES * 4 / 3 + 4),
                    trust: self.trust_of(entry.key.as_deref(), entry.publisher.as_deref()),
                    size: entry.size,
                    compatible,
                    incompatible: (!compatible).then(|| {
                        let (en, zh) = incompatible_text(&entry.id, &entry.version, &entry.wit);
                        LocalizedText { en, zh_cn: zh }
                    }),
                    installed_version: current,
                    upgrade,
                });
            }
        }
        items.sort_by(|a, b| {
            a.id.cmp(&b.id)
                .then_with(|| version_order(&b.version, &a.version))
        });
        Ok(items)
    }

    /// Downloads a catalog's package, checks it against the index and its signature, and
    /// stages it.
    pub async fn stage_from_catalog(
        &self,
        auth: &Auth,
        org_id: &str,
        input: StageFromCatalog,
    ) -> Result<StagedPackageView> {
        let org = self.require_admin(auth, org_id)?;
        if !self.config.plugin_catalogs.contains(&input.source) {
            return Err(AppError::NotFound("catalog"));
        }
        let index = self.catalog_index(&input.source).await.map_err(|e| {
            AppError::said(
                Refusal::Unavailable,
                "catalog_unavailable",
                format!("the catalog could not be read: {e}"),
                format!("无法读取插件目录：{e}"),
            )
        })?;
        let entry = index
            .packages
            .iter()
            .find(|e| e.id == input.plugin_id && e.version == input.version)
            .ok_or(AppError::NotFound("plugin version"))?;
        if !SUPPORTED_WIT.contains(&entry.wit.as_str()) {
            return Err(incompatible(&entry.id, &entry.version, &entry.wit));
        }
        let bytes = self
            .catalog_file(&input.source, &entry.file, MAX_PACKAGE_BYTES)
            .await
            .map_err(|e| {
                AppError::said(
                    Refusal::Unavailable,
                    "catalog_unavailable",
                    format!("the package could not be downloaded: {e}"),
                    format!("无法下载插件包：{e}"),
                )
            })?;
        if sha256_hex(&bytes) != entry.sha256.to_ascii_lowercase() {
            return Err(AppError::said(
                Refusal::Invalid,
                "catalog_mismatch",
                "the downloaded package is not the one the catalog lists (its SHA-256 differs)",
                "下载的插件包与目录所列不符（SHA-256 不同）",
            ));
        }
        let row = self.store_package_file(&bytes, &input.source, None).await?;
        if row.plugin_id != entry.id || row.version != entry.version {
            return Err(AppError::said(
                Refusal::Invalid,
                "catalog_mismatch",
                format!(
                    "the catalog lists {} {}, but the package is {} {}",
                    entry.id, entry.version, row.plugin_id, row.version
                ),
                format!(
                    "目录所列为 {} {}，插件包实为 {} {}",
                    entry.id, entry.version, row.plugin_id, row.version
                ),
            ));
        }
        self.staged_view(&org, &row).await
    }

    async fn catalog_index(&self, source: &str) -> anyhow::Result<Arc<CatalogIndex>> {
        if let Some((at, index)) = self.plugins.catalogs.indexes.lock().get(source)
            && at.elapsed() < CATALOG_TTL
        {
            return Ok(index.clone());
        }
        let bytes = self
            .catalog_file(source, "index.json", MAX_INDEX_BYTES)
            .await?;
        let index: CatalogIndex =
            serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("index.json: {e}"))?;
        if index.format != CATALOG_FORMAT {
            anyhow::bail!("index.json: unknown format `{}`", index.format);
        }
        if let Some(bad) = index.packages.iter().find(|e| !safe_relative_path(&e.file)) {
            anyhow::bail!(
                "index.json: `{}` is not a file inside the catalog",
                bad.file
            );
        }
        let index = Arc::new(index);
        self.plugins
            .catalogs
            .indexes
            .lock()
            .insert(source.to_owned(), (Instant::now(), index.clone()));
        Ok(index)
    }

    /// A file of a catalog: over HTTP(S) for a URL, from disk for a directory.
    async fn catalog_file(
        &self,
        source: &str,
        path: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(safe_relative_path(path), "`{path}` is not a catalog file");
        if source.starts_with("http://") || source.starts_with("https://") {
            let base = if source.ends_with('/') {
                source.to_owned()
            } else {
                format!("{source}/")
            };
            let url = url::Url::parse(&base)?.join(path)?;
            let mut response = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?
                .get(url)
                .send()
                .await?
                .error_for_status()?;
            let mut out = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                out.extend_from_slice(&chunk);
                anyhow::ensure!(out.len() <= limit, "`{path}` is larger than {limit} bytes");
            }
            Ok(out)
        } else {
            let file = std::path::Path::new(source).join(path);
            let meta = tokio::fs::metadata(&file).await?;
            anyhow::ensure!(
                meta.len() <= limit as u64,
                "`{path}` is larger than {limit} bytes"
            );
            Ok(tokio::fs::read(&file).await?)
        }
    }
}

/// Semantic-version order, falling back to text for versions that are not semver.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

fn newer(candidate: &str, installed: &str) -> bool {
    version_order(candidate, installed) == std::cmp::Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_paths_stay_inside_the_catalog() {
        for ok in ["polls-1.0.0.cyplugin", "packages/polls/1.0.0.cyplugin"] {
            assert!(safe_relative_path(ok), "{ok}");
        }
        for bad in [
            "",
            "../secret",
            "a/../../b",
            "/etc/passwd",
            "a//b",
            "./a",
            "a\\b",
            "c:x",
            "a b",
            "%2e%2e",
        ] {
            assert!(!safe_relative_path(bad), "{bad}");
        }
    }

    #[test]
    fn versions_compare_as_semver() {
        assert!(newer("1.10.0", "1.9.0"));
        assert!(!newer("1.0.0", "1.0.0"));
        assert!(!newer("1.0.0-beta.1", "1.0.0"));
        assert!(newer("2.0.0", "1.99.99"));
    }
}
