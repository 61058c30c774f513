//! The acting person as the forms plugin sees them, and their language.

use courtyard_sdk::prelude::*;

use crate::domain::{Lang, PersonRef};

#[derive(Clone, Debug)]
pub struct Who {
    pub id: String,
    pub name: String,
    pub lang: Lang,
    /// An organization admin of the plugin's organization (may manage every form).
    pub admin: bool,
    /// A member of the plugin's organization (not a guest, not a partner's person): may
    /// design forms unless the group's settings keep that to admins.
    pub staff: bool,
    /// The organization the plugin runs for.
    pub org_id: String,
    pub group_id: Option<String>,
    /// The group's `creators` setting: `admins` keeps designing forms to admins.
    pub admins_only: bool,
}

impl Who {
    pub fn of(ctx: &Context) -> Result<Who> {
        let actor = ctx.person()?;
        let staff = !ctx.is_partner() && !ctx.is_guest();
        Ok(Who {
            id: actor.id.clone(),
            name: actor.display_name.clone(),
            lang: Lang::from_locale(ctx.locale()),
            admin: staff && ctx.is_admin(),
            staff,
            org_id: ctx.org_id.clone(),
            group_id: ctx.group_id.clone(),
            admins_only: ctx
                .setting("creators")
                .and_then(|v| v.as_str())
                .is_some_and(|v| v == "admins"),
        })
    }

    pub fn person(&self) -> PersonRef {
        PersonRef::new(self.id.clone(), self.name.clone())
    }

    /// Whether the person may design forms here.
    pub fn may_create(&self) -> bool {
        self.admin || (self.staff && !self.admins_only)
    }

    pub fn tr(&self, en: impl Into<String>, zh: impl Into<String>) -> String {
        if self.lang.is_zh() {
            zh.into()
        } else {
            en.into()
        }
    }

    pub fn error(&self, en: impl Into<String>, zh: impl Into<String>) -> Error {
        Error::user(self.tr(en, zh))
    }
}
