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
use courtyard_host::app::orgs::CreateOrg;
use courtyard_host::app::people::CreatePerson;
use courtyard_host::app::people::UpdatePerson;
use courtyard_host::app::plugins::surfaces::{
    IssuedForm, PageView, SubmitCardForm, SubmitIssuedForm,
};
use courtyard_host::app::plugins::{
    EnablePlugin, InstallPlugin, RunAction, RunCommand, UploadedPackage,
};
use courtyard_host::{App, Config};

pub use courtyard_host::app::AppError;
pub use courtyard_host::app::plugins::PluginReply;
pub use courtyard_host::app::views::MessageView;
pub use courtyard_runtime::api::{HttpRequest, HttpResponse};

const PASSWORD: &str = "harness password 1234";

/// A person in the harness organization, signed in.
#[derive(Clone)]
pub struct TestPerson {
    pub id: String,
    pub name: String,
    auth: Auth,
}

impl TestPerson {
    /// The person's session, to call the host's [`App`] directly for what the harness does
    /// not wrap.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }
}

/// A group in the harness organization with the plugin enabled.
#[derive(Clone, Debug)]
pub struct TestGroup {
    pub id: String,
}

pub struct Harness {
    pub app: App,
    pub org_id: String,
    /// The plugin the harness started with ([`Harness::install`] adds more).
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
            // Timers fire when the test says so ([`Harness::advance`]), never behind its back.
            plugin_timer_poll_ms: 24 * 3_600_000,
            // A plugin's tests post as fast as they like.
            posts_per_minute: 0,
            // Compiled plugins are shared by every harness on the machine: each test would
            // otherwise compile the same components again.
            plugin_cache_dir: Some(std::env::temp_dir().join("courtyard-harness-plugin-cache")),
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
        let plugin_id = install(&app, &admin, &org_id, manifest, wasm).await?;
        Ok(Harness {
            app,
            org_id,
            plugin_id,
            admin,
            dir,
            people: Default::default(),
        })
    }

    /// The organization's data export, as an organization admin downloads it: each file of
    /// the archive (`people.jsonl`, `plugin_records.jsonl`, `plugin_kv.jsonl`, …) by name.
    /// What a plugin keeps private — an anonymous vote, a sealed secret — must not show
    /// up here.
    pub async fn export(&self) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        use std::io::Read;
        let mut archive = self
            .app
            .export_org(&self.admin, &self.org_id)
            .await
            .map_err(failed)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = archive.chunks.recv().await {
            bytes.extend_from_slice(&chunk?);
        }
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
        let mut files = std::collections::BTreeMap::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i)?;
            let name = entry.name()?.into_owned();
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            files.insert(name, text);
        }
        Ok(files)
    }

    /// Builds and installs another plugin (e.g. one yours calls through `interop`), with
    /// every capability it asks for; returns its id.
    pub async fn install(&self, crate_dir: impl AsRef<Path>) -> anyhow::Result<String> {
        let (wasm_path, manifest) = build_plugin(crate_dir)?;
        let wasm = std::fs::read(&wasm_path)
            .with_context(|| format!("reading {}", wasm_path.display()))?;
        install(&self.app, &self.admin, &self.org_id, &manifest, &wasm).await
    }

    /// The organization's admin, who set the harness up.
    pub fn admin(&self) -> TestPerson {
        TestPerson {
            id: self.admin.person.id.clone(),
            name: self.admin.person.display_name.clone(),
            auth: self.admin.clone(),
        }
    }

    /// A member of the harness organization (role `member`, or `guest` via [`Harness::guest`]).
    pub async fn person(&self, name: &str) -> anyhow::Result<TestPerson> {
        self.person_with_role(name, "member").await
    }

    pub async fn guest(&self, name: &str) -> anyhow::Result<TestPerson> {
        self.person_with_role(name, "guest").await
    }

    async fn person_with_role(&self, name: &str, role: &str) -> anyhow::Result<TestPerson> {
        self.person_in(&self.org_id.clone(), name, role).await
    }

    async fn person_in(&self, org_id: &str, name: &str, role: &str) -> anyhow::Result<TestPerson> {
        let n = self
            .people
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let email = format!("person{n}@harness.example.com");
        let created = self
            .app
            .create_person(
                &self.admin,
                org_id,
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
        let group = self.team(owner, name, members).await?;
        self.enable(owner, &group, &self.plugin_id, settings)
            .await?;
        Ok(group)
    }

    /// A team owned by `owner` with `members`, no plugin enabled yet.
    pub async fn team(
        &self,
        owner: &TestPerson,
        name: &str,
        members: &[&TestPerson],
    ) -> anyhow::Result<TestGroup> {
        self.create_group(owner, "team", name, None, None, members)
            .await
    }

    /// A department headed by `head` (under `parent`), whose `members` (and head) belong to
    /// it in the directory: what `people.managers` walks.
    pub async fn department(
        &self,
        name: &str,
        head: Option<&TestPerson>,
        parent: Option<&TestGroup>,
        members: &[&TestPerson],
    ) -> anyhow::Result<TestGroup> {
        let admin = self.admin();
        let group = self
            .create_group(&admin, "department", name, head, parent, members)
            .await?;
        for person in members.iter().copied().chain(head) {
            self.app
                .update_person(
                    &self.admin,
                    &person.id,
                    UpdatePerson {
                        display_name: None,
                        title: None,
                        phone: None,
                        avatar_url: None,
                        company: None,
                        department_id: Some(Some(group.id.clone())),
                        role: None,
                        status: None,
                    },
                )
                .await
                .map_err(failed)?;
        }
        Ok(group)
    }

    async fn create_group(
        &self,
        owner: &TestPerson,
        kind: &str,
        name: &str,
        head: Option<&TestPerson>,
        parent: Option<&TestGroup>,
        members: &[&TestPerson],
    ) -> anyhow::Result<TestGroup> {
        let group = self
            .app
            .create_group(
                &owner.auth,
                CreateGroup {
                    kind: kind.into(),
                    name: name.into(),
                    description: None,
                    org_id: None,
                    parent_id: parent.map(|p| p.id.clone()),
                    head_id: head.map(|h| h.id.clone()),
                    member_ids: vec![],
                },
            )
            .await
            .map_err(failed)?;
        for m in members.iter().chain(head.as_ref()) {
            if m.id == owner.id {
                continue;
            }
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
        Ok(TestGroup { id: group.id })
    }

    /// Enables an installed plugin in a group, as `owner` (a group or organization admin).
    pub async fn enable(
        &self,
        owner: &TestPerson,
        group: &TestGroup,
        plugin: &str,
        settings: serde_json::Value,
    ) -> anyhow::Result<()> {
        self.app
            .enable_plugin(
                &owner.auth,
                &group.id,
                plugin,
                EnablePlugin {
                    settings: Some(settings),
                    hook_failure: None,
                    hook_deadline_ms: None,
                },
            )
            .await
            .map_err(failed)?;
        Ok(())
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

    /// Submits a form a command, an action or a page handed out, as the browser would.
    pub async fn submit(
        &self,
        person: &TestPerson,
        form: &IssuedForm,
        values: serde_json::Value,
    ) -> Result<PluginReply, AppError> {
        self.app
            .submit_issued_form(
                &person.auth,
                SubmitIssuedForm {
                    token: form.token.clone(),
                    form: form.form.clone(),
                    values,
                },
            )
            .await
    }

    /// Submits the form `form_id` on a card.
    pub async fn submit_on_card(
        &self,
        person: &TestPerson,
        message_id: &str,
        form_id: &str,
        values: serde_json::Value,
    ) -> Result<PluginReply, AppError> {
        self.app
            .submit_card_form(
                &person.auth,
                message_id,
                SubmitCardForm {
                    form_id: form_id.to_owned(),
                    values,
                },
            )
            .await
    }

    /// Opens a page of `plugin` in `group` (`query` without the `?`).
    pub async fn page(
        &self,
        person: &TestPerson,
        group: &TestGroup,
        plugin: &str,
        page: &str,
        query: &str,
    ) -> Result<PageView, AppError> {
        self.app
            .plugin_page(&person.auth, &group.id, plugin, page, query)
            .await
    }

    /// Calls one of `plugin`'s session routes as `person`: `path_and_query` is what follows
    /// `/api/v1/plugins/{plugin}/`, e.g. `templates/expense` or `calendar?group_id=…`.
    pub async fn http(
        &self,
        person: &TestPerson,
        plugin: &str,
        method: &str,
        path_and_query: &str,
        body: Option<serde_json::Value>,
    ) -> Result<HttpResponse, AppError> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let headers = if body.is_empty() {
            Vec::new()
        } else {
            vec![("content-type".to_owned(), "application/json".to_owned())]
        };
        self.app
            .plugin_route(
                Some(&person.auth),
                None,
                plugin,
                HttpRequest {
                    method: method.to_ascii_uppercase(),
                    url: path.to_owned(),
                    query: query.to_owned(),
                    headers,
                    body,
                    timeout_ms: 0,
                },
            )
            .await
    }

    /// The cards `plugin` sent `person` (`messages.send-card`), newest first.
    pub async fn inbox(
        &self,
        person: &TestPerson,
        plugin: &str,
    ) -> Result<Vec<MessageView>, AppError> {
        let direct = self
            .app
            .list_groups(&person.auth)
            .await?
            .into_iter()
            .find(|g| g.kind == "direct" && g.name == plugin);
        match direct {
            Some(g) => {
                self.app
                    .history(&person.auth, &g.id, None, None, Some(200))
                    .await
            }
            None => Ok(Vec::new()),
        }
    }

    /// Moves the time plugins see forward by `by` and fires every timer and schedule that
    /// came due; returns how many fired. Reminders due in hours happen at once.
    pub async fn advance(&self, by: std::time::Duration) -> anyhow::Result<usize> {
        self.app.plugin_clock.advance(by);
        let mut fired = 0;
        loop {
            let n = self.app.run_due_timers().await.map_err(failed)?;
            if n == 0 {
                return Ok(fired);
            }
            fired += n;
        }
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
            attachments: Vec::new(),
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

async fn install(
    app: &App,
    admin: &Auth,
    org_id: &str,
    manifest: &str,
    wasm: &[u8],
) -> anyhow::Result<String> {
    let installed = app
        .install_plugin(
            admin,
            org_id,
            InstallPlugin {
                plugin_id: None,
                package_sha256: None,
                package: Some(UploadedPackage {
                    manifest: manifest.to_owned(),
                    wasm_base64: base64::engine::general_purpose::STANDARD.encode(wasm),
                }),
                // The plugin under test is built here, unsigned.
                allow_untrusted: true,
                grants: None,
                http_hosts: None,
            },
        )
        .await
        .map_err(failed)?;
    Ok(installed.package.id)
}

/// A file a person uploaded, as the API answers `POST /api/v1/files`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TestFile {
    pub id: String,
    /// The cleaned display name.
    pub name: String,
    /// Detected from the content, not from the name.
    pub content_type: String,
    pub size: u64,
}

impl From<courtyard_host::app::files::FileView> for TestFile {
    fn from(view: courtyard_host::app::files::FileView) -> Self {
        TestFile {
            id: view.id,
            name: view.name,
            content_type: view.content_type,
            size: view.size.max(0) as u64,
        }
    }
}

impl Harness {
    /// Uploads a file as `person`, as `POST /api/v1/files?name=<name>` with the bytes as the
    /// body does. Its id is what a `file` form field submits.
    pub async fn upload(
        &self,
        person: &TestPerson,
        name: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<TestFile, AppError> {
        let bytes = bytes::Bytes::from(bytes.into());
        let size = bytes.len() as u64;
        let body = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        self.app
            .upload_file(&person.auth, name, Some(size), body)
            .await
            .map(TestFile::from)
    }

    /// The file `id` as `person` sees it: "not found" unless they uploaded it or it was
    /// shared with them (for example by the plugin, with `files::share`).
    pub async fn file(&self, person: &TestPerson, id: &str) -> Result<TestFile, AppError> {
        self.app
            .file_info(&person.auth, id)
            .await
            .map(TestFile::from)
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

/// A partner organization (a supplier, a carrier, a dealer) on the same host, with its admin.
#[derive(Clone)]
pub struct TestOrg {
    pub id: String,
    pub name: String,
    pub admin: TestPerson,
}

impl Harness {
    /// Another organization on the host, with an organization admin of its own.
    pub async fn partner_org(&self, name: &str) -> anyhow::Result<TestOrg> {
        let org = self
            .app
            .create_org(
                &self.admin,
                CreateOrg {
                    name: name.to_owned(),
                    slug: None,
                    read_receipts_enabled: None,
                    ..CreateOrg::default()
                },
            )
            .await
            .map_err(failed)?;
        let admin = self
            .person_in(&org.id, &format!("{name} Admin"), "org_admin")
            .await?;
        Ok(TestOrg {
            id: org.id,
            name: name.to_owned(),
            admin,
        })
    }

    /// A member of a partner organization.
    pub async fn partner_person(&self, org: &TestOrg, name: &str) -> anyhow::Result<TestPerson> {
        self.person_in(&org.id, name, "member").await
    }

    /// A shared group of the harness organization owned by `owner`: each partner
    /// organization is invited, accepts, and adds its people; `members` of the harness
    /// organization join; the plugin is enabled with `settings`.
    pub async fn shared_group(
        &self,
        owner: &TestPerson,
        name: &str,
        members: &[&TestPerson],
        partners: &[(&TestOrg, &[&TestPerson])],
        settings: serde_json::Value,
    ) -> anyhow::Result<TestGroup> {
        let group = self
            .create_group(owner, "shared", name, None, None, members)
            .await?;
        for (org, people) in partners {
            self.app
                .invite_partner(&self.admin, &group.id, &org.id)
                .await
                .map_err(failed)?;
            self.app
                .decide_partner(&org.admin.auth, &org.id, &group.id, true)
                .await
                .map_err(failed)?;
            for person in people.iter() {
                self.app
                    .add_member(
                        &org.admin.auth,
                        &group.id,
                        AddMember {
                            person_id: person.id.clone(),
                            role: None,
                        },
                    )
                    .await
                    .map_err(failed)?;
            }
        }
        self.enable(owner, &group, &self.plugin_id, settings)
            .await?;
        Ok(group)
    }
}
