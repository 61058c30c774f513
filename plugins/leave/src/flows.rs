//! The plugin's flows on the in-memory host: submission, the approvals seam (approve,
//! reject, withdraw, cancel, revoke, delegate), concurrency, pages, HR routes and the
//! command — everything short of the real approvals plugin.

use courtyard_sdk::http::Request;
use courtyard_sdk::{Action, ActionReply, Args, ErrorKind, Query, Reply};
use serde_json::{Value, json};

use crate::amount::Amount;
use crate::approval;
use crate::calendar::Half;
use crate::date::d;
use crate::forms::Submitted;
use crate::ledger::{Entry, EntryKind};
use crate::policy::find_type;
use crate::request::Status;
use crate::store::{self, Account, EMPLOYEES, REQUESTS, load_config};
use crate::submit::{Refused, submit};
use crate::testkit::Fake;
use crate::who::Who;
use crate::{hr, pages, routes};

struct World {
    h: Fake,
    alice: Who,
    bob: Who,
    hr: Who,
}

/// Monday 30 November 2026; Alice has 10 days of annual leave.
fn world() -> World {
    let h = Fake::new("2026-11-30");
    let alice = h.person("p-alice", "Alice", "g1");
    let bob = h.person("p-bob", "Bob", "g1");
    let mut hr = h.person("p-hr", "Hana", "g1");
    hr.admin = true;
    let w = World { h, alice, bob, hr };
    w.grant("p-alice", "annual", 10.0);
    w
}

impl World {
    fn grant(&self, person: &str, leave_type: &str, amount: f64) {
        let config = load_config(&self.h).unwrap().value;
        let t = find_type(&config.types, leave_type).unwrap().clone();
        let amount = hr::amount_of(&self.hr, &t, amount).unwrap();
        let name = self.h.people.borrow().get(person).cloned().unwrap();
        hr::adjust(
            &self.h,
            &self.hr,
            person,
            &name,
            &t,
            amount,
            d("2026-01-01"),
            "opening balance",
            &format!("open-{leave_type}"),
        )
        .unwrap();
    }

    fn available(&self, person: &str, leave_type: &str) -> Amount {
        self.balance(person, leave_type).available
    }

    fn balance(&self, person: &str, leave_type: &str) -> crate::ledger::Balance {
        pages::balances(&self.h, person, d("2026-12-31"))
            .unwrap()
            .into_iter()
            .find(|b| b.leave_type.id == leave_type)
            .map(|b| b.balance)
            .unwrap()
    }

    fn request(&self, id: &str) -> store::LeaveRequest {
        REQUESTS.get(&self.h, id).unwrap().unwrap().value
    }

    fn account(&self, person: &str) -> Account {
        EMPLOYEES.get(&self.h, person).unwrap().unwrap().value
    }

    fn entries(&self, person: &str) -> Vec<Entry> {
        crate::books::load(&self.h, person, "").unwrap().entries
    }

    fn decide(&self, reference: &str, template: &str, status: &str) -> Value {
        let r = self.request(reference);
        let approval = match template {
            approval::TEMPLATE => r.approval.map(|a| a.request_id),
            _ => r
                .cancellation
                .and_then(|c| c.approval)
                .map(|a| a.request_id),
        }
        .unwrap();
        approval::decided(
            &self.h,
            "approvals",
            json!({
                "request_id": approval, "reference": reference, "template_id": template,
                "status": status, "by": {"id": "p-boss", "name": "Boss"}, "comment": "ok",
            }),
        )
        .unwrap()
    }
}

fn days(leave_type: &str, from: &str, to: &str) -> Submitted {
    Submitted {
        leave_type: leave_type.into(),
        from_date: Some(d(from)),
        from_half: Some(Half::Am),
        to_date: Some(d(to)),
        to_half: Some(Half::Pm),
        ..Submitted::default()
    }
}

fn refused(outcome: Result<store::LeaveRequest, Refused>) -> (&'static str, String) {
    match outcome {
        Err(Refused::Field(p)) => (p.field, p.message),
        Err(Refused::Other(e)) => panic!("refused outside the form: {e}"),
        Ok(r) => panic!("accepted: {r:?}"),
    }
}

fn sub(w: &World, who: &Who, form: &Submitted) -> Result<store::LeaveRequest, Refused> {
    submit(&w.h, who, form).map(|r| r.value)
}

fn submitted(w: &World, who: &Who, form: &Submitted) -> String {
    submit(&w.h, who, form).unwrap().id
}

#[test]
fn submitting_reserves_and_approval_consumes_once() {
    let w = world();
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    let r = w.request(&id);
    assert_eq!(r.status, Status::Pending);
    assert_eq!(r.amount, Amount::days(2));
    assert_eq!(r.approval.as_ref().unwrap().serial, "AP-0000");
    let b = w.balance("p-alice", "annual");
    assert_eq!(
        (b.reserved, b.available),
        (Amount::days(2), Amount::days(8))
    );

    // What the approvals plugin was asked.
    let start = &w.h.calls_of("start")[0];
    assert_eq!(start["template_id"], "leave");
    assert_eq!(start["reference"], id.as_str());
    assert_eq!(
        start["values"],
        json!({
            "leave_type": "Annual leave / 年假", "leave_type_id": "annual",
            "from": "2026-12-03 AM", "to": "2026-12-04 PM", "days": 2.0,
            "amount": "2 days / 2 天", "reason": "", "delegate_id": "",
        })
    );
    assert_eq!(start["title"]["en"], "Leave: Alice, Annual leave, Dec 3–4");
    assert_eq!(start["title"]["zh"], "请假：Alice，年假，12月3日至4日");

    // The card in the group.
    let card_id = r.card_id.clone().unwrap();
    let card = w.h.card(&card_id);
    assert!(
        card.contains("Leave request · Alice / 请假申请 · Alice"),
        "{card}"
    );
    assert!(
        card.contains("Dates / 日期: Dec 3–4 / 12月3日至4日"),
        "{card}"
    );
    assert!(card.contains("Amount / 时长: 2 days / 2 天"), "{card}");
    assert!(card.contains("[Waiting for approval / 待审批]"), "{card}");
    assert!(
        card.contains("<withdraw>") && !card.contains("<cancel>"),
        "{card}"
    );
    // Everything flushed from the journal to entry records.
    assert!(w.account("p-alice").journal.is_empty());
    assert!(w.h.ids("entries").contains(&format!("reserved:{id}")));

    let answer = w.decide(&id, "leave", "approved");
    assert_eq!(answer, json!({"reference": id, "status": "approved"}));
    let b = w.balance("p-alice", "annual");
    assert_eq!(
        (b.reserved, b.taken, b.available),
        (Amount::days(0), Amount::days(2), Amount::days(8))
    );
    let r = w.request(&id);
    assert_eq!(r.status, Status::Approved);
    let card = w.h.card(&card_id);
    assert!(card.contains("[Approved / 已批准]"), "{card}");
    assert!(
        card.contains("<cancel>") && !card.contains("<withdraw>"),
        "{card}"
    );
    assert!(card.contains("* Approved / 已批准"), "{card}");
    let notice = w.h.card(r.notice_id.as_deref().unwrap());
    assert!(
        notice.starts_with("🌴 Alice is on leave Dec 3–4 / 🌴 Alice 12月3日至4日请假"),
        "{notice}"
    );
    assert_eq!(w.h.cards.borrow()[r.notice_id.as_deref().unwrap()].0, "g1");

    // The same outcome again changes nothing.
    let entries = w.entries("p-alice").len();
    let posted = w.h.posted.borrow().len();
    w.decide(&id, "leave", "approved");
    assert_eq!(w.entries("p-alice").len(), entries);
    assert_eq!(w.h.posted.borrow().len(), posted);
    assert_eq!(w.request(&id).history.len(), 2);
}

#[test]
fn only_the_approvals_plugin_reports_decisions() {
    let w = world();
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-03"));
    let input = json!({"request_id": "ap-0", "reference": id, "template_id": "leave", "status": "approved"});
    let err = approval::decided(&w.h, "dice", input.clone()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied);
    assert_eq!(w.request(&id).status, Status::Pending);
    // Another approval than the one the request waits for is refused too.
    let mut other = input.clone();
    other["request_id"] = json!("ap-99");
    assert!(approval::decided(&w.h, "approvals", other).is_err());
    // And input that does not fit.
    let err = approval::decided(&w.h, "approvals", json!({"reference": id})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Data);
    assert_eq!(w.request(&id).status, Status::Pending);
}

#[test]
fn rejection_and_withdrawal_release_the_reservation() {
    let w = world();
    let first = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    w.decide(&first, "leave", "rejected");
    let r = w.request(&first);
    assert_eq!(r.status, Status::Rejected);
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
    assert!(w.account("p-alice").holds.is_empty());
    let card = w.h.card(r.card_id.as_deref().unwrap());
    assert!(
        card.contains("[Rejected / 已驳回]") && !card.contains("<withdraw>"),
        "{card}"
    );
    // A second rejection, or a late approval, changes nothing.
    w.decide(&first, "leave", "rejected");
    w.decide(&first, "leave", "approved");
    assert_eq!(w.request(&first).status, Status::Rejected);
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
    assert!(
        w.h.posted.borrow().len() == 1,
        "no notice for rejected leave"
    );

    // The same days can be asked again, and withdrawn — by Alice only.
    let second = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    let err = approval::withdraw(&w.h, &w.bob, &second).unwrap_err();
    assert_eq!(err.message, "Only Alice can do this");
    let r = approval::withdraw(&w.h, &w.alice, &second).unwrap();
    assert_eq!(r.status, Status::Withdrawn);
    assert_eq!(
        w.h.calls_of("withdraw"),
        vec![json!({"request_id": "ap-1"})]
    );
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
    // Approvals then reports the withdrawal: nothing more happens.
    w.decide(&second, "leave", "withdrawn");
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
    let err = approval::withdraw(&w.h, &w.alice, &second).unwrap_err();
    assert_eq!(
        err.message,
        "This request is no longer waiting for approval (Withdrawn)"
    );
}

#[test]
fn cancelling_approved_leave_goes_through_approval_and_restores_the_balance() {
    let w = world();
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    w.decide(&id, "leave", "approved");
    assert_eq!(w.available("p-alice", "annual"), Amount::days(8));

    let err = approval::cancel(&w.h, &w.bob, &id).unwrap_err();
    assert_eq!(err.message, "Only Alice can do this");
    let r = approval::cancel(&w.h, &w.alice, &id).unwrap();
    assert!(r.cancelling());
    let start = &w.h.calls_of("start")[1];
    assert_eq!(start["template_id"], "leave_cancel");
    assert_eq!(start["values"]["cancels"], "ap-0");
    assert_eq!(start["values"]["leave_type_id"], "annual");
    assert_eq!(
        start["title"]["en"],
        "Cancel leave: Alice, Annual leave, Dec 3–4"
    );
    let card = w.h.card(r.card_id.as_deref().unwrap());
    assert!(
        card.contains("[Approved · cancelling / 已批准 · 销假审批中]"),
        "{card}"
    );
    assert!(!card.contains("<cancel>"), "{card}");
    assert!(
        approval::cancel(&w.h, &w.alice, &id).is_err(),
        "one at a time"
    );

    // Rejected: still on leave, and it can be asked again.
    w.decide(&id, "leave_cancel", "rejected");
    assert_eq!(w.request(&id).status, Status::Approved);
    assert_eq!(w.available("p-alice", "annual"), Amount::days(8));
    approval::cancel(&w.h, &w.alice, &id).unwrap();
    w.decide(&id, "leave_cancel", "approved");
    let r = w.request(&id);
    assert_eq!(r.status, Status::Cancelled);
    let b = w.balance("p-alice", "annual");
    assert_eq!((b.taken, b.available), (Amount::days(0), Amount::days(10)));
    assert!(w.account("p-alice").holds.is_empty());
    let notice = w.h.card(r.notice_id.as_deref().unwrap());
    assert!(
        notice.contains("Alice's leave Dec 3–4 is cancelled"),
        "{notice}"
    );
    // Again: nothing more is given back.
    w.decide(&id, "leave_cancel", "approved");
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
}

#[test]
fn a_revoked_approval_gives_the_leave_back() {
    let w = world();
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-07", "2026-12-08"));
    w.decide(&id, "leave", "approved");
    w.decide(&id, "leave", "revoked");
    let r = w.request(&id);
    assert_eq!(r.status, Status::Cancelled);
    assert_eq!(r.history.last().unwrap().kind, store::StepKind::Revoked);
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
    w.decide(&id, "leave", "revoked");
    assert_eq!(w.available("p-alice", "annual"), Amount::days(10));
}

#[test]
fn when_approval_cannot_start_nothing_is_kept() {
    let w = world();
    w.h.approvals(|_, op, _| match op {
        "start" => Err(courtyard_sdk::Error::new(
            ErrorKind::Invalid,
            "no approver found: Alice has no department head",
        )),
        _ => Ok(json!({})),
    });
    let outcome = sub(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    let Err(Refused::Other(e)) = outcome else {
        panic!("expected a refusal: {outcome:?}");
    };
    assert_eq!(
        e.message,
        "The approval could not start: no approver found: Alice has no department head"
    );
    assert!(w.h.ids("requests").is_empty());
    let account = w.account("p-alice");
    assert!(account.journal.is_empty() && account.holds.is_empty());
    assert_eq!(w.h.ids("entries"), vec!["adjustment:p-alice:open-annual"]);
    assert_eq!(w.balance("p-alice", "annual").reserved, Amount::days(0));
    assert!(w.h.posted.borrow().is_empty());
}

#[test]
fn approval_can_be_instant_or_arrive_during_start() {
    let w = world();
    w.h.approvals(|_, op, _| match op {
        "start" => Ok(json!({"request_id": "ap-x", "serial": "AP-9", "status": "approved"})),
        _ => Ok(json!({})),
    });
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-03"));
    let r = w.request(&id);
    assert_eq!(r.status, Status::Approved);
    assert_eq!(w.balance("p-alice", "annual").taken, Amount::days(1));
    assert!(r.notice_id.is_some());
    let card = w.h.card(r.card_id.as_deref().unwrap());
    assert!(
        card.contains("[Approved / 已批准]") && card.contains("AP-9"),
        "{card}"
    );

    // An engine that reports the decision before `start` returns.
    w.h.approvals(|h, op, input| match op {
        "start" => {
            let reference = input["reference"].as_str().unwrap().to_owned();
            approval::decided(
                h,
                "approvals",
                json!({"request_id": "ap-y", "reference": reference, "template_id": "leave", "status": "approved"}),
            )?;
            Ok(json!({"request_id": "ap-y", "serial": "AP-10", "status": "approved"}))
        }
        _ => Ok(json!({})),
    });
    let posted = w.h.posted.borrow().len();
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-04", "2026-12-04"));
    let r = w.request(&id);
    assert_eq!(r.status, Status::Approved);
    assert_eq!(r.approval.unwrap().serial, "AP-10");
    assert_eq!(w.balance("p-alice", "annual").taken, Amount::days(2));
    assert_eq!(
        w.h.posted.borrow().len(),
        posted + 2,
        "one notice and one card"
    );
}

#[test]
fn two_submissions_at_once_cannot_both_spend_the_same_days() {
    let w = world();
    // Just as Alice's 2-day request commits, another of hers reserves 9 days.
    w.h.before_next_put("employees", |records| {
        let key = ("employees".to_owned(), "p-alice".to_owned());
        let (value, _, version) = records.get_mut(&key).unwrap();
        let mut account: Account = serde_json::from_value(value.clone()).unwrap();
        account.journal.push(
            Entry::new(
                "reserved:rival",
                "p-alice",
                "annual",
                EntryKind::Reserved,
                Amount::days(9),
                d("2026-12-14"),
                1,
            )
            .request("rival"),
        );
        *value = serde_json::to_value(account).unwrap();
        *version += 1;
    });
    let (field, message) = refused(sub(
        &w,
        &w.alice,
        &days("annual", "2026-12-03", "2026-12-04"),
    ));
    assert_eq!(field, "to_date");
    assert_eq!(
        message,
        "Not enough leave: 1 day available, 2 days requested"
    );
    assert!(w.h.ids("requests").is_empty());
    let b = w.balance("p-alice", "annual");
    assert_eq!(
        (b.reserved, b.available),
        (Amount::days(9), Amount::days(1))
    );

    // A write that merely got in first is retried, and the request goes through.
    w.h.before_next_put("employees", |records| {
        let key = ("employees".to_owned(), "p-alice".to_owned());
        records.get_mut(&key).unwrap().2 += 1;
    });
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-03"));
    assert_eq!(w.request(&id).status, Status::Pending);
    assert_eq!(w.available("p-alice", "annual"), Amount::days(0));
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_changes_nothing() {
    let w = world();
    let before = w.h.records.borrow().clone();
    let cases: Vec<(Submitted, &str, &str)> = vec![
        (
            days("annual", "2026-12-04", "2026-12-03"),
            "to_date",
            "The leave ends before it starts (2026-12-04 AM – 2026-12-03 PM)",
        ),
        (
            days("annual", "2026-12-05", "2026-12-06"),
            "from_date",
            "Those dates are all non-working time: there is no leave to take",
        ),
        (
            days("bereavement", "2026-12-01", "2026-12-04"),
            "to_date",
            "At most 3 days per request; this one is 4 days",
        ),
        (
            days("annual", "2026-12-01", "2026-12-15"),
            "to_date",
            "Not enough leave: 10 days available, 11 days requested",
        ),
        (
            days("sabbatical", "2026-12-01", "2026-12-01"),
            "leave_type",
            "There is no leave type “sabbatical”",
        ),
        (
            days("sick", "2026-12-01", "2026-12-03"),
            "certificate",
            "Attach a supporting document: required for more than 2 days",
        ),
        (
            Submitted {
                leave_type: "compensatory".into(),
                date: Some(d("2026-12-01")),
                start_time: Some("15:00".into()),
                end_time: Some("14:00".into()),
                ..Submitted::default()
            },
            "end_time",
            "The leave ends before it starts (2026-12-01 15:00–14:00)",
        ),
    ];
    for (form, field, message) in cases {
        assert_eq!(
            refused(sub(&w, &w.alice, &form)),
            (field, message.to_owned()),
            "{form:?}"
        );
    }
    assert_eq!(*w.h.records.borrow(), before, "nothing was stored");
    assert!(w.h.calls.borrow().is_empty());

    // In Chinese, and for the delegate.
    let mut zh = w.alice.clone();
    zh.locale = "zh-CN".into();
    assert_eq!(
        refused(sub(&w, &zh, &days("annual", "2026-12-01", "2026-12-15"))),
        ("to_date", "假期余额不足：可用 10 天，申请 11 天".to_owned())
    );
    let mut own = days("annual", "2026-12-01", "2026-12-01");
    own.delegate = Some("p-alice".into());
    assert_eq!(refused(sub(&w, &w.alice, &own)).0, "delegate");
    own.delegate = Some("nobody".into());
    assert_eq!(
        refused(sub(&w, &w.alice, &own)),
        ("delegate", "There is no such person".to_owned())
    );
    let mut guest = w.bob.clone();
    guest.guest = true;
    assert!(matches!(
        sub(&w, &guest, &days("annual", "2026-12-01", "2026-12-01")),
        Err(Refused::Other(_))
    ));
    assert_eq!(*w.h.records.borrow(), before);
}

#[test]
fn overlapping_requests_are_refused_half_day_aware() {
    let w = world();
    let mut morning = days("annual", "2026-12-03", "2026-12-03");
    morning.to_half = Some(Half::Am);
    submitted(&w, &w.alice, &morning);
    let mut afternoon = days("personal", "2026-12-03", "2026-12-04");
    afternoon.from_half = Some(Half::Pm);
    let id = submitted(&w, &w.alice, &afternoon);
    assert_eq!(w.request(&id).amount, Amount::half_days(3));
    let (field, message) = refused(sub(&w, &w.alice, &days("sick", "2026-12-02", "2026-12-03")));
    assert_eq!(field, "from_date");
    assert!(
        message.starts_with("This overlaps your request r"),
        "{message}"
    );
    // Rejected leave no longer holds its time.
    w.decide(&id, "leave", "rejected");
    submitted(&w, &w.alice, &days("sick", "2026-12-04", "2026-12-04"));
}

#[test]
fn hours_and_holidays_count_as_the_calendar_says() {
    let w = world();
    w.grant("p-alice", "compensatory", 6.0);
    let mut request = Request {
        method: "PUT".into(),
        path: "calendar".into(),
        query: Query::default(),
        headers: vec![],
        body: serde_json::to_vec(&json!({
            "holidays": {"2026-12-25": "Christmas"},
            "makeup_workdays": {"2026-12-26": "Make-up Saturday"},
        }))
        .unwrap(),
    };
    let response = routes::handle(&w.h, &w.hr, &request);
    assert_eq!(response.status, 200, "{}", response.body_text());
    // Thu 24 – Mon 28 December: Thu, the make-up Saturday and Monday; not Christmas.
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-24", "2026-12-28"));
    assert_eq!(w.request(&id).amount, Amount::days(3));
    let hours = Submitted {
        leave_type: "compensatory".into(),
        date: Some(d("2026-12-02")),
        start_time: Some("11:00".into()),
        end_time: Some("14:30".into()),
        ..Submitted::default()
    };
    let id = submitted(&w, &w.alice, &hours);
    let r = w.request(&id);
    assert_eq!(r.amount, Amount::minutes(150));
    assert_eq!(r.days, 2.5 / 8.0);
    assert_eq!(w.available("p-alice", "compensatory"), Amount::minutes(210));
    let values = &w.h.calls_of("start")[1]["values"];
    assert_eq!(values["from"], "2026-12-02 11:00");
    assert_eq!(values["amount"], "2 h 30 min / 2 小时 30 分");
    // A request on the holiday alone takes nothing.
    request.method = "GET".into();
    assert_eq!(routes::handle(&w.h, &w.hr, &request).status, 200);
    let (_, message) = refused(sub(
        &w,
        &w.alice,
        &days("personal", "2026-12-25", "2026-12-25"),
    ));
    assert!(message.contains("non-working"), "{message}");
}

#[test]
fn an_approved_delegate_gets_the_approvals_once() {
    let w = world();
    let mut form = days("annual", "2026-12-03", "2026-12-04");
    form.delegate = Some("p-bob".into());
    form.reason = Some("  family trip  ".into());
    let id = submitted(&w, &w.alice, &form);
    let r = w.request(&id);
    assert_eq!(r.reason, "family trip");
    assert_eq!(r.delegate.as_ref().unwrap().name, "Bob");
    assert_eq!(w.h.calls_of("start")[0]["values"]["delegate_id"], "p-bob");
    w.decide(&id, "leave", "approved");
    w.decide(&id, "leave", "approved");
    assert_eq!(
        w.h.calls_of("delegate"),
        vec![json!({"request_id": "ap-0", "delegate_id": "p-bob"})]
    );
    assert!(w.request(&id).delegated);
    let links = REQUESTS.get(&w.h, &id).unwrap().unwrap().links;
    assert!(links.iter().any(|l| l.rel == "delegate"));
    assert!(links.iter().any(|l| l.rel == "group"));
}

#[test]
fn balances_and_the_team_calendar() {
    let w = world();
    let approved = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    w.decide(&approved, "leave", "approved");
    w.grant("p-bob", "annual", 5.0);
    let mut half = days("annual", "2026-12-04", "2026-12-04");
    half.from_half = Some(Half::Pm);
    submitted(&w, &w.bob, &half);

    let text = pages::balance_text(&w.h, &w.alice).unwrap();
    assert!(
        text.contains("Annual leave: 8 days available (granted 0 days, adjusted 10 days, taken 2 days, reserved 0 days, expired 0 days)"),
        "{text}"
    );

    let page =
        pages::calendar_page(&w.h, &w.bob, &Query::parse("from=2026-12-03&to=2026-12-05")).unwrap();
    let page = courtyard_sdk::bindings::courtyard::plugin::types::Page::from(page);
    let all = format!("{:?}", page.cards);
    assert!(all.contains("2026-12-03 Thu"), "{all}");
    assert!(all.contains("Alice (Annual leave)"), "{all}");
    assert!(all.contains("Bob (Annual leave PM) (pending)"), "{all}");
    assert!(all.contains("Weekend"), "{all}");

    let page = pages::balances_page(&w.h, &w.alice, &Query::parse("as_of=2026-12-31")).unwrap();
    let page = courtyard_sdk::bindings::courtyard::plugin::types::Page::from(page);
    let text = format!("{:?}", page.cards);
    assert!(text.contains("opening balance"), "{text}");
    assert!(text.contains("Taken"), "{text}");
    // Someone else's balances are HR's business.
    let err = pages::balances_page(&w.h, &w.alice, &Query::parse("person_id=p-bob")).unwrap_err();
    assert!(err.message.contains("Only HR"), "{err}");
    assert!(pages::balances_page(&w.h, &w.hr, &Query::parse("person_id=p-bob")).is_ok());
    let err = pages::calendar_page(&w.h, &w.bob, &Query::parse("from=2026-12-05&to=2026-12-01"))
        .unwrap_err();
    assert!(err.message.contains("before it starts"), "{err}");
}

fn route(w: &World, who: &Who, method: &str, path: &str, body: Value) -> (u16, Value, String) {
    let request = Request {
        method: method.into(),
        path: path.into(),
        query: Query::parse(path.split_once('?').map_or("", |(_, q)| q)),
        headers: vec![],
        body: if body.is_null() {
            vec![]
        } else {
            serde_json::to_vec(&body).unwrap()
        },
    };
    let request = Request {
        path: path.split('?').next().unwrap().into(),
        ..request
    };
    let r = routes::handle(&w.h, who, &request);
    let text = r.body_text();
    (
        r.status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

#[test]
fn hr_routes_check_who_and_what() {
    let w = world();
    let (status, body, _) = route(&w, &w.alice, "GET", "types", Value::Null);
    assert_eq!(status, 403);
    assert_eq!(body["code"], "forbidden");
    let (status, body, _) = route(&w, &w.hr, "PUT", "calendar", json!({"holiday": {}}));
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `holiday`"),
        "{body}"
    );
    let (status, body, _) = route(
        &w,
        &w.hr,
        "PUT",
        "calendar",
        json!({"holidays": {"2026-12-26": "x"}, "makeup_workdays": {"2026-12-26": "y"}}),
    );
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (400, "2026-12-26 is both a holiday and a make-up workday")
    );
    let (status, body, _) = route(
        &w,
        &w.hr,
        "PUT",
        "calendar",
        json!({"makeup_workdays": {"2026-12-02": "y"}}),
    );
    assert_eq!(status, 400, "{body}");

    // Adjustments need a reason, and are audited.
    let (status, body, _) = route(
        &w,
        &w.hr,
        "POST",
        "adjustments",
        json!({"person_id": "p-bob", "leave_type": "annual", "amount": 2}),
    );
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (400, "An adjustment needs a reason")
    );
    let (status, body, _) = route(
        &w,
        &w.hr,
        "POST",
        "adjustments",
        json!({"person_id": "p-bob", "leave_type": "annual", "amount": 1.25, "reason": "x"}),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = route(
        &w,
        &w.hr,
        "POST",
        "adjustments",
        json!({"person_id": "p-bob", "leave_type": "annual", "amount": -1.5, "reason": "correction", "key": "k1"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entry"]["by"], "p-hr");
    assert_eq!(body["entry"]["reason"], "correction");
    assert_eq!(body["balance"]["available"], -1.5);
    route(
        &w,
        &w.hr,
        "POST",
        "adjustments",
        json!({"person_id": "p-bob", "leave_type": "annual", "amount": -1.5, "reason": "correction", "key": "k1"}),
    );
    assert_eq!(
        w.available("p-bob", "annual"),
        Amount::half_days(-3),
        "a retry adds nothing"
    );
    let (status, _, _) = route(
        &w,
        &w.hr,
        "POST",
        "adjustments",
        json!({"person_id": "ghost", "leave_type": "annual", "amount": 1, "reason": "x"}),
    );
    assert_eq!(status, 404);

    // Leave types: validated, and units cannot change under existing balances.
    let mut types = load_config(&w.h).unwrap().value.types;
    types[0].unit = crate::amount::Unit::Hour;
    types[0].allocation = None;
    let (status, body, _) = route(
        &w,
        &w.hr,
        "PUT",
        "types",
        serde_json::to_value(&types).unwrap(),
    );
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot become hours"),
        "{body}"
    );
    let mut types = load_config(&w.h).unwrap().value.types;
    types.push(types[1].clone());
    let (status, _, _) = route(
        &w,
        &w.hr,
        "PUT",
        "types",
        serde_json::to_value(&types).unwrap(),
    );
    assert_eq!(status, 400);
    types.pop();
    types[1].max_per_request = Some(Amount::days(5));
    let (status, body, _) = route(
        &w,
        &w.hr,
        "PUT",
        "types",
        serde_json::to_value(&types).unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body[1]["max_per_request"],
        json!({"unit": "half_days", "value": 10})
    );
    let (status, body, _) = route(&w, &w.hr, "PUT", "types", json!("annual"));
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_json");

    // Employees and the yearly allocation.
    let (status, body, _) = route(
        &w,
        &w.hr,
        "PUT",
        "employees/p-bob",
        json!({"hired": "2019-03-01", "seniority_from": "2020-01-01"}),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = route(
        &w,
        &w.hr,
        "PUT",
        "employees/p-bob",
        json!({"hired": "2019-03-01"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hired"], "2019-03-01");
    let (status, body, _) = route(&w, &w.hr, "POST", "allocate", json!({"year": 2026}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entries_added"], 1);
    assert_eq!(body["without_hiring_date"], json!(["p-alice"]));
    let (_, body, _) = route(&w, &w.hr, "POST", "allocate", json!({"year": 2026}));
    assert_eq!(body["entries_added"], 0, "idempotent");
    assert_eq!(w.available("p-bob", "annual"), Amount::half_days(7));
    let (status, body, _) = route(&w, &w.hr, "GET", "employees/p-bob", Value::Null);
    assert_eq!(status, 200);
    assert_eq!(body["balances"][0]["granted"], 5.0);
    let (status, _, _) = route(&w, &w.hr, "POST", "allocate", json!({"year": "next"}));
    assert_eq!(status, 400);

    // Exports.
    let id = submitted(&w, &w.alice, &days("annual", "2026-12-03", "2026-12-04"));
    let (status, _, csv) = route(&w, &w.hr, "GET", "export/requests.csv", Value::Null);
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("\u{feff}Request,Approval,Person ID,Person,"),
        "{csv}"
    );
    assert!(csv.contains(&format!("{id},AP-0000,p-alice,Alice,annual,Annual leave,2026-12-03 AM,2026-12-04 PM,2,days,2,pending,")), "{csv}");
    let (_, _, csv) = route(
        &w,
        &w.hr,
        "GET",
        "export/balances.csv?as_of=2026-12-31",
        Value::Null,
    );
    assert!(
        csv.contains("p-alice,Alice,annual,Annual leave,days,0,10,0,2,0,8,2026-12-31"),
        "{csv}"
    );
    assert!(
        csv.contains("p-bob,Bob,annual,Annual leave,days,5,-1.5,0,0,0,3.5,2026-12-31"),
        "{csv}"
    );
    let (status, _, _) = route(&w, &w.alice, "GET", "export/balances.csv", Value::Null);
    assert_eq!(status, 403);
    let (status, _, _) = route(&w, &w.hr, "GET", "nothing", Value::Null);
    assert_eq!(status, 404);
}

#[test]
fn the_command_fills_in_the_form_or_shows_balances() {
    let w = world();
    let form = |args: &str| crate::leave_command(&w.h, &w.alice, &Args::parse(args));
    let Reply::Form(f) = form("2026-12-01 2026-12-03 sick").unwrap() else {
        panic!("a form");
    };
    let f = courtyard_sdk::bindings::courtyard::plugin::types::Form::from(f);
    let default = |name: &str| {
        f.fields
            .iter()
            .find(|x| x.name == name)
            .and_then(|x| x.default_value.clone())
    };
    assert_eq!(default("leave_type").as_deref(), Some("\"sick\""));
    assert_eq!(default("from_date").as_deref(), Some("\"2026-12-01\""));
    assert_eq!(default("to_date").as_deref(), Some("\"2026-12-03\""));
    let err = form("2026-12-01 sabbatical").unwrap_err();
    assert_eq!(err.message, "There is no leave type “sabbatical”");
    let err = form("2026-12-03 2026-12-01").unwrap_err();
    assert!(
        err.message.starts_with("The leave ends before it starts"),
        "{err}"
    );
    let err = form("2026-13-01").unwrap_err();
    assert_eq!(err.message, "“2026-13-01” is not a date like 2026-12-01");
    let Reply::Ephemeral(text) = form("balance").unwrap() else {
        panic!("balances");
    };
    assert!(text.contains("10 days available"), "{text}");

    // Submitting the form through the action entry point.
    let action = Action {
        message_id: None,
        action_id: "leave".into(),
        value: String::new(),
        form: Some(serde_json::to_value(days("annual", "2026-12-01", "2026-12-02")).unwrap()),
    };
    let ActionReply::Ephemeral(text) = crate::act(&w.h, &w.alice, &action).unwrap() else {
        panic!("a confirmation");
    };
    assert_eq!(
        text,
        "Sent for approval (AP-0000): Annual leave, Dec 1–2, 2 days. The balance is reserved until it is decided."
    );
    // A refusal shows the form again, with the problem next to the field.
    let action = Action {
        form: Some(serde_json::to_value(days("annual", "2026-12-02", "2026-12-01")).unwrap()),
        ..action
    };
    let ActionReply::Form(f) = crate::act(&w.h, &w.alice, &action).unwrap() else {
        panic!("the form again");
    };
    let f = courtyard_sdk::bindings::courtyard::plugin::types::Form::from(f);
    let to = f.fields.iter().find(|x| x.name == "to_date").unwrap();
    assert!(
        to.help
            .as_deref()
            .unwrap()
            .starts_with("The leave ends before it starts")
    );
    assert_eq!(to.default_value.as_deref(), Some("\"2026-12-01\""));
    // Buttons: withdraw from the card.
    let id = REQUESTS.list(&w.h, 10).unwrap()[0].id.clone();
    let press = Action {
        message_id: Some("m1".into()),
        action_id: "withdraw".into(),
        value: id.clone(),
        form: None,
    };
    assert!(matches!(
        crate::act(&w.h, &w.alice, &press).unwrap(),
        ActionReply::UpdateCard(_)
    ));
    assert_eq!(w.request(&id).status, Status::Withdrawn);
}

#[test]
fn the_yearly_run_allocates_and_writes_expiries_down() {
    let w = world();
    let (status, _, _) = route(
        &w,
        &w.hr,
        "PUT",
        "employees/p-alice",
        json!({"hired": "2015-06-01"}),
    );
    assert_eq!(status, 200);
    let done = hr::allocate(&w.h, 2026, Some(d("2026-11-30"))).unwrap();
    assert_eq!(done.entries_added, 1);
    // 2027: 2026's unused annual leave (5 allocated + 10 adjusted, untouched) — the
    // allocation expires on 1 January; up to 5 days carry over.
    w.h.today.set(d("2027-01-01"));
    let done = hr::allocate(&w.h, 2027, Some(d("2027-01-01"))).unwrap();
    assert_eq!(done.entries_added, 3, "{done:?}");
    let ids: Vec<String> = w.entries("p-alice").into_iter().map(|e| e.id).collect();
    assert!(
        ids.contains(&"expiry:p-alice:annual:2027-01-01".to_owned()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"carry_over:p-alice:annual:2027".to_owned()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"allocation:p-alice:annual:2027".to_owned()),
        "{ids:?}"
    );
    assert_eq!(
        hr::allocate(&w.h, 2027, Some(d("2027-01-01")))
            .unwrap()
            .entries_added,
        0
    );
    let b = pages::balances(&w.h, "p-alice", d("2027-01-01")).unwrap();
    let annual = &b
        .iter()
        .find(|b| b.leave_type.id == "annual")
        .unwrap()
        .balance;
    // 10 adjusted (no expiry) + 5 carried over + 10 for 2027 (11 years' seniority).
    assert_eq!(annual.available, Amount::days(25));
}
