//! The host forms this plugin hands out besides the forms people design: the form ids a
//! rendered form is submitted under, and the "publish" form `/form new` answers with.

use courtyard_sdk::prelude::*;
use courtyard_sdk::time::format_datetime;
use serde::Deserialize;

use crate::domain::{Lang, Settings};
use crate::store::Stored;

/// A rendered form answered (its value is `{form}:{version}`).
pub const ANSWER: &str = "answer";
/// A rendered form saved as a draft.
pub const DRAFT: &str = "draft";
/// The settings a new form is published with (its value is the form id).
pub const PUBLISH: &str = "publish";

/// `YYYY-MM-DDTHH:MM`, what a `datetime` field holds, in the organization's time zone.
pub fn local_input(ms: i64) -> String {
    format_datetime(ms).replacen(' ', "T", 1)
}

/// How to publish a form just made from a template: its deadline and answering rules, for
/// the group the command was run in.
pub fn publish_form(s: &Stored, lang: Lang) -> Form {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_owned();
    let settings = &s.form.settings;
    let mut deadline = Field::datetime("deadline", t("Deadline", "截止时间")).help(t(
        "Leave empty for no deadline. Answers are refused after it.",
        "留空表示不设截止时间；截止后不再接受填写。",
    ));
    if let Some(d) = settings.deadline_ms {
        deadline = deadline.default(local_input(d));
    }
    let mut form = Form::new(
        PUBLISH,
        format!("{} “{}”", t("Publish", "发布"), s.form.title.get(lang)),
    )
    .field(deadline)
    .field(
        Field::checkbox(
            "repeatable",
            t(
                "Several answers per person (a daily report)",
                "每人可提交多次（如日报）",
            ),
        )
        .default(settings.repeatable),
    );
    if settings.anonymous {
        form = form.field(
            Field::text("anonymous", t("Anonymous", "匿名"))
                .read_only()
                .default(t(
                    "Yes: answers are not linked to people",
                    "是：答案不与填写人关联",
                )),
        );
    } else {
        form = form.field(
            Field::checkbox(
                "editable",
                t(
                    "People may change their answers until the deadline",
                    "截止前允许修改答案",
                ),
            )
            .default(settings.editable),
        );
    }
    form.value(s.form.id.clone())
        .submit_label(t("Publish", "发布"))
}

#[derive(Debug, Deserialize)]
pub struct PublishValues {
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub repeatable: bool,
    #[serde(default)]
    pub editable: bool,
}

impl PublishValues {
    /// The settings to publish with; the deadline as an instant.
    pub fn settings(&self, current: &Settings) -> Result<Settings> {
        let deadline_ms = match self.deadline.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(courtyard_sdk::time::parse_datetime(text)?),
        };
        Ok(Settings {
            audience: current.audience.clone(),
            deadline_ms,
            repeatable: self.repeatable,
            editable: self.editable && !current.anonymous,
            anonymous: current.anonymous,
        })
    }
}
