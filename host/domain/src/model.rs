//! Plain enums of the domain with their stable wire/storage names.

use serde::{Deserialize, Serialize};

macro_rules! str_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(
    /// A person's role within their home organization.
    Role {
        PlatformAdmin => "platform_admin",
        OrgAdmin => "org_admin",
        Member => "member",
        Guest => "guest",
    }
);

str_enum!(
    /// Whether a person may sign in.
    PersonStatus {
        Active => "active",
        Disabled => "disabled",
    }
);

str_enum!(
    /// What a group is for; decides who can discover and join it.
    GroupKind {
        Department => "department",
        Team => "team",
        Interest => "interest",
        Announcement => "announcement",
        Direct => "direct",
        Shared => "shared",
    }
);

str_enum!(
    /// A member's role inside one group.
    MemberRole {
        Owner => "owner",
        Admin => "admin",
        Member => "member",
    }
);

str_enum!(
    /// What a message is: a chat line (possibly a thread reply) or a feed post (whose replies
    /// are its comments).
    MessageKind {
        Chat => "chat",
        Post => "post",
    }
);

str_enum!(
    /// A partner organization's standing in a cross-company shared group.
    PartnerStatus {
        Invited => "invited",
        Accepted => "accepted",
        Declined => "declined",
    }
);

impl Role {
    pub fn is_admin_of_org(self) -> bool {
        matches!(self, Role::OrgAdmin | Role::PlatformAdmin)
    }
}

impl MemberRole {
    pub fn can_manage(self) -> bool {
        matches!(self, MemberRole::Owner | MemberRole::Admin)
    }
}

impl GroupKind {
    /// Kinds that any staff member of the owning organization may see listed.
    pub fn is_discoverable(self) -> bool {
        matches!(
            self,
            GroupKind::Department | GroupKind::Interest | GroupKind::Announcement
        )
    }

    /// Kinds a staff member may join on their own.
    pub fn is_self_join(self) -> bool {
        matches!(self, GroupKind::Interest | GroupKind::Announcement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        for k in GroupKind::ALL {
            assert_eq!(GroupKind::parse(k.as_str()), Some(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(GroupKind::parse("Team"), None);
    }
}
