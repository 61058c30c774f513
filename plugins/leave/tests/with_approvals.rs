//! Leave end to end with the real approvals plugin (`plugins/approvals`): reserve → approve →
//! consume, reject → release, withdraw, cancel approved leave → restore, the team calendar
//! and the export of requests.
//!
//! The approver acts on the card approvals sends to their direct conversation: its primary
//! button approves, its danger button rejects (with the comment it asks for).

mod common;

use common::*;
use courtyard_sdk::testing::{Harness, TestGroup, TestPerson};
use serde_json::{Value, json};

const APPROVALS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../approvals");

struct World {
    h: Harness,
    alice: TestPerson,
    bob: TestPerson,
    boss: TestPerson,
    ceo: TestPerson,
    team: TestGroup,
}

/// Alice and Bob in Engineering, headed by Boss, under the Company, headed by Ceo; the
/// first three in Team, where leave and approvals are enabled; Alice and Bob have 10 days of
/// annual leave.
async fn world() -> World {
    let h = start().await;
    h.install(APPROVALS).await.unwrap();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let boss = h.person("Boss").await.unwrap();
    let ceo = h.person("Ceo").await.unwrap();
    let company = h
        .department("Company", Some(&ceo), None, &[])
        .await
        .unwrap();
    h.department("Engineering", Some(&boss), Some(&company), &[&alice, &bob])
        .await
        .unwrap();
    let team = h
        .group(&h.admin(), "Team", &[&alice, &bob, &boss], json!({}))
        .await
        .unwrap();
    h.enable(&h.admin(), &team, "approvals", json!({}))
        .await
        .unwrap();
    let hr = admin_session(&h, "en").await;
    grant(&h, &hr, &alice.id, "annual", 10.0, "2026-01-01").await;
    grant(&h, &hr, &bob.id, "annual", 10.0, "2026-01-01").await;
    World {
        h,
        alice,
        bob,
        boss,
        ceo,
        team,
    }
}

impl World {
    /// The newest leave card about `name` in the team: (message id, card).
    async fn card_of(&self, name: &str) -> (String, Value) {
        self.h
            .messages(&self.alice, &self.team)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.plugin_id.as_deref() == Some("leave"))
            .filter_map(|m| Some((m.id.clone(), m.card.clone()?)))
            .find(|(_, c)| {
                c["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with(&format!("Leave request · {name}")))
            })
            .expect("a leave card")
    }

    async fn notices(&self) -> Vec<String> {
        self.h
            .messages(&self.alice, &self.team)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|m| m.card)
            .map(|c| card_text(&c))
            .filter(|t| t.starts_with("🌴") || t.contains("is cancelled"))
            .collect()
    }

    /// The approver approves (or rejects) the newest request of `whose` waiting in their
    /// inbox.
    async fn decide(&self, approver: &TestPerson, whose: &TestPerson, approve: bool) {
        let style = if approve { "primary" } else { "danger" };
        let inbox = self.h.inbox(approver, "approvals").await.unwrap();
        let (message, button) = inbox
            .iter()
            .filter_map(|m| {
                let card = m.card.as_ref()?;
                if !card["title"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(&format!("· {}", whose.name)))
                {
                    return None;
                }
                let button = card["blocks"]
                    .as_array()?
                    .iter()
                    .filter(|b| b["type"] == "buttons")
                    .flat_map(|b| b["buttons"].as_array().cloned().unwrap_or_default())
                    .find(|b| b["style"] == style)?;
                Some((m.id.clone(), button))
            })
            .next()
            .expect("a request waiting for the approver");
        let reply = self
            .h
            .press(
                approver,
                &message,
                button["action_id"].as_str().unwrap(),
                button["value"].as_str().unwrap_or_default(),
            )
            .await
            .unwrap();
        let Some(form) = reply.form else {
            return;
        };
        // A comment form: fill in whatever it requires.
        let mut values = serde_json::Map::new();
        for f in form.form["fields"].as_array().into_iter().flatten() {
            if f["required"] == true {
                values.insert(f["name"].as_str().unwrap().into(), json!("ok"));
            }
        }
        self.h
            .submit(approver, &form, Value::Object(values))
            .await
            .unwrap();
    }

    async fn balance(&self, person: &TestPerson) -> String {
        balances(&self.h, person, &self.team, "2027-06-01").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_consumes_the_reservation_and_the_team_sees_who_is_away() {
    let w = world().await;
    let mut values = days("annual", "2027-03-04", "2027-03-05");
    values["delegate"] = json!(w.bob.id);
    let reply = request_leave(&w.h, &w.alice, &w.team, values)
        .await
        .unwrap();
    let text = reply.ephemeral.unwrap();
    assert!(text.starts_with("Sent for approval"), "{text}");
    let (_, card) = w.card_of("Alice").await;
    let card = card_text(&card);
    assert!(card.contains("Amount / 时长: 2 days / 2 天"), "{card}");
    assert!(card.contains("Delegate / 代理人: Bob"), "{card}");
    assert!(card.contains("[Waiting for approval / 待审批]"), "{card}");
    assert!(card.contains("<withdraw>"), "{card}");
    let page = w.balance(&w.alice).await;
    assert!(
        page.contains("Reserved: 2 days") && page.contains("Available: 8 days"),
        "{page}"
    );

    let mut half = days("annual", "2027-03-05", "2027-03-05");
    half["from_half"] = json!("pm");
    request_leave(&w.h, &w.bob, &w.team, half).await.unwrap();

    w.decide(&w.boss, &w.alice, true).await;
    let (_, card) = w.card_of("Alice").await;
    let card = card_text(&card);
    assert!(card.contains("[Approved / 已批准]"), "{card}");
    assert!(card.contains("<cancel>"), "{card}");
    let page = w.balance(&w.alice).await;
    assert!(page.contains("Taken: 2 days"), "{page}");
    assert!(
        page.contains("Reserved: 0 days") && page.contains("Available: 8 days"),
        "{page}"
    );
    let notices = w.notices().await;
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("🌴 Alice is on leave Mar 4–5 / 🌴 Alice 3月4日至5日请假")),
        "{notices:?}"
    );
    // Everything on the way went through: card, notice, and Bob standing in for Alice.
    let admin = admin_session(&w.h, "en").await;
    let logs = w.h.app.plugin_logs(&admin, &w.h.org_id, "leave").unwrap();
    let trouble: Vec<&str> = logs
        .iter()
        .filter(|l| l.level == "warn" || l.level == "error")
        .map(|l| l.message.as_str())
        .collect();
    assert!(trouble.is_empty(), "{trouble:?}");
    let logs =
        w.h.app
            .plugin_logs(&admin, &w.h.org_id, "approvals")
            .unwrap();
    assert!(
        !logs
            .iter()
            .any(|l| l.message.contains("approval_decided") || l.level == "error"),
        "{:?}",
        logs.iter().map(|l| &l.message).collect::<Vec<_>>()
    );

    let page =
        w.h.page(
            &w.bob,
            &w.team,
            "leave",
            "calendar",
            "from=2027-03-01&to=2027-03-07",
        )
        .await
        .unwrap();
    let text = page_text(&page.cards);
    assert!(
        text.contains("2027-03-04 Thu |  | Alice (Annual leave)"),
        "{text}"
    );
    assert!(
        text.contains("2027-03-05 Fri |  | Alice (Annual leave), Bob (Annual leave PM) (pending)"),
        "{text}"
    );

    let hr = admin_session(&w.h, "en").await;
    let (_, _, csv) = route(&w.h, &hr, "GET", "export/requests.csv", json!(null)).await;
    assert!(
        csv.contains(",Alice,annual,Annual leave,2027-03-04 AM,2027-03-05 PM,2,days,2,approved,"),
        "{csv}"
    );
    assert!(
        csv.contains(",Bob,annual,Annual leave,2027-03-05 PM,2027-03-05 PM,0.5,days,0.5,pending,"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_releases_the_reservation() {
    let w = world().await;
    request_leave(
        &w.h,
        &w.alice,
        &w.team,
        days("annual", "2027-03-01", "2027-03-03"),
    )
    .await
    .unwrap();
    assert!(w.balance(&w.alice).await.contains("Reserved: 3 days"));
    w.decide(&w.boss, &w.alice, false).await;
    let (_, card) = w.card_of("Alice").await;
    let card = card_text(&card);
    assert!(card.contains("[Rejected / 已驳回]"), "{card}");
    assert!(
        !card.contains("<withdraw>") && !card.contains("<cancel>"),
        "{card}"
    );
    let page = w.balance(&w.alice).await;
    assert!(
        page.contains("Reserved: 0 days") && page.contains("Available: 10 days"),
        "{page}"
    );
    assert!(w.notices().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawal_releases_the_reservation_and_is_the_submitters_alone() {
    let w = world().await;
    request_leave(
        &w.h,
        &w.alice,
        &w.team,
        days("annual", "2027-03-01", "2027-03-03"),
    )
    .await
    .unwrap();
    assert!(w.balance(&w.alice).await.contains("Reserved: 3 days"));
    let (message, card) = w.card_of("Alice").await;
    assert!(card_text(&card).contains("[Waiting for approval / 待审批]"));
    let request_id = card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "buttons")
        .flat_map(|b| b["buttons"].as_array().cloned().unwrap_or_default())
        .find(|b| b["action_id"] == "withdraw")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let err =
        w.h.press(&w.bob, &message, "withdraw", &request_id)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("Only Alice can do this"), "{err}");
    let reply =
        w.h.press(&w.alice, &message, "withdraw", &request_id)
            .await
            .unwrap();
    let card = card_text(reply.message.unwrap().card.as_ref().unwrap());
    assert!(card.contains("[Withdrawn / 已撤回]"), "{card}");
    let page = w.balance(&w.alice).await;
    assert!(
        page.contains("Reserved: 0 days") && page.contains("Available: 10 days"),
        "{page}"
    );
    // The approver's card says so too: nothing is left to decide.
    let inbox = w.h.inbox(&w.boss, "approvals").await.unwrap();
    let text = card_text(inbox[0].card.as_ref().unwrap());
    assert!(!text.contains("<approve>"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_approved_leave_goes_back_through_approval_and_restores_the_balance() {
    let w = world().await;
    request_leave(
        &w.h,
        &w.alice,
        &w.team,
        days("annual", "2027-03-08", "2027-03-09"),
    )
    .await
    .unwrap();
    w.decide(&w.boss, &w.alice, true).await;
    assert!(w.balance(&w.alice).await.contains("Available: 8 days"));

    let (message, card) = w.card_of("Alice").await;
    let request_id = card_text(&card);
    assert!(request_id.contains("<cancel>"), "{request_id}");
    let value = card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "buttons")
        .flat_map(|b| b["buttons"].as_array().cloned().unwrap_or_default())
        .find(|b| b["action_id"] == "cancel")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply =
        w.h.press(&w.alice, &message, "cancel", &value)
            .await
            .unwrap();
    let card = card_text(reply.message.unwrap().card.as_ref().unwrap());
    assert!(
        card.contains("[Approved · cancelling / 已批准 · 销假审批中]"),
        "{card}"
    );
    assert!(w.balance(&w.alice).await.contains("Available: 8 days"));

    w.decide(&w.boss, &w.alice, true).await;
    let (_, card) = w.card_of("Alice").await;
    let card = card_text(&card);
    assert!(card.contains("[Cancelled / 已销假]"), "{card}");
    let page = w.balance(&w.alice).await;
    assert!(
        page.contains("Taken: 0 days") && page.contains("Available: 10 days"),
        "{page}"
    );
    let notices = w.notices().await;
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("Alice's leave Mar 8–9 is cancelled")),
        "{notices:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_approver_the_request_is_not_kept() {
    let w = world().await;
    // Carol belongs to no department: there is no manager to approve.
    let carol = w.h.person("Carol").await.unwrap();
    let hr = admin_session(&w.h, "en").await;
    grant(&w.h, &hr, &carol.id, "annual", 5.0, "2026-01-01").await;
    common::add_member(&w.h, &w.team, &carol.id).await;
    let before = w.h.messages(&w.alice, &w.team).await.unwrap().len();
    let err = request_leave(
        &w.h,
        &carol,
        &w.team,
        days("annual", "2027-03-01", "2027-03-01"),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("The approval could not start"),
        "{err}"
    );
    assert_eq!(w.h.messages(&w.alice, &w.team).await.unwrap().len(), before);
    let page = balances(&w.h, &carol, &w.team, "2027-06-01").await;
    assert!(
        page.contains("Reserved: 0 days") && page.contains("Available: 5 days"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_at_the_same_moment_cannot_both_spend_the_same_days() {
    let w = world().await;
    // Six working days each, ten days of balance: only one can pass.
    let first =
        w.h.command(&w.alice, &w.team, "/leave")
            .await
            .unwrap()
            .form
            .unwrap();
    let second =
        w.h.command(&w.alice, &w.team, "/leave")
            .await
            .unwrap()
            .form
            .unwrap();
    let (a, b) = tokio::join!(
        w.h.submit(&w.alice, &first, days("annual", "2027-03-01", "2027-03-08")),
        w.h.submit(
            &w.alice,
            &second,
            days("annual", "2027-04-05", "2027-04-12")
        ),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let accepted = [&a, &b].iter().filter(|r| r.ephemeral.is_some()).count();
    assert_eq!(accepted, 1, "{a:?}\n{b:?}");
    let refused = if a.form.is_some() { &a } else { &b };
    assert_eq!(
        help(refused, "to_date"),
        "Not enough leave: 4 days available, 6 days requested"
    );
    let page = w.balance(&w.alice).await;
    assert!(
        page.contains("Reserved: 6 days") && page.contains("Available: 4 days"),
        "{page}"
    );

    // Over three days: the manager, then the department head above them.
    w.decide(&w.boss, &w.alice, true).await;
    let (_, card) = w.card_of("Alice").await;
    assert!(card_text(&card).contains("[Waiting for approval / 待审批]"));
    w.decide(&w.ceo, &w.alice, true).await;
    let (_, card) = w.card_of("Alice").await;
    assert!(card_text(&card).contains("[Approved / 已批准]"));
    let page = w.balance(&w.alice).await;
    assert!(
        page.contains("Taken: 6 days") && page.contains("Available: 4 days"),
        "{page}"
    );
}
