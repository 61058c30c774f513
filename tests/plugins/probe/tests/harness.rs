//! What contract 0.3.0 added, through the SDK's harness (a real in-process host): files a
//! person uploaded, cards for part of a group, organizations, and department and formula
//! form fields.

use courtyard_sdk::testing::{Harness, MessageView, PluginReply};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_audiences_organizations_and_computed_forms() {
    let h = Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let group = h
        .group(&alice, "Claims", &[&bob, &carol], json!({}))
        .await
        .unwrap();
    let ephemeral = |reply: PluginReply| reply.ephemeral.unwrap();

    // A file Alice uploaded: Bob may not read it until the plugin shares it with him.
    let file = h
        .upload(&alice, "receipt.txt", b"hello".to_vec())
        .await
        .unwrap();
    assert_eq!((file.name.as_str(), file.size), ("receipt.txt", 5));
    assert!(h.file(&bob, &file.id).await.is_err());
    let said = h
        .command(&alice, &group, &format!("/file {} {}", file.id, bob.id))
        .await
        .unwrap();
    assert_eq!(
        ephemeral(said),
        format!(
            "file receipt.txt {} 5 bytes by {} shared with 1",
            file.content_type, alice.id
        )
    );
    assert_eq!(h.file(&bob, &file.id).await.unwrap(), file);
    assert!(h.file(&carol, &file.id).await.is_err());

    // The plugin's organization, which is also Alice's home.
    let said = ephemeral(h.command(&alice, &group, "/org").await.unwrap());
    assert!(
        said.starts_with(&format!("org {} ", h.org_id))
            && said.ends_with(&format!("actor-org {} partner false", h.org_id)),
        "{said}"
    );

    // A card only Bob (and Alice) see.
    let said = ephemeral(
        h.command(&alice, &group, &format!("/for {} {}", alice.id, bob.id))
            .await
            .unwrap(),
    );
    let id = said.strip_prefix("restricted ").unwrap().to_owned();
    let sees = |messages: Vec<MessageView>| messages.iter().any(|m| m.id == id);
    assert!(sees(h.messages(&bob, &group).await.unwrap()));
    assert!(!sees(h.messages(&carol, &group).await.unwrap()));
    h.command(&alice, &group, &format!("/audience {id} {}", carol.id))
        .await
        .unwrap();
    assert!(sees(h.messages(&carol, &group).await.unwrap()));
    assert!(!sees(h.messages(&bob, &group).await.unwrap()));

    // Department and formula fields: the host computes the formulas.
    let issued = h
        .command(&alice, &group, "/claim")
        .await
        .unwrap()
        .form
        .unwrap();
    assert_eq!(issued.form["fields"][0]["kind"], "department");
    let dept = h
        .department("Finance", None, None, &[&alice])
        .await
        .unwrap();
    let said = h
        .submit(
            &alice,
            &issued,
            json!({
                "department": dept.id,
                "items": [{"qty": 2, "price": "3.50"}, {"qty": 1, "price": "10"}],
                "total": "999",
            }),
        )
        .await
        .unwrap();
    let said = ephemeral(said);
    let values: serde_json::Value =
        serde_json::from_str(said.strip_prefix("claim ").unwrap()).unwrap();
    assert_eq!(values["total"], "17.00", "{said}");
    assert_eq!(values["lines"], 2, "{said}");
    assert_eq!(values["items"][0]["cost"], "7.00", "{said}");
}
