use super::*;
use crate::domain::testkit::{member, person, task};

#[test]
fn new_tasks_are_validated_and_numbered_items() {
    let t = Task::new(
        7,
        "g",
        person("a"),
        Lang::Zh,
        5,
        NewTask {
            title: "  Send\n the   quote ".into(),
            assignees: vec![person("b"), person("c"), person("b")],
            checklist: vec![
                ("Draft".into(), true),
                ("  ".into(), false),
                ("Send".into(), false),
            ],
            ..NewTask::default()
        },
    )
    .unwrap();
    assert_eq!(t.title, "Send the quote");
    assert_eq!(t.tag(), "#7");
    assert_eq!(t.assignees.len(), 2, "no repeats");
    assert_eq!(
        t.checklist.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(t.progress(), (1, 2));
    assert_eq!(t.next_item, 3);
    assert_eq!(t.status, Status::Todo);
    assert_eq!(t.activity[0].what, Happened::Created);

    let new = |title: &str| NewTask {
        title: title.into(),
        ..NewTask::default()
    };
    let make = |n: NewTask| Task::new(1, "g", person("a"), Lang::En, 0, n);
    assert_eq!(make(new(" ")).unwrap_err(), Refusal::NoTitle);
    assert_eq!(
        make(new(&"x".repeat(201))).unwrap_err(),
        Refusal::TitleTooLong
    );
    assert!(
        make(new(&"任".repeat(200))).is_ok(),
        "characters, not bytes"
    );
    let mut many = new("t");
    many.assignees = (0..21).map(|i| person(&i.to_string())).collect();
    assert_eq!(make(many).unwrap_err(), Refusal::TooManyAssignees);
    let mut long = new("t");
    long.checklist = (0..51).map(|i| (i.to_string(), false)).collect();
    assert_eq!(make(long).unwrap_err(), Refusal::TooManyItems);
}

#[test]
fn who_may_do_what() {
    let mut t = task();
    t.assignees = vec![person("doer")];
    let creator = member("creator");
    let doer = member("doer");
    let other = member("other");
    let outsider = Actor {
        member: false,
        ..member("doer")
    };
    let manager = Actor {
        manager: true,
        ..member("boss")
    };
    let admin = Actor {
        member: false,
        admin: true,
        ..member("root")
    };
    let open = Actor {
        members_may_update: true,
        ..member("other")
    };
    for a in [&creator, &doer, &manager, &admin] {
        assert!(t.may(a, Right::Update), "{a:?}");
        assert!(t.may(a, Right::Edit), "{a:?}");
    }
    assert!(!t.may(&other, Right::Update));
    assert!(!t.may(&other, Right::Edit));
    assert!(t.may(&other, Right::Comment));
    assert!(
        t.may(&open, Right::Update),
        "the group may open updates to all"
    );
    assert!(!t.may(&open, Right::Edit), "but not edits");
    assert!(
        !t.may(&outsider, Right::View),
        "assignees who left the group see nothing"
    );
    assert!(t.may(&admin, Right::View));
    assert!(t.may(&creator, Right::Delete));
    assert!(!t.may(&doer, Right::Delete));
    assert!(t.may(&manager, Right::Delete));
}

#[test]
fn status_changes_are_idempotent_and_logged() {
    let mut t = task();
    let a = member("creator");
    let out = t
        .apply(&a, &Change::Status(Status::InProgress), 10)
        .unwrap();
    assert!(out.changed && !out.schedule && !out.completed);
    let out = t.apply(&a, &Change::Status(Status::Done), 20).unwrap();
    assert!(out.changed && out.schedule && out.completed);
    assert_eq!(t.completed_ms, Some(20));
    // Pressing "Done" again changes nothing.
    let again = t.apply(&a, &Change::Status(Status::Done), 30).unwrap();
    assert_eq!(again, Outcome::default());
    let out = t.apply(&a, &Change::Status(Status::Todo), 40).unwrap();
    assert!(out.schedule && !out.completed);
    assert_eq!(t.completed_ms, None);
    assert_eq!(
        t.activity.last().unwrap().what,
        Happened::Status {
            from: Status::Done,
            to: Status::Todo
        }
    );
    assert_eq!(
        t.apply(&member("stranger"), &Change::Status(Status::Done), 50),
        Err(Refusal::NotAllowed)
    );
}

#[test]
fn taking_an_unassigned_task() {
    let mut t = task();
    let out = t.apply(&member("m"), &Change::Take, 1).unwrap();
    assert_eq!(out.added, vec![person("m")]);
    assert!(t.is_assignee("m"));
    assert_eq!(
        t.apply(&member("m"), &Change::Take, 2).unwrap(),
        Outcome::default()
    );
    assert_eq!(
        t.apply(&member("n"), &Change::Take, 3),
        Err(Refusal::AlreadyAssigned)
    );
    let mut done = task();
    done.status = Status::Done;
    assert_eq!(
        done.apply(&member("m"), &Change::Take, 1),
        Err(Refusal::TaskDone)
    );
}

#[test]
fn edits_change_only_what_differs() {
    let mut t = task();
    let a = member("creator");
    let edit = Edit {
        title: Some("Send the quote".into()),
        due_ms: Some(Some(1000)),
        assignees: Some(vec![person("x"), person("y")]),
        ..Edit::default()
    };
    let out = t.apply(&a, &Change::Edit(edit.clone()), 5).unwrap();
    assert!(out.changed && out.schedule);
    assert_eq!(out.added, vec![person("x"), person("y")]);
    assert!(!t.activity.iter().any(|x| x.what == Happened::Renamed));
    // The same edit again: nothing.
    assert_eq!(
        t.apply(&a, &Change::Edit(edit), 6).unwrap(),
        Outcome::default()
    );
    let out = t
        .apply(
            &a,
            &Change::Edit(Edit {
                assignees: Some(vec![person("y"), person("z")]),
                due_ms: Some(None),
                priority: Some(Priority::P0),
                ..Edit::default()
            }),
            7,
        )
        .unwrap();
    assert_eq!(out.added, vec![person("z")]);
    assert!(out.schedule);
    assert_eq!(t.due_ms, None);
    assert!(t.activity.contains(&Activity {
        at_ms: 7,
        by: Some("CREATOR".into()),
        what: Happened::Unassigned {
            names: vec!["X".into()]
        }
    }));
    // A bad field refuses the whole edit.
    let bad = Edit {
        title: Some(String::new()),
        priority: Some(Priority::P3),
        ..Edit::default()
    };
    assert_eq!(t.apply(&a, &Change::Edit(bad), 8), Err(Refusal::NoTitle));
    assert_eq!(t.priority, Priority::P0);
}

#[test]
fn checklists() {
    let mut t = task();
    let a = member("creator");
    t.apply(
        &a,
        &Change::Checklist {
            set: vec![],
            add: vec!["one".into(), "two".into(), " ".into()],
            remove: vec![],
        },
        1,
    )
    .unwrap();
    assert_eq!(t.progress(), (0, 2));
    t.apply(
        &a,
        &Change::Check {
            item: 2,
            done: true,
        },
        2,
    )
    .unwrap();
    assert_eq!(t.progress(), (1, 2));
    assert_eq!(
        t.apply(
            &a,
            &Change::Check {
                item: 2,
                done: true
            },
            3
        )
        .unwrap(),
        Outcome::default()
    );
    assert_eq!(
        t.apply(
            &a,
            &Change::Check {
                item: 9,
                done: true
            },
            3
        ),
        Err(Refusal::NoSuchItem(9))
    );
    t.apply(
        &a,
        &Change::Checklist {
            set: vec![(1, true), (2, false)],
            add: vec!["three".into()],
            remove: vec![1],
        },
        4,
    )
    .unwrap();
    assert_eq!(
        t.checklist
            .iter()
            .map(|i| (i.id, i.done))
            .collect::<Vec<_>>(),
        vec![(2, false), (3, false)],
        "ids are never reused"
    );
    assert_eq!(
        t.activity.last().unwrap().what,
        Happened::Checklist { done: 0, total: 2 }
    );
}

#[test]
fn comments_keep_the_latest_three_and_count() {
    let mut t = task();
    let a = member("anyone");
    for i in 0..5 {
        let out = t.apply(&a, &Change::Comment(format!("c{i}")), i).unwrap();
        assert_eq!(out.comment.unwrap().text, format!("c{i}"));
    }
    assert_eq!(t.comments, 5);
    assert_eq!(
        t.recent_comments
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>(),
        vec!["c2", "c3", "c4"]
    );
    assert_eq!(
        t.apply(&a, &Change::Comment("  ".into()), 9),
        Err(Refusal::EmptyComment)
    );
    assert_eq!(
        t.apply(&a, &Change::Comment("x".repeat(2001)), 9),
        Err(Refusal::CommentTooLong)
    );
}

#[test]
fn activity_is_capped() {
    let mut t = task();
    let a = member("anyone");
    for i in 0..40 {
        t.apply(&a, &Change::Comment(i.to_string()), i).unwrap();
    }
    assert_eq!(t.activity.len(), MAX_ACTIVITY);
    assert_eq!(t.activity.last().unwrap().at_ms, 39);
}

#[test]
fn overdue_and_audience() {
    let mut t = task();
    assert!(!t.is_overdue(100));
    t.due_ms = Some(50);
    assert!(t.is_overdue(50));
    assert!(!t.is_overdue(49));
    assert_eq!(t.audience(), vec![person("creator")]);
    t.assignees = vec![person("a")];
    assert_eq!(t.audience(), vec![person("a")]);
    t.status = Status::Done;
    assert!(!t.is_overdue(100));
}

#[test]
fn stored_tasks_read_back() {
    let mut t = task();
    t.apply(&member("creator"), &Change::Status(Status::Blocked), 1)
        .unwrap();
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"status\":\"blocked\""), "{json}");
    assert!(json.contains("\"kind\":\"status\""), "{json}");
    let back: Task = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
    // Fields added later default.
    let minimal = r#"{"number":1,"group_id":"g","title":"t","status":"todo",
        "creator":{"id":"a","name":"A"},"created_ms":0}"#;
    let t: Task = serde_json::from_str(minimal).unwrap();
    assert_eq!(
        (t.priority, t.next_item, t.lang),
        (Priority::P2, 1, Lang::En)
    );
}
