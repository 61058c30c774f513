//! The host core on the hot paths, in-process (no HTTP): directory search over a large
//! organization, permission checks, and posting a message (the insert path, committed).
//!
//!   cargo bench -p courtyard-host --bench core
//!   BENCH_PEOPLE=10000 cargo bench -p courtyard-host --bench core -- directory
//!
//! Setup makes a fresh SQLite data directory with `BENCH_PEOPLE` people (default
//! 100,000; 1,000 when `cargo test --all-targets` runs each benchmark once): Chinese names from common surnames and given names (so pinyin and initials
//! are searched as people type them) and one in ten English names. Besides criterion's
//! per-query figures, `directory/as-you-type` prints p50/p95/p99/max over every prefix of
//! several names typed one key at a time, as a person does in the search box.

use std::sync::Arc;
use std::time::{Duration, Instant};

use courtyard_domain::policy::{self, Actor, GroupFacts};
use courtyard_domain::{GroupKind, MemberRole, OrgId, PersonId, Role};
use courtyard_host::app::auth::Auth;
use courtyard_host::{App, Config};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;

const PASSWORD: &str = "bench password 0123";
const SURNAMES: &str =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡";
const GIVEN: &str =
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚华玉萍红鹏辉飞宇晨欣怡浩然子涵梓轩博文思雨佳琪";
const ENGLISH_FIRST: [&str; 12] = [
    "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack", "Karen",
    "Leo",
];
const ENGLISH_LAST: [&str; 8] = [
    "Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark",
];

/// Names typed one key at a time for `directory/as-you-type`: pinyin, initials, Chinese
/// characters, English, and a name nobody has.
const TYPED: [&str; 7] = [
    "zhangwei",
    "zw",
    "张伟",
    "liuyang",
    "alice smith",
    "ly",
    "qxzv",
];

struct World {
    app: App,
    /// An ordinary member of the organization: the usual searcher.
    member: Auth,
    /// A team `member` is in, and one they are not.
    team: String,
    private_team: String,
    people: usize,
    setup: Duration,
    _dir: TempDir,
}

/// A directory under the system's temp dir, removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small deterministic generator (xorshift64*), so every run searches the same people.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

fn name(rng: &mut Rng) -> String {
    if rng.below(10) == 0 {
        return format!(
            "{} {}",
            ENGLISH_FIRST[rng.below(ENGLISH_FIRST.len())],
            ENGLISH_LAST[rng.below(ENGLISH_LAST.len())]
        );
    }
    let pick = |set: &str, rng: &mut Rng| {
        let chars: Vec<char> = set.chars().collect();
        chars[rng.below(chars.len())]
    };
    let mut name = String::from(pick(SURNAMES, rng));
    for _ in 0..1 + rng.below(2) {
        name.push(pick(GIVEN, rng));
    }
    name
}

async fn world(people: usize) -> anyhow::Result<World> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("courtyard-bench-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let dir = TempDir(dir);
    let config = Config {
        data_dir: dir.0.clone(),
        posts_per_minute: 0,
        ..Config::default()
    };
    let app = App::start(config).await?;
    app.bootstrap_admin("admin@bench.example.com", PASSWORD, "Admin", "Bench Org")
        .await?;
    let sign_in = |email: &'static str| {
        let app = app.clone();
        async move {
            let session = app.login(email, PASSWORD, None).await?;
            anyhow::Ok(app.authenticate(&session.token).await?)
        }
    };
    let admin = sign_in("admin@bench.example.com").await?;
    add_person(
        &app,
        &admin,
        "member@bench.example.com",
        "张伟",
        Some(PASSWORD),
    )
    .await?;
    // Many at once: the writer commits them in batches.
    let rng = Arc::new(std::sync::Mutex::new(Rng(0x5eed_1234)));
    let mut tasks = tokio::task::JoinSet::new();
    const WIDTH: usize = 64;
    for w in 0..WIDTH {
        let (app, admin, rng) = (app.clone(), admin.clone(), rng.clone());
        tasks.spawn(async move {
            for i in (w..people).step_by(WIDTH) {
                let display = name(&mut rng.lock().expect("not poisoned"));
                let email = format!("p{i}@bench.example.com");
                add_person(&app, &admin, &email, &display, None).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let member = sign_in("member@bench.example.com").await?;
    let group = |auth: Auth, name: &'static str| {
        let app = app.clone();
        async move {
            let input = serde_json::from_value(json!({"kind": "team", "name": name}))?;
            anyhow::Ok(app.create_group(&auth, input).await?.id)
        }
    };
    let team = group(member.clone(), "Bench team").await?;
    let private_team = group(admin, "Not the member's team").await?;
    Ok(World {
        app,
        member,
        team,
        private_team,
        people,
        setup: started.elapsed(),
        _dir: dir,
    })
}

/// Adds a person to the admin's organization.
async fn add_person(
    app: &App,
    admin: &Auth,
    email: &str,
    display_name: &str,
    password: Option<&str>,
) -> anyhow::Result<()> {
    let body = json!({"email": email, "display_name": display_name, "password": password});
    let org = admin.actor.org_id.as_str();
    app.create_person(admin, org, serde_json::from_value(body)?)
        .await?;
    Ok(())
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs each benchmark once
    // as a smoke test, for which a small directory does.
    let benching = std::env::args().any(|a| a == "--bench");
    let people = std::env::var("BENCH_PEOPLE")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(if benching { 100_000 } else { 1_000 });
    let w = rt.block_on(world(people)).expect("setup");
    println!(
        "setup: {} people in {:.1} s",
        w.people + 2,
        w.setup.as_secs_f64()
    );

    let mut g = c.benchmark_group("directory");
    g.sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for q in [
        "z", "zhang", "zhangwei", "zw", "张", "张伟", "alice", "qxzv",
    ] {
        g.bench_with_input(BenchmarkId::new("search", q), q, |b, q| {
            b.to_async(&rt).iter(|| async {
                w.app
                    .search_people(&w.member, Some(q), Some(20))
                    .await
                    .expect("search")
            })
        });
    }
    g.finish();
    let typing_for = Duration::from_secs(if benching { 10 } else { 0 });
    rt.block_on(as_you_type(&w, typing_for));

    let mut g = c.benchmark_group("permission");
    let org = OrgId::generate();
    let actor = Actor {
        person_id: PersonId::generate(),
        org_id: org.clone(),
        role: Role::Member,
    };
    let facts = GroupFacts {
        org_id: &org,
        kind: GroupKind::Team,
        archived: false,
        membership: Some(MemberRole::Member),
    };
    g.bench_function("group_rights (pure)", |b| {
        b.iter(|| policy::group_rights(std::hint::black_box(&actor), &facts))
    });
    g.bench_function("get_group as a member", |b| {
        b.to_async(&rt)
            .iter(|| async { w.app.get_group(&w.member, &w.team).await.expect("readable") })
    });
    g.bench_function("get_group refused (not a member)", |b| {
        b.to_async(&rt).iter(|| async {
            let refused = w.app.get_group(&w.member, &w.private_team).await;
            assert!(refused.is_err(), "a non-member reads a private team");
        })
    });
    g.finish();

    let mut g = c.benchmark_group("insert");
    g.sample_size(30).measurement_time(Duration::from_secs(5));
    let mut n = 0u64;
    g.bench_function("post_message (one at a time, committed)", |b| {
        b.to_async(&rt).iter(|| {
            n += 1;
            let input = serde_json::from_value(json!({
                "body": format!("bench message {n}: 审批 budget approved"),
                "client_txn_id": format!("bench-{n}"),
            }))
            .expect("a message");
            async {
                w.app
                    .post_message(&w.member, &w.team, input)
                    .await
                    .expect("posted")
            }
        })
    });
    g.finish();
}

/// Every prefix of each name in `TYPED`, searched in turn (again and again for `at_least`):
/// the latency distribution a person typing in the search box sees.
async fn as_you_type(w: &World, at_least: Duration) {
    let prefixes: Vec<String> = TYPED
        .iter()
        .flat_map(|t| {
            let chars: Vec<char> = t.chars().collect();
            (1..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .filter(|p| !p.trim().is_empty())
        .collect();
    let mut us = Vec::new();
    let started = Instant::now();
    while us.is_empty() || started.elapsed() < at_least {
        for p in &prefixes {
            let t = Instant::now();
            w.app
                .search_people(&w.member, Some(p), Some(20))
                .await
                .expect("search");
            us.push(t.elapsed().as_micros() as u64);
        }
    }
    us.sort_unstable();
    let at = |p: f64| us[((p / 100.0 * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1];
    println!(
        "directory/as-you-type: {} searches ({} prefixes), p50 {:.2} ms, p95 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms",
        us.len(),
        prefixes.len(),
        at(50.0) as f64 / 1000.0,
        at(95.0) as f64 / 1000.0,
        at(99.0) as f64 / 1000.0,
        at(100.0) as f64 / 1000.0
    );
}

criterion_group!(core, benches);
criterion_main!(core);
