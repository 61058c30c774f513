//! Runs the example dice plugin in the sandbox against an in-memory host.

mod support;

use std::sync::Arc;

use courtyard_runtime::api::HostApi;
use courtyard_runtime::manifest::Manifest;
use courtyard_runtime::{
    ActionInput, ActionReply, Call, CallError, CommandReply, Limits, Plugin, Runtime,
};
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

/// A component built against the frozen 0.1.0 contract keeps working beside newer ones.
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

/// A component built against the frozen 0.2.0 contract keeps working beside 0.3.0 ones:
/// commands, storage, forms and their submissions, pages.
#[tokio::test]
async fn components_built_for_contract_0_2_still_run() {
    let runtime = Runtime::new(None, Limits::default()).unwrap();
    let manifest = Manifest::parse(include_str!(
        "../../../tests/plugins/legacy-v020/courtyard.toml"
    ))
    .unwrap();
    let plugin = runtime
        .load(manifest, &wasm("courtyard_plugin_legacy_v020"))
        .unwrap();
    assert_eq!(plugin.wit, "0.2.0");
    let host: Arc<dyn HostApi> = Arc::new(FakeHost::default());
    let call = || Call {
        host: host.clone(),
        scope: scope(),
        grants: support::grants(&["storage"]),
    };
    for n in 1..=2 {
        let reply = runtime
            .command(&plugin, call(), "legacy".into(), "".into())
            .await
            .unwrap();
        assert_eq!(
            reply,
            CommandReply::Message(format!("legacy plugin on 0.2.0 says hi ({n})"))
        );
    }
    let CommandReply::Form(form) = runtime
        .command(&plugin, call(), "form".into(), "".into())
        .await
        .unwrap()
    else {
        panic!("expected a form")
    };
    assert_eq!(form["id"], "claim");
    assert_eq!(form["fields"][0]["kind"], "money");
    assert_eq!(form["fields"][1]["default"], "travel");
    assert_eq!(form["fields"][2]["columns"][1]["kind"], "money");
    let reply = runtime
        .action(
            &plugin,
            call(),
            ActionInput {
                message_id: None,
                action_id: "claim".into(),
                value: "v020".into(),
                form_values: Some(serde_json::json!({"amount": "12.50"})),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        reply,
        ActionReply::Ephemeral(r#"claim v020 {"amount":"12.50"}"#.into())
    );
    let page = runtime
        .page(&plugin, call(), "home".into(), "a=1".into())
        .await
        .unwrap();
    assert_eq!(page.cards[0]["title"], "Hello 张三");
}

struct Probe {
    runtime: Runtime,
    plugin: Plugin,
    host: Arc<FakeHost>,
}

impl Probe {
    fn new() -> Self {
        let runtime = Runtime::new(None, Limits::default()).unwrap();
        let manifest =
            Manifest::parse(include_str!("../../../tests/plugins/probe/courtyard.toml")).unwrap();
        let plugin = runtime
            .load(manifest, &wasm("courtyard_plugin_probe"))
            .unwrap();
        Probe {
            runtime,
            plugin,
            host: Arc::new(FakeHost::default()),
        }
    }

    async fn run_as(
        &self,
        scope: courtyard_runtime::api::Scope,
        grants: &[&str],
        command: &str,
        args: &str,
    ) -> Result<CommandReply, CallError> {
        let host: Arc<dyn HostApi> = self.host.clone();
        let call = Call {
            host,
            scope,
            grants: support::grants(grants),
        };
        self.runtime
            .command(&self.plugin, call, command.into(), args.into())
            .await
    }

    async fn run(&self, command: &str, args: &str) -> Result<CommandReply, CallError> {
        self.run_as(scope(), &["people", "messages", "files"], command, args)
            .await
    }

    async fn text(&self, command: &str, args: &str) -> String {
        match self.run(command, args).await {
            Ok(CommandReply::Ephemeral(text)) => text,
            other => panic!("/{command} {args}: {other:?}"),
        }
    }

    async fn refusal(&self, command: &str, args: &str) -> String {
        match self.run(command, args).await {
            Err(CallError::Plugin(text)) => text,
            other => panic!("/{command} {args} should fail: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_probe_reaches_what_contract_0_3_added() {
    let probe = Probe::new();
    assert_eq!(probe.plugin.wit, "0.3.0");

    // Organizations, and the acting person's home organization.
    assert_eq!(
        probe.text("org", "").await,
        "org org Org actor-org org partner false"
    );
    assert_eq!(probe.refusal("org", "elsewhere").await, "not found");
    probe
        .host
        .orgs
        .lock()
        .insert("partner".into(), "Partner Co".into());
    let mut partner = scope();
    partner.actor.as_mut().unwrap().org_id = "partner".into();
    partner.actor.as_mut().unwrap().role = "guest".into();
    let reply = probe.run_as(partner, &["people"], "org", "").await.unwrap();
    assert_eq!(
        reply,
        CommandReply::Ephemeral("org partner Partner Co actor-org partner partner true".into())
    );

    // A card for part of the group, then another audience.
    assert_eq!(probe.text("for", "p1 p2").await, "restricted r1");
    {
        let restricted = probe.host.restricted.lock();
        let card = &restricted["r1"];
        assert_eq!(card.group_id, "group");
        assert_eq!(card.audience, ["p1", "p2"]);
        assert_eq!(card.card["title"], "Just for you");
    }
    assert_eq!(probe.text("audience", "r1 p3").await, "audience p3");
    assert_eq!(probe.host.restricted.lock()["r1"].audience, ["p3"]);
    assert_eq!(probe.refusal("audience", "r9 p3").await, "not found");
    // Bounded before the host is asked: 1 to 100 ids of at most 64 bytes.
    let crowd = (0..101)
        .map(|i| format!("p{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        probe
            .refusal("for", &crowd)
            .await
            .contains("1 to 100 people")
    );
    assert!(probe.refusal("for", "").await.contains("1 to 100 people"));
    assert!(
        probe
            .refusal("audience", &format!("r1 {}", "x".repeat(65)))
            .await
            .contains("1 to 64 bytes")
    );
    assert_eq!(probe.host.restricted.lock().len(), 1);

    // Files: only those the host knows, shared with whom the plugin names.
    assert_eq!(probe.refusal("file", "f1").await, "not found");
    probe.host.add_file("f1", "receipt.txt", "p1");
    assert_eq!(
        probe.text("file", "f1 p2 p3").await,
        "file receipt.txt text/plain 5 bytes by p1 shared with 2"
    );
    assert_eq!(probe.host.shared_with("f1"), ["p2", "p3"]);
    assert!(
        probe
            .refusal("file", &format!("f1 {crowd}"))
            .await
            .contains("at most 100 people")
    );
    assert_eq!(probe.host.shared_with("f1"), ["p2", "p3"]);

    // Without the grants the host refuses before doing anything.
    let denied = |r: Result<CommandReply, CallError>| match r {
        Err(CallError::Plugin(text)) => text,
        other => panic!("should be denied: {other:?}"),
    };
    let no_files = probe.run_as(scope(), &["people", "messages"], "file", "f1 p4");
    assert!(denied(no_files.await).contains("`files` was not granted"));
    let no_messages = probe.run_as(scope(), &["people", "files"], "for", "p1");
    assert!(denied(no_messages.await).contains("`messages` was not granted"));
    let no_people = probe.run_as(scope(), &["messages", "files"], "org", "");
    assert!(denied(no_people.await).contains("`people` was not granted"));
    assert_eq!(probe.host.shared_with("f1"), ["p2", "p3"]);
}

#[tokio::test]
async fn department_and_formula_fields_reach_the_host_as_form_json() {
    let probe = Probe::new();
    let Ok(CommandReply::Form(form)) = probe.run("claim", "").await else {
        panic!("expected a form")
    };
    let fields = &form["fields"];
    assert_eq!(fields[0]["kind"], "department");
    assert_eq!(fields[0]["formula"], serde_json::Value::Null);
    assert_eq!(fields[1]["columns"][2]["kind"], "formula");
    assert_eq!(
        fields[1]["columns"][2]["formula"],
        serde_json::json!({"expression": "qty * price", "result": "money"})
    );
    assert_eq!(
        fields[2]["formula"],
        serde_json::json!({"expression": "sum(items.cost)", "result": "money"})
    );
    assert_eq!(fields[3]["formula"]["result"], "number");
    assert_eq!(fields[4]["kind"], "file");
    // The JSON is the host's own form type.
    let parsed: courtyard_runtime::form::Form = serde_json::from_value(form.clone()).unwrap();
    assert_eq!(
        parsed.fields[2].formula.as_ref().unwrap().result,
        courtyard_runtime::form::FormulaResult::Money
    );
}
