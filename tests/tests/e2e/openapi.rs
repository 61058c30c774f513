//! The served OpenAPI document matches what the server really answers: every response of a
//! walk through the API (successes and errors) must be documented for its status code and
//! validate against the documented schema.

use crate::common::{Backend, Client, TestServer};
use serde_json::{Value, json};

struct Contract {
    doc: Value,
    checked: std::cell::RefCell<Vec<String>>,
    /// Another organization whose ids every successful call is replayed with.
    foreign: Option<crate::swap::Foreign>,
}

impl Contract {
    async fn fetch(client: &Client) -> Self {
        let (status, doc) = client.get("/api/openapi.json").await;
        assert_eq!(status, 200);
        assert_eq!(doc["openapi"], "3.1.0");
        Self {
            doc,
            checked: Default::default(),
            foreign: None,
        }
    }

    /// Calls `method template` (with `{…}` filled from `args`) as `client` and checks the
    /// answer against the document. Returns it.
    async fn call(
        &self,
        client: &Client,
        method: &str,
        template: &str,
        args: &[&str],
        body: Option<Value>,
    ) -> (u16, Value) {
        let path = crate::swap::fill(template, args);
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, value) = client.request(m, &path, body.clone()).await;
        self.check(method, template, status, &value);
        if let Some(foreign) = &self.foreign
            && (200..300).contains(&status)
        {
            foreign.replay(client, method, template, args, body).await;
        }
        (status, value)
    }

    fn check(&self, method: &str, template: &str, status: u16, body: &Value) {
        let template_key = template.split('?').next().unwrap();
        let op = &self.doc["paths"][template_key][method];
        assert!(
            op.is_object(),
            "{method} {template_key} is not in the OpenAPI document"
        );
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template_key} answered {status}, which the document does not list: {body}"
        );
        if let Some(schema) = response["content"]["application/json"]["schema"].as_object() {
            let mut root = self.doc.clone();
            root["$defs"] = json!({ "target": Value::Object(schema.clone()) });
            root["$ref"] = json!("#/$defs/target");
            let validator =
                jsonschema::draft202012::new(&root).expect("the document's schemas compile");
            let errors: Vec<String> = validator
                .iter_errors(body)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{method} {template_key} {status} does not match its schema: {errors:?}\nbody: {body}"
            );
        } else {
            assert!(
                body.is_null(),
                "{method} {template_key} {status} documents no body but sent {body}"
            );
        }
        self.checked
            .borrow_mut()
            .push(format!("{method} {template_key}"));
    }
}

async fn responses_match_the_document(backend: Backend) {
    let bundled = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("bundled-plugins");
    assert!(
        bundled.exists(),
        "build the plugins first: cargo xtask build-plugins"
    );
    let server = TestServer::start_with(backend, move |c| {
        c.bundled_plugins_dir = Some(bundled.clone())
    })
    .await;
    let anon = server.client();
    let mut c = Contract::fetch(&anon).await;
    c.foreign = Some(crate::swap::Foreign::build(&server).await);
    let admin = &server.admin;

    c.call(&anon, "get", "/healthz", &[], None).await;
    let (s, _) = c.call(&anon, "get", "/api/v1/me", &[], None).await;
    assert_eq!(s, 401);
    let (s, org) = c
        .call(
            admin,
            "post",
            "/api/v1/orgs",
            &[],
            Some(json!({"name": "Contract Co", "anonymous_posts_enabled": true})),
        )
        .await;
    assert_eq!(s, 201);
    let org_id = org["id"].as_str().unwrap();
    c.call(admin, "get", "/api/v1/orgs", &[], None).await;
    c.call(admin, "get", "/api/v1/orgs/{org_id}", &[org_id], None)
        .await;
    c.call(
        admin,
        "patch",
        "/api/v1/orgs/{org_id}",
        &[org_id],
        Some(json!({"read_receipts_enabled": true})),
    )
    .await;
    let (s, dept) = c
        .call(
            admin,
            "post",
            "/api/v1/groups",
            &[],
            Some(json!({"kind": "department", "name": "研发部", "org_id": org_id})),
        )
        .await;
    assert_eq!(s, 201);
    let dept_id = dept["id"].as_str().unwrap();
    let (s, person) = c
        .call(admin, "post", "/api/v1/orgs/{org_id}/people", &[org_id], Some(json!({
            "email": "wang.wu@contract.example.com", "display_name": "王五", "password": crate::common::PASSWORD,
            "title": "Engineer", "department_id": dept_id
        })))
        .await;
    assert_eq!(s, 201);
    let person_id = person["id"].as_str().unwrap();
    let (s, _) = c
        .call(
            admin,
            "post",
            "/api/v1/orgs/{org_id}/people",
            &[org_id],
            Some(json!({"email": "bad", "display_name": "x"})),
        )
        .await;
    assert_eq!(s, 422);
    c.call(
        admin,
        "get",
        "/api/v1/orgs/{org_id}/departments",
        &[org_id],
        None,
    )
    .await;
    c.call(
        admin,
        "get",
        "/api/v1/orgs/{org_id}/partner-invitations",
        &[org_id],
        None,
    )
    .await;

    let wang = Client::login(
        &server.base,
        "wang.wu@contract.example.com",
        crate::common::PASSWORD,
    )
    .await;
    c.call(&wang, "get", "/api/v1/me", &[], None).await;
    c.call(&wang, "get", "/api/v1/people?q=ww", &[], None).await;
    c.call(
        &wang,
        "get",
        "/api/v1/people/{person_id}",
        &[person_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "patch",
        "/api/v1/people/{person_id}",
        &[person_id],
        Some(json!({"title": "Senior Engineer"})),
    )
    .await;
    let (s, tok) = c
        .call(
            &wang,
            "post",
            "/api/v1/me/tokens",
            &[],
            Some(json!({"name": "ci bot"})),
        )
        .await;
    assert_eq!(s, 201);
    c.call(&wang, "get", "/api/v1/me/tokens", &[], None).await;
    c.call(
        &wang,
        "delete",
        "/api/v1/me/tokens/{id}",
        &[tok["id"].as_str().unwrap()],
        None,
    )
    .await;

    let (s, team) = c
        .call(
            &wang,
            "post",
            "/api/v1/groups",
            &[],
            Some(json!({"kind": "interest", "name": "Badminton"})),
        )
        .await;
    assert_eq!(s, 201);
    let team_id = team["id"].as_str().unwrap();
    c.call(&wang, "get", "/api/v1/groups", &[], None).await;
    c.call(&wang, "get", "/api/v1/groups/{group_id}", &[team_id], None)
        .await;
    c.call(
        &wang,
        "patch",
        "/api/v1/groups/{group_id}",
        &[team_id],
        Some(json!({"description": "Thursdays"})),
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/groups/{group_id}/members",
        &[team_id],
        None,
    )
    .await;
    let (s, msg) = c
        .call(
            &wang,
            "post",
            "/api/v1/groups/{group_id}/messages",
            &[team_id],
            Some(json!({"body": "hi `code` https://example.com", "client_txn_id": "t1"})),
        )
        .await;
    assert_eq!(s, 201);
    let msg_id = msg["id"].as_str().unwrap();
    let (s, _) = c
        .call(
            &wang,
            "post",
            "/api/v1/groups/{group_id}/messages",
            &[team_id],
            Some(json!({"body": "hi `code` https://example.com", "client_txn_id": "t1"})),
        )
        .await;
    assert_eq!(s, 200);
    c.call(
        &wang,
        "post",
        "/api/v1/groups/{group_id}/messages",
        &[team_id],
        Some(json!({"body": "reply", "client_txn_id": "t2", "thread_root_id": msg_id})),
    )
    .await;
    c.call(
        &wang,
        "post",
        "/api/v1/groups/{group_id}/messages",
        &[team_id],
        Some(json!({"body": "", "client_txn_id": "t3"})),
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/groups/{group_id}/messages",
        &[team_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/messages/{message_id}",
        &[msg_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/messages/{message_id}/replies",
        &[msg_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "patch",
        "/api/v1/messages/{message_id}",
        &[msg_id],
        Some(json!({"body": "hi again"})),
    )
    .await;
    c.call(
        &wang,
        "put",
        "/api/v1/messages/{message_id}/reactions/{emoji}",
        &[msg_id, "👍"],
        None,
    )
    .await;
    c.call(
        &wang,
        "delete",
        "/api/v1/messages/{message_id}/reactions/{emoji}",
        &[msg_id, "👍"],
        None,
    )
    .await;
    c.call(
        &wang,
        "put",
        "/api/v1/messages/{message_id}/pin",
        &[msg_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/groups/{group_id}/pins",
        &[team_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "delete",
        "/api/v1/messages/{message_id}/pin",
        &[msg_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "post",
        "/api/v1/groups/{group_id}/read",
        &[team_id],
        Some(json!({"message_id": msg_id})),
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/messages/{message_id}/receipts",
        &[msg_id],
        None,
    )
    .await;
    c.call(&wang, "get", "/api/v1/events?since=0", &[], None)
        .await;
    c.call(
        &wang,
        "post",
        "/api/v1/direct",
        &[],
        Some(json!({"person_ids": [admin_id(&server).await]})),
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/groups/{group_id}/partners",
        &[team_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "delete",
        "/api/v1/messages/{message_id}",
        &[msg_id],
        None,
    )
    .await;
    c.call(
        &wang,
        "get",
        "/api/v1/groups/{group_id}",
        &["00000000-0000-0000-0000-000000000000"],
        None,
    )
    .await;
    c.call(&wang, "post", "/api/v1/auth/logout", &[], None)
        .await;
    let (s, _) = c
        .call(
            &anon,
            "post",
            "/api/v1/auth/login",
            &[],
            Some(json!({"email": "nobody@x.example.com", "password": "wrong password"})),
        )
        .await;
    assert_eq!(s, 401);
    let (s, _) = c.call(&anon, "post", "/api/v1/setup", &[], Some(json!({
        "setup_token": "nope", "email": "a@b.example.com", "password": "long enough password", "display_name": "A", "org_name": "B"
    }))).await;
    assert_eq!(s, 403);

    // Plugins: catalog, install, grants, enable, commands, a card button, health, logs, audit.
    let plugin_org = org_id;
    let (_, pg) = c
        .call(
            admin,
            "post",
            "/api/v1/groups",
            &[],
            Some(json!({"kind": "team", "name": "Dice", "org_id": plugin_org})),
        )
        .await;
    let pg = pg["id"].as_str().unwrap().to_owned();
    c.call(admin, "get", "/api/v1/plugins/catalog", &[], None)
        .await;
    let (s, _) = c
        .call(
            admin,
            "post",
            "/api/v1/orgs/{org_id}/plugins",
            &[plugin_org],
            Some(json!({"plugin_id": "dice"})),
        )
        .await;
    assert_eq!(s, 201);
    c.call(
        admin,
        "post",
        "/api/v1/orgs/{org_id}/plugins",
        &[plugin_org],
        Some(json!({"plugin_id": "nope"})),
    )
    .await;
    c.call(
        admin,
        "get",
        "/api/v1/orgs/{org_id}/plugins",
        &[plugin_org],
        None,
    )
    .await;
    c.call(
        admin,
        "patch",
        "/api/v1/orgs/{org_id}/plugins/{plugin_id}",
        &[plugin_org, "dice"],
        Some(json!({"grants": ["storage"]})),
    )
    .await;
    c.call(
        admin,
        "put",
        "/api/v1/groups/{group_id}/plugins/{plugin_id}",
        &[&pg, "dice"],
        Some(json!({"settings": {"max_sides": 12}})),
    )
    .await;
    c.call(
        admin,
        "put",
        "/api/v1/groups/{group_id}/plugins/{plugin_id}",
        &[&pg, "dice"],
        Some(json!({"settings": {"max_sides": "x"}})),
    )
    .await;
    c.call(
        admin,
        "get",
        "/api/v1/groups/{group_id}/plugins",
        &[&pg],
        None,
    )
    .await;
    c.call(
        admin,
        "get",
        "/api/v1/groups/{group_id}/commands",
        &[&pg],
        None,
    )
    .await;
    let (s, rolled) = c
        .call(
            admin,
            "post",
            "/api/v1/groups/{group_id}/commands",
            &[&pg],
            Some(json!({"text": "/roll 6"})),
        )
        .await;
    assert_eq!(s, 200, "{rolled}");
    c.call(
        admin,
        "post",
        "/api/v1/groups/{group_id}/commands",
        &[&pg],
        Some(json!({"text": "/roll 99"})),
    )
    .await;
    c.call(
        admin,
        "post",
        "/api/v1/groups/{group_id}/commands",
        &[&pg],
        Some(json!({"text": "/unknown"})),
    )
    .await;
    let card_id = rolled["message"]["id"].as_str().unwrap().to_owned();
    c.call(
        admin,
        "post",
        "/api/v1/messages/{message_id}/actions",
        &[&card_id],
        Some(json!({"action_id": "roll", "value": "6"})),
    )
    .await;
    c.call(
        admin,
        "post",
        "/api/v1/messages/{message_id}/actions",
        &[&card_id],
        Some(json!({"action_id": "nope"})),
    )
    .await;
    c.call(
        admin,
        "get",
        "/api/v1/orgs/{org_id}/plugins/{plugin_id}/logs",
        &[plugin_org, "dice"],
        None,
    )
    .await;
    c.call(
        admin,
        "get",
        "/api/v1/orgs/{org_id}/audit",
        &[plugin_org],
        None,
    )
    .await;
    c.call(
        admin,
        "delete",
        "/api/v1/groups/{group_id}/plugins/{plugin_id}",
        &[&pg, "dice"],
        None,
    )
    .await;
    c.call(
        admin,
        "delete",
        "/api/v1/orgs/{org_id}/plugins/{plugin_id}",
        &[plugin_org, "dice"],
        None,
    )
    .await;
    c.call(
        admin,
        "delete",
        "/api/v1/orgs/{org_id}/plugins/{plugin_id}?confirm=true",
        &[plugin_org, "dice"],
        None,
    )
    .await;

    // Files. Uploads take raw bytes, so they are sent by hand and their answers checked.
    let wang = Client::login(
        &server.base,
        "wang.wu@contract.example.com",
        crate::common::PASSWORD,
    )
    .await;
    let send_file = |name: &'static str, body: Vec<u8>| {
        let req = wang
            .http
            .post(format!("{}/api/v1/files", wang.base))
            .query(&[("name", name)])
            .bearer_auth(wang.token.clone().unwrap())
            .body(body);
        async move {
            let res = req.send().await.expect("upload");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.expect("JSON answer"))
        }
    };
    let (s, file) = send_file("季度报告.txt", "第一季度".as_bytes().to_vec()).await;
    c.check("post", "/api/v1/files", s, &file);
    assert_eq!(s, 201);
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.resize(256, 0);
    let (s, refused) = send_file("manual.pdf", elf).await;
    c.check("post", "/api/v1/files", s, &refused);
    assert_eq!(s, 415);
    let (s, empty) = send_file("empty.txt", Vec::new()).await;
    c.check("post", "/api/v1/files", s, &empty);
    assert_eq!(s, 400);
    let file_id = file["id"].as_str().unwrap();
    c.call(
        &wang,
        "get",
        "/api/v1/files/{file_id}/info",
        &[file_id],
        None,
    )
    .await;
    let (s, _) = c
        .call(
            admin,
            "get",
            "/api/v1/files/{file_id}/info",
            &[file_id],
            None,
        )
        .await;
    assert_eq!(s, 404, "files are private, even to admins");
    let (s, _) = c
        .call(admin, "get", "/api/v1/files/{file_id}", &[file_id], None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = c
        .call(
            &wang,
            "get",
            "/api/v1/files/{file_id}/thumbnail",
            &[file_id],
            None,
        )
        .await;
    assert_eq!(s, 422, "a text file has no thumbnail");
    let (s, _) = c
        .call(
            &wang,
            "post",
            "/api/v1/files/{file_id}/grants",
            &[file_id],
            Some(json!({"people": [person_id]})),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = c
        .call(
            &wang,
            "post",
            "/api/v1/files/{file_id}/grants",
            &[file_id],
            Some(json!({"people": ["nobody"]})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = c
        .call(&wang, "delete", "/api/v1/files/{file_id}", &[file_id], None)
        .await;
    assert_eq!(s, 204);

    // Search, compliance and webhooks.
    let (s, _) = c
        .call(&wang, "get", "/api/v1/search/messages?q=hello", &[], None)
        .await;
    assert_eq!(s, 200);
    let (s, _) = c
        .call(&wang, "get", "/api/v1/search/messages?q=", &[], None)
        .await;
    assert_eq!(s, 400);
    let hold = "/api/v1/groups/{group_id}/legal-hold";
    let (s, _) = c
        .call(
            admin,
            "put",
            hold,
            &[team_id],
            Some(json!({"reason": "Case 1"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = c
        .call(
            admin,
            "get",
            "/api/v1/orgs/{org_id}/legal-holds",
            &[org_id],
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = c.call(admin, "delete", hold, &[team_id], None).await;
    assert_eq!(s, 204);
    let hooks = "/api/v1/groups/{group_id}/webhooks";
    let (s, hook) = c
        .call(
            &wang,
            "post",
            hooks,
            &[team_id],
            Some(json!({"kind": "incoming", "name": "CI"})),
        )
        .await;
    assert_eq!(s, 201);
    let hook_id = hook["id"].as_str().unwrap();
    let token = hook["incoming_path"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let (s, _) = c.call(&wang, "get", hooks, &[team_id], None).await;
    assert_eq!(s, 200);
    let incoming = "/api/v1/hooks/{webhook_id}/{token}";
    let (s, _) = c
        .call(
            &anon,
            "post",
            incoming,
            &[hook_id, token],
            Some(json!({"text": "hi"})),
        )
        .await;
    assert!(s == 201 || s == 403, "{s}");
    let (s, _) = c
        .call(
            &anon,
            "post",
            incoming,
            &[hook_id, "wrong"],
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(s, 404);
    let one = "/api/v1/webhooks/{webhook_id}";
    let (s, _) = c
        .call(
            &wang,
            "patch",
            one,
            &[hook_id],
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = c
        .call(
            &wang,
            "get",
            "/api/v1/webhooks/{webhook_id}/deliveries",
            &[hook_id],
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = c.call(&wang, "delete", one, &[hook_id], None).await;
    assert_eq!(s, 204);

    // Notification settings and Web Push subscriptions.
    let (s, settings) = c
        .call(&wang, "get", "/api/v1/me/notifications", &[], None)
        .await;
    assert_eq!(s, 200);
    assert!(settings["push_public_key"].is_string());
    let (s, _) = c
        .call(
            &wang,
            "put",
            "/api/v1/me/notifications",
            &[],
            Some(json!({"email_digest": false, "quiet_hours": {"start": "22:00", "end": "07:00"}})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = c
        .call(
            &wang,
            "put",
            "/api/v1/me/notifications",
            &[],
            Some(json!({"email_digest": true, "quiet_hours": {"start": "9", "end": "07:00"}})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = c
        .call(
            &wang,
            "post",
            "/api/v1/me/push-subscriptions",
            &[],
            Some(json!({"endpoint": "https://127.0.0.1/x", "keys": {"p256dh": "x", "auth": "y"}})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = c
        .call(
            &wang,
            "delete",
            "/api/v1/me/push-subscriptions",
            &[],
            Some(json!({"endpoint": "https://push.example.com/none"})),
        )
        .await;
    assert_eq!(s, 404);

    // Single sign-on, without a provider: every refusal as documented.
    let sso = "/api/v1/orgs/{org_id}/sso";
    let (s, _) = c.call(admin, "get", sso, &[org_id], None).await;
    assert_eq!(s, 404);
    let (s, _) = c
        .call(
            admin,
            "put",
            sso,
            &[org_id],
            Some(
                json!({"issuer": "http://sso.example.com", "client_id": "x", "client_secret": "y"}),
            ),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = c.call(admin, "delete", sso, &[org_id], None).await;
    assert_eq!(s, 404);
    let (s, _) = c
        .call(
            &anon,
            "post",
            "/api/v1/auth/sso/discover",
            &[],
            Some(json!({"email": "someone@nowhere.example"})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = c
        .call(
            &anon,
            "get",
            "/api/v1/auth/sso/{org_id}/start",
            &[org_id],
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = c
        .call(
            &anon,
            "get",
            "/api/v1/auth/sso/callback?state=forged&code=x",
            &[],
            None,
        )
        .await;
    assert_eq!(s, 400);

    // The swap replays: which operations taking ids were replayed with the other
    // organization's ids, and that nothing of that organization changed.
    let foreign = c.foreign.as_ref().unwrap();
    foreign.unchanged().await;
    let mut replayed = foreign.replayed.borrow().clone();
    replayed.sort();
    replayed.dedup();
    let templated: Vec<String> = c.doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.contains('{'))
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{m} {path}"))
        })
        .collect();
    let blind: Vec<String> = templated
        .iter()
        .filter(|op| !replayed.contains(op))
        .cloned()
        .collect();
    let wrong = foreign.replay_blind(&blind).await;
    assert!(
        wrong.is_empty(),
        "operations that did not refuse another organization's ids with 404:\n{}",
        wrong.join("\n")
    );
    foreign.unchanged().await;
    eprintln!(
        "swap: all {} operations taking ids refused another organization's ids with 404 \
         ({} after a successful call with the caller's own ids, {} without one: {blind:?}); \
         {} requests",
        templated.len(),
        replayed.len(),
        blind.len(),
        foreign.requests.borrow()
    );

    // The walk touched a good share of the document.
    let operations: usize = c.doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    let mut touched = c.checked.borrow().clone();
    touched.sort();
    touched.dedup();
    assert!(
        touched.len() * 10 >= operations * 7,
        "only {} of {operations} operations exercised",
        touched.len()
    );
}

async fn admin_id(server: &TestServer) -> String {
    let (_, me) = server.admin.get("/api/v1/me").await;
    me["id"].as_str().unwrap().to_owned()
}

both_backends!(responses_match_the_document);

/// Found by Schemathesis (tests/schemathesis/run.sh): the document must describe what the
/// server really does before and around the handlers, or generated clients and fuzzers are
/// misled. Query parameters are documented in the query (they were documented as required
/// path parameters), the refusals of the extractors are documented on every operation, and
/// a few statuses and content types the handlers give are listed.
async fn the_document_describes_parameters_and_refusals(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anon = server.client();
    let c = Contract::fetch(&anon).await;
    let admin = &server.admin;

    // Every path parameter is in its path; the query structs are in the query.
    for (path, item) in c.doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: `{name}` is documented as a path parameter"
                    );
                }
            }
        }
    }
    let param = |path: &str, name: &str| -> Value {
        c.doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("GET {path} documents no `{name}`"))
            .clone()
    };
    assert_eq!(param("/api/v1/events", "since")["in"], "query");
    assert_eq!(param("/api/v1/events", "since")["required"], true);
    assert_eq!(param("/api/v1/events", "limit")["in"], "query");
    assert_eq!(param("/api/v1/events", "limit")["required"], false);
    for (path, name) in [
        ("/api/v1/groups/{group_id}/messages", "before"),
        ("/api/v1/messages/{message_id}/replies", "after"),
        ("/api/v1/orgs/{org_id}/analytics", "days"),
        ("/api/v1/people", "q"),
        ("/api/v1/search/messages", "q"),
        ("/api/v1/webhooks/{webhook_id}/deliveries", "before"),
        ("/api/v1/ws", "since"),
    ] {
        assert_eq!(param(path, name)["in"], "query", "GET {path} `{name}`");
    }

    // The extractors' refusals are documented wherever they can happen.
    for (path, item) in c.doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let listed = |status: &str| op["responses"][status].is_object();
            let public = op["security"].as_array().is_some_and(|s| s.is_empty());
            if !public {
                assert!(listed("401"), "{method} {path} does not document 401");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(listed(status), "{method} {path} does not document {status}");
                }
            }
        }
    }
    // A download is whatever type the file is; a package upload is bytes, not a JSON array.
    assert!(
        c.doc["paths"]["/api/v1/files/{file_id}"]["get"]["responses"]["200"]["content"]["*/*"]
            .is_object()
    );
    let package = &c.doc["paths"]["/api/v1/orgs/{org_id}/plugin-packages"]["post"]["requestBody"];
    assert!(
        package["content"]["application/octet-stream"]["schema"]["type"] != "array",
        "{package}"
    );

    // The same refusals, live, checked against the document.
    let send = |method: reqwest::Method, path: &str, ct: Option<&str>, body: &str| {
        let mut req = admin
            .http
            .request(method, format!("{}{path}", admin.base))
            .bearer_auth(admin.token.clone().unwrap())
            .body(body.to_owned());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        async move {
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.expect("a JSON answer"))
        }
    };
    let (s, body) = send(
        reqwest::Method::POST,
        "/api/v1/groups",
        Some("application/json"),
        "{",
    )
    .await;
    c.check("post", "/api/v1/groups", s, &body);
    assert_eq!((s, body["code"].as_str()), (400, Some("invalid_json")));
    let (s, body) = send(reqwest::Method::POST, "/api/v1/groups", None, "{}").await;
    c.check("post", "/api/v1/groups", s, &body);
    assert_eq!(
        (s, body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (s, body) = send(
        reqwest::Method::POST,
        "/api/v1/groups",
        Some("application/json"),
        r#"{"kind": 1, "name": "x"}"#,
    )
    .await;
    c.check("post", "/api/v1/groups", s, &body);
    assert_eq!((s, body["code"].as_str()), (422, Some("invalid_body")));
    let (s, _) = c.call(&anon, "get", "/api/v1/groups", &[], None).await;
    assert_eq!(s, 401);
    let (s, _) = c
        .call(admin, "get", "/api/v1/events?since=x", &[], None)
        .await;
    assert_eq!(s, 400);
    let (s, body) = c
        .call(admin, "get", "/api/v1/events?since=-1", &[], None)
        .await;
    assert_eq!((s, body["code"].as_str()), (422, Some("invalid_position")));
    let (s, _) = c
        .call(
            admin,
            "post",
            "/api/v1/groups",
            &[],
            Some(json!({"kind": "team", "name": "Nowhere", "org_id": "no-such-org"})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, group) = c
        .call(
            admin,
            "post",
            "/api/v1/groups",
            &[],
            Some(json!({"kind": "interest", "name": "Chess"})),
        )
        .await;
    assert_eq!(s, 201);
    let group_id = group["id"].as_str().unwrap();
    let (s, _) = c
        .call(
            admin,
            "post",
            "/api/v1/groups/{group_id}/join",
            &[group_id],
            None,
        )
        .await;
    assert_eq!(s, 409, "the creator is a member already");

    // Undoing a pin or a reaction on what cannot have one is a documented 422.
    let root = admin.say(group_id, "root").await;
    let root_id = root["id"].as_str().unwrap();
    let (s, reply) = admin
        .post(
            &format!("/api/v1/groups/{group_id}/messages"),
            json!({"body": "reply", "client_txn_id": "r-1", "thread_root_id": root_id}),
        )
        .await;
    assert_eq!(s, 201, "{reply}");
    let (s, body) = c
        .call(
            admin,
            "delete",
            "/api/v1/messages/{message_id}/pin",
            &[reply["id"].as_str().unwrap()],
            None,
        )
        .await;
    assert_eq!((s, body["code"].as_str()), (422, Some("cannot_pin")));
    let (s, _) = admin.delete(&format!("/api/v1/messages/{root_id}")).await;
    assert!(s < 300, "{s}");
    let (s, body) = c
        .call(
            admin,
            "delete",
            "/api/v1/messages/{message_id}/reactions/{emoji}",
            &[root_id, "👍"],
            None,
        )
        .await;
    assert_eq!((s, body["code"].as_str()), (422, Some("message_deleted")));
}

both_backends!(the_document_describes_parameters_and_refusals);
