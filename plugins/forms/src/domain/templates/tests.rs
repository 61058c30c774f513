use std::collections::HashSet;

use serde_json::json;

use super::*;
use crate::domain::csv::{CsvOptions, answers_csv};
use crate::domain::definition::Audience;
use crate::domain::display::{Lookup, detail};
use crate::domain::lang::Lang;
use crate::domain::stats::{Summary, field_stats};
use crate::domain::submission::{Answer, Outcome, Prior, submit};
use crate::domain::testkit::{CST, NOW, person};
use crate::domain::time::format_local;

fn bilingual(t: &Text, what: &str) {
    assert!(
        !t.en.trim().is_empty() && !t.zh.trim().is_empty(),
        "{what}: {t:?}"
    );
}

#[test]
fn every_template_is_valid_and_bilingual() {
    let all = builtin();
    assert_eq!(all.len(), 6);
    let ids: HashSet<&str> = all.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), all.len());
    for t in &all {
        assert_eq!(t.definition.validate(), vec![], "{}", t.id);
        assert_eq!(t.settings.validate(false, NOW, CST), vec![], "{}", t.id);
        bilingual(&t.name, t.id);
        bilingual(&t.description, t.id);
        bilingual(&t.definition.title, t.id);
        for f in &t.definition.fields {
            bilingual(&f.label, &f.name);
            for o in &f.options {
                bilingual(&o.label, &o.value);
            }
            for c in &f.columns {
                bilingual(&c.label, &c.name);
            }
            for x in [&f.help, &f.placeholder, &f.pattern_message]
                .into_iter()
                .flatten()
            {
                bilingual(x, &f.name);
            }
        }
        assert_eq!(get(t.id).as_ref(), Some(t));
    }
    assert_eq!(get("nothing"), None);
}

#[test]
fn templates_suggest_their_rules() {
    let daily = get("daily_report").unwrap();
    assert!(daily.settings.repeatable && daily.settings.editable && !daily.settings.anonymous);
    assert_eq!(daily.definition.title.zh, "日报");
    let signup = get("event_signup").unwrap();
    assert!(!signup.settings.repeatable, "one sign-up per person");
    assert_eq!(signup.deadline_days, Some(7));
    let anon = get("anonymous_survey").unwrap();
    assert!(anon.settings.anonymous && !anon.settings.editable);
    let survey = get("satisfaction_survey").unwrap();
    assert_eq!(survey.definition.fields[0].options.len(), 5);
    assert_eq!(get("weekly_report").unwrap().name.zh, "周报");
}

#[test]
fn instantiated_templates_publish() {
    for t in builtin() {
        let (mut form, draft) =
            t.instantiate(format!("f-{}", t.id), person("owner", "Owner"), NOW, CST);
        assert_eq!(form.title, t.definition.title);
        assert_eq!(form.check_draft(&draft), Ok(()));
        // The publisher picks the audience.
        assert_eq!(
            form.publish(&draft, None, "owner", NOW, CST)
                .unwrap_err()
                .code(),
            "invalid",
            "{}",
            t.id
        );
        let mut s = form.settings.clone();
        s.audience = Audience {
            groups: vec!["all-staff".into()],
            people: vec![],
        };
        form.set_settings(s, NOW, CST).unwrap();
        let v = form
            .publish(&draft, None, "owner", NOW, CST)
            .unwrap()
            .unwrap();
        assert_eq!(v.number, 1);
    }
    let (form, _) = get("event_signup")
        .unwrap()
        .instantiate("f", person("o", "O"), NOW, CST);
    let deadline = form.settings.deadline_ms.unwrap();
    assert_eq!(format_local(deadline, CST), "2026-12-07 18:00");
}

struct Capitals;

impl Lookup for Capitals {
    fn capitals(&self, cents: i64) -> Option<String> {
        (cents == 3_090).then(|| "叁拾元玖角".to_string())
    }
}

#[test]
fn an_expense_claim_end_to_end() {
    let t = get("expense").unwrap();
    let (mut form, draft) = t.instantiate("exp", person("owner", "Owner"), NOW, CST);
    form.settings.audience.groups.push("finance".into());
    let v1 = form
        .publish(&draft, None, "owner", NOW, CST)
        .unwrap()
        .unwrap();
    let alice = person("alice", "Alice");
    // What the host passes after validating and computing the formulas.
    let values = json!({
        "department": "d-rd",
        "spent_on": "2026-11-28",
        "items": [
            {"item": "打印纸", "qty": 3, "price": "10.10", "amount": "30.30"},
            {"item": "笔", "qty": 3, "price": "0.20", "amount": "0.60"}
        ],
        "total": "30.90",
        "receipts": null,
        "note": "-备用金"
    });
    let answer = Answer {
        person: &alice,
        in_audience: true,
        version: &v1,
        values: values.as_object().cloned().unwrap_or_default(),
        now_ms: NOW,
        offset_minutes: CST,
    };
    let Outcome::Created { submission, .. } =
        submit(&mut form, answer, Prior::Nothing, "s1").unwrap()
    else {
        panic!("created");
    };
    assert_eq!(submission.serial.as_deref(), Some("BX-20261130-0001"));
    let lines = detail(&v1, &submission, Lang::Zh, &Capitals);
    let total = lines.iter().find(|l| l.name == "total").unwrap();
    assert_eq!(
        (total.label.as_str(), total.text.as_str()),
        ("合计金额", "30.90")
    );
    assert_eq!(total.capitals.as_deref(), Some("叁拾元玖角"));
    assert_eq!(lines[0].text, "BX-20261130-0001");
    let stats = field_stats(&v1, std::slice::from_ref(&submission));
    let total = stats.iter().find(|s| s.name == "total").unwrap();
    let Summary::Amounts(a) = &total.summary else {
        panic!()
    };
    assert_eq!(a.sum, 3_090);
    let csv = answers_csv(
        &v1,
        std::slice::from_ref(&v1),
        std::slice::from_ref(&submission),
        &CsvOptions {
            lang: Lang::Zh,
            offset_minutes: CST,
            lookup: &Capitals,
        },
    );
    assert!(csv.contains("合计金额（大写）"), "{csv}");
    assert!(csv.contains(",30.90,叁拾元玖角,"), "{csv}");
    assert!(csv.contains(",'-备用金\r\n"), "{csv}");
}
