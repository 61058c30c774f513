//! The approvals plugin in a real in-process host: people in departments with heads,
//! requests submitted through the form and its route preview, approvers acting from the
//! cards in their inbox, and everything the issue asks a flow to do.

use std::time::Duration;

use courtyard_sdk::testing::{Harness, MessageView, TestGroup, TestPerson};
use serde_json::{Value, json};

/// A company: Carol heads it; Bob heads Sales under it, where Alice and Dan work. Frank
/// and Grace are finance directors.
struct Company {
    h: Harness,
    alice: TestPerson,
    bob: TestPerson,
    carol: TestPerson,
    dan: TestPerson,
    frank: TestPerson,
    grace: TestPerson,
    team: TestGroup,
}

async fn company() -> Company {
    let h = Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let dan = h.person("Dan").await.unwrap();
    let frank = h.person("Frank").await.unwrap();
    let grace = h.person("Grace").await.unwrap();
    let top = h
        .department("Company", Some(&carol), None, &[&frank, &grace])
        .await
        .unwrap();
    h.department("Sales", Some(&bob), Some(&top), &[&alice, &dan])
        .await
        .unwrap();
    let team = h
        .group(&alice, "Sales team", &[&bob, &dan], json!({}))
        .await
        .unwrap();
    let admin = h.admin();
    let role = h
        .http(
            &admin,
            "approvals",
            "PUT",
            "roles/finance_director",
            Some(json!({"people": [frank.id, grace.id]})),
        )
        .await
        .unwrap();
    assert_eq!(role.status, 200, "{}", String::from_utf8_lossy(&role.body));
    Company {
        h,
        alice,
        bob,
        carol,
        dan,
        frank,
        grace,
        team,
    }
}

fn expense(amount: &str) -> Value {
    json!({
        "category": "travel",
        "amount": amount,
        "date": "2026-11-20",
        "reason": "Client visit in Shanghai",
        "lines": [{"item": "Train", "cost": amount}],
    })
}

impl Company {
    /// Alice fills in the expense form and confirms the route; returns the preview's fields
    /// (step → people) and the request's card in the team.
    async fn submit_expense(&self, amount: &str) -> (Vec<(String, String)>, Value) {
        let reply = self
            .h
            .command(&self.alice, &self.team, "/approval expense")
            .await
            .unwrap();
        let form = reply.form.expect("the template's form");
        assert_eq!(form.form["fields"][1]["name"], "amount");
        let preview = self
            .h
            .submit(&self.alice, &form, expense(amount))
            .await
            .unwrap()
            .form
            .expect("the route preview");
        let route = preview.form["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["label"].as_str().unwrap().to_owned(),
                    f["default"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let done = self
            .h
            .submit(&self.alice, &preview, json!({}))
            .await
            .unwrap();
        assert!(done.ephemeral.unwrap().contains("AP-"));
        let card = self.team_card().await;
        (route, card)
    }

    /// The request's card in the team, as `person` sees it.
    async fn team_message(&self, person: &TestPerson) -> MessageView {
        let history = self.h.messages(person, &self.team).await.unwrap();
        history.into_iter().find(|m| m.card.is_some()).unwrap()
    }

    async fn team_card(&self) -> Value {
        self.team_message(&self.alice).await.card.unwrap()
    }

    /// The newest card the plugin sent `person`: (message id, card).
    async fn inbox_card(&self, person: &TestPerson) -> Option<(String, Value)> {
        let inbox = self.h.inbox(person, "approvals").await.unwrap();
        inbox
            .into_iter()
            .next()
            .map(|m| (m.id, m.card.unwrap_or_default()))
    }
}

fn badge(card: &Value) -> String {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "badge")
        .and_then(|b| b["text"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn buttons(card: &Value) -> Vec<String> {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["buttons"].as_array())
        .flatten()
        .map(|b| b["action_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The value of the card's first button: the request id (an approver's buttons add the
/// step they were sent for, `id@step`).
fn request_id(card: &Value) -> String {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["buttons"].as_array())
        .flatten()
        .find_map(|b| b["value"].as_str().map(str::to_owned))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_expense_goes_to_the_manager_and_is_approved() {
    let c = company().await;
    let (route, card) = c.submit_expense("320.00").await;
    assert_eq!(route.len(), 1, "{route:?}");
    assert!(route[0].1.contains("Bob"), "{route:?}");
    assert!(route[0].1.contains("Manager"), "why Bob: {route:?}");
    assert!(badge(&card).starts_with("Pending"), "{card}");
    assert!(buttons(&card).contains(&"withdraw".to_owned()));

    // Bob sees it waiting for him, on his page and in his inbox, and approves.
    let pending =
        c.h.page(&c.bob, &c.team, "approvals", "pending", "")
            .await
            .unwrap();
    assert_eq!(pending.cards.len(), 1);
    let (message, bob_card) = c.inbox_card(&c.bob).await.expect("Bob's card");
    assert!(buttons(&bob_card).contains(&"approve".to_owned()));
    let id = request_id(&bob_card);
    let after = c.h.press(&c.bob, &message, "approve", &id).await.unwrap();
    let updated = after.message.unwrap().card.unwrap();
    assert!(badge(&updated).starts_with("Approved"), "{updated}");
    assert!(!buttons(&updated).contains(&"approve".to_owned()));

    // Alice's card in the team shows the outcome; lists moved.
    assert!(badge(&c.team_card().await).starts_with("Approved"));
    let pending =
        c.h.page(&c.bob, &c.team, "approvals", "pending", "")
            .await
            .unwrap();
    assert_eq!(
        pending.cards[0].get("title").and_then(Value::as_str),
        Some("Nothing here")
    );
    let processed =
        c.h.page(&c.bob, &c.team, "approvals", "processed", "")
            .await
            .unwrap();
    assert_eq!(processed.cards.len(), 1);

    // A late action on a decided request is refused clearly and changes nothing.
    let late = c.h.press(&c.bob, &message, "approve", &id).await;
    assert!(late.is_err(), "a second approval must be refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_expense_adds_the_finance_step_and_one_of_two_decides() {
    let c = company().await;
    let (route, _) = c.submit_expense("6200.00").await;
    assert_eq!(route.len(), 2, "{route:?}");
    assert!(
        route[1].1.contains("Frank") && route[1].1.contains("Grace"),
        "{route:?}"
    );

    let (message, card) = c.inbox_card(&c.bob).await.unwrap();
    let id = request_id(&card);
    c.h.press(&c.bob, &message, "approve", &id).await.unwrap();

    // Or-sign: Frank and Grace press at the same moment; exactly one decision counts.
    let (fm, fcard) = c.inbox_card(&c.frank).await.expect("Frank's card");
    let (gm, gcard) = c.inbox_card(&c.grace).await.expect("Grace's card");
    let (fv, gv) = (request_id(&fcard), request_id(&gcard));
    let (a, b) = tokio::join!(
        c.h.press(&c.frank, &fm, "approve", &fv),
        c.h.press(&c.grace, &gm, "approve", &gv)
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "one outcome, not two: {:?} / {:?}",
        a.err(),
        b.err()
    );
    let card = c.team_card().await;
    assert!(badge(&card).starts_with("Approved"), "{card}");
    let approvals = card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["entries"].as_array())
        .flatten()
        .filter(|e| e["title"].as_str().unwrap_or("").starts_with("Approved"))
        .count();
    assert_eq!(approvals, 2, "Bob and one finance director: {card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_needs_a_reason_and_strangers_cannot_act() {
    let c = company().await;
    c.submit_expense("80.00").await;
    let (message, card) = c.inbox_card(&c.bob).await.unwrap();
    let id = request_id(&card);

    // Dan is in the team but not an approver: he cannot approve Bob's card, nor act on the
    // request through Alice's card.
    let team_message = c.team_message(&c.dan).await;
    let refused = c.h.press(&c.dan, &team_message.id, "approve", &id).await;
    assert!(refused.is_err());
    let refused = c.h.press(&c.dan, &message, "approve", &id).await;
    assert!(refused.is_err(), "another person's inbox is not Dan's");

    // Reject asks for the reason; an empty one is refused by the form.
    let form =
        c.h.press(&c.bob, &message, "reject", &id)
            .await
            .unwrap()
            .form
            .unwrap();
    assert!(
        c.h.submit(&c.bob, &form, json!({"comment": ""}))
            .await
            .is_err()
    );
    let done =
        c.h.submit(&c.bob, &form, json!({"comment": "Receipts missing"}))
            .await
            .unwrap();
    assert!(badge(&done.message.unwrap().card.unwrap()).starts_with("Rejected"));
    let card = c.team_card().await;
    assert!(card.to_string().contains("Receipts missing"));
    // The submitter may submit it again as a new request.
    assert!(buttons(&card).contains(&"copy".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdraw_transfer_and_reminders() {
    let c = company().await;
    c.submit_expense("99.00").await;
    let (message, card) = c.inbox_card(&c.bob).await.unwrap();
    let id = request_id(&card);

    // Bob transfers to Carol; Carol's inbox gets it and Bob can no longer approve.
    let form =
        c.h.press(&c.bob, &message, "transfer", &id)
            .await
            .unwrap()
            .form
            .unwrap();
    c.h.submit(
        &c.bob,
        &form,
        json!({"person": c.carol.id, "comment": "I am travelling"}),
    )
    .await
    .unwrap();
    let (carol_message, _) = c.inbox_card(&c.carol).await.expect("Carol's card");
    assert!(c.h.press(&c.bob, &message, "approve", &id).await.is_err());

    // A day later nobody has acted: Carol gets a reminder.
    let fired = c.h.advance(Duration::from_secs(25 * 3600)).await.unwrap();
    assert!(fired >= 1);
    let inbox = c.h.inbox(&c.carol, "approvals").await.unwrap();
    assert!(inbox.len() >= 2, "a reminder card arrived");
    assert!(
        inbox[0]
            .card
            .as_ref()
            .unwrap()
            .to_string()
            .contains("Reminder")
    );

    // Alice withdraws; Carol's late approval is refused with a clear message.
    let team_message = c.team_message(&c.alice).await;
    let plain = request_id(team_message.card.as_ref().unwrap());
    assert!(!plain.contains('@'));
    c.h.press(&c.alice, &team_message.id, "withdraw", &plain)
        .await
        .unwrap();
    let late =
        c.h.press(&c.carol, &carol_message, "approve", &id)
            .await
            .unwrap_err();
    assert!(
        late.to_string().to_lowercase().contains("withdrawn"),
        "{late}"
    );
    assert!(badge(&c.team_card().await).starts_with("Withdrawn"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_nobody_confirms_expire_after_a_week() {
    let c = company().await;
    let preview = |amount: &'static str| {
        let c = &c;
        async move {
            let reply =
                c.h.command(&c.alice, &c.team, "/approval expense")
                    .await
                    .unwrap();
            c.h.submit(&c.alice, &reply.form.unwrap(), expense(amount))
                .await
                .unwrap()
                .form
                .expect("the route preview")
        }
    };
    let old = preview("10.00").await;
    c.h.advance(Duration::from_secs(6 * 24 * 3600))
        .await
        .unwrap();
    let young = preview("20.00").await;
    // The hourly sweep runs as time passes: the first preview is now eight days old.
    c.h.advance(Duration::from_secs(2 * 24 * 3600))
        .await
        .unwrap();

    let expired = c.h.submit(&c.alice, &old, json!({})).await.unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");
    let done = c.h.submit(&c.alice, &young, json!({})).await.unwrap();
    assert!(done.ephemeral.unwrap().contains("AP-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_admin_only_and_checked() {
    let c = company().await;
    let list =
        c.h.http(&c.dan, "approvals", "GET", "templates", None)
            .await
            .unwrap();
    let templates: Vec<Value> = serde_json::from_slice(&list.body).unwrap();
    assert!(templates.iter().any(|t| t["id"] == "expense"));
    let denied =
        c.h.http(
            &c.dan,
            "approvals",
            "PUT",
            "templates/expense",
            Some(templates[0].clone()),
        )
        .await
        .unwrap();
    assert_eq!(denied.status, 403);
    let mut broken = templates[0].clone();
    broken["flow"]["steps"] = json!([{"id": "x", "name": {"en": "X", "zh": "X"}, "approvers": []}]);
    let refused =
        c.h.http(
            &c.h.admin(),
            "approvals",
            "PUT",
            "templates/expense",
            Some(broken),
        )
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        400,
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    let _ = (&c.alice, &c.dan);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegate_approves_while_the_manager_is_away_and_lists_filter() {
    let c = company().await;
    // UTC, the harness organization's time zone (`Date::of_ms` asks the host, which only a
    // plugin can).
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    let today = courtyard_sdk::time::Date::from_days(days as i64);
    let (from, to) = (today.to_string(), today.add_days(2).to_string());
    let refused =
        c.h.http(
            &c.bob,
            "approvals",
            "POST",
            "delegations/me",
            Some(json!({"delegate_id": c.dan.id, "from": to, "to": from})),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 400, "the wrong order is refused");
    let set =
        c.h.http(
            &c.bob,
            "approvals",
            "POST",
            "delegations/me",
            Some(json!({"delegate_id": c.dan.id, "from": from, "to": to})),
        )
        .await
        .unwrap();
    assert_eq!(set.status, 201, "{}", String::from_utf8_lossy(&set.body));

    let (route, _) = c.submit_expense("45.00").await;
    assert!(
        route[0].1.contains("Dan"),
        "the delegate approves: {route:?}"
    );
    let (message, card) = c.inbox_card(&c.dan).await.expect("Dan's card");
    c.h.press(&c.dan, &message, "approve", &request_id(&card))
        .await
        .unwrap();
    assert!(badge(&c.team_card().await).starts_with("Approved"));

    // Alice's lists filter by status and template.
    let page = |q: &'static str| c.h.page(&c.alice, &c.team, "approvals", "submitted", q);
    assert_eq!(page("status=approved").await.unwrap().cards.len(), 1);
    let none = page("status=pending").await.unwrap();
    assert_eq!(none.cards[0]["title"], "Nothing here");
    assert_eq!(page("template=expense").await.unwrap().cards.len(), 1);
    assert_eq!(
        page("template=trip").await.unwrap().cards[0]["title"],
        "Nothing here"
    );
}

/// A template an admin defines: the manager (reminded after an hour, escalated to Grace
/// after two), then Carol and Frank countersign, seeing the amount editable and the reason
/// hidden.
fn offsite_template(c: &Company) -> Value {
    json!({
        "id": "offsite",
        "version": 1,
        "name": {"en": "Team offsite", "zh": "团建"},
        "form": {
            "id": "offsite",
            "title": "Team offsite / 团建",
            "fields": [
                {"name": "amount", "label": "Amount / 金额", "kind": "money", "required": true},
                {"name": "reason", "label": "Reason / 事由", "kind": "textarea", "required": true}
            ]
        },
        "flow": {
            "steps": [
                {
                    "id": "manager",
                    "name": {"en": "Manager", "zh": "主管"},
                    "approvers": [{"kind": "manager", "level": 1}],
                    "timeout": {
                        "remind_after_hours": 1,
                        "max_reminders": 1,
                        "then": {"after_hours": 2, "action": {"kind": "escalate", "to": {"kind": "people", "ids": [c.grace.id]}}}
                    }
                },
                {
                    "id": "board",
                    "name": {"en": "Board", "zh": "董事会"},
                    "mode": "all",
                    "approvers": [{"kind": "people", "ids": [c.carol.id, c.frank.id]}],
                    "fields": {"amount": "edit", "reason": "hidden"}
                }
            ]
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn countersign_with_edits_hidden_fields_escalation_urge_and_return_to_a_step() {
    let c = company().await;
    let saved =
        c.h.http(
            &c.h.admin(),
            "approvals",
            "PUT",
            "templates/offsite",
            Some(offsite_template(&c)),
        )
        .await
        .unwrap();
    assert_eq!(
        saved.status,
        200,
        "{}",
        String::from_utf8_lossy(&saved.body)
    );

    let form =
        c.h.command(&c.alice, &c.team, "/approval offsite")
            .await
            .unwrap()
            .form
            .unwrap();
    let values = json!({"amount": "1200.00", "reason": "Secret surprise party"});
    let preview =
        c.h.submit(&c.alice, &form, values)
            .await
            .unwrap()
            .form
            .unwrap();
    let text = preview.form.to_string();
    assert!(
        text.contains("Bob") && text.contains("Carol") && text.contains("Frank"),
        "{text}"
    );
    c.h.submit(&c.alice, &preview, json!({})).await.unwrap();

    // Urging is rate-limited.
    let team = c.team_message(&c.alice).await;
    let id = request_id(team.card.as_ref().unwrap());
    c.h.press(&c.alice, &team.id, "urge", &id).await.unwrap();
    let again =
        c.h.press(&c.alice, &team.id, "urge", &id)
            .await
            .unwrap_err();
    assert!(again.to_string().contains("minute"), "{again}");

    // Nobody acts: a reminder after an hour, Grace added after two; her approval decides.
    c.h.advance(Duration::from_secs(3600 + 60)).await.unwrap();
    c.h.advance(Duration::from_secs(3600 + 60)).await.unwrap();
    let (gm, gcard) = c.inbox_card(&c.grace).await.expect("escalated to Grace");
    c.h.press(&c.grace, &gm, "approve", &request_id(&gcard))
        .await
        .unwrap();

    // Countersign: Carol sees the amount but not the reason, and changes the amount.
    let (cm, ccard) = c.inbox_card(&c.carol).await.expect("Carol's card");
    assert!(
        !ccard.to_string().contains("Secret surprise"),
        "hidden: {ccard}"
    );
    assert!(ccard.to_string().contains("1200.00"));
    let edit =
        c.h.press(&c.carol, &cm, "approve", &request_id(&ccard))
            .await
            .unwrap()
            .form
            .expect("the fields Carol may change");
    assert_eq!(edit.form["fields"][0]["name"], "amount");
    c.h.submit(
        &c.carol,
        &edit,
        json!({"amount": "900.00", "comment": "Capped at 900"}),
    )
    .await
    .unwrap();
    assert!(
        badge(&c.team_card().await).starts_with("Pending"),
        "Frank has not signed"
    );

    // Frank returns it to the manager's step; Bob decides this time, then both sign again.
    let (fm, fcard) = c.inbox_card(&c.frank).await.expect("Frank's card");
    let back =
        c.h.press(&c.frank, &fm, "return", &request_id(&fcard))
            .await
            .unwrap()
            .form
            .unwrap();
    c.h.submit(
        &c.frank,
        &back,
        json!({"to": "0", "comment": "Manager should look again"}),
    )
    .await
    .unwrap();
    let (bm, bcard) = c.inbox_card(&c.bob).await.expect("back with Bob");
    c.h.press(&c.bob, &bm, "approve", &request_id(&bcard))
        .await
        .unwrap();
    for person in [&c.carol, &c.frank] {
        let (m, card) = c.inbox_card(person).await.unwrap();
        let reply =
            c.h.press(person, &m, "approve", &request_id(&card))
                .await
                .unwrap();
        if let Some(form) = reply.form {
            c.h.submit(person, &form, json!({"amount": "900.00"}))
                .await
                .unwrap();
        }
    }
    let card = c.team_card().await;
    assert!(badge(&card).starts_with("Approved"), "{card}");
    assert!(
        card.to_string().contains("900.00"),
        "the edit stands: {card}"
    );
    let text = card.to_string();
    for event in ["Escalated", "Returned", "Edited", "Urged"] {
        assert!(text.contains(event), "the timeline records {event}: {text}");
    }
}
