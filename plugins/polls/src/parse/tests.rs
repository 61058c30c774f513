use proptest::prelude::*;

use super::*;

fn spec(raw: &str) -> Spec {
    match parse(raw) {
        Ok(Parsed::Create(s)) => s,
        other => panic!("{raw:?} gave {other:?}"),
    }
}

fn error(raw: &str) -> ParseError {
    match parse(raw) {
        Err(e) => e,
        other => panic!("{raw:?} should be refused, gave {other:?}"),
    }
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

#[test]
fn the_issue_example() {
    let s = spec(r#""Lunch?" Noodles Dumplings Rice"#);
    assert_eq!(s.question, "Lunch?");
    assert_eq!(s.options, ["Noodles", "Dumplings", "Rice"]);
    assert!(!s.multi && !s.anonymous && !s.hidden);
    assert_eq!((s.max, s.closes), (None, None));
}

#[test]
fn no_arguments_is_the_form_and_help_is_help() {
    assert_eq!(parse(""), Ok(Parsed::Form));
    assert_eq!(parse("  \u{3000} \n"), Ok(Parsed::Form));
    for h in [
        "help",
        "HELP",
        "帮助",
        "--help",
        "——帮助",
        "?",
        "？",
        "ｈｅｌｐ",
    ] {
        assert_eq!(parse(h), Ok(Parsed::Help), "{h}");
    }
    // A quoted "help" is a question.
    assert!(matches!(
        parse(r#""help" a"#),
        Err(ParseError::TooFewOptions { got: 1 })
    ));
}

#[test]
fn chinese_quotes_and_full_width_spaces() {
    let s = spec("“午饭 吃什么？”　面条　饺子 米饭");
    assert_eq!(s.question, "午饭 吃什么？");
    assert_eq!(s.options, ["面条", "饺子", "米饭"]);
    let s = spec("「周五团建」 “密室 逃脱” 『剧本杀』 ＂K 歌＂");
    assert_eq!(s.question, "周五团建");
    assert_eq!(s.options, ["密室 逃脱", "剧本杀", "K 歌"]);
    // Quotes inside other quotes stay.
    let s = spec(r#""他说“好”吗？" 好 不好"#);
    assert_eq!(s.question, "他说“好”吗？");
    // A closing quote on both sides, as some keyboards type.
    let s = spec("”Lunch today?” A B");
    assert_eq!(s.question, "Lunch today?");
}

#[test]
fn unquoted_questions_end_at_the_question_mark() {
    let s = spec("Where shall we eat? Noodles Rice");
    assert_eq!(s.question, "Where shall we eat?");
    assert_eq!(s.options, ["Noodles", "Rice"]);
    let s = spec("午饭吃什么？面条 饺子");
    assert_eq!(s.question, "午饭吃什么？");
    assert_eq!(s.options, ["面条", "饺子"]);
    let s = spec("Lunch Noodles Rice");
    assert_eq!(s.question, "Lunch");
}

#[test]
fn one_list_of_options_is_split() {
    assert_eq!(
        spec("午饭？ 面条、饺子、米饭").options,
        ["面条", "饺子", "米饭"]
    );
    assert_eq!(spec(r#""Q" a,b, c,"#).options, ["a", "b", "c"]);
    assert_eq!(spec("Q? 甲，乙；丙|丁").options, ["甲", "乙", "丙", "丁"]);
    // Quoted, or among other options: commas are text.
    assert!(matches!(
        parse(r#""Q" "a,b""#),
        Err(ParseError::TooFewOptions { got: 1 })
    ));
    assert_eq!(spec(r#""Q" "a, b" c"#).options, ["a, b", "c"]);
}

#[test]
fn several_lines() {
    let s = spec("Where shall we eat on Friday\nFried rice\n Noodle soup \n\n“Hot pot” --multi");
    assert_eq!(s.question, "Where shall we eat on Friday");
    assert_eq!(s.options, ["Fried rice", "Noodle soup", "Hot pot"]);
    assert!(s.multi);
    let s = spec("\"Q\" \"a b\" c\nd e");
    assert_eq!(s.options, ["a b", "c", "d e"]);
}

#[test]
fn flags_anywhere_in_any_width_and_dash() {
    let s = spec(r#"--multi "Q" a --anonymous b c --max 2 --hidden"#);
    assert!(s.multi && s.anonymous && s.hidden);
    assert_eq!(s.max, Some(2));
    assert_eq!(s.options, ["a", "b", "c"]);
    let s = spec("“午饭？” 面条 饺子 米饭 ——多选 ——最多 ２ ——匿名 —隐藏结果");
    assert!(s.multi && s.anonymous && s.hidden);
    assert_eq!(s.max, Some(2));
    let s = spec("\"Q\" a b c －－ｍｕｌｔｉ —anonymous –max=2");
    assert!(s.multi && s.anonymous);
    assert_eq!(s.max, Some(2));
    // --max alone means multiple choice; --max as many as the options means any number.
    let s = spec(r#""Q" a b c --max 3"#);
    assert!(s.multi);
    assert_eq!(s.max, None);
    // After `--`, everything is an option; quoted flags are options too.
    let s = spec(r#""Q" a -- --multi "--anonymous""#);
    assert_eq!(s.options, ["a", "--multi", "--anonymous"]);
    assert!(!s.multi && !s.anonymous);
    // Dashes that are not flags.
    assert_eq!(spec(r#""Q" -5 --5 —"#).options, ["-5", "--5", "—"]);
}

#[test]
fn closing_times() {
    let after = |raw: &str| spec(&format!(r#""Q" a b --closes {raw}"#)).closes;
    assert_eq!(after("2h"), Some(Closing::After { minutes: 120 }));
    assert_eq!(after("90m"), Some(Closing::After { minutes: 90 }));
    assert_eq!(after("1h30m"), Some(Closing::After { minutes: 90 }));
    assert_eq!(after("3d"), Some(Closing::After { minutes: 3 * 1440 }));
    assert_eq!(after("1w"), Some(Closing::After { minutes: 7 * 1440 }));
    assert_eq!(after("2小时"), Some(Closing::After { minutes: 120 }));
    assert_eq!(after("２个小时"), Some(Closing::After { minutes: 120 }));
    assert_eq!(after("30分钟"), Some(Closing::After { minutes: 30 }));
    assert_eq!(after("1天"), Some(Closing::After { minutes: 1440 }));
    assert_eq!(after("\"2 hours\""), Some(Closing::After { minutes: 120 }));
    let at = Some(Closing::At {
        date: date("2026-12-24"),
        minute: 18 * 60,
    });
    assert_eq!(after("2026-12-24 18:00"), at);
    assert_eq!(after("2026-12-24T18:00"), at);
    assert_eq!(after("2026/12/24 18：00"), at);
    assert_eq!(after("２０２６－１２－２４　１８：００"), at);
    assert_eq!(after("\"2026-12-24 18:00\""), at);
    assert_eq!(
        spec("“午饭？” 面条 饺子 ——截止 2026-12-24 18:00 ——匿名").closes,
        at
    );
    assert_eq!(
        after("2026-12-24"),
        Some(Closing::EndOf {
            date: date("2026-12-24")
        })
    );
    assert_eq!(after("9:30"), Some(Closing::Time { minute: 570 }));
    assert_eq!(
        spec(r#""Q" a b --closes=45m"#).closes,
        Some(Closing::After { minutes: 45 })
    );
    for bad in [
        "soon",
        "0m",
        "25:00",
        "2026-02-30",
        "2026-12-24 25:00",
        "2x",
    ] {
        let raw = format!(r#""Q" a b --closes {bad}"#);
        assert!(
            matches!(error(&raw), ParseError::BadClosing { .. }),
            "{raw}"
        );
    }
    assert_eq!(error(r#""Q" a b --closes 400d"#), ParseError::ClosingTooFar);
    assert_eq!(
        error(r#""Q" a b --closes"#),
        ParseError::MissingValue {
            flag: "--closes".into()
        }
    );
    assert!(matches!(
        error(r#""Q" a b --closes --multi"#),
        ParseError::MissingValue { .. }
    ));
}

#[test]
fn bad_input_is_refused_in_both_languages() {
    let cases = [
        (r#""Lunch? Noodles"#, "never closed", "没有闭合"),
        ("“午饭？ 面条", "never closed", "没有闭合"),
        (r#""" a b"#, "needs a question", "需要一个问题"),
        ("--multi", "needs a question", "需要一个问题"),
        (r#""Q" a"#, "at least 2", "至少需要 2"),
        (r#""Q" a "" b"#, "Option 2 is empty", "第 2 个选项是空的"),
        (
            r#""Q" Rice rice"#,
            "“rice” is there twice",
            "选项“rice”重复",
        ),
        ("\"Q\" Ｒｉｃｅ Rice", "twice", "重复"),
        (
            r#""Q" a b --colour red"#,
            "Unknown flag --colour",
            "不认识的参数 --colour",
        ),
        (r#""Q" a b --max two"#, "whole number", "整数"),
        (r#""Q" a b --max 1"#, "at least 2", "至少为 2"),
        (
            r#""Q" a b --max 3"#,
            "more than the 2 options",
            "超过了选项数 2",
        ),
        (r#""Q" a b --max"#, "needs a value", "需要一个值"),
    ];
    for (raw, en, zh) in cases {
        let e = error(raw);
        assert!(e.en().contains(en), "{raw}: {}", e.en());
        assert!(e.zh().contains(zh), "{raw}: {}", e.zh());
        assert_eq!(e.message(true), e.zh());
    }
    let long = "x".repeat(201);
    assert_eq!(
        error(&format!("\"{long}\" a b")),
        ParseError::QuestionTooLong { chars: 201 }
    );
    let long = "好".repeat(81);
    assert_eq!(
        error(&format!("Q? a {long}")),
        ParseError::OptionTooLong {
            position: 2,
            chars: 81
        }
    );
    let many: Vec<String> = (1..=21).map(|i| format!("o{i}")).collect();
    assert_eq!(
        error(&format!("Q? {}", many.join(" "))),
        ParseError::TooManyOptions { got: 21 }
    );
    // Exactly at the limits is fine.
    let twenty: Vec<String> = (1..=20).map(|i| format!("o{i}")).collect();
    let s = spec(&format!(
        "\"{}\" {} {}",
        "q".repeat(200),
        "好".repeat(80),
        twenty[1..].join(" ")
    ));
    assert_eq!(s.options.len(), 20);
}

#[test]
fn quoting_reads_back_whatever_the_text_holds() {
    for text in [
        "plain",
        "with space",
        "\"double\"",
        "“chinese”",
        "all \" ” 」 』 ＂ of them",
        "--multi",
        "a,b",
        "?",
    ] {
        let raw = format!("{} x y", quote(text));
        assert_eq!(spec(&raw).question, text, "{raw}");
    }
}

#[test]
fn canonical_command_lines() {
    let s =
        spec("“午饭？” 面条 饺子 米饭 ——多选 ——最多 2 ——匿名 --hidden --closes 2026-12-24 18:00");
    assert_eq!(
        s.to_command(),
        "\"午饭？\" \"面条\" \"饺子\" \"米饭\" --multi --max 2 --anonymous --hidden --closes 2026-12-24 18:00"
    );
    assert_eq!(parse(&s.to_command()), Ok(Parsed::Create(s)));
}

// ---- Properties ----

/// Pieces people type: words in both scripts, every kind of quote, space and dash, flags
/// and their values.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{1,6}",
        "[一-龥]{1,4}",
        "[0-9]{1,3}",
        Just(" ".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("\n".to_owned()),
        Just("\"".to_owned()),
        Just("“".to_owned()),
        Just("”".to_owned()),
        Just("「".to_owned()),
        Just("」".to_owned()),
        Just("＂".to_owned()),
        Just("?".to_owned()),
        Just("？".to_owned()),
        Just("、".to_owned()),
        Just(",".to_owned()),
        Just("--".to_owned()),
        Just("——".to_owned()),
        Just("—".to_owned()),
        Just("--multi".to_owned()),
        Just("--max".to_owned()),
        Just("--anonymous".to_owned()),
        Just("——匿名".to_owned()),
        Just("--hidden".to_owned()),
        Just("--closes".to_owned()),
        Just("2h".to_owned()),
        Just("2026-12-24".to_owned()),
        Just("18:00".to_owned()),
        Just("=".to_owned()),
        Just("\t".to_owned()),
        Just("\u{0}".to_owned()),
    ]
}

fn check_invariants(s: &Spec) {
    assert!(!s.question.is_empty() && s.question.chars().count() <= MAX_QUESTION);
    assert_eq!(s.question, normalize(&s.question));
    assert!((MIN_OPTIONS..=MAX_OPTIONS).contains(&s.options.len()));
    let mut keys = std::collections::HashSet::new();
    for o in &s.options {
        assert!(!o.is_empty() && o.chars().count() <= MAX_OPTION);
        assert_eq!(o, &normalize(o));
        assert!(keys.insert(same_key(o)), "duplicate {o}");
    }
    if let Some(max) = s.max {
        assert!(s.multi && max >= 2 && (max as usize) < s.options.len());
    }
}

/// Text of any kind, quotes and odd spaces included.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            any::<char>(),
            Just('"'),
            Just('”'),
            Just('“'),
            Just('」'),
            Just('『'),
            Just('＂'),
            Just(' '),
            Just('\u{3000}'),
        ],
        0..max,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn closing() -> impl Strategy<Value = Option<Closing>> {
    prop_oneof![
        Just(None),
        (1u32..=MAX_MINUTES).prop_map(|minutes| Some(Closing::After { minutes })),
        (0u16..1440).prop_map(|minute| Some(Closing::Time { minute })),
        (
            2000i32..2100,
            1u8..=12,
            1u8..=28,
            prop::option::of(0u16..1440)
        )
            .prop_map(|(y, m, d, minute)| {
                let date = Date::new(y, m, d).unwrap();
                Some(match minute {
                    Some(minute) => Closing::At { date, minute },
                    None => Closing::EndOf { date },
                })
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever is typed: a clean refusal in both languages, or a poll whose canonical
    /// command line reads back as the same poll.
    #[test]
    fn any_input_is_refused_cleanly_or_round_trips(
        pieces in prop::collection::vec(piece(), 0..40)
    ) {
        let raw: String = pieces.concat();
        match parse(&raw) {
            Err(e) => {
                prop_assert!(!e.en().is_empty() && !e.zh().is_empty());
                prop_assert_ne!(e.en(), e.zh());
            }
            Ok(Parsed::Create(s)) => {
                check_invariants(&s);
                prop_assert_eq!(parse(&s.to_command()), Ok(Parsed::Create(s.clone())));
            }
            Ok(Parsed::Form) => prop_assert!(raw.trim().is_empty()),
            Ok(Parsed::Help) => {}
        }
    }

    /// Every poll the checks accept — any text, any flags — survives its command line.
    #[test]
    fn every_valid_poll_round_trips(
        question in text(40),
        options in prop::collection::vec(text(12), 0..24),
        multi in any::<bool>(),
        max in prop::option::of(0u32..24),
        anonymous in any::<bool>(),
        hidden in any::<bool>(),
        closes in closing(),
    ) {
        let flags = Flags { multi, max, anonymous, hidden, closes };
        match build(Some(&question), options, flags) {
            Ok(s) => {
                check_invariants(&s);
                prop_assert_eq!(parse(&s.to_command()), Ok(Parsed::Create(s.clone())));
            }
            Err(e) => prop_assert!(!e.en().is_empty() && !e.zh().is_empty()),
        }
    }
}
