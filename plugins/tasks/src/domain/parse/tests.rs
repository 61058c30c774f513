use super::*;
use crate::domain::Status;

const ID_A: &str = "0193a7c2-5d4e-7f00-8a1b-2c3d4e5f6a7b";
const ID_B: &str = "0193a7c2-5d4e-7f00-8a1b-2c3d4e5f6a7c";

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn quick_tokens() {
    let q = parse_quick(&format!(
        "Send the quote <@{ID_A}> @Li due:friday p1 \"p0\" @all"
    ))
    .unwrap();
    assert_eq!(q.title, "Send the quote p0 @all");
    assert_eq!(q.mentions, vec![ID_A.to_owned()]);
    assert_eq!(q.names, vec!["Li".to_owned()]);
    assert_eq!(q.priority, Some(Priority::P1));
    assert_eq!(
        q.due,
        Some(DueSpec::On {
            day: DaySpec::Weekday(5),
            minutes: None
        })
    );
    assert_eq!(q.due_text.as_deref(), Some("friday"));
}

#[test]
fn mentions_glued_to_chinese_and_repeated() {
    let q = parse_quick(&format!(
        "请<@{ID_A}>和<@{ID_B}>看合同<@{ID_A}> 截止：明天 !紧急"
    ))
    .unwrap();
    assert_eq!(q.title, "请 和 看合同");
    assert_eq!(q.mentions, vec![ID_A.to_owned(), ID_B.to_owned()]);
    assert_eq!(q.priority, Some(Priority::P0));
    assert_eq!(
        q.due,
        Some(DueSpec::On {
            day: DaySpec::Offset(1),
            minutes: None
        })
    );
    // Not a mention: stays text.
    let q = parse_quick("Fix <@not-an-id> and <@").unwrap();
    assert_eq!(q.title, "Fix <@not-an-id> and <@");
    assert!(q.mentions.is_empty());
}

#[test]
fn quoted_names_and_description_lines() {
    let q = parse_quick(
        "Plan the offsite @\"Li Lei\" due:\"2026-12-01 17:00\"\nBook a room\n- [ ] venue\n- [x] budget\n* catering\n[ ] transport\n- ",
    )
    .unwrap();
    assert_eq!(q.title, "Plan the offsite");
    assert_eq!(q.names, vec!["Li Lei".to_owned()]);
    assert_eq!(
        q.due,
        Some(DueSpec::On {
            day: DaySpec::Date {
                year: Some(2026),
                month: 12,
                day: 1
            },
            minutes: Some(17 * 60)
        })
    );
    assert_eq!(q.description, "Book a room\n-");
    assert_eq!(
        q.checklist,
        vec![
            ("venue".to_owned(), false),
            ("budget".to_owned(), true),
            ("catering".to_owned(), false),
            ("transport".to_owned(), false),
        ]
    );
}

#[test]
fn bad_due_is_refused_with_what_was_written() {
    assert_eq!(
        parse_quick("x due:someday").unwrap_err(),
        Refusal::BadDue("someday".into())
    );
    assert_eq!(
        parse_quick("x due:").unwrap_err(),
        Refusal::BadDue("due:".into())
    );
    for bad in ["25:00", "2026-13-01T", "12-01T9", "+h", "friday@", "13月"] {
        assert!(parse_due(bad).is_err(), "{bad}");
    }
}

#[test]
fn due_forms() {
    let on = |day, minutes| DueSpec::On { day, minutes };
    let cases = [
        (
            "2026-12-01",
            on(
                DaySpec::Date {
                    year: Some(2026),
                    month: 12,
                    day: 1,
                },
                None,
            ),
        ),
        (
            "2026/12/01T09:30",
            on(
                DaySpec::Date {
                    year: Some(2026),
                    month: 12,
                    day: 1,
                },
                Some(570),
            ),
        ),
        (
            "12-01@17:00",
            on(
                DaySpec::Date {
                    year: None,
                    month: 12,
                    day: 1,
                },
                Some(1020),
            ),
        ),
        (
            "12月1日",
            on(
                DaySpec::Date {
                    year: None,
                    month: 12,
                    day: 1,
                },
                None,
            ),
        ),
        ("today", on(DaySpec::Offset(0), None)),
        ("Tomorrow,9:00", on(DaySpec::Offset(1), Some(540))),
        ("后天", on(DaySpec::Offset(2), None)),
        ("+3d", on(DaySpec::Offset(3), None)),
        ("周日", on(DaySpec::Weekday(7), None)),
        ("星期一 15点", on(DaySpec::Weekday(1), Some(900))),
        ("17:00", DueSpec::At { minutes: 1020 }),
        ("+2h", DueSpec::In { minutes: 120 }),
        ("+45m", DueSpec::In { minutes: 45 }),
        ("none", DueSpec::Clear),
    ];
    for (text, want) in cases {
        assert_eq!(parse_due(text).unwrap(), want, "{text}");
    }
}

#[test]
fn resolving_due_times() {
    // 2026-11-27 is a Friday; it is 10:00.
    let today = date("2026-11-27");
    let r = |text: &str| {
        let spec = parse_due(text).unwrap();
        resolve_due(&spec, text, today, 600, 18 * 60)
    };
    let local = |d: &str, minutes| {
        Ok(Resolved::Local {
            date: date(d),
            minutes,
        })
    };
    assert_eq!(r("today"), local("2026-11-27", 1080));
    assert_eq!(r("fri"), local("2026-11-27", 1080), "today counts");
    assert_eq!(r("thu"), local("2026-12-03", 1080));
    assert_eq!(r("17:00"), local("2026-11-27", 1020));
    assert_eq!(
        r("9:00"),
        local("2026-11-28", 540),
        "a passed time means tomorrow"
    );
    assert_eq!(r("12-01"), local("2026-12-01", 1080));
    assert_eq!(
        r("11-01"),
        local("2027-11-01", 1080),
        "a passed date means next year"
    );
    assert_eq!(r("02-29"), local("2028-02-29", 1080));
    assert_eq!(r("+2h"), Ok(Resolved::In(120)));
    assert_eq!(r("none"), Ok(Resolved::Clear));
    assert_eq!(
        r("2026-11-26"),
        Err(Refusal::DueInPast("2026-11-26".into()))
    );
    assert_eq!(
        r("today@9:00"),
        Err(Refusal::DueInPast("today@9:00".into()))
    );
    assert_eq!(r("2026-02-30"), Err(Refusal::BadDue("2026-02-30".into())));
    // After the default time, "today" means the end of the day.
    let late = resolve_due(
        &DueSpec::On {
            day: DaySpec::Offset(0),
            minutes: None,
        },
        "today",
        today,
        19 * 60,
        18 * 60,
    );
    assert_eq!(late, local("2026-11-27", 1439));
    assert_eq!(parse_time_of_day("18:00"), Some(1080));
    assert_eq!(parse_time_of_day("8:5"), Some(485));
    assert_eq!(parse_time_of_day("soon"), None);
}

#[test]
fn names_resolve_exactly_or_by_unique_prefix() {
    let members = vec![
        PersonRef::new("1", "Li Lei"),
        PersonRef::new("2", "Li Na"),
        PersonRef::new("3", "Han Meimei"),
        PersonRef::new("4", "han"),
    ];
    assert_eq!(resolve_name("li lei", &members).unwrap().id, "1");
    assert_eq!(resolve_name("Han", &members).unwrap().id, "4", "exact wins");
    assert_eq!(resolve_name("Han M", &members).unwrap().id, "3");
    assert_eq!(
        resolve_name("Li", &members),
        Err(Refusal::AmbiguousPerson(
            "Li".into(),
            vec!["Li Lei".into(), "Li Na".into()]
        ))
    );
    assert_eq!(
        resolve_name("Zhang", &members),
        Err(Refusal::NoSuchPerson("Zhang".into()))
    );
}

#[test]
fn subcommands_only_in_their_exact_shape() {
    assert_eq!(parse_command(""), Command::Form);
    assert_eq!(parse_command(" new "), Command::Form);
    assert_eq!(parse_command("help"), Command::Help);
    assert_eq!(parse_command("我的"), Command::Mine);
    assert_eq!(
        parse_command("done #12"),
        Command::Move {
            number: 12,
            to: Status::Done
        }
    );
    assert_eq!(
        parse_command("start 3"),
        Command::Move {
            number: 3,
            to: Status::InProgress
        }
    );
    assert_eq!(
        parse_command("due 3 tomorrow 17:00"),
        Command::Due {
            number: 3,
            when: "tomorrow 17:00".into()
        }
    );
    assert_eq!(
        parse_command("Done deal with ACME"),
        Command::Create("Done deal with ACME".into())
    );
    assert_eq!(parse_command("done it"), Command::Create("done it".into()));
    assert_eq!(
        parse_command("help\nme"),
        Command::Create("help\nme".into())
    );
    assert_eq!(
        parse_command("new hire onboarding"),
        Command::Create("new hire onboarding".into())
    );
}

#[test]
fn item_lines_take_marks_or_plain_lines() {
    assert_eq!(
        item_lines("venue\n\n- [x] budget\n  * catering \n"),
        vec![
            ("venue".to_owned(), false),
            ("budget".to_owned(), true),
            ("catering".to_owned(), false),
        ]
    );
}
