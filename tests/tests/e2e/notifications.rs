//! Email digests for people who are away, through a real SMTP server (aiosmtpd keeping a
//! maildir): direct messages and mentions still unread are emailed once; read, deleted,
//! other people's and audience-hidden messages are not; quiet hours hold mail back until
//! they end; turning digests off drops it; settings are validated — on SQLite and
//! PostgreSQL.

use serde_json::{Value, json};

use crate::common::external::{SmtpSink, skip_external};
use crate::common::{Backend, Client, TestServer};
use courtyard_host::config::{SmtpConfig, SmtpSecurity};

async fn say(client: &Client, group: &str, body: &str) -> String {
    let message = client.say(group, body).await;
    message["id"].as_str().unwrap().to_owned()
}

/// Mail to the test sink on `port`, due at once; the tests run the job themselves.
fn sink_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Courtyard <courtyard@example.com>".into(),
        digest_delay_minutes: 0,
        digest_interval_secs: 0,
    }
}

/// `HH:MM` in UTC, `minutes` from now (the test organizations' zone is UTC).
pub fn clock_from_now(minutes: i64) -> String {
    let t = (chrono::Utc::now().timestamp() / 60 + minutes).rem_euclid(24 * 60);
    format!("{:02}:{:02}", t / 60, t % 60)
}

async fn digests(server: &TestServer) -> usize {
    server
        .app
        .send_digests()
        .await
        .expect("the digest job runs")
}

/// Whether a raw email contains every needle (ASCII ones: lettre may encode the
/// non-ASCII parts of the body as base64).
fn mentions_all(mail: &str, needles: &[&str]) -> bool {
    needles.iter().all(|n| mail.contains(n))
}

async fn email_digests(backend: Backend) {
    if skip_external("an SMTP server (aiosmtpd)") {
        return;
    }
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(backend, move |c| {
        c.public_url = Some("https://chat.example.com".into());
        c.smtp = Some(sink_config(port));
    })
    .await;
    let org = server.org("Mail Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (carol_id, carol) = server.person(&org, "Carol", "member").await;

    // The defaults: digests on, no quiet hours, email available.
    let (status, settings) = bob.get("/api/v1/me/notifications").await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["email_digest"], true);
    assert_eq!(settings["quiet_hours"], Value::Null);
    assert_eq!(settings["email_available"], true);

    // A direct message and a mention of Bob; an ordinary message and one to Carol.
    let (status, dm) = alice
        .post("/api/v1/direct", json!({"person_ids": [bob_id]}))
        .await;
    assert!(status == 200 || status == 201, "{dm}");
    let dm = dm["id"].as_str().unwrap().to_owned();
    let (status, team) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id, carol_id]}),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let team = team["id"].as_str().unwrap().to_owned();
    say(&alice, &dm, "Can you approve PO-7781 today?").await;
    say(
        &alice,
        &team,
        &format!("<@{bob_id}> the truck is at gate 3"),
    )
    .await;
    say(&alice, &team, "lunch is ready").await;
    let for_carol = say(
        &alice,
        &team,
        &format!("<@{carol_id}> please sign the waybill"),
    )
    .await;

    // Carol reads hers before the job runs: she gets nothing.
    let (status, _) = carol
        .post(
            &format!("/api/v1/groups/{team}/read"),
            json!({"message_id": for_carol}),
        )
        .await;
    assert_eq!(status, 204);

    assert!(digests(&server).await >= 1);
    let mails = sink.messages();
    let bob_address = email_of(&server, &bob_id).await;
    let carol_address = email_of(&server, &carol_id).await;
    let to_bob: Vec<&String> = mails.iter().filter(|m| m.contains(&bob_address)).collect();
    assert_eq!(to_bob.len(), 1, "one email for Bob: {mails:?}");
    assert!(
        !mails.iter().any(|m| m.contains(&carol_address)),
        "Carol read hers"
    );
    assert_eq!(mails.len(), 1);
    let mail = to_bob[0];
    assert!(
        mail.contains("From: Courtyard <courtyard@example.com>"),
        "{mail}"
    );
    assert!(
        mentions_all(
            mail,
            &[
                &format!("https://chat.example.com/g/{dm}"),
                &format!("https://chat.example.com/g/{team}"),
                "PO-7781",
                "gate 3",
                "https://chat.example.com/account",
            ]
        ),
        "{mail}"
    );
    assert!(!mail.contains("lunch is ready"), "only what concerns Bob");
    assert!(
        mail.contains("multipart/alternative"),
        "text and HTML: {mail}"
    );

    // Nothing is sent twice.
    let before = sink.messages().len();
    assert_eq!(digests(&server).await, 0);
    assert_eq!(sink.messages().len(), before);

    // What Bob reads before the job is not emailed.
    let read_first = say(&alice, &dm, "never mind, done").await;
    let (status, _) = bob
        .post(
            &format!("/api/v1/groups/{dm}/read"),
            json!({"message_id": read_first}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(digests(&server).await, 0);
    // Nor what was deleted meanwhile.
    let deleted = say(&alice, &dm, "oops, wrong chat").await;
    assert_eq!(
        alice.delete(&format!("/api/v1/messages/{deleted}")).await.0,
        204
    );
    assert_eq!(digests(&server).await, 0);
    assert_eq!(sink.messages().len(), before);

    // Quiet hours around now (the organization's zone is UTC) hold the email back; when
    // they no longer cover now, it goes.
    let minutes = clock_from_now;
    let (status, set) = bob
        .put_json(
            "/api/v1/me/notifications",
            json!({"email_digest": true, "quiet_hours": {"start": minutes(-60), "end": minutes(60)}}),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["quiet_hours"]["start"], minutes(-60));
    say(&alice, &dm, "are you there?").await;
    assert_eq!(digests(&server).await, 0, "quiet hours");
    let (status, _) = bob
        .put_json(
            "/api/v1/me/notifications",
            json!({"email_digest": true, "quiet_hours": {"start": minutes(120), "end": minutes(180)}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(digests(&server).await, 1);
    assert!(sink.messages().iter().any(|m| m.contains("are you there")));

    // Digests off: queued messages are dropped, not sent later.
    let count = sink.messages().len();
    let (status, _) = bob
        .put_json(
            "/api/v1/me/notifications",
            json!({"email_digest": false, "quiet_hours": null}),
        )
        .await;
    assert_eq!(status, 200);
    say(&alice, &dm, "ping").await;
    assert_eq!(digests(&server).await, 0);
    let (status, _) = bob
        .put_json(
            "/api/v1/me/notifications",
            json!({"email_digest": true, "quiet_hours": null}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(digests(&server).await, 0, "dropped while off");
    assert_eq!(sink.messages().len(), count);

    // Bad settings are refused with a clear error, and change nothing.
    for body in [
        json!({"email_digest": true, "quiet_hours": {"start": "25:00", "end": "07:00"}}),
        json!({"email_digest": true, "quiet_hours": {"start": "7:00", "end": "08:00"}}),
        json!({"email_digest": true, "quiet_hours": {"start": "08:00", "end": "08:00"}}),
    ] {
        let (status, err) = bob.put_json("/api/v1/me/notifications", body).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["code"], "invalid_quiet_hours");
        assert!(err["message_zh"].is_string());
    }
    let (status, err) = bob
        .put_json("/api/v1/me/notifications", json!({"email_digest": "yes"}))
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        bob.get("/api/v1/me/notifications").await.1["quiet_hours"],
        Value::Null
    );
    assert_eq!(server.client().get("/api/v1/me/notifications").await.0, 401);
}

async fn email_of(server: &TestServer, person: &str) -> String {
    let (_, person) = server.admin.get(&format!("/api/v1/people/{person}")).await;
    person["email"].as_str().unwrap().to_owned()
}

crate::both_backends!(email_digests);

/// Figures for `docs/benchmarks.md`: one digest run emailing `PEOPLE` people through
/// aiosmtpd. Run with `cargo test -p courtyard-tests --test e2e notifications::digest_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn digest_figures() {
    const PEOPLE: usize = 200;
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(Backend::Sqlite, move |c| {
        c.smtp = Some(sink_config(port));
    })
    .await;
    let org = server.org("Figures Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(server.person(&org, &format!("P{i}"), "member").await.0);
    }
    let (_, team) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "All", "member_ids": people}),
        )
        .await;
    let team = team["id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    for chunk in people.chunks(20) {
        let body: String = chunk.iter().map(|p| format!("<@{p}> ")).collect();
        say(&alice, &team, &format!("{body}please check the waybill")).await;
    }
    let posting = started.elapsed();
    let started = std::time::Instant::now();
    let sent = digests(&server).await;
    let run = started.elapsed();
    assert_eq!(sent, PEOPLE);
    println!(
        "digest run: {sent} emails in {:.2} s ({:.1} ms per email, {:.0} emails/s); \
         posting the {} mention messages took {:.1} ms",
        run.as_secs_f64(),
        run.as_secs_f64() * 1000.0 / sent as f64,
        sent as f64 / run.as_secs_f64(),
        PEOPLE / 20,
        posting.as_secs_f64() * 1000.0
    );
}

/// Two host processes on one PostgreSQL database running the digest job at the same
/// moment: every digest goes out once (the job's cluster-wide lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_digest_per_cluster() {
    if crate::common::skip_postgres() || skip_external("an SMTP server (aiosmtpd)") {
        return;
    }
    const PEOPLE: usize = 12;
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let server = TestServer::start_with(Backend::Postgres, move |c| {
        c.smtp = Some(sink_config(port));
    })
    .await;
    let second = courtyard_host::App::start(server.app.config.clone())
        .await
        .expect("a second node starts on the same database");
    let org = server.org("Cluster Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    for round in 0..3 {
        for i in 0..PEOPLE {
            let (id, _) = server
                .person(&org, &format!("R{round}P{i}"), "member")
                .await;
            let (_, dm) = alice
                .post("/api/v1/direct", json!({"person_ids": [id]}))
                .await;
            say(&alice, dm["id"].as_str().unwrap(), "the contract is ready").await;
        }
        let (a, b) = tokio::join!(server.app.send_digests(), second.send_digests());
        assert_eq!(a.unwrap() + b.unwrap(), PEOPLE, "round {round}");
    }
    assert_eq!(sink.messages().len(), 3 * PEOPLE, "each digest once");
}
