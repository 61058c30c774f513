//! Authorization end to end: isolation between organizations, guests, roles, departments,
//! cross-company shared groups, group membership rules, direct messages and authentication
//! (passwords, disabled accounts, sessions, tokens, rate limiting, cookies and CSRF, setup).

use crate::common::{Backend, Client, PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Asserts an error answer: the status, the stable `code` and a human `message`.
#[track_caller]
fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "expected {status} {code}, got {got}: {body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error without a message: {body}"
    );
}

#[track_caller]
fn assert_ok(answer: &(u16, Value), status: u16) -> Value {
    assert_eq!(answer.0, status, "{}", answer.1);
    answer.1.clone()
}

/// The `field` of every object in a JSON array.
fn field_of(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {list}"))
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    field_of(list, "id")
}

/// Creates a group and returns its id.
async fn group(client: &Client, body: Value) -> String {
    let answer = client.post("/api/v1/groups", body).await;
    let g = assert_ok(&answer, 201);
    g["id"].as_str().unwrap().to_owned()
}

async fn team(client: &Client, name: &str) -> String {
    group(client, json!({"kind": "team", "name": name})).await
}

fn fresh_email(tag: &str) -> String {
    format!("{tag}.{}@corp.example.com", uuid::Uuid::new_v4().simple())
}

/// Creates a person (as the platform admin) with a known email, signed in.
async fn person_with_email(
    server: &TestServer,
    org: &str,
    name: &str,
    role: &str,
) -> (String, String, Client) {
    let email = fresh_email("p");
    let (status, p) = server
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": email, "display_name": name, "password": PASSWORD, "role": role}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let client = Client::login(&server.base, &email, PASSWORD).await;
    (p["id"].as_str().unwrap().to_owned(), email, client)
}

/// Creates a person who never signs in (no password: cheap).
async fn someone(server: &TestServer, org: &str, body: Value) -> Value {
    let mut body = body;
    if body.get("email").is_none() {
        body["email"] = json!(fresh_email("np"));
    }
    let answer = server
        .admin
        .post(&format!("/api/v1/orgs/{org}/people"), body)
        .await;
    assert_ok(&answer, 201)
}

fn anonymous(base: &str) -> Client {
    Client {
        base: base.to_owned(),
        http: reqwest::Client::new(),
        token: None,
    }
}

/// A sign-in attempt without the harness (which insists on success).
async fn try_login(base: &str, email: &str, password: &str) -> (u16, Value) {
    anonymous(base)
        .post(
            "/api/v1/auth/login",
            json!({"email": email, "password": password}),
        )
        .await
}

fn with_token(base: &str, token: &str) -> Client {
    Client {
        token: Some(token.to_owned()),
        ..anonymous(base)
    }
}

async fn members_of(client: &Client, group: &str) -> Vec<String> {
    let answer = client.get(&format!("/api/v1/groups/{group}/members")).await;
    field_of(&assert_ok(&answer, 200), "person_id")
}

async fn my_group_ids(client: &Client) -> Vec<String> {
    ids(&assert_ok(&client.get("/api/v1/groups").await, 200))
}

// ---------------------------------------------------------------------------------------
// Cross-organization isolation
// ---------------------------------------------------------------------------------------

/// Two organizations with a bit of everything in A.
struct TwoOrgs {
    server: TestServer,
    a: String,
    b: String,
    admin_a: Client,
    alice_id: String,
    alice_email: String,
    alice: Client,
    admin_b: Client,
    bob_id: String,
    bob: Client,
    guest_b: Client,
    dept: String,
    team: String,
    interest: String,
    news: String,
    shared: String,
    msg: String,
}

async fn two_orgs(backend: Backend) -> TwoOrgs {
    let server = TestServer::start(backend).await;
    let a = server.org("Acme").await;
    let b = server.org("Beta").await;
    let (_, admin_a) = server.person(&a, "Ada Admin", "org_admin").await;
    let (alice_id, alice_email, alice) =
        person_with_email(&server, &a, "Alice Anders", "member").await;
    let (_, admin_b) = server.person(&b, "Bert Admin", "org_admin").await;
    let (bob_id, bob) = server.person(&b, "Bob Brown", "member").await;
    let (_, guest_b) = server.person(&b, "Gus Guest", "guest").await;
    let dept = group(
        &admin_a,
        json!({"kind": "department", "name": "Acme Engineering"}),
    )
    .await;
    let team = team(&alice, "Acme Ops").await;
    let interest = group(&alice, json!({"kind": "interest", "name": "Acme Hiking"})).await;
    let news = group(
        &admin_a,
        json!({"kind": "announcement", "name": "Acme News"}),
    )
    .await;
    let shared = group(&admin_a, json!({"kind": "shared", "name": "Acme Shared"})).await;
    let msg = alice.say(&team, "secret plans").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    TwoOrgs {
        server,
        a,
        b,
        admin_a,
        alice_id,
        alice_email,
        alice,
        admin_b,
        bob_id,
        bob,
        guest_b,
        dept,
        team,
        interest,
        news,
        shared,
        msg,
    }
}

async fn other_orgs_objects_are_not_found(backend: Backend) {
    let w = two_orgs(backend).await;
    let (a, alice_id, msg) = (&w.a, &w.alice_id, &w.msg);
    let mut paths = vec![
        format!("/api/v1/orgs/{a}"),
        format!("/api/v1/orgs/{a}/departments"),
        format!("/api/v1/orgs/{a}/partner-invitations"),
        format!("/api/v1/people/{alice_id}"),
        format!("/api/v1/messages/{msg}"),
        format!("/api/v1/messages/{msg}/replies"),
        format!("/api/v1/messages/{msg}/receipts"),
    ];
    for g in [&w.dept, &w.team, &w.interest, &w.news, &w.shared] {
        for tail in ["", "/members", "/messages", "/partners", "/pins"] {
            paths.push(format!("/api/v1/groups/{g}{tail}"));
        }
    }
    for (who, viewer) in [
        ("admin", &w.admin_b),
        ("member", &w.bob),
        ("guest", &w.guest_b),
    ] {
        for path in &paths {
            let answer = viewer.get(path).await;
            assert_eq!(answer.0, 404, "B's {who} GET {path}: {}", answer.1);
            assert_error(&answer, 404, "not_found");
        }
    }

    let a_groups = [&w.dept, &w.team, &w.interest, &w.news, &w.shared];
    for viewer in [&w.admin_b, &w.bob, &w.guest_b] {
        let groups = assert_ok(&viewer.get("/api/v1/groups").await, 200);
        for g in groups.as_array().unwrap() {
            assert_ne!(&g["org_id"], a, "A's group listed for B: {g}");
        }
        assert!(ids(&groups).iter().all(|id| !a_groups.contains(&id)));

        let everyone = assert_ok(&viewer.get("/api/v1/people?limit=200").await, 200);
        assert!(
            everyone
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["org_id"] != *a),
            "A's people listed for B: {everyone}"
        );
        // (Queries avoid hex digits: test emails are random hex.)
        for q in ["alice", "anders", "acme", "engineering"] {
            let found = assert_ok(&viewer.get(&format!("/api/v1/people?q={q}")).await, 200);
            assert_eq!(found, json!([]), "searching {q:?} from B");
        }

        let orgs = assert_ok(&viewer.get("/api/v1/orgs").await, 200);
        assert_eq!(ids(&orgs), vec![w.b.clone()], "{orgs}");

        // Nor does anything of A come through the event log.
        let mut since = 0;
        loop {
            let page = viewer
                .get(&format!("/api/v1/events?since={since}&limit=500"))
                .await;
            let page = assert_ok(&page, 200);
            for event in page["events"].as_array().unwrap() {
                let group = event["group_id"].as_str().unwrap_or_default();
                assert!(!a_groups.iter().any(|g| *g == group), "{event}");
                let text = event.to_string();
                assert!(!text.contains("secret plans"), "{event}");
                assert!(!text.contains(&w.alice_id), "{event}");
            }
            since = page["next_since"].as_i64().unwrap();
            if page["more"] != true {
                break;
            }
        }
    }
}

async fn other_orgs_ids_are_not_found_for_writes(backend: Backend) {
    let w = two_orgs(backend).await;
    let (a, b, alice_id, msg) = (&w.a, &w.b, &w.alice_id, &w.msg);
    let (a_team, interest, shared) = (&w.team, &w.interest, &w.shared);
    let intruder_email = fresh_email("intruder");
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/orgs/{a}"),
            Some(json!({"name": "Pwned"})),
        ),
        (
            Method::POST,
            format!("/api/v1/orgs/{a}/people"),
            Some(
                json!({"email": intruder_email, "display_name": "Intruder", "password": PASSWORD}),
            ),
        ),
        (
            Method::PATCH,
            format!("/api/v1/people/{alice_id}"),
            Some(json!({"title": "Pwned"})),
        ),
        (
            Method::POST,
            format!("/api/v1/people/{alice_id}/password"),
            Some(json!({"password": "a new password 123"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/groups/{a_team}"),
            Some(json!({"name": "Pwned"})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{a_team}/members"),
            Some(json!({"person_id": w.bob_id})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/groups/{a_team}/members/{alice_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{interest}/join"),
            None,
        ),
        (Method::POST, format!("/api/v1/groups/{a_team}/leave"), None),
        (
            Method::POST,
            format!("/api/v1/groups/{a_team}/messages"),
            Some(json!({"body": "pwned", "client_txn_id": "x1"})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{a_team}/read"),
            Some(json!({"message_id": msg})),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{shared}/partners"),
            Some(json!({"org_id": b})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/messages/{msg}"),
            Some(json!({"body": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/messages/{msg}"), None),
        (
            Method::PUT,
            format!("/api/v1/messages/{msg}/reactions/thumbsup"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/messages/{msg}/reactions/thumbsup"),
            None,
        ),
        (Method::PUT, format!("/api/v1/messages/{msg}/pin"), None),
        (Method::DELETE, format!("/api/v1/messages/{msg}/pin"), None),
        (
            Method::POST,
            "/api/v1/direct".to_owned(),
            Some(json!({"person_ids": [alice_id]})),
        ),
        (
            Method::POST,
            "/api/v1/groups".to_owned(),
            Some(json!({"kind": "team", "name": "Sneaky", "org_id": a})),
        ),
        (
            Method::POST,
            "/api/v1/groups".to_owned(),
            Some(json!({"kind": "team", "name": "Sneaky", "member_ids": [alice_id]})),
        ),
        (
            Method::POST,
            format!("/api/v1/orgs/{a}/partner-invitations/{shared}/accept"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/orgs/{a}/partner-invitations/{shared}/decline"),
            None,
        ),
    ];
    for (who, actor) in [("admin", &w.admin_b), ("member", &w.bob)] {
        for (method, path, body) in &attempts {
            let answer = actor.request(method.clone(), path, body.clone()).await;
            assert_eq!(answer.0, 404, "B's {who} {method} {path}: {}", answer.1);
            assert_error(&answer, 404, "not_found");
        }
    }

    // Ids of A's objects inside B's own requests are just as unknown.
    let b_team = team(&w.admin_b, "Beta Ops").await;
    let b_msg = w.admin_b.say(&b_team, "ours").await;
    let (bob_id, dept) = (&w.bob_id, &w.dept);
    let embedded: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/people/{bob_id}"),
            json!({"department_id": dept}),
        ),
        (
            Method::POST,
            "/api/v1/groups".to_owned(),
            json!({"kind": "department", "name": "Under A", "parent_id": dept}),
        ),
        (
            Method::POST,
            "/api/v1/groups".to_owned(),
            json!({"kind": "department", "name": "Headed by A", "head_id": alice_id}),
        ),
        (
            Method::POST,
            format!("/api/v1/orgs/{b}/people"),
            json!({"email": fresh_email("x"), "display_name": "X", "department_id": dept}),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b_team}/members"),
            json!({"person_id": alice_id}),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b_team}/read"),
            json!({"message_id": msg}),
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{b_team}/messages"),
            json!({"body": "re", "client_txn_id": "t1", "thread_root_id": msg}),
        ),
    ];
    for (method, path, body) in &embedded {
        let answer = w
            .admin_b
            .request(method.clone(), path, Some(body.clone()))
            .await;
        assert_eq!(answer.0, 404, "{method} {path} {body}: {}", answer.1);
        assert_error(&answer, 404, "not_found");
    }
    assert_eq!(b_msg["reply_count"], 0);

    // Nothing in A changed.
    let m = assert_ok(&w.alice.get(&format!("/api/v1/messages/{msg}")).await, 200);
    assert_eq!(m["body"], "secret plans");
    assert_eq!(m["deleted"], false);
    assert_eq!(m["reactions"], json!([]));
    assert_eq!(m["pinned"], Value::Null);
    let history = assert_ok(
        &w.alice
            .get(&format!("/api/v1/groups/{a_team}/messages"))
            .await,
        200,
    );
    assert_eq!(ids(&history), vec![msg.clone()]);
    let t = assert_ok(&w.alice.get(&format!("/api/v1/groups/{a_team}")).await, 200);
    assert_eq!(t["name"], "Acme Ops");
    assert_eq!(members_of(&w.alice, a_team).await, vec![alice_id.clone()]);
    assert_eq!(members_of(&w.alice, interest).await, vec![alice_id.clone()]);
    let me = assert_ok(&w.alice.get("/api/v1/me").await, 200);
    assert_eq!(me["title"], "");
    Client::login(&w.server.base, &w.alice_email, PASSWORD).await;
    let org = assert_ok(&w.admin_a.get(&format!("/api/v1/orgs/{a}")).await, 200);
    assert_eq!(org["name"], "Acme");
    let found = w
        .server
        .admin
        .get(&format!("/api/v1/people?q={intruder_email}"))
        .await;
    assert_eq!(assert_ok(&found, 200), json!([]));
    let partners = w
        .admin_a
        .get(&format!("/api/v1/groups/{shared}/partners"))
        .await;
    assert_eq!(assert_ok(&partners, 200), json!([]));
    let bob = assert_ok(&w.bob.get("/api/v1/me").await, 200);
    assert_eq!(bob["department_id"], Value::Null);
}

// ---------------------------------------------------------------------------------------
// Guests
// ---------------------------------------------------------------------------------------

async fn guests_see_only_what_they_share(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&org, "Alice Anders", "member").await;
    let carol = someone(&server, &org, json!({"display_name": "Carol Chen"})).await;
    let carol_id = carol["id"].as_str().unwrap();
    let (guest_id, guest) = server.person(&org, "Gus Guest", "guest").await;

    let dept = group(&admin, json!({"kind": "department", "name": "Sales"})).await;
    let interest = group(&alice, json!({"kind": "interest", "name": "Hiking"})).await;
    let news = group(&admin, json!({"kind": "announcement", "name": "News"})).await;
    let project = group(
        &alice,
        json!({"kind": "team", "name": "Project X", "member_ids": [guest_id]}),
    )
    .await;
    let other = team(&alice, "Internal").await;
    alice.say(&project, "hello guest").await;

    // Staff see the discoverable groups; the guest only the team they are in.
    let staff_view = my_group_ids(&alice).await;
    for g in [&dept, &interest, &news, &project, &other] {
        assert!(staff_view.contains(g), "alice should see {g}");
    }
    assert_eq!(my_group_ids(&guest).await, vec![project.clone()]);
    for g in [&dept, &interest, &news, &other] {
        assert_error(
            &guest.get(&format!("/api/v1/groups/{g}")).await,
            404,
            "not_found",
        );
        assert_error(
            &guest
                .post(&format!("/api/v1/groups/{g}/join"), json!({}))
                .await,
            404,
            "not_found",
        );
    }
    let history = assert_ok(
        &guest
            .get(&format!("/api/v1/groups/{project}/messages"))
            .await,
        200,
    );
    assert_eq!(history[0]["body"], "hello guest");
    assert_error(
        &guest.get(&format!("/api/v1/orgs/{org}/departments")).await,
        404,
        "not_found",
    );

    // The directory: only people sharing a group (and themselves), not the whole org.
    let listed = assert_ok(&guest.get("/api/v1/people?limit=200").await, 200);
    let mut names = field_of(&listed, "display_name");
    names.sort();
    assert_eq!(names, vec!["Alice Anders", "Gus Guest"]);
    for q in ["carol", "chen", "admin"] {
        let found = assert_ok(&guest.get(&format!("/api/v1/people?q={q}")).await, 200);
        assert_eq!(found, json!([]), "guest searching {q:?}");
    }
    let found = assert_ok(&guest.get("/api/v1/people?q=alice").await, 200);
    assert_eq!(ids(&found), vec![alice_id.clone()]);
    assert_ok(&guest.get(&format!("/api/v1/people/{alice_id}")).await, 200);
    assert_error(
        &guest.get(&format!("/api/v1/people/{carol_id}")).await,
        404,
        "not_found",
    );
    // Staff still see the whole organization, guests included.
    let staff = assert_ok(&alice.get("/api/v1/people?q=carol").await, 200);
    assert_eq!(ids(&staff), vec![carol_id.to_owned()]);

    // Guests create nothing and cannot reach strangers by direct message.
    let before = my_group_ids(&guest).await;
    for kind in ["team", "interest", "announcement", "department", "shared"] {
        let answer = guest
            .post(
                "/api/v1/groups",
                json!({"kind": kind, "name": "Guest made"}),
            )
            .await;
        assert_error(&answer, 403, "forbidden");
    }
    assert_error(
        &guest
            .post("/api/v1/direct", json!({"person_ids": [carol_id]}))
            .await,
        404,
        "not_found",
    );
    assert_eq!(my_group_ids(&guest).await, before);
    let everything = assert_ok(&admin.get("/api/v1/groups").await, 200);
    assert!(
        !field_of(&everything, "name").contains(&"Guest made".to_owned()),
        "{everything}"
    );
    // A direct conversation with someone they share a group with is fine.
    let dm = assert_ok(
        &guest
            .post("/api/v1/direct", json!({"person_ids": [alice_id]}))
            .await,
        200,
    );
    assert_eq!(dm["kind"], "direct");
}

// ---------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------

async fn members_cannot_administer(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (alice_id, alice) = server.person(&org, "Alice Anders", "member").await;
    let carol = someone(&server, &org, json!({"display_name": "Carol Chen"})).await;
    let carol_id = carol["id"].as_str().unwrap();
    let email = fresh_email("made-by-member");
    let people_path = format!("/api/v1/orgs/{org}/people");

    let refused = [
        (
            "/api/v1/groups",
            json!({"kind": "department", "name": "Shadow Dept"}),
        ),
        (
            "/api/v1/groups",
            json!({"kind": "shared", "name": "Shadow Shared"}),
        ),
        (
            people_path.as_str(),
            json!({"email": email, "display_name": "Nobody"}),
        ),
        ("/api/v1/orgs", json!({"name": "Shadow Org"})),
    ];
    for (path, body) in &refused {
        assert_error(&alice.post(path, body.clone()).await, 403, "forbidden");
    }
    assert_error(
        &alice
            .patch(&format!("/api/v1/orgs/{org}"), json!({"name": "Mine"}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &alice
            .patch(
                &format!("/api/v1/people/{carol_id}"),
                json!({"title": "Intern"}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &alice
            .post(
                &format!("/api/v1/people/{carol_id}/password"),
                json!({"password": "another password 1"}),
            )
            .await,
        403,
        "forbidden",
    );
    for body in [
        json!({"role": "org_admin"}),
        json!({"role": "member"}),
        json!({"status": "active"}),
        json!({"department_id": null}),
        json!({"company": "Elsewhere"}),
    ] {
        assert_error(
            &alice
                .patch(&format!("/api/v1/people/{alice_id}"), body)
                .await,
            403,
            "forbidden",
        );
    }

    // Nothing was made or changed.
    let tree = assert_ok(
        &alice.get(&format!("/api/v1/orgs/{org}/departments")).await,
        200,
    );
    assert_eq!(tree, json!([]));
    let found = server.admin.get(&format!("/api/v1/people?q={email}")).await;
    assert_eq!(assert_ok(&found, 200), json!([]));
    let orgs = assert_ok(&server.admin.get("/api/v1/orgs").await, 200);
    assert!(!field_of(&orgs, "name").contains(&"Shadow Org".to_owned()));
    let me = assert_ok(&alice.get("/api/v1/me").await, 200);
    assert_eq!(me["role"], "member");

    // What members may do: their own profile, teams and interest groups.
    let me = alice
        .patch(
            &format!("/api/v1/people/{alice_id}"),
            json!({"title": "Engineer"}),
        )
        .await;
    assert_eq!(assert_ok(&me, 200)["title"], "Engineer");
    team(&alice, "Alice's team").await;
    group(&alice, json!({"kind": "interest", "name": "Chess"})).await;
    group(
        &alice,
        json!({"kind": "announcement", "name": "Alice says"}),
    )
    .await;
}

async fn org_admins_administer_their_own_org_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = server.org("Acme").await;
    let b = server.org("Beta").await;
    let (admin_id, admin) = server.person(&a, "Ada Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&a, "Alice Anders", "member").await;

    // Within A: departments, shared groups, people of every ordinary role, settings.
    let dept = assert_ok(
        &admin
            .post(
                "/api/v1/groups",
                json!({"kind": "department", "name": "Engineering"}),
            )
            .await,
        201,
    );
    assert_eq!(dept["org_id"], a.as_str());
    let shared = assert_ok(
        &admin
            .post("/api/v1/groups", json!({"kind": "shared", "name": "Joint"}))
            .await,
        201,
    );
    assert_eq!(shared["external"], true);
    for role in ["member", "guest", "org_admin"] {
        let p = admin
            .post(
                &format!("/api/v1/orgs/{a}/people"),
                json!({"email": fresh_email(role), "display_name": format!("New {role}"), "role": role}),
            )
            .await;
        assert_eq!(assert_ok(&p, 201)["role"], role);
    }
    let settings = admin
        .patch(
            &format!("/api/v1/orgs/{a}"),
            json!({"anonymous_posts_enabled": true}),
        )
        .await;
    assert_eq!(assert_ok(&settings, 200)["anonymous_posts_enabled"], true);

    // Outside A: nothing.
    assert_error(
        &admin
            .post(
                &format!("/api/v1/orgs/{b}/people"),
                json!({"email": fresh_email("b"), "display_name": "Planted"}),
            )
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .post(
                "/api/v1/groups",
                json!({"kind": "department", "name": "Planted", "org_id": b}),
            )
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .post("/api/v1/orgs", json!({"name": "Side Org"}))
            .await,
        403,
        "forbidden",
    );

    // No platform admins by the back door.
    let email = fresh_email("wannabe");
    assert_error(
        &admin
            .post(
                &format!("/api/v1/orgs/{a}/people"),
                json!({"email": email, "display_name": "Wannabe", "role": "platform_admin"}),
            )
            .await,
        403,
        "forbidden",
    );
    let found = server.admin.get(&format!("/api/v1/people?q={email}")).await;
    assert_eq!(assert_ok(&found, 200), json!([]));
    assert_error(
        &admin
            .patch(
                &format!("/api/v1/people/{alice_id}"),
                json!({"role": "platform_admin"}),
            )
            .await,
        403,
        "forbidden",
    );
    let alice_now = assert_ok(&alice.get("/api/v1/me").await, 200);
    assert_eq!(alice_now["role"], "member");

    // Nobody changes their own role, whatever the direction.
    for role in ["member", "org_admin", "platform_admin"] {
        assert_error(
            &admin
                .patch(&format!("/api/v1/people/{admin_id}"), json!({"role": role}))
                .await,
            403,
            "forbidden",
        );
    }
    let me = assert_ok(&server.admin.get("/api/v1/me").await, 200);
    let platform_id = me["id"].as_str().unwrap();
    assert_error(
        &server
            .admin
            .patch(
                &format!("/api/v1/people/{platform_id}"),
                json!({"role": "member"}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_eq!(
        assert_ok(&server.admin.get("/api/v1/me").await, 200)["role"],
        "platform_admin"
    );

    // Org admins promote within their organization; only the platform admin makes platform
    // admins, and the org admin then cannot touch them.
    let promoted = admin
        .patch(
            &format!("/api/v1/people/{alice_id}"),
            json!({"role": "org_admin"}),
        )
        .await;
    assert_eq!(assert_ok(&promoted, 200)["role"], "org_admin");
    let promoted = server
        .admin
        .patch(
            &format!("/api/v1/people/{alice_id}"),
            json!({"role": "platform_admin"}),
        )
        .await;
    assert_eq!(assert_ok(&promoted, 200)["role"], "platform_admin");
    for body in [
        json!({"role": "member"}),
        json!({"status": "disabled"}),
        json!({"title": "Demoted"}),
    ] {
        assert_error(
            &admin
                .patch(&format!("/api/v1/people/{alice_id}"), body)
                .await,
            403,
            "forbidden",
        );
    }
    assert_error(
        &admin
            .post(
                &format!("/api/v1/people/{alice_id}/password"),
                json!({"password": "taken over 12345"}),
            )
            .await,
        403,
        "forbidden",
    );
    let alice_now = assert_ok(&alice.get("/api/v1/me").await, 200);
    assert_eq!(alice_now["role"], "platform_admin");
    assert_eq!(alice_now["title"], "");
    // And only platform admins create organizations.
    let org = assert_ok(
        &server
            .admin
            .post("/api/v1/orgs", json!({"name": "Gamma"}))
            .await,
        201,
    );
    assert_eq!(org["slug"], "gamma");
}

// ---------------------------------------------------------------------------------------
// Departments
// ---------------------------------------------------------------------------------------

fn node<'a>(tree: &'a Value, name: &str) -> &'a Value {
    fn find<'a>(nodes: &'a Value, name: &str) -> Option<&'a Value> {
        nodes.as_array()?.iter().find_map(|n| {
            if n["name"] == name {
                Some(n)
            } else {
                find(&n["children"], name)
            }
        })
    }
    find(tree, name).unwrap_or_else(|| panic!("no department {name} in {tree}"))
}

fn child_names(n: &Value) -> Vec<String> {
    field_of(&n["children"], "name")
}

async fn department_tree_and_membership(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (head_id, head) = server.person(&org, "Hannah Head", "member").await;
    let tree_path = format!("/api/v1/orgs/{org}/departments");

    let eng = assert_ok(
        &admin
            .post(
                "/api/v1/groups",
                json!({"kind": "department", "name": "Engineering", "head_id": head_id}),
            )
            .await,
        201,
    );
    assert_eq!(eng["head_id"], head_id.as_str());
    // The creating admin is not a member of the department (its head is).
    assert_eq!(eng["my_role"], Value::Null, "{eng}");
    let eng = eng["id"].as_str().unwrap().to_owned();
    let backend_dept = group(
        &admin,
        json!({"kind": "department", "name": "Backend", "parent_id": eng}),
    )
    .await;
    let storage = group(
        &admin,
        json!({"kind": "department", "name": "Storage", "parent_id": backend_dept}),
    )
    .await;
    let sales = group(&admin, json!({"kind": "department", "name": "Sales"})).await;

    let tree = assert_ok(&head.get(&tree_path).await, 200);
    assert_eq!(field_of(&tree, "name"), vec!["Engineering", "Sales"]);
    assert_eq!(node(&tree, "Engineering")["head_id"], head_id.as_str());
    assert_eq!(child_names(node(&tree, "Engineering")), vec!["Backend"]);
    assert_eq!(child_names(node(&tree, "Backend")), vec!["Storage"]);
    assert_eq!(node(&tree, "Storage")["id"], storage.as_str());
    assert_eq!(child_names(node(&tree, "Sales")), Vec::<String>::new());
    // The head is an admin member of their department.
    let members = assert_ok(
        &head.get(&format!("/api/v1/groups/{eng}/members")).await,
        200,
    );
    assert_eq!(field_of(&members, "person_id"), vec![head_id.clone()]);
    assert_eq!(members[0]["role"], "admin");

    // No department becomes its own ancestor.
    for new_parent in [&eng, &backend_dept, &storage] {
        let answer = admin
            .patch(
                &format!("/api/v1/groups/{eng}"),
                json!({"parent_id": new_parent}),
            )
            .await;
        assert_error(&answer, 422, "department_cycle");
    }
    // Nor does a department's head, who manages its members, reshape the tree.
    assert_error(
        &head
            .patch(
                &format!("/api/v1/groups/{eng}"),
                json!({"parent_id": sales}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_eq!(assert_ok(&admin.get(&tree_path).await, 200), tree);

    // A legal move, and back to the top.
    let moved = admin
        .patch(
            &format!("/api/v1/groups/{sales}"),
            json!({"parent_id": storage}),
        )
        .await;
    assert_eq!(assert_ok(&moved, 200)["parent_id"], storage.as_str());
    let tree = assert_ok(&admin.get(&tree_path).await, 200);
    assert_eq!(field_of(&tree, "name"), vec!["Engineering"]);
    assert_eq!(child_names(node(&tree, "Storage")), vec!["Sales"]);
    // ... and Engineering may not now go under Sales, its great-great-grandchild.
    assert_error(
        &admin
            .patch(
                &format!("/api/v1/groups/{eng}"),
                json!({"parent_id": sales}),
            )
            .await,
        422,
        "department_cycle",
    );
    assert_ok(
        &admin
            .patch(
                &format!("/api/v1/groups/{sales}"),
                json!({"parent_id": null}),
            )
            .await,
        200,
    );
    let tree = assert_ok(&admin.get(&tree_path).await, 200);
    assert_eq!(field_of(&tree, "name"), vec!["Engineering", "Sales"]);

    // People follow their department.
    let (dev_id, dev) = server.person(&org, "Dev Eloper", "member").await;
    let created = admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": fresh_email("d"), "display_name": "Dana Data", "department_id": backend_dept}),
        )
        .await;
    let dana = assert_ok(&created, 201);
    let dana_id = dana["id"].as_str().unwrap().to_owned();
    assert_eq!(dana["department_id"], backend_dept.as_str());
    assert_eq!(
        members_of(&admin, &backend_dept).await,
        vec![dana_id.clone()]
    );

    let answer = admin
        .patch(
            &format!("/api/v1/people/{dana_id}"),
            json!({"department_id": sales}),
        )
        .await;
    assert_eq!(assert_ok(&answer, 200)["department_id"], sales.as_str());
    assert_eq!(
        members_of(&admin, &backend_dept).await,
        Vec::<String>::new()
    );
    assert_eq!(members_of(&admin, &sales).await, vec![dana_id.clone()]);
    let dana_now = assert_ok(&dev.get(&format!("/api/v1/people/{dana_id}")).await, 200);
    assert_eq!(dana_now["department_id"], sales.as_str());

    // A person moving into a department sees it among their groups, as a member.
    let answer = admin
        .patch(
            &format!("/api/v1/people/{dev_id}"),
            json!({"department_id": storage}),
        )
        .await;
    assert_ok(&answer, 200);
    let mine = assert_ok(&dev.get("/api/v1/groups").await, 200);
    let dept_view = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == storage.as_str())
        .unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(dept_view["my_role"], "member");
    // Members cannot leave a department on their own; it follows their profile.
    assert_error(
        &dev.post(&format!("/api/v1/groups/{storage}/leave"), json!({}))
            .await,
        403,
        "forbidden",
    );
    let answer = admin
        .patch(
            &format!("/api/v1/people/{dev_id}"),
            json!({"department_id": null}),
        )
        .await;
    assert_eq!(assert_ok(&answer, 200)["department_id"], Value::Null);
    assert_eq!(members_of(&admin, &storage).await, Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// Cross-company shared groups
// ---------------------------------------------------------------------------------------

async fn shared_group_across_companies(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = server.org("Acme").await;
    let b = server.org("Beta").await;
    let (admin_a_id, admin_a) = server.person(&a, "Ada Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&a, "Alice Anders", "member").await;
    let (andy_id, andy) = server.person(&a, "Andy Outsider", "member").await;
    let (_, admin_b) = server.person(&b, "Bert Admin", "org_admin").await;
    let (bob_id, bob) = server.person(&b, "Bob Brown", "member").await;
    let (guest_id, guest) = server.person(&b, "Gus Guest", "guest").await;

    let shared = group(
        &admin_a,
        json!({"kind": "shared", "name": "Joint Project", "member_ids": [alice_id]}),
    )
    .await;
    let a_team = team(&alice, "Acme Only").await;
    let a_interest = group(&alice, json!({"kind": "interest", "name": "Acme Hiking"})).await;
    let welcome = alice.say(&shared, "welcome partners").await;
    alice.say(&a_team, "internal only").await;

    // Invite B. Until B accepts, nobody from B gets in.
    let invited = admin_a
        .post(
            &format!("/api/v1/groups/{shared}/partners"),
            json!({"org_id": b}),
        )
        .await;
    let invited = assert_ok(&invited, 201);
    assert_eq!(invited["status"], "invited");
    assert_eq!(invited["org_id"], b.as_str());
    assert_error(
        &admin_b
            .post(
                &format!("/api/v1/groups/{shared}/members"),
                json!({"person_id": guest_id}),
            )
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin_a
            .post(
                &format!("/api/v1/groups/{shared}/members"),
                json!({"person_id": bob_id}),
            )
            .await,
        404,
        "not_found",
    );
    // A non-admin of A cannot invite.
    assert_error(
        &alice
            .post(
                &format!("/api/v1/groups/{shared}/partners"),
                json!({"org_id": b}),
            )
            .await,
        403,
        "forbidden",
    );

    // B's admins see the invitation; B's members and A's admins do not decide for B.
    let invitations_path = format!("/api/v1/orgs/{b}/partner-invitations");
    let invitations = assert_ok(&admin_b.get(&invitations_path).await, 200);
    assert_eq!(invitations.as_array().unwrap().len(), 1, "{invitations}");
    assert_eq!(invitations[0]["group_id"], shared.as_str());
    assert_eq!(invitations[0]["group_name"], "Joint Project");
    assert_eq!(invitations[0]["host_org_id"], a.as_str());
    assert_eq!(invitations[0]["status"], "invited");
    assert_error(&bob.get(&invitations_path).await, 404, "not_found");
    assert_error(&admin_a.get(&invitations_path).await, 404, "not_found");
    let accept = format!("{invitations_path}/{shared}/accept");
    assert_error(&bob.post(&accept, json!({})).await, 404, "not_found");
    assert_error(&admin_a.post(&accept, json!({})).await, 404, "not_found");

    let accepted = assert_ok(&admin_b.post(&accept, json!({})).await, 200);
    assert_eq!(accepted["status"], "accepted");
    assert_error(&admin_b.post(&accept, json!({})).await, 409, "conflict");
    let partners = assert_ok(
        &admin_a
            .get(&format!("/api/v1/groups/{shared}/partners"))
            .await,
        200,
    );
    assert_eq!(field_of(&partners, "org_id"), vec![b.clone()]);
    assert_eq!(partners[0]["status"], "accepted");

    // B's admin adds B's guest, as a plain member, and nobody from A.
    assert_error(
        &admin_b
            .post(
                &format!("/api/v1/groups/{shared}/members"),
                json!({"person_id": guest_id, "role": "admin"}),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &admin_b
            .post(
                &format!("/api/v1/groups/{shared}/members"),
                json!({"person_id": andy_id}),
            )
            .await,
        404,
        "not_found",
    );
    let added = admin_b
        .post(
            &format!("/api/v1/groups/{shared}/members"),
            json!({"person_id": guest_id}),
        )
        .await;
    let added = assert_ok(&added, 200);
    assert_eq!(added["org_id"], b.as_str());
    assert_eq!(added["guest"], true);
    assert_eq!(added["role"], "member");

    // The guest sees the group, its members and messages, and may take part.
    assert_eq!(my_group_ids(&guest).await, vec![shared.clone()]);
    let g = assert_ok(&guest.get(&format!("/api/v1/groups/{shared}")).await, 200);
    assert_eq!(g["external"], true);
    assert_eq!(g["my_role"], "member");
    let mut members = members_of(&guest, &shared).await;
    members.sort();
    let mut expected = vec![admin_a_id.clone(), alice_id.clone(), guest_id.clone()];
    expected.sort();
    assert_eq!(members, expected);
    let history = assert_ok(
        &guest
            .get(&format!("/api/v1/groups/{shared}/messages"))
            .await,
        200,
    );
    assert_eq!(ids(&history), vec![welcome["id"].as_str().unwrap()]);
    guest.say(&shared, "hello from Beta").await;

    // ... the A people in it, and nobody else of A.
    for id in [&alice_id, &admin_a_id] {
        let p = assert_ok(&guest.get(&format!("/api/v1/people/{id}")).await, 200);
        assert_eq!(p["org_id"], a.as_str());
    }
    assert_error(
        &guest.get(&format!("/api/v1/people/{andy_id}")).await,
        404,
        "not_found",
    );
    let listed = assert_ok(&guest.get("/api/v1/people?limit=200").await, 200);
    let mut seen = ids(&listed);
    seen.sort();
    assert_eq!(seen, expected, "{listed}");
    assert_eq!(
        assert_ok(&guest.get("/api/v1/people?q=andy").await, 200),
        json!([])
    );
    for path in [
        format!("/api/v1/groups/{a_team}"),
        format!("/api/v1/groups/{a_team}/messages"),
        format!("/api/v1/groups/{a_interest}"),
        format!("/api/v1/orgs/{a}"),
        format!("/api/v1/orgs/{a}/departments"),
    ] {
        assert_error(&guest.get(&path).await, 404, "not_found");
    }

    // A's members in the group now see the guest; A's others do not; nor does B's staff see
    // the group, or A's people in it, just because their organization is a partner.
    assert_ok(&alice.get(&format!("/api/v1/people/{guest_id}")).await, 200);
    assert_error(
        &andy.get(&format!("/api/v1/people/{guest_id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &bob.get(&format!("/api/v1/groups/{shared}")).await,
        404,
        "not_found",
    );
    assert_error(
        &bob.get(&format!("/api/v1/people/{alice_id}")).await,
        404,
        "not_found",
    );

    // B's admin offboards B's guest again, but cannot remove A's people.
    let (status, err) = admin_b
        .delete(&format!("/api/v1/groups/{shared}/members/{alice_id}"))
        .await;
    assert_eq!(status, 403, "{err}");
    let (status, _) = admin_b
        .delete(&format!("/api/v1/groups/{shared}/members/{guest_id}"))
        .await;
    assert_eq!(status, 204);
    assert!(!members_of(&alice, &shared).await.contains(&guest_id));
    assert!(my_group_ids(&guest).await.is_empty());
}

async fn declined_invitations_let_nobody_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = server.org("Acme").await;
    let b = server.org("Beta").await;
    let (_, admin_a) = server.person(&a, "Ada Admin", "org_admin").await;
    let (_, admin_b) = server.person(&b, "Bert Admin", "org_admin").await;
    let (bob_id, _) = server.person(&b, "Bob Brown", "member").await;
    let shared = group(&admin_a, json!({"kind": "shared", "name": "Joint"})).await;
    let team_a = team(&admin_a, "Not shared").await;

    // Only shared groups take partners, and never the host itself.
    assert_error(
        &admin_a
            .post(
                &format!("/api/v1/groups/{team_a}/partners"),
                json!({"org_id": b}),
            )
            .await,
        422,
        "not_shared",
    );
    assert_error(
        &admin_a
            .post(
                &format!("/api/v1/groups/{shared}/partners"),
                json!({"org_id": a}),
            )
            .await,
        422,
        "same_org",
    );
    assert_ok(
        &admin_a
            .post(
                &format!("/api/v1/groups/{shared}/partners"),
                json!({"org_id": b}),
            )
            .await,
        201,
    );
    let base = format!("/api/v1/orgs/{b}/partner-invitations/{shared}");
    let declined = assert_ok(
        &admin_b.post(&format!("{base}/decline"), json!({})).await,
        200,
    );
    assert_eq!(declined["status"], "declined");
    assert_error(
        &admin_b.post(&format!("{base}/accept"), json!({})).await,
        409,
        "conflict",
    );
    assert_error(
        &admin_b
            .post(
                &format!("/api/v1/groups/{shared}/members"),
                json!({"person_id": bob_id}),
            )
            .await,
        404,
        "not_found",
    );
    let invitations = assert_ok(
        &admin_b
            .get(&format!("/api/v1/orgs/{b}/partner-invitations"))
            .await,
        200,
    );
    assert_eq!(invitations[0]["status"], "declined");
}

// ---------------------------------------------------------------------------------------
// Group membership
// ---------------------------------------------------------------------------------------

async fn joining_and_leaving(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&org, "Alice Anders", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob Brown", "member").await;

    let hiking = group(&alice, json!({"kind": "interest", "name": "Hiking"})).await;
    let joined = assert_ok(
        &bob.post(&format!("/api/v1/groups/{hiking}/join"), json!({}))
            .await,
        200,
    );
    assert_eq!(joined["person_id"], bob_id.as_str());
    assert_eq!(joined["role"], "member");
    assert_error(
        &bob.post(&format!("/api/v1/groups/{hiking}/join"), json!({}))
            .await,
        409,
        "conflict",
    );
    let mut members = members_of(&bob, &hiking).await;
    members.sort();
    let mut both = vec![alice_id.clone(), bob_id.clone()];
    both.sort();
    assert_eq!(members, both);

    // Teams are invitation-only. To a member outside it a team does not exist (404, like
    // everything one may not see); an org admin, who can see it, is refused (403).
    let ops = team(&alice, "Ops").await;
    assert_error(
        &bob.post(&format!("/api/v1/groups/{ops}/join"), json!({}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &admin
            .post(&format!("/api/v1/groups/{ops}/join"), json!({}))
            .await,
        403,
        "forbidden",
    );
    let dept = group(&admin, json!({"kind": "department", "name": "Sales"})).await;
    assert_error(
        &bob.post(&format!("/api/v1/groups/{dept}/join"), json!({}))
            .await,
        403,
        "forbidden",
    );
    assert_eq!(members_of(&alice, &ops).await, vec![alice_id.clone()]);

    // A member cannot remove others; the last owner cannot leave while others remain.
    assert_error(
        &bob.delete(&format!("/api/v1/groups/{hiking}/members/{alice_id}"))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &alice
            .post(&format!("/api/v1/groups/{hiking}/leave"), json!({}))
            .await,
        409,
        "conflict",
    );
    assert_eq!(members_of(&alice, &hiking).await, members);
    let answer = bob
        .post(&format!("/api/v1/groups/{hiking}/leave"), json!({}))
        .await;
    assert_eq!(answer.0, 204, "{}", answer.1);
    assert_eq!(members_of(&alice, &hiking).await, vec![alice_id.clone()]);
    // Leaving twice: not a member any more.
    assert_error(
        &bob.post(&format!("/api/v1/groups/{hiking}/leave"), json!({}))
            .await,
        404,
        "not_found",
    );

    // Handing over ownership lets the old owner go.
    let team_id = group(
        &alice,
        json!({"kind": "team", "name": "Handover", "member_ids": [bob_id]}),
    )
    .await;
    assert_error(
        &alice
            .post(&format!("/api/v1/groups/{team_id}/leave"), json!({}))
            .await,
        409,
        "conflict",
    );
    let promoted = alice
        .post(
            &format!("/api/v1/groups/{team_id}/members"),
            json!({"person_id": bob_id, "role": "owner"}),
        )
        .await;
    assert_eq!(assert_ok(&promoted, 200)["role"], "owner");
    let answer = alice
        .post(&format!("/api/v1/groups/{team_id}/leave"), json!({}))
        .await;
    assert_eq!(answer.0, 204, "{}", answer.1);
    assert_error(
        &alice.get(&format!("/api/v1/groups/{team_id}")).await,
        404,
        "not_found",
    );
    let t = assert_ok(&bob.get(&format!("/api/v1/groups/{team_id}")).await, 200);
    assert_eq!(t["member_count"], 1);
    assert_eq!(t["my_role"], "owner");
}

async fn archived_groups_are_read_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, alice) = server.person(&org, "Alice Anders", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob Brown", "member").await;
    let (_, carol) = server.person(&org, "Carol Chen", "member").await;
    let hiking = group(
        &alice,
        json!({"kind": "interest", "name": "Hiking", "member_ids": [bob_id]}),
    )
    .await;
    let before = alice.say(&hiking, "before the archive").await;

    // Only managers archive.
    assert_error(
        &bob.patch(
            &format!("/api/v1/groups/{hiking}"),
            json!({"archived": true}),
        )
        .await,
        403,
        "forbidden",
    );
    let archived = alice
        .patch(
            &format!("/api/v1/groups/{hiking}"),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(assert_ok(&archived, 200)["archived"], true);

    for poster in [&alice, &bob] {
        let answer = poster
            .post(
                &format!("/api/v1/groups/{hiking}/messages"),
                json!({"body": "after", "client_txn_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_error(&answer, 403, "forbidden");
    }
    let history = assert_ok(
        &bob.get(&format!("/api/v1/groups/{hiking}/messages")).await,
        200,
    );
    assert_eq!(ids(&history), vec![before["id"].as_str().unwrap()]);
    assert_ok(
        &bob.get(&format!(
            "/api/v1/messages/{}",
            before["id"].as_str().unwrap()
        ))
        .await,
        200,
    );
    assert_eq!(members_of(&bob, &hiking).await.len(), 2);
    // Nobody joins an archived group.
    assert_error(
        &carol
            .post(&format!("/api/v1/groups/{hiking}/join"), json!({}))
            .await,
        403,
        "forbidden",
    );

    // Unarchiving restores posting.
    let reopened = alice
        .patch(
            &format!("/api/v1/groups/{hiking}"),
            json!({"archived": false}),
        )
        .await;
    assert_eq!(assert_ok(&reopened, 200)["archived"], false);
    bob.say(&hiking, "we are back").await;
}

async fn direct_messages_are_private(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&org, "Alice Anders", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob Brown", "member").await;
    let (carol_id, _) = server.person(&org, "Carol Chen", "member").await;

    let first = assert_ok(
        &alice
            .post("/api/v1/direct", json!({"person_ids": [bob_id]}))
            .await,
        200,
    );
    assert_eq!(first["kind"], "direct");
    assert_eq!(first["member_count"], 2);
    let dm = first["id"].as_str().unwrap().to_owned();
    let again = assert_ok(
        &alice
            .post("/api/v1/direct", json!({"person_ids": [bob_id, bob_id]}))
            .await,
        200,
    );
    assert_eq!(again["id"], dm.as_str());
    let from_bob = assert_ok(
        &bob.post("/api/v1/direct", json!({"person_ids": [alice_id]}))
            .await,
        200,
    );
    assert_eq!(from_bob["id"], dm.as_str());
    // A different set of people is a different conversation.
    let trio = assert_ok(
        &alice
            .post("/api/v1/direct", json!({"person_ids": [bob_id, carol_id]}))
            .await,
        200,
    );
    assert_ne!(trio["id"], dm.as_str());
    assert_error(
        &alice
            .post("/api/v1/direct", json!({"person_ids": [alice_id]}))
            .await,
        422,
        "invalid_members",
    );

    let msg = alice.say(&dm, "just between us").await;
    let msg_id = msg["id"].as_str().unwrap();
    let history = assert_ok(
        &bob.get(&format!("/api/v1/groups/{dm}/messages")).await,
        200,
    );
    assert_eq!(history[0]["body"], "just between us");

    // The org admin (and the platform admin) cannot read it, nor learn it exists.
    for outsider in [&admin, &server.admin] {
        for path in [
            format!("/api/v1/groups/{dm}"),
            format!("/api/v1/groups/{dm}/messages"),
            format!("/api/v1/groups/{dm}/members"),
            format!("/api/v1/messages/{msg_id}"),
        ] {
            assert_error(&outsider.get(&path).await, 404, "not_found");
        }
        assert_error(
            &outsider
                .post(
                    &format!("/api/v1/groups/{dm}/members"),
                    json!({"person_id": carol_id}),
                )
                .await,
            404,
            "not_found",
        );
        assert_error(
            &outsider.delete(&format!("/api/v1/messages/{msg_id}")).await,
            404,
            "not_found",
        );
        assert!(!my_group_ids(outsider).await.contains(&dm));
    }
    // Members cannot add people to a direct conversation either.
    assert_error(
        &alice
            .post(
                &format!("/api/v1/groups/{dm}/members"),
                json!({"person_id": carol_id}),
            )
            .await,
        422,
        "direct_fixed",
    );
    assert_eq!(members_of(&alice, &dm).await.len(), 2);
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

async fn failed_sign_ins_all_look_alike(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, email, _) = person_with_email(&server, &org, "Alice Anders", "member").await;
    // Exists, but has no password yet.
    let unset = someone(&server, &org, json!({"display_name": "No Password"})).await;

    let wrong_password = try_login(&server.base, &email, "not the password").await;
    let unknown = try_login(&server.base, "nobody@corp.example.com", PASSWORD).await;
    let no_password = try_login(&server.base, unset["email"].as_str().unwrap(), PASSWORD).await;
    assert_error(&wrong_password, 401, "unauthenticated");
    assert_eq!(unknown, wrong_password);
    assert_eq!(no_password, wrong_password);
    // Email case and surrounding space do not matter for the right password.
    let (status, _) = try_login(
        &server.base,
        &format!("  {}  ", email.to_uppercase()),
        PASSWORD,
    )
    .await;
    assert_eq!(status, 200);
}

async fn disabled_people_are_locked_out(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (alice_id, email, alice) = person_with_email(&server, &org, "Alice Anders", "member").await;
    let token = assert_ok(
        &alice
            .post("/api/v1/me/tokens", json!({"name": "script"}))
            .await,
        201,
    );
    let pat = with_token(&server.base, token["token"].as_str().unwrap());
    assert_ok(&pat.get("/api/v1/me").await, 200);
    let failed = try_login(&server.base, &email, "not the password").await;

    let answer = admin
        .patch(
            &format!("/api/v1/people/{alice_id}"),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(assert_ok(&answer, 200)["status"], "disabled");
    for client in [&alice, &pat] {
        assert_error(&client.get("/api/v1/me").await, 401, "unauthenticated");
    }
    let refused = try_login(&server.base, &email, PASSWORD).await;
    assert_eq!(
        refused, failed,
        "a disabled account looks like a wrong password"
    );

    // Re-enabling lets them sign in again, but the old credentials stay dead.
    assert_ok(
        &admin
            .patch(
                &format!("/api/v1/people/{alice_id}"),
                json!({"status": "active"}),
            )
            .await,
        200,
    );
    for client in [&alice, &pat] {
        assert_error(&client.get("/api/v1/me").await, 401, "unauthenticated");
    }
    let back = Client::login(&server.base, &email, PASSWORD).await;
    assert_eq!(
        assert_ok(&back.get("/api/v1/me").await, 200)["id"],
        alice_id.as_str()
    );
    // Nobody disables themselves.
    let me = assert_ok(&admin.get("/api/v1/me").await, 200);
    let admin_id = me["id"].as_str().unwrap();
    assert_error(
        &admin
            .patch(
                &format!("/api/v1/people/{admin_id}"),
                json!({"status": "disabled"}),
            )
            .await,
        422,
        "invalid_status",
    );
}

async fn logout_and_password_changes_end_sessions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, admin) = server.person(&org, "Ada Admin", "org_admin").await;
    let (alice_id, email, laptop) =
        person_with_email(&server, &org, "Alice Anders", "member").await;
    let phone = Client::login(&server.base, &email, PASSWORD).await;

    let answer = laptop.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(answer.0, 204, "{}", answer.1);
    assert_error(&laptop.get("/api/v1/me").await, 401, "unauthenticated");
    assert_error(
        &laptop.post("/api/v1/auth/logout", json!({})).await,
        401,
        "unauthenticated",
    );
    // Other sessions are untouched.
    assert_ok(&phone.get("/api/v1/me").await, 200);

    // Changing one's password keeps the current session and ends the others.
    let tablet = Client::login(&server.base, &email, PASSWORD).await;
    assert_error(
        &phone
            .post(
                "/api/v1/me/password",
                json!({"current_password": "wrong wrong wrong", "new_password": "a brand new secret"}),
            )
            .await,
        422,
        "wrong_password",
    );
    let answer = phone
        .post(
            "/api/v1/me/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(answer.0, 204, "{}", answer.1);
    assert_ok(&phone.get("/api/v1/me").await, 200);
    assert_error(&tablet.get("/api/v1/me").await, 401, "unauthenticated");
    assert_error(
        &try_login(&server.base, &email, PASSWORD).await,
        401,
        "unauthenticated",
    );

    // An admin reset ends every session.
    let answer = admin
        .post(
            &format!("/api/v1/people/{alice_id}/password"),
            json!({"password": "reset by the admin"}),
        )
        .await;
    assert_eq!(answer.0, 204, "{}", answer.1);
    assert_error(&phone.get("/api/v1/me").await, 401, "unauthenticated");
    Client::login(&server.base, &email, "reset by the admin").await;
}

async fn personal_access_tokens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (alice_id, alice) = server.person(&org, "Alice Anders", "member").await;
    let (_, bob) = server.person(&org, "Bob Brown", "member").await;

    let created = assert_ok(
        &alice
            .post(
                "/api/v1/me/tokens",
                json!({"name": "ci bot", "expires_in_days": 30}),
            )
            .await,
        201,
    );
    let secret = created["token"].as_str().unwrap();
    assert!(secret.starts_with("cyp_"), "{created}");
    assert!(created["expires_at"].as_i64().is_some());
    let token_id = created["id"].as_str().unwrap();

    let bot = with_token(&server.base, secret);
    let me = assert_ok(&bot.get("/api/v1/me").await, 200);
    assert_eq!(me["id"], alice_id.as_str());
    let posted = team(&bot, "Made by the bot").await;
    assert_eq!(members_of(&alice, &posted).await, vec![alice_id.clone()]);

    // Listed without the secret.
    let listed = assert_ok(&alice.get("/api/v1/me/tokens").await, 200);
    assert_eq!(ids(&listed), vec![token_id.to_owned()]);
    assert_eq!(listed[0]["name"], "ci bot");
    assert_eq!(listed[0]["token"], Value::Null);
    assert_eq!(
        assert_ok(&bob.get("/api/v1/me/tokens").await, 200),
        json!([])
    );

    // Only its owner revokes it; then it is dead.
    assert_error(
        &bob.delete(&format!("/api/v1/me/tokens/{token_id}")).await,
        404,
        "not_found",
    );
    assert_ok(&bot.get("/api/v1/me").await, 200);
    let answer = alice.delete(&format!("/api/v1/me/tokens/{token_id}")).await;
    assert_eq!(answer.0, 204, "{}", answer.1);
    assert_error(&bot.get("/api/v1/me").await, 401, "unauthenticated");
    assert_error(
        &alice.delete(&format!("/api/v1/me/tokens/{token_id}")).await,
        404,
        "not_found",
    );
    assert_eq!(
        assert_ok(&alice.get("/api/v1/me/tokens").await, 200),
        json!([])
    );

    // Bad expiries are refused; made-up tokens do not work.
    for days in [0, -1, 3651] {
        assert_error(
            &alice
                .post(
                    "/api/v1/me/tokens",
                    json!({"name": "x", "expires_in_days": days}),
                )
                .await,
            422,
            "invalid_field",
        );
    }
    assert_error(
        &alice.post("/api/v1/me/tokens", json!({"name": "  "})).await,
        422,
        "invalid_field",
    );
    for fake in ["cyp_made_up", "cys_made_up", "garbage", ""] {
        assert_error(
            &with_token(&server.base, fake).get("/api/v1/me").await,
            401,
            "unauthenticated",
        );
    }
    assert_eq!(
        assert_ok(&alice.get("/api/v1/me/tokens").await, 200),
        json!([])
    );
}

async fn sign_in_is_rate_limited_per_account(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, email, _) = person_with_email(&server, &org, "Alice Anders", "member").await;
    let (_, other_email, _) = person_with_email(&server, &org, "Bob Brown", "member").await;
    for attempt in 1..=10 {
        let answer = try_login(&server.base, &email, &format!("wrong password {attempt}")).await;
        assert_error(&answer, 401, "unauthenticated");
    }
    let answer = try_login(&server.base, &email, PASSWORD).await;
    assert_error(&answer, 429, "rate_limited");
    let answer = try_login(&server.base, &email.to_uppercase(), PASSWORD).await;
    assert_error(&answer, 429, "rate_limited");
    // Another account from the same address is not affected.
    let (status, _) = try_login(&server.base, &other_email, PASSWORD).await;
    assert_eq!(status, 200);
}

async fn cookie_sessions_need_the_csrf_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let (_, email, _) = person_with_email(&server, &org, "Alice Anders", "member").await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("courtyard_session=cys_"), "{cookie}");
    let body: Value = res.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let call = |method: Method, path: &str, csrf: Option<&str>| {
        let mut req = http
            .request(method, format!("{}{path}", server.base))
            .header("cookie", &cookie);
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        async move {
            let res = req
                .json(&json!({"name": "from the browser"}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let me = call(Method::GET, "/api/v1/me", None).await;
    assert_eq!(assert_ok(&me, 200)["email"], email.as_str());
    let tokens_before = call(Method::GET, "/api/v1/me/tokens", None).await;
    assert_eq!(assert_ok(&tokens_before, 200), json!([]));
    for bad in [None, Some(""), Some("not-the-token")] {
        let answer = call(Method::POST, "/api/v1/me/tokens", bad).await;
        assert_error(&answer, 403, "forbidden");
    }
    assert_eq!(
        assert_ok(&call(Method::GET, "/api/v1/me/tokens", None).await, 200),
        json!([]),
        "a refused request made nothing"
    );
    let made = call(Method::POST, "/api/v1/me/tokens", Some(&csrf)).await;
    assert_ok(&made, 201);

    // The CSRF token belongs to this session only.
    let other = try_login(&server.base, &email, PASSWORD).await;
    let other_csrf = other.1["csrf_token"].as_str().unwrap();
    assert_ne!(other_csrf, csrf);
    assert_error(
        &call(Method::POST, "/api/v1/me/tokens", Some(other_csrf)).await,
        403,
        "forbidden",
    );
    // Logging out with the cookie also needs it.
    assert_error(
        &call(Method::POST, "/api/v1/auth/logout", None).await,
        403,
        "forbidden",
    );
    let out = call(Method::POST, "/api/v1/auth/logout", Some(&csrf)).await;
    assert_eq!(out.0, 204);
    assert_error(
        &call(Method::GET, "/api/v1/me", None).await,
        401,
        "unauthenticated",
    );
}

async fn setup_is_closed_once_an_admin_exists(backend: Backend) {
    let server = TestServer::start(backend).await;
    let email = fresh_email("setup");
    for token in ["setup_wrong", "", "x"] {
        let answer = server
            .client()
            .post(
                "/api/v1/setup",
                json!({"setup_token": token, "email": email, "password": PASSWORD,
                       "display_name": "Mallory", "org_name": "Evil Corp"}),
            )
            .await;
        assert_error(&answer, 403, "forbidden");
    }
    assert_error(
        &try_login(&server.base, &email, PASSWORD).await,
        401,
        "unauthenticated",
    );
    let orgs = assert_ok(&server.admin.get("/api/v1/orgs").await, 200);
    assert!(!field_of(&orgs, "name").contains(&"Evil Corp".to_owned()));
}

/// First run on an empty database: the printed one-time token is the only way in, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_needs_the_printed_token() {
    let dir = std::env::temp_dir().join(format!("courtyard-setup-{}", uuid::Uuid::new_v4()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = courtyard_host::Config {
        data_dir: dir.clone(),
        listen: listener.local_addr().unwrap(),
        shutdown_grace_secs: 1,
        ..Default::default()
    };
    let app = courtyard_host::App::start(config).await.unwrap();
    let setup_token = app
        .setup_token
        .lock()
        .clone()
        .expect("a setup token while no platform admin exists");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(courtyard_host::http::serve(
        app.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let base = format!("http://{}", app.config.listen);
    let anonymous = anonymous(&base);
    let body = |token: &str, password: &str| {
        json!({"setup_token": token, "email": "first@corp.example.com", "password": password,
               "display_name": "First Admin", "org_name": "Head Office"})
    };

    assert_error(
        &anonymous
            .post("/api/v1/setup", body("setup_wrong", PASSWORD))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &try_login(&base, "first@corp.example.com", PASSWORD).await,
        401,
        "unauthenticated",
    );
    // A bad request with the right token does not use it up.
    assert_error(
        &anonymous
            .post("/api/v1/setup", body(&setup_token, "short"))
            .await,
        422,
        "weak_password",
    );
    let admin = assert_ok(
        &anonymous
            .post("/api/v1/setup", body(&setup_token, PASSWORD))
            .await,
        201,
    );
    assert_eq!(admin["role"], "platform_admin");
    let signed_in = Client::login(&base, "first@corp.example.com", PASSWORD).await;
    let orgs = assert_ok(&signed_in.get("/api/v1/orgs").await, 200);
    assert_eq!(field_of(&orgs, "name"), vec!["Head Office"]);
    // The token is spent.
    let mut again = body(&setup_token, PASSWORD);
    again["email"] = json!("second@corp.example.com");
    assert_error(
        &anonymous.post("/api/v1/setup", again).await,
        403,
        "forbidden",
    );

    let _ = stop.send(());
    let _ = serving.await;
    let _ = std::fs::remove_dir_all(dir);
}

both_backends!(
    other_orgs_objects_are_not_found,
    other_orgs_ids_are_not_found_for_writes,
    guests_see_only_what_they_share,
    members_cannot_administer,
    org_admins_administer_their_own_org_only,
    department_tree_and_membership,
    shared_group_across_companies,
    declined_invitations_let_nobody_in,
    joining_and_leaving,
    archived_groups_are_read_only,
    direct_messages_are_private,
    failed_sign_ins_all_look_alike,
    disabled_people_are_locked_out,
    logout_and_password_changes_end_sessions,
    personal_access_tokens,
    sign_in_is_rate_limited_per_account,
    cookie_sessions_need_the_csrf_token,
    setup_is_closed_once_an_admin_exists,
);
