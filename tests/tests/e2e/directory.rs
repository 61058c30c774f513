//! The people directory end to end: search by pinyin, initials, partial and Chinese names,
//! title, department and email; ranking; query limits and escaping; who appears (disabled
//! people, other organizations, shared groups); and the index following profile changes.

use crate::common::{Backend, Client, TestServer};
use serde_json::{Value, json};

#[track_caller]
fn assert_ok(answer: &(u16, Value), status: u16) -> Value {
    assert_eq!(answer.0, status, "{}", answer.1);
    answer.1.clone()
}

/// Percent-encodes a query value (everything but ASCII letters and digits).
fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Display names found for `q`, in the order returned.
async fn search(client: &Client, q: &str) -> Vec<String> {
    let answer = client
        .get(&format!("/api/v1/people?q={}&limit=200", encode(q)))
        .await;
    names(&assert_ok(&answer, 200))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {list}"))
        .iter()
        .map(|p| p["display_name"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Emails are random hex in a fixed domain: queries in these tests avoid hex-only strings
/// and the words of the domain.
fn fresh_email() -> String {
    format!("{}@corp.example.com", uuid::Uuid::new_v4().simple())
}

/// Adds a person who never signs in (no password, so no hashing); returns them.
async fn add(server: &TestServer, org: &str, fields: Value) -> Value {
    let mut body = fields;
    if body.get("email").is_none() {
        body["email"] = json!(fresh_email());
    }
    let answer = server
        .admin
        .post(&format!("/api/v1/orgs/{org}/people"), body)
        .await;
    assert_ok(&answer, 201)
}

async fn add_named(server: &TestServer, org: &str, name: &str) -> String {
    add(server, org, json!({"display_name": name})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn department(server: &TestServer, org: &str, name: &str) -> String {
    let answer = server
        .admin
        .post(
            "/api/v1/groups",
            json!({"kind": "department", "name": name, "org_id": org}),
        )
        .await;
    assert_ok(&answer, 201)["id"].as_str().unwrap().to_owned()
}

async fn finds_people_by_every_spelling(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let platform = department(&server, &org, "Platform Team").await;
    let research = department(&server, &org, "研发部").await;
    for name in ["张三", "张三丰", "张伟", "李四"] {
        add_named(&server, &org, name).await;
    }
    add(
        &server,
        &org,
        json!({"display_name": "John Smith", "title": "Security Engineer", "department_id": platform}),
    )
    .await;
    add(
        &server,
        &org,
        json!({"display_name": "王芳", "email": "Fang.Wang@Beta-Logistics.test", "department_id": research}),
    )
    .await;
    let (_, viewer) = server.person(&org, "Viewer Person", "member").await;

    let cases: &[(&str, &[&str])] = &[
        // Pinyin: full, with a space, capitals, partial, initials.
        ("zhangsan", &["张三", "张三丰"]),
        ("zhang san", &["张三", "张三丰"]),
        ("ZhangSan", &["张三", "张三丰"]),
        ("zhangsanfeng", &["张三丰"]),
        ("zhang", &["张三", "张三丰", "张伟"]),
        ("zhangw", &["张伟"]),
        ("zs", &["张三", "张三丰"]),
        ("zsf", &["张三丰"]),
        ("lisi", &["李四"]),
        ("ls", &["李四"]),
        ("wangfang", &["王芳"]),
        // Characters.
        ("张", &["张三", "张三丰", "张伟"]),
        ("三", &["张三", "张三丰"]),
        ("张三丰", &["张三丰"]),
        ("王芳", &["王芳"]),
        // Latin names, any case, full-width too.
        ("john", &["John Smith"]),
        ("SMITH", &["John Smith"]),
        ("ｊｏｈｎ", &["John Smith"]),
        ("js", &["John Smith"]),
        // Title and department, as written or run together.
        ("security", &["John Smith"]),
        ("security engineer", &["John Smith"]),
        ("platform team", &["John Smith"]),
        ("platformteam", &["John Smith"]),
        ("研发", &["王芳"]),
        // Email: whole, local part, domain, any case.
        ("fang.wang@beta-logistics.test", &["王芳"]),
        ("FANG.WANG", &["王芳"]),
        ("beta-logistics", &["王芳"]),
        // Nothing.
        ("zhangsanli", &[]),
        ("nobody", &[]),
    ];
    for (q, expected) in cases {
        let found = search(&viewer, q).await;
        assert_eq!(
            sorted(found.clone()),
            sorted(strings(expected)),
            "searching {q:?} found {found:?}"
        );
    }
    // Without a query: everyone in the organization, alphabetically-ish, within the limit.
    let everyone = search(&viewer, "").await;
    assert_eq!(everyone.len(), 7, "{everyone:?}");
    let listed = assert_ok(&viewer.get("/api/v1/people?limit=3").await, 200);
    assert_eq!(listed.as_array().unwrap().len(), 3);
}

async fn exact_names_rank_first(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    for name in [
        "Ali Mingo",
        "Li Mingyang",
        "Li Ming",
        "大小明",
        "小明明",
        "小明",
    ] {
        add_named(&server, &org, name).await;
    }
    let (_, viewer) = server.person(&org, "Viewer Person", "member").await;

    // Exact name, then names starting with the query, then names merely containing it.
    assert_eq!(
        search(&viewer, "li ming").await,
        strings(&["Li Ming", "Li Mingyang", "Ali Mingo"])
    );
    assert_eq!(
        search(&viewer, "Li Ming").await,
        strings(&["Li Ming", "Li Mingyang", "Ali Mingo"])
    );
    assert_eq!(
        search(&viewer, "小明").await,
        strings(&["小明", "小明明", "大小明"])
    );
    assert_eq!(
        search(&viewer, "xiaoming").await,
        strings(&["小明", "小明明", "大小明"])
    );
    let first = assert_ok(&viewer.get("/api/v1/people?q=liming&limit=1").await, 200);
    assert_eq!(names(&first), strings(&["Li Ming"]));
}

/// The best matches are found even when many people merely contain the query, or start a
/// later word with it, and sort before them alphabetically (search-as-you-type in a big
/// organization).
async fn exact_match_found_among_many_partial_ones(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    for i in 0..110 {
        add_named(&server, &org, &format!("Alice {i:03}")).await;
        add_named(&server, &org, &format!("Aaron Li {i:03}")).await;
    }
    add_named(&server, &org, "Lina Wu").await;
    add_named(&server, &org, "Li").await;
    let (_, viewer) = server.person(&org, "Viewer Person", "member").await;

    // Exact name first, then names with a word starting with the query, never a mere match.
    let found = names(&assert_ok(&viewer.get("/api/v1/people?q=li").await, 200));
    assert_eq!(found.len(), 20, "the default page: {found:?}");
    assert_eq!(found[0], "Li", "{found:?}");
    assert!(
        found[1..]
            .iter()
            .all(|n| n.starts_with("Aaron Li ") || n == "Lina Wu"),
        "{found:?}"
    );
    // The name starting with the query comes before names where only a later word does.
    let found = names(&assert_ok(&viewer.get("/api/v1/people?q=lin").await, 200));
    assert_eq!(found, strings(&["Lina Wu"]));
    let found = names(&assert_ok(
        &viewer.get("/api/v1/people?q=li&limit=3").await,
        200,
    ));
    assert_eq!(found, strings(&["Li", "Aaron Li 000", "Aaron Li 001"]));
}

async fn queries_are_bounded_and_literal(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    add(
        &server,
        &org,
        json!({"display_name": "Under Score", "email": "first_last@corp.example.com"}),
    )
    .await;
    add(
        &server,
        &org,
        json!({"display_name": "Percy Cent", "title": "100% committed"}),
    )
    .await;
    add_named(&server, &org, "Firstxlast Person").await;
    let (_, viewer) = server.person(&org, "Viewer Person", "member").await;

    // `%` and `_` are characters to find, not wildcards.
    assert_eq!(search(&viewer, "_").await, strings(&["Under Score"]));
    assert_eq!(search(&viewer, "t_l").await, strings(&["Under Score"]));
    assert_eq!(
        search(&viewer, "first_last").await,
        strings(&["Under Score"])
    );
    assert_eq!(search(&viewer, "%").await, strings(&["Percy Cent"]));
    assert_eq!(search(&viewer, "0%").await, strings(&["Percy Cent"]));
    assert_eq!(search(&viewer, "first%last").await, Vec::<String>::new());
    assert_eq!(search(&viewer, "t%l").await, Vec::<String>::new());
    assert_eq!(search(&viewer, "\\").await, Vec::<String>::new());
    assert_eq!(search(&viewer, "'").await, Vec::<String>::new());

    // 64 characters is the longest query; whitespace does not count.
    let longest = "x".repeat(64);
    assert_eq!(search(&viewer, &longest).await, Vec::<String>::new());
    let spaced = format!("  {}  ", "x y ".repeat(32));
    assert_eq!(search(&viewer, &spaced).await, Vec::<String>::new());
    for q in ["x".repeat(65), "张".repeat(65)] {
        let answer = viewer
            .get(&format!("/api/v1/people?q={}", encode(&q)))
            .await;
        assert_eq!(answer.0, 422, "{}", answer.1);
        assert_eq!(answer.1["code"], "invalid_query");
        assert!(answer.1["message"].is_string());
    }
    // A blank query lists.
    assert_eq!(search(&viewer, "   ").await.len(), 4);
}

async fn disabled_people_do_not_appear(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let zhang = add_named(&server, &org, "张三").await;
    add_named(&server, &org, "张伟").await;
    let (_, viewer) = server.person(&org, "Viewer Person", "member").await;
    assert_eq!(search(&viewer, "zs").await, strings(&["张三"]));

    let set_status = |status: &'static str| {
        let path = format!("/api/v1/people/{zhang}");
        let admin = server.admin.clone();
        async move {
            let answer = admin.patch(&path, json!({"status": status})).await;
            assert_eq!(assert_ok(&answer, 200)["status"], status);
        }
    };
    set_status("disabled").await;
    for q in ["zs", "zhangsan", "张三", "张"] {
        let found = search(&viewer, q).await;
        assert!(!found.contains(&"张三".to_owned()), "{q:?}: {found:?}");
    }
    assert!(!search(&viewer, "").await.contains(&"张三".to_owned()));
    assert_eq!(search(&viewer, "zhang").await, strings(&["张伟"]));
    // Nor for the platform admin, who searches everyone.
    assert_eq!(
        search(&server.admin, "zhangsan").await,
        Vec::<String>::new()
    );

    set_status("active").await;
    assert_eq!(search(&viewer, "zs").await, strings(&["张三"]));
}

async fn search_covers_exactly_whom_one_may_see(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = server.org("Acme").await;
    let b = server.org("Beta").await;
    let (_, admin_a) = server.person(&a, "Ada Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&a, "Alice Anders", "member").await;
    let (_, admin_b) = server.person(&b, "Bert Admin", "org_admin").await;
    let (guest_id, guest) = server.person(&b, "Gus Guest", "guest").await;
    let (_, bob) = server.person(&b, "Bob Brown", "member").await;
    add_named(&server, &a, "Andy Outsider").await;

    // Before anything is shared, each side searches only its own organization.
    assert_eq!(search(&alice, "gus").await, Vec::<String>::new());
    assert_eq!(search(&bob, "alice").await, Vec::<String>::new());
    assert_eq!(search(&guest, "bob").await, Vec::<String>::new());
    assert_eq!(search(&bob, "gus").await, strings(&["Gus Guest"]));
    // The platform admin searches everyone.
    assert_eq!(
        sorted(search(&server.admin, "admin").await),
        strings(&["Ada Admin", "Bert Admin", "Platform Admin"])
    );

    // A shared group brings its members into each other's directory, and no one else.
    let answer = admin_a
        .post(
            "/api/v1/groups",
            json!({"kind": "shared", "name": "Joint", "member_ids": [alice_id]}),
        )
        .await;
    let shared = assert_ok(&answer, 201)["id"].as_str().unwrap().to_owned();
    let answer = admin_a
        .post(
            &format!("/api/v1/groups/{shared}/partners"),
            json!({"org_id": b}),
        )
        .await;
    assert_ok(&answer, 201);
    let answer = admin_b
        .post(
            &format!("/api/v1/orgs/{b}/partner-invitations/{shared}/accept"),
            json!({}),
        )
        .await;
    assert_ok(&answer, 200);
    let answer = admin_b
        .post(
            &format!("/api/v1/groups/{shared}/members"),
            json!({"person_id": guest_id}),
        )
        .await;
    assert_ok(&answer, 200);

    assert_eq!(search(&alice, "gus").await, strings(&["Gus Guest"]));
    assert_eq!(search(&alice, "bob").await, Vec::<String>::new());
    assert_eq!(search(&guest, "alice").await, strings(&["Alice Anders"]));
    assert_eq!(search(&guest, "andy").await, Vec::<String>::new());
    assert_eq!(search(&guest, "bob").await, Vec::<String>::new());
    assert_eq!(
        sorted(search(&guest, "").await),
        strings(&["Ada Admin", "Alice Anders", "Gus Guest"])
    );
    // B's other staff gain nothing from their organization being a partner.
    assert_eq!(search(&bob, "alice").await, Vec::<String>::new());
    assert_eq!(search(&admin_b, "alice").await, Vec::<String>::new());
}

async fn the_index_follows_profile_changes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Acme").await;
    let logistics = department(&server, &org, "Logistics").await;
    let finance = department(&server, &org, "Finance").await;
    let (_, viewer) = server.person(&org, "Viewer Person", "member").await;
    let (me_id, me) = server.person(&org, "张三", "member").await;
    let answer = server
        .admin
        .patch(
            &format!("/api/v1/people/{me_id}"),
            json!({"department_id": logistics}),
        )
        .await;
    assert_ok(&answer, 200);
    assert_eq!(search(&viewer, "logistics").await, strings(&["张三"]));

    // One's own title and name.
    let answer = me
        .patch(
            &format!("/api/v1/people/{me_id}"),
            json!({"title": "Warehouse Lead", "display_name": "李四"}),
        )
        .await;
    assert_ok(&answer, 200);
    assert_eq!(search(&viewer, "warehouse").await, strings(&["李四"]));
    assert_eq!(search(&viewer, "lisi").await, strings(&["李四"]));
    assert_eq!(search(&viewer, "zhangsan").await, Vec::<String>::new());
    // The department survived the profile edit.
    assert_eq!(search(&viewer, "logistics").await, strings(&["李四"]));

    // Moving department.
    let answer = server
        .admin
        .patch(
            &format!("/api/v1/people/{me_id}"),
            json!({"department_id": finance}),
        )
        .await;
    assert_ok(&answer, 200);
    assert_eq!(search(&viewer, "finance").await, strings(&["李四"]));
    assert_eq!(search(&viewer, "logistics").await, Vec::<String>::new());

    // Renaming the department renames it in its people's entries.
    let answer = server
        .admin
        .patch(
            &format!("/api/v1/groups/{finance}"),
            json!({"name": "Treasury"}),
        )
        .await;
    assert_ok(&answer, 200);
    assert_eq!(search(&viewer, "treasury").await, strings(&["李四"]));
    assert_eq!(search(&viewer, "finance").await, Vec::<String>::new());
    assert_eq!(search(&viewer, "warehouse").await, strings(&["李四"]));
}

both_backends!(
    finds_people_by_every_spelling,
    exact_names_rank_first,
    exact_match_found_among_many_partial_ones,
    queries_are_bounded_and_literal,
    disabled_people_do_not_appear,
    search_covers_exactly_whom_one_may_see,
    the_index_follows_profile_changes,
);
