//! Contract 0.2.0 through the real server, with the `probe` test plugin: forms validated by
//! the host (on cards, handed to one person, on pages), records linked to people, timers
//! that fire once, scheduled jobs listed for admins, pages, HTTP routes (session and
//! public, with active content neutralised), outbound HTTP only to allow-listed hosts,
//! calls between plugins with a depth limit, thread replies, lifecycle calls and events.
//! Plus a component built for the frozen 0.1.0 contract, still running.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::{Backend, Client, TestServer, command, target_dir};
use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An upload body for a test plugin, with its manifest passed through `edit`.
fn package(crate_dir: &str, wasm: &str, edit: impl Fn(String) -> String) -> Value {
    let path = target_dir().join(format!("wasm32-wasip2/release/{wasm}.wasm"));
    let wasm = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): build the plugins first with `cargo xtask build-plugins`",
            path.display()
        )
    });
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(crate_dir)
            .join("courtyard.toml"),
    )
    .unwrap();
    json!({"allow_untrusted": true, "package": {"manifest": edit(manifest), "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm)}})
}

/// A one-line HTTP server answering every request with `hello`; returns its port.
async fn tiny_http_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
                    )
                    .await;
            });
        }
    });
    port
}

struct World {
    server: TestServer,
    org: String,
    admin: Client,
    member: Client,
    member_id: String,
    colleague_id: String,
    colleague: Client,
    group: String,
    http_port: u16,
}

async fn world(backend: Backend) -> World {
    let server = TestServer::start_with(backend, |c| c.plugin_timer_poll_ms = 50).await;
    let org = server.org("Probe Co").await;
    let (_, admin) = server.person(&org, "Org Admin", "org_admin").await;
    let (member_id, member) = server.person(&org, "韩梅梅", "member").await;
    let (colleague_id, colleague) = server.person(&org, "Li Lei", "member").await;
    let (status, g) = member
        .post("/api/v1/groups", json!({"kind": "team", "name": "Finance"}))
        .await;
    assert_eq!(status, 201);
    let group = g["id"].as_str().unwrap().to_owned();
    let (status, m) = member
        .post(
            &format!("/api/v1/groups/{group}/members"),
            json!({"person_id": colleague_id}),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    let http_port = tiny_http_server().await;
    let body = package("plugins/probe", "courtyard_plugin_probe", |m| {
        m.replace("127.0.0.1:9", &format!("127.0.0.1:{http_port}"))
    });
    let (status, inst) = admin
        .post(&format!("/api/v1/orgs/{org}/plugins"), body)
        .await;
    assert_eq!(status, 201, "{inst}");
    assert_eq!(
        inst["http_hosts"],
        json!([format!("127.0.0.1:{http_port}")])
    );
    let (status, e) = member
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group}/plugins/probe"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    World {
        server,
        org,
        admin,
        member,
        member_id,
        colleague_id,
        colleague,
        group,
        http_port,
    }
}

/// Waits until the group's history has a message whose body matches; returns all matches.
async fn wait_for_body(client: &Client, group: &str, body: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (status, history) = client
            .get(&format!("/api/v1/groups/{group}/messages?limit=200"))
            .await;
        assert_eq!(status, 200, "{history}");
        let found: Vec<Value> = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"] == body)
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no message `{body}` in {history}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn submit(client: &Client, token: &str, form: &Value, values: Value) -> (u16, Value) {
    client
        .post(
            "/api/v1/forms",
            json!({"token": token, "form": form, "values": values}),
        )
        .await
}

fn field_errors(err: &Value) -> Vec<(String, String)> {
    err["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors in {err}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn forms_are_validated_before_the_plugin_sees_them(backend: Backend) {
    let w = world(backend).await;
    // Enabling told the plugin (lifecycle), which said so in the group.
    wait_for_body(&w.member, &w.group, "probe enabled").await;

    // A command hands out a form with a token bound to this person.
    let (status, reply) = command(&w.member, &w.group, "/expense").await;
    assert_eq!(status, 200, "{reply}");
    let form = reply["form"]["form"].clone();
    let token = reply["form"]["token"].as_str().unwrap().to_owned();
    assert_eq!(form["id"], "expense");
    assert_eq!(form["fields"][0]["kind"], "money");

    // Every problem at once, per field, in both languages; the plugin never sees it.
    let (status, err) = submit(
        &w.member,
        &token,
        &form,
        json!({"amount": "12.345", "kind": "other", "surprise": 1}),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["code"], "invalid_form");
    let errors = field_errors(&err);
    for (field, code) in [
        ("amount", None),
        ("note", Some("required")),
        ("approver", Some("required")),
        ("surprise", Some("unknown_field")),
    ] {
        assert!(
            errors
                .iter()
                .any(|(f, c)| f == field && code.is_none_or(|code| c == code)),
            "{field} {code:?} not in {errors:?}"
        );
    }
    assert!(
        err["fields"][0]["message_zh"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let (status, err) = submit(
        &w.member,
        &token,
        &form,
        json!({"amount": "9000", "kind": "travel", "approver": w.colleague_id}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        field_errors(&err),
        vec![("amount".into(), "too_large".into())]
    );

    // A forged, foreign or altered token is refused.
    let mut altered = form.clone();
    altered["fields"][0]["max"] = json!(1_000_000);
    for (client, token, form) in [
        (&w.member, "forged.token", &form),
        (&w.colleague, token.as_str(), &form),
        (&w.member, token.as_str(), &altered),
    ] {
        let (status, err) = submit(
            client,
            token,
            form,
            json!({"amount": "10", "kind": "travel", "approver": w.colleague_id}),
        )
        .await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["code"], "invalid_form_token");
    }

    // A person the submitter cannot see is refused by the host.
    let other_org = w.server.org("Elsewhere").await;
    let (stranger, _) = w.server.person(&other_org, "Stranger", "member").await;
    let (status, err) = submit(
        &w.member,
        &token,
        &form,
        json!({"amount": "10", "kind": "travel", "approver": stranger}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "invalid_reference");

    // A good submission reaches the plugin normalised; it keeps a linked record.
    let (status, ok) = submit(
        &w.member,
        &token,
        &form,
        json!({"amount": 12.3, "kind": "travel", "approver": w.colleague_id}),
    )
    .await;
    assert_eq!(status, 200, "{ok}");
    let text = ok["ephemeral"].as_str().unwrap();
    assert!(text.contains(" v1 amount=12.30 value=v1"), "{text}");
    let (_, mine) = command(&w.member, &w.group, "/mine").await;
    assert_eq!(mine["ephemeral"], "1 expenses");
    let (_, theirs) = command(&w.colleague, &w.group, "/mine").await;
    assert_eq!(theirs["ephemeral"], "0 expenses");

    // A form on a card: submitted through its message, the card updates in place.
    let (status, posted) = command(&w.member, &w.group, "/expense-card").await;
    assert_eq!(status, 200, "{posted}");
    let mid = posted["message"]["id"].as_str().unwrap().to_owned();
    assert_eq!(posted["message"]["card"]["blocks"][0]["type"], "form");
    let (status, err) = w
        .member
        .post(
            &format!("/api/v1/messages/{mid}/form"),
            json!({"form_id": "nope", "values": {}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "unknown_form");
    let (status, updated) = w
        .member
        .post(
            &format!("/api/v1/messages/{mid}/form"),
            json!({"form_id": "expense", "values": {"amount": "88", "kind": "other", "note": "taxi", "approver": w.colleague_id}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["message"]["id"], mid);
    assert_eq!(
        updated["message"]["card"]["blocks"][0]["fields"][0]["value"],
        "88.00"
    );
    assert_eq!(updated["message"]["card"]["blocks"][1]["type"], "people");

    // The group's plugins say what they are called and which pages they offer, so a
    // client can label cards and list the pages (members see it, not only admins).
    let (status, enabled) = w
        .member
        .get(&format!("/api/v1/groups/{}/plugins", w.group))
        .await;
    assert_eq!(status, 200, "{enabled}");
    let probe = enabled
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["plugin_id"] == "probe")
        .expect("probe is enabled");
    assert!(probe["name"]["en"].is_string(), "{probe}");
    assert!(probe["name"]["zh-CN"].is_string(), "{probe}");
    assert_eq!(probe["pages"][0]["name"], "expenses", "{probe}");
    assert!(probe["pages"][0]["title"]["zh-CN"].is_string(), "{probe}");

    // A page lists the records and carries a token on its form.
    let (status, page) = w
        .member
        .get(&format!(
            "/api/v1/groups/{}/plugins/probe/pages/expenses?status=open",
            w.group
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["cards"][0]["title"], "2 expenses, filter open");
    let last = page["cards"].as_array().unwrap().last().unwrap().clone();
    let page_form = last["blocks"][0]["form"].clone();
    let page_token = last["blocks"][0]["token"].as_str().unwrap().to_owned();
    let (status, ok) = submit(
        &w.member,
        &page_token,
        &page_form,
        json!({"amount": "1", "kind": "travel", "approver": w.member_id}),
    )
    .await;
    assert_eq!(status, 200, "{ok}");
    let (status, _) = w
        .member
        .get(&format!(
            "/api/v1/groups/{}/plugins/probe/pages/nope",
            w.group
        ))
        .await;
    assert_eq!(status, 404);
    // Someone outside the group does not see its pages.
    let (status, _) = w
        .admin
        .get(&format!(
            "/api/v1/groups/{}/plugins/probe/pages/expenses",
            w.group
        ))
        .await;
    assert!(status == 404 || status == 403, "{status}");
}

async fn timers_fire_once_and_schedules_are_listed(backend: Backend) {
    let w = world(backend).await;
    let (status, set) = command(&w.member, &w.group, "/later 100 hello there").await;
    assert_eq!(status, 200, "{set}");
    assert!(set["ephemeral"].as_str().unwrap().starts_with("timer "));
    let fired = wait_for_body(&w.member, &w.group, "timer fired: hello there").await;
    assert_eq!(fired.len(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fired = wait_for_body(&w.member, &w.group, "timer fired: hello there").await;
    assert_eq!(fired.len(), 1, "a timer fires once");

    // The manifest's schedule is pending, visible to admins only.
    let timers = format!("/api/v1/orgs/{}/plugins/probe/timers", w.org);
    let (status, list) = w.admin.get(&timers).await;
    assert_eq!(status, 200, "{list}");
    let digest = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "schedule" && t["key"] == "digest")
        .unwrap_or_else(|| panic!("no digest schedule in {list}"));
    assert!(digest["due_at"].as_i64().unwrap() > chrono_now_ms());
    let (status, _) = w.member.get(&timers).await;
    assert_eq!(status, 403);

    // The organization's time zone moves cron schedules; a bad zone is refused.
    let (status, err) = w
        .admin
        .patch(
            &format!("/api/v1/orgs/{}", w.org),
            json!({"time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    let (status, org) = w
        .admin
        .patch(
            &format!("/api/v1/orgs/{}", w.org),
            json!({"time_zone": "Asia/Shanghai"}),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["time_zone"], "Asia/Shanghai");

    // Uninstalling removes the plugin's timers with it.
    let (status, _) = w
        .admin
        .delete(&format!(
            "/api/v1/orgs/{}/plugins/probe?confirm=true",
            w.org
        ))
        .await;
    assert_eq!(status, 204);
    let (_, list) = w.admin.get(&timers).await;
    assert_eq!(list, json!([]));
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn routes_http_calls_threads_and_events(backend: Backend) {
    let w = world(backend).await;
    let base = &w.server.base;
    let http = reqwest::Client::new();

    // A session route acts for the signed-in person, in their language.
    let res = http
        .get(format!(
            "{base}/api/v1/plugins/probe/hello?group_id={}",
            w.group
        ))
        .bearer_auth(w.member.token.as_ref().unwrap())
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let hello: Value = res.json().await.unwrap();
    assert_eq!(hello["actor"], "韩梅梅");
    assert_eq!(hello["locale"], "zh-CN");
    assert_eq!(hello["group"], w.group);
    let res = http
        .get(format!("{base}/api/v1/plugins/probe/hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // A public route needs no session, and nothing it returns can run in the browser.
    let res = http
        .post(format!(
            "{base}/api/v1/plugins/probe/public/{}/inbound/partner",
            w.org
        ))
        .body("12345")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert!(headers.get("set-cookie").is_none());
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert!(res.text().await.unwrap().ends_with('5'));
    for (method, path) in [
        (reqwest::Method::GET, format!("public/{}/hello", w.org)),
        (
            reqwest::Method::POST,
            format!("public/{}/undeclared", w.org),
        ),
        (
            reqwest::Method::POST,
            "public/not-an-org/inbound/x".to_owned(),
        ),
    ] {
        let res = http
            .request(method, format!("{base}/api/v1/plugins/probe/{path}"))
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 404 || res.status() == 422,
            "{path}: {}",
            res.status()
        );
    }

    // Outbound HTTP reaches the allow-listed host only, and only while granted.
    let port = w.http_port;
    let (_, fetched) = command(
        &w.member,
        &w.group,
        &format!("/fetch http://127.0.0.1:{port}/x"),
    )
    .await;
    assert_eq!(fetched["ephemeral"], "status 200 body hello");
    for url in [
        format!("http://127.0.0.1:{}/", port.wrapping_add(1)),
        format!("http://localhost:{port}/"),
        format!("http://user@127.0.0.1:{port}/"),
        "file:///etc/passwd".to_owned(),
    ] {
        let (_, refused) = command(&w.member, &w.group, &format!("/fetch {url}")).await;
        assert!(
            refused["ephemeral"]
                .as_str()
                .unwrap()
                .starts_with("refused:"),
            "{url}: {refused}"
        );
    }
    let capabilities = [
        "people", "groups", "messages", "storage", "records", "timers", "http", "interop",
    ];
    let (status, narrowed) = w
        .admin
        .patch(
            &format!("/api/v1/orgs/{}/plugins/probe", w.org),
            json!({"grants": capabilities, "http_hosts": []}),
        )
        .await;
    assert_eq!(status, 200, "{narrowed}");
    let (_, refused) = command(
        &w.member,
        &w.group,
        &format!("/fetch http://127.0.0.1:{port}/x"),
    )
    .await;
    assert!(
        refused["ephemeral"]
            .as_str()
            .unwrap()
            .starts_with("refused:"),
        "{refused}"
    );
    let (status, err) = w
        .admin
        .patch(
            &format!("/api/v1/orgs/{}/plugins/probe", w.org),
            json!({"grants": capabilities, "http_hosts": ["evil.example.com"]}),
        )
        .await;
    assert_eq!(status, 422, "{err}");

    // Calls between plugins nest at most three deep.
    let (status, nested) = command(&w.member, &w.group, "/nest").await;
    assert_eq!(status, 200, "{nested}");
    assert_eq!(nested["ephemeral"], "nested 3");

    // A reply in a thread.
    let (_, thread) = command(&w.member, &w.group, "/thread").await;
    let ids: Vec<&str> = thread["ephemeral"].as_str().unwrap().split(' ').collect();
    let (status, replies) = w
        .member
        .get(&format!("/api/v1/messages/{}/replies", ids[0]))
        .await;
    assert_eq!(status, 200, "{replies}");
    assert!(
        replies.to_string().contains(ids[1]),
        "{replies} lacks {}",
        ids[1]
    );

    // Events after the fact: reactions and members joining.
    let message = w.member.say(&w.group, "react to me").await;
    let (status, _) = w
        .member
        .put(&format!(
            "/api/v1/messages/{}/reactions/%F0%9F%91%8D",
            message["id"].as_str().unwrap()
        ))
        .await;
    assert!(status == 200 || status == 204, "{status}");
    wait_for_body(&w.member, &w.group, "saw reaction.added").await;
    let (newcomer, _) = w.server.person(&w.org, "Newcomer", "member").await;
    let (status, _) = w
        .member
        .post(
            &format!("/api/v1/groups/{}/members", w.group),
            json!({"person_id": newcomer}),
        )
        .await;
    assert_eq!(status, 200);
    wait_for_body(&w.member, &w.group, "saw member.joined").await;
}

async fn components_for_the_frozen_contract_still_install_and_run(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Legacy Co").await;
    let (_, admin) = server.person(&org, "Admin", "org_admin").await;
    let (status, g) = admin
        .post("/api/v1/groups", json!({"kind": "team", "name": "Old"}))
        .await;
    assert_eq!(status, 201);
    let group = g["id"].as_str().unwrap();
    let body = package("plugins/legacy-v010", "courtyard_plugin_legacy_v010", |m| m);
    let (status, inst) = admin
        .post(&format!("/api/v1/orgs/{org}/plugins"), body)
        .await;
    assert_eq!(status, 201, "{inst}");
    assert_eq!(inst["package"]["wit"], "0.1.0");
    let (status, _) = admin
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group}/plugins/legacy"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = command(&admin, group, "/legacy").await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        reply["message"]["body"]
            .as_str()
            .unwrap()
            .contains("legacy plugin on 0.1.0"),
        "{reply}"
    );
}

/// A card for part of a group (contract 0.3.0 `post-card-for`): only its audience sees it,
/// its thread and its events — in history, single reads, replies, live delivery and
/// catch-up — until the plugin changes the audience.
async fn cards_for_part_of_a_group_stay_with_their_audience(backend: Backend) {
    let w = world(backend).await;
    wait_for_body(&w.member, &w.group, "probe enabled").await;
    let mut member_ws = w.member.websocket(None).await;
    let mut colleague_ws = w.colleague.websocket(None).await;
    let (status, reply) = command(&w.member, &w.group, &format!("/for {}", w.member_id)).await;
    assert_eq!(status, 200, "{reply}");
    let id = reply["ephemeral"]
        .as_str()
        .unwrap()
        .strip_prefix("restricted ")
        .unwrap()
        .to_owned();

    // Live: the member gets the card; the colleague's next event is the next message.
    let created = loop {
        let frame = member_ws.until("message.created").await;
        if frame["data"]["id"] == json!(id) {
            break frame;
        }
    };
    assert_eq!(created["data"]["id"], json!(id));
    assert_eq!(created["data"]["audience"], json!([w.member_id]));
    w.member.say(&w.group, "after the card").await;
    loop {
        let next = colleague_ws.until("message.created").await;
        assert_ne!(next["data"]["id"], json!(id), "the colleague got the card");
        if next["data"]["body"] == "after the card" {
            break;
        }
    }

    // Reads: history, the message, its thread, replies and reactions are not there for them.
    let (_, history) = w
        .colleague
        .get(&format!("/api/v1/groups/{}/messages", w.group))
        .await;
    assert!(!history.to_string().contains(&id), "{history}");
    let (status, _) = w.colleague.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = w
        .colleague
        .get(&format!("/api/v1/messages/{id}/replies"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = w
        .colleague
        .post(
            &format!("/api/v1/groups/{}/messages", w.group),
            json!({"body": "peek", "thread_root_id": id, "client_txn_id": "peek-1"}),
        )
        .await;
    assert_eq!(status, 404);
    // The member's reply in the thread is as restricted as the card.
    let (status, r) = w
        .member
        .post(
            &format!("/api/v1/groups/{}/messages", w.group),
            json!({"body": "only us", "thread_root_id": id, "client_txn_id": "reply-1"}),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["audience"], json!([w.member_id]));
    // Catch-up from before the card: nothing of it, nor of the reply.
    let mut catch_up = w
        .colleague
        .websocket(Some(created["seq"].as_i64().unwrap() - 1))
        .await;
    let mut seen = Vec::new();
    while let Some(frame) = catch_up.quiet_for(Duration::from_millis(500)).await {
        seen.push(frame);
    }
    let seen = Value::Array(seen).to_string();
    assert!(!seen.contains(&id) && !seen.contains("only us"), "{seen}");
    assert!(seen.contains("after the card"), "{seen}");
    // Search: the restricted reply is found by its audience only.
    let hits = |page: Value| page["hits"].as_array().unwrap().len();
    let only_us = "/api/v1/search/messages?q=only%20us";
    assert_eq!(hits(w.member.get(only_us).await.1), 1);
    assert_eq!(hits(w.colleague.get(only_us).await.1), 0);

    // The plugin widens the audience: now the colleague sees the card and its thread.
    let (status, reply) = command(
        &w.member,
        &w.group,
        &format!("/audience {id} {} {}", w.member_id, w.colleague_id),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (status, _) = w.colleague.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 200);
    let (status, thread) = w
        .colleague
        .get(&format!("/api/v1/messages/{id}/replies"))
        .await;
    assert_eq!(status, 200);
    assert!(thread.to_string().contains("only us"), "{thread}");
    assert_eq!(hits(w.colleague.get(only_us).await.1), 1);
    // And narrows it again: the colleague is told to drop it.
    command(
        &w.member,
        &w.group,
        &format!("/audience {id} {}", w.member_id),
    )
    .await;
    let hidden = colleague_ws.until("message.hidden").await;
    assert_eq!(hidden["data"]["id"], json!(id));
    let (status, _) = w.colleague.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(hits(w.colleague.get(only_us).await.1), 0);
    // Events about the card reach only the plugin whose card it is: a second plugin in
    // the group that listens for reactions hears of reactions elsewhere, not on the card.
    let body = package("plugins/probe", "courtyard_plugin_probe", |m| {
        m.replacen("id = \"probe\"", "id = \"probe2\"", 1)
    });
    let (status, inst) = w
        .admin
        .post(&format!("/api/v1/orgs/{}/plugins", w.org), body)
        .await;
    assert_eq!(status, 201, "{inst}");
    let (status, e) = w
        .member
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{}/plugins/probe2", w.group),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    let (status, _) = w
        .member
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/messages/{id}/reactions/👍"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let public = w.member.say(&w.group, "for everyone").await;
    let (status, _) = w
        .member
        .request(
            reqwest::Method::PUT,
            &format!(
                "/api/v1/messages/{}/reactions/👍",
                public["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let saw = |plugin: &'static str| {
        let member = &w.member;
        let group = w.group.clone();
        async move {
            let (_, history) = member
                .get(&format!("/api/v1/groups/{group}/messages?limit=200"))
                .await;
            history
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["body"] == "saw reaction.added" && m["plugin_id"] == plugin)
                .count()
        }
    };
    let started = Instant::now();
    while (saw("probe").await < 2 || saw("probe2").await < 1)
        && started.elapsed() < Duration::from_secs(15)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        saw("probe").await,
        2,
        "the card's plugin hears both reactions"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        saw("probe2").await,
        1,
        "another plugin hears only the public one"
    );

    // Someone outside the group, or not a member, cannot be in an audience.
    let (status, reply) = command(
        &w.member,
        &w.group,
        "/for 00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_ne!(status, 200, "{reply}");
}

both_backends!(
    forms_are_validated_before_the_plugin_sees_them,
    cards_for_part_of_a_group_stay_with_their_audience,
    timers_fire_once_and_schedules_are_listed,
    routes_http_calls_threads_and_events,
    components_for_the_frozen_contract_still_install_and_run,
);
