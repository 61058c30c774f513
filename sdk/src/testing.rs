//! The test harness: runs your compiled plugin inside a real, in-process Courtyard host (a
//! temporary SQLite database, production limits), with people, groups and messages you set
//! up in the test.
//!
//! ```ignore
//! #[tokio::test]
//! async fn rolls() {
//!     let h = courtyard_sdk::testing::Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap();
//!     let alice = h.person("Alice").await.unwrap();
//!     let group = h.group(&alice, "Games", &[], serde_json::json!({})).await.unwrap();
//!     let reply = h.command(&alice, &group, "/roll 20").await.unwrap();
//!     assert!(reply.message.unwrap().card.is_some());
//! }
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use courtyard_host::app::auth::Auth;
use courtyard_host::app::groups::{AddMember, CreateGroup};
use courtyard_host::app::messages::PostMessage;
use courtyard_host::app::people::CreatePerson;
use courtyard_host::app::plugins::{
    EnablePlugin, InstallPlugin, PluginReply, RunAction, RunCommand, UploadedPackage,
};
use courtyard_host::app::views::MessageView;
use courtyard_host::{App, Config};

pub use courtyard_host::app::AppError;

const PASSWORD: &str = "harness password 1234";

/// A person in the harness organization, signed in.
#[derive(Clone)]
pub struct TestPerson {
    pub id: String,
    pub name: String,
    auth: Auth,
}

/// A group in the harness organization with the plugin enabled.
#[derive(Clone, Debug)]
pub struct TestGroup {
    pub id: String,
}

pub struct Harness {
    pub app: App,
    pub org_id: String,
    pub plugin_id: String,
    admin: Auth,
    dir: PathBuf,
    people: std::sync::atomic::AtomicU32,
}

/// Builds the plugin crate at `crate_dir` for wasm32-wasip2 (release) and returns the
/// component's path and the manifest text.
pub fn build_plugin(crate_dir: impl AsRef<Path>) -> anyhow::Result<(PathBuf, String)> {
    courtyard_host::plugin_tools::build_plugin(crate_dir.as_ref())
}

fn failed(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

impl Harness {
    /// Builds the plugin at `crate_dir`, starts a host, creates an organization and installs
    /// the plugin there with every capability it asks for.
    pub async fn start(crate_dir: impl AsRef<Path>) -> anyhow::Result<Harness> {
        let (wasm_path, manifest) = build_plugin(crate_dir)?;
        let wasm = std::fs::read(&wasm_path)
            .with_context(|| format!("reading {}", wasm_path.display()))?;
        Self::with_component(&manifest, &wasm).await
    }

    /// Starts a host with an already built component.
    pub async fn with_component(manifest: &str, wasm: &[u8]) -> anyhow::Result<Harness> {
        let dir = std::env::temp_dir().join(format!(
            "courtyard-harness-{}-{}",
            std::process::id(),
            courtyard_domain_id()
        ));
        let config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let app = App::start(config).await?;
        app.bootstrap_admin(
            "admin@harness.example.com",
            PASSWORD,
            "Harness Admin",
            "Harness",
        )
        .await
        .map_err(failed)?;
        let session = app
            .login("admin@harness.example.com", PASSWORD, None)
            .await
            .map_err(failed)?;
        let admin = app.authenticate(&session.token).await.map_err(failed)?;
        let org_id = admin.person.org_id.clone();
        let installed = app
            .install_plugin(
                &admin,
                &org_id,
                InstallPlugin {
                    plugin_id: None,
                    package: Some(UploadedPackage {
                        manifest: manifest.to_owned(),
                        wasm_base64: base64::engine::general_purpose::STANDARD.encode(wasm),
                    }),
                    grants: None,
                    http_hosts: None,
                },
            )
            .await
            .map_err(failed)?;
        Ok(Harness {
            app,
            org_id,
            plugin_id: installed.package.id,
            admin,
            dir,
            people: Default::default(),
        })
    }

    /// A member of the harness organization (role `member`, or `guest` via [`Harness::guest`]).
    pub async fn person(&self, name: &str) -> anyhow::Result<TestPerson> {
        self.person_with_role(name, "member").await
    }

    pub async fn guest(&self, name: &str) -> anyhow::Result<TestPerson> {
        self.person_with_role(name, "guest").await
    }

    async fn person_with_role(&self, name: &str, role: &str) -> anyhow::Result<TestPerson> {
        let n = self
            .people
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let email = format!("person{n}@harness.example.com");
        let created = self
            .app
            .create_person(
                &self.admin,
                &self.org_id,
                CreatePerson {
                    email: email.clone(),
                    display_name: name.to_owned(),
                    password: Some(PASSWORD.to_owned()),
                    role: Some(role.to_owned()),
                    title: None,
                    department_id: None,
                    phone: None,
                    avatar_url: None,
                    company: None,
                },
            )
            .await
            .map_err(failed)?;
        let session = self
            .app
            .login(&email, PASSWORD, None)
            .await
            .map_err(failed)?;
        let auth = self
            .app
            .authenticate(&session.token)
            .await
            .map_err(failed)?;
        Ok(TestPerson {
            id: created.id,
            name: name.to_owned(),
            auth,
        })
    }

    /// A team owned by `owner` with `members`, and the plugin enabled with `settings`.
    pub async fn group(
        &self,
        owner: &TestPerson,
        name: &str,
        members: &[&TestPerson],
        settings: serde_json::Value,
    ) -> anyhow::Result<TestGroup> {
        let group = self
            .app
            .create_group(
                &owner.auth,
                CreateGroup {
                    kind: "team".into(),
                    name: name.into(),
                    description: None,
                    org_id: None,
                    parent_id: None,
                    head_id: None,
                    member_ids: vec![],
                },
            )
            .await
            .map_err(failed)?;
        for m in members {
            self.app
                .add_member(
                    &owner.auth,
                    &group.id,
                    AddMember {
                        person_id: m.id.clone(),
                        role: None,
                    },
                )
                .await
                .map_err(failed)?;
        }
        self.app
            .enable_plugin(
                &owner.auth,
                &group.id,
                &self.plugin_id,
                EnablePlugin {
                    settings: Some(settings),
                    hook_failure: None,
                    hook_deadline_ms: None,
                },
            )
            .await
            .map_err(failed)?;
        Ok(TestGroup { id: group.id })
    }

    /// Runs a slash command as `person` in `group`.
    pub async fn command(
        &self,
        person: &TestPerson,
        group: &TestGroup,
        text: &str,
    ) -> Result<PluginReply, AppError> {
        self.app
            .run_command(
                &person.auth,
                &group.id,
                RunCommand {
                    text: text.to_owned(),
                },
            )
            .await
    }

    /// Presses a button on a card.
    pub async fn press(
        &self,
        person: &TestPerson,
        message_id: &str,
        action_id: &str,
        value: &str,
    ) -> Result<PluginReply, AppError> {
        self.app
            .run_action(
                &person.auth,
                message_id,
                RunAction {
                    action_id: action_id.to_owned(),
                    value: value.to_owned(),
                },
            )
            .await
    }

    /// Posts a message (before-message hooks run).
    pub async fn post(
        &self,
        person: &TestPerson,
        group: &TestGroup,
        body: &str,
    ) -> Result<MessageView, AppError> {
        let input = PostMessage {
            body: body.to_owned(),
            client_txn_id: courtyard_domain_id(),
            thread_root_id: None,
            kind: None,
            anonymous: false,
            burn_after_secs: None,
        };
        self.app
            .post_message(&person.auth, &group.id, input)
            .await
            .map(|p| p.message)
    }

    /// The group's messages, newest first, as `person` sees them.
    pub async fn messages(
        &self,
        person: &TestPerson,
        group: &TestGroup,
    ) -> Result<Vec<MessageView>, AppError> {
        self.app
            .history(&person.auth, &group.id, None, None, Some(200))
            .await
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn courtyard_domain_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}-{}", N.fetch_add(1, Ordering::Relaxed))
}
