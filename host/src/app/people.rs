//! The people directory: creating and changing people, profiles and search.

use courtyard_domain::limits::{MAX_NAME_CHARS, MAX_PAGE};
use courtyard_domain::policy::{self, PersonFacts};
use courtyard_domain::{GroupId, GroupKind, OrgId, PersonId, PersonStatus, Role, search};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::{Auth, check_password, normalize_email};
use super::views::PersonView;
use super::{App, AppError, OrNotFound, Result, check_name, check_text, parse_id};
use crate::store::events::{EventDraft, Membership};
use crate::store::people::{self, PersonRow};
use crate::store::writer::WriteTx;
use crate::store::{StoreError, groups, now_millis, orgs, sessions};

#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgPeopleQuery {
    /// Part of a name, its pinyin or initials, an email or a title.
    pub q: Option<String>,
    /// `active`, `invited` or `disabled`.
    pub status: Option<String>,
    /// 1 to 200 (default 100).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePerson {
    pub email: String,
    pub display_name: String,
    /// Initial password (at least 10 characters). Without one the person cannot sign in
    /// until an admin sets it.
    #[schema(min_length = 10)]
    pub password: Option<String>,
    /// `org_admin`, `member` (default) or `guest`.
    #[schema(pattern = "^(platform_admin|org_admin|member|guest)$")]
    pub role: Option<String>,
    pub title: Option<String>,
    pub department_id: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    /// For guests: the partner company they come from.
    pub company: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    /// Admins only.
    pub company: Option<String>,
    /// Admins only; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<Option<String>>,
    /// Admins only.
    #[schema(pattern = "^(platform_admin|org_admin|member|guest)$")]
    pub role: Option<String>,
    /// Admins only: `active` or `disabled`. Disabling ends all the person's sessions.
    #[schema(pattern = "^(active|disabled)$")]
    pub status: Option<String>,
}

/// Distinguishes a field that is absent from one set to `null`.
pub(crate) fn double_option<'de, D, T>(de: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

pub(crate) fn new_person_row(
    org: &OrgId,
    email: &str,
    name: &str,
    role: Role,
    now: i64,
) -> PersonRow {
    PersonRow {
        id: PersonId::generate().into_string(),
        org_id: org.as_str().to_owned(),
        email: email.to_owned(),
        display_name: name.to_owned(),
        title: String::new(),
        department_id: None,
        phone: String::new(),
        avatar_url: String::new(),
        company: String::new(),
        role: role.as_str().to_owned(),
        status: PersonStatus::Active.as_str().to_owned(),
        search_text: search::index_text(name, "", "", email),
        created_at: now,
        updated_at: now,
    }
}

fn check_url(field: &'static str, value: &str) -> Result<String> {
    let v = check_text(field, value.trim(), 500)?;
    if v.is_empty() || v.starts_with("https://") || v.starts_with("http://") {
        Ok(v)
    } else {
        Err(AppError::invalid(
            "invalid_field",
            format!("{field} must be an http(s) URL"),
        ))
    }
}

impl App {
    /// A department of `org`, or a clear error.
    async fn department_in(&self, org: &OrgId, raw: &str) -> Result<(GroupId, String)> {
        let id = GroupId::parse(raw).ok_or(AppError::NotFound("department"))?;
        let g = groups::get(&self.store.read, &id, &PersonId::from_trusted(""))
            .await
            .or_not_found("department")?;
        if g.group.org_id != org.as_str() || g.group.kind != GroupKind::Department.as_str() {
            return Err(AppError::NotFound("department"));
        }
        Ok((id, g.group.name))
    }

    pub async fn create_person(
        &self,
        auth: &Auth,
        org_id: &str,
        input: CreatePerson,
    ) -> Result<PersonView> {
        let org = parse_id("organization", org_id, OrgId::parse)?;
        if !(auth.actor.is_platform_admin() || auth.actor.org_id == org) {
            return Err(AppError::NotFound("organization"));
        }
        orgs::get(&self.store.read, &org)
            .await
            .or_not_found("organization")?;
        let role = match input.role.as_deref() {
            None => Role::Member,
            Some(r) => {
                Role::parse(r).ok_or_else(|| AppError::invalid("invalid_role", "unknown role"))?
            }
        };
        if !policy::can_grant_role(&auth.actor, &org, role) {
            return Err(AppError::Forbidden(
                "you may not add people with this role here",
            ));
        }
        let email = normalize_email(&input.email)?;
        let name = check_name("display_name", &input.display_name, MAX_NAME_CHARS)?;
        let hash = match &input.password {
            Some(p) => {
                check_password(p)?;
                Some(self.hash_password(p).await?)
            }
            None => None,
        };
        let mut row = new_person_row(&org, &email, &name, role, now_millis());
        row.title = check_text(
            "title",
            input.title.as_deref().unwrap_or(""),
            MAX_NAME_CHARS,
        )?;
        row.phone = check_text("phone", input.phone.as_deref().unwrap_or(""), 40)?;
        row.company = check_text(
            "company",
            input.company.as_deref().unwrap_or(""),
            MAX_NAME_CHARS,
        )?;
        row.avatar_url = check_url("avatar_url", input.avatar_url.as_deref().unwrap_or(""))?;
        let mut department = None;
        if let Some(d) = &input.department_id {
            let (id, dept_name) = self.department_in(&org, d).await?;
            row.department_id = Some(id.as_str().to_owned());
            department = Some((id, dept_name));
        }
        let dept_name = department.as_ref().map(|d| d.1.as_str()).unwrap_or("");
        row.search_text = search::index_text(&row.display_name, &row.title, dept_name, &row.email);
        let stored = row.clone();
        let dept = department.map(|d| d.0);
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    people::insert(tx, &stored, hash.as_deref()).await?;
                    if let Some(dept) = dept {
                        join_department(tx, &stored, &dept).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        self.audited(
            auth,
            &row.org_id,
            "person.created",
            &row.id,
            serde_json::json!({"email": row.email, "role": row.role, "status": row.status}),
        )
        .await;
        Ok(row.into())
    }

    /// A person the actor may see, or not found.
    pub(crate) async fn visible_person(&self, auth: &Auth, raw_id: &str) -> Result<PersonRow> {
        let id = parse_id("person", raw_id, PersonId::parse)?;
        let row = people::get(&self.store.read, &id)
            .await
            .or_not_found("person")?;
        let org = OrgId::from_trusted(row.org_id.clone());
        let same_home = !auth.actor.is_guest() && auth.actor.org_id == org;
        let shares_group =
            if same_home || auth.actor.is_platform_admin() || auth.actor.person_id == id {
                false
            } else {
                people::share_group(&self.store.read, &auth.actor.person_id, &id).await?
            };
        let facts = PersonFacts {
            person_id: &id,
            org_id: &org,
            shares_group,
        };
        if policy::can_see_person(&auth.actor, &facts) {
            Ok(row)
        } else {
            Err(AppError::NotFound("person"))
        }
    }

    pub async fn get_person(&self, auth: &Auth, id: &str) -> Result<PersonView> {
        Ok(self.visible_person(auth, id).await?.into())
    }

    pub async fn update_person(
        &self,
        auth: &Auth,
        id: &str,
        input: UpdatePerson,
    ) -> Result<PersonView> {
        let mut row = self.visible_person(auth, id).await?;
        let org = OrgId::from_trusted(row.org_id.clone());
        let current_role = Role::parse(&row.role).unwrap_or(Role::Guest);
        let is_self = auth.actor.person_id.as_str() == row.id;
        let is_admin = policy::can_administer_person(&auth.actor, &org, current_role);
        if !(is_self || is_admin) {
            return Err(AppError::Forbidden("you may change only your own profile"));
        }
        let admin_fields = input.company.is_some()
            || input.department_id.is_some()
            || input.role.is_some()
            || input.status.is_some();
        if admin_fields && !is_admin {
            return Err(AppError::Forbidden(
                "only admins change company, department, role or status",
            ));
        }
        if let Some(v) = &input.display_name {
            row.display_name = check_name("display_name", v, MAX_NAME_CHARS)?;
        }
        if let Some(v) = &input.title {
            row.title = check_text("title", v, MAX_NAME_CHARS)?;
        }
        if let Some(v) = &input.phone {
            row.phone = check_text("phone", v, 40)?;
        }
        if let Some(v) = &input.avatar_url {
            row.avatar_url = check_url("avatar_url", v)?;
        }
        if let Some(v) = &input.company {
            row.company = check_text("company", v, MAX_NAME_CHARS)?;
        }
        if let Some(r) = &input.role {
            let role =
                Role::parse(r).ok_or_else(|| AppError::invalid("invalid_role", "unknown role"))?;
            if !policy::can_grant_role(&auth.actor, &org, role) || is_self {
                return Err(AppError::Forbidden("you may not give this role"));
            }
            row.role = role.as_str().to_owned();
        }
        let mut disable = false;
        if let Some(s) = &input.status {
            let status = PersonStatus::parse(s).ok_or_else(|| {
                AppError::invalid("invalid_status", "status must be active or disabled")
            })?;
            if is_self && status == PersonStatus::Disabled {
                return Err(AppError::invalid(
                    "invalid_status",
                    "you cannot disable yourself",
                ));
            }
            disable = status == PersonStatus::Disabled;
            row.status = status.as_str().to_owned();
        }
        let old_department = row.department_id.clone();
        let mut dept_name = String::new();
        match &input.department_id {
            Some(Some(d)) => {
                let (id, name) = self.department_in(&org, d).await?;
                row.department_id = Some(id.into_string());
                dept_name = name;
            }
            Some(None) => row.department_id = None,
            None => {
                if let Some(d) = &row.department_id
                    && let Ok(g) = groups::get(
                        &self.store.read,
                        &GroupId::from_trusted(d.clone()),
                        &auth.actor.person_id,
                    )
                    .await
                {
                    dept_name = g.group.name;
                }
            }
        }
        row.search_text = search::index_text(&row.display_name, &row.title, &dept_name, &row.email);
        row.updated_at = now_millis();
        let stored = row.clone();
        let moved = old_department != row.department_id;
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    people::update(tx, &stored).await?;
                    if disable {
                        sessions::delete_all_for(
                            tx,
                            &PersonId::from_trusted(stored.id.clone()),
                            None,
                        )
                        .await?;
                    }
                    if moved {
                        if let Some(old) = &old_department {
                            leave_department(tx, &stored, &GroupId::from_trusted(old.clone()))
                                .await?;
                        }
                        if let Some(new) = &stored.department_id {
                            join_department(tx, &stored, &GroupId::from_trusted(new.clone()))
                                .await?;
                        }
                    }
                    Ok(())
                })
            })
            .await?;
        if disable {
            // Their open connections end now, not at the next heartbeat.
            self.end_sessions(&PersonId::from_trusted(row.id.clone()), None, None);
        }
        self.audited(
            auth,
            &row.org_id,
            "person.updated",
            &row.id,
            serde_json::json!({
                "role": row.role, "status": row.status, "department_id": row.department_id,
                "title": row.title, "company": row.company,
            }),
        )
        .await;
        Ok(row.into())
    }

    /// Admin password reset; ends the person's sessions.
    pub async fn reset_password(&self, auth: &Auth, id: &str, password: &str) -> Result<()> {
        let row = self.visible_person(auth, id).await?;
        let org = OrgId::from_trusted(row.org_id.clone());
        let role = Role::parse(&row.role).unwrap_or(Role::Guest);
        if !policy::can_administer_person(&auth.actor, &org, role) {
            return Err(AppError::Forbidden("only admins reset passwords"));
        }
        // One's own password changes with the current one (`POST /api/v1/me/password`): a
        // stolen admin session must not be enough to take the account over for good.
        if auth.actor.person_id.as_str() == row.id {
            return Err(AppError::Forbidden(
                "change your own password with /api/v1/me/password",
            ));
        }
        let pid = PersonId::from_trusted(row.id);
        self.set_password(&pid, password, None).await?;
        self.end_sessions(&pid, None, None);
        self.audited(
            auth,
            org.as_str(),
            "person.password_reset",
            pid.as_str(),
            serde_json::json!({}),
        )
        .await;
        Ok(())
    }

    /// Search-as-you-type over the people the actor may see. An empty query lists them.
    /// An organization's people for its admins: everyone, disabled included, by name,
    /// optionally those whose name, spelling or email contains `q`, or of one status.
    pub async fn org_people(
        &self,
        auth: &Auth,
        org_id: &str,
        query: OrgPeopleQuery,
    ) -> Result<Vec<PersonView>> {
        let org = self.administered_org(auth, org_id)?;
        let contains = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => Some(
                search::normalize_query(q)
                    .map(|q| search::like_patterns(&q).contains)
                    .ok_or_else(|| {
                        AppError::invalid("invalid_query", "search text is too long or empty")
                    })?,
            ),
            None => None,
        };
        if let Some(s) = query.status.as_deref()
            && PersonStatus::parse(s).is_none()
        {
            return Err(AppError::invalid(
                "invalid_status",
                "status is active, invited or disabled",
            ));
        }
        let limit = query.limit.unwrap_or(100).clamp(1, MAX_PAGE);
        let offset = query.offset.unwrap_or(0).max(0);
        let rows = people::of_org(
            &self.store.read,
            &org,
            contains.as_deref(),
            query.status.as_deref(),
            limit,
            offset,
        )
        .await?;
        Ok(rows.into_iter().map(PersonView::from).collect())
    }

    pub async fn search_people(
        &self,
        auth: &Auth,
        q: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<PersonView>> {
        let rows = self
            .directory_search(&auth.actor, q, limit.unwrap_or(20))
            .await?;
        Ok(rows.into_iter().map(PersonView::from).collect())
    }

    /// The directory as `actor` may see it, best matches first: the one search behind the
    /// API and the plugins' `people.search`.
    pub(crate) async fn directory_search(
        &self,
        actor: &courtyard_domain::policy::Actor,
        q: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PersonRow>> {
        let limit = limit.clamp(1, MAX_PAGE);
        let query = match q.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => Some(search::normalize_query(q).ok_or_else(|| {
                AppError::invalid("invalid_query", "search text is too long or empty")
            })?),
            None => None,
        };
        let patterns = query.as_deref().map(search::like_patterns);
        let scope = policy::directory_scope(actor);
        // Storage puts the likely best matches first; fetch more than asked so ranking can
        // order them finely.
        let fetch = if query.is_some() {
            (limit * 5).min(1000)
        } else {
            limit
        };
        let mut rows = people::search_ranked(
            &self.store.read,
            scope,
            &actor.person_id,
            &actor.org_id,
            patterns.as_ref(),
            fetch,
        )
        .await?;
        if let Some(q) = &query {
            rows.sort_by_key(|r| search::rank(&r.display_name, &r.search_text, q));
        }
        rows.truncate(limit as usize);
        Ok(rows)
    }
}

async fn join_department(
    tx: &mut WriteTx,
    person: &PersonRow,
    dept: &GroupId,
) -> Result<(), StoreError> {
    let pid = PersonId::from_trusted(person.id.clone());
    if groups::add_member(tx, dept, &pid, "member").await? {
        tx.emit(membership_event(person, dept, true)).await?;
    }
    Ok(())
}

async fn leave_department(
    tx: &mut WriteTx,
    person: &PersonRow,
    dept: &GroupId,
) -> Result<(), StoreError> {
    let pid = PersonId::from_trusted(person.id.clone());
    if groups::remove_member(tx, dept, &pid).await? {
        tx.emit(membership_event(person, dept, false)).await?;
    }
    Ok(())
}

/// The event every member (and the person) receives when someone joins or leaves a group.
pub(crate) fn membership_event(person: &PersonRow, group: &GroupId, joined: bool) -> EventDraft {
    let pid = PersonId::from_trusted(person.id.clone());
    EventDraft {
        org_id: OrgId::from_trusted(person.org_id.clone()),
        group_id: Some(group.clone()),
        person_id: Some(pid.clone()),
        kind: if joined {
            "member.joined"
        } else {
            "member.left"
        },
        data: serde_json::json!({
            "group_id": group.as_str(),
            "person_id": person.id,
            "display_name": person.display_name,
        }),
        membership: Some(Membership {
            person_id: pid,
            joined,
        }),
        audience: None,
    }
}
