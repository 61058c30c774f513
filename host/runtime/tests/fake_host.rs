//! Runs the example dice plugin in the sandbox against an in-memory host.

mod support;

use std::sync::Arc;

use courtyard_runtime::api::HostApi;
use courtyard_runtime::manifest::Manifest;
use courtyard_runtime::{ActionInput, ActionReply, Call, CommandReply, Limits, Runtime};
use support::{FakeHost, scope, wasm};

#[tokio::test]
async fn dice_rolls_and_counts() {
    let runtime = Runtime::new(None, Limits::default()).unwrap();
    let manifest = Manifest::parse(include_str!("../../../plugins/dice/courtyard.toml")).unwrap();
    let plugin = runtime
        .load(manifest, &wasm("courtyard_plugin_dice"))
        .unwrap();
    let host: Arc<dyn HostApi> = Arc::new(FakeHost::default());
    let grants = support::grants(&["storage"]);
    for expected in 1..=3 {
        let reply = runtime
            .command(
                &plugin,
                Call {
                    host: host.clone(),
                    scope: scope(),
                    grants: grants.clone(),
                },
                "roll".into(),
                "20".into(),
            )
            .await
            .unwrap();
        let CommandReply::Card(card) = reply else {
            panic!("expected a card, got {reply:?}")
        };
        assert!(card["title"].as_str().unwrap().contains("张三 rolled"));
        let fields = &card["blocks"][0]["fields"];
        assert_eq!(fields[0]["value"], "d20");
        assert_eq!(fields[2]["value"], expected.to_string());
    }
    let err = runtime
        .command(
            &plugin,
            Call {
                host: host.clone(),
                scope: scope(),
                grants: grants.clone(),
            },
            "roll".into(),
            "1000".into(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("2 to 100"), "{err}");
    let reply = runtime
        .action(
            &plugin,
            Call {
                host: host.clone(),
                scope: scope(),
                grants: grants.clone(),
            },
            ActionInput {
                message_id: Some("m1".into()),
                action_id: "roll".into(),
                value: "6".into(),
                form_values: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(reply, ActionReply::UpdateCard(_)));
    // Without the storage grant the host refuses and the plugin reports it.
    let err = runtime
        .command(
            &plugin,
            Call {
                host,
                scope: scope(),
                grants: support::grants(&[]),
            },
            "roll".into(),
            "".into(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("storage"), "{err}");
}

/// A component built against the frozen 0.1.0 contract keeps working beside 0.2.0 ones.
#[tokio::test]
async fn components_built_for_the_older_contract_still_run() {
    let runtime = Runtime::new(None, Limits::default()).unwrap();
    let manifest = Manifest::parse(include_str!(
        "../../../tests/plugins/legacy-v010/courtyard.toml"
    ))
    .unwrap();
    let plugin = runtime
        .load(manifest, &wasm("courtyard_plugin_legacy_v010"))
        .unwrap();
    assert_eq!(plugin.wit, "0.1.0");
    let host: Arc<dyn HostApi> = Arc::new(FakeHost::default());
    let reply = runtime
        .command(
            &plugin,
            Call {
                host,
                scope: scope(),
                grants: support::grants(&["storage"]),
            },
            "legacy".into(),
            "".into(),
        )
        .await
        .unwrap();
    let CommandReply::Message(text) = reply else {
        panic!("expected a message, got {reply:?}")
    };
    assert!(text.contains("legacy plugin on 0.1.0"), "{text}");
}
