//! Helpers for the tests of this domain.

use serde_json::{Map, Value};

use super::definition::{Audience, Definition, Field, Form, Kind, PersonRef, Settings, Version};
use super::lang::Text;
use super::submission::{Answer, Submission, SubmissionStatus};
use super::time::{DAY_MS, Date, HOUR_MS};

/// 2026-11-30 10:00 at UTC+8 (02:00 UTC).
pub const NOW: i64 = 20_787 * DAY_MS + 2 * HOUR_MS;
/// China Standard Time.
pub const CST: i32 = 480;

#[test]
fn now_is_what_it_says() {
    assert_eq!(super::time::format_local(NOW, CST), "2026-11-30 10:00");
    assert_eq!(Date::from_days(20_787).to_string(), "2026-11-30");
}

pub fn person(id: &str, name: &str) -> PersonRef {
    PersonRef::new(id, name)
}

pub fn text(en: &str, zh: &str) -> Text {
    Text::new(en, zh)
}

pub fn field(name: &str, kind: Kind) -> Field {
    Field::new(
        name,
        Text::new(name.to_uppercase(), format!("字段{name}")),
        kind,
    )
}

pub fn definition(fields: Vec<Field>) -> Definition {
    Definition {
        title: text("Survey", "调查"),
        description: Text::default(),
        fields,
    }
}

pub fn settings() -> Settings {
    Settings {
        audience: Audience {
            groups: vec!["g1".into()],
            people: vec![],
        },
        ..Settings::default()
    }
}

/// A published form with `def` as version 1.
pub fn published(def: &Definition, settings: Settings) -> (Form, Version) {
    let mut form = Form::new(
        "f1",
        person("owner", "Owner"),
        def.title.clone(),
        settings,
        NOW - DAY_MS,
    );
    let v = form
        .publish(def, None, "owner", NOW - DAY_MS, CST)
        .expect("publishes")
        .expect("a first version");
    (form, v)
}

pub fn values(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn answer<'a>(who: &'a PersonRef, version: &'a Version, v: Value, now_ms: i64) -> Answer<'a> {
    Answer {
        person: who,
        in_audience: true,
        version,
        values: values(v),
        now_ms,
        offset_minutes: CST,
    }
}

/// A submitted answer to version `version` of form `f1`.
pub fn submitted(id: &str, version: u32, who: Option<&str>, v: Value, at: i64) -> Submission {
    Submission {
        id: id.into(),
        form_id: "f1".into(),
        version,
        respondent: who.map(|w| person(w, &format!("Name {w}"))),
        values: values(v),
        serial: Some(format!("F-{id}")),
        status: SubmissionStatus::Submitted,
        created_at_ms: at,
        submitted_at_ms: Some(at),
        updated_at_ms: at,
        edits: 0,
    }
}
