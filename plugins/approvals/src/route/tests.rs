use serde_json::json;

use super::*;
use crate::condition::{Condition, Op};
use crate::model::{Mode, Timeout, TimeoutThen};
use crate::testkit::{Dir, T0, form, p, people, step, template};

fn plan_for(
    t: &Template,
    submitter: &str,
    department: Option<&str>,
    values: Value,
) -> Result<Vec<Step>, RouteError> {
    plan(t, &p(submitter), department, &values, &Dir::new(), T0)
}

fn approvers(step: &Step) -> Vec<&str> {
    step.tasks.iter().map(|t| t.approver.id.as_str()).collect()
}

#[test]
fn every_rule_kind_resolves_with_its_reason() {
    let t = template(vec![
        step(
            "fixed",
            vec![people(&["carol", "nobody"])],
            Mode::Sequential,
        ),
        step(
            "role",
            vec![ApproverRule::Role { name: "hr".into() }],
            Mode::All,
        ),
        step(
            "managers",
            vec![
                ApproverRule::Manager { level: 1 },
                ApproverRule::Manager { level: 2 },
            ],
            Mode::Sequential,
        ),
        step(
            "heads",
            vec![ApproverRule::DepartmentHead { level: 3 }],
            Mode::Any,
        ),
        step(
            "chosen",
            vec![
                ApproverRule::Chosen {
                    field: "approver".into(),
                },
                ApproverRule::Chosen {
                    field: "reviewers".into(),
                },
            ],
            Mode::All,
        ),
    ]);
    let mut t = t;
    t.settings.dedupe = false;
    let values = json!({"approver": "dave", "reviewers": ["sam", "ghost"]});
    let steps = plan_for(&t, "alice", Some("web"), values).unwrap();
    assert_eq!(steps.len(), 5);

    assert_eq!(approvers(&steps[0]), ["carol"]);
    assert_eq!(steps[0].tasks[0].reasons, [Why::Fixed]);
    assert_eq!(approvers(&steps[1]), ["hank", "carol"]);
    assert_eq!(steps[1].tasks[1].reasons, [Why::Role { name: "hr".into() }]);
    assert_eq!(steps[1].mode, Mode::All);

    assert_eq!(approvers(&steps[2]), ["wes", "erin"]);
    assert_eq!(
        steps[2].tasks[1].reasons,
        [Why::Manager {
            of: p("alice"),
            level: 2
        }]
    );
    assert_eq!(
        steps[2].tasks[1].reasons[0].describe("en"),
        "Level 2 manager of Alice"
    );
    assert_eq!(
        steps[2].tasks[0].reasons[0].describe("zh-CN"),
        "Alice的直属上级"
    );

    assert_eq!(approvers(&steps[3]), ["ceo"]);
    assert_eq!(
        steps[3].tasks[0].reasons,
        [Why::DepartmentHead {
            department: "Company".into(),
            level: 3
        }]
    );

    assert_eq!(approvers(&steps[4]), ["dave", "sam"]);
    let why = &steps[4].tasks[0].reasons[0];
    assert_eq!(why.describe("en"), "Chosen by the submitter in “Approver”");
    assert_eq!(why.describe("zh-CN"), "提交人在“审批人”中选择");

    for s in &steps {
        assert!(s.tasks.iter().all(|t| t.state == TaskState::Waiting));
        assert!(s.entered_ms.is_none() && s.added_by.is_none());
    }
}

#[test]
fn the_same_person_from_two_rules_is_one_task_with_both_reasons() {
    let t = template(vec![step(
        "s",
        vec![
            ApproverRule::Manager { level: 1 },
            people(&["bob", "wes"]),
            ApproverRule::DepartmentHead { level: 1 },
        ],
        Mode::All,
    )]);
    let steps = plan_for(&t, "alice", Some("web"), json!({})).unwrap();
    assert_eq!(approvers(&steps[0]), ["wes", "bob"]);
    assert_eq!(
        steps[0].tasks[0].reasons,
        [
            Why::Manager {
                of: p("alice"),
                level: 1
            },
            Why::Fixed,
            Why::DepartmentHead {
                department: "Web team".into(),
                level: 1
            },
        ]
    );
}

#[test]
fn a_manager_rule_skips_a_submitter_who_heads_their_department() {
    let t = template(vec![step(
        "s",
        vec![ApproverRule::Manager { level: 1 }],
        Mode::Sequential,
    )]);
    let steps = plan_for(&t, "wes", Some("web"), json!({})).unwrap();
    assert_eq!(approvers(&steps[0]), ["erin"]);
    let t2 = template(vec![step(
        "s",
        vec![ApproverRule::Manager { level: 2 }],
        Mode::Sequential,
    )]);
    assert_eq!(
        approvers(&plan_for(&t2, "wes", Some("web"), json!({})).unwrap()[0]),
        ["ceo"]
    );
}

fn finance_branch() -> Template {
    let mut finance = step(
        "finance",
        vec![ApproverRule::Role {
            name: "finance_director".into(),
        }],
        Mode::Sequential,
    );
    finance.when = Some(Condition::compare("amount", Op::Gt, json!("5000")));
    template(vec![
        step(
            "manager",
            vec![ApproverRule::Manager { level: 1 }],
            Mode::Sequential,
        ),
        finance,
    ])
}

#[test]
fn amount_over_5000_adds_the_finance_step_and_says_why() {
    let t = finance_branch();
    let small = plan_for(&t, "alice", Some("web"), json!({"amount": "5000.00"})).unwrap();
    assert_eq!(small.len(), 1);
    let big = plan_for(&t, "alice", Some("web"), json!({"amount": "5000.01"})).unwrap();
    assert_eq!(big.len(), 2);
    assert_eq!(approvers(&big[1]), ["fay"]);
    let reasons = &big[1].tasks[0].reasons;
    assert_eq!(
        reasons[0],
        Why::Role {
            name: "finance_director".into()
        }
    );
    assert_eq!(
        reasons[1],
        Why::Condition {
            text: I18n::new("Amount > 5000", "金额 > 5000")
        }
    );
    assert_eq!(reasons[1].describe("en"), "Because Amount > 5000");
    assert_eq!(reasons[1].describe("zh-CN"), "条件：金额 > 5000");
    // No amount at all: the branch does not apply.
    assert_eq!(
        plan_for(&t, "alice", Some("web"), json!({})).unwrap().len(),
        1
    );
}

#[test]
fn a_department_condition_picks_the_branch_and_names_the_department() {
    let mut sales = step("sales", vec![people(&["sam"])], Mode::Sequential);
    sales.when = Some(Condition::DepartmentIn {
        ids: vec!["sales".into()],
    });
    let t = template(vec![
        step("hr", vec![people(&["hank"])], Mode::Sequential),
        sales,
    ]);
    let from_sales = plan_for(&t, "sara", Some("sales"), json!({})).unwrap();
    assert_eq!(from_sales.len(), 2);
    assert_eq!(
        from_sales[1].tasks[0].reasons[1].describe("en"),
        "Because department is Sales"
    );
    assert_eq!(
        plan_for(&t, "alice", Some("web"), json!({})).unwrap().len(),
        1
    );
    assert_eq!(plan_for(&t, "zed", None, json!({})).unwrap().len(), 1);
}

#[test]
fn a_step_nobody_can_approve_is_refused_with_the_cause() {
    let heads = template(vec![step(
        "head",
        vec![ApproverRule::DepartmentHead { level: 1 }],
        Mode::Sequential,
    )]);
    let e = plan_for(&heads, "zed", None, json!({})).unwrap_err();
    assert_eq!(
        e,
        RouteError::NoApprover {
            step: "head".into(),
            name: I18n::new("Step head", "步骤head"),
            missing: vec![Missing::NoDepartment],
        }
    );
    assert_eq!(
        e.en(),
        "No one can approve the step “Step head”: the submitter has no department. Please ask an administrator."
    );
    assert_eq!(
        e.zh(),
        "步骤“步骤head”找不到审批人：提交人没有所属部门。请联系管理员。"
    );

    let mixed = template(vec![step(
        "s",
        vec![
            ApproverRule::Manager { level: 1 },
            ApproverRule::Role {
                name: "empty".into(),
            },
            ApproverRule::Chosen {
                field: "approver".into(),
            },
            people(&["ghost"]),
        ],
        Mode::All,
    )]);
    let RouteError::NoApprover { missing, .. } =
        plan_for(&mixed, "zed", None, json!({})).unwrap_err();
    assert_eq!(
        missing,
        [
            Missing::Manager { level: 1 },
            Missing::Role {
                name: "empty".into()
            },
            Missing::Chosen {
                field_label: I18n::new("Approver", "审批人")
            },
            Missing::People,
        ]
    );
    // One rule finding someone is enough.
    let partly = plan_for(&mixed, "zed", None, json!({"approver": "dave"})).unwrap();
    assert_eq!(approvers(&partly[0]), ["dave"]);
}

#[test]
fn self_approval_policies() {
    let mut t = template(vec![step("s", vec![people(&["alice", "bob"])], Mode::Any)]);

    let steps = plan_for(&t, "alice", Some("web"), json!({})).unwrap();
    assert_eq!(
        steps[0].tasks[0].state,
        TaskState::AutoPassed {
            why: Why::SelfApproval
        }
    );
    assert_eq!(steps[0].tasks[1].state, TaskState::Waiting);

    t.settings.self_approval = SelfApproval::Skip;
    let steps = plan_for(&t, "alice", Some("web"), json!({})).unwrap();
    assert_eq!(
        steps[0].tasks[0].state,
        TaskState::Skipped {
            why: Why::SelfApproval
        }
    );

    t.settings.self_approval = SelfApproval::Manager;
    let steps = plan_for(&t, "alice", Some("web"), json!({})).unwrap();
    assert_eq!(approvers(&steps[0]), ["bob", "wes"]);
    assert_eq!(
        steps[0].tasks[1].reasons,
        [
            Why::Manager {
                of: p("alice"),
                level: 1
            },
            Why::SelfApproval
        ]
    );
    // Nobody above the submitter: the route cannot be planned.
    let top = template(vec![step("s", vec![people(&["ceo"])], Mode::Sequential)]);
    let mut top = top;
    top.settings.self_approval = SelfApproval::Manager;
    let e = plan_for(&top, "ceo", Some("co"), json!({})).unwrap_err();
    assert!(e.en().contains("the submitter has no manager"), "{e}");
}

#[test]
fn delegation_hands_tasks_over_while_it_lasts_but_never_to_the_submitter() {
    let mut dir = Dir::new();
    dir.delegations
        .push(("bob", "dave", T0 - HOUR_MS, T0 + HOUR_MS));
    dir.delegations
        .push(("carol", "alice", T0 - HOUR_MS, T0 + HOUR_MS));
    let t = template(vec![step("s", vec![people(&["bob", "carol"])], Mode::All)]);
    let steps = plan(&t, &p("alice"), Some("web"), &json!({}), &dir, T0).unwrap();
    let bob = &steps[0].tasks[0];
    assert_eq!(bob.approver, p("dave"));
    assert_eq!(bob.on_behalf_of, Some(p("bob")));
    assert_eq!(bob.reasons, [Why::Fixed, Why::Delegate { for_: p("bob") }]);
    assert_eq!(bob.reasons[1].describe("zh-CN"), "代Bob审批");
    assert_eq!(steps[0].tasks[1].approver, p("carol"));

    let later = plan(
        &t,
        &p("alice"),
        Some("web"),
        &json!({}),
        &dir,
        T0 + 2 * HOUR_MS,
    )
    .unwrap();
    assert_eq!(later[0].tasks[0].approver, p("bob"));
    assert!(later[0].tasks[0].on_behalf_of.is_none());
}

const HOUR_MS: i64 = 3_600_000;

#[test]
fn dedupe_is_predicted_after_sequential_and_countersign_steps_only() {
    let t = template(vec![
        step("a", vec![people(&["bob", "carol"])], Mode::All),
        step("b", vec![people(&["dave", "erin"])], Mode::Any),
        step("c", vec![people(&["bob", "dave", "fay"])], Mode::All),
    ]);
    let steps = plan_for(&t, "alice", Some("web"), json!({})).unwrap();
    let states: Vec<&TaskState> = steps[2].tasks.iter().map(|t| &t.state).collect();
    assert_eq!(
        states,
        [
            &TaskState::AutoPassed {
                why: Why::AlreadyApproved
            },
            &TaskState::Waiting,
            &TaskState::Waiting
        ]
    );
    let mut off = t.clone();
    off.settings.dedupe = false;
    let steps = plan_for(&off, "alice", Some("web"), json!({})).unwrap();
    assert!(steps[2].tasks.iter().all(|t| t.state == TaskState::Waiting));
}

#[test]
fn templates_are_checked_before_saving() {
    let good = finance_branch();
    assert_eq!(check_template(&good), Ok(()));

    let mut dup = good.clone();
    dup.flow.steps[1].id = "manager".into();
    assert_eq!(
        check_template(&dup).unwrap_err().en,
        "step 2 needs an id of its own"
    );

    let mut chosen = good.clone();
    chosen.flow.steps[0].approvers = vec![ApproverRule::Chosen {
        field: "amount".into(),
    }];
    assert!(
        check_template(&chosen)
            .unwrap_err()
            .en
            .contains("not a person field")
    );

    let mut cond = good.clone();
    cond.flow.steps[1].when = Some(Condition::compare("colour", Op::Eq, json!("red")));
    let e = check_template(&cond).unwrap_err();
    assert!(
        e.en.contains("“colour”") && e.zh.contains("“colour”"),
        "{e}"
    );

    let mut level = good.clone();
    level.flow.steps[0].approvers = vec![ApproverRule::Manager { level: 0 }];
    assert!(
        check_template(&level)
            .unwrap_err()
            .en
            .contains("levels go from 1")
    );

    let mut access = good.clone();
    access.flow.steps[0]
        .fields
        .insert("nope".into(), FieldAccess::Hidden);
    assert!(
        check_template(&access)
            .unwrap_err()
            .en
            .contains("no form field “nope”")
    );

    let mut timeout = good.clone();
    timeout.flow.steps[0].timeout = Some(Timeout {
        remind_after_hours: 4,
        repeat_every_hours: None,
        max_reminders: 1,
        then: Some(TimeoutThen {
            after_hours: 0,
            action: TimeoutAction::Approve,
        }),
    });
    assert!(
        check_template(&timeout)
            .unwrap_err()
            .en
            .contains("at least 1")
    );

    let mut empty = good;
    empty.flow.steps.clear();
    assert!(check_template(&empty).is_err());
    assert_eq!(form(), empty.form);
}
