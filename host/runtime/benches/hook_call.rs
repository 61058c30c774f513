//! The cost of calling a plugin: a fresh, isolated store, instantiation from the pooling
//! allocator, the before-message hook and its return. Run: `cargo bench -p courtyard-runtime`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use courtyard_runtime::api::HostApi;
use courtyard_runtime::manifest::Manifest;
use courtyard_runtime::{Call, HookDecision, Limits, Runtime};
use criterion::{Criterion, criterion_group, criterion_main};

fn hook_call(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::new(None, Limits::default()).unwrap();
    let manifest = Manifest::parse(include_str!(
        "../../../tests/plugins/hostile/courtyard.toml"
    ))
    .unwrap();
    let plugin = runtime
        .load(manifest, &support::wasm("courtyard_plugin_hostile"))
        .unwrap();
    let host: Arc<dyn HostApi> = Arc::new(support::FakeHost::default());
    let grants = support::grants(&[]);
    let deadline = Duration::from_millis(50);
    c.bench_function("before_message hook, fresh store (allow)", |b| {
        b.to_async(&rt).iter(|| async {
            let d = runtime
                .before_message(
                    &plugin,
                    Call {
                        host: host.clone(),
                        scope: support::scope(),
                        grants: grants.clone(),
                    },
                    "hello there".to_owned(),
                    deadline,
                )
                .await
                .unwrap();
            assert_eq!(d, HookDecision::Allow);
        })
    });
    c.bench_function("command with a storage host call, fresh store", |b| {
        let dice = runtime
            .load(
                Manifest::parse(include_str!("../../../plugins/dice/courtyard.toml")).unwrap(),
                &support::wasm("courtyard_plugin_dice"),
            )
            .unwrap();
        let grants = support::grants(&["storage"]);
        b.to_async(&rt).iter(|| async {
            runtime
                .command(
                    &dice,
                    Call {
                        host: host.clone(),
                        scope: support::scope(),
                        grants: grants.clone(),
                    },
                    "roll".into(),
                    "6".into(),
                )
                .await
                .unwrap();
        })
    });
    // A host function's own cost: a command that calls `clock.now-ms` 1,000 times, less
    // the same command calling it none (docs/benchmarks.md divides the difference).
    for times in ["0", "1000"] {
        c.bench_function(&format!("command with {times} clock host calls"), |b| {
            b.to_async(&rt).iter(|| async {
                runtime
                    .command(
                        &plugin,
                        Call {
                            host: host.clone(),
                            scope: support::scope(),
                            grants: grants.clone(),
                        },
                        "misbehave".into(),
                        format!("clock {times}"),
                    )
                    .await
                    .unwrap();
            })
        });
    }
}

criterion_group!(benches, hook_call);
criterion_main!(benches);
