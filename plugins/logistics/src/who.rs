//! The acting person as the domain sees them ([`Viewer`]), and their language.

use courtyard_sdk::prelude::*;

use crate::domain::{Lang, Viewer};

pub struct Who {
    pub viewer: Viewer,
    pub lang: Lang,
    /// The organization the plugin runs for.
    pub org_id: String,
    pub group_id: Option<String>,
}

impl Who {
    pub fn of(ctx: &Context) -> Result<Who> {
        let lang = Lang::from_locale(ctx.locale());
        let actor = ctx.person()?;
        let home = ctx.actor_org().unwrap_or(&ctx.org_id).to_owned();
        let staff = home == ctx.org_id && !ctx.is_guest();
        Ok(Who {
            viewer: Viewer {
                person_id: actor.id.clone(),
                name: actor.display_name.clone(),
                org_id: home,
                staff,
                org_admin: staff && ctx.is_admin(),
                system: false,
            },
            lang,
            org_id: ctx.org_id.clone(),
            group_id: ctx.group_id.clone(),
        })
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
