//! Courtyard's domain model: identifiers, roles, group kinds, limits and the policy functions
//! that every read and write path asks. Nothing here knows about HTTP, SQL or async.

pub mod ids;
pub mod limits;
pub mod markup;
pub mod message_search;
pub mod model;
pub mod policy;
pub mod search;

pub use ids::{FileId, GroupId, MessageId, OrgId, PersonId};
pub use model::{GroupKind, MemberRole, PersonStatus, Role};
