//! A thin JSON client over the public HTTP API, and the setup a run needs: an organization,
//! people signed in, one or more team groups and, optionally, the hostile test plugin's
//! before-message hook enabled in it.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A tag for one run's names (organization, emails, message bodies): the time in
/// milliseconds, in hex.
pub fn run_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!("{ms:x}")
}

/// Password of every person the load generator creates (the server wants ≥ 10 characters).
const PASSWORD: &str = "loadgen password 0123";
/// Parallel requests during setup: people are hashed with argon2 on the server.
const SETUP_WIDTH: usize = 8;
/// Members named when the group is created; the rest are added one by one.
const FIRST_MEMBERS: usize = 1_000;

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// A response: its status and its body (JSON, or the raw text as a JSON string).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The error `code` of an error body, if any.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Api {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Answer { status, body })
    }

    /// A call that must answer `want`; anything else is an error naming the call.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let what = format!("{method} {path}");
        let answer = self
            .call(method, path, token, body)
            .await
            .with_context(|| what.clone())?;
        if answer.status != want {
            bail!(
                "{what}: expected {want}, got {}: {}",
                answer.status,
                answer.body
            );
        }
        Ok(answer.body)
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let body = self
            .expect(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&json!({"email": email, "password": password})),
                200,
            )
            .await
            .with_context(|| format!("signing in as {email}"))?;
        body["token"]
            .as_str()
            .map(str::to_owned)
            .context("login answer without a token")
    }
}

/// What setup made.
pub struct World {
    pub org: String,
    /// The first group (the only one unless several were asked for).
    pub group: String,
    /// The organization admin who owns the first group (person 0).
    pub owner: String,
    /// Session tokens of the first group's members, person 0 first.
    pub members: Vec<String>,
    /// Every group, the first included.
    pub groups: Vec<Team>,
}

/// One group setup made.
pub struct Team {
    pub id: String,
    /// Session tokens of its members; the first created the group.
    pub members: Vec<String>,
}

/// The platform admin a load generator signs in as (created by `courtyard admin
/// bootstrap`); every binary takes it the same way.
#[derive(Debug, clap::Args)]
pub struct Admin {
    /// The platform admin's email (created by `courtyard admin bootstrap`).
    #[arg(long = "admin-email", env = "LOADGEN_ADMIN_EMAIL")]
    pub email: String,
    #[arg(
        long = "admin-password",
        env = "LOADGEN_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub password: String,
}

pub struct SetupOptions<'a> {
    pub run_id: &'a str,
    pub admin: &'a Admin,
    pub people: usize,
    pub group_size: usize,
    /// Groups to create: group g's members are people g·size … g·size + size − 1 (modulo
    /// the people), created by the first of them.
    pub groups: usize,
}

impl<'a> SetupOptions<'a> {
    /// `people` people, all in one group.
    pub fn one_group(run_id: &'a str, admin: &'a Admin, people: usize) -> Self {
        SetupOptions {
            run_id,
            admin,
            people,
            group_size: people,
            groups: 1,
        }
    }
}

/// Runs `f(0..count)` with at most `width` in flight; results in index order.
pub async fn parallel<T, F, Fut>(count: usize, width: usize, f: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(width));
    let mut set = JoinSet::new();
    for i in 0..count {
        let permit = slots.clone().acquire_owned().await?;
        let fut = f(i);
        set.spawn(async move {
            let _permit = permit;
            (i, fut.await)
        });
    }
    let mut out = Vec::with_capacity(count);
    while let Some(joined) = set.join_next().await {
        let (i, value) = joined?;
        out.push((i, value?));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

/// Creates the organization, the people (signed in) and the groups.
pub async fn setup(api: &Api, o: &SetupOptions<'_>) -> anyhow::Result<World> {
    let admin = api
        .login(&o.admin.email, &o.admin.password)
        .await
        .context("signing in as the platform admin")?;
    let org = api
        .expect(
            Method::POST,
            "/api/v1/orgs",
            Some(&admin),
            Some(&json!({"name": format!("Loadgen {}", o.run_id)})),
            201,
        )
        .await?["id"]
        .as_str()
        .context("organization without id")?
        .to_owned();
    let people = parallel(o.people, SETUP_WIDTH, |i| {
        let (api, admin, org) = (api.clone(), admin.clone(), org.clone());
        let email = format!("p{i}-{}@loadgen.example.com", o.run_id);
        async move {
            let role = if i == 0 { "org_admin" } else { "member" };
            let person = api
                .expect(
                    Method::POST,
                    &format!("/api/v1/orgs/{org}/people"),
                    Some(&admin),
                    Some(&json!({
                        "email": email,
                        "display_name": format!("Poster {i}"),
                        "password": PASSWORD,
                        "role": role,
                    })),
                    201,
                )
                .await?;
            let id = person["id"]
                .as_str()
                .context("person without id")?
                .to_owned();
            let token = api.login(&email, PASSWORD).await?;
            Ok((id, token))
        }
    })
    .await?;
    let groups = parallel(o.groups, SETUP_WIDTH, |g| {
        let members: Vec<(String, String)> = (0..o.group_size)
            .map(|k| people[(g * o.group_size + k) % people.len()].clone())
            .collect();
        let (api, name) = (api.clone(), format!("Load {} {g}", o.run_id));
        async move { create_team(&api, &name, members).await }
    })
    .await?;
    let first = &groups[0];
    Ok(World {
        org,
        group: first.id.clone(),
        owner: first.members[0].clone(),
        members: first.members.clone(),
        groups,
    })
}

/// Creates a team as the first of `members` (id, token) with all of them in it.
async fn create_team(
    api: &Api,
    name: &str,
    members: Vec<(String, String)>,
) -> anyhow::Result<Team> {
    let owner = members[0].1.clone();
    // A request body is limited (64 KiB): the group starts with some of its members
    // and the rest are added one by one.
    let (first, rest) = members[1..].split_at((members.len() - 1).min(FIRST_MEMBERS));
    let member_ids: Vec<&str> = first.iter().map(|(id, _)| id.as_str()).collect();
    let group = api
        .expect(
            Method::POST,
            "/api/v1/groups",
            Some(&owner),
            Some(&json!({"kind": "team", "name": name, "member_ids": member_ids})),
            201,
        )
        .await?["id"]
        .as_str()
        .context("group without id")?
        .to_owned();
    let rest: Vec<String> = rest.iter().map(|(id, _)| id.clone()).collect();
    parallel(rest.len(), SETUP_WIDTH, |i| {
        let (api, owner, path) = (
            api.clone(),
            owner.clone(),
            format!("/api/v1/groups/{group}/members"),
        );
        let body = json!({"person_id": rest[i]});
        async move {
            api.expect(Method::POST, &path, Some(&owner), Some(&body), 200)
                .await
                .map(|_| ())
        }
    })
    .await?;
    Ok(Team {
        id: group,
        members: members.into_iter().map(|(_, t)| t).collect(),
    })
}

/// Uploads the hostile test plugin into the organization and enables it in the group with
/// `hook_failure: open`. Unless `keep_events`, the manifest's event subscriptions are
/// dropped, so a post pays exactly one sandboxed call: the before-message hook.
pub async fn install_hook(
    api: &Api,
    world: &World,
    wasm: &Path,
    manifest: &Path,
    keep_events: bool,
) -> anyhow::Result<()> {
    let wasm = std::fs::read(wasm).with_context(|| {
        format!(
            "reading {} (build it with `cargo xtask build-plugins`)",
            wasm.display()
        )
    })?;
    let mut manifest = std::fs::read_to_string(manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    if !keep_events {
        manifest = manifest
            .lines()
            .filter(|l| !l.trim_start().starts_with("events"))
            .map(|l| format!("{l}\n"))
            .collect();
    }
    install_package(api, world, &manifest, &wasm).await?;
    api.expect(
        Method::PUT,
        &format!("/api/v1/groups/{}/plugins/hostile", world.group),
        Some(&world.owner),
        Some(&json!({"hook_failure": "open"})),
        200,
    )
    .await?;
    Ok(())
}

/// Uploads a plugin built here (unsigned, so `allow_untrusted`) into the organization.
pub async fn install_package(
    api: &Api,
    world: &World,
    manifest: &str,
    wasm: &[u8],
) -> anyhow::Result<()> {
    let package = json!({"allow_untrusted": true, "package": {
        "manifest": manifest,
        "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm),
    }});
    api.expect(
        Method::POST,
        &format!("/api/v1/orgs/{}/plugins", world.org),
        Some(&world.owner),
        Some(&package),
        201,
    )
    .await?;
    Ok(())
}

/// Whether the hook runs: the hostile plugin rewrites `rewrite-me` to `rewritten`.
pub async fn hook_answers(api: &Api, world: &World, txn: &str) -> anyhow::Result<bool> {
    let message = api
        .expect(
            Method::POST,
            &format!("/api/v1/groups/{}/messages", world.group),
            Some(&world.owner),
            Some(&json!({"body": "hook check: rewrite-me", "client_txn_id": txn})),
            201,
        )
        .await?;
    Ok(message["body"].as_str() == Some("hook check: rewritten"))
}

/// The hook's state after a run: the enablement's health and the plugin's error log lines.
pub async fn hook_health(api: &Api, world: &World) -> anyhow::Result<Value> {
    let enabled = api
        .expect(
            Method::GET,
            &format!("/api/v1/groups/{}/plugins", world.group),
            Some(&world.owner),
            None,
            200,
        )
        .await?;
    let hostile = enabled
        .as_array()
        .and_then(|a| a.iter().find(|e| e["plugin_id"] == "hostile"))
        .cloned()
        .unwrap_or(Value::Null);
    let logs = api
        .expect(
            Method::GET,
            &format!("/api/v1/orgs/{}/plugins/hostile/logs", world.org),
            Some(&world.owner),
            None,
            200,
        )
        .await?;
    let errors = logs
        .as_array()
        .map_or(0, |l| l.iter().filter(|l| l["level"] == "error").count());
    Ok(json!({
        "failures": hostile["failures"],
        "suspended_reason": hostile["suspended_reason"],
        "error_log_lines": errors,
    }))
}
