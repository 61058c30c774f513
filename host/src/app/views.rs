//! What the API returns: wire types converted by hand from storage rows, so storage and the
//! domain can change without changing the contract. Each derives `ToSchema` for OpenAPI.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::groups::{GroupWithRole, MemberRow};
use crate::store::orgs::OrgRow;
use crate::store::people::PersonRow;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub read_receipts_enabled: bool,
    pub anonymous_posts_enabled: bool,
    pub created_at: i64,
    /// IANA time zone; scheduled plugin jobs run in it.
    pub time_zone: String,
    /// Messages older than this many days are deleted (groups under legal hold excepted);
    /// `null` keeps them forever.
    pub message_retention_days: Option<i64>,
}

impl From<OrgRow> for OrgView {
    fn from(r: OrgRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            slug: r.slug,
            read_receipts_enabled: r.read_receipts_enabled,
            anonymous_posts_enabled: r.anonymous_posts_enabled,
            created_at: r.created_at,
            time_zone: r.time_zone,
            message_retention_days: r.message_retention_days,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    pub title: String,
    pub department_id: Option<String>,
    pub phone: String,
    pub avatar_url: String,
    /// The partner company a guest comes from.
    pub company: String,
    /// `platform_admin`, `org_admin`, `member` or `guest`.
    pub role: String,
    /// `active` or `disabled`.
    pub status: String,
    pub created_at: i64,
}

impl From<PersonRow> for PersonView {
    fn from(r: PersonRow) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            email: r.email,
            display_name: r.display_name,
            title: r.title,
            department_id: r.department_id,
            phone: r.phone,
            avatar_url: r.avatar_url,
            company: r.company,
            role: r.role,
            status: r.status,
            created_at: r.created_at,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub org_id: String,
    /// `department`, `team`, `interest`, `announcement`, `direct` or `shared`.
    pub kind: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub head_id: Option<String>,
    pub archived: bool,
    /// Spans organizations (a cross-company shared group).
    pub external: bool,
    /// The viewer's role in the group, if a member.
    pub my_role: Option<String>,
    pub member_count: i64,
    pub created_at: i64,
    /// Top-level messages the viewer has not read, up to 500 (in the group list; 0
    /// elsewhere).
    #[serde(default)]
    pub unread_count: i64,
    /// Of the unread messages, those mentioning the viewer or everyone.
    #[serde(default)]
    pub unread_mentions: i64,
}

impl From<GroupWithRole> for GroupView {
    fn from(r: GroupWithRole) -> Self {
        let g = r.group;
        Self {
            external: g.kind == "shared",
            id: g.id,
            org_id: g.org_id,
            kind: g.kind,
            name: g.name,
            description: g.description,
            parent_id: g.parent_id,
            head_id: g.head_id,
            archived: g.archived,
            my_role: r.my_role,
            member_count: r.member_count,
            created_at: g.created_at,
            unread_count: 0,
            unread_mentions: 0,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub person_id: String,
    pub display_name: String,
    pub org_id: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    pub guest: bool,
    pub joined_at: i64,
}

impl From<MemberRow> for MemberView {
    fn from(r: MemberRow) -> Self {
        Self {
            guest: r.person_role == "guest",
            person_id: r.person_id,
            display_name: r.display_name,
            org_id: r.org_id,
            role: r.role,
            joined_at: r.joined_at,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DepartmentNode {
    pub id: String,
    pub name: String,
    pub head_id: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<DepartmentNode>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PartnerView {
    pub group_id: String,
    pub group_name: String,
    pub host_org_id: String,
    /// The inviting organization's name (in an organization's list of invitations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_org_name: Option<String>,
    pub org_id: String,
    /// `invited`, `accepted` or `declined`.
    pub status: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub display_name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReactionView {
    pub emoji: String,
    pub count: usize,
    pub person_ids: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PinView {
    pub by: String,
    pub at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    /// Position in the event log; orders messages and read receipts.
    pub seq: i64,
    pub group_id: String,
    /// `chat` or `post` (a feed post, whose replies are its comments).
    pub kind: String,
    /// Absent for anonymous posts and deleted messages.
    pub author: Option<PersonRef>,
    pub anonymous: bool,
    pub thread_root_id: Option<String>,
    /// The source text (markup); empty once deleted.
    pub body: String,
    /// The body parsed into safe segments for rendering.
    #[schema(value_type = Vec<Object>)]
    pub segments: serde_json::Value,
    pub mentions: Vec<String>,
    pub mentions_all: bool,
    pub reply_count: i64,
    pub reactions: Vec<ReactionView>,
    pub burn_after_secs: Option<i64>,
    /// When a burn-after-read message will be deleted (set once the recipient reads it).
    pub burn_at: Option<i64>,
    pub pinned: Option<PinView>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    /// The plugin that posted this message, if a plugin did.
    pub plugin_id: Option<String>,
    /// A plugin card: `{title, blocks: [...]}` (text, fields, badge, table, image, buttons,
    /// divider), rendered by clients.
    #[schema(value_type = Option<Object>)]
    pub card: Option<serde_json::Value>,
    /// Set when only some of the group see the message (a plugin's card for the parties of
    /// a shipment, say, and its thread): their person ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<String>>,
    /// Files attached to the message; whoever may read the message may download them
    /// (`GET /api/v1/files/{id}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
    /// The incoming webhook that posted the message (it has no author then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BotRef {
    /// The webhook's id.
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptsView {
    pub message_id: String,
    pub read: Vec<PersonRef>,
    pub unread: Vec<PersonRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// Bearer token for the `Authorization` header (also set as an HttpOnly cookie).
    pub token: String,
    /// Send as `X-CSRF-Token` on unsafe requests authenticated by the cookie.
    pub csrf_token: String,
    pub expires_at: Option<i64>,
    pub person: PersonView,
}

/// The session a request came with (`GET /api/v1/auth/session`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CurrentSessionView {
    /// Send as `X-CSRF-Token` on unsafe requests authenticated by the cookie.
    pub csrf_token: String,
    /// `session` (signed in with a password) or `token` (personal access token).
    pub kind: String,
    pub person: PersonView,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: i64,
    /// Only present in the response that created it.
    pub token: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventsPage {
    /// Events in position order, each `{seq, type, group_id, at, data}`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
    /// The position to ask from next time.
    pub next_since: i64,
    /// True when more events are waiting beyond this page.
    pub more: bool,
}
