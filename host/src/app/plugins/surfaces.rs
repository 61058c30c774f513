//! What people see of plugins beyond commands and cards: forms (validated here before a
//! plugin sees a submission), pages, page buttons and HTTP routes.
//!
//! A form lives either on a stored card (found again through its message) or was handed
//! to one person (a command's or an action's answer, or a form on a page). The latter carry
//! a token signed with the server secret that binds the form to that person, group and
//! plugin, so the host needs no state to check a submission and any node of a cluster can.

use base64::Engine as _;
use courtyard_runtime::api::{HttpRequest, HttpResponse};
use courtyard_runtime::form::{self, Form};
use courtyard_runtime::manifest::RouteAuth;
use courtyard_runtime::{ActionInput, ActionReply, Call};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{PluginReply, Ready};
use crate::app::auth::Auth;
use crate::app::groups::Seen;
use crate::app::{App, AppError, OrNotFound, Result, parse_id};
use crate::crypto;
use crate::store::{messages, now_millis};

/// How long a handed-out form can be submitted.
const FORM_TOKEN_TTL_MS: i64 = 24 * 3_600_000;
/// Largest request body a plugin route takes.
pub const MAX_ROUTE_BODY: usize = 1 << 20;

/// A form handed to one person, with the token that lets them submit it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IssuedForm {
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitCardForm {
    /// The form's id on the card.
    pub form_id: String,
    #[schema(value_type = Object)]
    pub values: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitIssuedForm {
    /// The token the form came with.
    pub token: String,
    /// The form exactly as it was handed out.
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    #[schema(value_type = Object)]
    pub values: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunPageAction {
    pub action_id: String,
    #[serde(default)]
    pub value: String,
}

/// A plugin page: cards, with a token on every form so it can be submitted.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageView {
    pub plugin_id: String,
    pub title: String,
    #[schema(value_type = Vec<Object>)]
    pub cards: Vec<serde_json::Value>,
}

/// What a token binds a form to.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct FormClaim {
    plugin: String,
    group: String,
    person: String,
    message: Option<String>,
    expires: i64,
    /// SHA-256 of the form's JSON text: the submission must come with the same form.
    form: String,
}

fn form_digest(form: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(
        canonical_numbers(form).to_string().as_bytes(),
    ))
}

/// The form with every number written as a float, so a client that re-encodes it (`200.0`
/// as `200`, as JavaScript and jq do) sends back the form it was given.
fn canonical_numbers(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(canonical_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), canonical_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A plugin card someone acts on, and the plugin that answers for it.
pub(crate) struct PluginCard {
    pub row: messages::MessageRow,
    pub card: serde_json::Value,
    pub ready: Ready,
}

impl App {
    pub(crate) fn sign_form(
        &self,
        auth: &Auth,
        ready: &Ready,
        message: Option<&str>,
        form: serde_json::Value,
    ) -> IssuedForm {
        let claim = FormClaim {
            plugin: ready.enablement.plugin_id.clone(),
            group: ready.enablement.group_id.clone(),
            person: auth.person.id.clone(),
            message: message.map(str::to_owned),
            expires: now_millis() + FORM_TOKEN_TTL_MS,
            form: form_digest(&form),
        };
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&claim).unwrap_or_default());
        let mac = crypto::keyed_digest(&self.secret, &["form", &body]);
        IssuedForm {
            form,
            token: format!("{body}.{mac}"),
        }
    }

    fn verify_form(&self, auth: &Auth, token: &str, form: &serde_json::Value) -> Result<FormClaim> {
        let refused = || {
            AppError::invalid(
                "invalid_form_token",
                "this form is not valid any more; open it again",
            )
        };
        let (body, mac) = token.split_once('.').ok_or_else(refused)?;
        if !crypto::constant_time_eq(mac, &crypto::keyed_digest(&self.secret, &["form", body])) {
            return Err(refused());
        }
        let claim: FormClaim = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(refused)?;
        if claim.person != auth.person.id
            || claim.expires < now_millis()
            || claim.form != form_digest(form)
        {
            return Err(refused());
        }
        Ok(claim)
    }

    /// Turns what an action or command answered into the caller's reply.
    pub(crate) async fn action_reply(
        &self,
        auth: &Auth,
        ready: &Ready,
        call: &Call,
        message_id: Option<&str>,
        reply: ActionReply,
    ) -> Result<PluginReply> {
        let mut out = PluginReply::default();
        match reply {
            ActionReply::Ephemeral(text) => out.ephemeral = Some(text),
            ActionReply::None => {}
            ActionReply::Form(form) => {
                out.form = Some(self.sign_form(auth, ready, message_id, form))
            }
            ActionReply::UpdateCard(card) => {
                // A button on a plugin page has no message: the page is drawn again after
                // every action (the client asks for it), which shows the card as the plugin
                // now draws it. Refusing here would report a failure for an action that
                // happened.
                let Some(id) = message_id else {
                    return Ok(out);
                };
                let message = self
                    .plugin_update_card(&call.scope, id, card)
                    .await
                    .map_err(|e| match e {
                        courtyard_runtime::api::HostError::NotFound => {
                            AppError::NotFound("message")
                        }
                        other => AppError::Internal(anyhow::anyhow!("{other}")),
                    })?;
                out.message = Some(message);
            }
        }
        Ok(out)
    }

    /// Calls a plugin's `on-action` for a person in a group and answers them.
    pub(crate) async fn run_plugin_action(
        &self,
        auth: &Auth,
        ready: &Ready,
        input: ActionInput,
    ) -> Result<PluginReply> {
        Self::refuse_if_suspended(ready)?;
        let call = self.call_for(
            Some(auth),
            &ready.enablement.org_id,
            Some(&ready.enablement.group_id),
            ready,
        );
        let message_id = input.message_id.clone();
        let started = std::time::Instant::now();
        let outcome = self
            .plugins
            .runtime
            .action(&ready.code, call.clone(), input)
            .await;
        self.health(ready, outcome.as_ref().err(), started).await;
        let reply =
            outcome.map_err(|e| self.call_failed(&ready.enablement.plugin_id, &e, started))?;
        self.action_reply(auth, ready, &call, message_id.as_deref(), reply)
            .await
    }

    /// Validates a submission against its form, then checks every person and group it
    /// names is one the submitter can see, and every file one they uploaded or were given,
    /// in `org` (the group's organization).
    async fn validated_values(
        &self,
        auth: &Auth,
        org: &str,
        form_json: &serde_json::Value,
        values: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let form: Form = serde_json::from_value(form_json.clone())
            .map_err(|_| AppError::invalid("unknown_form", "this form cannot be submitted"))?;
        let submission = form::validate_submission(&form, values).map_err(|errors| {
            AppError::InvalidForm(serde_json::to_value(errors).unwrap_or_default())
        })?;
        for id in &submission.people {
            self.visible_person(auth, id).await.map_err(|_| {
                AppError::invalid(
                    "invalid_reference",
                    format!("no person `{id}` that you can see"),
                )
            })?;
        }
        for id in &submission.groups {
            let seen = self.seen_group(auth, id).await;
            if !seen.is_ok_and(|g| g.rights.read) {
                return Err(AppError::invalid(
                    "invalid_reference",
                    format!("no group `{id}` that you belong to"),
                ));
            }
        }
        for id in &submission.departments {
            let gid = courtyard_domain::GroupId::parse(id);
            let dept = match gid {
                Some(g) => crate::store::groups::get(&self.store.read, &g, &auth.actor.person_id)
                    .await
                    .ok(),
                None => None,
            };
            if !dept.is_some_and(|d| d.group.kind == "department" && d.group.org_id == org) {
                return Err(AppError::said(
                    crate::app::Refusal::Invalid,
                    "invalid_reference",
                    format!("no department `{id}` in this organization"),
                    format!("本组织没有部门“{id}”"),
                ));
            }
        }
        for id in &submission.files {
            if !self.file_usable_in(auth, org, id).await? {
                return Err(AppError::said(
                    crate::app::Refusal::Invalid,
                    "invalid_reference",
                    format!("no file `{id}` that you uploaded or that was shared with you"),
                    format!("找不到你上传的或共享给你的文件“{id}”"),
                ));
            }
        }
        Ok(submission.values)
    }

    /// A plugin's card the person may act on, with the plugin ready to answer for it.
    /// `not_a_card` is the refusal when the message has no card.
    pub(crate) async fn plugin_card(
        &self,
        auth: &Auth,
        message_id: &str,
        not_a_card: (&'static str, &'static str),
    ) -> Result<PluginCard> {
        let id = parse_id("message", message_id, courtyard_domain::MessageId::parse)?;
        let row = messages::get(&self.store.read, &id)
            .await
            .or_not_found("message")?;
        let group = self
            .seen_group(auth, &row.group_id)
            .await
            .map_err(|_| AppError::NotFound("message"))?;
        // A card for part of the group is not there for anyone else to press.
        if !group.rights.read || !row.visible_to(auth.actor.person_id.as_str()) {
            return Err(AppError::NotFound("message"));
        }
        if !group.rights.post {
            return Err(AppError::Forbidden("you cannot act in this group"));
        }
        let (Some(plugin_id), Some(card)) = (row.plugin_id.clone(), row.card.as_deref()) else {
            return Err(AppError::invalid(not_a_card.0, not_a_card.1));
        };
        let card = serde_json::from_str(card).unwrap_or_default();
        let ready = self.acting_plugin(auth, &group, &plugin_id).await?;
        Ok(PluginCard { row, card, ready })
    }

    /// Submits a form on a plugin card.
    pub async fn submit_card_form(
        &self,
        auth: &Auth,
        message_id: &str,
        input: SubmitCardForm,
    ) -> Result<PluginReply> {
        let PluginCard { row, card, ready } = self
            .plugin_card(
                auth,
                message_id,
                ("unknown_form", "this message has no form"),
            )
            .await?;
        let form_json = courtyard_runtime::card::form_in(&card, &input.form_id)
            .filter(|_| row.deleted_at.is_none())
            .cloned()
            .ok_or_else(|| AppError::invalid("unknown_form", "this card has no such form"))?;
        let values = self
            .validated_values(auth, &ready.enablement.org_id, &form_json, &input.values)
            .await?;
        let input = ActionInput {
            message_id: Some(row.id.clone()),
            action_id: input.form_id,
            value: form_json["value"].as_str().unwrap_or_default().to_owned(),
            form_values: Some(values),
        };
        self.run_plugin_action(auth, &ready, input).await
    }

    /// Submits a form handed out by a command, an action or a page.
    pub async fn submit_issued_form(
        &self,
        auth: &Auth,
        input: SubmitIssuedForm,
    ) -> Result<PluginReply> {
        let claim = self.verify_form(auth, &input.token, &input.form)?;
        let group = self.seen_group(auth, &claim.group).await?;
        if !(group.rights.read && group.rights.post) {
            return Err(AppError::Forbidden("you cannot act in this group"));
        }
        let values = self
            .validated_values(auth, group.org.as_str(), &input.form, &input.values)
            .await?;
        let ready = self.acting_plugin(auth, &group, &claim.plugin).await?;
        let input = ActionInput {
            message_id: claim.message,
            action_id: input.form["id"].as_str().unwrap_or_default().to_owned(),
            value: input.form["value"].as_str().unwrap_or_default().to_owned(),
            form_values: Some(values),
        };
        self.run_plugin_action(auth, &ready, input).await
    }

    /// The plugin that answers a button or form in `group`: enabled there, or the group is
    /// the person's direct conversation with the plugin (where `messages.send-card` puts
    /// cards, e.g. an approver's inbox), in which case it acts for the organization.
    async fn acting_plugin(&self, auth: &Auth, group: &Seen, plugin: &str) -> Result<Ready> {
        let own_direct = format!("plugin:{plugin}:{}", auth.actor.person_id.as_str());
        if group.row.group.direct_key.as_deref() == Some(own_direct.as_str()) {
            let mut ready = self.ready_for(group.org.as_str(), plugin, None).await?;
            // Forms it answers with come back to this conversation.
            ready.enablement.group_id = group.id.as_str().to_owned();
            if let Some(reason) = Self::suspended(&ready) {
                return Err(AppError::invalid(
                    "plugin_suspended",
                    format!("the plugin `{plugin}` is suspended: {reason}"),
                ));
            }
            return Ok(ready);
        }
        self.enabled_plugin(group.org.as_str(), group.id.as_str(), plugin)
            .await
    }

    /// A plugin enabled in a group, or a clear refusal.
    pub(crate) async fn enabled_plugin(
        &self,
        org: &str,
        group: &str,
        plugin: &str,
    ) -> Result<Ready> {
        self.ready_in(org, group)
            .await?
            .into_iter()
            .find(|r| r.enablement.plugin_id == plugin)
            .ok_or_else(|| {
                AppError::invalid(
                    "plugin_disabled",
                    format!("the plugin `{plugin}` is not enabled in this group"),
                )
            })
    }

    /// Renders a plugin page for a member of a group where the plugin is enabled.
    pub async fn plugin_page(
        &self,
        auth: &Auth,
        group_id: &str,
        plugin: &str,
        page: &str,
        query: &str,
    ) -> Result<PageView> {
        let group = self.seen_group(auth, group_id).await?;
        if !group.rights.read {
            return Err(AppError::NotFound("group"));
        }
        let ready = self
            .enabled_plugin(group.org.as_str(), group.id.as_str(), plugin)
            .await?;
        if !ready.code.manifest.pages.iter().any(|p| p.name == page) {
            return Err(AppError::NotFound("page"));
        }
        if query.len() > 2048 {
            return Err(AppError::invalid(
                "invalid_query",
                "a page query is at most 2048 bytes",
            ));
        }
        Self::refuse_if_suspended(&ready)?;
        let call = self.call_for(
            Some(auth),
            group.org.as_str(),
            Some(group.id.as_str()),
            &ready,
        );
        let started = std::time::Instant::now();
        let outcome = self
            .plugins
            .runtime
            .page(&ready.code, call, page.to_owned(), query.to_owned())
            .await;
        self.health(&ready, outcome.as_ref().err(), started).await;
        let page = outcome.map_err(|e| self.call_failed(plugin, &e, started))?;
        let cards = page
            .cards
            .into_iter()
            .map(|mut card| {
                if let Some(blocks) = card["blocks"].as_array_mut() {
                    for block in blocks.iter_mut().filter(|b| b["type"] == "form") {
                        let issued = self.sign_form(auth, &ready, None, block["form"].clone());
                        block["token"] = issued.token.into();
                    }
                }
                card
            })
            .collect();
        Ok(PageView {
            plugin_id: plugin.to_owned(),
            title: page.title,
            cards,
        })
    }

    /// A button on a plugin page (not on a stored card): the plugin sees no message id and
    /// decides for itself whether the person may do this.
    pub async fn run_page_action(
        &self,
        auth: &Auth,
        group_id: &str,
        plugin: &str,
        input: RunPageAction,
    ) -> Result<PluginReply> {
        let group = self.seen_group(auth, group_id).await?;
        if !(group.rights.read && group.rights.post) {
            return Err(AppError::NotFound("group"));
        }
        if input.action_id.is_empty() || input.action_id.len() > 64 || input.value.len() > 2000 {
            return Err(AppError::invalid(
                "unknown_action",
                "an action id is 1 to 64 bytes and its value at most 2000",
            ));
        }
        let ready = self
            .enabled_plugin(group.org.as_str(), group.id.as_str(), plugin)
            .await?;
        let input = ActionInput {
            message_id: None,
            action_id: input.action_id,
            value: input.value,
            form_values: None,
        };
        self.run_plugin_action(auth, &ready, input).await
    }

    /// A request to one of a plugin's routes. Session routes act for the signed-in person
    /// in their organization (and in `group_id` when the query names one they belong to
    /// where the plugin is enabled); public routes name the organization in the URL.
    pub async fn plugin_route(
        &self,
        auth: Option<&Auth>,
        public_org: Option<&str>,
        plugin: &str,
        mut request: HttpRequest,
    ) -> Result<HttpResponse> {
        let org = match (auth, public_org) {
            (Some(a), None) => a.actor.org_id.as_str().to_owned(),
            (None, Some(o)) => {
                parse_id("organization", o, courtyard_domain::OrgId::parse)?.into_string()
            }
            _ => return Err(AppError::Unauthenticated),
        };
        let mut org = org;
        let group = match (auth, group_from_query(&request.query)) {
            (Some(a), Some(g)) => {
                let seen = self.seen_group(a, &g).await?;
                if !seen.rights.read {
                    return Err(AppError::NotFound("group"));
                }
                // A partner's people reach the plugin of the organization that hosts the
                // shared group (as guests there), not one of their own.
                org = seen.org.as_str().to_owned();
                Some(seen.id.into_string())
            }
            _ => None,
        };
        let ready = match &group {
            Some(g) => self.enabled_plugin(&org, g, plugin).await?,
            None => self
                .ready_for(&org, plugin, None)
                .await
                .map_err(|_| AppError::NotFound("route"))?,
        };
        let route = ready
            .code
            .manifest
            .route(&request.url, &request.method)
            .ok_or(AppError::NotFound("route"))?;
        let expected = if auth.is_some() {
            RouteAuth::Session
        } else {
            RouteAuth::Public
        };
        if route.auth != expected {
            return Err(AppError::NotFound("route"));
        }
        Self::refuse_if_suspended(&ready)?;
        // Only headers a plugin could need; never the caller's cookies or credentials.
        request.headers.retain(|(name, _)| {
            let name = name.to_ascii_lowercase();
            !matches!(
                name.as_str(),
                "cookie" | "authorization" | "x-csrf-token" | "proxy-authorization"
            )
        });
        let call = self.call_for(auth, &org, group.as_deref(), &ready);
        let started = std::time::Instant::now();
        let outcome = self.plugins.runtime.http(&ready.code, call, request).await;
        self.health(&ready, outcome.as_ref().err(), started).await;
        outcome.map_err(|e| self.call_failed(plugin, &e, started))
    }
}

fn group_from_query(query: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "group_id")
        .map(|(_, v)| v.to_owned())
}

/// Response headers a plugin may set; everything else is dropped. Plugins ship no HTML or
/// script, so HTML is served as text and nothing a plugin returns runs in the host's origin.
pub fn safe_response_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    const ALLOWED: [&str; 5] = [
        "content-type",
        "cache-control",
        "etag",
        "last-modified",
        "content-disposition",
    ];
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| ALLOWED.contains(&n.to_ascii_lowercase().as_str()))
        .map(|(n, v)| {
            let n = n.to_ascii_lowercase();
            let v = if n == "content-type"
                && (v.to_ascii_lowercase().contains("html")
                    || v.to_ascii_lowercase().contains("javascript")
                    || v.to_ascii_lowercase().contains("svg"))
            {
                "text/plain; charset=utf-8".to_owned()
            } else {
                v.clone()
            };
            (n, v)
        })
        .collect();
    if !out.iter().any(|(n, _)| n == "content-type") {
        out.push(("content-type".into(), "application/octet-stream".into()));
    }
    out.push(("x-content-type-options".into(), "nosniff".into()));
    out.push((
        "content-security-policy".into(),
        "sandbox; default-src 'none'".into(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_re_encoded_by_a_client_keeps_its_digest() {
        let sent = serde_json::json!({"fields": [{"max": 200.0, "min": 0.5, "default": 2}]});
        let returned: serde_json::Value =
            serde_json::from_str(r#"{"fields": [{"max": 200, "min": 0.5, "default": 2.0}]}"#)
                .unwrap();
        assert_eq!(form_digest(&sent), form_digest(&returned));
        let changed = serde_json::json!({"fields": [{"max": 201, "min": 0.5, "default": 2}]});
        assert_ne!(form_digest(&sent), form_digest(&changed));
    }

    #[test]
    fn plugin_responses_cannot_serve_active_content() {
        let headers = safe_response_headers(&[
            ("Content-Type".into(), "text/html".into()),
            ("Set-Cookie".into(), "session=stolen".into()),
            ("Location".into(), "https://evil.example".into()),
        ]);
        assert!(headers.contains(&("content-type".into(), "text/plain; charset=utf-8".into())));
        assert!(
            !headers
                .iter()
                .any(|(n, _)| n == "set-cookie" || n == "location")
        );
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "content-security-policy" && v.starts_with("sandbox"))
        );
    }

    #[test]
    fn the_group_comes_from_the_query() {
        assert_eq!(group_from_query("a=1&group_id=g1"), Some("g1".into()));
        assert_eq!(group_from_query("a=1"), None);
    }
}
