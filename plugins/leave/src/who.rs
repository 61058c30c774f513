//! Who is acting, where and in which language: the plugin's own view of the SDK's
//! `Context`, so the flows can be run (and tested) without a host.

use courtyard_sdk::{Context, Error, Result};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Who {
    /// The acting person; `None` for schedules and timers.
    pub person: Option<(String, String)>,
    pub group_id: Option<String>,
    /// `en` or `zh-CN`.
    pub locale: String,
    /// An organization admin (HR).
    pub admin: bool,
    pub guest: bool,
}

impl Who {
    pub fn of(ctx: &Context) -> Who {
        Who {
            person: ctx
                .actor
                .as_ref()
                .map(|a| (a.id.clone(), a.display_name.clone())),
            group_id: ctx.group_id.clone(),
            locale: ctx.locale().to_owned(),
            admin: ctx.is_admin(),
            guest: ctx.is_guest(),
        }
    }

    pub fn zh(&self) -> bool {
        self.locale.starts_with("zh")
    }

    pub fn tr<T>(&self, en: T, zh: T) -> T {
        if self.zh() { zh } else { en }
    }

    /// The acting person's (id, name), or a user-facing error.
    pub fn person(&self) -> Result<(&str, &str)> {
        self.person
            .as_ref()
            .map(|(id, name)| (id.as_str(), name.as_str()))
            .ok_or_else(|| {
                Error::user(self.tr("This needs a signed-in person", "需要由已登录的用户操作"))
            })
    }

    pub fn id(&self) -> Option<&str> {
        self.person.as_ref().map(|(id, _)| id.as_str())
    }

    pub fn group(&self) -> Result<&str> {
        self.group_id
            .as_deref()
            .ok_or_else(|| Error::user(self.tr("This works inside a group only", "只能在群里使用")))
    }

    /// A user-facing error in the person's language.
    pub fn error(&self, en: impl Into<String>, zh: impl Into<String>) -> Error {
        let (en, zh) = (en.into(), zh.into());
        Error::user(if self.zh() { zh } else { en })
    }
}
