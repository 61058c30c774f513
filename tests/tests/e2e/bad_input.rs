//! Bad input end to end: malformed, mistyped, oversized and mislabelled bodies, malformed ids,
//! unknown routes and methods, paging parameters, missing credentials and invalid field
//! values. Every refusal is a JSON `{code, message}`, and a refused request writes nothing.

use crate::common::{Backend, Client, PASSWORD, TestServer};
use courtyard_domain::limits::MAX_REQUEST_BYTES;
use reqwest::Method;
use serde_json::{Value, json};

/// An answer as received: status, content type and body (parsed if it is JSON).
#[derive(Debug)]
struct Raw {
    status: u16,
    content_type: String,
    body: Value,
}

/// Sends exactly the given bytes with exactly the given content type.
async fn raw(
    base: &str,
    token: Option<&str>,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Raw {
    let mut req = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Raw {
        status,
        content_type,
        body,
    }
}

/// Asserts a JSON error: status, `code` (if given) and a message, as `application/json`.
#[track_caller]
fn assert_json_error(r: &Raw, status: u16, code: Option<&str>, what: &str) {
    assert_eq!(r.status, status, "{what}: {r:?}");
    assert!(
        r.content_type.starts_with("application/json"),
        "{what}: error is not JSON: {r:?}"
    );
    assert!(r.body["code"].is_string(), "{what}: no code: {r:?}");
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: no message: {r:?}"
    );
    if let Some(code) = code {
        assert_eq!(r.body["code"], code, "{what}: {r:?}");
    }
}

/// The same for answers from the harness client.
#[track_caller]
fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "expected {status} {code}: {body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[track_caller]
fn assert_ok(answer: &(u16, Value), status: u16) -> Value {
    assert_eq!(answer.0, status, "{}", answer.1);
    answer.1.clone()
}

fn token(client: &Client) -> Option<&str> {
    client.token.as_deref()
}

fn fresh_email() -> String {
    format!("{}@corp.example.com", uuid::Uuid::new_v4().simple())
}

/// Group names the client can see.
async fn group_names(client: &Client) -> Vec<String> {
    let groups = assert_ok(&client.get("/api/v1/groups").await, 200);
    groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

/// An organization, one member signed in, a team with one message.
struct Setup {
    server: TestServer,
    org: String,
    alice_id: String,
    alice: Client,
    team: String,
    msg: String,
}

async fn setup(backend: Backend) -> Setup {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (alice_id, alice) = server.person(&org, "Alice Anders", "member").await;
    let team = assert_ok(
        &alice
            .post("/api/v1/groups", json!({"kind": "team", "name": "Ops"}))
            .await,
        201,
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let msg = alice.say(&team, "hello").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup {
        server,
        org,
        alice_id,
        alice,
        team,
        msg,
    }
}

impl Setup {
    /// JSON-taking endpoints with a body each would accept.
    fn json_endpoints(&self) -> Vec<(Method, String, Value)> {
        let (org, team, alice_id, msg) = (&self.org, &self.team, &self.alice_id, &self.msg);
        vec![
            (
                Method::POST,
                "/api/v1/groups".into(),
                json!({"kind": "team", "name": "New"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/groups/{team}"),
                json!({"name": "Renamed"}),
            ),
            (
                Method::POST,
                format!("/api/v1/groups/{team}/messages"),
                json!({"body": "hi", "client_txn_id": "t-1"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/messages/{msg}"),
                json!({"body": "edited"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/people/{alice_id}"),
                json!({"title": "Boss"}),
            ),
            (
                Method::POST,
                "/api/v1/me/tokens".into(),
                json!({"name": "script"}),
            ),
            (
                Method::POST,
                "/api/v1/direct".into(),
                json!({"person_ids": [alice_id]}),
            ),
            (
                Method::POST,
                format!("/api/v1/orgs/{org}/people"),
                json!({"email": "x@corp.example.com", "display_name": "X"}),
            ),
            (
                Method::POST,
                "/api/v1/auth/login".into(),
                json!({"email": "x@corp.example.com", "password": PASSWORD}),
            ),
        ]
    }

    /// Nothing the refused requests aimed at has changed.
    async fn assert_untouched(&self) {
        let team = assert_ok(
            &self
                .alice
                .get(&format!("/api/v1/groups/{}", self.team))
                .await,
            200,
        );
        assert_eq!(team["name"], "Ops");
        assert_eq!(team["member_count"], 1);
        let m = assert_ok(
            &self
                .alice
                .get(&format!("/api/v1/messages/{}", self.msg))
                .await,
            200,
        );
        assert_eq!(m["body"], "hello");
        assert_eq!(m["edited_at"], Value::Null);
        assert_eq!(m["reactions"], json!([]));
        assert_eq!(m["pinned"], Value::Null);
        let history = assert_ok(
            &self
                .alice
                .get(&format!("/api/v1/groups/{}/messages", self.team))
                .await,
            200,
        );
        assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
        assert_eq!(group_names(&self.alice).await, vec!["Ops"]);
        let me = assert_ok(&self.alice.get("/api/v1/me").await, 200);
        assert_eq!(me["title"], "");
        assert_eq!(
            assert_ok(&self.alice.get("/api/v1/me/tokens").await, 200),
            json!([])
        );
        let found = self.server.admin.get("/api/v1/people?q=x@corp").await;
        assert_eq!(assert_ok(&found, 200), json!([]));
    }
}

/// Ways to break a valid JSON body so that only its syntax is wrong.
fn broken(good: &Value) -> Vec<Vec<u8>> {
    let text = good.to_string();
    let mut trailing = text.clone().into_bytes();
    trailing.extend_from_slice(b" trailing");
    let truncated = text.as_bytes()[..text.len() - 1].to_vec();
    // Invalid UTF-8 inside the first string value.
    let colon = text.find(':').unwrap();
    let quote = colon + text[colon..].find('"').unwrap() + 1;
    let mut invalid_utf8 = text.as_bytes()[..quote].to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe");
    invalid_utf8.extend_from_slice(&text.as_bytes()[quote..]);
    vec![
        b"{".to_vec(),
        b"not json".to_vec(),
        Vec::new(),
        b"{'kind': 'single quotes'}".to_vec(),
        trailing,
        truncated,
        invalid_utf8,
        text.replacen(':', "=", 1).into_bytes(),
    ]
}

async fn malformed_json_is_400(backend: Backend) {
    let s = setup(backend).await;
    let admin = s.server.admin.token.clone();
    for (method, path, good) in s.json_endpoints() {
        let tok = if path.contains("/orgs/") {
            admin.as_deref()
        } else {
            token(&s.alice)
        };
        for body in broken(&good) {
            let what = format!("{method} {path} {:?}", String::from_utf8_lossy(&body));
            let r = raw(
                &s.server.base,
                tok,
                method.clone(),
                &path,
                Some("application/json"),
                Some(body),
            )
            .await;
            assert_json_error(&r, 400, Some("invalid_json"), &what);
        }
    }
    s.assert_untouched().await;
}

async fn mistyped_or_unknown_fields_are_422(backend: Backend) {
    let s = setup(backend).await;
    let admin = s.server.admin.token.clone();
    for (method, path, good) in s.json_endpoints() {
        let tok = if path.contains("/orgs/") {
            admin.as_deref()
        } else {
            token(&s.alice)
        };
        let mut unknown = good.clone();
        unknown["is_admin"] = json!(true);
        let mut mistyped = good.clone();
        let first = good.as_object().unwrap().keys().next().unwrap().clone();
        mistyped[&first] = json!({"nested": [1, 2]});
        let bad_bodies = [
            unknown,
            mistyped,
            json!([good.clone()]),
            json!(null),
            json!("string"),
            json!(42),
        ];
        for body in bad_bodies {
            let r = raw(
                &s.server.base,
                tok,
                method.clone(),
                &path,
                Some("application/json"),
                Some(serde_json::to_vec(&body).unwrap()),
            )
            .await;
            assert_json_error(
                &r,
                422,
                Some("invalid_body"),
                &format!("{method} {path} {body}"),
            );
        }
    }
    // Missing required fields too.
    for body in [json!({}), json!({"kind": "team"}), json!({"name": "x"})] {
        let answer = s.alice.post("/api/v1/groups", body.clone()).await;
        assert_error(&answer, 422, "invalid_body");
    }
    // A login with an unknown field is malformed, not a failed sign-in.
    let answer = s
        .server
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"email": "a@b.example.com", "password": PASSWORD, "remember": true}),
        )
        .await;
    assert_error(&answer, 422, "invalid_body");
    s.assert_untouched().await;
}

async fn bodies_must_be_labelled_json(backend: Backend) {
    let s = setup(backend).await;
    let admin = s.server.admin.token.clone();
    for (method, path, good) in s.json_endpoints() {
        let tok = if path.contains("/orgs/") {
            admin.as_deref()
        } else {
            token(&s.alice)
        };
        let bytes = serde_json::to_vec(&good).unwrap();
        for ct in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
            Some("json"),
        ] {
            let r = raw(
                &s.server.base,
                tok,
                method.clone(),
                &path,
                ct,
                Some(bytes.clone()),
            )
            .await;
            let what = format!("{method} {path} as {ct:?}");
            assert_json_error(&r, 415, Some("unsupported_media_type"), &what);
        }
    }
    s.assert_untouched().await;
    // Parameters and +json types are still JSON.
    for ct in [
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/vnd.courtyard+json",
    ] {
        let body = json!({"kind": "team", "name": format!("Typed {ct}")});
        let r = raw(
            &s.server.base,
            token(&s.alice),
            Method::POST,
            "/api/v1/groups",
            Some(ct),
            Some(serde_json::to_vec(&body).unwrap()),
        )
        .await;
        assert_eq!(r.status, 201, "{ct}: {r:?}");
    }
}

async fn oversized_bodies_are_413(backend: Backend) {
    let s = setup(backend).await;
    let filler = |n: usize| "a".repeat(n);
    let too_big = [
        (
            "/api/v1/groups".to_owned(),
            json!({"kind": "team", "name": "Big", "description": filler(MAX_REQUEST_BYTES)}),
        ),
        (
            format!("/api/v1/groups/{}/messages", s.team),
            json!({"body": filler(MAX_REQUEST_BYTES + 1), "client_txn_id": "big-1"}),
        ),
        (
            "/api/v1/auth/login".to_owned(),
            json!({"email": "a@b.example.com", "password": filler(1 << 20)}),
        ),
    ];
    for (path, body) in too_big {
        let bytes = serde_json::to_vec(&body).unwrap();
        assert!(bytes.len() > MAX_REQUEST_BYTES);
        let r = raw(
            &s.server.base,
            token(&s.alice),
            Method::POST,
            &path,
            Some("application/json"),
            Some(bytes),
        )
        .await;
        assert_json_error(&r, 413, Some("payload_too_large"), &path);
    }
    // Under the request limit but over a field's own limit: the field's error.
    let answer = s
        .alice
        .post(
            &format!("/api/v1/groups/{}/messages", s.team),
            json!({"body": filler(40 * 1024), "client_txn_id": "big-2"}),
        )
        .await;
    assert_error(&answer, 422, "message_too_long");
    let answer = s
        .alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Long", "description": filler(2001)}),
        )
        .await;
    assert_error(&answer, 422, "invalid_field");
    s.assert_untouched().await;
}

async fn malformed_ids_are_not_found(backend: Backend) {
    let s = setup(backend).await;
    let upper = s.team.to_uppercase();
    let simple = s.team.replace('-', "");
    let long = "a".repeat(4000);
    let bad_ids = [
        "nope",
        "0",
        upper.as_str(),
        simple.as_str(),
        "%7B01a2-not-a-uuid%7D",
        "1'%20OR%20'1'='1",
        "..%2F..%2Fetc%2Fpasswd",
        "%20",
        "%00",
        "%FF",
        "%C3%28",
        long.as_str(),
    ];
    let tok = token(&s.alice);
    for bad in bad_ids {
        let get_paths = [
            format!("/api/v1/orgs/{bad}"),
            format!("/api/v1/orgs/{bad}/departments"),
            format!("/api/v1/orgs/{bad}/partner-invitations"),
            format!("/api/v1/people/{bad}"),
            format!("/api/v1/groups/{bad}"),
            format!("/api/v1/groups/{bad}/members"),
            format!("/api/v1/groups/{bad}/messages"),
            format!("/api/v1/groups/{bad}/partners"),
            format!("/api/v1/groups/{bad}/pins"),
            format!("/api/v1/messages/{bad}"),
            format!("/api/v1/messages/{bad}/replies"),
            format!("/api/v1/messages/{bad}/receipts"),
            format!("/api/v1/orgs/{bad}/plugins"),
            format!("/api/v1/orgs/{bad}/plugins/{bad}/logs"),
            format!("/api/v1/orgs/{bad}/audit"),
            format!("/api/v1/groups/{bad}/plugins"),
            format!("/api/v1/groups/{bad}/commands"),
        ];
        for path in &get_paths {
            let r = raw(&s.server.base, tok, Method::GET, path, None, None).await;
            assert_json_error(&r, 404, Some("not_found"), &format!("GET {path}"));
        }
        let (team, me) = (&s.team, &s.alice_id);
        let writes = [
            (
                Method::PATCH,
                format!("/api/v1/groups/{bad}"),
                Some(json!({"name": "x"})),
            ),
            (
                Method::PATCH,
                format!("/api/v1/people/{bad}"),
                Some(json!({"title": "x"})),
            ),
            (Method::POST, format!("/api/v1/groups/{bad}/join"), None),
            (Method::POST, format!("/api/v1/groups/{bad}/leave"), None),
            (
                Method::DELETE,
                format!("/api/v1/groups/{team}/members/{bad}"),
                None,
            ),
            (
                Method::DELETE,
                format!("/api/v1/groups/{bad}/members/{me}"),
                None,
            ),
            (Method::DELETE, format!("/api/v1/me/tokens/{bad}"), None),
            (Method::PUT, format!("/api/v1/messages/{bad}/pin"), None),
            (
                Method::PUT,
                format!("/api/v1/messages/{bad}/reactions/ok"),
                None,
            ),
            (Method::DELETE, format!("/api/v1/messages/{bad}"), None),
            (
                Method::POST,
                format!("/api/v1/groups/{team}/members"),
                Some(json!({"person_id": bad})),
            ),
            (
                Method::POST,
                format!("/api/v1/groups/{team}/read"),
                Some(json!({"message_id": bad})),
            ),
            (
                Method::POST,
                "/api/v1/direct".to_owned(),
                Some(json!({"person_ids": [bad]})),
            ),
        ];
        for (method, path, body) in writes {
            let (ct, bytes) = match &body {
                Some(b) => (
                    Some("application/json"),
                    Some(serde_json::to_vec(b).unwrap()),
                ),
                None => (None, None),
            };
            let r = raw(&s.server.base, tok, method.clone(), &path, ct, bytes).await;
            assert_json_error(&r, 404, Some("not_found"), &format!("{method} {path}"));
        }
    }
    // A reaction is any short code, so a malformed one is invalid rather than missing; a
    // path segment that is not even UTF-8 names nothing at all.
    let too_long = "x".repeat(65);
    for (bad, status, code) in [
        ("%20", 422, "invalid_reaction"),
        ("a%20b", 422, "invalid_reaction"),
        ("%09", 422, "invalid_reaction"),
        (too_long.as_str(), 422, "invalid_reaction"),
        ("%FF", 404, "not_found"),
    ] {
        let path = format!("/api/v1/messages/{}/reactions/{bad}", s.msg);
        let r = raw(&s.server.base, tok, Method::PUT, &path, None, None).await;
        assert_json_error(&r, status, Some(code), &format!("PUT {path}"));
    }
    s.assert_untouched().await;
}

async fn unknown_routes_and_methods_answer_json(backend: Backend) {
    let s = setup(backend).await;
    let tok = token(&s.alice);
    let team = &s.team;
    for path in [
        "/api/v1/nope".to_owned(),
        "/api/v2/groups".to_owned(),
        "/api/v1/groups/".to_owned(),
        format!("/api/v1/groups/{team}/nope"),
        format!("/api/v1/groups/{team}/members/x/y"),
        "/api".to_owned(),
        // `/` and other paths without a file extension are the web client's (web_client.rs).
        "/favicon.ico".to_owned(),
        "/assets/missing-0000.js".to_owned(),
    ] {
        for t in [tok, None] {
            let r = raw(&s.server.base, t, Method::GET, &path, None, None).await;
            assert_json_error(&r, 404, Some("not_found"), &format!("GET {path}"));
        }
    }
    for (method, path) in [
        (Method::DELETE, "/api/v1/orgs".to_owned()),
        (Method::PUT, "/api/v1/groups".to_owned()),
        (Method::PATCH, "/api/v1/people".to_owned()),
        (Method::GET, "/api/v1/auth/login".to_owned()),
        (Method::GET, "/api/v1/direct".to_owned()),
        (Method::DELETE, format!("/api/v1/groups/{team}")),
        (Method::GET, format!("/api/v1/groups/{team}/join")),
        (Method::POST, "/api/v1/me".to_owned()),
        (Method::POST, "/healthz".to_owned()),
    ] {
        for t in [tok, None] {
            let r = raw(&s.server.base, t, method.clone(), &path, None, None).await;
            let what = format!("{method} {path}");
            assert_json_error(&r, 405, Some("method_not_allowed"), &what);
        }
    }
    s.assert_untouched().await;
}

async fn paging_parameters_are_clamped_or_refused(backend: Backend) {
    let s = setup(backend).await;
    let answer = s
        .server
        .admin
        .post(
            &format!("/api/v1/orgs/{}/people", s.org),
            json!({"email": fresh_email(), "display_name": "Bob Brown"}),
        )
        .await;
    assert_ok(&answer, 201);
    for i in 0..4 {
        s.alice.say(&s.team, &format!("more {i}")).await;
    }
    let history = format!("/api/v1/groups/{}/messages", s.team);
    let count = |answer: (u16, Value)| {
        assert_eq!(answer.0, 200, "{}", answer.1);
        answer.1.as_array().map(Vec::len).unwrap()
    };
    // Clamped into 1..=200.
    for (limit, expected) in [("1", 1), ("0", 1), ("-5", 1), ("3", 3), ("100000", 5)] {
        let n = count(s.alice.get(&format!("{history}?limit={limit}")).await);
        assert_eq!(n, expected, "history limit={limit}");
    }
    let n = count(s.alice.get(&format!("{history}?limit={}", i64::MAX)).await);
    assert_eq!(n, 5);
    let n = count(s.alice.get(&format!("{history}?limit={}", i64::MIN)).await);
    assert_eq!(n, 1);
    let n = count(s.alice.get(&format!("{history}?before=-1")).await);
    assert_eq!(n, 0);
    let n = count(s.alice.get(&format!("{history}?before={}", i64::MAX)).await);
    assert_eq!(n, 5);
    for (limit, expected) in [("-5", 1), ("0", 1), ("1", 1), ("100000", 2)] {
        let n = count(s.alice.get(&format!("/api/v1/people?limit={limit}")).await);
        assert_eq!(n, expected, "people limit={limit}");
        let replies = format!("/api/v1/messages/{}/replies?limit={limit}", s.msg);
        assert_eq!(count(s.alice.get(&replies).await), 0);
    }

    // Not numbers, too big for a number, or unknown: 400 JSON.
    let tok = token(&s.alice);
    for query in [
        "limit=abc",
        "limit=1.5",
        "limit=99999999999999999999",
        "limit=",
        "before=yesterday",
        "limit=1&limit=2",
        "page=2",
        "q=x",
    ] {
        let path = format!("{history}?{query}");
        let r = raw(&s.server.base, tok, Method::GET, &path, None, None).await;
        assert_json_error(&r, 400, Some("invalid_query"), &path);
    }
    for query in ["limit=abc", "limit=99999999999999999999", "sort=name"] {
        let path = format!("/api/v1/people?{query}");
        let r = raw(&s.server.base, tok, Method::GET, &path, None, None).await;
        assert_json_error(&r, 400, Some("invalid_query"), &path);
    }
}

async fn missing_or_bad_credentials_are_401(backend: Backend) {
    let s = setup(backend).await;
    let base = &s.server.base;
    let paths = [
        (Method::GET, "/api/v1/me".to_owned()),
        (Method::GET, "/api/v1/groups".to_owned()),
        (Method::GET, "/api/v1/people?q=alice".to_owned()),
        (Method::GET, format!("/api/v1/groups/{}/messages", s.team)),
        (Method::POST, "/api/v1/groups".to_owned()),
        (Method::POST, "/api/v1/auth/logout".to_owned()),
        (Method::DELETE, format!("/api/v1/messages/{}", s.msg)),
    ];
    let schemes: [(&str, Option<&str>); 6] = [
        ("none", None),
        ("Bearer", Some("Bearer")),
        ("Bearer garbage", Some("Bearer garbage")),
        ("Basic", Some("Basic YWRtaW46cGFzc3dvcmQ=")),
        ("lowercase bearer", Some("bearer cys_x")),
        ("huge", None),
    ];
    for (method, path) in &paths {
        for (label, header) in schemes {
            let mut req = reqwest::Client::new()
                .request(method.clone(), format!("{base}{path}"))
                .header("content-type", "application/json")
                // Even a malformed body: who is asking is settled first.
                .body("{");
            if let Some(h) = header {
                req = req.header("authorization", h);
            }
            if label == "huge" {
                req = req.bearer_auth(format!("cys_{}", "x".repeat(5000)));
            }
            let res = req.send().await.unwrap();
            let r = Raw {
                status: res.status().as_u16(),
                content_type: res
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default(),
                body: res.json().await.unwrap_or(Value::Null),
            };
            let what = format!("{method} {path} with {label}");
            assert_json_error(&r, 401, Some("unauthenticated"), &what);
        }
    }
    s.assert_untouched().await;
}

async fn invalid_field_values_are_422(backend: Backend) {
    let s = setup(backend).await;
    let admin = &s.server.admin;
    let people = format!("/api/v1/orgs/{}/people", s.org);
    let cases: Vec<(&Client, String, Value, &str)> = vec![
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "team", "name": ""}),
            "invalid_field",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "team", "name": "   "}),
            "invalid_field",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "team", "name": "x".repeat(101)}),
            "invalid_field",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "team", "name": "bell\u{7}"}),
            "invalid_field",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "Team", "name": "x"}),
            "invalid_kind",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "direct", "name": "x"}),
            "invalid_kind",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "team", "name": "x", "parent_id": s.team}),
            "invalid_field",
        ),
        (
            admin,
            "/api/v1/orgs".into(),
            json!({"name": "X", "slug": "Bad Slug"}),
            "invalid_slug",
        ),
        (
            admin,
            "/api/v1/orgs".into(),
            json!({"name": "X", "slug": "-x"}),
            "invalid_slug",
        ),
        (
            admin,
            "/api/v1/orgs".into(),
            json!({"name": ""}),
            "invalid_field",
        ),
        (
            admin,
            people.clone(),
            json!({"email": "not-an-email", "display_name": "X"}),
            "invalid_email",
        ),
        (
            admin,
            people.clone(),
            json!({"email": "a b@corp.example.com", "display_name": "X"}),
            "invalid_email",
        ),
        (
            admin,
            people.clone(),
            json!({"email": fresh_email(), "display_name": ""}),
            "invalid_field",
        ),
        (
            admin,
            people.clone(),
            json!({"email": fresh_email(), "display_name": "X", "role": "superuser"}),
            "invalid_role",
        ),
        (
            admin,
            people.clone(),
            json!({"email": fresh_email(), "display_name": "X", "password": "short"}),
            "weak_password",
        ),
        (
            admin,
            people.clone(),
            json!({"email": fresh_email(), "display_name": "X", "avatar_url": "javascript:alert(1)"}),
            "invalid_field",
        ),
        (
            admin,
            people.clone(),
            json!({"email": fresh_email(), "display_name": "X", "phone": "1".repeat(41)}),
            "invalid_field",
        ),
        (
            &s.alice,
            format!("/api/v1/groups/{}/members", s.team),
            json!({"person_id": s.alice_id, "role": "king"}),
            "invalid_role",
        ),
    ];
    for (client, path, body, code) in cases {
        let answer = client.post(&path, body.clone()).await;
        assert_eq!(answer.0, 422, "POST {path} {body}: {}", answer.1);
        assert_error(&answer, 422, code);
    }
    let me = format!("/api/v1/people/{}", s.alice_id);
    for (body, code) in [
        (json!({"display_name": ""}), "invalid_field"),
        (json!({"title": "t".repeat(101)}), "invalid_field"),
        (json!({"avatar_url": "ftp://x"}), "invalid_field"),
    ] {
        assert_error(&s.alice.patch(&me, body).await, 422, code);
    }
    for (body, code) in [
        (json!({"title": "Boss", "role": "emperor"}), "invalid_role"),
        (
            json!({"title": "Boss", "status": "sleeping"}),
            "invalid_status",
        ),
    ] {
        assert_error(&admin.patch(&me, body).await, 422, code);
    }
    let orgs = assert_ok(&admin.get("/api/v1/orgs").await, 200);
    assert_eq!(orgs.as_array().unwrap().len(), 2, "{orgs}");
    s.assert_untouched().await;
}

async fn refused_requests_leave_nothing_behind(backend: Backend) {
    let s = setup(backend).await;
    let other = s.server.org("Other").await;
    let (bob_id, bob) = s.server.person(&s.org, "Bob Brown", "member").await;
    let stranger = assert_ok(
        &s.server
            .admin
            .post(
                &format!("/api/v1/orgs/{other}/people"),
                json!({"email": fresh_email(), "display_name": "Stranger"}),
            )
            .await,
        201,
    );
    let stranger_id = stranger["id"].as_str().unwrap();

    // A group whose member list fails part way is not created, for anyone.
    let unknown = uuid::Uuid::now_v7().to_string();
    for (members, status, code) in [
        (json!([bob_id, unknown]), 404, "not_found"),
        (json!([bob_id, "nope"]), 404, "not_found"),
        (json!([bob_id, stranger_id]), 404, "not_found"),
    ] {
        let answer = s
            .alice
            .post(
                "/api/v1/groups",
                json!({"kind": "team", "name": "Half made", "member_ids": members}),
            )
            .await;
        assert_error(&answer, status, code);
    }
    // The platform admin sees the stranger, and is told they belong elsewhere.
    let answer = s
        .server
        .admin
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Half made", "org_id": s.org, "member_ids": [stranger_id]}),
        )
        .await;
    assert_error(&answer, 422, "cross_org_member");
    for client in [&s.alice, &bob] {
        assert!(!group_names(client).await.contains(&"Half made".to_owned()));
    }

    // A person refused for any reason is not created: the same email works afterwards.
    let people = format!("/api/v1/orgs/{}/people", s.org);
    let email = fresh_email();
    let missing_dept = uuid::Uuid::now_v7().to_string();
    for (extra, status, code) in [
        (json!({"department_id": missing_dept}), 404, "not_found"),
        (json!({"department_id": s.team}), 404, "not_found"),
        (json!({"password": "short"}), 422, "weak_password"),
        (json!({"role": "platform_owner"}), 422, "invalid_role"),
        (json!({"title": "x".repeat(101)}), 422, "invalid_field"),
    ] {
        let mut body = json!({"email": email, "display_name": "Once Only"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let answer = s.server.admin.post(&people, body).await;
        assert_error(&answer, status, code);
    }
    let found = s.server.admin.get("/api/v1/people?q=once only").await;
    assert_eq!(assert_ok(&found, 200), json!([]));
    let created = s
        .server
        .admin
        .post(
            &people,
            json!({"email": email, "display_name": "Once Only"}),
        )
        .await;
    assert_ok(&created, 201);
    // Emails are unique whatever their case; the duplicate changes nothing.
    let answer = s
        .server
        .admin
        .post(
            &people,
            json!({"email": email.to_uppercase(), "display_name": "Twice"}),
        )
        .await;
    assert_error(&answer, 409, "conflict");
    let found = assert_ok(&s.server.admin.get("/api/v1/people?q=twice").await, 200);
    assert_eq!(found, json!([]));

    // Organizations: a duplicate slug is refused and leaves the list as it was.
    let before = assert_ok(&s.server.admin.get("/api/v1/orgs").await, 200);
    let answer = s
        .server
        .admin
        .post(
            "/api/v1/orgs",
            json!({"name": "Acme Again", "slug": "acme"}),
        )
        .await;
    assert_error(&answer, 409, "conflict");
    assert_eq!(
        assert_ok(&s.server.admin.get("/api/v1/orgs").await, 200),
        before
    );

    // A direct conversation with too many people is not opened.
    let mut crowd = Vec::new();
    for i in 0..20 {
        let p = s
            .server
            .admin
            .post(
                &people,
                json!({"email": fresh_email(), "display_name": format!("Crowd {i}")}),
            )
            .await;
        crowd.push(assert_ok(&p, 201)["id"].as_str().unwrap().to_owned());
    }
    let answer = s
        .alice
        .post("/api/v1/direct", json!({"person_ids": crowd}))
        .await;
    assert_error(&answer, 422, "too_many_members");
    let answer = s
        .alice
        .post("/api/v1/direct", json!({"person_ids": []}))
        .await;
    assert_error(&answer, 422, "invalid_members");

    // A group update refused half way changes nothing, not even the valid parts.
    let answer = s
        .alice
        .patch(
            &format!("/api/v1/groups/{}", s.team),
            json!({"name": "Renamed", "description": "ok", "parent_id": s.team}),
        )
        .await;
    assert_error(&answer, 422, "invalid_field");
    let answer = s
        .alice
        .patch(
            &format!("/api/v1/groups/{}", s.team),
            json!({"name": "Renamed", "description": "bad\u{0}"}),
        )
        .await;
    assert_error(&answer, 422, "invalid_field");
    let answer = s
        .server
        .admin
        .patch(
            &format!("/api/v1/people/{}", s.alice_id),
            json!({"title": "Boss", "department_id": missing_dept}),
        )
        .await;
    assert_error(&answer, 404, "not_found");
    assert_eq!(group_names(&s.alice).await, vec!["Ops"]);
    s.assert_untouched().await;
}

/// NUL and other control characters are refused or ignored before they reach storage
/// (PostgreSQL rejects NUL in text outright, which must never surface as a 500).
async fn control_characters_never_reach_storage(backend: Backend) {
    let s = setup(backend).await;
    let base = &s.server.base;
    let answer = s
        .server
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"email": "alice\u{0}@corp.example.com", "password": PASSWORD}),
        )
        .await;
    assert_error(&answer, 401, "unauthenticated");
    let answer = s
        .server
        .client()
        .post(
            "/api/v1/auth/login",
            json!({"email": "\u{0}", "password": "\u{0}"}),
        )
        .await;
    assert_error(&answer, 401, "unauthenticated");
    let answer = s
        .server
        .client()
        .post(
            "/api/v1/setup",
            json!({"setup_token": "\u{0}", "email": "a@b.example.com", "password": PASSWORD,
                   "display_name": "X", "org_name": "Y"}),
        )
        .await;
    assert_error(&answer, 403, "forbidden");

    let people = format!("/api/v1/orgs/{}/people", s.org);
    let posts: Vec<(&Client, String, Value, &str)> = vec![
        (
            &s.server.admin,
            people.clone(),
            json!({"email": "a\u{0}b@corp.example.com", "display_name": "X"}),
            "invalid_email",
        ),
        (
            &s.server.admin,
            people.clone(),
            json!({"email": fresh_email(), "display_name": "a\u{0}b"}),
            "invalid_field",
        ),
        (
            &s.server.admin,
            "/api/v1/orgs".into(),
            json!({"name": "Org\u{0}"}),
            "invalid_field",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "team", "name": "a\u{0}b"}),
            "invalid_field",
        ),
        (
            &s.alice,
            "/api/v1/groups".into(),
            json!({"kind": "te\u{0}am", "name": "x"}),
            "invalid_kind",
        ),
        (
            &s.alice,
            format!("/api/v1/groups/{}/messages", s.team),
            json!({"body": "a\u{0}b", "client_txn_id": "n-1"}),
            "invalid_characters",
        ),
        (
            &s.alice,
            "/api/v1/me/tokens".into(),
            json!({"name": "a\u{0}b"}),
            "invalid_field",
        ),
    ];
    for (client, path, body, code) in posts {
        let answer = client.post(&path, body.clone()).await;
        assert_eq!(answer.0, 422, "POST {path} {body}: {}", answer.1);
        assert_error(&answer, 422, code);
    }
    let me = format!("/api/v1/people/{}", s.alice_id);
    assert_error(
        &s.alice.patch(&me, json!({"title": "\u{0}"})).await,
        422,
        "invalid_field",
    );
    let tok = token(&s.alice);
    for (method, path, status, code) in [
        (
            Method::PUT,
            format!("/api/v1/messages/{}/reactions/%00", s.msg),
            422,
            "invalid_reaction",
        ),
        (
            Method::DELETE,
            "/api/v1/me/tokens/%00".to_owned(),
            404,
            "not_found",
        ),
        (
            Method::GET,
            "/api/v1/people?q=%00".to_owned(),
            422,
            "invalid_query",
        ),
        (
            Method::GET,
            format!("/api/v1/groups/{}/messages?before=%00", s.team),
            400,
            "invalid_query",
        ),
    ] {
        let r = raw(base, tok, method.clone(), &path, None, None).await;
        assert_json_error(&r, status, Some(code), &format!("{method} {path}"));
    }
    // Inside a longer query a control character is just dropped.
    let found = assert_ok(&s.alice.get("/api/v1/people?q=ali%00ce").await, 200);
    assert_eq!(found[0]["id"], s.alice_id.as_str());
    s.assert_untouched().await;
}

/// Found by Schemathesis (tests/schemathesis/run.sh): an admin could reset their own
/// password through the admin endpoint without the current one, so a stolen admin session
/// was enough to take the account over for good (and the reset ended the session itself).
/// One's own password changes only with `POST /api/v1/me/password`.
async fn admins_cannot_reset_their_own_password(backend: Backend) {
    let s = setup(backend).await;
    let (olga_id, olga) = s.server.person(&s.org, "Olga Admin", "org_admin").await;
    let own = format!("/api/v1/people/{olga_id}/password");
    assert_error(
        &olga
            .post(&own, json!({"password": "a new password of mine"}))
            .await,
        403,
        "forbidden",
    );
    let (_, me) = s.server.admin.get("/api/v1/me").await;
    let platform_own = format!("/api/v1/people/{}/password", me["id"].as_str().unwrap());
    assert_error(
        &s.server
            .admin
            .post(&platform_own, json!({"password": "a new password of mine"}))
            .await,
        403,
        "forbidden",
    );
    // Both sessions survive, and the old passwords still work.
    let olga_me = assert_ok(&olga.get("/api/v1/me").await, 200);
    assert_ok(&s.server.admin.get("/api/v1/me").await, 200);
    Client::login(&s.server.base, olga_me["email"].as_str().unwrap(), PASSWORD).await;
    // Someone else's password is still theirs to reset.
    let alice = format!("/api/v1/people/{}/password", s.alice_id);
    let (status, _) = olga
        .post(&alice, json!({"password": "a reset password"}))
        .await;
    assert_eq!(status, 204);
}

both_backends!(
    malformed_json_is_400,
    mistyped_or_unknown_fields_are_422,
    bodies_must_be_labelled_json,
    oversized_bodies_are_413,
    malformed_ids_are_not_found,
    unknown_routes_and_methods_answer_json,
    paging_parameters_are_clamped_or_refused,
    missing_or_bad_credentials_are_401,
    invalid_field_values_are_422,
    refused_requests_leave_nothing_behind,
    control_characters_never_reach_storage,
    admins_cannot_reset_their_own_password,
);
