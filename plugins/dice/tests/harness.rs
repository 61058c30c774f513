//! The dice plugin in a real in-process host, through the SDK's test harness.

use courtyard_sdk::testing::Harness;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_card_counts_per_group_and_rerolls() {
    let h = Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let games = h
        .group(&alice, "Games", &[&bob], json!({"max_sides": 20}))
        .await
        .unwrap();
    let other = h.group(&bob, "Other", &[], json!({})).await.unwrap();

    let first = h
        .command(&alice, &games, "/roll")
        .await
        .unwrap()
        .message
        .unwrap();
    let card = first.card.as_ref().unwrap();
    assert!(
        card["title"]
            .as_str()
            .unwrap()
            .starts_with("🎲 Alice rolled")
    );
    assert_eq!(card["blocks"][0]["fields"][0]["value"], "d6");
    assert_eq!(card["blocks"][0]["fields"][2]["value"], "1");

    // Bob presses "roll again": the same card updates, the tally grows.
    let again = h
        .press(&bob, &first.id, "roll", "6")
        .await
        .unwrap()
        .message
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.card.unwrap()["blocks"][0]["fields"][2]["value"], "2");

    // Tallies are per group; settings are per group too.
    let there = h
        .command(&bob, &other, "/roll 100")
        .await
        .unwrap()
        .message
        .unwrap();
    assert_eq!(there.card.unwrap()["blocks"][0]["fields"][2]["value"], "1");
    let err = h.command(&alice, &games, "/roll 100").await.unwrap_err();
    assert!(err.to_string().contains("2 to 20"), "{err}");
    let err = h.command(&alice, &games, "/roll many").await.unwrap_err();
    assert!(err.to_string().contains("not a number"), "{err}");

    let history = h.messages(&bob, &games).await.unwrap();
    assert_eq!(
        history.len(),
        1,
        "re-rolls update the card instead of posting again"
    );
}
