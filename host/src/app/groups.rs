//! Groups: departments, teams, interest groups, announcement channels, direct messages and
//! cross-company shared groups; membership and partner organizations.

use std::collections::HashMap;

use courtyard_domain::limits::{MAX_DM_MEMBERS, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use courtyard_domain::model::PartnerStatus;
use courtyard_domain::policy::{self, GroupFacts, GroupRights};
use courtyard_domain::{GroupId, GroupKind, MemberRole, OrgId, PersonId, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Auth;
use super::people::membership_event;
use super::views::{DepartmentNode, GroupView, MemberView, PartnerView};
use super::{App, AppError, OrNotFound, Result, check_name, check_text, parse_id};
use crate::store::events::EventDraft;
use crate::store::groups::{self, GroupRow, GroupWithRole, PartnerRow};
use crate::store::people::{self, PersonRow};
use crate::store::{StoreError, now_millis, orgs};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// `department`, `team`, `interest`, `announcement` or `shared` (direct messages are
    /// opened with `POST /api/v1/direct`).
    #[schema(pattern = "^(department|team|interest|announcement|shared)$")]
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    /// Defaults to the creator's organization; platform admins may name another.
    pub org_id: Option<String>,
    /// Departments only: the parent department.
    pub parent_id: Option<String>,
    /// Departments only: the department head.
    pub head_id: Option<String>,
    /// People to add as members right away.
    #[serde(default)]
    pub member_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::people::double_option")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::people::double_option")]
    #[schema(value_type = Option<String>)]
    pub head_id: Option<Option<String>>,
    pub archived: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub person_id: String,
    /// `owner`, `admin` or `member` (default).
    #[schema(pattern = "^(owner|admin|member)$")]
    pub role: Option<String>,
}

/// A group as one actor sees it, with the rights they hold.
pub(crate) struct Seen {
    pub row: GroupWithRole,
    pub rights: GroupRights,
    pub id: GroupId,
    pub org: OrgId,
    pub kind: GroupKind,
}

fn rights_for(auth: &Auth, row: &GroupWithRole) -> (GroupRights, OrgId, GroupKind) {
    let org = OrgId::from_trusted(row.group.org_id.clone());
    let kind = GroupKind::parse(&row.group.kind).unwrap_or(GroupKind::Team);
    let membership = row.my_role.as_deref().and_then(MemberRole::parse);
    let facts = GroupFacts {
        org_id: &org,
        kind,
        archived: row.group.archived,
        membership,
    };
    (policy::group_rights(&auth.actor, &facts), org, kind)
}

impl App {
    /// Loads a group and the actor's rights; groups they may not see are not found.
    pub(crate) async fn seen_group(&self, auth: &Auth, raw_id: &str) -> Result<Seen> {
        let id = parse_id("group", raw_id, GroupId::parse)?;
        let row = groups::get(&self.store.read, &id, &auth.actor.person_id)
            .await
            .or_not_found("group")?;
        let (rights, org, kind) = rights_for(auth, &row);
        if !rights.see {
            return Err(AppError::NotFound("group"));
        }
        Ok(Seen {
            row,
            rights,
            id,
            org,
            kind,
        })
    }

    pub async fn create_group(&self, auth: &Auth, input: CreateGroup) -> Result<GroupView> {
        let kind = GroupKind::parse(&input.kind)
            .filter(|k| *k != GroupKind::Direct)
            .ok_or_else(|| {
                AppError::invalid(
                    "invalid_kind",
                    "kind must be department, team, interest, announcement or shared",
                )
            })?;
        let org = match &input.org_id {
            Some(o) => parse_id("organization", o, OrgId::parse)?,
            None => auth.actor.org_id.clone(),
        };
        if org != auth.actor.org_id && !auth.actor.is_platform_admin() {
            return Err(AppError::NotFound("organization"));
        }
        orgs::get(&self.store.read, &org)
            .await
            .or_not_found("organization")?;
        if auth.actor.is_guest() {
            return Err(AppError::Forbidden("guests cannot create groups"));
        }
        let admin_only = matches!(kind, GroupKind::Department | GroupKind::Shared);
        if admin_only && !auth.actor.administers(&org) {
            return Err(AppError::Forbidden(
                "only organization admins create departments and shared groups",
            ));
        }
        let name = check_name("name", &input.name, MAX_NAME_CHARS)?;
        let description = check_text(
            "description",
            input.description.as_deref().unwrap_or(""),
            MAX_TEXT_CHARS,
        )?;
        let mut parent_id = None;
        let mut head = None;
        if kind == GroupKind::Department {
            if let Some(p) = &input.parent_id {
                parent_id = Some(self.department_of(&org, p).await?.into_string());
            }
            if let Some(h) = &input.head_id {
                head = Some(self.person_in_org(&org, h).await?);
            }
        } else if input.parent_id.is_some() || input.head_id.is_some() {
            return Err(AppError::invalid(
                "invalid_field",
                "parent_id and head_id apply to departments only",
            ));
        }
        let mut members = Vec::new();
        for raw in &input.member_ids {
            let person = self.visible_person(auth, raw).await?;
            if person.org_id != org.as_str() {
                return Err(AppError::invalid(
                    "cross_org_member",
                    "people of other organizations join shared groups through their own admins",
                ));
            }
            if !members.iter().any(|m: &PersonRow| m.id == person.id) {
                members.push(person);
            }
        }
        if members.len() > 1000 {
            return Err(AppError::invalid(
                "too_many_members",
                "add at most 1000 members at once",
            ));
        }
        let row = GroupRow {
            id: GroupId::generate().into_string(),
            org_id: org.as_str().to_owned(),
            kind: kind.as_str().to_owned(),
            name,
            description,
            parent_id,
            head_id: head.as_ref().map(|h| h.id.clone()),
            direct_key: None,
            archived: false,
            created_by: auth.actor.person_id.as_str().to_owned(),
            created_at: now_millis(),
        };
        // The creator owns what they create, except departments, which admins run without
        // being members; a department head is a member.
        let creator = (kind != GroupKind::Department).then(|| auth.person.clone());
        let mut initial: Vec<(PersonRow, MemberRole)> = Vec::new();
        if let Some(c) = creator {
            initial.push((c, MemberRole::Owner));
        }
        if let Some(h) = head {
            initial.push((h, MemberRole::Admin));
        }
        for m in members {
            if !initial.iter().any(|(p, _)| p.id == m.id) {
                initial.push((m, MemberRole::Member));
            }
        }
        let view = self
            .insert_group(row, initial, &auth.actor.person_id)
            .await?;
        self.audited(
            auth,
            &view.org_id,
            "group.created",
            &view.id,
            serde_json::json!({"kind": view.kind, "name": view.name}),
        )
        .await;
        Ok(view)
    }

    /// Stores a new group with its first members; the view is the one `viewer` gets.
    async fn insert_group(
        &self,
        row: GroupRow,
        members: Vec<(PersonRow, MemberRole)>,
        viewer: &PersonId,
    ) -> Result<GroupView> {
        let stored = row.clone();
        let count = members.len() as i64;
        // The creator is not always a member (an admin creating a department with a head).
        let viewer_role = members
            .iter()
            .find(|(p, _)| p.id == viewer.as_str())
            .map(|(_, r)| r.as_str().to_owned());
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    groups::insert(tx, &stored).await?;
                    let gid = GroupId::from_trusted(stored.id.clone());
                    for (person, role) in &members {
                        groups::add_member(
                            tx,
                            &gid,
                            &PersonId::from_trusted(person.id.clone()),
                            role.as_str(),
                        )
                        .await?;
                        tx.emit(membership_event(person, &gid, true)).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        Ok(GroupWithRole {
            group: row,
            my_role: viewer_role,
            member_count: count,
        }
        .into())
    }

    async fn department_of(&self, org: &OrgId, raw: &str) -> Result<GroupId> {
        let id = parse_id("department", raw, GroupId::parse)?;
        let g = groups::get(&self.store.read, &id, &PersonId::from_trusted(""))
            .await
            .or_not_found("department")?;
        if g.group.org_id != org.as_str() || g.group.kind != "department" {
            return Err(AppError::NotFound("department"));
        }
        Ok(id)
    }

    async fn person_in_org(&self, org: &OrgId, raw: &str) -> Result<PersonRow> {
        let id = parse_id("person", raw, PersonId::parse)?;
        let p = people::get(&self.store.read, &id)
            .await
            .or_not_found("person")?;
        if p.org_id != org.as_str() {
            return Err(AppError::NotFound("person"));
        }
        Ok(p)
    }

    pub async fn get_group(&self, auth: &Auth, id: &str) -> Result<GroupView> {
        Ok(self.seen_group(auth, id).await?.row.into())
    }

    /// Every group of an organization except direct conversations, for its admins (the
    /// console chooses where to enable a plugin from these).
    pub async fn org_groups(&self, auth: &Auth, org_id: &str) -> Result<Vec<GroupView>> {
        let org = self.administered_org(auth, org_id)?;
        let rows = groups::of_org(&self.store.read, &auth.actor.person_id, &org).await?;
        Ok(rows.into_iter().map(GroupView::from).collect())
    }

    /// The groups the actor belongs to, plus (for staff) the discoverable ones of their
    /// organization.
    pub async fn list_groups(&self, auth: &Auth) -> Result<Vec<GroupView>> {
        let candidates = groups::list_visible_candidates(
            &self.store.read,
            &auth.actor.person_id,
            &auth.actor.org_id,
            !auth.actor.is_guest(),
        )
        .await?;
        let unread: std::collections::HashMap<String, groups::UnreadRow> =
            groups::unread_counts(&self.store.read, &auth.actor.person_id)
                .await?
                .into_iter()
                .map(|row| (row.group_id.clone(), row))
                .collect();
        Ok(candidates
            .into_iter()
            .filter(|row| rights_for(auth, row).0.see)
            .map(|row| {
                let mut view = GroupView::from(row);
                if let Some(u) = unread.get(&view.id) {
                    view.unread_count = u.unread;
                    view.unread_mentions = u.mentions;
                }
                view
            })
            .collect())
    }

    pub async fn update_group(
        &self,
        auth: &Auth,
        id: &str,
        input: UpdateGroup,
    ) -> Result<GroupView> {
        let seen = self.seen_group(auth, id).await?;
        if !seen.rights.manage {
            return Err(AppError::Forbidden(
                "only the group's owners and admins change it",
            ));
        }
        let mut row = seen.row.group.clone();
        if let Some(n) = &input.name {
            row.name = check_name("name", n, MAX_NAME_CHARS)?;
        }
        if let Some(d) = &input.description {
            row.description = check_text("description", d, MAX_TEXT_CHARS)?;
        }
        if input.parent_id.is_some() || input.head_id.is_some() {
            if seen.kind != GroupKind::Department {
                return Err(AppError::invalid(
                    "invalid_field",
                    "parent_id and head_id apply to departments only",
                ));
            }
            if !auth.actor.administers(&seen.org) {
                return Err(AppError::Forbidden(
                    "only organization admins reshape departments",
                ));
            }
        }
        if let Some(parent) = &input.parent_id {
            row.parent_id = match parent {
                Some(p) => {
                    let pid = self.department_of(&seen.org, p).await?;
                    self.refuse_cycle(&seen.org, &seen.id, &pid).await?;
                    Some(pid.into_string())
                }
                None => None,
            };
        }
        if let Some(head) = &input.head_id {
            row.head_id = match head {
                Some(h) => Some(self.person_in_org(&seen.org, h).await?.id),
                None => None,
            };
        }
        if let Some(a) = input.archived {
            row.archived = a;
        }
        let stored = row.clone();
        let event = group_event(&row, "group.updated");
        let renamed_department =
            seen.kind == GroupKind::Department && row.name != seen.row.group.name;
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    groups::update(tx, &stored).await?;
                    if renamed_department {
                        // People are found by their department's name too.
                        people::reindex_department(tx, &stored.id, &stored.name).await?;
                    }
                    tx.emit(event).await?;
                    Ok(())
                })
            })
            .await?;
        let view: GroupView = GroupWithRole {
            group: row,
            ..seen.row
        }
        .into();
        self.audited(
            auth,
            &view.org_id,
            "group.updated",
            &view.id,
            serde_json::json!({
                "kind": view.kind, "name": view.name, "archived": view.archived,
                "parent_id": view.parent_id, "head_id": view.head_id,
            }),
        )
        .await;
        Ok(view)
    }

    /// A department may not become its own ancestor.
    async fn refuse_cycle(&self, org: &OrgId, dept: &GroupId, new_parent: &GroupId) -> Result<()> {
        let all = groups::departments(&self.store.read, org).await?;
        let parents: HashMap<&str, Option<&str>> = all
            .iter()
            .map(|d| (d.id.as_str(), d.parent_id.as_deref()))
            .collect();
        let mut cursor = Some(new_parent.as_str());
        let mut steps = 0;
        while let Some(c) = cursor {
            if c == dept.as_str() || steps > all.len() {
                return Err(AppError::invalid(
                    "department_cycle",
                    "a department cannot be placed under itself",
                ));
            }
            cursor = parents.get(c).copied().flatten();
            steps += 1;
        }
        Ok(())
    }

    pub async fn department_tree(&self, auth: &Auth, org_id: &str) -> Result<Vec<DepartmentNode>> {
        let org = parse_id("organization", org_id, OrgId::parse)?;
        let staff = !auth.actor.is_guest() && auth.actor.org_id == org;
        if !(staff || auth.actor.is_platform_admin()) {
            return Err(AppError::NotFound("organization"));
        }
        let all = groups::departments(&self.store.read, &org).await?;
        let mut children: HashMap<Option<String>, Vec<&GroupRow>> = HashMap::new();
        for d in &all {
            children.entry(d.parent_id.clone()).or_default().push(d);
        }
        fn build(
            parent: Option<String>,
            children: &HashMap<Option<String>, Vec<&GroupRow>>,
            depth: usize,
        ) -> Vec<DepartmentNode> {
            if depth > 64 {
                return Vec::new();
            }
            children
                .get(&parent)
                .map(|list| {
                    list.iter()
                        .map(|d| DepartmentNode {
                            id: d.id.clone(),
                            name: d.name.clone(),
                            head_id: d.head_id.clone(),
                            children: build(Some(d.id.clone()), children, depth + 1),
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        Ok(build(None, &children, 0))
    }

    pub async fn list_members(&self, auth: &Auth, id: &str) -> Result<Vec<MemberView>> {
        let seen = self.seen_group(auth, id).await?;
        if !policy::can_list_members(&seen.rights, seen.kind) {
            return Err(AppError::NotFound("group"));
        }
        let rows = groups::members(&self.store.read, &seen.id).await?;
        Ok(rows.into_iter().map(MemberView::from).collect())
    }

    /// Adds someone. Group managers add people of the group's organization (and of accepted
    /// partner organizations); a partner organization's admin adds their own people.
    pub async fn add_member(
        &self,
        auth: &Auth,
        group_id: &str,
        input: AddMember,
    ) -> Result<MemberView> {
        let id = parse_id("group", group_id, GroupId::parse)?;
        let row = groups::get(&self.store.read, &id, &auth.actor.person_id)
            .await
            .or_not_found("group")?;
        let (rights, org, kind) = rights_for(auth, &row);
        let partners = groups::partners(&self.store.read, &id).await?;
        let accepted = |o: &str| {
            partners
                .iter()
                .any(|p| p.org_id == o && p.status == PartnerStatus::Accepted.as_str())
        };
        let partner_admin = kind == GroupKind::Shared
            && accepted(auth.actor.org_id.as_str())
            && auth.actor.administers(&auth.actor.org_id);
        if !rights.see && !partner_admin {
            return Err(AppError::NotFound("group"));
        }
        if kind == GroupKind::Direct {
            return Err(AppError::invalid(
                "direct_fixed",
                "direct conversations keep their members; start a new one",
            ));
        }
        if row.group.archived {
            return Err(AppError::invalid("archived", "the group is archived"));
        }
        let person = self.visible_person(auth, &input.person_id).await?;
        let allowed = if rights.manage {
            person.org_id == org.as_str() || (kind == GroupKind::Shared && accepted(&person.org_id))
        } else {
            partner_admin && person.org_id == auth.actor.org_id.as_str()
        };
        if !allowed {
            return Err(AppError::Forbidden(
                "you may not add this person to this group",
            ));
        }
        let role = match input.role.as_deref() {
            None => MemberRole::Member,
            Some(r) => MemberRole::parse(r).ok_or_else(|| {
                AppError::invalid("invalid_role", "role must be owner, admin or member")
            })?,
        };
        if role != MemberRole::Member && !rights.manage {
            return Err(AppError::Forbidden("only group managers give roles"));
        }
        let (view, added) = self.put_member(&id, &person, role).await?;
        if added {
            self.member_event(auth, &org, &id, &view, "member.joined");
        }
        Ok(view)
    }

    /// Tells the group's plugins about a membership change.
    fn member_event(
        &self,
        auth: &Auth,
        org: &OrgId,
        group: &GroupId,
        member: &MemberView,
        kind: &'static str,
    ) {
        let mut data = serde_json::to_value(member).unwrap_or_default();
        data["group_id"] = group.as_str().into();
        self.dispatch_event(Some(auth), org, group, kind, data);
    }

    async fn put_member(
        &self,
        group: &GroupId,
        person: &PersonRow,
        role: MemberRole,
    ) -> Result<(MemberView, bool)> {
        let (gid, stored) = (group.clone(), person.clone());
        let added = self
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    let pid = PersonId::from_trusted(stored.id.clone());
                    let added = groups::add_member(tx, &gid, &pid, role.as_str()).await?;
                    if added {
                        tx.emit(membership_event(&stored, &gid, true)).await?;
                    } else {
                        groups::set_member_role(tx, &gid, &pid, role.as_str()).await?;
                    }
                    Ok(added)
                })
            })
            .await?;
        let view = MemberView {
            person_id: person.id.clone(),
            display_name: person.display_name.clone(),
            org_id: person.org_id.clone(),
            role: role.as_str().to_owned(),
            guest: person.role == Role::Guest.as_str(),
            joined_at: now_millis(),
        };
        Ok((view, added))
    }

    pub async fn join_group(&self, auth: &Auth, id: &str) -> Result<MemberView> {
        let seen = self.seen_group(auth, id).await?;
        if seen.row.my_role.is_some() {
            return Err(AppError::Conflict("you are a member already".into()));
        }
        if !seen.rights.join {
            return Err(AppError::Forbidden(
                "this group is joined by invitation only",
            ));
        }
        let (view, added) = self
            .put_member(&seen.id, &auth.person, MemberRole::Member)
            .await?;
        if added {
            self.member_event(auth, &seen.org, &seen.id, &view, "member.joined");
        }
        Ok(view)
    }

    /// Removes a member: managers remove anyone, everyone may leave. A group keeps at least
    /// one owner while it has members.
    pub async fn remove_member(&self, auth: &Auth, group_id: &str, person_id: &str) -> Result<()> {
        let id = parse_id("group", group_id, GroupId::parse)?;
        let row = groups::get(&self.store.read, &id, &auth.actor.person_id)
            .await
            .or_not_found("group")?;
        let (rights, org, kind) = rights_for(auth, &row);
        let partners = groups::partners(&self.store.read, &id).await?;
        let partner_admin = kind == GroupKind::Shared
            && partners.iter().any(|p| {
                p.org_id == auth.actor.org_id.as_str()
                    && p.status == PartnerStatus::Accepted.as_str()
            })
            && auth.actor.administers(&auth.actor.org_id);
        if !rights.see && !partner_admin {
            return Err(AppError::NotFound("group"));
        }
        let target = parse_id("person", person_id, PersonId::parse)?;
        let person = people::get(&self.store.read, &target)
            .await
            .or_not_found("member")?;
        let leaving_self = target == auth.actor.person_id;
        // A partner organization's admins offboard their own people from shared groups.
        let own_partner_person = partner_admin && person.org_id == auth.actor.org_id.as_str();
        if !(leaving_self || rights.manage || own_partner_person) {
            return Err(AppError::Forbidden(
                "only the group's owners and admins remove members",
            ));
        }
        if kind == GroupKind::Department && !auth.actor.administers(&org) {
            return Err(AppError::Forbidden(
                "department membership follows each person's department",
            ));
        }
        let gid = id.clone();
        let left = MemberView {
            person_id: person.id.clone(),
            display_name: person.display_name.clone(),
            org_id: person.org_id.clone(),
            role: String::new(),
            guest: person.role == Role::Guest.as_str(),
            joined_at: 0,
        };
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    let role = groups_role(tx, &gid, &target).await?;
                    let Some(role) = role else {
                        return Err(StoreError::NotFound);
                    };
                    if role == "owner"
                        && groups::owner_count(tx, &gid).await? <= 1
                        && crate::store::groups::member_count_in(tx, &gid).await? > 1
                    {
                        return Err(StoreError::Conflict(
                            "hand ownership to someone else before the last owner leaves",
                        ));
                    }
                    groups::remove_member(tx, &gid, &target).await?;
                    tx.emit(membership_event(&person, &gid, false)).await?;
                    Ok(())
                })
            })
            .await
            .or_not_found("member")?;
        self.member_event(auth, &org, &id, &left, "member.left");
        Ok(())
    }

    /// Opens (or finds) the direct conversation between the actor and the given people.
    pub async fn open_direct(&self, auth: &Auth, person_ids: &[String]) -> Result<GroupView> {
        let mut people_in = vec![auth.person.clone()];
        for raw in person_ids {
            let p = self.visible_person(auth, raw).await?;
            if !people_in.iter().any(|q| q.id == p.id) {
                people_in.push(p);
            }
        }
        if people_in.len() < 2 {
            return Err(AppError::invalid(
                "invalid_members",
                "name at least one other person",
            ));
        }
        if people_in.len() > MAX_DM_MEMBERS {
            return Err(AppError::invalid(
                "too_many_members",
                format!("direct conversations hold at most {MAX_DM_MEMBERS} people"),
            ));
        }
        let mut ids: Vec<&str> = people_in.iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        let key = ids.join(",");
        if let Some(existing) = groups::find_direct(&self.store.read, &key).await? {
            return self.get_group(auth, &existing.id).await;
        }
        let names: Vec<&str> = people_in.iter().map(|p| p.display_name.as_str()).collect();
        let row = GroupRow {
            id: GroupId::generate().into_string(),
            org_id: auth.actor.org_id.as_str().to_owned(),
            kind: GroupKind::Direct.as_str().to_owned(),
            name: names.join(", ").chars().take(MAX_NAME_CHARS).collect(),
            description: String::new(),
            parent_id: None,
            head_id: None,
            direct_key: Some(key.clone()),
            archived: false,
            created_by: auth.actor.person_id.as_str().to_owned(),
            created_at: now_millis(),
        };
        let members = people_in
            .into_iter()
            .map(|p| (p, MemberRole::Member))
            .collect();
        match self.insert_group(row, members, &auth.actor.person_id).await {
            // Two people opened the same conversation at once: return the one that won.
            Err(AppError::Conflict(_)) => {
                let existing = groups::find_direct(&self.store.read, &key)
                    .await?
                    .ok_or(AppError::NotFound("group"))?;
                self.get_group(auth, &existing.id).await
            }
            other => other,
        }
    }

    /// Invites a partner organization into a shared group (host organization's admins).
    pub async fn invite_partner(
        &self,
        auth: &Auth,
        group_id: &str,
        org_id: &str,
    ) -> Result<PartnerView> {
        let seen = self.seen_group(auth, group_id).await?;
        if seen.kind != GroupKind::Shared {
            return Err(AppError::invalid(
                "not_shared",
                "only shared groups take partner organizations",
            ));
        }
        if !auth.actor.administers(&seen.org) {
            return Err(AppError::Forbidden(
                "only the host organization's admins invite partners",
            ));
        }
        let partner = parse_id("organization", org_id, OrgId::parse)?;
        if partner == seen.org {
            return Err(AppError::invalid(
                "same_org",
                "the host organization is part of the group already",
            ));
        }
        orgs::get(&self.store.read, &partner)
            .await
            .or_not_found("organization")?;
        let row = PartnerRow {
            group_id: seen.id.as_str().to_owned(),
            org_id: partner.as_str().to_owned(),
            status: PartnerStatus::Invited.as_str().to_owned(),
            invited_by: auth.actor.person_id.as_str().to_owned(),
            decided_by: None,
            updated_at: now_millis(),
        };
        let existing = groups::partners(&self.store.read, &seen.id).await?;
        if existing
            .iter()
            .any(|p| p.org_id == row.org_id && p.status == PartnerStatus::Accepted.as_str())
        {
            return Err(AppError::Conflict(
                "this organization is a partner already".into(),
            ));
        }
        let view = self
            .save_partner(row, &seen.row.group.name, &seen.row.group.org_id)
            .await?;
        self.audited(
            auth,
            &view.host_org_id,
            "partner.invited",
            &view.group_id,
            serde_json::json!({"org_id": view.org_id, "group_name": view.group_name}),
        )
        .await;
        Ok(view)
    }

    async fn save_partner(
        &self,
        row: PartnerRow,
        group_name: &str,
        host_org: &str,
    ) -> Result<PartnerView> {
        let stored = row.clone();
        let event = EventDraft {
            org_id: OrgId::from_trusted(host_org.to_owned()),
            group_id: Some(GroupId::from_trusted(row.group_id.clone())),
            person_id: None,
            kind: "group.partner",
            data: serde_json::json!({"group_id": row.group_id, "org_id": row.org_id, "status": row.status}),
            membership: None,
            audience: None,
        };
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    groups::upsert_partner(tx, &stored).await?;
                    tx.emit(event).await?;
                    Ok(())
                })
            })
            .await?;
        Ok(PartnerView {
            group_id: row.group_id,
            group_name: group_name.to_owned(),
            host_org_id: host_org.to_owned(),
            host_org_name: None,
            org_id: row.org_id,
            status: row.status,
            updated_at: row.updated_at,
        })
    }

    /// The shared groups an organization was invited into (its admins decide).
    pub async fn partner_invitations(&self, auth: &Auth, org_id: &str) -> Result<Vec<PartnerView>> {
        let org = parse_id("organization", org_id, OrgId::parse)?;
        if !auth.actor.administers(&org) {
            return Err(AppError::NotFound("organization"));
        }
        let rows = groups::partner_invitations(&self.store.read, &org).await?;
        Ok(rows
            .into_iter()
            .map(|r| PartnerView {
                group_id: r.partner.group_id,
                group_name: r.group_name,
                host_org_id: r.host_org_id,
                host_org_name: Some(r.host_org_name),
                org_id: r.partner.org_id,
                status: r.partner.status,
                updated_at: r.partner.updated_at,
            })
            .collect())
    }

    /// Accepts or declines an invitation, as an admin of the invited organization.
    pub async fn decide_partner(
        &self,
        auth: &Auth,
        org_id: &str,
        group_id: &str,
        accept: bool,
    ) -> Result<PartnerView> {
        let invitations = self.partner_invitations(auth, org_id).await?;
        let gid = parse_id("invitation", group_id, GroupId::parse)?;
        let inv = invitations
            .into_iter()
            .find(|i| i.group_id == gid.as_str())
            .ok_or(AppError::NotFound("invitation"))?;
        if inv.status != PartnerStatus::Invited.as_str() {
            return Err(AppError::Conflict(format!(
                "the invitation was {} already",
                inv.status
            )));
        }
        let status = if accept {
            PartnerStatus::Accepted
        } else {
            PartnerStatus::Declined
        };
        let row = PartnerRow {
            group_id: inv.group_id.clone(),
            org_id: inv.org_id.clone(),
            status: status.as_str().to_owned(),
            invited_by: String::new(),
            decided_by: Some(auth.actor.person_id.as_str().to_owned()),
            updated_at: now_millis(),
        };
        let existing = groups::partners(&self.store.read, &gid).await?;
        let invited_by = existing
            .iter()
            .find(|p| p.org_id == row.org_id)
            .map(|p| p.invited_by.clone())
            .unwrap_or_default();
        let view = self
            .save_partner(
                PartnerRow { invited_by, ..row },
                &inv.group_name,
                &inv.host_org_id,
            )
            .await?;
        self.audited(
            auth,
            &view.org_id,
            &format!("partner.{}", view.status),
            &view.group_id,
            serde_json::json!({"host_org_id": view.host_org_id, "group_name": view.group_name}),
        )
        .await;
        Ok(view)
    }

    pub async fn list_partners(&self, auth: &Auth, group_id: &str) -> Result<Vec<PartnerView>> {
        let seen = self.seen_group(auth, group_id).await?;
        let rows = groups::partners(&self.store.read, &seen.id).await?;
        Ok(rows
            .into_iter()
            .map(|p| PartnerView {
                group_id: p.group_id,
                group_name: seen.row.group.name.clone(),
                host_org_id: seen.row.group.org_id.clone(),
                host_org_name: None,
                org_id: p.org_id,
                status: p.status,
                updated_at: p.updated_at,
            })
            .collect())
    }
}

async fn groups_role(
    tx: &mut crate::store::writer::WriteTx,
    g: &GroupId,
    p: &PersonId,
) -> Result<Option<String>, StoreError> {
    groups::membership_in(tx, g, p).await
}

fn group_event(row: &GroupRow, kind: &'static str) -> EventDraft {
    EventDraft {
        org_id: OrgId::from_trusted(row.org_id.clone()),
        group_id: Some(GroupId::from_trusted(row.id.clone())),
        person_id: None,
        kind,
        data: serde_json::json!({
            "id": row.id, "name": row.name, "description": row.description,
            "archived": row.archived, "parent_id": row.parent_id, "head_id": row.head_id,
        }),
        membership: None,
        audience: None,
    }
}
