//! Tools for plugin authors, shared by the `courtyard plugin …` commands and the SDK's test
//! harness: build a plugin crate for wasm32-wasip2, pack it, scaffold a new one.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A plugin package file (`.cyplugin`): the manifest and the component. Its JSON is exactly
/// the `package` object of `POST /api/v1/orgs/{org}/plugins`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PackageFile {
    pub manifest: String,
    pub wasm_base64: String,
}

/// Builds the plugin crate at `dir` for wasm32-wasip2 (release). Returns the component's
/// path and the manifest text.
pub fn build_plugin(dir: &Path) -> anyhow::Result<(PathBuf, String)> {
    let manifest = std::fs::read_to_string(dir.join("courtyard.toml"))
        .with_context(|| format!("reading {}/courtyard.toml", dir.display()))?;
    courtyard_runtime::manifest::Manifest::parse(&manifest).context("checking courtyard.toml")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let meta = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(dir)
        .output()
        .context("running cargo metadata")?;
    if !meta.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&meta.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout)?;
    let own = dir.join("Cargo.toml").canonicalize()?;
    let package = meta["packages"]
        .as_array()
        .and_then(|ps| {
            ps.iter().find(|p| {
                p["manifest_path"]
                    .as_str()
                    .and_then(|m| Path::new(m).canonicalize().ok())
                    .as_ref()
                    == Some(&own)
            })
        })
        .and_then(|p| p["name"].as_str())
        .context("finding the plugin's package in cargo metadata")?
        .to_owned();
    let target = PathBuf::from(
        meta["target_directory"]
            .as_str()
            .context("target directory")?,
    );
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            &package,
        ])
        .current_dir(dir)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!(
            "building {package} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)"
        );
    }
    let wasm = target
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", package.replace('-', "_")));
    Ok((wasm, manifest))
}

/// Builds and packs the plugin at `dir`.
pub fn pack(dir: &Path) -> anyhow::Result<PackageFile> {
    let (wasm, manifest) = build_plugin(dir)?;
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    Ok(PackageFile {
        manifest,
        wasm_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// Writes a new plugin crate from the template.
pub fn scaffold(dir: &Path, id: &str) -> anyhow::Result<()> {
    let valid = id.len() <= 40
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!("a plugin id is lowercase letters, digits and dashes, starting with a letter");
    }
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} exists and is not empty", dir.display());
    }
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sdk")
        .canonicalize()
        .context("locating the SDK")?;
    let files = [
        ("Cargo.toml", TEMPLATE_CARGO),
        ("courtyard.toml", TEMPLATE_MANIFEST),
        ("src/lib.rs", TEMPLATE_LIB),
        ("tests/plugin.rs", TEMPLATE_TEST),
        ("description.en.md", TEMPLATE_DESCRIPTION_EN),
        ("description.zh-CN.md", TEMPLATE_DESCRIPTION_ZH),
        (".gitignore", "/target\n"),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("files have a parent"))?;
        let text = text
            .replace("{{id}}", id)
            .replace("{{sdk}}", &sdk.display().to_string());
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

const TEMPLATE_CARGO: &str = r#"[package]
name = "{{id}}"
version = "0.1.0"
edition = "2024"

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
courtyard-sdk = { path = "{{sdk}}" }

[dev-dependencies]
tokio = { version = "1", features = ["full"] }
serde_json = "1"

[workspace]
"#;

const TEMPLATE_MANIFEST: &str = r#"id = "{{id}}"
version = "0.1.0"
wit = "0.3.0"
capabilities = []

[name]
en = "{{id}}"
zh-CN = "{{id}}"

[[commands]]
name = "{{id}}"
usage = "[name]"
description = { en = "Say hello", zh-CN = "打个招呼" }
"#;

const TEMPLATE_DESCRIPTION_EN: &str = "## {{id}}\n\nSays hello: `/{{id}} name`.\n\nWhat admins read before installing: what it does, the commands, and why it asks for each capability.\n";

const TEMPLATE_DESCRIPTION_ZH: &str = "## {{id}}\n\n打个招呼：`/{{id}} 名字`。\n\n管理员安装前会阅读这里：插件做什么、有哪些命令、为什么需要每项权限。\n";

const TEMPLATE_LIB: &str = r#"//! The {{id}} plugin.

use courtyard_sdk::prelude::*;

pub struct Hello;

impl Plugin for Hello {
    fn command(ctx: &Context, _command: &str, args: &Args) -> Result<Reply> {
        let name = args.get(0).unwrap_or(ctx.actor_name());
        Ok(Reply::message(format!("Hello, {name}! / 你好，{name}！")))
    }
}

courtyard_sdk::plugin!(Hello);
"#;

const TEMPLATE_TEST: &str = r#"use courtyard_sdk::testing::Harness;

#[tokio::test(flavor = "multi_thread")]
async fn says_hello() {
    let h = Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap();
    let alice = h.person("Alice").await.unwrap();
    let group = h.group(&alice, "Team", &[], serde_json::json!({})).await.unwrap();
    let reply = h.command(&alice, &group, "/{{id}} 世界").await.unwrap();
    assert_eq!(reply.message.unwrap().body, "Hello, 世界! / 你好，世界！");
}
"#;
