//! Message search over the real server: Chinese words inside longer words, filters, pages,
//! edits and deletions, and the reading rule — only groups one belongs to, never
//! burn-after-read messages, never who wrote an anonymous post.

use std::time::Duration;

use crate::common::{Backend, Client, TestServer};
use serde_json::{Value, json};

fn txn() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn search(client: &Client, query: &str) -> Value {
    let (status, page) = client
        .get(&format!("/api/v1/search/messages?{query}"))
        .await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn bodies(page: &Value) -> Vec<String> {
    page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["message"]["body"].as_str().unwrap().to_owned())
        .collect()
}

fn q(words: &str) -> String {
    format!("q={}", urlencode(words))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn team(client: &Client, name: &str) -> String {
    let (status, g) = client
        .post("/api/v1/groups", json!({"kind": "team", "name": name}))
        .await;
    assert_eq!(status, 201, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

async fn finds_words_people_may_read(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Search Co").await;
    let (alice_id, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (_, carol) = server.person(&org, "Carol", "member").await;
    let finance = team(&alice, "Finance").await;
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{finance}/members"),
            json!({"person_id": bob_id}),
        )
        .await;
    assert_eq!(status, 200);
    let private = team(&carol, "Carol's notes").await;

    let first = alice.say(&finance, "差旅报销单已提交").await;
    bob.say(&finance, "Quarterly Report is ready").await;
    let mention = alice
        .say(&finance, &format!("<@{bob_id}> 请审批报销"))
        .await;
    carol.say(&private, "我的报销草稿").await;

    // The two-character word inside a longer one, in both groups' members' eyes.
    let page = search(&bob, &q("报销")).await;
    assert_eq!(
        bodies(&page),
        [mention["body"].as_str().unwrap(), "差旅报销单已提交"]
    );
    let hit = &page["hits"][1];
    assert_eq!(hit["group_name"], "Finance");
    assert_eq!(hit["group_kind"], "team");
    let marked: Vec<&str> = hit["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["报销"]);
    // A mention reads as the name in the snippet, never as an id.
    let snippet: String = page["hits"][0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(snippet, "@Bob 请审批报销");
    assert_eq!(page["next_before"], Value::Null);

    // Carol is not in Finance; Alice and Bob are not in Carol's group.
    assert_eq!(bodies(&search(&carol, &q("报销")).await), ["我的报销草稿"]);
    assert_eq!(
        bodies(&search(&alice, &q("草稿")).await),
        Vec::<String>::new()
    );

    // Latin words: any case, any width, and the word being typed.
    let page = search(&alice, &q("QUARTERLY rep")).await;
    assert_eq!(bodies(&page), ["Quarterly Report is ready"]);
    assert_eq!(
        bodies(&search(&alice, &q("ｑｕａｒｔｅｒｌｙ")).await).len(),
        1
    );
    assert!(bodies(&search(&alice, &q("rep ")).await).is_empty());

    // Filters: group, author, time; and pages.
    let in_group = format!("{}&group_id={finance}", q("报销"));
    assert_eq!(bodies(&search(&bob, &in_group).await).len(), 2);
    let by_bob = format!("{}&author_id={bob_id}", q("报销"));
    assert!(bodies(&search(&bob, &by_bob).await).is_empty());
    let by_alice = format!("{}&author_id={alice_id}", q("报销"));
    assert_eq!(bodies(&search(&bob, &by_alice).await).len(), 2);
    let created = first["created_at"].as_i64().unwrap();
    let before_first = format!("{}&until={created}", q("报销"));
    assert!(bodies(&search(&bob, &before_first).await).is_empty());
    let from_first = format!("{}&since={created}", q("报销"));
    assert_eq!(bodies(&search(&bob, &from_first).await).len(), 2);
    let page = search(&bob, &format!("{}&limit=1", q("报销"))).await;
    assert_eq!(bodies(&page), [mention["body"].as_str().unwrap()]);
    let next = page["next_before"].as_i64().expect("a next page");
    let page = search(&bob, &format!("{}&limit=1&before={next}", q("报销"))).await;
    assert_eq!(bodies(&page), ["差旅报销单已提交"]);

    // Edits are searched as they now read; deleted messages are gone.
    let id = first["id"].as_str().unwrap();
    let (status, _) = alice
        .patch(
            &format!("/api/v1/messages/{id}"),
            json!({"body": "出差申请已批准"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(bodies(&search(&bob, &q("报销")).await).len(), 1);
    assert_eq!(bodies(&search(&bob, &q("出差")).await), ["出差申请已批准"]);
    let (status, _) = alice.delete(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 204);
    assert!(bodies(&search(&bob, &q("出差")).await).is_empty());

    // Leaving a group takes its messages out of one's results.
    let (status, _) = bob
        .delete(&format!("/api/v1/groups/{finance}/members/{bob_id}"))
        .await;
    assert!(status == 200 || status == 204, "{status}");
    assert!(bodies(&search(&bob, &q("报销")).await).is_empty());
}

async fn secret_things_stay_secret(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Quiet Co").await;
    let (alice_id, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (status, _) = server
        .admin
        .patch(
            &format!("/api/v1/orgs/{org}"),
            json!({"anonymous_posts_enabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    let board = team(&alice, "Board").await;
    alice
        .post(
            &format!("/api/v1/groups/{board}/members"),
            json!({"person_id": bob_id}),
        )
        .await;
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{board}/messages"),
            json!({"body": "食堂咖啡太难喝", "client_txn_id": txn(), "kind": "post", "anonymous": true}),
        )
        .await;
    assert_eq!(status, 201);
    // Found by its words, without an author; never by its author's id.
    let page = search(&bob, &q("咖啡")).await;
    assert_eq!(bodies(&page), ["食堂咖啡太难喝"]);
    assert_eq!(page["hits"][0]["message"]["author"], Value::Null);
    assert!(!page.to_string().contains(&alice_id));
    let by_alice = format!("{}&author_id={alice_id}", q("咖啡"));
    assert!(bodies(&search(&bob, &by_alice).await).is_empty());
    assert!(bodies(&search(&alice, &by_alice).await).is_empty());

    // Burn-after-read messages are never indexed.
    let (status, dm) = alice
        .post("/api/v1/direct", json!({"person_ids": [bob_id]}))
        .await;
    assert_eq!(status, 200, "{dm}");
    let dm = dm["id"].as_str().unwrap();
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{dm}/messages"),
            json!({"body": "保险柜密码 0000", "client_txn_id": txn(), "burn_after_secs": 60}),
        )
        .await;
    assert_eq!(status, 201);
    alice.say(dm, "普通的密码提示").await;
    assert_eq!(bodies(&search(&bob, &q("密码")).await), ["普通的密码提示"]);

    // Another group's id is not found; hostile queries are words or clear refusals.
    let (_, outsider) = server.person(&org, "Olga", "member").await;
    let (status, body) = outsider
        .get(&format!(
            "/api/v1/search/messages?{}&group_id={board}",
            q("咖啡")
        ))
        .await;
    assert_eq!(status, 404, "{body}");
    for hostile in [
        "\"咖啡\" OR 1=1 --",
        "NEAR(a b)",
        "咖啡*",
        "'; DROP TABLE messages; --",
        "a:* & !b",
    ] {
        let (status, body) = bob
            .get(&format!("/api/v1/search/messages?{}", q(hostile)))
            .await;
        assert_eq!(status, 200, "{hostile}: {body}");
    }
    for (query, code) in [
        ("q=", "invalid_query"),
        ("q=%20%20", "invalid_query"),
        ("q=%3F%21", "invalid_query"),
        (&*format!("q={}", "x".repeat(201)), "invalid_query"),
        (&*format!("{}&since=10&until=5", q("咖啡")), "invalid_range"),
    ] {
        let (status, body) = bob.get(&format!("/api/v1/search/messages?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["code"], code, "{body}");
    }
    let (status, body) = bob.get("/api/v1/search/messages").await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, _) = server
        .client()
        .get(&format!("/api/v1/search/messages?{}", q("咖啡")))
        .await;
    assert_eq!(status, 401);
}

/// Messages written before the index existed are indexed at start-up.
async fn history_from_before_the_index_is_backfilled(backend: Backend) {
    use courtyard_host::store::search as index;
    let server = TestServer::start(backend).await;
    let org = server.org("Old Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let g = team(&alice, "Archive").await;
    let mut seqs = Vec::new();
    for i in 0..7 {
        let m = alice.say(&g, &format!("历史消息 number {i}")).await;
        seqs.push(m["seq"].as_i64().unwrap());
    }
    assert_eq!(bodies(&search(&alice, &q("历史")).await).len(), 7);
    // Make it look like an upgrade: the index is empty and the backfill marker is set.
    let top = *seqs.last().unwrap();
    server
        .app
        .writer
        .write(move |tx| {
            Box::pin(async move {
                for seq in seqs {
                    index::unindex(tx, seq).await?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
    server
        .app
        .store
        .meta_get_or_insert("search_backfill_upto", &top.to_string())
        .await
        .unwrap();
    assert!(bodies(&search(&alice, &q("历史")).await).is_empty());
    let server = server.restart().await;
    // Sessions live in the database; only the address changed.
    let alice = Client {
        base: server.base.clone(),
        ..alice
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = bodies(&search(&alice, &q("历史")).await).len();
        if found == 7 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "backfill found {found} of 7"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        server
            .app
            .store
            .meta_get("search_backfill_upto")
            .await
            .unwrap(),
        None
    );
}

both_backends!(finds_words_people_may_read);
both_backends!(secret_things_stay_secret);
both_backends!(history_from_before_the_index_is_backfilled);
