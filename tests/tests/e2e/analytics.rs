//! Usage analytics for organization admins: active people per day and over 30 days,
//! messages per day and per group, plugin usage; and nobody else may read them.

use crate::common::{Backend, Client, TestServer, command, target_dir};
use serde_json::{Value, json};

/// Today's UTC date, `YYYY-MM-DD`, worked out independently of the server's code.
fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The analytics as `client` sees them, read within one UTC day (retried once if the day
/// turned while asking).
async fn analytics(client: &Client, org: &str, days: u32) -> (String, Value) {
    for _ in 0..2 {
        let before = today();
        let (status, body) = client
            .get(&format!("/api/v1/orgs/{org}/analytics?days={days}"))
            .await;
        assert_eq!(status, 200, "{body}");
        if today() == before {
            return (before, body);
        }
    }
    panic!("the UTC day kept turning");
}

/// The response validates against the schema the OpenAPI document gives it.
async fn matches_document(client: &Client, body: &Value) {
    let (_, doc) = client.get("/api/openapi.json").await;
    let schema = &doc["paths"]["/api/v1/orgs/{org_id}/analytics"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    assert!(schema.is_object(), "the analytics endpoint is documented");
    let mut root = doc.clone();
    root["$defs"] = json!({ "target": schema.clone() });
    root["$ref"] = json!("#/$defs/target");
    let validator = jsonschema::draft202012::new(&root).expect("schemas compile");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{body}");
}

async fn group(client: &Client, kind: &str, name: &str) -> String {
    let (status, g) = client
        .post("/api/v1/groups", json!({"kind": kind, "name": name}))
        .await;
    assert_eq!(status, 201, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

async fn analytics_count_activity(backend: Backend) {
    let bundled = target_dir().join("bundled-plugins");
    assert!(
        bundled.exists(),
        "build the plugins first: cargo xtask build-plugins"
    );
    let server = TestServer::start_with(backend, move |c| {
        c.bundled_plugins_dir = Some(bundled.clone())
    })
    .await;
    let org = server.org("Numbers Co").await;
    // Everyone made by `person` signs in, which makes them active today; Carol never does.
    let (_, admin) = server.person(&org, "Org Admin", "org_admin").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (status, carol) = server
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": "carol@numbers.example.com", "display_name": "Carol"}),
        )
        .await;
    assert_eq!(status, 201, "{carol}");

    // Nothing said yet: a window of empty days ending today.
    let (date, empty) = analytics(&admin, &org, 7).await;
    let days = empty["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6]["date"], date.as_str());
    assert_eq!(empty["to"], date.as_str());
    assert_eq!(empty["from"], days[0]["date"]);
    assert_eq!(empty["messages"], 0);
    assert_eq!(empty["dau"], 3, "signing in counts: {empty}");
    assert_eq!(empty["people"], 4);
    assert_eq!(empty["groups"], json!([]));
    assert_eq!(empty["plugins"], json!([]));

    // Sales: 3 from Alice, 2 from Bob (one a thread reply); Running: 1; a direct chat: 1.
    let sales = group(&alice, "team", "Sales").await;
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{sales}/members"),
            json!({"person_id": bob_id}),
        )
        .await;
    assert_eq!(status, 200);
    let first = alice.say(&sales, "Q4 pipeline review at 10").await;
    alice.say(&sales, "Deck is in the drive").await;
    alice.say(&sales, "第四季度目标已更新").await;
    bob.say(&sales, "Thanks").await;
    let (status, reply) = bob
        .post(
            &format!("/api/v1/groups/{sales}/messages"),
            json!({"body": "I'll bring numbers", "client_txn_id": "bob-reply",
                   "thread_root_id": first["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    let running = group(&bob, "interest", "Running").await;
    bob.say(&running, "5k on Saturday?").await;
    let (status, dm) = alice
        .post("/api/v1/direct", json!({"person_ids": [bob_id]}))
        .await;
    assert_eq!(status, 200, "{dm}");
    alice.say(dm["id"].as_str().unwrap(), "lunch?").await;

    // A plugin installed, enabled in Sales and used once: its card is a plugin message.
    let (status, inst) = admin
        .post(
            &format!("/api/v1/orgs/{org}/plugins"),
            json!({"plugin_id": "dice"}),
        )
        .await;
    assert_eq!(status, 201, "{inst}");
    let (status, e) = alice
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{sales}/plugins/dice"),
            Some(json!({"settings": {"max_sides": 20}})),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    let (status, rolled) = command(&alice, &sales, "/roll 6").await;
    assert_eq!(status, 200, "{rolled}");

    // Another organization's chatter counts for it, not here.
    let other = server.org("Elsewhere Ltd").await;
    let (_, stranger) = server.person(&other, "Stranger", "member").await;
    let lobby = group(&stranger, "team", "Lobby").await;
    stranger.say(&lobby, "hello from elsewhere").await;

    let (date, a) = analytics(&admin, &org, 7).await;
    matches_document(&admin, &a).await;
    let days = a["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let last = &days[6];
    assert_eq!(last["date"], date.as_str());
    assert_eq!(last["messages"], 8, "{a}");
    assert_eq!(last["plugin_messages"], 1);
    assert_eq!(last["active_people"], 3, "Carol never signed in: {a}");
    assert_eq!(last["active_people_30d"], 3);
    for day in &days[..6] {
        assert_eq!(day["messages"], 0, "{a}");
        assert_eq!(day["active_people"], 0, "{a}");
    }
    assert_eq!(a["messages"], 8);
    assert_eq!(a["direct_messages"], 1);
    assert_eq!(
        (a["dau"].clone(), a["wau"].clone(), a["mau"].clone()),
        (json!(3), json!(3), json!(3))
    );
    assert_eq!(a["people"], 4);
    let groups = a["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "direct conversations are not listed: {a}");
    assert_eq!(groups[0]["group_id"], sales.as_str());
    assert_eq!(groups[0]["name"], "Sales");
    assert_eq!(groups[0]["kind"], "team");
    assert_eq!(groups[0]["messages"], 6, "five said and one card");
    assert_eq!(groups[0]["per_day"], json!([0, 0, 0, 0, 0, 0, 6]));
    assert_eq!(groups[1]["group_id"], running.as_str());
    assert_eq!(groups[1]["messages"], 1);
    let plugins = a["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 1, "{a}");
    assert_eq!(plugins[0]["plugin_id"], "dice");
    assert_eq!(plugins[0]["installed"], true);
    assert_eq!(plugins[0]["messages"], 1);
    assert_eq!(plugins[0]["groups"], 1);
    assert_eq!(plugins[0]["admin_actions"], 2, "installed and enabled: {a}");

    // The platform admin reads any organization; the other one sees only its own figures.
    let (_, theirs) = analytics(&server.admin, &other, 1).await;
    assert_eq!(theirs["days"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["messages"], 1);
    assert_eq!(theirs["dau"], 1);
    assert_eq!(theirs["groups"][0]["name"], "Lobby");

    // The default window is 30 days; the window is bounded.
    let (status, default) = admin.get(&format!("/api/v1/orgs/{org}/analytics")).await;
    assert_eq!(status, 200);
    assert_eq!(default["days"].as_array().unwrap().len(), 30);
    assert_eq!(default["messages"], 8);
    for bad in ["0", "367", "-3"] {
        let (status, err) = admin
            .get(&format!("/api/v1/orgs/{org}/analytics?days={bad}"))
            .await;
        assert_eq!(status, 422, "days={bad}: {err}");
        assert_eq!(err["code"], "invalid_field");
    }
    let (status, err) = admin
        .get(&format!("/api/v1/orgs/{org}/analytics?days=many"))
        .await;
    assert_eq!(status, 400, "{err}");
}

async fn analytics_are_for_admins_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Private Numbers").await;
    let other = server.org("Nosy Neighbours").await;
    let (_, _admin) = server.person(&org, "Org Admin", "org_admin").await;
    let (_, member) = server.person(&org, "Member", "member").await;
    let (_, guest) = server.person(&org, "Guest", "guest").await;
    let (_, outsider_admin) = server.person(&other, "Other Admin", "org_admin").await;
    let (_, outsider) = server.person(&other, "Other Member", "member").await;
    let path = format!("/api/v1/orgs/{org}/analytics");

    // Another organization's people, admins included, are told it does not exist.
    for who in [&outsider_admin, &outsider] {
        let (status, err) = who.get(&path).await;
        assert_eq!(status, 404, "{err}");
        assert_eq!(err["code"], "not_found");
    }
    // Its own members and guests are refused.
    for who in [&member, &guest] {
        let (status, err) = who.get(&path).await;
        assert_eq!(status, 403, "{err}");
        assert_eq!(err["code"], "forbidden");
    }
    // Nobody signed in: 401. An unknown organization: 404, even for the platform admin.
    let (status, _) = server.client().get(&path).await;
    assert_eq!(status, 401);
    let (status, _) = server
        .admin
        .get("/api/v1/orgs/01890000-0000-7000-8000-000000000000/analytics")
        .await;
    assert_eq!(status, 404);
    let (status, _) = server.admin.get("/api/v1/orgs/nope/analytics").await;
    assert_eq!(status, 404);
}

both_backends!(analytics_count_activity, analytics_are_for_admins_only);
