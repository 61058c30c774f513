//! Compliance over the real server: message retention per organization and legal holds
//! per group — old messages go for good (a thread root with newer replies stays as a
//! tombstone), held groups keep everything, the audit log records each run — and the
//! organization's data export.

use crate::common::{Backend, Client, TestServer};
use courtyard_host::on_tx;
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Moves messages (and the events that carried them) `days` into the past.
async fn age(server: &TestServer, ids: &[&str], days: i64) {
    let ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    server
        .app
        .writer
        .write(move |tx| {
            Box::pin(async move {
                for id in &ids {
                    let shift = days * DAY_MS;
                    const MSG: &str =
                        "UPDATE messages SET created_at = created_at - $1 WHERE id = $2";
                    const EVT: &str = "UPDATE events SET created_at = created_at - $1 \
                        WHERE seq = (SELECT seq FROM messages WHERE id = $2)";
                    for sql in [MSG, EVT] {
                        on_tx!(tx, c => sqlx::query(sql).bind(shift).bind(id)
                            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                    }
                }
                Ok(())
            })
        })
        .await
        .unwrap();
}

async fn post(client: &Client, group: &str, body: &str, root: Option<&str>) -> String {
    let (status, m) = client
        .post(
            &format!("/api/v1/groups/{group}/messages"),
            json!({"body": body, "client_txn_id": uuid::Uuid::new_v4().to_string(), "thread_root_id": root}),
        )
        .await;
    assert_eq!(status, 201, "{m}");
    m["id"].as_str().unwrap().to_owned()
}

async fn bodies(client: &Client, group: &str) -> Vec<(String, bool)> {
    let (status, list) = client
        .get(&format!("/api/v1/groups/{group}/messages"))
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| (m["body"].as_str().unwrap().to_owned(), m["deleted"] == true))
        .collect()
}

async fn old_messages_go_and_held_groups_keep_theirs(backend: Backend) {
    // The test runs retention itself, so the background job must not run it in between.
    let server = TestServer::start_with(backend, |c| c.retention_interval_secs = 0).await;
    let org = server.org("Retain Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let admin = &server.admin;
    let org_path = format!("/api/v1/orgs/{org}");

    // The policy is an organization setting with bounds; null keeps everything.
    for bad in [json!(0), json!(36_501), json!(-3), json!("7")] {
        let (status, body) = admin
            .patch(&org_path, json!({"message_retention_days": bad}))
            .await;
        assert!(status == 422 || status == 400, "{bad}: {status} {body}");
    }
    let (status, view) = admin
        .patch(&org_path, json!({"message_retention_days": 30}))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["message_retention_days"], 30);
    let (_, view) = admin
        .patch(&org_path, json!({"message_retention_days": null}))
        .await;
    assert_eq!(view["message_retention_days"], Value::Null);
    let (_, view) = admin.patch(&org_path, json!({"name": "Retain Co"})).await;
    assert_eq!(
        view["message_retention_days"],
        Value::Null,
        "absent leaves it alone"
    );
    let (status, _) = alice
        .patch(&org_path, json!({"message_retention_days": 1}))
        .await;
    assert_eq!(status, 403);

    let team = |name: &'static str| {
        let alice = alice.clone();
        async move {
            let (status, g) = alice
                .post("/api/v1/groups", json!({"kind": "team", "name": name}))
                .await;
            assert_eq!(status, 201, "{g}");
            g["id"].as_str().unwrap().to_owned()
        }
    };
    let plain = team("Plain").await;
    let held = team("Held").await;
    let root = post(&alice, &plain, "old root 旧话题", None).await;
    let old_reply = post(&alice, &plain, "old reply", Some(&root)).await;
    let alone = post(&alice, &plain, "old alone 旧消息", None).await;
    post(&alice, &plain, "new reply", Some(&root)).await;
    post(&alice, &plain, "recent", None).await;
    let kept = post(&alice, &held, "old but held", None).await;
    age(&server, &[&root, &old_reply, &alone, &kept], 10).await;

    // Legal holds: admins only, with a reason.
    let hold_path = format!("/api/v1/groups/{held}/legal-hold");
    let (status, _) = alice.put_json(&hold_path, json!({"reason": "mine"})).await;
    assert_eq!(status, 403);
    let (status, body) = admin.put_json(&hold_path, json!({"reason": "  "})).await;
    assert_eq!(status, 422, "{body}");
    let (status, hold) = admin
        .put_json(&hold_path, json!({"reason": "Case 2026-17"}))
        .await;
    assert_eq!(status, 200, "{hold}");
    assert_eq!(hold["group_id"], held.as_str());
    let (_, holds) = admin.get(&format!("{org_path}/legal-holds")).await;
    assert_eq!(holds[0]["reason"], "Case 2026-17", "{holds}");

    admin
        .patch(&org_path, json!({"message_retention_days": 7}))
        .await;
    server.app.apply_retention().await.unwrap();

    assert_eq!(
        bodies(&alice, &plain).await,
        [
            ("recent".to_owned(), false),
            (String::new(), true), // the root, kept for its newer reply
        ]
    );
    let (status, _) = alice.get(&format!("/api/v1/messages/{alone}")).await;
    assert_eq!(status, 404);
    let (status, thread) = alice.get(&format!("/api/v1/messages/{root}/replies")).await;
    assert_eq!(status, 200);
    let replies: Vec<&str> = thread
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(replies, ["new reply"]);
    let (_, root_now) = alice.get(&format!("/api/v1/messages/{root}")).await;
    assert_eq!(root_now["reply_count"], 1, "{root_now}");
    let (_, found) = alice.get("/api/v1/search/messages?q=old").await;
    let found: Vec<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["message"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["old but held"]);
    assert_eq!(
        bodies(&alice, &held).await,
        [("old but held".to_owned(), false)]
    );

    // The run is in the audit log; a second run finds nothing more to do.
    let (_, audit) = admin
        .get(&format!("{org_path}/audit?action=retention."))
        .await;
    assert_eq!(audit[0]["detail"]["deleted"], 2, "{audit}");
    assert_eq!(audit[0]["detail"]["tombstoned"], 1, "{audit}");
    server.app.apply_retention().await.unwrap();
    let (_, audit) = admin
        .get(&format!("{org_path}/audit?action=retention."))
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 1);

    // Released, the held group is subject to retention again.
    let (status, _) = admin.delete(&hold_path).await;
    assert_eq!(status, 204);
    let (status, _) = admin.delete(&hold_path).await;
    assert_eq!(status, 404);
    server.app.apply_retention().await.unwrap();
    assert!(bodies(&alice, &held).await.is_empty());
}

/// The files of an export archive, by name.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP archive");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        files.insert(f.name().unwrap().to_string(), text);
    }
    files
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn an_organization_exports_as_a_documented_archive(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Export Co").await;
    let other = server.org("Other Co").await;
    let (alice_id, alice) = server.person(&org, "Alice 爱丽丝", "member").await;
    let (_, stranger) = server.person(&other, "Stranger", "member").await;
    let (_, lead) = server.person(&org, "Lead", "org_admin").await;
    server
        .admin
        .patch(
            &format!("/api/v1/orgs/{org}"),
            json!({"anonymous_posts_enabled": true}),
        )
        .await;
    let (_, g) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "导出组"}))
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let first = post(&alice, &gid, "第一条消息", None).await;
    post(&alice, &gid, "a reply", Some(&first)).await;
    alice
        .put(&format!("/api/v1/messages/{first}/reactions/👍"))
        .await;
    let (status, _) = alice
        .post(
            &format!("/api/v1/groups/{gid}/messages"),
            json!({"body": "anonymous thoughts", "client_txn_id": "anon-1", "kind": "post", "anonymous": true}),
        )
        .await;
    assert_eq!(status, 201);
    stranger
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Not theirs"}),
        )
        .await;

    // Members and other organizations' admins get nothing.
    let path = format!("/api/v1/orgs/{org}/export");
    let (status, _) = alice.get(&path).await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = stranger.get(&path).await;
    assert!(status == 403 || status == 404, "{status}");

    let response = lead
        .http
        .get(format!("{}{path}", lead.base))
        .bearer_auth(lead.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(".zip"),
        "{disposition}"
    );
    let files = unzip(&response.bytes().await.unwrap());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "files.jsonl",
            "groups.jsonl",
            "manifest.json",
            "members.jsonl",
            "messages.jsonl",
            "organization.json",
            "people.jsonl",
            "plugin_kv.jsonl",
            "plugin_records.jsonl"
        ]
    );
    let manifest: Value = serde_json::from_str(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["format"], "courtyard-export");
    assert_eq!(manifest["version"], 1);
    assert_eq!(manifest["org_id"], org.as_str());
    for (name, text) in &files {
        if let Some(count) = manifest["files"][name].as_u64() {
            assert_eq!(text.lines().count() as u64, count, "{name}");
        }
    }
    let org_json: Value = serde_json::from_str(&files["organization.json"]).unwrap();
    assert_eq!(org_json["name"], "Export Co");

    let people = lines(&files["people.jsonl"]);
    assert!(people.iter().any(|p| p["display_name"] == "Alice 爱丽丝"));
    assert!(!people.iter().any(|p| p["display_name"] == "Stranger"));
    assert!(
        !files["people.jsonl"].contains("argon2") && !files["people.jsonl"].contains("search_text")
    );
    let groups = lines(&files["groups.jsonl"]);
    assert_eq!(groups.len(), 1, "only this organization's groups");
    assert_eq!(groups[0]["name"], "导出组");
    let messages = lines(&files["messages.jsonl"]);
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["body"], "第一条消息");
    assert_eq!(messages[0]["reactions"]["👍"], json!([alice_id]));
    assert_eq!(messages[1]["thread_root_id"], first.as_str());
    let anonymous = &messages[2];
    assert_eq!(anonymous["anonymous"], true);
    assert_eq!(anonymous["author_id"], Value::Null);
    assert!(!files["messages.jsonl"].contains("author_proof"));
    assert!(
        lines(&files["members.jsonl"])
            .iter()
            .any(|m| m["person_id"] == alice_id.as_str())
    );

    // The export is in the audit log.
    let (_, audit) = lead
        .get(&format!("/api/v1/orgs/{org}/audit?action=org.exported"))
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
}

both_backends!(old_messages_go_and_held_groups_keep_theirs);
both_backends!(an_organization_exports_as_a_documented_archive);
