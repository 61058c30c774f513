//! A group's feed: posts listed apart from chat, with comments (thread replies) and likes.

use crate::common::{Backend, TestServer};
use serde_json::json;

async fn feed_lists_posts_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let org = server.org("Feed Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (_, gid) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "interest", "name": "Photography"}),
        )
        .await;
    let gid = gid["id"].as_str().unwrap().to_owned();
    alice.say(&gid, "a chat line").await;
    let (status, post) = alice
        .post(
            &format!("/api/v1/groups/{gid}/messages"),
            json!({"body": "Sunset at the harbour", "client_txn_id": "p1", "kind": "post"}),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let pid = post["id"].as_str().unwrap();
    let (status, comment) = alice
        .post(
            &format!("/api/v1/groups/{gid}/messages"),
            json!({"body": "Lovely", "client_txn_id": "c1", "thread_root_id": pid}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    let (status, _) = alice
        .put(&format!("/api/v1/messages/{pid}/reactions/like"))
        .await;
    assert_eq!(status, 200);

    let (status, feed) = alice
        .get(&format!("/api/v1/groups/{gid}/messages?kind=post"))
        .await;
    assert_eq!(status, 200);
    let feed = feed.as_array().unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0]["id"], pid);
    assert_eq!(feed[0]["reply_count"], 1);
    assert_eq!(feed[0]["reactions"][0]["emoji"], "like");
    let (_, chat) = alice
        .get(&format!("/api/v1/groups/{gid}/messages?kind=chat"))
        .await;
    assert_eq!(chat.as_array().unwrap().len(), 1);
    let (_, all) = alice.get(&format!("/api/v1/groups/{gid}/messages")).await;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "comments stay in their thread"
    );
    let (status, err) = alice
        .get(&format!("/api/v1/groups/{gid}/messages?kind=story"))
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "invalid_kind");
}

both_backends!(feed_lists_posts_only);
