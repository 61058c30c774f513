use serde_json::json;

use super::*;
use crate::condition::{Condition, Op};
use crate::model::{ApproverRule, Audience, Origin, SelfApproval, TimeoutThen};
use crate::testkit::{Dir, HOUR, T0, approve, ids, ok, p, people, reject, start, step, template};

/// The state of `who`'s (last) task at `step`.
fn state(req: &Request, step: usize, who: &str) -> TaskState {
    req.steps[step]
        .tasks
        .iter()
        .rev()
        .find(|t| t.approver.id == who)
        .unwrap_or_else(|| panic!("{who} has no task at step {step}"))
        .state
        .clone()
}

fn kinds(req: &Request) -> Vec<&EventKind> {
    req.timeline.iter().map(|e| &e.kind).collect()
}

fn notified(fx: &[Effect]) -> Vec<&str> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::NotifyApprovers { people } => Some(ids(people)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Acts and expects a refusal that leaves the request exactly as it was.
fn refused(req: &mut Request, who: &str, action: Action, dir: &Dir, minutes: i64) -> ActError {
    let before = req.clone();
    let e = act(req, &p(who), action, dir, T0 + minutes * 60_000).expect_err("should be refused");
    assert_eq!(*req, before, "a refused action changed the request");
    e
}

fn two_steps(first: Mode, second: Mode) -> Template {
    template(vec![
        step("first", vec![people(&["bob", "carol"])], first),
        step("second", vec![people(&["dave", "erin"])], second),
    ])
}

#[test]
fn submit_enters_the_first_step_and_says_who_to_notify() {
    let dir = Dir::new();
    let (req, fx) = start(
        &two_steps(Mode::Sequential, Mode::All),
        "alice",
        json!({"amount": "10"}),
        &dir,
    );
    assert_eq!(req.status, Status::Pending);
    assert_eq!(req.current, 0);
    assert_eq!(
        req.title,
        I18n::new("Expense from Alice", "Alice提交的报销")
    );
    assert_eq!(req.steps[0].entered_ms, Some(T0));
    assert_eq!(state(&req, 0, "bob"), TaskState::Pending);
    assert_eq!(state(&req, 0, "carol"), TaskState::Waiting);
    assert_eq!(state(&req, 1, "dave"), TaskState::Waiting);
    assert_eq!(kinds(&req), [&EventKind::Submitted]);
    assert_eq!(req.timeline[0].actor, Some(p("alice")));
    assert_eq!(
        fx,
        [
            Effect::NotifyApprovers {
                people: vec![p("bob")]
            },
            Effect::UpdateCards
        ]
    );
    assert_eq!(pending_approvers(&req), [p("bob")]);
    assert!(can_act(&req, "bob") && !can_act(&req, "carol"));
}

#[test]
fn sequential_approvers_take_turns() {
    let dir = Dir::new();
    let (mut req, _) = start(
        &two_steps(Mode::Sequential, Mode::All),
        "alice",
        json!({}),
        &dir,
    );
    let e = refused(&mut req, "carol", approve(), &dir, 1);
    assert_eq!(e, ActError::NotYourTurn);
    assert_eq!(e.zh(), "还没有轮到你审批。");

    let fx = ok(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(state(&req, 0, "bob"), TaskState::Approved);
    assert_eq!(state(&req, 0, "carol"), TaskState::Pending);
    assert_eq!(notified(&fx), ["carol"]);
    assert_eq!(req.current, 0);

    let fx = ok(&mut req, "carol", approve(), &dir, 2);
    assert_eq!(req.current, 1);
    assert_eq!(notified(&fx), ["dave", "erin"]);
    assert_eq!(req.steps[1].entered_ms, Some(T0 + 2 * 60_000));
    assert_eq!(processed_by(&req), [p("bob"), p("carol")]);
}

#[test]
fn countersign_needs_everyone_and_one_rejection_ends_it() {
    let dir = Dir::new();
    let t = template(vec![step(
        "all",
        vec![people(&["bob", "carol", "dave"])],
        Mode::All,
    )]);
    let (mut req, fx) = start(&t, "alice", json!({}), &dir);
    assert_eq!(notified(&fx), ["bob", "carol", "dave"]);

    ok(&mut req, "bob", approve(), &dir, 1);
    ok(&mut req, "carol", approve(), &dir, 2);
    assert_eq!(req.status, Status::Pending);
    let fx = ok(&mut req, "dave", approve(), &dir, 3);
    assert_eq!(req.status, Status::Approved);
    assert_eq!(req.decided_ms, Some(T0 + 3 * 60_000));
    assert_eq!(
        fx,
        [
            Effect::Completed {
                status: Status::Approved
            },
            Effect::UpdateCards
        ]
    );
    assert_eq!(
        kinds(&req).last(),
        Some(&&EventKind::Completed {
            status: Status::Approved
        })
    );

    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    ok(&mut req, "bob", approve(), &dir, 1);
    let fx = ok(&mut req, "carol", reject("over budget"), &dir, 2);
    assert_eq!(req.status, Status::Rejected);
    assert_eq!(state(&req, 0, "bob"), TaskState::Approved);
    assert_eq!(state(&req, 0, "carol"), TaskState::Rejected);
    assert_eq!(state(&req, 0, "dave"), TaskState::Cancelled);
    assert_eq!(
        req.steps[0].tasks[1].comment.as_deref(),
        Some("over budget")
    );
    assert!(fx.contains(&Effect::Completed {
        status: Status::Rejected
    }));
    let e = refused(&mut req, "dave", approve(), &dir, 3);
    assert_eq!(
        e,
        ActError::AlreadyDecided {
            status: Status::Rejected,
            by: Some(p("carol"))
        }
    );
    assert_eq!(e.en(), "This request was already rejected by Carol.");
    assert_eq!(e.zh(), "该申请已被Carol拒绝。");
}

#[test]
fn or_sign_first_decision_wins_and_a_second_is_refused() {
    let dir = Dir::new();
    let (mut req, _) = start(&two_steps(Mode::Any, Mode::All), "alice", json!({}), &dir);
    assert_eq!(state(&req, 0, "carol"), TaskState::Pending);
    ok(&mut req, "carol", approve(), &dir, 1);
    assert_eq!(state(&req, 0, "carol"), TaskState::Approved);
    assert_eq!(state(&req, 0, "bob"), TaskState::Cancelled);
    assert_eq!(req.current, 1);

    let e = refused(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(
        e,
        ActError::TaskClosed {
            state: TaskState::Cancelled,
            by: Some(p("carol"))
        }
    );
    assert_eq!(e.en(), "Carol has already decided this step.");
    assert_eq!(e.zh(), "Carol已处理了该步骤。");
    // Carol cannot approve twice either.
    let e = refused(&mut req, "carol", approve(), &dir, 2);
    assert_eq!(
        e,
        ActError::TaskClosed {
            state: TaskState::Approved,
            by: None
        }
    );

    // An or-sign rejection decides too.
    let (mut req, _) = start(&two_steps(Mode::Any, Mode::All), "alice", json!({}), &dir);
    ok(&mut req, "bob", reject("no"), &dir, 1);
    assert_eq!(req.status, Status::Rejected);
    assert_eq!(state(&req, 0, "carol"), TaskState::Cancelled);
    assert_eq!(state(&req, 1, "dave"), TaskState::Cancelled);
}

#[test]
fn strangers_and_missing_comments_are_refused() {
    let dir = Dir::new();
    let (mut req, _) = start(&two_steps(Mode::Any, Mode::All), "alice", json!({}), &dir);
    let e = refused(&mut req, "sam", approve(), &dir, 1);
    assert_eq!(
        e,
        ActError::NotAllowed {
            why: Denied::NotApprover
        }
    );
    assert_eq!(e.en(), "You are not an approver of this step.");
    // Dave approves later, not now.
    assert_eq!(
        refused(&mut req, "dave", approve(), &dir, 1),
        ActError::NotYourTurn
    );
    let e = refused(&mut req, "bob", reject("   "), &dir, 1);
    assert_eq!(e, ActError::CommentRequired);
    assert_eq!(e.zh(), "请填写意见。");
    // The submitter is not an approver.
    assert_eq!(
        refused(&mut req, "alice", reject("mine"), &dir, 1),
        ActError::NotAllowed {
            why: Denied::NotApprover
        }
    );
}

#[test]
fn approvers_edit_only_the_fields_their_step_allows() {
    let dir = Dir::new();
    let mut s = step("s", vec![people(&["bob"])], Mode::Sequential);
    s.fields.insert("budget_code".into(), FieldAccess::Edit);
    let t = template(vec![s]);
    let (mut req, _) = start(
        &t,
        "alice",
        json!({"amount": "300", "budget_code": "X1"}),
        &dir,
    );

    let mut edits = Map::new();
    edits.insert("amount".into(), json!("1"));
    let e = refused(
        &mut req,
        "bob",
        Action::Approve {
            comment: None,
            edits,
        },
        &dir,
        1,
    );
    assert_eq!(
        e,
        ActError::FieldNotEditable {
            field: "amount".into(),
            label: I18n::new("Amount", "金额")
        }
    );
    assert_eq!(e.zh(), "该步骤不能修改“金额”。");
    assert_eq!(editable_fields(&req, "bob"), ["budget_code"]);
    assert!(editable_fields(&req, "carol").is_empty());

    let mut edits = Map::new();
    edits.insert("budget_code".into(), json!("Y2"));
    let comment = Some(" fixed the code ".to_string());
    ok(&mut req, "bob", Action::Approve { comment, edits }, &dir, 2);
    assert_eq!(req.values, json!({"amount": "300", "budget_code": "Y2"}));
    assert_eq!(
        req.timeline[1].kind,
        EventKind::Edited {
            fields: vec![FieldChange {
                field: "budget_code".into(),
                before: json!("X1"),
                after: json!("Y2")
            }]
        }
    );
    assert_eq!(req.timeline[2].kind, EventKind::Approved { step: 0 });
    assert_eq!(req.timeline[2].comment.as_deref(), Some("fixed the code"));
    assert_eq!(req.status, Status::Approved);
}

#[test]
fn withdraw_ends_the_request_and_late_actions_say_so() {
    let dir = Dir::new();
    let mut t = two_steps(Mode::All, Mode::All);
    t.flow.steps[0].timeout = Some(Timeout {
        remind_after_hours: 24,
        repeat_every_hours: None,
        max_reminders: 1,
        then: None,
    });
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    assert_eq!(
        refused(&mut req, "bob", Action::Withdraw, &dir, 1),
        ActError::NotAllowed {
            why: Denied::NotSubmitter
        }
    );
    let fx = ok(&mut req, "alice", Action::Withdraw, &dir, 1);
    assert_eq!(req.status, Status::Withdrawn);
    assert_eq!(state(&req, 0, "bob"), TaskState::Cancelled);
    assert_eq!(state(&req, 1, "dave"), TaskState::Cancelled);
    assert_eq!(
        fx,
        [
            Effect::CancelTimer {
                key: "r1:0:remind".into()
            },
            Effect::Completed {
                status: Status::Withdrawn
            },
            Effect::UpdateCards
        ]
    );
    assert_eq!(
        kinds(&req)[1..],
        [
            &EventKind::Withdrawn,
            &EventKind::Completed {
                status: Status::Withdrawn
            }
        ]
    );

    let e = refused(&mut req, "bob", approve(), &dir, 2);
    assert_eq!(
        e,
        ActError::AlreadyDecided {
            status: Status::Withdrawn,
            by: Some(p("alice"))
        }
    );
    assert_eq!(e.en(), "This request was already withdrawn by Alice.");
    assert_eq!(e.zh(), "该申请已被Alice撤回。");
    assert_eq!(
        refused(&mut req, "alice", Action::Withdraw, &dir, 3),
        ActError::AlreadyDecided {
            status: Status::Withdrawn,
            by: Some(p("alice"))
        }
    );

    t.settings.allow_withdraw = false;
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    let e = refused(&mut req, "alice", Action::Withdraw, &dir, 1);
    assert_eq!(
        e,
        ActError::NotAllowed {
            why: Denied::WithdrawDisabled
        }
    );
}

#[test]
fn a_transferred_task_belongs_to_the_new_approver() {
    let dir = Dir::new();
    let (mut req, _) = start(
        &two_steps(Mode::Sequential, Mode::All),
        "alice",
        json!({}),
        &dir,
    );
    let to = |id: &str| Action::Transfer {
        to: p(id),
        comment: Some("on holiday".into()),
    };

    assert_eq!(
        refused(&mut req, "bob", to("bob"), &dir, 1),
        ActError::InvalidTarget {
            why: BadTarget::Yourself
        }
    );
    assert_eq!(
        refused(&mut req, "bob", to("alice"), &dir, 1),
        ActError::InvalidTarget {
            why: BadTarget::Submitter
        }
    );
    assert_eq!(
        refused(&mut req, "bob", to("carol"), &dir, 1),
        ActError::InvalidTarget {
            why: BadTarget::AlreadyApprover { person: p("carol") }
        }
    );
    let e = refused(&mut req, "bob", to("ghost"), &dir, 1);
    assert_eq!(e.en(), "No such person: ghost.");
    assert_eq!(
        refused(&mut req, "carol", to("sam"), &dir, 1),
        ActError::NotYourTurn
    );

    let fx = ok(&mut req, "bob", to("sam"), &dir, 1);
    assert_eq!(
        state(&req, 0, "bob"),
        TaskState::Transferred { to: p("sam") }
    );
    assert_eq!(state(&req, 0, "sam"), TaskState::Pending);
    assert_eq!(state(&req, 0, "carol"), TaskState::Waiting);
    assert_eq!(
        req.steps[0].tasks[1].reasons,
        [Why::Transferred { from: p("bob") }]
    );
    assert_eq!(notified(&fx), ["sam"]);
    assert_eq!(
        req.timeline[1].kind,
        EventKind::Transferred {
            step: 0,
            to: p("sam")
        }
    );

    let e = refused(&mut req, "bob", approve(), &dir, 2);
    assert_eq!(e.en(), "You transferred this to Sam.");
    ok(&mut req, "sam", approve(), &dir, 2);
    assert_eq!(state(&req, 0, "carol"), TaskState::Pending);
}

#[test]
fn add_sign_before_parks_the_step_until_the_added_people_approve() {
    let dir = Dir::new();
    let (mut req, _) = start(&two_steps(Mode::All, Mode::All), "alice", json!({}), &dir);
    let add = Action::AddSign {
        people: vec![p("sam"), p("sara")],
        before: true,
        mode: Mode::Any,
        comment: Some("sales should see this".into()),
    };
    let fx = ok(&mut req, "bob", add, &dir, 1);
    assert_eq!(req.steps.len(), 3);
    assert_eq!(req.current, 0);
    assert_eq!(req.steps[0].added_by, Some(p("bob")));
    assert_eq!(req.steps[0].mode, Mode::Any);
    assert_eq!(req.steps[0].name, I18n::new("Added by Bob", "Bob加签"));
    assert_eq!(
        req.steps[0].tasks[0].reasons,
        [Why::AddSign { by: p("bob") }]
    );
    assert_eq!(notified(&fx), ["sam", "sara"]);
    assert_eq!(state(&req, 1, "bob"), TaskState::Waiting);
    assert_eq!(state(&req, 1, "carol"), TaskState::Waiting);
    assert_eq!(
        refused(&mut req, "bob", approve(), &dir, 2),
        ActError::NotYourTurn
    );

    let fx = ok(&mut req, "sara", approve(), &dir, 3);
    assert_eq!(state(&req, 0, "sam"), TaskState::Cancelled);
    assert_eq!(req.current, 1);
    assert_eq!(notified(&fx), ["bob", "carol"]);
    ok(&mut req, "bob", approve(), &dir, 4);
    ok(&mut req, "carol", approve(), &dir, 4);
    assert_eq!(req.current, 2);
    assert_eq!(
        req.timeline[1].kind,
        EventKind::AddSigned {
            step: 0,
            people: vec![p("sam"), p("sara")],
            before: true
        }
    );
}

#[test]
fn add_sign_after_inserts_a_step_once_the_current_one_passes() {
    let dir = Dir::new();
    let t = template(vec![step("only", vec![people(&["bob"])], Mode::Sequential)]);
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    let add = |who: &[&str]| Action::AddSign {
        people: who.iter().map(|i| p(i)).collect(),
        before: false,
        mode: Mode::All,
        comment: None,
    };
    assert_eq!(
        refused(&mut req, "bob", add(&[]), &dir, 1),
        ActError::InvalidTarget {
            why: BadTarget::NoOne
        }
    );
    assert_eq!(
        refused(&mut req, "bob", add(&["dave", "alice"]), &dir, 1),
        ActError::InvalidTarget {
            why: BadTarget::Submitter
        }
    );
    let fx = ok(&mut req, "bob", add(&["dave", "erin", "dave"]), &dir, 1);
    assert_eq!(notified(&fx), Vec::<&str>::new());
    assert_eq!(state(&req, 0, "bob"), TaskState::Pending);
    assert_eq!(req.steps.len(), 2);
    assert_eq!(req.steps[1].tasks.len(), 2);

    let fx = ok(&mut req, "bob", approve(), &dir, 2);
    assert_eq!(req.status, Status::Pending);
    assert_eq!(notified(&fx), ["dave", "erin"]);
    ok(&mut req, "dave", approve(), &dir, 3);
    ok(&mut req, "erin", approve(), &dir, 3);
    assert_eq!(req.status, Status::Approved);
}

#[test]
fn return_to_an_earlier_step_runs_it_again() {
    let dir = Dir::new();
    let t = template(vec![
        step("a", vec![people(&["bob"])], Mode::Sequential),
        step("b", vec![people(&["carol"])], Mode::Sequential),
    ]);
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    ok(&mut req, "bob", approve(), &dir, 1);
    let back = |to, comment: &str| Action::Return {
        to_step: to,
        comment: comment.into(),
    };
    assert_eq!(
        refused(&mut req, "carol", back(Some(0), ""), &dir, 2),
        ActError::CommentRequired
    );
    let e = refused(&mut req, "carol", back(Some(1), "again"), &dir, 2);
    assert_eq!(
        e,
        ActError::InvalidTarget {
            why: BadTarget::NotEarlierStep { step: 1 }
        }
    );
    assert_eq!(e.en(), "Step 2 is not an earlier step.");

    let fx = ok(
        &mut req,
        "carol",
        back(Some(0), "check the receipt"),
        &dir,
        2,
    );
    assert_eq!(req.current, 0);
    assert_eq!(req.status, Status::Pending);
    assert_eq!(state(&req, 0, "bob"), TaskState::Pending);
    assert_eq!(state(&req, 1, "carol"), TaskState::Waiting);
    assert_eq!(notified(&fx), ["bob"]);
    let returned = &req.timeline[2];
    assert_eq!(
        returned.kind,
        EventKind::Returned {
            step: 1,
            to_step: Some(0)
        }
    );
    assert_eq!(returned.actor, Some(p("carol")));
    assert_eq!(returned.comment.as_deref(), Some("check the receipt"));
    // The earlier approval stays in the timeline.
    assert_eq!(req.timeline[1].kind, EventKind::Approved { step: 0 });

    ok(&mut req, "bob", approve(), &dir, 3);
    ok(&mut req, "carol", approve(), &dir, 4);
    assert_eq!(req.status, Status::Approved);
}

#[test]
fn return_to_the_submitter_then_resubmit_plans_the_route_again() {
    let dir = Dir::new();
    let mut finance = step(
        "finance",
        vec![ApproverRule::Role {
            name: "finance_director".into(),
        }],
        Mode::Sequential,
    );
    finance.when = Some(Condition::compare("amount", Op::Gt, json!("5000")));
    let t = template(vec![
        step(
            "manager",
            vec![ApproverRule::Manager { level: 1 }],
            Mode::Sequential,
        ),
        finance,
    ]);
    let (mut req, _) = start(&t, "alice", json!({"amount": "100"}), &dir);
    assert_eq!(req.steps.len(), 1);

    let back = Action::Return {
        to_step: None,
        comment: "attach the invoice".into(),
    };
    let fx = ok(&mut req, "wes", back, &dir, 1);
    assert_eq!(req.status, Status::Returned);
    assert_eq!(state(&req, 0, "wes"), TaskState::Returned);
    assert_eq!(fx, [Effect::UpdateCards]);
    let e = refused(&mut req, "wes", approve(), &dir, 2);
    assert_eq!(
        e.en(),
        "This request was already returned to the submitter by Wes."
    );
    assert_eq!(e.zh(), "该申请已被Wes退回给提交人。");
    assert_eq!(
        refused(&mut req, "alice", Action::Urge, &dir, 2),
        ActError::NotAllowed {
            why: Denied::NotPending
        }
    );

    let again = |v| Action::Resubmit { values: v };
    assert_eq!(
        refused(&mut req, "wes", again(json!({})), &dir, 3),
        ActError::NotAllowed {
            why: Denied::NotSubmitter
        }
    );
    let fx = ok(&mut req, "alice", again(json!({"amount": "9000"})), &dir, 3);
    assert_eq!(req.status, Status::Pending);
    assert_eq!(req.steps.len(), 2);
    assert_eq!(state(&req, 0, "wes"), TaskState::Pending);
    assert_eq!(state(&req, 1, "fay"), TaskState::Waiting);
    assert_eq!(notified(&fx), ["wes"]);
    let n = req.timeline.len();
    assert_eq!(
        req.timeline[n - 2].kind,
        EventKind::Edited {
            fields: vec![FieldChange {
                field: "amount".into(),
                before: json!("100"),
                after: json!("9000")
            }]
        }
    );
    assert_eq!(req.timeline[n - 1].kind, EventKind::Resubmitted);
    assert_eq!(
        refused(&mut req, "alice", again(json!({})), &dir, 4),
        ActError::NotAllowed {
            why: Denied::NotReturned
        }
    );
}

#[test]
fn revoke_inside_and_outside_the_window() {
    let dir = Dir::new();
    let mut t = template(vec![step("s", vec![people(&["bob"])], Mode::Sequential)]);
    t.settings.revoke_window_hours = 48;
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    let revoke = || Action::Revoke {
        comment: Some("trip cancelled".into()),
    };
    assert_eq!(
        refused(&mut req, "alice", revoke(), &dir, 1),
        ActError::NotAllowed {
            why: Denied::NotApproved
        }
    );
    ok(&mut req, "bob", approve(), &dir, 10);
    assert_eq!(req.decided_ms, Some(T0 + 10 * 60_000));

    let mut late = req.clone();
    let after_window = 10 + 48 * 60 + 1;
    let e = refused(&mut late, "alice", revoke(), &dir, after_window);
    assert_eq!(e, ActError::RevokeWindowClosed { hours: 48 });
    assert_eq!(
        e.en(),
        "The time to revoke has passed (2 days after approval)."
    );
    assert_eq!(
        refused(&mut req, "bob", revoke(), &dir, 20),
        ActError::NotAllowed {
            why: Denied::NotSubmitter
        }
    );

    let fx = ok(&mut req, "alice", revoke(), &dir, 10 + 48 * 60);
    assert_eq!(req.status, Status::Revoked);
    assert_eq!(
        fx,
        [
            Effect::Completed {
                status: Status::Revoked
            },
            Effect::UpdateCards
        ]
    );
    let n = req.timeline.len();
    assert_eq!(req.timeline[n - 2].kind, EventKind::Revoked);
    assert_eq!(
        req.timeline[n - 2].comment.as_deref(),
        Some("trip cancelled")
    );
    assert_eq!(
        req.timeline[n - 1].kind,
        EventKind::Completed {
            status: Status::Revoked
        }
    );
    let e = refused(&mut req, "alice", revoke(), &dir, 10 + 48 * 60);
    assert_eq!(e.en(), "This request was already revoked by Alice.");

    t.settings.revoke_window_hours = 0;
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    ok(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(
        refused(&mut req, "alice", revoke(), &dir, 2),
        ActError::NotAllowed {
            why: Denied::RevokeDisabled
        }
    );
}

#[test]
fn urging_is_rate_limited() {
    let dir = Dir::new();
    let (mut req, _) = start(&two_steps(Mode::All, Mode::All), "alice", json!({}), &dir);
    let fx = ok(&mut req, "alice", Action::Urge, &dir, 5);
    assert_eq!(
        fx,
        [
            Effect::Remind {
                people: vec![p("bob"), p("carol")]
            },
            Effect::UpdateCards
        ]
    );
    assert_eq!(req.last_urged_ms, Some(T0 + 5 * 60_000));
    assert_eq!(req.timeline[1].kind, EventKind::Urged);

    let e = refused(&mut req, "alice", Action::Urge, &dir, 15);
    assert_eq!(e, ActError::UrgeTooSoon { wait_minutes: 50 });
    assert_eq!(e.en(), "You urged recently; try again in 50 minutes.");
    assert_eq!(e.zh(), "刚刚催办过，请 50 分钟后再试。");
    assert_eq!(
        refused(&mut req, "bob", Action::Urge, &dir, 120),
        ActError::NotAllowed {
            why: Denied::NotSubmitter
        }
    );
    ok(&mut req, "bob", approve(), &dir, 64);
    let fx = ok(&mut req, "alice", Action::Urge, &dir, 65);
    assert_eq!(
        fx[0],
        Effect::Remind {
            people: vec![p("carol")]
        }
    );
}

#[test]
fn participants_comment_at_any_time() {
    let dir = Dir::new();
    let mut t = template(vec![step("s", vec![people(&["bob"])], Mode::Sequential)]);
    t.flow.cc_on_submit = vec![Audience::People {
        ids: vec!["hank".into()],
    }];
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    let say = |text: &str, files: &[&str]| Action::Comment {
        text: text.into(),
        attachments: files.iter().map(|f| f.to_string()).collect(),
    };
    ok(&mut req, "hank", say(" noted ", &[]), &dir, 1);
    assert_eq!(req.timeline[1].kind, EventKind::Commented);
    assert_eq!(req.timeline[1].comment.as_deref(), Some("noted"));
    assert_eq!(
        refused(&mut req, "sam", say("hi", &[]), &dir, 1),
        ActError::NotAllowed {
            why: Denied::NotParticipant
        }
    );
    assert_eq!(
        refused(&mut req, "bob", say("  ", &[]), &dir, 1),
        ActError::CommentRequired
    );
    ok(&mut req, "bob", approve(), &dir, 2);
    ok(&mut req, "alice", say("", &["file-1"]), &dir, 3);
    let last = req.timeline.last().unwrap();
    assert_eq!(
        (last.comment.as_deref(), last.attachments.as_slice()),
        (None, ["file-1".to_string()].as_slice())
    );
    assert_eq!(req.status, Status::Approved);
}

#[test]
fn self_approval_auto_pass_can_approve_the_whole_request_at_once() {
    let dir = Dir::new();
    let t = template(vec![step("s", vec![people(&["alice", "bob"])], Mode::Any)]);
    let (req, fx) = start(&t, "alice", json!({}), &dir);
    assert_eq!(req.status, Status::Approved);
    assert_eq!(
        state(&req, 0, "alice"),
        TaskState::AutoPassed {
            why: Why::SelfApproval
        }
    );
    assert_eq!(state(&req, 0, "bob"), TaskState::Cancelled);
    assert_eq!(
        kinds(&req),
        [
            &EventKind::Submitted,
            &EventKind::AutoPassed {
                step: 0,
                approver: p("alice"),
                why: Why::SelfApproval
            },
            &EventKind::Completed {
                status: Status::Approved
            },
        ]
    );
    assert_eq!(
        fx,
        [
            Effect::Completed {
                status: Status::Approved
            },
            Effect::UpdateCards
        ]
    );
}

#[test]
fn self_approval_skip_and_manager() {
    let dir = Dir::new();
    let mut t = template(vec![
        step("s", vec![people(&["alice", "bob"])], Mode::Any),
        step("solo", vec![people(&["alice"])], Mode::Sequential),
    ]);
    t.settings.self_approval = SelfApproval::Skip;
    let (mut req, fx) = start(&t, "alice", json!({}), &dir);
    assert_eq!(req.current, 0);
    assert_eq!(notified(&fx), ["bob"]);
    assert_eq!(
        req.timeline[1].kind,
        EventKind::Skipped {
            step: 0,
            approver: p("alice"),
            why: Why::SelfApproval
        }
    );
    // Bob decides; the step with only Alice in it is skipped.
    ok(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(req.status, Status::Approved);
    assert_eq!(
        state(&req, 1, "alice"),
        TaskState::Skipped {
            why: Why::SelfApproval
        }
    );

    t.settings.self_approval = SelfApproval::Manager;
    let (mut req, fx) = start(&t, "alice", json!({}), &dir);
    assert_eq!(notified(&fx), ["bob", "wes"]);
    assert_eq!(
        req.steps[1].tasks[0].reasons,
        [
            Why::Manager {
                of: p("alice"),
                level: 1
            },
            Why::SelfApproval
        ]
    );
    ok(&mut req, "wes", approve(), &dir, 1);
    // Wes stands in for Alice in both steps; having approved the first, he passes the second.
    assert_eq!(
        state(&req, 1, "wes"),
        TaskState::AutoPassed {
            why: Why::AlreadyApproved
        }
    );
    assert_eq!(req.status, Status::Approved);
}

#[test]
fn dedupe_passes_an_approver_who_already_approved() {
    let dir = Dir::new();
    let t = template(vec![
        step("a", vec![people(&["bob"])], Mode::Sequential),
        step("b", vec![people(&["bob", "carol"])], Mode::All),
    ]);
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    let fx = ok(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(
        state(&req, 1, "bob"),
        TaskState::AutoPassed {
            why: Why::AlreadyApproved
        }
    );
    assert_eq!(notified(&fx), ["carol"]);
    assert_eq!(
        req.timeline[2].kind,
        EventKind::AutoPassed {
            step: 1,
            approver: p("bob"),
            why: Why::AlreadyApproved
        }
    );
    let e = refused(&mut req, "bob", approve(), &dir, 2);
    assert_eq!(
        e.en(),
        "This passed automatically (Already approved an earlier step)."
    );

    let mut off = t.clone();
    off.settings.dedupe = false;
    let (mut req, _) = start(&off, "alice", json!({}), &dir);
    ok(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(state(&req, 1, "bob"), TaskState::Pending);
}

#[test]
fn dedupe_follows_who_really_approved_not_the_preview() {
    let dir = Dir::new();
    let t = template(vec![
        step("a", vec![people(&["bob"])], Mode::Sequential),
        step("b", vec![people(&["bob"])], Mode::Sequential),
    ]);
    let (mut req, _) = start(&t, "alice", json!({}), &dir);
    // The preview expected Bob to pass step b by himself...
    assert_eq!(
        state(&req, 1, "bob"),
        TaskState::AutoPassed {
            why: Why::AlreadyApproved
        }
    );
    // ...but he hands step a over, so he did not approve it.
    ok(
        &mut req,
        "bob",
        Action::Transfer {
            to: p("dave"),
            comment: None,
        },
        &dir,
        1,
    );
    ok(&mut req, "dave", approve(), &dir, 2);
    assert_eq!(req.current, 1);
    assert_eq!(state(&req, 1, "bob"), TaskState::Pending);
}

#[test]
fn delegates_get_the_card_and_the_person_away_may_still_act() {
    let mut dir = Dir::new();
    dir.delegations
        .push(("bob", "dave", T0 - HOUR, T0 + 24 * HOUR));
    let t = template(vec![step("s", vec![people(&["bob"])], Mode::Sequential)]);
    let (mut req, fx) = start(&t, "alice", json!({}), &dir);
    assert_eq!(notified(&fx), ["dave"]);
    assert!(can_act(&req, "dave") && can_act(&req, "bob"));
    let mut other = req.clone();
    ok(&mut req, "dave", approve(), &dir, 1);
    assert_eq!(req.status, Status::Approved);
    assert_eq!(req.steps[0].tasks[0].on_behalf_of, Some(p("bob")));
    ok(&mut other, "bob", approve(), &dir, 1);
    assert_eq!(other.timeline[1].actor, Some(p("bob")));
    assert_eq!(other.status, Status::Approved);
}

fn timed(then: Option<TimeoutAction>) -> Template {
    let mut t = two_steps(Mode::All, Mode::All);
    t.flow.steps[0].timeout = Some(Timeout {
        remind_after_hours: 24,
        repeat_every_hours: Some(12),
        max_reminders: 3,
        then: then.map(|action| TimeoutThen {
            after_hours: 72,
            action,
        }),
    });
    t
}

#[test]
fn reminders_follow_the_ladder_and_stop() {
    let dir = Dir::new();
    let (mut req, fx) = start(&timed(None), "alice", json!({}), &dir);
    let payload = TimerPayload {
        request_id: "r1".into(),
        step: 0,
        kind: TimerKind::Remind,
    };
    assert_eq!(
        fx[1],
        Effect::SetTimer {
            key: "r1:0:remind".into(),
            due_ms: T0 + 24 * HOUR,
            payload: payload.clone()
        }
    );
    assert_eq!(payload.action(), Action::Remind { step: 0 });

    // Too early, or for another step: nothing happens.
    let before = req.clone();
    assert_eq!(
        act(
            &mut req,
            &p("bob"),
            Action::Remind { step: 0 },
            &dir,
            T0 + HOUR
        ),
        Ok(vec![])
    );
    assert_eq!(
        act(
            &mut req,
            &p("bob"),
            Action::Remind { step: 1 },
            &dir,
            T0 + 30 * HOUR
        ),
        Ok(vec![])
    );
    assert_eq!(req, before);

    let fx = act(
        &mut req,
        &p("bob"),
        Action::Remind { step: 0 },
        &dir,
        T0 + 24 * HOUR,
    )
    .unwrap();
    assert_eq!(
        fx[0],
        Effect::Remind {
            people: vec![p("bob"), p("carol")]
        }
    );
    assert!(matches!(&fx[1], Effect::SetTimer { due_ms, .. } if *due_ms == T0 + 36 * HOUR));
    assert_eq!(req.steps[0].reminders_sent, 1);
    let reminded = req.timeline.last().unwrap();
    assert_eq!(reminded.actor, None);
    assert_eq!(
        reminded.kind,
        EventKind::Reminded {
            step: 0,
            approvers: vec![p("bob"), p("carol")]
        }
    );
    // A repeated delivery of the same timer is ignored.
    assert_eq!(
        act(
            &mut req,
            &p("bob"),
            Action::Remind { step: 0 },
            &dir,
            T0 + 25 * HOUR
        ),
        Ok(vec![])
    );

    ok(&mut req, "bob", approve(), &dir, 30 * 60);
    let fx = act(
        &mut req,
        &p("x"),
        Action::Remind { step: 0 },
        &dir,
        T0 + 36 * HOUR,
    )
    .unwrap();
    assert_eq!(
        fx[0],
        Effect::Remind {
            people: vec![p("carol")]
        }
    );
    let fx = act(
        &mut req,
        &p("x"),
        Action::Remind { step: 0 },
        &dir,
        T0 + 48 * HOUR,
    )
    .unwrap();
    // The third reminder is the last: no timer after it.
    assert!(!fx.iter().any(|e| matches!(e, Effect::SetTimer { .. })));
    assert_eq!(
        act(
            &mut req,
            &p("x"),
            Action::Remind { step: 0 },
            &dir,
            T0 + 60 * HOUR
        ),
        Ok(vec![])
    );

    let fx = ok(&mut req, "carol", approve(), &dir, 61 * 60);
    assert_eq!(
        fx[0],
        Effect::CancelTimer {
            key: "r1:0:remind".into()
        }
    );
    assert_eq!(
        act(
            &mut req,
            &p("x"),
            Action::Remind { step: 0 },
            &dir,
            T0 + 62 * HOUR
        ),
        Ok(vec![])
    );
}

#[test]
fn a_timeout_can_escalate() {
    let dir = Dir::new();
    let to = ApproverRule::Role {
        name: "finance_director".into(),
    };
    let (mut req, fx) = start(
        &timed(Some(TimeoutAction::Escalate { to: to.clone() })),
        "alice",
        json!({}),
        &dir,
    );
    assert!(fx.contains(&Effect::SetTimer {
        key: "r1:0:timeout".into(),
        due_ms: T0 + 72 * HOUR,
        payload: TimerPayload {
            request_id: "r1".into(),
            step: 0,
            kind: TimerKind::TimeOut
        },
    }));
    assert_eq!(
        act(
            &mut req,
            &p("x"),
            Action::TimeOut { step: 0 },
            &dir,
            T0 + 71 * HOUR
        ),
        Ok(vec![])
    );

    let fx = act(
        &mut req,
        &p("x"),
        Action::TimeOut { step: 0 },
        &dir,
        T0 + 72 * HOUR,
    )
    .unwrap();
    assert_eq!(notified(&fx), ["fay"]);
    assert_eq!(state(&req, 0, "fay"), TaskState::Pending);
    assert_eq!(req.steps[0].tasks[2].reasons[0], Why::Escalated);
    let n = req.timeline.len();
    assert_eq!(
        req.timeline[n - 2].kind,
        EventKind::TimedOut {
            step: 0,
            action: TimeoutAction::Escalate { to }
        }
    );
    assert_eq!(
        req.timeline[n - 1].kind,
        EventKind::Escalated {
            step: 0,
            to: vec![p("fay")]
        }
    );
    // Delivered twice: no second escalation.
    let before = req.clone();
    assert_eq!(
        act(
            &mut req,
            &p("x"),
            Action::TimeOut { step: 0 },
            &dir,
            T0 + 73 * HOUR
        ),
        Ok(vec![])
    );
    assert_eq!(req, before);

    // The escalated approver decides the countersign step alone.
    ok(&mut req, "fay", approve(), &dir, 73 * 60);
    assert_eq!(req.current, 1);
    assert_eq!(state(&req, 0, "bob"), TaskState::Cancelled);
}

#[test]
fn a_timeout_can_approve_or_reject() {
    let dir = Dir::new();
    let (mut req, _) = start(
        &timed(Some(TimeoutAction::Approve)),
        "alice",
        json!({}),
        &dir,
    );
    ok(&mut req, "bob", approve(), &dir, 60);
    let fx = act(
        &mut req,
        &p("x"),
        Action::TimeOut { step: 0 },
        &dir,
        T0 + 72 * HOUR,
    )
    .unwrap();
    assert_eq!(state(&req, 0, "bob"), TaskState::Approved);
    assert_eq!(
        state(&req, 0, "carol"),
        TaskState::AutoPassed { why: Why::TimedOut }
    );
    assert_eq!(req.current, 1);
    assert_eq!(
        fx[..3],
        [
            Effect::CancelTimer {
                key: "r1:0:remind".into()
            },
            Effect::CancelTimer {
                key: "r1:0:timeout".into()
            },
            Effect::NotifyApprovers {
                people: vec![p("dave"), p("erin")]
            },
        ]
    );
    // The step has moved on: a late copy of the timer does nothing.
    assert_eq!(
        act(
            &mut req,
            &p("x"),
            Action::TimeOut { step: 0 },
            &dir,
            T0 + 80 * HOUR
        ),
        Ok(vec![])
    );

    let (mut req, _) = start(
        &timed(Some(TimeoutAction::Reject)),
        "alice",
        json!({}),
        &dir,
    );
    let fx = act(
        &mut req,
        &p("x"),
        Action::TimeOut { step: 0 },
        &dir,
        T0 + 72 * HOUR,
    )
    .unwrap();
    assert_eq!(req.status, Status::Rejected);
    assert!(fx.contains(&Effect::Completed {
        status: Status::Rejected
    }));
    let e = refused(&mut req, "bob", approve(), &dir, 73 * 60);
    assert_eq!(
        e,
        ActError::AlreadyDecided {
            status: Status::Rejected,
            by: None
        }
    );
    assert_eq!(e.zh(), "该申请已被拒绝。");
}

#[test]
fn cc_on_submit_on_step_and_on_completion() {
    let dir = Dir::new();
    let mut t = two_steps(Mode::Any, Mode::Any);
    t.flow.cc_on_submit = vec![
        Audience::Group {
            id: "g-finance".into(),
        },
        Audience::Manager { level: 1 },
    ];
    t.flow.steps[0].cc = vec![Audience::Role { name: "hr".into() }];
    t.flow.cc_on_complete = vec![Audience::People {
        ids: vec!["fiona".into(), "alice".into()],
    }];
    let (mut req, fx) = start(&t, "alice", json!({}), &dir);
    assert_eq!(
        fx[0],
        Effect::NotifyCc {
            people: vec![p("wes")],
            groups: vec!["g-finance".into()]
        }
    );
    let fx = ok(&mut req, "bob", approve(), &dir, 1);
    assert_eq!(
        fx[0],
        Effect::NotifyCc {
            people: vec![p("hank"), p("carol")],
            groups: vec![]
        }
    );
    let fx = ok(&mut req, "dave", approve(), &dir, 2);
    assert_eq!(
        fx,
        [
            Effect::Completed {
                status: Status::Approved
            },
            Effect::NotifyCc {
                people: vec![p("fiona")],
                groups: vec![]
            },
            Effect::UpdateCards
        ]
    );
    assert_eq!(ids(&req.cc), ["wes", "hank", "carol", "fiona"]);
    assert_eq!(req.cc_groups, ["g-finance"]);
}

#[test]
fn a_rejected_request_does_not_copy_on_completion_but_tells_its_origin() {
    let dir = Dir::new();
    let mut t = two_steps(Mode::Any, Mode::Any);
    t.flow.cc_on_complete = vec![Audience::People {
        ids: vec!["fiona".into()],
    }];
    let (mut req, _) = submit(
        NewRequest {
            template: &t,
            submitter: p("alice"),
            department: Some("web".into()),
            values: json!({}),
            origin: Some(Origin {
                plugin: "leave".into(),
                reference: "L-7".into(),
            }),
            resubmitted_from: Some("r0".into()),
            id: "r1".into(),
            serial: "2024-0002".into(),
        },
        &dir,
        T0,
    )
    .unwrap();
    assert_eq!(req.resubmitted_from.as_deref(), Some("r0"));
    let fx = ok(&mut req, "bob", reject("no"), &dir, 1);
    assert_eq!(
        fx,
        [
            Effect::Completed {
                status: Status::Rejected
            },
            Effect::UpdateCards
        ]
    );
    assert!(req.cc.is_empty());
}

#[test]
fn a_route_error_refuses_the_submission() {
    let dir = Dir::new();
    let t = template(vec![step(
        "head",
        vec![ApproverRule::DepartmentHead { level: 1 }],
        Mode::Sequential,
    )]);
    let e = submit(
        NewRequest {
            template: &t,
            submitter: p("zed"),
            department: None,
            values: json!({}),
            origin: None,
            resubmitted_from: None,
            id: "r1".into(),
            serial: "1".into(),
        },
        &dir,
        T0,
    )
    .unwrap_err();
    assert!(e.zh().contains("提交人没有所属部门"), "{e}");
}

#[test]
fn hidden_fields_stay_hidden_from_the_approvers_of_that_step() {
    let dir = Dir::new();
    let mut t = two_steps(Mode::Any, Mode::Any);
    t.flow.steps[0]
        .fields
        .insert("salary".into(), FieldAccess::Hidden);
    t.flow.cc_on_submit = vec![Audience::People {
        ids: vec!["hank".into()],
    }];
    let values = json!({"amount": "10", "salary": "30000"});
    let (req, _) = start(&t, "alice", values.clone(), &dir);
    assert_eq!(visible_values(&req, "alice"), values);
    assert_eq!(visible_values(&req, "bob"), json!({"amount": "10"}));
    assert_eq!(visible_values(&req, "dave"), values);
    assert_eq!(visible_values(&req, "hank"), json!({"amount": "10"}));
}

#[test]
fn requests_actions_and_effects_round_trip_as_json() {
    let dir = Dir::new();
    let (mut req, _) = start(
        &timed(Some(TimeoutAction::Approve)),
        "alice",
        json!({"amount": "5"}),
        &dir,
    );
    ok(
        &mut req,
        "bob",
        Action::Transfer {
            to: p("sam"),
            comment: None,
        },
        &dir,
        1,
    );
    let text = serde_json::to_string(&req).unwrap();
    assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);

    let action: Action =
        serde_json::from_value(json!({"kind": "return", "comment": "why?"})).unwrap();
    assert_eq!(
        action,
        Action::Return {
            to_step: None,
            comment: "why?".into()
        }
    );
    let action: Action = serde_json::from_value(json!({"kind": "approve"})).unwrap();
    assert_eq!(action, approve());
    assert!(Action::TimeOut { step: 0 }.is_system() && !Action::Urge.is_system());
    assert_eq!(
        serde_json::to_value(Effect::CancelTimer { key: "k".into() }).unwrap(),
        json!({"kind": "cancel_timer", "key": "k"})
    );
}

#[test]
fn return_into_a_countersign_step_asks_everyone_again() {
    let dir = Dir::new();
    let (mut req, _) = start(&two_steps(Mode::All, Mode::Any), "alice", json!({}), &dir);
    ok(&mut req, "bob", approve(), &dir, 1);
    ok(&mut req, "carol", approve(), &dir, 2);
    let back = Action::Return {
        to_step: Some(0),
        comment: "the totals do not add up".into(),
    };
    let fx = ok(&mut req, "erin", back, &dir, 3);
    assert_eq!(notified(&fx), ["bob", "carol"]);
    assert_eq!(state(&req, 0, "bob"), TaskState::Pending);
    assert_eq!(state(&req, 0, "carol"), TaskState::Pending);
    assert_eq!(state(&req, 1, "dave"), TaskState::Waiting);
    assert_eq!(state(&req, 1, "erin"), TaskState::Waiting);
    assert!(req.steps[0].tasks.iter().all(|t| t.acted_ms.is_none()));
    ok(&mut req, "carol", approve(), &dir, 4);
    assert_eq!(req.current, 0);
    ok(&mut req, "bob", approve(), &dir, 5);
    assert_eq!(req.current, 1);
    assert_eq!(processed_by(&req), [p("bob"), p("carol"), p("erin")]);
}

#[test]
fn every_refusal_reads_well_in_both_languages() {
    let errors = [
        ActError::AlreadyDecided {
            status: Status::Approved,
            by: None,
        },
        ActError::AlreadyDecided {
            status: Status::Revoked,
            by: Some(p("alice")),
        },
        ActError::TaskClosed {
            state: TaskState::Returned,
            by: None,
        },
        ActError::TaskClosed {
            state: TaskState::Cancelled,
            by: None,
        },
        ActError::TaskClosed {
            state: TaskState::Skipped {
                why: Why::SelfApproval,
            },
            by: None,
        },
        ActError::NotYourTurn,
        ActError::NotAllowed {
            why: Denied::NotParticipant,
        },
        ActError::NotAllowed {
            why: Denied::RevokeDisabled,
        },
        ActError::CommentRequired,
        ActError::RevokeWindowClosed { hours: 36 },
        ActError::UrgeTooSoon { wait_minutes: 5 },
        ActError::InvalidTarget {
            why: BadTarget::TooMany { max: MAX_ADD_SIGN },
        },
        ActError::InvalidTarget {
            why: BadTarget::AlreadyApprover { person: p("carol") },
        },
    ];
    let mut seen = Vec::new();
    for e in &errors {
        let (en, zh) = (e.en(), e.zh());
        assert!(en.is_ascii() && !en.is_empty(), "{en}");
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert_eq!(e.to_string(), en);
        assert_eq!(e.message("zh-CN"), zh);
        assert!(!seen.contains(&en), "two errors read the same: {en}");
        seen.push(en);
    }
    assert_eq!(errors[0].en(), "This request was already approved.");
    assert_eq!(errors[0].zh(), "该申请已通过。");
    assert_eq!(
        errors[9].en(),
        "The time to revoke has passed (36 hours after approval)."
    );
    assert_eq!(errors[9].zh(), "已超过撤销期限（通过后 36 小时内）。");
}
