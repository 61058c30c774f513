//! The host side of what contract 0.3.0 added for business shared with outside partners:
//! organization names, and cards only part of a group sees (`post-card-for`). A restricted
//! card keeps its audience on the message row; history, threads, pins, catch-up and live
//! delivery all filter on it, and replies in its thread inherit it.

use courtyard_domain::model::PartnerStatus;
use courtyard_domain::{GroupId, MessageId, OrgId, PersonId};
use courtyard_runtime::api::{HostError, HostResult, Organization, Scope};

use super::services::Services;
use crate::app::messages::Renderer;
use crate::store::events::EventDraft;
use crate::store::{groups, messages, orgs};

/// People a restricted card may name.
pub const MAX_AUDIENCE: usize = 100;

impl Services {
    pub(super) async fn organization_impl(
        &self,
        scope: &Scope,
        id: &str,
    ) -> HostResult<Organization> {
        let org = OrgId::parse(id).ok_or(HostError::NotFound)?;
        let read = &self.app.store.read;
        if org.as_str() != scope.org_id {
            // A partner either way round: invited into one of our shared groups, or hosting
            // one we were invited into and accepted.
            let accepted = |status: &str| status == PartnerStatus::Accepted.as_str();
            let theirs = groups::partner_invitations(read, &org).await?;
            let ours =
                groups::partner_invitations(read, &OrgId::from_trusted(scope.org_id.clone()))
                    .await?;
            let partner = theirs
                .iter()
                .any(|r| accepted(&r.partner.status) && r.host_org_id == scope.org_id)
                || ours
                    .iter()
                    .any(|r| accepted(&r.partner.status) && r.host_org_id == org.as_str());
            if !partner {
                return Err(HostError::NotFound);
            }
        }
        let row = orgs::get(read, &org).await?;
        Ok(Organization {
            id: row.id,
            name: row.name,
        })
    }

    /// Checks an audience against the group's members and returns it as stored.
    async fn audience_of(&self, group_id: &str, people: Vec<String>) -> HostResult<String> {
        if people.is_empty() || people.len() > MAX_AUDIENCE {
            return Err(HostError::Invalid(format!(
                "an audience names 1 to {MAX_AUDIENCE} people"
            )));
        }
        let gid = GroupId::from_trusted(group_id.to_owned());
        let mut ids: Vec<String> = Vec::with_capacity(people.len());
        for raw in people {
            let pid = PersonId::parse(&raw)
                .ok_or_else(|| HostError::Invalid(format!("`{raw}` is not a person id")))?;
            if groups::membership(&self.app.store.read, &gid, &pid)
                .await?
                .is_none()
            {
                return Err(HostError::Invalid(format!(
                    "{raw} is not a member of the group"
                )));
            }
            if !ids.contains(&raw) {
                ids.push(raw);
            }
        }
        Ok(serde_json::to_string(&ids).unwrap_or_default())
    }

    pub(super) async fn post_card_for_impl(
        &self,
        scope: &Scope,
        group_id: &str,
        card: serde_json::Value,
        audience: Vec<String>,
    ) -> HostResult<String> {
        self.enabled_group(scope, group_id).await?;
        let audience = self.audience_of(group_id, audience).await?;
        let view = self
            .app
            .insert_plugin_message(
                scope,
                group_id,
                String::new(),
                Some(card),
                None,
                Some(audience),
            )
            .await?;
        Ok(view.id)
    }

    /// Replaces the audience of one of the plugin's restricted cards and its thread. People
    /// who no longer see it are told to drop it; the rest get the card again.
    pub(super) async fn set_audience_impl(
        &self,
        scope: &Scope,
        message_id: &str,
        audience: Vec<String>,
    ) -> HostResult<()> {
        let mid = MessageId::parse(message_id).ok_or(HostError::NotFound)?;
        let row = messages::get(&self.app.store.read, &mid).await?;
        if row.plugin_id.as_deref() != Some(scope.plugin_id.as_str())
            || row.deleted_at.is_some()
            || row.thread_root_id.is_some()
        {
            return Err(HostError::NotFound);
        }
        let group = self.enabled_group(scope, &row.group_id).await?;
        let Some(before) = row.audience.clone() else {
            return Err(HostError::Invalid(
                "only a card posted for an audience can change its audience".into(),
            ));
        };
        let after = self.audience_of(&row.group_id, audience).await?;
        let now_in = messages::audience_ids(&after);
        let dropped: Vec<String> = messages::audience_ids(&before)
            .into_iter()
            .filter(|p| !now_in.contains(p))
            .collect();
        let org = OrgId::from_trusted(group.group.org_id.clone());
        let gid = GroupId::from_trusted(row.group_id.clone());
        let id = row.id.clone();
        self.app
            .writer
            .write(move |tx| {
                Box::pin(async move {
                    messages::set_audience(tx, &id, &after).await?;
                    for person in dropped {
                        tx.emit(EventDraft {
                            org_id: org.clone(),
                            group_id: None,
                            person_id: Some(PersonId::from_trusted(person)),
                            kind: "message.hidden",
                            data: serde_json::json!({"id": id, "group_id": gid.as_str()}),
                            membership: None,
                            audience: None,
                        })
                        .await?;
                    }
                    let row = messages::get_in(tx, &id).await?;
                    let view = Renderer::plain().view(row);
                    tx.emit(EventDraft {
                        org_id: org,
                        group_id: Some(gid),
                        person_id: None,
                        kind: "message.updated",
                        data: serde_json::to_value(&view).unwrap_or_default(),
                        membership: None,
                        audience: Some(after),
                    })
                    .await?;
                    Ok(())
                })
            })
            .await?;
        Ok(())
    }
}
