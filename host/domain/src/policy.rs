//! Who may see and do what. Every read path (lists, search, history, WebSocket, exports)
//! and every write path asks these functions; storage queries may narrow candidates first,
//! but the answer is decided here.
//!
//! **Invariant:** anything a person may not see is reported as "not found", never
//! "forbidden", so the existence of another organization's objects does not leak.

use crate::ids::{OrgId, PersonId};
use crate::model::{GroupKind, MemberRole, PersonStatus, Role};

/// The person making a request, as authentication established them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub role: Role,
}

impl Actor {
    pub fn is_guest(&self) -> bool {
        self.role == Role::Guest
    }

    pub fn is_platform_admin(&self) -> bool {
        self.role == Role::PlatformAdmin
    }

    /// Org admins administer their own organization; platform admins administer all.
    pub fn administers(&self, org: &OrgId) -> bool {
        match self.role {
            Role::PlatformAdmin => true,
            Role::OrgAdmin => &self.org_id == org,
            Role::Member | Role::Guest => false,
        }
    }
}

/// What is known about a group relative to one actor.
#[derive(Clone, Debug)]
pub struct GroupFacts<'a> {
    pub org_id: &'a OrgId,
    pub kind: GroupKind,
    pub archived: bool,
    /// The actor's membership role, if they are a member.
    pub membership: Option<MemberRole>,
}

/// The rights an actor holds on one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupRights {
    /// May know the group exists (name, kind, description).
    pub see: bool,
    /// May read messages and the member list.
    pub read: bool,
    /// May post, reply and react.
    pub post: bool,
    /// May join without an invitation.
    pub join: bool,
    /// May rename, archive and manage members.
    pub manage: bool,
}

pub fn group_rights(actor: &Actor, group: &GroupFacts<'_>) -> GroupRights {
    let home_admin = actor.administers(group.org_id) && group.kind != GroupKind::Direct;
    if let Some(role) = group.membership {
        let may_post = !group.archived
            && (group.kind != GroupKind::Announcement || role.can_manage() || home_admin);
        return GroupRights {
            see: true,
            read: true,
            post: may_post,
            join: false,
            manage: (role.can_manage() && group.kind != GroupKind::Direct) || home_admin,
        };
    }
    // Not a member. Guests and people of other organizations see nothing; cross-company
    // shared groups are reached through membership only.
    if actor.is_guest() || (&actor.org_id != group.org_id && !actor.is_platform_admin()) {
        return GroupRights::default();
    }
    GroupRights {
        see: group.kind.is_discoverable() || home_admin,
        read: false,
        post: false,
        join: group.kind.is_self_join() && !group.archived && &actor.org_id == group.org_id,
        manage: home_admin,
    }
}

/// Who may list a group's members: whoever reads it or manages it, and for a department
/// — the org chart, which the whole organization's staff sees in the directory — whoever
/// sees it.
pub fn can_list_members(rights: &GroupRights, kind: GroupKind) -> bool {
    rights.read || rights.manage || (kind == GroupKind::Department && rights.see)
}

/// What is known about a person relative to the actor looking at them.
#[derive(Clone, Debug)]
pub struct PersonFacts<'a> {
    pub person_id: &'a PersonId,
    pub org_id: &'a OrgId,
    /// Whether the two share at least one group (any kind, any organization).
    pub shares_group: bool,
}

/// Staff see their whole organization; guests and people of other organizations see only
/// those they share a group with.
pub fn can_see_person(actor: &Actor, person: &PersonFacts<'_>) -> bool {
    if &actor.person_id == person.person_id || actor.is_platform_admin() {
        return true;
    }
    if !actor.is_guest() && &actor.org_id == person.org_id {
        return true;
    }
    person.shares_group
}

/// Which organizations' directories an actor may search in full.
pub fn directory_scope(actor: &Actor) -> DirectoryScope {
    match actor.role {
        Role::PlatformAdmin => DirectoryScope::Everyone,
        Role::Guest => DirectoryScope::SharedGroupsOnly,
        Role::OrgAdmin | Role::Member => DirectoryScope::HomeOrgAndSharedGroups,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryScope {
    Everyone,
    HomeOrgAndSharedGroups,
    SharedGroupsOnly,
}

/// May the actor change another person's profile, role or status?
pub fn can_administer_person(actor: &Actor, target_org: &OrgId, target_role: Role) -> bool {
    if target_role == Role::PlatformAdmin {
        return actor.is_platform_admin();
    }
    actor.administers(target_org)
}

/// May the actor assign `role` to someone in `org`?
pub fn can_grant_role(actor: &Actor, org: &OrgId, role: Role) -> bool {
    match role {
        Role::PlatformAdmin => actor.is_platform_admin(),
        Role::OrgAdmin | Role::Member | Role::Guest => actor.administers(org),
    }
}

/// Sign-in is allowed for active accounts only.
pub fn may_sign_in(status: PersonStatus) -> bool {
    status == PersonStatus::Active
}

/// What is known about an uploaded file relative to one actor.
#[derive(Clone, Debug)]
pub struct FileFacts<'a> {
    pub org_id: &'a OrgId,
    pub uploaded_by: &'a PersonId,
    /// Whether the file was shared with the actor (by its uploader or a plugin).
    pub granted: bool,
}

/// Files are private: the uploader and the people it is shared with may read one. Nobody
/// else may, not even a platform or organization admin: administering a tenant is not a
/// licence to read its people's documents.
pub fn can_read_file(actor: &Actor, file: &FileFacts<'_>) -> bool {
    &actor.person_id == file.uploaded_by || file.granted
}

/// The uploader may delete a file, and so may an admin of the file's organization (to take
/// down what should not be there), without being able to read it.
pub fn can_delete_file(actor: &Actor, file: &FileFacts<'_>) -> bool {
    &actor.person_id == file.uploaded_by
        || (actor.role == Role::OrgAdmin && &actor.org_id == file.org_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: &OrgId) -> Actor {
        Actor {
            person_id: PersonId::generate(),
            org_id: org.clone(),
            role,
        }
    }

    fn facts(org: &OrgId, kind: GroupKind, membership: Option<MemberRole>) -> GroupFacts<'_> {
        GroupFacts {
            org_id: org,
            kind,
            archived: false,
            membership,
        }
    }

    #[test]
    fn guests_see_only_groups_they_belong_to() {
        let org = OrgId::generate();
        let guest = actor(Role::Guest, &org);
        for kind in GroupKind::ALL {
            assert_eq!(
                group_rights(&guest, &facts(&org, *kind, None)),
                GroupRights::default()
            );
            let member = group_rights(&guest, &facts(&org, *kind, Some(MemberRole::Member)));
            assert!(member.read);
        }
    }

    #[test]
    fn other_organizations_see_nothing_without_membership() {
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let admin_b = actor(Role::OrgAdmin, &b);
        for kind in GroupKind::ALL {
            assert_eq!(
                group_rights(&admin_b, &facts(&a, *kind, None)),
                GroupRights::default()
            );
        }
    }

    #[test]
    fn department_members_are_the_org_chart_of_its_staff() {
        let (org, other) = (OrgId::generate(), OrgId::generate());
        let lists = |who: &Actor, org: &OrgId, kind| {
            can_list_members(&group_rights(who, &facts(org, kind, None)), kind)
        };
        let member = actor(Role::Member, &org);
        assert!(lists(&member, &org, GroupKind::Department));
        for kind in [
            GroupKind::Team,
            GroupKind::Shared,
            GroupKind::Direct,
            GroupKind::Interest,
        ] {
            assert!(!lists(&member, &org, kind), "{kind:?}");
        }
        assert!(!lists(
            &actor(Role::Guest, &org),
            &org,
            GroupKind::Department
        ));
        assert!(!lists(
            &actor(Role::OrgAdmin, &other),
            &org,
            GroupKind::Department
        ));
    }

    #[test]
    fn staff_discover_public_kinds_but_read_only_as_members() {
        let org = OrgId::generate();
        let member = actor(Role::Member, &org);
        let interest = group_rights(&member, &facts(&org, GroupKind::Interest, None));
        assert!(interest.see && interest.join && !interest.read);
        let team = group_rights(&member, &facts(&org, GroupKind::Team, None));
        assert_eq!(team, GroupRights::default());
        let dept = group_rights(&member, &facts(&org, GroupKind::Department, None));
        assert!(dept.see && !dept.join);
    }

    #[test]
    fn announcements_are_written_by_managers_only() {
        let org = OrgId::generate();
        let member = actor(Role::Member, &org);
        let plain = group_rights(
            &member,
            &facts(&org, GroupKind::Announcement, Some(MemberRole::Member)),
        );
        assert!(plain.read && !plain.post);
        let owner = group_rights(
            &member,
            &facts(&org, GroupKind::Announcement, Some(MemberRole::Owner)),
        );
        assert!(owner.post);
    }

    #[test]
    fn archived_groups_are_read_only() {
        let org = OrgId::generate();
        let member = actor(Role::Member, &org);
        let mut f = facts(&org, GroupKind::Team, Some(MemberRole::Owner));
        f.archived = true;
        let rights = group_rights(&member, &f);
        assert!(rights.read && !rights.post);
    }

    #[test]
    fn org_admins_cannot_read_direct_messages() {
        let org = OrgId::generate();
        let admin = actor(Role::OrgAdmin, &org);
        let dm = group_rights(&admin, &facts(&org, GroupKind::Direct, None));
        assert_eq!(dm, GroupRights::default());
    }

    #[test]
    fn person_visibility() {
        let (a, b) = (OrgId::generate(), OrgId::generate());
        let someone = PersonId::generate();
        let in_a = PersonFacts {
            person_id: &someone,
            org_id: &a,
            shares_group: false,
        };
        assert!(can_see_person(&actor(Role::Member, &a), &in_a));
        assert!(!can_see_person(&actor(Role::Guest, &a), &in_a));
        assert!(!can_see_person(&actor(Role::OrgAdmin, &b), &in_a));
        let shared = PersonFacts {
            shares_group: true,
            ..in_a
        };
        assert!(can_see_person(&actor(Role::Guest, &a), &shared));
        assert!(can_see_person(&actor(Role::Member, &b), &shared));
    }

    #[test]
    fn only_platform_admins_make_platform_admins() {
        let org = OrgId::generate();
        assert!(!can_grant_role(
            &actor(Role::OrgAdmin, &org),
            &org,
            Role::PlatformAdmin
        ));
        assert!(can_grant_role(
            &actor(Role::OrgAdmin, &org),
            &org,
            Role::Guest
        ));
        assert!(!can_grant_role(
            &actor(Role::OrgAdmin, &OrgId::generate()),
            &org,
            Role::Member
        ));
    }

    #[test]
    fn files_are_private_to_uploader_and_grantees() {
        let org = OrgId::generate();
        let other = OrgId::generate();
        let owner = actor(Role::Member, &org);
        let facts = |granted| FileFacts {
            org_id: &org,
            uploaded_by: &owner.person_id,
            granted,
        };
        assert!(can_read_file(&owner, &facts(false)));
        assert!(can_delete_file(&owner, &facts(false)));
        let colleague = actor(Role::Member, &org);
        assert!(!can_read_file(&colleague, &facts(false)));
        assert!(can_read_file(&colleague, &facts(true)));
        assert!(!can_delete_file(&colleague, &facts(true)));
        // Admins may take a file down in their own organization, but never read it unasked.
        let admin = actor(Role::OrgAdmin, &org);
        assert!(!can_read_file(&admin, &facts(false)));
        assert!(can_delete_file(&admin, &facts(false)));
        let foreign_admin = actor(Role::OrgAdmin, &other);
        assert!(!can_delete_file(&foreign_admin, &facts(false)));
        let platform = actor(Role::PlatformAdmin, &other);
        assert!(!can_read_file(&platform, &facts(false)));
        assert!(!can_delete_file(&platform, &facts(false)));
    }
}
