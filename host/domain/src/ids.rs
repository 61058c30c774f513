//! Opaque identifiers. Every entity id is a UUIDv7 string: sortable by creation time, unique
//! across hosts without coordination, and meaningless to guess.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Wraps an id read from storage or the wire. Callers that take ids from the
            /// network validate them with `parse` first.
            pub fn from_trusted(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// Accepts only the canonical UUID text form, so malformed ids are rejected
            /// before they reach storage.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s)
                    .ok()
                    .filter(|u| u.hyphenated().to_string() == s)
                    .map(|_| Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// An organization: the tenant boundary.
    OrgId
);
id_type!(
    /// A person: staff member, admin or guest.
    PersonId
);
id_type!(
    /// A group of any kind: department, team, DM, shared group…
    GroupId
);
id_type!(
    /// A message, reply or feed post.
    MessageId
);
id_type!(
    /// An uploaded file; also its key in the object store.
    FileId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let id = PersonId::generate();
        assert_eq!(PersonId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn non_canonical_ids_are_rejected() {
        assert_eq!(OrgId::parse("nope"), None);
        assert_eq!(OrgId::parse("../../etc/passwd"), None);
        let upper = GroupId::generate().as_str().to_uppercase();
        assert_eq!(GroupId::parse(&upper), None);
    }
}
