//! Plugins through the real server: the catalog, installs with granted capabilities, per-group
//! enablement, slash commands and cards, card buttons, the before-message hook, and hostile
//! plugins stopped within their deadlines while the host keeps serving everyone else.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::{Backend, Client, TestServer, command, target_dir};
use base64::Engine;
use serde_json::{Value, json};

pub(crate) fn built(file: &str) -> PathBuf {
    let path = target_dir().join(file);
    assert!(
        path.exists(),
        "{} is missing: build the plugins first with `cargo xtask build-plugins`",
        path.display()
    );
    path
}

/// A package upload body for the hostile test plugin (optionally with another manifest).
fn hostile_package(manifest: Option<&str>) -> Value {
    let wasm = std::fs::read(built("wasm32-wasip2/release/courtyard_plugin_hostile.wasm")).unwrap();
    let manifest = manifest.map(str::to_owned).unwrap_or_else(|| {
        std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins/hostile/courtyard.toml"),
        )
        .unwrap()
    });
    json!({"allow_untrusted": true, "package": {"manifest": manifest, "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm)}})
}

struct World {
    server: TestServer,
    org: String,
    admin: Client,
    member: Client,
    member_id: String,
    group: String,
    other_group: String,
}

async fn world(backend: Backend, deadline_ms: u64) -> World {
    let bundled = built("bundled-plugins");
    let server = TestServer::start_with(backend, move |c| {
        c.bundled_plugins_dir = Some(bundled.clone());
        c.plugin_call_deadline_ms = deadline_ms;
    })
    .await;
    let org = server.org("Plugin Co").await;
    let (_, admin) = server.person(&org, "Org Admin", "org_admin").await;
    let (member_id, member) = server.person(&org, "李雷", "member").await;
    let (status, g) = member
        .post("/api/v1/groups", json!({"kind": "team", "name": "Games"}))
        .await;
    assert_eq!(status, 201);
    let (_, g2) = member
        .post("/api/v1/groups", json!({"kind": "team", "name": "Work"}))
        .await;
    World {
        group: g["id"].as_str().unwrap().to_owned(),
        other_group: g2["id"].as_str().unwrap().to_owned(),
        server,
        org,
        admin,
        member,
        member_id,
    }
}

async fn bundled_dice_in_one_group_only(backend: Backend) {
    let w = world(backend, 2000).await;
    let (status, catalog) = w.member.get("/api/v1/plugins/catalog").await;
    assert_eq!(status, 200);
    assert!(
        catalog
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "dice" && p["name"]["zh-CN"] == "掷骰子"),
        "{catalog}"
    );

    // Members cannot install; org admins can.
    let install = format!("/api/v1/orgs/{}/plugins", w.org);
    let (status, _) = w.member.post(&install, json!({"plugin_id": "dice"})).await;
    assert_eq!(status, 403);
    let (status, inst) = w.admin.post(&install, json!({"plugin_id": "dice"})).await;
    assert_eq!(status, 201, "{inst}");
    assert_eq!(inst["grants"], json!(["storage"]));

    // Enabled in one group (by its owner), with settings checked against the schema.
    let enable = format!("/api/v1/groups/{}/plugins/dice", w.group);
    let (status, err) = w
        .member
        .request(
            reqwest::Method::PUT,
            &enable,
            Some(json!({"settings": {"max_sides": "many"}})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["code"], "invalid_settings");
    let (status, e) = w
        .member
        .request(
            reqwest::Method::PUT,
            &enable,
            Some(json!({"settings": {"max_sides": 50}})),
        )
        .await;
    assert_eq!(status, 200, "{e}");

    let (_, cmds) = w
        .member
        .get(&format!("/api/v1/groups/{}/commands", w.group))
        .await;
    assert_eq!(cmds[0]["name"], "roll");
    let (_, none) = w
        .member
        .get(&format!("/api/v1/groups/{}/commands", w.other_group))
        .await;
    assert_eq!(none, json!([]));
    let (status, err) = command(&w.member, &w.other_group, "/roll").await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "unknown_command");

    // The command posts a card; the group hears it live; the button updates it in place.
    let mut ws = w.member.websocket(None).await;
    let (status, reply) = command(&w.member, &w.group, "/roll 20").await;
    assert_eq!(status, 200, "{reply}");
    let card_msg = &reply["message"];
    assert_eq!(card_msg["plugin_id"], "dice");
    assert!(card_msg["author"].is_null());
    assert!(
        card_msg["card"]["title"]
            .as_str()
            .unwrap()
            .contains("李雷 rolled")
    );
    assert_eq!(card_msg["card"]["blocks"][0]["fields"][2]["value"], "1");
    let live = ws.until("message.created").await;
    assert_eq!(live["data"]["id"], card_msg["id"]);
    let mid = card_msg["id"].as_str().unwrap();
    let (status, pressed) = w
        .member
        .post(
            &format!("/api/v1/messages/{mid}/actions"),
            json!({"action_id": "roll", "value": "20"}),
        )
        .await;
    assert_eq!(status, 200, "{pressed}");
    assert_eq!(
        pressed["message"]["card"]["blocks"][0]["fields"][2]["value"],
        "2"
    );
    let updated = ws.until("message.updated").await;
    assert_eq!(updated["data"]["id"], mid);
    let (status, _) = w
        .member
        .post(
            &format!("/api/v1/messages/{mid}/actions"),
            json!({"action_id": "nope"}),
        )
        .await;
    assert_eq!(status, 422);

    // The plugin's own validation reaches the user as a clear message.
    let (status, err) = command(&w.member, &w.group, "/roll 1000").await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "plugin_error");
    assert!(
        err["message"].as_str().unwrap().contains("2 to 50"),
        "{err}"
    );

    // Taking the storage grant away is enforced at once.
    let (status, _) = w
        .admin
        .patch(
            &format!("/api/v1/orgs/{}/plugins/dice", w.org),
            json!({"grants": []}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = command(&w.member, &w.group, "/roll").await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("storage"),
        "{err}"
    );

    // Every change is in the audit log.
    let (_, audit) = w.admin.get(&format!("/api/v1/orgs/{}/audit", w.org)).await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for expected in [
        "plugin.installed",
        "plugin.enabled",
        "plugin.grants_changed",
    ] {
        assert!(actions.contains(&expected), "{actions:?}");
    }

    // Installed plugins survive a restart (compiled code comes from the disk cache).
    let admin_token = w.admin.token.clone();
    let member = w.member.clone();
    let server = w.server.restart().await;
    let member = Client {
        base: server.base.clone(),
        ..member
    };
    let admin = Client {
        base: server.base.clone(),
        token: admin_token,
        http: reqwest::Client::new(),
    };
    let (status, _) = admin
        .patch(
            &format!("/api/v1/orgs/{}/plugins/dice", w.org),
            json!({"grants": ["storage"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, reply) = command(&member, &w.group, "/roll 6").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["message"]["card"]["blocks"][0]["fields"][2]["value"],
        "3"
    );
}

async fn uploads_are_verified(backend: Backend) {
    let w = world(backend, 2000).await;
    let install = format!("/api/v1/orgs/{}/plugins", w.org);
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins/hostile/courtyard.toml"),
    )
    .unwrap();
    // The component imports `people`; a manifest that does not ask for it is refused.
    let narrowed = manifest.replace(
        r#"capabilities = ["messages", "storage", "people","#,
        r#"capabilities = ["messages", "storage","#,
    );
    let (status, err) = w
        .admin
        .post(&install, hostile_package(Some(&narrowed)))
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("courtyard:plugin/people"),
        "{err}"
    );
    let newer = manifest.replace(r#"wit = "0.3.0""#, r#"wit = "9.0.0""#);
    let (status, err) = w.admin.post(&install, hostile_package(Some(&newer))).await;
    assert_eq!(status, 422);
    assert!(err["message"].as_str().unwrap().contains("9.0.0"), "{err}");
    let (status, err) = w
        .admin
        .post(
            &install,
            json!({"allow_untrusted": true, "package": {"manifest": manifest, "wasm_base64": "AGFzbQEAAAA="}}),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["code"], "invalid_package");
    let (status, _) = w
        .admin
        .post(
            &install,
            json!({"allow_untrusted": true, "package": {"manifest": manifest, "wasm_base64": "%%%"}}),
        )
        .await;
    assert_eq!(status, 422);
    let (_, installed) = w.admin.get(&install).await;
    assert_eq!(installed, json!([]), "nothing half-installed");
    let (status, ok) = w.admin.post(&install, hostile_package(None)).await;
    assert_eq!(status, 201, "{ok}");
    // Uninstall needs confirmation, then removes everything.
    let (status, _) = w.admin.delete(&format!("{install}/hostile")).await;
    assert_eq!(status, 422);
    let (status, _) = w
        .admin
        .delete(&format!("{install}/hostile?confirm=true"))
        .await;
    assert_eq!(status, 204);
    let (_, installed) = w.admin.get(&install).await;
    assert_eq!(installed, json!([]));
}

async fn install_hostile(w: &World, hook_failure: &str) {
    let (status, body) = w
        .admin
        .post(
            &format!("/api/v1/orgs/{}/plugins", w.org),
            hostile_package(None),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = w
        .member
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{}/plugins/hostile", w.group),
            Some(json!({"hook_failure": hook_failure})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn hostile_plugins_are_stopped(backend: Backend) {
    let w = world(backend, 400).await;
    install_hostile(&w, "open").await;
    let (bystander_id, bystander) = w.server.person(&w.org, "Bystander", "member").await;
    let (_, quiet) = bystander
        .post("/api/v1/groups", json!({"kind": "team", "name": "Quiet"}))
        .await;
    let quiet = quiet["id"].as_str().unwrap().to_owned();
    let _ = bystander_id;

    for behaviour in ["loop", "recurse", "grow", "trap", "huge"] {
        // Re-enabling resets the breaker so each behaviour is tried on a live plugin.
        let (status, _) = w
            .member
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/groups/{}/plugins/hostile", w.group),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200);
        let started = Instant::now();
        let text = format!("/misbehave {behaviour}");
        let attack = command(&w.member, &w.group, &text);
        let others = async {
            // Everyone else is served while the plugin misbehaves.
            bystander.say(&quiet, "still here").await;
            let (status, _) = bystander.get("/healthz").await;
            assert_eq!(status, 200);
        };
        let ((status, err), ()) = tokio::join!(attack, others);
        let took = started.elapsed();
        assert_eq!(status, 502, "{behaviour}: {err}");
        assert_eq!(err["code"], "plugin_failed", "{behaviour}: {err}");
        assert!(took < Duration::from_secs(5), "{behaviour} took {took:?}");
    }
    let (status, fine) = command(&w.member, &w.group, "/misbehave ok").await;
    assert_eq!(
        status, 200,
        "the plugin works again after misbehaving: {fine}"
    );
    assert_eq!(fine["ephemeral"], "fine");

    // Three faults in a row suspend it in this group, visibly.
    for _ in 0..3 {
        command(&w.member, &w.group, "/misbehave trap").await;
    }
    let (_, health) = w
        .member
        .get(&format!("/api/v1/groups/{}/plugins", w.group))
        .await;
    let reason = health[0]["suspended_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("crashed"), "{health}");
    let (status, err) = command(&w.member, &w.group, "/misbehave ok").await;
    assert_eq!(status, 502);
    assert!(
        err["message"].as_str().unwrap().contains("suspended"),
        "{err}"
    );
}

async fn plugins_stay_inside_their_organization(backend: Backend) {
    let w = world(backend, 5000).await;
    install_hostile(&w, "open").await;
    let other_org = w.server.org("Other Co").await;
    let (stranger_id, stranger) = w.server.person(&other_org, "Stranger", "member").await;
    let (_, foreign) = stranger
        .post("/api/v1/groups", json!({"kind": "team", "name": "Foreign"}))
        .await;
    let foreign = foreign["id"].as_str().unwrap();

    let (status, err) = command(&w.member, &w.group, &format!("/misbehave forge {foreign}")).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["message"], "not found");
    let (_, history) = stranger
        .get(&format!("/api/v1/groups/{foreign}/messages"))
        .await;
    assert_eq!(history, json!([]));
    // Nor in a group of its own organization where it is not enabled.
    let (status, _) = command(
        &w.member,
        &w.group,
        &format!("/misbehave forge {}", w.other_group),
    )
    .await;
    assert_eq!(status, 422);
    let (status, err) = command(
        &w.member,
        &w.group,
        &format!("/misbehave peek {stranger_id}"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["message"], "not found");
    let (status, ok) = command(
        &w.member,
        &w.group,
        &format!("/misbehave peek {}", w.member_id),
    )
    .await;
    assert_eq!(status, 200, "{ok}");

    // Storage spam hits the quota and stops there.
    let (status, err) = command(&w.member, &w.group, "/misbehave spam").await;
    assert_eq!(status, 422, "{err}");
    assert!(err["message"].as_str().unwrap().contains("MiB"), "{err}");
}

/// The capabilities contract 0.2.0 added, abused: every one ends in a clear refusal.
async fn new_capabilities_refuse_abuse(backend: Backend) {
    let bundled = built("bundled-plugins");
    let server = TestServer::start_with(backend, move |c| {
        c.bundled_plugins_dir = Some(bundled.clone());
        c.plugin_records_max = 20;
        c.plugin_timers_max = 30;
    })
    .await;
    let org = server.org("Abuse Co").await;
    let (_, admin) = server.person(&org, "Org Admin", "org_admin").await;
    let (_, g) = admin
        .post("/api/v1/groups", json!({"kind": "team", "name": "Target"}))
        .await;
    let group = g["id"].as_str().unwrap();
    let (status, body) = admin
        .post(
            &format!("/api/v1/orgs/{org}/plugins"),
            hostile_package(None),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = admin
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group}/plugins/hostile"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    for (behaviour, expected) in [
        ("http-anywhere", "http-anywhere: the host answered denied:"),
        (
            "records-spam",
            "records-spam: wrote 20 records, then the host answered quota:",
        ),
        (
            "timer-spam",
            "timer-spam: set 30 timers, then the host answered quota:",
        ),
        (
            "call-self",
            "call-self: 3 nested calls, then the host answered denied:",
        ),
    ] {
        let (status, reply) = command(&admin, group, &format!("/misbehave {behaviour}")).await;
        assert_eq!(status, 200, "{behaviour}: {reply}");
        let text = reply["ephemeral"].as_str().unwrap_or_default();
        assert!(text.starts_with(expected), "{behaviour}: {text}");
    }
    // The host is fine and the plugin still answers.
    let (status, fine) = command(&admin, group, "/misbehave ok").await;
    assert_eq!(status, 200, "{fine}");
}

async fn before_message_hook(backend: Backend) {
    let w = world(backend, 2000).await;
    install_hostile(&w, "closed").await;
    let post = |body: &str| {
        let body = body.to_owned();
        let member = w.member.clone();
        let group = w.group.clone();
        async move {
            member
                .post(
                    &format!("/api/v1/groups/{group}/messages"),
                    json!({"body": body, "client_txn_id": uuid::Uuid::new_v4().to_string()}),
                )
                .await
        }
    };
    let (status, m) = post("please rewrite-me").await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["body"], "please rewritten");
    // A retried transaction returns the original without asking the hook again.
    let txn = json!({"body": "first words", "client_txn_id": "hooked-1"});
    let (status, first) = w
        .member
        .post(&format!("/api/v1/groups/{}/messages", w.group), txn)
        .await;
    assert_eq!(status, 201);
    let retry = json!({"body": "reject-me on retry", "client_txn_id": "hooked-1"});
    let (status, again) = w
        .member
        .post(&format!("/api/v1/groups/{}/messages", w.group), retry)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (status, err) = post("reject-me now").await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "rejected_by_plugin");
    assert_eq!(err["message"], "rejected by the hostile plugin");
    // A hook that hangs is cut at its deadline; this group fails closed.
    let started = Instant::now();
    let (status, err) = post("loop-hook").await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["code"], "hook_failed");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Fail-open lets it through.
    let (status, _) = w
        .member
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{}/plugins/hostile", w.group),
            Some(json!({"hook_failure": "open"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, m) = post("loop-hook again").await;
    assert_eq!(status, 201, "{m}");
    // Other groups are untouched by the hook.
    let (_, history) = w
        .member
        .get(&format!("/api/v1/groups/{}/messages", w.other_group))
        .await;
    assert_eq!(history, json!([]));
    let m = w.member.say(&w.other_group, "reject-me is fine here").await;
    assert_eq!(m["body"], "reject-me is fine here");
}

/// Waits (bounded) until a message whose body starts with `prefix` appears in the group.
async fn wait_for_message(client: &Client, group: &str, prefix: &str) -> Value {
    for _ in 0..100 {
        let (_, history) = client
            .get(&format!("/api/v1/groups/{group}/messages"))
            .await;
        if let Some(m) = history
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["body"].as_str().unwrap_or("").starts_with(prefix))
        {
            return m.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message starting with {prefix:?} appeared");
}

async fn events_reach_subscribed_plugins(backend: Backend) {
    let w = world(backend, 2000).await;
    install_hostile(&w, "open").await;
    let (status, _) = w
        .server
        .admin
        .patch(
            &format!("/api/v1/orgs/{}", w.org),
            json!({"anonymous_posts_enabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    w.member.say(&w.group, "please echo-event").await;
    let heard = wait_for_message(&w.member, &w.group, "heard from").await;
    assert_eq!(heard["body"], "heard from 李雷 (actor 李雷)");
    assert_eq!(heard["plugin_id"], "hostile");
    // An anonymous post reaches the plugin without its author, in the data or the context.
    let (status, _) = w
        .member
        .post(&format!("/api/v1/groups/{}/messages", w.group), json!({"body": "anonymous echo-event", "client_txn_id": "anon-1", "kind": "post", "anonymous": true}))
        .await;
    assert_eq!(status, 201);
    let heard = wait_for_message(&w.member, &w.group, "heard from nobody").await;
    assert_eq!(heard["body"], "heard from nobody (actor nobody)");
    // Groups without the plugin hear nothing: by the time the plugin answered a later post
    // in its own group, it had not answered the earlier one elsewhere.
    w.member.say(&w.other_group, "echo-event elsewhere").await;
    let (status, _) = w
        .member
        .post(
            &format!("/api/v1/groups/{}/messages", w.group),
            json!({"body": "second echo-event", "client_txn_id": "second"}),
        )
        .await;
    assert_eq!(status, 201);
    for _ in 0..100 {
        let (_, history) = w
            .member
            .get(&format!("/api/v1/groups/{}/messages", w.group))
            .await;
        let heard = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["plugin_id"] == "hostile")
            .count();
        if heard == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, other) = w
        .member
        .get(&format!("/api/v1/groups/{}/messages", w.other_group))
        .await;
    assert_eq!(other.as_array().unwrap().len(), 1, "{other}");
}

/// The approvals plugin end to end through the API the web client uses: a request is
/// submitted (command, form, preview) and approved with the Approve button on the
/// approver's "Waiting for me" page. The button answers with the updated card, which a page
/// has no message for: the press must succeed (it once answered 502 although the approval
/// was stored, found by `bench/crash_durability.sh` with WORKLOAD=approvals). Confirming
/// or approving again answers as the first time and decides nothing twice.
async fn approving_from_the_waiting_page(backend: Backend) {
    let w = world(backend, 2000).await;
    let (status, inst) = w
        .admin
        .post(
            &format!("/api/v1/orgs/{}/plugins", w.org),
            json!({"plugin_id": "approvals"}),
        )
        .await;
    assert_eq!(status, 201, "{inst}");
    let (approver_id, approver) = w.server.person(&w.org, "韩梅梅", "member").await;
    let (status, added) = w
        .member
        .post(
            &format!("/api/v1/groups/{}/members", w.group),
            json!({"person_id": approver_id}),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {added}");
    let (status, e) = w
        .member
        .put_json(
            &format!("/api/v1/groups/{}/plugins/approvals", w.group),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{e}");

    let submit = |token: &str, form: &Value, values: Value| json!({"token": token, "form": form, "values": values});
    let (status, reply) = w
        .member
        .post(
            &format!("/api/v1/groups/{}/commands", w.group),
            json!({"text": "/approval general"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let form = &reply["form"];
    let values = json!({"subject": "New laptop", "details": "The old one died.", "approvers": [approver_id]});
    let (status, reply) = w
        .member
        .post(
            "/api/v1/forms",
            submit(form["token"].as_str().unwrap(), &form["form"], values),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let preview = &reply["form"];
    let confirm = submit(
        preview["token"].as_str().unwrap(),
        &preview["form"],
        json!({}),
    );
    let (status, reply) = w.member.post("/api/v1/forms", confirm.clone()).await;
    assert_eq!(status, 200, "{reply}");
    let submitted = reply["ephemeral"].as_str().unwrap().to_owned();
    assert!(submitted.starts_with("Submitted AP-"), "{reply}");
    // Confirmed again with the same preview: the same request, not a second one.
    let (status, again) = w.member.post("/api/v1/forms", confirm).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["ephemeral"], submitted.as_str());

    let page = format!("/api/v1/groups/{}/plugins/approvals/pages/pending", w.group);
    let (status, pending) = approver.get(&page).await;
    assert_eq!(status, 200, "{pending}");
    let approve = pending["cards"][0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["buttons"].as_array().cloned().unwrap_or_default())
        .find(|b| b["action_id"] == "approve")
        .unwrap_or_else(|| panic!("no Approve button on {pending}"));
    let press = format!("/api/v1/groups/{}/plugins/approvals/actions", w.group);
    let (status, reply) = approver
        .post(
            &press,
            json!({"action_id": "approve", "value": approve["value"]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["message"].is_null(), "{reply}");

    // The page, drawn again, no longer waits for them; the submitter sees it approved.
    let (_, pending) = approver.get(&page).await;
    assert_eq!(pending["cards"][0]["title"], "Nothing here", "{pending}");
    let (_, submitted) = w
        .member
        .get(&format!(
            "/api/v1/groups/{}/plugins/approvals/pages/submitted",
            w.group
        ))
        .await;
    assert_eq!(
        submitted["cards"].as_array().unwrap().len(),
        1,
        "{submitted}"
    );
    assert_eq!(
        submitted["cards"][0]["blocks"][0]["text"], "Approved / 已通过",
        "{submitted}"
    );
    // Pressed again (as a client does when the answer to the first press was lost): the
    // same answer, and still one approval.
    let (status, reply) = approver
        .post(
            &press,
            json!({"action_id": "approve", "value": approve["value"]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let id = approve["value"]
        .as_str()
        .unwrap()
        .split('@')
        .next()
        .unwrap();
    let (status, request) = w
        .admin
        .get(&format!("/api/v1/plugins/approvals/requests/{id}"))
        .await;
    assert_eq!(status, 200, "{request}");
    assert_eq!(request["status"], "approved", "{request}");
    let approvals = request["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "approved")
        .count();
    assert_eq!(approvals, 1, "{request}");
    // Someone else pressing it is still refused.
    let (status, _) = w
        .member
        .post(
            &press,
            json!({"action_id": "approve", "value": approve["value"]}),
        )
        .await;
    assert_eq!(status, 422);
}

both_backends!(
    approving_from_the_waiting_page,
    events_reach_subscribed_plugins,
    bundled_dice_in_one_group_only,
    uploads_are_verified,
    hostile_plugins_are_stopped,
    plugins_stay_inside_their_organization,
    before_message_hook,
    new_capabilities_refuse_abuse,
);
