//! The tasks plugin in a real in-process host, through the SDK's test harness: the quick
//! command and its card updated in place, reminders that fire once and follow the due
//! time, tasks from a message's thread and comments from the card's thread, forms whose
//! edits merge with changes made meanwhile, concurrent changes that are all kept, the
//! pages, permissions and Chinese.

use std::future::Future;
use std::time::Duration;

use courtyard_host::app::auth::Auth;
use courtyard_host::app::messages::PostMessage;
use courtyard_host::app::plugins::RunCommand;
use courtyard_host::app::plugins::surfaces::{IssuedForm, RunPageAction};
use courtyard_sdk::testing::{Harness, PluginReply, TestGroup, TestPerson};
use futures_util::future::join_all;
use serde_json::{Value, json};

const PLUGIN: &str = "tasks";
const MIN: u64 = 60;
const HOUR: u64 = 3600;

async fn start() -> Harness {
    Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap()
}

fn id_of(group: &TestGroup, n: u64) -> String {
    format!("{}.{n}", group.id)
}

async fn cmd(h: &Harness, who: &TestPerson, group: &TestGroup, text: &str) -> PluginReply {
    h.command(who, group, text)
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

async fn cmd_err(h: &Harness, who: &TestPerson, group: &TestGroup, text: &str) -> String {
    match h.command(who, group, text).await {
        Ok(r) => panic!("{text} should fail, answered {r:?}"),
        Err(e) => e.to_string(),
    }
}

/// `who`'s session reading Chinese.
fn zh(who: &TestPerson) -> Auth {
    let mut auth = who.auth().clone();
    auth.locale = "zh-CN".into();
    auth
}

/// The newest card in `group` whose title starts with `prefix`: (message id, card).
async fn card(h: &Harness, who: &TestPerson, group: &TestGroup, prefix: &str) -> (String, Value) {
    h.messages(who, group)
        .await
        .unwrap()
        .into_iter()
        .find_map(|m| {
            let c = m.card?;
            c["title"]
                .as_str()?
                .starts_with(prefix)
                .then_some((m.id, c))
        })
        .unwrap_or_else(|| panic!("no card “{prefix}…”"))
}

/// A card as text: title, badges, fields, texts, people, timeline titles, buttons and forms.
fn text_of(card: &Value) -> String {
    let mut out = vec![card["title"].as_str().unwrap_or_default().to_owned()];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    for b in card["blocks"].as_array().into_iter().flatten() {
        match b["type"].as_str().unwrap_or_default() {
            "text" => out.push(s(&b["text"])),
            "badge" => out.push(format!("[{}]", s(&b["text"]))),
            "fields" => {
                for f in b["fields"].as_array().into_iter().flatten() {
                    out.push(format!("{}: {}", s(&f["label"]), s(&f["value"])));
                }
            }
            "people" => {
                for p in b["people"].as_array().into_iter().flatten() {
                    out.push(format!("@{}", s(&p["display_name"])));
                }
            }
            "timeline" => {
                for e in b["entries"].as_array().into_iter().flatten() {
                    out.push(format!("~ {} {}", s(&e["title"]), s(&e["detail"])));
                }
            }
            "buttons" => {
                for x in b["buttons"].as_array().into_iter().flatten() {
                    out.push(format!("<{}>", s(&x["action_id"])));
                }
            }
            "table" => {
                for row in b["rows"].as_array().into_iter().flatten() {
                    let cells: Vec<String> = row.as_array().unwrap().iter().map(s).collect();
                    out.push(format!("| {}", cells.join(" | ")));
                }
            }
            "form" => out.push(format!("{{form {}}}", s(&b["form"]["id"]))),
            _ => {}
        }
    }
    out.join("\n")
}

/// Calls a route as `who` (in `group` when given): (status, JSON).
async fn call(
    h: &Harness,
    who: &TestPerson,
    group: Option<&TestGroup>,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let path = match group {
        Some(g) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}group_id={}", g.id)
        }
        None => path.to_owned(),
    };
    let body = (!body.is_null()).then_some(body);
    let r = h.http(who, PLUGIN, method, &path, body).await.unwrap();
    let json = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    (r.status, json)
}

async fn task(h: &Harness, who: &TestPerson, group: &TestGroup, n: u64) -> Value {
    let (status, body) = call(
        h,
        who,
        Some(group),
        "GET",
        &format!("tasks/{}", id_of(group, n)),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Cards the plugin sent `who` whose title contains `needle`.
async fn inbox_count(h: &Harness, who: &TestPerson, needle: &str) -> usize {
    h.inbox(who, PLUGIN)
        .await
        .unwrap()
        .iter()
        .filter(|m| {
            m.card
                .as_ref()
                .and_then(|c| c["title"].as_str())
                .is_some_and(|t| t.contains(needle))
        })
        .count()
}

/// Waits for something an event handler does (events are delivered after the fact).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn reply_in_thread(
    h: &Harness,
    who: &TestPerson,
    group: &TestGroup,
    root: &str,
    body: &str,
) -> String {
    h.app
        .post_message(
            who.auth(),
            &group.id,
            PostMessage {
                body: body.to_owned(),
                client_txn_id: format!("{root}-{}", body.len()),
                thread_root_id: Some(root.to_owned()),
                kind: None,
                anonymous: false,
                burn_after_secs: None,
                attachments: Vec::new(),
            },
        )
        .await
        .unwrap()
        .message
        .id
}

async fn thread_bodies(h: &Harness, who: &TestPerson, root: &str) -> Vec<String> {
    h.app
        .thread(who.auth(), root, None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

/// A form's field by name.
fn field<'a>(form: &'a Value, name: &str) -> &'a Value {
    form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {form}"))
}

/// The plugin's pending timer keys.
async fn timer_keys(h: &Harness) -> Vec<String> {
    h.app
        .plugin_timers(h.admin().auth(), &h.org_id, PLUGIN)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect()
}

/// `YYYY-MM-DDTHH:MM` (UTC, the harness organization's zone) `secs` from plugin-now.
fn local_in(h: &Harness, secs: i64) -> String {
    let ms = h.app.plugin_clock.now_ms() + secs * 1000;
    let date = courtyard_sdk::time::Date::from_days(ms.div_euclid(86_400_000));
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    format!("{date}T{:02}:{:02}", minutes / 60, minutes % 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_command_posts_a_card_that_updates_in_place() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let dave = h.person("Dave").await.unwrap();
    let team = h
        .group(&alice, "Team", &[&bob, &carol], json!({}))
        .await
        .unwrap();
    let id = id_of(&team, 1);

    let reply = cmd(
        &h,
        &alice,
        &team,
        &format!(
            "/task Send the quote <@{}> due:+3h p1\nFor ACME, with the new prices\n- draft\n- [x] prices",
            bob.id
        ),
    )
    .await;
    assert!(
        reply
            .ephemeral
            .as_deref()
            .unwrap()
            .starts_with("Created #1 Send the quote · due "),
        "{reply:?}"
    );
    let (card_id, c) = card(&h, &alice, &team, "#1 ").await;
    let text = text_of(&c);
    for want in [
        "#1 Send the quote",
        "[To do]",
        "[P1 · High]",
        "Priority: P1 · High",
        "Checklist: 1/2",
        "@Bob",
        "For ACME, with the new prices",
        "☐ 1. draft\n☑ 2. prices",
        "~ Alice created the task",
        "<start>",
        "<done>",
        "<edit>",
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    assert!(!text.contains("<take>"), "it has an assignee");
    // Bob hears about it in his conversation with the plugin; Alice assigned herself nothing.
    assert_eq!(
        inbox_count(&h, &bob, "Assigned to you: #1 Send the quote").await,
        1
    );
    assert!(h.inbox(&alice, PLUGIN).await.unwrap().is_empty());

    // Carol is neither its creator nor its assignee.
    let err = h.press(&carol, &card_id, "done", &id).await.unwrap_err();
    assert!(
        err.to_string().contains("Only the task's assignees"),
        "{err}"
    );

    // Bob starts it: the same card changes, nothing new is posted.
    let pressed = h.press(&bob, &card_id, "start", &id).await.unwrap();
    assert!(
        pressed.message.is_none() && pressed.ephemeral.is_none(),
        "{pressed:?}"
    );
    let (same, c) = card(&h, &alice, &team, "#1 ").await;
    assert_eq!(same, card_id);
    let text = text_of(&c);
    assert!(
        text.contains("[In progress]") && text.contains("~ Bob: To do → In progress"),
        "{text}"
    );
    assert!(!text.contains("<start>"), "{text}");

    h.press(&bob, &card_id, "done", &id).await.unwrap();
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(
        text.contains("[Done]") && text.contains("<reopen>") && !text.contains("<done>"),
        "{text}"
    );
    assert_eq!(
        inbox_count(&h, &alice, "✅ Done: #1 Send the quote").await,
        1
    );

    // "Done" again (here by command) changes nothing.
    let version = task(&h, &alice, &team, 1).await["task"]["version"].clone();
    let again = cmd(&h, &bob, &team, "/task done 1").await;
    assert_eq!(
        again.ephemeral.as_deref(),
        Some("#1 Send the quote is now Done")
    );
    assert_eq!(task(&h, &alice, &team, 1).await["task"]["version"], version);

    // Its creator reopens it.
    h.press(&alice, &card_id, "reopen", &id).await.unwrap();
    assert!(text_of(&card(&h, &alice, &team, "#1 ").await.1).contains("[To do]"));
    assert_eq!(
        h.messages(&alice, &team).await.unwrap().len(),
        1,
        "one card, changed in place"
    );

    // People by name; nobody outside the group.
    cmd(&h, &alice, &team, "/task Call the vendor @carol !urgent").await;
    let text = text_of(&card(&h, &alice, &team, "#2 ").await.1);
    assert!(
        text.contains("@Carol") && text.contains("[P0 · Urgent]"),
        "{text}"
    );
    let err = cmd_err(&h, &alice, &team, "/task Call @Zed").await;
    assert!(
        err.contains("No member of this group is called “Zed”"),
        "{err}"
    );
    let err = cmd_err(&h, &alice, &team, &format!("/task Call <@{}>", dave.id)).await;
    assert!(err.contains("Dave is not a member of this group"), "{err}");
    let err = cmd_err(&h, &alice, &team, "/task Call due:someday").await;
    assert!(err.contains("“someday” is not a due time"), "{err}");
    let err = cmd_err(&h, &alice, &team, "/task p1").await;
    assert!(err.contains("A task needs a title"), "{err}");
    let err = cmd_err(&h, &alice, &team, "/task start 99").await;
    assert!(err.contains("There is no task"), "{err}");

    let help = cmd(&h, &alice, &team, "/task help")
        .await
        .ephemeral
        .unwrap();
    assert!(help.contains("/task start|done|block|reopen 12"), "{help}");
    let form = cmd(&h, &alice, &team, "/task").await.form.unwrap();
    assert_eq!(form.form["id"], "create");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_fire_once_follow_the_due_time_and_stop_when_done() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let team = h
        .group(
            &alice,
            "Team",
            &[&bob],
            json!({"remind_before_minutes": 60}),
        )
        .await
        .unwrap();
    let id = id_of(&team, 1);

    cmd(
        &h,
        &alice,
        &team,
        &format!("/task Prepare the slides <@{}> due:+3h", bob.id),
    )
    .await;
    let keys = timer_keys(&h).await;
    assert!(
        keys.contains(&format!("remind.{id}")) && keys.contains(&format!("overdue.{id}")),
        "{keys:?}"
    );

    // The reminder is due an hour before the due time: not yet after an hour…
    assert_eq!(h.advance(Duration::from_secs(HOUR)).await.unwrap(), 0);
    assert_eq!(inbox_count(&h, &bob, "Due soon").await, 0);
    // …once after two, and never again.
    assert_eq!(
        h.advance(Duration::from_secs(HOUR + 2 * MIN))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        inbox_count(&h, &bob, "⏰ Due soon: #1 Prepare the slides").await,
        1
    );
    assert_eq!(h.advance(Duration::from_secs(30 * MIN)).await.unwrap(), 0);
    assert_eq!(inbox_count(&h, &bob, "Due soon").await, 1);
    assert!(!timer_keys(&h).await.contains(&format!("remind.{id}")));
    // Bob starts it from the reminder in his conversation with the plugin: that card is
    // redrawn for him, the group's card follows.
    let reminder = h
        .inbox(&bob, PLUGIN)
        .await
        .unwrap()
        .into_iter()
        .find(|m| {
            m.card
                .as_ref()
                .is_some_and(|c| c["title"].as_str().unwrap().contains("Due soon"))
        })
        .unwrap();
    let redrawn = h
        .press(&bob, &reminder.id, "start", &format!("{id}|due"))
        .await
        .unwrap()
        .message
        .unwrap();
    assert_eq!(redrawn.id, reminder.id);
    let text = text_of(redrawn.card.as_ref().unwrap());
    assert!(
        text.starts_with("⏰ Due soon: #1 Prepare the slides")
            && text.contains("[In progress]")
            && text.contains("<done>")
            && !text.contains("<edit>"),
        "{text}"
    );
    assert!(text_of(&card(&h, &alice, &team, "#1 ").await.1).contains("[In progress]"));
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(text.contains("~ Assignees reminded"), "{text}");

    // Moving the due time moves both notices: the old overdue notice (due in about half an
    // hour) does not fire, the new reminder does, once.
    let moved = cmd(&h, &alice, &team, "/task due 1 +5h").await;
    assert!(moved.ephemeral.unwrap().contains("due: "), "moved");
    assert_eq!(
        h.advance(Duration::from_secs(3 * HOUR + 50 * MIN))
            .await
            .unwrap(),
        0
    );
    assert_eq!(inbox_count(&h, &bob, "Overdue").await, 0);
    assert_eq!(h.advance(Duration::from_secs(15 * MIN)).await.unwrap(), 1);
    assert_eq!(inbox_count(&h, &bob, "Due soon").await, 2);
    // Past the new due time: the overdue notice, once; the card says so.
    assert_eq!(h.advance(Duration::from_secs(HOUR)).await.unwrap(), 1);
    assert_eq!(
        inbox_count(&h, &bob, "⚠️ Overdue: #1 Prepare the slides").await,
        1
    );
    assert_eq!(h.advance(Duration::from_secs(5 * HOUR)).await.unwrap(), 0);
    assert_eq!(inbox_count(&h, &bob, "Overdue").await, 1);
    assert_eq!(inbox_count(&h, &bob, "Due soon").await, 2);
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(
        text.contains("[Overdue]") && text.contains("(overdue)"),
        "{text}"
    );

    // Completing a task cancels its reminders.
    cmd(
        &h,
        &alice,
        &team,
        &format!("/task Book the room <@{}> due:+2h", bob.id),
    )
    .await;
    let second = id_of(&team, 2);
    assert_eq!(
        timer_keys(&h)
            .await
            .iter()
            .filter(|k| k.ends_with(&second))
            .count(),
        2
    );
    let (card2, _) = card(&h, &bob, &team, "#2 ").await;
    h.press(&bob, &card2, "done", &second).await.unwrap();
    assert!(timer_keys(&h).await.iter().all(|k| !k.ends_with(&second)));
    assert_eq!(h.advance(Duration::from_secs(3 * HOUR)).await.unwrap(), 0);
    assert_eq!(
        inbox_count(&h, &bob, "#2 Book the room").await,
        1,
        "only “assigned”"
    );

    // Reopened before its due time with the reminders already sent: nothing again.
    cmd(&h, &alice, &team, "/task reopen 1").await;
    assert_eq!(h.advance(Duration::from_secs(24 * HOUR)).await.unwrap(), 0);
    assert_eq!(
        inbox_count(&h, &bob, "#1 Prepare the slides").await,
        4,
        "assigned, 2 reminders, overdue"
    );

    // No assignee: the creator is reminded. No early reminder when switched off.
    let quiet = h
        .group(&alice, "Quiet", &[], json!({"remind_before_minutes": 0}))
        .await
        .unwrap();
    cmd(&h, &alice, &quiet, "/task Renew the domain due:+2h").await;
    assert_eq!(h.advance(Duration::from_secs(90 * MIN)).await.unwrap(), 0);
    assert_eq!(h.advance(Duration::from_secs(HOUR)).await.unwrap(), 1);
    assert_eq!(
        inbox_count(&h, &alice, "⚠️ Overdue: #1 Renew the domain").await,
        1
    );
    assert_eq!(inbox_count(&h, &alice, "Due soon").await, 0);

    // Overdue notices off: nobody is told, but the card still turns overdue on time.
    let silent = h
        .group(
            &alice,
            "Silent",
            &[&bob],
            json!({"overdue_reminder": false, "remind_before_minutes": 0}),
        )
        .await
        .unwrap();
    cmd(
        &h,
        &alice,
        &silent,
        &format!("/task Tidy up <@{}> due:+1h", bob.id),
    )
    .await;
    assert_eq!(h.advance(Duration::from_secs(2 * HOUR)).await.unwrap(), 1);
    assert_eq!(inbox_count(&h, &bob, "Tidy up").await, 1, "only “assigned”");
    let text = text_of(&card(&h, &alice, &silent, "#1 ").await.1);
    assert!(
        text.contains("[Overdue]") && !text.contains("reminded"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_from_a_thread_and_comments_from_the_cards_thread() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let team = h
        .group(&alice, "Support", &[&bob, &carol], json!({}))
        .await
        .unwrap();

    let root = h
        .post(&alice, &team, "ACME asks for a refund of order 1234")
        .await
        .unwrap();
    reply_in_thread(
        &h,
        &bob,
        &team,
        &root.id,
        &format!("/task Refund ACME <@{}> due:tomorrow p1", bob.id),
    )
    .await;
    eventually("the task's card", || async {
        h.messages(&alice, &team).await.unwrap().iter().any(|m| {
            m.card
                .as_ref()
                .is_some_and(|c| c["title"] == "#1 Refund ACME")
        })
    })
    .await;
    let body = task(&h, &alice, &team, 1).await;
    assert_eq!(body["task"]["source_message_id"], root.id);
    assert_eq!(body["task"]["creator"]["name"], "Bob");
    assert_eq!(body["task"]["priority"], "p1");
    eventually("the answer in the thread", || async {
        thread_bodies(&h, &alice, &root.id)
            .await
            .iter()
            .any(|b| b.starts_with("📌 Created #1 Refund ACME"))
    })
    .await;
    let (card_id, c) = card(&h, &alice, &team, "#1 ").await;
    assert!(
        text_of(&c).contains("From: a message in this group"),
        "{}",
        text_of(&c)
    );

    // A bad one is answered in the thread, and makes nothing.
    reply_in_thread(&h, &carol, &team, &root.id, "/task Chase it due:someday").await;
    eventually("the refusal in the thread", || async {
        thread_bodies(&h, &alice, &root.id)
            .await
            .iter()
            .any(|b| b.contains("⚠️ “someday” is not a due time"))
    })
    .await;

    // Replies in the card's thread are comments.
    reply_in_thread(
        &h,
        &carol,
        &team,
        &card_id,
        "They called again this morning",
    )
    .await;
    eventually("the comment", || async {
        task(&h, &alice, &team, 1).await["task"]["comments"] == 1
    })
    .await;
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(
        text.contains("💬 Carol: They called again this morning") && text.contains("Comments: 1"),
        "{text}"
    );
    // A comment from the card's button goes into the thread too.
    let form = h
        .press(&alice, &card_id, "comment", &id_of(&team, 1))
        .await
        .unwrap()
        .form
        .unwrap();
    let sent = h
        .submit(&alice, &form, json!({"text": "Approved, go ahead"}))
        .await
        .unwrap();
    assert_eq!(sent.ephemeral.as_deref(), Some("Commented on #1"));
    let thread = thread_bodies(&h, &alice, &card_id).await;
    assert!(
        thread.contains(&"💬 Alice: Approved, go ahead".to_owned()),
        "{thread:?}"
    );
    let body = task(&h, &alice, &team, 1).await;
    assert_eq!(body["task"]["comments"], 2);
    let comments: Vec<&str> = body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        comments,
        vec!["They called again this morning", "Approved, go ahead"]
    );
    // The plugin's own reply did not come back as a third comment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(task(&h, &alice, &team, 1).await["task"]["comments"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_create_and_edits_made_meanwhile_are_kept() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let team = h.group(&alice, "Team", &[&bob], json!({})).await.unwrap();
    let id = id_of(&team, 1);

    let form = cmd(&h, &alice, &team, "/task").await.form.unwrap();
    let due = local_in(&h, 2 * 86_400);
    let made = h
        .submit(
            &alice,
            &form,
            json!({"title": "Quarterly report", "assignees": [bob.id], "due": due,
                   "priority": "p2", "description": "Numbers from finance",
                   "checklist": "collect numbers\n[x] template\nwrite summary"}),
        )
        .await
        .unwrap();
    assert!(
        made.ephemeral
            .unwrap()
            .starts_with("Created #1 Quarterly report")
    );
    let (card_id, c) = card(&h, &alice, &team, "#1 ").await;
    let text = text_of(&c);
    assert!(
        text.contains(&format!("Due: {}", due.replace('T', " "))),
        "{text}"
    );
    assert!(
        text.contains("Checklist: 1/3") && text.contains("@Bob"),
        "{text}"
    );
    // A due time in the past is refused.
    let form = cmd(&h, &alice, &team, "/task").await.form.unwrap();
    let err = h
        .submit(
            &alice,
            &form,
            json!({"title": "Late", "due": local_in(&h, -3600), "priority": "p2"}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is in the past"), "{err}");

    // Bob opens the edit form; meanwhile Alice moves the due time. Bob renames the task and
    // sends the due time he was shown: Alice's due time stays.
    let edit = h
        .press(&bob, &card_id, "edit", &id)
        .await
        .unwrap()
        .form
        .unwrap();
    assert_eq!(field(&edit.form, "title")["default"], "Quarterly report");
    cmd(&h, &alice, &team, "/task due 1 +3d").await;
    let alices_due = task(&h, &alice, &team, 1).await["task"]["due_ms"].clone();
    let mut values = json!({"title": "Q3 report", "assignees": [bob.id], "due": due,
        "priority": "p2", "description": "Numbers from finance"});
    let saved = h.submit(&bob, &edit, values.clone()).await.unwrap();
    assert_eq!(saved.ephemeral.as_deref(), Some("Saved #1 Q3 report"));
    let now = task(&h, &alice, &team, 1).await;
    assert_eq!(now["task"]["title"], "Q3 report");
    assert_eq!(
        now["task"]["due_ms"], alices_due,
        "not overwritten with the stale value"
    );

    // Both change the priority, differently: the form comes back with Alice's value and a
    // note; sending it again with Bob's choice applies it.
    let edit = h
        .press(&bob, &card_id, "edit", &id)
        .await
        .unwrap()
        .form
        .unwrap();
    let version = now["task"]["version"].as_u64().unwrap();
    let (status, patched) = call(
        &h,
        &alice,
        Some(&team),
        "PATCH",
        &format!("tasks/{id}"),
        json!({"version": version, "priority": "p0"}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    values["title"] = json!("Q3 report");
    values["due"] = json!(field(&edit.form, "due")["default"].as_str().unwrap());
    values["priority"] = json!("p3");
    let again = h
        .submit(&bob, &edit, values.clone())
        .await
        .unwrap()
        .form
        .unwrap();
    let priority = field(&again.form, "priority");
    assert_eq!(priority["default"], "p0");
    assert!(
        priority["help"]
            .as_str()
            .unwrap()
            .contains("Someone else changed this"),
        "{priority}"
    );
    assert_eq!(task(&h, &alice, &team, 1).await["task"]["priority"], "p0");
    h.submit(&bob, &again, values).await.unwrap();
    assert_eq!(task(&h, &alice, &team, 1).await["task"]["priority"], "p3");

    // The checklist form changes only the ticks its sender changed: Alice ticks item 1
    // while Bob's form (showing it unticked) is open; Bob adds an item and unticks nothing.
    let list = h
        .press(&bob, &card_id, "checklist", &id)
        .await
        .unwrap()
        .form
        .unwrap();
    assert_eq!(field(&list.form, "done")["default"], json!(["2"]));
    let (status, _) = call(
        &h,
        &alice,
        Some(&team),
        "POST",
        &format!("tasks/{id}/checklist"),
        json!({"check": [1]}),
    )
    .await;
    assert_eq!(status, 200);
    let ticked = h
        .submit(
            &bob,
            &list,
            json!({"done": ["2", "3"], "add": "review with Li"}),
        )
        .await
        .unwrap();
    assert_eq!(ticked.ephemeral.as_deref(), Some("#1 checklist: 3/4"));
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(
        text.contains(
            "☑ 1. collect numbers\n☑ 2. template\n☑ 3. write summary\n☐ 4. review with Li"
        ),
        "{text}"
    );

    // The API refuses a write at a stale version, with the task as it is now.
    let (status, body) = call(
        &h,
        &bob,
        Some(&team),
        "PATCH",
        &format!("tasks/{id}"),
        json!({"version": 1, "title": "Stale"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "conflict");
    assert_eq!(body["task"]["title"], "Q3 report");
    // Clearing the due time with null.
    let v = body["task"]["version"].as_u64().unwrap();
    let (status, body) = call(
        &h,
        &bob,
        Some(&team),
        "PATCH",
        &format!("tasks/{id}"),
        json!({"version": v, "due": null, "status": "in_progress"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["task"]["due_ms"], Value::Null);
    assert_eq!(body["task"]["status"], "in_progress");
    assert_eq!(body["task"]["version"], v + 1, "one write for both");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_are_all_kept() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let team = h.group(&alice, "Team", &[&bob], json!({})).await.unwrap();
    let id = id_of(&team, 1);
    let items: String = (1..=8).map(|i| format!("\n- step {i}")).collect();
    cmd(
        &h,
        &alice,
        &team,
        &format!("/task Move the office <@{}>{items}", bob.id),
    )
    .await;

    // Eight ticks, a comment and a status change, all at once.
    let path = format!("tasks/{id}/checklist");
    let comments = format!("tasks/{id}/comments");
    let (hr, group) = (&h, &team);
    let ticks = (1..=8u32).map(|i| {
        let (who, path) = (if i % 2 == 0 { &alice } else { &bob }, path.clone());
        async move {
            call(hr, who, Some(group), "POST", &path, json!({"check": [i]}))
                .await
                .0
        }
    });
    let comment = call(
        &h,
        &alice,
        Some(&team),
        "POST",
        &comments,
        json!({"text": "Movers booked"}),
    );
    let start = h.command(&bob, &team, "/task start 1");
    let (statuses, comment, start) = tokio::join!(join_all(ticks), comment, start);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(comment.0, 201);
    start.unwrap();

    // (The plugin's log shows writes that lost a race and were applied again: a few per
    // run, every one of them kept.)
    let body = task(&h, &alice, &team, 1).await;
    let t = &body["task"];
    assert!(
        t["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["done"] == true),
        "{t}"
    );
    assert_eq!(t["comments"], 1);
    assert_eq!(t["status"], "in_progress");
    // 1 creation + 8 ticks + 1 comment + 1 status change.
    assert_eq!(t["version"], 11);
    // The card shows the last write, whatever order the redraws came in.
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(
        text.contains("Checklist: 8/8")
            && text.contains("[In progress]")
            && text.contains("Comments: 1"),
        "{text}"
    );

    // Two tasks created at the same moment get different numbers.
    let (a, b) = tokio::join!(
        h.command(&alice, &team, "/task One"),
        h.command(&bob, &team, "/task Two")
    );
    a.unwrap();
    b.unwrap();
    let (status, list) = call(
        &h,
        &alice,
        Some(&team),
        "GET",
        "tasks?sort=created",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let mut numbers: Vec<u64> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn board_list_and_my_tasks_across_groups() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let team = h
        .group(&alice, "Team", &[&bob, &carol], json!({}))
        .await
        .unwrap();
    let ops = h.group(&carol, "Ops", &[&bob], json!({})).await.unwrap();

    cmd(
        &h,
        &alice,
        &team,
        &format!("/task Write the plan <@{}> due:+2d p3", bob.id),
    )
    .await;
    cmd(
        &h,
        &alice,
        &team,
        &format!("/task Fix the printer <@{}> due:+3h p0", carol.id),
    )
    .await;
    cmd(&h, &alice, &team, "/task Order coffee").await;
    cmd(
        &h,
        &carol,
        &ops,
        &format!("/task Rotate the keys <@{}> due:+1d", bob.id),
    )
    .await;
    cmd(&h, &bob, &team, "/task block 1").await;

    let board = h.page(&bob, &team, PLUGIN, "board", "").await.unwrap();
    assert_eq!(board.title, "Task board");
    let titles: Vec<&str> = board
        .cards
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![
            "Filter and sort",
            "To do · 2",
            "In progress · 0",
            "Blocked · 1",
            "Done · 0",
            "New task"
        ]
    );
    let todo = text_of(&board.cards[1]);
    assert!(
        todo.find("Fix the printer").unwrap() < todo.find("Order coffee").unwrap(),
        "soonest first:\n{todo}"
    );

    // The list, filtered and sorted by the query.
    let list = h
        .page(&bob, &team, PLUGIN, "list", "assignee=me")
        .await
        .unwrap();
    let text = text_of(&list.cards[1]);
    assert!(
        text.starts_with("Tasks · 1") && text.contains("Write the plan"),
        "{text}"
    );
    let list = h
        .page(&bob, &team, PLUGIN, "list", "sort=priority&order=desc")
        .await
        .unwrap();
    let text = text_of(&list.cards[1]);
    let at = |s: &str| text.find(s).unwrap();
    assert!(
        at("Write the plan") < at("Order coffee") && at("Order coffee") < at("Fix the printer"),
        "{text}"
    );

    // Filters saved with the page's form apply when the page is opened without a query.
    let block = list.cards[0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "form")
        .unwrap()
        .clone();
    let issued = IssuedForm {
        form: block["form"].clone(),
        token: block["token"].as_str().unwrap().to_owned(),
    };
    let saved = h
        .submit(
            &bob,
            &issued,
            json!({"status": ["todo"], "assignee": "any", "due": "any",
            "priority": [], "sort": "title", "order": "asc"}),
        )
        .await
        .unwrap();
    assert!(saved.ephemeral.unwrap().starts_with("View saved"));
    let list = h.page(&bob, &team, PLUGIN, "list", "").await.unwrap();
    let text = text_of(&list.cards[1]);
    assert!(text.starts_with("Tasks · 2"), "{text}");
    assert!(
        text.find("Fix the printer").unwrap() < text.find("Order coffee").unwrap(),
        "{text}"
    );
    assert!(text_of(&list.cards[0]).contains("Filters: status=todo&sort=title"));
    // Only for Bob.
    let list = h.page(&carol, &team, PLUGIN, "list", "").await.unwrap();
    assert!(text_of(&list.cards[1]).starts_with("Tasks · 3"));

    // My tasks: Bob's, in both groups.
    let mine = h.page(&bob, &ops, PLUGIN, "mine", "").await.unwrap();
    let text = text_of(&mine.cards[0]);
    assert!(text.contains("[2 open, 0 overdue]"), "{text}");
    assert!(
        text.find("Rotate the keys").unwrap() < text.find("Write the plan").unwrap(),
        "{text}"
    );
    assert!(text.contains("| Ops") && text.contains("| Team"), "{text}");
    let created = text_of(
        &h.page(&alice, &team, PLUGIN, "mine", "")
            .await
            .unwrap()
            .cards[1],
    );
    assert!(
        created.contains("Fix the printer") && created.contains("Order coffee"),
        "{created}"
    );
    assert!(
        !created.contains("Rotate the keys"),
        "Carol made that one: {created}"
    );
    let mine_cmd = cmd(&h, &bob, &team, "/task mine").await.ephemeral.unwrap();
    assert!(mine_cmd.starts_with("Your open tasks (2):"), "{mine_cmd}");
    let (status, api) = call(&h, &bob, None, "GET", "tasks", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(api["tasks"].as_array().unwrap().len(), 2);

    // Leaving a group takes its tasks off "my tasks".
    h.app
        .remove_member(carol.auth(), &ops.id, &bob.id)
        .await
        .unwrap();
    let mine = h.page(&bob, &team, PLUGIN, "mine", "").await.unwrap();
    assert!(!text_of(&mine.cards[0]).contains("Rotate the keys"));

    // One task's page: its buttons and forms work from the page.
    let page = h.page(&bob, &team, PLUGIN, "task", "n=1").await.unwrap();
    assert_eq!(page.title, "#1 Write the plan");
    let text = text_of(&page.cards[0]);
    assert!(
        text.contains("<start>") && text.contains("<edit>") && !text.contains("<delete>"),
        "{text}"
    );
    let pressed = h
        .app
        .run_page_action(
            bob.auth(),
            &team.id,
            PLUGIN,
            RunPageAction {
                action_id: "start".into(),
                value: id_of(&team, 1),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        pressed.ephemeral.as_deref(),
        Some("#1 Write the plan is now In progress")
    );
    let page = h.page(&bob, &team, PLUGIN, "task", "n=1").await.unwrap();
    let comment_card = &page.cards[2];
    let block = comment_card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "form")
        .unwrap();
    let issued = IssuedForm {
        form: block["form"].clone(),
        token: block["token"].as_str().unwrap().to_owned(),
    };
    h.submit(
        &bob,
        &issued,
        json!({"text": "Draft is in the shared folder"}),
    )
    .await
    .unwrap();
    let page = h.page(&bob, &team, PLUGIN, "task", "n=1").await.unwrap();
    assert!(text_of(&page.cards[2]).contains("~ Bob Draft is in the shared folder"));
    assert!(text_of(&page.cards[3]).contains("~ Bob: Blocked → In progress"));
    // A task of another group is not found from here.
    let err = h
        .page(
            &bob,
            &team,
            PLUGIN,
            "task",
            &format!("id={}", id_of(&ops, 1)),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("There is no task"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_change_and_delete() {
    let h = start().await;
    let owner = h.person("Olga").await.unwrap();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let eve = h.person("Eve").await.unwrap();
    let team = h
        .group(&owner, "Team", &[&alice, &bob], json!({}))
        .await
        .unwrap();
    let open = h
        .group(
            &owner,
            "Open",
            &[&alice, &bob],
            json!({"members_may_update": true}),
        )
        .await
        .unwrap();
    let id = id_of(&team, 1);

    cmd(&h, &alice, &team, "/task Clean the lab").await;
    let (card_id, c) = card(&h, &alice, &team, "#1 ").await;
    assert!(
        text_of(&c).contains("<take>"),
        "unassigned tasks can be taken"
    );
    // Anyone in the group may take an unassigned task, once.
    h.press(&bob, &card_id, "take", &id).await.unwrap();
    let text = text_of(&card(&h, &alice, &team, "#1 ").await.1);
    assert!(text.contains("@Bob") && !text.contains("<take>"), "{text}");
    assert!(task(&h, &alice, &team, 1).await["task"]["assignees"][0]["name"] == "Bob");
    assert_eq!(
        inbox_count(&h, &bob, "Assigned to you").await,
        0,
        "not told of their own taking"
    );

    // The group's owner (who enabled the plugin) manages every task there.
    h.press(&owner, &card_id, "block", &id).await.unwrap();
    // A plain member may comment but not edit.
    cmd(&h, &alice, &team, "/task Unrelated").await;
    let (card2, _) = card(&h, &alice, &team, "#2 ").await;
    let err = h
        .press(&bob, &card2, "edit", &id_of(&team, 2))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Only the task's assignees"),
        "{err}"
    );
    assert!(
        h.press(&bob, &card2, "comment", &id_of(&team, 2))
            .await
            .unwrap()
            .form
            .is_some()
    );
    // Someone outside the group cannot even see it.
    let (status, body) = call(&h, &eve, None, "GET", &format!("tasks/{id}"), Value::Null).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = call(
        &h,
        &eve,
        None,
        "PATCH",
        &format!("tasks/{id}"),
        json!({"version": 1, "title": "x"}),
    )
    .await;
    assert_eq!(status, 404);

    // Where the group says so, every member may change status and checklist.
    cmd(&h, &alice, &open, "/task Water the plants").await;
    let (card3, _) = card(&h, &alice, &open, "#1 ").await;
    h.press(&bob, &card3, "start", &id_of(&open, 1))
        .await
        .unwrap();
    let err = h
        .press(&bob, &card3, "edit", &id_of(&open, 1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Only"), "{err}");

    // Deleting: not Bob (assignee), yes Alice (creator); its reminders go with it.
    cmd(
        &h,
        &alice,
        &team,
        &format!("/task Renew the lease <@{}> due:+5h", bob.id),
    )
    .await;
    let third = id_of(&team, 3);
    let (card4, _) = card(&h, &alice, &team, "#3 ").await;
    let err = h.press(&bob, &card4, "delete", &third).await.unwrap_err();
    assert!(err.to_string().contains("Only"), "{err}");
    h.press(&alice, &card4, "delete", &third).await.unwrap();
    let text = text_of(&card(&h, &alice, &team, "#3 ").await.1);
    assert!(
        text.contains("[Deleted]")
            && text.contains("Alice deleted this task.")
            && !text.contains("<"),
        "{text}"
    );
    assert!(timer_keys(&h).await.iter().all(|k| !k.ends_with(&third)));
    let (status, _) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("tasks/{third}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(h.advance(Duration::from_secs(6 * HOUR)).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chinese() {
    let h = start().await;
    let li = h.person("李雷").await.unwrap();
    let han = h.person("韩梅梅").await.unwrap();
    let team = h.group(&li, "研发部", &[&han], json!({})).await.unwrap();
    let zh_li = zh(&li);
    let zh_han = zh(&han);

    // Han uses Chinese once: the plugin remembers it for her reminders.
    let r = h
        .app
        .run_command(
            &zh_han,
            &team.id,
            RunCommand {
                text: "/task help".into(),
            },
        )
        .await
        .unwrap();
    assert!(r.ephemeral.unwrap().starts_with("任务："));
    let r = h
        .app
        .run_command(
            &zh_li,
            &team.id,
            RunCommand {
                text: "/task 写周报 @韩梅梅 截止：+3h !紧急\n- 汇总数据".into(),
            },
        )
        .await
        .unwrap();
    assert!(r.ephemeral.unwrap().starts_with("已创建 #1 写周报 · 截止 "));
    let text = text_of(&card(&h, &li, &team, "#1 ").await.1);
    for want in [
        "[待办]",
        "[P0 · 紧急]",
        "优先级: P0 · 紧急",
        "检查项: 0/1",
        "@韩梅梅",
        "☐ 1. 汇总数据",
        "~ 李雷 创建了任务",
        "<start>",
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    assert_eq!(inbox_count(&h, &han, "📌 指派给你：#1 写周报").await, 1);
    h.advance(Duration::from_secs(2 * HOUR + MIN))
        .await
        .unwrap();
    assert_eq!(inbox_count(&h, &han, "⏰ 即将截止：#1 写周报").await, 1);
    let err = h
        .app
        .run_command(
            &zh_li,
            &team.id,
            RunCommand {
                text: "/task 开会 due:改天".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("无法识别截止时间“改天”"), "{err}");
    let page = h.page(&li, &team, PLUGIN, "board", "").await.unwrap();
    assert_eq!(
        page.title, "Task board",
        "pages answer in the reader's language"
    );
}
