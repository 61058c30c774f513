//! What the web client relies on beyond the plain API: the host serving it (with its
//! routes falling back to the page, and a strict content security policy), restoring a
//! cookie session after a reload, the setup status, and unread counts in the group list.

use crate::common::{Backend, PASSWORD, TestServer};
use serde_json::{Value, json};

fn dist_built() -> bool {
    let index =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host/web/dist/index.html");
    assert!(
        index.is_file(),
        "the web client is not built ({}): run `cargo xtask build-web` (cargo xtask test does)",
        index.display()
    );
    true
}

async fn raw(server: &TestServer, method: reqwest::Method, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}{path}", server.base))
        .send()
        .await
        .expect("request")
}

async fn serves_the_client(backend: Backend) {
    assert!(dist_built());
    let server = TestServer::start(backend).await;
    for path in [
        "/",
        "/g/4f1c2d7e-0000-0000-0000-000000000000/t/x",
        "/directory",
        "/admin/plugins",
    ] {
        let res = raw(&server, reqwest::Method::GET, path).await;
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h["cache-control"], "no-cache");
        let body = res.text().await.unwrap();
        assert!(body.contains("<div id=\"app\">"), "{body}");
    }
    // The page's scripts are content-hashed and cached for good.
    let index = raw(&server, reqwest::Method::GET, "/")
        .await
        .text()
        .await
        .unwrap();
    let script = index
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a script in index.html");
    let res = raw(&server, reqwest::Method::GET, script).await;
    assert_eq!(res.status(), 200, "{script}");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let etag = res.headers()["etag"].clone();
    let again = reqwest::Client::new()
        .get(format!("{}{script}", server.base))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // A missing file is not the page; API paths and other methods keep their JSON errors.
    let res = raw(&server, reqwest::Method::GET, "/assets/gone-1234.js").await;
    assert_eq!(res.status(), 404);
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/nothing-here"),
        (reqwest::Method::GET, "/api"),
        (reqwest::Method::POST, "/g/x"),
    ] {
        let res = raw(&server, method, path).await;
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}");
    }
}

both_backends!(serves_the_client);

async fn a_reloaded_page_restores_its_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, setup) = server.client().get("/api/v1/setup").await;
    assert_eq!((status, &setup["needed"]), (200, &json!(false)), "{setup}");
    let org = server.org("Acme").await;
    let email = "li.na@acme.example.com";
    let (status, _) = server
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": email, "display_name": "李娜", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201);
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let signed_in: Value = login.json().await.unwrap();
    // After a reload the page has only its cookie: the session answers with the CSRF token.
    let res = http
        .get(format!("{}/api/v1/auth/session", server.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let session: Value = res.json().await.unwrap();
    assert_eq!(session["csrf_token"], signed_in["csrf_token"]);
    assert_eq!(session["person"]["display_name"], "李娜");
    assert_eq!(session["kind"], "session");
    assert!(
        session.get("token").is_none(),
        "the cookie's token stays out of reach of scripts"
    );
    let post = |csrf: Option<&str>| {
        let mut req = http
            .post(format!("{}/api/v1/me/tokens", server.base))
            .header("cookie", &cookie)
            .json(&json!({"name": "script"}));
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 403);
    let csrf = session["csrf_token"].as_str().unwrap();
    assert_eq!(post(Some(csrf)).await.unwrap().status(), 201);
    // Without a session there is nothing to restore.
    let res = http
        .get(format!("{}/api/v1/auth/session", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

both_backends!(a_reloaded_page_restores_its_session);

async fn group_list_counts_unread(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (alice_id, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (_, team) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    let team_id = team["id"].as_str().unwrap();
    let unread = |list: &Value| {
        let g = list
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == team_id)
            .expect("the team");
        (
            g["unread_count"].as_i64().unwrap(),
            g["unread_mentions"].as_i64().unwrap(),
        )
    };
    alice.say(team_id, "one").await;
    alice.say(team_id, &format!("two for <@{bob_id}>")).await;
    let last = alice.say(team_id, "three @all").await;
    // Replies in a thread and the reader's own messages are not unread top-level messages.
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{team_id}/messages"),
            json!({"body": "a reply", "client_txn_id": "r-1", "thread_root_id": last["id"]}),
        )
        .await;
    assert_eq!(status, 201);
    bob.say(team_id, "mine").await;
    let (_, list) = bob.get("/api/v1/groups").await;
    assert_eq!(unread(&list), (3, 2), "{list}");
    let (_, list) = alice.get("/api/v1/groups").await;
    assert_eq!(unread(&list), (1, 0), "{list}");
    let (status, _) = bob
        .post(
            &format!("/api/v1/groups/{team_id}/read"),
            json!({"message_id": last["id"]}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = bob.get("/api/v1/groups").await;
    assert_eq!(unread(&list), (0, 0), "{list}");
    // A deleted message no longer counts.
    let gone = alice.say(team_id, "oops").await;
    let (_, list) = bob.get("/api/v1/groups").await;
    assert_eq!(unread(&list), (1, 0));
    let (status, _) = alice
        .delete(&format!(
            "/api/v1/messages/{}",
            gone["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 204);
    let (_, list) = bob.get("/api/v1/groups").await;
    assert_eq!(unread(&list), (0, 0));
    let _ = alice_id;
}

both_backends!(group_list_counts_unread);

/// The directory's department tree lists each department's people to the organization's
/// staff, members or not; guests and other organizations still get 404, and teams stay
/// private to their members.
async fn directory_lists_any_department(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (_, guest) = server.person(&org, "Gus", "guest").await;
    let other = server.org("Other").await;
    let (_, outsider) = server.person(&other, "Olga", "org_admin").await;
    let (status, dept) = server
        .admin
        .post(
            "/api/v1/groups",
            json!({"kind": "department", "name": "Finance", "org_id": org}),
        )
        .await;
    assert_eq!(status, 201, "{dept}");
    let dept_id = dept["id"].as_str().unwrap();
    let (_, team) = server
        .admin
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Secret", "org_id": org}),
        )
        .await;
    let team_id = team["id"].as_str().unwrap();
    let (status, members) = alice
        .get(&format!("/api/v1/groups/{dept_id}/members"))
        .await;
    assert_eq!(status, 200, "{members}");
    assert!(members.is_array());
    // Listing is not reading: the department's messages stay with its members.
    assert_eq!(
        alice
            .get(&format!("/api/v1/groups/{dept_id}/messages"))
            .await
            .0,
        404
    );
    assert_eq!(
        alice
            .get(&format!("/api/v1/groups/{team_id}/members"))
            .await
            .0,
        404
    );
    assert_eq!(
        guest
            .get(&format!("/api/v1/groups/{dept_id}/members"))
            .await
            .0,
        404
    );
    assert_eq!(
        outsider
            .get(&format!("/api/v1/groups/{dept_id}/members"))
            .await
            .0,
        404
    );
}

both_backends!(directory_lists_any_department);

/// What the admin console lists: all of an organization's people (disabled ones too, to
/// enable them again), filtered and paged; all its groups (private teams the admin is not
/// in, for enabling plugins there); invitations with the inviting organization's name.
async fn admins_list_their_organization(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (zs_id, zs) = server.person(&org, "张三", "member").await;
    let (ls_id, _) = server.person(&org, "李四", "member").await;
    let other = server.org("Swift Freight").await;
    let (_, outsider) = server.person(&other, "Olga", "org_admin").await;
    let (status, _) = admin
        .patch(
            &format!("/api/v1/people/{ls_id}"),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(status, 200);
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let people = format!("/api/v1/orgs/{org}/people");
    let (status, all) = admin.get(&people).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        names(&all),
        ["Ada Admin", "张三", "李四"].map(String::from).to_vec()
    );
    let (_, disabled) = admin.get(&format!("{people}?status=disabled")).await;
    assert_eq!(names(&disabled), vec!["李四".to_owned()]);
    let (_, found) = admin.get(&format!("{people}?q=zhangsan")).await;
    assert_eq!(names(&found), vec!["张三".to_owned()]);
    let (_, page) = admin.get(&format!("{people}?limit=1&offset=1")).await;
    assert_eq!(names(&page), vec!["张三".to_owned()]);
    assert_eq!(admin.get(&format!("{people}?status=gone")).await.0, 422);
    assert_eq!(zs.get(&people).await.0, 403, "members do not list");
    assert_eq!(
        outsider.get(&people).await.0,
        404,
        "other organizations are not found"
    );
    // The public directory, by contrast, never shows the disabled.
    let (_, directory) = zs.get("/api/v1/people?q=lisi").await;
    assert_eq!(directory.as_array().unwrap().len(), 0, "{directory}");

    let (_, team) = zs
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Private team"}),
        )
        .await;
    let (_, direct) = zs
        .post("/api/v1/direct", json!({"person_ids": [ls_id]}))
        .await;
    let groups = format!("/api/v1/orgs/{org}/groups");
    let (status, list) = admin.get(&groups).await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&team["id"].as_str().unwrap()), "{list}");
    assert!(
        !ids.contains(&direct["id"].as_str().unwrap()),
        "direct conversations stay private"
    );
    assert_eq!(zs.get(&groups).await.0, 403);
    assert_eq!(outsider.get(&groups).await.0, 404);

    // An invitation names who invites.
    let (_, shared) = admin
        .post(
            "/api/v1/groups",
            json!({"kind": "shared", "name": "Shipments", "member_ids": [zs_id]}),
        )
        .await;
    let (status, _) = admin
        .post(
            &format!("/api/v1/groups/{}/partners", shared["id"].as_str().unwrap()),
            json!({"org_id": other}),
        )
        .await;
    assert!(status == 200 || status == 201, "{status}");
    let (_, invitations) = outsider
        .get(&format!("/api/v1/orgs/{other}/partner-invitations"))
        .await;
    assert_eq!(invitations[0]["host_org_name"], "Acme", "{invitations}");
    assert_eq!(invitations[0]["group_name"], "Shipments");
}

both_backends!(admins_list_their_organization);

/// `GET /metrics`: Prometheus text with requests per route pattern, WebSocket connections,
/// messages posted and plugin calls; this machine may read it, anyone else needs the token.
async fn metrics_for_prometheus(backend: Backend) {
    let server =
        TestServer::start_with(backend, |c| c.metrics_token = Some("m-secret".into())).await;
    let org = server.org("Acme").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (_, team) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "Ops"}))
        .await;
    let team_id = team["id"].as_str().unwrap();
    alice.say(team_id, "one").await;
    alice.say(team_id, "two").await;
    let ws = alice.websocket(None).await;
    let get = |token: Option<&str>| {
        let mut req = reqwest::Client::new().get(format!("{}/metrics", server.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    // With a token configured, even this machine must send it.
    assert_eq!(get(None).await.unwrap().status(), 403);
    assert_eq!(get(Some("wrong")).await.unwrap().status(), 403);
    let res = get(Some("m-secret")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = res.text().await.unwrap();
    let line = "courtyard_http_requests_total{method=\"POST\",\
        route=\"/api/v1/groups/{group_id}/messages\",status=\"201\"} 2";
    assert!(text.contains(line), "{text}");
    assert!(!text.contains(team_id), "ids never become labels");
    assert!(text.contains("courtyard_websocket_connections 1"), "{text}");
    assert!(text.contains("courtyard_messages_posted_total 2"), "{text}");
    assert!(
        text.contains("courtyard_http_request_duration_seconds_bucket"),
        "{text}"
    );
    ws.close().await;
}

both_backends!(metrics_for_prometheus);

/// The audit log records admin actions, sign-ins and tokens with who, when and from
/// where, and filters by action prefix, actor and time.
async fn audit_log_of_admin_actions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (admin_id, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (_, member) = server.person(&org, "Mo", "member").await;
    let other = server.org("Other").await;
    let (_, outsider) = server.person(&other, "Olga", "org_admin").await;
    let email = "zhao@acme.example.com";
    let (_, zhao) = admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": email, "display_name": "赵六", "password": PASSWORD}),
        )
        .await;
    let zhao_id = zhao["id"].as_str().unwrap();
    let (status, _) = admin
        .patch(
            &format!("/api/v1/people/{zhao_id}"),
            json!({"role": "org_admin", "title": "Controller"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = admin
        .post(
            &format!("/api/v1/people/{zhao_id}/password"),
            json!({"password": "another long password"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = admin
        .post(
            "/api/v1/groups",
            json!({"kind": "department", "name": "Finance"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = admin
        .patch(
            &format!("/api/v1/orgs/{org}"),
            json!({"time_zone": "Asia/Shanghai"}),
        )
        .await;
    assert_eq!(status, 200);
    // A wrong password, then the right one.
    let login = |password: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", server.base))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    assert_eq!(login("not the password").await.unwrap().status(), 401);
    assert_eq!(login("another long password").await.unwrap().status(), 200);

    let audit = format!("/api/v1/orgs/{org}/audit");
    let actions = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    // The failed sign-in is written in the background; give it a moment.
    let mut all = Value::Null;
    for _ in 0..50 {
        all = admin.get(&audit).await.1;
        if actions(&all).iter().any(|a| a == "auth.sign_in_failed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = actions(&all);
    for expected in [
        "person.created",
        "person.updated",
        "person.password_reset",
        "group.created",
        "org.updated",
        "auth.sign_in_failed",
        "auth.signed_in",
    ] {
        assert!(
            seen.iter().any(|a| a == expected),
            "{expected} missing from {seen:?}"
        );
    }
    let updated = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "person.updated")
        .unwrap();
    assert_eq!(updated["actor_id"], admin_id.as_str());
    assert_eq!(updated["target"], zhao_id);
    assert_eq!(updated["detail"]["role"], "org_admin");
    assert_eq!(updated["ip"], "127.0.0.1", "{updated}");
    let failed = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "auth.sign_in_failed")
        .unwrap();
    assert_eq!(failed["detail"]["reason"], "wrong_password");
    assert_eq!(failed["actor_id"], zhao_id);

    // Filters: an action prefix (a literal `_` is not a wildcard), an actor, and time.
    let (_, people) = admin.get(&format!("{audit}?action=person.")).await;
    assert!(
        actions(&people).iter().all(|a| a.starts_with("person.")),
        "{people}"
    );
    let about_zhao = people
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == zhao_id)
        .count();
    assert_eq!(about_zhao, 3, "created, updated, password reset: {people}");
    let (_, none) = admin.get(&format!("{audit}?action=person_")).await;
    assert_eq!(none.as_array().unwrap().len(), 0, "{none}");
    let (_, by_zhao) = admin.get(&format!("{audit}?actor={zhao_id}")).await;
    assert!(
        by_zhao
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == zhao_id),
        "{by_zhao}"
    );
    let newest = all[0]["at"].as_i64().unwrap();
    let (_, older) = admin.get(&format!("{audit}?until={newest}&limit=2")).await;
    assert!(older.as_array().unwrap().len() <= 2);
    assert!(
        older
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["at"].as_i64().unwrap() < newest)
    );

    assert_eq!(member.get(&audit).await.0, 403);
    assert_eq!(outsider.get(&audit).await.0, 404);
}

both_backends!(audit_log_of_admin_actions);
