//! Publishing plugins: a publisher key, a package built from a plugin crate, its
//! signature, and a catalog directory any web server can serve. Behind the
//! `courtyard plugin keygen|pack|sign|verify|catalog` commands.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::app::plugins::distribution::{CatalogEntry, CatalogIndex, safe_relative_path};
use crate::package::{self, DESCRIPTIONS, Package, Signer};

/// What a catalog lists of a manifest.
#[derive(serde::Deserialize)]
struct ManifestHead {
    id: String,
    version: String,
    wit: String,
    name: courtyard_runtime::manifest::Localized,
    #[serde(default)]
    description: Option<courtyard_runtime::manifest::Localized>,
    #[serde(default)]
    capabilities: Vec<String>,
}

/// Creates a publisher key at `out` (readable by its owner only); returns the public key
/// to give to the deployments that should trust it.
pub fn keygen(out: &Path) -> anyhow::Result<String> {
    if out.exists() {
        bail!(
            "{} exists: a publisher key is not overwritten (it would orphan everything signed with it)",
            out.display()
        );
    }
    let key = package::generate_secret();
    write_private(out, package::format_secret(&key).as_bytes())?;
    Ok(package::format_key(&key.verifying_key()))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// A package from a plugin crate's component and the files beside its `courtyard.toml`:
/// `description.en.md` and `description.zh-CN.md` (required), `icon.png` and
/// `screenshots/*.png` (optional, in name order).
pub fn package_from_dir(
    dir: &Path,
    manifest: String,
    component: Vec<u8>,
) -> anyhow::Result<Package> {
    let mut package = Package {
        manifest,
        component,
        ..Package::default()
    };
    for (locale, file) in DESCRIPTIONS {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {}: a package describes the plugin in English and Chinese (description.en.md, description.zh-CN.md beside courtyard.toml) — admins read it before installing",
                path.display()
            )
        })?;
        package.descriptions.insert(locale.to_owned(), text);
    }
    let icon = dir.join(package::ICON);
    if icon.is_file() {
        package.icon = Some(std::fs::read(&icon)?);
    }
    let shots = dir.join("screenshots");
    if shots.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&shots)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        for file in files {
            package.screenshots.push(std::fs::read(&file)?);
        }
    }
    // Written and read back, so every limit is checked before the file leaves.
    let (checked, _) = Package::read(&package.write()).context("checking the package")?;
    Ok(checked)
}

/// Signs a package file in place as `publisher` with the key in `key_file`.
pub fn sign(file: &Path, key_file: &Path, publisher: &str) -> anyhow::Result<String> {
    let key = package::parse_secret(
        &std::fs::read_to_string(key_file)
            .with_context(|| format!("reading {}", key_file.display()))?,
    )?;
    let (mut package, _) = read(file)?;
    package.sign(publisher.trim(), &key)?;
    std::fs::write(file, package.write()).with_context(|| format!("writing {}", file.display()))?;
    Ok(package::format_key(&key.verifying_key()))
}

/// Reads and checks a package file (a broken signature is an error).
pub fn read(file: &Path) -> anyhow::Result<(Package, Signer)> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Package::read(&bytes).with_context(|| format!("{} is not a valid package", file.display()))
}

/// Adds a package file to the catalog in `dir` (created if missing): copies it there as
/// `<id>-<version>.cyplugin` and lists it in `index.json`, replacing an earlier entry of
/// the same version. Unsigned packages are refused unless `allow_unsigned`.
pub fn catalog_add(
    dir: &Path,
    file: &Path,
    catalog_name: Option<&str>,
    allow_unsigned: bool,
) -> anyhow::Result<CatalogEntry> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let (package, signer) = Package::read(&bytes)
        .with_context(|| format!("{} is not a valid package", file.display()))?;
    let (publisher, key) = match signer {
        Signer::Signed { publisher, key } => (Some(publisher), Some(key)),
        Signer::Unsigned if allow_unsigned => (None, None),
        Signer::Unsigned => bail!(
            "{} is not signed: sign it first (`courtyard plugin sign`), or pass --allow-unsigned",
            file.display()
        ),
    };
    // Only the head of the manifest: a catalog may list plugins built for contracts newer
    // than this tool knows (hosts that run them will install them; others refuse).
    let manifest: ManifestHead =
        toml::from_str(&package.manifest).context("reading the manifest")?;
    let name = format!("{}-{}.cyplugin", manifest.id, manifest.version);
    if !safe_relative_path(&name) {
        bail!("`{name}` cannot be a file name in a catalog");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(&name), &bytes)?;
    let entry = CatalogEntry {
        id: manifest.id.clone(),
        version: manifest.version.clone(),
        wit: manifest.wit.clone(),
        name: manifest.name,
        summary: manifest.description,
        capabilities: manifest.capabilities,
        publisher,
        key,
        file: name,
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: bytes.len() as u64,
        icon_base64: package
            .icon
            .as_ref()
            .filter(|icon| icon.len() <= 64 << 10)
            .map(|icon| base64::engine::general_purpose::STANDARD.encode(icon)),
    };
    let index_path = dir.join("index.json");
    let mut index = if index_path.is_file() {
        serde_json::from_slice::<CatalogIndex>(&std::fs::read(&index_path)?)
            .with_context(|| format!("reading {}", index_path.display()))?
    } else {
        CatalogIndex::new(None)
    };
    if let Some(name) = catalog_name {
        index.name = Some(name.to_owned());
    }
    index
        .packages
        .retain(|e| !(e.id == entry.id && e.version == entry.version));
    index.packages.push(entry.clone());
    index
        .packages
        .sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.version.cmp(&b.version)));
    // Written whole and renamed, so a web server never serves half an index.
    let tmp = dir.join(".index.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&index)?)?;
    std::fs::rename(&tmp, &index_path)?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_never_overwritten_and_is_private() {
        let dir = std::env::temp_dir().join(format!(
            "cy-keygen-{}-{}",
            std::process::id(),
            crate::store::now_millis()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("publisher.key");
        let public = keygen(&key).unwrap();
        assert!(package::parse_key(&public).is_ok());
        assert!(keygen(&key).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "group and others cannot read it");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
