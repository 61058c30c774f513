use serde_json::json;

use super::*;
use crate::domain::definition::{Definition, Kind, SerialFormat, Settings};
use crate::domain::lang::Lang;
use crate::domain::testkit::{
    CST, NOW, answer, definition, field, person, published, settings, submitted, values,
};
use crate::domain::time::{DAY_MS, Date, HOUR_MS, MINUTE_MS};

fn def() -> Definition {
    definition(vec![field("name", Kind::Text), field("qty", Kind::Number)])
}

fn created(outcome: Outcome) -> (Submission, bool) {
    match outcome {
        Outcome::Created { submission, roll } => (submission, roll),
        other => panic!("expected a new answer, got {other:?}"),
    }
}

#[test]
fn a_first_answer_gets_a_serial_and_records_its_version() {
    let (mut form, v1) = published(&def(), settings());
    let alice = person("alice", "Alice");
    let (s, roll) = created(
        submit(
            &mut form,
            answer(&alice, &v1, json!({"name": "甲", "qty": 2}), NOW),
            Prior::Nothing,
            "s1",
        )
        .unwrap(),
    );
    assert!(!roll);
    assert_eq!(s.serial.as_deref(), Some("F-20261130-0001"));
    assert_eq!(s.version, 1);
    assert_eq!(s.respondent, Some(alice.clone()));
    assert_eq!(s.status, SubmissionStatus::Submitted);
    assert_eq!(
        (s.submitted_at_ms, s.updated_at_ms, s.edits),
        (Some(NOW), NOW, 0)
    );
    assert_eq!(s.values["name"], json!("甲"));
    assert_eq!(form.next_serial, 2);
}

#[test]
fn one_answer_per_person_unless_editable() {
    let (mut form, v1) = published(&def(), settings());
    let alice = person("alice", "Alice");
    let (first, _) = created(
        submit(
            &mut form,
            answer(&alice, &v1, json!({"qty": 1}), NOW),
            Prior::Nothing,
            "s1",
        )
        .unwrap(),
    );
    let before = form.clone();
    let err = submit(
        &mut form,
        answer(&alice, &v1, json!({"qty": 2}), NOW),
        Prior::Answer(&first),
        "s2",
    )
    .unwrap_err();
    assert_eq!(err, FormError::AlreadyAnswered);
    assert_eq!(
        err.en(),
        "You have already answered this form, and answers cannot be changed."
    );
    assert_eq!(err.zh(), "你已经填写过该表单，且答案不能修改。");
    assert_eq!(form, before, "a refusal changes nothing");

    form.settings.editable = true;
    let Outcome::Updated(changed) = submit(
        &mut form,
        answer(&alice, &v1, json!({"qty": 2}), NOW + 5),
        Prior::Answer(&first),
        "s2",
    )
    .unwrap() else {
        panic!("an edit");
    };
    assert_eq!(changed.id, "s1");
    assert_eq!(changed.serial, first.serial);
    assert_eq!(changed.values, values(json!({"qty": 2})));
    assert_eq!(
        (
            changed.edits,
            changed.updated_at_ms,
            changed.submitted_at_ms
        ),
        (1, NOW + 5, Some(NOW))
    );
    assert_eq!(form.next_serial, 2, "an edit takes no serial number");
}

#[test]
fn repeatable_forms_take_many_answers() {
    let (mut form, v1) = published(
        &def(),
        Settings {
            repeatable: true,
            ..settings()
        },
    );
    let bob = person("bob", "Bob");
    let serials: Vec<String> = (0..3)
        .map(|i| {
            let (s, _) = created(
                submit(
                    &mut form,
                    answer(&bob, &v1, json!({}), NOW + i),
                    Prior::Nothing,
                    format!("s{i}"),
                )
                .unwrap(),
            );
            s.serial.unwrap()
        })
        .collect();
    assert_eq!(
        serials,
        ["F-20261130-0001", "F-20261130-0002", "F-20261130-0003"]
    );
    // The prior answer does not matter on a repeatable form.
    let first = submitted("x", 1, Some("bob"), json!({}), NOW);
    let outcome = submit(
        &mut form,
        answer(&bob, &v1, json!({}), NOW),
        Prior::Answer(&first),
        "s9",
    )
    .unwrap();
    assert!(matches!(outcome, Outcome::Created { .. }));
}

#[test]
fn nothing_after_the_deadline_or_outside_the_audience() {
    let (mut form, v1) = published(
        &def(),
        Settings {
            deadline_ms: Some(NOW + HOUR_MS),
            editable: true,
            ..settings()
        },
    );
    let alice = person("alice", "Alice");
    let before = form.clone();
    let late = submit(
        &mut form,
        answer(&alice, &v1, json!({}), NOW + HOUR_MS + 1),
        Prior::Nothing,
        "s1",
    )
    .unwrap_err();
    assert_eq!(
        late,
        FormError::PastDeadline {
            deadline_ms: NOW + HOUR_MS,
            offset_minutes: CST
        }
    );
    assert_eq!(
        late.message(Lang::En),
        "The deadline for this form was 2026-11-30 11:00 (UTC+08:00); answers can no longer be given or changed."
    );
    assert_eq!(
        late.message(Lang::Zh),
        "该表单已于 2026年11月30日 11:00（UTC+08:00）截止，不再接受填写或修改。"
    );
    assert_eq!(form, before);
    // Exactly at the deadline is still in time.
    assert!(
        submit(
            &mut form,
            answer(&alice, &v1, json!({}), NOW + HOUR_MS),
            Prior::Nothing,
            "s1"
        )
        .is_ok()
    );

    let mut outsider = answer(&alice, &v1, json!({}), NOW);
    outsider.in_audience = false;
    assert_eq!(
        submit(&mut form, outsider, Prior::Nothing, "s2").unwrap_err(),
        FormError::NotInAudience
    );

    // Editing is refused after the deadline too.
    let mine = submitted("s1", 1, Some("alice"), json!({}), NOW);
    let late_edit = edit(
        &form,
        &mine,
        answer(&alice, &v1, json!({"qty": 3}), NOW + 2 * HOUR_MS),
    )
    .unwrap_err();
    assert_eq!(late_edit.code(), "past_deadline");
    assert!(edit(&form, &mine, answer(&alice, &v1, json!({"qty": 3}), NOW)).is_ok());
}

#[test]
fn drafts_closed_forms_and_unknown_versions() {
    let (mut form, v1) = published(&def(), settings());
    let alice = person("alice", "Alice");
    // A version of another form, or one not published yet.
    let mut foreign = v1.clone();
    foreign.form_id = "f2".into();
    assert_eq!(
        submit(
            &mut form,
            answer(&alice, &foreign, json!({}), NOW),
            Prior::Nothing,
            "s"
        )
        .unwrap_err(),
        FormError::UnknownVersion(1)
    );
    let mut future = v1.clone();
    future.number = 2;
    assert_eq!(
        submit(
            &mut form,
            answer(&alice, &future, json!({}), NOW),
            Prior::Nothing,
            "s"
        )
        .unwrap_err(),
        FormError::UnknownVersion(2)
    );
    assert_eq!(FormError::UnknownVersion(2).zh(), "该表单没有第 2 版。");

    form.close(NOW).unwrap();
    assert_eq!(
        submit(
            &mut form,
            answer(&alice, &v1, json!({}), NOW),
            Prior::Nothing,
            "s"
        )
        .unwrap_err(),
        FormError::Closed
    );
    assert_eq!(
        save_draft(&form, None, answer(&alice, &v1, json!({}), NOW), "d").unwrap_err(),
        FormError::Closed
    );
    let mut draft_form = form.clone();
    draft_form.status = crate::domain::definition::FormStatus::Draft;
    assert_eq!(
        submit(
            &mut draft_form,
            answer(&alice, &v1, json!({}), NOW),
            Prior::Nothing,
            "s"
        )
        .unwrap_err()
        .en(),
        "This form has not been published yet."
    );
}

#[test]
fn old_versions_keep_taking_and_keeping_answers() {
    let (mut form, v1) = published(
        &def(),
        Settings {
            editable: true,
            ..settings()
        },
    );
    let mut changed = def();
    changed.fields.push(field("extra", Kind::Text));
    let v2 = form
        .publish(&changed, Some(&v1), "owner", NOW, CST)
        .unwrap()
        .unwrap();
    let alice = person("alice", "Alice");
    // Someone still looking at version 1's form.
    let (s, _) = created(
        submit(
            &mut form,
            answer(&alice, &v1, json!({"name": "old"}), NOW),
            Prior::Nothing,
            "s1",
        )
        .unwrap(),
    );
    assert_eq!(s.version, 1);
    // Changing it with the latest form moves it to version 2.
    let Outcome::Updated(moved) = submit(
        &mut form,
        answer(&alice, &v2, json!({"name": "new", "extra": "x"}), NOW),
        Prior::Answer(&s),
        "s2",
    )
    .unwrap() else {
        panic!("an edit");
    };
    assert_eq!(moved.version, 2);
}

#[test]
fn edits_only_by_the_author_of_a_submitted_answer() {
    let (form, v1) = published(
        &def(),
        Settings {
            editable: true,
            repeatable: true,
            ..settings()
        },
    );
    let alice = person("alice", "Alice");
    let bob = person("bob", "Bob");
    let hers = submitted("s1", 1, Some("alice"), json!({"qty": 1}), NOW);
    assert_eq!(
        edit(&form, &hers, answer(&bob, &v1, json!({}), NOW)).unwrap_err(),
        FormError::NotYours
    );
    assert_eq!(
        may_edit(&form, &hers, "bob", NOW, CST),
        Err(FormError::NotYours)
    );
    assert_eq!(may_edit(&form, &hers, "alice", NOW, CST), Ok(()));
    let mut other_form = hers.clone();
    other_form.form_id = "f9".into();
    assert_eq!(
        may_edit(&form, &other_form, "alice", NOW, CST),
        Err(FormError::NotYours)
    );
    let mut draft = hers.clone();
    draft.status = SubmissionStatus::Draft;
    assert_eq!(
        may_edit(&form, &draft, "alice", NOW, CST),
        Err(FormError::WrongState)
    );
    let mut fixed = form.clone();
    fixed.settings.editable = false;
    assert_eq!(
        edit(&fixed, &hers, answer(&alice, &v1, json!({}), NOW)).unwrap_err(),
        FormError::NotEditable
    );
    assert_eq!(FormError::NotEditable.zh(), "该表单的答案提交后不能修改。");
    let twice = edit(
        &form,
        &edit(&form, &hers, answer(&alice, &v1, json!({"qty": 2}), NOW)).unwrap(),
        answer(&alice, &v1, json!({"qty": 3}), NOW),
    )
    .unwrap();
    assert_eq!((twice.edits, twice.values["qty"].clone()), (2, json!(3)));
}

#[test]
fn drafts_are_kept_per_person_and_are_not_answers() {
    let (mut form, v1) = published(&def(), settings());
    let alice = person("alice", "Alice");
    let d1 = save_draft(
        &form,
        None,
        answer(&alice, &v1, json!({"name": "half"}), NOW),
        "d1",
    )
    .unwrap();
    assert_eq!(
        (d1.status, d1.serial.clone(), d1.submitted_at_ms),
        (SubmissionStatus::Draft, None, None)
    );
    assert_eq!(d1.respondent, Some(alice.clone()));
    assert_eq!(form.next_serial, 1, "a draft takes no serial number");
    let d2 = save_draft(
        &form,
        Some(&d1),
        answer(&alice, &v1, json!({"name": "more"}), NOW + 10),
        "ignored",
    )
    .unwrap();
    assert_eq!(
        (d2.id.as_str(), d2.created_at_ms, d2.updated_at_ms),
        ("d1", NOW, NOW + 10)
    );
    let bob = person("bob", "Bob");
    assert_eq!(
        save_draft(&form, Some(&d1), answer(&bob, &v1, json!({}), NOW), "d").unwrap_err(),
        FormError::NotYours
    );
    let sent = submitted("s1", 1, Some("alice"), json!({}), NOW);
    assert_eq!(
        save_draft(&form, Some(&sent), answer(&alice, &v1, json!({}), NOW), "d").unwrap_err(),
        FormError::WrongState
    );
    // A draft is no answer: the person may still submit once, and drafts are not listed.
    let (s, _) = created(
        submit(
            &mut form,
            answer(&alice, &v1, json!({"name": "done"}), NOW),
            Prior::Nothing,
            "s1",
        )
        .unwrap(),
    );
    assert!(
        filter(&[d2.clone(), s.clone()], &Filter::default())
            .iter()
            .all(|x| x.id == "s1")
    );
    let mut late = form.clone();
    late.settings.deadline_ms = Some(NOW);
    assert_eq!(
        save_draft(&late, None, answer(&alice, &v1, json!({}), NOW + 1), "d")
            .unwrap_err()
            .code(),
        "past_deadline"
    );
}

#[test]
fn anonymous_answers_never_carry_the_respondent() {
    let (mut form, v1) = published(
        &def(),
        Settings {
            anonymous: true,
            ..settings()
        },
    );
    let carol = person("carol-7", "Carol 王");
    let at = NOW + 17 * MINUTE_MS + 3_456;
    // A draft is the person's own until sent.
    let draft = save_draft(
        &form,
        None,
        answer(&carol, &v1, json!({"name": "draft"}), at),
        "d1",
    )
    .unwrap();
    assert_eq!(draft.respondent, Some(carol.clone()));
    let (s, roll) = created(
        submit(
            &mut form,
            answer(&carol, &v1, json!({"name": "secret", "qty": 1}), at),
            Prior::Nothing,
            "r-8f3a",
        )
        .unwrap(),
    );
    assert!(roll, "the person's key goes on the roll");
    assert_eq!(s.respondent, None);
    assert_eq!(
        s.submitted_at_ms,
        Some(NOW),
        "times are coarsened to the hour"
    );
    assert_eq!(s.created_at_ms % HOUR_MS, 0);
    let stored = serde_json::to_string(&s).unwrap();
    assert!(!stored.contains("carol"), "{stored}");
    assert!(!stored.contains("Carol"), "{stored}");
    // A second answer is refused, whether or not the form is editable.
    assert_eq!(
        submit(
            &mut form,
            answer(&carol, &v1, json!({}), at),
            Prior::OnRoll,
            "r2"
        )
        .unwrap_err(),
        FormError::AlreadyAnswered
    );
    form.settings.editable = true;
    assert_eq!(
        submit(
            &mut form,
            answer(&carol, &v1, json!({}), at),
            Prior::OnRoll,
            "r2"
        )
        .unwrap_err(),
        FormError::AlreadyAnswered
    );
    // And nobody can change an anonymous answer.
    assert_eq!(
        edit(&form, &s, answer(&carol, &v1, json!({}), at)).unwrap_err(),
        FormError::Anonymous
    );
    assert_eq!(FormError::Anonymous.zh(), "匿名表单的答案提交后不能修改。");
    // A repeatable anonymous form adds answers, each unlinked.
    form.settings.repeatable = true;
    form.settings.editable = false;
    let (again, roll) = created(
        submit(
            &mut form,
            answer(&carol, &v1, json!({}), at),
            Prior::OnRoll,
            "r3",
        )
        .unwrap(),
    );
    assert!(roll && again.respondent.is_none());
}

#[test]
fn serial_numbers() {
    let day = Date::new(2026, 11, 30).unwrap();
    assert_eq!(
        format_serial(&SerialFormat::default(), day, 1),
        "F-20261130-0001"
    );
    let bx = SerialFormat {
        prefix: "BX".into(),
        date: false,
        digits: 6,
    };
    assert_eq!(format_serial(&bx, day, 42), "BX-000042");
    assert_eq!(
        format_serial(&SerialFormat::default(), day, 12_345),
        "F-20261130-12345"
    );
    // The date is the organization's local date.
    let (mut form, _) = published(&def(), settings());
    let late_evening_utc = NOW + 15 * HOUR_MS; // 2026-12-01 01:00 at UTC+8
    assert_eq!(
        assign_serial(&mut form, &SerialFormat::default(), late_evening_utc, CST),
        "F-20261201-0001"
    );
    assert_eq!(
        assign_serial(&mut form, &SerialFormat::default(), late_evening_utc, 0),
        "F-20261130-0002"
    );
    // The form's serial field decides the format.
    let mut with_serial = def();
    let mut no = field("no", Kind::Serial);
    no.serial = Some(bx);
    with_serial.fields.insert(0, no);
    let (mut form, v1) = published(&with_serial, settings());
    let alice = person("alice", "Alice");
    let (s, _) = created(
        submit(
            &mut form,
            answer(&alice, &v1, json!({}), NOW),
            Prior::Nothing,
            "s",
        )
        .unwrap(),
    );
    assert_eq!(s.serial.as_deref(), Some("BX-000001"));
}

#[test]
fn filters_for_the_results_list() {
    let subs = vec![
        submitted(
            "a",
            1,
            Some("alice"),
            json!({"color": "red", "tags": ["x", "y"], "note": "Paper 纸张"}),
            NOW,
        ),
        submitted(
            "b",
            2,
            Some("bob"),
            json!({"color": "blue", "tags": ["y"], "items": [{"item": "Stapler"}]}),
            NOW + DAY_MS,
        ),
        submitted(
            "c",
            2,
            None,
            json!({"color": "red", "qty": 12}),
            NOW + 2 * DAY_MS,
        ),
        {
            let mut d = submitted(
                "d",
                2,
                Some("alice"),
                json!({"color": "red"}),
                NOW + 3 * DAY_MS,
            );
            d.status = SubmissionStatus::Draft;
            d
        },
    ];
    let ids = |f: Filter| {
        filter(&subs, &f)
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(Filter::default()),
        ["c", "b", "a"],
        "newest first, drafts left out"
    );
    assert_eq!(
        ids(Filter {
            version: Some(2),
            ..Filter::default()
        }),
        ["c", "b"]
    );
    assert_eq!(
        ids(Filter {
            respondent: Some("alice".into()),
            ..Filter::default()
        }),
        ["a"]
    );
    assert_eq!(
        ids(Filter {
            from_ms: Some(NOW + DAY_MS),
            to_ms: Some(NOW + 2 * DAY_MS),
            ..Filter::default()
        }),
        ["b"]
    );
    assert_eq!(
        ids(Filter {
            text: Some("纸张".into()),
            ..Filter::default()
        }),
        ["a"]
    );
    assert_eq!(
        ids(Filter {
            text: Some("stapler".into()),
            ..Filter::default()
        }),
        ["b"]
    );
    assert_eq!(
        ids(Filter {
            text: Some("name BOB".into()),
            ..Filter::default()
        }),
        ["b"]
    );
    assert_eq!(
        ids(Filter {
            text: Some("F-c".into()),
            ..Filter::default()
        }),
        ["c"]
    );
    assert_eq!(
        ids(Filter {
            text: Some("12".into()),
            ..Filter::default()
        }),
        ["c"]
    );
    assert_eq!(
        ids(Filter {
            equals: Some(("color".into(), "red".into())),
            ..Filter::default()
        }),
        ["c", "a"]
    );
    assert_eq!(
        ids(Filter {
            equals: Some(("tags".into(), "y".into())),
            ..Filter::default()
        }),
        ["b", "a"]
    );
    assert_eq!(
        ids(Filter {
            equals: Some(("qty".into(), "12".into())),
            ..Filter::default()
        }),
        ["c"]
    );
    assert_eq!(
        ids(Filter {
            equals: Some(("qty".into(), "".into())),
            ..Filter::default()
        }),
        ["b", "a"]
    );
}
